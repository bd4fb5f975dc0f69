// Hostile-input targets of the energy module (System 3): see ../README.md for the format.
//
// Every receiver is restored from a snapshot taken once at load, so each is fresh, genuine and
// in the same state: a server with a funded wallet and three sessions (o-1 held, o-2 held,
// o-3 completed), a terminal with o-1 authorised (one reading), o-2 ordered (its authorisation
// kept aside) and o-3 completing (its receipt kept aside). The request envelopes the server
// methods take are made by copies of that terminal, so every one is valid for every receiver.
import {
  EnergyServer,
  EnergyStore,
  EnergyTerminal,
  MemoryStorage,
  keyPairFromSecret,
} from '@countersign/sdk';

const NOW = 1_767_225_600;
const FUEL = { currency: 'EUR', unit: 'litre', unitPrice: '1.859', costRounding: 'half-even' };
const DEARER = { ...FUEL, unitPrice: '2.000' };
const CONFIG = { currency: 'EUR', holdDurationS: 900, lateCompletion: 'reject' };
const snapshotKey = new Uint8Array(32).fill(7);
const serverKeys = keyPairFromSecret('EdDSA', new Uint8Array(32).fill(1));
const terminalKeys = keyPairFromSecret('EdDSA', new Uint8Array(32).fill(2));
const serverKey = { keyId: 'server-1', algorithm: 'EdDSA', publicKey: serverKeys.publicKey };
const terminalConfig = () => ({ stationId: 'station-1', serverKey: { ...serverKey, publicKey: serverKeys.publicKey.slice() } });

const hex = (bytes) => Buffer.from(bytes).toString('hex');
const order = (orderId, maximum = '30.00') => ({ orderId, walletId: 'alice', maximum, belowMaximum: 'decline', tariff: FUEL });

function need(outcome, what) {
  if (!(outcome.envelope instanceof Uint8Array)) throw new Error(`energy targets: ${what}: ${outcome.code}`);
  return outcome.envelope;
}

// The base states.
const server = EnergyServer.create(CONFIG, NOW, serverKeys, 'server-1');
const terminal = EnergyTerminal.create(terminalConfig(), terminalKeys, 'pump-1');
server.addTerminal('station-1', terminal.publicKey, NOW);
server.openWallet('alice', NOW);
server.topUp('alice', '200.00', NOW);
// o-1: authorised, one reading.
terminal.acceptReply('o-1', server.authorise(need(terminal.order(order('o-1'), NOW), 'order o-1'), NOW), NOW);
terminal.meter('o-1', '5.00', NOW + 1);
// o-3: completed at the server, the receipt not yet accepted by the terminal.
terminal.acceptReply('o-3', server.authorise(need(terminal.order(order('o-3', '20.00'), NOW), 'order o-3'), NOW), NOW);
const receipt3 = need(server.complete(need(terminal.complete('o-3', NOW + 2), 'complete o-3'), NOW + 2), 'receipt o-3');
// o-2: held at the server, the authorisation not yet accepted by the terminal.
const authorisation2 = need(server.authorise(need(terminal.order(order('o-2', '10.00'), NOW + 3), 'order o-2'), NOW + 3), 'authorise o-2');
const serverSnapshot = server.snapshot(snapshotKey);
const terminalSnapshot = terminal.snapshot(snapshotKey);
server.free();
terminal.free();

const freshServer = () => EnergyServer.restore(serverSnapshot, snapshotKey, serverKeys, 'server-1');
const freshTerminal = () => EnergyTerminal.restore(terminalSnapshot, snapshotKey, terminalKeys, 'pump-1');
/** The base server with one ledger operation since (so its journal has entries to hand over). */
function freshServerWithJournal() {
  const s = freshServer();
  s.topUp('alice', '1.00', NOW + 4);
  return s;
}
const serverState = (s) => hex(s.snapshot(snapshotKey));
const terminalState = (t) => hex(t.snapshot(snapshotKey));

/** A request envelope made by a copy of the base terminal (so it is new to every base server). */
function requestOf(make, what) {
  const t = freshTerminal();
  try {
    return need(make(t), what);
  } finally {
    t.free();
  }
}
const orderEnvelope = requestOf((t) => t.order(order('o-5'), NOW + 5), 'order o-5');
const tariffChangeEnvelope = requestOf((t) => t.changeTariff('o-1', DEARER, NOW + 5), 'tariff change o-1');
const extendEnvelope = requestOf((t) => t.extend('o-1', NOW + 1800, NOW + 5), 'extend o-1');
const completionEnvelope = requestOf((t) => t.complete('o-1', NOW + 5), 'complete o-1');

// A store over memory holding the base server ("main") and terminal ("pump").
const storages = new WeakMap();
async function freshStore() {
  const storage = new MemoryStorage();
  const store = new EnergyStore(storage, snapshotKey);
  const s = freshServerWithJournal();
  const t = freshTerminal();
  try {
    if (!(await store.saveServer('main', s)) || !(await store.saveTerminal('pump', t))) throw new Error('energy targets: store setup');
  } finally {
    s.free();
    t.free();
  }
  storages.set(store, storage);
  return store;
}
async function storeState(store) {
  const storage = storages.get(store);
  const keys = await storage.list('');
  const values = [];
  for (const key of keys) {
    const stored = await storage.get(key);
    values.push([key, stored.version, hex(stored.value)]);
  }
  const journal = await storage.readLog('energy/server/main.journal');
  return JSON.stringify([values, journal.map((r) => [r.seq, hex(r.record)])]);
}

const onServer = (args, extra = {}) => ({ receiver: freshServer, state: serverState, args, ...extra });
const onTerminal = (args, extra = {}) => ({ receiver: freshTerminal, state: terminalState, args, ...extra });
const onStore = (args) => ({ receiver: freshStore, state: storeState, args });

export const targets = {
  // Functions.
  dispenseLimit: { args: () => [{ tariff: { ...FUEL }, hold: '50.00' }] },
  meteredCost: { args: () => [{ tariff: { ...FUEL, tax: { rate: '0.19', priceIncludesTax: true, rounding: 'half-even' } }, quantity: '10.00', unit: 'litre', hold: '50.00' }] },
  energyCodes: { args: () => [] },

  // Statics and the public constructor.
  'EnergyServer.create': { args: () => [{ ...CONFIG, clockSkewS: 30 }, NOW, serverKeys, 'server-1'] },
  'EnergyServer.restore': { args: () => [serverSnapshot.slice(), snapshotKey.slice(), serverKeys, 'server-1'] },
  'EnergyTerminal.create': { args: () => [{ ...terminalConfig(), clockSkewS: 30 }, terminalKeys, 'pump-1'] },
  'EnergyTerminal.restore': { args: () => [terminalSnapshot.slice(), snapshotKey.slice(), terminalKeys, 'pump-1'] },
  'new EnergyServer': { args: () => [{}, serverKeys, 'server-1'] }, // private: always refused
  'new EnergyTerminal': { args: () => [{}, terminalKeys, 'pump-1'] }, // private: always refused
  'new EnergyStore': { args: () => [new MemoryStorage(), snapshotKey.slice(), { prefix: 'energy/' }] },

  // EnergyServer.
  'EnergyServer#publicKey': onServer(() => []),
  'EnergyServer#config': onServer(() => []),
  'EnergyServer#addTerminal': onServer(() => ['station-2', { keyId: 'pump-2', algorithm: 'EdDSA', publicKey: terminalKeys.publicKey.slice() }, NOW + 5]),
  'EnergyServer#openWallet': onServer(() => ['bob', NOW + 5]),
  'EnergyServer#topUp': onServer(() => ['alice', '5.00', NOW + 5]),
  'EnergyServer#wallet': onServer(() => ['alice']),
  'EnergyServer#station': onServer(() => ['station-1']),
  'EnergyServer#session': onServer(() => ['o-1']),
  'EnergyServer#sessionIds': onServer(() => []),
  'EnergyServer#expireDue': onServer(() => [NOW + 5]),
  'EnergyServer#authorise': onServer(() => [orderEnvelope.slice(), NOW + 5]),
  'EnergyServer#changeTariff': onServer(() => [tariffChangeEnvelope.slice(), NOW + 5]),
  'EnergyServer#extend': onServer(() => [extendEnvelope.slice(), NOW + 5]),
  'EnergyServer#complete': onServer(() => [completionEnvelope.slice(), NOW + 5]),
  'EnergyServer#handle': onServer(() => ['extend', extendEnvelope.slice(), NOW + 5]),
  'EnergyServer#journal': onServer(() => [], { receiver: freshServerWithJournal }),
  'EnergyServer#truncateJournal': onServer(() => [9n], { receiver: freshServerWithJournal }),
  'EnergyServer#revision': onServer(() => []),
  'EnergyServer#snapshot': onServer(() => [snapshotKey.slice()]),
  'EnergyServer#free': onServer(() => [], { consumes: true }),
  'EnergyServer#[Symbol.dispose]': onServer(() => [], { consumes: true }),

  // EnergyTerminal.
  'EnergyTerminal#publicKey': onTerminal(() => []),
  'EnergyTerminal#stationId': onTerminal(() => []),
  'EnergyTerminal#order': onTerminal(() => [order('o-4'), NOW + 5]),
  'EnergyTerminal#acceptAuthorisation': onTerminal(() => [authorisation2.slice(), NOW + 5]),
  'EnergyTerminal#meter': onTerminal(() => ['o-1', '6.00', NOW + 5]),
  'EnergyTerminal#changeTariff': onTerminal(() => ['o-1', { ...DEARER }, NOW + 5]),
  'EnergyTerminal#extend': onTerminal(() => ['o-1', NOW + 1800, NOW + 5]),
  'EnergyTerminal#complete': onTerminal(() => ['o-1', NOW + 5]),
  'EnergyTerminal#acceptReceipt': onTerminal(() => [receipt3.slice(), NOW + 5]),
  'EnergyTerminal#abandonRequest': onTerminal(() => ['o-2', 'BALANCE_BELOW_MAXIMUM']),
  'EnergyTerminal#acceptReply': onTerminal(() => ['o-2', { code: 'HELD', ledgerCode: 'HELD', repeated: false, orderId: 'o-2', envelope: authorisation2.slice() }, NOW + 5]),
  'EnergyTerminal#pendingRequest': onTerminal(() => ['o-2']),
  'EnergyTerminal#session': onTerminal(() => ['o-1']),
  'EnergyTerminal#sessionIds': onTerminal(() => []),
  'EnergyTerminal#revision': onTerminal(() => []),
  'EnergyTerminal#snapshot': onTerminal(() => [snapshotKey.slice()]),
  'EnergyTerminal#free': onTerminal(() => [], { consumes: true }),
  'EnergyTerminal#[Symbol.dispose]': onTerminal(() => [], { consumes: true }),

  // EnergyStore.
  'EnergyStore#loadServer': onStore(() => ['main', serverKeys, 'server-1']),
  'EnergyStore#saveServer': onStore(() => ['main', freshServer()]),
  'EnergyStore#readServerJournal': onStore(() => ['main', { after: 0, limit: 10 }]),
  'EnergyStore#loadTerminal': onStore(() => ['pump', terminalKeys, 'pump-1']),
  'EnergyStore#saveTerminal': onStore(() => ['pump', freshTerminal()]),
};
