// Drives the System 6 demo page (examples-web/ecash.html) in headless Chromium: a card pays a
// shop and another card offline, both come online and the shop deposits (the back-end's total
// stays the opening 200.00); each attack button leaves its evidence (the rule's code); a reload
// finds cards and back-end again (IndexedDB, EcashStore) and the evidence; the simulator draws the
// value at risk with uPlot. Every decision is the WebAssembly core's, in the browser.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertSdkBuilt, launchBrowser, shownErrors, startDemoServer, textOf, waitForSdkReady, withWatchedPage } from './helpers.mjs';

async function click(page, testId) {
  await page.getByTestId(testId).click();
  await page.waitForFunction(() => document.body.dataset.busy === 'false');
  assert.equal(await shownErrors(page), '', `${testId}: unexpected error`);
}
const evidence = (page) => page.getByTestId('evidence').evaluate((tbody) => [...tbody.rows].map((r) => [...r.cells].map((c) => c.textContent).join(': ')));

describe('browser demo: offline cash on a smart card', () => {
  let browser;
  let server;
  let url;
  before(async () => {
    assertSdkBuilt();
    server = await startDemoServer();
    browser = await launchBrowser();
    url = new URL('ecash.html', server.url).href;
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('payments, coming online, a deposit, every attack with its evidence, reload, the value-at-risk chart', async () => {
    await withWatchedPage(browser, async (page) => {
      await page.goto(url);
      await waitForSdkReady(page);
      await click(page, 'reset');
      assert.equal(await textOf(page, 'total'), '200.00');
      await click(page, 'pay-shop');
      await click(page, 'pay-card');
      assert.match(await textOf(page, 'card-card-a'), /available 83\.00/);
      assert.match(await textOf(page, 'card-card-b'), /pending 5\.00/);
      await click(page, 'online');
      await click(page, 'deposit');
      assert.equal(await textOf(page, 'total'), '200.00', 'value neither created nor lost');
      assert.match(await textOf(page, 'card-card-b'), /available 105\.00/);
      for (const [button, code] of [
        ['attack-replay', 'REPLAYED_COUNTER'], ['attack-relay', 'WRONG_PAYEE'], ['attack-double-spend', 'DOUBLE_SPEND'],
        ['attack-rollback', 'ROLLBACK'], ['attack-clone', 'CLONED_CARD'],
      ]) {
        await click(page, button);
        assert.ok((await evidence(page)).some((row) => row.includes(code)), `${button} left ${code}: ${(await evidence(page)).join(' | ')}`);
      }
      assert.match(await textOf(page, 'blocklist'), /^mallory-\d+, mallory-\d+, mallory-\d+$/, 'the three attackers\' cards are blocked');
      assert.doesNotMatch(await textOf(page, 'card-card-a'), /BLOCKED/, 'no honest card is');
      const before = await evidence(page);
      await page.reload();
      await waitForSdkReady(page);
      assert.deepEqual(await evidence(page), before, 'the evidence survives a reload');
      assert.match(await textOf(page, 'blocklist'), /mallory/);
      await click(page, 'simulate');
      assert.match(await textOf(page, 'sim-summary'), /detected 100% of attacks; honest cards flagged: 0/);
      assert.ok((await page.locator('[data-testid="chart"] canvas').count()) > 0, 'uPlot drew the chart');
    });
  });
});
