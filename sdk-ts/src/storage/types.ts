/**
 * The storage adapter: the one small async interface the SDK persists state through.
 *
 * Four operations — `get`, `put` with an expected version (compare-and-swap), `append` to a log,
 * `list` — plus `readLog` to read a log back. Implementations: {@link MemoryStorage} (tests),
 * `IndexedDbStorage` (browsers), `FileStorage` (Node: atomic files — write, fsync, rename),
 * `PostgresStorage` (Node: tables with row versions, several processes on one database).
 *
 * Contract, identical for every implementation (one shared test suite runs against each):
 *
 * * **Keys and log names**: 1 to {@link STORAGE_KEY_LENGTH_MAX_CHARS} characters of
 *   `A-Z a-z 0-9 _ - . : / @ + =`, e.g. `card/4000-0012`. Keys and log names are separate
 *   namespaces.
 * * **Values** are `Uint8Array`s of at most {@link STORAGE_VALUE_BYTES_MAX} bytes, copied in and
 *   out (what you pass or get back is yours).
 * * **Versions** are positive safe-integer `number`s assigned by the store: the first `put` of a
 *   key makes version 1, each successful `put` the previous version + 1. `0` stands for "absent".
 *   (`number`, not `bigint`: 2^53 writes to one key is out of reach, and numbers are what
 *   IndexedDB and JSON carry without conversion.)
 * * **`put(key, value, expectedVersion)`** writes only if the key's current version is
 *   `expectedVersion` (`null` or `0`: the key must not exist). A mismatch is an expected outcome,
 *   not an exception: it *returns* `{ ok: false, code: 'VERSION_CONFLICT', currentVersion }` and
 *   writes nothing; re-read and retry. Exactly one of several concurrent writers with the same
 *   expected version wins — across tabs (IndexedDB) and processes (files).
 * * **Logs** are append-only. `append` returns the record's sequence number: 1 for the first
 *   record of a log, then consecutive. An acknowledged `append` or `put` is durable (fsync /
 *   IndexedDB strict durability / a committed database transaction).
 * * **`append(log, record, expectedSeq)`** appends only if the record gets exactly the number
 *   `expectedSeq` (the log's last record is `expectedSeq - 1`); otherwise it writes nothing and
 *   resolves to `0`. Compare-and-swap for logs: of several writers appending at the same position,
 *   exactly one succeeds, so a writer whose log is the truth (the ledger's write-ahead log) can
 *   never interleave its records with another's.
 * * **`list(prefix)`** returns keys in ascending (code-unit) order, a page at a time:
 *   at most `limit` (default and maximum {@link STORAGE_LIST_KEYS_MAX}) after `after`.
 * * Malformed calls throw `CountersignTypeError` / `CountersignRangeError` naming the parameter;
 *   a failing or corrupt backend throws `CountersignError`.
 *
 * **Keyed index** (optional: {@link KeyedIndexStorage}; MemoryStorage and PostgresStorage have
 * it, FileStorage and IndexedDbStorage do not). What a ledger needs to answer an idempotency key
 * for a day when its own window holds 32,768 keys: rows `key → (value, time)` per index name,
 * written **in the same atomic write as a log append** (`appendIndexed`: the record and every
 * row, or nothing), read back by key (`indexGet`) and deleted by age (`indexPurge`).
 */

/** Longest key or log name. */
export const STORAGE_KEY_LENGTH_MAX_CHARS = 120;
/**
 * Largest value `put` accepts: the largest snapshot any system can write (the energy server's and
 * the temporary-card service's bounds are 64 MiB each, their ledgers included), so a state at its
 * limits can always be saved.
 */
export const STORAGE_VALUE_BYTES_MAX = 64 * 1024 * 1024;
/** Largest record `append` accepts. */
export const STORAGE_LOG_RECORD_BYTES_MAX = 1024 * 1024;
/** Most keys one `list` call returns (and its default `limit`). */
export const STORAGE_LIST_KEYS_MAX = 1000;
/** Most records one `readLog` call returns (and its default `limit`). */
export const STORAGE_LOG_READ_RECORDS_MAX = 1000;
/** Highest version a key can reach (`Number.MAX_SAFE_INTEGER`). */
export const STORAGE_VERSION_MAX = Number.MAX_SAFE_INTEGER;

/** A stored value and its version. */
export interface StoredValue {
  readonly value: Uint8Array;
  /** ≥ 1. */
  readonly version: number;
}

/** `put` succeeded: the key now has `version`. */
export interface PutApplied {
  readonly ok: true;
  readonly version: number;
}

/** `put` was refused because the key is not at the expected version; nothing was written. */
export interface PutConflict {
  readonly ok: false;
  readonly code: 'VERSION_CONFLICT';
  /** The key's version now; 0 when it does not exist. */
  readonly currentVersion: number;
}

export type PutResult = PutApplied | PutConflict;

/** One record of a log. */
export interface LogRecord {
  /** 1 for the first record of the log, then consecutive. */
  readonly seq: number;
  readonly record: Uint8Array;
}

export interface ListOptions {
  /** Only keys strictly greater than this one (paging: pass the last key of the previous page). */
  readonly after?: string;
  /** At most this many keys, 1 to {@link STORAGE_LIST_KEYS_MAX} (the default). */
  readonly limit?: number;
}

export interface ReadLogOptions {
  /** Only records with a sequence number greater than this (default 0: from the start). */
  readonly after?: number;
  /** At most this many records, 1 to {@link STORAGE_LOG_READ_RECORDS_MAX} (the default). */
  readonly limit?: number;
}

/** The storage adapter every persistence helper of the SDK writes through. */
export interface StorageAdapter {
  /** The value and version of `key`, or `null` when it does not exist. */
  get(key: string): Promise<StoredValue | null>;
  /** Compare-and-swap write; see the contract above. */
  put(key: string, value: Uint8Array, expectedVersion: number | null): Promise<PutResult>;
  /**
   * Appends `record` to the log `log` (created on first use); resolves to its sequence number.
   * With `expectedSeq`: only at that number, else nothing is written and it resolves to 0.
   */
  append(log: string, record: Uint8Array, expectedSeq?: number): Promise<number>;
  /** Records of `log` in sequence order (empty for a log never written). */
  readLog(log: string, options?: ReadLogOptions): Promise<LogRecord[]>;
  /** Keys starting with `prefix` (all keys for `''`), ascending, one page. */
  list(prefix?: string, options?: ListOptions): Promise<string[]>;
  /** Releases what the adapter holds open (a database connection); later calls reopen it. */
  close(): Promise<void>;
  /** Optional, with `indexGet` and `indexPurge`: see {@link KeyedIndexStorage}. */
  appendIndexed?: KeyedIndexStorage['appendIndexed'];
  /** Optional: see {@link KeyedIndexStorage}. */
  indexGet?: KeyedIndexStorage['indexGet'];
  /** Optional: see {@link KeyedIndexStorage}. */
  indexPurge?: KeyedIndexStorage['indexPurge'];
}

// ---------------------------------------------------------------------------------------------
// Keyed index (optional)

/** Longest key of a keyed index (an idempotency key is at most 64 UTF-8 bytes). */
export const STORAGE_INDEX_KEY_LENGTH_MAX_CHARS = 256;
/** Largest value of an index row (a ledger journal entry is at most 16 KiB). */
export const STORAGE_INDEX_VALUE_BYTES_MAX = 64 * 1024;
/** Most rows one `appendIndexed` writes, and most keys one `indexGet` reads. */
export const STORAGE_INDEX_ROWS_MAX = 4096;

/** One row of a keyed index. */
export interface IndexRow {
  /** 1 to {@link STORAGE_INDEX_KEY_LENGTH_MAX_CHARS} characters, no control characters, no lone surrogates. */
  readonly key: string;
  /** At most {@link STORAGE_INDEX_VALUE_BYTES_MAX} bytes, opaque to the storage. */
  readonly value: Uint8Array;
  /** A safe integer (the ledger writes Unix seconds of ledger time); `indexPurge` compares it. */
  readonly time: number;
}

/**
 * The optional keyed index of a storage adapter. Index names follow the key grammar and are a
 * namespace of their own; keys are unique per index.
 */
export interface KeyedIndexStorage {
  /**
   * `append(log, record, expectedSeq)` and, only when the record is appended, the upsert of
   * every row into `index` (a row with a key already there replaces it), as **one atomic write**:
   * after a crash either the record and all rows are there, or none of them. Resolves to
   * `expectedSeq`, or to 0 with nothing written. At most {@link STORAGE_INDEX_ROWS_MAX} rows,
   * each key at most once (INVALID_ARGUMENT naming `rows`).
   */
  appendIndexed(log: string, record: Uint8Array, expectedSeq: number, index: string, rows: readonly IndexRow[]): Promise<number>;
  /** The rows of `index` with these keys (those found, in any order); at most {@link STORAGE_INDEX_ROWS_MAX} keys. */
  indexGet(index: string, keys: readonly string[]): Promise<IndexRow[]>;
  /** Deletes the rows of `index` whose time is below `before`; resolves to how many. */
  indexPurge(index: string, before: number): Promise<number>;
}
