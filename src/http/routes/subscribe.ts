/**
 * GET /subscribe: stored events as Server-Sent Events, in commit order, then
 * live. Each frame's `id:` is the event's seq and its `data:` the same JSON
 * object GET /events returns (a structured CloudEvent with `?format=cloudevents`).
 *
 * Where to start: the `Last-Event-ID` header wins over `?after=`. That is what
 * makes EventSource's automatic reconnect correct: the browser reconnects to
 * the SAME url (still carrying the original `?after=`) and adds the id of the
 * last event it received, which is where it must continue.
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#reestablish-the-connection
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { cloudEventJson } from '../../domain/cloudevents.js';
import { storedEventJson } from '../../domain/event.js';
import { follow } from '../../live/follow.js';
import type { Hub } from '../../live/hub.js';
import type { EventStore } from '../../store/event-store.js';
import { HttpError } from '../errors.js';
import { subscribeSchema } from '../schemas.js';

/** Events read from the store per step; also the most a slow subscriber holds in memory. */
const pageSize = 500;

interface SubscribeQuery {
  topic?: string;
  after: number;
  format: 'json' | 'cloudevents';
}

interface SubscribeDeps {
  readonly store: Pick<EventStore, 'list'>;
  readonly hub: Hub;
  /** Open streams before a new one gets 503. */
  readonly maxSubscribers: number;
}

async function subscribeRoutes(app: FastifyInstance, deps: SubscribeDeps): Promise<void> {
  app.get<{ Querystring: SubscribeQuery }>(
    '/subscribe',
    {
      // A HEAD would open a stream with no body that never ends.
      exposeHeadRoute: false,
      // 400: a bad Last-Event-ID; 503: too many streams, or the store fails before the first frame.
      config: { errors: ['AGG_ERR_BAD_REQUEST', 'AGG_ERR_OVERLOADED', 'AGG_ERR_STORE_UNAVAILABLE'] },
      schema: subscribeSchema,
    },
    async (request, reply) => {
      const after = resumeAfter(request);
      if (deps.hub.subscribers >= deps.maxSubscribers) {
        throw new HttpError('AGG_ERR_OVERLOADED', 'too many open subscriptions', undefined, {
          'retry-after': '5',
        });
      }
      const stream = app.sse.open(reply);
      try {
        await follow({
          store: deps.store,
          hub: deps.hub,
          stream,
          topic: request.query.topic,
          after,
          pageSize,
          render: request.query.format === 'cloudevents' ? cloudEventJson : storedEventJson,
        });
      } catch (err) {
        // Headers are gone already; the client reconnects with Last-Event-ID and loses nothing.
        request.log.warn({ err }, 'subscription ended by a store error');
      } finally {
        stream.end();
      }
    },
  );
}

/** The seq to resume after: Last-Event-ID if sent (and not empty), else `?after=`. */
function resumeAfter(request: FastifyRequest<{ Querystring: SubscribeQuery }>): number {
  const header = request.headers['last-event-id'];
  const id = (Array.isArray(header) ? header[0] : header)?.trim();
  if (id === undefined || id === '') return request.query.after;
  if (!/^\d{1,15}$/.test(id)) {
    throw new HttpError(
      'AGG_ERR_BAD_REQUEST',
      'Last-Event-ID must be an event seq (a non-negative integer)',
      [{ field: 'Last-Event-ID', message: 'must be a non-negative integer' }],
    );
  }
  return Number(id);
}

export default fp(subscribeRoutes, {
  name: 'aggregator-subscribe',
  fastify: '5.x',
  encapsulate: true,
  decorators: { fastify: ['sse'] },
  dependencies: ['aggregator-access', 'aggregator-openapi', 'aggregator-sse'],
});
