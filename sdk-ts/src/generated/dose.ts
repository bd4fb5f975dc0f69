// Generated from the Rust types in core/src by ts-rs (core/tests/ts_types.rs). Do not edit:
// change the Rust type and run `bash scripts/types.sh`.
import type { PublicKey } from "./card.js";

/**
 * IEC 60601-1-8 alarm priority.
 */
export type AlarmPriority = "high" | "medium" | "low";

/**
 * The alarm settings (JSON: camelCase, every field required, no other field).
 */
export type AlarmSettings = { readonly urgentLowMgdl: number, readonly lowMgdl: number, readonly highMgdl: number, readonly urgentHighMgdl: number, readonly sustainedLowMgdl: number, readonly sustainedLowMin: number, readonly fallRateTenthsPerMin: number, readonly riseRateTenthsPerMin: number, readonly staleWarnMin: number, readonly staleUrgentMin: number, readonly maxBolusMu: number, readonly maxDailyMu: number, readonly reservoirWarnMu: number, readonly reservoirUrgentMu: number, readonly batteryWarnPct: number, readonly batteryUrgentPct: number, };

/**
 * Basal (continuous) or bolus (a dose at once).
 */
export type DeliveryKind = "basal" | "bolus";

/**
 * A device alarm the controller raises or clears.
 */
export type DeviceAlarm = "occlusion" | "no-delivery" | "pump-error";

/**
 * Outcome of a System 9 operation (frame decoding, package installation, settings,
 * confirmation). A refusal is a normal result with exactly one of these codes; an `Error`
 * means the call itself was malformed.
 */
export type DoseCode = "ACCEPTED" | "ACCEPTED_AFTER_GAP" | "OVERSIZED" | "TRUNCATED" | "TRAILING_BYTES" | "FRAME_VERSION_UNSUPPORTED" | "BAD_CRC" | "UNKNOWN_TYPE" | "PAYLOAD_LENGTH" | "PAYLOAD_INVALID" | "TIMESTAMP_INVALID" | "DUPLICATE" | "OUT_OF_ORDER" | "TIME_REGRESSED" | "SEQUENCE_EXHAUSTED" | "ENVELOPE_MALFORMED" | "UNKNOWN_SIGNER" | "BAD_SIGNATURE" | "WRONG_TYPE" | "NOT_YET_VALID" | "EXPIRED" | "REPLAYED" | "SCHEMA_UNSUPPORTED" | "INSTALLED" | "INSTALLED_SETTINGS_REVIEW" | "CONTROLLER_INCOMPATIBLE" | "DOWNGRADE" | "ALREADY_INSTALLED" | "PACKAGE_INVALID" | "SETTINGS_PENDING" | "SETTINGS_REFUSED" | "NO_PACKAGE" | "SETTINGS_CONFIRMED" | "NOT_PENDING" | "SETTINGS_REJECTED" | "PROGRAM_MISMATCH";

/**
 * What a controller is and whom it trusts.
 */
export type DoseControllerCoreConfig = {
  /**
   * Its model.
   */
  readonly model: string,
  /**
   * The management server's keys (program packages), 1..=`SERVER_KEYS_MAX`.
   */
  readonly serverKeys: ReadonlyArray<PublicKey>,
  /**
   * The paired terminal's key (settings).
   */
  readonly terminalKey: PublicKey, };

/**
 * The (simulated) controller's state.
 */
export type DoseControllerState = {
  /**
   * What it is and whom it trusts.
   */
  readonly config: DoseControllerCoreConfig,
  /**
   * The installed program.
   */
  readonly program: InstalledProgram | null,
  /**
   * The settings in force (the program's defaults until the terminal's are confirmed; the
   * core's defaults before any program).
   */
  readonly confirmed: AlarmSettings,
  /**
   * The last settings sequence accepted.
   */
  readonly lastSettingsSeq: number | null,
  /**
   * The last acknowledgement sequence used.
   */
  readonly ackSeq: number, };

/**
 * A decoded frame.
 */
export type DoseFrame = {
  /**
   * Sequence number.
   */
  readonly seq: number,
  /**
   * Timestamp, ms since the Unix epoch.
   */
  readonly atMs: number,
  /**
   * The payload.
   */
  readonly body: FrameBody, };

/**
 * What a signal is about.
 */
export type DoseSignalKind = "urgent-low" | "low" | "high" | "urgent-high" | "sustained-low" | "falling-fast" | "rising-fast" | "stale-data" | "urgent-stale-data" | "occlusion" | "no-delivery" | "pump-error" | "low-reservoir" | "urgent-low-reservoir" | "low-battery" | "urgent-low-battery" | "max-bolus-exceeded" | "max-daily-exceeded";

/**
 * What a terminal is paired with and whom it trusts.
 */
export type DoseTerminalCoreConfig = {
  /**
   * The paired controller's model.
   */
  readonly controllerModel: string,
  /**
   * The management server's keys (program packages), 1..=`SERVER_KEYS_MAX`.
   */
  readonly serverKeys: ReadonlyArray<PublicKey>,
  /**
   * The controller's key (settings confirmations).
   */
  readonly controllerKey: PublicKey, };

/**
 * A decoded payload, one variant per message type.
 */
export type FrameBody = { readonly "type": "glucose",
  /**
   * mg/dL, 39..=401.
   */
  readonly mgdl: number, } | { readonly "type": "delivery",
  /**
   * Insulin delivered, mU.
   */
  readonly mu: number,
  /**
   * Basal or bolus.
   */
  readonly kind: DeliveryKind, } | { readonly "type": "device-status",
  /**
   * Insulin left, mU.
   */
  readonly reservoirMu: number,
  /**
   * Battery, %.
   */
  readonly batteryPct: number,
  /**
   * Battery, mV.
   */
  readonly batteryMv: number, } | { readonly "type": "device-alarm",
  /**
   * Which alarm.
   */
  readonly alarm: DeviceAlarm,
  /**
   * Raised (true) or cleared.
   */
  readonly raised: boolean, } | { readonly "type": "usage",
  /**
   * What happened.
   */
  readonly event: UsageEvent, };

/**
 * What `Stream::accept` decided about one frame.
 */
export type FrameResult = {
  /**
   * `ACCEPTED`, `ACCEPTED_AFTER_GAP`, or the refusal.
   */
  readonly code: DoseCode,
  /**
   * The frame, when it decoded (also for the stream refusals: the caller may show it).
   */
  readonly frame: DoseFrame | null,
  /**
   * Frames missing before this one (`ACCEPTED_AFTER_GAP`), else 0.
   */
  readonly missing: number, };

/**
 * The receiving side's state of one controller's frame stream (snapshot-able: plain data).
 */
export type FrameStream = {
  /**
   * The newest accepted sequence number; `None` before the first frame.
   */
  readonly lastSeq: number | null,
  /**
   * The newest accepted frame's timestamp, ms (0 before the first frame).
   */
  readonly lastAtMs: number,
  /**
   * Bit i set: `last_seq − 1 − i` was accepted (i < `SEEN_WINDOW_FRAMES`). As 16 hex
   * digits in JSON: 64 bits do not fit a JavaScript number.
   */
  readonly seenBehind: string,
  /**
   * Frames accepted in total (reported; never decides anything).
   */
  readonly acceptedCount: number,
  /**
   * Frames reported missing in total.
   */
  readonly missingCount: number, };

/**
 * What an installation decided.
 */
export type InstallOutcome = {
  /**
   * `INSTALLED`, `INSTALLED_SETTINGS_REVIEW` or the refusal.
   */
  readonly code: DoseCode,
  /**
   * The package's version, when the envelope opened.
   */
  readonly version: number | null,
  /**
   * The patient's settings the new package refuses (`INSTALLED_SETTINGS_REVIEW`).
   */
  readonly invalid: ReadonlyArray<SettingsFinding>, };

/**
 * An installed program.
 */
export type InstalledProgram = {
  /**
   * Its version (the envelope's `seq`).
   */
  readonly version: number,
  /**
   * Its content.
   */
  readonly package: ProgramPackage, };

/**
 * The patient terminal's state (plain data: persisted whole).
 */
export type PatientTerminalState = {
  /**
   * Pairing and trust.
   */
  readonly config: DoseTerminalCoreConfig,
  /**
   * Changes so far (the store's rollback guard; +1 per change).
   */
  readonly revision: number,
  /**
   * The installed program.
   */
  readonly program: InstalledProgram | null,
  /**
   * The settings the controller confirmed.
   */
  readonly confirmed: AlarmSettings | null,
  /**
   * Settings sent and not yet confirmed.
   */
  readonly pending: PendingSettings | null,
  /**
   * What the settings form shows.
   */
  readonly draft: AlarmSettings,
  /**
   * The last settings sequence number used.
   */
  readonly settingsSeq: number,
  /**
   * The last acknowledgement sequence number accepted.
   */
  readonly lastAckSeq: number | null,
  /**
   * The controller's frame stream.
   */
  readonly stream: FrameStream, };

/**
 * Settings sealed and waiting for the controller's confirmation.
 */
export type PendingSettings = {
  /**
   * The settings.
   */
  readonly settings: AlarmSettings,
  /**
   * The envelope's sequence number.
   */
  readonly seq: number,
  /**
   * SHA-256 of the envelope (the acknowledgement names it).
   */
  readonly hash: [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number], };

/**
 * A program package's content.
 */
export type ProgramPackage = {
  /**
   * The program's id.
   */
  readonly programId: string,
  /**
   * The controller model it is for.
   */
  readonly controllerModel: string,
  /**
   * The frame decoding tables' version it expects.
   */
  readonly decodingTablesVersion: number,
  /**
   * Default settings.
   */
  readonly defaults: AlarmSettings,
  /**
   * Permitted range of every field, in `FIELDS` order.
   */
  readonly permitted: [[number, number], [number, number], [number, number], [number, number], [number, number], [number, number], [number, number], [number, number], [number, number], [number, number], [number, number], [number, number], [number, number], [number, number], [number, number], [number, number]],
  /**
   * Routing roles, in escalation order (`patient`, `caregiver`, `doctor`, `risk-centre` …).
   */
  readonly roles: ReadonlyArray<string>, };

/**
 * What a proposal decided.
 */
export type ProposeOutcome = {
  /**
   * `SETTINGS_PENDING`, `SETTINGS_REFUSED` or `NO_PACKAGE`.
   */
  readonly code: DoseCode,
  /**
   * Refusals and warnings.
   */
  readonly validation: SettingsValidation,
  /**
   * The `dose.settings` envelope to send (`SETTINGS_PENDING`); a `Uint8Array` in JavaScript.
   */
  readonly envelope: Uint8Array | null, };

/**
 * Which way the glucose risk goes (snoozes are scoped by it: a high snooze never mutes a low).
 */
export type RiskDirection = "low" | "high" | "none";

/**
 * A risk signal.
 */
export type RiskSignal = {
  /**
   * `<kind>:<startSeq>`.
   */
  readonly signalId: string,
  /**
   * What it is about.
   */
  readonly kind: DoseSignalKind,
  /**
   * IEC 60601-1-8 priority.
   */
  readonly priority: AlarmPriority,
  /**
   * Low, high or none.
   */
  readonly direction: RiskDirection,
  /**
   * When the condition started, ms.
   */
  readonly atMs: number,
  /**
   * The frame that started it (stale data: the last reading before the gap).
   */
  readonly startSeq: number,
  /**
   * Why, in words.
   */
  readonly reason: string,
  /**
   * The values that triggered it (at most `EVIDENCE_MAX`).
   */
  readonly evidence: ReadonlyArray<SignalEvidence>,
  /**
   * When and why it cleared; `None` while the condition lasts (or for a latched kind).
   */
  readonly resolved: SignalResolution | null, };

/**
 * What the controller did with a settings envelope.
 */
export type SettingsAnswer = {
  /**
   * `SETTINGS_CONFIRMED`, a refusal it answers (`SETTINGS_REFUSED`, `PROGRAM_MISMATCH`), or an
   * envelope refusal it does not answer.
   */
  readonly code: DoseCode,
  /**
   * The signed `dose.settings-ack` (absent for envelope refusals); a `Uint8Array` in JavaScript.
   */
  readonly ack: Uint8Array | null, };

/**
 * One finding about one field.
 */
export type SettingsFinding = {
  /**
   * The field (camelCase name).
   */
  readonly field: string,
  /**
   * What is wrong.
   */
  readonly code: SettingsFindingCode,
  /**
   * The field's value.
   */
  readonly value: number,
  /**
   * The bound it broke (for `ORDER`: the other field's value).
   */
  readonly limit: number,
  /**
   * Why, in words.
   */
  readonly message: string, };

/**
 * What a finding says about a field.
 */
export type SettingsFindingCode = "BELOW_ABSOLUTE" | "ABOVE_ABSOLUTE" | "BELOW_PERMITTED" | "ABOVE_PERMITTED" | "ORDER" | "BELOW_RECOMMENDED" | "ABOVE_RECOMMENDED";

/**
 * The findings about a set of settings: refusals and warnings, in check order.
 */
export type SettingsValidation = {
  /**
   * Refusals (empty: the settings may be sent).
   */
  readonly refusals: ReadonlyArray<SettingsFinding>,
  /**
   * Warnings (outside the recommended range).
   */
  readonly warnings: ReadonlyArray<SettingsFinding>, };

/**
 * One value that triggered (or cleared) a signal.
 */
export type SignalEvidence = {
  /**
   * The frame's sequence number.
   */
  readonly seq: number,
  /**
   * The frame's timestamp, ms.
   */
  readonly atMs: number,
  /**
   * What the value is (`glucoseMgdl`, `slopeTenthsPerMin`, `gapMs`, `reservoirMu`,
   * `batteryPct`, `batteryMv`, `bolusMu`, `trailingDailyMu`, `deviceAlarm`).
   */
  readonly measure: string,
  /**
   * The value in the measure's unit (`deviceAlarm`: 1 raised).
   */
  readonly value: number, };

/**
 * How an episode ended.
 */
export type SignalResolution = {
  /**
   * When the condition cleared, ms.
   */
  readonly atMs: number,
  /**
   * The frame that cleared it (none: superseded at a computed time, e.g. by urgent stale data).
   */
  readonly seq: number | null,
  /**
   * Why, in words.
   */
  readonly reason: string, };

/**
 * A usage event.
 */
export type UsageEvent = "suspend" | "resume" | "site-change" | "sensor-start";
