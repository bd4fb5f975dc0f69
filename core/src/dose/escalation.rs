//! System 9, routing and escalation: who hears about a risk signal, when, and what is kept.
//!
//! The patient terminal receives **risk signals** from the controller's evaluation (a kind such
//! as `urgent-low`, an IEC 60601-1-8 priority, a direction, a reason and evidence) and "signal
//! resolved" notices. This module decides, for each, which people are told, escalates up a ladder
//! when nobody acknowledges, and keeps a hash-chained audit log. It is a state machine behind a
//! handle ([`Router`]) with **no clock**: every input carries `nowMs` (Unix ms, never earlier than
//! the last one), and [`Router::tick`] advances time. Every call returns a [`RouterOutput`]: an
//! outcome code, the deliveries to make, the retractions to send, and the new audit entries.
//!
//! # Roles and the ladder
//!
//! Recipients have one of four roles: `patient`, `caregiver`, `doctor`, `centre` (the
//! risk-management centre). A **policy** is data: the ladder of steps for the signals it matches
//! (by `kind` and/or `priority`; the first matching policy in the list wins, and the last one
//! must match everything, so every signal routes). A step names a role (every recipient with that
//! role is told) and an acknowledgement timeout, ms.
//!
//! Lifecycle of an alarm (Tidepool's issued / acknowledged / retracted):
//!
//! | state | entered when | next action (at `nextAtMs`, on a [`Router::tick`]) |
//! |---|---|---|
//! | ringing at step *k* | step *k* delivered | step *k*+1 delivered (`escalated`, detail `ack-timeout`); at the top step, the top step's recipients are told again (`repeated`, every top timeout, each delivery marked `repeat`) |
//! | deferred | a medium or low priority action falls inside quiet hours | the action at the end of quiet hours |
//! | snoozed | a matching snooze is set or active | at its end the ladder is armed again from step 0 (`snooze-expired`), every delivery to someone told before marked `repeat` |
//! | closed | acknowledged by a recipient who was told, or the signal resolved | none: every recipient still holding it gets a retraction |
//!
//! The ladder is **armed at once**: step 0 is delivered in the call that issues the signal.
//! One action per alarm per tick, and each step's timeout counts from the tick that delivered
//! it, so a step never fires before the previous step's timeout has passed (unless its
//! delivery failed, below).
//!
//! # Deliveries and receipts
//!
//! Each delivery has a `deliveryId` (1, 2, …, never reused). The host sends it and reports
//! [`Router::receipt`] (the recipient's terminal confirmed) or [`Router::delivery_failed`]. A
//! delivery with no receipt `receiptTimeoutMs` after it was sent is **unconfirmed**, found by
//! `tick`. A failed or unconfirmed delivery is itself an alarm: it is audited
//! (`delivery-failed`, detail `failed` or `unconfirmed`) and, when it belongs to the alarm's
//! current step below the top, the ladder climbs at once (`escalated`, detail
//! `delivery-failed`) instead of waiting for the acknowledgement timeout. At the top step the
//! next repeat tries again. A newer delivery of the same alarm to the same recipient replaces an
//! older one still waiting for its receipt (only the newest can be confirmed).
//! Every delivery of an alarm to a recipient who was sent that alarm before carries
//! `repeat: true`: a terminal that receives one twice can tell a repeat from a duplicate.
//!
//! # Snoozes
//!
//! A snooze is scoped by `kind` **and** `direction` (a snooze of `high`/`high` never touches a
//! `low` alarm), is set by a recipient, and always expires: `durationMs` is 1..=[`SNOOZE_MS_MAX`],
//! and 1..=[`URGENT_LOW_SNOOZE_MS_MAX`] for kind `urgent-low` (refused beyond, not clamped).
//! Whatever the snooze, an alarm of priority `high` and direction `low` is muted for at most
//! [`URGENT_LOW_SNOOZE_MS_MAX`] from the moment the snooze takes it. A snooze takes every open
//! alarm of its scope (their holders get a retraction, detail `snoozed`) and every signal of its
//! scope issued while it lasts; when it ends, still-open alarms ring again from step 0. Setting
//! a snooze for a scope that has one replaces it.
//!
//! # Quiet hours
//!
//! Optional `quietHours` (local minutes of the day at a fixed UTC offset, wrapping midnight when
//! `startMinute > endMinute`): no delivery of a `medium` or `low` priority alarm starts inside
//! them; the action is deferred to their end (`deferred`, detail the end in ms). They never
//! apply to `high` priority.
//!
//! # Check order, outcome codes
//!
//! Every call first checks its arguments (errors below, nothing changes), then `nowMs` (not
//! before the router's time: `INVALID_ARGUMENT` about `nowMs`). Then, one code per outcome:
//!
//! | call | checks in order → code |
//! |---|---|
//! | `issue` | same `signalId` open with the same content → `duplicate` (nothing changes; other content is `INVALID_ARGUMENT` about `signal.signalId`); closed recently (the last [`CLOSED_IDS_KEPT_MAX`]) → `already-closed`; [`OPEN_ALARMS_MAX`] open → `LIMIT_EXCEEDED` about `signal`; an active snooze of its scope → `snoozed`; a medium/low signal in quiet hours → `deferred`; else → `issued` (step 0 delivered) |
//! | `resolve` | open → `retracted`; closed recently → `already-closed`; else → `unknown-alarm` |
//! | `acknowledge` | unknown `recipientId` → `INVALID_ARGUMENT`; alarm open and the recipient was sent it → `acknowledged` (closed); open but never sent to them → `not-a-recipient`; closed recently → `already-closed`; else → `unknown-alarm` |
//! | `snooze` | bad scope or duration → errors; [`SNOOZES_MAX`] other scopes active → `LIMIT_EXCEEDED` about `snooze`; else → `snoozed` |
//! | `receipt` / `deliveryFailed` | waiting for its receipt → `delivered` / `failed`; issued before but no longer waiting (confirmed, failed, replaced or its alarm closed) → `not-pending`; else → `unknown-delivery` |
//! | `tick` | → `ticked` (per alarm, in the order they opened: unconfirmed deliveries in id order, then the due action) |
//!
//! # Audit log
//!
//! Every change is an audit entry: `seq` (1, 2, …), `atMs`, `event` (`issued`, `sent`,
//! `delivered`, `delivery-failed`, `acknowledged`, `escalated`, `repeated`, `deferred`,
//! `snoozed`, `snooze-expired`, `retracted`, `closed`), `alarmId`, optional `recipientId`, `step`
//! and `detail`, and `hash`, hex of SHA-256(previous hash (32 zero bytes before the first) ‖
//! line), where line is the UTF-8 of `seq|atMs|event|alarmId|recipientId|step|detail` (decimal
//! numbers, an absent field empty; ids cannot contain `|`). [`verify_audit`] checks a run of
//! entries. The last [`AUDIT_KEPT_MAX`] entries stay in the router (and its snapshot); the host
//! appends every output's entries to its own log, so nothing is lost.
//!
//! # Limits
//!
//! | name | value | unit | what |
//! |---|---:|---|---|
//! | [`OPEN_ALARMS_MAX`] | 256 | alarms | open at once |
//! | [`RECIPIENTS_MAX`] | 32 | recipients | in the setup |
//! | [`POLICIES_MAX`] | 64 | policies | in the setup |
//! | [`STEPS_MAX`] | 8 | steps | in one ladder |
//! | [`SNOOZES_MAX`] | 64 | snoozes | active at once |
//! | [`CLOSED_IDS_KEPT_MAX`] | 1,024 | signal ids | remembered after closing |
//! | [`AUDIT_KEPT_MAX`] | 1,024 | entries | kept in the router |
//! | [`ID_BYTES_MAX`] | 64 | bytes | a router, recipient or signal id (`A-Z a-z 0-9 . _ : -`) |
//! | [`KIND_BYTES_MAX`] | 32 | bytes | a signal kind (`a-z 0-9 -`) |
//! | [`REASON_BYTES_MAX`] | 256 | bytes | a signal's reason |
//! | [`EVIDENCE_BYTES_MAX`] | 1,024 | bytes | a signal's evidence |
//! | [`ACK_TIMEOUT_MS_MIN`]..[`ACK_TIMEOUT_MS_MAX`] | 1,000..86,400,000 | ms | a step's acknowledgement timeout |
//! | [`RECEIPT_TIMEOUT_MS_MIN`]..[`RECEIPT_TIMEOUT_MS_MAX`] | 1,000..600,000 | ms | waiting for a delivery receipt |
//! | [`SNOOZE_MS_MAX`] | 14,400,000 | ms | a snooze (4 h) |
//! | [`URGENT_LOW_SNOOZE_MS_MAX`] | 900,000 | ms | an urgent low muted (15 min) |
//! | [`TIME_MS_MAX`] | 253,402,300,799,999 | ms | any time (9999-12-31) |
//!
//! Deliveries per output are bounded by [`OPEN_ALARMS_MAX`] × [`RECIPIENTS_MAX`].
//!
//! # Snapshots
//!
//! [`Router::snapshot`] / [`Router::restore`]: the shared authenticated snapshot format, type
//! `"countersign.dose.escalation.snapshot"`, version 1, deterministic CBOR (one state, one byte
//! string; a body that is not the canonical encoding of a consistent router is
//! `SNAPSHOT_INVALID`).

mod codec;
pub use codec::{SNAPSHOT_BYTES_MAX, SNAPSHOT_FORMAT_VERSION};
/// The priority and direction of a signal are the evaluation's own types (the router takes what
/// `evaluate` emits, and the SDK exports one `AlarmPriority` and one `RiskDirection`).
pub use super::evaluate::{Direction, Priority};
#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::crypto::sha256_parts;
use crate::error::{Error, ErrorCode, Result};

/// Alarms open at once.
pub const OPEN_ALARMS_MAX: usize = 256;
/// Recipients in the setup.
pub const RECIPIENTS_MAX: usize = 32;
/// Policies in the setup.
pub const POLICIES_MAX: usize = 64;
/// Steps in one ladder.
pub const STEPS_MAX: usize = 8;
/// Snoozes active at once.
pub const SNOOZES_MAX: usize = 64;
/// Signal ids remembered after their alarm closed (a late duplicate is answered `already-closed`).
pub const CLOSED_IDS_KEPT_MAX: usize = 1_024;
/// Audit entries kept in the router (the host keeps the whole log).
pub const AUDIT_KEPT_MAX: usize = 1_024;
/// The longest router, recipient or signal id, bytes.
pub const ID_BYTES_MAX: usize = 64;
/// The longest signal kind, bytes.
pub const KIND_BYTES_MAX: usize = 32;
/// The longest reason, bytes.
pub const REASON_BYTES_MAX: usize = 256;
/// The longest evidence, bytes.
pub const EVIDENCE_BYTES_MAX: usize = 1_024;
/// The shortest acknowledgement timeout of a step, ms.
pub const ACK_TIMEOUT_MS_MIN: u64 = 1_000;
/// The longest acknowledgement timeout of a step, ms (a day).
pub const ACK_TIMEOUT_MS_MAX: u64 = 86_400_000;
/// The shortest wait for a delivery receipt, ms.
pub const RECEIPT_TIMEOUT_MS_MIN: u64 = 1_000;
/// The longest wait for a delivery receipt, ms (10 min).
pub const RECEIPT_TIMEOUT_MS_MAX: u64 = 600_000;
/// The longest snooze, ms (4 h).
pub const SNOOZE_MS_MAX: u64 = 14_400_000;
/// The longest an urgent low (priority high, direction low) is ever muted, ms (15 min).
pub const URGENT_LOW_SNOOZE_MS_MAX: u64 = 900_000;
/// The latest time, Unix ms (9999-12-31T23:59:59.999Z).
pub const TIME_MS_MAX: u64 = 253_402_300_799_999;
/// Minutes in a day (quiet hours are minutes of the day).
const MINUTES_PER_DAY: i64 = 1_440;
/// Ms in a minute.
const MS_PER_MINUTE: u64 = 60_000;
/// The widest UTC offset of quiet hours, minutes (±14 h, the widest zone offsets in use).
pub const UTC_OFFSET_MINUTES_MAX: i32 = 840;

/// Who a recipient is.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose-escalation.ts", rename = "AlarmRole"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The patient (the terminal's own screen).
    Patient,
    /// A caregiver (a parent, a partner, a nurse at home).
    Caregiver,
    /// The doctor.
    Doctor,
    /// The risk-management centre (staffed around the clock).
    Centre,
}

/// A person who may be told.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose-escalation.ts", rename = "AlarmRecipient"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Recipient {
    /// Id (1..=[`ID_BYTES_MAX`] bytes of `A-Z a-z 0-9 . _ : -`), unique in the setup.
    pub id: String,
    /// Role.
    pub role: Role,
}

/// One rung of a ladder.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose-escalation.ts", rename = "AlarmStep"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Step {
    /// Everyone with this role is told (at least one recipient must have it).
    pub role: Role,
    /// How long to wait for an acknowledgement before the next step, ms,
    /// [`ACK_TIMEOUT_MS_MIN`]..=[`ACK_TIMEOUT_MS_MAX`]. At the top step: the repeat interval.
    pub ack_timeout_ms: u64,
}

/// A routing policy: the ladder for the signals it matches.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose-escalation.ts", rename = "AlarmPolicy"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Policy {
    /// Matches signals of this kind only (absent: any kind).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Matches signals of this priority only (absent: any priority).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// The ladder, 1..=[`STEPS_MAX`] steps, lowest first.
    pub steps: Vec<Step>,
}

/// Hours in which medium and low priority alarms wait (never high).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose-escalation.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuietHours {
    /// First quiet minute of the local day, 0..=1439.
    pub start_minute: u16,
    /// First minute after the quiet hours, 0..=1439, not equal to `startMinute`.
    pub end_minute: u16,
    /// Local time minus UTC, minutes, −840..=840.
    pub utc_offset_minutes: i32,
}

/// What the router is set up with.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose-escalation.ts", rename = "AlarmRouterSetup"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RouterSetup {
    /// The router's id (the patient terminal), 1..=[`ID_BYTES_MAX`] bytes.
    pub router_id: String,
    /// 1..=[`RECIPIENTS_MAX`] recipients.
    pub recipients: Vec<Recipient>,
    /// 1..=[`POLICIES_MAX`] policies, first match wins; the last matches everything.
    pub policies: Vec<Policy>,
    /// How long a delivery may wait for its receipt, ms.
    pub receipt_timeout_ms: u64,
    /// Optional quiet hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet_hours: Option<QuietHours>,
}

/// A risk signal from the controller's evaluation.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose-escalation.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AlarmSignal {
    /// Stable id (the alarm's id), 1..=[`ID_BYTES_MAX`] bytes of `A-Z a-z 0-9 . _ : -`.
    pub signal_id: String,
    /// Kind, kebab-case (`urgent-low`, `occlusion`, …), 1..=[`KIND_BYTES_MAX`] bytes of `a-z 0-9 -`.
    pub kind: String,
    /// Priority.
    pub priority: Priority,
    /// Direction.
    pub direction: Direction,
    /// When the controller raised it, Unix ms, not after `nowMs`.
    pub at_ms: u64,
    /// Why, for people, 0..=[`REASON_BYTES_MAX`] bytes.
    pub reason: String,
    /// What it rests on, 0..=[`EVIDENCE_BYTES_MAX`] bytes.
    pub evidence: String,
}

impl AlarmSignal {
    /// The alarm the controller's evaluation raises for `signal`: its id, kind, priority,
    /// direction and time as they are; its reason cut to [`REASON_BYTES_MAX`] bytes and its
    /// evidence written as `measure=value (seq n)` items joined by `; ` within
    /// [`EVIDENCE_BYTES_MAX`] bytes (each cut at a character boundary, nothing else changed).
    /// Whether the signal has resolved is not part of it: a resolved signal is
    /// [`Router::resolve`]d by its id.
    pub fn of(signal: &super::evaluate::Signal) -> AlarmSignal {
        let mut evidence = String::new();
        for item in &signal.evidence {
            let text = format!("{}{}={} (seq {})", if evidence.is_empty() { "" } else { "; " }, item.measure, item.value, item.seq);
            if evidence.len() + text.len() > EVIDENCE_BYTES_MAX {
                break;
            }
            evidence.push_str(&text);
        }
        AlarmSignal {
            signal_id: signal.signal_id.clone(),
            kind: signal.kind.as_str().to_owned(),
            priority: signal.priority,
            direction: signal.direction,
            at_ms: signal.at_ms,
            reason: cut_at_char(&signal.reason, REASON_BYTES_MAX).to_owned(),
            evidence,
        }
    }
}

/// The longest prefix of `text` of at most `max` bytes that ends at a character boundary.
fn cut_at_char(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// One outcome code per outcome (see the module's table).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose-escalation.ts", rename = "AlarmRouterCode"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RouterCode {
    /// The signal opened an alarm and step 0 was delivered.
    Issued,
    /// The signal opened an alarm that waits for the end of quiet hours.
    Deferred,
    /// The signal opened an alarm under an active snooze; or a snooze was set.
    Snoozed,
    /// The same signal is already open: nothing changed.
    Duplicate,
    /// The alarm closed recently: nothing changed.
    AlreadyClosed,
    /// The signal resolved: the alarm closed and its holders were told.
    Retracted,
    /// No alarm with that id.
    UnknownAlarm,
    /// Acknowledged: the alarm closed and its holders were told.
    Acknowledged,
    /// The recipient was never sent this alarm: nothing changed.
    NotARecipient,
    /// The delivery's receipt was recorded.
    Delivered,
    /// The delivery failed: recorded, the ladder climbed if it was the current step.
    Failed,
    /// The delivery is no longer waiting for a receipt: nothing changed.
    NotPending,
    /// No delivery with that id.
    UnknownDelivery,
    /// Time advanced.
    Ticked,
}

/// What an audit entry records.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose-escalation.ts", rename = "AlarmAuditEvent"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuditEvent {
    /// A signal opened an alarm (detail: its priority).
    Issued,
    /// A delivery was made to a recipient (detail `repeat` when it was one).
    Sent,
    /// A recipient's terminal confirmed a delivery.
    Delivered,
    /// A delivery failed (detail `failed` or `unconfirmed`).
    DeliveryFailed,
    /// A recipient acknowledged.
    Acknowledged,
    /// The ladder climbed to `step` (detail `ack-timeout` or `delivery-failed`).
    Escalated,
    /// The top step was told again.
    Repeated,
    /// An action waits for the end of quiet hours (detail: that end, ms).
    Deferred,
    /// The alarm was muted (recipient: who snoozed; detail: until, ms).
    Snoozed,
    /// The snooze ended; the ladder is armed again.
    SnoozeExpired,
    /// A holder was told the alarm is no longer for them (detail `acknowledged`, `resolved` or `snoozed`).
    Retracted,
    /// The alarm closed (detail `acknowledged` or `resolved`).
    Closed,
}

impl AuditEvent {
    fn as_str(self) -> &'static str {
        match self {
            AuditEvent::Issued => "issued",
            AuditEvent::Sent => "sent",
            AuditEvent::Delivered => "delivered",
            AuditEvent::DeliveryFailed => "delivery-failed",
            AuditEvent::Acknowledged => "acknowledged",
            AuditEvent::Escalated => "escalated",
            AuditEvent::Repeated => "repeated",
            AuditEvent::Deferred => "deferred",
            AuditEvent::Snoozed => "snoozed",
            AuditEvent::SnoozeExpired => "snooze-expired",
            AuditEvent::Retracted => "retracted",
            AuditEvent::Closed => "closed",
        }
    }
}

/// One audit entry (see the module's *Audit log*).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose-escalation.ts", rename = "AlarmAuditEntry"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditEntry {
    /// 1, 2, … with no gap.
    pub seq: u64,
    /// When, Unix ms.
    pub at_ms: u64,
    /// What.
    pub event: AuditEvent,
    /// The alarm (signal id).
    pub alarm_id: String,
    /// The recipient concerned, if one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_id: Option<String>,
    /// The ladder step concerned, if one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<u8>,
    /// More (see each event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Hex SHA-256 chaining this entry to the previous one.
    pub hash: String,
}

/// A message to send to a recipient's terminal.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose-escalation.ts", rename = "AlarmDelivery"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Delivery {
    /// Id to confirm with `receipt` (1, 2, …).
    pub delivery_id: u64,
    /// The alarm (signal id).
    pub alarm_id: String,
    /// To whom.
    pub recipient_id: String,
    /// Their role.
    pub role: Role,
    /// The ladder step.
    pub step: u8,
    /// Whether this recipient was sent this alarm before.
    pub repeat: bool,
    /// The signal's kind.
    pub kind: String,
    /// The signal's priority.
    pub priority: Priority,
    /// The signal's direction.
    pub direction: Direction,
    /// The signal's reason.
    pub reason: String,
    /// The signal's evidence.
    pub evidence: String,
    /// When the controller raised the signal, Unix ms.
    pub signal_at_ms: u64,
    /// When this delivery was made, Unix ms.
    pub sent_at_ms: u64,
}

/// Why a holder no longer needs to act.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose-escalation.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RetractReason {
    /// Someone acknowledged.
    Acknowledged,
    /// The signal resolved.
    Resolved,
    /// Someone snoozed it (it rings again when the snooze ends, if still open).
    Snoozed,
}

impl RetractReason {
    fn as_str(self) -> &'static str {
        match self {
            RetractReason::Acknowledged => "acknowledged",
            RetractReason::Resolved => "resolved",
            RetractReason::Snoozed => "snoozed",
        }
    }
}

/// A message telling a holder an alarm is no longer for them.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose-escalation.ts", rename = "AlarmRetraction"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Retraction {
    /// The alarm.
    pub alarm_id: String,
    /// To whom.
    pub recipient_id: String,
    /// Why.
    pub reason: RetractReason,
}

/// What a call did.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose-escalation.ts", rename = "AlarmRouterOutput"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RouterOutput {
    /// The outcome.
    pub code: RouterCode,
    /// Deliveries to make, in order.
    pub deliveries: Vec<Delivery>,
    /// Retractions to send, in order.
    pub retractions: Vec<Retraction>,
    /// The new audit entries, in order.
    pub audit: Vec<AuditEntry>,
}

/// An open alarm as the terminal shows it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose-escalation.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OpenAlarm {
    /// The signal.
    pub signal: AlarmSignal,
    /// The step last delivered (absent: none yet, or re-armed after a snooze).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<u8>,
    /// Steps in its ladder.
    pub steps: u8,
    /// When its next action is due, Unix ms.
    pub next_at_ms: u64,
    /// Muted until, Unix ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snoozed_until_ms: Option<u64>,
    /// Recipients holding it now (told and not retracted).
    pub holders: Vec<String>,
}

/// An active snooze.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose-escalation.ts", rename = "AlarmSnooze"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Snooze {
    /// The kind it mutes.
    pub kind: String,
    /// The direction it mutes.
    pub direction: Direction,
    /// Until, Unix ms.
    pub until_ms: u64,
    /// Who set it.
    pub by_recipient_id: String,
}

/// A delivery waiting for its receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pending {
    delivery_id: u64,
    recipient: u16,
    step: u8,
    sent_at_ms: u64,
    /// As the delivery said (kept so that a delivery can be sent again exactly as it was).
    repeat: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Alarm {
    signal: AlarmSignal,
    policy: u16,
    step: Option<u8>,
    next_at_ms: u64,
    snoozed_until_ms: Option<u64>,
    /// Recipient indexes ever sent this alarm (ascending).
    ever_sent: Vec<u16>,
    /// Recipient indexes holding it now (ascending).
    holders: Vec<u16>,
    /// In delivery id order; at most one per recipient.
    pending: Vec<Pending>,
}

/// The routing and escalation engine of one patient terminal (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Router {
    setup: RouterSetup,
    now_ms: u64,
    alarms: Vec<Alarm>,
    snoozes: Vec<Snooze>,
    closed: VecDeque<String>,
    next_delivery_id: u64,
    audit_seq: u64,
    audit_head: [u8; 32],
    audit_kept: VecDeque<AuditEntry>,
    /// The last audit seq the host said it stored ([`Router::mark_audit_saved`]).
    audit_saved_seq: u64,
}

fn invalid(param: &'static str, message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidArgument, param, message)
}

fn limit(param: &'static str, message: impl Into<String>) -> Error {
    Error::new(ErrorCode::LimitExceeded, param, message)
}

fn check_id(param: &'static str, id: &str) -> Result<()> {
    if id.is_empty() || id.len() > ID_BYTES_MAX {
        return Err(invalid(param, format!("must be 1..={ID_BYTES_MAX} bytes, got {}", id.len())));
    }
    if !id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-')) {
        return Err(invalid(param, "may hold only A-Z a-z 0-9 . _ : -"));
    }
    Ok(())
}

fn check_kind(param: &'static str, kind: &str) -> Result<()> {
    if kind.is_empty() || kind.len() > KIND_BYTES_MAX {
        return Err(invalid(param, format!("must be 1..={KIND_BYTES_MAX} bytes, got {}", kind.len())));
    }
    if !kind.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return Err(invalid(param, "must be kebab-case (a-z 0-9 -)"));
    }
    Ok(())
}

fn check_time(param: &'static str, ms: u64) -> Result<()> {
    if ms > TIME_MS_MAX {
        return Err(invalid(param, format!("must be at most {TIME_MS_MAX} (9999-12-31), got {ms}")));
    }
    Ok(())
}

fn check_setup(setup: &RouterSetup) -> Result<()> {
    check_id("routerId", &setup.router_id)?;
    if setup.recipients.is_empty() || setup.recipients.len() > RECIPIENTS_MAX {
        return Err(limit("recipients", format!("must hold 1..={RECIPIENTS_MAX}, got {}", setup.recipients.len())));
    }
    for (i, r) in setup.recipients.iter().enumerate() {
        check_id("id", &r.id).map_err(|e| e.at(&format!("[{i}]")).at("recipients"))?;
        if setup.recipients.iter().take(i).any(|o| o.id == r.id) {
            return Err(invalid("id", "appears twice").at(&format!("[{i}]")).at("recipients"));
        }
    }
    if setup.policies.is_empty() || setup.policies.len() > POLICIES_MAX {
        return Err(limit("policies", format!("must hold 1..={POLICIES_MAX}, got {}", setup.policies.len())));
    }
    for (i, p) in setup.policies.iter().enumerate() {
        let at = |e: Error| e.at(&format!("[{i}]")).at("policies");
        if let Some(kind) = &p.kind {
            check_kind("kind", kind).map_err(at)?;
        }
        if p.steps.is_empty() || p.steps.len() > STEPS_MAX {
            return Err(at(limit("steps", format!("must hold 1..={STEPS_MAX}, got {}", p.steps.len()))));
        }
        for (j, s) in p.steps.iter().enumerate() {
            let at_step = |e: Error| at(e.at(&format!("[{j}]")).at("steps"));
            if !(ACK_TIMEOUT_MS_MIN..=ACK_TIMEOUT_MS_MAX).contains(&s.ack_timeout_ms) {
                return Err(at_step(invalid(
                    "ackTimeoutMs",
                    format!("must be {ACK_TIMEOUT_MS_MIN}..={ACK_TIMEOUT_MS_MAX} ms, got {}", s.ack_timeout_ms),
                )));
            }
            if !setup.recipients.iter().any(|r| r.role == s.role) {
                return Err(at_step(invalid("role", "no recipient has this role")));
            }
        }
    }
    let catch_all = setup.policies.last().is_some_and(|p| p.kind.is_none() && p.priority.is_none());
    if !catch_all {
        return Err(invalid("policies", "the last policy must match every signal (no kind, no priority)"));
    }
    if !(RECEIPT_TIMEOUT_MS_MIN..=RECEIPT_TIMEOUT_MS_MAX).contains(&setup.receipt_timeout_ms) {
        return Err(invalid(
            "receiptTimeoutMs",
            format!("must be {RECEIPT_TIMEOUT_MS_MIN}..={RECEIPT_TIMEOUT_MS_MAX} ms, got {}", setup.receipt_timeout_ms),
        ));
    }
    if let Some(q) = &setup.quiet_hours {
        let at = |e: Error| e.at("quietHours");
        if i64::from(q.start_minute) >= MINUTES_PER_DAY {
            return Err(at(invalid("startMinute", "must be 0..=1439")));
        }
        if i64::from(q.end_minute) >= MINUTES_PER_DAY {
            return Err(at(invalid("endMinute", "must be 0..=1439")));
        }
        if q.start_minute == q.end_minute {
            return Err(at(invalid("endMinute", "must differ from startMinute")));
        }
        if q.utc_offset_minutes.abs() > UTC_OFFSET_MINUTES_MAX {
            return Err(at(invalid("utcOffsetMinutes", format!("must be within ±{UTC_OFFSET_MINUTES_MAX}"))));
        }
    }
    Ok(())
}

fn check_signal(signal: &AlarmSignal) -> Result<()> {
    let at = |e: Error| e.at("signal");
    check_id("signalId", &signal.signal_id).map_err(at)?;
    check_kind("kind", &signal.kind).map_err(at)?;
    check_time("atMs", signal.at_ms).map_err(at)?;
    if signal.reason.len() > REASON_BYTES_MAX {
        return Err(at(invalid("reason", format!("must be at most {REASON_BYTES_MAX} bytes"))));
    }
    if signal.evidence.len() > EVIDENCE_BYTES_MAX {
        return Err(at(invalid("evidence", format!("must be at most {EVIDENCE_BYTES_MAX} bytes"))));
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for nibble in [b >> 4, b & 15] {
            out.push(DIGITS.get(usize::from(nibble)).map_or('0', |&d| char::from(d)));
        }
    }
    out
}

/// The line an audit entry's hash covers (see the module's *Audit log*).
fn audit_line(e: &AuditEntry) -> String {
    format!(
        "{}|{}|{}|{}|{}|{}|{}",
        e.seq,
        e.at_ms,
        e.event.as_str(),
        e.alarm_id,
        e.recipient_id.as_deref().unwrap_or(""),
        e.step.map(|s| s.to_string()).unwrap_or_default(),
        e.detail.as_deref().unwrap_or("")
    )
}

fn audit_hash(prev: &[u8; 32], e: &AuditEntry) -> [u8; 32] {
    sha256_parts(&[prev, audit_line(e).as_bytes()])
}

/// Checks a run of audit entries: consecutive `seq` from `first.seq`, each `hash` chaining to
/// the one before (to `prevHash`, 64 hex digits, for the first; `None`: the first entry of a
/// log, chained to 32 zero bytes). The head hash (the last entry's) when all hold;
/// `INVALID_ARGUMENT` naming the first entry that does not.
pub fn verify_audit(entries: &[AuditEntry], prev_hash: Option<&str>) -> Result<String> {
    let mut prev = [0u8; 32];
    if let Some(p) = prev_hash {
        let decoded = decode_hash(p).ok_or_else(|| invalid("prevHash", "must be 64 lowercase hex digits"))?;
        prev = decoded;
    }
    let mut expected_seq = entries.first().map(|e| e.seq).unwrap_or(1);
    for (i, e) in entries.iter().enumerate() {
        if e.seq != expected_seq {
            return Err(Error::at_path(ErrorCode::InvalidArgument, format!("entries[{i}].seq"), "is out of sequence"));
        }
        let h = audit_hash(&prev, e);
        if hex(&h) != e.hash {
            return Err(Error::at_path(ErrorCode::InvalidArgument, format!("entries[{i}].hash"), "does not chain"));
        }
        prev = h;
        expected_seq = expected_seq.saturating_add(1);
    }
    Ok(hex(&prev))
}

fn decode_hash(s: &str) -> Option<[u8; 32]> {
    let bytes = s.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let digit = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        *o = (digit(*pair.first()?)? << 4) | digit(*pair.get(1)?)?;
    }
    Some(out)
}

/// Collects what one call produced.
struct Out {
    deliveries: Vec<Delivery>,
    retractions: Vec<Retraction>,
    audit: Vec<AuditEntry>,
}

impl Out {
    fn new() -> Self {
        Out { deliveries: Vec::new(), retractions: Vec::new(), audit: Vec::new() }
    }
    fn finish(self, code: RouterCode) -> RouterOutput {
        RouterOutput { code, deliveries: self.deliveries, retractions: self.retractions, audit: self.audit }
    }
}

/// Why the ladder moves (audit detail of `escalated`).
#[derive(Clone, Copy)]
enum Cause {
    AckTimeout,
    DeliveryFailed,
}

impl Router {
    /// A new router (no alarm open, time 0). Errors name the setup field (`setup.receiptTimeoutMs`).
    pub fn new(setup: &RouterSetup) -> Result<Router> {
        check_setup(setup).map_err(|e| e.at("setup"))?;
        Ok(Router {
            setup: setup.clone(),
            now_ms: 0,
            alarms: Vec::new(),
            snoozes: Vec::new(),
            closed: VecDeque::new(),
            next_delivery_id: 1,
            audit_seq: 0,
            audit_head: [0; 32],
            audit_kept: VecDeque::new(),
            audit_saved_seq: 0,
        })
    }

    /// The router's id.
    pub fn router_id(&self) -> &str {
        &self.setup.router_id
    }

    /// The setup.
    pub fn setup(&self) -> &RouterSetup {
        &self.setup
    }

    /// The role of recipient `id` (`None`: not a recipient of this router).
    pub fn role_of(&self, id: &str) -> Option<Role> {
        self.setup.recipients.iter().find(|r| r.id == id).map(|r| r.role)
    }

    /// The router's time: the latest `nowMs` seen, Unix ms.
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    /// The open alarms, in the order they opened.
    pub fn open_alarms(&self) -> Vec<OpenAlarm> {
        self.alarms
            .iter()
            .map(|a| OpenAlarm {
                signal: a.signal.clone(),
                step: a.step,
                steps: u8::try_from(self.steps_of(a).len()).unwrap_or(u8::MAX),
                next_at_ms: a.next_at_ms,
                snoozed_until_ms: a.snoozed_until_ms,
                holders: a.holders.iter().filter_map(|&r| self.recipient_id(r)).map(str::to_owned).collect(),
            })
            .collect()
    }

    /// Every delivery still waiting for its receipt, as it was made, in delivery id order: what
    /// a server restarted from a snapshot sends again (the recipient tells a resend by its
    /// `deliveryId`, which it has seen before, from a new delivery).
    pub fn pending_deliveries(&self) -> Vec<Delivery> {
        // Ordered by a binary insertion of small (id, alarm, pending) keys rather than a slice
        // sort: the standard sorts add ~3 KB gzip to the wasm module. At most
        // OPEN_ALARMS_MAX × RECIPIENTS_MAX keys (one pending delivery per recipient and alarm).
        let mut order: Vec<(u64, &Alarm, &Pending)> = Vec::new();
        for a in &self.alarms {
            for p in &a.pending {
                let at = order.partition_point(|(id, _, _)| *id < p.delivery_id);
                order.insert(at, (p.delivery_id, a, p));
            }
        }
        order
            .into_iter()
            .filter_map(|(_, a, p)| self.setup.recipients.get(usize::from(p.recipient)).map(|r| delivery_of(&a.signal, r, p)))
            .collect()
    }

    /// The active snoozes (those not yet expired at the router's time).
    pub fn snoozes(&self) -> Vec<Snooze> {
        self.snoozes.iter().filter(|s| s.until_ms > self.now_ms).cloned().collect()
    }

    /// The last [`AUDIT_KEPT_MAX`] audit entries, oldest first.
    pub fn audit(&self) -> Vec<AuditEntry> {
        self.audit_kept.iter().cloned().collect()
    }

    /// The kept audit entries the host has not yet said it stored, oldest first (the SDK's store
    /// appends them to its audit log after each save, then calls [`Router::mark_audit_saved`]).
    /// A host that lets more than [`AUDIT_KEPT_MAX`] entries go unsaved finds a gap in `seq`.
    pub fn audit_unsaved(&self) -> Vec<AuditEntry> {
        self.audit_kept.iter().filter(|e| e.seq > self.audit_saved_seq).cloned().collect()
    }

    /// The host stored the audit entries through `throughSeq` (never beyond the last one).
    pub fn mark_audit_saved(&mut self, through_seq: u64) -> Result<()> {
        if through_seq > self.audit_seq {
            return Err(invalid("throughSeq", format!("is after the last audit entry {}", self.audit_seq)));
        }
        self.audit_saved_seq = self.audit_saved_seq.max(through_seq);
        Ok(())
    }

    /// The seq of the last audit entry (0 before the first): the router's freshness, never lower
    /// after a change that logged anything.
    pub fn audit_seq(&self) -> u64 {
        self.audit_seq
    }

    /// The hash of the last audit entry (64 zeros before the first), hex.
    pub fn audit_head(&self) -> String {
        hex(&self.audit_head)
    }

    /// The router as authenticated snapshot bytes.
    pub fn snapshot(&self, key: &[u8]) -> Result<Vec<u8>> {
        codec::seal(self, key)
    }

    /// A router from authenticated snapshot bytes.
    pub fn restore(bytes: &[u8], key: &[u8]) -> Result<Router> {
        codec::open(bytes, key)
    }

    // ---- inputs -------------------------------------------------------------------------

    /// A risk signal arrived (see the module's table for the codes).
    pub fn issue(&mut self, signal: &AlarmSignal, now_ms: u64) -> Result<RouterOutput> {
        check_signal(signal)?;
        self.check_now(now_ms)?;
        if signal.at_ms > now_ms {
            return Err(Error::at_path(ErrorCode::InvalidArgument, "signal.atMs".to_owned(), "is after nowMs"));
        }
        if let Some(open) = self.alarms.iter().find(|a| a.signal.signal_id == signal.signal_id) {
            if open.signal == *signal {
                self.now_ms = now_ms;
                return Ok(Out::new().finish(RouterCode::Duplicate));
            }
            return Err(invalid("signalId", "is open with other content").at("signal"));
        }
        if self.closed.iter().any(|id| *id == signal.signal_id) {
            self.now_ms = now_ms;
            return Ok(Out::new().finish(RouterCode::AlreadyClosed));
        }
        if self.alarms.len() >= OPEN_ALARMS_MAX {
            return Err(limit("signal", format!("{OPEN_ALARMS_MAX} alarms are open")));
        }
        self.now_ms = now_ms;
        let policy = self.policy_for(signal);
        let mut out = Out::new();
        let priority = match signal.priority {
            Priority::High => "high",
            Priority::Medium => "medium",
            Priority::Low => "low",
        };
        self.log(&mut out, AuditEvent::Issued, &signal.signal_id, None, None, Some(priority.to_owned()));
        let mut alarm = Alarm {
            signal: signal.clone(),
            policy,
            step: None,
            next_at_ms: now_ms,
            snoozed_until_ms: None,
            ever_sent: Vec::new(),
            holders: Vec::new(),
            pending: Vec::new(),
        };
        let snooze = self
            .snoozes
            .iter()
            .find(|s| s.until_ms > now_ms && s.kind == signal.kind && s.direction == signal.direction)
            .cloned();
        let code = if let Some(s) = snooze {
            let until = mute_until(&alarm.signal, s.until_ms, now_ms);
            alarm.snoozed_until_ms = Some(until);
            alarm.next_at_ms = until;
            self.log(&mut out, AuditEvent::Snoozed, &signal.signal_id, Some(s.by_recipient_id), None, Some(until.to_string()));
            RouterCode::Snoozed
        } else {
            let before = out.deliveries.len();
            self.act(&mut alarm, now_ms, Cause::AckTimeout, &mut out);
            if out.deliveries.len() > before {
                RouterCode::Issued
            } else {
                RouterCode::Deferred
            }
        };
        self.alarms.push(alarm);
        Ok(out.finish(code))
    }

    /// The signal `alarmId` resolved: the alarm closes, its holders get a retraction.
    pub fn resolve(&mut self, alarm_id: &str, now_ms: u64) -> Result<RouterOutput> {
        check_id("alarmId", alarm_id)?;
        self.check_now(now_ms)?;
        self.now_ms = now_ms;
        let Some(index) = self.alarms.iter().position(|a| a.signal.signal_id == alarm_id) else {
            return Ok(Out::new().finish(self.closed_or_unknown(alarm_id)));
        };
        let mut out = Out::new();
        self.close(index, RetractReason::Resolved, now_ms, &mut out);
        Ok(out.finish(RouterCode::Retracted))
    }

    /// `recipientId` acknowledged `alarmId`: the alarm closes, its holders get a retraction.
    pub fn acknowledge(&mut self, alarm_id: &str, recipient_id: &str, now_ms: u64) -> Result<RouterOutput> {
        check_id("alarmId", alarm_id)?;
        let recipient = self.known_recipient(recipient_id)?;
        self.check_now(now_ms)?;
        self.now_ms = now_ms;
        let Some(index) = self.alarms.iter().position(|a| a.signal.signal_id == alarm_id) else {
            return Ok(Out::new().finish(self.closed_or_unknown(alarm_id)));
        };
        let sent = self.alarms.get(index).is_some_and(|a| a.ever_sent.contains(&recipient));
        if !sent {
            return Ok(Out::new().finish(RouterCode::NotARecipient));
        }
        let mut out = Out::new();
        let step = self.alarms.get(index).and_then(|a| a.step);
        self.log(&mut out, AuditEvent::Acknowledged, alarm_id, Some(recipient_id.to_owned()), step, None);
        self.close(index, RetractReason::Acknowledged, now_ms, &mut out);
        Ok(out.finish(RouterCode::Acknowledged))
    }

    /// `recipientId` snoozes alarms of `kind` and `direction` for `durationMs`.
    pub fn snooze(
        &mut self,
        kind: &str,
        direction: Direction,
        duration_ms: u64,
        recipient_id: &str,
        now_ms: u64,
    ) -> Result<RouterOutput> {
        check_kind("kind", kind)?;
        let bound = if kind == "urgent-low" { URGENT_LOW_SNOOZE_MS_MAX } else { SNOOZE_MS_MAX };
        if duration_ms == 0 || duration_ms > bound {
            return Err(limit("durationMs", format!("must be 1..={bound} ms for {kind}, got {duration_ms}")));
        }
        self.known_recipient(recipient_id)?;
        self.check_now(now_ms)?;
        let until = now_ms.saturating_add(duration_ms);
        check_time("durationMs", until)?;
        // Expired snoozes go first, so that only live ones count against the limit.
        self.snoozes.retain(|s| s.until_ms > now_ms);
        let existing = self.snoozes.iter().position(|s| s.kind == kind && s.direction == direction);
        if existing.is_none() && self.snoozes.len() >= SNOOZES_MAX {
            return Err(limit("snooze", format!("{SNOOZES_MAX} snoozes are active")));
        }
        self.now_ms = now_ms;
        let snooze = Snooze { kind: kind.to_owned(), direction, until_ms: until, by_recipient_id: recipient_id.to_owned() };
        match existing.and_then(|i| self.snoozes.get_mut(i)) {
            Some(slot) => *slot = snooze,
            None => self.snoozes.push(snooze),
        }
        let mut out = Out::new();
        let mut alarms = std::mem::take(&mut self.alarms);
        for alarm in alarms.iter_mut() {
            if alarm.signal.kind != kind || alarm.signal.direction != direction {
                continue;
            }
            let muted = mute_until(&alarm.signal, until, now_ms);
            alarm.snoozed_until_ms = Some(muted);
            alarm.next_at_ms = muted;
            alarm.step = None;
            alarm.pending.clear();
            self.retract_holders(alarm, RetractReason::Snoozed, now_ms, &mut out);
            self.log_at(&mut out, now_ms, AuditEvent::Snoozed, &alarm.signal.signal_id, Some(recipient_id.to_owned()), None, Some(muted.to_string()));
        }
        self.alarms = alarms;
        Ok(out.finish(RouterCode::Snoozed))
    }

    /// The recipient's terminal confirmed delivery `deliveryId`.
    pub fn receipt(&mut self, delivery_id: u64, now_ms: u64) -> Result<RouterOutput> {
        self.check_now(now_ms)?;
        self.now_ms = now_ms;
        let Some((a, p)) = self.find_pending(delivery_id) else {
            return Ok(Out::new().finish(self.not_pending_or_unknown(delivery_id)));
        };
        let mut out = Out::new();
        let Some(alarm) = self.alarms.get_mut(a) else { return Ok(out.finish(RouterCode::UnknownDelivery)) };
        let pending = alarm.pending.remove(p);
        let alarm_id = alarm.signal.signal_id.clone();
        let rid = self.recipient_id(pending.recipient).map(str::to_owned);
        self.log(&mut out, AuditEvent::Delivered, &alarm_id, rid, Some(pending.step), None);
        Ok(out.finish(RouterCode::Delivered))
    }

    /// Delivery `deliveryId` could not be made: recorded, and the ladder climbs at once when it
    /// was the alarm's current step.
    pub fn delivery_failed(&mut self, delivery_id: u64, now_ms: u64) -> Result<RouterOutput> {
        self.check_now(now_ms)?;
        self.now_ms = now_ms;
        let Some((a, p)) = self.find_pending(delivery_id) else {
            return Ok(Out::new().finish(self.not_pending_or_unknown(delivery_id)));
        };
        let mut out = Out::new();
        let mut alarms = std::mem::take(&mut self.alarms);
        if let Some(alarm) = alarms.get_mut(a) {
            self.fail(alarm, p, "failed", now_ms, &mut out);
        }
        self.alarms = alarms;
        Ok(out.finish(RouterCode::Failed))
    }

    /// Time advances to `nowMs`: unconfirmed deliveries fail, due actions run (one per alarm).
    pub fn tick(&mut self, now_ms: u64) -> Result<RouterOutput> {
        self.check_now(now_ms)?;
        self.now_ms = now_ms;
        self.snoozes.retain(|s| s.until_ms > now_ms);
        let mut out = Out::new();
        let mut alarms = std::mem::take(&mut self.alarms);
        let timeout = self.setup.receipt_timeout_ms;
        for alarm in alarms.iter_mut() {
            // Bounded by RECIPIENTS_MAX: at most one pending delivery per recipient.
            while let Some(p) = alarm.pending.iter().position(|p| p.sent_at_ms.saturating_add(timeout) <= now_ms) {
                self.fail(alarm, p, "unconfirmed", now_ms, &mut out);
            }
            if alarm.next_at_ms <= now_ms {
                self.act(alarm, now_ms, Cause::AckTimeout, &mut out);
            }
        }
        self.alarms = alarms;
        Ok(out.finish(RouterCode::Ticked))
    }

    // ---- the machine ----------------------------------------------------------------------

    fn check_now(&self, now_ms: u64) -> Result<()> {
        check_time("nowMs", now_ms)?;
        if now_ms < self.now_ms {
            return Err(invalid("nowMs", format!("is before the router's time {}", self.now_ms)));
        }
        Ok(())
    }

    fn known_recipient(&self, recipient_id: &str) -> Result<u16> {
        check_id("recipientId", recipient_id)?;
        self.recipient_index(recipient_id).ok_or_else(|| invalid("recipientId", "is not a recipient of this router"))
    }

    fn recipient_index(&self, id: &str) -> Option<u16> {
        self.setup.recipients.iter().position(|r| r.id == id).and_then(|i| u16::try_from(i).ok())
    }

    fn recipient_id(&self, index: u16) -> Option<&str> {
        self.setup.recipients.get(usize::from(index)).map(|r| r.id.as_str())
    }

    fn policy_for(&self, signal: &AlarmSignal) -> u16 {
        let matches = |p: &Policy| {
            p.kind.as_ref().map_or(true, |k| *k == signal.kind) && p.priority.map_or(true, |q| q == signal.priority)
        };
        let last = self.setup.policies.len().saturating_sub(1);
        let index = self.setup.policies.iter().position(matches).unwrap_or(last);
        u16::try_from(index).unwrap_or(0)
    }

    fn steps_of(&self, alarm: &Alarm) -> &[Step] {
        self.setup.policies.get(usize::from(alarm.policy)).map(|p| p.steps.as_slice()).unwrap_or(&[])
    }

    fn closed_or_unknown(&self, alarm_id: &str) -> RouterCode {
        if self.closed.iter().any(|id| id == alarm_id) {
            RouterCode::AlreadyClosed
        } else {
            RouterCode::UnknownAlarm
        }
    }

    fn not_pending_or_unknown(&self, delivery_id: u64) -> RouterCode {
        if delivery_id >= 1 && delivery_id < self.next_delivery_id {
            RouterCode::NotPending
        } else {
            RouterCode::UnknownDelivery
        }
    }

    fn find_pending(&self, delivery_id: u64) -> Option<(usize, usize)> {
        self.alarms.iter().enumerate().find_map(|(a, alarm)| {
            alarm.pending.iter().position(|p| p.delivery_id == delivery_id).map(|p| (a, p))
        })
    }

    /// Whether `now_ms` is inside quiet hours; if so, the end of them (Unix ms).
    fn quiet_end(&self, now_ms: u64) -> Option<u64> {
        let q = self.setup.quiet_hours?;
        let minute_utc = i64::try_from(now_ms / MS_PER_MINUTE).ok()?;
        let local = (minute_utc + i64::from(q.utc_offset_minutes)).rem_euclid(MINUTES_PER_DAY);
        let (start, end) = (i64::from(q.start_minute), i64::from(q.end_minute));
        let inside = if start < end { start <= local && local < end } else { local >= start || local < end };
        if !inside {
            return None;
        }
        let to_end = (end - local).rem_euclid(MINUTES_PER_DAY);
        let end_minute = u64::try_from(minute_utc + to_end).ok()?;
        Some(end_minute.saturating_mul(MS_PER_MINUTE))
    }

    /// The alarm's due action at `now_ms` (see the module's lifecycle table).
    fn act(&mut self, alarm: &mut Alarm, now_ms: u64, cause: Cause, out: &mut Out) {
        let id = alarm.signal.signal_id.clone();
        if alarm.snoozed_until_ms.take().is_some() {
            self.log_at(out, now_ms, AuditEvent::SnoozeExpired, &id, None, None, None);
        }
        if alarm.signal.priority != Priority::High {
            if let Some(end) = self.quiet_end(now_ms) {
                alarm.next_at_ms = end;
                self.log_at(out, now_ms, AuditEvent::Deferred, &id, None, alarm.step, Some(end.to_string()));
                return;
            }
        }
        let steps = self.steps_of(alarm).to_vec();
        let top = steps.len().saturating_sub(1);
        let next = match alarm.step {
            None => 0,
            Some(s) if usize::from(s) < top => usize::from(s) + 1,
            Some(s) => usize::from(s),
        };
        let Some(step) = steps.get(next) else { return };
        let step_u8 = u8::try_from(next).unwrap_or(u8::MAX);
        match alarm.step {
            Some(s) if usize::from(s) == next => {
                self.log_at(out, now_ms, AuditEvent::Repeated, &id, None, Some(step_u8), None);
            }
            Some(_) => {
                let detail = match cause {
                    Cause::AckTimeout => "ack-timeout",
                    Cause::DeliveryFailed => "delivery-failed",
                };
                self.log_at(out, now_ms, AuditEvent::Escalated, &id, None, Some(step_u8), Some(detail.to_owned()));
            }
            None => {}
        }
        alarm.step = Some(step_u8);
        alarm.next_at_ms = now_ms.saturating_add(step.ack_timeout_ms);
        let targets: Vec<u16> = self
            .setup
            .recipients
            .iter()
            .enumerate()
            .filter(|(_, r)| r.role == step.role)
            .filter_map(|(i, _)| u16::try_from(i).ok())
            .collect();
        for r in targets {
            self.deliver(alarm, r, step_u8, now_ms, out);
        }
    }

    fn deliver(&mut self, alarm: &mut Alarm, recipient: u16, step: u8, now_ms: u64, out: &mut Out) {
        let Some(r) = self.setup.recipients.get(usize::from(recipient)).cloned() else { return };
        let repeat = alarm.ever_sent.contains(&recipient);
        if !repeat {
            insert_sorted(&mut alarm.ever_sent, recipient);
        }
        insert_sorted(&mut alarm.holders, recipient);
        // Only the newest delivery to a recipient can be confirmed.
        alarm.pending.retain(|p| p.recipient != recipient);
        let delivery_id = self.next_delivery_id;
        self.next_delivery_id = self.next_delivery_id.saturating_add(1);
        let pending = Pending { delivery_id, recipient, step, sent_at_ms: now_ms, repeat };
        out.deliveries.push(delivery_of(&alarm.signal, &r, &pending));
        alarm.pending.push(pending);
        let id = alarm.signal.signal_id.clone();
        self.log_at(out, now_ms, AuditEvent::Sent, &id, Some(r.id), Some(step), repeat.then(|| "repeat".to_owned()));
    }

    fn fail(&mut self, alarm: &mut Alarm, pending_index: usize, detail: &str, now_ms: u64, out: &mut Out) {
        if pending_index >= alarm.pending.len() {
            return;
        }
        let p = alarm.pending.remove(pending_index);
        let id = alarm.signal.signal_id.clone();
        let rid = self.recipient_id(p.recipient).map(str::to_owned);
        self.log_at(out, now_ms, AuditEvent::DeliveryFailed, &id, rid, Some(p.step), Some(detail.to_owned()));
        let top = self.steps_of(alarm).len().saturating_sub(1);
        let current = alarm.snoozed_until_ms.is_none() && alarm.step == Some(p.step);
        if current && usize::from(p.step) < top {
            self.act(alarm, now_ms, Cause::DeliveryFailed, out);
        }
    }

    fn retract_holders(&mut self, alarm: &mut Alarm, reason: RetractReason, now_ms: u64, out: &mut Out) {
        let holders = std::mem::take(&mut alarm.holders);
        for r in holders {
            let Some(rid) = self.recipient_id(r).map(str::to_owned) else { continue };
            out.retractions.push(Retraction { alarm_id: alarm.signal.signal_id.clone(), recipient_id: rid.clone(), reason });
            let id = alarm.signal.signal_id.clone();
            self.log_at(out, now_ms, AuditEvent::Retracted, &id, Some(rid), None, Some(reason.as_str().to_owned()));
        }
    }

    fn close(&mut self, index: usize, reason: RetractReason, now_ms: u64, out: &mut Out) {
        if index >= self.alarms.len() {
            return;
        }
        let mut alarm = self.alarms.remove(index);
        self.retract_holders(&mut alarm, reason, now_ms, out);
        let id = alarm.signal.signal_id.clone();
        self.log_at(out, now_ms, AuditEvent::Closed, &id, None, None, Some(reason.as_str().to_owned()));
        if self.closed.len() >= CLOSED_IDS_KEPT_MAX {
            self.closed.pop_front();
        }
        self.closed.push_back(id);
    }

    fn log(
        &mut self,
        out: &mut Out,
        event: AuditEvent,
        alarm_id: &str,
        recipient_id: Option<String>,
        step: Option<u8>,
        detail: Option<String>,
    ) {
        self.log_at(out, self.now_ms, event, alarm_id, recipient_id, step, detail);
    }

    #[allow(clippy::too_many_arguments)]
    fn log_at(
        &mut self,
        out: &mut Out,
        at_ms: u64,
        event: AuditEvent,
        alarm_id: &str,
        recipient_id: Option<String>,
        step: Option<u8>,
        detail: Option<String>,
    ) {
        self.audit_seq = self.audit_seq.saturating_add(1);
        let mut entry =
            AuditEntry { seq: self.audit_seq, at_ms, event, alarm_id: alarm_id.to_owned(), recipient_id, step, detail, hash: String::new() };
        let h = audit_hash(&self.audit_head, &entry);
        entry.hash = hex(&h);
        self.audit_head = h;
        if self.audit_kept.len() >= AUDIT_KEPT_MAX {
            self.audit_kept.pop_front();
        }
        self.audit_kept.push_back(entry.clone());
        out.audit.push(entry);
    }

    /// The kept audit entries are the last `min(auditSeq, AUDIT_KEPT_MAX)` of the log: consecutive
    /// `seq` ending at the router's, each chained to the one before (the first to 32 zero bytes
    /// when it is the log's first), the last one's hash the head. (Found by the fuzz target
    /// `dose_escalation_restore`: a restore that checked only the last entry kept a broken chain.)
    fn audit_kept_chains(&self) -> bool {
        let expected_len = usize::try_from(self.audit_seq).map_or(AUDIT_KEPT_MAX, |n| n.min(AUDIT_KEPT_MAX));
        if self.audit_kept.len() != expected_len {
            return false;
        }
        let kept: Vec<AuditEntry> = self.audit_kept.iter().cloned().collect();
        let Some((first, rest)) = kept.split_first() else { return self.audit_seq == 0 && self.audit_head == [0; 32] };
        let first_ok = if first.seq == 1 { verify_audit(std::slice::from_ref(first), None).is_ok() } else { decode_hash(&first.hash).is_some() };
        let head = verify_audit(rest, Some(&first.hash));
        first_ok
            && first.seq.checked_add(rest.len() as u64) == Some(self.audit_seq)
            && (rest.is_empty() || rest.first().map(|e| e.seq) == first.seq.checked_add(1))
            && head.is_ok_and(|h| h == hex(&self.audit_head))
    }

    /// The invariants a restored router must hold (codec.rs checks them).
    fn is_consistent(&self) -> bool {
        if check_setup(&self.setup).is_err() || self.alarms.len() > OPEN_ALARMS_MAX || self.snoozes.len() > SNOOZES_MAX {
            return false;
        }
        let recipients = self.setup.recipients.len();
        let in_range = |v: &[u16]| v.iter().all(|&r| usize::from(r) < recipients) && v.windows(2).all(|w| w.first() < w.get(1));
        let alarms_ok = self.alarms.iter().enumerate().all(|(i, a)| {
            let steps = self.steps_of(a).len();
            check_signal(&a.signal).is_ok()
                && usize::from(a.policy) < self.setup.policies.len()
                && a.step.map_or(true, |s| usize::from(s) < steps)
                && in_range(&a.ever_sent)
                && in_range(&a.holders)
                && a.holders.iter().all(|h| a.ever_sent.contains(h))
                && a.pending.len() <= recipients
                && a.pending.iter().all(|p| usize::from(p.recipient) < recipients && p.delivery_id < self.next_delivery_id)
                && !self.alarms.iter().take(i).any(|b| b.signal.signal_id == a.signal.signal_id)
        });
        alarms_ok
            && self.closed.len() <= CLOSED_IDS_KEPT_MAX
            && self.audit_saved_seq <= self.audit_seq
            && self.audit_kept.len() <= AUDIT_KEPT_MAX
            && self.audit_kept_chains()
            && self.snoozes.iter().all(|s| self.recipient_index(&s.by_recipient_id).is_some() && check_kind("kind", &s.kind).is_ok())
    }
}

/// The message of a delivery (the same bytes whenever it is sent again).
fn delivery_of(s: &AlarmSignal, r: &Recipient, p: &Pending) -> Delivery {
    Delivery {
        delivery_id: p.delivery_id,
        alarm_id: s.signal_id.clone(),
        recipient_id: r.id.clone(),
        role: r.role,
        step: p.step,
        repeat: p.repeat,
        kind: s.kind.clone(),
        priority: s.priority,
        direction: s.direction,
        reason: s.reason.clone(),
        evidence: s.evidence.clone(),
        signal_at_ms: s.at_ms,
        sent_at_ms: p.sent_at_ms,
    }
}

/// Until when a snooze ending at `until` mutes this signal: an urgent low (priority high,
/// direction low) never beyond [`URGENT_LOW_SNOOZE_MS_MAX`] from now.
fn mute_until(signal: &AlarmSignal, until: u64, now_ms: u64) -> u64 {
    if signal.priority == Priority::High && signal.direction == Direction::Low {
        until.min(now_ms.saturating_add(URGENT_LOW_SNOOZE_MS_MAX))
    } else {
        until
    }
}

fn insert_sorted(v: &mut Vec<u16>, x: u16) {
    if let Err(i) = v.binary_search(&x) {
        v.insert(i, x);
    }
}
