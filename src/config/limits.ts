/**
 * Every byte, length, count, time and rate cap in one place. The defaults are
 * what the SPEC promises; each can be changed with a flag or an environment
 * variable (see config.ts and the README's "Limits" table).
 */
export interface Limits {
  /** Largest accepted request body (SPEC: 16 MiB). Larger → 413. */
  readonly bodyBytes: number;
  /** Most events in one request (SPEC: 10,000). More → 413. */
  readonly eventsPerRequest: number;
  /** Largest serialised payload of one event (SPEC: 64 KiB). Larger → 422 naming `payload`. */
  readonly payloadBytes: number;
  /**
   * Deepest nesting of a payload (`{}` is 1). Deeper → 422 naming `payload`. A body nested
   * deeper than twice this plus 3 (the batch wrapper) is refused with 400 before it is
   * parsed: parsing 16 MiB of `[` costs seconds of CPU and hundreds of MB, and
   * re-serialising deep values overflows the stack.
   */
  readonly jsonDepth: number;
  /** Longest NDJSON line in bytes; longer → 413 naming the line. Generous: one event fits many times. */
  readonly ndjsonLineBytes: number;
  /** Events waiting for the writer before new requests get 503 + Retry-After. */
  readonly queueEvents: number;
  /** Most events one group commit takes; the rest wait for the next transaction. */
  readonly batchEvents: number;
  /** Open /subscribe (SSE) streams; one more gets 503 + Retry-After. Each holds a socket and a cursor. */
  readonly maxSubscribers: number;
  /** Whole request (headers + body) must arrive within this; else 408 and the socket is closed. 0: none. */
  readonly requestTimeoutMs: number;
  /** Request headers must arrive within this (slowloris); else 408. At most requestTimeoutMs. */
  readonly headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveTimeoutMs: number;
  /**
   * A socket with no traffic in either direction for this long is closed (a client that
   * stopped reading its response). 0: none. Must stay above the SSE heartbeat interval.
   */
  readonly socketTimeoutMs: number;
  /** Requests per client IP per window; 0 turns rate limiting off (the default). */
  readonly rateLimit: number;
  /** The rate limit's window. */
  readonly rateWindowMs: number;
  /** Most entries listed in an error's `details` (the rest are counted, not listed). */
  readonly errorDetails: number;
}

export const defaultLimits: Limits = Object.freeze({
  bodyBytes: 16 * 1024 * 1024,
  eventsPerRequest: 10_000,
  payloadBytes: 64 * 1024,
  jsonDepth: 32,
  ndjsonLineBytes: 1024 * 1024,
  queueEvents: 100_000,
  batchEvents: 20_000,
  maxSubscribers: 1_000,
  // 16 MiB at ~300 KB/s still arrives; a trickling client cannot hold a socket longer.
  requestTimeoutMs: 60_000,
  headersTimeoutMs: 20_000,
  // Above the usual 60 s idle timeout of load balancers, so the balancer closes first (no reset races).
  keepAliveTimeoutMs: 72_000,
  // Well above the 15 s SSE heartbeat, so only a dead or stalled peer is cut off.
  socketTimeoutMs: 120_000,
  rateLimit: 0,
  rateWindowMs: 60_000,
  errorDetails: 100,
});
