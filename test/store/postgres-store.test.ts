/**
 * The PostgreSQL store: the shared contract, then what only a shared database
 * has — concurrent replicas (dedup, counters, paging order), commit
 * notifications between processes, concurrent schema creation, and outages.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Event } from '../../src/domain/event.js';
import { StoreUnavailableError } from '../../src/store/event-store.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { event, prepared } from '../support/harness.js';
import { allowConnections, freshDatabase, postgresGate, terminateConnections } from '../support/services.js';
import { storeContract } from '../support/store-contract.js';

const pg = await postgresGate();

storeContract('PostgresStore', {
  skip: pg.skip,
  fixture: async (t) => {
    const db = await freshDatabase(t, pg);
    return { open: (instance = 'contract') => PostgresStore.open({ url: db.url, instanceId: instance }) };
  },
});

const batch = (events: Event[], receivedAt = Date.now()) => ({
  events: prepared(events),
  receivedAt,
  rejected: 0,
});

/** Opens `n` stores on one database, as `n` replicas would; closed when the test ends. */
async function replicas(t: Parameters<typeof freshDatabase>[0], n: number) {
  const db = await freshDatabase(t, pg);
  const stores = await Promise.all(
    Array.from({ length: n }, (_, i) => PostgresStore.open({ url: db.url, instanceId: `replica-${i}` })),
  );
  t.after(() => Promise.all(stores.map((s) => s.close())).then(() => {}));
  return { db, stores };
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('PostgreSQL replicas on one database', { skip: pg.skip }, () => {
  test('replicas starting at once create the schema once and all open', async (t) => {
    const { stores } = await replicas(t, 5);
    await stores[0].insertBatch(batch([event(1)]));
    for (const s of stores) assert.equal((await s.stats()).unique_processed, 1);
  });

  test('the same keys inserted through two replicas at once are stored once; counters sum exactly', async (t) => {
    const { stores } = await replicas(t, 2);
    const events = Array.from({ length: 2000 }, (_, i) => event(i, { topic: `t${i % 3}` }));
    const results = await Promise.all(
      stores.flatMap((s) =>
        Array.from({ length: 20 }, (_, k) => s.insertBatch(batch(events.slice(k * 100, k * 100 + 100)))),
      ),
    );
    const stored = results.flatMap((r) => r.outcomes).filter((o) => o === 'stored').length;
    assert.equal(stored, 2000);
    for (const s of stores) {
      const st = await s.stats();
      assert.deepEqual([st.received, st.unique_processed, st.duplicate_dropped], [4000, 2000, 2000]);
    }
    assert.deepEqual(await stores[0].stats(), await stores[1].stats());
  });

  test('a reader paging by after= while three replicas commit never skips an event', async (t) => {
    const { stores } = await replicas(t, 4);
    const [reader, ...writers] = stores;
    let writing = true;
    const seen: number[] = [];
    const keys = new Set<string>();
    const read = async () => {
      let after = 0;
      for (let idle = 0; idle < 2; ) {
        const page = await reader.list({ after, limit: 500 });
        if (page.length === 0) {
          if (!writing) idle++;
          await sleep(1);
          continue;
        }
        for (const r of page) {
          seen.push(r.seq);
          keys.add(r.event_id);
        }
        after = page[page.length - 1].seq;
      }
    };
    const write = async (w: number) => {
      for (let k = 0; k < 60; k++) {
        await writers[w].insertBatch(
          batch(Array.from({ length: 10 }, (_, i) => event(w * 100_000 + k * 10 + i))),
        );
      }
    };
    const reading = read();
    await Promise.all(writers.map((_, w) => write(w)));
    writing = false;
    await reading;
    assert.equal(keys.size, 3 * 60 * 10, 'the reader saw every event');
    assert.equal(seen.length, keys.size, 'and each once');
    assert.ok(
      seen.every((s, i) => i === 0 || s > seen[i - 1]),
      'in increasing seq order',
    );
  });

  test('watch: another replica’s commits are announced once readable, as increasing seqs', async (t) => {
    const { stores } = await replicas(t, 2);
    const [a, b] = stores;
    const heard: number[] = [];
    const stop = a.watch((seq) => heard.push(seq));
    t.after(stop);
    await until(() => a.watching, 'LISTEN');
    await a.insertBatch(batch([event(1)]));
    const fromB = await b.insertBatch(batch([event(2), event(3)]));
    await until(() => heard.includes(fromB.lastSeq), 'a notification');
    await b.insertBatch(batch([event(2)])); // only a duplicate: nothing new, no announcement
    const again = await b.insertBatch(batch([event(4)]));
    await until(() => heard.includes(again.lastSeq), 'a second notification');
    // Announcements are the readable watermark: a transaction elsewhere on the server may hold
    // some back for a moment, so an intermediate value can come first — never a decrease.
    assert.ok(
      heard.every((s, i) => i === 0 || s > heard[i - 1]),
      String(heard),
    );
    assert.equal(heard.at(-1), again.lastSeq);
  });

  test('watch: after its connection is killed it reconnects and reports the current seq', async (t) => {
    const { db, stores } = await replicas(t, 2);
    const [a, b] = stores;
    const heard: number[] = [];
    t.after(a.watch((seq) => heard.push(seq)));
    await until(() => a.watching, 'LISTEN');
    const { lastSeq } = await a.insertBatch(batch([event(1)]));
    assert.ok((await terminateConnections(db)) > 0);
    await until(() => heard.length > 0, 'the catch-up call after reconnecting');
    assert.equal(heard[0], lastSeq);
    await until(() => a.watching, 'LISTEN again');
    const next = await b.insertBatch(batch([event(2)]));
    await until(() => heard.includes(next.lastSeq), 'a notification after reconnecting');
  });
});

describe('PostgreSQL outages', { skip: pg.skip }, () => {
  test('an unreachable database: StoreUnavailableError meanwhile, nothing half-written, recovery by itself', async (t) => {
    const { db, stores } = await replicas(t, 1);
    const [store] = stores;
    await store.insertBatch(batch([event(1)]));
    await allowConnections(db, false);
    await assert.rejects(store.ping(), StoreUnavailableError);
    await assert.rejects(store.insertBatch(batch([event(2), event(3)])), StoreUnavailableError);
    await assert.rejects(store.stats(), StoreUnavailableError);
    await allowConnections(db, true);
    await store.ping();
    assert.equal((await store.stats()).unique_processed, 1, 'nothing of the failed batch was stored');
    const retry = await store.insertBatch(batch([event(2), event(3)]));
    assert.deepEqual(retry.outcomes, ['stored', 'stored']);
  });

  test('connections terminated between commits: the next commit reconnects', async (t) => {
    const { db, stores } = await replicas(t, 1);
    const [store] = stores;
    await store.insertBatch(batch([event(1)]));
    await terminateConnections(db);
    // The pool may hand out a connection that died while idle: that commit fails as unavailable, the next works.
    const attempt = () => store.insertBatch(batch([event(2)]));
    const outcome = await attempt().catch((err) => {
      assert.ok(err instanceof StoreUnavailableError, String(err));
      return attempt();
    });
    assert.deepEqual(outcome.outcomes, ['stored']);
  });

  test('opening an unreachable database fails with the location, without the password', async () => {
    pg.require();
    await assert.rejects(
      PostgresStore.open({ url: 'postgres://agg:secret@127.0.0.1:1/none', instanceId: 'x' }),
      (err: Error) => {
        assert.match(err.message, /cannot open PostgreSQL at postgres:\/\/127\.0\.0\.1:1\/none/);
        assert.doesNotMatch(err.message, /secret/);
        return true;
      },
    );
  });
});
