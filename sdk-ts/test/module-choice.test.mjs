// init({ systems }): the page names what it uses and the loader picks the smallest module (by
// gzip budget) that holds all of it with what it is built on. The choice is checked against an
// independent brute force over systems.json, on a made-up table with two-system modules (the
// POS terminal with its relay, e-cash with the ledger), and through the browser entry.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import * as sdk from '@countersign/sdk';
import { smallestModuleHolding, withDependencies } from '../dist/loader.js';
import { closure, readManifest, units } from '../../scripts/manifest.mjs';
import { repoRoot } from './helpers.mjs';

const manifest = readManifest();

/** Every subset of `items` (there are 2^n; n is the number of systems, a handful). */
function subsets(items) {
  const SUBSETS_MAX = 1 << 12; // keeps a future long list from running away
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
    [['tempcard', 'ledger'], 'tempcard'],
    [['energy'], 'energy'],
    // No module holds the card and the ledger without the rest: the everything-module.
    [['card', 'ledger'], 'all'],
    [['tempcard', 'energy'], 'all'],
  ];
  for (const [systems, expected] of cases) assert.equal(smallestModuleHolding(systems), expected, `${systems.join('+') || 'nothing'}`);
  assert.deepEqual(withDependencies(['energy']), ['energy', 'ledger']);
});

test('the package table: for every set of systems, the chosen module holds them and no cheaper module does (brute force over systems.json)', () => {
  const ids = units(manifest).map((u) => u.id);
  for (const systems of subsets(ids)) {
    const needed = closure(manifest, systems);
    const holding = manifest.modules.filter((m) => needed.every((s) => m.systems.includes(s)));
    const cheapest = Math.min(...holding.map((m) => m.gzipBudgetBytes));
    const chosen = manifest.modules.find((m) => m.name === smallestModuleHolding(systems));
    assert.ok(chosen, `a module for ${systems.join('+')}`);
    assert.ok(needed.every((s) => chosen.systems.includes(s)), `${chosen.name} holds ${needed.join('+')}`);
    assert.equal(chosen.gzipBudgetBytes, cheapest, `${systems.join('+')}: ${chosen.name} is the cheapest`);
  }
});

test('a table with two-system modules: a page using both loads their module, not the one with everything', () => {
  const table = {
    modules: ['all', 'primitives', 'pos', 'relay', 'posrelay', 'ledger', 'ecash', 'tie1', 'tie2'],
    systemsIn: {
      all: ['pos', 'relay', 'ledger', 'ecash', 'merchant'],
      primitives: [],
      pos: ['pos'],
      relay: ['relay'],
      posrelay: ['pos', 'relay'],
      ledger: ['ledger'],
      ecash: ['ecash', 'ledger'],
      tie1: ['merchant', 'ecash', 'ledger'],
      tie2: ['merchant', 'ecash', 'ledger'],
    },
    budgetBytes: { all: 900, primitives: 100, pos: 300, relay: 250, posrelay: 400, ledger: 200, ecash: 350, tie1: 500, tie2: 500 },
    dependencies: { pos: [], relay: [], ledger: [], ecash: ['ledger'], merchant: ['ecash'] },
  };
  assert.equal(smallestModuleHolding(['pos', 'relay'], table), 'posrelay');
  assert.equal(smallestModuleHolding(['relay'], table), 'relay');
  // The merchant needs e-cash, which needs the ledger: pulled in transitively.
  assert.deepEqual(withDependencies(['merchant'], table), ['merchant', 'ecash', 'ledger']);
  assert.equal(smallestModuleHolding(['merchant'], table), 'tie1', 'the first listed on a tie');
  assert.equal(smallestModuleHolding(['ecash'], table), 'ecash');
  assert.equal(smallestModuleHolding(['pos', 'ledger'], table), 'all');
  const withoutAll = { ...table, modules: table.modules.filter((m) => m !== 'all') };
  assert.equal(smallestModuleHolding(['pos', 'ledger'], withoutAll), undefined);
});

test('Node: every system is loaded, so init({ systems }) resolves at once; bad options are refused', async () => {
  await sdk.init({ systems: ['card', 'ledger'] });
  assert.equal(sdk.loadedModule(), 'all');
  await assert.rejects(sdk.init({ systems: ['tills'] }), (e) => e.code === 'INVALID_ARGUMENT' && e.param === 'options.systems' && /tills/.test(e.message));
  await assert.rejects(sdk.init({ systems: 'card' }), (e) => e.code === 'INVALID_TYPE' && e instanceof TypeError);
  await assert.rejects(sdk.init({ systems: ['card', 7] }), (e) => e.code === 'INVALID_TYPE');
  await assert.rejects(sdk.init({ system: 'card', systems: ['card'] }), (e) => e.code === 'INVALID_ARGUMENT' && /not both/.test(e.message));
  await assert.rejects(sdk.init({ systems: Array(64).fill('card') }), (e) => e.code === 'INVALID_ARGUMENT' && /at most/.test(e.message));
});

function runBrowserEntry(script) {
  // A separate process imports only the browser entry, as a browser would (no Node auto-init).
  const entry = new URL('sdk-ts/dist/index.js', repoRoot).href;
  const wasmDir = new URL('sdk-ts/wasm/', repoRoot).href;
  const source = `import * as sdk from ${JSON.stringify(entry)};\nimport { readFileSync } from 'node:fs';\nconst wasmDir = new URL(${JSON.stringify(wasmDir)});\n${script}`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', source], { encoding: 'utf8' }).trim());
}

const TRY = `const attempt = async (fn) => { try { await fn(); return 'ok'; } catch (e) { return e.code; } };`;

test('browser entry: init({ systems: [\'tempcard\'] }) loads the tempcard module (with its ledger); later asks are checked against it', () => {
  const result = runBrowserEntry(`${TRY}
    await sdk.init({ systems: ['tempcard'], module: readFileSync(new URL('tempcard/countersign_wasm_bg.wasm', wasmDir)) });
    console.log(JSON.stringify({
      loaded: sdk.loadedModule(),
      ledger: sdk.Ledger.create().head().seq,
      ledgerAgain: await attempt(() => sdk.init({ systems: ['ledger'] })),
      both: await attempt(() => sdk.init({ systems: ['tempcard', 'ledger'] })),
      card: await attempt(() => sdk.init({ systems: ['card'] })),
      cardUse: await attempt(() => sdk.Card.create('c1', new sdk.Issuer(sdk.generateKeyPair('EdDSA'), 'i').publicKey)),
    }));
  `);
  assert.deepEqual(result, { loaded: 'tempcard', ledger: 0, ledgerAgain: 'ok', both: 'ok', card: 'NOT_INITIALIZED', cardUse: 'NOT_INITIALIZED' });
});

test('browser entry: init({ systems: [\'card\', \'ledger\'] }) loads the module holding both', () => {
  const result = runBrowserEntry(`${TRY}
    await sdk.init({ systems: ['card', 'ledger'], module: readFileSync(new URL('countersign_wasm_bg.wasm', wasmDir)) });
    const issuer = new sdk.Issuer(sdk.generateKeyPair('EdDSA'), 'i');
    console.log(JSON.stringify({ loaded: sdk.loadedModule(), card: sdk.Card.create('c1', issuer.publicKey).cardId, ledger: sdk.Ledger.create().head().seq }));
  `);
  assert.deepEqual(result, { loaded: 'all', card: 'c1', ledger: 0 });
});
