// init({ systems }): the page names the systems whose JS API it uses and the loader picks the
// smallest module (by gzip budget) exporting all of them. What a system is built on in the core
// (energy and tempcard on the ledger) is compiled into its module but not exported, so it does
// not count: `['energy', 'ledger']` needs a module exporting both. The choice is checked against
// an independent brute force over systems.json, on a made-up table with two-system modules (the
// POS terminal with its relay, e-cash with the ledger), and through the browser entry; the
// built glue of every module is checked to export exactly its listed systems' APIs. A system in
// API parts (transfer: 'transfer.resolve', 'transfer.lifecycle') is named whole or by part; the
// whole is every part, and each part's classes refuse a module without it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as sdk from '@countersign/sdk';
import { smallestModuleHolding } from '../dist/loader.js';
import { apiParts, leaves, leavesOf, moduleDir, readManifest } from '../../scripts/manifest.mjs';
import { repoRoot } from './helpers.mjs';

const manifest = readManifest();

/** Every subset of `items` (there are 2^n; n is the number of systems, a handful). */
function subsets(items) {
  const SUBSETS_MAX = 1 << 16; // keeps a future long list from running away (15 leaves since custody's three parts: 32,768)
  const count = 1 << items.length;
  assert.ok(count <= SUBSETS_MAX, `${items.length} systems: too many subsets to enumerate`);
  return Array.from({ length: count }, (_, mask) => items.filter((_, i) => mask & (1 << i)));
}

test('the package table: known choices', () => {
  const cases = [
    [[], 'primitives'],
    [['card'], 'card'],
    [['ledger'], 'ledger'],
    [['tempcard'], 'tempcard'],
    [['energy'], 'energy'],
    // The tempcard and energy modules run their ledger inside without exporting `Ledger`: a page
    // that also calls the ledger's own API needs a module exporting both, today the everything-module.
    [['tempcard', 'ledger'], 'all'],
    [['energy', 'ledger'], 'all'],
    // No module exports the card and the ledger without the rest: the everything-module.
    [['card', 'ledger'], 'all'],
    [['tempcard', 'energy'], 'all'],
    // Transfer in API parts: a part alone is its own module; the whole, or both parts, the two-part module.
    [['transfer.resolve'], 'transfer-resolve'],
    [['transfer.lifecycle'], 'transfer-lifecycle'],
    [['transfer'], 'transfer'],
    [['transfer.resolve', 'transfer.lifecycle'], 'transfer'],
    [['transfer', 'transfer.resolve'], 'transfer'],
    [['transfer.resolve', 'card'], 'all'],
    // Dose: the device page's part alone; the routing's alone; both the dose module.
    [['dose.device'], 'dose-device'],
    [['dose.escalation'], 'dose-escalation'],
    [['dose'], 'dose'],
    [['dose.device', 'dose.escalation'], 'dose'],
    // Custody: the back office's book, the proof of liabilities, the key holder's derivation;
    // any two parts are the three-part custody module (no two-part module is listed).
    [['custody.book'], 'custody-book'],
    [['custody.liabilities'], 'custody-liabilities'],
    [['custody.keys'], 'custody-keys'],
    [['custody'], 'custody'],
    [['custody.book', 'custody.keys'], 'custody'],
    [['custody.book', 'custody.liabilities', 'custody.keys'], 'custody'],
    // A terminal that relays tokens is also a POS: the two-system module, not the everything-module.
    [['pos', 'relay'], 'terminal'],
    [['pos'], 'pos'],
    [['relay'], 'relay'],
  ];
  for (const [systems, expected] of cases) assert.equal(smallestModuleHolding(systems), expected, `${systems.join('+') || 'nothing'}`);
});

test('the package table: for every set of systems (and API parts), the chosen module exports them and no cheaper module does (brute force over systems.json)', () => {
  // The APIs that do not overlap (a system in parts is its parts); every name a page can give
  // (the whole 'transfer' too) is a union of these.
  const ids = leaves(manifest);
  assert.ok(ids.includes('transfer.resolve') && !ids.includes('transfer'));
  const exported = (m) => leavesOf(manifest, m.systems);
  for (const systems of subsets(ids)) {
    const holding = manifest.modules.filter((m) => systems.every((s) => exported(m).includes(s)));
    const cheapest = Math.min(...holding.map((m) => m.gzipBudgetBytes));
    const chosen = manifest.modules.find((m) => m.name === smallestModuleHolding(systems));
    assert.ok(chosen, `a module for ${systems.join('+')}`);
    assert.ok(systems.every((s) => exported(chosen).includes(s)), `${chosen.name} exports ${systems.join('+')}`);
    assert.equal(chosen.gzipBudgetBytes, cheapest, `${systems.join('+')}: ${chosen.name} is the cheapest`);
  }
});

test('a table with two-system modules: a page using both loads their module, not the one with everything', () => {
  const table = {
    modules: ['all', 'primitives', 'pos', 'relay', 'posrelay', 'ledger', 'ecashledger', 'ecash', 'tie1', 'tie2'],
    systemsIn: {
      all: ['pos', 'relay', 'ledger', 'ecash', 'merchant'],
      primitives: [],
      pos: ['pos'],
      relay: ['relay'],
      posrelay: ['pos', 'relay'],
      ledger: ['ledger'],
      // e-cash is built on the ledger in the core; this module exports both APIs.
      ecashledger: ['ecash', 'ledger'],
      // e-cash alone (its ledger inside, not exported): cheaper, chosen when the page asks for e-cash only.
      ecash: ['ecash'],
      tie1: ['merchant', 'ecash'],
      tie2: ['merchant', 'ecash'],
    },
    budgetBytes: { all: 900, primitives: 100, pos: 300, relay: 250, posrelay: 400, ledger: 200, ecashledger: 380, ecash: 350, tie1: 500, tie2: 500 },
  };
  assert.equal(smallestModuleHolding(['pos', 'relay'], table), 'posrelay');
  assert.equal(smallestModuleHolding(['relay'], table), 'relay');
  assert.equal(smallestModuleHolding(['merchant'], table), 'tie1', 'the first listed on a tie');
  assert.equal(smallestModuleHolding(['ecash'], table), 'ecash', 'what e-cash is built on does not count: its own module');
  assert.equal(smallestModuleHolding(['ecash', 'ledger'], table), 'ecashledger', 'both APIs asked for: the module exporting both');
  assert.equal(smallestModuleHolding(['pos', 'ledger'], table), 'all');
  const withoutAll = { ...table, modules: table.modules.filter((m) => m !== 'all') };
  assert.equal(smallestModuleHolding(['pos', 'ledger'], withoutAll), undefined);
});

test('a table with a system in parts: a part is served by its module or by one with the whole system; the whole needs every part', () => {
  const table = {
    modules: ['all', 'dose', 'dose-frames', 'dose-routing', 'framesledger'],
    systemsIn: { all: ['dose', 'ledger'], dose: ['dose'], 'dose-frames': ['dose.frames'], 'dose-routing': ['dose.routing'], framesledger: ['dose.frames', 'ledger'] },
    budgetBytes: { all: 900, dose: 300, 'dose-frames': 150, 'dose-routing': 120, framesledger: 250 },
    partsOf: { dose: ['dose.frames', 'dose.routing'] },
  };
  assert.equal(smallestModuleHolding(['dose.frames'], table), 'dose-frames');
  assert.equal(smallestModuleHolding(['dose.routing'], table), 'dose-routing');
  assert.equal(smallestModuleHolding(['dose'], table), 'dose', 'the whole: not a one-part module, however cheap');
  assert.equal(smallestModuleHolding(['dose.frames', 'dose.routing'], table), 'dose', 'both parts are the whole');
  assert.equal(smallestModuleHolding(['dose.frames', 'ledger'], table), 'framesledger');
  assert.equal(smallestModuleHolding(['dose', 'ledger'], table), 'all');
  // Without the table's parts, 'dose' would be a name of its own that no part module serves.
  assert.equal(smallestModuleHolding(['dose.frames'], { ...table, partsOf: undefined }), 'dose-frames');
  assert.equal(smallestModuleHolding(['dose.frames'], { ...table, partsOf: {} }), 'dose-frames');
});

test('Node: every system is loaded, so init({ systems }) resolves at once; bad options are refused', async () => {
  await sdk.init({ systems: ['card', 'ledger'] });
  assert.equal(sdk.loadedModule(), 'all');
  await assert.rejects(sdk.init({ systems: ['tills'] }), (e) => e.code === 'INVALID_ARGUMENT' && e.param === 'options.systems' && /tills/.test(e.message));
  await assert.rejects(sdk.init({ systems: 'card' }), (e) => e.code === 'INVALID_TYPE' && e instanceof TypeError);
  await assert.rejects(sdk.init({ systems: ['card', 7] }), (e) => e.code === 'INVALID_TYPE');
  await assert.rejects(sdk.init({ system: 'card', systems: ['card'] }), (e) => e.code === 'INVALID_ARGUMENT' && /not both/.test(e.message));
  await assert.rejects(sdk.init({ systems: Array(64).fill('card') }), (e) => e.code === 'INVALID_ARGUMENT' && /at most/.test(e.message));
  // API parts are names too; a part that does not exist is refused like an unknown system.
  await sdk.init({ systems: ['transfer.resolve'] });
  await sdk.init({ systems: ['transfer.lifecycle', 'card'] });
  assert.equal(sdk.loadedModule(), 'all');
  await assert.rejects(sdk.init({ systems: ['transfer.teleport'] }), (e) => e.code === 'INVALID_ARGUMENT' && e.param === 'options.systems' && /transfer\.teleport/.test(e.message) && /transfer\.resolve/.test(e.message));
  await assert.rejects(sdk.init({ systems: ['card.counter'] }), (e) => e.code === 'INVALID_ARGUMENT' && /card\.counter/.test(e.message));
});

function runBrowserEntry(script) {
  // A separate process imports only the browser entry, as a browser would (no Node auto-init).
  const entry = new URL('sdk-ts/dist/index.js', repoRoot).href;
  const wasmDir = new URL('sdk-ts/wasm/', repoRoot).href;
  const source = `import * as sdk from ${JSON.stringify(entry)};\nimport { readFileSync } from 'node:fs';\nconst wasmDir = new URL(${JSON.stringify(wasmDir)});\n${script}`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', source], { encoding: 'utf8' }).trim());
}

const TRY = `const attempt = async (fn) => { try { await fn(); return 'ok'; } catch (e) { return e.code; } };`;

test('browser entry: init({ systems: [\'tempcard\'] }) loads the tempcard module (its ledger inside, no Ledger class); later asks are checked against it', () => {
  const result = runBrowserEntry(`${TRY}
    await sdk.init({ systems: ['tempcard'], module: readFileSync(new URL('tempcard/countersign_wasm_bg.wasm', wasmDir)) });
    const storage = new sdk.MemoryStorage();
    const issuer = sdk.TempCardIssuer.create({ currency: 'EUR', binRange: { low: '45717360', high: '45717369', panLength: 16 } }, { cvvKey: new Uint8Array(32), now: 1_796_895_000 });
    console.log(JSON.stringify({
      loaded: sdk.loadedModule(),
      tempcard: issuer.accountIds().length,
      // Its store (snapshot, ledger journal log, rollback guard by the journal head) without the Ledger class.
      saved: await new sdk.TempCardStore(storage, new Uint8Array(32).fill(3)).save('t', issuer),
      reloaded: (await new sdk.TempCardStore(storage, new Uint8Array(32).fill(3)).load('t', new Uint8Array(32))).accountIds().length,
      ledger: await attempt(() => sdk.Ledger.create()),
      ledgerAgain: await attempt(() => sdk.init({ systems: ['ledger'] })),
      both: await attempt(() => sdk.init({ systems: ['tempcard', 'ledger'] })),
      card: await attempt(() => sdk.init({ systems: ['card'] })),
      cardUse: await attempt(() => sdk.Card.create('c1', new sdk.Issuer(sdk.generateKeyPair('EdDSA'), 'i').publicKey)),
    }));
  `);
  assert.deepEqual(result, { loaded: 'tempcard', tempcard: 0, saved: true, reloaded: 0, ledger: 'NOT_INITIALIZED', ledgerAgain: 'NOT_INITIALIZED', both: 'NOT_INITIALIZED', card: 'NOT_INITIALIZED', cardUse: 'NOT_INITIALIZED' });
});

test('browser entry: init({ systems: [\'energy\', \'ledger\'] }) loads the module exporting both', () => {
  const result = runBrowserEntry(`
    await sdk.init({ systems: ['energy', 'ledger'], module: readFileSync(new URL('countersign_wasm_bg.wasm', wasmDir)) });
    const server = sdk.EnergyServer.create({ currency: 'EUR', holdDurationS: 900, lateCompletion: 'reject' }, 1_796_895_000);
    console.log(JSON.stringify({ loaded: sdk.loadedModule(), server: server.publicKey.keyId, ledger: sdk.Ledger.create().head().seq }));
  `);
  assert.deepEqual(result, { loaded: 'all', server: 'energy-server', ledger: 0 });
});

/** The classes and functions a module's glue exports (what `wasm()` hands the SDK). */
function glueExports(name) {
  const glue = readFileSync(new URL(`sdk-ts/wasm/${moduleDir(name) ? `${moduleDir(name)}/` : ''}countersign_wasm.js`, repoRoot), 'utf8');
  return new Set([...glue.matchAll(/^export (?:class|function) (\w+)/gm)].map((m) => m[1]));
}

test('built modules: each exports the primitives plus exactly the JS APIs of the systems (and API parts) systems.json lists for it (energy and tempcard: no LedgerHandle)', () => {
  const primitives = glueExports('primitives');
  // A system's API (or an API part's): what its own module exports beyond the primitives. A
  // part's module is `<system>-<part>`.
  const ownModule = (id) => id.replace('.', '-');
  const apiOf = Object.fromEntries(leaves(manifest).map((id) => [id, [...glueExports(ownModule(id))].filter((name) => !primitives.has(name))]));
  for (const [id, api] of Object.entries(apiOf)) assert.ok(api.length > 0, `${id} exports something of its own`);
  // The APIs are disjoint: a system module exporting another's classes (LedgerHandle from the
  // energy module) would put them in two sets.
  const owner = new Map();
  for (const [id, api] of Object.entries(apiOf)) {
    for (const name of api) {
      assert.equal(owner.get(name), undefined, `${name} is exported by the ${id} module and the ${owner.get(name)} module`);
      owner.set(name, id);
    }
  }
  for (const module of manifest.modules) {
    const expected = [...primitives, ...leavesOf(manifest, module.systems).flatMap((id) => apiOf[id])].sort();
    assert.deepEqual([...glueExports(module.name)].sort(), expected, `module ${module.name} exports ${module.systems.join(', ') || 'the primitives'}`);
  }
  // Spelled out, so a wrong derivation cannot pass a wrong build.
  for (const name of ['energy', 'tempcard']) assert.ok(!glueExports(name).has('LedgerHandle'), `the ${name} module exports no LedgerHandle`);
  assert.ok(glueExports('ledger').has('LedgerHandle') && glueExports('all').has('LedgerHandle'));
  assert.ok(glueExports('energy').has('EnergyServerHandle') && glueExports('tempcard').has('TempCardServiceHandle'));
  // Transfer's parts: the resolver without the book, the book without the resolver, the whole with both.
  assert.ok(glueExports('transfer-resolve').has('TransferResolverHandle') && !glueExports('transfer-resolve').has('TransferBookHandle'));
  assert.ok(glueExports('transfer-lifecycle').has('TransferBookHandle') && !glueExports('transfer-lifecycle').has('TransferResolverHandle'));
  assert.ok(glueExports('transfer').has('TransferBookHandle') && glueExports('transfer').has('TransferResolverHandle'));
  assert.ok(glueExports('dose-device').has('DoseTerminalHandle') && glueExports('dose-device').has('alarmSignalOf') && !glueExports('dose-device').has('AlarmRouterHandle'));
  assert.ok(glueExports('dose-escalation').has('AlarmRouterHandle') && !glueExports('dose-escalation').has('DoseTerminalHandle'));
  // Custody's parts: the book (and the address of a key) without the proof or BIP-32; the proof
  // without the book; the key holder's derivation alone; the whole with all three.
  assert.ok(glueExports('custody-book').has('CustodyBookHandle') && glueExports('custody-book').has('custodyAddressOf') && !glueExports('custody-book').has('LiabilitiesTreeHandle') && !glueExports('custody-book').has('custodyTransferWallet'));
  assert.ok(glueExports('custody-liabilities').has('LiabilitiesTreeHandle') && !glueExports('custody-liabilities').has('CustodyBookHandle') && !glueExports('custody-liabilities').has('custodyTransferWallet'));
  assert.ok(glueExports('custody-keys').has('custodyTransferWallet') && !glueExports('custody-keys').has('CustodyBookHandle') && !glueExports('custody-keys').has('LiabilitiesTreeHandle'));
  assert.ok(['CustodyBookHandle', 'LiabilitiesTreeHandle', 'custodyTransferWallet'].every((name) => glueExports('custody').has(name)));
  assert.equal(apiParts(manifest).length, 7);
});

// A transfer book's config and a use of the resolver, for the part tests below.
const TRANSFER_USES = `
  const resolver = () => sdk.transferCheckIban('DE89370400440532013000').code;
  const book = () => sdk.TransferBook.create({ bookId: 'A', currency: 'EUR', now: 1_796_895_000 }).snapshot(new Uint8Array(32)).length > 0;
  const message = async (fn) => { try { await fn(); return 'ok'; } catch (e) { return e.code + ': ' + e.message; } };`;

test('browser entry: init({ systems: [\'transfer.resolve\'] }) loads the resolver\'s module; the transfer book is refused NOT_INITIALIZED naming its part, as a system missing from a module is', () => {
  const result = runBrowserEntry(`${TRY}${TRANSFER_USES}
    await sdk.init({ systems: ['transfer.resolve'], module: readFileSync(new URL('transfer-resolve/countersign_wasm_bg.wasm', wasmDir)) });
    console.log(JSON.stringify({
      loaded: sdk.loadedModule(),
      resolver: resolver(),
      book: await message(book),
      restore: await attempt(() => sdk.TransferBook.restore(new Uint8Array(8), new Uint8Array(32))),
      again: await attempt(() => sdk.init({ systems: ['transfer.resolve'] })),
      whole: await message(() => sdk.init({ systems: ['transfer'] })),
      wholeModule: await attempt(() => sdk.init({ system: 'transfer' })),
      card: await message(() => sdk.Card.create('c1', new sdk.Issuer(sdk.generateKeyPair('EdDSA'), 'i').publicKey)),
    }));
  `);
  assert.deepEqual(result, {
    loaded: 'transfer-resolve',
    resolver: 'iban-valid',
    book: "NOT_INITIALIZED: countersign: the lifecycle part of the transfer system (transfer.lifecycle) is not in the loaded WebAssembly module ('transfer-resolve'): load one that has it, e.g. `await init({ systems: ['transfer.lifecycle'] })`, or `await init()` for every system",
    restore: 'NOT_INITIALIZED',
    again: 'ok',
    whole: "NOT_INITIALIZED: countersign: the lifecycle part of the transfer system (transfer.lifecycle) is not in the loaded WebAssembly module ('transfer-resolve'): load one that has it, e.g. `await init({ systems: ['transfer.lifecycle'] })`, or `await init()` for every system",
    wholeModule: 'NOT_INITIALIZED',
    // A whole system the module lacks: the message it always had.
    card: "NOT_INITIALIZED: countersign: the card system is not in the loaded WebAssembly module ('transfer-resolve'): load one that has it, e.g. `await init({ system: 'card' })`, or `await init()` for every system",
  });
});

test('browser entry: init({ systems: [\'transfer.lifecycle\'] }) loads the lifecycle\'s module; the resolver is refused NOT_INITIALIZED naming its part', () => {
  const result = runBrowserEntry(`${TRY}${TRANSFER_USES}
    await sdk.init({ systems: ['transfer.lifecycle'], module: readFileSync(new URL('transfer-lifecycle/countersign_wasm_bg.wasm', wasmDir)) });
    console.log(JSON.stringify({
      loaded: sdk.loadedModule(),
      book: book(),
      condition: sdk.transferCondition(new Uint8Array(32)).length,
      resolver: await message(resolver),
      newResolver: await attempt(() => sdk.TransferResolver.create({ rules: [] })),
    }));
  `);
  assert.deepEqual(result, {
    loaded: 'transfer-lifecycle',
    book: true,
    condition: 64,
    resolver: "NOT_INITIALIZED: countersign: the resolve part of the transfer system (transfer.resolve) is not in the loaded WebAssembly module ('transfer-lifecycle'): load one that has it, e.g. `await init({ systems: ['transfer.resolve'] })`, or `await init()` for every system",
    newResolver: 'NOT_INITIALIZED',
  });
});

test('browser entry: init({ systems: [\'transfer\'] }) loads the two-part transfer module, serving both parts', () => {
  const result = runBrowserEntry(`${TRANSFER_USES}
    await sdk.init({ systems: ['transfer'], module: readFileSync(new URL('transfer/countersign_wasm_bg.wasm', wasmDir)) });
    console.log(JSON.stringify({ loaded: sdk.loadedModule(), resolver: resolver(), book: book(), parts: await message(() => sdk.init({ systems: ['transfer.resolve', 'transfer.lifecycle'] })) }));
  `);
  assert.deepEqual(result, { loaded: 'transfer', resolver: 'iban-valid', book: true, parts: 'ok' });
});

// Uses of custody's three parts, for the part tests below.
const CUSTODY_USES = `
  const book = () => sdk.CustodyBook.create({ assets: [{ asset: 'BTC', confirmations: 1, sweepThreshold: '0.001', clientLimits: [], assetLimits: [] }], omnibusAddress: sdk.custodyAddressOf(sdk.secp256k1PublicKey(new Uint8Array(32).fill(0x11), { compressed: true })), approvers: [{ approverId: 'a1', publicKey: sdk.ed25519PublicKey(new Uint8Array(32).fill(1)) }], quorum: 1, coolingOffS: 0 }).eventCount;
  const tree = () => sdk.custodyInclusionCodes().length > 0;
  const wallet = () => sdk.custodyTransferWallet(new Uint8Array(32).fill(5), 0).path;
  const message = async (fn) => { try { await fn(); return 'ok'; } catch (e) { return e.code + ': ' + e.message; } };`;

test('browser entry: init({ systems: [\'custody.book\'] }) loads the book\'s module; the proof and the key derivation are refused NOT_INITIALIZED naming their parts', () => {
  const result = runBrowserEntry(`${TRY}${CUSTODY_USES}
    await sdk.init({ systems: ['custody.book'], module: readFileSync(new URL('custody-book/countersign_wasm_bg.wasm', wasmDir)) });
    console.log(JSON.stringify({
      loaded: sdk.loadedModule(),
      book: book(),
      tree: await message(tree),
      wallet: await message(wallet),
      whole: await attempt(() => sdk.init({ systems: ['custody'] })),
    }));
  `);
  assert.deepEqual(result, {
    loaded: 'custody-book',
    book: 0,
    tree: "NOT_INITIALIZED: countersign: the liabilities part of the custody system (custody.liabilities) is not in the loaded WebAssembly module ('custody-book'): load one that has it, e.g. `await init({ systems: ['custody.liabilities'] })`, or `await init()` for every system",
    wallet: "NOT_INITIALIZED: countersign: the keys part of the custody system (custody.keys) is not in the loaded WebAssembly module ('custody-book'): load one that has it, e.g. `await init({ systems: ['custody.keys'] })`, or `await init()` for every system",
    whole: 'NOT_INITIALIZED',
  });
});

test('browser entry: init({ systems: [\'custody.liabilities\'] }) and [\'custody.keys\'] load their own modules, without the book', () => {
  for (const [part, module, works] of [['custody.liabilities', 'custody-liabilities', 'tree'], ['custody.keys', 'custody-keys', 'wallet']]) {
    const result = runBrowserEntry(`${TRY}${CUSTODY_USES}
      await sdk.init({ systems: ['${part}'], module: readFileSync(new URL('${module}/countersign_wasm_bg.wasm', wasmDir)) });
      console.log(JSON.stringify({ loaded: sdk.loadedModule(), works: await message(${works}), book: await attempt(book) }));
    `);
    assert.deepEqual(result, { loaded: module, works: 'ok', book: 'NOT_INITIALIZED' }, part);
  }
});

test('browser entry: init({ systems: [\'custody\'] }) loads the three-part custody module, serving every part', () => {
  const result = runBrowserEntry(`${CUSTODY_USES}
    await sdk.init({ systems: ['custody'], module: readFileSync(new URL('custody/countersign_wasm_bg.wasm', wasmDir)) });
    console.log(JSON.stringify({ loaded: sdk.loadedModule(), book: book(), tree: tree(), wallet: wallet(), parts: await message(() => sdk.init({ systems: ['custody.book', 'custody.keys'] })) }));
  `);
  assert.deepEqual(result, { loaded: 'custody', book: 0, tree: true, wallet: "m/44'/60'/0'/0/0", parts: 'ok' });
});

test('browser entry: init({ systems: [\'card\', \'ledger\'] }) loads the module holding both', () => {
  const result = runBrowserEntry(`${TRY}
    await sdk.init({ systems: ['card', 'ledger'], module: readFileSync(new URL('countersign_wasm_bg.wasm', wasmDir)) });
    const issuer = new sdk.Issuer(sdk.generateKeyPair('EdDSA'), 'i');
    console.log(JSON.stringify({ loaded: sdk.loadedModule(), card: sdk.Card.create('c1', issuer.publicKey).cardId, ledger: sdk.Ledger.create().head().seq }));
  `);
  assert.deepEqual(result, { loaded: 'all', card: 'c1', ledger: 0 });
});
