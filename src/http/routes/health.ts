/**
 * GET /healthz: the process is alive (always open, never touches the store).
 * GET /readyz: the store answers and the writer is committing; load balancers
 * should route only to ready replicas. With a JetStream source it also says
 * whether NATS is reachable (`nats`), without making the replica unready:
 * HTTP publishing works without NATS, and an outage of the broker would
 * otherwise take every replica out of the load balancer at once.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Writer } from '../../ingest/writer.js';
import type { NatsState } from '../../sources/nats-source.js';
import { type EventStore, storeFaultCode } from '../../store/event-store.js';
import { healthzSchema, readyzSchema } from '../schemas.js';

interface HealthDeps {
  readonly store: Pick<EventStore, 'ping'>;
  readonly writer: Pick<Writer, 'healthy' | 'recheck'>;
  /** The JetStream source's state; undefined when there is none. */
  readonly nats: () => NatsState | undefined;
}

async function healthRoutes(app: FastifyInstance, deps: HealthDeps): Promise<void> {
  // Both stay open: load balancers and orchestrators probe them without credentials,
  // and they reveal nothing but up/ready.
  app.get('/healthz', { config: { access: 'open' }, schema: healthzSchema }, async () => ({ status: 'ok' }));

  app.get('/readyz', { config: { access: 'open' }, schema: readyzSchema }, async (_request, reply) => {
    let store = 'ok';
    try {
      await deps.store.ping();
    } catch (err) {
      store = storeFaultCode(err) === 'STORE_FULL' ? 'full' : 'unreachable';
    }
    // An unhealthy writer gets one empty commit to show it recovered (no traffic may come to show it).
    const healthy = deps.writer.healthy || (store === 'ok' && (await deps.writer.recheck()));
    const writer = healthy ? 'ok' : 'failing';
    const ready = store === 'ok' && writer === 'ok';
    reply.code(ready ? 200 : 503);
    const nats = deps.nats();
    return nats === undefined ? { ready, store, writer } : { ready, store, writer, nats };
  });
}

export default fp(healthRoutes, {
  name: 'aggregator-health',
  fastify: '5.x',
  encapsulate: true,
  dependencies: ['aggregator-access', 'aggregator-openapi'],
});
