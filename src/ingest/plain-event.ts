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

const DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The two-digit number at `i` (ASCII digits only), or -1. */
function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * `YYYY-MM-DDThh:mm:ss[.frac](Z|±hh:mm)` with a real date, read with charCodeAt: a regular
 * expression's match array and its eight substrings were ~300 bytes of garbage per event.
 */
function plainTimestamp(s: unknown): boolean {
  if (typeof s !== 'string' || s.length < 20 || s.length > 64) return false;
  const century = two(s, 0);
  const yy = two(s, 2);
  const month = two(s, 5);
  const day = two(s, 8);
  if (century < 0 || yy < 0 || s[4] !== '-' || s[7] !== '-' || s[10] !== 'T') return false;
  if (s[13] !== ':' || s[16] !== ':' || two(s, 11) < 0 || two(s, 11) > 23) return false;
  const minute = two(s, 14);
  const second = two(s, 17);
  if (minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  const year = century * 100 + yy;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (month < 1 || month > 12 || day < 1 || day > (month === 2 && leap ? 29 : DAYS[month])) return false;
  let i = 19;
  if (s[i] === '.') {
    const first = ++i;
    while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
    if (i === first) return false;
  }
  if (s[i] === 'Z') return i + 1 === s.length;
  if (s[i] !== '+' && s[i] !== '-') return false;
  const hours = two(s, i + 1);
  const minutes = two(s, i + 4);
  return i + 6 === s.length && s[i + 3] === ':' && hours >= 0 && hours <= 23 && minutes >= 0 && minutes <= 59;
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
