/**
 * Test harness: a real aggregator (real SQLite in a temp dir) built in-process
 * by the same startAggregator() that `aggregator serve` runs, with the same
 * store, writer tuning and plugins, plus small helpers for events and HTTP.
 * Every test closes what it opens.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { request } from 'undici';
import { type Aggregator, startAggregator } from '../../src/aggregator.js';
import { loadConfig } from '../../src/config/config.js';
import { defaultLimits, type Limits } from '../../src/config/limits.js';
import type { Event, PreparedEvent } from '../../src/domain/event.js';
import type { StatsBody } from '../../src/http/routes/stats.js';
import { prepareEvents } from '../../src/ingest/validate.js';

export function makeTempDir(prefix = 'agg-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A temp dir removed when test `t` ends. */
export function tempDir(t: { after: (fn: () => unknown) => void }): string {
  const dir = makeTempDir();
  t.after(() => removeDir(dir));
  return dir;
}

export type Harness = Aggregator;

/**
 * Starts the aggregator on `dataDir` with extra serve flags (e.g. `--queue-limit 1`), without
 * listening; `clock` (ms since the epoch) lets a test move time, e.g. past retention.
 */
export async function startApp(
  dataDir: string,
  flags: readonly string[] = [],
  clock: () => number = Date.now,
): Promise<Harness> {
  const config = loadConfig(['--data-dir', dataDir, '--log-level', 'silent', ...flags], {});
  return startAggregator(config, { logger: pino({ level: config.logLevel }), clock });
}

let counter = 0;
/** A valid event; `i` makes its key unique within `topic`. */
export function event(i: number = counter++, overrides: Partial<Event> = {}): Event {
  return {
    topic: 'orders.created',
    event_id: `evt-${i}`,
    timestamp: '2026-11-25T10:00:00Z',
    source: 'test',
    payload: { n: i, text: 'hello' },
    ...overrides,
  };
}

/** Valid events prepared for a store or the writer, as admission would; throws if any is refused. */
export function prepared(events: readonly unknown[], limits: Limits = defaultLimits): PreparedEvent[] {
  const checked = prepareEvents(events, {
    ...limits,
    eventsPerRequest: Math.max(limits.eventsPerRequest, events.length),
  });
  if (!checked.ok) throw new Error(`test events refused: ${checked.problem.message}`);
  return checked.value;
}

export async function publish(app: FastifyInstance, body: unknown, contentType = 'application/json') {
  const res = await app.inject({
    method: 'POST',
    url: '/publish',
    headers: { 'content-type': contentType },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.statusCode, headers: res.headers, body: res.json() };
}

export async function getJson<T = unknown>(app: FastifyInstance, url: string): Promise<T> {
  const res = await app.inject({ method: 'GET', url });
  if (res.statusCode !== 200) throw new Error(`GET ${url} → ${res.statusCode}: ${res.body}`);
  return res.json() as T;
}

export const stats = (app: FastifyInstance) => getJson<StatsBody>(app, '/stats');

/** Every stored event, walking Link rel="next" from the start. */
export async function allEventsOver(
  baseUrl: string,
  query = 'limit=10000',
): Promise<{ seq: number; event_id: string; topic: string }[]> {
  const out: { seq: number; event_id: string; topic: string }[] = [];
  let next: string | undefined = `/events?${query}`;
  while (next) {
    const res: Awaited<ReturnType<typeof request>> = await request(new URL(next, baseUrl));
    out.push(...((await res.body.json()) as typeof out));
    next = /<([^>]+)>;\s*rel="next"/.exec(String(res.headers.link ?? ''))?.[1];
  }
  return out;
}

/** The counters' invariant every scenario must keep. */
export function assertInvariant(
  s: Pick<StatsBody, 'received' | 'unique_processed' | 'duplicate_dropped'>,
  assert: { equal: (a: unknown, b: unknown, m?: string) => void },
) {
  assert.equal(s.received, s.unique_processed + s.duplicate_dropped, 'received == unique + duplicates');
}
