/**
 * GET /stats: lifetime counters from the store (they survive restarts), this
 * process's uptime and memory, and the original service's field names as
 * aliases so existing scripts keep working.
 */
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.js';

const count = { type: 'integer' } as const;

/** The documented shape (OpenAPI); `per_topic` and `memory` are open objects. */
const statsResponseSchema = {
  description: "lifetime counters (kept in the store) and this process's state",
  type: 'object',
  properties: {
    received: { ...count, description: 'deliveries accepted: unique_processed + duplicate_dropped' },
    unique_processed: { ...count, description: 'events stored' },
    duplicate_dropped: { ...count, description: 'duplicate deliveries dropped' },
    conflicts: { ...count, description: 'duplicates whose body differed from the stored event' },
    rejected: { ...count, description: 'deliveries refused as invalid (not part of received)' },
    topics: { type: 'array', items: { type: 'string' }, description: 'sorted' },
    uptime_seconds: { type: 'number' },
    started_at: { type: 'string', format: 'date-time' },
    last_seq: count,
    queue_depth: count,
    store: { type: 'string', enum: ['sqlite', 'postgres'] },
    per_topic: { type: 'object', additionalProperties: { type: 'object' } },
    memory: { type: 'object', additionalProperties: { type: 'integer' } },
    received_events: { ...count, description: 'alias of received (original service)' },
    unique_events: { ...count, description: 'alias of unique_processed (original service)' },
    duplicates: { ...count, description: 'alias of duplicate_dropped (original service)' },
  },
} as const;

export async function statsRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const schema = {
    summary: 'Lifetime statistics',
    description: 'Exact lifetime counters: received == unique_processed + duplicate_dropped, always.',
    tags: ['operations'],
    response: { 200: statsResponseSchema },
  };
  // The schema documents; JSON.stringify serialises, so no field is ever dropped by a stale schema.
  const serializerCompiler = () => (data: unknown) => JSON.stringify(data);
  app.get('/stats', { schema, serializerCompiler }, async () => {
    const s = await deps.store.stats();
    const now = deps.clock();
    const perTopic: Record<string, object> = {};
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
      store: deps.config.store,
      per_topic: perTopic,
      memory: {
        rss_bytes: memory.rss,
        // resourceUsage().maxRSS is in KiB (getrusage), the process's lifetime peak.
        peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
        heap_used_bytes: memory.heapUsed,
      },
      // All threads of the process (the SQLite writer thread included), since it started.
      cpu: { user_seconds: cpu.user / 1e6, system_seconds: cpu.system / 1e6 },
      // Names of the original Python service, kept as aliases.
      received_events: s.received,
      unique_events: s.unique_processed,
      duplicates: s.duplicate_dropped,
    };
  });
}
