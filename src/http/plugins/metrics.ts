/**
 * GET /metrics in the Prometheus text format (prom-client), on a Registry of
 * this app's own — never the global one — so several apps in one process
 * (tests) do not collide.
 *
 * Two kinds of event counts, because replicas share one store:
 * - `aggregator_events_*_total` count what THIS process committed since it
 *   started (moved after each successful commit, as the writer reports it).
 *   Every replica exports its own share, so `sum(rate(…))` across replicas is
 *   the cluster's rate — the usual PromQL is right. A restart resets them to
 *   0, which rate() and increase() treat as a counter reset.
 * - `aggregator_store_events{counter=…}` are the store's lifetime totals, read
 *   from `store.stats()` at scrape time: exactly the numbers of GET /stats,
 *   surviving restarts. On PostgreSQL every replica reports the same cluster
 *   totals, so they are gauges to aggregate with max(), never sum().
 */
import type { FastifyInstance, onResponseHookHandler } from 'fastify';
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

  const counter = (name: string, help: string) =>
    new Counter({ name: `aggregator_events_${name}_total`, help, registers });
  const mine = {
    received: counter('received', 'Deliveries this process committed (stored + duplicates)'),
    stored: counter('stored', 'Unique events this process stored'),
    duplicates: counter('duplicates', 'Duplicate deliveries this process dropped'),
    conflicts: counter(
      'conflicts',
      'Duplicates this process dropped whose body differed from the stored event',
    ),
    rejected: counter('rejected', 'Deliveries this process refused as invalid'),
  };
  const storeTotals = new Gauge({
    name: 'aggregator_store_events',
    help: "Lifetime totals of the store, as GET /stats (on PostgreSQL the cluster's, alike on every replica)",
    labelNames: ['counter'] as const,
    registers,
  });
  const totals: [string, (s: StoreStats) => number][] = [
    ['received', (s) => s.received],
    ['stored', (s) => s.unique_processed],
    ['duplicates', (s) => s.duplicate_dropped],
    ['conflicts', (s) => s.conflicts],
    ['rejected', (s) => s.rejected],
    ['pruned', (s) => s.retention.events_pruned],
  ];
  // Retention is the store's too: totals, alike on every replica.
  const reclaimed = new Gauge({
    name: 'aggregator_store_pruned_bytes',
    help: 'Bytes of event data retention deleted (UTF-8 of topic, event_id, timestamp, source, payload), lifetime',
    registers,
  });
  const keptKeys = new Gauge({
    name: 'aggregator_store_kept_keys',
    help: 'Keys of pruned events still kept, so a re-send stays a duplicate',
    registers,
  });

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
    mine.received.inc(info.events);
    mine.stored.inc(info.stored);
    mine.duplicates.inc(info.duplicates);
    mine.conflicts.inc(info.conflicts);
    mine.rejected.inc(info.rejected);
    commitSeconds.observe(info.seconds);
    // A commit that only carries the rejected count holds no events: not a batch.
    if (info.events > 0) batchEvents.observe(info.events);
  });

  // Each timed route gets its own onResponse hook (a callback, not async: it runs on the
  // publish hot path) that knows its route template and keeps one labelled child per method
  // and status, so a request neither builds nor hashes a label set. Requests that match no
  // route are not timed: their latency says nothing about a route.
  app.addHook('onRoute', (route) => {
    if (untimed.has(route.url)) return;
    const children = new Map<string, Map<number, { observe(seconds: number): void }>>();
    const timer: onResponseHookHandler = (request, reply, done) => {
      let byStatus = children.get(request.method);
      if (byStatus === undefined) {
        byStatus = new Map();
        children.set(request.method, byStatus);
      }
      const status = reply.statusCode;
      let child = byStatus.get(status);
      if (child === undefined) {
        child = requestSeconds.labels({
          method: request.method,
          route: route.url,
          status_code: String(status),
        });
        byStatus.set(status, child);
      }
      child.observe(reply.elapsedTime / 1000);
      done();
    };
    route.onResponse = [...[route.onResponse ?? []].flat(), timer];
  });

  app.get(
    '/metrics',
    {
      config: { errors: ['AGG_ERR_STORE_UNAVAILABLE'] },
      schema: {
        operationId: 'getMetrics',
        summary: 'Prometheus metrics',
        description:
          'Prometheus text format: the event counts of this process (sum them across replicas), the ' +
          "store's lifetime totals (equal to GET /stats), request and commit latency, batch size, " +
          'queue depth, SSE subscribers, process metrics.',
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
      for (const [name, pick] of totals) storeTotals.set({ counter: name }, pick(s));
      reclaimed.set(s.retention.bytes_reclaimed);
      keptKeys.set(s.retention.keys_kept);
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
