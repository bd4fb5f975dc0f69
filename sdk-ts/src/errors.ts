/**
 * Errors thrown by @countersign/sdk.
 *
 * Rule outcomes (an envelope with a bad signature, a replayed sequence number) are *returned*,
 * never thrown. What is thrown is a malformed call: a wrong type (`TypeError`), a bad value
 * (`RangeError`), each naming the parameter, or an internal fault. Every thrown error carries a
 * stable `code`; `err instanceof CountersignError` is true for all of them, while
 * `instanceof TypeError` / `instanceof RangeError` still work as usual.
 */

import { noteTrap } from './instance.js';
import type { Exhaustive } from './exhaustive.js';
// The union is generated from the core's ErrorCode (sdk-ts/src/generated/errors.ts).
import type { ErrorCode } from './generated/errors.js';

/** Every error code, in the core's order. A test checks this list against the wasm build. */
export const ERROR_CODES = Object.freeze([
  'INVALID_ARGUMENT',
  'INVALID_TYPE',
  'AMOUNT_SYNTAX',
  'AMOUNT_PRECISION',
  'AMOUNT_OUT_OF_RANGE',
  'AMOUNT_OVERFLOW',
  'CURRENCY_UNKNOWN',
  'CURRENCY_MISMATCH',
  'ROUNDING_MODE_UNKNOWN',
  'SPLIT_RATIOS_INVALID',
  'KEY_INVALID',
  'SIGNATURE_INVALID',
  'ALGORITHM_UNSUPPORTED',
  'ENVELOPE_FIELD_INVALID',
  'LIMIT_EXCEEDED',
  'NOT_INITIALIZED',
  'WASM_TRAP',
  'INTERNAL',
  'TIME_ZONE_MISSING',
  'TIME_ZONE_INVALID',
  'SNAPSHOT_INVALID',
  'SNAPSHOT_VERSION_UNSUPPORTED',
  'TIME_ZONE_UNKNOWN',
  'TIME_ZONE_DATA_UNAVAILABLE',
  'STORAGE_UNAVAILABLE',
  'STORAGE_CORRUPT',
  'JOURNAL_INVALID',
  'JOURNAL_MISMATCH',
  'IDEMPOTENCY_CONFLICT',
] as const satisfies readonly ErrorCode[]);
// Compile-time: ERROR_CODES names every code of the union generated from the core's ErrorCode.
type _ErrorCodesComplete = Exhaustive<Exclude<ErrorCode, (typeof ERROR_CODES)[number]>>;

export type { ErrorCode };

const BRAND: unique symbol = Symbol.for('@countersign/sdk.error');

interface Branded {
  readonly [BRAND]: true;
  readonly code: ErrorCode;
  readonly param: string | undefined;
}

function brand(target: object, code: ErrorCode, param: string | undefined): void {
  Object.defineProperty(target, BRAND, { value: true });
  Object.defineProperty(target, 'code', { value: code, enumerable: true });
  Object.defineProperty(target, 'param', { value: param, enumerable: true });
}

/**
 * The base of every error the SDK throws. `instanceof CountersignError` also matches the
 * SDK's `TypeError` and `RangeError` subclasses (they share a brand), so one check covers all.
 */
export class CountersignError extends Error {
  declare readonly code: ErrorCode;
  declare readonly param: string | undefined;

  constructor(code: ErrorCode, message: string, param?: string) {
    super(message);
    this.name = 'CountersignError';
    brand(this, code, param);
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Partial<Branded>)[BRAND] === true;
  }
}

/** A parameter of the wrong type. `code` is `INVALID_TYPE`. */
export class CountersignTypeError extends TypeError {
  declare readonly code: ErrorCode;
  declare readonly param: string | undefined;

  constructor(code: ErrorCode, message: string, param?: string) {
    super(message);
    this.name = 'TypeError';
    brand(this, code, param);
  }
}

/** A parameter with a value out of range or malformed (amount syntax, key length ...). */
export class CountersignRangeError extends RangeError {
  declare readonly code: ErrorCode;
  declare readonly param: string | undefined;

  constructor(code: ErrorCode, message: string, param?: string) {
    super(message);
    this.name = 'RangeError';
    brand(this, code, param);
  }
}

/** Any error thrown by the SDK. */
export type AnyCountersignError = CountersignError | CountersignTypeError | CountersignRangeError;

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && KNOWN_CODES.has(value);
}

/** @internal True for every error the SDK throws (its brand, not `instanceof Error`). */
export function isCountersignError(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as Partial<Branded>)[BRAND] === true;
}

/** @internal Converts whatever the wasm module threw into the SDK's error classes. */
export function fromWasmError(thrown: unknown): Error {
  if (thrown instanceof WebAssembly.RuntimeError) {
    noteTrap();
    return new CountersignError(
      'WASM_TRAP',
      `countersign: the WebAssembly instance trapped (${thrown.message}); please report this. \`await init()\` starts a fresh instance; load your state again from its store`,
    );
  }
  if (typeof thrown === 'object' && thrown !== null) {
    const fields = thrown as { code?: unknown; param?: unknown; kind?: unknown; message?: unknown };
    if (isErrorCode(fields.code)) {
      const message = typeof fields.message === 'string' ? fields.message : fields.code;
      const param = typeof fields.param === 'string' && fields.param !== '' ? fields.param : undefined;
      if (fields.kind === 'range') return new CountersignRangeError(fields.code, message, param);
      if (fields.kind === 'type') return new CountersignTypeError(fields.code, message, param);
      return new CountersignError(fields.code, message, param);
    }
  }
  if (thrown instanceof Error) return thrown;
  return new CountersignError('INTERNAL', `countersign: unexpected value thrown: ${typeof thrown}`);
}
