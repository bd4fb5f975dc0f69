// The SDK's Ledger and LedgerStore: behaviour, argument errors naming the field, the batch API,
// journal replay and tampering, snapshots, and persistence through FileStorage and PostgresStorage
// across "restarts".
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  CountersignRangeError,
  CountersignTypeError,
  LEDGER_BATCH_OPERATIONS_MAX,
  LEDGER_CODES,
  LEDGER_IDEMPOTENCY_KEYS_MAX,
  LEDGER_KEY_WINDOW_MIN,
  Ledger,
  LedgerStore,
  MemoryStorage,
  ledgerCodes,
} from '@countersign/sdk';
import { docTable, hex, throwsCode } from './helpers.mjs';
import { durableAdapters } from './postgres-server.mjs';
import { wasm } from '../dist/loader.js';

const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z
const KEY = new Uint8Array(32).fill(7);

let n = 0;
const k = () => `key-${++n}`;

/** bank (unrestricted) → wallet (nonNegative, 100.00 EUR), shop (nonNegative). */
function funded() {
  const ledger = Ledger.create();
  for (const [accountId, kind] of [['bank', 'unrestricted'], ['wallet', 'nonNegative'], ['shop', 'nonNegative']]) {
    assert.equal(ledger.openAccount({ idempotencyKey: k(), now: T0, accountId, currency: 'EUR', kind }).code, 'ACCOUNT_OPENED');
  }
  const t = ledger.transfer({ idempotencyKey: k(), now: T0, debitAccountId: 'bank', creditAccountId: 'wallet', amount: '100.00', currency: 'EUR' });
  assert.equal(t.code, 'TRANSFERRED');
  return ledger;
}

const hold = (holdId, amount, ttl = 600, now = T0) => ({
  idempotencyKey: k(), now, holdId, debitAccountId: 'wallet', creditAccountId: 'shop', amount, currency: 'EUR', expiresAt: now + ttl,
});

test('the SDK code list is the core list, each described', () => {
  const core = ledgerCodes();
  assert.deepEqual(core.map((c) => c.code), [...LEDGER_CODES]);
  for (const c of core) assert.ok(c.description.length > 10, c.code);
});

test('hold, partial post, final post: available and totals are exact decimal strings', () => {
  const ledger = funded();
  const h = ledger.hold(hold('h1', '80.00'));
  assert.equal(h.code, 'HELD');
  assert.deepEqual({ state: h.hold.state, pending: h.hold.pending }, { state: 'pending', pending: '80.00' });
  assert.equal(ledger.account('wallet').available, '20.00');
  assert.equal(ledger.account('wallet').balance, '100.00');
  // A second hold beyond the available funds is refused with its code, and changes nothing.
  const digest = hex(ledger.stateDigest());
  assert.equal(ledger.hold(hold('h2', '20.01')).code, 'INSUFFICIENT_FUNDS');
  assert.equal(ledger.account('wallet').available, '20.00');
  assert.notEqual(hex(ledger.stateDigest()), digest, 'a rejection is journaled (answered again for the same key)');
  const p = ledger.post({ idempotencyKey: k(), now: T0 + 60, holdId: 'h1', amount: '31.17', currency: 'EUR', final: true });
  assert.equal(p.code, 'POSTED');
  assert.deepEqual(
    { state: p.hold.state, posted: p.hold.posted, released: p.hold.released, pending: p.hold.pending },
    { state: 'posted', posted: '31.17', released: '48.83', pending: '0.00' },
  );
  const wallet = ledger.account('wallet');
  assert.deepEqual({ balance: wallet.balance, available: wallet.available }, { balance: '68.83', available: '68.83' });
  assert.equal(ledger.account('shop').balance, '31.17');
  // Conservation: the balances sum to zero.
  const total = ledger.accounts().reduce((sum, a) => sum + BigInt(a.balance.replace('.', '')), 0n);
  assert.equal(total, 0n);
  ledger.checkInvariants();
});

test('outcomes and views name the request\'s own ids, whatever the results\' string cache holds', () => {
  // The adapter keeps a request's short ids (≤ 32 bytes) in its 256-slot string cache and hands
  // them back in results (wasm/src/ser.rs): 300 accounts and 600 holds put many ids in each
  // slot, with lengths 1 to 40 bytes, the 32/33-byte edge in ASCII and in two-byte UTF-8, and
  // ids that differ only in their last byte.
  const ledger = Ledger.create();
  const accountIds = ['bank'];
  for (let i = 0; i < 299; i++) {
    const base = i % 3 === 0 ? `a${i}` : i % 3 === 1 ? 'é'.repeat(1 + (i % 17)) + i : `acct-${i}-`.padEnd(1 + (i % 40), 'x');
    accountIds.push(base);
  }
  accountIds.push('x'.repeat(31) + '1', 'x'.repeat(31) + '2', 'x'.repeat(32) + '3', 'é'.repeat(16), 'é'.repeat(15) + 'ab', 'é'.repeat(16) + 'a');
  assert.equal(new Set(accountIds).size, accountIds.length);
  for (const accountId of accountIds) {
    const opened = ledger.openAccount({ idempotencyKey: k(), now: T0, accountId, currency: 'EUR', kind: accountId === 'bank' ? 'unrestricted' : 'nonNegative' });
    assert.equal(opened.code, 'ACCOUNT_OPENED', accountId);
    if (accountId !== 'bank') {
      assert.equal(ledger.transfer({ idempotencyKey: k(), now: T0, debitAccountId: 'bank', creditAccountId: accountId, amount: '100.00', currency: 'EUR' }).code, 'TRANSFERRED');
    }
  }
  for (let i = 0; i < 600; i++) {
    const debitAccountId = accountIds[1 + ((i * 7) % (accountIds.length - 1))];
    const creditAccountId = accountIds[1 + ((i * 13 + 5) % (accountIds.length - 1))];
    if (debitAccountId === creditAccountId) continue;
    const holdId = i % 2 === 0 ? `h${i}` : `hold-é-${i}-`.padEnd(20 + (i % 20), 'y');
    const held = ledger.hold({ idempotencyKey: k(), now: T0, holdId, debitAccountId, creditAccountId, amount: '0.10', currency: 'EUR', expiresAt: T0 + 600 });
    assert.equal(held.code, 'HELD', holdId);
    assert.deepEqual([held.hold.holdId, held.hold.debitAccountId, held.hold.creditAccountId], [holdId, debitAccountId, creditAccountId]);
    const posted = ledger.post({ idempotencyKey: k(), now: T0, holdId, amount: '0.05', currency: 'EUR', final: true });
    assert.deepEqual([posted.code, posted.hold.holdId, posted.hold.debitAccountId, posted.hold.creditAccountId], ['POSTED', holdId, debitAccountId, creditAccountId]);
    assert.equal(ledger.account(debitAccountId).accountId, debitAccountId);
  }
  assert.deepEqual(ledger.accounts().map((a) => a.accountId).sort(), [...accountIds].sort());
});

test('the string cache never hands back a lone-surrogate id for the U+FFFD text it was read as (raw adapter)', () => {
  // The SDK refuses lone surrogates; the adapter called directly reads one as U+FFFD (the
  // encoder's replacement). The cache must not then answer U+FFFD's bytes with the caller's
  // lone-surrogate string.
  const raw = new (wasm().LedgerHandle)();
  try {
    const opened = raw.run('openAccount', { idempotencyKey: 'lone', now: T0, accountId: '\uD800x', currency: 'EUR', kind: 'nonNegative' });
    assert.equal(opened.code, 'ACCOUNT_OPENED');
    assert.equal(raw.account('\uFFFDx').accountId, '\uFFFDx');
    assert.deepEqual(raw.accounts().map((a) => a.accountId), ['\uFFFDx']);
  } finally {
    raw.free();
  }
});

test('same idempotency key: same answer, done once; different request: IDEMPOTENCY_KEY_REUSED', () => {
  const ledger = funded();
  const request = { idempotencyKey: 'pay-1', now: T0, debitAccountId: 'wallet', creditAccountId: 'shop', amount: '10.00', currency: 'EUR' };
  const first = ledger.transfer(request);
  const again = ledger.transfer({ ...request, now: T0 + 5, amount: '10.0' });
  assert.equal(first.code, 'TRANSFERRED');
  assert.deepEqual({ ...again, repeated: false }, first);
  assert.equal(again.repeated, true);
  assert.equal(ledger.account('wallet').balance, '90.00');
  assert.equal(ledger.transfer({ ...request, amount: '11.00' }).code, 'IDEMPOTENCY_KEY_REUSED');
  assert.equal(ledger.account('wallet').balance, '90.00');
});

test('malformed requests throw typed errors naming the field, and change nothing', () => {
  const ledger = funded();
  const before = hex(ledger.stateDigest());
  const base = { idempotencyKey: k(), now: T0, debitAccountId: 'wallet', creditAccountId: 'shop', amount: '1.00', currency: 'EUR' };
  throwsCode(assert, () => ledger.transfer({ ...base, amount: 1.5 }), 'INVALID_TYPE', CountersignTypeError);
  assert.throws(() => ledger.transfer({ ...base, amount: 1.5 }), { param: 'request.amount' });
  assert.throws(() => ledger.transfer({ ...base, amount: '1.001' }), { code: 'AMOUNT_PRECISION', param: 'request.amount' });
  assert.throws(() => ledger.transfer({ ...base, currency: 'XYZ' }), { code: 'CURRENCY_UNKNOWN', param: 'request.currency' });
  assert.throws(() => ledger.transfer({ ...base, now: 1.5 }), { code: 'INVALID_ARGUMENT', param: 'request.now' });
  assert.throws(() => ledger.transfer({ ...base, idempotencyKey: '' }), { code: 'INVALID_ARGUMENT', param: 'request.idempotencyKey' });
  assert.throws(() => ledger.transfer({ ...base, amout: '1.00' }), (err) => err instanceof CountersignTypeError && err.param === 'request.amout');
  assert.throws(() => ledger.hold({ ...hold('x', '1.00'), expiresAt: 2 ** 60 }), { param: 'request.expiresAt' });
  throwsCode(assert, () => ledger.execute({ op: 'steal', request: base }), 'INVALID_TYPE', CountersignTypeError);
  assert.equal(hex(ledger.stateDigest()), before);
});

test('executeBatch: each operation answered on its own; a malformed one runs nothing and is named', () => {
  const ledger = funded();
  const twin = ledger.copy();
  const op = (amount) => ({ op: 'transfer', request: { idempotencyKey: k(), now: T0, debitAccountId: 'wallet', creditAccountId: 'shop', amount, currency: 'EUR' } });
  const ops = [op('60.00'), op('50.00'), op('40.00')];
  const outcomes = ledger.executeBatch(ops);
  assert.deepEqual(outcomes.map((o) => o.code), ['TRANSFERRED', 'INSUFFICIENT_FUNDS', 'TRANSFERRED']);
  for (const o of ops) twin.execute(o);
  assert.equal(hex(ledger.stateDigest()), hex(twin.stateDigest()), 'a batch equals one call per operation');
  const before = hex(ledger.stateDigest());
  // The full path of the field, raised by the core; the message is the field's own, not rewritten.
  assert.throws(() => ledger.executeBatch([op('1.00'), op('1.001')]), {
    code: 'AMOUNT_PRECISION',
    param: 'operations[1].request.amount',
    message: 'countersign: operations[1].request.amount: "1.001" has nonzero digits beyond the 2 fraction digits of EUR; pass a rounding mode to round it',
  });
  assert.throws(() => ledger.executeBatch([op('1.00'), { op: 'transfer', request: { ...op('1').request, now: 'later' } }]), {
    code: 'INVALID_TYPE',
    param: 'operations[1].request.now',
  });
  const tooMany = Array.from({ length: LEDGER_BATCH_OPERATIONS_MAX + 1 }, () => op('0.01'));
  throwsCode(assert, () => ledger.executeBatch(tooMany), 'LIMIT_EXCEEDED', CountersignRangeError);
  assert.equal(hex(ledger.stateDigest()), before, 'nothing ran');
});

test('journal: replay rebuilds the same state; a tampered entry is refused', () => {
  const ledger = funded();
  ledger.hold(hold('h', '30.00'));
  ledger.increment({ idempotencyKey: k(), now: T0 + 1, holdId: 'h', amount: '5.00', currency: 'EUR' });
  ledger.extend({ idempotencyKey: k(), now: T0 + 2, holdId: 'h', expiresAt: T0 + 3600 });
  ledger.post({ idempotencyKey: k(), now: T0 + 3, holdId: 'h' });
  const entries = ledger.journal();
  assert.equal(entries.length, ledger.head().seq);
  const replayed = Ledger.replay(entries);
  assert.equal(hex(replayed.stateDigest()), hex(ledger.stateDigest()));
  assert.deepEqual(replayed.head(), ledger.head());
  const tampered = entries.map((e) => Uint8Array.from(e));
  tampered[3][tampered[3].length - 40] ^= 1; // inside the previous-hash field
  assert.throws(() => Ledger.replay(tampered), (err) => ['JOURNAL_INVALID', 'JOURNAL_MISMATCH'].includes(err.code));
  assert.throws(() => Ledger.replay([entries[1]]), { code: 'JOURNAL_INVALID' });
  throwsCode(assert, () => Ledger.replay(['x']), 'INVALID_TYPE', CountersignTypeError);
});

test('snapshot: restore is identical; a wrong key or a flipped bit is SNAPSHOT_INVALID', () => {
  const ledger = funded();
  ledger.hold(hold('h', '12.34'));
  const bytes = ledger.snapshot(KEY);
  const restored = Ledger.restore(bytes, KEY);
  assert.equal(hex(restored.stateDigest()), hex(ledger.stateDigest()));
  assert.equal(restored.holdView('h').pending, '12.34');
  assert.throws(() => Ledger.restore(bytes, new Uint8Array(32)), { code: 'SNAPSHOT_INVALID' });
  const flipped = Uint8Array.from(bytes);
  flipped[20] ^= 1;
  assert.throws(() => Ledger.restore(flipped, KEY), { code: 'SNAPSHOT_INVALID' });
});

test('expiry: expireDue releases overdue holds and lists them', () => {
  const ledger = funded();
  ledger.hold(hold('a', '10.00', 60));
  ledger.hold(hold('b', '10.00', 120));
  const out = ledger.expireDue({ idempotencyKey: k(), now: T0 + 90 });
  assert.equal(out.code, 'DUE_HOLDS_EXPIRED');
  assert.deepEqual(out.expired, ['a']);
  assert.equal(ledger.holdView('a').state, 'expired');
  assert.equal(ledger.account('wallet').available, '90.00');
  assert.equal(ledger.post({ idempotencyKey: k(), now: T0 + 130, holdId: 'b' }).code, 'HOLD_EXPIRED');
  assert.equal(ledger.clock, T0 + 130);
});

function tempDir() {
  return mkdtempSync(path.join(tmpdir(), 'countersign-ledger-'));
}

for (const { label, skip, place } of await durableAdapters()) test(`LedgerStore over ${label}: commit, reload after a "restart", snapshots, log records packing`, { skip }, async () => {
  const dir = tempDir();
  const { open, cleanup } = place(dir);
  try {
    const store = new LedgerStore(open(), KEY, { name: 'wallets', snapshotEvery: 50 });
    const ledger = await store.load();
    assert.equal(ledger.head().seq, 0);
    ledger.executeBatch([
      { op: 'openAccount', request: { idempotencyKey: 'o1', now: T0, accountId: 'bank', currency: 'EUR', kind: 'unrestricted' } },
      { op: 'openAccount', request: { idempotencyKey: 'o2', now: T0, accountId: 'wallet', currency: 'EUR', kind: 'nonNegative' } },
      { op: 'openAccount', request: { idempotencyKey: 'o3', now: T0, accountId: 'shop', currency: 'EUR', kind: 'nonNegative' } },
    ]);
    ledger.transfer({ idempotencyKey: 't1', now: T0, debitAccountId: 'bank', creditAccountId: 'wallet', amount: '1000.00', currency: 'EUR' });
    assert.equal(await store.commit(ledger), true);
    // 120 hold + post pairs: more than one log record per commit, and two snapshots.
    for (let i = 0; i < 120; i++) {
      ledger.hold(hold(`h${i}`, '5.00', 600, T0 + i));
      ledger.post({ idempotencyKey: k(), now: T0 + i, holdId: `h${i}`, amount: '1.25', currency: 'EUR', final: true });
    }
    assert.equal(await store.commit(ledger), true);
    assert.equal(ledger.counts().journalRetained, 0);
    assert.equal(store.persistedSeq, 244);
    // A new process: a fresh store over the same directory.
    const again = await new LedgerStore(open(), KEY, { name: 'wallets' }).load();
    assert.equal(hex(again.stateDigest()), hex(ledger.stateDigest()));
    assert.deepEqual(again.head(), ledger.head());
    assert.equal(again.account('wallet').balance, '850.00');
    // The snapshot is used: it exists, and loading with the wrong key fails on it.
    await assert.rejects(new LedgerStore(open(), new Uint8Array(32), { name: 'wallets' }).load(), { code: 'SNAPSHOT_INVALID' });
  } finally {
    await cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('LedgerStore: a second writer gets false and writes nothing; the first stays consistent', async () => {
  const storage = new MemoryStorage();
  const a = new LedgerStore(storage, KEY);
  const b = new LedgerStore(storage, KEY);
  const la = await a.load();
  const lb = await b.load();
  la.openAccount({ idempotencyKey: 'a1', now: T0, accountId: 'x', currency: 'EUR', kind: 'unrestricted' });
  lb.openAccount({ idempotencyKey: 'b1', now: T0, accountId: 'y', currency: 'EUR', kind: 'unrestricted' });
  assert.equal(await a.commit(la), true);
  assert.equal(await b.commit(lb), false, 'b loaded before a committed');
  const loaded = await new LedgerStore(storage, KEY).load();
  assert.deepEqual(loaded.accounts().map((acc) => acc.accountId), ['x']);
  // b reloads and retries: now it wins.
  const lb2 = await b.load();
  lb2.openAccount({ idempotencyKey: 'b1', now: T0, accountId: 'y', currency: 'EUR', kind: 'unrestricted' });
  assert.equal(await b.commit(lb2), true);
  assert.deepEqual((await new LedgerStore(storage, KEY).load()).accounts().map((acc) => acc.accountId), ['x', 'y']);
});

test('LedgerStore: a commit cut short by another writer (it took the next log position) is false and never loaded', async () => {
  const storage = new MemoryStorage();
  const setup = new LedgerStore(storage, KEY);
  const base = await setup.load();
  base.openAccount({ idempotencyKey: 'o1', now: T0, accountId: 'bank', currency: 'EUR', kind: 'unrestricted' });
  base.openAccount({ idempotencyKey: 'o2', now: T0, accountId: 'a', currency: 'EUR', kind: 'nonNegative' });
  base.openAccount({ idempotencyKey: 'o3', now: T0, accountId: 'b', currency: 'EUR', kind: 'nonNegative' });
  assert.equal(await setup.commit(base), true);
  // Writer A's commit spans two log records; writer B commits between A's first and second.
  let interleave;
  const a = new LedgerStore(
    { ...Object.fromEntries(['get', 'put', 'readLog', 'list', 'close'].map((m) => [m, (...args) => storage[m](...args)])),
      append: async (log, record, expectedSeq) => {
        const seq = await storage.append(log, record, expectedSeq);
        if (interleave !== undefined) await interleave.splice(0)[0]?.();
        return seq;
      } },
    KEY,
  );
  const la = await a.load();
  for (let i = 0; i < 60; i++) {
    la.transfer({ idempotencyKey: `a${i}`, now: T0, debitAccountId: 'bank', creditAccountId: 'a', amount: '1.00', currency: 'EUR' });
  }
  interleave = [async () => {
    const b = new LedgerStore(storage, KEY);
    const lb = await b.load(); // sees A's first record, a commit not finished: not applied
    assert.equal(lb.account('a').balance, '0.00');
    lb.transfer({ idempotencyKey: 'b0', now: T0, debitAccountId: 'bank', creditAccountId: 'b', amount: '7.00', currency: 'EUR' });
    assert.equal(await b.commit(lb), true, 'B takes the position A expected next');
  }];
  assert.equal(await a.commit(la), false, 'A lost the position half-way');
  assert.equal((await storage.readLog('ledger/main/journal')).length, 3, 'setup, A\'s first record, B\'s record');
  const loaded = await new LedgerStore(storage, KEY).load();
  assert.equal(loaded.account('a').balance, '0.00', 'none of A\'s cut-short commit');
  assert.equal(loaded.account('b').balance, '7.00', 'B\'s commit');
  // A reloads and retries: all 60 transfers land after B's.
  const la2 = await a.load();
  for (let i = 0; i < 60; i++) {
    la2.transfer({ idempotencyKey: `a${i}`, now: T0, debitAccountId: 'bank', creditAccountId: 'a', amount: '1.00', currency: 'EUR' });
  }
  assert.equal(await a.commit(la2), true);
  const final = await new LedgerStore(storage, KEY).load();
  assert.equal(final.account('a').balance, '60.00');
  assert.equal(final.account('b').balance, '7.00');
  assert.equal(hex(final.stateDigest()), hex(la2.stateDigest()));
});

test('LedgerStore: a garbage log record is refused on load (authentication), nothing applied', async () => {
  const storage = new MemoryStorage();
  const store = new LedgerStore(storage, KEY, { name: 'c' });
  const ledger = await store.load();
  ledger.openAccount({ idempotencyKey: 'o', now: T0, accountId: 'x', currency: 'EUR', kind: 'unrestricted' });
  await store.commit(ledger);
  await storage.append('ledger/c/journal', new Uint8Array(60));
  await assert.rejects(new LedgerStore(storage, KEY, { name: 'c' }).load(), { code: 'STORAGE_CORRUPT', param: 'storage' });
});

test('LedgerStore: a chain-valid record forged from another ledger is refused (records are MACed, not just hashed)', async () => {
  // Two ledgers with identical histories have identical journals: a record of one continues
  // the other's hash chain exactly, so only the per-ledger HMAC can tell it does not belong.
  const storage = new MemoryStorage();
  const stores = { a: new LedgerStore(storage, KEY, { name: 'a' }), b: new LedgerStore(storage, KEY, { name: 'b' }) };
  const ledgers = { a: await stores.a.load(), b: await stores.b.load() };
  for (const side of ['a', 'b']) {
    ledgers[side].executeBatch([
      { op: 'openAccount', request: { idempotencyKey: 'o1', now: T0, accountId: 'bank', currency: 'EUR', kind: 'unrestricted' } },
      { op: 'openAccount', request: { idempotencyKey: 'o2', now: T0, accountId: 'mallory', currency: 'EUR', kind: 'nonNegative' } },
    ]);
    assert.equal(await stores[side].commit(ledgers[side]), true);
  }
  ledgers.a.transfer({ idempotencyKey: 't', now: T0, debitAccountId: 'bank', creditAccountId: 'mallory', amount: '1000.00', currency: 'EUR' });
  await stores.a.commit(ledgers.a);
  const [stolen] = await storage.readLog('ledger/a/journal', { after: 1 });
  // The core alone would accept it: the entry chains onto b's head and re-executes identically.
  const entry = stolen.record.subarray(16, stolen.record.length - 32);
  const probe = await new LedgerStore(storage, KEY, { name: 'b' }).load();
  probe.applyJournal([entry]);
  assert.equal(probe.account('mallory').balance, '1000.00', 'chain-valid: only the MAC can refuse it');
  await storage.append('ledger/b/journal', stolen.record);
  await assert.rejects(new LedgerStore(storage, KEY, { name: 'b' }).load(), { code: 'STORAGE_CORRUPT' });
});

test('LedgerStore: loading an older state than one already seen is refused (rollback)', async () => {
  const storage = new MemoryStorage();
  let hideAfter = Infinity;
  // An adapter whose log "forgets" its latest records, as a restored backup would.
  const rolledBack = {
    get: (key) => storage.get(key),
    put: (key, value, version) => storage.put(key, value, version),
    append: (log, record) => storage.append(log, record),
    list: (prefix, options) => storage.list(prefix, options),
    close: () => storage.close(),
    readLog: async (log, options) => (await storage.readLog(log, options)).filter((r) => r.seq <= hideAfter),
  };
  const store = new LedgerStore(rolledBack, KEY);
  const ledger = await store.load();
  ledger.openAccount({ idempotencyKey: 'o1', now: T0, accountId: 'x', currency: 'EUR', kind: 'unrestricted' });
  await store.commit(ledger);
  ledger.openAccount({ idempotencyKey: 'o2', now: T0, accountId: 'y', currency: 'EUR', kind: 'unrestricted' });
  await store.commit(ledger);
  hideAfter = 1;
  await assert.rejects(store.load(), { code: 'SNAPSHOT_INVALID', param: 'storage' });
  hideAfter = Infinity;
  assert.deepEqual((await store.load()).accounts().map((a) => a.accountId), ['x', 'y']);
});

// The README's ledger example runs as written in readme-examples.test.mjs (with every example
// of README.md and docs/), which also loads back what it committed.


test('setKeyRetention keyWindow: read back, replayed; out of range or fractional: errors naming request.keyWindow, nothing changed', () => {
  const ledger = Ledger.create();
  assert.equal(ledger.keyWindow, LEDGER_IDEMPOTENCY_KEYS_MAX);
  const before = hex(ledger.stateDigest());
  for (const keyWindow of [LEDGER_KEY_WINDOW_MIN - 1, LEDGER_IDEMPOTENCY_KEYS_MAX + 1, 5000.5, -1]) {
    assert.throws(() => ledger.setKeyRetention({ idempotencyKey: 'w', now: T0, keysKeptBy: 'ledger', keyWindow }), (e) => e.param === 'request.keyWindow', String(keyWindow));
  }
  assert.throws(() => ledger.setKeyRetention({ idempotencyKey: 'w', now: T0, keysKeptBy: 'ledger', keyWindow: '5000' }), (e) => e instanceof CountersignTypeError && e.param === 'request.keyWindow');
  assert.equal(hex(ledger.stateDigest()), before);
  const out = ledger.setKeyRetention({ idempotencyKey: 'w', now: T0, keysKeptBy: 'store', keyWindow: LEDGER_KEY_WINDOW_MIN });
  assert.equal(out.code, 'KEY_RETENTION_SET');
  assert.equal(ledger.keyWindow, LEDGER_KEY_WINDOW_MIN);
  const replayed = Ledger.replay(ledger.journal());
  assert.equal(replayed.keyWindow, LEDGER_KEY_WINDOW_MIN);
  assert.equal(replayed.keysKeptBy, 'store');
  assert.equal(hex(replayed.stateDigest()), hex(ledger.stateDigest()));
  ledger.free();
  replayed.free();
});

test('docs/ledger.md lists every ledger outcome code in order, and its operations table names real operations and codes', async () => {
  const codes = ledgerCodes();
  assert.deepEqual(docTable('ledger.md', '| code | meaning |'), codes.map(({ code, description }) => ['`' + code + '`', description.trim()]));
  const ops = docTable('ledger.md', '| operation (`op`) | request fields | codes, in check order | success |');
  assert.deepEqual(ops.map((row) => row[0]), ['openAccount', 'transfer', 'hold', 'increment', 'extend', 'post', 'void', 'expireDue', 'setCreditLimit', 'closeAccount', 'setKeyRetention', 'setCapacity'].map((op) => '`' + op + '`'));
  for (const [op, , checks, success] of ops) {
    assert.equal(typeof Ledger.prototype[op.slice(1, -1)], 'function', `Ledger has ${op}`);
    for (const [, code] of `${checks} ${success}`.matchAll(/`([A-Z_]+)`/g)) assert.ok(LEDGER_CODES.includes(code), `${op}: ${code} is a ledger code`);
  }
  const kinds = docTable('ledger.md', '| kind | rule (checked on every debit and hold) |');
  assert.deepEqual(kinds.map((row) => row[0]), ['`unrestricted`', '`nonNegative`', '`creditLine`']);
});

test('executeBatch: a linked chain succeeds or fails as one; a failed chain can be retried with the same keys', async () => {
  const ledger = funded();
  const pay = (idempotencyKey, creditAccountId, amount) => ({ idempotencyKey, now: T0 + 10, debitAccountId: 'wallet', creditAccountId, amount, currency: 'EUR' });
  const chain = [
    { op: 'transfer', linked: true, request: pay('order-1/pay', 'shop', '95.00') },
    { op: 'transfer', request: pay('order-1/fee', 'bank', '6.00') },
  ];
  const before = hex(ledger.stateDigest());
  const head = ledger.head();
  const failed = ledger.executeBatch(chain);
  assert.deepEqual(failed, [
    { code: 'LINKED_OPERATION_FAILED', seq: 0, repeated: false, hold: null, expired: [] },
    { code: 'INSUFFICIENT_FUNDS', seq: 0, repeated: false, hold: null, expired: [] },
  ]);
  assert.equal(hex(ledger.stateDigest()), before, 'nothing of the chain stands');
  assert.deepEqual(ledger.head(), head, 'nothing journaled');
  assert.equal(ledger.clock, T0, 'the clock did not move');
  // Top up, then the very same batch: its keys were not recorded, so it runs, as one.
  ledger.transfer({ idempotencyKey: k(), now: T0 + 20, debitAccountId: 'bank', creditAccountId: 'wallet', amount: '1.00', currency: 'EUR' });
  const stood = ledger.executeBatch(chain);
  assert.deepEqual(stood.map((o) => [o.code, o.seq]), [['TRANSFERRED', head.seq + 2], ['TRANSFERRED', head.seq + 3]]);
  assert.equal(ledger.account('wallet').balance, '0.00');
  // Sent again: repeats of stored successes, nothing done.
  const digest = hex(ledger.stateDigest());
  assert.deepEqual(ledger.executeBatch(chain).map((o) => [o.code, o.repeated]), [['TRANSFERRED', true], ['TRANSFERRED', true]]);
  assert.equal(hex(ledger.stateDigest()), digest);
  ledger.checkInvariants();
  assert.equal(hex(Ledger.replay(ledger.journal()).stateDigest()), hex(ledger.stateDigest()));
  // The journal holds ordinary entries: a store persists and reloads it as always.
  const storage = new MemoryStorage();
  const store = new LedgerStore(storage, KEY, { name: 'linked' });
  const live = await store.load();
  const open = (accountId, kind) => ({ op: 'openAccount', request: { idempotencyKey: `open-${accountId}`, now: T0, accountId, currency: 'EUR', kind } });
  const move = (idempotencyKey, debitAccountId, creditAccountId, amount) => ({ op: 'transfer', request: { idempotencyKey, now: T0, debitAccountId, creditAccountId, amount, currency: 'EUR' } });
  live.executeBatch([open('bank', 'unrestricted'), open('a', 'nonNegative'), open('b', 'nonNegative')]);
  const codes = live.executeBatch([
    { ...move('m1', 'bank', 'a', '5.00'), linked: true }, move('m2', 'a', 'b', '5.00'),
    { ...move('m3', 'a', 'b', '1.00'), linked: true }, move('m4', 'bank', 'a', '1.00'),
  ]).map((o) => o.code);
  assert.deepEqual(codes, ['TRANSFERRED', 'TRANSFERRED', 'INSUFFICIENT_FUNDS', 'LINKED_OPERATION_FAILED']);
  assert.equal(await store.commit(live), true);
  const loaded = await new LedgerStore(storage, KEY, { name: 'linked' }).load();
  assert.equal(hex(loaded.stateDigest()), hex(live.stateDigest()));
  assert.equal(loaded.account('b').balance, '5.00');
});

test('executeBatch: an open chain, a non-boolean or misspelt linked throw naming it, and nothing runs', () => {
  const ledger = funded();
  const before = hex(ledger.stateDigest());
  const op = (extra) => ({ op: 'transfer', request: { idempotencyKey: k(), now: T0, debitAccountId: 'wallet', creditAccountId: 'shop', amount: '1.00', currency: 'EUR' }, ...extra });
  assert.throws(() => ledger.executeBatch([op(), op({ linked: true })]), (err) => {
    assert.ok(err instanceof CountersignRangeError, err.name);
    assert.deepEqual([err.code, err.param], ['INVALID_ARGUMENT', 'operations[1].linked']);
    assert.match(err.message, /open/);
    return true;
  });
  assert.throws(() => ledger.executeBatch([op({ linked: 'yes' }), op()]), (err) => err instanceof CountersignTypeError && err.code === 'INVALID_TYPE' && err.param === 'operations[0].linked');
  assert.throws(() => ledger.executeBatch([op({ linkd: true }), op()]), {
    code: 'INVALID_TYPE',
    param: 'operations[0].linkd',
    message: 'countersign: operations[0].linkd: unknown field `linkd`; allowed: op, request, linked',
  });
  // Only an own `linked` counts: one on Object.prototype does not link every operation.
  Object.prototype.linked = true;
  let outcomes;
  try {
    outcomes = ledger.executeBatch([op({ request: { ...op().request, amount: '500.00' } }), op()]);
  } finally {
    delete Object.prototype.linked;
  }
  assert.deepEqual(outcomes.map((o) => o.code), ['INSUFFICIENT_FUNDS', 'TRANSFERRED']);
  assert.notEqual(hex(ledger.stateDigest()), before);
});

test('execute refuses a field besides op and request (a linked flag there would link nothing), and nothing runs', () => {
  const ledger = funded();
  const before = hex(ledger.stateDigest());
  const request = { idempotencyKey: k(), now: T0, debitAccountId: 'wallet', creditAccountId: 'shop', amount: '1.00', currency: 'EUR' };
  assert.throws(() => ledger.execute({ op: 'transfer', request, linked: true }), {
    code: 'INVALID_TYPE',
    param: 'operation.linked',
    message: 'countersign: operation.linked: unknown field `linked`; allowed: op, request',
  });
  assert.equal(hex(ledger.stateDigest()), before);
  assert.equal(ledger.execute({ op: 'transfer', request }).code, 'TRANSFERRED');
});

test('executeBatch: a chain with a hold and its capture; a failed chain takes back the expiry it caused', () => {
  const ledger = funded();
  const h = hold('h-late', '30.00', 60);
  assert.equal(ledger.hold(h).code, 'HELD');
  const later = T0 + 120;
  const before = hex(ledger.stateDigest());
  const outcomes = ledger.executeBatch([
    { op: 'transfer', linked: true, request: { idempotencyKey: k(), now: later, debitAccountId: 'wallet', creditAccountId: 'shop', amount: '1.00', currency: 'EUR' } },
    { op: 'post', request: { idempotencyKey: k(), now: later, holdId: 'h-late' } },
  ]);
  assert.deepEqual(outcomes.map((o) => o.code), ['LINKED_OPERATION_FAILED', 'HOLD_EXPIRED']);
  assert.equal(hex(ledger.stateDigest()), before);
  assert.equal(ledger.holdView('h-late').state, 'pending', 'the lazy expiry did not stand');
  const placed = ledger.executeBatch([
    { op: 'hold', linked: true, request: hold('h2', '40.00', 600, later) },
    { op: 'post', request: { idempotencyKey: k(), now: later, holdId: 'h2', amount: '25.00', currency: 'EUR', final: true } },
  ]);
  assert.deepEqual(placed.map((o) => [o.code, o.hold.state]), [['HELD', 'pending'], ['POSTED', 'posted']]);
  assert.deepEqual(placed[0].expired, ['h-late'], 'the hold expired by the chain that stood');
  assert.equal(ledger.account('wallet').balance, '75.00');
  ledger.checkInvariants();
});
