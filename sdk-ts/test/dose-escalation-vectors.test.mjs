// The escalation timelines of tests/vectors/dose/escalation.json through the SDK: the same file
// cargo test runs (core/tests/dose_escalation_vectors.rs). Step by step on one AlarmRouter, every
// output compared whole (audit hashes included), a refused step leaving the router unchanged (its
// snapshot the same bytes), a snapshot and restore after every step (the run continues on the
// restored router), and the whole run's audit chain checked by verifyAlarmAudit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AlarmRouter, verifyAlarmAudit } from '@countersign/sdk';
import { readJson } from './helpers.mjs';

const KEY = new Uint8Array(32).fill(0x3c);

function sameBytes(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function run(router, step) {
  switch (step.op) {
    case 'issue': return router.issue(step.signal, step.nowMs);
    case 'resolve': return router.resolve(step.alarmId, step.nowMs);
    case 'acknowledge': return router.acknowledge(step.alarmId, step.recipientId, step.nowMs);
    case 'snooze': return router.snooze(step.kind, step.direction, step.durationMs, step.recipientId, step.nowMs);
    case 'receipt': return router.receipt(step.deliveryId, step.nowMs);
    case 'deliveryFailed': return router.deliveryFailed(step.deliveryId, step.nowMs);
    case 'tick': return router.tick(step.nowMs);
    default: throw new Error(`unknown op ${step.op}`);
  }
}

test('dose escalation timelines through the SDK, restored after every step', () => {
  const doc = readJson('dose/escalation.json');
  assert.ok(doc.scenarios.length >= 12);
  let steps = 0;
  for (const sc of doc.scenarios) {
    let router = AlarmRouter.create(sc.setup);
    const log = [];
    try {
      sc.steps.forEach((step, i) => {
        steps++;
        const ctx = `${sc.name}: step ${i} (${step.op})`;
        if (step.op === 'openAlarms') {
          const got = router.openAlarms().map((a) => ({
            alarmId: a.signal.signalId, step: a.step ?? null, nextAtMs: a.nextAtMs, snoozedUntilMs: a.snoozedUntilMs ?? null, holders: a.holders,
          }));
          assert.deepEqual(got, step.expect, ctx);
          return;
        }
        const before = router.snapshot(KEY);
        let got;
        try {
          got = run(router, step);
          log.push(...got.audit);
        } catch (e) {
          got = { error: { code: e.code, param: e.param } };
          assert.ok(sameBytes(router.snapshot(KEY), before), `${ctx}: a refused call changed the router`);
        }
        assert.deepEqual(got, step.expect, ctx);
        const bytes = router.snapshot(KEY);
        router.free();
        router = AlarmRouter.restore(bytes, KEY);
      });
      assert.equal(verifyAlarmAudit(log), sc.auditHead, `${sc.name}: audit head`);
      assert.equal(router.auditHead, sc.auditHead);
    } finally {
      router.free();
    }
  }
  assert.ok(steps >= 120);
});
