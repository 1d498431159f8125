/**
 * The event: its type and the one JSON Schema every input path validates with
 * (HTTP JSON, NDJSON, and the JetStream source), and that OpenAPI documents.
 */

/** An event as a producer sends it. */
export interface Event {
  topic: string;
  event_id: string;
  timestamp: string;
  source: string;
  payload: Record<string, unknown>;
}

/**
 * A validated event ready for the writer: the payload is kept as the JSON text
 * that was size-checked, so it is serialised once and stored as is, and the
 * fingerprint of the body is computed once, outside the commit.
 */
export interface PreparedEvent {
  readonly topic: string;
  readonly event_id: string;
  readonly timestamp: string;
  readonly source: string;
  readonly payload: string;
  readonly fingerprint: number;
}

/** A stored event as the store returns it; `payload` is JSON text. */
export interface StoredEvent {
  readonly seq: number;
  readonly topic: string;
  readonly event_id: string;
  readonly timestamp: string;
  readonly source: string;
  readonly payload: string;
  readonly received_at: number;
}

/**
 * Printable characters only: no C0/C1 control characters, no DEL, and no
 * unpaired UTF-16 surrogate (\p{Cs}). A lone surrogate cannot be stored as
 * UTF-8: SQLite would keep U+FFFD instead, so the stored key would differ
 * from the one sent and every redelivery would be stored again.
 */
const noControlChars = '^[^\\p{Cc}\\p{Cs}]+$';
/**
 * Well-formed Unicode (no unpaired surrogate), for the same reason, and no
 * NUL (U+0000): PostgreSQL's text cannot hold it, so it would be refused there
 * and stored by SQLite — one input, one answer on every store: refused.
 */
const wellFormedNoNul = '^[^\\p{Cs}\\u0000]+$';

export const eventSchema = {
  $id: 'Event',
  type: 'object',
  additionalProperties: false,
  required: ['topic', 'event_id', 'timestamp', 'source', 'payload'],
  properties: {
    topic: { type: 'string', minLength: 1, maxLength: 255, pattern: noControlChars },
    event_id: { type: 'string', minLength: 1, maxLength: 255, pattern: noControlChars },
    // RFC 3339 date-time; ajv-formats checks that the zone is present and the date real.
    timestamp: { type: 'string', format: 'date-time', maxLength: 64 },
    source: { type: 'string', minLength: 1, maxLength: 255, pattern: wellFormedNoNul },
    payload: { type: 'object', description: 'Any JSON object, at most 64 KiB serialised (configurable).' },
  },
  example: {
    topic: 'orders.created',
    event_id: '7f9c2ba4-e88f-4d3b-9b3b-6d1f0c0a1e11',
    timestamp: '2026-11-25T10:00:00Z',
    source: 'checkout-svc',
    payload: { order_id: 42, total: 19.9 },
  },
} as const;

/** Renders a stored event as the JSON object GET /events returns, without re-parsing its payload. */
export function storedEventJson(e: StoredEvent): string {
  return (
    `{"seq":${e.seq},"topic":${JSON.stringify(e.topic)},"event_id":${JSON.stringify(e.event_id)},` +
    `"timestamp":${JSON.stringify(e.timestamp)},"source":${JSON.stringify(e.source)},` +
    `"payload":${e.payload},"received_at":"${new Date(e.received_at).toISOString()}"}`
  );
}
