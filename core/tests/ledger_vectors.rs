//! Runs the ledger scenarios in `tests/vectors/ledger/*.json` (the TypeScript SDK will run the same
//! files; the format is described in each file's `description`).
//!
//! Every step's expected outcome (a batch: one per operation) and account views are checked; after every step the runner also
//! checks the invariants, that an error, a repeat or an unjournaled refusal left the ledger
//! unchanged, and it persists the new journal entries (then truncates the ledger's journal), as
//! the SDK does, so that `replay` steps can rebuild the ledger from all of them.
//!
//! The expectations are hand-computed. The `head` hashes and `journalEntry` bytes pin the journal
//! format; after changing a scenario, fill them with
//! `COUNTERSIGN_WRITE_VECTORS=1 cargo test -p countersign-core --test ledger_vectors` and review
//! the diff: only `hash` and `hex` fields may change.

use std::path::PathBuf;

use countersign_core::ledger::{BatchOperation, Ledger, Operation};
use serde_json::{json, Value};

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/ledger")
}

fn writing() -> bool {
    std::env::var("COUNTERSIGN_WRITE_VECTORS").is_ok_and(|v| v == "1")
}

const OPERATIONS: [&str; 11] = [
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
    "setKeyRetention",
];

/// Every field of `expected` equals the same field of `actual` (objects: recursively, by the
/// fields listed; anything else: exactly).
fn assert_subset(expected: &Value, actual: &Value, ctx: &str) {
    match (expected, actual) {
        (Value::Object(fields), Value::Object(actual_fields)) => {
            for (key, value) in fields {
                let got = actual_fields
                    .get(key)
                    .unwrap_or_else(|| panic!("{ctx}: no field {key} in {actual}"));
                assert_subset(value, got, &format!("{ctx}.{key}"));
            }
        }
        _ => assert_eq!(expected, actual, "{ctx}"),
    }
}

fn hex32(bytes: [u8; 32]) -> String {
    hex::encode(bytes)
}

/// Runs one file; returns how many steps ran.
fn run_file(path: &PathBuf) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        doc["description"]
            .as_str()
            .is_some_and(|d| d.starts_with("countersign ledger scenario")),
        "{name}: description"
    );
    let key = hex::decode(doc["snapshotKey"].as_str().unwrap()).unwrap();
    let mut ledger = Ledger::new();
    let mut persisted: Vec<Vec<u8>> = Vec::new();
    let mut changed = false;
    let steps = doc["steps"].as_array_mut().unwrap();
    let count = steps.len();
    for (index, step) in steps.iter_mut().enumerate() {
        let kind = step["step"].as_str().unwrap().to_owned();
        let ctx = format!("{name} step {index} ({kind})");
        let before = (ledger.state_digest(), ledger.head());
        let expect = step.get("expect").cloned().unwrap_or(Value::Null);
        if OPERATIONS.contains(&kind.as_str()) {
            let op: Operation =
                serde_json::from_value(json!({"op": kind, "request": step["request"]}))
                    .unwrap_or_else(|e| panic!("{ctx}: request: {e}"));
            match (ledger.execute(&op), expect.get("error")) {
                (Err(e), Some(error)) => {
                    assert_eq!(
                        e.code().as_str(),
                        error["code"].as_str().unwrap(),
                        "{ctx}: {e}"
                    );
                    assert_eq!(e.param(), error["param"].as_str().unwrap(), "{ctx}: {e}");
                    assert_eq!(
                        (ledger.state_digest(), ledger.head()),
                        before,
                        "{ctx}: an error changed the ledger"
                    );
                }
                (Ok(outcome), None) => {
                    let actual = serde_json::to_value(&outcome).unwrap();
                    if !expect.is_null() {
                        assert_subset(&expect, &actual, &ctx);
                    }
                    if outcome.repeated || !outcome.code.is_journaled() {
                        assert_eq!(
                            (ledger.state_digest(), ledger.head()),
                            before,
                            "{ctx}: changed the ledger"
                        );
                    } else {
                        assert_eq!(ledger.head().seq, before.1.seq + 1, "{ctx}: journaled once");
                    }
                }
                (result, _) => panic!("{ctx}: unexpected {result:?}, expected {expect}"),
            }
        } else {
            match kind.as_str() {
                "batch" => {
                    let operations: Vec<BatchOperation> =
                        serde_json::from_value(step["operations"].clone())
                            .unwrap_or_else(|e| panic!("{ctx}: operations: {e}"));
                    match (ledger.execute_batch(&operations), expect.get("error")) {
                        (Err(e), Some(error)) => {
                            assert_eq!(e.error.code().as_str(), error["code"].as_str().unwrap(), "{ctx}: {}", e.error);
                            assert_eq!(e.error.param(), error["param"].as_str().unwrap(), "{ctx}: {}", e.error);
                            assert_eq!((ledger.state_digest(), ledger.head()), before, "{ctx}: an error changed the ledger");
                        }
                        (Ok(outcomes), None) => {
                            let expected = expect.as_array().unwrap_or_else(|| panic!("{ctx}: expect is one object per operation"));
                            assert_eq!(outcomes.len(), expected.len(), "{ctx}: one outcome per operation");
                            for (i, (outcome, expected)) in outcomes.iter().zip(expected).enumerate() {
                                let actual = serde_json::to_value(outcome).unwrap();
                                assert_subset(expected, &actual, &format!("{ctx} operation {i}"));
                            }
                            // Exactly the standing operations were journaled, in order.
                            let journaled: Vec<u64> = outcomes.iter().filter(|o| o.seq > 0 && !o.repeated).map(|o| o.seq).collect();
                            let expected_seqs: Vec<u64> = (1..=journaled.len() as u64).map(|n| before.1.seq + n).collect();
                            assert_eq!(journaled, expected_seqs, "{ctx}: journaled");
                            assert_eq!(ledger.head().seq, before.1.seq + journaled.len() as u64, "{ctx}: journaled");
                            if journaled.is_empty() {
                                // Failed chains and repeats: nothing of them stands.
                                assert_eq!((ledger.state_digest(), ledger.head()), before, "{ctx}: changed the ledger");
                            }
                        }
                        (result, _) => panic!("{ctx}: unexpected {result:?}, expected {expect}"),
                    }
                }
                "account" => {
                    let view = ledger.account(step["accountId"].as_str().unwrap());
                    let actual = serde_json::to_value(view).unwrap();
                    if expect.is_null() {
                        assert!(actual.is_null(), "{ctx}: {actual}");
                    } else {
                        assert_subset(&expect, &actual, &ctx);
                    }
                }
                "holdView" => {
                    let view = ledger.hold_view(step["holdId"].as_str().unwrap());
                    let actual = serde_json::to_value(view).unwrap();
                    if expect.is_null() {
                        assert!(actual.is_null(), "{ctx}: {actual}");
                    } else {
                        assert_subset(&expect, &actual, &ctx);
                    }
                }
                "snapshot" => {
                    let bytes = ledger.snapshot(&key).unwrap();
                    let restored = Ledger::restore(&bytes, &key).unwrap();
                    assert_eq!(restored.state_digest(), ledger.state_digest(), "{ctx}");
                    assert_eq!(restored.snapshot(&key).unwrap(), bytes, "{ctx}");
                    ledger = restored;
                }
                "replay" => {
                    let replayed =
                        Ledger::replay(&persisted).unwrap_or_else(|e| panic!("{ctx}: {e}"));
                    assert_eq!(replayed.state_digest(), ledger.state_digest(), "{ctx}");
                    assert_eq!(replayed.head(), ledger.head(), "{ctx}");
                }
                "head" => {
                    let head = ledger.head();
                    if writing() {
                        step["expect"] = json!({"seq": head.seq, "hash": hex32(head.hash)});
                        changed = true;
                    } else {
                        assert_eq!(expect["seq"], json!(head.seq), "{ctx}");
                        assert_eq!(expect["hash"], json!(hex32(head.hash)), "{ctx}");
                    }
                }
                "journalEntry" => {
                    let seq = step["seq"].as_u64().unwrap();
                    let bytes = &persisted[usize::try_from(seq - 1).unwrap()];
                    if writing() {
                        step["expect"] = json!({"hex": hex::encode(bytes)});
                        changed = true;
                    } else {
                        assert_eq!(expect["hex"], json!(hex::encode(bytes)), "{ctx}");
                    }
                }
                other => panic!("{ctx}: unknown step kind {other}"),
            }
        }
        for entry in ledger.journal() {
            assert_eq!(
                entry.seq() as usize,
                persisted.len() + 1,
                "{ctx}: journal order"
            );
            persisted.push(entry.bytes().to_vec());
        }
        ledger.truncate_journal(ledger.head().seq).unwrap();
        if let Some(accounts) = step.get("accounts").and_then(Value::as_object) {
            for (id, expected) in accounts {
                let view = ledger
                    .account(id)
                    .unwrap_or_else(|| panic!("{ctx}: no account {id}"));
                assert_subset(
                    expected,
                    &serde_json::to_value(view).unwrap(),
                    &format!("{ctx}: account {id}"),
                );
            }
        }
        ledger
            .check_invariants()
            .unwrap_or_else(|e| panic!("{ctx}: {e}"));
    }
    // Every scenario ends replayable.
    let replayed = Ledger::replay(&persisted).unwrap();
    assert_eq!(
        replayed.state_digest(),
        ledger.state_digest(),
        "{name}: final replay"
    );
    if changed {
        let mut text = serde_json::to_string_pretty(&doc).unwrap();
        text.push('\n');
        std::fs::write(path, text).unwrap();
    }
    count
}

#[test]
fn ledger_vectors() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(vectors_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 4,
        "expected the ledger scenarios, found {files:?}"
    );
    let mut description: Option<String> = None;
    let mut total = 0;
    for path in &files {
        let steps = run_file(path);
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let text = doc["description"].as_str().unwrap().to_owned();
        match &description {
            Some(first) => assert_eq!(
                first, &text,
                "{path:?}: every file carries the same description"
            ),
            None => description = Some(text),
        }
        println!(
            "{}: {steps} steps",
            path.file_name().unwrap().to_string_lossy()
        );
        total += steps;
    }
    println!("ledger vectors: {} files, {total} steps", files.len());
}
