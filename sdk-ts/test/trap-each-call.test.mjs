// A trap inside each kind of call on a wasm-backed object — a method, a getter, copy(), journal(),
// a static constructor, an async method, a store's load and save — gives WASM_TRAP; every later
// call refuses with WASM_TRAP (the object's and any other); `await init()` starts a fresh
// instance; the old object keeps refusing; and the state comes back from its store exactly as it
// was last saved.
//
// The traps are real, two ways:
// - out of memory: the wasm memory is grown to its 4 GiB maximum from JavaScript (untouched pages
//   cost no RAM), so the allocator's next request for fresh memory fails and Rust aborts with
//   `unreachable` — what a huge ledger's copy() would do on a phone;
// - `__trapForTests` (`unreachable`) run by the glue method the SDK calls, swapped in for one
//   call: the instance traps exactly at the point where the SDK crosses into wasm for that call.
// Each case runs in the fresh instance the previous case's recovery started (one process: the
// test file runs alone under node --test).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as sdk from '@countersign/sdk';
import { wasm } from '../dist/loader.js';

const NOW = 1_767_225_600;
const KEY = new Uint8Array(32).fill(3);
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const isTrap = (err) => err instanceof sdk.CountersignError && err.code === 'WASM_TRAP';

/** The next call of the glue's `Class[member]` (`#member`: on its prototype) runs `unreachable`. */
function trapInside(glueClass, member) {
  const glue = wasm(); // the instance in use now (a fresh glue copy after each recovery)
  const owner = member.startsWith('#') ? glue[glueClass].prototype : glue[glueClass];
  const key = member.replace(/^#/, '');
  const original = owner[key];
  assert.equal(typeof original, 'function', `${glueClass}.${member} exists`);
  owner[key] = function trapping() {
    owner[key] = original;
    glue.__trapForTests();
  };
}

/** Grows the current instance's memory to its maximum: the next allocation that needs fresh
 * memory fails, and the Rust allocator aborts (a trap). */
function exhaustMemory() {
  const memory = wasm().initSync().memory; // initSync() of a loaded glue returns its exports
  for (const step of [4096, 256, 16, 1]) {
    for (;;) {
      try {
        memory.grow(step);
      } catch {
        break;
      }
    }
  }
  assert.equal(memory.buffer.byteLength, 4 * 1024 ** 3, 'the memory is at the wasm32 maximum');
}

/** Runs `call` (sync or async): it must fail with WASM_TRAP, and then everything refuses. */
async function expectTrap(what, call, stale) {
  let caught;
  try {
    await call();
  } catch (e) {
    caught = e;
  }
  assert.ok(isTrap(caught), `${what}: WASM_TRAP expected, got ${caught?.code ?? caught}`);
  assert.match(caught.message, /await init\(\)/, `${what}: the message says how to recover`);
  assert.equal(sdk.isInitialized(), false, `${what}: the instance is marked trapped`);
  // Later calls refuse: the object that trapped, and anything else that needs the instance.
  assert.throws(stale, isTrap, `${what}: the object refuses after the trap`);
  assert.throws(() => sdk.sha256(new Uint8Array(1)), isTrap);
  assert.throws(() => sdk.Ledger.create(), isTrap);
  await sdk.init();
  assert.equal(sdk.isInitialized(), true, `${what}: init() recovered`);
  assert.throws(stale, (e) => isTrap(e) && /load it again/.test(e.message), `${what}: the old object still refuses`);
  assert.equal(hex(sdk.sha256(new TextEncoder().encode('abc'))).slice(0, 8), 'ba7816bf', `${what}: the fresh instance works`);
}

// ---------------------------------------------------------------------------------------------
// State with a store

async function committedLedger(accounts = 3, keys = 0) {
  const storage = new sdk.MemoryStorage();
  // No snapshot while it is built: a snapshot of the big ledger is a buffer of megabytes that,
  // freed, could serve the allocation that must fail (the log alone reloads it).
  const store = new sdk.LedgerStore(storage, KEY, { name: 'trap', snapshotEvery: 1 << 20 });
  const ledger = await store.load();
  const ops = [{ op: 'openAccount', request: { idempotencyKey: 'bank', now: NOW, accountId: 'bank', currency: 'EUR', kind: 'unrestricted' } }];
  for (let i = 0; i < accounts; i++) {
    ops.push({ op: 'openAccount', request: { idempotencyKey: `o${i}`, now: NOW, accountId: `w${i}`, currency: 'EUR', kind: 'nonNegative' } });
  }
  for (let i = 0; i < keys; i++) ops.push({ op: 'expireDue', request: { idempotencyKey: `k${i}`, now: NOW } });
  for (let i = 0; i < ops.length; i += 1000) {
    ledger.executeBatch(ops.slice(i, i + 1000));
    // The retained journal holds 4,096 entries: persist as a server would.
    if (ledger.counts().journalRetained > 3000) assert.equal(await store.commit(ledger), true);
  }
  ledger.transfer({ idempotencyKey: 't1', now: NOW, debitAccountId: 'bank', creditAccountId: 'w0', amount: '25.00', currency: 'EUR' });
  assert.equal(await store.commit(ledger), true);
  const digest = hex(ledger.stateDigest());
  // Not committed: must not survive the trap.
  ledger.transfer({ idempotencyKey: 't2', now: NOW, debitAccountId: 'bank', creditAccountId: 'w0', amount: '5.00', currency: 'EUR' });
  return { storage, store, ledger, digest };
}

/** Loads the ledger again (in the fresh instance) and checks it is exactly what was committed. */
async function ledgerReloads({ store, digest }) {
  const again = await store.load(); // the same store: its rollback memory survived the trap
  assert.equal(hex(again.stateDigest()), digest);
  assert.equal(again.account('w0').balance, '25.00', 'the committed transfer survived, the other did not');
  assert.equal(again.transfer({ idempotencyKey: 't2', now: NOW, debitAccountId: 'bank', creditAccountId: 'w0', amount: '5.00', currency: 'EUR' }).code, 'TRANSFERRED');
  assert.equal(await store.commit(again), true, 'the store writes after recovery');
  again.free();
}

const issuerKeys = sdk.keyPairFromSecret('EdDSA', new Uint8Array(32).fill(11));
const appKeys = sdk.keyPairFromSecret('EdDSA', new Uint8Array(32).fill(12));
const cardIssuer = new sdk.Issuer(issuerKeys, 'issuer-1');
const app = new sdk.CompanionApp(appKeys, 'app-1', 'card-1');
const cardConfig = cardIssuer.provision(
  {
    cardId: 'card-1',
    currency: 'EUR',
    limits: [{ id: 'count', measure: 'count', window: { kind: 'lifetime' }, hard: '5' }],
    appKeys: [app.publicKey],
  },
  { seq: 1n, issuedAt: NOW, expiresAt: NOW + 600 },
);
const purchase = (id) => ({ transactionId: id, amount: '10.00', currency: 'EUR', time: NOW + 60, terminalOnline: false });

async function savedCard() {
  const store = new sdk.CardStore(new sdk.MemoryStorage(), KEY);
  const card = sdk.Card.create('card-1', cardIssuer.publicKey);
  await card.applyConfig(cardConfig, NOW);
  assert.equal(card.authorise(purchase('p1')).code, 'APPROVED');
  assert.equal(await store.save(card), true);
  const view = JSON.stringify(card.view(NOW + 100));
  assert.equal(card.authorise(purchase('p2')).code, 'APPROVED'); // not saved
  return { store, card, view };
}

async function cardReloads({ store, view }) {
  const again = await store.load('card-1');
  assert.equal(JSON.stringify(again.view(NOW + 100)), view);
  assert.equal(again.authorise(purchase('p2')).code, 'APPROVED');
  assert.equal(await store.save(again), true, 'the store writes after recovery');
  again.free();
}

const CVV_KEY = new Uint8Array(32).fill(9);
async function savedIssuer() {
  const store = new sdk.TempCardStore(new sdk.MemoryStorage(), KEY);
  const issuer = sdk.TempCardIssuer.create({ currency: 'EUR', binRange: { low: '45717360', high: '45717369', panLength: 16 } }, { cvvKey: CVV_KEY, now: NOW });
  const approved = issuer.approve({
    accountId: 'tmp-1',
    parentAccountId: 'parent-1',
    approvedLimit: '1500.00',
    limitFraction: '0.2',
    displayWindow: { from: NOW, until: NOW + 300 },
    usableWindow: { from: NOW, until: NOW + 86_400 },
    now: NOW,
  });
  assert.equal(approved.code, 'TEMPORARY_ACCOUNT_OPENED');
  assert.equal(await store.save('svc', issuer), true);
  const account = JSON.stringify(issuer.account('tmp-1', NOW + 10));
  return { store, issuer, account };
}

async function issuerReloads({ store, account }) {
  const again = await store.load('svc', CVV_KEY);
  assert.equal(JSON.stringify(again.account('tmp-1', NOW + 10)), account);
  assert.equal(await store.save('svc', again), true, 'the store writes after recovery');
  again.free();
}

const serverKeys = sdk.keyPairFromSecret('EdDSA', new Uint8Array(32).fill(13));
const terminalKeys = sdk.keyPairFromSecret('EdDSA', new Uint8Array(32).fill(14));
const FUEL = { currency: 'EUR', unit: 'litre', unitPrice: '1.859', costRounding: 'half-even' };
async function savedEnergy() {
  const store = new sdk.EnergyStore(new sdk.MemoryStorage(), KEY);
  const server = sdk.EnergyServer.create({ currency: 'EUR', holdDurationS: 900, lateCompletion: 'reject' }, NOW, serverKeys, 'server-1');
  const terminal = sdk.EnergyTerminal.create({ stationId: 'station-1', serverKey: server.publicKey }, terminalKeys, 'pump-1');
  server.addTerminal('station-1', terminal.publicKey, NOW);
  server.openWallet('alice', NOW);
  server.topUp('alice', '100.00', NOW);
  const ordered = terminal.order({ orderId: 'o-1', walletId: 'alice', maximum: '50.00', belowMaximum: 'decline', tariff: FUEL }, NOW);
  const reply = server.handle('order', ordered.envelope, NOW);
  assert.equal(reply.code, 'HELD');
  assert.equal(terminal.acceptReply('o-1', reply, NOW).accepted, true);
  assert.equal(await store.saveServer('s', server), true);
  assert.equal(await store.saveTerminal('t', terminal), true);
  const wallet = JSON.stringify(server.wallet('alice'));
  const session = JSON.stringify(terminal.session('o-1'));
  return { store, server, terminal, wallet, session };
}

async function energyReloads({ store, wallet, session }) {
  const server = await store.loadServer('s', serverKeys, 'server-1');
  const terminal = await store.loadTerminal('t', terminalKeys, 'pump-1');
  assert.equal(JSON.stringify(server.wallet('alice')), wallet);
  assert.equal(JSON.stringify(terminal.session('o-1')), session);
  assert.equal(await store.saveServer('s', server), true, 'the store writes after recovery');
  server.free();
  terminal.free();
}

// ---------------------------------------------------------------------------------------------

test('a method call traps (Ledger#transfer, Card#authorise, TempCardIssuer#accountIds, EnergyTerminal#meter)', async () => {
  const l = await committedLedger();
  trapInside('LedgerHandle', '#run'); // ledger.transfer(request) → the glue's run(op, request)
  await expectTrap('Ledger#transfer', () => l.ledger.transfer({ idempotencyKey: 't3', now: NOW, debitAccountId: 'bank', creditAccountId: 'w1', amount: '1.00', currency: 'EUR' }), () => l.ledger.head());
  await ledgerReloads(l);

  const c = await savedCard();
  trapInside('CardHandle', '#authorise');
  await expectTrap('Card#authorise', () => c.card.authorise(purchase('p3')), () => c.card.freshness());
  await cardReloads(c);

  const t = await savedIssuer();
  trapInside('TempCardServiceHandle', '#accountIds');
  await expectTrap('TempCardIssuer#accountIds', () => t.issuer.accountIds(), () => t.issuer.journalHead());
  await issuerReloads(t);

  const e = await savedEnergy();
  trapInside('EnergyTerminalHandle', '#meter');
  await expectTrap('EnergyTerminal#meter', () => e.terminal.meter('o-1', '1.00', NOW + 5), () => e.terminal.sessionIds());
  await energyReloads(e);
});

test('a getter traps (Ledger#clock, Card#cardId, TempCardIssuer#config, EnergyServer#config)', async () => {
  const l = await committedLedger();
  trapInside('LedgerHandle', '#clock');
  await expectTrap('Ledger#clock', () => l.ledger.clock, () => l.ledger.clock);
  await ledgerReloads(l);

  const c = await savedCard();
  trapInside('CardHandle', '#cardId');
  await expectTrap('Card#cardId', () => c.card.cardId, () => c.card.cardId);
  await cardReloads(c);

  const t = await savedIssuer();
  trapInside('TempCardServiceHandle', '#config');
  await expectTrap('TempCardIssuer#config', () => t.issuer.config, () => t.issuer.config);
  await issuerReloads(t);

  const e = await savedEnergy();
  trapInside('EnergyServerHandle', '#config');
  await expectTrap('EnergyServer#config', () => e.server.config, () => e.server.config);
  await energyReloads(e);
});

/**
 * Accounts and further idempotency keys in the ledger whose copy or restore must run out of
 * memory. The allocator grows the memory by at least 1 MiB or an eighth of it at a time
 * (wasm/src/alloc.rs), so up to that much may be free when the memory is exhausted from
 * JavaScript: the ledger (~4 MiB: 4,000 accounts and 24,000 keys) must be far larger than that
 * headroom and than anything freed earlier, so its copy cannot be served.
 */
const OUT_OF_MEMORY_ACCOUNTS = 4000;
const OUT_OF_MEMORY_KEYS = 24_000;
/**
 * Copies (or restores) kept alive until one runs out of memory: each takes ~5 MB, and what the
 * allocator still has free when the memory is exhausted (an eighth of the memory at most, plus
 * what was freed) is far below 8 of them.
 */
const OUT_OF_MEMORY_COPIES_MAX = 8;

test('copy() runs out of memory (Ledger, a real allocation failure) and traps (Card, TempCardIssuer)', async () => {
  const l = await committedLedger(OUT_OF_MEMORY_ACCOUNTS, OUT_OF_MEMORY_KEYS);
  exhaustMemory();
  const copies = [];
  await expectTrap('Ledger#copy (out of memory)', () => {
    while (copies.length < OUT_OF_MEMORY_COPIES_MAX) copies.push(l.ledger.copy());
  }, () => l.ledger.head());
  assert.ok(copies.length < OUT_OF_MEMORY_COPIES_MAX, 'a copy ran out of memory');
  await ledgerReloads(l);

  const c = await savedCard();
  trapInside('CardHandle', '#copy');
  await expectTrap('Card#copy', () => c.card.copy(), () => c.card.freshness());
  await cardReloads(c);

  const t = await savedIssuer();
  trapInside('TempCardServiceHandle', '#copy');
  await expectTrap('TempCardIssuer#copy', () => t.issuer.copy(), () => t.issuer.journalHead());
  await issuerReloads(t);
});

test('journal() traps (Ledger, TempCardIssuer, EnergyServer)', async () => {
  const l = await committedLedger();
  trapInside('LedgerHandle', '#journal');
  await expectTrap('Ledger#journal', () => l.ledger.journal(), () => l.ledger.head());
  await ledgerReloads(l);

  const t = await savedIssuer();
  trapInside('TempCardServiceHandle', '#journal');
  await expectTrap('TempCardIssuer#journal', () => t.issuer.journal(), () => t.issuer.journalHead());
  await issuerReloads(t);

  const e = await savedEnergy();
  trapInside('EnergyServerHandle', '#journal');
  await expectTrap('EnergyServer#journal', () => e.server.journal(), () => e.server.revision());
  await energyReloads(e);
});

test('a static constructor traps (Ledger.restore out of memory; Card.restore, EnergyTerminal.restore, TempCardIssuer.restore)', async () => {
  const l = await committedLedger(OUT_OF_MEMORY_ACCOUNTS, OUT_OF_MEMORY_KEYS);
  const big = l.ledger.snapshot(KEY); // the live ledger stays: its memory is not free to reuse
  exhaustMemory();
  const restored = [];
  await expectTrap('Ledger.restore (out of memory)', () => {
    while (restored.length < OUT_OF_MEMORY_COPIES_MAX) restored.push(sdk.Ledger.restore(big, KEY));
  }, () => l.ledger.head());
  await ledgerReloads(l);

  const c = await savedCard();
  const snapshot = c.card.snapshot(KEY);
  trapInside('CardHandle', 'restore');
  await expectTrap('Card.restore', () => sdk.Card.restore(snapshot, KEY), () => c.card.freshness());
  await cardReloads(c);

  const e = await savedEnergy();
  const terminalSnapshot = e.terminal.snapshot(KEY);
  trapInside('EnergyTerminalHandle', 'restore');
  await expectTrap('EnergyTerminal.restore', () => sdk.EnergyTerminal.restore(terminalSnapshot, KEY, terminalKeys, 'pump-1'), () => e.terminal.revision());
  await energyReloads(e);

  const t = await savedIssuer();
  const issuerSnapshot = t.issuer.snapshot(KEY);
  trapInside('TempCardServiceHandle', 'restore');
  await expectTrap('TempCardIssuer.restore', () => sdk.TempCardIssuer.restore(issuerSnapshot, KEY, CVV_KEY), () => t.issuer.journalHead());
  await issuerReloads(t);
});

test('an async method traps between its awaits (Card#applyConfig)', async () => {
  const c = await savedCard();
  trapInside('CardHandle', '#applyConfig');
  await expectTrap('Card#applyConfig', () => c.card.applyConfig(cardConfig, NOW + 1), () => c.card.freshness());
  await cardReloads(c);
});

test('a store load traps (LedgerStore replaying its log, CardStore, TempCardStore, EnergyStore): it rejects, and loads after init()', async () => {
  const l = await committedLedger();
  trapInside('LedgerHandle', '#applyJournal');
  await expectTrap('LedgerStore#load', () => l.store.load(), () => l.ledger.head());
  await ledgerReloads(l);

  const c = await savedCard();
  trapInside('CardHandle', 'restore');
  await expectTrap('CardStore#load', () => c.store.load('card-1'), () => c.card.freshness());
  await cardReloads(c);

  const t = await savedIssuer();
  trapInside('TempCardServiceHandle', '#journalHead'); // read by the store's rollback check
  await expectTrap('TempCardStore#load', () => t.store.load('svc', CVV_KEY), () => t.issuer.journalHead());
  await issuerReloads(t);

  const e = await savedEnergy();
  trapInside('EnergyServerHandle', '#revision');
  await expectTrap('EnergyStore#loadServer', () => e.store.loadServer('s', serverKeys, 'server-1'), () => e.server.revision());
  await energyReloads(e);
});

test('a store save traps (LedgerStore#commit, CardStore#save, TempCardStore#save, EnergyStore#saveServer): nothing is written', async () => {
  const l = await committedLedger();
  trapInside('LedgerHandle', '#journalAfter');
  await expectTrap('LedgerStore#commit', () => l.store.commit(l.ledger), () => l.ledger.head());
  await ledgerReloads(l);

  const c = await savedCard();
  trapInside('CardHandle', '#snapshot');
  await expectTrap('CardStore#save', () => c.store.save(c.card), () => c.card.freshness());
  await cardReloads(c);

  const t = await savedIssuer();
  trapInside('TempCardServiceHandle', '#snapshot');
  await expectTrap('TempCardStore#save', () => t.store.save('svc', t.issuer), () => t.issuer.journalHead());
  await issuerReloads(t);

  const e = await savedEnergy();
  e.server.topUp('alice', '1.00', NOW + 1); // not saved: the trap comes first
  trapInside('EnergyServerHandle', '#snapshot');
  await expectTrap('EnergyStore#saveServer', () => e.store.saveServer('s', e.server), () => e.server.revision());
  await energyReloads(e);
});

// ---------------------------------------------------------------------------------------------
// System 10: the shelf. A restart — or a trap — loses no saved take record.

const SHELF_SENSOR = { noiseSigmaMg: 10000, eventThresholdMg: 10000, windowSamples: 10, cusumHMg: 100000, stableRangeMg: 60000, driftMgPerSampleMax: 500 };
async function savedShelf() {
  const store = new sdk.ShelfStore(new sdk.MemoryStorage(), KEY);
  const shelf = sdk.ShelfController.create({
    shelfId: 'aisle-1',
    config: { kCenti: 300, marginZCenti: 200, learnShiftPermilleMax: 50, learnPicksMin: 5, itemsMax: 6, combinationsMax: 200000 },
    itemTypes: [{ id: 'jam', nominalMg: 300000, sigmaMg: 4000, valueMinor: 400, perishable: false }],
    lanes: [{ id: 'L1', itemType: 'jam', count: 5, sensor: SHELF_SENSOR }],
  });
  const pick = { laneId: 'L1', deltaMg: -300000, sigmaMg: 4473, shopperIds: ['ann'], now: NOW };
  assert.equal(shelf.weightChange(pick).code, 'picked');
  assert.equal(await store.save(shelf), true);
  const records = JSON.stringify(shelf.shopper('ann'));
  // Not saved: must not survive the trap.
  assert.equal(shelf.weightChange({ ...pick, shopperIds: ['bob'] }).code, 'picked');
  return { store, shelf, records, pick };
}

async function shelfReloads({ store, records, pick }) {
  const again = await store.load('aisle-1');
  assert.equal(JSON.stringify(again.shopper('ann')), records, 'the saved take record came back');
  assert.deepEqual(again.shopper('bob').lots, [], 'the unsaved pick did not');
  assert.equal(again.lanes()[0].count, 4);
  assert.equal(again.weightChange({ ...pick, shopperIds: ['bob'] }).code, 'picked');
  assert.equal(await store.save(again), true, 'the store writes after recovery');
  again.free();
}

test('the shelf: a method traps (ShelfController#weightChange), a store load and a save trap; the saved take records come back', async () => {
  let s = await savedShelf();
  trapInside('ShelfHandle', '#weightChange');
  await expectTrap('ShelfController#weightChange', () => s.shelf.weightChange({ ...s.pick, deltaMg: 300000 }), () => s.shelf.tasks());
  await shelfReloads(s);

  s = await savedShelf();
  trapInside('ShelfHandle', 'restore');
  await expectTrap('ShelfStore#load', () => s.store.load('aisle-1'), () => s.shelf.tasks());
  await shelfReloads(s);

  s = await savedShelf();
  trapInside('ShelfHandle', '#snapshot');
  await expectTrap('ShelfStore#save', () => s.store.save(s.shelf), () => s.shelf.tasks());
  await shelfReloads(s);
});

// ---------------------------------------------------------------------------------------------
// System 4: the point of sale. A trap loses no stored (acknowledged) payment.

const POS_T0 = 1_800_000_000_000;
const POS_CONFIG = { terminalId: 'till-1', offline: { currencies: [{ currency: 'EUR', paymentMax: '50.00', totalMax: '100.00' }], countMax: 10, maxAgeMs: 3_600_000 } };
const posPayment = (key) => ({ idempotencyKey: key, amount: '4.00', currency: 'EUR', cardToken: '4111', cardType: 'visa' });
async function savedTill() {
  const storage = new sdk.MemoryStorage();
  const acquirer = { authorise: async () => { throw new Error('offline'); }, forward: async () => { throw new Error('offline'); } };
  const till = await sdk.PosTerminal.open({ storage, snapshotKey: KEY, config: POS_CONFIG, acquirer, clock: () => POS_T0 });
  till.observe({ kind: 'osOffline', atMs: POS_T0 });
  assert.equal((await till.takePayment(posPayment('p1'), 'auto')).status, 'stored');
  return { storage, till, acquirer };
}

async function tillReloads({ storage, acquirer }) {
  const again = await sdk.PosTerminal.open({ storage, snapshotKey: KEY, config: POS_CONFIG, acquirer, clock: () => POS_T0 + 1 });
  assert.deepEqual(again.exportQueue().entries.map((e) => e.idempotencyKey), ['p1'], 'the stored payment came back, nothing else');
  again.observe({ kind: 'osOffline', atMs: POS_T0 + 1 });
  assert.equal((await again.takePayment(posPayment('p3'), 'auto')).status, 'stored', 'the terminal stores after recovery');
  await again.close();
}

test('the point of sale: a store traps inside takePayment, a load traps; the acknowledged payments come back', async () => {
  let s = await savedTill();
  trapInside('PosTerminalHandle', '#store');
  await expectTrap('PosTerminal#takePayment', () => s.till.takePayment(posPayment('p2'), 'auto'), () => s.till.status());
  await tillReloads(s);

  s = await savedTill();
  trapInside('PosTerminalHandle', 'restore');
  await expectTrap('PosTerminal.open', () => sdk.PosTerminal.open({ storage: s.storage, snapshotKey: KEY, config: POS_CONFIG, acquirer: s.acquirer }), () => s.till.status());
  await tillReloads(s);
});

// ---------------------------------------------------------------------------------------------
// System 9: the alarm router. A restart — or a trap — loses no saved alarm, ladder step or
// audit entry.

const ALARM_T0 = 1_780_000_000_000;
async function savedRouter() {
  const storage = new sdk.MemoryStorage();
  const store = new sdk.AlarmRouterStore(storage, KEY);
  const router = sdk.AlarmRouter.create({
    routerId: 'terminal-1',
    recipients: [{ id: 'pat', role: 'patient' }, { id: 'mum', role: 'caregiver' }],
    policies: [{ steps: [{ role: 'patient', ackTimeoutMs: 60000 }, { role: 'caregiver', ackTimeoutMs: 120000 }] }],
    receiptTimeoutMs: 30000,
  });
  const signal = (signalId) => ({ signalId, kind: 'urgent-low', priority: 'high', direction: 'low', atMs: ALARM_T0, reason: '', evidence: '' });
  assert.equal(router.issue(signal('u1'), ALARM_T0).code, 'issued');
  assert.equal(await store.save(router), true);
  // Not saved: must not survive the trap.
  assert.equal(router.issue(signal('u2'), ALARM_T0 + 1).code, 'issued');
  return { store, router, signal };
}

async function routerReloads({ store, signal }) {
  const again = await store.load('terminal-1');
  assert.deepEqual(again.openAlarms().map((a) => a.signal.signalId), ['u1'], 'the saved alarm came back, the unsaved one did not');
  assert.deepEqual((await store.auditLog('terminal-1')).map((e) => e.event), ['issued', 'sent'], 'the saved audit entries are in the log');
  assert.equal(again.issue(signal('u2'), ALARM_T0 + 2).code, 'issued');
  // Neither patient delivery was confirmed: both alarms climb to the caregiver.
  const climbed = again.tick(ALARM_T0 + 60000).deliveries.map((d) => `${d.alarmId}:${d.recipientId}:${d.step}`);
  assert.deepEqual(climbed, ['u1:mum:1', 'u2:mum:1'], 'the ladder climbs after recovery');
  assert.equal(await store.save(again), true, 'the store writes after recovery');
  again.free();
}

test('the alarm router: a method traps (AlarmRouter#tick), a store load and a save trap; the saved alarms come back', async () => {
  let s = await savedRouter();
  trapInside('AlarmRouterHandle', '#tick');
  await expectTrap('AlarmRouter#tick', () => s.router.tick(ALARM_T0 + 5), () => s.router.openAlarms());
  await routerReloads(s);

  s = await savedRouter();
  trapInside('AlarmRouterHandle', 'restore');
  await expectTrap('AlarmRouterStore#load', () => s.store.load('terminal-1'), () => s.router.openAlarms());
  await routerReloads(s);

  s = await savedRouter();
  trapInside('AlarmRouterHandle', '#snapshot');
  await expectTrap('AlarmRouterStore#save', () => s.store.save(s.router), () => s.router.openAlarms());
  await routerReloads(s);
});

// ---------------------------------------------------------------------------------------------
// System 9: the patient terminal. A trap loses nothing its store saved: the frame stream comes
// back where it was saved (a frame after it is new, the last saved one a duplicate).

const DOSE_T0_MS = 1_780_000_000_000;
async function savedTerminal() {
  const server = sdk.generateKeyPair('EdDSA');
  const controller = sdk.generateKeyPair('EdDSA');
  const key = (pair, keyId) => ({ keyId, algorithm: 'EdDSA', publicKey: pair.publicKey });
  const terminal = sdk.PatientTerminal.create({ controllerModel: 'pump-1', serverKeys: [key(server, 'mgmt')], controllerKey: key(controller, 'c') });
  const store = new sdk.DoseStore(new sdk.MemoryStorage(), KEY);
  const frame = (seq) => sdk.doseEncodeFrame({ seq, atMs: DOSE_T0_MS + seq * 300_000, body: { type: 'glucose', mgdl: 100 + seq } });
  for (const seq of [1, 2, 3]) assert.equal(terminal.acceptFrame(frame(seq)).code, 'ACCEPTED');
  assert.equal(await store.save('t1', terminal), true);
  // Not saved: must not survive the trap.
  assert.equal(terminal.acceptFrame(frame(4)).code, 'ACCEPTED');
  return { store, terminal, frame };
}

async function terminalReloads({ store, frame }) {
  const again = await store.load('t1');
  assert.equal(again.acceptFrame(frame(3)).code, 'DUPLICATE', 'the saved stream came back');
  assert.equal(again.acceptFrame(frame(4)).code, 'ACCEPTED', 'the unsaved frame did not');
  assert.equal(await store.save('t1', again), true, 'the store writes after recovery');
  again.free();
}

test('the patient terminal: a method traps (PatientTerminal#acceptFrame), a store load and a save trap; the saved stream comes back', async () => {
  let s = await savedTerminal();
  trapInside('DoseTerminalHandle', '#acceptFrame');
  await expectTrap('PatientTerminal#acceptFrame', () => s.terminal.acceptFrame(s.frame(5)), () => s.terminal.state());
  await terminalReloads(s);

  s = await savedTerminal();
  trapInside('DoseTerminalHandle', 'restore');
  await expectTrap('DoseStore#load', () => s.store.load('t1'), () => s.terminal.state());
  await terminalReloads(s);

  s = await savedTerminal();
  trapInside('DoseTerminalHandle', '#snapshot');
  await expectTrap('DoseStore#save', () => s.store.save('t1', s.terminal), () => s.terminal.state());
  await terminalReloads(s);
});

// ---------------------------------------------------------------------------------------------
// System 5: the relay. A trap — in the server's decision or the phone's sealing — loses no saved
// payment, and a token answered before the trap gets the same receipt bytes after it.

const RELAY_T0 = 1_800_000_000;
const relayPhoneKeys = () => sdk.keyPairFromSecret('EdDSA', new Uint8Array(32).fill(0x61));
const relayServerKeys = () => sdk.keyPairFromSecret('EdDSA', new Uint8Array(32).fill(0x62));
async function savedRelay() {
  const store = new sdk.RelayStore(new sdk.MemoryStorage(), KEY);
  const phone = sdk.PaymentPhone.create({ deviceId: 'ph1', allowance: [] }, relayPhoneKeys());
  const server = sdk.TokenServer.create('EUR', RELAY_T0, relayServerKeys());
  server.registerDevice('ph1', phone.publicKey, [], RELAY_T0);
  server.addPayee('cafe', RELAY_T0);
  server.fund('ph1', '20.00', RELAY_T0);
  const seal = (amount, n) => phone.seal({ payee: 'cafe', amount, currency: 'EUR', now: RELAY_T0, nonce: new Uint8Array(8).fill(n) }).token;
  const paid = seal('5.00', 1);
  const receipt = server.process(paid, RELAY_T0).receipt;
  assert.equal(await store.saveServer('main', server), true);
  assert.equal(await store.savePhone('me', phone), true);
  // Not saved: must not survive the trap.
  const unsaved = seal('3.00', 2);
  assert.equal(server.process(unsaved, RELAY_T0).code, 'APPROVED');
  return { store, phone, server, paid, receipt, unsaved };
}

async function relayReloads({ store, paid, receipt, unsaved }) {
  const server = await store.loadServer('main', relayServerKeys());
  const phone = await store.loadPhone('me', relayPhoneKeys());
  assert.equal(server.balance('payee', 'cafe'), '5.00', 'the saved payment came back, the unsaved one did not');
  assert.deepEqual(server.process(paid, RELAY_T0 + 1).receipt, receipt, 'the same receipt bytes after the trap');
  assert.equal(server.process(unsaved, RELAY_T0 + 1).code, 'APPROVED', 'the unsaved token is decided now, once');
  assert.equal(phone.nextCounter, 2, 'the phone is back at its saved counter');
  assert.equal(await store.saveServer('main', server), true, 'the store writes after recovery');
  server.free();
  phone.free();
}

test('the relay: the server\'s process traps, the phone\'s seal traps, a store save traps; the saved payments and receipts come back', async () => {
  let r = await savedRelay();
  trapInside('RelayServerHandle', '#process');
  await expectTrap('TokenServer#process', () => r.server.process(r.unsaved, RELAY_T0), () => r.server.revision());
  await relayReloads(r);

  r = await savedRelay();
  trapInside('RelayPhoneHandle', '#seal');
  await expectTrap('PaymentPhone#seal', () => r.phone.seal({ payee: 'cafe', amount: '1.00', currency: 'EUR', now: RELAY_T0 }), () => r.phone.tokens());
  await relayReloads(r);

  r = await savedRelay();
  trapInside('RelayServerHandle', '#snapshot');
  await expectTrap('RelayStore#saveServer', () => r.store.saveServer('main', r.server), () => r.server.revision());
  await relayReloads(r);
});

// System 7: the resolver. Its only state is the host's rules table (and the SDK's directory
// cache): after a trap the old resolver refuses, one made again from the same table answers the
// same, and a trap inside a directory resolution is WASM_TRAP too.

test('the transfer resolver: a resolution traps (sync and after a directory lookup); a resolver made again answers the same', async () => {
  const rules = {
    providers: [{ id: 'mm', endpoint: 'http://127.0.0.1:9000/mm', format: 'fspiop-quote' }],
    rules: [{ id: 'ilp', kind: 'ilp', provider: 'mm', prefix: 'g.mm' }],
  };
  const make = () => sdk.TransferResolver.create(rules, { directory: async () => 'mm' });
  let r = make();
  const before = r.resolve('g.mm.alice');
  trapInside('TransferResolverHandle', '#resolve');
  await expectTrap('TransferResolver#resolve', () => r.resolve('g.mm.alice'), () => r.resolve('g.mm.alice'));
  r = make();
  assert.deepEqual(r.resolve('g.mm.alice'), before);

  trapInside('TransferResolverHandle', '#resolveAlias');
  await expectTrap('TransferResolver#resolveWithDirectory', () => r.resolveWithDirectory('+442079460958'), () => r.resolve('g.mm.alice'));
  r = make();
  assert.equal((await r.resolveWithDirectory('+442079460958')).provider, 'mm');

  // A format function after recovery works on the fresh instance.
  assert.equal(sdk.transferParse('plain-json', sdk.transferGenerate('plain-json', {
    messageId: 'M1', endToEndId: 'E1', createdAt: '2026-12-06T10:00:00Z', executionDate: '2026-12-07', amount: '1', currency: 'EUR',
    initiator: 'A', debtor: { name: 'A', account: 'DE89370400440532013000' }, creditor: { name: 'B', account: 'g.mm.bob' },
  }).text).amount, '1.00');
  r.free();
});

// System 7: the transfer book. A restart — or a trap — loses no saved reservation, and nothing
// unsaved comes back.

const TRANSFER_T0 = 1_800_000_000;
const TRANSFER_FULFILMENT = new Uint8Array(32).fill(5);
async function savedBook() {
  const store = new sdk.TransferBookStore(new sdk.MemoryStorage(), KEY);
  const book = sdk.TransferBook.create({ bookId: 'A', currency: 'EUR', now: TRANSFER_T0 });
  book.openAccount({ requestId: 'o1', now: TRANSFER_T0, accountId: 'alice' });
  book.openAccount({ requestId: 'o2', now: TRANSFER_T0, accountId: 'bee' });
  book.fund({ requestId: 'f1', now: TRANSFER_T0, accountId: 'alice', amount: '100' });
  const quote = (n) => ({ requestId: `q${n}`, now: TRANSFER_T0, quoteId: `Q${n}`, payerAccountId: 'alice', payeeAccountId: 'bee', amount: '10', fee: '1', expiresAt: TRANSFER_T0 + 60 });
  const reserve = (n) => ({ requestId: `r${n}`, now: TRANSFER_T0, transferId: `T${n}`, quoteId: `Q${n}`, condition: sdk.transferCondition(TRANSFER_FULFILMENT) });
  book.quote(quote(1));
  assert.equal(book.reserve(reserve(1)).code, 'RESERVED');
  assert.equal(await store.save(book), true);
  // Not saved: must not survive the trap.
  book.quote(quote(2));
  assert.equal(book.reserve(reserve(2)).code, 'RESERVED');
  return { store, book, quote, reserve };
}

async function bookReloads({ store, quote, reserve }) {
  const again = await store.load('A');
  assert.equal(again.transfer('T1').state, 'reserved', 'the saved reservation came back');
  assert.equal(again.transfer('T2'), undefined, 'the unsaved one did not');
  assert.equal(again.account('alice').available, '89.00');
  const commit = again.commit({ requestId: 'c1', now: TRANSFER_T0 + 1, transferId: 'T1', fulfilment: hex(TRANSFER_FULFILMENT) });
  assert.equal(commit.code, 'COMMITTED');
  again.quote(quote(2));
  assert.equal(again.reserve(reserve(2)).code, 'RESERVED');
  assert.equal(await store.save(again), true, 'the store writes after recovery');
  again.free();
}

test('the transfer book: a method traps (TransferBook#reserve), a store load and a save trap; the saved reservation comes back', async () => {
  let s = await savedBook();
  trapInside('TransferBookHandle', '#reserve');
  await expectTrap('TransferBook#reserve', () => s.book.reserve(s.reserve(3)), () => s.book.transferIds());
  await bookReloads(s);

  s = await savedBook();
  trapInside('TransferBookHandle', 'restore');
  await expectTrap('TransferBookStore#load', () => s.store.load('A'), () => s.book.transferIds());
  await bookReloads(s);

  s = await savedBook();
  trapInside('TransferBookHandle', '#snapshot');
  await expectTrap('TransferBookStore#save', () => s.store.save(s.book), () => s.book.transferIds());
  await bookReloads(s);
});

// System 8: the custody book. Persisted as a state snapshot every N events and a log of the
// events since; a trap while its log is replayed (a store load), while it is snapshotted (a save)
// or inside an event loses nothing saved.

const CUSTODY_SEED = new Uint8Array(32).fill(1);
async function savedCustodyBook() {
  // A snapshot every two events: the first save writes one, the second a log record, the third
  // (in the test) another snapshot.
  const store = new sdk.CustodyBookStore(new sdk.MemoryStorage(), KEY, { snapshotEvery: 2 });
  const omnibusKey = new Uint8Array(32).fill(3);
  const book = sdk.CustodyBook.create({
    assets: [{ asset: 'USDC', confirmations: 1, sweepThreshold: '1', clientLimits: [], assetLimits: [] }],
    omnibusAddress: sdk.custodyAddressOf(sdk.secp256k1PublicKey(omnibusKey, { compressed: true })),
    approvers: [{ approverId: 'a0', publicKey: sdk.ed25519PublicKey(new Uint8Array(32).fill(0x40)) }],
    quorum: 1,
    coolingOffS: 0,
  });
  const alice = sdk.custodyTransferWallet(CUSTODY_SEED, 0);
  book.registerClient({ clientId: 'alice', address: alice.address, now: NOW });
  book.registerClient({ clientId: 'bob', address: sdk.custodyTransferWallet(CUSTODY_SEED, 1).address, now: NOW });
  book.observeDeposit({ depositId: 'd1', address: alice.address, asset: 'USDC', amount: '100', confirmations: 1, now: NOW });
  assert.equal(book.sweep({ sweepId: 's1', clientId: 'alice', asset: 'USDC', networkFee: '1', now: NOW }).code, 'SWEPT');
  assert.equal(await store.save('main', book), true);
  assert.equal(book.observeOmnibus({ asset: 'USDC', balance: '99', now: NOW }).code, 'BALANCE_OBSERVED');
  assert.equal(await store.save('main', book), true);
  // Not saved: must not survive the trap.
  assert.equal(book.transfer({ transferId: 't1', fromClientId: 'alice', toClientId: 'bob', asset: 'USDC', amount: '10', now: NOW }).code, 'TRANSFERRED');
  return { store, book };
}

async function custodyReloads({ store }) {
  const again = await store.load('main');
  assert.equal(again.tradingBalance('alice', 'USDC'), '99.000000', 'the saved sweep came back');
  assert.equal(again.tradingBalance('bob', 'USDC'), '0.000000', 'the unsaved transfer did not');
  assert.equal(again.transfer({ transferId: 't1', fromClientId: 'alice', toClientId: 'bob', asset: 'USDC', amount: '10', now: NOW }).code, 'TRANSFERRED');
  assert.equal(await store.save('main', again), true, 'the store writes after recovery');
  again.free();
}

test('the custody book: an event traps (CustodyBook#transfer), a store load (the log replayed) and a save (a snapshot) trap; the saved events come back', async () => {
  let s = await savedCustodyBook();
  trapInside('CustodyBookHandle', '#transfer');
  await expectTrap('CustodyBook#transfer', () => s.book.transfer({ transferId: 't2', fromClientId: 'alice', toClientId: 'bob', asset: 'USDC', amount: '1', now: NOW }), () => s.book.eventCount);
  await custodyReloads(s);

  s = await savedCustodyBook();
  trapInside('CustodyBookHandle', '#observeOmnibus');
  await expectTrap('CustodyBookStore#load', () => s.store.load('main'), () => s.book.eventCount);
  await custodyReloads(s);

  s = await savedCustodyBook();
  trapInside('CustodyBookHandle', '#snapshot');
  await expectTrap('CustodyBookStore#save', () => s.store.save('main', s.book), () => s.book.eventCount);
  await custodyReloads(s);
});
