/**
 * The SQLite store as the server runs it: writes go to a worker thread
 * (sqlite-worker.ts) that owns the writing connection; reads run here on a
 * read-only connection. The event loop never waits for an fsync, so the next
 * group of requests is parsed and validated while the current one commits.
 * Measured against the single-thread store in bench/RESULTS.md.
 */
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { StoredEvent } from '../../domain/event.js';
import {
  type Batch,
  type EventStore,
  type InsertResult,
  type ListQuery,
  type NewestQuery,
  type PruneRequest,
  type PruneResult,
  type StoreStats,
  type StoreTotals,
  StoreUnavailableError,
} from '../event-store.js';
import { pingSqlite } from './sqlite-faults.js';
import { SqliteReader } from './sqlite-reader.js';
import type { SqliteStoreOptions } from './sqlite-store.js';
import {
  decodeOutcomes,
  deserializeError,
  flattenBatch,
  type WorkerReply,
  type WorkerRequest,
} from './worker-protocol.js';

interface Pending {
  resolve: (reply: WorkerReply) => void;
  reject: (err: Error) => void;
}

export class ThreadedSqliteStore implements EventStore {
  readonly location: string;
  readonly commitsOffLoop = true;
  /** The writer thread commits every batch waiting for it in one transaction (sqlite-worker.ts). */
  readonly commitPipeline = 4;
  readonly #worker: Worker;
  readonly #reader: SqliteReader;
  readonly #readDb: Database.Database;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #dead: Error | undefined;
  #closing = false;
  readonly #fatalListeners: ((err: Error) => void)[] = [];

  private constructor(worker: Worker, location: string) {
    this.#worker = worker;
    this.location = location;
    this.#readDb = new Database(location, { readonly: true });
    this.#readDb.pragma('busy_timeout = 5000');
    this.#readDb.pragma('cache_size = -4096');
    this.#reader = new SqliteReader(this.#readDb);
    worker.on('message', (reply: WorkerReply) => {
      const pending = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      pending?.resolve(reply);
    });
    const fail = (err: Error) => {
      if (this.#dead) return;
      this.#dead = err;
      for (const p of this.#pending.values()) p.reject(new StoreUnavailableError(err));
      this.#pending.clear();
      if (!this.#closing) for (const listener of this.#fatalListeners) listener(err);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the SQLite writer thread exited with code ${code}`)));
  }

  /** Starts the writer thread (which creates or opens the database) and the read connection. */
  static async open(options: SqliteStoreOptions): Promise<ThreadedSqliteStore> {
    const worker = new Worker(new URL('./sqlite-worker.js', import.meta.url), {
      workerData: options,
      // A small young generation: this thread's garbage is each batch it deserialises, short-lived and small.
      resourceLimits: { maxYoungGenerationSizeMb: 8 },
    });
    const ready = await new Promise<WorkerReply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    if (!('ready' in ready)) throw new Error('the SQLite writer thread did not start');
    return new ThreadedSqliteStore(worker, ready.location);
  }

  #call(request: WorkerRequest, transfer?: ArrayBuffer[]): Promise<WorkerReply> {
    if (this.#dead) return Promise.reject(new StoreUnavailableError(this.#dead));
    return new Promise((resolve, reject) => {
      this.#pending.set(request.id, { resolve, reject });
      this.#worker.postMessage(request, transfer);
    });
  }

  async insertBatch(batch: Batch): Promise<InsertResult> {
    const flat = flattenBatch(batch);
    const reply = await this.#call({ id: this.#nextId++, op: 'insert', batch: flat }, [
      flat.fingerprints.buffer as ArrayBuffer,
    ]);
    if ('error' in reply) throw deserializeError(reply.error);
    if (!('outcomes' in reply)) throw new Error('unexpected reply from the SQLite writer thread');
    return { outcomes: decodeOutcomes(reply.outcomes), lastSeq: reply.lastSeq };
  }

  async prune(request: PruneRequest): Promise<PruneResult> {
    const reply = await this.#call({ id: this.#nextId++, op: 'prune', request });
    if ('error' in reply) throw deserializeError(reply.error);
    if (!('pruned' in reply)) throw new Error('unexpected reply from the SQLite writer thread');
    return { pruned: reply.pruned, more: reply.more };
  }

  async stats(): Promise<StoreStats> {
    return this.#reader.stats();
  }

  async list(query: ListQuery): Promise<StoredEvent[]> {
    return this.#reader.list(query);
  }

  async listNewest(query: NewestQuery): Promise<StoredEvent[]> {
    return this.#reader.listNewest(query);
  }

  async totals(): Promise<StoreTotals> {
    return this.#reader.totals();
  }

  async ping(): Promise<void> {
    if (this.#dead) throw new StoreUnavailableError(this.#dead);
    pingSqlite(this.#reader, this.location);
  }

  /**
   * Called if the writer thread dies unexpectedly. Nothing could write again, so
   * the server exits and lets its supervisor restart it (what was acknowledged is
   * already durable; what was not gets no answer and is resent by its producer).
   */
  onFatal(listener: (err: Error) => void): void {
    this.#fatalListeners.push(listener);
  }

  async close(): Promise<void> {
    this.#closing = true;
    // The reader first: the last connection to close checkpoints and removes the WAL, and
    // only the writer may do that (a read-only connection leaves -wal and -shm behind).
    if (this.#readDb.open) this.#readDb.close();
    if (!this.#dead) {
      await this.#call({ id: this.#nextId++, op: 'close' });
      this.#dead = new Error('the store is closed');
    }
    await this.#worker.terminate();
  }
}
