//! Runs System 7's transfer-lifecycle vectors (`tests/vectors/transfer/lifecycle.json`, written
//! by `generate_lifecycle.py`, an independent Python model): every timeline on a fresh book, every
//! step's whole answer compared as JSON (or its error's code and parameter), the balances after
//! it, the invariants; after every step the book is snapshotted and restored and the timeline
//! goes on with the restored book, so every state in the file also survives a restart.

use std::path::PathBuf;

use countersign_core::transfer::lifecycle::{BookConfig, LifecycleRequest, TransferBook};
use serde_json::{json, Value};

const KEY: [u8; 32] = [9; 32];

#[test]
fn lifecycle_vectors() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/transfer/lifecycle.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let timelines = doc["timelines"].as_array().unwrap();
    assert!(timelines.len() >= 20, "the file holds the hand-written and the random timelines");
    let mut steps_run = 0;
    for timeline in timelines {
        let name = timeline["name"].as_str().unwrap();
        let config: BookConfig = serde_json::from_value(timeline["config"].clone()).unwrap();
        let mut book = TransferBook::new(&config).unwrap();
        for (i, step) in timeline["steps"].as_array().unwrap().iter().enumerate() {
            let request: LifecycleRequest = serde_json::from_value(step["request"].clone()).unwrap();
            let before = book.snapshot(&KEY).unwrap();
            let got = match book.execute(&request) {
                Ok(outcome) => serde_json::to_value(&outcome).unwrap(),
                Err(e) => {
                    assert_eq!(book.snapshot(&KEY).unwrap(), before, "{name} step {i}: an error changed the book");
                    json!({"error": {"code": e.code().as_str(), "param": e.param()}})
                }
            };
            assert_eq!(got, step["expect"], "{name} step {i}: {}", step["request"]);
            book.check_invariants().unwrap_or_else(|e| panic!("{name} step {i}: {e:?}"));
            for (account, expected) in step["balances"].as_object().unwrap() {
                let view = book.account(account).unwrap_or_else(|| panic!("{name} step {i}: no account {account}"));
                assert_eq!(view.balance, expected["balance"].as_str().unwrap(), "{name} step {i}: {account} balance");
                assert_eq!(view.debits_posted, expected["debitsPosted"].as_str().unwrap(), "{name} step {i}: {account} debits");
            }
            book = TransferBook::restore(&book.snapshot(&KEY).unwrap(), &KEY).unwrap();
            steps_run += 1;
        }
    }
    println!("transfer lifecycle vectors: {} timelines, {steps_run} steps", timelines.len());
}
