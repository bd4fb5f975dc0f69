//! Limits: counters over count and amount, in windows, with soft and hard thresholds.
//!
//! The shared primitive behind the card usage counter (System 1) and, later, the temporary card,
//! offline POS, e-cash, custody and dose limits. Nothing in it is card-specific.
//!
//! # Model
//!
//! A [`Limits`] value is a set of up to [`LIMITS_PER_SET_MAX`] limits plus the usage records
//! they count. Each limit ([`LimitSpec`]) has:
//!
//! - a **measure**: `count` (transactions) or `amount` (money in one currency, exact minor units);
//! - a **window** ([`Window`]):
//!   - `perTransaction` — a cap on each single amount (an EMV-style floor limit when used as a soft
//!     threshold); a per-transaction *count* is meaningless and refused;
//!   - `lifetime` — never resets (except by an explicit reset);
//!   - `trailing` — the last `seconds` (from [`TRAILING_WINDOW_S_MIN`] to
//!     [`TRAILING_WINDOW_S_MAX`]), exact: every counted transaction is kept as an entry until it
//!     leaves the window, at most [`TRAILING_ENTRIES_MAX`] per limit;
//!   - `day` / `week` (with its first weekday) / `month` (with an anchor day 1..=31) / `year` —
//!     calendar periods in an explicit IANA time zone, computed on the zone's wall clock, so a
//!     day in Europe/Paris on the spring-forward date lasts 23 hours. A monthly window anchored
//!     on day 29, 30 or 31 starts on the **last day** of a shorter month (anchor 31: 31 Jan,
//!     28/29 Feb, 31 Mar, 30 Apr, ...) and on the anchor day otherwise;
//! - a **hard** threshold (refuse) and an optional **soft** threshold (go online / ask the
//!   holder); a soft threshold not below the hard one has no effect;
//! - a **ceiling** (the highest hard value a holder may set, default: the hard value) and whether
//!   the holder may **reset** its usage.
//!
//! Thresholds are inclusive: with `hard = 10` (count), ten transactions fit and the eleventh is
//! refused; an amount fits while `used + amount ≤ hard`. The soft threshold is passed when
//! `used + this > soft`.
//!
//! # Time
//!
//! Time is an input (Unix seconds, [`TIME_S_MIN`]..=[`TIME_S_MAX`]). Windows are evaluated at
//! the *effective time* `max(time, latest time recorded)`: time never runs backwards inside a
//! limit set, so a terminal whose clock is behind cannot reopen a window that a later
//! transaction already moved past, and every entry is kept in time order. A trailing window
//! covers `(t − seconds, t]`: an entry leaves it exactly `seconds` after it was recorded, and
//! `resetsAt` of a trailing limit is when its oldest live entry leaves. A calendar limit's
//! `resetsAt` is the start of the next period. Lifetime and per-transaction limits have none.
//!
//! Time-zone data is supplied by the caller ([`TimeZones`]): the core carries no tz database.
//!
//! # Counting policy
//!
//! [`CountingPolicy`] is declarative data:
//! - `countOn: approval` — an approved usage counts in full when it is recorded; a capture only
//!   records the captured amount (for refunds);
//! - `countOn: capture` — a recorded usage is a *reservation* (it holds capacity exactly like a
//!   counted usage); its capture makes the captured amount count and releases the rest; a
//!   reversal before capture releases all of it whatever the reversal policy;
//! - `reversalRestores` / `refundRestores` `{count, amount}` — whether a reversal or a refund of
//!   counted usage gives the count and/or the amount back. A refund restores the count only when
//!   it refunds the whole (captured) amount. One refund and one capture per transaction.
//!
//! Usage is attributed to the window it was counted in: a reversal or refund gives capacity back
//! only to windows still holding it (not to a calendar period that has ended, nor to a limit
//! reset since).
//!
//! # Idempotency
//!
//! Usage is keyed by a transaction id. Recording an id again with the same amount is
//! `ALREADY_RECORDED` (counted once); with a different amount or currency it is
//! `TRANSACTION_ID_CONFLICT`. Reversing, capturing or refunding twice with the same arguments
//! gives the same code with `repeated: true`. The last [`TRANSACTIONS_RETAINED_MAX`] records are
//! retained; the oldest is forgotten first (its usage stays counted: forgetting is conservative).
//!
//! # Atomicity
//!
//! Recording is two steps, [`Limits::check`] (pure: computes the verdict and a plan) and
//! [`Limits::commit`] (applies the plan, cannot fail on a fresh plan), so a caller can decide
//! between them — and a preview is the same `check` without the `commit`. Every `&mut self`
//! method changes nothing unless it returns a success code.

mod calendar;
pub(crate) mod cbor;
mod codec;
mod codes;
pub(crate) mod keyed;
pub(crate) mod sort;
mod tz;

#[cfg(test)]
mod tests;

pub(crate) use codes::outcome_codes;
pub use codes::Code;
pub(crate) use tz::zone_name_ok;
pub use tz::{TimeZones, TIME_ZONES_MAX, TIME_ZONE_NAME_CHARS_MAX, TZIF_BYTES_MAX, UTC_NAME};

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, Result};
use crate::money::{Amount, Currency};
use calendar::Period;

/// The most limits in one set.
pub const LIMITS_PER_SET_MAX: usize = 16;
/// The longest limit id, in characters (`[a-z0-9._-]`).
pub const LIMIT_ID_CHARS_MAX: usize = 32;
/// The shortest trailing window, in seconds.
pub const TRAILING_WINDOW_S_MIN: u32 = 10;
/// The longest trailing window, in seconds (31 days).
pub const TRAILING_WINDOW_S_MAX: u32 = 31 * 86_400;
/// The most entries one trailing limit keeps. When that many are still inside the window, one
/// more usage cannot be counted exactly and is refused with `TRAILING_WINDOW_FULL` (an
/// issuer-forced usage is instead merged into the newest entry, which keeps it in the window at
/// least as long as it should be: conservative).
pub const TRAILING_ENTRIES_MAX: usize = 128;
/// The most usage records kept for idempotency, reversal, capture and refund.
pub const TRANSACTIONS_RETAINED_MAX: usize = 64;
/// The longest transaction id, in UTF-8 bytes (at least 1, no control characters).
pub const TRANSACTION_ID_BYTES_MAX: usize = 64;
/// The largest count value: 2^53 − 1, exact as a JavaScript number.
pub const COUNT_MAX: u64 = (1 << 53) - 1;
/// The earliest time accepted, Unix seconds (1970-01-01T00:00:00Z).
pub const TIME_S_MIN: i64 = 0;
/// The latest time accepted, Unix seconds (3000-01-01T00:00:00Z): far beyond any card, well
/// inside the calendar arithmetic's range.
pub const TIME_S_MAX: i64 = 32_503_680_000;

/// The largest amount in minor units (an `Amount`'s mantissa bound, 2^96 − 1).
const AMOUNT_UNITS_MAX: u128 = (1 << 96) - 1;
/// The longest decimal string accepted for a count (COUNT_MAX has 16 digits, plus a sign).
const COUNT_STRING_CHARS_MAX: usize = 17;

// ------------------------------------------------------------------------------------------
// Declarative configuration
// ------------------------------------------------------------------------------------------

/// What a limit counts.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "limits.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Measure {
    /// The number of transactions.
    Count,
    /// The sum of amounts in the limit's currency (exact minor units).
    Amount,
}

/// A day of the week (ISO 8601 numbering in CBOR: Monday = 1 ... Sunday = 7).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "limits.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    /// Days after Monday (Monday 0 ... Sunday 6).
    pub const fn monday_zero_offset(self) -> i8 {
        match self {
            Weekday::Monday => 0,
            Weekday::Tuesday => 1,
            Weekday::Wednesday => 2,
            Weekday::Thursday => 3,
            Weekday::Friday => 4,
            Weekday::Saturday => 5,
            Weekday::Sunday => 6,
        }
    }
}

/// The window a limit counts over. JSON: `{"kind": "trailing", "seconds": 86400}`,
/// `{"kind": "month", "anchorDay": 31, "timeZone": "Europe/Paris"}`, ...
// Deserialised through a flat struct: serde's internally tagged enums buffer their input, which
// costs about 10 KB of wasm per type that contains one; the flat form also names the field that
// is missing or unexpected.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "limits.ts", rename = "LimitWindow"))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    try_from = "WindowJson"
)]
pub enum Window {
    /// Each transaction on its own (amount measure only).
    PerTransaction,
    /// Since the limit was created or last reset.
    Lifetime,
    /// The last `seconds` seconds, `TRAILING_WINDOW_S_MIN..=TRAILING_WINDOW_S_MAX`.
    Trailing {
        /// Window length in seconds.
        seconds: u32,
    },
    /// The civil day in `time_zone`.
    Day {
        /// IANA zone name, e.g. `"Europe/Paris"` (or `"UTC"`).
        time_zone: String,
    },
    /// The week starting on `start` (at 00:00) in `time_zone`.
    Week {
        /// First day of the week.
        start: Weekday,
        /// IANA zone name.
        time_zone: String,
    },
    /// The month starting on day `anchor_day` (1..=31; the last day of shorter months).
    Month {
        /// Day of month the period starts on.
        anchor_day: u8,
        /// IANA zone name.
        time_zone: String,
    },
    /// The calendar year (from 1 January) in `time_zone`.
    Year {
        /// IANA zone name.
        time_zone: String,
    },
}

/// The JSON shape of a [`Window`] (all fields optional, checked by `TryFrom`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct WindowJson {
    kind: String,
    seconds: Option<u32>,
    start: Option<Weekday>,
    anchor_day: Option<u8>,
    time_zone: Option<String>,
}

impl TryFrom<WindowJson> for Window {
    type Error = String;

    fn try_from(json: WindowJson) -> core::result::Result<Self, String> {
        let WindowJson {
            kind,
            seconds,
            start,
            anchor_day,
            time_zone,
        } = json;
        let window = match (kind.as_str(), seconds, start, anchor_day, time_zone) {
            ("perTransaction", None, None, None, None) => Window::PerTransaction,
            ("lifetime", None, None, None, None) => Window::Lifetime,
            ("trailing", Some(seconds), None, None, None) => Window::Trailing { seconds },
            ("day", None, None, None, Some(time_zone)) => Window::Day { time_zone },
            ("week", None, Some(start), None, Some(time_zone)) => Window::Week { start, time_zone },
            ("month", None, None, Some(anchor_day), Some(time_zone)) => {
                Window::Month { anchor_day, time_zone }
            }
            ("year", None, None, None, Some(time_zone)) => Window::Year { time_zone },
            _ => {
                return Err(format!(
                    "window {kind:?}: perTransaction | lifetime | trailing {{seconds}} | day {{timeZone}} \
                     | week {{start, timeZone}} | month {{anchorDay, timeZone}} | year {{timeZone}}, \
                     with exactly these fields"
                ))
            }
        };
        Ok(window)
    }
}

impl Window {
    /// The calendar period and its zone, for calendar windows.
    fn calendar(&self) -> Option<(Period, &str)> {
        match self {
            Window::Day { time_zone } => Some((Period::Day, time_zone)),
            Window::Week { start, time_zone } => Some((Period::Week(*start), time_zone)),
            Window::Month {
                anchor_day,
                time_zone,
            } => Some((Period::Month(*anchor_day), time_zone)),
            Window::Year { time_zone } => Some((Period::Year, time_zone)),
            Window::PerTransaction | Window::Lifetime | Window::Trailing { .. } => None,
        }
    }

    /// The zone a calendar window uses.
    pub fn time_zone(&self) -> Option<&str> {
        self.calendar().map(|(_, zone)| zone)
    }
}

/// One limit, as configured (plain data: values are decimal strings, validated when a
/// [`Limits`] is built). JSON field names are camelCase.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "limits.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LimitSpec {
    /// Identifier, 1..=32 characters of `[a-z0-9._-]`, unique in the set.
    pub id: String,
    /// What is counted.
    pub measure: Measure,
    /// ISO 4217 code (or registered asset) of an amount limit; absent for a count limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The window.
    pub window: Window,
    /// Hard threshold: `"10"` (count) or `"250.00"` (amount, strict grammar, no rounding).
    pub hard: String,
    /// Soft threshold, same format; must not exceed `hard`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soft: Option<String>,
    /// Highest hard value the holder may set (default: `hard`); must not be below `hard`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceiling: Option<String>,
    /// Whether the holder may reset this limit's usage to zero (default false).
    // Optional in TypeScript: the core reads a missing field as its default.
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    #[serde(default)]
    pub resettable: bool,
}

/// When usage counts.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "limits.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CountOn {
    /// An approval counts when it is recorded.
    Approval,
    /// An approval reserves capacity; its capture counts.
    Capture,
}

/// What an event gives back.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "limits.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Restore {
    /// Give the transaction's count back to count limits.
    pub count: bool,
    /// Give the amount back to amount limits.
    pub amount: bool,
}

/// The declarative counting policy (see the module docs).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "limits.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CountingPolicy {
    /// Whether approvals or captures count.
    pub count_on: CountOn,
    /// What a reversal of counted usage restores (a reservation is always released in full).
    pub reversal_restores: Restore,
    /// What a refund restores (the count only for a full refund).
    pub refund_restores: Restore,
}

impl Default for CountingPolicy {
    /// Approvals count; a reversal restores count and amount (the payment did not happen); a
    /// refund restores nothing (the payment happened; conservative).
    fn default() -> Self {
        CountingPolicy {
            count_on: CountOn::Approval,
            reversal_restores: Restore {
                count: true,
                amount: true,
            },
            refund_restores: Restore {
                count: false,
                amount: false,
            },
        }
    }
}

// ------------------------------------------------------------------------------------------
// Inputs and outputs
// ------------------------------------------------------------------------------------------

/// One usage to check or record.
#[derive(Debug, Clone, Copy)]
pub struct Usage<'a> {
    /// Transaction id (1..=64 UTF-8 bytes, no control characters).
    pub id: &'a str,
    /// Amount, strictly positive. Count limits count 1 whatever the currency.
    pub amount: &'a Amount,
    /// When it happened, Unix seconds.
    pub time: i64,
}

/// How [`Limits::check`] treats thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckMode {
    /// Refuse usage past a hard limit or into a full trailing window.
    Enforce,
    /// Record whatever the thresholds say (an issuer's online approval overrides local limits);
    /// only a currency mismatch or an id already used refuses it. The code still reports what
    /// the thresholds say.
    Force,
}

/// The state of one limit at a time: `{limit, used, remaining, resetsAt}` plus its definition.
/// Quantities are decimal strings (`"3"`, `"42.50"`) so that amounts cross as exact strings.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "limits.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LimitStatus {
    /// Limit id.
    pub id: String,
    /// What it counts.
    pub measure: Measure,
    /// Currency code of an amount limit.
    pub currency: Option<String>,
    /// Its window.
    pub window: Window,
    /// The hard threshold.
    pub limit: String,
    /// The effective soft threshold (absent when none, or not below the hard one).
    pub soft: Option<String>,
    /// The ceiling the holder may raise the limit to.
    pub ceiling: String,
    /// Usage in the current window (0 for per-transaction limits).
    pub used: String,
    /// `max(limit − used, 0)`.
    pub remaining: String,
    /// When usage next drops, Unix seconds: the next period start (calendar), when the oldest
    /// entry leaves (trailing, none if empty); none for lifetime and per-transaction limits.
    pub resets_at: Option<i64>,
}

/// The result of reversing, capturing or refunding a usage record.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "limits.ts", rename = "LimitsOutcome"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// The code.
    pub code: Code,
    /// True when this repeats an operation already applied (nothing changed).
    pub repeated: bool,
}

impl Outcome {
    const fn new(code: Code) -> Self {
        Outcome {
            code,
            repeated: false,
        }
    }

    const fn repeat(code: Code) -> Self {
        Outcome {
            code,
            repeated: true,
        }
    }
}

// ------------------------------------------------------------------------------------------
// State
// ------------------------------------------------------------------------------------------

/// A `&'static Currency` stored by its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CurrencyCode(pub(crate) &'static Currency);

/// A validated limit definition; quantities in units (count, or minor units).
#[derive(Debug, Clone, PartialEq, Eq)]
struct LimitDef {
    id: String,
    measure: Measure,
    currency: Option<CurrencyCode>,
    window: Window,
    hard: u128,
    soft: Option<u128>,
    ceiling: u128,
    resettable: bool,
}

impl LimitDef {
    fn units_max(&self) -> u128 {
        units_max(self.measure)
    }

    /// The soft threshold when it can trigger before the hard one.
    fn effective_soft(&self) -> Option<u128> {
        self.soft.filter(|soft| *soft < self.hard)
    }

    fn format(&self, units: u128) -> String {
        format_units(self.currency.map(|c| c.0), units)
    }
}

/// One counted usage inside a trailing window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    time: i64,
    serial: u64,
    units: u128,
}

/// A limit's counters.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LimitState {
    /// Usage (lifetime: since creation or reset; calendar: in `period`). Unused for trailing
    /// (the entries are the usage) and per-transaction limits.
    used: u128,
    /// Records with a smaller serial are not counted here (counted before a reset, a
    /// reconfiguration or the current calendar period).
    first_serial: u64,
    /// The calendar period `[start, end)` `used` belongs to.
    period: Option<(i64, i64)>,
    /// Trailing entries, oldest first (times never decrease).
    entries: Vec<Entry>,
}

impl LimitState {
    fn fresh(first_serial: u64) -> Self {
        LimitState {
            used: 0,
            first_serial,
            period: None,
            entries: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Limit {
    def: LimitDef,
    state: LimitState,
}

/// One recorded usage, retained for idempotency, reversal, capture and refund.
#[derive(Debug, Clone, PartialEq, Eq)]
struct UsageRecord {
    id: String,
    serial: u64,
    currency: CurrencyCode,
    /// Authorised amount, minor units (> 0).
    amount: u128,
    time: i64,
    captured: Option<u128>,
    reversed: bool,
    refunded: Option<u128>,
    /// Whether it still counts 1 in count limits.
    count_contrib: bool,
    /// Minor units it still counts in amount limits of its currency.
    amount_contrib: u128,
}

/// A set of limits, their counters and the retained usage records. A system embeds it in its own
/// snapshot with the crate's deterministic-CBOR codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    limits: Vec<Limit>,
    policy: CountingPolicy,
    records: Vec<UsageRecord>,
    /// Serial of the next record (starts at 1).
    next_serial: u64,
    /// Latest effective time recorded.
    high_water: Option<i64>,
    /// Incremented by every change; binds a [`Check`] to the state it was computed on.
    revision: u64,
}

/// What one limit looks like at the checked time, before and (if recorded) after the usage.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Step {
    before: u128,
    /// This usage's units for the limit (0 for per-transaction limits and status queries).
    units: u128,
    /// Per-transaction limits: the amount checked against the cap.
    single: u128,
    rolled: Option<(i64, i64)>,
    prune: usize,
    full: bool,
    mismatch: bool,
}

/// A verdict on one usage and the plan to record it ([`Limits::check`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    code: Code,
    limit_id: Option<String>,
    recordable: bool,
    base_revision: u64,
    time: i64,
    steps: Vec<Step>,
    record: Option<UsageRecord>,
}

impl Check {
    /// The verdict: `WITHIN_LIMITS`, `SOFT_LIMIT_REACHED`, `HARD_LIMIT_REACHED`,
    /// `TRANSACTION_LIMIT_EXCEEDED`, `TRAILING_WINDOW_FULL`, `CURRENCY_MISMATCH`,
    /// `ALREADY_RECORDED` or `TRANSACTION_ID_CONFLICT`. With several limits the most severe wins
    /// (in that order, reversed), then the first in configuration order.
    pub fn code(&self) -> Code {
        self.code
    }

    /// The limit that decided the verdict, if one did.
    pub fn limit_id(&self) -> Option<&str> {
        self.limit_id.as_deref()
    }

    /// Whether [`Limits::commit`] would record it.
    pub fn is_recordable(&self) -> bool {
        self.recordable
    }

    /// The effective time the windows were evaluated at.
    pub fn time(&self) -> i64 {
        self.time
    }
}

// ------------------------------------------------------------------------------------------
// Quantities
// ------------------------------------------------------------------------------------------

fn units_max(measure: Measure) -> u128 {
    match measure {
        Measure::Count => u128::from(COUNT_MAX),
        Measure::Amount => AMOUNT_UNITS_MAX,
    }
}

/// `units` as a decimal string: a count, or minor units at the currency's scale (`"12.30"`).
fn format_units(currency: Option<&'static Currency>, units: u128) -> String {
    let scale = currency.map_or(0, Currency::minor_units);
    if scale == 0 {
        return units.to_string();
    }
    let divisor = 10u128.checked_pow(scale).unwrap_or(1);
    let integer = units.checked_div(divisor).unwrap_or(0);
    let fraction = units.checked_rem(divisor).unwrap_or(0);
    format!("{integer}.{fraction:0width$}", width = scale as usize)
}

/// Why a quantity string was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
struct QuantityError {
    code: ErrorCode,
    message: String,
}

/// Parses a count `-?(0|[1-9][0-9]*)` with magnitude ≤ COUNT_MAX: (negative, magnitude).
fn parse_count(s: &str) -> core::result::Result<(bool, u128), QuantityError> {
    let invalid = |why: &str| QuantityError {
        code: ErrorCode::InvalidArgument,
        message: format!(
            "count {:?} {why}",
            s.chars()
                .take(COUNT_STRING_CHARS_MAX + 1)
                .collect::<String>()
        ),
    };
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    if digits.is_empty()
        || digits.len() > COUNT_STRING_CHARS_MAX
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || (digits.len() > 1 && digits.starts_with('0'))
    {
        return Err(invalid("is not a whole number -?(0|[1-9][0-9]*)"));
    }
    let value: u64 = digits.parse().map_err(|_| invalid("is out of range"))?;
    if value > COUNT_MAX {
        return Err(invalid("is above 2^53 - 1"));
    }
    Ok((negative && value != 0, u128::from(value)))
}

/// Parses a signed quantity of `measure` (amounts: strict grammar in `currency`, no rounding).
fn parse_signed(
    measure: Measure,
    currency: Option<&'static Currency>,
    s: &str,
) -> core::result::Result<(bool, u128), QuantityError> {
    match (measure, currency) {
        (Measure::Count, _) => parse_count(s),
        (Measure::Amount, Some(currency)) => {
            let amount = Amount::parse(s, currency, None).map_err(|e| QuantityError {
                code: e.code(),
                message: e.message().to_owned(),
            })?;
            let minor = amount.to_minor_units();
            Ok((minor < 0, minor.unsigned_abs()))
        }
        (Measure::Amount, None) => Err(QuantityError {
            code: ErrorCode::InvalidArgument,
            message: "an amount limit needs a currency".to_owned(),
        }),
    }
}

/// Parses a non-negative quantity of `measure`.
fn parse_quantity(
    measure: Measure,
    currency: Option<&'static Currency>,
    s: &str,
) -> core::result::Result<u128, QuantityError> {
    match parse_signed(measure, currency, s)? {
        (false, units) => Ok(units),
        (true, _) => Err(QuantityError {
            code: ErrorCode::InvalidArgument,
            message: format!("{s:?} is negative"),
        }),
    }
}

// ------------------------------------------------------------------------------------------
// Validation
// ------------------------------------------------------------------------------------------

fn limit_id_ok(id: &str) -> bool {
    (1..=LIMIT_ID_CHARS_MAX).contains(&id.len())
        && id.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

/// Whether `id` is a valid transaction id: 1..=64 UTF-8 bytes, no control characters.
pub fn transaction_id_ok(id: &str) -> bool {
    (1..=TRANSACTION_ID_BYTES_MAX).contains(&id.len()) && !id.chars().any(char::is_control)
}

pub(crate) fn check_transaction_id(id: &str, param: &'static str) -> Result<()> {
    if transaction_id_ok(id) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::InvalidArgument,
            param,
            format!("must be 1..={TRANSACTION_ID_BYTES_MAX} UTF-8 bytes without control characters"),
        ))
    }
}

/// Checks that `time` is within [`TIME_S_MIN`]..=[`TIME_S_MAX`].
pub fn check_time(time: i64, param: &'static str) -> Result<()> {
    if (TIME_S_MIN..=TIME_S_MAX).contains(&time) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::InvalidArgument,
            param,
            format!("must be Unix seconds within {TIME_S_MIN}..={TIME_S_MAX}, got {time}"),
        ))
    }
}

fn check_positive(amount: &Amount, param: &'static str) -> Result<u128> {
    let minor = amount.to_minor_units();
    if minor <= 0 {
        return Err(Error::new(
            ErrorCode::InvalidArgument,
            param,
            format!("must be greater than zero, got {amount}"),
        ));
    }
    Ok(minor.unsigned_abs())
}

/// Validates one spec (index `index` in the set) into a definition.
fn validate_spec(index: usize, spec: &LimitSpec) -> Result<LimitDef> {
    const PARAM: &str = "limits";
    let name = if limit_id_ok(&spec.id) {
        spec.id.as_str()
    } else {
        "?"
    };
    let fail = |code: ErrorCode, why: &str| {
        Error::new(code, PARAM, format!("limits[{index}] ({name}): {why}"))
    };
    if !limit_id_ok(&spec.id) {
        return Err(fail(
            ErrorCode::InvalidArgument,
            &format!("id must be 1..={LIMIT_ID_CHARS_MAX} characters of [a-z0-9._-]"),
        ));
    }
    let currency = match (spec.measure, &spec.currency) {
        (Measure::Count, None) => None,
        (Measure::Count, Some(_)) => {
            return Err(fail(
                ErrorCode::InvalidArgument,
                "a count limit has no currency",
            ))
        }
        (Measure::Amount, None) => {
            return Err(fail(
                ErrorCode::InvalidArgument,
                "an amount limit needs a currency",
            ))
        }
        (Measure::Amount, Some(code)) => {
            Some(Currency::from_code(code).map_err(|e| fail(e.code(), e.message()))?)
        }
    };
    match &spec.window {
        Window::PerTransaction if spec.measure == Measure::Count => {
            return Err(fail(
                ErrorCode::InvalidArgument,
                "a per-transaction window caps an amount; a per-transaction count is always 1",
            ))
        }
        Window::Trailing { seconds }
            if !(TRAILING_WINDOW_S_MIN..=TRAILING_WINDOW_S_MAX).contains(seconds) =>
        {
            return Err(fail(
                ErrorCode::InvalidArgument,
                &format!(
                    "a trailing window lasts {TRAILING_WINDOW_S_MIN}..={TRAILING_WINDOW_S_MAX} seconds, got {seconds}"
                ),
            ))
        }
        Window::Month { anchor_day, .. } if !(1..=31).contains(anchor_day) => {
            return Err(fail(ErrorCode::InvalidArgument, "anchorDay must be 1..=31"))
        }
        _ => {}
    }
    if let Some(zone) = spec.window.time_zone() {
        if !zone_name_ok(zone) {
            return Err(fail(
                ErrorCode::TimeZoneInvalid,
                &format!(
                    "time zone {:?} is not an IANA name",
                    zone.chars()
                        .take(TIME_ZONE_NAME_CHARS_MAX)
                        .collect::<String>()
                ),
            ));
        }
    }
    let quantity = |field: &str, s: &str| {
        parse_quantity(spec.measure, currency, s)
            .map_err(|e| fail(e.code, &format!("{field}: {}", e.message)))
    };
    let hard = quantity("hard", &spec.hard)?;
    let soft = spec
        .soft
        .as_deref()
        .map(|s| quantity("soft", s))
        .transpose()?;
    let ceiling = match spec.ceiling.as_deref() {
        Some(s) => quantity("ceiling", s)?,
        None => hard,
    };
    if soft.is_some_and(|soft| soft > hard) {
        return Err(fail(
            ErrorCode::InvalidArgument,
            "soft must not exceed hard",
        ));
    }
    if hard > ceiling {
        return Err(fail(
            ErrorCode::InvalidArgument,
            "hard must not exceed ceiling",
        ));
    }
    Ok(LimitDef {
        id: spec.id.clone(),
        measure: spec.measure,
        currency: currency.map(CurrencyCode),
        window: spec.window.clone(),
        hard,
        soft,
        ceiling,
        resettable: spec.resettable,
    })
}

/// Validates a whole set of specs, without time-zone data (names are checked, not resolved).
///
/// Errors, about `"limits"`: `LIMIT_EXCEEDED` (more than [`LIMITS_PER_SET_MAX`]);
/// `INVALID_ARGUMENT` (bad id, duplicate id, currency on a count / none on an amount, a
/// per-transaction count, a trailing length out of bounds, an anchor day outside 1..=31, a
/// negative or malformed count, soft > hard, hard > ceiling); `TIME_ZONE_INVALID` (zone name);
/// `CURRENCY_UNKNOWN`, `AMOUNT_SYNTAX`, `AMOUNT_PRECISION`, `AMOUNT_OUT_OF_RANGE` (values).
pub fn validate_specs(specs: &[LimitSpec]) -> Result<()> {
    validate_all(specs).map(|_| ())
}

fn validate_all(specs: &[LimitSpec]) -> Result<Vec<LimitDef>> {
    if specs.len() > LIMITS_PER_SET_MAX {
        return Err(Error::new(
            ErrorCode::LimitExceeded,
            "limits",
            format!(
                "{} limits, more than the maximum of {LIMITS_PER_SET_MAX}",
                specs.len()
            ),
        ));
    }
    let mut defs: Vec<LimitDef> = Vec::with_capacity(specs.len());
    for (index, spec) in specs.iter().enumerate() {
        let def = validate_spec(index, spec)?;
        if defs.iter().any(|other| other.id == def.id) {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                "limits",
                format!("limits[{index}]: id {:?} is used twice", def.id),
            ));
        }
        defs.push(def);
    }
    Ok(defs)
}

/// The zones of `windows`, each once, in order.
pub(crate) fn zones_of<'a>(windows: impl Iterator<Item = &'a Window>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for zone in windows.filter_map(Window::time_zone) {
        if !names.iter().any(|known| known == zone) {
            names.push(zone.to_owned());
        }
    }
    names
}

fn require_zones(defs: &[LimitDef], zones: &TimeZones) -> Result<()> {
    for def in defs {
        if let Some(zone) = def.window.time_zone() {
            zones.require(zone)?;
        }
    }
    Ok(())
}

fn internal(message: &str) -> Error {
    Error::new(ErrorCode::Internal, "", message.to_owned())
}

/// Severity of a verdict: the highest wins across limits.
const fn severity(code: Code) -> u8 {
    match code {
        Code::CurrencyMismatch => 5,
        Code::TransactionLimitExceeded => 4,
        Code::HardLimitReached => 3,
        Code::TrailingWindowFull => 2,
        Code::SoftLimitReached => 1,
        _ => 0,
    }
}

// ------------------------------------------------------------------------------------------
// Operations
// ------------------------------------------------------------------------------------------

impl Limits {
    /// A set with no limits (everything fits) and the default policy.
    pub fn empty() -> Limits {
        Limits {
            limits: Vec::new(),
            policy: CountingPolicy::default(),
            records: Vec::new(),
            next_serial: 1,
            high_water: None,
            revision: 0,
        }
    }

    /// A new set from specs, with zero usage.
    ///
    /// Errors: as [`validate_specs`], and `TIME_ZONE_MISSING` (about `"timeZones"`) when a
    /// calendar window's zone is not in `zones`.
    pub fn new(specs: &[LimitSpec], policy: CountingPolicy, zones: &TimeZones) -> Result<Limits> {
        let defs = validate_all(specs)?;
        require_zones(&defs, zones)?;
        Ok(Limits {
            limits: defs
                .into_iter()
                .map(|def| Limit {
                    def,
                    state: LimitState::fresh(1),
                })
                .collect(),
            policy,
            ..Limits::empty()
        })
    }

    /// A new configuration of this set: a limit keeps its usage when a limit with the same id,
    /// measure, currency and window existed (its thresholds take the new values); other limits
    /// start at zero. Records, serials and time carry over; the policy applies from now on.
    ///
    /// Errors: as [`Limits::new`].
    pub fn reconfigure(
        &self,
        specs: &[LimitSpec],
        policy: CountingPolicy,
        zones: &TimeZones,
    ) -> Result<Limits> {
        let defs = validate_all(specs)?;
        require_zones(&defs, zones)?;
        let limits = defs
            .into_iter()
            .map(|def| {
                let kept = self
                    .limits
                    .iter()
                    .find(|old| {
                        old.def.id == def.id
                            && old.def.measure == def.measure
                            && old.def.currency == def.currency
                            && old.def.window == def.window
                    })
                    .map(|old| old.state.clone());
                Limit {
                    def,
                    state: kept.unwrap_or_else(|| LimitState::fresh(self.next_serial)),
                }
            })
            .collect();
        Ok(Limits {
            limits,
            policy,
            records: self.records.clone(),
            next_serial: self.next_serial,
            high_water: self.high_water,
            revision: self.revision.saturating_add(1),
        })
    }

    /// The counting policy.
    pub fn policy(&self) -> CountingPolicy {
        self.policy
    }

    /// The limits as specs (current values: a holder's changes are included).
    pub fn specs(&self) -> Vec<LimitSpec> {
        self.limits
            .iter()
            .map(|limit| LimitSpec {
                id: limit.def.id.clone(),
                measure: limit.def.measure,
                currency: limit.def.currency.map(|c| c.0.code().to_owned()),
                window: limit.def.window.clone(),
                hard: limit.def.format(limit.def.hard),
                soft: limit.def.soft.map(|soft| limit.def.format(soft)),
                ceiling: Some(limit.def.format(limit.def.ceiling)),
                resettable: limit.def.resettable,
            })
            .collect()
    }

    /// The IANA zones the calendar windows use, each once, in configuration order (`"UTC"`
    /// included when used: it needs no data).
    pub fn time_zones(&self) -> Vec<String> {
        zones_of(self.limits.iter().map(|limit| &limit.def.window))
    }

    /// The number of limits.
    pub fn len(&self) -> usize {
        self.limits.len()
    }

    /// Whether there are no limits.
    pub fn is_empty(&self) -> bool {
        self.limits.is_empty()
    }

    /// The change counter (incremented by every successful change).
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The latest effective time recorded.
    pub fn latest_time(&self) -> Option<i64> {
        self.high_water
    }

    fn effective_time(&self, time: i64) -> i64 {
        self.high_water.map_or(time, |latest| latest.max(time))
    }

    fn find_record(&self, id: &str) -> Option<usize> {
        self.records.iter().position(|record| record.id == id)
    }

    /// One limit's view at effective time `t`, for a usage `(currency, minor units)` or none.
    fn step(
        &self,
        limit: &Limit,
        t: i64,
        usage: Option<(&'static Currency, u128)>,
        zones: &TimeZones,
    ) -> Result<Step> {
        let mut step = Step {
            before: 0,
            units: 0,
            single: 0,
            rolled: None,
            prune: 0,
            full: false,
            mismatch: false,
        };
        let units = match (usage, limit.def.measure, limit.def.currency) {
            (None, _, _) => 0,
            (Some(_), Measure::Count, _) => 1,
            (Some((currency, minor)), Measure::Amount, Some(own)) if own.0 == currency => minor,
            (Some(_), Measure::Amount, _) => {
                step.mismatch = true;
                0
            }
        };
        match &limit.def.window {
            Window::PerTransaction => step.single = units,
            Window::Lifetime => {
                step.before = limit.state.used;
                step.units = units;
            }
            Window::Trailing { seconds } => {
                let cutoff = t.saturating_sub(i64::from(*seconds));
                let entries = &limit.state.entries;
                step.prune = entries
                    .iter()
                    .take_while(|entry| entry.time <= cutoff)
                    .count();
                step.before = entries
                    .iter()
                    .skip(step.prune)
                    .fold(0u128, |sum, entry| sum.saturating_add(entry.units));
                step.full = entries.len().saturating_sub(step.prune) >= TRAILING_ENTRIES_MAX;
                step.units = units;
            }
            Window::Day { .. }
            | Window::Week { .. }
            | Window::Month { .. }
            | Window::Year { .. } => {
                match limit.state.period {
                    Some((_, end)) if t < end => step.before = limit.state.used,
                    _ => {
                        let (period, zone) = limit
                            .def
                            .window
                            .calendar()
                            .ok_or_else(|| internal("calendar window without a period"))?;
                        let tz = zones.require(zone)?;
                        step.rolled = Some(
                            calendar::period_containing(period, &tz, t)
                                .ok_or_else(|| internal("calendar period out of range"))?,
                        );
                    }
                }
                step.units = units;
            }
        }
        Ok(step)
    }

    fn steps(
        &self,
        t: i64,
        usage: Option<(&'static Currency, u128)>,
        zones: &TimeZones,
    ) -> Result<Vec<Step>> {
        self.limits
            .iter()
            .map(|limit| self.step(limit, t, usage, zones))
            .collect()
    }

    /// The verdict of one limit on a step.
    fn verdict_of(def: &LimitDef, step: &Step) -> Code {
        if step.mismatch {
            return Code::CurrencyMismatch;
        }
        if def.window == Window::PerTransaction {
            if step.single > def.hard {
                return Code::TransactionLimitExceeded;
            }
            if def.effective_soft().is_some_and(|soft| step.single > soft) {
                return Code::SoftLimitReached;
            }
            return Code::WithinLimits;
        }
        let after = step.before.saturating_add(step.units);
        if after > def.hard {
            Code::HardLimitReached
        } else if step.full {
            Code::TrailingWindowFull
        } else if def.effective_soft().is_some_and(|soft| after > soft) {
            Code::SoftLimitReached
        } else {
            Code::WithinLimits
        }
    }

    /// The most severe verdict across limits, and which limit gave it (first on ties).
    fn verdict(&self, steps: &[Step]) -> (Code, Option<usize>) {
        let mut best = (Code::WithinLimits, None);
        for (index, (limit, step)) in self.limits.iter().zip(steps).enumerate() {
            let code = Self::verdict_of(&limit.def, step);
            if severity(code) > severity(best.0) {
                best = (code, Some(index));
            }
        }
        best
    }

    /// The status of every limit at `now` (evaluated at the effective time, see module docs).
    ///
    /// Errors: `INVALID_ARGUMENT` (`"now"` out of range); `TIME_ZONE_MISSING`.
    pub fn status(&self, now: i64, zones: &TimeZones) -> Result<Vec<LimitStatus>> {
        check_time(now, "now")?;
        let t = self.effective_time(now);
        let steps = self.steps(t, None, zones)?;
        Ok(self.statuses_of(&steps, t, false))
    }

    fn statuses_of(&self, steps: &[Step], t: i64, recorded: bool) -> Vec<LimitStatus> {
        self.limits
            .iter()
            .zip(steps)
            .map(|(limit, step)| Self::status_of(limit, step, t, recorded))
            .collect()
    }

    fn status_of(limit: &Limit, step: &Step, t: i64, recorded: bool) -> LimitStatus {
        let def = &limit.def;
        let adds = recorded && step.units > 0;
        let used = if adds {
            step.before.saturating_add(step.units).min(def.units_max())
        } else {
            step.before
        };
        let resets_at = match &def.window {
            Window::PerTransaction | Window::Lifetime => None,
            Window::Trailing { seconds } => {
                let oldest = limit
                    .state
                    .entries
                    .iter()
                    .skip(step.prune)
                    .find(|entry| entry.units > 0)
                    .map(|entry| entry.time);
                let oldest = if adds {
                    Some(oldest.map_or(t, |time| time.min(t)))
                } else {
                    oldest
                };
                oldest.map(|time| time.saturating_add(i64::from(*seconds)))
            }
            _ => step.rolled.or(limit.state.period).map(|(_, end)| end),
        };
        LimitStatus {
            id: def.id.clone(),
            measure: def.measure,
            currency: def.currency.map(|c| c.0.code().to_owned()),
            window: def.window.clone(),
            limit: def.format(def.hard),
            soft: def.effective_soft().map(|soft| def.format(soft)),
            ceiling: def.format(def.ceiling),
            used: def.format(used),
            remaining: def.format(def.hard.saturating_sub(used)),
            resets_at,
        }
    }

    /// Checks one usage without changing anything: the verdict, which limit gave it, and a plan
    /// that [`Limits::commit`] applies.
    ///
    /// Errors: `INVALID_ARGUMENT` about `"transactionId"` (1..=64 UTF-8 bytes, no control
    /// characters), `"amount"` (must be > 0) or `"time"` (out of range); `TIME_ZONE_MISSING`.
    pub fn check(&self, usage: &Usage<'_>, mode: CheckMode, zones: &TimeZones) -> Result<Check> {
        check_transaction_id(usage.id, "transactionId")?;
        let units = check_positive(usage.amount, "amount")?;
        check_time(usage.time, "time")?;
        let currency = usage.amount.currency();
        let t = self.effective_time(usage.time);
        if let Some(index) = self.find_record(usage.id) {
            let same = self
                .records
                .get(index)
                .is_some_and(|record| record.currency.0 == currency && record.amount == units);
            return Ok(Check {
                code: if same {
                    Code::AlreadyRecorded
                } else {
                    Code::TransactionIdConflict
                },
                limit_id: None,
                recordable: false,
                base_revision: self.revision,
                time: t,
                steps: self.steps(t, None, zones)?,
                record: None,
            });
        }
        let steps = self.steps(t, Some((currency, units)), zones)?;
        let (code, limit_index) = self.verdict(&steps);
        let recordable = match mode {
            CheckMode::Enforce => matches!(code, Code::WithinLimits | Code::SoftLimitReached),
            CheckMode::Force => code != Code::CurrencyMismatch,
        };
        let record = UsageRecord {
            id: usage.id.to_owned(),
            serial: self.next_serial,
            currency: CurrencyCode(currency),
            amount: units,
            time: usage.time,
            captured: None,
            reversed: false,
            refunded: None,
            count_contrib: true,
            amount_contrib: units,
        };
        Ok(Check {
            code,
            limit_id: limit_index
                .and_then(|index| self.limits.get(index))
                .map(|limit| limit.def.id.clone()),
            recordable,
            base_revision: self.revision,
            time: t,
            steps,
            record: recordable.then_some(record),
        })
    }

    /// The statuses a [`Check`] computed: as they are (`recorded == false`) or as they would be
    /// once it is committed. The check must come from this state.
    ///
    /// Errors: `INVALID_ARGUMENT` about `"check"` when the state changed since the check.
    pub fn statuses_for(&self, check: &Check, recorded: bool) -> Result<Vec<LimitStatus>> {
        self.fresh(check)?;
        Ok(self.statuses_of(&check.steps, check.time, recorded && check.recordable))
    }

    fn fresh(&self, check: &Check) -> Result<()> {
        if check.base_revision != self.revision || check.steps.len() != self.limits.len() {
            return Err(Error::new(
                ErrorCode::InvalidArgument,
                "check",
                "the limits changed since this check was computed; check again",
            ));
        }
        Ok(())
    }

    /// Records the usage a [`Check`] planned.
    ///
    /// Errors: `INVALID_ARGUMENT` about `"check"` when the check is not recordable or the state
    /// changed since it was computed (nothing is changed then).
    pub fn commit(&mut self, check: &Check) -> Result<()> {
        self.fresh(check)?;
        let record = match (&check.record, check.recordable) {
            (Some(record), true) => record.clone(),
            _ => {
                return Err(Error::new(
                    ErrorCode::InvalidArgument,
                    "check",
                    format!("a {} check records nothing", check.code),
                ))
            }
        };
        let next_serial = self
            .next_serial
            .checked_add(1)
            .ok_or_else(|| internal("usage serial numbers exhausted"))?;
        // Nothing below can fail: the state changes only from here on.
        let t = check.time;
        for (limit, step) in self.limits.iter_mut().zip(&check.steps) {
            let max = limit.def.units_max();
            let after = step.before.saturating_add(step.units).min(max);
            match &limit.def.window {
                Window::PerTransaction => {}
                Window::Lifetime => limit.state.used = after,
                Window::Trailing { .. } => {
                    let entries = &mut limit.state.entries;
                    let prune = step.prune.min(entries.len());
                    entries.drain(..prune);
                    if step.units > 0 {
                        let full = entries.len() >= TRAILING_ENTRIES_MAX;
                        match entries.last_mut() {
                            Some(last) if full => {
                                last.units = last.units.saturating_add(step.units).min(max);
                                last.time = last.time.max(t);
                            }
                            _ => entries.push(Entry {
                                time: t,
                                serial: record.serial,
                                units: step.units,
                            }),
                        }
                    }
                }
                Window::Day { .. }
                | Window::Week { .. }
                | Window::Month { .. }
                | Window::Year { .. } => {
                    if let Some(period) = step.rolled {
                        limit.state.period = Some(period);
                        limit.state.first_serial = record.serial;
                        limit.state.used = step.units.min(max);
                    } else {
                        limit.state.used = after;
                    }
                }
            }
        }
        if self.records.len() >= TRANSACTIONS_RETAINED_MAX {
            self.records.remove(0);
        }
        self.records.push(record);
        self.next_serial = next_serial;
        self.high_water = Some(t);
        self.revision = self.revision.saturating_add(1);
        Ok(())
    }

    /// [`Limits::check`] then, when recordable, [`Limits::commit`].
    ///
    /// Errors: as [`Limits::check`].
    pub fn record(
        &mut self,
        usage: &Usage<'_>,
        mode: CheckMode,
        zones: &TimeZones,
    ) -> Result<Check> {
        let check = self.check(usage, mode, zones)?;
        if check.recordable {
            self.commit(&check)?;
        }
        Ok(check)
    }

    /// Gives capacity back for record `serial`: one count (if `count`) and `amount` minor units
    /// in `currency`, in every window still holding them.
    fn release(&mut self, serial: u64, currency: &'static Currency, count: bool, amount: u128) {
        for limit in &mut self.limits {
            let units = match (limit.def.measure, limit.def.currency) {
                (Measure::Count, _) if count => 1,
                (Measure::Amount, Some(own)) if own.0 == currency => amount,
                _ => 0,
            };
            if units == 0 || serial < limit.state.first_serial {
                continue;
            }
            match &limit.def.window {
                Window::PerTransaction => {}
                Window::Trailing { .. } => {
                    let entries = &mut limit.state.entries;
                    if let Some(entry) = entries.iter_mut().find(|entry| entry.serial == serial) {
                        entry.units = entry.units.saturating_sub(units);
                    }
                    entries.retain(|entry| entry.units > 0);
                }
                _ => limit.state.used = limit.state.used.saturating_sub(units),
            }
        }
    }

    /// Applies a record's new contributions and state.
    fn settle(&mut self, index: usize, updated: UsageRecord) {
        let Some(old) = self.records.get(index) else {
            return;
        };
        let count = old.count_contrib && !updated.count_contrib;
        let amount = old.amount_contrib.saturating_sub(updated.amount_contrib);
        let (serial, currency) = (old.serial, old.currency.0);
        self.release(serial, currency, count, amount);
        if let Some(slot) = self.records.get_mut(index) {
            *slot = updated;
        }
        self.revision = self.revision.saturating_add(1);
    }

    /// Reverses a recorded usage: a reservation (capture counting, not captured yet) is released
    /// in full; counted usage is restored per `reversalRestores`.
    ///
    /// Codes: `REVERSED` (`repeated` when already reversed), `UNKNOWN_TRANSACTION`,
    /// `TRANSACTION_REFUNDED`. Errors: `INVALID_ARGUMENT` about `"transactionId"`.
    pub fn reverse(&mut self, id: &str) -> Result<Outcome> {
        check_transaction_id(id, "transactionId")?;
        let Some((index, record)) = self
            .find_record(id)
            .and_then(|i| Some((i, self.records.get(i)?)))
        else {
            return Ok(Outcome::new(Code::UnknownTransaction));
        };
        if record.reversed {
            return Ok(Outcome::repeat(Code::Reversed));
        }
        if record.refunded.is_some() {
            return Ok(Outcome::new(Code::TransactionRefunded));
        }
        let reservation = self.policy.count_on == CountOn::Capture && record.captured.is_none();
        let restore = if reservation {
            Restore {
                count: true,
                amount: true,
            }
        } else {
            self.policy.reversal_restores
        };
        let updated = UsageRecord {
            reversed: true,
            count_contrib: record.count_contrib && !restore.count,
            amount_contrib: if restore.amount {
                0
            } else {
                record.amount_contrib
            },
            ..record.clone()
        };
        self.settle(index, updated);
        Ok(Outcome::new(Code::Reversed))
    }

    /// Captures a recorded usage for `amount` (≤ the authorised amount). Counting on captures,
    /// the captured amount counts and the rest of the reservation is released; counting on
    /// approvals, the capture is only noted (a later refund is bounded by it).
    ///
    /// Codes: `CAPTURED` (`repeated` for the same amount again), `UNKNOWN_TRANSACTION`,
    /// `CURRENCY_MISMATCH`, `TRANSACTION_REVERSED`, `TRANSACTION_REFUNDED`, `CAPTURE_CONFLICT`,
    /// `CAPTURE_EXCEEDS_AUTHORISATION`. Errors: `INVALID_ARGUMENT` about `"transactionId"` or
    /// `"amount"` (must be > 0).
    /// The checks capture and refund share, in order: the id and amount (errors), then
    /// `UNKNOWN_TRANSACTION`, `CURRENCY_MISMATCH`, `TRANSACTION_REVERSED` (outcomes). Returns the
    /// record's index, the record and the amount in minor units, or the outcome to return.
    fn settleable(
        &self,
        id: &str,
        amount: &Amount,
    ) -> Result<core::result::Result<(usize, &UsageRecord, u128), Outcome>> {
        check_transaction_id(id, "transactionId")?;
        let units = check_positive(amount, "amount")?;
        let Some((index, record)) = self
            .find_record(id)
            .and_then(|i| Some((i, self.records.get(i)?)))
        else {
            return Ok(Err(Outcome::new(Code::UnknownTransaction)));
        };
        if record.currency.0 != amount.currency() {
            return Ok(Err(Outcome::new(Code::CurrencyMismatch)));
        }
        if record.reversed {
            return Ok(Err(Outcome::new(Code::TransactionReversed)));
        }
        Ok(Ok((index, record, units)))
    }

    pub fn capture(&mut self, id: &str, amount: &Amount) -> Result<Outcome> {
        let (index, record, units) = match self.settleable(id, amount)? {
            Ok(found) => found,
            Err(outcome) => return Ok(outcome),
        };
        if record.refunded.is_some() {
            return Ok(Outcome::new(Code::TransactionRefunded));
        }
        if let Some(captured) = record.captured {
            return Ok(if captured == units {
                Outcome::repeat(Code::Captured)
            } else {
                Outcome::new(Code::CaptureConflict)
            });
        }
        if units > record.amount {
            return Ok(Outcome::new(Code::CaptureExceedsAuthorisation));
        }
        let amount_contrib = match self.policy.count_on {
            CountOn::Capture => record.amount_contrib.min(units),
            CountOn::Approval => record.amount_contrib,
        };
        let updated = UsageRecord {
            captured: Some(units),
            amount_contrib,
            ..record.clone()
        };
        self.settle(index, updated);
        Ok(Outcome::new(Code::Captured))
    }

    /// Refunds `amount` of a recorded usage (one refund per transaction, at most its captured
    /// amount, or its authorised amount when counting on approvals and not captured). Restores
    /// per `refundRestores`; the count only for a full refund.
    ///
    /// Codes: `REFUNDED` (`repeated` for the same amount again), `UNKNOWN_TRANSACTION`,
    /// `CURRENCY_MISMATCH`, `TRANSACTION_REVERSED`, `TRANSACTION_NOT_CAPTURED`,
    /// `REFUND_CONFLICT`, `REFUND_EXCEEDS_AMOUNT`. Errors: as [`Limits::capture`].
    pub fn refund(&mut self, id: &str, amount: &Amount) -> Result<Outcome> {
        let (index, record, units) = match self.settleable(id, amount)? {
            Ok(found) => found,
            Err(outcome) => return Ok(outcome),
        };
        if let Some(refunded) = record.refunded {
            return Ok(if refunded == units {
                Outcome::repeat(Code::Refunded)
            } else {
                Outcome::new(Code::RefundConflict)
            });
        }
        let base = match (self.policy.count_on, record.captured) {
            (CountOn::Capture, None) => return Ok(Outcome::new(Code::TransactionNotCaptured)),
            (_, Some(captured)) => captured,
            (CountOn::Approval, None) => record.amount,
        };
        if units > base {
            return Ok(Outcome::new(Code::RefundExceedsAmount));
        }
        let restore = self.policy.refund_restores;
        let updated = UsageRecord {
            refunded: Some(units),
            count_contrib: record.count_contrib && !(restore.count && units == base),
            amount_contrib: if restore.amount {
                record.amount_contrib.saturating_sub(units)
            } else {
                record.amount_contrib
            },
            ..record.clone()
        };
        self.settle(index, updated);
        Ok(Outcome::new(Code::Refunded))
    }

    fn limit_index(&self, limit_id: &str) -> Option<usize> {
        self.limits
            .iter()
            .position(|limit| limit.def.id == limit_id)
    }

    /// Sets a limit's hard value (a holder's command; untrusted strings give codes, not errors).
    ///
    /// Codes: `LIMIT_ADJUSTED`, `UNKNOWN_LIMIT`, `VALUE_INVALID`, `ABOVE_CEILING`.
    pub fn set_limit(&mut self, limit_id: &str, value: &str) -> Code {
        let Some(limit) = self
            .limit_index(limit_id)
            .and_then(|i| self.limits.get_mut(i))
        else {
            return Code::UnknownLimit;
        };
        let currency = limit.def.currency.map(|c| c.0);
        let Ok(value) = parse_quantity(limit.def.measure, currency, value) else {
            return Code::ValueInvalid;
        };
        if value > limit.def.ceiling {
            return Code::AboveCeiling;
        }
        limit.def.hard = value;
        self.revision = self.revision.saturating_add(1);
        Code::LimitAdjusted
    }

    /// Raises (positive `delta`) or lowers (negative) a limit's hard value.
    ///
    /// Codes: `LIMIT_ADJUSTED`, `UNKNOWN_LIMIT`, `VALUE_INVALID`, `ABOVE_CEILING`,
    /// `NEGATIVE_RESULT`.
    pub fn change_limit(&mut self, limit_id: &str, delta: &str) -> Code {
        let Some(limit) = self
            .limit_index(limit_id)
            .and_then(|i| self.limits.get_mut(i))
        else {
            return Code::UnknownLimit;
        };
        let currency = limit.def.currency.map(|c| c.0);
        let Ok((negative, magnitude)) = parse_signed(limit.def.measure, currency, delta) else {
            return Code::ValueInvalid;
        };
        let value = if negative {
            match limit.def.hard.checked_sub(magnitude) {
                Some(value) => value,
                None => return Code::NegativeResult,
            }
        } else {
            match limit.def.hard.checked_add(magnitude) {
                Some(value) => value,
                None => return Code::AboveCeiling,
            }
        };
        if value > limit.def.ceiling {
            return Code::AboveCeiling;
        }
        limit.def.hard = value;
        self.revision = self.revision.saturating_add(1);
        Code::LimitAdjusted
    }

    /// Resets a limit's usage to zero (when the issuer allowed it). Records counted before stay
    /// retained but no longer count in this limit.
    ///
    /// Codes: `LIMIT_ADJUSTED`, `UNKNOWN_LIMIT`, `NOT_RESETTABLE`.
    pub fn reset_usage(&mut self, limit_id: &str) -> Code {
        let next_serial = self.next_serial;
        let Some(limit) = self
            .limit_index(limit_id)
            .and_then(|i| self.limits.get_mut(i))
        else {
            return Code::UnknownLimit;
        };
        if !limit.def.resettable {
            return Code::NotResettable;
        }
        limit.state.used = 0;
        limit.state.entries.clear();
        limit.state.first_serial = next_serial;
        self.revision = self.revision.saturating_add(1);
        Code::LimitAdjusted
    }

    /// Whether a decoded state respects every bound and invariant (used after decoding a
    /// snapshot: decoding alone checks shapes, not rules).
    pub(crate) fn is_consistent(&self) -> bool {
        let limits_ok = self.limits.len() <= LIMITS_PER_SET_MAX
            && self.limits.iter().enumerate().all(|(index, limit)| {
                let def = &limit.def;
                let spec_ok = limit_id_ok(&def.id)
                    && (def.measure == Measure::Amount) == def.currency.is_some()
                    && def.hard <= def.ceiling
                    && def.ceiling <= def.units_max()
                    && def.soft.map_or(true, |soft| soft <= def.units_max())
                    && match &def.window {
                        Window::PerTransaction => def.measure == Measure::Amount,
                        Window::Trailing { seconds } => {
                            (TRAILING_WINDOW_S_MIN..=TRAILING_WINDOW_S_MAX).contains(seconds)
                        }
                        Window::Month { anchor_day, .. } => (1..=31).contains(anchor_day),
                        _ => true,
                    }
                    && def.window.time_zone().map_or(true, zone_name_ok);
                let unique = self
                    .limits
                    .iter()
                    .take(index)
                    .all(|other| other.def.id != def.id);
                let entries = &limit.state.entries;
                let entries_ok = entries.len() <= TRAILING_ENTRIES_MAX
                    && entries.windows(2).all(|pair| match pair {
                        [a, b] => a.time <= b.time,
                        _ => true,
                    });
                spec_ok && unique && entries_ok && limit.state.used <= def.units_max()
            });
        let records_ok = self.records.len() <= TRANSACTIONS_RETAINED_MAX
            && self.records.iter().all(|record| {
                transaction_id_ok(&record.id)
                    && record.serial < self.next_serial
                    && record.amount > 0
            });
        limits_ok && records_ok && self.next_serial >= 1
    }
}
