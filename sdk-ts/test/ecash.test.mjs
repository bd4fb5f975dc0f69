// System 6 through the SDK: an offline day (card → shop, card → card, syncs, a deposit) with money
// as decimal strings; the Python model's vectors replayed through the SDK byte for byte; attacks
// and their evidence (a double-spend proof anyone can verify); what the SDK refuses before
// anything crosses; the simulator; and the back-end as a server on 127.0.0.1 whose state lives in
// a FileStorage and survives a restart in the middle of the day.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EcashBackend, EcashCard, EcashMerchant, EcashStore, FileStorage, MemoryStorage, PostgresStorage, ecashSimulate, ecashVerifyDoubleSpend, ed25519PublicKey } from '@countersign/sdk';
import { SKIP_NO_SERVER, dropTables, freshPrefix, testPool } from './postgres-server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const vectors = (name) => JSON.parse(readFileSync(path.join(here, '../../tests/vectors/ecash', name), 'utf8'));
const hex = (b) => Buffer.from(b).toString('hex');
const T0 = 1_700_000_000;
const ISSUER_SK = new Uint8Array(32).fill(7);
const SIGNER = { keyId: 'issuer-1', secretKey: ISSUER_SK };
const ISSUER = { keyId: 'issuer-1', publicKey: ed25519PublicKey(ISSUER_SK) };
const POLICY = { limits: { singleMax: '5000', cumulativeMax: '20000', countMax: 10 }, validityS: 86400, counterWindow: 100, velocity: { windowS: 3600, countMax: 8, amountMax: '30000' } };
const skOf = (i) => new Uint8Array(32).fill(i + 1);
const KEY = new Uint8Array(32).fill(0x33);

function world() {
  const backend = EcashBackend.create(POLICY);
  const cards = [0, 1].map((i) => {
    const security = backend.register(SIGNER, `card-${i}`, ed25519PublicKey(skOf(i)), '10000', T0);
    return EcashCard.create(`card-${i}`, skOf(i), ISSUER, security, T0);
  });
  return { backend, cards, shop: EcashMerchant.create('shop-a', ISSUER) };
}

test('an offline day: payments, syncs and a deposit add up, money as strings', () => {
  const { backend, cards, shop } = world();
  const p = cards[0].pay('shop-a', '1500', T0 + 10);
  assert.equal(p.ok, true);
  const ack = shop.receive(p.payment, T0 + 10);
  assert.equal(ack.ok, true);
  assert.equal(cards[0].confirm(ack.ack), true);
  const q = cards[0].pay('card-1', '2000', T0 + 20);
  const ack2 = cards[1].receive(q.payment, T0 + 21);
  assert.equal(cards[0].confirm(ack2.ack), true);
  assert.deepEqual([cards[0].view().available, cards[1].view().pending], ['6500', '2000']);
  for (const c of cards) {
    const out = backend.sync(SIGNER, c.syncRequest(T0 + 100), T0 + 100);
    assert.equal(out.outcome, 'clean');
    assert.equal(c.accept(out.security, T0 + 100), 'security');
  }
  assert.deepEqual(backend.deposit('shop-a', shop.takeDeposit()), { credited: '1500', findings: [] });
  assert.deepEqual([backend.balance('card-0'), backend.balance('card-1'), backend.merchantBalance('shop-a'), backend.total()], ['6500', '12000', '1500', '20000']);
  assert.equal(cards[1].view().available, '12000');
  // A card survives a snapshot and restore exactly.
  const again = EcashCard.restore(cards[1].snapshot(KEY), KEY);
  assert.deepEqual(again.view(), cards[1].view());
});

/** An SDK finding in the vectors' JSON form (the Rust vector test's `evidence_json`). */
function findingJson(f) {
  const { kind, ...fields } = f.evidence;
  const evidence = {};
  for (const [k, v] of Object.entries(fields)) {
    evidence[k] = v instanceof Uint8Array ? hex(v) : typeof v === 'string' && /^[0-9]+$/.test(v) && k !== 'limit' ? Number(v) : v;
  }
  return { code: f.code, subject: f.subject, action: f.action, evidence };
}

/** Scenario steps that tamper with a request need the core's record signer: the Rust vector test runs those. */
const tampers = (step) => ['entryAmount', 'replaceEntries', 'availableAdd', 'available', 'counter'].some((k) => k in step);

test('the Python model\'s vectors through the SDK: envelopes, records, requests, outcomes and findings byte for byte', () => {
  const sec = vectors('security.json');
  const backend = EcashBackend.create(POLICY);
  assert.equal(hex(backend.register(SIGNER, 'card-0', ed25519PublicKey(skOf(0)), '10000', T0)), sec.cases[0].envelope);
  const doc = vectors('scenarios.json');
  let ran = 0;
  for (const scenario of doc.scenarios) {
    if (scenario.steps.some(({ step }) => tampers(step))) continue;
    const be = EcashBackend.create(POLICY);
    const byId = {};
    for (let i = 0; i < scenario.cards; i++) {
      byId[`card-${i}`] = EcashCard.create(`card-${i}`, skOf(i), ISSUER, be.register(SIGNER, `card-${i}`, ed25519PublicKey(skOf(i)), '10000', T0), T0);
    }
    const shops = { 'shop-a': EcashMerchant.create('shop-a', ISSUER), 'shop-b': EcashMerchant.create('shop-b', ISSUER) };
    const held = { 'shop-a': [], 'shop-b': [] };
    const last = {};
    for (const [n, { step, expect }] of scenario.steps.entries()) {
      const at = `${scenario.name} step ${n}`;
      const got = {};
      if (step.op === 'pay') {
        const out = byId[step.card].pay(step.payee, String(step.amount), step.time);
        if (!out.ok) got.refusal = out.refusal;
        else {
          const record = out.payment.subarray(4 + new DataView(out.payment.buffer, out.payment.byteOffset).getUint32(0));
          got.record = hex(record);
          const ack = shops[step.payee] ? shops[step.payee].receive(out.payment, step.time) : byId[step.payee].receive(out.payment, step.time);
          if (ack.ok) {
            assert.equal(byId[step.card].confirm(ack.ack), true, at);
            if (shops[step.payee]) held[step.payee].push(record);
          } else got.payeeRefusal = ack.refusal;
        }
      } else if (step.op === 'copy') {
        byId[step.to] = EcashCard.restore(byId[step.from].snapshot(KEY), KEY);
      } else if (step.op === 'sync') {
        const card = byId[step.card];
        const request = step.resend ? last[step.card] : card.syncRequest(step.time);
        last[step.card] = request;
        got.request = hex(request);
        const out = be.sync(SIGNER, request, step.time);
        got.outcome = out.outcome;
        got.findings = out.findings.map(findingJson);
        if (out.outcome === 'clean') {
          Object.assign(got, { credited: Number(out.credited), debited: Number(out.debited), security: hex(out.security) });
          got.accepted = card.accept(out.security, step.time);
        } else if (out.outcome === 'abnormal') {
          got.instruction = hex(out.instruction);
          got.accepted = card.accept(out.instruction, step.time);
        }
      } else if (step.op === 'deposit') {
        const from = step.from ?? step.merchant;
        const records = step.keep ? held[from].slice() : held[from].splice(0);
        if (!step.keep) shops[from].takeDeposit();
        const out = be.deposit(step.merchant, records);
        Object.assign(got, { credited: Number(out.credited), findings: out.findings.map(findingJson) });
      }
      if (step.op !== 'copy') assert.deepEqual(got, expect, at);
    }
    for (const [id, b] of Object.entries(scenario.final.backend)) {
      assert.deepEqual({ balance: Number(be.balance(id)), status: be.status(id) }, b, `${scenario.name}: back-end ${id}`);
    }
    assert.equal(be.absorbed(), String(scenario.final.absorbed), `${scenario.name}: absorbed`);
    ran++;
  }
  assert.ok(ran >= 9, `${ran} scenarios through the SDK`);
});

test('attacks leave evidence; a double-spend proof verifies with the card key alone', () => {
  const { backend, cards } = world();
  const twin = EcashCard.restore(cards[0].snapshot(KEY), KEY);
  const a = EcashMerchant.create('shop-a', ISSUER);
  const b = EcashMerchant.create('shop-b', ISSUER);
  cards[0].confirm(a.receive(cards[0].pay('shop-a', '100', T0 + 1).payment, T0 + 1).ack);
  twin.confirm(b.receive(twin.pay('shop-b', '100', T0 + 1).payment, T0 + 1).ack);
  assert.deepEqual(backend.deposit('shop-a', a.takeDeposit()).findings, []);
  const { findings } = backend.deposit('shop-b', b.takeDeposit());
  assert.equal(findings.length, 1);
  assert.deepEqual([findings[0].code, findings[0].subject, findings[0].action, findings[0].evidence.kind], ['DOUBLE_SPEND', 'card-0', 'block', 'double-spend']);
  assert.equal(ecashVerifyDoubleSpend(findings[0].evidence.proof, ed25519PublicKey(skOf(0))), true);
  assert.equal(ecashVerifyDoubleSpend(findings[0].evidence.proof, ed25519PublicKey(skOf(1))), false);
  assert.equal(backend.status('card-0'), 'block');
  assert.equal(backend.absorbed(), '100');
  const out = backend.sync(SIGNER, cards[0].syncRequest(T0 + 5), T0 + 5);
  assert.equal(out.outcome, 'abnormal');
  assert.equal(cards[0].accept(out.instruction, T0 + 5), 'blocked');
  assert.deepEqual(cards[0].pay('shop-a', '1', T0 + 6), { ok: false, refusal: 'CARD_BLOCKED' });
  // A relayed request is refused and the card is not flagged.
  const request = cards[1].syncRequest(T0 + 7);
  assert.equal(backend.sync(SIGNER, request, T0 + 7).outcome, 'clean');
  const replay = backend.sync(SIGNER, request, T0 + 8);
  assert.deepEqual([replay.outcome, replay.findings[0].code], ['refused', 'REPLAYED_COUNTER']);
  assert.equal(backend.status('card-1'), null);
});

test('the SDK refuses bad arguments before they cross, naming them', () => {
  const { backend, cards } = world();
  const before = cards[0].view();
  assert.throws(() => cards[0].pay('shop-a', 100, T0), (e) => e.code === 'INVALID_TYPE' && e.param === 'amount');
  assert.throws(() => cards[0].pay('shop-a', '1.5', T0), (e) => e.code === 'INVALID_ARGUMENT' && e.param === 'amount');
  assert.throws(() => cards[0].pay('shop-a', '0', T0), (e) => e.param === 'amount');
  assert.throws(() => cards[0].pay('shop-a', '1000000000000001', T0), (e) => e.param === 'amount');
  assert.throws(() => cards[0].pay('shop-a', '1', 1.5), (e) => e.param === 'now');
  assert.throws(() => cards[0].pay('Shop A', '1', T0), (e) => e.code === 'INVALID_ARGUMENT' && e.param === 'payee');
  assert.throws(() => backend.sync(SIGNER, new Uint8Array([1, 2, 3]), T0), (e) => e.code === 'INVALID_ARGUMENT' && e.param === 'request');
  assert.throws(() => EcashBackend.create({ ...POLICY, limits: { ...POLICY.limits, singleMax: 5000 } }), (e) => e.param === 'policy.limits.singleMax');
  assert.throws(() => EcashBackend.create({ ...POLICY, actions: { VELOCITY: 'ignore' } }), (e) => e.param === 'policy.actions.VELOCITY');
  assert.deepEqual(cards[0].view(), before, 'nothing changed');
});

test('the simulator through the SDK: every attack detected, nobody honest flagged, money as strings', () => {
  const config = {
    seed: 7, cards: 40, merchants: 5, steps: 40, stepS: 600, offlineSteps: 6, payPercent: 30, openingBalance: '50000',
    limits: { singleMax: '2000', cumulativeMax: '10000', countMax: 12 }, validityS: 86400,
    attacks: [{ kind: 'clone', card: 3, step: 2 }, { kind: 'replay', card: 5, step: 1 }, { kind: 'rollback', card: 7, step: 0 }, { kind: 'double-spend', card: 9, step: 4 }, { kind: 'relay', card: 11, step: 3 }],
  };
  const report = ecashSimulate(config);
  assert.equal(report.detectionPerMille, 1000);
  assert.deepEqual(report.honestFlagged, []);
  assert.ok(report.attacks.every((a) => a.detected && typeof a.valueAtRisk === 'string'));
  assert.equal(report.valueAtRiskByStep.length, 40);
  assert.equal(report.valueAtRiskBound, '10000');
  assert.deepEqual(ecashSimulate(config), report, 'deterministic from the seed');
  assert.throws(() => ecashSimulate({ ...config, cards: 1 }), (e) => e.code === 'INVALID_ARGUMENT' && e.param === 'config.cards');
  assert.throws(() => ecashSimulate({ ...config, extra: 1 }), (e) => e.code === 'INVALID_TYPE');
});

/** The back-end as a server: POST /register and /sync → JSON; its state saved through an
 * EcashStore (compare-and-swap, rollback refused) after every change, loaded at start. */
async function startServer(storage) {
  const store = new EcashStore(storage, KEY);
  const backend = (await store.loadBackend('main')) ?? EcashBackend.create(POLICY);
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = new Uint8Array(Buffer.concat(chunks));
    const now = Number(req.headers['x-now']);
    let answer;
    if (req.url === '/register') {
      const { card, key } = JSON.parse(Buffer.from(body).toString());
      answer = { security: hex(backend.register(SIGNER, card, Buffer.from(key, 'hex'), '10000', now)) };
    } else {
      const out = backend.sync(SIGNER, body, now);
      answer = { outcome: out.outcome, envelope: hex(out.security ?? out.instruction ?? []), codes: out.findings.map((f) => f.code) };
    }
    assert.equal(await store.saveBackend('main', backend), true);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)), backend };
}
const post = async (url, body, now) => (await fetch(url, { method: 'POST', body, headers: { 'x-now': String(now) } })).json();

test('EcashStore: a card and a back-end saved and loaded; a rollback of storage and another card\'s state are refused', async () => {
  const storage = new MemoryStorage();
  const store = new EcashStore(storage, KEY);
  const { backend, cards } = world();
  assert.equal(await store.saveCard(cards[0]), true);
  const old = await storage.get('ecash/card/card-0');
  cards[0].pay('shop-a', '100', T0 + 1);
  assert.equal(await store.saveCard(cards[0]), true);
  assert.deepEqual((await store.loadCard('card-0')).view(), cards[0].view());
  // Storage rolled back to the state before the payment: this store has seen a newer one.
  await storage.put('ecash/card/card-0', old.value, (await storage.get('ecash/card/card-0')).version);
  await assert.rejects(store.loadCard('card-0'), (e) => e.code === 'SNAPSHOT_INVALID');
  // Card 1's state under card 0's key.
  await storage.put('ecash/card/card-x', cards[1].snapshot(KEY), null);
  await assert.rejects(new EcashStore(storage, KEY).loadCard('card-x'), (e) => e.code === 'SNAPSHOT_INVALID' && e.param === 'cardId');
  assert.equal(await store.saveBackend('main', backend), true);
  assert.equal((await new EcashStore(storage, KEY).loadBackend('main')).total(), '20000');
  assert.equal(await store.loadBackend('other'), null);
});

/** Where the server keeps its state: files, or PostgreSQL (the server role's production store). */
const STORES = [
  { label: 'FileStorage', skip: false, make: () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ecash-'));
    return { open: () => new FileStorage(dir), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  } },
  { label: 'PostgresStorage', skip: SKIP_NO_SERVER, make: () => {
    const prefix = freshPrefix('ecash');
    const pools = [];
    return {
      // Each "process" opens its own pool, as a restarted server would.
      open: () => { const pool = testPool(); pools.push(pool); return new PostgresStorage(pool, { tablePrefix: prefix }); },
      cleanup: async () => { for (const pool of pools) await pool.end(); await dropTables(prefix); },
    };
  } },
];

for (const { label, skip, make } of STORES) test(`the back-end over loopback HTTP, its state in ${label}, restarted in the middle`, { skip }, async () => {
  const place = make();
  try {
    let server = await startServer(place.open());
    const reg = await post(`${server.url}/register`, JSON.stringify({ card: 'card-0', key: hex(ed25519PublicKey(skOf(0))) }), T0);
    const card = EcashCard.create('card-0', skOf(0), ISSUER, Buffer.from(reg.security, 'hex'), T0);
    // Paid and never confirmed (the shop's terminal died): the reserved record is a send all the same.
    assert.equal(card.pay('shop-a', '700', T0 + 1).ok, true);
    const first = card.syncRequest(T0 + 2);
    let out = await post(`${server.url}/sync`, first, T0 + 2);
    assert.equal(out.outcome, 'clean');
    assert.equal(card.accept(Buffer.from(out.envelope, 'hex'), T0 + 2), 'security');
    assert.equal(card.view().available, '9300');
    // Restart: a new server reads the same store.
    await server.close();
    server.backend.free();
    server = await startServer(place.open());
    assert.equal(server.backend.balance('card-0'), '9300', 'the settled balance survived the restart');
    out = await post(`${server.url}/sync`, first, T0 + 3);
    assert.deepEqual([out.outcome, out.codes], ['refused', ['REPLAYED_COUNTER']], 'the replay guard survived too');
    card.pay('shop-a', '300', T0 + 4);
    out = await post(`${server.url}/sync`, card.syncRequest(T0 + 5), T0 + 5);
    assert.equal(out.outcome, 'clean');
    assert.equal(card.accept(Buffer.from(out.envelope, 'hex'), T0 + 5), 'security');
    assert.equal(server.backend.balance('card-0'), '9000');
    await server.close();
  } finally {
    await place.cleanup();
  }
});
