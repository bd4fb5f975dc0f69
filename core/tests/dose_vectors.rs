//! Runs the System 9 (dose) vectors in `tests/vectors/dose/` in full: `frames.json` (exact bytes
//! of every message type; broken frames and streams through one `Stream`, code by code),
//! `settings.json` (validation findings), `evaluation.json` (signals over histories) and
//! `nightscout.json` (the peer check: our levels and stale-data status against Nightscout's own
//! rules, ported in `generate.py`). Expectations come from `generate.py`, an independent Python
//! model; the files' `description` fields say the format.

use std::path::PathBuf;

use countersign_core::dose::evaluate::{evaluate, level_at, Signal, SignalKind};
use countersign_core::dose::frame::{self, Frame, Stream};
use countersign_core::dose::settings::{absolute_bounds, validate, AlarmSettings, Bounds, FIELDS_COUNT};
use serde_json::{json, Value};

fn load(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/dose").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

#[test]
fn frame_vectors() {
    let doc = load("frames.json");
    for e in doc["encodings"].as_array().unwrap() {
        let f: Frame = serde_json::from_value(e["frame"].clone()).unwrap();
        assert_eq!(hex::encode(frame::encode(&f).unwrap()), e["hex"].as_str().unwrap(), "{f:?}");
    }
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 20);
    let mut frames = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let mut stream = Stream::default();
        for (i, (h, expect)) in case["frames"].as_array().unwrap().iter().zip(case["expect"].as_array().unwrap()).enumerate() {
            let got = stream.accept(&hex::decode(h.as_str().unwrap()).unwrap());
            assert_eq!(serde_json::to_value(&got).unwrap(), *expect, "{name}: frame {i}");
            frames += 1;
        }
    }
    println!("dose frame vectors: {} cases, {frames} frames", cases.len());
}

#[test]
fn settings_vectors() {
    let doc = load("settings.json");
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 100);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let settings: AlarmSettings = serde_json::from_value(case["settings"].clone()).unwrap();
        let permitted: Bounds = match case.get("permitted") {
            Some(p) => {
                let v: Vec<(u32, u32)> = serde_json::from_value(p.clone()).unwrap();
                let mut b = [(0, 0); FIELDS_COUNT];
                b.copy_from_slice(&v);
                b
            }
            None => absolute_bounds(),
        };
        let v = validate(&settings, &permitted);
        let strip = |list: &[countersign_core::dose::settings::Finding]| -> Value {
            list.iter().map(|f| json!({"field": f.field, "code": f.code, "value": f.value, "limit": f.limit})).collect()
        };
        assert_eq!(json!({"refusals": strip(&v.refusals), "warnings": strip(&v.warnings)}), case["expect"], "{name}");
        assert!(v.refusals.iter().chain(&v.warnings).all(|f| !f.message.is_empty()), "{name}: every finding explained");
    }
    println!("dose settings vectors: {} cases", cases.len());
}

fn comparable(signals: &[Signal]) -> Value {
    signals
        .iter()
        .map(|s| {
            json!({
                "signalId": s.signal_id, "kind": s.kind, "priority": s.priority, "direction": s.direction,
                "atMs": s.at_ms, "startSeq": s.start_seq, "evidence": s.evidence,
                "resolved": s.resolved.as_ref().map(|r| json!({"atMs": r.at_ms, "seq": r.seq})),
            })
        })
        .collect()
}

#[test]
fn evaluation_vectors() {
    let doc = load("evaluation.json");
    let cases = doc["cases"].as_array().unwrap();
    let mut signals = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let settings: AlarmSettings = serde_json::from_value(case["settings"].clone()).unwrap();
        let history: Vec<Frame> = serde_json::from_value(case["history"].clone()).unwrap();
        let got = evaluate(&settings, &history, case["untilMs"].as_u64().unwrap()).unwrap();
        assert!(got.iter().all(|s| !s.reason.is_empty()), "{name}: every signal has a reason");
        assert_eq!(comparable(&got), case["expect"], "{name}");
        signals += got.len();
    }
    assert!(signals >= 100, "the vectors exercise the evaluation ({signals} signals)");
    println!("dose evaluation vectors: {} cases, {signals} signals", cases.len());
}

#[test]
fn nightscout_peer_vectors() {
    let doc = load("nightscout.json");
    let t = &doc["thresholds"];
    let settings = AlarmSettings {
        urgent_low_mgdl: t["bgLow"].as_u64().unwrap() as u32,
        low_mgdl: t["bgTargetBottom"].as_u64().unwrap() as u32,
        high_mgdl: t["bgTargetTop"].as_u64().unwrap() as u32,
        urgent_high_mgdl: t["bgHigh"].as_u64().unwrap() as u32,
        stale_warn_min: t["warnMins"].as_u64().unwrap() as u32,
        stale_urgent_min: t["urgentMins"].as_u64().unwrap() as u32,
        ..AlarmSettings::default()
    };
    assert_eq!(settings, AlarmSettings::default(), "our defaults are Nightscout's");
    let (mut levels, mut stale, mut alarms) = (0, 0, 0);
    for case in doc["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let history: Vec<Frame> = case["readings"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, r)| Frame {
                seq: i as u32 + 1,
                at_ms: r["mills"].as_u64().unwrap(),
                body: frame::Body::Glucose { mgdl: r["mgdl"].as_u64().unwrap() as u16 },
            })
            .collect();
        let probes = case["probes"].as_array().unwrap();
        let until = probes.iter().map(|p| p["atMs"].as_u64().unwrap()).max().unwrap();
        let signals = evaluate(&settings, &history, until).unwrap();
        for p in probes {
            let at = p["atMs"].as_u64().unwrap();
            if !p["level"].is_null() {
                let ours = match level_at(&signals, at) {
                    Some(SignalKind::UrgentLow) => json!(["URGENT", "low"]),
                    Some(SignalKind::Low) => json!(["WARN", "low"]),
                    Some(SignalKind::High) => json!(["WARN", "high"]),
                    Some(SignalKind::UrgentHigh) => json!(["URGENT", "high"]),
                    _ => json!(["NONE", null]),
                };
                assert_eq!(ours, json!([p["level"], p["event"]]), "{name}: level at {at}");
                levels += 1;
                alarms += usize::from(p["level"] != "NONE");
            }
            let open: Vec<SignalKind> = signals
                .iter()
                .filter(|s| matches!(s.kind, SignalKind::StaleData | SignalKind::UrgentStaleData))
                .filter(|s| s.at_ms <= at && s.resolved.as_ref().map_or(true, |r| r.at_ms > at))
                .map(|s| s.kind)
                .collect();
            let ours = match open.as_slice() {
                [] => "current",
                [SignalKind::StaleData] => "warn",
                [SignalKind::UrgentStaleData] => "urgent",
                other => panic!("{name}: more than one stale episode open at {at}: {other:?}"),
            };
            assert_eq!(ours, p["timeago"], "{name}: timeago at {at}");
            stale += 1;
        }
    }
    assert!(alarms >= 200, "the series reach Nightscout's alarm levels ({alarms})");
    println!("nightscout peer check: {levels} levels ({alarms} alarming), {stale} timeago statuses agree");
}
