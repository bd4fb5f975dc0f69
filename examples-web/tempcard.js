// System 2 demo: the limited-use temporary credit account.
//
// Three roles share this page: the issuer (approves the application: opens the parent credit
// line and the temporary account, holds its reduced limit), the holder's phone (shows the
// temporary credentials inside the display window, activates the physical card) and an online
// shop (authorisations and refunds). Every rule is decided by the countersign WebAssembly core
// through the SDK's TempCardIssuer; this file reads the forms, shows the outcomes and keeps the
// demo's state across reloads:
//
//   * the issuer's service (temporary accounts and their ledger): IndexedDB, through
//     TempCardStore (authenticated snapshots, compare-and-swap writes, journal log);
//   * the demo's bookkeeping (simulated clock, counters, last purchase, event log) and, for the
//     demo only, the CVV and snapshot keys: localStorage.

import {
  actionRunner,
  byTestId,
  cardNumber,
  deleteDatabase,
  demoError,
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
  wholeNumber,
} from './demo-kit.js';
const SDK_URL = '/sdk/dist/index.js';

const DB_NAME = 'countersign-tempcard-demo';
const STORE_NAME = 'issuer';
const LS_STATE = 'countersign-tempcard-demo:state';
const LS_KEYS = 'countersign-tempcard-demo:keys';
const DEMO_STATE_VERSION = 1;

const CURRENCY = 'EUR';
const CONFIG = Object.freeze({
  currency: CURRENCY,
  binRange: { low: '45717360', high: '45717369', panLength: 16 },
  settlementAccountId: 'settlement',
});
const KEY_BYTES = 32;
const MINUTE_S = 60;
const HOUR_S = 3600;
const DAY_S = 86_400;
const LOG_ENTRIES_MAX = 40;

// ---------------------------------------------------------------------------------------------
// Small helpers

const shortTime = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** "4 min 30 s", "23 h 59 min", "2 d 3 h". */
function formatDuration(seconds) {
  if (seconds <= 0) return '0 s';
  const d = Math.floor(seconds / DAY_S);
  const h = Math.floor((seconds % DAY_S) / HOUR_S);
  const m = Math.floor((seconds % HOUR_S) / MINUTE_S);
  const s = seconds % MINUTE_S;
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${s} s`;
  return `${s} s`;
}

/** An optional form field: empty means absent. */
const optional = (id) => (value(id) === '' ? undefined : value(id));

// ---------------------------------------------------------------------------------------------
// Outcome codes, in words

const EXPLANATIONS = {
  TEMPORARY_ACCOUNT_OPENED: 'Approved: the temporary credentials are issued and the reduced limit is held on the parent credit line.',
  ACCOUNT_EXISTS: 'A temporary account with this id already exists.',
  ACCOUNTS_FULL: 'The issuer holds its maximum number of temporary accounts.',
  TEMPORARY_LIMIT_ZERO: 'The reduced limit rounds down to zero: nothing was opened.',
  PARENT_MISMATCH: 'This parent account already exists with another approved limit: nothing was opened.',
  PARENT_HAS_OPEN_TEMPORARY: 'The parent already has an open temporary account: activate its card or wait for its window to end.',
  PARENT_CREDIT_INSUFFICIENT: 'The parent credit line\'s available credit is below the reduced limit: nothing was held.',
  PAN_COLLISION: 'The drawn card number was already issued: the SDK draws again.',
  RANDOMNESS_EXHAUSTED: 'No acceptable draw: the SDK draws again.',
  USABLE_WINDOW_CLOSED: 'The usable window has ended: the temporary account is closed and its hold released to the parent.',
  NOT_YET_USABLE: 'The usable window has not opened yet.',
  EXPIRED: 'The card has expired.',
  LEDGER_REFUSED: 'The ledger is at a capacity limit: nothing changed, retry after saving.',
  APPROVED: 'Approved: captured from the temporary hold and paid to the merchant.',
  UNKNOWN_PAN: 'No temporary account has this card number.',
  AUTHORISATION_ID_CONFLICT: 'This authorisation id was used for another purchase.',
  AUTHORISATIONS_FULL: 'This account recorded its maximum number of attempts.',
  EXPIRY_MISMATCH: 'The expiry date typed is not the card\'s: declined.',
  CVV_MALFORMED: 'The security code is not three digits: declined.',
  CVV_INVALID: 'The security code is wrong (compared in constant time): declined.',
  CVV_TRIES_EXCEEDED: 'Too many wrong security codes: the account declines everything now (locked against guessing).',
  ACCOUNT_CLOSED: 'The temporary account is closed (the physical card was activated).',
  CURRENCY_MISMATCH: 'Not in the account\'s currency: declined.',
  AMOUNT_NOT_POSITIVE: 'The amount must be positive: declined.',
  MERCHANT_LOCKED: 'The temporary account is locked to another merchant: declined.',
  SINGLE_USE_SPENT: 'This single-use temporary card was already used: declined.',
  USES_EXHAUSTED: 'This temporary card has made its maximum number of purchases: declined.',
  INSUFFICIENT_TEMPORARY_CREDIT: 'More than the temporary available credit: declined.',
  REFUNDED_TO_PARENT: 'Refunded to the parent credit line (the temporary credit is not restored).',
  REFUND_ID_CONFLICT: 'This refund id was used for another refund.',
  REFUNDS_FULL: 'This account recorded its maximum number of refunds.',
  UNKNOWN_AUTHORISATION: 'There is no approved purchase to refund.',
  REFUND_EXCEEDS_PURCHASE: 'More than what is left of the purchase to refund.',
  CLOSED_ON_ACTIVATION: 'The physical card is active: the temporary account is closed and its unused hold released.',
  CLOSED_AT_WINDOW_END: 'The usable window has ended: the temporary account is closed and its unused hold released.',
  ALREADY_CLOSED: 'The temporary account was already closed.',
  UNKNOWN_ACCOUNT: 'No such temporary account.',
  DUE_ACCOUNTS_CLOSED: 'Every temporary account past its usable window is closed.',
  MORE_ACCOUNTS_DUE: 'Closed a batch; more are due.',
  DISPLAY_ALLOWED: 'Inside the display window: the phone may show the credentials.',
  DISPLAY_NOT_YET_OPEN: 'The display window has not opened yet.',
  DISPLAY_CLOSED: 'The display window has closed: the credentials are no longer shown (they may still be usable).',
};

const explain = (code) => EXPLANATIONS[code] ?? `The issuer answered ${code}.`;

function setBadge(id, text, tone) {
  const el = byTestId(id);
  el.textContent = text;
  el.classList.toggle('ok', tone === 'ok');
  el.classList.toggle('bad', tone === 'bad');
  el.classList.toggle('warn', tone === 'warn');
}

// ---------------------------------------------------------------------------------------------
// Demo state (localStorage) and the issuer (IndexedDB)

let sdk;
let demo;
let storage = null;
let store = null;
/** The issuer's service, restored from IndexedDB or created at the first approval. */
let issuer = null;
/** What the phone shows (in memory only: the CVV is never stored). */
let shown = null;

function freshDemo() {
  return {
    version: DEMO_STATE_VERSION,
    clock: Math.floor(Date.now() / 1000),
    nextAccount: 1,
    nextAuth: 1,
    nextRefund: 1,
    accountId: null,
    parentAccountId: null,
    lastPurchase: null, // { authorisationId, pan }
    log: [],
  };
}

function persistDemo() {
  localStorage.setItem(LS_STATE, JSON.stringify(demo));
}

/**
 * The CVV key (the issuer's secret) and the snapshot key. The demo keeps them in localStorage so
 * a reload can continue; a real issuer keeps the CVV key in an HSM and never next to the data.
 */
function keys() {
  const stored = localStorage.getItem(LS_KEYS);
  if (stored !== null) {
    const parsed = JSON.parse(stored);
    const cvvKey = fromHex(parsed.cvvKey);
    const snapshotKey = fromHex(parsed.snapshotKey);
    if (cvvKey.length !== KEY_BYTES || snapshotKey.length !== KEY_BYTES) {
      throw demoError('DEMO_STATE_INVALID', 'the stored keys are not 32 bytes; use "Reset demo"');
    }
    return { cvvKey, snapshotKey };
  }
  const fresh = {
    cvvKey: crypto.getRandomValues(new Uint8Array(KEY_BYTES)),
    snapshotKey: crypto.getRandomValues(new Uint8Array(KEY_BYTES)),
  };
  localStorage.setItem(LS_KEYS, JSON.stringify({ cvvKey: toHex(fresh.cvvKey), snapshotKey: toHex(fresh.snapshotKey) }));
  return fresh;
}

function openStore() {
  if (store === null) {
    storage = new sdk.IndexedDbStorage(DB_NAME);
    store = new sdk.TempCardStore(storage, keys().snapshotKey);
  }
  return store;
}

/** Saves the issuer; a lost compare-and-swap race (another tab wrote first) is shown, not hidden. */
async function saveIssuer() {
  const saved = await openStore().save(STORE_NAME, issuer);
  if (saved) {
    setSaveStatus('saved', `saved to IndexedDB "${DB_NAME}" (journal seq ${issuer.journalHead().seq})`);
  } else {
    setSaveStatus('conflict', 'NOT saved: the stored state changed since this page read it (another tab); reload to continue');
  }
  return saved;
}

function addLog(actor, text, code, tone) {
  demo.log.push({ clock: demo.clock, actor, text, code, tone });
  if (demo.log.length > LOG_ENTRIES_MAX) demo.log.splice(0, demo.log.length - LOG_ENTRIES_MAX);
}

const requireAccount = () => {
  if (issuer === null || demo.accountId === null) throw demoError('NO_ACCOUNT', 'approve an application first');
  return demo.accountId;
};

// ---------------------------------------------------------------------------------------------
// Actions (one at a time; each ends with a render and a bumped data-step on <body>)

const { action, bind } = actionRunner({ render });

function readApproval(accountId) {
  // Digits only: "1e3", "-5" and "2.5" are refused here, naming the field, before the SDK sees them.
  const integer = (id) => wholeNumber(id, { min: 1, max: 1_000_000 });
  const request = {
    accountId,
    parentAccountId: value('ap-parent'),
    approvedLimit: value('ap-approved'),
    displayWindow: { from: demo.clock, until: demo.clock + integer('ap-display-min') * MINUTE_S },
    usableWindow: { from: demo.clock, until: demo.clock + integer('ap-usable-h') * HOUR_S },
    lockToFirstMerchant: byTestId('ap-lock-first').checked,
    now: demo.clock,
  };
  // Money stays a decimal string; the SDK and the core parse it exactly.
  if (optional('ap-fraction') !== undefined) request.limitFraction = optional('ap-fraction');
  if (optional('ap-cap') !== undefined) request.limitCap = optional('ap-cap');
  if (optional('ap-max-uses') !== undefined) request.maxUses = integer('ap-max-uses');
  if (optional('ap-merchant-lock') !== undefined) request.merchantLock = optional('ap-merchant-lock');
  return request;
}

async function approve() {
  const { cvvKey } = keys();
  if (issuer === null) issuer = sdk.TempCardIssuer.create(CONFIG, { cvvKey, now: demo.clock });
  const accountId = `tmp-${String(demo.nextAccount).padStart(4, '0')}`;
  const result = issuer.approve(readApproval(accountId));
  const ok = result.code === 'TEMPORARY_ACCOUNT_OPENED';
  setBadge('approve-code', result.code, ok ? 'ok' : 'bad');
  if (ok) {
    demo.nextAccount += 1;
    demo.accountId = accountId;
    demo.parentAccountId = result.account.parentAccountId;
    demo.lastPurchase = null;
    shown = null;
    setText('approve-explain', `${explain(result.code)} Temporary limit ${result.account.temporaryLimit} ${CURRENCY}; the parent keeps ${result.account.parent.available} available.`);
    addLog('issuer', `approved ${accountId} on ${result.account.parentAccountId}: limit ${result.account.temporaryLimit}`, result.code, 'ok');
  } else {
    setText('approve-explain', explain(result.code));
    addLog('issuer', `application refused`, result.code, 'bad');
  }
  persistDemo();
  await saveIssuer();
}

function reveal() {
  const accountId = requireAccount();
  const result = issuer.reveal(accountId, demo.clock);
  const ok = result.code === 'DISPLAY_ALLOWED';
  setBadge('reveal-code', result.code, ok ? 'ok' : 'bad');
  setText('reveal-explain', explain(result.code));
  if (ok) {
    shown = { accountId, pan: result.pan, expiry: result.expiry, cvv: result.cvv };
    // The holder copies them into the shop's checkout form.
    byTestId('buy-pan').value = result.pan;
    byTestId('buy-expiry').value = result.expiry;
    byTestId('buy-cvv').value = result.cvv;
  } else {
    shown = null;
  }
  addLog('phone', ok ? 'showed the temporary card' : 'may not show the temporary card', result.code, ok ? 'ok' : 'bad');
  persistDemo();
}

/** The expiry as typed: "12 / 28" and "1228" are read as "12/28". */
function typedExpiry() {
  const text = value('buy-expiry').replace(/\s+/g, '');
  return /^\d{4}$/.test(text) ? `${text.slice(0, 2)}/${text.slice(2)}` : text;
}

async function buy() {
  requireAccount();
  const authorisationId = `auth-${String(demo.nextAuth).padStart(4, '0')}`;
  const amount = value('buy-amount');
  // The card number as the phone shows it ("4571 7360 …") or as pasted: the spaces are not digits.
  const pan = cardNumber('buy-pan');
  const result = issuer.authorise({
    authorisationId,
    pan,
    expiry: typedExpiry(),
    cvv: value('buy-cvv'),
    amount,
    currency: CURRENCY,
    merchantId: value('buy-merchant'),
    now: demo.clock,
  });
  demo.nextAuth += 1;
  setBadge('buy-decision', result.approved ? 'approved' : 'declined', result.approved ? 'ok' : 'bad');
  setBadge('buy-code', result.code, result.approved ? 'ok' : 'bad');
  const left = result.available === null ? '' : ` Temporary available: ${result.available} ${CURRENCY}.`;
  setText('buy-explain', `${explain(result.code)}${left}`);
  if (result.approved) demo.lastPurchase = { authorisationId, pan };
  addLog('shop', `${value('buy-merchant')} ${amount} ${CURRENCY} (${authorisationId})`, result.code, result.approved ? 'ok' : 'bad');
  persistDemo();
  await saveIssuer();
}

async function refund() {
  requireAccount();
  if (demo.lastPurchase === null) throw demoError('NO_PURCHASE', 'no approved purchase to refund yet');
  const refundId = `refund-${String(demo.nextRefund).padStart(4, '0')}`;
  demo.nextRefund += 1;
  const amount = value('refund-amount');
  const result = issuer.refund({
    refundId,
    pan: demo.lastPurchase.pan,
    authorisationId: demo.lastPurchase.authorisationId,
    amount,
    currency: CURRENCY,
    now: demo.clock,
  });
  const ok = result.code === 'REFUNDED_TO_PARENT';
  setBadge('refund-code', result.code, ok ? 'ok' : 'bad');
  setText('refund-explain', `${explain(result.code)}${ok && result.afterClosure ? ' (after closure)' : ''}`);
  addLog('shop', `refund ${amount} ${CURRENCY} of ${demo.lastPurchase.authorisationId}`, result.code, ok ? 'ok' : 'bad');
  persistDemo();
  await saveIssuer();
}

async function activate() {
  const accountId = requireAccount();
  const result = issuer.activatePhysicalCard(accountId, demo.clock);
  const ok = result.code === 'CLOSED_ON_ACTIVATION' || result.code === 'CLOSED_AT_WINDOW_END';
  setBadge('activate-code', result.code, ok ? 'ok' : 'warn');
  const released = result.closure ? ` Released ${result.closure.released} ${CURRENCY} to the parent.` : '';
  setText('activate-explain', `${explain(result.code)}${ok ? released : ''}`);
  shown = null;
  addLog('phone', 'activated the physical card', result.code, ok ? 'ok' : 'warn');
  persistDemo();
  await saveIssuer();
}

async function closeDue() {
  if (issuer === null) throw demoError('NO_ACCOUNT', 'approve an application first');
  const result = issuer.closeDue(demo.clock);
  setBadge('approve-code', result.code, 'ok');
  setText('approve-explain', `${explain(result.code)} Closed now: ${result.closed.length === 0 ? 'none' : result.closed.join(', ')}.`);
  addLog('issuer', `closed accounts past their window: ${result.closed.join(', ') || 'none'}`, result.code, 'ok');
  persistDemo();
  await saveIssuer();
}

function advanceClock(seconds, label) {
  demo.clock += seconds;
  addLog('clock', `+${label} → ${formatLocal(demo.clock)}`, '', '');
  persistDemo();
}

async function resetDemo() {
  issuer?.free();
  issuer = null;
  shown = null;
  if (storage !== null) await storage.close();
  storage = null;
  store = null;
  await deleteDatabase(DB_NAME);
  localStorage.removeItem(LS_STATE);
  localStorage.removeItem(LS_KEYS);
  demo = freshDemo();
  for (const id of ['approve-code', 'approve-explain', 'reveal-code', 'reveal-explain', 'buy-decision', 'buy-code', 'buy-explain',
    'refund-code', 'refund-explain', 'activate-code', 'activate-explain']) {
    setText(id, '');
  }
  for (const id of ['buy-pan', 'buy-expiry', 'buy-cvv']) byTestId(id).value = '';
  setText('restore-status', 'demo reset: IndexedDB database and localStorage cleared');
  setSaveStatus('idle', 'nothing saved yet');
}

// ---------------------------------------------------------------------------------------------
// Rendering

const ACCOUNT_BUTTONS = ['reveal', 'buy', 'refund', 'activate'];

function render() {
  setText('clock-unix', String(demo.clock));
  setText('clock-local', formatLocal(demo.clock));

  const view = issuer !== null && demo.accountId !== null ? issuer.account(demo.accountId, demo.clock) : null;
  const parent = view?.parent ?? (issuer !== null && demo.parentAccountId !== null ? issuer.ledgerAccount(demo.parentAccountId) : null);
  const settlement = issuer?.ledgerAccount(CONFIG.settlementAccountId) ?? null;
  setText('parent-id', parent?.accountId ?? '—');
  setText('parent-limit', parent?.creditLimit ?? '—');
  setText('parent-balance', parent?.balance ?? '—');
  setText('parent-pending', parent?.debitsPending ?? '—');
  setText('parent-available', parent?.available ?? '—');
  setText('settlement-balance', settlement?.balance ?? '—');

  setText('account-id', view?.accountId ?? '—');
  const status = byTestId('account-status');
  status.dataset.state = view?.status ?? 'none';
  status.textContent = view?.status ?? 'none';
  setText('account-masked-pan', view ? `${view.maskedPan} · ${view.expiry}` : '—');
  setText('account-limit', view?.temporaryLimit ?? '—');
  setText('account-spent', view?.spent ?? '—');
  setText('account-refunded', view?.refunded ?? '—');
  setText('account-available', view?.available ?? '—');
  setText('account-uses', view ? `${view.uses}${view.maxUses === null ? '' : ` of ${view.maxUses}`}` : '—');
  setText('account-lock', view?.merchantLock ?? (view?.lockToFirstMerchant ? 'first merchant' : '—'));
  const usable = byTestId('account-usable');
  usable.dataset.code = view?.usableStatus ?? '';
  usable.textContent = !view
    ? '—'
    : view.usableStatus === 'USABLE'
      ? `for ${formatDuration(view.usableWindow.until - demo.clock)}`
      : view.usableStatus;
  setText('account-closure', view?.closure ? `${view.closure.reason === 'activation' ? 'physical card activated' : 'window ended'}, ${view.closure.released} released` : '—');

  // The phone hides the credentials when the display window closes or the account closes.
  const showing = shown !== null && view !== null && shown.accountId === view.accountId && view.displayStatus === 'DISPLAY_ALLOWED';
  if (!showing) shown = null;
  byTestId('credentials').hidden = !showing;
  setText('cred-pan', showing ? shown.pan.replace(/(\d{4})(?=\d)/g, '$1 ') : '');
  setText('cred-expiry', showing ? shown.expiry : '');
  setText('cred-cvv', showing ? shown.cvv : '');
  const countdown = byTestId('cred-countdown');
  countdown.dataset.seconds = showing ? String(view.displayWindow.until - demo.clock) : '';
  countdown.textContent = showing ? formatDuration(view.displayWindow.until - demo.clock) : '—';

  setEnabled('approve', true);
  setEnabled('close-due', issuer !== null);
  for (const id of ACCOUNT_BUTTONS) setEnabled(id, view !== null);
  for (const id of ['clock-plus-30s', 'clock-plus-5min', 'clock-plus-hour', 'clock-plus-day', 'reset-demo']) setEnabled(id, true);

  renderLog(demo.log, (unix) => shortTime.format(new Date(unix * 1000)));
}

// ---------------------------------------------------------------------------------------------
// Start-up

/** Restores the demo: bookkeeping from localStorage, the issuer from its IndexedDB snapshot. */
async function restore() {
  demo = freshDemo();
  demo = loadDemoState(LS_STATE, DEMO_STATE_VERSION, freshDemo);
  const loaded = await openStore().load(STORE_NAME, keys().cvvKey);
  if (loaded === null) {
    setText('restore-status', 'nothing stored yet');
    return;
  }
  issuer = loaded;
  setText('restore-status', `restored the issuer (${issuer.accountIds().length} temporary accounts) from its authenticated IndexedDB snapshot`);
}

async function main() {
  try {
    sdk = await import(SDK_URL);
    await sdk.init({ system: 'tempcard' });
  } catch (err) {
    showInitError(err);
    return;
  }
  // Each control: its outcome (emptied when it fails) and which input an SDK parameter names.
  const APPROVAL = {
    outcome: ['approve-code', 'approve-explain'],
    fields: {
      parentAccountId: 'ap-parent',
      approvedLimit: 'ap-approved',
      limitFraction: 'ap-fraction',
      limitCap: 'ap-cap',
      displayWindow: 'ap-display-min',
      usableWindow: 'ap-usable-h',
      maxUses: 'ap-max-uses',
      merchantLock: 'ap-merchant-lock',
    },
  };
  bind('approve', approve, APPROVAL);
  bind('close-due', closeDue, { outcome: APPROVAL.outcome });
  bind('reveal', reveal, { outcome: ['reveal-code', 'reveal-explain'] });
  bind('buy', buy, {
    outcome: ['buy-decision', 'buy-code', 'buy-explain'],
    fields: { pan: 'buy-pan', expiry: 'buy-expiry', cvv: 'buy-cvv', amount: 'buy-amount', merchantId: 'buy-merchant' },
  });
  bind('refund', refund, { outcome: ['refund-code', 'refund-explain'], fields: { amount: 'refund-amount' } });
  bind('activate', activate, { outcome: ['activate-code', 'activate-explain'] });
  bind('clock-plus-30s', () => advanceClock(30, '30 s'));
  bind('clock-plus-5min', () => advanceClock(5 * MINUTE_S, '5 min'));
  bind('clock-plus-hour', () => advanceClock(HOUR_S, '1 hour'));
  bind('clock-plus-day', () => advanceClock(DAY_S, '1 day'));
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
