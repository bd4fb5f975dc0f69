// System 8's back-office over real HTTP on 127.0.0.1 with its book in PostgreSQL: approvers are
// separate processes (custody-approver-worker.mjs) that read the withdrawal's digest over HTTP and
// post their signed Ed25519 envelopes; the server is restarted (a new server on the same tables)
// between the approvals and the signing. A duplicate approval is counted once, an approval that
// expired before the signing is not counted, and the signed withdrawal is byte for byte the
// native core's (the first case of tests/vectors/custody/signatures.json, which
// core/tests/custody_vectors.rs checks natively). Skipped without a server (run it through
// `bash scripts/postgres.sh run -- node --test --test-concurrency=1 <this file>`).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CustodyHttpServer, MemoryStorage, PostgresStorage, custodyAddressOf, custodyTransferWallet, ed25519PublicKey, secp256k1PublicKey } from '@countersign/sdk';
import { readJson, unhex } from './helpers.mjs';
import { SKIP_NO_SERVER, dropTables, freshPrefix, testPool } from './postgres-server.mjs';

const run = promisify(execFile);
const WORKER = fileURLToPath(new URL('./custody-approver-worker.mjs', import.meta.url));
const KEY = new Uint8Array(32).fill(9);
const SEED = Uint8Array.from({ length: 32 }, (_, i) => i);
const T0 = 1_800_000_000;
const vectors = readJson('custody/signatures.json');
const CASE = vectors.cases[0];
const OMNIBUS_KEY = unhex(vectors.omnibusSecretKey);

function options(storage, clock) {
  return {
    storage,
    snapshotKey: KEY,
    omnibusKey: OMNIBUS_KEY,
    seed: SEED,
    clock,
    config: {
      assets: [{ asset: CASE.asset, confirmations: 1, sweepThreshold: '0.000001', clientLimits: [], assetLimits: [] }],
      omnibusAddress: custodyAddressOf(secp256k1PublicKey(OMNIBUS_KEY, { compressed: true })),
      approvers: [0, 1, 2].map((i) => ({ approverId: `approver-${i}`, publicKey: ed25519PublicKey(new Uint8Array(32).fill(0x40 + i)) })),
      quorum: 2,
      coolingOffS: 0,
    },
  };
}

async function post(url, path, body) {
  const response = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

/** An approver process: its answer from the server. */
async function approver(url, index, seq, issuedAt, expiresAt) {
  const { stdout } = await run(process.execPath, [WORKER, url, CASE.withdrawalId, String(index), String(seq), String(issuedAt), String(expiresAt)]);
  return JSON.parse(stdout);
}

async function scenario(storage, { restart }) {
  let now = T0 * 1000;
  const clock = () => now;
  let server = await CustodyHttpServer.start(options(storage, clock));
  try {
    const amountMinor = BigInt(CASE.amountMinorUnits);
    const feeMinor = BigInt(CASE.networkFeeMinorUnits);
    const scale = 6n; // USDC
    const text = (minor) => `${minor / 10n ** scale}.${(minor % 10n ** scale).toString().padStart(Number(scale), '0')}`;
    assert.equal(CASE.asset, 'USDC');
    const wallet = custodyTransferWallet(SEED, CASE.clientIndex);
    for (let j = 0; j <= CASE.clientIndex; j++) {
      const id = j === CASE.clientIndex ? CASE.clientId : `pad-${j}`;
      const r = await post(server.url, '/custody/events', { kind: 'registerClient', clientId: id, address: custodyTransferWallet(SEED, j).address });
      assert.equal(r.body.code, 'CLIENT_REGISTERED');
    }
    const steps = [
      [{ kind: 'observeDeposit', depositId: 'd1', address: wallet.address, asset: 'USDC', amount: text(amountMinor + feeMinor), confirmations: 1 }, 'DEPOSIT_CONFIRMED'],
      [{ kind: 'sweep', sweepId: 's1', clientId: CASE.clientId, asset: 'USDC', networkFee: '0' }, 'SWEPT'],
      [{ kind: 'observeOmnibus', asset: 'USDC', balance: text(amountMinor + feeMinor) }, 'BALANCE_OBSERVED'],
      [{ kind: 'addDestination', clientId: CASE.clientId, address: CASE.destination }, 'DESTINATION_ADDED'],
    ];
    for (const [event, code] of steps) assert.equal((await post(server.url, '/custody/events', event)).body.code, code, JSON.stringify(event));
    const requested = await post(server.url, '/custody/withdrawals', {
      withdrawalId: CASE.withdrawalId, clientId: CASE.clientId, asset: 'USDC', amount: text(amountMinor), networkFee: text(feeMinor), destination: CASE.destination,
    });
    assert.equal(requested.body.code, 'WITHDRAWAL_REQUESTED');
    assert.deepEqual(requested.body.discrepancies, [], 'the omnibus still holds what the clients are owed (the withdrawal is outgoing)');
    const pending = await (await fetch(`${server.url}/custody/withdrawals`)).json();
    assert.deepEqual(pending.map((w) => w.withdrawalId), [CASE.withdrawalId]);
    assert.equal(pending[0].digest, CASE.withdrawalDigest, 'the digest approvers sign is the model\'s');

    // Approver 0 approves, then approves again (a new envelope, a higher sequence number):
    // counted once.
    const first = await approver(server.url, 0, 1, T0, T0 + 3600);
    assert.equal(first.body.code, 'APPROVAL_COUNTED');
    assert.equal(first.body.approvals, 1);
    const again = await approver(server.url, 0, 2, T0, T0 + 3600);
    assert.equal(again.body.code, 'APPROVER_ALREADY_COUNTED');
    assert.equal((await (await fetch(`${server.url}/custody/withdrawals/${CASE.withdrawalId}`)).json()).approvals.length, 1);
    // The first envelope sent again: a replay, not counted.
    assert.equal((await approver(server.url, 0, 1, T0, T0 + 3600)).body.code, 'REPLAYED');
    // Approver 1: valid for 60 s only.
    const short = await approver(server.url, 1, 1, T0, T0 + 60);
    assert.equal(short.body.code, 'APPROVAL_COUNTED');
    assert.equal(short.body.approvals, 2);
    assert.deepEqual((await (await fetch(`${server.url}/custody/withdrawals/${CASE.withdrawalId}`)).json()).approvals.map(([id]) => id), ['approver-0', 'approver-1']);

    if (restart) {
      await server.close();
      server = await CustodyHttpServer.start(options(storage, clock));
    }
    // Two minutes later approver 1's approval has expired: the quorum is not there.
    now = (T0 + 120) * 1000;
    const early = await post(server.url, `/custody/withdrawals/${CASE.withdrawalId}/sign`, {});
    assert.equal(early.body.outcome.code, 'QUORUM_NOT_REACHED');
    assert.equal(early.body.outcome.approvals, 1, 'the expired approval is not counted');
    assert.deepEqual(early.body.signatures, []);
    // Approver 2 approves: two live approvals.
    const late = await approver(server.url, 2, 1, T0 + 120, T0 + 3600);
    assert.equal(late.body.code, 'APPROVAL_COUNTED');

    if (restart) {
      await server.close();
      server = await CustodyHttpServer.start(options(storage, clock));
    }
    const signed = await post(server.url, `/custody/withdrawals/${CASE.withdrawalId}/sign`, {});
    assert.equal(signed.status, 200);
    assert.equal(signed.body.outcome.code, 'WITHDRAWAL_SIGNED');
    assert.equal(signed.body.outcome.approvals, 2);
    assert.deepEqual(signed.body.digests, CASE.digests, 'both legs\' digests are the native core\'s');
    assert.deepEqual(signed.body.signatures, CASE.signatures, 'both signatures are the native core\'s, byte for byte');
    const twice = await post(server.url, `/custody/withdrawals/${CASE.withdrawalId}/sign`, {});
    assert.equal(twice.body.outcome.code, 'WITHDRAWAL_NOT_PENDING', 'signed once');
    const reconciliation = await (await fetch(`${server.url}/custody/reconciliation`)).json();
    assert.deepEqual(reconciliation.discrepancies, []);
    const bad = await post(server.url, '/custody/events', { kind: 'sweep', sweepId: 's2', clientId: CASE.clientId, asset: 'USDC', networkFee: 7 });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.param, 'event.networkFee');
    assert.equal(bad.body.code, 'INVALID_TYPE');
    server.book.checkInvariants();
  } finally {
    await server.close();
  }
}

test('custody back-office over HTTP with memory storage: approvers as processes, quorum, expiry, native signatures', async () => {
  await scenario(new MemoryStorage(), { restart: false });
});

test('custody back-office on PostgreSQL: restarted between the approvals and the signing, the signed withdrawal is the native one', { skip: SKIP_NO_SERVER }, async () => {
  const pool = testPool();
  const prefix = freshPrefix('custody');
  try {
    await scenario(new PostgresStorage(pool, { tablePrefix: prefix }), { restart: true });
  } finally {
    await pool.end();
    await dropTables(prefix);
  }
});
