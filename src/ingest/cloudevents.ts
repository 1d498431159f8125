/**
 * CloudEvents over HTTP, the three modes of the HTTP protocol binding:
 * structured (`application/cloudevents+json`, one event), batched
 * (`application/cloudevents-batch+json`, a JSON array) and binary (the
 * attributes in `ce-*` headers, the body is the data, Content-Type its
 * datacontenttype). Each becomes the list of our events that admission then
 * validates like any other body (domain/cloudevents.ts has the mapping).
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/http-protocol-binding.md
 *
 * Hand-written rather than the `cloudevents` package: its engines field
 * (node >=20 <=24) is narrower than ours, so `npm ci` would warn EBADENGINE
 * on Node versions we support (test/unit/cli-units checks that none does);
 * reading the binding is a few dozen lines on top of our own JSON parser,
 * which refuses prototype keys.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Limits } from '../config/limits.js';
import { eventFromCloudEvent, isPlainJsonType } from '../domain/cloudevents.js';
import { parseJson } from './json-body.js';
import { type Checked, type FieldError, fail, failWith, invalidEvents, pass } from './refusal.js';

type BodyLimits = Pick<Limits, 'jsonDepth' | 'ndjsonLineBytes' | 'errorDetails'>;

export const structuredType = 'application/cloudevents+json';
export const batchType = 'application/cloudevents-batch+json';

/** A binary-mode request: its headers and its body (text when it came through a JSON parser). */
export interface BinaryMessage {
  readonly headers: IncomingHttpHeaders;
  readonly body: string | Buffer | undefined;
}

/** Structured or batched text → the CloudEvents it holds (unchecked), or why it holds none. */
export function cloudEventsFromText(text: string, batch: boolean, limits: BodyLimits): Checked<unknown[]> {
  const parsed = parseJson(text, limits);
  if (!parsed.ok) return parsed;
  if (batch && !Array.isArray(parsed.value)) {
    return fail('NOT_EVENTS', 'a CloudEvents batch must be a JSON array of CloudEvents');
  }
  if (!batch && (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value))) {
    return fail(
      'NOT_EVENTS',
      'a structured CloudEvent must be a JSON object (send a batch as cloudevents-batch+json)',
    );
  }
  return pass(batch ? (parsed.value as unknown[]) : [parsed.value]);
}

/** A binary-mode message → its one CloudEvent (unchecked), or why it holds none. */
export function cloudEventFromBinary(message: BinaryMessage, limits: BodyLimits): Checked<unknown[]> {
  const attributes: [string, unknown][] = [];
  const errors: FieldError[] = [];
  for (const [header, raw] of Object.entries(message.headers)) {
    if (!header.startsWith('ce-') || raw === undefined) continue;
    const name = header.slice(3);
    const value = Array.isArray(raw) ? raw.join(',') : raw;
    // @see binding §3.1.3.2: values are percent-encoded where they are not printable ASCII.
    try {
      attributes.push([name, decodeURIComponent(value)]);
    } catch {
      errors.push({ index: 0, field: name, message: 'is not valid percent-encoded UTF-8' });
    }
  }
  if (errors.length > 0) return failWith(invalidEvents(1, 1, errors));
  const type = message.headers['content-type'];
  if (type !== undefined) attributes.push(['datacontenttype', type]);
  const body = message.body;
  if (body !== undefined && body.length > 0) {
    if (type === undefined || isPlainJsonType(type) || /^[^;]*\+json\s*(;|$)/i.test(type)) {
      const data = parseJson(typeof body === 'string' ? body : body.toString('utf8'), limits);
      if (!data.ok) return data;
      attributes.push(['data', data.value]);
    } else if (/^text\//i.test(type)) {
      attributes.push(['data', typeof body === 'string' ? body : body.toString('utf8')]);
    } else {
      attributes.push(['data_base64', Buffer.from(body).toString('base64')]);
    }
  }
  // fromEntries defines own properties, so a `ce-__proto__` header cannot reach a prototype.
  return pass([Object.fromEntries(attributes)]);
}

/** CloudEvents → our events (to be validated next), or every error, each naming the CloudEvents attribute. */
export function eventsFromCloudEvents(list: readonly unknown[], limits: BodyLimits): Checked<unknown[]> {
  const events: unknown[] = [];
  const details: FieldError[] = [];
  let invalid = 0;
  for (let i = 0; i < list.length; i++) {
    const mapped = eventFromCloudEvent(list[i], i);
    if (!Array.isArray(mapped)) {
      events.push(mapped);
      continue;
    }
    invalid++;
    details.push(...mapped.slice(0, Math.max(0, limits.errorDetails - details.length)));
  }
  if (invalid === 0) return pass(events);
  return failWith(invalidEvents(invalid, list.length, details));
}
