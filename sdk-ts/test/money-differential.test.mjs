// The SDK's own money arithmetic against the core, the only place that defines the rules.
//
// `Amount` keeps bigint minor units and parses strings the grammar accepts exactly in JavaScript
// (sdk-ts/src/money.ts, parseExact); everything else goes to the core. That fast path restates a
// subset of the core's grammar and formatMinor restates its canonical format, so here both are
// compared with the raw wasm exports (the oracle, called directly, no SDK code in between) on
// thousands of random and edge-case strings in every kind of currency: the SDK must give the
// same canonical string and minor units, or the same error code, param and message.
// add / sub / compare / fromMinor are compared the same way around the edges of the range.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Amount, currencies } from '@countersign/sdk';
import * as glue from '../wasm/countersign_wasm.js'; // the module the Node entry instantiated

/** Fixed, so a failure reproduces; fast-check prints the counterexample and its path. */
const SEED = 20261206;
/** Random strings per property (several properties: well over ten thousand strings in all). */
const RUNS = 4000;

const MINOR_UNITS_MAX = (1n << 96n) - 1n; // what the core exports as amountMinorUnitsMax
const CODES = currencies().map((c) => c.code);
const DIGITS_OF = new Map(currencies().map((c) => [c.code, c.minorUnits]));
/** One currency of each number of minor digits the table has: the familiar ones, then one code
 * for any number of digits they miss (should the table gain one). */
const EACH_SCALE = (() => {
  const byScale = new Map();
  for (const code of ['JPY', 'EUR', 'KWD', 'CLF', 'USDC', 'BTC', 'ETH', ...CODES]) {
    const scale = DIGITS_OF.get(code);
    if (scale !== undefined && !byScale.has(scale)) byScale.set(scale, code);
  }
  return [...byScale.values()];
})();

/** The answer of `run` as comparable data: the value, or the error's code, param and message. */
function outcome(run) {
  try {
    return { ok: run() };
  } catch (e) {
    return { error: e.code, param: e.param || undefined, message: e.message };
  }
}

function coreParse(value, code, rounding) {
  return outcome(() => {
    const canonical = glue.amountParse(value, code, rounding);
    return { canonical, minor: glue.amountToMinor(canonical, code) };
  });
}

function sdkParse(value, code, rounding) {
  return outcome(() => {
    const amount = Amount.parse(value, code, rounding === undefined ? undefined : { rounding });
    return { canonical: amount.toString(), minor: amount.toMinor().toString() };
  });
}

/** Inputs both accepted without a rounding mode, by minor digits of the currency: shows that the
 * properties compared values (the SDK's fast path) in every scale, not only errors. */
const acceptedByScale = new Map();

function agreeOnParse(value, code, rounding) {
  const core = coreParse(value, code, rounding);
  assert.deepEqual(sdkParse(value, code, rounding), core, `parse ${JSON.stringify(value)} ${code} ${rounding ?? ''}`);
  if ('ok' in core && rounding === undefined) {
    const scale = DIGITS_OF.get(code);
    acceptedByScale.set(scale, (acceptedByScale.get(scale) ?? 0) + 1);
  }
}

// ---------------------------------------------------------------------------------------------
// strings

const currencyCode = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...EACH_SCALE) },
  { weight: 3, arbitrary: fc.constantFrom(...CODES) },
  { weight: 1, arbitrary: fc.constantFrom('eur', 'ZZZ', '', 'EUR ', 'XTS') },
);
const digitRun = (maxLength) => fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength });
/** Strings shaped like amounts, with every way of being slightly wrong. */
const amountLike = fc
  .record({
    sign: fc.constantFrom('', '', '', '-', '+', ' ', '--', '\u2212'),
    integer: fc.oneof(digitRun(32), fc.constantFrom('0', '00', '01', '1', '9')),
    point: fc.constantFrom('', '.', '.', '..', ','),
    fraction: fc.oneof(digitRun(22), fc.constantFrom('0', '00', '0000', '5', '50', '000000000000000000000')),
    suffix: fc.constantFrom('', '', '', '', ' ', 'e3', 'E-2', '.', '0', '\u0663', '\uff11', '\u00a0', '_1', '-', 'x', '\n'),
  })
  .map(({ sign, integer, point, fraction, suffix }) => sign + integer + point + (point === '' ? '' : fraction) + suffix);
/** Canonical spellings of minor units around the whole range, at a random scale, maybe with
 * trailing zeros: every length up to the range's 29 digits and past it. */
const aroundTheRange = fc
  .record({
    minor: fc.oneof(
      fc.bigInt({ min: -MINOR_UNITS_MAX - 1000n, max: MINOR_UNITS_MAX + 1000n }),
      fc.bigInt({ min: -(10n ** 16n), max: 10n ** 16n }),
      fc.bigInt({ min: -1000n, max: 1000n }),
      fc.constantFrom(MINOR_UNITS_MAX, MINOR_UNITS_MAX + 1n, -MINOR_UNITS_MAX, -MINOR_UNITS_MAX - 1n, 10n ** 28n - 1n, 10n ** 28n, 2n ** 53n, 2n ** 53n + 1n, 10n ** 15n - 1n, 10n ** 15n),
    ),
    scale: fc.integer({ min: 0, max: 30 }),
    trailingZeros: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 40 }) }),
  })
  .map(({ minor, scale, trailingZeros }) => {
    const negative = minor < 0n;
    let digits = (negative ? -minor : minor).toString().padStart(scale + 1, '0');
    const point = digits.length - scale;
    let text = scale === 0 ? digits : `${digits.slice(0, point)}.${digits.slice(point)}`;
    if (trailingZeros > 0) text += (scale === 0 ? '.' : '') + '0'.repeat(trailingZeros);
    return (negative ? '-' : '') + text;
  });
/** Strings the fast path is for: a currency and a value written with at most its minor digits. */
const exactAtScale = fc
  .record({
    code: fc.constantFrom(...EACH_SCALE, ...CODES),
    minor: fc.oneof(
      fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
      fc.bigInt({ min: -(10n ** 16n), max: 10n ** 16n }),
      fc.bigInt({ min: -100000n, max: 100000n }),
    ),
    dropped: fc.nat(18),
  })
  .map(({ code, minor, dropped }) => {
    const scale = Math.max(0, (DIGITS_OF.get(code) ?? 0) - dropped);
    const negative = minor < 0n;
    const digits = (negative ? -minor : minor).toString().padStart(scale + 1, '0');
    const point = digits.length - scale;
    return [(negative ? '-' : '') + (scale === 0 ? digits : `${digits.slice(0, point)}.${digits.slice(point)}`), code];
  });
const anyText = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'0123456789.-+eE _,'), maxLength: 70 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }), // well-formed: a lone surrogate is the guard's to refuse
);

/** The edges written out, each tried in one currency of every scale. */
const EDGE_CASES = [
  '0', '-0', '0.0', '-0.00', '00', '01', '-01', '1', '-1', '1.', '.5', '-.5', '+1', ' 1', '1 ', '', '-', '.',
  '1e3', '1E3', '1.5e1', 'NaN', 'Infinity', '-Infinity', '0x10', '1_000', '1,00', '١', '٣', '１', '1.2.3', '--1', '1-',
  '12.345', '12.3450', '1.2300', '0.001', '0.00000001', '0.000000001', '1.000000000000000001', '1.0000000000000000001',
  '792281625142643375935439503.35', '792281625142643375935439503.36', '-792281625142643375935439503.35',
  '79228162514264337593543950335', '79228162514264337593543950336', '-79228162514264337593543950335',
  '9999999999999999999999999999', '99999999999999999999999999999', '999999999999999', '9999999999999999',
  '9007199254740991', '9007199254740993', '90071992547409.93', '1' + '0'.repeat(63), '1' + '0'.repeat(64),
  '0.' + '0'.repeat(62), '0.' + '0'.repeat(63), '1.' + '0'.repeat(61) + '1',
];

test('parse: the SDK and the core agree on every edge case in every scale', () => {
  for (const value of EDGE_CASES) {
    for (const code of EACH_SCALE) agreeOnParse(value, code, undefined);
  }
});

test('parse: the SDK and the core agree on random amount-like strings', () => {
  fc.assert(fc.property(amountLike, currencyCode, (value, code) => agreeOnParse(value, code, undefined)), { seed: SEED, numRuns: RUNS });
});

test('parse: the SDK and the core agree on spellings around the whole range', () => {
  fc.assert(fc.property(aroundTheRange, currencyCode, (value, code) => agreeOnParse(value, code, undefined)), { seed: SEED, numRuns: RUNS });
});

test("parse: the SDK and the core agree on values written with at most the currency's digits", () => {
  fc.assert(fc.property(exactAtScale, ([value, code]) => agreeOnParse(value, code, undefined)), { seed: SEED, numRuns: RUNS });
});

test('parse: the SDK and the core agree on arbitrary text', () => {
  fc.assert(fc.property(anyText, currencyCode, (value, code) => agreeOnParse(value, code, undefined)), { seed: SEED, numRuns: RUNS });
});

test('parse with a rounding mode: the SDK and the core agree', () => {
  const mode = fc.constantFrom('half-even', 'half-up', 'half-down', 'toward-zero', 'away-from-zero', 'floor', 'ceiling');
  fc.assert(
    fc.property(fc.oneof(amountLike, aroundTheRange), currencyCode, mode, (value, code, rounding) => agreeOnParse(value, code, rounding)),
    { seed: SEED, numRuns: RUNS / 2 },
  );
});

test('parse: the properties above compared accepted inputs in every scale, not only errors', () => {
  // Runs after the tests above (node:test runs a file's tests in order).
  const scales = [...new Set(DIGITS_OF.values())].sort((x, y) => x - y);
  for (const scale of scales) {
    const count = acceptedByScale.get(scale) ?? 0;
    assert.ok(count >= 40, `only ${count} inputs in a currency of ${scale} minor digits were accepted by both`);
  }
  const total = [...acceptedByScale.values()].reduce((x, y) => x + y, 0);
  assert.ok(total >= 4000, `only ${total} inputs were accepted by both`);
});

// ---------------------------------------------------------------------------------------------
// minor units and arithmetic

const nearEdge = fc.oneof(
  fc.bigInt({ min: -MINOR_UNITS_MAX - 10n, max: MINOR_UNITS_MAX + 10n }),
  fc.bigInt({ min: MINOR_UNITS_MAX - 100n, max: MINOR_UNITS_MAX + 100n }),
  fc.bigInt({ min: -MINOR_UNITS_MAX - 100n, max: -MINOR_UNITS_MAX + 100n }),
  fc.bigInt({ min: -100000n, max: 100000n }),
);
const inRange = (minor) => minor <= MINOR_UNITS_MAX && minor >= -MINOR_UNITS_MAX;

test('fromMinor and toString: the SDK formats minor units as the core does, refuses what it refuses', () => {
  fc.assert(
    fc.property(nearEdge, fc.constantFrom(...EACH_SCALE, 'ZZZ'), (minor, code) => {
      const core = outcome(() => glue.amountFromMinor(minor.toString(), code));
      const sdk = outcome(() => Amount.fromMinor(minor, code).toString());
      assert.deepEqual(sdk, core, `fromMinor ${minor} ${code}`);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test('add, sub, compare: bigint arithmetic in the SDK gives the core answer, or its error', () => {
  const operand = fc.tuple(nearEdge.filter(inRange), fc.constantFrom(...EACH_SCALE));
  const sameOrOther = fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(...EACH_SCALE) });
  fc.assert(
    fc.property(operand, nearEdge.filter(inRange), sameOrOther, ([minorA, code], minorB, otherCode) => {
      const codeB = otherCode ?? code;
      const a = Amount.fromMinor(minorA, code);
      const b = Amount.fromMinor(minorB, codeB);
      const [textA, textB] = [a.toString(), b.toString()];
      assert.deepEqual(outcome(() => a.add(b).toString()), outcome(() => glue.amountAdd(textA, code, textB, codeB)), `${textA} ${code} + ${textB} ${codeB}`);
      assert.deepEqual(outcome(() => a.sub(b).toString()), outcome(() => glue.amountSub(textA, code, textB, codeB)), `${textA} ${code} - ${textB} ${codeB}`);
      assert.deepEqual(outcome(() => a.compare(b)), outcome(() => glue.amountCompare(textA, code, textB, codeB)), `compare ${textA} ${code} ${textB} ${codeB}`);
      assert.equal(a.equals(b), code === codeB && minorA === minorB);
      assert.equal(a.isZero(), minorA === 0n);
      assert.equal(a.isNegative(), minorA < 0n);
      assert.equal(a.toMinor(), minorA);
      assert.equal(DIGITS_OF.get(code), textA.includes('.') ? textA.length - textA.indexOf('.') - 1 : 0);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test('the range the SDK checks is the one the core exports', () => {
  assert.equal(glue.amountMinorUnitsMax(), MINOR_UNITS_MAX.toString());
});
