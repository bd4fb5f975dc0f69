//! System 2 — the limited-use temporary credit account.
//!
//! When a credit application is approved, the holder's phone shows a temporary account number,
//! expiry date and security code for a limited time; the temporary account can be used for a
//! limited time, with a credit limit reduced below the approved one.
//!
//! Two layers:
//!
//! - [`credentials`] — the parts that need no ledger: the temporary PAN from a BIN range (Luhn,
//!   uniform, unique per parent account), the expiry (exact timestamp and `MM/YY`), the CVV
//!   (keyed HMAC-SHA256, never stored, compared in constant time), and the display and usable
//!   windows. Pure functions: randomness and time are inputs.
//! - [`account`] — the issuer-side [`TempCardService`] owning a [`crate::ledger::Ledger`]: the
//!   parent credit line, the reduced limit held on it, authorisation with one code per reason,
//!   refunds, closure on activation of the physical card or at the end of the usable window,
//!   snapshots embedding the ledger (`snapshot.rs`).
//!
//! Outcomes are [`TempCardCode`]s (one per reason); an [`crate::Error`] means a malformed call.

pub mod account;
mod codec;
mod codes;
pub mod credentials;

#[cfg(test)]
mod account_tests;
#[cfg(test)]
mod tests;

pub use account::{
    ApprovalRequest, ApprovalResult, AuthorisationRequest, AuthorisationResult, CloseDueResult,
    ClosureReason, ClosureResult, ClosureView, RefundRequest, RefundResult, ServiceConfig,
    TempAccountView, TempCardService, ACCOUNT_ID_BYTES_MAX, AUTHORISATIONS_PER_ACCOUNT_MAX,
    CLOSE_BATCH_MAX, CVV_FAILURES_MAX, REFUNDS_PER_ACCOUNT_MAX, TEMP_ACCOUNTS_MAX, USES_MAX,
};
pub use codec::{SNAPSHOT_BYTES_MAX, SNAPSHOT_FORMAT_VERSION};
pub use codes::TempCardCode;
pub use credentials::{
    derive_cvv, issue, luhn_check_digit, luhn_valid, verify_cvv, BinRange, Credentials, Cvv,
    Expiry, IssueRequest, IssueResult, PresentedCredentials, Reveal, Window, BIN_DIGITS_MAX,
    BIN_DIGITS_MIN, CVV_DIGITS, CVV_KEY_LEN, EXPIRY_TIME_ZONE, ISSUED_PANS_MAX, PAN_DIGITS_MAX,
    PAN_DIGITS_MIN, PAN_DRAW_ATTEMPTS_MAX, PAN_DRAW_BYTES, PAN_RANDOMNESS_BYTES,
    WINDOW_SECONDS_MAX,
};
