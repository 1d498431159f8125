/**
 * GET /events: stored events in commit (seq) order, paged by `after`, with an
 * RFC 8288 `Link: <…>; rel="next"` while more remain.
 */
import type { FastifyInstance } from 'fastify';
import { storedEventJson } from '../../domain/event.js';
import type { AppDeps } from '../app.js';

export const maxPage = 10_000;

export const eventsQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    topic: { type: 'string', minLength: 1, maxLength: 255, description: 'only this topic' },
    after: {
      type: 'integer',
      minimum: 0,
      default: 0,
      description: 'return events with seq greater than this',
    },
    limit: { type: 'integer', minimum: 1, maximum: maxPage, default: 1000, description: 'page size' },
  },
} as const;

/** A stored event as GET /events and /subscribe return it (documentation; the handler writes JSON text). */
export const storedEventSchema = {
  type: 'object',
  properties: {
    seq: { type: 'integer', description: 'global commit order, increasing' },
    topic: { type: 'string' },
    event_id: { type: 'string' },
    timestamp: { type: 'string', description: 'as sent, unchanged' },
    source: { type: 'string' },
    payload: { type: 'object', additionalProperties: true },
    received_at: { type: 'string', format: 'date-time', description: 'when it was committed' },
  },
} as const;

interface EventsQuery {
  topic?: string;
  after: number;
  limit: number;
}

export async function eventsRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  app.get<{ Querystring: EventsQuery }>(
    '/events',
    {
      schema: {
        summary: 'Stored events in commit order',
        description:
          'Each event exactly as first sent, plus `seq` (global commit order) and `received_at`. ' +
          'Pages with `after` (a seq); a `Link: <...>; rel="next"` header while more remain.',
        tags: ['events'],
        querystring: eventsQuerySchema,
        response: {
          200: {
            description: 'stored events, oldest first',
            type: 'array',
            items: storedEventSchema,
          },
        },
      },
    },
    async (request, reply) => {
      const { topic, after, limit } = request.query;
      // One extra row tells whether a next page exists without a second query.
      const rows = await deps.store.list({ topic, after, limit: limit + 1 });
      const page = rows.length > limit ? rows.slice(0, limit) : rows;
      if (rows.length > limit) {
        const next = new URLSearchParams();
        if (topic !== undefined) next.set('topic', topic);
        next.set('after', String(page[page.length - 1].seq));
        next.set('limit', String(limit));
        reply.header('link', `</events?${next}>; rel="next"`);
      }
      reply.type('application/json; charset=utf-8');
      return `[${page.map(storedEventJson).join(',')}]`;
    },
  );
}
