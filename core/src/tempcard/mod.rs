//! System 2 — the limited-use temporary credit account.
//!
//! When a credit application is approved, the holder's phone shows a temporary account number,
//! expiry date and security code for a limited time; the temporary account can be used for a
//! limited time, with a credit limit reduced below the approved one.
//!
//! This module holds the parts that need no ledger ([`credentials`]): the temporary PAN from a
//! BIN range (Luhn, uniform, unique per parent account), the expiry (exact timestamp and
//! `MM/YY`), the CVV (keyed HMAC-SHA256, never stored, compared in constant time), and the
//! display and usable windows. Every function is pure: randomness and time are inputs.
//!
//! Outcomes are [`TempCardCode`]s (one per reason); an [`crate::Error`] means a malformed call.

mod codes;
pub mod credentials;

#[cfg(test)]
mod tests;

pub use codes::TempCardCode;
pub use credentials::{
    derive_cvv, issue, luhn_check_digit, luhn_valid, verify_cvv, BinRange, Credentials, Cvv,
    Expiry, IssueRequest, IssueResult, PresentedCredentials, Reveal, Window, BIN_DIGITS_MAX,
    BIN_DIGITS_MIN, CVV_DIGITS, CVV_KEY_LEN, EXPIRY_TIME_ZONE, ISSUED_PANS_MAX, PAN_DIGITS_MAX,
    PAN_DIGITS_MIN, PAN_DRAW_ATTEMPTS_MAX, PAN_DRAW_BYTES, PAN_RANDOMNESS_BYTES,
    WINDOW_SECONDS_MAX,
};
