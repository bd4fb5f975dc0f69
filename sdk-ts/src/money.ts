/**
 * money: exact amounts in ISO 4217 currencies and registered assets.
 *
 * An `Amount` is an immutable value holding its canonical decimal string and currency code; all
 * arithmetic happens in the Rust core (rust_decimal), so results are identical on every platform.
 * Money never crosses as a `number`: construct from a decimal string or from `bigint` minor units.
 */
import { INTERNAL_CONSTRUCTION, adopt, checkInternalConstruction, guardClass, guardFunction, isOwned } from './boundary.js';
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

function expectAmount(value: unknown, param: string): Amount {
  if (!isOwned(value, Amount)) throw typeError(param, 'an Amount', value);
  return value;
}

/** An exact amount of money. Immutable; every operation returns a new Amount. */
export class Amount {
  /** The currency or asset code, e.g. "EUR". */
  readonly currency: string;
  readonly #canonical: string;

  private constructor(token: typeof INTERNAL_CONSTRUCTION, canonical: string, currencyCode: string) {
    checkInternalConstruction(token, 'Amount', 'Amount.parse, Amount.fromMinor or Amount.zero');
    this.#canonical = canonical;
    this.currency = currencyCode;
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
    return new Amount(INTERNAL_CONSTRUCTION, wasm().amountParse(value, currencyCode, rounding), currencyCode);
  }

  /** From an integer number of minor units (cents, satoshi ...), as a `bigint`. */
  static fromMinor(minor: bigint, currencyCode: string): Amount {
    if (typeof minor !== 'bigint') throw typeError('minor', 'a bigint (money never crosses as a number)', minor);
    expectString(currencyCode, 'currency');
    return new Amount(INTERNAL_CONSTRUCTION, wasm().amountFromMinor(minor.toString(), currencyCode), currencyCode);
  }

  /** Zero in the given currency. */
  static zero(currencyCode: string): Amount {
    return Amount.fromMinor(0n, currencyCode);
  }

  /** Exact sum. Throws `CURRENCY_MISMATCH` for different currencies, `AMOUNT_OVERFLOW` past the range. */
  add(other: Amount): Amount {
    expectAmount(other, 'other');
    return new Amount(INTERNAL_CONSTRUCTION, wasm().amountAdd(this.#canonical, this.currency, other.#canonical, other.currency), this.currency);
  }

  /** Exact difference. */
  sub(other: Amount): Amount {
    expectAmount(other, 'other');
    return new Amount(INTERNAL_CONSTRUCTION, wasm().amountSub(this.#canonical, this.currency, other.#canonical, other.currency), this.currency);
  }

  /** Multiplies by a decimal string factor and rounds to the currency's scale with `rounding`. */
  mul(factor: string, rounding: RoundingMode): Amount {
    expectString(factor, 'factor');
    const mode = expectOneOf(rounding, 'rounding', ROUNDING_MODES, 'ROUNDING_MODE_UNKNOWN');
    return new Amount(INTERNAL_CONSTRUCTION, wasm().amountMul(this.#canonical, this.currency, factor, mode), this.currency);
  }

  /** -1, 0 or 1. Throws `CURRENCY_MISMATCH` for different currencies. */
  compare(other: Amount): -1 | 0 | 1 {
    expectAmount(other, 'other');
    return wasm().amountCompare(this.#canonical, this.currency, other.#canonical, other.currency) as -1 | 0 | 1;
  }

  /** Same currency and same value. */
  equals(other: Amount): boolean {
    expectAmount(other, 'other');
    return this.currency === other.currency && this.#canonical === other.#canonical;
  }

  isZero(): boolean {
    return /^0(\.0+)?$/.test(this.#canonical);
  }

  isNegative(): boolean {
    return this.#canonical.startsWith('-');
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
    return wasm()
        .amountSplit(this.#canonical, this.currency, weights)
        .map((part) => new Amount(INTERNAL_CONSTRUCTION, part, this.currency));
  }

  /** The integer number of minor units as a `bigint`. */
  toMinor(): bigint {
    return BigInt(wasm().amountToMinor(this.#canonical, this.currency));
  }

  /** Canonical decimal string with exactly the currency's minor digits, e.g. "12.30". */
  toString(): string {
    return this.#canonical;
  }

  toJSON(): { amount: string; currency: string } {
    return { amount: this.#canonical, currency: this.currency };
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
