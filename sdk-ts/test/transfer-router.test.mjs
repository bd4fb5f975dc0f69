// System 7's router over real HTTP on 127.0.0.1: provider A's book (a TransferRouter) sends
// transfers to simulated providers B (transfer-providers.mjs: ISO 20022 XML or FSPIOP JSON read
// with transferParse, their own SDK Ledgers and keys). The messages are the core's format
// adapters' (checked here to parse back to the instruction, the pain.001 one against the XSD);
// every request and answer is a signed envelope, and forged, altered, replayed, wrongly-typed and
// unbound answers and callbacks are refused, recorded and never acted on. Then faults — 5xx
// answers, a timeout after B committed, a duplicate callback, a decline — and a restart: the
// router in a child process (its book in PostgreSQL when a test server is set up, else in files)
// is SIGKILLed at each step and started again on the same store. Every transfer ends committed on
// both sides or on neither, never one: A's payer is debited amount + fee exactly when B's payee is
// credited the amount, once.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  FileStorage, MemoryStorage, PostgresStorage, TransferBookStore, TransferRouter, generateKeyPair,
  transferCheckInstruction, transferParse, transferWithLosses,
} from '@countersign/sdk';
import { startProvider } from './transfer-providers.mjs';
import { SKIP_NO_SERVER, dropTables, freshPrefix, testPool } from './postgres-server.mjs';
import { ROUTER_KEY, ROUTER_SIGNING, routerKeys } from './transfer-router-worker.mjs';
import { repoRoot } from './helpers.mjs';

const WORKER = fileURLToPath(new URL('./transfer-router-worker.mjs', import.meta.url));
const WAIT_MS = 30_000;
const work = mkdtempSync(join(tmpdir(), 'countersign-transfer-router-'));
after(() => rmSync(work, { recursive: true, force: true }));

const provider = (b, format) => ({ url: b.url, format, keys: b.keys });
async function router(providers, options = {}) {
  const r = await TransferRouter.start({
    storage: options.storage ?? new MemoryStorage(),
    snapshotKey: ROUTER_KEY,
    bookId: 'providerA',
    currency: 'EUR',
    signingKey: { keyId: ROUTER_SIGNING.keyId, secretKey: ROUTER_SIGNING.secretKey.slice() },
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
const order = (transferId, providerId, amount = '10', payeeAccount = 'bob', extra = {}) => ({ transferId, payerAccountId: 'alice', providerId, payeeAccount, amount, ...extra });
const until = async (done) => {
  for (let i = 0; i < 250 && !done(); i++) await new Promise((ok) => setTimeout(ok, 20));
  assert.ok(done(), 'waited 5 s');
};

function painSchema() {
  const lib = fileURLToPath(new URL('.cache/pyenv/lib/', repoRoot));
  for (const v of existsSync(lib) ? readdirSync(lib).filter((d) => d.startsWith('python3')) : []) {
    const p = join(lib, v, 'site-packages/sepaxml/schemas/pain.001.001.09.xsd');
    if (existsSync(p)) return p;
  }
  throw new Error('pain.001.001.09.xsd not found under .cache/pyenv: run bash scripts/bootstrap.sh (it installs sepaxml)');
}

test('three providers in the core formats: the bytes each received parse back to the instruction; the pain.001 passes the XSD', async () => {
  const pain = await startProvider({ kind: 'iso', routerKeys });
  const pacs = await startProvider({ kind: 'iso', routerKeys });
  const fsp = await startProvider({ kind: 'fspiop', routerKeys });
  const r = await router({ pain: provider(pain, 'pain.001.001.09'), pacs: provider(pacs, 'pacs.008.001.08'), fsp: provider(fsp, 'fspiop-quote') });
  try {
    assert.equal((await r.transfer(order('t1', 'pain', '10', 'bob', { payerName: 'Ærø Bikes & Co', payeeName: 'Bob Müller', remittance: 'Invoice 7' }))).state, 'committed');
    assert.equal((await r.transfer(order('t2', 'fsp', '2.5', 'carol'))).state, 'committed');
    assert.equal((await r.transfer(order('t3', 'pacs', '1', 'bob', { payeeName: 'Zoë <Ltd>' }))).state, 'committed');
    assert.equal(pain.credited('bob'), '10.00');
    assert.equal(fsp.credited('carol'), '2.50');
    assert.equal(pacs.credited('bob'), '1.00');
    assert.equal(r.book.account('alice').balance, '85.00'); // 100 − 10 − 2.50 − 1 − 3 × 0.50
    assert.equal(r.book.account('fees').balance, '1.50');
    for (const [b, id, format, contentType] of [[pain, 't1', 'pain.001.001.09', 'application/xml'], [fsp, 't2', 'fspiop-quote', 'application/vnd.interop.quotes+json;version=1.1'], [pacs, 't3', 'pacs.008.001.08', 'application/xml']]) {
      const route = await r.route(id);
      assert.equal(route.format, format);
      const expected = transferWithLosses(transferCheckInstruction(route.instruction), route.losses);
      assert.deepEqual(b.seen.received.map((m) => m.path), ['/quotes', '/transfers'], `${id}: one quote, one transfer`);
      for (const m of b.seen.received) {
        assert.equal(m.body, route.message, `${id}: B received the router's message`);
        assert.equal(m.contentType, contentType);
        assert.deepEqual(transferParse(format, m.body), expected, `${id}: the bytes B received parse back to the instruction`);
        assert.equal(m.instruction.creditor.account, route.payeeAccount);
      }
    }
    // The loss reports are the router's record, surfaced: ISO 20022 drops the provider ids and
    // transliterates; FSPIOP keeps them.
    const painLosses = (await r.route('t1')).losses;
    assert.deepEqual(painLosses.map((l) => `${l.field}:${l.kinds.join('+')}`), ['debtor.name:transliterated', 'debtor.provider:dropped', 'creditor.name:transliterated', 'creditor.provider:dropped']);
    assert.ok(painLosses.some((l) => l.field === 'debtor.name' && l.delivered === 'AEro Bikes + Co'), JSON.stringify(painLosses));
    assert.ok(painLosses.some((l) => l.field === 'creditor.provider' && l.kinds.includes('dropped')));
    assert.equal((await r.route('t2')).losses.some((l) => l.field.endsWith('.provider')), false);
    assert.equal(await r.route('nope'), null);
    // The pain.001 the router sent validates against the official XSD.
    const file = join(work, 'sent-pain001.xml');
    writeFileSync(file, pain.seen.received[1].body);
    const lint = spawnSync('xmllint', ['--noout', '--schema', painSchema(), file], { encoding: 'utf8' });
    assert.equal(lint.error, undefined, 'xmllint runs (bash scripts/bootstrap.sh installs it)');
    assert.equal(lint.status, 0, `${lint.stdout}${lint.stderr}`);
    // The same order again is answered from the book: nothing moves twice.
    assert.equal((await r.transfer(order('t1', 'pain', '10'))).state, 'committed');
    assert.equal(pain.credited('bob'), '10.00');
    assert.equal(pain.seen.quotes, 1);
    assert.deepEqual(r.rejections(), []);
    r.book.checkInvariants();
  } finally {
    await r.close();
    await pain.close();
    await pacs.close();
    await fsp.close();
  }
});

test('a mapping that would change a required field is refused before anything is sent', async () => {
  const pain = await startProvider({ kind: 'iso', routerKeys });
  const fsp = await startProvider({ kind: 'fspiop', routerKeys });
  const r = await router({ pain: provider(pain, 'pain.001.001.09'), fsp: provider(fsp, 'fspiop-quote') });
  try {
    // An e-mail account: pain.001's Othr/Id is SEPA Latin ('@' → '.': replaced), FSPIOP has EMAIL.
    await assert.rejects(r.transfer(order('tMail', 'pain', '1', 'bob@example.com')), (e) => {
      assert.equal(e.code, 'INVALID_ARGUMENT');
      assert.equal(e.param, 'order.payeeAccount');
      assert.match(e.message, /creditor\.account replaced/);
      return true;
    });
    assert.equal(pain.seen.quotes + pain.seen.transfers, 0, 'nothing was sent');
    assert.equal(await r.route('tMail'), null, 'nothing was recorded');
    assert.equal(r.book.transfer('tMail'), undefined);
    // Not a format's fault, the order's: an id no message can carry.
    await assert.rejects(r.transfer(order('t_1', 'pain')), (e) => e.code === 'INVALID_ARGUMENT' && e.param === 'order.transferId');
  } finally {
    await r.close();
    await pain.close();
    await fsp.close();
  }
});

test('answers that are forged, unknown-key, altered, wrongly typed, replayed or unbound are refused, recorded, never acted on', async () => {
  const b = await startProvider({ kind: 'iso', routerKeys });
  const r = await router({ b: provider(b, 'pacs.008.001.08') });
  try {
    assert.equal((await r.transfer(order('tOk', 'b', '1'))).state, 'committed');
    // Each spoiled answer says ABORTED: acted on, the next transfer would abort.
    b.faults.spoil = ['forged', 'unknownKey', 'altered', 'wrongType', 'replayed', 'unbound'];
    assert.equal((await r.transfer(order('tSpoiled', 'b', '2'))).state, 'committed');
    assert.deepEqual(r.rejections().map((x) => [x.path, x.transferId, x.providerId, x.code]), [
      ['/transfers', 'tSpoiled', 'b', 'BAD_SIGNATURE'],
      ['/transfers', 'tSpoiled', 'b', 'UNKNOWN_KEY'],
      ['/transfers', 'tSpoiled', 'b', 'BAD_SIGNATURE'],
      ['/transfers', 'tSpoiled', 'b', 'WRONG_TYPE'],
      ['/transfers', 'tSpoiled', 'b', 'REPLAYED'],
      ['/transfers', 'tSpoiled', 'b', 'ANSWER_MISMATCH'],
    ]);
    assert.equal(b.credited('bob'), '3.00', 'credited once each');
    assert.equal(r.book.account('alice').balance, '96.00');
    // A provider only trusts the router's key: a request sealed by another is refused by B.
    const stranger = await TransferRouter.start({
      storage: new MemoryStorage(), snapshotKey: ROUTER_KEY, bookId: 'mallory', currency: 'EUR', callbacks: false,
      signingKey: { keyId: ROUTER_SIGNING.keyId, secretKey: generateKeyPair('EdDSA').secretKey }, providers: { b: provider(b, 'pacs.008.001.08') },
      requestTimeoutMs: 300, retryPauseMs: 0,
    });
    try {
      await stranger.openAccount('m');
      await stranger.fund('f', 'm', '5');
      await assert.rejects(stranger.transfer({ transferId: 'tM', payerAccountId: 'm', providerId: 'b', payeeAccount: 'bob', amount: '1' }), /gave no quote/);
      assert.ok(b.seen.refused.includes('BAD_SIGNATURE'));
    } finally {
      await stranger.close();
    }
    r.book.checkInvariants();
  } finally {
    await r.close();
    await b.close();
  }
});

test('the last sequence number accepted from a provider survives a restart: an old answer replayed to the new process is REPLAYED', async () => {
  const b = await startProvider({ kind: 'iso', routerKeys });
  const storage = new MemoryStorage();
  const first = await router({ b: provider(b, 'pain.001.001.09') }, { storage, callbacks: false });
  let second;
  try {
    assert.equal((await first.transfer(order('tBefore', 'b', '1'))).state, 'committed');
    await first.close();
    second = await TransferRouter.start({
      storage, snapshotKey: ROUTER_KEY, bookId: 'providerA', currency: 'EUR', callbacks: false,
      signingKey: { keyId: ROUTER_SIGNING.keyId, secretKey: ROUTER_SIGNING.secretKey.slice() }, providers: { b: provider(b, 'pain.001.001.09') },
      quoteTtlS: 30, marginS: 10, requestTimeoutMs: 300, retryPauseMs: 20,
    });
    // Without the stored sequence number the replay would get past the envelope's check and be
    // caught only by its binding (ANSWER_MISMATCH); with it, the envelope itself is refused.
    b.faults.spoil = ['replayed'];
    assert.equal((await second.transfer(order('tAfter', 'b', '2'))).state, 'committed');
    assert.deepEqual(second.rejections().map((x) => x.code), ['REPLAYED']);
    assert.equal(b.credited('bob'), '3.00');
  } finally {
    await second?.close();
    await b.close();
  }
});

test('callbacks: forged, altered, wrongly typed and replayed ones are refused with a code and never commit', async () => {
  let r;
  const b = await startProvider({ kind: 'fspiop', routerKeys, callbackUrl: () => `http://127.0.0.1:${r.port}` });
  r = await router({ b: provider(b, 'fspiop-quote') });
  try {
    b.faults.hangAfterCommit = 1_000; // B credits and never answers: only a callback can commit
    const pending = r.transfer(order('tCb', 'b', '4'));
    await until(() => b.answers.get('tCb') !== undefined);
    const answer = b.answers.get('tCb');
    assert.equal(answer.state, 'COMMITTED');
    const put = async (bytes) => {
      const res = await fetch(`http://127.0.0.1:${r.port}/callbacks/tCb`, { method: 'PUT', headers: { 'content-type': 'application/countersign-envelope' }, body: bytes });
      return { status: res.status, ...(await res.json()) };
    };
    const altered = b.seal('transfer.answer', answer);
    altered[altered.length - 1] ^= 0x01;
    assert.deepEqual(await put(b.seal('transfer.answer', answer, generateKeyPair('EdDSA').secretKey)), { status: 403, error: 'refused', code: 'BAD_SIGNATURE' });
    assert.deepEqual(await put(altered), { status: 403, error: 'refused', code: 'BAD_SIGNATURE' });
    assert.deepEqual(await put(b.seal('transfer.quote-answer', answer)), { status: 403, error: 'refused', code: 'WRONG_TYPE' });
    assert.deepEqual(await put(b.seal('transfer.answer', { ...answer, transferId: 'other' })), { status: 403, error: 'refused', code: 'ANSWER_MISMATCH' });
    assert.equal(r.book.transfer('tCb').state, 'reserved', 'nothing refused was acted on');
    const good = b.seal('transfer.answer', answer);
    assert.deepEqual(await put(good), { status: 200, code: 'COMMITTED', repeated: false });
    assert.deepEqual(await put(good), { status: 403, error: 'refused', code: 'REPLAYED' });
    assert.equal((await pending).state, 'committed');
    assert.deepEqual(r.rejections().filter((x) => x.path === '/callbacks').map((x) => x.code), ['BAD_SIGNATURE', 'BAD_SIGNATURE', 'WRONG_TYPE', 'ANSWER_MISMATCH', 'REPLAYED']);
    assert.equal(b.credited('bob'), '4.00');
    r.book.checkInvariants();
  } finally {
    await r.close();
    await b.close();
  }
});

test('faults: 5xx answers, a timeout after B committed, a duplicate callback, a decline', async () => {
  let r;
  const b = await startProvider({ kind: 'iso', routerKeys, callbackUrl: () => `http://127.0.0.1:${r.port}` });
  r = await router({ b: provider(b, 'pain.001.001.09') });
  try {
    b.faults.fail5xx = 2; // the quote's first two attempts
    assert.equal((await r.transfer(order('t5xx', 'b', '1'))).state, 'committed');
    b.faults.hangAfterCommit = 3; // B credits, its answer is lost three times: the router asks again until the deadline
    assert.equal((await r.transfer(order('tHang', 'b', '2'))).state, 'committed');
    assert.equal(b.credited('bob'), '3.00', 'credited once each');
    b.faults.duplicateCallback = true;
    assert.equal((await r.transfer(order('tDup', 'b', '4'))).state, 'committed');
    await until(() => b.seen.callbacks.length >= 2);
    // Two callbacks sealed after the answer: each accepted in order (the second repeats the commit),
    // or, when one overtook the answer, that answer is refused as REPLAYED and the callback commits.
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

const forWorker = (b, format) => ({ url: b.url, format, keys: b.keys.map((k) => ({ ...k, publicKey: Buffer.from(k.publicKey).toString('hex') })) });

for (const backend of backends) {
  test(`a router killed at each step (${backend.label}) completes or aborts the transfer, never both`, { skip: backend.skip }, async () => {
    const iso = await startProvider({ kind: 'iso', routerKeys });
    const fsp = await startProvider({ kind: 'fspiop', routerKeys });
    const providers = { iso: forWorker(iso, 'pain.001.001.09'), fsp: forWorker(fsp, 'fspiop-quote') };
    try {
      let expectedBob = 0;
      for (const [i, step] of ['quoted', 'reserved', 'sent', 'committed'].entries()) {
        const where = backend.where(step);
        const providerId = i % 2 === 0 ? 'iso' : 'fsp';
        const job = { ...where, providers, order: order(`k-${step}`, providerId, '3') };
        assert.deepEqual(await runWorker({ ...job, killAt: step }), { killed: true }, `${step}: the worker died there`);
        const { view, alice, rejections } = await runWorker(job);
        assert.equal(view.state, 'committed', `${step}: finished after the restart`);
        assert.equal(alice.balance, '96.50', `${step}: the payer paid amount + fee once`);
        assert.deepEqual(rejections, [], `${step}: every answer opened`);
        expectedBob += 3;
        assert.equal(Number(iso.credited('bob')) + Number(fsp.credited('bob')), expectedBob, `${step}: B credited once`);
        const storage = backend.open(where);
        const book = await new TransferBookStore(storage, ROUTER_KEY).load('providerA');
        book.checkInvariants();
        assert.equal(book.transfer(`k-${step}`).state, 'committed');
        book.free();
        await storage.close();
        await backend.cleanup(where);
      }
      assert.deepEqual([...iso.seen.refused, ...fsp.seen.refused], [], 'B accepted every request of the restarted routers');
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
      const isoBefore = iso.credited('bob');
      const job2 = { ...gone, providers, order: order('k-gone', 'iso', '3'), quoteTtlS: 3, marginS: 1 };
      assert.deepEqual(await runWorker({ ...job2, killAt: 'reserved' }), { killed: true });
      const expired = await runWorker({ ...job2, providers: { iso: { ...providers.iso, url: 'http://127.0.0.1:9' }, fsp: providers.fsp } });
      assert.equal(expired.view.state, 'expired');
      assert.equal(expired.alice.available, '100.00');
      assert.equal(iso.credited('bob'), isoBefore, 'B credited nothing');
      await backend.cleanup(gone);
    } finally {
      await iso.close();
      await fsp.close();
    }
  });
}
