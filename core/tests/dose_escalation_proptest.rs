//! Random sequences of signals, resolutions, acknowledgements, snoozes, receipts, failures and
//! ticks through the alarm router, checked against a small reference model of what the ladder
//! may and must do (core/src/dose/escalation.rs is the spec):
//!
//! * no step fires before its timeout: an `escalated … ack-timeout` to step k+1 comes at least
//!   step k's timeout after step k was delivered, and `repeated` at least the top timeout after
//!   the previous delivery of the top;
//! * a delivery to someone who was sent the alarm before is marked `repeat`, a first one is not;
//! * nothing is delivered for a closed alarm, for a snoozed one before its snooze ends, or for a
//!   medium/low one inside quiet hours; high priority is never deferred;
//! * a snooze never touches an alarm of another kind or direction; an urgent low is never muted
//!   beyond URGENT_LOW_SNOOZE_MS_MAX;
//! * the audit log is gap-free and its hash chain verifies; snapshot → restore is identical;
//! * and, at the end, once every delivery is confirmed and time runs on, every alarm still open
//!   is at the top of its ladder (eventually acknowledged, retracted or at the top).

use std::collections::BTreeMap;

use countersign_core::dose::escalation::{
    verify_audit, AuditEvent, Direction, Policy, Priority, QuietHours, Recipient, AlarmSignal, Role, Router, RouterCode,
    RouterOutput, RouterSetup, Step, URGENT_LOW_SNOOZE_MS_MAX,
};
use proptest::prelude::*;

const KEY: [u8; 32] = [9; 32];
const T0: u64 = 1_780_000_000_000;
const RECIPIENTS: [&str; 5] = ["pat", "mum", "dad", "doc", "centre"];
const KINDS: [(&str, Priority, Direction); 5] = [
    ("urgent-low", Priority::High, Direction::Low),
    ("low", Priority::Medium, Direction::Low),
    ("high", Priority::Medium, Direction::High),
    ("occlusion", Priority::High, Direction::None),
    ("low-battery", Priority::Low, Direction::None),
];

fn setup(quiet: bool) -> RouterSetup {
    let r = |id: &str, role| Recipient { id: id.to_owned(), role };
    let s = |role, ms| Step { role, ack_timeout_ms: ms };
    RouterSetup {
        router_id: "terminal-p".into(),
        recipients: vec![
            r("pat", Role::Patient),
            r("mum", Role::Caregiver),
            r("dad", Role::Caregiver),
            r("doc", Role::Doctor),
            r("centre", Role::Centre),
        ],
        policies: vec![
            Policy {
                kind: Some("occlusion".into()),
                priority: None,
                steps: vec![s(Role::Patient, 20_000), s(Role::Centre, 40_000)],
            },
            Policy {
                kind: None,
                priority: Some(Priority::High),
                steps: vec![s(Role::Patient, 60_000), s(Role::Caregiver, 120_000), s(Role::Doctor, 90_000), s(Role::Centre, 30_000)],
            },
            Policy { kind: None, priority: None, steps: vec![s(Role::Patient, 300_000), s(Role::Caregiver, 200_000)] },
        ],
        receipt_timeout_ms: 45_000,
        quiet_hours: quiet.then_some(QuietHours { start_minute: 22 * 60, end_minute: 6 * 60, utc_offset_minutes: 60 }),
    }
}

fn timeouts_of(setup: &RouterSetup, kind: &str, priority: Priority) -> Vec<u64> {
    let p = setup
        .policies
        .iter()
        .find(|p| p.kind.as_deref().map_or(true, |k| k == kind) && p.priority.map_or(true, |q| q == priority))
        .unwrap();
    p.steps.iter().map(|s| s.ack_timeout_ms).collect()
}

fn in_quiet(setup: &RouterSetup, now: u64) -> bool {
    let Some(q) = setup.quiet_hours else { return false };
    let local = ((now / 60_000) as i64 + i64::from(q.utc_offset_minutes)).rem_euclid(1_440);
    let (s, e) = (i64::from(q.start_minute), i64::from(q.end_minute));
    if s < e {
        s <= local && local < e
    } else {
        local >= s || local < e
    }
}

#[derive(Debug, Clone)]
enum Op {
    Issue { id: u8, kind: usize },
    Resolve { id: u8 },
    Ack { id: u8, who: usize },
    Snooze { kind: usize, direction: usize, minutes: u64, who: usize },
    Receipt { back: usize },
    Fail { back: usize },
    Tick { ms: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..12, 0usize..5).prop_map(|(id, kind)| Op::Issue { id, kind }),
        1 => (0u8..12).prop_map(|id| Op::Resolve { id }),
        1 => (0u8..12, 0usize..5).prop_map(|(id, who)| Op::Ack { id, who }),
        1 => (0usize..5, 0usize..3, 1u64..240, 0usize..5).prop_map(|(kind, direction, minutes, who)| Op::Snooze { kind, direction, minutes, who }),
        4 => (0usize..6).prop_map(|back| Op::Receipt { back }),
        1 => (0usize..6).prop_map(|back| Op::Fail { back }),
        5 => prop_oneof![1u64..5_000, 5_000u64..200_000, 200_000u64..3_000_000].prop_map(|ms| Op::Tick { ms }),
    ]
}

/// What the model remembers of each open alarm.
#[derive(Debug, Default)]
struct Model {
    /// alarm id → (kind index, last step delivered, when, recipients ever sent, snoozed until)
    open: BTreeMap<String, (usize, Option<u8>, u64, Vec<String>, Option<u64>)>,
}

fn check(model: &mut Model, setup: &RouterSetup, out: &RouterOutput, now: u64) {
    // Deliveries: never for a closed alarm; repeat iff sent before; the step timing.
    let mut escalations: BTreeMap<&str, (AuditEvent, u8, Option<&str>)> = BTreeMap::new();
    for e in &out.audit {
        if matches!(e.event, AuditEvent::Escalated | AuditEvent::Repeated) {
            escalations.insert(&e.alarm_id, (e.event, e.step.unwrap(), e.detail.as_deref()));
        }
        if e.event == AuditEvent::Deferred {
            let kind = model.open.get(&e.alarm_id).expect("an audit entry for an alarm that is not open").0;
            assert_ne!(KINDS[kind].1, Priority::High, "a high priority alarm was deferred");
        }
    }
    let mut stepped: BTreeMap<String, u8> = BTreeMap::new();
    for d in &out.deliveries {
        let entry = model.open.get_mut(&d.alarm_id).expect("a delivery for an alarm that is not open");
        let (kind, _, _, sent, snoozed) = entry;
        let (k, priority, _) = KINDS[*kind];
        assert!(snoozed.map_or(true, |u| now >= u), "delivered while snoozed");
        if priority != Priority::High {
            assert!(!in_quiet(setup, now), "a {k} delivery inside quiet hours");
        }
        let before = sent.contains(&d.recipient_id);
        assert_eq!(d.repeat, before, "repeat flag of {:?}", d);
        if !before {
            sent.push(d.recipient_id.clone());
        }
        stepped.insert(d.alarm_id.clone(), d.step);
    }
    for (id, step) in stepped {
        let (kind, prev_step, prev_at, _, snoozed) = model.open.get_mut(&id).unwrap();
        let timeouts = timeouts_of(setup, KINDS[*kind].0, KINDS[*kind].1);
        match (escalations.get(id.as_str()), *prev_step) {
            (Some((AuditEvent::Escalated, to, Some("ack-timeout"))), Some(from)) => {
                assert_eq!(*to, from + 1);
                assert!(now >= *prev_at + timeouts[usize::from(from)], "{id}: step {to} fired early");
            }
            (Some((AuditEvent::Repeated, to, _)), Some(from)) => {
                assert_eq!(*to, from);
                assert_eq!(usize::from(*to), timeouts.len() - 1, "repeated below the top");
                assert!(now >= *prev_at + timeouts[usize::from(from)], "{id}: repeated early");
            }
            (Some((AuditEvent::Escalated, to, Some("delivery-failed"))), Some(from)) => assert_eq!(*to, from + 1),
            (None, _) => assert_eq!(step, 0, "{id}: a step other than 0 without an escalation"),
            other => panic!("{id}: unexpected {other:?}"),
        }
        *prev_step = Some(step);
        *prev_at = now;
        *snoozed = None;
    }
}

fn run(ops: &[Op], quiet: bool) {
    let setup = setup(quiet);
    let mut router = Router::new(&setup).unwrap();
    let mut model = Model::default();
    let mut log = Vec::new();
    let mut now = T0;
    let mut deliveries: Vec<u64> = Vec::new();
    for (n, op) in ops.iter().enumerate() {
        let out = match op {
            Op::Issue { id, kind } => {
                let (k, priority, direction) = KINDS[*kind];
                let signal = AlarmSignal {
                    signal_id: format!("s{id}-{n}"),
                    kind: k.into(),
                    priority,
                    direction,
                    at_ms: now,
                    reason: String::new(),
                    evidence: String::new(),
                };
                let id = signal.signal_id.clone();
                // The model opens it first, so its step-0 deliveries are checked against it.
                let active_snooze = router.snoozes().into_iter().find(|s| s.kind == k && s.direction == direction);
                model.open.insert(id.clone(), (*kind, None, now, Vec::new(), None));
                let out = router.issue(&signal, now).unwrap();
                match out.code {
                    RouterCode::Snoozed => {
                        let s = active_snooze.expect("snoozed without an active snooze of its scope");
                        let until = router.open_alarms().into_iter().find(|a| a.signal.signal_id == id).unwrap().snoozed_until_ms.unwrap();
                        assert!(until <= s.until_ms);
                        if priority == Priority::High && direction == Direction::Low {
                            assert!(until <= now + URGENT_LOW_SNOOZE_MS_MAX);
                        }
                        model.open.get_mut(&id).unwrap().4 = Some(until);
                    }
                    RouterCode::Issued => assert!(active_snooze.is_none()),
                    RouterCode::Deferred => assert!(priority != Priority::High && in_quiet(&setup, now)),
                    other => panic!("issue gave {other:?}"),
                }
                out
            }
            Op::Resolve { id } => {
                let target = model.open.keys().find(|k| k.starts_with(&format!("s{id}-"))).cloned();
                let target = target.unwrap_or_else(|| format!("s{id}-none"));
                let out = router.resolve(&target, now).unwrap();
                if model.open.remove(&target).is_some() {
                    assert_eq!(out.code, RouterCode::Retracted);
                } else {
                    assert_eq!(out.code, RouterCode::UnknownAlarm);
                }
                out
            }
            Op::Ack { id, who } => {
                let target = model.open.keys().find(|k| k.starts_with(&format!("s{id}-"))).cloned();
                let Some(target) = target else { continue };
                let who = RECIPIENTS[*who];
                let sent = model.open[&target].3.iter().any(|r| r == who);
                let out = router.acknowledge(&target, who, now).unwrap();
                if sent {
                    assert_eq!(out.code, RouterCode::Acknowledged);
                    model.open.remove(&target);
                } else {
                    assert_eq!(out.code, RouterCode::NotARecipient);
                }
                out
            }
            Op::Snooze { kind, direction, minutes, who } => {
                let k = KINDS[*kind].0;
                let direction = [Direction::Low, Direction::High, Direction::None][*direction];
                let bound_min = if k == "urgent-low" { 15 } else { 240 };
                let minutes = (*minutes).min(bound_min);
                let out = router.snooze(k, direction, minutes * 60_000, RECIPIENTS[*who], now).unwrap();
                assert_eq!(out.code, RouterCode::Snoozed);
                for e in out.audit.iter().filter(|e| e.event == AuditEvent::Snoozed) {
                    let entry = model.open.get_mut(&e.alarm_id).unwrap();
                    let (_, priority, d) = KINDS[entry.0];
                    assert_eq!((KINDS[entry.0].0, d), (k, direction), "a snooze touched another scope");
                    let until: u64 = e.detail.as_deref().unwrap().parse().unwrap();
                    if priority == Priority::High && d == Direction::Low {
                        assert!(until <= now + URGENT_LOW_SNOOZE_MS_MAX);
                    }
                    entry.1 = None;
                    entry.4 = Some(until);
                }
                out
            }
            Op::Receipt { back } | Op::Fail { back } => {
                let Some(&id) = deliveries.iter().rev().nth(*back) else { continue };
                let out = if matches!(op, Op::Receipt { .. }) { router.receipt(id, now) } else { router.delivery_failed(id, now) };
                let out = out.unwrap();
                assert!(matches!(out.code, RouterCode::Delivered | RouterCode::Failed | RouterCode::NotPending));
                out
            }
            Op::Tick { ms } => {
                now += ms;
                router.tick(now).unwrap()
            }
        };
        check(&mut model, &setup, &out, now);
        deliveries.extend(out.deliveries.iter().map(|d| d.delivery_id));
        log.extend(out.audit);
        if n % 17 == 0 {
            let bytes = router.snapshot(&KEY).unwrap();
            assert_eq!(Router::restore(&bytes, &KEY).unwrap(), router);
        }
    }
    // The audit log: gap-free from 1, the chain verifies, the router's head is its end.
    assert!(log.first().map_or(true, |e| e.seq == 1));
    assert_eq!(verify_audit(&log, None).unwrap(), router.audit_head());

    // Liveness: confirm everything and let time run past every snooze, quiet hours and ladder.
    // 5 min steps for a day and a half: past every snooze (4 h), quiet hours (8 h) and ladder.
    for _ in 0..432 {
        now += 300_000;
        let out = router.tick(now).unwrap();
        check(&mut model, &setup, &out, now);
        for d in &out.deliveries {
            router.receipt(d.delivery_id, now).unwrap();
        }
    }
    for a in router.open_alarms() {
        assert_eq!(a.step.map(|s| s + 1), Some(a.steps), "{} is not at the top of its ladder", a.signal.signal_id);
        assert!(a.snoozed_until_ms.is_none());
    }
    assert_eq!(router.open_alarms().len(), model.open.len());
}

/// `PROPTEST_CASES` overrides the default (HACKING.md, *Property tests*).
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(128), ..ProptestConfig::default() })]

    #[test]
    fn the_router_keeps_its_promises(ops in prop::collection::vec(op(), 1..120), quiet in any::<bool>()) {
        run(&ops, quiet);
    }
}
