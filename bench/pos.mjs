#!/usr/bin/env node
// System 4: stored payments per second with the durable write (PosTerminal.takePayment in
// forceOffline, its outbox saved through FileStorage: write, fsync, rename) beside a plain
// hand-written queue (an array of the same payments, JSON, written through the same FileStorage
// key per payment: the Workbox-style baseline without limits, chain or checks), alternating
// rounds; then the forwarding rate against the loopback reference acquirer (PosAcquirer on
// MemoryStorage, 127.0.0.1), outbox entries per second. Wall-clock rates (the durable write waits
// for the disk). A benchmark, never a test.
//
//   node bench/pos.mjs            ROUNDS=5 PER_ROUND=100 node bench/pos.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as sdk from '@countersign/sdk';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const PER_ROUND = Number(process.env.PER_ROUND ?? 100);
const root = mkdtempSync(path.join(os.tmpdir(), 'pos-bench-'));
const config = (id) => ({ terminalId: id, offline: { currencies: [{ currency: 'EUR', paymentMax: '100.00', totalMax: '1000000.00' }], countMax: 1000, maxAgeMs: 604_800_000 } });
const payment = (key, i) => ({ idempotencyKey: key, amount: `${1 + (i % 50)}.${String(i % 100).padStart(2, '0')}`, currency: 'EUR', cardToken: `card-${i % 40}`, cardType: 'visa' });
const noAcquirer = { authorise: async () => { throw new Error('offline'); }, forward: async () => { throw new Error('offline'); } };

async function terminalRound(round) {
  const t = await sdk.PosTerminal.open({ storage: new sdk.FileStorage(path.join(root, `t${round}`)), snapshotKey: new Uint8Array(32).fill(1), config: config(`t${round}`), acquirer: noAcquirer });
  const t0 = performance.now();
  for (let i = 0; i < PER_ROUND; i++) {
    const out = await t.takePayment(payment(`p${i}`, i), 'forceOffline');
    if (out.status !== 'stored') throw new Error(`not stored: ${out.code}`);
  }
  const rate = PER_ROUND / ((performance.now() - t0) / 1000);
  await t.close();
  return rate;
}

async function plainRound(round) {
  const storage = new sdk.FileStorage(path.join(root, `q${round}`));
  const queue = [];
  let version = null;
  const t0 = performance.now();
  for (let i = 0; i < PER_ROUND; i++) {
    queue.push({ ...payment(`p${i}`, i), storedAtMs: Date.now(), state: 'stored' });
    const put = await storage.put('queue', new TextEncoder().encode(JSON.stringify(queue)), version);
    if (!put.ok) throw new Error('conflict');
    version = put.version;
  }
  return PER_ROUND / ((performance.now() - t0) / 1000);
}

async function forwardRate() {
  const acquirer = await sdk.PosAcquirer.start({ storage: new sdk.MemoryStorage() });
  const t = await sdk.PosTerminal.open({ storage: new sdk.MemoryStorage(), snapshotKey: new Uint8Array(32).fill(2), config: config('fwd'), acquirer: sdk.httpAcquirerClient(acquirer.url) });
  for (let i = 0; i < 500; i++) await t.takePayment(payment(`f${i}`, i), 'forceOffline');
  const t0 = performance.now();
  const r = await t.flush();
  const rate = r.forwarded / ((performance.now() - t0) / 1000);
  if (r.forwarded !== 500) throw new Error(`forwarded ${r.forwarded}`);
  await t.close();
  await acquirer.close();
  return rate;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const stored = [];
const plain = [];
for (let r = 0; r < ROUNDS; r++) {
  stored.push(await terminalRound(r));
  plain.push(await plainRound(r));
}
const forwarded = await forwardRate();
rmSync(root, { recursive: true, force: true });
console.log(`pos: stored payments/s with the durable write (FileStorage): median ${median(stored).toFixed(0)} (min ${Math.min(...stored).toFixed(0)}, max ${Math.max(...stored).toFixed(0)})`);
console.log(`plain JSON queue through the same FileStorage: median ${median(plain).toFixed(0)} (min ${Math.min(...plain).toFixed(0)}, max ${Math.max(...plain).toFixed(0)})`);
console.log(`forwarded to the loopback acquirer: ${forwarded.toFixed(0)} entries/s (500 entries, each answer saved before the next)`);
