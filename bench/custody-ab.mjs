#!/usr/bin/env node
// A/B of the custody book's per-event cost (System 8) between two built SDKs, in one process:
// the event mix of bench/custody.mjs (per round six transfers, a trade, a deposit and its sweep
// over 200 clients, every outcome checked) through each side's `CustodyBook`, and through each
// side's raw glue (`CustodyBookHandle`, called as that build's adapter takes its requests: one
// object per event, or one argument per field), so that the SDK's own share shows beside the
// boundary's and the core's.
//
//   node bench/custody-ab.mjs <sdk dir A> <sdk dir B> [rounds] [sliceMs]
//
// An "sdk dir" holds a built SDK: `dist/node.js` and `wasm/` (the package directory `sdk-ts` of a
// built checkout, or a copy of its `dist`, `wasm` and `package.json`). Slices alternate A-B / B-A
// per round; each slice's rate is events per CPU second of this process (process.cpuUsage: the
// shared machine's other processes do not count); the medians and the median of per-round B/A
// ratios are printed, as bench/ab.mjs does. A benchmark, never a test: nothing here asserts a speed.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchBookConfig } from './custody-book-config.mjs';

const [dirA, dirB] = process.argv.slice(2, 4);
if (dirB === undefined) {
  process.stderr.write('usage: node bench/custody-ab.mjs <sdk dir A> <sdk dir B> [rounds] [sliceMs]\n');
  process.exit(2);
}
/** Rounds of A-B slices. */
const ROUNDS = Number(process.argv[4] ?? 10);
/** Wall-clock length of one slice. */
const SLICE_MS = Number(process.argv[5] ?? 300);
const T0 = 1_800_000_000;
const CLIENTS = 200;
const EVENTS_PER_ROUND = 9;
/** Ids grow per round: a fresh book every this many rounds (as bench/custody.mjs). */
const ROUNDS_PER_BOOK = 2_000;

async function load(dir) {
  const sdk = await import(pathToFileURL(path.resolve(dir, 'dist/node.js')).href);
  // The raw glue as its own instance of the same build (the SDK's instance stays the SDK's).
  const glue = await import(`${pathToFileURL(path.resolve(dir, 'wasm/countersign_wasm.js')).href}?raw`);
  glue.initSync({ module: readFileSync(path.resolve(dir, 'wasm/countersign_wasm_bg.wasm')) });
  // A build whose glue constructor takes the configuration as the core's CBOR (since 2026-12-07)
  // has the SDK's writer of it; an older one takes the object.
  const configWriter = path.resolve(dir, 'dist/custody-config.js');
  const glueConfig = existsSync(configWriter) ? (await import(pathToFileURL(configWriter).href)).encodeBookConfig : (config) => config;
  return { sdk, glue, glueConfig };
}

/** The request objects of one round, as bench/custody.mjs makes them. */
function* roundEvents(round, events, addresses) {
  const now = T0 + 1 + Math.floor(events / 50);
  const c = (k) => `c${(round * 7 + k) % CLIENTS}`;
  for (let k = 0; k < 6; k++) {
    yield ['transfer', { transferId: `t${round}-${k}`, fromClientId: c(k), toClientId: c(k + 1), asset: 'USDC', amount: '1.25', now }, 'TRANSFERRED'];
  }
  yield ['trade', { tradeId: `x${round}`, buyerId: c(10), sellerId: c(11), baseAsset: 'BTC', baseAmount: '0.001', quoteAsset: 'USDC', quoteAmount: '60', fee: '0.06', now }, 'TRADED'];
  const who = (round * 13) % CLIENTS;
  yield ['observeDeposit', { depositId: `d${round}`, address: addresses[who], asset: 'BTC', amount: '0.01', confirmations: 1, now }, 'DEPOSIT_CONFIRMED'];
  yield ['sweep', { sweepId: `s${round}`, clientId: `c${who}`, asset: 'BTC', networkFee: '0.00001', now }, 'SWEPT'];
}

/**
 * A runner of the mix over `apply(book, kind, request)`; `make` opens a book with 200 funded
 * clients and observed omnibus balances.
 */
function mix(make, apply, addresses) {
  let book;
  let round = ROUNDS_PER_BOOK;
  let events = 0;
  return () => {
    if (round >= ROUNDS_PER_BOOK) {
      book?.free();
      book = make();
      round = 0;
      events = 0;
    }
    round += 1;
    for (const [kind, request, code] of roundEvents(round, events, addresses)) {
      const outcome = apply(book, kind, request);
      if (outcome.code !== code) throw new Error(`custody-ab: ${kind} answered ${outcome.code}, expected ${code}`);
    }
    events += EVENTS_PER_ROUND;
  };
}

function side({ sdk, glue, glueConfig }) {
  const seed = new Uint8Array(32).fill(5);
  const addresses = Array.from({ length: CLIENTS }, (_, i) => sdk.custodyTransferWallet(seed, i).address);
  const omnibus = sdk.custodyAddressOf(sdk.secp256k1PublicKey(new Uint8Array(32).fill(0x11), { compressed: true }));
  const config = () => benchBookConfig(sdk, omnibus);
  const fund = (book, apply) => {
    for (let i = 0; i < CLIENTS; i++) {
      apply(book, 'registerClient', { clientId: `c${i}`, address: addresses[i], now: T0 });
      for (const [asset, amount] of [['BTC', '1000'], ['USDC', '100000000']]) {
        apply(book, 'observeDeposit', { depositId: `init-${i}-${asset}`, address: addresses[i], asset, amount, confirmations: 1, now: T0 });
        apply(book, 'sweep', { sweepId: `init-${i}-${asset}`, clientId: `c${i}`, asset, networkFee: '0', now: T0 });
      }
    }
    for (const asset of ['BTC', 'USDC']) apply(book, 'observeOmnibus', { asset, balance: book.expectedOmnibus(asset), now: T0 });
    return book;
  };
  const viaSdk = (book, kind, request) => book[kind](request);
  // The raw glue as this build's adapter takes a request: one object (arity 1), or its fields
  // as arguments in the request's declared order (the object literals above are in that order).
  const objectGlue = glue.CustodyBookHandle.prototype.transfer.length === 1;
  const viaGlue = objectGlue ? (book, kind, request) => book[kind](request) : (book, kind, request) => book[kind](...Object.values(request));
  return {
    sdk: mix(() => fund(sdk.CustodyBook.create(config()), viaSdk), viaSdk, addresses),
    glue: mix(() => fund(new glue.CustodyBookHandle(glueConfig(config())), viaGlue), viaGlue, addresses),
  };
}

/** Rounds per CPU second of this process over about `ms` of wall time. */
function rate(run, ms) {
  let rounds = 0;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  do {
    run();
    rounds += 1;
  } while (performance.now() - start < ms);
  const cpu = process.cpuUsage(cpuStart);
  return rounds / ((cpu.user + cpu.system) / 1e6);
}

const a = side(await load(dirA));
const b = side(await load(dirB));
const names = ['sdk', 'glue'];
for (const name of names) {
  rate(a[name], SLICE_MS); // warm-up (and the first books)
  rate(b[name], SLICE_MS);
}
const rates = Object.fromEntries(names.map((name) => [name, { a: [], b: [] }]));
for (let round = 0; round < ROUNDS; round++) {
  for (const name of names) {
    const order = round % 2 === 0 ? ['a', 'b'] : ['b', 'a'];
    for (const which of order) rates[name][which].push(rate((which === 'a' ? a : b)[name], SLICE_MS) * EVENTS_PER_ROUND);
  }
}
const median = (values) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];
const fmt = (n) => Math.round(n).toLocaleString('en-US').padStart(8);
const us = (eventsPerS) => (1e6 / eventsPerS).toFixed(2).padStart(6);
console.log(`A = ${dirA}\nB = ${dirB}\n${ROUNDS} rounds of ${SLICE_MS} ms slices; events per CPU second (median), µs per event, median of per-round B/A ratios`);
for (const name of names) {
  const ratios = rates[name].a.map((rateA, i) => rates[name].b[i] / rateA);
  const ma = median(rates[name].a);
  const mb = median(rates[name].b);
  console.log(`${name.padEnd(5)} A ${fmt(ma)} (${us(ma)} µs)  B ${fmt(mb)} (${us(mb)} µs)  B/A ${median(ratios).toFixed(3)}`);
}
