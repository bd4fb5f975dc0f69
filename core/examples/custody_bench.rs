//! Native benchmark of the custody book (System 8): sub-ledger events per second in the core, no
//! wasm, no JS.
//!
//! ```sh
//! cargo run -p countersign-core --release --example custody_bench
//! ```
//!
//! The book holds `CLIENTS` clients with BTC and USDC swept into their trading balances and an
//! observed omnibus balance per asset (so every event is reconciled against it). The timed mix,
//! repeated: six transfers between clients, one trade (a linked batch of three transfers), one
//! deposit confirmation at a transfer wallet and its sweep (a linked batch of two). Every outcome
//! is checked (`TRANSFERRED`, `TRADED`, `DEPOSIT_CONFIRMED`, `SWEPT`). Ledger time advances one
//! second every 50 events (the ledger keeps each idempotency key 300 s of its time, 32,768 keys:
//! ~109 operations per second of ledger time). A benchmark, never a test: nothing asserts a speed.
//!
//! The last line is machine-readable: `custody_bench events_per_s=NNN`.

use std::time::{Duration, Instant};

use countersign_core::crypto::{ed25519, secp256k1};
use countersign_core::custody::{keys, Approver, AssetConfig, Book, BookConfig, CustodyCode, Event, DEPOSITS_MAX};

/// Clients in the book (of `custody::CLIENTS_MAX`).
const CLIENTS: u32 = 200;
/// Upper bound on timed rounds: each round records a deposit, and the book keeps at most
/// `DEPOSITS_MAX` (the set-up's two per client included). A fast machine reaches it inside the
/// time box (~260,000 events/s: 65,000 rounds in 2.2 s), which a fixed event count did not foresee.
const ROUNDS_TIMED_MAX: u64 = DEPOSITS_MAX as u64 - 2 * CLIENTS as u64;
/// Time box of the measurement.
const TIME_BOX: Duration = Duration::from_secs(3);
const T0: i64 = 1_800_000_000;

fn main() {
    let seed = [5u8; 32];
    let omnibus = keys::address_of_public_key(&secp256k1::public_key(&[0x11; 32], true).expect("key")).expect("address");
    let asset = |a: &str, threshold: &str| AssetConfig {
        asset: a.into(),
        confirmations: 1,
        sweep_threshold: threshold.into(),
        client_limits: Vec::new(),
        asset_limits: Vec::new(),
    };
    let mut book = Book::new(BookConfig {
        assets: vec![asset("BTC", "0.0001"), asset("USDC", "1")],
        omnibus_address: omnibus,
        approvers: vec![Approver { approver_id: "a0".into(), public_key: ed25519::public_key(&[9; 32]).expect("key").to_vec() }],
        quorum: 1,
        cooling_off_s: 0,
    })
    .expect("book");
    let addresses: Vec<String> = (0..CLIENTS).map(|i| keys::transfer_wallet(&seed, i).expect("wallet").address).collect();
    let expect = |book: &mut Book, event: Event, code: CustodyCode| {
        let got = book.apply(&event).expect("event");
        assert_eq!(got.code, code, "{event:?}");
    };
    for (i, address) in addresses.iter().enumerate() {
        let c = format!("c{i}");
        expect(&mut book, Event::RegisterClient { client_id: c.clone(), address: address.clone(), now: T0 }, CustodyCode::ClientRegistered);
        for (a, amount) in [("BTC", "1000"), ("USDC", "100000000")] {
            expect(&mut book, Event::ObserveDeposit { deposit_id: format!("init-{i}-{a}"), address: address.clone(), asset: a.into(), amount: amount.into(), confirmations: 1, now: T0 }, CustodyCode::DepositConfirmed);
            expect(&mut book, Event::Sweep { sweep_id: format!("init-{i}-{a}"), client_id: c.clone(), asset: a.into(), network_fee: "0".into(), now: T0 }, CustodyCode::Swept);
        }
    }
    for a in ["BTC", "USDC"] {
        let balance = book.expected_omnibus(a).expect("asset");
        expect(&mut book, Event::ObserveOmnibus { asset: a.into(), balance, now: T0 }, CustodyCode::BalanceObserved);
    }
    let n = u64::from(CLIENTS);
    let start = Instant::now();
    let mut events = 0u64;
    let mut round = 0u64;
    while round < ROUNDS_TIMED_MAX && start.elapsed() < TIME_BOX {
        round += 1;
        let now = T0 + 1 + i64::try_from(events / 50).expect("small");
        let c = |k: u64| format!("c{}", (round * 7 + k) % n);
        for k in 0..6 {
            expect(&mut book, Event::Transfer { transfer_id: format!("t{round}-{k}"), from_client_id: c(k), to_client_id: c(k + 1), asset: "USDC".into(), amount: "1.25".into(), now }, CustodyCode::Transferred);
        }
        expect(&mut book, Event::Trade { trade_id: format!("x{round}"), buyer_id: c(10), seller_id: c(11), base_asset: "BTC".into(), base_amount: "0.001".into(), quote_asset: "USDC".into(), quote_amount: "60".into(), fee: "0.06".into(), now }, CustodyCode::Traded);
        let who = usize::try_from((round * 13) % n).expect("small");
        expect(&mut book, Event::ObserveDeposit { deposit_id: format!("d{round}"), address: addresses[who].clone(), asset: "BTC".into(), amount: "0.01".into(), confirmations: 1, now }, CustodyCode::DepositConfirmed);
        expect(&mut book, Event::Sweep { sweep_id: format!("s{round}"), client_id: format!("c{who}"), asset: "BTC".into(), network_fee: "0.00001".into(), now }, CustodyCode::Swept);
        events += 9;
    }
    let elapsed = start.elapsed().as_secs_f64();
    book.check_invariants().expect("invariants after the run");
    // Deposits were swept into the omnibus after the observation: BTC is reported out of balance
    // by the swept amount (the observer has not seen the sweeps), USDC is reconciled.
    let report = book.discrepancies();
    println!("clients {CLIENTS}, events {events} in {elapsed:.2} s; discrepancies after the run: {:?}", report.iter().map(|d| (&d.asset, &d.difference)).collect::<Vec<_>>());
    #[allow(clippy::cast_precision_loss)]
    let rate = events as f64 / elapsed;
    println!("custody_bench events_per_s={rate:.0}");
}
