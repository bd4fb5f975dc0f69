//! Runs the System 4 (pos) vectors in `tests/vectors/pos/scenarios.json` in full: network
//! observations and routes, offline limits, the outbox state machine (forwarding in order,
//! backoff with jitter, deadlines, pruning, the per-currency record). Expectations come from
//! `generate.py`, an independent Python model; the file's `description` says the format. After
//! every step the terminal's invariants hold, and a snapshot restores to the same outbox (and
//! the same bytes; every 16th step of the long scenario); a step that returns an error leaves the terminal unchanged.

use std::path::PathBuf;

use countersign_core::pos::{ForwardResult, Mode, Observation, PaymentRequest, Terminal, TerminalConfig};
use serde_json::{json, Value};

const KEY: [u8; 32] = [3; 32];

fn load() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/pos/scenarios.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn summary(t: &Terminal) -> Value {
    let q = t.export_queue();
    json!({
        "headHash": q.head_hash,
        "anchorHash": q.anchor_hash,
        "states": q.entries.iter().map(|e| json!([e.idempotency_key, e.state])).collect::<Vec<_>>(),
        "totals": q.totals,
        "network": t.network().state,
    })
}

fn step(t: &mut Terminal, s: &Value) -> Value {
    let now = || s["nowMs"].as_u64().unwrap();
    match s["step"].as_str().unwrap() {
        "observe" => {
            let o: Observation = serde_json::from_value(s["observation"].clone()).unwrap();
            serde_json::to_value(t.observe(&o).unwrap()).unwrap()
        }
        "route" => {
            let mode: Mode = serde_json::from_value(s["mode"].clone()).unwrap();
            json!(t.route(mode).code)
        }
        "store" => {
            let request: PaymentRequest = serde_json::from_value(s["request"].clone()).unwrap();
            match t.store(&request, now()) {
                Err(e) => json!({"error": {"code": e.code().as_str(), "param": e.param()}}),
                Ok(out) => match (out.code.as_str(), out.entry) {
                    ("STORED", Some(e)) => json!({"code": "STORED", "seq": e.seq, "hash": e.hash}),
                    ("ALREADY_STORED", Some(e)) => json!({"code": "ALREADY_STORED", "seq": e.seq}),
                    (code, _) => json!({"code": code}),
                },
            }
        }
        "begin" => {
            let out = t.begin_forward(now(), s["flush"].as_bool().unwrap()).unwrap();
            let key = out.entry.as_ref().map(|e| e.idempotency_key.clone());
            match out.code.as_str() {
                "FORWARD" => json!({"code": "FORWARD", "key": key, "attempts": out.entry.unwrap().attempts}),
                "NOT_DUE" => json!({"code": "NOT_DUE", "key": key, "retryAtMs": out.retry_at_ms}),
                code => json!({"code": code}),
            }
        }
        "result" => {
            let result: ForwardResult = serde_json::from_value(s["result"].clone()).unwrap();
            let jitter = u32::try_from(s["jitter"].as_u64().unwrap()).unwrap();
            let out = t.forward_result(s["key"].as_str().unwrap(), &result, now(), jitter).unwrap();
            match out.code.as_str() {
                "NOT_FORWARDING" => json!({"code": "NOT_FORWARDING"}),
                code => json!({"code": code, "state": out.entry.unwrap().state, "retryAtMs": out.retry_at_ms}),
            }
        }
        "tick" => {
            let events = t.tick(now()).unwrap().events;
            json!(events.iter().map(|e| json!([e.kind, e.entry.idempotency_key])).collect::<Vec<_>>())
        }
        "summary" => summary(t),
        other => panic!("unknown step {other}"),
    }
}

#[test]
fn pos_scenarios() {
    let doc = load();
    let scenarios = doc["scenarios"].as_array().unwrap();
    assert!(scenarios.len() >= 5);
    let mut steps_run = 0;
    for scenario in scenarios {
        let name = scenario["name"].as_str().unwrap();
        let config: TerminalConfig = serde_json::from_value(scenario["config"].clone()).unwrap();
        let mut t = Terminal::new(&config).unwrap();
        for (i, s) in scenario["steps"].as_array().unwrap().iter().enumerate() {
            let before = t.snapshot(&KEY).unwrap();
            let got = step(&mut t, s);
            assert_eq!(got, s["expect"], "{name}: step {i} ({})", s["step"]);
            if got.get("error").is_some() {
                assert_eq!(t.snapshot(&KEY).unwrap(), before, "{name}: step {i}: an error changed the terminal");
            }
            t.invariants().unwrap_or_else(|why| panic!("{name}: step {i}: {why}"));
            // Every step of the short scenarios, every 16th of the long one (debug-build time).
            if i % 16 != 0 && s["step"] != "summary" && scenario["steps"].as_array().unwrap().len() > 200 {
                steps_run += 1;
                continue;
            }
            let bytes = t.snapshot(&KEY).unwrap();
            let back = Terminal::restore(&bytes, &KEY).unwrap();
            assert_eq!(back.export_queue(), t.export_queue(), "{name}: step {i}: restore");
            assert_eq!(back.snapshot(&KEY).unwrap(), bytes, "{name}: step {i}: one encoding");
            steps_run += 1;
        }
    }
    println!("pos vectors: {} scenarios, {steps_run} steps", scenarios.len());
}
