// A trap inside each kind of ecash call — a card's pay, the back-end's sync, a restore — gives
// WASM_TRAP; every later call refuses with WASM_TRAP; `await init()` starts a fresh instance; the
// old objects keep refusing; and the card and back-end come back from their saved snapshots
// exactly as saved, and go on (the card's unsaved payment is not there: it was never signed out
// of the card, so no value moved). The trap is `__trapForTests` (`unreachable`) run by the glue
// method the SDK calls, as in trap-each-call.test.mjs. Runs alone under node --test (one process).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as sdk from '@countersign/sdk';
import { wasm } from '../dist/loader.js';

const T0 = 1_700_000_000;
const KEY = new Uint8Array(32).fill(3);
const ISSUER_SK = new Uint8Array(32).fill(7);
const SIGNER = { keyId: 'issuer-1', secretKey: ISSUER_SK };
const POLICY = { limits: { singleMax: '5000', cumulativeMax: '20000', countMax: 10 }, validityS: 86400, counterWindow: 100, velocity: { windowS: 3600, countMax: 8, amountMax: '30000' } };
const isTrap = (err) => err instanceof sdk.CountersignError && err.code === 'WASM_TRAP';

function trapInside(glueClass, member) {
  const glue = wasm();
  const owner = member.startsWith('#') ? glue[glueClass].prototype : glue[glueClass];
  const key = member.replace(/^#/, '');
  const original = owner[key];
  assert.equal(typeof original, 'function', `${glueClass}.${member} exists`);
  owner[key] = function trapping() {
    owner[key] = original;
    glue.__trapForTests();
  };
}

async function expectTrap(what, call, stale) {
  let caught;
  try {
    await call();
  } catch (e) {
    caught = e;
  }
  assert.ok(isTrap(caught), `${what}: WASM_TRAP expected, got ${caught?.code ?? caught}`);
  assert.equal(sdk.isInitialized(), false);
  assert.throws(stale, isTrap, `${what}: the object refuses after the trap`);
  await sdk.init();
  assert.equal(sdk.isInitialized(), true, `${what}: init() recovered`);
  assert.throws(stale, isTrap, `${what}: the old object still refuses`);
}

/** A back-end and a card that paid once and synced, both saved; then a second, unsaved payment. */
function saved() {
  const backend = sdk.EcashBackend.create(POLICY);
  const sk = new Uint8Array(32).fill(1);
  const security = backend.register(SIGNER, 'card-0', sdk.ed25519PublicKey(sk), '10000', T0);
  const card = sdk.EcashCard.create('card-0', sk, { keyId: 'issuer-1', publicKey: sdk.ed25519PublicKey(ISSUER_SK) }, security, T0);
  const paid = card.pay('shop-a', '1000', T0 + 1);
  card.confirm(sdk.sha256(paid.payment.subarray(4 + new DataView(paid.payment.buffer, paid.payment.byteOffset).getUint32(0))));
  const out = backend.sync(SIGNER, card.syncRequest(T0 + 2), T0 + 2);
  assert.equal(card.accept(out.security, T0 + 2), 'security');
  return { backend, card, cardSaved: card.snapshot(KEY), backendSaved: backend.snapshot(KEY) };
}

function reloads({ cardSaved, backendSaved }) {
  const card = sdk.EcashCard.restore(cardSaved, KEY);
  const backend = sdk.EcashBackend.restore(backendSaved, KEY);
  assert.deepEqual([card.view().available, card.view().counter, backend.balance('card-0')], ['9000', '1', '9000']);
  assert.equal(card.pay('shop-a', '500', T0 + 3).ok, true, 'the card goes on');
  const out = backend.sync(SIGNER, card.syncRequest(T0 + 4), T0 + 4);
  assert.equal(out.outcome, 'clean', 'and the back-end with it');
  assert.equal(backend.balance('card-0'), '8500');
}

test('ecash: a card method, a back-end method and a restore trap; init() recovers; the saved states come back', async () => {
  let s = saved();
  trapInside('EcashCardHandle', '#pay');
  await expectTrap('EcashCard#pay', () => s.card.pay('shop-a', '100', T0 + 3), () => s.card.view());
  reloads(s);

  s = saved();
  trapInside('EcashBackendHandle', '#sync');
  await expectTrap('EcashBackend#sync', () => s.backend.sync(SIGNER, s.card.syncRequest(T0 + 3), T0 + 3), () => s.backend.total());
  reloads(s);

  s = saved();
  trapInside('EcashBackendHandle', 'restore');
  await expectTrap('EcashBackend.restore', () => sdk.EcashBackend.restore(s.backendSaved, KEY), () => s.backend.total());
  reloads(s);
});
