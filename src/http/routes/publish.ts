/**
 * POST /publish: one event, an array of events, `{"events": [...]}` (JSON) or
 * NDJSON. All or nothing per request; answered only after commit (SPEC).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { summarize } from '../../domain/outcome.js';
import { parseJson, parseNdjson } from '../../ingest/json-body.js';
import { eventList, prepareEvents } from '../../ingest/validate.js';
import type { AppDeps } from '../app.js';

const indexes = { type: 'array', items: { type: 'integer' } } as const;

export const publishResponseSchema = {
  type: 'object',
  required: ['received', 'unique_processed', 'duplicate_dropped', 'duplicates', 'conflicts'],
  properties: {
    received: { type: 'integer', description: 'events in this request' },
    unique_processed: { type: 'integer', description: 'events stored by this request' },
    duplicate_dropped: { type: 'integer', description: 'events of this request already stored' },
    duplicates: { ...indexes, description: 'indexes (in the request) of the duplicates' },
    conflicts: { ...indexes, description: 'indexes of duplicates whose body differs from the stored event' },
  },
} as const;

export const ndjsonTypes = ['application/x-ndjson', 'application/ndjson'];

export async function publishRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  // Parsers are scoped to this plugin; a thrown MalformedJsonError becomes a 400 in the error handler.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string' },
    async (_request: FastifyRequest, body: string | Buffer) => parseJson(body as string),
  );
  app.addContentTypeParser(
    ndjsonTypes,
    { parseAs: 'string' },
    async (_request: FastifyRequest, body: string | Buffer) => parseNdjson(body as string),
  );

  app.post('/publish', { schema: { response: { 200: publishResponseSchema } } }, async (request) => {
    const events = prepareEvents(eventList(request.body), deps.config.limits);
    return summarize(await deps.writer.submit(events));
  });
}
