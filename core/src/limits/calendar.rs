//! Calendar periods (day, week, month, year) in an IANA time zone.
//!
//! A period is computed on the *civil* calendar of the zone and then converted to instants, so a
//! day is whatever the wall clock says: 23 hours on a spring-forward date in Europe/Paris, 25 on
//! the fall-back date, 23.5 / 24.5 hours in Australia/Lord_Howe (30-minute DST). The start of a
//! civil date is its first instant: where midnight does not exist (a DST gap at 00:00, e.g.
//! America/Havana) it is the first valid wall time after it; where midnight occurs twice (a fold)
//! it is the earlier one (jiff's "compatible" disambiguation, RFC 9557 / Temporal semantics).
//!
//! Only jiff's time-zone conversions are used (instant → civil date-time in a zone, civil
//! date-time → instant); the civil-calendar arithmetic (next day, week start, anchored months)
//! is plain integer arithmetic on day numbers below. Why: jiff's general date arithmetic
//! (`Span`) and its error formatting would add tens of kilobytes to the wasm module for
//! computations this simple.

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::Weekday;

/// What a calendar window resets on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Period {
    Day,
    Week(Weekday),
    /// Anchor day of month, 1..=31.
    Month(u8),
    Year,
}

/// A proleptic Gregorian date as plain integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Civil {
    year: i32,
    month: u32,
    day: u32,
}

fn is_leap(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
fn days_from_civil(c: Civil) -> i64 {
    let y = i64::from(c.year) - i64::from(c.month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(c.month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(c.day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> Option<Civil> {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Some(Civil {
        year: i32::try_from(year).ok()?,
        month: u32::try_from(month).ok()?,
        day: u32::try_from(day).ok()?,
    })
}

/// The first day of the monthly period of `year`-`month` that starts on `anchor`: day `anchor`,
/// or the month's last day when the month is shorter (anchor 31 → 30 April, 28/29 February).
fn anchor_date(year: i32, month: u32, anchor: u8) -> Civil {
    Civil {
        year,
        month,
        day: u32::from(anchor).min(days_in_month(year, month)),
    }
}

/// `(year, month)` moved by one month forward (`+1`) or back (`-1`).
fn add_month(year: i32, month: u32, forward: bool) -> (i32, u32) {
    match (month, forward) {
        (12, true) => (year + 1, 1),
        (1, false) => (year - 1, 12),
        (m, true) => (year, m + 1),
        (m, false) => (year, m - 1),
    }
}

/// The civil dates `[start, end)` of the period containing `date`.
fn civil_bounds(period: Period, date: Civil) -> Option<(Civil, Civil)> {
    let days = days_from_civil(date);
    match period {
        Period::Day => Some((date, civil_from_days(days + 1)?)),
        Period::Week(start) => {
            // 1970-01-01 was a Thursday (Monday-zero offset 3).
            let weekday = (days + 3).rem_euclid(7);
            let back = (weekday - i64::from(start.monday_zero_offset())).rem_euclid(7);
            Some((
                civil_from_days(days - back)?,
                civil_from_days(days - back + 7)?,
            ))
        }
        Period::Month(anchor) => {
            let this = anchor_date(date.year, date.month, anchor);
            if date >= this {
                let (y, m) = add_month(date.year, date.month, true);
                Some((this, anchor_date(y, m, anchor)))
            } else {
                let (y, m) = add_month(date.year, date.month, false);
                Some((anchor_date(y, m, anchor), this))
            }
        }
        Period::Year => Some((
            Civil {
                year: date.year,
                month: 1,
                day: 1,
            },
            Civil {
                year: date.year + 1,
                month: 1,
                day: 1,
            },
        )),
    }
}

/// The first instant (Unix seconds) of civil `date` in `tz` (compatible disambiguation).
fn start_of(date: Civil, tz: &TimeZone) -> Option<i64> {
    let civil = Date::new(
        i16::try_from(date.year).ok()?,
        i8::try_from(date.month).ok()?,
        i8::try_from(date.day).ok()?,
    )
    .ok()?
    .to_datetime(Time::midnight());
    Some(
        tz.to_ambiguous_timestamp(civil)
            .compatible()
            .ok()?
            .as_second(),
    )
}

/// The period `[start, end)` in Unix seconds that contains instant `t` in zone `tz`.
///
/// `None` only outside jiff's range (years −9999..=9999), which the callers' time bounds rule
/// out; it is reported as an internal fault, never a panic.
pub(crate) fn period_containing(period: Period, tz: &TimeZone, t: i64) -> Option<(i64, i64)> {
    let local = tz.to_datetime(Timestamp::from_second(t).ok()?);
    let date = Civil {
        year: i32::from(local.year()),
        month: u32::try_from(local.month()).ok()?,
        day: u32::try_from(local.day()).ok()?,
    };
    let (first, next) = civil_bounds(period, date)?;
    let start = start_of(first, tz)?;
    let end = start_of(next, tz)?;
    // Holds for every real zone; checked so that a pathological TZif (a transition of more than
    // a day) can never produce a period that does not contain `t`.
    (start <= t && t < end).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_round_trip_and_match_known_dates() {
        assert_eq!(
            days_from_civil(Civil {
                year: 1970,
                month: 1,
                day: 1
            }),
            0
        );
        assert_eq!(
            days_from_civil(Civil {
                year: 2000,
                month: 3,
                day: 1
            }),
            11_017
        );
        assert_eq!(
            days_from_civil(Civil {
                year: 1969,
                month: 12,
                day: 31
            }),
            -1
        );
        for days in -800_000..800_000 {
            let civil = civil_from_days(days).unwrap();
            assert_eq!(days_from_civil(civil), days);
            assert!((1..=days_in_month(civil.year, civil.month)).contains(&civil.day));
            // Cross-check with jiff's calendar.
            if days % 997 == 0 {
                let date =
                    Date::new(civil.year as i16, civil.month as i8, civil.day as i8).unwrap();
                let weekday = (days + 3).rem_euclid(7);
                assert_eq!(i64::from(date.weekday().to_monday_zero_offset()), weekday);
            }
        }
    }
}
