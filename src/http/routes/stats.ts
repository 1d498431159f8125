/**
 * GET /stats: lifetime counters from the store (they survive restarts), this
 * process's uptime and memory, and the original service's field names as
 * aliases so existing scripts keep working.
 *
 * GET /stats/summary: the totals alone, an answer of constant size for
 * frequent polling; GET /stats/history: this process's per-second rates of
 * the last hour (live/rate-history.ts).
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { StoreKind } from '../../config/config.js';
import type { Writer } from '../../ingest/writer.js';
import { historySeconds, type RateHistory, type SeriesQuery } from '../../live/rate-history.js';
import type { Counters, EventStore, RetentionStats } from '../../store/event-store.js';
import { compressResponses } from '../plugins/compression.js';
import { statsHistorySchema, statsSchema, statsSummarySchema } from '../stats-schemas.js';

/** The body of GET /stats; the one declaration its readers (CLI bench, tests, benchmarks) share. */
export interface StatsBody extends Counters {
  readonly rejected: number;
  /** Sorted. */
  readonly topics: string[];
  readonly uptime_seconds: number;
  readonly started_at: string;
  readonly last_seq: number;
  readonly queue_depth: number;
  readonly store: StoreKind;
  readonly per_topic: Record<string, Counters>;
  readonly memory: { rss_bytes: number; peak_rss_bytes: number; heap_used_bytes: number };
  readonly cpu: { user_seconds: number; system_seconds: number };
  readonly retention: RetentionStats;
  readonly received_events: number;
  readonly unique_events: number;
  readonly duplicates: number;
}

interface StatsDeps {
  readonly store: Pick<EventStore, 'stats' | 'totals'>;
  readonly writer: Pick<Writer, 'depth'>;
  readonly storeKind: StoreKind;
  /** Milliseconds since the epoch. */
  readonly clock: () => number;
  readonly startedAt: number;
  readonly rates: Pick<RateHistory, 'series'>;
}

/** The body of GET /stats/summary. */
export interface StatsSummaryBody extends Counters {
  readonly rejected: number;
  readonly topic_count: number;
  readonly last_seq: number;
  readonly queue_depth: number;
  readonly uptime_seconds: number;
  readonly started_at: string;
  readonly store: StoreKind;
}

async function statsRoutes(app: FastifyInstance, deps: StatsDeps): Promise<void> {
  await compressResponses(app);
  // The schema documents; JSON.stringify serialises, so no field is ever dropped by a stale schema.
  const serializerCompiler = () => (data: unknown) => JSON.stringify(data);
  app.get(
    '/stats',
    {
      config: { access: 'read', errors: ['AGG_ERR_STORE_UNAVAILABLE'] },
      schema: statsSchema,
      serializerCompiler,
    },
    async (): Promise<StatsBody> => {
      const s = await deps.store.stats();
      const now = deps.clock();
      const perTopic: Record<string, Counters> = {};
      for (const { topic, ...counters } of s.topics) perTopic[topic] = counters;
      const memory = process.memoryUsage();
      const cpu = process.cpuUsage();
      return {
        received: s.received,
        unique_processed: s.unique_processed,
        duplicate_dropped: s.duplicate_dropped,
        conflicts: s.conflicts,
        rejected: s.rejected,
        topics: s.topics.map((t) => t.topic),
        uptime_seconds: Math.round((now - deps.startedAt) / 100) / 10,
        started_at: new Date(deps.startedAt).toISOString(),
        last_seq: s.last_seq,
        queue_depth: deps.writer.depth,
        store: deps.storeKind,
        per_topic: perTopic,
        memory: {
          rss_bytes: memory.rss,
          // resourceUsage().maxRSS is in KiB (getrusage), the process's lifetime peak.
          peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
          heap_used_bytes: memory.heapUsed,
        },
        // All threads of the process (the SQLite writer thread included), since it started.
        cpu: { user_seconds: cpu.user / 1e6, system_seconds: cpu.system / 1e6 },
        retention: s.retention,
        // Names of the original Python service, kept as aliases.
        received_events: s.received,
        unique_events: s.unique_processed,
        duplicates: s.duplicate_dropped,
      };
    },
  );

  app.get(
    '/stats/summary',
    { config: { access: 'read', errors: ['AGG_ERR_STORE_UNAVAILABLE'] }, schema: statsSummarySchema },
    async (): Promise<StatsSummaryBody> => {
      const s = await deps.store.totals();
      return {
        received: s.received,
        unique_processed: s.unique_processed,
        duplicate_dropped: s.duplicate_dropped,
        conflicts: s.conflicts,
        rejected: s.rejected,
        topic_count: s.topic_count,
        last_seq: s.last_seq,
        queue_depth: deps.writer.depth,
        uptime_seconds: Math.round((deps.clock() - deps.startedAt) / 100) / 10,
        started_at: new Date(deps.startedAt).toISOString(),
        store: deps.storeKind,
      };
    },
  );

  app.get<{ Querystring: Partial<SeriesQuery> }>(
    '/stats/history',
    { config: { access: 'read' }, schema: statsHistorySchema },
    async (request) =>
      deps.rates.series({ seconds: request.query.seconds ?? historySeconds, after: request.query.after }),
  );
}

export default fp(statsRoutes, {
  name: 'aggregator-stats',
  fastify: '5.x',
  encapsulate: true,
  dependencies: ['aggregator-access', 'aggregator-openapi'],
});
