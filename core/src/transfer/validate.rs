//! Validation of account identifiers: IBAN (structure per country from the SWIFT IBAN registry
//! through the `iban_validate` crate, mod-97, national check digits), BIC (ISO 9362), E.164
//! phone numbers, e-mail addresses, US ABA routing numbers, card numbers (Luhn), Open Payments
//! payment pointers and Interledger addresses.
//!
//! Every check is a pure function of the text and returns a value, never an error: an invalid
//! identifier is an outcome the resolver explains (its code names the first rule that failed).
//!
//! # IBAN, in check order
//!
//! | code | when |
//! |---|---|
//! | `iban-format` | after removing ASCII spaces and upper-casing: not 2 letters, 2 digits, then 1..=30 letters or digits (or longer than [`IDENTIFIER_CHARS_MAX`]) |
//! | `iban-checksum` | the ISO 13616 mod-97 check of the whole IBAN fails |
//! | `iban-country-unknown` | the country is not in the registry the crate was generated from |
//! | `iban-bban-invalid` | the BBAN does not follow the country's registry format (length and character classes per position) |
//! | `iban-national-check` | the country defines national check digits that this module checks, and they are wrong |
//! | `iban-valid` | all of the above pass |
//!
//! National check digits are checked for these countries (the algorithms the national schemes
//! publish; the vector model takes them from the Python package `schwifty`, written
//! independently): **BE** (last two digits = the first ten mod 97, 0 read as 97), **FR** and
//! **MC** (the RIB key: 97 − (89·bank + 15·branch + 3·account) mod 97, letters of the account
//! read as digits A/J→1 … I/R→9, S→2 … Z→9), **ES** (two mod-11 digits over bank+branch and over
//! the account, weights 1,2,4,8,5,10,9,7,3,6; 11→0, 10→1), **IT** and **SM** (the CIN letter:
//! odd positions of ABI+CAB+account through the odd table, even positions by value, sum mod 26),
//! **NO** (mod 11 over the ten digits before the last, weights 5,4,3,2,7,6,5,4,3,2; 11→0, a
//! result of 10 is no valid account). Every other country's `nationalCheck` is `not-defined`
//! (Germany's are per bank, with about 150 methods: not checked, and said so).

use serde::{Deserialize, Serialize};

use iban::{Iban, IbanLike, ParseBaseIbanError, ParseIbanError};

/// The longest identifier the validators and the resolver read, characters. Longer input is
/// refused as malformed before any work is done (an IBAN is at most 34, an e-mail 254, an
/// Interledger address 1,023: those longer than this are not accepted by this system).
pub const IDENTIFIER_CHARS_MAX: usize = 256;

crate::limits::outcome_codes! {
    /// The outcome of an IBAN check ([`check_iban`]), first failing rule first.
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer.ts"))]
    pub enum IbanCode {
        /// Every check passed.
        Valid = "iban-valid",
        /// Not two letters, two digits and 1..=30 letters or digits (spaces removed, upper-cased).
        Format = "iban-format",
        /// The ISO 13616 mod-97 check fails.
        Checksum = "iban-checksum",
        /// The country is not in the IBAN registry.
        CountryUnknown = "iban-country-unknown",
        /// The BBAN does not follow the country's registry format.
        BbanInvalid = "iban-bban-invalid",
        /// The national check digits are wrong.
        NationalCheck = "iban-national-check",
    }
}

crate::limits::outcome_codes! {
    /// Whether national check digits were checked ([`check_iban`]).
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer.ts"))]
    pub enum NationalCheck {
        /// Checked and right.
        Valid = "valid",
        /// Checked and wrong.
        Invalid = "invalid",
        /// The country has no national check digits this module checks.
        NotDefined = "not-defined",
        /// The IBAN failed an earlier check.
        NotChecked = "not-checked",
    }
}

/// The result of [`check_iban`].
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IbanCheck {
    /// The outcome.
    pub code: IbanCode,
    /// The electronic form (no spaces, upper case) once the format passed.
    pub electronic: Option<String>,
    /// The country code once the format passed.
    pub country: Option<String>,
    /// The bank identifier (the registry's position in the BBAN) once the BBAN passed.
    pub bank_code: Option<String>,
    /// The branch identifier, where the registry defines one.
    pub branch_code: Option<String>,
    /// The national check digits.
    pub national_check: NationalCheck,
}

/// Removes ASCII spaces and upper-cases ASCII letters (the print form "DE44 5001 …" and a typed
/// lower-case IBAN read as the electronic form).
fn iban_electronic(s: &str) -> String {
    s.chars().filter(|c| *c != ' ').map(|c| c.to_ascii_uppercase()).collect()
}

/// Checks an IBAN, in the order of the table in the module's documentation.
pub fn check_iban(s: &str) -> IbanCheck {
    let mut out = IbanCheck {
        code: IbanCode::Format,
        electronic: None,
        country: None,
        bank_code: None,
        branch_code: None,
        national_check: NationalCheck::NotChecked,
    };
    if s.chars().count() > IDENTIFIER_CHARS_MAX {
        return out;
    }
    let e = iban_electronic(s);
    let b = e.as_bytes();
    let shape = (5..=34).contains(&b.len())
        && b.iter().take(2).all(u8::is_ascii_uppercase)
        && b.iter().skip(2).take(2).all(u8::is_ascii_digit)
        && b.iter().skip(4).all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if !shape {
        return out;
    }
    out.electronic = Some(e.clone());
    out.country = e.get(0..2).map(str::to_owned);
    let iban = match e.parse::<Iban>() {
        Ok(iban) => iban,
        Err(ParseIbanError::InvalidBaseIban { source: ParseBaseIbanError::InvalidChecksum }) => {
            out.code = IbanCode::Checksum;
            return out;
        }
        Err(ParseIbanError::InvalidBaseIban { .. }) => return out,
        Err(ParseIbanError::UnknownCountry(_)) => {
            out.code = IbanCode::CountryUnknown;
            return out;
        }
        Err(ParseIbanError::InvalidBban(_)) => {
            out.code = IbanCode::BbanInvalid;
            return out;
        }
    };
    out.bank_code = iban.bank_identifier().map(str::to_owned);
    out.branch_code = iban.branch_identifier().map(str::to_owned);
    let country = iban.country_code();
    out.national_check = match national_check(country, iban.bban()) {
        None => NationalCheck::NotDefined,
        Some(true) => NationalCheck::Valid,
        Some(false) => NationalCheck::Invalid,
    };
    out.code = if out.national_check == NationalCheck::Invalid { IbanCode::NationalCheck } else { IbanCode::Valid };
    out
}

/// The countries whose national check digits [`check_iban`] checks.
pub const NATIONAL_CHECK_COUNTRIES: &[&str] = &["BE", "ES", "FR", "IT", "MC", "NO", "SM"];

/// `None` where the country's national check digits are not checked; else whether they hold.
/// The BBAN has passed the registry format, so its length and character classes are known.
fn national_check(country: &str, bban: &str) -> Option<bool> {
    let b = bban.as_bytes();
    let digits = |r: core::ops::Range<usize>| -> Option<u128> {
        let part = b.get(r)?;
        part.iter().try_fold(0u128, |acc, c| c.is_ascii_digit().then(|| acc * 10 + u128::from(c - b'0')))
    };
    match country {
        "BE" => {
            // 3 bank + 7 account + 2 check.
            let (body, check) = (digits(0..10)?, digits(10..12)?);
            let r = body % 97;
            Some(check == if r == 0 { 97 } else { r })
        }
        "FR" | "MC" => {
            // 5 bank + 5 branch + 11 account (letters allowed) + 2 key.
            let numerify = |r: core::ops::Range<usize>| -> Option<u128> {
                b.get(r)?.iter().try_fold(0u128, |acc, &c| {
                    let d = match c {
                        b'0'..=b'9' => c - b'0',
                        b'A'..=b'I' => c - b'A' + 1,
                        b'J'..=b'R' => c - b'J' + 1,
                        b'S'..=b'Z' => c - b'S' + 2,
                        _ => return None,
                    };
                    Some(acc * 10 + u128::from(d))
                })
            };
            let (bank, branch, account, key) = (numerify(0..5)?, numerify(5..10)?, numerify(10..21)?, digits(21..23)?);
            Some(key == 97 - (89 * bank + 15 * branch + 3 * account) % 97)
        }
        "ES" => {
            // 4 bank + 4 branch + 2 check + 10 account.
            const W: [u32; 10] = [1, 2, 4, 8, 5, 10, 9, 7, 3, 6];
            let weighted = |part: &[u8], w: &[u32]| -> Option<u32> {
                let sum = part.iter().zip(w).try_fold(0u32, |acc, (c, w)| c.is_ascii_digit().then(|| acc + u32::from(c - b'0') * w))?;
                Some(match 11 - sum % 11 {
                    11 => 0,
                    10 => 1,
                    d => d,
                })
            };
            let d1 = weighted(b.get(0..8)?, W.get(2..)?)?;
            let d2 = weighted(b.get(10..20)?, &W)?;
            Some(digits(8..10)? == u128::from(d1 * 10 + d2))
        }
        "IT" | "SM" => {
            // CIN letter + 5 ABI + 5 CAB + 12 account.
            const ODD: [u32; 26] = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];
            let mut sum = 0u32;
            for (i, &c) in b.get(1..23)?.iter().enumerate() {
                let v = match c {
                    b'0'..=b'9' => c - b'0',
                    b'A'..=b'Z' => c - b'A',
                    _ => return None,
                };
                sum += if i % 2 == 0 { *ODD.get(usize::from(v))? } else { u32::from(v) };
            }
            Some(u32::from(*b.first()?) == u32::from(b'A') + sum % 26)
        }
        "NO" => {
            // 4 bank + 6 account + 1 check.
            const W: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
            let sum = b.get(0..10)?.iter().zip(W).try_fold(0u32, |acc, (c, w)| c.is_ascii_digit().then(|| acc + u32::from(c - b'0') * w))?;
            let check = match 11 - sum % 11 {
                11 => 0,
                10 => return Some(false),
                d => d,
            };
            Some(digits(10..11)? == u128::from(check))
        }
        _ => None,
    }
}

/// The mod-97 check digits (ISO 13616) for a country and BBAN: what makes `CC dd BBAN` pass the
/// checksum. Used by the property test and by hosts that build IBANs; `None` for a malformed
/// country or BBAN.
pub fn iban_check_digits(country: &str, bban: &str) -> Option<u8> {
    let c = country.as_bytes();
    if c.len() != 2 || !c.iter().all(u8::is_ascii_uppercase) || bban.is_empty() || bban.len() > 30 {
        return None;
    }
    let rem = mod97(bban.bytes().chain(country.bytes()).chain(*b"00"))?;
    u8::try_from(98 - rem).ok()
}

/// `n mod 97` of the number formed by reading letters as 10..35 (ISO 7064 MOD 97-10).
fn mod97(chars: impl Iterator<Item = u8>) -> Option<u32> {
    let mut rem = 0u32;
    for c in chars {
        match c {
            b'0'..=b'9' => rem = (rem * 10 + u32::from(c - b'0')) % 97,
            b'A'..=b'Z' => rem = (rem * 100 + u32::from(c - b'A') + 10) % 97,
            _ => return None,
        }
    }
    Some(rem)
}

crate::limits::outcome_codes! {
    /// The outcome of a BIC check ([`check_bic`]).
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer.ts"))]
    pub enum BicCode {
        /// ISO 9362 structure: 4 letters or digits (the institution), 2 letters (the country),
        /// 2 letters or digits (the location), optionally 3 letters or digits (the branch).
        Valid = "bic-valid",
        /// Not that structure (after upper-casing; no spaces inside).
        Format = "bic-format",
    }
}

/// The result of [`check_bic`].
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BicCheck {
    /// The outcome.
    pub code: BicCode,
    /// The BIC, upper-cased, when valid.
    pub bic: Option<String>,
    /// Its country code (ISO 3166 alpha-2 by position; not looked up in a country list).
    pub country: Option<String>,
    /// The location code's second character is `0`: a test BIC (ISO 9362).
    pub test: bool,
    /// No branch code, or `XXX`: the institution's primary office.
    pub primary_office: bool,
}

/// Checks a BIC's ISO 9362 structure (the pattern of ISO 20022's `BICFIDec2014Identifier`:
/// `[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?`, letters upper-cased first). The country code
/// is checked as two letters, not against a list of countries (this module has no such list,
/// and a hand-written one would age).
pub fn check_bic(s: &str) -> BicCheck {
    let mut out = BicCheck { code: BicCode::Format, bic: None, country: None, test: false, primary_office: false };
    let u = s.to_ascii_uppercase();
    let b = u.as_bytes();
    let alnum = |c: &u8| c.is_ascii_uppercase() || c.is_ascii_digit();
    let ok = (b.len() == 8 || b.len() == 11)
        && b.iter().take(4).all(alnum)
        && b.iter().skip(4).take(2).all(u8::is_ascii_uppercase)
        && b.iter().skip(6).all(alnum);
    if !ok {
        return out;
    }
    out.code = BicCode::Valid;
    out.country = u.get(4..6).map(str::to_owned);
    out.test = b.get(7) == Some(&b'0');
    out.primary_office = b.len() == 8 || u.get(8..11) == Some("XXX");
    out.bic = Some(u);
    out
}

/// An E.164 number: `+`, then 1..=15 digits, the first not 0 (ASCII spaces and hyphens are
/// removed first). Returns the number as `+digits`.
pub fn e164(s: &str) -> Option<String> {
    let rest = s.strip_prefix('+')?;
    let digits: String = rest.chars().filter(|c| *c != ' ' && *c != '-').collect();
    let d = digits.as_bytes();
    let ok = (1..=15).contains(&d.len()) && d.iter().all(u8::is_ascii_digit) && d.first() != Some(&b'0');
    ok.then(|| format!("+{digits}"))
}

/// An e-mail address: `local@domain`, the local part 1..=64 characters of the RFC 5322 `atext`
/// set and single dots (not first or last), the domain 1..=253 characters of at least two
/// labels, each 1..=63 letters, digits and inner hyphens. Returns it with the domain
/// lower-cased (the local part is case-sensitive by RFC 5321 and kept as typed).
pub fn email(s: &str) -> Option<String> {
    let (local, domain) = s.rsplit_once('@')?;
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
    let local_ok = (1..=64).contains(&local.len())
        && local.split('.').all(|part| !part.is_empty() && part.chars().all(atext));
    (local_ok && host(domain)).then(|| format!("{local}@{}", domain.to_ascii_lowercase()))
}

/// A DNS host name of at least two labels (see [`email`]).
fn host(domain: &str) -> bool {
    (1..=253).contains(&domain.len())
        && domain.split('.').count() >= 2
        && domain.split('.').all(|label| {
            let l = label.as_bytes();
            (1..=63).contains(&l.len())
                && l.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
                && l.first() != Some(&b'-')
                && l.last() != Some(&b'-')
        })
}

crate::limits::outcome_codes! {
    /// The outcome of a US ABA routing number check ([`check_aba`]).
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer.ts"))]
    pub enum AbaCode {
        /// Nine digits, a Federal Reserve prefix and the checksum hold.
        Valid = "aba-valid",
        /// Not nine digits.
        Format = "aba-format",
        /// The first two digits are not 00–12, 21–32, 61–72 or 80.
        Prefix = "aba-prefix",
        /// 3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) is not a multiple of 10.
        Checksum = "aba-checksum",
    }
}

/// Checks a US ABA routing number (ASCII spaces and hyphens removed first).
pub fn check_aba(s: &str) -> AbaCode {
    let d: Vec<u32> = s.chars().filter(|c| *c != ' ' && *c != '-').map(|c| c.to_digit(10).unwrap_or(99)).collect();
    if d.len() != 9 || d.iter().any(|&x| x > 9) {
        return AbaCode::Format;
    }
    let at = |i: usize| d.get(i).copied().unwrap_or(0);
    let prefix = at(0) * 10 + at(1);
    if !matches!(prefix, 0..=12 | 21..=32 | 61..=72 | 80) {
        return AbaCode::Prefix;
    }
    let sum = 3 * (at(0) + at(3) + at(6)) + 7 * (at(1) + at(4) + at(7)) + (at(2) + at(5) + at(8));
    if sum % 10 == 0 { AbaCode::Valid } else { AbaCode::Checksum }
}

/// Whether a string of digits passes the Luhn check (card numbers, ISO/IEC 7812).
pub fn luhn(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, c) in digits.bytes().rev().enumerate() {
        if !c.is_ascii_digit() {
            return false;
        }
        let mut d = u32::from(c - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum % 10 == 0
}

/// An Open Payments payment pointer `$host/path` as its URL: `https://host/path`, or
/// `https://host/.well-known/pay` when it has no path. The host is a DNS name (see [`email`]);
/// the path is segments of letters, digits and `-._~`.
pub fn payment_pointer_url(s: &str) -> Option<String> {
    let rest = s.strip_prefix('$')?;
    let (h, path) = match rest.split_once('/') {
        Some((h, p)) => (h, p),
        None => (rest, ""),
    };
    let seg_ok = |seg: &str| !seg.is_empty() && seg.chars().all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c));
    if !host(h) || (!path.is_empty() && !path.split('/').all(seg_ok)) {
        return None;
    }
    let h = h.to_ascii_lowercase();
    Some(if path.is_empty() { format!("https://{h}/.well-known/pay") } else { format!("https://{h}/{path}") })
}

/// The Interledger allocation schemes (ILP RFC 15) an address may start with.
pub const ILP_SCHEMES: &[&str] = &["g", "private", "example", "peer", "self", "test", "test1", "test2", "test3", "local"];

/// Whether `s` is an Interledger address (RFC 15): a scheme of [`ILP_SCHEMES`], then one or more
/// `.`-separated segments of letters, digits and `_~-`.
pub fn ilp_address(s: &str) -> bool {
    let mut parts = s.split('.');
    let scheme_ok = parts.next().is_some_and(|p| ILP_SCHEMES.contains(&p));
    let mut segments = 0usize;
    for p in parts {
        if p.is_empty() || !p.chars().all(|c| c.is_ascii_alphanumeric() || "_~-".contains(c)) {
            return false;
        }
        segments += 1;
    }
    scheme_ok && segments >= 1
}
