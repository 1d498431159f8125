/** /openapi.json is valid OpenAPI 3 and documents every route; /docs works with local assets only. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { FastifyInstance } from 'fastify';
import { eventSchema } from '../../src/domain/event.js';
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
