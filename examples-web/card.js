// System 1 demo: a card usage counter set by a companion app.
//
// Three roles share this page: the issuer (provisions the card, answers go-online requests), the
// cardholder's companion app (signed set / change / reset / block / unblock commands) and the card
// at a POS terminal. Every rule is decided by the countersign WebAssembly core through the SDK's
// Issuer, CompanionApp and Card classes; this file reads the forms, shows the outcomes, and keeps
// the demo's state across reloads:
//
//   * the card: IndexedDB, through CardStore (authenticated snapshots, compare-and-swap writes);
//   * the demo's own bookkeeping (key pairs, sequence counters, simulated clock, last
//     transaction, event log): localStorage, bytes as hex.

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
  wholeNumber,
} from './demo-kit.js';
const SDK_URL = '/sdk/dist/index.js';

const DB_NAME = 'countersign-demo';
const LS_STATE = 'countersign-demo:state';
const LS_SNAPSHOT_KEY = 'countersign-demo:snapshot-key';
const DEMO_STATE_VERSION = 1;

const CURRENCY = 'EUR';
const ISSUER_KEY_ID = 'issuer-1';
const APP_KEY_ID = 'app-1';
const STRANGER_KEY_ID = 'stranger-1';
// Signed messages are valid from the simulated "now" for this long; the card tolerates this skew.
const ENVELOPE_LIFETIME_S = 300;
const CLOCK_SKEW_S = 60;
const HOUR_S = 3600;
const DAY_S = 86_400;
const LOG_ENTRIES_MAX = 40;
const SNAPSHOT_KEY_BYTES = 32;
const CARD_ID_RANDOM_BYTES = 4;
// The COSE_Sign1 signature is the last 66 bytes (a 2-byte bstr header + 64 bytes, for both
// algorithms): the byte just before them is the last byte of the signed payload.
const PAYLOAD_LAST_BYTE_FROM_END = 67;

const COUNTING_POLICY = Object.freeze({
  countOn: 'approval',
  reversalRestores: { count: true, amount: true },
  refundRestores: { count: false, amount: true },
});

// ---------------------------------------------------------------------------------------------
// Small helpers

const checked = (id) => byTestId(id).checked;

function randomBytes(n) {
  return crypto.getRandomValues(new Uint8Array(n));
}

const shortTime = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

function formatDuration(seconds) {
  if (seconds <= 0) return 'now';
  const d = Math.floor(seconds / DAY_S);
  const h = Math.floor((seconds % DAY_S) / HOUR_S);
  const m = Math.floor((seconds % HOUR_S) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  return `${m} min`;
}

function describeWindow(window) {
  switch (window.kind) {
    case 'perTransaction':
      return 'per payment';
    case 'lifetime':
      return 'lifetime';
    case 'trailing':
      return `trailing ${formatDuration(window.seconds)}`;
    case 'day':
      return `day (${window.timeZone})`;
    case 'week':
      return `week from ${window.start} (${window.timeZone})`;
    case 'month':
      return `month from day ${window.anchorDay} (${window.timeZone})`;
    case 'year':
      return `year (${window.timeZone})`;
    default:
      return window.kind;
  }
}

// ---------------------------------------------------------------------------------------------
// Outcome codes: one line each, in words

const APPLIED = new Set(['CONFIG_APPLIED', 'COMMAND_APPLIED', 'ONLINE_RESULT_APPLIED', 'REVERSED']);

const EXPLANATIONS = {
  // Authorisation
  APPROVED: 'Every limit stays within its soft threshold: the card approves offline and counts the payment.',
  CURRENCY_MISMATCH: 'The payment is not in the card\'s currency: declined.',
  CARD_BLOCKED: 'The companion app blocked the card: every payment is declined until it unblocks it.',
  MERCHANT_CATEGORY_BLOCKED: 'The issuer\'s configuration blocks this merchant category: declined.',
  NOT_PROVISIONED: 'The card has no configuration from its issuer yet: declined.',
  TRANSACTION_ID_CONFLICT: 'This transaction id was already used with another amount: declined, nothing recorded.',
  TRANSACTION_COUNTER_EXHAUSTED: 'The transaction counter reached its maximum: the card must be replaced.',
  TRAILING_WINDOW_FULL: 'A trailing window holds its maximum number of entries: declined.',
  ONLINE_APPROVED: 'The issuer approved this transaction online: the terminal completes it.',
  ONLINE_DECLINED: 'The issuer declined this transaction online.',
  // Signed messages
  CONFIG_APPLIED: 'The issuer\'s signed configuration was accepted: limits, ceilings and app keys are in force.',
  COMMAND_APPLIED: 'The app\'s signed command was accepted and applied.',
  ONLINE_RESULT_APPLIED: 'The issuer\'s signed online result was accepted.',
  MALFORMED: 'Not a well-formed countersign envelope: refused before anything else is looked at.',
  UNKNOWN_KEY: 'Signed under a key id the card was never given (by the issuer\'s configuration): refused.',
  BAD_SIGNATURE: 'The signature does not match these bytes under the key the card trusts: altered or forged, refused.',
  WRONG_TYPE: 'An authentic envelope of another message type: refused.',
  NOT_YET_VALID: 'Issued later than the card\'s "now" (beyond the tolerated clock skew): refused.',
  EXPIRED: 'The envelope expired before the card saw it: refused.',
  REPLAYED: 'Its sequence number is not above the last one the card accepted: a replay or a rollback, refused.',
  VERSION_UNSUPPORTED: 'A payload version this card does not read: refused.',
  PAYLOAD_MALFORMED: 'Authentic, but the payload is not a canonical message: refused.',
  WRONG_CARD: 'Authentic, but addressed to another card (the card id is inside the signed payload): refused.',
  CONFIG_INVALID: 'Authentic, but the configuration breaks a rule (limits, keys, currency, bounds): refused.',
  UNKNOWN_LIMIT: 'The command names a limit this card does not have: refused.',
  VALUE_INVALID: 'The value is not a valid quantity for this limit (syntax, precision, sign or range): refused.',
  NEGATIVE_RESULT: 'Lowering the limit by that much would make it negative: refused.',
  NOT_RESETTABLE: 'The issuer did not allow the app to reset this limit\'s usage: refused.',
  TRANSACTION_NOT_PENDING: 'That transaction is not waiting for an online result: refused.',
  UNKNOWN_TRANSACTION: 'The card retains no transaction with this id.',
  // After authorisation
  REVERSED: 'Reversed: per the counting policy the card gives back its count and amount.',
  TRANSACTION_NOT_APPROVED: 'That transaction was declined or is still waiting for the issuer: nothing to reverse.',
  TRANSACTION_REVERSED: 'That transaction was already reversed.',
  TRANSACTION_REFUNDED: 'That transaction was already refunded.',
};

function findLimit(limits, id) {
  return (limits ?? []).find((l) => l.id === id);
}

/** One line saying why the card decided what it did (authorisation or preview). */
function explainDecision(result) {
  const limit = findLimit(result.limits, result.limitId);
  const name = result.limitId ?? 'a limit';
  switch (result.code) {
    case 'APPROVED':
      return result.repeated ? 'The same transaction again: the same answer, counted once.' : EXPLANATIONS.APPROVED;
    case 'SOFT_LIMIT_REACHED': {
      const soft = limit?.soft ? ` (${limit.soft})` : '';
      if (result.decision === 'go-online') {
        return `${name} would pass its soft threshold${soft} and the terminal is online: the card asks the issuer (go online); nothing is counted yet.`;
      }
      return `${name} passes its soft threshold${soft}, but the terminal is offline: still within the hard limit, the card approves offline and counts it.`;
    }
    case 'HARD_LIMIT_REACHED':
      return `${name} would pass its hard limit${limit ? ` (${limit.limit})` : ''}: declined, whether the terminal is online or not.`;
    case 'TRANSACTION_LIMIT_EXCEEDED':
      return `The amount is above the per-payment cap${limit ? ` of ${limit.limit}` : ''} (${name}): declined.`;
    case 'CONSECUTIVE_OFFLINE_SOFT_LIMIT':
      return result.decision === 'go-online'
        ? 'Too many offline approvals in a row (EMV LCOL) and the terminal is online: the card asks the issuer.'
        : 'Too many offline approvals in a row (EMV LCOL), but the terminal is offline: the card approves offline once more.';
    case 'CONSECUTIVE_OFFLINE_HARD_LIMIT':
      return result.decision === 'go-online'
        ? 'The consecutive-offline hard limit (EMV UCOL) is reached: only the issuer can approve (go online).'
        : 'The consecutive-offline hard limit (EMV UCOL) is reached and the terminal is offline: declined.';
    default:
      return EXPLANATIONS[result.code] ?? `The card answered ${result.code}.`;
  }
}

/** One line for a signed message's outcome (configuration, command, online result). */
function explainUpdate(outcome, context = {}) {
  if (outcome.code === 'ABOVE_CEILING') {
    const limit = findLimit(outcome.limits, context.limitId);
    return `The new value is above the issuer's ceiling for ${context.limitId ?? 'this limit'}${limit ? ` (${limit.ceiling})` : ''}: refused.`;
  }
  if (outcome.code === 'ONLINE_RESULT_APPLIED') {
    const parts = [];
    if (outcome.decision === 'approve') parts.push('the issuer approved the pending transaction (it now counts)');
    if (outcome.decision === 'decline') parts.push('the issuer declined the pending transaction');
    if (context.reset) parts.push(`the consecutive-offline counter is back to ${outcome.consecutiveOffline}`);
    return parts.length === 0 ? EXPLANATIONS.ONLINE_RESULT_APPLIED : `Accepted: ${parts.join('; ')}.`;
  }
  return EXPLANATIONS[outcome.code] ?? `The card answered ${outcome.code}.`;
}

function explainCode(code) {
  return EXPLANATIONS[code] ?? `The card answered ${code}.`;
}

function setBadge(id, text, tone) {
  const el = byTestId(id);
  el.textContent = text;
  el.classList.toggle('ok', tone === 'ok');
  el.classList.toggle('bad', tone === 'bad');
  el.classList.toggle('warn', tone === 'warn');
}

const decisionTone = (decision) => ({ approve: 'ok', decline: 'bad', 'go-online': 'warn' })[decision];

// ---------------------------------------------------------------------------------------------
// Demo state (localStorage) and the card (IndexedDB)

let sdk;
/** The demo's bookkeeping, mirrored to localStorage after every change. */
let demo;
/** Role objects rebuilt from `demo` (the SDK keeps their secret keys private). */
let roles = null;
let storage = null;
let store = null;
/** The card, restored from IndexedDB or created here; null before "Generate keys". */
let card = null;

function freshDemo() {
  return {
    version: DEMO_STATE_VERSION,
    cardId: null,
    issuer: null, // { keyId, algorithm, secretKey (hex) }
    app: null,
    seq: { config: 0, command: 0, online: 0 }, // the last sequence number each signer used
    clock: Math.floor(Date.now() / 1000),
    nextTx: 1,
    lastTx: null, // { id, amount }
    pendingOnline: null, // the authorisation request that went online
    lastAccepted: null, // { hex, seq, label }: the last command the card applied
    log: [],
  };
}

function persistDemo() {
  localStorage.setItem(LS_STATE, JSON.stringify(demo));
}

/**
 * The key that authenticates the card's snapshots. The demo keeps it in localStorage so a reload
 * can read the card back; a real device keeps it in its keystore (Android Keystore, iOS Keychain,
 * a secure element), never next to the data it protects.
 */
function snapshotKey() {
  const stored = localStorage.getItem(LS_SNAPSHOT_KEY);
  if (stored !== null) {
    const key = fromHex(stored);
    if (key.length !== SNAPSHOT_KEY_BYTES) throw demoError('DEMO_STATE_INVALID', 'the stored snapshot key is not 32 bytes; use "Reset demo"');
    return key;
  }
  const key = randomBytes(SNAPSHOT_KEY_BYTES);
  localStorage.setItem(LS_SNAPSHOT_KEY, toHex(key));
  return key;
}

function openStore() {
  if (store === null) {
    storage = new sdk.IndexedDbStorage(DB_NAME);
    store = new sdk.CardStore(storage, snapshotKey());
  }
  return store;
}

function buildRoles() {
  if (demo.issuer === null || demo.app === null || demo.cardId === null) return null;
  const issuerPair = sdk.keyPairFromSecret(demo.issuer.algorithm, fromHex(demo.issuer.secretKey));
  const appPair = sdk.keyPairFromSecret(demo.app.algorithm, fromHex(demo.app.secretKey));
  return {
    issuer: new sdk.Issuer(issuerPair, demo.issuer.keyId),
    app: new sdk.CompanionApp(appPair, demo.app.keyId, demo.cardId),
    appPair,
  };
}

/** Saves the card; a lost compare-and-swap race (another tab wrote first) is shown, not hidden. */
async function saveCard() {
  const saved = await openStore().save(card);
  const revision = card.freshness().revision;
  if (saved) {
    setSaveStatus('saved', `saved to IndexedDB "${DB_NAME}" (revision ${revision})`);
  } else {
    setSaveStatus(
      'conflict',
      `NOT saved: the stored card changed since this page read it (compare-and-swap lost to another tab); reload to continue from the stored state`,
    );
  }
  return saved;
}

function addLog(actor, text, code, tone) {
  demo.log.push({ clock: demo.clock, actor, text, code, tone });
  if (demo.log.length > LOG_ENTRIES_MAX) demo.log.splice(0, demo.log.length - LOG_ENTRIES_MAX);
}

const requireCard = () => {
  if (card === null) throw demoError('NO_CARD', 'generate the keys and the card first');
  return card;
};

function messageOptions(seq) {
  return { seq: BigInt(seq), issuedAt: demo.clock, expiresAt: demo.clock + ENVELOPE_LIFETIME_S };
}

function nextTransactionId() {
  return `tx-${String(demo.nextTx).padStart(4, '0')}`;
}

// ---------------------------------------------------------------------------------------------
// Actions (one at a time; each ends with a render and a bumped data-step on <body>)

const { action, bind } = actionRunner({ render });

async function generateKeys() {
  if (demo.cardId !== null) throw demoError('KEYS_EXIST', 'this demo already has its keys and card; use "Reset demo" to start over');
  const issuerPair = sdk.generateKeyPair(value('issuer-algorithm'));
  const appPair = sdk.generateKeyPair(value('app-algorithm'));
  const cardId = `card-${toHex(randomBytes(CARD_ID_RANDOM_BYTES))}`;
  // Same as Issuer.generate() / CompanionApp.generate(), but the demo keeps the secret keys to
  // rebuild both roles after a reload.
  const issuer = new sdk.Issuer(issuerPair, ISSUER_KEY_ID);
  const created = sdk.Card.create(cardId, issuer.publicKey);
  demo.cardId = cardId;
  demo.issuer = { keyId: ISSUER_KEY_ID, algorithm: issuerPair.algorithm, secretKey: toHex(issuerPair.secretKey) };
  demo.app = { keyId: APP_KEY_ID, algorithm: appPair.algorithm, secretKey: toHex(appPair.secretKey) };
  roles = buildRoles();
  card = created;
  addLog('issuer', `generated ${issuerPair.algorithm} issuer and ${appPair.algorithm} app keys; card ${cardId} trusts the issuer`, '', '');
  persistDemo();
  await saveCard();
  setText('restore-status', `card ${cardId} created`);
}

/** A money field of the configuration: required ones may not be empty (the card needs them). */
function amountField(id, { optional = false } = {}) {
  const text = value(id);
  if (text === '' && !optional) throw fieldError(id, 'is empty: enter an amount, like 100.00');
  return text;
}

function readConfig() {
  const timeZone = value('cfg-tz');
  if (timeZone === '') throw fieldError('cfg-tz', 'is empty: enter a time zone, like Europe/Paris');
  const day = { kind: 'day', timeZone };
  const limit = (fields) => {
    const out = { ...fields };
    for (const [k, v] of Object.entries(out)) if (v === '' || v === undefined) delete out[k];
    return out;
  };
  const count = (id, optional = false) => {
    const n = wholeNumber(id, { optional });
    return n === undefined ? undefined : String(n);
  };
  const limits = [
    limit({
      id: 'daily-count',
      measure: 'count',
      window: day,
      soft: count('cfg-count-soft', true),
      hard: count('cfg-count-hard'),
      ceiling: count('cfg-count-ceiling'),
      resettable: checked('cfg-count-resettable'),
    }),
    limit({
      id: 'daily-amount',
      measure: 'amount',
      currency: CURRENCY,
      window: day,
      soft: amountField('cfg-amount-soft', { optional: true }),
      hard: amountField('cfg-amount-hard'),
      ceiling: amountField('cfg-amount-ceiling'),
      resettable: checked('cfg-amount-resettable'),
    }),
  ];
  const cap = value('cfg-cap');
  if (cap !== '') limits.push({ id: 'per-payment', measure: 'amount', currency: CURRENCY, window: { kind: 'perTransaction' }, hard: cap });
  const config = {
    cardId: demo.cardId,
    currency: CURRENCY,
    limits,
    counting: COUNTING_POLICY,
    appKeys: [roles.app.publicKey],
    clockSkewS: CLOCK_SKEW_S,
  };
  const offlineSoft = wholeNumber('cfg-offline-soft', { optional: true });
  const offlineHard = wholeNumber('cfg-offline-hard', { optional: true });
  if (offlineSoft !== undefined || offlineHard !== undefined) {
    // Both or neither: an empty one beside a filled one is a mistake, named here.
    if (offlineSoft === undefined) throw fieldError('cfg-offline-soft', 'is empty: fill in both consecutive-offline fields, or neither');
    if (offlineHard === undefined) throw fieldError('cfg-offline-hard', 'is empty: fill in both consecutive-offline fields, or neither');
    config.consecutiveOffline = { soft: offlineSoft, hard: offlineHard };
  }
  const categories = value('cfg-blocked-mcc').split(/[\s,]+/).filter((c) => c !== '');
  for (const c of categories) if (!/^\d{4}$/.test(c)) throw fieldError('cfg-blocked-mcc', `must list 4-digit codes (like 7995), not “${c}”`);
  if (categories.length > 0) config.blockedMerchantCategories = categories;
  return config;
}

async function provision() {
  requireCard();
  const seq = demo.seq.config + 1;
  const envelope = roles.issuer.provision(readConfig(), messageOptions(seq));
  demo.seq.config = seq;
  persistDemo();
  const outcome = await card.applyConfig(envelope, demo.clock);
  setBadge('provision-code', outcome.code, outcome.accepted ? 'ok' : 'bad');
  setText('provision-explain', explainUpdate(outcome));
  addLog('issuer', `provisioned the configuration (seq ${seq})`, outcome.code, outcome.accepted ? 'ok' : 'bad');
  persistDemo();
  await saveCard();
}

async function goOnline() {
  requireCard();
  const pending = demo.pendingOnline;
  const reset = checked('online-reset');
  const approve = checked('online-approve');
  const result = {};
  if (pending !== null) {
    result.transactionId = pending.transactionId;
    result.approve = approve;
  }
  if (reset) result.resetConsecutiveOffline = true;
  if (pending === null && !reset) {
    throw demoError('NOTHING_TO_SEND', 'no go-online transaction is pending and no reset is asked: the issuer has nothing to sign');
  }
  const seq = demo.seq.online + 1;
  const envelope = roles.issuer.onlineResult(demo.cardId, result, messageOptions(seq));
  demo.seq.online = seq;
  persistDemo();
  const outcome = card.applyOnlineResult(envelope, demo.clock);
  setBadge('online-code', outcome.code, outcome.accepted ? 'ok' : 'bad');
  setBadge('online-decision', outcome.decision ?? '', decisionTone(outcome.decision));
  setText('online-explain', explainUpdate(outcome, { reset }));
  const what = [pending ? `${approve ? 'approve' : 'decline'} ${pending.transactionId}` : null, reset ? 'reset consecutive offline' : null]
    .filter(Boolean)
    .join(', ');
  addLog('issuer', `online result: ${what} (seq ${seq})`, outcome.code, outcome.accepted ? 'ok' : 'bad');
  if (pending !== null && (outcome.accepted || outcome.code === 'TRANSACTION_NOT_PENDING' || outcome.code === 'UNKNOWN_TRANSACTION')) {
    demo.pendingOnline = null;
  }
  if (pending !== null && outcome.accepted) {
    // The terminal asks the card again and gets the issuer's answer (EMV's second GENERATE AC):
    // the same transaction id, so nothing is counted twice.
    const final = card.authorise(pending);
    showDecision(final);
    addLog('terminal', `completed ${pending.transactionId} after the online result`, final.code, decisionTone(final.decision));
  }
  persistDemo();
  await saveCard();
}

function commandLabel(command) {
  switch (command.op) {
    case 'set':
      return `set ${command.limitId} to ${command.value}`;
    case 'change':
      return `change ${command.limitId} by ${command.delta.startsWith('-') ? '' : '+'}${command.delta}`;
    case 'reset':
      return `reset the usage of ${command.limitId}`;
    default:
      return command.op;
  }
}

async function sendCommand(build) {
  requireCard();
  const command = build();
  const label = commandLabel(command);
  const tamper = value('cmd-tamper');
  let envelope;
  let note = '';
  let seq = null;
  if (tamper === 'replay') {
    if (demo.lastAccepted === null) throw demoError('NOTHING_TO_REPLAY', 'the card has accepted no command yet: there is nothing to replay');
    envelope = fromHex(demo.lastAccepted.hex);
    note = `Sent the envelope of "${demo.lastAccepted.label}" (seq ${demo.lastAccepted.seq}) again, byte for byte, instead of "${label}".`;
  } else {
    seq = demo.seq.command + 1;
    let signer = roles.app;
    if (tamper === 'unknown-key') {
      signer = sdk.CompanionApp.generate(demo.cardId, STRANGER_KEY_ID, demo.app.algorithm);
      note = `Signed by a fresh key under key id "${STRANGER_KEY_ID}", which the issuer never listed for this card.`;
    } else if (tamper === 'forged') {
      signer = new sdk.CompanionApp(sdk.generateKeyPair(demo.app.algorithm), APP_KEY_ID, demo.cardId);
      note = `Signed by another key that claims the app's key id "${APP_KEY_ID}".`;
    } else if (tamper === 'other-card') {
      signer = new sdk.CompanionApp(roles.appPair, APP_KEY_ID, `${demo.cardId}-other`);
      note = `Signed by the genuine app key, but for card "${demo.cardId}-other".`;
    }
    envelope = signer.command(command, messageOptions(seq));
    if (tamper === 'flip') {
      const index = envelope.length - PAYLOAD_LAST_BYTE_FROM_END;
      envelope[index] ^= 0x01;
      note = `Flipped one bit of byte ${index} of ${envelope.length} (the last byte of the signed payload) after signing.`;
    }
    demo.seq.command = seq;
    persistDemo();
  }
  const outcome = card.applyCommand(envelope, demo.clock);
  if (outcome.accepted && tamper === 'none') demo.lastAccepted = { hex: toHex(envelope), seq, label };
  byTestId('cmd-tamper').value = 'none'; // a tamper applies to one command
  setBadge('cmd-code', outcome.code, outcome.accepted ? 'ok' : 'bad');
  setText('cmd-explain', explainUpdate(outcome, { limitId: command.limitId }));
  setText('cmd-note', note);
  const how = tamper === 'none' ? '' : ` [tampered: ${tamper}]`;
  addLog('app', `${tamper === 'replay' ? 'replayed an old command' : `${label} (seq ${seq})`}${how}`, outcome.code, outcome.accepted ? 'ok' : 'bad');
  persistDemo();
  await saveCard();
}

function showDecision(result) {
  setBadge('pos-decision', result.decision, decisionTone(result.decision));
  setBadge('pos-code', result.code, decisionTone(result.decision));
  setText('pos-explain', explainDecision(result));
  setText('pos-txid', `${result.transactionId}${result.repeated ? ' (repeated)' : ''}`);
  setText('pos-counter', String(result.transactionCounter));
  setText('pos-offline', String(result.consecutiveOffline));
}

async function pay() {
  requireCard();
  const transactionId = nextTransactionId();
  const request = {
    transactionId,
    amount: value('pos-amount'),
    currency: CURRENCY,
    time: demo.clock,
    terminalOnline: checked('pos-online'),
  };
  const category = value('pos-mcc');
  if (category !== '') request.merchantCategory = category;
  const result = card.authorise(request); // throws, recording nothing, on a malformed request
  demo.nextTx += 1;
  demo.lastTx = { id: transactionId, amount: request.amount };
  if (result.decision === 'go-online') demo.pendingOnline = request;
  showDecision(result);
  setText('pos-reverse-code', '');
  setText('pos-reverse-explain', '');
  addLog(
    'terminal',
    `${transactionId}: pay ${request.amount} ${CURRENCY}, terminal ${request.terminalOnline ? 'online' : 'offline'} → ${result.decision}`,
    result.code,
    decisionTone(result.decision),
  );
  persistDemo();
  await saveCard();
}

async function reverseLast() {
  requireCard();
  if (demo.lastTx === null) throw demoError('NO_TRANSACTION', 'there is no transaction to reverse yet');
  const outcome = card.reverse({ transactionId: demo.lastTx.id, time: demo.clock });
  const tone = outcome.code === 'REVERSED' ? 'ok' : 'bad';
  setBadge('pos-reverse-code', outcome.code, tone);
  setText('pos-reverse-explain', outcome.repeated ? 'Already reversed: the same answer, given back once.' : explainCode(outcome.code));
  addLog('terminal', `reverse ${demo.lastTx.id}`, outcome.code, tone);
  persistDemo();
  await saveCard();
}

async function preview() {
  requireCard();
  const request = {
    transactionId: nextTransactionId(),
    amount: value('preview-amount'),
    currency: CURRENCY,
    time: demo.clock,
    terminalOnline: checked('preview-online'),
  };
  const result = roles.app.preview(card, request);
  setBadge('preview-decision', result.decision, decisionTone(result.decision));
  setBadge('preview-code', result.code, decisionTone(result.decision));
  setText('preview-explain', explainDecision(result));
}

function advanceClock(seconds, label) {
  demo.clock += seconds;
  addLog('clock', `+${label} → ${formatLocal(demo.clock)}`, '', '');
  persistDemo();
}

async function resetDemo() {
  card?.free();
  card = null;
  roles = null;
  if (storage !== null) await storage.close();
  storage = null;
  store = null;
  await deleteDatabase(DB_NAME);
  localStorage.removeItem(LS_STATE);
  localStorage.removeItem(LS_SNAPSHOT_KEY);
  demo = freshDemo();
  for (const id of ['provision-code', 'provision-explain', 'online-code', 'online-decision', 'online-explain', 'cmd-code', 'cmd-explain', 'cmd-note',
    'preview-decision', 'preview-code', 'preview-explain', 'pos-decision', 'pos-code', 'pos-explain', 'pos-reverse-code', 'pos-reverse-explain']) {
    setText(id, '');
  }
  for (const id of ['pos-txid', 'pos-counter', 'pos-offline']) setText(id, '—');
  setText('restore-status', 'demo reset: IndexedDB database and localStorage cleared');
  setSaveStatus('idle', 'nothing saved yet');
}

// ---------------------------------------------------------------------------------------------
// Rendering

const CARD_BUTTONS = ['provision', 'go-online', 'preview-run', 'pos-pay'];
const COMMAND_BUTTONS = ['cmd-set', 'cmd-change', 'cmd-reset', 'cmd-block', 'cmd-unblock'];

function renderLimits(view) {
  const body = byTestId('limits-body');
  body.replaceChildren();
  const limits = view?.limits ?? [];
  for (const l of limits) {
    const row = document.createElement('tr');
    row.dataset.testid = 'limit-row';
    row.dataset.limitId = l.id;
    const cell = (testId, text, className) => {
      const td = document.createElement('td');
      td.dataset.testid = testId;
      td.textContent = text;
      if (className) td.className = className;
      row.append(td);
      return td;
    };
    cell('limit-id', l.id, 'mono');
    cell('limit-window', `${describeWindow(l.window)}${l.measure === 'amount' ? `, ${l.currency}` : ', count'}`);
    cell('limit-soft', l.soft ?? '—', 'num');
    cell('limit-limit', l.limit, 'num');
    cell('limit-ceiling', l.ceiling, 'num');
    cell('limit-used', l.used, 'num');
    const remaining = cell('limit-remaining', l.remaining, 'num');
    if (/^0(\.0+)?$/.test(l.remaining)) remaining.classList.add('exhausted');
    const resets = cell('limit-resets', '');
    if (l.resetsAt === null) {
      resets.textContent = l.window.kind === 'perTransaction' ? '— (each payment)' : 'never';
      resets.dataset.unix = '';
    } else {
      resets.dataset.unix = String(l.resetsAt);
      resets.textContent = formatLocal(l.resetsAt);
      const rel = document.createElement('span');
      rel.className = 'muted';
      rel.textContent = ` in ${formatDuration(l.resetsAt - demo.clock)}`;
      resets.append(rel);
    }
    body.append(row);
  }
  byTestId('limits-empty').hidden = limits.length > 0;

  const select = byTestId('cmd-limit');
  const previous = select.value;
  const ids = limits.map((l) => l.id);
  if (ids.join('\n') !== Array.from(select.options, (o) => o.value).join('\n')) {
    select.replaceChildren(...ids.map((id) => new Option(id, id)));
    if (ids.includes(previous)) select.value = previous;
  }
}

function render() {
  setText('clock-unix', String(demo.clock));
  setText('clock-local', formatLocal(demo.clock));

  setText('issuer-public-key', roles ? `${demo.issuer.keyId} · ${demo.issuer.algorithm} · ${toHex(roles.issuer.publicKey.publicKey)}` : 'none yet');
  setText('app-public-key', roles ? `${demo.app.keyId} · ${demo.app.algorithm} · ${toHex(roles.app.publicKey.publicKey)}` : 'none yet');
  if (demo.issuer) byTestId('issuer-algorithm').value = demo.issuer.algorithm;
  if (demo.app) byTestId('app-algorithm').value = demo.app.algorithm;

  const view = card?.view(demo.clock) ?? null;
  setText('card-id', demo.cardId ?? '—');
  const status = byTestId('card-status');
  status.dataset.state = view?.status ?? 'none';
  status.textContent = view?.status ?? 'no card';
  setText('card-counter', String(view?.transactionCounter ?? 0));
  setText('card-offline', String(view?.consecutiveOffline ?? 0));
  const offlineLimits = view?.consecutiveOfflineLimits;
  setText('card-offline-limits', offlineLimits ? `(soft ${offlineLimits.soft}, hard ${offlineLimits.hard})` : '');
  setText('card-app-keys', view && view.appKeyIds.length > 0 ? view.appKeyIds.join(', ') : '—');
  setText('card-revision', view ? String(view.freshness.revision) : '—');
  renderLimits(view);

  setText('issuer-config-seq', String(demo.seq.config));
  setText('issuer-online-seq', String(demo.seq.online));
  setText('app-next-seq', String(demo.seq.command + 1));
  const pending = demo.pendingOnline;
  setText('pending-online', pending ? `${pending.transactionId}: ${pending.amount} ${pending.currency}` : 'none');

  const hasCard = card !== null;
  const provisioned = view !== null && view.status !== 'unprovisioned';
  setEnabled('keys-generate', demo.cardId === null);
  setEnabled('issuer-algorithm', demo.cardId === null);
  setEnabled('app-algorithm', demo.cardId === null);
  for (const id of CARD_BUTTONS) setEnabled(id, hasCard);
  for (const id of COMMAND_BUTTONS) setEnabled(id, provisioned);
  setEnabled('pos-reverse', hasCard && demo.lastTx !== null);
  for (const id of ['clock-plus-hour', 'clock-plus-day', 'reset-demo']) setEnabled(id, true);

  renderLog(demo.log, (unix) => shortTime.format(new Date(unix * 1000)));
}

// ---------------------------------------------------------------------------------------------
// Start-up

/** Restores the demo: bookkeeping from localStorage, the card from its IndexedDB snapshot. */
async function restore() {
  demo = freshDemo();
  demo = loadDemoState(LS_STATE, DEMO_STATE_VERSION, freshDemo);
  roles = buildRoles();
  if (demo.cardId === null) {
    setText('restore-status', 'nothing stored yet');
    return;
  }
  const loaded = await openStore().load(demo.cardId);
  if (loaded === null) {
    throw demoError('CARD_MISSING', `localStorage names card ${demo.cardId} but IndexedDB holds no snapshot of it; use "Reset demo"`);
  }
  card = loaded;
  setText('restore-status', `restored ${demo.cardId} from its authenticated IndexedDB snapshot (revision ${card.freshness().revision})`);
}

async function main() {
  try {
    sdk = await import(SDK_URL);
    await sdk.init({ system: 'card' });
  } catch (err) {
    showInitError(err);
    return;
  }

  // Each control: what its last outcome is (emptied when it fails) and which input an SDK error's
  // parameter points to (the error names it by its label).
  const CONFIG_FIELDS = {
    timeZone: 'cfg-tz',
    'code:TIME_ZONE_UNKNOWN': 'cfg-tz',
    'code:TIME_ZONE_INVALID': 'cfg-tz',
    'per-payment.hard': 'cfg-cap',
    'daily-count.soft': 'cfg-count-soft',
    'daily-count.hard': 'cfg-count-hard',
    'daily-count.ceiling': 'cfg-count-ceiling',
    'daily-amount.soft': 'cfg-amount-soft',
    'daily-amount.hard': 'cfg-amount-hard',
    'daily-amount.ceiling': 'cfg-amount-ceiling',
    blockedMerchantCategories: 'cfg-blocked-mcc',
  };
  const PAYMENT = (prefix) => ({ amount: `${prefix}-amount`, merchantCategory: 'pos-mcc' });
  const COMMAND = { outcome: ['cmd-code', 'cmd-explain', 'cmd-note'], fields: { value: 'cmd-value', delta: 'cmd-delta' } };
  bind('keys-generate', generateKeys);
  bind('provision', provision, { outcome: ['provision-code', 'provision-explain'], fields: CONFIG_FIELDS });
  bind('go-online', goOnline, { outcome: ['online-code', 'online-decision', 'online-explain'] });
  const limitId = () => value('cmd-limit');
  const delta = () => {
    const raw = value('cmd-delta');
    if (raw === '') throw fieldError('cmd-delta', 'is empty: enter a number, like 2 or -2');
    return raw.startsWith('+') ? raw.slice(1) : raw; // "+2" is UI sugar; amounts have no leading "+"
  };
  const setValue = () => {
    const raw = value('cmd-value');
    if (raw === '') throw fieldError('cmd-value', 'is empty: enter the new limit, like 8');
    return raw;
  };
  bind('cmd-set', () => sendCommand(() => ({ op: 'set', limitId: limitId(), value: setValue() })), COMMAND);
  bind('cmd-change', () => sendCommand(() => ({ op: 'change', limitId: limitId(), delta: delta() })), COMMAND);
  bind('cmd-reset', () => sendCommand(() => ({ op: 'reset', limitId: limitId() })), COMMAND);
  bind('cmd-block', () => sendCommand(() => ({ op: 'block' })), COMMAND);
  bind('cmd-unblock', () => sendCommand(() => ({ op: 'unblock' })), COMMAND);
  bind('preview-run', preview, { outcome: ['preview-decision', 'preview-code', 'preview-explain'], fields: PAYMENT('preview') });
  bind('pos-pay', pay, { outcome: ['pos-decision', 'pos-code', 'pos-explain', 'pos-reverse-code', 'pos-reverse-explain'], fields: PAYMENT('pos') });
  bind('pos-reverse', reverseLast, { outcome: ['pos-reverse-code', 'pos-reverse-explain'] });
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
