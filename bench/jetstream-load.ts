/**
 * The same load against NATS JetStream, the alternative a user would pick:
 * a file-backed stream with `Nats-Msg-Id` deduplication, published with
 * asynchronous acks — each "request" publishes its batch's events without
 * waiting, then waits for all their acks, mirroring one POST of that batch.
 * JetStream acknowledges before fsync and its dedup forgets after the
 * stream's duplicate window; both are noted next to the figures.
 *
 *   node dist/bench/jetstream-load.js --events 100000 --batch 100 --concurrency 16
 */
import { parseArgs } from 'node:util';
import { connect, headers as natsHeaders, StorageType } from 'nats';
import { LoadPlan } from '../src/loadgen/load-plan.js';
import { quantile } from '../src/loadgen/sender.js';
import { cpuSeconds, pidsOf, rssSampler } from './support/process-usage.js';

export interface JetStreamResult {
  events: number;
  seconds: number;
  events_per_second: number;
  latency_ms: { p50: number; p95: number; p99: number };
  stored: number;
  duplicates: number;
  server_cpu_seconds: number;
  server_peak_rss_mb: number;
  verified: boolean;
}

export async function runJetStream(
  plan: LoadPlan,
  concurrency: number,
  url = process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
): Promise<JetStreamResult> {
  const nc = await connect({ servers: url });
  const jsm = await nc.jetstreamManager();
  const name = `AGG_BENCH_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
  const subjectRoot = `aggbench.${name}`;
  // Dedup window wide enough to cover the whole run, so JetStream dedups as exactly as it can.
  await jsm.streams.add({
    name,
    subjects: [`${subjectRoot}.>`],
    storage: StorageType.File,
    duplicate_window: 10 * 60 * 1e9,
  });
  const js = nc.jetstream();
  const encoder = new TextEncoder();
  // Messages are encoded before the clock starts, like the HTTP bodies in `aggregator bench`.
  const batches = Array.from({ length: plan.batches }, (_, k) =>
    plan.batchEvents(k).map((e) => ({
      subject: `${subjectRoot}.${e.topic}`,
      data: encoder.encode(JSON.stringify(e)),
      msgID: `${e.topic}/${e.event_id}`,
    })),
  );
  const pids = pidsOf('nats-server');
  const cpu0 = cpuSeconds(pids);
  const rss = rssSampler(pids);
  const latencies: number[] = [];
  let duplicates = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < batches.length) {
        const batch = batches[next++];
        const t0 = performance.now();
        const acks = await Promise.all(
          batch.map((m) => {
            const h = natsHeaders();
            h.set('Nats-Msg-Id', m.msgID);
            return js.publish(m.subject, m.data, { headers: h });
          }),
        );
        latencies.push(performance.now() - t0);
        for (const ack of acks) if (ack.duplicate) duplicates++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const serverCpu = cpuSeconds(pids) - cpu0;
  const peakRss = rss.stop();
  const info = await jsm.streams.info(name);
  await jsm.streams.delete(name);
  await nc.close();
  latencies.sort((a, b) => a - b);
  const ms = (q: number) => Number(quantile(latencies, q).toFixed(2));
  return {
    events: plan.options.events,
    seconds: Number(seconds.toFixed(3)),
    events_per_second: Math.round(plan.options.events / seconds),
    latency_ms: { p50: ms(0.5), p95: ms(0.95), p99: ms(0.99) },
    stored: info.state.messages,
    duplicates,
    server_cpu_seconds: Number(serverCpu.toFixed(2)),
    server_peak_rss_mb: Number((peakRss / 2 ** 20).toFixed(1)),
    verified: info.state.messages === plan.unique,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '100000' },
      'dup-rate': { type: 'string', default: '0.25' },
      batch: { type: 'string', default: '100' },
      concurrency: { type: 'string', default: '16' },
    },
  });
  const plan = new LoadPlan({
    events: Number(values.events),
    dupRate: Number(values['dup-rate']),
    batch: Number(values.batch),
    topics: 5,
    runId: `js${Date.now().toString(36)}`,
  });
  console.log(JSON.stringify(await runJetStream(plan, Number(values.concurrency))));
}
