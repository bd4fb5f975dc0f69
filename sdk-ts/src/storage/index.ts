/**
 * The storage adapter and its browser-safe implementations. `FileStorage` (Node, `node:fs`) and
 * `PostgresStorage` (Node, the optional peer dependency `pg`) are exported from the Node entry
 * only: import them from `./file.js` and `./postgres.js` there.
 */
export {
  STORAGE_INDEX_KEY_LENGTH_MAX_CHARS,
  STORAGE_INDEX_ROWS_MAX,
  STORAGE_INDEX_VALUE_BYTES_MAX,
  STORAGE_KEY_LENGTH_MAX_CHARS,
  STORAGE_LIST_KEYS_MAX,
  STORAGE_LOG_READ_RECORDS_MAX,
  STORAGE_LOG_RECORD_BYTES_MAX,
  STORAGE_VALUE_BYTES_MAX,
  STORAGE_VERSION_MAX,
  type IndexRow,
  type KeyedIndexStorage,
  type ListOptions,
  type LogRecord,
  type PutApplied,
  type PutConflict,
  type PutResult,
  type ReadLogOptions,
  type StorageAdapter,
  type StoredValue,
} from './types.js';
export { MEMORY_STORAGE_INDEX_ROWS_MAX, MEMORY_STORAGE_KEYS_MAX, MEMORY_STORAGE_LOG_RECORDS_MAX, MemoryStorage } from './memory.js';
export {
  INDEXEDDB_NAME_LENGTH_MAX_CHARS,
  INDEXEDDB_SCHEMA_VERSION,
  IndexedDbStorage,
  type IndexedDbStorageOptions,
} from './indexeddb.js';
