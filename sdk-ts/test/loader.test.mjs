// Loading: Node ESM import works without init(); the browser entry refuses use before init()
// with NOT_INITIALIZED; init() is idempotent and accepts bytes, a Module or a URL.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as sdk from '@countersign/sdk';
import * as rawGlue from '../wasm/countersign_wasm.js';
import { repoRoot } from './helpers.mjs';

test('Node ESM import is ready without init(); init() is a no-op that resolves', async () => {
  assert.equal(sdk.isInitialized(), true);
  assert.equal(sdk.sha256(new Uint8Array(0)).length, 32);
  await sdk.init();
  await sdk.init(new Uint8Array([0, 1, 2])); // ignored: already initialised, never re-instantiated
});

test('ERROR_CODES equals the core list, in order, and docs/errors.md lists every code with its class and description', () => {
  const core = rawGlue.errorCodes();
  assert.deepEqual([...sdk.ERROR_CODES], core.map((entry) => entry.code));
  const lines = readFileSync(new URL('docs/errors.md', repoRoot), 'utf8').split('\n');
  const at = lines.indexOf('| code | class | meaning |');
  assert.ok(at >= 0, 'docs/errors.md has the table');
  const rows = [];
  for (let i = at + 2; i < lines.length && lines[i].startsWith('| '); i++) rows.push(lines[i].slice(2, -2).split(' | '));
  const classOf = { type: 'TypeError', range: 'RangeError' };
  assert.deepEqual(
    rows.map(([code, cls]) => [code, cls]),
    core.map(({ code, kind }) => ['`' + code + '`', classOf[kind] ?? 'Error']),
    'every code, in the core order, with the class its errors are thrown as',
  );
  // The meaning column is the core's own description (a Markdown table escapes its `|`).
  assert.deepEqual(
    rows.map(([code, , meaning]) => [code, meaning.replaceAll('\\|', '|')]),
    core.map(({ code, description }) => ['`' + code + '`', description.trim()]),
    'every meaning is the core description',
  );
});

test('wasm errors cross as real Error objects with a stable code', () => {
  let thrown;
  try {
    rawGlue.amountParse('1e3', 'EUR', undefined);
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof Error, 'the raw module throws an Error, not a string');
  assert.equal(thrown.name, 'CountersignError');
  assert.equal(thrown.code, 'AMOUNT_SYNTAX');
  assert.equal(thrown.param, 'amount');
  assert.match(thrown.message, /^countersign: amount: .*exponent/);
});

test('SDK error classes: instanceof CountersignError covers TypeError and RangeError subclasses', () => {
  const attempts = [
    [() => sdk.Amount.parse('1e3', 'EUR'), RangeError, 'AMOUNT_SYNTAX'],
    [() => sdk.Amount.parse(1.5, 'EUR'), TypeError, 'INVALID_TYPE'],
    [() => sdk.Amount.fromMinor(5, 'EUR'), TypeError, 'INVALID_TYPE'],
  ];
  for (const [fn, Base, code] of attempts) {
    assert.throws(fn, (e) => e instanceof Base && e instanceof sdk.CountersignError && e.code === code);
  }
  const plain = new sdk.CountersignError('INTERNAL', 'x');
  assert.ok(plain instanceof sdk.CountersignError && plain instanceof Error);
  assert.equal(new Error('x') instanceof sdk.CountersignError, false);
});

function runBrowserEntry(script) {
  // A separate process imports only the browser entry, as a browser would (no Node auto-init).
  const entry = new URL('sdk-ts/dist/index.js', repoRoot).href;
  const wasmPath = new URL('sdk-ts/wasm/countersign_wasm_bg.wasm', repoRoot).href;
  const source = `import * as sdk from ${JSON.stringify(entry)};\nconst wasmUrl = new URL(${JSON.stringify(wasmPath)});\n${script}`;
  return execFileSync(process.execPath, ['--input-type=module', '-e', source], { encoding: 'utf8' });
}

test('browser entry: use before init() throws NOT_INITIALIZED; init() is idempotent', () => {
  const out = runBrowserEntry(`
    import('node:fs').then(async ({ readFileSync }) => {
      const result = {};
      try { sdk.sha256(new Uint8Array(0)); result.before = 'no error'; } catch (e) { result.before = e.code; result.beforeMessage = e.message; }
      result.ready0 = sdk.isInitialized();
      const bytes = readFileSync(wasmUrl);
      const first = sdk.init(bytes);
      const second = sdk.init(bytes);
      result.samePromise = first === second;
      await first;
      result.ready1 = sdk.isInitialized();
      result.digest = Buffer.from(sdk.sha256(new Uint8Array(0))).toString('hex');
      try { await sdk.init(42); result.badInput = 'no error'; } catch (e) { result.badInput = e.code; }
      console.log(JSON.stringify(result));
    });
  `);
  const result = JSON.parse(out.trim());
  assert.equal(result.before, 'NOT_INITIALIZED');
  assert.match(result.beforeMessage, /await init\(\)/);
  assert.equal(result.ready0, false);
  assert.equal(result.samePromise, true);
  assert.equal(result.ready1, true);
  assert.equal(result.digest, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(result.badInput, 'no error', 'already initialised: init() resolves at once whatever it is given');
});

test('browser entry: init() accepts a compiled WebAssembly.Module and rejects a bad input type', () => {
  const out = runBrowserEntry(`
    import('node:fs').then(async ({ readFileSync }) => {
      const result = {};
      try { await sdk.init(42); } catch (e) { result.badInput = e.code; result.isTypeError = e instanceof TypeError; }
      const module = new WebAssembly.Module(readFileSync(wasmUrl));
      await sdk.init(module);
      result.verify = sdk.verifyEd25519(new Uint8Array(32), new Uint8Array(0), new Uint8Array(64));
      console.log(JSON.stringify(result));
    });
  `);
  const result = JSON.parse(out.trim());
  assert.equal(result.badInput, 'INVALID_TYPE');
  assert.equal(result.isTypeError, true);
  assert.equal(result.verify, false);
});

test('browser entry: init({ system }) loads one system’s module; what it lacks is NOT_INITIALIZED, naming it', () => {
  const out = runBrowserEntry(`
    import('node:fs').then(async ({ readFileSync }) => {
      const result = {};
      const cardWasm = readFileSync(new URL('card/countersign_wasm_bg.wasm', wasmUrl));
      try { await sdk.init({ system: 'tills' }); } catch (e) { result.badSystem = e.code + ' ' + e.param; }
      await sdk.init({ system: 'card', module: cardWasm });
      result.loaded = sdk.loadedModule();
      result.sizes = [cardWasm.length, readFileSync(wasmUrl).length];
      result.digest = Buffer.from(sdk.sha256(new Uint8Array(0))).toString('hex');
      const issuer = new sdk.Issuer(sdk.generateKeyPair('EdDSA'), 'issuer-1');
      result.card = sdk.Card.create('c1', issuer.publicKey).cardId;
      try { sdk.Ledger.create(); result.ledger = 'no error'; } catch (e) { result.ledger = e.code; result.ledgerMessage = e.message; }
      try { await sdk.init({ system: 'energy' }); result.energy = 'no error'; } catch (e) { result.energy = e.code; }
      await sdk.init({ system: 'card' });
      result.again = 'resolved';
      console.log(JSON.stringify(result));
    });
  `);
  const result = JSON.parse(out.trim());
  assert.equal(result.badSystem, 'INVALID_ARGUMENT options.system');
  assert.equal(result.loaded, 'card');
  assert.ok(result.sizes[0] < result.sizes[1] * 0.6, `the card module is much smaller: ${result.sizes}`);
  assert.equal(result.digest, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(result.card, 'c1');
  assert.equal(result.ledger, 'NOT_INITIALIZED');
  assert.match(result.ledgerMessage, /ledger system is not in the loaded WebAssembly module \('card'\).*init\(\{ system: 'ledger' \}\)/);
  assert.equal(result.energy, 'NOT_INITIALIZED');
  assert.equal(result.again, 'resolved');
});

test('browser entry: the energy module runs the ledger it is built on inside its server, exports no Ledger class, and not the card', () => {
  const out = runBrowserEntry(`
    import('node:fs').then(async ({ readFileSync }) => {
      await sdk.init({ system: 'energy', module: readFileSync(new URL('energy/countersign_wasm_bg.wasm', wasmUrl)) });
      const result = {};
      try { sdk.Ledger.create(); result.head = 'no error'; } catch (e) { result.head = e.code; }
      const pair = sdk.generateKeyPair('EdDSA');
      const server = sdk.EnergyServer.create({ currency: 'EUR', holdDurationS: 900, lateCompletion: 'reject' }, 1_796_895_000, pair);
      result.server = server.publicKey.keyId;
      // The server's own ledger, its journal and its store work without the Ledger class.
      result.opened = server.openWallet('w1', 1_796_895_000);
      result.topUp = server.topUp('w1', '25.00', 1_796_895_001).code;
      const store = new sdk.EnergyStore(new sdk.MemoryStorage(), new Uint8Array(32).fill(7));
      result.saved = await store.saveServer('s', server);
      result.journal = (await store.readServerJournal('s')).length;
      result.balance = (await store.loadServer('s', pair)).wallet('w1').balance;
      try { sdk.TempCardIssuer.create({ currency: 'EUR', binRange: { low: '45717360', high: '45717369', panLength: 16 } }, { cvvKey: new Uint8Array(32), now: 0 }); result.tempcard = 'no error'; } catch (e) { result.tempcard = e.code; }
      console.log(JSON.stringify(result));
    });
  `);
  assert.deepEqual(JSON.parse(out.trim()), { head: 'NOT_INITIALIZED', server: 'energy-server', opened: 'ACCOUNT_OPENED', topUp: 'TRANSFERRED', saved: true, journal: 3, balance: '25.00', tempcard: 'NOT_INITIALIZED' });
});
