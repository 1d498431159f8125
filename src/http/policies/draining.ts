/**
 * While the app closes (SIGTERM), a request that still arrives on an open
 * keep-alive connection is refused with 503 AGG_ERR_SHUTTING_DOWN,
 * `Retry-After` and `Connection: close`, so the client retries elsewhere or
 * after the restart. Requests already inside finish normally: the writer
 * commits everything it accepted before the store closes.
 *
 * This replaces Fastify's own `return503OnClosing` answer, whose body has no
 * AGG_ERR code (the app is built with that option off).
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError, retryAfter } from '../errors.js';

async function draining(app: FastifyInstance): Promise<void> {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // A callback hook: on every request, and an async one would cost a promise each.
  app.addHook('onRequest', (_request, reply, done) => {
    if (!closing) return done();
    reply.header('connection', 'close');
    done(new HttpError('AGG_ERR_SHUTTING_DOWN', 'the aggregator is shutting down', undefined, retryAfter));
  });
}

export default fp(draining, {
  name: 'aggregator-draining',
  fastify: '5.x',
  // A refusal during shutdown still carries the security headers.
  dependencies: ['aggregator-security-headers'],
});
