// Where an SDK executeBatch of 256 hold + post pairs spends its time, per CPU time of this
// process: the boundary's owned copy (ownData), the batch's encoding (encodeBatch), the wasm call
// (the core's execute_batch and the outcomes' writer), the outcomes' reading (decodeOutcomes);
// and the whole SDK call on a second ledger for comparison. A benchmark, never a test.
//   node bench/ledger-batch-split.mjs [batches]   (after scripts/build.sh)
import { ownData } from '../sdk-ts/dist/boundary.js';
import { encodeBatch, decodeOutcomes } from '../sdk-ts/dist/ledger-wire.js';
import { wasm } from '../sdk-ts/dist/loader.js';
import { Ledger } from '../sdk-ts/dist/node.js';
const T0 = 1_767_225_600;
const glue = wasm();
const codes = glue.ledgerCodes().map((e) => e.code);
const setUp = [
  ...['bank', 'wallet', 'station'].map((accountId, i) => ({ op: 'openAccount', request: { idempotencyKey: `open-${accountId}`, now: T0, accountId, currency: 'EUR', kind: i === 0 ? 'unrestricted' : 'nonNegative' } })),
  { op: 'transfer', request: { idempotencyKey: 'fund', now: T0, debitAccountId: 'bank', creditAccountId: 'wallet', amount: '1000000000000.00', currency: 'EUR' } },
];
const holdOp = (i) => ({ op: 'hold', request: { idempotencyKey: `k${i}h`, now: T0 + i, holdId: `h${i}`, debitAccountId: 'wallet', creditAccountId: 'station', amount: '50.00', currency: 'EUR', expiresAt: T0 + i + 600 } });
const postOp = (i) => ({ op: 'post', request: { idempotencyKey: `k${i}p`, now: T0 + i, holdId: `h${i}`, amount: '31.17', currency: 'EUR', final: true } });
const h = new glue.LedgerHandle(); h.executeBatch(setUp);
const sdkLedger = Ledger.create(); sdkLedger.executeBatch(setUp);
let p = 0, q = 0;
const t = { build: 0, own: 0, enc: 0, wasm: 0, dec: 0, sdk: 0 };
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const N = Number(process.argv[2] ?? 300);
for (let round = 0; round < N; round++) {
  let c = cpu();
  const ops = []; for (let i = 0; i < 256; i++, p++) ops.push(holdOp(p), postOp(p));
  t.build += cpu() - c; c = cpu();
  const owned = ownData(ops, 'operations');
  t.own += cpu() - c; c = cpu();
  const bytes = encodeBatch(owned);
  t.enc += cpu() - c; c = cpu();
  const out = h.executeBatchEncoded(bytes);
  t.wasm += cpu() - c; c = cpu();
  const res = decodeOutcomes(out, codes);
  t.dec += cpu() - c;
  if (res.length !== 512 || res[1].code !== 'POSTED') throw new Error('bad');
  if (h.counts().journalRetained >= 1024) h.truncateJournal(h.head().seq);
  const ops2 = []; for (let i = 0; i < 256; i++, q++) ops2.push(holdOp(q), postOp(q));
  c = cpu();
  sdkLedger.executeBatch(ops2);
  t.sdk += cpu() - c;
  if (sdkLedger.counts().journalRetained >= 1024) sdkLedger.truncateJournal(sdkLedger.head().seq);
}
const total = t.own + t.enc + t.wasm + t.dec;
for (const [k, v] of Object.entries(t)) console.log(k.padEnd(6), (v / N).toFixed(3), 'ms/batch', k === 'build' || k === 'sdk' ? '' : `${(100 * v / total).toFixed(1)} %`);
console.log('pairs/s per CPU s (sdk):', Math.round(256 / (t.sdk / N / 1000)));
