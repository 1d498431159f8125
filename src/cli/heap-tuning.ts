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
 * bench:growth (bench/RESULTS.md, issue #13). With 50 % the heap stays near
 * 1.5× the live set: through the 10M fill 190 MB peak RSS (30 %: 188 MB, for
 * more full GCs — 7 % more server CPU in a side-by-side run at batches of 1000).
 *
 * The flag is read at every full GC, so setting it at runtime takes effect at
 * once. `node --heap-growing-percent=N …` on the command line wins over it.
 *
 * The young generation's size is fixed when a heap is created, so it cannot
 * be set from here: `serverNodeFlags` must be on node's own command line. The
 * launchers carry them — `npm start`, the `aggregator` bin's shebang, the
 * Docker ENTRYPOINT, startServer (tests, benchmarks); a unit test checks they
 * agree — and serve warns when started without them. Why 4 MB semi-spaces:
 * V8's default (16 MB, a 32 MB young generation, all of it resident under
 * load) cost 28 MB of peak RSS on a 2M fill in batches of 1000 with the same
 * CPU per event (219 → 191 MB, 22.5 → 22.2 µs).
 */
import { setFlagsFromString } from 'node:v8';

/** Node flags `aggregator serve` is launched with (see above). */
export const serverNodeFlags = ['--max-semi-space-size=4'] as const;

/** How far past the last full GC's survivors the old generation may grow before the next one. */
export const heapGrowingPercent = 50;

/** Applies the server's heap settings, unless node's command line already chose them. */
export function tuneHeap(execArgv: readonly string[] = process.execArgv): void {
  if (execArgv.some((arg) => /^--heap[-_]growing[-_]percent\b/.test(arg))) return;
  setFlagsFromString(`--heap-growing-percent=${heapGrowingPercent}`);
}

/** True when node was started with a young-generation bound (its command line or NODE_OPTIONS). */
export function youngGenerationBounded(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions = process.env.NODE_OPTIONS ?? '',
): boolean {
  const bound = /(^|\s)--(max[-_]semi[-_]space[-_]size|max[-_]heap[-_]size)\b/;
  return execArgv.some((arg) => bound.test(arg)) || bound.test(nodeOptions);
}
