//! Tests of the book's state snapshot: restore-then-continue is indistinguishable from never
//! having stopped (a property test over random event sequences of every kind), the bytes
//! round-trip, and a snapshot that is tampered with, cut, under another key, or whose parts
//! disagree is `SNAPSHOT_INVALID`.

use super::*;
use crate::crypto::{ed25519, secp256k1};
use crate::envelope::{self, Alg, SealParams};
use crate::limits::{LimitSpec, Measure, Window};
use proptest::prelude::*;

const KEY: [u8; 32] = [0x5a; 32];
const SEED: [u8; 32] = [7u8; 32];
const OMNIBUS_KEY: [u8; 32] = [0x11; 32];
const T0: i64 = 1_800_000_000;
const ASSETS: [&str; 2] = ["BTC", "USDC"];
const CLIENTS: usize = 4;

fn approver_secret(i: u8) -> [u8; 32] {
    [0x40 + i; 32]
}

fn omnibus() -> String {
    keys::address_of_public_key(&secp256k1::public_key(&OMNIBUS_KEY, true).unwrap()).unwrap()
}

fn wallet(index: usize) -> String {
    keys::transfer_wallet(&SEED, u32::try_from(index).unwrap()).unwrap().address
}

fn limit(id: &str, measure: Measure, currency: Option<&str>, window: Window, hard: &str) -> LimitSpec {
    LimitSpec { id: id.into(), measure, currency: currency.map(Into::into), window, hard: hard.into(), soft: None, ceiling: None, resettable: false }
}

/// Two assets with limits of both kinds (their counters must survive a snapshot), three
/// approvers, a quorum of two, a cooling-off of ten minutes.
fn config() -> BookConfig {
    BookConfig {
        assets: vec![
            AssetConfig {
                asset: "BTC".into(),
                confirmations: 2,
                sweep_threshold: "0.001".into(),
                client_limits: vec![
                    limit("btc-day", Measure::Amount, Some("BTC"), Window::Trailing { seconds: 86_400 }, "0.3"),
                    limit("btc-count", Measure::Count, None, Window::Day { time_zone: "UTC".into() }, "3"),
                ],
                asset_limits: vec![limit("btc-all", Measure::Amount, Some("BTC"), Window::Lifetime, "1")],
            },
            AssetConfig { asset: "USDC".into(), confirmations: 1, sweep_threshold: "10".into(), client_limits: vec![], asset_limits: vec![] },
        ],
        omnibus_address: omnibus(),
        approvers: (0..3)
            .map(|i| Approver { approver_id: format!("approver-{i}"), public_key: ed25519::public_key(&approver_secret(i)).unwrap().to_vec() })
            .collect(),
        quorum: 2,
        cooling_off_s: 600,
    }
}

/// One step of a random history: an event of any kind, or a signing (replayed without keys).
#[derive(Debug, Clone)]
enum Step {
    Register(usize),
    Deposit { to: Option<usize>, asset: usize, units: u64, confirmations: u32, id: usize },
    Release { id: usize, client: usize },
    Sweep { client: usize, asset: usize, fee: u64 },
    Transfer { from: usize, to: usize, asset: usize, units: u64 },
    Trade { buyer: usize, seller: usize, base: u64, quote: u64 },
    Omnibus { asset: usize, units: u64 },
    Wallet { client: usize, asset: usize, units: u64 },
    Destination(usize),
    Withdraw { client: usize, asset: usize, units: u64 },
    Approve { id: usize, approver: u8, replay: bool, ttl: i64 },
    Sign(usize),
    Confirm(usize),
    Cancel(usize),
}

fn step() -> impl Strategy<Value = Step> {
    let c = 0..CLIENTS;
    prop_oneof![
        1 => c.clone().prop_map(Step::Register),
        2 => (proptest::option::weighted(0.8, c.clone()), 0..2usize, 1..40_000_000u64, 0..3u32, 0..12usize)
            .prop_map(|(to, asset, units, confirmations, id)| Step::Deposit { to, asset, units, confirmations, id }),
        1 => (0..12usize, c.clone()).prop_map(|(id, client)| Step::Release { id, client }),
        2 => (c.clone(), 0..2usize, 0..100_000u64).prop_map(|(client, asset, fee)| Step::Sweep { client, asset, fee }),
        2 => (c.clone(), c.clone(), 0..2usize, 1..20_000_000u64).prop_map(|(from, to, asset, units)| Step::Transfer { from, to, asset, units }),
        2 => (c.clone(), c.clone(), 1..5_000_000u64, 1..9_000_000u64).prop_map(|(buyer, seller, base, quote)| Step::Trade { buyer, seller, base, quote }),
        1 => (0..2usize, 0..90_000_000u64).prop_map(|(asset, units)| Step::Omnibus { asset, units }),
        1 => (c.clone(), 0..2usize, 0..40_000_000u64).prop_map(|(client, asset, units)| Step::Wallet { client, asset, units }),
        1 => c.clone().prop_map(Step::Destination),
        4 => (c.clone(), 0..2usize, 1..12_000_000u64).prop_map(|(client, asset, units)| Step::Withdraw { client, asset, units }),
        6 => (0..3usize, 0..3u8, proptest::bool::weighted(0.1), prop_oneof![1..600i64, 600..20_000i64]).prop_map(|(id, approver, replay, ttl)| Step::Approve { id, approver, replay, ttl }),
        3 => (0..3usize).prop_map(Step::Sign),
        2 => (0..3usize).prop_map(Step::Confirm),
        1 => (0..3usize).prop_map(Step::Cancel),
    ]
}

/// Every client registered, funded in both assets (swept), with its destination allowed: so that
/// random steps reach withdrawals, approvals and signings.
fn setup() -> Vec<Step> {
    let mut steps = Vec::new();
    for c in 0..CLIENTS {
        steps.push(Step::Register(c));
        steps.push(Step::Destination(c));
        for asset in 0..2 {
            steps.push(Step::Deposit { to: Some(c), asset, units: 200_000_000, confirmations: 2, id: 100 + 2 * c + asset });
            steps.push(Step::Sweep { client: c, asset, fee: 1_000 });
        }
    }
    steps
}

fn text(units: u64, asset: usize) -> String {
    crate::money::minor_units_text(i128::from(units), if asset == 0 { 8 } else { 6 })
}

/// Applies step `n` of a history to `book` at time `now` (signings through `mark_signed`, as a
/// persisted log replays them); the outcome, or the error.
fn apply(book: &mut Book, n: usize, s: &Step) -> Result<Outcome> {
    let now = T0 + i64::try_from(n).unwrap() * 300;
    let client = |i: usize| format!("c{i}");
    let event = match s {
        Step::Register(i) => Event::RegisterClient { client_id: client(*i), address: wallet(*i), now },
        Step::Deposit { to, asset, units, confirmations, id } => Event::ObserveDeposit {
            deposit_id: format!("d{id}"),
            address: to.map_or_else(omnibus, wallet),
            asset: ASSETS[*asset].into(),
            amount: text(*units, *asset),
            confirmations: *confirmations,
            now,
        },
        Step::Release { id, client: c } => Event::ReleaseQuarantine { deposit_id: format!("d{id}"), client_id: client(*c), now },
        Step::Sweep { client: c, asset, fee } => {
            Event::Sweep { sweep_id: format!("s{n}"), client_id: client(*c), asset: ASSETS[*asset].into(), network_fee: text(*fee, *asset), now }
        }
        Step::Transfer { from, to, asset, units } => Event::Transfer {
            transfer_id: format!("t{n}"),
            from_client_id: client(*from),
            to_client_id: client(*to),
            asset: ASSETS[*asset].into(),
            amount: text(*units, *asset),
            now,
        },
        Step::Trade { buyer, seller, base, quote } => Event::Trade {
            trade_id: format!("x{n}"),
            buyer_id: client(*buyer),
            seller_id: client(*seller),
            base_asset: "BTC".into(),
            base_amount: text(*base, 0),
            quote_asset: "USDC".into(),
            quote_amount: text(*quote, 1),
            fee: text(quote / 100, 1),
            now,
        },
        Step::Omnibus { asset, units } => Event::ObserveOmnibus { asset: ASSETS[*asset].into(), balance: text(*units, *asset), now },
        Step::Wallet { client: c, asset, units } => {
            Event::ObserveWallet { client_id: client(*c), asset: ASSETS[*asset].into(), balance: text(*units, *asset), now }
        }
        Step::Destination(c) => Event::AddDestination { client_id: client(*c), address: keys::eip55(&[0xcd; 20]), now },
        Step::Withdraw { client: c, asset, units } => Event::RequestWithdrawal {
            withdrawal_id: format!("w{}", n % 3),
            client_id: client(*c),
            asset: ASSETS[*asset].into(),
            amount: text(*units, *asset),
            network_fee: text(1_000, *asset),
            destination: keys::eip55(&[0xcd; 20]),
            now,
        },
        Step::Approve { id, approver, replay, ttl } => {
            let withdrawal_id = format!("w{id}");
            // The digest of the withdrawal if it exists (else any 32 bytes: UNKNOWN_WITHDRAWAL).
            let digest = book.withdrawal(&withdrawal_id).map_or_else(|| vec![0; 32], |w| hex::decode(w.digest).unwrap());
            let envelope = envelope::seal(&SealParams {
                alg: Alg::EdDSA,
                secret_key: &approver_secret(*approver),
                key_id: &format!("approver-{approver}"),
                msg_type: APPROVAL_TYPE,
                version: APPROVAL_VERSION,
                // The step number: each approver's sequence only grows (a replay reuses 1).
                seq: if *replay { 1 } else { u64::try_from(n).unwrap() },
                issued_at: now,
                expires_at: now + ttl,
                payload: &digest,
            })
            .unwrap();
            Event::Approve { withdrawal_id, envelope, now }
        }
        Step::Sign(id) => return book.mark_signed(&format!("w{id}"), now),
        Step::Confirm(id) => Event::ConfirmWithdrawal { withdrawal_id: format!("w{id}"), now },
        Step::Cancel(id) => Event::CancelWithdrawal { withdrawal_id: format!("w{id}"), now },
    };
    book.apply(&event)
}

/// A book after `steps` (each checked against the invariants).
fn history(steps: &[Step]) -> Book {
    let mut book = Book::new(config()).unwrap();
    for (n, s) in steps.iter().enumerate() {
        let _ = apply(&mut book, n, s);
        book.check_invariants().unwrap();
    }
    book
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Snapshot at a random point, restore, apply the rest to both: every outcome (or error) and
    /// the final state's bytes are the same as the book that never stopped.
    #[test]
    fn restore_then_continue_is_never_having_stopped(random in proptest::collection::vec(step(), 1..120), cut in 0.0..1.0f64) {
        let steps = [setup(), random].concat();
        let at = ((steps.len() as f64) * cut) as usize;
        let mut live = history(&steps[..at]);
        let bytes = live.snapshot(&KEY).unwrap();
        let mut restored = Book::restore(&bytes, &KEY).unwrap();
        prop_assert_eq!(&restored.snapshot(&KEY).unwrap(), &bytes, "the bytes round-trip");
        prop_assert_eq!(restored.event_count(), live.event_count());
        for (n, s) in steps.iter().enumerate().skip(at) {
            let a = apply(&mut live, n, s);
            let b = apply(&mut restored, n, s);
            prop_assert_eq!(a, b, "step {} ({:?})", n, s);
            restored.check_invariants().unwrap();
        }
        prop_assert_eq!(restored.snapshot(&KEY).unwrap(), live.snapshot(&KEY).unwrap());
        for asset in ASSETS {
            prop_assert_eq!(restored.client_balances(asset), live.client_balances(asset));
        }
        prop_assert_eq!(restored.discrepancies(), live.discrepancies());
    }
}

/// A book that used every map: clients, deposits of every state, withdrawals with approvals,
/// observed wallets, approver sequences, limit counters.
fn busy() -> Book {
    let mut steps = vec![Step::Register(0), Step::Register(1), Step::Destination(0)];
    steps.push(Step::Deposit { to: Some(0), asset: 0, units: 90_000_000, confirmations: 2, id: 0 });
    steps.push(Step::Deposit { to: Some(1), asset: 1, units: 30_000_000, confirmations: 0, id: 1 });
    steps.push(Step::Deposit { to: None, asset: 1, units: 5_000_000, confirmations: 1, id: 2 });
    steps.push(Step::Release { id: 2, client: 1 });
    steps.push(Step::Deposit { to: None, asset: 0, units: 7_000, confirmations: 2, id: 3 });
    steps.push(Step::Sweep { client: 0, asset: 0, fee: 10_000 });
    steps.push(Step::Wallet { client: 1, asset: 1, units: 3 });
    steps.push(Step::Omnibus { asset: 0, units: 1 });
    for _ in 0..3 {
        steps.push(Step::Transfer { from: 1, to: 0, asset: 1, units: 1 });
    }
    // Past the cooling-off (600 s = two steps), then a withdrawal, two approvals, a signing.
    steps.push(Step::Withdraw { client: 0, asset: 0, units: 10_000_000 });
    let w = (steps.len() - 1) % 3;
    steps.push(Step::Approve { id: w, approver: 0, replay: false, ttl: 2_000 });
    steps.push(Step::Approve { id: w, approver: 2, replay: false, ttl: 2_000 });
    steps.push(Step::Sign(w));
    let book = history(&steps);
    assert_eq!(book.withdrawal(&format!("w{w}")).unwrap().state, WithdrawalState::Signed, "the history signs a withdrawal");
    assert!(!book.deposits.is_empty() && !book.wallets_observed.is_empty() && book.approver_seqs.len() == 2);
    book
}

fn refused(bytes: &[u8], key: &[u8]) -> crate::error::Error {
    Book::restore(bytes, key).map(|_| ()).unwrap_err()
}

#[test]
fn a_busy_book_round_trips_and_continues() {
    let book = busy();
    let bytes = book.snapshot(&KEY).unwrap();
    let back = Book::restore(&bytes, &KEY).unwrap();
    assert_eq!(back.snapshot(&KEY).unwrap(), bytes);
    assert_eq!(back.withdrawals_awaiting_approval(10), book.withdrawals_awaiting_approval(10));
    assert_eq!(back.discrepancies(), book.discrepancies());
    assert!(!book.discrepancies().is_empty(), "the history leaves discrepancies to carry over");
    // The ledger's idempotency keys came along: the same sweep id again is answered as before.
    let mut a = book.clone();
    let mut b = back;
    let again = Event::Transfer { transfer_id: "t11".into(), from_client_id: "c1".into(), to_client_id: "c0".into(), asset: "USDC".into(), amount: "0.000001".into(), now: T0 + 99_000 };
    let (x, y) = (a.apply(&again).unwrap(), b.apply(&again).unwrap());
    assert!(x.repeated, "the transfer id was used in the history");
    assert_eq!(x, y);
}

#[test]
fn tampered_cut_or_other_key_snapshots_are_refused() {
    let bytes = busy().snapshot(&KEY).unwrap();
    for i in [0, 5, 40, bytes.len() / 2, bytes.len() - 40, bytes.len() - 1] {
        let mut tampered = bytes.clone();
        tampered[i] ^= 0x01;
        assert_eq!(refused(&tampered, &KEY).code(), ErrorCode::SnapshotInvalid, "byte {i}");
    }
    for len in [0, 1, 30, bytes.len() / 2, bytes.len() - 1] {
        assert_eq!(refused(&bytes[..len], &KEY).code(), ErrorCode::SnapshotInvalid, "cut at {len}");
    }
    let e = refused(&bytes, &[0x5b; 32]);
    assert_eq!((e.code(), e.param()), (ErrorCode::SnapshotInvalid, "snapshot"));
    assert_eq!(refused(&bytes, &[0x5a; 31]).code(), ErrorCode::KeyInvalid);
    // A persisted log (the other format) is not a state snapshot.
    let log = seal_log(b"{}", &KEY).unwrap();
    assert_eq!(refused(&log, &KEY).code(), ErrorCode::SnapshotInvalid);
}

/// Seals `book`'s state as it is (parts that may disagree) with the right key.
fn sealed(book: &Book) -> Vec<u8> {
    crate::snapshot::seal(&KIND, &book.state_bytes(), &KEY).unwrap()
}

#[test]
fn authentic_snapshots_whose_parts_disagree_are_refused() {
    let good = busy();
    assert!(Book::restore(&sealed(&good), &KEY).is_ok(), "the unedited state restores");
    let mut edits: Vec<(&str, Box<dyn Fn(&mut Book)>)> = vec![
        ("a client's balance edited in the ledger", Box::new(|b: &mut Book| {
            let op = transfer_op("forged".into(), T0, book_account(WORLD, "USDC"), client_account("c0", "USDC"), 5, Currency::from_code("USDC").unwrap());
            assert!(b.ledger.execute_batch(&Book::chain(vec![op])).unwrap()[0].is_success());
        })),
        ("the omnibus expectation edited", Box::new(|b: &mut Book| b.assets[1].expected += 1)),
        ("a deposit at an unknown client", Box::new(|b: &mut Book| b.deposits.get_mut("d1").unwrap().client = Some("nobody".into()))),
        ("a withdrawal of an unknown client", Box::new(|b: &mut Book| b.withdrawals.values_mut().next().unwrap().client = "nobody".into())),
        ("a withdrawal's amount edited (digest no longer matches)", Box::new(|b: &mut Book| b.withdrawals.values_mut().next().unwrap().amount += 1)),
        ("an approval by an unknown approver", Box::new(|b: &mut Book| {
            b.withdrawals.values_mut().next().unwrap().approvals.insert("mallory".into(), T0);
        })),
        ("two clients with one index", Box::new(|b: &mut Book| b.clients.get_mut("c1").unwrap().index = 0)),
        ("a client's limits reset to another configuration", Box::new(|b: &mut Book| {
            let zones = TimeZones::new();
            b.clients.get_mut("c0").unwrap().limits[0] = Limits::new(&[], CountingPolicy::default(), &zones).unwrap();
        })),
        ("a discrepancy marker dropped", Box::new(|b: &mut Book| b.assets[0].discrepancy_since = None)),
        ("a wallet check that differs from its wallet", Box::new(|b: &mut Book| b.wallets_observed.values_mut().next().unwrap().expected += 1)),
        ("an approver sequence of an unknown approver", Box::new(|b: &mut Book| {
            b.approver_seqs.insert("mallory".into(), 1);
        })),
        ("a client without its ledger accounts", Box::new(|b: &mut Book| {
            let address = [0xee; 20];
            b.clients.insert("ghost".into(), Client { index: 2, address, allow_list: BTreeMap::new(), limits: b.clients["c0"].limits.clone() });
            b.addresses.insert(address, "ghost".into());
        })),
    ];
    edits.push(("the configuration's quorum above its approvers", Box::new(|b: &mut Book| b.config.quorum = 9)));
    // The limit sets are built from the configuration and only their counters are carried: a
    // configuration that does not match them leaves counters that do not fit.
    edits.push(("the client limits configured in another order (trailing entries on a day limit, a day's period on a trailing one)", Box::new(|b: &mut Book| {
        b.config.assets[0].client_limits.reverse();
    })));
    edits.push(("an asset's limits configured away (counters without a limit)", Box::new(|b: &mut Book| b.config.assets[0].asset_limits.clear())));
    edits.push(("a client limit added to the configuration (a limit without counters)", Box::new(|b: &mut Book| {
        let extra = limit("usdc-life", Measure::Amount, Some("USDC"), Window::Lifetime, "5");
        b.config.assets[1].client_limits.push(extra);
    })));
    for (what, edit) in &edits {
        let mut book = good.clone();
        edit(&mut book);
        let e = refused(&sealed(&book), &KEY);
        assert_eq!((e.code(), e.param()), (ErrorCode::SnapshotInvalid, "snapshot"), "{what}: {}", e.message());
    }
}

/// The encoded deposit list of `deposits`, in the order given.
fn deposit_list<'a>(deposits: impl Iterator<Item = (&'a String, &'a Deposit)>, len: u64) -> Vec<u8> {
    let mut e = Enc::new();
    e.array(len);
    for (id, dep) in deposits {
        e.array(6).str(id).bytes(&dep.address).u64(dep.asset as u64).u128(dep.amount.unsigned_abs());
        match &dep.client {
            Some(c) => e.str(c),
            None => e.null(),
        };
        e.u64(dep.state as u64);
    }
    e.into_bytes()
}

#[test]
fn out_of_order_or_duplicate_lists_are_refused_as_not_canonical() {
    let mut book = busy();
    let keep: Vec<String> = book.deposits.keys().take(2).cloned().collect();
    book.deposits.retain(|k, _| keep.contains(k));
    let canonical = book.state_bytes();
    let forward = deposit_list(book.deposits.iter(), 2);
    let at = canonical.windows(forward.len()).position(|w| w == forward.as_slice()).expect("the deposit list is in the body");
    let first = book.deposits.iter().next().unwrap();
    for (what, list) in [
        ("out of order", deposit_list(book.deposits.iter().rev(), 2)),
        ("a duplicate", deposit_list([first, first].into_iter(), 2)),
    ] {
        if list.len() != forward.len() {
            continue; // a duplicate of a longer or shorter entry: covered by the order case
        }
        let mut body = canonical.clone();
        body[at..at + list.len()].copy_from_slice(&list);
        let e = refused(&crate::snapshot::seal(&KIND, &body, &KEY).unwrap(), &KEY);
        assert_eq!(e.code(), ErrorCode::SnapshotInvalid, "{what}");
        assert!(e.message().contains("canonical"), "{what}: {}", e.message());
    }
}

/// The configuration as the SDK sends it (the snapshot's `config` encoding): the same book as
/// from the struct; bytes that are not one configuration are `INVALID_ARGUMENT` about `config`;
/// a list past the book's maximum (but within the decoder's bound) gets `Book::new`'s own error.
#[test]
fn a_book_from_its_configuration_bytes() {
    let bytes = {
        let mut e = Enc::new();
        encode_config(&mut e, &config());
        e.into_bytes()
    };
    let book = Book::from_config_cbor(&bytes).unwrap();
    assert_eq!(book.config(), &config());
    assert_eq!(book.snapshot(&KEY).unwrap(), Book::new(config()).unwrap().snapshot(&KEY).unwrap());
    let refused = |bytes: &[u8]| Book::from_config_cbor(bytes).err().map(|e| (e.code(), e.param().to_owned()));
    let not_config = Some((ErrorCode::InvalidArgument, "config".to_owned()));
    assert_eq!(refused(&[]), not_config);
    assert_eq!(refused(&bytes[..bytes.len() - 1]), not_config, "cut");
    assert_eq!(refused(&[bytes.as_slice(), &[0]].concat()), not_config, "a trailing item");
    let mut five = config();
    five.assets = (0..5).map(|_| five.assets[1].clone()).collect();
    let mut e = Enc::new();
    encode_config(&mut e, &five);
    assert_eq!(refused(&e.into_bytes()), Some((ErrorCode::InvalidArgument, "assets".to_owned())));
    let mut many = config();
    many.approvers = (0..=CONFIG_LIST_ITEMS_MAX).map(|_| many.approvers[0].clone()).collect();
    let mut e = Enc::new();
    encode_config(&mut e, &many);
    assert_eq!(refused(&e.into_bytes()), not_config, "past the decoder's bound");
}
