// Errors name the full path of the field they are about, raised where the problem is found (the
// adapter's deserialiser for shape, the core for values), with a message that says what is wrong
// and never repeats the path. No SDK code lists a struct's fields or re-labels an error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Card,
  CountersignRangeError,
  CountersignTypeError,
  EnergyServer,
  EnergyTerminal,
  Issuer,
  Ledger,
  TempCardIssuer,
  dispenseLimit,
  generateKeyPair,
  meteredCost,
  tempCredentials,
} from '@countersign/sdk';

const NOW = 1_796_895_000;
const FUEL = { currency: 'EUR', unit: 'litre', unitPrice: '1.859', costRounding: 'half-even' };
const ORDER = { orderId: 'o-1', walletId: 'alice', maximum: '50.00', belowMaximum: 'decline', tariff: FUEL };

function terminal() {
  const server = EnergyServer.create({ currency: 'EUR', holdDurationS: 900, lateCompletion: 'reject' }, NOW, generateKeyPair('EdDSA'), 'server-1');
  return EnergyTerminal.create({ stationId: 'station-1', serverKey: server.publicKey }, generateKeyPair('EdDSA'), 'pump-1');
}

function funded() {
  const ledger = Ledger.create();
  ledger.openAccount({ idempotencyKey: 'a1', now: NOW, accountId: 'bank', currency: 'EUR', kind: 'unrestricted' });
  ledger.openAccount({ idempotencyKey: 'a2', now: NOW, accountId: 'wallet', currency: 'EUR', kind: 'nonNegative' });
  return ledger;
}

const transfer = (extra = {}) => ({
  op: 'transfer',
  request: { idempotencyKey: `k-${Math.random()}`, now: NOW, debitAccountId: 'bank', creditAccountId: 'wallet', amount: '1.00', currency: 'EUR', ...extra },
});

function card() {
  const issuer = Issuer.generate('issuer-1');
  return Card.create('card-1', issuer.publicKey);
}

const AUTHORISATION = { transactionId: 't1', amount: '1.00', currency: 'EUR', time: NOW, terminalOnline: false };

function issuer() {
  return TempCardIssuer.create(
    { currency: 'EUR', binRange: { low: '45717360', high: '45717369', panLength: 16 } },
    { cvvKey: new Uint8Array(32).fill(3), now: NOW },
  );
}

const APPROVAL = {
  accountId: 'acc-1',
  parentAccountId: 'parent-1',
  approvedLimit: '1500.00',
  limitFraction: '0.2',
  displayWindow: { from: NOW, until: NOW + 300 },
  usableWindow: { from: NOW, until: NOW + 86_400 },
  now: NOW,
};

/** The error `fn` throws (it must throw). */
function errorOf(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.fail('expected a throw');
}

/**
 * Each case: a call, and the code, class, path and message it must give. The message is the whole
 * `countersign: <path>: <what>`: nothing else in front, the path once.
 */
const CASES = [
  // Unknown fields, at depth, named with their path and the allowed ones (INVALID_TYPE).
  [() => terminal().order({ ...ORDER, tariff: { ...FUEL, unitPirce: '1' } }, NOW), 'INVALID_TYPE', CountersignTypeError, 'order.tariff.unitPirce',
    'unknown field `unitPirce`; allowed: currency, unit, resolution, unitPrice, costRounding, tax'],
  [() => funded().executeBatch([transfer(), transfer(), transfer(), { op: 'post', request: { idempotencyKey: 'p', now: NOW, holdId: 'h', finale: true } }]),
    'INVALID_TYPE', CountersignTypeError, 'operations[3].request.finale', 'unknown field `finale`; allowed: idempotencyKey, now, holdId, amount, currency, final'],
  [() => funded().transfer({ ...transfer().request, amout: '1.00' }), 'INVALID_TYPE', CountersignTypeError, 'request.amout', null],
  [() => card().authorise({ ...AUTHORISATION, amout: '1.00' }), 'INVALID_TYPE', CountersignTypeError, 'request.amout', null],
  [() => issuer().approve({ ...APPROVAL, maxUse: 3 }), 'INVALID_TYPE', CountersignTypeError, 'request.maxUse', null],
  // Wrong types at depth (INVALID_TYPE), a fraction or a negative where an integer belongs (INVALID_ARGUMENT).
  [() => terminal().order({ ...ORDER, tariff: { ...FUEL, tax: { rate: '0.2', priceIncludesTax: 'yes', rounding: 'half-up' } } }, NOW),
    'INVALID_TYPE', CountersignTypeError, 'order.tariff.tax.priceIncludesTax', 'must be a boolean, got "yes"'],
  [() => funded().executeBatch([transfer(), transfer({ amount: 1 })]), 'INVALID_TYPE', CountersignTypeError, 'operations[1].request.amount', 'must be a string, got 1'],
  [() => issuer().approve({ ...APPROVAL, maxUses: -1 }), 'INVALID_ARGUMENT', CountersignRangeError, 'request.maxUses', 'must be a non-negative integer, got -1'],
  [() => card().authorise({ ...AUTHORISATION, time: 1.5 }), 'INVALID_ARGUMENT', CountersignRangeError, 'request.time', 'must be an integer, got 1.5'],
  [() => issuer().approve({ ...APPROVAL, displayWindow: { from: NOW } }), 'INVALID_TYPE', CountersignTypeError, 'request.displayWindow.until', 'is required'],
  [() => tempCredentials.displayStatus({ pan: '4571736000000001', expiry: '12/30', expiresAt: NOW, displayWindow: { from: NOW, until: '1' }, usableWindow: { from: NOW, until: NOW } }, NOW),
    'INVALID_TYPE', CountersignTypeError, 'credentials.displayWindow.until', 'must be an integer, got "1"'],
  // Values, checked by the core, named with their full path where they are raised.
  [() => funded().executeBatch([transfer(), transfer({ amount: '1.001' })]), 'AMOUNT_PRECISION', CountersignRangeError, 'operations[1].request.amount', null],
  [() => terminal().order({ ...ORDER, tariff: { ...FUEL, unitPrice: '0' } }, NOW), 'INVALID_ARGUMENT', CountersignRangeError, 'order.tariff.unitPrice', 'must be greater than zero'],
  [() => terminal().order({ ...ORDER, maximum: '0.00' }, NOW), 'INVALID_ARGUMENT', CountersignRangeError, 'order.maximum', 'must be greater than zero'],
  [() => dispenseLimit({ tariff: { ...FUEL, tax: { rate: '2', priceIncludesTax: false, rounding: 'half-up' } }, hold: '10.00' }),
    'INVALID_ARGUMENT', CountersignRangeError, 'request.tariff.tax.rate', null],
  [() => meteredCost({ tariff: FUEL, quantity: '1.001', unit: 'litre' }), 'INVALID_ARGUMENT', CountersignRangeError, 'request.quantity', null],
  [() => card().authorise({ ...AUTHORISATION, amount: '0' }), 'INVALID_ARGUMENT', CountersignRangeError, 'request.amount', 'must be greater than zero, got 0.00'],
  [() => card().refund({ transactionId: 't1', amount: '1.00', currency: 'XYZ', time: NOW }), 'CURRENCY_UNKNOWN', CountersignRangeError, 'request.currency', null],
  [() => issuer().approve({ ...APPROVAL, maxUses: 0 }), 'INVALID_ARGUMENT', CountersignRangeError, 'request.maxUses', null],
];

test('errors name the full path where they are raised, typed, with the message composed once', () => {
  for (const [fn, code, cls, param, message] of CASES) {
    const e = errorOf(fn);
    const label = `${param}: ${e.message}`;
    assert.ok(e instanceof cls, `${label}: ${e.constructor.name}`);
    assert.equal(e.code, code, label);
    assert.equal(e.param, param, label);
    const prefix = `countersign: ${param}: `;
    assert.ok(e.message.startsWith(prefix), label);
    const what = e.message.slice(prefix.length);
    if (message !== null) assert.equal(what, message, label);
    // The path appears once: the message proper neither repeats it nor starts with its last part.
    assert.ok(!what.includes(param), `${label}: the message repeats the path`);
    const last = param.split(/[.[]/).pop();
    assert.ok(!what.startsWith(`${last} `) && !what.startsWith(`${last}:`), `${label}: the message repeats the field`);
  }
});

test('change of tariff: the tariff errors are named under the argument', () => {
  const server = EnergyServer.create({ currency: 'EUR', holdDurationS: 900, lateCompletion: 'reject' }, NOW, generateKeyPair('EdDSA'), 'server-1');
  const t = EnergyTerminal.create({ stationId: 'station-1', serverKey: server.publicKey }, generateKeyPair('EdDSA'), 'pump-1');
  server.addTerminal('station-1', t.publicKey, NOW);
  server.openWallet('alice', NOW);
  server.topUp('alice', '100.00', NOW);
  const ordered = t.order(ORDER, NOW);
  assert.equal(t.acceptReply('o-1', server.handle('order', ordered.envelope, NOW), NOW).code, 'HELD');
  const value = errorOf(() => t.changeTariff('o-1', { ...FUEL, unitPrice: '-1' }, NOW + 1));
  assert.deepEqual([value.code, value.param, value.message], ['INVALID_ARGUMENT', 'tariff.unitPrice', 'countersign: tariff.unitPrice: must not be negative']);
  const shape = errorOf(() => t.changeTariff('o-1', { ...FUEL, extra: 1 }, NOW + 1));
  assert.deepEqual([shape.code, shape.param], ['INVALID_TYPE', 'tariff.extra']);
});
