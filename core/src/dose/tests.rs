//! System 9 tests: each asserts values worked out by hand (in the comment) or against a small
//! reference model written separately from the code under test.

use proptest::prelude::*;

use super::evaluate::*;
use super::frame::*;
use super::package::*;
use super::settings::*;
use super::*;
use crate::crypto::ed25519;
use crate::card::PublicKey;
use crate::envelope::Alg;

const SERVER_SECRET: [u8; 32] = [5; 32];
const TERMINAL_SECRET: [u8; 32] = [6; 32];
const CONTROLLER_SECRET: [u8; 32] = [8; 32];
const T0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const T0_MS: u64 = 1_767_225_600_000;
const MIN: u64 = 60_000;

fn signer(secret: &'static [u8; 32], key_id: &'static str) -> Signer<'static> {
    Signer { alg: Alg::EdDSA, secret_key: secret, key_id }
}

fn public(secret: &[u8; 32]) -> Vec<u8> {
    ed25519::public_key(secret).unwrap().to_vec()
}

fn key(secret: &[u8; 32], key_id: &str) -> PublicKey {
    PublicKey { key_id: key_id.into(), alg: Alg::EdDSA, public_key: public(secret) }
}

fn terminal_config(model: &str) -> TerminalConfig {
    TerminalConfig { controller_model: model.into(), server_keys: vec![key(&SERVER_SECRET, "mgmt")], controller_key: key(&CONTROLLER_SECRET, "controller") }
}

fn controller_config(model: &str) -> ControllerConfig {
    ControllerConfig { model: model.into(), server_keys: vec![key(&SERVER_SECRET, "mgmt")], terminal_key: key(&TERMINAL_SECRET, "terminal") }
}

fn package(model: &str) -> ProgramPackage {
    ProgramPackage {
        program_id: "closed-loop-a".into(),
        controller_model: model.into(),
        decoding_tables_version: DECODING_TABLES_VERSION,
        defaults: AlarmSettings::default(),
        permitted: absolute_bounds(),
        roles: vec!["patient".into(), "caregiver".into(), "doctor".into(), "risk-centre".into()],
    }
}

fn glucose(seq: u32, at_ms: u64, mgdl: u16) -> Frame {
    Frame { seq, at_ms, body: Body::Glucose { mgdl } }
}

// ---------- units ----------

#[test]
fn mmol_conversion_is_exact_and_half_up() {
    // 5.5 mmol/L · 18.0156 = 99.0858 → 99; 3.0 → 54.0468 → 54; 10.0 → 180.156 → 180.
    assert_eq!(mmol_tenths_to_mgdl(55).unwrap(), 99);
    assert_eq!(mmol_tenths_to_mgdl(30).unwrap(), 54);
    assert_eq!(mmol_tenths_to_mgdl(100).unwrap(), 180);
    // 55 mg/dL / 18.0156 = 3.0529 → 3.1 (tenths 30.529 → 31); 180 → 9.991 → 10.0.
    assert_eq!(mgdl_to_mmol_tenths(55).unwrap(), 31);
    assert_eq!(mgdl_to_mmol_tenths(180).unwrap(), 100);
    assert_eq!(mmol_tenths_to_mgdl(401).unwrap_err().param(), "mmolTenths");
    assert_eq!(mgdl_to_mmol_tenths(1001).unwrap_err().param(), "mgdl");
    assert_eq!(parse_mmol("5.5").unwrap(), 55);
    assert_eq!(parse_mmol("4").unwrap(), 40);
    assert_eq!(parse_mmol("0.1").unwrap(), 1);
    for bad in ["", ".5", "5.", "5.55", "05.5", "-1", "40.1", "1e1", "5,5", " 5"] {
        assert_eq!(parse_mmol(bad).unwrap_err().param(), "mmol", "{bad:?}");
    }
}

#[test]
fn nightscout_factor_gives_the_same_mgdl_on_every_tenth() {
    // Nightscout rounds mmol·18.01559 (lib/settings.js); our factor 18.0156 must agree on
    // every representable input, or the docs' claim is wrong.
    for t in 0..=MMOL_TENTHS_MAX {
        let ns = ((f64::from(t) / 10.0) * 18.015_59).round() as u32;
        assert_eq!(mmol_tenths_to_mgdl(t).unwrap(), ns, "{t}");
    }
}

#[test]
fn insulin_units_parse_and_format_exactly() {
    assert_eq!(parse_units("0.05").unwrap(), 50);
    assert_eq!(parse_units("10").unwrap(), 10_000);
    assert_eq!(parse_units("1.125").unwrap(), 1_125);
    assert_eq!(format_units(1_500), "1.500");
    assert_eq!(format_units(50), "0.050");
    for bad in ["", "1.", ".5", "0.0001", "01", "1001", "1e3", "-1", "1.2.3"] {
        assert_eq!(parse_units(bad).unwrap_err().param(), "units", "{bad:?}");
    }
}

// ---------- frames ----------

#[test]
fn crc16_ccitt_false_check_value() {
    // The published check value of CRC-16/CCITT-FALSE (the CRC RevEng catalogue's
    // "CRC-16/IBM-3740"): 0x29B1 over "123456789".
    assert_eq!(crc16_ccitt_false(b"123456789"), 0x29B1);
    assert_eq!(crc16_ccitt_false(b""), 0xFFFF);
}

/// The CRC bit by bit, as the algorithm is defined: the reference the table-driven code must match.
fn crc16_bitwise(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &b in bytes {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
        }
    }
    crc
}

proptest! {
    #[test]
    fn crc16_by_table_equals_the_bitwise_definition(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        prop_assert_eq!(crc16_ccitt_false(&bytes), crc16_bitwise(&bytes));
    }
}

#[test]
fn crc16_by_table_equals_the_bitwise_definition_for_every_byte_value() {
    // Each single byte exercises one table entry from the initial value; pairs exercise the shift.
    for b in 0..=255u8 {
        assert_eq!(crc16_ccitt_false(&[b]), crc16_bitwise(&[b]), "{b}");
        assert_eq!(crc16_ccitt_false(&[b, b.wrapping_mul(31)]), crc16_bitwise(&[b, b.wrapping_mul(31)]), "{b}");
    }
}

#[test]
fn every_message_type_round_trips_with_its_exact_bytes() {
    let g = encode(&glucose(7, 0x0102_0304_0506, 123)).unwrap();
    // version 1, type 1, seq 7, timestamp, length 2, 123 = 0x007B, then the CRC.
    assert_eq!(&g[..17], &[1, 1, 0, 0, 0, 7, 0, 0, 1, 2, 3, 4, 5, 6, 2, 0, 0x7B][..]);
    assert_eq!(g.len(), 19);
    let bodies = [
        Body::Glucose { mgdl: 39 },
        Body::Glucose { mgdl: 401 },
        Body::Delivery { mu: 100_000, kind: DeliveryKind::Bolus },
        Body::Delivery { mu: 25, kind: DeliveryKind::Basal },
        Body::DeviceStatus { reservoir_mu: 1_000_000, battery_pct: 100, battery_mv: 10_000 },
        Body::DeviceAlarm { alarm: DeviceAlarm::Occlusion, raised: true },
        Body::DeviceAlarm { alarm: DeviceAlarm::PumpError, raised: false },
        Body::Usage { event: UsageEvent::SensorStart },
    ];
    for (i, body) in bodies.into_iter().enumerate() {
        let f = Frame { seq: i as u32, at_ms: T0_MS, body };
        assert_eq!(decode(&encode(&f).unwrap()), Ok(f));
    }
}

fn with_crc(mut bytes: Vec<u8>) -> Vec<u8> {
    let crc = crc16_ccitt_false(&bytes);
    bytes.extend_from_slice(&crc.to_be_bytes());
    bytes
}

#[test]
fn each_broken_frame_gets_its_code() {
    let good = encode(&glucose(1, T0_MS, 100)).unwrap();
    assert_eq!(decode(&[0; FRAME_BYTES_MAX + 1]), Err(DoseCode::Oversized));
    assert_eq!(decode(&good[..16]), Err(DoseCode::Truncated));
    assert_eq!(decode(&good[..18]), Err(DoseCode::Truncated));
    let mut long = good.clone();
    long.push(0);
    assert_eq!(decode(&long), Err(DoseCode::TrailingBytes));
    let mut v2 = good.clone();
    v2[0] = 2;
    assert_eq!(decode(&v2), Err(DoseCode::FrameVersionUnsupported));
    let mut declared = good.clone();
    declared[14] = 33;
    assert_eq!(decode(&declared), Err(DoseCode::Oversized));
    for i in 0..good.len() {
        let mut flipped = good.clone();
        flipped[i] ^= 0x10;
        // Every single-bit flip is caught (by the CRC, or earlier by the structure checks).
        assert!(decode(&flipped).is_err(), "bit flip at {i}");
    }
    let mut crc = good.clone();
    let last = crc.len() - 1;
    crc[last] ^= 1;
    assert_eq!(decode(&crc), Err(DoseCode::BadCrc));
    let mut header = good[..15].to_vec();
    header[1] = 9;
    header[14] = 0;
    assert_eq!(decode(&with_crc(header.clone())), Err(DoseCode::UnknownType));
    header[1] = 1;
    header[14] = 3;
    assert_eq!(decode(&with_crc([&header[..], &[0, 100, 0]].concat())), Err(DoseCode::PayloadLength));
    header[14] = 2;
    assert_eq!(decode(&with_crc([&header[..], &[0, 38]].concat())), Err(DoseCode::PayloadInvalid));
    assert_eq!(decode(&with_crc([&header[..], &[1, 146]].concat())), Err(DoseCode::PayloadInvalid)); // 402
    let mut future = header.clone();
    future[6..14].copy_from_slice(&(TIME_MS_MAX + 1).to_be_bytes());
    assert_eq!(decode(&with_crc([&future[..], &[0, 100]].concat())), Err(DoseCode::TimestampInvalid));
    assert_eq!(encode(&glucose(1, T0_MS, 38)).unwrap_err().param(), "body.mgdl");
}

#[test]
fn stream_codes_duplicates_gaps_and_late_frames() {
    let mut s = Stream::default();
    let f = |seq: u32, at: u64| encode(&glucose(seq, T0_MS + at * MIN, 100)).unwrap();
    assert_eq!(s.accept(&f(10, 0)).code, DoseCode::Accepted);
    assert_eq!(s.accept(&f(11, 5)).code, DoseCode::Accepted);
    let gap = s.accept(&f(14, 20));
    assert_eq!((gap.code, gap.missing), (DoseCode::AcceptedAfterGap, 2));
    assert_eq!(s.accept(&f(14, 20)).code, DoseCode::Duplicate);
    assert_eq!(s.accept(&f(11, 5)).code, DoseCode::Duplicate); // remembered in the window
    assert_eq!(s.accept(&f(12, 10)).code, DoseCode::OutOfOrder); // never seen: a late frame
    assert_eq!(s.accept(&f(15, 19)).code, DoseCode::TimeRegressed);
    let before = s;
    assert_eq!(s.accept(&f(15, 19)).code, DoseCode::TimeRegressed);
    assert_eq!(s, before, "a refused frame changes nothing");
    // 100 frames later, 14 is outside the window: out of order (cannot tell).
    let far = s.accept(&f(114, 30));
    assert_eq!((far.code, far.missing), (DoseCode::AcceptedAfterGap, 99));
    assert_eq!(s.accept(&f(14, 30)).code, DoseCode::OutOfOrder);
    assert_eq!((s.accepted_count, s.missing_count), (4, 101));
    // The state survives a snapshot (serde) and keeps deciding the same.
    let json = serde_json::to_string(&s).unwrap();
    let mut back: Stream = serde_json::from_str(&json).unwrap();
    assert_eq!(back.accept(&f(114, 30)).code, DoseCode::Duplicate);
    assert_eq!(back.accept(&f(115, 35)).code, DoseCode::Accepted);
    // The last sequence number.
    let mut end = Stream::default();
    assert_eq!(end.accept(&f(u32::MAX, 0)).code, DoseCode::Accepted);
    assert_eq!(end.accept(&f(u32::MAX, 0)).code, DoseCode::Duplicate);
    assert_eq!(end.accept(&f(0, 1)).code, DoseCode::SequenceExhausted);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn decoding_never_panics_and_only_valid_frames_decode(bytes in proptest::collection::vec(any::<u8>(), 0..60)) {
        if let Ok(frame) = decode(&bytes) {
            // Exactly one encoding per frame: what decodes re-encodes to the same bytes.
            prop_assert_eq!(encode(&frame).unwrap(), bytes);
        }
    }

    #[test]
    fn stream_window_matches_a_set_of_seen_numbers(steps in proptest::collection::vec((0u32..80, any::<bool>()), 1..120)) {
        // Reference model: the set of every accepted sequence number and the newest one.
        let mut s = Stream::default();
        let mut seen = std::collections::BTreeSet::new();
        let mut newest: Option<u32> = None;
        let mut t = 0u64;
        for (delta, back) in steps {
            let seq = match (newest, back) {
                (None, _) => 1_000,
                (Some(n), true) => n.saturating_sub(delta),
                (Some(n), false) => n + delta,
            };
            t += 1;
            let code = s.accept(&encode(&glucose(seq, T0_MS + t, 100)).unwrap()).code;
            let expected = match newest {
                None => DoseCode::Accepted,
                Some(n) if seq <= n => {
                    if seen.contains(&seq) && n - seq <= SEEN_WINDOW_FRAMES { DoseCode::Duplicate } else { DoseCode::OutOfOrder }
                }
                Some(n) if seq == n + 1 => DoseCode::Accepted,
                Some(_) => DoseCode::AcceptedAfterGap,
            };
            prop_assert_eq!(code, expected);
            if matches!(code, DoseCode::Accepted | DoseCode::AcceptedAfterGap) {
                seen.insert(seq);
                newest = Some(seq);
            }
        }
    }
}

// ---------- settings ----------

#[test]
fn nightscout_defaults_are_valid_without_warnings() {
    let d = AlarmSettings::default();
    assert_eq!((d.urgent_low_mgdl, d.low_mgdl, d.high_mgdl, d.urgent_high_mgdl), (55, 80, 180, 260));
    assert_eq!((d.stale_warn_min, d.stale_urgent_min), (15, 30));
    assert_eq!((d.reservoir_warn_mu, d.reservoir_urgent_mu, d.battery_warn_pct, d.battery_urgent_pct), (10_000, 5_000, 30, 20));
    assert_eq!(validate(&d, &absolute_bounds()), Validation::default());
    for spec in FIELDS {
        assert!(spec.absolute.0 <= spec.recommended.0 && spec.recommended.1 <= spec.absolute.1, "{}", spec.name);
    }
}

#[test]
fn every_refusal_names_its_field_and_nothing_is_repaired() {
    let abs = absolute_bounds();
    let mut s = AlarmSettings { urgent_low_mgdl: 39, ..AlarmSettings::default() };
    let v = validate(&s, &abs);
    assert_eq!(v.refusals.len(), 1);
    assert_eq!((v.refusals[0].field.as_str(), v.refusals[0].code, v.refusals[0].limit), ("urgentLowMgdl", FindingCode::BelowAbsolute, 40));
    assert_eq!(s.urgent_low_mgdl, 39, "never repaired");
    // Ordering: low 90 ≥ high 90 is refused, named by highMgdl.
    s = AlarmSettings { low_mgdl: 100, high_mgdl: 100, ..AlarmSettings::default() };
    let v = validate(&s, &abs);
    assert_eq!(v.refusals.iter().map(|f| (f.field.as_str(), f.code)).collect::<Vec<_>>(), vec![("highMgdl", FindingCode::Order)]);
    assert!(v.refusals[0].message.contains("lowMgdl (100) must be below highMgdl (100)"));
    // high 100 is below the recommended 140: also a warning.
    assert_eq!(v.warnings.iter().map(|f| (f.field.as_str(), f.code)).collect::<Vec<_>>(), vec![("highMgdl", FindingCode::BelowRecommended)]);
    // Every ordering rule.
    let cases: [(AlarmSettings, &str); 8] = [
        (AlarmSettings { urgent_low_mgdl: 80, ..Default::default() }, "lowMgdl"),
        (AlarmSettings { high_mgdl: 260, ..Default::default() }, "urgentHighMgdl"),
        (AlarmSettings { low_mgdl: 100, high_mgdl: 100, ..Default::default() }, "highMgdl"),
        (AlarmSettings { sustained_low_mgdl: 81, ..Default::default() }, "sustainedLowMgdl"),
        (AlarmSettings { stale_warn_min: 30, ..Default::default() }, "staleUrgentMin"),
        (AlarmSettings { max_bolus_mu: 20_000, max_daily_mu: 19_999, ..Default::default() }, "maxDailyMu"),
        (AlarmSettings { reservoir_urgent_mu: 10_000, ..Default::default() }, "reservoirUrgentMu"),
        (AlarmSettings { battery_urgent_pct: 30, ..Default::default() }, "batteryUrgentPct"),
    ];
    for (settings, field) in cases {
        let v = validate(&settings, &abs);
        assert!(v.refusals.iter().any(|f| f.field == field && f.code == FindingCode::Order), "{field}: {v:?}");
    }
    // sustainedLowMgdl = lowMgdl is allowed (≤), maxBolus = maxDaily too.
    assert!(validate(&AlarmSettings { sustained_low_mgdl: 80, max_bolus_mu: 30_000, max_daily_mu: 30_000, ..Default::default() }, &abs).ok());
    // A package's narrower range refuses inside the absolute one.
    let mut narrow = abs;
    narrow[10] = (500, 5_000);
    let v = validate(&AlarmSettings::default(), &narrow);
    assert_eq!((v.refusals[0].field.as_str(), v.refusals[0].code, v.refusals[0].limit), ("maxBolusMu", FindingCode::AbovePermitted, 5_000));
    assert_eq!(check_bounds(&narrow), Ok(()));
    narrow[0] = (30, 70);
    assert_eq!(check_bounds(&narrow), Err("urgentLowMgdl"));
}

#[test]
fn settings_json_refuses_unknown_and_missing_fields() {
    let mut v = serde_json::to_value(AlarmSettings::default()).unwrap();
    assert_eq!(v["urgentLowMgdl"], 55);
    v["extra"] = 1.into();
    assert!(serde_json::from_value::<AlarmSettings>(v.clone()).is_err());
    v.as_object_mut().unwrap().remove("extra");
    v.as_object_mut().unwrap().remove("lowMgdl");
    assert!(serde_json::from_value::<AlarmSettings>(v).is_err());
}

// ---------- program package and settings flow ----------

struct World {
    terminal: Terminal,
    controller: Controller,
}

fn world() -> World {
    World {
        terminal: Terminal::new(terminal_config("pump-x1")).unwrap(),
        controller: Controller::new(controller_config("pump-x1")).unwrap(),
    }
}

fn sealed(p: &ProgramPackage, version: u64) -> Vec<u8> {
    seal_program(p, version, signer(&SERVER_SECRET, "mgmt"), T0, T0 + 86_400).unwrap()
}

#[test]
fn program_package_checks_signer_type_version_and_model() {
    let mut w = world();
    let v2 = sealed(&package("pump-x1"), 2);
    // Another signer: a key the terminal does not trust under that id.
    let forged = seal_program(&package("pump-x1"), 2, signer(&TERMINAL_SECRET, "mgmt"), T0, T0 + 60).unwrap();
    assert_eq!(w.terminal.install(&forged, T0).unwrap().code, DoseCode::BadSignature);
    let unknown = seal_program(&package("pump-x1"), 2, signer(&SERVER_SECRET, "other"), T0, T0 + 60).unwrap();
    assert_eq!(w.terminal.install(&unknown, T0).unwrap().code, DoseCode::UnknownSigner);
    assert_eq!(w.terminal.install(&v2, T0 + 86_400).unwrap().code, DoseCode::Expired);
    assert_eq!(w.terminal.install(&v2, T0 - 301).unwrap().code, DoseCode::NotYetValid);
    let mut tampered = v2.clone();
    let i = tampered.len() - 70;
    tampered[i] ^= 1;
    assert!(matches!(w.terminal.install(&tampered, T0).unwrap().code, DoseCode::BadSignature | DoseCode::EnvelopeMalformed));
    assert_eq!(w.terminal.install(&sealed(&package("pump-y9"), 2), T0).unwrap().code, DoseCode::ControllerIncompatible);
    assert_eq!(w.terminal.program, None, "nothing installed by a refusal");
    let ok = w.terminal.install(&v2, T0).unwrap();
    assert_eq!((ok.code, ok.version), (DoseCode::Installed, Some(2)));
    assert_eq!(w.terminal.install(&v2, T0).unwrap().code, DoseCode::AlreadyInstalled);
    assert_eq!(w.terminal.install(&sealed(&package("pump-x1"), 1), T0).unwrap().code, DoseCode::Downgrade);
    // The server's key on another type of message: not a program.
    let other = crate::envelope::seal(&crate::envelope::SealParams {
        alg: Alg::EdDSA, secret_key: &SERVER_SECRET, key_id: "mgmt", msg_type: SETTINGS_TYPE, version: SCHEMA_VERSION,
        seq: 9, issued_at: T0, expires_at: T0 + 60, payload: b"",
    }).unwrap();
    assert_eq!(w.terminal.install(&other, T0).unwrap().code, DoseCode::WrongType);
    let schema2 = crate::envelope::seal(&crate::envelope::SealParams {
        alg: Alg::EdDSA, secret_key: &SERVER_SECRET, key_id: "mgmt", msg_type: PROGRAM_TYPE, version: 2,
        seq: 9, issued_at: T0, expires_at: T0 + 60, payload: b"",
    }).unwrap();
    assert_eq!(w.terminal.install(&schema2, T0).unwrap().code, DoseCode::SchemaUnsupported);
    let garbage = crate::envelope::seal(&crate::envelope::SealParams {
        alg: Alg::EdDSA, secret_key: &SERVER_SECRET, key_id: "mgmt", msg_type: PROGRAM_TYPE, version: SCHEMA_VERSION,
        seq: 9, issued_at: T0, expires_at: T0 + 60, payload: b"\x80",
    }).unwrap();
    assert_eq!(w.terminal.install(&garbage, T0).unwrap().code, DoseCode::EnvelopeMalformed);
    assert_eq!(w.terminal.program.as_ref().map(|p| p.version), Some(2), "refusals changed nothing");
    // Sealing refuses a package whose bounds leave the absolute ones, naming the field.
    let mut bad = package("pump-x1");
    bad.permitted[3] = (120, 500);
    assert_eq!(seal_program(&bad, 3, signer(&SERVER_SECRET, "mgmt"), T0, T0 + 60).unwrap_err().param(), "package.permitted.urgentHighMgdl");
    let mut bad = package("pump-x1");
    bad.defaults.low_mgdl = 50;
    assert_eq!(seal_program(&bad, 3, signer(&SERVER_SECRET, "mgmt"), T0, T0 + 60).unwrap_err().param(), "package.defaults.lowMgdl");
}

#[test]
fn an_update_keeps_valid_settings_and_lists_the_others() {
    let mut w = world();
    w.terminal.install(&sealed(&package("pump-x1"), 1), T0).unwrap();
    let mine = AlarmSettings { low_mgdl: 90, max_bolus_mu: 8_000, ..AlarmSettings::default() };
    w.terminal.propose(&mine, signer(&TERMINAL_SECRET, "terminal"), T0, 600).unwrap();
    // Version 2 keeps every value of `mine` permitted: kept.
    let out = w.terminal.install(&sealed(&package("pump-x1"), 2), T0).unwrap();
    assert_eq!(out.code, DoseCode::Installed);
    assert_eq!(w.terminal.draft, mine);
    // Version 3 caps a bolus at 5 U: maxBolusMu is listed, replaced in the draft by the
    // package's default (4 U), the rest kept.
    let mut p3 = package("pump-x1");
    p3.permitted[10] = (50, 5_000);
    p3.defaults.max_bolus_mu = 4_000;
    let out = w.terminal.install(&sealed(&p3, 3), T0).unwrap();
    assert_eq!(out.code, DoseCode::InstalledSettingsReview);
    assert_eq!(out.invalid.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), vec!["maxBolusMu"]);
    assert_eq!(w.terminal.draft, AlarmSettings { max_bolus_mu: 4_000, ..mine });
    // The pending settings (8 U) are above the new program's 5 U: the state is still a valid
    // one to save and restore (the patient reviews and sends new settings).
    let key = [1u8; 32];
    assert_eq!(Terminal::restore(&w.terminal.snapshot(&key).unwrap(), &key).unwrap(), w.terminal);
}

#[test]
fn settings_stay_pending_until_the_controller_confirms() {
    let mut w = world();
    let pkg = sealed(&package("pump-x1"), 1);
    w.terminal.install(&pkg, T0).unwrap();
    assert_eq!(w.controller.install(&pkg, T0).unwrap(), DoseCode::InstalledSettingsReview);
    let term = signer(&TERMINAL_SECRET, "terminal");
    let ctrl = signer(&CONTROLLER_SECRET, "controller");

    // Refused settings: nothing sealed, the findings listed.
    let refused = w.terminal.propose(&AlarmSettings { urgent_low_mgdl: 90, ..Default::default() }, term, T0, 600).unwrap();
    assert_eq!((refused.code, refused.envelope.is_none()), (DoseCode::SettingsRefused, true));
    // urgentLow 90 is inside its absolute range but not below low 80: the ordering rule.
    assert_eq!(refused.validation.refusals[0].field, "lowMgdl");
    assert_eq!(w.terminal.settings_seq, 0);

    let mine = AlarmSettings { low_mgdl: 75, ..Default::default() };
    let out = w.terminal.propose(&mine, term, T0, 600).unwrap();
    assert_eq!(out.code, DoseCode::SettingsPending);
    let env = out.envelope.unwrap();
    assert_eq!(w.terminal.pending.as_ref().map(|p| p.settings), Some(mine));
    assert_eq!(w.terminal.confirmed, None);
    assert_eq!(w.controller.confirmed, AlarmSettings::default(), "the controller keeps the previous ones until it confirms");
    // A forged settings envelope gets no answer and changes nothing.
    let forged = Terminal::new(terminal_config("pump-x1")).map(|mut t| {
        t.program = w.terminal.program.clone();
        t.propose(&mine, signer(&SERVER_SECRET, "terminal"), T0, 600).unwrap().envelope.unwrap()
    }).unwrap();
    let a = w.controller.receive_settings(&forged, T0, ctrl).unwrap();
    assert_eq!((a.code, a.ack.is_none()), (DoseCode::BadSignature, true));
    let a = w.controller.receive_settings(&env, T0 + 600, ctrl).unwrap();
    assert_eq!(a.code, DoseCode::Expired);
    let a = w.controller.receive_settings(&env, T0 + 1, ctrl).unwrap();
    assert_eq!(a.code, DoseCode::SettingsConfirmed);
    assert_eq!(w.controller.confirmed, mine);
    // Replayed: the controller refuses the same envelope again.
    assert_eq!(w.controller.receive_settings(&env, T0 + 2, ctrl).unwrap().code, DoseCode::Replayed);
    let ack = a.ack.unwrap();
    assert_eq!(w.terminal.take_ack(&ack, T0 + 2).unwrap(), DoseCode::SettingsConfirmed);
    assert_eq!((w.terminal.confirmed, w.terminal.pending.clone()), (Some(mine), None));
    assert_eq!(w.terminal.take_ack(&ack, T0 + 3).unwrap(), DoseCode::Replayed);

    // A newer proposal replaces a pending one; an answer to the older one is NOT_PENDING.
    let first = w.terminal.propose(&AlarmSettings { low_mgdl: 85, ..Default::default() }, term, T0 + 10, 600).unwrap().envelope.unwrap();
    let second = w.terminal.propose(&AlarmSettings { low_mgdl: 95, ..Default::default() }, term, T0 + 11, 600).unwrap().envelope.unwrap();
    let ack1 = w.controller.receive_settings(&first, T0 + 12, ctrl).unwrap().ack.unwrap();
    assert_eq!(w.terminal.take_ack(&ack1, T0 + 12).unwrap(), DoseCode::NotPending);
    assert_eq!(w.terminal.confirmed, Some(mine));
    let ack2 = w.controller.receive_settings(&second, T0 + 13, ctrl).unwrap().ack.unwrap();
    assert_eq!(w.terminal.take_ack(&ack2, T0 + 13).unwrap(), DoseCode::SettingsConfirmed);
    assert_eq!(w.terminal.confirmed.map(|s| s.low_mgdl), Some(95));

    // A controller on another program version answers PROGRAM_MISMATCH; the terminal keeps
    // its confirmed settings.
    w.controller.install(&sealed(&package("pump-x1"), 2), T0).unwrap();
    let third = w.terminal.propose(&AlarmSettings { low_mgdl: 99, ..Default::default() }, term, T0 + 20, 600).unwrap().envelope.unwrap();
    let a = w.controller.receive_settings(&third, T0 + 20, ctrl).unwrap();
    assert_eq!(a.code, DoseCode::ProgramMismatch);
    assert_eq!(w.terminal.take_ack(&a.ack.unwrap(), T0 + 21).unwrap(), DoseCode::SettingsRejected);
    assert_eq!(w.terminal.confirmed.map(|s| s.low_mgdl), Some(95));
    assert_eq!(w.controller.confirmed.low_mgdl, 95);
    // A program that caps a bolus at 5 U: the controller keeps low 95 and runs the default 4 U.
    let mut p3 = package("pump-x1");
    p3.permitted[10] = (50, 5_000);
    p3.defaults.max_bolus_mu = 4_000;
    assert_eq!(w.controller.install(&sealed(&p3, 3), T0).unwrap(), DoseCode::InstalledSettingsReview);
    assert_eq!((w.controller.confirmed.low_mgdl, w.controller.confirmed.max_bolus_mu), (95, 4_000));
    // The terminal's whole state is plain data: it survives JSON.
    let back: Terminal = serde_json::from_str(&serde_json::to_string(&w.terminal).unwrap()).unwrap();
    assert_eq!(back, w.terminal);
}

// ---------- evaluation ----------

fn kinds(signals: &[Signal]) -> Vec<(String, u64, Option<u64>)> {
    signals.iter().map(|s| (s.signal_id.clone(), s.at_ms, s.resolved.as_ref().map(|r| r.at_ms))).collect()
}

#[test]
fn glucose_levels_duration_and_rate() {
    let s = AlarmSettings::default();
    // Every 5 minutes: 100, 90 (−2.0/min), 79 (low, −2.2/min), 60 (low, falling 3.8/min), 53 (urgent low; below 54
    // from here), 50, 50, 52 (15 min below 54 → sustained-low), 60 (low; back above 54), 100.
    let values = [100u16, 90, 79, 60, 53, 50, 50, 52, 60, 100];
    let h: Vec<Frame> = values.iter().enumerate().map(|(i, &g)| glucose(i as u32 + 1, T0_MS + i as u64 * 5 * MIN, g)).collect();
    let t = |i: u64| T0_MS + i * 5 * MIN;
    let sig = evaluate(&s, &h, t(9)).unwrap();
    assert_eq!(kinds(&sig), vec![
        ("low:3".to_owned(), t(2), Some(t(4))),
        // 79 → 60 in 5 min: −19·600000/300000 = −38 tenths/min ≤ −30.
        ("falling-fast:4".to_owned(), t(3), Some(t(4))),
        ("urgent-low:5".to_owned(), t(4), Some(t(8))),
        ("sustained-low:8".to_owned(), t(7), Some(t(8))),
        ("low:9".to_owned(), t(8), Some(t(9))),
        // 60 → 100: +80 tenths/min.
        ("rising-fast:10".to_owned(), t(9), None),
    ]);
    let ul = &sig[2];
    assert_eq!((ul.priority, ul.direction), (Priority::High, Direction::Low));
    assert_eq!(ul.reason, "glucose 53 mg/dL below urgent low 55 mg/dL");
    assert_eq!(ul.evidence, vec![Evidence { seq: 5, at_ms: t(4), measure: "glucoseMgdl".into(), value: 53 }]);
    assert_eq!(sig[3].evidence.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![5, 8]);
    assert_eq!(level_at(&sig, t(5)), Some(SignalKind::UrgentLow));
    assert_eq!(level_at(&sig, t(9)), None);
}

#[test]
fn stale_data_warns_then_urgent_then_resolves() {
    let s = AlarmSettings::default();
    let h = vec![glucose(1, T0_MS, 120), glucose(2, T0_MS + 40 * MIN, 120)];
    let sig = evaluate(&s, &h, T0_MS + 40 * MIN).unwrap();
    assert_eq!(kinds(&sig), vec![
        ("stale-data:1".to_owned(), T0_MS + 15 * MIN + 1, Some(T0_MS + 30 * MIN + 1)),
        ("urgent-stale-data:1".to_owned(), T0_MS + 30 * MIN + 1, Some(T0_MS + 40 * MIN)),
    ]);
    assert_eq!(sig[0].resolved.as_ref().unwrap().seq, None);
    assert_eq!(sig[1].resolved.as_ref().unwrap().seq, Some(2));
    // Exactly 15 minutes is not stale (Nightscout: now − last > mins).
    assert!(evaluate(&s, &h[..1], T0_MS + 15 * MIN).unwrap().is_empty());
    let open = evaluate(&s, &h[..1], T0_MS + 20 * MIN).unwrap();
    assert_eq!(kinds(&open), vec![("stale-data:1".to_owned(), T0_MS + 15 * MIN + 1, None)]);
    assert_eq!(open[0].priority, Priority::Low);
}

#[test]
fn device_alarms_and_dose_limits_are_forwarded_with_what_they_are() {
    let s = AlarmSettings::default();
    let at = |m: u64| T0_MS + m * MIN;
    let h = vec![
        Frame { seq: 1, at_ms: at(0), body: Body::DeviceStatus { reservoir_mu: 12_000, battery_pct: 50, battery_mv: 3_900 } },
        Frame { seq: 2, at_ms: at(1), body: Body::DeviceStatus { reservoir_mu: 10_000, battery_pct: 30, battery_mv: 3_600 } },
        Frame { seq: 3, at_ms: at(2), body: Body::DeviceStatus { reservoir_mu: 5_000, battery_pct: 31, battery_mv: 3_650 } },
        Frame { seq: 4, at_ms: at(3), body: Body::DeviceAlarm { alarm: DeviceAlarm::Occlusion, raised: true } },
        Frame { seq: 5, at_ms: at(4), body: Body::DeviceAlarm { alarm: DeviceAlarm::Occlusion, raised: true } },
        Frame { seq: 6, at_ms: at(5), body: Body::DeviceAlarm { alarm: DeviceAlarm::Occlusion, raised: false } },
        Frame { seq: 7, at_ms: at(6), body: Body::Delivery { mu: 10_001, kind: DeliveryKind::Bolus } },
        Frame { seq: 8, at_ms: at(7), body: Body::Delivery { mu: 10_000, kind: DeliveryKind::Bolus } },
        // 24 h after seq 7: the window (t − 24 h, t] no longer holds it.
        Frame { seq: 9, at_ms: at(8), body: Body::Delivery { mu: 60_000, kind: DeliveryKind::Basal } },
        Frame { seq: 10, at_ms: at(6) + DAILY_WINDOW_MS, body: Body::Delivery { mu: 1, kind: DeliveryKind::Basal } },
        Frame { seq: 11, at_ms: at(7) + DAILY_WINDOW_MS, body: Body::Delivery { mu: 0, kind: DeliveryKind::Basal } },
        Frame { seq: 12, at_ms: at(7) + DAILY_WINDOW_MS + 1, body: Body::Delivery { mu: 20_000, kind: DeliveryKind::Basal } },
        Frame { seq: 13, at_ms: at(9) + DAILY_WINDOW_MS, body: Body::Usage { event: UsageEvent::Suspend } },
    ];
    let sig = evaluate(&s, &h, at(9) + DAILY_WINDOW_MS).unwrap();
    assert_eq!(kinds(&sig), vec![
        ("low-reservoir:2".to_owned(), at(1), Some(at(2))),
        ("low-battery:2".to_owned(), at(1), Some(at(2))),
        ("urgent-low-reservoir:3".to_owned(), at(2), None),
        ("occlusion:4".to_owned(), at(3), Some(at(5))),
        ("max-bolus-exceeded:7".to_owned(), at(6), None),
        // 10,001 + 10,000 + 60,000 = 80,001 > 80,000.
        ("max-daily-exceeded:9".to_owned(), at(8), None),
        // At seq 11 the trailing sum is 60,001 (seqs 9, 10, 11): re-armed; seq 12 brings 80,001.
        ("max-daily-exceeded:12".to_owned(), at(7) + DAILY_WINDOW_MS + 1, None),
    ]);
    assert_eq!((sig[3].priority, sig[3].direction), (Priority::High, Direction::High));
    assert_eq!(sig[3].reason, "the controller reports occlusion: insulin is not reaching the patient");
    assert_eq!(sig[5].evidence.last().unwrap().value, 80_001);
    assert_eq!(sig[4].reason, "bolus of 10.001 U above the maximum 10.000 U");
}

#[test]
fn evaluation_refuses_a_history_out_of_order_naming_the_frame() {
    let s = AlarmSettings::default();
    let h = vec![glucose(2, T0_MS, 100), glucose(2, T0_MS + MIN, 100)];
    assert_eq!(evaluate(&s, &h, T0_MS + MIN).unwrap_err().param(), "history[1]");
    let h = vec![glucose(1, T0_MS + MIN, 100), glucose(2, T0_MS, 100)];
    assert_eq!(evaluate(&s, &h, T0_MS + MIN).unwrap_err().param(), "history[1]");
    assert_eq!(evaluate(&s, &h[..1], T0_MS).unwrap_err().param(), "untilMs");
}

/// Reference model of the glucose level, stale status and sustained low at a time, written
/// from the rustdoc table without the episode machinery: look back over the readings.
fn model(s: &AlarmSettings, readings: &[(u64, u16)], t: u64) -> (Option<SignalKind>, Option<SignalKind>, bool) {
    let upto: Vec<_> = readings.iter().filter(|r| r.0 <= t).collect();
    let Some(&&(last_t, last_g)) = upto.last() else { return (None, None, false) };
    let g = u32::from(last_g);
    let level = if g < s.urgent_low_mgdl { Some(SignalKind::UrgentLow) } else if g < s.low_mgdl { Some(SignalKind::Low) } else if g > s.urgent_high_mgdl { Some(SignalKind::UrgentHigh) } else if g > s.high_mgdl { Some(SignalKind::High) } else { None };
    let gap = t - last_t;
    let stale = if gap > u64::from(s.stale_urgent_min) * MIN { Some(SignalKind::UrgentStaleData) } else if gap > u64::from(s.stale_warn_min) * MIN { Some(SignalKind::StaleData) } else { None };
    // Sustained: the run of readings below the threshold ending at the last one, unbroken by
    // a gap longer than the stale warning, spanning at least the duration.
    let mut first = last_t;
    let mut sustained = u32::from(last_g) < s.sustained_low_mgdl;
    if sustained {
        for w in upto.windows(2).rev() {
            let (a, b) = (w[0], w[1]);
            if u32::from(a.1) >= s.sustained_low_mgdl || b.0 - a.0 > u64::from(s.stale_warn_min) * MIN {
                break;
            }
            first = a.0;
        }
        sustained = last_t - first >= u64::from(s.sustained_low_min) * MIN;
    }
    (level, stale, sustained)
}

fn open_at(signals: &[Signal], t: u64, pick: &[SignalKind]) -> Vec<SignalKind> {
    signals.iter().filter(|s| pick.contains(&s.kind) && s.at_ms <= t && s.resolved.as_ref().map_or(true, |r| r.at_ms > t)).map(|s| s.kind).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn evaluation_agrees_with_the_reference_model(
        series in proptest::collection::vec((1u64..45, 39u16..=401), 1..80),
        probe in proptest::collection::vec(0u64..4_000, 1..20),
    ) {
        let s = AlarmSettings::default();
        let mut t = T0_MS;
        let mut readings = Vec::new();
        let mut history = Vec::new();
        for (i, (step_min, g)) in series.iter().enumerate() {
            t += step_min * MIN;
            readings.push((t, *g));
            history.push(glucose(i as u32, t, *g));
        }
        let until = t + 40 * MIN;
        let sig = evaluate(&s, &history, until).unwrap();
        let mut probes: Vec<u64> = readings.iter().map(|r| r.0).collect();
        probes.extend(probe.iter().map(|p| T0_MS + p * MIN).filter(|&p| p >= readings[0].0 && p <= until));
        for p in probes {
            let (level, stale, sustained) = model(&s, &readings, p);
            prop_assert_eq!(open_at(&sig, p, &[SignalKind::UrgentLow, SignalKind::Low, SignalKind::High, SignalKind::UrgentHigh]), level.into_iter().collect::<Vec<_>>(), "level at {}", p);
            prop_assert_eq!(open_at(&sig, p, &[SignalKind::StaleData, SignalKind::UrgentStaleData]), stale.into_iter().collect::<Vec<_>>(), "stale at {}", p);
            // The sustained model is exact at reading times (the episode changes only there).
            if readings.iter().any(|r| r.0 == p) {
                prop_assert_eq!(!open_at(&sig, p, &[SignalKind::SustainedLow]).is_empty(), sustained, "sustained at {}", p);
            }
        }
        // Ids are unique, and replaying a prefix up to its last frame gives the same episodes.
        let ids: std::collections::BTreeSet<_> = sig.iter().map(|s| s.signal_id.clone()).collect();
        prop_assert_eq!(ids.len(), sig.len());
        let k = 1 + (probe[0] as usize) % history.len();
        let cut = history[k - 1].at_ms;
        let prefix = evaluate(&s, &history[..k], cut).unwrap();
        let expected: Vec<Signal> = sig.iter().filter(|x| x.at_ms <= cut).cloned().map(|mut x| {
            if x.resolved.as_ref().is_some_and(|r| r.at_ms > cut) { x.resolved = None; }
            x
        }).collect();
        // Evidence of an open stale episode holds the gap so far; none is open at a frame time.
        prop_assert_eq!(prefix, expected);
    }
}

#[test]
fn terminal_snapshot_restores_exactly_and_refuses_tampering() {
    let mut w = world();
    let key = [3u8; 32];
    let fresh = w.terminal.snapshot(&key).unwrap();
    assert_eq!(Terminal::restore(&fresh, &key).unwrap(), w.terminal);
    w.terminal.install(&sealed(&package("pump-x1"), 1), T0).unwrap();
    w.terminal.propose(&AlarmSettings { low_mgdl: 85, ..Default::default() }, signer(&TERMINAL_SECRET, "terminal"), T0, 600).unwrap();
    for g in [(1, 100), (2, 90), (5, 70)] {
        w.terminal.accept_frame(&encode(&glucose(g.0, T0_MS + u64::from(g.0) * 5 * MIN, g.1)).unwrap());
    }
    assert_eq!(w.terminal.revision, 5, "install, propose, three frames");
    let bytes = w.terminal.snapshot(&key).unwrap();
    let back = Terminal::restore(&bytes, &key).unwrap();
    assert_eq!(back, w.terminal);
    assert_eq!(back.snapshot(&key).unwrap(), bytes, "one state, one byte string");
    let mut bad = bytes.clone();
    let i = bad.len() / 2;
    bad[i] ^= 1;
    assert_eq!(Terminal::restore(&bad, &key).unwrap_err().code(), crate::ErrorCode::SnapshotInvalid);
    assert_eq!(Terminal::restore(&bytes, &[4u8; 32]).unwrap_err().code(), crate::ErrorCode::SnapshotInvalid);
}

/// Concatenates frames, each behind its length byte (the bytes form of a history).
fn history_bytes(frames: &[Frame]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in frames {
        let b = encode(f).unwrap();
        out.push(u8::try_from(b.len()).unwrap());
        out.extend_from_slice(&b);
    }
    out
}

#[test]
fn evaluation_of_bytes_equals_evaluation_of_the_decoded_frames() {
    let s = AlarmSettings::default();
    // A low, a bolus over the maximum, a low reservoir and battery, a 40-minute gap (stale, then
    // urgent stale), then an urgent high: several kinds with evidence and resolutions.
    let h = vec![
        glucose(1, T0_MS, 60),
        Frame { seq: 2, at_ms: T0_MS + MIN, body: Body::Delivery { mu: 20_000, kind: DeliveryKind::Bolus } },
        Frame { seq: 3, at_ms: T0_MS + MIN, body: Body::DeviceStatus { reservoir_mu: 1_000, battery_pct: 3, battery_mv: 3_000 } },
        glucose(4, T0_MS + 41 * MIN, 300),
    ];
    let from_frames = evaluate(&s, &h, T0_MS + 50 * MIN).unwrap();
    assert!(from_frames.len() >= 5, "{from_frames:?}");
    assert_eq!(evaluate_bytes(&s, &history_bytes(&h), T0_MS + 50 * MIN).unwrap(), from_frames);
    assert_eq!(decode_history(&history_bytes(&h)).unwrap(), h);
    assert!(evaluate_bytes(&s, &[], T0_MS).unwrap().is_empty());
}

#[test]
fn evaluation_of_bytes_names_the_frame_that_does_not_decode() {
    use crate::error::ErrorCode;
    let s = AlarmSettings::default();
    let h = vec![glucose(1, T0_MS, 100), glucose(2, T0_MS + MIN, 100), glucose(3, T0_MS + 2 * MIN, 100)];
    let good = history_bytes(&h);
    let step = usize::from(good[0]) + 1;
    // A flipped payload bit in the third frame (length byte + 15-byte header + 1): its CRC fails.
    let mut bad = good.clone();
    bad[2 * step + 17] ^= 1;
    let e = evaluate_bytes(&s, &bad, T0_MS + 2 * MIN).unwrap_err();
    assert_eq!((e.code(), e.param()), (ErrorCode::InvalidArgument, "history[2]"));
    assert!(e.message().contains("BAD_CRC"), "{}", e.message());
    // The second frame's length byte runs past the end.
    let e = evaluate_bytes(&s, &good[..step + 5], T0_MS + 2 * MIN).unwrap_err();
    assert_eq!((e.code(), e.param()), (ErrorCode::InvalidArgument, "history[1]"));
    // A length byte of 0: an empty frame is truncated.
    let mut zero = good[..step].to_vec();
    zero.push(0);
    let e = evaluate_bytes(&s, &zero, T0_MS).unwrap_err();
    assert_eq!(e.param(), "history[1]");
    assert!(e.message().contains("TRUNCATED"), "{}", e.message());
    // Order is still evaluate's: frames swapped name the later one.
    let swapped = history_bytes(&[h[1], h[0]]);
    assert_eq!(evaluate_bytes(&s, &swapped, T0_MS + 2 * MIN).unwrap_err().param(), "history[1]");
    // One frame more than the limit: refused as a whole.
    let many = history_bytes(&h[..1]).repeat(HISTORY_FRAMES_MAX + 1);
    assert_eq!(decode_history(&many).unwrap_err().code(), ErrorCode::LimitExceeded);
    // Above the byte limit: refused before any frame is read.
    let e = decode_history(&vec![0u8; HISTORY_BYTES_MAX + 1]).unwrap_err();
    assert_eq!((e.code(), e.param()), (ErrorCode::LimitExceeded, "history"));
}
