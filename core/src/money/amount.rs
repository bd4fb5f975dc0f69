//! [`Amount`]: an exact decimal value in one currency, always at that currency's scale.
//!
//! All arithmetic is done on the integer number of minor units (the `Decimal` mantissa), with
//! explicit range checks and one explicit rounding where a result has more digits than the
//! currency allows. `rust_decimal`'s own arithmetic is avoided because it silently rounds a
//! result whose mantissa would exceed 96 bits instead of failing.

use core::cmp::Ordering;
use core::fmt;

use rust_decimal::Decimal;

use super::currency::Currency;
use super::decimal::{
    decimal_from_parts, div_wide, excerpt, lex, magnitude_at_scale, mul_wide, scale_product,
    MANTISSA_MAX,
};
use super::rounding::{round_magnitude, Remainder, RoundingMode};
use crate::error::{Error, ErrorCode, Result};

/// The most parts [`Amount::split`] produces.
pub const SPLIT_PARTS_MAX: usize = 1000;

/// The largest number of minor units an amount holds in magnitude, 2^96 - 1 (the `Decimal`
/// mantissa's range), in every currency. Exported so that a caller keeping amounts as integers
/// of minor units (the TypeScript SDK does, as `bigint`) checks the very same range.
pub const MINOR_UNITS_MAX: u128 = MANTISSA_MAX;

/// An exact amount of money: a `Decimal` whose scale always equals the currency's minor units,
/// so the mantissa is the number of minor units (cents, satoshi, wei), at most 2^96 - 1 in
/// magnitude. There is no negative zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Amount {
    value: Decimal,
    currency: &'static Currency,
}

impl Amount {
    /// Parses a decimal string in `currency`.
    ///
    /// Grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?`, ASCII, at most
    /// [`AMOUNT_STRING_CHARS_MAX`](super::AMOUNT_STRING_CHARS_MAX) characters. `"-0"` is zero.
    /// Fraction digits beyond the currency's minor units are accepted when they are all zero
    /// (`"1.2300"` EUR is 1.23); a nonzero digit beyond them needs a `rounding` mode, else the
    /// amount is rejected rather than rounded silently.
    ///
    /// Errors, about `"amount"`, checked in this order: `AMOUNT_SYNTAX`, `AMOUNT_PRECISION`,
    /// `AMOUNT_OUT_OF_RANGE` (more than 2^96 - 1 minor units).
    pub fn parse(
        s: &str,
        currency: &'static Currency,
        rounding: Option<RoundingMode>,
    ) -> Result<Amount> {
        const PARAM: &str = "amount";
        let lexed = lex(s, PARAM)?;
        let scale = currency.minor_units();
        let (truncated, remainder) = magnitude_at_scale(&lexed, scale);
        let out_of_range = || {
            Error::new(
                ErrorCode::AmountOutOfRange,
                PARAM,
                format!(
                    "{:?} is outside the representable range for {} (at most {} in magnitude)",
                    excerpt(s),
                    currency.code(),
                    Amount::max_display(currency)
                ),
            )
        };
        let magnitude = match (remainder, rounding) {
            (Remainder::Zero, _) => truncated.ok_or_else(out_of_range)?,
            (_, None) => {
                return Err(Error::new(
                    ErrorCode::AmountPrecision,
                    PARAM,
                    format!(
                    "{:?} has nonzero digits beyond the {} fraction digits of {}; pass a rounding \
                         mode to round it",
                    excerpt(s),
                    scale,
                    currency.code()
                ),
                ))
            }
            (remainder, Some(mode)) => truncated
                .and_then(|truncated| round_magnitude(truncated, remainder, lexed.negative, mode))
                .ok_or_else(out_of_range)?,
        };
        Amount::from_magnitude(lexed.negative, magnitude, currency).ok_or_else(out_of_range)
    }

    /// The amount of `minor` minor units (cents for EUR, yen for JPY, wei for ETH).
    ///
    /// Errors: `AMOUNT_OUT_OF_RANGE` about `"minor"` when `|minor|` exceeds 2^96 - 1.
    pub fn from_minor_units(minor: i128, currency: &'static Currency) -> Result<Amount> {
        Amount::from_magnitude(minor < 0, minor.unsigned_abs(), currency)
            .ok_or_else(|| Amount::minor_out_of_range(&minor.to_string(), currency))
    }

    /// The amount of minor units written as an integer string, strict grammar
    /// `-?(0|[1-9][0-9]*)` (so `bigint` values cross from JavaScript exactly).
    ///
    /// Errors, about `"minor"`: `AMOUNT_SYNTAX`, `AMOUNT_OUT_OF_RANGE`.
    pub fn from_minor_str(s: &str, currency: &'static Currency) -> Result<Amount> {
        const PARAM: &str = "minor";
        let lexed = lex(s, PARAM)?;
        if lexed.fraction.is_some() {
            return Err(Error::new(
                ErrorCode::AmountSyntax,
                PARAM,
                format!(
                    "minor units are a whole number, a decimal point is not accepted: {:?}",
                    excerpt(s)
                ),
            ));
        }
        super::decimal::append_digits(0, lexed.integer)
            .and_then(|magnitude| Amount::from_magnitude(lexed.negative, magnitude, currency))
            .ok_or_else(|| Amount::minor_out_of_range(s, currency))
    }

    /// Converts an exact `Decimal` (for example a computed price) to an amount in `currency`.
    /// Digits beyond the currency's minor units need a `rounding` mode, as for [`Amount::parse`].
    ///
    /// Errors, about `"value"`: `AMOUNT_PRECISION`, `AMOUNT_OUT_OF_RANGE`.
    pub fn from_decimal(
        value: Decimal,
        currency: &'static Currency,
        rounding: Option<RoundingMode>,
    ) -> Result<Amount> {
        const PARAM: &str = "value";
        let scale = currency.minor_units();
        let out_of_range = || {
            Error::new(
                ErrorCode::AmountOutOfRange,
                PARAM,
                format!(
                    "{value} is outside the representable range for {}",
                    currency.code()
                ),
            )
        };
        let (truncated, remainder) =
            scale_product(value.mantissa().unsigned_abs(), value.scale(), 1, 0, scale)
                .ok_or_else(out_of_range)?;
        let magnitude = match (remainder, rounding) {
            (Remainder::Zero, _) => truncated,
            (_, None) => {
                return Err(Error::new(
                    ErrorCode::AmountPrecision,
                    PARAM,
                    format!(
                    "{value} has nonzero digits beyond the {scale} fraction digits of {}; pass a \
                         rounding mode to round it",
                    currency.code()
                ),
                ))
            }
            (remainder, Some(mode)) => {
                round_magnitude(truncated, remainder, value.is_sign_negative(), mode)
                    .ok_or_else(out_of_range)?
            }
        };
        Amount::from_magnitude(value.is_sign_negative(), magnitude, currency)
            .ok_or_else(out_of_range)
    }

    /// The exact product `price × quantity` (two `Decimal`s, e.g. a fuel price per litre and the
    /// litres delivered), rounded once to `currency`'s minor units with `rounding`.
    ///
    /// Errors: `AMOUNT_OVERFLOW` about `"quantity"` when the result exceeds the range.
    pub fn from_product(
        price: Decimal,
        quantity: Decimal,
        currency: &'static Currency,
        rounding: RoundingMode,
    ) -> Result<Amount> {
        Amount::round_product(price, quantity, currency, rounding, "quantity")
    }

    /// Zero in `currency` (`"0.00"` for EUR).
    pub fn zero(currency: &'static Currency) -> Amount {
        // The scale is at most 18 (a compile-time check on the currency table), so this cannot
        // fail; the fallback keeps the function total without a panic path.
        let value = decimal_from_parts(false, 0, currency.minor_units()).unwrap_or(Decimal::ZERO);
        Amount { value, currency }
    }

    /// The number of minor units (the `Decimal` mantissa), e.g. 1230 for `"12.30"` EUR.
    pub fn to_minor_units(&self) -> i128 {
        self.value.mantissa()
    }

    /// The canonical text (as `Display` writes it) on the stack, for writing it somewhere
    /// without allocating a `String`.
    pub fn text(&self) -> super::MinorUnitsText {
        super::MinorUnitsText::new(self.to_minor_units(), self.currency.minor_units())
    }

    /// The currency.
    pub fn currency(&self) -> &'static Currency {
        self.currency
    }

    /// The value, with scale equal to the currency's minor units.
    pub fn value(&self) -> Decimal {
        self.value
    }

    /// `self + other`.
    ///
    /// Errors, about `"other"`: `CURRENCY_MISMATCH`, `AMOUNT_OVERFLOW`.
    pub fn checked_add(&self, other: &Amount) -> Result<Amount> {
        self.same_currency(other)?;
        // Both mantissas are below 2^96 in magnitude: the i128 sum cannot overflow, and the
        // range check happens on rebuilding.
        self.to_minor_units()
            .checked_add(other.to_minor_units())
            .and_then(|sum| Amount::from_magnitude(sum < 0, sum.unsigned_abs(), self.currency))
            .ok_or_else(|| self.overflow("other", "the sum"))
    }

    /// `self - other`.
    ///
    /// Errors, about `"other"`: `CURRENCY_MISMATCH`, `AMOUNT_OVERFLOW`.
    pub fn checked_sub(&self, other: &Amount) -> Result<Amount> {
        self.same_currency(other)?;
        self.to_minor_units()
            .checked_sub(other.to_minor_units())
            .and_then(|difference| {
                Amount::from_magnitude(difference < 0, difference.unsigned_abs(), self.currency)
            })
            .ok_or_else(|| self.overflow("other", "the difference"))
    }

    /// `self × factor`, rounded to the currency's minor units with `rounding`.
    ///
    /// The exact product is computed first (up to 192 bits of mantissa and 46 digits of scale)
    /// and rounded once. `Decimal::checked_mul` is not used: when the exact product needs more
    /// than 96 bits or 28 digits of scale it rounds internally (with its own mode) before
    /// returning, which would round twice and not always with the caller's mode. A result that
    /// still exceeds the range after rounding is `AMOUNT_OVERFLOW`, never truncated.
    ///
    /// Errors: `AMOUNT_OVERFLOW` about `"factor"`.
    pub fn checked_mul(&self, factor: Decimal, rounding: RoundingMode) -> Result<Amount> {
        Amount::round_product(self.value, factor, self.currency, rounding, "factor")
    }

    /// Compares two amounts of the same currency.
    ///
    /// Errors: `CURRENCY_MISMATCH` about `"other"`.
    pub fn cmp_amount(&self, other: &Amount) -> Result<Ordering> {
        self.same_currency(other)?;
        Ok(self.to_minor_units().cmp(&other.to_minor_units()))
    }

    /// Splits the amount into `ratios.len()` parts proportional to `ratios`, by the
    /// largest-remainder method in minor units: each part gets the floor of its exact share,
    /// then the minor units left over go one each to the parts with the largest remainders,
    /// ties to the earlier index. The parts sum exactly to the whole and each is within one
    /// minor unit of its exact share; a zero ratio gets zero. A negative amount is split by
    /// magnitude and every part negated.
    ///
    /// Errors: `SPLIT_RATIOS_INVALID` about `"ratios"` when empty, all zero, or more than
    /// [`SPLIT_PARTS_MAX`] parts.
    pub fn split(&self, ratios: &[u64]) -> Result<Vec<Amount>> {
        const PARAM: &str = "ratios";
        let invalid = |why: String| Error::new(ErrorCode::SplitRatiosInvalid, PARAM, why);
        if ratios.is_empty() {
            return Err(invalid("is empty: at least one ratio is needed".to_owned()));
        }
        if ratios.len() > SPLIT_PARTS_MAX {
            return Err(invalid(format!(
                "has {} parts, more than SPLIT_PARTS_MAX ({SPLIT_PARTS_MAX})",
                ratios.len()
            )));
        }
        // At most 1000 ratios below 2^64: the total is below 2^74.
        let total: u128 = ratios.iter().map(|&ratio| u128::from(ratio)).sum();
        if total == 0 {
            return Err(invalid(
                "are all zero: at least one ratio must be positive".to_owned(),
            ));
        }
        let internal = || Error::new(ErrorCode::Internal, PARAM, "split arithmetic failed");
        let whole = self.to_minor_units().unsigned_abs();
        let negative = self.is_negative();

        // Floor of each exact share whole * ratio / total, and its remainder (over `total`).
        // The product needs up to 160 bits; the quotient is at most `whole`.
        let mut shares: Vec<(u128, u128)> = Vec::with_capacity(ratios.len());
        for &ratio in ratios {
            let (high, low) = mul_wide(whole, u128::from(ratio));
            shares.push(div_wide(high, low, total).ok_or_else(internal)?);
        }
        let allocated: u128 = shares.iter().map(|&(floor, _)| floor).sum();
        // The remainders sum to leftover * total with each below total, so leftover is below
        // the number of parts.
        let leftover = usize::try_from(whole.checked_sub(allocated).ok_or_else(internal)?)
            .map_err(|_| internal())?;

        let mut by_remainder: Vec<(u128, usize)> = shares
            .iter()
            .enumerate()
            .map(|(index, &(_, remainder))| (remainder, index))
            .collect();
        // Largest remainder first; equal remainders keep index order. The index makes every key
        // distinct, so any correct sort gives this order: the core's small heapsort, whose code is
        // a few hundred bytes where `sort_unstable_by`'s was ~6 KB in every module
        // (limits/sort.rs).
        crate::limits::sort::heap_sort_by(&mut by_remainder, |a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut extra = vec![false; shares.len()];
        for &(_, index) in by_remainder.iter().take(leftover) {
            if let Some(flag) = extra.get_mut(index) {
                *flag = true;
            }
        }
        shares
            .iter()
            .zip(extra)
            .map(|(&(floor, _), extra)| {
                let magnitude = if extra {
                    floor.checked_add(1)
                } else {
                    Some(floor)
                };
                magnitude
                    .and_then(|magnitude| {
                        Amount::from_magnitude(negative, magnitude, self.currency)
                    })
                    .ok_or_else(internal)
            })
            .collect()
    }

    /// Whether the amount is zero.
    pub fn is_zero(&self) -> bool {
        self.value.is_zero()
    }

    /// Whether the amount is below zero (zero is never negative).
    pub fn is_negative(&self) -> bool {
        self.to_minor_units() < 0
    }

    /// `-self`. The range is symmetric, so this only fails if an invariant is broken.
    ///
    /// Errors: `AMOUNT_OVERFLOW` about `"amount"` (not expected).
    pub fn checked_neg(&self) -> Result<Amount> {
        let minor = self.to_minor_units();
        Amount::from_magnitude(minor > 0, minor.unsigned_abs(), self.currency)
            .ok_or_else(|| self.overflow("amount", "the negation"))
    }

    /// The amount of `magnitude` minor units with a sign, or `None` beyond 2^96 - 1.
    fn from_magnitude(
        negative: bool,
        magnitude: u128,
        currency: &'static Currency,
    ) -> Option<Amount> {
        let value = decimal_from_parts(negative, magnitude, currency.minor_units())?;
        Some(Amount { value, currency })
    }

    fn round_product(
        a: Decimal,
        b: Decimal,
        currency: &'static Currency,
        rounding: RoundingMode,
        param: &'static str,
    ) -> Result<Amount> {
        // The sign of a zero product is irrelevant: zero is always built positive.
        let negative = a.is_sign_negative() != b.is_sign_negative();
        let overflow = || {
            Error::new(
                ErrorCode::AmountOverflow,
                param,
                format!(
                    "the product {a} × {b} is outside the representable range for {} (at most {} in \
                     magnitude)",
                    currency.code(),
                    Amount::max_display(currency)
                ),
            )
        };
        let (truncated, remainder) = scale_product(
            a.mantissa().unsigned_abs(),
            a.scale(),
            b.mantissa().unsigned_abs(),
            b.scale(),
            currency.minor_units(),
        )
        .ok_or_else(overflow)?;
        round_magnitude(truncated, remainder, negative, rounding)
            .and_then(|magnitude| Amount::from_magnitude(negative, magnitude, currency))
            .ok_or_else(overflow)
    }

    fn same_currency(&self, other: &Amount) -> Result<()> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(Error::new(
                ErrorCode::CurrencyMismatch,
                "other",
                format!(
                    "is in {}, expected {} (amounts in different currencies cannot be combined)",
                    other.currency.code(),
                    self.currency.code()
                ),
            ))
        }
    }

    fn overflow(&self, param: &'static str, what: &str) -> Error {
        Error::new(
            ErrorCode::AmountOverflow,
            param,
            format!(
                "{what} is outside the representable range for {} (at most {} in magnitude)",
                self.currency.code(),
                Amount::max_display(self.currency)
            ),
        )
    }

    fn minor_out_of_range(minor: &str, currency: &'static Currency) -> Error {
        Error::new(
            ErrorCode::AmountOutOfRange,
            "minor",
            format!(
                "{:?} minor units is outside the representable range for {} (at most {MANTISSA_MAX} in \
                 magnitude)",
                excerpt(minor),
                currency.code()
            ),
        )
    }

    /// The largest amount in `currency`, for messages.
    fn max_display(currency: &'static Currency) -> String {
        Amount::from_magnitude(false, MANTISSA_MAX, currency)
            .map_or_else(|| MANTISSA_MAX.to_string(), |max| max.to_string())
    }
}

impl fmt::Display for Amount {
    /// The canonical form: exactly the currency's minor-unit digits after the point (none for
    /// a currency with 0 minor units), `-` only for nonzero negatives: `"12.30"`, `"5"`,
    /// `"0.000"`, `"-0.00000001"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text().as_str())
    }
}
