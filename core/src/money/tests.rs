//! Unit and property tests of amounts: parsing edges, every rejection, rounding, arithmetic,
//! splitting, and round trips.

use core::cmp::Ordering;
use core::str::FromStr;

use proptest::prelude::*;
use rust_decimal::Decimal;

use super::decimal::MANTISSA_MAX;
use super::*;
use crate::error::ErrorCode;

fn cur(code: &str) -> &'static Currency {
    Currency::from_code(code).unwrap()
}

fn amount(s: &str, code: &str) -> Amount {
    Amount::parse(s, cur(code), None).unwrap_or_else(|e| panic!("{s} {code}: {e}"))
}

fn parse_err(s: &str, code: &str, rounding: Option<RoundingMode>) -> crate::Error {
    let err = Amount::parse(s, cur(code), rounding).expect_err(s);
    assert_eq!(err.param(), "amount", "{s}");
    err
}

fn max_i128() -> i128 {
    i128::try_from(MANTISSA_MAX).unwrap()
}

// ---------------------------------------------------------------- parsing and display

#[test]
fn minor_units_max_is_the_edge_of_the_range_in_every_currency() {
    // The SDK checks its bigint arithmetic against this exported bound: it must be exactly the
    // largest magnitude accepted, in a 0-digit, a 2-digit and an 18-digit currency alike.
    let edge = i128::try_from(MINOR_UNITS_MAX).unwrap();
    for code in ["JPY", "EUR", "BTC", "ETH"] {
        for sign in [1, -1] {
            let at = Amount::from_minor_units(sign * edge, cur(code)).unwrap();
            assert_eq!(at.to_minor_units(), sign * edge, "{code}");
            let past = Amount::from_minor_units(sign * (edge + 1), cur(code)).unwrap_err();
            assert_eq!(past.code(), ErrorCode::AmountOutOfRange, "{code}");
        }
    }
}

#[test]
fn canonical_display_per_currency() {
    let cases = [
        ("12.3", "EUR", "12.30"),
        ("12.30", "EUR", "12.30"),
        ("0", "EUR", "0.00"),
        ("5", "JPY", "5"),
        ("0", "KWD", "0.000"),
        ("1.234", "KWD", "1.234"),
        ("0.00000001", "BTC", "0.00000001"),
        ("0.000000000000000001", "ETH", "0.000000000000000001"),
        ("1", "ETH", "1.000000000000000000"),
        ("-0.01", "EUR", "-0.01"),
        ("-5", "JPY", "-5"),
        ("1.2345", "CLF", "1.2345"),
        ("123456.789012", "USDC", "123456.789012"),
    ];
    for (input, code, expected) in cases {
        assert_eq!(amount(input, code).to_string(), expected, "{input} {code}");
    }
}

#[test]
fn negative_zero_is_zero() {
    for (input, code, expected) in [
        ("-0", "EUR", "0.00"),
        ("-0.00", "EUR", "0.00"),
        ("-0", "JPY", "0"),
        ("-0.000", "KWD", "0.000"),
    ] {
        let a = amount(input, code);
        assert_eq!(a.to_string(), expected);
        assert!(a.is_zero() && !a.is_negative());
        assert!(!a.value().is_sign_negative());
        assert_eq!(a, Amount::zero(cur(code)));
    }
}

#[test]
fn syntax_rejections() {
    for input in [
        "", " 1", "1 ", "+1", "1e3", "1E3", "01", "-01", "00", "1.", ".5", "-.5", ".", "-", "1,5",
        "1_000", "١", "1.2.3", "--1", "0x1", "NaN",
    ] {
        let err = parse_err(input, "EUR", None);
        assert_eq!(err.code(), ErrorCode::AmountSyntax, "{input:?}");
        // Rounding does not make bad syntax acceptable.
        assert_eq!(
            parse_err(input, "EUR", Some(RoundingMode::HalfEven)).code(),
            ErrorCode::AmountSyntax
        );
    }
    let err = parse_err("1e3", "EUR", None);
    assert_eq!(
        err.to_string(),
        "AMOUNT_SYNTAX: amount: exponent notation is not accepted: \"1e3\""
    );
}

#[test]
fn length_limit() {
    let ok = format!("1.{}", "0".repeat(AMOUNT_STRING_CHARS_MAX - 2));
    assert_eq!(amount(&ok, "EUR").to_string(), "1.00");
    let too_long = format!("1.{}", "0".repeat(AMOUNT_STRING_CHARS_MAX - 1));
    assert_eq!(
        parse_err(&too_long, "EUR", None).code(),
        ErrorCode::AmountSyntax
    );
    assert_eq!(
        Amount::from_minor_str(&"1".repeat(65), cur("EUR"))
            .unwrap_err()
            .code(),
        ErrorCode::AmountSyntax
    );
}

#[test]
fn trailing_zeros_beyond_scale_are_accepted() {
    assert_eq!(amount("1.2300", "EUR"), amount("1.23", "EUR"));
    assert_eq!(amount("5.000", "JPY").to_string(), "5");
    assert_eq!(amount("1.2340000000", "KWD").to_string(), "1.234");
    assert_eq!(amount("0.000000010", "BTC").to_minor_units(), 1);
}

#[test]
fn excess_precision_needs_a_rounding_mode() {
    for (input, code) in [
        ("1.234", "EUR"),
        ("5.5", "JPY"),
        ("1.2345", "KWD"),
        ("0.000000001", "BTC"),
        ("0.0000000000000000001", "ETH"),
        ("1.00001", "EUR"),
        ("0.001", "EUR"),
    ] {
        let err = parse_err(input, code, None);
        assert_eq!(err.code(), ErrorCode::AmountPrecision, "{input} {code}");
        assert!(err.message().contains(code), "{}", err.message());
    }
    assert_eq!(
        Amount::parse("1.234", cur("EUR"), Some(RoundingMode::HalfEven))
            .unwrap()
            .to_string(),
        "1.23"
    );
    assert_eq!(
        Amount::parse("5.5", cur("JPY"), Some(RoundingMode::HalfEven))
            .unwrap()
            .to_string(),
        "6"
    );
    assert_eq!(
        Amount::parse("4.5", cur("JPY"), Some(RoundingMode::HalfEven))
            .unwrap()
            .to_string(),
        "4"
    );
    // Rounding a tiny negative to zero gives zero, never "-0.00".
    let z = Amount::parse("-0.001", cur("EUR"), Some(RoundingMode::HalfEven)).unwrap();
    assert_eq!(z.to_string(), "0.00");
    assert!(!z.is_negative());
    assert_eq!(
        Amount::parse("-0.001", cur("EUR"), Some(RoundingMode::Floor))
            .unwrap()
            .to_string(),
        "-0.01"
    );
    // Many digits beyond the scale, including beyond Decimal's 28: decided on exact digits.
    let long_half = format!("0.00{}", "0".repeat(40)); // 0.00 followed by zeros: exact
    assert_eq!(amount(&long_half, "EUR").to_string(), "0.00");
    let just_over_half = format!("0.005{}1", "0".repeat(40));
    assert_eq!(
        Amount::parse(&just_over_half, cur("EUR"), Some(RoundingMode::HalfDown))
            .unwrap()
            .to_string(),
        "0.01"
    );
    let exact_half = format!("0.005{}", "0".repeat(40));
    assert_eq!(
        Amount::parse(&exact_half, cur("EUR"), Some(RoundingMode::HalfDown))
            .unwrap()
            .to_string(),
        "0.00"
    );
}

/// ±x.5, ±x.51, ±x.49 and ±0.5 in every mode (JPY, 0 minor units).
#[test]
fn rounding_mode_table() {
    use RoundingMode::*;
    let modes = [
        HalfEven,
        HalfUp,
        HalfDown,
        TowardZero,
        AwayFromZero,
        Floor,
        Ceiling,
    ];
    let table: [(&str, [&str; 7]); 13] = [
        ("2.5", ["2", "3", "2", "2", "3", "2", "3"]),
        ("3.5", ["4", "4", "3", "3", "4", "3", "4"]),
        ("-2.5", ["-2", "-3", "-2", "-2", "-3", "-3", "-2"]),
        ("-3.5", ["-4", "-4", "-3", "-3", "-4", "-4", "-3"]),
        ("2.51", ["3", "3", "3", "2", "3", "2", "3"]),
        ("-2.51", ["-3", "-3", "-3", "-2", "-3", "-3", "-2"]),
        ("2.49", ["2", "2", "2", "2", "3", "2", "3"]),
        ("-2.49", ["-2", "-2", "-2", "-2", "-3", "-3", "-2"]),
        ("0.5", ["0", "1", "0", "0", "1", "0", "1"]),
        ("-0.5", ["0", "-1", "0", "0", "-1", "-1", "0"]),
        ("-0.4", ["0", "0", "0", "0", "-1", "-1", "0"]),
        ("2.0", ["2", "2", "2", "2", "2", "2", "2"]),
        (
            "-2.500000000000000000000000000000001",
            ["-3", "-3", "-3", "-2", "-3", "-3", "-2"],
        ),
    ];
    for (input, expected) in table {
        for (mode, want) in modes.iter().zip(expected) {
            let got = Amount::parse(input, cur("JPY"), Some(*mode)).unwrap();
            assert_eq!(got.to_string(), want, "{input} {mode:?}");
            // Same answer as rust_decimal with the documented strategy, where it holds the input exactly.
            if input.len() < 30 {
                let d = Decimal::from_str(input).unwrap();
                assert_eq!(
                    d.round_dp_with_strategy(0, mode.strategy()),
                    got.value(),
                    "{input} {mode:?}"
                );
            }
        }
    }
}

#[test]
fn range_limits_at_each_scale() {
    // JPY: the whole 96-bit mantissa is the integer part.
    assert_eq!(
        amount("79228162514264337593543950335", "JPY").value(),
        Decimal::MAX
    );
    assert_eq!(
        amount("-79228162514264337593543950335", "JPY").value(),
        Decimal::MIN
    );
    for input in [
        "79228162514264337593543950336",
        "-79228162514264337593543950336",
        "100000000000000000000000000000000000000000",
    ] {
        assert_eq!(
            parse_err(input, "JPY", None).code(),
            ErrorCode::AmountOutOfRange,
            "{input}"
        );
    }
    // EUR: two of the digits are fraction.
    assert_eq!(
        amount("792281625142643375935439503.35", "EUR").to_minor_units(),
        max_i128()
    );
    assert_eq!(
        parse_err("792281625142643375935439503.36", "EUR", None).code(),
        ErrorCode::AmountOutOfRange
    );
    assert_eq!(
        parse_err("792281625142643375935439504", "EUR", None).code(),
        ErrorCode::AmountOutOfRange
    );
    // Precision is reported before range; rounding up past the maximum is out of range.
    assert_eq!(
        parse_err("792281625142643375935439503.355", "EUR", None).code(),
        ErrorCode::AmountPrecision
    );
    assert_eq!(
        parse_err(
            "792281625142643375935439503.355",
            "EUR",
            Some(RoundingMode::HalfUp)
        )
        .code(),
        ErrorCode::AmountOutOfRange
    );
    assert_eq!(
        Amount::parse(
            "792281625142643375935439503.355",
            cur("EUR"),
            Some(RoundingMode::HalfDown)
        )
        .unwrap()
        .to_minor_units(),
        max_i128()
    );
    // ETH: 18 decimals leave about 79 billion ETH.
    assert_eq!(
        amount("79228162514.264337593543950335", "ETH").to_minor_units(),
        max_i128()
    );
    assert_eq!(
        parse_err("79228162514.264337593543950336", "ETH", None).code(),
        ErrorCode::AmountOutOfRange
    );
    assert_eq!(
        parse_err("79228162515", "ETH", None).code(),
        ErrorCode::AmountOutOfRange
    );
}

// ---------------------------------------------------------------- minor units

#[test]
fn minor_units_edges() {
    let eur = cur("EUR");
    let a = Amount::from_minor_units(i128::from(u64::MAX), eur).unwrap();
    assert_eq!(a.to_string(), "184467440737095516.15");
    assert_eq!(a.to_minor_units(), i128::from(u64::MAX));
    assert_eq!(
        Amount::from_minor_str("18446744073709551615", eur).unwrap(),
        a
    );
    assert_eq!(
        Amount::from_minor_units(i128::from(u64::MAX), cur("JPY"))
            .unwrap()
            .to_string(),
        "18446744073709551615"
    );

    assert_eq!(
        Amount::from_minor_units(max_i128(), eur)
            .unwrap()
            .to_string(),
        "792281625142643375935439503.35"
    );
    assert_eq!(
        Amount::from_minor_units(-max_i128(), eur)
            .unwrap()
            .to_string(),
        "-792281625142643375935439503.35"
    );
    for minor in [max_i128() + 1, -max_i128() - 1, i128::MAX, i128::MIN] {
        let err = Amount::from_minor_units(minor, eur).unwrap_err();
        assert_eq!(
            (err.code(), err.param()),
            (ErrorCode::AmountOutOfRange, "minor"),
            "{minor}"
        );
        let err = Amount::from_minor_str(&minor.to_string(), eur).unwrap_err();
        assert_eq!(
            (err.code(), err.param()),
            (ErrorCode::AmountOutOfRange, "minor"),
            "{minor}"
        );
    }
    let beyond_u128 = "3402823669209384634633746074317682114560";
    assert_eq!(
        Amount::from_minor_str(beyond_u128, eur).unwrap_err().code(),
        ErrorCode::AmountOutOfRange
    );

    let zero = Amount::from_minor_str("-0", eur).unwrap();
    assert!(zero.is_zero() && !zero.is_negative());
    assert_eq!(zero.to_string(), "0.00");
    for bad in [
        "", "+1", "01", "1.0", "1e3", " 1", "1 ", "-", "1.", "0.5", "1_000",
    ] {
        let err = Amount::from_minor_str(bad, eur).unwrap_err();
        assert_eq!(
            (err.code(), err.param()),
            (ErrorCode::AmountSyntax, "minor"),
            "{bad:?}"
        );
    }
    assert_eq!(
        Amount::from_minor_units(1, cur("BTC")).unwrap().to_string(),
        "0.00000001"
    );
    assert_eq!(
        Amount::from_minor_units(1, cur("ETH")).unwrap().to_string(),
        "0.000000000000000001"
    );
    assert_eq!(
        Amount::from_minor_units(-1, cur("KWD"))
            .unwrap()
            .to_string(),
        "-0.001"
    );
    assert_eq!(
        Amount::from_minor_units(1230, eur).unwrap().to_string(),
        "12.30"
    );
}

#[test]
fn zero_has_the_currency_scale() {
    for c in Currency::all() {
        let z = Amount::zero(c);
        assert_eq!(z.value().scale(), c.minor_units(), "{}", c.code());
        assert_eq!(z.to_minor_units(), 0);
        assert_eq!(Amount::parse(&z.to_string(), c, None).unwrap(), z);
    }
    assert_eq!(Amount::zero(cur("KWD")).to_string(), "0.000");
    assert_eq!(Amount::zero(cur("JPY")).to_string(), "0");
}

#[test]
fn from_decimal_edges() {
    let jpy = cur("JPY");
    assert_eq!(
        Amount::from_decimal(Decimal::MAX, jpy, None)
            .unwrap()
            .value(),
        Decimal::MAX
    );
    assert_eq!(
        Amount::from_decimal(Decimal::MIN, jpy, None)
            .unwrap()
            .value(),
        Decimal::MIN
    );
    let err = Amount::from_decimal(Decimal::MAX, cur("EUR"), None).unwrap_err();
    assert_eq!(
        (err.code(), err.param()),
        (ErrorCode::AmountOutOfRange, "value")
    );
    let err =
        Amount::from_decimal(Decimal::from_str("1.005").unwrap(), cur("EUR"), None).unwrap_err();
    assert_eq!(err.code(), ErrorCode::AmountPrecision);
    let a = Amount::from_decimal(
        Decimal::from_str("1.005").unwrap(),
        cur("EUR"),
        Some(RoundingMode::HalfEven),
    )
    .unwrap();
    assert_eq!(a.to_string(), "1.00");
    assert_eq!(
        Amount::from_decimal(Decimal::from_str("1.5000").unwrap(), cur("EUR"), None)
            .unwrap()
            .to_string(),
        "1.50"
    );
    assert_eq!(
        Amount::from_decimal(Decimal::from_str("-0.000").unwrap(), cur("EUR"), None)
            .unwrap()
            .to_string(),
        "0.00"
    );
}

// ---------------------------------------------------------------- arithmetic

#[test]
fn add_sub_and_mismatch() {
    let a = amount("10.05", "EUR");
    let b = amount("0.95", "EUR");
    assert_eq!(a.checked_add(&b).unwrap().to_string(), "11.00");
    assert_eq!(a.checked_sub(&b).unwrap().to_string(), "9.10");
    assert_eq!(b.checked_sub(&a).unwrap().to_string(), "-9.10");
    assert_eq!(a.checked_sub(&a).unwrap().to_string(), "0.00");
    assert!(!a.checked_sub(&a).unwrap().is_negative());
    let yen = amount("1", "JPY");
    for err in [
        a.checked_add(&yen).unwrap_err(),
        a.checked_sub(&yen).unwrap_err(),
        a.cmp_amount(&yen).unwrap_err(),
    ] {
        assert_eq!(
            (err.code(), err.param()),
            (ErrorCode::CurrencyMismatch, "other")
        );
        assert!(err.message().contains("JPY") && err.message().contains("EUR"));
    }
    // Same scale, different currency: still a mismatch.
    assert_eq!(
        a.checked_add(&amount("1", "USD")).unwrap_err().code(),
        ErrorCode::CurrencyMismatch
    );
}

#[test]
fn add_sub_overflow() {
    let eur = cur("EUR");
    let max = Amount::from_minor_units(max_i128(), eur).unwrap();
    let min = Amount::from_minor_units(-max_i128(), eur).unwrap();
    let cent = amount("0.01", "EUR");
    for err in [
        max.checked_add(&cent).unwrap_err(),
        min.checked_sub(&cent).unwrap_err(),
        max.checked_sub(&min).unwrap_err(),
        min.checked_add(&min).unwrap_err(),
    ] {
        assert_eq!(
            (err.code(), err.param()),
            (ErrorCode::AmountOverflow, "other")
        );
    }
    assert_eq!(max.checked_add(&min).unwrap(), Amount::zero(eur));
    assert_eq!(
        max.checked_sub(&cent).unwrap().checked_add(&cent).unwrap(),
        max
    );
}

#[test]
fn multiplication_rounds_once_with_the_callers_mode() {
    let d = |s: &str| Decimal::from_str(s).unwrap();
    let ten = amount("10.00", "EUR");
    assert_eq!(
        ten.checked_mul(d("0.333"), RoundingMode::HalfEven)
            .unwrap()
            .to_string(),
        "3.33"
    );
    assert_eq!(
        ten.checked_mul(d("0.3335"), RoundingMode::HalfEven)
            .unwrap()
            .to_string(),
        "3.34"
    );
    assert_eq!(
        ten.checked_mul(d("-0.3335"), RoundingMode::HalfUp)
            .unwrap()
            .to_string(),
        "-3.34"
    );
    assert_eq!(
        ten.checked_mul(d("-0.3335"), RoundingMode::Ceiling)
            .unwrap()
            .to_string(),
        "-3.33"
    );
    let nickel = amount("0.05", "EUR");
    assert_eq!(
        nickel
            .checked_mul(d("0.5"), RoundingMode::HalfEven)
            .unwrap()
            .to_string(),
        "0.02"
    );
    assert_eq!(
        nickel
            .checked_mul(d("0.5"), RoundingMode::HalfUp)
            .unwrap()
            .to_string(),
        "0.03"
    );
    assert_eq!(
        nickel
            .checked_mul(d("0.5"), RoundingMode::HalfDown)
            .unwrap()
            .to_string(),
        "0.02"
    );
    assert_eq!(
        nickel
            .checked_mul(Decimal::ZERO, RoundingMode::HalfEven)
            .unwrap()
            .to_string(),
        "0.00"
    );
    assert_eq!(
        nickel
            .checked_mul(d("-0"), RoundingMode::HalfEven)
            .unwrap()
            .to_string(),
        "0.00"
    );
    assert_eq!(
        amount("-0.05", "EUR")
            .checked_mul(d("0.1"), RoundingMode::HalfEven)
            .unwrap()
            .to_string(),
        "0.00"
    );

    // The exact product 1e-30 has scale 30: Decimal::checked_mul would round it to zero before
    // we could apply Ceiling. Ours sees the exact digits.
    let cent = amount("0.01", "EUR");
    let tiny = d("0.0000000000000000000000000001");
    assert_eq!(
        cent.checked_mul(tiny, RoundingMode::Ceiling)
            .unwrap()
            .to_string(),
        "0.01"
    );
    assert_eq!(
        cent.checked_mul(tiny, RoundingMode::AwayFromZero)
            .unwrap()
            .to_string(),
        "0.01"
    );
    assert_eq!(
        cent.checked_mul(-tiny, RoundingMode::Floor)
            .unwrap()
            .to_string(),
        "-0.01"
    );
    assert_eq!(
        cent.checked_mul(tiny, RoundingMode::HalfUp)
            .unwrap()
            .to_string(),
        "0.00"
    );

    // A product whose mantissa exceeds 96 bits before rounding but fits after.
    let max = Amount::from_minor_units(max_i128(), cur("EUR")).unwrap();
    assert_eq!(
        max.checked_mul(d("0.5"), RoundingMode::HalfEven)
            .unwrap()
            .to_string(),
        "396140812571321687967719751.68"
    );
    assert_eq!(
        max.checked_mul(d("0.5"), RoundingMode::HalfDown)
            .unwrap()
            .to_string(),
        "396140812571321687967719751.67"
    );
    assert_eq!(
        max.checked_mul(Decimal::ONE, RoundingMode::HalfEven)
            .unwrap(),
        max
    );
    assert_eq!(
        max.checked_mul(Decimal::NEGATIVE_ONE, RoundingMode::HalfEven)
            .unwrap(),
        max.checked_neg().unwrap()
    );

    // Overflow is an error in every mode, never a truncation.
    for mode in RoundingMode::ALL {
        for factor in [
            d("2"),
            d("1.0000000000000000000000000001"),
            Decimal::MAX,
            Decimal::MIN,
        ] {
            let err = max.checked_mul(factor, *mode).unwrap_err();
            assert_eq!(
                (err.code(), err.param()),
                (ErrorCode::AmountOverflow, "factor"),
                "{factor} {mode:?}"
            );
        }
    }
    // Largest magnitudes on both sides at the largest scales.
    let eth_max = Amount::from_minor_units(max_i128(), cur("ETH")).unwrap();
    let factor = Decimal::from_i128_with_scale(max_i128(), 28); // 7.92...
    assert_eq!(
        eth_max
            .checked_mul(factor, RoundingMode::HalfEven)
            .unwrap_err()
            .code(),
        ErrorCode::AmountOverflow
    );
    let small = Decimal::from_i128_with_scale(1, 28);
    assert_eq!(
        eth_max
            .checked_mul(small, RoundingMode::HalfEven)
            .unwrap()
            .to_minor_units(),
        8
    ); // 7.92 wei
}

#[test]
fn product_of_two_decimals() {
    let d = |s: &str| Decimal::from_str(s).unwrap();
    // 1.799 EUR/l × 42.37 l = 76.22363 EUR.
    let cost =
        Amount::from_product(d("1.799"), d("42.37"), cur("EUR"), RoundingMode::HalfUp).unwrap();
    assert_eq!(cost.to_string(), "76.22");
    let cost =
        Amount::from_product(d("1.799"), d("42.37"), cur("EUR"), RoundingMode::Ceiling).unwrap();
    assert_eq!(cost.to_string(), "76.23");
    // Both operands at scale 28: 56 digits of scale in the exact product.
    let e = Decimal::from_i128_with_scale(max_i128(), 28);
    let p = Amount::from_product(e, e, cur("JPY"), RoundingMode::TowardZero).unwrap();
    assert_eq!(p.to_string(), "62");
    let err = Amount::from_product(
        Decimal::MAX,
        d("1.01"),
        cur("JPY"),
        RoundingMode::TowardZero,
    )
    .unwrap_err();
    assert_eq!(
        (err.code(), err.param()),
        (ErrorCode::AmountOverflow, "quantity")
    );
}

#[test]
fn compare_and_sign() {
    let a = amount("1.00", "EUR");
    let b = amount("1.01", "EUR");
    assert_eq!(a.cmp_amount(&b).unwrap(), Ordering::Less);
    assert_eq!(b.cmp_amount(&a).unwrap(), Ordering::Greater);
    assert_eq!(a.cmp_amount(&amount("1", "EUR")).unwrap(), Ordering::Equal);
    assert_eq!(
        amount("-1.00", "EUR")
            .cmp_amount(&amount("0.00", "EUR"))
            .unwrap(),
        Ordering::Less
    );
    assert!(amount("-0.01", "EUR").is_negative());
    assert!(!amount("0.01", "EUR").is_negative());
    assert_eq!(a.checked_neg().unwrap().to_string(), "-1.00");
    assert_eq!(a.checked_neg().unwrap().checked_neg().unwrap(), a);
    let z = Amount::zero(cur("EUR")).checked_neg().unwrap();
    assert!(z.is_zero() && !z.is_negative());
    assert_eq!(z.to_string(), "0.00");
    let max = Amount::from_minor_units(max_i128(), cur("EUR")).unwrap();
    assert_eq!(max.checked_neg().unwrap().to_minor_units(), -max_i128());
    // Amount is Copy.
    let copy = a;
    assert_eq!(copy, a);
    assert_eq!(a.currency().code(), "EUR");
}

// ---------------------------------------------------------------- split

fn split_strings(a: &str, code: &str, ratios: &[u64]) -> Vec<String> {
    amount(a, code)
        .split(ratios)
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn split_examples() {
    assert_eq!(
        split_strings("100.00", "EUR", &[1, 1, 1]),
        ["33.34", "33.33", "33.33"]
    );
    assert_eq!(split_strings("100.00", "EUR", &[0, 1]), ["0.00", "100.00"]);
    assert_eq!(split_strings("100.00", "EUR", &[1, 0]), ["100.00", "0.00"]);
    assert_eq!(
        split_strings("-100.00", "EUR", &[1, 1, 1]),
        ["-33.34", "-33.33", "-33.33"]
    );
    assert_eq!(split_strings("100", "JPY", &[1, 1, 1]), ["34", "33", "33"]);
    assert_eq!(split_strings("5", "JPY", &[1, 1]), ["3", "2"]);
    assert_eq!(split_strings("1", "JPY", &[1, 1, 1]), ["1", "0", "0"]);
    // The largest remainder wins over the earlier index.
    assert_eq!(split_strings("1.00", "EUR", &[1, 2]), ["0.33", "0.67"]);
    assert_eq!(
        split_strings("0.05", "EUR", &[1, 1, 1, 1, 1, 1]),
        ["0.01", "0.01", "0.01", "0.01", "0.01", "0.00"]
    );
    assert_eq!(split_strings("0.00", "EUR", &[1, 2]), ["0.00", "0.00"]);
    assert_eq!(split_strings("10.00", "EUR", &[7]), ["10.00"]);
    assert_eq!(
        split_strings("1.00", "EUR", &[u64::MAX, u64::MAX]),
        ["0.50", "0.50"]
    );
    assert_eq!(
        split_strings("1.00", "EUR", &[u64::MAX, 1]),
        ["1.00", "0.00"]
    );
    // Zero-split parts are never negative zero.
    let parts = amount("-0.01", "EUR").split(&[1, 1]).unwrap();
    assert_eq!(parts[1].to_string(), "0.00");
    assert!(!parts[1].is_negative());
}

#[test]
fn split_extremes_use_exact_wide_arithmetic() {
    let max = Amount::from_minor_units(max_i128(), cur("JPY")).unwrap();
    let parts = max.split(&[u64::MAX, u64::MAX - 1, 3]).unwrap();
    let sum = parts
        .iter()
        .try_fold(Amount::zero(cur("JPY")), |acc, p| acc.checked_add(p))
        .unwrap();
    assert_eq!(sum, max);
    let ratios = vec![u64::MAX; SPLIT_PARTS_MAX];
    let parts = max.checked_neg().unwrap().split(&ratios).unwrap();
    assert_eq!(parts.len(), SPLIT_PARTS_MAX);
    let total: i128 = parts.iter().map(Amount::to_minor_units).sum();
    assert_eq!(total, -max_i128());
    // 2^96 - 1 = 79228162514264337593543950 * 1000 + 335: the first 335 parts get one more.
    assert_eq!(
        parts[0].to_minor_units(),
        -79_228_162_514_264_337_593_543_951
    );
    assert_eq!(
        parts[334].to_minor_units(),
        -79_228_162_514_264_337_593_543_951
    );
    assert_eq!(
        parts[335].to_minor_units(),
        -79_228_162_514_264_337_593_543_950
    );
}

#[test]
fn split_rejections() {
    let a = amount("1.00", "EUR");
    let too_many = vec![1u64; SPLIT_PARTS_MAX + 1];
    for ratios in [&[][..], &[0][..], &[0, 0, 0][..], &too_many[..]] {
        let err = a.split(ratios).unwrap_err();
        assert_eq!(
            (err.code(), err.param()),
            (ErrorCode::SplitRatiosInvalid, "ratios"),
            "{}",
            ratios.len()
        );
    }
}

// ---------------------------------------------------------------- properties

fn any_currency() -> impl Strategy<Value = &'static Currency> {
    (0..Currency::all().len()).prop_map(|i| &Currency::all()[i])
}

fn any_minor() -> impl Strategy<Value = i128> {
    let max = max_i128();
    prop_oneof![
        -max..=max,
        -1_000_000i128..=1_000_000,
        Just(max),
        Just(-max),
        Just(0),
        Just(i128::from(u64::MAX)),
    ]
}

/// An independent statement of the grammar, for comparison with the lexer.
fn matches_grammar(s: &str) -> bool {
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    let (integer, fraction) = match unsigned.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (unsigned, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    s.len() <= AMOUNT_STRING_CHARS_MAX
        && digits(integer)
        && (integer == "0" || !integer.starts_with('0'))
        && fraction.map_or(true, digits)
}

/// Strings near the grammar: signs, digits, points, exponents, separators, spaces, lengths.
fn near_grammar() -> impl Strategy<Value = String> {
    proptest::string::string_regex(
        r"[-+ ]?[0-9]{0,3}[0-9e_,. \-]?[0-9]{0,30}(\.[0-9]{0,35})?[eE ]?[0-9]{0,2}",
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(crate::money::proptest_cases(10_000)))]

    #[test]
    fn parse_never_panics_on_arbitrary_text(
        s in "\\PC*",
        c in any_currency(),
        mode in proptest::option::of(proptest::sample::select(RoundingMode::ALL)),
    ) {
        match Amount::parse(&s, c, mode) {
            Ok(a) => prop_assert_eq!(a.value().scale(), c.minor_units()),
            Err(e) => {
                prop_assert_eq!(e.param(), "amount");
                prop_assert!(matches!(e.code(), ErrorCode::AmountSyntax | ErrorCode::AmountPrecision | ErrorCode::AmountOutOfRange));
            }
        }
        let _ = Amount::from_minor_str(&s, c);
        let _ = parse_decimal(&s, "x");
    }

    #[test]
    fn parser_accepts_exactly_the_grammar(s in near_grammar(), c in any_currency()) {
        let result = Amount::parse(&s, c, Some(RoundingMode::HalfEven));
        let syntax_error = matches!(&result, Err(e) if e.code() == ErrorCode::AmountSyntax);
        prop_assert_eq!(!syntax_error, matches_grammar(&s), "{:?} -> {:?}", s, result);
        if let Ok(a) = result {
            // The canonical form reparses to the same amount.
            prop_assert_eq!(Amount::parse(&a.to_string(), c, None).unwrap(), a);
            // Where rust_decimal can hold the input exactly, rounding agrees with its strategy.
            if let Ok(d) = Decimal::from_str(&s) {
                if s.trim_start_matches('-').len() <= 28 {
                    let expected = d.round_dp_with_strategy(c.minor_units(), RoundingMode::HalfEven.strategy());
                    prop_assert_eq!(a.value(), expected);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(crate::money::proptest_cases(2_000)))]

    #[test]
    fn display_parse_round_trip(minor in any_minor(), c in any_currency()) {
        let a = Amount::from_minor_units(minor, c).unwrap();
        prop_assert_eq!(a.to_minor_units(), minor);
        let text = a.to_string();
        prop_assert_eq!(Amount::parse(&text, c, None).unwrap(), a);
        prop_assert_eq!(Amount::from_minor_str(&minor.to_string(), c).unwrap(), a);
        prop_assert_eq!(a.value().scale(), c.minor_units());
        // The canonical form has exactly minor_units fraction digits.
        let fraction_len = text.split_once('.').map_or(0, |(_, f)| f.len());
        prop_assert_eq!(fraction_len, c.minor_units() as usize);
        // rust_decimal agrees on the value.
        prop_assert_eq!(Decimal::from_str(&text).unwrap(), a.value());
    }

    #[test]
    fn add_sub_are_inverse_and_overflow_exactly(
        x in any_minor(),
        y in any_minor(),
        c in any_currency(),
    ) {
        let a = Amount::from_minor_units(x, c).unwrap();
        let b = Amount::from_minor_units(y, c).unwrap();
        let sum = x + y;
        match a.checked_add(&b) {
            Ok(s) => {
                prop_assert_eq!(s.to_minor_units(), sum);
                prop_assert_eq!(s.checked_sub(&b).unwrap(), a);
            }
            Err(e) => {
                prop_assert_eq!(e.code(), ErrorCode::AmountOverflow);
                prop_assert!(sum.unsigned_abs() > MANTISSA_MAX);
            }
        }
        match a.checked_sub(&b) {
            Ok(d) => prop_assert_eq!(d.checked_add(&b).unwrap(), a),
            Err(_) => prop_assert!((x - y).unsigned_abs() > MANTISSA_MAX),
        }
        prop_assert_eq!(a.cmp_amount(&b).unwrap(), x.cmp(&y));
    }

    #[test]
    fn split_sums_to_whole_within_one_unit(
        minor in -(1i128 << 88)..(1i128 << 88),
        ratios in proptest::collection::vec(prop_oneof![Just(0u64), 0u64..=u64::from(u32::MAX)], 1..40),
        c in any_currency(),
    ) {
        let a = Amount::from_minor_units(minor, c).unwrap();
        let total: u128 = ratios.iter().map(|&r| u128::from(r)).sum();
        match a.split(&ratios) {
            Err(e) => {
                prop_assert_eq!(e.code(), ErrorCode::SplitRatiosInvalid);
                prop_assert_eq!(total, 0);
            }
            Ok(parts) => {
                prop_assert_eq!(parts.len(), ratios.len());
                let sum: i128 = parts.iter().map(Amount::to_minor_units).sum();
                prop_assert_eq!(sum, minor);
                let whole = minor.unsigned_abs();
                for (part, &ratio) in parts.iter().zip(&ratios) {
                    prop_assert_eq!(part.currency(), c);
                    let magnitude = part.to_minor_units().unsigned_abs();
                    prop_assert!(!part.is_negative() || minor < 0);
                    // |part - whole * ratio / total| < 1, i.e. |part * total - whole * ratio| < total.
                    let scaled = magnitude * total;
                    let exact = whole * u128::from(ratio);
                    prop_assert!(scaled.abs_diff(exact) < total, "part {} ratio {} of {}", magnitude, ratio, whole);
                    if ratio == 0 {
                        prop_assert!(part.is_zero());
                    }
                }
            }
        }
    }

    #[test]
    fn mul_agrees_with_decimal_where_decimal_is_exact(
        minor in any::<i64>(),
        factor_mantissa in any::<i32>(),
        factor_scale in 0u32..=8,
        c in any_currency(),
        mode in proptest::sample::select(RoundingMode::ALL),
    ) {
        let a = Amount::from_minor_units(i128::from(minor), c).unwrap();
        let factor = Decimal::from_i128_with_scale(i128::from(factor_mantissa), factor_scale);
        let exact = a.value() * factor; // below 2^95, scale at most 26: rust_decimal is exact here
        prop_assume!(exact.scale() == c.minor_units() + factor_scale);
        let expected = exact.round_dp_with_strategy(c.minor_units(), mode.strategy());
        let got = a.checked_mul(factor, mode).unwrap();
        prop_assert_eq!(got.value(), expected);
        prop_assert!(!(got.is_zero() && got.value().is_sign_negative()));
    }

    #[test]
    fn parse_with_rounding_agrees_with_decimal(
        int in 0u64..1_000_000_000,
        frac in "[0-9]{1,18}",
        negative in any::<bool>(),
        c in any_currency(),
        mode in proptest::sample::select(RoundingMode::ALL),
    ) {
        let text = format!("{}{int}.{frac}", if negative { "-" } else { "" });
        let d = Decimal::from_str(&text).unwrap();
        let got = Amount::parse(&text, c, Some(mode)).unwrap();
        prop_assert_eq!(got.value(), d.round_dp_with_strategy(c.minor_units(), mode.strategy()));
        // Without a mode: accepted exactly when nothing nonzero is beyond the scale.
        let strict = Amount::parse(&text, c, None);
        let lossless = d.round_dp_with_strategy(c.minor_units(), rust_decimal::RoundingStrategy::ToZero) == d;
        prop_assert_eq!(strict.is_ok(), lossless);
        if let Err(e) = strict {
            prop_assert_eq!(e.code(), ErrorCode::AmountPrecision);
        }
    }
}
