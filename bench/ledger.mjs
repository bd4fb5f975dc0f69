// Ledger benchmark: hold + post pairs per second natively in the core, through the SDK (one call
// per operation, and the batch API), and the same operations written by hand in plain JavaScript
// with decimal.js in the same run; journal replay entries per second natively and through the SDK.
//
// Every pair is the energy-purchase shape of core/examples/ledger_bench.rs: a wallet funded with
// 10^12 EUR, hold 50.00 EUR for 600 s, then a final post of 31.17 EUR releasing the rest; fresh
// idempotency keys, the clock advancing 1 s per pair, the journal truncated every 1,024 entries
// (as a caller persisting it would). The decimal.js ledger does what a careful hand-written one
// would: strict amount parsing in the currency's precision, an idempotency map keyed by a
// fingerprint of the request, available-funds checks, and a SHA-256 hash-chained journal
// (node:crypto) of each operation; it has none of the core's invariant checks, named limits or
// snapshot format. It is written as plain JavaScript (what TypeScript compiles to).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import Decimal from 'decimal.js';
import * as sdk from '@countersign/sdk';
import { measureOpsPerSecond } from './measure.mjs';

/** The native example compiles first (release, LTO): allow a cold build. */
const NATIVE_TIMEOUT_MS = 15 * 60 * 1000;
/** Upper bound on pairs per warm-up or measurement (keeps ids and times small). */
const PAIRS_MAX = 2_000_000;
/** Pairs per executeBatch call (2 operations each: 512 operations per call). */
const BATCH_PAIRS = 256;
/** The journal is truncated once it retains this many entries. */
const TRUNCATE_EVERY = 1024;
/** Entries in the journal replayed by the SDK (10,000 pairs + set-up). */
const REPLAY_PAIRS = 10_000;
const T0 = 1_767_225_600;

// ---------------------------------------------------------------------------------------
// native

const NATIVE_LINE = /^ledger_bench pairs_per_s=(\d+) replay_entries_per_s=(\d+)$/;

export function nativeLedgerBench(repoRoot) {
  const args = ['run', '--quiet', '--release', '-p', 'countersign-core', '--example', 'ledger_bench'];
  process.stderr.write(`measuring ledger, native: cargo ${args.join(' ')} …\n`);
  const run = spawnSync('cargo', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: NATIVE_TIMEOUT_MS });
  if (run.error) throw new Error(`ledger, native: cargo could not run: ${run.error.message}`);
  if (run.status !== 0) throw new Error(`ledger, native: cargo exited with ${run.status ?? run.signal}:\n${run.stdout}`);
  const lines = run.stdout.trim().split('\n');
  for (const line of lines.slice(0, -1)) process.stderr.write(`  ${line}\n`);
  const match = NATIVE_LINE.exec(lines.at(-1) ?? '');
  if (match === null) throw new Error(`ledger, native: no "ledger_bench pairs_per_s=… replay_entries_per_s=…" line in:\n${run.stdout}`);
  return { pairs: Number(match[1]), replay: Number(match[2]) };
}

// ---------------------------------------------------------------------------------------
// the operations, as SDK requests

function setUpOperations() {
  return [
    ...['bank', 'wallet', 'station'].map((accountId, i) => ({
      op: 'openAccount',
      request: { idempotencyKey: `open-${accountId}`, now: T0, accountId, currency: 'EUR', kind: i === 0 ? 'unrestricted' : 'nonNegative' },
    })),
    { op: 'transfer', request: { idempotencyKey: 'fund', now: T0, debitAccountId: 'bank', creditAccountId: 'wallet', amount: '1000000000000.00', currency: 'EUR' } },
  ];
}

function holdOp(i) {
  const now = T0 + i;
  return { op: 'hold', request: { idempotencyKey: `k${i}h`, now, holdId: `h${i}`, debitAccountId: 'wallet', creditAccountId: 'station', amount: '50.00', currency: 'EUR', expiresAt: now + 600 } };
}

function postOp(i) {
  return { op: 'post', request: { idempotencyKey: `k${i}p`, now: T0 + i, holdId: `h${i}`, amount: '31.17', currency: 'EUR', final: true } };
}

function sdkLedger() {
  const ledger = sdk.Ledger.create();
  for (const outcome of ledger.executeBatch(setUpOperations())) assert.ok(['ACCOUNT_OPENED', 'TRANSFERRED'].includes(outcome.code));
  ledger.truncateJournal(ledger.head().seq);
  return ledger;
}

// ---------------------------------------------------------------------------------------
// the same operations by hand, with decimal.js

const EUR_DECIMALS = 2;
const AMOUNT = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

function parseAmount(text) {
  if (typeof text !== 'string' || !AMOUNT.test(text)) throw new RangeError(`amount syntax: ${text}`);
  const value = new Decimal(text);
  if (value.decimalPlaces() > EUR_DECIMALS) throw new RangeError(`amount precision: ${text}`);
  return value;
}

/** A hand-written two-phase ledger: the comparison point. */
export class DecimalLedger {
  accounts = new Map();
  holds = new Map();
  keys = new Map();
  journal = [];
  seq = 0;
  head = Buffer.alloc(32);

  #record(key, request, outcome) {
    const { now: _now, ...withoutNow } = request;
    this.keys.set(key, { fingerprint: JSON.stringify(withoutNow), outcome });
    const entry = Buffer.from(JSON.stringify({ seq: ++this.seq, request, outcome, prev: this.head.toString('hex') }));
    this.head = crypto.createHash('sha256').update(entry).digest();
    this.journal.push(entry);
    return outcome;
  }

  #repeat(key, request) {
    const known = this.keys.get(key);
    if (known === undefined) return null;
    const { now: _now, ...withoutNow } = request;
    return known.fingerprint === JSON.stringify(withoutNow) ? { ...known.outcome, repeated: true } : { code: 'IDEMPOTENCY_KEY_REUSED' };
  }

  open(request) {
    const known = this.#repeat(request.idempotencyKey, request);
    if (known) return known;
    const code = this.accounts.has(request.accountId) ? 'ACCOUNT_EXISTS' : 'ACCOUNT_OPENED';
    if (code === 'ACCOUNT_OPENED') {
      this.accounts.set(request.accountId, { kind: request.kind, balance: new Decimal(0), pending: new Decimal(0) });
    }
    return this.#record(request.idempotencyKey, request, { code });
  }

  transfer(request) {
    const known = this.#repeat(request.idempotencyKey, request);
    if (known) return known;
    const amount = parseAmount(request.amount);
    const debit = this.accounts.get(request.debitAccountId);
    const credit = this.accounts.get(request.creditAccountId);
    let code = 'TRANSFERRED';
    if (!debit || !credit) code = 'UNKNOWN_ACCOUNT';
    else if (debit.kind === 'nonNegative' && debit.balance.minus(debit.pending).lt(amount)) code = 'INSUFFICIENT_FUNDS';
    else {
      debit.balance = debit.balance.minus(amount);
      credit.balance = credit.balance.plus(amount);
    }
    return this.#record(request.idempotencyKey, request, { code });
  }

  hold(request) {
    const known = this.#repeat(request.idempotencyKey, request);
    if (known) return known;
    const amount = parseAmount(request.amount);
    const debit = this.accounts.get(request.debitAccountId);
    let code = 'HELD';
    if (!debit || !this.accounts.has(request.creditAccountId)) code = 'UNKNOWN_ACCOUNT';
    else if (this.holds.has(request.holdId)) code = 'HOLD_EXISTS';
    else if (debit.kind === 'nonNegative' && debit.balance.minus(debit.pending).lt(amount)) code = 'INSUFFICIENT_FUNDS';
    else {
      debit.pending = debit.pending.plus(amount);
      this.holds.set(request.holdId, { ...request, pending: amount, posted: new Decimal(0), state: 'pending' });
    }
    return this.#record(request.idempotencyKey, request, { code });
  }

  post(request) {
    const known = this.#repeat(request.idempotencyKey, request);
    if (known) return known;
    const hold = this.holds.get(request.holdId);
    const amount = request.amount === undefined ? hold?.pending : parseAmount(request.amount);
    let code = 'POSTED';
    if (!hold) code = 'UNKNOWN_HOLD';
    else if (hold.state !== 'pending') code = 'HOLD_ALREADY_POSTED';
    else if (request.now >= hold.expiresAt) code = 'HOLD_EXPIRED';
    else if (amount.gt(hold.pending)) code = 'EXCEEDS_HOLD';
    else {
      const debit = this.accounts.get(hold.debitAccountId);
      const credit = this.accounts.get(hold.creditAccountId);
      const release = request.final ? hold.pending : amount;
      debit.pending = debit.pending.minus(release);
      debit.balance = debit.balance.minus(amount);
      credit.balance = credit.balance.plus(amount);
      hold.pending = hold.pending.minus(release);
      hold.posted = hold.posted.plus(amount);
      if (hold.pending.isZero()) hold.state = 'posted';
    }
    return this.#record(request.idempotencyKey, request, { code });
  }

  /** Forgets old keys, resolved holds and the journal as the core's bounds would. */
  trim() {
    if (this.journal.length >= TRUNCATE_EVERY) this.journal.length = 0;
    // Maps iterate in insertion order: the first keys are the oldest.
    for (const key of this.keys.keys()) {
      if (this.keys.size <= 8192) break;
      this.keys.delete(key);
    }
    for (const [id, hold] of this.holds) {
      if (this.holds.size <= 4096) break;
      if (hold.state !== 'pending') this.holds.delete(id);
    }
  }
}

function decimalLedger() {
  const l = new DecimalLedger();
  for (const { op, request } of setUpOperations()) {
    const out = op === 'openAccount' ? l.open(request) : l.transfer(request);
    assert.ok(['ACCOUNT_OPENED', 'TRANSFERRED'].includes(out.code));
  }
  return l;
}

// ---------------------------------------------------------------------------------------

/** Checks every side gets the same balances from the same pairs before anything is timed. */
export function checkLedger() {
  const ledger = sdkLedger();
  const batched = sdkLedger();
  const byHand = decimalLedger();
  const ops = [];
  for (let i = 0; i < 3; i++) {
    assert.equal(ledger.hold(holdOp(i).request).code, 'HELD');
    assert.equal(ledger.post(postOp(i).request).code, 'POSTED');
    assert.equal(byHand.hold(holdOp(i).request).code, 'HELD');
    assert.equal(byHand.post(postOp(i).request).code, 'POSTED');
    ops.push(holdOp(i), postOp(i));
  }
  assert.deepEqual(batched.executeBatch(ops).map((o) => o.code), ['HELD', 'POSTED', 'HELD', 'POSTED', 'HELD', 'POSTED']);
  for (const l of [ledger, batched]) {
    assert.equal(l.account('station').balance, '93.51');
    assert.equal(l.account('wallet').available, '999999999906.49');
  }
  assert.equal(byHand.accounts.get('station').balance.toFixed(2), '93.51');
  assert.equal(byHand.accounts.get('wallet').balance.minus(byHand.accounts.get('wallet').pending).toFixed(2), '999999999906.49');
}

export function measureLedger() {
  // SDK, one call per operation.
  const single = sdkLedger();
  let i = 0;
  const singlePairs = measureOpsPerSecond(
    () => {
      single.hold(holdOp(i).request);
      const out = single.post(postOp(i).request);
      i++;
      if (single.counts().journalRetained >= TRUNCATE_EVERY) single.truncateJournal(single.head().seq);
      return out.code;
    },
    { iterationsMax: PAIRS_MAX },
  );
  single.checkInvariants();

  // SDK, batches of BATCH_PAIRS pairs; ops/s reported per pair.
  const batched = sdkLedger();
  let j = 0;
  const batchesPerS = measureOpsPerSecond(
    () => {
      const ops = [];
      for (let p = 0; p < BATCH_PAIRS; p++, j++) ops.push(holdOp(j), postOp(j));
      const outcomes = batched.executeBatch(ops);
      if (batched.counts().journalRetained >= TRUNCATE_EVERY) batched.truncateJournal(batched.head().seq);
      return outcomes.length;
    },
    { iterationsMax: Math.floor(PAIRS_MAX / BATCH_PAIRS) },
  );
  batched.checkInvariants();

  // decimal.js by hand.
  const byHand = decimalLedger();
  let h = 0;
  const decimalPairs = measureOpsPerSecond(
    () => {
      byHand.hold(holdOp(h).request);
      const out = byHand.post(postOp(h).request);
      h++;
      byHand.trim();
      return out.code;
    },
    { iterationsMax: PAIRS_MAX },
  );

  // Replay through the SDK: a journal of REPLAY_PAIRS pairs.
  const source = sdk.Ledger.create();
  source.executeBatch(setUpOperations());
  const entries = source.journal();
  source.truncateJournal(source.head().seq);
  for (let p = 0; p < REPLAY_PAIRS; p += BATCH_PAIRS) {
    const ops = [];
    for (let q = p; q < Math.min(REPLAY_PAIRS, p + BATCH_PAIRS); q++) ops.push(holdOp(q), postOp(q));
    source.executeBatch(ops);
    entries.push(...source.journal());
    source.truncateJournal(source.head().seq);
  }
  const start = performance.now();
  const replayed = sdk.Ledger.replay(entries);
  const replayMs = performance.now() - start;
  assert.equal(Buffer.from(replayed.stateDigest()).toString('hex'), Buffer.from(source.stateDigest()).toString('hex'));
  replayed.free();
  return {
    singlePairs,
    batchPairs: batchesPerS * BATCH_PAIRS,
    decimalPairs,
    replayEntries: entries.length / (replayMs / 1000),
    replayCount: entries.length,
  };
}

const formatOps = (opsPerSecond) => Math.round(opsPerSecond).toLocaleString('en-US');

export function ledgerTable(native, measured) {
  const ratio = (a, b) => (a / b).toFixed(2);
  return [
    `| ledger: hold + post pairs | pairs/s | vs decimal.js by hand |`,
    `|---|---:|---:|`,
    `| native core (Rust, no wasm) | ${formatOps(native.pairs)} | ${ratio(native.pairs, measured.decimalPairs)} |`,
    `| SDK, one call per operation | ${formatOps(measured.singlePairs)} | ${ratio(measured.singlePairs, measured.decimalPairs)} |`,
    `| SDK, executeBatch (${BATCH_PAIRS} pairs per call) | ${formatOps(measured.batchPairs)} | ${ratio(measured.batchPairs, measured.decimalPairs)} |`,
    `| decimal.js + node:crypto, by hand | ${formatOps(measured.decimalPairs)} | 1.00 |`,
    '',
    `| ledger: journal replay | entries/s |`,
    `|---|---:|`,
    `| native core | ${formatOps(native.replay)} |`,
    `| SDK (Ledger.replay of ${measured.replayCount.toLocaleString('en-US')} entries) | ${formatOps(measured.replayEntries)} |`,
  ];
}
