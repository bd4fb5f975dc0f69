// Hostile-input targets: System 9's routing and escalation (AlarmRouter, AlarmRouterStore, verifyAlarmAudit).
import * as s from '@countersign/sdk';

const hex = (b) => Buffer.from(b).toString('hex');
const KEY = new Uint8Array(32).fill(11);
const T0 = 1_780_000_000_000;
const setup = () => ({
  routerId: 'terminal-1',
  recipients: [{ id: 'pat', role: 'patient' }, { id: 'mum', role: 'caregiver' }, { id: 'centre', role: 'centre' }],
  policies: [{ steps: [{ role: 'patient', ackTimeoutMs: 60000 }, { role: 'caregiver', ackTimeoutMs: 120000 }, { role: 'centre', ackTimeoutMs: 300000 }] }],
  receiptTimeoutMs: 30000,
  quietHours: { startMinute: 1320, endMinute: 420, utcOffsetMinutes: 60 },
});
const signal = (signalId = 'u1') => ({
  signalId, kind: 'urgent-low', priority: 'high', direction: 'low', atMs: T0, reason: 'glucose 48 mg/dL', evidence: '[61,55,48]',
});

/** A router with one urgent low at step 1 (patient and caregiver told; delivery 1 confirmed). */
function router() {
  const r = s.AlarmRouter.create(setup());
  r.issue(signal(), T0);
  r.receipt(1, T0 + 10);
  r.tick(T0 + 60000);
  return r;
}
const base = router();
const baseSnapshot = base.snapshot(KEY);
const baseAudit = base.audit();
base.free();

const onRouter = { receiver: router, state: (r) => hex(r.snapshot(KEY)) };

const stores = new WeakMap(); // store -> { storage, router }
async function store() {
  const storage = new s.MemoryStorage();
  const st = new s.AlarmRouterStore(storage, KEY);
  const r = router();
  await st.save(r);
  r.acknowledge('u1', 'mum', T0 + 70000);
  stores.set(st, { storage, router: r });
  return st;
}
async function storeState(st) {
  const { storage, router: r } = stores.get(st);
  const stored = await storage.get('dose-alarms/terminal-1');
  const log = await storage.readLog('dose-alarms/terminal-1.audit');
  return `${stored === null ? 'none' : `${stored.version} ${hex(stored.value)}`} ${log.length} ${hex(r.snapshot(KEY))}`;
}

export const targets = {
  'new AlarmRouter': { args: () => [] }, // private: always refused
  'AlarmRouter.create': { args: () => [setup()] },
  'AlarmRouter.restore': { args: () => [baseSnapshot.slice(), KEY.slice()] },
  'AlarmRouter#issue': { ...onRouter, args: () => [signal('u2'), T0 + 60001] },
  'AlarmRouter#resolve': { ...onRouter, args: () => ['u1', T0 + 60001] },
  'AlarmRouter#acknowledge': { ...onRouter, args: () => ['u1', 'mum', T0 + 60001] },
  'AlarmRouter#snooze': { ...onRouter, args: () => ['urgent-low', 'low', 900000, 'pat', T0 + 60001] },
  'AlarmRouter#receipt': { ...onRouter, args: () => [2, T0 + 60001] },
  'AlarmRouter#deliveryFailed': { ...onRouter, args: () => [3, T0 + 60001] },
  'AlarmRouter#tick': { ...onRouter, args: () => [T0 + 200000] },
  'AlarmRouter#openAlarms': { ...onRouter, args: () => [] },
  'AlarmRouter#roleOf': { ...onRouter, args: () => ['mum'] },
  'AlarmRouter#pendingDeliveries': { ...onRouter, args: () => [] },
  'AlarmRouter#snoozes': { ...onRouter, args: () => [] },
  'AlarmRouter#audit': { ...onRouter, args: () => [] },
  'AlarmRouter#auditHead': { ...onRouter, args: () => [] },
  'AlarmRouter#auditUnsaved': { ...onRouter, args: () => [] },
  'AlarmRouter#markAuditSaved': { ...onRouter, args: () => [2] },
  'AlarmRouter#snapshot': { ...onRouter, args: () => [KEY.slice()] },
  'AlarmRouter#freshness': { ...onRouter, args: () => [] },
  'AlarmRouter#routerId': { ...onRouter, args: () => [] },
  'AlarmRouter#free': { ...onRouter, args: () => [], consumes: true },
  'AlarmRouter#[Symbol.dispose]': { ...onRouter, args: () => [], consumes: true },
  verifyAlarmAudit: { args: () => [structuredClone(baseAudit), undefined] },
  alarmSignalOf: {
    args: () => [{
      signalId: 'urgent-low:7', kind: 'urgent-low', priority: 'high', direction: 'low', atMs: T0, startSeq: 7, reason: 'glucose 48 mg/dL',
      evidence: [{ seq: 7, atMs: T0, measure: 'glucoseMgdl', value: 48 }],
    }],
  },

  'new AlarmRouterStore': { args: () => [new s.MemoryStorage(), KEY.slice(), { prefix: 'alarms/' }] },
  'AlarmRouterStore#load': { receiver: store, state: storeState, args: () => ['terminal-1'] },
  'AlarmRouterStore#save': { receiver: store, state: storeState, argsFor: (st) => [stores.get(st).router] },
  'AlarmRouterStore#auditLog': { receiver: store, state: storeState, args: () => ['terminal-1', 100] },
};

// The management server (Node entry): attached to an HTTP server that never listens, so a target
// holds no socket or timer open; a fixed clock.
import { createServer } from 'node:http';
const serverOptions = () => ({
  storage: new s.MemoryStorage(),
  snapshotKey: KEY.slice(),
  setup: setup(),
  tokens: { pat: 'p', mum: 'm', centre: 'c' },
  attach: { server: createServer(), path: '/alarms' },
  clock: () => T0 + 60001,
  tickIntervalMs: 0,
});
async function deliveryServer() {
  const srv = await s.AlarmDeliveryServer.start(serverOptions());
  await srv.issue(signal());
  return srv;
}
const onServer = { receiver: deliveryServer, state: (srv) => JSON.stringify(srv.openAlarms()) };
Object.assign(targets, {
  'new AlarmDeliveryServer': { args: () => [] }, // private: always refused
  'AlarmDeliveryServer.start': { args: () => [serverOptions()] },
  'AlarmDeliveryServer#issue': { ...onServer, args: () => [signal('u2')] },
  'AlarmDeliveryServer#resolve': { ...onServer, args: () => ['u1'] },
  'AlarmDeliveryServer#tick': { ...onServer, args: () => [] },
  'AlarmDeliveryServer#openAlarms': { ...onServer, args: () => [] },
  'AlarmDeliveryServer#auditLog': { ...onServer, args: () => [] },
  'AlarmDeliveryServer#close': { ...onServer, args: () => [], consumes: true },
  'AlarmDeliveryServer#port': { ...onServer, args: () => [] },
  'AlarmDeliveryServer#url': { ...onServer, args: () => [] },
});
