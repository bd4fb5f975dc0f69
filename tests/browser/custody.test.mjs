// Drives the System 8 back-office page (examples-web/custody.html) in headless Chromium: alice
// deposits (pending, then confirmed with three confirmations), bob deposits USDC, both are swept,
// the chain observer reports the omnibus (both gauges reconciled), a trade; alice's withdrawal
// waits for two of three approvals (one approval: QUORUM_NOT_REACHED on signing), is signed after
// the second; the omnibus losing 0.01 BTC on chain turns the BTC gauge into a discrepancy of
// -0.01; a reload restores the book from IndexedDB with the same balances and the same report.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertSdkBuilt, launchBrowser, shownErrors, startDemoServer, textOf, waitForSdkReady, withWatchedPage } from './helpers.mjs';

const currentStep = async (page) => Number(await page.locator('body').getAttribute('data-step'));

async function act(page, testId) {
  const before = await currentStep(page);
  await page.getByTestId(testId).click();
  await page.waitForFunction((s) => Number(document.body.dataset.step) > s && document.body.dataset.busy === 'false', before, { timeout: 60_000 });
  assert.equal(await shownErrors(page), '', `${testId}: unexpected error`);
  return textOf(page, 'outcome-code');
}

describe('browser demo: the custody back-office', () => {
  let browser;
  let server;
  let url;

  before(async () => {
    assertSdkBuilt();
    server = await startDemoServer();
    browser = await launchBrowser();
    url = new URL('custody.html', server.url).href;
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('deposits, sweeps, a trade, a withdrawal approved 2 of 3 and signed, a discrepancy; kept across a reload', async () => {
    await withWatchedPage(browser, async (page) => {
      await page.goto(url);
      await waitForSdkReady(page);
      assert.equal(await page.getByTestId('proof-link').getAttribute('href'), 'custody-proof.html');
      assert.equal(await act(page, 'deposit-alice'), 'DEPOSIT_PENDING');
      assert.equal(await act(page, 'confirm-deposit'), 'DEPOSIT_CONFIRMED');
      assert.equal(await act(page, 'deposit-bob'), 'DEPOSIT_CONFIRMED');
      assert.equal(await act(page, 'sweep'), 'SWEPT');
      assert.equal(await textOf(page, 'alice-BTC-trading'), '0.49990000');
      assert.equal(await page.getByTestId('gauge-BTC').getAttribute('data-state'), 'discrepancy', 'the omnibus was last seen empty');
      assert.equal(await act(page, 'observe'), 'BALANCE_OBSERVED');
      assert.equal(await page.getByTestId('gauge-BTC').getAttribute('data-state'), 'ok');
      assert.equal(await page.getByTestId('gauge-USDC').getAttribute('data-state'), 'ok');
      assert.equal(await act(page, 'trade'), 'TRADED');
      assert.equal(await textOf(page, 'bob-BTC-trading'), '0.10000000');
      assert.equal(await textOf(page, 'alice-BTC-trading'), '0.39990000');
      assert.equal(await act(page, 'request-withdrawal'), 'WITHDRAWAL_REQUESTED');
      assert.equal(await act(page, 'approve-0'), 'APPROVAL_COUNTED');
      assert.equal(await textOf(page, 'approvals-w-5'), '1 of 2');
      assert.equal(await act(page, 'sign'), 'QUORUM_NOT_REACHED');
      assert.equal(await act(page, 'approve-2'), 'APPROVAL_COUNTED');
      assert.equal(await act(page, 'sign'), 'WITHDRAWAL_SIGNED');
      assert.match(await textOf(page, 'signature'), /^leg 1 r‖s [0-9a-f]{128}$/);
      assert.equal(await page.getByTestId('withdrawals').locator('tr').count(), 0, 'nothing waits for approvals');
      assert.equal(await act(page, 'leak'), 'BALANCE_OBSERVED');
      assert.equal(await page.getByTestId('gauge-BTC').getAttribute('data-state'), 'discrepancy');
      assert.match(await textOf(page, 'gauge-BTC-state'), /^off by -0\.01000000 since event \d+$/);
      const before = await textOf(page, 'gauge-BTC-state');

      await page.reload();
      await waitForSdkReady(page);
      assert.match(await textOf(page, 'restore-status'), /^restored \d+ events from IndexedDB$/);
      assert.equal(await textOf(page, 'alice-BTC-trading'), '0.29970000', 'after the withdrawal of 0.1 + 0.0002 fee');
      assert.equal(await textOf(page, 'bob-USDC-trading'), '3993.000000');
      assert.equal(await textOf(page, 'gauge-BTC-state'), before);
      assert.equal(await page.getByTestId('gauge-USDC').getAttribute('data-state'), 'ok');
    });
  });
});
