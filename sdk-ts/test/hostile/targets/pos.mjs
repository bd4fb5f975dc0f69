// Hostile-input targets: System 4, the point of sale (PosTerminalState, PosStore, PosTerminal,
// httpAcquirerClient, and the Node entry's PosAcquirer attached to a server that never listens).
import * as s from '@countersign/sdk';
import { createServer } from 'node:http';

const KEY = new Uint8Array(32).fill(4);
const T0 = 1_800_000_000_000;
const config = () => ({
  terminalId: 'hall-a-1',
  offline: {
    currencies: [{ currency: 'EUR', paymentMax: '50.00', totalMax: '100.00' }],
    countMax: 5,
    maxAgeMs: 3_600_000,
    floorLimits: [{ cardType: 'visa', currency: 'EUR', amount: '40.00' }],
  },
});
const request = (key = 'k2') => ({ idempotencyKey: key, kind: 'payment', amount: '3.00', currency: 'EUR', cardHash: 'ab'.repeat(32), cardType: 'visa', payload: 'c0ffee' });

function state() {
  const t = s.PosTerminalState.create(config());
  t.store(request('k1'), T0);
  return t;
}
const baseSnapshot = (() => {
  const t = state();
  const bytes = t.snapshot(KEY);
  t.free();
  return bytes;
})();
const onState = { receiver: state, state: (t) => JSON.stringify([t.exportQueue(), t.status()]) };
const forwarding = () => {
  const t = state();
  t.beginForward(T0 + 1, false);
  return t;
};

const stores = new WeakMap();
async function store() {
  const storage = new s.MemoryStorage();
  const st = new s.PosStore(storage, KEY);
  const t = state();
  await st.save(t);
  stores.set(st, { storage, terminal: t });
  return st;
}
async function storeState(st) {
  const stored = await stores.get(st).storage.get('pos/hall-a-1');
  return stored === null ? 'none' : `${stored.version} ${Buffer.from(stored.value).toString('hex')}`;
}

// An in-process acquirer: approves everything (no network in the hostile suite).
const acquirer = () => ({
  authorise: async () => ({ result: 'approved', code: 'A1' }),
  forward: async () => ({ result: 'approved', code: 'A1' }),
  probe: async () => {},
});
const terminalOptions = () => ({ storage: new s.MemoryStorage(), snapshotKey: KEY.slice(), config: config(), acquirer: acquirer(), clock: () => T0, random: () => 7 });
async function terminal() {
  const t = await s.PosTerminal.open(terminalOptions());
  t.observe({ kind: 'osOffline', atMs: T0 });
  await t.takePayment(payment('p1'), 'auto');
  return t;
}
const payment = (key = 'p2') => ({ idempotencyKey: key, amount: '2.00', currency: 'EUR', cardToken: '4111111111111111', cardType: 'visa', payload: new Uint8Array([1, 2]) });
const onTerminal = { receiver: terminal, state: (t) => JSON.stringify(t.exportQueue()) };

const acquirerOptions = () => ({ storage: new s.MemoryStorage(), attach: createServer() });
const onAcquirer = { receiver: () => s.PosAcquirer.start(acquirerOptions()), state: async (a) => JSON.stringify((await a.totals()).keys) };

export const targets = {
  'new PosTerminalState': { args: () => [] }, // private: always refused
  'PosTerminalState.create': { args: () => [config()] },
  'PosTerminalState.restore': { args: () => [baseSnapshot.slice(), KEY.slice()] },
  'PosTerminalState#observe': { ...onState, args: () => [{ kind: 'request', atMs: T0, ok: true, latencyMs: 30 }] },
  'PosTerminalState#route': { ...onState, args: () => ['auto'] },
  'PosTerminalState#store': { ...onState, args: () => [request(), T0 + 5] },
  'PosTerminalState#beginForward': { ...onState, args: () => [T0 + 5, true] },
  'PosTerminalState#forwardResult': { receiver: forwarding, state: onState.state, args: () => ['k1', { kind: 'retry', code: 'NO_ANSWER' }, T0 + 6, 12345] },
  'PosTerminalState#tick': { ...onState, args: () => [T0 + 86_400_000] },
  'PosTerminalState#status': { ...onState, args: () => [] },
  'PosTerminalState#exportQueue': { ...onState, args: () => [] },
  'PosTerminalState#checkDrop': { ...onState, args: () => [] },
  'PosTerminalState#verifyChain': { ...onState, args: () => [] },
  'PosTerminalState#config': { ...onState, args: () => [] },
  'PosTerminalState#snapshot': { ...onState, args: () => [KEY.slice()] },
  'PosTerminalState#freshness': { ...onState, args: () => [] },
  'PosTerminalState#terminalId': { ...onState, args: () => [] },
  'PosTerminalState#free': { ...onState, args: () => [], consumes: true },
  'PosTerminalState#[Symbol.dispose]': { ...onState, args: () => [], consumes: true },

  'new PosStore': { args: () => [new s.MemoryStorage(), KEY.slice(), { prefix: 'tills/' }] },
  'PosStore#load': { receiver: store, state: storeState, args: () => ['hall-a-1'] },
  'PosStore#save': { receiver: store, state: storeState, argsFor: (st) => [stores.get(st).terminal] },
  'PosStore#drop': { receiver: store, state: storeState, args: () => ['hall-a-1'] },
  'PosStore#storage': { receiver: store, state: storeState, args: () => [] },

  'new PosTerminal': { args: () => [] }, // private: always refused
  'PosTerminal.open': { args: () => [terminalOptions()] },
  'PosTerminal#terminalId': { ...onTerminal, args: () => [] },
  'PosTerminal#on': { ...onTerminal, args: () => ['paymentStored', () => {}] },
  'PosTerminal#observe': { ...onTerminal, args: () => [{ kind: 'osOnline', atMs: T0 + 1 }] },
  'PosTerminal#probe': { ...onTerminal, args: () => [] },
  'PosTerminal#takePayment': { ...onTerminal, args: () => [payment(), 'forceOffline'] },
  'PosTerminal#enqueue': { ...onTerminal, args: () => [{ idempotencyKey: 'tok-1', kind: 'token', amount: '1.50', currency: 'EUR', payload: new Uint8Array([9, 9]) }] },
  'PosTerminal#forwardDue': { ...onTerminal, args: () => [{ force: false }] },
  'PosTerminal#flush': { ...onTerminal, args: () => [] },
  'PosTerminal#tick': { ...onTerminal, args: () => [] },
  'PosTerminal#status': { ...onTerminal, args: () => [] },
  'PosTerminal#exportQueue': { ...onTerminal, args: () => [] },
  'PosTerminal#close': { ...onTerminal, args: () => [], consumes: true },

  'httpAcquirerClient': { args: () => ['http://127.0.0.1:9', { timeoutMs: 100 }] },

  'new PosAcquirer': { args: () => [] }, // private: always refused
  'PosAcquirer.start': { args: () => [acquirerOptions()] },
  'PosAcquirer#behave': { ...onAcquirer, args: () => [{ slowMs: 0, failNext: 1, declineAll: false, answerTwice: true, dropAfterCommitNext: 0 }] },
  'PosAcquirer#totals': { ...onAcquirer, args: () => [] },
  'PosAcquirer#record': { ...onAcquirer, args: () => ['hall-a-1', 'p1'] },
  'PosAcquirer#close': { ...onAcquirer, args: () => [], consumes: true },
};
