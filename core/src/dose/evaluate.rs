//! The controller's evaluation: confirmed settings + decoded history → risk signals.
//!
//! [`evaluate`] is a pure function of the settings, the accepted frames (in stream order) and
//! the evaluation time `untilMs` (the controller's clock, an input: the core has none). The same
//! inputs give the same signals, byte for byte; evaluating a prefix of a history up to its last
//! frame gives the same signals as the whole history up to that time (tested), so the terminal
//! can replay the history it stored and get what the controller emitted.
//!
//! # Signals
//!
//! A signal is an **episode**: issued when its condition starts (`atMs`), **resolved** when the
//! condition clears (`resolved.atMs`, with the frame that cleared it and why) or still open.
//! `signalId` is `<kind>:<startSeq>`, the frame that started it: stable across replays and
//! unique (one episode of a kind per start frame). The escalation part consumes these fields.
//!
//! | kind | priority | direction | condition (settings field) | resolves when |
//! |---|---|---|---|---|
//! | `urgent-low` | high | low | reading < `urgentLowMgdl` | a reading at another level (the new level's episode starts at the same frame) |
//! | `low` | medium | low | `urgentLowMgdl` ≤ reading < `lowMgdl` | as above |
//! | `high` | low | high | `highMgdl` < reading ≤ `urgentHighMgdl` | as above |
//! | `urgent-high` | medium | high | reading > `urgentHighMgdl` | as above |
//! | `sustained-low` | high | low | every reading < `sustainedLowMgdl` for `sustainedLowMin` (issued at the first reading at least that long after the run's first; no gap longer than `staleWarnMin` inside the run) | a reading ≥ `sustainedLowMgdl`, or a gap |
//! | `falling-fast` | medium | low | slope between two consecutive readings at most [`RATE_GAP_MS_MAX`] apart ≤ −`fallRateTenthsPerMin` | a slope above it, or no slope (gap) |
//! | `rising-fast` | low | high | slope ≥ `riseRateTenthsPerMin` | a slope below it, or no slope |
//! | `stale-data` | low | none | no reading for more than `staleWarnMin` (issued at last + warn + 1 ms) | the next reading, or `urgent-stale-data` |
//! | `urgent-stale-data` | medium | none | no reading for more than `staleUrgentMin` | the next reading |
//! | `occlusion`, `no-delivery`, `pump-error` | high | high, high, none | the controller's device alarm raised (forwarded with what it is) | the device alarm cleared |
//! | `low-reservoir` | low | none | reservoir ≤ `reservoirWarnMu` | a status above it, or `urgent-low-reservoir` |
//! | `urgent-low-reservoir` | medium | none | reservoir ≤ `reservoirUrgentMu` | a status above it |
//! | `low-battery` | low | none | battery ≤ `batteryWarnPct` | a status above it, or `urgent-low-battery` |
//! | `urgent-low-battery` | medium | none | battery ≤ `batteryUrgentPct` | a status above it |
//! | `max-bolus-exceeded` | high | low | one bolus > `maxBolusMu` | never by the controller (acknowledged by a person) |
//! | `max-daily-exceeded` | high | low | insulin delivered in the trailing 24 h (`(t − 24 h, t]`) > `maxDailyMu` | never; re-armed when a later delivery leaves the trailing sum ≤ the maximum |
//!
//! Priorities follow IEC 60601-1-8 by the consequence of not responding: a severe low (or an
//! overdose, or insulin not reaching the patient) can harm within minutes → high; a developing
//! low, a severe high, data urgently stale → medium; the rest → low.
//!
//! Comparisons are strict as Nightscout's `simplealarms` (`sgv < bgLow` is urgent, `sgv <
//! bgTargetBottom` a warning, `sgv > bgHigh` urgent, `sgv > bgTargetTop` a warning) and
//! `timeago` (`now − last > mins`): with Nightscout's defaults the levels are Nightscout's (the
//! peer vectors check it). The slope is `(g₂ − g₁)·600000 / (t₂ − t₁)` in 0.1 mg/dL per minute,
//! truncated toward zero (exact integers). Stale data needs a first reading (before it there is
//! nothing to be stale). Usage frames never signal on their own. Signals are listed by `atMs`,
//! then in the order they were raised.
//!
//! Errors (`INVALID_ARGUMENT`, nothing evaluated): `history[i]` not after `history[i−1]` in
//! sequence or earlier in time; `untilMs` before the last frame or above `TIME_MS_MAX`;
//! `LIMIT_EXCEEDED`: more than [`HISTORY_FRAMES_MAX`] frames or [`SIGNALS_MAX`] signals.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::frame::{Body, DeliveryKind, DeviceAlarm, Frame};
use super::settings::AlarmSettings;
use super::TIME_MS_MAX;
use crate::error::{Error, ErrorCode, Result};

/// Frames evaluated at once.
pub const HISTORY_FRAMES_MAX: usize = 200_000;
/// Signals one evaluation may produce.
pub const SIGNALS_MAX: usize = 100_000;
/// Evidence items of one signal.
pub const EVIDENCE_MAX: usize = 8;
/// The longest time between two readings whose slope counts as a rate of change, ms (15 min).
pub const RATE_GAP_MS_MAX: u64 = 900_000;
/// The maximum daily insulin's trailing window, ms (24 h).
pub const DAILY_WINDOW_MS: u64 = 86_400_000;
const MINUTE_MS: u64 = 60_000;

/// What a signal is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)] // The table in the module documentation describes each kind.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose.ts", rename = "DoseSignalKind"))]
pub enum SignalKind {
    UrgentLow,
    Low,
    High,
    UrgentHigh,
    SustainedLow,
    FallingFast,
    RisingFast,
    StaleData,
    UrgentStaleData,
    Occlusion,
    NoDelivery,
    PumpError,
    LowReservoir,
    UrgentLowReservoir,
    LowBattery,
    UrgentLowBattery,
    MaxBolusExceeded,
    MaxDailyExceeded,
}

/// IEC 60601-1-8 alarm priority.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose.ts", rename = "AlarmPriority"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Priority {
    /// Immediate response needed.
    High,
    /// Prompt response needed.
    Medium,
    /// Awareness.
    Low,
}

/// Which way the glucose risk goes (snoozes are scoped by it: a high snooze never mutes a low).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose.ts", rename = "RiskDirection"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// Toward hypoglycaemia.
    Low,
    /// Toward hyperglycaemia.
    High,
    /// Neither (data, device).
    None,
}

impl SignalKind {
    /// The kebab-case name (as in `signalId`).
    pub const fn as_str(self) -> &'static str {
        use SignalKind as K;
        match self {
            K::UrgentLow => "urgent-low",
            K::Low => "low",
            K::High => "high",
            K::UrgentHigh => "urgent-high",
            K::SustainedLow => "sustained-low",
            K::FallingFast => "falling-fast",
            K::RisingFast => "rising-fast",
            K::StaleData => "stale-data",
            K::UrgentStaleData => "urgent-stale-data",
            K::Occlusion => "occlusion",
            K::NoDelivery => "no-delivery",
            K::PumpError => "pump-error",
            K::LowReservoir => "low-reservoir",
            K::UrgentLowReservoir => "urgent-low-reservoir",
            K::LowBattery => "low-battery",
            K::UrgentLowBattery => "urgent-low-battery",
            K::MaxBolusExceeded => "max-bolus-exceeded",
            K::MaxDailyExceeded => "max-daily-exceeded",
        }
    }

    /// Priority and direction (the table above).
    pub const fn class(self) -> (Priority, Direction) {
        use Direction as D;
        use Priority as P;
        use SignalKind as K;
        match self {
            K::UrgentLow | K::SustainedLow | K::MaxBolusExceeded | K::MaxDailyExceeded => (P::High, D::Low),
            K::Low | K::FallingFast => (P::Medium, D::Low),
            K::High | K::RisingFast => (P::Low, D::High),
            K::UrgentHigh => (P::Medium, D::High),
            K::StaleData | K::LowReservoir | K::LowBattery => (P::Low, D::None),
            K::UrgentStaleData | K::UrgentLowReservoir | K::UrgentLowBattery => (P::Medium, D::None),
            K::Occlusion | K::NoDelivery => (P::High, D::High),
            K::PumpError => (P::High, D::None),
        }
    }
}

/// One value that triggered (or cleared) a signal.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose.ts", rename = "SignalEvidence"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    /// The frame's sequence number.
    pub seq: u32,
    /// The frame's timestamp, ms.
    pub at_ms: u64,
    /// What the value is (`glucoseMgdl`, `slopeTenthsPerMin`, `gapMs`, `reservoirMu`,
    /// `batteryPct`, `batteryMv`, `bolusMu`, `trailingDailyMu`, `deviceAlarm`).
    pub measure: String,
    /// The value in the measure's unit (`deviceAlarm`: 1 raised).
    pub value: i64,
}

/// How an episode ended.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose.ts", rename = "SignalResolution"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resolution {
    /// When the condition cleared, ms.
    pub at_ms: u64,
    /// The frame that cleared it (none: superseded at a computed time, e.g. by urgent stale data).
    pub seq: Option<u32>,
    /// Why, in words.
    pub reason: String,
}

/// A risk signal.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose.ts", rename = "RiskSignal"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Signal {
    /// `<kind>:<startSeq>`.
    pub signal_id: String,
    /// What it is about.
    pub kind: SignalKind,
    /// IEC 60601-1-8 priority.
    pub priority: Priority,
    /// Low, high or none.
    pub direction: Direction,
    /// When the condition started, ms.
    pub at_ms: u64,
    /// The frame that started it (stale data: the last reading before the gap).
    pub start_seq: u32,
    /// Why, in words.
    pub reason: String,
    /// The values that triggered it (at most [`EVIDENCE_MAX`]).
    pub evidence: Vec<Evidence>,
    /// When and why it cleared; `None` while the condition lasts (or for a latched kind).
    pub resolved: Option<Resolution>,
}

fn ev(frame_seq: u32, at_ms: u64, measure: &str, value: i64) -> Evidence {
    Evidence { seq: frame_seq, at_ms, measure: measure.to_owned(), value }
}

struct Out {
    signals: Vec<Signal>,
}

impl Out {
    fn issue(&mut self, kind: SignalKind, at_ms: u64, start_seq: u32, reason: String, mut evidence: Vec<Evidence>) -> Result<usize> {
        if self.signals.len() >= SIGNALS_MAX {
            return Err(Error::new(ErrorCode::LimitExceeded, "history", format!("the evaluation would produce more than {SIGNALS_MAX} signals")));
        }
        evidence.truncate(EVIDENCE_MAX);
        let (priority, direction) = kind.class();
        self.signals.push(Signal {
            signal_id: format!("{}:{start_seq}", kind.as_str()),
            kind,
            priority,
            direction,
            at_ms,
            start_seq,
            reason,
            evidence,
            resolved: None,
        });
        Ok(self.signals.len() - 1)
    }

    fn resolve(&mut self, idx: Option<usize>, at_ms: u64, seq: Option<u32>, reason: &str) {
        if let Some(s) = idx.and_then(|i| self.signals.get_mut(i)) {
            if s.resolved.is_none() {
                s.resolved = Some(Resolution { at_ms, seq, reason: reason.to_owned() });
            }
        }
    }
}

#[derive(Clone, Copy)]
struct Reading {
    seq: u32,
    at_ms: u64,
    mgdl: u16,
}

/// The glucose level of one reading (strict comparisons, as Nightscout).
pub fn glucose_level(settings: &AlarmSettings, mgdl: u32) -> Option<SignalKind> {
    if mgdl < settings.urgent_low_mgdl {
        Some(SignalKind::UrgentLow)
    } else if mgdl < settings.low_mgdl {
        Some(SignalKind::Low)
    } else if mgdl > settings.urgent_high_mgdl {
        Some(SignalKind::UrgentHigh)
    } else if mgdl > settings.high_mgdl {
        Some(SignalKind::High)
    } else {
        None
    }
}

/// Issues the stale-data episodes of a gap after `last` lasting until `until_ms` (exclusive of
/// the reading that ends it, which resolves them when `end` names it).
fn stale_gap(out: &mut Out, s: &AlarmSettings, last: Reading, until_ms: u64, end: Option<u32>) -> Result<()> {
    let warn_ms = u64::from(s.stale_warn_min) * MINUTE_MS;
    let urgent_ms = u64::from(s.stale_urgent_min) * MINUTE_MS;
    let gap = until_ms - last.at_ms;
    let evidence = |gap_ms: u64| vec![ev(last.seq, last.at_ms, "glucoseMgdl", i64::from(last.mgdl)), ev(last.seq, last.at_ms, "gapMs", i64::try_from(gap_ms).unwrap_or(i64::MAX))];
    let mut warn_idx = None;
    if gap > warn_ms {
        let at = last.at_ms + warn_ms + 1;
        warn_idx = Some(out.issue(SignalKind::StaleData, at, last.seq, format!("no glucose reading for more than {} min", s.stale_warn_min), evidence(gap))?);
    }
    let mut urgent_idx = None;
    if gap > urgent_ms {
        let at = last.at_ms + urgent_ms + 1;
        out.resolve(warn_idx, at, None, "superseded by urgent-stale-data");
        urgent_idx = Some(out.issue(SignalKind::UrgentStaleData, at, last.seq, format!("no glucose reading for more than {} min", s.stale_urgent_min), evidence(gap))?);
    }
    if let Some(seq) = end {
        out.resolve(warn_idx, until_ms, Some(seq), "a glucose reading arrived");
        out.resolve(urgent_idx, until_ms, Some(seq), "a glucose reading arrived");
    }
    Ok(())
}

fn check_history(history: &[Frame], until_ms: u64) -> Result<()> {
    if history.len() > HISTORY_FRAMES_MAX {
        return Err(Error::new(ErrorCode::LimitExceeded, "history", format!("at most {HISTORY_FRAMES_MAX} frames")));
    }
    if until_ms > TIME_MS_MAX {
        return Err(Error::new(ErrorCode::InvalidArgument, "untilMs", "must be at most 2^53 - 1"));
    }
    for (i, pair) in history.windows(2).enumerate() {
        if let [a, b] = pair {
            if b.seq <= a.seq || b.at_ms < a.at_ms {
                return Err(Error::at_path(ErrorCode::InvalidArgument, format!("history[{}]", i + 1), "must follow the frame before it in sequence and not be earlier in time"));
            }
        }
    }
    for (i, f) in history.iter().enumerate() {
        if f.at_ms > TIME_MS_MAX {
            return Err(Error::at_path(ErrorCode::InvalidArgument, format!("history[{i}].atMs"), "must be at most 2^53 - 1"));
        }
    }
    if let Some(last) = history.last() {
        if until_ms < last.at_ms {
            return Err(Error::new(ErrorCode::InvalidArgument, "untilMs", "must not be before the last frame"));
        }
    }
    Ok(())
}

/// Evaluates `history` against `settings` up to `until_ms` (see the module documentation).
/// `settings` are trusted to be valid (the controller confirmed them).
pub fn evaluate(settings: &AlarmSettings, history: &[Frame], until_ms: u64) -> Result<Vec<Signal>> {
    check_history(history, until_ms)?;
    let s = settings;
    let mut out = Out { signals: Vec::new() };
    let mut last: Option<Reading> = None;
    let mut level: Option<(SignalKind, usize)> = None;
    let mut run: Option<(Reading, Option<usize>)> = None; // sustained-low run: first reading, signal
    let mut falling: Option<usize> = None;
    let mut rising: Option<usize> = None;
    let mut reservoir: Option<(SignalKind, usize)> = None;
    let mut battery: Option<(SignalKind, usize)> = None;
    let mut device: [Option<usize>; 3] = [None; 3];
    let mut daily: VecDeque<(u64, u32)> = VecDeque::new();
    let mut daily_sum: u64 = 0;
    let mut daily_active = false;
    let warn_ms = u64::from(s.stale_warn_min) * MINUTE_MS;
    let sustained_ms = u64::from(s.sustained_low_min) * MINUTE_MS;

    for f in history {
        match f.body {
            Body::Glucose { mgdl } => {
                let cur = Reading { seq: f.seq, at_ms: f.at_ms, mgdl };
                let g = u32::from(mgdl);
                if let Some(prev) = last {
                    stale_gap(&mut out, s, prev, f.at_ms, Some(f.seq))?;
                }
                // Level.
                let new_level = glucose_level(s, g);
                if level.map(|(k, _)| k) != new_level {
                    if let Some((_, idx)) = level {
                        out.resolve(Some(idx), f.at_ms, Some(f.seq), &format!("glucose {g} mg/dL"));
                    }
                    level = match new_level {
                        Some(kind) => {
                            let (cmp, limit) = match kind {
                                SignalKind::UrgentLow => ("below urgent low", s.urgent_low_mgdl),
                                SignalKind::Low => ("below low", s.low_mgdl),
                                SignalKind::UrgentHigh => ("above urgent high", s.urgent_high_mgdl),
                                _ => ("above high", s.high_mgdl),
                            };
                            let idx = out.issue(kind, f.at_ms, f.seq, format!("glucose {g} mg/dL {cmp} {limit} mg/dL"), vec![ev(f.seq, f.at_ms, "glucoseMgdl", i64::from(g))])?;
                            Some((kind, idx))
                        }
                        None => None,
                    };
                }
                // Sustained low: a gap longer than the stale-data warning breaks the run.
                let gap_breaks = last.is_some_and(|p| f.at_ms - p.at_ms > warn_ms);
                if let Some((_, idx)) = run {
                    if g >= s.sustained_low_mgdl || gap_breaks {
                        let why = if gap_breaks { "a gap in the readings" } else { "glucose back at or above the sustained-low threshold" };
                        out.resolve(idx, f.at_ms, Some(f.seq), why);
                        run = None;
                    }
                }
                if g < s.sustained_low_mgdl {
                    let (first, idx) = run.unwrap_or((cur, None));
                    let idx = match idx {
                        None if f.at_ms - first.at_ms >= sustained_ms => Some(out.issue(
                            SignalKind::SustainedLow,
                            f.at_ms,
                            f.seq,
                            format!("glucose below {} mg/dL for {} min", s.sustained_low_mgdl, s.sustained_low_min),
                            vec![ev(first.seq, first.at_ms, "glucoseMgdl", i64::from(first.mgdl)), ev(f.seq, f.at_ms, "glucoseMgdl", i64::from(g))],
                        )?),
                        other => other,
                    };
                    run = Some((first, idx));
                }
                // Rate of change.
                let slope = last.and_then(|p| {
                    let dt = f.at_ms - p.at_ms;
                    (dt > 0 && dt <= RATE_GAP_MS_MAX).then(|| {
                        let dg = i64::from(mgdl) - i64::from(p.mgdl);
                        // |dg| ≤ 362, · 600,000 fits easily; dt ≤ 900,000 fits i64.
                        (p, dg * 600_000 / i64::try_from(dt).unwrap_or(i64::MAX))
                    })
                });
                let fall = i64::from(s.fall_rate_tenths_per_min);
                let rise = i64::from(s.rise_rate_tenths_per_min);
                let slope_ev = |p: Reading, v: i64| vec![ev(p.seq, p.at_ms, "glucoseMgdl", i64::from(p.mgdl)), ev(f.seq, f.at_ms, "glucoseMgdl", i64::from(g)), ev(f.seq, f.at_ms, "slopeTenthsPerMin", v)];
                match slope {
                    Some((p, v)) if v <= -fall => {
                        if falling.is_none() {
                            falling = Some(out.issue(SignalKind::FallingFast, f.at_ms, f.seq, format!("glucose falling {}.{} mg/dL/min", -v / 10, -v % 10), slope_ev(p, v))?);
                        }
                    }
                    _ => {
                        out.resolve(falling, f.at_ms, Some(f.seq), "glucose no longer falling fast");
                        falling = None;
                    }
                }
                match slope {
                    Some((p, v)) if v >= rise => {
                        if rising.is_none() {
                            rising = Some(out.issue(SignalKind::RisingFast, f.at_ms, f.seq, format!("glucose rising {}.{} mg/dL/min", v / 10, v % 10), slope_ev(p, v))?);
                        }
                    }
                    _ => {
                        out.resolve(rising, f.at_ms, Some(f.seq), "glucose no longer rising fast");
                        rising = None;
                    }
                }
                last = Some(cur);
            }
            Body::Delivery { mu, kind } => {
                if kind == DeliveryKind::Bolus && mu > s.max_bolus_mu {
                    out.issue(
                        SignalKind::MaxBolusExceeded,
                        f.at_ms,
                        f.seq,
                        format!("bolus of {} U above the maximum {} U", super::format_units(mu), super::format_units(s.max_bolus_mu)),
                        vec![ev(f.seq, f.at_ms, "bolusMu", i64::from(mu))],
                    )?;
                }
                // Trailing window (t − 24 h, t].
                while let Some(&(at, old)) = daily.front() {
                    if at + DAILY_WINDOW_MS > f.at_ms {
                        break;
                    }
                    daily_sum -= u64::from(old);
                    daily.pop_front();
                }
                daily.push_back((f.at_ms, mu));
                daily_sum += u64::from(mu);
                if daily_sum > u64::from(s.max_daily_mu) {
                    if !daily_active {
                        daily_active = true;
                        let sum_u32 = u32::try_from(daily_sum).unwrap_or(u32::MAX);
                        out.issue(
                            SignalKind::MaxDailyExceeded,
                            f.at_ms,
                            f.seq,
                            format!("{} U in 24 h, above the maximum {} U", super::format_units(sum_u32), super::format_units(s.max_daily_mu)),
                            vec![ev(f.seq, f.at_ms, "deliveryMu", i64::from(mu)), ev(f.seq, f.at_ms, "trailingDailyMu", i64::try_from(daily_sum).unwrap_or(i64::MAX))],
                        )?;
                    }
                } else {
                    daily_active = false;
                }
            }
            Body::DeviceStatus { reservoir_mu, battery_pct, battery_mv } => {
                let r_level = if reservoir_mu <= s.reservoir_urgent_mu {
                    Some(SignalKind::UrgentLowReservoir)
                } else if reservoir_mu <= s.reservoir_warn_mu {
                    Some(SignalKind::LowReservoir)
                } else {
                    None
                };
                let r_ev = || vec![ev(f.seq, f.at_ms, "reservoirMu", i64::from(reservoir_mu))];
                step_level(&mut out, &mut reservoir, r_level, f, &|| format!("reservoir {} U", super::format_units(reservoir_mu)), &r_ev)?;
                let pct = u32::from(battery_pct);
                let b_level = if pct <= s.battery_urgent_pct {
                    Some(SignalKind::UrgentLowBattery)
                } else if pct <= s.battery_warn_pct {
                    Some(SignalKind::LowBattery)
                } else {
                    None
                };
                let b_ev = || vec![ev(f.seq, f.at_ms, "batteryPct", i64::from(pct)), ev(f.seq, f.at_ms, "batteryMv", i64::from(battery_mv))];
                step_level(&mut out, &mut battery, b_level, f, &|| format!("battery {pct} % ({battery_mv} mV)"), &b_ev)?;
            }
            Body::DeviceAlarm { alarm, raised } => {
                let (slot, kind, what) = match alarm {
                    DeviceAlarm::Occlusion => (0, SignalKind::Occlusion, "occlusion: insulin is not reaching the patient"),
                    DeviceAlarm::NoDelivery => (1, SignalKind::NoDelivery, "no delivery: the pump delivered nothing"),
                    DeviceAlarm::PumpError => (2, SignalKind::PumpError, "pump error"),
                };
                if let Some(active) = device.get_mut(slot) {
                    if raised && active.is_none() {
                        *active = Some(out.issue(kind, f.at_ms, f.seq, format!("the controller reports {what}"), vec![ev(f.seq, f.at_ms, "deviceAlarm", 1)])?);
                    } else if !raised {
                        out.resolve(*active, f.at_ms, Some(f.seq), "the controller cleared the alarm");
                        *active = None;
                    }
                }
            }
            Body::Usage { .. } => {}
        }
    }
    if let Some(prev) = last {
        stale_gap(&mut out, s, prev, until_ms, None)?;
    }
    // Stable: signals raised at the same time keep the order they were raised in.
    out.signals.sort_by_key(|sig| sig.at_ms);
    Ok(out.signals)
}

/// The largest history in bytes [`decode_history`] reads: every frame at its largest, each behind
/// its length byte (bounds the scan before any frame is decoded).
pub const HISTORY_BYTES_MAX: usize = HISTORY_FRAMES_MAX * (1 + super::frame::FRAME_BYTES_MAX);

/// Decodes a history given as the frames' own bytes: concatenated, each behind one byte holding
/// its length (a frame is at most [`FRAME_BYTES_MAX`](super::frame::FRAME_BYTES_MAX) = 49 bytes,
/// so one byte suffices). This lets a caller that holds the wire bytes (the terminal stores them)
/// hand a whole history over in one piece instead of as one object per frame. Each frame is
/// decoded with [`decode`](super::frame::decode) (CRC, version, payload ranges); stream checks
/// (order) are [`evaluate`]'s. Errors, nothing decoded: `LIMIT_EXCEEDED` (`history`) above
/// [`HISTORY_BYTES_MAX`] bytes or [`HISTORY_FRAMES_MAX`] frames; `INVALID_ARGUMENT` naming the
/// frame (`history[3]`) when its length byte runs past the end or its bytes do not decode (the
/// message gives the frame's dose code, e.g. `BAD_CRC`).
pub fn decode_history(bytes: &[u8]) -> Result<Vec<Frame>> {
    if bytes.len() > HISTORY_BYTES_MAX {
        return Err(Error::new(ErrorCode::LimitExceeded, "history", format!("at most {HISTORY_BYTES_MAX} bytes")));
    }
    // Every frame takes at least its length byte and a header and CRC: reserve no more than that allows.
    let mut frames = Vec::with_capacity(bytes.len() / (1 + super::frame::HEADER_BYTES + super::frame::CRC_BYTES));
    let mut rest = bytes;
    while let Some((&len, tail)) = rest.split_first() {
        let i = frames.len();
        if i >= HISTORY_FRAMES_MAX {
            return Err(Error::new(ErrorCode::LimitExceeded, "history", format!("at most {HISTORY_FRAMES_MAX} frames")));
        }
        let len = usize::from(len);
        let Some((frame, after)) = tail.split_at_checked(len) else {
            return Err(Error::at_path(ErrorCode::InvalidArgument, format!("history[{i}]"), format!("its length byte says {len} bytes, {} are left", tail.len())));
        };
        let frame = super::frame::decode(frame)
            .map_err(|code| Error::at_path(ErrorCode::InvalidArgument, format!("history[{i}]"), format!("the frame does not decode: {}", code.as_str())))?;
        frames.push(frame);
        rest = after;
    }
    Ok(frames)
}

/// [`evaluate`] of a history given as bytes ([`decode_history`]): the same signals as evaluating
/// the decoded frames.
pub fn evaluate_bytes(settings: &AlarmSettings, history: &[u8], until_ms: u64) -> Result<Vec<Signal>> {
    evaluate(settings, &decode_history(history)?, until_ms)
}

/// One step of a two-level device condition (warn, urgent): a change of level resolves the
/// previous episode and issues the new one. `what` and `evidence` are made only on a change:
/// most device statuses change nothing, and formatting their text for every one of them was a
/// visible share of a 90-day evaluation's profile.
fn step_level(
    out: &mut Out,
    state: &mut Option<(SignalKind, usize)>,
    new: Option<SignalKind>,
    f: &Frame,
    what: &dyn Fn() -> String,
    evidence: &dyn Fn() -> Vec<Evidence>,
) -> Result<()> {
    if state.map(|(k, _)| k) == new {
        return Ok(());
    }
    let what = what();
    if let Some((_, idx)) = *state {
        let why = if new.is_some() { format!("superseded: {what}") } else { format!("{what}: back above the threshold") };
        out.resolve(Some(idx), f.at_ms, Some(f.seq), &why);
    }
    *state = match new {
        Some(kind) => Some((kind, out.issue(kind, f.at_ms, f.seq, format!("{what}, at or below the {} threshold", kind.as_str()), evidence())?)),
        None => None,
    };
    Ok(())
}

/// The glucose-level signal (`urgent-low`, `low`, `high`, `urgent-high`) open at `at_ms`
/// (issued at or before it and not resolved by then), if any: what a display shows.
pub fn level_at(signals: &[Signal], at_ms: u64) -> Option<SignalKind> {
    signals
        .iter()
        .filter(|s| matches!(s.kind, SignalKind::UrgentLow | SignalKind::Low | SignalKind::High | SignalKind::UrgentHigh))
        .filter(|s| s.at_ms <= at_ms && s.resolved.as_ref().map_or(true, |r| r.at_ms > at_ms))
        .map(|s| s.kind)
        .next_back()
}
