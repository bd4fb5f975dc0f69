// One WebAssembly module per system in headless Chromium: `init({ system })` fetches only that
// system's module (with the primitives), a system it lacks is refused with NOT_INITIALIZED
// naming it, and recovery after a trap re-instantiates that same module without refetching.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertSdkBuilt, launchBrowser, startDemoServer, withWatchedPage } from './helpers.mjs';

describe('browser: one module per system', () => {
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

  for (const [system, has, lacks] of [
    ['primitives', [], ['card', 'ledger']],
    ['card', ['card'], ['ledger']],
    ['ledger', ['ledger'], ['card', 'tempcard']],
    ['tempcard', ['tempcard', 'ledger'], ['energy']],
    ['energy', ['energy', 'ledger'], ['card']],
  ]) {
    test(`init({ system: '${system}' }) fetches sdk/wasm/${system}/ only and serves ${has.join(' + ') || 'the primitives'}`, async () => {
      await withWatchedPage(browser, async (page) => {
        const wasmFetches = [];
        page.on('request', (request) => {
          const url = new URL(request.url());
          if (url.pathname.endsWith('.wasm')) wasmFetches.push(url.pathname);
        });
        await page.goto(new URL('test-pages/blank.html', server.url).href);
        const result = await page.evaluate(async ({ system, has, lacks }) => {
          const sdk = await import('/sdk/dist/index.js');
          await sdk.init({ system });
          const use = {
            card: () => sdk.Card.create('c1', new sdk.Issuer(sdk.generateKeyPair('EdDSA'), 'i').publicKey).cardId,
            ledger: () => sdk.Ledger.create().head().seq,
            tempcard: () =>
              sdk.TempCardIssuer.create(
                { currency: 'EUR', binRange: { low: '45717360', high: '45717369', panLength: 16 } },
                { cvvKey: new Uint8Array(32), now: 1_796_895_000 },
              ).accountIds().length,
            energy: () => sdk.EnergyServer.create({ currency: 'EUR', holdDurationS: 900, lateCompletion: 'reject' }, 1_796_895_000).publicKey.keyId,
          };
          const refusal = (fn) => {
            try {
              fn();
              return 'no error';
            } catch (e) {
              return e.code;
            }
          };
          return {
            loaded: sdk.loadedModule(),
            money: sdk.Amount.parse('1.5', 'EUR').toString(),
            has: has.map((s) => refusal(use[s])),
            lacks: lacks.map((s) => refusal(use[s])),
          };
        }, { system, has, lacks });
        assert.equal(result.loaded, system);
        assert.equal(result.money, '1.50');
        assert.deepEqual(result.has, has.map(() => 'no error'));
        assert.deepEqual(result.lacks, lacks.map(() => 'NOT_INITIALIZED'));
        assert.deepEqual(wasmFetches, [`/sdk/wasm/${system}/countersign_wasm_bg.wasm`]);
      });
    });
  }

  test('a trap in the card module: init() starts a fresh card module, nothing refetched', async () => {
    await withWatchedPage(browser, async (page) => {
      const wasmFetches = [];
      page.on('request', (request) => {
        if (new URL(request.url()).pathname.endsWith('.wasm')) wasmFetches.push(request.url());
      });
      await page.goto(new URL('test-pages/blank.html', server.url).href);
      const result = await page.evaluate(async () => {
        const sdk = await import('/sdk/dist/index.js');
        await sdk.init({ system: 'card' });
        const raw = await import('/sdk/wasm/card/countersign_wasm.js');
        const { fromWasmError } = await import('/sdk/dist/errors.js');
        try {
          raw.__trapForTests();
        } catch (e) {
          fromWasmError(e);
        }
        const trapped = sdk.isInitialized();
        await sdk.init({ system: 'card' });
        return { trapped, after: sdk.isInitialized(), loaded: sdk.loadedModule(), sum: sdk.Amount.parse('2', 'EUR').add(sdk.Amount.parse('0.5', 'EUR')).toString() };
      });
      assert.deepEqual(result, { trapped: false, after: true, loaded: 'card', sum: '2.50' });
      assert.equal(wasmFetches.length, 1, wasmFetches.join(', '));
    });
  });
});
