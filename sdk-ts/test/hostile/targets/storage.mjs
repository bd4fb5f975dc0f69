// Hostile-input targets: the storage adapters (browser-safe ones, Node's files, PostgreSQL).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as s from '@countersign/sdk';
import { DATABASE_URL, freshPrefix, testPool } from '../../postgres-server.mjs';

const dirs = [];
process.on('exit', () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function tempDir() {
  const dir = mkdtempSync(path.join(tmpdir(), 'countersign-hostile-'));
  dirs.push(dir);
  return dir;
}

/** An adapter with one value (`k`, version 1) and one log record. */
async function seeded(make) {
  const storage = make();
  await storage.put('k', new Uint8Array([1, 2, 3]), null);
  await storage.append('log', new Uint8Array([4]));
  return storage;
}
async function fingerprint(storage) {
  const value = await storage.get('k');
  const log = await storage.readLog('log');
  const keys = await storage.list('');
  return JSON.stringify([value && [...value.value], value?.version, log.map((r) => [r.seq, [...r.record]]), keys]);
}

/** `make` gives a fresh empty adapter; `receiver` (default: `make` seeded) a seeded one. */
function adapterTargets(name, make, receiver = () => seeded(make)) {
  const on = { receiver, state: fingerprint };
  return {
    [`${name}#get`]: { ...on, args: () => ['k'] },
    [`${name}#put`]: { ...on, args: () => ['k', new Uint8Array([9]), 1] },
    [`${name}#append`]: { ...on, args: () => ['log', new Uint8Array([5]), 2] },
    [`${name}#readLog`]: { ...on, args: () => ['log', { after: 0, limit: 10 }] },
    [`${name}#list`]: { ...on, args: () => ['', { after: 'a', limit: 10 }] },
    [`${name}#close`]: { ...on, args: () => [] },
  };
}

/** The keyed index's methods, on an adapter seeded with one index row (`a` of `idx`, with log record 2). */
function indexTargets(name, make) {
  const receiver = async () => {
    const storage = await make();
    await storage.appendIndexed('log', new Uint8Array([6]), 2, 'idx', [{ key: 'a', value: new Uint8Array([1]), time: 1 }]);
    return storage;
  };
  const state = async (storage) => {
    const rows = await storage.indexGet('idx', ['a', 'b']);
    return (await fingerprint(storage)) + JSON.stringify(rows.map((r) => [r.key, [...r.value], r.time]).sort());
  };
  const on = { receiver, state };
  return {
    [`${name}#appendIndexed`]: { ...on, args: () => ['log', new Uint8Array([7]), 3, 'idx', [{ key: 'b', value: new Uint8Array([2]), time: 5 }]] },
    [`${name}#indexGet`]: { ...on, args: () => ['idx', ['a', 'b']] },
    [`${name}#indexPurge`]: { ...on, args: () => ['idx', 3] },
  };
}

// Node has no IndexedDB: its constructor refuses (STORAGE_UNAVAILABLE), and its methods are
// reached only through fake receivers, which must be refused too (the browser suite covers the
// real thing).
const noIndexedDb = { receiver: () => new s.MemoryStorage(), state: () => 'none' };

// PostgreSQL: one pool and one set of tables for all calls (a pool per receiver would exhaust the
// server's connections); each receiver starts from emptied, re-seeded tables. Without a server
// the methods are reached only through fake receivers, like IndexedDB's.
let pgPool;
const pgPrefix = freshPrefix('hostile');
async function seededPostgres() {
  pgPool ??= testPool({ max: 2 });
  const storage = new s.PostgresStorage(pgPool, { tablePrefix: pgPrefix });
  await storage.get('k'); // creates the tables on first use
  await pgPool.query(`TRUNCATE "${pgPrefix}kv", "${pgPrefix}log_head", "${pgPrefix}log", "${pgPrefix}index"`);
  return seeded(() => storage);
}
process.on('beforeExit', () => {
  if (pgPool === undefined) return;
  const pool = pgPool;
  pgPool = undefined;
  pool.query(['schema', 'kv', 'log_head', 'log', 'index'].map((t) => `DROP TABLE IF EXISTS "${pgPrefix}${t}";`).join(' ')).finally(() => pool.end());
});
const postgresTargets =
  DATABASE_URL === undefined
    ? Object.fromEntries(
        ['tablePrefix', 'get', 'put', 'append', 'readLog', 'list', 'close', 'appendIndexed', 'indexGet', 'indexPurge'].map((m) => [`PostgresStorage#${m}`, { ...noIndexedDb, args: () => ['k'] }]),
      )
    : {
        'PostgresStorage#tablePrefix': { receiver: seededPostgres, state: (p) => p.tablePrefix, args: () => [] },
        ...adapterTargets('PostgresStorage', undefined, seededPostgres),
        ...indexTargets('PostgresStorage', seededPostgres),
      };

export const targets = {
  'new MemoryStorage': { args: () => [] },
  ...adapterTargets('MemoryStorage', () => new s.MemoryStorage()),
  ...indexTargets('MemoryStorage', () => seeded(() => new s.MemoryStorage())),
  'new FileStorage': { args: () => [tempDir(), { lockWaitMs: 1000, lockStaleMs: 5000 }] },
  'FileStorage#dir': { receiver: () => new s.FileStorage(tempDir()), state: (f) => f.dir, args: () => [] },
  ...adapterTargets('FileStorage', () => new s.FileStorage(tempDir())),
  // Constructing connects to nothing (the pool is made on first use).
  'new PostgresStorage': { args: () => ['postgres://countersign@127.0.0.1:1/none', { tablePrefix: 'hostile_' }] },
  ...postgresTargets,
  'new IndexedDbStorage': { args: () => ['db'] },
  ...Object.fromEntries(
    ['dbName', 'get', 'put', 'append', 'readLog', 'list', 'close'].map((m) => [`IndexedDbStorage#${m}`, { ...noIndexedDb, args: () => ['k'] }]),
  ),
};
