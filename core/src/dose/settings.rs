//! The risk-alarm settings: fields, bounds, ordering rules and validation.
//!
//! Sixteen integer fields ([`FIELDS`], in this order everywhere: the CBOR payloads carry them as
//! an array in this order). Each has an **absolute** range (the core refuses outside it, whatever
//! a program package says), a **permitted** range (the installed package's, inside the absolute
//! one; before any package, the absolute one), and a **recommended** range (outside it the value
//! is accepted with a warning). Defaults are Nightscout's for the glucose thresholds (55 / 80 /
//! 180 / 260 mg/dL, stale data after 15 and 30 minutes, reservoir 10 / 5 U, battery 30 / 20 %)
//! and are inside every recommended range.
//!
//! | field | unit | absolute | recommended | default |
//! |---|---|---|---|---:|
//! | `urgentLowMgdl` | mg/dL | 40..=100 | 50..=70 | 55 |
//! | `lowMgdl` | mg/dL | 50..=150 | 70..=100 | 80 |
//! | `highMgdl` | mg/dL | 100..=350 | 140..=250 | 180 |
//! | `urgentHighMgdl` | mg/dL | 120..=400 | 200..=300 | 260 |
//! | `sustainedLowMgdl` | mg/dL | 40..=100 | 50..=70 | 54 |
//! | `sustainedLowMin` | min | 5..=120 | 10..=30 | 15 |
//! | `fallRateTenthsPerMin` | 0.1 mg/dL/min | 10..=100 | 20..=50 | 30 |
//! | `riseRateTenthsPerMin` | 0.1 mg/dL/min | 10..=100 | 20..=50 | 30 |
//! | `staleWarnMin` | min | 5..=120 | 10..=30 | 15 |
//! | `staleUrgentMin` | min | 10..=240 | 20..=60 | 30 |
//! | `maxBolusMu` | 0.001 U | 50..=30,000 | 500..=15,000 | 10,000 |
//! | `maxDailyMu` | 0.001 U | 1,000..=300,000 | 10,000..=120,000 | 80,000 |
//! | `reservoirWarnMu` | 0.001 U | 1,000..=100,000 | 5,000..=30,000 | 10,000 |
//! | `reservoirUrgentMu` | 0.001 U | 0..=50,000 | 2,000..=10,000 | 5,000 |
//! | `batteryWarnPct` | % | 5..=80 | 20..=50 | 30 |
//! | `batteryUrgentPct` | % | 1..=50 | 10..=30 | 20 |
//!
//! **Ordering rules** (refused, named by the field later in the table): `urgentLowMgdl < lowMgdl <
//! highMgdl < urgentHighMgdl`; `sustainedLowMgdl ≤ lowMgdl`; `staleWarnMin < staleUrgentMin`;
//! `maxBolusMu ≤ maxDailyMu`; `reservoirUrgentMu < reservoirWarnMu`; `batteryUrgentPct <
//! batteryWarnPct`.
//!
//! # Check order of [`validate`]
//!
//! Every field in table order: `BELOW_ABSOLUTE` / `ABOVE_ABSOLUTE`, else `BELOW_PERMITTED` /
//! `ABOVE_PERMITTED`, else (a warning) `BELOW_RECOMMENDED` / `ABOVE_RECOMMENDED`; then every
//! ordering rule in the order above, `ORDER`. **All** findings are listed (the form shows each
//! next to its field), each naming its field, the bound it broke and why. A value is never
//! changed: a refused setting is refused, not repaired.

use serde::{Deserialize, Serialize};

/// Number of fields.
pub const FIELDS_COUNT: usize = 16;

/// One field's name, unit and ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// camelCase name (as in JSON and in findings).
    pub name: &'static str,
    /// Unit, for messages.
    pub unit: &'static str,
    /// Absolute range (refused outside).
    pub absolute: (u32, u32),
    /// Recommended range (warned outside).
    pub recommended: (u32, u32),
    /// Default.
    pub default: u32,
}

const fn f(name: &'static str, unit: &'static str, absolute: (u32, u32), recommended: (u32, u32), default: u32) -> FieldSpec {
    FieldSpec { name, unit, absolute, recommended, default }
}

/// The fields, in their one order.
pub const FIELDS: [FieldSpec; FIELDS_COUNT] = [
    f("urgentLowMgdl", "mg/dL", (40, 100), (50, 70), 55),
    f("lowMgdl", "mg/dL", (50, 150), (70, 100), 80),
    f("highMgdl", "mg/dL", (100, 350), (140, 250), 180),
    f("urgentHighMgdl", "mg/dL", (120, 400), (200, 300), 260),
    f("sustainedLowMgdl", "mg/dL", (40, 100), (50, 70), 54),
    f("sustainedLowMin", "min", (5, 120), (10, 30), 15),
    f("fallRateTenthsPerMin", "0.1 mg/dL/min", (10, 100), (20, 50), 30),
    f("riseRateTenthsPerMin", "0.1 mg/dL/min", (10, 100), (20, 50), 30),
    f("staleWarnMin", "min", (5, 120), (10, 30), 15),
    f("staleUrgentMin", "min", (10, 240), (20, 60), 30),
    f("maxBolusMu", "0.001 U", (50, 30_000), (500, 15_000), 10_000),
    f("maxDailyMu", "0.001 U", (1_000, 300_000), (10_000, 120_000), 80_000),
    f("reservoirWarnMu", "0.001 U", (1_000, 100_000), (5_000, 30_000), 10_000),
    f("reservoirUrgentMu", "0.001 U", (0, 50_000), (2_000, 10_000), 5_000),
    f("batteryWarnPct", "%", (5, 80), (20, 50), 30),
    f("batteryUrgentPct", "%", (1, 50), (10, 30), 20),
];

/// An ordering rule: `FIELDS[first]` must be below (`strict`) or at most `FIELDS[second]`.
/// For the reservoir and battery pairs the urgent level is the second field in the table but
/// the lower value: the rule is written (lower, higher, named) as indices.
#[derive(Debug, Clone, Copy)]
struct OrderRule {
    lower: usize,
    higher: usize,
    strict: bool,
    /// The field the finding names.
    named: usize,
}

const ORDER_RULES: [OrderRule; 8] = [
    OrderRule { lower: 0, higher: 1, strict: true, named: 1 },
    OrderRule { lower: 1, higher: 2, strict: true, named: 2 },
    OrderRule { lower: 2, higher: 3, strict: true, named: 3 },
    OrderRule { lower: 4, higher: 1, strict: false, named: 4 },
    OrderRule { lower: 8, higher: 9, strict: true, named: 9 },
    OrderRule { lower: 10, higher: 11, strict: false, named: 11 },
    OrderRule { lower: 13, higher: 12, strict: true, named: 13 },
    OrderRule { lower: 15, higher: 14, strict: true, named: 15 },
];

/// The alarm settings (JSON: camelCase, every field required, no other field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(missing_docs)] // The table above documents each field.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose.ts"))]
pub struct AlarmSettings {
    pub urgent_low_mgdl: u32,
    pub low_mgdl: u32,
    pub high_mgdl: u32,
    pub urgent_high_mgdl: u32,
    pub sustained_low_mgdl: u32,
    pub sustained_low_min: u32,
    pub fall_rate_tenths_per_min: u32,
    pub rise_rate_tenths_per_min: u32,
    pub stale_warn_min: u32,
    pub stale_urgent_min: u32,
    pub max_bolus_mu: u32,
    pub max_daily_mu: u32,
    pub reservoir_warn_mu: u32,
    pub reservoir_urgent_mu: u32,
    pub battery_warn_pct: u32,
    pub battery_urgent_pct: u32,
}

impl Default for AlarmSettings {
    fn default() -> Self {
        let mut d = [0u32; FIELDS_COUNT];
        for (slot, spec) in d.iter_mut().zip(FIELDS.iter()) {
            *slot = spec.default;
        }
        AlarmSettings::from_values(d)
    }
}

impl AlarmSettings {
    /// The values in [`FIELDS`] order.
    pub fn values(&self) -> [u32; FIELDS_COUNT] {
        [
            self.urgent_low_mgdl, self.low_mgdl, self.high_mgdl, self.urgent_high_mgdl,
            self.sustained_low_mgdl, self.sustained_low_min, self.fall_rate_tenths_per_min,
            self.rise_rate_tenths_per_min, self.stale_warn_min, self.stale_urgent_min,
            self.max_bolus_mu, self.max_daily_mu, self.reservoir_warn_mu, self.reservoir_urgent_mu,
            self.battery_warn_pct, self.battery_urgent_pct,
        ]
    }

    /// Settings from values in [`FIELDS`] order (no check: see [`validate`]).
    pub fn from_values(v: [u32; FIELDS_COUNT]) -> Self {
        let [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p] = v;
        AlarmSettings {
            urgent_low_mgdl: a, low_mgdl: b, high_mgdl: c, urgent_high_mgdl: d,
            sustained_low_mgdl: e, sustained_low_min: f, fall_rate_tenths_per_min: g,
            rise_rate_tenths_per_min: h, stale_warn_min: i, stale_urgent_min: j,
            max_bolus_mu: k, max_daily_mu: l, reservoir_warn_mu: m, reservoir_urgent_mu: n,
            battery_warn_pct: o, battery_urgent_pct: p,
        }
    }
}

/// The permitted range of every field, in [`FIELDS`] order.
pub type Bounds = [(u32, u32); FIELDS_COUNT];

/// The absolute bounds (the permitted ones before any package).
pub fn absolute_bounds() -> Bounds {
    let mut b = [(0, 0); FIELDS_COUNT];
    for (slot, spec) in b.iter_mut().zip(FIELDS.iter()) {
        *slot = spec.absolute;
    }
    b
}

/// What a finding says about a field.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose.ts", rename = "SettingsFindingCode"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FindingCode {
    /// Below the absolute minimum: refused.
    BelowAbsolute,
    /// Above the absolute maximum: refused.
    AboveAbsolute,
    /// Below the installed package's minimum: refused.
    BelowPermitted,
    /// Above the installed package's maximum: refused.
    AbovePermitted,
    /// Breaks an ordering rule: refused.
    Order,
    /// Below the recommended range: accepted with a warning.
    BelowRecommended,
    /// Above the recommended range: accepted with a warning.
    AboveRecommended,
}

impl FindingCode {
    /// Whether the finding refuses the settings (else it is a warning).
    pub fn refuses(self) -> bool {
        !matches!(self, FindingCode::BelowRecommended | FindingCode::AboveRecommended)
    }
}

/// One finding about one field.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose.ts", rename = "SettingsFinding"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// The field (camelCase name).
    pub field: String,
    /// What is wrong.
    pub code: FindingCode,
    /// The field's value.
    pub value: u32,
    /// The bound it broke (for `ORDER`: the other field's value).
    pub limit: u32,
    /// Why, in words.
    pub message: String,
}

/// The findings about a set of settings: refusals and warnings, in check order.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "dose.ts", rename = "SettingsValidation"))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Validation {
    /// Refusals (empty: the settings may be sent).
    pub refusals: Vec<Finding>,
    /// Warnings (outside the recommended range).
    pub warnings: Vec<Finding>,
}

impl Validation {
    /// No refusal.
    pub fn ok(&self) -> bool {
        self.refusals.is_empty()
    }
}

/// Validates `settings` against `permitted` (see the check order above). `permitted` is
/// trusted to lie inside the absolute bounds ([`check_bounds`] checks a package's).
pub fn validate(settings: &AlarmSettings, permitted: &Bounds) -> Validation {
    let values = settings.values();
    let mut out = Validation::default();
    for ((spec, &value), &(pmin, pmax)) in FIELDS.iter().zip(values.iter()).zip(permitted.iter()) {
        let finding = |code, limit, message: String| Finding { field: spec.name.to_owned(), code, value, limit, message };
        let (amin, amax) = spec.absolute;
        let (rmin, rmax) = spec.recommended;
        let unit = spec.unit;
        if value < amin {
            out.refusals.push(finding(FindingCode::BelowAbsolute, amin, format!("{value} {unit} is below the absolute minimum {amin} {unit}")));
        } else if value > amax {
            out.refusals.push(finding(FindingCode::AboveAbsolute, amax, format!("{value} {unit} is above the absolute maximum {amax} {unit}")));
        } else if value < pmin {
            out.refusals.push(finding(FindingCode::BelowPermitted, pmin, format!("{value} {unit} is below the program's minimum {pmin} {unit}")));
        } else if value > pmax {
            out.refusals.push(finding(FindingCode::AbovePermitted, pmax, format!("{value} {unit} is above the program's maximum {pmax} {unit}")));
        } else if value < rmin {
            out.warnings.push(finding(FindingCode::BelowRecommended, rmin, format!("{value} {unit} is below the recommended {rmin}..{rmax} {unit}")));
        } else if value > rmax {
            out.warnings.push(finding(FindingCode::AboveRecommended, rmax, format!("{value} {unit} is above the recommended {rmin}..{rmax} {unit}")));
        }
    }
    for rule in ORDER_RULES {
        let (Some(lo), Some(hi), Some(lo_spec), Some(hi_spec), Some(named)) = (
            values.get(rule.lower),
            values.get(rule.higher),
            FIELDS.get(rule.lower),
            FIELDS.get(rule.higher),
            FIELDS.get(rule.named),
        ) else {
            continue;
        };
        let broken = if rule.strict { lo >= hi } else { lo > hi };
        if broken {
            let (value, limit) = if rule.named == rule.lower { (*lo, *hi) } else { (*hi, *lo) };
            let relation = if rule.strict { "below" } else { "at most" };
            out.refusals.push(Finding {
                field: named.name.to_owned(),
                code: FindingCode::Order,
                value,
                limit,
                message: format!("{} ({lo}) must be {relation} {} ({hi})", lo_spec.name, hi_spec.name),
            });
        }
    }
    out
}

/// Checks a program package's permitted bounds: each inside the absolute range, min ≤ max.
/// `Err` names the first bad field.
pub fn check_bounds(bounds: &Bounds) -> core::result::Result<(), &'static str> {
    for (spec, &(min, max)) in FIELDS.iter().zip(bounds.iter()) {
        if min > max || min < spec.absolute.0 || max > spec.absolute.1 {
            return Err(spec.name);
        }
    }
    Ok(())
}
