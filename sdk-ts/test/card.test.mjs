// The card roles through the SDK: a full flow, argument validation, and persistence through the
// storage adapters (atomic files in Node), including tamper and rollback detection.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  Card,
  CardStore,
  CompanionApp,
  CountersignError,
  FileStorage,
  Issuer,
  MemoryStorage,
} from '@countersign/sdk';
import { docTable, throwsCode } from './helpers.mjs';

const NOW = 1_774_778_400; // 2026-03-29 10:00 UTC, the day Europe/Paris springs forward
const CARD_ID = 'card-sdk-1';
const snapshotKey = new Uint8Array(32).fill(7);
const workDir = mkdtempSync(join(tmpdir(), 'countersign-card-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

function setup() {
  const issuer = Issuer.generate('issuer-1');
  const app = CompanionApp.generate(CARD_ID, 'app-1');
  const card = Card.create(CARD_ID, issuer.publicKey);
  const config = {
    cardId: CARD_ID,
    currency: 'EUR',
    limits: [
      { id: 'daily-count', measure: 'count', window: { kind: 'day', timeZone: 'Europe/Paris' }, hard: '3', soft: '2', ceiling: '5', resettable: true },
      { id: 'daily-amount', measure: 'amount', currency: 'EUR', window: { kind: 'day', timeZone: 'Europe/Paris' }, hard: '100.00', ceiling: '200.00' },
    ],
    consecutiveOffline: { soft: 5, hard: 10 },
    appKeys: [app.publicKey],
  };
  const envelope = issuer.provision(config, { seq: 1n, issuedAt: NOW, expiresAt: NOW + 600 });
  return { issuer, app, card, envelope };
}

const pay = (card, id, amount, terminalOnline = false, time = NOW + 60) =>
  card.authorise({ transactionId: id, amount, currency: 'EUR', time, terminalOnline });

test('issuer provisions, the app commands, the card decides: soft, hard, online, repeat', async () => {
  const { issuer, app, card, envelope } = setup();
  const applied = await card.applyConfig(envelope, NOW);
  assert.equal(applied.code, 'CONFIG_APPLIED');
  assert.equal(applied.status, 'active');

  assert.equal(pay(card, 't1', '10.00').code, 'APPROVED');
  assert.equal(pay(card, 't2', '10.00').code, 'APPROVED');
  const soft = pay(card, 't3', '10.00', true);
  assert.deepEqual([soft.decision, soft.code, soft.limitId], ['go-online', 'SOFT_LIMIT_REACHED', 'daily-count']);
  const online = card.applyOnlineResult(
    issuer.onlineResult(CARD_ID, { transactionId: 't3', approve: true, resetConsecutiveOffline: true }, { seq: 1n, issuedAt: NOW, expiresAt: NOW + 600 }),
    NOW + 61,
  );
  assert.deepEqual([online.code, online.decision, online.consecutiveOffline], ['ONLINE_RESULT_APPLIED', 'approve', 0]);
  const hard = pay(card, 't4', '1.00');
  assert.deepEqual([hard.decision, hard.code], ['decline', 'HARD_LIMIT_REACHED']);
  const repeat = pay(card, 't1', '10.00');
  assert.equal(repeat.repeated, true);
  assert.equal(repeat.code, 'APPROVED');

  const raise = card.applyCommand(app.command({ op: 'change', limitId: 'daily-count', delta: '1' }, { seq: 1n, issuedAt: NOW, expiresAt: NOW + 600 }), NOW + 62);
  assert.equal(raise.code, 'COMMAND_APPLIED');
  assert.equal(raise.limits.find((l) => l.id === 'daily-count').limit, '4');
  const preview = app.preview(card, { transactionId: 't5', amount: '5.00', currency: 'EUR', time: NOW + 63, terminalOnline: false });
  assert.equal(preview.decision, 'approve');
  assert.equal(pay(card, 't5', '5.00', false, NOW + 63).transactionCounter, preview.transactionCounter, 'preview = authorise');

  const tooHigh = card.applyCommand(app.command({ op: 'set', limitId: 'daily-count', value: '6' }, { seq: 2n, issuedAt: NOW, expiresAt: NOW + 600 }), NOW + 64);
  assert.deepEqual([tooHigh.code, tooHigh.accepted], ['ABOVE_CEILING', false]);
  const replay = card.applyCommand(app.command({ op: 'block' }, { seq: 1n, issuedAt: NOW, expiresAt: NOW + 600 }), NOW + 65);
  assert.equal(replay.code, 'REPLAYED');
  const block = app.command({ op: 'block' }, { seq: 3n, issuedAt: NOW, expiresAt: NOW + 600 });
  const tampered = block.slice();
  tampered[tampered.length - 1] ^= 1;
  assert.equal(card.applyCommand(tampered, NOW + 66).code, 'BAD_SIGNATURE');
  assert.equal(card.applyCommand(block, NOW + 66).code, 'COMMAND_APPLIED');
  assert.equal(pay(card, 't6', '1.00').code, 'CARD_BLOCKED');

  // The next day in Paris (the window rolled over): usage is back to zero.
  const nextDay = card.view(NOW + 86_400);
  assert.equal(nextDay.limits.find((l) => l.id === 'daily-amount').used, '0.00');
  card.free();
});

test('bad arguments throw TypeError / RangeError naming the parameter; nothing changes', async () => {
  const { card, envelope, app } = setup();
  await card.applyConfig(envelope, NOW);
  const before = card.snapshot(snapshotKey);
  throwsCode(assert, () => card.authorise({ transactionId: 'x', amount: 10, currency: 'EUR', time: NOW, terminalOnline: false }), 'INVALID_TYPE', TypeError);
  throwsCode(assert, () => card.authorise({ transactionId: 'x', amount: '1e3', currency: 'EUR', time: NOW, terminalOnline: false }), 'AMOUNT_SYNTAX', RangeError);
  assert.throws(
    () => card.preview({ transactionId: 'x', amount: '1e3', currency: 'EUR', time: NOW, terminalOnline: false }),
    (e) => e.param === 'request.amount' && /^countersign: request\.amount:/.test(e.message),
    'core errors about a request field name it as the caller wrote it',
  );
  throwsCode(assert, () => card.authorise({ transactionId: 'x', amount: '1.00', currency: 'EUR', time: 1.5, terminalOnline: false }), 'INVALID_ARGUMENT', RangeError);
  throwsCode(assert, () => card.authorise({ transactionId: 'x', amount: '1.00', currency: 'EUR', time: NOW, terminalOnline: 'yes' }), 'INVALID_TYPE', TypeError);
  throwsCode(assert, () => card.applyCommand('not bytes', NOW), 'INVALID_TYPE', TypeError);
  throwsCode(assert, () => app.command({ op: 'set', limitId: 'daily-count', value: '1,5' }, { seq: 9n, issuedAt: NOW, expiresAt: NOW + 1 }), 'AMOUNT_SYNTAX', RangeError);
  throwsCode(assert, () => app.command({ op: 'block' }, { seq: -1n, issuedAt: NOW, expiresAt: NOW + 1 }), 'INVALID_ARGUMENT', RangeError);
  throwsCode(assert, () => Card.create('', { keyId: 'k', algorithm: 'EdDSA', publicKey: new Uint8Array(32) }), 'INVALID_ARGUMENT', CountersignError);
  throwsCode(assert, () => card.snapshot(new Uint8Array(16)), 'KEY_INVALID', RangeError);
  assert.deepEqual(card.snapshot(snapshotKey), before);
  card.free();
});

for (const [name, makeStorage] of [
  ['FileStorage (atomic files)', () => new FileStorage(mkdtempSync(join(workDir, 'store-')))],
  ['MemoryStorage', () => new MemoryStorage()],
]) {
  test(`CardStore over ${name}: save, load, conflicts, tamper and rollback detection`, async () => {
    const storage = makeStorage();
    const { card, envelope } = setup();
    await card.applyConfig(envelope, NOW);
    const store = new CardStore(storage, snapshotKey);
    assert.equal(await store.load(CARD_ID), null);
    assert.equal(await store.save(card), true);
    const older = card.snapshot(snapshotKey);
    pay(card, 'p1', '20.00');
    assert.equal(await store.save(card), true);

    const reloaded = await store.load(CARD_ID);
    assert.equal(reloaded.view(NOW + 120).transactionCounter, 1);
    assert.equal(reloaded.view(NOW + 120).limits.find((l) => l.id === 'daily-amount').used, '20.00');

    // Another writer saved meanwhile: this store's compare-and-swap fails, nothing is lost.
    const other = new CardStore(storage, snapshotKey);
    const theirs = await other.load(CARD_ID);
    pay(theirs, 'p2', '1.00');
    assert.equal(await other.save(theirs), true);
    pay(reloaded, 'p3', '2.00');
    assert.equal(await store.save(reloaded), false, 'a lost race is reported, not overwritten');

    // Rollback: somebody writes the older snapshot back; a store that saw newer state refuses it.
    const current = await storage.get(`card/${CARD_ID}`);
    assert.equal((await storage.put(`card/${CARD_ID}`, older, current.version)).ok, true);
    await assert.rejects(() => other.load(CARD_ID), (e) => e.code === 'SNAPSHOT_INVALID');

    // Tampered bytes are refused by the snapshot's HMAC.
    const tampered = (await storage.get(`card/${CARD_ID}`)).value.slice();
    tampered[tampered.length - 40] ^= 1;
    await assert.rejects(() => Card.restore(tampered, snapshotKey), (e) => e.code === 'SNAPSHOT_INVALID');
    await assert.rejects(() => Card.restore(older, new Uint8Array(32)), (e) => e.code === 'SNAPSHOT_INVALID');
    for (const c of [card, reloaded, theirs]) c.free();
    await storage.close();
  });
}



test('docs/card.md lists every card outcome code, in the core order, with its description', async () => {
  const raw = await import('../wasm/countersign_wasm.js');
  const codes = raw.cardCodes();
  assert.ok(codes.length >= 40);
  const rows = docTable('card.md', '| code | meaning |');
  assert.deepEqual(rows, codes.map(({ code, description }) => ['`' + code + '`', description.trim()]));
  for (const { description } of codes) assert.ok(description.length > 0);
});

test('CARD_CODES (the CardCode union) is the core list of card codes, in order, and frozen', async () => {
  const { CARD_CODES, cardCodes } = await import('@countersign/sdk');
  const raw = await import('../wasm/countersign_wasm.js');
  assert.deepEqual([...CARD_CODES], raw.cardCodes().map((c) => c.code));
  assert.deepEqual(cardCodes(), raw.cardCodes());
  assert.ok(Object.isFrozen(CARD_CODES));
});
