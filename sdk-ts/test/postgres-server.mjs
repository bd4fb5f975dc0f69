// The PostgreSQL server the tests use: COUNTERSIGN_TEST_DATABASE_URL, set by scripts/postgres.sh
// (`scripts/test.sh` wraps the Node tests in `postgres.sh run`, which starts a throw-away server),
// or by a user pointing the tests at their own server. Without it the PostgreSQL tests are
// skipped with the reason below; with it they run. Loading this file alone does nothing.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const DATABASE_URL = process.env.COUNTERSIGN_TEST_DATABASE_URL || undefined;
/** The directory of the server postgres.sh started (absent for a user's own server). */
export const PG_DIR = process.env.COUNTERSIGN_TEST_PG_DIR || undefined;

export const SKIP_NO_SERVER =
  DATABASE_URL === undefined
    ? 'no PostgreSQL: set COUNTERSIGN_TEST_DATABASE_URL, or run through `bash scripts/postgres.sh run -- node --test ...` (scripts/test.sh does)'
    : false;
export const SKIP_NO_RESTART =
  SKIP_NO_SERVER || (PG_DIR === undefined ? 'the server is the user\'s own (COUNTERSIGN_TEST_PG_DIR unset): not restarting it' : false);

const POSTGRES_SH = fileURLToPath(new URL('../../scripts/postgres.sh', import.meta.url));
const TABLES = ['schema', 'kv', 'log_head', 'log', 'index'];

let prefixes = 0;
/** A table prefix no other test (or test process) uses: each test gets its own tables. */
export function freshPrefix(label = 't') {
  prefixes += 1;
  return `cs_${label}_${process.pid}_${prefixes}_`;
}

/** A pool on the test server; errors of idle clients (killed backends, restarts) are expected here. */
export function testPool(options = {}) {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4, ...options });
  pool.on('error', () => {});
  return pool;
}

/** Drops the tables of `prefix`. */
export async function dropTables(prefix) {
  const pool = testPool({ max: 1 });
  try {
    await pool.query(TABLES.map((t) => `DROP TABLE IF EXISTS "${prefix}${t}";`).join(' '));
  } finally {
    await pool.end();
  }
}

/** Restarts the test server (pg_ctl restart -m fast through postgres.sh); resolves once it is up. */
export async function restartServer() {
  await promisify(execFile)('bash', [POSTGRES_SH, 'restart', PG_DIR], { encoding: 'utf8' });
}

/**
 * The durable adapters the persistence flows (ledger, energy, temporary card) run on, as places
 * that can be opened several times over the same data (as several processes would):
 * `{ label, skip, place() }`, where `place(dir)` gives `{ open(): StorageAdapter, cleanup() }`.
 * FileStorage in `dir`; PostgresStorage under its own table prefix (skipped, saying why, without
 * a server), on one pool per place that `cleanup` ends.
 */
export async function durableAdapters() {
  const { FileStorage, PostgresStorage } = await import('@countersign/sdk');
  return [
    {
      label: 'FileStorage (atomic files)',
      skip: false,
      place: (dir) => ({ open: () => new FileStorage(dir), cleanup: async () => {} }),
    },
    {
      label: 'PostgresStorage',
      skip: SKIP_NO_SERVER,
      place: () => {
        const tablePrefix = freshPrefix('flow');
        const pool = testPool();
        return {
          open: () => new PostgresStorage(pool, { tablePrefix }),
          cleanup: async () => {
            await pool.end();
            await dropTables(tablePrefix);
          },
        };
      },
    },
  ];
}
