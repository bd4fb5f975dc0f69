// Drives the System 3 demo page (examples-web/energy.html) in headless Chromium: the e-money
// server and the pump, an order with each below-maximum policy, the meter up to the limit, a
// tariff change with its increment, the signed receipt, a reload from IndexedDB, and a hold that
// expires followed by a late completion. Every figure checked is what the WebAssembly core
// decided in the browser; the expected amounts are worked out in the comments.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertSdkBuilt, launchBrowser, shownErrors, startDemoServer, textOf, waitForSdkReady, withWatchedPage } from './helpers.mjs';

const ENERGY_PAGE = 'energy.html';

const currentStep = async (page) => Number(await page.locator('body').getAttribute('data-step'));

async function waitForRestored(page) {
  await waitForSdkReady(page);
  await page.waitForFunction(() => Number(document.body.dataset.step) >= 1 && document.body.dataset.busy === 'false');
}

/** The errors the page shows (its banner, or next to a control); '' when none. */
const bannerText = (page) => shownErrors(page);

/** Clicks a button and waits for its action to finish (each action bumps body[data-step]). */
async function act(page, testId) {
  const before = await currentStep(page);
  await page.getByTestId(testId).click();
  await page.waitForFunction(
    (s) => Number(document.body.dataset.step) > s && document.body.dataset.busy === 'false',
    before,
  );
  assert.equal(await bannerText(page), '', `${testId}: unexpected error banner`);
}

async function state(page) {
  const read = (id) => textOf(page, id);
  return {
    balance: await read('wallet-balance'),
    available: await read('wallet-available'),
    station: await read('station-balance'),
    hold: await read('hold-state'),
    held: await read('hold-amount'),
    posted: await read('hold-posted'),
    released: await read('hold-released'),
    session: await read('session-state'),
    limit: await read('max-quantity'),
    delivered: await read('delivered'),
    cost: await read('cost-total'),
    increments: await read('increments'),
  };
}

async function order(page, { maximum, policy = 'decline', step, minimum = '' }) {
  await page.getByTestId('order-maximum').fill(maximum);
  await page.getByTestId('order-policy').selectOption(policy);
  if (step !== undefined) await page.getByTestId('order-step').fill(step);
  await page.getByTestId('order-minimum').fill(minimum);
  await act(page, 'order-send');
  return textOf(page, 'order-code');
}

async function meter(page, litres) {
  await page.getByTestId('meter-litres').fill(litres);
  await act(page, 'meter-run');
  return textOf(page, 'meter-code');
}

describe('browser demo: pre-authorised energy purchase', () => {
  let browser;
  let server;
  let url;

  before(async () => {
    assertSdkBuilt();
    server = await startDemoServer();
    browser = await launchBrowser();
    url = new URL(ENERGY_PAGE, server.url).href;
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('order, meter to the limit, tariff change, receipt, reload, expiry and late completion, policies, reset', async () => {
    await withWatchedPage(browser, async (page) => {
      await page.goto(url);
      await waitForRestored(page);
      assert.equal(await textOf(page, 'restore-status'), 'nothing stored yet');
      assert.equal(await page.getByTestId('order-send').isDisabled(), true);

      await page.getByTestId('setup-balance').fill('100.00');
      await page.getByTestId('late-policy').selectOption('reject');
      await act(page, 'setup');
      assert.match(await textOf(page, 'server-key'), /^emoney-1 · Ed25519 · [0-9a-f]{64}$/);
      assert.equal((await state(page)).balance, '100.00 EUR');

      // Hold the maximum: 50.00 at 1.859 EUR/L pays for 26.89 L (49.99; 26.90 L would be 50.01).
      assert.equal(await order(page, { maximum: '50.00' }), 'HELD');
      let s = await state(page);
      assert.deepEqual([s.hold, s.held, s.available, s.session, s.limit], ['pending', '50.00', '50.00 EUR', 'authorised', '26.89']);

      // The meter runs 10 L: 18.59 so far.
      assert.equal(await meter(page, '10.00'), 'READING_ACCEPTED');
      s = await state(page);
      assert.deepEqual([s.delivered, s.cost], ['10.00', '18.59 EUR']);

      // Tariff change to 2.000: increment 18.59 + 16.89 × 2 − 50 = 2.37; the limit stays 26.89.
      await page.getByTestId('tariff-new-price').fill('2.000');
      await act(page, 'tariff-change');
      assert.equal(await textOf(page, 'change-code'), 'TARIFF_CHANGED');
      assert.equal(await page.getByTestId('change-explain').getAttribute('data-increment'), '2.37');
      s = await state(page);
      assert.deepEqual([s.held, s.increments, s.limit, s.available], ['52.37', '2.37', '26.89', '47.63 EUR']);

      // Extend: the deadline moves 15 minutes later.
      const deadline = Number(await page.getByTestId('hold-expires').getAttribute('data-unix'));
      await act(page, 'extend');
      assert.equal(await textOf(page, 'change-code'), 'EXTENDED');
      assert.equal(Number(await page.getByTestId('hold-expires').getAttribute('data-unix')), deadline + 900);

      // Fill up: the meter stops at the limit.
      await act(page, 'meter-full');
      assert.equal(await textOf(page, 'meter-code'), 'LIMIT_REACHED');
      s = await state(page);
      assert.deepEqual([s.delivered, s.cost], ['26.89', '52.37 EUR']);

      // Complete: 18.59 + 33.78 = 52.37 captured, nothing released.
      await act(page, 'complete');
      assert.equal(await textOf(page, 'receipt-code'), 'COMPLETED');
      assert.match(await textOf(page, 'receipt-verified'), /^yes: signed by emoney-1/);
      assert.equal(await textOf(page, 'receipt-cost'), '52.37 + 0.00 = 52.37');
      assert.equal(await textOf(page, 'receipt-captured'), '52.37');
      assert.equal(await textOf(page, 'receipt-released'), '0.00');
      assert.equal(await textOf(page, 'receipt-quantity'), '26.89 L in 2 tariff segment(s)');
      s = await state(page);
      assert.deepEqual([s.balance, s.station, s.hold, s.session], ['47.63 EUR', '52.37 EUR', 'posted', 'closed']);

      // Reload: both roles come back from IndexedDB.
      await page.reload();
      await waitForRestored(page);
      assert.match(await textOf(page, 'restore-status'), /^restored the server and the pump/);
      s = await state(page);
      assert.deepEqual([s.balance, s.station, s.session], ['47.63 EUR', '52.37 EUR', 'closed']);
      assert.equal(await textOf(page, 'receipt-captured'), '52.37');

      // Policies: 60.00 asked, 47.63 available.
      assert.equal(await order(page, { maximum: '60.00', policy: 'decline' }), 'BALANCE_BELOW_MAXIMUM');
      assert.equal((await state(page)).available, '47.63 EUR');
      assert.equal(await order(page, { maximum: '60.00', policy: 'lower-maximum', step: '5.00' }), 'MAXIMUM_LOWERED');
      s = await state(page);
      assert.deepEqual([s.held, s.available], ['45.00', '2.63 EUR']);
      await act(page, 'complete'); // nothing delivered: all released
      assert.equal(await textOf(page, 'receipt-code'), 'COMPLETED_NOTHING_DELIVERED');
      assert.equal(await order(page, { maximum: '60.00', policy: 'hold-available', minimum: '50.00' }), 'BELOW_MINIMUM');
      assert.equal(await order(page, { maximum: '60.00', policy: 'hold-available' }), 'HELD_AVAILABLE');
      assert.equal((await state(page)).held, '47.63');

      // Deliver 5 L, then let the hold expire: the money goes back, the pump stops.
      assert.equal(await meter(page, '5.00'), 'READING_ACCEPTED');
      await act(page, 'clock-expire');
      s = await state(page);
      assert.deepEqual([s.hold, s.released, s.available], ['expired', '47.63', '47.63 EUR']);
      assert.equal(await meter(page, '1.00'), 'HOLD_EXPIRED');
      // The late completion under the reject policy: 5 × 1.859 = 9.295 → 9.30, not charged.
      await act(page, 'complete');
      assert.equal(await textOf(page, 'receipt-code'), 'LATE_COMPLETION_REJECTED');
      assert.equal(await textOf(page, 'receipt-late'), 'yes');
      assert.equal(await textOf(page, 'receipt-uncollected'), '9.30');
      assert.equal((await state(page)).balance, '47.63 EUR');

      // Reset clears everything.
      await act(page, 'reset-demo');
      assert.equal(await textOf(page, 'wallet-balance'), '—');
      await page.reload();
      await waitForRestored(page);
      assert.equal(await textOf(page, 'restore-status'), 'nothing stored yet');
    });
  });
});
