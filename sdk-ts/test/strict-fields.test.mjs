// A misspelt optional field is refused, naming it, in every system: the core's deserialiser
// ignores unknown fields, so without this `maxUse: 1` would silently mean "unlimited uses" and
// `finale: true` a non-final capture.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as sdk from '@countersign/sdk';

const NOW = 1_796_895_000;

function refusesField(fn, param) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof sdk.CountersignTypeError, `${param}: ${err}`);
    assert.equal(err.code, 'INVALID_TYPE');
    assert.equal(err.param, param);
    assert.match(err.message, /unknown field/);
    return true;
  });
}

test('temporary card: approval, purchase, refund, config and windows refuse unknown fields', () => {
  const config = { currency: 'EUR', binRange: { low: '45717360', high: '45717369', panLength: 16 } };
  const cvvKey = new Uint8Array(32).fill(1);
  refusesField(() => sdk.TempCardIssuer.create({ ...config, settlement: 'x' }, { cvvKey, now: NOW }), 'config.settlement');
  refusesField(() => sdk.TempCardIssuer.create({ ...config, binRange: { ...config.binRange, length: 16 } }, { cvvKey, now: NOW }), 'config.binRange.length');
  const issuer = sdk.TempCardIssuer.create(config, { cvvKey, now: NOW });
  const approval = {
    accountId: 't', parentAccountId: 'p', approvedLimit: '100.00', limitCap: '10',
    displayWindow: { from: NOW, until: NOW + 60 }, usableWindow: { from: NOW, until: NOW + 600 }, now: NOW,
  };
  refusesField(() => issuer.approve({ ...approval, maxUse: 1 }), 'request.maxUse');
  refusesField(() => issuer.approve({ ...approval, usableWindow: { from: NOW, to: NOW + 1 } }), 'request.usableWindow.to');
  assert.equal(issuer.accountIds().length, 0, 'nothing was approved');
  assert.equal(issuer.approve(approval).code, 'TEMPORARY_ACCOUNT_OPENED');
  const { pan, expiry, cvv } = issuer.reveal('t', NOW);
  const purchase = { authorisationId: 'a', pan, expiry, cvv, amount: '1.00', currency: 'EUR', merchantId: 'm', now: NOW };
  refusesField(() => issuer.authorise({ ...purchase, merchant: 'm' }), 'request.merchant');
  refusesField(() => issuer.refund({ refundId: 'r', pan, authorisationId: 'a', amount: '1.00', currency: 'EUR', now: NOW, note: '' }), 'request.note');
  issuer.free();
});

test('card: authorisation, settlement, reversal and configuration refuse unknown fields', () => {
  const issuer = new sdk.Issuer(sdk.generateKeyPair('EdDSA'), 'issuer-1');
  const card = sdk.Card.create('c1', issuer.publicKey);
  const request = { transactionId: 't', amount: '1.00', currency: 'EUR', time: NOW, terminalOnline: false };
  refusesField(() => card.authorise({ ...request, mcc: '5411' }), 'request.mcc');
  refusesField(() => card.capture({ transactionId: 't', amount: '1.00', currency: 'EUR', time: NOW, final: true }), 'request.final');
  refusesField(() => card.reverse({ transactionId: 't', time: NOW, amount: '1.00' }), 'request.amount');
  const config = { cardId: 'c1', currency: 'EUR', limits: [], appKeys: [] };
  const options = { seq: 1n, issuedAt: NOW, expiresAt: NOW + 60 };
  refusesField(() => issuer.provision({ ...config, countingPolicy: {} }, options), 'config.countingPolicy');
  refusesField(
    () => issuer.provision({ ...config, limits: [{ id: 'l', measure: 'count', window: { kind: 'lifetime' }, hard: '3', softLimit: '2' }] }, options),
    'config.limits[0].softLimit',
  );
  card.free();
});

test('energy: orders, tariffs, pricing requests and configurations refuse unknown fields', () => {
  const tariff = { currency: 'EUR', unit: 'litre', unitPrice: '1.859', costRounding: 'half-even' };
  refusesField(() => sdk.meteredCost({ tariff: { ...tariff, price: '2' }, quantity: '1.00', unit: 'litre' }), 'request.tariff.price');
  refusesField(() => sdk.dispenseLimit({ tariff, hold: '10.00', max: '1' }), 'request.max');
  refusesField(
    () => sdk.meteredCost({ tariff: { ...tariff, tax: { rate: '0.2', priceIncludesTax: true, rounding: 'half-even', name: 'VAT' } }, quantity: '1.00', unit: 'litre' }),
    'request.tariff.tax.name',
  );
  refusesField(() => sdk.EnergyServer.create({ currency: 'EUR', holdDurationS: 900, lateCompletion: 'reject', late: 'x' }, NOW), 'config.late');
  const server = sdk.EnergyServer.create({ currency: 'EUR', holdDurationS: 900, lateCompletion: 'reject' }, NOW);
  const pump = sdk.EnergyTerminal.create({ stationId: 's', serverKey: server.publicKey });
  refusesField(() => pump.order({ orderId: 'o', walletId: 'w', maximum: '50.00', belowMaximum: 'decline', tariff, minimun: '5.00' }, NOW), 'order.minimun');
  server.free();
  pump.free();
});

test('ledger: requests refuse unknown fields (a misspelt `final` is not a non-final post)', () => {
  const ledger = sdk.Ledger.create();
  assert.throws(
    () => ledger.post({ idempotencyKey: 'k', now: NOW, holdId: 'h', finale: true }),
    (err) => err instanceof sdk.CountersignTypeError && err.param === 'request.finale' && /unknown field/.test(err.message),
  );
  assert.equal(ledger.head().seq, 0);
});
