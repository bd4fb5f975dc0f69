// One big ledger through the SDK (issue 10, "a million wallets", the other choice than
// bench/ledger-shards.mjs): BENCH_WALLETS wallets (default 1,000,000) and a tenth as many pending
// holds in ONE `Ledger` whose capacity is raised for them (`Ledger.create({ accountsMax,
// holdsMax })`, the store keeping the keys' long tail: `setKeyRetention({ keysKeptBy: 'store' })`),
// measured in the same run against a 10-account `Ledger`:
//
// - hold + post pairs/s on random wallets against the 10-account ledger, in interleaved slices,
//   one SDK call per operation (the shape of bench/ledger-shards.mjs and bench/ledger.mjs: hold
//   50.00 for 600 s, final post 31.17, the clock 1 s per pair). Between slices (not timed) both
//   truncate their journals, as a persisting caller does after each commit;
// - the load time after a restart: `snapshot` (encode) and `Ledger.restore` (decode and check
//   every invariant) of the whole state, and its bytes;
// - memory: the wasm memory and the process's rss.
//
// Run alone: `node bench/ledger-one.mjs` (BENCH_WALLETS, BENCH_KEY_WINDOW, and BENCH_PICK_WALLETS to
// draw the timed pairs' wallets from fewer); `node bench/run.mjs` runs it as the
// part "one-ledger".

import assert from 'node:assert/strict';
import * as sdk from '@countersign/sdk';
import { wasm } from '../sdk-ts/dist/loader.js';
// The sharded bench's clock, rounds, slices and wallet picks: both compare with a 10-account ledger alike.
import { ROUNDS as SHARDS_ROUNDS, SETUP_HOLD_S, SLICE_MS, SLICE_PAIRS_MAX, T0, pairOnLedger, prng, slice } from './ledger-shards.mjs';

const KEY = new Uint8Array(32).fill(5);
/** Room for the pair's own hold beside the set-up holds (the ledger's capacity is ≥ 4,096). */
const HOLDS_HEADROOM = 1024;

const mib = (bytes) => (bytes / 1048576).toFixed(1);
/**
 * Three times the sharded bench's rounds (~4.5 s timed): the per-round ratio ranged 0.65–1.39 on
 * this 2-vCPU VM (its host's other tenants), and 30 rounds left runs minutes apart 0.85–0.95.
 */
const ROUNDS = 3 * SHARDS_ROUNDS;

/** Runs `ops` in batches of the SDK's most, each outcome one of `codes`. */
function batches(ledger, ops, codes) {
  for (let i = 0; i < ops.length; i += sdk.LEDGER_BATCH_OPERATIONS_MAX) {
    for (const o of ledger.executeBatch(ops.slice(i, i + sdk.LEDGER_BATCH_OPERATIONS_MAX))) assert.ok(codes.includes(o.code), o.code);
    ledger.truncateJournal(ledger.head().seq);
  }
}

/** Operations built and run a chunk at a time (a million at once would be ~1 GB of objects). */
const CHUNK = 65_536;

function build(wallets, holds, keyWindow) {
  const start = performance.now();
  const ledger = sdk.Ledger.create({ accountsMax: Math.max(wallets + 2, sdk.LEDGER_ACCOUNTS_MAX), holdsMax: Math.max(holds + HOLDS_HEADROOM, sdk.LEDGER_HOLDS_MAX) });
  assert.equal(ledger.setKeyRetention({ idempotencyKey: 'window', now: T0, keysKeptBy: 'store', keyWindow }).code, 'KEY_RETENTION_SET');
  const open = (accountId, kind) => ({ op: 'openAccount', request: { idempotencyKey: `o-${accountId}`, now: T0, accountId, currency: 'EUR', kind } });
  batches(ledger, [open('issuer', 'unrestricted'), open('merchant', 'nonNegative')], ['ACCOUNT_OPENED']);
  for (let from = 0; from < wallets; from += CHUNK) {
    const ns = Array.from({ length: Math.min(CHUNK, wallets - from) }, (_, k) => from + k);
    batches(ledger, ns.map((n) => open(`w${n}`, 'nonNegative')), ['ACCOUNT_OPENED']);
    batches(ledger, ns.map((n) => ({ op: 'transfer', request: { idempotencyKey: `f-w${n}`, now: T0, debitAccountId: 'issuer', creditAccountId: `w${n}`, amount: '1000000.00', currency: 'EUR' } })), ['TRANSFERRED']);
  }
  const pick = prng(7);
  for (let from = 0; from < holds; from += CHUNK) {
    const ops = [];
    for (let h = from; h < Math.min(holds, from + CHUNK); h++) {
      const n = pick() % wallets;
      ops.push({ op: 'hold', request: { idempotencyKey: `sh-${h}`, now: T0, holdId: `sh-${h}`, debitAccountId: `w${n}`, creditAccountId: 'merchant', amount: '10.00', currency: 'EUR', expiresAt: T0 + SETUP_HOLD_S } });
    }
    batches(ledger, ops, ['HELD']);
  }
  const counts = ledger.counts();
  assert.equal(counts.accounts, wallets + 2);
  assert.equal(counts.holdsPending, holds);
  return { ledger, setupMs: performance.now() - start };
}

/**
 * The 10-account ledger of the comparison: issuer, merchant, eight wallets, with the big one's
 * key retention (the same ledger, configured alike, at two sizes: evicting the oldest key is
 * part of every operation of both).
 */
function smallLedger(keyWindow) {
  const ledger = sdk.Ledger.create();
  assert.equal(ledger.setKeyRetention({ idempotencyKey: 'window', now: T0, keysKeptBy: 'store', keyWindow }).code, 'KEY_RETENTION_SET');
  const ops = [
    { op: 'openAccount', request: { idempotencyKey: 'o-issuer', now: T0, accountId: 'issuer', currency: 'EUR', kind: 'unrestricted' } },
    { op: 'openAccount', request: { idempotencyKey: 'o-merchant', now: T0, accountId: 'merchant', currency: 'EUR', kind: 'nonNegative' } },
  ];
  for (let n = 0; n < 8; n++) ops.push({ op: 'openAccount', request: { idempotencyKey: `o-w${n}`, now: T0, accountId: `w${n}`, currency: 'EUR', kind: 'nonNegative' } });
  for (let n = 0; n < 8; n++) ops.push({ op: 'transfer', request: { idempotencyKey: `f-w${n}`, now: T0, debitAccountId: 'issuer', creditAccountId: `w${n}`, amount: '1000000000.00', currency: 'EUR' } });
  batches(ledger, ops, ['ACCOUNT_OPENED', 'TRANSFERRED']);
  return ledger;
}

export async function measureOneLedger({ wallets, keyWindow = sdk.LEDGER_SHARD_KEY_WINDOW_DEFAULT, pickWallets = wallets, log = (line) => process.stderr.write(`${line}\n`) }) {
  const holds = Math.floor(wallets / 10);
  log(`one-ledger: building ${wallets.toLocaleString('en-US')} wallets and ${holds.toLocaleString('en-US')} pending holds in one ledger …`);
  const { ledger, setupMs } = build(wallets, holds, keyWindow);
  global.gc?.();
  const wasmBytes = wasm().initSync().memory.buffer.byteLength;
  const rss = process.memoryUsage().rss;
  log(`one-ledger: set up in ${(setupMs / 1000).toFixed(1)} s; rss ${mib(rss)} MiB, wasm memory ${mib(wasmBytes)} MiB`);

  // The load after a restart: the whole state out and back, every invariant checked on the way in.
  let start = performance.now();
  let snapshot = ledger.snapshot(KEY);
  const encodeMs = performance.now() - start;
  const snapshotBytes = snapshot.length;
  start = performance.now();
  const restored = sdk.Ledger.restore(snapshot, KEY);
  const restoreMs = performance.now() - start;
  // Not kept through the timed slices (29 MiB the garbage collector would walk past).
  snapshot = null;
  assert.deepEqual(restored.stateDigest(), ledger.stateDigest());
  restored.free();

  const small = smallLedger(keyWindow);
  const pick = prng(12345);
  let p = 0;
  let q = 0;
  // The wallet ids of the next slice, drawn and formatted before it on both sides (not timed),
  // as a server's requests carry them: formatting a random id of a million inside the timed
  // loop was the harness's cost on the big side only (V8's number-to-string cache misses, and
  // the strings it keeps alive into the next scavenge; ~0.2–0.3 µs a pair in a V8 profile).
  const bigIds = new Array(SLICE_PAIRS_MAX);
  const smallIds = new Array(SLICE_PAIRS_MAX);
  let nextBig = SLICE_PAIRS_MAX;
  let nextSmall = 0;
  const drawIds = () => {
    for (let k = 0; k < SLICE_PAIRS_MAX; k++) {
      bigIds[k] = `w${pick() % pickWallets}`;
      smallIds[k] = `w${(q + k) % 8}`;
    }
    nextBig = 0;
    nextSmall = 0;
  };
  const bigPair = () => pairOnLedger(ledger, p++, bigIds[nextBig++], 'one-ledger');
  const smallPair = () => pairOnLedger(small, q++, smallIds[nextSmall++], '10-account');
  // Not timed: each side's first operations evict the keys and resolved holds of its set-up
  // (the big one's: two million operations ago, cold in every cache), a transient a running
  // server is past. A key window of pairs on each side (two windows of keys, and as many
  // resolved holds as a ledger retains) reaches the steady state, where what an operation
  // forgets is what the run itself recorded.
  for (let n = 1; n <= keyWindow; n++) {
    if (nextBig === SLICE_PAIRS_MAX) drawIds();
    bigPair();
    smallPair();
    if (n % 1024 === 0) {
      ledger.truncateJournal(ledger.head().seq);
      small.truncateJournal(small.head().seq);
    }
  }
  ledger.truncateJournal(ledger.head().seq);
  small.truncateJournal(small.head().seq);
  const totals = { big: { n: 0, ms: 0 }, small: { n: 0, ms: 0 } };
  const ratios = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which side goes first, so that neither always follows the other's cache damage.
    let a;
    let b;
    drawIds();
    if (round % 2 === 0) {
      a = slice(SLICE_MS, bigPair);
      b = slice(SLICE_MS, smallPair);
    } else {
      b = slice(SLICE_MS, smallPair);
      a = slice(SLICE_MS, bigPair);
    }
    for (const [total, s] of [[totals.big, a], [totals.small, b]]) {
      total.n += s.n;
      total.ms += s.ms;
    }
    ratios.push(a.n / a.ms / (b.n / b.ms));
    // Not timed: a persisting caller truncates after each commit.
    ledger.truncateJournal(ledger.head().seq);
    small.truncateJournal(small.head().seq);
  }
  ledger.checkInvariants();
  small.checkInvariants();
  ledger.free();
  small.free();
  const bigPairs = totals.big.n / (totals.big.ms / 1000);
  const smallPairs = totals.small.n / (totals.small.ms / 1000);
  ratios.sort((x, y) => x - y);
  return {
    wallets, pickWallets, holds, keyWindow, setupMs, rss, wasmBytes, snapshotBytes, encodeMs, restoreMs,
    bigPairs, smallPairs, ratio: bigPairs / smallPairs, ratioMedian: ratios[Math.floor(ratios.length / 2)], ratioMin: ratios[0], ratioMax: ratios.at(-1),
  };
}

const fmt = (x) => Math.round(x).toLocaleString('en-US');

export function oneLedgerTable(r) {
  return [
    `| one ledger: ${fmt(r.wallets)} wallets, ${fmt(r.holds)} pending holds, a ${fmt(r.keyWindow)}-key window (through the SDK) | value |`,
    '|---|---:|',
    `| hold + post pairs/s, random wallets of the one ledger${r.pickWallets < r.wallets ? ` (drawn from its first ${fmt(r.pickWallets)} only: BENCH_PICK_WALLETS, a diagnosis)` : ''} | ${fmt(r.bigPairs)} |`,
    `| hold + post pairs/s, 10-account Ledger (interleaved slices) | ${fmt(r.smallPairs)} |`,
    `| ratio one ledger / 10-account (all slices; median, min–max of ${ROUNDS} rounds; target ≥ 0.91) | ${r.ratio.toFixed(3)} (${r.ratioMedian.toFixed(3)}, ${r.ratioMin.toFixed(3)}–${r.ratioMax.toFixed(3)}) |`,
    `| load after a restart: \`Ledger.restore\` of the snapshot (every invariant checked) | ${fmt(r.restoreMs)} ms |`,
    `| \`snapshot\` (encode, ${mib(r.snapshotBytes)} MiB) | ${fmt(r.encodeMs)} ms |`,
    `| set-up (open + fund wallets, place holds, in batches) | ${(r.setupMs / 1000).toFixed(1)} s |`,
    `| memory after set-up: rss / wasm memory | ${mib(r.rss)} / ${mib(r.wasmBytes)} MiB |`,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const wallets = Number(process.env.BENCH_WALLETS ?? 1_000_000);
  if (!Number.isSafeInteger(wallets) || wallets < 1024) throw new Error(`BENCH_WALLETS must be an integer ≥ 1024, got ${process.env.BENCH_WALLETS}`);
  const keyWindow = process.env.BENCH_KEY_WINDOW === undefined ? undefined : Number(process.env.BENCH_KEY_WINDOW);
  // A diagnosis, not the measure: the timed pairs draw their wallets from the first
  // BENCH_PICK_WALLETS only (all by default). With 8 the big side's wallets are as hot as the
  // small side's, and what is left of the difference is the rest of the ledger's size.
  const pickWallets = Number(process.env.BENCH_PICK_WALLETS ?? wallets);
  if (!Number.isSafeInteger(pickWallets) || pickWallets < 8 || pickWallets > wallets) throw new Error(`BENCH_PICK_WALLETS must be an integer from 8 to BENCH_WALLETS, got ${process.env.BENCH_PICK_WALLETS}`);
  const result = await measureOneLedger({ wallets, keyWindow, pickWallets });
  console.log([`- date: ${new Date().toISOString()}`, `- node: ${process.version}`, '', ...oneLedgerTable(result)].join('\n'));
}
