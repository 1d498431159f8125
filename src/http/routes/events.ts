/**
 * GET /events: stored events in commit (seq) order, paged by `after`, or
 * newest first (`order=desc`), paged by `before` — how the dashboard finds a
 * topic's latest events however far back they lie. An RFC 8288
 * `Link: <…>; rel="next"` while more remain. As plain JSON, or as a
 * CloudEvents batch on request (`?format=cloudevents` or Accept).
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { cloudEventJson } from '../../domain/cloudevents.js';
import { storedEventJson } from '../../domain/event.js';
import type { EventStore } from '../../store/event-store.js';
import { HttpError } from '../errors.js';
import { compressResponses } from '../plugins/compression.js';
import { eventsSchema } from '../schemas.js';

interface EventsDeps {
  readonly store: Pick<EventStore, 'list' | 'listNewest'>;
}

interface EventsQuery {
  topic?: string;
  order: 'asc' | 'desc';
  after?: number;
  before?: number;
  limit: number;
  format: 'json' | 'cloudevents';
}

/** The media type of a CloudEvents batch: a client that accepts it reads events as CloudEvents. */
const batchType = 'application/cloudevents-batch+json';

async function eventsRoutes(app: FastifyInstance, deps: EventsDeps): Promise<void> {
  await compressResponses(app);
  app.get<{ Querystring: EventsQuery }>(
    '/events',
    { config: { access: 'read', errors: ['AGG_ERR_STORE_UNAVAILABLE'] }, schema: eventsSchema },
    async (request, reply) => {
      const { topic, order, after, before, limit } = request.query;
      const newest = order === 'desc';
      const cursor = newest ? 'before' : 'after';
      const stray = newest
        ? after === undefined
          ? undefined
          : 'after'
        : before === undefined
          ? undefined
          : 'before';
      if (stray !== undefined) {
        const message = `${stray} does not apply to order=${order}; page with ${cursor}`;
        throw new HttpError('AGG_ERR_BAD_REQUEST', `invalid querystring: ${message}`, [
          { field: stray, message },
        ]);
      }
      const cloudEvents =
        request.query.format === 'cloudevents' || request.headers.accept?.includes(batchType);
      // One extra row tells whether a next page exists without a second query.
      const rows = newest
        ? await deps.store.listNewest({ topic, before, limit: limit + 1 })
        : await deps.store.list({ topic, after: after ?? 0, limit: limit + 1 });
      const page = rows.length > limit ? rows.slice(0, limit) : rows;
      if (rows.length > limit) {
        const next = new URLSearchParams();
        if (topic !== undefined) next.set('topic', topic);
        if (newest) next.set('order', 'desc');
        next.set(cursor, String(page[page.length - 1].seq));
        next.set('limit', String(limit));
        if (request.query.format === 'cloudevents') next.set('format', 'cloudevents');
        reply.header('link', `</events?${next}>; rel="next"`);
      }
      if (cloudEvents) {
        reply.type(`${batchType}; charset=utf-8`);
        return `[${page.map(cloudEventJson).join(',')}]`;
      }
      reply.type('application/json; charset=utf-8');
      return `[${page.map(storedEventJson).join(',')}]`;
    },
  );
}

export default fp(eventsRoutes, {
  name: 'aggregator-events',
  fastify: '5.x',
  encapsulate: true,
  dependencies: ['aggregator-access', 'aggregator-openapi'],
});
