// Day-long idempotency (issue 10 §2): a simulated day of ledger time in seconds of wall time,
// through a LedgerStore with keyRetentionSeconds 86,400 on MemoryStorage (always) and on
// PostgreSQL (when COUNTERSIGN_TEST_DATABASE_URL is set: scripts/test.sh runs the tests inside
// scripts/postgres.sh). A burst of 100,000 new operations at 1,000 per second of ledger time
// overflows the ledger's window of 32,768 keys three times; sparse operations go on through the
// day; repeats at ages 1 s to 24 h get their stored answer and never run twice (the balance counts
// every execution), a changed request under an old key is IDEMPOTENCY_KEY_REUSED, and a repeat
// after 24 h + 1 s runs anew: the contract, like Stripe's 24 hours. The snapshot stays bounded by
// the window; a restarted store loads all of it; replaying the stored log gives the same state.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CountersignError, Ledger, LedgerStore, MemoryStorage, PostgresStorage } from '@countersign/sdk';
import { DATABASE_URL, dropTables, freshPrefix, SKIP_NO_SERVER } from './postgres-server.mjs';
import { hex } from './helpers.mjs';

const SNAPSHOT_KEY = new Uint8Array(32).fill(0x5a);
const DAY = 86_400;
const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z
const BURST = 100_000; // new operations in the burst
const DENSITY = 1_000; // new operations per second of ledger time in the burst
const SPARSE_EVERY_S = 300; // one new operation every 5 minutes through the rest of the day
const WINDOW = 32_768; // the core's IDEMPOTENCY_KEYS_MAX
const OPTIONS = { name: 'day', keyRetentionSeconds: DAY, snapshotEvery: 20_000 };

/** A new operation: one cent from the bank to the wallet (the wallet's balance counts executions). */
function pay(key, now, amount = '0.01') {
  return { op: 'transfer', request: { idempotencyKey: key, now, debitAccountId: 'bank', creditAccountId: 'w', amount, currency: 'EUR' } };
}

function cents(ledger) {
  return Math.round(Number(ledger.account('w').balance) * 100);
}

/** Every entry of the store's journal log, from the start (the record format of LedgerStore). */
async function loggedEntries(storage) {
  const entries = [];
  // Bounded: the log has one record per 48 entries of this test (about 2,100 records).
  for (let after = 0; ; ) {
    const page = await storage.readLog('ledger/day/journal', { after, limit: 1000 });
    if (page.length === 0) return entries;
    for (const { seq, record } of page) {
      after = seq;
      const view = new DataView(record.buffer, record.byteOffset, record.length - 32); // the tag last
      const count = view.getUint32(8) & 0x7fff_ffff;
      let at = 12;
      for (let i = 0; i < count; i++) {
        const length = view.getUint32(at);
        entries.push(record.slice(at + 4, at + 4 + length));
        at += 4 + length;
      }
    }
  }
}

async function simulatedDay(open) {
  const started = Date.now();
  const storage = open();
  const store = new LedgerStore(storage, SNAPSHOT_KEY, OPTIONS);
  const ledger = await store.load();
  assert.equal(ledger.keysKeptBy, 'store', 'a new ledger is told the store keeps its keys');
  const setup = [
    { op: 'openAccount', request: { idempotencyKey: 'open-bank', now: T0, accountId: 'bank', currency: 'EUR', kind: 'unrestricted' } },
    { op: 'openAccount', request: { idempotencyKey: 'open-w', now: T0, accountId: 'w', currency: 'EUR', kind: 'nonNegative' } },
  ];
  for (const operation of setup) assert.equal((await store.execute(ledger, operation)).code, 'ACCOUNT_OPENED');
  let executed = 0; // the wallet's balance in cents must always equal this
  const seqOf = new Map(); // the original seq of the keys the test repeats later

  // The burst: 1,000 new operations per second of ledger time, committed once per second.
  let snapshotAtFullWindow = 0;
  for (let second = 0; second < BURST / DENSITY; second++) {
    const batch = Array.from({ length: DENSITY }, (_, i) => pay(`A-${second * DENSITY + i}`, T0 + second));
    const outcomes = await store.executeBatch(ledger, batch);
    outcomes.forEach((outcome, i) => {
      assert.equal(outcome.code, 'TRANSFERRED', `A-${second * DENSITY + i}`);
      assert.equal(outcome.repeated, false);
      seqOf.set(`A-${second * DENSITY + i}`, outcome.seq);
    });
    executed += DENSITY;
    assert.equal(await store.commit(ledger), true);
    if (snapshotAtFullWindow === 0 && ledger.counts().idempotencyKeys === WINDOW) snapshotAtFullWindow = ledger.snapshot(SNAPSHOT_KEY).length;
  }
  assert.equal(cents(ledger), executed);
  assert.equal(ledger.counts().idempotencyKeys, WINDOW, 'the window stays at its bound');
  assert.ok(snapshotAtFullWindow > 0);

  /** Repeats `key` (sent again at `now`) and checks it got its stored answer without running. */
  async function repeat(key, now, label) {
    const outcome = await store.execute(ledger, pay(key, now));
    assert.deepEqual(outcome, { code: 'TRANSFERRED', seq: seqOf.get(key), repeated: true, hold: null, expired: [] }, `${label}: ${key}`);
    assert.equal(cents(ledger), executed, `${label}: not executed twice`);
  }

  // Age 1 s: the newest key (the ledger's own window answers) and a forgotten one the store answers
  // (A-9 was forgotten 33 s into the burst).
  const last = T0 + BURST / DENSITY - 1;
  await repeat(`A-${BURST - 1}`, last + 1, 'age 1 s, in the window');
  await repeat('A-9', T0 + 1, 'a forgotten key, age 1 s (time never runs backwards: max(now, clock))');

  // The rest of the day: sparse new operations, and repeats at the ages the contract names.
  const probes = new Map([
    [600, () => repeat('A-0', T0 + 600, 'age 10 min')],
    [3_600, async () => {
      await repeat('A-1', T0 + 3_600, 'age 1 h');
      // In a batch with a linked chain: the repeat stands with the new operation after it.
      const outcomes = await store.executeBatch(ledger, [{ ...pay('A-2', T0 + 3_600), linked: true }, pay('chain-new', T0 + 3_600)]);
      assert.deepEqual(outcomes.map((o) => [o.code, o.repeated]), [['TRANSFERRED', true], ['TRANSFERRED', false]]);
      assert.equal(outcomes[0].seq, seqOf.get('A-2'));
      executed += 1;
    }],
    [12 * 3_600, async () => {
      await repeat('A-3', T0 + 12 * 3_600, 'age 12 h');
      // Another request under an old key: refused, nothing done.
      const changed = await store.execute(ledger, pay('A-4', T0 + 12 * 3_600, '0.02'));
      assert.deepEqual([changed.code, changed.seq, changed.repeated], ['IDEMPOTENCY_KEY_REUSED', 0, false]);
      assert.equal(cents(ledger), executed);
    }],
    [DAY - 60, () => repeat('A-5', T0 + DAY - 60, 'age 23 h 59 min')],
    [DAY, () => repeat('A-6', T0 + DAY, 'age 24 h exactly')],
    [DAY + 1, async () => {
      // Past the retention: forgotten by the store too; the operation runs as a new one.
      const anew = await store.execute(ledger, pay('A-7', T0 + DAY + 1));
      assert.deepEqual([anew.code, anew.repeated], ['TRANSFERRED', false]);
      assert.ok(anew.seq > seqOf.get(`A-${BURST - 1}`));
      executed += 1;
      assert.equal(cents(ledger), executed);
    }],
  ]);
  let sparse = 0;
  // Bounded: one step per SPARSE_EVERY_S over a day, plus the probes.
  const times = new Set([...probes.keys()]);
  for (let s = SPARSE_EVERY_S; s <= DAY; s += SPARSE_EVERY_S) times.add(s);
  for (const s of [...times].sort((a, b) => a - b)) {
    if (s >= BURST / DENSITY && s % SPARSE_EVERY_S === 0) {
      const outcome = await store.execute(ledger, pay(`S-${sparse}`, T0 + s));
      assert.deepEqual([outcome.code, outcome.repeated], ['TRANSFERRED', false]);
      sparse += 1;
      executed += 1;
    }
    await probes.get(s)?.();
    assert.equal(await store.commit(ledger), true);
  }
  assert.equal(cents(ledger), executed);
  assert.equal(sparse, DAY / SPARSE_EVERY_S);
  const snapshotAtEnd = ledger.snapshot(SNAPSHOT_KEY).length;
  // Over 100,000 keys went through; the snapshot holds the window's 32,768. It grew only by the
  // bytes of longer keys and seqs ("A-99999" against "A-999", seq 100,000 against 30,000 in CBOR).
  assert.equal(ledger.counts().idempotencyKeys, WINDOW);
  assert.ok(snapshotAtEnd <= snapshotAtFullWindow * 1.05, `snapshot ${snapshotAtEnd} bytes at the end, ${snapshotAtFullWindow} when the window first filled`);

  // A restarted process (a new adapter and store on the same data) loads all of it.
  const digest = hex(ledger.stateDigest());
  const reopened = open(storage);
  const store2 = new LedgerStore(reopened, SNAPSHOT_KEY, OPTIONS);
  const loaded = await store2.load();
  assert.equal(hex(loaded.stateDigest()), digest);
  assert.equal(loaded.keysKeptBy, 'store');
  // A key the window forgot during the day, still within 24 h, is answered after the restart.
  const key = 'A-67000';
  const alone = loaded.copy();
  assert.equal(alone.execute(pay(key, loaded.clock)).repeated, false, 'the ledger alone no longer knows it');
  alone.free();
  const again = await store2.execute(loaded, pay(key, loaded.clock));
  assert.deepEqual([again.code, again.seq, again.repeated], ['TRANSFERRED', seqOf.get(key), true]);
  assert.equal(cents(loaded), executed);
  // Without keyRetentionSeconds the stored ledger is refused (its forgotten keys would run again).
  await assert.rejects(new LedgerStore(reopened, SNAPSHOT_KEY, { name: 'day' }).load(), (e) => e instanceof CountersignError && e.param === 'options.keyRetentionSeconds');

  // Replaying the whole stored log reproduces the state, the mode included.
  const replayed = Ledger.replay(await loggedEntries(reopened));
  assert.equal(hex(replayed.stateDigest()), digest);
  for (const l of [ledger, loaded, replayed]) l.free();
  return { seconds: (Date.now() - started) / 1000, executed, snapshotAtFullWindow, snapshotAtEnd };
}

describe('a simulated day of 24-hour idempotency keys', () => {
  test('MemoryStorage', { timeout: 120_000 }, async () => {
    const storage = new MemoryStorage();
    const result = await simulatedDay(() => storage);
    assert.ok(result.seconds < 90, `took ${result.seconds} s`);
    console.log(`# day on MemoryStorage: ${JSON.stringify(result)}`);
  });

  test('PostgresStorage', { skip: SKIP_NO_SERVER, timeout: 180_000 }, async () => {
    const tablePrefix = freshPrefix('day');
    const opened = [];
    try {
      const result = await simulatedDay(() => {
        const storage = new PostgresStorage(DATABASE_URL, { tablePrefix });
        opened.push(storage);
        return storage;
      });
      assert.ok(result.seconds < 90, `took ${result.seconds} s`);
      console.log(`# day on PostgresStorage: ${JSON.stringify(result)}`);
    } finally {
      for (const storage of opened) await storage.close();
      await dropTables(tablePrefix);
    }
  });

  test('two processes racing one new key: the log\'s compare-and-swap settles it, the loser reloads and gets the stored answer', async () => {
    const storage = new MemoryStorage();
    const open = async () => {
      const store = new LedgerStore(storage, SNAPSHOT_KEY, { name: 'race', keyRetentionSeconds: DAY });
      return { store, ledger: await store.load() };
    };
    const a = await open();
    for (const operation of [
      { op: 'openAccount', request: { idempotencyKey: 'open-bank', now: T0, accountId: 'bank', currency: 'EUR', kind: 'unrestricted' } },
      { op: 'openAccount', request: { idempotencyKey: 'open-w', now: T0, accountId: 'w', currency: 'EUR', kind: 'nonNegative' } },
    ]) await a.store.execute(a.ledger, operation);
    assert.equal(await a.store.commit(a.ledger), true);
    const b = await open();
    // Both execute the same new operation; A commits first.
    const first = await a.store.execute(a.ledger, pay('race', T0));
    assert.equal((await b.store.execute(b.ledger, pay('race', T0))).repeated, false);
    assert.equal(await a.store.commit(a.ledger), true);
    assert.equal(await b.store.commit(b.ledger), false, 'B lost the position: nothing of it is in');
    // A goes on until the window has forgotten "race"; B reloads and retries.
    for (let n = 0; n < 33; n++) {
      await a.store.executeBatch(a.ledger, Array.from({ length: 1000 }, (_, i) => pay(`more-${n}-${i}`, T0 + n)));
      assert.equal(await a.store.commit(a.ledger), true);
    }
    b.ledger.free();
    const reloaded = await b.store.load();
    const again = await b.store.execute(reloaded, pay('race', T0 + 60));
    assert.deepEqual([again.code, again.seq, again.repeated], ['TRANSFERRED', first.seq, true]);
    assert.equal(cents(reloaded), 1 + 33_000, 'executed once');
    a.ledger.free();
    reloaded.free();
  });

  test('a store without a keyed index refuses keyRetentionSeconds; an index row forged or from another ledger is STORAGE_CORRUPT, never an answer', async () => {
    /** An adapter delegating to `target` (a caller's object: the SDK reads its methods once). */
    const delegate = (target, methods) => Object.fromEntries(methods.map((m) => [m, (...args) => target[m](...args)]));
    const BASIC = ['get', 'put', 'append', 'readLog', 'list', 'close'];
    const noIndex = delegate(new MemoryStorage(), BASIC);
    assert.throws(() => new LedgerStore(noIndex, SNAPSHOT_KEY, { keyRetentionSeconds: DAY }), (e) => e.code === 'INVALID_ARGUMENT' && e.param === 'storage');
    assert.throws(() => new LedgerStore(new MemoryStorage(), SNAPSHOT_KEY, { keyRetentionSeconds: 0 }), (e) => e.param === 'options.keyRetentionSeconds');
    assert.throws(() => new LedgerStore({ ...noIndex, indexGet: () => [] }, SNAPSHOT_KEY), (e) => e.code === 'INVALID_TYPE' && e.param === 'storage', 'part of the index');

    // Two ledgers on one storage; the second's index rows are moved under the first's keys.
    const storage = new MemoryStorage();
    const rows = new Map();
    const spy = delegate(storage, [...BASIC, 'indexGet', 'indexPurge']);
    spy.appendIndexed = async (log, record, seq, index, given) => {
      for (const row of given) rows.set(`${index}|${row.key}`, row);
      return storage.appendIndexed(log, record, seq, index, given);
    };
    const a = new LedgerStore(spy, SNAPSHOT_KEY, { name: 'a', keyRetentionSeconds: DAY });
    const la = await a.load();
    await a.execute(la, { op: 'openAccount', request: { idempotencyKey: 'open-bank', now: T0, accountId: 'bank', currency: 'EUR', kind: 'unrestricted' } });
    await a.execute(la, { op: 'openAccount', request: { idempotencyKey: 'open-w', now: T0, accountId: 'w', currency: 'EUR', kind: 'nonNegative' } });
    assert.equal((await a.execute(la, pay('k', T0))).code, 'TRANSFERRED');
    await a.commit(la);
    const b = new LedgerStore(spy, SNAPSHOT_KEY, { name: 'b', keyRetentionSeconds: DAY });
    const lb = await b.load();
    await b.execute(lb, pay('forged', T0)); // UNKNOWN_ACCOUNT in b, journaled
    await b.commit(lb);
    // Fill a's window so that "forged" is a key a's ledger does not know, then plant b's row.
    const batch = (n) => Array.from({ length: 1000 }, (_, i) => pay(`f-${n}-${i}`, T0 + n));
    for (let n = 0; n < 33; n++) {
      await a.executeBatch(la, batch(n));
      await a.commit(la);
    }
    const planted = rows.get('ledger/b/keys|forged');
    await storage.appendIndexed('other-log', new Uint8Array(1), 1, 'ledger/a/keys', [{ ...planted }]);
    await assert.rejects(a.execute(la, pay('forged', T0 + 40)), (e) => e.code === 'STORAGE_CORRUPT');
    // A row whose bytes were changed: refused the same way.
    const genuine = rows.get('ledger/a/keys|k');
    const tampered = genuine.value.slice();
    tampered[20] ^= 1;
    await storage.appendIndexed('other-log', new Uint8Array(1), 2, 'ledger/a/keys', [{ key: 'k', value: tampered, time: genuine.time }]);
    await assert.rejects(a.execute(la, pay('k', T0 + 40)), (e) => e.code === 'STORAGE_CORRUPT');
    // A genuine row of this ledger moved under another key: its entry is not that key's.
    const balance = la.account('w').balance;
    await storage.appendIndexed('other-log', new Uint8Array(1), 3, 'ledger/a/keys', [{ ...genuine, key: 'f-0-0' }]);
    await assert.rejects(a.execute(la, pay('f-0-0', T0 + 40)), (e) => e.code === 'STORAGE_CORRUPT');
    await assert.rejects(a.executeBatch(la, [pay('f-0-0', T0 + 40), pay('brand-new', T0 + 40)]), (e) => e.code === 'STORAGE_CORRUPT', 'a batch is not run over a corrupt row');
    assert.equal(la.account('w').balance, balance, 'nothing ran');
    // The genuine row answers.
    await storage.appendIndexed('other-log', new Uint8Array(1), 4, 'ledger/a/keys', [genuine]);
    assert.equal((await a.execute(la, pay('k', T0 + 40))).repeated, true);
    la.free();
    lb.free();
  });

  test('rows past the retention are purged by commits, at most once a minute of ledger time; a failed purge does not fail the commit', async () => {
    const storage = new MemoryStorage();
    let failPurge = false;
    const purges = [];
    const adapter = Object.fromEntries(['get', 'put', 'append', 'readLog', 'list', 'close', 'appendIndexed', 'indexGet'].map((m) => [m, (...args) => storage[m](...args)]));
    adapter.indexPurge = async (index, before) => {
      purges.push(before);
      if (failPurge) throw new Error('database away');
      return storage.indexPurge(index, before);
    };
    const store = new LedgerStore(adapter, SNAPSHOT_KEY, { name: 'purge', keyRetentionSeconds: 100 });
    const ledger = await store.load();
    await store.execute(ledger, { op: 'openAccount', request: { idempotencyKey: 'open-bank', now: T0, accountId: 'bank', currency: 'EUR', kind: 'unrestricted' } });
    await store.execute(ledger, { op: 'openAccount', request: { idempotencyKey: 'open-w', now: T0, accountId: 'w', currency: 'EUR', kind: 'nonNegative' } });
    await store.execute(ledger, pay('old', T0));
    assert.equal(await store.commit(ledger), true);
    await store.execute(ledger, pay('t30', T0 + 30));
    assert.equal(await store.commit(ledger), true); // within a minute of the last purge: none
    failPurge = true;
    await store.execute(ledger, pay('t150', T0 + 150));
    assert.equal(await store.commit(ledger), true, 'committed although the purge failed');
    failPurge = false;
    await store.execute(ledger, pay('t151', T0 + 151));
    assert.equal(await store.commit(ledger), true); // retried
    assert.deepEqual(purges, [T0 - 100, T0 + 50, T0 + 51]);
    // At ledger time T0 + 151 with a retention of 100 s: rows from before T0 + 51 are gone.
    assert.deepEqual((await storage.indexGet('ledger/purge/keys', ['old', 't30', 't150', 't151'])).map((r) => r.key).sort(), ['t150', 't151']);
    ledger.free();
  });
});
