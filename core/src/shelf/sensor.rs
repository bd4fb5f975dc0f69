//! Weight-change events from raw load-cell samples (one [`LaneSensor`] per lane).
//!
//! The algorithm, exactly (integer milligrams throughout; the vectors' Python model follows it):
//!
//! | state | on each sample `x` (after appending it to the window of the last `N` samples) |
//! |---|---|
//! | `starting` | once the window is full and *stable* (below): the baseline (zero) is its mean; → `stable`. No event: taring is not a change |
//! | `stable` | CUSUM on `e = x − baseline`: `S⁺ = max(0, S⁺ + e − k)`, `S⁻ = max(0, S⁻ − e − k)` with `k = eventThresholdMg / 2` (half the smallest shift to find, the classic choice). If `S⁺ > cusumHMg` or `S⁻ > cusumHMg` → `moving` (a touch began at this sample). Otherwise, when the window is full and stable, the baseline follows the window mean by at most `driftMgPerSampleMax` per sample (zero and drift tracking; a change faster than that is left to the CUSUM) |
//! | `moving` | the segment's highest and lowest sample are kept (starting from the window's at the alarm, so the samples that built up the alarm count). Once at least `N` samples have arrived since the touch began and the window is stable (the shelf has stopped swinging): the new baseline is the window mean, `Δ = new − old`. If `abs(Δ) ≥ eventThresholdMg` or the touch was `mixed` (below) an event `{deltaMg: Δ, sigmaMg, startSample, settledSample, baselineMg, excursionMg, mixed}` is emitted, otherwise the touch is absorbed (counted in `absorbed`); the CUSUM restarts; → `stable` |
//!
//! - *stable window*: `max − min ≤ stableRangeMg` over the `N` samples;
//! - *window mean*: `round(sum / N)`, halves away from zero (exact integer arithmetic);
//! - `excursionMg` of an event: how far the segment went *outside* the band between the old and
//!   the new baseline, `max(0, highest − max(old, new), min(old, new) − lowest)`. One pick or one
//!   return moves the weight from one baseline to the other: the signal stays within the band
//!   but for the shelf's swing and the noise. A pick and a return inside one settling window
//!   (two hands at one lane) go beyond it — the 540 g soup lifted (−540 g) before the 300 g jam is
//!   put down (net −240 g) leave an excursion of 300 g below the band;
//! - `mixed`: `excursionMg > mixedExcursionMg` with `mixedExcursionMg = 2·stableRangeMg`
//!   ([`SensorConfig::mixed_excursion_mg`]; 120 g at σ 10 g): the segment was not a single step,
//!   and the net Δ must not be explained as one. The multiple is chosen from measurement
//!   (`core/tests/shelf_sensor_stats.rs`, docs/shelf.md "Measured"): a single step's swing
//!   (±4σ, damped) plus noise stays below it, a second touch of ≥ 150 g in the other direction
//!   goes above it. A mixed touch is an event even when its net Δ is below the threshold (or 0):
//!   a 540 g soup taken and a 538 g can of beans put in its place is a swap, not nothing. Why the band and not the CUSUM firing both ways or the sign of the
//!   swing: the swing of one touch crosses the new baseline in both directions by design, so a
//!   two-sided test on the raw signal flags every touch; the band test only asks whether the
//!   weight went somewhere neither baseline explains;
//! - `sigmaMg` of an event, the uncertainty of `Δ`, is `ceil(sqrt(2·σ²/N))` (`σ = noiseSigmaMg`):
//!   both baselines are means of `N` independent samples. Rounded up so a tolerance built on
//!   it is never narrower than the noise.
//!
//! Samples are integers in milligrams as the caller's scale calibration gives them (an HX711
//! count times its calibration factor, rounded by the caller), each within
//! ±[`SAMPLE_MG_ABS_MAX`]; their rate is the caller's (10 or 80 per second): the sensor counts
//! samples, and `startSample` / `settledSample` are indices in that count, so the caller maps
//! them to times. No floating point anywhere.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use minicbor::Decoder;

use crate::error::{Error, ErrorCode, Result};
use crate::limits::cbor::{self, Cbor, Enc};

/// The largest absolute sample value, milligrams (±200 kg: more than any shelf lane carries).
pub const SAMPLE_MG_ABS_MAX: i64 = 200_000_000;
/// Window length bounds, samples.
pub const WINDOW_SAMPLES_MIN: u32 = 2;
/// Window length bounds, samples (6.4 s at 10 samples/s; 0.8 s at 80).
pub const WINDOW_SAMPLES_MAX: u32 = 64;
/// The largest noise σ, milligrams (1 kg).
pub const NOISE_SIGMA_MG_MAX: i64 = 1_000_000;
/// The largest of the other sensor thresholds (event threshold, CUSUM h, stable range, drift
/// per sample), milligrams (100 kg).
pub const THRESHOLD_MG_MAX: i64 = 100_000_000;
/// The most samples one [`LaneSensor::push`] call takes (a minute at 80 samples/s): the SDK
/// splits longer runs, so one call's work and answer stay bounded.
pub const SAMPLES_PER_CALL_MAX: usize = 4_800;

/// How a lane's load cell behaves and what counts as a change.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "shelf.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SensorConfig {
    /// σ of one sample's Gaussian noise, mg, 1..=[`NOISE_SIGMA_MG_MAX`].
    pub noise_sigma_mg: i64,
    /// The smallest |Δ| reported as an event, mg, 1..=[`THRESHOLD_MG_MAX`].
    pub event_threshold_mg: i64,
    /// `N`, the window length, [`WINDOW_SAMPLES_MIN`]..=[`WINDOW_SAMPLES_MAX`] samples.
    pub window_samples: u32,
    /// The CUSUM decision interval `h`, mg, 1..=[`THRESHOLD_MG_MAX`].
    pub cusum_h_mg: i64,
    /// The largest max − min of a window that counts as settled, mg, 1..=[`THRESHOLD_MG_MAX`].
    pub stable_range_mg: i64,
    /// How fast the baseline may follow drift, mg per sample, 0..=[`THRESHOLD_MG_MAX`].
    pub drift_mg_per_sample_max: i64,
}

impl SensorConfig {
    /// The defaults for a noise σ: event threshold 1 σ (the AiFi competition's 10 g at σ 10 g),
    /// window 10 samples, `h` = 10 σ, stable range 6 σ, drift up to σ/20 per sample.
    pub fn for_noise(noise_sigma_mg: i64) -> Result<SensorConfig> {
        check_range(noise_sigma_mg, 1, NOISE_SIGMA_MG_MAX, "noiseSigmaMg")?;
        let config = SensorConfig {
            noise_sigma_mg,
            event_threshold_mg: noise_sigma_mg,
            window_samples: 10,
            cusum_h_mg: noise_sigma_mg * 10,
            stable_range_mg: noise_sigma_mg * 6,
            drift_mg_per_sample_max: noise_sigma_mg / 20,
        };
        config.check()?;
        Ok(config)
    }

    /// Checks every field's range (`INVALID_ARGUMENT` naming it).
    pub fn check(&self) -> Result<()> {
        check_range(self.noise_sigma_mg, 1, NOISE_SIGMA_MG_MAX, "noiseSigmaMg")?;
        check_range(self.event_threshold_mg, 1, THRESHOLD_MG_MAX, "eventThresholdMg")?;
        check_range(
            i64::from(self.window_samples),
            i64::from(WINDOW_SAMPLES_MIN),
            i64::from(WINDOW_SAMPLES_MAX),
            "windowSamples",
        )?;
        check_range(self.cusum_h_mg, 1, THRESHOLD_MG_MAX, "cusumHMg")?;
        check_range(self.stable_range_mg, 1, THRESHOLD_MG_MAX, "stableRangeMg")?;
        check_range(self.drift_mg_per_sample_max, 0, THRESHOLD_MG_MAX, "driftMgPerSampleMax")
    }

    /// The excursion beyond which a touch was not a single step (`mixed`): `2·stableRangeMg`, mg.
    pub fn mixed_excursion_mg(&self) -> i64 {
        self.stable_range_mg.saturating_mul(2)
    }

    /// The uncertainty of an event's Δ: `ceil(sqrt(2·σ²/N))`, mg.
    pub fn delta_sigma_mg(&self) -> i64 {
        let sigma = i128::from(self.noise_sigma_mg);
        let n = i128::from(self.window_samples.max(1));
        // ceil(2σ²/N) first, then ceil(sqrt): both round up, so the result is ≥ the exact value.
        let variance = (2 * sigma * sigma + n - 1) / n;
        i64::try_from(ceil_sqrt(variance.unsigned_abs())).unwrap_or(i64::MAX)
    }
}

pub(crate) fn check_range(value: i64, min: i64, max: i64, param: &'static str) -> Result<()> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(Error::new(ErrorCode::InvalidArgument, param, format!("must be {min}..={max}, got {value}")))
    }
}

/// `floor(sqrt(v))`, exact (Newton's method on integers).
pub fn floor_sqrt(v: u128) -> u128 {
    if v < 2 {
        return v;
    }
    // Start above the root (2^ceil(bits/2)); the iteration then decreases monotonically to it,
    // at most ~70 steps for a u128.
    let bits = 128 - v.leading_zeros();
    let mut x: u128 = 1u128 << bits.div_ceil(2);
    loop {
        let y = (x + v / x) / 2;
        if y >= x {
            return x;
        }
        x = y;
    }
}

/// `ceil(sqrt(v))`, exact.
pub fn ceil_sqrt(v: u128) -> u128 {
    let r = floor_sqrt(v);
    if r * r == v {
        r
    } else {
        r + 1
    }
}

/// `round(sum / n)` with halves away from zero, `n > 0`.
fn round_div(sum: i128, n: i128) -> i128 {
    if sum >= 0 {
        (2 * sum + n) / (2 * n)
    } else {
        -((-2 * sum + n) / (2 * n))
    }
}

/// One detected weight change at a lane.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "shelf.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WeightEvent {
    /// New baseline − old baseline, mg: positive when something was put down.
    pub delta_mg: i64,
    /// The uncertainty (1 σ) of `deltaMg`, mg.
    pub sigma_mg: i64,
    /// The sample index at which the touch was detected (the CUSUM alarm).
    pub start_sample: u64,
    /// The sample index at which the shelf had settled again (the last sample of the window).
    pub settled_sample: u64,
    /// The baseline after the change, mg.
    pub baseline_mg: i64,
    /// How far the touch went outside the band between the two baselines, mg (≥ 0).
    pub excursion_mg: i64,
    /// `excursionMg > mixedExcursionMg`: not a single step (a pick and a return in one window);
    /// pass `excursionMg` on with the weight change and the shelf will not attribute it.
    pub mixed: bool,
}

/// Where the sensor is.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "shelf.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SensorPhase {
    /// No baseline yet (waiting for a first stable window).
    Starting,
    /// At rest on a baseline.
    Stable,
    /// Touched; waiting for the shelf to settle.
    Moving,
}

/// A lane's event detector. Its whole state persists with the shelf (`codec.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaneSensor {
    config: SensorConfig,
    phase: SensorPhase,
    /// The last `N` samples (oldest first), at most [`WINDOW_SAMPLES_MAX`].
    window: VecDeque<i64>,
    baseline_mg: i64,
    cusum_up_mg: i64,
    cusum_down_mg: i64,
    /// Samples seen so far (the index of the next one).
    samples: u64,
    /// Index of the sample that raised the alarm in `moving`.
    touch_sample: u64,
    /// Baseline before the touch in `moving`.
    touch_baseline_mg: i64,
    /// Touches that settled with |Δ| below the threshold.
    absorbed: u64,
    /// Highest and lowest sample since the touch began (in `moving`).
    touch_max_mg: i64,
    touch_min_mg: i64,
}

/// What a sensor's state looks like from outside.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "shelf.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SensorView {
    /// The phase.
    pub phase: SensorPhase,
    /// The current baseline, mg (0 while starting).
    pub baseline_mg: i64,
    /// Samples seen.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub samples: u64,
    /// Touches absorbed (settled below the event threshold).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub absorbed: u64,
}

impl LaneSensor {
    /// A new sensor (checks the configuration).
    pub fn new(config: SensorConfig) -> Result<LaneSensor> {
        config.check().map_err(|e| e.at("sensor"))?;
        Ok(LaneSensor {
            config,
            phase: SensorPhase::Starting,
            window: VecDeque::with_capacity(config.window_samples as usize),
            baseline_mg: 0,
            cusum_up_mg: 0,
            cusum_down_mg: 0,
            samples: 0,
            touch_sample: 0,
            touch_baseline_mg: 0,
            absorbed: 0,
            touch_max_mg: 0,
            touch_min_mg: 0,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &SensorConfig {
        &self.config
    }

    /// The state seen from outside.
    pub fn view(&self) -> SensorView {
        SensorView { phase: self.phase, baseline_mg: self.baseline_mg, samples: self.samples, absorbed: self.absorbed }
    }

    /// Whether restored state is consistent (used after deserialising).
    pub fn is_consistent(&self) -> bool {
        self.config.check().is_ok()
            && self.window.len() <= self.config.window_samples as usize
            && self.window.iter().all(|x| x.abs() <= SAMPLE_MG_ABS_MAX)
            && self.baseline_mg.abs() <= SAMPLE_MG_ABS_MAX
            && self.touch_baseline_mg.abs() <= SAMPLE_MG_ABS_MAX
            && (0..=THRESHOLD_MG_MAX.saturating_mul(2)).contains(&self.cusum_up_mg)
            && (0..=THRESHOLD_MG_MAX.saturating_mul(2)).contains(&self.cusum_down_mg)
            && self.touch_sample <= self.samples
            && self.touch_min_mg <= self.touch_max_mg
            && self.touch_max_mg.abs() <= SAMPLE_MG_ABS_MAX
            && self.touch_min_mg.abs() <= SAMPLE_MG_ABS_MAX
    }

    /// Feeds samples (mg) in order; returns the events they complete. Checks every sample first:
    /// on an error nothing was fed.
    pub fn push(&mut self, samples_mg: &[i64]) -> Result<Vec<WeightEvent>> {
        if samples_mg.len() > SAMPLES_PER_CALL_MAX {
            return Err(Error::new(
                ErrorCode::LimitExceeded,
                "samples",
                format!("at most {SAMPLES_PER_CALL_MAX} samples per call, got {}", samples_mg.len()),
            ));
        }
        for (i, x) in samples_mg.iter().enumerate() {
            if x.abs() > SAMPLE_MG_ABS_MAX {
                return Err(Error::at_path(
                    ErrorCode::InvalidArgument,
                    format!("samples[{i}]"),
                    format!("must be within ±{SAMPLE_MG_ABS_MAX} mg, got {x}"),
                ));
            }
        }
        let mut events = Vec::new();
        for &x in samples_mg {
            if let Some(event) = self.step(x) {
                events.push(event);
            }
        }
        Ok(events)
    }

    /// (max − min, round(mean)) of a full window; `None` while the window is not full.
    fn window_stats(&self) -> Option<(i64, i64)> {
        if self.window.len() < self.config.window_samples as usize {
            return None;
        }
        let (mut min, mut max, mut sum) = (i64::MAX, i64::MIN, 0i128);
        for &x in &self.window {
            min = min.min(x);
            max = max.max(x);
            sum += i128::from(x);
        }
        let mean = round_div(sum, self.window.len() as i128);
        // |mean| ≤ SAMPLE_MG_ABS_MAX, so the conversion cannot fail.
        Some((max - min, i64::try_from(mean).unwrap_or(0)))
    }

    fn step(&mut self, x: i64) -> Option<WeightEvent> {
        let index = self.samples;
        self.samples = self.samples.saturating_add(1);
        if self.window.len() >= self.config.window_samples as usize {
            self.window.pop_front();
        }
        self.window.push_back(x);
        let stats = self.window_stats();
        let settled_mean = stats.and_then(|(range, mean)| (range <= self.config.stable_range_mg).then_some(mean));
        match self.phase {
            SensorPhase::Starting => {
                if let Some(mean) = settled_mean {
                    self.baseline_mg = mean;
                    self.phase = SensorPhase::Stable;
                }
                None
            }
            SensorPhase::Stable => {
                let k = self.config.event_threshold_mg / 2;
                let e = x - self.baseline_mg;
                // Both sums stay ≤ h + 2·SAMPLE_MG_ABS_MAX before the alarm resets them.
                self.cusum_up_mg = (self.cusum_up_mg + e - k).max(0);
                self.cusum_down_mg = (self.cusum_down_mg - e - k).max(0);
                if self.cusum_up_mg > self.config.cusum_h_mg || self.cusum_down_mg > self.config.cusum_h_mg {
                    self.phase = SensorPhase::Moving;
                    self.touch_sample = index;
                    self.touch_baseline_mg = self.baseline_mg;
                    // The window holds the samples that built up the alarm: they are part of the touch.
                    self.touch_max_mg = self.window.iter().copied().max().unwrap_or(x);
                    self.touch_min_mg = self.window.iter().copied().min().unwrap_or(x);
                    self.cusum_up_mg = 0;
                    self.cusum_down_mg = 0;
                } else if let Some(mean) = settled_mean {
                    let step = (mean - self.baseline_mg)
                        .clamp(-self.config.drift_mg_per_sample_max, self.config.drift_mg_per_sample_max);
                    self.baseline_mg += step;
                }
                None
            }
            SensorPhase::Moving => {
                self.touch_max_mg = self.touch_max_mg.max(x);
                self.touch_min_mg = self.touch_min_mg.min(x);
                let since_touch = index - self.touch_sample + 1;
                let mean = settled_mean?;
                if since_touch < u64::from(self.config.window_samples) {
                    return None;
                }
                self.baseline_mg = mean;
                self.phase = SensorPhase::Stable;
                let delta_mg = mean - self.touch_baseline_mg;
                let (low, high) = (mean.min(self.touch_baseline_mg), mean.max(self.touch_baseline_mg));
                let excursion_mg = (self.touch_max_mg - high).max(low - self.touch_min_mg).max(0);
                let mixed = excursion_mg > self.config.mixed_excursion_mg();
                if delta_mg.abs() >= self.config.event_threshold_mg || mixed {
                    Some(WeightEvent {
                        excursion_mg,
                        mixed,
                        delta_mg,
                        sigma_mg: self.config.delta_sigma_mg(),
                        start_sample: self.touch_sample,
                        settled_sample: index,
                        baseline_mg: mean,
                    })
                } else {
                    self.absorbed = self.absorbed.saturating_add(1);
                    None
                }
            }
        }
    }
}

/// `[config (6 fields), phase, window, baseline, cusumUp, cusumDown, samples, touchSample,
/// touchBaseline, absorbed, touchMax, touchMin]` (the shelf snapshot's lane sensor; `codec.rs`).
impl Cbor for LaneSensor {
    fn encode(&self, e: &mut Enc) {
        let c = &self.config;
        e.array(17)
            .i64(c.noise_sigma_mg)
            .i64(c.event_threshold_mg)
            .u64(u64::from(c.window_samples))
            .i64(c.cusum_h_mg)
            .i64(c.stable_range_mg)
            .i64(c.drift_mg_per_sample_max)
            .u64(match self.phase {
                SensorPhase::Starting => 0,
                SensorPhase::Stable => 1,
                SensorPhase::Moving => 2,
            })
            .array(self.window.len() as u64);
        for &x in &self.window {
            e.i64(x);
        }
        e.i64(self.baseline_mg)
            .i64(self.cusum_up_mg)
            .i64(self.cusum_down_mg)
            .u64(self.samples)
            .u64(self.touch_sample)
            .i64(self.touch_baseline_mg)
            .u64(self.absorbed)
            .i64(self.touch_max_mg)
            .i64(self.touch_min_mg);
    }
    fn decode(d: &mut Decoder<'_>) -> Option<Self> {
        cbor::array(d, 17)?;
        let config = SensorConfig {
            noise_sigma_mg: cbor::i64(d)?,
            event_threshold_mg: cbor::i64(d)?,
            window_samples: cbor::u32(d)?,
            cusum_h_mg: cbor::i64(d)?,
            stable_range_mg: cbor::i64(d)?,
            drift_mg_per_sample_max: cbor::i64(d)?,
        };
        let phase = match cbor::u8(d)? {
            0 => SensorPhase::Starting,
            1 => SensorPhase::Stable,
            2 => SensorPhase::Moving,
            _ => return None,
        };
        let len = usize::try_from(cbor::array_len(d)?).ok()?;
        if len > WINDOW_SAMPLES_MAX as usize {
            return None;
        }
        let mut window = VecDeque::with_capacity(len);
        for _ in 0..len {
            window.push_back(cbor::i64(d)?);
        }
        Some(LaneSensor {
            config,
            phase,
            window,
            baseline_mg: cbor::i64(d)?,
            cusum_up_mg: cbor::i64(d)?,
            cusum_down_mg: cbor::i64(d)?,
            samples: cbor::u64(d)?,
            touch_sample: cbor::u64(d)?,
            touch_baseline_mg: cbor::i64(d)?,
            absorbed: cbor::u64(d)?,
            touch_max_mg: cbor::i64(d)?,
            touch_min_mg: cbor::i64(d)?,
        })
    }
}
