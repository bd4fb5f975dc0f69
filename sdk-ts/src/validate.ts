/**
 * Input validation done in TypeScript before anything crosses into wasm, for what wasm-bindgen
 * would silently mangle: it wraps out-of-range numbers, truncates BigInts and coerces a non-string
 * passed as a string, so direct number, bigint, string and byte-array arguments are checked here
 * first; the messages name the parameter. Objects that cross are checked by the adapter.
 * @internal
 */
import { isGenuineBytes } from './boundary.js';
import { CountersignRangeError, CountersignTypeError, type ErrorCode } from './errors.js';

export const U64_MAX = (1n << 64n) - 1n;
export const U32_MAX = 0xffff_ffff;

function describe(value: unknown): string {
  if (value === null) return 'null';
  // No `instanceof`: on a Proxy it runs the caller's getPrototypeOf trap.
  if (isGenuineBytes(value)) return 'a Uint8Array';
  if (typeof value === 'object') {
    try {
      return Array.isArray(value) ? 'an array' : 'an object';
    } catch {
      return 'an object'; // a revoked Proxy
    }
  }
  return typeof value;
}

export function typeError(param: string, expected: string, value: unknown): CountersignTypeError {
  return new CountersignTypeError(
    'INVALID_TYPE',
    `countersign: ${param} must be ${expected}, got ${describe(value)}`,
    param,
  );
}

export function rangeError(param: string, message: string): CountersignRangeError {
  return new CountersignRangeError('INVALID_ARGUMENT', `countersign: ${param} ${message}`, param);
}

/** A genuine `Uint8Array` (internal slots, not `instanceof`): after the boundary's copy, ours. */
export function expectBytes(value: unknown, param: string): Uint8Array {
  if (!isGenuineBytes(value)) throw typeError(param, 'a Uint8Array', value);
  return value;
}

export function expectString(value: unknown, param: string): string {
  if (typeof value !== 'string') throw typeError(param, 'a string', value);
  return value;
}

export function expectBoolean(value: unknown, param: string): boolean {
  if (typeof value !== 'boolean') throw typeError(param, 'a boolean', value);
  return value;
}

/**
 * A plain object. With `allowed`, any other own field is refused (INVALID_TYPE naming it): for the
 * SDK's own option objects, which never cross. An object that crosses needs no list: the
 * adapter's deserialiser refuses an unknown field there, naming its path (wasm/src/de.rs).
 */
export function expectObject(value: unknown, param: string, allowed?: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw typeError(param, 'an object', value);
  }
  if (allowed !== undefined) {
    for (const field of Object.keys(value)) {
      if (!allowed.includes(field)) {
        throw new CountersignTypeError(
          'INVALID_TYPE',
          `countersign: ${param}.${field}: unknown field (allowed: ${allowed.join(', ')})`,
          `${param}.${field}`,
        );
      }
    }
  }
  return value as Record<string, unknown>;
}

export function expectArray(value: unknown, param: string): readonly unknown[] {
  if (!Array.isArray(value)) throw typeError(param, 'an array', value);
  return value;
}

/** An integer Number in [min, max] (both within the safe-integer range). */
export function expectInteger(value: unknown, param: string, min: number, max: number): number {
  if (typeof value !== 'number') throw typeError(param, 'a number', value);
  if (!Number.isSafeInteger(value)) throw rangeError(param, `must be a safe integer, got ${value}`);
  if (value < min || value > max) throw rangeError(param, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** A bigint (or a non-negative safe-integer Number) in [0, 2^64-1], returned as bigint. */
export function expectU64(value: unknown, param: string): bigint {
  let big: bigint;
  if (typeof value === 'bigint') big = value;
  else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw rangeError(param, `must be a safe integer or a bigint, got ${value}`);
    big = BigInt(value);
  } else throw typeError(param, 'a bigint or a number', value);
  if (big < 0n || big > U64_MAX) throw rangeError(param, `must be between 0 and 2^64-1, got ${big}`);
  return big;
}

export function expectOneOf<T extends string>(
  value: unknown,
  param: string,
  allowed: readonly T[],
  code: ErrorCode = 'INVALID_ARGUMENT',
): T {
  if (typeof value !== 'string') throw typeError(param, `one of ${allowed.join(', ')}`, value);
  if (!(allowed as readonly string[]).includes(value)) {
    throw new CountersignRangeError(
      code,
      `countersign: ${param} must be one of ${allowed.join(', ')}, got "${value}"`,
      param,
    );
  }
  return value as T;
}
