/**
 * The SQLite writer thread. It owns the only writing connection and runs each
 * group commit (fsync included) off the server's event loop, so HTTP parsing
 * and validation of the next group overlap with the commit of this one.
 * Between commits it advances the dedup index's merge, one chunk at a time,
 * and runs the retention steps it is sent.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Batch } from '../event-store.js';
import { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
import { encodeOutcomes, serializeError, type WorkerReply, type WorkerRequest } from './worker-protocol.js';

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

port.on('message', (request: WorkerRequest) => {
  let reply: WorkerReply;
  if (request.op === 'insert') {
    try {
      const result = store.insertBatchSync(request.batch as Batch);
      reply = { id: request.id, outcomes: encodeOutcomes(result.outcomes), lastSeq: result.lastSeq };
    } catch (err) {
      reply = { id: request.id, error: serializeError(err) };
    }
    port.postMessage(reply);
    maintainSoon();
    return;
  }
  if (request.op === 'prune') {
    // One bounded retention step, between commits like any message (see sqlite-pruner.ts).
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
