/**
 * GET /healthz: the process is alive (always open, never touches the store).
 * GET /readyz: the store answers and the writer is committing; load balancers
 * should route only to ready replicas.
 */
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.js';

export async function healthRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  // Both stay open: load balancers and orchestrators probe them without credentials,
  // and they reveal nothing but up/ready.
  app.get('/healthz', { config: { access: 'open' } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { config: { access: 'open' } }, async (_request, reply) => {
    let store = 'ok';
    try {
      await deps.store.ping();
    } catch {
      store = 'unreachable';
    }
    const writer = deps.writer.healthy ? 'ok' : 'failing';
    const ready = store === 'ok' && writer === 'ok';
    reply.code(ready ? 200 : 503);
    return { ready, store, writer };
  });
}
