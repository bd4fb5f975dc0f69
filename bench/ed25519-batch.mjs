#!/usr/bin/env node
// Ed25519 batch verification against one-by-one verification, in one process: 64 signatures by
// KEYS distinct keys (default 64, the least favourable case; a log signed by a few keys merges
// their terms), alternating 300 ms slices of each for 12 rounds, each slice's rate per CPU
// second of this process (other processes' load does not count), the median of the per-round
// ratios printed. A benchmark, never a test.
//
//   node bench/ed25519-batch.mjs            KEYS=4 node bench/ed25519-batch.mjs
import * as sdk from '@countersign/sdk';
/** Distinct signing keys among the 64 signatures. */
const n = Number(process.env.KEYS ?? 64);
const items = [];
const keys = Array.from({ length: n }, () => sdk.generateKeyPair('EdDSA'));
for (let i = 0; i < 64; i++) {
  const k = keys[i % n]; const m = new TextEncoder().encode(`signed record ${i}: ${'x'.repeat(i)}`);
  items.push({ publicKey: k.publicKey, message: m, signature: sdk.signEd25519(k.secretKey, m) });
}
const batch = () => sdk.verifyEd25519Batch(items);
const single = () => items.map((it) => sdk.verifyEd25519(it.publicKey, it.message, it.signature));
function slice(fn, ms) { const c0 = process.cpuUsage(); const t0 = performance.now(); let k = 0; while (performance.now() - t0 < ms) { fn(); k++; } const c = process.cpuUsage(c0); return k / ((c.user + c.system) / 1e6); }
const ratios = [];
for (let r = 0; r < 12; r++) { const a = slice(single, 300); const b = slice(batch, 300); ratios.push(b / a); }
ratios.sort((x, y) => x - y);
console.log(`keys ${n}: batch/one-by-one median ${ratios[6].toFixed(2)} (min ${ratios[0].toFixed(2)}, max ${ratios[11].toFixed(2)})`);
