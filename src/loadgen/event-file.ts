/**
 * Events from NDJSON for `aggregator publish --file`: one event object per
 * line, blank lines skipped, checked here with the server's own parser and
 * event schema (json-body.ts, validate.ts) before anything is sent, so a bad
 * file sends nothing, as the server stores nothing of a bad request. Size
 * limits are the server's to set and enforce; they are not guessed here.
 */
import { defaultLimits, type Limits } from '../config/limits.js';
import { parseJson } from '../ingest/json-body.js';
import { prepareEvents } from '../ingest/validate.js';

/** A line of the file is not an event; `line` is 1-based. */
export class InvalidFileError extends Error {
  constructor(
    readonly line: number,
    problem: string,
    readonly invalidLines: number,
  ) {
    super(
      `line ${line}: ${problem}${invalidLines > 1 ? ` (and ${invalidLines - 1} more invalid lines)` : ''}; nothing was sent`,
    );
  }
}

/** Schema and value rules of the server; no size limit (the server may have raised its own). */
const clientLimits: Limits = {
  ...defaultLimits,
  eventsPerRequest: Number.POSITIVE_INFINITY,
  payloadBytes: Number.POSITIVE_INFINITY,
  ndjsonLineBytes: Number.POSITIVE_INFINITY,
  jsonDepth: 1_000,
  errorDetails: 1,
};

/** The events of an NDJSON text, each as its JSON text, in order; throws InvalidFileError naming the first bad line. */
export function eventsFromNdjson(text: string): string[] {
  const events: string[] = [];
  const lines: number[] = [];
  const values: unknown[] = [];
  const bad: { line: number; problem: string }[] = [];
  let line = 0;
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    line++;
    const raw = text.slice(start, end).trim();
    start = end + 1;
    if (raw === '') continue;
    const parsed = parseJson(raw, clientLimits);
    if (!parsed.ok) {
      bad.push({ line, problem: `not JSON: ${parsed.problem.message}` });
      continue;
    }
    const value = parsed.value;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      bad.push({ line, problem: 'must be one event object per line' });
      continue;
    }
    events.push(raw);
    lines.push(line);
    values.push(value);
  }
  // Schema errors per event, mapped back to their lines; all lines are checked, the first is named.
  for (let i = 0; i < values.length; i++) {
    const checked = prepareEvents([values[i]], clientLimits);
    if (checked.ok) continue;
    const detail = checked.problem.details?.[0];
    bad.push({
      line: lines[i],
      problem: detail ? `${detail.field} ${detail.message}` : checked.problem.message,
    });
  }
  if (bad.length > 0) {
    const first = bad.reduce((a, b) => (b.line < a.line ? b : a));
    throw new InvalidFileError(first.line, first.problem, bad.length);
  }
  return events;
}
