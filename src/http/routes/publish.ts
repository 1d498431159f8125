/**
 * POST /publish: one event, an array of events, `{"events": [...]}` (JSON) or
 * NDJSON. All or nothing per request; answered only after commit (SPEC).
 */
import type { FastifyInstance } from 'fastify';
import { summarize } from '../../domain/outcome.js';
import { type AdmissionLimits, admit, type Delivery, unreadableDeliveries } from '../../ingest/admission.js';
import type { Writer } from '../../ingest/writer.js';
import { errorHandler } from '../error-handler.js';
import { refusalAnswer, sendAnswer } from '../errors.js';

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

const event = { $ref: 'Event#' } as const;

/**
 * The body as OpenAPI documents it, built from the same `eventSchema` the
 * handler validates with. For documentation only: the route's validator is a
 * no-op (see `documentedOnly`), because the handler admits the body with
 * `admit`, which names index + field and is all-or-nothing across
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

export interface PublishDeps {
  readonly writer: Pick<Writer, 'submit' | 'countRefused'>;
  readonly limits: AdmissionLimits;
}

export async function publishRoutes(app: FastifyInstance, deps: PublishDeps): Promise<void> {
  // Scoped to this plugin: the body arrives as text and is read by admission, in the handler.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) =>
    done(null, { format: 'json', text: text as string } satisfies Delivery),
  );
  app.addContentTypeParser(ndjsonTypes, { parseAs: 'string' }, (_request, text, done) =>
    done(null, { format: 'ndjson', text: text as string } satisfies Delivery),
  );

  // A body Fastify refused before admission could read it is a refused delivery too.
  app.setErrorHandler(errorHandler(() => void deps.writer.countRefused(unreadableDeliveries)));

  app.post(
    '/publish',
    {
      config: { access: 'publish' },
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
    async (request, reply) => {
      const admission = admit(request.body as Delivery | undefined, deps.limits);
      if (admission.refusal !== undefined) {
        // Counted with the next commit; the answer does not wait for it.
        void deps.writer.countRefused(admission.refusal.deliveries);
        return sendAnswer(reply, refusalAnswer(admission.refusal));
      }
      return summarize(await deps.writer.submit(admission.events));
    },
  );
}
