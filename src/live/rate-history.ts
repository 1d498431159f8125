/**
 * Per-second counts of what this process's writer committed, for the last
 * hour: a fixed ring of buckets (two arrays of 3,600 numbers), so the
 * dashboard's chart opens with history instead of starting empty. Memory is
 * constant; nothing is read from the store.
 *
 * Only complete seconds are served, so a point never changes after a client
 * has drawn it. On PostgreSQL each replica counts its own commits.
 */
import type { CommitInfo } from '../ingest/writer.js';

/** How many seconds the ring keeps. */
export const historySeconds = 3600;

export interface RateSeries {
  /** The first point's second (Unix time, seconds). */
  readonly from: number;
  readonly step_seconds: 1;
  /** Deliveries committed in each second (stored + duplicates). */
  readonly received: number[];
  /** Duplicates dropped in each second. */
  readonly duplicates: number[];
}

export interface SeriesQuery {
  /** Only seconds after this Unix second (for polling what is new). */
  readonly after?: number | undefined;
  /** At most this many of the newest complete seconds. */
  readonly seconds: number;
}

export class RateHistory {
  readonly #received = new Float64Array(historySeconds);
  readonly #duplicates = new Float64Array(historySeconds);
  readonly #clock: () => number;
  /** The second this process started counting: nothing before it is known. */
  readonly #start: number;
  /** The newest second whose bucket is in use. */
  #current: number;

  /** `clock`: milliseconds since the epoch. */
  constructor(clock: () => number) {
    this.#clock = clock;
    this.#start = this.#now();
    this.#current = this.#start;
  }

  record(info: Pick<CommitInfo, 'events' | 'duplicates'>): void {
    const i = this.#advance() % historySeconds;
    this.#received[i] += info.events;
    this.#duplicates[i] += info.duplicates;
  }

  series(query: SeriesQuery): RateSeries {
    const now = this.#advance();
    const last = now - 1;
    const from = Math.max(
      this.#start,
      now - Math.min(query.seconds, historySeconds),
      query.after === undefined ? 0 : query.after + 1,
    );
    const received: number[] = [];
    const duplicates: number[] = [];
    for (let s = from; s <= last; s++) {
      received.push(this.#received[s % historySeconds]);
      duplicates.push(this.#duplicates[s % historySeconds]);
    }
    return { from, step_seconds: 1, received, duplicates };
  }

  #now(): number {
    return Math.floor(this.#clock() / 1000);
  }

  /** Moves to the current second, emptying the buckets of the seconds passed since; returns it. */
  #advance(): number {
    const now = this.#now();
    if (now > this.#current) {
      const from = Math.max(this.#current + 1, now - historySeconds + 1);
      for (let s = from; s <= now; s++) {
        this.#received[s % historySeconds] = 0;
        this.#duplicates[s % historySeconds] = 0;
      }
      this.#current = now;
    }
    return this.#current;
  }
}
