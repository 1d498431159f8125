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
import type { PreparedEvent } from '../domain/event.js';
import { parseJson, parseNdjson } from './json-body.js';
import type { Problem, Refusal } from './refusal.js';
import { eventList, prepareEvents } from './validate.js';

/** A delivery as it arrives: its text, how to read it, and (from a broker) its size in bytes. */
export interface Delivery {
  readonly format: 'json' | 'ndjson';
  readonly text: string;
  /** Checked against `bodyBytes` when given; an HTTP body is checked by the server before it is read. */
  readonly bytes?: number;
}

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
  const parsed =
    delivery.format === 'ndjson' ? parseNdjson(delivery.text, limits) : parseJson(delivery.text, limits);
  if (!parsed.ok) return refuse(parsed.problem, unreadableDeliveries);
  return admitParsed(parsed.value, limits);
}

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
