/**
 * An in-memory storage adapter with the full contract, for tests and ephemeral sessions. Nothing
 * survives the process or page.
 */
import { adopt, guardClass } from '../boundary.js';
import { CountersignRangeError } from '../errors.js';
import {
  conflict,
  expectExpectedSeq,
  expectExpectedVersion,
  expectIndexKeys,
  expectIndexRows,
  expectIndexTime,
  expectKey,
  expectListOptions,
  expectPayload,
  expectPrefix,
  expectReadLogOptions,
  KEYED_INDEX_GUARD_METHODS,
  nextVersion,
  pageOfKeys,
  STORAGE_ADAPTER_GUARD_METHODS,
} from './common.js';
import {
  STORAGE_LOG_RECORD_BYTES_MAX,
  STORAGE_VALUE_BYTES_MAX,
  type IndexRow,
  type KeyedIndexStorage,
  type ListOptions,
  type LogRecord,
  type PutResult,
  type ReadLogOptions,
  type StorageAdapter,
  type StoredValue,
} from './types.js';

/** Most keys a MemoryStorage holds. */
export const MEMORY_STORAGE_KEYS_MAX = 100_000;
/** Most records, over all logs, a MemoryStorage holds. */
export const MEMORY_STORAGE_LOG_RECORDS_MAX = 1_000_000;
/** Most keyed-index rows, over all indexes, a MemoryStorage holds. */
export const MEMORY_STORAGE_INDEX_ROWS_MAX = 1_000_000;

function full(what: string, max: number, param: string): CountersignRangeError {
  return new CountersignRangeError('LIMIT_EXCEEDED', `countersign: MemoryStorage holds at most ${max} ${what}`, param);
}

export class MemoryStorage implements StorageAdapter, KeyedIndexStorage {
  readonly #values = new Map<string, StoredValue>();
  readonly #logs = new Map<string, Uint8Array[]>();
  #records = 0;
  /** Keyed indexes: name → key → row. */
  readonly #indexes = new Map<string, Map<string, { value: Uint8Array; time: number }>>();
  #indexRows = 0;

  constructor() {
    adopt(this, MemoryStorage);
  }

  async get(key: string): Promise<StoredValue | null> {
    const checked = expectKey(key, 'key');
    const stored = this.#values.get(checked);
    return stored === undefined ? null : { value: stored.value.slice(), version: stored.version };
  }

  async put(key: string, value: Uint8Array, expectedVersion: number | null): Promise<PutResult> {
    const checkedKey = expectKey(key, 'key');
    const bytes = expectPayload(value, 'value', STORAGE_VALUE_BYTES_MAX);
    const expected = expectExpectedVersion(expectedVersion, 'expectedVersion');
    const current = this.#values.get(checkedKey)?.version ?? 0;
    if (current !== expected) return conflict(current);
    if (current === 0 && this.#values.size >= MEMORY_STORAGE_KEYS_MAX) {
      throw full('keys', MEMORY_STORAGE_KEYS_MAX, 'key');
    }
    const version = nextVersion(current, checkedKey);
    this.#values.set(checkedKey, { value: bytes, version });
    return { ok: true, version };
  }

  async append(log: string, record: Uint8Array, expectedSeq?: number): Promise<number> {
    const name = expectKey(log, 'log');
    const bytes = expectPayload(record, 'record', STORAGE_LOG_RECORD_BYTES_MAX);
    const expected = expectExpectedSeq(expectedSeq, 'expectedSeq');
    if (expected !== undefined && (this.#logs.get(name)?.length ?? 0) + 1 !== expected) return 0;
    if (this.#records >= MEMORY_STORAGE_LOG_RECORDS_MAX) {
      throw full('log records', MEMORY_STORAGE_LOG_RECORDS_MAX, 'record');
    }
    let records = this.#logs.get(name);
    if (records === undefined) {
      records = [];
      this.#logs.set(name, records);
    }
    records.push(bytes);
    this.#records += 1;
    return records.length;
  }

  async appendIndexed(log: string, record: Uint8Array, expectedSeq: number, index: string, rows: readonly IndexRow[]): Promise<number> {
    expectKey(log, 'log');
    expectPayload(record, 'record', STORAGE_LOG_RECORD_BYTES_MAX);
    const expected = expectExpectedSeq(expectedSeq, 'expectedSeq');
    if (expected === undefined) throw new CountersignRangeError('INVALID_ARGUMENT', 'countersign: expectedSeq: required', 'expectedSeq');
    const name = expectKey(index, 'index');
    const checked = expectIndexRows(rows, 'rows');
    let table = this.#indexes.get(name);
    const added = checked.filter((row) => table?.has(row.key) !== true).length;
    // Checked before anything is written: the record and the rows go in together or not at all.
    if (this.#indexRows + added > MEMORY_STORAGE_INDEX_ROWS_MAX) throw full('index rows', MEMORY_STORAGE_INDEX_ROWS_MAX, 'rows');
    const seq = await this.append(log, record, expected);
    if (seq === 0) return 0;
    if (table === undefined) {
      table = new Map();
      this.#indexes.set(name, table);
    }
    for (const row of checked) table.set(row.key, { value: row.value, time: row.time });
    this.#indexRows += added;
    return seq;
  }

  async indexGet(index: string, keys: readonly string[]): Promise<IndexRow[]> {
    const table = this.#indexes.get(expectKey(index, 'index'));
    const found: IndexRow[] = [];
    for (const key of expectIndexKeys(keys, 'keys')) {
      const row = table?.get(key);
      if (row !== undefined) found.push({ key, value: row.value.slice(), time: row.time });
    }
    return found;
  }

  async indexPurge(index: string, before: number): Promise<number> {
    const table = this.#indexes.get(expectKey(index, 'index'));
    const limit = expectIndexTime(before, 'before');
    let purged = 0;
    // Bounded by the index's rows (MEMORY_STORAGE_INDEX_ROWS_MAX over all indexes).
    for (const [key, row] of table ?? []) {
      if (row.time < limit) {
        table?.delete(key);
        purged += 1;
      }
    }
    this.#indexRows -= purged;
    return purged;
  }

  async readLog(log: string, options?: ReadLogOptions): Promise<LogRecord[]> {
    const name = expectKey(log, 'log');
    const { after, limit } = expectReadLogOptions(options, 'options');
    const records = this.#logs.get(name) ?? [];
    return records.slice(after, after + limit).map((record, i) => ({ seq: after + i + 1, record: record.slice() }));
  }

  async list(prefix?: string, options?: ListOptions): Promise<string[]> {
    const checkedPrefix = expectPrefix(prefix, 'prefix');
    const checkedOptions = expectListOptions(options, 'options');
    const keys = [...this.#values.keys()].sort();
    return pageOfKeys(keys, checkedPrefix, checkedOptions);
  }

  async close(): Promise<void> {
    // Nothing is held open; the data stays for later calls.
  }
}

guardClass(MemoryStorage, { methods: { ...STORAGE_ADAPTER_GUARD_METHODS, ...KEYED_INDEX_GUARD_METHODS } });
