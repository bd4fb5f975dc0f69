// One WebAssembly module per system in headless Chromium: `init({ system })` fetches only that
// system's module (with the primitives), a system whose API it does not export is refused with
// NOT_INITIALIZED naming it (the energy and tempcard modules run their ledger inside and export
// no Ledger), `init({ systems })` fetches the smallest module exporting them, and recovery after a
// trap re-instantiates that same module without refetching. The modules and what each holds
// come from systems.json. A system in API parts (transfer) has a module per part: a page loading
// one part's module is refused the other part's classes, and the transfer demo pages fetch the
// module of the part they use.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ALL_MODULE, leaves, leavesOf, moduleDir, readManifest } from '../../scripts/manifest.mjs';
import { assertSdkBuilt, launchBrowser, shownErrors, startDemoServer, waitForSdkReady, withWatchedPage } from './helpers.mjs';

const manifest = readManifest();
/** The systems, a system in API parts as its parts ('transfer.resolve', 'transfer.lifecycle'). */
const UNIT_IDS = leaves(manifest);
/** A one-call use of each system (or API part) through the SDK, run in the page (the test needs one per system and part). */
const USE_SOURCE = {
  card: `() => sdk.Card.create('c1', new sdk.Issuer(sdk.generateKeyPair('EdDSA'), 'i').publicKey).cardId`,
  ledger: `() => sdk.Ledger.create().head().seq`,
  tempcard: `() => sdk.TempCardIssuer.create({ currency: 'EUR', binRange: { low: '45717360', high: '45717369', panLength: 16 } }, { cvvKey: new Uint8Array(32), now: 1_796_895_000 }).accountIds().length`,
  energy: `() => sdk.EnergyServer.create({ currency: 'EUR', holdDurationS: 900, lateCompletion: 'reject' }, 1_796_895_000).publicKey.keyId`,
  // alarmSignalOf is the device's (the page hands its signals to a router elsewhere).
  'dose.device': `() => sdk.doseSettingsFields().length + sdk.alarmSignalOf({ signalId: 'low:1', kind: 'low', priority: 'medium', direction: 'low', atMs: 1000, startSeq: 1, reason: 'r', evidence: [], resolved: null }).signalId.length`,
  'dose.escalation': `() => sdk.verifyAlarmAudit([])`,
  ecash: `() => sdk.EcashMerchant.create('shop-1', { keyId: 'i', publicKey: new Uint8Array(32).fill(1) }).held()`,
  relay: `() => sdk.TokenServer.create('EUR', 1_796_895_000).currency`,
  pos: `() => sdk.PosTerminalState.create({ terminalId: 't1', offline: { currencies: [{ currency: 'EUR', paymentMax: '50.00', totalMax: '60.00' }], countMax: 10, maxAgeMs: 3_600_000 } }).exportQueue().entries.length`,
  'transfer.resolve': `() => sdk.transferCheckIban('DE89370400440532013000').code`,
  'transfer.lifecycle': `() => sdk.TransferBook.create({ bookId: 'A', currency: 'EUR', now: 1_796_895_000 }).snapshot(new Uint8Array(32)).length`,
  'custody.book': `() => sdk.CustodyBook.create({ assets: [{ asset: 'BTC', confirmations: 1, sweepThreshold: '0.001', clientLimits: [], assetLimits: [] }], omnibusAddress: sdk.custodyAddressOf(sdk.secp256k1PublicKey(new Uint8Array(32).fill(0x11), { compressed: true })), approvers: [{ approverId: 'a1', publicKey: sdk.ed25519PublicKey(new Uint8Array(32).fill(1)) }], quorum: 1, coolingOffS: 0 }).eventCount`,
  'custody.liabilities': `() => sdk.custodyInclusionCodes().length`,
  'custody.keys': `() => sdk.custodyTransferWallet(new Uint8Array(32).fill(5), 0).address`,
  shelf: `() => sdk.ShelfController.create({ shelfId: 's', config: { kCenti: 300, marginZCenti: 200, learnShiftPermilleMax: 50, learnPicksMin: 5, itemsMax: 6, combinationsMax: 1000 }, itemTypes: [], lanes: [] }).shelfId`,
};
const wasmPathOf = (name) => `/sdk/wasm/${moduleDir(name) ? `${moduleDir(name)}/` : ''}countersign_wasm_bg.wasm`;

/**
 * In a fresh page: init(options), then use every system; which ones work, which are refused,
 * and which .wasm files were fetched.
 */
async function loadAndUse(browser, server, options) {
  let out;
  await withWatchedPage(browser, async (page) => {
    const wasmFetches = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.endsWith('.wasm')) wasmFetches.push(url.pathname);
    });
    await page.goto(new URL('test-pages/blank.html', server.url).href);
    const result = await page.evaluate(
      async ({ options, useSource }) => {
        const sdk = await import('/sdk/dist/index.js');
        await sdk.init(options);
        const outcome = {};
        for (const [system, source] of Object.entries(useSource)) {
          try {
            (0, eval)(`(sdk) => (${source})`)(sdk)();
            outcome[system] = 'works';
          } catch (e) {
            outcome[system] = e.code;
          }
        }
        return { loaded: sdk.loadedModule(), money: sdk.Amount.parse('1.5', 'EUR').toString(), outcome };
      },
      { options, useSource: USE_SOURCE },
    );
    out = { ...result, wasmFetches };
  });
  return out;
}

describe('browser: one module per system', () => {
  let browser;
  let server;

  before(async () => {
    assertSdkBuilt();
    // The dose page links to the demo server's alarm router (its page test starts it the same way).
    server = await startDemoServer({ doseAlarms: true });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('every system (and API part) in systems.json has a use here', () => {
    assert.deepEqual(Object.keys(USE_SOURCE).sort(), [...UNIT_IDS].sort());
  });

  for (const module of manifest.modules.filter((m) => m.name !== ALL_MODULE)) {
    const has = leavesOf(manifest, module.systems);
    test(`init({ system: '${module.name}' }) fetches ${wasmPathOf(module.name)} only and serves ${has.join(' + ') || 'the primitives'}, nothing else`, async () => {
      const result = await loadAndUse(browser, server, { system: module.name });
      assert.equal(result.loaded, module.name);
      assert.equal(result.money, '1.50');
      // What the module holds works; every other system is refused, naming NOT_INITIALIZED.
      assert.deepEqual(result.outcome, Object.fromEntries(Object.keys(USE_SOURCE).map((s) => [s, has.includes(s) ? 'works' : 'NOT_INITIALIZED'])));
      assert.deepEqual(result.wasmFetches, [wasmPathOf(module.name)]);
    });
  }

  for (const [systems, expected] of [
    [['tempcard'], 'tempcard'],
    [['ledger'], 'ledger'],
    [['card', 'ledger'], ALL_MODULE],
    // The energy module runs its ledger inside but exports no Ledger class: asking for both is 'all'.
    [['energy', 'ledger'], ALL_MODULE],
    // Transfer by part: each part's own module; the whole (or both parts) the two-part module.
    [['transfer.resolve'], 'transfer-resolve'],
    [['transfer.lifecycle'], 'transfer-lifecycle'],
    [['transfer'], 'transfer'],
    [['transfer.resolve', 'transfer.lifecycle'], 'transfer'],
    [['dose.device'], 'dose-device'],
    [['dose'], 'dose'],
    // Custody by part: each part's own module; the whole (or two parts) the three-part module.
    [['custody.book'], 'custody-book'],
    [['custody.liabilities'], 'custody-liabilities'],
    [['custody.keys'], 'custody-keys'],
    [['custody'], 'custody'],
    [['custody.book', 'custody.keys'], 'custody'],
    // A terminal that relays tokens is also a POS: one module exports both (issue 13).
    [['pos', 'relay'], 'terminal'],
  ]) {
    test(`init({ systems: ${JSON.stringify(systems)} }) fetches the smallest module holding them: ${expected}`, async () => {
      const result = await loadAndUse(browser, server, { systems });
      assert.equal(result.loaded, expected);
      for (const system of leavesOf(manifest, systems)) assert.equal(result.outcome[system], 'works', system);
      assert.deepEqual(result.wasmFetches, [wasmPathOf(expected)]);
    });
  }

  // The demo pages of System 7 name the part they use: each fetches that part's module only.
  for (const [page, module] of [
    ['transfer.html', 'transfer-resolve'],
    ['transfer-timeline.html', 'transfer-lifecycle'],
    // The dose page's alarm router runs on the demo's server: the page loads the device's part.
    ['dose.html', 'dose-device'],
  ]) {
    test(`the demo page ${page} fetches the ${module} module only, and works with it`, async () => {
      await withWatchedPage(browser, async (tab) => {
        const wasmFetches = [];
        tab.on('request', (request) => {
          const url = new URL(request.url());
          if (url.pathname.endsWith('.wasm')) wasmFetches.push(url.pathname);
        });
        await tab.goto(new URL(page, server.url).href);
        await waitForSdkReady(tab);
        // The page's first step (a resolution, the book restored or created) ran on that module.
        await tab.waitForFunction(() => Number(document.body.dataset.step) >= 1 && document.body.dataset.busy === 'false');
        assert.equal(await shownErrors(tab), '');
        assert.deepEqual(wasmFetches, [wasmPathOf(module)]);
      });
    });
  }
  // System 8's pages: the back office loads the book's part, the client's proof page the
  // liabilities' part. The book page reports ready after the book is restored or created and
  // saved; the proof page after its start-up (its whole flow on that module is
  // tests/browser/custody-proof.test.mjs, which loads the same page).
  for (const [page, module] of [
    ['custody.html', 'custody-book'],
    ['custody-proof.html', 'custody-liabilities'],
  ]) {
    test(`the demo page ${page} fetches the ${module} module only, and works with it`, async () => {
      await withWatchedPage(browser, async (tab) => {
        const wasmFetches = [];
        tab.on('request', (request) => {
          const url = new URL(request.url());
          if (url.pathname.endsWith('.wasm')) wasmFetches.push(url.pathname);
        });
        await tab.goto(new URL(page, server.url).href);
        await waitForSdkReady(tab);
        assert.equal(await shownErrors(tab), '');
        assert.deepEqual(wasmFetches, [wasmPathOf(module)]);
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
