/**
 * GET /healthz: the process is alive (always open, never touches the store).
 * GET /readyz: the store answers and the writer is committing; load balancers
 * should route only to ready replicas.
 */
import type { FastifyInstance } from 'fastify';
import { storeFaultCode } from '../../store/event-store.js';
import type { AppDeps } from '../app.js';

export async function healthRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  // Both stay open: load balancers and orchestrators probe them without credentials,
  // and they reveal nothing but up/ready.
  app.get(
    '/healthz',
    {
      config: { access: 'open' },
      schema: {
        summary: 'Liveness',
        description: 'The process is up. Never touches the store; always open.',
        tags: ['operations'],
        response: { 200: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } } } },
      },
    },
    async () => ({ status: 'ok' }),
  );

  const readiness = {
    type: 'object',
    properties: {
      ready: { type: 'boolean' },
      store: { type: 'string', enum: ['ok', 'unreachable', 'full'] },
      writer: { type: 'string', enum: ['ok', 'failing'] },
    },
  } as const;
  const readySchema = {
    summary: 'Readiness',
    description: 'Ready when the store answers and the writer commits; route traffic only to ready replicas.',
    tags: ['operations'],
    response: { 200: readiness, 503: readiness },
  };

  app.get('/readyz', { config: { access: 'open' }, schema: readySchema }, async (_request, reply) => {
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
    return { ready, store, writer };
  });
}
