// Drives the System 2 demo page (examples-web/tempcard.html) in headless Chromium: approve an
// application, reveal the temporary credentials with a countdown on the simulated clock, buy
// until the limit (each decline with its code), refund, reload (state back from IndexedDB),
// activate the physical card; then a second account that closes at the end of its window, and
// "Reset demo".

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertSdkBuilt, launchBrowser, shownErrors, startDemoServer, textOf, waitForSdkReady, withWatchedPage } from './helpers.mjs';

const PAGE = 'tempcard.html';

const currentStep = async (page) => Number(await page.locator('body').getAttribute('data-step'));

async function waitForRestored(page) {
  await waitForSdkReady(page);
  await page.waitForFunction(() => Number(document.body.dataset.step) >= 1 && document.body.dataset.busy === 'false');
}

/** The errors the page shows (its banner, or next to a control); '' when none. */
const bannerText = (page) => shownErrors(page);

/** Clicks a button and waits for its action to finish; fails on an error banner. */
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
  const ids = ['parent-id', 'parent-limit', 'parent-balance', 'parent-pending', 'parent-available', 'settlement-balance',
    'account-id', 'account-status', 'account-masked-pan', 'account-limit', 'account-spent', 'account-refunded',
    'account-available', 'account-uses', 'account-lock', 'account-usable', 'account-closure'];
  const out = {};
  for (const id of ids) out[id.replace(/^(parent|account|settlement)-/, '$1.')] = await textOf(page, id);
  return out;
}

async function buy(page, amount, { merchant = 'shop-1', cvv } = {}) {
  await page.getByTestId('buy-amount').fill(amount);
  await page.getByTestId('buy-merchant').fill(merchant);
  if (cvv !== undefined) await page.getByTestId('buy-cvv').fill(cvv);
  await act(page, 'buy');
  return { decision: await textOf(page, 'buy-decision'), code: await textOf(page, 'buy-code'), explain: await textOf(page, 'buy-explain') };
}

describe('browser demo: limited-use temporary credit account', () => {
  let browser;
  let server;
  let url;

  before(async () => {
    assertSdkBuilt();
    server = await startDemoServer();
    browser = await launchBrowser();
    url = new URL(PAGE, server.url).href;
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('approve, reveal with a countdown, buy until the limit, declines with codes, refund, reload, activate', async () => {
    await withWatchedPage(browser, async (page) => {
      await page.goto(url);
      await waitForRestored(page);
      assert.equal(await textOf(page, 'restore-status'), 'nothing stored yet');
      assert.equal(await page.getByTestId('buy').isDisabled(), true, 'no account: nothing to buy with');

      // --- issuer: approve 1000.00 with fraction 0.25 and cap 200 → 200.00 held --------------
      await act(page, 'approve');
      assert.equal(await textOf(page, 'approve-code'), 'TEMPORARY_ACCOUNT_OPENED');
      let s = await state(page);
      assert.equal(s['parent.id'], 'acct-0001');
      assert.equal(s['parent.limit'], '1000.00');
      assert.equal(s['parent.pending'], '200.00');
      assert.equal(s['parent.available'], '800.00');
      assert.equal(s['account.id'], 'tmp-0001');
      assert.equal(s['account.status'], 'open');
      assert.equal(s['account.limit'], '200.00');
      assert.equal(s['account.available'], '200.00');
      assert.match(s['account.masked-pan'], /^457173\*{6}\d{4} · \d{2}\/\d{2}$/);
      assert.equal(s['account.usable'], 'for 1 d 0 h');

      // --- phone: reveal, countdown on the simulated clock ------------------------------------
      await act(page, 'reveal');
      assert.equal(await textOf(page, 'reveal-code'), 'DISPLAY_ALLOWED');
      assert.equal(await page.getByTestId('credentials').isVisible(), true);
      const pan = (await textOf(page, 'cred-pan')).replaceAll(' ', '');
      const expiry = await textOf(page, 'cred-expiry');
      const cvv = await textOf(page, 'cred-cvv');
      assert.match(pan, /^45717369?\d{8,9}$/);
      assert.equal(pan.length, 16);
      assert.match(expiry, /^\d{2}\/\d{2}$/);
      assert.match(cvv, /^\d{3}$/);
      assert.equal(await textOf(page, 'cred-countdown'), '5 min 0 s');
      await act(page, 'clock-plus-30s');
      assert.equal(await textOf(page, 'cred-countdown'), '4 min 30 s');
      assert.equal(await page.getByTestId('buy-pan').inputValue(), pan, 'the holder copied the PAN to the checkout');

      // --- shop: buy until the limit ------------------------------------------------------------
      let r = await buy(page, '120.00');
      assert.deepEqual([r.decision, r.code], ['approved', 'APPROVED']);
      assert.match(r.explain, /Temporary available: 80\.00 EUR/);
      s = await state(page);
      assert.equal(s['account.available'], '80.00');
      assert.equal(s['parent.available'], '800.00', 'a purchase does not move the parent\'s available credit');
      assert.equal(s['parent.balance'], '-120.00');
      assert.equal(s['settlement.balance'], '120.00');

      r = await buy(page, '80.01');
      assert.deepEqual([r.decision, r.code], ['declined', 'INSUFFICIENT_TEMPORARY_CREDIT']);
      const wrong = cvv === '000' ? '001' : '000';
      r = await buy(page, '1.00', { cvv: wrong });
      assert.equal(r.code, 'CVV_INVALID');
      r = await buy(page, '1.00', { cvv: '12' });
      assert.equal(r.code, 'CVV_MALFORMED');
      await page.getByTestId('buy-expiry').fill('01/20');
      r = await buy(page, '1.00', { cvv });
      assert.equal(r.code, 'EXPIRY_MISMATCH');
      await page.getByTestId('buy-expiry').fill(expiry);
      r = await buy(page, '0');
      assert.equal(r.code, 'AMOUNT_NOT_POSITIVE');
      r = await buy(page, '80.00');
      assert.equal(r.code, 'APPROVED');
      s = await state(page);
      assert.equal(s['account.available'], '0.00');
      assert.equal(s['account.spent'], '200.00');
      assert.equal(s['account.uses'], '2');

      // --- refund: to the parent, not to the temporary credit -----------------------------------
      await page.getByTestId('refund-amount').fill('30.00');
      await act(page, 'refund');
      assert.equal(await textOf(page, 'refund-code'), 'REFUNDED_TO_PARENT');
      s = await state(page);
      assert.equal(s['account.available'], '0.00');
      assert.equal(s['account.refunded'], '30.00');
      assert.equal(s['parent.balance'], '-170.00');
      await page.getByTestId('refund-amount').fill('50.01');
      await act(page, 'refund');
      assert.equal(await textOf(page, 'refund-code'), 'REFUND_EXCEEDS_PURCHASE');

      // --- the display window closes: the phone hides the credentials ---------------------------
      await act(page, 'clock-plus-5min');
      assert.equal(await page.getByTestId('credentials').isHidden(), true);
      await act(page, 'reveal');
      assert.equal(await textOf(page, 'reveal-code'), 'DISPLAY_CLOSED');

      // --- reload: the issuer's state comes back from IndexedDB ---------------------------------
      const before = await state(page);
      await page.reload();
      await waitForRestored(page);
      assert.match(await textOf(page, 'restore-status'), /restored the issuer \(1 temporary accounts\)/);
      assert.deepEqual(await state(page), before);

      // --- activate the physical card: closure releases nothing left; purchases decline ---------
      await act(page, 'activate');
      assert.equal(await textOf(page, 'activate-code'), 'CLOSED_ON_ACTIVATION');
      s = await state(page);
      assert.equal(s['account.status'], 'closed');
      assert.equal(s['account.closure'], 'physical card activated, 0.00 released');
      assert.equal(s['parent.pending'], '0.00');
      assert.equal(s['parent.available'], '830.00');
      await page.getByTestId('buy-pan').fill(pan);
      await page.getByTestId('buy-expiry').fill(expiry);
      r = await buy(page, '1.00', { cvv });
      assert.equal(r.code, 'ACCOUNT_CLOSED');
      assert.ok((await page.getByTestId('log-entry').count()) >= 10);
    });
  });

  test('a second account closes at the end of its usable window and releases its hold; Reset demo', async () => {
    await withWatchedPage(browser, async (page) => {
      await page.goto(url);
      await waitForRestored(page);
      // A fresh browser context (empty IndexedDB): a single-use account usable for 1 hour.
      await page.getByTestId('ap-usable-h').fill('1');
      await page.getByTestId('ap-max-uses').fill('1');
      await page.getByTestId('ap-cap').fill('');
      await page.getByTestId('ap-fraction').fill('0.1');
      await act(page, 'approve');
      assert.equal(await textOf(page, 'approve-code'), 'TEMPORARY_ACCOUNT_OPENED');
      let s = await state(page);
      assert.equal(s['account.id'], 'tmp-0001');
      assert.equal(s['account.limit'], '100.00');
      assert.equal(s['parent.available'], '900.00');
      assert.equal(s['account.uses'], '0 of 1');
      await act(page, 'reveal');
      let r = await buy(page, '10.00');
      assert.equal(r.code, 'APPROVED');
      r = await buy(page, '10.00');
      assert.equal(r.code, 'SINGLE_USE_SPENT');

      // A second application on the same parent while this one is open is refused with its code.
      await act(page, 'approve');
      assert.equal(await textOf(page, 'approve-code'), 'PARENT_HAS_OPEN_TEMPORARY');

      await act(page, 'clock-plus-hour');
      s = await state(page);
      assert.equal(s['account.usable'], 'USABLE_WINDOW_CLOSED');
      assert.equal(s['account.status'], 'open', 'nothing has closed it yet');
      // A purchase after the window: declined with its code, and it closes the account (the
      // hold expires, its unused 90.00 goes back to the parent).
      r = await buy(page, '5.00');
      assert.deepEqual([r.decision, r.code], ['declined', 'USABLE_WINDOW_CLOSED']);
      s = await state(page);
      assert.equal(s['account.status'], 'closed');
      assert.equal(s['account.closure'], 'window ended, 90.00 released');
      assert.equal(s['parent.available'], '990.00');
      assert.equal(s['parent.pending'], '0.00');
      await act(page, 'close-due');
      assert.equal(await textOf(page, 'approve-code'), 'DUE_ACCOUNTS_CLOSED');
      assert.match(await textOf(page, 'approve-explain'), /Closed now: none\./);

      // A third account, closed by the issuer's sweep at the end of its window.
      await act(page, 'approve');
      assert.equal(await textOf(page, 'approve-code'), 'TEMPORARY_ACCOUNT_OPENED');
      assert.equal((await state(page))['account.id'], 'tmp-0002');
      await act(page, 'clock-plus-day');
      await act(page, 'close-due');
      assert.match(await textOf(page, 'approve-explain'), /Closed now: tmp-0002\./);
      s = await state(page);
      assert.equal(s['account.closure'], 'window ended, 100.00 released');
      assert.equal(s['parent.available'], '990.00');

      await act(page, 'reset-demo');
      s = await state(page);
      assert.equal(s['account.id'], '—');
      assert.equal(await page.evaluate(() => localStorage.getItem('countersign-tempcard-demo:keys')), null);
      await page.reload();
      await waitForRestored(page);
      assert.equal(await textOf(page, 'restore-status'), 'nothing stored yet');
    });
  });
});
