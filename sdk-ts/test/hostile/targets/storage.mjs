// Hostile-input targets: the storage adapters (browser-safe ones and Node's files).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as s from '@countersign/sdk';

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

function adapterTargets(name, make) {
  const on = { receiver: () => seeded(make), state: fingerprint };
  return {
    [`${name}#get`]: { ...on, args: () => ['k'] },
    [`${name}#put`]: { ...on, args: () => ['k', new Uint8Array([9]), 1] },
    [`${name}#append`]: { ...on, args: () => ['log', new Uint8Array([5])] },
    [`${name}#readLog`]: { ...on, args: () => ['log', { after: 0, limit: 10 }] },
    [`${name}#list`]: { ...on, args: () => ['', { after: 'a', limit: 10 }] },
    [`${name}#close`]: { ...on, args: () => [] },
  };
}

// Node has no IndexedDB: its constructor refuses (STORAGE_UNAVAILABLE), and its methods are
// reached only through fake receivers, which must be refused too (the browser suite covers the
// real thing).
const noIndexedDb = { receiver: () => new s.MemoryStorage(), state: () => 'none' };

export const targets = {
  'new MemoryStorage': { args: () => [] },
  ...adapterTargets('MemoryStorage', () => new s.MemoryStorage()),
  'new FileStorage': { args: () => [tempDir(), { lockWaitMs: 1000, lockStaleMs: 5000 }] },
  'FileStorage#dir': { receiver: () => new s.FileStorage(tempDir()), state: (f) => f.dir, args: () => [] },
  ...adapterTargets('FileStorage', () => new s.FileStorage(tempDir())),
  'new IndexedDbStorage': { args: () => ['db'] },
  ...Object.fromEntries(
    ['dbName', 'get', 'put', 'append', 'readLog', 'list', 'close'].map((m) => [`IndexedDbStorage#${m}`, { ...noIndexedDb, args: () => ['k'] }]),
  ),
};
