use super::*;

const KEY: [u8; 32] = [7; 32];
const T0: u64 = 1_780_000_000_000;

fn setup(quiet: Option<QuietHours>) -> RouterSetup {
    let r = |id: &str, role| Recipient { id: id.to_owned(), role };
    let s = |role, ms| Step { role, ack_timeout_ms: ms };
    RouterSetup {
        router_id: "terminal-1".into(),
        recipients: vec![
            r("pat", Role::Patient),
            r("mum", Role::Caregiver),
            r("dad", Role::Caregiver),
            r("doc", Role::Doctor),
            r("centre", Role::Centre),
        ],
        policies: vec![
            Policy {
                kind: None,
                priority: Some(Priority::High),
                steps: vec![
                    s(Role::Patient, 60_000),
                    s(Role::Caregiver, 120_000),
                    s(Role::Doctor, 300_000),
                    s(Role::Centre, 300_000),
                ],
            },
            Policy { kind: None, priority: None, steps: vec![s(Role::Patient, 300_000), s(Role::Caregiver, 600_000)] },
        ],
        receipt_timeout_ms: 30_000,
        quiet_hours: quiet,
    }
}

fn signal(id: &str, kind: &str, priority: Priority, direction: Direction) -> AlarmSignal {
    AlarmSignal {
        signal_id: id.into(),
        kind: kind.into(),
        priority,
        direction,
        at_ms: T0,
        reason: "glucose 48 mg/dL".into(),
        evidence: "[48, 52, 55]".into(),
    }
}

fn urgent_low(id: &str) -> AlarmSignal {
    signal(id, "urgent-low", Priority::High, Direction::Low)
}

fn to(out: &RouterOutput) -> Vec<(&str, u8, bool)> {
    out.deliveries.iter().map(|d| (d.recipient_id.as_str(), d.step, d.repeat)).collect()
}

fn receipts(router: &mut Router, out: &RouterOutput, now: u64) {
    for d in &out.deliveries {
        assert_eq!(router.receipt(d.delivery_id, now).unwrap().code, RouterCode::Delivered);
    }
}

#[test]
fn the_ladder_is_armed_at_once_and_climbs_only_after_each_timeout() {
    let mut r = Router::new(&setup(None)).unwrap();
    let out = r.issue(&urgent_low("s1"), T0).unwrap();
    assert_eq!(out.code, RouterCode::Issued);
    assert_eq!(to(&out), vec![("pat", 0, false)]);
    receipts(&mut r, &out, T0 + 1);
    // One ms before the patient's timeout: nothing.
    let out = r.tick(T0 + 59_999).unwrap();
    assert!(out.deliveries.is_empty() && out.audit.is_empty());
    let out = r.tick(T0 + 60_000).unwrap();
    assert_eq!(to(&out), vec![("mum", 1, false), ("dad", 1, false)]);
    assert_eq!(out.audit.first().map(|e| (e.event, e.step, e.detail.as_deref())), Some((AuditEvent::Escalated, Some(1), Some("ack-timeout"))));
    receipts(&mut r, &out, T0 + 60_001);
    assert!(r.tick(T0 + 179_999).unwrap().deliveries.is_empty());
    let out = r.tick(T0 + 180_000).unwrap();
    assert_eq!(to(&out), vec![("doc", 2, false)]);
    receipts(&mut r, &out, T0 + 180_001);
    let out = r.tick(T0 + 480_000).unwrap();
    assert_eq!(to(&out), vec![("centre", 3, false)]);
    receipts(&mut r, &out, T0 + 480_001);
    // At the top: the centre is told again every top timeout, marked as a repeat.
    let out = r.tick(T0 + 780_000).unwrap();
    assert_eq!(to(&out), vec![("centre", 3, true)]);
    assert_eq!(out.audit.first().map(|e| e.event), Some(AuditEvent::Repeated));
    // The caregiver acknowledges: closed, every holder retracted.
    let out = r.acknowledge("s1", "dad", T0 + 781_000).unwrap();
    assert_eq!(out.code, RouterCode::Acknowledged);
    let told: Vec<&str> = out.retractions.iter().map(|x| x.recipient_id.as_str()).collect();
    assert_eq!(told, vec!["pat", "mum", "dad", "doc", "centre"]);
    assert!(r.open_alarms().is_empty());
    assert!(r.tick(T0 + 10_000_000).unwrap().deliveries.is_empty());
    assert_eq!(r.acknowledge("s1", "mum", T0 + 10_000_001).unwrap().code, RouterCode::AlreadyClosed);
}

#[test]
fn resolution_retracts_and_closes() {
    let mut r = Router::new(&setup(None)).unwrap();
    let out = r.issue(&urgent_low("s1"), T0).unwrap();
    receipts(&mut r, &out, T0);
    let out = r.resolve("s1", T0 + 5_000).unwrap();
    assert_eq!(out.code, RouterCode::Retracted);
    assert_eq!(out.retractions, vec![Retraction { alarm_id: "s1".into(), recipient_id: "pat".into(), reason: RetractReason::Resolved }]);
    assert_eq!(r.resolve("s1", T0 + 5_000).unwrap().code, RouterCode::AlreadyClosed);
    assert_eq!(r.resolve("nope", T0 + 5_000).unwrap().code, RouterCode::UnknownAlarm);
    assert_eq!(r.issue(&urgent_low("s1"), T0 + 6_000).unwrap().code, RouterCode::AlreadyClosed);
}

#[test]
fn acknowledgement_needs_a_recipient_who_was_told() {
    let mut r = Router::new(&setup(None)).unwrap();
    r.issue(&urgent_low("s1"), T0).unwrap();
    assert_eq!(r.acknowledge("s1", "doc", T0 + 1).unwrap().code, RouterCode::NotARecipient);
    let err = r.acknowledge("s1", "stranger", T0 + 1).unwrap_err();
    assert_eq!((err.code(), err.param()), (ErrorCode::InvalidArgument, "recipientId"));
    assert_eq!(r.open_alarms().len(), 1);
}

#[test]
fn a_failed_delivery_climbs_at_once_and_an_unconfirmed_one_on_the_tick() {
    let mut r = Router::new(&setup(None)).unwrap();
    let out = r.issue(&urgent_low("s1"), T0).unwrap();
    let id = out.deliveries[0].delivery_id;
    let out = r.delivery_failed(id, T0 + 1_000).unwrap();
    assert_eq!(out.code, RouterCode::Failed);
    assert_eq!(to(&out), vec![("mum", 1, false), ("dad", 1, false)]);
    let details: Vec<_> = out.audit.iter().map(|e| (e.event, e.detail.clone())).collect();
    assert_eq!(details[0], (AuditEvent::DeliveryFailed, Some("failed".into())));
    assert_eq!(details[1], (AuditEvent::Escalated, Some("delivery-failed".into())));
    assert_eq!(r.delivery_failed(id, T0 + 1_001).unwrap().code, RouterCode::NotPending);
    assert_eq!(r.receipt(999, T0 + 1_001).unwrap().code, RouterCode::UnknownDelivery);
    // mum confirms, dad never does: at the receipt timeout dad's delivery fails, the ladder climbs.
    r.receipt(out.deliveries[0].delivery_id, T0 + 2_000).unwrap();
    let out = r.tick(T0 + 31_000).unwrap();
    assert_eq!(to(&out), vec![("doc", 2, false)]);
    assert_eq!(out.audit[0].detail.as_deref(), Some("unconfirmed"));
    assert_eq!(out.audit[0].recipient_id.as_deref(), Some("dad"));
}

#[test]
fn a_high_snooze_never_mutes_a_low_and_snoozes_expire() {
    let mut r = Router::new(&setup(None)).unwrap();
    let high = signal("h1", "high", Priority::Medium, Direction::High);
    let low = signal("l1", "low", Priority::Medium, Direction::Low);
    r.issue(&high, T0).unwrap();
    r.issue(&low, T0).unwrap();
    let out = r.snooze("high", Direction::High, 3_600_000, "pat", T0 + 1_000).unwrap();
    assert_eq!(out.code, RouterCode::Snoozed);
    assert_eq!(out.retractions.len(), 1);
    assert_eq!(out.retractions[0].alarm_id, "h1");
    // The low alarm still escalates on time; the high one is silent.
    let out = r.tick(T0 + 300_000).unwrap();
    assert_eq!(out.deliveries.iter().map(|d| d.alarm_id.as_str()).collect::<Vec<_>>(), vec!["l1", "l1"]);
    // A snooze of the same kind but the other direction mutes nothing of it either.
    r.snooze("high", Direction::Low, 60_000, "pat", T0 + 300_001).unwrap();
    // New signals of the snoozed scope open muted.
    let again = signal("h2", "high", Priority::Medium, Direction::High);
    assert_eq!(r.issue(&again, T0 + 400_000).unwrap().code, RouterCode::Snoozed);
    // At the end of the snooze both ring again from step 0, the patient's delivery a repeat for h1.
    let out = r.tick(T0 + 3_601_000).unwrap();
    let h: Vec<_> = out.deliveries.iter().filter(|d| d.kind == "high").map(|d| (d.alarm_id.as_str(), d.recipient_id.as_str(), d.step, d.repeat)).collect();
    assert_eq!(h, vec![("h1", "pat", 0, true), ("h2", "pat", 0, false)]);
    // Meanwhile the low alarm, at the top of its ladder, kept repeating to the caregivers.
    assert!(out.deliveries.iter().filter(|d| d.alarm_id == "l1").all(|d| d.step == 1 && d.repeat));
}

#[test]
fn urgent_low_is_never_muted_beyond_its_bound() {
    let mut r = Router::new(&setup(None)).unwrap();
    let err = r.snooze("urgent-low", Direction::Low, URGENT_LOW_SNOOZE_MS_MAX + 1, "pat", T0).unwrap_err();
    assert_eq!((err.code(), err.param()), (ErrorCode::LimitExceeded, "durationMs"));
    let err = r.snooze("low", Direction::Low, SNOOZE_MS_MAX + 1, "pat", T0).unwrap_err();
    assert_eq!(err.param(), "durationMs");
    // A high-priority low under a long snooze of another kind name: muted 15 min at most.
    let severe = signal("s1", "low", Priority::High, Direction::Low);
    r.snooze("low", Direction::Low, SNOOZE_MS_MAX, "pat", T0).unwrap();
    assert_eq!(r.issue(&severe, T0 + 1).unwrap().code, RouterCode::Snoozed);
    assert_eq!(r.open_alarms()[0].snoozed_until_ms, Some(T0 + 1 + URGENT_LOW_SNOOZE_MS_MAX));
    let out = r.tick(T0 + 1 + URGENT_LOW_SNOOZE_MS_MAX).unwrap();
    assert_eq!(to(&out), vec![("pat", 0, false)]);
}

#[test]
fn quiet_hours_defer_medium_never_high() {
    // 22:00–07:00 UTC.
    let quiet = QuietHours { start_minute: 22 * 60, end_minute: 7 * 60, utc_offset_minutes: 0 };
    let mut r = Router::new(&setup(Some(quiet))).unwrap();
    let day = T0 - T0 % 86_400_000;
    let night = day + 23 * 3_600_000; // 23:00
    let medium = signal("m1", "low-reservoir", Priority::Medium, Direction::None);
    let out = r.issue(&medium, night).unwrap();
    assert_eq!(out.code, RouterCode::Deferred);
    let end = day + 86_400_000 + 7 * 3_600_000;
    assert_eq!(out.audit.last().map(|e| e.detail.clone()), Some(Some(end.to_string())));
    let out = r.issue(&urgent_low("u1"), night).unwrap();
    assert_eq!((out.code, to(&out)), (RouterCode::Issued, vec![("pat", 0, false)]));
    receipts(&mut r, &out, night);
    let out = r.tick(end - 1).unwrap();
    assert!(out.deliveries.iter().all(|d| d.alarm_id == "u1"));
    let out = r.tick(end).unwrap();
    assert!(out.deliveries.iter().any(|d| d.alarm_id == "m1" && d.recipient_id == "pat" && d.step == 0));
}

#[test]
fn quiet_hours_at_an_offset_and_inside_one_day() {
    // 13:00–14:00 local at UTC+2 is 11:00–12:00 UTC.
    let quiet = QuietHours { start_minute: 13 * 60, end_minute: 14 * 60, utc_offset_minutes: 120 };
    let r = Router::new(&setup(Some(quiet))).unwrap();
    let day = T0 - T0 % 86_400_000;
    assert_eq!(r.quiet_end(day + 11 * 3_600_000), Some(day + 12 * 3_600_000));
    assert_eq!(r.quiet_end(day + 12 * 3_600_000), None);
    assert_eq!(r.quiet_end(day + 10 * 3_600_000 + 59 * 60_000), None);
}

#[test]
fn duplicates_and_time_going_backwards() {
    let mut r = Router::new(&setup(None)).unwrap();
    r.issue(&urgent_low("s1"), T0).unwrap();
    assert_eq!(r.issue(&urgent_low("s1"), T0 + 1).unwrap().code, RouterCode::Duplicate);
    let mut other = urgent_low("s1");
    other.reason = "changed".into();
    assert_eq!(r.issue(&other, T0 + 1).unwrap_err().param(), "signal.signalId");
    assert_eq!(r.tick(T0 - 1).unwrap_err().param(), "nowMs");
    let mut future = urgent_low("s2");
    future.at_ms = T0 + 10;
    assert_eq!(r.issue(&future, T0 + 5).unwrap_err().param(), "signal.atMs");
}

#[test]
fn bad_setup_and_signals_name_their_field() {
    let mut s = setup(None);
    s.policies[1].priority = Some(Priority::Low);
    assert_eq!(Router::new(&s).unwrap_err().param(), "setup.policies");
    let mut s = setup(None);
    s.policies[0].steps[2].ack_timeout_ms = 10;
    assert_eq!(Router::new(&s).unwrap_err().param(), "setup.policies[0].steps[2].ackTimeoutMs");
    let mut s = setup(None);
    s.recipients.retain(|r| r.role != Role::Doctor);
    assert_eq!(Router::new(&s).unwrap_err().param(), "setup.policies[0].steps[2].role");
    let mut s = setup(None);
    s.recipients[1].id = "pat".into();
    assert_eq!(Router::new(&s).unwrap_err().param(), "setup.recipients[1].id");
    let mut s = setup(None);
    s.receipt_timeout_ms = 0;
    assert_eq!(Router::new(&s).unwrap_err().param(), "setup.receiptTimeoutMs");
    let s = setup(Some(QuietHours { start_minute: 60, end_minute: 60, utc_offset_minutes: 0 }));
    assert_eq!(Router::new(&s).unwrap_err().param(), "setup.quietHours.endMinute");
    let mut r = Router::new(&setup(None)).unwrap();
    let mut bad = urgent_low("s|1");
    assert_eq!(r.issue(&bad, T0).unwrap_err().param(), "signal.signalId");
    bad = urgent_low("s1");
    bad.kind = "Urgent_Low".into();
    assert_eq!(r.issue(&bad, T0).unwrap_err().param(), "signal.kind");
    bad = urgent_low("s1");
    bad.evidence = "x".repeat(EVIDENCE_BYTES_MAX + 1);
    assert_eq!(r.issue(&bad, T0).unwrap_err().param(), "signal.evidence");
    assert!(r.open_alarms().is_empty());
}

#[test]
fn the_open_table_is_bounded() {
    let mut r = Router::new(&setup(None)).unwrap();
    for i in 0..OPEN_ALARMS_MAX {
        r.issue(&urgent_low(&format!("s{i}")), T0).unwrap();
    }
    let before = r.clone();
    let err = r.issue(&urgent_low("one-more"), T0).unwrap_err();
    assert_eq!((err.code(), err.param()), (ErrorCode::LimitExceeded, "signal"));
    assert_eq!(r, before);
}

#[test]
fn the_audit_log_chains_and_snapshots_round_trip() {
    let mut r = Router::new(&setup(None)).unwrap();
    let mut log = Vec::new();
    let out = r.issue(&urgent_low("s1"), T0).unwrap();
    log.extend(out.audit.clone());
    log.extend(r.tick(T0 + 60_000).unwrap().audit);
    log.extend(r.snooze("urgent-low", Direction::Low, 600_000, "mum", T0 + 61_000).unwrap().audit);
    let head = verify_audit(&log, None).unwrap();
    assert_eq!(head, r.audit_head());
    assert_eq!(log, r.audit());
    // Tampering with any field breaks the chain at that entry.
    let mut forged = log.clone();
    forged[2].recipient_id = Some("dad".into());
    assert_eq!(verify_audit(&forged, None).unwrap_err().param(), "entries[2].hash");
    // A later run verifies from the head before it.
    let tail = r.tick(T0 + 661_000).unwrap().audit;
    assert_eq!(verify_audit(&tail, Some(&head)).unwrap(), r.audit_head());

    let bytes = r.snapshot(&KEY).unwrap();
    let back = Router::restore(&bytes, &KEY).unwrap();
    assert_eq!(back, r);
    assert_eq!(back.snapshot(&KEY).unwrap(), bytes);
    let mut tampered = bytes.clone();
    let last = tampered.len() - 40;
    tampered[last] ^= 1;
    assert_eq!(Router::restore(&tampered, &KEY).unwrap_err().code(), ErrorCode::SnapshotInvalid);
}

#[test]
fn a_newer_delivery_replaces_an_older_pending_one() {
    let mut r = Router::new(&setup(None)).unwrap();
    let first = r.issue(&urgent_low("s1"), T0).unwrap().deliveries[0].delivery_id;
    // The patient never confirms; the snooze ends and re-arms: the new delivery replaces the old.
    r.snooze("urgent-low", Direction::Low, 10_000, "pat", T0 + 1).unwrap();
    let out = r.tick(T0 + 10_001).unwrap();
    assert_eq!(to(&out), vec![("pat", 0, true)]);
    assert_eq!(r.receipt(first, T0 + 10_002).unwrap().code, RouterCode::NotPending);
    assert_eq!(r.receipt(out.deliveries[0].delivery_id, T0 + 10_002).unwrap().code, RouterCode::Delivered);
}

#[test]
fn unsaved_audit_entries_until_the_host_stores_them() {
    let mut r = Router::new(&setup(None)).unwrap();
    r.issue(&urgent_low("s1"), T0).unwrap();
    let unsaved = r.audit_unsaved();
    assert_eq!(unsaved.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2]);
    r.mark_audit_saved(1).unwrap();
    assert_eq!(r.audit_unsaved().iter().map(|e| e.seq).collect::<Vec<_>>(), vec![2]);
    assert_eq!(r.mark_audit_saved(3).unwrap_err().param(), "throughSeq");
    let back = Router::restore(&r.snapshot(&KEY).unwrap(), &KEY).unwrap();
    assert_eq!(back.audit_unsaved(), r.audit_unsaved());
}

#[test]
fn pending_deliveries_are_the_deliveries_as_made_until_settled() {
    let mut r = Router::new(&setup(None)).unwrap();
    let first = r.issue(&urgent_low("s1"), T0).unwrap().deliveries;
    assert_eq!(r.pending_deliveries(), first);
    // The patient never confirms: at T0 + 60 s the tick fails it (unconfirmed) and the caregivers
    // are told; only their deliveries wait now.
    let mut up = r.tick(T0 + 60_000).unwrap().deliveries;
    assert_eq!(up.len(), 2);
    assert_eq!(r.pending_deliveries(), up);
    let restored = Router::restore(&r.snapshot(&KEY).unwrap(), &KEY).unwrap();
    assert_eq!(restored.pending_deliveries(), up);
    r.receipt(up[0].delivery_id, T0 + 60_001).unwrap();
    up.remove(0);
    assert_eq!(r.pending_deliveries(), up);
    r.acknowledge("s1", "dad", T0 + 60_002).unwrap();
    assert!(r.pending_deliveries().is_empty());
}

/// Every kind the controller's evaluation emits becomes an alarm the router takes as it is
/// (id and kind grammar, priority, direction, time), with the evidence written out and the
/// reason cut at a character boundary; and the mapping is what `issue` stores.
#[test]
fn the_evaluations_signals_are_alarms_as_they_are() {
    use super::super::evaluate::{Evidence, Signal, SignalKind as K};
    let kinds = [
        K::UrgentLow, K::Low, K::High, K::UrgentHigh, K::SustainedLow, K::FallingFast, K::RisingFast, K::StaleData,
        K::UrgentStaleData, K::Occlusion, K::NoDelivery, K::PumpError, K::LowReservoir, K::UrgentLowReservoir,
        K::LowBattery, K::UrgentLowBattery, K::MaxBolusExceeded, K::MaxDailyExceeded,
    ];
    let mut router = Router::new(&setup(None)).unwrap();
    for (n, kind) in kinds.into_iter().enumerate() {
        let start_seq = 100 + n as u32;
        let signal = Signal {
            signal_id: format!("{}:{start_seq}", kind.as_str()),
            kind,
            priority: if n % 3 == 0 { Priority::High } else if n % 3 == 1 { Priority::Medium } else { Priority::Low },
            direction: if n % 2 == 0 { Direction::Low } else { Direction::None },
            at_ms: T0 + n as u64,
            start_seq,
            // "a" then 2-byte characters: byte REASON_BYTES_MAX falls inside one, so the cut is a byte shorter.
            reason: format!("a{}", "é".repeat(REASON_BYTES_MAX)),
            evidence: vec![
                Evidence { seq: start_seq, at_ms: T0, measure: "glucoseMgdl".into(), value: 48 },
                Evidence { seq: start_seq + 1, at_ms: T0 + 300_000, measure: "slopeTenthsPerMin".into(), value: -31 },
            ],
            resolved: None,
        };
        let alarm = AlarmSignal::of(&signal);
        assert_eq!((alarm.signal_id.as_str(), alarm.kind.as_str()), (signal.signal_id.as_str(), kind.as_str()));
        assert_eq!((alarm.priority, alarm.direction, alarm.at_ms), (signal.priority, signal.direction, signal.at_ms));
        assert_eq!(alarm.evidence, format!("glucoseMgdl=48 (seq {start_seq}); slopeTenthsPerMin=-31 (seq {})", start_seq + 1));
        assert_eq!(alarm.reason.len(), REASON_BYTES_MAX - 1);
        assert!(signal.reason.starts_with(&alarm.reason));
        let out = router.issue(&alarm, T0 + 1_000).unwrap_or_else(|e| panic!("{}: {e:?}", kind.as_str()));
        assert!(matches!(out.code, RouterCode::Issued | RouterCode::Deferred), "{}", kind.as_str());
        assert!(router.open_alarms().iter().any(|a| a.signal == alarm));
    }
    // Evidence beyond EVIDENCE_BYTES_MAX is cut at a whole item.
    let many = Signal {
        signal_id: "low:1".into(),
        kind: K::Low,
        priority: Priority::Medium,
        direction: Direction::Low,
        at_ms: T0,
        start_seq: 1,
        reason: String::new(),
        evidence: (0..200).map(|i| Evidence { seq: i, at_ms: T0, measure: "glucoseMgdl".into(), value: 70 }).collect(),
        resolved: None,
    };
    let alarm = AlarmSignal::of(&many);
    assert!(alarm.evidence.len() <= EVIDENCE_BYTES_MAX && alarm.evidence.ends_with(')'));
}
