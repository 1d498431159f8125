/**
 * Request body parsing for JSON and NDJSON (`application/x-ndjson`: one JSON
 * value per line, blank lines skipped, a trailing `\r` tolerated). Both reject
 * `__proto__` / `constructor.prototype` keys (prototype poisoning), refuse
 * nesting deeper than a payload could legitimately need before parsing it
 * (see json-depth.ts), and report what is wrong and where, instead of a bare
 * "invalid JSON".
 */
import sjson from 'secure-json-parse';
import { defaultLimits, type Limits } from '../config/limits.js';
import { nestsDeeperThan } from './json-depth.js';

/** The body is not valid JSON (or a line of it is not), or nests too deep to be parsed. */
export class MalformedJsonError extends Error {}

/** One NDJSON line is longer than the limit (HTTP 413). */
export class LineTooLongError extends Error {}

export type BodyLimits = Pick<Limits, 'jsonDepth' | 'ndjsonLineBytes'>;

const safe = { protoAction: 'error', constructorAction: 'error' } as const;

/**
 * How deep a body may nest before it is refused unparsed. An event sits at
 * most three levels above its payload (`{"events":[{"payload":…}]}`), so no
 * acceptable body is deeper than the payload limit plus three. The bound is
 * twice the payload limit plus three: a payload a little too deep still parses
 * and is named by validation (422 with its index and field); only a body far
 * beyond anything acceptable is refused here with 400.
 */
const bodyDepth = (limits: BodyLimits) => 2 * limits.jsonDepth + 3;

export function parseJson(text: string, limits: BodyLimits = defaultLimits): unknown {
  if (text.length === 0) throw new MalformedJsonError('the body is empty');
  return parseValue(text, limits, '');
}

export function parseNdjson(text: string, limits: BodyLimits = defaultLimits): unknown[] {
  const values: unknown[] = [];
  let line = 0;
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    line++;
    const raw = text.slice(start, end).trim();
    start = end + 1;
    if (raw === '') continue;
    // UTF-8 takes 1-3 bytes per UTF-16 unit, so only lines near the limit need their bytes counted.
    const max = limits.ndjsonLineBytes;
    if (raw.length > max || (raw.length * 3 > max && Buffer.byteLength(raw) > max)) {
      throw new LineTooLongError(`line ${line} is longer than ${max} bytes`);
    }
    values.push(parseValue(raw, limits, `line ${line}: `));
  }
  return values;
}

function parseValue(text: string, limits: BodyLimits, where: string): unknown {
  const maxDepth = bodyDepth(limits);
  if (nestsDeeperThan(text, maxDepth)) {
    throw new MalformedJsonError(`${where}nested deeper than ${maxDepth} levels`);
  }
  try {
    return sjson.parse(text, undefined, safe);
  } catch (err) {
    // Covers SyntaxError and, from any engine with a recursive parser, RangeError.
    throw new MalformedJsonError(`${where}${(err as Error).message}`);
  }
}
