// System 4 through the SDK: PosTerminal against the reference acquirer over real loopback HTTP,
// state in files; the acquirer misbehaves (slow, failing, declining, answering twice, dropping the
// connection after committing) and is restarted mid-queue; listeners; drop refused while payments
// wait; the code list against docs/pos.md.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { FileStorage, MemoryStorage, POS_CODES, PosAcquirer, PosStore, PosTerminal, httpAcquirerClient } from '@countersign/sdk';

const KEY = new Uint8Array(32).fill(5);
const config = {
  terminalId: 'hall-b-2',
  offline: {
    currencies: [{ currency: 'EUR', paymentMax: '50.00', totalMax: '120.00' }],
    countMax: 10,
    maxAgeMs: 3_600_000,
    floorLimits: [{ cardType: 'visa', currency: 'EUR', amount: '40.00' }],
  },
  outbox: { deadlineMs: 86_400_000, nearingMs: 3_600_000, backoffBaseMs: 1000, backoffMaxMs: 60_000 },
};
const pay = (key, amount, cardToken = '4111111111111111') => ({ idempotencyKey: key, amount, currency: 'EUR', cardToken, cardType: 'visa' });

test('store offline, forward through a misbehaving acquirer that restarts mid-queue: each payment once', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pos-'));
  let now = 1_800_000_000_000;
  const clock = () => now;
  let acquirer = await PosAcquirer.start({ storage: new FileStorage(path.join(root, 'acq')) });
  const port = Number(new URL(acquirer.url).port);
  const events = [];
  const open = () => PosTerminal.open({ storage: new FileStorage(path.join(root, 'till')), snapshotKey: KEY, config, acquirer: httpAcquirerClient(acquirer.url, { timeoutMs: 1000 }), clock, random: () => 0 });
  const listen = (t) => {
    for (const name of ['statusChange', 'paymentStored', 'paymentForwarded', 'paymentFailed', 'nearingDeadline']) {
      t.on(name, (e) => events.push([name, e.idempotencyKey ?? e.to]));
    }
    return t;
  };
  let terminal = listen(await open());
  try {
    // Online first: approved online, not stored.
    const online = await terminal.takePayment(pay('p0', '5.00'), 'auto');
    assert.equal(online.status, 'approved');
    // The link goes: stored, with its limits.
    terminal.observe({ kind: 'osOffline', atMs: now });
    assert.equal((await terminal.takePayment(pay('p1', '30.00'), 'requireOnline')).status, 'refused');
    for (const [key, amount] of [['p1', '30.00'], ['p2', '40.00'], ['p3', '20.00']]) {
      const out = await terminal.takePayment(pay(key, amount, `card-${key}`), 'auto');
      assert.equal(out.status, 'stored', key);
      assert.equal(out.route.code, 'STORE_OFFLINE');
    }
    assert.deepEqual(await terminal.takePayment(pay('p4', '40.01', 'card-x'), 'auto'), { status: 'refused', code: 'FLOOR_LIMIT_EXCEEDED', route: { code: 'STORE_OFFLINE', network: 'offline' } });
    assert.equal((await terminal.takePayment(pay('p4', '30.01', 'card-x'), 'auto')).code, 'TOTAL_LIMIT_REACHED');
    // A restart of the terminal: the queue is there (files).
    await terminal.close();
    terminal = listen(await open());
    assert.equal(terminal.status().pendingCount, 3);
    // The acquirer drops the connection after committing p1, fails once, then answers twice.
    acquirer.behave({ dropAfterCommitNext: 1 });
    now += 1000;
    let r = await terminal.flush();
    assert.equal(r.stoppedBy, 'RETRY_SCHEDULED');
    assert.equal(terminal.exportQueue().entries[0].state, 'stored');
    acquirer.behave({ failNext: 1 });
    now += 100;
    assert.equal((await terminal.forwardDue()).stoppedBy, 'NOT_DUE', 'the backoff holds (500 ms with jitter 0)');
    r = await terminal.flush();
    assert.equal(r.stoppedBy, 'RETRY_SCHEDULED');
    // The acquirer restarts (same files) with p1 committed; the resend gets the committed answer.
    await acquirer.close();
    acquirer = await PosAcquirer.start({ storage: new FileStorage(path.join(root, 'acq')), port });
    acquirer.behave({ answerTwice: true, slowMs: 20 });
    now += 120_000;
    // The first request after the restart may meet the old server's pooled connection, closed:
    // no answer, a retry (as a real terminal would see); the outbox goes on.
    let forwarded = 0;
    for (let i = 0; i < 3 && r.stoppedBy !== 'NOTHING_TO_FORWARD'; i++) {
      r = await terminal.forwardDue();
      forwarded += r.forwarded;
      now += 120_000;
    }
    r = { forwarded, stoppedBy: r.stoppedBy };
    assert.deepEqual([r.forwarded, r.stoppedBy], [3, 'NOTHING_TO_FORWARD']);
    const q = terminal.exportQueue();
    assert.equal(q.chainValid, true);
    assert.deepEqual(q.entries.map((e) => [e.idempotencyKey, e.state]), [['p1', 'forwardedApproved'], ['p2', 'forwardedApproved'], ['p3', 'forwardedApproved']]);
    const p1 = await acquirer.record('hall-b-2', 'p1');
    assert.ok(p1.deliveries >= 3, 'p1 was delivered several times');
    const totals = await acquirer.totals();
    assert.equal(totals.payments, 4, 'p0 online and p1..p3 forwarded, each once');
    assert.equal(totals.approvedMinor.get('EUR'), 9500n);
    assert.equal(q.totals[0].approvedAmount, '90.00', 'the terminal records what it forwarded');
    assert.ok(events.some(([n, k]) => n === 'paymentForwarded' && k === 'p3'));
    assert.ok(events.some(([n]) => n === 'statusChange'));
    // The same key with another payment: the acquirer says 409, the terminal fails it for good.
    terminal.observe({ kind: 'osOffline', atMs: now });
    const conflict = await terminal.takePayment(pay('p0', '6.00'), 'forceOffline');
    assert.equal(conflict.status, 'stored');
    r = await terminal.flush();
    assert.equal(terminal.exportQueue().entries.at(-1).state, 'failedPermanently');
    assert.ok(events.some(([n, k]) => n === 'paymentFailed' && k === 'p0'));
  } finally {
    await terminal.close().catch(() => {});
    await acquirer.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('online or store: a failed online call stores under the same key; nearing deadline; drop refused while payments wait', async () => {
  let now = 1_800_000_000_000;
  const storage = new MemoryStorage();
  let up = false;
  const seen = [];
  const acquirer = {
    authorise: async (req) => { seen.push(['authorise', req.idempotencyKey]); if (!up) throw new Error('no route'); return { result: 'approved', code: 'A1' }; },
    forward: async (req) => { seen.push(['forward', req.idempotencyKey]); if (!up) throw new Error('no route'); return { result: 'declined', code: '51' }; },
  };
  const terminal = await PosTerminal.open({ storage, snapshotKey: KEY, config, acquirer, clock: () => now, random: () => 4294967295 });
  const nearing = [];
  terminal.on('nearingDeadline', (e) => nearing.push(e.idempotencyKey));
  const out = await terminal.takePayment(pay('q1', '10.00'), 'preferOnline');
  assert.equal(out.status, 'stored');
  assert.equal(out.fallback, true);
  const store = new PosStore(storage, KEY);
  await assert.rejects(store.drop('hall-b-2'), (e) => e.param === 'terminalId' && /OUTBOX_NOT_EMPTY/.test(e.message));
  now += 86_400_000 - 3_600_000;
  await terminal.tick();
  assert.deepEqual(nearing, ['q1']);
  up = true;
  const r = await terminal.flush();
  assert.equal(r.forwarded, 1);
  assert.deepEqual(seen, [['authorise', 'q1'], ['forward', 'q1']]);
  assert.equal(terminal.exportQueue().entries[0].state, 'forwardedDeclined');
  await terminal.close();
  assert.equal(await store.drop('hall-b-2'), true);
});

test('every code is in docs/pos.md', () => {
  const docs = readFileSync(new URL('../../docs/pos.md', import.meta.url), 'utf8');
  const core = readFileSync(new URL('../../core/src/pos/mod.rs', import.meta.url), 'utf8');
  for (const code of POS_CODES) assert.ok(core.includes(`"${code}"`), code);
  for (const code of ['ALREADY_STORED', 'CURRENCY_NOT_OFFLINE', 'QUEUE_TOO_OLD', 'CARD_TYPE_NOT_OFFLINE', 'FLOOR_LIMIT_EXCEEDED', 'PAYMENT_LIMIT_EXCEEDED', 'COUNT_LIMIT_REACHED', 'TOTAL_LIMIT_REACHED', 'CARD_COUNT_LIMIT_REACHED', 'CARD_TOTAL_LIMIT_REACHED', 'STORED', 'ONLINE', 'ONLINE_OR_STORE', 'STORE_OFFLINE', 'STORE_DEGRADED', 'STORE_FORCED', 'REFUSED_OFFLINE']) {
    assert.ok(docs.includes(`\`${code}\``), `docs/pos.md names ${code}`);
  }
});
