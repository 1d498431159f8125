/**
 * POST /publish: one event, an array of events, `{"events": [...]}` (JSON) or
 * NDJSON. All or nothing per request; answered only after commit (SPEC).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { summarize } from '../../domain/outcome.js';
import { parseJson, parseNdjson } from '../../ingest/json-body.js';
import { eventList, InvalidEventsError, prepareEvents, TooManyEventsError } from '../../ingest/validate.js';
import type { AppDeps } from '../app.js';
import { type ErrorCode, toHttpError } from '../errors.js';

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

const refusedAsInvalid = new Set<ErrorCode>([
  'AGG_ERR_BAD_JSON',
  'AGG_ERR_BAD_REQUEST',
  'AGG_ERR_TOO_LARGE',
  'AGG_ERR_UNSUPPORTED_MEDIA_TYPE',
  'AGG_ERR_VALIDATION',
]);

export const ndjsonTypes = ['application/x-ndjson', 'application/ndjson'];

const event = { $ref: 'Event#' } as const;

/**
 * The body as OpenAPI documents it, built from the same `eventSchema` the
 * handler validates with. For documentation only: the route's validator is a
 * no-op (see `documentedOnly`), because the handler validates with
 * `prepareEvents`, which names index + field and is all-or-nothing across
 * JSON and NDJSON alike; validating twice would cost time and answer worse.
 */
export const publishBodySchema = {
  required: true,
  content: {
    'application/json': {
      schema: {
        oneOf: [
          event,
          { type: 'array', items: event, maxItems: 10_000 },
          {
            type: 'object',
            additionalProperties: false,
            required: ['events'],
            properties: { events: { type: 'array', items: event, maxItems: 10_000 } },
          },
        ],
      },
    },
    'application/x-ndjson': {
      schema: { type: 'string', description: 'one event (a JSON object) per line' },
    },
  },
} as const;

/** A validator that accepts anything: the schema it is given is for OpenAPI only. */
const documentedOnly = () => () => true;

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

  // Every refused delivery is counted (lifetime `rejected`): the events of an invalid
  // request, or one for a body that could not be read as events at all.
  app.addHook('onError', async (_request, _reply, err) => {
    const code = toHttpError(err).code;
    if (!refusedAsInvalid.has(code)) return;
    const total = err instanceof InvalidEventsError || err instanceof TooManyEventsError ? err.total : 1;
    deps.writer.reject(total);
  });

  app.post(
    '/publish',
    {
      schema: {
        summary: 'Publish events (at least once in, exactly once stored)',
        description:
          'One event, an array, `{"events": [...]}`, or NDJSON. Answered only after every event of the ' +
          'request is committed; all or nothing (one invalid event refuses the whole request, naming ' +
          'index and field). Duplicates (same topic + event_id) are a success and are listed by index.',
        tags: ['events'],
        body: publishBodySchema,
        response: { 200: publishResponseSchema },
      },
      validatorCompiler: documentedOnly,
    },
    async (request) => {
      const events = prepareEvents(eventList(request.body), deps.config.limits);
      return summarize(await deps.writer.submit(events));
    },
  );
}
