/** /openapi.json is valid OpenAPI 3 and documents every route; /docs works with local assets only. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { FastifyInstance } from 'fastify';
import { eventSchema } from '../../src/domain/event.js';
import { type ErrorCode, errorStatus } from '../../src/http/errors.js';
import { startApp, tempDir } from '../support/harness.js';

/** Routes undocumented on purpose: the Swagger UI itself and the dashboard's static assets. */
const undocumented = [/^\/docs(\/|$)/, /^\/dashboard\//];

/** Every (method, path) the app serves, read from Fastify's route tree. */
function routesOf(app: FastifyInstance): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)(?:[└├]── )(.+?) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1].length / 4;
    stack.length = depth;
    stack.push(m[2]);
    const path = stack.join('').replaceAll('//', '/');
    for (const method of m[3].split(', ')) if (method !== 'HEAD') out.push({ method, path });
  }
  return out;
}

test('/openapi.json is a valid OpenAPI 3 document listing every route', async (t) => {
  const h = await startApp(tempDir(t));
  t.after(() => h.close());
  const res = await h.app.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(res.statusCode, 200);
  const doc = res.json();
  assert.match(doc.openapi, /^3\.\d+\.\d+$/);
  // Throws with the reason when the document breaks the OpenAPI 3 schema or its rules.
  await SwaggerParser.validate(structuredClone(doc));

  const routes = routesOf(h.app);
  assert.ok(routes.length >= 9, `found the routes: ${JSON.stringify(routes)}`);
  for (const { method, path } of routes) {
    if (undocumented.some((r) => r.test(path))) continue;
    const op = doc.paths[path]?.[method.toLowerCase()];
    assert.ok(op, `${method} ${path} is documented`);
    assert.ok(op.summary, `${method} ${path} has a summary`);
  }
  for (const path of [
    '/publish',
    '/events',
    '/stats',
    '/subscribe',
    '/healthz',
    '/readyz',
    '/metrics',
    '/',
  ]) {
    assert.ok(doc.paths[path], `${path} documented`);
  }
});

test('the publish body is documented from the same event schema the handler validates with', async (t) => {
  const h = await startApp(tempDir(t));
  t.after(() => h.close());
  const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  const { $id: _id, ...schema } = eventSchema;
  assert.deepEqual(doc.components.schemas.Event, JSON.parse(JSON.stringify(schema)));
  const body = doc.paths['/publish'].post.requestBody;
  assert.deepEqual(Object.keys(body.content).sort(), ['application/json', 'application/x-ndjson']);
  const shapes = body.content['application/json'].schema.oneOf;
  assert.equal(shapes[0].$ref, '#/components/schemas/Event');
  assert.equal(shapes[1].items.$ref, '#/components/schemas/Event');
  assert.equal(shapes[2].properties.events.items.$ref, '#/components/schemas/Event');
  // Documentation only: the handler's own validation still answers (422 naming index + field, not 400).
  const bad = await h.app.inject({
    method: 'POST',
    url: '/publish',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ events: [{ topic: 'a' }] }),
  });
  assert.equal(bad.statusCode, 422);
  assert.equal(bad.json().details[0].index, 0);
});

test('/docs serves Swagger UI from local assets only', async (t) => {
  const h = await startApp(tempDir(t));
  t.after(() => h.close());
  const page = await h.app.inject({ method: 'GET', url: '/docs' });
  assert.equal(page.statusCode, 200);
  assert.match(String(page.headers['content-type']), /text\/html/);
  const refs = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(refs.length >= 3);
  for (const ref of refs) {
    assert.ok(ref.startsWith('/docs/'), `${ref} is served by this app, not a CDN`);
    assert.equal((await h.app.inject({ method: 'GET', url: ref })).statusCode, 200, ref);
  }
});

type Operation = {
  operationId?: string;
  security?: Record<string, string[]>[];
  responses: Record<string, { description: string; content?: Record<string, { schema: { $ref?: string } }> }>;
};

function operations(doc: { paths: Record<string, Record<string, Operation>> }) {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, path, op })),
  );
}

test('a client can be generated: every operation has a unique operationId and its error answers', async (t) => {
  const h = await startApp(tempDir(t), [
    '--read-key',
    'r-key',
    '--publish-key',
    'p-key',
    '--rate-limit',
    '100',
  ]);
  t.after(() => h.close());
  const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  await SwaggerParser.validate(structuredClone(doc));
  const ops = operations(doc);
  const ids = ops.map(({ name, op }) => {
    assert.match(String(op.operationId), /^[a-z][A-Za-z]+$/, `${name} has an operationId`);
    return op.operationId;
  });
  assert.equal(new Set(ids).size, ids.length, `operationIds are unique: ${ids.join()}`);

  // Every error answer is the one error body, and names codes of the error table with that status.
  for (const { name, op } of ops) {
    for (const [status, res] of Object.entries(op.responses)) {
      if (Number(status) < 400 || name === 'GET /readyz') continue;
      assert.equal(
        res.content?.['application/json'].schema.$ref,
        '#/components/schemas/Error',
        `${name} ${status}`,
      );
      const codes = [...res.description.matchAll(/`(AGG_ERR_\w+)`/g)].map((m) => m[1]);
      assert.ok(codes.length > 0, `${name} ${status} names its codes`);
      for (const code of codes) assert.equal(errorStatus[code as ErrorCode], Number(status), `${code}`);
    }
  }
  assert.deepEqual(doc.components.schemas.Error.properties.error.enum, Object.keys(errorStatus));

  // POST /publish: every status it can answer with keys and a rate limit configured.
  const publishStatuses = Object.keys(doc.paths['/publish'].post.responses).map(Number);
  // 202 is the answer under --accepted-status 202 (the original service's clients).
  assert.deepEqual(publishStatuses, [200, 202, 400, 401, 403, 408, 413, 415, 422, 429, 500, 503, 507]);
});

test('security is documented per route as access control applies it', async (t) => {
  const h = await startApp(tempDir(t), ['--read-key', 'r-key', '--publish-key', 'p-key']);
  t.after(() => h.close());
  const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  const schemes = doc.components.securitySchemes;
  assert.deepEqual(schemes.readKey, { ...schemes.readKey, type: 'http', scheme: 'bearer' });
  assert.deepEqual(schemes.publishKey, { ...schemes.publishKey, type: 'http', scheme: 'bearer' });

  // The access table is what the onRequest hook enforces; the document must say the same.
  for (const { method, url, access } of h.app.accessTable) {
    const op = doc.paths[url]?.[method.toLowerCase()] as Operation | undefined;
    if (op === undefined) continue;
    const want = access === 'open' ? [] : [{ [`${access}Key`]: [] }];
    if (url === '/subscribe') want.push({ readKeyQuery: [] });
    assert.deepEqual(op.security, want, `${method} ${url}`);
    const res = await h.app.inject({
      method: method as 'GET',
      url,
      payload: method === 'POST' ? '{}' : undefined,
    });
    assert.equal(res.statusCode === 401, access !== 'open', `${method} ${url} answers ${res.statusCode}`);
    assert.equal('401' in op.responses, access !== 'open', `${method} ${url} documents 401`);
  }

  // No read key configured: reading is open, and the document says so.
  const open = await startApp(tempDir(t), ['--publish-key', 'p-key']);
  t.after(() => open.close());
  const openDoc = (await open.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  assert.deepEqual(openDoc.paths['/stats'].get.security, []);
  assert.equal('401' in openDoc.paths['/stats'].get.responses, false);
  assert.deepEqual(openDoc.paths['/publish'].post.security, [{ publishKey: [] }]);
});

test('the document has one URL: the Swagger UI copies redirect to /openapi.json', async (t) => {
  const h = await startApp(tempDir(t));
  t.after(() => h.close());
  for (const url of ['/docs/json', '/docs/yaml']) {
    const res = await h.app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 301, url);
    assert.equal(res.headers.location, '/openapi.json', url);
  }
});
