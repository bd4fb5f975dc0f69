// Card benchmark (System 1): POS authorisations per second natively in the core, through the
// SDK (JS → wasm → JS), and as one raw wasm-bindgen call with the same arguments, in one run.
//
// The card is configured like core/examples/card_bench.rs (same issuer key, card id, limits and
// times), so the native, SDK and raw rows do the same work:
//   - daily-count: count, day window in Europe/Paris, hard 1,000,000, soft 900,000
//   - daily-amount: amount EUR, day window in Europe/Paris, hard 100,000,000.00
//   - per-payment: amount EUR per transaction, hard 500.00, soft 400.00
//   - burst: count over a trailing 600 s, hard 100
// Every timed authorisation is APPROVED (deliberately no mix): a fresh transaction id each call,
// 12.34 EUR, offline terminal, 10 s after the previous one, so each call takes the full approve
// path and records the usage (the burst window holds 60 entries; the day rolls over at Paris
// midnight every 8,640 calls). Preview asks about one fixed request on an online terminal.
//
// "raw" is the wasm-bindgen glue's CardHandle (sdk-ts/wasm/countersign_wasm.js, the module
// instance the SDK's Node entry initialised) fed the same envelope, TZif bytes and request
// objects; the SDK/raw ratio is the SDK's own overhead (argument validation, the copy of the
// request, error mapping).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as sdk from '@countersign/sdk';
import * as raw from '../sdk-ts/wasm/countersign_wasm.js';
import { MEASURE_MS, measureOpsPerSecond } from './measure.mjs';

/** Upper bound on authorisations per warm-up or measurement (ids and times stay small). */
const CARD_ITERATIONS_MAX = 2_000_000;
/** The native example compiles first (release, LTO): allow a cold build. */
const NATIVE_TIMEOUT_MS = 15 * 60 * 1000;
/** The SDK/raw ratio this benchmark holds the SDK to (issue 3, item 6). */
export const SDK_OVERHEAD_GOAL = 2;

const CARD_ID = 'bench';
const ISSUER_KEY_ID = 'issuer-1';
const ISSUER_SECRET = new Uint8Array(32).fill(0x11);
const TIME_ZONE = 'Europe/Paris';
const T0 = 1_774_778_400; // 2026-03-29T10:00:00Z, the day Paris moves to summer time
const PARIS_MIDNIGHT_AFTER_T0 = 1_774_821_600; // 2026-03-30T00:00+02:00
const SECONDS_BETWEEN_PAYMENTS = 10;
const PAYMENT = '12.34';
const CURRENCY = 'EUR';
const OVER_PER_PAYMENT_CAP = '600.00';

const CONFIG = {
  cardId: CARD_ID,
  currency: CURRENCY,
  limits: [
    { id: 'daily-count', measure: 'count', window: { kind: 'day', timeZone: TIME_ZONE }, hard: '1000000', soft: '900000' },
    { id: 'daily-amount', measure: 'amount', currency: CURRENCY, window: { kind: 'day', timeZone: TIME_ZONE }, hard: '100000000.00' },
    { id: 'per-payment', measure: 'amount', currency: CURRENCY, window: { kind: 'perTransaction' }, hard: '500.00', soft: '400.00' },
    { id: 'burst', measure: 'count', window: { kind: 'trailing', seconds: 600 }, hard: '100' },
  ],
  appKeys: [],
  clockSkewS: 0,
  blockedMerchantCategories: [],
};

const hex = (bytes) => Buffer.from(bytes).toString('hex');

/** The i-th timed authorisation: a fresh id, 10 s after the previous one. */
const approveRequest = (i) => ({
  transactionId: `txn-${i}`,
  amount: PAYMENT,
  currency: CURRENCY,
  time: T0 + i * SECONDS_BETWEEN_PAYMENTS,
  terminalOnline: false,
});

const PREVIEW_REQUEST = { transactionId: 'preview', amount: PAYMENT, currency: CURRENCY, time: T0, terminalOnline: true };

// ---------------------------------------------------------------------------------------
// native: core/examples/card_bench.rs, whose last line is machine-readable

const NATIVE_LINE = /^card_bench authorisations_per_s=(\d+) previews_per_s=(\d+)$/;

/** Runs the native example (building it in release first); its own check runs before it times. */
export function nativeCardBench(repoRoot) {
  const args = ['run', '--quiet', '--release', '-p', 'countersign-core', '--example', 'card_bench'];
  process.stderr.write(`measuring card, native: cargo ${args.join(' ')} …\n`);
  const run = spawnSync('cargo', args, {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: NATIVE_TIMEOUT_MS,
  });
  if (run.error) throw new Error(`card, native: cargo could not run: ${run.error.message}`);
  if (run.status !== 0) throw new Error(`card, native: cargo exited with ${run.status ?? run.signal}:\n${run.stdout}`);
  const lines = run.stdout.trim().split('\n');
  for (const line of lines.slice(0, -1)) process.stderr.write(`  ${line}\n`);
  const match = NATIVE_LINE.exec(lines.at(-1) ?? '');
  if (match === null) throw new Error(`card, native: no "card_bench authorisations_per_s=… previews_per_s=…" last line in:\n${run.stdout}`);
  return { authorise: Number(match[1]), preview: Number(match[2]) };
}

// ---------------------------------------------------------------------------------------
// SDK and raw cards, provisioned with the same envelope

export async function setUpCard(repoRoot) {
  if (typeof raw.CardHandle !== 'function' || !sdk.isInitialized()) throw new Error('card: the wasm glue is not initialised');
  const issuer = new sdk.Issuer(sdk.keyPairFromSecret('EdDSA', ISSUER_SECRET), ISSUER_KEY_ID);
  const envelope = issuer.provision(CONFIG, { seq: 1n, issuedAt: T0 - 60, expiresAt: T0 + 3600 });

  const sdkCard = sdk.Card.create(CARD_ID, issuer.publicKey);
  const sdkOutcome = await sdkCard.applyConfig(envelope, T0);

  const { keyId, algorithm, publicKey } = issuer.publicKey;
  const rawHandle = new raw.CardHandle(CARD_ID, { keyId, alg: algorithm, publicKey: hex(publicKey) });
  rawHandle.addTimeZone(TIME_ZONE, new Uint8Array(readFileSync(path.join(repoRoot, 'sdk-ts', 'tzdata', TIME_ZONE))));
  const rawOutcome = rawHandle.applyConfig(envelope, BigInt(T0));

  for (const [side, outcome] of [['SDK', sdkOutcome], ['raw', rawOutcome]]) {
    assert.equal(outcome.code, 'CONFIG_APPLIED', `card, ${side}: configuration not applied: ${JSON.stringify(outcome)}`);
  }
  let sdkIndex = 0;
  let rawIndex = 0;
  return {
    sdkCard,
    rawHandle,
    // Each card counts its own transactions: index 0 is the correctness check, then the timed ones.
    authorise: {
      sdk: () => sdkCard.authorise(approveRequest(sdkIndex++)).code,
      raw: () => rawHandle.authorise(approveRequest(rawIndex++)).code,
    },
    preview: {
      sdk: () => sdkCard.preview(PREVIEW_REQUEST).code,
      raw: () => rawHandle.preview(PREVIEW_REQUEST).code,
    },
    /** The next transaction index of both cards, while they are in step (before timing). */
    nextIndex: () => {
      assert.equal(sdkIndex, rawIndex, 'card: the SDK and raw cards are out of step');
      rawIndex++;
      return sdkIndex++;
    },
  };
}

function expectApproved(result, side, what) {
  assert.equal(result.decision, 'approve', `card, ${side}: ${what}: ${JSON.stringify(result)}`);
  assert.equal(result.code, 'APPROVED', `card, ${side}: ${what}: ${JSON.stringify(result)}`);
  assert.equal(result.limitId, null, `card, ${side}: ${what}`);
  const daily = result.limits.find((l) => l.id === 'daily-count');
  assert.equal(daily?.resetsAt, PARIS_MIDNIGHT_AFTER_T0, `card, ${side}: ${what}: the day window is not Paris's day`);
}

/** Correctness before timing: the same answers on both paths, the expected ones. */
export function checkCard(card) {
  // Preview first: it must not record anything, and a payment over the cap must be declined.
  const sdkPreview = card.sdkCard.preview(PREVIEW_REQUEST);
  const rawPreview = card.rawHandle.preview(PREVIEW_REQUEST);
  expectApproved(sdkPreview, 'SDK', 'preview');
  assert.deepEqual(rawPreview, sdkPreview, 'card: raw and SDK previews differ');
  const over = { ...PREVIEW_REQUEST, amount: OVER_PER_PAYMENT_CAP };
  const sdkOver = card.sdkCard.preview(over);
  assert.deepEqual(
    [sdkOver.decision, sdkOver.code, sdkOver.limitId],
    ['decline', 'TRANSACTION_LIMIT_EXCEEDED', 'per-payment'],
    `card, SDK: over the per-payment cap: ${JSON.stringify(sdkOver)}`,
  );
  assert.deepEqual(card.rawHandle.preview(over), sdkOver, 'card: raw and SDK previews over the cap differ');

  const i = card.nextIndex();
  const sdkResult = card.sdkCard.authorise(approveRequest(i));
  const rawResult = card.rawHandle.authorise(approveRequest(i));
  expectApproved(sdkResult, 'SDK', 'authorise');
  assert.equal(sdkResult.transactionCounter, 1, 'card, SDK: the preview recorded something');
  assert.deepEqual(rawResult, sdkResult, 'card: raw and SDK authorisations differ');
  const used = sdkResult.limits.find((l) => l.id === 'daily-amount')?.used;
  assert.equal(used, PAYMENT, `card, SDK: daily-amount used after one payment`);
}

/** Operations per second of `a` and `b`, alternated a-b-b-a in halves so drift hits both alike. */
function measurePair(a, b) {
  const half = { measureMs: MEASURE_MS / 2, iterationsMax: CARD_ITERATIONS_MAX };
  const a1 = measureOpsPerSecond(a, half);
  const b1 = measureOpsPerSecond(b, half);
  const b2 = measureOpsPerSecond(b, half);
  const a2 = measureOpsPerSecond(a, half);
  return [(a1 + a2) / 2, (b1 + b2) / 2];
}

export function measureCard(card) {
  process.stderr.write('measuring card authorise, SDK and raw …\n');
  const [sdkAuthorise, rawAuthorise] = measurePair(card.authorise.sdk, card.authorise.raw);
  process.stderr.write('measuring card preview, SDK and raw …\n');
  const [sdkPreview, rawPreview] = measurePair(card.preview.sdk, card.preview.raw);
  // Still approving after the timed runs (the limits never bound them).
  assert.equal(card.authorise.sdk(), 'APPROVED', 'card, SDK: no longer approving after timing');
  assert.equal(card.authorise.raw(), 'APPROVED', 'card, raw: no longer approving after timing');
  return { authorise: { sdk: sdkAuthorise, raw: rawAuthorise }, preview: { sdk: sdkPreview, raw: rawPreview } };
}

// ---------------------------------------------------------------------------------------
// report

const formatOps = (opsPerSecond) => Math.round(opsPerSecond).toLocaleString('en-US');
const formatMicros = (opsPerSecond) => (1e6 / opsPerSecond).toFixed(2);

export function cardTable(native, measured) {
  const rows = [];
  for (const [op, label] of [
    ['authorise', 'card authorise (approve path)'],
    ['preview', 'card preview'],
  ]) {
    const { sdk: sdkOps, raw: rawOps } = measured[op];
    const overhead = rawOps / sdkOps; // time per SDK call / time per raw call
    const verdict = overhead <= SDK_OVERHEAD_GOAL ? `goal ≤ ${SDK_OVERHEAD_GOAL}×: met` : `goal ≤ ${SDK_OVERHEAD_GOAL}×: MISSED`;
    rows.push(
      `| ${label} | native core (Rust, release) | ${formatOps(native[op])} | ${formatMicros(native[op])} | native/SDK ${(native[op] / sdkOps).toFixed(2)}× |`,
      `| ${label} | SDK \`Card.${op}\` (JS → wasm → JS) | ${formatOps(sdkOps)} | ${formatMicros(sdkOps)} | SDK/raw ${overhead.toFixed(2)}× (${verdict}) |`,
      `| ${label} | raw \`CardHandle.${op}\` (one wasm-bindgen call) | ${formatOps(rawOps)} | ${formatMicros(rawOps)} | |`,
    );
  }
  return [
    '| card op | path | ops/s | µs/op | ratio |',
    '|---|---|---:|---:|---:|',
    ...rows,
    '',
    `(card: day windows in ${TIME_ZONE}, a per-payment cap, a trailing count; every timed authorisation approved, fresh id, ` +
      `${PAYMENT} ${CURRENCY}, offline; SDK/raw = time per SDK call ÷ time per raw call, measured alternately in the same run)`,
  ];
}
