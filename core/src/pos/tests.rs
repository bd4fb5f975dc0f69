use super::*;
use crate::error::ErrorCode;

const KEY: [u8; 32] = [7; 32];

pub(crate) fn config() -> TerminalConfig {
    TerminalConfig {
        terminal_id: "hall-a-1".to_owned(),
        offline: OfflineLimits {
            currencies: vec![CurrencyLimits {
                currency: "EUR".to_owned(),
                payment_max: "50.00".to_owned(),
                total_max: "100.00".to_owned(),
                card_total_max: Some("60.00".to_owned()),
            }],
            count_max: 5,
            max_age_ms: 3_600_000,
            card_count_max: Some(3),
            floor_limits: vec![
                FloorLimit { card_type: "visa".to_owned(), currency: "EUR".to_owned(), amount: "40.00".to_owned() },
                FloorLimit { card_type: "amex".to_owned(), currency: "EUR".to_owned(), amount: "20.00".to_owned() },
            ],
        },
        network: NetworkConfig::default(),
        outbox: OutboxConfig::default(),
    }
}

fn card(n: u8) -> String {
    to_hex(&[n; 32])
}

pub(crate) fn payment(key: &str, amount: &str, card_n: u8, card_type: &str) -> PaymentRequest {
    PaymentRequest {
        idempotency_key: key.to_owned(),
        kind: EntryKind::Payment,
        amount: amount.to_owned(),
        currency: "EUR".to_owned(),
        card_hash: Some(card(card_n)),
        card_type: Some(card_type.to_owned()),
        payload: "c0ffee".to_owned(),
    }
}

#[test]
fn network_hysteresis_and_reasons() {
    let mut n = NetworkMonitor::new(NetworkConfig::default()).unwrap();
    let req = |at_ms, ok, latency_ms| Observation::Request { at_ms, ok, latency_ms };
    let t = n.observe(&req(1_000, true, 50)).unwrap().unwrap();
    assert_eq!((t.from, t.to, t.reason), (NetworkState::Unknown, NetworkState::Online, network::NetworkReason::Answered));
    let t = n.observe(&req(2_000, false, 0)).unwrap().unwrap();
    assert_eq!((t.to, t.reason), (NetworkState::Degraded, network::NetworkReason::Failure));
    assert_eq!(n.observe(&req(3_000, false, 0)).unwrap(), None);
    let t = n.observe(&req(4_000, false, 0)).unwrap().unwrap();
    assert_eq!((t.to, t.reason), (NetworkState::Offline, network::NetworkReason::Failures));
    // Two good answers, but before recoverHoldMs (10 s) in the state: still offline.
    assert_eq!(n.observe(&req(5_000, true, 10)).unwrap(), None);
    assert_eq!(n.observe(&req(6_000, true, 10)).unwrap(), None);
    let t = n.observe(&req(14_000, true, 10)).unwrap().unwrap();
    assert_eq!((t.to, t.reason, t.at_ms), (NetworkState::Online, network::NetworkReason::Recovered, 14_000));
    // Slow answers: three in a row degrade.
    assert_eq!(n.observe(&req(15_000, true, 2_500)).unwrap(), None);
    assert_eq!(n.observe(&req(16_000, true, 2_500)).unwrap(), None);
    assert_eq!(n.observe(&req(17_000, true, 2_500)).unwrap().unwrap().reason, network::NetworkReason::Slow);
    assert_eq!(n.observe(&Observation::OsOffline { at_ms: 18_000 }).unwrap().unwrap().reason, network::NetworkReason::OsOffline);
    assert_eq!(n.observe(&Observation::OsOnline { at_ms: 19_000 }).unwrap().unwrap().to, NetworkState::Unknown);
    assert_eq!(n.observe(&Observation::CaptivePortal { at_ms: 20_000, detected: false }).unwrap(), None);
    assert_eq!(n.observe(&Observation::CaptivePortal { at_ms: 20_000, detected: true }).unwrap().unwrap().reason, network::NetworkReason::CaptivePortal);
    // An old observation counts at the latest time.
    let t = n.observe(&Observation::Probe { at_ms: 1, ok: true, latency_ms: 3_000 }).unwrap().unwrap();
    assert_eq!((t.to, t.reason, t.at_ms), (NetworkState::Degraded, network::NetworkReason::ReachableSlow, 20_000));
    let err = n.observe(&Observation::OsOnline { at_ms: TIME_MS_MAX + 1 }).unwrap_err();
    assert_eq!((err.code(), err.param()), (ErrorCode::InvalidArgument, "observation.atMs"));
}

#[test]
fn routing_table() {
    use NetworkState as S;
    assert_eq!(route(Mode::RequireOnline, S::Offline), PosCode::RefusedOffline);
    assert_eq!(route(Mode::RequireOnline, S::Degraded), PosCode::Online);
    assert_eq!(route(Mode::PreferOnline, S::Degraded), PosCode::OnlineOrStore);
    assert_eq!(route(Mode::PreferOnline, S::Offline), PosCode::StoreOffline);
    assert_eq!(route(Mode::Auto, S::Degraded), PosCode::StoreDegraded);
    assert_eq!(route(Mode::Auto, S::Unknown), PosCode::OnlineOrStore);
    assert_eq!(route(Mode::ForceOffline, S::Online), PosCode::StoreForced);
}

#[test]
fn offline_limits_in_check_order_and_a_refusal_changes_nothing() {
    let mut t = Terminal::new(&config()).unwrap();
    assert_eq!(t.store(&payment("k1", "30.00", 1, "visa"), 1_000).unwrap().code, PosCode::Stored);
    let before = t.snapshot(&KEY).unwrap();
    let mut usd = payment("k2", "1.00", 1, "visa");
    usd.currency = "USD".to_owned();
    assert_eq!(t.store(&usd, 1_000).unwrap().code, PosCode::CurrencyNotOffline);
    assert_eq!(t.store(&payment("k2", "1.00", 1, "diners"), 1_000).unwrap().code, PosCode::CardTypeNotOffline);
    assert_eq!(t.store(&payment("k2", "20.01", 2, "amex"), 1_000).unwrap().code, PosCode::FloorLimitExceeded);
    assert_eq!(t.store(&payment("k2", "40.01", 2, "visa"), 1_000).unwrap().code, PosCode::FloorLimitExceeded);
    assert_eq!(t.store(&payment("k2", "30.01", 1, "visa"), 1_000).unwrap().code, PosCode::CardTotalLimitReached);
    assert_eq!(t.snapshot(&KEY).unwrap(), before, "a refusal changes nothing");
    assert_eq!(t.store(&payment("k2", "30.00", 1, "visa"), 1_000).unwrap().code, PosCode::Stored);
    assert_eq!(t.store(&payment("k3", "40.00", 2, "visa"), 1_000).unwrap().code, PosCode::Stored);
    // 100.00 stored: one cent more passes the total.
    assert_eq!(t.store(&payment("k4", "0.01", 3, "visa"), 1_000).unwrap().code, PosCode::TotalLimitReached);
    // The same key and request again: ALREADY_STORED; another request: IDEMPOTENCY_CONFLICT.
    assert_eq!(t.store(&payment("k3", "40.00", 2, "visa"), 2_000).unwrap().code, PosCode::AlreadyStored);
    let err = t.store(&payment("k3", "40.01", 2, "visa"), 2_000).unwrap_err();
    assert_eq!((err.code(), err.param()), (ErrorCode::IdempotencyConflict, "request.idempotencyKey"));
    // Too old: the oldest waits longer than maxAgeMs.
    assert_eq!(t.store(&payment("k5", "0.01", 3, "visa"), 1_000 + 3_600_001).unwrap().code, PosCode::QueueTooOld);
    t.invariants().unwrap();
}

#[test]
fn count_and_payment_limits() {
    let mut c = config();
    c.offline.floor_limits.clear();
    c.offline.card_count_max = None;
    c.offline.currencies[0].card_total_max = None;
    let mut t = Terminal::new(&c).unwrap();
    assert_eq!(t.store(&payment("big", "50.01", 1, "x"), 0).unwrap().code, PosCode::PaymentLimitExceeded);
    for i in 0..5 {
        assert_eq!(t.store(&payment(&format!("p{i}"), "1.00", i, "x"), 0).unwrap().code, PosCode::Stored);
    }
    assert_eq!(t.store(&payment("p5", "1.00", 9, "x"), 0).unwrap().code, PosCode::CountLimitReached);
    // Forwarding one gives its count back.
    assert_eq!(t.begin_forward(10, false).unwrap().code, PosCode::Forward);
    let done = t.forward_result("p0", &ForwardResult::Approved { code: "A1".to_owned() }, 20, 0).unwrap();
    assert_eq!(done.code, PosCode::ForwardedApproved);
    assert_eq!(t.store(&payment("p5", "1.00", 9, "x"), 30).unwrap().code, PosCode::Stored);
    t.invariants().unwrap();
}

#[test]
fn per_card_count() {
    let mut t = Terminal::new(&config()).unwrap();
    for i in 0..3 {
        assert_eq!(t.store(&payment(&format!("c{i}"), "1.00", 4, "visa"), 0).unwrap().code, PosCode::Stored);
    }
    assert_eq!(t.store(&payment("c3", "1.00", 4, "visa"), 0).unwrap().code, PosCode::CardCountLimitReached);
    assert_eq!(t.store(&payment("c3", "1.00", 5, "visa"), 0).unwrap().code, PosCode::Stored);
}

#[test]
fn bad_input_names_its_parameter() {
    assert_eq!(Terminal::new(&TerminalConfig { terminal_id: String::new(), ..config() }).unwrap_err().param(), "config.terminalId");
    let mut c = config();
    c.outbox.nearing_ms = c.outbox.deadline_ms;
    assert_eq!(Terminal::new(&c).unwrap_err().param(), "config.outbox.nearingMs");
    let mut t = Terminal::new(&config()).unwrap();
    let mut p = payment("k", "1.00", 1, "visa");
    p.amount = "1.001".to_owned();
    assert_eq!(t.store(&p, 0).unwrap_err().param(), "request.amount");
    let mut p = payment("k", "1.00", 1, "visa");
    p.card_hash = Some("AB".repeat(32));
    assert_eq!(t.store(&p, 0).unwrap_err().param(), "request.cardHash");
    let mut p = payment("k", "1.00", 1, "visa");
    p.payload = "00".repeat(PAYLOAD_BYTES_MAX + 1);
    assert_eq!(t.store(&p, 0).unwrap_err().param(), "request.payload");
    let mut p = payment("k y", "1.00", 1, "visa");
    assert_eq!(t.store(&p, 0).unwrap_err().param(), "request.idempotencyKey");
    p.idempotency_key = "k".to_owned();
    p.card_type = None;
    assert_eq!(t.store(&p, 0).unwrap_err().param(), "request.cardType");
    assert!(t.entries().is_empty());
}

#[test]
fn forwarding_in_order_with_backoff_crash_resend_and_deadline() {
    let mut t = Terminal::new(&config()).unwrap();
    assert_eq!(t.begin_forward(0, false).unwrap().code, PosCode::NothingToForward);
    t.store(&payment("a", "1.00", 1, "visa"), 1_000).unwrap();
    t.store(&payment("b", "2.00", 2, "visa"), 1_000).unwrap();
    let step = t.begin_forward(1_000, false).unwrap();
    assert_eq!((step.code, step.entry.as_ref().unwrap().idempotency_key.as_str()), (PosCode::Forward, "a"));
    // A crash while "a" is out: the restored terminal sends "a" again (same key), never "b" first.
    let mut t = Terminal::restore(&t.snapshot(&KEY).unwrap(), &KEY).unwrap();
    let step = t.begin_forward(1_500, false).unwrap();
    let e = step.entry.unwrap();
    assert_eq!((e.idempotency_key.as_str(), e.attempts), ("a", 2));
    // Retry with jitter 0: half of min(300 s, 1 s · 2^(2−1)) = 1 s.
    let r = t.forward_result("a", &ForwardResult::Retry { code: "TIMEOUT".to_owned() }, 2_000, 0).unwrap();
    assert_eq!((r.code, r.retry_at_ms), (PosCode::RetryScheduled, Some(3_000)));
    assert_eq!(t.begin_forward(2_500, false).unwrap().code, PosCode::NotDue);
    assert_eq!(t.begin_forward(2_500, true).unwrap().code, PosCode::Forward, "flush forwards now");
    assert_eq!(t.forward_result("a", &ForwardResult::Declined { code: "51".to_owned() }, 2_600, 0).unwrap().code, PosCode::ForwardedDeclined);
    assert_eq!(t.forward_result("a", &ForwardResult::Approved { code: "X".to_owned() }, 2_700, 0).unwrap().code, PosCode::NotForwarding);
    // Jitter u32::MAX: just under the whole delay.
    assert_eq!(t.backoff_ms(3, u32::MAX), 3_999);
    assert_eq!(t.backoff_ms(40, 0), 150_000);
    // Nearing and passing the deadline.
    let events = t.tick(1_000 + 86_400_000 - 3_600_000).unwrap().events;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, outbox::OutboxEventKind::NearingDeadline);
    assert!(t.tick(1_000 + 86_400_000 - 3_600_000).unwrap().events.is_empty(), "raised once");
    assert_eq!(t.check_drop(), PosCode::OutboxNotEmpty);
    let events = t.tick(1_000 + 86_400_000).unwrap().events;
    assert_eq!((events.len(), events[0].kind), (1, outbox::OutboxEventKind::Failed));
    assert_eq!(events[0].entry.result_code.as_deref(), Some("DEADLINE_PASSED"));
    assert_eq!(t.check_drop(), PosCode::DropAllowed);
    let totals = &t.totals()[0];
    assert_eq!((totals.declined_count, totals.failed_count, totals.pending_count), (1, 1, 0));
    assert!(t.verify_chain());
    t.invariants().unwrap();
}

#[test]
fn chain_detects_a_changed_entry_and_restore_refuses_it() {
    let mut t = Terminal::new(&config()).unwrap();
    t.store(&payment("a", "1.00", 1, "visa"), 0).unwrap();
    t.store(&payment("b", "2.00", 2, "visa"), 0).unwrap();
    assert!(t.verify_chain());
    let mut forged = t.clone();
    forged.entries[0].amount = "9.00".to_owned();
    assert!(!forged.verify_chain());
    let err = Terminal::restore(&forged.snapshot(&KEY).unwrap(), &KEY).unwrap_err();
    assert_eq!(err.code(), ErrorCode::SnapshotInvalid);
}

#[test]
fn pruning_keeps_the_record_and_the_chain() {
    let mut c = config();
    c.offline.floor_limits.clear();
    c.offline.count_max = 1_000;
    c.offline.card_count_max = None;
    c.offline.currencies[0].total_max = "100000.00".to_owned();
    c.offline.currencies[0].card_total_max = None;
    let mut t = Terminal::new(&c).unwrap();
    let n = OUTBOX_FINISHED_MAX + 10;
    for i in 0..n {
        let key = format!("k{i}");
        assert_eq!(t.store(&payment(&key, "1.00", 1, "visa"), i as u64).unwrap().code, PosCode::Stored);
        assert_eq!(t.begin_forward(i as u64, false).unwrap().code, PosCode::Forward);
        t.forward_result(&key, &ForwardResult::Approved { code: "A".to_owned() }, i as u64, 0).unwrap();
    }
    assert_eq!(t.entries().len(), OUTBOX_FINISHED_MAX);
    assert_eq!(t.entries()[0].seq, 11);
    let totals = &t.totals()[0];
    assert_eq!((totals.approved_count, totals.approved_amount.as_str()), (n as u64, "266.00"));
    assert!(t.verify_chain());
    let back = Terminal::restore(&t.snapshot(&KEY).unwrap(), &KEY).unwrap();
    assert_eq!(back.export_queue(), t.export_queue());
}

#[test]
fn snapshot_round_trip_and_version_1_migration() {
    let mut t = Terminal::new(&config()).unwrap();
    t.store(&payment("a", "1.00", 1, "visa"), 5).unwrap();
    t.tick(5 + 86_400_000 - 3_600_000).unwrap();
    let bytes = t.snapshot(&KEY).unwrap();
    let back = Terminal::restore(&bytes, &KEY).unwrap();
    assert_eq!(back.snapshot(&KEY).unwrap(), bytes);
    let v1 = t.snapshot_v1(&KEY).unwrap();
    let migrated = Terminal::restore(&v1, &KEY).unwrap();
    assert!(!migrated.entries()[0].nearing_notified, "version 1 had no flag: raised again");
    assert_eq!(migrated.entries()[0].hash, t.entries()[0].hash);
    assert_ne!(migrated.snapshot(&KEY).unwrap(), v1, "written back as version 2");
    let err = Terminal::restore(&bytes, &[8; 32]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::SnapshotInvalid);
    let err = Terminal::restore(&bytes, &[8; 31]).unwrap_err();
    assert_eq!((err.code(), err.param()), (ErrorCode::KeyInvalid, "snapshotKey"));
    let mut token = payment("tok", "1.00", 1, "visa");
    token.kind = EntryKind::Token;
    token.card_type = None;
    let mut t = Terminal::new(&config()).unwrap();
    assert_eq!(t.store(&token, 10).unwrap().code, PosCode::Stored);
    assert_eq!(t.snapshot_v1(&KEY).unwrap_err().code(), ErrorCode::InvalidArgument);
}

#[test]
fn every_code_has_a_description() {
    for code in PosCode::ALL {
        assert!(!code.description().is_empty());
        assert_eq!(PosCode::from_name(code.as_str()), Some(*code));
    }
}
