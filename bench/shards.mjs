#!/usr/bin/env node
// The sharded-ledger benchmark alone (bench/ledger-shards.mjs says what it measures):
//
//   node bench/shards.mjs                       (1,000,000 wallets, 100,000 pending holds)
//   BENCH_WALLETS=100000 node bench/shards.mjs  (a smaller set)
//
// Uses the existing build (`bash scripts/build.sh`); `npm run bench:shards` builds first.
import { measureShards, shardsTable } from './ledger-shards.mjs';

/** Wallets by default: the target. */
const WALLETS_DEFAULT = 1_000_000;
const wallets = Number(process.env.BENCH_WALLETS ?? WALLETS_DEFAULT);
if (!Number.isSafeInteger(wallets) || wallets < 1024) throw new Error(`BENCH_WALLETS must be an integer ≥ 1024, got ${process.env.BENCH_WALLETS}`);
const result = await measureShards({ wallets });
console.log([`- date: ${new Date().toISOString()}`, `- node: ${process.version}`, '', ...shardsTable(result)].join('\n'));
