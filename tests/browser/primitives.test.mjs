// Drives the demo index and the primitives page in headless Chromium and checks
// what the page shows, i.e. what the WebAssembly core decided in the browser.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readManifest } from '../../scripts/manifest.mjs';
import {
  assertSdkBuilt,
  launchBrowser,
  openWatchedPage,
  startDemoServer,
  textOf,
  waitForSdkReady,
  withWatchedPage,
} from './helpers.mjs';

// The systems, their names and which are available come from systems.json (the index is
// generated from it; tests/manifest.test.mjs checks the generated list is fresh).
const MANIFEST = readManifest();
const SYSTEM_IDS = MANIFEST.systems.map((s) => s.id);
/** Systems whose demo page has landed; the rest are marked "coming". */
const AVAILABLE_SYSTEMS = MANIFEST.systems.filter((s) => s.status === 'available').map((s) => s.id);
const ALGORITHMS = ['EdDSA', 'ES256K'];

describe('browser demo: index and primitives', () => {
  let browser;
  let server;

  before(async () => {
    assertSdkBuilt();
    server = await startDemoServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function openPrimitives(page) {
    await page.goto(new URL('primitives.html', server.url).href);
    await waitForSdkReady(page);
  }

  test('index lists every system of systems.json, the available ones linked to their page, the others coming', async () => {
    assert.equal(SYSTEM_IDS.length, 10, 'the design brief has ten systems');
    assert.deepEqual(AVAILABLE_SYSTEMS.slice(0, 3), ['card', 'tempcard', 'energy']);
    await withWatchedPage(browser, async (page) => {
      await page.goto(server.url);
      const systems = page.getByTestId('system');
      assert.equal(await systems.count(), SYSTEM_IDS.length);
      const statuses = await systems.evaluateAll((items) => Object.fromEntries(items.map((item) => [item.dataset.system, item.dataset.status])));
      assert.deepEqual(Object.keys(statuses), SYSTEM_IDS);
      assert.deepEqual(statuses, Object.fromEntries(SYSTEM_IDS.map((id) => [id, AVAILABLE_SYSTEMS.includes(id) ? 'available' : 'coming'])));
      const visibleStatuses = await systems.locator('.status').allTextContents();
      assert.deepEqual(
        visibleStatuses.map((s) => s.trim()),
        SYSTEM_IDS.map((id) => (AVAILABLE_SYSTEMS.includes(id) ? 'available' : 'coming')),
      );

      const names = await page.getByTestId('system-name').allTextContents();
      assert.deepEqual(names.map((n) => n.trim()), MANIFEST.systems.map((s) => s.name));

      // Only available systems are links, each to its demo page.
      const links = page.getByTestId('system-link');
      assert.equal(await links.count(), AVAILABLE_SYSTEMS.length);
      for (const system of MANIFEST.systems.filter((s) => s.status === 'available')) {
        assert.equal(await page.locator(`[data-system="${system.id}"]`).getByTestId('system-link').getAttribute('href'), system.parts.demo.replace(/^examples-web\//, ''));
      }
      assert.equal(await page.locator('[data-system="card"]').getByTestId('system-link').getAttribute('href'), 'card.html');

      assert.equal(await page.getByTestId('primitives-entry').getAttribute('data-status'), 'available');
      assert.equal(await textOf(page, 'primitives-status'), 'available');
      await page.getByTestId('primitives-link').click();
      await page.waitForURL(/primitives\.html$/);
      await waitForSdkReady(page);

      await page.goBack();
      await page.locator('[data-system="card"]').getByTestId('system-link').click();
      await page.waitForURL(/card\.html$/);
      await waitForSdkReady(page);
      // Let the card page finish restoring (it reads IndexedDB) before the page closes.
      await page.waitForFunction(() => Number(document.body.dataset.step) >= 1 && document.body.dataset.busy === 'false');
    });
  });

  test('money: parse never rounds silently, rounding is explicit, syntax is strict', async () => {
    await withWatchedPage(browser, async (page) => {
      await openPrimitives(page);
      const parse = async (value, currency, rounding = '') => {
        await page.getByTestId('amount-value').fill(value);
        await page.getByTestId('amount-currency').selectOption(currency);
        await page.getByTestId('amount-rounding').selectOption(rounding);
        await page.getByTestId('amount-parse').click();
        return {
          result: await textOf(page, 'amount-result'),
          code: await textOf(page, 'amount-error-code'),
          message: await textOf(page, 'amount-error-message'),
        };
      };

      const tooPrecise = await parse('12.345', 'EUR');
      assert.equal(tooPrecise.code, 'AMOUNT_PRECISION');
      assert.equal(tooPrecise.result, '');
      assert.ok(tooPrecise.message.length > 0, 'an error shows its message');

      assert.deepEqual(await parse('12.345', 'EUR', 'half-even'), { result: '12.34', code: '', message: '' });
      assert.equal(await textOf(page, 'amount-minor'), '1234');
      assert.deepEqual(JSON.parse(await textOf(page, 'amount-json')), { amount: '12.34', currency: 'EUR' });

      assert.deepEqual(await parse('5', 'JPY'), { result: '5', code: '', message: '' });
      assert.equal((await parse('1e3', 'EUR')).code, 'AMOUNT_SYNTAX');
    });
  });

  test('money: add and split', async () => {
    await withWatchedPage(browser, async (page) => {
      await openPrimitives(page);
      await page.getByTestId('add-a').fill('10.10');
      await page.getByTestId('add-currency-a').selectOption('EUR');
      await page.getByTestId('add-b').fill('0.25');
      await page.getByTestId('add-currency-b').selectOption('EUR');
      await page.getByTestId('add-run').click();
      assert.equal(await textOf(page, 'add-result'), '10.35 EUR');
      assert.equal(await textOf(page, 'add-error-code'), '');

      // Mixing currencies is malformed input: an error with a code, never a sum.
      await page.getByTestId('add-currency-b').selectOption('USD');
      await page.getByTestId('add-run').click();
      assert.equal(await textOf(page, 'add-result'), '');
      assert.match(await textOf(page, 'add-error-code'), /^[A-Z_]+$/);

      await page.getByTestId('split-value').fill('100.00');
      await page.getByTestId('split-currency').selectOption('EUR');
      await page.getByTestId('split-ratios').fill('1, 1, 1');
      await page.getByTestId('split-run').click();
      const parts = (await page.getByTestId('split-part').allTextContents()).map((t) => t.trim());
      // Which part gets the extra cent is the SDK's documented choice; the multiset is not.
      assert.deepEqual([...parts].sort(), ['33.33 EUR', '33.33 EUR', '33.34 EUR']);
      assert.equal(await textOf(page, 'split-error-code'), '');
    });
  });

  for (const algorithm of ALGORITHMS) {
    test(`signatures (${algorithm}): verify true, then false after a flipped byte`, async () => {
      await withWatchedPage(browser, async (page) => {
        await openPrimitives(page);
        await page.getByTestId('key-algorithm').selectOption(algorithm);
        await page.getByTestId('key-generate').click();
        const publicKeyHex = await textOf(page, 'key-public');
        if (algorithm === 'EdDSA') assert.match(publicKeyHex, /^[0-9a-f]{64}$/);
        else assert.match(publicKeyHex, /^0[23][0-9a-f]{64}$/, 'secp256k1 public key is 33-byte compressed SEC1');
        assert.match(await textOf(page, 'key-secret'), /^[0-9a-f]{64}$/);

        const formats = algorithm === 'EdDSA' ? ['compact'] : ['compact', 'der'];
        for (const format of formats) {
          await page.getByTestId('sig-format').selectOption(format);
          await page.getByTestId('sig-message').fill(`pay 12.34 EUR to shop 42 (${format})`);
          await page.getByTestId('sig-sign').click();
          const signatureHex = await page.getByTestId('sig-signature').inputValue();
          if (format === 'compact') assert.match(signatureHex, /^[0-9a-f]{128}$/);
          else assert.match(signatureHex, /^30[0-9a-f]{10,140}$/, 'DER signature starts with a SEQUENCE');

          await page.getByTestId('sig-verify').click();
          assert.equal(await textOf(page, 'sig-verify-result'), 'true', `${algorithm}/${format} verifies`);

          await page.getByTestId('sig-tamper').click();
          assert.notEqual(await page.getByTestId('sig-signature').inputValue(), signatureHex);
          assert.equal(await textOf(page, 'sig-verify-result'), 'false', `${algorithm}/${format} tampered`);
          await page.getByTestId('sig-verify').click();
          assert.equal(await textOf(page, 'sig-verify-result'), 'false');
          assert.equal(await textOf(page, 'sig-error-code'), '');

          // The untouched signature over a different message must not verify either.
          await page.getByTestId('sig-signature').fill(signatureHex);
          await page.getByTestId('sig-message').fill('pay 99.99 EUR to shop 42');
          await page.getByTestId('sig-verify').click();
          assert.equal(await textOf(page, 'sig-verify-result'), 'false');
        }
      });
    });
  }

  const TAMPER_EXPECTATIONS = [
    ['tamper-payload', 'BAD_SIGNATURE'],
    ['tamper-signature', 'BAD_SIGNATURE'],
    ['tamper-untrusted-key', 'UNKNOWN_KEY'],
    ['tamper-swapped-key', 'BAD_SIGNATURE'],
    ['tamper-expired', 'EXPIRED'],
    ['tamper-not-yet-valid', 'NOT_YET_VALID'],
    ['tamper-replay', 'REPLAYED'],
    ['tamper-type', 'WRONG_TYPE'],
  ];

  for (const algorithm of ALGORITHMS) {
    test(`envelope (${algorithm}): VALID, then the exact code for each tamper`, async () => {
      await withWatchedPage(browser, async (page) => {
        await openPrimitives(page);
        await page.getByTestId('key-algorithm').selectOption(algorithm);
        await page.getByTestId('key-generate').click();

        const issuedAt = 1_700_000_000;
        await page.getByTestId('env-type').fill('countersign.demo.command');
        await page.getByTestId('env-version').fill('3');
        await page.getByTestId('env-key-id').fill('companion-app-1');
        await page.getByTestId('env-seq').fill('42');
        await page.getByTestId('env-issued-at').fill(String(issuedAt));
        await page.getByTestId('env-expires-at').fill(String(issuedAt + 600));
        await page.getByTestId('env-payload').fill('set daily limit 50.00 EUR');
        await page.getByTestId('env-seal').click();
        assert.equal(await textOf(page, 'env-seal-error-code'), '', await textOf(page, 'env-seal-error-message'));
        assert.match(await textOf(page, 'env-hex'), /^[0-9a-f]+$/);

        const expectValid = async () => {
          assert.equal(await textOf(page, 'env-open-error-code'), '', await textOf(page, 'env-open-error-message'));
          assert.equal(await textOf(page, 'env-open-code'), 'VALID');
          assert.equal(await page.getByTestId('env-fields').isVisible(), true, 'a VALID envelope shows its fields');
          assert.equal(await textOf(page, 'env-field-type'), 'countersign.demo.command');
          assert.equal(await textOf(page, 'env-field-version'), '3');
          assert.equal(await textOf(page, 'env-field-key-id'), 'companion-app-1');
          assert.equal(await textOf(page, 'env-field-algorithm'), algorithm);
          assert.equal(await textOf(page, 'env-field-seq'), '42');
          assert.match(await textOf(page, 'env-field-issued-at'), new RegExp(`^${issuedAt}\\b`));
          assert.match(await textOf(page, 'env-field-expires-at'), new RegExp(`^${issuedAt + 600}\\b`));
          assert.equal(await textOf(page, 'env-field-payload'), 'set daily limit 50.00 EUR');
          assert.equal(await textOf(page, 'env-field-payload-hex'), Buffer.from('set daily limit 50.00 EUR').toString('hex'));
        };

        // Sealing opens at once with now = issuedAt + 60 and the sealing key trusted.
        await expectValid();
        await page.getByTestId('env-open').click();
        await expectValid();

        for (const [tamperId, expectedCode] of TAMPER_EXPECTATIONS) {
          await page.getByTestId(tamperId).click();
          assert.equal(await textOf(page, 'env-open-error-code'), '', `${tamperId}: ${await textOf(page, 'env-open-error-message')}`);
          assert.equal(await textOf(page, 'env-open-code'), expectedCode, `${tamperId} on ${algorithm}`);
          assert.ok((await textOf(page, 'env-open-explanation')).length > 0, `${tamperId} shows an explanation`);
          assert.ok((await textOf(page, 'env-tamper-note')).length > 0, `${tamperId} says what it changed`);
          assert.equal(await page.getByTestId('env-fields').isHidden(), true, 'a rejected envelope shows no fields');
          assert.equal(await textOf(page, 'env-field-payload'), '', 'a rejected envelope keeps no decoded fields');
        }

        // Undo restores the pristine envelope and options.
        await page.getByTestId('env-reset').click();
        await expectValid();

        // Boundary: last seq just below seq is still fresh.
        await page.getByTestId('env-last-seq').fill('41');
        await page.getByTestId('env-open').click();
        await expectValid();
      });
    });
  }

  test('a failed init shows the error banner instead of a broken page', async () => {
    const watched = await openWatchedPage(browser);
    try {
      const { page } = watched;
      await page.route('**/countersign_wasm_bg.wasm', (route) => route.fulfill({ status: 404, body: 'gone' }));
      await page.goto(new URL('primitives.html', server.url).href);
      await page.waitForFunction(() => document.querySelector('[data-testid="sdk-status"]')?.dataset.state !== 'loading');
      assert.equal(await page.getByTestId('sdk-status').getAttribute('data-state'), 'failed');
      assert.equal(await page.getByTestId('init-error').isVisible(), true);
      assert.match(await textOf(page, 'init-error'), /could not be loaded/);
      assert.equal(await page.getByTestId('amount-parse').isDisabled(), true);
      // Only the deliberate 404 may show up in the console.
      const unexpected = watched.problems.filter((p) => !/404|Not Found/i.test(p));
      assert.deepEqual(unexpected, []);
    } finally {
      await watched.close();
    }
  });
});
