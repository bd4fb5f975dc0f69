// Drives the System 5 demo page (examples-web/relay.html) in headless Chromium: the phone pays
// (its token drawn as a QR code by qrcode-generator, served from the npm install, at the version
// the core computes for its bytes), the terminal forwards at once; with the server unreachable
// two tokens wait in the terminal's POS outbox ("answer not yet delivered" on the phone) and the
// phone's allowance refuses a third; a reload finds the outbox (hash chain verified), phone and
// server in IndexedDB; the terminal forwards each waiting token once, the phone collects and every
// token is settled; an altered copy is refused without a receipt. The page loads one module
// holding both systems (`init({ systems: ['pos', 'relay'] })` → `terminal`).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertSdkBuilt, launchBrowser, shownErrors, startDemoServer, textOf, waitForSdkReady, withWatchedPage } from './helpers.mjs';

async function act(page, testId) {
  await page.getByTestId(testId).click();
  await page.waitForFunction(() => document.body.dataset.busy === 'false');
  assert.equal(await shownErrors(page), '', `${testId}: unexpected error`);
}
const items = (page, testId) => page.getByTestId(testId).evaluateAll((els) => els.map((el) => `${el.dataset.state} ${el.textContent}`));

describe('browser demo: paying offline through a relay terminal', () => {
  let browser;
  let server;
  let url;

  before(async () => {
    assertSdkBuilt();
    server = await startDemoServer();
    browser = await launchBrowser();
    url = new URL('relay.html', server.url).href;
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('pay, QR code, queue while the server is away, reload, forward, settle, altered copy', async () => {
    await withWatchedPage(browser, async (page) => {
      const wasmFetches = [];
      page.on('request', (request) => {
        const path = new URL(request.url()).pathname;
        if (path.endsWith('.wasm')) wasmFetches.push(path);
      });
      await page.goto(url);
      await waitForSdkReady(page);
      assert.deepEqual(wasmFetches, ['/sdk/wasm/terminal/countersign_wasm_bg.wasm'], 'one module for the POS and the relay');
      assert.equal(await textOf(page, 'allowance'), '30.00 EUR');

      await page.getByTestId('amount').fill('4.50');
      await act(page, 'pay');
      assert.equal(await textOf(page, 'token-bytes'), '144');
      const qr = page.getByTestId('qr');
      assert.equal(await qr.getAttribute('data-version'), '8');
      assert.equal(await qr.getAttribute('data-expected'), '8', 'the QR library chose the version the core computes');
      assert.equal(await page.locator('[data-testid="qr"] svg').count(), 1);
      assert.equal(await textOf(page, 'allowance'), '25.50 EUR');
      await act(page, 'scan');
      assert.equal(await textOf(page, 'last-answer'), 'APPROVED');
      assert.equal(await textOf(page, 'cafe'), '4.50 EUR');

      // The server goes away: tokens wait at the terminal.
      await page.getByTestId('server-reachable').uncheck();
      for (const amount of ['10.00', '12.00']) {
        await page.getByTestId('amount').fill(amount);
        await act(page, 'pay');
        await act(page, 'scan');
      }
      assert.equal(await textOf(page, 'relay-status'), 'server unreachable: tokens wait in the queue');
      await act(page, 'collect');
      assert.deepEqual((await items(page, 'phone-token')).map((t) => t.slice(t.indexOf(': ') + 2)), ['answer not yet delivered', 'answer not yet delivered', 'settled: approved']);
      // 30.00 − 10.00 − 12.00 = 8.00 left: the offline phone cannot promise 9.00.
      await page.getByTestId('amount').fill('9.00');
      await act(page, 'pay');
      assert.equal(await textOf(page, 'last-answer'), 'phone refused: ALLOWANCE_EXCEEDED (outstanding)');

      // Reload mid-queue: everything is where it was.
      await page.reload();
      await waitForSdkReady(page);
      assert.deepEqual((await items(page, 'queued')).map((t) => t.split(' ')[0]), ['forwardedApproved', 'stored', 'stored']);
      assert.equal(await textOf(page, 'outbox'), '2 waiting, chain verified');
      assert.equal(await textOf(page, 'allowance'), '8.00 EUR');

      // Still unreachable after the reload: the outbox keeps them (a retry scheduled, nothing lost).
      await page.getByTestId('server-reachable').uncheck();
      await act(page, 'forward');
      assert.equal(await textOf(page, 'relay-status'), 'server unreachable: tokens wait in the queue');
      await page.getByTestId('server-reachable').check();
      await act(page, 'forward');
      assert.equal(await textOf(page, 'relay-status'), 'forwarded 2');
      assert.deepEqual((await items(page, 'queued')).map((t) => t.split(' ')[0]), ['forwardedApproved', 'forwardedApproved', 'forwardedApproved']);
      assert.equal(await textOf(page, 'outbox'), '0 waiting, chain verified');
      await act(page, 'forward');
      assert.equal(await textOf(page, 'relay-status'), 'forwarded 0', 'each token forwarded once');
      await act(page, 'collect');
      assert.deepEqual((await items(page, 'phone-token')).map((t) => t.slice(t.indexOf(': ') + 2)), ['settled: approved', 'settled: approved', 'settled: approved']);
      assert.equal(await textOf(page, 'allowance'), '30.00 EUR');
      assert.equal(await textOf(page, 'cafe'), '26.50 EUR');
      assert.equal(await textOf(page, 'wallet'), '23.50 EUR');

      await act(page, 'tamper');
      assert.equal(await textOf(page, 'relay-status'), 'altered copy: BAD_SIGNATURE, no receipt');
      assert.equal(await textOf(page, 'cafe'), '26.50 EUR');
    });
  });
});
