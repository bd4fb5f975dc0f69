// Generated from the Rust types in core/src by ts-rs (core/tests/ts_types.rs). Do not edit:
// change the Rust type and run `bash scripts/types.sh`.
import type { AlarmPriority, RiskDirection } from "./dose.js";

/**
 * One audit entry (see the module's *Audit log*).
 */
export type AlarmAuditEntry = {
  /**
   * 1, 2, … with no gap.
   */
  readonly seq: number,
  /**
   * When, Unix ms.
   */
  readonly atMs: number,
  /**
   * What.
   */
  readonly event: AlarmAuditEvent,
  /**
   * The alarm (signal id).
   */
  readonly alarmId: string,
  /**
   * The recipient concerned, if one.
   */
  readonly recipientId?: string,
  /**
   * The ladder step concerned, if one.
   */
  readonly step?: number,
  /**
   * More (see each event).
   */
  readonly detail?: string,
  /**
   * Hex SHA-256 chaining this entry to the previous one.
   */
  readonly hash: string, };

/**
 * What an audit entry records.
 */
export type AlarmAuditEvent = "issued" | "sent" | "delivered" | "delivery-failed" | "acknowledged" | "escalated" | "repeated" | "deferred" | "snoozed" | "snooze-expired" | "retracted" | "closed";

/**
 * A message to send to a recipient's terminal.
 */
export type AlarmDelivery = {
  /**
   * Id to confirm with `receipt` (1, 2, …).
   */
  readonly deliveryId: number,
  /**
   * The alarm (signal id).
   */
  readonly alarmId: string,
  /**
   * To whom.
   */
  readonly recipientId: string,
  /**
   * Their role.
   */
  readonly role: AlarmRole,
  /**
   * The ladder step.
   */
  readonly step: number,
  /**
   * Whether this recipient was sent this alarm before.
   */
  readonly repeat: boolean,
  /**
   * The signal's kind.
   */
  readonly kind: string,
  /**
   * The signal's priority.
   */
  readonly priority: AlarmPriority,
  /**
   * The signal's direction.
   */
  readonly direction: RiskDirection,
  /**
   * The signal's reason.
   */
  readonly reason: string,
  /**
   * The signal's evidence.
   */
  readonly evidence: string,
  /**
   * When the controller raised the signal, Unix ms.
   */
  readonly signalAtMs: number,
  /**
   * When this delivery was made, Unix ms.
   */
  readonly sentAtMs: number, };

/**
 * A routing policy: the ladder for the signals it matches.
 */
export type AlarmPolicy = {
  /**
   * Matches signals of this kind only (absent: any kind).
   */
  readonly kind?: string,
  /**
   * Matches signals of this priority only (absent: any priority).
   */
  readonly priority?: AlarmPriority,
  /**
   * The ladder, 1..=`STEPS_MAX` steps, lowest first.
   */
  readonly steps: ReadonlyArray<AlarmStep>, };

/**
 * A person who may be told.
 */
export type AlarmRecipient = {
  /**
   * Id (1..=`ID_BYTES_MAX` bytes of `A-Z a-z 0-9 . _ : -`), unique in the setup.
   */
  readonly id: string,
  /**
   * Role.
   */
  readonly role: AlarmRole, };

/**
 * A message telling a holder an alarm is no longer for them.
 */
export type AlarmRetraction = {
  /**
   * The alarm.
   */
  readonly alarmId: string,
  /**
   * To whom.
   */
  readonly recipientId: string,
  /**
   * Why.
   */
  readonly reason: RetractReason, };

/**
 * Who a recipient is.
 */
export type AlarmRole = "patient" | "caregiver" | "doctor" | "centre";

/**
 * One outcome code per outcome (see the module's table).
 */
export type AlarmRouterCode = "issued" | "deferred" | "snoozed" | "duplicate" | "already-closed" | "retracted" | "unknown-alarm" | "acknowledged" | "not-a-recipient" | "delivered" | "failed" | "not-pending" | "unknown-delivery" | "ticked";

/**
 * What a call did.
 */
export type AlarmRouterOutput = {
  /**
   * The outcome.
   */
  readonly code: AlarmRouterCode,
  /**
   * Deliveries to make, in order.
   */
  readonly deliveries: ReadonlyArray<AlarmDelivery>,
  /**
   * Retractions to send, in order.
   */
  readonly retractions: ReadonlyArray<AlarmRetraction>,
  /**
   * The new audit entries, in order.
   */
  readonly audit: ReadonlyArray<AlarmAuditEntry>, };

/**
 * What the router is set up with.
 */
export type AlarmRouterSetup = {
  /**
   * The router's id (the patient terminal), 1..=`ID_BYTES_MAX` bytes.
   */
  readonly routerId: string,
  /**
   * 1..=`RECIPIENTS_MAX` recipients.
   */
  readonly recipients: ReadonlyArray<AlarmRecipient>,
  /**
   * 1..=`POLICIES_MAX` policies, first match wins; the last matches everything.
   */
  readonly policies: ReadonlyArray<AlarmPolicy>,
  /**
   * How long a delivery may wait for its receipt, ms.
   */
  readonly receiptTimeoutMs: number,
  /**
   * Optional quiet hours.
   */
  readonly quietHours?: QuietHours, };

/**
 * A risk signal from the controller's evaluation.
 */
export type AlarmSignal = {
  /**
   * Stable id (the alarm's id), 1..=`ID_BYTES_MAX` bytes of `A-Z a-z 0-9 . _ : -`.
   */
  readonly signalId: string,
  /**
   * Kind, kebab-case (`urgent-low`, `occlusion`, …), 1..=`KIND_BYTES_MAX` bytes of `a-z 0-9 -`.
   */
  readonly kind: string,
  /**
   * Priority.
   */
  readonly priority: AlarmPriority,
  /**
   * Direction.
   */
  readonly direction: RiskDirection,
  /**
   * When the controller raised it, Unix ms, not after `nowMs`.
   */
  readonly atMs: number,
  /**
   * Why, for people, 0..=`REASON_BYTES_MAX` bytes.
   */
  readonly reason: string,
  /**
   * What it rests on, 0..=`EVIDENCE_BYTES_MAX` bytes.
   */
  readonly evidence: string, };

/**
 * An active snooze.
 */
export type AlarmSnooze = {
  /**
   * The kind it mutes.
   */
  readonly kind: string,
  /**
   * The direction it mutes.
   */
  readonly direction: RiskDirection,
  /**
   * Until, Unix ms.
   */
  readonly untilMs: number,
  /**
   * Who set it.
   */
  readonly byRecipientId: string, };

/**
 * One rung of a ladder.
 */
export type AlarmStep = {
  /**
   * Everyone with this role is told (at least one recipient must have it).
   */
  readonly role: AlarmRole,
  /**
   * How long to wait for an acknowledgement before the next step, ms,
   * `ACK_TIMEOUT_MS_MIN`..=`ACK_TIMEOUT_MS_MAX`. At the top step: the repeat interval.
   */
  readonly ackTimeoutMs: number, };

/**
 * An open alarm as the terminal shows it.
 */
export type OpenAlarm = {
  /**
   * The signal.
   */
  readonly signal: AlarmSignal,
  /**
   * The step last delivered (absent: none yet, or re-armed after a snooze).
   */
  readonly step?: number,
  /**
   * Steps in its ladder.
   */
  readonly steps: number,
  /**
   * When its next action is due, Unix ms.
   */
  readonly nextAtMs: number,
  /**
   * Muted until, Unix ms.
   */
  readonly snoozedUntilMs?: number,
  /**
   * Recipients holding it now (told and not retracted).
   */
  readonly holders: ReadonlyArray<string>, };

/**
 * Hours in which medium and low priority alarms wait (never high).
 */
export type QuietHours = {
  /**
   * First quiet minute of the local day, 0..=1439.
   */
  readonly startMinute: number,
  /**
   * First minute after the quiet hours, 0..=1439, not equal to `startMinute`.
   */
  readonly endMinute: number,
  /**
   * Local time minus UTC, minutes, −840..=840.
   */
  readonly utcOffsetMinutes: number, };

/**
 * Why a holder no longer needs to act.
 */
export type RetractReason = "acknowledged" | "resolved" | "snoozed";
