// Sharded ledger benchmark (issue 10, "a million wallets"): builds BENCH_WALLETS wallets (with a
// tenth as many pending holds) across the default 1,024 shards of a ShardedLedger on
// MemoryStorage, then measures in the same run:
//
// - hold + post pairs/s on random wallets of the sharded set against a 10-account Ledger, in
//   interleaved slices (the ratio is the point: cost per operation at that size vs a tiny ledger);
//   each pair is the energy-purchase shape of bench/ledger.mjs (hold 50.00 for 600 s, final post
//   31.17), one SDK call per operation, the clock advancing 1 s per pair; between slices (not
//   timed) both sides commit to their MemoryStorage (the 10-account ledger through a LedgerStore),
//   so the garbage of persisting falls on both alike;
// - transfers between shards per second (the two-phase commit: four holds/posts and four
//   commits each) on MemoryStorage and on FileStorage;
// - `ShardedLedger.load` after a restart (a fresh object on the same storage): MemoryStorage and
//   FileStorage (a copy of the same records in a temporary directory);
// - memory: process.memoryUsage() and the wasm memory's size, after set-up.
//
// Run alone: `node bench/shards.mjs` (BENCH_WALLETS, default 1,000,000); `node bench/run.mjs`
// runs it with BENCH_WALLETS default 20,000 (a quick look; the size matters for the ratio).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as sdk from '@countersign/sdk';
import { wasm } from '../sdk-ts/dist/loader.js';
import { MEASURE_MS } from './measure.mjs';

const KEY = new Uint8Array(32).fill(3);
export const T0 = 1_767_225_600;
/**
 * Interleaved rounds: a slice of each side per round, the ratio taken over all of them. Many
 * short slices, so that load from elsewhere on the machine falls on both sides alike.
 */
export const ROUNDS = 30;
/** Time per slice (a round is two slices). */
export const SLICE_MS = Math.max(25, Math.round(MEASURE_MS / 10));
/** Set-up holds stay pending through the run: deadline 200 days after T0. */
export const SETUP_HOLD_S = 200 * 86_400;
/** Shards copied to or read from storage at once while copying to FileStorage. */
const COPY_CONCURRENCY = 16;
/** Log records read per readLog call while copying. */
const COPY_PAGE = 1000;
/** Transfers between shards measured per storage (each awaits four commits). */
const TRANSFER_MS = Math.max(200, MEASURE_MS);
/** Cap on transfers per measurement. */
const TRANSFERS_MAX = 200_000;

const mib = (bytes) => (bytes / 1048576).toFixed(1);

/**
 * Most pairs per slice: 3,072 journal entries, below a ledger's 4,096 retained (the 10-account
 * ledger's journal is persisted and truncated only between slices).
 */
export const SLICE_PAIRS_MAX = 1536;

/** Runs `body` for about `ms` (checking the clock every 64 calls), at most SLICE_PAIRS_MAX times. */
export function slice(ms, body) {
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms && n + 64 <= SLICE_PAIRS_MAX) {
    for (let k = 0; k < 64; k++, n++) body();
    elapsed = performance.now() - start;
  }
  return { n, ms: elapsed };
}

/**
 * The pair `n` on wallet `w` of a `Ledger` whose merchant is `merchant` (the energy-purchase shape
 * of bench/ledger.mjs: hold 50.00 for 600 s, final post 31.17, the clock 1 s per pair); the post's
 * outcome. Every timed pair must succeed (a refusal, e.g. JOURNAL_FULL, is cheaper and would flatter).
 */
export function pairOnLedger(ledger, n, w, side) {
  const now = T0 + 1 + n;
  ledger.hold({ idempotencyKey: `ph${n}`, now, holdId: `p${n}`, debitAccountId: w, creditAccountId: 'merchant', amount: '50.00', currency: 'EUR', expiresAt: now + 600 });
  const out = ledger.post({ idempotencyKey: `pp${n}`, now, holdId: `p${n}`, amount: '31.17', currency: 'EUR', final: true });
  if (out.code !== 'POSTED') throw new Error(`${side} pair ${n}: ${out.code}`);
  return out;
}

/** A deterministic PRNG (xorshift32): the same wallets are picked in every run. */
export function prng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** Opens `wallets` wallets (`w<n>`) funded with 1,000,000.00 EUR each and `holds` pending holds. */
async function build(storage, wallets, holds) {
  const sharded = await sdk.ShardedLedger.load(storage, KEY);
  const shards = sharded.shardCount;
  const start = performance.now();
  const shardOf = new Uint16Array(wallets);
  const byShard = Array.from({ length: shards }, () => []);
  for (let n = 0; n < wallets; n++) {
    const s = sharded.shardOf(`w${n}`);
    shardOf[n] = s;
    byShard[s].push(n);
  }
  const batches = (shard, ops) => {
    for (let i = 0; i < ops.length; i += sdk.LEDGER_BATCH_OPERATIONS_MAX) {
      for (const o of sharded.executeBatch(shard, ops.slice(i, i + sdk.LEDGER_BATCH_OPERATIONS_MAX))) {
        assert.ok(['ACCOUNT_OPENED', 'TRANSFERRED', 'HELD'].includes(o.code), o.code);
      }
    }
  };
  for (let s = 0; s < shards; s++) {
    const open = (accountId, kind) => ({ op: 'openAccount', request: { idempotencyKey: `o-${accountId}`, now: T0, accountId, currency: 'EUR', kind } });
    batches(s, [open(`@${s}/issuer`, 'unrestricted'), open(`@${s}/merchant`, 'nonNegative'), ...byShard[s].map((n) => open(`w${n}`, 'nonNegative'))]);
  }
  await sharded.commit();
  for (let s = 0; s < shards; s++) {
    batches(s, byShard[s].map((n) => ({ op: 'transfer', request: { idempotencyKey: `f-w${n}`, now: T0, debitAccountId: `@${s}/issuer`, creditAccountId: `w${n}`, amount: '1000000.00', currency: 'EUR' } })));
  }
  await sharded.commit();
  const pick = prng(7);
  const holdsByShard = Array.from({ length: shards }, () => []);
  for (let h = 0; h < holds; h++) {
    const n = pick() % wallets;
    const s = shardOf[n];
    holdsByShard[s].push({ op: 'hold', request: { idempotencyKey: `sh-${h}`, now: T0, holdId: `sh-${h}`, debitAccountId: `w${n}`, creditAccountId: `@${s}/merchant`, amount: '10.00', currency: 'EUR', expiresAt: T0 + SETUP_HOLD_S } });
  }
  for (let s = 0; s < shards; s++) batches(s, holdsByShard[s]);
  await sharded.commit();
  const setupMs = performance.now() - start;
  let pending = 0;
  let accountsMax = 0;
  for (let s = 0; s < shards; s++) {
    const c = sharded.counts(s);
    pending += c.holdsPending;
    accountsMax = Math.max(accountsMax, c.accounts);
  }
  assert.equal(pending, holds);
  return { sharded, shardOf, setupMs, accountsMax };
}

/** The 10-account ledger of the comparison: issuer, merchant, eight wallets, and its store. */
async function smallLedger() {
  const store = new sdk.LedgerStore(new sdk.MemoryStorage(), KEY, { name: 'small' });
  const ledger = await store.load();
  const ops = [
    { op: 'openAccount', request: { idempotencyKey: 'o-issuer', now: T0, accountId: 'issuer', currency: 'EUR', kind: 'unrestricted' } },
    { op: 'openAccount', request: { idempotencyKey: 'o-merchant', now: T0, accountId: 'merchant', currency: 'EUR', kind: 'nonNegative' } },
  ];
  for (let n = 0; n < 8; n++) {
    ops.push({ op: 'openAccount', request: { idempotencyKey: `o-w${n}`, now: T0, accountId: `w${n}`, currency: 'EUR', kind: 'nonNegative' } });
  }
  for (let n = 0; n < 8; n++) {
    ops.push({ op: 'transfer', request: { idempotencyKey: `f-w${n}`, now: T0, debitAccountId: 'issuer', creditAccountId: `w${n}`, amount: '1000000000.00', currency: 'EUR' } });
  }
  for (const o of ledger.executeBatch(ops)) assert.ok(['ACCOUNT_OPENED', 'TRANSFERRED'].includes(o.code));
  assert.equal(await store.commit(ledger), true);
  return { small: ledger, smallStore: store };
}

/** Copies every record of `from` (the sharded ledger `main` with `shards` shards) to `to`. */
async function copyStorage(from, to, shards) {
  const config = await from.get('ledger-shards/main/config');
  assert.equal((await to.put('ledger-shards/main/config', config.value, null)).ok, true);
  let next = 0;
  const worker = async () => {
    while (next < shards) {
      const s = next++;
      const base = `ledger/main/shard-${s}/`;
      const snapshot = await from.get(`${base}snapshot`);
      if (snapshot !== null) assert.equal((await to.put(`${base}snapshot`, snapshot.value, null)).ok, true);
      for (let after = 0; ; ) {
        const records = await from.readLog(`${base}journal`, { after, limit: COPY_PAGE });
        if (records.length === 0) break;
        for (const { seq, record } of records) {
          assert.equal(await to.append(`${base}journal`, record, seq), seq);
          after = seq;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: COPY_CONCURRENCY }, worker));
}

/** Transfers between random wallets of different shards for about `ms`; transfers/s. */
async function crossTransfers(sharded, shardOf, wallets, label, ms) {
  const pick = prng(label.length * 7919);
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms && n < TRANSFERS_MAX) {
    const a = pick() % wallets;
    let b = pick() % wallets;
    if (shardOf[a] === shardOf[b]) b = (b + 1) % wallets;
    if (shardOf[a] === shardOf[b]) continue;
    const out = await sharded.transfer({ idempotencyKey: `x-${label}-${n}`, now: T0 + 1, debitAccountId: `w${a}`, creditAccountId: `w${b}`, amount: '1.00', currency: 'EUR' });
    assert.equal(out.code, 'TRANSFERRED');
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

export async function measureShards({ wallets, log = (line) => process.stderr.write(`${line}\n`) }) {
  const holds = Math.floor(wallets / 10);
  const memory = new sdk.MemoryStorage();
  const rssBefore = process.memoryUsage().rss;
  log(`shards: building ${wallets.toLocaleString('en-US')} wallets and ${holds.toLocaleString('en-US')} pending holds …`);
  const { sharded, shardOf, setupMs, accountsMax } = await build(memory, wallets, holds);
  global.gc?.();
  const mem = process.memoryUsage();
  const wasmBytes = wasm().initSync().memory.buffer.byteLength;
  log(`shards: set up in ${(setupMs / 1000).toFixed(1)} s; rss ${mib(mem.rss)} MiB, wasm memory ${mib(wasmBytes)} MiB`);

  // Pairs: check both sides once, then interleaved slices.
  const { small, smallStore } = await smallLedger();
  const pick = prng(12345);
  let p = 0;
  let q = 0;
  // Wallets of shard 0 only: one ~1,000-account ledger, to tell the size of a shard from the
  // switching between 1,024 of them.
  const shard0 = [];
  for (let n = 0; n < wallets; n++) if (shardOf[n] === 0) shard0.push(n);
  let pickShard0 = false;
  const shardedPair = () => {
    const n = pickShard0 ? shard0[pick() % shard0.length] : pick() % wallets;
    const s = shardOf[n];
    const w = `w${n}`;
    const now = T0 + 1 + p;
    sharded.hold({ idempotencyKey: `ph${p}`, now, holdId: `p${p}`, debitAccountId: w, creditAccountId: `@${s}/merchant`, amount: '50.00', currency: 'EUR', expiresAt: now + 600 });
    const out = sharded.post(w, { idempotencyKey: `pp${p}`, now, holdId: `p${p}`, amount: '31.17', currency: 'EUR', final: true });
    p++;
    // Every timed pair must succeed (a refusal, e.g. JOURNAL_FULL, is cheaper and would flatter).
    if (out.code !== 'POSTED') throw new Error(`sharded pair ${p}: ${out.code}`);
    return out;
  };
  const smallPair = () => {
    const n = q++;
    return pairOnLedger(small, n, `w${n % 8}`, '10-account');
  };
  assert.equal(shardedPair().code, 'POSTED');
  assert.equal(smallPair().code, 'POSTED');
  const totals = { sharded: { n: 0, ms: 0 }, small: { n: 0, ms: 0 }, shard0: { n: 0, ms: 0 } };
  const ratios = [];
  for (let round = 0; round < ROUNDS; round++) {
    const a = slice(SLICE_MS, shardedPair);
    const b = slice(SLICE_MS, smallPair);
    pickShard0 = true;
    const c = slice(SLICE_MS, shardedPair);
    pickShard0 = false;
    totals.shard0.n += c.n;
    totals.shard0.ms += c.ms;
    // Not timed: both persist (and so truncate their journals) between slices.
    assert.equal(await sharded.commit(), true);
    assert.equal(await smallStore.commit(small), true);
    totals.sharded.n += a.n;
    totals.sharded.ms += a.ms;
    totals.small.n += b.n;
    totals.small.ms += b.ms;
    ratios.push(a.n / a.ms / (b.n / b.ms));
  }
  small.checkInvariants();
  small.free();
  const shardedPairs = totals.sharded.n / (totals.sharded.ms / 1000);
  const smallPairs = totals.small.n / (totals.small.ms / 1000);
  const shard0Pairs = totals.shard0.n / (totals.shard0.ms / 1000);
  ratios.sort((x, y) => x - y);
  const ratioMedian = ratios[Math.floor(ratios.length / 2)];

  log('shards: transfers between shards (MemoryStorage) …');
  const transfersMemory = await crossTransfers(sharded, shardOf, wallets, 'mem', TRANSFER_MS);
  const settlementStart = performance.now();
  const settlement = sharded.checkSettlement();
  const settlementMs = performance.now() - settlementStart;
  assert.equal(settlement.ok, true);
  const digest5 = Buffer.from(sharded.stateDigest(5)).toString('hex');
  await sharded.commit();
  sharded.free();

  log('shards: load after a restart (MemoryStorage) …');
  let start = performance.now();
  const fromMemory = await sdk.ShardedLedger.load(memory, KEY);
  const loadMemoryMs = performance.now() - start;
  assert.equal(Buffer.from(fromMemory.stateDigest(5)).toString('hex'), digest5);
  fromMemory.free();

  const dir = mkdtempSync(path.join(tmpdir(), 'countersign-shards-bench-'));
  try {
    log(`shards: copying the records to FileStorage (${dir}) …`);
    const file = new sdk.FileStorage(dir);
    await copyStorage(memory, file, 1024);
    log('shards: load after a restart (FileStorage) …');
    start = performance.now();
    const fromFile = await sdk.ShardedLedger.load(new sdk.FileStorage(dir), KEY);
    const loadFileMs = performance.now() - start;
    assert.equal(Buffer.from(fromFile.stateDigest(5)).toString('hex'), digest5);
    log('shards: transfers between shards (FileStorage) …');
    const transfersFile = await crossTransfers(fromFile, shardOf, wallets, 'file', TRANSFER_MS);
    fromFile.free();
    return {
      wallets, holds, shards: 1024, accountsMax, setupMs, rss: mem.rss, rssGrowth: mem.rss - rssBefore, heapUsed: mem.heapUsed, external: mem.external, wasmBytes,
      shardedPairs, smallPairs, shard0Pairs, shard0Wallets: shard0.length, ratio: shardedPairs / smallPairs, ratioMedian, ratioMin: ratios[0], ratioMax: ratios.at(-1),
      transfersMemory, transfersFile, loadMemoryMs, loadFileMs, settlementMs, settlementPairs: settlement.pairs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (x) => Math.round(x).toLocaleString('en-US');

export function shardsTable(r) {
  return [
    `| sharded ledger: ${fmt(r.wallets)} wallets, ${fmt(r.holds)} pending holds, ${r.shards} shards (fullest ${fmt(r.accountsMax)} accounts) | value |`,
    '|---|---:|',
    `| hold + post pairs/s, random wallets of the sharded set | ${fmt(r.shardedPairs)} |`,
    `| hold + post pairs/s, 10-account Ledger (interleaved slices) | ${fmt(r.smallPairs)} |`,
    `| hold + post pairs/s, random wallets of shard 0 only (${fmt(r.shard0Wallets)} wallets: one shard's size, no switching) | ${fmt(r.shard0Pairs)} (${(r.shard0Pairs / r.smallPairs).toFixed(3)} of 10-account) |`,
    `| ratio sharded / 10-account (all slices; median, min–max of ${ROUNDS} rounds) | ${r.ratio.toFixed(3)} (${r.ratioMedian.toFixed(3)}, ${r.ratioMin.toFixed(3)}–${r.ratioMax.toFixed(3)}) |`,
    `| transfers between shards/s (2PC, 4 commits each), MemoryStorage | ${fmt(r.transfersMemory)} |`,
    `| transfers between shards/s, FileStorage (fsync per commit) | ${fmt(r.transfersFile)} |`,
    `| \`ShardedLedger.load\` after a restart, MemoryStorage | ${fmt(r.loadMemoryMs)} ms |`,
    `| \`ShardedLedger.load\` after a restart, FileStorage | ${fmt(r.loadFileMs)} ms |`,
    `| set-up (open + fund wallets, place holds, commit), MemoryStorage | ${(r.setupMs / 1000).toFixed(1)} s |`,
    `| \`checkSettlement()\` (${fmt(r.settlementPairs)} pairs) | ${fmt(r.settlementMs)} ms |`,
    `| memory after set-up: rss / heap used / external / wasm memory | ${mib(r.rss)} / ${mib(r.heapUsed)} / ${mib(r.external)} / ${mib(r.wasmBytes)} MiB |`,
  ];
}
