// System 7 demo (the lifecycle half): one transfer's timeline at provider A, quote → reserve →
// commit or abort, with fault buttons. Provider A's book is the SDK's TransferBook (every code on
// the page is the WebAssembly core's), saved in IndexedDB through TransferBookStore after every
// action. Provider B is simulated here: it draws each quote's fulfilment (32 random bytes), gives
// A the condition, and releases the fulfilment only when it credits Bob — which it does only
// before the deadline it was sent (the quote's deadline minus a 10 s margin). The page's own
// bookkeeping (clock, B's secrets and credits, the steps shown) is in localStorage.

import {
  actionRunner,
  byTestId,
  deleteDatabase,
  demoError,
  formatLocal,
  fromHex,
  loadDemoState,
  setEnabled,
  setSaveStatus,
  setText,
  showInitError,
  toHex,
} from './demo-kit.js';
const SDK_URL = '/sdk/dist/index.js';

const DB_NAME = 'countersign-transfer-demo';
const LS_STATE = 'countersign-transfer-demo:state';
const LS_SNAPSHOT_KEY = 'countersign-transfer-demo:snapshot-key';
const DEMO_STATE_VERSION = 1;
const BOOK_ID = 'providerA';
const FEE = '0.50';
const QUOTE_TTL_S = 60;
const MARGIN_S = 10;
const START = 1_800_000_000;
const SVG_NS = 'http://www.w3.org/2000/svg';

let sdk;
let store;
let book;
let demo;

const fresh = () => ({ version: DEMO_STATE_VERSION, clock: START, n: 0, current: null, secrets: {}, credited: {}, steps: [], outcome: null });

const EXPLAIN = {
  QUOTED: 'B quoted: amount, fee and deadline recorded.',
  RESERVED: 'amount and fee held together until the deadline.',
  COMMITTED: "B's fulfilment matched the condition in time: amount to B, fee to A, together.",
  ABORTED: 'both holds released.',
  LATE_FULFILMENT: 'the fulfilment came at or after the deadline: refused, both holds released.',
  FULFILMENT_MISMATCH: 'SHA-256 of the fulfilment is not the condition: refused, still reserved.',
  TRANSFER_EXPIRED: 'the deadline passed: both holds released.',
  QUOTE_EXPIRED: "the quote's deadline passed: ask for a new one.",
  QUOTE_USED: 'this quote already served a transfer: ask for a new one.',
  INSUFFICIENT_FUNDS: "Alice's available funds do not cover amount + fee: nothing held.",
  REQUEST_ID_REUSED: 'the request id was used with another body.',
};

function step(label, outcome) {
  demo.outcome = { code: outcome.code, repeated: outcome.repeated };
  demo.steps.push({ at: demo.clock, label, code: outcome.code, repeated: outcome.repeated });
}

const cur = () => demo.current;
function needCurrent(what) {
  if (cur() === null) throw demoError('NO_TRANSFER', `${what}: ask for a quote first`);
  return cur();
}

function quote() {
  const amount = byTestId('amount').value.trim();
  demo.n += 1;
  const n = demo.n;
  const t = { quoteId: `Q${n}`, transferId: `T${n}`, amount, quotedAt: demo.clock, expiresAt: demo.clock + QUOTE_TTL_S, reserveRequest: null };
  // Provider B draws the fulfilment and keeps it; A only learns the condition.
  const secret = crypto.getRandomValues(new Uint8Array(32));
  demo.secrets[t.quoteId] = toHex(secret);
  const out = book.quote({ requestId: `quote:${n}`, now: demo.clock, quoteId: t.quoteId, payerAccountId: 'alice', payeeAccountId: 'providerB', amount, fee: FEE, expiresAt: t.expiresAt });
  if (out.code === 'QUOTED') {
    demo.current = t;
    demo.steps = [];
  }
  step(`quote ${t.quoteId}: ${amount} EUR + ${FEE} fee, deadline +${QUOTE_TTL_S} s`, out);
}

function reserveRequest(t) {
  return { requestId: `reserve:${t.transferId}`, now: demo.clock, transferId: t.transferId, quoteId: t.quoteId, condition: sdk.transferCondition(fromHex(demo.secrets[t.quoteId])) };
}

function reserve() {
  const t = needCurrent('Reserve');
  step(`reserve ${t.transferId}`, book.reserve(reserveRequest(t)));
}

function retryReserve() {
  const t = needCurrent('Retry');
  step(`reserve ${t.transferId} again (same request id)`, book.reserve(reserveRequest(t)));
}

/** Provider B credits Bob (only before its own deadline) and releases the fulfilment. */
function providerFulfils(t) {
  if (demo.clock >= t.expiresAt - MARGIN_S) return null;
  demo.credited[t.transferId] = t.amount;
  return demo.secrets[t.quoteId];
}

function commit() {
  const t = needCurrent('Commit');
  const fulfilment = providerFulfils(t) ?? demo.secrets[t.quoteId];
  step(`commit ${t.transferId} with B's fulfilment`, book.commit({ requestId: `commit:${t.transferId}:${demo.clock}`, now: demo.clock, transferId: t.transferId, fulfilment }));
}

function lateFulfilment() {
  const t = needCurrent('Late fulfilment');
  demo.clock = Math.max(demo.clock, t.expiresAt);
  step(`commit ${t.transferId} at the deadline`, book.commit({ requestId: `commit:${t.transferId}:${demo.clock}`, now: demo.clock, transferId: t.transferId, fulfilment: demo.secrets[t.quoteId] }));
}

function wrongFulfilment() {
  const t = needCurrent('Wrong fulfilment');
  const wrong = toHex(crypto.getRandomValues(new Uint8Array(32)));
  step(`commit ${t.transferId} with a wrong fulfilment`, book.commit({ requestId: `commit:${t.transferId}:wrong:${demo.clock}`, now: demo.clock, transferId: t.transferId, fulfilment: wrong }));
}

function abort() {
  const t = needCurrent('Abort');
  step(`abort ${t.transferId}`, book.abort({ requestId: `abort:${t.transferId}`, now: demo.clock, transferId: t.transferId, reason: 'operator aborted' }));
}

function advance(seconds) {
  demo.clock += seconds;
}

// ---------------------------------------------------------------------------------------------

function svg(tag, attrs, text) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

function renderTimeline(t, view) {
  const chart = byTestId('timeline-chart');
  chart.replaceChildren();
  if (t === null) return;
  const from = t.quotedAt - 5;
  const to = Math.max(t.expiresAt + 15, demo.clock + 5);
  const x = (time) => 20 + ((time - from) / (to - from)) * 560;
  chart.append(svg('line', { class: 'axis', x1: 20, y1: 50, x2: 580, y2: 50 }));
  const reservedAt = demo.steps.find((s) => s.code === 'RESERVED')?.at;
  if (reservedAt !== undefined && view) {
    const end = view.state === 'reserved' ? Math.min(demo.clock, t.expiresAt) : (demo.steps.findLast((s) => ['COMMITTED', 'ABORTED', 'LATE_FULFILMENT', 'TRANSFER_EXPIRED'].includes(s.code))?.at ?? demo.clock);
    const cls = view.state === 'committed' ? 'done' : view.state === 'reserved' ? 'held' : 'released';
    chart.append(svg('rect', { class: cls, x: x(reservedAt), y: 40, width: Math.max(2, x(end) - x(reservedAt)), height: 20, 'data-testid': 'timeline-hold', 'data-state': view.state }));
  }
  chart.append(svg('line', { class: 'deadline', x1: x(t.expiresAt), y1: 20, x2: x(t.expiresAt), y2: 80 }));
  chart.append(svg('text', { x: x(t.expiresAt) + 3, y: 18 }, 'deadline'));
  chart.append(svg('line', { class: 'deadline', x1: x(t.expiresAt - MARGIN_S), y1: 30, x2: x(t.expiresAt - MARGIN_S), y2: 70, opacity: 0.5 }));
  chart.append(svg('text', { x: x(t.expiresAt - MARGIN_S) - 60, y: 86 }, "B's deadline"));
  chart.append(svg('line', { class: 'now', x1: x(demo.clock), y1: 35, x2: x(demo.clock), y2: 65 }));
  chart.append(svg('text', { x: x(demo.clock) + 3, y: 34 }, 'now'));
  for (const s of demo.steps) chart.append(svg('circle', { cx: x(s.at), cy: 50, r: 4 }));
}

function render() {
  setText('clock-local', formatLocal(demo.clock));
  const t = cur();
  const view = t ? book.transfer(t.transferId) : undefined;
  setText('transfer-id', t ? t.transferId : '—');
  setText('transfer-state', view ? view.state : t ? 'quoted' : '—');
  const o = demo.outcome;
  setText('outcome-code', o ? `${o.code}${o.repeated ? ' (repeated)' : ''}` : '—');
  setText('outcome-explain', o ? (EXPLAIN[o.code] ?? '') : '');
  const alice = book.account('alice');
  setText('alice-balance', alice.balance);
  setText('alice-available', alice.available);
  setText('provider-balance', book.account('providerB').balance);
  setText('fees-balance', book.account('fees').balance);
  const credited = Object.values(demo.credited).reduce((sum, a) => sum + Math.round(Number(a) * 100), 0); // display only: whole cents of the page's own record
  setText('bob-credited', `${Math.floor(credited / 100)}.${String(credited % 100).padStart(2, '0')}`);
  const list = byTestId('steps');
  list.replaceChildren(...demo.steps.map((s) => {
    const li = document.createElement('li');
    li.dataset.testid = 'step';
    li.textContent = `+${s.at - (t?.quotedAt ?? s.at)} s — ${s.label}: ${s.code}${s.repeated ? ' (repeated)' : ''}`;
    return li;
  }));
  renderTimeline(t, view);
  const live = view?.state === 'reserved';
  setEnabled('reserve', t !== null && view === undefined);
  setEnabled('commit', live);
  setEnabled('abort', live);
  setEnabled('fault-late', live);
  setEnabled('fault-wrong', live);
  setEnabled('fault-retry', t !== null && view !== undefined);
}

async function restore() {
  demo = loadDemoState(LS_STATE, DEMO_STATE_VERSION, fresh);
  let keyHex = localStorage.getItem(LS_SNAPSHOT_KEY);
  if (keyHex === null) {
    keyHex = toHex(crypto.getRandomValues(new Uint8Array(32)));
    localStorage.setItem(LS_SNAPSHOT_KEY, keyHex);
  }
  store = new sdk.TransferBookStore(new sdk.IndexedDbStorage(DB_NAME), fromHex(keyHex));
  book = await store.load(BOOK_ID);
  if (book === null) {
    demo = fresh();
    book = sdk.TransferBook.create({ bookId: BOOK_ID, currency: 'EUR', now: demo.clock });
    book.openAccount({ requestId: 'open:alice', now: demo.clock, accountId: 'alice' });
    book.openAccount({ requestId: 'open:providerB', now: demo.clock, accountId: 'providerB' });
    book.fund({ requestId: 'fund:alice', now: demo.clock, accountId: 'alice', amount: '100' });
    setText('restore-status', 'new book: Alice has 100.00 EUR');
    await save();
  } else {
    setText('restore-status', `restored from IndexedDB (revision ${book.freshness().revision})`);
  }
}

async function save() {
  localStorage.setItem(LS_STATE, JSON.stringify(demo));
  if (!(await store.save(book))) throw demoError('STORAGE_CONFLICT', 'another tab changed the book: reload the page');
  setSaveStatus('saved', `saved (revision ${book.freshness().revision})`);
}

async function resetDemo() {
  book?.free();
  book = null;
  localStorage.removeItem(LS_STATE);
  localStorage.removeItem(LS_SNAPSHOT_KEY);
  await deleteDatabase(DB_NAME);
  await restore();
}

async function main() {
  try {
    sdk = await import(SDK_URL);
    // The part of System 7 this page uses, not the whole: its own module, without the resolver
    // and the format adapters (docs/transfer.md#size).
    await sdk.init({ systems: ['transfer.lifecycle'] });
  } catch (err) {
    showInitError(err);
    return;
  }
  const { action, bind } = actionRunner({ render, afterEach: save });
  const OUTCOME = ['outcome-code', 'outcome-explain'];
  bind('quote', quote, { outcome: OUTCOME, fields: { amount: 'amount', 'request.amount': 'amount' } });
  bind('reserve', reserve, { outcome: OUTCOME });
  bind('commit', commit, { outcome: OUTCOME });
  bind('abort', abort, { outcome: OUTCOME });
  bind('fault-late', lateFulfilment, { outcome: OUTCOME });
  bind('fault-wrong', wrongFulfilment, { outcome: OUTCOME });
  bind('fault-retry', retryReserve, { outcome: OUTCOME });
  bind('advance-10', () => advance(10));
  bind('advance-60', () => advance(60));
  bind('reset-demo', resetDemo);
  action(async () => {
    try {
      await restore();
    } finally {
      const status = byTestId('sdk-status');
      status.dataset.state = 'ready';
      status.textContent = 'ready';
    }
  })();
}

main();
