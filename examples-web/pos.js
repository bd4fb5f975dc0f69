// System 4 demo: a cashier's terminal at an event space whose network comes and goes.
//
// The terminal is the SDK's PosTerminal, its state in IndexedDB (IndexedDbStorage): every stored
// payment is saved before the page says "stored", so a reload mid-queue finds the queue. The page
// plays the acquirer (a Map of committed answers by idempotency key, kept in localStorage, so a
// resend after a reload gets the same answer) and the network (a switch: off, every call fails).

import uPlot from '/vendor/uplot/uPlot.esm.js';
import { byTestId, setText, showInitError } from './demo-kit.js';
const SDK_URL = '/sdk/dist/index.js';

const DB_NAME = 'countersign-pos-demo';
const LS_ACQUIRER = 'countersign-pos-demo:acquirer';
const LS_LINK = 'countersign-pos-demo:link';
const LS_SERIES = 'countersign-pos-demo:series';
const LS_KEY = 'countersign-pos-demo:snapshot-key';
const SERIES_POINTS_MAX = 200;
const FORWARD_INTERVAL_MS = 1500;

const CONFIG = {
  terminalId: 'festival-stand-3',
  offline: {
    currencies: [{ currency: 'EUR', paymentMax: '50.00', totalMax: '100.00' }],
    countMax: 20,
    maxAgeMs: 3_600_000,
    floorLimits: [{ cardType: 'visa', currency: 'EUR', amount: '50.00' }, { cardType: 'amex', currency: 'EUR', amount: '25.00' }],
  },
  network: { failuresToOffline: 2, successesToOnline: 1, slowToDegraded: 3, slowLatencyMs: 2000, recoverHoldMs: 0 },
  outbox: { deadlineMs: 86_400_000, nearingMs: 3_600_000, backoffBaseMs: 500, backoffMaxMs: 4000 },
};

let sdk;
let terminal;
let linkOn = localStorage.getItem(LS_LINK) !== 'off';
const committed = new Map(JSON.parse(localStorage.getItem(LS_ACQUIRER) ?? '[]'));
const series = JSON.parse(localStorage.getItem(LS_SERIES) ?? '[[],[],[]]');
let chart;
let busy = false;

function snapshotKey() {
  let hex = localStorage.getItem(LS_KEY);
  if (hex === null) {
    hex = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, '0')).join('');
    localStorage.setItem(LS_KEY, hex);
  }
  return new Uint8Array(hex.match(/../g).map((h) => parseInt(h, 16)));
}

/** The page's acquirer: same key ⇒ the committed answer. */
function answer(request) {
  if (!linkOn) return Promise.reject(new Error('network off'));
  let a = committed.get(request.idempotencyKey);
  if (a === undefined) {
    a = { result: 'approved', code: `A${committed.size + 1000}` };
    committed.set(request.idempotencyKey, a);
    localStorage.setItem(LS_ACQUIRER, JSON.stringify([...committed]));
  }
  return new Promise((resolve) => setTimeout(() => resolve(a), 30));
}
const acquirer = { authorise: answer, forward: answer, probe: () => (linkOn ? Promise.resolve() : Promise.reject(new Error('network off'))) };

function render() {
  const status = terminal.status();
  const queue = terminal.exportQueue();
  const eur = status.totals.find((t) => t.currency === 'EUR');
  setText('link', linkOn ? 'on' : 'off');
  byTestId('toggle-network').textContent = linkOn ? 'Switch the network off' : 'Switch the network on';
  setText('network-state', status.network.state);
  setText('network-reason', status.network.reason ?? '');
  setText('pending-count', String(status.pendingCount));
  setText('pending-amount', eur.pendingAmount);
  setText('pending-max', eur.pendingMax);
  setText('approved-amount', eur.approvedAmount);
  setText('chain', queue.chainValid ? 'verified' : 'BROKEN');
  const body = byTestId('entries');
  body.replaceChildren(
    ...queue.entries.slice(-30).map((e) => {
      const row = document.createElement('tr');
      row.dataset.testid = `entry-${e.idempotencyKey}`;
      row.dataset.state = e.state;
      for (const [text, cls] of [[e.seq, 'num'], [e.idempotencyKey, ''], [e.amount, 'num'], [e.state, ''], [e.attempts, 'num'], [e.resultCode ?? '', '']]) {
        const cell = document.createElement('td');
        cell.textContent = String(text);
        if (cls) cell.className = cls;
        row.append(cell);
      }
      return row;
    }),
  );
  const t = Date.now() / 1000;
  series[0].push(t);
  series[1].push(Number(eur.pendingAmount));
  series[2].push(Number(eur.pendingMax));
  for (const s of series) s.splice(0, Math.max(0, s.length - SERIES_POINTS_MAX));
  localStorage.setItem(LS_SERIES, JSON.stringify(series));
  chart?.setData(series);
  document.body.dataset.pending = String(status.pendingCount);
}

async function run(body) {
  if (busy) return;
  busy = true;
  document.body.dataset.busy = 'true';
  try {
    await body();
  } catch (err) {
    setText('outcome', err.code ?? 'ERROR');
    setText('outcome-detail', err.message);
  } finally {
    busy = false;
    render();
    document.body.dataset.step = String(Number(document.body.dataset.step ?? 0) + 1);
    document.body.dataset.busy = 'false';
  }
}

async function main() {
  try {
    sdk = await import(SDK_URL);
    await sdk.init({ system: 'pos' });
    terminal = await sdk.PosTerminal.open({ storage: new sdk.IndexedDbStorage(DB_NAME), snapshotKey: snapshotKey(), config: CONFIG, acquirer });
  } catch (err) {
    showInitError(err);
    return;
  }
  terminal.observe({ kind: linkOn ? 'osOnline' : 'osOffline', atMs: Date.now() });
  chart = new uPlot(
    { width: Math.min(720, byTestId('chart').clientWidth || 600), height: 200, series: [{}, { label: 'stored (EUR)', stroke: '#c60' }, { label: 'offline limit', stroke: '#888', dash: [6, 4] }], axes: [{}, { label: 'EUR' }] },
    series,
    byTestId('chart'),
  );
  byTestId('toggle-network').addEventListener('click', () =>
    run(async () => {
      linkOn = !linkOn;
      localStorage.setItem(LS_LINK, linkOn ? 'on' : 'off');
      terminal.observe({ kind: linkOn ? 'osOnline' : 'osOffline', atMs: Date.now() });
      if (linkOn) await terminal.probe();
    }),
  );
  byTestId('take').addEventListener('click', () =>
    run(async () => {
      const key = `sale-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
      const card = byTestId('card').value;
      const out = await terminal.takePayment(
        { idempotencyKey: key, amount: byTestId('amount').value.trim(), currency: 'EUR', cardToken: card === 'visa' ? '4111111111111111' : '378282246310005', cardType: card },
        byTestId('mode').value,
      );
      setText('outcome', out.status);
      setText('outcome-detail', out.status === 'refused' ? out.code : out.status === 'stored' ? `${key} (${out.route.code})` : `${key} ${out.code ?? out.reason ?? ''}`);
    }),
  );
  byTestId('flush').addEventListener('click', () => run(() => terminal.flush()));
  setInterval(() => {
    if (linkOn && terminal.status().pendingCount > 0) run(() => terminal.forwardDue());
  }, FORWARD_INTERVAL_MS);
  render();
  const status = byTestId('sdk-status');
  status.dataset.state = 'ready';
  status.textContent = `ready (module ${sdk.loadedModule?.() ?? 'pos'})`;
  document.body.dataset.ready = 'true';
}

main();
