// Hostile-input targets of the relay module (System 5): see ../README.md for the format.
//
// Receivers are restored from snapshots taken once at load: a phone with two outstanding tokens
// (one answered by the server, its receipt kept aside) and a server with the device registered,
// a payee, a funded wallet and one stored answer. The relay terminal's outbox lives in memory with
// one token waiting; its server URL is a closed loopback port, so `flush` finds the server
// unreachable at once (the entry's retry is the state change a hostile flush may make).
import {
  MemoryStorage,
  PaymentPhone,
  RelayStore,
  RelayTerminal,
  TokenHttpServer,
  TokenServer,
  keyPairFromSecret,
  httpTokenServerClient,
  relayCodes,
  relayQrVersion,
  relayTokenClaims,
  relayTokenStatus,
} from '@countersign/sdk';

const NOW = 1_800_000_000;
const snapshotKey = new Uint8Array(32).fill(9);
const phoneKeys = keyPairFromSecret('EdDSA', new Uint8Array(32).fill(3));
const serverKeys = keyPairFromSecret('EdDSA', new Uint8Array(32).fill(4));
const ALLOWANCE = [{ id: 'per-token', measure: 'amount', currency: 'EUR', window: { kind: 'perTransaction' }, hard: '20.00' }];
const LIMITS = [{ id: 'daily', measure: 'amount', currency: 'EUR', window: { kind: 'lifetime' }, hard: '100.00' }];
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const CLOSED_URL = 'http://127.0.0.1:9';

const phone = PaymentPhone.create({ deviceId: 'ph1', allowance: ALLOWANCE }, phoneKeys);
const server = TokenServer.create('EUR', NOW, serverKeys, 'srv');
server.registerDevice('ph1', phoneKeys.publicKey, LIMITS, NOW);
server.addPayee('cafe', NOW);
server.fund('ph1', '50.00', NOW);
const token1 = phone.seal({ payee: 'cafe', amount: '4.50', currency: 'EUR', now: NOW, nonce: new Uint8Array(8).fill(1) });
const receipt1 = server.process(token1.token, NOW).receipt;
const token2 = phone.seal({ payee: 'cafe', amount: '2.00', currency: 'EUR', now: NOW, nonce: new Uint8Array(8).fill(2) });
const phoneSnapshot = phone.snapshot(snapshotKey);
const serverSnapshot = server.snapshot(snapshotKey);
const serverKey = { ...server.publicKey };
phone.free();
server.free();

const freshPhone = () => PaymentPhone.restore(phoneSnapshot, snapshotKey, phoneKeys);
const freshServer = () => TokenServer.restore(serverSnapshot, snapshotKey, serverKeys, 'srv');
const onPhone = (args, extra = {}) => ({ receiver: freshPhone, state: (p) => hex(p.snapshot(snapshotKey)), args, ...extra });
const onServer = (args, extra = {}) => ({ receiver: freshServer, state: (s) => hex(s.snapshot(snapshotKey)), args, ...extra });

const storages = new WeakMap();
async function memoryState(storage) {
  const values = [];
  for (const key of await storage.list('')) {
    const stored = await storage.get(key);
    values.push([key, stored.version, hex(stored.value)]);
  }
  return JSON.stringify(values);
}
async function freshStore() {
  const storage = new MemoryStorage();
  const store = new RelayStore(storage, snapshotKey);
  const p = freshPhone();
  const s = freshServer();
  try {
    if (!(await store.savePhone('me', p)) || !(await store.saveServer('main', s))) throw new Error('relay targets: store setup');
  } finally {
    p.free();
    s.free();
  }
  storages.set(store, storage);
  return store;
}
const RELAY_CONFIG = { terminalId: 'relay-h', offline: { currencies: [{ currency: 'EUR', paymentMax: '20.00', totalMax: '100.00' }], countMax: 16, maxAgeMs: 86_400_000 } };
const terminalOptions = (storage = new MemoryStorage()) => ({ storage, snapshotKey: snapshotKey.slice(), config: structuredClone(RELAY_CONFIG), serverUrl: CLOSED_URL, clock: () => NOW * 1000, random: () => 7 });
async function freshTerminal() {
  const storage = new MemoryStorage();
  const terminal = await RelayTerminal.open(terminalOptions(storage));
  if ((await terminal.accept(token1.token)).code !== 'STORED') throw new Error('relay targets: terminal setup');
  storages.set(terminal, storage);
  return terminal;
}
const onStored = (receiver, args) => ({ receiver, state: (r) => memoryState(storages.get(r)), args });

const httpOptions = () => ({
  storage: new MemoryStorage(),
  snapshotKey: snapshotKey.slice(),
  keyPair: serverKeys,
  keyId: 'srv',
  setup: (s) => s.addPayee('cafe', NOW),
  clock: () => NOW * 1000,
  listen: false,
});
const onHttp = (args, extra = {}) => ({ receiver: () => TokenHttpServer.start(httpOptions()), state: (h) => h.balance('payee', 'cafe'), args, ...extra });

export const targets = {
  relayCodes: { args: () => [] },
  relayQrVersion: { args: () => [144] },
  relayTokenStatus: { args: () => [{ counter: 1, tokenHash: token1.tokenHash, state: 'refused', code: 'BAD_SIGNATURE', payee: 'cafe', amount: '4.50', currency: 'EUR', expiresAt: NOW + 600 }] },

  'PaymentPhone.create': { args: () => [{ deviceId: 'ph2', allowance: ALLOWANCE.map((l) => ({ ...l })) }, phoneKeys] },
  'PaymentPhone.restore': { args: () => [phoneSnapshot.slice(), snapshotKey.slice(), phoneKeys] },
  'new PaymentPhone': { args: () => [{}, phoneKeys] }, // private: always refused
  'PaymentPhone#publicKey': onPhone(() => []),
  'PaymentPhone#nextCounter': onPhone(() => []),
  'PaymentPhone#seal': onPhone(() => [{ payee: 'cafe', amount: '1.00', currency: 'EUR', now: NOW + 5, ttlS: 300, nonce: new Uint8Array(8).fill(5) }]),
  'PaymentPhone#acceptReceipt': onPhone(() => [receipt1.slice(), { ...serverKey, publicKey: serverKey.publicKey.slice() }, NOW + 5]),
  'PaymentPhone#noteRefusal': onPhone(() => [token2.tokenHash, 'BAD_SIGNATURE']),
  'PaymentPhone#tokens': onPhone(() => []),
  'PaymentPhone#allowance': onPhone(() => [NOW + 5]),
  'PaymentPhone#revision': onPhone(() => []),
  'PaymentPhone#snapshot': onPhone(() => [snapshotKey.slice()]),
  'PaymentPhone#free': onPhone(() => [], { consumes: true }),
  'PaymentPhone#[Symbol.dispose]': onPhone(() => [], { consumes: true }),

  'TokenServer.create': { args: () => ['EUR', NOW, serverKeys, 'srv'] },
  'TokenServer.restore': { args: () => [serverSnapshot.slice(), snapshotKey.slice(), serverKeys, 'srv'] },
  'new TokenServer': { args: () => [{}, serverKeys, 'srv'] }, // private: always refused
  'TokenServer#publicKey': onServer(() => []),
  'TokenServer#currency': onServer(() => []),
  'TokenServer#registerDevice': onServer(() => ['ph9', phoneKeys.publicKey.slice(), LIMITS.map((l) => ({ ...l })), NOW + 5]),
  'TokenServer#addPayee': onServer(() => ['kiosk', NOW + 5]),
  'TokenServer#fund': onServer(() => ['ph1', '5.00', NOW + 5]),
  'TokenServer#balance': onServer(() => ['device', 'ph1']),
  'TokenServer#process': onServer(() => [token2.token.slice(), NOW + 5]),
  'TokenServer#journal': onServer(() => []),
  'TokenServer#truncateJournal': onServer(() => [0n]),
  'TokenServer#revision': onServer(() => []),
  'TokenServer#snapshot': onServer(() => [snapshotKey.slice()]),
  'TokenServer#free': onServer(() => [], { consumes: true }),
  'TokenServer#[Symbol.dispose]': onServer(() => [], { consumes: true }),

  'new RelayStore': { args: () => [new MemoryStorage(), snapshotKey.slice(), { prefix: 'relay/' }] },
  'RelayStore#loadPhone': onStored(freshStore, () => ['me', phoneKeys]),
  'RelayStore#savePhone': onStored(freshStore, () => ['me', freshPhone()]),
  'RelayStore#loadServer': onStored(freshStore, () => ['main', serverKeys, 'srv']),
  'RelayStore#saveServer': onStored(freshStore, () => ['main', freshServer()]),

  relayTokenClaims: { args: () => [token1.token.slice()] },
  httpTokenServerClient: { args: () => [CLOSED_URL, { timeoutMs: 1000 }] },
  'new RelayTerminal': { args: () => [] }, // private: always refused
  'RelayTerminal.open': { args: () => [terminalOptions()] },
  'RelayTerminal#pos': onStored(freshTerminal, () => []),
  'RelayTerminal#terminalId': onStored(freshTerminal, () => []),
  'RelayTerminal#accept': onStored(freshTerminal, () => [token2.token.slice()]),
  'RelayTerminal#flush': onStored(freshTerminal, () => []),
  'RelayTerminal#forwardDue': onStored(freshTerminal, () => []),
  'RelayTerminal#statusFor': onStored(freshTerminal, () => [token1.tokenHash]),
  'RelayTerminal#exportQueue': onStored(freshTerminal, () => []),
  'RelayTerminal#close': { ...onStored(freshTerminal, () => []), consumes: true },

  'new TokenHttpServer': { args: () => [] }, // private: always refused
  'TokenHttpServer.start': { args: () => [httpOptions()] },
  'TokenHttpServer#url': onHttp(() => []),
  'TokenHttpServer#publicKey': onHttp(() => []),
  'TokenHttpServer#balance': onHttp(() => ['payee', 'cafe']),
  'TokenHttpServer#close': onHttp(() => [], { consumes: true }),
};
