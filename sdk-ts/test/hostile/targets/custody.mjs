// Hostile-input targets: System 8's back-office book (CustodyBook, CustodyBookStore, the
// approver's sealCustodyApproval, the key holder's custodyTransferWallet / custodyAddressOf).
import * as s from '@countersign/sdk';

const hex = (b) => Buffer.from(b).toString('hex');
const KEY = new Uint8Array(32).fill(9);
const T0 = 1_800_000_000;
const SEED = Uint8Array.from({ length: 32 }, (_, i) => i);
const OMNIBUS_KEY = new Uint8Array(32).fill(3);
const OMNIBUS = s.custodyAddressOf(s.secp256k1PublicKey(OMNIBUS_KEY, { compressed: true }));
const APPROVER_KEY = new Uint8Array(32).fill(0x40);
const ALICE = s.custodyTransferWallet(SEED, 0);
const BOB = s.custodyTransferWallet(SEED, 1);
const DEST = '0xaF9633F2de0F4963B04cCA79Cc08F5b14cAC65bE';
const config = () => ({
  assets: [
    { asset: 'BTC', confirmations: 2, sweepThreshold: '0.001', clientLimits: [], assetLimits: [] },
    { asset: 'USDC', confirmations: 1, sweepThreshold: '10', clientLimits: [], assetLimits: [] },
  ],
  omnibusAddress: OMNIBUS,
  approvers: [{ approverId: 'a0', publicKey: s.ed25519PublicKey(APPROVER_KEY) }],
  quorum: 1,
  coolingOffS: 0,
});

/** Alice and Bob funded with BTC; withdrawal w1 waiting for its approval. */
function book() {
  const b = s.CustodyBook.create(config());
  b.registerClient({ clientId: 'alice', address: ALICE.address, now: T0 });
  b.registerClient({ clientId: 'bob', address: BOB.address, now: T0 });
  b.observeDeposit({ depositId: 'd1', address: ALICE.address, asset: 'BTC', amount: '1', confirmations: 2, now: T0 });
  b.sweep({ sweepId: 's1', clientId: 'alice', asset: 'BTC', networkFee: '0.0001', now: T0 });
  b.addDestination({ clientId: 'alice', address: DEST, now: T0 });
  b.requestWithdrawal({ withdrawalId: 'w1', clientId: 'alice', asset: 'BTC', amount: '0.1', networkFee: '0.0001', destination: DEST, now: T0 });
  return b;
}
const base = book();
const baseSnapshot = base.snapshot(KEY);
const DIGEST = base.withdrawal('w1').digest;
base.free();
const approval = () => s.sealCustodyApproval({ approverId: 'a0', secretKey: APPROVER_KEY.slice(), digest: DIGEST, seq: 1, issuedAt: T0, expiresAt: T0 + 600 });
const APPROVAL = approval();

const onBook = { receiver: book, state: (b) => hex(b.snapshot(KEY)) };
function approvedBook() {
  const b = book();
  b.approve({ withdrawalId: 'w1', envelope: APPROVAL.slice(), now: T0 });
  return b;
}

const stores = new WeakMap(); // store -> { storage, book }
async function store() {
  const storage = new s.MemoryStorage();
  const st = new s.CustodyBookStore(storage, KEY);
  const b = book();
  await st.save('main', b);
  b.transfer({ transferId: 't1', fromClientId: 'alice', toClientId: 'bob', asset: 'BTC', amount: '0.01', now: T0 });
  stores.set(st, { storage, book: b });
  return st;
}
async function storeState(st) {
  const { storage, book: b } = stores.get(st);
  const stored = await storage.get('custody-book/main');
  return `${stored === null ? 'none' : `${stored.version} ${hex(stored.value)}`} ${hex(b.snapshot(KEY))}`;
}

export const targets = {
  sealCustodyApproval: { args: () => [{ approverId: 'a0', secretKey: APPROVER_KEY.slice(), digest: DIGEST, seq: 2, issuedAt: T0, expiresAt: T0 + 60 }] },
  custodyTransferWallet: { args: () => [SEED.slice(), 7] },
  custodyAddressOf: { args: () => [ALICE.publicKey.slice()] },
  'new CustodyBook': { args: () => [] }, // private: always refused
  'CustodyBook.create': { args: () => [config()] },
  'CustodyBook.restore': { args: () => [baseSnapshot.slice(), KEY.slice()] },
  'CustodyBook#registerClient': { ...onBook, args: () => [{ clientId: 'carol', address: s.custodyTransferWallet(SEED, 2).address, now: T0 }] },
  'CustodyBook#observeDeposit': { ...onBook, args: () => [{ depositId: 'd2', address: BOB.address, asset: 'USDC', amount: 25n * 1_000_000n, confirmations: 1, now: T0 }] },
  'CustodyBook#releaseQuarantine': { ...onBook, args: () => [{ depositId: 'd1', clientId: 'bob', now: T0 }] },
  'CustodyBook#sweep': { ...onBook, args: () => [{ sweepId: 's2', clientId: 'bob', asset: 'BTC', networkFee: '0', now: T0 }] },
  'CustodyBook#transfer': { ...onBook, args: () => [{ transferId: 't1', fromClientId: 'alice', toClientId: 'bob', asset: 'BTC', amount: '0.25', now: T0 }] },
  'CustodyBook#trade': { ...onBook, args: () => [{ tradeId: 'x1', buyerId: 'bob', sellerId: 'alice', baseAsset: 'BTC', baseAmount: '0.1', quoteAsset: 'USDC', quoteAmount: '0', fee: '0', now: T0 }] },
  'CustodyBook#observeOmnibus': { ...onBook, args: () => [{ asset: 'BTC', balance: '0.8', now: T0 }] },
  'CustodyBook#observeWallet': { ...onBook, args: () => [{ clientId: 'alice', asset: 'BTC', balance: '0', now: T0 }] },
  'CustodyBook#addDestination': { ...onBook, args: () => [{ clientId: 'bob', address: DEST, now: T0 }] },
  'CustodyBook#requestWithdrawal': { ...onBook, args: () => [{ withdrawalId: 'w2', clientId: 'alice', asset: 'BTC', amount: 1_000_000n, networkFee: 100n, destination: DEST, now: T0 }] },
  'CustodyBook#approve': { ...onBook, args: () => [{ withdrawalId: 'w1', envelope: APPROVAL.slice(), now: T0 }] },
  'CustodyBook#confirmWithdrawal': { ...onBook, args: () => [{ withdrawalId: 'w1', now: T0 }] },
  'CustodyBook#cancelWithdrawal': { ...onBook, args: () => [{ withdrawalId: 'w1', now: T0 }] },
  'CustodyBook#apply': { ...onBook, args: () => [{ kind: 'observeOmnibus', asset: 'USDC', balance: '0', now: T0 }] },
  'CustodyBook#signWithdrawal': { receiver: approvedBook, state: onBook.state, args: () => ['w1', T0, { omnibusKey: OMNIBUS_KEY.slice(), walletKey: ALICE.secretKey.slice() }] },
  'CustodyBook#clientIndex': { ...onBook, args: () => ['bob'] },
  'CustodyBook#tradingBalance': { ...onBook, args: () => ['alice', 'BTC'] },
  'CustodyBook#walletBalance': { ...onBook, args: () => ['alice', 'BTC'] },
  'CustodyBook#expectedOmnibus': { ...onBook, args: () => ['BTC'] },
  'CustodyBook#clientBalances': { ...onBook, args: () => ['BTC'] },
  'CustodyBook#discrepancies': { ...onBook, args: () => [] },
  'CustodyBook#withdrawal': { ...onBook, args: () => ['w1'] },
  'CustodyBook#pendingWithdrawals': { ...onBook, args: () => [10] },
  'CustodyBook#config': { ...onBook, args: () => [] },
  'CustodyBook#eventCount': { ...onBook, args: () => [] },
  'CustodyBook#checkInvariants': { ...onBook, args: () => [] },
  'CustodyBook#snapshot': { ...onBook, args: () => [KEY.slice()] },
  'CustodyBook#freshness': { ...onBook, args: () => [] },
  'CustodyBook#free': { ...onBook, args: () => [], consumes: true },
  'CustodyBook#[Symbol.dispose]': { ...onBook, args: () => [], consumes: true },

  'new CustodyBookStore': { args: () => [new s.MemoryStorage(), KEY.slice(), { prefix: 'books/', snapshotEvery: 3 }] },
  'CustodyBookStore#load': { receiver: store, state: storeState, args: () => ['main'] },
  'CustodyBookStore#save': { receiver: store, state: storeState, argsFor: (st) => ['main', stores.get(st).book] },
};

// The back-office server (Node entry): not listening (no socket held open), a fixed clock.
const serverOptions = () => ({ storage: new s.MemoryStorage(), snapshotKey: KEY.slice(), config: config(), omnibusKey: OMNIBUS_KEY.slice(), seed: SEED.slice(), clock: () => T0 * 1000, listen: false });
const onServer = { receiver: () => s.CustodyHttpServer.start(serverOptions()), state: (srv) => String(srv.book.eventCount) };
Object.assign(targets, {
  'new CustodyHttpServer': { args: () => [] }, // private: always refused
  'CustodyHttpServer.start': { args: () => [serverOptions()] },
  'CustodyHttpServer#url': { ...onServer, args: () => [] },
  'CustodyHttpServer#book': { ...onServer, args: () => [] },
  'CustodyHttpServer#close': { ...onServer, args: () => [], consumes: true },
});
