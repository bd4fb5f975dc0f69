// Custody back-office benchmark (System 8): sub-ledger events per second through the SDK's
// CustodyBook, beside the native example (core/examples/custody_bench.rs, run here with cargo)
// and a hand-written TypeScript book in the same run. The mix is the native example's: per round
// six transfers between clients, one trade (base leg, quote leg and fee), one deposit confirmed at
// a transfer wallet and its sweep (network fee), over 200 clients with BTC and USDC swept in and
// an observed omnibus balance per asset (so every event is reconciled). The baseline keeps Maps
// of bigint minor units and does the same checks in the same order for these events (ids unique,
// funds, the omnibus expectation per asset after each event; no ledger, no limits, no
// idempotency journal). Both are checked once to end with the same balances before either is
// timed. A benchmark, never a test.
//
// Restore after N events (`node bench/custody.mjs restore [N ...]`, and a table in the custody
// section of bench/run.mjs): the same mix for N events on one book, then the time to restore it
// from the version-1 persisted value (the configuration and the whole log, applied again: what
// CustodyBookStore saved before state snapshots) and from the state snapshot (what it saves every
// `snapshotEvery` events now), with the bytes of each.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as sdk from '@countersign/sdk';
import * as glue from '../sdk-ts/wasm/countersign_wasm.js';
import { benchBookConfig } from './custody-book-config.mjs';
import { measureOpsPerSecond } from './measure.mjs';

const T0 = 1_800_000_000;
const CLIENTS = 200;
const EVENTS_PER_ROUND = 9;
const NATIVE_TIMEOUT_MS = 20 * 60 * 1000;
const NATIVE_LINE = /^custody_bench events_per_s=(\d+)$/;
/** A book's ids (deposits, sweeps, transfers, trades) grow per round: a new book every this many rounds. */
const ROUNDS_PER_BOOK = 2_000;

const seed = new Uint8Array(32).fill(5);
const addresses = Array.from({ length: CLIENTS }, (_, i) => sdk.custodyTransferWallet(seed, i).address);
const omnibus = sdk.custodyAddressOf(sdk.secp256k1PublicKey(new Uint8Array(32).fill(0x11), { compressed: true }));

/** The book every measurement uses (the native bench's, core/examples/custody_bench.rs). */
const bookConfig = () => benchBookConfig(sdk, omnibus);

function sdkSide() {
  let book;
  let round = 0;
  let events = 0;
  const fresh = () => {
    book?.free();
    book = sdk.CustodyBook.create(bookConfig());
    for (let i = 0; i < CLIENTS; i++) {
      book.registerClient({ clientId: `c${i}`, address: addresses[i], now: T0 });
      for (const [asset, amount] of [['BTC', '1000'], ['USDC', '100000000']]) {
        book.observeDeposit({ depositId: `init-${i}-${asset}`, address: addresses[i], asset, amount, confirmations: 1, now: T0 });
        book.sweep({ sweepId: `init-${i}-${asset}`, clientId: `c${i}`, asset, networkFee: '0', now: T0 });
      }
    }
    for (const asset of ['BTC', 'USDC']) book.observeOmnibus({ asset, balance: book.expectedOmnibus(asset), now: T0 });
    round = 0;
    events = 0;
  };
  const check = (outcome, code) => {
    if (outcome.code !== code) throw new Error(`custody bench: ${outcome.code}, expected ${code}`);
  };
  /** One round: nine events. */
  const run = () => {
    if (round >= ROUNDS_PER_BOOK) fresh();
    round += 1;
    const now = T0 + 1 + Math.floor(events / 50);
    const c = (k) => `c${(round * 7 + k) % CLIENTS}`;
    for (let k = 0; k < 6; k++) check(book.transfer({ transferId: `t${round}-${k}`, fromClientId: c(k), toClientId: c(k + 1), asset: 'USDC', amount: '1.25', now }), 'TRANSFERRED');
    check(book.trade({ tradeId: `x${round}`, buyerId: c(10), sellerId: c(11), baseAsset: 'BTC', baseAmount: '0.001', quoteAsset: 'USDC', quoteAmount: '60', fee: '0.06', now }), 'TRADED');
    const who = (round * 13) % CLIENTS;
    check(book.observeDeposit({ depositId: `d${round}`, address: addresses[who], asset: 'BTC', amount: '0.01', confirmations: 1, now }), 'DEPOSIT_CONFIRMED');
    check(book.sweep({ sweepId: `s${round}`, clientId: `c${who}`, asset: 'BTC', networkFee: '0.00001', now }), 'SWEPT');
    events += EVENTS_PER_ROUND;
    return events;
  };
  const balances = () => ['c0', 'c7', 'c13'].flatMap((id) => [book.tradingBalance(id, 'BTC'), book.tradingBalance(id, 'USDC')]);
  return { run, fresh, balances, free: () => book?.free() };
}

/** The hand-written baseline: the same events in plain JavaScript. */
function baselineSide() {
  const SCALE = { BTC: 8, USDC: 6 };
  const minor = (text, asset) => {
    const [w, f = ''] = text.split('.');
    return BigInt(w) * 10n ** BigInt(SCALE[asset]) + BigInt((f + '0'.repeat(SCALE[asset])).slice(0, SCALE[asset]));
  };
  const fmt = (v, asset) => {
    const s = v.toString().padStart(SCALE[asset] + 1, '0');
    return `${s.slice(0, -SCALE[asset])}.${s.slice(-SCALE[asset])}`;
  };
  let s;
  let round = 0;
  let events = 0;
  const fresh = () => {
    s = { trading: new Map(), wallet: new Map(), ids: new Set(), fees: { BTC: 0n, USDC: 0n }, networkFees: { BTC: 0n, USDC: 0n }, expected: { BTC: 0n, USDC: 0n }, observed: { BTC: 0n, USDC: 0n }, byAddress: new Map() };
    for (let i = 0; i < CLIENTS; i++) {
      s.byAddress.set(addresses[i], `c${i}`);
      for (const [asset, amount] of [['BTC', '1000'], ['USDC', '100000000']]) {
        s.trading.set(`c${i}:${asset}`, minor(amount, asset));
        s.wallet.set(`c${i}:${asset}`, 0n);
        s.expected[asset] += minor(amount, asset);
      }
    }
    s.observed = { ...s.expected };
    round = 0;
    events = 0;
  };
  const reconcile = () => {
    let out = 0;
    for (const asset of ['BTC', 'USDC']) if (s.observed[asset] !== s.expected[asset]) out += 1;
    return out;
  };
  const once = (id) => {
    if (s.ids.has(id)) return false;
    s.ids.add(id);
    return true;
  };
  const move = (from, to, amount) => {
    const have = s.trading.get(from);
    if (have === undefined || !s.trading.has(to)) return 'UNKNOWN_CLIENT';
    if (have < amount) return 'INSUFFICIENT_FUNDS';
    s.trading.set(from, have - amount);
    s.trading.set(to, s.trading.get(to) + amount);
    return null;
  };
  const check = (code, want) => {
    if (code !== want) throw new Error(`baseline: ${code}, expected ${want}`);
    reconcile();
  };
  const run = () => {
    if (round >= ROUNDS_PER_BOOK) fresh();
    round += 1;
    const c = (k) => `c${(round * 7 + k) % CLIENTS}`;
    for (let k = 0; k < 6; k++) {
      const amount = minor('1.25', 'USDC');
      check(!once(`t${round}-${k}`) ? 'ID_REUSED' : c(k) === c(k + 1) ? 'SAME_CLIENT' : move(`${c(k)}:USDC`, `${c(k + 1)}:USDC`, amount) ?? 'TRANSFERRED', 'TRANSFERRED');
    }
    {
      const buyer = c(10);
      const seller = c(11);
      const base = minor('0.001', 'BTC');
      const quote = minor('60', 'USDC');
      const fee = minor('0.06', 'USDC');
      let code = 'TRADED';
      if (!once(`x${round}`)) code = 'ID_REUSED';
      else if (s.trading.get(`${buyer}:USDC`) < quote + fee || s.trading.get(`${seller}:BTC`) < base) code = 'INSUFFICIENT_FUNDS';
      else {
        move(`${seller}:BTC`, `${buyer}:BTC`, base);
        move(`${buyer}:USDC`, `${seller}:USDC`, quote);
        s.trading.set(`${buyer}:USDC`, s.trading.get(`${buyer}:USDC`) - fee);
        s.fees.USDC += fee;
      }
      check(code, 'TRADED');
    }
    const who = (round * 13) % CLIENTS;
    const client = s.byAddress.get(addresses[who]);
    const amount = minor('0.01', 'BTC');
    check(!once(`d${round}`) ? 'DEPOSIT_CONFLICT' : client === undefined ? 'UNKNOWN_ADDRESS' : (s.wallet.set(`${client}:BTC`, s.wallet.get(`${client}:BTC`) + amount), 'DEPOSIT_CONFIRMED'), 'DEPOSIT_CONFIRMED');
    {
      const key = `c${who}:BTC`;
      const fee = minor('0.00001', 'BTC');
      const held = s.wallet.get(key);
      let code = 'SWEPT';
      if (held < minor('0.0001', 'BTC')) code = 'BELOW_SWEEP_THRESHOLD';
      else if (fee > held) code = 'FEE_EXCEEDS_AMOUNT';
      else if (!once(`s${round}`)) code = 'ID_REUSED';
      else {
        s.wallet.set(key, 0n);
        s.trading.set(key, s.trading.get(key) + held - fee);
        s.networkFees.BTC += fee;
        s.expected.BTC += held - fee;
      }
      check(code, 'SWEPT');
    }
    events += EVENTS_PER_ROUND;
    return events;
  };
  const balances = () => ['c0', 'c7', 'c13'].flatMap((id) => [fmt(s.trading.get(`${id}:BTC`), 'BTC'), fmt(s.trading.get(`${id}:USDC`), 'USDC')]);
  return { run, fresh, balances };
}

/** The native example's rate (cargo, release). */
export function nativeCustodyBench(repoRoot) {
  const args = ['run', '--quiet', '--release', '-p', 'countersign-core', '--example', 'custody_bench'];
  process.stderr.write(`measuring custody, native: cargo ${args.join(' ')} …\n`);
  const run = spawnSync('cargo', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: NATIVE_TIMEOUT_MS });
  if (run.error) throw new Error(`custody, native: cargo could not run: ${run.error.message}`);
  if (run.status !== 0) throw new Error(`custody, native: cargo exited with ${run.status ?? run.signal}:\n${run.stdout}`);
  const lines = run.stdout.trim().split('\n');
  const match = NATIVE_LINE.exec(lines.at(-1) ?? '');
  if (match === null) throw new Error(`custody, native: no "custody_bench events_per_s=…" line in:\n${run.stdout}`);
  return Number(match[1]);
}

/** Both sides end ten rounds with the same balances. */
export function checkCustodyBook() {
  const ours = sdkSide();
  const theirs = baselineSide();
  ours.fresh();
  theirs.fresh();
  for (let i = 0; i < 10; i++) assert.equal(ours.run(), theirs.run());
  assert.deepEqual(ours.balances(), theirs.balances());
  ours.free();
}

/** `repoRoot` null: no native run (its column is then empty). */
export function measureCustodyBook(repoRoot) {
  checkCustodyBook();
  const native = repoRoot === null ? Number.NaN : nativeCustodyBench(repoRoot);
  const ours = sdkSide();
  const theirs = baselineSide();
  ours.fresh();
  theirs.fresh();
  // One call is one round of nine events.
  const rows = {
    native,
    ours: measureOpsPerSecond(ours.run) * EVENTS_PER_ROUND,
    theirs: measureOpsPerSecond(theirs.run) * EVENTS_PER_ROUND,
  };
  ours.free();
  return rows;
}

const fmtRate = (n) => Math.round(n).toLocaleString('en-US');
export function custodyBookTable(m) {
  return [
    'custody (System 8) back-office sub-ledger events per second (6 transfers, 1 trade, 1 deposit, 1 sweep per round; reconciled after each): the SDK, the native core (core/examples/custody_bench.rs) and a hand-written TypeScript book (Maps, bigint minor units, no ledger, limits or journal):',
    '',
    '| events/s | countersign SDK | native core | TypeScript baseline | SDK / native | SDK / baseline |',
    '|---|---:|---:|---:|---:|---:|',
    `| sub-ledger events | ${fmtRate(m.ours)} | ${fmtRate(m.native)} | ${fmtRate(m.theirs)} | ${(m.ours / m.native).toFixed(3)} | ${(m.ours / m.theirs).toFixed(3)} |`,
  ];
}

// ---------------------------------------------------------------------------------------------
// Restore after N events: the version-1 log replayed, against the state snapshot

const RESTORE_KEY = new Uint8Array(32).fill(0x2a);

/** A book after `events` events of the mix (one book, no refresh), and its version-1 log. */
function longBook(events) {
  const config = bookConfig();
  const book = sdk.CustodyBook.create(config);
  const log = [];
  // Each event applied and logged as the version-1 log held it: {kind, ...request}.
  const apply = (kind, request) => {
    log.push({ kind, ...request });
    return book[kind](request);
  };
  for (let i = 0; i < CLIENTS && log.length < events; i++) {
    apply('registerClient', { clientId: `c${i}`, address: addresses[i], now: T0 });
    for (const [asset, amount] of [['BTC', '1000'], ['USDC', '100000000']]) {
      apply('observeDeposit', { depositId: `init-${i}-${asset}`, address: addresses[i], asset, amount, confirmations: 1, now: T0 });
      apply('sweep', { sweepId: `init-${i}-${asset}`, clientId: `c${i}`, asset, networkFee: '0', now: T0 });
    }
  }
  for (let round = 1; log.length < events; round++) {
    const now = T0 + 1 + Math.floor(log.length / 50);
    const c = (k) => `c${(round * 7 + k) % CLIENTS}`;
    const who = (round * 13) % CLIENTS;
    const round9 = [
      ...Array.from({ length: 6 }, (_, k) => ['transfer', { transferId: `t${round}-${k}`, fromClientId: c(k), toClientId: c(k + 1), asset: 'USDC', amount: '1.25', now }]),
      ['trade', { tradeId: `x${round}`, buyerId: c(10), sellerId: c(11), baseAsset: 'BTC', baseAmount: '0.001', quoteAsset: 'USDC', quoteAmount: '60', fee: '0.06', now }],
      ['observeDeposit', { depositId: `d${round}`, address: addresses[who], asset: 'BTC', amount: '0.01', confirmations: 1, now }],
      ['sweep', { sweepId: `s${round}`, clientId: `c${who}`, asset: 'BTC', networkFee: '0.00001', now }],
    ];
    for (const [kind, request] of round9) if (log.length < events) apply(kind, request);
  }
  const approvers = config.approvers.map((a) => ({ approverId: a.approverId, publicKey: Buffer.from(a.publicKey).toString('hex') }));
  const v1 = glue.custodySealLog(new TextEncoder().encode(JSON.stringify({ config: { ...config, approvers }, log })), RESTORE_KEY);
  return { book, v1 };
}

/** Median milliseconds of `runs` calls of `f` (each result freed). */
function timeMs(runs, f) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const book = f();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    book.free();
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** For each N: restore time and bytes from the version-1 log and from the state snapshot. */
export function measureCustodyRestore(counts = [10_000, 100_000]) {
  return counts.map((events) => {
    const { book, v1 } = longBook(events);
    const snapshot = book.snapshot(RESTORE_KEY);
    // Both restore the same book (checked once, untimed).
    for (const bytes of [v1, snapshot]) {
      const back = sdk.CustodyBook.restore(bytes, RESTORE_KEY);
      assert.deepEqual(back.snapshot(RESTORE_KEY), snapshot);
      back.free();
    }
    const row = {
      events: book.eventCount,
      logMs: timeMs(3, () => sdk.CustodyBook.restore(v1, RESTORE_KEY)),
      logBytes: v1.length,
      snapshotMs: timeMs(5, () => sdk.CustodyBook.restore(snapshot, RESTORE_KEY)),
      snapshotBytes: snapshot.length,
    };
    book.free();
    return row;
  });
}

export function custodyRestoreTable(rows) {
  const mb = (n) => (n / 1e6).toFixed(2);
  return [
    'custody (System 8) restore after N events (the mix above on one book; median of 3 / 5 restores through the SDK): the version-1 value (configuration + whole event log, replayed) against the state snapshot (CustodyBookStore writes one every `snapshotEvery` events, default 1024, and applies at most that many logged events after it):',
    '',
    '| restore after N events | log replay ms | log MB | state snapshot ms | snapshot MB | speed-up |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.events.toLocaleString('en-US')} | ${r.logMs.toFixed(0)} | ${mb(r.logBytes)} | ${r.snapshotMs.toFixed(1)} | ${mb(r.snapshotBytes)} | ${(r.logMs / r.snapshotMs).toFixed(1)}× |`),
  ];
}

if (process.argv[1] === new URL(import.meta.url).pathname && process.argv[2] === 'restore') {
  const counts = process.argv.slice(3).map(Number);
  console.log(custodyRestoreTable(measureCustodyRestore(counts.length > 0 ? counts : undefined)).join('\n'));
}
