//! Runs every case of the Project Wycheproof suites for our verifiers.
//!
//! The suites are read from the repository copy `tests/vectors/wycheproof/` if it exists, else
//! from `../shared/vectors/wycheproof/` next to the workspace (both are unchanged copies of
//! C2SP/wycheproof `testvectors_v1/`, see SOURCE.md there). The test fails loudly if neither
//! directory exists: a silently skipped suite would be worse than a failing one.
//!
//! Mapping of `result`: `valid` => verify must return true; `invalid` => false. `acceptable`
//! (legal but discouraged, e.g. BER encodings in some suites) => must return **false**: our policy
//! is the strict one. The current files contain no `acceptable` case; the count is printed.

use std::path::PathBuf;

use countersign_core::crypto::{ed25519, secp256k1, secp256k1::SignatureFormat};
use serde_json::Value;

fn wycheproof_dir() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        manifest.join("../tests/vectors/wycheproof"),
        manifest.join("../../shared/vectors/wycheproof"),
    ];
    for dir in &candidates {
        if dir.join("ed25519_test.json").is_file() {
            println!("Wycheproof vectors from {}", dir.display());
            return dir.clone();
        }
    }
    panic!(
        "Wycheproof vectors not found in {} nor {} (copy C2SP/wycheproof testvectors_v1 there)",
        candidates[0].display(),
        candidates[1].display()
    );
}

fn load(file: &str) -> Value {
    let path = wycheproof_dir().join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("cannot parse {}: {e}", path.display()))
}

fn hex_field(v: &Value, key: &str) -> Vec<u8> {
    let s = v[key]
        .as_str()
        .unwrap_or_else(|| panic!("missing hex field {key}"));
    hex::decode(s).unwrap_or_else(|e| panic!("bad hex in {key}: {e}"))
}

struct Counts {
    ran: u64,
    valid: u64,
    invalid: u64,
    acceptable: u64,
}

/// Runs `verify(group, test) -> bool` on every test of every group and checks the expectation.
fn run(file: &str, verify: impl Fn(&Value, &Value) -> bool) {
    let suite = load(file);
    let expected_count = suite["numberOfTests"].as_u64().expect("numberOfTests");
    let mut counts = Counts {
        ran: 0,
        valid: 0,
        invalid: 0,
        acceptable: 0,
    };
    let mut failures = Vec::new();
    for group in suite["testGroups"].as_array().expect("testGroups") {
        for test in group["tests"].as_array().expect("tests") {
            let tc_id = test["tcId"].as_u64().expect("tcId");
            let result = test["result"].as_str().expect("result");
            let expected = match result {
                "valid" => {
                    counts.valid += 1;
                    true
                }
                "invalid" => {
                    counts.invalid += 1;
                    false
                }
                "acceptable" => {
                    counts.acceptable += 1;
                    false
                }
                other => panic!("{file} tcId {tc_id}: unknown result {other}"),
            };
            counts.ran += 1;
            let got = verify(group, test);
            if got != expected {
                failures.push(format!(
                    "tcId {tc_id} ({result}, {:?}, flags {}): verify returned {got}",
                    test["comment"].as_str().unwrap_or(""),
                    test["flags"]
                ));
            }
        }
    }
    println!(
        "{file}: {} cases ran ({} valid, {} invalid, {} acceptable treated as invalid), numberOfTests = {expected_count}, {} failed",
        counts.ran,
        counts.valid,
        counts.invalid,
        counts.acceptable,
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{file}: {} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        counts.ran, expected_count,
        "{file}: ran {} cases but numberOfTests is {expected_count}",
        counts.ran
    );
}

fn ecdsa_key(group: &Value) -> Vec<u8> {
    hex_field(&group["publicKey"], "uncompressed")
}

#[test]
fn ed25519_test() {
    run("ed25519_test.json", |group, test| {
        let pk = hex_field(&group["publicKey"], "pk");
        ed25519::verify(&pk, &hex_field(test, "msg"), &hex_field(test, "sig"))
    });
}

/// Every case through the batch path: all 151 in one batch, and each case alone among valid
/// signatures of other keys (a bad one must be named, and must not make a good one fail).
#[test]
fn ed25519_test_batch() {
    let suite = load("ed25519_test.json");
    let mut cases: Vec<(Vec<u8>, Vec<u8>, Vec<u8>, bool)> = Vec::new();
    for group in suite["testGroups"].as_array().expect("testGroups") {
        let pk = hex_field(&group["publicKey"], "pk");
        for test in group["tests"].as_array().expect("tests") {
            let valid = test["result"] == "valid";
            cases.push((pk.clone(), hex_field(test, "msg"), hex_field(test, "sig"), valid));
        }
    }
    assert_eq!(cases.len() as u64, suite["numberOfTests"].as_u64().expect("numberOfTests"));
    let items = |list: &[&(Vec<u8>, Vec<u8>, Vec<u8>, bool)]| -> Vec<bool> {
        let borrowed: Vec<(&[u8], &[u8], &[u8])> =
            list.iter().map(|c| (&c.0[..], &c.1[..], &c.2[..])).collect();
        ed25519::verify_batch(&borrowed).expect("within the batch limit")
    };
    let all: Vec<_> = cases.iter().collect();
    let expected: Vec<bool> = cases.iter().map(|c| c.3).collect();
    assert_eq!(items(&all), expected, "the whole suite as one batch");
    let valid: Vec<_> = cases.iter().filter(|c| c.3).collect();
    assert!(valid.len() > 8);
    assert!(items(&valid).iter().all(|&ok| ok), "the valid cases as one batch");
    for (n, case) in cases.iter().enumerate() {
        let mut batch: Vec<_> = valid.iter().copied().take(7).collect();
        batch.insert(n % 8, case);
        let mut want = vec![true; 8];
        want[n % 8] = case.3;
        assert_eq!(items(&batch), want, "case {n} inside a batch of valid signatures");
    }
}

#[test]
fn ecdsa_secp256k1_sha256_der_high_s_allowed() {
    run("ecdsa_secp256k1_sha256_test.json", |group, test| {
        let key = ecdsa_key(group);
        let (msg, sig) = (hex_field(test, "msg"), hex_field(test, "sig"));
        let ok = secp256k1::verify(&key, &msg, &sig, SignatureFormat::Der, true);
        // The same key, compressed, must give the same answer.
        let compressed = compress(&key);
        assert_eq!(
            ok,
            secp256k1::verify(&compressed, &msg, &sig, SignatureFormat::Der, true),
            "compressed key disagrees on tcId {}",
            test["tcId"]
        );
        ok
    });
}

#[test]
fn ecdsa_secp256k1_sha256_p1363_high_s_allowed() {
    run("ecdsa_secp256k1_sha256_p1363_test.json", |group, test| {
        let (msg, sig) = (hex_field(test, "msg"), hex_field(test, "sig"));
        let ok = secp256k1::verify(
            &ecdsa_key(group),
            &msg,
            &sig,
            SignatureFormat::Compact,
            true,
        );
        // verify_digest over SHA-256(msg) must agree with verify.
        let digest = countersign_core::crypto::sha256(&msg);
        assert_eq!(
            ok,
            secp256k1::verify_digest(&ecdsa_key(group), &digest, &sig, true),
            "verify_digest disagrees on tcId {}",
            test["tcId"]
        );
        ok
    });
}

#[test]
fn ecdsa_secp256k1_sha256_bitcoin_low_s_only() {
    run("ecdsa_secp256k1_sha256_bitcoin_test.json", |group, test| {
        secp256k1::verify(
            &ecdsa_key(group),
            &hex_field(test, "msg"),
            &hex_field(test, "sig"),
            SignatureFormat::Der,
            false,
        )
    });
}

/// SEC1 compression of a 65-byte uncompressed key (test helper).
fn compress(uncompressed: &[u8]) -> Vec<u8> {
    assert_eq!(uncompressed.len(), 65);
    let mut out = vec![0x02 | (uncompressed[64] & 1)];
    out.extend_from_slice(&uncompressed[1..33]);
    out
}
