// The temporary-card SDK at its boundary: hostile arguments (throwing getters, Proxies, detached
// and length-lying Uint8Arrays, sparse arrays of length 2^32-1, fakes of the SDK's classes,
// values that change between reads) are refused with typed SDK errors before anything reaches
// the wasm glue, leave the issuer's state as it was, and never trap the instance.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as s from '@countersign/sdk';

const NOW = 1_796_895_000; // 2026-12-10 09:30 UTC
const EXPIRES_AT = 1_798_761_600; // 2027-01-01 00:00 UTC
const cvvKey = new Uint8Array(32).fill(3);
const snapshotKey = new Uint8Array(32).fill(4);
const fingerprintKey = new Uint8Array(32).fill(7);
const config = { currency: 'EUR', binRange: { low: '45717360', high: '45717369', panLength: 16 } };
const randomness = new Uint8Array(s.TEMPCARD_PAN_RANDOMNESS_BYTES).map((_, i) => (i * 37 + 11) & 0xff);

function approval(accountId, extra = {}) {
  return {
    accountId,
    parentAccountId: `parent-${accountId}`,
    approvedLimit: '1500.00',
    limitFraction: '0.2',
    limitCap: '250',
    displayWindow: { from: NOW, until: NOW + 300 },
    usableWindow: { from: NOW, until: NOW + 86_400 },
    now: NOW,
    ...extra,
  };
}

function issuerWithAccount() {
  const issuer = s.TempCardIssuer.create(config, { cvvKey, now: NOW - 10 });
  assert.equal(issuer.approve(approval('tmp-1'), randomness).code, 'TEMPORARY_ACCOUNT_OPENED');
  return issuer;
}

/** The issuer's whole state, deterministically (the snapshot is a pure function of it). */
function fingerprint(issuer) {
  return Buffer.from(issuer.snapshot(fingerprintKey)).toString('hex');
}

function isSdkError(e, code, param) {
  assert.ok(e instanceof s.CountersignError, `a CountersignError, got ${e?.constructor?.name}: ${e?.message}`);
  if (code !== undefined) assert.equal(e.code, code, e.message);
  if (param !== undefined) assert.equal(e.param, param, e.message);
  return true;
}

function throwing(message = 'boom') {
  return () => {
    throw new Error(message);
  };
}

function detachedBytes(length) {
  const bytes = new Uint8Array(length);
  structuredClone(bytes.buffer, { transfer: [bytes.buffer] });
  assert.equal(bytes.byteLength, 0, 'the buffer is detached');
  return bytes;
}

test('5,000 throwing getters and Proxy traps on approve/authorise/create: every error typed, no trap, state unchanged', () => {
  const issuer = issuerWithAccount();
  const before = fingerprint(issuer);
  const { pan, expiry, cvv } = issuer.reveal('tmp-1', NOW);
  const hostile = [
    () => issuer.approve({ ...approval('x'), get now() { throw new Error('getter'); } }),
    () => issuer.approve(approval('x', { displayWindow: { from: NOW, get until() { throw new Error('nested'); } } }), randomness),
    () => issuer.approve(new Proxy(approval('x'), { get: throwing('get trap') })),
    () => issuer.approve(new Proxy(approval('x'), { ownKeys: throwing('ownKeys trap') })),
    () => issuer.approve(approval('x', { issuedPans: new Proxy([], { get: throwing('array trap') }) })),
    () => issuer.authorise({ pan, expiry, cvv, authorisationId: 'a', currency: 'EUR', merchantId: 'm', now: NOW, get amount() { throw new Error('amount'); } }),
    () => issuer.refund(new Proxy({}, { getOwnPropertyDescriptor: throwing('gopd') })),
    () => s.TempCardIssuer.create(config, { now: NOW, get cvvKey() { throw new Error('key'); } }),
    () => s.tempCredentials.issue({ binRange: config.binRange, get displayWindow() { throw new Error('w'); }, usableWindow: { from: NOW, until: NOW + 1 } }, randomness),
  ];
  for (let i = 0; i < 5_000; i += 1) {
    assert.throws(hostile[i % hostile.length], (e) => isSdkError(e, 'INVALID_TYPE'));
  }
  assert.equal(s.isInitialized(), true, 'the instance did not trap');
  assert.equal(fingerprint(issuer), before, 'the refused calls changed nothing');
  // The issuer still works, and so does everything else.
  assert.equal(issuer.approve(approval('tmp-2')).code, 'TEMPORARY_ACCOUNT_OPENED');
  assert.equal(Buffer.from(s.sha256(new TextEncoder().encode('abc'))).toString('hex'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  issuer.free();
});

test('a sparse issuedPans of length 2^32-1 is refused by its length at once (LIMIT_EXCEEDED naming it)', () => {
  const issuer = issuerWithAccount();
  const before = fingerprint(issuer);
  const sparse = [];
  sparse.length = 2 ** 32 - 1;
  const started = performance.now();
  assert.throws(() => issuer.approve(approval('x', { issuedPans: sparse }), randomness), (e) => isSdkError(e, 'LIMIT_EXCEEDED', 'request.issuedPans'));
  assert.throws(
    () => s.tempCredentials.issue({ binRange: config.binRange, displayWindow: { from: NOW, until: NOW + 300 }, usableWindow: { from: NOW, until: NOW + 600 }, issuedPans: sparse }, randomness),
    (e) => isSdkError(e, 'LIMIT_EXCEEDED', 'request.issuedPans'),
  );
  // Over the core's own limit (1024) but within the guard's: refused by length in TypeScript.
  const over = [];
  over.length = s.TEMPCARD_ISSUED_PANS_MAX + 1;
  assert.throws(() => issuer.approve(approval('x', { issuedPans: over }), randomness), (e) => isSdkError(e, 'LIMIT_EXCEEDED', 'request.issuedPans'));
  assert.ok(performance.now() - started < 2_000, `refused fast (${Math.round(performance.now() - started)} ms)`);
  assert.equal(fingerprint(issuer), before);
  // The limit itself is accepted.
  const pans = Array.from({ length: s.TEMPCARD_ISSUED_PANS_MAX }, () => '4111111111111111');
  assert.equal(issuer.approve(approval('tmp-2', { issuedPans: pans })).code, 'TEMPORARY_ACCOUNT_OPENED');
  issuer.free();
});

test('issuedPans of megabyte strings are refused before they are copied into wasm memory', () => {
  const issuer = issuerWithAccount();
  const before = fingerprint(issuer);
  const huge = '4'.repeat(1 << 20);
  const pans = Array.from({ length: s.TEMPCARD_ISSUED_PANS_MAX }, () => huge);
  assert.throws(() => issuer.approve(approval('x', { issuedPans: pans }), randomness), (e) => isSdkError(e, 'INVALID_ARGUMENT', 'request.issuedPans'));
  assert.throws(
    () => s.tempCredentials.issue({ binRange: config.binRange, displayWindow: { from: NOW, until: NOW + 300 }, usableWindow: { from: NOW, until: NOW + 600 }, issuedPans: pans }, randomness),
    (e) => isSdkError(e, 'INVALID_ARGUMENT', 'request.issuedPans'),
  );
  assert.equal(fingerprint(issuer), before);
  assert.equal(s.isInitialized(), true);
  issuer.free();
});

test('bytes: detached, fake, Proxy and other typed arrays are INVALID_TYPE; a lying length is ignored', () => {
  const issuer = issuerWithAccount();
  const before = fingerprint(issuer);
  const fakes = {
    detached: detachedBytes(32),
    fake: { length: 32, byteLength: 32, 0: 1 },
    proxy: new Proxy(new Uint8Array(32), {}),
    other: new Uint16Array(16),
    inherited: Object.create(Uint8Array.prototype),
  };
  for (const [label, bad] of Object.entries(fakes)) {
    assert.throws(() => s.TempCardIssuer.create(config, { cvvKey: bad, now: NOW }), (e) => isSdkError(e, 'INVALID_TYPE', 'options.cvvKey'), label);
    assert.throws(() => s.TempCardIssuer.restore(issuer.snapshot(snapshotKey), snapshotKey, bad), (e) => isSdkError(e, 'INVALID_TYPE', 'cvvKey'), label);
    assert.throws(() => issuer.approve(approval('x'), bad), (e) => isSdkError(e, 'INVALID_TYPE', 'randomness'), label);
    assert.throws(() => issuer.snapshot(bad), (e) => isSdkError(e, 'INVALID_TYPE', 'snapshotKey'), label);
    assert.throws(() => s.tempCredentials.deriveCvv(bad, '4111111111111111', EXPIRES_AT), (e) => isSdkError(e, 'INVALID_TYPE', 'cvvKey'), label);
    assert.throws(() => new s.TempCardStore(new s.MemoryStorage(), bad), (e) => isSdkError(e, 'INVALID_TYPE', 'snapshotKey'), label);
  }
  assert.equal(fingerprint(issuer), before);

  // A Uint8Array whose `length` lies: the real bytes are used, by their real length.
  const lying = randomness.slice();
  Object.defineProperty(lying, 'length', { value: 5 });
  const other = s.TempCardIssuer.create(config, { cvvKey, now: NOW - 10 });
  assert.equal(other.approve(approval('tmp-1'), lying).code, 'TEMPORARY_ACCOUNT_OPENED');
  assert.equal(other.reveal('tmp-1', NOW).pan, issuer.reveal('tmp-1', NOW).pan, 'the same 128 bytes drew the same PAN');
  const lyingKey = cvvKey.slice();
  Object.defineProperty(lyingKey, 'length', { value: 10_000 });
  assert.equal(s.tempCredentials.deriveCvv(lyingKey, '4111111111111111', EXPIRES_AT), s.tempCredentials.deriveCvv(cvvKey, '4111111111111111', EXPIRES_AT));
  const huge = new Uint8Array(32);
  Object.defineProperty(huge, 'length', { get: throwing('length getter') });
  assert.equal(s.TempCardIssuer.create(config, { cvvKey: huge, now: NOW }).accountIds().length, 0);
  assert.equal(s.isInitialized(), true);
  issuer.free();
  other.free();
});

test('the CVV key kept is the SDK\'s own copy: changing the caller\'s array later changes nothing', () => {
  const key = cvvKey.slice();
  const issuer = s.TempCardIssuer.create(config, { cvvKey: key, now: NOW - 10 });
  issuer.approve(approval('tmp-1'), randomness);
  const { pan, expiry, cvv } = issuer.reveal('tmp-1', NOW);
  key.fill(0);
  assert.equal(issuer.reveal('tmp-1', NOW).cvv, cvv);
  const result = issuer.authorise({ authorisationId: 'a1', pan, expiry, cvv, amount: '1', currency: 'EUR', merchantId: 'm', now: NOW + 1 });
  assert.equal(result.code, 'APPROVED');
  issuer.free();
});

test('fake and Proxied receivers and SDK-object arguments are INVALID_TYPE; async methods reject, never throw', async () => {
  const issuer = issuerWithAccount();
  const before = fingerprint(issuer);
  const fakeIssuer = Object.create(s.TempCardIssuer.prototype);
  const proxyIssuer = new Proxy(issuer, {});
  for (const receiver of [fakeIssuer, proxyIssuer, {}, null, undefined]) {
    assert.throws(() => s.TempCardIssuer.prototype.approve.call(receiver, approval('x'), randomness), (e) => isSdkError(e, 'INVALID_TYPE', 'this'));
    assert.throws(() => s.TempCardIssuer.prototype.snapshot.call(receiver, snapshotKey), (e) => isSdkError(e, 'INVALID_TYPE', 'this'));
    assert.throws(() => Object.getOwnPropertyDescriptor(s.TempCardIssuer.prototype, 'config').get.call(receiver), (e) => isSdkError(e, 'INVALID_TYPE', 'this'));
    assert.throws(() => s.TempCardIssuer.prototype[Symbol.dispose].call(receiver), (e) => isSdkError(e, 'INVALID_TYPE', 'this'));
    assert.throws(() => s.TempCardIssuer.prototype.free.call(receiver), (e) => isSdkError(e, 'INVALID_TYPE', 'this'));
  }
  assert.throws(() => proxyIssuer.accountIds(), (e) => isSdkError(e, 'INVALID_TYPE', 'this'));

  // The private constructor cannot be reached from JavaScript.
  assert.throws(() => new s.TempCardIssuer({}, cvvKey), (e) => isSdkError(e, 'INVALID_TYPE'));

  // TemporaryAccount: genuine issuers only; its fields cannot be swapped.
  for (const bad of [fakeIssuer, proxyIssuer, {}, null]) {
    assert.throws(() => new s.TemporaryAccount(bad, 'tmp-1'), (e) => isSdkError(e, 'INVALID_TYPE', 'issuer'));
  }
  assert.throws(() => new s.TemporaryAccount(issuer, { toString: () => 'tmp-1' }), (e) => isSdkError(e, 'INVALID_TYPE') && /^accountId/.test(e.param));
  const account = new s.TemporaryAccount(issuer, 'tmp-1');
  assert.ok(Object.isFrozen(account));
  assert.throws(() => { 'use strict'; account.accountId = 'other'; }, TypeError);
  assert.equal(account.accountId, 'tmp-1');
  assert.throws(() => s.TemporaryAccount.prototype.reveal.call(new Proxy(account, {}), NOW), (e) => isSdkError(e, 'INVALID_TYPE', 'this'));
  assert.throws(() => s.TemporaryAccount.prototype.view.call(Object.create(s.TemporaryAccount.prototype), NOW), (e) => isSdkError(e, 'INVALID_TYPE', 'this'));

  // TempCardStore: fake receivers and fake issuers reject (a promise, not a synchronous throw).
  const store = new s.TempCardStore(new s.MemoryStorage(), snapshotKey);
  for (const receiver of [Object.create(s.TempCardStore.prototype), new Proxy(store, {}), {}]) {
    const saving = s.TempCardStore.prototype.save.call(receiver, 'svc', issuer);
    assert.ok(saving instanceof Promise);
    await assert.rejects(saving, (e) => isSdkError(e, 'INVALID_TYPE', 'this'));
    const loading = s.TempCardStore.prototype.load.call(receiver, 'svc', cvvKey);
    assert.ok(loading instanceof Promise);
    await assert.rejects(loading, (e) => isSdkError(e, 'INVALID_TYPE', 'this'));
  }
  for (const bad of [fakeIssuer, proxyIssuer, {}, null, { snapshot: () => new Uint8Array(1) }]) {
    const saving = store.save('svc', bad);
    assert.ok(saving instanceof Promise);
    await assert.rejects(saving, (e) => isSdkError(e, 'INVALID_TYPE') && /^issuer/.test(e.param));
  }
  const loading = store.load('svc', detachedBytes(32));
  assert.ok(loading instanceof Promise);
  await assert.rejects(loading, (e) => isSdkError(e, 'INVALID_TYPE', 'cvvKey'));
  await assert.rejects(store.load({ toString: () => 'svc' }, cvvKey), (e) => isSdkError(e, 'INVALID_TYPE') && /^name/.test(e.param));
  assert.equal(fingerprint(issuer), before);
  assert.equal(s.isInitialized(), true);
  issuer.free();
});

test('store constructors refuse a storage that is not an adapter, at once and naming storage', async () => {
  const notAdapters = [{}, { get() {}, put() {} }, null, 42, new Proxy({}, { get: throwing('trap') })];
  for (const storage of notAdapters) {
    assert.throws(() => new s.TempCardStore(storage, snapshotKey), (e) => isSdkError(e, 'INVALID_TYPE', 'storage'));
  }
  assert.throws(() => new s.TempCardStore(new s.MemoryStorage(), snapshotKey, { prefix: 5 }), (e) => isSdkError(e, 'INVALID_TYPE', 'options.prefix'));
  assert.throws(() => new s.TempCardStore(new s.MemoryStorage(), snapshotKey, { prefx: 'a/' }), (e) => isSdkError(e, 'INVALID_TYPE', 'options.prefx'));
  assert.throws(() => new s.TempCardStore(new s.MemoryStorage(), snapshotKey, { get prefix() { throw new Error('x'); } }), (e) => isSdkError(e, 'INVALID_TYPE'));
  assert.throws(() => new s.TempCardStore(new s.MemoryStorage(), new Uint8Array(16)), (e) => isSdkError(e, 'KEY_INVALID', 'snapshotKey'));
  assert.ok(Object.isFrozen(new s.TempCardStore(new s.MemoryStorage(), snapshotKey)));

  // An adapter that throws or answers nonsense: storage errors, the issuer untouched.
  const issuer = issuerWithAccount();
  const before = fingerprint(issuer);
  const memory = new s.MemoryStorage();
  const throwingAdapter = {
    get: throwing('get'), put: throwing('put'), append: throwing('append'), readLog: throwing('readLog'), list: throwing('list'), close: throwing('close'),
  };
  const store = new s.TempCardStore(throwingAdapter, snapshotKey);
  await assert.rejects(store.save('svc', issuer), (e) => isSdkError(e, 'STORAGE_UNAVAILABLE'));
  await assert.rejects(store.load('svc', cvvKey), (e) => isSdkError(e, 'STORAGE_UNAVAILABLE'));
  const lyingAdapter = {
    get: async () => ({ value: { length: 10, 0: 1 }, version: 1 }),
    put: async () => ({ ok: true, version: 'one' }),
    append: (k, r) => memory.append(k, r),
    readLog: (k, o) => memory.readLog(k, o),
    list: (p, o) => memory.list(p, o),
    close: () => memory.close(),
  };
  const lyingStore = new s.TempCardStore(lyingAdapter, snapshotKey);
  await assert.rejects(lyingStore.load('svc', cvvKey), (e) => isSdkError(e, 'STORAGE_CORRUPT'));
  await assert.rejects(lyingStore.save('svc', issuer), (e) => isSdkError(e, 'STORAGE_CORRUPT'));
  assert.equal(fingerprint(issuer), before);
  issuer.free();
});

test('values that change between reads: each argument is read once, so the check and the use agree', () => {
  const issuer = issuerWithAccount();
  // A getter answering a valid value first and nonsense afterwards.
  let reads = 0;
  const request = approval('tmp-2');
  Object.defineProperty(request, 'maxUses', { enumerable: true, get: () => (reads++ === 0 ? 1 : { valueOf: () => 0 }) });
  const approved = issuer.approve(request);
  assert.equal(approved.code, 'TEMPORARY_ACCOUNT_OPENED');
  assert.equal(approved.account.maxUses, 1);
  assert.equal(reads, 1, 'read exactly once');

  // The other way round: nonsense first is refused, whatever it would answer afterwards.
  let keyReads = 0;
  const options = { now: NOW, get cvvKey() { return keyReads++ === 0 ? new Uint8Array(16) : cvvKey; } };
  assert.throws(() => s.TempCardIssuer.create(config, options), (e) => isSdkError(e, 'KEY_INVALID', 'options.cvvKey'));
  assert.equal(keyReads, 1);

  // A Proxy whose answers change on every read behaves as one snapshot of it.
  let n = 0;
  const shifting = new Proxy(approval('tmp-3'), { get: (t, k) => (k === 'approvedLimit' ? (n++ === 0 ? '1500.00' : 1500) : t[k]) });
  assert.equal(issuer.approve(shifting).code, 'TEMPORARY_ACCOUNT_OPENED');
  assert.equal(n, 1);
  assert.equal(s.isInitialized(), true);
  issuer.free();
});

test('a freed issuer refuses every call with a typed error (no null pointer into wasm), however often', () => {
  const issuer = issuerWithAccount();
  const account = issuer.temporaryAccount('tmp-1');
  issuer.free();
  issuer.free(); // idempotent
  issuer[Symbol.dispose]();
  for (let i = 0; i < 5_000; i += 1) {
    assert.throws(() => issuer.accountIds(), (e) => isSdkError(e, 'INVALID_ARGUMENT', 'this'));
  }
  for (const call of [
    () => issuer.config,
    () => issuer.approve(approval('x'), randomness),
    () => issuer.snapshot(snapshotKey),
    () => issuer.journalHead(),
    () => issuer.copy(),
    () => issuer.temporaryAccount('tmp-1'),
    () => account.reveal(NOW),
    () => account.displaySecondsLeft(NOW),
  ]) {
    assert.throws(call, (e) => isSdkError(e, 'INVALID_ARGUMENT'));
  }
  assert.equal(s.isInitialized(), true);
});

test('TempCardStore.save: the snapshot, its head and its journal are taken together, before the storage awaits', async () => {
  const memory = new s.MemoryStorage();
  const issuer = issuerWithAccount();
  let busy = null;
  // An adapter during whose put the application keeps using the issuer (legitimately).
  const adapter = {
    get: (k) => memory.get(k),
    put: async (k, v, e) => {
      if (busy !== null) busy();
      return memory.put(k, v, e);
    },
    append: (k, r) => memory.append(k, r),
    readLog: (k, o) => memory.readLog(k, o),
    list: (p, o) => memory.list(p, o),
    close: () => memory.close(),
  };
  const store = new s.TempCardStore(adapter, snapshotKey);
  const { pan, expiry, cvv } = issuer.reveal('tmp-1', NOW);
  busy = () => {
    busy = null;
    issuer.authorise({ pan, expiry, cvv, authorisationId: 'during', amount: '1', currency: 'EUR', merchantId: 'm', now: NOW + 1 });
  };
  const savedSeq = issuer.journalHead().seq;
  assert.equal(await store.save('svc', issuer), true);
  assert.equal((await memory.readLog('tempcard/svc')).length, savedSeq, 'the log holds what the snapshot covers');
  // The same store loads what it saved: no false "rollback" from a head read after the await.
  const loaded = await store.load('svc', cvvKey);
  assert.equal(loaded.journalHead().seq, savedSeq);
  // The operation run during the save is saved by the next one, its journal entry logged once.
  assert.equal(await store.save('svc', issuer), true);
  assert.equal((await memory.readLog('tempcard/svc')).length, issuer.journalHead().seq);
  for (const x of [issuer, loaded]) x.free();
});

test('deep nesting, lone surrogates and symbols are typed errors too', () => {
  const issuer = issuerWithAccount();
  const before = fingerprint(issuer);
  let deep = {};
  for (let i = 0; i < 20_000; i += 1) deep = { deep };
  assert.throws(() => issuer.approve(deep), (e) => isSdkError(e, 'LIMIT_EXCEEDED'));
  assert.throws(() => issuer.reveal('tmp-\uD800', NOW), (e) => isSdkError(e, 'INVALID_ARGUMENT', 'accountId'));
  assert.throws(() => issuer.closeDue(Symbol('now')), (e) => isSdkError(e, 'INVALID_TYPE', 'now'));
  assert.throws(() => s.tempCredentials.luhnValid({ toString: () => '4111111111111111' }), (e) => isSdkError(e, 'INVALID_TYPE') && /^number/.test(e.param));
  assert.throws(() => s.tempCredentials.verifyPresented(new Proxy({}, { ownKeys: throwing('keys') }), cvvKey, {}, NOW), (e) => isSdkError(e, 'INVALID_TYPE', 'credentials'));
  assert.equal(fingerprint(issuer), before);
  issuer.free();
});
