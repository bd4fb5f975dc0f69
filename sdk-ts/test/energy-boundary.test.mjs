// The energy module at the SDK boundary (see src/boundary.ts): hostile arguments (throwing getters,
// Proxies, detached / fake / length-lying Uint8Arrays, fake SDK objects) are refused with SDK
// errors before anything reaches the wasm glue, so they can neither trap the instance, nor leak
// its stack, nor leave a server or terminal unusable; store methods reject instead of throwing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as s from '@countersign/sdk';

const NOW = 1_767_225_600;
const FUEL = { currency: 'EUR', unit: 'litre', unitPrice: '1.859', costRounding: 'half-even' };
const fingerprintKey = new Uint8Array(32).fill(9);
const hex = (bytes) => Buffer.from(bytes).toString('hex');

function setup() {
  const serverKeys = s.generateKeyPair('EdDSA');
  const terminalKeys = s.generateKeyPair('EdDSA');
  const server = s.EnergyServer.create({ currency: 'EUR', holdDurationS: 900, lateCompletion: 'reject' }, NOW, serverKeys, 'server-1');
  const terminal = s.EnergyTerminal.create({ stationId: 'station-1', serverKey: server.publicKey }, terminalKeys, 'pump-1');
  server.addTerminal('station-1', terminal.publicKey, NOW);
  server.openWallet('alice', NOW);
  server.topUp('alice', '100.00', NOW);
  const ordered = terminal.order({ orderId: 'o-1', walletId: 'alice', maximum: '50.00', belowMaximum: 'decline', tariff: FUEL }, NOW);
  terminal.acceptReply('o-1', server.authorise(ordered.envelope, NOW), NOW);
  terminal.meter('o-1', '5.00', NOW + 1);
  return { server, terminal, serverKeys, terminalKeys };
}

/** The error `fn` throws synchronously (fails when it returns). */
function thrown(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.fail('expected a throw');
}

function isSdkError(e, code, param) {
  assert.ok(e instanceof s.CountersignError, `an SDK error, got ${e?.constructor?.name}: ${e?.message}`);
  assert.ok(s.ERROR_CODES.includes(e.code), `a known code, got ${e.code}`);
  if (code !== undefined) assert.equal(e.code, code, e.message);
  if (param instanceof RegExp) assert.match(e.param, param, e.message);
  else if (param !== undefined) assert.equal(e.param, param, e.message);
  return true;
}

function throwsSdk(fn, code, param) {
  return isSdkError(thrown(fn), code, param);
}

/** `fn()` returns a promise that rejects (never a synchronous throw) with an SDK error. */
async function rejectsSdk(fn, code, param) {
  let promise;
  assert.doesNotThrow(() => {
    promise = fn();
  }, 'must reject, not throw synchronously');
  assert.ok(promise instanceof Promise, 'returns a promise');
  await assert.rejects(promise, (e) => isSdkError(e, code, param));
}

function detachedBytes(n = 32) {
  const bytes = new Uint8Array(n);
  structuredClone(bytes.buffer, { transfer: [bytes.buffer] });
  return bytes;
}

function lyingLength(bytes) {
  Object.defineProperty(bytes, 'length', { get: () => 1e9 });
  return bytes;
}

const throwingProxy = () =>
  new Proxy(
    {},
    {
      get() {
        throw new Error('trap');
      },
      ownKeys() {
        throw new Error('trap');
      },
      getOwnPropertyDescriptor() {
        throw new Error('trap');
      },
    },
  );

test('5,000 dispenseLimit / meteredCost calls with throwing getters: no trap, SDK errors only, still right', () => {
  const tariffs = [
    // throws on every read
    () => ({ currency: 'EUR', unit: 'litre', costRounding: 'half-even', get unitPrice() { throw new Error('boom'); } }),
    // the reproducer: answers the check, throws on the use (read once now: it never throws)
    () => {
      let n = 0;
      return { currency: 'EUR', unit: 'litre', costRounding: 'half-even', get unitPrice() { if (n++) throw new Error('boom'); return '1.9'; } };
    },
    // answers one value to the check and another to the use
    () => {
      let n = 0;
      return { currency: 'EUR', unit: 'litre', costRounding: 'half-even', get unitPrice() { return n++ ? 'not a number' : '1.9'; } };
    },
    throwingProxy,
  ];
  let errors = 0;
  for (let i = 0; i < 5000; i++) {
    const tariff = tariffs[i % tariffs.length]();
    const call = i % 2 === 0 ? () => s.dispenseLimit({ tariff, hold: '50.00' }) : () => s.meteredCost({ tariff, quantity: '10.00', unit: 'litre', hold: '50.00' });
    try {
      const answer = call();
      // A getter read once gives one consistent value: the answer is the one for unitPrice 1.9.
      assert.ok(answer.code === 'LIMIT_SET' || answer.code === 'WITHIN_HOLD', answer.code);
      if (answer.maxQuantity !== undefined) assert.equal(answer.maxQuantity, '26.31');
      else assert.equal(answer.cost.total, '19.00');
    } catch (e) {
      errors++;
      isSdkError(e, 'INVALID_TYPE');
      assert.match(e.param, /^request/);
    }
    assert.equal(s.isInitialized(), true, `instance alive after call ${i}`);
  }
  assert.equal(errors, 2500, 'the always-throwing getter and the Proxy are refused, the others read once');
  assert.equal(s.dispenseLimit({ tariff: FUEL, hold: '50.00' }).maxQuantity, '26.89');
  assert.equal(s.meteredCost({ tariff: FUEL, quantity: '10.00', unit: 'litre' }).cost.total, '18.59');
});

test('a throwing getter in EnergyTerminal#order / changeTariff leaves the terminal usable and unchanged', () => {
  const { server, terminal } = setup();
  const before = hex(terminal.snapshot(fingerprintKey));
  const order = { orderId: 'o-2', walletId: 'alice', maximum: '20.00', belowMaximum: 'decline', tariff: FUEL };
  for (let i = 0; i < 3000; i++) {
    const getterTariff = { ...FUEL, get unitPrice() { throw new Error('boom'); } };
    throwsSdk(() => terminal.order({ ...order, tariff: getterTariff }, NOW + 2), 'INVALID_TYPE', 'order');
    throwsSdk(() => terminal.order({ ...order, get maximum() { throw new Error('boom'); } }, NOW + 2), 'INVALID_TYPE', 'order');
    throwsSdk(() => terminal.order(throwingProxy(), NOW + 2), 'INVALID_TYPE', 'order');
    throwsSdk(() => terminal.changeTariff('o-1', getterTariff, NOW + 2), 'INVALID_TYPE', 'tariff');
    throwsSdk(() => terminal.changeTariff('o-1', throwingProxy(), NOW + 2), 'INVALID_TYPE', 'tariff');
  }
  assert.equal(s.isInitialized(), true);
  assert.equal(hex(terminal.snapshot(fingerprintKey)), before, 'state unchanged');
  // Still usable: a tariff change and a new order go through and the server accepts them.
  const change = terminal.changeTariff('o-1', { ...FUEL, unitPrice: '2.000' }, NOW + 3);
  assert.equal(change.code, 'REQUEST_SENT');
  assert.equal(terminal.acceptReply('o-1', server.changeTariff(change.envelope, NOW + 3), NOW + 3).code, 'TARIFF_CHANGED');
  const ordered = terminal.order(order, NOW + 4);
  assert.equal(ordered.code, 'ORDER_SENT');
  assert.equal(terminal.acceptReply('o-2', server.authorise(ordered.envelope, NOW + 4), NOW + 4).code, 'HELD');
  // free() works, twice; afterwards calls refuse with an SDK error.
  terminal.free();
  terminal.free();
  throwsSdk(() => terminal.session('o-1'), 'INVALID_ARGUMENT', 'this');
  server[Symbol.dispose]();
  throwsSdk(() => server.wallet('alice'), 'INVALID_ARGUMENT', 'this');
  assert.equal(s.isInitialized(), true);
});

test('EnergyStore methods reject (never throw) for bad arguments, fake receivers and fake roles', async () => {
  const { server, terminal, serverKeys } = setup();
  const store = new s.EnergyStore(new s.MemoryStorage(), new Uint8Array(32).fill(3));
  await rejectsSdk(() => store.loadServer(5, serverKeys), 'INVALID_TYPE', 'name');
  await rejectsSdk(() => store.loadServer('main', null), 'INVALID_TYPE', 'keyPair');
  await rejectsSdk(() => store.loadServer('main', { ...serverKeys, get secretKey() { throw new Error('boom'); } }), 'INVALID_TYPE', 'keyPair');
  await rejectsSdk(() => store.loadTerminal('pump', throwingProxy()), 'INVALID_TYPE', 'keyPair');
  await rejectsSdk(() => store.saveServer('main', {}), 'INVALID_TYPE', 'server');
  await rejectsSdk(() => store.saveServer('main', new Proxy(server, {})), 'INVALID_TYPE', 'server');
  await rejectsSdk(() => store.saveServer('main', Object.create(s.EnergyServer.prototype)), 'INVALID_TYPE', 'server');
  await rejectsSdk(() => store.saveServer('main', terminal), 'INVALID_TYPE', 'server');
  await rejectsSdk(() => store.saveTerminal('pump', new Proxy(terminal, {})), 'INVALID_TYPE', 'terminal');
  await rejectsSdk(() => store.saveTerminal(throwingProxy(), terminal), 'INVALID_TYPE', 'name');
  await rejectsSdk(() => store.readServerJournal('main', { limit: 0 }), 'INVALID_ARGUMENT', 'options.limit');
  await rejectsSdk(() => store.readServerJournal('main', throwingProxy()), 'INVALID_TYPE', 'options');
  for (const fake of [Object.create(s.EnergyStore.prototype), new Proxy(store, {}), {}]) {
    await rejectsSdk(() => s.EnergyStore.prototype.loadServer.call(fake, 'main', serverKeys), 'INVALID_TYPE', 'this');
    await rejectsSdk(() => s.EnergyStore.prototype.saveTerminal.call(fake, 'pump', terminal), 'INVALID_TYPE', 'this');
    await rejectsSdk(() => s.EnergyStore.prototype.readServerJournal.call(fake, 'main'), 'INVALID_TYPE', 'this');
  }
  // A storage adapter that throws or answers garbage: rejected as storage errors.
  const failing = new s.EnergyStore({ ...methodsOf(new s.MemoryStorage()), get: () => { throw new TypeError('disk on fire'); } }, new Uint8Array(32));
  await rejectsSdk(() => failing.loadServer('main', serverKeys), 'STORAGE_UNAVAILABLE');
  const lying = new s.EnergyStore({ ...methodsOf(new s.MemoryStorage()), get: async () => ({ value: lyingLength(new Uint8Array(4)), version: 'x' }) }, new Uint8Array(32));
  await rejectsSdk(() => lying.loadTerminal('pump', serverKeys), 'STORAGE_CORRUPT');
  // The genuine calls still work.
  assert.equal(await store.saveServer('main', server), true);
  assert.equal(await store.saveTerminal('pump', terminal), true);
  const loaded = await store.loadServer('main', serverKeys, 'server-1');
  assert.equal(loaded.wallet('alice').available, '50.00');
  assert.equal(s.isInitialized(), true);
});

function methodsOf(storage) {
  const out = {};
  for (const name of ['get', 'put', 'append', 'readLog', 'list', 'close']) out[name] = storage[name].bind(storage);
  return out;
}

test('new EnergyStore refuses what is not a StorageAdapter, and bad keys and options, with SDK errors', () => {
  const key = new Uint8Array(32);
  throwsSdk(() => new s.EnergyStore({}, key), 'INVALID_TYPE', 'storage');
  throwsSdk(() => new s.EnergyStore(null, key), 'INVALID_TYPE', 'storage');
  throwsSdk(() => new s.EnergyStore(throwingProxy(), key), 'INVALID_TYPE', 'storage');
  throwsSdk(() => new s.EnergyStore(new s.MemoryStorage(), detachedBytes()), 'INVALID_TYPE', 'snapshotKey');
  throwsSdk(() => new s.EnergyStore(new s.MemoryStorage(), new Proxy(key, {})), 'INVALID_TYPE', 'snapshotKey');
  throwsSdk(() => new s.EnergyStore(new s.MemoryStorage(), { length: 32 }), 'INVALID_TYPE', 'snapshotKey');
  throwsSdk(() => new s.EnergyStore(new s.MemoryStorage(), key, { prefix: 5 }), 'INVALID_TYPE', 'options.prefix');
  throwsSdk(() => new s.EnergyStore(new s.MemoryStorage(), key, { get prefix() { throw new Error('boom'); } }), 'INVALID_TYPE', 'options');
  throwsSdk(() => new s.EnergyStore(new s.MemoryStorage(), key, { prefx: 'x/' }), 'INVALID_TYPE', 'options.prefx');
});

test('fake and Proxied servers and terminals are refused as receivers and cannot be constructed', () => {
  const { server, terminal } = setup();
  for (const fake of [Object.create(s.EnergyServer.prototype), new Proxy(server, {}), {}, null]) {
    throwsSdk(() => s.EnergyServer.prototype.snapshot.call(fake, fingerprintKey), 'INVALID_TYPE', 'this');
    throwsSdk(() => s.EnergyServer.prototype.wallet.call(fake, 'alice'), 'INVALID_TYPE', 'this');
    throwsSdk(() => Object.getOwnPropertyDescriptor(s.EnergyServer.prototype, 'publicKey').get.call(fake), 'INVALID_TYPE', 'this');
    throwsSdk(() => s.EnergyServer.prototype.free.call(fake), 'INVALID_TYPE', 'this');
    throwsSdk(() => s.EnergyServer.prototype[Symbol.dispose].call(fake), 'INVALID_TYPE', 'this');
  }
  for (const fake of [Object.create(s.EnergyTerminal.prototype), new Proxy(terminal, {}), server]) {
    throwsSdk(() => s.EnergyTerminal.prototype.order.call(fake, {}, NOW), 'INVALID_TYPE', 'this');
    throwsSdk(() => Object.getOwnPropertyDescriptor(s.EnergyTerminal.prototype, 'stationId').get.call(fake), 'INVALID_TYPE', 'this');
    throwsSdk(() => s.EnergyTerminal.prototype.free.call(fake), 'INVALID_TYPE', 'this');
  }
  throwsSdk(() => new s.EnergyServer(), 'INVALID_TYPE');
  throwsSdk(() => new s.EnergyTerminal({}, {}, 'x'), 'INVALID_TYPE');
  // The genuine ones were not disturbed.
  assert.equal(server.wallet('alice').available, '50.00');
  assert.equal(terminal.session('o-1').state, 'authorised');
});

test('bytes arguments: detached, fake, Proxied and other typed arrays are INVALID_TYPE; a lying length is ignored', () => {
  const { server, terminal } = setup();
  const serverBefore = hex(server.snapshot(fingerprintKey));
  const terminalBefore = hex(terminal.snapshot(fingerprintKey));
  const bad = [detachedBytes(), new Proxy(new Uint8Array(8), {}), { length: 8, 0: 1 }, Object.create(Uint8Array.prototype), new Uint16Array(4), new DataView(new ArrayBuffer(4))];
  for (const bytes of bad) {
    throwsSdk(() => server.authorise(bytes, NOW), 'INVALID_TYPE', 'envelope');
    throwsSdk(() => server.handle('completion', bytes, NOW), 'INVALID_TYPE', 'envelope');
    throwsSdk(() => server.snapshot(bytes), 'INVALID_TYPE', 'snapshotKey');
    throwsSdk(() => terminal.acceptAuthorisation(bytes, NOW), 'INVALID_TYPE', 'envelope');
    throwsSdk(() => terminal.acceptReceipt(bytes, NOW), 'INVALID_TYPE', 'envelope');
    throwsSdk(() => terminal.acceptReply('o-1', { code: 'HELD', envelope: bytes }, NOW), 'INVALID_TYPE', /^reply(\.envelope)?$/);
    throwsSdk(() => s.EnergyTerminal.restore(bytes, fingerprintKey, s.generateKeyPair('EdDSA')), 'INVALID_TYPE', 'snapshot');
    throwsSdk(() => s.EnergyServer.restore(server.snapshot(fingerprintKey), bytes, s.generateKeyPair('EdDSA')), 'INVALID_TYPE', 'snapshotKey');
  }
  // A Uint8Array whose `length` property lies is read by its real length.
  assert.equal(hex(server.snapshot(lyingLength(Uint8Array.from(fingerprintKey)))), serverBefore);
  assert.equal(hex(terminal.snapshot(lyingLength(Uint8Array.from(fingerprintKey)))), terminalBefore);
  assert.equal(s.isInitialized(), true);
  assert.equal(hex(server.snapshot(fingerprintKey)), serverBefore);
  assert.equal(hex(terminal.snapshot(fingerprintKey)), terminalBefore);
});

test('a role keeps its own copy of the key pair and its key id: the caller cannot swap them later', () => {
  const serverKeys = s.generateKeyPair('EdDSA');
  const terminalSecret = s.generateKeyPair('EdDSA');
  const terminalKeys = { algorithm: 'EdDSA', secretKey: terminalSecret.secretKey.slice(), publicKey: terminalSecret.publicKey.slice() };
  const server = s.EnergyServer.create({ currency: 'EUR', holdDurationS: 900, lateCompletion: 'reject' }, NOW, serverKeys, 'server-1');
  const terminal = s.EnergyTerminal.create({ stationId: 'station-1', serverKey: server.publicKey }, terminalKeys, 'pump-1');
  server.addTerminal('station-1', terminal.publicKey, NOW);
  server.openWallet('alice', NOW);
  server.topUp('alice', '100.00', NOW);
  // The caller wipes and detaches what it passed, changes what it was given, tries to swap keyId.
  terminalKeys.secretKey.fill(0);
  structuredClone(terminalKeys.secretKey.buffer, { transfer: [terminalKeys.secretKey.buffer] });
  terminal.publicKey.publicKey.fill(0);
  server.publicKey.publicKey.fill(0);
  assert.throws(() => {
    terminal.keyId = 'other';
  }, TypeError);
  assert.equal(terminal.keyId, 'pump-1');
  assert.deepEqual(terminal.publicKey.publicKey, terminalSecret.publicKey);
  assert.deepEqual(server.publicKey.publicKey, serverKeys.publicKey);
  // Signing still uses the copy: the server accepts the order.
  const ordered = terminal.order({ orderId: 'o-1', walletId: 'alice', maximum: '50.00', belowMaximum: 'decline', tariff: FUEL }, NOW);
  assert.equal(server.authorise(ordered.envelope, NOW).code, 'HELD');
  // A key pair whose getters change their answer is read once.
  let reads = 0;
  const shifty = {
    get algorithm() {
      return reads++ === 0 ? 'EdDSA' : 'ES256K';
    },
    secretKey: terminalSecret.secretKey,
    publicKey: terminalSecret.publicKey,
  };
  const other = s.EnergyTerminal.create({ stationId: 'station-1', serverKey: server.publicKey }, shifty, 'pump-2');
  assert.equal(other.publicKey.algorithm, 'EdDSA');
  assert.equal(reads, 1);
});

test('fields a caller put on Object.prototype are neither read as arguments nor looked up by the core', () => {
  const { server, terminal } = setup();
  const names = ['resolution', 'tax', 'minimum', 'step', 'stationId', 'clockSkewS', 'hold'];
  let inWasm = 0;
  try {
    for (const name of names) {
      Object.defineProperty(Object.prototype, name, {
        configurable: true,
        get() {
          if (/wasm/.test(new Error().stack ?? '')) inWasm++;
          throw new Error(`polluted ${name}`);
        },
        // The core's answers are built by assignment: let those through.
        set(value) {
          Object.defineProperty(this, name, { value, writable: true, enumerable: true, configurable: true });
        },
      });
    }
    for (let i = 0; i < 2500; i++) {
      assert.equal(s.dispenseLimit({ tariff: FUEL, hold: '50.00' }).maxQuantity, '26.89');
      assert.equal(s.meteredCost({ tariff: FUEL, quantity: '1.00', unit: 'litre' }).cost.total, '1.86');
      if (i < 20) {
        const ordered = terminal.order({ orderId: `p-${i}`, walletId: 'alice', maximum: '0.10', belowMaximum: 'decline', tariff: FUEL }, NOW + 2);
        assert.equal(ordered.session.order.stationId, 'station-1');
        assert.equal(server.authorise(ordered.envelope, NOW + 2).code, 'HELD');
      }
    }
    s.EnergyServer.create({ currency: 'EUR', holdDurationS: 900, lateCompletion: 'reject' }, NOW).free();
  } finally {
    for (const name of names) delete Object.prototype[name];
  }
  assert.equal(inWasm, 0, 'no polluted getter ran with wasm on the stack');
  assert.equal(s.isInitialized(), true);
  // A polluted value is not taken for a missing optional field either.
  try {
    Object.prototype.step = '5.00'; // eslint-disable-line no-extend-native
    const ordered = terminal.order({ orderId: 'p-step', walletId: 'alice', maximum: '10.00', belowMaximum: 'decline', tariff: FUEL }, NOW + 3);
    assert.equal(Object.hasOwn(ordered.session.order, 'step') ? ordered.session.order.step : undefined, undefined);
  } finally {
    delete Object.prototype.step;
  }
});
