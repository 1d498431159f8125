/**
 * Admission: the one step every delivery passes before the writer, whether it
 * came over HTTP or from JetStream. A body becomes either the prepared events
 * of the request — all of them — or a refusal value `{code, message,
 * deliveries, details}`; it never throws for bad input. The caller counts the
 * refusal's deliveries (lifetime `rejected`) and answers it in its own terms
 * (an HTTP status, a JetStream `term`).
 *
 * Steps, each a value-returning function of its own module: size (broker
 * messages; Fastify enforces it for HTTP), parse (json-body.ts), shape
 * (`eventList`), validate and prepare (validate.ts).
 */
import type { Limits } from '../config/limits.js';
import { attributeOfField } from '../domain/cloudevents.js';
import type { PreparedEvent } from '../domain/event.js';
import {
  type BinaryMessage,
  cloudEventFromBinary,
  cloudEventsFromText,
  eventsFromCloudEvents,
} from './cloudevents.js';
import { parseJson, parseNdjson } from './json-body.js';
import { type Problem, type Refusal, tooManyEvents } from './refusal.js';
import { eventList, prepareEvents } from './validate.js';

/** A delivery as it arrives: its text, how to read it, and (from a broker) its size in bytes. */
export type Delivery =
  | {
      /** JSON, NDJSON, or CloudEvents in structured or batched mode. */
      readonly format: 'json' | 'ndjson' | 'cloudevents' | 'cloudevents-batch';
      readonly text: string;
      /** Checked against `bodyBytes` when given; an HTTP body is checked by the server before it is read. */
      readonly bytes?: number;
    }
  | ({ readonly format: 'cloudevents-binary'; readonly bytes?: undefined } & BinaryMessage)
  /** A body of a media type no reader takes (and no `ce-specversion` header to make it binary-mode data). */
  | { readonly format: 'unsupported'; readonly bytes?: undefined };

type Admission =
  | { readonly events: PreparedEvent[]; readonly refusal?: undefined }
  | { readonly events?: undefined; readonly refusal: Refusal };

export type AdmissionLimits = Pick<
  Limits,
  'bodyBytes' | 'eventsPerRequest' | 'payloadBytes' | 'jsonDepth' | 'ndjsonLineBytes' | 'errorDetails'
>;

/**
 * How many deliveries a refusal counts, the one rule for every source: a
 * body that could not be read as a list of events is one delivery; a list
 * refused as a whole (too many events, any invalid event) is every event in it.
 */
export const unreadableDeliveries = 1;

/** `undefined` is a request without a body (no Content-Type, no length): nothing, which is not events. */
export function admit(delivery: Delivery | undefined, limits: AdmissionLimits): Admission {
  if (delivery === undefined) return admitParsed(undefined, limits);
  if (delivery.bytes !== undefined && delivery.bytes > limits.bodyBytes) {
    return refuse(
      { code: 'BODY_TOO_LARGE', message: `message over ${limits.bodyBytes} bytes` },
      unreadableDeliveries,
    );
  }
  if (delivery.format === 'json' || delivery.format === 'ndjson') {
    const parsed =
      delivery.format === 'ndjson' ? parseNdjson(delivery.text, limits) : parseJson(delivery.text, limits);
    if (!parsed.ok) return refuse(parsed.problem, unreadableDeliveries);
    return admitParsed(parsed.value, limits);
  }
  return admitOther(delivery, limits);
}

/** CloudEvents in any mode, or a media type nothing reads; off the plain JSON path. */
function admitOther(
  delivery: Exclude<Delivery, { format: 'json' | 'ndjson' }>,
  limits: AdmissionLimits,
): Admission {
  if (delivery.format === 'unsupported') {
    return refuse({ code: 'UNSUPPORTED_MEDIA_TYPE', message: unsupportedMediaType }, unreadableDeliveries);
  }
  const list =
    delivery.format === 'cloudevents-binary'
      ? cloudEventFromBinary(delivery, limits)
      : cloudEventsFromText(delivery.text, delivery.format === 'cloudevents-batch', limits);
  if (!list.ok) return refuse(list.problem, unreadableDeliveries);
  const count = list.value.length;
  if (count > limits.eventsPerRequest) {
    return refuse(tooManyEvents(count, limits.eventsPerRequest), count);
  }
  const events = eventsFromCloudEvents(list.value, limits);
  if (!events.ok) return refuse(events.problem, count);
  const prepared = prepareEvents(events.value, limits);
  if (!prepared.ok) return refuse(namedAsCloudEvents(prepared.problem), count);
  return { events: prepared.value };
}

/** The event schema's errors, each field renamed to the CloudEvents attribute it came from. */
function namedAsCloudEvents(problem: Problem): Problem {
  const details = problem.details?.map((d) => ({ ...d, field: attributeOfField[d.field] ?? d.field }));
  return details === undefined ? problem : { ...problem, details };
}

export const unsupportedMediaType =
  'send application/json, application/x-ndjson, or CloudEvents (application/cloudevents+json, ' +
  'application/cloudevents-batch+json, or binary mode with ce-* headers)';

function admitParsed(value: unknown, limits: AdmissionLimits): Admission {
  const list = eventList(value);
  if (!list.ok) return refuse(list.problem, unreadableDeliveries);
  const prepared = prepareEvents(list.value, limits);
  if (!prepared.ok) return refuse(prepared.problem, list.value.length);
  return { events: prepared.value };
}

const refuse = (problem: Problem, deliveries: number): Admission => ({
  refusal: { ...problem, deliveries },
});
