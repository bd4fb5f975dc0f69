// ShardedLedger: the routing rule against an independent SHA-256 (node:crypto), transfers on one
// shard and across shards (the two-phase commit), refusals on either side, crashes after each
// step followed by a load (recovery finishes or voids exactly once, money conserved, settlement
// pairs net to zero), repeats, typed errors, persistence on MemoryStorage, FileStorage and
// PostgreSQL (when COUNTERSIGN_TEST_DATABASE_URL is set).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import {
  CountersignError,
  FileStorage,
  LEDGER_SHARD_COUNT_DEFAULT,
  LEDGER_SHARD_ROUTING_TAG,
  LEDGER_SHARD_KEY_WINDOW_DEFAULT,
  LEDGER_SHARD_TRANSFER_HOLD_S,
  MemoryStorage,
  PostgresStorage,
  ShardedLedger,
  ledgerShardOf,
} from '@countersign/sdk';
import { DATABASE_URL, dropTables, freshPrefix, SKIP_NO_SERVER } from './postgres-server.mjs';

const KEY = new Uint8Array(32).fill(9);
const T0 = 1_767_225_600;
const SHARDS = 8;

/** The rule computed independently: u32 BE of SHA-256(tag ‖ id) mod n, pinned `@i/...` ids aside. */
function expectedShard(accountId, shardCount) {
  const digest = crypto.createHash('sha256').update('countersign/ledger-shard/v1').update(accountId, 'utf8').digest();
  return digest.readUInt32BE(0) % shardCount;
}

/** Account ids `prefix-<n>` until one on each of the wanted shards is found (bounded search). */
function idsOnShards(prefix, shards, shardCount = SHARDS) {
  const found = new Map();
  for (let n = 0; n < 10_000 && found.size < shards.length; n++) {
    const id = `${prefix}-${n}`;
    const shard = expectedShard(id, shardCount);
    if (shards.includes(shard) && !found.has(shard)) found.set(shard, id);
  }
  assert.equal(found.size, shards.length, 'ids found for every shard');
  return shards.map((s) => found.get(s));
}

const [A_WALLET, A_WALLET2, B_WALLET] = [...idsOnShards('wa', [1]), ...idsOnShards('wa2', [1]), ...idsOnShards('wb', [5])];
const pay = (idempotencyKey, debitAccountId, creditAccountId, amount, now = T0 + 10) => ({
  idempotencyKey, now, debitAccountId, creditAccountId, amount, currency: 'EUR',
});

/** Opens an issuer on every shard (pinned `@i/issuer`), the wallets, and tops each up with 100.00. */
async function setUp(sharded, wallets = [A_WALLET, A_WALLET2, B_WALLET]) {
  for (let i = 0; i < sharded.shardCount; i++) {
    assert.equal(sharded.openAccount({ idempotencyKey: `open-issuer-${i}`, now: T0, accountId: `@${i}/issuer`, currency: 'EUR', kind: 'unrestricted' }).code, 'ACCOUNT_OPENED');
  }
  for (const w of wallets) {
    assert.equal(sharded.openAccount({ idempotencyKey: `open-${w}`, now: T0, accountId: w, currency: 'EUR', kind: 'nonNegative' }).code, 'ACCOUNT_OPENED');
    const shard = sharded.shardOf(w);
    assert.equal((await sharded.transfer(pay(`top-up-${w}`, `@${shard}/issuer`, w, '100.00', T0))).code, 'TRANSFERRED');
  }
  assert.equal(await sharded.commit(), true);
}

/** Minor units of an account's balance (0 when absent). */
function minor(sharded, id) {
  const view = sharded.account(id);
  return view === undefined ? 0n : BigInt(view.balance.replace('.', ''));
}
const walletTotal = (sharded, wallets = [A_WALLET, A_WALLET2, B_WALLET]) => wallets.reduce((sum, w) => sum + minor(sharded, w), 0n);

/** A storage whose appends fail from the `failAt`-th on: a process that stops there. */
class CrashingStorage {
  constructor(inner) {
    this.inner = inner;
    this.appendsLeft = Infinity;
  }
  get(key) { return this.inner.get(key); }
  put(key, value, expected) { return this.inner.put(key, value, expected); }
  async append(log, record, expectedSeq) {
    if (this.appendsLeft <= 0) throw new Error('crashed');
    this.appendsLeft -= 1;
    return this.inner.append(log, record, expectedSeq);
  }
  readLog(log, options) { return this.inner.readLog(log, options); }
  list(prefix, options) { return this.inner.list(prefix, options); }
  close() { return this.inner.close(); }
}

describe('routing', () => {
  test('matches SHA-256 computed by node:crypto; pinned ids; default shard count', async () => {
    for (let n = 0; n < 500; n++) {
      const id = n % 7 === 0 ? `wället-€-${n}` : `wallet-${n}`;
      for (const count of [1, 3, 8, 1024, 4096]) assert.equal(ledgerShardOf(id, count), expectedShard(id, count), `${id} / ${count}`);
    }
    // A fixed vector (Python's hashlib gives the same), so a change of tag or byte order is caught
    // even if both sides changed; and the tag the SDK exports is the one the core routes by.
    assert.equal(ledgerShardOf('wallet-1', 1024), 760);
    assert.equal(LEDGER_SHARD_ROUTING_TAG, 'countersign/ledger-shard/v1');
    assert.equal(ledgerShardOf('@7/merchant', 8), 7);
    assert.equal(ledgerShardOf('@8/merchant', 8), expectedShard('@8/merchant', 8), 'a pin past the count is hashed');
    assert.equal(ledgerShardOf('@07/merchant', 8), expectedShard('@07/merchant', 8), 'not canonical: hashed');
    assert.throws(() => ledgerShardOf('x', 0), (e) => e instanceof RangeError && e.param === 'shardCount');
    assert.throws(() => ledgerShardOf(5, 8), (e) => e instanceof TypeError && e.param === 'accountId');
    const sharded = await ShardedLedger.load(new MemoryStorage(), KEY);
    assert.equal(sharded.shardCount, LEDGER_SHARD_COUNT_DEFAULT);
    assert.equal(sharded.shardOf('wallet-1'), ledgerShardOf('wallet-1', LEDGER_SHARD_COUNT_DEFAULT));
    // The object routes pinned-looking ids itself: the same answers as the core's rule.
    const pinnedLike = ['@0/m', '@7/merchant', '@1023/x', '@1024/x', '@4095/x', '@07/x', '@/x', '@1/', '@12345/x', '@1x/y', '@+1/x', '@ 1/x', '@3/\n', '@3/shard/4/EUR', '@', '@@1/x'];
    for (const id of pinnedLike) assert.equal(sharded.shardOf(id), ledgerShardOf(id, LEDGER_SHARD_COUNT_DEFAULT), id);
    sharded.free();
  });
});

describe('transfers', () => {
  test('same shard: one ledger transfer; across shards: both holds posted, settlement nets to zero', async () => {
    const storage = new MemoryStorage();
    const sharded = await ShardedLedger.load(storage, KEY, { shardCount: SHARDS });
    await setUp(sharded);
    const before = walletTotal(sharded);
    const same = await sharded.transfer(pay('same-1', A_WALLET, A_WALLET2, '10.00'));
    assert.deepEqual(same, { code: 'TRANSFERRED', repeated: false, debitShard: 1, creditShard: 1 });
    const headB = sharded.head(5).seq;
    const cross = await sharded.transfer(pay('cross-1', A_WALLET, B_WALLET, '25.50'));
    assert.deepEqual(cross, { code: 'TRANSFERRED', repeated: false, debitShard: 1, creditShard: 5 });
    assert.equal(sharded.account(A_WALLET).balance, '64.50');
    assert.equal(sharded.account(B_WALLET).balance, '125.50');
    assert.equal(sharded.account(A_WALLET).debitsPending, '0.00');
    assert.equal(walletTotal(sharded), before);
    assert.ok(sharded.head(5).seq > headB);
    const check = sharded.checkSettlement();
    assert.deepEqual(check, { ok: true, pairs: 1, inFlight: 0, mismatches: [] });
    // Repeats answer the same, nothing moves again.
    assert.deepEqual(await sharded.transfer(pay('cross-1', A_WALLET, B_WALLET, '25.50', T0 + 99)), { ...cross, repeated: true });
    assert.deepEqual(await sharded.transfer(pay('same-1', A_WALLET, A_WALLET2, '10.00')), { ...same, repeated: true });
    assert.equal(sharded.account(B_WALLET).balance, '125.50');
    // The same key with another request is refused.
    assert.equal((await sharded.transfer(pay('cross-1', A_WALLET, B_WALLET, '1.00'))).code, 'IDEMPOTENCY_KEY_REUSED');
    // And the other way, on the same settlement pair.
    assert.equal((await sharded.transfer(pay('cross-2', B_WALLET, A_WALLET, '0.50'))).code, 'TRANSFERRED');
    assert.equal(sharded.checkSettlement().ok, true);
    const digests = Array.from({ length: SHARDS }, (_, i) => Buffer.from(sharded.stateDigest(i)).toString('hex'));
    sharded.free();
    // Everything was committed: a load gives the same shards.
    const again = await ShardedLedger.load(storage, KEY);
    assert.equal(again.shardCount, SHARDS);
    assert.deepEqual(Array.from({ length: SHARDS }, (_, i) => Buffer.from(again.stateDigest(i)).toString('hex')), digests);
    assert.equal(again.account(B_WALLET).balance, '125.00');
    again.free();
  });

  test('insufficient funds on the debit shard: nothing changes anywhere', async () => {
    const sharded = await ShardedLedger.load(new MemoryStorage(), KEY, { shardCount: SHARDS });
    await setUp(sharded);
    const digestB = Buffer.from(sharded.stateDigest(5)).toString('hex');
    const out = await sharded.transfer(pay('too-much', A_WALLET, B_WALLET, '100.01'));
    assert.deepEqual(out, { code: 'INSUFFICIENT_FUNDS', repeated: false, debitShard: 1, creditShard: 5 });
    assert.equal(Buffer.from(sharded.stateDigest(5)).toString('hex'), digestB, 'the credit shard is untouched');
    assert.equal(sharded.account(A_WALLET).balance, '100.00');
    assert.equal(sharded.account(A_WALLET).debitsPending, '0.00');
    assert.deepEqual((await sharded.transfer(pay('too-much', A_WALLET, B_WALLET, '100.01'))).code, 'INSUFFICIENT_FUNDS');
    assert.equal(sharded.checkSettlement().ok, true);
    sharded.free();
  });

  test('the credit shard refuses: the debit hold is voided, the balance restored, repeats answer the same', async () => {
    const sharded = await ShardedLedger.load(new MemoryStorage(), KEY, { shardCount: SHARDS });
    await setUp(sharded);
    const [unknown] = idsOnShards('nobody', [5]);
    const out = await sharded.transfer(pay('to-nobody', A_WALLET, unknown, '30.00'));
    assert.deepEqual(out, { code: 'UNKNOWN_ACCOUNT', repeated: false, debitShard: 1, creditShard: 5 });
    assert.equal(sharded.account(A_WALLET).available, '100.00');
    assert.equal(sharded.holdView(A_WALLET, '@to-nobody').state, 'voided', 'the transfer\'s hold on the debit shard: @ + its key');
    assert.deepEqual(await sharded.transfer(pay('to-nobody', A_WALLET, unknown, '30.00')), { ...out, repeated: true });
    // A closed account refuses too.
    sharded.openAccount({ idempotencyKey: 'open-closed', now: T0, accountId: unknown, currency: 'EUR', kind: 'nonNegative' });
    sharded.closeAccount({ idempotencyKey: 'close-it', now: T0, accountId: unknown });
    assert.equal((await sharded.transfer(pay('to-closed', A_WALLET, unknown, '1.00'))).code, 'ACCOUNT_ALREADY_CLOSED');
    // Another currency than the account's.
    const usd = { ...pay('in-usd', A_WALLET, B_WALLET, '1.00'), currency: 'USD' };
    assert.equal((await sharded.transfer(usd)).code, 'CURRENCY_MISMATCH');
    assert.equal(sharded.account(A_WALLET).available, '100.00');
    assert.equal(walletTotal(sharded), 30000n);
    assert.equal(sharded.checkSettlement().ok, true);
    sharded.free();
  });

  test('concurrent transfers and repeats of one key: each moves money once', async () => {
    const sharded = await ShardedLedger.load(new MemoryStorage(), KEY, { shardCount: SHARDS });
    await setUp(sharded);
    const calls = [];
    for (let n = 0; n < 20; n++) calls.push(sharded.transfer(pay(`c-${n % 10}`, n % 2 ? A_WALLET : A_WALLET2, B_WALLET, '1.00')));
    const outs = await Promise.all(calls);
    // Keys c-0..c-9 each used by wallets of one parity (n and n+10 share it): same request.
    assert.equal(outs.filter((o) => o.code === 'TRANSFERRED').length, 20);
    assert.equal(outs.filter((o) => o.repeated).length, 10);
    assert.equal(sharded.account(B_WALLET).balance, '110.00');
    assert.equal(walletTotal(sharded), 30000n);
    assert.equal(sharded.checkSettlement().ok, true);
    sharded.free();
  });
});

describe('crashes between the steps, then load()', () => {
  // Appends of a cross-shard transfer after set-up: 1 (A: step 1), 2 (B: settlement account +
  // step 2), 3 (A: step 3), 4 (B: step 4). Crashing at append k leaves steps < k durable.
  const cases = [
    { crashAt: 2, name: 'after step 1 (A held, B not durable)', code: 'voided', aBalance: '100.00', bBalance: '100.00' },
    { crashAt: 3, name: 'after step 2 (both held)', code: 'completed', aBalance: '60.00', bBalance: '140.00' },
    { crashAt: 4, name: 'after step 3 (A posted, B held)', code: 'completed', aBalance: '60.00', bBalance: '140.00' },
  ];
  for (const { crashAt, name, code, aBalance, bBalance } of cases) {
    test(name, async () => {
      const memory = new MemoryStorage();
      const crashing = new CrashingStorage(memory);
      const sharded = await ShardedLedger.load(crashing, KEY, { shardCount: SHARDS });
      await setUp(sharded);
      const total = walletTotal(sharded);
      crashing.appendsLeft = crashAt - 1;
      await assert.rejects(sharded.transfer(pay('t-crash', A_WALLET, B_WALLET, '40.00')), (e) => e instanceof CountersignError && e.code === 'STORAGE_UNAVAILABLE');
      // The object refuses from now on: memory is ahead of storage.
      assert.throws(() => sharded.account(A_WALLET), (e) => e.code === 'STORAGE_UNAVAILABLE');
      sharded.free();
      const loaded = await ShardedLedger.load(memory, KEY);
      assert.equal(loaded.account(A_WALLET).balance, aBalance);
      assert.equal(loaded.account(A_WALLET).debitsPending, '0.00');
      assert.equal(loaded.account(B_WALLET).balance, bBalance);
      assert.equal(walletTotal(loaded), total, 'money conserved');
      assert.deepEqual(loaded.checkSettlement().mismatches, []);
      assert.equal(loaded.checkSettlement().ok, true);
      // Recovery ran at load, exactly once: a second pass finds nothing.
      assert.deepEqual(await loaded.recover(), { completed: 0, voided: 0, unresolved: [] });
      // The caller's retry answers from what was recorded, moving nothing again.
      const retry = await loaded.transfer(pay('t-crash', A_WALLET, B_WALLET, '40.00'));
      assert.equal(retry.repeated, true);
      assert.equal(retry.code, code === 'completed' ? 'TRANSFERRED' : 'HOLD_ALREADY_VOIDED');
      assert.equal(loaded.account(B_WALLET).balance, bBalance);
      assert.equal(walletTotal(loaded), total);
      assert.equal(loaded.checkSettlement().ok, true);
      loaded.free();
      // And what recovery did is durable.
      const third = await ShardedLedger.load(memory, KEY);
      assert.equal(third.account(B_WALLET).balance, bBalance);
      third.free();
    });
  }

  test('recover() on a loaded ledger finishes nothing twice; a load through the same storage object after the crash finishes the transfer', async () => {
    const memory = new MemoryStorage();
    const crashing = new CrashingStorage(memory);
    const sharded = await ShardedLedger.load(crashing, KEY, { shardCount: SHARDS });
    await setUp(sharded);
    crashing.appendsLeft = 2;
    await assert.rejects(sharded.transfer(pay('t-r', A_WALLET, B_WALLET, '1.00')));
    sharded.free();
    // Load on the crashing storage with room: recovery posts A and B (2 appends) at load.
    crashing.appendsLeft = Infinity;
    const loaded = await ShardedLedger.load(crashing, KEY);
    assert.equal(loaded.account(B_WALLET).balance, '101.00');
    assert.equal(loaded.account(A_WALLET).balance, '99.00');
    assert.deepEqual(await loaded.recover(), { completed: 0, voided: 0, unresolved: [] });
    assert.equal(loaded.checkSettlement().ok, true);
    loaded.free();
  });
});

describe('errors and limits', () => {
  test('bad input: typed errors naming the parameter, nothing changed', async () => {
    const sharded = await ShardedLedger.load(new MemoryStorage(), KEY, { shardCount: SHARDS });
    await setUp(sharded);
    const heads = () => Array.from({ length: SHARDS }, (_, i) => sharded.head(i).hash).join();
    const before = heads();
    const bad = async (request, param, Class = RangeError) => {
      await assert.rejects(sharded.transfer(request), (e) => {
        assert.ok(e instanceof Class && e instanceof CountersignError && e.param === param, `${param}: ${e.name} ${e.param} ${e.message}`);
        return true;
      });
    };
    await bad({ ...pay('x', A_WALLET, B_WALLET, '1.001') }, 'request.amount');
    await bad({ ...pay('x', A_WALLET, B_WALLET, 'abc') }, 'request.amount');
    await bad({ ...pay('x', A_WALLET, B_WALLET, '1.00'), currency: 'XXX' }, 'request.currency');
    await bad({ ...pay('x', A_WALLET, B_WALLET, '1.00'), now: -1 }, 'request.now');
    await bad({ ...pay('x', A_WALLET, B_WALLET, '1.00'), extra: 1 }, 'request.extra', TypeError);
    await bad({ ...pay('x', A_WALLET, B_WALLET, '1.00'), now: 32_503_680_000 - LEDGER_SHARD_TRANSFER_HOLD_S + 1 }, 'request.now');
    await bad(pay('@mine', A_WALLET, B_WALLET, '1.00'), 'request.idempotencyKey');
    await bad(pay('k'.repeat(63), A_WALLET, B_WALLET, '1.00'), 'request.idempotencyKey');
    await bad(pay('x', '@1/shard/5/EUR', B_WALLET, '1.00'), 'request.debitAccountId');
    await bad(pay('x', A_WALLET, '@99/x', '1.00'), 'request.creditAccountId');
    await bad(pay('x', A_WALLET, 5, '1.00'), 'request.creditAccountId', TypeError);
    await assert.rejects(sharded.transfer(null), (e) => e instanceof TypeError && e.param === 'request');
    assert.throws(() => sharded.hold({ idempotencyKey: 'h', now: T0, holdId: 'h', debitAccountId: A_WALLET, creditAccountId: B_WALLET, amount: '1.00', currency: 'EUR', expiresAt: T0 + 60 }), (e) => e.param === 'request.creditAccountId');
    assert.throws(() => sharded.hold({ idempotencyKey: 'h', now: T0, holdId: '@h', debitAccountId: A_WALLET, creditAccountId: '@1/issuer', amount: '1.00', currency: 'EUR', expiresAt: T0 + 60 }), (e) => e.param === 'request.holdId');
    assert.throws(() => sharded.openAccount({ idempotencyKey: 'o', now: T0, accountId: '@1/shard/2/EUR', currency: 'EUR', kind: 'unrestricted' }), (e) => e.param === 'request.accountId');
    assert.throws(() => sharded.post(A_WALLET, { idempotencyKey: 'p', now: T0, holdId: '@t-x' }), (e) => e.param === 'request.holdId');
    assert.throws(() => sharded.post(A_WALLET, { idempotencyKey: 'p', now: T0, holdId: 'h', amount: '1.00' }), (e) => e.param === 'request.currency');
    assert.throws(() => sharded.head(SHARDS), (e) => e instanceof RangeError && e.param === 'shard');
    assert.throws(() => sharded.expireDue({ idempotencyKey: 'e', now: 'soon' }), (e) => e.param === 'request.now');
    assert.equal(heads(), before);
    await assert.rejects(ShardedLedger.load(new MemoryStorage(), KEY, { shardCount: 0 }), (e) => e.param === 'options.shardCount');
    await assert.rejects(ShardedLedger.load(new MemoryStorage(), KEY, { shards: 4 }), (e) => e.param === 'options.shards');
    sharded.free();
  });

  test('stored shard count: fixed; another key or a tampered config is refused', async () => {
    const storage = new MemoryStorage();
    (await ShardedLedger.load(storage, KEY, { shardCount: 4 })).free();
    await assert.rejects(ShardedLedger.load(storage, KEY, { shardCount: 8 }), (e) => e.param === 'options.shardCount');
    await assert.rejects(ShardedLedger.load(storage, new Uint8Array(32).fill(1)), (e) => e.code === 'SNAPSHOT_INVALID');
    const stored = await storage.get('ledger-shards/main/config');
    const tampered = stored.value.slice();
    tampered[tampered.length - 40] ^= 1;
    await storage.put('ledger-shards/main/config', tampered, stored.version);
    await assert.rejects(ShardedLedger.load(storage, KEY), (e) => e.code === 'SNAPSHOT_INVALID' || e.code === 'STORAGE_CORRUPT');
  });

  test('holds on one shard (credit a pinned per-shard account), routed post / void / increment / extend, expireDue on every shard', async () => {
    const sharded = await ShardedLedger.load(new MemoryStorage(), KEY, { shardCount: SHARDS });
    await setUp(sharded);
    assert.equal(sharded.openAccount({ idempotencyKey: 'open-m', now: T0, accountId: '@1/merchant', currency: 'EUR', kind: 'nonNegative' }).code, 'ACCOUNT_OPENED');
    const hold = (holdId, expiresAt = T0 + 600) => ({ idempotencyKey: `k-${holdId}`, now: T0 + 1, holdId, debitAccountId: A_WALLET, creditAccountId: '@1/merchant', amount: '20.00', currency: 'EUR', expiresAt });
    assert.equal(sharded.hold(hold('h1')).code, 'HELD');
    assert.equal(sharded.increment(A_WALLET, { idempotencyKey: 'i1', now: T0 + 2, holdId: 'h1', amount: '5.00', currency: 'EUR' }).code, 'INCREMENTED');
    assert.equal(sharded.extend(A_WALLET, { idempotencyKey: 'x1', now: T0 + 2, holdId: 'h1', expiresAt: T0 + 900 }).code, 'EXTENDED');
    assert.equal(sharded.post(A_WALLET, { idempotencyKey: 'p1', now: T0 + 3, holdId: 'h1', amount: '12.00', currency: 'EUR', final: true }).code, 'POSTED');
    assert.equal(sharded.account('@1/merchant').balance, '12.00');
    assert.equal(sharded.hold(hold('h2')).code, 'HELD');
    assert.equal(sharded.void(A_WALLET, { idempotencyKey: 'v2', now: T0 + 3, holdId: 'h2' }).code, 'VOIDED');
    assert.equal(sharded.hold(hold('h3', T0 + 60)).code, 'HELD');
    assert.equal(sharded.holdView(A_WALLET, 'h3').state, 'pending');
    const expired = sharded.expireDue({ idempotencyKey: 'exp-1', now: T0 + 61 });
    assert.equal(expired.length, SHARDS);
    assert.deepEqual(expired[1].expired, ['h3']);
    assert.ok(expired.every((o) => o.code === 'DUE_HOLDS_EXPIRED'));
    assert.equal(sharded.account(A_WALLET).available, '88.00');
    assert.equal(sharded.setCreditLimit({ idempotencyKey: 'cl', now: T0 + 70, accountId: A_WALLET, creditLimit: '5.00', currency: 'EUR' }).code, 'NOT_A_CREDIT_LINE');
    assert.equal(sharded.counts(1).holdsPending, 0);
    assert.equal(await sharded.commit(), true);
    sharded.free();
  });
});

describe('executeBatch on one shard', () => {
  test('opens and funds wallets of one shard; an account of another shard is refused, naming it, and nothing runs', async () => {
    const sharded = await ShardedLedger.load(new MemoryStorage(), KEY, { shardCount: SHARDS });
    await setUp(sharded);
    const wallets = idsOnShards('bulk', [1]).concat(idsOnShards('bulk2', [1]));
    const ops = wallets.flatMap((w) => [
      { op: 'openAccount', request: { idempotencyKey: `bo-${w}`, now: T0, accountId: w, currency: 'EUR', kind: 'nonNegative' } },
    ]).concat(wallets.map((w) => ({ op: 'transfer', request: pay(`bf-${w}`, '@1/issuer', w, '5.00') })));
    const head = sharded.head(1).seq;
    const outOfShard = [...ops, { op: 'transfer', request: pay('bx', '@1/issuer', B_WALLET, '1.00') }];
    assert.throws(() => sharded.executeBatch(1, outOfShard), (e) => e instanceof RangeError && e.param === `operations[${ops.length}].request.creditAccountId`);
    assert.throws(() => sharded.executeBatch(1, [{ op: 'void', request: { idempotencyKey: '@v', now: T0, holdId: 'h' } }]), (e) => e.param === 'operations[0].request.idempotencyKey');
    assert.throws(() => sharded.executeBatch(1, [{ op: 'void', request: { idempotencyKey: 'v', now: T0, holdId: '@h' } }]), (e) => e.param === 'operations[0].request.holdId');
    assert.throws(() => sharded.executeBatch(9, ops), (e) => e.param === 'shard');
    assert.equal(sharded.head(1).seq, head);
    const outs = sharded.executeBatch(1, ops);
    assert.deepEqual(outs.map((o) => o.code), ['ACCOUNT_OPENED', 'ACCOUNT_OPENED', 'TRANSFERRED', 'TRANSFERRED']);
    assert.equal(sharded.account(wallets[1]).balance, '5.00');
    assert.equal(await sharded.commit(), true);
    sharded.free();
  });
});

describe('the key window of a shard', () => {
  /** `count` new keys on shard 0 at T0 (expireDue, committed every 1,024); the codes seen. */
  async function fill(sharded, prefix, count) {
    const codes = new Set();
    for (let i = 0; i < count; i += 1024) {
      const ops = Array.from({ length: Math.min(1024, count - i) }, (_, k) => ({ op: 'expireDue', request: { idempotencyKey: `${prefix}${i + k}`, now: T0 } }));
      for (const o of sharded.executeBatch(0, ops)) codes.add(o.code);
      assert.equal(await sharded.commit(), true);
    }
    return [...codes];
  }
  const next = (sharded, key) => sharded.executeBatch(0, [{ op: 'expireDue', request: { idempotencyKey: key, now: T0 } }])[0].code;

  test(`a new shard journals a window of ${LEDGER_SHARD_KEY_WINDOW_DEFAULT} keys, kept across loads; options.keyWindow chooses it`, async () => {
    const storage = new MemoryStorage();
    const sharded = await ShardedLedger.load(storage, KEY, { shardCount: 2 });
    assert.equal(sharded.head(0).seq, 1, 'setKeyRetention is the first entry of each shard');
    assert.equal(sharded.head(1).seq, 1);
    assert.deepEqual(await fill(sharded, 'e', LEDGER_SHARD_KEY_WINDOW_DEFAULT), ['DUE_HOLDS_EXPIRED']);
    assert.equal(sharded.counts(0).idempotencyKeys, LEDGER_SHARD_KEY_WINDOW_DEFAULT, 'bounded by the window');
    // Every retained key is younger than 300 s: the ledger keeps them, so a new one waits.
    assert.equal(next(sharded, 'one-more'), 'IDEMPOTENCY_KEYS_FULL');
    sharded.free();
    // A load (with another window asked for) keeps the window the shard was created with.
    const loaded = await ShardedLedger.load(storage, KEY, { keyWindow: 32_768 });
    assert.equal(loaded.counts(0).idempotencyKeys, LEDGER_SHARD_KEY_WINDOW_DEFAULT);
    assert.equal(next(loaded, 'one-more'), 'IDEMPOTENCY_KEYS_FULL');
    loaded.free();
    // The ledger's own default: nothing journaled, and the same fill is not refused.
    const wide = await ShardedLedger.load(new MemoryStorage(), KEY, { shardCount: 2, keyWindow: 32_768 });
    assert.equal(wide.head(0).seq, 0);
    await fill(wide, 'e', LEDGER_SHARD_KEY_WINDOW_DEFAULT);
    assert.equal(next(wide, 'one-more'), 'DUE_HOLDS_EXPIRED');
    wide.free();
  });

  test('options.keyWindow out of range or not an integer: typed errors naming it', async () => {
    for (const [keyWindow, Class] of [[4095, RangeError], [32_769, RangeError], [5000.5, RangeError], ['4096', TypeError]]) {
      await assert.rejects(ShardedLedger.load(new MemoryStorage(), KEY, { shardCount: 2, keyWindow }), (e) => e instanceof Class && e.param === 'options.keyWindow');
    }
  });
});

describe('persistence', () => {
  const dirs = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function roundTrip(open) {
    const sharded = await ShardedLedger.load(open(), KEY, { shardCount: SHARDS, name: 'wallets' });
    await setUp(sharded);
    assert.equal((await sharded.transfer(pay('p-1', A_WALLET, B_WALLET, '7.25'))).code, 'TRANSFERRED');
    sharded.hold({ idempotencyKey: 'hh', now: T0 + 20, holdId: 'hh', debitAccountId: B_WALLET, creditAccountId: '@5/issuer', amount: '3.00', currency: 'EUR', expiresAt: T0 + 900 });
    assert.equal(await sharded.commit(), true);
    const digests = Array.from({ length: SHARDS }, (_, i) => Buffer.from(sharded.stateDigest(i)).toString('hex'));
    sharded.free();
    const loaded = await ShardedLedger.load(open(), KEY, { name: 'wallets' });
    assert.deepEqual(Array.from({ length: SHARDS }, (_, i) => Buffer.from(loaded.stateDigest(i)).toString('hex')), digests);
    assert.equal(loaded.account(B_WALLET).available, '104.25');
    assert.equal(loaded.checkSettlement().ok, true);
    loaded.free();
  }

  test('MemoryStorage', async () => {
    const memory = new MemoryStorage();
    await roundTrip(() => memory);
  });

  test('FileStorage', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'countersign-shards-'));
    dirs.push(dir);
    await roundTrip(() => new FileStorage(dir));
  });

  test('PostgresStorage', { skip: SKIP_NO_SERVER }, async () => {
    const tablePrefix = freshPrefix('shards');
    const opened = [];
    try {
      await roundTrip(() => {
        const storage = new PostgresStorage(DATABASE_URL, { tablePrefix });
        opened.push(storage);
        return storage;
      });
    } finally {
      for (const storage of opened) await storage.close();
      await dropTables(tablePrefix);
    }
  });
});
