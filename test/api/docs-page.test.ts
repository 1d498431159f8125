/**
 * /docs in a real browser (headless Chromium): Swagger UI loads the one
 * document under the page's strict CSP with no console error, is titled for
 * this product, and its Authorize button works — a read key entered there is
 * sent as a Bearer header by "Try it out", and the protected route answers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserSkip, launch, watch } from '../support/browser.js';
import { startApp, tempDir } from '../support/harness.js';

const skip = browserSkip();

test('/docs loads without CSP violations and Authorize sends the read key', { skip }, async (t) => {
  const h = await startApp(tempDir(t), ['--read-key', 'docs-read-key', '--publish-key', 'docs-publish-key']);
  t.after(() => h.close());
  const url = await h.app.listen({ host: '127.0.0.1', port: 0 });

  const page = await (await launch(t)).newPage();
  const problems = watch(page);
  const documents: string[] = [];
  page.on('response', (res) => {
    if (/\/(openapi\.json|docs\/json)$/.test(res.url()))
      documents.push(`${res.status()} ${new URL(res.url()).pathname}`);
  });
  const sent: (string | undefined)[] = [];
  page.on('request', (req) => {
    if (new URL(req.url()).pathname === '/stats') sent.push(req.headers().authorization);
  });

  await page.goto(`${url}/docs`);
  const op = page.locator('#operations-operations-getStats');
  await op.waitFor({ timeout: 15_000 });
  assert.equal(await page.title(), 'pubsub-aggregator API');
  assert.deepEqual(documents, ['301 /docs/json', '200 /openapi.json'], 'the UI reads the one document URL');

  await page.locator('.btn.authorize').first().click();
  const readKey = page.locator('.modal-ux .auth-container', { hasText: /readKey\s+\(http/ });
  await readKey.locator('input').fill('docs-read-key');
  await readKey.locator('button.authorize').click();
  await page.locator('.modal-ux .close-modal').click();

  await op.locator('.opblock-summary').click();
  await op.locator('.try-out__btn').click();
  await op.locator('.execute').click();
  const status = op.locator('.live-responses-table tbody .response-col_status');
  await status.waitFor({ timeout: 10_000 });
  assert.equal((await status.textContent())?.trim(), '200');
  assert.deepEqual(sent, ['Bearer docs-read-key']);

  assert.deepEqual(problems, [], 'no dialog, script error, CSP violation or failed request');
});
