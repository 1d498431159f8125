/**
 * Optional per-client rate limit (@fastify/rate-limit): at most `rateLimit`
 * requests per client IP per `rateWindowMs`; one more gets 429 with
 * `Retry-After` (RFC 6585 §4, RFC 9110 §10.2.3) and the usual JSON error body.
 * Off by default (`--rate-limit 0`): the write queue already sheds load with
 * 503, and a limit only makes sense once the deployment's clients are known.
 *
 * Counted before access control, so guessing keys is limited too. Open
 * routes (health probes, the dashboard's static files) are never limited: a
 * load balancer's probe must not be turned away. Behind a proxy every client
 * shares the proxy's address; the counter is per process, not per cluster.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Limits } from '../../config/limits.js';
import { HttpError } from '../errors.js';

type RateLimitOptions = Pick<Limits, 'rateLimit' | 'rateWindowMs'>;

async function rateLimitPolicy(app: FastifyInstance, limits: RateLimitOptions): Promise<void> {
  if (limits.rateLimit <= 0) return;
  await app.register(rateLimit, {
    global: true,
    max: limits.rateLimit,
    timeWindow: limits.rateWindowMs,
    allowList: (request) => request.routeOptions.config.access === 'open',
    errorResponseBuilder: (_request, context) => {
      const seconds = String(Math.max(1, Math.ceil(context.ttl / 1000)));
      return new HttpError(
        'AGG_ERR_RATE_LIMITED',
        `more than ${context.max} requests in ${limits.rateWindowMs} ms; retry in ${seconds} s`,
        undefined,
        { 'retry-after': seconds },
      );
    },
  });
}

export default fp(rateLimitPolicy, {
  name: 'aggregator-rate-limit',
  fastify: '5.x',
  // After CORS (a preflight carries no key and is not counted); before access, so key guessing is limited.
  dependencies: ['aggregator-cors'],
});
