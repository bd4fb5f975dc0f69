//! Native benchmark of the ledger: hold + post pairs per second and journal replay entries per
//! second in the core, no wasm, no JS.
//!
//! ```sh
//! cargo run -p countersign-core --release --example ledger_bench
//! ```
//!
//! A wallet funded with 10^12 EUR pays a station: each pair is a hold of 50.00 EUR (deadline in
//! 600 s) then a final post of 31.17 EUR that releases the rest — the energy-purchase shape.
//! Every operation has a fresh idempotency key and the clock advances 1 s per pair, so the
//! idempotency table cycles (8,192 keys, 300 s retention) and resolved holds are evicted at
//! their bound, as in a long-running service; the journal is truncated every 1,024 entries, as
//! a caller persisting it would. Replay re-executes a 20,000-entry journal of such pairs.
//! The same shapes are measured through the SDK by `bench/ledger.mjs`.
//!
//! The last line is machine-readable, for `bench/run.mjs`:
//! `ledger_bench pairs_per_s=NNN replay_entries_per_s=NNN`.

use std::time::{Duration, Instant};

use countersign_core::ledger::{
    AccountKind, HoldRequest, Ledger, LedgerCode, OpenAccountRequest, Operation, PostRequest,
    TransferRequest,
};

/// Upper bound on pairs of one measurement (built before the clock starts).
const PAIRS_MAX: u64 = 2_000_000;
/// Time box of one measurement.
const TIME_BOX: Duration = Duration::from_secs(1);
/// Entries in the replayed journal (10,000 pairs).
const REPLAY_ENTRIES: u64 = 20_000;
/// The journal is truncated (as if persisted) once it retains this many entries.
const TRUNCATE_EVERY: usize = 1024;
const T0: i64 = 1_767_225_600;

fn funded() -> Ledger {
    let mut l = Ledger::new();
    for (id, kind) in [
        ("bank", AccountKind::Unrestricted),
        ("wallet", AccountKind::NonNegative),
        ("station", AccountKind::NonNegative),
    ] {
        let out = l
            .execute(&Operation::OpenAccount(OpenAccountRequest {
                idempotency_key: format!("open-{id}"),
                now: T0,
                account_id: id.into(),
                currency: "EUR".into(),
                kind,
                credit_limit: None,
            }))
            .unwrap();
        assert_eq!(out.code, LedgerCode::AccountOpened);
    }
    let out = l
        .execute(&Operation::Transfer(TransferRequest {
            idempotency_key: "fund".into(),
            now: T0,
            debit_account_id: "bank".into(),
            credit_account_id: "wallet".into(),
            amount: "1000000000000.00".into(),
            currency: "EUR".into(),
        }))
        .unwrap();
    assert_eq!(out.code, LedgerCode::Transferred);
    l
}

/// The i-th pair: hold 50.00, then a final post of 31.17.
fn pair(i: u64) -> [Operation; 2] {
    let now = T0 + i as i64;
    let hold_id = format!("h{i}");
    [
        Operation::Hold(HoldRequest {
            idempotency_key: format!("k{i}h"),
            now,
            hold_id: hold_id.clone(),
            debit_account_id: "wallet".into(),
            credit_account_id: "station".into(),
            amount: "50.00".into(),
            currency: "EUR".into(),
            expires_at: now + 600,
        }),
        Operation::Post(PostRequest {
            idempotency_key: format!("k{i}p"),
            now,
            hold_id,
            amount: Some("31.17".into()),
            currency: Some("EUR".into()),
            is_final: true,
        }),
    ]
}

fn run_pair(l: &mut Ledger, ops: &[Operation; 2]) {
    for op in ops {
        let out = l.execute(op).unwrap();
        debug_assert!(out.is_success(), "{out:?}");
    }
    if l.journal().len() >= TRUNCATE_EVERY {
        let head = l.head().seq;
        l.truncate_journal(head).unwrap();
    }
}

fn main() {
    // Correctness before timing: one pair holds then posts, and the balances move exactly.
    let mut l = funded();
    let [hold, post] = pair(0);
    assert_eq!(l.execute(&hold).unwrap().code, LedgerCode::Held);
    assert_eq!(l.execute(&post).unwrap().code, LedgerCode::Posted);
    assert_eq!(l.account("station").unwrap().balance, "31.17");
    assert_eq!(l.account("wallet").unwrap().available.as_deref(), Some("999999999968.83"));

    // Pairs per second. Requests are built outside the timed loop (the SDK rows build theirs
    // in JS inside it: that cost is the boundary's, reported there).
    // `LEDGER_BENCH_PAIRS=N`: exactly N pairs, no time box, for an instruction count that does
    // not depend on the machine (`valgrind --tool=callgrind`, see HACKING.md "Ledger throughput").
    let fixed_pairs: Option<u64> = std::env::var("LEDGER_BENCH_PAIRS").ok().and_then(|n| n.parse().ok());
    let pairs: Vec<[Operation; 2]> = (0..fixed_pairs.unwrap_or(PAIRS_MAX).min(PAIRS_MAX)).map(pair).collect();
    let mut l = funded();
    let start = Instant::now();
    let mut n = 0u64;
    while n < pairs.len() as u64 {
        if fixed_pairs.is_none() && n % 256 == 0 && start.elapsed() >= TIME_BOX {
            break;
        }
        run_pair(&mut l, &pairs[n as usize]);
        n += 1;
    }
    let elapsed = start.elapsed();
    l.check_invariants().unwrap();
    let pairs_per_s = n as f64 / elapsed.as_secs_f64();
    println!("{:<34} {pairs_per_s:>12.0} /s   {:>8.2} µs/pair   ({n} pairs)", "hold + post pair", 1e6 / pairs_per_s);

    // Replay: a journal of REPLAY_ENTRIES entries after the 4 set-up ones, collected as a
    // caller persisting it would (the retained journal is bounded at 4,096 entries).
    let mut l = funded();
    let mut entries: Vec<Vec<u8>> = l.journal().iter().map(|e| e.bytes().to_vec()).collect();
    l.truncate_journal(l.head().seq).unwrap();
    for i in 0..REPLAY_ENTRIES / 2 {
        for op in pair(i) {
            l.execute(&op).unwrap();
        }
        if l.journal().len() >= TRUNCATE_EVERY {
            entries.extend(l.journal().iter().map(|e| e.bytes().to_vec()));
            l.truncate_journal(l.head().seq).unwrap();
        }
    }
    entries.extend(l.journal().iter().map(|e| e.bytes().to_vec()));
    let start = Instant::now();
    let replayed = Ledger::replay(&entries).unwrap();
    let elapsed = start.elapsed();
    assert_eq!(replayed.state_digest(), l.state_digest(), "replay reproduces the ledger");
    let replay_per_s = entries.len() as f64 / elapsed.as_secs_f64();
    println!(
        "{:<34} {replay_per_s:>12.0} /s   ({} entries in {:.1} ms)",
        "journal replay (entries)",
        entries.len(),
        elapsed.as_secs_f64() * 1e3
    );
    println!(
        "ledger_bench pairs_per_s={} replay_entries_per_s={}",
        pairs_per_s.round() as u64,
        replay_per_s.round() as u64
    );
}
