/**
 * V8 settings `aggregator serve` applies to itself when it starts, so the
 * server's memory is bounded the same way however it is launched (npm start,
 * the `aggregator` bin, the Docker image, tests and benchmarks).
 *
 * Why: under batched ingest the main thread turns every request body (a
 * ~250 KB string for 1,000 events) and its parsed events into garbage within
 * milliseconds, but V8's default heap-growing factor (up to 4× what survived
 * the last full GC) let the old generation reach ~140 MB for a ~30 MB live
 * set before collecting: that was half of the server's 319 MB peak RSS in
 * bench:growth (bench/RESULTS.md, issue #13). With 30 % the heap stays near
 * 1.3× the live set; the extra full GCs measured no CPU per event difference.
 *
 * The flag is read at every full GC, so setting it at runtime takes effect at
 * once (unlike the young generation's size, fixed when a heap is created).
 * `node --heap-growing-percent=N …` on the command line wins over it.
 */
import { setFlagsFromString } from 'node:v8';

/** How far past the last full GC's survivors the old generation may grow before the next one. */
export const heapGrowingPercent = 30;

/** Applies the server's heap settings, unless node's command line already chose them. */
export function tuneHeap(execArgv: readonly string[] = process.execArgv): void {
  if (execArgv.some((arg) => /^--heap[-_]growing[-_]percent\b/.test(arg))) return;
  setFlagsFromString(`--heap-growing-percent=${heapGrowingPercent}`);
}
