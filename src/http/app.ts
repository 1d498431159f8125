/**
 * The composition root of the HTTP side: buildApp(deps) returns the Fastify
 * app without listening, so tests drive it in-process with inject() and the
 * CLI adds listen(). Closing the app drains the writer, then closes the
 * store: nothing accepted is left uncommitted.
 *
 * Each plugin declares its name and the plugins it needs before it
 * (fastify-plugin `dependencies`), so Fastify refuses a registration order
 * that would run the request policies' onRequest hooks out of order. Each
 * route gets only the dependencies it uses.
 */
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Writer } from '../ingest/writer.js';
import { Hub } from '../live/hub.js';
import { RateHistory } from '../live/rate-history.js';
import type { NatsState } from '../sources/nats-source.js';
import type { EventStore } from '../store/event-store.js';
import { version } from '../version.js';
import errorHandling from './error-handler.js';
import metrics from './plugins/metrics.js';
import openApi from './plugins/openapi.js';
import sse from './plugins/sse.js';
import access from './policies/access.js';
import cors from './policies/cors.js';
import draining from './policies/draining.js';
import rateLimit from './policies/rate-limit.js';
import securityHeaders from './policies/security-headers.js';
import { slowClientOptions } from './policies/slow-clients.js';
import dashboardRoutes from './routes/dashboard.js';
import eventsRoutes from './routes/events.js';
import healthRoutes from './routes/health.js';
import publishRoutes from './routes/publish.js';
import statsRoutes from './routes/stats.js';
import subscribeRoutes from './routes/subscribe.js';

interface AppDeps {
  readonly config: Config;
  readonly store: EventStore;
  readonly writer: Writer;
  readonly logger: Logger;
  /** Milliseconds since the epoch; injectable for tests. */
  readonly clock: () => number;
  readonly startedAt: number;
  /** The JetStream source's state (for /readyz); undefined when there is none (yet). */
  readonly natsState?: () => NatsState | undefined;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, store, writer } = deps;
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: config.limits.bodyBytes,
    // Per-request logs would dominate the hot path; errors are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: true } },
    ...slowClientOptions(config.limits),
    // policies/draining.ts answers during shutdown instead, in the JSON error format.
    return503OnClosing: false,
  }) as unknown as FastifyInstance;

  await app.register(errorHandling);

  // The request policies (policies/), each depending on the one before it: their
  // onRequest hooks run in this order, before any body is read.
  await app.register(securityHeaders);
  await app.register(draining);
  await app.register(cors, { origins: config.corsOrigins });
  await app.register(rateLimit, config.limits);
  await app.register(access, config.access);

  // Plugins that see every route added after them: OpenAPI collects routes, metrics times them.
  const hub = await Hub.start(writer, store);
  await app.register(openApi, {
    version,
    guarded: { publish: config.access.publishKeys.length > 0, read: config.access.readKeys.length > 0 },
    rateLimited: config.limits.rateLimit > 0,
  });
  await app.register(metrics, { store, writer, hub });
  await app.register(sse, { heartbeatMs: config.sseHeartbeatMs });

  await app.register(publishRoutes, { writer, limits: config.limits, acceptedStatus: config.acceptedStatus });
  await app.register(eventsRoutes, { store });
  const { clock, startedAt } = deps;
  const rates = new RateHistory(clock);
  writer.onCommit((info) => rates.record(info));
  await app.register(statsRoutes, { store, writer, storeKind: config.store, clock, startedAt, rates });
  await app.register(healthRoutes, { store, writer, nats: deps.natsState ?? (() => undefined) });
  await app.register(subscribeRoutes, { store, hub, maxSubscribers: config.limits.maxSubscribers });
  await app.register(dashboardRoutes);

  // Subscribers wake up and finish before the server waits for in-flight requests.
  app.addHook('preClose', async () => hub.close());

  app.addHook('onClose', async () => {
    await writer.close();
    await store.close();
  });
  return app;
}
