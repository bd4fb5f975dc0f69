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
  expectKey,
  expectListOptions,
  expectPayload,
  expectPrefix,
  expectReadLogOptions,
  nextVersion,
  pageOfKeys,
  STORAGE_ADAPTER_GUARD_METHODS,
} from './common.js';
import {
  STORAGE_LOG_RECORD_BYTES_MAX,
  STORAGE_VALUE_BYTES_MAX,
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

function full(what: string, max: number, param: string): CountersignRangeError {
  return new CountersignRangeError('LIMIT_EXCEEDED', `countersign: MemoryStorage holds at most ${max} ${what}`, param);
}

export class MemoryStorage implements StorageAdapter {
  readonly #values = new Map<string, StoredValue>();
  readonly #logs = new Map<string, Uint8Array[]>();
  #records = 0;

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

guardClass(MemoryStorage, { methods: { ...STORAGE_ADAPTER_GUARD_METHODS } });
