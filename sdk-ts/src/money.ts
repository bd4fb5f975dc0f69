/**
 * money: exact amounts in ISO 4217 currencies and registered assets.
 *
 * An `Amount` is an immutable value holding its number of minor units as a `bigint` and its
 * currency. The Rust core is the only place that defines the rules: the grammar, rounding,
 * currencies and their minor digits, the range. The SDK adds, subtracts and compares the bigints
 * itself (an app totalling a basket pays no boundary crossing per addition), checks the core's
 * range (`amountMinorUnitsMax`, read once) and asks the core for the error whenever it refuses
 * something, so codes and messages are the core's exactly. Parsing has a JavaScript fast path
 * only for strings the grammar accepts exactly without rounding (see {@link parseExact}); every
 * other string, and `mul` and `split`, go to the core. Money never crosses as a `number`.
 * docs/money.md "How the SDK computes" says why and how agreement is proved.
 */
import { INTERNAL_CONSTRUCTION, adopt, checkInternalConstruction, guardClass, guardFunction, isOwned } from './boundary.js';
import { CountersignError } from './errors.js';
import { wasm } from './loader.js';
import { U64_MAX, expectArray, expectOneOf, expectString, rangeError, typeError } from './validate.js';

/** Rounding modes, named as in docs/money.md. `half-up` rounds ties away from zero. */
export const ROUNDING_MODES = Object.freeze([
  'half-even',
  'half-up',
  'half-down',
  'toward-zero',
  'away-from-zero',
  'floor',
  'ceiling',
] as const);
export type RoundingMode = (typeof ROUNDING_MODES)[number];

/** A currency (ISO 4217) or a registered asset (BTC, ETH ...) with its number of minor units. */
export interface CurrencyInfo {
  readonly code: string;
  readonly minorUnits: number;
  /** ISO 4217 numeric code; null for assets. */
  readonly numeric: number | null;
  readonly kind: 'iso4217' | 'asset';
}

/** Looks a currency up by its exact upper-case code. Throws `CURRENCY_UNKNOWN` otherwise. */
export const currency = guardFunction(function currency(code: string): CurrencyInfo {
  expectString(code, 'currency');
  return wasm().currencyInfo(code) as CurrencyInfo;
}, ['currency']);

/** Every supported currency and asset, sorted by code. */
export const currencies = guardFunction(function currencies(): CurrencyInfo[] {
  return wasm().currencyList() as CurrencyInfo[];
}, []);

// ---------------------------------------------------------------------------------------------
// The core's rules, read once

/**
 * Most currency codes whose rules are kept in {@link rulesOf}'s cache. The core's table has
 * about 180 codes and only codes it knows are cached, so this bounds the cache should the table
 * ever grow past it: codes beyond it are asked of the core on each use, still correctly.
 */
export const CURRENCY_RULES_CACHE_MAX = 512;

/** What the SDK needs of a currency to compute with its minor units, as the core states it. */
interface CurrencyRules {
  /** The code, as the core spells it (equal to the caller's string: lookups are exact). */
  readonly code: string;
  /** The currency's minor digits (0 for JPY, 2 for EUR, 8 for BTC, 18 for ETH). */
  readonly minorUnits: number;
}

const rulesCache = new Map<string, CurrencyRules>();

/** The rules of `code` from the core's table (cached); the core's `CURRENCY_UNKNOWN` otherwise. */
function rulesOf(code: string): CurrencyRules {
  const cached = rulesCache.get(code);
  if (cached !== undefined) return cached;
  const info = wasm().currencyInfo(code) as CurrencyInfo;
  const rules: CurrencyRules = Object.freeze({ code: info.code, minorUnits: info.minorUnits });
  if (rulesCache.size < CURRENCY_RULES_CACHE_MAX) rulesCache.set(code, rules);
  return rules;
}

/** The core's range, `|minor units| <= max` in every currency (2^96 - 1), read on first use. */
let minorUnitsMax: bigint | undefined;
let minorUnitsMin: bigint | undefined;

function inRange(minor: bigint): boolean {
  if (minorUnitsMax === undefined || minorUnitsMin === undefined) {
    minorUnitsMax = BigInt(wasm().amountMinorUnitsMax());
    minorUnitsMin = -minorUnitsMax;
  }
  return minor <= minorUnitsMax && minor >= minorUnitsMin;
}

/**
 * Thrown when the SDK refused something (a range, a currency) that the core then accepted when
 * asked for the error: the two disagree, which is a bug of ours, never an answer to return.
 */
function disagreement(where: string, coreAnswer: unknown): CountersignError {
  return new CountersignError(
    'INTERNAL',
    `countersign: ${where}: the SDK refused what the core accepted (${String(coreAnswer)}); please report this`,
  );
}

// ---------------------------------------------------------------------------------------------
// Strings <-> minor units

/**
 * Most digits (integer digits + the currency's minor digits) a string may have for
 * {@link parseExact}: below 10^28 minor units, so inside the core's range (2^96 - 1 ≈ 7.9e28)
 * without a check. Longer strings go to the core.
 */
const EXACT_PARSE_DIGITS_MAX = 28;
/** The longest string {@link parseExact} can accept: a sign, those digits and a point. Longer
 * strings are handed to the core without being scanned. */
const EXACT_PARSE_CHARS_MAX = EXACT_PARSE_DIGITS_MAX + 2;
/** Most digits accumulated in a `number` exactly (10^15 < 2^53); more go through a string. */
const NUMBER_DIGITS_MAX = 15;
const POW10: readonly number[] = Object.freeze(Array.from({ length: NUMBER_DIGITS_MAX + 1 }, (_, i) => 10 ** i));

const CHAR_MINUS = 0x2d;
const CHAR_POINT = 0x2e;
const CHAR_0 = 0x30;
const CHAR_1 = 0x31;
const CHAR_9 = 0x39;

/**
 * The minor units of `value` when the core's grammar `-?(0|[1-9][0-9]*)(\.[0-9]+)?` accepts it
 * exactly, with no more fraction digits than `minorUnits` and at most
 * {@link EXACT_PARSE_DIGITS_MAX} digits at that scale; `undefined` for everything else, which
 * the caller hands to the core (errors, rounding, trailing zeros past the scale, long strings).
 * It restates a strict subset of the core's grammar, so it can only answer what the core would:
 * `sdk-ts/test/money-differential.test.mjs` compares the two on thousands of strings.
 */
function parseExact(value: string, minorUnits: number): bigint | undefined {
  const length = value.length;
  if (length > EXACT_PARSE_CHARS_MAX) return undefined;
  let index = 0;
  const negative = value.charCodeAt(0) === CHAR_MINUS;
  if (negative) index = 1;
  const integerStart = index;
  let code = value.charCodeAt(index); // NaN past the end: no digit
  let accumulated = 0;
  if (code === CHAR_0) {
    index++;
  } else if (code >= CHAR_1 && code <= CHAR_9) {
    do {
      accumulated = accumulated * 10 + (code - CHAR_0);
      code = value.charCodeAt(++index);
    } while (code >= CHAR_0 && code <= CHAR_9);
  } else {
    return undefined;
  }
  const integerEnd = index;
  let fractionDigits = 0;
  if (index < length) {
    if (value.charCodeAt(index) !== CHAR_POINT) return undefined; // "01", "1e3", "1 ", "1-"
    code = value.charCodeAt(++index);
    while (code >= CHAR_0 && code <= CHAR_9) {
      accumulated = accumulated * 10 + (code - CHAR_0);
      code = value.charCodeAt(++index);
    }
    if (index !== length) return undefined; // "1.2.3", "1.5x"
    fractionDigits = length - integerEnd - 1;
    if (fractionDigits === 0 || fractionDigits > minorUnits) return undefined; // "1.", precision
  }
  const digits = integerEnd - integerStart + minorUnits;
  if (digits > EXACT_PARSE_DIGITS_MAX) return undefined;
  const padding = minorUnits - fractionDigits;
  if (digits <= NUMBER_DIGITS_MAX) {
    // Every step above was exact: fewer than 2^53.
    const magnitude = BigInt(accumulated * (POW10[padding] as number));
    return negative ? -magnitude : magnitude;
  }
  const magnitude = BigInt(
    value.slice(integerStart, integerEnd) + (fractionDigits > 0 ? value.slice(integerEnd + 1) : '') + '0'.repeat(padding),
  );
  return negative ? -magnitude : magnitude;
}

/** Minor units from a canonical string the core returned ("-12.30" is -1230n). */
function minorOfCanonical(canonical: string): bigint {
  return BigInt(canonical.replace('.', ''));
}

/**
 * The canonical string of `minor` minor units with `minorUnits` fraction digits: exactly the
 * currency's digits, a leading "0" before the point, "-" only when nonzero (bigints have no -0).
 * The vectors and the differential test compare it with the core's formatting.
 */
function formatMinor(minor: bigint, minorUnits: number): string {
  if (minorUnits === 0) return minor.toString();
  const negative = minor < 0n;
  let digits = (negative ? -minor : minor).toString();
  if (digits.length <= minorUnits) digits = '0'.repeat(minorUnits + 1 - digits.length) + digits;
  const point = digits.length - minorUnits;
  return (negative ? '-' : '') + digits.slice(0, point) + '.' + digits.slice(point);
}

function expectAmount(value: unknown, param: string): Amount {
  if (!isOwned(value, Amount)) throw typeError(param, 'an Amount', value);
  return value;
}

/** An exact amount of money. Immutable; every operation returns a new Amount. */
export class Amount {
  /** The currency or asset code, e.g. "EUR". */
  readonly currency: string;
  /** The number of minor units, within the core's range. */
  readonly #minor: bigint;
  readonly #rules: CurrencyRules;
  /** The canonical string, made on first use (private fields stay writable on a frozen object). */
  #canonical: string | undefined;

  private constructor(token: typeof INTERNAL_CONSTRUCTION, minor: bigint, rules: CurrencyRules, canonical?: string) {
    checkInternalConstruction(token, 'Amount', 'Amount.parse, Amount.fromMinor or Amount.zero');
    this.#minor = minor;
    this.#rules = rules;
    this.#canonical = canonical;
    this.currency = rules.code;
    adopt(this, Amount);
    Object.freeze(this); // `currency` is read back into wasm: it must stay the string it was
  }

  /**
   * Parses a decimal string strictly: `-?(0|[1-9][0-9]*)(\.[0-9]+)?`. More fraction digits than
   * the currency has are rejected (`AMOUNT_PRECISION`) unless `options.rounding` is given.
   */
  static parse(value: string, currencyCode: string, options?: { rounding?: RoundingMode }): Amount {
    expectString(value, 'value');
    expectString(currencyCode, 'currency');
    let rounding: RoundingMode | undefined;
    if (options !== undefined) {
      if (typeof options !== 'object' || options === null) throw typeError('options', 'an object', options);
      if (options.rounding !== undefined) {
        rounding = expectOneOf(options.rounding, 'options.rounding', ROUNDING_MODES, 'ROUNDING_MODE_UNKNOWN');
      }
    }
    const module = wasm(); // not initialised or trapped: refused, as every call that reaches the core
    const rules = rulesOf(currencyCode);
    if (rounding === undefined) {
      const minor = parseExact(value, rules.minorUnits);
      if (minor !== undefined) return new Amount(INTERNAL_CONSTRUCTION, minor, rules);
    }
    const canonical = module.amountParse(value, currencyCode, rounding);
    return new Amount(INTERNAL_CONSTRUCTION, minorOfCanonical(canonical), rules, canonical);
  }

  /** From an integer number of minor units (cents, satoshi ...), as a `bigint`. */
  static fromMinor(minor: bigint, currencyCode: string): Amount {
    if (typeof minor !== 'bigint') throw typeError('minor', 'a bigint (money never crosses as a number)', minor);
    expectString(currencyCode, 'currency');
    const module = wasm();
    const rules = rulesOf(currencyCode);
    if (inRange(minor)) return new Amount(INTERNAL_CONSTRUCTION, minor, rules);
    throw disagreement('Amount.fromMinor', module.amountFromMinor(minor.toString(), currencyCode));
  }

  /** Zero in the given currency. */
  static zero(currencyCode: string): Amount {
    return Amount.fromMinor(0n, currencyCode);
  }

  /** Exact sum. Throws `CURRENCY_MISMATCH` for different currencies, `AMOUNT_OVERFLOW` past the range. */
  add(other: Amount): Amount {
    expectAmount(other, 'other');
    const module = wasm();
    if (this.currency === other.currency) {
      const sum = this.#minor + other.#minor;
      if (inRange(sum)) return new Amount(INTERNAL_CONSTRUCTION, sum, this.#rules);
    }
    throw disagreement('Amount.add', module.amountAdd(this.#text(), this.currency, other.#text(), other.currency));
  }

  /** Exact difference. */
  sub(other: Amount): Amount {
    expectAmount(other, 'other');
    const module = wasm();
    if (this.currency === other.currency) {
      const difference = this.#minor - other.#minor;
      if (inRange(difference)) return new Amount(INTERNAL_CONSTRUCTION, difference, this.#rules);
    }
    throw disagreement('Amount.sub', module.amountSub(this.#text(), this.currency, other.#text(), other.currency));
  }

  /** Multiplies by a decimal string factor and rounds to the currency's scale with `rounding`. */
  mul(factor: string, rounding: RoundingMode): Amount {
    expectString(factor, 'factor');
    const mode = expectOneOf(rounding, 'rounding', ROUNDING_MODES, 'ROUNDING_MODE_UNKNOWN');
    const canonical = wasm().amountMul(this.#text(), this.currency, factor, mode);
    return new Amount(INTERNAL_CONSTRUCTION, minorOfCanonical(canonical), this.#rules, canonical);
  }

  /** -1, 0 or 1. Throws `CURRENCY_MISMATCH` for different currencies. */
  compare(other: Amount): -1 | 0 | 1 {
    expectAmount(other, 'other');
    const module = wasm();
    if (this.currency !== other.currency) {
      throw disagreement('Amount.compare', module.amountCompare(this.#text(), this.currency, other.#text(), other.currency));
    }
    return this.#minor < other.#minor ? -1 : this.#minor > other.#minor ? 1 : 0;
  }

  /** Same currency and same value. */
  equals(other: Amount): boolean {
    expectAmount(other, 'other');
    return this.currency === other.currency && this.#minor === other.#minor;
  }

  isZero(): boolean {
    return this.#minor === 0n;
  }

  isNegative(): boolean {
    return this.#minor < 0n;
  }

  /**
   * Splits into parts proportional to integer `ratios` (largest remainder method on minor units):
   * the parts always sum exactly to this amount; leftover units go to the earliest parts.
   */
  split(ratios: readonly (bigint | number)[]): Amount[] {
    expectArray(ratios, 'ratios');
    const weights = new BigUint64Array(ratios.length);
    ratios.forEach((ratio, index) => {
      const param = `ratios[${index}]`;
      let big: bigint;
      if (typeof ratio === 'bigint') big = ratio;
      else if (typeof ratio === 'number' && Number.isSafeInteger(ratio)) big = BigInt(ratio);
      else if (typeof ratio === 'number') throw rangeError(param, `must be a safe integer, got ${ratio}`);
      else throw typeError(param, 'a bigint or a number', ratio);
      if (big < 0n || big > U64_MAX) throw rangeError(param, `must be between 0 and 2^64-1, got ${big}`);
      weights[index] = big;
    });
    const rules = this.#rules;
    return wasm()
        .amountSplit(this.#text(), this.currency, weights)
        .map((part) => new Amount(INTERNAL_CONSTRUCTION, minorOfCanonical(part), rules, part));
  }

  /** The integer number of minor units as a `bigint`. */
  toMinor(): bigint {
    wasm(); // refused when not initialised or trapped, as before the SDK kept minor units
    return this.#minor;
  }

  /** Canonical decimal string with exactly the currency's minor digits, e.g. "12.30". */
  toString(): string {
    return this.#text();
  }

  /** The canonical string, for the SDK's own use (a private method: not on the prototype, so
   * not behind the guard a second time). */
  #text(): string {
    return (this.#canonical ??= formatMinor(this.#minor, this.#rules.minorUnits));
  }

  toJSON(): { amount: string; currency: string } {
    return { amount: this.#text(), currency: this.currency };
  }
}
guardClass(Amount, {
  methods: {
    add: ['other'],
    sub: ['other'],
    mul: ['factor', 'rounding'],
    compare: ['other'],
    equals: ['other'],
    isZero: [],
    isNegative: [],
    split: ['ratios'],
    toMinor: [],
    toString: [],
    toJSON: [],
  },
  statics: { parse: ['value', 'currency', 'options'], fromMinor: ['minor', 'currency'], zero: ['currency'] },
});
