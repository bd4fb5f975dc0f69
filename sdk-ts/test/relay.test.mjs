// System 5 through the SDK: the docs' code table, typed errors naming the parameter, the
// RelayStore's rollback refusal, and a RelayTerminal in front of a TokenHttpServer on 127.0.0.1
// that is closed (tokens queue, the phone sees "answer not yet delivered") and started again on
// the same port and storage (the queue drains; a replay gets the same receipt bytes).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CountersignError,
  MemoryStorage,
  PaymentPhone,
  RelayStore,
  RelayTerminal,
  StoredRelayQueue,
  TokenHttpServer,
  TokenServer,
  keyPairFromSecret,
  relayCodes,
  relayTokenStatus,
} from '@countersign/sdk';
import { docTable } from './helpers.mjs';

const NOW = 1_800_000_000;
const KEY = new Uint8Array(32).fill(5);
const phoneKeys = keyPairFromSecret('EdDSA', new Uint8Array(32).fill(6));
const serverKeys = keyPairFromSecret('EdDSA', new Uint8Array(32).fill(7));
const ALLOWANCE = [{ id: 'offline', measure: 'amount', currency: 'EUR', window: { kind: 'lifetime' }, hard: '30.00' }];
const errorOf = (fn) => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CountersignError, String(e));
    return [e.code, e.param];
  }
  assert.fail('no error');
};

test('docs/relay.md lists every relay outcome code, in the core order, with its description', () => {
  const rows = docTable('relay.md', '| code | meaning |');
  assert.deepEqual(rows, relayCodes().map(({ code, description }) => ['`' + code + '`', description.trim()]));
});

test('bad input is a typed error naming the parameter, and changes nothing', () => {
  const phone = PaymentPhone.create({ deviceId: 'ph1', allowance: ALLOWANCE }, phoneKeys);
  const good = { payee: 'cafe', amount: '1.00', currency: 'EUR', now: NOW };
  assert.deepEqual(errorOf(() => phone.seal({ ...good, amount: 1 })), ['INVALID_TYPE', 'request.amount']);
  assert.deepEqual(errorOf(() => phone.seal({ ...good, amount: '1.001' })), ['AMOUNT_PRECISION', 'request.amount']);
  assert.deepEqual(errorOf(() => phone.seal({ ...good, payee: 'café' })), ['INVALID_ARGUMENT', 'request.payee']);
  assert.deepEqual(errorOf(() => phone.seal({ ...good, nonce: new Uint8Array(4) })), ['INVALID_ARGUMENT', 'request.nonce']);
  assert.deepEqual(errorOf(() => phone.seal({ ...good, ttlS: 86_401 })), ['INVALID_ARGUMENT', 'request.ttlS']);
  assert.deepEqual(errorOf(() => phone.seal({ ...good, extra: 1 })), ['INVALID_TYPE', 'request.extra']);
  assert.equal(phone.nextCounter, 1);
  assert.deepEqual(errorOf(() => PaymentPhone.create({ deviceId: 'ph 1', allowance: [] })), ['INVALID_ARGUMENT', 'deviceId']);
  const server = TokenServer.create('EUR', NOW, serverKeys);
  assert.deepEqual(errorOf(() => server.registerDevice('ph1', new Uint8Array(31), [], NOW)), ['KEY_INVALID', 'publicKey']);
  assert.deepEqual(errorOf(() => server.process(new Uint8Array(2000), NOW)), ['INVALID_ARGUMENT', 'token']);
  assert.deepEqual(errorOf(() => server.balance('wallet', 'ph1')), ['INVALID_ARGUMENT', 'kind']);
  phone.free();
  server.free();
});

test('RelayStore refuses a rolled-back phone (it would sign a counter twice)', async () => {
  const storage = new MemoryStorage();
  const store = new RelayStore(storage, KEY);
  const phone = PaymentPhone.create({ deviceId: 'ph1', allowance: ALLOWANCE }, phoneKeys);
  assert.equal(await store.savePhone('me', phone), true);
  const old = await storage.get('relay/phone/me');
  phone.seal({ payee: 'cafe', amount: '1.00', currency: 'EUR', now: NOW });
  assert.equal(await store.savePhone('me', phone), true);
  const now = await storage.get('relay/phone/me');
  assert.equal((await storage.put('relay/phone/me', old.value, now.version)).ok, true);
  await assert.rejects(store.loadPhone('me', phoneKeys), (e) => e.code === 'SNAPSHOT_INVALID');
  phone.free();
});

test('a relay terminal in front of a token server on 127.0.0.1 that goes away and comes back', async () => {
  const serverStorage = new MemoryStorage();
  const phone = PaymentPhone.create({ deviceId: 'ph1', allowance: ALLOWANCE }, phoneKeys);
  const options = (port) => ({
    storage: serverStorage,
    snapshotKey: KEY,
    keyPair: serverKeys,
    port,
    clock: () => NOW * 1000,
    setup: (s) => {
      s.registerDevice('ph1', phone.publicKey, [], NOW);
      s.addPayee('cafe', NOW);
      s.fund('ph1', '20.00', NOW);
    },
  });
  let http = await TokenHttpServer.start(options(0));
  const port = Number(new URL(http.url).port);
  const terminal = new RelayTerminal(new StoredRelayQueue(new MemoryStorage()), http.url);
  const pay = (amount, n) => phone.seal({ payee: 'cafe', amount, currency: 'EUR', now: NOW, nonce: new Uint8Array(8).fill(n) });

  const first = pay('5.00', 1);
  const key1 = await terminal.accept(first.token);
  assert.equal(key1, first.tokenHash);
  assert.deepEqual(await terminal.flush(), { answered: 1, reachable: true });

  await http.close();
  const second = pay('6.00', 2);
  const key2 = await terminal.accept(second.token);
  assert.deepEqual(await terminal.flush(), { answered: 0, reachable: false });
  assert.deepEqual(await terminal.statusFor(key2), { state: 'queued' });
  assert.equal(relayTokenStatus(phone.tokens().find((t) => t.counter === 2)), 'answer not yet delivered');

  http = await TokenHttpServer.start(options(port));
  try {
    assert.deepEqual(await terminal.flush(), { answered: 1, reachable: true });
    for (const key of [key1, key2]) {
      const status = await terminal.statusFor(key);
      assert.equal(status.state, 'answered');
      assert.equal(phone.acceptReceipt(status.answer.receipt, http.publicKey, NOW + 5).code, 'SETTLED');
    }
    assert.deepEqual(phone.tokens().map((t) => relayTokenStatus(t)), ['settled: approved', 'settled: approved']);
    assert.equal(http.balance('payee', 'cafe'), '11.00');
    // Sent again (after the restart): the same receipt bytes, paid once.
    const again = await (await fetch(`${http.url}/relay/token`, { method: 'POST', body: first.token })).json();
    assert.equal(again.replayed, true);
    assert.equal(again.receipt, Buffer.from((await terminal.statusFor(key1)).answer.receipt).toString('hex'));
    assert.equal(http.balance('payee', 'cafe'), '11.00');
    assert.equal((await fetch(`${http.url}/relay/token`, { method: 'POST', body: new Uint8Array(5000) })).status, 413);
    assert.equal((await fetch(`${http.url}/nowhere`)).status, 404);
  } finally {
    await http.close();
    phone.free();
  }
});

test('a StoredRelayQueue survives a new instance on the same storage, keeps one entry per token, and refuses corrupt bytes', async () => {
  const storage = new MemoryStorage();
  const token = new Uint8Array([1, 2, 3]);
  const queue = new StoredRelayQueue(storage);
  await queue.enqueue('k1', token);
  await queue.enqueue('k1', token);
  const again = new StoredRelayQueue(storage);
  assert.deepEqual((await again.list()).map((e) => [e.key, [...e.token], e.answer]), [['k1', [1, 2, 3], null]]);
  await again.markAnswered('k1', { code: 'BAD_SIGNATURE', replayed: false, receipt: null });
  assert.equal(await queue.nextPending(), null);
  const stored = await storage.get('relay/queue');
  assert.equal((await storage.put('relay/queue', new TextEncoder().encode('{"entries": 7'), stored.version)).ok, true);
  await assert.rejects(queue.list(), (e) => e.code === 'STORAGE_CORRUPT');
});
