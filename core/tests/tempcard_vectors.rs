//! Runs the temporary-card vectors, the same files the SDK runs: the credential vectors
//! (`tests/vectors/tempcard/credentials.json`, written by `generate.py`) and the service
//! scenarios (`accounts.json`, written by `generate_accounts.py`), both independent Python
//! implementations. The formats are in each file's `description`.

use std::collections::BTreeMap;

use countersign_core::tempcard::{
    derive_cvv, issue, luhn_check_digit, luhn_valid, verify_cvv, ApprovalRequest,
    AuthorisationRequest, Credentials, IssueRequest, PresentedCredentials, RefundRequest,
    ServiceConfig, TempCardService,
};
use countersign_core::Result;
use serde_json::{json, Value};

const VECTORS_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/vectors/tempcard/credentials.json"
);
const ACCOUNTS_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/vectors/tempcard/accounts.json"
);

/// Every step op of accounts.json; each must appear at least once.
const ACCOUNT_OPS: &[&str] = &[
    "approve",
    "reveal",
    "authorise",
    "refund",
    "activate",
    "closeDue",
    "view",
    "snapshotRestore",
];

/// Every field of `expected` equals `actual`'s; objects are compared field by field.
fn assert_subset(actual: &Value, expected: &Value, label: &str) {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => {
            for (key, want) in e {
                let got = a.get(key).unwrap_or(&Value::Null);
                assert_subset(got, want, &format!("{label}.{key}"));
            }
        }
        _ => assert_eq!(actual, expected, "{label}"),
    }
}

fn parse<T: serde::de::DeserializeOwned>(value: &Value, what: &str) -> T {
    serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{what}: {e} in {value}"))
}

fn run_step(
    service: &mut TempCardService,
    step: &Value,
    cvv_key: &[u8],
    snapshot_key: &[u8],
) -> Result<Value> {
    Ok(match str_of(step, "op") {
        "approve" => {
            let request: ApprovalRequest = parse(&step["request"], "request");
            json!(service.approve(&request, &hex_of(step, "randomness"))?)
        }
        "reveal" => {
            json!(service.reveal(str_of(step, "accountId"), cvv_key, i64_of(step, "now"))?)
        }
        "authorise" => {
            let request: AuthorisationRequest = parse(&step["request"], "request");
            json!(service.authorise(&request, cvv_key)?)
        }
        "refund" => {
            let request: RefundRequest = parse(&step["request"], "request");
            json!(service.refund(&request)?)
        }
        "activate" => {
            json!(service.activate_physical_card(str_of(step, "accountId"), i64_of(step, "now"))?)
        }
        "closeDue" => json!(service.close_due(i64_of(step, "now"))?),
        "view" => json!(service
            .account(str_of(step, "accountId"), i64_of(step, "now"))?
            .expect("the account exists")),
        "snapshotRestore" => {
            let bytes = service.snapshot(snapshot_key)?;
            *service = TempCardService::restore(&bytes, snapshot_key)?;
            assert_eq!(service.snapshot(snapshot_key)?, bytes, "restore is exact");
            Value::Null
        }
        other => panic!("unknown op {other:?}"),
    })
}

#[test]
fn tempcard_account_vectors() {
    let text = std::fs::read_to_string(ACCOUNTS_PATH).expect("read vectors");
    let doc: Value = serde_json::from_str(&text).expect("parse vectors");
    assert!(
        doc["description"].as_str().is_some_and(|d| d.len() > 200),
        "the file documents its format"
    );
    let config: ServiceConfig = parse(&doc["config"], "config");
    let cvv_key = hex_of(&doc, "cvvKey");
    let snapshot_key = hex_of(&doc, "snapshotKey");
    let scenarios = doc["scenarios"].as_array().expect("scenarios");
    let mut per_op: BTreeMap<String, usize> = BTreeMap::new();
    let (mut steps, mut errors) = (0usize, 0usize);
    for scenario in scenarios {
        let name = str_of(scenario, "name");
        let mut service = TempCardService::new(&config, i64_of(scenario, "start")).unwrap();
        for (index, step) in scenario["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .enumerate()
        {
            let op = str_of(step, "op");
            let label = format!("{name} step {index} ({op})");
            *per_op.entry(op.to_owned()).or_default() += 1;
            steps += 1;
            let before = service.clone();
            match (
                run_step(&mut service, step, &cvv_key, &snapshot_key),
                step.get("error"),
            ) {
                (Ok(value), None) => assert_subset(&value, &step["expect"], &label),
                (Err(e), Some(code)) => {
                    errors += 1;
                    assert_eq!(e.code().as_str(), code, "{label}: {e}");
                    assert_eq!(e.param(), str_of(step, "param"), "{label}: {e}");
                    assert_eq!(service, before, "{label}: an error changes nothing");
                }
                (Ok(value), Some(code)) => panic!("{label}: expected {code}, got {value}"),
                (Err(e), None) => panic!("{label}: unexpected error {e}"),
            }
            service.ledger().check_invariants().unwrap();
        }
    }
    for op in ACCOUNT_OPS {
        assert!(per_op.contains_key(*op), "no step for op {op}");
    }
    println!(
        "tempcard account vectors: {} scenarios, {steps} steps ({errors} errors): {per_op:?}",
        scenarios.len()
    );
}

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
