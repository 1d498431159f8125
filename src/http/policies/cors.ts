/**
 * CORS: off unless origins are configured (`--cors-origin`). Browsers then may
 * call the API from those origins with a Bearer key; no cookies are used, so
 * credentials stay off (and `*` is safe to allow for a public read API).
 * Registered before access control: a preflight carries no Authorization
 * header and is answered by @fastify/cors in its own onRequest hook.
 * @see https://fetch.spec.whatwg.org/#http-cors-protocol
 */
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

interface CorsOptions {
  /** Empty: CORS off; `*`: any origin. */
  readonly origins: readonly string[];
}

async function corsPolicy(app: FastifyInstance, { origins }: CorsOptions): Promise<void> {
  if (origins.length === 0) return;
  await app.register(cors, {
    origin: origins.includes('*') ? '*' : [...origins],
    methods: ['GET', 'HEAD', 'POST'],
    allowedHeaders: ['authorization', 'content-type', 'last-event-id'],
    // Pagination, retry advice and the auth challenge must be readable by the calling page.
    exposedHeaders: ['link', 'retry-after', 'www-authenticate'],
    credentials: false,
    maxAge: 600,
  });
}

export default fp(corsPolicy, {
  name: 'aggregator-cors',
  fastify: '5.x',
  // After draining (a closing server answers preflights with 503 too); before rate limit and access.
  dependencies: ['aggregator-draining'],
});
