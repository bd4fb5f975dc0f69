/**
 * dose — System 9: the patient terminal after an automatic drug injection (program package,
 * controller frames, alarm settings, the controller's evaluation into risk signals). The routing
 * and escalation of those signals is a separate module.
 *
 * Roles, one class each:
 * - the **patient terminal** ({@link PatientTerminal}): installs the management server's signed
 *   program package (signer, type, version never older, paired controller model), decodes the
 *   controller's binary frames (CRC-16/CCITT-FALSE; bad CRC, truncated, oversized, duplicate,
 *   gap and out-of-order frames each get a code), validates the patient's alarm settings
 *   (absolute bounds refuse, recommended bounds warn, every finding names its field) and sends
 *   them signed; they stay *pending* until the controller's signed confirmation arrives.
 *   {@link DoseStore} persists it through a storage adapter (IndexedDB, files, PostgreSQL);
 * - the **controller** ({@link DoseController}, simulated in the demo): installs the same
 *   package, confirms or refuses settings, and evaluates a history of frames against the
 *   settings it confirmed — a pure, replayable function — into risk signals with priority
 *   (IEC 60601-1-8), direction, reason and evidence.
 *
 * Every rule lives in the Rust core (core/src/dose, docs/dose.md); this module validates
 * arguments and converts them. Glucose is integer mg/dL, insulin integer milliunits (0.001 U),
 * times integer ms (frames) or Unix seconds (envelopes): never fractions.
 */
import { INTERNAL_CONSTRUCTION, adopt, checkInternalConstruction, guardClass, guardFunction, isOwned, ownConstructorArgs, raw, toSdkError } from './boundary.js';
import { call } from './calls.js';
import { expectKeyAlgorithm, type KeyAlgorithm } from './crypto.js';
import { CountersignRangeError } from './errors.js';
import { WasmObject, withHandle } from './handle.js';
import { wasm } from './loader.js';
import { CheckedStorage } from './storage/checked.js';
import { StateStore, type PersistedState } from './store.js';
import type { StorageAdapter } from './storage/types.js';
import { expectArray, expectBytes, expectInteger, expectObject, expectString, rangeError, typeError } from './validate.js';

import type {
  AlarmPriority,
  AlarmSettings,
  DeliveryKind,
  DeviceAlarm,
  DoseCode,
  DoseControllerCoreConfig,
  DoseControllerState,
  DoseFrame,
  DoseSignalKind,
  DoseTerminalCoreConfig,
  FrameBody,
  FrameResult,
  FrameStream,
  InstallOutcome,
  InstalledProgram,
  PatientTerminalState,
  PendingSettings,
  ProgramPackage,
  ProposeOutcome,
  RiskDirection,
  RiskSignal,
  SettingsAnswer,
  SettingsFinding,
  SettingsFindingCode,
  SettingsValidation,
  SignalEvidence,
  SignalResolution,
  UsageEvent,
} from './generated/dose.js';
export type {
  AlarmPriority,
  AlarmSettings,
  DeliveryKind,
  DeviceAlarm,
  DoseCode,
  DoseControllerCoreConfig,
  DoseControllerState,
  DoseFrame,
  DoseSignalKind,
  DoseTerminalCoreConfig,
  FrameBody,
  FrameResult,
  FrameStream,
  InstallOutcome,
  InstalledProgram,
  PatientTerminalState,
  PendingSettings,
  ProgramPackage,
  ProposeOutcome,
  RiskDirection,
  RiskSignal,
  SettingsAnswer,
  SettingsFinding,
  SettingsFindingCode,
  SettingsValidation,
  SignalEvidence,
  SignalResolution,
  UsageEvent,
};
import type { Exhaustive } from './exhaustive.js';

// The types above are the core's (generated from the Rust types, sdk-ts/src/generated/dose.ts),
// named for this module in the Rust `ts(rename)` (`Evidence`, `Resolution` are the shelf's too).

/** Every outcome code of the dose module, in the core's order (docs/dose.md). */
export const DOSE_CODES = Object.freeze([
  'ACCEPTED', 'ACCEPTED_AFTER_GAP', 'OVERSIZED', 'TRUNCATED', 'TRAILING_BYTES', 'FRAME_VERSION_UNSUPPORTED', 'BAD_CRC',
  'UNKNOWN_TYPE', 'PAYLOAD_LENGTH', 'PAYLOAD_INVALID', 'TIMESTAMP_INVALID', 'DUPLICATE', 'OUT_OF_ORDER', 'TIME_REGRESSED',
  'SEQUENCE_EXHAUSTED', 'ENVELOPE_MALFORMED', 'UNKNOWN_SIGNER', 'BAD_SIGNATURE', 'WRONG_TYPE', 'NOT_YET_VALID', 'EXPIRED',
  'REPLAYED', 'SCHEMA_UNSUPPORTED', 'INSTALLED', 'INSTALLED_SETTINGS_REVIEW', 'CONTROLLER_INCOMPATIBLE', 'DOWNGRADE',
  'ALREADY_INSTALLED', 'PACKAGE_INVALID', 'SETTINGS_PENDING', 'SETTINGS_REFUSED', 'NO_PACKAGE', 'SETTINGS_CONFIRMED',
  'NOT_PENDING', 'SETTINGS_REJECTED', 'PROGRAM_MISMATCH',
] as const satisfies readonly DoseCode[]);
type _DoseCodesComplete = Exhaustive<Exclude<DoseCode, (typeof DOSE_CODES)[number]>>;

/** Every risk-signal kind (docs/dose.md "Signals"). */
export const DOSE_SIGNAL_KINDS = Object.freeze([
  'urgent-low', 'low', 'high', 'urgent-high', 'sustained-low', 'falling-fast', 'rising-fast', 'stale-data',
  'urgent-stale-data', 'occlusion', 'no-delivery', 'pump-error', 'low-reservoir', 'urgent-low-reservoir', 'low-battery',
  'urgent-low-battery', 'max-bolus-exceeded', 'max-daily-exceeded',
] as const satisfies readonly DoseSignalKind[]);
type _SignalKindsComplete = Exhaustive<Exclude<DoseSignalKind, (typeof DOSE_SIGNAL_KINDS)[number]>>;

export type DoseSettingsField = keyof AlarmSettings;
/** The settings' field names, in the one order (bounds arrays follow it). */
export const DOSE_SETTINGS_FIELDS = Object.freeze([
  'urgentLowMgdl', 'lowMgdl', 'highMgdl', 'urgentHighMgdl', 'sustainedLowMgdl', 'sustainedLowMin',
  'fallRateTenthsPerMin', 'riseRateTenthsPerMin', 'staleWarnMin', 'staleUrgentMin', 'maxBolusMu', 'maxDailyMu',
  'reservoirWarnMu', 'reservoirUrgentMu', 'batteryWarnPct', 'batteryUrgentPct',
] as const satisfies readonly DoseSettingsField[]);
type _SettingsFieldsComplete = Exhaustive<Exclude<DoseSettingsField, (typeof DOSE_SETTINGS_FIELDS)[number]>>;
/** The permitted `[min, max]` of every field, in {@link DOSE_SETTINGS_FIELDS} order. */
export type SettingsBounds = ProgramPackage['permitted'];
/** A settings field's unit and ranges (the core's table). */
export interface SettingsFieldSpec {
  readonly name: DoseSettingsField;
  readonly unit: string;
  readonly absolute: [number, number];
  readonly recommended: [number, number];
  readonly default: number;
}

/** A public key a role trusts. */
export interface DoseKey {
  readonly keyId: string;
  readonly algorithm: KeyAlgorithm;
  readonly publicKey: Uint8Array;
}
/** Who signs: the secret key crosses for the one call and is wiped in wasm memory after it. */
export interface DoseSigner {
  readonly keyId: string;
  readonly algorithm: KeyAlgorithm;
  readonly secretKey: Uint8Array;
}
export interface PatientTerminalConfig {
  readonly controllerModel: string;
  readonly serverKeys: readonly DoseKey[];
  readonly controllerKey: DoseKey;
}
export interface DoseControllerConfig {
  readonly model: string;
  readonly serverKeys: readonly DoseKey[];
  readonly terminalKey: DoseKey;
}

/** The latest frame timestamp, ms (2^53 − 1). */
export const DOSE_TIME_MS_MAX = Number.MAX_SAFE_INTEGER;
/** Envelope times, Unix seconds (the envelope format's range). */
const TIME_S_MAX = Number.MAX_SAFE_INTEGER;
/** The most frames one evaluation takes (the core's `HISTORY_FRAMES_MAX`). */
export const DOSE_HISTORY_FRAMES_MAX = 200_000;
/** The snapshot key's length in bytes. */
export const DOSE_SNAPSHOT_KEY_BYTES = 32;

const { assign: objectAssign, create: objectCreate } = Object;
function bare<T extends object>(value: T): T {
  return objectAssign(objectCreate(null) as T, value);
}
function fieldsOf(value: unknown, param: string, allowed?: readonly string[]): Record<string, unknown> {
  return bare(expectObject(value, param, allowed));
}
function hex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}
function keyToCore(value: unknown, param: string): { keyId: string; alg: KeyAlgorithm; publicKey: string } {
  const key = fieldsOf(value, param, ['keyId', 'algorithm', 'publicKey']);
  return bare({
    keyId: expectString(key.keyId, `${param}.keyId`),
    alg: expectKeyAlgorithm(key.algorithm, `${param}.algorithm`),
    publicKey: hex(expectBytes(key.publicKey, `${param}.publicKey`)),
  });
}
function keysToCore(value: unknown, param: string): { keyId: string; alg: KeyAlgorithm; publicKey: string }[] {
  const list = expectArray(value, param);
  // The core takes at most 4 (SERVER_KEYS_MAX); a longer list is refused before reading it.
  if (list.length > 4) throw rangeError(param, `at most 4 keys, got ${list.length}`);
  return list.map((k, i) => keyToCore(k, `${param}[${i}]`));
}
function signerToCore(value: unknown): DoseSigner {
  const s = fieldsOf(value, 'signer', ['keyId', 'algorithm', 'secretKey']);
  return Object.freeze(bare({
    keyId: expectString(s.keyId, 'signer.keyId'),
    algorithm: expectKeyAlgorithm(s.algorithm, 'signer.algorithm'),
    secretKey: expectBytes(s.secretKey, 'signer.secretKey'),
  }));
}
const timeS = (value: unknown, param: string): bigint => BigInt(expectInteger(value, param, -TIME_S_MAX, TIME_S_MAX));
const timeMs = (value: unknown, param: string): bigint => BigInt(expectInteger(value, param, 0, DOSE_TIME_MS_MAX));
/** The longest frame in bytes (the core's `FRAME_BYTES_MAX`: 15-byte header, 32-byte payload, CRC). */
export const DOSE_FRAME_BYTES_MAX = 49;
/** The largest history in bytes {@link doseEvaluateBytes} takes: every frame at its largest behind its length byte. */
export const DOSE_HISTORY_BYTES_MAX = DOSE_HISTORY_FRAMES_MAX * (1 + DOSE_FRAME_BYTES_MAX);

/** History bytes bounded before the adapter copies them (the core decodes and checks each frame). */
function historyBytesOf(value: unknown): Uint8Array {
  const bytes = expectBytes(value, 'history');
  if (bytes.length > DOSE_HISTORY_BYTES_MAX) {
    throw new CountersignRangeError('LIMIT_EXCEEDED', `countersign: history: at most ${DOSE_HISTORY_BYTES_MAX} bytes, got ${bytes.length}`, 'history');
  }
  return bytes;
}

/** A history array, its length bounded before the adapter reads it (the core checks each frame). */
function historyOf(value: unknown): readonly unknown[] {
  const list = expectArray(value, 'history');
  if (list.length > DOSE_HISTORY_FRAMES_MAX) {
    throw new CountersignRangeError('LIMIT_EXCEEDED', `countersign: history: at most ${DOSE_HISTORY_FRAMES_MAX} frames, got ${list.length}`, 'history');
  }
  return list;
}

/** Seals a program package (the management server's side): a `dose.program` envelope whose sequence number is the version. */
export const doseSealProgram = guardFunction(function doseSealProgram(pkg: ProgramPackage, version: number, signer: DoseSigner, issuedAt: number, expiresAt: number): Uint8Array {
  expectObject(pkg, 'package');
  const v = BigInt(expectInteger(version, 'version', 0, Number.MAX_SAFE_INTEGER));
  const s = signerToCore(signer);
  const from = timeS(issuedAt, 'issuedAt');
  const to = timeS(expiresAt, 'expiresAt');
  return call(() => wasm('dose.device').doseSealProgram(pkg, v, s, from, to));
}, ['package', 'version', 'signer', 'issuedAt', 'expiresAt']);

/** A frame's exact bytes (the simulated controller's side). */
export const doseEncodeFrame = guardFunction(function doseEncodeFrame(frame: DoseFrame): Uint8Array {
  expectObject(frame, 'frame');
  return call(() => wasm('dose.device').doseEncodeFrame(frame));
}, ['frame']);

/** Decodes one frame without stream checks: the frame, or the code of why not. */
export const doseDecodeFrame = guardFunction(function doseDecodeFrame(bytes: Uint8Array): DoseFrame | DoseCode {
  const b = expectBytes(bytes, 'bytes');
  return call(() => wasm('dose.device').doseDecodeFrame(b));
}, ['bytes']);

/** Validates alarm settings against `permitted` (absent: the absolute bounds): refusals and warnings, each naming its field. */
export const doseValidateSettings = guardFunction(function doseValidateSettings(settings: AlarmSettings, permitted?: SettingsBounds): SettingsValidation {
  expectObject(settings, 'settings');
  if (permitted !== undefined) expectArray(permitted, 'permitted');
  return call(() => wasm('dose.device').doseValidateSettings(settings, permitted));
}, ['settings', 'permitted']);

/** The controller's evaluation as a pure function: settings + history (accepted frames, in order) up to `untilMs` → risk signals. */
export const doseEvaluate = guardFunction(function doseEvaluate(settings: AlarmSettings, history: readonly DoseFrame[], untilMs: number): RiskSignal[] {
  expectObject(settings, 'settings');
  const h = historyOf(history);
  const until = timeMs(untilMs, 'untilMs');
  return call(() => wasm('dose.device').doseEvaluate(settings, h, until));
}, ['settings', 'history', 'untilMs']);

/**
 * Packs frames as they came off the wire into the bytes form of a history that
 * {@link doseEvaluateBytes} and {@link DoseController.evaluateBytes} take: the frames concatenated,
 * each behind one byte holding its length (a frame is at most {@link DOSE_FRAME_BYTES_MAX} bytes).
 * Packing only: the frames are decoded and checked by the evaluation.
 */
export const doseHistoryBytes = guardFunction(function doseHistoryBytes(frames: readonly Uint8Array[]): Uint8Array {
  const list = historyOf(frames);
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let i = 0; i < list.length; i++) {
    const b = expectBytes(list[i], `frames[${i}]`);
    if (b.length > DOSE_FRAME_BYTES_MAX) throw rangeError(`frames[${i}]`, `must be at most ${DOSE_FRAME_BYTES_MAX} bytes, got ${b.length}`);
    parts.push(b);
    total += 1 + b.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const b of parts) {
    out[at] = b.length;
    out.set(b, at + 1);
    at += 1 + b.length;
  }
  return out;
}, ['frames']);

/**
 * {@link doseEvaluate} of a history given as the frames' own bytes ({@link doseHistoryBytes}):
 * the same signals, with the whole history crossing into the core at once instead of one object
 * per frame, and every frame decoded and checked by the core (CRC, ranges). A frame that does not
 * decode is refused naming it (`history[3]`, the message gives its code, e.g. `BAD_CRC`).
 */
export const doseEvaluateBytes = guardFunction(function doseEvaluateBytes(settings: AlarmSettings, history: Uint8Array, untilMs: number): RiskSignal[] {
  expectObject(settings, 'settings');
  const h = historyBytesOf(history);
  const until = timeMs(untilMs, 'untilMs');
  return call(() => wasm('dose.device').doseEvaluateBytes(settings, h, until));
}, ['settings', 'history', 'untilMs']);

/** Every dose outcome code with its description (the core's list; {@link DOSE_CODES} is checked against it). */
export const doseCodes = guardFunction(function doseCodes(): { code: DoseCode; description: string }[] {
  return call(() => wasm('dose.device').doseCodes());
}, []);

/** The settings fields with their units, absolute and recommended ranges and defaults (for a form). */
export const doseSettingsFields = guardFunction(function doseSettingsFields(): SettingsFieldSpec[] {
  return call(() => wasm('dose.device').doseSettingsFields());
}, []);

type TerminalHandle = import('../wasm/countersign_wasm.js').DoseTerminalHandle;
type ControllerHandle = import('../wasm/countersign_wasm.js').DoseControllerHandle;

/**
 * The patient terminal: paired with one controller, trusting the management server's keys.
 * State lives in wasm memory; {@link DoseStore} persists it. Call `free()` (or `using`) when done.
 */
export class PatientTerminal extends WasmObject<TerminalHandle> {
  private constructor(token: typeof INTERNAL_CONSTRUCTION, handle: TerminalHandle) {
    checkInternalConstruction(token, 'PatientTerminal', 'PatientTerminal.create or PatientTerminal.restore');
    super(handle, 'dose');
    adopt(this, PatientTerminal);
    Object.freeze(this);
  }

  /** A terminal paired with a controller model, trusting `serverKeys` (packages) and `controllerKey` (confirmations). */
  static create(config: PatientTerminalConfig): PatientTerminal {
    const c = fieldsOf(config, 'config', ['controllerModel', 'serverKeys', 'controllerKey']);
    const core = bare({
      controllerModel: expectString(c.controllerModel, 'config.controllerModel'),
      serverKeys: keysToCore(c.serverKeys, 'config.serverKeys'),
      controllerKey: keyToCore(c.controllerKey, 'config.controllerKey'),
    });
    return new PatientTerminal(INTERNAL_CONSTRUCTION, call<TerminalHandle>(() => new (wasm('dose.device').DoseTerminalHandle)(core)));
  }

  /** A terminal from {@link PatientTerminal.snapshot} bytes (authenticated; refused if tampered). */
  static restore(snapshot: Uint8Array, snapshotKey: Uint8Array): PatientTerminal {
    const bytes = expectBytes(snapshot, 'snapshot');
    const key = expectBytes(snapshotKey, 'snapshotKey');
    return new PatientTerminal(INTERNAL_CONSTRUCTION, call<TerminalHandle>(() => wasm('dose.device').DoseTerminalHandle.restore(bytes, key)));
  }

  /** Installs a program package (`nowS`: the terminal's clock, Unix seconds). */
  install(pkg: Uint8Array, nowS: number): InstallOutcome {
    const bytes = expectBytes(pkg, 'package');
    const now = timeS(nowS, 'nowS');
    return withHandle(this, (h) => h.install(bytes, now) as InstallOutcome);
  }

  /** Validates settings and, when valid, seals them for the controller: pending until it confirms. */
  proposeSettings(settings: AlarmSettings, signer: DoseSigner, nowS: number, ttlS = 600): ProposeOutcome {
    expectObject(settings, 'settings');
    const s = signerToCore(signer);
    const now = timeS(nowS, 'nowS');
    const ttl = BigInt(expectInteger(ttlS, 'ttlS', 1, 86_400));
    return withHandle(this, (h) => h.propose(settings, s, now, ttl) as ProposeOutcome);
  }

  /** Takes the controller's signed confirmation (or refusal) of the pending settings. */
  takeAck(ack: Uint8Array, nowS: number): DoseCode {
    const bytes = expectBytes(ack, 'ack');
    const now = timeS(nowS, 'nowS');
    return withHandle(this, (h) => h.takeAck(bytes, now) as DoseCode);
  }

  /** Decodes one frame from the controller into the stream: its code, the frame, frames missing before it. */
  acceptFrame(frame: Uint8Array): FrameResult {
    const bytes = expectBytes(frame, 'frame');
    return withHandle(this, (h) => h.acceptFrame(bytes) as FrameResult);
  }

  /** The state as plain data: program, confirmed / pending / draft settings, stream. */
  state(): PatientTerminalState {
    return withHandle(this, (h) => h.state() as PatientTerminalState);
  }

  /** The permitted `[min, max]` of every field under the installed program. */
  permitted(): SettingsBounds {
    return withHandle(this, (h) => h.permitted() as SettingsBounds);
  }

  /** Versioned, HMAC-SHA256-authenticated state bytes. */
  snapshot(snapshotKey: Uint8Array): Uint8Array {
    const key = expectBytes(snapshotKey, 'snapshotKey');
    return withHandle(this, (h) => h.snapshot(key));
  }

  /** The change counter (the store's rollback guard). */
  freshness(): { readonly revision: number } {
    return { revision: withHandle(this, (h) => h.revision() as number) };
  }
}

guardClass(PatientTerminal, {
  methods: {
    install: ['package', 'nowS'],
    proposeSettings: ['settings', 'signer', 'nowS', 'ttlS'],
    takeAck: ['ack', 'nowS'],
    acceptFrame: ['frame'],
    state: [],
    permitted: [],
    snapshot: ['snapshotKey'],
    freshness: [],
    free: [],
  },
  statics: { create: ['config'], restore: ['snapshot', 'snapshotKey'] },
});

/** The controller role (simulated in the demo): confirms settings and evaluates histories. */
export class DoseController extends WasmObject<ControllerHandle> {
  private constructor(token: typeof INTERNAL_CONSTRUCTION, handle: ControllerHandle) {
    checkInternalConstruction(token, 'DoseController', 'DoseController.create');
    super(handle, 'dose');
    adopt(this, DoseController);
    Object.freeze(this);
  }

  static create(config: DoseControllerConfig): DoseController {
    const c = fieldsOf(config, 'config', ['model', 'serverKeys', 'terminalKey']);
    const core = bare({
      model: expectString(c.model, 'config.model'),
      serverKeys: keysToCore(c.serverKeys, 'config.serverKeys'),
      terminalKey: keyToCore(c.terminalKey, 'config.terminalKey'),
    });
    return new DoseController(INTERNAL_CONSTRUCTION, call<ControllerHandle>(() => new (wasm('dose.device').DoseControllerHandle)(core)));
  }

  install(pkg: Uint8Array, nowS: number): DoseCode {
    const bytes = expectBytes(pkg, 'package');
    const now = timeS(nowS, 'nowS');
    return withHandle(this, (h) => h.install(bytes, now) as DoseCode);
  }

  /** Opens a settings envelope and answers it with a signed confirmation or refusal (none for an envelope it cannot trust). */
  receiveSettings(envelope: Uint8Array, nowS: number, signer: DoseSigner): SettingsAnswer {
    const bytes = expectBytes(envelope, 'envelope');
    const now = timeS(nowS, 'nowS');
    const s = signerToCore(signer);
    return withHandle(this, (h) => h.receiveSettings(bytes, now, s) as SettingsAnswer);
  }

  /** Evaluates a history against the settings in force (see {@link doseEvaluate}). */
  evaluate(history: readonly DoseFrame[], untilMs: number): RiskSignal[] {
    const h = historyOf(history);
    const until = timeMs(untilMs, 'untilMs');
    return withHandle(this, (x) => x.evaluate(h, until) as RiskSignal[]);
  }

  /** Evaluates a history given as the frames' bytes against the settings in force (see {@link doseEvaluateBytes}). */
  evaluateBytes(history: Uint8Array, untilMs: number): RiskSignal[] {
    const h = historyBytesOf(history);
    const until = timeMs(untilMs, 'untilMs');
    return withHandle(this, (x) => x.evaluateBytes(h, until) as RiskSignal[]);
  }

  /** The settings in force. */
  confirmed(): AlarmSettings {
    return withHandle(this, (h) => (h.state() as { confirmed: AlarmSettings }).confirmed);
  }
}

guardClass(DoseController, {
  methods: {
    install: ['package', 'nowS'],
    receiveSettings: ['envelope', 'nowS', 'signer'],
    evaluate: ['history', 'untilMs'],
    evaluateBytes: ['history', 'untilMs'],
    confirmed: [],
    free: [],
  },
  statics: { create: ['config'] },
});

/**
 * Saves and loads patient terminals through a storage adapter, one key per terminal id, with
 * compare-and-swap; a stored state older than one this store has seen (a storage rollback) is
 * refused. Save after every change that must survive a reload.
 */
export class DoseStore {
  readonly #store: StateStore;
  readonly #prefix: string;

  constructor(storage: StorageAdapter, snapshotKey: Uint8Array, options?: { prefix?: string }) {
    try {
      const [adapter, key, given] = ownConstructorArgs(arguments, [raw('storage'), 'snapshotKey', 'options'], 'new DoseStore');
      const checked = CheckedStorage.of(adapter, 'storage');
      const ownKey = expectBytes(key, 'snapshotKey');
      if (ownKey.length !== DOSE_SNAPSHOT_KEY_BYTES) throw rangeError('snapshotKey', `must be ${DOSE_SNAPSHOT_KEY_BYTES} bytes, got ${ownKey.length}`);
      const opts = given === undefined ? {} : expectObject(given, 'options', ['prefix']);
      const prefix = opts.prefix === undefined ? 'dose/' : expectString(opts.prefix, 'options.prefix');
      this.#store = new StateStore(checked, ownKey);
      this.#prefix = prefix;
      adopt(this, DoseStore);
      Object.freeze(this);
    } catch (e) {
      throw toSdkError(e, 'new DoseStore');
    }
  }

  /** The stored terminal, or null when none. */
  async load(terminalId: string): Promise<PatientTerminal | null> {
    const id = expectString(terminalId, 'terminalId');
    return this.#store.load(PERSISTED_TERMINAL, this.#prefix + id, id);
  }

  /** Saves the terminal. False, writing nothing, when another writer changed it since this store last saw it. */
  async save(terminalId: string, terminal: PatientTerminal): Promise<boolean> {
    const id = expectString(terminalId, 'terminalId');
    if (!isOwned(terminal, PatientTerminal)) throw typeError('terminal', 'a PatientTerminal', terminal);
    return this.#store.save(PERSISTED_TERMINAL, this.#prefix + id, terminal);
  }
}

const PERSISTED_TERMINAL: PersistedState<PatientTerminal, { revision: number }> = Object.freeze({
  param: 'terminalId',
  snapshot: (t: PatientTerminal, key: Uint8Array) => t.snapshot(key),
  restore: (bytes: Uint8Array, key: Uint8Array) => PatientTerminal.restore(bytes, key),
  freshness: (t: PatientTerminal) => t.freshness(),
  isOlder: (_t: PatientTerminal, found: { revision: number }, seen: { revision: number }) => found.revision < seen.revision,
  free: (t: PatientTerminal) => t.free(),
});

guardClass(DoseStore, {
  methods: { load: ['terminalId'], save: ['terminalId', 'terminal'] },
});
