/**
 * GET /metrics in the Prometheus text format (prom-client), on a Registry of
 * this app's own — never the global one — so several apps in one process
 * (tests) do not collide.
 *
 * The lifetime event counters are read from `store.stats()` at scrape time
 * instead of being counted in memory. That makes them exactly the numbers of
 * GET /stats (same source, same transaction), lets them survive restarts and
 * kill -9 like the data, and costs one small query per scrape. On PostgreSQL
 * they are the cluster's totals, so every replica reports the same value:
 * aggregate across replicas with max(), not sum().
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Writer } from '../../ingest/writer.js';
import type { Hub } from '../../live/hub.js';
import type { EventStore, StoreStats } from '../../store/event-store.js';

interface MetricsOptions {
  readonly store: Pick<EventStore, 'stats'>;
  readonly writer: Pick<Writer, 'depth' | 'onCommit'>;
  readonly hub: Pick<Hub, 'subscribers'>;
}

/** Routes whose requests are not timed: a stream's duration is its lifetime, not a latency. */
const untimed = new Set(['/subscribe']);

async function metricsPlugin(app: FastifyInstance, { store, writer, hub }: MetricsOptions): Promise<void> {
  const registers = [new Registry()];
  const [registry] = registers;
  collectDefaultMetrics({ register: registry });

  const lifetime = (name: string, help: string, pick: (s: StoreStats) => number) => ({
    counter: new Counter({ name: `aggregator_events_${name}_total`, help, registers }),
    pick,
  });
  const counters = [
    lifetime(
      'received',
      'Deliveries accepted into the ledger (stored + duplicates), lifetime',
      (s) => s.received,
    ),
    lifetime('stored', 'Unique events stored, lifetime', (s) => s.unique_processed),
    lifetime('duplicates', 'Duplicate deliveries dropped, lifetime', (s) => s.duplicate_dropped),
    lifetime(
      'conflicts',
      'Duplicates whose body differed from the stored event, lifetime',
      (s) => s.conflicts,
    ),
    lifetime('rejected', 'Deliveries refused as invalid, lifetime', (s) => s.rejected),
  ];

  const requestSeconds = new Histogram({
    name: 'aggregator_http_request_duration_seconds',
    help: 'HTTP request latency by route template, method and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const commitSeconds = new Histogram({
    name: 'aggregator_commit_duration_seconds',
    help: 'Time of one group commit (one store transaction)',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const batchEvents = new Histogram({
    name: 'aggregator_commit_batch_events',
    help: 'Events per group commit',
    buckets: [1, 10, 100, 500, 1_000, 2_500, 5_000, 10_000, 20_000],
    registers,
  });
  new Gauge({
    name: 'aggregator_queue_depth_events',
    help: 'Events waiting for the writer',
    registers,
    collect() {
      this.set(writer.depth);
    },
  });
  new Gauge({
    name: 'aggregator_sse_subscribers',
    help: 'Open /subscribe streams',
    registers,
    collect() {
      this.set(hub.subscribers);
    },
  });
  const lastSeq = new Gauge({ name: 'aggregator_last_seq', help: 'Highest stored seq', registers });
  const topics = new Gauge({ name: 'aggregator_topics', help: 'Topics with stored events', registers });

  writer.onCommit((info) => {
    commitSeconds.observe(info.seconds);
    // A commit that only carries the rejected count holds no events: not a batch.
    if (info.events > 0) batchEvents.observe(info.events);
  });

  // A callback hook, not an async one: this runs on every request, including the publish hot path.
  app.addHook('onResponse', (request, reply, done) => {
    // The route template (never the raw URL) keeps label cardinality bounded.
    const route = request.routeOptions.url ?? 'unmatched';
    if (!untimed.has(route)) {
      requestSeconds.observe(
        { method: request.method, route, status_code: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    }
    done();
  });

  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics',
        description:
          'Prometheus text format: lifetime event counters (equal to GET /stats), request and commit ' +
          'latency, batch size, queue depth, SSE subscribers, process metrics.',
        tags: ['operations'],
        response: {
          200: {
            description: 'Prometheus text exposition format 0.0.4',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
        },
      },
    },
    async (_request, reply) => {
      const s = await store.stats();
      for (const { counter, pick } of counters) {
        counter.reset();
        counter.inc(pick(s));
      }
      lastSeq.set(s.last_seq);
      topics.set(s.topics.length);
      reply.type(registry.contentType);
      return registry.metrics();
    },
  );
}

export default fp(metricsPlugin, {
  name: 'aggregator-metrics',
  fastify: '5.x',
  // After OpenAPI, which documents /metrics too; its timing hook then sees every route.
  dependencies: ['aggregator-access', 'aggregator-openapi'],
});
