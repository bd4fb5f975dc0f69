//! Runs the System 9 escalation timelines in `tests/vectors/dose/escalation.json` in full.
//! Expectations come from `escalation_model.py`, an independent Python model of the rustdoc of
//! `core/src/dose/escalation.rs`; the file's `description` says the format. Every step's whole
//! output is compared as JSON (audit hashes included); a refused step must leave the router
//! unchanged; after every step the router is snapshotted and restored and the run continues on
//! the restored router; at the end the audit chain of the whole run verifies and ends at the
//! model's head.

use std::path::PathBuf;

use countersign_core::dose::escalation::{verify_audit, AuditEntry, Direction, AlarmSignal, Router, RouterOutput, RouterSetup};
use countersign_core::Error;
use serde_json::{json, Value};

const KEY: [u8; 32] = [3; 32];

fn load() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/dose/escalation.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn error_json(e: &Error) -> Value {
    json!({"error": {"code": e.code().as_str(), "param": e.param()}})
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_else(|| panic!("{k}")).to_owned()
}

fn n(v: &Value, k: &str) -> u64 {
    v[k].as_u64().unwrap_or_else(|| panic!("{k}"))
}

fn call(router: &mut Router, step: &Value) -> Result<RouterOutput, Error> {
    let now = n(step, "nowMs");
    match step["op"].as_str().unwrap() {
        "issue" => {
            let signal: AlarmSignal = serde_json::from_value(step["signal"].clone()).unwrap();
            router.issue(&signal, now)
        }
        "resolve" => router.resolve(&s(step, "alarmId"), now),
        "acknowledge" => router.acknowledge(&s(step, "alarmId"), &s(step, "recipientId"), now),
        "snooze" => {
            let direction: Direction = serde_json::from_value(step["direction"].clone()).unwrap();
            router.snooze(&s(step, "kind"), direction, n(step, "durationMs"), &s(step, "recipientId"), now)
        }
        "receipt" => router.receipt(n(step, "deliveryId"), now),
        "deliveryFailed" => router.delivery_failed(n(step, "deliveryId"), now),
        "tick" => router.tick(now),
        other => panic!("unknown op {other}"),
    }
}

#[test]
fn escalation_vectors() {
    let doc = load();
    let scenarios = doc["scenarios"].as_array().unwrap();
    assert!(scenarios.len() >= 12);
    let mut steps_run = 0;
    for scenario in scenarios {
        let name = s(scenario, "name");
        let setup: RouterSetup = serde_json::from_value(scenario["setup"].clone()).unwrap();
        let mut router = Router::new(&setup).unwrap();
        let mut log: Vec<AuditEntry> = Vec::new();
        for (i, step) in scenario["steps"].as_array().unwrap().iter().enumerate() {
            steps_run += 1;
            if step["op"] == "openAlarms" {
                let got: Vec<Value> = router
                    .open_alarms()
                    .iter()
                    .map(|a| {
                        json!({"alarmId": a.signal.signal_id, "step": a.step, "nextAtMs": a.next_at_ms,
                               "snoozedUntilMs": a.snoozed_until_ms, "holders": a.holders})
                    })
                    .collect();
                assert_eq!(Value::Array(got), step["expect"], "{name}: step {i} openAlarms");
                continue;
            }
            let before = router.clone();
            match call(&mut router, step) {
                Ok(out) => {
                    assert_eq!(serde_json::to_value(&out).unwrap(), step["expect"], "{name}: step {i} {}", step["op"]);
                    log.extend(out.audit);
                }
                Err(e) => {
                    assert_eq!(error_json(&e), step["expect"], "{name}: step {i} {}", step["op"]);
                    assert_eq!(router, before, "{name}: step {i}: a refused call changed the router");
                }
            }
            let bytes = router.snapshot(&KEY).unwrap();
            router = Router::restore(&bytes, &KEY).unwrap();
        }
        assert_eq!(verify_audit(&log, None).unwrap(), s(scenario, "auditHead"), "{name}: audit head");
        assert_eq!(router.audit_head(), s(scenario, "auditHead"));
    }
    println!("dose escalation vectors: {} scenarios, {steps_run} steps", scenarios.len());
}
