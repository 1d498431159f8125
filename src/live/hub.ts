/**
 * The hub: announces "events up to seq N are committed" — nothing more. It
 * never carries events, so it holds no memory per event and a slow subscriber
 * costs nothing but its own cursor: each subscriber reads the store behind
 * that cursor at its own pace and asks the hub only to wake it when there is
 * something past what it has already scanned.
 *
 * News comes from two places: the writer's commits (this process) and, when
 * the store offers `watch`, commits by other replicas (PostgreSQL).
 */
import type { Writer } from '../ingest/writer.js';
import type { EventStore } from '../store/event-store.js';

/** One subscriber's handle on the hub. */
interface Subscription {
  /**
   * Resolves `true` once an event past `scanned` is committed (at once if one
   * already is), or `false` when the subscription or the hub is closed.
   */
  next(scanned: number): Promise<boolean>;
  close(): void;
}

interface Waiter {
  scanned: number;
  wake: ((news: boolean) => void) | undefined;
  closed: boolean;
}

export class Hub {
  #lastSeq: number;
  readonly #waiters = new Set<Waiter>();
  readonly #unwatch: (() => void) | undefined;
  #closed = false;

  private constructor(writer: Writer, store: EventStore, lastSeq: number) {
    this.#lastSeq = lastSeq;
    writer.onCommit((info) => this.announce(info.lastSeq));
    this.#unwatch = store.watch?.((seq) => this.announce(seq));
  }

  /** Starts a hub that knows the store's current last seq. */
  static async start(writer: Writer, store: EventStore): Promise<Hub> {
    return new Hub(writer, store, (await store.stats()).last_seq);
  }

  /** Highest seq known to be committed, by this process or another replica. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Open subscriptions (for the SSE gauge and the subscriber cap). */
  get subscribers(): number {
    return this.#waiters.size;
  }

  /** Events up to `seq` are committed. Cheap: called inside the writer's commit loop. */
  announce(seq: number): void {
    if (this.#closed || seq <= this.#lastSeq) return;
    this.#lastSeq = seq;
    for (const w of this.#waiters) {
      if (w.wake !== undefined && seq > w.scanned) this.#wake(w, true);
    }
  }

  subscribe(): Subscription {
    const waiter: Waiter = { scanned: 0, wake: undefined, closed: this.#closed };
    if (!this.#closed) this.#waiters.add(waiter);
    return {
      next: (scanned) => {
        if (waiter.closed) return Promise.resolve(false);
        if (this.#lastSeq > scanned) return Promise.resolve(true);
        waiter.scanned = scanned;
        return new Promise((resolve) => {
          waiter.wake = resolve;
        });
      },
      close: () => {
        waiter.closed = true;
        this.#waiters.delete(waiter);
        this.#wake(waiter, false);
      },
    };
  }

  /** Wakes every subscriber with `false` and stops listening to the store. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unwatch?.();
    for (const w of this.#waiters) {
      w.closed = true;
      this.#wake(w, false);
    }
    this.#waiters.clear();
  }

  #wake(w: Waiter, news: boolean): void {
    const wake = w.wake;
    w.wake = undefined;
    wake?.(news);
  }
}
