//! Runs the System 10 (shelf) vectors in `tests/vectors/shelf/` in full: `sensor.json` (raw
//! samples → weight-change events, mixed touches flagged) and `scenarios.json` (picks, returns,
//! unattributable mixed touches, tasks resolved by staff, idempotent retries, views, checkouts on
//! one shelf per scenario). Expectations come from `generate.py`, an independent
//! Python model (brute-force matching with exact fractions); the files' `description` fields say
//! the format. Every step's whole result is compared as JSON; a refused step must leave the shelf
//! unchanged; after every step the shelf is snapshotted and restored (authenticated CBOR,
//! `Shelf::snapshot` / `Shelf::restore`), and the run continues on the reloaded shelf.

use std::path::PathBuf;

use countersign_core::shelf::sensor::{LaneSensor, SensorConfig};
use countersign_core::shelf::{ResolveTask, Shelf, ShelfSetup, WeightChange};
use countersign_core::Error;
use serde_json::{json, Value};

fn load(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/shelf").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn error_json(e: &Error) -> Value {
    json!({"error": {"code": e.code().as_str(), "param": e.param()}})
}

#[test]
fn sensor_vectors() {
    let doc = load("sensor.json");
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 7);
    println!("shelf sensor vectors: {} cases", cases.len());
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let config: SensorConfig = serde_json::from_value(case["config"].clone()).unwrap();
        let mut sensor = LaneSensor::new(config).unwrap();
        let mut events = Vec::new();
        let chunks = case["chunks"].as_array().unwrap();
        let mut got_error = None;
        for chunk in chunks {
            let samples: Vec<i64> = serde_json::from_value(chunk.clone()).unwrap();
            let before = sensor.clone();
            match sensor.push(&samples) {
                Ok(e) => events.extend(e),
                Err(e) => {
                    assert_eq!(sensor, before, "{name}: a refused push changed the sensor");
                    got_error = Some(error_json(&e));
                }
            }
        }
        match got_error {
            Some(err) => assert_eq!(err, case["expect"], "{name}"),
            None => {
                assert_eq!(serde_json::to_value(&events).unwrap(), case["expect"]["events"], "{name}: events");
                assert_eq!(serde_json::to_value(sensor.view()).unwrap(), case["expect"]["view"], "{name}: view");
            }
        }
    }
}

#[test]
fn scenario_vectors() {
    let doc = load("scenarios.json");
    let scenarios = doc["scenarios"].as_array().unwrap();
    assert!(scenarios.len() >= 13);
    let mut steps_run = 0;
    for sc in scenarios {
        let name = sc["name"].as_str().unwrap();
        let setup: ShelfSetup = serde_json::from_value(sc["setup"].clone()).unwrap();
        let mut shelf = Shelf::new(&setup).unwrap();
        for (i, step) in sc["steps"].as_array().unwrap().iter().enumerate() {
            let ctx = format!("{name}: step {i} ({})", step["comment"].as_str().unwrap_or(""));
            let before = shelf.clone();
            let got: Value = match step["step"].as_str().unwrap() {
                "change" => {
                    let req: WeightChange = serde_json::from_value(step["request"].clone()).unwrap();
                    match shelf.weight_change(&req) {
                        Ok(v) => serde_json::to_value(v).unwrap(),
                        Err(e) => error_json(&e),
                    }
                }
                "resolveTask" => {
                    let req: ResolveTask = serde_json::from_value(step["request"].clone()).unwrap();
                    match shelf.resolve_task(&req) {
                        Ok(r) => serde_json::to_value(r).unwrap(),
                        Err(e) => error_json(&e),
                    }
                }
                "completeTask" => match shelf.complete_task(step["taskId"].as_str().unwrap()) {
                    Ok(lot) => serde_json::to_value(lot).unwrap(),
                    Err(e) => error_json(&e),
                },
                "checkout" => match shelf.checkout(step["shopperId"].as_str().unwrap(), step["idempotencyKey"].as_str()) {
                    Ok(lots) => serde_json::to_value(lots).unwrap(),
                    Err(e) => error_json(&e),
                },
                "tasks" => serde_json::to_value(shelf.tasks()).unwrap(),
                "lanes" => serde_json::to_value(shelf.lanes()).unwrap(),
                "itemTypes" => serde_json::to_value(shelf.item_types()).unwrap(),
                "shopper" => serde_json::to_value(shelf.shopper(step["shopperId"].as_str().unwrap()).unwrap()).unwrap(),
                other => panic!("{ctx}: unknown step {other}"),
            };
            assert_eq!(got, step["expect"], "{ctx}");
            if got.get("error").is_some() {
                assert_eq!(shelf, before, "{ctx}: a refused step changed the shelf");
            }
            assert!(shelf.is_consistent(), "{ctx}");
            // Persist and reload: the run continues on the reloaded shelf.
            let bytes = shelf.snapshot(&[0x5a; 32]).unwrap();
            let reloaded = Shelf::restore(&bytes, &[0x5a; 32]).unwrap();
            assert_eq!(reloaded, shelf, "{ctx}: snapshot and restore");
            shelf = reloaded;
            steps_run += 1;
        }
    }
    assert!(steps_run >= 140, "{steps_run}");
    println!("shelf scenario vectors: {} scenarios, {steps_run} steps", scenarios.len());
}
