use super::sim::{self, Attack, AttackKind, SimConfig};
use super::*;
use crate::envelope::{self, Alg, Rejection, SealParams, Signer};

const T0: i64 = 1_700_000_000;
const ISSUER_SK: [u8; 32] = [7; 32];

fn signer() -> Signer<'static> {
    Signer { alg: Alg::EdDSA, key_id: "issuer-1", secret_key: &ISSUER_SK }
}
fn issuer() -> IssuerKey {
    IssuerKey { key_id: "issuer-1".into(), public_key: crate::crypto::ed25519::public_key(&ISSUER_SK).unwrap() }
}
fn limits() -> OfflineLimits {
    OfflineLimits { single_max: 5_000, cumulative_max: 20_000, count_max: 10, valid_until: 0 }
}
fn policy() -> Policy {
    Policy {
        limits: limits(),
        validity_s: 86_400,
        counter_window: 100,
        rules: Rules::with_velocity(Velocity { window_s: 3_600, count_max: 8, amount_max: 30_000 }),
    }
}

struct World {
    backend: Backend,
    cards: Vec<Card>,
    shop: Merchant,
}

fn world(n: u8) -> World {
    let mut backend = Backend::new(policy()).unwrap();
    let mut cards = Vec::new();
    for i in 0..n {
        let sk = [i + 1; 32];
        let id = format!("card-{i}");
        let pk = crate::crypto::ed25519::public_key(&sk).unwrap();
        let security = backend.register(&signer(), &id, pk, 10_000, T0).unwrap();
        cards.push(Card::new(&id, &sk, issuer(), &security, T0).unwrap());
    }
    World { backend, cards, shop: Merchant::new("shop-a", issuer()).unwrap() }
}

/// Card `i` pays the merchant and confirms.
fn pay_shop(w: &mut World, i: usize, amount: u64, now: i64) -> Record {
    let payment = w.cards[i].pay("shop-a", amount, now).unwrap().unwrap();
    let ack = w.shop.receive(&payment, now).unwrap();
    assert!(w.cards[i].confirm(&ack));
    payment.record
}

fn sync(w: &mut World, i: usize, now: i64) -> SyncOutcome {
    let request = w.cards[i].sync_request(now).unwrap();
    let outcome = w.backend.sync(&signer(), &request, None, now).unwrap();
    match &outcome {
        SyncOutcome::Clean { security, .. } => assert_eq!(w.cards[i].accept(security, now), Accepted::Security),
        SyncOutcome::Abnormal { instruction, .. } => {
            let accepted = w.cards[i].accept(instruction, now);
            assert!(matches!(accepted, Accepted::Blocked | Accepted::Restricted), "{accepted:?}");
        }
        SyncOutcome::Refused { .. } => {}
    }
    outcome
}

fn codes(outcome: &SyncOutcome) -> Vec<RuleCode> {
    match outcome {
        SyncOutcome::Clean { .. } => vec![],
        SyncOutcome::Abnormal { findings, .. } | SyncOutcome::Refused { findings } => findings.iter().map(|f| f.code).collect(),
    }
}

#[test]
fn offline_payments_settle_and_balances_add_up() {
    let mut w = world(2);
    pay_shop(&mut w, 0, 1_500, T0 + 10);
    let payment = w.cards[0].pay("card-1", 2_000, T0 + 20).unwrap().unwrap();
    let ack = w.cards[1].receive(&payment, T0 + 21).unwrap().unwrap();
    assert!(w.cards[0].confirm(&ack));
    assert_eq!((w.cards[0].available(), w.cards[1].available(), w.cards[1].pending()), (6_500, 10_000, 2_000));
    // Pending value is not spendable until settled.
    assert_eq!(w.cards[1].pay("shop-a", 10_001, T0 + 22).unwrap(), Err(Refusal::OverSingleLimit));
    assert!(w.cards[0].is_consistent() && w.cards[1].is_consistent());
    assert!(matches!(sync(&mut w, 0, T0 + 100), SyncOutcome::Clean { debited: 3_500, credited: 0, .. }));
    assert!(matches!(sync(&mut w, 1, T0 + 100), SyncOutcome::Clean { debited: 0, credited: 2_000, .. }));
    assert_eq!((w.cards[1].available(), w.cards[1].pending()), (12_000, 0));
    let deposit = w.shop.take_deposit();
    assert_eq!(w.backend.deposit("shop-a", &deposit).unwrap(), (1_500, vec![]));
    assert_eq!(w.backend.total(), 20_000);
    assert_eq!(w.cards[0].log().len(), 0);
    // Receiving a payment twice answers with the same ack and credits once.
    let mut w = world(2);
    let payment = w.cards[0].pay("card-1", 700, T0 + 1).unwrap().unwrap();
    let a1 = w.cards[1].receive(&payment, T0 + 1).unwrap().unwrap();
    let a2 = w.cards[1].receive(&payment, T0 + 2).unwrap().unwrap();
    assert_eq!(a1, a2);
    assert_eq!(w.cards[1].pending(), 700);
}

#[test]
fn card_refuses_offline_payments_in_check_order() {
    let mut w = world(1);
    assert_eq!(w.cards[0].pay("shop-a", 5_001, T0).unwrap(), Err(Refusal::OverSingleLimit));
    assert_eq!(w.cards[0].pay("shop-a", 10, T0 + 86_400).unwrap(), Err(Refusal::SecurityExpired));
    let reserved = w.cards[0].pay("shop-a", 10, T0).unwrap().unwrap();
    assert_eq!(w.cards[0].pay("shop-a", 10, T0).unwrap(), Err(Refusal::SendInProgress));
    assert!(!w.cards[0].confirm(&[0; 32]), "a wrong ack confirms nothing");
    assert!(w.cards[0].confirm(&reserved.record.hash()));
    let p = w.cards[0].pay("shop-a", 5_000, T0).unwrap().unwrap();
    w.cards[0].confirm(&p.record.hash());
    // 5,010 spent of 10,000: within every limit, but the funds run out.
    assert_eq!(w.cards[0].pay("shop-a", 5_000, T0).unwrap(), Err(Refusal::InsufficientFunds));
    assert_eq!(w.cards[0].pay("card-0", 1, T0).unwrap_err().param(), "payee");
    assert_eq!(w.cards[0].pay("shop-a", 0, T0).unwrap_err().param(), "amount");
    assert_eq!(w.cards[0].pay("Shop", 1, T0).unwrap_err().param(), "payee");
}

#[test]
fn limits_count_and_cumulative() {
    let mut w = world(2);
    // Give card 0 more value so only the limits bind.
    for _ in 0..5 {
        let p = w.cards[1].pay("card-0", 2_000, T0).unwrap().unwrap();
        let ack = w.cards[0].receive(&p, T0).unwrap().unwrap();
        w.cards[1].confirm(&ack);
    }
    sync(&mut w, 0, T0 + 1);
    assert_eq!(w.cards[0].available(), 20_000);
    for _ in 0..4 {
        pay_shop(&mut w, 0, 5_000, T0 + 2);
    }
    assert_eq!(w.cards[0].pay("shop-a", 1, T0 + 2).unwrap(), Err(Refusal::OverCumulativeLimit));
    let mut w = world(1);
    for _ in 0..10 {
        pay_shop(&mut w, 0, 1, T0);
    }
    assert_eq!(w.cards[0].pay("shop-a", 1, T0).unwrap(), Err(Refusal::OverCountLimit));
}

/// Every step of a send and a receive is interrupted, in both ways a crash can fall: *during*
/// the step (its write is lost: the saved state is the one before it) and *after* it (the write
/// is kept, the process restarts from it). After the crash the flow recovers from the saved
/// state alone. The value in the system — available of both, pending of the payee, and every
/// signed send the payee has not received — is the same at every point, and after both cards
/// come online the back-end's total is the opening total and the payee has the money.
#[test]
fn crash_at_every_step_neither_creates_nor_loses_value() {
    fn value(payer: &Card, payee: &Card) -> u64 {
        let received: Vec<Hash> = payee.log().iter().filter_map(|e| e.payment.as_ref().map(Record::hash)).collect();
        let mut unreceived: Vec<&Record> = payer.log().iter().map(|e| &e.record).filter(|r| r.kind == RecordKind::Send).collect();
        let reserved = payer.reserved_payment();
        unreceived.extend(reserved.as_ref().map(|p| &p.record));
        let in_flight: u64 = unreceived.iter().filter(|r| !received.contains(&r.hash())).map(|r| r.amount).sum();
        payer.available() + payee.available() + payee.pending() + in_flight
    }
    /// Step `i` of the flow, from what is saved: 0 reserve, 1 receive, 2 confirm.
    fn step(i: usize, payer: &mut Card, payee: &mut Card) {
        match i {
            0 => {
                payer.pay("card-1", 2_500, T0 + 5).unwrap().unwrap();
            }
            1 => {
                // After a restart the payer still holds the same signed bytes to deliver.
                let p = payer.reserved_payment().unwrap();
                payee.receive(&p, T0 + 6).unwrap().unwrap();
            }
            _ => {
                // The ack is the payment's hash: the payer needs nothing from the payee's memory.
                let p = payer.reserved_payment().unwrap();
                assert!(payer.confirm(&p.record.hash()));
            }
        }
    }
    for crash_at in 0..3 {
        for write_lost in [true, false] {
            let mut w = world(2);
            let total = value(&w.cards[0], &w.cards[1]);
            let mut saved = (w.cards[0].clone(), w.cards[1].clone());
            for i in 0..3 {
                let mut memory = saved.clone();
                step(i, &mut memory.0, &mut memory.1);
                if i == crash_at && write_lost {
                    assert_eq!(value(&saved.0, &saved.1), total, "crash during step {i}");
                    // Restart from the saved state and do the step again.
                    memory = saved.clone();
                    step(i, &mut memory.0, &mut memory.1);
                }
                saved = memory;
                assert_eq!(value(&saved.0, &saved.1), total, "crash {crash_at} (lost {write_lost}), after step {i}");
                assert!(saved.0.is_consistent() && saved.1.is_consistent());
                if i == crash_at && !write_lost {
                    // Restarted after the write: redelivering is harmless (idempotent receive).
                    if let Some(p) = saved.0.reserved_payment() {
                        if i >= 1 {
                            saved.1.receive(&p, T0 + 7).unwrap().unwrap();
                        }
                    }
                    assert_eq!(value(&saved.0, &saved.1), total);
                }
            }
            w.cards[0] = saved.0;
            w.cards[1] = saved.1;
            assert!(matches!(sync(&mut w, 0, T0 + 50), SyncOutcome::Clean { debited: 2_500, .. }));
            assert!(matches!(sync(&mut w, 1, T0 + 50), SyncOutcome::Clean { credited: 2_500, .. }));
            assert_eq!(w.backend.total(), 20_000);
            assert_eq!((w.cards[0].available(), w.cards[1].available()), (7_500, 12_500));
        }
    }
    // A send that was reserved and never delivered is still a send at the back-end: the payer
    // cannot spend it again, and the payee can claim it later with the signed record.
    let mut w = world(2);
    let p = w.cards[0].pay("card-1", 1_000, T0).unwrap().unwrap();
    assert!(matches!(sync(&mut w, 0, T0 + 1), SyncOutcome::Clean { debited: 1_000, .. }));
    assert_eq!((w.cards[0].available(), w.cards[0].reserved()), (9_000, 0));
    w.cards[1].receive(&p, T0 + 2).unwrap().unwrap();
    assert!(matches!(sync(&mut w, 1, T0 + 3), SyncOutcome::Clean { credited: 1_000, .. }));
    assert_eq!(w.backend.total(), 20_000);
}

#[test]
fn security_information_is_checked_before_it_is_accepted() {
    let mut w = world(2);
    let request = w.cards[0].sync_request(T0 + 1).unwrap();
    let SyncOutcome::Clean { security, .. } = w.backend.sync(&signer(), &request, None, T0 + 1).unwrap() else { panic!() };
    let before = w.cards[0].clone();
    // Tampered.
    let mut bad = security.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert_eq!(w.cards[0].accept(&bad, T0 + 2), Accepted::Rejected(Rejection::BadSignature));
    // Expired.
    assert_eq!(w.cards[0].accept(&security, T0 + 1 + 86_400), Accepted::Rejected(Rejection::Expired));
    // For another card.
    assert_eq!(w.cards[1].accept(&security, T0 + 2), Accepted::Unfit("WRONG_CARD"));
    assert_eq!(w.cards[0], before, "nothing changed by a refused envelope");
    assert_eq!(w.cards[0].accept(&security, T0 + 2), Accepted::Security);
    // Replayed (its version is no longer newer).
    assert_eq!(w.cards[0].accept(&security, T0 + 3), Accepted::Rejected(Rejection::Replayed));
    // Another key, another type.
    let other = envelope::seal(&SealParams {
        alg: Alg::EdDSA, secret_key: &[9; 32], key_id: "issuer-1", msg_type: SECURITY_TYPE, version: 1,
        seq: 99, issued_at: T0, expires_at: T0 + 10_000, payload: b"",
    }).unwrap();
    assert_eq!(w.cards[0].accept(&other, T0 + 3), Accepted::Rejected(Rejection::BadSignature));
    let wrong_type = envelope::seal(&SealParams {
        alg: Alg::EdDSA, secret_key: &ISSUER_SK, key_id: "issuer-1", msg_type: "ecash.other", version: 1,
        seq: 99, issued_at: T0, expires_at: T0 + 10_000, payload: b"",
    }).unwrap();
    assert_eq!(w.cards[0].accept(&wrong_type, T0 + 3), Accepted::Rejected(Rejection::WrongType));
}

#[test]
fn key_roll_moves_the_card_to_the_new_issuer_key() {
    let mut w = world(1);
    let new_sk = [42u8; 32];
    let roll = KeyRoll { key_id: "issuer-2".into(), public_key: crate::crypto::ed25519::public_key(&new_sk).unwrap() };
    let request = w.cards[0].sync_request(T0 + 1).unwrap();
    let SyncOutcome::Clean { security, .. } = w.backend.sync(&signer(), &request, Some(roll), T0 + 1).unwrap() else { panic!() };
    assert_eq!(w.cards[0].accept(&security, T0 + 1), Accepted::Security);
    let request = w.cards[0].sync_request(T0 + 2).unwrap();
    let SyncOutcome::Clean { security, .. } = w.backend.sync(&signer(), &request, None, T0 + 2).unwrap() else { panic!() };
    assert_eq!(w.cards[0].accept(&security, T0 + 2), Accepted::Rejected(Rejection::UnknownKey), "the old key is no longer trusted");
    let new_signer = Signer { alg: Alg::EdDSA, key_id: "issuer-2", secret_key: &new_sk };
    let request = w.cards[0].sync_request(T0 + 3).unwrap();
    let SyncOutcome::Clean { security, .. } = w.backend.sync(&new_signer, &request, None, T0 + 3).unwrap() else { panic!() };
    assert_eq!(w.cards[0].accept(&security, T0 + 3), Accepted::Security);
}

#[test]
fn each_rule_fires_with_its_evidence_and_not_without_the_attack() {
    // Clean baseline: nothing found.
    let mut w = world(2);
    pay_shop(&mut w, 0, 100, T0 + 1);
    assert!(codes(&sync(&mut w, 0, T0 + 2)).is_empty());

    // BAD_SIGNATURE: a record altered after signing.
    let mut w = world(1);
    pay_shop(&mut w, 0, 100, T0 + 1);
    let mut request = w.cards[0].sync_request(T0 + 2).unwrap();
    request.entries[0].record.amount = 1;
    request.signature = crate::crypto::ed25519::sign(&[1; 32], &request.signed_bytes()).unwrap();
    let outcome = w.backend.sync(&signer(), &request, None, T0 + 2).unwrap();
    let SyncOutcome::Refused { findings } = outcome else { panic!("{outcome:?}") };
    assert_eq!((findings[0].code, &findings[0].evidence), (RuleCode::BadSignature, &Evidence::Counter(1)));
    assert_eq!(w.backend.balance("card-0"), Some(10_000), "a refused sync changes nothing");

    // COUNTER_GAP: a record left out of the log (it is re-signed into a consistent chain by the
    // card's own key: only the counters betray it).
    let mut w = world(1);
    pay_shop(&mut w, 0, 100, T0 + 1);
    pay_shop(&mut w, 0, 100, T0 + 1);
    let mut request = w.cards[0].sync_request(T0 + 2).unwrap();
    let second = &request.entries[1].record;
    let forged = Record::sign(&[1; 32], RecordKind::Send, "card-0", 2, 100, "shop-a", T0 + 1, genesis_hash("card-0"), [0; 32]).unwrap();
    assert_eq!(second.counter, forged.counter);
    request.entries = vec![LogEntry { record: forged, payment: None }];
    request.signature = crate::crypto::ed25519::sign(&[1; 32], &request.signed_bytes()).unwrap();
    let outcome = w.backend.sync(&signer(), &request, None, T0 + 2).unwrap();
    let SyncOutcome::Abnormal { findings, .. } = outcome else { panic!("{outcome:?}") };
    assert_eq!((findings[0].code, &findings[0].evidence), (RuleCode::CounterGap, &Evidence::Gap { expected: 1, found: 2 }));

    // CHAIN_BROKEN: counters right, prev hash wrong.
    let mut w = world(1);
    pay_shop(&mut w, 0, 100, T0 + 1);
    let mut request = w.cards[0].sync_request(T0 + 2).unwrap();
    request.entries[0].record = Record::sign(&[1; 32], RecordKind::Send, "card-0", 1, 100, "shop-a", T0 + 1, [5; 32], [0; 32]).unwrap();
    request.signature = crate::crypto::ed25519::sign(&[1; 32], &request.signed_bytes()).unwrap();
    let SyncOutcome::Abnormal { findings, .. } = w.backend.sync(&signer(), &request, None, T0 + 2).unwrap() else { panic!() };
    assert_eq!((findings[0].code, &findings[0].evidence), (RuleCode::ChainBroken, &Evidence::Counter(1)));

    // REPLAYED_COUNTER: a relay sends the same request again; the card is not flagged.
    let mut w = world(1);
    pay_shop(&mut w, 0, 100, T0 + 1);
    let request = w.cards[0].sync_request(T0 + 2).unwrap();
    assert!(matches!(w.backend.sync(&signer(), &request, None, T0 + 2).unwrap(), SyncOutcome::Clean { .. }));
    let SyncOutcome::Refused { findings } = w.backend.sync(&signer(), &request, None, T0 + 3).unwrap() else { panic!() };
    assert_eq!((findings[0].code, &findings[0].evidence), (RuleCode::ReplayedCounter, &Evidence::Replayed { time: T0 + 2, last_time: T0 + 2 }));
    assert_eq!(w.backend.status("card-0"), None);
    // ...and the card that lost the answer to that sync asks again with a new request: clean.
    assert!(codes(&sync(&mut w, 0, T0 + 4)).is_empty());
    assert_eq!(w.cards[0].available(), 9_900);

    // ROLLBACK: the card restored to a state two syncs old.
    let mut w = world(1);
    let old = w.cards[0].clone();
    pay_shop(&mut w, 0, 100, T0 + 1);
    sync(&mut w, 0, T0 + 2);
    pay_shop(&mut w, 0, 100, T0 + 3);
    sync(&mut w, 0, T0 + 4);
    w.cards[0] = old;
    let outcome = sync(&mut w, 0, T0 + 5);
    assert!(codes(&outcome).contains(&RuleCode::Rollback), "{outcome:?}");
    let SyncOutcome::Abnormal { findings, .. } = &outcome else { panic!() };
    assert_eq!(findings[0].evidence, Evidence::Rollback { card_base: 0, card_seq: 1, synced: 2, seq: 3 });
    assert!(w.cards[0].is_blocked());

    // CLONED_CARD and DOUBLE_SPEND: a twin spends the same counter elsewhere and comes online.
    let mut w = world(1);
    let mut twin = w.cards[0].clone();
    let r1 = pay_shop(&mut w, 0, 100, T0 + 1);
    sync(&mut w, 0, T0 + 2);
    let p2 = twin.pay("shop-b", 300, T0 + 1).unwrap().unwrap();
    twin.confirm(&p2.record.hash());
    let request = twin.sync_request(T0 + 3).unwrap();
    let outcome = w.backend.sync(&signer(), &request, None, T0 + 3).unwrap();
    let SyncOutcome::Abnormal { findings, .. } = &outcome else { panic!("{outcome:?}") };
    let found: Vec<RuleCode> = findings.iter().map(|f| f.code).collect();
    assert_eq!(found, vec![RuleCode::ClonedCard, RuleCode::DoubleSpend]);
    let Evidence::DoubleSpend(proof) = &findings[1].evidence else { panic!() };
    assert_eq!((&proof.first, &proof.second), (&r1, &p2.record));
    let card_key = crate::crypto::ed25519::public_key(&[1; 32]).unwrap();
    let portable = DoubleSpendProof::decode(&proof.encode()).unwrap();
    assert!(portable.verify(&card_key), "anyone with the card's key can check the proof");
    assert!(!portable.verify(&crate::crypto::ed25519::public_key(&[2; 32]).unwrap()));
    let same = DoubleSpendProof { first: r1.clone(), second: r1.clone() };
    assert!(!same.verify(&card_key), "one record twice proves nothing");

    // DOUBLE_SPEND from deposits alone, while the card is still offline.
    let mut w = world(1);
    let mut fork = w.cards[0].clone();
    let r1 = pay_shop(&mut w, 0, 100, T0 + 1);
    let r2 = fork.pay("shop-b", 100, T0 + 1).unwrap().unwrap().record;
    assert!(w.backend.deposit("shop-a", &[r1]).unwrap().1.is_empty());
    let (credited, findings) = w.backend.deposit("shop-b", &[r2]).unwrap();
    assert_eq!((credited, findings[0].code, findings[0].subject.as_str()), (100, RuleCode::DoubleSpend, "card-0"));
    assert_eq!(w.backend.status("card-0"), Some(Action::Block));
    assert_eq!(w.backend.absorbed(), 100);
    // The card gets its block instruction when it comes online.
    assert!(matches!(sync(&mut w, 0, T0 + 5), SyncOutcome::Abnormal { .. }));
    assert!(w.cards[0].is_blocked());
    assert_eq!(w.cards[0].pay("shop-a", 1, T0 + 6).unwrap(), Err(Refusal::CardBlocked));

    // BALANCE_MISMATCH: a card whose balance was raised in memory.
    let mut w = world(1);
    pay_shop(&mut w, 0, 100, T0 + 1);
    let mut request = w.cards[0].sync_request(T0 + 2).unwrap();
    request.available += 5_000;
    request.signature = crate::crypto::ed25519::sign(&[1; 32], &request.signed_bytes()).unwrap();
    let SyncOutcome::Abnormal { findings, .. } = w.backend.sync(&signer(), &request, None, T0 + 2).unwrap() else { panic!() };
    assert_eq!(findings[0].evidence, Evidence::Balance { expected_available: 9_900, reported_available: 14_900, expected_pending: 0, reported_pending: 0 });

    // OFFLINE_LIMIT_EXCEEDED: a firmware that ignores the single limit.
    let mut w = world(1);
    let r = Record::sign(&[1; 32], RecordKind::Send, "card-0", 1, 6_000, "shop-a", T0 + 1, genesis_hash("card-0"), [0; 32]).unwrap();
    let mut request = w.cards[0].sync_request(T0 + 2).unwrap();
    request.entries = vec![LogEntry { record: r, payment: None }];
    request.counter = 1;
    request.available = 4_000;
    request.signature = crate::crypto::ed25519::sign(&[1; 32], &request.signed_bytes()).unwrap();
    let SyncOutcome::Abnormal { findings, .. } = w.backend.sync(&signer(), &request, None, T0 + 2).unwrap() else { panic!() };
    assert_eq!((findings[0].code, &findings[0].evidence), (RuleCode::OfflineLimitExceeded, &Evidence::Limit { counter: 1, limit: LimitName::Single }));

    // VELOCITY: nine sends within the hour (limit 8) — restrict, not block.
    let mut w = world(2);
    for k in 0..9 {
        pay_shop(&mut w, 0, 10, T0 + 1 + k);
    }
    let outcome = sync(&mut w, 0, T0 + 100);
    let SyncOutcome::Abnormal { findings, .. } = &outcome else { panic!("{outcome:?}") };
    assert_eq!((findings[0].code, findings[0].action, &findings[0].evidence), (RuleCode::Velocity, Action::Restrict, &Evidence::Window { start: T0 + 1, count: 9, amount: 90 }));
    assert!(w.cards[0].is_restricted());
    assert_eq!(w.cards[0].pay("shop-a", 1, T0 + 101).unwrap(), Err(Refusal::SecurityExpired));
    // Eight sends spread over the day are not velocity.
    let mut w = world(1);
    for k in 0..8 {
        pay_shop(&mut w, 0, 10, T0 + 1 + k * 4_000);
    }
    assert!(codes(&sync(&mut w, 0, T0 + 40_000)).is_empty());

    // WRONG_PAYEE and REPLAYED_COUNTER on deposits.
    let mut w = world(1);
    let r = pay_shop(&mut w, 0, 100, T0 + 1);
    let (_, f) = w.backend.deposit("shop-b", &[r.clone()]).unwrap();
    assert_eq!((f[0].code, f[0].subject.as_str()), (RuleCode::WrongPayee, "shop-b"));
    assert_eq!(w.backend.deposit("shop-a", &[r.clone()]).unwrap(), (100, vec![]));
    let (credited, f) = w.backend.deposit("shop-a", &[r]).unwrap();
    assert_eq!((credited, f[0].code), (0, RuleCode::ReplayedCounter));
    assert_eq!(w.backend.status("card-0"), None);
}

#[test]
fn rules_are_data() {
    let mut p = policy();
    p.rules.actions.insert(RuleCode::Velocity, Action::Reject);
    let mut w = world(1);
    w.backend = Backend::new(p).unwrap();
    let pk = w.cards[0].public_key();
    let security = w.backend.register(&signer(), "card-0", pk, 10_000, T0).unwrap();
    w.cards[0] = Card::new("card-0", &[1; 32], issuer(), &security, T0).unwrap();
    for k in 0..9 {
        pay_shop(&mut w, 0, 10, T0 + 1 + k);
    }
    assert!(matches!(sync(&mut w, 0, T0 + 100), SyncOutcome::Refused { .. }));
    assert_eq!(w.backend.status("card-0"), None);
}

#[test]
fn payees_refuse_bad_payments_offline() {
    let mut w = world(2);
    let p = w.cards[0].pay("shop-a", 100, T0).unwrap().unwrap();
    let mut other = Merchant::new("shop-b", issuer()).unwrap();
    assert_eq!(other.receive(&p, T0), Err(Refusal::WrongPayee));
    let mut tampered = p.clone();
    tampered.record.amount = 50;
    assert_eq!(w.shop.receive(&tampered, T0), Err(Refusal::BadSignature));
    let mut no_security = p.clone();
    no_security.security = vec![1, 2, 3];
    assert_eq!(w.shop.receive(&no_security, T0), Err(Refusal::PayerSecurityInvalid));
    assert_eq!(w.shop.receive(&p, T0 + 86_400), Err(Refusal::PayerSecurityInvalid), "expired security information");
    w.shop.set_blocklist(vec!["card-0".into()]).unwrap();
    assert_eq!(w.shop.receive(&p, T0), Err(Refusal::PayerBlocked));
    w.shop.set_blocklist(vec![]).unwrap();
    assert!(w.shop.receive(&p, T0).is_ok());
    let mut fork = w.cards[0].clone();
    fork.confirm(&p.record.hash());
    let mut fork2 = Card::clone(&w.cards[0]);
    let _ = &mut fork2;
    // The same counter again to the same shop: refused offline.
    let mut before = world(2).cards[0].clone();
    let p2 = before.pay("shop-a", 200, T0).unwrap().unwrap();
    assert_eq!(w.shop.receive(&p2, T0), Err(Refusal::DoubleSpend));
}

#[test]
fn wire_forms_round_trip_and_reject_garbage() {
    let mut w = world(2);
    pay_shop(&mut w, 0, 100, T0 + 1);
    let p = w.cards[1].pay("card-0", 300, T0 + 1).unwrap().unwrap();
    w.cards[0].receive(&p, T0 + 1).unwrap().unwrap();
    assert_eq!(Payment::decode(&p.encode()).unwrap(), p);
    let request = w.cards[0].sync_request(T0 + 2).unwrap();
    let bytes = request.encode();
    assert_eq!(SyncRequest::decode(&bytes).unwrap(), request);
    for cut in 0..bytes.len() {
        assert!(SyncRequest::decode(&bytes[..cut]).is_err());
    }
    let mut long = bytes.clone();
    long.push(0);
    assert_eq!(SyncRequest::decode(&long).unwrap_err().param(), "request");
    let record = &request.entries[0].record;
    assert_eq!(Record::decode(&record.encode()).unwrap(), *record);
    let security = w.cards[0].security().clone();
    assert_eq!(Security::decode(&security.encode()).unwrap(), security);
    let instruction = Instruction { card: "card-0".into(), action: Action::Block, codes: vec![RuleCode::DoubleSpend, RuleCode::WrongPayee] };
    assert_eq!(Instruction::decode(&instruction.encode()).unwrap(), instruction);
    assert_eq!(RuleCode::from_byte(7), Some(RuleCode::DoubleSpend));
    assert_eq!(RuleCode::from_byte(0), None);
    assert_eq!(RuleCode::from_byte(12), None);
}

fn sim_config(attacks: Vec<Attack>) -> SimConfig {
    SimConfig {
        seed: 7,
        cards: 40,
        merchants: 5,
        steps: 40,
        step_s: 600,
        offline_steps: 6,
        pay_percent: 30,
        opening_balance: 50_000,
        limits: OfflineLimits { single_max: 2_000, cumulative_max: 10_000, count_max: 12, valid_until: 0 },
        validity_s: 86_400,
        attacks,
    }
}

#[test]
fn simulator_detects_every_attack_and_flags_no_honest_card() {
    let attacks = vec![
        Attack { kind: AttackKind::Clone, card: 3, step: 2 },
        Attack { kind: AttackKind::Replay, card: 5, step: 1 },
        Attack { kind: AttackKind::Rollback, card: 7, step: 0 },
        Attack { kind: AttackKind::DoubleSpend, card: 9, step: 4 },
        Attack { kind: AttackKind::Relay, card: 11, step: 3 },
    ];
    let report = sim::run(&sim_config(attacks.clone())).unwrap();
    for r in &report.attacks {
        assert!(r.detected, "{r:?}");
        let expected: &[RuleCode] = match r.attack.kind {
            AttackKind::Clone => &[RuleCode::DoubleSpend, RuleCode::ClonedCard],
            AttackKind::Replay => &[RuleCode::ReplayedCounter],
            AttackKind::Rollback => &[RuleCode::Rollback, RuleCode::ClonedCard, RuleCode::DoubleSpend],
            AttackKind::DoubleSpend => &[RuleCode::DoubleSpend],
            AttackKind::Relay => &[RuleCode::WrongPayee],
        };
        assert!(expected.contains(&r.code.unwrap()), "{r:?}");
        assert!(r.seconds_to_detection.unwrap() >= 0);
    }
    assert_eq!(report.detection_per_mille, 1000);
    assert!(report.honest_flagged.is_empty(), "{:?}", report.honest_flagged);
    assert!(report.payments > 100);
    assert_eq!(report.value_at_risk_by_step.len(), 40);
    assert_eq!(report.value_at_risk_by_step.last(), Some(&0), "everything detected by the end");
    assert!(report.value_at_risk_by_step.iter().any(|&v| v > 0), "value was at risk before detection");
    // Deterministic from the seed; another seed gives another run.
    assert_eq!(sim::run(&sim_config(attacks.clone())).unwrap(), report);
    let mut other = sim_config(attacks);
    other.seed = 8;
    assert_ne!(sim::run(&other).unwrap().payments, report.payments);
    // No attacks: nothing flagged at all.
    let quiet = sim::run(&sim_config(vec![])).unwrap();
    assert!(quiet.honest_flagged.is_empty());
    assert_eq!(quiet.detection_per_mille, 1000);
}

#[test]
fn simulator_rejects_bad_configs_naming_the_field() {
    let mut c = sim_config(vec![]);
    c.cards = 1;
    assert_eq!(sim::run(&c).unwrap_err().param(), "cards");
    let c = sim_config(vec![Attack { kind: AttackKind::Clone, card: 40, step: 0 }]);
    assert_eq!(sim::run(&c).unwrap_err().param(), "attacks.card");
    let c = sim_config(vec![Attack { kind: AttackKind::Clone, card: 1, step: 0 }, Attack { kind: AttackKind::Relay, card: 1, step: 0 }]);
    assert_eq!(sim::run(&c).unwrap_err().param(), "attacks.card");
}

#[test]
fn snapshots_restore_cards_and_backends_exactly() {
    let key = [3u8; 32];
    let mut w = world(2);
    pay_shop(&mut w, 0, 100, T0 + 1);
    let p = w.cards[1].pay("card-0", 300, T0 + 2).unwrap().unwrap();
    w.cards[0].receive(&p, T0 + 2).unwrap().unwrap();
    let reserved = w.cards[0].pay("shop-a", 5, T0 + 3).unwrap().unwrap();
    let bytes = w.cards[0].snapshot(&key).unwrap();
    let restored = Card::restore(&bytes, &key).unwrap();
    assert_eq!(restored, w.cards[0]);
    assert_eq!(restored.reserved_payment(), Some(reserved));
    assert_eq!(Card::restore(&bytes, &[4; 32]).unwrap_err().code(), crate::ErrorCode::SnapshotInvalid);
    for cut in [0, 10, bytes.len() / 2, bytes.len() - 1] {
        assert!(Card::restore(&bytes[..cut], &key).is_err());
    }
    sync(&mut w, 0, T0 + 10);
    let (_, _) = w.backend.deposit("shop-a", &w.shop.take_deposit()).unwrap();
    let bytes = w.backend.snapshot(&key).unwrap();
    let restored = Backend::restore(&bytes, &key).unwrap();
    assert_eq!(restored, w.backend);
    // The restored back-end goes on deciding as the original would.
    let request = w.cards[1].sync_request(T0 + 20).unwrap();
    let mut a = w.backend.clone();
    let mut b = restored;
    assert_eq!(a.sync(&signer(), &request, None, T0 + 20).unwrap(), b.sync(&signer(), &request, None, T0 + 20).unwrap());
}

#[test]
fn the_backend_revision_moves_with_every_change_and_only_then() {
    let mut w = world(2);
    let mut last = w.backend.revision();
    let mut moved = |b: &Backend, expect: bool| {
        let now = b.revision();
        assert_eq!(now > last, expect, "revision {last} -> {now}");
        assert!(now >= last);
        last = now;
    };
    let r = pay_shop(&mut w, 0, 100, T0 + 1);
    moved(&w.backend, false);
    sync(&mut w, 0, T0 + 2);
    moved(&w.backend, true);
    let request = w.cards[0].sync_request(T0 + 2).unwrap();
    let _ = w.backend.sync(&signer(), &request, None, T0 + 2).unwrap(); // refused: a replay
    moved(&w.backend, false);
    w.backend.deposit("shop-b", &[r.clone()]).unwrap(); // refused: wrong payee
    moved(&w.backend, false);
    w.backend.deposit("shop-a", &[r]).unwrap();
    moved(&w.backend, true);
}
