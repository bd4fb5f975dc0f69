#!/usr/bin/env node
// Wasm memory per ledger, on the raw wasm-bindgen exports of any build (so that two builds can be
// compared: HACKING.md "Memory growth"). L ledgers (default 32) of A wallets (default 977: one
// shard of a million) are opened and funded with H pending holds (default 98), then filled with
// hold + post pairs until each holds K idempotency keys (default 4,096; 32,768 is a full default
// window). Prints the wasm memory's growth per ledger after each phase.
//
//   node bench/ledger-memory.mjs [glue dir, default sdk-ts/wasm] [key window for each ledger]
//   L=16 K=32768 node bench/ledger-memory.mjs <other build's glue dir>
//
// The memory's size moves in steps (an eighth of it since the stepped allocator), so use enough
// ledgers that the steps are small beside the total.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = process.argv[2] ?? path.resolve(path.dirname(new URL(import.meta.url).pathname), '../sdk-ts/wasm');
const window = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
const glue = await import(pathToFileURL(path.resolve(dir, 'countersign_wasm.js')).href);
const memory = glue.initSync({ module: readFileSync(path.resolve(dir, 'countersign_wasm_bg.wasm')) }).memory;
const T0 = 1_767_225_600;
const LEDGERS = Number(process.env.L ?? 32);
const WALLETS = Number(process.env.A ?? 977);
const HOLDS = Number(process.env.H ?? 98);
const KEYS = Number(process.env.K ?? 4096);
/** Operations per executeBatch call (the ledger's BATCH_OPERATIONS_MAX). */
const BATCH = 1024;
/** Journal entries retained before truncating, below the ledger's 4,096. */
const TRUNCATE_AT = 3000;

const kib = (bytes) => `${Math.round(bytes / LEDGERS / 1024).toLocaleString('en-US')} KiB`;
const start = memory.buffer.byteLength;
const ledgers = [];
for (let i = 0; i < LEDGERS; i++) {
  const ledger = new glue.LedgerHandle();
  if (window !== undefined) ledger.execute({ op: 'setKeyRetention', request: { idempotencyKey: '@k', now: T0, keysKeptBy: 'ledger', keyWindow: window } });
  const w = (n) => `w${i * WALLETS + n}`;
  const ops = ['issuer', 'merchant'].map((accountId, k) => ({ op: 'openAccount', request: { idempotencyKey: `o-${accountId}`, now: T0, accountId, currency: 'EUR', kind: k === 0 ? 'unrestricted' : 'nonNegative' } }));
  for (let n = 0; n < WALLETS; n++) ops.push({ op: 'openAccount', request: { idempotencyKey: `o-${w(n)}`, now: T0, accountId: w(n), currency: 'EUR', kind: 'nonNegative' } });
  for (let n = 0; n < WALLETS; n++) ops.push({ op: 'transfer', request: { idempotencyKey: `f-${w(n)}`, now: T0, debitAccountId: 'issuer', creditAccountId: w(n), amount: '1000000.00', currency: 'EUR' } });
  for (let h = 0; h < HOLDS; h++) ops.push({ op: 'hold', request: { idempotencyKey: `sh-${i}-${h}`, now: T0, holdId: `sh-${i}-${h}`, debitAccountId: w(h % WALLETS), creditAccountId: 'merchant', amount: '10.00', currency: 'EUR', expiresAt: T0 + 86_400 } });
  for (let k = 0; k < ops.length; k += BATCH) {
    ledger.executeBatch(ops.slice(k, k + BATCH));
    ledger.truncateJournal(ledger.head().seq);
  }
  ledgers.push(ledger);
}
const counts = ledgers[0].counts();
console.log(`${dir}: set up: ${kib(memory.buffer.byteLength - start)} per ledger (${counts.accounts} accounts, ${counts.idempotencyKeys} keys, ${counts.holdsPending} pending holds)`);
let p = 0;
for (const [i, ledger] of ledgers.entries()) {
  // Bounded: every pair adds two keys until the window is full (then keys are evicted).
  while (ledger.counts().idempotencyKeys < KEYS - 1) {
    const now = T0 + 1 + p;
    ledger.execute({ op: 'hold', request: { idempotencyKey: `ph${p}`, now, holdId: `p${p}`, debitAccountId: `w${i * WALLETS + ((p * 7) % WALLETS)}`, creditAccountId: 'merchant', amount: '5.00', currency: 'EUR', expiresAt: now + 600 } });
    ledger.execute({ op: 'post', request: { idempotencyKey: `pp${p}`, now, holdId: `p${p}`, amount: '3.17', currency: 'EUR', final: true } });
    p++;
    if (ledger.counts().journalRetained > TRUNCATE_AT) ledger.truncateJournal(ledger.head().seq);
  }
  ledger.truncateJournal(ledger.head().seq);
}
const full = ledgers[0].counts();
console.log(`${dir}: ${full.idempotencyKeys} keys, ${full.holdsResolved} resolved holds: ${kib(memory.buffer.byteLength - start)} per ledger`);
