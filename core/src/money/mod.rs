//! Money: exact decimal amounts in ISO 4217 currencies and registered assets.
//!
//! - An [`Amount`] is a `rust_decimal::Decimal` whose scale is always its [`Currency`]'s minor
//!   units, so it is an integer number of minor units (at most 2^96 - 1 in magnitude) and has
//!   one canonical string (`"12.30"` EUR, `"5"` JPY, `"0.000"` KWD).
//! - Nothing rounds silently: parsing rejects digits the currency cannot hold unless a
//!   [`RoundingMode`] is given, arithmetic that leaves the range is an error, and a
//!   multiplication rounds once, from the exact product, with the caller's mode.
//! - Strings follow one strict grammar, `-?(0|[1-9][0-9]*)(\.[0-9]+)?` in ASCII, at most
//!   [`AMOUNT_STRING_CHARS_MAX`] characters; [`parse_decimal`] applies it to prices, factors
//!   and quantities, which are not amounts.
//!
//! Files: `currency.rs` (the table, and why some ISO codes are left out),
//! `decimal.rs` (grammar, exact construction, wide integers), `rounding.rs`, `amount.rs`.

mod amount;
mod currency;
mod decimal;
mod rounding;
mod text;

#[cfg(test)]
mod tests;

pub use amount::{Amount, MINOR_UNITS_MAX, SPLIT_PARTS_MAX};
pub use currency::{Currency, CurrencyKind, NO_MINOR_UNIT_CODES, WITHDRAWN_CODES};
pub use decimal::{parse_decimal, AMOUNT_STRING_CHARS_MAX};
pub use rounding::RoundingMode;
pub use text::{minor_units_text, MinorUnitsText};

/// Property-test case count: `PROPTEST_CASES` overrides the default (see HACKING.md).
#[cfg(test)]
pub(crate) fn proptest_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}
