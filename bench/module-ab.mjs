#!/usr/bin/env node
// A/B of two builds of one system module's raw glue (e.g. the energy module at two opt-levels):
// the operations every module runs (Ed25519 sign and verify, secp256k1 verify, an amount sum, a
// split into 1,000 parts) and, when both glues export the energy server, its ledger path (a
// wallet top-up: one ledger transfer with its journal entry). Slices alternate A-B / B-A per round; rates are per CPU
// second of this process; the median of the per-round B/A ratios is printed, as bench/ab.mjs does
// for the everything-module.
//   node bench/module-ab.mjs <glue dir A> <glue dir B> [rounds] [sliceMs]
// A benchmark, never a test: nothing here asserts a speed.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [dirA, dirB] = process.argv.slice(2, 4);
if (dirB === undefined) {
  process.stderr.write('usage: node bench/module-ab.mjs <glue dir A> <glue dir B> [rounds] [sliceMs]\n');
  process.exit(2);
}
/** Rounds of A-B slices. */
const ROUNDS = Number(process.argv[4] ?? 8);
/** Wall-clock length of one slice. */
const SLICE_MS = Number(process.argv[5] ?? 250);
/** Top-ups on one server before a fresh one (its journal and key window stay small). */
const TOP_UPS_PER_SERVER = 512;
const T0 = 1_796_895_000;

async function load(dir) {
  const glue = await import(`${pathToFileURL(path.resolve(dir, 'countersign_wasm.js')).href}?${dir}`);
  glue.initSync({ module: readFileSync(path.resolve(dir, 'countersign_wasm_bg.wasm')) });
  return glue;
}
const builds = [await load(dirA), await load(dirB)];

const message = new Uint8Array(128).map((_, i) => (i * 31 + 7) & 0xff);
const edSecret = new Uint8Array(32).fill(0x11);
const k1Secret = new Uint8Array(32).fill(0x22);
const edPublic = builds[0].ed25519PublicKey(edSecret);
const edSignature = builds[0].ed25519Sign(edSecret, message);
const k1Public = builds[0].secp256k1PublicKey(k1Secret, true);
const k1Signature = builds[0].secp256k1Sign(k1Secret, message, 'compact');

const splitRatios = BigUint64Array.from({ length: 1000 }, (_, i) => BigInt(((i * 7919) % 997) + 1));

/** Each operation: a function of the glue returning a step closure (state per build). */
const operations = {
  edSign: (g) => () => g.ed25519Sign(edSecret, message),
  edVerify: (g) => () => {
    if (!g.ed25519Verify(edPublic, message, edSignature)) throw new Error('Ed25519 verify failed');
  },
  k1Verify: (g) => () => {
    if (!g.secp256k1Verify(k1Public, message, k1Signature, 'compact', false)) throw new Error('secp256k1 verify failed');
  },
  amountAdd: (g) => () => g.amountAdd('1234.56', 'EUR', '0.44', 'EUR'),
  // The largest split (SPLIT_PARTS_MAX parts, uneven ratios): its remainders are sorted.
  amountSplit1000: (g) => () => {
    if (g.amountSplit('98765.43', 'EUR', splitRatios).length !== splitRatios.length) throw new Error('split');
  },
};
if (builds.every((g) => typeof g.EnergyServerHandle === 'function')) {
  operations.energyTopUp = (g) => {
    let server;
    let n = TOP_UPS_PER_SERVER;
    return () => {
      if (n === TOP_UPS_PER_SERVER) {
        server?.free();
        server = new g.EnergyServerHandle({ currency: 'EUR', holdDurationS: 900, lateCompletion: 'reject' }, BigInt(T0));
        server.openWallet('w', BigInt(T0));
        n = 0;
      }
      n += 1;
      const outcome = server.topUp('w', '1.00', BigInt(T0 + n));
      if (outcome.code !== 'TRANSFERRED') throw new Error(`top-up: ${outcome.code}`);
    };
  };
}

function slice(step) {
  const cpu0 = process.cpuUsage();
  const end = performance.now() + SLICE_MS;
  let calls = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 4; i++) step();
    calls += 4;
  }
  const cpu = process.cpuUsage(cpu0);
  return calls / ((cpu.user + cpu.system) / 1e6);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [name, make] of Object.entries(operations)) {
  const steps = builds.map((g) => make(g));
  const ratios = [];
  const rates = [[], []];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    const r = [0, 0];
    for (const i of order) r[i] = slice(steps[i]);
    rates[0].push(r[0]);
    rates[1].push(r[1]);
    ratios.push(r[1] / r[0]);
  }
  console.log(`${name.padEnd(12)} A ${Math.round(median(rates[0]))}/s  B ${Math.round(median(rates[1]))}/s  B/A ${median(ratios).toFixed(3)}`);
}
