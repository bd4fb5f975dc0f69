// System 9's alarm router through the SDK: typed errors naming the parameter before and after
// crossing, the store (compare-and-swap, rollback refused, the audit log appended once per entry
// and verifiable), and a restart mid-escalation from the store.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ALARM_ROUTER_CODES, ALARM_URGENT_LOW_SNOOZE_MS_MAX, AlarmRouter, AlarmRouterStore, MemoryStorage, verifyAlarmAudit,
} from '@countersign/sdk';

const KEY = new Uint8Array(32).fill(0x21);
const T0 = 1_780_000_000_000;
const setup = () => ({
  routerId: 'terminal-1',
  recipients: [{ id: 'pat', role: 'patient' }, { id: 'mum', role: 'caregiver' }, { id: 'doc', role: 'doctor' }],
  policies: [{ steps: [{ role: 'patient', ackTimeoutMs: 60000 }, { role: 'caregiver', ackTimeoutMs: 120000 }, { role: 'doctor', ackTimeoutMs: 300000 }] }],
  receiptTimeoutMs: 30000,
});
const urgentLow = (signalId, atMs = T0) => ({ signalId, kind: 'urgent-low', priority: 'high', direction: 'low', atMs, reason: 'glucose 48 mg/dL', evidence: '' });

test('bad arguments are typed errors naming the parameter, and change nothing', () => {
  const r = AlarmRouter.create(setup());
  try {
    const before = Buffer.from(r.snapshot(KEY)).toString('hex');
    const cases = [
      [() => r.tick(-1), 'nowMs'],
      [() => r.tick(1.5), 'nowMs'],
      [() => r.tick('1'), 'nowMs'],
      [() => r.receipt(2 ** 53, T0), 'deliveryId'],
      [() => r.snooze('high', 'up', 1000, 'pat', T0), 'direction'],
      [() => r.snooze('urgent-low', 'low', ALARM_URGENT_LOW_SNOOZE_MS_MAX + 1, 'pat', T0), 'durationMs'],
      [() => r.acknowledge('u1', 'stranger', T0), 'recipientId'],
      [() => r.issue({ ...urgentLow('u1'), extra: 1 }, T0), 'signal.extra'],
      [() => r.issue({ ...urgentLow('u1'), priority: 'urgent' }, T0), 'signal.priority'],
      [() => r.issue(urgentLow('u1', T0 + 1), T0), 'signal.atMs'],
      [() => AlarmRouter.create({ ...setup(), receiptTimeoutMs: 10 }), 'setup.receiptTimeoutMs'],
    ];
    for (const [call, param] of cases) {
      assert.throws(call, (e) => e.param === param && typeof e.code === 'string', param);
    }
    assert.equal(Buffer.from(r.snapshot(KEY)).toString('hex'), before);
    assert.ok(ALARM_ROUTER_CODES.includes(r.issue(urgentLow('u1'), T0).code));
  } finally {
    r.free();
  }
});

test('the store: the audit log is appended once per entry and verifies; a rollback is refused', async () => {
  const storage = new MemoryStorage();
  const store = new AlarmRouterStore(storage, KEY);
  const r = AlarmRouter.create(setup());
  r.issue(urgentLow('u1'), T0);
  assert.equal(await store.save(r), true);
  const old = await storage.get('dose-alarms/terminal-1');
  r.tick(T0 + 60000);
  r.acknowledge('u1', 'mum', T0 + 61000);
  assert.equal(await store.save(r), true);
  assert.deepEqual(r.auditUnsaved(), [], 'the saved entries are marked');
  const log = await store.auditLog('terminal-1');
  assert.deepEqual(log.map((e) => e.seq), log.map((_, i) => i + 1));
  assert.deepEqual(log, r.audit());
  assert.equal(verifyAlarmAudit(log), r.auditHead);
  const forged = log.map((e, i) => (i === 3 ? { ...e, recipientId: 'doc' } : e));
  assert.throws(() => verifyAlarmAudit(forged), (e) => e.param === 'entries[3].hash');
  // Storage rolled back to the first snapshot: this store has seen a newer one.
  await storage.put('dose-alarms/terminal-1', old.value, (await storage.get('dose-alarms/terminal-1')).version);
  await assert.rejects(store.load('terminal-1'), (e) => e.code === 'SNAPSHOT_INVALID');
  // A second writer that saw an older version is told false.
  const other = new AlarmRouterStore(storage, KEY);
  const theirs = await other.load('terminal-1');
  assert.equal(await store.save(r), false);
  theirs.free();
  r.free();
});

test('a restart mid-escalation: the reloaded router climbs where the saved one stood', async () => {
  const storage = new MemoryStorage();
  const store = new AlarmRouterStore(storage, KEY);
  let r = AlarmRouter.create(setup());
  for (const d of r.issue(urgentLow('u1'), T0).deliveries) r.receipt(d.deliveryId, T0 + 5);
  const up = r.tick(T0 + 60000);
  assert.deepEqual(up.deliveries.map((d) => d.recipientId), ['mum']);
  assert.equal(await store.save(r), true);
  r.free();
  r = await store.load('terminal-1');
  // mum's delivery was never confirmed: after the receipt timeout the doctor is told at once.
  const out = r.tick(T0 + 90000);
  assert.deepEqual(out.deliveries.map((d) => [d.recipientId, d.step, d.repeat]), [['doc', 2, false]]);
  assert.deepEqual(out.audit.map((e) => [e.event, e.detail ?? null]), [
    ['delivery-failed', 'unconfirmed'], ['escalated', 'delivery-failed'], ['sent', null],
  ]);
  r.free();
});

test("the controller's signals (every evaluation vector) become alarms the router opens, and resolve by id", async () => {
  const { alarmSignalOf, doseEvaluate } = await import('@countersign/sdk');
  const { readJson } = await import('./helpers.mjs');
  const doc = readJson('dose/evaluation.json');
  let issued = 0;
  let retracted = 0;
  for (const c of doc.cases) {
    const signals = doseEvaluate(c.settings, c.history, c.untilMs);
    const r = AlarmRouter.create({
      ...setup(),
      policies: [{ priority: 'high', steps: [{ role: 'patient', ackTimeoutMs: 60000 }, { role: 'caregiver', ackTimeoutMs: 120000 }] }, { steps: [{ role: 'patient', ackTimeoutMs: 300000 }] }],
    });
    try {
      // In time order, as a terminal would: each signal when raised, each resolution when it comes.
      const events = signals.flatMap((s) => [{ at: s.atMs, s }, ...(s.resolved ? [{ at: s.resolved.atMs, s, resolve: true }] : [])]);
      events.sort((a, b) => a.at - b.at || (a.resolve === true) - (b.resolve === true));
      const now = Math.max(...events.map((e) => e.at), 0);
      for (const e of events) {
        if (e.resolve) {
          assert.equal(r.resolve(e.s.signalId, Math.max(e.at, now)).code, 'retracted', `${c.name}: ${e.s.signalId}`);
          retracted++;
        } else {
          const alarm = alarmSignalOf(e.s);
          assert.deepEqual([alarm.signalId, alarm.kind, alarm.priority, alarm.direction, alarm.atMs], [e.s.signalId, e.s.kind, e.s.priority, e.s.direction, e.s.atMs]);
          assert.ok(['issued', 'deferred'].includes(r.issue(alarm, now).code), `${c.name}: ${e.s.signalId}`);
          issued++;
        }
      }
      assert.equal(r.openAlarms().length, signals.filter((s) => !s.resolved).length, c.name);
    } finally {
      r.free();
    }
  }
  assert.ok(issued >= 50 && retracted >= 10, `${issued} issued, ${retracted} retracted`);
  assert.throws(() => alarmSignalOf({ signalId: 'x' }), (e) => e.param?.startsWith('signal'));
});
