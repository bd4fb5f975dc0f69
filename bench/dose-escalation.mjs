#!/usr/bin/env node
// System 9's alarm router through the SDK, alone: alarm lifecycles per second (issue, receipt of
// the patient's delivery, a tick, the patient's acknowledgement: 6 audit entries each) and the
// restore of a router holding its full kept audit (1,024 entries) and closed-id window, whose
// chain restore checks. Not yet in `npm run bench` (no peer to compare with in the same run).
//
//   node bench/dose-escalation.mjs        (uses the existing build: bash scripts/build.sh)
import { AlarmRouter } from '@countersign/sdk';

const LIFECYCLES = 20_000; // enough to fill the kept audit and the closed-id window many times
const RESTORES = 200;
const setup = {
  routerId: 'bench',
  recipients: [{ id: 'pat', role: 'patient' }, { id: 'mum', role: 'caregiver' }, { id: 'doc', role: 'doctor' }],
  policies: [{ steps: [{ role: 'patient', ackTimeoutMs: 60000 }, { role: 'caregiver', ackTimeoutMs: 120000 }, { role: 'doctor', ackTimeoutMs: 300000 }] }],
  receiptTimeoutMs: 30000,
};
const key = new Uint8Array(32);
const router = AlarmRouter.create(setup);
let now = 1_780_000_000_000;
const started = process.hrtime.bigint();
for (let i = 0; i < LIFECYCLES; i++) {
  const out = router.issue({ signalId: `s${i}`, kind: 'urgent-low', priority: 'high', direction: 'low', atMs: now, reason: 'glucose 48 mg/dL', evidence: '[61,55,48]' }, now);
  router.receipt(out.deliveries[0].deliveryId, now);
  now += 1000;
  router.tick(now);
  router.acknowledge(`s${i}`, 'pat', now);
}
const ns = Number(process.hrtime.bigint() - started);
console.log(`alarm lifecycles through the SDK: ${(ns / LIFECYCLES / 1000).toFixed(1)} µs each (${Math.round(LIFECYCLES / (ns / 1e9)).toLocaleString('en')}/s), ${router.freshness().auditSeq.toLocaleString('en')} audit entries`);
const snapshot = router.snapshot(key);
const restoring = process.hrtime.bigint();
for (let i = 0; i < RESTORES; i++) AlarmRouter.restore(snapshot, key).free();
console.log(`snapshot ${snapshot.length.toLocaleString('en')} bytes; restore (audit chain checked) ${(Number(process.hrtime.bigint() - restoring) / RESTORES / 1e6).toFixed(2)} ms`);
router.free();
