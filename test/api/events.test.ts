/** GET /events paging: walking Link rel="next" yields every event once, in commit order. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allEventsOver, event, publish, startApp, tempDir } from '../support/harness.js';

test('walking Link rel="next" over 2,500 events yields each once, in order', async (t) => {
  const h = await startApp(tempDir(t));
  t.after(() => h.close());
  const topics = ['a', 'b', 'c'];
  for (let batch = 0; batch < 5; batch++) {
    const events = Array.from({ length: 500 }, (_, i) => {
      const n = batch * 500 + i;
      return event(n, { topic: topics[n % 3] });
    });
    assert.equal((await publish(h.app, events)).status, 200);
  }
  const url = await h.app.listen({ host: '127.0.0.1', port: 0 });

  const all = await allEventsOver(url, 'limit=100');
  assert.equal(all.length, 2500);
  assert.deepEqual(
    all.map((e) => e.seq),
    Array.from({ length: 2500 }, (_, i) => i + 1),
  );
  assert.equal(new Set(all.map((e) => `${e.topic}/${e.event_id}`)).size, 2500);

  const onlyB = await allEventsOver(url, 'topic=b&limit=77');
  assert.equal(onlyB.length, 833); // n ≡ 1 (mod 3) for n in 0..2499
  assert.ok(onlyB.every((e) => e.topic === 'b'));
  assert.ok(onlyB.every((e, i) => i === 0 || e.seq > onlyB[i - 1].seq));
});

test('the last page has no Link header; bad paging parameters are 400 naming the field', async (t) => {
  const h = await startApp(tempDir(t));
  t.after(() => h.close());
  await publish(h.app, [event(1), event(2)]);
  const last = await h.app.inject({ method: 'GET', url: '/events?limit=2' });
  assert.equal(last.headers.link, undefined);
  const more = await h.app.inject({ method: 'GET', url: '/events?limit=1' });
  assert.equal(more.headers.link, '</events?after=1&limit=1>; rel="next"');
  for (const [query, field] of [
    ['limit=0', 'limit'],
    ['limit=10001', 'limit'],
    ['after=-1', 'after'],
    ['after=abc', 'after'],
    ['topic=', 'topic'],
  ]) {
    const res = await h.app.inject({ method: 'GET', url: `/events?${query}` });
    assert.equal(res.statusCode, 400, query);
    assert.equal(res.json().error, 'AGG_ERR_BAD_REQUEST');
    assert.equal(res.json().details[0].field, field, query);
  }
});

test("order=desc finds a topic's newest events however far back, paged by before", async (t) => {
  const h = await startApp(tempDir(t));
  t.after(() => h.close());
  await publish(
    h.app,
    Array.from({ length: 12 }, (_, i) => event(i, { topic: 'old.topic' })),
  );
  for (let batch = 0; batch < 6; batch++) {
    const newer = Array.from({ length: 1000 }, (_, i) => event(batch * 1000 + i, { topic: 'busy' }));
    assert.equal((await publish(h.app, newer)).status, 200);
  }
  const url = await h.app.listen({ host: '127.0.0.1', port: 0 });

  const first = await fetch(`${url}/events?topic=old.topic&order=desc&limit=5`);
  const page = (await first.json()) as { seq: number; event_id: string }[];
  assert.deepEqual(
    page.map((e) => e.event_id),
    ['evt-11', 'evt-10', 'evt-9', 'evt-8', 'evt-7'],
  );
  assert.equal(
    first.headers.get('link'),
    `</events?topic=old.topic&order=desc&before=${page[4].seq}&limit=5>; rel="next"`,
  );

  const walked = await allEventsOver(url, 'topic=old.topic&order=desc&limit=5');
  assert.deepEqual(
    walked.map((e) => e.event_id),
    Array.from({ length: 12 }, (_, i) => `evt-${11 - i}`),
  );
  const newestOfAll = (await (await fetch(`${url}/events?order=desc&limit=1`)).json()) as { seq: number }[];
  assert.equal(newestOfAll[0].seq, 6012);

  for (const [query, field] of [
    ['order=desc&after=3', 'after'],
    ['before=3', 'before'],
    ['order=newest', 'order'],
    ['order=desc&before=0', 'before'],
  ]) {
    const res = await fetch(`${url}/events?${query}`);
    assert.equal(res.status, 400, query);
    const body = (await res.json()) as { error: string; details: { field: string }[] };
    assert.equal(body.error, 'AGG_ERR_BAD_REQUEST', query);
    assert.equal(body.details[0].field, field, query);
  }
});
