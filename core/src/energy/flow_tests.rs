//! Tests of the whole flow between the terminal and the e-money server: each asserts amounts
//! worked out by hand in its comment, so a wrong rule fails it.

use super::*;
use crate::card::PublicKey;
use crate::crypto::ed25519;
use crate::envelope::Alg;
use crate::ledger::HoldState;

const SERVER_SECRET: [u8; 32] = [7; 32];
const TERMINAL_SECRET: [u8; 32] = [9; 32];
const SNAPSHOT_KEY: [u8; 32] = [3; 32];
const T0: i64 = 1_767_225_600;

fn server_signer() -> Signer<'static> {
    Signer {
        alg: Alg::EdDSA,
        key_id: "server",
        secret_key: &SERVER_SECRET,
    }
}

fn terminal_signer() -> Signer<'static> {
    Signer {
        alg: Alg::EdDSA,
        key_id: "pump-1",
        secret_key: &TERMINAL_SECRET,
    }
}

fn public(secret: &[u8; 32], key_id: &str) -> PublicKey {
    PublicKey {
        key_id: key_id.to_owned(),
        alg: Alg::EdDSA,
        public_key: ed25519::public_key(secret).unwrap().to_vec(),
    }
}

fn tariff(price: &str) -> Tariff {
    Tariff {
        currency: "EUR".to_owned(),
        unit: Unit::Litre,
        resolution: None,
        unit_price: price.to_owned(),
        cost_rounding: "half-even".to_owned(),
        tax: None,
    }
}

fn order(id: &str, maximum: &str, policy: BelowMaximum) -> Order {
    Order {
        order_id: id.to_owned(),
        wallet_id: "alice".to_owned(),
        station_id: "station-1".to_owned(),
        maximum: maximum.to_owned(),
        below_maximum: policy,
        minimum: None,
        step: None,
        tariff: tariff("1.859"),
    }
}

struct World {
    server: EnergyServer,
    terminal: EnergyTerminal,
}

fn world(balance: &str, late: LateCompletion) -> World {
    let mut server = EnergyServer::new(
        ServerConfig {
            currency: "EUR".to_owned(),
            hold_duration_s: 900,
            late_completion: late,
            clock_skew_s: 0,
        },
        T0,
    )
    .unwrap();
    server
        .add_terminal(
            TerminalKey {
                station_id: "station-1".to_owned(),
                key: public(&TERMINAL_SECRET, "pump-1"),
            },
            T0,
        )
        .unwrap();
    server.open_wallet("alice", T0).unwrap();
    if balance != "0" {
        assert!(server.top_up("alice", balance, T0).unwrap().is_success());
    }
    let terminal = EnergyTerminal::new(TerminalConfig {
        station_id: "station-1".to_owned(),
        server_key: public(&SERVER_SECRET, "server"),
        clock_skew_s: 0,
    })
    .unwrap();
    World { server, terminal }
}

impl World {
    /// Orders, sends, and applies the answer; returns the server's reply.
    fn order(&mut self, order: Order, now: i64) -> ServerReply {
        let id = order.order_id.clone();
        let sent = self.terminal.order(order, now, &terminal_signer()).unwrap();
        assert_eq!(sent.code, EnergyCode::OrderSent);
        let reply = self
            .server
            .authorise(&sent.envelope.unwrap(), now, &server_signer())
            .unwrap();
        let applied = self
            .terminal
            .accept_authorisation(reply.envelope.as_ref().unwrap(), now)
            .unwrap();
        assert!(applied.accepted, "{applied:?}");
        assert_eq!(applied.code, reply.code);
        assert_eq!(
            self.terminal.session(&id).unwrap().unwrap().code,
            reply.code
        );
        reply
    }

    fn limit(&self, id: &str) -> String {
        self.terminal.session(id).unwrap().unwrap().max_quantity
    }

    fn meter(&mut self, id: &str, quantity: &str, at: i64) -> EnergyCode {
        self.terminal.meter(id, quantity, at).unwrap().code
    }

    fn complete(&mut self, id: &str, now: i64) -> (ServerReply, Receipt) {
        let sent = self.terminal.complete(id, now, &terminal_signer()).unwrap();
        assert_eq!(sent.code, EnergyCode::RequestSent);
        let reply = self
            .server
            .complete(&sent.envelope.unwrap(), now, &server_signer())
            .unwrap();
        let applied = self
            .terminal
            .accept_receipt(reply.envelope.as_ref().unwrap(), now)
            .unwrap();
        assert!(applied.accepted, "{applied:?}");
        let receipt = applied.session.unwrap().receipt.unwrap();
        (reply, receipt)
    }

    fn balance(&self, wallet: &str) -> String {
        self.server.wallet(wallet).unwrap().balance
    }

    fn available(&self, wallet: &str) -> String {
        self.server.wallet(wallet).unwrap().available.unwrap()
    }

    fn station(&self) -> String {
        self.server.station("station-1").unwrap().balance
    }
}

#[test]
fn full_session_holds_the_maximum_captures_the_cost_and_releases_the_rest() {
    let mut w = world("100.00", LateCompletion::Reject);
    let reply = w.order(order("o-1", "50.00", BelowMaximum::Decline), T0);
    assert_eq!(reply.code, EnergyCode::Held);
    assert_eq!(w.available("alice"), "50.00");
    // 50 / 1.859 = 26.896…: 26.89 L costs 49.98851 → 49.99 ≤ 50; 26.90 L costs 50.01.
    assert_eq!(w.limit("o-1"), "26.89");
    assert_eq!(
        w.meter("o-1", "10.00", T0 + 10),
        EnergyCode::ReadingAccepted
    );
    assert_eq!(
        w.meter("o-1", "20.00", T0 + 20),
        EnergyCode::ReadingAccepted
    );
    let (reply, receipt) = w.complete("o-1", T0 + 30);
    // 20 × 1.859 = 37.18.
    assert_eq!(reply.code, EnergyCode::Completed);
    assert_eq!(receipt.cost.total, "37.18");
    assert_eq!(receipt.captured, "37.18");
    assert_eq!(receipt.released, "12.82");
    assert_eq!(receipt.held, "50.00");
    assert_eq!(receipt.uncollected, "0.00");
    assert_eq!(receipt.readings.len(), 2);
    assert_eq!(w.balance("alice"), "62.82");
    assert_eq!(w.available("alice"), "62.82");
    assert_eq!(w.station(), "37.18");
    let hold = w.server.ledger().hold_view("o-1").unwrap();
    assert_eq!(hold.state, HoldState::Posted);
    assert_eq!(
        w.terminal.session("o-1").unwrap().unwrap().state,
        TerminalState::Closed
    );
    w.server.ledger().check_invariants().unwrap();
}

#[test]
fn the_same_message_twice_gets_the_same_answer_and_is_applied_once() {
    let mut w = world("100.00", LateCompletion::Reject);
    let sent = w
        .terminal
        .order(
            order("o-1", "50.00", BelowMaximum::Decline),
            T0,
            &terminal_signer(),
        )
        .unwrap();
    let envelope = sent.envelope.unwrap();
    let first = w.server.authorise(&envelope, T0, &server_signer()).unwrap();
    let again = w
        .server
        .authorise(&envelope, T0 + 5, &server_signer())
        .unwrap();
    assert!(!first.repeated && again.repeated);
    assert_eq!(first.envelope, again.envelope, "byte-identical answer");
    assert_eq!(w.available("alice"), "50.00", "held once");
    // The terminal accepts the answer once; the copy is a replay.
    let answer = first.envelope.unwrap();
    assert!(
        w.terminal
            .accept_authorisation(&answer, T0)
            .unwrap()
            .accepted
    );
    let replay = w.terminal.accept_authorisation(&answer, T0).unwrap();
    assert_eq!(replay.code, EnergyCode::Replayed);
    // The same completion twice: one capture.
    w.meter("o-1", "5.00", T0 + 1);
    let sent = w
        .terminal
        .complete("o-1", T0 + 2, &terminal_signer())
        .unwrap();
    let envelope = sent.envelope.unwrap();
    let first = w
        .server
        .complete(&envelope, T0 + 2, &server_signer())
        .unwrap();
    let again = w
        .server
        .complete(&envelope, T0 + 3, &server_signer())
        .unwrap();
    assert_eq!(first.envelope, again.envelope);
    assert!(again.repeated);
    // 5 × 1.859 = 9.295 → half-even 9.30 (the 5 is followed by nothing: tie → even 0).
    assert_eq!(w.balance("alice"), "90.70");
}

#[test]
fn below_maximum_policies() {
    // decline
    let mut w = world("30.00", LateCompletion::Reject);
    let reply = w.order(order("o-1", "50.00", BelowMaximum::Decline), T0);
    assert_eq!(reply.code, EnergyCode::BalanceBelowMaximum);
    assert_eq!(w.available("alice"), "30.00");
    assert_eq!(w.limit("o-1"), "0.00");
    assert_eq!(w.meter("o-1", "1.00", T0 + 1), EnergyCode::NotAuthorised);
    // hold-available: the whole 30.00; 16.14 L costs 30.00426 → 30.00 (fits), 16.15 L 30.02.
    let reply = w.order(order("o-2", "50.00", BelowMaximum::HoldAvailable), T0);
    assert_eq!(reply.code, EnergyCode::HeldAvailable);
    assert_eq!(w.available("alice"), "0.00");
    assert_eq!(w.limit("o-2"), "16.14");
    // lower-maximum with a 5.00 step: 32.47 → 30.00.
    let mut w = world("32.47", LateCompletion::Reject);
    let mut lowered = order("o-3", "50.00", BelowMaximum::LowerMaximum);
    lowered.step = Some("5.00".to_owned());
    assert_eq!(w.order(lowered, T0).code, EnergyCode::MaximumLowered);
    assert_eq!(w.available("alice"), "2.47");
    // a minimum worth holding: 2.47 available, minimum 10.00.
    let mut small = order("o-4", "50.00", BelowMaximum::HoldAvailable);
    small.minimum = Some("10.00".to_owned());
    assert_eq!(w.order(small, T0).code, EnergyCode::BelowMinimum);
    assert_eq!(w.available("alice"), "2.47");
    // an unknown wallet
    let mut stranger = order("o-5", "10.00", BelowMaximum::Decline);
    stranger.wallet_id = "bob".to_owned();
    assert_eq!(w.order(stranger, T0).code, EnergyCode::UnknownWallet);
}

#[test]
fn tariff_change_asks_for_the_increment_that_keeps_the_limit() {
    let mut w = world("100.00", LateCompletion::Reject);
    w.order(order("o-1", "50.00", BelowMaximum::Decline), T0);
    assert_eq!(w.limit("o-1"), "26.89");
    w.meter("o-1", "10.00", T0 + 10);
    let sent = w
        .terminal
        .change_tariff("o-1", tariff("2.000"), T0 + 11, &terminal_signer())
        .unwrap();
    // Paused while waiting: no reading accepted.
    assert_eq!(w.meter("o-1", "11.00", T0 + 12), EnergyCode::NotAuthorised);
    // so far 10 × 1.859 = 18.59; the rest 16.89 × 2 = 33.78; 18.59 + 33.78 − 50 = 2.37.
    let reply = w
        .server
        .change_tariff(&sent.envelope.unwrap(), T0 + 11, &server_signer())
        .unwrap();
    assert_eq!(reply.code, EnergyCode::TariffChanged);
    let applied = w
        .terminal
        .accept_authorisation(&reply.envelope.unwrap(), T0 + 11)
        .unwrap();
    let session = applied.session.unwrap();
    assert_eq!(session.held, "52.37");
    assert_eq!(session.increments, vec!["2.37".to_owned()]);
    assert_eq!(session.max_quantity, "26.89");
    assert_eq!(w.meter("o-1", "26.89", T0 + 20), EnergyCode::LimitReached);
    let (_, receipt) = w.complete("o-1", T0 + 21);
    assert_eq!(receipt.segments.len(), 2);
    assert_eq!(receipt.segments[1].quantity, "16.89");
    assert_eq!(receipt.cost.total, "52.37");
    assert_eq!(receipt.captured, "52.37");
    assert_eq!(receipt.released, "0.00");
    assert_eq!(w.balance("alice"), "47.63");
}

#[test]
fn a_declined_increment_keeps_the_tariff_and_shrinks_the_limit() {
    let mut w = world("50.00", LateCompletion::Reject);
    w.order(order("o-1", "50.00", BelowMaximum::Decline), T0);
    w.meter("o-1", "10.00", T0 + 10);
    let sent = w
        .terminal
        .change_tariff("o-1", tariff("2.000"), T0 + 11, &terminal_signer())
        .unwrap();
    let reply = w
        .server
        .change_tariff(&sent.envelope.unwrap(), T0 + 11, &server_signer())
        .unwrap();
    assert_eq!(reply.code, EnergyCode::IncrementDeclined);
    let applied = w
        .terminal
        .accept_authorisation(&reply.envelope.unwrap(), T0 + 11)
        .unwrap();
    // (50 − 18.59) / 2 = 15.705 → 15.70 more: 25.70 in all.
    assert_eq!(applied.session.unwrap().max_quantity, "25.70");
    assert_eq!(
        w.meter("o-1", "25.71", T0 + 12),
        EnergyCode::ReadingAboveLimit
    );
}

#[test]
fn extend_then_expiry_then_late_completion_under_each_policy() {
    for (late, code, balance) in [
        (
            LateCompletion::Reject,
            EnergyCode::LateCompletionRejected,
            "100.00",
        ),
        (
            LateCompletion::ChargeIfFunds,
            EnergyCode::LateCharged,
            "81.41",
        ),
    ] {
        let mut w = world("100.00", late);
        w.order(order("o-1", "50.00", BelowMaximum::Decline), T0);
        let sent = w
            .terminal
            .extend("o-1", T0 + 1_800, T0 + 100, &terminal_signer())
            .unwrap();
        let reply = w
            .server
            .extend(&sent.envelope.unwrap(), T0 + 100, &server_signer())
            .unwrap();
        assert_eq!(reply.code, EnergyCode::Extended);
        w.terminal
            .accept_authorisation(&reply.envelope.unwrap(), T0 + 100)
            .unwrap();
        w.meter("o-1", "10.00", T0 + 200);
        // Still held at the old deadline (T0 + 900), expired at the new one.
        assert!(w.server.expire_due(T0 + 1_000).unwrap().is_empty());
        assert_eq!(
            w.server.expire_due(T0 + 1_800).unwrap(),
            vec!["o-1".to_owned()]
        );
        assert_eq!(w.available("alice"), "100.00");
        assert_eq!(w.meter("o-1", "11.00", T0 + 1_801), EnergyCode::HoldExpired);
        let (reply, receipt) = w.complete("o-1", T0 + 1_900);
        // 10 × 1.859 = 18.59, charged as a transfer under charge-if-funds.
        assert_eq!(reply.code, code);
        assert!(receipt.late);
        assert_eq!(receipt.cost.total, "18.59");
        assert_eq!(receipt.released, "50.00");
        assert_eq!(w.balance("alice"), balance);
    }
}

#[test]
fn late_charge_is_declined_without_funds() {
    let mut w = world("50.00", LateCompletion::ChargeIfFunds);
    w.order(order("o-1", "50.00", BelowMaximum::Decline), T0);
    w.meter("o-1", "10.00", T0 + 10);
    w.server.expire_due(T0 + 900).unwrap();
    // The released 50.00 is spent elsewhere before the completion arrives.
    w.order(order("o-2", "50.00", BelowMaximum::Decline), T0 + 901);
    let (reply, receipt) = w.complete("o-1", T0 + 902);
    assert_eq!(reply.code, EnergyCode::LateChargeDeclined);
    assert_eq!(receipt.captured, "0.00");
    assert_eq!(receipt.uncollected, "18.59");
}

#[test]
fn refusals_change_nothing() {
    let mut w = world("100.00", LateCompletion::Reject);
    let sent = w
        .terminal
        .order(
            order("o-1", "50.00", BelowMaximum::Decline),
            T0,
            &terminal_signer(),
        )
        .unwrap();
    let mut tampered = sent.envelope.clone().unwrap();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let reply = w.server.authorise(&tampered, T0, &server_signer()).unwrap();
    assert_eq!(reply.code, EnergyCode::BadSignature);
    assert!(reply.envelope.is_none());
    assert!(w.server.session("o-1").is_none());
    // A bad server key is an error before anything changes.
    let bad = Signer {
        secret_key: &[0u8; 5],
        ..server_signer()
    };
    let envelope = sent.envelope.unwrap();
    assert!(w.server.authorise(&envelope, T0, &bad).is_err());
    assert!(w.server.session("o-1").is_none());
    assert_eq!(w.available("alice"), "100.00");
    // Another order with the same id.
    let reply = w.server.authorise(&envelope, T0, &server_signer()).unwrap();
    w.terminal
        .accept_authorisation(reply.envelope.as_ref().unwrap(), T0)
        .unwrap();
    let mut other = World {
        server: w.server.clone(),
        terminal: w.terminal.clone(),
    };
    other.terminal.sessions = Default::default();
    let sent = other
        .terminal
        .order(
            order("o-1", "10.00", BelowMaximum::Decline),
            T0,
            &terminal_signer(),
        )
        .unwrap();
    let reply = other
        .server
        .authorise(&sent.envelope.unwrap(), T0, &server_signer())
        .unwrap();
    assert_eq!(reply.code, EnergyCode::OrderIdConflict);
    // Meter readings: monotonic, at the resolution, within the limit.
    assert_eq!(w.meter("o-1", "5.00", T0 + 5), EnergyCode::ReadingAccepted);
    assert_eq!(
        w.meter("o-1", "4.00", T0 + 6),
        EnergyCode::ReadingNotMonotonic
    );
    assert_eq!(
        w.meter("o-1", "6.00", T0 + 4),
        EnergyCode::ReadingNotMonotonic
    );
    assert_eq!(
        w.meter("o-1", "6.001", T0 + 7),
        EnergyCode::ReadingMalformed
    );
    assert_eq!(
        w.meter("o-1", "26.90", T0 + 7),
        EnergyCode::ReadingAboveLimit
    );
    // An extension to an earlier deadline: refused without a signed answer.
    let sent = w
        .terminal
        .extend("o-1", T0 + 100, T0 + 8, &terminal_signer())
        .unwrap();
    let reply = w
        .server
        .extend(&sent.envelope.unwrap(), T0 + 8, &server_signer())
        .unwrap();
    assert_eq!(reply.code, EnergyCode::DeadlineInvalid);
    assert!(reply.envelope.is_none());
    let abandoned = w.terminal.abandon_request("o-1", reply.code).unwrap();
    assert_eq!(abandoned.session.unwrap().state, TerminalState::Authorised);
    // An answer to another request is refused by the terminal.
    let sent = w
        .terminal
        .extend("o-1", T0 + 1_000, T0 + 9, &terminal_signer())
        .unwrap();
    let other_answer = w
        .server
        .extend(&sent.envelope.unwrap(), T0 + 9, &server_signer())
        .unwrap();
    assert_eq!(other_answer.code, EnergyCode::Extended);
    let stale = w.server.session("o-1").unwrap();
    assert_eq!(stale.hold.unwrap().expires_at, T0 + 1_000);
}

#[test]
fn snapshots_restore_both_roles_exactly() {
    let mut w = world("100.00", LateCompletion::Reject);
    w.order(order("o-1", "50.00", BelowMaximum::Decline), T0);
    w.meter("o-1", "3.00", T0 + 3);
    let bytes = w.server.snapshot(&SNAPSHOT_KEY).unwrap();
    let restored = EnergyServer::restore(&bytes, &SNAPSHOT_KEY).unwrap();
    assert_eq!(restored.session("o-1"), w.server.session("o-1"));
    assert_eq!(restored.snapshot(&SNAPSHOT_KEY).unwrap(), bytes);
    let bytes = w.terminal.snapshot(&SNAPSHOT_KEY).unwrap();
    let terminal = EnergyTerminal::restore(&bytes, &SNAPSHOT_KEY).unwrap();
    assert_eq!(terminal, w.terminal);
    let mut tampered = bytes.clone();
    tampered[20] ^= 1;
    assert!(EnergyTerminal::restore(&tampered, &SNAPSHOT_KEY).is_err());
    assert!(EnergyTerminal::restore(&bytes, &[4; 32]).is_err());
    // The restored server answers a repeated order with the stored bytes.
    let mut w2 = World {
        server: restored,
        terminal,
    };
    let (_, receipt) = w2.complete("o-1", T0 + 10);
    assert_eq!(receipt.captured, "5.58");
}

/// A hand-built request from the terminal key (what a misbehaving terminal could send).
fn crafted(msg_type: &str, seq: u64, now: i64, payload: &[u8]) -> Vec<u8> {
    terminal_signer().seal(msg_type, seq, now, payload).unwrap()
}

#[test]
fn a_completion_above_the_hold_captures_the_hold_and_reports_the_rest() {
    let mut w = world("100.00", LateCompletion::Reject);
    w.order(order("o-1", "10.00", BelowMaximum::Decline), T0);
    // 10.00 pays for 5.37 L (9.98283 → 9.98); a reading of 6.00 L (11.154 → 11.15) is above it.
    let completion = Completion {
        order_id: "o-1".to_owned(),
        readings: vec![MeterReading {
            quantity: "6.00".to_owned(),
            at: T0 + 5,
        }],
    };
    let bytes = crafted(
        COMPLETION_TYPE,
        99,
        T0 + 5,
        &super::messages::to_payload(&completion),
    );
    let reply = w.server.complete(&bytes, T0 + 5, &server_signer()).unwrap();
    assert_eq!(reply.code, EnergyCode::CompletedCapped);
    let receipt = w.server.session("o-1").unwrap().receipt.unwrap();
    assert_eq!(receipt.cost.total, "11.15");
    assert_eq!(receipt.captured, "10.00");
    assert_eq!(receipt.uncollected, "1.15");
    assert_eq!(w.balance("alice"), "90.00");
}

#[test]
fn sequence_numbers_terminals_and_readings_are_checked() {
    let mut w = world("100.00", LateCompletion::Reject);
    w.order(order("o-1", "50.00", BelowMaximum::Decline), T0);
    // The terminal's order used seq 1: a later message with seq 1 is a replay.
    let extension = Extension {
        order_id: "o-1".to_owned(),
        expires_at: T0 + 2_000,
    };
    let payload = super::messages::to_payload(&extension);
    let stale = crafted(EXTEND_TYPE, 1, T0 + 1, &payload);
    let reply = w.server.extend(&stale, T0 + 1, &server_signer()).unwrap();
    assert_eq!(reply.code, EnergyCode::Replayed);
    // Another terminal of the same station may not continue the session.
    const OTHER_SECRET: [u8; 32] = [11; 32];
    w.server
        .add_terminal(
            TerminalKey {
                station_id: "station-1".to_owned(),
                key: public(&OTHER_SECRET, "pump-2"),
            },
            T0,
        )
        .unwrap();
    let other = Signer {
        alg: Alg::EdDSA,
        key_id: "pump-2",
        secret_key: &OTHER_SECRET,
    };
    let foreign = other.seal(EXTEND_TYPE, 50, T0 + 1, &payload).unwrap();
    let reply = w.server.extend(&foreign, T0 + 1, &server_signer()).unwrap();
    assert_eq!(reply.code, EnergyCode::WrongTerminal);
    // An order for another station than the terminal's.
    let mut elsewhere = order("o-2", "10.00", BelowMaximum::Decline);
    elsewhere.station_id = "station-9".to_owned();
    let bytes = crafted(
        ORDER_TYPE,
        60,
        T0 + 1,
        &super::messages::to_payload(&elsewhere),
    );
    let reply = w
        .server
        .authorise(&bytes, T0 + 1, &server_signer())
        .unwrap();
    assert_eq!(reply.code, EnergyCode::WrongStation);
    assert!(w.server.session("o-2").is_none());
    // A tariff change out of order (changeNo 2 before 1).
    let change = TariffChange {
        order_id: "o-1".to_owned(),
        change_no: 2,
        quantity_at: "0.00".to_owned(),
        tariff: tariff("2.000"),
        increment: None,
    };
    let bytes = crafted(
        TARIFF_CHANGE_TYPE,
        70,
        T0 + 2,
        &super::messages::to_payload(&change),
    );
    let reply = w
        .server
        .change_tariff(&bytes, T0 + 2, &server_signer())
        .unwrap();
    assert_eq!(reply.code, EnergyCode::TariffChangeOutOfOrder);
    // Readings going backwards.
    let completion = Completion {
        order_id: "o-1".to_owned(),
        readings: vec![
            MeterReading {
                quantity: "5.00".to_owned(),
                at: T0 + 3,
            },
            MeterReading {
                quantity: "4.00".to_owned(),
                at: T0 + 4,
            },
        ],
    };
    let bytes = crafted(
        COMPLETION_TYPE,
        80,
        T0 + 5,
        &super::messages::to_payload(&completion),
    );
    let reply = w.server.complete(&bytes, T0 + 5, &server_signer()).unwrap();
    assert_eq!(reply.code, EnergyCode::ReadingsInvalid);
    // None of the refusals changed the hold.
    let hold = w.server.session("o-1").unwrap().hold.unwrap();
    assert_eq!(
        (hold.state, hold.amount.as_str()),
        (HoldState::Pending, "50.00")
    );
    assert_eq!(hold.expires_at, T0 + 900);
}

#[test]
fn the_terminal_accepts_only_the_answer_to_its_waiting_request() {
    let mut w = world("100.00", LateCompletion::Reject);
    w.order(order("o-1", "50.00", BelowMaximum::Decline), T0);
    let first = w
        .terminal
        .extend("o-1", T0 + 1_000, T0 + 1, &terminal_signer())
        .unwrap();
    // While it waits, another request is refused.
    let second = w
        .terminal
        .complete("o-1", T0 + 1, &terminal_signer())
        .unwrap();
    assert_eq!(second.code, EnergyCode::RequestPending);
    // An answer for another request (here: an order answer re-signed for o-1 by the server
    // for a request the terminal never sent) does not match the waiting request's hash.
    let mut forged_world = world("100.00", LateCompletion::Reject);
    forged_world.order(order("o-1", "50.00", BelowMaximum::Decline), T0);
    let other = forged_world
        .terminal
        .extend("o-1", T0 + 1_200, T0 + 1, &terminal_signer())
        .unwrap();
    let other_answer = forged_world
        .server
        .extend(&other.envelope.unwrap(), T0 + 1, &server_signer())
        .unwrap();
    let refused = w
        .terminal
        .accept_authorisation(other_answer.envelope.as_ref().unwrap(), T0 + 1)
        .unwrap();
    assert_eq!(refused.code, EnergyCode::AnswerMismatch);
    assert!(!refused.accepted);
    // The real answer is accepted.
    let reply = w
        .server
        .extend(&first.envelope.unwrap(), T0 + 1, &server_signer())
        .unwrap();
    let applied = w
        .terminal
        .accept_authorisation(&reply.envelope.unwrap(), T0 + 1)
        .unwrap();
    assert!(applied.accepted);
    assert_eq!(applied.session.unwrap().expires_at, Some(T0 + 1_000));
}

#[test]
fn a_full_server_forgets_its_oldest_closed_session() {
    let mut w = world("100.00", LateCompletion::Reject);
    // Declined orders (unknown wallet) are closed sessions: they fill the table cheaply.
    for index in 0..SESSIONS_MAX {
        let mut declined = order(&format!("d-{index}"), "1.00", BelowMaximum::Decline);
        declined.wallet_id = "nobody".to_owned();
        let seq = u64::try_from(index).unwrap() + 1;
        let bytes = crafted(ORDER_TYPE, seq, T0, &super::messages::to_payload(&declined));
        let reply = w.server.authorise(&bytes, T0, &server_signer()).unwrap();
        assert_eq!(reply.code, EnergyCode::UnknownWallet);
    }
    assert_eq!(w.server.session_ids().len(), SESSIONS_MAX);
    let reply = w.order(order("o-1", "10.00", BelowMaximum::Decline), T0);
    assert_eq!(reply.code, EnergyCode::Held);
    assert_eq!(w.server.session_ids().len(), SESSIONS_MAX);
    assert!(
        w.server.session("d-0").is_none(),
        "the oldest declined session is forgotten"
    );
    assert!(w.server.session("d-1").is_some());
}

#[test]
fn the_journal_is_handed_over_and_replays_to_the_same_ledger() {
    let mut w = world("100.00", LateCompletion::ChargeIfFunds);
    w.order(order("o-1", "50.00", BelowMaximum::Decline), T0);
    w.meter("o-1", "10.00", T0 + 10);
    w.complete("o-1", T0 + 20);
    // Every ledger operation of the server is journaled: replaying the entries from the start
    // rebuilds exactly its ledger.
    let entries: Vec<Vec<u8>> = w
        .server
        .journal()
        .iter()
        .map(|e| e.bytes().to_vec())
        .collect();
    assert!(entries.len() >= 6, "{} entries", entries.len());
    let replayed = crate::ledger::Ledger::replay(&entries).unwrap();
    assert_eq!(replayed.state_digest(), w.server.ledger().state_digest());
    let head = w.server.ledger().head().seq;
    w.server.truncate_journal(head).unwrap();
    assert!(w.server.journal().is_empty());
    assert!(w.server.truncate_journal(head + 1).is_err());
}

#[test]
fn expired_sessions_wait_for_late_completions_then_make_room() {
    let mut w = world("100.00", LateCompletion::Reject);
    // 1,024 live holds: 16 wallets × 64 holds (the ledger's per-account maximum).
    for index in 0..SESSIONS_MAX {
        let wallet = format!("w-{}", index / 64);
        if index % 64 == 0 {
            w.server.open_wallet(&wallet, T0).unwrap();
            assert!(w
                .server
                .top_up(&wallet, "1000.00", T0)
                .unwrap()
                .is_success());
        }
        let mut held = order(&format!("h-{index}"), "1.00", BelowMaximum::Decline);
        held.wallet_id = wallet;
        let seq = u64::try_from(index).unwrap() + 1;
        let bytes = crafted(ORDER_TYPE, seq, T0, &super::messages::to_payload(&held));
        let reply = w.server.authorise(&bytes, T0, &server_signer()).unwrap();
        assert_eq!(reply.code, EnergyCode::Held);
    }
    let next = |w: &mut World, id: &str, now: i64| {
        let bytes = crafted(
            ORDER_TYPE,
            5_000 + u64::try_from(now - T0).unwrap(),
            now,
            &super::messages::to_payload(&order(id, "1.00", BelowMaximum::Decline)),
        );
        w.server
            .authorise(&bytes, now, &server_signer())
            .unwrap()
            .code
    };
    // Every session holds money: no room.
    assert_eq!(next(&mut w, "x-1", T0 + 1), EnergyCode::SessionsFull);
    // Expired, but within the late-completion window: still kept.
    assert_eq!(next(&mut w, "x-2", T0 + 1_000), EnergyCode::SessionsFull);
    // Past the window: the oldest expired session makes room.
    let late = T0 + 900 + LATE_COMPLETION_WINDOW_S;
    assert_eq!(next(&mut w, "x-3", late), EnergyCode::Held);
    assert!(w.server.session("h-0").is_none());
    assert!(w.server.session("h-1").is_some());
}

#[test]
fn a_restore_refuses_sessions_out_of_order_or_twice_and_rebuilds_the_answer_index() {
    let mut w = world("100.00", LateCompletion::Reject);
    w.order(order("o-1", "10.00", BelowMaximum::Decline), T0);
    w.order(order("o-2", "10.00", BelowMaximum::Decline), T0);
    let server = w.server.snapshot(&SNAPSHOT_KEY).unwrap();
    let terminal = w.terminal.snapshot(&SNAPSHOT_KEY).unwrap();
    let refused = "the snapshot's order ids are not unique and ascending";
    // Swapped, and one session twice: authentic bodies, refused all the same.
    for edit in [
        (|s: &mut Vec<server::Session>| s.reverse()) as fn(&mut Vec<server::Session>),
        |s: &mut Vec<server::Session>| {
            let first = s[0].clone();
            s.insert(1, first);
        },
    ] {
        let bytes = snapshot::resealed_server(&server, &SNAPSHOT_KEY, edit);
        let err = EnergyServer::restore(&bytes, &SNAPSHOT_KEY).unwrap_err();
        assert_eq!((err.code(), err.message()), (crate::error::ErrorCode::SnapshotInvalid, refused));
    }
    let bytes = snapshot::resealed_terminal(&terminal, &SNAPSHOT_KEY, |s| s.reverse());
    let err = EnergyTerminal::restore(&bytes, &SNAPSHOT_KEY).unwrap_err();
    assert_eq!((err.code(), err.message()), (crate::error::ErrorCode::SnapshotInvalid, refused));
    // Unchanged, both restore as they were (the server's retained journal aside: snapshots do
    // not hold it), the request-hash index rebuilt from the sessions' stored answers (each
    // answer's request found again).
    let restored = EnergyServer::restore(&server, &SNAPSHOT_KEY).unwrap();
    assert!(restored.sessions == w.server.sessions && restored.answers == w.server.answers);
    for session in w.server.sessions.iter() {
        for answer in &session.answers {
            let found = restored.answers.get(&answer.request).map(String::as_str);
            assert_eq!(found, Some(session.order.order_id.as_str()));
        }
    }
    assert_eq!(EnergyTerminal::restore(&terminal, &SNAPSHOT_KEY).unwrap(), w.terminal);
}
