// Child process for transfer-router.test.mjs: a TransferRouter whose book lives in FileStorage
// under COUNTERSIGN_TRANSFER_ROUTER_WORKER's `dir`, or with `pgPrefix` in PostgresStorage under that
// table prefix. It funds the payer (idempotent), then runs `order` (a TransferOrder) and prints
// {"view": ...} once it is final. With `killAt` (a step: quoted, reserved, sent, committed) it
// SIGKILLs itself right after that step; started again without it, the router finishes what the
// killed one left (start() recovers, then the same order is run again). `providers` are
// {url, format, keys: [{keyId, algorithm, publicKey: hex}]}. Does nothing without the variable, so
// `node --test sdk-ts/test/` may load it like any other file.
import { FileStorage, PostgresStorage, TransferRouter, ed25519PublicKey } from '@countersign/sdk';
import { testPool } from './postgres-server.mjs';

export const ROUTER_KEY = new Uint8Array(32).fill(0x71);
/** The router's signing key (every router of the tests is provider A under this key id). */
export const ROUTER_SIGNING = Object.freeze({ keyId: 'router-A', secretKey: new Uint8Array(32).fill(0x55) });
export const routerKeys = () => [{ keyId: ROUTER_SIGNING.keyId, algorithm: 'EdDSA', publicKey: ed25519PublicKey(ROUTER_SIGNING.secretKey) }];

const job = process.env.COUNTERSIGN_TRANSFER_ROUTER_WORKER;
if (job !== undefined) {
  const { dir, pgPrefix, killAt, providers, order, quoteTtlS = 30, marginS = 10 } = JSON.parse(job);
  const pool = pgPrefix === undefined ? undefined : testPool();
  const storage = pool === undefined ? new FileStorage(dir) : new PostgresStorage(pool, { tablePrefix: pgPrefix });
  const router = await TransferRouter.start({
    storage,
    snapshotKey: ROUTER_KEY,
    bookId: 'providerA',
    currency: 'EUR',
    signingKey: { keyId: ROUTER_SIGNING.keyId, secretKey: ROUTER_SIGNING.secretKey.slice() },
    providers: Object.fromEntries(Object.entries(providers).map(([id, p]) => [id, {
      url: p.url,
      format: p.format,
      keys: p.keys.map((k) => ({ ...k, publicKey: new Uint8Array(Buffer.from(k.publicKey, 'hex')) })),
    }])),
    fee: '0.50',
    quoteTtlS,
    marginS,
    requestTimeoutMs: 500,
    retryPauseMs: 50,
    callbacks: false,
    afterStep: (step) => {
      if (step === killAt) process.kill(process.pid, 'SIGKILL');
    },
  });
  await router.openAccount('alice');
  await router.fund('fund-alice', 'alice', '100');
  const view = await router.transfer(order);
  const alice = router.book.account('alice');
  router.book.checkInvariants();
  process.stdout.write(`${JSON.stringify({ view, alice, rejections: router.rejections() })}\n`);
  await router.close();
  await pool?.end();
}
