/**
 * Every byte, length and count cap in one place. The defaults are what the
 * SPEC promises; each can be changed with a flag or an environment variable
 * (see config.ts and the README's configuration table).
 */
export interface Limits {
  /** Largest accepted request body (SPEC: 16 MiB). Larger → 413. */
  readonly bodyBytes: number;
  /** Most events in one request (SPEC: 10,000). More → 413. */
  readonly eventsPerRequest: number;
  /** Largest serialised payload of one event (SPEC: 64 KiB). Larger → 422 naming `payload`. */
  readonly payloadBytes: number;
  /** Events waiting for the writer before new requests get 503 + Retry-After. */
  readonly queueEvents: number;
  /** Most events one group commit takes; the rest wait for the next transaction. */
  readonly batchEvents: number;
  /** Open /subscribe (SSE) streams; one more gets 503 + Retry-After. Each holds a socket and a cursor. */
  readonly maxSubscribers: number;
  /** Most entries listed in an error's `details` (the rest are counted, not listed). */
  readonly errorDetails: number;
}

export const defaultLimits: Limits = Object.freeze({
  bodyBytes: 16 * 1024 * 1024,
  eventsPerRequest: 10_000,
  payloadBytes: 64 * 1024,
  queueEvents: 100_000,
  batchEvents: 20_000,
  maxSubscribers: 1_000,
  errorDetails: 100,
});
