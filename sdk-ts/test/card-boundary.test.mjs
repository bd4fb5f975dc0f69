// The card's SDK boundary (sdk-ts/src/boundary.ts applied to card.ts): the reproducers of the
// hostile-argument issue, each of which used to corrupt the WebAssembly instance, leave an object
// unusable, load unauthenticated data, or throw engine errors instead of SDK errors.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { test } from 'node:test';
import * as s from '@countersign/sdk';

const NOW = 1_774_778_400; // 2026-03-29 10:00 UTC
const CARD_ID = 'card-boundary';
const SNAPSHOT_KEY = new Uint8Array(32).fill(7);
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const options = (seq, issuedAt = NOW, expiresAt = NOW + 600) => ({ seq, issuedAt, expiresAt });
const ENVELOPE_REJECTIONS = ['MALFORMED', 'UNKNOWN_KEY', 'BAD_SIGNATURE', 'WRONG_TYPE', 'NOT_YET_VALID', 'EXPIRED', 'REPLAYED'];

const issuerPair = s.keyPairFromSecret('EdDSA', new Uint8Array(32).fill(3));
const appPair = s.keyPairFromSecret('EdDSA', new Uint8Array(32).fill(4));
const issuer = new s.Issuer(issuerPair, 'issuer-1');
const app = new s.CompanionApp(appPair, 'app-1', CARD_ID);

function config(timeZone = 'Europe/Paris', appKeys = [app.publicKey]) {
  return {
    cardId: CARD_ID,
    currency: 'EUR',
    limits: [
      { id: 'daily-count', measure: 'count', window: { kind: 'day', timeZone }, hard: '3', ceiling: '5', resettable: true },
      { id: 'daily-amount', measure: 'amount', currency: 'EUR', window: { kind: 'day', timeZone }, hard: '100.00' },
    ],
    appKeys,
  };
}
const request = (id, amount = '10.00') => ({ transactionId: id, amount, currency: 'EUR', time: NOW + 60, terminalOnline: false });

async function provisionedCard() {
  const card = s.Card.create(CARD_ID, issuer.publicKey);
  assert.equal((await card.applyConfig(issuer.provision(config(), options(1n)), NOW)).code, 'CONFIG_APPLIED');
  assert.equal(card.authorise(request('t1')).code, 'APPROVED');
  return card;
}

/** Asserts an SDK error with `code` (and `param` when given). */
function isSdkError(code, param) {
  return (e) => {
    assert.ok(e instanceof s.CountersignError, `expected a CountersignError, got ${e?.constructor?.name}: ${e?.message}`);
    assert.equal(e.code, code, e.message);
    if (param !== undefined) assert.equal(e.param, param, e.message);
    return true;
  };
}

function throwingGetter(base, field) {
  const o = { ...base };
  Object.defineProperty(o, field, { enumerable: true, get() { throw new Error('boom'); } });
  return o;
}

test('a throwing getter or Proxy trap in a request leaves the card usable and unchanged (isOlderThan, authorise)', async () => {
  const card = await provisionedCard();
  const before = hex(card.snapshot(SNAPSHOT_KEY));
  const seen = card.freshness();
  for (let i = 0; i < 200; i++) {
    assert.throws(() => card.isOlderThan(throwingGetter(seen, 'revision')), isSdkError('INVALID_TYPE', 'seen'));
    assert.throws(() => card.isOlderThan(new Proxy(seen, { ownKeys() { throw new Error('trap'); } })), isSdkError('INVALID_TYPE', 'seen'));
    assert.throws(() => card.authorise(throwingGetter(request(`x${i}`), 'amount')), isSdkError('INVALID_TYPE', 'request'));
    assert.throws(() => card.authorise(new Proxy(request(`y${i}`), { get() { throw new Error('trap'); } })), isSdkError('INVALID_TYPE', 'request'));
    assert.throws(() => card.preview(throwingGetter(request(`z${i}`), 'time')), isSdkError('INVALID_TYPE', 'request'));
  }
  assert.equal(hex(card.snapshot(SNAPSHOT_KEY)), before, 'refused calls changed nothing');
  // Still usable: no "recursive use of an object detected", no stuck borrow.
  assert.equal(card.isOlderThan(seen), false);
  assert.equal(card.authorise(request('t2')).code, 'APPROVED');
  assert.equal(card.view(NOW + 61).transactionCounter, 2);
  assert.equal(s.isInitialized(), true);
  card.free();
});

test('5,000 throwing-getter calls to CompanionApp#command do not trap the instance', async () => {
  const card = await provisionedCard();
  for (let i = 0; i < 5000; i++) {
    let thrown;
    try {
      if (i % 3 === 0) app.command(throwingGetter({ op: 'set', limitId: 'daily-count', value: '4' }, 'value'), options(1n));
      else if (i % 3 === 1) app.command({ op: 'block' }, throwingGetter(options(1n), 'seq'));
      else app.command(new Proxy({ op: 'block' }, { getOwnPropertyDescriptor() { throw new Error('trap'); } }), options(1n));
    } catch (e) {
      thrown = e;
    }
    assert.ok(thrown instanceof s.CountersignError, `call ${i}: ${thrown?.constructor?.name}: ${thrown?.message}`);
    assert.equal(thrown.code, 'INVALID_TYPE');
  }
  assert.equal(s.isInitialized(), true, 'the instance did not trap');
  const set = card.applyCommand(app.command({ op: 'set', limitId: 'daily-count', value: '4' }, options(1n)), NOW + 62);
  assert.equal(set.code, 'COMMAND_APPLIED');
  card.free();
});

/** A tz asset server counting every request (index and zone files), serving sdk-ts/tzdata/. */
async function countingTzServer() {
  const root = new URL('../tzdata/', import.meta.url);
  const requests = [];
  const server = createServer((req, res) => {
    requests.push(req.url);
    try {
      const body = readFileSync(new URL(`.${new URL(req.url, 'http://x').pathname}`, root));
      res.writeHead(200).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}/`;
  return { base, requests, close: () => new Promise((resolve) => server.close(resolve)) };
}

test('Card#applyConfig verifies the envelope before loading any zone it names (forged, flipped, replayed, expired)', async () => {
  const raw = await import('../wasm/countersign_wasm.js');
  const server = await countingTzServer();
  s.setTimeZoneBaseUrl(server.base); // also forgets every zone loaded so far
  try {
    const card = s.Card.create(CARD_ID, issuer.publicKey);
    const before = hex(card.snapshot(SNAPSHOT_KEY));
    const forger = new s.Issuer(s.keyPairFromSecret('EdDSA', new Uint8Array(32).fill(9)), 'issuer-1');
    const cases = [
      ['another key under the issuer key id', forger.provision(config('America/New_York'), options(1n)), 'BAD_SIGNATURE'],
      ['an unknown zone, forged', forger.provision(config('Mars/Olympus_Mons'), options(1n)), 'BAD_SIGNATURE'],
      ['an unknown key id', new s.Issuer(issuerPair, 'other').provision(config('America/New_York'), options(1n)), 'UNKNOWN_KEY'],
      ['expired', issuer.provision(config('America/New_York'), options(1n, NOW - 600, NOW - 1)), 'EXPIRED'],
      ['not yet valid', issuer.provision(config('America/New_York'), options(1n, NOW + 60, NOW + 600)), 'NOT_YET_VALID'],
      ['an online result', issuer.onlineResult(CARD_ID, { resetConsecutiveOffline: true }, options(1n)), 'WRONG_TYPE'],
    ];
    for (const [what, envelope, code] of cases) {
      const outcome = await card.applyConfig(envelope, NOW);
      assert.deepEqual([outcome.code, outcome.accepted], [code, false], what);
    }

    // Every single-bit flip of a genuine configuration naming a zone: refused with an envelope
    // code, never a time-zone error; the old SDK loaded the zones of each flipped payload first.
    const genuine = issuer.provision(config('America/New_York'), options(1n));
    let renamed = 0;
    for (let bit = 0; bit < genuine.length * 8; bit++) {
      const flipped = genuine.slice();
      flipped[bit >> 3] ^= 1 << (bit & 7);
      const zones = raw.cardConfigTimeZones(flipped);
      if (zones.some((z) => z !== 'America/New_York')) renamed++;
      const outcome = await card.applyConfig(flipped, NOW);
      assert.equal(outcome.accepted, false, `bit ${bit}`);
      assert.ok(ENVELOPE_REJECTIONS.includes(outcome.code), `bit ${bit}: ${outcome.code}`);
    }
    assert.ok(renamed > 0, 'some flips name another zone (what the old SDK tried to load)');
    assert.deepEqual(server.requests, [], 'no zone data was fetched for an unauthenticated configuration');
    assert.equal(hex(card.snapshot(SNAPSHOT_KEY)), before, 'refusals changed nothing');

    // The genuine one loads its zone (through the same server) and applies; replaying it then
    // is refused, and fetches nothing more.
    const applied = await card.applyConfig(genuine, NOW);
    assert.equal(applied.code, 'CONFIG_APPLIED');
    assert.ok(server.requests.some((r) => r.endsWith('/America/New_York')), `requests: ${server.requests}`);
    const fetched = server.requests.length;
    const again = issuer.provision(config('Asia/Tokyo'), options(1n));
    assert.equal((await card.applyConfig(again, NOW)).code, 'REPLAYED');
    assert.equal(server.requests.length, fetched, 'a replayed configuration fetched nothing');
    card.free();
  } finally {
    s.setTimeZoneBaseUrl(null);
    await server.close();
  }
});

test('fake or Proxied SDK objects, as receivers or arguments, are INVALID_TYPE', async () => {
  const card = await provisionedCard();
  const store = new s.CardStore(new s.MemoryStorage(), SNAPSHOT_KEY);
  const fakes = [new Proxy(card, {}), Object.create(s.Card.prototype), { cardId: CARD_ID }];
  for (const fake of fakes) {
    assert.throws(() => app.preview(fake, request('p1')), isSdkError('INVALID_TYPE', 'card'));
    await assert.rejects(store.save(fake), isSdkError('INVALID_TYPE', 'card'));
    assert.throws(() => s.Card.prototype.snapshot.call(fake, SNAPSHOT_KEY), isSdkError('INVALID_TYPE', 'this'));
    assert.throws(() => Reflect.get(s.Card.prototype, 'cardId', fake), isSdkError('INVALID_TYPE', 'this'));
  }
  for (const fakeStore of [new Proxy(store, {}), Object.create(s.CardStore.prototype)]) {
    const saving = s.CardStore.prototype.save.call(fakeStore, card);
    assert.ok(saving instanceof Promise, 'an async method rejects, never throws');
    await assert.rejects(saving, isSdkError('INVALID_TYPE', 'this'));
    await assert.rejects(s.CardStore.prototype.load.call(fakeStore, CARD_ID), isSdkError('INVALID_TYPE', 'this'));
  }
  for (const [Class, method] of [[s.Issuer, 'provision'], [s.CompanionApp, 'command']]) {
    assert.throws(() => Class.prototype[method].call(Object.create(Class.prototype), {}, options(1n)), isSdkError('INVALID_TYPE', 'this'));
    assert.throws(() => Reflect.get(Class.prototype, 'publicKey', new Proxy(method === 'provision' ? issuer : app, {})), isSdkError('INVALID_TYPE', 'this'));
  }
  const applying = s.Card.prototype.applyConfig.call(new Proxy(card, {}), new Uint8Array(1), NOW);
  assert.ok(applying instanceof Promise);
  await assert.rejects(applying, isSdkError('INVALID_TYPE', 'this'));
  assert.throws(() => new s.Card(), isSdkError('INVALID_TYPE'));
  assert.equal(app.preview(card, request('p1')).code, 'APPROVED', 'a genuine card still works');
  card.free();
});

test('store constructors check the storage adapter and the other arguments at once', () => {
  assert.throws(() => new s.CardStore({}, SNAPSHOT_KEY), isSdkError('INVALID_TYPE', 'storage'));
  assert.throws(() => new s.CardStore(null, SNAPSHOT_KEY), isSdkError('INVALID_TYPE', 'storage'));
  assert.throws(() => new s.CardStore(new Proxy({}, { get() { throw new Error('trap'); } }), SNAPSHOT_KEY), isSdkError('INVALID_TYPE', 'storage'));
  assert.throws(() => new s.CardStore(new s.MemoryStorage(), 'key'), isSdkError('INVALID_TYPE', 'snapshotKey'));
  assert.throws(() => new s.CardStore(new s.MemoryStorage(), SNAPSHOT_KEY, 'card/'), isSdkError('INVALID_TYPE', 'options'));
  assert.throws(() => new s.CardStore(new s.MemoryStorage(), SNAPSHOT_KEY, { prefix: 1 }), isSdkError('INVALID_TYPE', 'options.prefix'));
  assert.throws(() => new s.CardStore(new s.MemoryStorage(), SNAPSHOT_KEY, { prefixx: 'a/' }), isSdkError('INVALID_TYPE', 'options.prefixx'));
  assert.throws(() => new s.Issuer(throwingGetter(issuerPair, 'secretKey'), 'k'), isSdkError('INVALID_TYPE', 'keyPair'));
  assert.throws(() => new s.CompanionApp(appPair, 'k', new String(CARD_ID)), isSdkError('INVALID_TYPE', 'cardId'));
});

test('getters that change value between check and use: read once, the first value is the one used', async () => {
  let reads = 0;
  const pair = { algorithm: 'EdDSA', publicKey: issuerPair.publicKey };
  Object.defineProperty(pair, 'secretKey', { enumerable: true, get: () => (reads++ === 0 ? issuerPair.secretKey : 'not bytes') });
  const changingIssuer = new s.Issuer(pair, 'issuer-1');
  assert.equal(reads, 1);
  const card = s.Card.create(CARD_ID, changingIssuer.publicKey);
  assert.equal((await card.applyConfig(changingIssuer.provision(config(), options(1n)), NOW)).code, 'CONFIG_APPLIED', 'signed with the first value');

  reads = 0;
  const req = request('c1');
  Object.defineProperty(req, 'amount', { enumerable: true, get: () => (reads++ === 0 ? '1.00' : { toString() { throw new Error('late'); } }) });
  assert.equal(card.authorise(req).code, 'APPROVED');
  assert.equal(reads, 1);

  reads = 0;
  const cfg = config();
  Object.defineProperty(cfg, 'appKeys', { enumerable: true, get: () => (reads++ === 0 ? [app.publicKey] : 'not an array') });
  assert.ok(issuer.provision(cfg, options(2n)) instanceof Uint8Array);
  assert.equal(reads, 1);

  // Invalid first, valid later: refused on what was read.
  reads = 0;
  const key = { keyId: 'issuer-1', algorithm: 'EdDSA' };
  Object.defineProperty(key, 'publicKey', { enumerable: true, get: () => (reads++ === 0 ? 'not bytes' : issuerPair.publicKey) });
  assert.throws(() => s.Card.create(CARD_ID, key), isSdkError('INVALID_TYPE', 'issuerKey.publicKey'));
  card.free();
});

test('the objects kept by Issuer and CompanionApp are their own copies; their ids cannot be swapped', async () => {
  const pair = { algorithm: 'EdDSA', secretKey: issuerPair.secretKey.slice(), publicKey: issuerPair.publicKey.slice() };
  const own = new s.Issuer(pair, 'issuer-1');
  pair.secretKey.fill(0);
  pair.publicKey.fill(0);
  own.publicKey.publicKey.fill(0); // a copy each time
  assert.deepEqual(own.publicKey.publicKey, issuerPair.publicKey);
  const card = s.Card.create(CARD_ID, issuer.publicKey);
  assert.equal((await card.applyConfig(own.provision(config(), options(1n)), NOW)).code, 'CONFIG_APPLIED');
  assert.ok(Object.isFrozen(own) && Object.isFrozen(app));
  assert.throws(() => { own.keyId = { toString: () => 'x' }; }, TypeError);
  assert.throws(() => { app.cardId = {}; }, TypeError);
  assert.equal(own.keyId, 'issuer-1');
  assert.equal(app.cardId, CARD_ID);
  card.free();
});

test('app keys and other limited arrays are refused by length before they are walked', () => {
  const sparse = [];
  sparse.length = 2 ** 32 - 1;
  const started = Date.now();
  assert.throws(() => issuer.provision(config('Europe/Paris', sparse), options(1n)), isSdkError('LIMIT_EXCEEDED', 'config.appKeys'));
  const nine = Array.from({ length: 9 }, () => app.publicKey);
  assert.throws(() => issuer.provision(config('Europe/Paris', nine), options(1n)), isSdkError('LIMIT_EXCEEDED', 'config.appKeys'));
  const holes = [];
  holes.length = 1000;
  assert.throws(() => issuer.provision(config('Europe/Paris', holes), options(1n)), isSdkError('LIMIT_EXCEEDED', 'config.appKeys'));
  const limits = Array.from({ length: 17 }, (_, i) => ({ ...config().limits[0], id: `l${i}` }));
  assert.throws(() => issuer.provision({ ...config(), limits }, options(1n)), isSdkError('LIMIT_EXCEEDED', 'config.limits'));
  const categories = Array.from({ length: 33 }, (_, i) => String(1000 + i));
  assert.throws(() => issuer.provision({ ...config(), blockedMerchantCategories: categories }, options(1n)), isSdkError('LIMIT_EXCEEDED', 'config.blockedMerchantCategories'));
  assert.ok(Date.now() - started < 2000, 'nothing walked 2^32 - 1 indexes');
});

test('bytes-taking methods refuse detached, fake, Proxied and length-lying Uint8Arrays with INVALID_TYPE', async () => {
  const card = await provisionedCard();
  const before = hex(card.snapshot(SNAPSHOT_KEY));
  const detached = () => {
    const bytes = new Uint8Array(32);
    structuredClone(bytes.buffer, { transfer: [bytes.buffer] });
    return bytes;
  };
  const hostile = [detached, () => Object.create(Uint8Array.prototype), () => new Proxy(new Uint8Array(32), {}), () => new Uint16Array(16), () => [1, 2, 3]];
  for (const make of hostile) {
    assert.throws(() => card.snapshot(make()), isSdkError('INVALID_TYPE', 'snapshotKey'));
    assert.throws(() => card.applyCommand(make(), NOW), isSdkError('INVALID_TYPE', 'envelope'));
    assert.throws(() => card.applyOnlineResult(make(), NOW), isSdkError('INVALID_TYPE', 'envelope'));
    await assert.rejects(card.applyConfig(make(), NOW), isSdkError('INVALID_TYPE', 'envelope'));
    await assert.rejects(s.Card.restore(make(), SNAPSHOT_KEY), isSdkError('INVALID_TYPE', 'snapshot'));
    assert.throws(() => s.Card.create(CARD_ID, { ...issuer.publicKey, publicKey: make() }), isSdkError('INVALID_TYPE', 'issuerKey.publicKey'));
    assert.throws(() => new s.CardStore(new s.MemoryStorage(), make()), isSdkError('INVALID_TYPE', 'snapshotKey'));
  }
  // A Uint8Array whose `length` lies is read by its real length.
  const lying = SNAPSHOT_KEY.slice();
  Object.defineProperty(lying, 'length', { value: 1e9 });
  assert.equal(hex(card.snapshot(lying)), before);
  const lyingCommand = app.command({ op: 'block' }, options(1n));
  Object.defineProperty(lyingCommand, 'length', { value: 0 });
  assert.equal(card.applyCommand(lyingCommand, NOW + 70).code, 'COMMAND_APPLIED');
  assert.equal(s.isInitialized(), true);
  card.free();
});

test('a freed card refuses every call with an SDK error; free is idempotent', async () => {
  const card = await provisionedCard();
  card.free();
  card.free();
  card[Symbol.dispose]();
  assert.throws(() => card.view(NOW), isSdkError('INVALID_ARGUMENT', 'this'));
  assert.throws(() => card.cardId, isSdkError('INVALID_ARGUMENT', 'this'));
  await assert.rejects(card.applyConfig(issuer.provision(config(), options(2n)), NOW), isSdkError('INVALID_ARGUMENT', 'this'));
  await assert.rejects(new s.CardStore(new s.MemoryStorage(), SNAPSHOT_KEY).save(card), isSdkError('INVALID_ARGUMENT', 'this'));
});

test('CardStore refuses another card\'s snapshot stored under this card\'s key', async () => {
  const storage = new s.MemoryStorage();
  const store = new s.CardStore(storage, SNAPSHOT_KEY);
  const mine = await provisionedCard();
  const theirs = s.Card.create('card-other', issuer.publicKey);
  assert.equal(await store.save(mine), true);
  const current = await storage.get(`card/${CARD_ID}`);
  assert.equal((await storage.put(`card/${CARD_ID}`, theirs.snapshot(SNAPSHOT_KEY), current.version)).ok, true);
  await assert.rejects(new s.CardStore(storage, SNAPSHOT_KEY).load(CARD_ID), isSdkError('SNAPSHOT_INVALID', 'cardId'));
  mine.free();
  theirs.free();
});
