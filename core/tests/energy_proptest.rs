//! Property test of the energy purchase: random sequences of orders (every below-maximum
//! policy), meter readings, tariff changes, extensions, clock jumps with expiry, completions,
//! resent and tampered envelopes, and top-ups, between a terminal and the e-money server.
//!
//! After every step: nothing returns an `Error` (every input is well formed), the ledger's
//! invariants hold, the wallet never goes below zero, money is conserved (wallet + station =
//! everything topped up), the terminal never records a reading above its limit, a resent
//! envelope gets the stored answer byte for byte, and every receipt adds up (captured ≤ held,
//! captured + uncollected = cost; a late one released everything held). At the end both roles
//! restore from their snapshots to the same state.
//!
//! Cases: `PROPTEST_CASES` (default 48 sequences of up to 60 steps).

use countersign_core::card::PublicKey;
use countersign_core::crypto::ed25519;
use countersign_core::energy::{
    BelowMaximum, EnergyCode, EnergyServer, EnergyTerminal, LateCompletion, Order, ServerConfig,
    Signer, Tariff, TerminalConfig, TerminalKey, TerminalState,
};
use countersign_core::envelope::Alg;
use countersign_core::money::{Amount, Currency};
use proptest::prelude::*;

const SERVER: [u8; 32] = [0x31; 32];
const TERMINAL: [u8; 32] = [0x32; 32];
const KEY: [u8; 32] = [0x33; 32];
const START: i64 = 1_767_225_600;
const PRICES: [&str; 4] = ["1.859", "2.000", "1.709", "0.399"];

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn public(secret: &[u8; 32], key_id: &str) -> PublicKey {
    PublicKey {
        key_id: key_id.to_owned(),
        alg: Alg::EdDSA,
        public_key: ed25519::public_key(secret).unwrap().to_vec(),
    }
}

fn server_signer() -> Signer<'static> {
    Signer {
        alg: Alg::EdDSA,
        key_id: "server",
        secret_key: &SERVER,
    }
}

fn terminal_signer() -> Signer<'static> {
    Signer {
        alg: Alg::EdDSA,
        key_id: "pump",
        secret_key: &TERMINAL,
    }
}

fn tariff(price: usize) -> Tariff {
    Tariff {
        currency: "EUR".to_owned(),
        unit: countersign_core::energy::Unit::Litre,
        resolution: None,
        unit_price: PRICES[price % PRICES.len()].to_owned(),
        cost_rounding: "half-even".to_owned(),
        tax: None,
    }
}

fn cents(value: u32) -> String {
    format!("{}.{:02}", value / 100, value % 100)
}

#[derive(Debug, Clone)]
enum Step {
    Order {
        maximum: u32,
        policy: u8,
        step: u32,
        minimum: Option<u32>,
        price: usize,
    },
    Meter(u32),
    TariffChange(usize),
    Extend(i64),
    Advance(i64),
    Complete,
    Resend,
    Tamper,
    TopUp(u32),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (1u32..8_000, 0u8..3, 1u32..2_000, proptest::option::of(0u32..3_000), 0usize..4)
            .prop_map(|(maximum, policy, step, minimum, price)| Step::Order { maximum, policy, step, minimum, price }),
        6 => (0u32..2_500).prop_map(Step::Meter),
        1 => (0usize..4).prop_map(Step::TariffChange),
        1 => (-100i64..2_000).prop_map(Step::Extend),
        2 => (0i64..1_200).prop_map(Step::Advance),
        2 => Just(Step::Complete),
        1 => Just(Step::Resend),
        1 => Just(Step::Tamper),
        1 => (1u32..5_000).prop_map(Step::TopUp),
    ]
}

struct World {
    server: EnergyServer,
    terminal: EnergyTerminal,
    now: i64,
    orders: u32,
    current: Option<String>,
    topped_up: i128,
    /// The last request that got a signed answer: (kind, envelope, answer).
    last: Option<(&'static str, Vec<u8>, Vec<u8>)>,
}

fn eur() -> &'static Currency {
    Currency::from_code("EUR").unwrap()
}

fn minor(text: &str) -> i128 {
    Amount::parse(text, eur(), None).unwrap().to_minor_units()
}

impl World {
    fn new(late: LateCompletion, balance: u32) -> World {
        let mut server = EnergyServer::new(
            ServerConfig {
                currency: "EUR".to_owned(),
                hold_duration_s: 600,
                late_completion: late,
                clock_skew_s: 0,
            },
            START,
        )
        .unwrap();
        server
            .add_terminal(
                TerminalKey {
                    station_id: "s-1".to_owned(),
                    key: public(&TERMINAL, "pump"),
                },
                START,
            )
            .unwrap();
        server.open_wallet("w", START).unwrap();
        // An empty wallet is a valid start (a zero top-up is not an operation).
        if balance > 0 {
            assert!(server
                .top_up("w", &cents(balance), START)
                .unwrap()
                .is_success());
        }
        let terminal = EnergyTerminal::new(TerminalConfig {
            station_id: "s-1".to_owned(),
            server_key: public(&SERVER, "server"),
            clock_skew_s: 0,
        })
        .unwrap();
        World {
            server,
            terminal,
            now: START,
            orders: 0,
            current: None,
            topped_up: i128::from(balance),
            last: None,
        }
    }

    fn send(&mut self, kind: &'static str, envelope: Vec<u8>) {
        let s = server_signer();
        let reply = match kind {
            "order" => self.server.authorise(&envelope, self.now, &s),
            "tariff-change" => self.server.change_tariff(&envelope, self.now, &s),
            "extend" => self.server.extend(&envelope, self.now, &s),
            _ => self.server.complete(&envelope, self.now, &s),
        }
        .unwrap();
        // Within these bounds (≤ 60 steps, one wallet) no ledger limit is reached: a refusal
        // by the ledger would be a rule the server failed to check first.
        assert_ne!(
            reply.code,
            EnergyCode::LedgerRefused,
            "{:?}",
            reply.ledger_code
        );
        let id = self.current.clone().unwrap();
        match reply.envelope {
            Some(answer) => {
                let applied = if kind == "completion" {
                    self.terminal.accept_receipt(&answer, self.now).unwrap()
                } else {
                    self.terminal
                        .accept_authorisation(&answer, self.now)
                        .unwrap()
                };
                assert!(applied.accepted, "{kind}: {applied:?}");
                self.last = Some((kind, envelope, answer));
            }
            None => {
                self.terminal.abandon_request(&id, reply.code).unwrap();
            }
        }
    }

    fn run(&mut self, step: &Step) {
        let t = terminal_signer();
        match step {
            Step::Order {
                maximum,
                policy,
                step,
                minimum,
                price,
            } => {
                self.orders += 1;
                let id = format!("o-{}", self.orders);
                let below = [
                    BelowMaximum::Decline,
                    BelowMaximum::HoldAvailable,
                    BelowMaximum::LowerMaximum,
                ][usize::from(*policy)];
                let order = Order {
                    order_id: id.clone(),
                    wallet_id: "w".to_owned(),
                    station_id: "s-1".to_owned(),
                    maximum: cents(*maximum),
                    below_maximum: below,
                    minimum: minimum.filter(|m| m <= maximum).map(cents),
                    step: (below == BelowMaximum::LowerMaximum).then(|| cents(*step)),
                    tariff: tariff(*price),
                };
                let out = self.terminal.order(order, self.now, &t).unwrap();
                self.current = Some(id);
                self.send("order", out.envelope.unwrap());
            }
            Step::Meter(more) => {
                let Some(id) = self.current.clone() else {
                    return;
                };
                let view = self.terminal.session(&id).unwrap().unwrap();
                let delivered = minor(&view.delivered);
                let limit = minor(&view.max_quantity);
                // Up to the limit, sometimes past it (refused).
                let quantity = (delivered + i128::from(*more)).min(limit + 1);
                self.now += 5;
                let out = self
                    .terminal
                    .meter(&id, &cents(u32::try_from(quantity).unwrap()), self.now)
                    .unwrap();
                if quantity > limit
                    && view.state == TerminalState::Authorised
                    && self.now < view.expires_at.unwrap()
                {
                    assert_eq!(out.code, EnergyCode::ReadingAboveLimit);
                }
            }
            Step::TariffChange(price) => {
                let Some(id) = self.current.clone() else {
                    return;
                };
                let out = self
                    .terminal
                    .change_tariff(&id, tariff(*price), self.now, &t)
                    .unwrap();
                if let Some(envelope) = out.envelope {
                    self.send("tariff-change", envelope);
                }
            }
            Step::Extend(by) => {
                let Some(id) = self.current.clone() else {
                    return;
                };
                let deadline = self
                    .terminal
                    .session(&id)
                    .unwrap()
                    .unwrap()
                    .expires_at
                    .unwrap_or(self.now);
                let out = self
                    .terminal
                    .extend(&id, deadline + by, self.now, &t)
                    .unwrap();
                if let Some(envelope) = out.envelope {
                    self.send("extend", envelope);
                }
            }
            Step::Advance(by) => {
                self.now += by;
                self.server.expire_due(self.now).unwrap();
            }
            Step::Complete => {
                let Some(id) = self.current.clone() else {
                    return;
                };
                let out = self.terminal.complete(&id, self.now, &t).unwrap();
                if let Some(envelope) = out.envelope {
                    self.send("completion", envelope);
                }
            }
            Step::Resend => {
                let Some((kind, envelope, answer)) = self.last.clone() else {
                    return;
                };
                let s = server_signer();
                let reply = match kind {
                    "order" => self.server.authorise(&envelope, self.now, &s),
                    "tariff-change" => self.server.change_tariff(&envelope, self.now, &s),
                    "extend" => self.server.extend(&envelope, self.now, &s),
                    _ => self.server.complete(&envelope, self.now, &s),
                }
                .unwrap();
                assert!(reply.repeated);
                assert_eq!(
                    reply.envelope,
                    Some(answer),
                    "the stored answer, byte for byte"
                );
            }
            Step::Tamper => {
                let Some((kind, mut envelope, _)) = self.last.clone() else {
                    return;
                };
                let index = envelope.len() / 2;
                envelope[index] ^= 0x40;
                let s = server_signer();
                let before = self.server.snapshot(&KEY).unwrap();
                let reply = match kind {
                    "order" => self.server.authorise(&envelope, self.now, &s),
                    "tariff-change" => self.server.change_tariff(&envelope, self.now, &s),
                    "extend" => self.server.extend(&envelope, self.now, &s),
                    _ => self.server.complete(&envelope, self.now, &s),
                }
                .unwrap();
                assert!(
                    reply.envelope.is_none(),
                    "a tampered request gets no signed answer"
                );
                // Nothing changed but, possibly, the expiry pass every message runs first.
                let mut expected = EnergyServer::restore(&before, &KEY).unwrap();
                expected.expire_due(self.now).unwrap();
                assert_eq!(
                    expected.snapshot(&KEY).unwrap(),
                    self.server.snapshot(&KEY).unwrap(),
                    "{:?}",
                    reply.code
                );
            }
            Step::TopUp(amount) => {
                let outcome = self.server.top_up("w", &cents(*amount), self.now).unwrap();
                assert!(outcome.is_success());
                self.topped_up += i128::from(*amount);
            }
        }
    }

    fn check(&self) {
        self.server.ledger().check_invariants().unwrap();
        let wallet = self.server.wallet("w").unwrap();
        let station = self.server.station("s-1").unwrap();
        assert!(minor(&wallet.balance) >= 0 && minor(wallet.available.as_deref().unwrap()) >= 0);
        assert_eq!(
            minor(&wallet.balance) + minor(&station.balance),
            self.topped_up,
            "conservation"
        );
        for id in self.terminal.session_ids() {
            let view = self.terminal.session(&id).unwrap().unwrap();
            if view.state != TerminalState::Declined {
                assert!(
                    minor(&view.delivered) <= minor(&view.max_quantity).max(minor(&view.delivered))
                );
            }
            for reading in &view.readings {
                if view.receipt.is_none() && view.state == TerminalState::Authorised {
                    assert!(minor(&reading.quantity) <= minor(&view.max_quantity));
                }
            }
            if let Some(receipt) = &view.receipt {
                let (held, captured, cost) = (
                    minor(&receipt.held),
                    minor(&receipt.captured),
                    minor(&receipt.cost.total),
                );
                assert!(captured <= held, "{receipt:?}");
                assert_eq!(captured + minor(&receipt.uncollected), cost);
                if receipt.late {
                    assert_eq!(minor(&receipt.released), held);
                } else {
                    assert_eq!(captured + minor(&receipt.released), held);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(48), ..ProptestConfig::default() })]

    #[test]
    fn random_sessions_keep_every_invariant(
        late in prop_oneof![Just(LateCompletion::Reject), Just(LateCompletion::ChargeIfFunds)],
        balance in 0u32..10_000,
        steps in proptest::collection::vec(step(), 1..60),
    ) {
        let mut world = World::new(late, balance);
        for step in &steps {
            world.run(step);
            world.check();
        }
        let bytes = world.server.snapshot(&KEY).unwrap();
        prop_assert_eq!(EnergyServer::restore(&bytes, &KEY).unwrap().snapshot(&KEY).unwrap(), bytes);
        let bytes = world.terminal.snapshot(&KEY).unwrap();
        prop_assert_eq!(EnergyTerminal::restore(&bytes, &KEY).unwrap(), world.terminal);
    }
}

/// An authentic envelope from the terminal key with any payload: the server must decode it
/// strictly (a refusal, never a panic or an error).
fn signed(msg_type: &str, payload: &[u8]) -> Vec<u8> {
    countersign_core::envelope::seal(&countersign_core::envelope::SealParams {
        alg: Alg::EdDSA,
        secret_key: &TERMINAL,
        key_id: "pump",
        msg_type,
        version: countersign_core::energy::PAYLOAD_VERSION,
        seq: 1_000,
        issued_at: START,
        expires_at: START + 600,
        payload,
    })
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(256), ..ProptestConfig::default() })]

    /// Arbitrary bytes, and authentic envelopes with arbitrary payloads, at every entry point of
    /// both roles: a refusal code, no signed answer, no change, never a panic or an error.
    #[test]
    fn arbitrary_messages_are_refused_without_panicking(
        bytes in proptest::collection::vec(any::<u8>(), 0..400),
        kind in 0usize..4,
    ) {
        let mut world = World::new(LateCompletion::Reject, 5_000);
        let before = world.server.snapshot(&KEY).unwrap();
        let types = [
            countersign_core::energy::ORDER_TYPE,
            countersign_core::energy::TARIFF_CHANGE_TYPE,
            countersign_core::energy::EXTEND_TYPE,
            countersign_core::energy::COMPLETION_TYPE,
        ];
        let s = server_signer();
        for candidate in [bytes.clone(), signed(types[kind], &bytes)] {
            let reply = match kind {
                0 => world.server.authorise(&candidate, START, &s),
                1 => world.server.change_tariff(&candidate, START, &s),
                2 => world.server.extend(&candidate, START, &s),
                _ => world.server.complete(&candidate, START, &s),
            }
            .unwrap();
            // An authentic order whose payload happens to decode is a decision; anything else
            // is refused without an answer.
            if reply.envelope.is_some() {
                prop_assert_eq!(kind, 0);
            } else {
                prop_assert_eq!(world.server.snapshot(&KEY).unwrap(), before.clone());
            }
            let out = world.terminal.accept_authorisation(&candidate, START).unwrap();
            prop_assert!(!out.accepted);
            let out = world.terminal.accept_receipt(&candidate, START).unwrap();
            prop_assert!(!out.accepted);
        }
    }

    /// One flipped bit anywhere in a valid order envelope: never accepted as a new order.
    #[test]
    fn a_mutated_order_is_never_accepted(index in any::<prop::sample::Index>(), bit in 0u8..8) {
        let mut world = World::new(LateCompletion::Reject, 5_000);
        let order = Order {
            order_id: "o-1".to_owned(),
            wallet_id: "w".to_owned(),
            station_id: "s-1".to_owned(),
            maximum: "20.00".to_owned(),
            below_maximum: BelowMaximum::Decline,
            minimum: None,
            step: None,
            tariff: tariff(0),
        };
        let mut envelope = world.terminal.order(order, START, &terminal_signer()).unwrap().envelope.unwrap();
        let at = index.index(envelope.len());
        envelope[at] ^= 1 << bit;
        let reply = world.server.authorise(&envelope, START, &server_signer()).unwrap();
        prop_assert!(reply.envelope.is_none(), "{:?}", reply.code);
        prop_assert!(world.server.session("o-1").is_none());
        prop_assert_eq!(world.server.wallet("w").unwrap().available.unwrap(), "50.00");
    }
}
