/**
 * The composition root of the HTTP side: buildApp(config, deps) returns the
 * Fastify app without listening, so tests drive it in-process with inject()
 * and the CLI adds listen(). Closing the app drains the writer, then closes
 * the store: nothing accepted is left uncommitted.
 */
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Writer } from '../ingest/writer.js';
import type { EventStore } from '../store/event-store.js';
import accessPlugin from './access.js';
import { registerCors } from './cors.js';
import drainingPlugin from './draining.js';
import { registerErrorHandling } from './errors.js';
import { registerRateLimit } from './rate-limit.js';
import { eventsRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { publishRoutes } from './routes/publish.js';
import { statsRoutes } from './routes/stats.js';
import securityHeaders from './security-headers.js';
import { slowClientOptions } from './slow-clients.js';

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

  await app.register(publishRoutes, deps);
  await app.register(eventsRoutes, deps);
  await app.register(statsRoutes, deps);
  await app.register(healthRoutes, deps);

  app.addHook('onClose', async () => {
    await deps.writer.close();
    await deps.store.close();
  });
  return app;
}
