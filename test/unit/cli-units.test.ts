/** Small pieces of the command line: durations, the progress bar's text, and the declared Node range. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import semver from 'semver';
import { parseDuration } from '../../src/cli/duration.js';
import { formatSeconds, progressBar } from '../../src/cli/progress.js';

const fakeStream = (isTTY: boolean, write: (s: string) => void) =>
  ({ isTTY, write: (s: string) => write(s) === undefined }) as unknown as NodeJS.WriteStream;

test('durations: a number with ms, s, m or h; a bare number is seconds', () => {
  assert.equal(parseDuration('90s', '--deadline'), 90_000);
  assert.equal(parseDuration('1.5m', '--deadline'), 90_000);
  assert.equal(parseDuration('2h', '--deadline'), 7_200_000);
  assert.equal(parseDuration('250ms', '--deadline'), 250);
  assert.equal(parseDuration('30', '--deadline'), 30_000);
  for (const bad of ['', 'soon', '0s', '-5s', '5d', '1e3'])
    assert.throws(() => parseDuration(bad, '--deadline'), /--deadline must be a duration/, bad);
});

test('the progress bar counts events and shows the time left at the current rate', () => {
  let out = '';
  const stream = fakeStream(true, (s) => {
    out += s;
  });
  const bar = progressBar(1000, 'publishing', stream);
  bar.update(1000);
  bar.note('a retry line');
  bar.finish();
  assert.match(out, /publishing \[#{30}\] 100% 1000\/1000 events \d+\/s ETA 0s/);
  assert.ok(out.includes('\r\u001b[Ka retry line\n'), 'a note clears the bar line and goes above it');
  assert.equal([formatSeconds(42), formatSeconds(75), formatSeconds(3725)].join(' '), '42s 1m15s 1h02m');
});

test('off a terminal the bar draws nothing; notes still print, one line each', () => {
  let out = '';
  const stream = fakeStream(false, (s) => {
    out += s;
  });
  const bar = progressBar(10, 'publishing', stream);
  bar.update(5);
  bar.note('retry');
  bar.finish();
  assert.equal(out, 'retry\n');
});

/**
 * A range cut into one range per major version: semver.subset compares one
 * range with one alternative of the other at a time, so `>=22 <27` would not
 * count as inside `22.x || 23.x || … || 26.x` although every version is.
 */
function byMajor(range: string): semver.Range[] {
  const pieces: semver.Range[] = [];
  for (const set of new semver.Range(range).set) {
    for (let major = 0; major < 100; major++) {
      const piece = new semver.Range(
        `${set.map((c) => c.value).join(' ')} >=${major}.0.0 <${major + 1}.0.0-0`,
      );
      if (semver.minVersion(piece) !== null) pieces.push(piece);
    }
  }
  return pieces;
}

test('every installed package supports every Node version package.json declares (no EBADENGINE)', () => {
  const root = new URL('../../../', import.meta.url);
  const ours = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')).engines.node as string;
  const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8')) as {
    packages: Record<string, { engines?: { node?: string } | string[] }>;
  };
  const narrower = Object.entries(lock.packages)
    .filter(([path, p]) => path !== '' && !Array.isArray(p.engines) && p.engines?.node)
    .filter(([, p]) => byMajor(ours).some((r) => !semver.subset(r, (p.engines as { node: string }).node)))
    .map(([path, p]) => `${path} wants node ${(p.engines as { node: string }).node}`);
  assert.deepEqual(narrower, [], `declared ${ours}`);
  assert.ok(
    semver.satisfies(process.version, ours),
    `this Node (${process.version}) is in the declared range`,
  );
});
