/**
 * Every byte, length, count, time and rate cap in one place: each limit's
 * option (flag, environment variable, help), default and floor. Adding a
 * limit is one entry here; the loader, `--help` and the Limits type follow
 * from the table (the README's "Limits" table documents it, and a test checks
 * that it does). The defaults are what the SPEC promises.
 */
import type { OptionSpec } from './option-spec.js';

const int = 'int' as const;

export const limitOptions = {
  /** Largest accepted request body (SPEC: 16 MiB). Larger → 413. */
  bodyBytes: {
    flag: 'max-body-bytes',
    env: 'MAX_BODY_BYTES',
    kind: int,
    help: 'largest request body',
    default: 16 * 1024 * 1024,
  },
  /** Most events in one request (SPEC: 10,000). More → 413. */
  eventsPerRequest: {
    flag: 'max-events',
    env: 'MAX_EVENTS_PER_REQUEST',
    kind: int,
    help: 'most events per request',
    default: 10_000,
  },
  /** Largest serialised payload of one event (SPEC: 64 KiB). Larger → 422 naming `payload`. */
  payloadBytes: {
    flag: 'max-payload-bytes',
    env: 'MAX_PAYLOAD_BYTES',
    kind: int,
    help: 'largest serialised payload',
    default: 64 * 1024,
  },
  /**
   * Deepest nesting of a payload (`{}` is 1). Deeper → 422 naming `payload`. A body nested
   * deeper than twice this plus 3 (the batch wrapper) is refused with 400 before it is
   * parsed: parsing 16 MiB of `[` costs seconds of CPU and hundreds of MB, and
   * re-serialising deep values overflows the stack.
   */
  jsonDepth: {
    flag: 'max-json-depth',
    env: 'MAX_JSON_DEPTH',
    kind: int,
    help: 'deepest payload nesting',
    default: 32,
    atLeast: 1,
  },
  /** Longest NDJSON line in bytes; longer → 413 naming the line. Generous: one event fits many times. */
  ndjsonLineBytes: {
    flag: 'max-ndjson-line-bytes',
    env: 'MAX_NDJSON_LINE_BYTES',
    kind: int,
    help: 'longest NDJSON line',
    default: 1024 * 1024,
  },
  /** Events waiting for the writer before new requests get 503 + Retry-After. */
  queueEvents: {
    flag: 'queue-limit',
    env: 'QUEUE_LIMIT',
    kind: int,
    help: 'events waiting for the writer before 503',
    default: 100_000,
  },
  /** Most events one group commit takes; the rest wait for the next transaction. */
  batchEvents: {
    flag: 'batch-limit',
    env: 'BATCH_LIMIT',
    kind: int,
    help: 'most events per group commit',
    default: 20_000,
    atLeast: 1,
  },
  /** Open /subscribe (SSE) streams; one more gets 503 + Retry-After. Each holds a socket and a cursor. */
  maxSubscribers: {
    flag: 'max-subscribers',
    env: 'MAX_SUBSCRIBERS',
    kind: int,
    help: 'open /subscribe streams before new ones get 503',
    default: 1_000,
  },
  /**
   * Whole request (headers + body) must arrive within this; else 408 and the socket is closed.
   * 0: none. 16 MiB at ~300 KB/s still arrives; a trickling client cannot hold a socket longer.
   */
  requestTimeoutMs: {
    flag: 'request-timeout-ms',
    env: 'REQUEST_TIMEOUT_MS',
    kind: int,
    help: 'the whole request must arrive within this, else 408 (0: no limit)',
    default: 60_000,
  },
  /** Request headers must arrive within this (slowloris); else 408. At most requestTimeoutMs. */
  headersTimeoutMs: {
    flag: 'headers-timeout-ms',
    env: 'HEADERS_TIMEOUT_MS',
    kind: int,
    help: 'request headers must arrive within this, else 408',
    default: 20_000,
    atLeast: 1,
  },
  /**
   * An idle keep-alive connection is closed after this. Above the usual 60 s idle timeout
   * of load balancers, so the balancer closes first (no reset races).
   */
  keepAliveTimeoutMs: {
    flag: 'keep-alive-timeout-ms',
    env: 'KEEP_ALIVE_TIMEOUT_MS',
    kind: int,
    help: 'idle keep-alive connections are closed after this',
    default: 72_000,
    atLeast: 1,
  },
  /**
   * A socket with no traffic in either direction for this long is closed (a client that
   * stopped reading its response). 0: none. Well above the 15 s SSE heartbeat, so only a
   * dead or stalled peer is cut off.
   */
  socketTimeoutMs: {
    flag: 'socket-timeout-ms',
    env: 'SOCKET_TIMEOUT_MS',
    kind: int,
    help: 'a connection with no traffic either way for this long is closed (0: never)',
    default: 120_000,
  },
  /** Requests per client IP per window; 0 turns rate limiting off (the default). */
  rateLimit: {
    flag: 'rate-limit',
    env: 'RATE_LIMIT',
    kind: int,
    help: 'requests per client IP per window before 429 (0: off)',
    default: 0,
  },
  /** The rate limit's window. */
  rateWindowMs: {
    flag: 'rate-window-ms',
    env: 'RATE_WINDOW_MS',
    kind: int,
    help: 'the rate limit window',
    default: 60_000,
    atLeast: 1,
  },
} as const satisfies Record<string, OptionSpec>;

export type LimitName = keyof typeof limitOptions;

export type Limits = { readonly [K in LimitName]: number } & {
  /** Most entries listed in an error's `details` (the rest are counted, not listed). Not an option. */
  readonly errorDetails: number;
};

/** Builds Limits from one value per limit (the defaults, or what the loader read). */
export function limitsOf(value: (name: LimitName, spec: (typeof limitOptions)[LimitName]) => number): Limits {
  const limits: Record<string, number> = { errorDetails: 100 };
  for (const [name, spec] of Object.entries(limitOptions)) limits[name] = value(name as LimitName, spec);
  return Object.freeze(limits) as Limits;
}

export const defaultLimits: Limits = limitsOf((_name, spec) => spec.default);
