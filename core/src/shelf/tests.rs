use super::sensor::*;
use super::*;

/// A deterministic noise source: xorshift64*, Gaussian by the sum of 12 uniforms − 6 (no
/// transcendental functions, so the streams are the same everywhere).
struct Noise(u64);

impl Noise {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn gauss(&mut self, sigma: f64) -> f64 {
        let s: f64 = (0..12).map(|_| self.uniform()).sum();
        (s - 6.0) * sigma
    }
}

/// `n` samples around `level_mg` with σ 10 g noise and `drift_mg_per_sample`.
fn stream(noise: &mut Noise, level_mg: i64, n: usize, sigma_mg: f64) -> Vec<i64> {
    (0..n).map(|_| level_mg + noise.gauss(sigma_mg).round() as i64).collect()
}

fn sensor_10g() -> LaneSensor {
    LaneSensor::new(SensorConfig::for_noise(10_000).unwrap()).unwrap()
}

#[test]
fn sensor_tares_then_finds_a_placement_and_a_pick_with_their_uncertainty() {
    let mut noise = Noise(7);
    let mut s = sensor_10g();
    assert_eq!(s.push(&stream(&mut noise, 2_000_000, 50, 10_000.0)).unwrap(), vec![]);
    assert_eq!(s.view().phase, SensorPhase::Stable);
    // A 540 g item put down: the shelf swings for half a second (±80 g, damped), then rests.
    let mut samples = Vec::new();
    for i in 0..5i64 {
        samples.push(2_540_000 + if i % 2 == 0 { 80_000 / (i + 1) } else { -80_000 / (i + 1) });
    }
    samples.extend(stream(&mut noise, 2_540_000, 40, 10_000.0));
    let events = s.push(&samples).unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    let e = events[0];
    // σ_Δ = ceil(sqrt(2·10000²/10)) = 4473 mg; the estimate is within 4 σ_Δ of the truth.
    assert_eq!(e.sigma_mg, 4_473);
    assert!((e.delta_mg - 540_000).abs() < 4 * e.sigma_mg, "{e:?}");
    assert_eq!(e.start_sample, 50, "the first sample of the touch raises the alarm");
    assert!(e.settled_sample >= 50 + 9);
    let events = s.push(&stream(&mut noise, 2_000_000, 40, 10_000.0)).unwrap();
    assert_eq!(events.len(), 1);
    assert!((events[0].delta_mg + 540_000).abs() < 4 * events[0].sigma_mg);
}

#[test]
fn sensor_follows_slow_drift_without_events_and_absorbs_changes_below_the_threshold() {
    let mut noise = Noise(11);
    let mut s = sensor_10g();
    // Ten minutes at 10 samples/s with 1 g/min drift (1.7 mg per sample, below σ/20 = 500).
    let samples: Vec<i64> =
        (0..6_000).map(|i| 1_000_000 + i * 1_000 / 600 + noise.gauss(10_000.0).round() as i64).collect();
    let mut events = Vec::new();
    for chunk in samples.chunks(SAMPLES_PER_CALL_MAX) {
        events.extend(s.push(chunk).unwrap());
    }
    assert_eq!(events, vec![]);
    assert!((s.view().baseline_mg - 1_010_000).abs() < 5_000, "{:?}", s.view());
    // A 4 g change: absorbed or never alarmed, never an event (threshold 10 g).
    let mut quiet = Noise(12);
    let small: Vec<i64> = (0..200).map(|_| 1_014_000 + quiet.gauss(1_000.0).round() as i64).collect();
    assert_eq!(s.push(&small).unwrap(), vec![]);
}

#[test]
fn sensor_refuses_bad_samples_and_configs_naming_them_and_feeds_nothing() {
    let mut s = sensor_10g();
    let before = s.clone();
    let e = s.push(&[1, 2, SAMPLE_MG_ABS_MAX + 1]).unwrap_err();
    assert_eq!((e.code(), e.param()), (ErrorCode::InvalidArgument, "samples[2]"));
    assert_eq!(s, before);
    let e = s.push(&vec![0; SAMPLES_PER_CALL_MAX + 1]).unwrap_err();
    assert_eq!((e.code(), e.param()), (ErrorCode::LimitExceeded, "samples"));
    let mut c = SensorConfig::for_noise(10_000).unwrap();
    c.window_samples = WINDOW_SAMPLES_MAX + 1;
    assert_eq!(LaneSensor::new(c).unwrap_err().param(), "sensor.windowSamples");
    assert_eq!(SensorConfig::for_noise(0).unwrap_err().param(), "noiseSigmaMg");
}

#[test]
fn integer_square_roots_are_exact() {
    for v in [0u128, 1, 2, 3, 4, 15, 16, 17, 99, 100, 101, u64::MAX as u128, u128::MAX] {
        let r = floor_sqrt(v);
        assert!(r * r <= v && (r + 1).checked_mul(r + 1).map_or(true, |s| s > v), "{v}");
        let c = ceil_sqrt(v);
        assert!(c.checked_mul(c).map_or(true, |s| s >= v) && (c == 0 || (c - 1) * (c - 1) < v), "{v}");
    }
}

fn item(id: &str, grams: i64, sigma_g: i64, value: u64, perishable: bool) -> ItemType {
    ItemType { id: id.into(), nominal_mg: grams * 1000, sigma_mg: sigma_g * 1000, value_minor: value, perishable }
}

/// Lanes: soup (540 g), beans (538 g, the near-twin), jam (300 g), milk (1030 g, perishable).
fn shelf() -> Shelf {
    let sensor = SensorConfig::for_noise(10_000).unwrap();
    let lane = |id: &str, t: &str| LaneSpec { id: id.into(), item_type: t.into(), count: 10, sensor };
    Shelf::new(&ShelfSetup {
        shelf_id: "shelf-1".into(),
        config: ShelfConfig::default(),
        item_types: vec![
            item("soup", 540, 3, 250, false),
            item("beans", 538, 3, 120, false),
            item("jam", 300, 4, 400, false),
            item("milk", 1030, 8, 150, true),
        ],
        lanes: vec![lane("L1", "soup"), lane("L2", "beans"), lane("L3", "jam"), lane("L4", "milk")],
    })
    .unwrap()
}

fn change(lane: &str, delta_g: i64, shoppers: &[&str]) -> WeightChange {
    WeightChange {
        lane_id: lane.into(),
        delta_mg: delta_g * 1000,
        sigma_mg: 4_473,
        shopper_ids: shoppers.iter().map(|s| s.to_string()).collect(),
        now: 1_800_000_000,
        excursion_mg: None,
        idempotency_key: None,
    }
}

fn decide(s: &mut Shelf, lane: &str, delta_g: i64, shoppers: &[&str]) -> Verdict {
    let v = s.weight_change(&change(lane, delta_g, shoppers)).unwrap();
    assert!(s.is_consistent(), "{s:?}");
    v
}

#[test]
fn a_pick_then_a_tidy_return_restores_the_lane_count() {
    let mut s = shelf();
    let v = decide(&mut s, "L3", -301, &["ann"]);
    assert_eq!((v.code, v.shopper_id.as_deref(), v.lane_count), (VerdictCode::Picked, Some("ann"), 9));
    assert_eq!(s.shopper("ann").unwrap().lots[0].total_mg, 301_000, "the measured weight is recorded");
    let v = decide(&mut s, "L3", 299, &["ann"]);
    assert_eq!((v.code, v.lane_count), (VerdictCode::Tidy, 10));
    assert!(s.shopper("ann").unwrap().lots.is_empty());
    let h = &v.evidence.hypotheses[0];
    // V = σ_Δ² (return) + the pick's measured variance σ_Δ²: 2·4473²; tolerance 3·sqrt(V).
    assert_eq!(h.variance_mg2, 2 * 4_473 * 4_473);
    assert_eq!(h.tolerance_mg, 18_977);
    assert_eq!(h.z2_milli, 4_000_000 * 1000 / (2 * 4_473 * 4_473));
}

#[test]
fn an_untidy_return_is_recorded_in_the_lane_so_a_later_pick_of_it_is_explained_no_cascade() {
    let mut s = shelf();
    decide(&mut s, "L3", -300, &["ann"]); // jam
    let v = decide(&mut s, "L4", 301, &["ann"]); // jam put down among the milk
    assert_eq!(v.code, VerdictCode::Untidy);
    assert_eq!(v.lane_count, 10, "the milk count does not change");
    assert_eq!(v.tasks_opened, vec!["t1".to_string()]);
    let lane = &s.lanes()[3];
    assert_eq!(lane.entries[0].item_type.as_deref(), Some("jam"));
    // Bob picks the jam from the milk lane: explained as the jam entry, the task closes, the
    // milk count stays 10, and Bob's record says jam.
    let v = decide(&mut s, "L4", -299, &["bob"]);
    assert_eq!(v.code, VerdictCode::Picked);
    assert_eq!(v.evidence.hypotheses[0].parts[0].source, PartSource::Entry);
    assert_eq!(v.tasks_closed, vec!["t1".to_string()]);
    assert_eq!(v.lane_count, 10);
    assert!(s.tasks().is_empty());
    assert_eq!(s.shopper("bob").unwrap().lots[0].item_type.as_deref(), Some("jam"));
    // Without the entry the same pick would have been unexplained (300 g is no milk).
    let mut fresh = shelf();
    assert_eq!(decide(&mut fresh, "L4", -299, &["bob"]).code, VerdictCode::Unexplained);
}

#[test]
fn near_twins_are_ambiguous_never_a_silent_pick() {
    let mut s = shelf();
    decide(&mut s, "L1", -540, &["ann"]); // soup 540 g
    decide(&mut s, "L2", -538, &["ann"]); // beans 538 g
    let before = s.clone();
    let v = decide(&mut s, "L3", 539, &["ann"]);
    assert_eq!(v.code, VerdictCode::Ambiguous);
    assert!(v.evidence.hypotheses[0].within_tolerance && v.evidence.hypotheses[1].within_tolerance);
    let types: Vec<_> = v.evidence.hypotheses.iter().take(2).map(|h| h.parts[0].item_type.clone().unwrap()).collect();
    assert!(types.contains(&"soup".to_string()) && types.contains(&"beans".to_string()));
    // The records stay (nobody knows which went back); the lane gets an unidentified entry and
    // staff an identify task.
    assert_eq!(s.shopper("ann").unwrap(), before.shopper("ann").unwrap());
    assert_eq!(s.tasks()[0].kind, TaskKind::Identify);
    assert_eq!(s.lanes()[2].entries[0].item_type, None);
}

#[test]
fn separated_readings_are_decided_and_the_margin_is_the_rule() {
    let mut s = shelf();
    decide(&mut s, "L1", -540, &["ann"]);
    decide(&mut s, "L3", -300, &["ann"]);
    // 540 against 300: far apart, tidy.
    assert_eq!(decide(&mut s, "L1", 541, &["ann"]).code, VerdictCode::Tidy);
}

#[test]
fn two_different_items_returned_at_once_are_one_hypothesis() {
    let mut s = shelf();
    decide(&mut s, "L3", -300, &["ann"]);
    decide(&mut s, "L4", -1031, &["ann"]);
    decide(&mut s, "L1", -541, &["ann"]);
    let v = decide(&mut s, "L3", 1331, &["ann"]); // jam + milk into the jam lane
    assert_eq!(v.code, VerdictCode::Untidy);
    let best = &v.evidence.hypotheses[0];
    let mut types: Vec<_> = best.parts.iter().map(|p| p.item_type.clone().unwrap()).collect();
    types.sort();
    assert_eq!(types, ["jam", "milk"]);
    assert_eq!(v.lane_count, 10, "the jam went home");
    assert_eq!(s.tasks()[0].item_type.as_deref(), Some("milk"));
    assert_eq!(s.shopper("ann").unwrap().lots.len(), 1);
}

#[test]
fn nothing_within_tolerance_is_unexplained_with_its_evidence() {
    let mut s = shelf();
    decide(&mut s, "L3", -300, &["ann"]);
    let v = decide(&mut s, "L3", 420, &["ann"]);
    assert_eq!(v.code, VerdictCode::Unexplained);
    assert!(v.evidence.hypotheses.is_empty());
    assert_eq!(s.shopper("ann").unwrap().lots.len(), 1);
    // A shopper with no records: unexplained as well.
    assert_eq!(decide(&mut s, "L1", 540, &["zoe"]).code, VerdictCode::Unexplained);
}

#[test]
fn the_search_limit_is_an_outcome_not_a_guess() {
    let mut s = shelf();
    s.config.combinations_max = 3;
    for _ in 0..4 {
        decide(&mut s, "L3", -300, &["ann"]);
    }
    let v = decide(&mut s, "L3", 1200, &["ann"]);
    assert_eq!(v.code, VerdictCode::SearchLimit);
    assert_eq!(v.evidence.combinations_tried, 3);
    assert_eq!(s.shopper("ann").unwrap().lots.len(), 4, "nothing taken off the records");
}

#[test]
fn two_shoppers_who_could_each_explain_a_return_make_it_ambiguous() {
    let mut s = shelf();
    decide(&mut s, "L3", -300, &["ann"]);
    decide(&mut s, "L3", -300, &["bob"]);
    let v = decide(&mut s, "L3", 300, &["ann", "bob"]);
    assert_eq!(v.code, VerdictCode::Ambiguous);
    assert!(!v.attributed);
    let who: Vec<_> = v.evidence.hypotheses.iter().map(|h| h.shopper_id.clone().unwrap()).collect();
    assert_eq!(who, ["ann", "bob"]);
    // Only Bob holds milk: a milk return with both present is his.
    decide(&mut s, "L4", -1030, &["bob"]);
    let v = decide(&mut s, "L4", 1030, &["ann", "bob"]);
    assert_eq!((v.code, v.shopper_id.as_deref()), (VerdictCode::Tidy, Some("bob")));
    // A pick with two candidates: the lane loses it, nobody's record gains it.
    let v = decide(&mut s, "L1", -540, &["ann", "bob"]);
    assert_eq!((v.code, v.attributed, v.lane_count), (VerdictCode::Picked, false, 9));
    assert_eq!(s.shopper("ann").unwrap().lots.len(), 1);
}

#[test]
fn learning_moves_a_type_only_within_its_bound() {
    let mut s = shelf();
    // Jam weighs 312 g, not the catalogue's 300 (each pick within tolerance); learning may
    // move it 2 % (to 306 g).
    s.config.learn_shift_permille_max = 20;
    for i in 0..6 {
        let v = decide(&mut s, "L3", -312, &["ann"]);
        assert_eq!(v.code, VerdictCode::Picked);
        let expected = if i + 1 < 5 { 300_000 } else { 306_000 };
        assert_eq!(s.item_types()[2].weight_mg, expected, "after {} picks", i + 1);
    }
    let jam = &s.item_types()[2];
    assert_eq!(jam.observations, 6);
    // The spread: the picks are identical, so the sample variance is 0; clamped up to σ/2.
    assert_eq!(jam.spread_mg, 2_000);
}

#[test]
fn clean_up_tasks_come_in_priority_order_and_completing_one_empties_its_entry() {
    let mut s = shelf();
    decide(&mut s, "L1", -540, &["ann"]);
    decide(&mut s, "L4", -1030, &["ann"]);
    decide(&mut s, "L3", -300, &["ann"]);
    let mut v = change("L2", 300, &["ann"]);
    v.now += 10;
    s.weight_change(&v).unwrap(); // jam (value 400) into beans, later
    decide(&mut s, "L2", 540, &["ann"]); // soup (250) into beans
    decide(&mut s, "L3", 1030, &["ann"]); // milk (perishable, 150) into jam
    let order: Vec<_> = s.tasks().iter().map(|t| t.item_type.clone().unwrap()).collect();
    assert_eq!(order, ["milk", "jam", "soup"]);
    let milk = s.tasks()[0].id.clone();
    let taken = s.complete_task(&milk).unwrap();
    assert_eq!(taken.item_type.as_deref(), Some("milk"));
    assert!(s.lanes()[2].entries.is_empty());
    assert!(s.is_consistent());
    assert_eq!(s.complete_task(&milk).unwrap_err().param(), "taskId");
}

#[test]
fn bad_input_is_an_error_naming_the_parameter_and_changes_nothing() {
    let mut s = shelf();
    decide(&mut s, "L3", -300, &["ann"]);
    let before = s.clone();
    let cases: Vec<(WeightChange, &str)> = vec![
        (WeightChange { lane_id: "nope".into(), ..change("L1", 1, &["ann"]) }, "request.laneId"),
        (change("L1", 0, &["ann"]), "request.deltaMg"),
        (WeightChange { delta_mg: WEIGHT_MG_MAX + 1, ..change("L1", 1, &["ann"]) }, "request.deltaMg"),
        (WeightChange { sigma_mg: 0, ..change("L1", 1, &["ann"]) }, "request.sigmaMg"),
        (WeightChange { now: -1, ..change("L1", 1, &["ann"]) }, "request.now"),
        (change("L1", 1, &[]), "request.shopperIds"),
        (change("L1", 1, &["a", "b", "c", "d", "e"]), "request.shopperIds"),
        (change("L1", 1, &["ann", "ann"]), "request.shopperIds[1]"),
        (change("L1", 1, &["ann", ""]), "request.shopperIds[1]"),
    ];
    for (req, param) in cases {
        let e = s.weight_change(&req).unwrap_err();
        assert_eq!(e.param(), param, "{req:?}");
        assert_eq!(s, before);
    }
    let mut setup = ShelfSetup { shelf_id: "s".into(), config: ShelfConfig::default(), item_types: vec![item("a", 1, 0, 0, false)], lanes: vec![] };
    setup.item_types.push(item("a", 1, 0, 0, false));
    assert_eq!(Shelf::new(&setup).unwrap_err().param(), "setup.itemTypes[1].id");
    setup.item_types.pop();
    setup.item_types[0].nominal_mg = 0;
    assert_eq!(Shelf::new(&setup).unwrap_err().param(), "setup.itemTypes[0].nominalMg");
    setup.item_types[0].nominal_mg = 1;
    setup.lanes.push(LaneSpec { id: "x".into(), item_type: "b".into(), count: 0, sensor: SensorConfig::for_noise(1).unwrap() });
    assert_eq!(Shelf::new(&setup).unwrap_err().param(), "setup.lanes[0].itemType");
    setup.config.k_centi = 99;
    assert_eq!(Shelf::new(&setup).unwrap_err().param(), "setup.config.kCenti");
}

#[test]
fn full_tables_refuse_before_anything_changes() {
    let mut s = shelf();
    for _ in 0..BASKET_LOTS_MAX {
        let mut r = change("L3", -300, &["ann"]);
        r.delta_mg = -300_000;
        s.lanes[2].count = 10;
        s.weight_change(&r).unwrap();
    }
    s.lanes[2].count = 10;
    let before = s.clone();
    let e = s.weight_change(&change("L3", -300, &["ann"])).unwrap_err();
    assert_eq!((e.code(), e.param()), (ErrorCode::LimitExceeded, "request.shopperIds"));
    assert_eq!(s, before);
}

#[test]
fn the_state_round_trips_and_an_inconsistent_one_is_refused() {
    let mut s = shelf();
    decide(&mut s, "L3", -300, &["ann"]);
    decide(&mut s, "L4", 300, &["ann"]);
    s.samples("L1", &[1, 2, 3]).unwrap();
    assert_eq!(s.revision(), 3);
    let key = [9u8; 32];
    let bytes = s.snapshot(&key).unwrap();
    let back = Shelf::restore(&bytes, &key).unwrap();
    assert_eq!(back, s);
    assert_eq!(back.snapshot(&key).unwrap(), bytes, "one state, one byte string");
    assert_eq!(Shelf::restore(&bytes, &[8u8; 32]).unwrap_err().code(), ErrorCode::SnapshotInvalid);
    assert_eq!(Shelf::restore(&bytes, &[8u8; 31]).unwrap_err().param(), "snapshotKey");
    let mut flipped = bytes.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 1;
    assert_eq!(Shelf::restore(&flipped, &key).unwrap_err().code(), ErrorCode::SnapshotInvalid);
    let mut broken = s.clone();
    broken.tasks.clear(); // an entry without its task: sealed, but refused on restore
    let sealed = broken.snapshot(&key).unwrap();
    assert_eq!(Shelf::restore(&sealed, &key).unwrap_err().code(), ErrorCode::SnapshotInvalid);
}

// ---- issue 11 follow-ups: mixed touches, resolving tasks, idempotency ----------------------

#[test]
fn sensor_flags_a_pick_and_a_return_in_one_window_and_not_a_single_step() {
    let mut noise = Noise(21);
    let mut s = sensor_10g();
    s.push(&stream(&mut noise, 3_000_000, 40, 10_000.0)).unwrap();
    // A soup (540 g) lifted, and 0.4 s later a jam (300 g) put down: net −240 g.
    let mut samples = stream(&mut noise, 2_460_000, 4, 10_000.0);
    samples.extend(stream(&mut noise, 2_760_000, 40, 10_000.0));
    let events = s.push(&samples).unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    let e = events[0];
    assert!((e.delta_mg + 240_000).abs() < 4 * e.sigma_mg, "{e:?}");
    // The segment went ~300 g below the band [−240 g, 0]: beyond 2 · stableRangeMg = 120 g.
    assert!(e.mixed && (e.excursion_mg - 300_000).abs() < 40_000, "{e:?}");
    // One pick of the same soup, swinging ±40 g: a single step, not mixed.
    let mut samples: Vec<i64> = (0..5i64).map(|i| 2_220_000 + 40_000 / (i + 1) * if i % 2 == 0 { 1 } else { -1 }).collect();
    samples.extend(stream(&mut noise, 2_220_000, 40, 10_000.0));
    let events = s.push(&samples).unwrap();
    assert_eq!(events.len(), 1);
    assert!(!events[0].mixed && events[0].excursion_mg < 120_000, "{:?}", events[0]);
}

#[test]
fn a_swap_of_near_twins_in_one_window_is_an_event_though_its_net_is_below_the_threshold() {
    let mut noise = Noise(22);
    let mut s = sensor_10g();
    s.push(&stream(&mut noise, 3_000_000, 40, 10_000.0)).unwrap();
    // Soup (540 g) out, beans (538 g) in: net −2 g.
    let mut samples = stream(&mut noise, 2_460_000, 5, 10_000.0);
    samples.extend(stream(&mut noise, 2_998_000, 40, 10_000.0));
    let events = s.push(&samples).unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(events[0].mixed && events[0].delta_mg.abs() < 10_000, "{:?}", events[0]);
}

fn mixed(lane: &str, delta_g: i64, shoppers: &[&str], excursion_g: i64) -> WeightChange {
    WeightChange { excursion_mg: Some(excursion_g * 1000), ..change(lane, delta_g, shoppers) }
}

#[test]
fn a_mixed_touch_is_unattributable_and_changes_no_record_and_no_count() {
    let mut s = shelf();
    decide(&mut s, "L1", -540, &["ann"]);
    decide(&mut s, "L3", -300, &["bob"]);
    let before = (s.lanes().iter().map(|l| l.count).collect::<Vec<_>>(), s.shopper("ann").unwrap(), s.shopper("bob").unwrap());
    // Two shoppers at L1: a soup leaves and a jam comes back in one window; net −240 g, excursion 300 g.
    let v = s.weight_change(&mixed("L1", -240, &["ann", "bob"], 300)).unwrap();
    assert_eq!(v.code, VerdictCode::Unattributable);
    assert!(!v.attributed && v.shopper_id.is_none() && v.evidence.hypotheses.is_empty());
    assert_eq!((v.evidence.excursion_mg, v.evidence.mixed_excursion_mg), (300_000, 120_000));
    assert_eq!(v.evidence.shopper_ids, vec!["ann".to_string(), "bob".to_string()]);
    assert_eq!(before, (s.lanes().iter().map(|l| l.count).collect::<Vec<_>>(), s.shopper("ann").unwrap(), s.shopper("bob").unwrap()));
    let task = s.tasks().into_iter().find(|t| t.id == v.tasks_opened[0]).unwrap();
    assert_eq!((task.kind, task.total_mg, task.shopper_ids.len()), (TaskKind::Unattributable, -240_000, 2));
    // A net loss puts nothing in the lane; a net gain is an unidentified entry (a later pick of it is explained).
    assert!(s.lanes()[0].entries.is_empty());
    let v = s.weight_change(&mixed("L2", 250, &["ann"], 400)).unwrap();
    assert_eq!(v.code, VerdictCode::Unattributable);
    assert_eq!(s.lanes()[1].entries.len(), 1);
    // At or below the lane's bound it is an ordinary change; Δ 0 only when mixed; the range is checked.
    assert_eq!(s.weight_change(&mixed("L3", 300, &["bob"], 120)).unwrap().code, VerdictCode::Tidy);
    assert_eq!(s.weight_change(&mixed("L3", 0, &["bob"], 200)).unwrap().code, VerdictCode::Unattributable);
    let e = s.weight_change(&mixed("L3", 0, &["bob"], 100)).unwrap_err();
    assert_eq!((e.code(), e.param()), (ErrorCode::InvalidArgument, "request.deltaMg"));
    let e = s.weight_change(&WeightChange { excursion_mg: Some(-1), ..change("L3", 10, &["bob"]) }).unwrap_err();
    assert_eq!(e.param(), "request.excursionMg");
    // Completing a net-loss task returns its net Δ (there is no entry to carry away).
    let lot = s.complete_task(&task.id).unwrap();
    assert_eq!((lot.item_type, lot.total_mg), (None, -240_000));
    assert!(s.is_consistent());
}

fn resolve(task: &str, found: Option<(&str, u32)>, shopper: Option<&str>) -> ResolveTask {
    ResolveTask {
        task_id: task.into(),
        found: found.map(|(t, c)| FoundItems { item_type: t.into(), count: c }),
        shopper_id: shopper.map(Into::into),
        idempotency_key: None,
    }
}

#[test]
fn staff_resolve_an_ambiguous_return_with_the_real_item() {
    let mut s = shelf();
    decide(&mut s, "L1", -540, &["ann"]);
    decide(&mut s, "L2", -538, &["ann"]);
    let v = decide(&mut s, "L3", 539, &["ann"]);
    assert_eq!(v.code, VerdictCode::Ambiguous);
    let t = v.tasks_opened[0].clone();
    let refused = |s: &mut Shelf, r: ResolveTask, code: ResolveCode| {
        let before = s.clone();
        assert_eq!(s.resolve_task(&r).unwrap().code, code, "{r:?}");
        assert_eq!(*s, before, "a refusal changed the shelf");
    };
    refused(&mut s, resolve("t99", None, None), ResolveCode::TaskUnknown);
    refused(&mut s, resolve("t01", None, None), ResolveCode::TaskUnknown);
    refused(&mut s, resolve(&t, Some(("soup", 2)), None), ResolveCode::ContradictsWeight);
    refused(&mut s, resolve(&t, Some(("jam", 1)), None), ResolveCode::ContradictsWeight);
    refused(&mut s, resolve(&t, Some(("soup", 1)), Some("bob")), ResolveCode::ShopperNotCandidate);
    // The beans were the ones: ann's beans record goes, the soup stays; staff carry the can away.
    let r = s.resolve_task(&resolve(&t, Some(("beans", 1)), None)).unwrap();
    assert_eq!((r.code, r.shopper_id.as_deref(), r.to_stock, r.predicted_mg, r.task_mg), (ResolveCode::Resolved, Some("ann"), 0, 538_000, 539_000));
    let lots = s.shopper("ann").unwrap().lots;
    assert_eq!((lots.len(), lots[0].item_type.as_deref()), (1, Some("soup")));
    assert!(s.tasks().is_empty() && s.lanes()[2].entries.is_empty());
    assert_eq!(s.lanes()[2].count, 10);
    refused(&mut s, resolve(&t, None, None), ResolveCode::TaskClosed);
    assert!(s.is_consistent());
}

#[test]
fn resolving_names_the_shopper_when_several_hold_the_item_and_puts_own_type_items_in_stock() {
    let mut s = shelf();
    decide(&mut s, "L3", -300, &["ann"]);
    decide(&mut s, "L3", -300, &["bob"]);
    let v = decide(&mut s, "L3", 300, &["ann", "bob"]);
    assert_eq!(v.code, VerdictCode::Ambiguous);
    let t = v.tasks_opened[0].clone();
    let before = s.clone();
    assert_eq!(s.resolve_task(&resolve(&t, Some(("jam", 1)), None)).unwrap().code, ResolveCode::ShopperRequired);
    assert_eq!(s.resolve_task(&resolve(&t, Some(("milk", 1)), Some("ann"))).unwrap().code, ResolveCode::ContradictsWeight);
    assert_eq!(s, before);
    let r = s.resolve_task(&resolve(&t, Some(("jam", 1)), Some("bob"))).unwrap();
    assert_eq!((r.code, r.to_stock, r.lane_count), (ResolveCode::Resolved, 1, 9));
    assert!(s.shopper("bob").unwrap().lots.is_empty());
    assert_eq!(s.shopper("ann").unwrap().lots.len(), 1);
    // A misplaced task's item is known: staff complete it instead.
    decide(&mut s, "L1", -540, &["cy"]);
    let v = decide(&mut s, "L4", 541, &["cy"]);
    assert_eq!(v.code, VerdictCode::Untidy);
    assert_eq!(s.resolve_task(&resolve(&v.tasks_opened[0], None, None)).unwrap().code, ResolveCode::NotResolvable);
    // Malformed input is an error naming the field.
    let e = s.resolve_task(&resolve(&t, Some(("caviar", 1)), None)).unwrap_err();
    assert_eq!((e.code(), e.param()), (ErrorCode::InvalidArgument, "request.found.itemType"));
    let e = s.resolve_task(&resolve(&t, Some(("jam", 0)), None)).unwrap_err();
    assert_eq!(e.param(), "request.found.count");
    assert_eq!(s.resolve_task(&resolve("", None, None)).unwrap_err().param(), "request.taskId");
}

#[test]
fn an_unattributable_task_is_resolved_with_what_came_back() {
    let mut s = shelf();
    decide(&mut s, "L3", -300, &["ann"]);
    // At L1 a soup leaves and ann's jam comes back in one window: net −240 g.
    let v = s.weight_change(&mixed("L1", -240, &["ann", "bob"], 300)).unwrap();
    let t = v.tasks_opened[0].clone();
    let r = s.resolve_task(&resolve(&t, Some(("jam", 1)), None)).unwrap();
    assert_eq!((r.code, r.shopper_id.as_deref(), r.to_stock), (ResolveCode::Resolved, Some("ann"), 0));
    assert!(s.shopper("ann").unwrap().lots.is_empty() && s.tasks().is_empty());
    // A net gain of 250 g cannot be a 20 g item coming back.
    let v = s.weight_change(&mixed("L2", 250, &["bob"], 400)).unwrap();
    assert_eq!(s.resolve_task(&resolve(&v.tasks_opened[0], Some(("soup", 1)), None)).unwrap().code, ResolveCode::ContradictsRecords);
    assert!(s.is_consistent());
}

#[test]
fn an_idempotency_key_answers_a_retry_and_refuses_a_different_request() {
    let mut s = shelf();
    let req = WeightChange { idempotency_key: Some("evt-1".into()), ..change("L3", -301, &["ann"]) };
    let v = s.weight_change(&req).unwrap();
    let after = s.clone();
    // The retry arrives later (another `now`): the same answer, nothing changes.
    assert_eq!(s.weight_change(&WeightChange { now: req.now + 30, ..req.clone() }).unwrap(), v);
    assert_eq!(s, after);
    let e = s.weight_change(&WeightChange { delta_mg: -302_000, ..req.clone() }).unwrap_err();
    assert_eq!((e.code(), e.param()), (ErrorCode::IdempotencyConflict, "request.idempotencyKey"));
    assert_eq!(s, after);
    // A resolution under a weight change's key is a conflict too; keys survive a snapshot.
    let e = s.resolve_task(&ResolveTask { idempotency_key: Some("evt-1".into()), ..resolve("t1", None, None) }).unwrap_err();
    assert_eq!(e.code(), ErrorCode::IdempotencyConflict);
    let mut s = Shelf::restore(&s.snapshot(&[7; 32]).unwrap(), &[7; 32]).unwrap();
    assert_eq!(s.weight_change(&req).unwrap(), v);
    assert_eq!(s.shopper("ann").unwrap().lots.len(), 1);
    let e = s.weight_change(&WeightChange { idempotency_key: Some(String::new()), ..req.clone() }).unwrap_err();
    assert_eq!(e.param(), "request.idempotencyKey");
}

#[test]
fn the_key_window_forgets_the_oldest_key_first() {
    let mut s = shelf();
    let keyed = |i: usize, d: i64| WeightChange { idempotency_key: Some(format!("k{i}")), ..change("L3", d, &["ann"]) };
    // Alternate picks and returns so the lane never runs out.
    for i in 0..=IDEMPOTENCY_KEYS_MAX {
        s.weight_change(&keyed(i, if i % 2 == 0 { -300 } else { 300 })).unwrap();
    }
    assert_eq!(s.keys.len(), IDEMPOTENCY_KEYS_MAX);
    assert_eq!(s.keys.front().map(|k| k.key.as_str()), Some("k1"));
    // k0 was forgotten: the same request is decided again (a pick: ann holds one more jam).
    let jams = s.shopper("ann").unwrap().lots.len();
    s.weight_change(&keyed(0, -300)).unwrap();
    assert_eq!(s.shopper("ann").unwrap().lots.len(), jams + 1);
    assert!(s.is_consistent());
}

#[test]
fn a_keyed_checkout_answers_its_records_again_and_never_checks_out_later_ones() {
    let mut s = shelf();
    decide(&mut s, "L3", -300, &["ann"]);
    let lots = s.checkout("ann", Some("pay-1")).unwrap();
    assert_eq!(lots.len(), 1);
    let after = s.clone();
    // The till retries: the same records (what she pays for), nothing changes.
    assert_eq!(s.checkout("ann", Some("pay-1")).unwrap(), lots);
    assert_eq!(s, after);
    // Without the key the retry answers nothing (her slot is gone): that is what the key is for.
    assert!(s.checkout("ann", None).unwrap().is_empty());
    // A key remembered for a shopper with no records stays empty though she picks again.
    assert!(s.checkout("bob", Some("pay-2")).unwrap().is_empty());
    decide(&mut s, "L3", -300, &["bob"]);
    assert!(s.checkout("bob", Some("pay-2")).unwrap().is_empty());
    assert_eq!(s.shopper("bob").unwrap().lots.len(), 1);
    let e = s.checkout("cy", Some("pay-1")).unwrap_err();
    assert_eq!((e.code(), e.param()), (ErrorCode::IdempotencyConflict, "idempotencyKey"));
    let restored = Shelf::restore(&s.snapshot(&[3; 32]).unwrap(), &[3; 32]).unwrap();
    assert_eq!(restored, s);
    assert!(s.is_consistent());
}
