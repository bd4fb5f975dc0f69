// Four Node processes commit to one ledger at once, through LedgerStore, for a bounded time: on
// PostgreSQL (PostgresStorage) and on files (FileStorage and its cross-process locks). Afterwards
// no operation is lost, duplicated or interleaved, every loser was told (`false`) and retried,
// and replaying the stored log from the start reproduces the state digest the last writer saw.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { FileStorage, LedgerStore, PostgresStorage } from '@countersign/sdk';
import { DATABASE_URL, dropTables, freshPrefix, SKIP_NO_SERVER } from './postgres-server.mjs';
import { startWorker, workerResult } from './storage-worker.mjs';

const WRITERS = ['A', 'B', 'C', 'D'];
/** How long the writers commit; the bound of the run (each stops at its first chance after). */
const RUN_MS = 3_000;
/** Upper bound of operations per writer (the loop's named limit; time ends it first). */
const OPS_PER_WRITER_MAX = 5_000;
const KEY = new Uint8Array(32).fill(9);
const T0 = 1_767_225_600;
/** Most a writer pauses between two operations (uniformly random). */
const THINK_MS = 4;
/** No snapshot during the run: loading afterwards re-executes the whole stored log. */
const SNAPSHOT_EVERY = 1 << 20;

const scratch = mkdtempSync(path.join(tmpdir(), 'countersign-ledger-procs-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The ledger the writers start from: a bank and one account per writer. */
async function setUp(storage, name) {
  const store = new LedgerStore(storage, KEY, { name, snapshotEvery: SNAPSHOT_EVERY });
  const ledger = await store.load();
  ledger.openAccount({ idempotencyKey: 'open-bank', now: T0, accountId: 'bank', currency: 'EUR', kind: 'unrestricted' });
  for (const id of WRITERS) {
    ledger.openAccount({ idempotencyKey: `open-${id}`, now: T0, accountId: `acct-${id}`, currency: 'EUR', kind: 'nonNegative' });
  }
  assert.equal(await store.commit(ledger), true);
  const seq = ledger.head().seq;
  ledger.free();
  return seq;
}

/** Cents of `<n>.01` for n = 1..count: what a writer's acknowledged transfers add up to. */
const centsOfFirst = (count) => 100 * (count * (count + 1)) / 2 + count;
const cents = (decimal) => {
  const [whole, frac = ''] = decimal.split('.');
  return Number(whole) * 100 + Number(frac.padEnd(2, '0'));
};

async function fourWriters(storageJob, openStorage) {
  const name = 'shared';
  const storage = openStorage();
  const setupSeq = await setUp(storage, name);
  const goFile = path.join(scratch, `go-${Math.random().toString(16).slice(2)}`);
  const workers = WRITERS.map((id) =>
    startWorker({
      mode: 'ledger', ...storageJob, name, id, goFile, keyHex: Buffer.from(KEY).toString('hex'),
      durationMs: RUN_MS, opsMax: OPS_PER_WRITER_MAX, now: T0, snapshotEvery: SNAPSHOT_EVERY, thinkMs: THINK_MS,
    }),
  );
  await Promise.all(workers.map((w) => w.waitForOutput(/ready/))); // all four loaded the SDK and wait
  writeFileSync(goFile, 'go');
  const results = (await Promise.all(workers.map((w) => w.exited))).map(workerResult);

  // Replay: a fresh store loads the ledger by re-executing every stored log record from the start
  // (no snapshot was written); the core checks the hash chain and each entry's recorded result.
  const loaded = await new LedgerStore(openStorage(), KEY, { name }).load();
  try {
    const ackedTotal = results.reduce((sum, r) => sum + r.acked.length, 0);
    assert.equal(loaded.head().seq, setupSeq + ackedTotal, 'one journal entry per acknowledged operation: none lost, none duplicated');
    WRITERS.forEach((id, i) => {
      const { acked } = results[i];
      // Each writer's operations were acknowledged in order, each once.
      assert.deepEqual(acked.map((a) => a.n), acked.map((_, j) => j + 1), `writer ${id}: operations 1..n in order`);
      assert.equal(cents(loaded.account(`acct-${id}`).balance), centsOfFirst(acked.length), `writer ${id}: exactly its acknowledged transfers`);
    });
    // Every acknowledged commit got its own position in the one history (no two writers at the same seq).
    const seqs = results.flatMap((r) => r.acked.map((a) => a.seq)).sort((x, y) => x - y);
    assert.deepEqual(seqs, seqs.map((_, j) => setupSeq + j + 1), 'acknowledged commits hold consecutive, distinct positions');
    // The last acknowledged commit's in-memory state is the replayed state.
    const last = results.flatMap((r) => r.acked).reduce((a, b) => (b.seq > a.seq ? b : a));
    assert.equal(Buffer.from(loaded.stateDigest()).toString('hex'), last.digest, 'replaying the stored log reproduces the last writer\'s state digest');
    const losses = results.map((r) => r.losses);
    assert.ok(losses.reduce((a, b) => a + b, 0) > 0, `the writers really raced (losses: ${losses})`);
    return { acked: results.map((r) => r.acked.length), losses };
  } finally {
    loaded.free();
  }
}

describe('one ledger, four processes', () => {
  test('PostgresStorage: no operation lost, duplicated or interleaved; losers told false and retried; replay matches', { skip: SKIP_NO_SERVER }, async (t) => {
    const tablePrefix = freshPrefix('ledger4');
    try {
      const { acked, losses } = await fourWriters({ adapter: 'postgres', url: DATABASE_URL, tablePrefix }, () => new PostgresStorage(DATABASE_URL, { tablePrefix }));
      t.diagnostic(`acknowledged per writer ${acked}, retries after false ${losses} (${RUN_MS} ms)`);
    } finally {
      await dropTables(tablePrefix);
    }
  });

  test('FileStorage: the same through its cross-process locks', async (t) => {
    const dir = path.join(scratch, 'files');
    const { acked, losses } = await fourWriters({ adapter: 'file', dir }, () => new FileStorage(dir));
    t.diagnostic(`acknowledged per writer ${acked}, retries after false ${losses} (${RUN_MS} ms)`);
  });
});
