/**
 * The SQLite writer thread. It owns the only writing connection and runs each
 * group commit (fsync included) off the server's event loop, so HTTP parsing
 * and validation of the next group overlap with the commit of this one.
 * Between commits it advances the dedup index's merge, one chunk at a time,
 * and runs the retention steps it is sent.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Batch, InsertResult } from '../event-store.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
import {
  encodeOutcomes,
  serializeError,
  unflattenBatch,
  type WorkerReply,
  type WorkerRequest,
} from './worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('sqlite-worker must run as a worker thread');

const store = new SqliteStore(workerData as SqliteStoreOptions);
let maintaining = false;

/** Merge work runs when no commit is waiting: setImmediate yields to queued messages first. */
function maintainSoon(): void {
  if (maintaining) return;
  maintaining = true;
  setImmediate(() => {
    maintaining = false;
    try {
      if (store.maintain()) maintainSoon();
    } catch {
      // The merge is retried after the next commit; nothing it covers is lost (see key-index.ts).
    }
  });
}

interface Queued {
  readonly id: number;
  readonly batch: Batch;
}
const queued: Queued[] = [];
/** Most events folded into one transaction from several batches. */
const MERGE_EVENTS = 512;

/**
 * Commits the batches that arrived since the last commit in one transaction
 * (up to MERGE_EVENTS events): group commit across the batches the server
 * sent while the previous fsync ran, so more small batches in flight cost no more fsyncs. If that transaction
 * fails, each batch is retried alone, so one batch's fault does not fail the others.
 */
function commitQueued(): void {
  if (queued.length === 0) return;
  // Only small batches are folded together (single-event requests, where the fsync is the cost);
  // large ones commit one by one, so the server answers each while the next commits.
  let take = 1;
  let events = queued[0].batch.events.length;
  while (take < queued.length && events + queued[take].batch.events.length <= MERGE_EVENTS) {
    events += queued[take].batch.events.length;
    take++;
  }
  const group = queued.splice(0, take);
  if (queued.length > 0) setImmediate(commitQueued);
  let outcomes: Attempt[];
  try {
    outcomes = store.insertBatchesSync(group.map((q) => q.batch)).map((result) => ({ result }));
  } catch (error) {
    outcomes = group.length === 1 ? [{ error }] : group.map((q) => attempt(q.batch));
  }
  group.forEach(({ id }, i) => {
    const o = outcomes[i];
    const reply: WorkerReply =
      'result' in o
        ? { id, outcomes: encodeOutcomes(o.result.outcomes), lastSeq: o.result.lastSeq }
        : { id, error: serializeError(o.error) };
    port?.postMessage(reply);
  });
  maintainSoon();
}

type Attempt = { readonly result: InsertResult } | { readonly error: unknown };

function attempt(batch: Batch): Attempt {
  try {
    return { result: store.insertBatchSync(batch) };
  } catch (error) {
    return { error };
  }
}

port.on('message', (request: WorkerRequest) => {
  if (request.op === 'insert') {
    // setImmediate runs after every message already delivered to this thread: they join the group.
    if (queued.length === 0) setImmediate(commitQueued);
    queued.push({ id: request.id, batch: unflattenBatch(request.batch) });
    return;
  }
  // Inserts that arrived before this message are committed first, as if it had waited its turn.
  while (queued.length > 0) commitQueued();
  if (request.op === 'prune') {
    // One bounded retention step, between commits like any message (see sqlite-pruner.ts).
    let reply: WorkerReply;
    try {
      const { pruned, more } = store.pruneSync(request.request);
      reply = { id: request.id, pruned, more };
    } catch (err) {
      reply = { id: request.id, error: serializeError(err) };
    }
    port.postMessage(reply);
    return;
  }
  void store.close().then(() => {
    port.postMessage({ id: request.id, closed: true } satisfies WorkerReply);
    port.close();
  });
});

port.postMessage({ id: 0, ready: true, location: store.location } satisfies WorkerReply);
