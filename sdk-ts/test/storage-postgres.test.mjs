// What only PostgresStorage has to prove, on a real server (postgres-server.mjs; skipped, saying
// why, when there is none): its tables and their recorded layout version, prefixes that keep two
// stores apart, connection failures as STORAGE_UNAVAILABLE — and faults in the middle of ledger
// commits: the adapter's backend killed (pg_terminate_backend) while a commit waits in the
// database, killed at random moments, and the server restarted during a run. Afterwards nothing
// acknowledged is lost and nothing half-written is read back.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import { CountersignError, LedgerStore, PostgresStorage, POSTGRES_SCHEMA_VERSION } from '@countersign/sdk';
import { DATABASE_URL, dropTables, freshPrefix, restartServer, SKIP_NO_RESTART, SKIP_NO_SERVER, testPool } from './postgres-server.mjs';

const KEY = new Uint8Array(32).fill(5);
const T0 = 1_767_225_600;
const text = (s) => new TextEncoder().encode(s);
const untext = (b) => new TextDecoder().decode(b);
const unavailable = (err) => err instanceof CountersignError && err.code === 'STORAGE_UNAVAILABLE';

/** Prefixes this file made; their tables are dropped at the end. */
const made = [];
function prefix(label) {
  const p = freshPrefix(label);
  made.push(p);
  return p;
}
after(async () => {
  if (DATABASE_URL === undefined) return;
  for (const p of made) await dropTables(p);
});

describe('PostgresStorage: constructor', () => {
  test('a pool or a connection string; a bad prefix or option is a typed error naming it', () => {
    assert.throws(() => new PostgresStorage(), (err) => err instanceof TypeError && err.param === 'pool');
    assert.throws(() => new PostgresStorage({ query() {} }), (err) => err instanceof TypeError && err.param === 'pool');
    assert.throws(() => new PostgresStorage(''), (err) => err instanceof RangeError && err.param === 'pool');
    for (const bad of ['', 'Upper_', '1abc', 'a-b', 'a"b', 'x'.repeat(41)]) {
      assert.throws(() => new PostgresStorage('postgres://x', { tablePrefix: bad }), (err) => err instanceof RangeError && err.param === 'options.tablePrefix', bad);
    }
    assert.throws(() => new PostgresStorage('postgres://x', { tablePrefix: 5 }), (err) => err instanceof TypeError && err.param === 'options.tablePrefix');
    assert.throws(() => new PostgresStorage('postgres://x', { prefix: 'a_' }), (err) => err instanceof TypeError && err.param === 'options.prefix');
    assert.equal(new PostgresStorage('postgres://x').tablePrefix, 'countersign_');
  });

  test('no server listening: every call is STORAGE_UNAVAILABLE with the driver\'s error as cause', async () => {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    const storage = new PostgresStorage('postgres://countersign@127.0.0.1:1/none');
    try {
      await assert.rejects(storage.get('k'), (err) => unavailable(err) && err.cause instanceof Error && /ECONNREFUSED/.test(String(err.cause.code ?? err.cause.message)));
      await assert.rejects(storage.put('k', text('v'), null), unavailable);
      await assert.rejects(storage.append('log', text('r')), unavailable);
    } finally {
      await storage.close();
    }
  });
});

describe('PostgresStorage: tables', { skip: SKIP_NO_SERVER }, () => {
  test('created on first use with the layout version recorded; two prefixes share a database, not data', async () => {
    const pool = testPool();
    try {
      const [p1, p2] = [prefix('tables'), prefix('tables')];
      const a = new PostgresStorage(pool, { tablePrefix: p1 });
      const b = new PostgresStorage(pool, { tablePrefix: p2 });
      assert.deepEqual(await a.put('k', text('from a'), null), { ok: true, version: 1 });
      assert.equal(await b.get('k'), null, 'b does not see a\'s key');
      assert.deepEqual(await b.put('k', text('from b'), null), { ok: true, version: 1 });
      assert.equal(await a.append('log', text('a1')), 1);
      assert.equal(await b.append('log', text('b1')), 1, 'logs are numbered per prefix');
      assert.equal(untext((await a.get('k')).value), 'from a');
      const { rows } = await pool.query(`SELECT version FROM "${p1}schema"`);
      assert.deepEqual(rows, [{ version: POSTGRES_SCHEMA_VERSION }]);
      const tables = await pool.query(`SELECT table_name FROM information_schema.tables WHERE table_name LIKE $1 ORDER BY table_name`, [`${p1.replace(/_/g, '\\_')}%`]);
      assert.deepEqual(tables.rows.map((r) => r.table_name), ['index', 'kv', 'log', 'log_head', 'schema'].map((t) => `${p1}${t}`));
      await a.close(); // the caller's pool stays open
      assert.equal((await pool.query('SELECT 1 AS one')).rows[0].one, 1);
    } finally {
      await pool.end();
    }
  });

  test('four adapters creating the same tables at once: one creates, all work (advisory lock)', async () => {
    const p = prefix('race');
    const storages = Array.from({ length: 4 }, () => new PostgresStorage(DATABASE_URL, { tablePrefix: p }));
    try {
      const seqs = await Promise.all(storages.map((s, i) => s.append('log', text(`r${i}`))));
      assert.deepEqual([...seqs].sort(), [1, 2, 3, 4]);
    } finally {
      await Promise.all(storages.map((s) => s.close()));
    }
  });

  test('tables at a newer layout than this SDK knows are refused, not written', async () => {
    const p = prefix('newer');
    const pool = testPool();
    try {
      await new PostgresStorage(pool, { tablePrefix: p }).put('k', text('v'), null);
      await pool.query(`UPDATE "${p}schema" SET version = $1`, [POSTGRES_SCHEMA_VERSION + 1]);
      const fresh = new PostgresStorage(pool, { tablePrefix: p });
      await assert.rejects(fresh.get('k'), (err) => unavailable(err) && /newer than this SDK's/.test(err.message));
      await assert.rejects(fresh.put('k', text('x'), 1), unavailable);
      await pool.query(`UPDATE "${p}schema" SET version = $1`, [POSTGRES_SCHEMA_VERSION]);
      assert.equal(untext((await fresh.get('k')).value), 'v', 'nothing was written meanwhile');
    } finally {
      await pool.end();
    }
  });

  test('tables at layout 1 (before the keyed index) are migrated to 2, their data kept', async () => {
    const p = prefix('layout1');
    const pool = testPool();
    try {
      const old = new PostgresStorage(pool, { tablePrefix: p });
      await old.put('k', text('v'), null);
      assert.equal(await old.append('wal', text('r1')), 1);
      // Back to what layout 1 was: no index table.
      await pool.query(`DROP TABLE "${p}index"; UPDATE "${p}schema" SET version = 1`);
      const fresh = new PostgresStorage(pool, { tablePrefix: p });
      assert.equal(untext((await fresh.get('k')).value), 'v');
      assert.deepEqual((await pool.query(`SELECT version FROM "${p}schema"`)).rows, [{ version: 2 }]);
      assert.equal(await fresh.appendIndexed('wal', text('r2'), 2, 'idx', [{ key: 'a', value: text('x'), time: 1 }]), 2);
      assert.equal((await fresh.indexGet('idx', ['a'])).length, 1);
    } finally {
      await pool.end();
    }
  });

  test('rows deleted behind the adapter\'s back: a gap in a log is STORAGE_CORRUPT, not the end of the log', async () => {
    const p = prefix('gap');
    const pool = testPool();
    try {
      const storage = new PostgresStorage(pool, { tablePrefix: p });
      for (const r of ['a', 'b', 'c']) await storage.append('log', text(r));
      await pool.query(`DELETE FROM "${p}log" WHERE seq = 2`);
      await assert.rejects(storage.readLog('log'), (err) => err instanceof CountersignError && err.code === 'STORAGE_CORRUPT');
    } finally {
      await pool.end();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Faults during ledger commits

/** A ledger with a bank and one wallet; returns the store's name. */
async function setUpLedger(storage, name) {
  const store = new LedgerStore(storage, KEY, { name });
  const ledger = await store.load();
  ledger.openAccount({ idempotencyKey: 'open-bank', now: T0, accountId: 'bank', currency: 'EUR', kind: 'unrestricted' });
  ledger.openAccount({ idempotencyKey: 'open-wallet', now: T0, accountId: 'wallet', currency: 'EUR', kind: 'nonNegative' });
  assert.equal(await store.commit(ledger), true);
  ledger.free();
}

/** Transfer n moves `n.01` EUR: a wallet balance says exactly which transfers 1..k are in. */
const transfer = (ledger, n) =>
  ledger.transfer({ idempotencyKey: `t-${n}`, now: T0, debitAccountId: 'bank', creditAccountId: 'wallet', amount: `${n}.01`, currency: 'EUR' });
const centsOfFirst = (k) => 100 * (k * (k + 1)) / 2 + k;
const cents = (decimal) => {
  const [whole, frac] = decimal.split('.');
  return Number(whole) * 100 + Number(frac);
};
/** How many transfers (1..k, in order) a ledger holds, from its wallet balance. */
function transfersIn(ledger) {
  const balance = cents(ledger.account('wallet').balance);
  for (let k = 0; ; k += 1) {
    if (centsOfFirst(k) === balance) return k;
    assert.ok(centsOfFirst(k) < balance, `the wallet holds ${balance} cents: not the first k transfers for any k (a transfer lost or doubled)`);
  }
}

/** Application name of the pool whose backends a test kills. */
const victimName = (p) => `cs-victim-${p}`.slice(0, 63);

async function killBackends(control, applicationName) {
  const { rows } = await control.query(
    'SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()',
    [applicationName],
  );
  return rows.filter((r) => r.killed).length;
}

/**
 * Commits transfer after transfer, one per commit, until `durationMs` has passed, while `fault`
 * runs; every failure must be STORAGE_UNAVAILABLE. `ackedBefore`: transfers already acknowledged. After a failure the ledger is loaded again
 * and the wallet says whether the failed commit went in (its acknowledgement was lost) or not.
 */
async function commitThrough(store, durationMs, ackedBefore = 0) {
  const deadline = Date.now() + durationMs;
  let acked = ackedBefore; // transfers 1..acked were acknowledged
  let failures = 0;
  let ledger;
  for (let attempts = 0; Date.now() < deadline && attempts < 100_000; attempts += 1) {
    try {
      ledger ??= await store.load();
      const present = transfersIn(ledger);
      assert.ok(present >= acked, `acknowledged transfers lost: ${acked} acknowledged, ${present} stored`);
      assert.ok(present <= acked + 1, 'at most the one unacknowledged commit went in');
      // A commit whose acknowledgement was lost but which a load reads back is stored: the next
      // failed commit may add one more on top of it (without this, two failures in a row, each
      // after its records went in, read as two unacknowledged commits).
      acked = present;
      transfer(ledger, present + 1);
      if (!(await store.commit(ledger))) throw new Error('no other writer: commit must not be refused');
      acked = present + 1;
    } catch (err) {
      if (!unavailable(err)) throw err;
      failures += 1;
      ledger?.free();
      ledger = undefined;
      await sleep(10);
    }
  }
  ledger?.free();
  return { acked, failures };
}

/** Loads with a fresh store (no cache) until the server answers; checks what `acked` promised. */
async function checkStored(makeStorage, name, acked) {
  for (let attempt = 0; ; attempt += 1) {
    const storage = makeStorage();
    try {
      const ledger = await new LedgerStore(storage, KEY, { name }).load();
      const present = transfersIn(ledger);
      assert.ok(present === acked || present === acked + 1, `${acked} acknowledged, ${present} stored`);
      ledger.checkInvariants();
      ledger.free();
      return present;
    } catch (err) {
      if (!unavailable(err) || attempt >= 50) throw err;
      await sleep(100);
    } finally {
      await storage.close();
    }
  }
}

describe('PostgresStorage: faults during ledger commits', { skip: SKIP_NO_SERVER }, () => {
  test('the backend killed while a commit waits in the database: STORAGE_UNAVAILABLE, nothing of it stored, the next commit goes on', async () => {
    const p = prefix('kill');
    const victim = testPool({ application_name: victimName(p) });
    const control = testPool({ max: 2 });
    const name = 'k';
    try {
      const storage = new PostgresStorage(victim, { tablePrefix: p });
      await setUpLedger(storage, name);
      const store = new LedgerStore(storage, KEY, { name });
      const ledger = await store.load();
      transfer(ledger, 1);
      assert.equal(await store.commit(ledger), true);

      // Hold the log's head row: the next append waits for it inside the database.
      const holder = await control.connect();
      await holder.query('BEGIN');
      await holder.query(`SELECT seq FROM "${p}log_head" WHERE log = $1 FOR UPDATE`, [`ledger/${name}/journal`]);
      transfer(ledger, 2);
      // Settled into a value at once: its rejection may come before the test awaits it.
      const pending = store.commit(ledger).then(() => 'resolved', (err) => err);
      for (let i = 0; ; i += 1) {
        const { rows } = await control.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", [victimName(p)]);
        if (rows[0].n === 1) break;
        assert.ok(i < 500, 'the commit never waited on the head row');
        await sleep(5);
      }
      assert.equal(await killBackends(control, victimName(p)), 1);
      const outcome = await pending;
      assert.ok(unavailable(outcome) && outcome.cause instanceof Error, `the commit rejected with STORAGE_UNAVAILABLE, got ${outcome}`);
      await holder.query('ROLLBACK');
      holder.release();

      assert.equal(await checkStored(() => new PostgresStorage(DATABASE_URL, { tablePrefix: p }), name, 1), 1, 'transfer 2 is not stored');
      // The same store, reloaded, commits on (the pool replaced the dead connection).
      ledger.free();
      const again = await store.load();
      assert.equal(transfersIn(again), 1);
      transfer(again, 2);
      assert.equal(await store.commit(again), true);
      assert.equal(await checkStored(() => new PostgresStorage(DATABASE_URL, { tablePrefix: p }), name, 2), 2);
      again.free();
    } finally {
      await victim.end();
      await control.end();
    }
  });

  test('a two-record commit killed between its records: never loaded, and the next commit continues from before it', async () => {
    const p = prefix('half');
    const victim = testPool({ application_name: victimName(p) });
    const control = testPool({ max: 2 });
    const name = 'h';
    try {
      // The caller's pool, seen through a wrapper that lets the test act after each statement.
      let afterStatement;
      const watched = {
        query: async (sql, values) => {
          const result = await victim.query(sql, values);
          if (afterStatement !== undefined) await afterStatement(sql);
          return result;
        },
        connect: () => victim.connect(),
        end: () => victim.end(),
        on: (event, listener) => victim.on(event, listener),
      };
      const storage = new PostgresStorage(watched, { tablePrefix: p });
      await setUpLedger(storage, name);
      const store = new LedgerStore(storage, KEY, { name });
      const ledger = await store.load();
      for (let n = 1; n <= 60; n += 1) transfer(ledger, n); // 60 entries: two log records
      const holder = await control.connect();
      afterStatement = async (sql) => {
        if (!/INSERT INTO "[^"]+log"/.test(sql)) return;
        afterStatement = undefined; // the first record is in; block and kill the second
        await holder.query('BEGIN');
        await holder.query(`SELECT seq FROM "${p}log_head" WHERE log = $1 FOR UPDATE`, [`ledger/${name}/journal`]);
        setTimeout(() => void killBackends(control, victimName(p)), 100);
      };
      await assert.rejects(store.commit(ledger), unavailable);
      await holder.query('ROLLBACK');
      holder.release();
      const { rows } = await control.query(`SELECT count(*)::int AS n FROM "${p}log" WHERE log = $1`, [`ledger/${name}/journal`]);
      assert.equal(rows[0].n, 2, 'set-up record and the first half of the commit are in the log');
      assert.equal(await checkStored(() => new PostgresStorage(DATABASE_URL, { tablePrefix: p }), name, 0), 0, 'the half commit is not loaded');
      ledger.free();
      const again = await store.load();
      transfer(again, 1);
      assert.equal(await store.commit(again), true);
      assert.equal(await checkStored(() => new PostgresStorage(DATABASE_URL, { tablePrefix: p }), name, 1), 1);
      again.free();
    } finally {
      await victim.end().catch(() => {});
      await control.end();
    }
  });

  test('backends killed at random moments for 2 s: every acknowledged commit is stored, no commit half-applied', async (t) => {
    const p = prefix('random');
    const victim = testPool({ application_name: victimName(p) });
    const control = testPool({ max: 1 });
    const name = 'r';
    let killing = true;
    let kills = 0;
    try {
      const storage = new PostgresStorage(victim, { tablePrefix: p });
      await setUpLedger(storage, name);
      const killer = (async () => {
        while (killing) {
          await sleep(15 + Math.random() * 60);
          kills += await killBackends(control, victimName(p));
        }
      })();
      const { acked, failures } = await commitThrough(new LedgerStore(storage, KEY, { name }), 2_000);
      killing = false;
      await killer;
      const stored = await checkStored(() => new PostgresStorage(DATABASE_URL, { tablePrefix: p }), name, acked);
      t.diagnostic(`${acked} commits acknowledged, ${failures} failed, ${kills} backends killed; ${stored} stored`);
      assert.ok(kills > 0 && failures > 0, 'the faults really hit commits');
      assert.ok(acked > 0, 'commits went on between the faults');
    } finally {
      killing = false;
      await victim.end();
      await control.end();
    }
  });

  test('the server restarted during a run: every acknowledged commit is stored, commits go on afterwards', { skip: SKIP_NO_RESTART }, async (t) => {
    const p = prefix('restart');
    const pool = testPool();
    const name = 's';
    try {
      const storage = new PostgresStorage(pool, { tablePrefix: p });
      await setUpLedger(storage, name);
      const store = new LedgerStore(storage, KEY, { name });
      const run = commitThrough(store, 3_000);
      await sleep(500);
      await restartServer(); // commits go on meanwhile, and fail while the server is down
      await sleep(300);
      await restartServer();
      const { acked, failures } = await run;
      const stored = await checkStored(() => new PostgresStorage(DATABASE_URL, { tablePrefix: p }), name, acked);
      t.diagnostic(`${acked} commits acknowledged, ${failures} failed across two restarts; ${stored} stored`);
      assert.ok(failures > 0, 'the restarts really hit commits');
      const after = await commitThrough(store, 300, stored);
      assert.ok(after.acked > stored, 'commits go on after the restarts');
    } finally {
      await pool.end();
    }
  });
});
