// Trap recovery in headless Chromium: after a real trap (the raw module's __trapForTests runs
// `unreachable`), the SDK refuses every call with WASM_TRAP; `init()` imports a fresh copy of
// the glue (a `?instance=` URL) and instantiates the module compiled the first time — no new
// fetch of the .wasm — and a ledger persisted in IndexedDB is loaded back as committed.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertSdkBuilt, launchBrowser, startDemoServer, withWatchedPage } from './helpers.mjs';

describe('browser: recovery after a wasm trap', () => {
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

  test('WASM_TRAP until init(); init() starts a fresh instance without refetching; IndexedDB state reloads', async () => {
    await withWatchedPage(browser, async (page) => {
      const wasmFetches = [];
      page.on('request', (request) => {
        if (new URL(request.url()).pathname.endsWith('.wasm')) wasmFetches.push(request.url());
      });
      await page.goto(new URL('test-pages/blank.html', server.url).href);
      const result = await page.evaluate(async () => {
        const sdk = await import('/sdk/dist/index.js');
        const raw = await import('/sdk/wasm/countersign_wasm.js');
        const { fromWasmError } = await import('/sdk/dist/errors.js');
        await sdk.init();
        const T0 = 1_767_225_600;
        const key = new Uint8Array(32).fill(5);
        const storage = new sdk.IndexedDbStorage(`recovery-${Date.now()}`);
        const store = new sdk.LedgerStore(storage, key);
        const ledger = await store.load();
        ledger.openAccount({ idempotencyKey: 'o1', now: T0, accountId: 'a', currency: 'EUR', kind: 'unrestricted' });
        const committed = await store.commit(ledger);
        ledger.openAccount({ idempotencyKey: 'o2', now: T0, accountId: 'b', currency: 'EUR', kind: 'unrestricted' }); // not committed
        let trapName = 'no trap';
        try {
          raw.__trapForTests();
        } catch (e) {
          trapName = e.constructor.name;
          fromWasmError(e); // what every SDK call does with what the wasm throws
        }
        const refusal = (fn) => {
          try {
            fn();
            return 'no error';
          } catch (e) {
            return e.code;
          }
        };
        const afterTrap = {
          initialized: sdk.isInitialized(),
          parse: refusal(() => sdk.Amount.parse('1', 'EUR')),
          oldLedger: refusal(() => ledger.accounts()),
        };
        await sdk.init();
        const reloaded = await new sdk.LedgerStore(storage, key).load();
        const afterInit = {
          initialized: sdk.isInitialized(),
          parse: sdk.Amount.parse('1', 'EUR').toString(),
          oldLedger: refusal(() => ledger.accounts()),
          accounts: reloaded.accounts().map((a) => a.accountId),
        };
        await storage.close();
        return { committed, trapName, afterTrap, afterInit };
      });
      assert.deepEqual(result, {
        committed: true,
        trapName: 'RuntimeError',
        afterTrap: { initialized: false, parse: 'WASM_TRAP', oldLedger: 'WASM_TRAP' },
        afterInit: { initialized: true, parse: '1.00', oldLedger: 'WASM_TRAP', accounts: ['a'] },
      });
      assert.equal(wasmFetches.length, 1, `the module is fetched once, not again on recovery: ${wasmFetches.join(', ')}`);
    });
  });
});
