/**
 * The at-least-once sender behind `aggregator publish` and `aggregator bench`:
 * `concurrency` connections each take the next batch and POST it until it is
 * acknowledged. A timeout, a network error, 408, 429 or any 5xx means "not
 * known to be stored": the same body is sent again after an exponential
 * backoff that honours Retry-After (RFC 9110 §10.2.3). Any other 4xx is the
 * caller's bug and stops the run.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import type { PublishSummary } from '../domain/outcome.js';
import { LeanHttpPool } from './lean-http.js';

interface SendOptions {
  readonly url: string;
  readonly concurrency: number;
  readonly batches: number;
  /** Request body of batch k (computed when it is sent). */
  readonly body: (k: number) => string;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Per attempt, in milliseconds. */
  readonly timeoutMs?: number;
  /** First backoff step; it doubles per attempt up to maxBackoffMs. */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly onProgress?: (done: number) => void;
  /**
   * `undici` (default): the robust client. `lean`: lean-http.ts, for benchmarks,
   * where the load generator's own CPU would otherwise be measured as the server's limit.
   */
  readonly client?: 'undici' | 'lean';
}

interface Answer {
  statusCode: number;
  retryAfter: string | undefined;
  text: string;
}

type Post = (body: string) => Promise<Answer>;

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
  const post: Post = async (body) => {
    const res = await pool.request({
      method: 'POST',
      path: '/publish',
      body,
      headers,
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

interface SendReport {
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
}

class RejectedError extends Error {}

const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

export async function send(options: SendOptions): Promise<SendReport> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const backoff = options.backoffMs ?? 50;
  const maxBackoff = options.maxBackoffMs ?? 5_000;
  const headers = { 'content-type': options.contentType ?? 'application/json', ...options.headers };
  const client = transport(options, headers, timeoutMs);
  const totals = { requests: 0, events: 0, stored: 0, duplicates: 0, conflicts: 0 };
  const retries: Record<string, number> = {};
  const latencies: number[] = [];
  let next = 0;
  let failure: Error | undefined;

  async function deliver(body: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      let reason: string;
      let waitMs = 0;
      try {
        const res = await client.post(body);
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
        if (!retryable(res.statusCode))
          throw new RejectedError(`HTTP ${res.statusCode}: ${text.slice(0, 500)}`);
        reason = String(res.statusCode);
        const retryAfter = Number(res.retryAfter);
        if (Number.isFinite(retryAfter)) waitMs = retryAfter * 1000;
      } catch (err) {
        if (err instanceof RejectedError) throw err;
        reason = (err as { code?: string }).code ?? 'network';
      }
      retries[reason] = (retries[reason] ?? 0) + 1;
      const step = Math.min(maxBackoff, backoff * 2 ** Math.min(attempt, 16));
      // Full jitter keeps retrying clients from stampeding in lockstep.
      await sleep(Math.max(waitMs, Math.random() * step));
    }
  }

  async function worker(): Promise<void> {
    while (failure === undefined && next < options.batches) {
      const k = next++;
      try {
        await deliver(options.body(k));
      } catch (err) {
        failure = err as Error;
        return;
      }
      options.onProgress?.(totals.requests);
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
  return { ...totals, retries, latenciesMs: latencies, seconds: (performance.now() - started) / 1000 };
}

/** The q-quantile (0..1) of ascending values, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
