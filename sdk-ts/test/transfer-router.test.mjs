// System 7's router over real HTTP on 127.0.0.1: provider A's book (a TransferRouter) sends
// transfers to two simulated providers B (transfer-providers.mjs: their own formats, their own
// SDK Ledgers) through faults — 5xx answers, a timeout after B committed, a duplicate callback,
// a decline — and through a restart: the router in a child process (its book in PostgreSQL when
// a test server is set up, else in files) is SIGKILLed at each step and started again on the same
// store. Every transfer ends committed on both sides or on neither, never one: A's payer is
// debited amount + fee exactly when B's payee is credited the amount, once.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FileStorage, MemoryStorage, PostgresStorage, TransferBookStore, TransferRouter } from '@countersign/sdk';
import { fspiopFormat, startProvider } from './transfer-providers.mjs';
import { SKIP_NO_SERVER, dropTables, freshPrefix, testPool } from './postgres-server.mjs';
import { ROUTER_KEY } from './transfer-router-worker.mjs';

const WORKER = fileURLToPath(new URL('./transfer-router-worker.mjs', import.meta.url));
const WAIT_MS = 30_000;
const work = mkdtempSync(join(tmpdir(), 'countersign-transfer-router-'));
after(() => rmSync(work, { recursive: true, force: true }));

async function router(providers, options = {}) {
  const r = await TransferRouter.start({
    storage: options.storage ?? new MemoryStorage(),
    snapshotKey: ROUTER_KEY,
    bookId: 'providerA',
    currency: 'EUR',
    providers,
    fee: '0.50',
    quoteTtlS: 30,
    marginS: 10,
    requestTimeoutMs: 300,
    retryPauseMs: 20,
    ...options,
  });
  await r.openAccount('alice');
  await r.fund('fund-alice', 'alice', '100');
  return r;
}
const order = (transferId, providerId, amount = '10', payeeAccount = 'bob') => ({ transferId, payerAccountId: 'alice', providerId, payeeAccount, amount });

test('two providers, each in its own format: a transfer commits on both sides', async () => {
  const plain = await startProvider({ format: 'plain' });
  const fsp = await startProvider({ format: 'fspiop' });
  const r = await router({ plain: { url: plain.url }, fsp: { url: fsp.url, format: fspiopFormat } });
  try {
    assert.equal((await r.transfer(order('t1', 'plain', '10'))).state, 'committed');
    assert.equal((await r.transfer(order('t2', 'fsp', '2.50', 'carol'))).state, 'committed');
    assert.equal(plain.credited('bob'), '10.00');
    assert.equal(fsp.credited('carol'), '2.50');
    assert.equal(r.book.account('alice').balance, '86.50'); // 100 − 10 − 2.50 − 2 × 0.50
    assert.equal(r.book.account('provider:plain').balance, '10.00');
    assert.equal(r.book.account('provider:fsp').balance, '2.50');
    assert.equal(r.book.account('fees').balance, '1.00');
    // The same order again is answered from the book: nothing moves twice.
    assert.equal((await r.transfer(order('t1', 'plain', '10'))).state, 'committed');
    assert.equal(plain.credited('bob'), '10.00');
    assert.equal(plain.seen.quotes, 1);
    r.book.checkInvariants();
  } finally {
    await r.close();
    await plain.close();
    await fsp.close();
  }
});

test('faults: 5xx answers, a timeout after B committed, a duplicate callback, a decline', async () => {
  let r;
  const b = await startProvider({ format: 'plain', callbackUrl: () => `http://127.0.0.1:${r.port}` });
  r = await router({ b: { url: b.url } });
  try {
    b.faults.fail5xx = 2; // the quote's first two attempts
    assert.equal((await r.transfer(order('t5xx', 'b', '1'))).state, 'committed');
    b.faults.hangAfterCommit = 3; // B credits, its answer is lost three times: the router asks again until the deadline
    assert.equal((await r.transfer(order('tHang', 'b', '2'))).state, 'committed');
    assert.equal(b.credited('bob'), '3.00', 'credited once each');
    b.faults.duplicateCallback = true;
    assert.equal((await r.transfer(order('tDup', 'b', '4'))).state, 'committed');
    for (let i = 0; i < 100 && b.seen.callbacks.length < 2; i++) await new Promise((ok) => setTimeout(ok, 20));
    assert.deepEqual(b.seen.callbacks.map((c) => c.answer?.code), ['COMMITTED', 'COMMITTED']);
    assert.equal(b.seen.callbacks.filter((c) => c.answer.repeated === false).length <= 1, true, 'at most one callback decided anything');
    b.faults.duplicateCallback = false;
    b.faults.decline = true;
    const declined = await r.transfer(order('tNo', 'b', '5'));
    assert.equal(declined.state, 'aborted');
    assert.equal(b.credited('bob'), '7.00');
    assert.equal(r.book.account('alice').balance, '91.50'); // 100 − 7 − 3 × 0.50
    assert.equal(r.book.account('alice').available, '91.50', 'the declined transfer released amount and fee');
    r.book.checkInvariants();
  } finally {
    await r.close();
    await b.close();
  }
});

/** Runs the worker once; resolves with its printed result, or { killed } when it SIGKILLed itself. */
function runWorker(job) {
  const child = spawn(process.execPath, [WORKER], {
    env: { ...process.env, COUNTERSIGN_TRANSFER_ROUTER_WORKER: JSON.stringify(job) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => { out += chunk; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('the router worker did not finish in time')); }, WAIT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (signal === 'SIGKILL') resolve({ killed: true });
      else if (code === 0 && line) resolve(JSON.parse(line));
      else reject(new Error(`the router worker exited with ${code}: ${out}`));
    });
  });
}

const backends = [
  { label: 'files', skip: false, where: (step) => ({ dir: mkdtempSync(join(work, `${step}-`)) }), open: (w) => new FileStorage(w.dir), cleanup: async () => {} },
  {
    label: 'PostgreSQL',
    skip: SKIP_NO_SERVER,
    where: () => ({ pgPrefix: freshPrefix('transfer') }),
    open: (w) => new PostgresStorage(testPool({ max: 1 }), { tablePrefix: w.pgPrefix }),
    cleanup: (w) => dropTables(w.pgPrefix),
  },
];

for (const backend of backends) {
  test(`a router killed at each step (${backend.label}) completes or aborts the transfer, never both`, { skip: backend.skip }, async () => {
    const plain = await startProvider({ format: 'plain' });
    const fsp = await startProvider({ format: 'fspiop' });
    const providers = { plain: { url: plain.url }, fsp: { url: fsp.url, format: 'fspiop' } };
    try {
      let expectedBob = 0;
      for (const [i, step] of ['quoted', 'reserved', 'sent', 'committed'].entries()) {
        const where = backend.where(step);
        const providerId = i % 2 === 0 ? 'plain' : 'fsp';
        const b = providerId === 'plain' ? plain : fsp;
        const job = { ...where, providers, order: order(`k-${step}`, providerId, '3') };
        assert.deepEqual(await runWorker({ ...job, killAt: step }), { killed: true }, `${step}: the worker died there`);
        const { view, alice } = await runWorker(job);
        assert.equal(view.state, 'committed', `${step}: finished after the restart`);
        assert.equal(alice.balance, '96.50', `${step}: the payer paid amount + fee once`);
        expectedBob += 3;
        assert.equal(Number(plain.credited('bob')) + Number(fsp.credited('bob')), expectedBob, `${step}: B credited once`);
        const storage = backend.open(where);
        const book = await new TransferBookStore(storage, ROUTER_KEY).load('providerA');
        book.checkInvariants();
        assert.equal(book.transfer(`k-${step}`).state, 'committed');
        book.free();
        await storage.close();
        await backend.cleanup(where);
      }
      // Killed after reserving while B declines: aborted on A's side, nothing credited at B.
      const where = backend.where('decline');
      const fspBefore = fsp.credited('bob');
      fsp.faults.decline = true;
      const job = { ...where, providers, order: order('k-decline', 'fsp', '3') };
      assert.deepEqual(await runWorker({ ...job, killAt: 'reserved' }), { killed: true });
      const declined = await runWorker(job);
      assert.equal(declined.view.state, 'aborted');
      assert.equal(declined.alice.available, '100.00', 'amount and fee released');
      assert.equal(fsp.credited('bob'), fspBefore, 'B credited nothing');
      await backend.cleanup(where);
      // Killed after reserving, and B is gone when the router comes back: the reservation is
      // released at the book's deadline (B could no longer credit after its earlier one).
      const gone = backend.where('gone');
      const plainBefore = plain.credited('bob');
      const job2 = { ...gone, providers, order: order('k-gone', 'plain', '3'), quoteTtlS: 3, marginS: 1 };
      assert.deepEqual(await runWorker({ ...job2, killAt: 'reserved' }), { killed: true });
      const expired = await runWorker({ ...job2, providers: { plain: { url: 'http://127.0.0.1:9' }, fsp: providers.fsp } });
      assert.equal(expired.view.state, 'expired');
      assert.equal(expired.alice.available, '100.00');
      assert.equal(plain.credited('bob'), plainBefore, 'B credited nothing');
      await backend.cleanup(gone);
    } finally {
      await plain.close();
      await fsp.close();
    }
  });
}
