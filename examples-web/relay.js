// The relay demo (System 5): phone, relay terminal and server on one page. Every rule is the
// SDK's: the phone seals and verifies (PaymentPhone), the server decides (TokenServer), the
// terminal is a RelayTerminal — a POS terminal whose outbox (System 4's: hash-chained, saved
// before a token is acknowledged, forwarded in order with backoff) holds the tokens; the
// "network" between terminal and server is the checkbox. One WebAssembly module holds both
// systems (`init({ systems: ['pos', 'relay'] })` loads the `terminal` module). State lives in
// IndexedDB, so a reload finds the outbox, the phone and the server as they were.
import qrcode from '/vendor/qrcode-generator/qrcode.mjs';
import { byTestId, fromHex, setText, showError, showInitError, toHex } from './demo-kit.js';

const SDK_URL = '/sdk/dist/index.js';
const DB_NAME = 'countersign-relay-demo';
const NOW = () => Math.floor(Date.now() / 1000);
const ALLOWANCE = [
  { id: 'per-token', measure: 'amount', currency: 'EUR', window: { kind: 'perTransaction' }, hard: '20.00' },
  { id: 'outstanding', measure: 'amount', currency: 'EUR', window: { kind: 'lifetime' }, hard: '30.00' },
];
/** The relay's offline limits: what may wait for the server at once. */
const RELAY_CONFIG = {
  terminalId: 'relay-demo',
  offline: { currencies: [{ currency: 'EUR', paymentMax: '20.00', totalMax: '100.00' }], countMax: 32, maxAgeMs: 86_400_000 },
};

let sdk;
let store;
let relay;
let phone;
let server;
let keys;
let lastToken = null;
let lastAnswer = '—';

/** Keys and the snapshot key live in localStorage (a demo; a real phone keeps its key in its keystore). */
function demoKeys() {
  let saved = localStorage.getItem(DB_NAME);
  if (saved === null) {
    const fresh = { phone: toHex(crypto.getRandomValues(new Uint8Array(32))), server: toHex(crypto.getRandomValues(new Uint8Array(32))), snapshot: toHex(crypto.getRandomValues(new Uint8Array(32))) };
    saved = JSON.stringify(fresh);
    localStorage.setItem(DB_NAME, saved);
  }
  const k = JSON.parse(saved);
  return {
    phone: sdk.keyPairFromSecret('EdDSA', fromHex(k.phone)),
    server: sdk.keyPairFromSecret('EdDSA', fromHex(k.server)),
    snapshot: fromHex(k.snapshot),
  };
}

async function load() {
  keys = demoKeys();
  const storage = new sdk.IndexedDbStorage(DB_NAME);
  store = new sdk.RelayStore(storage, keys.snapshot);
  phone = (await store.loadPhone('phone', keys.phone)) ?? sdk.PaymentPhone.create({ deviceId: 'ph1', allowance: ALLOWANCE }, keys.phone);
  server = await store.loadServer('server', keys.server);
  if (server === null) {
    server = sdk.TokenServer.create('EUR', NOW(), keys.server);
    server.registerDevice('ph1', phone.publicKey, [], NOW());
    server.addPayee('cafe', NOW());
    server.fund('ph1', '50.00', NOW());
  }
  await save();
  // The token server is on this page: the relay's client throws while the checkbox says it is
  // unreachable, so the outbox keeps the token and schedules a retry, as with a dead link.
  relay = await sdk.RelayTerminal.open({
    storage,
    snapshotKey: keys.snapshot,
    config: RELAY_CONFIG,
    server: {
      async submit(token) {
        if (!byTestId('server-reachable').checked) throw new Error('server unreachable');
        const reply = await forward(token);
        return { code: reply.code, replayed: reply.replayed, receipt: reply.receipt };
      },
    },
  });
}

const tokenEntries = () => relay.exportQueue().entries.filter((e) => e.kind === 'token');

async function save() {
  await store.savePhone('phone', phone);
  await store.saveServer('server', server);
}

function showQr(token) {
  const qr = qrcode(0, 'M');
  // Byte mode over the raw token bytes (each char code is one byte).
  qr.addData(String.fromCharCode(...token), 'Byte');
  qr.make();
  byTestId('qr').innerHTML = qr.createSvgTag({ cellSize: 3, margin: 2, scalable: true });
  const version = (qr.getModuleCount() - 17) / 4;
  setText('qr-version', String(version));
  byTestId('qr').dataset.version = String(version);
  byTestId('qr').dataset.expected = String(sdk.relayQrVersion(token.length));
}

async function render() {
  const left = phone.allowance(NOW()).find((l) => l.id === 'outstanding');
  setText('allowance', `${left.remaining} EUR`);
  const list = byTestId('phone-tokens');
  list.replaceChildren(...phone.tokens().map((t) => {
    const li = document.createElement('li');
    li.dataset.testid = 'phone-token';
    li.dataset.state = t.state;
    li.textContent = `#${t.counter}${t.amount ? ` ${t.amount} ${t.currency}` : ''}: ${sdk.relayTokenStatus(t)}`;
    return li;
  }));
  byTestId('queue').replaceChildren(...tokenEntries().map((e) => {
    const li = document.createElement('li');
    li.dataset.testid = 'queued';
    li.dataset.state = e.state;
    const waiting = e.state === 'stored' || e.state === 'forwarding';
    li.textContent = `#${e.seq} ${e.idempotencyKey.slice(0, 12)}… ${e.amount} ${e.currency}: ${waiting ? `waiting for the server (${e.attempts} tries)` : `${e.state} ${e.resultCode}`}`;
    return li;
  }));
  const queue = relay.exportQueue();
  setText('outbox', `${relay.pos.status().pendingCount} waiting, chain ${queue.chainValid ? 'verified' : 'BROKEN'}`);
  setText('wallet', `${server.balance('device', 'ph1')} EUR`);
  setText('cafe', `${server.balance('payee', 'cafe')} EUR`);
  setText('last-answer', lastAnswer);
}

async function forward(token) {
  const reply = server.process(token, NOW());
  await save(); // the server saves before it answers
  lastAnswer = reply.code + (reply.replayed ? ' (replayed: same receipt bytes)' : '');
  return reply;
}

const actions = {
  async pay() {
    const out = phone.seal({ payee: 'cafe', amount: byTestId('amount').value.trim(), currency: 'EUR', now: NOW() });
    await save();
    if (out.token === null) {
      lastAnswer = `phone refused: ${out.code} (${out.limitId})`;
      return;
    }
    lastToken = out.token;
    setText('token-bytes', String(out.token.length));
    showQr(out.token);
  },
  async scan() {
    if (lastToken === null) throw Object.assign(new Error('the phone shows no QR code yet'), { code: 'NO_TOKEN' });
    const accepted = await relay.accept(lastToken);
    if (accepted.code !== 'STORED' && accepted.code !== 'ALREADY_STORED') {
      setText('relay-status', `terminal refused the token: ${accepted.code}`);
      return;
    }
    await actions.forward();
  },
  async forward() {
    const { answered, reachable } = await relay.flush();
    setText('relay-status', reachable ? `forwarded ${answered}` : 'server unreachable: tokens wait in the queue');
  },
  async tamper() {
    const entries = tokenEntries();
    if (entries.length === 0) return;
    const altered = fromHex(entries[entries.length - 1].payload);
    altered[altered.length - 20] ^= 1;
    const reply = await forward(altered);
    setText('relay-status', `altered copy: ${reply.code}${reply.receipt === null ? ', no receipt' : ''}`);
  },
  async collect() {
    for (const t of phone.tokens().filter((t) => t.state !== 'settled')) {
      const status = await relay.statusFor(t.tokenHash);
      if (status.state !== 'answered') continue;
      if (status.answer.receipt !== null) phone.acceptReceipt(status.answer.receipt, server.publicKey, NOW());
      else phone.noteRefusal(t.tokenHash, status.answer.code);
    }
    await save();
  },
  async reset() {
    localStorage.removeItem(DB_NAME);
    await new Promise((resolve) => {
      const req = indexedDB.deleteDatabase(DB_NAME);
      req.onsuccess = req.onerror = req.onblocked = () => resolve();
    });
    location.reload();
  },
};

async function main() {
  try {
    sdk = await import(SDK_URL);
    // The terminal relays tokens and is a POS: one module holds both systems.
    await sdk.init({ systems: ['pos', 'relay'] });
    await load();
    await render();
  } catch (err) {
    showInitError(err);
    return;
  }
  for (const [id, run] of Object.entries(actions)) {
    byTestId(id).addEventListener('click', async () => {
      document.body.dataset.busy = 'true';
      try {
        await run();
        await render();
      } catch (err) {
        showError(err);
      } finally {
        document.body.dataset.busy = 'false';
      }
    });
  }
  byTestId('sdk-status').dataset.state = 'ready';
  setText('sdk-status', 'ready');
}

main();
