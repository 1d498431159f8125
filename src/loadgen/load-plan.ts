/**
 * A deterministic load: `events` deliveries of which exactly
 * floor(events × dupRate) are re-sends of an earlier event (same body), spread
 * evenly and pointing at pseudo-random earlier events, so some repeat inside a
 * batch and most across batches. Batches are built lazily, so a plan for
 * millions of events costs no memory until it is sent.
 */

import type { Event } from '../domain/event.js';
import { hash53 } from '../domain/fingerprint.js';

interface LoadPlanOptions {
  readonly events: number;
  readonly dupRate: number;
  readonly batch: number;
  readonly topics: number;
  /** Prefix of every event_id; the same run id reproduces the same events. */
  readonly runId: string;
}

export class LoadPlan {
  readonly options: LoadPlanOptions;
  readonly batches: number;
  readonly duplicates: number;
  readonly unique: number;
  readonly #base = Date.parse('2026-01-01T00:00:00Z');

  constructor(options: LoadPlanOptions) {
    if (!(options.dupRate >= 0 && options.dupRate < 1)) throw new RangeError('dup rate must be in [0, 1)');
    if (options.batch < 1 || options.topics < 1 || options.events < 0) throw new RangeError('bad load plan');
    this.options = options;
    this.batches = Math.ceil(options.events / options.batch);
    this.duplicates = Math.floor(options.events * options.dupRate);
    this.unique = options.events - this.duplicates;
  }

  /** The unique event with this index. */
  event(index: number): Event {
    return {
      topic: `load.topic-${index % this.options.topics}`,
      // Random-looking like a UUIDv4 (a sequential id would flatter any B-tree); the suffix keeps it unique.
      event_id: `${hash53(`${this.options.runId}/${index}`).toString(16).padStart(14, '0')}-${this.options.runId}-${index}`,
      timestamp: new Date(this.#base + index).toISOString(),
      source: 'aggregator-publish',
      payload: { n: index, amount: (index * 7919) % 100_000, currency: 'EUR', note: 'load test event' },
    };
  }

  /** Which unique event is delivered at this position of the run. */
  eventAt(position: number): number {
    const d = this.options.dupRate;
    const dupsBefore = Math.floor(position * d);
    const uniqueBefore = position - dupsBefore;
    const isDuplicate = Math.floor((position + 1) * d) > dupsBefore;
    return isDuplicate ? hash53(String(position)) % uniqueBefore : uniqueBefore;
  }

  /** The events of batch k, in delivery order. */
  batchEvents(k: number): Event[] {
    const start = k * this.options.batch;
    const end = Math.min(start + this.options.batch, this.options.events);
    const out: Event[] = [];
    for (let p = start; p < end; p++) out.push(this.event(this.eventAt(p)));
    return out;
  }

  /** The request body of batch k: a bare event for batches of one, else a JSON array. */
  body(k: number): string {
    const events = this.batchEvents(k);
    return JSON.stringify(this.options.batch === 1 ? events[0] : events);
  }
}
