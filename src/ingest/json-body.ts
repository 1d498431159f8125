/**
 * Request body parsing for JSON and NDJSON (`application/x-ndjson`: one JSON
 * value per line, blank lines skipped, a trailing `\r` tolerated). Both reject
 * `__proto__` / `constructor.prototype` keys (prototype poisoning), refuse
 * nesting deeper than a payload could legitimately need before parsing it
 * (see json-depth.ts), and report what is wrong and where, instead of a bare
 * "invalid JSON". A body that cannot be read is a refusal value, not an exception.
 */
import sjson from 'secure-json-parse';
import type { Limits } from '../config/limits.js';
import { nestsDeeperThan } from './json-depth.js';
import { type Checked, fail, pass } from './refusal.js';

type BodyLimits = Pick<Limits, 'jsonDepth' | 'ndjsonLineBytes'>;

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

export function parseJson(text: string, limits: BodyLimits): Checked<unknown> {
  if (text.length === 0) return malformed('the body is empty');
  return parseValue(text, limits, '');
}

export function parseNdjson(text: string, limits: BodyLimits): Checked<unknown[]> {
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
      return fail('LINE_TOO_LONG', `line ${line} is longer than ${max} bytes`);
    }
    const value = parseValue(raw, limits, `line ${line}: `);
    if (!value.ok) return value;
    values.push(value.value);
  }
  return pass(values);
}

/**
 * Whether secure-json-parse must look at this text: a poisoning key is spelt
 * `__proto__` or `constructor`, or hidden behind a \u escape. Text with none
 * of the three cannot carry one, so plain JSON.parse reads it without the
 * parser's regular-expression scans (most bodies).
 */
const mayPoison = (text: string) =>
  text.includes('__proto__') || text.includes('constructor') || text.includes('\\u');

const malformed = (message: string) => fail('MALFORMED_JSON', `malformed JSON: ${message}`);

function parseValue(text: string, limits: BodyLimits, where: string): Checked<unknown> {
  const maxDepth = bodyDepth(limits);
  if (nestsDeeperThan(text, maxDepth)) return malformed(`${where}nested deeper than ${maxDepth} levels`);
  try {
    return pass(mayPoison(text) ? sjson.parse(text, undefined, safe) : JSON.parse(text));
  } catch (err) {
    // The parser's only way to say "not JSON": SyntaxError (or RangeError from a recursive parser).
    return malformed(`${where}${withoutBodyBytes((err as Error).message)}`);
  }
}

/**
 * The parser's description of the defect, without the body bytes V8 quotes in
 * some messages (`Unexpected token 'x', "xyz…" is not valid JSON`): an error
 * message never echoes what was sent — it could be binary, a secret, or markup.
 * Messages that name a position describe only the grammar, and are kept.
 */
function withoutBodyBytes(message: string): string {
  const at = / in JSON at position \d+/.exec(message);
  if (at !== null) return message.slice(0, at.index + at[0].length);
  if (message.startsWith('Unexpected end of JSON input')) return 'the body ends inside a JSON value';
  // Quotes are where a message cites input; the unquoted ones (secure-json-parse's) are fixed text.
  return /["']/.test(message) ? 'unexpected character; not a JSON value' : message;
}
