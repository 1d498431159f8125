/**
 * GET /metrics: valid Prometheus text; after a known load this process's
 * counters equal the load and the store's totals equal /stats.
 * (Replicas on PostgreSQL, whose counters sum to the cluster's: test/scale/replica-metrics.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { event, publish, startApp, stats, tempDir } from '../support/harness.js';
import { parsePrometheus } from '../support/prometheus.js';

async function scrape(app: Awaited<ReturnType<typeof startApp>>['app']) {
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return parsePrometheus(res.body);
}

/** This process's counter, the store's total (label `counter`), and the /stats field they match. */
const counts = [
  ['aggregator_events_received_total', 'received', 'received'],
  ['aggregator_events_stored_total', 'stored', 'unique_processed'],
  ['aggregator_events_duplicates_total', 'duplicates', 'duplicate_dropped'],
  ['aggregator_events_conflicts_total', 'conflicts', 'conflicts'],
  ['aggregator_events_rejected_total', 'rejected', 'rejected'],
] as const;

test('after a known load the counters equal the load and /stats, and histograms count what happened', async (t) => {
  const dir = tempDir(t);
  let h = await startApp(dir);
  t.after(() => h.close());

  // 100 new; then 50 of which 25 repeat earlier keys, 5 of those with a different body; 3 invalid; 1 unreadable.
  assert.equal(
    (
      await publish(
        h.app,
        Array.from({ length: 100 }, (_, i) => event(i)),
      )
    ).status,
    200,
  );
  const second = [
    ...Array.from({ length: 20 }, (_, i) => event(i)),
    ...Array.from({ length: 5 }, (_, i) => event(20 + i, { payload: { changed: true } })),
    ...Array.from({ length: 25 }, (_, i) => event(100 + i)),
  ];
  const res = await publish(h.app, second);
  assert.deepEqual(
    [res.body.unique_processed, res.body.duplicate_dropped, res.body.conflicts.length],
    [25, 25, 5],
  );
  assert.equal((await publish(h.app, [event(1), { topic: '' }, event(2, { timestamp: 'x' })])).status, 422);
  assert.equal((await publish(h.app, '{"topic": ')).status, 400);

  const expected = { received: 150, unique_processed: 125, duplicate_dropped: 25, conflicts: 5, rejected: 4 };
  // The rejected count rides the writer's next commit; wait for it to land in the store and in
  // this process's counter (generous: a loaded CI machine can take seconds).
  const landed = async () =>
    (await stats(h.app)).rejected === 4 &&
    (await scrape(h.app)).value('aggregator_events_rejected_total') === 4;
  for (const deadline = Date.now() + 15_000; Date.now() < deadline && !(await landed()); )
    await new Promise((r) => setTimeout(r, 20));

  const m = await scrape(h.app);
  const s = (await stats(h.app)) as unknown as Record<string, number>;
  assert.equal(m.types.get('aggregator_store_events'), 'gauge');
  for (const [metric, counter, field] of counts) {
    assert.equal(m.types.get(metric), 'counter', `${metric} is a counter`);
    assert.equal(m.value(metric), expected[field], `${metric} == the load's ${field}`);
    const total = m.value('aggregator_store_events', { counter });
    assert.equal(total, s[field], `store total ${counter} == /stats ${field}`);
    assert.equal(total, expected[field]);
  }

  const requests = (status: number) =>
    m.value('aggregator_http_request_duration_seconds_count', {
      method: 'POST',
      route: '/publish',
      status_code: String(status),
    });
  assert.equal(requests(200), 2);
  assert.equal(requests(422), 1);
  assert.equal(requests(400), 1);
  assert.equal(m.types.get('aggregator_http_request_duration_seconds'), 'histogram');
  assert.equal(m.value('aggregator_commit_batch_events_sum'), 150, 'every event went through one commit');
  assert.equal(m.value('aggregator_commit_batch_events_count'), 2);
  assert.ok((m.value('aggregator_commit_duration_seconds_count') ?? 0) >= 2);
  assert.equal(m.value('aggregator_queue_depth_events'), 0);
  assert.equal(m.value('aggregator_sse_subscribers'), 0);
  assert.equal(m.value('aggregator_last_seq'), 125);
  for (const name of [
    'process_resident_memory_bytes',
    'process_cpu_seconds_total',
    'nodejs_heap_size_used_bytes',
  ]) {
    assert.ok(m.value(name) !== undefined, `default metric ${name}`);
  }

  // The store's totals are lifetime: a new process reports them again; its own counters start at 0.
  await h.close();
  h = await startApp(dir);
  const again = await scrape(h.app);
  for (const [metric, counter, field] of counts) {
    assert.equal(again.value('aggregator_store_events', { counter }), expected[field]);
    assert.equal(again.value(metric), 0, `${metric} counts this process only`);
  }
});

test('two apps in one process keep separate registries', async (t) => {
  const a = await startApp(tempDir(t));
  const b = await startApp(tempDir(t));
  t.after(() => Promise.all([a.close(), b.close()]));
  await publish(a.app, [event(1), event(2)]);
  assert.equal((await scrape(a.app)).value('aggregator_events_stored_total'), 2);
  assert.equal((await scrape(b.app)).value('aggregator_events_stored_total'), 0);
  assert.equal((await scrape(b.app)).value('aggregator_store_events', { counter: 'stored' }), 0);
});
