/**
 * CloudEvents 1.0 over HTTP on POST /publish: structured, batched and binary
 * modes; one CloudEvent (same source and id) counts once across every mode,
 * compressed or not, and as plain JSON; the documented mapping (missing time,
 * non-object data, extension attributes); validation errors naming the
 * CloudEvents attribute; and reading back as CloudEvents from GET /events and
 * /subscribe — exactly what was sent.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  assertInvariant,
  getJson,
  type Harness,
  makeTempDir,
  removeDir,
  startApp,
  stats,
} from '../support/harness.js';
import { SseClient } from '../support/sse-client.js';

type CloudEvent = Record<string, unknown>;

const structured = { 'content-type': 'application/cloudevents+json' };
const batched = { 'content-type': 'application/cloudevents-batch+json' };

/** The binary-mode request of a CloudEvent with JSON (or no) data: attributes as ce-* headers. */
function binary(ce: CloudEvent): { headers: Record<string, string>; payload?: string } {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(ce)) {
    if (name !== 'data') headers[`ce-${name}`] = encodeURIComponent(String(value));
  }
  if (ce.data === undefined) return { headers };
  return { headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify(ce.data) };
}

describe('CloudEvents', () => {
  let h: Harness;
  let base: string;
  const dir = makeTempDir();
  before(async () => {
    h = await startApp(dir);
    base = await h.app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await h.close();
    removeDir(dir);
  });

  const post = async (headers: Record<string, string>, payload?: string | Buffer) => {
    const res = await h.app.inject({ method: 'POST', url: '/publish', headers, payload });
    return { status: res.statusCode, headers: res.headers, body: res.json() };
  };
  const readBack = async (type: string): Promise<CloudEvent[]> =>
    getJson<CloudEvent[]>(h.app, `/events?format=cloudevents&topic=${encodeURIComponent(type)}`);

  const order = (id: string, extra: CloudEvent = {}): CloudEvent => ({
    specversion: '1.0',
    type: 'com.example.order.created',
    source: 'https://shop.example.com/checkout',
    id,
    time: '2026-11-25T10:00:00Z',
    data: { order: 42, total: 19.9 },
    ...extra,
  });

  test('one CloudEvent in all three modes, compressed, and as plain JSON: stored once', async () => {
    const ce = order('A-1');
    const first = await post(structured, JSON.stringify(ce));
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual([first.body.unique_processed, first.body.duplicate_dropped], [1, 0]);

    const again = await post(batched, JSON.stringify([ce, order('A-2'), ce]));
    assert.deepEqual(again.body, {
      received: 3,
      unique_processed: 1,
      duplicate_dropped: 2,
      duplicates: [0, 2],
      conflicts: [],
    });
    const { headers, payload } = binary(ce);
    const bin = await post(headers, payload);
    assert.deepEqual([bin.status, bin.body.duplicates, bin.body.conflicts], [200, [0], []]);
    const gz = await post({ ...structured, 'content-encoding': 'gzip' }, gzipSync(JSON.stringify(ce)));
    assert.deepEqual(gz.body.duplicates, [0]);
    // The same event published as plain JSON under the documented mapping.
    const plain = await post(
      { 'content-type': 'application/json' },
      JSON.stringify({
        topic: ce.type,
        event_id: `${ce.source} ${ce.id}`,
        timestamp: ce.time,
        source: ce.source,
        payload: ce.data,
      }),
    );
    assert.deepEqual([plain.body.duplicates, plain.body.conflicts], [[0], []]);

    const rows = await readBack('com.example.order.created');
    assert.deepEqual(rows, [ce, order('A-2')]);
    assertInvariant(await stats(h.app), assert);
  });

  test('the dedup key follows CloudEvents: source + id; the same id from another source is another event', async () => {
    const a = order('7', { type: 'ce.key', source: '/sensors/a' });
    const b = order('7', { type: 'ce.key', source: '/sensors/b' });
    const res = await post(batched, JSON.stringify([a, b, a]));
    assert.deepEqual(res.body.duplicates, [2]);
    const [plain] = await getJson<{ event_id: string; source: string }[]>(h.app, '/events?topic=ce.key');
    assert.deepEqual([plain.event_id, plain.source], ['/sensors/a 7', '/sensors/a']);
  });

  test('decisions: missing time, non-object data, data_base64, extensions — all read back as sent', async () => {
    const sent: CloudEvent[] = [
      { specversion: '1.0', type: 'ce.shapes', source: '/s', id: 'no-time', data: { a: 1 } },
      { specversion: '1.0', type: 'ce.shapes', source: '/s', id: 'string', data: 'hello' },
      { specversion: '1.0', type: 'ce.shapes', source: '/s', id: 'array', data: [1, 2] },
      { specversion: '1.0', type: 'ce.shapes', source: '/s', id: 'null', data: null },
      { specversion: '1.0', type: 'ce.shapes', source: '/s', id: 'number', data: 3.5 },
      { specversion: '1.0', type: 'ce.shapes', source: '/s', id: 'no-data' },
      {
        specversion: '1.0',
        type: 'ce.shapes',
        source: '/s',
        id: 'b64',
        datacontenttype: 'image/png',
        data_base64: 'iVBORw0KGgo=',
      },
      { specversion: '1.0', type: 'ce.shapes', source: '/s', id: 'reserved', data: { $data: 1, $ce: 2 } },
      {
        specversion: '1.0',
        type: 'ce.shapes',
        source: '/s',
        id: 'ext',
        subject: 'order/42',
        dataschema: 'https://example.com/schema',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        priority: 3,
        urgent: true,
        data: { ok: true },
      },
    ];
    const res = await post(batched, JSON.stringify(sent));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(await readBack('ce.shapes'), sent);

    // How they look to a plain JSON reader: the documented payloads.
    const rows = await getJson<{ event_id: string; timestamp: string; payload: unknown }[]>(
      h.app,
      '/events?topic=ce.shapes',
    );
    const byId = new Map(rows.map((r) => [r.event_id.slice(3), r]));
    assert.equal(byId.get('no-time')?.timestamp, '1970-01-01T00:00:00Z');
    assert.deepEqual(byId.get('string')?.payload, { $data: 'hello' });
    assert.deepEqual(byId.get('no-data')?.payload, {});
    assert.deepEqual(byId.get('b64')?.payload, {
      $data_base64: 'iVBORw0KGgo=',
      $ce: { datacontenttype: 'image/png' },
    });
    assert.deepEqual(byId.get('ext')?.payload, {
      ok: true,
      $ce: {
        subject: 'order/42',
        dataschema: 'https://example.com/schema',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        priority: 3,
        urgent: true,
      },
    });
    // A redelivery without time is a duplicate, not a conflict: the missing time maps to the same value.
    const again = await post(structured, JSON.stringify(sent[0]));
    assert.deepEqual([again.body.duplicates, again.body.conflicts], [[0], []]);
  });

  test('binary mode: text and bytes become data; percent-encoded attributes; no body is no data', async () => {
    const attrs = { 'ce-specversion': '1.0', 'ce-type': 'ce.binary', 'ce-source': '/b' };
    const text = await post({ ...attrs, 'ce-id': '1', 'content-type': 'text/plain' }, 'hello, world');
    assert.equal(text.status, 200, JSON.stringify(text.body));
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    await post({ ...attrs, 'ce-id': '2', 'content-type': 'application/octet-stream' }, bytes);
    await post({ ...attrs, 'ce-id': '3', 'ce-subject': encodeURIComponent('café 100%') });
    assert.deepEqual(await readBack('ce.binary'), [
      {
        specversion: '1.0',
        id: '1',
        source: '/b',
        type: 'ce.binary',
        datacontenttype: 'text/plain',
        data: 'hello, world',
      },
      {
        specversion: '1.0',
        id: '2',
        source: '/b',
        type: 'ce.binary',
        datacontenttype: 'application/octet-stream',
        data_base64: bytes.toString('base64'),
      },
      { specversion: '1.0', id: '3', source: '/b', type: 'ce.binary', subject: 'café 100%' },
    ]);
    // A structured redelivery of the text event is a duplicate with the same body.
    const same = await post(
      structured,
      JSON.stringify({
        specversion: '1.0',
        id: '1',
        source: '/b',
        type: 'ce.binary',
        datacontenttype: 'text/plain',
        data: 'hello, world',
      }),
    );
    assert.deepEqual([same.body.duplicates, same.body.conflicts], [[0], []]);
  });

  test('validation errors name the CloudEvents attribute; nothing of the request is stored', async () => {
    const before = await stats(h.app);
    const bad = (extra: CloudEvent, drop?: string) => {
      const ce = order('bad', { type: 'ce.bad', ...extra });
      if (drop) delete ce[drop];
      return ce;
    };
    const res = await post(
      batched,
      JSON.stringify([
        order('fine', { type: 'ce.bad' }),
        bad({}, 'specversion'),
        bad({ specversion: '0.3' }),
        bad({}, 'id'),
        bad({ source: 'has a space' }),
        bad({ time: 'yesterday' }),
        bad({ type: 'x'.repeat(300) }),
        bad({ data: { pad: 'x'.repeat(70_000) } }),
        bad({ 'Bad-Name': 1 }),
        bad({ data_base64: 'AAAA' }),
      ]),
    );
    assert.equal(res.status, 422);
    assert.equal(res.body.error, 'AGG_ERR_VALIDATION');
    assert.deepEqual(
      res.body.details.map((d: { index: number; field: string }) => `${d.index}:${d.field}`),
      ['1:specversion', '2:specversion', '3:id', '4:source', '8:Bad-Name', '9:data_base64'],
    );
    // Attribute rules pass, the event's own rules do not: still named as CloudEvents attributes.
    const ours = await post(
      batched,
      JSON.stringify([
        bad({ time: 'yesterday' }),
        bad({ type: 'x'.repeat(300) }),
        bad({ data: { pad: 'x'.repeat(70_000) } }),
      ]),
    );
    assert.deepEqual(
      ours.body.details.map((d: { index: number; field: string }) => `${d.index}:${d.field}`),
      ['0:time', '1:type', '2:data'],
    );
    const missing = await post(
      { 'ce-specversion': '1.0', 'ce-id': 'x', 'content-type': 'application/json' },
      '{}',
    );
    assert.deepEqual(
      missing.body.details.map((d: { field: string }) => d.field),
      ['source', 'type'],
    );
    const notBatch = await post(batched, JSON.stringify(order('x')));
    assert.equal(notBatch.status, 400);
    assert.match(notBatch.body.message, /batch must be a JSON array/);
    const after = await stats(h.app);
    assert.equal(after.received, before.received);
  });

  test('a media type nothing reads is still a 415 naming the accepted ones', async () => {
    const res = await post({ 'content-type': 'text/plain' }, 'hello');
    assert.equal(res.status, 415);
    assert.match(String(res.headers['accept-post']), /application\/cloudevents\+json/);
  });

  test('GET /events answers a CloudEvents batch on Accept; /subscribe?format=cloudevents streams them', async () => {
    await post(structured, JSON.stringify(order('S-1', { type: 'ce.read' })));
    const res = await h.app.inject({
      method: 'GET',
      url: '/events?topic=ce.read',
      headers: { accept: 'application/cloudevents-batch+json' },
    });
    assert.match(String(res.headers['content-type']), /^application\/cloudevents-batch\+json/);
    assert.deepEqual(res.json(), [order('S-1', { type: 'ce.read' })]);

    const sub = await SseClient.connect(`${base}/subscribe?topic=ce.read&format=cloudevents`);
    try {
      const [frame] = await sub.waitFor(1);
      assert.deepEqual(JSON.parse(frame.data), order('S-1', { type: 'ce.read' }));
    } finally {
      sub.close();
    }
  });
});
