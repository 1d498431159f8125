/**
 * The arguments of `agg_commit` (postgres-commit.ts) and its answer: a batch
 * as parallel arrays, one element per delivery, and the outcome letters.
 */
import type { Outcome } from '../../domain/outcome.js';
import type { Batch } from '../event-store.js';
import { int4Array, int8Array, textArray } from './pg-binary-arrays.js';

/**
 * The function's arguments: the batch as parallel arrays (in binary format,
 * pg-binary-arrays.ts), and where each delivery's key was first delivered (1-based).
 */
export function commitArguments(batch: Batch, instanceId: string, token: string): unknown[] {
  const events = batch.events;
  const n = events.length;
  const topics = new Array<string>(n);
  const ids = new Array<string>(n);
  const timestamps = new Array<string>(n);
  const sources = new Array<string>(n);
  const payloads = new Array<string>(n);
  const fingerprints = new Array<number>(n);
  const first = new Array<number>(n);
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const e = events[i];
    topics[i] = e.topic;
    ids[i] = e.event_id;
    timestamps[i] = e.timestamp;
    sources[i] = e.source;
    payloads[i] = e.payload;
    fingerprints[i] = e.fingerprint;
    // NUL cannot occur in a topic or event_id (validation refuses control characters).
    const key = `${e.topic}\u0000${e.event_id}`;
    const at = seen.get(key);
    if (at === undefined) seen.set(key, i + 1);
    first[i] = at ?? i + 1;
  }
  return [
    instanceId,
    token,
    batch.receivedAt,
    batch.rejected,
    textArray(topics),
    textArray(ids),
    textArray(timestamps),
    textArray(sources),
    textArray(payloads),
    int8Array(fingerprints),
    int4Array(first),
  ];
}

const outcomeOf: Record<string, Outcome> = { s: 'stored', d: 'duplicate', c: 'conflict' };

/** The function's outcome letters, one per delivery, as outcomes. */
export function decodeOutcomes(letters: string, n: number): Outcome[] {
  if (letters.length !== n) throw new Error(`agg_commit returned ${letters.length} outcomes for ${n} events`);
  const outcomes = new Array<Outcome>(n);
  for (let i = 0; i < n; i++) outcomes[i] = outcomeOf[letters[i]];
  return outcomes;
}
