/**
 * Does scale-out add capacity? In one run: PostgreSQL's own rate for the
 * store's core write on 1 and 2 connections, and the store's rate with 1, 2
 * and 3 replicas on one database (100k events, 25 % copies, batches of 100,
 * 16 connections in total split over the replicas). The configurations
 * alternate round by round, so a slow moment of the machine does not land on
 * one of them; each figure is the median of its rounds, every run's totals are
 * checked, and the three ratios of issue #9 are printed against their targets.
 *
 *   npm run bench:replicas                 3 rounds, print only
 *   npm run bench:replicas -- --record     ... and append to bench/RESULTS.md
 *   npm run bench:replicas -- --rounds 5
 *   npm run bench:replicas -- --smoke      tiny counts (CI runs this so the script cannot rot)
 *   npm run bench:replicas -- --cpu        ... and CPU µs per event per process and thread
 *                                          (replicas, PostgreSQL processes, load generator)
 *   npm run bench:replicas -- --against /tmp/old/dist/src/cli/main.js --replicas 1,2 --no-raw
 *                                          the store with 1 and 2 replicas of this build and of another, alternating
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { type CpuRow, cpuTable } from './support/cpu-breakdown.js';
import { postgresRaw } from './support/postgres-raw.js';
import { replicatedLoad } from './support/replicated-load.js';
import { appendResults } from './support/results.js';

const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const record = args.includes('--record');
const roundsAt = args.indexOf('--rounds');
const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : smoke ? 1 : 3;
const eventsAt = args.indexOf('--events');
const events = eventsAt >= 0 ? Number(args[eventsAt + 1]) : smoke ? 2000 : 100_000;
const cpu = args.includes('--cpu');
const againstAt = args.indexOf('--against');
const against = againstAt >= 0 ? args[againstAt + 1] : undefined;
const replicasAt = args.indexOf('--replicas');
const replicaCounts = replicasAt >= 0 ? args[replicasAt + 1].split(',').map(Number) : [1, 2, 3];
const withRaw = !args.includes('--no-raw');

type Groups = { commits: number; meanEvents: number }[];
type Run = { rate: number; problems: string[]; cpu?: { rows: CpuRow[]; machine: CpuRow }; groups?: Groups };
type Config = { name: string; run: () => Promise<Run> };
const raw = (n: number): Config => ({
  name: `PostgreSQL itself, ${n} connection${n > 1 ? 's' : ''}`,
  run: async () => {
    const r = await postgresRaw(n, events);
    const problems = r.stored === r.expected ? [] : [`${r.stored} rows stored, expected ${r.expected}`];
    return { rate: r.rows_per_second, problems };
  },
});
const store = (replicas: number, script?: string): Config => ({
  name: `store, ${replicas} replica${replicas > 1 ? 's' : ''}${script === undefined ? '' : ` (${script})`}`,
  run: async () => {
    const r = await replicatedLoad({
      script,
      cpu,
      replicas,
      events,
      dupRate: 0.25,
      batch: 100,
      concurrency: smoke ? 4 : 16,
      topics: 5,
    });
    return { rate: r.events_per_second, problems: r.problems, cpu: r.cpu, groups: r.groups };
  },
});
const configs = [
  ...(withRaw ? [raw(1), raw(2)] : []),
  ...replicaCounts.flatMap((n) => [store(n), ...(against === undefined ? [] : [store(n, against)])]),
];
const standard = withRaw && against === undefined && replicaCounts.join() === '1,2,3';
// Other work on the machine skews every figure: the load average before and after says how much there was.
const loadBefore = loadavg()[0];
const rates = configs.map(() => [] as number[]);
const cpuRuns = configs.map(() => [] as { rows: CpuRow[]; machine: CpuRow }[]);
const groupRuns = configs.map(() => [] as Groups[]);
const problems: string[] = [];

for (let round = 1; round <= rounds; round++) {
  for (const [i, c] of configs.entries()) {
    const r = await c.run();
    rates[i].push(r.rate);
    if (r.cpu !== undefined) cpuRuns[i].push(r.cpu);
    if (r.groups !== undefined) groupRuns[i].push(r.groups);
    problems.push(...r.problems.map((p) => `${c.name}, round ${round}: ${p}`));
    console.log(
      `round ${round}: ${c.name}: ${r.rate.toLocaleString('en-US')} /s${r.problems.length ? ' (TOTALS WRONG)' : ''}`,
    );
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const m = rates.map(median);
const ratio = (a: number, b: number) => a / b;
const [pg1, pg2, s1, s2, s3] = m;
const targets = [
  ['2 replicas / 1 replica', ratio(s2, s1), 1.4],
  ['2 replicas / PostgreSQL on 2 connections', ratio(s2, pg2), 0.6],
  ['1 replica / PostgreSQL on 1 connection', ratio(s1, pg1), 0.7],
] as const;

/** One configuration's CPU rows averaged over its rounds. */
function meanCpu(runs: readonly { rows: CpuRow[]; machine: CpuRow }[]): string {
  const sums = new Map<string, CpuRow>();
  const add = (a: CpuRow | undefined, b: CpuRow): CpuRow => ({
    name: b.name,
    userUs: (a?.userUs ?? 0) + b.userUs / runs.length,
    sysUs: (a?.sysUs ?? 0) + b.sysUs / runs.length,
    totalUs: (a?.totalUs ?? 0) + b.totalUs / runs.length,
  });
  for (const run of runs) for (const r of run.rows) sums.set(r.name, add(sums.get(r.name), r));
  const machineUs = runs.reduce((n, r) => n + r.machine.totalUs / runs.length, 0);
  const rows = [...sums.values()].sort((a, b) => b.totalUs - a.totalUs);
  return cpuTable(rows, { ...runs[0].machine, totalUs: machineUs });
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
const lines = [
  `\n### ${new Date().toISOString().slice(0, 10)}${smoke ? ' (smoke)' : ''}: bench:replicas, ${rounds} round(s), ${events.toLocaleString('en-US')} events each: ${machine}\n`,
  '| configuration | per round (events or rows/s) | median |',
  '|---|---|---:|',
  ...configs.map(
    (c, i) =>
      `| ${c.name} | ${rates[i].map((r) => r.toLocaleString('en-US')).join(' / ')} | ${m[i].toLocaleString('en-US')} |`,
  ),
  ...(standard
    ? [
        '',
        '| ratio | measured | target |',
        '|---|---:|---:|',
        ...targets.map(
          ([name, got, want]) => `| ${name} | ${got.toFixed(2)}× | ≥ ${want}× ${got >= want ? '✓' : '✗'} |`,
        ),
      ]
    : []),
  '',
  problems.length === 0
    ? 'Totals checked: every run stored exactly the unique events sent.'
    : `TOTALS WRONG: ${problems.join('; ')}`,
  ...(standard
    ? [`3 replicas: ${s3.toLocaleString('en-US')} events/s (${ratio(s3, s1).toFixed(2)}× one replica).`]
    : []),
  `Load average (1 min) before / after the run: ${loadBefore.toFixed(1)} / ${loadavg()[0].toFixed(1)} on ${cpus().length} CPUs.`,
  ...configs.flatMap((c, i) =>
    cpuRuns[i].length === 0
      ? []
      : [
          '',
          `CPU per event, ${c.name} (mean of ${cpuRuns[i].length} rounds):`,
          '',
          meanCpu(cpuRuns[i]),
          `Group commits per replica, per round: ${groupRuns[i]
            .map((g) => g.map((r) => `${r.commits} of ${r.meanEvents} events`).join(' + '))
            .join('; ')}.`,
        ],
  ),
];
const text = lines.join('\n');
console.log(text);
if (record) appendResults(`${text}\n`);
process.exitCode = problems.length === 0 ? 0 : 1;
