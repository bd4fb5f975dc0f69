//! Property test of System 4's terminal against a small reference model: random sequences of
//! stores (new keys, repeated keys, several cards), forwarding steps (due or flushed), the
//! acquirer's answers (approved, declined, retry, permanent, a second answer) and clock ticks.
//! The model is a list of `(key, card, minor units, state, deadline)` and the documented rules;
//! after every operation: the same code, the forwarded entry is the model's head (in order), the
//! waiting count and total and the approved record agree, the invariants hold, the chain
//! verifies, and snapshot → restore gives the same terminal.

use countersign_core::pos::{
    CurrencyLimits, EntryKind, EntryState, ForwardResult, NetworkConfig, OfflineLimits, OutboxConfig, PaymentRequest,
    PosCode, Terminal, TerminalConfig,
};
use proptest::prelude::*;

const KEY: [u8; 32] = [9; 32];
const COUNT_MAX: usize = 6;
const TOTAL_MAX: u64 = 10_000; // minor units
const PAYMENT_MAX: u64 = 4_000;
const CARD_COUNT_MAX: usize = 3;
const DEADLINE_MS: u64 = 100_000;

#[derive(Debug, Clone)]
enum Op {
    Store { key: u8, card: u8, minor: u64 },
    Begin { flush: bool },
    Answer { kind: u8, jitter: u32 },
    Advance { ms: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..12, 0u8..4, 1u64..5_000).prop_map(|(key, card, minor)| Op::Store { key, card, minor }),
        3 => any::<bool>().prop_map(|flush| Op::Begin { flush }),
        3 => (0u8..5, any::<u32>()).prop_map(|(kind, jitter)| Op::Answer { kind, jitter }),
        2 => (0u64..40_000).prop_map(|ms| Op::Advance { ms }),
    ]
}

#[derive(Debug, Clone, PartialEq)]
struct M {
    key: String,
    card: u8,
    minor: u64,
    state: EntryState,
    deadline: u64,
    next_at: u64,
}

fn config() -> TerminalConfig {
    TerminalConfig {
        terminal_id: "prop".into(),
        offline: OfflineLimits {
            currencies: vec![CurrencyLimits {
                currency: "EUR".into(),
                payment_max: "40.00".into(),
                total_max: "100.00".into(),
                card_total_max: None,
            }],
            count_max: COUNT_MAX as u32,
            max_age_ms: 1_000_000,
            // Spelled out (not CARD_COUNT_MAX): a wrong model must not configure the terminal to match it.
            card_count_max: Some(3),
            floor_limits: vec![],
        },
        network: NetworkConfig::default(),
        outbox: OutboxConfig { deadline_ms: DEADLINE_MS, nearing_ms: 10_000, backoff_base_ms: 1_000, backoff_max_ms: 8_000 },
    }
}

fn euros(minor: u64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

fn pending(m: &[M]) -> impl Iterator<Item = &M> {
    m.iter().filter(|e| matches!(e.state, EntryState::Stored | EntryState::Forwarding))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]
    #[test]
    fn terminal_matches_the_model(ops in proptest::collection::vec(op(), 1..80)) {
        let mut t = Terminal::new(&config()).unwrap();
        let mut model: Vec<M> = Vec::new();
        let mut approved_minor = 0u64;
        let mut now = 1_000u64;
        for op in ops {
            match op {
                Op::Store { key, card, minor } => {
                    let key = format!("k{key}");
                    let request = PaymentRequest {
                        idempotency_key: key.clone(),
                        kind: EntryKind::Payment,
                        amount: euros(minor),
                        currency: "EUR".into(),
                        card_hash: Some(format!("{card:02x}").repeat(32)),
                        card_type: Some("visa".into()),
                        payload: String::new(),
                    };
                    let got = t.store(&request, now);
                    let expected = if let Some(e) = model.iter().find(|e| e.key == key) {
                        if e.minor == minor && e.card == card { Ok(PosCode::AlreadyStored) } else { Err(()) }
                    } else {
                        let p: Vec<&M> = pending(&model).collect();
                        let code = if minor > PAYMENT_MAX {
                            PosCode::PaymentLimitExceeded
                        } else if p.len() + 1 > COUNT_MAX {
                            PosCode::CountLimitReached
                        } else if p.iter().map(|e| e.minor).sum::<u64>() + minor > TOTAL_MAX {
                            PosCode::TotalLimitReached
                        } else if p.iter().filter(|e| e.card == card).count() + 1 > CARD_COUNT_MAX {
                            PosCode::CardCountLimitReached
                        } else {
                            PosCode::Stored
                        };
                        Ok(code)
                    };
                    match (got, expected) {
                        (Ok(out), Ok(code)) => {
                            prop_assert_eq!(out.code, code);
                            if code == PosCode::Stored {
                                model.push(M { key, card, minor, state: EntryState::Stored, deadline: now + DEADLINE_MS, next_at: 0 });
                            }
                        }
                        (Err(e), Err(())) => prop_assert_eq!(e.code().as_str(), "IDEMPOTENCY_CONFLICT"),
                        (got, expected) => prop_assert!(false, "store: got {:?}, model {:?}", got.map(|o| o.code), expected),
                    }
                }
                Op::Begin { flush } => {
                    let out = t.begin_forward(now, flush).unwrap();
                    match model.iter_mut().find(|e| matches!(e.state, EntryState::Stored | EntryState::Forwarding)) {
                        None => prop_assert_eq!(out.code, PosCode::NothingToForward),
                        Some(head) => {
                            if head.state == EntryState::Stored && !flush && now < head.next_at {
                                prop_assert_eq!(out.code, PosCode::NotDue);
                            } else {
                                prop_assert_eq!(out.code, PosCode::Forward);
                                prop_assert_eq!(&out.entry.unwrap().idempotency_key, &head.key, "in order");
                                head.state = EntryState::Forwarding;
                            }
                        }
                    }
                }
                Op::Answer { kind, jitter } => {
                    let target = model.iter().position(|e| e.state == EntryState::Forwarding);
                    let key = target.map_or_else(|| "k0".to_owned(), |i| model[i].key.clone());
                    let result = match kind {
                        0 | 4 => ForwardResult::Approved { code: "A".into() },
                        1 => ForwardResult::Declined { code: "51".into() },
                        2 => ForwardResult::Retry { code: "NO_ANSWER".into() },
                        _ => ForwardResult::Permanent { code: "KEY_CONFLICT".into() },
                    };
                    let out = t.forward_result(&key, &result, now, jitter).unwrap();
                    match target {
                        None => prop_assert_eq!(out.code, PosCode::NotForwarding),
                        Some(i) => {
                            let e = &mut model[i];
                            match result {
                                ForwardResult::Approved { .. } => {
                                    e.state = EntryState::ForwardedApproved;
                                    approved_minor += e.minor;
                                }
                                ForwardResult::Declined { .. } => e.state = EntryState::ForwardedDeclined,
                                ForwardResult::Retry { .. } if now >= e.deadline => e.state = EntryState::FailedPermanently,
                                ForwardResult::Retry { .. } => {
                                    e.state = EntryState::Stored;
                                    e.next_at = out.retry_at_ms.unwrap();
                                    prop_assert!(e.next_at > now && e.next_at <= now + 8_000, "backoff within its cap");
                                }
                                ForwardResult::Permanent { .. } => e.state = EntryState::FailedPermanently,
                            }
                            prop_assert_eq!(out.entry.unwrap().state, model[i].state);
                        }
                    }
                }
                Op::Advance { ms } => {
                    now += ms;
                    t.tick(now).unwrap();
                    while let Some(head) = model.iter_mut().find(|e| matches!(e.state, EntryState::Stored | EntryState::Forwarding)) {
                        if head.state != EntryState::Stored || now < head.deadline {
                            break;
                        }
                        head.state = EntryState::FailedPermanently;
                    }
                }
            }
            let status = t.status();
            prop_assert_eq!(status.pending_count as usize, pending(&model).count());
            prop_assert_eq!(&status.totals[0].pending_amount, &euros(pending(&model).map(|e| e.minor).sum()));
            prop_assert_eq!(&status.totals[0].approved_amount, &euros(approved_minor));
            let states: Vec<(String, EntryState)> = t.entries().iter().map(|e| (e.idempotency_key.clone(), e.state)).collect();
            let expected: Vec<(String, EntryState)> = model.iter().map(|e| (e.key.clone(), e.state)).collect();
            prop_assert_eq!(states, expected);
            prop_assert!(t.invariants().is_ok(), "{:?}", t.invariants());
            prop_assert!(t.verify_chain());
            let back = Terminal::restore(&t.snapshot(&KEY).unwrap(), &KEY).unwrap();
            prop_assert_eq!(back.export_queue(), t.export_queue());
        }
    }
}
