#!/usr/bin/env node
// System 4: stored payments per second with the durable write (PosTerminal.takePayment in
// forceOffline, its outbox saved through FileStorage: write, fsync, rename) beside a plain
// hand-written queue (an array of the same payments, JSON, written through the same FileStorage
// key per payment: the Workbox-style baseline without limits, chain or checks), alternating
// rounds; the forwarding rate against the loopback reference acquirer (PosAcquirer on
// MemoryStorage, 127.0.0.1), outbox entries per second; and in headless Chromium (bench/pos-browser.mjs)
// payments stored through PosTerminal on IndexedDbStorage beside a plain IndexedDB queue written
// the Workbox way, in the same page and run. Wall-clock rates (the durable write waits for the
// disk). A benchmark, never a test. `npm run bench` runs it (BENCH_ONLY=pos for it alone).
//
//   node bench/pos.mjs            ROUNDS=5 PER_ROUND=100 node bench/pos.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as sdk from '@countersign/sdk';
import { measurePosBrowser } from './pos-browser.mjs';

const config = (id) => ({ terminalId: id, offline: { currencies: [{ currency: 'EUR', paymentMax: '100.00', totalMax: '1000000.00' }], countMax: 1000, maxAgeMs: 604_800_000 } });
const payment = (key, i) => ({ idempotencyKey: key, amount: `${1 + (i % 50)}.${String(i % 100).padStart(2, '0')}`, currency: 'EUR', cardToken: `card-${i % 40}`, cardType: 'visa' });
const noAcquirer = { authorise: async () => { throw new Error('offline'); }, forward: async () => { throw new Error('offline'); } };

async function terminalRound(root, round, perRound) {
  const t = await sdk.PosTerminal.open({ storage: new sdk.FileStorage(path.join(root, `t${round}`)), snapshotKey: new Uint8Array(32).fill(1), config: config(`t${round}`), acquirer: noAcquirer });
  const t0 = performance.now();
  for (let i = 0; i < perRound; i++) {
    const out = await t.takePayment(payment(`p${i}`, i), 'forceOffline');
    if (out.status !== 'stored') throw new Error(`not stored: ${out.code}`);
  }
  const rate = perRound / ((performance.now() - t0) / 1000);
  if (t.status().pendingCount !== perRound) throw new Error('pos bench: not every payment is waiting');
  await t.close();
  return rate;
}

async function plainRound(root, round, perRound) {
  const storage = new sdk.FileStorage(path.join(root, `q${round}`));
  const queue = [];
  let version = null;
  const t0 = performance.now();
  for (let i = 0; i < perRound; i++) {
    queue.push({ ...payment(`p${i}`, i), storedAtMs: Date.now(), state: 'stored' });
    const put = await storage.put('queue', new TextEncoder().encode(JSON.stringify(queue)), version);
    if (!put.ok) throw new Error('conflict');
    version = put.version;
  }
  return perRound / ((performance.now() - t0) / 1000);
}

async function forwardRate(entries) {
  const acquirer = await sdk.PosAcquirer.start({ storage: new sdk.MemoryStorage() });
  const t = await sdk.PosTerminal.open({ storage: new sdk.MemoryStorage(), snapshotKey: new Uint8Array(32).fill(2), config: config('fwd'), acquirer: sdk.httpAcquirerClient(acquirer.url) });
  for (let i = 0; i < entries; i++) await t.takePayment(payment(`f${i}`, i), 'forceOffline');
  const t0 = performance.now();
  const r = await t.flush();
  const rate = r.forwarded / ((performance.now() - t0) / 1000);
  if (r.forwarded !== entries) throw new Error(`forwarded ${r.forwarded}`);
  await t.close();
  await acquirer.close();
  return rate;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Node (files) and Chromium (IndexedDB) rates; `browser: false` skips Chromium. */
export async function measurePos({ rounds = 5, perRound = 100, forwardEntries = 500, browser = true } = {}) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pos-bench-'));
  const stored = [];
  const plain = [];
  try {
    for (let r = 0; r < rounds; r++) {
      stored.push(await terminalRound(root, r, perRound));
      plain.push(await plainRound(root, r, perRound));
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const forwarded = await forwardRate(forwardEntries);
  let chromium = null;
  if (browser) {
    try {
      chromium = await measurePosBrowser({ rounds, perRound });
    } catch (e) {
      chromium = { error: e instanceof Error ? e.message.split('\n')[0] : String(e) };
    }
  }
  return { rounds, perRound, forwardEntries, stored, plain, forwarded, chromium };
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const spread = (xs) => `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;

export function posTable(m) {
  const lines = [
    `pos (System 4): payments stored durably per second, median of ${m.rounds} alternating rounds of ${m.perRound} into an empty outbox (min–max); wall clock: the durable write waits for the disk.`,
    '',
    '| op | countersign /s | plain queue /s | ratio (countersign/plain) |',
    '|---|---:|---:|---:|',
    `| Node: PosTerminal.takePayment (forceOffline) on FileStorage vs a JSON array rewritten through the same FileStorage key | ${spread(m.stored)} | ${spread(m.plain)} | ${(median(m.stored) / median(m.plain)).toFixed(2)} |`,
  ];
  if (m.chromium === null) {
    lines.push('| Chromium: not measured (browser part off) | | | |');
  } else if (m.chromium.error !== undefined) {
    lines.push(`| Chromium: not measured (${m.chromium.error}) | | | |`);
  } else {
    const c = m.chromium;
    lines.push(`| Chromium ${c.version}: PosTerminal.takePayment on IndexedDbStorage (strict durability) vs a Workbox-style IndexedDB queue (one object store, one add per request, default durability) | ${spread(c.stored)} | ${spread(c.workbox)} | ${(median(c.stored) / median(c.workbox)).toFixed(2)} |`);
    lines.push(`| Chromium ${c.version}: the same, the Workbox-style queue with strict durability (what a resolved store means here) | ${spread(c.stored)} | ${spread(c.workboxStrict)} | ${(median(c.stored) / median(c.workboxStrict)).toFixed(2)} |`);
  }
  lines.push('', `forwarded to the loopback acquirer (PosAcquirer, 127.0.0.1): ${fmt(m.forwarded)} entries/s (${m.forwardEntries} entries, each answer saved before the next)`);
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const measured = await measurePos({ rounds: Number(process.env.ROUNDS ?? 5), perRound: Number(process.env.PER_ROUND ?? 100), browser: process.env.POS_BENCH_BROWSER !== '0' });
  console.log(posTable(measured).join('\n'));
}
