//! Native benchmark of many ledgers in one process (issue 10, "a million wallets"): the cost of
//! a hold + post pair on a random wallet among `SHARDS_BENCH_WALLETS` (default 1,000,000) spread
//! over 1,024 ledgers with a tenth as many pending holds, against the same pair on a 10-account
//! ledger, in interleaved slices (the ratio is the point), and on the wallets of shard 0 alone
//! (one ~1,000-account ledger: its size, without the switching between 1,024).
//!
//! ```sh
//! cargo run -p countersign-core --release --example ledger_shards_bench
//! SHARDS_BENCH_WALLETS=100000 cargo run -p countersign-core --release --example ledger_shards_bench
//! ```
//!
//! The shape follows `bench/ledger-shards.mjs` (which measures it through the SDK's
//! `ShardedLedger`): wallets `w<n>` routed by `ledger::shard_of`, each shard an issuer `@<s>/issuer`,
//! a merchant `@<s>/merchant` and its wallets, a 4,096-key window with the store keeping the
//! long tail (as `ShardedLedger` journals it), the journal truncated every 1,024 entries as a
//! persisting caller would. Without wasm and JS, what it shows is the core's own data layout:
//! how many cache lines a lookup touches among 1,024 ledgers that do not fit in any cache.
//!
//! The last line is machine-readable: `ledger_shards_bench ratio=R shard0_ratio=R`.
//!
//! Timing on a shared machine moves with its load; what the layout changes is cache misses,
//! which valgrind counts the same under any load. `SHARDS_BENCH_PAIRS=N` runs exactly N pairs
//! per slice (no time box), and each kind of slice runs in its own function, so that
//!
//! ```sh
//! SHARDS_BENCH_WALLETS=200000 SHARDS_BENCH_PAIRS=2000 valgrind --tool=callgrind --cache-sim=yes \
//!   target/release/examples/ledger_shards_bench
//! callgrind_annotate --inclusive=yes callgrind.out.<pid> | grep slice_of
//! ```
//!
//! gives instructions and last-level cache misses per kind (HACKING.md, *A million wallets*).
//!
//! `SHARDS_BENCH_ONE_LEDGER=1` puts the wallets in ONE ledger instead (its capacity raised by
//! `setCapacity` to the wallets and pending holds, the store keeping the keys' long tail past a
//! 4,096-key window, as in the 10-account ledger it is compared with), runs
//! the same pairs against the 10-account ledger in interleaved slices, and reports the
//! snapshot's bytes and its encode and restore times (the load time after a restart) and the
//! process's resident memory. Its last line is `ledger_shards_bench one_ledger_ratio=R`.
//!
//! ```sh
//! SHARDS_BENCH_ONE_LEDGER=1 cargo run -p countersign-core --release --example ledger_shards_bench
//! ```

use std::time::{Duration, Instant};

use countersign_core::ledger::{
    shard_of, AccountKind, HoldRequest, KeysKeptBy, Ledger, LedgerCode, OpenAccountRequest, Operation,
    PostRequest, SetCapacityRequest, SetKeyRetentionRequest, TransferRequest, HOLDS_CAPACITY_MAX, HOLDS_MAX,
};

/// Ledgers the wallets are spread over (the SDK's default shard count).
const SHARDS: u32 = 1024;
/// Wallets by default: the issue's target.
const WALLETS_DEFAULT: u32 = 1_000_000;
/// The key window of every shard (the SDK's `LEDGER_SHARD_KEY_WINDOW_DEFAULT`).
const SHARD_KEY_WINDOW: u32 = 4096;
/// Interleaved rounds of three slices (sharded, 10-account, shard 0).
const ROUNDS: u32 = 30;
/// Time per slice.
const SLICE: Duration = Duration::from_millis(40);
/// Most pairs per slice (pairs are built before the clock starts).
const SLICE_PAIRS_MAX: usize = 4096;
/// A ledger's journal is truncated once it retains this many entries.
const TRUNCATE_EVERY: usize = 1024;
const T0: i64 = 1_767_225_600;
/// Set-up holds stay pending through the run.
const SETUP_HOLD_S: i64 = 200 * 86_400;

fn open(key: String, account_id: String, kind: AccountKind) -> Operation {
    Operation::OpenAccount(OpenAccountRequest {
        idempotency_key: key,
        now: T0,
        account_id,
        currency: "EUR".into(),
        kind,
        credit_limit: None,
    })
}

fn transfer(key: String, from: String, to: String, amount: &str) -> Operation {
    Operation::Transfer(TransferRequest {
        idempotency_key: key,
        now: T0,
        debit_account_id: from,
        credit_account_id: to,
        amount: amount.into(),
        currency: "EUR".into(),
    })
}

fn must(l: &mut Ledger, op: &Operation) {
    let out = l.execute(op).unwrap();
    assert!(out.is_success(), "{out:?}");
    if l.journal().len() >= TRUNCATE_EVERY {
        let head = l.head().seq;
        l.truncate_journal(head).unwrap();
    }
}

/// The pair `p` on wallet `w` of a ledger whose merchant is `merchant`.
fn pair(p: u64, w: &str, merchant: &str) -> [Operation; 2] {
    let now = T0 + 1 + p as i64;
    [
        Operation::Hold(HoldRequest {
            idempotency_key: format!("ph{p}"),
            now,
            hold_id: format!("p{p}"),
            debit_account_id: w.into(),
            credit_account_id: merchant.into(),
            amount: "50.00".into(),
            currency: "EUR".into(),
            expires_at: now + 600,
        }),
        Operation::Post(PostRequest {
            idempotency_key: format!("pp{p}"),
            now,
            hold_id: format!("p{p}"),
            amount: Some("31.17".into()),
            currency: Some("EUR".into()),
            is_final: true,
        }),
    ]
}

/// xorshift32: the same wallets in every run.
struct Prng(u32);
impl Prng {
    fn next(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
}

/// Runs the prepared `(ledger, ops)` pairs for one slice (all of them when `fixed`); pairs
/// done and seconds taken.
#[inline(never)]
fn slice(ledgers: &mut [Ledger], pairs: &[(usize, [Operation; 2])], fixed: bool) -> (usize, f64) {
    let start = Instant::now();
    let mut n = 0;
    for (at, ops) in pairs {
        for op in ops {
            let out = ledgers[*at].execute(op).unwrap();
            assert_eq!(out.code, if matches!(op, Operation::Hold(_)) { LedgerCode::Held } else { LedgerCode::Posted });
        }
        let l = &mut ledgers[*at];
        if l.journal().len() >= TRUNCATE_EVERY {
            let head = l.head().seq;
            l.truncate_journal(head).unwrap();
        }
        n += 1;
        if !fixed && n % 64 == 0 && start.elapsed() >= SLICE {
            break;
        }
    }
    (n, start.elapsed().as_secs_f64())
}

/// A slice on random wallets of the 1,024 ledgers (its own function: see the module docs).
#[inline(never)]
fn slice_of_sharded(ledgers: &mut [Ledger], pairs: &[(usize, [Operation; 2])], fixed: bool) -> (usize, f64) {
    // A body of its own (the linker folds identical functions into one).
    std::hint::black_box(1u8);
    slice(ledgers, pairs, fixed)
}

/// A slice on the 10-account ledger.
#[inline(never)]
fn slice_of_small(ledgers: &mut [Ledger], pairs: &[(usize, [Operation; 2])], fixed: bool) -> (usize, f64) {
    // A body of its own (the linker folds identical functions into one).
    std::hint::black_box(2u8);
    slice(ledgers, pairs, fixed)
}

/// A slice on the wallets of shard 0.
#[inline(never)]
fn slice_of_shard0(ledgers: &mut [Ledger], pairs: &[(usize, [Operation; 2])], fixed: bool) -> (usize, f64) {
    // A body of its own (the linker folds identical functions into one).
    std::hint::black_box(3u8);
    slice(ledgers, pairs, fixed)
}

/// The process's resident memory, MiB (Linux; 0 elsewhere).
fn resident_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

/// The store keeping the keys' long tail, with a window of `key_window` keys.
fn keys_kept_by_store(key_window: Option<u32>) -> Operation {
    Operation::SetKeyRetention(SetKeyRetentionRequest { idempotency_key: "window".into(), now: T0, keys_kept_by: KeysKeptBy::Store, key_window })
}

/// The 10-account ledger: issuer, merchant, eight wallets; with `retention`, that key retention
/// (the one-ledger mode gives it the big ledger's: the same ledger, configured alike, at two sizes).
fn small_ledger(retention: Option<Operation>) -> Vec<Ledger> {
    let mut small = vec![Ledger::new()];
    if let Some(op) = retention {
        must(&mut small[0], &op);
    }
    must(&mut small[0], &open("o-issuer".into(), "issuer".into(), AccountKind::Unrestricted));
    must(&mut small[0], &open("o-merchant".into(), "merchant".into(), AccountKind::NonNegative));
    for n in 0..8 {
        must(&mut small[0], &open(format!("o-w{n}"), format!("w{n}"), AccountKind::NonNegative));
        must(&mut small[0], &transfer(format!("f-w{n}"), "issuer".into(), format!("w{n}"), "1000000000.00"));
    }
    small
}

/// A slice on random wallets of the one big ledger.
#[inline(never)]
fn slice_of_one(ledgers: &mut [Ledger], pairs: &[(usize, [Operation; 2])], fixed: bool) -> (usize, f64) {
    // A body of its own (the linker folds identical functions into one).
    std::hint::black_box(4u8);
    slice(ledgers, pairs, fixed)
}

/// `SHARDS_BENCH_ONE_LEDGER=1`: every wallet in one ledger of that capacity.
fn one_ledger(wallets: u32, rounds: u32, slice_pairs: usize, fixed: bool) {
    let holds = wallets / 10;
    let start = Instant::now();
    let mut one = vec![Ledger::new()];
    let l = &mut one[0];
    // Room for the set-up holds plus the one a pair holds for a moment.
    let holds_max = (holds as usize + 1024).clamp(HOLDS_MAX, HOLDS_CAPACITY_MAX) as u32;
    must(
        l,
        &Operation::SetCapacity(SetCapacityRequest { idempotency_key: "capacity".into(), now: T0, accounts_max: wallets.max(4096 - 2) + 2, holds_max }),
    );
    // The store keeps the keys' long tail (as a server role's LedgerStore does): two million
    // set-up operations in one second of ledger time would otherwise fill the key window.
    must(l, &keys_kept_by_store(Some(SHARD_KEY_WINDOW)));
    must(l, &open("o-issuer".into(), "issuer".into(), AccountKind::Unrestricted));
    must(l, &open("o-merchant".into(), "merchant".into(), AccountKind::NonNegative));
    for n in 0..wallets {
        must(l, &open(format!("o-w{n}"), format!("w{n}"), AccountKind::NonNegative));
    }
    for n in 0..wallets {
        must(l, &transfer(format!("f-w{n}"), "issuer".into(), format!("w{n}"), "1000000.00"));
    }
    let mut pick = Prng(7);
    for h in 0..holds {
        let n = pick.next() % wallets;
        must(
            l,
            &Operation::Hold(HoldRequest {
                idempotency_key: format!("sh-{h}"),
                now: T0,
                hold_id: format!("sh-{h}"),
                debit_account_id: format!("w{n}"),
                credit_account_id: "merchant".into(),
                amount: "10.00".into(),
                currency: "EUR".into(),
                expires_at: T0 + SETUP_HOLD_S,
            }),
        );
    }
    let head = l.head().seq;
    l.truncate_journal(head).unwrap();
    println!(
        "set-up: {wallets} wallets, {holds} pending holds in one ledger (capacity {} accounts, {holds_max} holds), {:.1} s, resident {:.0} MiB",
        l.accounts_max(),
        start.elapsed().as_secs_f64(),
        resident_mib()
    );
    let key = [7u8; 32];
    let t = Instant::now();
    let snapshot = l.snapshot(&key).unwrap();
    let encode_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let restored = Ledger::restore(&snapshot, &key);
    let restore_s = t.elapsed().as_secs_f64();
    match &restored {
        Ok(r) => assert_eq!(r.state_digest(), l.state_digest()),
        Err(e) => println!("restore refused: {e:?}"),
    }
    drop(restored);
    println!(
        "snapshot: {} bytes ({:.1} MiB, {:.0} bytes per wallet), encode {:.2} s, restore (checks every invariant) {:.2} s",
        snapshot.len(),
        snapshot.len() as f64 / (1024.0 * 1024.0),
        snapshot.len() as f64 / f64::from(wallets),
        encode_s,
        restore_s
    );
    drop(snapshot);

    let mut small = small_ledger(Some(keys_kept_by_store(Some(SHARD_KEY_WINDOW))));
    let mut pick = Prng(12345);
    let (mut p, mut q) = (0u64, 0u64);
    // Not timed: each side's first operations evict the keys of its set-up (the big one's: two
    // million operations ago, cold in every cache), a transient a running server is past. A key
    // window of pairs (two windows of keys, and as many resolved holds as a ledger retains)
    // reaches the steady state.
    for _ in 0..SHARD_KEY_WINDOW {
        for op in pair(p, &format!("w{}", pick.next() % wallets), "merchant") {
            must(&mut one[0], &op);
        }
        for op in pair(q, &format!("w{}", q % 8), "merchant") {
            must(&mut small[0], &op);
        }
        (p, q) = (p + 1, q + 1);
    }
    let mut totals = [(0usize, 0f64); 2];
    for _ in 0..rounds {
        let one_pairs: Vec<_> = (0..slice_pairs as u64).map(|k| (0, pair(p + k, &format!("w{}", pick.next() % wallets), "merchant"))).collect();
        let small_pairs: Vec<_> = (0..slice_pairs as u64).map(|k| (0, pair(q + k, &format!("w{}", (q + k) % 8), "merchant"))).collect();
        let (a, ta) = slice_of_one(&mut one, &one_pairs, fixed);
        p += a as u64;
        let (b, tb) = slice_of_small(&mut small, &small_pairs, fixed);
        q += b as u64;
        for (total, (n, t)) in totals.iter_mut().zip([(a, ta), (b, tb)]) {
            total.0 += n;
            total.1 += t;
        }
    }
    let rate = |(n, t): (usize, f64)| n as f64 / t;
    let [one_rate, small_rate] = totals.map(rate);
    println!("{:<40} {one_rate:>10.0} pairs/s", "one ledger, random wallet");
    println!("{:<40} {small_rate:>10.0} pairs/s", "10-account ledger");
    println!("ledger_shards_bench one_ledger_ratio={:.3}", one_rate / small_rate);
}

fn main() {
    let wallets: u32 = std::env::var("SHARDS_BENCH_WALLETS").ok().and_then(|n| n.parse().ok()).unwrap_or(WALLETS_DEFAULT);
    let fixed_pairs: Option<usize> = std::env::var("SHARDS_BENCH_PAIRS").ok().and_then(|n| n.parse().ok());
    let (rounds, slice_pairs) = match fixed_pairs {
        Some(pairs) => (1, pairs.min(SLICE_PAIRS_MAX)),
        None => (ROUNDS, SLICE_PAIRS_MAX),
    };
    let fixed = fixed_pairs.is_some();
    if std::env::var("SHARDS_BENCH_ONE_LEDGER").is_ok_and(|v| v == "1") {
        one_ledger(wallets, rounds, slice_pairs, fixed);
        return;
    }
    let holds = wallets / 10;
    let start = Instant::now();
    let mut shards: Vec<Ledger> = (0..SHARDS).map(|_| Ledger::new()).collect();
    let mut shard_of_wallet = Vec::with_capacity(wallets as usize);
    for n in 0..wallets {
        shard_of_wallet.push(shard_of(&format!("w{n}"), SHARDS).unwrap());
    }
    for (s, l) in shards.iter_mut().enumerate() {
        must(
            l,
            &Operation::SetKeyRetention(SetKeyRetentionRequest {
                idempotency_key: "window".into(),
                now: T0,
                keys_kept_by: KeysKeptBy::Store,
                key_window: Some(SHARD_KEY_WINDOW),
            }),
        );
        must(l, &open(format!("o-@{s}/issuer"), format!("@{s}/issuer"), AccountKind::Unrestricted));
        must(l, &open(format!("o-@{s}/merchant"), format!("@{s}/merchant"), AccountKind::NonNegative));
    }
    for n in 0..wallets {
        let s = shard_of_wallet[n as usize];
        let l = &mut shards[s as usize];
        must(l, &open(format!("o-w{n}"), format!("w{n}"), AccountKind::NonNegative));
    }
    for n in 0..wallets {
        let s = shard_of_wallet[n as usize];
        let l = &mut shards[s as usize];
        must(l, &transfer(format!("f-w{n}"), format!("@{s}/issuer"), format!("w{n}"), "1000000.00"));
    }
    let mut pick = Prng(7);
    for h in 0..holds {
        let n = pick.next() % wallets;
        let s = shard_of_wallet[n as usize];
        let now = T0;
        must(
            &mut shards[s as usize],
            &Operation::Hold(HoldRequest {
                idempotency_key: format!("sh-{h}"),
                now,
                hold_id: format!("sh-{h}"),
                debit_account_id: format!("w{n}"),
                credit_account_id: format!("@{s}/merchant"),
                amount: "10.00".into(),
                currency: "EUR".into(),
                expires_at: now + SETUP_HOLD_S,
            }),
        );
    }
    println!("set-up: {wallets} wallets, {holds} pending holds in {SHARDS} ledgers, {:.1} s", start.elapsed().as_secs_f64());

    let mut small = small_ledger(None);
    let shard0: Vec<u32> = (0..wallets).filter(|n| shard_of_wallet[*n as usize] == 0).collect();

    let mut pick = Prng(12345);
    let (mut p, mut q) = (0u64, 0u64);
    let mut totals = [(0usize, 0f64); 3];
    for _ in 0..rounds {
        let mut sharded_pairs = Vec::with_capacity(slice_pairs);
        for k in 0..slice_pairs as u64 {
            let n = pick.next() % wallets;
            let s = shard_of_wallet[n as usize];
            sharded_pairs.push((s as usize, pair(p + k, &format!("w{n}"), &format!("@{s}/merchant"))));
        }
        let small_pairs: Vec<_> = (0..slice_pairs as u64).map(|k| (0, pair(q + k, &format!("w{}", (q + k) % 8), "merchant"))).collect();
        let (a, ta) = slice_of_sharded(&mut shards, &sharded_pairs, fixed);
        p += a as u64;
        let (b, tb) = slice_of_small(&mut small, &small_pairs, fixed);
        q += b as u64;
        let mut shard0_pairs = Vec::with_capacity(slice_pairs);
        for k in 0..slice_pairs as u64 {
            let n = shard0[pick.next() as usize % shard0.len()];
            shard0_pairs.push((0, pair(p + k, &format!("w{n}"), "@0/merchant")));
        }
        let (c, tc) = slice_of_shard0(&mut shards, &shard0_pairs, fixed);
        p += c as u64;
        for (total, (n, t)) in totals.iter_mut().zip([(a, ta), (b, tb), (c, tc)]) {
            total.0 += n;
            total.1 += t;
        }
    }
    let rate = |(n, t): (usize, f64)| n as f64 / t;
    let [sharded, small_rate, shard0_rate] = totals.map(rate);
    println!("{:<40} {sharded:>10.0} pairs/s", "1,024 ledgers, random wallet");
    println!("{:<40} {small_rate:>10.0} pairs/s", "10-account ledger");
    println!("{:<40} {shard0_rate:>10.0} pairs/s", "shard 0 alone");
    println!("ledger_shards_bench ratio={:.3} shard0_ratio={:.3}", sharded / small_rate, shard0_rate / small_rate);
}
