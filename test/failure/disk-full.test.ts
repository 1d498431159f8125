/**
 * Disk full, for real: the data dir sits on a small tmpfs, a filler file takes
 * every free byte, and the server keeps getting batches. It must answer 507
 * AGG_ERR_STORAGE_FULL with Retry-After (through the writer thread and
 * inline), write nothing of a refused request, report not-ready, keep serving
 * reads, and write again once space is freed — with every acknowledged event
 * present exactly once and the database intact.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { request } from 'undici';
import type { StatsBody } from '../../src/http/routes/stats.js';
import { startServer } from '../../src/loadgen/server-process.js';
import { allEventsOver, assertInvariant, event } from '../support/harness.js';
import { mountSmallDisk } from '../support/small-disk.js';

const perBatch = 20;
const batch = (k: number) =>
  Array.from({ length: perBatch }, (_, i) =>
    event(k * perBatch + i, { topic: 'disk', payload: { k, i, blob: 'x'.repeat(4000) } }),
  );

for (const writer of ['worker', 'inline'] as const) {
  test(`disk full (${writer} writer): 507 + Retry-After, nothing half-written, not ready, then resumes`, async (t) => {
    const disk = mountSmallDisk(t, 24);
    if (typeof disk === 'string') {
      t.skip(disk);
      return;
    }
    const dataDir = join(disk.dir, 'data');
    const server = await startServer(['--data-dir', dataDir, '--sqlite-writer', writer]);
    t.after(() => server.stop('SIGKILL'));
    const post = async (body: unknown) => {
      const res = await request(`${server.url}/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return {
        status: res.statusCode,
        headers: res.headers,
        body: (await res.body.json()) as Record<string, unknown>,
      };
    };
    const get = async (path: string) => {
      const res = await request(`${server.url}${path}`);
      return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
    };

    const acked = new Set<number>();
    let k = 0;
    for (; k < 10; k++) {
      assert.equal((await post(batch(k))).status, 200);
      acked.add(k);
    }

    const filled = disk.fill();
    t.diagnostic(`filler took ${(filled / 2 ** 20).toFixed(1)} MiB`);
    // The WAL may still have room for a few commits; keep going until the store refuses.
    let refused: { k: number; res: Awaited<ReturnType<typeof post>> } | undefined;
    for (let tries = 0; tries < 300 && refused === undefined; tries++, k++) {
      const res = await post(batch(k));
      if (res.status === 200) acked.add(k);
      else refused = { k, res };
    }
    assert.ok(refused, 'the store refused once the disk was full');
    assert.equal(refused.res.status, 507, JSON.stringify(refused.res.body));
    assert.equal(refused.res.body.error, 'AGG_ERR_STORAGE_FULL');
    assert.equal(refused.res.headers['retry-after'], '1');
    assert.doesNotMatch(JSON.stringify(refused.res.body), /SQLITE|ENOSPC/, 'no internal detail');

    // While full: still 507, not ready, but alive and readable.
    assert.equal((await post(batch(refused.k))).status, 507);
    const notReady = await get('/readyz');
    assert.equal(notReady.status, 503);
    assert.equal(notReady.body.writer, 'failing');
    assert.equal((await get('/healthz')).status, 200);
    const during = (await get('/stats')).body as unknown as StatsBody;
    assert.equal(during.unique_processed, acked.size * perBatch, 'nothing of the refused requests counted');
    assertInvariant(during, assert);

    disk.free();
    // The refused batch again: every event is new, so nothing of it had been written.
    const resent = await post(batch(refused.k));
    assert.equal(resent.status, 200);
    assert.equal(resent.body.unique_processed, perBatch);
    acked.add(refused.k);
    assert.equal((await post(batch(k + 1))).status, 200);
    acked.add(k + 1);
    assert.equal((await get('/readyz')).status, 200);

    const rows = await allEventsOver(server.url, 'topic=disk&limit=10000');
    const keys = new Set(rows.map((r) => r.event_id));
    assert.equal(keys.size, rows.length, 'every event stored once');
    for (const b of acked) for (const e of batch(b)) assert.ok(keys.has(e.event_id), `${e.event_id} present`);
    assert.equal(rows.length, acked.size * perBatch);
    const after = (await get('/stats')).body as unknown as StatsBody;
    assert.equal(after.unique_processed, rows.length);
    assertInvariant(after, assert);

    assert.equal(await server.stop('SIGTERM'), 0);
    const db = new Database(join(dataDir, 'aggregator.db'), { readonly: true });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      db.close();
    }
  });
}
