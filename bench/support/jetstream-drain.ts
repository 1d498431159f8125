/**
 * The JetStream source's drain rate: a fresh stream is filled with `messages`
 * messages (one event each, `dupRate` of them re-published copies), then N
 * replicas on one fresh PostgreSQL database consume it. Timed from the first
 * replica's "consuming" log line to the moment the durable consumer has
 * nothing pending and nothing awaiting acknowledgement. Verified: exactly the
 * unique events stored.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AckPolicy, connect } from 'nats';
import { request } from 'undici';
import type { StatsBody } from '../../src/http/routes/stats.js';
import { LoadPlan } from '../../src/loadgen/load-plan.js';
import { type ServerProcess, startServer } from '../../src/loadgen/server-process.js';
import type { BenchResult } from './bench-result.js';
import { withDatabase } from './postgres-database.js';

const natsUrl = process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222';

export interface DrainOptions {
  readonly replicas: number;
  readonly messages: number;
  readonly dupRate: number;
}

export async function jetstreamDrain(o: DrainOptions): Promise<BenchResult> {
  const id = randomBytes(5).toString('hex');
  const stream = `AGG_BENCH_${id}`;
  const subject = `agg-bench-${id}`;
  const nc = await connect({ servers: natsUrl });
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: stream, subjects: [`${subject}.>`] });
  try {
    await jsm.consumers.add(stream, {
      durable_name: 'bench',
      ack_policy: AckPolicy.Explicit,
      max_ack_pending: 20_000,
    });
    const plan = new LoadPlan({ events: o.messages, dupRate: o.dupRate, batch: 1, topics: 5, runId: id });
    const js = nc.jetstream();
    for (let k = 0; k < plan.batches; k += 1000) {
      const chunk = Array.from({ length: Math.min(1000, plan.batches - k) }, (_, i) => k + i);
      await Promise.all(chunk.map((p) => js.publish(`${subject}.${p % 5}`, plan.body(p))));
    }
    return await withDatabase(async (databaseUrl) => {
      const flags = ['--store', 'postgres', '--database-url', databaseUrl, '--nats-url', natsUrl];
      const nats = ['--nats-stream', stream, '--nats-subject', `${subject}.>`, '--nats-durable', 'bench'];
      const servers: ServerProcess[] = [];
      try {
        const started = await Promise.all(
          Array.from({ length: o.replicas }, (_, i) =>
            startServer([...flags, ...nats, '--instance-id', `bench-${i}`], { LOG_LEVEL: 'info' }),
          ),
        );
        servers.push(...started);
        const consumingSince = Math.min(...servers.map(consumingTime));
        for (;;) {
          const info = await jsm.consumers.info(stream, 'bench');
          if (info.num_pending === 0 && info.num_ack_pending === 0) break;
          await sleep(20);
        }
        const seconds = (Date.now() - consumingSince) / 1000;
        const after = await Promise.all(
          servers.map(
            async (s) => (await (await request(new URL('/stats', s.url))).body.json()) as StatsBody,
          ),
        );
        const problems: string[] = [];
        if (after[0].unique_processed !== plan.unique)
          problems.push(`${after[0].unique_processed} unique stored, expected ${plan.unique}`);
        if (after[0].received < o.messages) problems.push(`received ${after[0].received} < ${o.messages}`);
        return {
          events: o.messages,
          events_per_second: Math.round(o.messages / seconds),
          requests_per_second: Math.round(o.messages / seconds),
          server_peak_rss_mb: Number(
            (Math.max(...after.map((s) => s.memory.peak_rss_bytes)) / 2 ** 20).toFixed(1),
          ),
          verified: problems.length === 0,
          problems,
        };
      } finally {
        await Promise.all(servers.map((s) => s.stop('SIGTERM')));
      }
    });
  } finally {
    await jsm.streams.delete(stream).catch(() => {});
    await nc.close();
  }
}

/** When a replica started consuming, from its pino log line (milliseconds since the epoch). */
function consumingTime(server: ServerProcess): number {
  for (const line of server.logs) {
    if (line.includes('consuming JetStream stream')) return (JSON.parse(line) as { time: number }).time;
  }
  throw new Error('the replica did not log that it consumes');
}
