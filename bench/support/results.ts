/** Appends a dated table to bench/RESULTS.md in the source tree (these scripts run from dist/bench/). */
import { appendFileSync } from 'node:fs';

const resultsFile = new URL('../../../bench/RESULTS.md', import.meta.url);

export function appendResults(text: string): void {
  appendFileSync(resultsFile, text);
}
