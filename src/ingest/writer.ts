/**
 * The writer: the only code that writes events. Callers submit one request's
 * validated events and wait; one loop takes everything that is waiting (up to
 * `batchEvents`) and commits it in ONE store transaction — group commit — then
 * answers each caller with its own outcomes. A caller is answered only after
 * its events are durable.
 *
 * Group sizing is adaptive without a timer: the loop starts on `setImmediate`,
 * i.e. after the current I/O round has queued every request it parsed. At low
 * load that is one request and the commit is immediate (low latency); at high
 * load everything that arrived during the previous commit rides the next one,
 * so fsync cost is amortised over large batches.
 */
import type { PreparedEvent } from '../domain/event.js';
import { type Outcome, OutcomeTally } from '../domain/outcome.js';
import { type EventStore, type InsertResult, storeFaultCode } from '../store/event-store.js';
import { OverloadedError, ShuttingDownError } from './writer-errors.js';

interface WriterOptions {
  /** Events allowed to wait before submit() refuses with OverloadedError. */
  readonly queueEvents: number;
  /** Most events per transaction. */
  readonly batchEvents: number;
  /** Milliseconds since the epoch: each commit's `received_at`. */
  readonly clock: () => number;
  /** Replaces the tuning derived from the store (tests of the split itself). */
  readonly tuning?: WriterTuning;
}

/** How groups are formed; derived from where the store commits (see tuningFor). */
interface WriterTuning {
  /**
   * When set, a group larger than this takes only about half of what waits
   * (see #take). Useful only when commits run off the event loop.
   */
  readonly splitAbove: number | undefined;
  /**
   * Transactions handed to the store before the first of them is answered.
   * With 2 or more, the store's thread (or connection) starts the next commit
   * the moment one ends, instead of idling for the round trip through the
   * event loop; the store still commits them one after the other (the SQLite
   * writer thread folds all that wait into one transaction).
   */
  readonly pipeline: number;
}

/**
 * Off the event loop (writer thread, PostgreSQL), commits overlap with
 * parsing: split heavy groups and keep two in flight (measured in
 * bench/RESULTS.md: 50k → 59k events/s). Inline, a commit blocks the event
 * loop anyway: one group at a time, as large as it comes.
 */
function tuningFor(store: Pick<EventStore, 'commitsOffLoop' | 'commitPipeline'>): WriterTuning {
  return store.commitsOffLoop
    ? { splitAbove: 32, pipeline: store.commitPipeline ?? 2 }
    : { splitAbove: undefined, pipeline: 1 };
}

export interface CommitInfo {
  readonly lastSeq: number;
  readonly events: number;
  readonly stored: number;
  readonly duplicates: number;
  readonly conflicts: number;
  /** Deliveries refused as invalid whose count this commit carried. */
  readonly rejected: number;
  readonly requests: number;
  readonly seconds: number;
}

interface Job {
  readonly events: readonly PreparedEvent[];
  readonly resolve: (outcomes: Outcome[]) => void;
  readonly reject: (err: unknown) => void;
}

export class Writer {
  readonly #store: EventStore;
  readonly #options: WriterOptions;
  readonly #tuning: WriterTuning;
  readonly #listeners: ((info: CommitInfo) => void)[] = [];
  #queue: Job[] = [];
  #queuedEvents = 0;
  #refused = 0;
  #refusedWaiters: (() => void)[] = [];
  #probe = false;
  #running: Promise<void> | undefined;
  /** Set while the loop waits with room in the pipeline: new work wakes it (after the I/O round). */
  #wake: (() => void) | undefined;
  #wakeScheduled = false;
  #closed = false;
  #healthy = true;

  constructor(store: EventStore, options: WriterOptions) {
    this.#store = store;
    this.#options = options;
    this.#tuning = options.tuning ?? tuningFor(store);
  }

  /** Events waiting for a transaction. */
  get depth(): number {
    return this.#queuedEvents;
  }

  /** False after a failed commit, until one succeeds; false once closed. */
  get healthy(): boolean {
    return this.#healthy && !this.#closed;
  }

  /** Called after every successful commit (live subscribers, metrics). */
  onCommit(listener: (info: CommitInfo) => void): void {
    this.#listeners.push(listener);
  }

  /** Resolves with one outcome per event once all of them are committed. */
  submit(events: readonly PreparedEvent[]): Promise<Outcome[]> {
    if (this.#closed) return Promise.reject(new ShuttingDownError());
    if (events.length === 0) return Promise.resolve([]);
    // A request larger than the whole bound is still taken when nothing waits, or it could never get in.
    if (this.#queuedEvents > 0 && this.#queuedEvents + events.length > this.#options.queueEvents) {
      return Promise.reject(new OverloadedError());
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ events, resolve, reject });
      this.#queuedEvents += events.length;
      this.#running ??= this.#run();
      this.#nudge();
    });
  }

  /**
   * Wakes a loop that waits on a commit while the pipeline has room, so a new
   * group goes to the store while the previous one still commits. Deferred to
   * setImmediate, so every request parsed in this I/O round joins that group.
   */
  #nudge(): void {
    if (this.#wake === undefined || this.#wakeScheduled) return;
    this.#wakeScheduled = true;
    setImmediate(() => {
      this.#wakeScheduled = false;
      const wake = this.#wake;
      this.#wake = undefined;
      wake?.();
    });
  }

  /**
   * Counts deliveries refused as invalid. The count rides the next commit (one
   * is started if none is due), so a flood of bad requests costs no extra
   * transactions under load and the counter stays in the store with the rest.
   * Resolves once the count is committed (a broker source terminates the
   * message only then); never rejects — after a failed commit the count rides a later one.
   */
  countRefused(count: number): Promise<void> {
    if (count <= 0) return Promise.resolve();
    this.#refused += count;
    const counted = new Promise<void>((resolve) => this.#refusedWaiters.push(resolve));
    if (!this.#closed) this.#running ??= this.#run();
    return counted;
  }

  /**
   * After a failed commit `healthy` stays false until a commit succeeds — but
   * a replica that reports unready gets no traffic from a load balancer, so
   * none may come to prove recovery. Readiness calls this: when unhealthy and
   * idle, it commits an empty batch to test the store's write path.
   */
  async recheck(): Promise<boolean> {
    if (!this.#healthy && !this.#closed && this.#running === undefined) {
      this.#probe = true;
      this.#running = this.#run();
    }
    await this.#running;
    return this.healthy;
  }

  /** Refuses new work, commits everything already accepted, then resolves. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#running;
  }

  async #run(): Promise<void> {
    try {
      await new Promise(setImmediate);
      if (this.#probe && this.#queue.length === 0 && this.#refused === 0) await this.#commit([]);
      this.#probe = false;
      const inFlight = new Set<Promise<void>>();
      // A failed count-only commit is not retried in a loop; the count rides the next commit.
      let countFailed = false;
      for (;;) {
        while (
          inFlight.size < this.#tuning.pipeline &&
          (this.#queue.length > 0 || (this.#refused > 0 && !countFailed))
        ) {
          const jobs = this.#take();
          const done: Promise<void> = this.#commit(jobs).then((ok) => {
            inFlight.delete(done);
            if (!ok && jobs.length === 0) countFailed = true;
          });
          inFlight.add(done);
        }
        if (inFlight.size === 0) break;
        const woken = new Promise<void>((resolve) => {
          this.#wake = inFlight.size < this.#tuning.pipeline ? resolve : undefined;
        });
        await Promise.race([...inFlight, woken]);
        this.#wake = undefined;
      }
    } finally {
      this.#running = undefined;
    }
  }

  /**
   * Takes whole jobs, oldest first (at least one when any wait). At light load
   * that is everything waiting: one commit, lowest latency. At heavy load it is
   * about half, so two groups alternate: one commits off the event loop while
   * the event loop parses the requests that will join the next. Without the
   * split, closed-loop producers fall into lockstep — all of them wait on the
   * same commit and nothing arrives to overlap with it.
   */
  #take(): Job[] {
    const { batchEvents } = this.#options;
    const { splitAbove } = this.#tuning;
    const cap =
      splitAbove === undefined
        ? batchEvents
        : Math.min(batchEvents, Math.max(splitAbove, Math.ceil(this.#queuedEvents / 2)));
    let n = 0;
    let count = 0;
    while (count < this.#queue.length) {
      const size = this.#queue[count].events.length;
      if (count > 0 && n + size > cap) break;
      n += size;
      count++;
    }
    const jobs = this.#queue.splice(0, count);
    this.#queuedEvents -= n;
    return jobs;
  }

  /** Commits the jobs' events in one transaction; false when the store failed. */
  async #commit(jobs: Job[]): Promise<boolean> {
    const events = jobs.length === 1 ? jobs[0].events : jobs.flatMap((j) => j.events);
    const rejected = this.#refused;
    const refusedWaiters = this.#refusedWaiters;
    this.#refused = 0;
    this.#refusedWaiters = [];
    const started = performance.now();
    let result: InsertResult;
    try {
      result = await this.#store.insertBatch({ events, receivedAt: this.#options.clock(), rejected });
    } catch (err) {
      this.#healthy = false;
      this.#refused += rejected;
      this.#refusedWaiters.push(...refusedWaiters);
      // Nothing of the group was stored. Retry each request alone, so a fault
      // tied to one request never fails the other requests that shared its transaction —
      // unless the store itself is failing: retrying alone would only repeat the wait per request.
      if (jobs.length > 1 && storeFaultCode(err) === undefined) {
        for (const job of jobs) await this.#commit([job]);
      } else {
        for (const job of jobs) job.reject(err);
      }
      return false;
    }
    this.#healthy = true;
    for (const counted of refusedWaiters) counted();
    let offset = 0;
    for (const job of jobs) {
      job.resolve(result.outcomes.slice(offset, offset + job.events.length));
      offset += job.events.length;
    }
    const tally = OutcomeTally.of(result.outcomes);
    const info: CommitInfo = {
      lastSeq: result.lastSeq,
      events: tally.received,
      stored: tally.stored,
      duplicates: tally.duplicates,
      conflicts: tally.conflicts,
      rejected,
      requests: jobs.length,
      seconds: (performance.now() - started) / 1000,
    };
    for (const listener of this.#listeners) listener(info);
    return true;
  }
}
