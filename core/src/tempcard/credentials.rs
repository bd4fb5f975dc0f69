//! System 2's credentials: a temporary PAN, its expiry and its CVV, and the two windows.
//!
//! # PAN
//!
//! A PAN is `prefix ‖ account digits ‖ Luhn check digit`, `panLength` digits in all (13–19). The
//! prefix comes from the configured BIN range `low..=high` (two equal-length strings of
//! [`BIN_DIGITS_MIN`]–[`BIN_DIGITS_MAX`] digits, no leading zero); the account has
//! `k = panLength − binLength − 1` digits (at least 4). The core draws no randomness: the caller
//! passes [`PAN_RANDOMNESS_BYTES`] random bytes, read as [`PAN_DRAW_ATTEMPTS_MAX`] big-endian
//! `u64` draws. With `n = (high − low + 1) · 10^k` possible PANs (at most 9·10^17), a draw `v`
//! is accepted when `v < ⌊2^64 / n⌋ · n` and gives the index `x = v mod n`: every PAN of the
//! range is then exactly equally likely. The first accepted draw wins; the prefix is
//! `low + ⌊x / 10^k⌋` and the account digits `x mod 10^k`, zero-padded. A draw is rejected with
//! probability `(2^64 mod n) / 2^64 < 5.5 %`, so all 16 are rejected with probability below
//! 2^-60 — then the outcome is `RANDOMNESS_EXHAUSTED` and the caller draws again.
//!
//! Uniqueness per parent account: the caller lists the PANs already issued for the parent (its
//! physical card's too, if it should never be drawn), at most [`ISSUED_PANS_MAX`]. A drawn PAN in
//! the list is `PAN_COLLISION`: the caller calls again with fresh randomness (the next draw is not
//! tried, so one call is one draw and a collision is visible to the caller).
//!
//! # Expiry
//!
//! **A card expires at the end of its MM/YY month in UTC**, and that instant is its exact expiry
//! timestamp `expiresAt`: the first second of the following month, exclusive (`12/26` →
//! `2027-01-01T00:00:00Z`). The two forms say the same thing, so the date a merchant reads and the
//! instant the core enforces can never disagree. At issuance the expiry month is the UTC month
//! holding the last second of the usable window (`usableWindow.until − 1`), so a card never
//! expires inside its usable window; the usable window, not the expiry, is what limits the use
//! of a temporary card.
//!
//! # CVV
//!
//! ```text
//! mac = HMAC-SHA256(cvvKey, "countersign.tempcard.cvv.v1" ‖ 0x00 ‖ PAN ‖ 0x00 ‖ YYYYMM)
//! ```
//!
//! with the PAN and the expiry's four-digit year and two-digit month in ASCII. The 32-byte MAC is
//! read as sixteen big-endian `u16` chunks `c0 … c15`; the CVV is `c mod 1000` of the first chunk
//! below 65 000 (= 65 · 1000, so each of the 1000 values is equally likely), as three digits with
//! leading zeros. If all sixteen chunks are ≥ 65 000 (probability (536/65536)^16 < 2^-110) it is
//! `c15 mod 1000`, a documented fallback whose bias is far below any observable level. The
//! selection runs over all chunks with constant-time selects (no branch on secret data). The CVV
//! is never stored: [`derive_cvv`] recomputes it, [`verify_cvv`] compares with
//! [`crate::crypto::ct_eq`]. The key is [`CVV_KEY_LEN`] bytes the issuer keeps.
//!
//! # Windows
//!
//! Two half-open windows `[from, until)` in Unix seconds: the **display window** (when the
//! credentials may be shown to the holder) and the **usable window** (when they authorise).
//! Each lasts at most [`WINDOW_SECONDS_MAX`]; the display window must end no later than the
//! usable window (credentials that can no longer authorise are never shown) and may start before
//! it (shown at approval, usable later). [`Credentials::display_status`] and
//! [`Credentials::usable_status`] answer "may these be shown at `now`?" and "do these authorise
//! at `now`?"; [`Credentials::reveal`] returns the PAN, expiry and CVV only inside the display
//! window.

use core::fmt;

use serde::{Deserialize, Serialize};
use subtle::{ConditionallySelectable, ConstantTimeLess};
use zeroize::{Zeroize, Zeroizing};

use super::codes::TempCardCode;
use crate::crypto::{ct_eq, hmac_sha256};
use crate::error::{Error, ErrorCode, Result};
use crate::limits::check_time;

/// The fewest digits of a BIN (issuer identification number) prefix.
pub const BIN_DIGITS_MIN: usize = 6;
/// The most digits of a BIN prefix.
pub const BIN_DIGITS_MAX: usize = 8;
/// The shortest PAN, in digits (ISO/IEC 7812).
pub const PAN_DIGITS_MIN: usize = 13;
/// The longest PAN, in digits (ISO/IEC 7812).
pub const PAN_DIGITS_MAX: usize = 19;
/// How many draws [`issue`] makes from the caller's randomness before `RANDOMNESS_EXHAUSTED`.
pub const PAN_DRAW_ATTEMPTS_MAX: usize = 16;
/// Bytes of randomness per draw (one big-endian `u64`).
pub const PAN_DRAW_BYTES: usize = 8;
/// Bytes of randomness [`issue`] takes, exactly: one draw per attempt.
pub const PAN_RANDOMNESS_BYTES: usize = PAN_DRAW_ATTEMPTS_MAX * PAN_DRAW_BYTES;
/// The most already-issued PANs a caller may list for a parent account.
pub const ISSUED_PANS_MAX: usize = 1024;
/// Length of the CVV key in bytes.
pub const CVV_KEY_LEN: usize = 32;
/// Digits of a CVV.
pub const CVV_DIGITS: usize = 3;
/// The longest display or usable window, in seconds (366 days).
pub const WINDOW_SECONDS_MAX: i64 = 366 * 86_400;
/// The time zone in which a card's MM/YY month ends.
pub const EXPIRY_TIME_ZONE: &str = "UTC";

/// Domain-separation prefix of the CVV's HMAC input (versioned: a new derivation gets a new tag).
const CVV_DOMAIN: &[u8] = b"countersign.tempcard.cvv.v1";
/// A CVV chunk below this (65 · 1000) is accepted: `chunk mod 1000` is then uniform.
const CVV_CHUNK_ACCEPT_BELOW: u16 = 65_000;
/// The number of distinct CVVs (10^CVV_DIGITS).
const CVV_VALUES: u16 = 1000;
/// Bytes of a `MM/YY` display string (error messages quote at most one more).
const MM_YY_BYTES: usize = 5;
/// Seconds in a day.
const DAY_S: i64 = 86_400;

/// The configured BIN range and PAN length. JSON: `{"low": "45717360", "high": "45717369",
/// "panLength": 16}`; a single BIN has `low == high`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "tempcard.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BinRange {
    /// The lowest prefix: 6–8 ASCII digits, not starting with `0`.
    pub low: String,
    /// The highest prefix: as many digits as `low`, numerically `>= low`.
    pub high: String,
    /// PAN length in digits, 13–19, at least prefix length + 5 (4 account digits and the check digit).
    pub pan_length: u8,
}

/// A half-open time window `[from, until)`, Unix seconds.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "tempcard.ts", rename = "TimeWindow"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Window {
    /// The first second inside the window.
    pub from: i64,
    /// The first second after the window.
    pub until: i64,
}

impl Window {
    fn validate(&self, param: &'static str) -> Result<()> {
        check_time(self.from, param)?;
        check_time(self.until, param)?;
        if self.from >= self.until {
            return Err(invalid(
                param,
                format!("from ({}) must be before until ({})", self.from, self.until),
            ));
        }
        // Both are within the time range checked above: no overflow.
        if self.until - self.from > WINDOW_SECONDS_MAX {
            return Err(invalid(
                param,
                format!(
                    "lasts {} s, more than WINDOW_SECONDS_MAX ({WINDOW_SECONDS_MAX} s)",
                    self.until - self.from
                ),
            ));
        }
        Ok(())
    }

    /// Where `now` lies: before, inside or after the window.
    fn locate(&self, now: i64) -> core::cmp::Ordering {
        if now < self.from {
            core::cmp::Ordering::Less
        } else if now < self.until {
            core::cmp::Ordering::Equal
        } else {
            core::cmp::Ordering::Greater
        }
    }
}

/// What [`issue`] needs: the BIN range, the two windows, and the PANs already issued for the
/// parent account.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "tempcard.ts", rename = "CredentialIssueRequest"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IssueRequest {
    /// Where the PAN comes from.
    pub bin_range: BinRange,
    /// When the credentials may be shown.
    pub display_window: Window,
    /// When the credentials authorise.
    pub usable_window: Window,
    /// PANs already issued for the parent account (13–19 digits each), at most [`ISSUED_PANS_MAX`].
    // Optional in TypeScript: the core reads a missing field as its default.
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<String>>", optional))]
    #[serde(default)]
    pub issued_pans: Vec<String>,
}

/// Temporary-card credentials, without the CVV (never stored: [`Credentials::reveal`] and
/// [`derive_cvv`] recompute it from the issuer's key).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "tempcard.ts", rename = "TempCredentials"))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Credentials {
    /// The temporary PAN (13–19 digits, Luhn-valid).
    pub pan: String,
    /// The expiry for display, `MM/YY`: the card expires at the end of this month, UTC.
    pub expiry: String,
    /// The exact expiry, Unix seconds: the first second after the `expiry` month, UTC (exclusive).
    pub expires_at: i64,
    /// When the credentials may be shown.
    pub display_window: Window,
    /// When the credentials authorise (ends no later than `expiresAt`).
    pub usable_window: Window,
}

/// The result of [`issue`]: `ISSUED` with the credentials, or `PAN_COLLISION` /
/// `RANDOMNESS_EXHAUSTED` without.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "tempcard.ts", rename = "CredentialIssueResult"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueResult {
    /// `ISSUED`, `PAN_COLLISION` or `RANDOMNESS_EXHAUSTED`.
    pub code: TempCardCode,
    /// The new credentials (only with `ISSUED`).
    pub credentials: Option<Credentials>,
}

/// Credentials as a merchant presents them: PAN, `MM/YY` and CVV, as typed.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "tempcard.ts"))]
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PresentedCredentials {
    /// The PAN as presented.
    pub pan: String,
    /// The expiry as presented, `MM/YY`.
    pub expiry: String,
    /// The CVV as presented.
    pub cvv: String,
}

impl fmt::Debug for PresentedCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PresentedCredentials")
            .field("pan", &self.pan)
            .field("expiry", &self.expiry)
            .field("cvv", &"***")
            .finish()
    }
}

impl Drop for PresentedCredentials {
    fn drop(&mut self) {
        self.cvv.zeroize();
    }
}

/// The result of [`Credentials::reveal`]: inside the display window (`DISPLAY_ALLOWED`) the PAN,
/// expiry and CVV; otherwise only the code. The CVV string is zeroised on drop.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "tempcard.ts", rename = "RevealResult"))]
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reveal {
    /// `DISPLAY_ALLOWED`, `DISPLAY_NOT_YET_OPEN` or `DISPLAY_CLOSED`.
    pub code: TempCardCode,
    /// The PAN (only with `DISPLAY_ALLOWED`).
    pub pan: Option<String>,
    /// The expiry, `MM/YY` (only with `DISPLAY_ALLOWED`).
    pub expiry: Option<String>,
    /// The CVV, three digits (only with `DISPLAY_ALLOWED`).
    pub cvv: Option<String>,
}

impl fmt::Debug for Reveal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reveal")
            .field("code", &self.code)
            .field("pan", &self.pan)
            .field("expiry", &self.expiry)
            .field("cvv", &self.cvv.as_ref().map(|_| "***"))
            .finish()
    }
}

impl Drop for Reveal {
    fn drop(&mut self) {
        if let Some(cvv) = self.cvv.as_mut() {
            cvv.zeroize();
        }
    }
}

/// A derived CVV: three ASCII digits, zeroised on drop, redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Cvv([u8; CVV_DIGITS]);

impl Cvv {
    /// The three digits, e.g. `"042"`.
    pub fn as_str(&self) -> &str {
        // Always ASCII digits by construction; the fallback keeps this total.
        core::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl fmt::Debug for Cvv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cvv(***)")
    }
}

impl Drop for Cvv {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// A card's expiry month (UTC). The card expires at the end of it: [`Expiry::expires_at`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Expiry {
    year: i64,
    month: u8,
}

impl Expiry {
    /// The UTC month that holds `time` (Unix seconds within the accepted time range).
    ///
    /// Errors: `INVALID_ARGUMENT` about `param` outside `TIME_S_MIN..=TIME_S_MAX`.
    pub fn containing(time: i64, param: &'static str) -> Result<Expiry> {
        check_time(time, param)?;
        let (year, month, _) = civil_from_days(time.div_euclid(DAY_S));
        Ok(Expiry { year, month })
    }

    /// The expiry whose exact timestamp is `expires_at`, which must be the first second of a
    /// UTC month (the end of the expiry month).
    ///
    /// Errors: `INVALID_ARGUMENT` about `param` when it is out of range or not a month start.
    pub fn from_expires_at(expires_at: i64, param: &'static str) -> Result<Expiry> {
        // The month ending at `expires_at` holds the second before it.
        let last = expires_at
            .checked_sub(1)
            .ok_or_else(|| invalid(param, "is out of range".to_owned()))?;
        let expiry = Expiry::containing(last, param)?;
        if expiry.expires_at() != expires_at {
            return Err(invalid(
                param,
                format!(
                    "{expires_at} is not the first second of a UTC month (a card expires at the end of its MM/YY month, UTC)"
                ),
            ));
        }
        Ok(expiry)
    }

    /// The four-digit year.
    pub fn year(&self) -> i64 {
        self.year
    }

    /// The month, 1–12.
    pub fn month(&self) -> u8 {
        self.month
    }

    /// The exact expiry: the first second after the month, UTC, Unix seconds (exclusive).
    pub fn expires_at(&self) -> i64 {
        let (year, month) = if self.month >= 12 {
            (self.year + 1, 1)
        } else {
            (self.year, self.month + 1)
        };
        days_from_civil(year, month, 1) * DAY_S
    }

    /// `MM/YY`, e.g. `"12/26"`.
    pub fn mm_yy(&self) -> String {
        format!("{:02}/{:02}", self.month, self.year.rem_euclid(100))
    }

    /// `YYYYMM`, the form inside the CVV's HMAC input.
    fn yyyymm(&self) -> String {
        format!("{:04}{:02}", self.year, self.month)
    }
}

fn invalid(param: &'static str, message: String) -> Error {
    Error::new(ErrorCode::InvalidArgument, param, message)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
/// Exact for every date in the accepted time range.
fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let month = i64::from(month);
    let day = i64::from(day);
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let shifted_month = (month + 9) % 12; // March = 0
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// (year, month, day) of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153; // March = 0
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // month is 1..=12 and day 1..=31 by construction.
    (
        year,
        u8::try_from(month).unwrap_or(1),
        u8::try_from(day).unwrap_or(1),
    )
}

// ------------------------------------------------------------------------------------- Luhn

/// The Luhn (ISO/IEC 7812-1 Annex B) check digit to append to `payload`, or `None` when
/// `payload` is empty, longer than [`PAN_DIGITS_MAX`] digits, or not all ASCII digits.
pub fn luhn_check_digit(payload: &str) -> Option<u8> {
    if payload.is_empty() || payload.len() > PAN_DIGITS_MAX {
        return None;
    }
    // Counting from the right of the payload, the first digit is the one doubled (the check
    // digit will sit to its right).
    let sum = luhn_sum(payload, true)?;
    Some((10 - sum % 10) % 10)
}

/// Whether `number` (at least 2 ASCII digits, at most [`PAN_DIGITS_MAX`]) ends with a correct
/// Luhn check digit.
pub fn luhn_valid(number: &str) -> bool {
    (2..=PAN_DIGITS_MAX).contains(&number.len()) && luhn_sum(number, false) == Some(0)
}

/// The Luhn sum mod 10 of `digits`, doubling every second digit from the right, starting with
/// the rightmost when `double_rightmost`. `None` on a non-digit.
fn luhn_sum(digits: &str, double_rightmost: bool) -> Option<u8> {
    let mut sum = 0u8;
    for (position, byte) in digits.bytes().rev().enumerate() {
        let digit = byte.checked_sub(b'0').filter(|&d| d <= 9)?;
        let doubled = (position % 2 == 0) == double_rightmost;
        let value = if doubled {
            let twice = digit * 2;
            if twice > 9 {
                twice - 9
            } else {
                twice
            }
        } else {
            digit
        };
        sum = (sum + value) % 10;
    }
    Some(sum)
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Checks a stored or issued PAN: 13–19 ASCII digits with a valid Luhn check digit.
fn check_pan(pan: &str, param: &'static str) -> Result<()> {
    if !all_digits(pan) || !(PAN_DIGITS_MIN..=PAN_DIGITS_MAX).contains(&pan.len()) {
        return Err(invalid(
            param,
            format!("must be {PAN_DIGITS_MIN}–{PAN_DIGITS_MAX} ASCII digits"),
        ));
    }
    if !luhn_valid(pan) {
        return Err(invalid(param, "has a wrong Luhn check digit".to_owned()));
    }
    Ok(())
}

// -------------------------------------------------------------------------------- issuance

/// A validated BIN range: numeric bounds, prefix length, account digits.
struct Range {
    low: u64,
    prefix_digits: usize,
    account_digits: usize,
    /// 10^account_digits.
    account_space: u64,
    /// Number of possible PANs, (high − low + 1) · 10^account_digits, at most 9·10^17.
    count: u64,
}

impl BinRange {
    fn validate(&self) -> Result<Range> {
        const PARAM: &str = "binRange";
        let prefix_digits = self.low.len();
        for (name, bin) in [("low", &self.low), ("high", &self.high)] {
            if !all_digits(bin) || !(BIN_DIGITS_MIN..=BIN_DIGITS_MAX).contains(&bin.len()) {
                return Err(invalid(
                    PARAM,
                    format!("{name} must be {BIN_DIGITS_MIN}–{BIN_DIGITS_MAX} ASCII digits"),
                ));
            }
            if bin.starts_with('0') {
                return Err(invalid(
                    PARAM,
                    format!(
                        "{name} must not start with 0 (major industry identifier 0 is reserved)"
                    ),
                ));
            }
        }
        if self.high.len() != prefix_digits {
            return Err(invalid(
                PARAM,
                "low and high must have the same number of digits".to_owned(),
            ));
        }
        // At most 8 digits each: they fit u64.
        let low: u64 = self
            .low
            .parse()
            .map_err(|_| invalid(PARAM, "low is not a number".to_owned()))?;
        let high: u64 = self
            .high
            .parse()
            .map_err(|_| invalid(PARAM, "high is not a number".to_owned()))?;
        if low > high {
            return Err(invalid(PARAM, "low must not be above high".to_owned()));
        }
        let pan_length = usize::from(self.pan_length);
        let account_digits = pan_length
            .checked_sub(prefix_digits + 1)
            .filter(|_| (PAN_DIGITS_MIN..=PAN_DIGITS_MAX).contains(&pan_length))
            .ok_or_else(|| {
                invalid(
                    PARAM,
                    format!("panLength must be {PAN_DIGITS_MIN}–{PAN_DIGITS_MAX}"),
                )
            })?;
        // panLength ≥ 13 and the prefix ≤ 8 digits: at least 4 account digits; at most 12.
        let account_space = u32::try_from(account_digits)
            .ok()
            .and_then(|digits| 10u64.checked_pow(digits))
            .ok_or_else(|| Error::new(ErrorCode::Internal, PARAM, "account space overflow"))?;
        let count = (high - low + 1)
            .checked_mul(account_space)
            .ok_or_else(|| Error::new(ErrorCode::Internal, PARAM, "PAN space overflow"))?;
        Ok(Range {
            low,
            prefix_digits,
            account_digits,
            account_space,
            count,
        })
    }
}

impl Range {
    /// The PAN of index `x < count`.
    fn pan(&self, x: u64) -> Option<String> {
        let prefix = self.low.checked_add(x / self.account_space)?;
        let account = x % self.account_space;
        let payload = format!(
            "{prefix:0prefix_width$}{account:0account_width$}",
            prefix_width = self.prefix_digits,
            account_width = self.account_digits
        );
        let check = luhn_check_digit(&payload)?;
        Some(format!("{payload}{check}"))
    }

    /// The first accepted draw's index, by rejection sampling (see the module docs).
    fn draw(&self, randomness: &[u8]) -> Option<u64> {
        let count = u128::from(self.count);
        // The largest multiple of `count` not above 2^64: draws below it map uniformly.
        let accept_below = ((1u128 << 64) / count) * count;
        randomness
            .chunks_exact(PAN_DRAW_BYTES)
            .take(PAN_DRAW_ATTEMPTS_MAX)
            .filter_map(|chunk| <[u8; PAN_DRAW_BYTES]>::try_from(chunk).ok())
            .map(|bytes| u128::from(u64::from_be_bytes(bytes)))
            .find(|&draw| draw < accept_below)
            .and_then(|draw| u64::try_from(draw % count).ok())
    }
}

/// Issues temporary credentials: a PAN drawn uniformly from the BIN range with `randomness`
/// (exactly [`PAN_RANDOMNESS_BYTES`] bytes from a CSPRNG), unique among `issuedPans`, the expiry
/// month holding the last second of the usable window, and the two windows. The CVV is not part
/// of the result: [`Credentials::reveal`] derives it when the credentials may be shown.
///
/// Outcomes: `ISSUED`, `PAN_COLLISION`, `RANDOMNESS_EXHAUSTED` (both: call again with fresh
/// randomness).
///
/// Errors: `INVALID_ARGUMENT` about `randomness` (wrong length), `binRange`, `displayWindow`,
/// `usableWindow` (bounds, order, length, display ending after usable), `issuedPans` (not
/// 13–19 digits); `LIMIT_EXCEEDED` about `issuedPans` (more than [`ISSUED_PANS_MAX`]).
pub fn issue(request: &IssueRequest, randomness: &[u8]) -> Result<IssueResult> {
    if randomness.len() != PAN_RANDOMNESS_BYTES {
        return Err(invalid(
            "randomness",
            format!(
                "must be exactly PAN_RANDOMNESS_BYTES ({PAN_RANDOMNESS_BYTES}) bytes, got {}",
                randomness.len()
            ),
        ));
    }
    let range = request.bin_range.validate()?;
    check_windows(&request.display_window, &request.usable_window)?;
    if request.issued_pans.len() > ISSUED_PANS_MAX {
        return Err(Error::new(
            ErrorCode::LimitExceeded,
            "issuedPans",
            format!(
                "lists {} PANs, more than ISSUED_PANS_MAX ({ISSUED_PANS_MAX})",
                request.issued_pans.len()
            ),
        ));
    }
    for pan in &request.issued_pans {
        if !all_digits(pan) || !(PAN_DIGITS_MIN..=PAN_DIGITS_MAX).contains(&pan.len()) {
            return Err(invalid(
                "issuedPans",
                format!("every PAN must be {PAN_DIGITS_MIN}–{PAN_DIGITS_MAX} ASCII digits"),
            ));
        }
    }
    // The usable window ends after its start ≥ TIME_S_MIN: `until − 1` is in range.
    let expiry = Expiry::containing(request.usable_window.until - 1, "usableWindow")?;
    let Some(index) = range.draw(randomness) else {
        return Ok(IssueResult {
            code: TempCardCode::RandomnessExhausted,
            credentials: None,
        });
    };
    let pan = range
        .pan(index)
        .ok_or_else(|| Error::new(ErrorCode::Internal, "binRange", "PAN construction failed"))?;
    if request.issued_pans.contains(&pan) {
        return Ok(IssueResult {
            code: TempCardCode::PanCollision,
            credentials: None,
        });
    }
    Ok(IssueResult {
        code: TempCardCode::Issued,
        credentials: Some(Credentials {
            pan,
            expiry: expiry.mm_yy(),
            expires_at: expiry.expires_at(),
            display_window: request.display_window,
            usable_window: request.usable_window,
        }),
    })
}

/// Checks a BIN range as [`issue`] does (for a service configured once and issuing later).
///
/// Errors: `INVALID_ARGUMENT` about `binRange`.
pub(super) fn check_bin_range(range: &BinRange) -> Result<()> {
    range.validate().map(|_| ())
}

pub(super) fn check_windows(display: &Window, usable: &Window) -> Result<()> {
    display.validate("displayWindow")?;
    usable.validate("usableWindow")?;
    if display.until > usable.until {
        return Err(invalid(
            "displayWindow",
            format!(
                "ends at {}, after the usable window ({}): credentials that no longer authorise are never shown",
                display.until, usable.until
            ),
        ));
    }
    Ok(())
}

// ------------------------------------------------------------------------------------ CVV

pub(super) fn check_cvv_key(cvv_key: &[u8]) -> Result<()> {
    if cvv_key.len() == CVV_KEY_LEN {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::KeyInvalid,
            "cvvKey",
            format!("must be {CVV_KEY_LEN} bytes, got {}", cvv_key.len()),
        ))
    }
}

/// The CVV of `pan` expiring at `expires_at`, under `cvv_key` (derivation in the module docs).
///
/// Errors: `KEY_INVALID` about `cvvKey` (not [`CVV_KEY_LEN`] bytes); `INVALID_ARGUMENT` about
/// `pan` (not 13–19 digits, or a wrong Luhn digit) or `expiresAt` (not the first second of a
/// UTC month within the time range).
pub fn derive_cvv(cvv_key: &[u8], pan: &str, expires_at: i64) -> Result<Cvv> {
    check_cvv_key(cvv_key)?;
    check_pan(pan, "pan")?;
    let expiry = Expiry::from_expires_at(expires_at, "expiresAt")?;
    Ok(cvv_from_parts(cvv_key, pan, &expiry))
}

/// The CVV value 0..=999 of a MAC: `c mod 1000` of the first big-endian `u16` chunk below
/// 65 000, else of the last chunk. Every chunk is looked at and the selects are branch-free.
pub(super) fn decimalise(mac: &[u8; 32]) -> u16 {
    let chunks = mac
        .chunks_exact(2)
        .filter_map(|pair| <[u8; 2]>::try_from(pair).ok())
        .map(u16::from_be_bytes);
    let mut value = 0u16;
    let mut found = subtle::Choice::from(0);
    let mut last = 0u16;
    for chunk in chunks {
        let accepted = chunk.ct_lt(&CVV_CHUNK_ACCEPT_BELOW);
        let take = accepted & !found;
        value = u16::conditional_select(&value, &(chunk % CVV_VALUES), take);
        found |= accepted;
        last = chunk;
    }
    // The documented fallback when no chunk was accepted (probability below 2^-110).
    let result = u16::conditional_select(&(last % CVV_VALUES), &value, found);
    value.zeroize();
    last.zeroize();
    result
}

fn cvv_from_parts(cvv_key: &[u8], pan: &str, expiry: &Expiry) -> Cvv {
    let mut message = Zeroizing::new(Vec::with_capacity(CVV_DOMAIN.len() + PAN_DIGITS_MAX + 8));
    message.extend_from_slice(CVV_DOMAIN);
    message.push(0);
    message.extend_from_slice(pan.as_bytes());
    message.push(0);
    message.extend_from_slice(expiry.yyyymm().as_bytes());
    let mac = Zeroizing::new(hmac_sha256(cvv_key, &message));
    let mut value = decimalise(&mac);
    let digits = [
        b'0' + u8::try_from(value / 100).unwrap_or(0),
        b'0' + u8::try_from(value / 10 % 10).unwrap_or(0),
        b'0' + u8::try_from(value % 10).unwrap_or(0),
    ];
    value.zeroize();
    Cvv(digits)
}

/// Checks a presented CVV against the one derived for `pan` and `expires_at`, in constant time.
///
/// Outcomes: `CVV_VALID`, `CVV_INVALID`, `CVV_MALFORMED` (not exactly three ASCII digits).
///
/// Errors: as [`derive_cvv`] (about the key, the PAN and the expiry, never about `presented`).
pub fn verify_cvv(
    cvv_key: &[u8],
    pan: &str,
    expires_at: i64,
    presented: &str,
) -> Result<TempCardCode> {
    let expected = derive_cvv(cvv_key, pan, expires_at)?;
    if presented.len() != CVV_DIGITS || !all_digits(presented) {
        return Ok(TempCardCode::CvvMalformed);
    }
    Ok(if ct_eq(&expected.0, presented.as_bytes()) {
        TempCardCode::CvvValid
    } else {
        TempCardCode::CvvInvalid
    })
}

// --------------------------------------------------------------------------- credentials

impl Credentials {
    /// Checks the credentials a caller passes back: PAN (digits, length, Luhn), `expiresAt` the
    /// end of a UTC month, `expiry` its `MM/YY`, the windows as at issuance, and the usable
    /// window ending no later than `expiresAt`.
    ///
    /// Errors: `INVALID_ARGUMENT` about `credentials`.
    pub fn validate(&self) -> Result<Expiry> {
        const PARAM: &str = "credentials";
        check_pan(&self.pan, PARAM)?;
        let expiry = Expiry::from_expires_at(self.expires_at, PARAM)?;
        if self.expiry != expiry.mm_yy() {
            return Err(invalid(
                PARAM,
                format!(
                    "expiry {:?} is not the MM/YY of expiresAt ({})",
                    self.expiry
                        .chars()
                        .take(MM_YY_BYTES + 1)
                        .collect::<String>(),
                    expiry.mm_yy()
                ),
            ));
        }
        check_windows(&self.display_window, &self.usable_window)?;
        if self.usable_window.until > self.expires_at {
            return Err(invalid(
                PARAM,
                "the usable window ends after expiresAt".to_owned(),
            ));
        }
        Ok(expiry)
    }

    /// May these credentials be shown at `now`?
    ///
    /// Outcomes: `DISPLAY_ALLOWED`, `DISPLAY_NOT_YET_OPEN`, `DISPLAY_CLOSED`.
    ///
    /// Errors: `INVALID_ARGUMENT` about `credentials` ([`Credentials::validate`]) or `now`.
    pub fn display_status(&self, now: i64) -> Result<TempCardCode> {
        self.validate()?;
        check_time(now, "now")?;
        Ok(match self.display_window.locate(now) {
            core::cmp::Ordering::Less => TempCardCode::DisplayNotYetOpen,
            core::cmp::Ordering::Equal => TempCardCode::DisplayAllowed,
            core::cmp::Ordering::Greater => TempCardCode::DisplayClosed,
        })
    }

    /// Do these credentials authorise at `now`? Expiry is checked first (it is the more
    /// definitive reason), then the usable window.
    ///
    /// Outcomes: `USABLE`, `NOT_YET_USABLE`, `USABLE_WINDOW_CLOSED`, `EXPIRED`.
    ///
    /// Errors: `INVALID_ARGUMENT` about `credentials` or `now`.
    pub fn usable_status(&self, now: i64) -> Result<TempCardCode> {
        self.validate()?;
        check_time(now, "now")?;
        Ok(self.usable_at(now))
    }

    fn usable_at(&self, now: i64) -> TempCardCode {
        if now >= self.expires_at {
            return TempCardCode::Expired;
        }
        match self.usable_window.locate(now) {
            core::cmp::Ordering::Less => TempCardCode::NotYetUsable,
            core::cmp::Ordering::Equal => TempCardCode::Usable,
            core::cmp::Ordering::Greater => TempCardCode::UsableWindowClosed,
        }
    }

    /// The PAN, expiry and CVV to show the holder, only inside the display window; outside it,
    /// only the code. The CVV is derived here (never stored).
    ///
    /// Outcomes: as [`Credentials::display_status`].
    ///
    /// Errors: `KEY_INVALID` about `cvvKey`; `INVALID_ARGUMENT` about `credentials` or `now`.
    pub fn reveal(&self, cvv_key: &[u8], now: i64) -> Result<Reveal> {
        check_cvv_key(cvv_key)?;
        let code = self.display_status(now)?;
        if code != TempCardCode::DisplayAllowed {
            return Ok(Reveal {
                code,
                pan: None,
                expiry: None,
                cvv: None,
            });
        }
        let expiry = self.validate()?;
        let cvv = cvv_from_parts(cvv_key, &self.pan, &expiry);
        Ok(Reveal {
            code,
            pan: Some(self.pan.clone()),
            expiry: Some(self.expiry.clone()),
            cvv: Some(cvv.as_str().to_owned()),
        })
    }

    /// Checks credentials presented by a merchant at `now`, first decisive check wins: the PAN
    /// (`PAN_MISMATCH`), the `MM/YY` expiry (`EXPIRY_MISMATCH`), the CVV (`CVV_MALFORMED`,
    /// `CVV_INVALID`; compared in constant time), then the time (`EXPIRED`, `NOT_YET_USABLE`,
    /// `USABLE_WINDOW_CLOSED`); all pass: `CREDENTIALS_VALID`. The credentials are checked
    /// before the time, so the window of a card is only disclosed to whoever holds its
    /// credentials. The CVV is always derived and compared, whatever the PAN and expiry checks
    /// gave, so the time taken does not depend on them.
    ///
    /// Errors: `KEY_INVALID` about `cvvKey`; `INVALID_ARGUMENT` about `credentials` or `now`.
    pub fn verify_presented(
        &self,
        cvv_key: &[u8],
        presented: &PresentedCredentials,
        now: i64,
    ) -> Result<TempCardCode> {
        check_cvv_key(cvv_key)?;
        let expiry = self.validate()?;
        check_time(now, "now")?;
        let expected = cvv_from_parts(cvv_key, &self.pan, &expiry);
        let cvv_well_formed = presented.cvv.len() == CVV_DIGITS && all_digits(&presented.cvv);
        let cvv_matches = ct_eq(&expected.0, presented.cvv.as_bytes());
        if presented.pan != self.pan {
            return Ok(TempCardCode::PanMismatch);
        }
        if presented.expiry != self.expiry {
            return Ok(TempCardCode::ExpiryMismatch);
        }
        if !cvv_well_formed {
            return Ok(TempCardCode::CvvMalformed);
        }
        if !cvv_matches {
            return Ok(TempCardCode::CvvInvalid);
        }
        Ok(match self.usable_at(now) {
            TempCardCode::Usable => TempCardCode::CredentialsValid,
            other => other,
        })
    }
}
