#!/usr/bin/env node
// Day-long idempotency (issue 10 §2): sustained NEW operations per second of one ledger whose
// idempotency keys a LedgerStore keeps for 24 hours (keyRetentionSeconds 86,400) on PostgreSQL,
// beside the target of 1,000/s. Every operation has a new key, so each one is looked up in the
// store's index first (a miss), executed by the core (whose full window of 32,768 keys forgets its
// oldest key each time) and committed with its sealed index row in the same database statement as
// its log record.
//
//   bash scripts/postgres.sh run -- node bench/ledger-keys.mjs   (a throw-away server; needs a build)
//   KEYS_BENCH_OPS=20000 ...                                      (fewer operations per mode)
//   KEYS_BENCH_STORAGE=memory node bench/ledger-keys.mjs          (MemoryStorage: the SDK's own cost)
//
// Two server shapes, each grouping commits as a server would:
// - `execute`: one `store.execute(ledger, op)` per request (one index read each), a commit every
//   GROUP requests;
// - `executeBatch`: requests gathered into batches of GROUP (one index read per batch), a commit
//   after each batch.
// Not a timed test: it prints numbers, and checks the answers once (balances, a repeat).
import assert from 'node:assert/strict';
import os from 'node:os';
import { LedgerStore, MemoryStorage, PostgresStorage } from '@countersign/sdk';

const OPS = Number(process.env.KEYS_BENCH_OPS ?? 50_000);
/** Operations per commit (and per batch). */
const GROUP = Number(process.env.KEYS_BENCH_GROUP ?? 100);
const WINDOW = 32_768;
const TARGET_PER_S = 1_000;
const T0 = 1_767_225_600;
const KEY = new Uint8Array(32).fill(3);
const DATABASE_URL = process.env.COUNTERSIGN_TEST_DATABASE_URL;
const STORAGE = process.env.KEYS_BENCH_STORAGE ?? (DATABASE_URL ? 'postgres' : 'memory');

let prefixes = 0;
function openStorage() {
  if (STORAGE === 'memory') return new MemoryStorage();
  if (!DATABASE_URL) throw new Error('no COUNTERSIGN_TEST_DATABASE_URL: run through `bash scripts/postgres.sh run -- node bench/ledger-keys.mjs`');
  prefixes += 1;
  return new PostgresStorage(DATABASE_URL, { tablePrefix: `bench_keys_${process.pid}_${prefixes}_` });
}

const pay = (key, now) => ({ op: 'transfer', request: { idempotencyKey: key, now, debitAccountId: 'bank', creditAccountId: 'w', amount: '0.01', currency: 'EUR' } });

/** A store whose ledger's key window is already full (so every new key evicts one). */
async function setUp(mode) {
  const storage = openStorage();
  // Snapshots are what a server writes at quiet times; here every SNAPSHOT_EVERY entries.
  const store = new LedgerStore(storage, KEY, { name: mode, keyRetentionSeconds: 86_400, snapshotEvery: 1 << 16 });
  const ledger = await store.load();
  ledger.openAccount({ idempotencyKey: 'o1', now: T0, accountId: 'bank', currency: 'EUR', kind: 'unrestricted' });
  ledger.openAccount({ idempotencyKey: 'o2', now: T0, accountId: 'w', currency: 'EUR', kind: 'nonNegative' });
  // Bounded: WINDOW / 1000 batches.
  for (let n = 0; ledger.counts().idempotencyKeys < WINDOW; n++) {
    const batch = Array.from({ length: 1000 }, (_, i) => pay(`fill-${n}-${i}`, T0 + n));
    await store.executeBatch(ledger, batch);
    assert.equal(await store.commit(ledger), true);
  }
  return { storage, store, ledger };
}

async function run(mode) {
  const { storage, store, ledger } = await setUp(mode);
  const before = Number(ledger.account('w').balance);
  const now = ledger.clock + 1;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  // Ledger time advances one second per 1,000 operations (the target's density).
  if (mode === 'execute') {
    for (let i = 0; i < OPS; i++) {
      const outcome = await store.execute(ledger, pay(`n-${i}`, now + Math.floor(i / TARGET_PER_S)));
      if (outcome.code !== 'TRANSFERRED' || outcome.repeated) throw new Error(`op ${i}: ${JSON.stringify(outcome)}`);
      if ((i + 1) % GROUP === 0) assert.equal(await store.commit(ledger), true);
    }
  } else {
    for (let i = 0; i < OPS; i += GROUP) {
      const batch = Array.from({ length: Math.min(GROUP, OPS - i) }, (_, k) => pay(`n-${i + k}`, now + Math.floor((i + k) / TARGET_PER_S)));
      const outcomes = await store.executeBatch(ledger, batch);
      if (outcomes.some((o) => o.code !== 'TRANSFERRED' || o.repeated)) throw new Error(`batch at ${i}`);
      assert.equal(await store.commit(ledger), true);
    }
  }
  assert.equal(await store.commit(ledger), true);
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  // Checked once: every operation ran exactly once, and a repeat of the first (forgotten by the
  // window long ago) is answered from the index.
  assert.equal(Math.round((Number(ledger.account('w').balance) - before) * 100), OPS);
  assert.equal(ledger.counts().idempotencyKeys, WINDOW);
  const again = await store.execute(ledger, pay('n-0', ledger.clock));
  assert.deepEqual([again.code, again.repeated], ['TRANSFERRED', true]);
  ledger.free();
  await storage.close();
  return { perSecond: OPS / seconds, cpuPerSecond: OPS / ((cpu.user + cpu.system) / 1e6), seconds };
}

const rows = [];
for (const mode of ['execute', 'executeBatch']) {
  const r = await run(mode);
  rows.push(`| \`${mode}\`, commit every ${GROUP} | ${Math.round(r.perSecond).toLocaleString('en')} | ${(r.perSecond / TARGET_PER_S).toFixed(1)}× | ${Math.round(r.cpuPerSecond).toLocaleString('en')} |`);
}
console.log(`ledger with 24-hour keys on ${STORAGE === 'postgres' ? 'PostgreSQL' : 'MemoryStorage'}: ${OPS.toLocaleString('en')} new operations per mode after the window filled (${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? 'unknown'}, Node ${process.version}, ${new Date().toISOString().slice(0, 16)} UTC)\n`);
console.log('| shape | new operations/s (wall clock) | vs the target 1,000/s | per CPU second of this process |');
console.log('|---|---:|---:|---:|');
for (const row of rows) console.log(row);
