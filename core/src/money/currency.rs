//! Currencies: every active ISO 4217 code with a defined minor unit, plus registered assets.
//!
//! The table is written out by hand (no names, no countries) so the wasm build stays small and
//! the data cannot change under us with a dependency update. A unit test compares it with the
//! `iso_currency` crate (a dev-dependency only) so a difference is noticed.
//!
//! # What is in the table
//!
//! - Every code on ISO 4217 *List One* (current currencies and funds) whose minor unit is a
//!   number, with its numeric code and minor unit, as of amendment 180 (effective 2026-01-01).
//! - The registered assets BTC (8), ETH (18), USDC (6) and USDT (6), kind [`CurrencyKind::Asset`],
//!   no numeric code.
//!
//! # What is deliberately not in the table
//!
//! - Codes whose minor unit is "N.A." in ISO 4217 ([`NO_MINOR_UNIT_CODES`]: the precious metals
//!   XAU, XAG, XPT, XPD, the units of account XDR, XBA-XBD, XSU, XUA, and XTS, XXX). An
//!   [`Amount`](super::Amount) is exact *at the currency's scale*; with no scale defined by the
//!   standard any scale we picked would be our own invention, and two systems picking different
//!   ones would disagree on the same value. Metals are traded by weight with whatever precision
//!   the contract says, so quantities of them belong in [`parse_decimal`](super::parse_decimal)
//!   plus an explicit rounding, not in an amount. XXX means "no currency" and XTS is reserved
//!   for testing: neither is money.
//! - Codes withdrawn from List One ([`WITHDRAWN_CODES`]: BGN, CUC, HRK, SLL, ZWL), even though
//!   the `iso_currency` crate still lists them (flagged "superseded"). Accepting them would let a
//!   payment be denominated in a currency that no longer exists.
//! - VES is *kept*: `iso_currency` flags it superseded by VED, but ISO amendment 170 states that
//!   VES/928 remains the valid code for transactions; VED/926 is an additional code.
//!
//! # Range note
//!
//! An amount is a `rust_decimal::Decimal` at the currency's scale, whose mantissa is at most
//! 2^96 - 1 = 79228162514264337593543950335 minor units. For ETH (18 decimals, amounts in wei)
//! that is about 79.2 billion ETH, far above the total supply (about 120 million), but sums of
//! many wei amounts can in principle overflow: arithmetic reports `AMOUNT_OVERFLOW` rather than
//! rounding. No asset may have more than 28 decimals (the `Decimal` scale limit); a compile-time
//! check below holds every entry to 18.

use crate::error::{Error, ErrorCode, Result};

/// Whether a currency is an ISO 4217 code or a registered non-ISO asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CurrencyKind {
    /// An active ISO 4217 currency or fund code.
    Iso4217,
    /// A registered non-ISO asset (a cryptocurrency or stablecoin).
    Asset,
}

/// A currency or asset: its code, ISO numeric code and number of minor-unit digits.
///
/// Values exist only in the static table returned by [`Currency::all`]; get one with
/// [`Currency::from_code`]. The table holds every code of ISO 4217 List One with a numeric
/// minor unit (as of amendment 180, 2026-01-01) and the assets BTC, ETH, USDC, USDT. Left out on
/// purpose: codes whose ISO minor unit is "N.A." ([`NO_MINOR_UNIT_CODES`]: no scale means no
/// exact amount; metals and units of account are quantities, XXX/XTS are not money) and
/// withdrawn codes still found in other lists ([`WITHDRAWN_CODES`]).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    numeric: Option<u16>,
    minor_units: u32,
    kind: CurrencyKind,
}

/// Codes on ISO 4217 List One whose minor unit is "N.A.": not accepted (see the module docs).
pub const NO_MINOR_UNIT_CODES: &[&str] = &[
    "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS", "XUA", "XXX",
];

/// Codes withdrawn from ISO 4217 List One, with the code that replaced each.
pub const WITHDRAWN_CODES: &[(&str, &str)] = &[
    // Bulgaria joined the euro on 2026-01-01 (amendment 180).
    ("BGN", "EUR"),
    // Moved to List Three by amendment 178 (withdrawn from circulation 2021-06).
    ("CUC", "CUP"),
    // Croatia joined the euro on 2023-01-01.
    ("HRK", "EUR"),
    // Redenominated as SLE; the old leone stopped being legal tender on 2023-12-31.
    ("SLL", "SLE"),
    // Replaced by Zimbabwe Gold in 2024.
    ("ZWL", "ZWG"),
];

/// The largest number of minor-unit digits in the table. Bounded well below `Decimal`'s scale
/// limit (28) so that display, minor-unit conversion and products stay within `u128`.
const MINOR_UNITS_MAX: u32 = 18;

const fn iso(code: &'static str, numeric: u16, minor_units: u32) -> Currency {
    Currency {
        code,
        numeric: Some(numeric),
        minor_units,
        kind: CurrencyKind::Iso4217,
    }
}

const fn asset(code: &'static str, minor_units: u32) -> Currency {
    Currency {
        code,
        numeric: None,
        minor_units,
        kind: CurrencyKind::Asset,
    }
}

/// Sorted by code (byte order), so lookups can binary-search. Kept in sync with ISO 4217 by
/// the `table_matches_iso_currency_crate` test.
static CURRENCIES: [Currency; 169] = [
    iso("AED", 784, 2),
    iso("AFN", 971, 2),
    iso("ALL", 8, 2),
    iso("AMD", 51, 2),
    iso("AOA", 973, 2),
    iso("ARS", 32, 2),
    iso("AUD", 36, 2),
    iso("AWG", 533, 2),
    iso("AZN", 944, 2),
    iso("BAM", 977, 2),
    iso("BBD", 52, 2),
    iso("BDT", 50, 2),
    iso("BHD", 48, 3),
    iso("BIF", 108, 0),
    iso("BMD", 60, 2),
    iso("BND", 96, 2),
    iso("BOB", 68, 2),
    iso("BOV", 984, 2),
    iso("BRL", 986, 2),
    iso("BSD", 44, 2),
    asset("BTC", 8),
    iso("BTN", 64, 2),
    iso("BWP", 72, 2),
    iso("BYN", 933, 2),
    iso("BZD", 84, 2),
    iso("CAD", 124, 2),
    iso("CDF", 976, 2),
    iso("CHE", 947, 2),
    iso("CHF", 756, 2),
    iso("CHW", 948, 2),
    iso("CLF", 990, 4),
    iso("CLP", 152, 0),
    iso("CNY", 156, 2),
    iso("COP", 170, 2),
    iso("COU", 970, 2),
    iso("CRC", 188, 2),
    iso("CUP", 192, 2),
    iso("CVE", 132, 2),
    iso("CZK", 203, 2),
    iso("DJF", 262, 0),
    iso("DKK", 208, 2),
    iso("DOP", 214, 2),
    iso("DZD", 12, 2),
    iso("EGP", 818, 2),
    iso("ERN", 232, 2),
    iso("ETB", 230, 2),
    asset("ETH", 18),
    iso("EUR", 978, 2),
    iso("FJD", 242, 2),
    iso("FKP", 238, 2),
    iso("GBP", 826, 2),
    iso("GEL", 981, 2),
    iso("GHS", 936, 2),
    iso("GIP", 292, 2),
    iso("GMD", 270, 2),
    iso("GNF", 324, 0),
    iso("GTQ", 320, 2),
    iso("GYD", 328, 2),
    iso("HKD", 344, 2),
    iso("HNL", 340, 2),
    iso("HTG", 332, 2),
    iso("HUF", 348, 2),
    iso("IDR", 360, 2),
    iso("ILS", 376, 2),
    iso("INR", 356, 2),
    iso("IQD", 368, 3),
    iso("IRR", 364, 2),
    iso("ISK", 352, 0),
    iso("JMD", 388, 2),
    iso("JOD", 400, 3),
    iso("JPY", 392, 0),
    iso("KES", 404, 2),
    iso("KGS", 417, 2),
    iso("KHR", 116, 2),
    iso("KMF", 174, 0),
    iso("KPW", 408, 2),
    iso("KRW", 410, 0),
    iso("KWD", 414, 3),
    iso("KYD", 136, 2),
    iso("KZT", 398, 2),
    iso("LAK", 418, 2),
    iso("LBP", 422, 2),
    iso("LKR", 144, 2),
    iso("LRD", 430, 2),
    iso("LSL", 426, 2),
    iso("LYD", 434, 3),
    iso("MAD", 504, 2),
    iso("MDL", 498, 2),
    iso("MGA", 969, 2),
    iso("MKD", 807, 2),
    iso("MMK", 104, 2),
    iso("MNT", 496, 2),
    iso("MOP", 446, 2),
    iso("MRU", 929, 2),
    iso("MUR", 480, 2),
    iso("MVR", 462, 2),
    iso("MWK", 454, 2),
    iso("MXN", 484, 2),
    iso("MXV", 979, 2),
    iso("MYR", 458, 2),
    iso("MZN", 943, 2),
    iso("NAD", 516, 2),
    iso("NGN", 566, 2),
    iso("NIO", 558, 2),
    iso("NOK", 578, 2),
    iso("NPR", 524, 2),
    iso("NZD", 554, 2),
    iso("OMR", 512, 3),
    iso("PAB", 590, 2),
    iso("PEN", 604, 2),
    iso("PGK", 598, 2),
    iso("PHP", 608, 2),
    iso("PKR", 586, 2),
    iso("PLN", 985, 2),
    iso("PYG", 600, 0),
    iso("QAR", 634, 2),
    iso("RON", 946, 2),
    iso("RSD", 941, 2),
    iso("RUB", 643, 2),
    iso("RWF", 646, 0),
    iso("SAR", 682, 2),
    iso("SBD", 90, 2),
    iso("SCR", 690, 2),
    iso("SDG", 938, 2),
    iso("SEK", 752, 2),
    iso("SGD", 702, 2),
    iso("SHP", 654, 2),
    iso("SLE", 925, 2),
    iso("SOS", 706, 2),
    iso("SRD", 968, 2),
    iso("SSP", 728, 2),
    iso("STN", 930, 2),
    iso("SVC", 222, 2),
    iso("SYP", 760, 2),
    iso("SZL", 748, 2),
    iso("THB", 764, 2),
    iso("TJS", 972, 2),
    iso("TMT", 934, 2),
    iso("TND", 788, 3),
    iso("TOP", 776, 2),
    iso("TRY", 949, 2),
    iso("TTD", 780, 2),
    iso("TWD", 901, 2),
    iso("TZS", 834, 2),
    iso("UAH", 980, 2),
    iso("UGX", 800, 0),
    iso("USD", 840, 2),
    asset("USDC", 6),
    asset("USDT", 6),
    iso("USN", 997, 2),
    iso("UYI", 940, 0),
    iso("UYU", 858, 2),
    iso("UYW", 927, 4),
    iso("UZS", 860, 2),
    iso("VED", 926, 2),
    iso("VES", 928, 2),
    iso("VND", 704, 0),
    iso("VUV", 548, 0),
    iso("WST", 882, 2),
    iso("XAD", 396, 2),
    iso("XAF", 950, 0),
    iso("XCD", 951, 2),
    iso("XCG", 532, 2),
    iso("XOF", 952, 0),
    iso("XPF", 953, 0),
    iso("YER", 886, 2),
    iso("ZAR", 710, 2),
    iso("ZMW", 967, 2),
    iso("ZWG", 924, 2),
];

/// Fails the build if any entry has more minor units than [`MINOR_UNITS_MAX`].
const fn minor_units_are_bounded(mut rest: &[Currency]) -> bool {
    while let [first, tail @ ..] = rest {
        if first.minor_units > MINOR_UNITS_MAX {
            return false;
        }
        rest = tail;
    }
    true
}
const _: () = assert!(
    minor_units_are_bounded(&CURRENCIES),
    "minor units above MINOR_UNITS_MAX"
);

impl Currency {
    /// The currency with exactly this code (uppercase, e.g. `"EUR"`, `"USDC"`).
    ///
    /// Errors: [`ErrorCode::CurrencyUnknown`] about parameter `"currency"` when the code is not
    /// an active ISO 4217 code with a defined minor unit nor a registered asset. Lowercase codes
    /// are rejected (the message suggests the uppercase one) so that one spelling crosses every
    /// boundary.
    pub fn from_code(code: &str) -> Result<&'static Currency> {
        if let Some(currency) = lookup(code) {
            return Ok(currency);
        }
        let quoted = super::decimal::excerpt(code);
        let why = if let Some((_, replacement)) =
            WITHDRAWN_CODES.iter().find(|(old, _)| *old == code)
        {
            format!("{quoted:?} was withdrawn from ISO 4217 (replaced by {replacement})")
        } else if NO_MINOR_UNIT_CODES.contains(&code) {
            format!(
                "{quoted:?} has no minor unit in ISO 4217, so amounts in it cannot be exact; \
                 use a decimal quantity instead"
            )
        } else if let Some(upper) = lookup(&code.to_ascii_uppercase()) {
            format!(
                "unknown currency code {quoted:?}: codes are uppercase, did you mean {:?}?",
                upper.code
            )
        } else {
            format!("unknown currency code {quoted:?}: not an active ISO 4217 code nor a registered asset")
        };
        Err(Error::new(ErrorCode::CurrencyUnknown, "currency", why))
    }

    /// Every currency and asset, sorted by code.
    pub fn all() -> &'static [Currency] {
        &CURRENCIES
    }

    /// The code, e.g. `"EUR"`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The ISO 4217 numeric code (`None` for assets).
    pub fn numeric(&self) -> Option<u16> {
        self.numeric
    }

    /// The number of fraction digits of an amount in this currency (0 for JPY, 2 for EUR, 3
    /// for KWD, 18 for ETH).
    pub fn minor_units(&self) -> u32 {
        self.minor_units
    }

    /// ISO 4217 code or registered asset.
    pub fn kind(&self) -> CurrencyKind {
        self.kind
    }
}

fn lookup(code: &str) -> Option<&'static Currency> {
    let index = CURRENCIES
        .binary_search_by(|currency| currency.code.cmp(code))
        .ok()?;
    CURRENCIES.get(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_and_well_formed() {
        let all = Currency::all();
        assert_eq!(all.len(), 169);
        for pair in all.windows(2) {
            assert!(
                pair[0].code < pair[1].code,
                "{} !< {}",
                pair[0].code,
                pair[1].code
            );
        }
        let mut numerics = std::collections::HashSet::new();
        for c in all {
            assert!(c.code.bytes().all(|b| b.is_ascii_uppercase()), "{}", c.code);
            assert!(c.minor_units <= MINOR_UNITS_MAX);
            match c.kind {
                CurrencyKind::Iso4217 => {
                    assert_eq!(c.code.len(), 3, "{}", c.code);
                    let n = c.numeric.expect("ISO codes have a numeric code");
                    assert!((1..=999).contains(&n));
                    assert!(numerics.insert(n), "duplicate numeric {n}");
                }
                CurrencyKind::Asset => assert_eq!(c.numeric, None),
            }
            assert!(std::ptr::eq(Currency::from_code(c.code).unwrap(), c));
        }
    }

    #[test]
    fn known_minor_units() {
        let expect = [
            ("JPY", 0, Some(392)),
            ("KRW", 0, Some(410)),
            ("EUR", 2, Some(978)),
            ("USD", 2, Some(840)),
            ("KWD", 3, Some(414)),
            ("BHD", 3, Some(48)),
            ("JOD", 3, Some(400)),
            ("OMR", 3, Some(512)),
            ("TND", 3, Some(788)),
            ("LYD", 3, Some(434)),
            ("IQD", 3, Some(368)),
            ("CLF", 4, Some(990)),
            ("UYW", 4, Some(927)),
            ("UYI", 0, Some(940)),
            ("XAD", 2, Some(396)),
            ("XCG", 2, Some(532)),
            ("VES", 2, Some(928)),
            ("VED", 2, Some(926)),
            ("BTC", 8, None),
            ("ETH", 18, None),
            ("USDC", 6, None),
            ("USDT", 6, None),
        ];
        for (code, minor, numeric) in expect {
            let c = Currency::from_code(code).unwrap();
            assert_eq!(
                (c.code(), c.minor_units(), c.numeric()),
                (code, minor, numeric)
            );
            let kind = if numeric.is_some() {
                CurrencyKind::Iso4217
            } else {
                CurrencyKind::Asset
            };
            assert_eq!(c.kind(), kind);
        }
    }

    #[test]
    fn unknown_codes_are_rejected_with_a_reason() {
        let cases = [
            ("", "unknown currency"),
            ("eur", "did you mean \"EUR\""),
            ("Eur", "did you mean \"EUR\""),
            ("usdc", "did you mean \"USDC\""),
            (" EUR", "unknown currency"),
            ("EUR ", "unknown currency"),
            ("EURO", "unknown currency"),
            ("XAU", "no minor unit"),
            ("XXX", "no minor unit"),
            ("XTS", "no minor unit"),
            ("BGN", "withdrawn"),
            ("HRK", "withdrawn"),
            ("ANG", "unknown currency"),
            ("978", "unknown currency"),
            ("DOGE", "unknown currency"),
        ];
        for (code, why) in cases {
            let err = Currency::from_code(code).unwrap_err();
            assert_eq!(err.code(), ErrorCode::CurrencyUnknown, "{code:?}");
            assert_eq!(err.param(), "currency");
            assert!(err.message().contains(why), "{code:?}: {}", err.message());
        }
    }

    /// Every code of the `iso_currency` crate with a defined minor unit is in our table with the
    /// same numeric code and exponent, except the documented withdrawn codes; every ISO code in
    /// our table is in the crate.
    #[test]
    fn table_matches_iso_currency_crate() {
        // The crate's `iterator` feature is off; enumerate every possible alphabetic code.
        let mut crate_codes = Vec::new();
        for a in b'A'..=b'Z' {
            for b in b'A'..=b'Z' {
                for c in b'A'..=b'Z' {
                    let code = String::from_utf8(vec![a, b, c]).unwrap();
                    if let Some(iso) = iso_currency::Currency::from_code(&code) {
                        crate_codes.push((code, iso));
                    }
                }
            }
        }
        assert!(
            crate_codes.len() > 170,
            "enumeration found only {}",
            crate_codes.len()
        );

        let mut checked = 0;
        for (code, iso) in &crate_codes {
            let ours = lookup(code);
            match iso.exponent() {
                None => {
                    assert!(
                        ours.is_none(),
                        "{code} has no minor unit but is in our table"
                    );
                    assert!(
                        NO_MINOR_UNIT_CODES.contains(&code.as_str()),
                        "{code} N.A. but undocumented"
                    );
                }
                Some(_) if WITHDRAWN_CODES.iter().any(|(old, _)| old == code) => {
                    assert!(ours.is_none(), "{code} is withdrawn but in our table");
                    // A withdrawn code must be one the crate itself marks as superseded.
                    assert!(
                        iso.is_superseded().is_some(),
                        "{code} withdrawn but not superseded in crate"
                    );
                }
                Some(exponent) => {
                    let ours = ours.unwrap_or_else(|| panic!("{code} missing from our table"));
                    assert_eq!(ours.minor_units, u32::from(exponent), "{code} minor units");
                    assert_eq!(ours.numeric, Some(iso.numeric()), "{code} numeric");
                    assert_eq!(ours.kind, CurrencyKind::Iso4217);
                    checked += 1;
                }
            }
        }
        let ours_iso: Vec<&Currency> = Currency::all()
            .iter()
            .filter(|c| c.kind == CurrencyKind::Iso4217)
            .collect();
        assert_eq!(checked, ours_iso.len());
        for c in ours_iso {
            assert!(
                iso_currency::Currency::from_code(c.code).is_some(),
                "{} not in iso_currency",
                c.code
            );
        }
        for code in NO_MINOR_UNIT_CODES {
            let iso =
                iso_currency::Currency::from_code(code).expect("N.A. code known to the crate");
            assert_eq!(iso.exponent(), None, "{code}");
        }
        for (old, new) in WITHDRAWN_CODES {
            assert!(iso_currency::Currency::from_code(old).is_some());
            assert!(lookup(new).is_some(), "replacement {new} must be active");
        }
        // Asset codes must never shadow an ISO code.
        for c in Currency::all()
            .iter()
            .filter(|c| c.kind == CurrencyKind::Asset)
        {
            assert!(
                iso_currency::Currency::from_code(c.code).is_none(),
                "{}",
                c.code
            );
        }
    }
}
