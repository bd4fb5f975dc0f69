// Storage adapters in Node: the shared contract (storage-contract.mjs) against MemoryStorage,
// FileStorage and PostgresStorage (its own tables per case, on the server of postgres-server.mjs;
// skipped, saying why, when there is none), then what only files have to prove — other processes racing on one key, a writer
// killed between writing and renaming, torn log tails, corruption, abandoned locks, and that no
// key can name a path outside the directory.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync, appendFileSync, mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { CountersignError } from '../dist/errors.js';
import { FileStorage } from '../dist/storage/file.js';
import { IndexedDbStorage } from '../dist/storage/indexeddb.js';
import { MemoryStorage } from '../dist/storage/memory.js';
import { PostgresStorage } from '../dist/storage/postgres.js';
import * as storageTypes from '../dist/storage/types.js';
import { DATABASE_URL, dropTables, freshPrefix, SKIP_NO_SERVER } from './postgres-server.mjs';
import { keyedIndexContract, STORAGE_LIMITS, storageContract } from './storage-contract.mjs';
import { startWorker, workerResult } from './storage-worker.mjs';

const text = (s) => new TextEncoder().encode(s);
const untext = (b) => new TextDecoder().decode(b);
const hex = (s) => Buffer.from(s, 'utf8').toString('hex');

const scratch = mkdtempSync(path.join(tmpdir(), 'countersign-storage-'));
let dirCount = 0;
function freshDir() {
  dirCount += 1;
  return path.join(scratch, `s${dirCount}`);
}
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Every file under dir, relative, sorted. */
function tree(dir) {
  const out = [];
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(path.relative(dir, full));
    }
  };
  walk(dir);
  return out.sort();
}

// STORAGE_UNAVAILABLE once the core has it; INTERNAL stands in until then (sdk-ts/src/storage/common.ts).
const STORAGE_UNAVAILABLE_CODES = ['STORAGE_UNAVAILABLE', 'INTERNAL'];
const unavailable = (err) => err instanceof CountersignError && STORAGE_UNAVAILABLE_CODES.includes(err.code);

describe('storage constants', () => {
  test('the limits the contract relies on', () => {
    assert.equal(storageTypes.STORAGE_KEY_LENGTH_MAX_CHARS, 120);
    assert.equal(storageTypes.STORAGE_VALUE_BYTES_MAX, 64 * 1024 * 1024);
    assert.equal(storageTypes.STORAGE_LIST_KEYS_MAX, 1000);
    assert.equal(storageTypes.STORAGE_VERSION_MAX, Number.MAX_SAFE_INTEGER);
    assert.equal(STORAGE_LIMITS.keyLengthMaxChars, storageTypes.STORAGE_KEY_LENGTH_MAX_CHARS);
  });
});

/** Runs each case of a contract suite on a fresh storage from `make`, closed and removed after. */
function contractSuite(title, cases, make, skip) {
  describe(title, { skip }, () => {
    for (const testCase of cases) {
      test(testCase.name, async () => {
        const { storage, cleanup } = make();
        try {
          await testCase.run(storage);
        } finally {
          await storage.close();
          await cleanup?.();
        }
      });
    }
  });
}

// Each maker returns the storage and what removes it afterwards.
for (const [label, make, skip] of [
  ['MemoryStorage', () => ({ storage: new MemoryStorage() }), false],
  ['FileStorage', () => ({ storage: new FileStorage(freshDir()) }), false],
  [
    'PostgresStorage',
    () => {
      const tablePrefix = freshPrefix('contract');
      // A connection string: the adapter makes its own pool and ends it on close().
      return { storage: new PostgresStorage(DATABASE_URL, { tablePrefix }), cleanup: () => dropTables(tablePrefix) };
    },
    SKIP_NO_SERVER,
  ],
]) {
  contractSuite(`storage contract: ${label}`, storageContract, make, skip);
}

// The optional keyed index: the adapters that have it.
for (const [label, make, skip] of [
  ['MemoryStorage', () => ({ storage: new MemoryStorage() }), false],
  [
    'PostgresStorage',
    () => {
      const tablePrefix = freshPrefix('index');
      return { storage: new PostgresStorage(DATABASE_URL, { tablePrefix }), cleanup: () => dropTables(tablePrefix) };
    },
    SKIP_NO_SERVER,
  ],
]) {
  contractSuite(`keyed index contract: ${label}`, keyedIndexContract, make, skip);
}

describe('IndexedDbStorage outside a browser', () => {
  test('importing it touches nothing; constructing it without IndexedDB is a coded error', () => {
    assert.equal(globalThis.indexedDB, undefined);
    assert.throws(() => new IndexedDbStorage('db'), (err) => unavailable(err) && /IndexedDB is not available/.test(err.message));
    assert.throws(() => new IndexedDbStorage(''), (err) => err instanceof RangeError && err.param === 'dbName');
  });
});

describe('FileStorage: on disk', () => {
  test('layout: hex-named files inside dir; a traversal-looking key stays inside', async () => {
    const dir = freshDir();
    const storage = new FileStorage(dir);
    const evil = '../../../../tmp/escape';
    assert.deepEqual(await storage.put(evil, text('contained'), null), { ok: true, version: 1 });
    await storage.put('card/1', text('a'), null);
    await storage.append('journal', text('r1'));
    assert.deepEqual(tree(dir), [`logs/${hex('journal')}`, `values/${hex(evil)}`, `values/${hex('card/1')}`].sort());
    assert.equal(untext((await storage.get(evil)).value), 'contained');
    assert.deepEqual(await storage.list(), [evil, 'card/1'].sort());
    assert.ok(!existsSync('/tmp/escape'));
    // The value file: magic, then the value at the end; no lock or temp file left behind.
    const file = readFileSync(path.join(dir, 'values', hex('card/1')));
    assert.equal(file.subarray(0, 4).toString('latin1'), 'CSKV');
    assert.equal(untext(file.subarray(-1)), 'a');
    assert.equal(storage.dir, path.resolve(dir));
  });

  test('two storages on one directory see each other\'s writes (no hidden cache)', async () => {
    const dir = freshDir();
    const a = new FileStorage(dir);
    const b = new FileStorage(dir);
    await a.put('k', text('from a'), null);
    assert.equal(untext((await b.get('k')).value), 'from a');
    assert.deepEqual(await b.put('k', text('from b'), 1), { ok: true, version: 2 });
    assert.deepEqual(await a.put('k', text('stale a'), 1), { ok: false, code: 'VERSION_CONFLICT', currentVersion: 2 });
    assert.equal(await a.append('log', text('1')), 1);
    assert.equal(await b.append('log', text('2')), 2);
    assert.equal(await a.append('log', text('3')), 3, 'a notices b\'s append despite its cached tail');
  });

  test('constructor validation', () => {
    assert.throws(() => new FileStorage(), (err) => err instanceof TypeError && err.param === 'dir');
    assert.throws(() => new FileStorage(''), (err) => err instanceof RangeError && err.param === 'dir');
    assert.throws(() => new FileStorage('x', { lockWaitMs: -1 }), (err) => err instanceof RangeError && err.param === 'options.lockWaitMs');
    assert.throws(() => new FileStorage('x', { lockStaleMs: 'soon' }), (err) => err instanceof TypeError && err.param === 'options.lockStaleMs');
  });
});

describe('FileStorage: several processes', () => {
  test('two processes racing CAS increments on one key: exactly one winner per version, no lost update', async (t) => {
    const dir = freshDir();
    const goFile = path.join(scratch, `go-${dirCount}`);
    const rounds = 40;
    const workers = ['A', 'B'].map((id) => startWorker({ mode: 'increment', dir, key: 'counter', rounds, id, goFile, thinkMs: 3 }));
    await new Promise((resolve) => setTimeout(resolve, 300)); // both started and waiting
    writeFileSync(goFile, 'go');
    const [a, b] = (await Promise.all(workers.map((w) => w.exited))).map(workerResult);

    const won = [...a.won, ...b.won].sort((x, y) => x - y);
    assert.deepEqual(won, Array.from({ length: 2 * rounds }, (_, i) => i + 1), 'each version won exactly once');
    const final = await new FileStorage(dir).get('counter');
    assert.equal(final.version, 2 * rounds);
    assert.equal(Number(untext(final.value).split(' ')[0]), 2 * rounds, 'every increment counted');
    assert.deepEqual(tree(dir), [`values/${hex('counter')}`], 'no lock or temp file left');
    t.diagnostic(`conflicts retried: A ${a.conflicts}, B ${b.conflicts}`);
    assert.ok(a.conflicts + b.conflicts > 0, 'the writers really raced (some CAS conflicts)');
  });

  test('two processes appending to one log: consecutive sequence numbers, each record once', async () => {
    const dir = freshDir();
    const goFile = path.join(scratch, `go-${dirCount}`);
    const count = 60;
    const workers = ['A', 'B'].map((id) => startWorker({ mode: 'append', dir, log: 'outbox', count, id, goFile }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    writeFileSync(goFile, 'go');
    const [a, b] = (await Promise.all(workers.map((w) => w.exited))).map(workerResult);
    assert.deepEqual([...a.seqs, ...b.seqs].sort((x, y) => x - y), Array.from({ length: 2 * count }, (_, i) => i + 1));
    const records = await new FileStorage(dir).readLog('outbox');
    assert.equal(records.length, 2 * count);
    for (const [id, seqs] of [['A', a.seqs], ['B', b.seqs]]) {
      seqs.forEach((seq, i) => assert.equal(untext(records[seq - 1].record), `${id}:${i}`));
    }
  });
});

describe('FileStorage: crashes', () => {
  test('killed between writing the new file and renaming it: the old value is intact, the temp file is never data', async () => {
    const dir = freshDir();
    const storage = new FileStorage(dir);
    await storage.put('card/7', text('old state'), null);

    const worker = startWorker({ mode: 'crash-before-rename', dir, key: 'card/7', value: 'new state' });
    const result = await worker.exited;
    assert.equal(result.signal, 'SIGKILL', `the worker died by SIGKILL (stderr: ${result.stderr})`);
    const { tempPath } = JSON.parse(result.lines[0]);

    // What the crash left: the new value, fsynced, under a temp name; the key's lock, held by a dead pid.
    assert.ok(existsSync(tempPath), 'the temp file is on disk');
    assert.match(path.basename(tempPath), /^\.tmp-[0-9a-f]{16}$/);
    const lockPath = path.join(dir, 'values', `.lock-${hex('card/7')}`);
    assert.ok(existsSync(lockPath), 'the dead writer\'s lock is on disk');

    // Readers see the old value, whole; the temp file is not a key.
    const got = await storage.get('card/7');
    assert.equal(got.version, 1);
    assert.equal(untext(got.value), 'old state');
    assert.deepEqual(await storage.list(), ['card/7']);

    // The next writer takes over the dead process's lock at once and removes its temp file.
    const started = Date.now();
    assert.deepEqual(await storage.put('card/7', text('next state'), 1), { ok: true, version: 2 });
    assert.ok(Date.now() - started < 2000, 'no wait for a lock whose owner is dead');
    assert.equal(untext((await storage.get('card/7')).value), 'next state');
    assert.deepEqual(tree(dir), [`values/${hex('card/7')}`], 'lock and orphaned temp file are gone');
  });

  test('killed at random moments while rewriting a large value: always the old or the new value, whole', async () => {
    const valueBytes = 512 * 1024;
    const kills = 6;
    const dir = freshDir();
    for (let i = 0; i < kills; i += 1) {
      const worker = startWorker({ mode: 'hammer', dir, key: 'big', valueBytes });
      await worker.waitForOutput(/ready/);
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.floor(Math.random() * 150)));
      worker.child.kill('SIGKILL');
      const result = await worker.exited;
      assert.equal(result.signal, 'SIGKILL', result.stderr);
      const got = await new FileStorage(dir).get('big');
      assert.equal(got.value.length, valueBytes);
      const fill = got.value[0];
      assert.ok(got.value.every((b) => b === fill), 'never a mix of two writes');
      assert.equal(fill, got.version & 0xff, 'the value matches its version');
    }
    // And the store still takes writes afterwards.
    const storage = new FileStorage(dir);
    const current = await storage.get('big');
    assert.equal((await storage.put('big', text('after'), current.version)).ok, true);
  });

  test('killed at random moments while appending: every acknowledged record survives, numbering goes on', async () => {
    const dir = freshDir();
    const recordBytes = 64 * 1024;
    for (let i = 0; i < 4; i += 1) {
      const worker = startWorker({ mode: 'append-hammer', dir, log: 'journal', recordBytes });
      await worker.waitForOutput(/ready/);
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.floor(Math.random() * 100)));
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
    const storage = new FileStorage(dir);
    const records = [];
    for (let after = 0; ; ) {
      const page = await storage.readLog('journal', { after });
      if (page.length === 0) break;
      records.push(...page);
      after = page.at(-1).seq;
    }
    assert.ok(records.length >= 4);
    records.forEach((r, i) => {
      assert.equal(r.seq, i + 1);
      assert.equal(r.record.length, recordBytes);
      assert.ok(r.record.every((b) => b === r.record[0]));
    });
    assert.equal(await storage.append('journal', text('next')), records.length + 1);
  });

  test('a torn log tail (crash mid-append) is ignored by readers and cut off by the next append', async () => {
    const dir = freshDir();
    const storage = new FileStorage(dir);
    for (const r of ['one', 'two', 'three']) await storage.append('journal', text(r));
    const file = path.join(dir, 'logs', hex('journal'));
    const whole = statSync(file).size;

    for (const torn of [
      Buffer.from([0, 0, 0]), // part of a header
      Buffer.alloc(44 + 10), // zero-filled: size updated, data never written
      Buffer.concat([Buffer.from([0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 4]), Buffer.alloc(32), Buffer.from('fo')]), // header, half a record
    ]) {
      truncateSync(file, whole);
      appendFileSync(file, torn);
      const fresh = new FileStorage(dir); // no cached tail
      assert.deepEqual((await fresh.readLog('journal')).map((r) => untext(r.record)), ['one', 'two', 'three']);
    }
    const fresh = new FileStorage(dir);
    assert.equal(await fresh.append('journal', text('four')), 4);
    assert.deepEqual((await fresh.readLog('journal')).map((r) => untext(r.record)), ['one', 'two', 'three', 'four']);
    assert.equal(statSync(file).size, whole + 44 + 4, 'the torn bytes were cut off');
  });

  test('a corrupt value is reported (never returned, never silently overwritten)', async () => {
    const dir = freshDir();
    const storage = new FileStorage(dir);
    await storage.put('k', text('precious'), null);
    const file = path.join(dir, 'values', hex('k'));
    const bytes = readFileSync(file);
    bytes[bytes.length - 1] ^= 0x01; // one flipped bit in the value
    writeFileSync(file, bytes);
    await assert.rejects(storage.get('k'), (err) => err instanceof CountersignError && /corrupt \(checksum\)/.test(err.message));
    await assert.rejects(storage.put('k', text('x'), 1), (err) => err instanceof CountersignError && /corrupt/.test(err.message));
    writeFileSync(file, 'not a value file at all');
    await assert.rejects(storage.get('k'), (err) => err instanceof CountersignError && /corrupt/.test(err.message));
  });

  test('corruption in the middle of a log is reported, not read as the end of the log', async () => {
    const dir = freshDir();
    const storage = new FileStorage(dir);
    const record = new Uint8Array(STORAGE_LIMITS.logRecordBytesMax).fill(7);
    await storage.append('journal', text('first'));
    await storage.append('journal', record);
    await storage.append('journal', record);
    const file = path.join(dir, 'logs', hex('journal'));
    const bytes = readFileSync(file);
    bytes[44 + 2] ^= 0xff; // inside the first record's payload
    writeFileSync(file, bytes);
    await assert.rejects(new FileStorage(dir).readLog('journal'), (err) => err instanceof CountersignError && /corrupt/.test(err.message));
  });
});

describe('FileStorage: locks', () => {
  const lockFor = (dir, key) => path.join(dir, 'values', `.lock-${hex(key)}`);

  test('a lock from another host is waited for, then taken over once older than lockStaleMs', async () => {
    const dir = freshDir();
    const storage = new FileStorage(dir, { lockWaitMs: 5_000, lockStaleMs: 400 });
    await storage.put('k', text('v1'), null);
    writeFileSync(lockFor(dir, 'k'), JSON.stringify({ pid: 1, host: 'some-other-host', tmp: '.tmp-0000000000000000' }));
    const started = Date.now();
    assert.deepEqual(await storage.put('k', text('v2'), 1), { ok: true, version: 2 });
    const waited = Date.now() - started;
    assert.ok(waited >= 300, `waited ${waited} ms for the foreign lock to go stale`);
    assert.ok(!existsSync(lockFor(dir, 'k')));
  });

  test('a live lock is never taken: the writer gives up after lockWaitMs with a coded error', async () => {
    const dir = freshDir();
    const storage = new FileStorage(dir, { lockWaitMs: 300, lockStaleMs: 100 });
    await storage.put('k', text('v1'), null);
    // This very process, alive, on this host: its lock must be respected however old.
    writeFileSync(lockFor(dir, 'k'), JSON.stringify({ pid: process.pid, host: hostname() }));
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(lockFor(dir, 'k'), old, old);
    await assert.rejects(storage.put('k', text('v2'), 1), (err) => unavailable(err) && /still held by process/.test(err.message));
    assert.equal(untext((await storage.get('k')).value), 'v1');
    // A fresh lock from another host is respected too (until stale).
    writeFileSync(lockFor(dir, 'k'), JSON.stringify({ pid: 1, host: 'some-other-host' }));
    await assert.rejects(new FileStorage(dir, { lockWaitMs: 200, lockStaleMs: 60_000 }).put('k', text('v2'), 1), unavailable);
  });
});
