/** Issue #2 (b): 20,000 single-event requests over 64 connections, synchronous=FULL. */
export default {
  name: 'sqlite single-event × 64 conns',
  args: ['--events', '20000', '--dup-rate', '0.25', '--batch', '1', '--concurrency', '64'],
  smokeArgs: ['--events', '500', '--dup-rate', '0.25', '--batch', '1', '--concurrency', '8'],
};
