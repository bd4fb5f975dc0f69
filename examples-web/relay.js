// The relay demo (System 5): phone, relay terminal and server on one page. Every rule is the
// SDK's: the phone seals and verifies (PaymentPhone), the server decides (TokenServer), the
// terminal's queue is a StoredRelayQueue; the "network" between terminal and server is the
// checkbox. State lives in IndexedDB, so a reload finds the queue, the phone and the server as
// they were.
import qrcode from '/vendor/qrcode-generator/qrcode.mjs';
import { byTestId, fromHex, setText, showError, showInitError, toHex } from './demo-kit.js';

const SDK_URL = '/sdk/dist/index.js';
const DB_NAME = 'countersign-relay-demo';
const NOW = () => Math.floor(Date.now() / 1000);
const ALLOWANCE = [
  { id: 'per-token', measure: 'amount', currency: 'EUR', window: { kind: 'perTransaction' }, hard: '20.00' },
  { id: 'outstanding', measure: 'amount', currency: 'EUR', window: { kind: 'lifetime' }, hard: '30.00' },
];

let sdk;
let store;
let queue;
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
  queue = new sdk.StoredRelayQueue(storage);
  phone = (await store.loadPhone('phone', keys.phone)) ?? sdk.PaymentPhone.create({ deviceId: 'ph1', allowance: ALLOWANCE }, keys.phone);
  server = await store.loadServer('server', keys.server);
  if (server === null) {
    server = sdk.TokenServer.create('EUR', NOW(), keys.server);
    server.registerDevice('ph1', phone.publicKey, [], NOW());
    server.addPayee('cafe', NOW());
    server.fund('ph1', '50.00', NOW());
  }
  await save();
}

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
  const entries = await queue.list();
  byTestId('queue').replaceChildren(...entries.map((e) => {
    const li = document.createElement('li');
    li.dataset.testid = 'queued';
    li.dataset.state = e.answer === null ? 'waiting' : 'answered';
    li.textContent = `${e.key.slice(0, 12)}…: ${e.answer === null ? 'waiting for the server' : `answered ${e.answer.code}`}`;
    return li;
  }));
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
    await queue.enqueue(toHex(sdk.sha256(lastToken)), lastToken);
    await actions.forward();
  },
  async forward() {
    if (!byTestId('server-reachable').checked) {
      setText('relay-status', 'server unreachable: tokens wait in the queue');
      return;
    }
    let answered = 0;
    for (let next = await queue.nextPending(); next !== null; next = await queue.nextPending()) {
      const reply = await forward(next.token);
      await queue.markAnswered(next.key, { code: reply.code, replayed: reply.replayed, receipt: reply.receipt });
      answered++;
    }
    setText('relay-status', `forwarded ${answered}`);
  },
  async tamper() {
    const entries = await queue.list();
    if (entries.length === 0) return;
    const altered = entries[entries.length - 1].token.slice();
    altered[altered.length - 20] ^= 1;
    const reply = await forward(altered);
    setText('relay-status', `altered copy: ${reply.code}${reply.receipt === null ? ', no receipt' : ''}`);
  },
  async collect() {
    for (const e of await queue.list()) {
      if (e.answer === null) continue;
      if (e.answer.receipt !== null) phone.acceptReceipt(e.answer.receipt, server.publicKey, NOW());
      else phone.noteRefusal(e.key, e.answer.code);
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
    await sdk.init({ system: 'relay' });
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
