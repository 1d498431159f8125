/**
 * What the two baselines of bench:compare share: the flags and the log line
 * of `aggregator serve` (so server-process.ts starts them like ours), and a
 * GET /stats with the fields `aggregator bench` checks after a run.
 */
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';

export interface BaselineCounters {
  received: number;
  unique: number;
}

export interface BaselineEvent {
  topic: string;
  event_id: string;
}

/** The events of a body Fastify parsed: one event, an array, or {"events": [...]}. */
export function eventsOf(body: unknown): BaselineEvent[] {
  if (Array.isArray(body)) return body;
  const b = body as { events?: BaselineEvent[] };
  return Array.isArray(b.events) ? b.events : [body as BaselineEvent];
}

export function baselineFlags(): { host: string; port: number; dataDir: string } {
  const { values } = parseArgs({
    args: process.argv.slice(3),
    strict: false,
    options: { host: { type: 'string' }, port: { type: 'string' }, 'data-dir': { type: 'string' } },
  });
  return {
    host: String(values.host ?? '127.0.0.1'),
    port: Number(values.port ?? 0),
    dataDir: String(values['data-dir'] ?? '.'),
  };
}

export async function listen(app: FastifyInstance, counters: BaselineCounters): Promise<void> {
  app.get('/stats', async () => {
    const cpu = process.cpuUsage();
    return {
      received: counters.received,
      unique_processed: counters.unique,
      duplicate_dropped: counters.received - counters.unique,
      memory: { rss_bytes: process.memoryUsage().rss, peak_rss_bytes: process.resourceUsage().maxRSS * 1024 },
      cpu: { user_seconds: cpu.user / 1e6, system_seconds: cpu.system / 1e6 },
    };
  });
  const { host, port } = baselineFlags();
  const url = await app.listen({ host, port });
  console.log(JSON.stringify({ url, msg: `listening on ${url}` }));
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

/** The answer of POST /publish, in the shape the bench client reads. */
export function summary(received: number, duplicates: number[]) {
  return {
    received,
    unique_processed: received - duplicates.length,
    duplicate_dropped: duplicates.length,
    duplicates,
    conflicts: [],
  };
}
