// The custody back-office book through the SDK, beyond the vectors: its configuration comes back
// usable, a snapshot (configuration + event log, authenticated) restores the same book and a
// tampered one is refused, the store (state snapshots every N events + an authenticated log
// of the events since) loads the same book as the live one and reads the version-1 format, money as a bigint of minor units is written at the asset's scale,
// malformed arguments are typed errors naming the parameter (and change nothing), a signing with
// another client's wallet key is refused, and the store refuses a rollback.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as raw from '../wasm/countersign_wasm.js';
import { CustodyBook, CustodyBookStore, MemoryStorage, custodyAddressOf, custodyTransferWallet, ed25519PublicKey, sealCustodyApproval, secp256k1PublicKey } from '@countersign/sdk';

const T0 = 1_800_000_000;
const KEY = new Uint8Array(32).fill(9);
const SEED = new Uint8Array(32).fill(1);
const OMNIBUS_KEY = new Uint8Array(32).fill(3);
const APPROVERS = [0x40, 0x41, 0x42].map((b) => new Uint8Array(32).fill(b));
const DEST = '0xaF9633F2de0F4963B04cCA79Cc08F5b14cAC65bE';
const alice = custodyTransferWallet(SEED, 0);
const bob = custodyTransferWallet(SEED, 1);

function config() {
  return {
    assets: [
      { asset: 'BTC', confirmations: 2, sweepThreshold: '0.001', clientLimits: [{ id: 'day', measure: 'amount', currency: 'BTC', window: { kind: 'trailing', seconds: 86_400 }, hard: '0.5' }], assetLimits: [] },
      { asset: 'ETH', confirmations: 12, sweepThreshold: '0.01', clientLimits: [], assetLimits: [] },
    ],
    omnibusAddress: custodyAddressOf(secp256k1PublicKey(OMNIBUS_KEY, { compressed: true })),
    approvers: APPROVERS.map((k, i) => ({ approverId: `ap-${i}`, publicKey: ed25519PublicKey(k) })),
    quorum: 2,
    coolingOffS: 600,
  };
}

/** A book with a little of everything, a withdrawal with one approval. */
function busyBook() {
  const book = CustodyBook.create(config());
  book.registerClient({ clientId: 'alice', address: alice.address, now: T0 });
  book.registerClient({ clientId: 'bob', address: bob.address, now: T0 });
  book.observeDeposit({ depositId: 'd1', address: alice.address, asset: 'BTC', amount: 100_000_000n, confirmations: 2, now: T0 });
  book.observeDeposit({ depositId: 'd2', address: bob.address, asset: 'ETH', amount: 1_500_000_000_000_000_000n, confirmations: 12, now: T0 });
  book.sweep({ sweepId: 's1', clientId: 'alice', asset: 'BTC', networkFee: '0.0001', now: T0 });
  book.sweep({ sweepId: 's2', clientId: 'bob', asset: 'ETH', networkFee: '0.001', now: T0 });
  book.trade({ tradeId: 'x1', buyerId: 'bob', sellerId: 'alice', baseAsset: 'BTC', baseAmount: '0.1', quoteAsset: 'ETH', quoteAmount: '1', fee: '0.01', now: T0 });
  book.observeOmnibus({ asset: 'BTC', balance: '0.9999', now: T0 });
  book.addDestination({ clientId: 'alice', address: DEST, now: T0 });
  assert.equal(book.requestWithdrawal({ withdrawalId: 'w1', clientId: 'alice', asset: 'BTC', amount: '0.1', networkFee: '0.0001', destination: DEST, now: T0 + 600 }).code, 'WITHDRAWAL_REQUESTED');
  const digest = book.withdrawal('w1').digest;
  const envelope = sealCustodyApproval({ approverId: 'ap-0', secretKey: APPROVERS[0], digest, seq: 1, issuedAt: T0 + 600, expiresAt: T0 + 3600 });
  assert.equal(book.approve({ withdrawalId: 'w1', envelope, now: T0 + 600 }).code, 'APPROVAL_COUNTED');
  return book;
}

const view = (book) => ({
  events: book.eventCount,
  balances: ['alice', 'bob'].flatMap((c) => ['BTC', 'ETH'].map((a) => [book.tradingBalance(c, a), book.walletBalance(c, a)])),
  omnibus: ['BTC', 'ETH'].map((a) => book.expectedOmnibus(a)),
  discrepancies: book.discrepancies(),
  pending: book.pendingWithdrawals(),
  leaves: book.clientBalances('ETH'),
});

test('bigint minor units are written at the asset\'s scale; the configuration comes back usable', () => {
  const book = busyBook();
  assert.equal(book.tradingBalance('bob', 'ETH'), '0.489000000000000000', '1.5 − 0.001 fee − 1 − 0.01 trade');
  assert.equal(book.tradingBalance('alice', 'BTC'), '0.79980000', '1 − 0.0001 fee − 0.1 sold − 0.1 and 0.0001 withdrawn');
  assert.deepEqual(book.clientBalances('ETH').map((c) => c.balanceMinorUnits), ['1000000000000000000', '489000000000000000']);
  const cfg = book.config();
  assert.ok(cfg.approvers[0].publicKey instanceof Uint8Array);
  const again = CustodyBook.create(cfg);
  assert.equal(again.eventCount, 0);
  again.free();
  book.free();
});

test('a snapshot restores the same book, which goes on identically; a tampered one or another key is refused', () => {
  const book = busyBook();
  const bytes = book.snapshot(KEY);
  const restored = CustodyBook.restore(bytes, KEY);
  assert.deepEqual(view(restored), view(book));
  const signKeys = { omnibusKey: OMNIBUS_KEY, walletKey: alice.secretKey };
  const envelope = sealCustodyApproval({ approverId: 'ap-2', secretKey: APPROVERS[2], digest: book.withdrawal('w1').digest, seq: 1, issuedAt: T0 + 700, expiresAt: T0 + 3600 });
  for (const b of [book, restored]) {
    assert.equal(b.approve({ withdrawalId: 'w1', envelope: envelope.slice(), now: T0 + 700 }).code, 'APPROVAL_COUNTED');
  }
  const [s1, s2] = [book, restored].map((b) => b.signWithdrawal('w1', T0 + 800, signKeys));
  assert.equal(s1.outcome.code, 'WITHDRAWAL_SIGNED');
  assert.deepEqual(s2, s1, 'the same signatures from the restored book');
  // A signing is logged and replayed without keys.
  const afterSign = CustodyBook.restore(restored.snapshot(KEY), KEY);
  assert.equal(afterSign.withdrawal('w1').state, 'signed');
  assert.equal(afterSign.confirmWithdrawal({ withdrawalId: 'w1', now: T0 + 900 }).code, 'WITHDRAWAL_CONFIRMED');
  const tampered = bytes.slice();
  tampered[tampered.length - 40] ^= 1;
  assert.throws(() => CustodyBook.restore(tampered, KEY), (e) => e.code === 'SNAPSHOT_INVALID');
  assert.throws(() => CustodyBook.restore(bytes, new Uint8Array(32).fill(8)), (e) => e.code === 'SNAPSHOT_INVALID');
  for (const b of [book, restored, afterSign]) b.free();
});

test('malformed arguments are typed errors naming the parameter, and change nothing', () => {
  const book = busyBook();
  // The quorum reached: a signing with a wrong key is refused as an error, not as an outcome.
  const digest = book.withdrawal('w1').digest;
  const envelope = sealCustodyApproval({ approverId: 'ap-1', secretKey: APPROVERS[1], digest, seq: 1, issuedAt: T0 + 600, expiresAt: T0 + 3600 });
  assert.equal(book.approve({ withdrawalId: 'w1', envelope, now: T0 + 600 }).code, 'APPROVAL_COUNTED');
  const before = view(book);
  const cases = [
    [() => book.transfer({ transferId: 't', fromClientId: 'alice', toClientId: 'bob', asset: 'BTC', amount: 0.1, now: T0 }), 'INVALID_TYPE', 'request.amount'],
    [() => book.transfer({ transferId: 't', fromClientId: 'alice', toClientId: 'bob', asset: 'BTC', amount: '0.1', now: T0, memo: 'x' }), undefined, 'request'],
    // The core names the field it refused (the adapter read the request whole).
    [() => book.transfer({ transferId: 't', fromClientId: 'alice', toClientId: 'bob', asset: 'BTC', amount: '0.123456789', now: T0 }), 'AMOUNT_PRECISION', 'amount'],
    [() => book.sweep({ sweepId: 'bad id!', clientId: 'alice', asset: 'BTC', networkFee: '0', now: T0 }), 'INVALID_ARGUMENT', 'sweepId'],
    [() => book.registerClient({ clientId: 'carol', address: alice.address.toLowerCase().replace('0x', '0X'), now: T0 }), undefined, 'address'],
    [() => book.apply({ kind: 'mint', amount: '1' }), 'INVALID_TYPE', 'event.kind'],
    [() => book.signWithdrawal('w1', T0 + 800, { omnibusKey: OMNIBUS_KEY, walletKey: bob.secretKey }), 'KEY_INVALID', 'walletKey'],
    [() => book.signWithdrawal('w1', T0 + 800, { omnibusKey: bob.secretKey, walletKey: alice.secretKey }), 'KEY_INVALID', 'omnibusKey'],
    [() => book.pendingWithdrawals(-1), undefined, 'max'],
  ];
  for (const [call, code, param] of cases) {
    assert.throws(call, (e) => e instanceof Error && (code === undefined || e.code === code) && typeof e.code === 'string' && e.code !== 'INTERNAL' && (e.param ?? '').startsWith(param), String(call));
  }
  assert.deepEqual(view(book), before, 'nothing changed, no event number used');
  assert.equal(book.signWithdrawal('w1', T0 + 800, { omnibusKey: OMNIBUS_KEY, walletKey: alice.secretKey }).outcome.code, 'WITHDRAWAL_SIGNED');
  book.free();
});

test('the store saves with compare-and-swap and refuses to load a rollback', async () => {
  const storage = new MemoryStorage();
  const store = new CustodyBookStore(storage, KEY);
  const book = busyBook();
  assert.equal(await store.save('main', book), true);
  const old = await storage.get('custody-book/main');
  book.cancelWithdrawal({ withdrawalId: 'w1', now: T0 + 700 });
  assert.equal(await store.save('main', book), true);
  const loaded = await store.load('main');
  assert.deepEqual(view(loaded), view(book));
  // Another writer saved meanwhile: this store's save is refused.
  const other = new CustodyBookStore(storage, KEY);
  const theirs = await other.load('main');
  theirs.observeOmnibus({ asset: 'ETH', balance: '2', now: T0 + 800 });
  assert.equal(await other.save('main', theirs), true);
  loaded.observeOmnibus({ asset: 'ETH', balance: '3', now: T0 + 800 });
  assert.equal(await store.save('main', loaded), false);
  // Storage rolled back to the older book (its snapshot, and a log position past the events
  // since): refused by a store that saw the newer one.
  const current = await storage.get('custody-book/main');
  const rolledBack = new Uint8Array(old.value);
  new DataView(rolledBack.buffer).setBigUint64(0, 1000n);
  await storage.put('custody-book/main', rolledBack, current.version);
  await assert.rejects(other.load('main'), (e) => e.code === 'SNAPSHOT_INVALID' && e.param === 'name');
  for (const b of [book, loaded, theirs]) b.free();
});

/** Event `i` of a long history over busyBook(): every kind, so that snapshots cut everywhere. */
function event(book, i) {
  const now = T0 + 700 + i * 60;
  const w = `w-${i}`;
  switch (i % 9) {
    case 0: return book.observeDeposit({ depositId: `dep-${i}`, address: i % 2 ? alice.address : bob.address, asset: 'BTC', amount: 2_000_000n + BigInt(i), confirmations: 2, now });
    case 1: return book.sweep({ sweepId: `sw-${i}`, clientId: i % 2 ? 'bob' : 'alice', asset: 'BTC', networkFee: '0.00001', now });
    case 2: return book.transfer({ transferId: `tr-${i}`, fromClientId: 'alice', toClientId: 'bob', asset: 'BTC', amount: '0.0001', now });
    case 3: return book.observeOmnibus({ asset: 'BTC', balance: '1.5', now });
    case 4: return book.requestWithdrawal({ withdrawalId: w, clientId: 'alice', asset: 'BTC', amount: '0.001', networkFee: '0.00001', destination: DEST, now });
    case 5: {
      const digest = book.withdrawal(`w-${i - 1}`)?.digest ?? '00'.repeat(32);
      return book.approve({ withdrawalId: `w-${i - 1}`, envelope: sealCustodyApproval({ approverId: 'ap-1', secretKey: APPROVERS[1], digest, seq: i, issuedAt: now, expiresAt: now + 3600 }), now });
    }
    case 6: {
      const digest = book.withdrawal(`w-${i - 2}`)?.digest ?? '00'.repeat(32);
      return book.approve({ withdrawalId: `w-${i - 2}`, envelope: sealCustodyApproval({ approverId: 'ap-2', secretKey: APPROVERS[2], digest, seq: i, issuedAt: now, expiresAt: now + 3600 }), now });
    }
    case 7: return book.signWithdrawal(`w-${i - 3}`, now, { omnibusKey: OMNIBUS_KEY, walletKey: alice.secretKey }).outcome;
    default: return i % 2 ? book.confirmWithdrawal({ withdrawalId: `w-${i - 4}`, now }) : book.cancelWithdrawal({ withdrawalId: `w-${i - 13}`, now });
  }
}

test('the store saves state snapshots every N events and the events between; a load is the live book and goes on identically', async () => {
  const storage = new MemoryStorage();
  const store = new CustodyBookStore(storage, KEY, { snapshotEvery: 7 });
  const live = busyBook();
  assert.equal(await store.save('main', live), true);
  const codes = new Set();
  for (let i = 0; i < 80; i++) {
    codes.add(event(live, i).code);
    assert.equal(await store.save('main', live), true);
    if (i % 11 === 10) {
      // Another process: a fresh store loads the snapshot and the log after it.
      const loaded = await new CustodyBookStore(storage, KEY).load('main');
      assert.deepEqual(view(loaded), view(live), `after event ${i}`);
      loaded.checkInvariants();
      // The next event decides the same on both (a copy of the live book through its snapshot).
      const twin = CustodyBook.restore(live.snapshot(KEY), KEY);
      assert.deepEqual(event(loaded, i + 1), event(twin, i + 1));
      assert.deepEqual(loaded.snapshot(KEY), twin.snapshot(KEY), 'the same state, byte for byte');
      loaded.free();
      twin.free();
    }
  }
  for (const code of ['WITHDRAWAL_SIGNED', 'WITHDRAWAL_CONFIRMED', 'APPROVAL_COUNTED', 'SWEPT', 'TRANSFERRED']) assert.ok(codes.has(code), `the history reaches ${code}`);
  // The stored value is a state snapshot after the last snapshot's log record; the log holds one
  // record per save, and a load applies only the records after the snapshot.
  const stored = await storage.get('custody-book/main');
  const covered = Number(new DataView(stored.value.buffer, stored.value.byteOffset).getBigUint64(0));
  const records = await storage.readLog('custody-book/main');
  assert.equal(records.length, 80);
  assert.ok(covered >= 80 - 7 && covered <= 80, `the snapshot covers record ${covered}`);
  const snapshotEvents = CustodyBook.restore(stored.value.subarray(8), KEY);
  assert.ok(live.eventCount - snapshotEvents.eventCount < 7);
  snapshotEvents.free();
  live.free();
});

test('a tampered log record or snapshot is refused; a book the store did not load is not saved over its log', async () => {
  const storage = new MemoryStorage();
  const store = new CustodyBookStore(storage, KEY, { snapshotEvery: 1000 });
  const live = busyBook();
  assert.equal(await store.save('main', live), true);
  for (let i = 0; i < 3; i++) {
    event(live, i);
    assert.equal(await store.save('main', live), true);
  }
  // Not the book this store saved: refused, nothing written.
  const stranger = busyBook();
  event(stranger, 0);
  event(stranger, 1);
  event(stranger, 2);
  event(stranger, 3);
  await assert.rejects(store.save('main', stranger), (e) => e.code === 'INVALID_ARGUMENT' && e.param === 'book');
  assert.equal((await storage.readLog('custody-book/main')).length, 3);
  // A log record tampered with (copied into another store's storage, one byte flipped).
  const forged = new MemoryStorage();
  const stored = await storage.get('custody-book/main');
  await forged.put('custody-book/main', stored.value, null);
  const records = await storage.readLog('custody-book/main');
  for (const [i, { record }] of records.entries()) {
    const copy = new Uint8Array(record);
    if (i === 1) copy[5] ^= 1;
    await forged.append('custody-book/main', copy);
  }
  await assert.rejects(new CustodyBookStore(forged, KEY).load('main'), (e) => e.code === 'STORAGE_CORRUPT');
  // Under another key, or a snapshot byte flipped.
  await assert.rejects(new CustodyBookStore(storage, new Uint8Array(32).fill(4)).load('main'), (e) => e.code === 'SNAPSHOT_INVALID');
  const flipped = new MemoryStorage();
  const bad = new Uint8Array(stored.value);
  bad[bad.length - 100] ^= 1;
  await flipped.put('custody-book/main', bad, null);
  await assert.rejects(new CustodyBookStore(flipped, KEY).load('main'), (e) => e.code === 'SNAPSHOT_INVALID');
  // The genuine one loads.
  const loaded = await new CustodyBookStore(storage, KEY).load('main');
  assert.deepEqual(view(loaded), view(live));
  for (const b of [live, stranger, loaded]) b.free();
});

test('a version-1 value (the configuration and the whole log) still loads, and is rewritten as a state snapshot at the next save', async () => {
  const live = busyBook();
  // What earlier releases stored: JSON {config, log} (byte strings as hex), sealed by the core.
  const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  const cfg = live.config();
  const approvers = cfg.approvers.map((a) => ({ approverId: a.approverId, publicKey: hex(a.publicKey) }));
  const replayed = CustodyBook.create(config());
  const log = [];
  const record = (kind, request) => {
    replayed[kind](request);
    log.push({ kind, ...request });
  };
  record('registerClient', { clientId: 'alice', address: alice.address, now: T0 });
  record('observeDeposit', { depositId: 'd1', address: alice.address, asset: 'BTC', amount: '1.00000000', confirmations: 2, now: T0 });
  record('sweep', { sweepId: 's1', clientId: 'alice', asset: 'BTC', networkFee: '0.0001', now: T0 });
  record('addDestination', { clientId: 'alice', address: DEST, now: T0 });
  record('requestWithdrawal', { withdrawalId: 'w1', clientId: 'alice', asset: 'BTC', amount: '0.1', networkFee: '0.0001', destination: DEST, now: T0 + 600 });
  const digest = replayed.withdrawal('w1').digest;
  const envelopes = [0, 1].map((i) => sealCustodyApproval({ approverId: `ap-${i}`, secretKey: APPROVERS[i], digest, seq: 1, issuedAt: T0 + 600, expiresAt: T0 + 3600 }));
  for (const envelope of envelopes) replayed.approve({ withdrawalId: 'w1', envelope, now: T0 + 600 });
  log.push(...envelopes.map((e) => ({ kind: 'approve', withdrawalId: 'w1', envelope: hex(e), now: T0 + 600 })));
  assert.equal(replayed.signWithdrawal('w1', T0 + 700, { omnibusKey: OMNIBUS_KEY, walletKey: alice.secretKey }).outcome.code, 'WITHDRAWAL_SIGNED');
  log.push({ kind: 'sign', withdrawalId: 'w1', now: T0 + 700 });
  const body = new TextEncoder().encode(JSON.stringify({ config: { ...cfg, approvers }, log }));
  const v1 = raw.custodySealLog(body, KEY);
  const restored = CustodyBook.restore(v1, KEY);
  assert.deepEqual(view(restored), view(replayed));
  assert.equal(restored.withdrawal('w1').state, 'signed');
  restored.free();
  // Through the store: loads, goes on, and the next save writes the state snapshot.
  const storage = new MemoryStorage();
  await storage.put('custody-book/main', v1, null);
  const store = new CustodyBookStore(storage, KEY);
  const loaded = await store.load('main');
  assert.deepEqual(view(loaded), view(replayed));
  assert.equal(loaded.confirmWithdrawal({ withdrawalId: 'w1', now: T0 + 800 }).code, 'WITHDRAWAL_CONFIRMED');
  assert.equal(await store.save('main', loaded), true);
  const rewritten = await storage.get('custody-book/main');
  assert.equal(rewritten.value[0], 0, 'a log position, then the state snapshot');
  const again = await new CustodyBookStore(storage, KEY).load('main');
  assert.deepEqual(view(again), view(loaded));
  for (const b of [live, replayed, loaded, again]) b.free();
});
