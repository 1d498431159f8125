/**
 * The schemas of the statistics routes (GET /stats, /stats/summary,
 * /stats/history): what OpenAPI documents and what their query strings accept.
 */

const count = { type: 'integer' } as const;

/** The documented shape (OpenAPI); `per_topic` and `memory` are open objects. */
export const statsSchema = {
  operationId: 'getStats',
  summary: 'Lifetime statistics',
  description: 'Exact lifetime counters: received == unique_processed + duplicate_dropped, always.',
  tags: ['operations'],
  response: {
    200: {
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
        retention: {
          type: 'object',
          description: 'what retention (--retain-days, --retain-bytes) pruned, lifetime; zeros when off',
          properties: {
            events_pruned: { ...count, description: 'event bodies deleted' },
            bytes_reclaimed: {
              ...count,
              description: 'UTF-8 bytes of the deleted events (topic, event_id, timestamp, source, payload)',
            },
            keys_kept: { ...count, description: 'pruned keys still kept, so a re-send stays a duplicate' },
            pruned_through_seq: {
              ...count,
              description: 'every event up to this seq is pruned; /events and /subscribe start after it',
            },
          },
        },
        received_events: { ...count, description: 'alias of received (original service)' },
        unique_events: { ...count, description: 'alias of unique_processed (original service)' },
        duplicates: { ...count, description: 'alias of duplicate_dropped (original service)' },
      },
    },
  },
} as const;

export const statsSummarySchema = {
  operationId: 'getStatsSummary',
  summary: 'Lifetime totals, without the per-topic breakdown',
  description:
    'The totals of GET /stats and the number of topics: a small answer whose size does not grow ' +
    'with the number of topics (what the dashboard polls every second).',
  tags: ['operations'],
  response: {
    200: {
      type: 'object',
      properties: {
        received: count,
        unique_processed: count,
        duplicate_dropped: count,
        conflicts: count,
        rejected: count,
        topic_count: { ...count, description: 'topics with stored events' },
        last_seq: count,
        queue_depth: count,
        uptime_seconds: { type: 'number' },
        started_at: { type: 'string', format: 'date-time' },
        store: { type: 'string', enum: ['sqlite', 'postgres'] },
      },
    },
  },
} as const;

const perSecond = { type: 'array', items: { type: 'number' } } as const;

export const statsHistorySchema = {
  operationId: 'getStatsHistory',
  summary: 'Per-second rates of the last hour (this process)',
  description:
    'Deliveries and duplicates this process committed in each complete second of the last hour ' +
    '(kept in memory since it started; on replicas, each its own). Point i is the second `from + i`.',
  tags: ['operations'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      seconds: { ...count, minimum: 1, maximum: 3600, default: 3600, description: 'the newest seconds only' },
      after: {
        ...count,
        minimum: 0,
        description: 'only seconds after this Unix second (to poll what is new)',
      },
    },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        from: { ...count, description: "the first point's second (Unix time)" },
        step_seconds: { type: 'integer', enum: [1] },
        received: { ...perSecond, description: 'deliveries committed (stored + duplicates) per second' },
        duplicates: { ...perSecond, description: 'duplicates dropped per second' },
      },
    },
  },
} as const;
