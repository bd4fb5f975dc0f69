/**
 * Argument checks and error helpers shared by the storage adapters.
 * @internal
 */
import { CountersignError, CountersignRangeError, type ErrorCode } from '../errors.js';
import { expectBytes, expectInteger, expectObject, expectString, rangeError, typeError } from '../validate.js';
import {
  STORAGE_INDEX_KEY_LENGTH_MAX_CHARS,
  STORAGE_INDEX_ROWS_MAX,
  STORAGE_INDEX_VALUE_BYTES_MAX,
  STORAGE_KEY_LENGTH_MAX_CHARS,
  STORAGE_LIST_KEYS_MAX,
  STORAGE_LOG_READ_RECORDS_MAX,
  STORAGE_VERSION_MAX,
  type IndexRow,
  type PutConflict,
} from './types.js';

// The storage codes (core/src/error.rs, docs/errors.md): STORAGE_UNAVAILABLE for an I/O failure,
// a lock wait exceeded or no IndexedDB; STORAGE_CORRUPT for a stored value or log record that fails
// its format or checksum check.
export const CODE_STORAGE_UNAVAILABLE: ErrorCode = 'STORAGE_UNAVAILABLE';
export const CODE_STORAGE_CORRUPT: ErrorCode = 'STORAGE_CORRUPT';

/** Keys and log names: 1-120 characters of `A-Z a-z 0-9 _ - . : / @ + =`. */
export const STORAGE_KEY_PATTERN = /^[A-Za-z0-9_.:/@+=-]+$/;

export function storageError(code: ErrorCode, message: string, cause?: unknown): CountersignError {
  const reason = cause === undefined ? '' : `: ${cause instanceof Error ? cause.message : String(cause)}`;
  const err = new CountersignError(code, `countersign: ${message}${reason}`);
  if (cause !== undefined) Object.defineProperty(err, 'cause', { value: cause, configurable: true });
  return err;
}

export function expectKey(value: unknown, param: string): string {
  const key = expectString(value, param);
  if (key.length === 0 || key.length > STORAGE_KEY_LENGTH_MAX_CHARS) {
    throw rangeError(param, `must be 1 to ${STORAGE_KEY_LENGTH_MAX_CHARS} characters, got ${key.length}`);
  }
  if (!STORAGE_KEY_PATTERN.test(key)) {
    throw rangeError(param, `may only contain A-Z a-z 0-9 and _ - . : / @ + =, got ${JSON.stringify(key)}`);
  }
  return key;
}

/** A key prefix: like a key, but may be empty. */
export function expectPrefix(value: unknown, param: string): string {
  if (value === undefined) return '';
  const prefix = expectString(value, param);
  return prefix === '' ? prefix : expectKey(prefix, param);
}

/** Bytes of at most `max` length, copied (the caller may reuse its buffer at once). */
export function expectPayload(value: unknown, param: string, max: number): Uint8Array {
  const bytes = expectBytes(value, param);
  if (bytes.length > max) {
    throw new CountersignRangeError(
      'LIMIT_EXCEEDED',
      `countersign: ${param} has ${bytes.length} bytes, more than the ${max} allowed`,
      param,
    );
  }
  return bytes.slice();
}

/** `null` or `0` → 0 ("must not exist"); otherwise a version 1..STORAGE_VERSION_MAX. */
export function expectExpectedVersion(value: unknown, param: string): number {
  if (value === null) return 0;
  if (value === undefined) throw typeError(param, 'a version number, or null for "must not exist"', value);
  return expectInteger(value, param, 0, STORAGE_VERSION_MAX);
}

/** `undefined` (append anywhere) or the sequence number an append must get, 1..STORAGE_VERSION_MAX. */
export function expectExpectedSeq(value: unknown, param: string): number | undefined {
  if (value === undefined) return undefined;
  return expectInteger(value, param, 1, STORAGE_VERSION_MAX);
}

export interface CheckedListOptions {
  readonly after: string | undefined;
  readonly limit: number;
}

export function expectListOptions(value: unknown, param: string): CheckedListOptions {
  if (value === undefined) return { after: undefined, limit: STORAGE_LIST_KEYS_MAX };
  const options = expectObject(value, param);
  const after = options.after === undefined ? undefined : expectKey(options.after, `${param}.after`);
  const limit =
    options.limit === undefined
      ? STORAGE_LIST_KEYS_MAX
      : expectInteger(options.limit, `${param}.limit`, 1, STORAGE_LIST_KEYS_MAX);
  return { after, limit };
}

export interface CheckedReadLogOptions {
  readonly after: number;
  readonly limit: number;
}

export function expectReadLogOptions(value: unknown, param: string): CheckedReadLogOptions {
  if (value === undefined) return { after: 0, limit: STORAGE_LOG_READ_RECORDS_MAX };
  const options = expectObject(value, param);
  const after = options.after === undefined ? 0 : expectInteger(options.after, `${param}.after`, 0, STORAGE_VERSION_MAX);
  const limit =
    options.limit === undefined
      ? STORAGE_LOG_READ_RECORDS_MAX
      : expectInteger(options.limit, `${param}.limit`, 1, STORAGE_LOG_READ_RECORDS_MAX);
  return { after, limit };
}

export function conflict(currentVersion: number): PutConflict {
  return { ok: false, code: 'VERSION_CONFLICT', currentVersion };
}

/** The version after `current`, or LIMIT_EXCEEDED at the (unreachable in practice) maximum. */
export function nextVersion(current: number, key: string): number {
  if (current >= STORAGE_VERSION_MAX) {
    throw new CountersignRangeError(
      'LIMIT_EXCEEDED',
      `countersign: key "${key}" is at the highest version ${STORAGE_VERSION_MAX}`,
      'key',
    );
  }
  return current + 1;
}

/** Keys in `sorted` (ascending) that start with `prefix`, come after `after`, at most `limit`. */
export function pageOfKeys(sorted: readonly string[], prefix: string, options: CheckedListOptions): string[] {
  const page: string[] = [];
  for (const key of sorted) {
    if (page.length >= options.limit) break;
    if (!key.startsWith(prefix)) continue;
    if (options.after !== undefined && key <= options.after) continue;
    page.push(key);
  }
  return page;
}

/** Control characters and lone surrogates: not in an index key (a database's text refuses them). */
const INDEX_KEY_FORBIDDEN = /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function expectIndexKey(value: unknown, param: string): string {
  const key = expectString(value, param);
  if (key.length === 0 || key.length > STORAGE_INDEX_KEY_LENGTH_MAX_CHARS) {
    throw rangeError(param, `must be 1 to ${STORAGE_INDEX_KEY_LENGTH_MAX_CHARS} characters, got ${key.length}`);
  }
  if (INDEX_KEY_FORBIDDEN.test(key)) throw rangeError(param, 'must hold no control characters and no lone surrogates');
  return key;
}

/** A time: a safe integer. */
export function expectIndexTime(value: unknown, param: string): number {
  return expectInteger(value, param, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
}

function expectIndexList(value: unknown, param: string): unknown[] {
  if (!Array.isArray(value)) throw typeError(param, 'an array', value);
  if (value.length > STORAGE_INDEX_ROWS_MAX) {
    throw new CountersignRangeError('LIMIT_EXCEEDED', `countersign: ${param}: at most ${STORAGE_INDEX_ROWS_MAX} per call, got ${value.length}`, param);
  }
  return value;
}

/** Index rows, checked and copied; each key at most once. */
export function expectIndexRows(value: unknown, param: string): IndexRow[] {
  const seen = new Set<string>();
  return expectIndexList(value, param).map((row, i) => {
    const at = `${param}[${i}]`;
    const fields = expectObject(row, at, ['key', 'value', 'time']);
    const key = expectIndexKey(fields.key, `${at}.key`);
    if (seen.has(key)) throw rangeError(param, `names the key ${JSON.stringify(key)} twice`);
    seen.add(key);
    return { key, value: expectPayload(fields.value, `${at}.value`, STORAGE_INDEX_VALUE_BYTES_MAX), time: expectIndexTime(fields.time, `${at}.time`) };
  });
}

/** Index keys to read, checked; duplicates removed. */
export function expectIndexKeys(value: unknown, param: string): string[] {
  return [...new Set(expectIndexList(value, param).map((key, i) => expectIndexKey(key, `${param}[${i}]`)))];
}

/** The parameter lists of the keyed index's methods, for `guardClass` of adapters that have it. */
export const KEYED_INDEX_GUARD_METHODS = {
  appendIndexed: ['log', 'record', 'expectedSeq', 'index', 'rows'],
  indexGet: ['index', 'keys'],
  indexPurge: ['index', 'before'],
} as const;

/** The parameter lists of the storage adapter's methods, for `guardClass` of each adapter. */
export const STORAGE_ADAPTER_GUARD_METHODS = {
  get: ['key'],
  put: ['key', 'value', 'expectedVersion'],
  append: ['log', 'record', 'expectedSeq'],
  readLog: ['log', 'options'],
  list: ['prefix', 'options'],
  close: [],
} as const;
