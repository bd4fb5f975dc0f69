//! Runs the System 7 (transfer) vectors in `tests/vectors/transfer/` in full:
//! `identifiers.json` (IBAN — registry examples of many countries and broken ones —, BIC, ABA,
//! Luhn), `resolve.json` (resolutions over one rules table, traces included, aliases with the
//! directory's answer) and `formats.json` (each instruction normalised, its message in every
//! format byte for byte with the loss report, and what parsing the message back gives).
//! Expectations come from `generate.py`, an independent Python model (schwifty's IBAN registry
//! and national checksums; the mapping tables written from the docs).

use std::path::PathBuf;

use countersign_core::transfer::{self, DirectoryAnswer, Format, Instruction, Resolver, Rules};
use serde_json::{json, Value};

fn load(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/transfer").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

#[test]
fn identifier_vectors() {
    let doc = load("identifiers.json");
    let mut n = 0;
    for case in doc["iban"].as_array().unwrap() {
        let mut got = serde_json::to_value(transfer::check_iban(case["input"].as_str().unwrap())).unwrap();
        // The registries disagree on branch identifiers (generate.py): not compared.
        got.as_object_mut().unwrap().remove("branchCode");
        match case.get("rustDiffers") {
            None => assert_eq!(got, case["expected"], "iban {}", case["input"]),
            Some(d) => {
                let field = d["field"].as_str().unwrap();
                assert_ne!(got[field], case["expected"][field], "iban {}: the documented difference is gone ({})", case["input"], d["why"]);
            }
        }
        n += 1;
    }
    for case in doc["bic"].as_array().unwrap() {
        let got = serde_json::to_value(transfer::check_bic(case["input"].as_str().unwrap())).unwrap();
        assert_eq!(got, case["expected"], "bic {}", case["input"]);
        n += 1;
    }
    for case in doc["aba"].as_array().unwrap() {
        assert_eq!(transfer::check_aba(case["input"].as_str().unwrap()).as_str(), case["expected"], "aba {}", case["input"]);
        n += 1;
    }
    for case in doc["luhn"].as_array().unwrap() {
        assert_eq!(json!(transfer::luhn(case["input"].as_str().unwrap())), case["expected"], "luhn {}", case["input"]);
        n += 1;
    }
    assert!(doc["iban"].as_array().unwrap().len() >= 80);
    println!("transfer identifier vectors: {n} cases");
}

#[test]
fn resolve_vectors() {
    let doc = load("resolve.json");
    let rules: Rules = serde_json::from_value(doc["rules"].clone()).unwrap();
    let resolver = Resolver::new(rules).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    for case in cases {
        let id = case["identifier"].as_str().unwrap();
        let got = match case["answer"].is_null() {
            true => resolver.resolve(id),
            false => {
                let answer: DirectoryAnswer = serde_json::from_value(case["answer"].clone()).unwrap();
                resolver.resolve_alias(id, &answer).unwrap()
            }
        };
        assert_eq!(serde_json::to_value(&got).unwrap(), case["expected"], "resolve {id}");
    }
    println!("transfer resolve vectors: {} cases", cases.len());
}

#[test]
fn format_vectors() {
    let doc = load("formats.json");
    let cases = doc["cases"].as_array().unwrap();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let instruction: Instruction = serde_json::from_value(case["instruction"].clone()).unwrap();
        let normalised = transfer::check_instruction(&instruction).unwrap();
        assert_eq!(serde_json::to_value(&normalised).unwrap(), case["normalised"], "{name}: normalised");
        for m in case["messages"].as_array().unwrap() {
            let format = Format::from_name(m["message"]["format"].as_str().unwrap()).unwrap();
            let got = transfer::generate(format, &instruction).unwrap();
            assert_eq!(got.text, m["message"]["text"].as_str().unwrap(), "{name}: {format} text");
            assert_eq!(serde_json::to_value(&got).unwrap(), m["message"], "{name}: {format} message");
            let back = transfer::parse(format, &got.text).unwrap();
            assert_eq!(serde_json::to_value(&back).unwrap(), m["parsedBack"], "{name}: {format} parsed back");
            assert_eq!(back, transfer::with_losses(&normalised, &got.losses), "{name}: {format} with_losses");
        }
    }
    for case in doc["errors"].as_array().unwrap() {
        let instruction: Instruction = serde_json::from_value(case["instruction"].clone()).unwrap();
        let e = transfer::generate(Format::Pain001, &instruction).unwrap_err();
        assert_eq!(json!({"code": e.code().as_str(), "param": e.param()}), case["error"], "{}", case["name"]);
    }
    println!("transfer format vectors: {} instructions × 4 formats", cases.len());
}
