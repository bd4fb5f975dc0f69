// System 9's management server over a real WebSocket on 127.0.0.1 (AlarmDeliveryServer, the `ws`
// package), its router in FileStorage (and, for the two kills, in PostgresStorage too: skipped,
// saying why, without a test server), in a child process that is SIGKILLed mid-escalation and
// started again on the same files: no alarm is lost, and no delivery reaches a terminal twice
// unless marked (`resend` for the same deliveryId, the core's `repeat` for a new delivery of an
// alarm the recipient had). The stored audit log covers both lives of the server and verifies.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { AlarmRouterStore, FileStorage, PostgresStorage, verifyAlarmAudit } from '@countersign/sdk';
import { SKIP_NO_SERVER, dropTables, freshPrefix, testPool } from './postgres-server.mjs';
import { DOSE_SERVER_KEY, DOSE_SERVER_SETUP, DOSE_SERVER_TOKENS } from './dose-server-worker.mjs';

const WORKER = fileURLToPath(new URL('./dose-server-worker.mjs', import.meta.url));
const WAIT_MS = 15_000;
const work = mkdtempSync(join(tmpdir(), 'countersign-dose-server-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** Starts the server in a child; resolves with { child, port, exited }. */
function startServer(where, options = {}) {
  const at = typeof where === 'string' ? { dir: where } : where; // a directory, or a backend's options
  const child = spawn(process.execPath, [WORKER], {
    env: { ...process.env, COUNTERSIGN_DOSE_SERVER_WORKER: JSON.stringify({ ...at, ...options }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the server did not start')), WAIT_MS);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        resolve({ child, port: JSON.parse(line).port, exited });
      }
    });
  });
}

/** A terminal: connects, says hello, records every message; answers receipts when `autoReceipt`. */
async function terminal(port, recipientId, { autoReceipt = true, log, hello = {} } = {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const t = { ws, messages: [], autoReceipt, waiters: [] };
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString());
    t.messages.push(m);
    log?.push({ recipientId, ...m });
    if (m.type === 'alarm' && t.autoReceipt) ws.send(JSON.stringify({ type: 'receipt', deliveryId: m.delivery.deliveryId }));
    for (const w of [...t.waiters]) if (w.match(m)) {
      t.waiters.splice(t.waiters.indexOf(w), 1);
      w.resolve(m);
    }
  });
  ws.on('error', () => undefined);
  t.next = (match) => {
    const found = t.messages.find((m) => match(m) && !m.taken);
    if (found) {
      found.taken = true;
      return Promise.resolve(found);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${recipientId}: no message matched in time; got ${JSON.stringify(t.messages)}`)), WAIT_MS);
      t.waiters.push({ match, resolve: (m) => { clearTimeout(timer); m.taken = true; resolve(m); } });
    });
  };
  ws.send(JSON.stringify({ type: 'hello', recipientId, token: DOSE_SERVER_TOKENS[recipientId], ...hello }));
  await t.next((m) => m.type === 'welcome');
  return t;
}

const signal = (signalId) => ({
  signalId, kind: 'urgent-low', priority: 'high', direction: 'low', atMs: Date.now(), reason: 'glucose 48 mg/dL', evidence: '{"mgdl":[61,55,48]}',
});

/** Every alarm message a recipient got: a deliveryId seen before must be marked resend, a new delivery of an alarm it had must be marked repeat. */
function assertNothingTwiceUnmarked(log) {
  const seen = new Map(); // recipient -> { ids: Set, alarms: Set }
  for (const m of log.filter((x) => x.type === 'alarm')) {
    const r = seen.get(m.recipientId) ?? { ids: new Set(), alarms: new Set() };
    seen.set(m.recipientId, r);
    const d = m.delivery;
    if (r.ids.has(d.deliveryId)) assert.equal(m.resend, true, `${m.recipientId} got delivery ${d.deliveryId} twice without resend`);
    else if (r.alarms.has(d.alarmId)) assert.equal(d.repeat, true, `${m.recipientId} got ${d.alarmId} again without repeat`);
    r.ids.add(d.deliveryId);
    r.alarms.add(d.alarmId);
  }
}

/** Where a server keeps its router: `{ label, skip, make(name) }`, `make` giving the worker's options and `audit()`. */
const BACKENDS = [
  { label: 'FileStorage', skip: false, make: (name) => {
    const dir = mkdtempSync(join(work, `${name}-`));
    return { options: { dir }, audit: () => storedAudit(new FileStorage(dir)), cleanup: async () => {} };
  } },
  { label: 'PostgresStorage', skip: SKIP_NO_SERVER, make: () => {
    const pgPrefix = freshPrefix('dose');
    const pool = testPool();
    return {
      options: { pgPrefix },
      audit: () => storedAudit(new PostgresStorage(pool, { tablePrefix: pgPrefix })),
      cleanup: async () => {
        await pool.end();
        await dropTables(pgPrefix);
      },
    };
  } },
];

async function storedAudit(storage) {
  const store = new AlarmRouterStore(storage, DOSE_SERVER_KEY);
  return store.auditLog(DOSE_SERVER_SETUP.routerId);
}

for (const { label, skip, make } of BACKENDS) test(`killed while the caregiver holds an unconfirmed escalation (${label}): after the restart she gets it again, marked, and acknowledges`, { skip }, async (t) => {
  const place = make('kill');
  t.after(place.cleanup);
  const dir = place.options;
  const log = [];
  let s = await startServer(dir);
  let pat = await terminal(s.port, 'pat', { log });
  let mum = await terminal(s.port, 'mum', { autoReceipt: false, log });
  pat.ws.send(JSON.stringify({ type: 'signal', signal: signal('u1') }));
  assert.equal((await pat.next((m) => m.type === 'issued')).code, 'issued');
  const first = await pat.next((m) => m.type === 'alarm');
  assert.deepEqual([first.delivery.step, first.delivery.repeat, first.resend], [0, false, false]);
  // Nobody acknowledges: after the patient's 1 s the caregiver is told; she does not confirm yet.
  const escalated = await mum.next((m) => m.type === 'alarm');
  assert.deepEqual([escalated.delivery.alarmId, escalated.delivery.step, escalated.resend], ['u1', 1, false]);

  s.child.kill('SIGKILL');
  assert.equal((await s.exited).signal, 'SIGKILL');
  pat.ws.terminate();
  mum.ws.terminate();

  s = await startServer(dir);
  mum = await terminal(s.port, 'mum', { log });
  const welcome = mum.messages.find((m) => m.type === 'welcome');
  assert.deepEqual(welcome.alarms.map((a) => a.signal.signalId), ['u1'], 'the alarm survived the kill');
  const again = await mum.next((m) => m.type === 'alarm');
  assert.equal(again.delivery.deliveryId, escalated.delivery.deliveryId, 'the same delivery, not a new one');
  assert.equal(again.resend, true, 'marked as a resend');
  pat = await terminal(s.port, 'pat', { log });
  mum.ws.send(JSON.stringify({ type: 'ack', alarmId: 'u1' }));
  assert.equal((await mum.next((m) => m.type === 'acked')).code, 'acknowledged');
  assert.equal((await pat.next((m) => m.type === 'retract')).retraction.reason, 'acknowledged');
  assertNothingTwiceUnmarked(log);
  pat.ws.terminate();
  mum.ws.terminate();
  s.child.kill('SIGTERM');
  await s.exited;

  const audit = await place.audit();
  assert.equal(verifyAlarmAudit(audit), audit.at(-1).hash);
  const events = audit.map((e) => `${e.event}${e.recipientId ? `:${e.recipientId}` : ''}`);
  for (const expected of ['issued', 'sent:pat', 'delivered:pat', 'escalated', 'sent:mum', 'delivered:mum', 'acknowledged:mum', 'retracted:pat', 'closed']) {
    assert.ok(events.includes(expected), `${expected} in the stored audit log: ${events.join(' ')}`);
  }
});

for (const { label, skip, make } of BACKENDS) test(`killed right after saving an escalation, before sending it (${label}): the caregiver gets it from the restarted server, once`, { skip }, async (t) => {
  const place = make('crash');
  t.after(place.cleanup);
  const dir = place.options;
  const log = [];
  let s = await startServer(dir, { killAfterEscalation: true });
  const pat = await terminal(s.port, 'pat', { log });
  const mum = await terminal(s.port, 'mum', { log });
  pat.ws.send(JSON.stringify({ type: 'signal', signal: signal('u2') }));
  await pat.next((m) => m.type === 'alarm');
  assert.equal((await s.exited).signal, 'SIGKILL', 'the server died after saving the escalation');
  assert.equal(mum.messages.filter((m) => m.type === 'alarm').length, 0, 'nothing was sent to the caregiver');
  pat.ws.terminate();
  mum.ws.terminate();

  s = await startServer(dir);
  const mum2 = await terminal(s.port, 'mum', { log });
  const got = await mum2.next((m) => m.type === 'alarm');
  assert.deepEqual([got.delivery.alarmId, got.delivery.step, got.delivery.repeat, got.resend], ['u2', 1, false, true]);
  // Confirmed: a reconnect now gets no resend.
  await new Promise((resolve) => setTimeout(resolve, 300));
  mum2.ws.terminate();
  const mum3 = await terminal(s.port, 'mum', { log });
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual(mum3.messages.filter((m) => m.type === 'alarm'), [], 'a confirmed delivery is not sent again');
  assert.deepEqual(mum3.messages.find((m) => m.type === 'welcome').alarms.map((a) => a.signal.signalId), ['u2'], 'she still holds it');
  assertNothingTwiceUnmarked(log);
  mum3.ws.terminate();
  s.child.kill('SIGTERM');
  await s.exited;
  const audit = await place.audit();
  assert.equal(verifyAlarmAudit(audit), audit.at(-1).hash);
  assert.equal(audit.filter((e) => e.event === 'escalated').length, 1, 'escalated once, not again after the restart');
});

test('a hello with a wrong token is refused; a refused message is a typed error, the connection stays', async () => {
  const dir = mkdtempSync(join(work, 'auth-'));
  const s = await startServer(dir);
  const bad = new WebSocket(`ws://127.0.0.1:${s.port}/`);
  await new Promise((resolve) => bad.once('open', resolve));
  bad.send(JSON.stringify({ type: 'hello', recipientId: 'mum', token: 'token-pat' }));
  const [code] = await new Promise((resolve) => bad.once('close', (...args) => resolve(args)));
  assert.equal(code, 1008);
  const mum = await terminal(s.port, 'mum');
  mum.ws.send(JSON.stringify({ type: 'signal', signal: signal('x') }));
  const err = await mum.next((m) => m.type === 'error');
  assert.equal(err.param, 'type', 'only the patient raises signals');
  mum.ws.send(JSON.stringify({ type: 'snooze', kind: 'urgent-low', direction: 'low', durationMs: 3_600_000 }));
  assert.equal((await mum.next((m) => m.type === 'error')).param, 'durationMs');
  mum.ws.terminate();
  s.child.kill('SIGTERM');
  await s.exited;
});

test('the patient\'s terminal follows every open alarm (status: true): holders, step and next action after each change; another role asking is refused', async () => {
  const dir = mkdtempSync(join(work, 'status-'));
  const s = await startServer(dir);
  const pat = await terminal(s.port, 'pat', { hello: { status: true } });
  const first = await pat.next((m) => m.type === 'status');
  assert.deepEqual(first.alarms, [], 'nothing open yet');
  const mum = await terminal(s.port, 'mum', { hello: { status: true } });
  assert.equal((await mum.next((m) => m.type === 'error')).param, 'status', 'only the patient follows every alarm');

  pat.ws.send(JSON.stringify({ type: 'signal', signal: signal('follow-1') }));
  const raised = await pat.next((m) => m.type === 'status' && m.alarms.length === 1);
  assert.equal(raised.alarms[0].signal.signalId, 'follow-1');
  assert.equal(raised.alarms[0].steps, 3);
  assert.ok(raised.nowMs >= raised.alarms[0].signal.atMs && raised.alarms[0].nextAtMs > raised.nowMs, JSON.stringify(raised));
  // The patient does not answer within 1 s: the status says the caregiver holds it now, at step 1.
  const escalated = await pat.next((m) => m.type === 'status' && m.alarms[0]?.step === 1 && m.alarms[0].holders.includes('mum'));
  assert.ok(escalated.alarms[0].holders.includes('pat'), 'the patient still holds it');
  await mum.next((m) => m.type === 'alarm' && m.delivery.alarmId === 'follow-1');
  mum.ws.send(JSON.stringify({ type: 'ack', alarmId: 'follow-1' }));
  await pat.next((m) => m.type === 'status' && m.alarms.length === 0);
  assert.equal(mum.messages.filter((m) => m.type === 'status').length, 0, 'a refused follow sends no status');
  pat.ws.terminate();
  mum.ws.terminate();
  s.child.kill('SIGTERM');
  await s.exited;
});
