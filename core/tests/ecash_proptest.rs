//! Property test of System 6 (ecash) against a small reference model: random honest days of
//! offline payments (card to card, card to merchant, some never delivered), cards coming online
//! in random order, merchants depositing. The model is a plain map of who owns what:
//! - value is conserved: the back-end's settled balances + merchant deposits + what is still
//!   offline (sent but not yet settled on the payer's side, or received but not yet credited)
//!   is always the opening total, and after everyone syncs twice and deposits, the back-end's
//!   total is exactly the opening total;
//! - every card's available balance equals the model's (opening − its sends + its settled
//!   receipts), and no honest card or merchant is ever flagged.

use std::collections::BTreeMap;

use countersign_core::ecash::*;
use countersign_core::envelope::{Alg, Signer};
use proptest::prelude::*;

const ISSUER_SK: [u8; 32] = [7; 32];
const T0: i64 = 1_700_000_000;
const CARDS: usize = 4;
const OPENING: u64 = 10_000;

#[derive(Debug, Clone)]
enum Op {
    /// Card pays another card (`to < CARDS`) or a merchant; `deliver` false: the payee never gets it.
    Pay { from: usize, to: usize, amount: u64, deliver: bool },
    Sync { card: usize },
    Deposit { merchant: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..CARDS, 0..CARDS + 2, 1u64..3_000, prop::bool::weighted(0.9)).prop_map(|(from, to, amount, deliver)| Op::Pay { from, to, amount, deliver }),
        2 => (0..CARDS).prop_map(|card| Op::Sync { card }),
        1 => (0..2usize).prop_map(|merchant| Op::Deposit { merchant }),
    ]
}

fn signer() -> Signer<'static> {
    Signer { alg: Alg::EdDSA, key_id: "issuer-1", secret_key: &ISSUER_SK }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn honest_days_conserve_value_and_flag_nobody(ops in prop::collection::vec(op(), 1..60)) {
        let issuer = IssuerKey { key_id: "issuer-1".into(), public_key: countersign_core::crypto::ed25519::public_key(&ISSUER_SK).unwrap() };
        let mut backend = Backend::new(Policy {
            limits: OfflineLimits { single_max: 3_000, cumulative_max: 9_000, count_max: 8, valid_until: 0 },
            validity_s: 86_400,
            counter_window: 64,
            rules: Rules::with_velocity(Velocity { window_s: 60, count_max: 100, amount_max: 1_000_000 }),
        }).unwrap();
        let mut cards = Vec::new();
        for i in 0..CARDS {
            let sk = [i as u8 + 1; 32];
            let id = format!("card-{i}");
            let security = backend.register(&signer(), &id, countersign_core::crypto::ed25519::public_key(&sk).unwrap(), OPENING, T0).unwrap();
            cards.push(Card::new(&id, &sk, issuer.clone(), &security, T0).unwrap());
        }
        let mut shops = vec![Merchant::new("shop-0", issuer.clone()).unwrap(), Merchant::new("shop-1", issuer.clone()).unwrap()];
        // The model: each card's spendable value as the issuer will see it once everything settles.
        let mut model: BTreeMap<usize, i128> = (0..CARDS).map(|i| (i, OPENING as i128)).collect();
        let mut merchant_model = [0i128; 2];
        // Signed records that never reached their payee: paid by the payer, owned by nobody yet.
        let mut undelivered: i128 = 0;
        let mut now = T0;
        let all_sync = |cards: &mut Vec<Card>, backend: &mut Backend, now: &mut i64| {
            for c in cards.iter_mut() {
                *now += 1;
                let request = c.sync_request(*now).unwrap();
                match backend.sync(&signer(), &request, None, *now).unwrap() {
                    SyncOutcome::Clean { security, .. } => { prop_assert_eq!(c.accept(&security, *now), Accepted::Security); }
                    other => prop_assert!(false, "an honest card was flagged: {:?}", other),
                }
            }
            Ok(())
        };
        for op in ops {
            now += 7;
            match op {
                Op::Pay { from, to, amount, deliver } => {
                    if to == from { continue; }
                    let payee = if to < CARDS { format!("card-{to}") } else { format!("shop-{}", to - CARDS) };
                    let Ok(payment) = cards[from].pay(&payee, amount, now).unwrap() else { continue };
                    *model.get_mut(&from).unwrap() -= amount as i128;
                    if !deliver { undelivered += amount as i128; continue; }
                    let ack = if to < CARDS { cards[to].receive(&payment, now).unwrap() } else { shops[to - CARDS].receive(&payment, now) };
                    match ack {
                        Ok(ack) => {
                            prop_assert!(cards[from].confirm(&ack));
                            if to < CARDS { *model.get_mut(&to).unwrap() += amount as i128; } else { merchant_model[to - CARDS] += amount as i128; }
                        }
                        // A payee that refuses (its log full, its window used): the record stays
                        // signed and undelivered, as in a lost delivery.
                        Err(_) => undelivered += amount as i128,
                    }
                }
                Op::Sync { card } => {
                    let request = cards[card].sync_request(now).unwrap();
                    match backend.sync(&signer(), &request, None, now).unwrap() {
                        SyncOutcome::Clean { security, .. } => { prop_assert_eq!(cards[card].accept(&security, now), Accepted::Security); }
                        other => prop_assert!(false, "an honest card was flagged: {:?}", other),
                    }
                }
                Op::Deposit { merchant } => {
                    let records = shops[merchant].take_deposit();
                    let (_, findings) = backend.deposit(shops[merchant].id(), &records).unwrap();
                    prop_assert!(findings.is_empty(), "{:?}", findings);
                }
            }
            for c in &cards { prop_assert!(c.is_consistent()); }
        }
        // Everyone comes online twice (a payer's send settles on its sync, its payee's credit on
        // the payee's) and the merchants deposit.
        all_sync(&mut cards, &mut backend, &mut now)?;
        all_sync(&mut cards, &mut backend, &mut now)?;
        for m in 0..2 {
            let records = shops[m].take_deposit();
            let (_, findings) = backend.deposit(shops[m].id(), &records).unwrap();
            prop_assert!(findings.is_empty());
        }
        for (i, c) in cards.iter().enumerate() {
            prop_assert_eq!(c.available() as i128, model[&i], "card {}", i);
            prop_assert_eq!(c.pending(), 0);
            prop_assert_eq!(backend.balance(c.id()).map(i128::from), Some(model[&i]));
            prop_assert_eq!(backend.status(c.id()), None);
        }
        for m in 0..2 {
            prop_assert_eq!(backend.merchant_balance(shops[m].id()) as i128, merchant_model[m]);
        }
        prop_assert_eq!(backend.total() as i128 + undelivered, (CARDS as i128) * OPENING as i128);
        prop_assert_eq!(backend.absorbed(), 0);
    }
}
