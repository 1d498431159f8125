/** Issue #2 (a): 100,000 events, 25 % duplicates, batches of 100, 16 connections, synchronous=FULL. */
export default {
  name: 'sqlite batched 100 × 16 conns',
  args: ['--events', '100000', '--dup-rate', '0.25', '--batch', '100', '--concurrency', '16'],
  smokeArgs: ['--events', '2000', '--dup-rate', '0.25', '--batch', '100', '--concurrency', '4'],
};
