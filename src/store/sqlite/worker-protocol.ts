/** Messages between the server thread and the SQLite writer thread. */
import type { Outcome } from '../../domain/outcome.js';
import type { Batch } from '../event-store.js';
import { StorageFullError, StoreUnavailableError } from '../event-store.js';

export type WorkerRequest = { id: number; op: 'insert'; batch: Batch } | { id: number; op: 'close' };

export type WorkerReply =
  | { id: number; ready: true; location: string }
  | { id: number; outcomes: Uint8Array; lastSeq: number }
  | { id: number; error: SerializedError }
  | { id: number; closed: true };

export interface SerializedError {
  kind: 'full' | 'unavailable' | 'other';
  message: string;
  code?: string;
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
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? (err as { code?: string }).code;
  const kind =
    err instanceof StorageFullError ? 'full' : err instanceof StoreUnavailableError ? 'unavailable' : 'other';
  // For a store fault the kind says how to answer; the log needs SQLite's own words (the cause).
  const message = (kind !== 'other' ? cause?.message : undefined) ?? (err as Error).message ?? String(err);
  return { kind, message, ...(code ? { code } : {}) };
}

export function deserializeError(e: SerializedError): Error {
  const cause = Object.assign(new Error(e.message), { code: e.code });
  if (e.kind === 'full') return new StorageFullError(cause);
  if (e.kind === 'unavailable') return new StoreUnavailableError(cause);
  return cause;
}
