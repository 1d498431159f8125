/** Messages between the server thread and the SQLite writer thread. */
import type { PreparedEvent } from '../../domain/event.js';
import type { Outcome } from '../../domain/outcome.js';
import type { Batch, PruneRequest } from '../event-store.js';
import { StorageFullError, StoreUnavailableError } from '../event-store.js';

export type WorkerRequest =
  | { id: number; op: 'insert'; batch: FlatBatch }
  | { id: number; op: 'prune'; request: PruneRequest }
  | { id: number; op: 'close' };

/**
 * A batch as it crosses the thread boundary: the events' five strings in one
 * flat array and their fingerprints in a transferred Float64Array. Structured
 * cloning costs per object and per property name, so N events cost one array
 * of 5N strings instead of N objects of six properties each.
 */
export interface FlatBatch {
  readonly strings: string[];
  readonly fingerprints: Float64Array;
  readonly receivedAt: number;
  readonly rejected: number;
}

const FIELDS = 5;

export function flattenBatch(batch: Batch): FlatBatch {
  const { events } = batch;
  const strings = new Array<string>(events.length * FIELDS);
  const fingerprints = new Float64Array(events.length);
  for (let i = 0, j = 0; i < events.length; i++, j += FIELDS) {
    const e = events[i];
    strings[j] = e.topic;
    strings[j + 1] = e.event_id;
    strings[j + 2] = e.timestamp;
    strings[j + 3] = e.source;
    strings[j + 4] = e.payload;
    fingerprints[i] = e.fingerprint;
  }
  return { strings, fingerprints, receivedAt: batch.receivedAt, rejected: batch.rejected };
}

export function unflattenBatch(flat: FlatBatch): Batch {
  const { strings, fingerprints } = flat;
  const events = new Array<PreparedEvent>(fingerprints.length);
  for (let i = 0, j = 0; i < events.length; i++, j += FIELDS) {
    events[i] = {
      topic: strings[j],
      event_id: strings[j + 1],
      timestamp: strings[j + 2],
      source: strings[j + 3],
      payload: strings[j + 4],
      fingerprint: fingerprints[i],
    };
  }
  return { events, receivedAt: flat.receivedAt, rejected: flat.rejected };
}

export type WorkerReply =
  | { id: number; ready: true; location: string }
  | { id: number; outcomes: Uint8Array; lastSeq: number }
  | { id: number; pruned: number; more: boolean }
  | { id: number; error: SerializedError }
  | { id: number; closed: true };

/**
 * An error as it crosses the thread boundary: a class does not survive
 * structured cloning, a code does. `code` is the store fault's code
 * (STORE_FULL, STORE_UNAVAILABLE) or SQLite's own; `cause` keeps SQLite's
 * words and code for the log.
 */
export interface SerializedError {
  readonly code?: string;
  readonly message: string;
  readonly cause?: { readonly code?: string; readonly message: string };
}

// Outcomes cross the thread boundary as one byte each (a transferable-size array, not N strings).
const codes: readonly Outcome[] = ['stored', 'duplicate', 'conflict'];

export function encodeOutcomes(outcomes: readonly Outcome[]): Uint8Array {
  const out = new Uint8Array(outcomes.length);
  for (let i = 0; i < outcomes.length; i++) out[i] = codes.indexOf(outcomes[i]);
  return out;
}

export function decodeOutcomes(bytes: Uint8Array): Outcome[] {
  const out = new Array<Outcome>(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = codes[bytes[i]];
  return out;
}

export function serializeError(err: unknown): SerializedError {
  const e = err as { code?: unknown; message?: string; cause?: { code?: unknown; message?: string } };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const message = e.message ?? String(err);
  const cause = e.cause;
  if (cause === undefined || cause === null) return { code, message };
  const causeCode = typeof cause.code === 'string' ? cause.code : undefined;
  return { code, message, cause: { code: causeCode, message: cause.message ?? String(cause) } };
}

export function deserializeError(e: SerializedError): Error {
  const cause = e.cause && Object.assign(new Error(e.cause.message), { code: e.cause.code });
  switch (e.code) {
    case 'STORE_FULL':
      return new StorageFullError(cause);
    case 'STORE_UNAVAILABLE':
      return new StoreUnavailableError(cause);
    default:
      return Object.assign(new Error(e.message, { cause }), { code: e.code });
  }
}
