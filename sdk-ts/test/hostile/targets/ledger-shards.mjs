// Hostile-input targets: the sharded ledger.
import * as s from '@countersign/sdk';

const hex = (b) => Buffer.from(b).toString('hex');
const SNAPSHOT_KEY = new Uint8Array(32).fill(7);
const SHARDS = 4;

/** The first id `prefix-<n>` on `shard` (bounded search). */
function idOn(prefix, shard) {
  for (let n = 0; n < 1000; n++) if (s.ledgerShardOf(`${prefix}-${n}`, SHARDS) === shard) return `${prefix}-${n}`;
  throw new Error(`no id on shard ${shard}`);
}
const A = idOn('a', 1);
const B = idOn('b', 2);

/** Four shards: issuers `@1/issuer` and `@2/issuer`, wallets A (shard 1, 100.00) and B (shard 2), a pending hold `h1` on A. */
async function sharded() {
  const l = await s.ShardedLedger.load(new s.MemoryStorage(), SNAPSHOT_KEY, { shardCount: SHARDS });
  for (const id of ['@1/issuer', '@2/issuer']) l.openAccount({ idempotencyKey: `o-${id}`, now: 1, accountId: id, currency: 'EUR', kind: 'unrestricted' });
  for (const id of [A, B]) l.openAccount({ idempotencyKey: `o-${id}`, now: 1, accountId: id, currency: 'EUR', kind: 'nonNegative' });
  await l.transfer({ idempotencyKey: 't1', now: 2, debitAccountId: '@1/issuer', creditAccountId: A, amount: '100.00', currency: 'EUR' });
  l.hold({ idempotencyKey: 'h1', now: 3, holdId: 'h1', debitAccountId: A, creditAccountId: '@1/issuer', amount: '10.00', currency: 'EUR', expiresAt: 1000 });
  return l;
}

const onSharded = {
  receiver: sharded,
  state: (l) => Array.from({ length: SHARDS }, (_, i) => `${hex(l.stateDigest(i))}/${l.head(i).seq}`).join(' '),
};

export const targets = {
  ledgerShardOf: { args: () => ['wallet-1', 1024] },
  'new ShardedLedger': { args: () => [] },
  'ShardedLedger.load': { args: () => [new s.MemoryStorage(), SNAPSHOT_KEY.slice(), { name: 'main', shardCount: 2, snapshotEvery: 2 }] },
  'ShardedLedger#shardCount': { ...onSharded, args: () => [] },
  'ShardedLedger#shardOf': { ...onSharded, args: () => [A] },
  'ShardedLedger#openAccount': { ...onSharded, args: () => [{ idempotencyKey: 'x1', now: 5, accountId: 'c', currency: 'EUR', kind: 'creditLine', creditLimit: '50.00' }] },
  'ShardedLedger#transfer': { ...onSharded, args: () => [{ idempotencyKey: 'x1', now: 5, debitAccountId: A, creditAccountId: B, amount: '1.00', currency: 'EUR' }] },
  'ShardedLedger#hold': { ...onSharded, args: () => [{ idempotencyKey: 'x1', now: 5, holdId: 'h2', debitAccountId: A, creditAccountId: '@1/issuer', amount: '1.00', currency: 'EUR', expiresAt: 500 }] },
  'ShardedLedger#increment': { ...onSharded, args: () => [A, { idempotencyKey: 'x1', now: 5, holdId: 'h1', amount: '1.00', currency: 'EUR' }] },
  'ShardedLedger#extend': { ...onSharded, args: () => [A, { idempotencyKey: 'x1', now: 5, holdId: 'h1', expiresAt: 2000 }] },
  'ShardedLedger#post': { ...onSharded, args: () => [A, { idempotencyKey: 'x1', now: 5, holdId: 'h1', amount: '4.00', currency: 'EUR', final: true }] },
  'ShardedLedger#void': { ...onSharded, args: () => [A, { idempotencyKey: 'x1', now: 5, holdId: 'h1' }] },
  'ShardedLedger#setCreditLimit': { ...onSharded, args: () => [{ idempotencyKey: 'x1', now: 5, accountId: A, creditLimit: '5.00', currency: 'EUR' }] },
  'ShardedLedger#closeAccount': { ...onSharded, args: () => [{ idempotencyKey: 'x1', now: 5, accountId: B }] },
  'ShardedLedger#expireDue': { ...onSharded, args: () => [{ idempotencyKey: 'x1', now: 5000 }] },
  'ShardedLedger#executeBatch': {
    ...onSharded,
    args: () => [1, [{ op: 'transfer', linked: true, request: { idempotencyKey: 'x1', now: 5, debitAccountId: A, creditAccountId: '@1/issuer', amount: '1.00', currency: 'EUR' } }, { op: 'void', request: { idempotencyKey: 'x2', now: 6, holdId: 'h1' } }]],
  },
  'ShardedLedger#recover': { ...onSharded, args: () => [] },
  'ShardedLedger#checkSettlement': { ...onSharded, args: () => [] },
  'ShardedLedger#account': { ...onSharded, args: () => [A] },
  'ShardedLedger#holdView': { ...onSharded, args: () => [A, 'h1'] },
  'ShardedLedger#head': { ...onSharded, args: () => [1] },
  'ShardedLedger#counts': { ...onSharded, args: () => [1] },
  'ShardedLedger#stateDigest': { ...onSharded, args: () => [1] },
  'ShardedLedger#commit': { ...onSharded, args: () => [] },
  'ShardedLedger#free': { ...onSharded, args: () => [], consumes: true },
};
