#!/usr/bin/env node
// countersign benchmark: the SDK's hot paths beside the strongest peers, measured
// in the same run on the same inputs, printed as a markdown table with ratios.
//
//   npm run bench            (builds first)
//   node bench/run.mjs       (uses the existing build)
//   BENCH_MEASURE_MS=200 node bench/run.mjs   (quick look; numbers get noisier)
//   BENCH_ONLY=amount node bench/run.mjs      (only the parts whose name contains one of the
//                                              comma-separated words: an op, "card", "ledger",
//                                              "shards", "shelf", "dose", "custody", "ecash", "relay", "transfer",
//                                              "pos": System 4 in Node and in headless Chromium)
//   BENCH_WALLETS=100000 node bench/run.mjs   (wallets of the sharded-ledger part: default 20,000
//                                              here, a quick look; `node bench/shards.mjs` runs it
//                                              alone at 1,000,000)
//   BENCH_ONE_WALLETS=100000 node bench/run.mjs (wallets of the one-ledger part, "one-ledger":
//                                              default 1,000,000, the size)
//
// Every side is checked to produce the right answer once before it is timed:
// a benchmark that measures broken code is worse than none.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import Decimal from 'decimal.js';
import * as sdk from '@countersign/sdk';
import { cardTable, checkCard, nativeCardBench, measureCard, setUpCard } from './card.mjs';
import { checkLedger, ledgerTable, measureLedger, nativeLedgerBench } from './ledger.mjs';
import { measureShards, shardsTable } from './ledger-shards.mjs';
import { measureOneLedger, oneLedgerTable } from './ledger-one.mjs';
import { checkShelf, measureShelf, shelfTable } from './shelf.mjs';
import { checkTransfer, measureTransfer, transferTable } from './transfer.mjs';
import { checkTransfer as checkTransferLifecycle, measureTransfer as measureTransferLifecycle, transferTable as transferLifecycleTable } from './transfer-lifecycle.mjs';
import { doseTable, measureDose } from './dose.mjs';
import { custodyTable, measureCustody } from './custody-liabilities.mjs';
import { custodyBookTable, custodyRestoreTable, measureCustodyBook, measureCustodyRestore } from './custody.mjs';
import { checkEcash, ecashTable, measureEcash } from './ecash.mjs';
import { measureRelay, relayTable } from './relay.mjs';
import { measurePos, posTable } from './pos.mjs';
import { MEASURE_MS, WARMUP_MS, checksum, measureOpsPerSecond } from './measure.mjs';
import { measureModules, readManifest, sizeTable } from '../scripts/manifest.mjs';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WASM_DIR = path.join(REPO_ROOT, 'sdk-ts', 'wasm');

const MESSAGE_LENGTH_BYTES = 128;
/** Wallets of the sharded-ledger part in the main run (bench/shards.mjs: 1,000,000). */
const SHARDS_WALLETS_DEFAULT = 20_000;
/** Wallets of the one-ledger part (bench/ledger-one.mjs): the million of issue 10, ~20 s. */
const ONE_LEDGER_WALLETS_DEFAULT = 1_000_000;

/** BENCH_ONLY: comma-separated words; a part runs when its name contains one (all when unset). */
const ONLY = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',').map((word) => word.trim().toLowerCase()).filter(Boolean) : [];
const selected = (name) => ONLY.length === 0 || ONLY.some((word) => name.toLowerCase().includes(word));

// ---------------------------------------------------------------------------------------
// fixtures: one key pair and message per algorithm, shared by every side

const base64url = (bytes) => Buffer.from(bytes).toString('base64url');
const bytesEqual = (a, b) => Buffer.from(a).equals(Buffer.from(b));

function flipOneBit(bytes, index) {
  const copy = Uint8Array.from(bytes);
  copy[index] ^= 0x01;
  return copy;
}

const message = new Uint8Array(MESSAGE_LENGTH_BYTES).map((_, i) => (i * 31 + 7) & 0xff);
const otherMessage = flipOneBit(message, 0);

function ed25519Fixture() {
  const keyPair = sdk.generateKeyPair('EdDSA');
  const signature = sdk.signEd25519(keyPair.secretKey, message);
  const nodePublicKey = crypto.createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: base64url(keyPair.publicKey) },
    format: 'jwk',
  });
  // Ed25519 is deterministic: an independent implementation must produce the same bytes.
  assert.ok(bytesEqual(ed25519.sign(message, keyPair.secretKey.subarray(0, 32)), signature), 'noble and countersign Ed25519 signatures differ');
  const nodePrivateKey = crypto.createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: base64url(keyPair.publicKey), d: base64url(keyPair.secretKey.subarray(0, 32)) },
    format: 'jwk',
  });
  return { ...keyPair, signature, nodePublicKey, nodePrivateKey };
}

/** Signatures in the batch-verification case: issue 10's measure (a log of signed records). */
const ED25519_BATCH_SIZE = 64;

/** 64 signatures by 64 distinct keys (the batch's least favourable case: no key terms merged). */
function ed25519BatchFixture() {
  const items = [];
  for (let i = 0; i < ED25519_BATCH_SIZE; i++) {
    const keyPair = sdk.generateKeyPair('EdDSA');
    const record = new TextEncoder().encode(`signed record ${i}: ${'x'.repeat(i)}`);
    items.push({ publicKey: keyPair.publicKey, message: record, signature: sdk.signEd25519(keyPair.secretKey, record) });
  }
  const nodeKeys = items.map((item) =>
    crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: base64url(item.publicKey) }, format: 'jwk' }),
  );
  return { items, nodeKeys };
}

function secp256k1Fixture() {
  const keyPair = sdk.generateKeyPair('ES256K');
  const uncompressed = secp256k1.getPublicKey(keyPair.secretKey, false); // 0x04 ‖ x ‖ y
  assert.ok(bytesEqual(secp256k1.getPublicKey(keyPair.secretKey, true), keyPair.publicKey), 'SDK public key is not compressed SEC1 of its secret');
  const jwk = {
    kty: 'EC',
    crv: 'secp256k1',
    x: base64url(uncompressed.subarray(1, 33)),
    y: base64url(uncompressed.subarray(33, 65)),
  };
  const nodePrivateKey = crypto.createPrivateKey({ key: { ...jwk, d: base64url(keyPair.secretKey) }, format: 'jwk' });
  const nodePublicKey = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  const signature = sdk.signSecp256k1(keyPair.secretKey, message, { format: 'compact' });
  return { ...keyPair, signature, nodePrivateKey, nodePublicKey };
}

// ---------------------------------------------------------------------------------------
// the operations, each side doing the same thing:
//   Ed25519: RFC 8032 over the raw message (noble with zip215 off = strict RFC 8032, like the core).
//   secp256k1: ECDSA over SHA-256(message), compact r‖s, low-S (noble v2 prehash: true hashes
//   with SHA-256; Node hashes with 'sha256' and emits IEEE P1363 r‖s).

function buildCases(ed, k1, batch) {
  const nodeEcdsa = (key) => ({ key, dsaEncoding: 'ieee-p1363' });
  const allTrue = (results) => results.length === ED25519_BATCH_SIZE && results.every((ok) => ok === true);
  const oneByOne = (verify) => () => batch.items.map(verify);
  const sdkOne = oneByOne((it) => sdk.verifyEd25519(it.publicKey, it.message, it.signature));
  const nobleOne = oneByOne((it) => ed25519.verify(it.signature, it.message, it.publicKey, { zip215: false }));
  const nodeOne = oneByOne((it, i) => crypto.verify(null, it.message, batch.nodeKeys[i], it.signature));
  return [
    {
      // Each side checks the same 64 signatures per run; the ratio beside "countersign,
      // one by one" is what batching buys (issue 10: at least 2x).
      op: `Ed25519 verify, batch of ${ED25519_BATCH_SIZE}`,
      countersign: {
        run: () => sdk.verifyEd25519Batch(batch.items),
        check: () => {
          assert.ok(allTrue(sdk.verifyEd25519Batch(batch.items)), 'batch refused a valid signature');
          const tampered = batch.items.map((it, i) => (i === 9 ? { ...it, signature: flipOneBit(it.signature, 40) } : it));
          assert.deepEqual(sdk.verifyEd25519Batch(tampered), batch.items.map((_, i) => i !== 9));
        },
      },
      peers: [
        { peer: 'countersign, one by one', run: sdkOne, check: () => assert.ok(allTrue(sdkOne())) },
        { peer: '@noble/curves, one by one', run: nobleOne, check: () => assert.ok(allTrue(nobleOne())) },
        { peer: 'node:crypto, one by one', run: nodeOne, check: () => assert.ok(allTrue(nodeOne())) },
      ],
    },
    {
      op: 'Ed25519 verify',
      countersign: {
        run: () => sdk.verifyEd25519(ed.publicKey, message, ed.signature),
        check: () => {
          assert.equal(sdk.verifyEd25519(ed.publicKey, message, ed.signature), true);
          assert.equal(sdk.verifyEd25519(ed.publicKey, otherMessage, ed.signature), false);
          assert.equal(sdk.verifyEd25519(ed.publicKey, message, flipOneBit(ed.signature, 40)), false);
        },
      },
      peers: [
        {
          peer: '@noble/curves',
          run: () => ed25519.verify(ed.signature, message, ed.publicKey, { zip215: false }),
          check: () => {
            assert.equal(ed25519.verify(ed.signature, message, ed.publicKey, { zip215: false }), true);
            assert.equal(ed25519.verify(ed.signature, otherMessage, ed.publicKey, { zip215: false }), false);
          },
        },
        {
          peer: 'node:crypto',
          run: () => crypto.verify(null, message, ed.nodePublicKey, ed.signature),
          check: () => {
            assert.equal(crypto.verify(null, message, ed.nodePublicKey, ed.signature), true);
            assert.equal(crypto.verify(null, otherMessage, ed.nodePublicKey, ed.signature), false);
          },
        },
      ],
    },
    {
      // Shown because the wasm build ships no precomputed basepoint tables: signing builds its
      // table at run time (HACKING.md "Wasm size budget").
      op: 'Ed25519 sign',
      countersign: {
        run: () => sdk.signEd25519(ed.secretKey, message),
        check: () => {
          // Ed25519 is deterministic: every side must produce the very same bytes.
          assert.ok(bytesEqual(sdk.signEd25519(ed.secretKey, message), ed.signature), 'countersign Ed25519 signature changed');
        },
      },
      peers: [
        {
          peer: '@noble/curves',
          run: () => ed25519.sign(message, ed.secretKey.subarray(0, 32)),
          check: () => assert.ok(bytesEqual(ed25519.sign(message, ed.secretKey.subarray(0, 32)), ed.signature), 'noble Ed25519 signature differs'),
        },
        {
          peer: 'node:crypto',
          run: () => crypto.sign(null, message, ed.nodePrivateKey),
          check: () => assert.ok(bytesEqual(crypto.sign(null, message, ed.nodePrivateKey), ed.signature), 'node:crypto Ed25519 signature differs'),
        },
      ],
    },
    {
      op: 'secp256k1 sign',
      countersign: {
        run: () => sdk.signSecp256k1(k1.secretKey, message, { format: 'compact' }),
        check: () => {
          const signature = sdk.signSecp256k1(k1.secretKey, message, { format: 'compact' });
          // RFC 6979 is deterministic: noble must produce the very same bytes.
          assert.ok(bytesEqual(signature, secp256k1.sign(message, k1.secretKey)), 'countersign and noble ECDSA signatures differ');
          assert.equal(secp256k1.verify(signature, message, k1.publicKey), true);
          assert.equal(crypto.verify('sha256', message, nodeEcdsa(k1.nodePublicKey), signature), true);
        },
      },
      peers: [
        {
          peer: '@noble/curves',
          run: () => secp256k1.sign(message, k1.secretKey),
          check: () => {
            const signature = secp256k1.sign(message, k1.secretKey);
            assert.equal(sdk.verifySecp256k1(k1.publicKey, message, signature, { format: 'compact' }), true);
          },
        },
        {
          peer: 'node:crypto',
          run: () => crypto.sign('sha256', message, nodeEcdsa(k1.nodePrivateKey)),
          check: () => {
            const signature = crypto.sign('sha256', message, nodeEcdsa(k1.nodePrivateKey));
            // OpenSSL uses a random k and does not normalise S, so check with high-S allowed.
            assert.equal(sdk.verifySecp256k1(k1.publicKey, message, signature, { format: 'compact', allowHighS: true }), true);
            assert.equal(secp256k1.verify(signature, message, k1.publicKey, { lowS: false }), true);
          },
        },
      ],
    },
    {
      op: 'secp256k1 verify',
      countersign: {
        run: () => sdk.verifySecp256k1(k1.publicKey, message, k1.signature, { format: 'compact' }),
        check: () => {
          assert.equal(sdk.verifySecp256k1(k1.publicKey, message, k1.signature, { format: 'compact' }), true);
          assert.equal(sdk.verifySecp256k1(k1.publicKey, otherMessage, k1.signature, { format: 'compact' }), false);
          assert.equal(sdk.verifySecp256k1(k1.publicKey, message, flipOneBit(k1.signature, 63), { format: 'compact' }), false);
        },
      },
      peers: [
        {
          peer: '@noble/curves',
          run: () => secp256k1.verify(k1.signature, message, k1.publicKey),
          check: () => {
            assert.equal(secp256k1.verify(k1.signature, message, k1.publicKey), true);
            assert.equal(secp256k1.verify(k1.signature, otherMessage, k1.publicKey), false);
          },
        },
        {
          peer: 'node:crypto',
          run: () => crypto.verify('sha256', message, nodeEcdsa(k1.nodePublicKey), k1.signature),
          check: () => {
            assert.equal(crypto.verify('sha256', message, nodeEcdsa(k1.nodePublicKey), k1.signature), true);
            assert.equal(crypto.verify('sha256', otherMessage, nodeEcdsa(k1.nodePublicKey), k1.signature), false);
          },
        },
      ],
    },
    amountCase(),
    basketCase(),
  ].filter((benchCase) => selected(benchCase.op));
}

// Amount parse + add + format: two decimal strings in, the canonical 2-decimal sum out.
// A small rotating set of inputs so neither side sees one constant string.
const AMOUNT_INPUT_PAIRS = [
  ['12.34', '0.66', '13.00'],
  ['0.01', '0.02', '0.03'],
  ['999999.99', '0.01', '1000000.00'],
  ['-5.25', '10.00', '4.75'],
  ['1234567.89', '9876543.21', '11111111.10'],
  ['0.10', '0.20', '0.30'],
  ['100', '0.5', '100.50'],
  ['42.42', '-42.42', '0.00'],
];
const AMOUNT_CURRENCY = 'EUR';
const AMOUNT_FRACTION_DIGITS = 2;

function amountCase() {
  let sdkIndex = 0;
  let decimalIndex = 0;
  const nextPair = (index) => AMOUNT_INPUT_PAIRS[index % AMOUNT_INPUT_PAIRS.length];
  const sdkAdd = ([a, b]) => sdk.Amount.parse(a, AMOUNT_CURRENCY).add(sdk.Amount.parse(b, AMOUNT_CURRENCY)).toString();
  const decimalAdd = ([a, b]) => new Decimal(a).plus(new Decimal(b)).toFixed(AMOUNT_FRACTION_DIGITS);
  return {
    op: 'amount parse+add+format',
    countersign: {
      run: () => sdkAdd(nextPair(sdkIndex++)),
      check: () => {
        for (const [a, b, sum] of AMOUNT_INPUT_PAIRS) assert.equal(sdkAdd([a, b]), sum, `countersign ${a} + ${b}`);
      },
    },
    peers: [
      {
        peer: 'decimal.js',
        run: () => decimalAdd(nextPair(decimalIndex++)),
        check: () => {
          for (const [a, b, sum] of AMOUNT_INPUT_PAIRS) assert.equal(decimalAdd([a, b]), sum, `decimal.js ${a} + ${b}`);
        },
      },
    ],
  };
}

// The total of a basket: 100 amount strings parsed and added up, the sum formatted once (what
// an app does with a cart or a receipt; the SDK adds bigint minor units, no wasm call per item).
const BASKET_ITEMS = 100;
const BASKET = Array.from({ length: BASKET_ITEMS }, (_, i) => {
  const cents = (i * 7919 + 13) % 250_000; // deterministic prices 0.13 .. 2,499.99
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
});
// Independent of both sides: the integer sum of the cents, written with two decimals.
const BASKET_TOTAL = (() => {
  const cents = BASKET.reduce((sum, price) => sum + BigInt(price.replace('.', '')), 0n);
  return `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;
})();

function basketCase() {
  const sdkTotal = () => {
    let total = sdk.Amount.zero(AMOUNT_CURRENCY);
    for (const price of BASKET) total = total.add(sdk.Amount.parse(price, AMOUNT_CURRENCY));
    return total.toString();
  };
  const decimalTotal = () => {
    let total = new Decimal(0);
    for (const price of BASKET) total = total.plus(new Decimal(price));
    return total.toFixed(AMOUNT_FRACTION_DIGITS);
  };
  return {
    op: `amount total of a basket (${BASKET_ITEMS} parsed)`,
    countersign: { run: sdkTotal, check: () => assert.equal(sdkTotal(), BASKET_TOTAL, 'countersign basket total') },
    peers: [{ peer: 'decimal.js', run: decimalTotal, check: () => assert.equal(decimalTotal(), BASKET_TOTAL, 'decimal.js basket total') }],
  };
}

// ---------------------------------------------------------------------------------------
// report

const formatOps = (opsPerSecond) => Math.round(opsPerSecond).toLocaleString('en-US');

/** Raw and gzip -9 size of every module in systems.json, beside its budget (build.sh's table). */
function wasmSizes() {
  return measureModules(readManifest(), WASM_DIR);
}

async function main() {
  if (!sdk.isInitialized()) throw new Error('the SDK Node entry should be ready on import');
  const cases = buildCases(ed25519Fixture(), secp256k1Fixture(), ed25519BatchFixture());
  const withCard = selected('card');
  const withLedger = selected('ledger');
  const card = withCard ? await setUpCard(REPO_ROOT) : undefined;

  // Correctness first, for every side, before any timing.
  for (const benchCase of cases) {
    for (const side of [benchCase.countersign, ...benchCase.peers]) {
      try {
        side.check();
      } catch (err) {
        throw new Error(`${benchCase.op} / ${side.peer ?? 'countersign'}: wrong result, not benchmarking: ${err.message}`);
      }
    }
  }
  try {
    if (withCard) checkCard(card);
  } catch (err) {
    throw new Error(`card: wrong result, not benchmarking: ${err.message}`);
  }
  try {
    if (withLedger) checkLedger();
  } catch (err) {
    throw new Error(`ledger: wrong result, not benchmarking: ${err.message}`);
  }
  const withShelf = selected('shelf');
  try {
    if (withShelf) checkShelf();
  } catch (err) {
    throw new Error(`shelf: wrong result, not benchmarking: ${err.message}`);
  }
  const withTransfer = selected('transfer');
  try {
    if (withTransfer) checkTransfer();
    if (withTransfer) checkTransferLifecycle();
  } catch (err) {
    throw new Error(`transfer: wrong result, not benchmarking: ${err.message}`);
  }

  // The native card bench first: its release build must not overlap any timing in this process.
  const cardNative = withCard ? nativeCardBench(REPO_ROOT) : undefined;
  const ledgerNative = withLedger ? nativeLedgerBench(REPO_ROOT) : undefined;

  const rows = [];
  for (const benchCase of cases) {
    process.stderr.write(`measuring ${benchCase.op} …\n`);
    const countersignOps = measureOpsPerSecond(benchCase.countersign.run);
    for (const peer of benchCase.peers) {
      const peerOps = measureOpsPerSecond(peer.run);
      rows.push({ op: benchCase.op, countersignOps, peer: peer.peer, peerOps });
    }
  }
  const cardMeasured = withCard ? measureCard(card) : undefined;
  if (withLedger) process.stderr.write('measuring ledger …\n');
  const ledgerMeasured = withLedger ? measureLedger() : undefined;
  const withShards = selected('shards');
  const shardsMeasured = withShards ? await measureShards({ wallets: Number(process.env.BENCH_WALLETS ?? SHARDS_WALLETS_DEFAULT) }) : undefined;
  const withOneLedger = selected('one-ledger');
  const oneLedgerMeasured = withOneLedger ? await measureOneLedger({ wallets: Number(process.env.BENCH_ONE_WALLETS ?? ONE_LEDGER_WALLETS_DEFAULT) }) : undefined;

  const shelfMeasured = withShelf ? measureShelf() : undefined;
  const transferMeasured = withTransfer ? measureTransfer() : undefined;
  const withDose = selected('dose');
  const doseMeasured = withDose ? measureDose() : undefined;
  const withCustody = selected('custody');
  const custodyMeasured = withCustody ? await measureCustody() : undefined;
  const custodyBookMeasured = withCustody ? measureCustodyBook(REPO_ROOT) : undefined;
  const custodyRestoreMeasured = withCustody ? measureCustodyRestore() : undefined;
  const withEcash = selected('ecash');
  if (withEcash) checkEcash();
  const ecashMeasured = withEcash ? measureEcash() : undefined;
  const withRelay = selected('relay');
  const relayMeasured = withRelay ? measureRelay() : undefined;
  const transferLifecycleMeasured = withTransfer ? measureTransferLifecycle() : undefined;
  const withPos = selected('pos');
  if (withPos) process.stderr.write('measuring pos (Node files, then Chromium IndexedDB) …\n');
  const posMeasured = withPos ? await measurePos() : undefined;

  const sizes = wasmSizes();
  const lines = [
    `# countersign benchmark`,
    '',
    `- date: ${new Date().toISOString()}`,
    `- cpu: ${os.cpus()[0]?.model ?? 'unknown'} (${os.cpus().length} logical)`,
    `- node: ${process.version} (${process.platform}/${process.arch})`,
    `- countersign: @countersign/sdk Node entry; ${MEASURE_MS} ms per measurement after ${WARMUP_MS} ms warm-up; ratio > 1 means countersign is faster`,
    '',
    '| op | countersign ops/s | peer | peer ops/s | ratio (countersign/peer) |',
    '|---|---:|---|---:|---:|',
    ...rows.map(
      (r) => `| ${r.op} | ${formatOps(r.countersignOps)} | ${r.peer} | ${formatOps(r.peerOps)} | ${(r.countersignOps / r.peerOps).toFixed(2)} |`,
    ),
    '',
    ...(withCard ? [...cardTable(cardNative, cardMeasured), ''] : []),
    ...(withLedger ? [...ledgerTable(ledgerNative, ledgerMeasured), ''] : []),
    ...(withShards ? [...shardsTable(shardsMeasured), ''] : []),
    ...(withOneLedger ? [...oneLedgerTable(oneLedgerMeasured), ''] : []),
    ...(withShelf ? [...shelfTable(shelfMeasured), ''] : []),
    ...(withTransfer ? [...transferTable(transferMeasured), ''] : []),
    ...(withDose ? [...doseTable(doseMeasured), ''] : []),
    ...(withCustody ? [...custodyTable(custodyMeasured), ''] : []),
    ...(withCustody ? [...custodyBookTable(custodyBookMeasured), ''] : []),
    ...(withCustody ? [...custodyRestoreTable(custodyRestoreMeasured), ''] : []),
    ...(withEcash ? [...ecashTable(ecashMeasured), ''] : []),
    ...(withRelay ? [...relayTable(relayMeasured), ''] : []),
    ...(withPos ? [...posTable(posMeasured), ''] : []),
    ...(withTransfer ? [...transferLifecycleTable(transferLifecycleMeasured), ''] : []),
    'wasm modules (`init({ system })`, `init({ systems })`):',
    '',
    sizeTable(sizes),
    '',
    `(countersign ops/s for an op is measured once and compared with each peer; checksum ${checksum()})`,
  ];
  console.log(lines.join('\n'));
}

await main();
