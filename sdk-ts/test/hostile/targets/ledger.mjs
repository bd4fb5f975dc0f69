// Hostile-input targets: the ledger and its store.
import * as s from '@countersign/sdk';

const hex = (b) => Buffer.from(b).toString('hex');
const SNAPSHOT_KEY = new Uint8Array(32).fill(7);

/** A ledger with two EUR accounts, 100.00 moved and a pending hold `h1`. */
function ledger() {
  const l = s.Ledger.create();
  l.openAccount({ idempotencyKey: 'o1', now: 1, accountId: 'a', currency: 'EUR', kind: 'unrestricted' });
  l.openAccount({ idempotencyKey: 'o2', now: 1, accountId: 'b', currency: 'EUR', kind: 'nonNegative' });
  l.transfer({ idempotencyKey: 't1', now: 2, debitAccountId: 'a', creditAccountId: 'b', amount: '100.00', currency: 'EUR' });
  l.hold({ idempotencyKey: 'h1', now: 3, holdId: 'h1', debitAccountId: 'b', creditAccountId: 'a', amount: '10.00', currency: 'EUR', expiresAt: 1000 });
  return l;
}
const base = ledger();
const baseSnapshot = base.snapshot(SNAPSHOT_KEY);
const baseJournal = base.journal();

const onLedger = {
  receiver: ledger,
  state: (l) => `${hex(l.stateDigest())} ${l.head().seq}`,
};
const transfer = () => ({ idempotencyKey: 'x1', now: 5, debitAccountId: 'a', creditAccountId: 'b', amount: '1.00', currency: 'EUR' });

export const targets = {
  ledgerCodes: { args: () => [] },
  'new Ledger': { args: () => [] },
  'Ledger.create': { args: () => [{ accountsMax: 5000, holdsMax: 4100 }] },
  'Ledger.restore': { args: () => [baseSnapshot.slice(), SNAPSHOT_KEY.slice()] },
  'Ledger.replay': { args: () => [baseJournal.map((e) => e.slice())] },
  'Ledger#openAccount': { ...onLedger, args: () => [{ idempotencyKey: 'x1', now: 5, accountId: 'c', currency: 'EUR', kind: 'creditLine', creditLimit: '50.00' }] },
  'Ledger#transfer': { ...onLedger, args: () => [transfer()] },
  'Ledger#hold': { ...onLedger, args: () => [{ ...transfer(), holdId: 'h2', expiresAt: 500 }] },
  'Ledger#increment': { ...onLedger, args: () => [{ idempotencyKey: 'x1', now: 5, holdId: 'h1', amount: '1.00', currency: 'EUR' }] },
  'Ledger#extend': { ...onLedger, args: () => [{ idempotencyKey: 'x1', now: 5, holdId: 'h1', expiresAt: 2000 }] },
  'Ledger#post': { ...onLedger, args: () => [{ idempotencyKey: 'x1', now: 5, holdId: 'h1', amount: '4.00', currency: 'EUR', final: true }] },
  'Ledger#void': { ...onLedger, args: () => [{ idempotencyKey: 'x1', now: 5, holdId: 'h1' }] },
  'Ledger#expireDue': { ...onLedger, args: () => [{ idempotencyKey: 'x1', now: 5000 }] },
  'Ledger#setCreditLimit': { ...onLedger, args: () => [{ idempotencyKey: 'x1', now: 5, accountId: 'b', creditLimit: '5.00', currency: 'EUR' }] },
  'Ledger#closeAccount': { ...onLedger, args: () => [{ idempotencyKey: 'x1', now: 5, accountId: 'a' }] },
  'Ledger#setKeyRetention': { ...onLedger, args: () => [{ idempotencyKey: 'x1', now: 5, keysKeptBy: 'store' }] },
  'Ledger#keysKeptBy': { ...onLedger, args: () => [] },
  'Ledger#keyWindow': { ...onLedger, args: () => [] },
  'Ledger#setCapacity': { ...onLedger, args: () => [{ idempotencyKey: 'c1', now: 5, accountsMax: 5000, holdsMax: 4100 }] },
  'Ledger#capacity': { ...onLedger, args: () => [] },
  'Ledger#answerFromEntry': {
    // The ledger without the key t1 (its window forgot it, in effect): answered from t1's entry.
    receiver: () => s.Ledger.create(),
    state: (l) => `${hex(l.stateDigest())} ${l.head().seq}`,
    args: () => [{ op: 'transfer', request: { idempotencyKey: 't1', now: 9, debitAccountId: 'a', creditAccountId: 'b', amount: '100.00', currency: 'EUR' } }, baseJournal[2].slice()],
  },
  'Ledger#journalKeysAfter': { ...onLedger, args: () => [1] },
  'Ledger#execute': { ...onLedger, args: () => [{ op: 'transfer', request: transfer() }] },
  'Ledger#executeBatch': { ...onLedger, args: () => [[{ op: 'transfer', request: transfer(), linked: true }, { op: 'void', request: { idempotencyKey: 'x2', now: 6, holdId: 'h1' } }]] },
  'Ledger#account': { ...onLedger, args: () => ['a'] },
  'Ledger#accounts': { ...onLedger, args: () => [] },
  'Ledger#holdView': { ...onLedger, args: () => ['h1'] },
  'Ledger#pendingHolds': { ...onLedger, args: () => [] },
  'Ledger#clock': { ...onLedger, args: () => [] },
  'Ledger#head': { ...onLedger, args: () => [] },
  'Ledger#counts': { ...onLedger, args: () => [] },
  'Ledger#journal': { ...onLedger, args: () => [] },
  'Ledger#journalAfter': { ...onLedger, args: () => [2] },
  'Ledger#truncateJournal': { ...onLedger, args: () => [2] },
  'Ledger#applyJournal': {
    receiver: () => s.Ledger.create(),
    state: (l) => `${hex(l.stateDigest())} ${l.head().seq}`,
    args: () => [baseJournal.map((e) => e.slice())],
  },
  'Ledger#snapshot': { ...onLedger, args: () => [SNAPSHOT_KEY.slice()] },
  'Ledger#stateDigest': { ...onLedger, args: () => [] },
  'Ledger#checkInvariants': { ...onLedger, args: () => [] },
  'Ledger#copy': { ...onLedger, args: () => [] },
  'Ledger#free': { ...onLedger, args: () => [], consumes: true },
  'Ledger#[Symbol.dispose]': { ...onLedger, args: () => [], consumes: true },

  'new LedgerStore': { args: () => [new s.MemoryStorage(), SNAPSHOT_KEY.slice(), { name: 'main', snapshotEvery: 2 }] },
  'LedgerStore#load': {
    receiver: async () => {
      const storage = new s.MemoryStorage();
      const store = new s.LedgerStore(storage, SNAPSHOT_KEY, { snapshotEvery: 2 });
      const l = await store.load();
      l.openAccount({ idempotencyKey: 'o1', now: 1, accountId: 'a', currency: 'EUR', kind: 'unrestricted' });
      await store.commit(l);
      return store;
    },
    state: (store) => store.persistedSeq,
    args: () => [],
  },
  ...Object.fromEntries(
    ['execute', 'executeBatch'].map((method) => [
      `LedgerStore#${method}`,
      {
        // A store that keeps the keys for a day, with its ledger (a committed key t0 in its index).
        receiver: async () => {
          const store = new s.LedgerStore(new s.MemoryStorage(), SNAPSHOT_KEY, { keyRetentionSeconds: 86_400 });
          store.ledger = await store.load();
          store.ledger.openAccount({ idempotencyKey: 'o1', now: 1, accountId: 'a', currency: 'EUR', kind: 'unrestricted' });
          store.ledger.openAccount({ idempotencyKey: 'o2', now: 1, accountId: 'b', currency: 'EUR', kind: 'nonNegative' });
          await store.commit(store.ledger);
          return store;
        },
        state: (store) => `${store.persistedSeq} ${hex(store.ledger.stateDigest())}`,
        argsFor: (store) => [
          store.ledger,
          method === 'execute' ? { op: 'transfer', request: transfer() } : [{ op: 'transfer', request: transfer(), linked: true }, { op: 'expireDue', request: { idempotencyKey: 'x2', now: 6 } }],
        ],
      },
    ]),
  ),
  ...Object.fromEntries(
    ['commit', 'snapshot', 'persistedSeq'].map((method) => [
      `LedgerStore#${method}`,
      {
        // The receiver carries the ledger its calls are about; `state` covers both.
        receiver: async () => {
          const store = new s.LedgerStore(new s.MemoryStorage(), SNAPSHOT_KEY);
          store.ledger = await store.load();
          store.ledger.openAccount({ idempotencyKey: 'o1', now: 1, accountId: 'a', currency: 'EUR', kind: 'unrestricted' });
          if (method === 'snapshot') await store.commit(store.ledger);
          return store;
        },
        state: (store) => `${store.persistedSeq} ${hex(store.ledger.stateDigest())}`,
        argsFor: (store) => (method === 'persistedSeq' ? [] : [store.ledger]),
      },
    ]),
  ),
};
