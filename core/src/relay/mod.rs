//! System 5 — payment tokens from an offline phone, carried by a relay terminal to a server, and
//! the signed receipt carried back.
//!
//! The anchors are Alipay / WeChat Pay offline payment codes and Satispay's HOTP codes (the phone
//! offline, the merchant online) and EMV tokenisation's limited-use keys: what the phone hands
//! over is a short-lived, single-use, signed promise the merchant cannot change.
//!
//! # Roles
//!
//! | role | what it holds | what it does |
//! |---|---|---|
//! | [`PaymentPhone`] (offline) | its device key (passed per call, never stored), its next counter, its **offline allowance** (a [`Limits`](crate::limits::Limits) set) and its outstanding tokens | seals a token, which reserves allowance; verifies a receipt offline, which settles the token and gives the allowance back |
//! | relay terminal (SDK only) | a queue of token bytes and answers | forwards the token bytes as they are; keeps them while the server is unreachable; hands the server's answer to the phone when it next sees it. It has no key and no rule: it can delay a token, never change one (the signature breaks) nor spend one twice (the server deduplicates) |
//! | [`TokenServer`] | the registered device keys, each device's counter window, server-side limits and stored answers, the payees, and a [`Ledger`](crate::ledger::Ledger) | checks a token, moves the money on the ledger, answers with a receipt it signs |
//!
//! # Messages
//!
//! Both are [envelopes](crate::envelope) (COSE_Sign1, Ed25519 or ES256K) of schema version
//! [`PAYLOAD_VERSION`] whose payload is deterministic CBOR; the receiver decodes, re-encodes and
//! requires the same bytes (one accepted encoding).
//!
//! | type | signed by | header | payload |
//! |---|---|---|---|
//! | `relay.token` ([`TOKEN_TYPE`]) | the device key, kid = device id | `seq` = device counter, `iat` = sealing time, `exp` = the token's expiry | `[payee, amount, currency, nonce]` |
//! | `relay.receipt` ([`RECEIPT_TYPE`]) | the server key | `seq` = the token's counter, `iat` = min(token `iat`, server clock), `exp` = `iat` + [`RECEIPT_TTL_S`] | `[tokenHash bstr(32), deviceId, counter, code, ledgerCode / null, payee, amount, currency]` |
//!
//! `amount` is a decimal string in `currency` (`"4.50"`), `nonce` 8..=16 random bytes (two
//! tokens of the same amount to the same payee differ even before the counter), `tokenHash`
//! the SHA-256 of the whole token envelope. The receipt's times derive from the token, not from
//! the moment it was decided, so the server's answer to one token is the same bytes however
//! often it is asked (Ed25519 is deterministic; ES256K uses RFC 6979).
//!
//! A token with a 3-character device id, a 4-character payee, a 4-character amount and an 8-byte
//! nonce is 144 bytes: a version-8 QR code (49 × 49 modules) at error-correction level M
//! ([`qr_version_m`], which holds 152 bytes).
//!
//! # The server's check order ([`TokenServer::process`])
//!
//! One code per token, from the first check that decides:
//!
//! 1. **replay**: the SHA-256 of the bytes is a token the server answered and still keeps: the
//!    SAME receipt bytes again (`replayed: true`), whatever the clock says now.
//! 2. **authenticity** (no receipt: the server signs nothing about bytes no device signed):
//!    `MALFORMED`, `UNKNOWN_KEY` (no registered device has this key id), `BAD_SIGNATURE` (an
//!    altered token), `WRONG_TYPE`, then `VERSION_UNSUPPORTED`, `PAYLOAD_MALFORMED`.
//! 3. **counter window** (signed receipt, not stored: the counter's own answer stays):
//!    `COUNTER_BELOW_WINDOW` — at or below `highest − COUNTER_WINDOW`, the server no longer
//!    knows whether it answered this counter; `COUNTER_REUSED` — the counter was answered for
//!    other token bytes.
//! 4. **decision** (signed receipt, stored under the counter: a replay gets these bytes):
//!    `NOT_YET_VALID` / `EXPIRED` (token `iat` / `exp` against the server clock with
//!    [`SERVER_CLOCK_SKEW_S`]), `UNKNOWN_PAYEE`, `CURRENCY_MISMATCH` (not the server's
//!    currency), `DEVICE_LIMIT_EXCEEDED` (the device's server-side limits, with the limits code
//!    and limit id), `INSUFFICIENT_FUNDS` / `LEDGER_REFUSED` (the ledger transfer, with the
//!    ledger code), else `APPROVED` (the amount moved from the device's wallet to the payee).
//!
//! The counter window comes before the clock so that a token answered once keeps its answer: an
//! approved token replayed after it expired gets its approval again (step 1), and a token whose
//! counter has left the window is refused as such, never declined as "expired" after it was paid.
//!
//! # The phone
//!
//! [`PaymentPhone::seal`] checks, in order: `OUTSTANDING_FULL` (it holds
//! [`OUTSTANDING_TOKENS_MAX`] unanswered tokens), `COUNTER_EXHAUSTED`, then the allowance
//! (`ALLOWANCE_EXCEEDED`, with the limits code and limit id); then it seals, reserves the amount
//! in the allowance (transaction id `t<counter>`) and keeps the token as outstanding (`SEALED`).
//! The allowance is any limits set: typically a per-token cap (`perTransaction`), a cumulative
//! amount and a count (`lifetime`): what the phone may promise until the server confirms.
//!
//! [`PaymentPhone::accept_receipt`]: the envelope checks against the server key (`MALFORMED` ...
//! `EXPIRED`), `PAYLOAD_MALFORMED`, then `ALREADY_SETTLED` (the same answer again: nothing
//! changes) or `UNKNOWN_TOKEN`, `RECEIPT_MISMATCH` (device or counter differ from the token the
//! hash names), then: a final answer (`APPROVED` or a decline of step 4) settles the token —
//! its reservation is reversed (approved: the server holds the payment now; declined: nothing
//! was paid) — and is `SETTLED`; a window answer (step 3) is `ANSWER_NOT_FINAL` and leaves the
//! token outstanding (the server does not know, so the phone keeps the allowance reserved).
//!
//! Plain-language states of a token ([`TokenState`]): waiting for an answer ("answer not yet
//! delivered"), refused by the server with a code (reported by the relay, unsigned, or a
//! not-final receipt), settled (approved or declined with its code). "Relay unreachable" is
//! the SDK's: the phone could not hand the token over.
//!
//! # Limits
//!
//! [`DEVICES_MAX`], [`PAYEES_MAX`], [`COUNTER_WINDOW`] (answers kept per device),
//! [`OUTSTANDING_TOKENS_MAX`], [`SETTLED_KEPT_MAX`], [`RELAY_ID_BYTES_MAX`],
//! [`NONCE_BYTES_MIN`]..=[`NONCE_BYTES_MAX`], [`TOKEN_TTL_S_MAX`], [`COUNTER_MAX`].
//!
//! A reservation the allowance forgets (it keeps [`TRANSACTIONS_RETAINED_MAX`] records) stays
//! counted: conservative. With [`OUTSTANDING_TOKENS_MAX`] at half of it, that happens only to a
//! token still unanswered after 32 later tokens were settled.
//!
//! [`TRANSACTIONS_RETAINED_MAX`]: crate::limits::TRANSACTIONS_RETAINED_MAX

mod codes;
mod messages;
mod phone;
mod server;

#[cfg(test)]
mod tests;

pub use codes::RelayCode;
pub use messages::{
    qr_version_m, token_claims, ReceiptPayload, TokenClaims, TokenPayload, NONCE_BYTES_MAX,
    NONCE_BYTES_MIN, PAYLOAD_VERSION,
    QR_BYTES_M, RECEIPT_TTL_S, RECEIPT_TYPE, RELAY_ID_BYTES_MAX, TOKEN_TTL_S_MAX, TOKEN_TYPE,
};
pub use phone::{
    PaymentPhone, PhoneConfig, ReceiptOutcome, SealOutcome, SealRequest, TokenState, TokenView,
    COUNTER_MAX, OUTSTANDING_TOKENS_MAX, PHONE_SNAPSHOT_BYTES_MAX, SETTLED_KEPT_MAX,
};
pub use server::{
    ServerReply, TokenServer, COUNTER_WINDOW, DEVICES_MAX, ISSUER_ACCOUNT, PAYEES_MAX,
    SERVER_CLOCK_SKEW_S, SERVER_SNAPSHOT_BYTES_MAX,
};
