// Money through the SDK: the shared vectors (same file as cargo test) and the boundary edges
// where JavaScript values could silently lose precision.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Amount, CountersignError, currencies, currency } from '@countersign/sdk';
import { throwsCode } from './helpers.mjs';

test('currencies: ISO 4217 minor units and registered assets', () => {
  assert.deepEqual(currency('EUR'), { code: 'EUR', minorUnits: 2, numeric: 978, kind: 'iso4217' });
  assert.equal(currency('JPY').minorUnits, 0);
  assert.equal(currency('KWD').minorUnits, 3);
  assert.equal(currency('BHD').minorUnits, 3);
  assert.deepEqual(currency('BTC'), { code: 'BTC', minorUnits: 8, numeric: null, kind: 'asset' });
  assert.equal(currency('ETH').minorUnits, 18);
  throwsCode(assert, () => currency('eur'), 'CURRENCY_UNKNOWN', RangeError);
  throwsCode(assert, () => currency('ZZZ'), 'CURRENCY_UNKNOWN', RangeError);
  const all = currencies();
  assert.ok(all.length > 150, `${all.length} currencies`);
  const codes = all.map((c) => c.code);
  assert.deepEqual(codes, [...codes].sort(), 'sorted by code');
});

test('strict parsing: every rejected form has its code and names the parameter', () => {
  for (const input of ['', ' 1', '1 ', '+1', '1e3', '1E3', '01', '1.', '.5', '1,00', '1_000', '٣', 'NaN', 'Infinity', '0x10']) {
    assert.throws(
      () => Amount.parse(input, 'EUR'),
      (e) => e instanceof RangeError && e instanceof CountersignError && e.code === 'AMOUNT_SYNTAX' && e.param === 'amount',
      `input ${JSON.stringify(input)}`,
    );
  }
  throwsCode(assert, () => Amount.parse('12.345', 'EUR'), 'AMOUNT_PRECISION', RangeError);
  throwsCode(assert, () => Amount.parse('1.5', 'JPY'), 'AMOUNT_PRECISION', RangeError);
  assert.equal(Amount.parse('12.345', 'EUR', { rounding: 'half-even' }).toString(), '12.34');
  assert.equal(Amount.parse('12.345', 'EUR', { rounding: 'half-up' }).toString(), '12.35');
  throwsCode(assert, () => Amount.parse('1', 'EUR', { rounding: 'bankers' }), 'ROUNDING_MODE_UNKNOWN', RangeError);
});

test('canonical output and -0', () => {
  assert.equal(Amount.parse('5', 'JPY').toString(), '5');
  assert.equal(Amount.parse('12.3', 'EUR').toString(), '12.30');
  assert.equal(Amount.parse('-0', 'EUR').toString(), '0.00');
  assert.equal(Amount.parse('-0.00', 'EUR').isNegative(), false);
  assert.equal(Amount.parse('0.001', 'KWD').toString(), '0.001');
  assert.equal(Amount.parse('0.00000001', 'BTC').toMinor(), 1n);
  assert.deepEqual(Amount.parse('-1.5', 'EUR').toJSON(), { amount: '-1.50', currency: 'EUR' });
  assert.equal(JSON.stringify({ price: Amount.parse('2', 'EUR') }), '{"price":{"amount":"2.00","currency":"EUR"}}');
});

test('bigint minor units: u64::MAX and beyond survive the boundary exactly', () => {
  const u64Max = 18446744073709551615n;
  const amount = Amount.fromMinor(u64Max, 'EUR');
  assert.equal(amount.toString(), '184467440737095516.15');
  assert.equal(amount.toMinor(), u64Max);
  const big = Amount.fromMinor(-(2n ** 90n), 'JPY');
  assert.equal(big.toMinor(), -(2n ** 90n));
  const decimalMax = 79228162514264337593543950335n;
  assert.equal(Amount.fromMinor(decimalMax, 'JPY').toString(), decimalMax.toString());
  throwsCode(assert, () => Amount.fromMinor(decimalMax + 1n, 'JPY'), 'AMOUNT_OUT_OF_RANGE', RangeError);
  throwsCode(assert, () => Amount.fromMinor(5, 'EUR'), 'INVALID_TYPE', TypeError);
  throwsCode(assert, () => Amount.parse('79228162514264337593543950336', 'JPY'), 'AMOUNT_OUT_OF_RANGE', RangeError);
  assert.equal(Amount.parse('792281625142643375935439503.35', 'EUR').toMinor(), decimalMax);
});

test('checked arithmetic: overflow and currency mismatch are errors, never wraps', () => {
  const max = Amount.fromMinor(79228162514264337593543950335n, 'JPY');
  throwsCode(assert, () => max.add(Amount.parse('1', 'JPY')), 'AMOUNT_OVERFLOW', RangeError);
  throwsCode(assert, () => Amount.parse('1', 'EUR').add(Amount.parse('1', 'USD')), 'CURRENCY_MISMATCH', RangeError);
  throwsCode(assert, () => Amount.parse('1', 'EUR').compare(Amount.parse('1', 'USD')), 'CURRENCY_MISMATCH', RangeError);
  throwsCode(assert, () => Amount.parse('1', 'EUR').add('1.00'), 'INVALID_TYPE', TypeError);
  const a = Amount.parse('0.10', 'EUR');
  const b = Amount.parse('0.20', 'EUR');
  assert.equal(a.add(b).toString(), '0.30', 'no binary floating point');
  assert.equal(a.sub(b).toString(), '-0.10');
  assert.equal(a.compare(b), -1);
  assert.equal(b.compare(a), 1);
  assert.equal(a.compare(Amount.parse('0.1', 'EUR')), 0);
  assert.ok(a.equals(Amount.parse('0.1', 'EUR')));
  assert.equal(Amount.parse('10.00', 'EUR').mul('0.075', 'half-even').toString(), '0.75');
  assert.equal(Amount.parse('1.05', 'EUR').mul('0.5', 'half-even').toString(), '0.52');
  assert.equal(Amount.parse('1.05', 'EUR').mul('0.5', 'half-up').toString(), '0.53');
  throwsCode(assert, () => a.mul('1e2', 'half-even'), 'AMOUNT_SYNTAX', RangeError);
  assert.ok(Amount.zero('EUR').isZero());
});

test('split: parts sum exactly to the whole, leftover to the earliest parts', () => {
  const parts = Amount.parse('100.00', 'EUR').split([1, 1, 1]);
  assert.deepEqual(parts.map(String), ['33.34', '33.33', '33.33']);
  const negative = Amount.parse('-0.05', 'EUR').split([1n, 1n]);
  assert.deepEqual(negative.map(String), ['-0.03', '-0.02']);
  assert.deepEqual(Amount.parse('7', 'JPY').split([0, 1]).map(String), ['0', '7']);
  throwsCode(assert, () => Amount.parse('1', 'EUR').split([]), 'SPLIT_RATIOS_INVALID', RangeError);
  throwsCode(assert, () => Amount.parse('1', 'EUR').split([0, 0]), 'SPLIT_RATIOS_INVALID', RangeError);
  throwsCode(assert, () => Amount.parse('1', 'EUR').split([-1]), 'INVALID_ARGUMENT', RangeError);
  throwsCode(assert, () => Amount.parse('1', 'EUR').split([1.5]), 'INVALID_ARGUMENT', RangeError);
  throwsCode(assert, () => Amount.parse('1', 'EUR').split(['1']), 'INVALID_TYPE', TypeError);
});
