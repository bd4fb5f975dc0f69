// Hostile-input targets: System 7's transfer lifecycle (TransferBook, TransferBookStore,
// transferCondition).
import * as s from '@countersign/sdk';

const hex = (b) => Buffer.from(b).toString('hex');
const KEY = new Uint8Array(32).fill(9);
const T0 = 1_800_000_000;
const FULFIL = hex(new Uint8Array(32).fill(7));
const CONDITION = hex(s.sha256(new Uint8Array(32).fill(7)));
const config = () => ({ bookId: 'A', currency: 'EUR', now: T0 });
const quote = (n) => ({ requestId: `q${n}`, now: T0, quoteId: `Q${n}`, payerAccountId: 'alice', payeeAccountId: 'bee', amount: '10', fee: '0.50', expiresAt: T0 + 60 });

/** A funded book with one quote (Q2) free and one transfer (T1) reserved. */
function book() {
  const b = s.TransferBook.create(config());
  b.openAccount({ requestId: 'o1', now: T0, accountId: 'alice' });
  b.openAccount({ requestId: 'o2', now: T0, accountId: 'bee' });
  b.fund({ requestId: 'f1', now: T0, accountId: 'alice', amount: '100' });
  b.quote(quote(1));
  b.quote(quote(2));
  b.reserve({ requestId: 'r1', now: T0, transferId: 'T1', quoteId: 'Q1', condition: CONDITION });
  return b;
}
const base = book();
const baseSnapshot = base.snapshot(KEY);
base.free();

const onBook = { receiver: book, state: (b) => hex(b.snapshot(KEY)) };

const stores = new WeakMap(); // store -> { storage, book }
async function store() {
  const storage = new s.MemoryStorage();
  const st = new s.TransferBookStore(storage, KEY);
  const b = book();
  await st.save(b);
  b.commit({ requestId: 'c1', now: T0 + 1, transferId: 'T1', fulfilment: FULFIL });
  stores.set(st, { storage, book: b });
  return st;
}
async function storeState(st) {
  const { storage, book: b } = stores.get(st);
  const stored = await storage.get('transfer-book/A');
  return `${stored === null ? 'none' : `${stored.version} ${hex(stored.value)}`} ${hex(b.snapshot(KEY))}`;
}

export const targets = {
  transferCondition: { args: () => [new Uint8Array(32).fill(7)] },
  'new TransferBook': { args: () => [] }, // private: always refused
  'TransferBook.create': { args: () => [config()] },
  'TransferBook.restore': { args: () => [baseSnapshot.slice(), KEY.slice()] },
  'TransferBook#openAccount': { ...onBook, args: () => [{ requestId: 'o3', now: T0, accountId: 'carol' }] },
  'TransferBook#fund': { ...onBook, args: () => [{ requestId: 'f2', now: T0, accountId: 'alice', amount: '1.25' }] },
  'TransferBook#quote': { ...onBook, args: () => [quote(3)] },
  'TransferBook#reserve': { ...onBook, args: () => [{ requestId: 'r2', now: T0, transferId: 'T2', quoteId: 'Q2', condition: CONDITION }] },
  'TransferBook#commit': { ...onBook, args: () => [{ requestId: 'c1', now: T0 + 1, transferId: 'T1', fulfilment: FULFIL }] },
  'TransferBook#abort': { ...onBook, args: () => [{ requestId: 'a1', now: T0 + 1, transferId: 'T1', reason: 'declined' }] },
  'TransferBook#expireDue': { ...onBook, args: () => [{ requestId: 'x1', now: T0 + 3600 }] },
  'TransferBook#execute': { ...onBook, args: () => [{ op: 'commit', request: { requestId: 'c1', now: T0 + 1, transferId: 'T1', fulfilment: FULFIL } }] },
  'TransferBook#account': { ...onBook, args: () => ['alice'] },
  'TransferBook#quoteView': { ...onBook, args: () => ['Q1'] },
  'TransferBook#transfer': { ...onBook, args: () => ['T1'] },
  'TransferBook#transferIds': { ...onBook, args: () => [] },
  'TransferBook#checkInvariants': { ...onBook, args: () => [] },
  'TransferBook#snapshot': { ...onBook, args: () => [KEY.slice()] },
  'TransferBook#freshness': { ...onBook, args: () => [] },
  'TransferBook#bookId': { ...onBook, args: () => [] },
  'TransferBook#currency': { ...onBook, args: () => [] },
  'TransferBook#free': { ...onBook, args: () => [], consumes: true },
  'TransferBook#[Symbol.dispose]': { ...onBook, args: () => [], consumes: true },

  'new TransferBookStore': { args: () => [new s.MemoryStorage(), KEY.slice(), { prefix: 'books/' }] },
  'TransferBookStore#load': { receiver: store, state: storeState, args: () => ['A'] },
  'TransferBookStore#save': { receiver: store, state: storeState, argsFor: (st) => [stores.get(st).book] },
};

// The router (Node entry): no callback server (no socket held open), a provider on a closed
// loopback port (every call refused at once), a fixed clock.
const routerOptions = () => ({
  storage: new s.MemoryStorage(),
  snapshotKey: KEY.slice(),
  bookId: 'A',
  currency: 'EUR',
  signingKey: { keyId: 'router', secretKey: new Uint8Array(32).fill(5) },
  providers: { b: { url: 'http://127.0.0.1:9', format: 'pain.001.001.09', keys: [{ keyId: 'b', algorithm: 'EdDSA', publicKey: s.ed25519PublicKey(new Uint8Array(32).fill(6)) }] } },
  fee: '0.50',
  retryPauseMs: 0,
  requestTimeoutMs: 200,
  callbacks: false,
  clock: () => T0,
});
async function router() {
  const r = await s.TransferRouter.start(routerOptions());
  await r.openAccount('alice');
  await r.fund('f1', 'alice', '100');
  return r;
}
const onRouter = { receiver: router, state: (r) => hex(r.book.snapshot(KEY)) };
Object.assign(targets, {
  'new TransferRouter': { args: () => [] }, // private: always refused
  'TransferRouter.start': { args: () => [routerOptions()] },
  'TransferRouter#openAccount': { ...onRouter, args: () => ['carol'] },
  'TransferRouter#fund': { ...onRouter, args: () => ['f2', 'alice', '1.50'] },
  'TransferRouter#transfer': { ...onRouter, args: () => [{ transferId: 'T9', payerAccountId: 'alice', providerId: 'b', payeeAccount: 'bob', amount: '1' }] },
  'TransferRouter#recover': { ...onRouter, args: () => [] },
  'TransferRouter#rejections': { ...onRouter, args: () => [] },
  'TransferRouter#route': { ...onRouter, args: () => ['T9'] },
  'TransferRouter#publicKey': { ...onRouter, args: () => [] },
  'TransferRouter#close': { ...onRouter, args: () => [], consumes: true },
  'TransferRouter#port': { ...onRouter, args: () => [] },
  'TransferRouter#book': { ...onRouter, args: () => [] },
});
