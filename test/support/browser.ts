/**
 * Headless Chromium for the browser tests: Debian's package driven by
 * playwright-core (never a downloaded browser). Without Chromium a browser
 * test skips on a developer machine but FAILS in CI (CI set), so a broken
 * install can never pass as green.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { makeTempDir, removeDir } from './harness.js';

const executablePath = '/usr/bin/chromium';
const missing = !existsSync(executablePath);

/** The `skip` option of a browser test; in CI a missing browser is a failing test instead. */
export function browserSkip(): string | false {
  if (missing && process.env.CI) {
    test('the browser tests need Chromium in CI', () => {
      assert.fail(`${executablePath} is missing: .ci/run installs it (apt-get install chromium)`);
    });
  }
  return missing && !process.env.CI ? `${executablePath} not installed` : false;
}

export async function launch(t: { after: (fn: () => unknown) => void }): Promise<BrowserContext> {
  const profile = makeTempDir('agg-chromium-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    viewport: { width: 1280, height: 1000 },
  });
  // One hook, in this order: Chromium writes to its profile until it has closed.
  t.after(async () => {
    await context.close();
    removeDir(profile);
  });
  return context;
}

/**
 * Records what must never happen on a page: dialogs, script errors, console
 * errors (a CSP violation is one), failed requests. `expected` lists console
 * errors a test provokes on purpose (e.g. the 401 a browser logs for a fetch).
 */
export function watch(page: Page, expected: readonly RegExp[] = []): string[] {
  const problems: string[] = [];
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !expected.some((e) => e.test(msg.text()))) {
      problems.push(`console error: ${msg.text()}`);
    }
  });
  page.on('requestfailed', (req) => {
    // Leaving the page aborts the open event stream, and the page aborts its own reads when it
    // changes course (a new topic filter, a refused key); neither is a failure.
    if (req.url().includes('/subscribe') || req.failure()?.errorText === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${req.url()} (${req.failure()?.errorText})`);
  });
  return problems;
}
