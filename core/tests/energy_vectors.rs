//! Runs the energy metering vectors (`tests/vectors/energy/pricing.json`), the same file the SDK
//! will run. The format is in the file's `description`; the expectations are written by
//! `tests/vectors/energy/generate.py`, an independent implementation with exact fractions.

use std::collections::BTreeMap;

use countersign_core::energy::{
    dispense_limit, metered_cost, DispenseLimitRequest, MeteredCostRequest,
};
use countersign_core::Result;
use serde_json::Value;

const VECTORS_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/vectors/energy/pricing.json"
);

/// Every op the format defines; each must appear at least once.
const OPS: &[&str] = &["limit", "cost"];

/// The request: the case without its `op`, `note`, `expect` and `error` fields.
fn request<T: serde::de::DeserializeOwned>(case: &Value) -> T {
    let mut fields = case.as_object().expect("case object").clone();
    for key in ["op", "note", "expect", "error"] {
        fields.remove(key);
    }
    serde_json::from_value(Value::Object(fields)).unwrap_or_else(|e| panic!("{e}: {case}"))
}

fn run(case: &Value) -> Result<Value> {
    Ok(match case["op"].as_str().expect("op") {
        "limit" => {
            serde_json::to_value(dispense_limit(&request::<DispenseLimitRequest>(case))?).unwrap()
        }
        "cost" => {
            serde_json::to_value(metered_cost(&request::<MeteredCostRequest>(case))?).unwrap()
        }
        other => panic!("unknown op {other:?}"),
    })
}

#[test]
fn energy_pricing_vectors() {
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
        let op = case["op"].as_str().expect("op");
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
        "energy pricing vectors: {} cases ({expects} results, {errors} errors): {per_op:?}",
        cases.len()
    );
}
