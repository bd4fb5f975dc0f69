// Relay benchmark (System 5): tokens sealed per second by a PaymentPhone (allowance check,
// COSE_Sign1 envelope, Ed25519 signature, the reservation recorded) and tokens verified and
// answered per second by a TokenServer (signature, counter window, limits, a ledger transfer,
// a signed receipt), beside @noble/curves Ed25519 signing and verifying the same bytes in the
// same run: the floor a token costs in signatures alone (one signature to seal; one verification
// plus one signature to answer).
//
//   node bench/relay.mjs          (uses the existing build: bash scripts/build.sh)
//
// Every side is checked once before it is timed: noble's signature of the token's signed bytes
// equals the token's own, and the server approves a fresh token.

import assert from 'node:assert/strict';
import { ed25519 } from '@noble/curves/ed25519.js';
import * as sdk from '@countersign/sdk';
import { MEASURE_MS, measureOpsPerSecond } from './measure.mjs';

const NOW = 1_800_000_000;
/** Tokens per measured batch: the phone keeps at most 32 outstanding, so each batch is settled. */
const TOKENS_PER_BATCH = 32;
const phoneKeys = sdk.keyPairFromSecret('EdDSA', new Uint8Array(32).fill(0x71));
const serverKeys = sdk.keyPairFromSecret('EdDSA', new Uint8Array(32).fill(0x72));

function setUp() {
  const phone = sdk.PaymentPhone.create({ deviceId: 'ph1', allowance: [] }, phoneKeys);
  const server = sdk.TokenServer.create('EUR', NOW, serverKeys);
  server.registerDevice('ph1', phone.publicKey, [], NOW);
  server.addPayee('cafe', NOW);
  server.fund('ph1', '1000000000.00', NOW);
  return { phone, server };
}

/** The Sig_structure a token's signature covers, read back from its COSE_Sign1 bytes (for noble). */
function sigStructure(token) {
  // 18([protected bstr, {}, payload bstr, signature bstr(64)]): lengths < 256 in a token.
  let at = 2;
  const bstr = () => {
    const head = token[at];
    const short = head & 31;
    const n = short < 24 ? short : token[at + 1];
    const start = at + (short < 24 ? 1 : 2);
    at = start + n;
    return token.subarray(start, start + n);
  };
  const prot = bstr();
  at += 1; // {}
  const payload = bstr();
  const enc = (bytes) => (bytes.length < 24 ? [0x40 | bytes.length] : [0x58, bytes.length]);
  return new Uint8Array([0x84, 0x6a, ...new TextEncoder().encode('Signature1'), ...enc(prot), ...prot, 0x40, ...enc(payload), ...payload]);
}

export function measureRelay() {
  let { phone, server } = setUp();
  let n = 0;
  const seal = () => phone.seal({ payee: 'cafe', amount: '1.00', currency: 'EUR', now: NOW, nonce: new Uint8Array(8).fill(n++ & 0xff) });
  const first = seal();
  const signed = sigStructure(first.token);
  const signature = first.token.subarray(first.token.length - 64);
  assert.deepEqual(ed25519.sign(signed, phoneKeys.secretKey), new Uint8Array(signature), 'noble signs the token bytes as the phone does');
  assert.equal(server.process(first.token, NOW).code, 'APPROVED');

  // Sealing: batches of 32 tokens, each batch answered and settled outside the timing would skew
  // it, so a fresh phone per batch is restored from a snapshot (restore cost included, stated).
  const snapshotKey = new Uint8Array(32).fill(1);
  const clean = sdk.PaymentPhone.create({ deviceId: 'ph1', allowance: [] }, phoneKeys);
  const cleanBytes = clean.snapshot(snapshotKey);
  clean.free();
  const sealBatches = measureOpsPerSecond(() => {
    const p = sdk.PaymentPhone.restore(cleanBytes, snapshotKey, phoneKeys);
    for (let i = 0; i < TOKENS_PER_BATCH; i++) p.seal({ payee: 'cafe', amount: '1.00', currency: 'EUR', now: NOW, nonce: new Uint8Array(8).fill(i) });
    p.free();
    return TOKENS_PER_BATCH;
  }, { measureMs: MEASURE_MS });
  const nobleSigns = measureOpsPerSecond(() => ed25519.sign(signed, phoneKeys.secretKey).length, { measureMs: MEASURE_MS });

  // Verifying and answering: a fresh server state per batch of 32 tokens from one phone.
  phone.free();
  server.free();
  ({ phone, server } = setUp());
  const tokens = Array.from({ length: TOKENS_PER_BATCH }, (_, i) => phone.seal({ payee: 'cafe', amount: '1.00', currency: 'EUR', now: NOW, nonce: new Uint8Array(8).fill(i) }).token);
  const serverBytes = server.snapshot(snapshotKey);
  const answerBatches = measureOpsPerSecond(() => {
    const s = sdk.TokenServer.restore(serverBytes, snapshotKey, serverKeys);
    for (const t of tokens) if (s.process(t, NOW).code !== 'APPROVED') throw new Error('not approved');
    s.free();
    return TOKENS_PER_BATCH;
  }, { measureMs: MEASURE_MS });
  const restoreOnly = measureOpsPerSecond(() => {
    sdk.TokenServer.restore(serverBytes, snapshotKey, serverKeys).free();
    return 1;
  }, { measureMs: MEASURE_MS });
  const publicKey = phoneKeys.publicKey;
  const nobleVerifySign = measureOpsPerSecond(() => {
    if (!ed25519.verify(signature, signed, publicKey)) throw new Error('noble: bad signature');
    return ed25519.sign(signed, serverKeys.secretKey).length;
  }, { measureMs: MEASURE_MS });
  phone.free();
  server.free();
  return {
    tokenBytes: first.token.length,
    qrVersion: sdk.relayQrVersion(first.token.length),
    rows: [
      { op: `tokens sealed (PaymentPhone.seal; batches of ${TOKENS_PER_BATCH} from a restored phone) vs noble Ed25519 sign of the same bytes`, ours: sealBatches * TOKENS_PER_BATCH, theirs: nobleSigns },
      { op: `tokens verified and answered (TokenServer.process: signature, window, limits, ledger transfer, signed receipt; batches of ${TOKENS_PER_BATCH}, ${Math.round(restoreOnly)} restores/s included) vs noble verify + sign`, ours: answerBatches * TOKENS_PER_BATCH, theirs: nobleVerifySign },
    ],
  };
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');

export function relayTable(measured) {
  return [
    `relay (System 5) through the SDK, beside @noble/curves 2.4 Ed25519 over the same signed bytes (the signatures alone). A token is ${measured.tokenBytes} bytes: QR version ${measured.qrVersion} at level M.`,
    '',
    '| op | countersign /s | noble /s | ratio (countersign/noble) |',
    '|---|---:|---:|---:|',
    ...measured.rows.map((r) => `| ${r.op} | ${fmt(r.ours)} | ${fmt(r.theirs)} | ${(r.ours / r.theirs).toFixed(3)} |`),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(relayTable(measureRelay()).join('\n'));
