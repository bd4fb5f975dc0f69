// The custody back-office vectors of tests/vectors/custody/ (keys.json, signatures.json,
// flows.json: written by generate.py, an independent Python model) through the SDK: the same
// files core/tests/custody_vectors.rs runs natively. Keys: every transfer wallet byte for byte.
// Signatures: each case is booked end to end through a CustodyBook (register, deposit, sweep,
// allow-list, request, approve) and signed by the SDK; the withdrawal digest, both transaction
// digests and both secp256k1 signatures must equal the model's bytes (RFC 6979, low-S: the same
// bytes as the native core). Flows: every step's outcome and the final balances.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CustodyBook, custodyAddressOf, custodyTransferWallet, ed25519PublicKey, sealCustodyApproval, secp256k1PublicKey } from '@countersign/sdk';
import { hex, readJson, unhex } from './helpers.mjs';

const approverSecret = (i) => new Uint8Array(32).fill(0x40 + i);

test('transfer wallets through the SDK: path, keys and EIP-55 address of every vector', () => {
  const doc = readJson('custody/keys.json');
  assert.ok(doc.wallets.length >= 18);
  for (const w of doc.wallets) {
    const got = custodyTransferWallet(unhex(w.seed), w.index);
    assert.equal(got.path, w.path);
    assert.equal(hex(got.secretKey), w.secretKey, w.path);
    assert.equal(hex(got.publicKey), w.publicKey, w.path);
    assert.equal(got.address, w.address, w.path);
    assert.equal(custodyAddressOf(got.publicKey), w.address, w.path);
  }
});

test('withdrawals booked and signed through the SDK give the model\'s digests and signatures byte for byte', () => {
  const doc = readJson('custody/signatures.json');
  const omnibusKey = unhex(doc.omnibusSecretKey);
  const omnibusAddress = custodyAddressOf(secp256k1PublicKey(omnibusKey, { compressed: true }));
  const seed = Uint8Array.from({ length: 32 }, (_, i) => i);
  const now = 1_800_000_000;
  assert.ok(doc.cases.length >= 20);
  for (const c of doc.cases) {
    const book = CustodyBook.create({
      assets: ['BTC', 'ETH', 'USDC'].map((asset) => ({ asset, confirmations: 1, sweepThreshold: asset === 'ETH' ? '0.000000000000000001' : asset === 'BTC' ? '0.00000001' : '0.000001', clientLimits: [], assetLimits: [] })),
      omnibusAddress,
      approvers: [{ approverId: 'a0', publicKey: ed25519PublicKey(approverSecret(0)) }],
      quorum: 1,
      coolingOffS: 0,
    });
    try {
      let wallet;
      for (let j = 0; j <= c.clientIndex; j++) {
        wallet = custodyTransferWallet(seed, j);
        const clientId = j === c.clientIndex ? c.clientId : `pad-${j}`;
        assert.equal(book.registerClient({ clientId, address: wallet.address, now }).clientIndex, j);
      }
      const amount = BigInt(c.amountMinorUnits);
      const fee = BigInt(c.networkFeeMinorUnits);
      const step = (outcome, code) => assert.equal(outcome.code, code, `${c.withdrawalId}: ${JSON.stringify(outcome)}`);
      step(book.observeDeposit({ depositId: 'd', address: wallet.address, asset: c.asset, amount: amount + fee, confirmations: 1, now }), 'DEPOSIT_CONFIRMED');
      step(book.sweep({ sweepId: 's', clientId: c.clientId, asset: c.asset, networkFee: 0n, now }), 'SWEPT');
      step(book.addDestination({ clientId: c.clientId, address: c.destination, now }), 'DESTINATION_ADDED');
      step(book.requestWithdrawal({ withdrawalId: c.withdrawalId, clientId: c.clientId, asset: c.asset, amount, networkFee: fee, destination: c.destination, now }), 'WITHDRAWAL_REQUESTED');
      const view = book.withdrawal(c.withdrawalId);
      assert.equal(view.digest, c.withdrawalDigest, c.withdrawalId);
      const envelope = sealCustodyApproval({ approverId: 'a0', secretKey: approverSecret(0), digest: view.digest, seq: 1, issuedAt: now, expiresAt: now + 600 });
      step(book.approve({ withdrawalId: c.withdrawalId, envelope, now }), 'APPROVAL_COUNTED');
      const signed = book.signWithdrawal(c.withdrawalId, now, { omnibusKey, walletKey: wallet.secretKey });
      step(signed.outcome, 'WITHDRAWAL_SIGNED');
      assert.deepEqual(signed.digests.map(hex), c.digests, c.withdrawalId);
      assert.deepEqual(signed.signatures.map(hex), c.signatures, c.withdrawalId);
      book.checkInvariants();
    } finally {
      book.free();
    }
  }
});

function flowConfig(doc) {
  const approvers = Array.from({ length: doc.config.approvers }, (_, i) => ({ approverId: `approver-${i}`, publicKey: ed25519PublicKey(approverSecret(i)) }));
  return { ...doc.config, approvers };
}

/** Runs one step of a flow scenario; the outcome. */
export function runFlowStep(book, e, seed, omnibusKey, indexOf) {
  if (e.kind === 'approve') {
    const view = book.withdrawal(e.withdrawalId);
    const digest = e.otherTerms !== undefined ? 'ee'.repeat(32) : view?.digest ?? '00'.repeat(32);
    const envelope = sealCustodyApproval({ approverId: `approver-${e.approver}`, secretKey: approverSecret(e.approver), digest, seq: e.seq, issuedAt: e.issuedAt, expiresAt: e.expiresAt });
    return book.approve({ withdrawalId: e.withdrawalId, envelope, now: e.now });
  }
  if (e.kind === 'sign') {
    const view = book.withdrawal(e.withdrawalId);
    const wallet = custodyTransferWallet(seed, view === undefined ? 0 : indexOf.get(view.clientId));
    const signed = book.signWithdrawal(e.withdrawalId, e.now, { omnibusKey, walletKey: wallet.secretKey });
    assert.equal(signed.signatures.length, signed.outcome.code === 'WITHDRAWAL_SIGNED' ? 2 : 0);
    return signed.outcome;
  }
  return book.apply(e);
}

test('flow scenarios through the SDK: every outcome, the final balances and the omnibus expectation', () => {
  const doc = readJson('custody/flows.json');
  const seed = unhex(doc.seed);
  const omnibusKey = unhex(readJson('custody/signatures.json').omnibusSecretKey);
  let steps = 0;
  assert.ok(doc.scenarios.length >= 5);
  for (const scenario of doc.scenarios) {
    const book = CustodyBook.create(flowConfig(doc));
    try {
      const indexOf = new Map();
      scenario.steps.forEach((step, i) => {
        const e = step.event;
        const outcome = runFlowStep(book, e, seed, omnibusKey, indexOf);
        book.checkInvariants();
        if (outcome.clientIndex !== null) indexOf.set(e.clientId, outcome.clientIndex);
        const x = step.expect;
        const { event: _event, ...got } = outcome;
        assert.deepEqual(got, {
          code: x.code,
          repeated: x.repeated ?? false,
          ledgerCode: x.ledgerCode ?? null,
          limitId: x.limitId ?? null,
          clientIndex: x.clientIndex ?? null,
          approvals: x.approvals ?? null,
          discrepancies: x.discrepancies,
        }, `${scenario.name} step ${i}: ${JSON.stringify(e)}`);
        steps++;
      });
      for (const [client, assets] of Object.entries(scenario.balances)) {
        for (const [asset, b] of Object.entries(assets)) {
          assert.equal(book.tradingBalance(client, asset), b.trading, `${scenario.name} ${client} ${asset}`);
          assert.equal(book.walletBalance(client, asset), b.wallet, `${scenario.name} ${client} ${asset}`);
        }
      }
      for (const [asset, expected] of Object.entries(scenario.expectedOmnibus)) {
        assert.equal(book.expectedOmnibus(asset), expected, `${scenario.name} ${asset}`);
      }
    } finally {
      book.free();
    }
  }
  assert.ok(steps >= 1000, `${steps} steps`);
});
