/**
 * The store contract. Two implementations, each in a folder beside this file
 * (sqlite/, postgres/; open-store.ts opens the configured one), pass one
 * shared test suite (test/support/store-contract.ts, run by test/store/). The
 * writer is the only caller of insertBatch; everything else only reads.
 */
import type { PreparedEvent, StoredEvent } from '../domain/event.js';
import type { Outcome } from '../domain/outcome.js';

/** One group commit's worth of work. */
export interface Batch {
  readonly events: readonly PreparedEvent[];
  /** Milliseconds since the epoch, stamped on every stored event as `received_at`. */
  readonly receivedAt: number;
  /** Deliveries refused as invalid since the last commit; added to the lifetime `rejected` counter. */
  readonly rejected: number;
}

export interface InsertResult {
  /** One outcome per input event, in input order. */
  readonly outcomes: Outcome[];
  /** Highest seq stored so far (after this batch); for live subscribers. */
  readonly lastSeq: number;
}

export interface Counters {
  received: number;
  unique_processed: number;
  duplicate_dropped: number;
  conflicts: number;
}

export interface TopicCounters extends Counters {
  topic: string;
}

/** Lifetime totals: the sum of the per-topic counters. */
export function totalOf(topics: readonly Counters[]): Counters {
  const total = { received: 0, unique_processed: 0, duplicate_dropped: 0, conflicts: 0 };
  for (const t of topics) {
    total.received += t.received;
    total.unique_processed += t.unique_processed;
    total.duplicate_dropped += t.duplicate_dropped;
    total.conflicts += t.conflicts;
  }
  return total;
}

export interface StoreStats extends Counters {
  /** Per topic, sorted by topic name. */
  readonly topics: TopicCounters[];
  readonly last_seq: number;
  /** Deliveries refused as invalid (not part of `received`), lifetime. */
  readonly rejected: number;
  readonly retention: RetentionStats;
}

/** What retention has pruned, lifetime; moved in the same transaction as the deletes. */
export interface RetentionStats {
  /** Event bodies deleted. */
  readonly events_pruned: number;
  /** UTF-8 bytes of the deleted events' fields (topic, event_id, timestamp, source, payload). */
  readonly bytes_reclaimed: number;
  /** Keys whose body is gone but which still make a re-send a duplicate (one per pruned event). */
  readonly keys_kept: number;
  /** Every event with seq up to this one is pruned (0: none); pruning goes in seq order. */
  readonly pruned_through_seq: number;
}

export const noRetention: RetentionStats = Object.freeze({
  events_pruned: 0,
  bytes_reclaimed: 0,
  keys_kept: 0,
  pruned_through_seq: 0,
});

/**
 * One bounded step of retention (see src/retention/pruner.ts). Events go
 * oldest first (seq order) while one of the limits says so.
 */
export interface PruneRequest {
  /** Events received before this (milliseconds since the epoch) are due. */
  readonly receivedBefore?: number | undefined;
  /** While the store's data takes more bytes than this, the oldest events are due. */
  readonly maxBytes?: number | undefined;
  /** Most events this step deletes: bounds how long it holds the writer up. */
  readonly maxEvents: number;
}

export interface PruneResult {
  /** Events deleted by this step. */
  readonly pruned: number;
  /** Whether more is due right now (call again soon) or not (wait for time or data to pass). */
  readonly more: boolean;
}

export interface ListQuery {
  readonly topic?: string | undefined;
  /** Return events with seq strictly greater than this. */
  readonly after: number;
  readonly limit: number;
}

/** The lifetime totals without the per-topic rows (what GET /stats/summary serves). */
export interface StoreTotals extends Counters {
  readonly topic_count: number;
  readonly rejected: number;
  readonly last_seq: number;
}

export interface NewestQuery {
  readonly topic?: string | undefined;
  /** Return events with seq strictly less than this; undefined: from the newest. */
  readonly before?: number | undefined;
  readonly limit: number;
}

export interface EventStore {
  /** Where the data lives, for the startup line (never includes credentials). */
  readonly location: string;
  /**
   * Whether a commit runs off the event loop (a writer thread, a database
   * server): the writer then keeps two commits in flight and splits heavy
   * groups, so parsing overlaps with committing (see ingest/writer.ts).
   */
  readonly commitsOffLoop: boolean;
  /**
   * How many commits the writer may hand over before the first is answered
   * (default 2). The SQLite writer thread folds every batch waiting for it
   * into one transaction, so there more in flight costs no extra fsync.
   */
  readonly commitPipeline?: number;
  /**
   * Stores every event whose (topic, event_id) is new, in input order, and
   * moves the lifetime counters — all in one transaction, durable when the
   * promise resolves. Rejects (and stores nothing) on a fault.
   */
  insertBatch(batch: Batch): Promise<InsertResult>;
  stats(): Promise<StoreStats>;
  /** The totals of stats() summed by the database, no per-topic rows: cheap with many topics. */
  totals(): Promise<StoreTotals>;
  /** Stored events in seq (commit) order. */
  list(query: ListQuery): Promise<StoredEvent[]>;
  /**
   * Stored events newest first (descending seq): a topic's latest events
   * however far back they lie, read from the (topic, seq) index.
   */
  listNewest(query: NewestQuery): Promise<StoredEvent[]>;
  /**
   * Optional: deletes the bodies of due events, oldest first, in one
   * transaction with the retention counters, keeping a compact record of
   * each key so a re-send stays a duplicate for ever.
   */
  prune?(request: PruneRequest): Promise<PruneResult>;
  /** Resolves when the store can be read and written; rejects otherwise. */
  ping(): Promise<void>;
  /**
   * Optional: calls `listener` with the highest seq when ANOTHER process
   * committed events (PostgreSQL replicas); returns an unsubscribe function.
   * Local commits are announced by the writer, not here.
   */
  watch?(listener: (lastSeq: number) => void): () => void;
  /** Optional: calls `listener` when the store broke beyond recovery (its writer thread died). */
  onFatal?(listener: (err: Error) => void): void;
  close(): Promise<void>;
}

/**
 * A store fault a caller can act on, told apart by its `code` (as undici's
 * errors are): `STORE_UNAVAILABLE` — retry later (HTTP 503); `STORE_FULL` —
 * the disk is full and nothing of the batch was written (HTTP 507). Any other
 * error from a store is a bug. The code also survives a thread boundary,
 * which a class does not.
 */
export type StoreFaultCode = 'STORE_UNAVAILABLE' | 'STORE_FULL';

/** The store cannot be reached or is failing; retry later. */
export class StoreUnavailableError extends Error {
  readonly code = 'STORE_UNAVAILABLE';
  constructor(cause: unknown) {
    super('the event store is unavailable', { cause });
  }
}

/** The disk is full; nothing of the batch was written. */
export class StorageFullError extends Error {
  readonly code = 'STORE_FULL';
  constructor(cause: unknown) {
    super('the event store is out of disk space', { cause });
  }
}

/** The fault's code when `err` is one of the store faults above, else undefined. */
export function storeFaultCode(err: unknown): StoreFaultCode | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return code === 'STORE_UNAVAILABLE' || code === 'STORE_FULL' ? code : undefined;
}
