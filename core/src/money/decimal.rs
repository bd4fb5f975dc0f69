//! The strict decimal grammar, exact construction of `Decimal`s, and the wide-integer helpers
//! that let products and splits be computed exactly.
//!
//! Grammar (amounts, minor units and plain decimals alike):
//!
//! ```text
//! decimal = ["-"] ( "0" | nonzero-digit *digit ) [ "." 1*digit ]      ; ASCII digits only
//! ```
//!
//! Nothing else is accepted: no whitespace, no `+`, no exponent, no leading zeros, no bare or
//! dangling decimal point, no digit separators, no non-ASCII digits, and at most
//! [`AMOUNT_STRING_CHARS_MAX`] characters. `rust_decimal`'s own `from_str` is never used: it
//! accepts `_` separators and silently rounds digits beyond its precision.

use rust_decimal::Decimal;

use super::rounding::Remainder;
use crate::error::{Error, ErrorCode, Result};

/// The longest amount or decimal string accepted, in characters. Longer input is rejected with
/// `AMOUNT_SYNTAX` before it is looked at. 64 leaves room for the largest representable value
/// (29 digits) with 28 fraction digits, a sign and a point, plus harmless trailing zeros.
pub const AMOUNT_STRING_CHARS_MAX: usize = 64;

/// The largest `Decimal` mantissa, 2^96 - 1 = 79228162514264337593543950335.
pub(crate) const MANTISSA_MAX: u128 = (1 << 96) - 1;

/// The largest `Decimal` scale.
const DECIMAL_SCALE_MAX: u32 = 28;

/// How many characters of a rejected input are quoted back in an error message.
const EXCERPT_CHARS_MAX: usize = 64;

/// `s` shortened for quoting in an error message (callers format it with `{:?}`, which also
/// escapes control characters).
pub(crate) fn excerpt(s: &str) -> String {
    let mut chars = s.chars();
    let mut out: String = chars.by_ref().take(EXCERPT_CHARS_MAX).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

/// A string that matched the grammar: sign and digit runs, all ASCII digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lexed<'a> {
    /// A leading `-` was present (also for `-0`: the caller decides what a negative zero is).
    pub negative: bool,
    /// Integer digits: `"0"` or no leading zero.
    pub integer: &'a str,
    /// Fraction digits after the point (`None` when there is no point; never empty).
    pub fraction: Option<&'a str>,
}

/// Checks `s` against the grammar. Errors are `AMOUNT_SYNTAX` about `param`, saying why.
pub(crate) fn lex<'a>(s: &'a str, param: &'static str) -> Result<Lexed<'a>> {
    let syntax = |why: &str| {
        Error::new(
            ErrorCode::AmountSyntax,
            param,
            format!("{why}: {:?}", excerpt(s)),
        )
    };
    // Bytes, not chars: O(1), and any input within the limit in chars but not in bytes holds a
    // non-ASCII character and is rejected below anyway.
    if s.len() > AMOUNT_STRING_CHARS_MAX {
        return Err(Error::new(
            ErrorCode::AmountSyntax,
            param,
            format!(
                "is {} bytes long, more than AMOUNT_STRING_CHARS_MAX ({AMOUNT_STRING_CHARS_MAX}): {:?}",
                s.len(),
                excerpt(s)
            ),
        ));
    }
    if s.is_empty() {
        return Err(syntax("is empty"));
    }
    // First pass: name the first character that can never appear, for a precise message.
    for (position, ch) in s.char_indices() {
        let why = match ch {
            '0'..='9' | '.' | '-' => continue,
            _ if ch.is_whitespace() => "whitespace is not accepted",
            'e' | 'E' => "exponent notation is not accepted",
            '+' if position == 0 => "a leading '+' is not accepted",
            ',' | '_' | '\'' => "digit group separators are not accepted",
            _ if ch.is_numeric() => "only ASCII digits 0-9 are accepted",
            _ => "unexpected character (expected digits, an optional leading '-' and one '.')",
        };
        return Err(syntax(why));
    }
    let (negative, unsigned) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    if unsigned.contains('-') {
        return Err(syntax("'-' is only accepted as the first character"));
    }
    let (integer, fraction) = match unsigned.split_once('.') {
        Some((integer, fraction)) => (integer, Some(fraction)),
        None => (unsigned, None),
    };
    if integer.is_empty() {
        return Err(syntax(if unsigned.is_empty() {
            "a sign must be followed by digits"
        } else {
            "a decimal point needs a digit before it (write \"0.5\", not \".5\")"
        }));
    }
    if integer.len() > 1 && integer.starts_with('0') {
        return Err(syntax("leading zeros are not accepted"));
    }
    match fraction {
        Some("") => Err(syntax(
            "a decimal point needs a digit after it (write \"1\" or \"1.0\", not \"1.\")",
        )),
        Some(f) if f.contains('.') => Err(syntax("only one decimal point is accepted")),
        _ => Ok(Lexed {
            negative,
            integer,
            fraction,
        }),
    }
}

/// `acc` followed by the ASCII `digits`, or `None` if that exceeds `u128`.
pub(crate) fn append_digits(acc: u128, digits: &str) -> Option<u128> {
    digits.bytes().try_fold(acc, |acc, digit| {
        acc.checked_mul(10)?
            .checked_add(u128::from(digit.checked_sub(b'0')?))
    })
}

/// 10^exponent, or `None` above 10^38.
pub(crate) fn pow10(exponent: u32) -> Option<u128> {
    10u128.checked_pow(exponent)
}

/// The lexed value as a magnitude at `scale`: the digits beyond `scale` are dropped (toward
/// zero) and described by the returned [`Remainder`]. The magnitude is `None` when it does not
/// fit `u128` (and therefore not a `Decimal` either); the remainder is computed regardless so
/// that callers can report a precision problem before a range problem.
pub(crate) fn magnitude_at_scale(lexed: &Lexed<'_>, scale: u32) -> (Option<u128>, Remainder) {
    let fraction = lexed.fraction.unwrap_or("");
    let kept_len = fraction
        .len()
        .min(usize::try_from(scale).unwrap_or(usize::MAX));
    let (kept, dropped) = fraction
        .split_at_checked(kept_len)
        .unwrap_or((fraction, ""));
    let remainder = remainder_of_digits(dropped);
    let padding = u32::try_from(kept_len)
        .ok()
        .and_then(|kept_len| scale.checked_sub(kept_len));
    let magnitude = append_digits(0, lexed.integer)
        .and_then(|m| append_digits(m, kept))
        .and_then(|m| m.checked_mul(pow10(padding?)?));
    (magnitude, remainder)
}

/// Where the fraction `0.<digits>` lies relative to one half.
fn remainder_of_digits(digits: &str) -> Remainder {
    let mut bytes = digits.bytes();
    let first = bytes.next().unwrap_or(b'0');
    let rest_nonzero = bytes.any(|b| b != b'0');
    match first {
        b'0' if !rest_nonzero => Remainder::Zero,
        b'0'..=b'4' => Remainder::BelowHalf,
        b'5' if !rest_nonzero => Remainder::Half,
        _ => Remainder::AboveHalf,
    }
}

/// A `Decimal` from a sign, a magnitude and a scale, or `None` if out of range. Zero is always
/// built positive: there is no negative zero in this crate.
pub(crate) fn decimal_from_parts(negative: bool, magnitude: u128, scale: u32) -> Option<Decimal> {
    if magnitude > MANTISSA_MAX {
        return None;
    }
    let magnitude = i128::try_from(magnitude).ok()?;
    let signed = if negative {
        magnitude.checked_neg()?
    } else {
        magnitude
    };
    Decimal::try_from_i128_with_scale(signed, scale).ok()
}

/// Strict decimal parse for values that are not amounts (prices, factors, quantities).
///
/// Same grammar as amounts. The value is exact: the scale written is kept (`"1.50"` has scale
/// 2) when representable; trailing fraction zeros are dropped only when needed to fit
/// `Decimal` (at most 28 fraction digits, mantissa below 2^96). `"-0"` gives positive zero.
///
/// Errors, about `param`: `AMOUNT_SYNTAX` (grammar, length), `AMOUNT_OUT_OF_RANGE` (the exact
/// value is not representable: too large, or more than 28 significant fraction digits).
pub fn parse_decimal(s: &str, param: &'static str) -> Result<Decimal> {
    let lexed = lex(s, param)?;
    let fraction = lexed.fraction.unwrap_or("");
    let trimmed = fraction.trim_end_matches('0');
    [fraction, trimmed]
        .into_iter()
        .find_map(|fraction| {
            let scale = u32::try_from(fraction.len())
                .ok()
                .filter(|&scale| scale <= DECIMAL_SCALE_MAX)?;
            let magnitude = append_digits(append_digits(0, lexed.integer)?, fraction)?;
            decimal_from_parts(lexed.negative, magnitude, scale)
        })
        .ok_or_else(|| {
            Error::new(
                ErrorCode::AmountOutOfRange,
                param,
                format!(
                    "is outside the exactly representable range (at most 28 fraction digits and \
                     a magnitude below 2^96 at that scale): {:?}",
                    excerpt(s)
                ),
            )
        })
}

/// The 256-bit product of two `u128`s, as (high, low) halves.
pub(crate) fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    const LOW_64: u128 = u64::MAX as u128;
    let (a_hi, a_lo) = (a >> 64, a & LOW_64);
    let (b_hi, b_lo) = (b >> 64, b & LOW_64);
    // Each partial product of two 64-bit halves is below 2^128: no overflow.
    let lo_lo = a_lo * b_lo;
    let lo_hi = a_lo * b_hi;
    let hi_lo = a_hi * b_lo;
    let hi_hi = a_hi * b_hi;
    // Three terms below 2^64 each: below 2^66.
    let middle = (lo_lo >> 64) + (lo_hi & LOW_64) + (hi_lo & LOW_64);
    // The shift discards the bits of `middle` above 64, which are carried into `high`.
    let low = (lo_lo & LOW_64) | (middle << 64);
    // The full product is below 2^256, so the high half cannot overflow.
    let high = hi_hi + (lo_hi >> 64) + (hi_lo >> 64) + (middle >> 64);
    (high, low)
}

/// (quotient, remainder) of the 256-bit `(high, low)` divided by `divisor`, or `None` when the
/// divisor is zero or the quotient does not fit `u128` (exactly when `high >= divisor`).
pub(crate) fn div_wide(high: u128, low: u128, divisor: u128) -> Option<(u128, u128)> {
    if divisor == 0 || high >= divisor {
        return None;
    }
    // Schoolbook binary long division; `remainder < divisor` holds at the top of each step.
    let mut remainder = high;
    let mut quotient = 0u128;
    for bit in (0..128).rev() {
        let carry = remainder >> 127;
        remainder = (remainder << 1) | ((low >> bit) & 1);
        quotient <<= 1;
        if carry == 1 || remainder >= divisor {
            // With a carry the true value is 2^128 + remainder, and the difference is below the
            // divisor, so the wrapping subtraction gives the exact result.
            remainder = remainder.wrapping_sub(divisor);
            quotient |= 1;
        }
    }
    Some((quotient, remainder))
}

/// Where `remainder / divisor` lies relative to one half (`remainder < divisor`).
fn classify(remainder: u128, divisor: u128) -> Remainder {
    if remainder == 0 {
        return Remainder::Zero;
    }
    match remainder.checked_mul(2).map(|twice| twice.cmp(&divisor)) {
        Some(core::cmp::Ordering::Less) => Remainder::BelowHalf,
        Some(core::cmp::Ordering::Equal) => Remainder::Half,
        // 2 * remainder overflowing means it is certainly above the divisor.
        Some(core::cmp::Ordering::Greater) | None => Remainder::AboveHalf,
    }
}

/// The exact product `(a / 10^a_scale) * (b / 10^b_scale)` expressed at `target_scale`: the
/// magnitude truncated toward zero, and where the dropped part lies. `None` when the truncated
/// magnitude does not fit `u128`.
///
/// `a` and `b` are `Decimal` mantissas (below 2^96), so the product is below 2^192 and the
/// scales are at most 28 each.
pub(crate) fn scale_product(
    a: u128,
    a_scale: u32,
    b: u128,
    b_scale: u32,
    target_scale: u32,
) -> Option<(u128, Remainder)> {
    let (high, low) = mul_wide(a, b);
    let product_scale = a_scale.checked_add(b_scale)?;
    let Some(excess) = product_scale.checked_sub(target_scale) else {
        // More digits wanted than the product has: multiply, which is exact or overflows.
        if high != 0 {
            return None;
        }
        let magnitude = low.checked_mul(pow10(target_scale.checked_sub(product_scale)?)?)?;
        return Some((magnitude, Remainder::Zero));
    };
    // Divide by 10^excess, in two steps when 10^excess exceeds u128 (excess is at most 56). The
    // first step takes as much as fits (10^38) so that, whenever a second step is needed, the
    // first quotient is below 2^192 / 10^38 < 2^128 and `div_wide` cannot refuse it wrongly.
    let first = excess.min(38);
    let second = excess.checked_sub(first)?;
    let first_divisor = pow10(first)?;
    let (quotient, first_remainder) = div_wide(high, low, first_divisor)?;
    if second == 0 {
        return Some((quotient, classify(first_remainder, first_divisor)));
    }
    let second_divisor = pow10(second)?;
    let final_quotient = quotient.checked_div(second_divisor)?;
    let second_remainder = quotient.checked_rem(second_divisor)?;
    // The dropped fraction is (second_remainder + first_remainder / first_divisor) /
    // second_divisor. The second divisor is a power of ten, hence even, so a first remainder
    // only matters when the second remainder sits exactly on a half or at zero.
    let remainder = match classify(second_remainder, second_divisor) {
        Remainder::Zero if first_remainder == 0 => Remainder::Zero,
        Remainder::Zero => Remainder::BelowHalf,
        Remainder::Half if first_remainder == 0 => Remainder::Half,
        Remainder::Half => Remainder::AboveHalf,
        other => other,
    };
    Some((final_quotient, remainder))
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::str::FromStr;
    use proptest::prelude::*;

    fn syntax_reason(s: &str) -> String {
        let err = parse_decimal(s, "factor").unwrap_err();
        assert_eq!(err.code(), ErrorCode::AmountSyntax, "{s:?}: {err}");
        assert_eq!(err.param(), "factor");
        err.message().to_owned()
    }

    #[test]
    fn grammar_rejections_say_why() {
        let cases = [
            ("", "is empty"),
            (" 1", "whitespace"),
            ("1 ", "whitespace"),
            ("1 000", "whitespace"),
            ("\t1", "whitespace"),
            ("1\u{a0}", "whitespace"),
            ("+1", "leading '+'"),
            ("1+1", "unexpected character"),
            ("1e3", "exponent"),
            ("1E3", "exponent"),
            ("1.5e-3", "exponent"),
            ("01", "leading zeros"),
            ("-01", "leading zeros"),
            ("00.5", "leading zeros"),
            ("1.", "digit after it"),
            ("-1.", "digit after it"),
            (".5", "digit before it"),
            ("-.5", "digit before it"),
            (".", "digit before it"),
            ("-", "sign must be followed"),
            ("--1", "only accepted as the first"),
            ("1-", "only accepted as the first"),
            ("1.2.3", "only one decimal point"),
            ("1,000", "separators"),
            ("1_000", "separators"),
            ("1'000", "separators"),
            ("١", "ASCII digits"),
            ("１", "ASCII digits"),
            ("NaN", "unexpected character"),
            ("inf", "unexpected character"),
            ("0x10", "unexpected character"),
            ("$1", "unexpected character"),
        ];
        for (input, why) in cases {
            let message = syntax_reason(input);
            assert!(message.contains(why), "{input:?}: {message}");
            assert!(
                message.contains(&format!("{:?}", input)),
                "{input:?} not quoted: {message}"
            );
        }
    }

    #[test]
    fn length_limit_is_checked_first() {
        let at_limit = format!("1.{}", "0".repeat(AMOUNT_STRING_CHARS_MAX - 2));
        assert_eq!(parse_decimal(&at_limit, "x").unwrap(), Decimal::ONE);
        let over = format!("1.{}", "0".repeat(AMOUNT_STRING_CHARS_MAX - 1));
        let message = syntax_reason(&over);
        assert!(message.contains("AMOUNT_STRING_CHARS_MAX"), "{message}");
        assert!(message.contains('…'), "long input is shortened: {message}");
        // Over the limit even though it would otherwise be a different error.
        let spaced = format!(" {}", "1".repeat(AMOUNT_STRING_CHARS_MAX));
        assert!(syntax_reason(&spaced).contains("AMOUNT_STRING_CHARS_MAX"));
    }

    #[test]
    fn parse_decimal_is_exact_and_keeps_the_written_scale() {
        let d = parse_decimal("1.50", "p").unwrap();
        assert_eq!((d.mantissa(), d.scale()), (150, 2));
        let d = parse_decimal("-0", "p").unwrap();
        assert!(d.is_zero() && !d.is_sign_negative());
        let d = parse_decimal("-0.000", "p").unwrap();
        assert!(d.is_zero() && !d.is_sign_negative());
        assert_eq!(d.scale(), 3);
        let d = parse_decimal("-12.345", "p").unwrap();
        assert_eq!((d.mantissa(), d.scale()), (-12345, 3));
        assert_eq!(
            parse_decimal("79228162514264337593543950335", "p").unwrap(),
            Decimal::MAX
        );
        assert_eq!(
            parse_decimal("-79228162514264337593543950335", "p").unwrap(),
            Decimal::MIN
        );
        // Trailing zeros are dropped only when needed to fit.
        let d = parse_decimal("79228162514264337593543950335.000", "p").unwrap();
        assert_eq!((d, d.scale()), (Decimal::MAX, 0));
        let smallest = format!("0.{}1", "0".repeat(27));
        let d = parse_decimal(&smallest, "p").unwrap();
        assert_eq!((d.mantissa(), d.scale()), (1, 28));
        let d = parse_decimal(&format!("{smallest}000"), "p").unwrap();
        assert_eq!((d.mantissa(), d.scale()), (1, 28));
    }

    #[test]
    fn parse_decimal_out_of_range() {
        for s in [
            "79228162514264337593543950336",
            "-79228162514264337593543950336",
            "340282366920938463463374607431768211456", // 2^128: beyond u128 too
            "7922816251426433759354395033.51",         // fits 29 digits only at scale 1
            "0.00000000000000000000000000001",         // 29 fraction digits
            "8.0000000000000000000000000001",          // 29 significant digits at scale 28
        ] {
            let err = parse_decimal(s, "price").unwrap_err();
            assert_eq!(err.code(), ErrorCode::AmountOutOfRange, "{s}");
            assert_eq!(err.param(), "price");
        }
        // 28 significant fraction digits with a small integer part still fit.
        let d = parse_decimal("7.9228162514264337593543950335", "p").unwrap();
        assert_eq!(
            (d.mantissa(), d.scale()),
            (79228162514264337593543950335, 28)
        );
    }

    #[test]
    fn wide_multiplication_and_division() {
        assert_eq!(mul_wide(u128::MAX, u128::MAX), (u128::MAX - 1, 1));
        assert_eq!(mul_wide(1 << 64, 1 << 64), (1, 0));
        assert_eq!(mul_wide(0, u128::MAX), (0, 0));
        assert_eq!(div_wide(1, 0, 2), Some((1 << 127, 0)));
        assert_eq!(div_wide(0, 7, 2), Some((3, 1)));
        assert_eq!(div_wide(1, 0, 1), None);
        assert_eq!(div_wide(0, 1, 0), None);
        // Divisor above 2^127 exercises the carry path.
        let d = (1u128 << 127) + 3;
        let (q, r) = div_wide(d - 1, u128::MAX, d).unwrap();
        let (high, low) = mul_wide(q, d);
        let (low, carry) = low.overflowing_add(r);
        assert_eq!((high + u128::from(carry), low), (d - 1, u128::MAX));
    }

    #[test]
    fn scale_product_rounds_on_exact_digits() {
        // 1.5 * 1 at scale 0 is 1 and a half.
        assert_eq!(scale_product(15, 1, 1, 0, 0), Some((1, Remainder::Half)));
        // Scaling up is exact, and fails only beyond u128.
        assert_eq!(scale_product(3, 0, 4, 0, 2), Some((1200, Remainder::Zero)));
        assert_eq!(
            scale_product(1, 0, 1, 0, 38),
            Some((10u128.pow(38), Remainder::Zero))
        );
        assert_eq!(scale_product(1, 0, 1, 0, 39), None);
        assert_eq!(
            scale_product(1 << 64, 0, 1 << 64, 0, 0),
            None,
            "2^128 does not fit u128"
        );
        // Two-step division: excess 56 = 38 + 18.
        let a = MANTISSA_MAX; // scale 28
        let (q, rem) = scale_product(a, 28, a, 28, 0).unwrap();
        // (2^96-1)^2 / 10^56 = 62.77...; remainder above half.
        assert_eq!((q, rem), (62, Remainder::AboveHalf));
        // 5 * 10^-56 at scale 0: only the first step's remainder is nonzero.
        assert_eq!(
            scale_product(5, 28, 1, 28, 0),
            Some((0, Remainder::BelowHalf))
        );
        // Exactly one half across the two steps: 5 * 10^55 * 10^-56.
        let five_e27 = 5 * 10u128.pow(27);
        assert_eq!(
            scale_product(five_e27, 28, 10u128.pow(28), 28, 0),
            Some((0, Remainder::Half))
        );
        assert_eq!(
            scale_product(five_e27 + 1, 28, 10u128.pow(28), 28, 0),
            Some((0, Remainder::AboveHalf))
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(crate::money::proptest_cases(2_000)))]

        /// Our product rounding agrees with exact rational arithmetic done independently on
        /// values small enough for rust_decimal to multiply without rounding.
        #[test]
        fn scale_product_matches_decimal(
            a in any::<u64>(),
            a_scale in 0u32..=10,
            b in any::<u32>(),
            b_scale in 0u32..=10,
            target in 0u32..=8,
        ) {
            let exact = Decimal::from_i128_with_scale(i128::from(a), a_scale)
                * Decimal::from_i128_with_scale(i128::from(b), b_scale);
            prop_assume!(exact.scale() == a_scale + b_scale); // no internal rounding happened
            let (truncated, remainder) = scale_product(u128::from(a), a_scale, u128::from(b), b_scale, target).unwrap();
            let truncated_dec = exact.round_dp_with_strategy(target, rust_decimal::RoundingStrategy::ToZero);
            prop_assert_eq!(i128::try_from(truncated).unwrap(), truncated_dec.mantissa() * 10i128.pow(target - truncated_dec.scale()));
            let dropped = exact - truncated_dec;
            let unit = Decimal::from_i128_with_scale(1, target);
            let half = unit / Decimal::TWO;
            let expected = if dropped.is_zero() { Remainder::Zero }
                else if dropped < half { Remainder::BelowHalf }
                else if dropped == half { Remainder::Half }
                else { Remainder::AboveHalf };
            prop_assert_eq!(remainder, expected);
        }

        /// Wide multiplication and division are inverse.
        #[test]
        fn wide_round_trip(a in any::<u128>(), b in 1u128..) {
            let (high, low) = mul_wide(a, b);
            prop_assert_eq!(div_wide(high, low, b), Some((a, 0)));
        }

        /// parse_decimal agrees with rust_decimal's parser on canonical inputs it handles
        /// exactly, and never panics.
        #[test]
        fn parse_decimal_agrees_on_canonical_input(m in any::<i64>(), scale in 0u32..=18) {
            let d = Decimal::from_i128_with_scale(i128::from(m), scale);
            let text = d.to_string();
            let ours = parse_decimal(&text, "x").unwrap();
            prop_assert_eq!(ours, Decimal::from_str(&text).unwrap());
            prop_assert_eq!(ours.scale(), scale);
        }
    }
}
