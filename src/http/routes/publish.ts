/**
 * POST /publish: one event, an array of events, `{"events": [...]}` (JSON) or
 * NDJSON, CloudEvents in any of the three modes, any of them compressed. All
 * or nothing per request; answered only after commit (SPEC).
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { type Outcome, summarize } from '../../domain/outcome.js';
import { type AdmissionLimits, admit, type Delivery, unreadableDeliveries } from '../../ingest/admission.js';
import { batchType, structuredType } from '../../ingest/cloudevents.js';
import { decodeBody, EncodingError, parseContentEncoding } from '../../ingest/content-encoding.js';
import type { Writer } from '../../ingest/writer.js';
import { errorHandler } from '../error-handler.js';
import { refusalAnswer, sendAnswer } from '../errors.js';
import { publishSchema } from '../schemas.js';

const ndjsonTypes = ['application/x-ndjson', 'application/ndjson'];

/**
 * The answers to a one-event request, serialised once: single-event publishing is the
 * hot path where building and serialising the summary per request shows in the profile.
 */
const oneEventAnswers: Record<Outcome, string> = {
  stored: JSON.stringify(summarize(['stored'])),
  duplicate: JSON.stringify(summarize(['duplicate'])),
  conflict: JSON.stringify(summarize(['conflict'])),
};

/** A validator that accepts anything: the schema it is given is for OpenAPI only. */
const documentedOnly = () => () => true;

interface PublishDeps {
  readonly writer: Pick<Writer, 'submit' | 'countRefused'>;
  readonly limits: AdmissionLimits;
  /** 202 answers as the original service did (with `queued_count`), though still after commit. */
  readonly acceptedStatus: 200 | 202;
}

async function publishRoutes(app: FastifyInstance, deps: PublishDeps): Promise<void> {
  // Scoped to this plugin: the body arrives as text and is read by admission, in the handler.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  // A `ce-specversion` header makes the body the data of a binary-mode CloudEvent, whatever its type.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, text, done) =>
    done(
      null,
      (request.headers['ce-specversion'] === undefined
        ? { format: 'json', text: text as string }
        : { format: 'cloudevents-binary', headers: request.headers, body: text }) satisfies Delivery,
    ),
  );
  app.addContentTypeParser(ndjsonTypes, { parseAs: 'string' }, (_request, text, done) =>
    done(null, { format: 'ndjson', text: text as string } satisfies Delivery),
  );
  app.addContentTypeParser(structuredType, { parseAs: 'string' }, (_request, text, done) =>
    done(null, { format: 'cloudevents', text: text as string } satisfies Delivery),
  );
  app.addContentTypeParser(batchType, { parseAs: 'string' }, (_request, text, done) =>
    done(null, { format: 'cloudevents-batch', text: text as string } satisfies Delivery),
  );
  // Any other type: binary-mode data, or a 415 from admission (the body is read, within the limit).
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) =>
    done(
      null,
      (request.headers['ce-specversion'] === undefined
        ? { format: 'unsupported' }
        : {
            format: 'cloudevents-binary',
            headers: request.headers,
            body: body as Buffer,
          }) satisfies Delivery,
    ),
  );

  // Only a request whose header says its body is encoded leaves the plain path.
  app.addHook('preParsing', (request, _reply, payload, done) => {
    const header = request.headers['content-encoding'];
    if (header === undefined) {
      done(null, payload);
      return;
    }
    const codings = parseContentEncoding(header);
    if (codings instanceof EncodingError) done(codings);
    else if (codings.length === 0) done(null, payload);
    else done(null, decodeBody(payload, codings, deps.limits.bodyBytes));
  });

  // A body Fastify refused before admission could read it is a refused delivery too.
  app.setErrorHandler(errorHandler(() => void deps.writer.countRefused(unreadableDeliveries)));

  app.post(
    '/publish',
    {
      config: {
        access: 'publish',
        errors: [
          'AGG_ERR_BAD_JSON',
          'AGG_ERR_BAD_REQUEST',
          'AGG_ERR_TIMEOUT',
          'AGG_ERR_TOO_LARGE',
          'AGG_ERR_UNSUPPORTED_MEDIA_TYPE',
          'AGG_ERR_VALIDATION',
          'AGG_ERR_OVERLOADED',
          'AGG_ERR_STORE_UNAVAILABLE',
          'AGG_ERR_STORAGE_FULL',
        ],
      },
      schema: publishSchema,
      validatorCompiler: documentedOnly,
    },
    async (request, reply) => {
      let body = request.body as Delivery | undefined;
      // No body at all: a binary-mode CloudEvent may still carry no data.
      if (body === undefined && request.headers['ce-specversion'] !== undefined) {
        body = { format: 'cloudevents-binary', headers: request.headers, body: undefined };
      }
      const admission = admit(body, deps.limits);
      if (admission.refusal !== undefined) {
        // Counted with the next commit; the answer does not wait for it.
        void deps.writer.countRefused(admission.refusal.deliveries);
        return sendAnswer(reply, refusalAnswer(admission.refusal));
      }
      const outcomes = await deps.writer.submit(admission.events);
      if (deps.acceptedStatus === 200) {
        if (outcomes.length !== 1) return summarize(outcomes);
        reply.type('application/json; charset=utf-8');
        return oneEventAnswers[outcomes[0]];
      }
      // The original service's clients check for 202 and the request's event count.
      const summary = summarize(outcomes);
      return reply.code(202).send({ ...summary, queued_count: summary.received });
    },
  );
}

export default fp(publishRoutes, {
  name: 'aggregator-publish',
  fastify: '5.x',
  // Its own scope: the body parsers and the error handler that counts refused bodies.
  encapsulate: true,
  dependencies: ['aggregator-errors', 'aggregator-access', 'aggregator-openapi'],
});
