// ecash benchmark (System 6), through the SDK, beside a plain hand-written TypeScript baseline in
// the same run (node:crypto's Ed25519 and SHA-256, no countersign):
// - offline payments per second on a card: countersign's EcashCard.pay + confirm (limits, the
//   signed record, the hash chain, the journal) against the baseline signing the same record
//   bytes and chaining its hash; 1,000 payments per timed operation, from a fresh card each time;
// - back-end checks per second over a log of 10,000 transactions: EcashBackend.sync on a card's
//   10,000-payment sync request (batch Ed25519 verification, counters, chain, every rule, the
//   signed answer) against the baseline verifying the 10,000 signatures one by one;
// - simulator runs per second at 1,000 cards (20 steps, 5 attacks; no baseline).
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, sign as nodeSign, createPublicKey, verify as nodeVerify } from 'node:crypto';
import * as sdk from '@countersign/sdk';
import { measureOpsPerSecond } from './measure.mjs';

const T0 = 1_700_000_000;
const ISSUER_SK = new Uint8Array(32).fill(7);
const SIGNER = { keyId: 'issuer-1', secretKey: ISSUER_SK };
const CARD_SK = new Uint8Array(32).fill(1);
const PAYMENTS_PER_OP = 1_000;
const LOG_RECORDS = 10_000;
const POLICY = {
  limits: { singleMax: '1000', cumulativeMax: '1000000000', countMax: 20_000 }, validityS: 86400 * 30, counterWindow: 16_384,
  velocity: { windowS: 1, countMax: 1_000_000, amountMax: '1000000000000' },
};

function freshCard(balance) {
  const backend = sdk.EcashBackend.create(POLICY);
  const security = backend.register(SIGNER, 'card-0', sdk.ed25519PublicKey(CARD_SK), balance, T0);
  const card = sdk.EcashCard.create('card-0', CARD_SK, { keyId: 'issuer-1', publicKey: sdk.ed25519PublicKey(ISSUER_SK) }, security, T0);
  return { backend, card };
}

/** The baseline's private key object (PKCS#8 DER wrapping of a raw Ed25519 seed). */
const pkcs8 = (seed) => createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seed)]), format: 'der', type: 'pkcs8' });
const NODE_KEY = pkcs8(CARD_SK);
const NODE_PUB = createPublicKey(NODE_KEY);
const TAG = Buffer.from('countersign.ecash.record.v1\0');
/** The baseline's record: the same layout, signed with node:crypto, chained with SHA-256. */
function baselinePay(state, amount, payee, time) {
  const body = Buffer.alloc(TAG.length + 1 + 1 + 6 + 16 + 1 + payee.length + 8 + 64);
  let o = TAG.copy(body, 0);
  body[o++] = 1;
  body[o++] = 6;
  o += body.write('card-0', o);
  body.writeBigUInt64BE(BigInt(state.counter + 1), o); o += 8;
  body.writeBigUInt64BE(BigInt(amount), o); o += 8;
  body[o++] = payee.length;
  o += body.write(payee, o);
  body.writeBigInt64BE(BigInt(time), o); o += 8;
  state.head.copy(body, o);
  const signature = nodeSign(null, body, NODE_KEY);
  if (amount > state.balance) throw new Error('funds');
  state.counter++;
  state.balance -= amount;
  state.head = createHash('sha256').update(body).update(signature).digest();
  return { body, signature };
}

export function checkEcash() {
  const { card } = freshCard('1000000');
  const p = card.pay('shop-a', '10', T0 + 1);
  assert.equal(p.ok, true);
  assert.equal(card.view().available, '999990');
  const state = { counter: 0, balance: 100, head: Buffer.alloc(32) };
  const { body, signature } = baselinePay(state, 10, 'shop-a', T0 + 1);
  assert.ok(nodeVerify(null, body, NODE_PUB, signature));
}

/** The ack of a payment: the hash of its record, which follows the u32-prefixed security information. */
const ackOf = (payment) => sdk.sha256(payment.subarray(4 + new DataView(payment.buffer, payment.byteOffset).getUint32(0)));

function bigLog() {
  const { backend, card } = freshCard(String(LOG_RECORDS * 10));
  for (let i = 0; i < LOG_RECORDS; i++) {
    const p = card.pay(`shop-${i % 7}`, '10', T0 + 1 + i);
    assert.equal(p.ok, true, p.refusal);
    card.confirm(ackOf(p.payment));
  }
  return { backend, request: card.syncRequest(T0 + LOG_RECORDS + 10), snapshot: backend.snapshot(new Uint8Array(32)) };
}

export function measureEcash() {
  const rows = [];
  const { card: template } = freshCard(String(PAYMENTS_PER_OP * 10));
  const snap = template.snapshot(new Uint8Array(32));
  const ours = measureOpsPerSecond(() => {
    const card = sdk.EcashCard.restore(snap, new Uint8Array(32));
    for (let i = 0; i < PAYMENTS_PER_OP; i++) {
      const p = card.pay('shop-a', '10', T0 + 1 + i);
      card.confirm(ackOf(p.payment));
    }
    card.free();
  });
  const theirs = measureOpsPerSecond(() => {
    const state = { counter: 0, balance: PAYMENTS_PER_OP * 10, head: Buffer.alloc(32) };
    for (let i = 0; i < PAYMENTS_PER_OP; i++) baselinePay(state, 10, 'shop-a', T0 + 1 + i);
  });
  rows.push({ op: 'offline payments on a card', unit: 'payments/s', ours: ours * PAYMENTS_PER_OP, theirs: theirs * PAYMENTS_PER_OP });

  const { request, snapshot } = bigLog();
  const key = new Uint8Array(32);
  const checks = measureOpsPerSecond(() => {
    const backend = sdk.EcashBackend.restore(snapshot, key);
    const out = backend.sync(SIGNER, request, T0 + LOG_RECORDS + 20);
    if (out.outcome !== 'clean') throw new Error(`not clean: ${out.findings.map((f) => f.code)}`);
    backend.free();
  }, { measureMs: 3000 });
  // The baseline: the same 10,000 record signatures, verified one by one with node:crypto.
  const bodies = [];
  const state = { counter: 0, balance: LOG_RECORDS * 10, head: Buffer.alloc(32) };
  for (let i = 0; i < LOG_RECORDS; i++) bodies.push(baselinePay(state, 10, `shop-${i % 7}`, T0 + 1 + i));
  const verifies = measureOpsPerSecond(() => {
    for (const { body, signature } of bodies) if (!nodeVerify(null, body, NODE_PUB, signature)) throw new Error('bad');
  }, { measureMs: 3000 });
  rows.push({ op: `back-end checks of a ${LOG_RECORDS.toLocaleString('en')}-record log`, unit: 'logs/s', ours: checks, theirs: verifies });

  const sim = measureOpsPerSecond(() => {
    const report = sdk.ecashSimulate({
      seed: 3, cards: 1000, merchants: 50, steps: 20, stepS: 600, offlineSteps: 6, payPercent: 10, openingBalance: '50000',
      limits: { singleMax: '2000', cumulativeMax: '10000', countMax: 12 }, validityS: 86400,
      attacks: [{ kind: 'clone', card: 3, step: 2 }, { kind: 'replay', card: 5, step: 1 }, { kind: 'rollback', card: 7, step: 0 }, { kind: 'double-spend', card: 9, step: 4 }, { kind: 'relay', card: 11, step: 3 }],
    });
    if (report.honestFlagged.length !== 0) throw new Error('an honest card was flagged');
  }, { measureMs: 3000 });
  rows.push({ op: 'simulator runs at 1,000 cards (20 steps, 5 attacks)', unit: 'runs/s', ours: sim, theirs: NaN });
  return { rows };
}

const fmt = (x) => (Number.isNaN(x) ? '—' : x >= 100 ? Math.round(x).toLocaleString('en') : x.toFixed(2));
export function ecashTable(measured) {
  return [
    'ecash (System 6) through the SDK, beside a hand-written TypeScript baseline (node:crypto Ed25519 + SHA-256: the same record signed and chained; the same 10,000 signatures verified one by one):',
    '',
    '| op | countersign /s | TypeScript baseline /s | ratio (countersign/baseline) |',
    '|---|---:|---:|---:|',
    ...measured.rows.map((r) => `| ${r.op} (${r.unit}) | ${fmt(r.ours)} | ${fmt(r.theirs)} | ${Number.isNaN(r.theirs) ? '—' : (r.ours / r.theirs).toFixed(3)} |`),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await sdk.init({ system: 'ecash' });
  checkEcash();
  console.log(ecashTable(measureEcash()).join('\n'));
}
