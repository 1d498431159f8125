/**
 * Per-event outcomes of one PostgreSQL batch, decided after the INSERT: the
 * first delivery of a key that the INSERT returned is `stored`; every other
 * delivery is compared with the body that is stored now — a row from an
 * earlier batch, or this batch's first delivery of the key. Fingerprints
 * first; only when they differ are the bodies fetched and compared as JSON
 * values (`sameBody`), so the common identical retry reads no payload.
 * The same semantics as the SQLite store, which decides event by event.
 */
import type { PreparedEvent } from '../../domain/event.js';
import { sameBody } from '../../domain/fingerprint.js';
import { type Outcome, TopicTally } from '../../domain/outcome.js';

export interface StoredBody {
  readonly topic: string;
  readonly event_id: string;
  readonly fingerprint: number;
  readonly timestamp: string;
  readonly source: string;
  readonly payload: string;
}

/** Reads stored rows by key: fingerprints only, or with their bodies. */
type StoredLookup = (
  keys: readonly (readonly [string, string])[],
  withBody: boolean,
) => Promise<StoredBody[]>;

/** NUL cannot occur in a topic or event_id (validation refuses control characters). */
const keyOf = (e: { topic: string; event_id: string }) => `${e.topic}\u0000${e.event_id}`;

export async function decideOutcomes(
  events: readonly PreparedEvent[],
  inserted: ReadonlyMap<string, number>,
  lookup: StoredLookup,
): Promise<Outcome[]> {
  const n = events.length;
  const keys = new Array<string>(n);
  const first = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const k = keyOf(events[i]);
    keys[i] = k;
    if (!first.has(k)) first.set(k, i);
  }
  const storedEarlier = (k: string) => !inserted.has(k);
  const earlierFingerprints = new Map<string, number>();
  const earlierKeys = [...first].filter(([k]) => storedEarlier(k)).map(([, i]) => events[i]);
  if (earlierKeys.length > 0) {
    for (const r of await lookup(
      earlierKeys.map((e) => [e.topic, e.event_id]),
      false,
    )) {
      earlierFingerprints.set(keyOf(r), r.fingerprint);
    }
  }

  const outcomes = new Array<Outcome>(n);
  const suspects: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    const firstIndex = first.get(k) as number;
    if (i === firstIndex && !storedEarlier(k)) {
      outcomes[i] = 'stored';
      continue;
    }
    const fingerprint = storedEarlier(k) ? earlierFingerprints.get(k) : events[firstIndex].fingerprint;
    // Rows are never deleted and the seq lock keeps other writers out, so this is a bug, not a race.
    if (fingerprint === undefined) throw new Error(`stored event ${JSON.stringify(k)} not found`);
    if (fingerprint === events[i].fingerprint) outcomes[i] = 'duplicate';
    else suspects.push(i);
  }
  if (suspects.length === 0) return outcomes;

  const bodies = new Map<string, { timestamp: string; source: string; payload: string }>();
  const fetch = new Map<string, PreparedEvent>();
  for (const i of suspects) {
    const k = keys[i];
    if (storedEarlier(k)) fetch.set(k, events[i]);
    else bodies.set(k, events[first.get(k) as number]);
  }
  if (fetch.size > 0) {
    const rows = await lookup(
      [...fetch.values()].map((e) => [e.topic, e.event_id]),
      true,
    );
    for (const r of rows) bodies.set(keyOf(r), r);
  }
  for (const i of suspects) {
    const stored = bodies.get(keys[i]);
    outcomes[i] = stored !== undefined && sameBody(stored, events[i]) ? 'duplicate' : 'conflict';
  }
  return outcomes;
}

/** Counter increments per topic, as parallel arrays for one multi-row upsert. */
export function tallyByTopic(
  events: readonly PreparedEvent[],
  outcomes: readonly Outcome[],
): [topics: string[], received: number[], stored: number[], duplicates: number[], conflicts: number[]] {
  const tally = new TopicTally();
  for (let i = 0; i < events.length; i++) tally.add(events[i].topic, outcomes[i]);
  const values = [...tally.values()];
  return [
    [...tally.keys()],
    values.map((t) => t.received),
    values.map((t) => t.stored),
    values.map((t) => t.duplicates),
    values.map((t) => t.conflicts),
  ];
}
