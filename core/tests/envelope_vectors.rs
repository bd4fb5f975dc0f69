//! Runs the cross-language envelope vectors in `tests/vectors/envelope/` (the TypeScript SDK runs
//! the same files):
//! - `seal.json`: `seal` must produce the expected envelope byte for byte, or the expected error;
//! - `open.json`: `open_checked` must give the expected outcome (and content when valid).
//!
//! It also opens the envelopes made by an independent implementation (Python pycose +
//! cryptography, `tests/interop/cose_check.py make`) stored in
//! `tests/interop/python_envelopes.json`, or in the file named by `COUNTERSIGN_INTEROP_FILE`.
//!
//! The vectors were generated once by `generate_vectors` below (run with
//! `COUNTERSIGN_WRITE_VECTORS=1 cargo test -p countersign-core --test envelope_vectors -- --ignored`)
//! and the seal vectors were checked independently by `tests/interop/cose_check.py verify`
//! (pycose for EdDSA, cryptography + python-ecdsa for ES256K). Do not regenerate them to make a
//! failing test pass: a change of bytes is a change of the wire format.

use std::path::PathBuf;

use countersign_core::crypto::{ed25519, secp256k1, sha256};
use countersign_core::envelope::{
    open_checked, seal, Alg, OpenParams, Opened, Rejection, SealParams, TrustedKey, TIME_S_MAX,
};
use minicbor::Encoder;
use serde_json::{json, Value};

fn workspace_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn vectors_dir() -> PathBuf {
    workspace_dir().join("tests/vectors/envelope")
}

fn load(path: &PathBuf) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("cannot parse {}: {e}", path.display()))
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("missing string field {key} in {v}"))
}

fn hexf(v: &Value, key: &str) -> Vec<u8> {
    hex::decode(s(v, key)).unwrap_or_else(|e| panic!("bad hex in {key}: {e}"))
}

/// 64-bit integers are decimal strings (JavaScript numbers are exact only up to 2^53).
fn i64f(v: &Value, key: &str) -> i64 {
    s(v, key).parse().unwrap_or_else(|e| panic!("{key}: {e}"))
}

fn u64f(v: &Value, key: &str) -> u64 {
    s(v, key).parse().unwrap_or_else(|e| panic!("{key}: {e}"))
}

fn u32f(v: &Value, key: &str) -> u32 {
    u32::try_from(
        v[key]
            .as_u64()
            .unwrap_or_else(|| panic!("missing number {key}")),
    )
    .unwrap()
}

fn payload_of(case: &Value) -> Vec<u8> {
    match case.get("payloadZeros") {
        Some(n) => vec![0u8; n.as_u64().unwrap() as usize],
        None => hexf(case, "payload"),
    }
}

#[test]
fn seal_vectors() {
    let file = vectors_dir().join("seal.json");
    let doc = load(&file);
    let mut ran = 0;
    for case in doc["cases"].as_array().expect("cases") {
        let name = s(case, "name");
        let payload = payload_of(case);
        let secret_key = hexf(case, "secretKey");
        let result = Alg::from_name(s(case, "alg")).and_then(|alg| {
            seal(&SealParams {
                alg,
                secret_key: &secret_key,
                key_id: s(case, "keyId"),
                msg_type: s(case, "type"),
                version: u32f(case, "version"),
                seq: u64f(case, "seq"),
                issued_at: i64f(case, "issuedAt"),
                expires_at: i64f(case, "expiresAt"),
                payload: &payload,
            })
        });
        match (case.get("envelope"), case.get("error")) {
            (Some(_), None) => {
                let got = result.unwrap_or_else(|e| panic!("{name}: seal failed: {e}"));
                assert_eq!(
                    hex::encode(&got),
                    s(case, "envelope"),
                    "{name}: envelope bytes differ"
                );
                // The public key in the vector is the one derived from the secret key.
                let alg = Alg::from_name(s(case, "alg")).unwrap();
                let pk = match alg {
                    Alg::EdDSA => ed25519::public_key(&secret_key).unwrap().to_vec(),
                    Alg::ES256K => secp256k1::public_key(&secret_key, true).unwrap(),
                };
                assert_eq!(hex::encode(pk), s(case, "publicKey"), "{name}: publicKey");
            }
            (None, Some(err)) => {
                let e = result
                    .err()
                    .unwrap_or_else(|| panic!("{name}: expected error {err}"));
                assert_eq!(e.code().as_str(), s(err, "code"), "{name}: {e}");
                assert_eq!(e.param(), s(err, "param"), "{name}: {e}");
            }
            _ => panic!("{name}: a case has exactly one of envelope / error"),
        }
        ran += 1;
    }
    println!("seal.json: {ran} cases");
    assert!(ran >= 10);
}

fn opened_json(o: &Opened) -> Value {
    json!({
        "alg": o.alg.as_str(),
        "keyId": o.key_id,
        "type": o.msg_type,
        "version": o.version,
        "seq": o.seq.to_string(),
        "issuedAt": o.issued_at.to_string(),
        "expiresAt": o.expires_at.to_string(),
        "payload": hex::encode(&o.payload),
    })
}

/// Runs one open case; returns the outcome code ("VALID" or the rejection) and the opened content.
fn run_open_case(case: &Value) -> Result<(String, Option<Value>), String> {
    let keys_json = case["trustedKeys"].as_array().expect("trustedKeys");
    let key_bytes: Vec<Vec<u8>> = keys_json.iter().map(|k| hexf(k, "publicKey")).collect();
    let mut keys = Vec::new();
    for (k, pk) in keys_json.iter().zip(&key_bytes) {
        keys.push(TrustedKey {
            key_id: s(k, "keyId"),
            alg: Alg::from_name(s(k, "alg")).map_err(|e| e.to_string())?,
            public_key: pk,
        });
    }
    let last_seq = match &case["lastSeq"] {
        Value::Null => None,
        _ => Some(u64f(case, "lastSeq")),
    };
    let p = OpenParams {
        trusted_keys: &keys,
        now: i64f(case, "now"),
        expected_type: s(case, "expectedType"),
        last_seq,
        max_clock_skew_s: u32f(case, "maxClockSkewS"),
    };
    let outcome = open_checked(&hexf(case, "envelope"), &p).map_err(|e| e.to_string())?;
    Ok(match outcome {
        Ok(o) => ("VALID".to_owned(), Some(opened_json(&o))),
        Err(r) => (r.as_str().to_owned(), None),
    })
}

#[test]
fn open_vectors() {
    let doc = load(&vectors_dir().join("open.json"));
    let mut ran = 0;
    let mut seen = std::collections::BTreeSet::new();
    for case in doc["cases"].as_array().expect("cases") {
        let name = s(case, "name");
        let (code, opened) =
            run_open_case(case).unwrap_or_else(|e| panic!("{name}: parameters rejected: {e}"));
        assert_eq!(code, s(case, "expect"), "{name}");
        if code == "VALID" {
            assert_eq!(
                opened.as_ref(),
                case.get("opened"),
                "{name}: opened content"
            );
        }
        seen.insert(code);
        ran += 1;
    }
    println!("open.json: {ran} cases, outcomes {seen:?}");
    // Every outcome is exercised.
    assert!(seen.contains("VALID"));
    for r in Rejection::ALL {
        assert!(
            seen.contains(r.as_str()),
            "no open vector for {}",
            r.as_str()
        );
    }
}

/// Envelopes made by Python (pycose + cryptography): every one must open with the expected
/// content, proving a non-Rust COSE implementation produces envelopes we accept.
#[test]
fn python_made_envelopes_open() {
    let path = std::env::var_os("COUNTERSIGN_INTEROP_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_dir().join("tests/interop/python_envelopes.json"));
    let doc = load(&path);
    let mut ran = 0;
    for case in doc["cases"].as_array().expect("cases") {
        let name = s(case, "name");
        let (code, opened) =
            run_open_case(case).unwrap_or_else(|e| panic!("{name}: parameters rejected: {e}"));
        assert_eq!(code, s(case, "expect"), "{name}");
        if code == "VALID" {
            assert_eq!(
                opened.as_ref(),
                case.get("opened"),
                "{name}: opened content"
            );
        }
        ran += 1;
    }
    println!(
        "{}: {ran} python-made envelopes opened as expected",
        path.display()
    );
    assert!(ran >= 2);
}

// ---------------------------------------------------------------------------------------------
// Generator (run once; see the module doc). It builds the malformed variants with its own small
// CBOR code rather than the crate's private encoder, so they do not depend on the code under test.
// ---------------------------------------------------------------------------------------------

const NOW: i64 = 1_750_000_000;
/// RFC 8032 §7.1 TEST 1 secret key.
const ED_SK1: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
/// RFC 8032 §7.1 TEST 2 secret key.
const ED_SK2: &str = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";
/// SHA-256("countersign vector key 1") and ("... 2"), fixed secp256k1 test keys.
fn k1_sk(i: u8) -> String {
    hex::encode(sha256(format!("countersign vector key {i}").as_bytes()))
}

struct SealCase {
    name: &'static str,
    alg: &'static str,
    secret_key: String,
    key_id: String,
    msg_type: String,
    version: u32,
    seq: u64,
    issued_at: i64,
    expires_at: i64,
    payload: Vec<u8>,
    payload_zeros: Option<usize>,
}

impl SealCase {
    fn basic(name: &'static str, alg: &'static str, secret_key: String) -> Self {
        SealCase {
            name,
            alg,
            secret_key,
            key_id: "app-key-1".into(),
            msg_type: "card.limits.set".into(),
            version: 1,
            seq: 42,
            issued_at: NOW,
            expires_at: NOW + 300,
            payload: br#"{"cardId":"c_123","limit":"25.00","currency":"EUR"}"#.to_vec(),
            payload_zeros: None,
        }
    }

    fn seal(&self) -> countersign_core::Result<Vec<u8>> {
        let payload = match self.payload_zeros {
            Some(n) => vec![0u8; n],
            None => self.payload.clone(),
        };
        let sk = hex::decode(&self.secret_key).unwrap();
        seal(&SealParams {
            alg: Alg::from_name(self.alg)?,
            secret_key: &sk,
            key_id: &self.key_id,
            msg_type: &self.msg_type,
            version: self.version,
            seq: self.seq,
            issued_at: self.issued_at,
            expires_at: self.expires_at,
            payload: &payload,
        })
    }

    fn public_key(&self) -> Vec<u8> {
        let sk = hex::decode(&self.secret_key).unwrap();
        match self.alg {
            "EdDSA" => ed25519::public_key(&sk).unwrap().to_vec(),
            _ => secp256k1::public_key(&sk, true).unwrap(),
        }
    }

    fn json(&self) -> Value {
        let mut v = json!({
            "name": self.name,
            "alg": self.alg,
            "secretKey": self.secret_key,
            "keyId": self.key_id,
            "type": self.msg_type,
            "version": self.version,
            "seq": self.seq.to_string(),
            "issuedAt": self.issued_at.to_string(),
            "expiresAt": self.expires_at.to_string(),
        });
        match self.payload_zeros {
            Some(n) => v["payloadZeros"] = json!(n),
            None => v["payload"] = json!(hex::encode(&self.payload)),
        }
        match self.seal() {
            Ok(env) => {
                v["publicKey"] = json!(hex::encode(self.public_key()));
                v["envelope"] = json!(hex::encode(env));
            }
            Err(e) => v["error"] = json!({"code": e.code().as_str(), "param": e.param()}),
        }
        v
    }
}

fn seal_cases() -> Vec<SealCase> {
    let mut cases = vec![
        SealCase::basic("eddsa-basic", "EdDSA", ED_SK1.into()),
        SealCase {
            key_id: "relay-2026-01".into(),
            msg_type: "relay.token".into(),
            version: 0,
            seq: 0,
            payload: vec![],
            ..SealCase::basic("eddsa-empty-payload-seq-0", "EdDSA", ED_SK2.into())
        },
        SealCase {
            key_id: "k".repeat(64),
            msg_type: "a".repeat(64),
            version: u32::MAX,
            seq: u64::MAX,
            issued_at: -TIME_S_MAX,
            expires_at: TIME_S_MAX,
            ..SealCase::basic("eddsa-extreme-values", "EdDSA", ED_SK1.into())
        },
        SealCase {
            key_id: "clé-1 ✓".into(),
            msg_type: "dose.alarm-settings/v2+cbor".into(),
            issued_at: -1,
            expires_at: 23,
            payload: (0u8..=255).collect(),
            ..SealCase::basic(
                "eddsa-utf8-kid-negative-time-256-byte-payload",
                "EdDSA",
                ED_SK2.into(),
            )
        },
        SealCase {
            payload: vec![0x61; 24],
            seq: 24,
            issued_at: 4_294_967_296,
            expires_at: 4_294_967_297,
            ..SealCase::basic("eddsa-length-boundaries", "EdDSA", ED_SK1.into())
        },
        SealCase::basic("es256k-basic", "ES256K", k1_sk(1)),
        SealCase {
            key_id: "custody-hot-1".into(),
            msg_type: "custody.withdrawal.approve".into(),
            version: 65_536,
            seq: 1 << 32,
            payload: vec![],
            ..SealCase::basic("es256k-empty-payload", "ES256K", k1_sk(2))
        },
        SealCase {
            key_id: "k".repeat(64),
            msg_type: "z".repeat(64),
            version: u32::MAX,
            seq: u64::MAX,
            issued_at: -TIME_S_MAX,
            expires_at: TIME_S_MAX,
            payload: (0..1000u32).map(|i| (i * 7 % 251) as u8).collect(),
            ..SealCase::basic("es256k-extreme-values", "ES256K", k1_sk(1))
        },
    ];
    // Errors.
    let err = |name, f: &dyn Fn(&mut SealCase)| {
        let mut c = SealCase::basic(name, "EdDSA", ED_SK1.into());
        f(&mut c);
        c
    };
    cases.push(err("error-key-id-empty", &|c| c.key_id = String::new()));
    cases.push(err("error-key-id-too-long", &|c| c.key_id = "k".repeat(65)));
    cases.push(err("error-type-uppercase", &|c| {
        c.msg_type = "Card.limits".into()
    }));
    cases.push(err("error-type-too-long", &|c| c.msg_type = "a".repeat(65)));
    cases.push(err("error-expires-at-equals-issued-at", &|c| {
        c.expires_at = c.issued_at
    }));
    cases.push(err("error-issued-at-beyond-js-safe-range", &|c| {
        c.issued_at = i64::MIN
    }));
    cases.push(err("error-expires-at-beyond-js-safe-range", &|c| {
        c.expires_at = TIME_S_MAX + 1
    }));
    cases.push(err("error-payload-too-large", &|c| {
        c.payload_zeros = Some(65_537)
    }));
    cases.push(err("error-eddsa-secret-key-31-bytes", &|c| {
        c.secret_key = ED_SK1[..62].into()
    }));
    cases.push(err("error-algorithm-unsupported", &|c| c.alg = "ES256"));
    cases.push(SealCase::basic(
        "error-es256k-secret-key-zero",
        "ES256K",
        "00".repeat(32),
    ));
    cases.push(SealCase::basic(
        "error-es256k-secret-key-order",
        "ES256K",
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141".into(),
    ));
    cases
}

// Small independent CBOR helpers for crafting variants.
fn cbor(f: impl FnOnce(&mut Encoder<&mut Vec<u8>>)) -> Vec<u8> {
    let mut v = Vec::new();
    f(&mut Encoder::new(&mut v));
    v
}

fn bstr(b: &[u8]) -> Vec<u8> {
    cbor(|e| {
        e.bytes(b).unwrap();
    })
}

fn sig_structure(protected: &[u8], payload: &[u8]) -> Vec<u8> {
    cbor(|e| {
        e.array(4)
            .unwrap()
            .str("Signature1")
            .unwrap()
            .bytes(protected)
            .unwrap()
            .bytes(&[])
            .unwrap()
            .bytes(payload)
            .unwrap();
    })
}

fn sign_raw(alg: &str, sk: &[u8], tbs: &[u8]) -> Vec<u8> {
    match alg {
        "EdDSA" => ed25519::sign(sk, tbs).unwrap().to_vec(),
        _ => secp256k1::sign_digest(sk, &sha256(tbs)).unwrap().to_vec(),
    }
}

/// `18([protected, unprotected_raw, payload, sig])` with a valid signature over `protected`.
fn assemble_signed(
    alg: &str,
    sk: &[u8],
    protected: &[u8],
    unprotected_raw: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    let sig = sign_raw(alg, sk, &sig_structure(protected, payload));
    let mut out = vec![0xd2, 0x84];
    out.extend(bstr(protected));
    out.extend_from_slice(unprotected_raw);
    out.extend(bstr(payload));
    out.extend(bstr(&sig));
    out
}

/// The protected header of the basic case written by hand, with `seq_raw` as the seq value and
/// `alg_raw` as the alg value.
fn protected_raw(alg_raw: &[u8], seq_raw: &[u8]) -> Vec<u8> {
    let mut v = vec![0xa6, 0x01];
    v.extend_from_slice(alg_raw);
    v.push(0x04);
    v.extend(bstr(b"app-key-1"));
    v.push(0x0f);
    v.extend(cbor(|e| {
        e.map(2)
            .unwrap()
            .u8(4)
            .unwrap()
            .i64(NOW + 300)
            .unwrap()
            .u8(6)
            .unwrap()
            .i64(NOW)
            .unwrap();
    }));
    v.push(0x10);
    v.extend(cbor(|e| {
        e.str("card.limits.set").unwrap();
    }));
    v.extend_from_slice(&[0x3a, 0, 1, 0, 0, 0x01]);
    v.extend_from_slice(&[0x3a, 0, 1, 0, 1]);
    v.extend_from_slice(seq_raw);
    v
}

fn trusted(key_id: &str, alg: &str, pk: &[u8]) -> Value {
    json!({"keyId": key_id, "alg": alg, "publicKey": hex::encode(pk)})
}

#[allow(clippy::too_many_arguments)]
fn open_case(
    name: &str,
    envelope: &[u8],
    keys: Vec<Value>,
    now: i64,
    expected_type: &str,
    last_seq: Option<u64>,
    skew: u32,
    expect: &str,
) -> Value {
    let mut v = json!({
        "name": name,
        "envelope": hex::encode(envelope),
        "trustedKeys": keys,
        "now": now.to_string(),
        "expectedType": expected_type,
        "lastSeq": last_seq.map(|s| s.to_string()),
        "maxClockSkewS": skew,
        "expect": expect,
    });
    let (code, opened) = run_open_case(&v).unwrap();
    assert_eq!(code, expect, "generator: {name}");
    if let Some(o) = opened {
        v["opened"] = o;
    }
    v
}

fn open_cases() -> Vec<Value> {
    let ed_sk = hex::decode(ED_SK1).unwrap();
    let k1_sk_bytes = hex::decode(k1_sk(1)).unwrap();
    let ed_pk = ed25519::public_key(&ed_sk).unwrap();
    let k1_pk = secp256k1::public_key(&k1_sk_bytes, true).unwrap();
    let k1_pk_u = secp256k1::public_key(&k1_sk_bytes, false).unwrap();
    let other_ed_pk = ed25519::public_key(&hex::decode(ED_SK2).unwrap()).unwrap();
    let ed_env = SealCase::basic("", "EdDSA", ED_SK1.into()).seal().unwrap();
    let k1_env = SealCase::basic("", "ES256K", k1_sk(1)).seal().unwrap();
    let both = || {
        vec![
            trusted("app-key-1", "EdDSA", &ed_pk),
            trusted("app-key-1", "ES256K", &k1_pk),
        ]
    };
    let t = "card.limits.set";
    let (iat, exp) = (NOW, NOW + 300);
    let mut v = vec![
        open_case(
            "valid-eddsa",
            &ed_env,
            both(),
            NOW + 10,
            t,
            Some(41),
            60,
            "VALID",
        ),
        open_case(
            "valid-es256k",
            &k1_env,
            both(),
            NOW + 10,
            t,
            Some(41),
            60,
            "VALID",
        ),
        open_case(
            "valid-es256k-uncompressed-trusted-key",
            &k1_env,
            vec![trusted("app-key-1", "ES256K", &k1_pk_u)],
            NOW,
            t,
            None,
            0,
            "VALID",
        ),
        open_case(
            "valid-no-last-seq",
            &ed_env,
            both(),
            NOW,
            t,
            None,
            0,
            "VALID",
        ),
        open_case(
            "valid-last-instant-before-expiry",
            &ed_env,
            both(),
            exp - 1,
            t,
            Some(0),
            0,
            "VALID",
        ),
        open_case(
            "valid-issued-at-now-plus-skew",
            &ed_env,
            both(),
            iat - 60,
            t,
            None,
            60,
            "VALID",
        ),
        open_case(
            "unknown-key-kid",
            &ed_env,
            vec![trusted("app-key-2", "EdDSA", &ed_pk)],
            NOW,
            t,
            None,
            0,
            "UNKNOWN_KEY",
        ),
        open_case(
            "unknown-key-alg-mismatch",
            &k1_env,
            vec![trusted("app-key-1", "EdDSA", &ed_pk)],
            NOW,
            t,
            None,
            0,
            "UNKNOWN_KEY",
        ),
        open_case(
            "unknown-key-no-trusted-keys",
            &ed_env,
            vec![],
            NOW,
            t,
            None,
            0,
            "UNKNOWN_KEY",
        ),
        open_case(
            "bad-signature-other-key-same-kid",
            &ed_env,
            vec![trusted("app-key-1", "EdDSA", &other_ed_pk)],
            NOW,
            t,
            None,
            0,
            "BAD_SIGNATURE",
        ),
        open_case(
            "wrong-type",
            &ed_env,
            both(),
            NOW,
            "card.limits.reset",
            None,
            0,
            "WRONG_TYPE",
        ),
        open_case(
            "wrong-type-before-expired-and-replayed",
            &ed_env,
            both(),
            exp,
            "card.limits.reset",
            Some(42),
            0,
            "WRONG_TYPE",
        ),
        open_case(
            "not-yet-valid-beyond-skew",
            &ed_env,
            both(),
            iat - 61,
            t,
            None,
            60,
            "NOT_YET_VALID",
        ),
        open_case(
            "not-yet-valid-no-skew",
            &k1_env,
            both(),
            iat - 1,
            t,
            None,
            0,
            "NOT_YET_VALID",
        ),
        open_case(
            "expired-at-exactly-expires-at",
            &ed_env,
            both(),
            exp,
            t,
            None,
            0,
            "EXPIRED",
        ),
        open_case(
            "expired-skew-does-not-extend",
            &k1_env,
            both(),
            exp,
            t,
            None,
            86_400,
            "EXPIRED",
        ),
        open_case(
            "expired-before-replayed",
            &ed_env,
            both(),
            exp + 1000,
            t,
            Some(42),
            0,
            "EXPIRED",
        ),
        open_case(
            "replayed-equal-seq",
            &ed_env,
            both(),
            NOW,
            t,
            Some(42),
            0,
            "REPLAYED",
        ),
        open_case(
            "replayed-lower-seq",
            &k1_env,
            both(),
            NOW,
            t,
            Some(43),
            0,
            "REPLAYED",
        ),
        open_case(
            "replayed-last-seq-max",
            &ed_env,
            both(),
            NOW,
            t,
            Some(u64::MAX),
            0,
            "REPLAYED",
        ),
    ];
    // Tampering after sealing.
    for (alg, env) in [("eddsa", &ed_env), ("es256k", &k1_env)] {
        let payload_at = env.windows(8).position(|w| w == b"{\"cardId").unwrap();
        let mut p = env.clone();
        p[payload_at + 12] ^= 0x01;
        v.push(open_case(
            &format!("bad-signature-{alg}-payload-byte"),
            &p,
            both(),
            NOW,
            t,
            None,
            0,
            "BAD_SIGNATURE",
        ));
        let seq_at = env
            .windows(7)
            .position(|w| w == [0x3a, 0, 1, 0, 1, 0x18, 0x2a])
            .unwrap();
        let mut h = env.clone();
        h[seq_at + 6] = 0x2b;
        v.push(open_case(
            &format!("bad-signature-{alg}-header-seq-changed"),
            &h,
            both(),
            NOW,
            t,
            None,
            0,
            "BAD_SIGNATURE",
        ));
        let mut sg = env.clone();
        let n = sg.len();
        sg[n - 40] ^= 0x10;
        v.push(open_case(
            &format!("bad-signature-{alg}-signature-byte"),
            &sg,
            both(),
            NOW,
            t,
            None,
            0,
            "BAD_SIGNATURE",
        ));
        let mut tr = env.clone();
        tr.push(0x00);
        v.push(open_case(
            &format!("malformed-{alg}-trailing-byte"),
            &tr,
            both(),
            NOW,
            t,
            None,
            0,
            "MALFORMED",
        ));
        v.push(open_case(
            &format!("malformed-{alg}-truncated"),
            &env[..env.len() - 1],
            both(),
            NOW,
            t,
            None,
            0,
            "MALFORMED",
        ));
    }
    // High-S ES256K (valid ECDSA, refused: low-S only).
    {
        let n_order =
            hex::decode("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
                .unwrap();
        let len = k1_env.len();
        let s_low = k1_env[len - 32..].to_vec();
        let mut s_high = [0u8; 32];
        let mut borrow = 0i16;
        for i in (0..32).rev() {
            let mut d = i16::from(n_order[i]) - i16::from(s_low[i]) - borrow;
            borrow = i16::from(d < 0);
            if d < 0 {
                d += 256;
            }
            s_high[i] = d as u8;
        }
        let mut hs = k1_env.clone();
        hs[len - 32..].copy_from_slice(&s_high);
        v.push(open_case(
            "bad-signature-es256k-high-s",
            &hs,
            both(),
            NOW,
            t,
            None,
            0,
            "BAD_SIGNATURE",
        ));
    }
    // Structure and canonical form (signatures valid wherever a signature exists).
    let payload = br#"{"cardId":"c_123","limit":"25.00","currency":"EUR"}"#;
    let canonical = protected_raw(&[0x27], &[0x18, 0x2a]);
    let rebuilt = assemble_signed("EdDSA", &ed_sk, &canonical, &[0xa0], payload);
    assert_eq!(rebuilt, ed_env, "the hand-written header must match seal's");
    let m = |name: &str, bytes: &[u8]| open_case(name, bytes, both(), NOW, t, None, 0, "MALFORMED");
    v.push(m("malformed-empty-input", &[]));
    v.push(m("malformed-untagged", &ed_env[1..]));
    v.push(m(
        "malformed-non-canonical-seq-in-header-resigned",
        &assemble_signed(
            "EdDSA",
            &ed_sk,
            &protected_raw(&[0x27], &[0x1b, 0, 0, 0, 0, 0, 0, 0, 0x2a]),
            &[0xa0],
            payload,
        ),
    ));
    v.push(m(
        "malformed-non-canonical-alg-in-header-resigned",
        &assemble_signed(
            "EdDSA",
            &ed_sk,
            &protected_raw(&[0x38, 0x07], &[0x18, 0x2a]),
            &[0xa0],
            payload,
        ),
    ));
    v.push(m(
        "malformed-unsupported-alg-es256-resigned",
        &assemble_signed(
            "ES256K",
            &k1_sk_bytes,
            &protected_raw(&[0x26], &[0x18, 0x2a]),
            &[0xa0],
            payload,
        ),
    ));
    v.push(m(
        "malformed-unprotected-header-not-empty",
        &assemble_signed(
            "EdDSA",
            &ed_sk,
            &canonical,
            &[
                0xa1, 0x04, 0x49, b'a', b'p', b'p', b'-', b'k', b'e', b'y', b'-', b'1',
            ],
            payload,
        ),
    ));
    v.push(m(
        "malformed-unprotected-header-non-canonical-empty-map",
        &assemble_signed("EdDSA", &ed_sk, &canonical, &[0xb8, 0x00], payload),
    ));
    {
        // Payload bstr length in the 2-byte form (signature still valid).
        let sig = &ed_env[ed_env.len() - 64..];
        let mut nc = vec![0xd2, 0x84];
        nc.extend(bstr(&canonical));
        nc.push(0xa0);
        nc.push(0x59);
        nc.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        nc.extend_from_slice(payload);
        nc.extend(bstr(sig));
        v.push(m("malformed-non-canonical-payload-length", &nc));
        // Indefinite-length outer array.
        let mut ind = vec![0xd2, 0x9f];
        ind.extend_from_slice(&ed_env[2..]);
        ind.push(0xff);
        v.push(m("malformed-indefinite-length-array", &ind));
        // Signature of 63 bytes.
        let mut short = vec![0xd2, 0x84];
        short.extend(bstr(&canonical));
        short.push(0xa0);
        short.extend(bstr(payload));
        short.extend(bstr(&sig[..63]));
        v.push(m("malformed-signature-63-bytes", &short));
        // Detached (nil) payload.
        let mut det = vec![0xd2, 0x84];
        det.extend(bstr(&canonical));
        det.push(0xa0);
        det.push(0xf6);
        det.extend(bstr(sig));
        v.push(m("malformed-nil-payload", &det));
    }
    v
}

#[test]
#[ignore = "writes tests/vectors/envelope/*.json; run only to (re)create the vectors"]
fn generate_vectors() {
    if std::env::var("COUNTERSIGN_WRITE_VECTORS").as_deref() != Ok("1") {
        println!("set COUNTERSIGN_WRITE_VECTORS=1 to write the vector files");
        return;
    }
    let dir = vectors_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let seal_doc = json!({
        "description": SEAL_DESCRIPTION,
        "cases": seal_cases().iter().map(SealCase::json).collect::<Vec<_>>(),
    });
    let open_doc = json!({
        "description": OPEN_DESCRIPTION,
        "cases": open_cases(),
    });
    for (file, doc) in [("seal.json", seal_doc), ("open.json", open_doc)] {
        std::fs::write(dir.join(file), ordered_json(&doc)).unwrap();
    }
}

/// Key order of the written files (serde_json's map sorts keys; a reader wants the name first).
const KEY_ORDER: &[&str] = &[
    "description",
    "name",
    "alg",
    "secretKey",
    "publicKey",
    "keyId",
    "type",
    "version",
    "seq",
    "issuedAt",
    "expiresAt",
    "payload",
    "payloadZeros",
    "envelope",
    "error",
    "trustedKeys",
    "now",
    "expectedType",
    "lastSeq",
    "maxClockSkewS",
    "expect",
    "opened",
    "code",
    "param",
    "cases",
];

/// Key order inside nested objects (trusted keys, opened content, errors).
const NESTED_KEY_ORDER: &[&str] = &[
    "keyId",
    "alg",
    "publicKey",
    "type",
    "version",
    "seq",
    "issuedAt",
    "expiresAt",
    "payload",
    "code",
    "param",
];

/// Writes the document with `KEY_ORDER`: one line per field of a case, nested values compact.
fn ordered_json(doc: &Value) -> String {
    fn rank(k: &str) -> usize {
        KEY_ORDER
            .iter()
            .position(|x| *x == k)
            .unwrap_or_else(|| panic!("key {k} missing from KEY_ORDER"))
    }
    fn nested_rank(k: &str) -> usize {
        NESTED_KEY_ORDER
            .iter()
            .position(|x| *x == k)
            .unwrap_or_else(|| panic!("key {k} missing from NESTED_KEY_ORDER"))
    }
    fn compact(v: &Value) -> String {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort_by_key(|k| nested_rank(k));
                let parts: Vec<String> = keys
                    .iter()
                    .map(|k| format!("{}: {}", Value::from(k.as_str()), compact(&m[*k])))
                    .collect();
                format!("{{{}}}", parts.join(", "))
            }
            Value::Array(a) => {
                format!("[{}]", a.iter().map(compact).collect::<Vec<_>>().join(", "))
            }
            other => other.to_string(),
        }
    }
    let mut out = String::from("{\n");
    out.push_str(&format!(
        "  \"description\": {},\n  \"cases\": [\n",
        doc["description"]
    ));
    let cases = doc["cases"].as_array().unwrap();
    for (i, case) in cases.iter().enumerate() {
        let m = case.as_object().unwrap();
        let mut keys: Vec<&String> = m.keys().collect();
        keys.sort_by_key(|k| rank(k));
        let fields: Vec<String> = keys
            .iter()
            .map(|k| format!("      {}: {}", Value::from(k.as_str()), compact(&m[*k])))
            .collect();
        out.push_str(&format!(
            "    {{\n{}\n    }}{}\n",
            fields.join(",\n"),
            if i + 1 < cases.len() { "," } else { "" }
        ));
    }
    out.push_str("  ]\n}\n");
    // The result must parse back to the same document.
    assert_eq!(&serde_json::from_str::<Value>(&out).unwrap(), doc);
    out
}

const SEAL_DESCRIPTION: &str = "countersign envelope seal vectors. An envelope is COSE_Sign1 (RFC 9052, tag 18) in \
deterministic CBOR (RFC 8949 §4.2.1): 18([protected bstr, {} (always empty), payload bstr, signature bstr (64 bytes)]). \
The protected header is the map {1: alg (-8 EdDSA | -47 ES256K), 4: kid (bstr, UTF-8 keyId), 15: {4: expiresAt, 6: issuedAt} \
(CWT Claims, RFC 9597), 16: type (tstr, RFC 9596), -65537: version (uint32), -65538: seq (uint64)} with keys in that order. \
The signature is over Sig_structure ['Signature1', protected, h'', payload]: Ed25519 over those bytes; ES256K = ECDSA \
secp256k1 over SHA-256 of them, RFC 6979 nonce, r||s low-S. Fields: alg ('EdDSA'|'ES256K'), secretKey (hex, 32 bytes), \
keyId, type, version (number), seq/issuedAt/expiresAt (decimal strings: 64-bit values are not exact as JavaScript numbers), \
payload (hex) or payloadZeros (a payload of that many 0x00 bytes). Each case has either envelope (hex, the exact expected \
bytes: sealing is deterministic) with publicKey (hex: Ed25519 32 bytes, secp256k1 SEC1 compressed 33 bytes), or error \
{code, param} (the stable error code and the parameter it names).";

const OPEN_DESCRIPTION: &str = "countersign envelope open vectors (format of the envelope: see seal.json). Each case: \
envelope (hex), trustedKeys [{keyId, alg, publicKey (hex; secp256k1 SEC1 compressed or uncompressed)}], now (decimal \
string, Unix seconds), expectedType, lastSeq (decimal string or null), maxClockSkewS (number), expect ('VALID' or one \
rejection code) and, when VALID, opened {alg, keyId, type, version, seq, issuedAt, expiresAt, payload (hex)}. Check order, \
first failure wins: MALFORMED (size, structure, canonical encoding) > UNKNOWN_KEY (no trusted key with this (keyId, alg)) > \
BAD_SIGNATURE (ES256K: low-S only) > WRONG_TYPE > NOT_YET_VALID (issuedAt > now + maxClockSkewS) > EXPIRED \
(now >= expiresAt) > REPLAYED (seq <= lastSeq).";
