// Drives the System 7 demo page (examples-web/transfer.html) in headless Chromium: an IBAN whose
// bank code picks provider B over the country rule (the trace explains it), an ambiguous IBAN, a
// broken one, a card by its BIN range, a phone number resolved through the simulated directory
// (the SDK's async lookup), the messages in all four formats with the fields that did not
// survive (pain.001's SEPA transliteration and the dropped provider; plain JSON lossless), and a
// reload that shows the same answer for what was typed. Every answer is the WebAssembly core's.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertSdkBuilt, launchBrowser, shownErrors, startDemoServer, textOf, waitForSdkReady, withWatchedPage } from './helpers.mjs';

const currentStep = async (page) => Number(await page.locator('body').getAttribute('data-step'));

async function settled(page, before) {
  await page.waitForFunction((s) => Number(document.body.dataset.step) > s && document.body.dataset.busy === 'false', before);
  assert.equal(await shownErrors(page), '', 'unexpected error');
}

async function resolve(page, identifier) {
  const before = await currentStep(page);
  await page.getByTestId('identifier').fill(identifier);
  await page.getByTestId('resolve').click();
  await settled(page, before);
  return textOf(page, 'resolve-code');
}

const trace = (page) => page.getByTestId('trace-step').evaluateAll((items) => items.map((li) => li.textContent));
const losses = (page, format) =>
  page.getByTestId(`format-${format}`).getByTestId('loss').evaluateAll((rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));

describe('browser demo: value transfer between providers', () => {
  let browser;
  let server;
  let url;

  before(async () => {
    assertSdkBuilt();
    server = await startDemoServer();
    browser = await launchBrowser();
    url = new URL('transfer.html', server.url).href;
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('the resolver explains its answers, the formats report their losses, and a reload shows the same', async () => {
    await withWatchedPage(browser, async (page) => {
      await page.goto(url);
      await waitForSdkReady(page);
      await page.waitForFunction(() => Number(document.body.dataset.step) >= 1 && document.body.dataset.busy === 'false');

      assert.equal(await resolve(page, 'DE89 3704 0044 0532 0130 00'), 'resolved');
      assert.match(await textOf(page, 'resolve-provider'), /^bank-b at http:\/\/127\.0\.0\.1:9000\/bank-b, reads pacs\.008\.001\.08, BIC COBADEFFXXX/);
      assert.deepEqual(await trace(page), [
        'classify: iban',
        'iban: valid, country DE, bank code 37040044, national check digits not-defined',
        'rules: 2 of 4 iban rules match (de, de-coba)',
        'rule de-coba: the most specific match',
        'provider bank-b at http://127.0.0.1:9000/bank-b reads pacs.008.001.08',
      ]);
      // pain.001: the SEPA character set transliterates; the provider id has no element.
      const pain = await losses(page, 'pain.001.001.09');
      assert.ok(pain.some(([field, kinds, , delivered]) => field === 'creditor.name' && kinds === 'transliterated' && delivered === 'Francois Muller'), JSON.stringify(pain));
      assert.ok(pain.some(([field, kinds, , delivered]) => field === 'creditor.provider' && kinds === 'dropped' && delivered === '(dropped)'));
      assert.equal(await page.getByTestId('format-plain-json').getByTestId('loss-count').textContent(), 'lossless');
      assert.match(await page.getByTestId('format-pacs.008.001.08').locator('h3').textContent(), /provider B reads this/);
      assert.match(await page.getByTestId('format-pain.001.001.09').getByTestId('message-text').textContent(), /<IBAN>DK5000400440116243<\/IBAN>/);

      assert.equal(await resolve(page, 'FR1420041010050500013M02606'), 'ambiguous');
      assert.match(await textOf(page, 'resolve-provider'), /candidates: fr-1, fr-2/);
      assert.equal(await resolve(page, 'DE89370400440532013001'), 'invalid');
      assert.match(await textOf(page, 'resolve-provider'), /iban-checksum/);
      assert.equal(await resolve(page, '4500 0000 0000 0007'), 'resolved');
      assert.match(await textOf(page, 'resolve-provider'), /visa \(Bank B\)/);

      // An alias goes through the simulated directory (300 ms), by the SDK's async lookup.
      assert.equal(await resolve(page, '+44 20 7946 0958'), 'resolved');
      assert.deepEqual((await trace(page)).slice(-2), ['directory: the alias is held by mm', 'provider mm at http://127.0.0.1:9000/mm reads fspiop-quote']);
      assert.match(await page.getByTestId('format-fspiop-quote').getByTestId('message-text').textContent(), /"partyIdType": "MSISDN",\s*"partyIdentifier": "442079460958",\s*"fspId": "mm"/);

      await page.reload();
      await waitForSdkReady(page);
      await page.waitForFunction(() => Number(document.body.dataset.step) >= 1 && document.body.dataset.busy === 'false');
      assert.equal(await page.getByTestId('identifier').inputValue(), '+44 20 7946 0958');
      assert.equal(await textOf(page, 'resolve-code'), 'resolved');
      assert.equal((await trace(page)).at(-1), 'provider mm at http://127.0.0.1:9000/mm reads fspiop-quote');
      assert.ok(await page.getByTestId('transfer-timeline').isVisible());
    });
  });
});
