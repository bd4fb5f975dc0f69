// System 2 through the SDK: the full flow (approve, reveal, buy until the limit, refund,
// activate), argument validation with typed errors naming the parameter, and persistence through
// TempCardStore over atomic files (reload in a new store, conflict, rollback, tamper) and memory.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  CountersignError,
  CountersignRangeError,
  CountersignTypeError,
  MemoryStorage,
  TempCardIssuer,
  TempCardStore,
  TemporaryAccount,
  tempcardCodes,
} from '@countersign/sdk';
import { docTable, throwsCode } from './helpers.mjs';
import { durableAdapters } from './postgres-server.mjs';

const NOW = 1_796_895_000; // 2026-12-10 09:30 UTC
const cvvKey = new Uint8Array(32).fill(3);
const snapshotKey = new Uint8Array(32).fill(4);
const config = { currency: 'EUR', binRange: { low: '45717360', high: '45717369', panLength: 16 } };
const workDir = mkdtempSync(join(tmpdir(), 'countersign-tempcard-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

function approval(accountId, extra = {}) {
  return {
    accountId,
    parentAccountId: `parent-${accountId}`,
    approvedLimit: '1500.00',
    limitFraction: '0.2',
    limitCap: '250',
    displayWindow: { from: NOW, until: NOW + 300 },
    usableWindow: { from: NOW, until: NOW + 86_400 },
    now: NOW,
    ...extra,
  };
}

/** The credentials shown to the holder, remembered per account (the display window is short). */
const shownCredentials = new Map();

function purchase(issuer, accountId, authorisationId, amount, now, merchantId = 'shop-1') {
  if (!shownCredentials.has(accountId)) shownCredentials.set(accountId, issuer.reveal(accountId, NOW));
  const { pan, expiry, cvv } = shownCredentials.get(accountId);
  return issuer.authorise({ authorisationId, pan, expiry, cvv, amount, currency: 'EUR', merchantId, now });
}

test('approve, reveal with a countdown, buy until the limit, refund, activate the physical card', () => {
  const issuer = TempCardIssuer.create(config, { cvvKey, now: NOW - 10 });
  const approved = issuer.approve(approval('tmp-1'));
  assert.equal(approved.code, 'TEMPORARY_ACCOUNT_OPENED');
  // 1500 × 0.2 = 300, capped at 250.
  assert.equal(approved.account.temporaryLimit, '250.00');
  assert.equal(approved.account.parent.available, '1250.00');
  assert.match(approved.account.maskedPan, /^457173\*{6}\d{4}$/);

  const account = issuer.temporaryAccount('tmp-1');
  assert.ok(account instanceof TemporaryAccount);
  const shown = account.reveal(NOW + 1);
  assert.equal(shown.code, 'DISPLAY_ALLOWED');
  assert.match(shown.pan, /^45717369?\d{8,9}$/);
  assert.match(shown.cvv, /^\d{3}$/);
  assert.equal(account.displaySecondsLeft(NOW + 100), 200);
  assert.equal(account.reveal(NOW + 300).code, 'DISPLAY_CLOSED');
  assert.equal(account.reveal(NOW + 300).cvv, null);
  assert.equal(account.usableSecondsLeft(NOW + 300), 86_100);

  assert.equal(purchase(issuer, 'tmp-1', 'a1', '200', NOW + 400).code, 'APPROVED');
  const over = purchase(issuer, 'tmp-1', 'a2', '50.01', NOW + 410);
  assert.equal(over.code, 'INSUFFICIENT_TEMPORARY_CREDIT');
  assert.equal(over.available, '50.00');
  assert.equal(purchase(issuer, 'tmp-1', 'a3', '50.00', NOW + 420).available, '0.00');
  // The same authorisation id again: the same answer, charged once.
  const again = purchase(issuer, 'tmp-1', 'a3', '50', NOW + 430);
  assert.equal(again.repeated, true);
  assert.equal(issuer.account('tmp-1', NOW + 430).spent, '250.00');
  assert.equal(issuer.ledgerAccount('settlement').balance, '250.00');

  const refund = issuer.refund({ refundId: 'r1', pan: shown.pan, authorisationId: 'a1', amount: '20', currency: 'EUR', now: NOW + 500 });
  assert.equal(refund.code, 'REFUNDED_TO_PARENT');
  assert.equal(refund.creditedAccountId, 'parent-tmp-1');
  assert.equal(issuer.account('tmp-1', NOW + 500).parent.balance, '-230.00');

  const closed = account.activatePhysicalCard(NOW + 600);
  assert.equal(closed.code, 'CLOSED_ON_ACTIVATION');
  assert.equal(closed.closure.released, '0.00');
  assert.equal(issuer.reveal('tmp-1', NOW + 601).code, 'ACCOUNT_CLOSED');
  // Parent: limit 1500, owes 230, nothing held any more.
  assert.equal(issuer.account('tmp-1', NOW + 601).parent.available, '1270.00');
  issuer.free();
});

test('approve draws its own randomness and a fresh PAN per temporary account', () => {
  const issuer = TempCardIssuer.create(config, { cvvKey, now: NOW });
  const pans = new Set();
  for (let i = 0; i < 5; i += 1) {
    assert.equal(issuer.approve(approval(`t${i}`)).code, 'TEMPORARY_ACCOUNT_OPENED');
    pans.add(issuer.reveal(`t${i}`, NOW).pan);
  }
  assert.equal(pans.size, 5);
  issuer.free();
});

test('arguments are validated with typed errors naming the parameter; money never as a number', () => {
  const issuer = TempCardIssuer.create(config, { cvvKey, now: NOW });
  throwsCode(assert, () => issuer.approve({ ...approval('x'), approvedLimit: 1500 }), 'INVALID_TYPE', CountersignTypeError);
  assert.throws(() => issuer.approve({ ...approval('x'), approvedLimit: 1500 }), (e) => e.param === 'request.approvedLimit');
  assert.throws(() => issuer.approve({ ...approval('x'), limitFraction: '1.01' }), (e) => e instanceof CountersignRangeError && e.param === 'request.limitFraction');
  assert.throws(() => issuer.approve({ ...approval('x'), approvedLimit: '1e3' }), (e) => e.code === 'AMOUNT_SYNTAX' && e.param === 'request.approvedLimit');
  assert.throws(() => issuer.approve({ ...approval('x'), maxUses: 0 }), (e) => e.code === 'INVALID_ARGUMENT' && e.param === 'request.maxUses');
  assert.throws(() => issuer.approve({ ...approval('x'), now: 2 ** 60 }), (e) => e.param === 'request.now');
  assert.throws(() => issuer.approve(approval('x'), new Uint8Array(5)), (e) => e.param === 'randomness');
  assert.throws(() => issuer.authorise({ authorisationId: 'a', pan: '1', expiry: '1', cvv: '1', amount: 5, currency: 'EUR', merchantId: 'm', now: NOW }), (e) => e.code === 'INVALID_TYPE' && e.param === 'request.amount');
  assert.throws(() => issuer.authorise({ authorisationId: 'a', pan: '1', expiry: '1', cvv: '1', amount: '5', currency: 'XXQ', merchantId: 'm', now: NOW }), (e) => e.code === 'CURRENCY_UNKNOWN' && e.param === 'request.currency');
  assert.throws(() => TempCardIssuer.create(config, { cvvKey: new Uint8Array(16), now: NOW }), (e) => e.code === 'KEY_INVALID' && e.param === 'options.cvvKey');
  assert.throws(() => TempCardIssuer.create({ ...config, binRange: { low: '12', high: '12', panLength: 16 } }, { cvvKey, now: NOW }), (e) => e.code === 'INVALID_ARGUMENT' && e.param === 'binRange');
  assert.throws(() => issuer.temporaryAccount('nope'), (e) => e instanceof CountersignError && e.param === 'accountId');
  // A malformed call changed nothing.
  assert.deepEqual(issuer.accountIds(), []);
  issuer.free();
});

for (const { label, skip, place } of await durableAdapters()) test(`TempCardStore over ${label}: reload in a new store, conflict, rollback, tamper; no CVV key stored`, { skip }, async () => {
  shownCredentials.clear();
  const { open, cleanup } = place(join(workDir, 'files'));
  try {
    const storage = open();
    const store = new TempCardStore(storage, snapshotKey);
    assert.equal(await store.load('issuer-a', cvvKey), null);
    const issuer = TempCardIssuer.create(config, { cvvKey, now: NOW });
    issuer.approve(approval('tmp-1'));
    purchase(issuer, 'tmp-1', 'a1', '12.34', NOW + 1);
    assert.equal(await store.save('issuer-a', issuer), true);
    assert.deepEqual(issuer.journal(), [], 'the journal was persisted to the log and truncated');
    const log = await storage.readLog('tempcard/issuer-a');
    assert.equal(log.length, issuer.journalHead().seq, 'one log record per ledger operation');
    const older = (await storage.get('tempcard/issuer-a')).value;

    // A new process: a new storage and store over the same data.
    const storage2 = open();
    const store2 = new TempCardStore(storage2, snapshotKey);
    const reloaded = await store2.load('issuer-a', cvvKey);
    assert.deepEqual(reloaded.account('tmp-1', NOW + 2), issuer.account('tmp-1', NOW + 2));
    // The reloaded issuer continues: the same CVV (derived from the key passed in) still works.
    assert.equal(purchase(reloaded, 'tmp-1', 'a2', '1', NOW + 3).code, 'APPROVED');
    assert.equal(await store2.save('issuer-a', reloaded), true);

    // The first store's view is stale: compare-and-swap refuses to overwrite.
    purchase(issuer, 'tmp-1', 'a3', '1', NOW + 4);
    assert.equal(await store.save('issuer-a', issuer), false);

    // Rollback: the older snapshot written back is refused by a store that saw newer state.
    const current = await storage2.get('tempcard/issuer-a');
    assert.equal((await storage2.put('tempcard/issuer-a', older, current.version)).ok, true);
    await assert.rejects(() => store2.load('issuer-a', cvvKey), (e) => e.code === 'SNAPSHOT_INVALID');

    // Tampered bytes and another key are refused by the snapshot's MAC.
    const tampered = older.slice();
    tampered[tampered.length - 40] ^= 1;
    throwsCode(assert, () => TempCardIssuer.restore(tampered, snapshotKey, cvvKey), 'SNAPSHOT_INVALID');
    throwsCode(assert, () => TempCardIssuer.restore(older, new Uint8Array(32), cvvKey), 'SNAPSHOT_INVALID');

    // Neither the CVV key nor the CVV is in what was written.
    const bytes = Buffer.from(older);
    assert.equal(bytes.indexOf(Buffer.from(cvvKey)), -1);
    for (const c of [issuer, reloaded]) c.free();
    await storage.close();
    await storage2.close();
  } finally {
    await cleanup();
  }
});

test('TempCardStore over memory: a restored issuer with another CVV key declines the old CVV', async () => {
  const storage = new MemoryStorage();
  const store = new TempCardStore(storage, snapshotKey);
  const issuer = TempCardIssuer.create(config, { cvvKey, now: NOW });
  issuer.approve(approval('tmp-1'));
  const { pan, expiry, cvv } = issuer.reveal('tmp-1', NOW);
  assert.equal(await store.save('svc', issuer), true);
  const other = await new TempCardStore(storage, snapshotKey).load('svc', new Uint8Array(32).fill(9));
  const result = other.authorise({ authorisationId: 'x', pan, expiry, cvv, amount: '1', currency: 'EUR', merchantId: 'm', now: NOW + 1 });
  assert.equal(result.code, 'CVV_INVALID');
  issuer.free();
  other.free();
});


test('docs/tempcard.md lists every tempcard outcome code, in the core order, with its description', () => {
  const codes = tempcardCodes();
  assert.ok(codes.length >= 45);
  const rows = docTable('tempcard.md', '| code | meaning |');
  assert.deepEqual(rows, codes.map(({ code, description }) => ['`' + code + '`', description.trim()]), 'the table lists every code, in the core order');
  for (const { description } of codes) assert.ok(description.length > 0);
});

test('TEMPCARD_CODES (the TempCardCode union) is the core list of temporary-card codes, in order, and frozen', async () => {
  const { TEMPCARD_CODES } = await import('@countersign/sdk');
  assert.deepEqual([...TEMPCARD_CODES], tempcardCodes().map((c) => c.code));
  assert.ok(Object.isFrozen(TEMPCARD_CODES));
});
