/**
 * A fast yes for the common event: the check ajv would make (domain/event.ts
 * eventSchema), written out for the shape nearly every producer sends —
 * exactly the five fields, short strings with no control characters and no
 * surrogates at all, a `YYYY-MM-DDThh:mm:ss[.frac](Z|±hh:mm)` timestamp with
 * a real date. It only ever answers "certainly valid" or "ask ajv": anything
 * unusual (a paired surrogate, a lower-case `t`, a leap second) goes to the
 * compiled schema, which also names what is wrong. test/unit/plain-event
 * checks with fast-check that it never accepts what ajv refuses.
 */
import type { Event } from '../domain/event.js';

const MAX_KEY = 255;

/** 1–255 UTF-16 units, none a C0/C1 control, DEL or surrogate (so also 1–255 code points). */
function printable(s: unknown): boolean {
  if (typeof s !== 'string' || s.length === 0 || s.length > MAX_KEY) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
}

/** 1–255 UTF-16 units, no surrogate and no NUL (other control characters are allowed in `source`). */
function plainSource(s: unknown): boolean {
  if (typeof s !== 'string' || s.length === 0 || s.length > MAX_KEY) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
}

const TIMESTAMP = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d+)?(?:Z|[+-](\d\d):(\d\d))$/;
const DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function plainTimestamp(s: unknown): boolean {
  if (typeof s !== 'string' || s.length > 64) return false;
  const m = TIMESTAMP.exec(s);
  if (m === null) return false;
  const year = +m[1];
  const month = +m[2];
  const day = +m[3];
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (month < 1 || month > 12 || day < 1 || day > (month === 2 && leap ? 29 : DAYS[month])) return false;
  if (+m[4] > 23 || +m[5] > 59 || +m[6] > 59) return false;
  return m[7] === undefined || (+m[7] <= 23 && +m[8] <= 59);
}

/** True only when `e` is certainly a valid event; false means "ask the schema". */
export function plainlyValid(e: unknown): e is Event {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return false;
  const o = e as Record<string, unknown>;
  let fields = 0;
  for (const key in o) {
    if (!Object.hasOwn(o, key)) return false;
    fields++;
  }
  if (fields !== 5) return false;
  const payload = o.payload;
  return (
    printable(o.topic) &&
    printable(o.event_id) &&
    plainSource(o.source) &&
    plainTimestamp(o.timestamp) &&
    typeof payload === 'object' &&
    payload !== null &&
    !Array.isArray(payload)
  );
}
