//! Runs the shared money vectors (`tests/vectors/money/amounts.json`), the same file the wasm
//! build and the TypeScript SDK run. The format is documented in the file's `description`.

use std::collections::BTreeMap;

use countersign_core::money::{parse_decimal, Amount, Currency, RoundingMode};
use countersign_core::Result;
use serde_json::Value;

const VECTORS_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/vectors/money/amounts.json"
);

/// Every op the format defines; each must appear at least once.
const OPS: &[&str] = &[
    "parse",
    "fromMinor",
    "toMinor",
    "add",
    "sub",
    "mul",
    "compare",
    "split",
];

/// What an operation produced: one string, or a list (split).
#[derive(Debug, PartialEq)]
enum Outcome {
    One(String),
    Many(Vec<String>),
}

fn field<'a>(case: &'a Value, name: &str) -> &'a str {
    case.get(name)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("missing string field {name:?} in {case}"))
}

fn currency(case: &Value, name: &str) -> Result<&'static Currency> {
    Currency::from_code(field(case, name))
}

fn operand(case: &Value, name: &str, currency: &'static Currency) -> Result<Amount> {
    Amount::parse(field(case, name), currency, None)
}

fn run(case: &Value) -> Result<Outcome> {
    let op = field(case, "op");
    match op {
        "parse" => {
            let c = currency(case, "currency")?;
            let rounding = match case.get("rounding") {
                None | Some(Value::Null) => None,
                Some(Value::String(name)) => Some(RoundingMode::from_name(name)?),
                Some(other) => panic!("rounding must be a string or null, got {other}"),
            };
            let a = Amount::parse(field(case, "input"), c, rounding)?;
            Ok(Outcome::One(a.to_string()))
        }
        "fromMinor" => {
            let c = currency(case, "currency")?;
            let a = Amount::from_minor_str(field(case, "minor"), c)?;
            // The i128 entry point must agree wherever the string fits an i128.
            if let Ok(minor) = field(case, "minor").parse::<i128>() {
                assert_eq!(Amount::from_minor_units(minor, c)?, a, "{case}");
            }
            Ok(Outcome::One(a.to_string()))
        }
        "toMinor" => {
            let c = currency(case, "currency")?;
            Ok(Outcome::One(
                operand(case, "a", c)?.to_minor_units().to_string(),
            ))
        }
        "add" | "sub" | "compare" => {
            let c = currency(case, "currency")?;
            let c_b = match case.get("currencyB") {
                Some(_) => currency(case, "currencyB")?,
                None => c,
            };
            let a = operand(case, "a", c)?;
            let b = operand(case, "b", c_b)?;
            Ok(Outcome::One(match op {
                "add" => a.checked_add(&b)?.to_string(),
                "sub" => a.checked_sub(&b)?.to_string(),
                _ => (a.cmp_amount(&b)? as i8).to_string(),
            }))
        }
        "mul" => {
            let c = currency(case, "currency")?;
            let rounding = RoundingMode::from_name(field(case, "rounding"))?;
            let a = operand(case, "a", c)?;
            let factor = parse_decimal(field(case, "factor"), "factor")?;
            Ok(Outcome::One(a.checked_mul(factor, rounding)?.to_string()))
        }
        "split" => {
            let c = currency(case, "currency")?;
            let a = operand(case, "a", c)?;
            let ratios: Vec<u64> = case["ratios"]
                .as_array()
                .expect("ratios is an array")
                .iter()
                .map(|r| {
                    r.as_str()
                        .expect("ratios are strings")
                        .parse()
                        .expect("ratio is a u64")
                })
                .collect();
            let parts = a.split(&ratios)?;
            // The invariant the vectors rely on, checked on every split case.
            let sum = parts
                .iter()
                .try_fold(Amount::zero(c), |acc, p| acc.checked_add(p))?;
            assert_eq!(sum, a, "parts must sum to the whole: {case}");
            Ok(Outcome::Many(
                parts.iter().map(ToString::to_string).collect(),
            ))
        }
        other => panic!("unknown op {other:?} in {case}"),
    }
}

#[test]
fn money_vectors() {
    let text = std::fs::read_to_string(VECTORS_PATH)
        .unwrap_or_else(|e| panic!("reading {VECTORS_PATH}: {e}"));
    let doc: Value = serde_json::from_str(&text).expect("vectors are valid JSON");
    assert!(
        doc["description"].as_str().is_some_and(|d| !d.is_empty()),
        "description is documented"
    );
    let cases = doc["cases"].as_array().expect("cases is an array");

    let mut per_op: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        let op = field(case, "op").to_owned();
        let expected = match (case.get("expect"), case.get("error")) {
            (Some(Value::String(s)), None) => Ok(Outcome::One(s.clone())),
            (Some(Value::Array(items)), None) => Ok(Outcome::Many(
                items.iter().map(|v| v.as_str().expect("expect items are strings").to_owned()).collect(),
            )),
            (None, Some(Value::String(code))) => Err(code.clone()),
            _ => panic!("case {index} must have exactly one of a string/array `expect` or a string `error`: {case}"),
        };
        let actual = run(case).map_err(|e| e.code().as_str().to_owned());
        if actual != expected {
            failures.push(format!(
                "case {index} {case}\n    expected {expected:?}\n    got      {actual:?}"
            ));
        }
        *per_op.entry(op).or_default() += 1;
    }

    println!("money vectors: {} cases ran ({per_op:?})", cases.len());
    assert!(
        failures.is_empty(),
        "{} of {} money vectors failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    for op in OPS {
        assert!(per_op.contains_key(*op), "no {op} case in the vectors");
    }
    assert_eq!(per_op.len(), OPS.len(), "unexpected ops: {per_op:?}");
    assert!(cases.len() >= 80, "only {} cases", cases.len());
}
