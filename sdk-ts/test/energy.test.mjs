// The energy purchase roles through the SDK: a full flow, argument validation, persistence through
// EnergyStore (atomic files and memory: conflict, tamper, rollback), and the README codes table.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  CountersignError,
  EnergyServer,
  EnergyStore,
  EnergyTerminal,
  MemoryStorage,
  dispenseLimit,
  energyCodes,
  generateKeyPair,
} from '@countersign/sdk';
import { docTable, throwsCode } from './helpers.mjs';
import { durableAdapters } from './postgres-server.mjs';

const NOW = 1_767_225_600;
const FUEL = { currency: 'EUR', unit: 'litre', unitPrice: '1.859', costRounding: 'half-even' };
const snapshotKey = new Uint8Array(32).fill(5);
const workDir = mkdtempSync(join(tmpdir(), 'countersign-energy-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

function setup(balance = '100.00', lateCompletion = 'reject') {
  const serverKeys = generateKeyPair('EdDSA');
  const terminalKeys = generateKeyPair('EdDSA');
  const server = EnergyServer.create({ currency: 'EUR', holdDurationS: 900, lateCompletion }, NOW, serverKeys, 'server-1');
  const terminal = EnergyTerminal.create({ stationId: 'station-1', serverKey: server.publicKey }, terminalKeys, 'pump-1');
  assert.equal(server.addTerminal('station-1', terminal.publicKey, NOW), 'ACCOUNT_OPENED');
  assert.equal(server.openWallet('alice', NOW), 'ACCOUNT_OPENED');
  assert.equal(server.topUp('alice', balance, NOW).code, 'TRANSFERRED');
  return { server, terminal, serverKeys, terminalKeys };
}

/** Sends the terminal's request to the server in memory and applies the answer. */
function exchange(server, terminal, kind, outcome, now) {
  assert.ok(outcome.envelope instanceof Uint8Array, `${kind}: ${outcome.code}`);
  const reply = server.handle(kind, outcome.envelope, now);
  const orderId = outcome.session.order.orderId;
  const applied = terminal.acceptReply(orderId, reply, now);
  return { reply, applied };
}

test('a full purchase: hold, meter, tariff change with increment, capture, release, receipt', () => {
  const { server, terminal } = setup();
  const ordered = terminal.order({ orderId: 'o-1', walletId: 'alice', maximum: '50.00', belowMaximum: 'decline', tariff: FUEL }, NOW);
  assert.equal(ordered.code, 'ORDER_SENT');
  const { reply, applied } = exchange(server, terminal, 'order', ordered, NOW);
  assert.equal(reply.code, 'HELD');
  assert.equal(applied.session.maxQuantity, '26.89');
  assert.equal(typeof applied.session.held, 'string');
  assert.equal(server.wallet('alice').available, '50.00');
  assert.equal(terminal.meter('o-1', '10.00', NOW + 10).code, 'READING_ACCEPTED');
  const change = terminal.changeTariff('o-1', { ...FUEL, unitPrice: '2.000' }, NOW + 11);
  assert.equal(change.increment, '2.37');
  assert.equal(terminal.meter('o-1', '10.50', NOW + 12).code, 'NOT_AUTHORISED', 'paused until the answer');
  const changed = exchange(server, terminal, 'tariff-change', change, NOW + 11);
  assert.equal(changed.reply.code, 'TARIFF_CHANGED');
  assert.equal(changed.applied.session.held, '52.37');
  assert.equal(terminal.meter('o-1', '26.89', NOW + 20).code, 'LIMIT_REACHED');
  const completion = terminal.complete('o-1', NOW + 30);
  const done = exchange(server, terminal, 'completion', completion, NOW + 30);
  assert.equal(done.reply.code, 'COMPLETED');
  const receipt = done.applied.session.receipt;
  assert.deepEqual(
    [receipt.held, receipt.cost.total, receipt.captured, receipt.released, receipt.increments],
    ['52.37', '52.37', '52.37', '0.00', ['2.37']],
  );
  assert.equal(receipt.segments.length, 2);
  assert.equal(server.wallet('alice').balance, '47.63');
  assert.equal(server.station('station-1').balance, '52.37');
  assert.equal(server.session('o-1').state, 'closed');
  // The same completion again: the stored answer, nothing charged twice.
  const again = server.handle('completion', completion.envelope, NOW + 40);
  assert.equal(again.repeated, true);
  assert.deepEqual(again.envelope, done.reply.envelope);
  assert.equal(server.wallet('alice').balance, '47.63');
});

test('the terminal keeps the waiting request to resend it unchanged', () => {
  const { server, terminal } = setup();
  const ordered = terminal.order({ orderId: 'o-2', walletId: 'alice', maximum: '20.00', belowMaximum: 'decline', tariff: FUEL }, NOW);
  assert.deepEqual(terminal.pendingRequest('o-2'), ordered.envelope);
  const first = server.authorise(terminal.pendingRequest('o-2'), NOW);
  const second = server.authorise(terminal.pendingRequest('o-2'), NOW + 3);
  assert.deepEqual(second.envelope, first.envelope);
  assert.equal(second.repeated, true);
  terminal.acceptReply('o-2', second, NOW + 3);
  assert.equal(terminal.pendingRequest('o-2'), null);
  const completion = terminal.complete('o-2', NOW + 5);
  const reply = server.complete(completion.envelope, NOW + 5);
  assert.equal(reply.code, 'COMPLETED_NOTHING_DELIVERED');
  assert.equal(server.wallet('alice').available, '100.00');
});

test('arguments are validated before crossing, errors name the parameter', () => {
  const { server, terminal } = setup();
  const order = { orderId: 'o-1', walletId: 'alice', maximum: '50.00', belowMaximum: 'decline', tariff: FUEL };
  throwsCode(assert, () => terminal.order({ ...order, maximum: 50 }, NOW), 'INVALID_TYPE', TypeError);
  assert.throws(() => terminal.order({ ...order, maximum: 50 }, NOW), (e) => e.param === 'order.maximum');
  assert.throws(() => terminal.order({ ...order, maximum: '0.00' }, NOW), (e) => e.code === 'INVALID_ARGUMENT' && e.param === 'order.maximum');
  assert.throws(() => terminal.order({ ...order, maximum: '1e3' }, NOW), (e) => e.code === 'AMOUNT_SYNTAX' && e.param === 'order.maximum');
  assert.throws(() => terminal.order({ ...order, belowMaximum: 'maybe' }, NOW), (e) => e.param === 'order.belowMaximum');
  assert.throws(() => terminal.order({ ...order, tariff: { ...FUEL, unit: 'gallon' } }, NOW), (e) => e.param === 'order.tariff.unit');
  assert.throws(() => terminal.order({ ...order, belowMaximum: 'lower-maximum' }, NOW), (e) => e.param === 'order.step');
  assert.throws(
    () => terminal.order({ ...order, tariff: { ...FUEL, unitPrice: '1.8590001' } }, NOW),
    (e) => e.code === 'INVALID_ARGUMENT' && e.param === 'order.tariff.unitPrice' && e.message.includes('order.tariff.unitPrice'),
  );
  assert.throws(() => terminal.order({ ...order, tariff: { ...FUEL, costRounding: 'bankers' } }, NOW), (e) => e.code === 'ROUNDING_MODE_UNKNOWN' && e.param === 'order.tariff.costRounding');
  assert.throws(() => dispenseLimit({ tariff: FUEL, hold: '-1.00' }), (e) => e.param === 'request.hold');
  assert.throws(() => terminal.order(order, 1.5), (e) => e.code === 'INVALID_ARGUMENT' && e.param === 'now');
  assert.throws(() => terminal.meter('o-1', 10, NOW), (e) => e.code === 'INVALID_TYPE' && e.param === 'quantity');
  assert.throws(() => server.topUp('alice', 5, NOW), (e) => e.code === 'INVALID_TYPE' && e.param === 'amount');
  assert.throws(() => server.topUp('alice', '1.001', NOW), (e) => e.code === 'AMOUNT_PRECISION');
  assert.throws(() => server.handle('refund', new Uint8Array(1), NOW), (e) => e.param === 'kind');
  assert.throws(
    () => EnergyServer.create({ currency: 'EUR', holdDurationS: 10, lateCompletion: 'reject' }, NOW),
    (e) => e.code === 'INVALID_ARGUMENT' && e.param === 'holdDurationS',
  );
  assert.throws(
    () => EnergyServer.create({ currency: 'EUR', holdDurationS: 900, lateCompletion: 'later' }, NOW),
    (e) => e.param === 'config.lateCompletion',
  );
  // Not errors but outcomes: an unknown order, a forged answer.
  assert.equal(terminal.meter('nope', '1.00', NOW).code, 'UNKNOWN_ORDER');
  assert.equal(terminal.acceptAuthorisation(new Uint8Array([1, 2, 3]), NOW).code, 'MALFORMED');
  const e = (() => {
    try {
      terminal.order({ ...order, maximum: '-1' }, NOW);
    } catch (err) {
      return err;
    }
  })();
  assert.ok(e instanceof CountersignError);
});

for (const { label, skip, place } of await durableAdapters()) test(`EnergyStore persists both roles over ${label}: conflict, tamper and rollback are refused`, { skip }, async () => {
  const { server, terminal, serverKeys, terminalKeys } = setup();
  const { open, cleanup } = place(join(workDir, 'store'));
  try {
    const storage = open();
    const store = new EnergyStore(storage, snapshotKey);
    assert.equal(await store.saveServer('main', server), true);
    assert.equal(await store.saveTerminal('pump-1', terminal), true);
    const ordered = terminal.order({ orderId: 'o-1', walletId: 'alice', maximum: '30.00', belowMaximum: 'decline', tariff: FUEL }, NOW);
    const before = await storage.get('energy/server/main');
    exchange(server, terminal, 'order', ordered, NOW);
    assert.equal(await store.saveServer('main', server), true);
    assert.equal(await store.saveTerminal('pump-1', terminal), true);

    const reader = new EnergyStore(open(), snapshotKey);
    const loaded = await reader.loadServer('main', serverKeys, 'server-1');
    assert.equal(loaded.wallet('alice').available, '70.00');
    assert.equal(loaded.session('o-1').hold.amount, '30.00');
    const loadedTerminal = await reader.loadTerminal('pump-1', terminalKeys, 'pump-1');
    assert.equal(loadedTerminal.session('o-1').maxQuantity, terminal.session('o-1').maxQuantity);

    // Compare-and-swap: the first store's view is now stale once the reader saves.
    loaded.topUp('alice', '1.00', NOW + 1);
    assert.equal(await reader.saveServer('main', loaded), true);
    assert.equal(await store.saveServer('main', server), false, 'a stale writer is refused');

    // Rollback: the old bytes written back are refused by a store that saw newer ones.
    const current = await storage.get('energy/server/main');
    await storage.put('energy/server/main', before.value, current.version);
    await assert.rejects(reader.loadServer('main', serverKeys, 'server-1'), (e) => e.code === 'SNAPSHOT_INVALID');

    // Tamper: one flipped byte.
    const mem = new MemoryStorage();
    const memStore = new EnergyStore(mem, snapshotKey);
    await memStore.saveTerminal('t', terminal);
    const stored = await mem.get('energy/terminal/t');
    const flipped = Uint8Array.from(stored.value);
    flipped[30] ^= 1;
    await mem.put('energy/terminal/t', flipped, stored.version);
    await assert.rejects(new EnergyStore(mem, snapshotKey).loadTerminal('t', terminalKeys), (e) => e.code === 'SNAPSHOT_INVALID');
  } finally {
    await cleanup();
  }
});


test('docs/energy.md lists every energy outcome code, in the core order, with its description', () => {
  const codes = energyCodes();
  assert.ok(codes.length >= 50);
  const rows = docTable('energy.md', '| code | meaning |');
  assert.deepEqual(rows, codes.map(({ code, description }) => ['`' + code + '`', description.trim()]));
});

test('ENERGY_CODES (the EnergyCode union) is the core list of energy codes, in order, and frozen', async () => {
  const { ENERGY_CODES } = await import('@countersign/sdk');
  assert.deepEqual([...ENERGY_CODES], energyCodes().map((c) => c.code));
  assert.ok(Object.isFrozen(ENERGY_CODES));
});
