// After a wasm trap: the SDK stops using the instance (every call and every object made in it
// refuses with WASM_TRAP), `init()` starts a fresh instance from the kept module, and state is
// loaded again from its store — everything committed survives, nothing else pretends to.
//
// The trap is real: the raw module's __trapForTests executes `unreachable`. The test passes the
// resulting WebAssembly.RuntimeError through the SDK's own error mapping (what every SDK call
// does with whatever the wasm throws), so this file runs last-in-process state changes only.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as sdk from '@countersign/sdk';
import * as raw from '../wasm/countersign_wasm.js';
import { fromWasmError } from '../dist/errors.js';

const T0 = 1_767_225_600;
const KEY = new Uint8Array(32).fill(3);

function trap() {
  let caught;
  try {
    raw.__trapForTests();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof WebAssembly.RuntimeError, 'the instance really trapped');
  const mapped = fromWasmError(caught);
  assert.equal(mapped.code, 'WASM_TRAP');
  assert.match(mapped.message, /await init\(\)/);
}

test('a trap: calls refuse with WASM_TRAP, init() starts a fresh instance, committed state is reloaded', async () => {
  const storage = new sdk.MemoryStorage();
  const store = new sdk.LedgerStore(storage, KEY, { name: 'recovery' });
  const ledger = await store.load();
  ledger.executeBatch([
    { op: 'openAccount', request: { idempotencyKey: 'o1', now: T0, accountId: 'bank', currency: 'EUR', kind: 'unrestricted' } },
    { op: 'openAccount', request: { idempotencyKey: 'o2', now: T0, accountId: 'wallet', currency: 'EUR', kind: 'nonNegative' } },
    { op: 'transfer', request: { idempotencyKey: 't1', now: T0, debitAccountId: 'bank', creditAccountId: 'wallet', amount: '25.00', currency: 'EUR' } },
  ]);
  assert.equal(await store.commit(ledger), true); // acknowledged
  ledger.transfer({ idempotencyKey: 't2', now: T0, debitAccountId: 'bank', creditAccountId: 'wallet', amount: '5.00', currency: 'EUR' }); // not committed
  const committedDigest = Buffer.from((await new sdk.LedgerStore(storage, KEY, { name: 'recovery' }).load()).stateDigest()).toString('hex');

  // Other handle-owning objects of the same instance.
  const issuer = sdk.TempCardIssuer.create(
    { currency: 'EUR', binRange: { low: '45717360', high: '45717369', panLength: 16 } },
    { cvvKey: new Uint8Array(32).fill(9), now: T0 },
  );
  const cardKey = sdk.generateKeyPair('EdDSA');
  const card = sdk.Card.create('card-1', { keyId: 'issuer', algorithm: 'EdDSA', publicKey: cardKey.publicKey });
  assert.equal(issuer.config.currency, 'EUR');

  // An amount is a value (bigint minor units): made before the trap, it is still usable after
  // init(); while the instance is trapped, every method that used to call the core refuses even
  // though the SDK now computes it in JavaScript (docs/money.md "How the SDK computes").
  const price = sdk.Amount.parse('2.50', 'EUR');

  trap();
  assert.equal(sdk.isInitialized(), false);
  for (const call of [
    () => ledger.account('wallet'),
    () => sdk.Ledger.create(),
    () => sdk.Amount.parse('1.00', 'EUR'),
    () => sdk.Amount.fromMinor(1n, 'EUR'),
    () => price.add(price),
    () => price.sub(price),
    () => price.compare(price),
    () => price.toMinor(),
    () => sdk.sha256(new Uint8Array(1)),
  ]) {
    assert.throws(call, (err) => err instanceof sdk.CountersignError && err.code === 'WASM_TRAP');
  }

  // Two concurrent init() calls share one fresh instance.
  await Promise.all([sdk.init(), sdk.init()]);
  assert.equal(sdk.isInitialized(), true);
  assert.equal(sdk.Amount.parse('1.5', 'EUR').toString(), '1.50');
  assert.equal(price.add(price).toString(), '5.00');
  assert.equal(price.toString(), '2.50', 'formatting never needed the core');
  // Objects of the trapped instance stay refused: they must come back from their store.
  assert.throws(() => ledger.account('wallet'), (err) => err.code === 'WASM_TRAP' && /load it again/.test(err.message));
  assert.throws(() => issuer.config, (err) => err.code === 'WASM_TRAP' && /issuer/.test(err.message));
  assert.throws(() => card.view(T0), (err) => err.code === 'WASM_TRAP' && /card/.test(err.message));
  for (const gone of [ledger, issuer, card]) gone.free(); // harmless: the old instance is not touched
  const reloaded = await new sdk.LedgerStore(storage, KEY, { name: 'recovery' }).load();
  assert.equal(Buffer.from(reloaded.stateDigest()).toString('hex'), committedDigest);
  assert.equal(reloaded.account('wallet').balance, '25.00', 'the committed transfer survived; the uncommitted one is gone');
  // The fresh instance works for everything, including a new card and crypto.
  const pair = sdk.generateKeyPair('EdDSA');
  const sig = sdk.signEd25519(pair.secretKey, new Uint8Array([1, 2, 3]));
  assert.equal(sdk.verifyEd25519(pair.publicKey, new Uint8Array([1, 2, 3]), sig), true);
  assert.equal(reloaded.transfer({ idempotencyKey: 't2', now: T0, debitAccountId: 'bank', creditAccountId: 'wallet', amount: '5.00', currency: 'EUR' }).code, 'TRANSFERRED');
});
