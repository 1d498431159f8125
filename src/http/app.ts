/**
 * The composition root of the HTTP side: buildApp(config, deps) returns the
 * Fastify app without listening, so tests drive it in-process with inject()
 * and the CLI adds listen(). Closing the app drains the writer, then closes
 * the store: nothing accepted is left uncommitted.
 */
import { createRequire } from 'node:module';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Writer } from '../ingest/writer.js';
import { Hub } from '../live/hub.js';
import type { EventStore } from '../store/event-store.js';
import { registerErrorHandling } from './error-handler.js';
import metricsPlugin from './plugins/metrics.js';
import openApiPlugin from './plugins/openapi.js';
import ssePlugin from './plugins/sse.js';
import accessPlugin from './policies/access.js';
import { registerCors } from './policies/cors.js';
import drainingPlugin from './policies/draining.js';
import { registerRateLimit } from './policies/rate-limit.js';
import securityHeaders from './policies/security-headers.js';
import { slowClientOptions } from './policies/slow-clients.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { eventsRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { publishRoutes } from './routes/publish.js';
import { statsRoutes } from './routes/stats.js';
import { subscribeRoutes } from './routes/subscribe.js';

const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string };

export interface AppDeps {
  readonly config: Config;
  readonly store: EventStore;
  readonly writer: Writer;
  readonly logger?: Logger | undefined;
  /** Milliseconds since the epoch; injectable for tests. */
  readonly clock: () => number;
  readonly startedAt: number;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: deps.config.limits.bodyBytes,
    // Per-request logs would dominate the hot path; errors are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: true } },
    ...slowClientOptions(deps.config.limits),
    // draining.ts answers during shutdown instead, in the JSON error format.
    return503OnClosing: false,
  }) as unknown as FastifyInstance;

  registerErrorHandling(app);

  // Cross-cutting, in the order their onRequest hooks must run: headers on every answer,
  // refuse during shutdown, CORS preflights (they carry no key), rate limit (also
  // limits key guessing), then access control, before any body is read.
  await app.register(securityHeaders);
  await app.register(drainingPlugin);
  await registerCors(app, deps.config.corsOrigins);
  await registerRateLimit(app, deps.config.limits);
  await app.register(accessPlugin, deps.config.access);

  // Then the plugins that see every route: OpenAPI collects routes as they are added
  // (so it goes first, to see /metrics too), metrics times every route.
  const hub = await Hub.start(deps.writer, deps.store);
  await app.register(openApiPlugin, { version });
  await app.register(metricsPlugin, { store: deps.store, writer: deps.writer, hub });
  await app.register(ssePlugin, { heartbeatMs: deps.config.sseHeartbeatMs });

  await app.register(publishRoutes, { writer: deps.writer, limits: deps.config.limits });
  await app.register(eventsRoutes, deps);
  await app.register(statsRoutes, deps);
  await app.register(healthRoutes, deps);
  await app.register(subscribeRoutes, { ...deps, hub });
  await app.register(dashboardRoutes);

  // Subscribers wake up and finish before the server waits for in-flight requests.
  app.addHook('preClose', async () => hub.close());

  app.addHook('onClose', async () => {
    await deps.writer.close();
    await deps.store.close();
  });
  return app;
}
