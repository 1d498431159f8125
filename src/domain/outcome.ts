/**
 * What happened to one delivered event. Expected outcomes are values, not
 * exceptions: a duplicate is a success for the producer.
 *   stored    — first delivery of its (topic, event_id); now durable
 *   duplicate — the key was already stored (or repeated earlier in the batch); same body
 *   conflict  — a duplicate whose body differs from the stored one (first write wins)
 */
export type Outcome = 'stored' | 'duplicate' | 'conflict';

/** The per-request answer of POST /publish (SPEC), built from the request's outcomes in order. */
export interface PublishSummary {
  received: number;
  unique_processed: number;
  duplicate_dropped: number;
  duplicates: number[];
  conflicts: number[];
}

export function summarize(outcomes: readonly Outcome[]): PublishSummary {
  const duplicates: number[] = [];
  const conflicts: number[] = [];
  for (let i = 0; i < outcomes.length; i++) {
    const o = outcomes[i];
    if (o === 'stored') continue;
    duplicates.push(i);
    if (o === 'conflict') conflicts.push(i);
  }
  return {
    received: outcomes.length,
    unique_processed: outcomes.length - duplicates.length,
    duplicate_dropped: duplicates.length,
    duplicates,
    conflicts,
  };
}
