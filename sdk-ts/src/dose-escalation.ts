/**
 * dose — System 9, routing and escalation of risk alarms on the patient terminal.
 *
 * One class per role:
 * - the **terminal's router** ({@link AlarmRouter}): takes the controller's risk signals and
 *   "signal resolved" notices, and decides who is told — the ladder patient → caregiver → doctor
 *   → risk-management centre of the signal's policy, each step after its acknowledgement timeout
 *   — with snoozes scoped by kind and direction that always expire, quiet hours that never apply
 *   to high priority, delivery receipts (a failed or unconfirmed delivery climbs the ladder at
 *   once) and a hash-chained audit log. It has no clock: every call takes `nowMs`, and
 *   {@link AlarmRouter.tick} advances time. Every call answers an {@link AlarmRouterOutput}: the
 *   outcome code, the deliveries to make, the retractions to send, the new audit entries;
 * - its **store** ({@link AlarmRouterStore}): the router's authenticated snapshot under one key
 *   (compare-and-swap, rollback refused) and its audit entries appended to a log after each save,
 *   through any storage adapter (IndexedDB on the terminal, files or PostgreSQL on a server).
 *
 * The management server's delivery over WebSocket is Node-only: `dose-server.ts`
 * (`@countersign/sdk/dose-server`). Every rule lives in the Rust core
 * (core/src/dose/escalation.rs, docs/dose-escalation.md); this module validates and converts.
 */
import {
  INTERNAL_CONSTRUCTION,
  adopt,
  checkInternalConstruction,
  guardClass,
  guardFunction,
  isOwned,
  ownConstructorArgs,
  raw,
  toSdkError,
} from './boundary.js';
import { call } from './calls.js';
import { CountersignRangeError } from './errors.js';
import { WasmObject, withHandle } from './handle.js';
import { wasm } from './loader.js';
import { CheckedStorage } from './storage/checked.js';
import { StateStore, type PersistedState } from './store.js';
import { STORAGE_LOG_READ_RECORDS_MAX, type StorageAdapter } from './storage/types.js';
import { expectArray, expectBytes, expectInteger, expectObject, expectString, rangeError, typeError } from './validate.js';
import type {
  AlarmAuditEntry,
  AlarmAuditEvent,
  AlarmDelivery,
  AlarmPolicy,
  AlarmRecipient,
  AlarmRetraction,
  AlarmRole,
  AlarmRouterCode,
  AlarmRouterOutput,
  AlarmRouterSetup,
  AlarmSnooze,
  AlarmStep,
  OpenAlarm,
  QuietHours,
  RetractReason,
  AlarmSignal,
} from './generated/dose-escalation.js';
import type { Exhaustive } from './exhaustive.js';
import type { AlarmPriority, RiskDirection, RiskSignal } from './generated/dose.js';
export type {
  AlarmAuditEntry,
  AlarmAuditEvent,
  AlarmDelivery,
  AlarmPolicy,
  AlarmRecipient,
  AlarmRetraction,
  AlarmRole,
  AlarmRouterCode,
  AlarmRouterOutput,
  AlarmRouterSetup,
  AlarmSnooze,
  AlarmStep,
  OpenAlarm,
  QuietHours,
  RetractReason,
  AlarmSignal,
};

/** Every outcome code, in the core's order (docs/dose-escalation.md "Outcome codes"). */
export const ALARM_ROUTER_CODES = Object.freeze([
  'issued', 'deferred', 'snoozed', 'duplicate', 'already-closed', 'retracted', 'unknown-alarm', 'acknowledged',
  'not-a-recipient', 'delivered', 'failed', 'not-pending', 'unknown-delivery', 'ticked',
] as const satisfies readonly AlarmRouterCode[]);
// Compile-time: the list names every member of the generated union (and, above, nothing else).
type _RouterCodesComplete = Exhaustive<Exclude<AlarmRouterCode, (typeof ALARM_ROUTER_CODES)[number]>>;

/** Every audit event, in the core's order. */
export const ALARM_AUDIT_EVENTS = Object.freeze([
  'issued', 'sent', 'delivered', 'delivery-failed', 'acknowledged', 'escalated', 'repeated', 'deferred', 'snoozed',
  'snooze-expired', 'retracted', 'closed',
] as const satisfies readonly AlarmAuditEvent[]);
type _AuditEventsComplete = Exhaustive<Exclude<AlarmAuditEvent, (typeof ALARM_AUDIT_EVENTS)[number]>>;

/** The latest time, Unix ms (9999-12-31T23:59:59.999Z; the core's `TIME_MS_MAX`). */
export const ALARM_TIME_MS_MAX = 253_402_300_799_999;
/** The longest snooze, ms (4 h; the core's `SNOOZE_MS_MAX`). */
export const ALARM_SNOOZE_MS_MAX = 14_400_000;
/** The longest an urgent low is ever muted, ms (15 min; the core's `URGENT_LOW_SNOOZE_MS_MAX`). */
export const ALARM_URGENT_LOW_SNOOZE_MS_MAX = 900_000;
/** Audit entries one {@link verifyAlarmAudit} call checks (the core keeps 1,024; a log is checked in runs). */
export const ALARM_AUDIT_VERIFY_MAX = 65_536;
/** The snapshot key's length in bytes. */
export const ALARM_SNAPSHOT_KEY_BYTES = 32;

/** The router's freshness: its last audit seq and its time (neither goes down). */
export interface AlarmRouterFreshness {
  readonly auditSeq: number;
  readonly nowMs: number;
}

/** The glue's class (shipped in wasm/). */
type Handle = import('../wasm/countersign_wasm.js').AlarmRouterHandle;

/** A time in ms, checked here (wasm-bindgen would wrap a BigInt silently). */
function expectMs(value: unknown, param: string): bigint {
  return BigInt(expectInteger(value, param, 0, ALARM_TIME_MS_MAX));
}

function expectDirection(value: unknown, param: string): RiskDirection {
  const s = expectString(value, param);
  if (s !== 'low' && s !== 'high' && s !== 'none') throw rangeError(param, `must be "low", "high" or "none", got ${JSON.stringify(s)}`);
  return s;
}

/**
 * A patient terminal's alarm router. State lives in wasm memory; {@link AlarmRouterStore}
 * persists it. Call `free()` (or `using`) when done.
 */
export class AlarmRouter extends WasmObject<Handle> {
  private constructor(token: typeof INTERNAL_CONSTRUCTION, handle: Handle) {
    checkInternalConstruction(token, 'AlarmRouter', 'AlarmRouter.create or AlarmRouter.restore');
    super(handle, 'dose');
    adopt(this, AlarmRouter);
    Object.freeze(this);
  }

  /**
   * A new router: its id, recipients (id and role), policies (first match wins; the last
   * matches every signal), the receipt timeout and optional quiet hours.
   */
  static create(setup: AlarmRouterSetup): AlarmRouter {
    // The adapter refuses an unknown, missing or mistyped field naming its path
    // (`setup.policies[0].steps[1].ackTimeoutMs`), the core a bad value.
    expectObject(setup, 'setup');
    return new AlarmRouter(INTERNAL_CONSTRUCTION, call<Handle>(() => new (wasm('dose.escalation').AlarmRouterHandle)(setup)));
  }

  /** A router from {@link AlarmRouter.snapshot} bytes (authenticated; refused if tampered). */
  static restore(snapshot: Uint8Array, snapshotKey: Uint8Array): AlarmRouter {
    const bytes = expectBytes(snapshot, 'snapshot');
    const key = expectBytes(snapshotKey, 'snapshotKey');
    return new AlarmRouter(INTERNAL_CONSTRUCTION, call<Handle>(() => wasm('dose.escalation').AlarmRouterHandle.restore(bytes, key)));
  }

  /** A risk signal arrived: `issued` (step 0 delivered), `deferred`, `snoozed`, `duplicate` or `already-closed`. */
  issue(signal: AlarmSignal, nowMs: number): AlarmRouterOutput {
    expectObject(signal, 'signal');
    const now = expectMs(nowMs, 'nowMs');
    return withHandle(this, (h) => h.issue(signal, now) as AlarmRouterOutput);
  }

  /** The signal resolved: `retracted` (closed, every holder told), `already-closed` or `unknown-alarm`. */
  resolve(alarmId: string, nowMs: number): AlarmRouterOutput {
    const id = expectString(alarmId, 'alarmId');
    const now = expectMs(nowMs, 'nowMs');
    return withHandle(this, (h) => h.resolve(id, now) as AlarmRouterOutput);
  }

  /** A recipient acknowledged: `acknowledged` (closed, every holder told), `not-a-recipient`, `already-closed`, `unknown-alarm`. */
  acknowledge(alarmId: string, recipientId: string, nowMs: number): AlarmRouterOutput {
    const id = expectString(alarmId, 'alarmId');
    const who = expectString(recipientId, 'recipientId');
    const now = expectMs(nowMs, 'nowMs');
    return withHandle(this, (h) => h.acknowledge(id, who, now) as AlarmRouterOutput);
  }

  /**
   * A recipient snoozes alarms of `kind` and `direction` for `durationMs` (at most
   * {@link ALARM_SNOOZE_MS_MAX}; {@link ALARM_URGENT_LOW_SNOOZE_MS_MAX} for `urgent-low`).
   */
  snooze(kind: string, direction: RiskDirection, durationMs: number, recipientId: string, nowMs: number): AlarmRouterOutput {
    const k = expectString(kind, 'kind');
    const d = expectDirection(direction, 'direction');
    const duration = expectMs(durationMs, 'durationMs');
    const who = expectString(recipientId, 'recipientId');
    const now = expectMs(nowMs, 'nowMs');
    return withHandle(this, (h) => h.snooze(k, d, duration, who, now) as AlarmRouterOutput);
  }

  /** The recipient's terminal confirmed a delivery: `delivered`, `not-pending` or `unknown-delivery`. */
  receipt(deliveryId: number, nowMs: number): AlarmRouterOutput {
    const id = expectMs(deliveryId, 'deliveryId');
    const now = expectMs(nowMs, 'nowMs');
    return withHandle(this, (h) => h.receipt(id, now) as AlarmRouterOutput);
  }

  /** A delivery could not be made: `failed` (the ladder climbs at once when it was the current step). */
  deliveryFailed(deliveryId: number, nowMs: number): AlarmRouterOutput {
    const id = expectMs(deliveryId, 'deliveryId');
    const now = expectMs(nowMs, 'nowMs');
    return withHandle(this, (h) => h.deliveryFailed(id, now) as AlarmRouterOutput);
  }

  /** Time advances: unconfirmed deliveries fail, due escalations, repeats and snooze ends run. */
  tick(nowMs: number): AlarmRouterOutput {
    const now = expectMs(nowMs, 'nowMs');
    return withHandle(this, (h) => h.tick(now) as AlarmRouterOutput);
  }

  /** The role of a recipient of this router, or undefined. */
  roleOf(recipientId: string): AlarmRole | undefined {
    const id = expectString(recipientId, 'recipientId');
    return withHandle(this, (h) => h.roleOf(id) as AlarmRole | undefined);
  }

  /** The open alarms, in the order they opened. */
  openAlarms(): OpenAlarm[] {
    return withHandle(this, (h) => h.openAlarms() as OpenAlarm[]);
  }

  /**
   * Every delivery still waiting for its receipt, exactly as it was made, oldest first: what a
   * restarted server sends again (marked as a resend; the recipient knows its `deliveryId`).
   */
  pendingDeliveries(): AlarmDelivery[] {
    return withHandle(this, (h) => h.pendingDeliveries() as AlarmDelivery[]);
  }

  /** The active snoozes. */
  snoozes(): AlarmSnooze[] {
    return withHandle(this, (h) => h.snoozes() as AlarmSnooze[]);
  }

  /** The last 1,024 audit entries, oldest first. */
  audit(): AlarmAuditEntry[] {
    return withHandle(this, (h) => h.audit() as AlarmAuditEntry[]);
  }

  /** The hash of the last audit entry, hex (64 zeros before the first). */
  get auditHead(): string {
    return withHandle(this, (h) => h.auditHead());
  }

  /** Audit entries not yet appended to the store's log (the store's journal). */
  auditUnsaved(): AlarmAuditEntry[] {
    return withHandle(this, (h) => h.auditUnsaved() as AlarmAuditEntry[]);
  }

  /** The store appended the audit entries through `throughSeq`. */
  markAuditSaved(throughSeq: number): void {
    const through = expectMs(throughSeq, 'throughSeq');
    withHandle(this, (h) => h.markAuditSaved(through));
  }

  /** Versioned, HMAC-SHA256-authenticated state bytes. */
  snapshot(snapshotKey: Uint8Array): Uint8Array {
    const key = expectBytes(snapshotKey, 'snapshotKey');
    return withHandle(this, (h) => h.snapshot(key));
  }

  /** The last audit seq and the router's time (the store's rollback guard). */
  freshness(): AlarmRouterFreshness {
    const [auditSeq, nowMs] = withHandle(this, (h) => h.freshness() as [number, number]);
    return { auditSeq, nowMs };
  }

  get routerId(): string {
    return withHandle(this, (h) => h.routerId());
  }

  // free() and [Symbol.dispose]() are WasmObject's (handle.ts).
}

guardClass(AlarmRouter, {
  methods: {
    issue: ['signal', 'nowMs'],
    resolve: ['alarmId', 'nowMs'],
    acknowledge: ['alarmId', 'recipientId', 'nowMs'],
    snooze: ['kind', 'direction', 'durationMs', 'recipientId', 'nowMs'],
    receipt: ['deliveryId', 'nowMs'],
    deliveryFailed: ['deliveryId', 'nowMs'],
    tick: ['nowMs'],
    roleOf: ['recipientId'],
    openAlarms: [],
    pendingDeliveries: [],
    snoozes: [],
    audit: [],
    auditHead: [],
    auditUnsaved: [],
    markAuditSaved: ['throughSeq'],
    snapshot: ['snapshotKey'],
    freshness: [],
    routerId: [],
    free: [],
  },
  statics: { create: ['setup'], restore: ['snapshot', 'snapshotKey'] },
});

/**
 * Checks a run of audit entries: consecutive `seq`, each `hash` chaining to the one before (to
 * `prevHash` for the first; omitted: the first entry of a log). Returns the head hash; throws
 * `INVALID_ARGUMENT` naming the first entry that does not chain (`entries[3].hash`).
 */
export const verifyAlarmAudit = guardFunction(function verifyAlarmAudit(entries: readonly AlarmAuditEntry[], prevHash?: string): string {
  const list = expectArray(entries, 'entries');
  if (list.length > ALARM_AUDIT_VERIFY_MAX) {
    throw new CountersignRangeError('LIMIT_EXCEEDED', `countersign: entries: at most ${ALARM_AUDIT_VERIFY_MAX} per call, got ${list.length}`, 'entries');
  }
  const prev = prevHash === undefined ? undefined : expectString(prevHash, 'prevHash');
  return call(() => wasm('dose.escalation').verifyAlarmAudit(list, prev));
}, ['entries', 'prevHash']);

/**
 * The alarm {@link AlarmRouter.issue} takes for a signal of the controller's evaluation
 * ({@link doseEvaluate}, {@link DoseController.evaluate}): the same id, kind, priority,
 * direction and time; the reason cut to 256 bytes and the evidence
 * written as `measure=value (seq n)` items (the core's `AlarmSignal::of`). A signal that has
 * resolved is {@link AlarmRouter.resolve}d by its `signalId`.
 */
export const alarmSignalOf = guardFunction(function alarmSignalOf(signal: RiskSignal): AlarmSignal {
  expectObject(signal, 'signal');
  // The device's part exports it (wasm/src/dose.rs): the device page hands its signals to a
  // router on a server and loads that part alone.
  return call(() => wasm('dose.device').alarmSignalOf(signal) as AlarmSignal);
}, ['signal']);

// ---------------------------------------------------------------------------------------------
// Persistence

const AUDIT_ENCODER = new TextEncoder();
const AUDIT_DECODER = new TextDecoder('utf-8', { fatal: true });

/**
 * Saves and loads alarm routers through a storage adapter: one key per router holding its
 * authenticated snapshot, written with compare-and-swap; a stored state older than one this
 * store has seen (a rollback of storage) is refused. After each save the router's new audit
 * entries are appended to the log `<prefix><routerId>.audit` (one JSON record per entry, after
 * the snapshot is durable: a crash between the two writes appends them at the next save, so an
 * entry may appear twice in the log — its `seq` says so — and none is lost). Save after every
 * call whose output was acted on: what was saved is what a restart, or a wasm trap, loads.
 */
export class AlarmRouterStore {
  readonly #store: StateStore;
  readonly #prefix: string;

  constructor(storage: StorageAdapter, snapshotKey: Uint8Array, options?: { prefix?: string }) {
    try {
      const [adapter, key, given] = ownConstructorArgs(arguments, [raw('storage'), 'snapshotKey', 'options'], 'new AlarmRouterStore');
      const checked = CheckedStorage.of(adapter, 'storage');
      const ownKey = expectBytes(key, 'snapshotKey');
      if (ownKey.length !== ALARM_SNAPSHOT_KEY_BYTES) throw rangeError('snapshotKey', `must be ${ALARM_SNAPSHOT_KEY_BYTES} bytes, got ${ownKey.length}`);
      const opts = given === undefined ? {} : expectObject(given, 'options', ['prefix']);
      const prefix = opts.prefix === undefined ? 'dose-alarms/' : expectString(opts.prefix, 'options.prefix');
      this.#store = new StateStore(checked, ownKey);
      this.#prefix = prefix;
      adopt(this, AlarmRouterStore);
      Object.freeze(this);
    } catch (e) {
      throw toSdkError(e, 'new AlarmRouterStore');
    }
  }

  /** The stored router, or null. SNAPSHOT_INVALID for a tampered state, a rollback, or another router's state under this id. */
  async load(routerId: string): Promise<AlarmRouter | null> {
    const id = expectString(routerId, 'routerId');
    return this.#store.load(PERSISTED_ROUTER, this.#prefix + id, id);
  }

  /** Saves the router, then appends its new audit entries. False, writing nothing, when another writer changed it since. */
  async save(router: AlarmRouter): Promise<boolean> {
    if (!isOwned(router, AlarmRouter)) throw typeError('router', 'an AlarmRouter', router);
    return this.#store.save(PERSISTED_ROUTER, this.#prefix + router.routerId, router);
  }

  /**
   * The audit log appended by {@link AlarmRouterStore.save}, oldest first, each entry once (by
   * `seq`), at most `limit` entries (default and maximum {@link ALARM_AUDIT_VERIFY_MAX}) from
   * the log's start. Check it with {@link verifyAlarmAudit}.
   */
  async auditLog(routerId: string, limit?: number): Promise<AlarmAuditEntry[]> {
    const id = expectString(routerId, 'routerId');
    const max = limit === undefined ? ALARM_AUDIT_VERIFY_MAX : expectInteger(limit, 'limit', 1, ALARM_AUDIT_VERIFY_MAX);
    const log = `${this.#prefix}${id}.audit`;
    const bySeq = new Map<number, AlarmAuditEntry>();
    let after = 0;
    // Pages of the storage's read limit; bounded by `max` records read (duplicates included).
    for (let read = 0; read < max; ) {
      const page = await this.#store.readLog(log, { after, limit: Math.min(STORAGE_LOG_READ_RECORDS_MAX, max - read) });
      if (page.length === 0) break;
      for (const r of page) {
        const entry = JSON.parse(AUDIT_DECODER.decode(r.record)) as AlarmAuditEntry;
        bySeq.set(entry.seq, entry);
        after = r.seq;
      }
      read += page.length;
    }
    return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  }
}

const PERSISTED_ROUTER: PersistedState<AlarmRouter, AlarmRouterFreshness> = Object.freeze({
  param: 'routerId',
  snapshot: (router: AlarmRouter, key: Uint8Array) => router.snapshot(key),
  restore: (bytes: Uint8Array, key: Uint8Array) => AlarmRouter.restore(bytes, key),
  freshness: (router: AlarmRouter) => router.freshness(),
  isOlder: (_router: AlarmRouter, found: AlarmRouterFreshness, seen: AlarmRouterFreshness) =>
    found.auditSeq < seen.auditSeq || found.nowMs < seen.nowMs,
  check(router: AlarmRouter, id: string): void {
    if (router.routerId !== id) {
      throw new CountersignRangeError('SNAPSHOT_INVALID', `countersign: routerId: the state stored under ${id} is another router's`, 'routerId');
    }
  },
  journal: {
    log: (key: string) => `${key}.audit`,
    entries: (router: AlarmRouter) => router.auditUnsaved().map((e) => AUDIT_ENCODER.encode(JSON.stringify(e))),
    truncate: (router: AlarmRouter, freshness: AlarmRouterFreshness) => router.markAuditSaved(freshness.auditSeq),
  },
  free: (router: AlarmRouter) => router.free(),
});

guardClass(AlarmRouterStore, {
  methods: { load: ['routerId'], save: ['router'], auditLog: ['routerId', 'limit'] },
});
