//! Runs the temporary-card credential vectors (`tests/vectors/tempcard/credentials.json`), the
//! same file the SDK will run. The format is in the file's `description`; the expectations are
//! written by `tests/vectors/tempcard/generate.py`, an independent Python implementation.

use std::collections::BTreeMap;

use countersign_core::tempcard::{
    derive_cvv, issue, luhn_check_digit, luhn_valid, verify_cvv, Credentials, IssueRequest,
    PresentedCredentials,
};
use countersign_core::Result;
use serde_json::{json, Value};

const VECTORS_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/vectors/tempcard/credentials.json"
);

/// Every op the format defines; each must appear at least once.
const OPS: &[&str] = &[
    "luhnValid",
    "luhnCheckDigit",
    "issue",
    "deriveCvv",
    "verifyCvv",
    "displayStatus",
    "usableStatus",
    "reveal",
    "verifyPresented",
];

fn str_of<'a>(case: &'a Value, name: &str) -> &'a str {
    case[name]
        .as_str()
        .unwrap_or_else(|| panic!("missing string {name:?} in {case}"))
}

fn i64_of(case: &Value, name: &str) -> i64 {
    case[name]
        .as_i64()
        .unwrap_or_else(|| panic!("missing integer {name:?} in {case}"))
}

fn hex_of(case: &Value, name: &str) -> Vec<u8> {
    hex::decode(str_of(case, name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn credentials(case: &Value) -> Credentials {
    serde_json::from_value(case["credentials"].clone())
        .unwrap_or_else(|e| panic!("credentials: {e} in {case}"))
}

/// The case's result as JSON, or its error.
fn run(case: &Value) -> Result<Value> {
    Ok(match str_of(case, "op") {
        "luhnValid" => json!(luhn_valid(str_of(case, "number"))),
        "luhnCheckDigit" => json!(luhn_check_digit(str_of(case, "payload"))),
        "issue" => {
            let request: IssueRequest = serde_json::from_value(case["request"].clone())
                .unwrap_or_else(|e| panic!("request: {e}"));
            let result = issue(&request, &hex_of(case, "randomness"))?;
            if let Some(issued) = &result.credentials {
                assert!(luhn_valid(&issued.pan));
                // Issued credentials pass their own validation.
                issued.validate()?;
            }
            serde_json::to_value(&result).unwrap()
        }
        "deriveCvv" => {
            let cvv = derive_cvv(
                &hex_of(case, "key"),
                str_of(case, "pan"),
                i64_of(case, "expiresAt"),
            )?;
            json!(cvv.as_str())
        }
        "verifyCvv" => json!(verify_cvv(
            &hex_of(case, "key"),
            str_of(case, "pan"),
            i64_of(case, "expiresAt"),
            str_of(case, "presented"),
        )?),
        "displayStatus" => json!(credentials(case).display_status(i64_of(case, "now"))?),
        "usableStatus" => json!(credentials(case).usable_status(i64_of(case, "now"))?),
        "reveal" => {
            let reveal = credentials(case).reveal(&hex_of(case, "key"), i64_of(case, "now"))?;
            serde_json::to_value(&reveal).unwrap()
        }
        "verifyPresented" => {
            let presented: PresentedCredentials =
                serde_json::from_value(case["presented"].clone()).unwrap();
            json!(credentials(case).verify_presented(
                &hex_of(case, "key"),
                &presented,
                i64_of(case, "now"),
            )?)
        }
        other => panic!("unknown op {other:?}"),
    })
}

#[test]
fn tempcard_credential_vectors() {
    let text = std::fs::read_to_string(VECTORS_PATH).expect("read vectors");
    let doc: Value = serde_json::from_str(&text).expect("parse vectors");
    assert!(
        doc["description"].as_str().is_some_and(|d| d.len() > 200),
        "the file documents its format"
    );
    let cases = doc["cases"].as_array().expect("cases");
    let mut per_op: BTreeMap<String, usize> = BTreeMap::new();
    let (mut expects, mut errors) = (0usize, 0usize);
    for (index, case) in cases.iter().enumerate() {
        let op = str_of(case, "op");
        *per_op.entry(op.to_owned()).or_default() += 1;
        let got = run(case);
        match (case.get("expect"), case.get("error")) {
            (Some(expected), None) => {
                expects += 1;
                match got {
                    Ok(value) => assert_eq!(&value, expected, "case {index} ({op}): {case}"),
                    Err(e) => panic!("case {index} ({op}): unexpected error {e}: {case}"),
                }
            }
            (None, Some(code)) => {
                errors += 1;
                match got {
                    Ok(value) => {
                        panic!("case {index} ({op}): expected {code}, got {value}: {case}")
                    }
                    Err(e) => assert_eq!(e.code().as_str(), code, "case {index} ({op}): {e}"),
                }
            }
            _ => panic!("case {index}: exactly one of expect/error"),
        }
    }
    for op in OPS {
        assert!(per_op.contains_key(*op), "no case for op {op}");
    }
    println!(
        "tempcard credential vectors: {} cases ({expects} results, {errors} errors): {per_op:?}",
        cases.len()
    );
}
