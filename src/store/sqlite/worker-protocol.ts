/** Messages between the server thread and the SQLite writer thread. */
import type { Outcome } from '../../domain/outcome.js';
import type { Batch, PruneRequest } from '../event-store.js';
import { StorageFullError, StoreUnavailableError } from '../event-store.js';

export type WorkerRequest =
  | { id: number; op: 'insert'; batch: Batch }
  | { id: number; op: 'prune'; request: PruneRequest }
  | { id: number; op: 'close' };

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
