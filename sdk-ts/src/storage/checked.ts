/**
 * A storage adapter as the SDK's stores use it: the caller's object is read once (its six
 * methods), every answer it gives is checked and copied into data the SDK owns, and whatever it
 * throws becomes `STORAGE_UNAVAILABLE` (the original as `cause`). A store can then never be
 * handed a fake `Uint8Array`, a version that is not a number, or a getter that changes its mind,
 * by an adapter that is buggy or hostile.
 * @internal
 */
import { isGenuineBytes, ownData, readCallerObject } from '../boundary.js';
import { CountersignTypeError, isCountersignError } from '../errors.js';
import { CODE_STORAGE_CORRUPT, CODE_STORAGE_UNAVAILABLE, storageError } from './common.js';
import {
  STORAGE_INDEX_KEY_LENGTH_MAX_CHARS,
  STORAGE_INDEX_VALUE_BYTES_MAX,
  STORAGE_LIST_KEYS_MAX,
  STORAGE_LOG_READ_RECORDS_MAX,
  STORAGE_VERSION_MAX,
  type IndexRow,
  type ListOptions,
  type LogRecord,
  type PutResult,
  type ReadLogOptions,
  type StorageAdapter,
  type StoredValue,
} from './types.js';

const ADAPTER_METHODS = ['get', 'put', 'append', 'readLog', 'list', 'close'] as const;
/** The optional keyed index: all three or none. */
const INDEX_METHODS = ['appendIndexed', 'indexGet', 'indexPurge'] as const;
type AdapterMethod = (typeof ADAPTER_METHODS)[number] | (typeof INDEX_METHODS)[number];

function isVersion(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 && value <= STORAGE_VERSION_MAX;
}

/** The adapter behind a store; see the module comment. */
export class CheckedStorage {
  readonly #target: object;
  readonly #methods: Readonly<Partial<Record<AdapterMethod, (...args: unknown[]) => unknown>>>;

  private constructor(target: object, methods: Partial<Record<AdapterMethod, (...args: unknown[]) => unknown>>) {
    this.#target = target;
    this.#methods = methods;
  }

  /** Whether the adapter has the optional keyed index (`appendIndexed`, `indexGet`, `indexPurge`). */
  get hasKeyedIndex(): boolean {
    return this.#methods.appendIndexed !== undefined;
  }

  /** Checks that `value` has the adapter's six methods (INVALID_TYPE naming `param` if not). */
  static of(value: unknown, param: string): CheckedStorage {
    if (typeof value !== 'object' || value === null) {
      throw new CountersignTypeError('INVALID_TYPE', `countersign: ${param} must be a StorageAdapter, got ${value === null ? 'null' : typeof value}`, param);
    }
    const methods: Partial<Record<AdapterMethod, (...args: unknown[]) => unknown>> = {};
    for (const name of ADAPTER_METHODS) {
      const method = readCallerObject(param, () => (value as Record<string, unknown>)[name]);
      if (typeof method !== 'function') {
        throw new CountersignTypeError(
          'INVALID_TYPE',
          `countersign: ${param} must be a StorageAdapter (get, put, append, readLog, list, close): its ${name} is not a function`,
          param,
        );
      }
      methods[name] = method as (...args: unknown[]) => unknown;
    }
    const index = INDEX_METHODS.map((name) => readCallerObject(param, () => (value as Record<string, unknown>)[name]));
    if (index.every((method) => typeof method === 'function')) {
      INDEX_METHODS.forEach((name, i) => (methods[name] = index[i] as (...args: unknown[]) => unknown));
    } else if (!index.every((method) => method === undefined)) {
      throw new CountersignTypeError(
        'INVALID_TYPE',
        `countersign: ${param} has part of the keyed index: appendIndexed, indexGet and indexPurge must all be functions, or none`,
        param,
      );
    }
    return new CheckedStorage(value, methods);
  }

  async #call(name: AdapterMethod, args: unknown[]): Promise<unknown> {
    let answer: unknown;
    try {
      const method = this.#methods[name];
      if (method === undefined) throw new CountersignTypeError('INVALID_TYPE', `countersign: storage has no ${name} (no keyed index)`, 'storage');
      answer = await Reflect.apply(method, this.#target, args);
    } catch (e) {
      if (isCountersignError(e)) throw e;
      throw storageError(CODE_STORAGE_UNAVAILABLE, `storage.${name} failed`, e);
    }
    // Read the answer once, into data the SDK owns, before looking at it.
    try {
      return ownData(answer, `storage.${name}()`);
    } catch (e) {
      throw storageError(CODE_STORAGE_CORRUPT, `storage.${name} answered with something unreadable`, e);
    }
  }

  #malformed(name: AdapterMethod, expected: string): Error {
    return storageError(CODE_STORAGE_CORRUPT, `storage.${name} answered with something that is not ${expected}`);
  }

  async get(key: string): Promise<StoredValue | null> {
    const answer = await this.#call('get', [key]);
    if (answer === null) return null;
    const stored = answer as Partial<StoredValue> | undefined;
    if (typeof stored !== 'object' || !isGenuineBytes(stored.value) || !isVersion(stored.version)) {
      throw this.#malformed('get', 'null or { value: Uint8Array, version }');
    }
    return { value: stored.value, version: stored.version };
  }

  async put(key: string, value: Uint8Array, expectedVersion: number | null): Promise<PutResult> {
    const answer = (await this.#call('put', [key, value, expectedVersion])) as Record<string, unknown> | undefined;
    if (typeof answer === 'object' && answer !== null) {
      if (answer.ok === true && isVersion(answer.version)) return { ok: true, version: answer.version };
      const current = answer.currentVersion;
      if (answer.ok === false && answer.code === 'VERSION_CONFLICT' && (current === 0 || isVersion(current))) {
        return { ok: false, code: 'VERSION_CONFLICT', currentVersion: current };
      }
    }
    throw this.#malformed('put', '{ ok: true, version } or { ok: false, code: "VERSION_CONFLICT", currentVersion }');
  }

  /** With `expectedSeq`: the answer must be that number or 0 (refused); an adapter that
   * ignores the argument and appends elsewhere is caught here. */
  async append(log: string, record: Uint8Array, expectedSeq?: number): Promise<number> {
    const answer = await this.#call('append', expectedSeq === undefined ? [log, record] : [log, record, expectedSeq]);
    if (expectedSeq === undefined) {
      if (!isVersion(answer)) throw this.#malformed('append', 'a sequence number');
    } else if (answer !== 0 && answer !== expectedSeq) {
      throw this.#malformed('append', `${expectedSeq} (the expected sequence number) or 0 (refused), got ${String(answer)}`);
    }
    return answer as number;
  }

  async readLog(log: string, options?: ReadLogOptions): Promise<LogRecord[]> {
    const answer = await this.#call('readLog', options === undefined ? [log] : [log, options]);
    const limit = options?.limit ?? STORAGE_LOG_READ_RECORDS_MAX;
    if (!Array.isArray(answer) || answer.length > limit) throw this.#malformed('readLog', `an array of at most ${limit} records`);
    return answer.map((entry: Partial<LogRecord> | undefined) => {
      if (typeof entry !== 'object' || entry === null || !isVersion(entry.seq) || !isGenuineBytes(entry.record)) {
        throw this.#malformed('readLog', 'an array of { seq, record: Uint8Array }');
      }
      return { seq: entry.seq, record: entry.record };
    });
  }

  async list(prefix?: string, options?: ListOptions): Promise<string[]> {
    const answer = await this.#call('list', [prefix, options]);
    const limit = options?.limit ?? STORAGE_LIST_KEYS_MAX;
    if (!Array.isArray(answer) || answer.length > limit || !answer.every((key) => typeof key === 'string')) {
      throw this.#malformed('list', `an array of at most ${limit} keys`);
    }
    return answer as string[];
  }

  async close(): Promise<void> {
    await this.#call('close', []);
  }

  /** The answer must be `expectedSeq` or 0, as for `append`. */
  async appendIndexed(log: string, record: Uint8Array, expectedSeq: number, index: string, rows: readonly IndexRow[]): Promise<number> {
    const answer = await this.#call('appendIndexed', [log, record, expectedSeq, index, rows]);
    if (answer !== 0 && answer !== expectedSeq) {
      throw this.#malformed('appendIndexed', `${expectedSeq} (the expected sequence number) or 0 (refused), got ${String(answer)}`);
    }
    return answer;
  }

  /** Rows with well-formed fields, only for keys asked for, each at most once. */
  async indexGet(index: string, keys: readonly string[]): Promise<IndexRow[]> {
    const answer = await this.#call('indexGet', [index, keys]);
    const asked = new Set(keys);
    if (!Array.isArray(answer) || answer.length > asked.size) throw this.#malformed('indexGet', `an array of at most ${asked.size} rows`);
    const seen = new Set<string>();
    return answer.map((entry: Partial<IndexRow> | undefined) => {
      if (
        typeof entry !== 'object' || entry === null || typeof entry.key !== 'string' || entry.key.length > STORAGE_INDEX_KEY_LENGTH_MAX_CHARS ||
        !asked.has(entry.key) || seen.has(entry.key) || !isGenuineBytes(entry.value) || entry.value.length > STORAGE_INDEX_VALUE_BYTES_MAX ||
        !Number.isSafeInteger(entry.time)
      ) {
        throw this.#malformed('indexGet', 'an array of { key (one asked for, once), value: Uint8Array, time }');
      }
      seen.add(entry.key);
      return { key: entry.key, value: entry.value, time: entry.time as number };
    });
  }

  async indexPurge(index: string, before: number): Promise<number> {
    const answer = await this.#call('indexPurge', [index, before]);
    if (!Number.isSafeInteger(answer) || (answer as number) < 0) throw this.#malformed('indexPurge', 'a count');
    return answer as number;
  }
}

/** For type positions: the adapter interface a CheckedStorage stands in for. */
export type { StorageAdapter };
