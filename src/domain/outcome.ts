/**
 * What happened to one delivered event. Expected outcomes are values, not
 * exceptions: a duplicate is a success for the producer.
 *   stored    — first delivery of its (topic, event_id); now durable
 *   duplicate — the key was already stored (or repeated earlier in the batch); same body
 *   conflict  — a duplicate whose body differs from the stored one (first write wins)
 */
export type Outcome = 'stored' | 'duplicate' | 'conflict';

/**
 * How a group of outcomes moves the lifetime counters — the one place that
 * says so: every delivery is received; it is either stored or a duplicate; a
 * conflict is a duplicate too (and counted apart).
 */
export class OutcomeTally {
  received = 0;
  stored = 0;
  duplicates = 0;
  conflicts = 0;

  add(outcome: Outcome): void {
    this.received++;
    if (outcome === 'stored') this.stored++;
    else {
      this.duplicates++;
      if (outcome === 'conflict') this.conflicts++;
    }
  }

  static of(outcomes: readonly Outcome[]): OutcomeTally {
    const tally = new OutcomeTally();
    for (const o of outcomes) tally.add(o);
    return tally;
  }
}

/** Tallies per topic, for the per-topic counter rows a commit moves. */
export class TopicTally extends Map<string, OutcomeTally> {
  add(topic: string, outcome: Outcome): void {
    let tally = this.get(topic);
    if (tally === undefined) {
      tally = new OutcomeTally();
      this.set(topic, tally);
    }
    tally.add(outcome);
  }
}

/** The per-request answer of POST /publish (SPEC), built from the request's outcomes in order. */
export interface PublishSummary {
  received: number;
  unique_processed: number;
  duplicate_dropped: number;
  duplicates: number[];
  conflicts: number[];
}

export function summarize(outcomes: readonly Outcome[]): PublishSummary {
  const tally = new OutcomeTally();
  const duplicates: number[] = [];
  const conflicts: number[] = [];
  for (let i = 0; i < outcomes.length; i++) {
    const o = outcomes[i];
    tally.add(o);
    if (o === 'stored') continue;
    duplicates.push(i);
    if (o === 'conflict') conflicts.push(i);
  }
  return {
    received: tally.received,
    unique_processed: tally.stored,
    duplicate_dropped: tally.duplicates,
    duplicates,
    conflicts,
  };
}
