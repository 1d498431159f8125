/** The batched load with synchronous=NORMAL (relaxed: may lose the last commits on power loss, never on kill -9). */
export default {
  name: 'sqlite batched 100 × 16 conns, sync=normal (relaxed)',
  args: [
    '--events',
    '100000',
    '--dup-rate',
    '0.25',
    '--batch',
    '100',
    '--concurrency',
    '16',
    '--sync',
    'normal',
  ],
  smokeArgs: ['--events', '2000', '--batch', '100', '--concurrency', '4', '--sync', 'normal'],
};
