// Drives the System 4 demo page (examples-web/pos.html) in headless Chromium: the network
// switched off, two payments stored (offline limits allow them), one refused by its floor limit,
// a reload mid-queue (IndexedDB keeps the queue, the chain still verifies), the network back on,
// the outbox draining in order to forwardedApproved, the stored-value chart drawn (uPlot).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertSdkBuilt, launchBrowser, startDemoServer, textOf, waitForSdkReady, withWatchedPage } from './helpers.mjs';

const idle = (page) => page.waitForFunction(() => document.body.dataset.busy === 'false');
const rows = (page) => page.locator('tbody[data-testid="entries"] tr').evaluateAll((trs) => trs.map((tr) => [tr.cells[1].textContent, tr.dataset.state]));

async function take(page, amount, card = 'visa') {
  await page.getByTestId('amount').fill(amount);
  await page.getByTestId('card').selectOption(card);
  const step = await page.evaluate(() => Number(document.body.dataset.step ?? 0));
  await page.getByTestId('take').click();
  await page.waitForFunction((s) => Number(document.body.dataset.step ?? 0) > s && document.body.dataset.busy === 'false', step);
  return textOf(page, 'outcome');
}

describe('browser demo: a point of sale at an event space', () => {
  let browser;
  let server;
  let url;

  before(async () => {
    assertSdkBuilt();
    server = await startDemoServer();
    browser = await launchBrowser();
    url = new URL('pos.html', server.url).href;
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('offline payments stored within the limits, a reload mid-queue, the queue drains in order when the network is back', async () => {
    await withWatchedPage(browser, async (page) => {
      await page.goto(url);
      await waitForSdkReady(page);
      await page.getByTestId('toggle-network').click();
      await idle(page);
      assert.equal(await textOf(page, 'link'), 'off');
      assert.equal(await textOf(page, 'network-state'), 'offline');
      assert.equal(await take(page, '12.50'), 'stored');
      assert.equal(await take(page, '20.00'), 'stored');
      assert.equal(await take(page, '30.00', 'amex'), 'refused');
      assert.equal(await textOf(page, 'outcome-detail'), 'FLOOR_LIMIT_EXCEEDED');
      assert.equal(await textOf(page, 'pending-count'), '2');
      assert.equal(await textOf(page, 'pending-amount'), '32.50');
      const before = await rows(page);
      assert.deepEqual(before.map(([, state]) => state), ['stored', 'stored']);

      await page.reload();
      await waitForSdkReady(page);
      assert.deepEqual(await rows(page), before, 'IndexedDB kept the queue');
      assert.equal(await textOf(page, 'chain'), 'verified');
      assert.equal(await textOf(page, 'link'), 'off');

      await page.getByTestId('toggle-network').click();
      await idle(page);
      await page.getByTestId('flush').click();
      await page.waitForFunction(() => document.body.dataset.pending === '0' && document.body.dataset.busy === 'false');
      const after = await rows(page);
      assert.deepEqual(after.map(([key]) => key), before.map(([key]) => key), 'forwarded in order, the same entries');
      assert.deepEqual(after.map(([, state]) => state), ['forwardedApproved', 'forwardedApproved']);
      assert.equal(await textOf(page, 'approved-amount'), '32.50');
      assert.equal(await page.locator('[data-testid="chart"] canvas').count(), 1, 'the chart is drawn');
    });
  });
});
