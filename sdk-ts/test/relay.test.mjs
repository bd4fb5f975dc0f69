// System 5 through the SDK: the docs' code table, typed errors naming the parameter, the
// RelayStore's rollback refusal, and a RelayTerminal in front of a TokenHttpServer on 127.0.0.1
// that is closed (tokens queue, the phone sees "answer not yet delivered") and started again on
// the same port and storage (the queue drains; a replay gets the same receipt bytes). The relay's
// queue is System 4's outbox: token entries under the offline limits, the answers kept by slot.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CountersignError,
  MemoryStorage,
  PaymentPhone,
  RelayStore,
  RelayTerminal,
  TokenHttpServer,
  TokenServer,
  keyPairFromSecret,
  relayCodes,
  relayTokenClaims,
  relayTokenStatus,
} from '@countersign/sdk';
import { docTable } from './helpers.mjs';

const NOW = 1_800_000_000;
const KEY = new Uint8Array(32).fill(5);
const phoneKeys = keyPairFromSecret('EdDSA', new Uint8Array(32).fill(6));
const serverKeys = keyPairFromSecret('EdDSA', new Uint8Array(32).fill(7));
const ALLOWANCE = [{ id: 'offline', measure: 'amount', currency: 'EUR', window: { kind: 'lifetime' }, hard: '30.00' }];
const RELAY_CONFIG = {
  terminalId: 'relay-1',
  offline: { currencies: [{ currency: 'EUR', paymentMax: '10.00', totalMax: '10.00' }], countMax: 16, maxAgeMs: 86_400_000 },
};
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
  const relayStorage = new MemoryStorage();
  const serverUrl = http.url;
  const open = () => RelayTerminal.open({ storage: relayStorage, snapshotKey: KEY, config: RELAY_CONFIG, serverUrl });
  let terminal = await open();
  const pay = (amount, n) => phone.seal({ payee: 'cafe', amount, currency: 'EUR', now: NOW, nonce: new Uint8Array(8).fill(n) });

  const first = pay('5.00', 1);
  const key1 = (await terminal.accept(first.token)).key;
  assert.equal(key1, first.tokenHash);
  assert.deepEqual(await terminal.flush(), { answered: 1, reachable: true });

  await http.close();
  const second = pay('6.00', 2);
  assert.deepEqual(await terminal.accept(second.token), { key: second.tokenHash, code: 'STORED' });
  const key2 = second.tokenHash;
  assert.deepEqual(await terminal.flush(), { answered: 0, reachable: false });
  assert.deepEqual(await terminal.statusFor(key2), { state: 'queued' });
  // The same bytes again: one entry. Over the outbox's total for EUR (10.00 waiting at most): refused, nothing stored.
  assert.deepEqual(await terminal.accept(second.token), { key: key2, code: 'ALREADY_STORED' });
  const third = pay('4.01', 3);
  assert.deepEqual(await terminal.accept(third.token), { key: third.tokenHash, code: 'TOTAL_LIMIT_REACHED' });
  assert.equal((await terminal.accept(new Uint8Array([1, 2, 3]))).code, 'MALFORMED');
  assert.equal(terminal.exportQueue().entries.length, 2, 'nothing stored for the refusals');
  // A relay restart: the waiting token is in the outbox (stored, hash-chained), not in memory.
  await terminal.close();
  terminal = await open();
  const queue = terminal.exportQueue();
  assert.equal(queue.chainValid, true);
  assert.deepEqual(queue.entries.map((e) => [e.kind, e.idempotencyKey, e.amount, e.state]), [
    ['token', key1, '5.00', 'forwardedApproved'],
    ['token', key2, '6.00', 'stored'],
  ]);
  assert.equal(relayTokenStatus(phone.tokens().find((t) => t.counter === 2)), 'answer not yet delivered');

  http = await TokenHttpServer.start(options(port));
  try {
    assert.deepEqual(await terminal.flush(), { answered: 1, reachable: true });
    assert.deepEqual(await terminal.flush(), { answered: 0, reachable: true }, 'forwarded once');
    assert.deepEqual(terminal.exportQueue().entries.map((e) => [e.state, e.resultCode, e.attempts]), [
      ['forwardedApproved', 'APPROVED', 1],
      ['forwardedApproved', 'APPROVED', 2],
    ]);
    assert.equal((await terminal.statusFor(key2)).answer.replayed, false, 'the server saw token 2 once');
    for (const key of [key1, key2]) {
      const status = await terminal.statusFor(key);
      assert.equal(status.state, 'answered');
      assert.equal(phone.acceptReceipt(status.answer.receipt, http.publicKey, NOW + 5).code, 'SETTLED');
    }
    // The token the relay refused (its offline total) was never handed over: still outstanding.
    assert.deepEqual(phone.tokens().map((t) => relayTokenStatus(t)), ['answer not yet delivered', 'settled: approved', 'settled: approved']);
    assert.equal(http.balance('payee', 'cafe'), '11.00');
    // Sent again (after the restart): the same receipt bytes, paid once.
    const again = await (await fetch(`${http.url}/relay/token`, { method: 'POST', body: first.token })).json();
    assert.equal(again.replayed, true);
    assert.equal(again.receipt, Buffer.from((await terminal.statusFor(key1)).answer.receipt).toString('hex'));
    assert.equal(http.balance('payee', 'cafe'), '11.00');
    assert.equal((await fetch(`${http.url}/relay/token`, { method: 'POST', body: new Uint8Array(5000) })).status, 413);
    assert.equal((await fetch(`${http.url}/nowhere`)).status, 404);
  } finally {
    await terminal.close();
    await http.close();
    phone.free();
  }
});

test('relayTokenClaims reads a token without its key; a forged one reads the same and the server refuses it', async () => {
  const phone = PaymentPhone.create({ deviceId: 'ph1', allowance: ALLOWANCE }, phoneKeys);
  const sealed = phone.seal({ payee: 'cafe', amount: '4.50', currency: 'EUR', now: NOW, nonce: new Uint8Array(8).fill(1) });
  assert.deepEqual(relayTokenClaims(sealed.token), { deviceId: 'ph1', counter: 1, payee: 'cafe', amount: '4.50', currency: 'EUR' });
  const forged = sealed.token.slice();
  forged[forged.length - 1] ^= 1;
  assert.deepEqual(relayTokenClaims(forged), relayTokenClaims(sealed.token));
  assert.equal(relayTokenClaims(new Uint8Array(10)), null);
  assert.deepEqual(errorOf(() => relayTokenClaims(new Uint8Array(1025))), ['INVALID_ARGUMENT', 'token']);
  // The relay stores the forged token (it cannot tell), the server refuses it without a receipt:
  // the outbox entry fails for good and the phone hears the server's code.
  const server = await TokenHttpServer.start({ storage: new MemoryStorage(), snapshotKey: KEY, keyPair: serverKeys, clock: () => NOW * 1000, setup: (s) => {
    s.registerDevice('ph1', phone.publicKey, [], NOW);
    s.addPayee('cafe', NOW);
    s.fund('ph1', '20.00', NOW);
  } });
  const terminal = await RelayTerminal.open({ storage: new MemoryStorage(), snapshotKey: KEY, config: RELAY_CONFIG, serverUrl: server.url });
  try {
    const { key } = await terminal.accept(forged);
    assert.deepEqual(await terminal.flush(), { answered: 1, reachable: true });
    assert.deepEqual(await terminal.statusFor(key), { state: 'answered', answer: { code: 'BAD_SIGNATURE', replayed: false, receipt: null } });
    assert.deepEqual(terminal.exportQueue().entries.map((e) => [e.state, e.resultCode]), [['failedPermanently', 'BAD_SIGNATURE']]);
    assert.equal(server.balance('device', 'ph1'), '20.00');
    // A decline comes with a receipt: the entry is forwardedDeclined and the phone settles it declined.
    const sealed2 = [2, 3, 4].map((n) => phone.seal({ payee: 'cafe', amount: '8.00', currency: 'EUR', now: NOW, nonce: new Uint8Array(8).fill(n) }));
    for (const t of sealed2) {
      assert.equal((await terminal.accept(t.token)).code, 'STORED');
      assert.deepEqual(await terminal.flush(), { answered: 1, reachable: true });
    }
    assert.deepEqual(terminal.exportQueue().entries.slice(1).map((e) => [e.state, e.resultCode]), [
      ['forwardedApproved', 'APPROVED'],
      ['forwardedApproved', 'APPROVED'],
      ['forwardedDeclined', 'INSUFFICIENT_FUNDS'],
    ]);
    const declined = await terminal.statusFor(sealed2[2].tokenHash);
    assert.equal(declined.answer.code, 'INSUFFICIENT_FUNDS');
    assert.equal(phone.acceptReceipt(declined.answer.receipt, server.publicKey, NOW + 5).decision, 'INSUFFICIENT_FUNDS');
    assert.equal(server.balance('device', 'ph1'), '4.00');
    // A card payment on a relay without an acquirer is refused for good, not left at the head of the queue.
    const card = await terminal.pos.takePayment({ idempotencyKey: 'c1', amount: '1.00', currency: 'EUR', cardToken: '4111', cardType: 'visa' }, 'requireOnline');
    assert.deepEqual([card.status, card.code], ['refused', 'FAILED_PERMANENTLY']);
  } finally {
    await terminal.close();
    await server.close();
    phone.free();
  }
});
