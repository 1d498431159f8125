/**
 * The route schemas: what each route validates (query strings) and what
 * OpenAPI documents (bodies, answers), apart from the handlers in routes/.
 * The Event schema itself lives in domain/event.ts, shared with validation.
 */

const count = { type: 'integer' } as const;
const indexes = { type: 'array', items: count } as const;
const event = { $ref: 'Event#' } as const;

const publishAnswer = {
  type: 'object',
  required: ['received', 'unique_processed', 'duplicate_dropped', 'duplicates', 'conflicts'],
  properties: {
    received: { ...count, description: 'events in this request' },
    unique_processed: { ...count, description: 'events stored by this request' },
    duplicate_dropped: { ...count, description: 'events of this request already stored' },
    duplicates: { ...indexes, description: 'indexes (in the request) of the duplicates' },
    conflicts: {
      ...indexes,
      description: 'indexes of duplicates whose body differs from the stored event',
    },
  },
} as const;

export const publishSchema = {
  operationId: 'publishEvents',
  summary: 'Publish events (at least once in, exactly once stored)',
  description:
    'One event, an array, `{"events": [...]}`, or NDJSON. Answered only after every event of the ' +
    'request is committed; all or nothing (one invalid event refuses the whole request, naming ' +
    'index and field). Duplicates (same topic + event_id) are a success and are listed by index.',
  tags: ['events'],
  /**
   * The body as OpenAPI documents it, built from the same `eventSchema` the
   * handler validates with. For documentation only: the route's validator is
   * a no-op, because the handler admits the body with `admit`, which names
   * index + field and is all-or-nothing across JSON and NDJSON alike;
   * validating twice would cost time and answer worse.
   */
  body: {
    required: true,
    content: {
      'application/json': {
        schema: {
          oneOf: [
            event,
            { type: 'array', items: event, maxItems: 10_000 },
            {
              type: 'object',
              additionalProperties: false,
              required: ['events'],
              properties: { events: { type: 'array', items: event, maxItems: 10_000 } },
            },
          ],
        },
      },
      'application/x-ndjson': {
        schema: { type: 'string', description: 'one event (a JSON object) per line' },
      },
    },
  },
  response: {
    200: publishAnswer,
    202: {
      description:
        'with `--accepted-status 202`: the same answer, still sent after commit, plus `queued_count` ' +
        "for the original service's clients",
      type: 'object',
      required: [...publishAnswer.required, 'queued_count'],
      properties: {
        ...publishAnswer.properties,
        queued_count: { ...count, description: 'events in this request (= received)' },
      },
    },
  },
} as const;

const topic = { type: 'string', minLength: 1, maxLength: 255, description: 'only this topic' } as const;

/** How GET /events and /subscribe render each event (see domain/cloudevents.ts for the mapping). */
const format = {
  type: 'string',
  enum: ['json', 'cloudevents'],
  default: 'json',
  description:
    '`cloudevents`: each event as a structured CloudEvent 1.0 (type = topic, id and source as sent, ' +
    'time = timestamp, data = payload, other attributes as sent)',
} as const;

/** A stored event as GET /events and /subscribe return it (documentation; the handler writes JSON text). */
const storedEvent = {
  type: 'object',
  properties: {
    seq: { ...count, description: 'global commit order, increasing' },
    topic: { type: 'string' },
    event_id: { type: 'string' },
    timestamp: { type: 'string', description: 'as sent, unchanged' },
    source: { type: 'string' },
    payload: { type: 'object', additionalProperties: true },
    received_at: { type: 'string', format: 'date-time', description: 'when it was committed' },
  },
} as const;

export const eventsSchema = {
  operationId: 'listEvents',
  summary: 'Stored events in commit order, or newest first',
  description:
    'Each event exactly as first sent, plus `seq` (global commit order) and `received_at`. ' +
    'Oldest first, paged with `after` (a seq); or newest first with `order=desc`, paged with ' +
    '`before` — a topic\'s latest events however old they are. A `Link: <...>; rel="next"` ' +
    'header while more remain.',
  tags: ['events'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      topic,
      order: {
        type: 'string',
        enum: ['asc', 'desc'],
        default: 'asc',
        description: 'asc: oldest first (page with `after`); desc: newest first (page with `before`)',
      },
      after: {
        ...count,
        minimum: 0,
        description: 'order=asc: return events with seq greater than this (default 0)',
      },
      before: {
        ...count,
        minimum: 1,
        description: 'order=desc: return events with seq less than this (default: from the newest)',
      },
      limit: { ...count, minimum: 1, maximum: 10_000, default: 1000, description: 'page size' },
      format: {
        ...format,
        description: `${format.description}; also chosen by \`Accept: application/cloudevents-batch+json\``,
      },
    },
  },
  response: {
    200: {
      description: 'stored events, oldest first (newest first with order=desc)',
      type: 'array',
      items: storedEvent,
    },
  },
} as const;

export const subscribeSchema = {
  operationId: 'subscribeEvents',
  summary: 'Follow stored events live (Server-Sent Events)',
  description:
    'Streams stored events in commit order, then new ones as they are committed. Each frame: ' +
    '`id:` the seq, `data:` the event as in GET /events. Resumes after the `Last-Event-ID` header ' +
    '(sent by EventSource on reconnect; it wins over `after`). A `: heartbeat` comment is sent ' +
    'on idle streams. 503 + Retry-After when too many streams are open.',
  tags: ['events'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      topic,
      after: {
        ...count,
        minimum: 0,
        default: 0,
        description: 'start after this seq (0: from the first stored event); Last-Event-ID wins when sent',
      },
      format,
    },
  },
  headers: {
    type: 'object',
    properties: {
      'last-event-id': { type: 'string', description: 'the seq of the last event received' },
    },
  },
  response: {
    200: {
      description: 'an endless text/event-stream',
      content: { 'text/event-stream': { schema: { type: 'string' } } },
    },
  },
} as const;

export const healthzSchema = {
  operationId: 'getLiveness',
  summary: 'Liveness',
  description: 'The process is up. Never touches the store; always open.',
  tags: ['operations'],
  response: { 200: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } } } },
} as const;

const readiness = {
  type: 'object',
  properties: {
    ready: { type: 'boolean' },
    store: { type: 'string', enum: ['ok', 'unreachable', 'full'] },
    writer: { type: 'string', enum: ['ok', 'failing'] },
    nats: {
      type: 'string',
      enum: ['ok', 'unreachable'],
      description: 'only with a JetStream source: whether NATS is reachable (does not decide `ready`)',
    },
  },
} as const;

export const readyzSchema = {
  operationId: 'getReadiness',
  summary: 'Readiness',
  description:
    'Ready when the store answers and the writer commits; route traffic only to ready replicas. ' +
    'With a JetStream source, `nats` says whether NATS is reachable.',
  tags: ['operations'],
  response: { 200: readiness, 503: readiness },
} as const;

export const dashboardSchema = {
  operationId: 'getDashboard',
  summary: 'Dashboard (HTML)',
  description: 'Live counters, rates, topics and the newest events.',
  tags: ['ui'],
  response: {
    200: { description: 'the dashboard page', content: { 'text/html': { schema: {} } } },
  },
} as const;
