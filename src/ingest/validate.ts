/**
 * Turns a parsed request body (or a broker message) into prepared events, all
 * or nothing: either every event is valid and comes back prepared for the
 * writer, or the INVALID_EVENTS problem lists what is wrong by index and
 * field and nothing is stored. The event schema is compiled once, at module load.
 */
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { Limits } from '../config/limits.js';
import { type Event, eventSchema, type PreparedEvent } from '../domain/event.js';
import { bodyFingerprint } from '../domain/fingerprint.js';
import { nestsDeeperThan } from './json-depth.js';
import { plainlyValid } from './plain-event.js';
import {
  type Checked,
  type FieldError,
  fail,
  failWith,
  invalidEvents,
  pass,
  tooManyEvents,
} from './refusal.js';

// ajv-formats ships CommonJS with a default export; under NodeNext it arrives wrapped.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false });
addFormats(ajv, ['date-time']);
ajv.addKeyword('example');
const validateEvent = ajv.compile<Event>(eventSchema);

/** The compiled schema alone (the reference the hand-written fast path is tested against). */
export const schemaAccepts = (e: unknown): boolean => validateEvent(e);

/** Accepts one event, an array of events, or `{"events": [...]}` and returns the list. */
export function eventList(body: unknown): Checked<unknown[]> {
  if (Array.isArray(body)) return pass(body);
  if (typeof body === 'object' && body !== null) {
    if (!Object.hasOwn(body, 'events') || Object.hasOwn(body, 'topic')) return pass([body]);
    const keys = Object.keys(body);
    const events = (body as { events: unknown }).events;
    if (keys.length === 1 && Array.isArray(events)) return pass(events);
    return fail('NOT_EVENTS', 'a batch object must be exactly {"events": [ ... ]}');
  }
  return fail('NOT_EVENTS', 'body must be an event object, an array of events, or {"events": [ ... ]}');
}

/** Validates every event and prepares it for the writer: all of them, or the problem. */
type EventLimits = Pick<Limits, 'eventsPerRequest' | 'payloadBytes' | 'jsonDepth' | 'errorDetails'>;

export function prepareEvents(list: readonly unknown[], limits: EventLimits): Checked<PreparedEvent[]> {
  if (list.length > limits.eventsPerRequest)
    return failWith(tooManyEvents(list.length, limits.eventsPerRequest));
  const prepared = new Array<PreparedEvent>(list.length);
  const details: FieldError[] = [];
  let invalid = 0;
  for (let i = 0; i < list.length; i++) {
    const e = list[i];
    // The common shape is checked by hand (plain-event.ts); anything else by the compiled schema.
    if (!plainlyValid(e) && !validateEvent(e)) {
      invalid++;
      for (const err of validateEvent.errors ?? []) {
        const detail = describe(i, err);
        const last = details.at(-1);
        // One entry per field: an empty string breaks both minLength and pattern.
        if (last?.index === i && last.field === detail.field) continue;
        if (details.length < limits.errorDetails) details.push(detail);
      }
      continue;
    }
    const payload = serialise(e.payload);
    const problem = payloadProblem(e.payload, payload, limits);
    if (problem !== undefined) {
      invalid++;
      if (details.length < limits.errorDetails)
        details.push({ index: i, field: 'payload', message: problem });
      continue;
    }
    if (invalid === 0) {
      prepared[i] = {
        topic: e.topic,
        event_id: e.event_id,
        timestamp: e.timestamp,
        source: e.source,
        payload: payload as string,
        fingerprint: bodyFingerprint(e.timestamp, e.source, payload as string),
      };
    }
  }
  if (invalid > 0) return failWith(invalidEvents(invalid, list.length, details));
  return pass(prepared);
}

/** JSON text of a payload; undefined when it nests too deep to serialise (the stack ran out). */
function serialise(payload: object): string | undefined {
  try {
    return JSON.stringify(payload);
  } catch {
    return undefined;
  }
}

/** Why a payload (valid as an object) cannot be stored, or undefined when it can. */
function payloadProblem(value: object, text: string | undefined, limits: EventLimits): string | undefined {
  const depthMessage = `must nest at most ${limits.jsonDepth} levels deep`;
  if (text === undefined) return depthMessage;
  // byteLength is O(n); a string this short cannot exceed the limit even at 3 bytes per UTF-16 unit.
  if (text.length * 3 > limits.payloadBytes && Buffer.byteLength(text) > limits.payloadBytes) {
    return `must be at most ${limits.payloadBytes} bytes serialised`;
  }
  if (nestsDeeperThan(text, limits.jsonDepth)) return depthMessage;
  // Only text with an escape needs a look: most payloads have none.
  if (text.includes('\\u') && unstorableEscape.test(text)) {
    return 'must not contain NUL (U+0000) or unpaired UTF-16 surrogates, in strings or keys';
  }
  // JSON.stringify writes a number too large for a double (1e400 parses as Infinity) as null:
  // storing that would silently change the event. Only text containing `null` needs a look.
  if (text.includes('null') && hasNonFiniteNumber(value)) {
    return 'numbers must be finite (at most about ±1.8e308)';
  }
  return undefined;
}

/**
 * NUL and unpaired surrogates as JSON.stringify writes them (`\u0000`,
 * `\ud800`…, lowercase), not preceded by an escaping backslash. PostgreSQL
 * decides "same body" by comparing payloads as jsonb, which cannot hold
 * either, so there a resend with another key order would be a conflict and on
 * SQLite a duplicate: refused on every store alike instead.
 */
const unstorableEscape = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/;

/** Walks a parsed JSON value without recursion (its depth is already bounded, but cheaply so). */
function hasNonFiniteNumber(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return true;
    } else if (typeof v === 'object' && v !== null) {
      for (const child of Object.values(v)) stack.push(child);
    }
  }
  return false;
}

const friendly: Record<string, string> = {
  format: 'must be an RFC 3339 date-time with a zone and a real date, e.g. 2026-11-25T10:00:00Z',
  pattern: 'must not contain control characters or unpaired UTF-16 surrogates',
};

function describe(index: number, err: ErrorObject): FieldError {
  if (err.keyword === 'required') {
    return { index, field: String(err.params.missingProperty), message: 'is required' };
  }
  if (err.keyword === 'additionalProperties') {
    return { index, field: String(err.params.additionalProperty), message: 'is not a field of an event' };
  }
  const field = err.instancePath === '' ? 'event' : err.instancePath.slice(1).replaceAll('/', '.');
  if (err.instancePath === '') return { index, field, message: 'must be a JSON object' };
  // `source` may hold control characters; its pattern only refuses NUL and unpaired surrogates.
  if (err.keyword === 'pattern' && field === 'source') {
    return { index, field, message: 'must not contain NUL (U+0000) or unpaired UTF-16 surrogates' };
  }
  return { index, field, message: friendly[err.keyword] ?? err.message ?? 'is invalid' };
}
