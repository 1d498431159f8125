/**
 * The one error handler (every fault → the registry's JSON answer, 5xx
 * logged) and the JSON 404/405 answer for URLs no route matches.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { faultAnswer, HttpError, sendAnswer } from './errors.js';

/**
 * `onRefusedBody` is told when Fastify refused a request body before it was
 * read as events (too large, unknown media type, cut short): the publish
 * route counts that as a refused delivery.
 */
export function errorHandler(onRefusedBody?: () => void) {
  return (err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const answer = faultAnswer(err);
    if (answer.status >= 500) request.log.error({ err }, answer.body.message);
    else if (answer.refusedBody) onRefusedBody?.();
    return sendAnswer(reply, answer);
  };
}

async function errorHandling(app: FastifyInstance): Promise<void> {
  app.setErrorHandler(errorHandler());

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0];
    const allowed = (['GET', 'POST', 'HEAD'] as const).filter((method) =>
      app.hasRoute({ url: path, method }),
    );
    const error =
      allowed.length > 0
        ? new HttpError(
            'AGG_ERR_METHOD_NOT_ALLOWED',
            `${request.method} is not allowed on ${path}`,
            undefined,
            { allow: allowed.join(', ') },
          )
        : new HttpError('AGG_ERR_NOT_FOUND', `no route ${request.method} ${path}`);
    sendAnswer(reply, error.answer);
  });
}

export default fp(errorHandling, { name: 'aggregator-errors', fastify: '5.x' });
