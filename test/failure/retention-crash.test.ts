/**
 * kill -9 while retention prunes: each restart finds every event that was not
 * due still stored, the pruned ones a clean prefix of the seq order, and the
 * retention counters equal to exactly what is gone; at the end a re-send of
 * everything is all duplicates.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import type { Event } from '../../src/domain/event.js';
import type { StatsBody } from '../../src/http/routes/stats.js';
import { send } from '../../src/loadgen/sender.js';
import { startServer } from '../../src/loadgen/server-process.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { allEventsOver, assertInvariant, event, prepared, tempDir } from '../support/harness.js';
import { eventBytes } from '../support/retention-contract.js';

const statsOf = async (url: string) => (await (await request(`${url}/stats`)).body.json()) as StatsBody;

const OLD = 60_000;
const NEW = 2_000;
const BATCH = 1_000;
const oldEvent = (i: number) => event(i, { topic: `t${i % 3}`, payload: { i, pad: 'x'.repeat(i % 50) } });
const newEvent = (i: number) => event(OLD + i, { topic: `t${i % 3}` });

test('SIGKILL during pruning loses nothing that was not due, and the counters match what is gone', async (t) => {
  const dir = tempDir(t);
  // The history: OLD events received 10 days ago, then NEW received now (all seqs after the old ones).
  const store = new SqliteStore({ dataDir: dir, sync: 'normal' });
  const put = (events: Event[], receivedAt: number) =>
    store.insertBatchSync({ events: prepared(events), receivedAt, rejected: 0 });
  for (let b = 0; b < OLD; b += BATCH) {
    put(
      Array.from({ length: BATCH }, (_, i) => oldEvent(b + i)),
      Date.now() - 10 * 86_400_000,
    );
  }
  put(
    Array.from({ length: NEW }, (_, i) => newEvent(i)),
    Date.now(),
  );
  await store.close();
  const bytesOf = Array.from({ length: OLD }, (_, i) => eventBytes(oldEvent(i)));

  let kills = 0;
  for (;;) {
    const server = await startServer(['--data-dir', dir, '--retain-days', '1']);
    t.after(() => server.stop('SIGKILL'));
    const start = (await statsOf(server.url)).retention.events_pruned;
    // Kill as soon as this run has pruned something, three times; then let it finish.
    let s = await statsOf(server.url);
    while (kills < 3 ? s.retention.events_pruned === start : s.retention.events_pruned < OLD) {
      if (s.retention.events_pruned === OLD) break;
      await sleep(5);
      s = await statsOf(server.url);
    }
    if (kills < 3 && s.retention.events_pruned < OLD) {
      assert.equal(await server.stop('SIGKILL'), 'SIGKILL');
      kills++;
      // The restart checks the state the kill left.
      continue;
    }
    const rows = await allEventsOver(server.url);
    const s2 = await statsOf(server.url);
    const through = s2.retention.pruned_through_seq;
    assert.equal(s2.retention.events_pruned, OLD, 'every due event is pruned in the end');
    assert.equal(through, OLD);
    assert.deepEqual(
      rows.map((r) => r.event_id),
      Array.from({ length: NEW }, (_, i) => `evt-${OLD + i}`),
      'every event not due is still stored, in order',
    );
    assert.equal(s2.retention.keys_kept, OLD);
    assert.equal(
      s2.retention.bytes_reclaimed,
      bytesOf.reduce((a, b) => a + b, 0),
    );
    assert.equal(s2.unique_processed, OLD + NEW, 'lifetime counters do not move');
    assertInvariant(s2, assert);

    // Everything again: all duplicates, nothing stored twice.
    const all = [...Array.from({ length: OLD }, (_, i) => oldEvent(i)), ...rows.map((_, i) => newEvent(i))];
    await send({
      url: server.url,
      concurrency: 4,
      batches: all.length / BATCH,
      body: (k) => JSON.stringify(all.slice(k * BATCH, (k + 1) * BATCH)),
    });
    const final = await statsOf(server.url);
    assert.equal(final.unique_processed, OLD + NEW);
    assert.equal(final.duplicate_dropped, OLD + NEW);
    assert.equal((await allEventsOver(server.url)).length, NEW);
    break;
  }
  assert.equal(kills, 3, 'killed three times mid-prune');
});

test('after each SIGKILL mid-prune the pruned events are a prefix and the counters match them exactly', async (t) => {
  const dir = tempDir(t);
  const store = new SqliteStore({ dataDir: dir, sync: 'normal' });
  for (let b = 0; b < OLD; b += BATCH) {
    store.insertBatchSync({
      events: prepared(Array.from({ length: BATCH }, (_, i) => oldEvent(b + i))),
      receivedAt: Date.now() - 10 * 86_400_000,
      rejected: 0,
    });
  }
  await store.close();
  const prefixBytes = [0];
  for (let i = 0; i < OLD; i++) prefixBytes.push(prefixBytes[i] + eventBytes(oldEvent(i)));

  for (let round = 0; round < 3; round++) {
    const server = await startServer(['--data-dir', dir, '--retain-days', '1']);
    t.after(() => server.stop('SIGKILL'));
    const start = (await statsOf(server.url)).retention.events_pruned;
    while ((await statsOf(server.url)).retention.events_pruned === start) await sleep(5);
    await server.stop('SIGKILL');

    // Read the state the kill left, with retention off.
    const check = await startServer(['--data-dir', dir]);
    const s = await statsOf(check.url);
    const rows = await allEventsOver(check.url);
    await check.stop('SIGKILL');
    const through = s.retention.pruned_through_seq;
    assert.ok(through > 0 && through < OLD, `killed mid-prune (${through} of ${OLD})`);
    assert.equal(rows.length, OLD - through, 'exactly the pruned prefix is gone');
    assert.equal(rows[0].seq, through + 1);
    assert.deepEqual(
      [s.retention.events_pruned, s.retention.keys_kept, s.retention.bytes_reclaimed],
      [through, through, prefixBytes[through]],
    );
    assert.equal(s.unique_processed, OLD);
  }
});
