//! Flows between phone and server, the relay's powers (alter, replay, delay), snapshots, and a
//! property test against a small model.

use proptest::prelude::*;

use super::*;
use crate::crypto::ed25519;
use crate::envelope::{Alg, Signer, TrustedKey};
use crate::limits::{LimitSpec, Measure, Window};

const PHONE_SK: [u8; 32] = [7; 32];
const SERVER_SK: [u8; 32] = [9; 32];
const SNAP_KEY: [u8; 32] = [3; 32];
const T0: i64 = 1_800_000_000;

fn phone_signer() -> Signer<'static> {
    Signer { alg: Alg::EdDSA, key_id: "ph1", secret_key: &PHONE_SK }
}

fn server_signer() -> Signer<'static> {
    Signer { alg: Alg::EdDSA, key_id: "srv", secret_key: &SERVER_SK }
}

fn amount_limit(id: &str, window: Window, hard: &str) -> LimitSpec {
    LimitSpec {
        id: id.into(),
        measure: Measure::Amount,
        currency: Some("EUR".into()),
        window,
        hard: hard.into(),
        soft: None,
        ceiling: None,
        resettable: false,
    }
}

fn count_limit(hard: &str) -> LimitSpec {
    LimitSpec {
        id: "tokens".into(),
        measure: Measure::Count,
        currency: None,
        window: Window::Lifetime,
        hard: hard.into(),
        soft: None,
        ceiling: None,
        resettable: false,
    }
}

fn phone() -> PaymentPhone {
    PaymentPhone::new(&PhoneConfig {
        device_id: "ph1".into(),
        allowance: vec![
            amount_limit("per-token", Window::PerTransaction, "20.00"),
            amount_limit("outstanding", Window::Lifetime, "50.00"),
            count_limit("5"),
        ],
    })
    .unwrap()
}

fn server(funds: &str) -> TokenServer {
    let mut s = TokenServer::new("EUR", T0).unwrap();
    let pk = ed25519::public_key(&PHONE_SK).unwrap();
    s.register_device("ph1", &pk, &[amount_limit("daily", Window::Trailing { seconds: 86_400 }, "1000.00")], T0)
        .unwrap();
    s.add_payee("cafe", T0).unwrap();
    s.fund("ph1", funds, T0).unwrap();
    s
}

fn server_key() -> ([u8; 32], &'static str) {
    (ed25519::public_key(&SERVER_SK).unwrap(), "srv")
}

fn seal(phone: &mut PaymentPhone, amount: &str, nonce: u8, now: i64) -> SealOutcome {
    phone
        .seal(
            &SealRequest {
                payee: "cafe".into(),
                amount: amount.into(),
                currency: "EUR".into(),
                nonce: hex(&[nonce; 8]),
                now,
                ttl_s: 600,
            },
            &phone_signer(),
        )
        .unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn accept(phone: &mut PaymentPhone, receipt: &[u8], now: i64) -> ReceiptOutcome {
    let (pk, kid) = server_key();
    phone
        .accept_receipt(receipt, &TrustedKey { key_id: kid, alg: Alg::EdDSA, public_key: &pk }, now)
        .unwrap()
}

#[test]
fn a_token_goes_through_and_the_receipt_settles_it() {
    let mut p = phone();
    let mut s = server("100.00");
    let sealed = seal(&mut p, "4.50", 1, T0);
    assert_eq!(sealed.code, RelayCode::Sealed);
    let token = sealed.token.unwrap();
    assert_eq!((token.len(), qr_version_m(token.len())), (144, Some(8)));
    // Reserved: 45.50 of 50.00 left.
    let status = p.allowance(T0).unwrap();
    assert_eq!(status.iter().find(|l| l.id == "outstanding").unwrap().remaining, "45.50");

    let reply = s.process(&token, &server_signer(), T0 + 5).unwrap();
    assert_eq!(reply.code, RelayCode::Approved);
    assert_eq!(s.balance(Some("ph1"), None).unwrap(), "95.50");
    assert_eq!(s.balance(None, Some("cafe")).unwrap(), "4.50");

    let receipt = reply.receipt.unwrap();
    let outcome = accept(&mut p, &receipt, T0 + 60);
    assert_eq!((outcome.code, outcome.decision, outcome.counter), (RelayCode::Settled, Some(RelayCode::Approved), Some(1)));
    let status = p.allowance(T0 + 60).unwrap();
    assert_eq!(status.iter().find(|l| l.id == "outstanding").unwrap().remaining, "50.00");
    assert_eq!(p.tokens()[0].state, TokenState::Settled);
    // The same receipt again changes nothing.
    assert_eq!(accept(&mut p, &receipt, T0 + 61).code, RelayCode::AlreadySettled);
}

#[test]
fn a_relay_reads_a_tokens_claims_without_a_key_and_never_panics_on_other_bytes() {
    let mut p = phone();
    let token = seal(&mut p, "4.50", 1, T0).token.unwrap();
    let claims = token_claims(&token).unwrap();
    assert_eq!(
        claims,
        TokenClaims { device_id: "ph1".into(), counter: 1, payee: "cafe".into(), amount: "4.50".into(), currency: "EUR".into() }
    );
    // Unverified by design: a token whose signature was altered reads the same (the server refuses it).
    let mut forged = token.clone();
    let last = forged.len() - 1;
    forged[last] ^= 0x01;
    assert_eq!(token_claims(&forged), Some(claims));
    // Every prefix, and each byte flipped: a result or None, no panic; a truncated token is None.
    for i in 0..token.len() {
        assert_eq!(token_claims(&token[..i]), None, "prefix {i}");
        let mut altered = token.clone();
        altered[i] ^= 0xff;
        let _ = token_claims(&altered);
    }
    // A receipt is an envelope too, but its payload is not a token's.
    let mut s = server("100.00");
    let receipt = s.process(&token, &server_signer(), T0 + 5).unwrap().receipt.unwrap();
    assert_eq!(token_claims(&receipt), None);
}

#[test]
fn a_replayed_token_gets_the_same_receipt_bytes_even_after_it_expired() {
    let mut p = phone();
    let mut s = server("100.00");
    let token = seal(&mut p, "4.50", 1, T0).token.unwrap();
    let first = s.process(&token, &server_signer(), T0 + 5).unwrap();
    let again = s.process(&token, &server_signer(), T0 + 5_000).unwrap();
    assert!(again.replayed);
    assert_eq!(again.code, RelayCode::Approved);
    assert_eq!(again.receipt, first.receipt);
    assert_eq!(s.balance(None, Some("cafe")).unwrap(), "4.50", "paid once");
}

#[test]
fn an_altered_token_is_refused_without_a_receipt_and_changes_nothing() {
    let mut p = phone();
    let mut s = server("100.00");
    let token = seal(&mut p, "4.50", 1, T0).token.unwrap();
    let before = s.snapshot(&SNAP_KEY).unwrap();
    // Flip one bit in each byte position of the token in turn: never accepted.
    for i in 0..token.len() {
        let mut altered = token.clone();
        altered[i] ^= 0x01;
        let reply = s.process(&altered, &server_signer(), T0 + 5).unwrap();
        assert!(
            matches!(reply.code, RelayCode::Malformed | RelayCode::BadSignature | RelayCode::UnknownKey | RelayCode::WrongType),
            "byte {i}: {:?}",
            reply.code
        );
        assert!(reply.receipt.is_none());
    }
    assert_eq!(s.snapshot(&SNAP_KEY).unwrap(), before);
    assert_eq!(s.process(&token, &server_signer(), T0 + 5).unwrap().code, RelayCode::Approved);
}

#[test]
fn the_allowance_bounds_what_an_offline_phone_promises() {
    let mut p = phone();
    let refused = seal(&mut p, "20.01", 1, T0);
    assert_eq!((refused.code, refused.limit_id.as_deref()), (RelayCode::AllowanceExceeded, Some("per-token")));
    for n in 0..2 {
        assert_eq!(seal(&mut p, "20.00", n, T0).code, RelayCode::Sealed);
    }
    let over = seal(&mut p, "10.01", 9, T0);
    assert_eq!((over.code, over.limit_id.as_deref()), (RelayCode::AllowanceExceeded, Some("outstanding")));
    assert_eq!(p.next_counter(), 3, "a refusal does not use a counter");
    assert_eq!(seal(&mut p, "10.00", 9, T0).code, RelayCode::Sealed);
}

#[test]
fn tokens_out_of_order_within_the_window_and_below_it() {
    let mut p = PaymentPhone::new(&PhoneConfig { device_id: "ph1".into(), allowance: vec![] }).unwrap();
    let mut s = server("1000.00");
    // Tokens 10..=39 go through at once and settle (the phone keeps at most 32 outstanding);
    // the relay holds back 1..=9 and 40.
    let mut held = Vec::new();
    for n in 1..=40u8 {
        let token = seal(&mut p, "0.10", n, T0).token.unwrap();
        if (10..=39).contains(&n) {
            let receipt = s.process(&token, &server_signer(), T0).unwrap().receipt.unwrap();
            assert_eq!(accept(&mut p, &receipt, T0).code, RelayCode::Settled);
            held.push(Vec::new());
        } else {
            held.push(token);
        }
    }
    let tokens = held;
    // Token 40 first, then 9 (inside the window 9..=40), then 8 (40 − 32 = 8: below).
    assert_eq!(s.process(&tokens[39], &server_signer(), T0).unwrap().code, RelayCode::Approved);
    assert_eq!(s.process(&tokens[8], &server_signer(), T0).unwrap().code, RelayCode::Approved);
    let below = s.process(&tokens[7], &server_signer(), T0).unwrap();
    assert_eq!(below.code, RelayCode::CounterBelowWindow);
    // Not final at the phone: the token stays outstanding.
    let outcome = accept(&mut p, &below.receipt.unwrap(), T0);
    assert_eq!(outcome.code, RelayCode::AnswerNotFinal);
    assert_eq!(p.tokens().iter().find(|t| t.counter == 8).unwrap().state, TokenState::Refused);
}

#[test]
fn a_counter_reused_for_other_bytes_is_refused_and_the_first_answer_stands() {
    let mut p = phone();
    let mut restored = PaymentPhone::restore(&p.snapshot(&SNAP_KEY).unwrap(), &SNAP_KEY).unwrap();
    let mut s = server("100.00");
    let first = seal(&mut p, "4.50", 1, T0).token.unwrap();
    // A phone rolled back to an old snapshot signs counter 1 again.
    let second = seal(&mut restored, "9.00", 2, T0).token.unwrap();
    assert_eq!(s.process(&first, &server_signer(), T0).unwrap().code, RelayCode::Approved);
    assert_eq!(s.process(&second, &server_signer(), T0).unwrap().code, RelayCode::CounterReused);
    assert_eq!(s.balance(None, Some("cafe")).unwrap(), "4.50");
}

#[test]
fn declines_are_final_and_stored() {
    let mut p = phone();
    let mut s = server("5.00");
    let token = seal(&mut p, "6.00", 1, T0).token.unwrap();
    let reply = s.process(&token, &server_signer(), T0).unwrap();
    assert_eq!((reply.code, reply.ledger_code.as_deref()), (RelayCode::InsufficientFunds, Some("INSUFFICIENT_FUNDS")));
    let outcome = accept(&mut p, reply.receipt.as_ref().unwrap(), T0);
    assert_eq!((outcome.code, outcome.decision), (RelayCode::Settled, Some(RelayCode::InsufficientFunds)));
    // Funds arriving later do not turn the stored decline into a payment.
    s.fund("ph1", "50.00", T0).unwrap();
    let again = s.process(&token, &server_signer(), T0 + 1).unwrap();
    assert_eq!((again.code, again.replayed), (RelayCode::InsufficientFunds, true));
    assert_eq!(again.receipt, reply.receipt);

    let late = seal(&mut p, "1.00", 2, T0).token.unwrap();
    let expired = s.process(&late, &server_signer(), T0 + 601).unwrap();
    assert_eq!(expired.code, RelayCode::Expired);
    assert_eq!(s.balance(None, Some("cafe")).unwrap(), "0.00");
}

#[test]
fn a_receipt_from_another_key_or_for_another_token_does_not_settle() {
    let mut p = phone();
    let s = server("100.00");
    let token = seal(&mut p, "4.50", 1, T0).token.unwrap();
    let forged_signer = Signer { alg: Alg::EdDSA, key_id: "srv", secret_key: &[5; 32] };
    let forged = s.clone().process(&token, &forged_signer, T0).unwrap().receipt.unwrap();
    assert_eq!(accept(&mut p, &forged, T0).code, RelayCode::BadSignature);
    let mut other = phone();
    let other_token = seal(&mut other, "4.50", 2, T0).token.unwrap();
    let other_receipt = s.clone().process(&other_token, &server_signer(), T0).unwrap().receipt.unwrap();
    // Same device id and counter, other bytes (another nonce): not this phone's token.
    assert_eq!(accept(&mut p, &other_receipt, T0).code, RelayCode::UnknownToken);
    assert_eq!(p.tokens()[0].state, TokenState::Awaiting);
}

#[test]
fn snapshots_restore_the_same_state() {
    let mut p = phone();
    let mut s = server("100.00");
    for n in 0..3 {
        let token = seal(&mut p, "1.00", n, T0).token.unwrap();
        let receipt = s.process(&token, &server_signer(), T0).unwrap().receipt.unwrap();
        if n != 1 {
            accept(&mut p, &receipt, T0);
        }
    }
    let ps = p.snapshot(&SNAP_KEY).unwrap();
    assert_eq!(PaymentPhone::restore(&ps, &SNAP_KEY).unwrap(), p);
    let ss = s.snapshot(&SNAP_KEY).unwrap();
    let restored = TokenServer::restore(&ss, &SNAP_KEY).unwrap();
    assert_eq!(restored.snapshot(&SNAP_KEY).unwrap(), ss);
    let mut tampered = ss.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert!(TokenServer::restore(&tampered, &SNAP_KEY).is_err());
    assert!(PaymentPhone::restore(&ss, &SNAP_KEY).is_err(), "a server snapshot is not a phone's");
}

#[test]
fn bad_input_is_a_typed_error_naming_the_parameter() {
    let mut p = phone();
    let mut request = SealRequest {
        payee: "cafe".into(),
        amount: "1.00".into(),
        currency: "EUR".into(),
        nonce: hex(&[1; 8]),
        now: T0,
        ttl_s: 600,
    };
    let cases: Vec<(Box<dyn Fn(&mut SealRequest)>, &str)> = vec![
        (Box::new(|r| r.payee = "caf é".into()), "request.payee"),
        (Box::new(|r| r.amount = "0".into()), "request.amount"),
        (Box::new(|r| r.amount = "1.001".into()), "request.amount"),
        (Box::new(|r| r.currency = "XXQ".into()), "request.currency"),
        (Box::new(|r| r.nonce = "00".into()), "request.nonce"),
        (Box::new(|r| r.ttl_s = TOKEN_TTL_S_MAX + 1), "request.ttlS"),
        (Box::new(|r| r.now = -1), "request.now"),
    ];
    for (mutate, param) in cases {
        let mut r = request.clone();
        mutate(&mut r);
        let err = p.seal(&r, &phone_signer()).unwrap_err();
        assert_eq!(err.param(), param, "{err:?}");
    }
    request.payee = "cafe".into();
    let wrong_key = Signer { alg: Alg::EdDSA, key_id: "ph2", secret_key: &PHONE_SK };
    assert_eq!(p.seal(&request, &wrong_key).unwrap_err().param(), "keyId");
    assert_eq!(p.next_counter(), 1, "no error used a counter");
}

// ---------------------------------------------------------------------------------------------
// Property test against a model: the phone, a relay that delays, drops, replays and alters, and
// the server. The model is plain arithmetic: which counters were paid, what the wallet holds.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Step {
    /// The phone seals a token of this many cents.
    Seal(u16),
    /// The relay forwards the queued token at this index (modulo the queue).
    Forward(usize),
    /// The relay sends a token again.
    Replay(usize),
    /// The relay flips a byte of a token before sending it.
    Alter(usize, usize),
    /// The phone receives the answer at this index.
    Deliver(usize),
    /// Both sides restart from their snapshots.
    Restart,
    /// Time passes (seconds).
    Wait(u16),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (1u16..2_500).prop_map(Step::Seal),
        3 => any::<usize>().prop_map(Step::Forward),
        1 => any::<usize>().prop_map(Step::Replay),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Step::Alter(a, b)),
        2 => any::<usize>().prop_map(Step::Deliver),
        1 => Just(Step::Restart),
        1 => (1u16..400).prop_map(Step::Wait),
    ]
}

fn cents(units: i64) -> String {
    format!("{}.{:02}", units / 100, units % 100)
}

/// Cases: `PROPTEST_CASES`, else `default` (HACKING.md: every property test reads it).
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(64)))]
    #[test]
    fn phone_relay_server_against_a_model(steps in proptest::collection::vec(step(), 1..60)) {
        let mut p = phone();
        let mut s = server("100.00");
        let mut now = T0;
        // Model.
        let mut wallet: i64 = 10_000;
        let mut paid: std::collections::BTreeMap<u64, i64> = Default::default();
        let mut answered: std::collections::BTreeMap<Vec<u8>, Vec<u8>> = Default::default();
        let mut tokens: Vec<(u64, i64, i64, Vec<u8>)> = Vec::new(); // counter, cents, iat, bytes
        let mut answers: Vec<Vec<u8>> = Vec::new();
        let mut highest: u64 = 0;
        for step in steps {
            match step {
                Step::Seal(c) => {
                    let out = seal(&mut p, &cents(i64::from(c)), (tokens.len() % 256) as u8, now);
                    if out.code == RelayCode::Sealed {
                        tokens.push((out.counter.unwrap(), i64::from(c), now, out.token.unwrap()));
                    }
                }
                Step::Forward(i) | Step::Replay(i) if !tokens.is_empty() => {
                    let (counter, c, iat, bytes) = tokens[i % tokens.len()].clone();
                    let reply = s.process(&bytes, &server_signer(), now).unwrap();
                    let forgotten = counter + COUNTER_WINDOW <= highest;
                    if let (Some(first), false) = (answered.get(&bytes), forgotten) {
                        prop_assert!(reply.replayed);
                        prop_assert_eq!(reply.receipt.as_ref().unwrap(), first);
                    } else if forgotten {
                        prop_assert_eq!(reply.code, RelayCode::CounterBelowWindow);
                    } else {
                        let expected = if now >= iat + 600 {
                            RelayCode::Expired
                        } else if wallet < c {
                            RelayCode::InsufficientFunds
                        } else {
                            RelayCode::Approved
                        };
                        prop_assert_eq!(reply.code, expected);
                        if expected == RelayCode::Approved {
                            wallet -= c;
                            paid.insert(counter, c);
                        }
                        answered.insert(bytes, reply.receipt.clone().unwrap());
                        highest = highest.max(counter);
                    }
                    answers.push(reply.receipt.unwrap());
                }
                Step::Alter(i, at) if !tokens.is_empty() => {
                    let mut bytes = tokens[i % tokens.len()].3.clone();
                    let at = at % bytes.len();
                    bytes[at] ^= 0x40;
                    let reply = s.process(&bytes, &server_signer(), now).unwrap();
                    prop_assert!(reply.receipt.is_none(), "{:?}", reply.code);
                }
                Step::Deliver(i) if !answers.is_empty() => {
                    let out = accept(&mut p, &answers[i % answers.len()], now);
                    prop_assert!(matches!(out.code, RelayCode::Settled | RelayCode::AlreadySettled | RelayCode::UnknownToken | RelayCode::AnswerNotFinal), "{:?}", out.code);
                }
                Step::Restart => {
                    p = PaymentPhone::restore(&p.snapshot(&SNAP_KEY).unwrap(), &SNAP_KEY).unwrap();
                    s = TokenServer::restore(&s.snapshot(&SNAP_KEY).unwrap(), &SNAP_KEY).unwrap();
                }
                Step::Wait(seconds) => now += i64::from(seconds),
                _ => {}
            }
            // Invariants: the server's ledger is the model's, and the phone never promises more
            // than its allowance.
            prop_assert_eq!(s.balance(Some("ph1"), None).unwrap(), cents(wallet));
            prop_assert_eq!(s.balance(None, Some("cafe")).unwrap(), cents(paid.values().sum()));
            let outstanding: i64 = p.tokens().iter().filter(|t| t.state != TokenState::Settled)
                .map(|t| t.amount.replace('.', "").parse::<i64>().unwrap()).sum();
            prop_assert!(outstanding <= 5_000);
            s.ledger().check_invariants().unwrap();
        }
    }
}
