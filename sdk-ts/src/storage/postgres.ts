/**
 * Node storage adapter over PostgreSQL, through node-postgres (`pg`, an optional peer dependency:
 * installed by the application that uses this adapter, never pulled into a browser bundle).
 * Exported from the Node entry only.
 *
 * Several processes (on several machines) can share one database: compare-and-swap and log
 * numbering are decided by the database, in one statement each, so the contract holds across
 * every process that writes through a `PostgresStorage` with the same table prefix.
 *
 * Tables (`<prefix>` is `options.tablePrefix`, default `countersign_`), created and migrated by
 * the adapter itself on first use, under an advisory lock so that processes starting together
 * do not race each other:
 *
 * ```
 * <prefix>schema    (singleton, version)            the layout version this database is at
 * <prefix>kv        (key, value bytea, version)     one row per key; version 1, 2, 3 ...
 * <prefix>log_head  (log, seq)                      per log: the sequence number of its last record
 * <prefix>log       (log, seq, record bytea)        the records, primary key (log, seq)
 * <prefix>index     (idx, key, value bytea, time)   keyed index rows, primary key (idx, key),
 *                                                   and an index on (idx, time) for purges
 * ```
 *
 * * **put** with expected version 0 is `INSERT ... ON CONFLICT DO NOTHING`; with expected version
 *   n it is `UPDATE ... SET version = version + 1 WHERE key = $1 AND version = n`. Of concurrent
 *   writers with the same expectation the database lets exactly one match (the others wait for
 *   its row lock, then see the new version and match nothing).
 * * **append** bumps the log's `log_head` row (`INSERT ... ON CONFLICT DO UPDATE`, which holds that
 *   row's lock until the statement commits) and inserts the record under the new number, in one
 *   statement. Concurrent appenders queue on the head row, so numbers are consecutive and commit in
 *   order; an append that fails rolls its bump back with it, so there are no gaps. (A database
 *   sequence would leave a gap for every aborted append.) An append with `expectedSeq` bumps the
 *   head only `WHERE seq = expectedSeq - 1`: of concurrent appenders at one position, one wins.
 * * **appendIndexed** is that conditional append and the upsert of the index rows in **one
 *   statement** (data-modifying CTEs; the rows are inserted only when the record is): one
 *   transaction, so a crash keeps both or neither. **indexGet** reads a batch of keys in one
 *   query (`key = ANY($2)`), **indexPurge** deletes by age through the `(idx, time)` index.
 * * Every statement is parameterised; table names are built only from the validated prefix.
 * * An acknowledged write has committed with the server's `synchronous_commit` (on by default:
 *   keep it on). A connection that drops mid-statement rolls the statement back whole; when it
 *   drops while the commit is being acknowledged, the write may have happened: the call rejects
 *   (STORAGE_UNAVAILABLE), and a retried `put` then sees `VERSION_CONFLICT`.
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
  storageError,
  STORAGE_ADAPTER_GUARD_METHODS,
} from './common.js';
import {
  STORAGE_LOG_RECORD_BYTES_MAX,
  STORAGE_VALUE_BYTES_MAX,
  STORAGE_VERSION_MAX,
  type IndexRow,
  type KeyedIndexStorage,
  type ListOptions,
  type LogRecord,
  type PutResult,
  type ReadLogOptions,
  type StorageAdapter,
  type StoredValue,
} from './types.js';

/** The table layout this SDK writes; recorded in `<prefix>schema`. */
export const POSTGRES_SCHEMA_VERSION = 2;
/** Default table-name prefix. */
export const POSTGRES_TABLE_PREFIX_DEFAULT = 'countersign_';
/**
 * Prefix grammar: a lower-case SQL identifier start, so that table names need no quoting rules
 * beyond the double quotes we add, and short enough that `<prefix>log_head` stays within
 * PostgreSQL's 63-byte identifier limit.
 */
export const POSTGRES_TABLE_PREFIX_PATTERN = /^[a-z_][a-z0-9_]{0,39}$/;

/**
 * The part of a `pg.Pool` this adapter uses (declared here so the SDK's types do not depend on
 * `@types/pg`). A `pg.Pool` fits; so does anything with the same query API.
 */
export interface PostgresPool {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
  connect(): Promise<PostgresPoolClient>;
  end(): Promise<void>;
  on?(event: 'error', listener: (error: Error) => void): unknown;
  listenerCount?(event: 'error'): number;
}

/** A client checked out of a {@link PostgresPool} (for the schema migration's transaction). */
export interface PostgresPoolClient {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
  release(error?: Error | boolean): void;
}

export interface PostgresStorageOptions {
  /**
   * Prefix of the adapter's table names (default `countersign_`): two stores with
   * different prefixes share a database without seeing each other's data. 1-40 characters of
   * `a-z 0-9 _`, not starting with a digit. The tables live in the connection's current schema
   * (`search_path`): a schema per store is the other way to separate them.
   */
  readonly tablePrefix?: string;
}

/** The SQL of one prefix: table names quoted once, statements built once. */
class Statements {
  readonly schema: string;
  readonly kv: string;
  readonly logHead: string;
  readonly log: string;
  readonly index: string;
  readonly indexTime: string;
  readonly lockName: string;

  constructor(prefix: string) {
    this.schema = `"${prefix}schema"`;
    this.kv = `"${prefix}kv"`;
    this.logHead = `"${prefix}log_head"`;
    this.log = `"${prefix}log"`;
    this.index = `"${prefix}index"`;
    this.indexTime = `"${prefix}index_time"`;
    this.lockName = `countersign-schema:${prefix}`;
  }

  /** Migration n (1-based) takes the database from layout n-1 to layout n. */
  get migrations(): readonly (readonly string[])[] {
    return [
      [
        // COLLATE "C": keys and log names are ASCII, compared by code unit like every other
        // adapter's list order (the contract), whatever the database's default collation.
        `CREATE TABLE ${this.kv} (
           key text COLLATE "C" PRIMARY KEY,
           value bytea NOT NULL,
           version bigint NOT NULL CHECK (version BETWEEN 1 AND ${STORAGE_VERSION_MAX}))`,
        `CREATE TABLE ${this.logHead} (
           log text COLLATE "C" PRIMARY KEY,
           seq bigint NOT NULL CHECK (seq BETWEEN 1 AND ${STORAGE_VERSION_MAX}))`,
        `CREATE TABLE ${this.log} (
           log text COLLATE "C" NOT NULL,
           seq bigint NOT NULL CHECK (seq BETWEEN 1 AND ${STORAGE_VERSION_MAX}),
           record bytea NOT NULL,
           PRIMARY KEY (log, seq))`,
      ],
      [
        // The keyed index (a ledger's idempotency keys for a day): looked up by key, purged by time.
        `CREATE TABLE ${this.index} (
           idx text COLLATE "C" NOT NULL,
           key text COLLATE "C" NOT NULL,
           value bytea NOT NULL,
           time bigint NOT NULL,
           PRIMARY KEY (idx, key))`,
        `CREATE INDEX ${this.indexTime} ON ${this.index} (idx, time)`,
      ],
    ];
  }
}

/** pg returns bigint columns as strings (they may exceed 2^53); ours never do. */
function toVersion(value: unknown, what: string): number {
  const n = typeof value === 'string' && /^[0-9]{1,16}$/.test(value) ? Number(value) : typeof value === 'number' ? value : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw storageError(CODE_STORAGE_CORRUPT, `${what} is ${String(value)}, not a version`);
  return n;
}

function toBytes(value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw storageError(CODE_STORAGE_CORRUPT, `${what} is not bytea`);
  return new Uint8Array(value); // a copy the caller owns, and a plain Uint8Array rather than a Buffer
}

function isPool(value: unknown): value is PostgresPool {
  const v = value as Partial<PostgresPool> | null;
  return typeof v === 'object' && v !== null && typeof v.query === 'function' && typeof v.connect === 'function' && typeof v.end === 'function';
}

/** Keeps a pool's idle-client errors from crashing the process (see `#usePool`). */
function ignorePoolError(): void {
  // The dropped client is discarded by the pool; the next query reports the failure.
}

export class PostgresStorage implements StorageAdapter, KeyedIndexStorage {
  /** The caller's pool, used as given and never ended by us. */
  readonly #givenPool: PostgresPool | undefined;
  /** Or a connection string: we make (and end, on close) our own pool from it. */
  readonly #connectionString: string | undefined;
  #ownPool: Promise<PostgresPool> | undefined;
  readonly #sql: Statements;
  readonly #prefix: string;
  #ready: Promise<void> | undefined;

  /**
   * @param pool a `pg.Pool` (yours: `close()` leaves it open), or a connection string
   *   (`postgres://user@host:5432/db`): the adapter then imports `pg`, makes its own pool and
   *   ends it on `close()`.
   * @throws CountersignTypeError / CountersignRangeError for a bad `pool` or option.
   */
  constructor(pool: PostgresPool | string, options?: PostgresStorageOptions) {
    try {
      const [givenPool, givenOptions] = ownConstructorArgs(arguments, [raw('pool'), 'options'], 'new PostgresStorage');
      if (typeof givenPool === 'string') {
        if (givenPool.length === 0) throw rangeError('pool', 'must be a non-empty connection string');
        this.#connectionString = givenPool;
      } else if (readCallerObject('pool', () => isPool(givenPool))) {
        this.#givenPool = givenPool as PostgresPool;
        this.#keepPoolErrorsFromCrashing(this.#givenPool);
      } else {
        throw typeError('pool', 'a pg.Pool or a connection string', givenPool);
      }
      const opts = givenOptions === undefined ? {} : expectObject(givenOptions, 'options', ['tablePrefix']);
      const prefix = opts.tablePrefix === undefined ? POSTGRES_TABLE_PREFIX_DEFAULT : expectString(opts.tablePrefix, 'options.tablePrefix');
      if (!POSTGRES_TABLE_PREFIX_PATTERN.test(prefix)) {
        throw rangeError('options.tablePrefix', `must be 1-40 characters of a-z 0-9 _, not starting with a digit, got ${JSON.stringify(prefix)}`);
      }
      this.#prefix = prefix;
      this.#sql = new Statements(prefix);
      adopt(this, PostgresStorage);
    } catch (e) {
      throw toSdkError(e, 'new PostgresStorage');
    }
  }

  /** The table-name prefix this storage uses. */
  get tablePrefix(): string {
    return this.#prefix;
  }

  async get(key: string): Promise<StoredValue | null> {
    const checked = expectKey(key, 'key');
    const { rows } = await this.#query(`reading key "${checked}"`, `SELECT value, version FROM ${this.#sql.kv} WHERE key = $1`, [checked]);
    const row = rows[0];
    if (row === undefined) return null;
    return { value: toBytes(row.value, `the value of key "${checked}"`), version: toVersion(row.version, `the version of key "${checked}"`) };
  }

  async put(key: string, value: Uint8Array, expectedVersion: number | null): Promise<PutResult> {
    const checkedKey = expectKey(key, 'key');
    const bytes = expectPayload(value, 'value', STORAGE_VALUE_BYTES_MAX);
    const expected = expectExpectedVersion(expectedVersion, 'expectedVersion');
    const what = `writing key "${checkedKey}"`;
    // Sent as binary (pg passes Buffers as bytea without text encoding).
    const param = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    let applied: Record<string, unknown>[];
    if (expected === 0) {
      ({ rows: applied } = await this.#query(
        what,
        `INSERT INTO ${this.#sql.kv} (key, value, version) VALUES ($1, $2, 1) ON CONFLICT (key) DO NOTHING RETURNING version`,
        [checkedKey, param],
      ));
    } else {
      ({ rows: applied } = await this.#query(
        what,
        `UPDATE ${this.#sql.kv} SET value = $2, version = version + 1 WHERE key = $1 AND version = $3 AND version < ${STORAGE_VERSION_MAX} RETURNING version`,
        [checkedKey, param, expected],
      ));
    }
    if (applied[0] !== undefined) return { ok: true, version: toVersion(applied[0].version, `the new version of key "${checkedKey}"`) };
    // Not applied: read what is there now (a fresh statement, so it sees the write that beat us).
    const { rows } = await this.#query(what, `SELECT version FROM ${this.#sql.kv} WHERE key = $1`, [checkedKey]);
    const current = rows[0] === undefined ? 0 : toVersion(rows[0].version, `the version of key "${checkedKey}"`);
    if (current === expected && expected !== 0) nextVersion(current, checkedKey); // at the highest version: LIMIT_EXCEEDED
    return conflict(current);
  }

  async append(log: string, record: Uint8Array, expectedSeq?: number): Promise<number> {
    const name = expectKey(log, 'log');
    const bytes = expectPayload(record, 'record', STORAGE_LOG_RECORD_BYTES_MAX);
    const expected = expectExpectedSeq(expectedSeq, 'expectedSeq');
    const what = `appending to log "${name}"`;
    const param = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    // The head row decides the number: bumped (or created) and the record inserted in one
    // statement. With an expected number the bump is conditional, like put's compare-and-swap.
    let rows: Record<string, unknown>[];
    if (expected === undefined) {
      ({ rows } = await this.#query(
        what,
        `WITH head AS (
           INSERT INTO ${this.#sql.logHead} AS h (log, seq) VALUES ($1, 1)
           ON CONFLICT (log) DO UPDATE SET seq = h.seq + 1
           RETURNING seq)
         INSERT INTO ${this.#sql.log} (log, seq, record) SELECT $1, seq, $2 FROM head RETURNING seq`,
        [name, param],
      ));
    } else if (expected === 1) {
      ({ rows } = await this.#query(
        what,
        `WITH head AS (
           INSERT INTO ${this.#sql.logHead} (log, seq) VALUES ($1, 1) ON CONFLICT (log) DO NOTHING RETURNING seq)
         INSERT INTO ${this.#sql.log} (log, seq, record) SELECT $1, seq, $2 FROM head RETURNING seq`,
        [name, param],
      ));
    } else {
      ({ rows } = await this.#query(
        what,
        `WITH head AS (
           UPDATE ${this.#sql.logHead} SET seq = seq + 1 WHERE log = $1 AND seq = $3 RETURNING seq)
         INSERT INTO ${this.#sql.log} (log, seq, record) SELECT $1, seq, $2 FROM head RETURNING seq`,
        [name, param, expected - 1],
      ));
    }
    if (rows[0] === undefined) {
      if (expected !== undefined) return 0; // the log is not at expectedSeq - 1: nothing written
      throw storageError(CODE_STORAGE_UNAVAILABLE, `${what} inserted nothing`);
    }
    return toVersion(rows[0].seq, `the sequence number of log "${name}"`);
  }

  async appendIndexed(log: string, record: Uint8Array, expectedSeq: number, index: string, rows: readonly IndexRow[]): Promise<number> {
    const name = expectKey(log, 'log');
    const bytes = expectPayload(record, 'record', STORAGE_LOG_RECORD_BYTES_MAX);
    const expected = expectExpectedSeq(expectedSeq, 'expectedSeq');
    if (expected === undefined) throw rangeError('expectedSeq', 'is required');
    const indexName = expectKey(index, 'index');
    const checked = expectIndexRows(rows, 'rows');
    const what = `appending to log "${name}" with index "${indexName}"`;
    const head =
      expected === 1
        ? `INSERT INTO ${this.#sql.logHead} (log, seq) VALUES ($1, $3::bigint + 1) ON CONFLICT (log) DO NOTHING RETURNING seq`
        : `UPDATE ${this.#sql.logHead} SET seq = seq + 1 WHERE log = $1 AND seq = $3::bigint RETURNING seq`;
    // One statement, so one transaction: the rows are written only with the record.
    const { rows: appended } = await this.#query(
      what,
      `WITH head AS (${head}),
         rec AS (INSERT INTO ${this.#sql.log} (log, seq, record) SELECT $1, seq, $2 FROM head RETURNING seq),
         indexed AS (
           INSERT INTO ${this.#sql.index} (idx, key, value, time)
           SELECT $4, u.key, u.value, u.time FROM unnest($5::text[], $6::bytea[], $7::bigint[]) AS u(key, value, time)
           WHERE EXISTS (SELECT 1 FROM rec)
           ON CONFLICT (idx, key) DO UPDATE SET value = EXCLUDED.value, time = EXCLUDED.time)
       SELECT seq FROM rec`,
      [
        name,
        Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length),
        expected - 1,
        indexName,
        checked.map((row) => row.key),
        checked.map((row) => Buffer.from(row.value.buffer, row.value.byteOffset, row.value.length)),
        checked.map((row) => row.time),
      ],
    );
    if (appended[0] === undefined) return 0;
    return toVersion(appended[0].seq, `the sequence number of log "${name}"`);
  }

  async indexGet(index: string, keys: readonly string[]): Promise<IndexRow[]> {
    const indexName = expectKey(index, 'index');
    const wanted = expectIndexKeys(keys, 'keys');
    if (wanted.length === 0) return [];
    const { rows } = await this.#query(
      `reading index "${indexName}"`,
      `SELECT key, value, time FROM ${this.#sql.index} WHERE idx = $1 AND key = ANY($2::text[])`,
      [indexName, wanted],
    );
    return rows.map((row) => {
      const time = typeof row.time === 'string' && /^-?[0-9]{1,16}$/.test(row.time) ? Number(row.time) : Number.NaN;
      if (typeof row.key !== 'string' || !Number.isSafeInteger(time)) throw storageError(CODE_STORAGE_CORRUPT, `a row of index "${indexName}" is malformed`);
      return { key: row.key, value: toBytes(row.value, `a value of index "${indexName}"`), time };
    });
  }

  async indexPurge(index: string, before: number): Promise<number> {
    const indexName = expectKey(index, 'index');
    const limit = expectIndexTime(before, 'before');
    const { rowCount } = await this.#query(`purging index "${indexName}"`, `DELETE FROM ${this.#sql.index} WHERE idx = $1 AND time < $2`, [indexName, limit]);
    return rowCount ?? 0;
  }

  async readLog(log: string, options?: ReadLogOptions): Promise<LogRecord[]> {
    const name = expectKey(log, 'log');
    const { after, limit } = expectReadLogOptions(options, 'options');
    const { rows } = await this.#query(
      `reading log "${name}"`,
      `SELECT seq, record FROM ${this.#sql.log} WHERE log = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [name, after, limit],
    );
    return rows.map((row, i) => {
      const seq = toVersion(row.seq, `a sequence number of log "${name}"`);
      // Appends leave no gaps; a gap means rows were deleted behind the adapter's back.
      if (seq !== after + i + 1) throw storageError(CODE_STORAGE_CORRUPT, `log "${name}" jumps from record ${after + i} to ${seq}`);
      return { seq, record: toBytes(row.record, `record ${seq} of log "${name}"`) };
    });
  }

  async list(prefix?: string, options?: ListOptions): Promise<string[]> {
    const checkedPrefix = expectPrefix(prefix, 'prefix');
    const { after, limit } = expectListOptions(options, 'options');
    // `key >= prefix` lets the primary-key index start at the prefix; the substr test ends it
    // (LIKE would need `_` escaped, and starts_with is not in every PostgreSQL-compatible engine).
    const { rows } = await this.#query(
      'listing keys',
      `SELECT key FROM ${this.#sql.kv}
       WHERE key >= $1 AND substr(key, 1, length($1)) = $1 AND key > $2
       ORDER BY key LIMIT $3`,
      [checkedPrefix, after ?? '', limit],
    );
    return rows.map((row) => {
      if (typeof row.key !== 'string') throw storageError(CODE_STORAGE_CORRUPT, 'a stored key is not text');
      return row.key;
    });
  }

  /** Ends the pool this adapter made from a connection string (a caller's pool stays open). */
  async close(): Promise<void> {
    const own = this.#ownPool;
    this.#ownPool = undefined;
    this.#ready = undefined;
    if (own === undefined) return;
    const pool = await own.catch(() => undefined);
    await pool?.end().catch(() => undefined);
  }

  // -------------------------------------------------------------------------------------------

  /**
   * node-postgres emits `error` on the pool when an idle connection dies (a server restart,
   * `pg_terminate_backend`); with no listener Node turns that into an uncaught exception. The
   * adapter adds a listener when the pool has none: the pool drops the connection, and the next
   * query reports the failure as STORAGE_UNAVAILABLE.
   */
  #keepPoolErrorsFromCrashing(pool: PostgresPool): void {
    if (typeof pool.on === 'function' && (typeof pool.listenerCount !== 'function' || pool.listenerCount('error') === 0)) {
      pool.on('error', ignorePoolError);
    }
  }

  #pool(): Promise<PostgresPool> {
    if (this.#givenPool !== undefined) return Promise.resolve(this.#givenPool);
    this.#ownPool ??= (async () => {
      let pg: { Pool: new (config: { connectionString: string }) => PostgresPool };
      try {
        pg = ((await import('pg')) as { default: typeof pg }).default;
      } catch (error) {
        throw storageError(CODE_STORAGE_UNAVAILABLE, 'PostgresStorage needs the "pg" package (npm install pg)', error);
      }
      const pool = new pg.Pool({ connectionString: this.#connectionString as string });
      this.#keepPoolErrorsFromCrashing(pool);
      return pool;
    })().catch((error: unknown) => {
      this.#ownPool = undefined; // retry next time
      throw error;
    });
    return this.#ownPool;
  }

  /** One statement, once the tables exist; any database failure is STORAGE_UNAVAILABLE with its cause. */
  async #query(what: string, text: string, values: unknown[]): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }> {
    const pool = await this.#pool();
    await this.#ensureSchema(pool);
    try {
      return await pool.query(text, values);
    } catch (error) {
      throw storageError(CODE_STORAGE_UNAVAILABLE, `PostgreSQL failed ${what}`, error);
    }
  }

  #ensureSchema(pool: PostgresPool): Promise<void> {
    this.#ready ??= this.#migrate(pool).catch((error: unknown) => {
      this.#ready = undefined; // retry next time
      throw error;
    });
    return this.#ready;
  }

  /**
   * Creates or migrates the tables in one transaction, under a transaction-scoped advisory lock
   * keyed by the prefix: processes starting together take turns, and the later ones find the
   * layout done. A database at a newer layout than this SDK knows is refused, not written.
   */
  async #migrate(pool: PostgresPool): Promise<void> {
    let client: PostgresPoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw storageError(CODE_STORAGE_UNAVAILABLE, 'cannot connect to PostgreSQL', error);
    }
    let failure: Error | undefined;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [this.#sql.lockName]);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.#sql.schema} (
           singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
           version integer NOT NULL)`,
      );
      const { rows } = await client.query(`SELECT version FROM ${this.#sql.schema}`);
      const found = rows[0] === undefined ? 0 : Number(rows[0].version);
      if (!Number.isSafeInteger(found) || found < 0) {
        throw storageError(CODE_STORAGE_CORRUPT, `${this.#sql.schema} records layout version ${String(rows[0]?.version)}`);
      }
      if (found > POSTGRES_SCHEMA_VERSION) {
        throw storageError(
          CODE_STORAGE_UNAVAILABLE,
          `the tables "${this.#prefix}*" are at layout version ${found}, newer than this SDK's ${POSTGRES_SCHEMA_VERSION}: upgrade the SDK`,
        );
      }
      const migrations = this.#sql.migrations;
      for (let version = found + 1; version <= POSTGRES_SCHEMA_VERSION; version += 1) {
        for (const statement of migrations[version - 1] ?? []) await client.query(statement);
      }
      if (found === 0) await client.query(`INSERT INTO ${this.#sql.schema} (version) VALUES ($1)`, [POSTGRES_SCHEMA_VERSION]);
      else if (found < POSTGRES_SCHEMA_VERSION) await client.query(`UPDATE ${this.#sql.schema} SET version = $1`, [POSTGRES_SCHEMA_VERSION]);
      await client.query('COMMIT');
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      await client.query('ROLLBACK').catch(() => undefined);
      if (error instanceof CountersignError) throw error;
      throw storageError(CODE_STORAGE_UNAVAILABLE, `cannot create the tables "${this.#prefix}*" in PostgreSQL`, error);
    } finally {
      // A failed connection is destroyed rather than returned to the pool.
      client.release(failure);
    }
  }
}

guardClass(PostgresStorage, { methods: { tablePrefix: [], ...STORAGE_ADAPTER_GUARD_METHODS, ...KEYED_INDEX_GUARD_METHODS } });
