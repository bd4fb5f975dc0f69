//! The shelf sensor measured on simulated load-cell data (docs/shelf.md "Measured"): the false-
//! event rate on noise alone over simulated hours, the smallest mass detected in ≥ 95 % of
//! placements, and the detection latency. Not a timing test: every number is a count of samples
//! or events on deterministic simulated streams, so the assertions are exact and repeatable.
//! `cargo test -p countersign-core --test shelf_sensor_stats -- --nocapture` prints the table.
//!
//! The simulation (as an HX711 behind a calibration gives it): Gaussian noise σ (sum of 12
//! uniforms − 6, xorshift64*), slow drift of 1 g per minute, and after every touch the shelf
//! swings for 5 samples (±4 σ, damped) before it rests.

use countersign_core::shelf::sensor::{LaneSensor, SensorConfig, SAMPLES_PER_CALL_MAX};

struct Noise(u64);

impl Noise {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn gauss(&mut self, sigma: f64) -> i64 {
        let s: f64 = (0..12).map(|_| self.uniform()).sum();
        ((s - 6.0) * sigma).round() as i64
    }
}

fn feed(sensor: &mut LaneSensor, samples: &[i64]) -> Vec<countersign_core::shelf::sensor::WeightEvent> {
    samples.chunks(SAMPLES_PER_CALL_MAX).flat_map(|c| sensor.push(c).unwrap()).collect()
}

const SIGMA_MG: i64 = 10_000;

/// An hour of noise and drift: (events, absorbed touches).
fn quiet_hour(rate_hz: i64, window: u32, seed: u64) -> (usize, u64) {
    let mut config = SensorConfig::for_noise(SIGMA_MG).unwrap();
    config.window_samples = window;
    let mut sensor = LaneSensor::new(config).unwrap();
    let mut noise = Noise(seed);
    let n = 3600 * rate_hz;
    // 1 g per minute = 1000 mg / (60 · rate) per sample.
    let samples: Vec<i64> = (0..n).map(|i| 3_000_000 + i * 1000 / (60 * rate_hz) + noise.gauss(SIGMA_MG as f64)).collect();
    let events = feed(&mut sensor, &samples);
    (events.len(), sensor.view().absorbed)
}

/// Places `mass_mg` after a settled start; returns the event (if any) and its latency in
/// samples from the first touched sample.
fn placement(mass_mg: i64, seed: u64) -> Option<(i64, u64)> {
    let mut sensor = LaneSensor::new(SensorConfig::for_noise(SIGMA_MG).unwrap()).unwrap();
    let mut noise = Noise(seed);
    let base = 1_000_000;
    let mut samples: Vec<i64> = (0..40).map(|_| base + noise.gauss(SIGMA_MG as f64)).collect();
    let touch = samples.len() as u64;
    for i in 0..5 {
        let swing = 4 * SIGMA_MG / (i + 1) * if i % 2 == 0 { 1 } else { -1 };
        samples.push(base + mass_mg + swing + noise.gauss(SIGMA_MG as f64));
    }
    samples.extend((0..60).map(|_| base + mass_mg + noise.gauss(SIGMA_MG as f64)));
    let events = feed(&mut sensor, &samples);
    events.iter().find(|e| e.delta_mg > 0).map(|e| (e.delta_mg, e.settled_sample - touch + 1))
}

#[test]
fn no_false_events_in_simulated_hours_of_noise_and_drift() {
    let mut total_events = 0;
    for (rate, window, seed) in [(10, 10, 1), (10, 10, 2), (10, 10, 3), (80, 40, 4)] {
        let (events, absorbed) = quiet_hour(rate, window, seed);
        println!("quiet hour at {rate} samples/s, window {window}, sigma 10 g, drift 1 g/min: {events} events, {absorbed} touches absorbed");
        total_events += events;
    }
    assert_eq!(total_events, 0, "false events on noise alone");
}

#[test]
fn smallest_detectable_mass_and_latency_at_sigma_10_g() {
    let trials = 200u64;
    let mut smallest = None;
    for grams in [5, 8, 10, 12, 15, 20, 30, 540] {
        let mut detected = 0;
        let mut latencies = Vec::new();
        let mut worst_error = 0i64;
        for seed in 0..trials {
            if let Some((delta, latency)) = placement(grams * 1000, 1000 + seed) {
                detected += 1;
                latencies.push(latency);
                worst_error = worst_error.max((delta - grams * 1000).abs());
            }
        }
        latencies.sort_unstable();
        let median = latencies.get(latencies.len() / 2).copied().unwrap_or(0);
        let max = latencies.last().copied().unwrap_or(0);
        println!(
            "{grams:>4} g: detected {detected}/{trials}, latency median {median} samples, max {max}; worst |Δ − m| {worst_error} mg"
        );
        if smallest.is_none() && detected * 100 >= trials * 95 {
            smallest = Some(grams);
        }
        if grams >= 20 {
            assert!(detected * 100 >= trials * 95, "{grams} g must be found in 95 % of placements");
            // At most two windows and the swing (2 · 10 + 5 samples): the alarm can come late
            // for a small mass, and a swing sample caught in the first window delays settling.
            assert!(max <= 25, "{grams} g latency {max} samples");
        }
    }
    println!("smallest mass detected in >= 95 % of placements at sigma 10 g: {smallest:?} g");
}

/// One touch after a settled start: the weight goes to `first_mg` (relative to the start) for
/// `hold` samples, then to `net_mg` (a second hand in the same settling window when they
/// differ), each change followed by the 5-sample damped swing; returns the events.
fn two_step_touch(first_mg: i64, net_mg: i64, hold: usize, seed: u64) -> Vec<countersign_core::shelf::sensor::WeightEvent> {
    let mut sensor = LaneSensor::new(SensorConfig::for_noise(SIGMA_MG).unwrap()).unwrap();
    let mut noise = Noise(seed);
    let base = 3_000_000;
    let mut samples: Vec<i64> = (0..40).map(|_| base + noise.gauss(SIGMA_MG as f64)).collect();
    let level = |to: i64, n: usize, samples: &mut Vec<i64>, noise: &mut Noise| {
        for i in 0..n as i64 {
            // The swing goes the way the weight moved first (the shelf overshoots), then back.
            let swing = if i < 5 { 4 * SIGMA_MG / (i + 1) * if i % 2 == 0 { 1 } else { -1 } } else { 0 };
            samples.push(base + to + swing + noise.gauss(SIGMA_MG as f64));
        }
    };
    level(first_mg, hold, &mut samples, &mut noise);
    level(net_mg, 60, &mut samples, &mut noise);
    feed(&mut sensor, &samples)
}

/// docs/shelf.md "Measured", mixed touches: how often one real pick or return is flagged `mixed`
/// (a false flag: the engine would refuse to attribute it), and how often a pick and a return
/// inside one settling window are caught (flagged, or seen as two separate events — either way
/// nothing is explained as one net step silently).
#[test]
fn mixed_touches_are_caught_and_single_steps_are_not_flagged() {
    let trials = 200u64;
    // Single steps: picks and returns of several masses, the shelf swinging either way.
    let mut singles = 0u64;
    let mut false_flags = 0u64;
    let mut worst_excursion = 0i64;
    for grams in [20i64, 100, 300, 540, 1030, 5000] {
        for sign in [-1i64, 1] {
            for seed in 0..trials {
                let m = sign * grams * 1000;
                for e in two_step_touch(m, m, 1, 7000 + seed) {
                    singles += 1;
                    worst_excursion = worst_excursion.max(e.excursion_mg);
                    false_flags += u64::from(e.mixed);
                }
            }
        }
    }
    println!("single picks/returns (20 g..5 kg, both ways): {false_flags} flagged mixed of {singles} events; largest excursion {worst_excursion} mg");
    assert!(singles >= 2300, "{singles}");
    assert_eq!(false_flags, 0, "a single step flagged mixed");
    // A pick and a return in one window: the first hand's change held for `hold` samples (0.3 s
    // to 0.8 s at 10 samples/s: inside the settling window of 10), then the second hand's.
    for (pick_g, return_g) in [(540i64, 300i64), (300, 540), (540, 538), (1030, 300), (300, 150), (300, 100), (100, 30)] {
        for hold in [3usize, 8] {
            let (mut flagged, mut split, mut missed) = (0u64, 0u64, 0u64);
            for seed in 0..trials {
                // Pick first (the weight drops), then the return lands: net = return − pick.
                let events = two_step_touch(-pick_g * 1000, (return_g - pick_g) * 1000, hold, 9000 + seed);
                if events.iter().any(|e| e.mixed) {
                    flagged += 1;
                } else if events.len() >= 2 {
                    split += 1;
                } else {
                    missed += 1;
                }
            }
            println!("pick {pick_g} g + return {return_g} g, second hand after {hold} samples: flagged {flagged}, seen as two events {split}, missed {missed} of {trials}");
            if pick_g.min(return_g) >= 150 {
                assert_eq!(missed, 0, "pick {pick_g} g + return {return_g} g after {hold} samples");
            }
        }
    }
}
