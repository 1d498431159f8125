/**
 * Request body parsing for JSON and NDJSON (`application/x-ndjson`: one JSON
 * value per line, blank lines skipped, a trailing `\r` tolerated). Both reject
 * `__proto__` / `constructor.prototype` keys (prototype poisoning) and report
 * what is wrong and where, instead of a bare "invalid JSON".
 */
import sjson from 'secure-json-parse';

/** The body is not valid JSON (or a line of it is not). */
export class MalformedJsonError extends Error {}

const safe = { protoAction: 'error', constructorAction: 'error' } as const;

export function parseJson(text: string): unknown {
  if (text.length === 0) throw new MalformedJsonError('the body is empty');
  try {
    return sjson.parse(text, undefined, safe);
  } catch (err) {
    throw new MalformedJsonError((err as Error).message);
  }
}

export function parseNdjson(text: string): unknown[] {
  const values: unknown[] = [];
  let line = 0;
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    line++;
    const raw = text.slice(start, end).trim();
    start = end + 1;
    if (raw === '') continue;
    try {
      values.push(sjson.parse(raw, undefined, safe));
    } catch (err) {
      throw new MalformedJsonError(`line ${line}: ${(err as Error).message}`);
    }
  }
  return values;
}
