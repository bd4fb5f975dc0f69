#!/usr/bin/env node
// A/B benchmark of two builds of the everything-module, in one process: how a build change
// (a Cargo profile, a feature, a code-generation flag) moves the speed of the hot paths.
//
//   cp -r sdk-ts/wasm /tmp/wasm-before     # the build before the change
//   …change, npm run build (or scripts/build.sh)…
//   node bench/ab.mjs /tmp/wasm-before sdk-ts/wasm [rounds] [sliceMs]
//   AB_OPS=ledgerPair,cardAuth node bench/ab.mjs …   (only some operations)
//   AB_SDK=1 node bench/ab.mjs <treeA> <treeB> …       (two built checkouts, through their SDKs)
//
// Why not two runs of `npm run bench`: on the shared 2-core machine run-to-run noise is ±30 %,
// which hides a 5 % change. Here both builds are loaded side by side (each glue imported as its
// own module instance), every operation is timed in short slices alternating A-B / B-A for
// `rounds` rounds, each slice's rate is per CPU second of this process (process.cpuUsage: time
// the machine gave to other processes does not count), and the median of the per-round B/A
// ratios is printed. An A/A run (the same build twice) shows the remaining noise: about ±3 %.
// The operations are the raw wasm-bindgen calls of bench/card.mjs and bench/ledger.mjs (same
// requests; `ledgerReplay` replays a journal of 1,004 entries, so entries/s = 1,004 × its rate) plus the signature and amount operations of bench/run.mjs; each result is checked as
// it runs.
// With AB_SDK=1 the arguments are two built checkouts (`npm run build` in each; e.g. a
// `git worktree` of the commit before) and the same operations run through each one's SDK
// (`<tree>/sdk-ts/dist/node.js`): what a change that moves work between the SDK and the adapter
// costs the caller.
// A benchmark, never a test: nothing here asserts a speed.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as sdk from '@countersign/sdk';

const [dirA, dirB] = process.argv.slice(2, 4);
if (dirB === undefined) {
  process.stderr.write('usage: node bench/ab.mjs <wasm-dir A> <wasm-dir B> [rounds] [sliceMs]\n');
  process.exit(2);
}
/** Rounds of A-B slices; each round alternates which build goes first. */
const ROUNDS = Number(process.argv[4] ?? 10);
/** Wall-clock length of one slice. */
const SLICE_MS = Number(process.argv[5] ?? 250);
/** Calls between clock reads inside a slice (keeps performance.now() out of the cost). */
const CALLS_PER_CLOCK_READ = 8;
/** Ledger journal retained before it is truncated, as in bench/ledger.mjs. */
const TRUNCATE_EVERY = 1024;
/** Pairs per executeBatch call, as in bench/ledger.mjs. */
const BATCH_PAIRS = 256;
/** Pairs in the journal `ledgerReplay` replays (with the set-up: 1,004 entries), short enough
 * that a slice holds several calls. */
const REPLAY_PAIRS = 500;

const LEDGER_T0 = 1_767_225_600;
const CARD_T0 = 1_774_778_400;
const CONFIG = {
  cardId: 'bench',
  currency: 'EUR',
  limits: [
    { id: 'daily-count', measure: 'count', window: { kind: 'day', timeZone: 'Europe/Paris' }, hard: '1000000', soft: '900000' },
    { id: 'daily-amount', measure: 'amount', currency: 'EUR', window: { kind: 'day', timeZone: 'Europe/Paris' }, hard: '100000000.00' },
    { id: 'per-payment', measure: 'amount', currency: 'EUR', window: { kind: 'perTransaction' }, hard: '500.00', soft: '400.00' },
    { id: 'burst', measure: 'count', window: { kind: 'trailing', seconds: 600 }, hard: '100' },
  ],
  appKeys: [],
  clockSkewS: 0,
  blockedMerchantCategories: [],
};
const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const issuer = new sdk.Issuer(sdk.keyPairFromSecret('EdDSA', new Uint8Array(32).fill(0x11)), 'issuer-1');
const configEnvelope = issuer.provision(CONFIG, { seq: 1n, issuedAt: CARD_T0 - 60, expiresAt: CARD_T0 + 3600 });
const parisTzif = new Uint8Array(readFileSync(path.join(repoRoot, 'sdk-ts', 'tzdata', 'Europe', 'Paris')));
const message = new Uint8Array(128).map((_, i) => (i * 31 + 7) & 0xff);
const ed = sdk.generateKeyPair('EdDSA');
const edSignature = sdk.signEd25519(ed.secretKey, message);
const k1 = sdk.generateKeyPair('ES256K');
const k1Signature = sdk.signSecp256k1(k1.secretKey, message);

const setUpOperations = () => [
  ...['bank', 'wallet', 'station'].map((accountId, i) => ({
    op: 'openAccount',
    request: { idempotencyKey: `open-${accountId}`, now: LEDGER_T0, accountId, currency: 'EUR', kind: i === 0 ? 'unrestricted' : 'nonNegative' },
  })),
  { op: 'transfer', request: { idempotencyKey: 'fund', now: LEDGER_T0, debitAccountId: 'bank', creditAccountId: 'wallet', amount: '1000000000000.00', currency: 'EUR' } },
];
const holdOp = (i) => ({
  op: 'hold',
  request: { idempotencyKey: `k${i}h`, now: LEDGER_T0 + i, holdId: `h${i}`, debitAccountId: 'wallet', creditAccountId: 'station', amount: '50.00', currency: 'EUR', expiresAt: LEDGER_T0 + i + 600 },
});
const postOp = (i) => ({ op: 'post', request: { idempotencyKey: `k${i}p`, now: LEDGER_T0 + i, holdId: `h${i}`, amount: '31.17', currency: 'EUR', final: true } });

// Amounts, as bench/run.mjs's amount cases: two strings parsed, added, formatted; and the total
// of a basket of 100 prices.
const AMOUNT_PAIRS = [['12.34', '0.66', '13.00'], ['999999.99', '0.01', '1000000.00'], ['-5.25', '10.00', '4.75'], ['100', '0.5', '100.50']];
const BASKET = Array.from({ length: 100 }, (_, i) => {
  const cents = (i * 7919 + 13) % 250_000;
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
});
const BASKET_TOTAL = '119503.50'; // the integer sum of the cents above

function expect(condition, what) {
  if (!condition) throw new Error(`bench/ab: ${what}`);
}

/**
 * The timed operations over one side, each on its own state. A side is either the raw
 * wasm-bindgen exports of a build or a checkout's SDK; it supplies a set-up ledger, how one
 * `{op, request}` runs on it, a configured card and the signature calls.
 */
function operationsOver(side) {
  const truncate = (ledger) => {
    if (ledger.counts().journalRetained >= TRUNCATE_EVERY) ledger.truncateJournal(side.seqArgument(ledger.head().seq));
  };
  const single = side.newLedger();
  const batched = side.newLedger();
  const { card } = side;
  let pair = 0;
  let batchPair = 0;
  let payment = 0;
  // The journal ledgerReplay replays, made by this side, and the digest its replay must reach.
  const source = side.newLedger();
  for (let p = 0; p < REPLAY_PAIRS; p += BATCH_PAIRS) {
    const ops = [];
    for (let q = p; q < Math.min(REPLAY_PAIRS, p + BATCH_PAIRS); q++) ops.push(holdOp(q), postOp(q));
    source.executeBatch(ops);
  }
  const replayJournal = source.journal();
  const replayDigest = Buffer.from(source.stateDigest()).toString('hex');
  return {
    ledgerPair: () => {
      expect(side.run(single, holdOp(pair)).code === 'HELD', 'hold');
      expect(side.run(single, postOp(pair)).code === 'POSTED', 'post');
      pair++;
      truncate(single);
    },
    ledgerBatch256: () => {
      const ops = [];
      for (let p = 0; p < BATCH_PAIRS; p++, batchPair++) ops.push(holdOp(batchPair), postOp(batchPair));
      expect(batched.executeBatch(ops).length === 2 * BATCH_PAIRS, 'batch');
      truncate(batched);
    },
    ledgerReplay: () => {
      const replayed = side.replay(replayJournal);
      expect(Buffer.from(replayed.stateDigest()).toString('hex') === replayDigest, 'replay');
      replayed.free();
    },
    cardAuth: () => {
      const outcome = card.authorise({ transactionId: `txn-${payment}`, amount: '12.34', currency: 'EUR', time: CARD_T0 + payment * 10, terminalOnline: false });
      expect(outcome.code === 'APPROVED', `card authorise: ${outcome.code}`);
      payment++;
    },
    cardPreview: () => expect(card.preview({ transactionId: 'preview', amount: '12.34', currency: 'EUR', time: CARD_T0, terminalOnline: true }).code === 'APPROVED', 'preview'),
    ...side.signatures,
    ...side.amounts,
  };
}

/** amountAdd (parse two, add, format) and amountBasket over one side's parse / add / format / zero. */
function amountOperations(parse, add, format, zero) {
  let pair = 0;
  return {
    amountAdd: () => {
      const [x, y, sum] = AMOUNT_PAIRS[pair++ % AMOUNT_PAIRS.length];
      expect(format(add(parse(x), parse(y))) === sum, `amount ${x} + ${y}`);
    },
    amountBasket: () => {
      let total = zero();
      for (const price of BASKET) total = add(total, parse(price));
      expect(format(total) === BASKET_TOTAL, 'basket total');
    },
  };
}

/** The raw wasm-bindgen exports of one build (a directory of glue + .wasm). */
async function rawSide(dir, tag) {
  const glue = await import(`${pathToFileURL(path.resolve(dir, 'countersign_wasm.js')).href}?ab=${tag}`);
  glue.initSync({ module: readFileSync(path.resolve(dir, 'countersign_wasm_bg.wasm')) });
  const card = new glue.CardHandle('bench', { keyId: 'issuer-1', alg: issuer.publicKey.algorithm, publicKey: Buffer.from(issuer.publicKey.publicKey).toString('hex') });
  card.addTimeZone('Europe/Paris', parisTzif);
  expect(card.applyConfig(configEnvelope, BigInt(CARD_T0)).code === 'CONFIG_APPLIED', `${dir}: card configuration not applied`);
  return {
    newLedger: () => {
      const ledger = new glue.LedgerHandle();
      ledger.executeBatch(setUpOperations());
      return ledger;
    },
    run: (ledger, operation) => ledger.execute(operation),
    replay: (entries) => glue.LedgerHandle.replay(entries),
    seqArgument: Number, // the raw export takes the seq as a JS number
    card,
    signatures: {
      edVerify: () => expect(glue.ed25519Verify(ed.publicKey, message, edSignature), 'Ed25519 verify'),
      edSign: () => expect(glue.ed25519Sign(ed.secretKey, message).length === 64, 'Ed25519 sign'),
      k1Verify: () => expect(glue.secp256k1Verify(k1.publicKey, message, k1Signature, 'der', false), 'secp256k1 verify'),
      k1Sign: () => expect(glue.secp256k1Sign(k1.secretKey, message, 'der').length > 0, 'secp256k1 sign'),
    },
    // The raw exports work on canonical strings: one call per parse and per addition.
    amounts: amountOperations(
      (text) => glue.amountParse(text, 'EUR', undefined),
      (x, y) => glue.amountAdd(x, 'EUR', y, 'EUR'),
      (x) => x,
      () => glue.amountFromMinor('0', 'EUR'),
    ),
  };
}

/** A built checkout's SDK (`<tree>/sdk-ts/dist/node.js`), for AB_SDK=1. */
async function sdkSide(tree) {
  const api = await import(pathToFileURL(path.resolve(tree, 'sdk-ts', 'dist', 'node.js')).href);
  const treeIssuer = new api.Issuer(api.keyPairFromSecret('EdDSA', new Uint8Array(32).fill(0x11)), 'issuer-1');
  const card = api.Card.create('bench', treeIssuer.publicKey);
  const envelope = treeIssuer.provision(CONFIG, { seq: 1n, issuedAt: CARD_T0 - 60, expiresAt: CARD_T0 + 3600 });
  expect((await card.applyConfig(envelope, CARD_T0)).code === 'CONFIG_APPLIED', `${tree}: card configuration not applied`);
  return {
    newLedger: () => {
      const ledger = api.Ledger.create();
      ledger.executeBatch(setUpOperations());
      return ledger;
    },
    // One SDK method per operation (`ledger.hold(request)`), as callers write it.
    run: (ledger, operation) => ledger[operation.op](operation.request),
    replay: (entries) => api.Ledger.replay(entries),
    seqArgument: (seq) => seq,
    card,
    signatures: {
      edVerify: () => expect(api.verifyEd25519(ed.publicKey, message, edSignature), 'Ed25519 verify'),
      edSign: () => expect(api.signEd25519(ed.secretKey, message).length === 64, 'Ed25519 sign'),
    },
    amounts: amountOperations(
      (text) => api.Amount.parse(text, 'EUR'),
      (x, y) => x.add(y),
      (x) => x.toString(),
      () => api.Amount.zero('EUR'),
    ),
  };
}

/** Calls per CPU second of this process over about `ms` of wall time. */
function rate(operation, ms) {
  let calls = 0;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  do {
    for (let k = 0; k < CALLS_PER_CLOCK_READ; k++) operation();
    calls += CALLS_PER_CLOCK_READ;
  } while (performance.now() - start < ms);
  const cpu = process.cpuUsage(cpuStart);
  return calls / ((cpu.user + cpu.system) / 1e6);
}

const viaSdk = process.env.AB_SDK === '1';
const a = operationsOver(viaSdk ? await sdkSide(dirA) : await rawSide(dirA, 'a'));
const b = operationsOver(viaSdk ? await sdkSide(dirB) : await rawSide(dirB, 'b'));
const names = process.env.AB_OPS ? process.env.AB_OPS.split(',') : Object.keys(a);
for (const name of names) expect(name in a, `unknown operation ${name} (known: ${Object.keys(a).join(', ')})`);
for (const name of names) {
  rate(a[name], SLICE_MS / 2); // warm-up
  rate(b[name], SLICE_MS / 2);
}
const rates = Object.fromEntries(names.map((name) => [name, { a: [], b: [] }]));
for (let round = 0; round < ROUNDS; round++) {
  for (const name of names) {
    const first = round % 2 === 0 ? ['a', 'b'] : ['b', 'a'];
    for (const side of first) rates[name][side].push(rate((side === 'a' ? a : b)[name], SLICE_MS));
  }
}
const median = (values) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];
console.log(`A = ${dirA}\nB = ${dirB}\n${ROUNDS} rounds of ${SLICE_MS} ms slices; ops per CPU second (median) and the median of per-round B/A ratios`);
for (const name of names) {
  const ratios = rates[name].a.map((rateA, i) => rates[name].b[i] / rateA);
  console.log(`${name.padEnd(15)} A ${Math.round(median(rates[name].a)).toLocaleString('en-US').padStart(9)}  B ${Math.round(median(rates[name].b)).toLocaleString('en-US').padStart(9)}  B/A ${median(ratios).toFixed(3)}`);
}
