// Drives System 7's timeline page (examples-web/transfer-timeline.html) in headless Chromium: a
// transfer quoted, reserved (amount and fee held together) and committed with provider B's
// fulfilment; a second one whose fulfilment comes at the deadline (the fault button): refused and
// released; a wrong fulfilment refused with the reservation kept, then an abort; a retried
// reserve answered again, then past the deadline answered TRANSFER_EXPIRED; the timeline picture;
// a reload from IndexedDB; a reset. Every code checked is what the WebAssembly core decided.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertSdkBuilt, launchBrowser, shownErrors, startDemoServer, textOf, waitForSdkReady, withWatchedPage } from './helpers.mjs';

const currentStep = async (page) => Number(await page.locator('body').getAttribute('data-step'));

async function waitForRestored(page) {
  await waitForSdkReady(page);
  await page.waitForFunction(() => Number(document.body.dataset.step) >= 1 && document.body.dataset.busy === 'false');
}

async function act(page, testId) {
  const before = await currentStep(page);
  await page.getByTestId(testId).click();
  await page.waitForFunction((s) => Number(document.body.dataset.step) > s && document.body.dataset.busy === 'false', before);
  assert.equal(await shownErrors(page), '', `${testId}: unexpected error`);
  return textOf(page, 'outcome-code');
}

describe('browser demo: a transfer timeline', () => {
  let browser;
  let server;
  let url;

  before(async () => {
    assertSdkBuilt();
    server = await startDemoServer();
    browser = await launchBrowser();
    url = new URL('transfer-timeline.html', server.url).href;
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('quote, reserve, commit; late and wrong fulfilments; retries; reload; reset', async () => {
    await withWatchedPage(browser, async (page) => {
      await page.goto(url);
      await waitForRestored(page);
      assert.equal(await textOf(page, 'restore-status'), 'new book: Alice has 100.00 EUR');
      assert.equal(await textOf(page, 'alice-available'), '100.00');

      await page.getByTestId('amount').fill('25.00');
      assert.equal(await act(page, 'quote'), 'QUOTED');
      assert.equal(await act(page, 'reserve'), 'RESERVED');
      assert.equal(await textOf(page, 'alice-available'), '74.50', 'amount and fee held together');
      assert.equal(await page.getByTestId('timeline-hold').getAttribute('data-state'), 'reserved');
      assert.equal(await act(page, 'commit'), 'COMMITTED');
      assert.equal(await textOf(page, 'transfer-state'), 'committed');
      assert.equal(await textOf(page, 'alice-balance'), '74.50');
      assert.equal(await textOf(page, 'provider-balance'), '25.00');
      assert.equal(await textOf(page, 'fees-balance'), '0.50');
      assert.equal(await textOf(page, 'bob-credited'), '25.00');
      assert.equal(await page.getByTestId('timeline-hold').getAttribute('data-state'), 'committed');

      // The fault: B's fulfilment arrives at the deadline. Refused, both holds released.
      await page.getByTestId('amount').fill('10.00');
      assert.equal(await act(page, 'quote'), 'QUOTED');
      assert.equal(await act(page, 'reserve'), 'RESERVED');
      assert.equal(await textOf(page, 'alice-available'), '64.00');
      assert.equal(await act(page, 'fault-late'), 'LATE_FULFILMENT');
      assert.equal(await textOf(page, 'transfer-state'), 'expired');
      assert.equal(await textOf(page, 'alice-available'), '74.50', 'released');
      assert.equal(await textOf(page, 'bob-credited'), '25.00', 'B did not credit after its own deadline');

      // A wrong fulfilment keeps the reservation; the retried reserve is answered again; abort.
      assert.equal(await act(page, 'quote'), 'QUOTED');
      assert.equal(await act(page, 'reserve'), 'RESERVED');
      assert.equal(await act(page, 'fault-wrong'), 'FULFILMENT_MISMATCH');
      assert.equal(await textOf(page, 'transfer-state'), 'reserved');
      assert.equal(await act(page, 'fault-retry'), 'RESERVED (repeated)');
      assert.equal(await textOf(page, 'alice-available'), '64.00', 'held once');

      // Reload: the book comes back from IndexedDB where it was.
      await page.reload();
      await waitForRestored(page);
      assert.match(await textOf(page, 'restore-status'), /^restored from IndexedDB \(revision \d+\)$/);
      assert.equal(await textOf(page, 'transfer-state'), 'reserved');
      assert.equal(await textOf(page, 'alice-available'), '64.00');
      // The retry past the deadline: the expiry is checked again and the reservation released.
      await act(page, 'advance-60');
      assert.equal(await act(page, 'fault-retry'), 'TRANSFER_EXPIRED (repeated)');
      assert.equal(await textOf(page, 'alice-available'), '74.50');
      assert.ok((await page.getByTestId('step').count()) >= 4);

      // A fresh transfer aborted by the operator.
      assert.equal(await act(page, 'quote'), 'QUOTED');
      assert.equal(await act(page, 'reserve'), 'RESERVED');
      assert.equal(await act(page, 'abort'), 'ABORTED');
      assert.equal(await textOf(page, 'alice-available'), '74.50');

      await act(page, 'reset-demo');
      assert.equal(await textOf(page, 'restore-status'), 'new book: Alice has 100.00 EUR');
      assert.equal(await textOf(page, 'alice-available'), '100.00');
    });
  });
});
