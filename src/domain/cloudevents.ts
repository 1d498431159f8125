/**
 * CloudEvents 1.0 ↔ our event: the one mapping, both ways.
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md
 *
 *   type   → topic
 *   source → source
 *   id     → event_id, as `<source> <id>`: CloudEvents makes an event unique
 *            by source and id together (ids are only unique within a source),
 *            so the dedup key (topic, event_id) becomes (type, source, id).
 *            A source is a URI-reference and holds no space, so the first
 *            space splits the two back apart.
 *   time   → timestamp; a CloudEvent without time gets `absentTime`, the same
 *            on every redelivery (the time of receipt would differ each time
 *            and turn every redelivery into a conflict), and reads back without
 *            time. `received_at` still says when it was stored.
 *   data   → payload when it is a JSON object; any other data (string, number,
 *            array, null) becomes `{"$data": value}`, `data_base64` becomes
 *            `{"$data_base64": "…"}`, no data becomes `{}`. An object that has
 *            one of those `$` keys itself is wrapped too, so reading back is exact.
 *   every other attribute (datacontenttype unless it is plain
 *            application/json, dataschema, subject, extensions) → `payload.$ce`.
 *
 * Everything the producer sent is therefore stored, and GET /events and
 * /subscribe can give it back as the CloudEvent it was.
 */
import type { FieldError } from '../ingest/refusal.js';
import type { Event, StoredEvent } from './event.js';

export const absentTime = '1970-01-01T00:00:00Z';

const dataKey = '$data';
const base64Key = '$data_base64';
const attributesKey = '$ce';
const reserved = [dataKey, base64Key, attributesKey];

/** Attributes that have a column of their own (or are the data); the rest go to `payload.$ce`. */
const mapped = new Set(['specversion', 'id', 'source', 'type', 'time', 'data', 'data_base64']);
/** @see spec §3.1.1: attribute names are lower-case ASCII letters or digits; 20 characters is the portable length. */
const attributeName = /^[a-z0-9]{1,20}$/;
/** A URI-reference has no whitespace or control characters (RFC 3986); the id split relies on it. */
const uriReference = /^[^\s\p{Cc}\p{Cs}]+$/u;
const base64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Our event's fields, named as the CloudEvents attribute they came from (for validation errors). */
export const attributeOfField: Readonly<Record<string, string>> = {
  topic: 'type',
  event_id: 'id',
  timestamp: 'time',
  source: 'source',
  payload: 'data',
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `application/json` (any case, any parameters) is what JSON data implies; it is not kept. */
export const isPlainJsonType = (type: string) => /^application\/json\s*(;|$)/i.test(type);

/**
 * One CloudEvent (as a parsed JSON object) → our event, or what is wrong with
 * it, each error naming the CloudEvents attribute. The event's own rules
 * (lengths, time format, payload size) are checked afterwards by the event
 * schema, and its errors renamed with `attributeOfField`.
 */
export function eventFromCloudEvent(ce: unknown, index: number): Event | FieldError[] {
  if (!isObject(ce)) return [{ index, field: 'event', message: 'must be a CloudEvent (a JSON object)' }];
  const errors: FieldError[] = [];
  const bad = (field: string, message: string) => errors.push({ index, field, message });
  const present = (name: string) => ce[name] !== undefined && ce[name] !== null;

  if (!present('specversion')) bad('specversion', 'is required');
  else if (ce.specversion !== '1.0') bad('specversion', 'must be "1.0"');
  for (const name of ['id', 'source', 'type']) {
    if (!present(name)) bad(name, 'is required');
    else if (typeof ce[name] !== 'string' || ce[name] === '') bad(name, 'must be a non-empty string');
  }
  if (typeof ce.source === 'string' && ce.source !== '' && !uriReference.test(ce.source)) {
    bad('source', 'must be a URI-reference (no spaces or control characters)');
  }
  if (present('time') && typeof ce.time !== 'string') bad('time', 'must be an RFC 3339 timestamp string');
  if (present('data_base64')) {
    // `"data": null` is data (the JSON value null), so it too rules data_base64 out.
    if (ce.data !== undefined) bad('data_base64', 'must not be sent together with data');
    else if (typeof ce.data_base64 !== 'string' || !base64.test(ce.data_base64)) {
      bad('data_base64', 'must be base64 text');
    }
  }
  const attributes: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(ce)) {
    if (mapped.has(name) || value === null) continue;
    if (!attributeName.test(name)) {
      bad(name, 'is not a CloudEvents attribute name (lower-case letters and digits, at most 20)');
    } else if (typeof value !== 'string' && typeof value !== 'boolean' && !Number.isSafeInteger(value)) {
      bad(name, 'must be a string, an integer or a boolean');
    } else if (!(name === 'datacontenttype' && isPlainJsonType(String(value)))) {
      attributes[name] = value;
    }
  }
  if (errors.length > 0) return errors;

  const source = ce.source as string;
  const id = ce.id as string;
  if (source.length + 1 + id.length > 255) {
    return [{ index, field: 'id', message: 'source and id together must be at most 254 characters' }];
  }
  let payload: Record<string, unknown>;
  if (present('data_base64')) payload = { [base64Key]: ce.data_base64 };
  else if (ce.data === undefined) payload = {};
  else if (isObject(ce.data) && !reserved.some((k) => Object.hasOwn(ce.data as object, k))) payload = ce.data;
  else payload = { [dataKey]: ce.data };
  if (Object.keys(attributes).length > 0) payload = { ...payload, [attributesKey]: attributes };
  return {
    topic: ce.type as string,
    event_id: `${source} ${id}`,
    timestamp: present('time') ? (ce.time as string) : absentTime,
    source,
    payload,
  };
}

/** A stored event as a structured-mode CloudEvent (JSON text), the inverse of eventFromCloudEvent. */
export function cloudEventJson(e: StoredEvent): string {
  const payload = JSON.parse(e.payload) as Record<string, unknown>;
  const prefix = `${e.source} `;
  const ce: Record<string, unknown> = {
    specversion: '1.0',
    // An event published as plain JSON has no source prefix: its event_id is the id.
    id: e.event_id.startsWith(prefix) ? e.event_id.slice(prefix.length) : e.event_id,
    source: e.source,
    type: e.topic,
  };
  if (e.timestamp !== absentTime) ce.time = e.timestamp;
  const { [attributesKey]: attributes, ...data } = payload;
  if (isObject(attributes)) Object.assign(ce, attributes);
  else if (attributes !== undefined) data[attributesKey] = attributes;
  if (Object.hasOwn(data, base64Key)) ce.data_base64 = data[base64Key];
  else if (Object.hasOwn(data, dataKey)) ce.data = data[dataKey];
  else if (Object.keys(data).length > 0) ce.data = data;
  return JSON.stringify(ce);
}
