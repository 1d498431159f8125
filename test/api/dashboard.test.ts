/**
 * The dashboard in a real browser: headless Chromium (Debian's package,
 * driven by playwright-core) opens GET /, the test publishes events, and the
 * counters, topics and newest events update without a reload; a payload
 * carrying markup renders as text; it fits a phone-width screen; it runs
 * under its strict CSP without violations. With a read key set it asks for
 * the key instead of retrying for ever; the topic filter finds a topic buried
 * under thousands of newer events; the chart opens with the server's history.
 * Screenshots go to test-output/ (and to docs/dashboard.png with
 * UPDATE_DOCS_SCREENSHOT=1).
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { browserSkip, launch, watch } from '../support/browser.js';
import { event, publish, startApp, tempDir } from '../support/harness.js';

const outputDir = new URL('../../../test-output/', import.meta.url);
const docsShot = new URL('../../../docs/dashboard.png', import.meta.url);
const xss = '<img src=x onerror=alert(1)>';
const skip = browserSkip();

const text = (page: Page, selector: string) => page.locator(selector).textContent();

/** The element matching `selector` once its whole text is `want`. */
const exactly = (scope: Page | Locator, selector: string, want: string) =>
  scope.locator(selector, { hasText: new RegExp(`^${want.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) });

test('the dashboard updates live, renders payloads as text, and fits a phone', { skip }, async (t) => {
  const h = await startApp(tempDir(t));
  t.after(() => h.close());
  const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
  await publish(
    h.app,
    Array.from({ length: 40 }, (_, i) => event(i, { topic: 'orders.created' })),
  );

  const context = await launch(t);
  const page = await context.newPage();
  const problems = watch(page);
  const response = await page.goto(`${url}/`);
  assert.match(String(response?.headers()['content-security-policy']), /script-src 'self'/);

  await page.locator('#status[data-state="live"]').waitFor({ timeout: 10_000 });
  await exactly(page, '#c-unique', '40').waitFor();
  await page.locator('#recent li').nth(19).waitFor();
  assert.equal(await page.locator('#recent li').count(), 20, 'the last 20 stored events as backlog');

  // Publish while the page is open, a burst every half second, so the chart has rates to draw.
  const topics = ['orders.created', 'payments.captured', 'users.signed_up', 'shipments.sent'];
  let n = 1_000;
  let sent = 40;
  for (let round = 0; round < 8; round++) {
    const fresh = Array.from({ length: 60 + round * 40 }, () =>
      event(n++, { topic: topics[n % topics.length] }),
    );
    const repeats = fresh.slice(0, Math.floor(fresh.length / 4));
    // One repeat per round carries a different body: a conflict. And one refused request.
    repeats[0] = { ...repeats[0], payload: { changed: round } };
    await publish(h.app, [...fresh, ...repeats]);
    await publish(h.app, [{ ...event(n), timestamp: 'not a time' }]);
    sent += fresh.length;
    await new Promise((r) => setTimeout(r, 500));
  }
  await publish(h.app, [
    event(n++, { topic: 'webhooks.received', source: 'tester', payload: { html: xss } }),
  ]);
  sent += 1;

  const stats = (await (await fetch(`${url}/stats`)).json()) as Record<string, number>;
  assert.equal(stats.unique_processed, sent);
  const formatted = (x: number) => x.toLocaleString('en-US');
  await exactly(page, '#c-unique', formatted(stats.unique_processed)).waitFor({ timeout: 10_000 });
  assert.equal(await text(page, '#c-received'), formatted(stats.received));
  assert.equal(await text(page, '#c-duplicates'), formatted(stats.duplicate_dropped));
  assert.equal(await text(page, '#c-conflicts'), '8');
  await exactly(page, '#c-rejected', '8').waitFor();
  assert.equal(await page.locator('#topics tbody tr').count(), 5, 'one row per topic');

  // The newest event is the one with markup in its payload: shown as text, never as an element.
  const newest = page.locator('#recent li').first();
  await newest.locator('.topic', { hasText: 'webhooks.received' }).waitFor({ timeout: 10_000 });
  assert.equal(await newest.locator('.payload').textContent(), JSON.stringify({ html: xss }));
  await page.getByText(xss, { exact: false }).first().waitFor({ state: 'visible' });
  assert.equal(await page.locator('#recent img, #recent [onerror]').count(), 0, 'no element made from data');
  assert.ok((await page.locator('#recent li').count()) <= 50, 'the list stays short');
  assert.ok((await page.locator('#chart canvas').count()) > 0, 'the chart is drawn (uPlot, served locally)');

  mkdirSync(outputDir, { recursive: true });
  const shot = new URL('dashboard.png', outputDir);
  await page.screenshot({ path: shot.pathname });
  if (process.env.UPDATE_DOCS_SCREENSHOT) {
    mkdirSync(new URL('.', docsShot), { recursive: true });
    copyFileSync(shot, docsShot);
  }

  // Topic filter: only that topic's events, and new ones keep arriving.
  await page.locator('#topic-filter').fill('payments.captured');
  await page.locator('#filter button').click();
  await page.locator('#recent li').first().waitFor();
  const payment = event(n++, { topic: 'payments.captured' });
  await publish(h.app, [payment, event(n++, { topic: 'orders.created' })]);
  await exactly(page.locator('#recent li').first(), '.event-id', payment.event_id).waitFor();
  const shown = await page.locator('#recent li .topic').allTextContents();
  assert.ok(shown.length > 0 && shown.every((topic) => topic === 'payments.captured'), shown.join());

  // Phone width: nothing wider than the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  const overflow = (await page.evaluate(
    'document.documentElement.scrollWidth - window.innerWidth',
  )) as number;
  assert.ok(overflow <= 0, `page is ${overflow}px wider than a phone screen`);
  await page.screenshot({ path: new URL('dashboard-phone.png', outputDir).pathname, fullPage: true });

  assert.deepEqual(problems, [], 'no dialog, script error, CSP violation or failed request');
});

/** What a browser logs for a fetch the server refused: expected while the key is missing or wrong. */
const refusedFetch = /status of 40[13]/;

test('with a read key set, the dashboard asks for the key instead of retrying, then shows the data', {
  skip,
}, async (t) => {
  const h = await startApp(tempDir(t), ['--read-key', 'dash-read-key']);
  t.after(() => h.close());
  const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
  await publish(h.app, [event(1), event(2), event(3)]);

  const context = await launch(t);
  const page = await context.newPage();
  const problems = watch(page, [refusedFetch]);
  await page.goto(`${url}/`);

  await page.locator('#key-form').waitFor({ state: 'visible', timeout: 10_000 });
  assert.equal(await page.locator('#status').getAttribute('data-state'), 'key');
  assert.equal(await text(page, '#status'), 'a read key is needed');
  assert.match(String(await text(page, '#key-message')), /needs a read key/);
  assert.equal(await text(page, '#c-unique'), '–', 'no data without the key');

  await page.locator('#key-input').fill('not-the-key');
  await page.locator('#key-form button').click();
  await page.locator('#key-message', { hasText: 'not accepted' }).waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('#status').getAttribute('data-state'), 'key');

  await page.locator('#key-input').fill('dash-read-key');
  await page.locator('#key-form button').click();
  await page.locator('#status[data-state="live"]').waitFor({ timeout: 10_000 });
  await exactly(page, '#c-unique', '3').waitFor();
  assert.equal(await page.locator('#key-form').isHidden(), true);
  await page.locator('#recent li').nth(2).waitFor();

  // Remembered: a reload goes straight to the data.
  await page.reload();
  await page.locator('#status[data-state="live"]').waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('#key-form').isHidden(), true);
  assert.deepEqual(problems, [], 'no dialog, script error, CSP violation or failed request');
});

test('the topic filter shows a topic older than the last 6,000 events; the chart opens with history', {
  skip,
}, async (t) => {
  // The server's clock is the test's: the seconds published in are complete before the page opens.
  let now = Date.now();
  const h = await startApp(tempDir(t), [], () => now);
  t.after(() => h.close());
  const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
  await publish(
    h.app,
    Array.from({ length: 12 }, (_, i) => event(i, { topic: 'old.topic' })),
  );
  for (let batch = 0; batch < 6; batch++) {
    await publish(
      h.app,
      Array.from({ length: 1000 }, (_, i) => event(batch * 1000 + i, { topic: 'busy' })),
    );
  }
  await publish(h.app, [event(0, { topic: 'busy' })]);
  now += 2000;

  const context = await launch(t);
  const page = await context.newPage();
  const problems = watch(page);
  await page.goto(`${url}/`);
  await page.locator('#status[data-state="live"]').waitFor({ timeout: 10_000 });

  // The chart opens with what the server kept: every delivery so far, duplicates included.
  await page.locator('#chart[data-received="6013"]').waitFor({ timeout: 10_000 });

  await page.locator('#topic-filter').fill('old.topic');
  await page.locator('#filter button').click();
  await exactly(page.locator('#recent li').first(), '.event-id', 'evt-11').waitFor({ timeout: 10_000 });
  await page.locator('#recent li').nth(11).waitFor();
  const shown = await page.locator('#recent li .event-id').allTextContents();
  assert.deepEqual(
    shown,
    Array.from({ length: 12 }, (_, i) => `evt-${11 - i}`),
  );
  assert.ok((await page.locator('#recent li .topic').allTextContents()).every((x) => x === 'old.topic'));

  // And it keeps following that topic live.
  await publish(h.app, [event(99, { topic: 'old.topic' }), event(7777, { topic: 'busy' })]);
  await exactly(page.locator('#recent li').first(), '.event-id', 'evt-99').waitFor({ timeout: 10_000 });
  assert.deepEqual(problems, [], 'no dialog, script error, CSP violation or failed request');
});
