/**
 * Registration order is checked, not commented: each plugin names the plugins
 * it needs before it (fastify-plugin `dependencies`), so an app that would run
 * the request policies out of order, or a route before access control and
 * OpenAPI, does not start.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import errorHandling from '../../src/http/error-handler.js';
import access from '../../src/http/policies/access.js';
import draining from '../../src/http/policies/draining.js';
import securityHeaders from '../../src/http/policies/security-headers.js';
import eventsRoutes from '../../src/http/routes/events.js';

const missing = (dependency: string) => ({
  code: 'FST_ERR_PLUGIN_DEPENDENCY_NOT_REGISTERED',
  message: new RegExp(`'${dependency}'`),
});

test('access control registered before the rate limit (and the policies before it) is refused', async (t) => {
  const app = Fastify();
  t.after(() => app.close());
  await assert.rejects(async () => {
    await app.register(access, { publishKeys: [], readKeys: [] });
  }, missing('aggregator-rate-limit'));
});

test('a route registered before access control is refused', async (t) => {
  const app = Fastify();
  t.after(() => app.close());
  await app.register(errorHandling);
  await app.register(securityHeaders);
  await app.register(draining);
  await assert.rejects(async () => {
    await app.register(eventsRoutes, { store: { list: async () => [], listNewest: async () => [] } });
  }, missing('aggregator-access'));
});
