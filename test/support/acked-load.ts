/**
 * Load for the failure tests: `clients` loops each POST the next batch of a
 * LoadPlan once and remember which batches were acknowledged (HTTP 200).
 * Failures are not retried here: the test decides what to resend.
 */
import { Pool } from 'undici';
import type { LoadPlan } from '../../src/loadgen/load-plan.js';

export interface AckedLoad {
  readonly plan: LoadPlan;
  readonly acked: Set<number>;
  /** How many answers had each status, and the `error` codes of the non-200 ones. */
  readonly statuses: Map<number, number>;
  readonly errorCodes: Set<string>;
  /** Resolves when every client has stopped (the plan ran out or the server went away). */
  readonly done: Promise<void>;
  /** Resolves once `n` batches are acknowledged. */
  ackedAtLeast(n: number): Promise<void>;
}

export function runAckedLoad(url: string, plan: LoadPlan, clients: number): AckedLoad {
  const pool = new Pool(url, { connections: clients });
  const acked = new Set<number>();
  const statuses = new Map<number, number>();
  const errorCodes = new Set<string>();
  const waiters: { n: number; resolve: () => void }[] = [];
  let next = 0;
  let failures = 0;

  async function client(): Promise<void> {
    while (next < plan.batches && failures < clients * 4) {
      const k = next++;
      try {
        const res = await pool.request({
          method: 'POST',
          path: '/publish',
          headers: { 'content-type': 'application/json' },
          body: plan.body(k),
        });
        const text = await res.body.text();
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        if (res.statusCode !== 200) errorCodes.add(errorCodeOf(text));
        if (res.statusCode === 200) {
          acked.add(k);
          for (const w of waiters) if (acked.size >= w.n) w.resolve();
        } else failures++;
      } catch {
        failures++;
      }
    }
  }
  const done = Promise.all(Array.from({ length: clients }, client)).then(() => pool.destroy());
  return {
    plan,
    acked,
    statuses,
    errorCodes,
    done,
    ackedAtLeast: (n) =>
      new Promise((resolve) => {
        if (acked.size >= n) resolve();
        else waiters.push({ n, resolve });
      }),
  };
}

function errorCodeOf(body: string): string {
  try {
    return String(JSON.parse(body).error);
  } catch {
    return `unparseable: ${body.slice(0, 80)}`;
  }
}

/** The dedup keys of the events a set of batches carried. */
export function keysOf(plan: LoadPlan, batches: Iterable<number>): Set<string> {
  const keys = new Set<string>();
  for (const k of batches) for (const e of plan.batchEvents(k)) keys.add(`${e.topic}/${e.event_id}`);
  return keys;
}
