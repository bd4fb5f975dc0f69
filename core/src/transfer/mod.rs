//! System 7: value transfer between providers. [`lifecycle`]: provider A's side of a transfer on
//! the core ledger — quote, reserve, commit or abort, with an ILP-style condition, idempotent
//! requests and expiry re-checked on every retry.
pub mod lifecycle;
