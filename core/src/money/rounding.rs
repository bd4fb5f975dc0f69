//! Rounding modes, and the one place where a magnitude is rounded.
//!
//! Every rounding in this module is done on exact integers: the caller supplies the truncated
//! magnitude and where the discarded remainder lies relative to one half of a unit. Nothing here
//! goes through `rust_decimal`'s own arithmetic, which may round internally.

use rust_decimal::RoundingStrategy;

use crate::error::{Error, ErrorCode, Result};

/// How to round a value that has more fraction digits than the target scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoundingMode {
    /// To the nearest; a tie goes to the even neighbour (banker's rounding). `"half-even"`.
    HalfEven,
    /// To the nearest; a tie goes away from zero (school rounding). `"half-up"`.
    HalfUp,
    /// To the nearest; a tie goes toward zero. `"half-down"`.
    HalfDown,
    /// Drop the excess digits (truncate). `"toward-zero"`.
    TowardZero,
    /// Away from zero whenever any excess digit is nonzero. `"away-from-zero"`.
    AwayFromZero,
    /// Toward negative infinity. `"floor"`.
    Floor,
    /// Toward positive infinity. `"ceiling"`.
    Ceiling,
}

impl RoundingMode {
    /// Every mode, in documentation order.
    pub const ALL: &'static [RoundingMode] = &[
        RoundingMode::HalfEven,
        RoundingMode::HalfUp,
        RoundingMode::HalfDown,
        RoundingMode::TowardZero,
        RoundingMode::AwayFromZero,
        RoundingMode::Floor,
        RoundingMode::Ceiling,
    ];

    /// The mode named `name` (exact, lowercase, e.g. `"half-even"`).
    ///
    /// Errors: [`ErrorCode::RoundingModeUnknown`] about parameter `"rounding"`.
    pub fn from_name(name: &str) -> Result<RoundingMode> {
        RoundingMode::ALL
            .iter()
            .copied()
            .find(|mode| mode.as_str() == name)
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::RoundingModeUnknown,
                    "rounding",
                    format!(
                    "unknown rounding mode {:?}: expected one of half-even, half-up, half-down, \
                     toward-zero, away-from-zero, floor, ceiling",
                    super::decimal::excerpt(name)
                ),
                )
            })
    }

    /// The stable name of this mode, as accepted by [`RoundingMode::from_name`].
    pub const fn as_str(self) -> &'static str {
        match self {
            RoundingMode::HalfEven => "half-even",
            RoundingMode::HalfUp => "half-up",
            RoundingMode::HalfDown => "half-down",
            RoundingMode::TowardZero => "toward-zero",
            RoundingMode::AwayFromZero => "away-from-zero",
            RoundingMode::Floor => "floor",
            RoundingMode::Ceiling => "ceiling",
        }
    }

    /// The equivalent `rust_decimal` strategy, for code that rounds a `Decimal` directly
    /// (`Decimal::round_dp_with_strategy`). The money module itself rounds exact integers and
    /// is tested to agree with this mapping.
    pub const fn strategy(self) -> RoundingStrategy {
        match self {
            RoundingMode::HalfEven => RoundingStrategy::MidpointNearestEven,
            RoundingMode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            RoundingMode::HalfDown => RoundingStrategy::MidpointTowardZero,
            RoundingMode::TowardZero => RoundingStrategy::ToZero,
            RoundingMode::AwayFromZero => RoundingStrategy::AwayFromZero,
            RoundingMode::Floor => RoundingStrategy::ToNegativeInfinity,
            RoundingMode::Ceiling => RoundingStrategy::ToPositiveInfinity,
        }
    }
}

/// Where a discarded remainder lies, as a fraction of one unit of the kept scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Remainder {
    /// Nothing was discarded: the value is exact.
    Zero,
    /// More than zero, less than one half.
    BelowHalf,
    /// Exactly one half.
    Half,
    /// More than one half, less than one.
    AboveHalf,
}

/// Rounds the truncated magnitude `truncated` (the value with the remainder dropped, always
/// toward zero) according to `mode`, for a value whose sign is `negative`.
///
/// Returns `None` only if incrementing overflows `u128`; the caller range-checks the result
/// against the 96-bit mantissa anyway.
pub(crate) fn round_magnitude(
    truncated: u128,
    remainder: Remainder,
    negative: bool,
    mode: RoundingMode,
) -> Option<u128> {
    let inexact = remainder != Remainder::Zero;
    let away_from_zero = match mode {
        RoundingMode::TowardZero => false,
        RoundingMode::AwayFromZero => inexact,
        // Floor moves negative values away from zero, Ceiling positive ones.
        RoundingMode::Floor => inexact && negative,
        RoundingMode::Ceiling => inexact && !negative,
        RoundingMode::HalfUp => matches!(remainder, Remainder::Half | Remainder::AboveHalf),
        RoundingMode::HalfDown => remainder == Remainder::AboveHalf,
        RoundingMode::HalfEven => match remainder {
            Remainder::AboveHalf => true,
            Remainder::Half => truncated % 2 == 1,
            Remainder::Zero | Remainder::BelowHalf => false,
        },
    };
    if away_from_zero {
        truncated.checked_add(1)
    } else {
        Some(truncated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for mode in RoundingMode::ALL {
            assert!(seen.insert(mode.as_str()));
            assert_eq!(RoundingMode::from_name(mode.as_str()), Ok(*mode));
        }
        assert_eq!(seen.len(), 7);
    }

    #[test]
    fn unknown_names_are_rejected_naming_the_parameter() {
        for name in [
            "",
            "HALF-EVEN",
            "half_even",
            "halfEven",
            "half-even ",
            "bankers",
            "up",
            "down",
        ] {
            let err = RoundingMode::from_name(name).unwrap_err();
            assert_eq!(err.code(), ErrorCode::RoundingModeUnknown, "{name:?}");
            assert_eq!(err.param(), "rounding");
        }
    }

    #[test]
    fn strategy_mapping_is_the_documented_one() {
        assert_eq!(
            RoundingMode::HalfEven.strategy(),
            RoundingStrategy::MidpointNearestEven
        );
        assert_eq!(
            RoundingMode::HalfUp.strategy(),
            RoundingStrategy::MidpointAwayFromZero
        );
        assert_eq!(
            RoundingMode::HalfDown.strategy(),
            RoundingStrategy::MidpointTowardZero
        );
        assert_eq!(
            RoundingMode::TowardZero.strategy(),
            RoundingStrategy::ToZero
        );
        assert_eq!(
            RoundingMode::AwayFromZero.strategy(),
            RoundingStrategy::AwayFromZero
        );
        assert_eq!(
            RoundingMode::Floor.strategy(),
            RoundingStrategy::ToNegativeInfinity
        );
        assert_eq!(
            RoundingMode::Ceiling.strategy(),
            RoundingStrategy::ToPositiveInfinity
        );
    }

    #[test]
    fn round_magnitude_table() {
        use Remainder::*;
        use RoundingMode::*;
        // (truncated, remainder, negative, mode, expected)
        let table = [
            (2, Half, false, HalfEven, 2),
            (3, Half, false, HalfEven, 4),
            (2, Half, true, HalfEven, 2),
            (3, Half, true, HalfEven, 4),
            (2, Half, false, HalfUp, 3),
            (2, Half, true, HalfUp, 3),
            (2, Half, false, HalfDown, 2),
            (2, AboveHalf, false, HalfDown, 3),
            (2, BelowHalf, false, HalfUp, 2),
            (2, BelowHalf, false, AwayFromZero, 3),
            (2, Zero, false, AwayFromZero, 2),
            (2, AboveHalf, false, TowardZero, 2),
            (2, BelowHalf, false, Floor, 2),
            (2, BelowHalf, true, Floor, 3),
            (2, BelowHalf, false, Ceiling, 3),
            (2, BelowHalf, true, Ceiling, 2),
            (2, Zero, true, Floor, 2),
        ];
        for (truncated, remainder, negative, mode, expected) in table {
            assert_eq!(
                round_magnitude(truncated, remainder, negative, mode),
                Some(expected),
                "{truncated} {remainder:?} negative={negative} {mode:?}"
            );
        }
        assert_eq!(round_magnitude(u128::MAX, AboveHalf, false, HalfEven), None);
        assert_eq!(
            round_magnitude(u128::MAX, BelowHalf, false, HalfEven),
            Some(u128::MAX)
        );
    }
}
