// System 6 demo: offline cash on a smart card, the issuer's view. Every decision is the
// countersign WebAssembly core's, through the SDK (EcashCard, EcashMerchant, EcashBackend,
// ecashSimulate). Cards A and B and the back-end are kept in IndexedDB through EcashStore
// (authenticated snapshots, compare-and-swap); the shops' held payments, the evidence and the
// simulator's last report in localStorage. A reload finds them all again.
import uPlot from '/vendor/uplot/uPlot.esm.js';
import { byTestId, setText, showInitError, toHex, fromHex } from './demo-kit.js';

const SDK_URL = '/sdk/dist/index.js';
const LS = 'countersign-ecash-demo:v1';
const KEY = new Uint8Array(32).fill(0x44); // demo snapshot key
const ISSUER_SK = new Uint8Array(32).fill(0x07);
const SIGNER = { keyId: 'issuer-1', secretKey: ISSUER_SK };
const CARDS = { 'card-a': new Uint8Array(32).fill(0x0a), 'card-b': new Uint8Array(32).fill(0x0b) };
const POLICY = { limits: { singleMax: '5000', cumulativeMax: '20000', countMax: 10 }, validityS: 86400, counterWindow: 100, velocity: { windowS: 3600, countMax: 8, amountMax: '30000' } };

const DB_NAME = 'countersign-ecash-demo';
let sdk;
let store; // EcashStore over IndexedDB: the cards and the back-end
let live; // { backend, cards: {id: EcashCard} }: the objects, saved after every action
let state; // { now, backend: hex, cards: {id: hex}, shops: {id: [hex records]}, evidence: [..] }
const euro = (minor) => `${(Number(minor) / 100).toFixed(2)}`;

function issuer() {
  return { keyId: 'issuer-1', publicKey: sdk.ed25519PublicKey(ISSUER_SK) };
}
function fresh() {
  const backend = sdk.EcashBackend.create(POLICY);
  const cards = {};
  for (const [id, sk] of Object.entries(CARDS)) {
    const security = backend.register(SIGNER, id, sdk.ed25519PublicKey(sk), '10000', 1_800_000_000);
    cards[id] = sdk.EcashCard.create(id, sk, issuer(), security, 1_800_000_000);
  }
  live = { backend, cards };
  return { now: 1_800_000_000, shops: { 'shop-1': [], 'shop-2': [] }, evidence: [], last: null };
}
async function save() {
  localStorage.setItem(LS, JSON.stringify(state));
  for (const c of Object.values(live.cards)) await store.saveCard(c);
  await store.saveBackend('main', live.backend);
}
const card = (id) => live.cards[id];
const backend = () => live.backend;
const tick = () => (state.now += 60);

/** A new card for an attacker, registered with the back-end (100.00). */
function newAttacker() {
  state.attackers = (state.attackers ?? 0) + 1;
  const id = `mallory-${state.attackers}`;
  const sk = new Uint8Array(32).fill(0x20 + (state.attackers % 200));
  const b = backend();
  const security = b.register(SIGNER, id, sdk.ed25519PublicKey(sk), '10000', state.now);
  return sdk.EcashCard.create(id, sk, issuer(), security, state.now);
}

function payTo(from, payee, amount, holder = card(from)) {
  const paid = holder.pay(payee, amount, tick());
  if (!paid.ok) return paid.refusal;
  let ack;
  if (payee.startsWith('shop')) {
    const merchant = sdk.EcashMerchant.create(payee, issuer());
    ack = merchant.receive(paid.payment, state.now);
    if (ack.ok) state.shops[payee].push(toHex(merchant.takeDeposit()[0]));
  } else {
    const to = card(payee);
    ack = to.receive(paid.payment, state.now);
  }
  if (ack.ok) holder.confirm(ack.ack);
  return ack.ok ? 'paid' : ack.refusal;
}
function sync(id, holder = card(id), request = null) {
  const b = backend();
  const req = request ?? holder.syncRequest(tick());
  const out = b.sync(SIGNER, req, state.now);
  if (out.outcome === 'clean') holder.accept(out.security, state.now);
  if (out.outcome === 'abnormal') holder.accept(out.instruction, state.now);
  state.last = toHex(req);
  return out;
}
function record(attack, findings) {
  for (const f of findings) {
    const ev = Object.entries(f.evidence).map(([k, v]) => `${k}=${v instanceof Uint8Array ? toHex(v).slice(0, 24) + '…' : v}`).join(' ');
    state.evidence.unshift({ attack, text: `${f.code} (${f.action}) on ${f.subject}: ${ev}` });
  }
  if (findings.length === 0) state.evidence.unshift({ attack, text: 'nothing found' });
}

const actions = {
  'pay-shop': () => { const c = card('card-a'); payTo('card-a', 'shop-1', '1200', c); },
  'pay-card': () => { const c = card('card-a'); payTo('card-a', 'card-b', '500', c); },
  online: () => {
    for (const id of Object.keys(CARDS)) { const c = card(id); record('online', sync(id, c).findings); }
  },
  deposit: () => {
    const b = backend();
    for (const [shop, records] of Object.entries(state.shops)) { record('deposit', b.deposit(shop, records.map(fromHex)).findings); state.shops[shop] = []; }
  },
  reset: () => { state = fresh(); },
  // Each attack that gets a card blocked is made with a fresh card of its own (mallory-n), so
  // the honest cards A and B stay usable and are never flagged.
  'attack-clone': () => {
    const m = newAttacker(); const twin = sdk.EcashCard.restore(m.snapshot(KEY), KEY);
    payTo(m.view().id, 'shop-1', '300', m);
    record('clone', sync(m.view().id, m).findings);
    payTo(m.view().id, 'shop-2', '300', twin);
    record('clone', sync(m.view().id, twin).findings);
  },
  'attack-replay': () => {
    if (!state.last) actions.online();
    const b = backend();
    record('replay', b.sync(SIGNER, fromHex(state.last), tick()).findings);
  },
  'attack-rollback': () => {
    const m = newAttacker(); const old = m.snapshot(KEY);
    for (let i = 0; i < 2; i++) { payTo(m.view().id, 'shop-1', '100', m); sync(m.view().id, m); }
    record('rollback', sync(m.view().id, sdk.EcashCard.restore(old, KEY)).findings);
  },
  'attack-double-spend': () => {
    const m = newAttacker(); const fork = sdk.EcashCard.restore(m.snapshot(KEY), KEY);
    payTo(m.view().id, 'shop-1', '700', m); payTo(m.view().id, 'shop-2', '700', fork);
    const b = backend();
    for (const [shop, records] of Object.entries(state.shops)) { record('double spend', b.deposit(shop, records.map(fromHex)).findings); state.shops[shop] = []; }
  },
  'attack-relay': () => {
    const c = card('card-a'); payTo('card-a', 'shop-1', '150', c);
    const captured = fromHex(state.shops['shop-1'].at(-1));
    const b = backend();
    record('relay', b.deposit('shop-2', [captured]).findings);
  },
  simulate: () => {
    const limits = { singleMax: byTestId('single-max').value.trim(), cumulativeMax: byTestId('cumulative-max').value.trim(), countMax: Number(byTestId('count-max').value) };
    const report = sdk.ecashSimulate({
      seed: 42, cards: 200, merchants: 10, steps: 96, stepS: 900, offlineSteps: 12, payPercent: 20, openingBalance: '50000', limits, validityS: 86400,
      attacks: [{ kind: 'clone', card: 3, step: 4 }, { kind: 'replay', card: 5, step: 2 }, { kind: 'rollback', card: 7, step: 1 }, { kind: 'double-spend', card: 9, step: 10 }, { kind: 'relay', card: 11, step: 6 }],
    });
    state.sim = report;
  },
};

function render() {
  const b = backend();
  const box = byTestId('cards');
  box.replaceChildren();
  for (const id of Object.keys(CARDS)) {
    const v = card(id).view();
    const div = document.createElement('div');
    div.className = 'card';
    div.dataset.testid = `card-${id}`;
    div.textContent = `${id}: available ${euro(v.available)}, pending ${euro(v.pending)}, counter ${v.counter}, back-end ${euro(b.balance(id))}${v.blocked ? ' — BLOCKED' : ''}`;
    box.append(div);
  }
  setText('total', euro(b.total()));
  setText('blocklist', b.blocklist().join(', ') || 'none');
  const rows = byTestId('evidence');
  rows.replaceChildren(...state.evidence.slice(0, 30).map((e) => {
    const tr = document.createElement('tr');
    const a = document.createElement('td'); a.textContent = e.attack; a.style.width = '8rem';
    const t = document.createElement('td'); t.textContent = e.text;
    tr.append(a, t);
    return tr;
  }));
  if (state.sim) {
    const r = state.sim;
    setText('sim-summary', `${r.payments} payments; detected ${r.detectionPerMille / 10}% of attacks; honest cards flagged: ${r.honestFlagged.length}; bound per attacking card and period ${euro(r.valueAtRiskBound)}`);
    const xs = r.valueAtRiskByStep.map((_, i) => (i * 900) / 3600);
    const ys = r.valueAtRiskByStep.map((v) => Number(v) / 100);
    const el = document.getElementById('chart');
    el.replaceChildren();
    new uPlot({ width: Math.min(800, el.clientWidth || 800), height: 220, series: [{ label: 'hours' }, { label: 'value at risk', stroke: '#c33' }] }, [xs, ys], el);
  }
}

async function main() {
  try {
    sdk = await import(SDK_URL);
    await sdk.init({ system: 'ecash' });
    store = new sdk.EcashStore(new sdk.IndexedDbStorage(DB_NAME), KEY);
    const stored = localStorage.getItem(LS);
    const loaded = { backend: await store.loadBackend('main'), cards: {} };
    for (const id of Object.keys(CARDS)) loaded.cards[id] = await store.loadCard(id);
    if (stored && loaded.backend && Object.values(loaded.cards).every(Boolean)) {
      state = JSON.parse(stored);
      live = loaded;
    } else {
      state = fresh();
    }
    for (const [name, fn] of Object.entries(actions)) {
      byTestId(name).addEventListener('click', async () => {
        document.body.dataset.busy = 'true';
        try { fn(); await save(); render(); } catch (e) { setText('error-message', String(e.message ?? e)); byTestId('error-banner').hidden = false; }
        document.body.dataset.busy = 'false';
      });
    }
    await save();
    render();
    const status = byTestId('sdk-status');
    status.dataset.state = 'ready';
    status.textContent = 'ready';
  } catch (e) {
    showInitError(e);
  }
}
main();
