// Child process for the FileStorage tests in storage.test.mjs: racing writers, appenders, and
// writers that die mid-write. Does nothing unless COUNTERSIGN_STORAGE_WORKER holds its job (as
// JSON), so `node --test sdk-ts/test/` may load it like any other file.
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
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

const text = (s) => new TextEncoder().encode(s);
const untext = (b) => new TextDecoder().decode(b);

/** Wait for the parent's start signal so racing workers really overlap. */
async function barrier(goFile) {
  if (goFile === undefined) return;
  while (!existsSync(goFile)) await sleep(1);
}

async function run(config) {
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
