// Child process for the multi-process storage tests: racing writers, appenders and writers that
// die mid-write on FileStorage (storage.test.mjs), and ledger writers committing through
// LedgerStore on FileStorage or PostgresStorage (storage-postgres.test.mjs). Does nothing unless
// COUNTERSIGN_STORAGE_WORKER holds its job (as JSON), so `node --test sdk-ts/test/` may load it
// like any other file.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { FileStorage } from '../dist/storage/file.js';

const job = process.env.COUNTERSIGN_STORAGE_WORKER;
if (job !== undefined) {
  run(JSON.parse(job)).then(
    (result) => {
      if (result !== undefined) process.stdout.write(`${JSON.stringify(result)}\n`);
    },
    (error) => {
      process.stderr.write(`worker failed: ${error?.stack ?? error}\n`);
      process.exit(1);
    },
  );
}

const WORKER = fileURLToPath(import.meta.url);
const WORKER_TIMEOUT_MS = 60_000;

/** For the tests: starts a worker on `job`; resolves with its parsed stdout lines when it exits (code and signal too). */
export function startWorker(job) {
  const child = spawn(process.execPath, [WORKER], {
    env: { ...process.env, COUNTERSIGN_STORAGE_WORKER: JSON.stringify(job) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    child.emit('stdout-line');
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), WORKER_TIMEOUT_MS);
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const lines = stdout.split('\n').filter(Boolean);
      resolve({ code, signal, lines, stderr });
    });
  });
  const waitForOutput = (pattern) =>
    new Promise((resolve, reject) => {
      const check = () => {
        if (pattern.test(stdout)) {
          child.off('stdout-line', check);
          resolve();
        }
      };
      child.on('stdout-line', check);
      child.on('exit', () => reject(new Error(`worker exited before printing ${pattern}: ${stderr}`)));
      check();
    });
  return { child, exited, waitForOutput };
}

export function workerResult({ code, signal, lines, stderr }) {
  assert.equal(code, 0, `worker failed (signal ${signal}): ${stderr}`);
  return JSON.parse(lines.at(-1));
}

const text = (s) => new TextEncoder().encode(s);
const untext = (b) => new TextDecoder().decode(b);

/** Wait for the parent's start signal so racing workers really overlap. */
async function barrier(goFile) {
  if (goFile === undefined) return;
  while (!existsSync(goFile)) await sleep(1);
}

/** The storage a job names: files in `dir`, or PostgreSQL at `url` under `tablePrefix`. */
async function openStorage(config) {
  if (config.adapter === 'postgres') {
    const { PostgresStorage } = await import('../dist/storage/postgres.js');
    return new PostgresStorage(config.url, { tablePrefix: config.tablePrefix });
  }
  return new FileStorage(config.dir);
}

const hexOf = (bytes) => Buffer.from(bytes).toString('hex');

/**
 * Commits transfers bank → `acct-<id>` to one shared ledger until `durationMs` has passed, one
 * operation per commit, each with its own idempotency key `<id>-<n>` and amount `<n>.01`. A
 * commit answered `false` (another process committed first) discards the ledger, loads it again
 * and retries the same operation. Reports each acknowledged operation, in order, with the
 * ledger's head and state digest right after it, and how often it lost. Between two operations
 * it pauses up to `thinkMs`.
 */
async function ledgerWriter(config) {
  const { LedgerStore } = await import('@countersign/sdk');
  const storage = await openStorage(config);
  const store = new LedgerStore(storage, Buffer.from(config.keyHex, 'hex'), { name: config.name, snapshotEvery: config.snapshotEvery });
  process.stdout.write('ready\n'); // the SDK is loaded: the parent starts all writers together
  await barrier(config.goFile);
  const deadline = Date.now() + config.durationMs;
  const acked = [];
  let losses = 0;
  let ledger = await store.load();
  for (let n = 1; Date.now() < deadline && n <= config.opsMax; ) {
    const outcome = ledger.transfer({
      idempotencyKey: `${config.id}-${n}`,
      now: config.now,
      debitAccountId: 'bank',
      creditAccountId: `acct-${config.id}`,
      amount: `${n}.01`,
      currency: 'EUR',
    });
    if (outcome.code !== 'TRANSFERRED') throw new Error(`transfer ${config.id}-${n}: ${outcome.code}`);
    if (await store.commit(ledger)) {
      acked.push({ n, seq: ledger.head().seq, digest: hexOf(ledger.stateDigest()) });
      n += 1;
      // A pause between requests, as a server has: without it the last winner, whose ledger is
      // current, wins again and again while the others reload.
      await sleep(Math.random() * config.thinkMs);
    } else {
      losses += 1;
      ledger.free();
      ledger = await store.load();
    }
  }
  ledger.free();
  await storage.close();
  return { acked, losses };
}

async function run(config) {
  if (config.mode === 'ledger') return ledgerWriter(config);
  const storage = new FileStorage(config.dir);
  switch (config.mode) {
    case 'increment': {
      // Read-modify-write with CAS and retry; report the versions this process won.
      await barrier(config.goFile);
      const won = [];
      let conflicts = 0;
      for (let i = 0; i < config.rounds; i += 1) {
        for (;;) {
          const current = await storage.get(config.key);
          const n = current === null ? 0 : Number(untext(current.value).split(' ')[0]);
          // Widen the read-to-write window, as real work between the two would.
          if (config.thinkMs) await sleep(Math.random() * config.thinkMs);
          const result = await storage.put(config.key, text(`${n + 1} by ${config.id}`), current?.version ?? null);
          if (result.ok) {
            won.push(result.version);
            break;
          }
          conflicts += 1;
        }
      }
      return { won, conflicts };
    }
    case 'append': {
      await barrier(config.goFile);
      const seqs = [];
      for (let i = 0; i < config.count; i += 1) seqs.push(await storage.append(config.log, text(`${config.id}:${i}`)));
      return { seqs };
    }
    case 'crash-before-rename': {
      // Dies (SIGKILL: no cleanup of any kind) after the new file is written and fsynced under
      // its temp name, before the rename that would publish it, while holding the key's lock.
      const crashing = new FileStorage(config.dir, {
        testHooks: {
          afterTempWrite: (tempPath) => {
            process.stdout.write(`${JSON.stringify({ tempPath })}\n`, () => process.kill(process.pid, 'SIGKILL'));
            return new Promise(() => {}); // never resumes
          },
        },
      });
      const current = await crashing.get(config.key);
      await crashing.put(config.key, text(config.value), current?.version ?? null);
      throw new Error('unreachable: the put should have been killed');
    }
    case 'hammer': {
      // Rewrites one key forever with a large value whose every byte encodes the counter; the
      // parent kills this process at a random moment.
      for (let n = 1; ; n += 1) {
        const current = await storage.get(config.key);
        const next = (current?.version ?? 0) + 1;
        const value = new Uint8Array(config.valueBytes).fill(next & 0xff); // says which version wrote it
        const result = await storage.put(config.key, value, current?.version ?? null);
        if (!result.ok) throw new Error(`unexpected conflict: ${JSON.stringify(result)}`);
        if (n === 1) process.stdout.write('ready\n');
      }
    }
    case 'append-hammer': {
      for (let i = 0; ; i += 1) {
        const record = new Uint8Array(config.recordBytes).fill(i & 0xff);
        await storage.append(config.log, record);
        if (i === 0) process.stdout.write('ready\n');
      }
    }
    default:
      throw new Error(`unknown mode ${config.mode}`);
  }
}
