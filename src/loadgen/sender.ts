/**
 * The at-least-once sender behind `aggregator publish` and `aggregator bench`:
 * `concurrency` connections each take the next batch and POST it until it is
 * acknowledged. A timeout, a network error, 408, 429 or any 5xx means "not
 * known to be stored": the same body is sent again after an exponential
 * backoff that honours Retry-After (RFC 9110 §10.2.3), at most `maxRetries`
 * times. Any other 4xx is the caller's bug and stops the run. Until the server
 * has answered once, a connection that cannot be made stops the run too
 * (nobody is listening there), unless `waitForServer`. An abort (Ctrl-C, a
 * deadline) stops it with the totals so far.
 */

import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { Pool } from 'undici';
import type { PublishSummary } from '../domain/outcome.js';
import { LeanHttpPool } from './lean-http.js';

interface SendOptions {
  readonly url: string;
  readonly concurrency: number;
  readonly batches: number;
  /** Request body of batch k (computed when it is sent); bytes are sent as they are. */
  readonly body: (k: number) => string | Buffer;
  readonly contentType?: string;
  /** Gzip each text body (Content-Encoding: gzip), once per request, resends included. */
  readonly gzip?: boolean;
  readonly headers?: Readonly<Record<string, string>>;
  /** Per attempt, in milliseconds. */
  readonly timeoutMs?: number;
  /** First backoff step; it doubles per attempt up to maxBackoffMs. */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Called with the number of events acknowledged so far. */
  readonly onProgress?: (events: number) => void;
  /** Called before each resend. */
  readonly onRetry?: (retry: Retry) => void;
  /** Resends of one request before the run gives up on it; unbounded when absent. */
  readonly maxRetries?: number;
  /** Retry a connection that cannot be made before the server ever answered, instead of failing. */
  readonly waitForServer?: boolean;
  /** Stops the run: no new requests, those in flight abandoned; send() resolves with the totals so far. */
  readonly signal?: AbortSignal;
  /**
   * `undici` (default): the robust client. `lean`: lean-http.ts, for benchmarks,
   * where the load generator's own CPU would otherwise be measured as the server's limit.
   */
  readonly client?: 'undici' | 'lean';
}

export interface Retry {
  /** Index of the request (batch) being resent. */
  readonly batch: number;
  /** 1 for the first resend. */
  readonly attempt: number;
  /** Why: an HTTP status (with the error code the body names) or a network error code. */
  readonly cause: string;
  readonly waitMs: number;
}

interface Answer {
  statusCode: number;
  retryAfter: string | undefined;
  text: string;
}

type Post = (body: string | Buffer, signal?: AbortSignal) => Promise<Answer>;

/** One POST /publish through the chosen client; `close` releases its connections. */
function transport(options: SendOptions, headers: Record<string, string>, timeoutMs: number) {
  const origin = new URL(options.url).origin;
  if (options.client === 'lean') {
    const pool = new LeanHttpPool(origin, options.concurrency);
    const post: Post = async (body) => {
      const res = await pool.post('/publish', body, headers, timeoutMs);
      return { statusCode: res.statusCode, retryAfter: res.retryAfter, text: res.body };
    };
    return { post, close: async () => pool.close() };
  }
  const pool = new Pool(origin, { connections: options.concurrency, pipelining: 1 });
  const post: Post = async (body, signal) => {
    const res = await pool.request({
      method: 'POST',
      path: '/publish',
      body,
      headers,
      signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const retryAfter = res.headers['retry-after'];
    return {
      statusCode: res.statusCode,
      retryAfter: retryAfter === undefined ? undefined : String(retryAfter),
      text: await res.body.text(),
    };
  };
  return { post, close: () => pool.close() };
}

export interface SendReport {
  readonly requests: number;
  readonly events: number;
  readonly stored: number;
  readonly duplicates: number;
  readonly conflicts: number;
  /** Attempts that had to be repeated, by reason. */
  readonly retries: Readonly<Record<string, number>>;
  /** Milliseconds of each acknowledged attempt, sorted ascending. */
  readonly latenciesMs: number[];
  readonly seconds: number;
  /** Set when the run was aborted: why (the abort reason's message). */
  readonly stopped?: string;
  /** Requests abandoned by the abort: the server may or may not have stored them. */
  readonly unconfirmed: number;
}

/** The server refused a request for good (a 4xx other than 408/429). */
export class RejectedError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`HTTP ${status}: ${body.slice(0, 500)}`);
  }
}

/** A request still failed after maxRetries resends. */
export class GaveUpError extends Error {}

/** No connection could be made before the server ever answered (and waitForServer is off). */
export class UnreachableError extends Error {
  constructor(
    readonly origin: string,
    readonly code: string,
  ) {
    super(`cannot connect to ${origin} (${code})`);
  }
}

/** Network errors that mean nothing is listening there (as opposed to a request lost on the way). */
const cannotConnect = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** `HTTP 503 AGG_ERR_OVERLOADED` when the body names an error code, else `HTTP 503`. */
function statusCause(status: number, text: string): string {
  const code = /"error"\s*:\s*"([A-Z0-9_]+)"/.exec(text.slice(0, 200))?.[1];
  return code ? `HTTP ${status} ${code}` : `HTTP ${status}`;
}

const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

export async function send(options: SendOptions): Promise<SendReport> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const backoff = options.backoffMs ?? 50;
  const maxBackoff = options.maxBackoffMs ?? 5_000;
  const maxRetries = options.maxRetries ?? Number.POSITIVE_INFINITY;
  // Aborted from outside (Ctrl-C, a deadline), or from inside when one request fails for good:
  // then the others stop too instead of retrying on for nothing.
  const failed = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, failed.signal]) : failed.signal;
  // Every connection's request and back-off listens on it: up to two listeners a connection, not a leak.
  setMaxListeners(2 * Math.max(1, options.concurrency) + 10, signal);
  const headers: Record<string, string> = {
    'content-type': options.contentType ?? 'application/json',
    ...(options.gzip ? { 'content-encoding': 'gzip' } : {}),
    ...options.headers,
  };
  const client = transport(options, headers, timeoutMs);
  const origin = new URL(options.url).origin;
  const totals = { requests: 0, events: 0, stored: 0, duplicates: 0, conflicts: 0 };
  const retries: Record<string, number> = {};
  const latencies: number[] = [];
  let next = 0;
  let unconfirmed = 0;
  let answered = false;
  let failure: Error | undefined;

  async function deliver(k: number, body: string | Buffer): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      // `reason` counts retries by kind (a status, a network error code); `cause` says more.
      let reason: string;
      let cause: string;
      let waitMs = 0;
      try {
        const res = await client.post(body, signal);
        answered = true;
        const text = res.text;
        if (res.statusCode === 200) {
          latencies.push(performance.now() - started);
          const summary = JSON.parse(text) as PublishSummary;
          totals.requests++;
          totals.events += summary.received;
          totals.stored += summary.unique_processed;
          totals.duplicates += summary.duplicate_dropped;
          totals.conflicts += summary.conflicts.length;
          return;
        }
        if (!retryable(res.statusCode)) throw new RejectedError(res.statusCode, text);
        reason = String(res.statusCode);
        cause = statusCause(res.statusCode, text);
        const retryAfter = Number(res.retryAfter);
        if (Number.isFinite(retryAfter)) waitMs = retryAfter * 1000;
      } catch (err) {
        if (err instanceof RejectedError || signal.aborted) throw err;
        reason = (err as { code?: string }).code ?? 'network';
        cause = reason;
        if (!answered && !options.waitForServer && cannotConnect.has(reason))
          throw new UnreachableError(origin, reason);
      }
      retries[reason] = (retries[reason] ?? 0) + 1;
      if (attempt >= maxRetries)
        throw new GaveUpError(`request ${k + 1} still failed after ${maxRetries} retries (last: ${cause})`);
      const step = Math.min(maxBackoff, backoff * 2 ** Math.min(attempt, 16));
      // Full jitter keeps retrying clients from stampeding in lockstep.
      waitMs = Math.max(waitMs, Math.random() * step);
      options.onRetry?.({ batch: k, attempt: attempt + 1, cause, waitMs });
      await sleep(waitMs, undefined, { signal });
    }
  }

  async function worker(): Promise<void> {
    while (!signal.aborted && next < options.batches) {
      const k = next++;
      try {
        const body = options.body(k);
        await deliver(k, options.gzip && typeof body === 'string' ? gzipSync(body) : body);
      } catch (err) {
        if (signal.aborted) {
          unconfirmed++;
        } else {
          failure = err as Error;
          failed.abort(err);
        }
        return;
      }
      options.onProgress?.(totals.events);
    }
  }

  const started = performance.now();
  try {
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  } finally {
    await client.close();
  }
  if (failure) throw failure;
  latencies.sort((a, b) => a - b);
  return {
    ...totals,
    retries,
    latenciesMs: latencies,
    seconds: (performance.now() - started) / 1000,
    unconfirmed,
    ...(options.signal?.aborted ? { stopped: abortReason(options.signal) } : {}),
  };
}

function abortReason(signal: AbortSignal): string {
  const reason = signal.reason as unknown;
  return reason instanceof Error ? reason.message : String(reason);
}

/** The q-quantile (0..1) of ascending values, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
