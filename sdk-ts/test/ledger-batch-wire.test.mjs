// `Ledger#executeBatch` sends a batch of regular operations to wasm as bytes (sdk-ts/src/
// ledger-wire.ts: the core's encoding of each operation in, a string table and fixed records
// out) and any other batch as objects. This test runs the same batches through the SDK and
// through the adapter's object reader (the raw glue's `executeBatch`, one JS object per
// operation) on two ledgers that start equal, and requires the same outcomes (the same fields in
// the same order), the same errors (code, param, message) and the same state after every batch.
// Random batches cover every operation kind, valid and invalid values (non-ASCII and over-long
// ids, bad amounts, linked chains, optional fields absent, null or given); hand-written
// irregular batches (a wrong type, an unknown field, a bigint time, inherited fields) must take
// the object path and still agree. A spy on the glue counts which path each batch took.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ledger } from '@countersign/sdk';
import { wasm } from '../dist/loader.js';
import { fromWasmError } from '../dist/errors.js';
import { hex } from './helpers.mjs';

const T0 = 1_767_225_600;

/** Counts calls of the glue's encoded batch method (the bytes path). */
function spyEncoded() {
  const proto = wasm().LedgerHandle.prototype;
  const original = proto.executeBatchEncoded;
  const spy = { calls: 0, restore: () => (proto.executeBatchEncoded = original) };
  proto.executeBatchEncoded = function (...args) {
    spy.calls++;
    return original.apply(this, args);
  };
  return spy;
}

/** A small deterministic PRNG (mulberry32). */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ACCOUNTS = ['bank', 'wallet', 'bank', 'wallet', 'shop', 'kasse-é', 'credit', 'yen', 'nobody'];
const AMOUNTS = ['1.00', '0.01', '31.17', '50', '0', '-1.00', '999999999999.99', '7'];
const BAD_AMOUNTS = ['12.345', 'abc', '1e3'];
const CURRENCIES = ['EUR', 'EUR', 'EUR', 'EUR', 'EUR', 'JPY', 'USD'];
const BAD_CURRENCIES = ['eur', ''];

/** A random batch of `size` operations (valid and invalid) over the ids and amounts above. */
function randomBatch(random, size, serial, placed) {
  const any = (list) => list[Math.floor(random() * list.length)];
  // A value from the list, or now and then one the core refuses (the whole batch throws).
  const pick = (list) => (random() < 0.003 ? any([...BAD_AMOUNTS, ...BAD_CURRENCIES, 'x'.repeat(65)]) : any(list));
  // A new hold's id (now and then a non-ASCII or an old one); the others name a recent hold.
  const newHoldId = (i) => (random() < 0.1 ? pick(['hold-ü', 'h🙂', ...placed.slice(-3)]) : `h${serial}-${i}`);
  const holdId = () => (random() < 0.1 ? pick(['hold-ü', 'h🙂', 'h-none']) : pick(placed.slice(-4)) ?? 'h-none');
  const ops = [];
  for (let i = 0; i < size; i++) {
    const idempotencyKey = random() < 0.05 ? 'k-repeat' : `k${serial}-${i}`;
    const now = T0 + serial * 10 + (random() < 0.1 ? -5 : i);
    // Holds and posts most often (they need each other), every kind now and then.
    const kind = any([0, 1, 2, 2, 2, 3, 4, 5, 5, 5, 6, 7, 8, 9, 10]);
    let op;
    switch (kind) {
      case 0: {
        const accountKind = any(['unrestricted', 'nonNegative', 'creditLine']);
        const request = { idempotencyKey, now, accountId: pick(ACCOUNTS), currency: pick(CURRENCIES), kind: accountKind };
        if (accountKind === 'creditLine' || random() < 0.1) request.creditLimit = pick(AMOUNTS);
        op = { op: 'openAccount', request };
        break;
      }
      case 1:
        op = { op: 'transfer', request: { idempotencyKey, now, debitAccountId: pick(ACCOUNTS), creditAccountId: pick(ACCOUNTS), amount: pick(AMOUNTS), currency: pick(CURRENCIES) } };
        break;
      case 2:
        placed.push(`h${serial}-${i}`);
        op = {
          op: 'hold',
          // Mostly one that succeeds (so that posts, voids and extensions find it pending).
          request: random() < 0.6
            ? { idempotencyKey, now, holdId: newHoldId(i), debitAccountId: 'wallet', creditAccountId: 'bank', amount: '1.00', currency: 'EUR', expiresAt: now + 600 }
            : { idempotencyKey, now, holdId: newHoldId(i), debitAccountId: pick(ACCOUNTS), creditAccountId: pick(ACCOUNTS), amount: pick(AMOUNTS), currency: pick(CURRENCIES), expiresAt: now + any([-1, 1, 60, 600, 2 ** 30]) },
        };
        break;
      case 3:
        op = { op: 'increment', request: { idempotencyKey, now, holdId: holdId(), amount: random() < 0.5 ? '0.10' : pick(AMOUNTS), currency: pick(CURRENCIES) } };
        break;
      case 4:
        op = { op: 'extend', request: { idempotencyKey, now, holdId: holdId(), expiresAt: now + any([0, 30, 3600]) } };
        break;
      case 5: {
        const request = { idempotencyKey, now, holdId: holdId() };
        const form = random();
        if (form < 0.5) Object.assign(request, { amount: random() < 0.5 ? '0.25' : pick(AMOUNTS), currency: pick(CURRENCIES) });
        else if (form < 0.6) Object.assign(request, { amount: null, currency: null });
        if (random() < 0.7) request.final = random() < 0.5;
        op = { op: 'post', request };
        break;
      }
      case 6:
        op = { op: 'void', request: { idempotencyKey, now, holdId: holdId() } };
        break;
      case 7:
        op = { op: 'expireDue', request: { idempotencyKey, now: now + any([0, 700]) } };
        break;
      case 8:
        op = { op: 'setCreditLimit', request: { idempotencyKey, now, accountId: pick(ACCOUNTS), creditLimit: pick(AMOUNTS), currency: pick(CURRENCIES) } };
        break;
      case 9:
        op = { op: 'closeAccount', request: { idempotencyKey, now, accountId: pick(ACCOUNTS) } };
        break;
      default: {
        const request = { idempotencyKey, now, keysKeptBy: any(['ledger', 'store']) };
        const window = random();
        if (window < 0.3) request.keyWindow = any([4096, 32_768, 4096, 100]);
        else if (window < 0.4) request.keyWindow = null;
        op = { op: 'setKeyRetention', request };
      }
    }
    if (random() < 0.15 && op.op !== 'openAccount') op.linked = true;
    else if (random() < 0.1) op.linked = false;
    ops.push(op);
  }
  // An open chain (the last operation linked) throws: now and then only.
  if (ops.at(-1).linked && random() < 0.9) delete ops.at(-1).linked;
  return ops;
}

/** What a call did: its outcomes as JSON (field order included), or its error's code, param and message. */
function attempt(run) {
  try {
    return { outcomes: JSON.stringify(run()) };
  } catch (e) {
    const error = e instanceof Error && 'code' in e && e.constructor.name.startsWith('Countersign') ? e : fromWasmError(e);
    return { error: { code: error.code, param: error.param, message: error.message } };
  }
}

/** A ledger through the SDK and one through the raw glue's object path, set up alike. */
function pairOfLedgers() {
  const sdk = Ledger.create();
  const raw = new (wasm().LedgerHandle)();
  const setUp = [
    { op: 'openAccount', request: { idempotencyKey: 'o1', now: T0, accountId: 'bank', currency: 'EUR', kind: 'unrestricted' } },
    { op: 'openAccount', request: { idempotencyKey: 'o2', now: T0, accountId: 'wallet', currency: 'EUR', kind: 'nonNegative' } },
    { op: 'openAccount', request: { idempotencyKey: 'o3', now: T0, accountId: 'yen', currency: 'JPY', kind: 'nonNegative' } },
    { op: 'transfer', request: { idempotencyKey: 'f1', now: T0, debitAccountId: 'bank', creditAccountId: 'wallet', amount: '1000.00', currency: 'EUR' } },
  ];
  sdk.executeBatch(setUp);
  raw.executeBatch(setUp);
  return { sdk, raw };
}

function assertSame(ledgers, ops, ctx) {
  const viaSdk = attempt(() => ledgers.sdk.executeBatch(ops));
  const viaObjects = attempt(() => ledgers.raw.executeBatch(structuredClone(ops)));
  assert.deepEqual(viaSdk, viaObjects, ctx);
  assert.equal(hex(ledgers.sdk.stateDigest()), hex(ledgers.raw.stateDigest()), `${ctx}: the same state`);
  return viaSdk;
}

test('random batches: the bytes path answers exactly as the object path (outcomes, errors, state)', () => {
  const ledgers = pairOfLedgers();
  const spy = spyEncoded();
  try {
    const random = prng(20261206);
    let errors = 0;
    const codes = new Set();
    const placed = [];
    for (let serial = 0; serial < 400; serial++) {
      const ops = randomBatch(random, 1 + Math.floor(random() * 12), serial, placed);
      const result = assertSame(ledgers, ops, `batch ${serial}: ${JSON.stringify(ops)}`);
      if (result.error) errors++;
      else for (const outcome of JSON.parse(result.outcomes)) codes.add(outcome.code);
    }
    // Every batch above is regular: each went as bytes, and both kinds of result were seen.
    assert.equal(spy.calls, 400);
    assert.ok(errors > 20 && errors < 200, `errors in ${errors} batches of 400`);
    for (const code of ['HELD', 'POSTED', 'VOIDED', 'INCREMENTED', 'EXTENDED', 'TRANSFERRED', 'DUE_HOLDS_EXPIRED', 'LINKED_OPERATION_FAILED', 'IDEMPOTENCY_KEY_REUSED', 'KEY_RETENTION_SET']) {
      assert.ok(codes.has(code), `some outcome is ${code} (${[...codes]})`);
    }
  } finally {
    spy.restore();
  }
});

test('a long batch of holds and posts with repeats: the string table across many outcomes', () => {
  const ledgers = pairOfLedgers();
  const ops = [];
  for (let i = 0; i < 500; i++) {
    ops.push({ op: 'hold', request: { idempotencyKey: `h${i}`, now: T0 + i, holdId: `hold-${i}`, debitAccountId: 'wallet', creditAccountId: 'bank', amount: '1.00', currency: 'EUR', expiresAt: T0 + i + 5 } });
    ops.push({ op: 'post', request: { idempotencyKey: `p${i}`, now: T0 + i, holdId: `hold-${i % 7 === 0 ? i - 1 : i}`, amount: '0.40', currency: 'EUR', final: i % 2 === 0 } });
  }
  ops.push({ op: 'expireDue', request: { idempotencyKey: 'e', now: T0 + 10_000 } });
  const first = assertSame(ledgers, ops, 'first run');
  const outcomes = JSON.parse(first.outcomes);
  assert.equal(outcomes.length, 1001);
  assert.ok(outcomes.at(-1).expired.length > 0, 'the last operation expired holds');
  // Again: every answer is a repeat from the idempotency window.
  const again = JSON.parse(assertSame(ledgers, ops, 'repeated').outcomes);
  assert.ok(again.every((o) => o.repeated));
});

test('irregular batches take the object path and answer as it does', () => {
  const hold = (extra = {}) => ({ idempotencyKey: `i-${Math.random()}`, now: T0, holdId: `ih-${Math.random()}`, debitAccountId: 'wallet', creditAccountId: 'bank', amount: '1.00', currency: 'EUR', expiresAt: T0 + 60, ...extra });
  const cases = [
    ['an unknown request field', [{ op: 'hold', request: hold({ amout: '1' }) }]],
    ['a fractional time', [{ op: 'hold', request: hold({ now: T0 + 0.5 }) }]],
    ['a bigint time (accepted)', [{ op: 'hold', request: hold({ now: BigInt(T0) }) }]],
    ['a number amount', [{ op: 'hold', request: hold({ amount: 1 }) }]],
    ['a missing field', [{ op: 'void', request: { idempotencyKey: 'v', now: T0 } }]],
    ['final: null', [{ op: 'post', request: { idempotencyKey: 'p', now: T0, holdId: 'h', final: null } }]],
    ['an unknown account kind', [{ op: 'openAccount', request: { idempotencyKey: 'o', now: T0, accountId: 'z', currency: 'EUR', kind: 'savings' } }]],
    ['a non-boolean linked', [{ op: 'hold', request: hold(), linked: 1 }]],
    ['linked: undefined given (accepted)', [{ op: 'hold', request: hold(), linked: undefined }]],
    ['an unknown element field', [{ op: 'hold', request: hold(), linkd: true }]],
    ['an unknown op', [{ op: 'holdd', request: hold() }]],
    ['a request that is an array', [{ op: 'hold', request: [] }]],
    ['an element that is a string', ['hold']],
    ['a keyWindow beyond u32', [{ op: 'setKeyRetention', request: { idempotencyKey: 's', now: T0, keysKeptBy: 'store', keyWindow: 2 ** 32 } }]],
    ['a field given as undefined (accepted)', [{ op: 'post', request: { idempotencyKey: 'pu', now: T0, holdId: 'h', amount: undefined } }]],
  ];
  const ledgers = pairOfLedgers();
  const spy = spyEncoded();
  try {
    for (const [what, ops] of cases) {
      assertSame(ledgers, ops, what);
      assert.equal(spy.calls, 0, `${what}: not as bytes`);
    }
    // Inherited fields: the object reader reads `request.amount` and `element.linked` through
    // the prototype chain (a polluted Object.prototype); such a batch must not go as bytes.
    for (const [key, value] of [['amount', '2.00'], ['linked', true], ['final', true]]) {
      Object.prototype[key] = value;
      try {
        const ops = [{ op: 'post', request: { idempotencyKey: `inh-${key}`, now: T0, holdId: 'nope' } }];
        assertSame(ledgers, ops, `an inherited ${key}`);
      } finally {
        delete Object.prototype[key];
      }
    }
    assert.equal(spy.calls, 0, 'no batch with an inherited field went as bytes');
    // A regular batch right after still goes as bytes.
    assertSame(ledgers, [{ op: 'hold', request: hold() }], 'regular');
    assert.equal(spy.calls, 1);
  } finally {
    spy.restore();
  }
});

test('the encoded entry point refuses bytes that are not an encoded batch, naming operations', () => {
  const raw = new (wasm().LedgerHandle)();
  for (const bytes of [new Uint8Array(0), new Uint8Array([0x81, 0xf4]), new Uint8Array([0x82, 0xf4, 0x83, 0x07, 0x61, 0x6b, 0x01, 0x00]), new Uint8Array([0x80, 0x00])]) {
    assert.throws(() => raw.executeBatchEncoded(bytes), (e) => {
      const error = fromWasmError(e);
      assert.equal(error.code, 'INVALID_ARGUMENT');
      assert.equal(error.param, 'operations');
      return true;
    });
  }
  // The empty batch is an empty array: four zero bytes of strings, four of outcomes.
  assert.deepEqual([...raw.executeBatchEncoded(new Uint8Array([0x80]))], [0, 0, 0, 0, 0, 0, 0, 0]);
  raw.free();
});
