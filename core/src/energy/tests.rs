//! Unit and property tests of the metering math.

use core::str::FromStr;

use proptest::prelude::*;
use rust_decimal::Decimal;

use super::pricing::round_ratio;
use super::*;
use crate::error::ErrorCode;
use crate::money::{Amount, Currency, RoundingMode};

fn cases(default: u32) -> u32 {
    crate::money::proptest_cases(default)
}

fn tariff(currency: &str, unit: Unit, price: &str, rounding: &str) -> Tariff {
    Tariff {
        currency: currency.to_owned(),
        unit,
        resolution: None,
        unit_price: price.to_owned(),
        cost_rounding: rounding.to_owned(),
        tax: None,
    }
}

fn taxed(mut tariff: Tariff, rate: &str, includes: bool, rounding: &str) -> Tariff {
    tariff.tax = Some(TaxRule {
        rate: rate.to_owned(),
        price_includes_tax: includes,
        rounding: rounding.to_owned(),
    });
    tariff
}

fn limit(tariff: &Tariff, hold: &str) -> DispenseLimit {
    dispense_limit(&DispenseLimitRequest {
        tariff: tariff.clone(),
        hold: hold.to_owned(),
    })
    .unwrap_or_else(|e| panic!("{tariff:?} {hold}: {e}"))
}

fn cost(tariff: &Tariff, quantity: &str, hold: Option<&str>) -> MeteredCost {
    metered_cost(&MeteredCostRequest {
        tariff: tariff.clone(),
        quantity: quantity.to_owned(),
        unit: tariff.unit,
        hold: hold.map(str::to_owned),
    })
    .unwrap_or_else(|e| panic!("{tariff:?} {quantity}: {e}"))
}

fn breakdown(net: &str, tax: &str, total: &str) -> CostBreakdown {
    CostBreakdown {
        net: net.to_owned(),
        tax: tax.to_owned(),
        total: total.to_owned(),
    }
}

/// The quantity one resolution step above `quantity` (a decimal string at scale `decimals`).
fn next_step(quantity: &str, decimals: u32) -> String {
    let q = Decimal::from_str(quantity).unwrap();
    (q + Decimal::new(1, decimals)).to_string()
}

// ------------------------------------------------------------------------ known answers

#[test]
fn fuel_without_tax() {
    let t = tariff("EUR", Unit::Litre, "1.859", "half-even");
    let l = limit(&t, "50.00");
    // 26.89 L × 1.859 = 49.98851 → 49.99; 26.90 L would be 50.0071 → 50.01.
    assert_eq!(
        (l.code, l.max_quantity.as_str()),
        (EnergyCode::LimitSet, "26.89")
    );
    assert_eq!(l.cost, breakdown("49.99", "0.00", "49.99"));
    assert_eq!(
        (
            l.unit,
            l.resolution.as_str(),
            l.hold.as_str(),
            l.currency.as_str()
        ),
        (Unit::Litre, "0.01", "50.00", "EUR")
    );
    assert_eq!(
        cost(&t, "26.90", Some("50.00")).code,
        EnergyCode::ExceedsHold
    );
    let c = cost(&t, "26.89", Some("50"));
    assert_eq!(
        (c.code, c.quantity.as_str(), c.cost.total.as_str()),
        (EnergyCode::WithinHold, "26.89", "49.99")
    );
    assert_eq!(cost(&t, "26.89", None).code, EnergyCode::CostComputed);
    // Trailing zeros beyond the resolution are accepted and dropped.
    assert_eq!(cost(&t, "26.8900", None).quantity, "26.89");
    assert_eq!(cost(&t, "26.9", None).quantity, "26.90");
}

#[test]
fn the_limit_is_exact_where_dividing_would_be_wrong() {
    // Price excl. 19 % tax, both rounded up: hold ÷ (price × 1.19) = 8.32 L, but 8.32 L costs
    // 8.41 + 1.60 = 10.01 > 10.00. The limit is 8.31 L (8.40 + 1.60 = 10.00).
    let t = taxed(
        tariff("EUR", Unit::Litre, "1.01", "ceiling"),
        "0.19",
        false,
        "ceiling",
    );
    let l = limit(&t, "10.00");
    assert_eq!(l.max_quantity, "8.31");
    assert_eq!(l.cost, breakdown("8.40", "1.60", "10.00"));
    assert_eq!(
        cost(&t, "8.32", Some("10.00")).cost,
        breakdown("8.41", "1.60", "10.01")
    );
    // Truncating costs: 3.03 L × 0.333 = 1.00899 → 1.00 fits, though 1.00 ÷ 0.333 = 3.003.
    let t = tariff("EUR", Unit::Litre, "0.333", "toward-zero");
    assert_eq!(limit(&t, "1.00").max_quantity, "3.03");
    assert_eq!(cost(&t, "3.04", Some("1.00")).code, EnergyCode::ExceedsHold);
}

#[test]
fn tax_exclusive_and_inclusive() {
    // 40.00 L at 1.859 excl. 19 %: net 74.36, tax 14.1284 → 14.13, total 88.49.
    let t = taxed(
        tariff("EUR", Unit::Litre, "1.859", "half-even"),
        "0.19",
        false,
        "half-even",
    );
    assert_eq!(
        cost(&t, "40", None).cost,
        breakdown("74.36", "14.13", "88.49")
    );
    let l = limit(&t, "88.49");
    assert_eq!(l.max_quantity, "40.00");
    // 42.137 kWh at 0.39 incl. 19 %: total 16.43343 → 16.43; tax 16.43 × 0.19 / 1.19 =
    // 2.6232… → 2.62; net 13.81.
    let t = taxed(
        tariff("EUR", Unit::KilowattHour, "0.39", "half-even"),
        "0.19",
        true,
        "half-even",
    );
    let c = cost(&t, "42.137", None);
    assert_eq!(
        (c.quantity.as_str(), c.unit),
        ("42.137", Unit::KilowattHour)
    );
    assert_eq!(c.cost, breakdown("13.81", "2.62", "16.43"));
    // An inclusive tax does not change what a hold buys: the price already contains it.
    let without = tariff("EUR", Unit::KilowattHour, "0.39", "half-even");
    assert_eq!(
        limit(&t, "30.00").max_quantity,
        limit(&without, "30.00").max_quantity
    );
    assert_eq!(limit(&t, "30.00").max_quantity, "76.935");
    // A zero rate and a 100 % rate.
    let zero = taxed(
        tariff("EUR", Unit::Litre, "2", "half-even"),
        "0",
        false,
        "half-even",
    );
    assert_eq!(
        cost(&zero, "1.00", None).cost,
        breakdown("2.00", "0.00", "2.00")
    );
    let full = taxed(
        tariff("EUR", Unit::Litre, "2", "half-even"),
        "1",
        true,
        "half-even",
    );
    assert_eq!(
        cost(&full, "1.00", None).cost,
        breakdown("1.00", "1.00", "2.00")
    );
}

#[test]
fn currencies_units_and_resolutions() {
    // JPY has no minor unit: 27.78 L × 180 = 5000.4 → 5000 fits, 27.79 L → 5002 does not.
    let t = tariff("JPY", Unit::Litre, "180", "half-even");
    let l = limit(&t, "5000");
    assert_eq!(
        (l.max_quantity.as_str(), l.cost.total.as_str()),
        ("27.78", "5000")
    );
    // kWh at the default 0.001 kWh; kg at the default 0.01 kg.
    // 20.00 ÷ 0.59 = 33.898…, but 33.906 kWh costs 20.00454 → 20.00 (half-up) and still fits.
    let kwh = tariff("EUR", Unit::KilowattHour, "0.59", "half-up");
    assert_eq!(limit(&kwh, "20.00").max_quantity, "33.906");
    let kg = tariff("EUR", Unit::Kilogram, "13.85", "half-up");
    assert_eq!(limit(&kg, "100.00").max_quantity, "7.22");
    // A coarser dispenser: whole litres; a finer one: 0.0001 kWh.
    let mut whole = tariff("EUR", Unit::Litre, "1.859", "half-even");
    whole.resolution = Some("1".to_owned());
    let l = limit(&whole, "50.00");
    assert_eq!(
        (l.max_quantity.as_str(), l.resolution.as_str()),
        ("26", "1")
    );
    let mut fine = kwh.clone();
    fine.resolution = Some("0.0001".to_owned());
    assert_eq!(limit(&fine, "20.00").max_quantity, "33.9067");
    // 3-decimal currency.
    let kwd = tariff("KWD", Unit::Litre, "0.085", "half-even");
    assert_eq!(limit(&kwd, "5.000").max_quantity, "58.82");
}

#[test]
fn small_zero_and_huge_holds() {
    let t = tariff("EUR", Unit::Litre, "1.859", "half-even");
    let l = limit(&t, "0.01");
    // 0.01 L costs 0.01859 → 0.02 > 0.01.
    assert_eq!(
        (l.code, l.max_quantity.as_str()),
        (EnergyCode::HoldTooSmall, "0.00")
    );
    assert_eq!(l.cost, breakdown("0.00", "0.00", "0.00"));
    assert_eq!(limit(&t, "0").code, EnergyCode::HoldTooSmall);
    // Truncating: 0.01 L costs 0.01.
    let truncating = tariff("EUR", Unit::Litre, "1.859", "toward-zero");
    assert_eq!(limit(&truncating, "0.01").code, EnergyCode::LimitSet);
    // More than QUANTITY_MAX: capped.
    let l = limit(&t, "10000000.00");
    assert_eq!(
        (l.code, l.max_quantity.as_str()),
        (EnergyCode::QuantityCapped, "1000000.00")
    );
    assert_eq!(l.cost.total, "1859000.00");
    // Exactly the cost of QUANTITY_MAX is capped too (the hold no longer binds).
    assert_eq!(limit(&t, "1859000.00").code, EnergyCode::QuantityCapped);
    assert_eq!(limit(&t, "1858999.99").code, EnergyCode::LimitSet);
    // The largest hold an amount can be.
    let max_hold =
        Amount::from_minor_units((1 << 96) - 1, Currency::from_code("EUR").unwrap()).unwrap();
    assert_eq!(
        limit(&t, &max_hold.to_string()).code,
        EnergyCode::QuantityCapped
    );
}

#[test]
fn costs_that_overflow_are_errors_and_never_fit() {
    // 10^9 per unit in a currency with 18 decimals: QUANTITY_MAX costs 10^15 ETH = 10^33 wei,
    // beyond 2^96 − 1.
    let t = tariff("ETH", Unit::Litre, "1000000000", "half-even");
    let err = metered_cost(&MeteredCostRequest {
        tariff: t.clone(),
        quantity: "1000000".to_owned(),
        unit: Unit::Litre,
        hold: None,
    })
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::AmountOverflow);
    // The limit search treats an unrepresentable cost as above any hold.
    let l = limit(&t, "79228162514.264337593543950335");
    assert_eq!(l.code, EnergyCode::LimitSet);
    assert_eq!(l.max_quantity, "79.22");
}

#[test]
fn malformed_calls_are_errors_naming_the_parameter() {
    let ok = tariff("EUR", Unit::Litre, "1.859", "half-even");
    let limit_err = |t: &Tariff, hold: &str| {
        dispense_limit(&DispenseLimitRequest {
            tariff: t.clone(),
            hold: hold.to_owned(),
        })
        .unwrap_err()
    };
    let check = |err: crate::Error, code: ErrorCode, param: &str| {
        assert_eq!((err.code(), err.param()), (code, param), "{err}");
    };
    check(limit_err(&ok, "-1.00"), ErrorCode::InvalidArgument, "request.hold");
    check(limit_err(&ok, "1.001"), ErrorCode::AmountPrecision, "request.hold");
    check(limit_err(&ok, "1e3"), ErrorCode::AmountSyntax, "request.hold");
    check(limit_err(&ok, ""), ErrorCode::AmountSyntax, "request.hold");
    let with = |f: &dyn Fn(&mut Tariff)| {
        let mut t = ok.clone();
        f(&mut t);
        limit_err(&t, "10.00")
    };
    check(
        with(&|t| t.currency = "XXX".to_owned()),
        ErrorCode::CurrencyUnknown,
        "request.tariff.currency",
    );
    for price in ["0", "-1.859", "0.0000001", "1000000000.01"] {
        check(
            with(&|t| t.unit_price = price.to_owned()),
            ErrorCode::InvalidArgument,
            "request.tariff.unitPrice",
        );
    }
    check(
        with(&|t| t.unit_price = "1,859".to_owned()),
        ErrorCode::AmountSyntax,
        "request.tariff.unitPrice",
    );
    for resolution in ["0.05", "10", "0.0000001", "0", "-0.01", "2"] {
        check(
            with(&|t| t.resolution = Some(resolution.to_owned())),
            ErrorCode::InvalidArgument,
            "request.tariff.resolution",
        );
    }
    check(
        with(&|t| t.cost_rounding = "bankers".to_owned()),
        ErrorCode::RoundingModeUnknown,
        "request.tariff.costRounding",
    );
    for rate in ["1.01", "-0.19", "0.1234567"] {
        let mut t = taxed(ok.clone(), rate, false, "half-even");
        t.tax.as_mut().unwrap().rate = rate.to_owned();
        check(
            limit_err(&t, "10.00"),
            ErrorCode::InvalidArgument,
            "request.tariff.tax.rate",
        );
    }
    check(
        limit_err(&taxed(ok.clone(), "19%", false, "half-even"), "1"),
        ErrorCode::AmountSyntax,
        "request.tariff.tax.rate",
    );
    check(
        limit_err(&taxed(ok.clone(), "0.19", false, "up"), "1"),
        ErrorCode::RoundingModeUnknown,
        "request.tariff.tax.rounding",
    );
    let cost_err = |quantity: &str, unit: Unit| {
        metered_cost(&MeteredCostRequest {
            tariff: ok.clone(),
            quantity: quantity.to_owned(),
            unit,
            hold: None,
        })
        .unwrap_err()
    };
    for quantity in ["1.001", "-1", "1000000.01"] {
        check(
            cost_err(quantity, Unit::Litre),
            ErrorCode::InvalidArgument,
            "request.quantity",
        );
    }
    check(
        cost_err(" 1", Unit::Litre),
        ErrorCode::AmountSyntax,
        "request.quantity",
    );
    check(
        cost_err("1", Unit::KilowattHour),
        ErrorCode::InvalidArgument,
        "request.unit",
    );
    // The bounds themselves are accepted.
    assert_eq!(cost(&ok, "1000000", None).quantity, "1000000.00");
    assert_eq!(cost(&ok, "-0", None).quantity, "0.00");
    let mut t = ok.clone();
    t.unit_price = "1000000000".to_owned();
    t.resolution = Some("0.000001".to_owned());
    assert_eq!(cost(&t, "0.000001", None).cost.total, "1000.00");
}

#[test]
fn units_and_codes_serialise_as_documented() {
    for (unit, name, decimals) in [
        (Unit::Litre, "litre", LITRE_RESOLUTION_DECIMALS),
        (Unit::KilowattHour, "kWh", KWH_RESOLUTION_DECIMALS),
        (Unit::Kilogram, "kg", KG_RESOLUTION_DECIMALS),
    ] {
        assert_eq!(serde_json::to_value(unit).unwrap(), name);
        assert_eq!(unit.as_str(), name);
        assert_eq!(unit.default_decimals(), decimals);
        assert_eq!(serde_json::from_value::<Unit>(name.into()).unwrap(), unit);
    }
    assert_eq!(Unit::ALL.len(), 3);
    let mut seen = std::collections::HashSet::new();
    for code in EnergyCode::ALL {
        assert!(seen.insert(code.as_str()));
        assert!(!code.description().is_empty());
        assert_eq!(EnergyCode::from_name(code.as_str()), Some(*code));
    }
    let json = serde_json::json!({
        "tariff": {"currency": "EUR", "unit": "litre", "unitPrice": "1.859", "costRounding": "half-even",
                   "tax": {"rate": "0.19", "priceIncludesTax": false, "rounding": "half-up"}},
        "hold": "50.00"
    });
    let request: DispenseLimitRequest = serde_json::from_value(json).unwrap();
    let out = serde_json::to_value(dispense_limit(&request).unwrap()).unwrap();
    assert_eq!(out["code"], "LIMIT_SET");
    assert!(out["maxQuantity"].is_string() && out["cost"]["total"].is_string());
    let bad = serde_json::json!({"tariff": request.tariff, "hold": "1", "extra": 1});
    assert!(serde_json::from_value::<DispenseLimitRequest>(bad).is_err());
}

#[test]
fn round_ratio_agrees_with_the_money_module() {
    // Denominators that are powers of ten can be checked against Amount::from_product.
    let eur = Currency::from_code("EUR").unwrap();
    for numerator in [
        0u128, 1, 4, 5, 6, 14, 15, 16, 25, 35, 99, 12_345, 12_350, 12_355,
    ] {
        for mode in RoundingMode::ALL {
            // numerator thousandths of a euro, rounded to cents: numerator / 10 minor units.
            let expected = Amount::from_product(
                Decimal::from_i128_with_scale(i128::try_from(numerator).unwrap(), 3),
                Decimal::ONE,
                eur,
                *mode,
            )
            .unwrap();
            assert_eq!(
                round_ratio(numerator, 10, *mode).map(|m| i128::try_from(m).unwrap()),
                Some(expected.to_minor_units()),
                "{numerator} {mode:?}"
            );
        }
    }
    assert_eq!(round_ratio(1, 0, RoundingMode::HalfEven), None);
    assert_eq!(
        round_ratio(u128::MAX, 2, RoundingMode::Ceiling),
        Some(u128::MAX / 2 + 1)
    );
}

// --------------------------------------------------------------------------- properties

fn rounding_name() -> impl Strategy<Value = String> {
    prop::sample::select(
        RoundingMode::ALL
            .iter()
            .map(|m| m.as_str().to_owned())
            .collect::<Vec<_>>(),
    )
}

prop_compose! {
    fn any_tariff()(
        currency in prop::sample::select(vec!["EUR", "JPY", "KWD", "USD", "BTC"]),
        unit in prop::sample::select(Unit::ALL.to_vec()),
        resolution in prop::option::of(0u32..=QUANTITY_DECIMALS_MAX),
        price_units in 1u64..=5_000_000,
        price_decimals in 0u32..=UNIT_PRICE_DECIMALS_MAX,
        cost_rounding in rounding_name(),
        tax in prop::option::of((0u32..=1_000_000, any::<bool>(), rounding_name())),
    ) -> Tariff {
        Tariff {
            currency: currency.to_owned(),
            unit,
            resolution: resolution.map(|d| Decimal::new(1, d).to_string()),
            unit_price: Decimal::new(i64::try_from(price_units).unwrap(), price_decimals).to_string(),
            cost_rounding,
            tax: tax.map(|(millionths, includes, rounding)| TaxRule {
                rate: Decimal::new(i64::from(millionths), 6).normalize().to_string(),
                price_includes_tax: includes,
                rounding,
            }),
        }
    }
}

fn decimals_of(limit: &DispenseLimit) -> u32 {
    Decimal::from_str(&limit.resolution).unwrap().scale()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(1_000)))]

    /// The derived maximum never costs more than the hold, one step more always does (unless
    /// capped), and any quantity up to the maximum fits: WITHIN_HOLD.
    #[test]
    fn the_derived_maximum_never_exceeds_the_hold(
        tariff in any_tariff(),
        hold_minor in 0u64..=10_000_000,
        fraction in 0.0f64..=1.0,
    ) {
        let currency = Currency::from_code(&tariff.currency).unwrap();
        let hold = Amount::from_minor_units(i128::from(hold_minor), currency).unwrap().to_string();
        let l = limit(&tariff, &hold);
        let total = Amount::parse(&l.cost.total, currency, None).unwrap();
        let held = Amount::parse(&hold, currency, None).unwrap();
        prop_assert!(total.to_minor_units() <= held.to_minor_units(), "{l:?}");
        let at_max = cost(&tariff, &l.max_quantity, Some(&hold));
        prop_assert_eq!(at_max.code, EnergyCode::WithinHold);
        prop_assert_eq!(&at_max.cost, &l.cost);
        let decimals = decimals_of(&l);
        if l.code != EnergyCode::QuantityCapped {
            let over = cost(&tariff, &next_step(&l.max_quantity, decimals), Some(&hold));
            prop_assert_eq!(over.code, EnergyCode::ExceedsHold, "one step more: {:?}", over);
        }
        prop_assert_eq!(l.code == EnergyCode::HoldTooSmall, Decimal::from_str(&l.max_quantity).unwrap().is_zero());
        // A quantity below the maximum (a fraction of it, at the resolution) fits.
        let max = Decimal::from_str(&l.max_quantity).unwrap();
        let below = (max * Decimal::from_f64_retain(fraction).unwrap())
            .round_dp_with_strategy(decimals, rust_decimal::RoundingStrategy::ToZero)
            .min(max);
        let partial = cost(&tariff, &below.to_string(), Some(&hold));
        prop_assert_eq!(partial.code, EnergyCode::WithinHold, "{:?}", partial);
    }

    /// Cost is non-decreasing in the quantity and net + tax = total.
    #[test]
    fn cost_is_monotone_and_adds_up(tariff in any_tariff(), steps in 0u64..1_000_000_000) {
        let pricing = pricing::Pricing::from_tariff(&tariff).unwrap();
        let a = pricing.cost(u128::from(steps));
        let b = pricing.cost(u128::from(steps) + 1);
        if let (Ok(a), Ok(b)) = (a, b) {
            prop_assert!(a.total.to_minor_units() <= b.total.to_minor_units());
            prop_assert_eq!(a.net.checked_add(&a.tax).unwrap(), a.total);
            prop_assert!(!a.tax.is_negative() && !a.net.is_negative());
        }
    }

    /// The search agrees with a linear scan where a scan is cheap.
    #[test]
    fn the_search_agrees_with_a_linear_scan(tariff in any_tariff(), hold_minor in 0u64..=3_000) {
        let currency = Currency::from_code(&tariff.currency).unwrap();
        let hold = Amount::from_minor_units(i128::from(hold_minor), currency).unwrap();
        let pricing = pricing::Pricing::from_tariff(&tariff).unwrap();
        let l = limit(&tariff, &hold.to_string());
        let decimals = decimals_of(&l);
        let steps = Decimal::from_str(&l.max_quantity).unwrap() * Decimal::from(10u64.pow(decimals));
        let steps = u128::try_from(steps.normalize().mantissa()).unwrap();
        if steps >= 20_000 {
            return Ok(()); // too long to scan; covered by the other properties
        }
        let mut scan = 0u128;
        while pricing.cost(scan + 1).is_ok_and(|c| c.total.to_minor_units() <= hold.to_minor_units()) {
            scan += 1;
        }
        prop_assert_eq!(steps, scan);
    }

    /// Exclusive-tax costs agree with rust_decimal's rounding of the exact products (values
    /// small enough that rust_decimal multiplies exactly).
    #[test]
    fn exclusive_cost_agrees_with_rust_decimal(
        price_units in 1i64..=10_000_000,
        quantity_steps in 0i64..=10_000_000,
        millionths in 0i64..=1_000_000,
        mode in prop::sample::select(RoundingMode::ALL.to_vec()),
        tax_mode in prop::sample::select(RoundingMode::ALL.to_vec()),
    ) {
        let price = Decimal::new(price_units, 3);
        let quantity = Decimal::new(quantity_steps, 2);
        let rate = Decimal::new(millionths, 6);
        let t = taxed(
            Tariff { currency: "EUR".to_owned(), unit: Unit::Litre, resolution: None, unit_price: price.to_string(), cost_rounding: mode.as_str().to_owned(), tax: None },
            &rate.normalize().to_string(), false, tax_mode.as_str(),
        );
        let c = cost(&t, &quantity.to_string(), None);
        let net = (price * quantity).round_dp_with_strategy(2, mode.strategy());
        let tax = (net * rate).round_dp_with_strategy(2, tax_mode.strategy());
        prop_assert_eq!(Decimal::from_str(&c.cost.net).unwrap(), net);
        prop_assert_eq!(Decimal::from_str(&c.cost.tax).unwrap(), tax);
        prop_assert_eq!(Decimal::from_str(&c.cost.total).unwrap(), net + tax);
    }

    /// Arbitrary strings in every field never panic.
    #[test]
    fn arbitrary_inputs_never_panic(
        currency in prop_oneof![Just("EUR".to_owned()), ".{0,4}"],
        resolution in prop::option::of(prop_oneof!["0\\.0{0,8}1", ".{0,10}"]),
        price in prop_oneof!["[0-9]{1,12}(\\.[0-9]{1,8})?", ".{0,30}"],
        rounding in prop_oneof![rounding_name(), ".{0,12}"],
        tax in prop::option::of((prop_oneof!["0\\.[0-9]{1,8}", ".{0,10}"], any::<bool>(), prop_oneof![rounding_name(), ".{0,12}"])),
        hold in prop_oneof!["[0-9]{1,30}(\\.[0-9]{1,3})?", ".{0,70}"],
        quantity in prop_oneof!["[0-9]{1,8}(\\.[0-9]{1,7})?", ".{0,70}"],
        unit in prop::sample::select(Unit::ALL.to_vec()),
    ) {
        let tariff = Tariff {
            currency,
            unit: Unit::Litre,
            resolution,
            unit_price: price,
            cost_rounding: rounding,
            tax: tax.map(|(rate, includes, rounding)| TaxRule { rate, price_includes_tax: includes, rounding }),
        };
        let _ = dispense_limit(&DispenseLimitRequest { tariff: tariff.clone(), hold: hold.clone() });
        let _ = metered_cost(&MeteredCostRequest { tariff, quantity, unit, hold: Some(hold) });
    }
}
