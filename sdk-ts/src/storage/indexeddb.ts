/**
 * Browser storage adapter over IndexedDB. Safe to import anywhere: it touches
 * `globalThis.indexedDB` only when an instance is constructed.
 *
 * One database per `dbName`, schema version {@link INDEXEDDB_SCHEMA_VERSION}, two object stores:
 *
 * * `values`, key path `key`: `{ key, version, bytes }`. `put` reads the current version and
 *   writes the new record inside one `readwrite` transaction, so compare-and-swap is atomic
 *   across tabs and workers.
 * * `logs`, key path `[log, seq]`: `{ log, seq, bytes }`. `append` finds the log's last sequence
 *   number with a reverse cursor and adds the next one in the same transaction, so every log
 *   numbers its records 1, 2, 3 ... with no gaps (a store-wide autoIncrement key would be
 *   increasing but shared by all logs, leaving gaps).
 *
 * Writes use `durability: 'strict'`: a resolved `put` or `append` has been flushed to disk.
 */
import { adopt, guardClass, ownConstructorArgs, raw, readCallerObject, toSdkError } from '../boundary.js';
import { CountersignError } from '../errors.js';
import { expectObject, expectString, rangeError, typeError } from '../validate.js';
import {
  CODE_STORAGE_CORRUPT,
  CODE_STORAGE_UNAVAILABLE,
  conflict,
  expectExpectedSeq,
  expectExpectedVersion,
  expectKey,
  expectListOptions,
  expectPayload,
  expectPrefix,
  expectReadLogOptions,
  nextVersion,
  storageError,
  STORAGE_ADAPTER_GUARD_METHODS,
} from './common.js';
import {
  STORAGE_LOG_RECORD_BYTES_MAX,
  STORAGE_VALUE_BYTES_MAX,
  STORAGE_VERSION_MAX,
  type ListOptions,
  type LogRecord,
  type PutResult,
  type ReadLogOptions,
  type StorageAdapter,
  type StoredValue,
} from './types.js';

/** Version of the object-store layout described above. */
export const INDEXEDDB_SCHEMA_VERSION = 1;
/** Longest database name accepted. */
export const INDEXEDDB_NAME_LENGTH_MAX_CHARS = 120;

const VALUES = 'values';
const LOGS = 'logs';
/** Above every key of the grammar (printable ASCII): the upper bound of a prefix range. */
const KEY_RANGE_END = '\u007f';

export interface IndexedDbStorageOptions {
  /** The IndexedDB factory to use (default `globalThis.indexedDB`), e.g. a polyfill in tests. */
  readonly indexedDB?: IDBFactory;
}

interface ValueRow {
  readonly key: string;
  readonly version: number;
  readonly bytes: Uint8Array;
}

interface LogRow {
  readonly log: string;
  readonly seq: number;
  readonly bytes: Uint8Array;
}

function isVersion(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 && value <= STORAGE_VERSION_MAX;
}

function checkValueRow(row: unknown, key: string): ValueRow {
  const r = row as Partial<ValueRow> | null;
  if (typeof r !== 'object' || r === null || r.key !== key || !isVersion(r.version) || !(r.bytes instanceof Uint8Array)) {
    throw storageError(CODE_STORAGE_CORRUPT, `the stored value of key "${key}" is not a {key, version, bytes} record`);
  }
  return r as ValueRow;
}

function checkLogRow(row: unknown, log: string): LogRow {
  const r = row as Partial<LogRow> | null;
  if (typeof r !== 'object' || r === null || r.log !== log || !isVersion(r.seq) || !(r.bytes instanceof Uint8Array)) {
    throw storageError(CODE_STORAGE_CORRUPT, `a record of log "${log}" is not a {log, seq, bytes} record`);
  }
  return r as LogRow;
}

function describeError(error: DOMException | null | undefined, fallback: string): string {
  return error ? `${error.name}: ${error.message}` : fallback;
}

export class IndexedDbStorage implements StorageAdapter {
  readonly #factory: IDBFactory;
  readonly #name: string;
  #db: Promise<IDBDatabase> | undefined;

  /**
   * @param dbName the IndexedDB database to use (created on first use), 1-120 characters.
   * @throws CountersignError `STORAGE_UNAVAILABLE` when there is no IndexedDB.
   */
  constructor(dbName: string, options?: IndexedDbStorageOptions) {
    try {
      // `options.indexedDB` is a platform object: read it once, as given.
      const [givenName, givenOptions] = ownConstructorArgs(arguments, ['dbName', raw('options')], 'new IndexedDbStorage');
      const name = expectString(givenName, 'dbName');
      if (name.length === 0 || name.length > INDEXEDDB_NAME_LENGTH_MAX_CHARS) {
        throw rangeError('dbName', `must be 1 to ${INDEXEDDB_NAME_LENGTH_MAX_CHARS} characters, got ${name.length}`);
      }
      const factory = readCallerObject('options', () => {
        const opts = givenOptions === undefined ? {} : (expectObject(givenOptions, 'options', ['indexedDB']) as IndexedDbStorageOptions);
        const found = opts.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
        if (found === undefined || found === null) {
          throw storageError(CODE_STORAGE_UNAVAILABLE, 'IndexedDB is not available in this environment');
        }
        if (typeof found !== 'object' || typeof found.open !== 'function') throw typeError('options.indexedDB', 'an IDBFactory', found);
        return found;
      });
      this.#factory = factory;
      this.#name = name;
      adopt(this, IndexedDbStorage);
    } catch (e) {
      throw toSdkError(e, 'new IndexedDbStorage');
    }
  }


  /** The database name. */
  get dbName(): string {
    return this.#name;
  }

  async get(key: string): Promise<StoredValue | null> {
    const checked = expectKey(key, 'key');
    const row = await this.#transact(VALUES, 'readonly', (tx, done) => {
      const request = tx.objectStore(VALUES).get(checked);
      request.onsuccess = () => done(request.result);
    });
    if (row === undefined) return null;
    const value = checkValueRow(row, checked);
    return { value: value.bytes.slice(), version: value.version };
  }

  async put(key: string, value: Uint8Array, expectedVersion: number | null): Promise<PutResult> {
    const checkedKey = expectKey(key, 'key');
    const bytes = expectPayload(value, 'value', STORAGE_VALUE_BYTES_MAX);
    const expected = expectExpectedVersion(expectedVersion, 'expectedVersion');
    return this.#transact<PutResult>(VALUES, 'readwrite', (tx, done, fail) => {
      const store = tx.objectStore(VALUES);
      const request = store.get(checkedKey);
      request.onsuccess = () => {
        try {
          const current = request.result === undefined ? 0 : checkValueRow(request.result, checkedKey).version;
          if (current !== expected) {
            done(conflict(current)); // nothing written: the transaction commits empty
            return;
          }
          const version = nextVersion(current, checkedKey);
          const row: ValueRow = { key: checkedKey, version, bytes };
          store.put(row);
          done({ ok: true, version });
        } catch (error) {
          fail(error);
        }
      };
    });
  }

  async append(log: string, record: Uint8Array, expectedSeq?: number): Promise<number> {
    const name = expectKey(log, 'log');
    const bytes = expectPayload(record, 'record', STORAGE_LOG_RECORD_BYTES_MAX);
    const expected = expectExpectedSeq(expectedSeq, 'expectedSeq');
    return this.#transact<number>(LOGS, 'readwrite', (tx, done, fail) => {
      const store = tx.objectStore(LOGS);
      const last = store.openCursor(IDBKeyRange.bound([name, 0], [name, Infinity]), 'prev');
      last.onsuccess = () => {
        try {
          const cursor = last.result;
          const previous = cursor === null ? 0 : checkLogRow(cursor.value, name).seq;
          const seq = nextVersion(previous, name);
          if (expected !== undefined && seq !== expected) {
            done(0); // decided inside the transaction: nothing written
            return;
          }
          const row: LogRow = { log: name, seq, bytes };
          store.add(row);
          done(seq);
        } catch (error) {
          fail(error);
        }
      };
    });
  }

  async readLog(log: string, options?: ReadLogOptions): Promise<LogRecord[]> {
    const name = expectKey(log, 'log');
    const { after, limit } = expectReadLogOptions(options, 'options');
    const rows = await this.#transact<unknown[]>(LOGS, 'readonly', (tx, done) => {
      const request = tx.objectStore(LOGS).getAll(IDBKeyRange.bound([name, after + 1], [name, Infinity]), limit);
      request.onsuccess = () => done(request.result);
    });
    return rows.map((row) => {
      const checked = checkLogRow(row, name);
      return { seq: checked.seq, record: checked.bytes.slice() };
    });
  }

  async list(prefix?: string, options?: ListOptions): Promise<string[]> {
    const checkedPrefix = expectPrefix(prefix, 'prefix');
    const { after, limit } = expectListOptions(options, 'options');
    const upper = checkedPrefix + KEY_RANGE_END;
    const lowerOpen = after !== undefined && after >= checkedPrefix;
    const lower = lowerOpen ? after : checkedPrefix;
    if (lower >= upper) return [];
    const keys = await this.#transact<IDBValidKey[]>(VALUES, 'readonly', (tx, done) => {
      const request = tx.objectStore(VALUES).getAllKeys(IDBKeyRange.bound(lower, upper, lowerOpen, true), limit);
      request.onsuccess = () => done(request.result);
    });
    return keys.filter((key): key is string => typeof key === 'string');
  }

  /** Closes the connection; the next call reopens it. */
  async close(): Promise<void> {
    const pending = this.#db;
    this.#db = undefined;
    if (pending !== undefined) (await pending.catch(() => undefined))?.close();
  }

  // ---- internals ----

  #open(): Promise<IDBDatabase> {
    this.#db ??= new Promise<IDBDatabase>((resolve, reject) => {
      let request: IDBOpenDBRequest;
      try {
        request = this.#factory.open(this.#name, INDEXEDDB_SCHEMA_VERSION);
      } catch (error) {
        reject(storageError(CODE_STORAGE_UNAVAILABLE, `cannot open IndexedDB database "${this.#name}"`, error));
        return;
      }
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains(VALUES)) db.createObjectStore(VALUES, { keyPath: 'key' });
        if (!db.objectStoreNames.contains(LOGS)) db.createObjectStore(LOGS, { keyPath: ['log', 'seq'] });
      };
      request.onsuccess = () => {
        const db = request.result;
        // Another tab upgrading the schema, or the browser closing the database: let go, reopen
        // on the next call.
        const forget = (): void => {
          if (this.#db === opened) this.#db = undefined;
        };
        db.onversionchange = () => {
          db.close();
          forget();
        };
        db.onclose = forget;
        resolve(db);
      };
      request.onerror = () => {
        reject(
          storageError(
            CODE_STORAGE_UNAVAILABLE,
            `cannot open IndexedDB database "${this.#name}" (${describeError(request.error, 'unknown error')})`,
          ),
        );
      };
    });
    const opened = this.#db;
    opened.catch(() => {
      if (this.#db === opened) this.#db = undefined; // retry on the next call
    });
    return opened;
  }

  /**
   * Runs `body` in one transaction and resolves with what it passed to `done` once the
   * transaction has committed (for writes: durably), or rejects if it aborts.
   */
  async #transact<T>(
    store: string,
    mode: IDBTransactionMode,
    body: (tx: IDBTransaction, done: (result: T) => void, fail: (error: unknown) => void) => void,
  ): Promise<T> {
    const db = await this.#open();
    return new Promise<T>((resolve, reject) => {
      let tx: IDBTransaction;
      try {
        tx = db.transaction(store, mode, mode === 'readwrite' ? { durability: 'strict' } : undefined);
      } catch (error) {
        if (this.#db !== undefined) void this.close(); // e.g. InvalidStateError: connection closing
        reject(storageError(CODE_STORAGE_UNAVAILABLE, `IndexedDB transaction on "${this.#name}" failed`, error));
        return;
      }
      let result: { value: T } | undefined;
      let failure: unknown;
      tx.oncomplete = () => {
        if (result === undefined) reject(storageError(CODE_STORAGE_UNAVAILABLE, 'IndexedDB transaction ended without a result'));
        else resolve(result.value);
      };
      tx.onabort = () => {
        if (failure instanceof CountersignError) reject(failure);
        else {
          reject(
            storageError(
              CODE_STORAGE_UNAVAILABLE,
              `IndexedDB transaction on "${this.#name}" aborted (${describeError(tx.error, 'aborted')})`,
            ),
          );
        }
      };
      try {
        body(
          tx,
          (value) => {
            result = { value };
          },
          (error) => {
            failure = error;
            tx.abort();
          },
        );
      } catch (error) {
        failure = error;
        tx.abort();
      }
    });
  }
}

guardClass(IndexedDbStorage, { methods: { dbName: [], ...STORAGE_ADAPTER_GUARD_METHODS } });
