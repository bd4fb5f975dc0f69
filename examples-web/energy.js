// System 3 demo: pre-authorised energy purchase (refuelling, EV charging).
//
// Two roles share this page: the e-money server (EnergyServer: the wallet on its ledger, holds,
// capture, release, expiry, signed answers) and the pump (EnergyTerminal: orders, the limit
// derived from the hold, meter readings, the receipt). They only exchange signed envelopes (the
// bytes a network would carry). Every rule is decided by the countersign WebAssembly core through
// the SDK; this file reads the forms, runs a simulated meter and clock, and keeps the demo across
// reloads:
//
//   * both roles: IndexedDB, through EnergyStore (authenticated snapshots, compare-and-swap);
//   * the demo's bookkeeping (key pairs, simulated clock, current order, event log): localStorage.

import {
  actionRunner,
  byTestId,
  deleteDatabase,
  demoError,
  fieldError,
  formatLocal,
  fromHex,
  loadDemoState,
  renderLog,
  setEnabled,
  setSaveStatus,
  setText,
  showInitError,
  toHex,
  value,
} from './demo-kit.js';
const SDK_URL = '/sdk/dist/index.js';

const DB_NAME = 'countersign-energy-demo';
const LS_STATE = 'countersign-energy-demo:state';
const LS_SNAPSHOT_KEY = 'countersign-energy-demo:snapshot-key';
const DEMO_STATE_VERSION = 1;

const CURRENCY = 'EUR';
const WALLET = 'alice';
const STATION = 'station-1';
const SERVER_KEY_ID = 'emoney-1';
const TERMINAL_KEY_ID = 'pump-1';
const SERVER_NAME = 'main';
const HOLD_DURATION_S = 900;
const EXTEND_S = 900;
const EXPIRE_JUMP_S = 1200;
const MINUTE_S = 60;
// The simulated meter: 0.50 L per tick, 10 s of simulated time per tick, a short pause per tick so
// the eye can follow it (the page's state never depends on that pause).
const TICK_CENTILITRES = 50;
const TICK_S = 10;
const TICK_PAUSE_MS = 25;
const TICKS_MAX = 400;
const LOG_ENTRIES_MAX = 60;
const SNAPSHOT_KEY_BYTES = 32;

// ---------------------------------------------------------------------------------------------
// Small helpers

/** A quantity in litres with at most 2 decimals ("10.5") as whole centilitres (exact integers). */
function centilitres(text, param, field) {
  const match = /^(0|[1-9][0-9]{0,6})(?:\.([0-9]{1,2}))?$/.exec(text);
  if (!match) {
    const why = text === '' ? 'is empty: enter litres, like 10.00' : `must be litres with at most 2 decimals, like 10.00, not “${text}”`;
    if (field) throw fieldError(field, why);
    throw demoError('INVALID_ARGUMENT', `${param} ${why}`);
  }
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

const litres = (cl) => `${Math.floor(cl / 100)}.${String(cl % 100).padStart(2, '0')}`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Outcome codes in words

const EXPLANATIONS = {
  HELD: 'The balance covers the maximum: the server holds all of it.',
  HELD_AVAILABLE: 'The balance is below the maximum: the server holds what is available.',
  MAXIMUM_LOWERED: 'The balance is below the maximum: the server holds the available balance rounded down to the step.',
  BALANCE_BELOW_MAXIMUM: 'The balance is below the maximum and the policy is decline: nothing is held, the pump stays locked.',
  BELOW_MINIMUM: 'What the policy would hold is below the minimum: declined.',
  HOLD_TOO_SMALL: 'The hold would not pay for a single step of the meter: declined.',
  TARIFF_CHANGED: 'The new price is recorded from the litres delivered so far; the hold grew by the increment the pump asked for.',
  INCREMENT_DECLINED: 'The new price is recorded, but the wallet cannot fund the increment: the pump limit shrinks.',
  EXTENDED: 'The hold runs longer.',
  DEADLINE_INVALID: 'The new deadline is not later, or too far away: refused.',
  HOLD_EXPIRED: 'The hold expired: its money went back to the wallet, and the pump stopped.',
  COMPLETED: 'The actual cost was captured from the hold; the rest went back to the wallet.',
  COMPLETED_NOTHING_DELIVERED: 'Nothing was delivered: the whole hold went back to the wallet.',
  COMPLETED_CAPPED: 'The cost exceeded the hold: the whole hold was captured.',
  LATE_COMPLETION_REJECTED: 'The completion came after the hold expired; the server\'s policy is to charge nothing.',
  LATE_CHARGED: 'The completion came after the hold expired; the server charged the cost as a new payment.',
  LATE_CHARGE_DECLINED: 'The completion came after the hold expired, and the wallet cannot pay the cost now: nothing charged.',
  READING_ACCEPTED: 'The meter reading was accepted.',
  LIMIT_REACHED: 'The meter reached the limit the hold pays for: the pump stopped.',
  NOT_AUTHORISED: 'The pump is not authorised to deliver now.',
  REQUEST_PENDING: 'The pump is waiting for the server\'s answer.',
  ORDER_ID_CONFLICT: 'This order id was already used.',
};

const explain = (code) => EXPLANATIONS[code] ?? '';
const GOOD = new Set(['HELD', 'HELD_AVAILABLE', 'MAXIMUM_LOWERED', 'TARIFF_CHANGED', 'EXTENDED', 'COMPLETED', 'COMPLETED_NOTHING_DELIVERED', 'LATE_CHARGED', 'READING_ACCEPTED', 'LIMIT_REACHED', 'ORDER_SENT', 'REQUEST_SENT', 'TRANSFERRED']);
// Outcomes that are neither a success nor a refusal: the rules doing their job.
const NOTICE = new Set(['HOLD_EXPIRED', 'INCREMENT_DECLINED', 'LATE_COMPLETION_REJECTED', 'LATE_CHARGE_DECLINED', 'COMPLETED_CAPPED']);
/** A code's badge colour: green for a success, amber for a notice, red for a refusal, none for a figure ("+2.37"). */
const tone = (code) => {
  if (!code || !/^[A-Z_]+$/.test(code)) return '';
  if (GOOD.has(code)) return 'ok';
  return NOTICE.has(code) ? 'warn' : 'bad';
};

function setBadge(id, code) {
  const el = byTestId(id);
  el.textContent = code ?? '';
  el.className = `badge ${code ? tone(code) : ''}`;
}

// ---------------------------------------------------------------------------------------------
// State

let sdk = null;
let demo = null;
let storage = null;
let store = null;
/** The two roles, restored from IndexedDB or created here; null before "Create". */
let server = null;
let terminal = null;

function freshDemo() {
  return {
    version: DEMO_STATE_VERSION,
    server: null, // { algorithm, secretKey (hex) }
    terminal: null,
    clock: Math.floor(Date.now() / 1000),
    nextOrder: 1,
    orderId: null,
    log: [],
  };
}

function persistDemo() {
  localStorage.setItem(LS_STATE, JSON.stringify(demo));
}

/** The key authenticating both snapshots (a real deployment keeps it in a keystore or HSM). */
function snapshotKey() {
  const stored = localStorage.getItem(LS_SNAPSHOT_KEY);
  if (stored !== null) return fromHex(stored);
  const key = crypto.getRandomValues(new Uint8Array(SNAPSHOT_KEY_BYTES));
  localStorage.setItem(LS_SNAPSHOT_KEY, toHex(key));
  return key;
}

function openStore() {
  if (store === null) {
    storage = new sdk.IndexedDbStorage(DB_NAME);
    store = new sdk.EnergyStore(storage, snapshotKey());
  }
  return store;
}

const keyPairOf = (saved) => sdk.keyPairFromSecret(saved.algorithm, fromHex(saved.secretKey));

/** Saves both roles; a lost compare-and-swap (another tab wrote first) is shown, not hidden. */
async function saveRoles() {
  if (server === null) return;
  const savedServer = await openStore().saveServer(SERVER_NAME, server);
  const savedTerminal = await openStore().saveTerminal(TERMINAL_KEY_ID, terminal);
  if (savedServer && savedTerminal) {
    setSaveStatus('saved', `saved to IndexedDB "${DB_NAME}" (server revision ${server.revision().join('/')})`);
  } else {
    setSaveStatus('conflict', 'NOT saved: the stored state changed since this page read it (another tab); reload to continue from it');
  }
}

function addLog(actor, text, code) {
  demo.log.push({ clock: demo.clock, actor, text, code: code ?? '' });
  if (demo.log.length > LOG_ENTRIES_MAX) demo.log.splice(0, demo.log.length - LOG_ENTRIES_MAX);
}

const requireRoles = () => {
  if (server === null) throw demoError('NO_SERVER', 'create the server, the wallet and the pump first');
};

const requireOrder = () => {
  requireRoles();
  if (demo.orderId === null) throw demoError('NO_ORDER', 'place an order first');
  return demo.orderId;
};

const KIND_NAMES = { order: 'energy.order', 'tariff-change': 'energy.tariff-change', extend: 'energy.extend', completion: 'energy.completion' };

/** Sends the pump's request envelope to the server and gives the answer back to the pump. */
function exchange(kind, outcome) {
  if (outcome.envelope === null) return { reply: null, applied: outcome };
  // Who sends to whom, so a reader never takes an answer for a request.
  addLog('pump → server', `sends ${KIND_NAMES[kind]} (${outcome.envelope.length} bytes, signed)`, outcome.increment ? `+${outcome.increment}` : '');
  const reply = server.handle(kind, outcome.envelope, demo.clock);
  const answer = reply.envelope === null ? 'refuses, with no signed answer' : `answers ${kind === 'completion' ? 'energy.receipt' : 'energy.authorisation'} (${reply.envelope.length} bytes, signed)`;
  addLog('server → pump', answer, reply.code);
  const applied = terminal.acceptReply(demo.orderId, reply, demo.clock);
  return { reply, applied };
}

/** Runs the server's expiry at the simulated clock; shows what expired. */
function expireDue() {
  if (server === null) return;
  for (const orderId of server.expireDue(demo.clock)) addLog('server', `hold ${orderId} expired: released to the wallet`, 'HOLD_EXPIRED');
}

// ---------------------------------------------------------------------------------------------
// Actions (one at a time; each ends with a render, a save and a bumped data-step on <body>)

const { action, bind } = actionRunner({
  render,
  afterEach: async () => {
    persistDemo();
    await saveRoles();
  },
});

async function setup() {
  if (server !== null) throw demoError('ALREADY_SET_UP', 'the server and the pump exist; use "Reset demo" to start over');
  const serverPair = sdk.generateKeyPair('EdDSA');
  const terminalPair = sdk.generateKeyPair('EdDSA');
  if (value('setup-balance') === '') throw fieldError('setup-balance', 'is empty: enter an amount, like 100.00');
  const created = sdk.EnergyServer.create(
    { currency: CURRENCY, holdDurationS: HOLD_DURATION_S, lateCompletion: value('late-policy') },
    demo.clock,
    serverPair,
    SERVER_KEY_ID,
  );
  const pump = sdk.EnergyTerminal.create({ stationId: STATION, serverKey: created.publicKey }, terminalPair, TERMINAL_KEY_ID);
  created.addTerminal(STATION, pump.publicKey, demo.clock);
  created.openWallet(WALLET, demo.clock);
  const topUp = created.topUp(WALLET, value('setup-balance'), demo.clock);
  if (topUp.code !== 'TRANSFERRED') {
    created.free();
    pump.free();
    throw fieldError('setup-balance', topUp.code === 'AMOUNT_NOT_POSITIVE' ? 'must be more than 0.00' : `was refused (${topUp.code})`, topUp.code);
  }
  server = created;
  terminal = pump;
  demo.server = { algorithm: serverPair.algorithm, secretKey: toHex(serverPair.secretKey) };
  demo.terminal = { algorithm: terminalPair.algorithm, secretKey: toHex(terminalPair.secretKey) };
  addLog('server', `wallet ${WALLET} opened with ${value('setup-balance')} ${CURRENCY}; pump ${TERMINAL_KEY_ID} of ${STATION} trusted`, 'TRANSFERRED');
}

const TOPUP_EXPLANATIONS = {
  TRANSFERRED: 'Added to the wallet.',
  AMOUNT_NOT_POSITIVE: 'must be more than 0.00',
};

async function topUp() {
  requireRoles();
  const amount = value('topup-amount');
  if (amount === '') throw fieldError('topup-amount', 'is empty: enter an amount, like 20.00');
  const outcome = server.topUp(WALLET, amount, demo.clock);
  addLog('server', `top-up ${amount} ${CURRENCY}`, outcome.code);
  if (outcome.code !== 'TRANSFERRED') {
    // A refusal is the person's mistake: said next to the button, naming the field.
    throw fieldError('topup-amount', TOPUP_EXPLANATIONS[outcome.code] ?? `was refused (${outcome.code})`, outcome.code);
  }
  setBadge('topup-code', outcome.code);
  setText('topup-explain', `${TOPUP_EXPLANATIONS.TRANSFERRED} Balance now ${server.wallet(WALLET).balance} ${CURRENCY}.`);
}

function tariff(price) {
  return { currency: CURRENCY, unit: 'litre', unitPrice: price, costRounding: 'half-even' };
}

/** The pump's current order while its session is still open (not closed, not declined). */
function openOrder() {
  if (demo.orderId === null || terminal === null) return null;
  const session = terminal.session(demo.orderId);
  return session !== null && session.state !== 'closed' && session.state !== 'declined' ? demo.orderId : null;
}

async function placeOrder() {
  requireRoles();
  const open = openOrder();
  if (open !== null) {
    // A second order would strand this one's hold until it expires: one order at a time.
    throw demoError('ORDER_OPEN', `order ${open} is still open: complete it (or let its hold expire and complete it) before ordering again`);
  }
  if (value('order-maximum') === '') throw fieldError('order-maximum', 'is empty: enter an amount, like 50.00');
  if (value('tariff-price') === '') throw fieldError('tariff-price', 'is empty: enter a price, like 1.859');
  const orderId = `o-${String(demo.nextOrder).padStart(4, '0')}`;
  const order = {
    orderId,
    walletId: WALLET,
    maximum: value('order-maximum'),
    belowMaximum: value('order-policy'),
    tariff: tariff(value('tariff-price')),
  };
  if (order.belowMaximum === 'lower-maximum') order.step = value('order-step');
  if (value('order-minimum') !== '') order.minimum = value('order-minimum');
  const outcome = terminal.order(order, demo.clock);
  demo.nextOrder += 1;
  demo.orderId = orderId;
  for (const id of ['meter-code', 'change-code', 'receipt-code']) setBadge(id, '');
  for (const id of ['meter-explain', 'change-explain', 'receipt-explain']) setText(id, '');
  const { reply } = exchange('order', outcome);
  setBadge('order-code', reply.code);
  setText('order-explain', explain(reply.code));
}

async function runMeter(full) {
  const orderId = requireOrder();
  let session = terminal.session(orderId);
  const limit = centilitres(session.maxQuantity, 'the pump limit');
  let delivered = centilitres(session.delivered, 'delivered');
  const target = full ? limit : Math.min(limit, delivered + centilitres(value('meter-litres'), 'deliver', 'meter-litres'));
  let outcome = null;
  for (let tick = 0; tick < TICKS_MAX && delivered < target; tick++) {
    delivered = Math.min(target, delivered + TICK_CENTILITRES);
    demo.clock += TICK_S;
    outcome = terminal.meter(orderId, litres(delivered), demo.clock);
    setBadge('meter-code', outcome.code);
    setText('meter-explain', explain(outcome.code));
    render();
    // Every tick is kept: a reload while the meter runs finds the litres delivered so far and the
    // clock where they left it. The clock first: a pump reading later than the stored clock would
    // make the next reading go back in time.
    persistDemo();
    await saveRoles();
    if (outcome.code !== 'READING_ACCEPTED') break;
    await sleep(TICK_PAUSE_MS);
  }
  if (outcome === null) {
    outcome = terminal.meter(orderId, litres(delivered), demo.clock);
    setBadge('meter-code', outcome.code);
    setText('meter-explain', explain(outcome.code));
  }
  session = terminal.session(orderId);
  addLog('pump', `meter at ${session.delivered} L, cost so far ${session.cost.total} ${CURRENCY}`, outcome.code);
  if (outcome.code === 'HOLD_EXPIRED') expireDue();
}

async function changeTariff() {
  const orderId = requireOrder();
  const outcome = terminal.changeTariff(orderId, tariff(value('tariff-new-price')), demo.clock);
  if (outcome.envelope === null) {
    setBadge('change-code', outcome.code);
    setText('change-explain', explain(outcome.code));
    return;
  }
  const { reply } = exchange('tariff-change', outcome);
  setBadge('change-code', reply.code);
  const asked = outcome.increment === null ? 'no increment needed' : `increment asked: ${outcome.increment} ${CURRENCY}`;
  setText('change-explain', `${asked}. ${explain(reply.code)}`);
  byTestId('change-explain').dataset.increment = outcome.increment ?? '';
}

async function extend() {
  const orderId = requireOrder();
  const session = terminal.session(orderId);
  const outcome = terminal.extend(orderId, (session.expiresAt ?? demo.clock) + EXTEND_S, demo.clock);
  if (outcome.envelope === null) {
    setBadge('change-code', outcome.code);
    setText('change-explain', explain(outcome.code));
    return;
  }
  const { reply } = exchange('extend', outcome);
  setBadge('change-code', reply.code);
  setText('change-explain', explain(reply.code));
}

async function complete() {
  const orderId = requireOrder();
  expireDue();
  const outcome = terminal.complete(orderId, demo.clock);
  if (outcome.envelope === null) {
    setBadge('receipt-code', outcome.code);
    setText('receipt-explain', explain(outcome.code));
    return;
  }
  const { reply } = exchange('completion', outcome);
  setBadge('receipt-code', reply.code);
  setText('receipt-explain', explain(reply.code));
}

function advanceClock(seconds, label) {
  demo.clock += seconds;
  addLog('clock', `+${label} → ${formatLocal(demo.clock)}`, '');
  expireDue();
}

async function resetDemo() {
  server?.free();
  terminal?.free();
  server = null;
  terminal = null;
  if (storage !== null) await storage.close();
  storage = null;
  store = null;
  await deleteDatabase(DB_NAME);
  localStorage.removeItem(LS_STATE);
  localStorage.removeItem(LS_SNAPSHOT_KEY);
  demo = freshDemo();
  for (const id of ['order-code', 'meter-code', 'change-code', 'receipt-code', 'topup-code']) setBadge(id, '');
  for (const id of ['order-explain', 'meter-explain', 'change-explain', 'receipt-explain', 'topup-explain']) setText(id, '');
  setText('restore-status', 'demo reset: IndexedDB database and localStorage cleared');
  setSaveStatus('idle', 'nothing saved yet');
}

// ---------------------------------------------------------------------------------------------
// Rendering

const SESSION_BUTTONS = ['meter-run', 'meter-full', 'tariff-change', 'extend', 'complete'];

function renderReceipt(receipt) {
  const fields = {
    'receipt-verified': receipt ? `yes: signed by ${SERVER_KEY_ID}, answers request ${receipt.inReplyTo.slice(0, 16)}…` : '—',
    'receipt-held': receipt ? `${receipt.held} ${CURRENCY}${receipt.increments.length ? ` (increments ${receipt.increments.join(', ')})` : ''}` : '—',
    'receipt-quantity': receipt ? `${receipt.quantity} L in ${receipt.segments.length} tariff segment(s)` : '—',
    'receipt-cost': receipt ? `${receipt.cost.net} + ${receipt.cost.tax} = ${receipt.cost.total}` : '—',
    'receipt-captured': receipt?.captured ?? '—',
    'receipt-released': receipt?.released ?? '—',
    'receipt-uncollected': receipt?.uncollected ?? '—',
    'receipt-late': receipt ? (receipt.late ? 'yes' : 'no') : '—',
    'receipt-readings': receipt ? receipt.readings.map((r) => `${r.quantity}`).join(' · ') || 'none' : '—',
  };
  for (const [id, text] of Object.entries(fields)) setText(id, text);
  if (receipt && byTestId('receipt-code').textContent === '') {
    setBadge('receipt-code', receipt.code);
    setText('receipt-explain', explain(receipt.code));
  }
}

function render() {
  setText('clock-unix', String(demo.clock));
  setText('clock-local', formatLocal(demo.clock));
  setText('server-key', server ? `${SERVER_KEY_ID} · Ed25519 · ${toHex(server.publicKey.publicKey)}` : 'none yet');
  setText('terminal-key', terminal ? `${TERMINAL_KEY_ID} · Ed25519 · ${toHex(terminal.publicKey.publicKey)}` : 'none yet');
  setText('late-policy-now', server ? server.config.lateCompletion : '—');

  const wallet = server?.wallet(WALLET) ?? null;
  setText('wallet-balance', wallet ? `${wallet.balance} ${CURRENCY}` : '—');
  setText('wallet-available', wallet ? `${wallet.available} ${CURRENCY}` : '—');
  const station = server?.station(STATION) ?? null;
  setText('station-balance', station ? `${station.balance} ${CURRENCY}` : '—');

  const orderId = demo.orderId;
  setText('order-id', orderId ?? '—');
  const serverSession = orderId && server ? server.session(orderId) : null;
  const hold = serverSession?.hold ?? null;
  const holdState = byTestId('hold-state');
  holdState.dataset.state = hold?.state ?? (serverSession ? 'declined' : 'none');
  holdState.textContent = hold?.state ?? (serverSession ? 'declined' : 'none');
  setText('hold-amount', hold ? hold.amount : '—');
  setText('hold-posted', hold ? hold.posted : '—');
  setText('hold-released', hold ? hold.released : '—');
  setText('hold-expires', hold ? `${formatLocal(hold.expiresAt)}` : '—');
  byTestId('hold-expires').dataset.unix = hold ? String(hold.expiresAt) : '';

  const session = orderId && terminal ? terminal.session(orderId) : null;
  const state = byTestId('session-state');
  state.dataset.state = session?.state ?? 'none';
  state.textContent = session?.state ?? 'idle';
  setText('max-quantity', session ? session.maxQuantity : '—');
  setText('delivered', session ? session.delivered : '—');
  setText('cost-total', session ? `${session.cost.total} ${CURRENCY}` : '—');
  const lastTariff = session?.segments.at(-1)?.tariff ?? session?.order.tariff;
  setText('tariff-now', lastTariff ? `${lastTariff.unitPrice} ${CURRENCY}/L` : '—');
  setText('increments', session && session.increments.length > 0 ? session.increments.join(', ') : '—');
  renderReceipt(session?.receipt ?? null);

  setEnabled('setup', server === null);
  const open = session !== null && session.state !== 'closed' && session.state !== 'declined';
  setEnabled('topup', server !== null);
  // One order at a time: a second would strand the first one's hold until it expires.
  setEnabled('order-send', server !== null && !open);
  setText('order-note', open ? `Order ${orderId} is open: complete it to order again.` : '');
  for (const id of SESSION_BUTTONS) setEnabled(id, open);
  for (const id of ['clock-plus-minute', 'clock-expire', 'reset-demo']) setEnabled(id, true);

  renderLog(demo.log, formatLocal, (entry) => tone(entry.code));
}

// ---------------------------------------------------------------------------------------------
// Start-up

/** Restores the demo: bookkeeping from localStorage, both roles from their IndexedDB snapshots. */
async function restore() {
  demo = freshDemo();
  demo = loadDemoState(LS_STATE, DEMO_STATE_VERSION, freshDemo);
  if (demo.server === null) {
    setText('restore-status', 'nothing stored yet');
    return;
  }
  const loadedServer = await openStore().loadServer(SERVER_NAME, keyPairOf(demo.server), SERVER_KEY_ID);
  const loadedTerminal = await openStore().loadTerminal(TERMINAL_KEY_ID, keyPairOf(demo.terminal), TERMINAL_KEY_ID);
  if (loadedServer === null || loadedTerminal === null) {
    throw demoError('STATE_MISSING', 'localStorage names the demo\'s keys but IndexedDB holds no snapshot; use "Reset demo"');
  }
  server = loadedServer;
  terminal = loadedTerminal;
  setText('restore-status', `restored the server and the pump from their authenticated IndexedDB snapshots (server revision ${server.revision().join('/')})`);
}

async function main() {
  try {
    sdk = await import(SDK_URL);
    await sdk.init({ system: 'energy' });
  } catch (err) {
    showInitError(err);
    return;
  }
  // Each control: its outcome (emptied when it fails) and which input an SDK parameter names.
  const ORDER_FIELDS = { maximum: 'order-maximum', unitPrice: 'tariff-price', step: 'order-step', minimum: 'order-minimum' };
  bind('setup', setup, { fields: { amount: 'setup-balance' } });
  bind('topup', topUp, { outcome: ['topup-code', 'topup-explain'], fields: { amount: 'topup-amount' } });
  bind('order-send', placeOrder, { outcome: ['order-code', 'order-explain'], fields: ORDER_FIELDS });
  bind('meter-run', () => runMeter(false), { outcome: ['meter-code', 'meter-explain'], fields: { quantity: 'meter-litres' } });
  bind('meter-full', () => runMeter(true), { outcome: ['meter-code', 'meter-explain'] });
  bind('tariff-change', changeTariff, { outcome: ['change-code', 'change-explain'], fields: { unitPrice: 'tariff-new-price' } });
  bind('extend', extend, { outcome: ['change-code', 'change-explain'] });
  bind('complete', complete, { outcome: ['receipt-code', 'receipt-explain'] });
  bind('clock-plus-minute', () => advanceClock(MINUTE_S, '1 min'));
  bind('clock-expire', () => advanceClock(EXPIRE_JUMP_S, '20 min'));
  bind('reset-demo', resetDemo);

  // The first step restores the stored state; it also marks the SDK ready.
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
