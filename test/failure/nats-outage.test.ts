/**
 * A NATS outage during consumption: the nats-server (a private one, on its
 * own port and directory) is stopped while a replica drains a stream, and
 * started again. The source reconnects by itself, /readyz names NATS as
 * unreachable meanwhile (HTTP publishing goes on), and afterwards every
 * unique event is stored exactly once and every message is acknowledged.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AckPolicy, connect } from 'nats';
import { request } from 'undici';
import { LoadPlan } from '../../src/loadgen/load-plan.js';
import { allEventsOver, assertInvariant, event } from '../support/harness.js';
import { privateNats, privateNatsSkip } from '../support/private-nats.js';
import { keyCounts, sharedStats, startReplica } from '../support/replicas.js';
import { untilServed } from '../support/served.js';
import { freshDatabase, lifo, postgresGate } from '../support/services.js';

const pg = await postgresGate();

async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 60_000,
  everyMs = 50,
) {
  for (const deadline = Date.now() + timeoutMs; !(await check()); await sleep(everyMs)) {
    assert.ok(Date.now() < deadline, `timed out waiting until ${what}`);
  }
}

async function readyz(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await request(`${url}/readyz`);
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
}

for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
  test(`NATS stopped (${signal}) mid-consumption and started again: reconnects by itself, /readyz names NATS, nothing lost or doubled`, {
    skip: pg.skip || privateNatsSkip,
  }, async (t) => {
    const c = lifo(t);
    const db = await freshDatabase(c, pg);
    const nats = await privateNats(c);
    // The test's own connection reconnects too, to publish and inspect after the outage.
    const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    c.after(() => nc.close());
    const jsm = await nc.jetstreamManager();
    const js = nc.jetstream();
    await jsm.streams.add({ name: 'OUTAGE', subjects: ['outage.>'] });
    // A short ack wait, as an operator would set: messages in flight when NATS went away come back soon.
    await jsm.consumers.add('OUTAGE', {
      durable_name: 'agg',
      ack_policy: AckPolicy.Explicit,
      ack_wait: 3_000 * 1_000_000,
      max_ack_pending: 20_000,
    });
    const flags = ['--nats-url', nats.url, '--nats-stream', 'OUTAGE', '--nats-subject', 'outage.>'];
    const plan = (events: number, runId: string) =>
      new LoadPlan({ events, dupRate: 0.2, batch: 1, topics: 4, runId: `${runId}-${signal}` });
    const before = plan(20_000, 'before');
    const after = plan(2_000, 'after');
    const publishAll = async (p: LoadPlan) => {
      for (let k = 0; k < p.batches; k += 1000) {
        const chunk = Array.from({ length: Math.min(1000, p.batches - k) }, (_, i) => k + i);
        // A generous ack timeout: right after a restart JetStream may still be recovering the stream.
        await Promise.all(chunk.map((i) => js.publish(`outage.${i % 4}`, p.body(i), { timeout: 30_000 })));
      }
    };
    // A backlog first, then the replica: it is draining the backlog when NATS goes away.
    await publishAll(before);
    const replica = await startReplica(c, db, 'outage', [...flags, '--nats-durable', 'agg']);
    const ok = { ready: true, store: 'ok', writer: 'ok', nats: 'ok' };
    assert.deepEqual((await readyz(replica.url)).body, ok);

    await until(
      async () => (await sharedStats(replica.url)).received >= 1_000,
      'consumption is under way',
      60_000,
      5,
    );
    await nats.stop(signal);
    const atStop = (await sharedStats(replica.url)).received;
    t.diagnostic(`NATS stopped with ${atStop} of ${before.options.events} deliveries committed`);
    assert.ok(atStop < before.options.events, 'stopped mid-consumption');

    // While it is away: /readyz names NATS; HTTP publishing still works, so the replica stays ready.
    await until(async () => (await readyz(replica.url)).body.nats === 'unreachable', '/readyz names NATS');
    const away = await readyz(replica.url);
    assert.deepEqual(
      [away.status, away.body],
      [200, { ready: true, store: 'ok', writer: 'ok', nats: 'unreachable' }],
    );
    const http = await request(`${replica.url}/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event(1, { topic: 'over-http' })),
    });
    assert.equal(http.statusCode, 200, 'HTTP publishing goes on during the outage');
    await http.body.dump();

    await sleep(1_500); // a few of the source's reconnect attempts fail
    await nats.start();
    await until(async () => (await readyz(replica.url)).body.nats === 'ok', '/readyz says NATS is back');
    // After SIGKILL the server rebuilds the stream from its files before JetStream answers again.
    const streamBack = () =>
      jsm.streams.info('OUTAGE').then(
        () => true,
        () => false,
      );
    await until(streamBack, 'JetStream serves the stream again');
    // New messages after the outage are consumed too.
    await publishAll(after);

    await until(async () => {
      const info = await jsm.consumers.info('OUTAGE', 'agg');
      return info.num_pending === 0 && info.num_ack_pending === 0;
    }, 'every message is acknowledged');
    const stats = await sharedStats(replica.url);
    assert.equal(stats.unique_processed, before.unique + after.unique + 1, 'every unique event stored');
    assert.ok(
      stats.received >= before.options.events + after.options.events + 1,
      'every delivery counted; redeliveries after the outage as duplicates',
    );
    assertInvariant(stats, assert);
    const rows = await untilServed(() => allEventsOver(replica.url), stats.unique_processed);
    assert.equal(rows.length, stats.unique_processed);
    assert.ok(
      [...keyCounts(rows).values()].every((n) => n === 1),
      'no event stored twice',
    );
    const logs = replica.logs.join('\n');
    assert.equal(logs.match(/NATS at \S+ unreachable/g)?.length, 1, 'the outage is logged once');
    assert.equal(logs.match(/NATS reconnected/g)?.length, 1, 'so is the recovery');
    const warnings = replica.logs.filter((l) => l.includes('"level":40')).map((l) => JSON.parse(l).msg);
    t.diagnostic(`warnings: ${warnings.join(' | ')}`);
    t.diagnostic(
      `${stats.received - stats.unique_processed - (before.duplicates + after.duplicates)} redeliveries answered as duplicates`,
    );
    assert.equal(await replica.stop('SIGTERM'), 0, 'a clean stop after the outage');
  });
}
