/**
 * `aggregator publish`: an at-least-once publisher. Generates `--events`
 * deliveries with `--dup-rate` of them deliberate re-sends, posts them in
 * batches over `--concurrency` connections, resends anything not acknowledged
 * (backoff, Retry-After), and prints what the server reported.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { LoadPlan } from '../loadgen/load-plan.js';
import { quantile, send } from '../loadgen/sender.js';
import { progressBar } from './progress.js';

export const publishUsage = `Usage: aggregator publish [options]
  --url URL           aggregator base URL                   [http://127.0.0.1:8080]
  --events N          deliveries to send, duplicates included [10000]
  --dup-rate R        fraction of deliveries that are re-sends [0.25]
  --batch N           events per request (1 sends a bare event) [100]
  --concurrency N     parallel connections                  [8]
  --topics N          distinct topics                       [5]
  --run-id ID         event_id prefix; reuse it to resend the same events [random]
  --key KEY           publish key (Authorization: Bearer)   [PUBLISH_KEY]
  --timeout-ms N      per attempt before it counts as failed [30000]
  --json              print the summary as one JSON line
`;

export const loadFlags = {
  url: { type: 'string', default: 'http://127.0.0.1:8080' },
  events: { type: 'string', default: '10000' },
  'dup-rate': { type: 'string', default: '0.25' },
  batch: { type: 'string', default: '100' },
  concurrency: { type: 'string', default: '8' },
  topics: { type: 'string', default: '5' },
  'run-id': { type: 'string' },
  key: { type: 'string' },
  'timeout-ms': { type: 'string', default: '30000' },
  json: { type: 'boolean', default: false },
} as const;

export function number(values: Record<string, unknown>, name: string): number {
  const n = Number(values[name]);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`--${name} must be a non-negative number, got "${values[name]}"`);
  return n;
}

export function planFrom(values: Record<string, unknown>): LoadPlan {
  return new LoadPlan({
    events: number(values, 'events'),
    dupRate: number(values, 'dup-rate'),
    batch: Math.max(1, number(values, 'batch')),
    topics: Math.max(1, number(values, 'topics')),
    runId: (values['run-id'] as string | undefined) ?? randomBytes(6).toString('hex'),
  });
}

export async function publish(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { values } = parseArgs({ args: [...argv], options: loadFlags, strict: true });
  const plan = planFrom(values);
  const key = values.key ?? env.PUBLISH_KEY;
  const bar = progressBar(plan.batches, 'publishing');
  const report = await send({
    url: values.url,
    concurrency: Math.max(1, number(values, 'concurrency')),
    batches: plan.batches,
    body: (k) => plan.body(k),
    headers: key ? { authorization: `Bearer ${key}` } : {},
    timeoutMs: number(values, 'timeout-ms'),
    onProgress: bar.update,
  });
  bar.finish();
  const summary = {
    run_id: plan.options.runId,
    sent_events: plan.options.events,
    planned_duplicates: plan.duplicates,
    requests: report.requests,
    stored: report.stored,
    duplicates: report.duplicates,
    conflicts: report.conflicts,
    retries: report.retries,
    seconds: Number(report.seconds.toFixed(3)),
    events_per_second: Math.round(plan.options.events / report.seconds),
    latency_ms: {
      p50: Number(quantile(report.latenciesMs, 0.5).toFixed(2)),
      p99: Number(quantile(report.latenciesMs, 0.99).toFixed(2)),
    },
  };
  if (values.json) {
    console.log(JSON.stringify(summary));
    return;
  }
  const retried = Object.values(report.retries).reduce((a, b) => a + b, 0);
  console.log(
    [
      `run ${summary.run_id}: sent ${plan.options.events} events (${plan.duplicates} planned re-sends) in ${report.requests} acknowledged requests`,
      `server: ${report.stored} stored, ${report.duplicates} duplicates dropped, ${report.conflicts} conflicts`,
      `retries: ${retried}${retried ? ` ${JSON.stringify(report.retries)}` : ''}`,
      `${summary.seconds}s, ${summary.events_per_second} events/s, latency p50 ${summary.latency_ms.p50} ms, p99 ${summary.latency_ms.p99} ms`,
    ].join('\n'),
  );
}
