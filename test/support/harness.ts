/**
 * Test harness: a real aggregator (real SQLite in a temp dir) built in-process,
 * plus small helpers for events and HTTP. Every test closes what it opens.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { request } from 'undici';
import { type Config, loadConfig } from '../../src/config/config.js';
import type { Event } from '../../src/domain/event.js';
import { buildApp } from '../../src/http/app.js';
import { Writer } from '../../src/ingest/writer.js';
import type { EventStore } from '../../src/store/event-store.js';
import { openStore } from '../../src/store/open-store.js';

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

export interface Harness {
  readonly app: FastifyInstance;
  readonly store: EventStore;
  readonly writer: Writer;
  readonly config: Config;
  close(): Promise<void>;
}

/** Builds the app on `dataDir` with extra serve flags (e.g. `--queue-limit 1`). */
export async function startApp(dataDir: string, flags: readonly string[] = []): Promise<Harness> {
  const config = loadConfig(['--data-dir', dataDir, '--log-level', 'silent', ...flags], {});
  const store = await openStore(config);
  const writer = new Writer(store, config.limits);
  const app = await buildApp({ config, store, writer, clock: Date.now, startedAt: Date.now() });
  return { app, store, writer, config, close: () => app.close() };
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

export interface StatsBody {
  received: number;
  unique_processed: number;
  duplicate_dropped: number;
  conflicts: number;
  rejected: number;
  topics: string[];
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
  s: StatsBody,
  assert: { equal: (a: unknown, b: unknown, m?: string) => void },
) {
  assert.equal(s.received, s.unique_processed + s.duplicate_dropped, 'received == unique + duplicates');
}
