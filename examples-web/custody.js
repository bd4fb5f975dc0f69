// System 8 demo: the custody back-office. Three clients with a transfer wallet each; deposits with confirmations, sweeps, a trade, a withdrawal waiting for two of three
// approvals, signing. Every decision is the countersign WebAssembly core's (CustodyBook through
// the SDK); the page shows the outcome codes, the balances, the withdrawals with their approvals,
// and a reconciliation gauge per asset (the omnibus's observed balance against what the
// sub-ledger says it must hold). The book is kept in IndexedDB (CustodyBookStore: the
// configuration and the event log, authenticated); the simulated clock and the keys in localStorage.
// The page loads the book's API part alone (`custody.book`, the module within 200 KB): a key
// holder derives the transfer wallets from the master seed with `custodyTransferWallet`
// (`custody.keys`, BIP-32), which a back office does not run, so the page stands in for the key
// holder with one random wallet key per client, as it does for the omnibus.

import { actionRunner, byTestId, deleteDatabase, fromHex, loadDemoState, setEnabled, setSaveStatus, setText, showInitError, toHex } from './demo-kit.js';

const SDK_URL = '/sdk/dist/index.js';
const LS_STATE = 'countersign-custody-demo:state';
const DB_NAME = 'countersign-custody-demo';
const DEMO_STATE_VERSION = 2; // 2: wallet keys per client instead of a master seed
const CLIENTS = ['alice', 'bob', 'carol'];
const DESTINATION = '0xaF9633F2de0F4963B04cCA79Cc08F5b14cAC65bE';

let sdk;
let store;
let book = null;
let demo = null;
let last = null; // the last outcome shown (derived; not stored)

function fresh() {
  const random = (n) => toHex(crypto.getRandomValues(new Uint8Array(n)));
  return { version: DEMO_STATE_VERSION, clock: 1_800_000_000, wallets: CLIENTS.map(() => random(32)), omnibusKey: random(32), approvers: [random(32), random(32), random(32)], snapshotKey: random(32), n: 0 };
}
const saveDemo = () => localStorage.setItem(LS_STATE, JSON.stringify(demo));
const tick = () => (demo.clock += 60);
const addressOfKey = (secret) => sdk.custodyAddressOf(sdk.secp256k1PublicKey(secret, { compressed: true }));
const wallets = new Map(); // index -> {secretKey, address}: the address computed once per page load
const wallet = (i) => {
  if (!wallets.has(i)) {
    const secretKey = fromHex(demo.wallets[i]);
    wallets.set(i, { secretKey, address: addressOfKey(secretKey) });
  }
  return wallets.get(i);
};
const id = (prefix) => `${prefix}-${(demo.n += 1)}`;

function config() {
  return {
    assets: [
      { asset: 'BTC', confirmations: 3, sweepThreshold: '0.001', clientLimits: [{ id: 'btc-day', measure: 'amount', currency: 'BTC', window: { kind: 'trailing', seconds: 86_400 }, hard: '1' }], assetLimits: [] },
      { asset: 'USDC', confirmations: 1, sweepThreshold: '50', clientLimits: [], assetLimits: [] },
    ],
    omnibusAddress: addressOfKey(fromHex(demo.omnibusKey)),
    approvers: demo.approvers.map((secret, i) => ({ approverId: `approver-${i + 1}`, publicKey: sdk.ed25519PublicKey(fromHex(secret)) })),
    quorum: 2,
    coolingOffS: 0,
  };
}

function newBook() {
  const b = sdk.CustodyBook.create(config());
  CLIENTS.forEach((clientId, i) => b.registerClient({ clientId, address: wallet(i).address, now: demo.clock }));
  b.addDestination({ clientId: 'alice', address: DESTINATION, now: demo.clock });
  for (const asset of ['BTC', 'USDC']) b.observeOmnibus({ asset, balance: '0', now: demo.clock });
  return b;
}

/** The chain as the page simulates it: what the omnibus holds on chain (set by "observe"). */
function show(outcome) {
  last = outcome;
}

const actions = {
  depositAlice: () => show(book.observeDeposit({ depositId: 'alice-btc-1', address: wallet(0).address, asset: 'BTC', amount: '0.5', confirmations: 0, now: tick() })),
  confirmDeposit: () => show(book.observeDeposit({ depositId: 'alice-btc-1', address: wallet(0).address, asset: 'BTC', amount: '0.5', confirmations: 3, now: tick() })),
  depositBob: () => show(book.observeDeposit({ depositId: id('bob-usdc'), address: wallet(1).address, asset: 'USDC', amount: 10_000_000_000n, confirmations: 1, now: tick() })),
  sweep: () => {
    const now = tick();
    for (const [i, clientId] of CLIENTS.entries()) {
      for (const asset of ['BTC', 'USDC']) {
        if (book.walletBalance(clientId, asset) === undefined || /^0\.0*$/.test(book.walletBalance(clientId, asset))) continue;
        show(book.sweep({ sweepId: id(`sweep-${i}`), clientId, asset, networkFee: asset === 'BTC' ? '0.0001' : '1', now }));
      }
    }
  },
  trade: () => show(book.trade({ tradeId: id('trade'), buyerId: 'bob', sellerId: 'alice', baseAsset: 'BTC', baseAmount: '0.1', quoteAsset: 'USDC', quoteAmount: '6000', fee: '6', now: tick() })),
  observe: () => {
    const now = tick();
    for (const asset of ['BTC', 'USDC']) show(book.observeOmnibus({ asset, balance: book.expectedOmnibus(asset), now }));
  },
  leak: () => {
    const expected = book.expectedOmnibus('BTC');
    const lower = sdk.Amount.parse(expected, 'BTC').sub(sdk.Amount.parse('0.01', 'BTC'));
    show(book.observeOmnibus({ asset: 'BTC', balance: lower.toString(), now: tick() }));
  },
  requestWithdrawal: () => show(book.requestWithdrawal({ withdrawalId: id('w'), clientId: 'alice', asset: 'BTC', amount: '0.1', networkFee: '0.0002', destination: DESTINATION, now: tick() })),
  approve: (i) => {
    const w = book.pendingWithdrawals(1)[0];
    if (w === undefined) throw Object.assign(new Error('no withdrawal is waiting for approvals'), { code: 'NOTHING_TO_APPROVE' });
    const envelope = sdk.sealCustodyApproval({ approverId: `approver-${i + 1}`, secretKey: fromHex(demo.approvers[i]), digest: w.digest, seq: demo.clock, issuedAt: demo.clock, expiresAt: demo.clock + 3600 });
    show(book.approve({ withdrawalId: w.withdrawalId, envelope, now: tick() }));
  },
  sign: () => {
    const w = book.pendingWithdrawals(1)[0];
    if (w === undefined) throw Object.assign(new Error('no withdrawal is waiting to be signed'), { code: 'NOTHING_TO_SIGN' });
    const key = wallet(book.clientIndex(w.clientId));
    const signed = book.signWithdrawal(w.withdrawalId, tick(), { omnibusKey: fromHex(demo.omnibusKey), walletKey: key.secretKey });
    show(signed.outcome);
    setText('signature', signed.signatures.length === 0 ? '' : `leg 1 r‖s ${toHex(signed.signatures[0])}`);
  },
};

function render() {
  setText('clock', new Date(demo.clock * 1000).toISOString().replace('.000Z', 'Z'));
  const rows = CLIENTS.map((clientId, i) => `<tr data-testid="client-${clientId}"><td>${clientId}</td><td class="mono">${wallet(i).address.slice(0, 10)}…</td>${['BTC', 'USDC'].map((a) => `<td class="num" data-testid="${clientId}-${a}-trading">${book.tradingBalance(clientId, a)}</td><td class="num">${book.walletBalance(clientId, a)}</td>`).join('')}</tr>`);
  byTestId('clients').innerHTML = rows.join('');
  const report = book.discrepancies().filter((d) => d.clientId === null);
  byTestId('gauges').innerHTML = ['BTC', 'USDC'].map((asset) => {
    const expected = book.expectedOmnibus(asset);
    const d = report.find((x) => x.asset === asset);
    const observed = d === undefined ? expected : d.observed;
    const ratio = Number(expected) === 0 ? 1 : Number(observed) / Number(expected); // display only
    const state = d === undefined ? 'reconciled' : `off by ${d.difference} since event ${d.sinceEvent}`;
    return `<div class="gauge" data-testid="gauge-${asset}" data-state="${d === undefined ? 'ok' : 'discrepancy'}"><strong>${asset}</strong>: omnibus on chain ${observed}, sub-ledger says ${expected} — <span data-testid="gauge-${asset}-state">${state}</span><meter min="0" max="1.2" low="0.999" optimum="1" value="${Math.min(ratio, 1.2)}"></meter></div>`;
  }).join('');
  const ws = book.pendingWithdrawals();
  byTestId('withdrawals').innerHTML = ws.map((w) => `<tr data-testid="withdrawal-${w.withdrawalId}"><td>${w.withdrawalId}</td><td>${w.clientId}</td><td class="num">${w.amount} ${w.asset}</td><td>${w.state}</td><td data-testid="approvals-${w.withdrawalId}">${w.approvals.length} of 2</td></tr>`).join('');
  setText('outcome-code', last?.code ?? '—');
  setText('outcome-detail', last === null ? '' : last.approvals !== null ? `${last.approvals} live approvals` : last.ledgerCode ?? '');
  for (const i of [0, 1, 2]) setEnabled(`approve-${i}`, ws.length > 0);
  setEnabled('sign', ws.length > 0);
}

async function persist() {
  saveDemo();
  setSaveStatus('saving', 'saving…');
  const ok = await store.save('main', book);
  setSaveStatus(ok ? 'saved' : 'conflict', ok ? `saved (${book.eventCount} events)` : 'another tab changed the book: reload');
}

async function resetDemo() {
  book?.free();
  book = null;
  localStorage.removeItem(LS_STATE);
  await deleteDatabase(DB_NAME);
  window.location.reload();
}

async function main() {
  try {
    sdk = await import(SDK_URL);
    await sdk.init({ systems: ['custody.book'] });
    demo = loadDemoState(LS_STATE, DEMO_STATE_VERSION, fresh);
    store = new sdk.CustodyBookStore(new sdk.IndexedDbStorage(DB_NAME), fromHex(demo.snapshotKey));
    book = await store.load('main');
    setText('restore-status', book === null ? 'new book' : `restored ${book.eventCount} events from IndexedDB`);
    if (book === null) {
      book = newBook();
      await persist();
    }
    const status = byTestId('sdk-status');
    status.dataset.state = 'ready';
    status.textContent = 'ready';
  } catch (err) {
    showInitError(err);
    return;
  }
  const { bind } = actionRunner({ render, afterEach: persist });
  bind('deposit-alice', actions.depositAlice);
  bind('confirm-deposit', actions.confirmDeposit);
  bind('deposit-bob', actions.depositBob);
  bind('sweep', actions.sweep);
  bind('trade', actions.trade);
  bind('observe', actions.observe);
  bind('leak', actions.leak);
  bind('request-withdrawal', actions.requestWithdrawal);
  for (const i of [0, 1, 2]) bind(`approve-${i}`, () => actions.approve(i));
  bind('sign', actions.sign);
  byTestId('reset-demo').addEventListener('click', resetDemo);
  render();
}

main();
