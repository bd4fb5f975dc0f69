//! Router snapshots: the shared authenticated snapshot format ([`crate::snapshot`]), type
//! `"countersign.dose.escalation.snapshot"`, version 1. The body is the router in deterministic
//! CBOR, every struct an array of its fields in declaration order, enums as small integers; on
//! restore it must be exactly the canonical encoding of a consistent router
//! (`SNAPSHOT_INVALID` otherwise), so one state has one byte string.

use std::collections::VecDeque;

use minicbor::Decoder;

use super::{
    Alarm, AuditEntry, AuditEvent, Direction, Pending, Policy, Priority, QuietHours, Recipient, AlarmSignal, Role, Router,
    RouterSetup, Snooze, Step, AUDIT_KEPT_MAX, CLOSED_IDS_KEPT_MAX, OPEN_ALARMS_MAX, POLICIES_MAX, RECIPIENTS_MAX,
    SNOOZES_MAX, STEPS_MAX,
};
use crate::error::Result;
use crate::limits::cbor::{self, Cbor, Enc};
use crate::snapshot::{self, invalid, SnapshotKind};

/// The snapshot format version written by this build.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 1;
/// The largest snapshot accepted, bytes: a full router (256 alarms with 1 KiB evidence, 1,024
/// audit entries, 1,024 closed ids) is well under 2 MB; 8 MB leaves room.
pub const SNAPSHOT_BYTES_MAX: usize = 8 << 20;

const KIND: SnapshotKind = SnapshotKind {
    type_name: "countersign.dose.escalation.snapshot",
    version: SNAPSHOT_FORMAT_VERSION,
    bytes_max: SNAPSHOT_BYTES_MAX,
};

pub(super) fn seal(router: &Router, key: &[u8]) -> Result<Vec<u8>> {
    snapshot::seal(&KIND, &cbor::to_vec(router), key)
}

pub(super) fn open(bytes: &[u8], key: &[u8]) -> Result<Router> {
    let body = snapshot::open(&KIND, bytes, key)?;
    let router: Router =
        cbor::from_slice(body).ok_or_else(|| invalid("the snapshot body is not a canonically encoded alarm router"))?;
    if !router.is_consistent() {
        return Err(invalid("the snapshot holds an inconsistent alarm router"));
    }
    Ok(router)
}

/// A small enum as its index in `all`.
fn enum_index<T: PartialEq + Copy>(all: &[T], value: T) -> u64 {
    all.iter().position(|v| *v == value).unwrap_or(0) as u64
}

fn enum_of<T: Copy>(all: &[T], d: &mut Decoder<'_>) -> Option<T> {
    all.get(usize::try_from(cbor::u64(d)?).ok()?).copied()
}

const ROLES: [Role; 4] = [Role::Patient, Role::Caregiver, Role::Doctor, Role::Centre];
const PRIORITIES: [Priority; 3] = [Priority::High, Priority::Medium, Priority::Low];
const DIRECTIONS: [Direction; 3] = [Direction::Low, Direction::High, Direction::None];
const EVENTS: [AuditEvent; 12] = [
    AuditEvent::Issued,
    AuditEvent::Sent,
    AuditEvent::Delivered,
    AuditEvent::DeliveryFailed,
    AuditEvent::Acknowledged,
    AuditEvent::Escalated,
    AuditEvent::Repeated,
    AuditEvent::Deferred,
    AuditEvent::Snoozed,
    AuditEvent::SnoozeExpired,
    AuditEvent::Retracted,
    AuditEvent::Closed,
];

/// An owned string as a CBOR item (for `opt` and `list`).
struct Text(String);

impl Cbor for Text {
    fn encode(&self, e: &mut Enc) {
        e.str(&self.0);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::string(d).map(Text)
    }
}

struct Num(u64);

impl Cbor for Num {
    fn encode(&self, e: &mut Enc) {
        e.u64(self.0);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::u64(d).map(Num)
    }
}

fn opt_str(e: &mut Enc, value: Option<&String>) {
    match value {
        Some(s) => {
            e.str(s);
        }
        None => {
            e.null();
        }
    }
}

fn opt_string(d: &mut Decoder<'_>) -> Option<Option<String>> {
    cbor::opt::<Text>(d).map(|t| t.map(|t| t.0))
}

fn opt_u64(e: &mut Enc, value: Option<u64>) {
    match value {
        Some(v) => {
            e.u64(v);
        }
        None => {
            e.null();
        }
    }
}

fn opt_num(d: &mut Decoder<'_>) -> Option<Option<u64>> {
    cbor::opt::<Num>(d).map(|n| n.map(|n| n.0))
}

fn opt_u8(d: &mut Decoder<'_>) -> Option<Option<u8>> {
    match opt_num(d)? {
        Some(n) => u8::try_from(n).ok().map(Some),
        None => Some(None),
    }
}

fn u16_list(e: &mut Enc, values: &[u16]) {
    e.array(values.len() as u64);
    for v in values {
        e.u64(u64::from(*v));
    }
}

fn u16_list_of(d: &mut Decoder<'_>, max: usize) -> Option<Vec<u16>> {
    cbor::list::<Num>(d, max)?.into_iter().map(|n| u16::try_from(n.0).ok()).collect()
}

impl Cbor for Recipient {
    fn encode(&self, e: &mut Enc) {
        e.array(2).str(&self.id).u64(enum_index(&ROLES, self.role));
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 2)?;
        Some(Recipient { id: cbor::string(d)?, role: enum_of(&ROLES, d)? })
    }
}

impl Cbor for Step {
    fn encode(&self, e: &mut Enc) {
        e.array(2).u64(enum_index(&ROLES, self.role)).u64(self.ack_timeout_ms);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 2)?;
        Some(Step { role: enum_of(&ROLES, d)?, ack_timeout_ms: cbor::u64(d)? })
    }
}

impl Cbor for Policy {
    fn encode(&self, e: &mut Enc) {
        e.array(3);
        opt_str(e, self.kind.as_ref());
        opt_u64(e, self.priority.map(|p| enum_index(&PRIORITIES, p)));
        e.list(&self.steps);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 3)?;
        let kind = opt_string(d)?;
        let priority = match opt_num(d)? {
            Some(i) => Some(*PRIORITIES.get(usize::try_from(i).ok()?)?),
            None => None,
        };
        Some(Policy { kind, priority, steps: cbor::list(d, STEPS_MAX)? })
    }
}

impl Cbor for QuietHours {
    fn encode(&self, e: &mut Enc) {
        e.array(3).u64(u64::from(self.start_minute)).u64(u64::from(self.end_minute)).i64(i64::from(self.utc_offset_minutes));
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 3)?;
        Some(QuietHours {
            start_minute: u16::try_from(cbor::u64(d)?).ok()?,
            end_minute: u16::try_from(cbor::u64(d)?).ok()?,
            utc_offset_minutes: i32::try_from(cbor::i64(d)?).ok()?,
        })
    }
}

impl Cbor for RouterSetup {
    fn encode(&self, e: &mut Enc) {
        e.array(5).str(&self.router_id).list(&self.recipients).list(&self.policies).u64(self.receipt_timeout_ms);
        e.opt(self.quiet_hours.as_ref());
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 5)?;
        Some(RouterSetup {
            router_id: cbor::string(d)?,
            recipients: cbor::list(d, RECIPIENTS_MAX)?,
            policies: cbor::list(d, POLICIES_MAX)?,
            receipt_timeout_ms: cbor::u64(d)?,
            quiet_hours: cbor::opt(d)?,
        })
    }
}

impl Cbor for AlarmSignal {
    fn encode(&self, e: &mut Enc) {
        e.array(7)
            .str(&self.signal_id)
            .str(&self.kind)
            .u64(enum_index(&PRIORITIES, self.priority))
            .u64(enum_index(&DIRECTIONS, self.direction))
            .u64(self.at_ms)
            .str(&self.reason)
            .str(&self.evidence);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 7)?;
        Some(AlarmSignal {
            signal_id: cbor::string(d)?,
            kind: cbor::string(d)?,
            priority: enum_of(&PRIORITIES, d)?,
            direction: enum_of(&DIRECTIONS, d)?,
            at_ms: cbor::u64(d)?,
            reason: cbor::string(d)?,
            evidence: cbor::string(d)?,
        })
    }
}

impl Cbor for Pending {
    fn encode(&self, e: &mut Enc) {
        e.array(5)
            .u64(self.delivery_id)
            .u64(u64::from(self.recipient))
            .u64(u64::from(self.step))
            .u64(self.sent_at_ms)
            .bool(self.repeat);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 5)?;
        Some(Pending {
            delivery_id: cbor::u64(d)?,
            recipient: u16::try_from(cbor::u64(d)?).ok()?,
            step: cbor::u8(d)?,
            sent_at_ms: cbor::u64(d)?,
            repeat: cbor::bool(d)?,
        })
    }
}

impl Cbor for Alarm {
    fn encode(&self, e: &mut Enc) {
        e.array(8);
        self.signal.encode(e);
        e.u64(u64::from(self.policy));
        opt_u64(e, self.step.map(u64::from));
        e.u64(self.next_at_ms);
        opt_u64(e, self.snoozed_until_ms);
        u16_list(e, &self.ever_sent);
        u16_list(e, &self.holders);
        e.list(&self.pending);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 8)?;
        Some(Alarm {
            signal: AlarmSignal::decode(d)?,
            policy: u16::try_from(cbor::u64(d)?).ok()?,
            step: opt_u8(d)?,
            next_at_ms: cbor::u64(d)?,
            snoozed_until_ms: opt_num(d)?,
            ever_sent: u16_list_of(d, RECIPIENTS_MAX)?,
            holders: u16_list_of(d, RECIPIENTS_MAX)?,
            pending: cbor::list(d, RECIPIENTS_MAX)?,
        })
    }
}

impl Cbor for Snooze {
    fn encode(&self, e: &mut Enc) {
        e.array(4).str(&self.kind).u64(enum_index(&DIRECTIONS, self.direction)).u64(self.until_ms).str(&self.by_recipient_id);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 4)?;
        Some(Snooze {
            kind: cbor::string(d)?,
            direction: enum_of(&DIRECTIONS, d)?,
            until_ms: cbor::u64(d)?,
            by_recipient_id: cbor::string(d)?,
        })
    }
}

impl Cbor for AuditEntry {
    fn encode(&self, e: &mut Enc) {
        e.array(8).u64(self.seq).u64(self.at_ms).u64(enum_index(&EVENTS, self.event)).str(&self.alarm_id);
        opt_str(e, self.recipient_id.as_ref());
        opt_u64(e, self.step.map(u64::from));
        opt_str(e, self.detail.as_ref());
        e.str(&self.hash);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 8)?;
        Some(AuditEntry {
            seq: cbor::u64(d)?,
            at_ms: cbor::u64(d)?,
            event: enum_of(&EVENTS, d)?,
            alarm_id: cbor::string(d)?,
            recipient_id: opt_string(d)?,
            step: opt_u8(d)?,
            detail: opt_string(d)?,
            hash: cbor::string(d)?,
        })
    }
}

impl Cbor for Router {
    fn encode(&self, e: &mut Enc) {
        e.array(10);
        self.setup.encode(e);
        e.u64(self.now_ms).list(&self.alarms).list(&self.snoozes);
        e.array(self.closed.len() as u64);
        for id in &self.closed {
            e.str(id);
        }
        e.u64(self.next_delivery_id).u64(self.audit_seq).bytes(&self.audit_head);
        e.array(self.audit_kept.len() as u64);
        for entry in &self.audit_kept {
            entry.encode(e);
        }
        e.u64(self.audit_saved_seq);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 10)?;
        let setup = RouterSetup::decode(d)?;
        let now_ms = cbor::u64(d)?;
        let alarms = cbor::list(d, OPEN_ALARMS_MAX)?;
        let snoozes = cbor::list(d, SNOOZES_MAX)?;
        let closed: VecDeque<String> = cbor::list::<Text>(d, CLOSED_IDS_KEPT_MAX)?.into_iter().map(|t| t.0).collect();
        let next_delivery_id = cbor::u64(d)?;
        let audit_seq = cbor::u64(d)?;
        let audit_head: [u8; 32] = cbor::bytes(d)?.try_into().ok()?;
        let audit_kept: VecDeque<AuditEntry> = cbor::list(d, AUDIT_KEPT_MAX)?.into_iter().collect();
        let audit_saved_seq = cbor::u64(d)?;
        Some(Router { setup, now_ms, alarms, snoozes, closed, next_delivery_id, audit_seq, audit_head, audit_kept, audit_saved_seq })
    }
}
