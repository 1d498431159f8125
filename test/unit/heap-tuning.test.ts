/**
 * The server's heap setting (src/cli/heap-tuning.ts): under the garbage
 * pattern of batched ingest, the heap stays well below what V8's defaults let
 * it reach. Each case runs in its own process, since the setting is process-wide.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';

const tuning = new URL('../../src/cli/heap-tuning.js', import.meta.url).href;

/** Parses batches of 1,000 events like the ingest route, keeps the last 20 alive; prints the peak heap in MB. */
const churn = (tuned: boolean, execArgv: string[] = []) => {
  const script = `
    import { getHeapStatistics } from 'node:v8';
    import { tuneHeap } from ${JSON.stringify(tuning)};
    if (${tuned}) tuneHeap();
    const live = [];
    let peak = 0;
    for (let i = 0; i < 600; i++) {
      const body = JSON.stringify(Array.from({ length: 1000 }, (_, k) => ({ topic: 't', event_id: 'e' + i + '-' + k, payload: 'x'.repeat(150) })));
      live.push(JSON.parse(body));
      if (live.length > 20) live.shift();
      peak = Math.max(peak, getHeapStatistics().total_heap_size);
    }
    console.log(Math.round(peak / 2 ** 20));`;
  const out = execFileSync(process.execPath, [...execArgv, '--input-type=module', '-e', script]);
  return Number(out.toString().trim());
};

test('the tuned heap grows to well under what V8 allows by default for the same garbage', () => {
  const untuned = churn(false);
  const tuned = churn(true);
  assert.ok(tuned < untuned * 0.85, `tuned peak ${tuned} MB, untuned ${untuned} MB`);
});

test("node's own --heap-growing-percent on the command line is left alone", () => {
  // 400 % lets the heap grow further than V8's default; tuneHeap must not override it.
  const chosen = churn(true, ['--heap-growing-percent=400']);
  const tuned = churn(true);
  assert.ok(chosen > tuned, `with the command line's 400 %: ${chosen} MB, tuned: ${tuned} MB`);
});
