/**
 * How a pruned key is remembered on SQLite. The dedup index holds
 * `(key_hash, seq)` for every stored event; when retention deletes an event,
 * its entry becomes `(key_hash, marker)`, where the marker is a second,
 * independent 47-bit hash of the same key, negated so it can never be a seq.
 *
 * Why this shape:
 * - No new table and no new lookup: the probe the writer already makes for a
 *   key hash returns the marker with the seqs; a negative candidate is
 *   confirmed by comparing markers instead of reading the (deleted) row.
 * - 47 bits is what a 6-byte SQLite integer holds, negated (−2^47…−1): the
 *   entry costs 8 + 6 bytes of record plus B-tree overhead, ~21–22 bytes on
 *   disk a key (measured, bench/RESULTS.md), and sorts right beside the entry
 *   it replaces, on the same leaf page.
 * - 53 + 47 = 100 bits of key hash: a NEW key is mistaken for a pruned one
 *   with probability about (pruned keys) / 2^100 — for 10^10 pruned keys,
 *   below 10^-20 per event. That is the one place dedup is no longer exact
 *   by full-key comparison; the README says so.
 */
import { hash53 } from '../../domain/fingerprint.js';

const MARKER_SPACE = 2 ** 47;
// An independent seed family: the marker must not be a function of the key hash.
const MARKER_SEED = 0x5bd1e995;

/** The marker stored in place of the seq of a pruned event with this key: an integer in [−2^47, −1]. */
export function prunedMarker(topic: string, eventId: string, seed: number): number {
  const h = hash53(`${eventId}\u0000${topic}`, (seed ^ MARKER_SEED) >>> 0);
  return -((h % MARKER_SPACE) + 1);
}

/** Whether a dedup entry's seq is a pruned key's marker rather than a stored event's seq. */
export const isPrunedMarker = (seq: number): boolean => seq < 0;
