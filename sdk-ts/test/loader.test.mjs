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

test('ERROR_CODES equals the core list, in order, and the README documents every code', () => {
  const core = rawGlue.errorCodes();
  assert.deepEqual([...sdk.ERROR_CODES], core.map((entry) => entry.code));
  const readme = readFileSync(new URL('README.md', repoRoot), 'utf8');
  for (const { code } of core) assert.ok(readme.includes('`' + code + '`'), `README lists ${code}`);
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
