// Wasm memory of one ledger as its idempotency store fills: hold + post pairs on one wallet, the
// journal truncated every 500 pairs, the counts and the wasm memory growth every 2,000 pairs
// (docs/benchmarks.md, "Sharded ledger": what one shard costs at its key capacity).
//   node bench/ledger-memory.mjs
import * as sdk from '@countersign/sdk';
import { wasm } from '../sdk-ts/dist/loader.js';
const mem = wasm().initSync().memory;
const T0 = 1_767_225_600;
/** Pairs run: 48,000 keys, past the ledger's 32,768 (the memory then stays flat). */
const PAIRS = 24_000;
const l = sdk.Ledger.create();
l.executeBatch([
  { op: 'openAccount', request: { idempotencyKey: 'i', now: T0, accountId: 'issuer', currency: 'EUR', kind: 'unrestricted' } },
  { op: 'openAccount', request: { idempotencyKey: 'm', now: T0, accountId: 'merchant', currency: 'EUR', kind: 'nonNegative' } },
  { op: 'openAccount', request: { idempotencyKey: 'w', now: T0, accountId: 'w', currency: 'EUR', kind: 'nonNegative' } },
  { op: 'transfer', request: { idempotencyKey: 'f', now: T0, debitAccountId: 'issuer', creditAccountId: 'w', amount: '1000000000.00', currency: 'EUR' } },
]);
const base = mem.buffer.byteLength;
let last = base;
for (let p = 0; p < PAIRS; p++) {
  const now = T0 + 1 + p;
  const h = l.hold({ idempotencyKey: `ph${p}`, now, holdId: `p${p}`, debitAccountId: 'w', creditAccountId: 'merchant', amount: '50.00', currency: 'EUR', expiresAt: now + 600 });
  const o = l.post({ idempotencyKey: `pp${p}`, now, holdId: `p${p}`, amount: '31.17', currency: 'EUR', final: true });
  if (h.code !== 'HELD' || o.code !== 'POSTED') throw new Error(`${p} ${h.code} ${o.code}`);
  if (p % 500 === 499) l.truncateJournal(l.head().seq);
  if (p % 2000 === 1999) {
    const c = l.counts();
    console.log(`pairs ${p + 1}: keys ${c.idempotencyKeys}, resolved holds ${c.holdsResolved}, wasm +${((mem.buffer.byteLength - base) / 1048576).toFixed(1)} MiB`);
  }
}
