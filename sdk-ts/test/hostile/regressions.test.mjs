// The eleven reproducers of the boundary security issue, each as its reporter ran it, now giving a
// CountersignError (or the documented answer) and leaving the SDK answering correctly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as s from '@countersign/sdk';
import { checkCanaries } from './harness.mjs';

const NOW = 1_767_225_600;

function isSdkError(err, code) {
  assert.ok(err instanceof s.CountersignError, `not a CountersignError: ${err?.constructor?.name}: ${err?.message}`);
  assert.ok(s.ERROR_CODES.includes(err.code));
  if (code !== undefined) assert.equal(err.code, code, err.message);
  return true;
}

test('1. detached Uint8Arrays: typed errors, and a forged envelope is still refused with ok === false', () => {
  const k = s.keyPairFromSecret('EdDSA', new Uint8Array(32).fill(2));
  const f = s.keyPairFromSecret('EdDSA', new Uint8Array(32).fill(9));
  const e = (x) =>
    s.sealEnvelope({ type: 't.x', version: 1, keyId: 'a', seq: 1n, issuedAt: 0, expiresAt: 9, payload: new Uint8Array(1), algorithm: 'EdDSA', secretKey: x.secretKey });
  const o = { trustedKeys: [{ keyId: 'a', algorithm: 'EdDSA', publicKey: k.publicKey }], now: 1, expectedType: 't.x' };
  for (let i = 0; i < 4; i++) {
    const d = new Uint8Array(8);
    structuredClone(d.buffer, { transfer: [d.buffer] });
    assert.throws(() => s.openEnvelope(d, o), (err) => isSdkError(err, 'INVALID_TYPE') && err.param === 'envelope');
  }
  const r = s.openEnvelope(e(f), o);
  assert.deepEqual(r, { ok: false, code: 'BAD_SIGNATURE' });
  assert.equal(s.openEnvelope(e(k), o).ok, true);
  checkCanaries('reproducer 1');
});

test('2. a Uint8Array whose length lies is read by its real length; memory is not overwritten', () => {
  const u = new Uint8Array(1060000).fill(65);
  Object.defineProperty(u, 'length', { value: 0 });
  const digest = s.sha256(u);
  assert.deepEqual(digest, s.sha256(new Uint8Array(1060000).fill(65)));
  assert.deepEqual(s.currency('JPY'), { code: 'JPY', minorUnits: 0, numeric: 392, kind: 'iso4217' });
  for (const length of [1e9, -1]) {
    const v = new Uint8Array(16).fill(1);
    Object.defineProperty(v, 'length', { value: length });
    assert.deepEqual(s.sha256(v), s.sha256(new Uint8Array(16).fill(1)));
  }
  checkCanaries('reproducer 2');
});

test('3. a throwing getter in a request is read once, before wasm; the ledger stays usable', () => {
  const L = s.Ledger.create();
  let n = 0;
  const r = { idempotencyKey: 'k', now: 1, accountId: 'a', currency: 'EUR' };
  Object.defineProperty(r, 'kind', {
    enumerable: true,
    get() {
      if (n++) throw Error('x');
      return 'unrestricted';
    },
  });
  assert.equal(L.openAccount(r).code, 'ACCOUNT_OPENED');
  assert.equal(L.accounts().length, 1);
  // A getter that throws at once: a typed error naming the request, nothing changed.
  const digest = Buffer.from(L.stateDigest()).toString('hex');
  const bad = { idempotencyKey: 'k2', now: 1, accountId: 'b', currency: 'EUR' };
  Object.defineProperty(bad, 'kind', { enumerable: true, get() { throw Error('x'); } });
  for (const call of [
    () => L.openAccount(bad),
    () => L.execute({ op: 'openAccount', request: bad }),
    () => L.executeBatch([{ op: 'openAccount', request: bad }]),
    () => L.applyJournal(new Proxy([], { get() { throw Error('x'); } })),
  ]) {
    assert.throws(call, (err) => isSdkError(err, 'INVALID_TYPE'));
  }
  assert.equal(Buffer.from(L.stateDigest()).toString('hex'), digest);
  assert.equal(L.accounts().length, 1);
  L.free();
  // Deep nesting: refused by depth, not by the stack.
  let deep = {};
  for (let i = 0; i < 20_000; i++) deep = { a: deep };
  const L2 = s.Ledger.create();
  assert.throws(() => L2.openAccount(deep), (err) => isSdkError(err, 'LIMIT_EXCEEDED'));
  assert.equal(L2.accounts().length, 0);
  L2.free();
  checkCanaries('reproducer 3');
});

test('4. repeated throwing getters do not leak wasm stack (dispenseLimit, 5,000 calls)', () => {
  const TARIFF = { currency: 'EUR', unit: 'litre', costRounding: 'half-even', unitPrice: '1.9' };
  const expected = s.dispenseLimit({ tariff: TARIFF, hold: '50.00' });
  for (let i = 0; i < 5000; i++) {
    let n = 0;
    const request = {
      tariff: {
        currency: 'EUR', unit: 'litre', costRounding: 'half-even',
        get unitPrice() {
          if (n++) throw Error();
          return '1.9';
        },
      },
      hold: '50.00',
    };
    // Read once: the first answer is the one used, and it is valid.
    assert.deepEqual(s.dispenseLimit(request), expected);
    assert.throws(
      () => s.dispenseLimit({ tariff: { currency: 'EUR', unit: 'litre', costRounding: 'half-even', get unitPrice() { throw Error(); } }, hold: '50.00' }),
      (err) => isSdkError(err, 'INVALID_TYPE'),
    );
  }
  assert.equal(s.isInitialized(), true);
  checkCanaries('reproducer 4');
});

test('5. sha256, hmacSha256, constantTimeEqual, verifyEd25519: hostile bytes give SDK errors, no trap', () => {
  const hostile = () => {
    const u = new Uint8Array(4);
    Object.defineProperty(u, 'length', { value: -1 });
    return u;
  };
  const detached = () => {
    const d = new Uint8Array(8);
    structuredClone(d.buffer, { transfer: [d.buffer] });
    return d;
  };
  for (const bytes of [detached(), Object.create(Uint8Array.prototype), new Proxy(new Uint8Array(4), {})]) {
    assert.throws(() => s.sha256(bytes), (err) => isSdkError(err, 'INVALID_TYPE'));
    assert.throws(() => s.hmacSha256(bytes, new Uint8Array(1)), (err) => isSdkError(err, 'INVALID_TYPE'));
    assert.throws(() => s.constantTimeEqual(bytes, new Uint8Array(1)), (err) => isSdkError(err, 'INVALID_TYPE'));
    assert.throws(() => s.verifyEd25519(bytes, new Uint8Array(1), new Uint8Array(64)), (err) => isSdkError(err, 'INVALID_TYPE'));
  }
  assert.equal(s.sha256(hostile()).length, 32); // read by its real length (4)
  assert.equal(s.isInitialized(), true);
  checkCanaries('reproducer 5');
});

test('6. Card#applyConfig checks the signature before it loads any zone the payload names', async () => {
  const issuer = s.Issuer.generate('issuer-1');
  const forger = s.Issuer.generate('issuer-1');
  const card = s.Card.create('card-1', issuer.publicKey);
  const config = {
    cardId: 'card-1', currency: 'EUR',
    limits: [{ id: 'daily', measure: 'count', window: { kind: 'day', timeZone: 'Pacific/Chatham' }, hard: '3' }],
    consecutiveOffline: { soft: 5, hard: 10 }, appKeys: [],
  };
  // Forged (signed by another key): BAD_SIGNATURE, and the zone was never fetched: point the
  // time-zone asset at a base that fails every read, so any load attempt would surface.
  const forged = forger.provision(config, { seq: 1n, issuedAt: NOW, expiresAt: NOW + 600 });
  s.setTimeZoneBaseUrl('file:///nonexistent-countersign-tzdata/');
  try {
    const outcome = await card.applyConfig(forged, NOW);
    assert.equal(outcome.code, 'BAD_SIGNATURE');
  } finally {
    s.setTimeZoneBaseUrl(null);
  }
  const genuine = issuer.provision(config, { seq: 1n, issuedAt: NOW, expiresAt: NOW + 600 });
  assert.equal((await card.applyConfig(genuine, NOW)).code, 'CONFIG_APPLIED');
});

test('7. sparse arrays of length 2^32-1 are refused by length, at once', () => {
  const sparse = () => {
    const a = [];
    a.length = 2 ** 32 - 1;
    return a;
  };
  const started = Date.now();
  const L = s.Ledger.create();
  assert.throws(() => L.applyJournal(sparse()), (err) => isSdkError(err, 'LIMIT_EXCEEDED'));
  assert.throws(() => s.Ledger.replay(sparse()), (err) => isSdkError(err, 'LIMIT_EXCEEDED'));
  assert.throws(
    () => s.openEnvelope(new Uint8Array(3), { trustedKeys: sparse(), now: 1, expectedType: 't.x' }),
    (err) => isSdkError(err, 'LIMIT_EXCEEDED') && err.param === 'options.trustedKeys',
  );
  const issuer = s.Issuer.generate('i');
  assert.throws(
    () => issuer.provision({ cardId: 'c', currency: 'EUR', limits: [], appKeys: sparse() }, { seq: 1n, issuedAt: NOW, expiresAt: NOW + 9 }),
    (err) => isSdkError(err, 'LIMIT_EXCEEDED'),
  );
  assert.throws(
    () => s.tempCredentials.issue({ issuedPans: sparse() }, new Uint8Array(64)),
    (err) => isSdkError(err, 'LIMIT_EXCEEDED'),
  );
  assert.ok(Date.now() - started < 2000, 'refused without walking the arrays');
});

test('8. bytes-taking functions give INVALID_TYPE for detached, fake and Proxy Uint8Arrays', () => {
  const fakes = [Object.create(Uint8Array.prototype), new Proxy(new Uint8Array(32), {}), new Uint16Array(16)];
  for (const fake of fakes) {
    assert.throws(() => s.verifyEd25519(fake, new Uint8Array(1), new Uint8Array(64)), (err) => isSdkError(err, 'INVALID_TYPE') && err instanceof TypeError);
    assert.throws(() => s.Ledger.restore(fake, new Uint8Array(32)), (err) => isSdkError(err, 'INVALID_TYPE'));
    assert.throws(() => s.signSecp256k1(fake, new Uint8Array(1)), (err) => isSdkError(err, 'INVALID_TYPE'));
  }
});

test('9. fake instances and Proxies of SDK classes are INVALID_TYPE', () => {
  const amount = s.Amount.parse('1.00', 'EUR');
  const fake = Object.create(s.Amount.prototype);
  for (const call of [
    () => amount.add(fake),
    () => amount.sub(new Proxy(amount, {})),
    () => amount.compare(fake),
    () => amount.equals(fake),
    () => s.Amount.prototype.add.call(fake, amount),
    () => s.Amount.prototype.toString.call(new Proxy(amount, {})),
    () => s.setTimeZoneBaseUrl(Object.create(URL.prototype)),
    () => s.setTimeZoneBaseUrl(new Proxy(new URL('https://example.test/'), {})),
    () => new s.Amount('1.00', 'EUR'),
  ]) {
    assert.throws(call, (err) => isSdkError(err, 'INVALID_TYPE'));
  }
  assert.equal(amount.add(amount).toString(), '2.00');
});

test('10. shape checks: LedgerStore#snapshot(42), stores given {} as storage', async () => {
  const store = new s.LedgerStore(new s.MemoryStorage(), new Uint8Array(32));
  await assert.rejects(store.snapshot(42), (err) => isSdkError(err, 'INVALID_TYPE') && err.param === 'ledger');
  await assert.rejects(store.commit(Object.create(s.Ledger.prototype)), (err) => isSdkError(err, 'INVALID_TYPE'));
  for (const Store of [s.LedgerStore, s.CardStore, s.EnergyStore, s.TempCardStore]) {
    assert.throws(() => new Store({}, new Uint8Array(32)), (err) => isSdkError(err, 'INVALID_TYPE') && err.param === 'storage');
  }
  // An adapter that answers garbage is STORAGE_CORRUPT; one that throws, STORAGE_UNAVAILABLE.
  const garbage = { get: async () => ({ value: 'x', version: 1 }), put: async () => 1, append: async () => 1, readLog: async () => [], list: async () => [], close: async () => {} };
  await assert.rejects(new s.LedgerStore(garbage, new Uint8Array(32)).load(), (err) => isSdkError(err, 'STORAGE_CORRUPT'));
  const failing = { ...garbage, get: async () => { throw new Error('disk gone'); } };
  await assert.rejects(new s.LedgerStore(failing, new Uint8Array(32)).load(), (err) => isSdkError(err, 'STORAGE_UNAVAILABLE') && err.cause?.message === 'disk gone');
});

test('11. getters that change value between check and use; async entry points reject', async () => {
  let reads = 0;
  const operation = {
    get op() {
      return reads++ === 0 ? 'openAccount' : 'bogus';
    },
    request: { idempotencyKey: 'k', now: 1, accountId: 'a', currency: 'EUR', kind: 'unrestricted' },
  };
  const L = s.Ledger.create();
  assert.equal(L.execute(operation).code, 'ACCOUNT_OPENED');
  let systemReads = 0;
  await s.init({ get system() { return systemReads++ === 0 ? 'all' : 42; } });
  const promise = s.init({ system: 'nope' });
  assert.ok(promise instanceof Promise, 'init returns a promise even for a bad argument');
  await assert.rejects(promise, (err) => isSdkError(err, 'INVALID_ARGUMENT'));
  const store = new s.EnergyStore(new s.MemoryStorage(), new Uint8Array(32));
  const loading = store.loadServer(42);
  assert.ok(loading instanceof Promise);
  await assert.rejects(loading, (err) => isSdkError(err));
  checkCanaries('reproducer 11');
});
