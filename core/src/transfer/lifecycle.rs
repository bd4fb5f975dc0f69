//! The transfer lifecycle on the ledger (System 7, provider A's side): **quote → reserve →
//! commit / abort**, as Mojaloop's two-phase transfers with an Interledger condition.
//!
//! A [`TransferBook`] owns a core [`Ledger`] in one currency. Provider A's customers have
//! accounts in it (`nonNegative` wallets), provider B is represented by a settlement account in
//! it (credited when a transfer commits), and A's fees go to the account [`FEES_ACCOUNT`]. Money
//! enters through [`ISSUER_ACCOUNT`] (`unrestricted`) by `fund`. The book reads no clock: every
//! request carries `now` (Unix seconds). Like the ledger it keeps the latest time it has seen
//! (advanced by every request it decides or answers again, not by a refusal of the request id)
//! and evaluates at the **effective time** `max(now, that clock)`: time never runs backwards
//! inside a book, so a fulfilment stamped early by a slow clock is still judged late.
//!
//! # Messages
//!
//! Every request is `{"op": ..., "request": {requestId, now, ...}}` ([`LifecycleRequest`]):
//!
//! | op | fields | what it does |
//! |---|---|---|
//! | `openAccount` | `accountId` | opens a `nonNegative` account in the book's currency (a customer wallet or a provider's settlement account) |
//! | `fund` | `accountId`, `amount` | moves `amount` from [`ISSUER_ACCOUNT`] to the account |
//! | `quote` | `quoteId`, `payerAccountId`, `payeeAccountId`, `amount`, `fee`, `expiresAt` | records provider B's terms: the amount B's side receives, A's fee (zero allowed), the deadline |
//! | `reserve` | `transferId`, `quoteId`, `condition` | holds `amount` (payer → payee) and `fee` (payer → fees) as **one linked chain** of the ledger: both or neither; both holds expire at the quote's `expiresAt` (carried onward, never extended) |
//! | `commit` | `transferId`, `fulfilment` | posts both holds as one linked chain, only if `SHA-256(fulfilment) = condition` and before `expiresAt` |
//! | `abort` | `transferId`, `reason` | voids both holds as one linked chain |
//! | `expireDue` | — | releases the reservations whose deadline passed, earliest first, at most [`EXPIRE_PER_CALL_MAX`] |
//!
//! `condition` and `fulfilment` are 32 bytes as 64 lowercase hex digits (ILP's
//! `executionCondition` / `fulfilment`: the condition is the SHA-256 of the fulfilment, which
//! only provider B knows until it has credited its customer).
//!
//! # Check order and outcome codes
//!
//! Every decided request gives a [`LifecycleOutcome`] with exactly one [`LifecycleCode`]. Checks run
//! in this order; the first that fails gives the code:
//!
//! 1. **Idempotency** (Mojaloop's rule). The request's *body hash* is SHA-256 of its canonical
//!    CBOR without `now` (amounts in canonical form: `"1.5"` and `"1.50"` EUR are one body).
//!    A known `requestId` with the same body → the stored answer again, `repeated: true`,
//!    nothing done twice — **except that the deadline is re-checked at this retry's `now`**: a
//!    repeat of a `QUOTED` answer whose quote has expired answers `QUOTE_EXPIRED`; a repeat of a
//!    `RESERVED` answer whose reservation is still held but past its deadline releases it and
//!    answers `TRANSFER_EXPIRED`. The view in a repeated answer is the current one. A known
//!    `requestId` with another body → `REQUEST_ID_REUSED` (nothing done, not recorded).
//! 2. `REQUESTS_FULL`: the book already records [`REQUESTS_MAX`] request ids (nothing done, not
//!    recorded: a book is a bounded working set, the host starts a new one).
//!
//! From here the request is decided and its id recorded with its answer, whatever the code:
//!
//! | op | codes, in check order | success |
//! |---|---|---|
//! | `openAccount` | `ACCOUNT_EXISTS`, `LEDGER_REFUSED` | `ACCOUNT_OPENED` |
//! | `fund` | `AMOUNT_NOT_POSITIVE`, `UNKNOWN_ACCOUNT`, `LEDGER_REFUSED` | `FUNDED` |
//! | `quote` | `QUOTE_EXISTS`, `AMOUNT_NOT_POSITIVE`, `FEE_NEGATIVE`, `EXPIRY_INVALID` (`expiresAt ≤ now` or more than [`QUOTE_TTL_S_MAX`] after it), `SAME_ACCOUNT`, `UNKNOWN_ACCOUNT`, `QUOTES_FULL` | `QUOTED` |
//! | `reserve` | `TRANSFER_EXISTS`, `UNKNOWN_QUOTE`, `QUOTE_USED` (one quote per transfer), `QUOTE_EXPIRED`, `TRANSFERS_FULL`, `INSUFFICIENT_FUNDS`, `LEDGER_REFUSED` | `RESERVED` |
//! | `commit` | `UNKNOWN_TRANSFER`, `ALREADY_COMMITTED`, `ALREADY_ABORTED`, `TRANSFER_EXPIRED`, `LATE_FULFILMENT` (deadline passed now: refused, the reservation released), `FULFILMENT_MISMATCH` (nothing changed: still reserved), `LEDGER_REFUSED` | `COMMITTED` |
//! | `abort` | `UNKNOWN_TRANSFER`, `ALREADY_COMMITTED`, `ALREADY_ABORTED`, `TRANSFER_EXPIRED` (already expired, or found past its deadline now: released), `LEDGER_REFUSED` | `ABORTED` |
//! | `expireDue` | — | `DUE_EXPIRED`, `MORE_DUE` (call again) |
//!
//! A refusal changes nothing in the ledger except the release of a reservation found past its
//! deadline (`TRANSFER_EXPIRED`, `LATE_FULFILMENT`). `ledgerCode` names the ledger's code
//! behind `LEDGER_REFUSED` / `INSUFFICIENT_FUNDS`.
//!
//! **Errors** ([`Error`], nothing recorded) depend only on the request: an id that is not
//! 1..=[`ID_BYTES_MAX`] bytes without control characters (a transfer id 1..=[`TRANSFER_ID_BYTES_MAX`]:
//! its holds are named `a:<id>` and `f:<id>`), `now`/`expiresAt` outside the ledger's time range,
//! an amount that is not a strict decimal in the book's currency, a `condition`/`fulfilment` that
//! is not 64 lowercase hex digits, a `reason` longer than [`REASON_BYTES_MAX`] bytes
//! (`INVALID_ARGUMENT`, `AMOUNT_*`), each naming its field.
//!
//! # States
//!
//! ```text
//! quote (unused) ──reserve──▶ reserved ──commit (fulfilment ok, now < expiresAt)──▶ committed
//!                                │  └────abort──────────────────────────────────▶ aborted
//!                                └─────now ≥ expiresAt (commit, abort, retry, expireDue)──▶ expired
//! ```
//!
//! Committed, aborted and expired are final. A quote is used by at most one transfer, even when
//! that transfer is aborted or expires (a new quote is needed: its terms may have changed).
//!
//! # Invariants (checked by [`TransferBook::check_invariants`], on restore, and by the tests after every request)
//!
//! For every account but the issuer: `debitsPosted` = the amount + fee of the committed
//! transfers it paid; `debitsPending` = the amount + fee of its reserved transfers whose holds
//! the ledger still holds; for the fees account, `creditsPosted` = the committed fees. A
//! transfer's amount hold and fee hold are always in the same state (the linked chains), and a
//! committed transfer's holds posted exactly its amount and fee. So ledger balances =
//! reservations + committed transfers + funding, and nothing is paid twice.
//!
//! # Decide, then commit
//!
//! Every check on the book's own state runs before the ledger is touched; the ledger change is
//! one linked chain (all or nothing); the book's records change only after the chain stood. The
//! one exception is the release of a reservation past its deadline: two unlinked voids, each of
//! which the ledger answers `HOLD_EXPIRED` and applies (an overdue hold never blocks funds
//! anyway, the ledger expires it lazily).
//!
//! # Limits
//!
//! | limit | value | when reached |
//! |---|---|---|
//! | [`REQUESTS_MAX`] | 4,096 request ids | `REQUESTS_FULL` |
//! | [`QUOTES_MAX`] | 2,048 quotes | `QUOTES_FULL` |
//! | [`TRANSFERS_MAX`] | 2,048 transfers | `TRANSFERS_FULL` |
//! | [`QUOTE_TTL_S_MAX`] | 86,400 s from `now` to `expiresAt` | `EXPIRY_INVALID` |
//! | [`EXPIRE_PER_CALL_MAX`] | 64 reservations per `expireDue` | `MORE_DUE` |
//! | [`REASON_BYTES_MAX`] | 140 bytes of an abort reason | `INVALID_ARGUMENT` |
//! | [`SNAPSHOT_BYTES_MAX`] | 64 MiB | `SNAPSHOT_INVALID` |
//!
//! # Snapshot
//!
//! Type `"countersign.transfer.book.snapshot"`, version 1, in the authenticated format of
//! [`crate::snapshot`]; the body is deterministic CBOR, and the ledger inside is embedded as its
//! own authenticated snapshot (same key):
//!
//! ```text
//! body     = [bookId, currency, seq, clock, ledgerSnapshot bstr, [* quote], [* transfer], [* request]]
//! quote    = [quoteId, payer, payee, amountMinor, feeMinor, expiresAt, usedBy / null]
//! transfer = [transferId, quoteId, condition bstr(32), state (0 reserved | 1 committed | 2 aborted | 3 expired),
//!             fulfilment bstr(32) / null, reason / null]
//! request  = [requestId, bodyHash bstr(32), code, ledgerCode / null, subject / null]
//! ```
//!
//! The ledger's journal is not kept: the book truncates it after every request (the book is saved
//! whole; its request records are its audit).

use std::cell::Cell;
use std::collections::BTreeMap;

use minicbor::Decoder;
use serde::{Deserialize, Serialize};

use crate::crypto::{ct_eq, sha256};
use crate::error::{Error, ErrorCode, Result};
use crate::ledger::{
    id_ok, AccountKind, BatchOperation, HoldRequest, HoldState, KeysKeptBy, Ledger, LedgerCode,
    OpenAccountRequest, Operation, PostRequest, SetKeyRetentionRequest, TransferRequest, VoidRequest,
    ID_BYTES_MAX, TIME_S_MAX, TIME_S_MIN,
};
use crate::limits::cbor::{self, Enc};
use crate::limits::outcome_codes;
use crate::money::{Amount, Currency};
use crate::snapshot::{self, invalid, SnapshotKind};

/// The account money enters the book from (`unrestricted`).
pub const ISSUER_ACCOUNT: &str = "issuer";
/// The account provider A's fees are credited to.
pub const FEES_ACCOUNT: &str = "fees";
/// Request ids a book records (each with its body hash and answer).
pub const REQUESTS_MAX: usize = 4096;
/// Quotes a book keeps.
pub const QUOTES_MAX: usize = 2048;
/// Transfers a book keeps.
pub const TRANSFERS_MAX: usize = 2048;
/// The furthest a quote's deadline may lie after `now`, seconds.
pub const QUOTE_TTL_S_MAX: i64 = 86_400;
/// Reservations one `expireDue` releases.
pub const EXPIRE_PER_CALL_MAX: usize = 64;
/// The longest abort reason, UTF-8 bytes.
pub const REASON_BYTES_MAX: usize = 140;
/// The longest transfer id, bytes (its holds are `a:<id>` and `f:<id>`, ledger ids).
pub const TRANSFER_ID_BYTES_MAX: usize = ID_BYTES_MAX - 2;
/// The largest snapshot accepted, bytes.
pub const SNAPSHOT_BYTES_MAX: usize = 64 * 1024 * 1024;
/// The snapshot format version this build writes and reads.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 1;

const KIND: SnapshotKind = SnapshotKind {
    type_name: "countersign.transfer.book.snapshot",
    version: SNAPSHOT_FORMAT_VERSION,
    bytes_max: SNAPSHOT_BYTES_MAX,
};

outcome_codes! {
    /// Outcome of a transfer-lifecycle request: one code per reason (module docs, *Check order*).
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer-lifecycle.ts"))]
    pub enum LifecycleCode {
        /// The account was opened.
        AccountOpened = "ACCOUNT_OPENED",
        /// The account was funded from the issuer.
        Funded = "FUNDED",
        /// The quote was recorded.
        Quoted = "QUOTED",
        /// The amount and the fee are held together until commit, abort or the quote's deadline.
        Reserved = "RESERVED",
        /// The fulfilment matched the condition in time: the amount went to the payee and the fee to the fees account, together.
        Committed = "COMMITTED",
        /// The reservation was released.
        Aborted = "ABORTED",
        /// Every reservation past its deadline was released.
        DueExpired = "DUE_EXPIRED",
        /// EXPIRE_PER_CALL_MAX reservations were released and more are due: call again.
        MoreDue = "MORE_DUE",
        /// The request id was used before with another body: nothing done.
        RequestIdReused = "REQUEST_ID_REUSED",
        /// The book records REQUESTS_MAX request ids: nothing done.
        RequestsFull = "REQUESTS_FULL",
        /// An account with this id exists.
        AccountExists = "ACCOUNT_EXISTS",
        /// The amount (or the quote's amount) is zero or negative.
        AmountNotPositive = "AMOUNT_NOT_POSITIVE",
        /// The account (payer, payee or the one to fund) is not in the book.
        UnknownAccount = "UNKNOWN_ACCOUNT",
        /// A quote with this id exists.
        QuoteExists = "QUOTE_EXISTS",
        /// The quote's fee is negative.
        FeeNegative = "FEE_NEGATIVE",
        /// The quote's deadline is not after now, or more than QUOTE_TTL_S_MAX after it.
        ExpiryInvalid = "EXPIRY_INVALID",
        /// The payer and the payee are the same account.
        SameAccount = "SAME_ACCOUNT",
        /// The book keeps QUOTES_MAX quotes.
        QuotesFull = "QUOTES_FULL",
        /// A transfer with this id exists.
        TransferExists = "TRANSFER_EXISTS",
        /// No quote has this id.
        UnknownQuote = "UNKNOWN_QUOTE",
        /// The quote was already used by a transfer (one quote per transfer).
        QuoteUsed = "QUOTE_USED",
        /// The quote's deadline has passed.
        QuoteExpired = "QUOTE_EXPIRED",
        /// The book keeps TRANSFERS_MAX transfers.
        TransfersFull = "TRANSFERS_FULL",
        /// The payer's available funds do not cover the amount plus the fee: nothing held.
        InsufficientFunds = "INSUFFICIENT_FUNDS",
        /// No transfer has this id.
        UnknownTransfer = "UNKNOWN_TRANSFER",
        /// The transfer is committed: nothing changed.
        AlreadyCommitted = "ALREADY_COMMITTED",
        /// The transfer was aborted: nothing changed.
        AlreadyAborted = "ALREADY_ABORTED",
        /// The transfer's deadline passed: its reservation is released.
        TransferExpired = "TRANSFER_EXPIRED",
        /// The fulfilment came at or after the deadline: refused, the reservation released.
        LateFulfilment = "LATE_FULFILMENT",
        /// SHA-256 of the fulfilment is not the condition: refused, still reserved.
        FulfilmentMismatch = "FULFILMENT_MISMATCH",
        /// The ledger refused the change (see ledgerCode): nothing changed.
        LedgerRefused = "LEDGER_REFUSED",
    }
}

impl LifecycleCode {
    /// Whether the request did what it asked.
    pub fn is_success(self) -> bool {
        matches!(
            self,
            LifecycleCode::AccountOpened
                | LifecycleCode::Funded
                | LifecycleCode::Quoted
                | LifecycleCode::Reserved
                | LifecycleCode::Committed
                | LifecycleCode::Aborted
                | LifecycleCode::DueExpired
                | LifecycleCode::MoreDue
        )
    }
}

/// A new book.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer-lifecycle.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BookConfig {
    /// The book's id (1..=ID_BYTES_MAX bytes).
    pub book_id: String,
    /// ISO 4217 code or registered asset of every amount in the book.
    pub currency: String,
    /// Unix seconds: the book's ledger starts at this time.
    pub now: i64,
}

/// Open a `nonNegative` account.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer-lifecycle.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OpenAccount {
    /// Idempotency: the request's id.
    pub request_id: String,
    /// Unix seconds.
    pub now: i64,
    /// The new account.
    pub account_id: String,
}

/// Move money from the issuer into an account.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer-lifecycle.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fund {
    /// Idempotency: the request's id.
    pub request_id: String,
    /// Unix seconds.
    pub now: i64,
    /// The account funded.
    pub account_id: String,
    /// Decimal string in the book's currency.
    pub amount: String,
}

/// Provider B's terms for a transfer.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer-lifecycle.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Quote {
    /// Idempotency: the request's id.
    pub request_id: String,
    /// Unix seconds.
    pub now: i64,
    /// The quote's id.
    pub quote_id: String,
    /// The account paying amount + fee.
    pub payer_account_id: String,
    /// The account credited with the amount (provider B's settlement account).
    pub payee_account_id: String,
    /// What the payee side receives, decimal string.
    pub amount: String,
    /// Provider A's fee, decimal string (zero allowed).
    pub fee: String,
    /// The quote's deadline, Unix seconds: usable while `now < expiresAt`.
    pub expires_at: i64,
}

/// Hold a quote's amount and fee under a condition.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer-lifecycle.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Reserve {
    /// Idempotency: the request's id.
    pub request_id: String,
    /// Unix seconds.
    pub now: i64,
    /// The transfer's id (1..=TRANSFER_ID_BYTES_MAX bytes).
    pub transfer_id: String,
    /// The quote it uses.
    pub quote_id: String,
    /// SHA-256 of the fulfilment, 64 lowercase hex digits.
    pub condition: String,
}

/// Capture a reservation with the fulfilment.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer-lifecycle.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Commit {
    /// Idempotency: the request's id.
    pub request_id: String,
    /// Unix seconds.
    pub now: i64,
    /// The transfer.
    pub transfer_id: String,
    /// The preimage of the condition, 64 lowercase hex digits.
    pub fulfilment: String,
}

/// Release a reservation.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer-lifecycle.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Abort {
    /// Idempotency: the request's id.
    pub request_id: String,
    /// Unix seconds.
    pub now: i64,
    /// The transfer.
    pub transfer_id: String,
    /// Why (at most REASON_BYTES_MAX bytes, may be empty).
    pub reason: String,
}

/// Release the reservations past their deadline.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer-lifecycle.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExpireDue {
    /// Idempotency: the request's id.
    pub request_id: String,
    /// Unix seconds.
    pub now: i64,
}

/// Any request. JSON: `{"op": "reserve", "request": {...}}`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer-lifecycle.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", content = "request", rename_all = "camelCase")]
#[allow(missing_docs)]
pub enum LifecycleRequest {
    OpenAccount(OpenAccount),
    Fund(Fund),
    Quote(Quote),
    Reserve(Reserve),
    Commit(Commit),
    Abort(Abort),
    ExpireDue(ExpireDue),
}

impl LifecycleRequest {
    /// The request's id.
    pub fn request_id(&self) -> &str {
        match self {
            LifecycleRequest::OpenAccount(r) => &r.request_id,
            LifecycleRequest::Fund(r) => &r.request_id,
            LifecycleRequest::Quote(r) => &r.request_id,
            LifecycleRequest::Reserve(r) => &r.request_id,
            LifecycleRequest::Commit(r) => &r.request_id,
            LifecycleRequest::Abort(r) => &r.request_id,
            LifecycleRequest::ExpireDue(r) => &r.request_id,
        }
    }

    /// Unix seconds.
    pub fn now(&self) -> i64 {
        match self {
            LifecycleRequest::OpenAccount(r) => r.now,
            LifecycleRequest::Fund(r) => r.now,
            LifecycleRequest::Quote(r) => r.now,
            LifecycleRequest::Reserve(r) => r.now,
            LifecycleRequest::Commit(r) => r.now,
            LifecycleRequest::Abort(r) => r.now,
            LifecycleRequest::ExpireDue(r) => r.now,
        }
    }
}

/// A transfer's state. JSON: `"reserved"`, `"committed"`, `"aborted"`, `"expired"`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer-lifecycle.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TransferState {
    /// Amount and fee held.
    Reserved,
    /// Amount to the payee, fee to the fees account.
    Committed,
    /// Released by an abort.
    Aborted,
    /// Released at its deadline.
    Expired,
}

/// A quote as the book keeps it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer-lifecycle.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteView {
    /// The quote's id.
    pub quote_id: String,
    /// Payer account.
    pub payer_account_id: String,
    /// Payee account.
    pub payee_account_id: String,
    /// Decimal string.
    pub amount: String,
    /// Decimal string.
    pub fee: String,
    /// Currency code.
    pub currency: String,
    /// Deadline, Unix seconds.
    pub expires_at: i64,
    /// The transfer that used it, if any.
    pub used_by: Option<String>,
}

/// A transfer as the book keeps it (its terms are its quote's).
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer-lifecycle.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferView {
    /// The transfer's id.
    pub transfer_id: String,
    /// Its quote.
    pub quote_id: String,
    /// Payer account.
    pub payer_account_id: String,
    /// Payee account.
    pub payee_account_id: String,
    /// Decimal string.
    pub amount: String,
    /// Decimal string.
    pub fee: String,
    /// Currency code.
    pub currency: String,
    /// The quote's deadline, carried onward to provider B.
    pub expires_at: i64,
    /// 64 hex digits.
    pub condition: String,
    /// Its state.
    pub state: TransferState,
    /// 64 hex digits, once committed.
    pub fulfilment: Option<String>,
    /// The abort's reason.
    pub reason: Option<String>,
}

/// The answer to a request.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "transfer-lifecycle.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LifecycleOutcome {
    /// One code per reason.
    pub code: LifecycleCode,
    /// True when answered from the request ids (the same id and body again).
    pub repeated: bool,
    /// The ledger's code behind `LEDGER_REFUSED` / `INSUFFICIENT_FUNDS`.
    pub ledger_code: Option<LedgerCode>,
    /// The quote the request concerns, now.
    pub quote: Option<QuoteView>,
    /// The transfer the request concerns, now.
    pub transfer: Option<TransferView>,
    /// Transfers this request released at their deadline.
    pub expired: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct QuoteRecord {
    payer: String,
    payee: String,
    amount: Amount,
    fee: Amount,
    expires_at: i64,
    used_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct TransferRecord {
    quote_id: String,
    condition: [u8; 32],
    state: TransferState,
    fulfilment: Option<[u8; 32]>,
    reason: Option<String>,
}

/// What a request concerned, so a repeat can show its current view.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Subject {
    None,
    Quote(String),
    Transfer(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct RequestRecord {
    body_hash: [u8; 32],
    code: LifecycleCode,
    ledger_code: Option<LedgerCode>,
    subject: Subject,
}

/// Provider A's book of transfers on its ledger (module docs).
#[derive(Debug, Clone)]
pub struct TransferBook {
    book_id: String,
    currency: &'static Currency,
    /// Decided requests so far: names the ledger operations (`<seq>.a`) uniquely.
    seq: u64,
    /// The latest effective time, Unix seconds.
    clock: i64,
    ledger: Ledger,
    quotes: BTreeMap<String, QuoteRecord>,
    transfers: BTreeMap<String, TransferRecord>,
    requests: BTreeMap<String, RequestRecord>,
    /// Ledger operations run by the request being decided (not state: reset by every request).
    legs: Cell<u32>,
}

fn arg(param: &'static str, message: &str) -> Error {
    Error::new(ErrorCode::InvalidArgument, param, message.to_owned())
}

fn internal(message: &str) -> Error {
    Error::new(ErrorCode::Internal, "", message.to_owned())
}

fn check_id(id: &str, param: &'static str, max: usize) -> Result<()> {
    if id_ok(id) && id.len() <= max {
        Ok(())
    } else {
        Err(arg(param, &format!("must be 1..={max} UTF-8 bytes without control characters")))
    }
}

fn check_time(t: i64, param: &'static str) -> Result<()> {
    if (TIME_S_MIN..=TIME_S_MAX).contains(&t) {
        Ok(())
    } else {
        Err(arg(param, &format!("must be Unix seconds in {TIME_S_MIN}..={TIME_S_MAX}")))
    }
}

fn hex32(text: &str, param: &'static str) -> Result<[u8; 32]> {
    let bytes = text.as_bytes();
    let mut out = [0u8; 32];
    if bytes.len() != 64 {
        return Err(arg(param, "must be 64 lowercase hex digits (32 bytes)"));
    }
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        let digit = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        let (Some(&hi), Some(&lo)) = (pair.first(), pair.get(1)) else {
            return Err(arg(param, "must be 64 lowercase hex digits (32 bytes)"));
        };
        match (digit(hi), digit(lo), out.get_mut(i)) {
            (Some(h), Some(l), Some(slot)) => *slot = h << 4 | l,
            _ => return Err(arg(param, "must be 64 lowercase hex digits (32 bytes)")),
        }
    }
    Ok(out)
}

fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for nibble in [b >> 4, b & 15] {
            out.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
        }
    }
    out
}

fn amount_hold_id(transfer_id: &str) -> String {
    format!("a:{transfer_id}")
}

fn fee_hold_id(transfer_id: &str) -> String {
    format!("f:{transfer_id}")
}

/// A request checked and in canonical form: what is hashed for idempotency.
struct Checked {
    /// Canonical CBOR of the request without `now`.
    body: Vec<u8>,
    amount: Option<Amount>,
    fee: Option<Amount>,
    secret: Option<[u8; 32]>,
}

impl TransferBook {
    /// An empty book with its issuer and fees accounts.
    pub fn new(config: &BookConfig) -> Result<TransferBook> {
        check_id(&config.book_id, "config.bookId", ID_BYTES_MAX)?;
        check_time(config.now, "config.now")?;
        let currency = Currency::from_code(&config.currency).map_err(|e| e.at("currency").at("config"))?;
        let mut ledger = Ledger::new();
        // The book answers repeats itself; the ledger's keys are unique per request and need no
        // retention, so a full key window forgets its oldest whatever its age.
        let retention = ledger.set_key_retention(&SetKeyRetentionRequest {
            idempotency_key: "init.keys".to_owned(),
            now: config.now,
            keys_kept_by: KeysKeptBy::Store,
            key_window: None,
        })?;
        let mut ok = retention.is_success();
        for (key, id, kind) in [
            ("init.issuer", ISSUER_ACCOUNT, AccountKind::Unrestricted),
            ("init.fees", FEES_ACCOUNT, AccountKind::NonNegative),
        ] {
            let outcome = ledger.open_account(&OpenAccountRequest {
                idempotency_key: key.to_owned(),
                now: config.now,
                account_id: id.to_owned(),
                currency: currency.code().to_owned(),
                kind,
                credit_limit: None,
            })?;
            ok &= outcome.is_success();
        }
        if !ok {
            return Err(internal("a new ledger refused the book's accounts"));
        }
        let journal_head = ledger.head().seq;
        ledger.truncate_journal(journal_head)?;
        Ok(TransferBook {
            book_id: config.book_id.clone(),
            currency,
            seq: 0,
            clock: config.now,
            ledger,
            quotes: BTreeMap::new(),
            transfers: BTreeMap::new(),
            requests: BTreeMap::new(),
            legs: Cell::new(0),
        })
    }

    /// The book's id.
    pub fn book_id(&self) -> &str {
        &self.book_id
    }

    /// The book's currency code.
    pub fn currency(&self) -> &'static str {
        self.currency.code()
    }

    /// Decided requests so far (never goes down: the store's rollback guard).
    pub fn revision(&self) -> u64 {
        self.seq
    }

    /// The ledger inside (read only).
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// An account's view.
    pub fn account(&self, account_id: &str) -> Option<crate::ledger::AccountView> {
        self.ledger.account(account_id)
    }

    /// A quote's view.
    pub fn quote(&self, quote_id: &str) -> Option<QuoteView> {
        self.quotes.get(quote_id).map(|q| self.quote_view(quote_id, q))
    }

    /// A transfer's view.
    pub fn transfer(&self, transfer_id: &str) -> Option<TransferView> {
        self.transfers.get(transfer_id).and_then(|t| self.transfer_view(transfer_id, t))
    }

    /// Every transfer id, in id order.
    pub fn transfer_ids(&self) -> Vec<String> {
        self.transfers.keys().cloned().collect()
    }

    fn quote_view(&self, quote_id: &str, q: &QuoteRecord) -> QuoteView {
        QuoteView {
            quote_id: quote_id.to_owned(),
            payer_account_id: q.payer.clone(),
            payee_account_id: q.payee.clone(),
            amount: q.amount.to_string(),
            fee: q.fee.to_string(),
            currency: self.currency.code().to_owned(),
            expires_at: q.expires_at,
            used_by: q.used_by.clone(),
        }
    }

    fn transfer_view(&self, transfer_id: &str, t: &TransferRecord) -> Option<TransferView> {
        let q = self.quotes.get(&t.quote_id)?;
        Some(TransferView {
            transfer_id: transfer_id.to_owned(),
            quote_id: t.quote_id.clone(),
            payer_account_id: q.payer.clone(),
            payee_account_id: q.payee.clone(),
            amount: q.amount.to_string(),
            fee: q.fee.to_string(),
            currency: self.currency.code().to_owned(),
            expires_at: q.expires_at,
            condition: to_hex(&t.condition),
            state: t.state,
            fulfilment: t.fulfilment.map(|f| to_hex(&f)),
            reason: t.reason.clone(),
        })
    }

    fn amount(&self, text: &str, param: &'static str) -> Result<Amount> {
        Amount::parse(text, self.currency, None).map_err(|e| Error::new(e.code(), param, e.message().to_owned()))
    }

    /// Checks the request alone (errors name the field) and writes its canonical body.
    fn check(&self, request: &LifecycleRequest) -> Result<Checked> {
        let mut e = Enc::new();
        let mut checked = Checked { body: Vec::new(), amount: None, fee: None, secret: None };
        check_id(request.request_id(), "requestId", ID_BYTES_MAX)?;
        check_time(request.now(), "now")?;
        match request {
            LifecycleRequest::OpenAccount(r) => {
                check_id(&r.account_id, "accountId", ID_BYTES_MAX)?;
                e.array(3).u64(0).str(&r.request_id).str(&r.account_id);
            }
            LifecycleRequest::Fund(r) => {
                check_id(&r.account_id, "accountId", ID_BYTES_MAX)?;
                let amount = self.amount(&r.amount, "amount")?;
                e.array(4).u64(1).str(&r.request_id).str(&r.account_id).str(&amount.to_string());
                checked.amount = Some(amount);
            }
            LifecycleRequest::Quote(r) => {
                check_id(&r.quote_id, "quoteId", ID_BYTES_MAX)?;
                check_id(&r.payer_account_id, "payerAccountId", ID_BYTES_MAX)?;
                check_id(&r.payee_account_id, "payeeAccountId", ID_BYTES_MAX)?;
                let amount = self.amount(&r.amount, "amount")?;
                let fee = self.amount(&r.fee, "fee")?;
                check_time(r.expires_at, "expiresAt")?;
                e.array(8).u64(2).str(&r.request_id).str(&r.quote_id).str(&r.payer_account_id);
                e.str(&r.payee_account_id).str(&amount.to_string()).str(&fee.to_string()).i64(r.expires_at);
                checked.amount = Some(amount);
                checked.fee = Some(fee);
            }
            LifecycleRequest::Reserve(r) => {
                check_id(&r.transfer_id, "transferId", TRANSFER_ID_BYTES_MAX)?;
                check_id(&r.quote_id, "quoteId", ID_BYTES_MAX)?;
                let condition = hex32(&r.condition, "condition")?;
                e.array(5).u64(3).str(&r.request_id).str(&r.transfer_id).str(&r.quote_id).bytes(&condition);
                checked.secret = Some(condition);
            }
            LifecycleRequest::Commit(r) => {
                check_id(&r.transfer_id, "transferId", TRANSFER_ID_BYTES_MAX)?;
                let fulfilment = hex32(&r.fulfilment, "fulfilment")?;
                e.array(4).u64(4).str(&r.request_id).str(&r.transfer_id).bytes(&fulfilment);
                checked.secret = Some(fulfilment);
            }
            LifecycleRequest::Abort(r) => {
                check_id(&r.transfer_id, "transferId", TRANSFER_ID_BYTES_MAX)?;
                if r.reason.len() > REASON_BYTES_MAX || r.reason.chars().any(char::is_control) {
                    return Err(arg("reason", &format!("at most {REASON_BYTES_MAX} UTF-8 bytes without control characters")));
                }
                e.array(4).u64(5).str(&r.request_id).str(&r.transfer_id).str(&r.reason);
            }
            LifecycleRequest::ExpireDue(r) => {
                e.array(2).u64(6).str(&r.request_id);
            }
        }
        checked.body = e.into_bytes();
        Ok(checked)
    }

    /// The SHA-256 body hash of a request (module docs, *Idempotency*), hex; checks it first.
    pub fn body_hash(&self, request: &LifecycleRequest) -> Result<String> {
        Ok(to_hex(&sha256(&self.check(request)?.body)))
    }

    fn outcome(&self, code: LifecycleCode, ledger_code: Option<LedgerCode>, subject: &Subject) -> LifecycleOutcome {
        let (quote, transfer) = match subject {
            Subject::None => (None, None),
            Subject::Quote(id) => (self.quote(id), None),
            Subject::Transfer(id) => {
                let transfer = self.transfer(id);
                let quote = transfer.as_ref().and_then(|t| self.quote(&t.quote_id));
                (quote, transfer)
            }
        };
        LifecycleOutcome { code, repeated: false, ledger_code, quote, transfer, expired: Vec::new() }
    }

    /// The next ledger idempotency key: `<request seq>.<leg><n>`, unique per decided request
    /// (its seq) and ledger operation within it. Not for an expiry's voids, which a repeated
    /// request (no seq of its own) makes too: those are keyed by their hold (`release_if_due`).
    fn key(&self, leg: &str) -> String {
        let n = self.legs.get();
        self.legs.set(n.saturating_add(1));
        format!("{}.{leg}{n}", self.seq.saturating_add(1))
    }

    /// Decides one request (module docs: check order, codes, idempotency).
    pub fn execute(&mut self, request: &LifecycleRequest) -> Result<LifecycleOutcome> {
        let checked = self.check(request)?;
        self.legs.set(0);
        let body_hash = sha256(&checked.body);
        let now = request.now().max(self.clock).max(self.ledger.clock());
        if let Some(record) = self.requests.get(request.request_id()) {
            if !ct_eq(&record.body_hash, &body_hash) {
                return Ok(self.outcome(LifecycleCode::RequestIdReused, None, &Subject::None));
            }
            let record = record.clone();
            self.clock = now;
            return self.repeat(&record, now);
        }
        if self.requests.len() >= REQUESTS_MAX {
            return Ok(self.outcome(LifecycleCode::RequestsFull, None, &Subject::None));
        }
        self.clock = now;
        let (code, ledger_code, subject, expired) = match request {
            LifecycleRequest::OpenAccount(r) => self.open_account(r, now)?,
            LifecycleRequest::Fund(r) => self.fund(r, &checked, now)?,
            LifecycleRequest::Quote(r) => self.record_quote(r, &checked, now)?,
            LifecycleRequest::Reserve(r) => self.reserve(r, &checked, now)?,
            LifecycleRequest::Commit(r) => self.commit(r, &checked, now)?,
            LifecycleRequest::Abort(r) => self.abort(r, now)?,
            LifecycleRequest::ExpireDue(_) => self.expire_due(now)?,
        };
        self.seq = self.seq.saturating_add(1);
        self.requests.insert(
            request.request_id().to_owned(),
            RequestRecord { body_hash, code, ledger_code, subject: subject.clone() },
        );
        let head = self.ledger.head().seq;
        self.ledger.truncate_journal(head)?;
        let mut outcome = self.outcome(code, ledger_code, &subject);
        outcome.expired = expired;
        Ok(outcome)
    }

    /// A repeat of a decided request: its answer again, the deadline re-checked at `now`.
    fn repeat(&mut self, record: &RequestRecord, now: i64) -> Result<LifecycleOutcome> {
        let mut code = record.code;
        let mut expired = Vec::new();
        match (&record.subject, record.code) {
            (Subject::Quote(id), LifecycleCode::Quoted) if self.quotes.get(id).is_some_and(|q| now >= q.expires_at) => {
                code = LifecycleCode::QuoteExpired;
            }
            (Subject::Transfer(id), LifecycleCode::Reserved) => {
                if self.release_if_due(id, now)? {
                    expired.push(id.clone());
                }
                if self.transfers.get(id).is_some_and(|t| t.state == TransferState::Expired) {
                    code = LifecycleCode::TransferExpired;
                }
            }
            _ => {}
        }
        if !expired.is_empty() {
            let head = self.ledger.head().seq;
            self.ledger.truncate_journal(head)?;
        }
        let mut outcome = self.outcome(code, record.ledger_code, &record.subject);
        outcome.repeated = true;
        outcome.expired = expired;
        Ok(outcome)
    }

    /// Expires a reserved transfer whose deadline is ≤ `now`: its holds released, its state
    /// `expired`. True when it did.
    fn release_if_due(&mut self, transfer_id: &str, now: i64) -> Result<bool> {
        let Some(t) = self.transfers.get(transfer_id) else { return Ok(false) };
        let Some(q) = self.quotes.get(&t.quote_id) else { return Err(internal("a transfer without its quote")) };
        if t.state != TransferState::Reserved || now < q.expires_at {
            return Ok(false);
        }
        let fee_held = !q.fee.is_zero();
        // Unlinked on purpose: the ledger answers HOLD_EXPIRED to a void past the deadline and
        // expires the hold, which a linked chain would count as a failure and take back.
        // Each void's idempotency key is its hold's id: a hold is expired at most once, and these
        // keys (`a:…`, `f:…`) never meet the request-numbered ones of `key` (`<seq>.<leg><n>`).
        // A request-numbered key would not do here: a repeated request expires without taking a
        // request number, so two repeats in a row (or a repeat and the next new request) would
        // number their voids alike and the ledger answer IDEMPOTENCY_KEY_REUSED (found by the
        // property test).
        for (hold_id, held) in [(amount_hold_id(transfer_id), true), (fee_hold_id(transfer_id), fee_held)] {
            if !held {
                continue;
            }
            let outcome = self.ledger.void(&VoidRequest { idempotency_key: hold_id.clone(), now, hold_id })?;
            if !matches!(outcome.code, LedgerCode::HoldExpired | LedgerCode::JournalFull) {
                return Err(internal("the ledger did not expire a hold past its deadline"));
            }
        }
        if let Some(t) = self.transfers.get_mut(transfer_id) {
            t.state = TransferState::Expired;
        }
        Ok(true)
    }

    fn open_account(&mut self, r: &OpenAccount, now: i64) -> Result<Decided> {
        if self.ledger.account(&r.account_id).is_some() {
            return Ok((LifecycleCode::AccountExists, None, Subject::None, Vec::new()));
        }
        let outcome = self.ledger.open_account(&OpenAccountRequest {
            idempotency_key: self.key("o"),
            now,
            account_id: r.account_id.clone(),
            currency: self.currency.code().to_owned(),
            kind: AccountKind::NonNegative,
            credit_limit: None,
        })?;
        Ok(if outcome.is_success() {
            (LifecycleCode::AccountOpened, None, Subject::None, Vec::new())
        } else {
            (LifecycleCode::LedgerRefused, Some(outcome.code), Subject::None, Vec::new())
        })
    }

    fn fund(&mut self, r: &Fund, checked: &Checked, now: i64) -> Result<Decided> {
        let Some(amount) = checked.amount else { return Err(internal("fund without its amount")) };
        if amount.is_zero() || amount.is_negative() {
            return Ok((LifecycleCode::AmountNotPositive, None, Subject::None, Vec::new()));
        }
        if r.account_id == ISSUER_ACCOUNT || self.ledger.account(&r.account_id).is_none() {
            return Ok((LifecycleCode::UnknownAccount, None, Subject::None, Vec::new()));
        }
        let outcome = self.ledger.transfer(&TransferRequest {
            idempotency_key: self.key("t"),
            now,
            debit_account_id: ISSUER_ACCOUNT.to_owned(),
            credit_account_id: r.account_id.clone(),
            amount: amount.to_string(),
            currency: self.currency.code().to_owned(),
        })?;
        Ok(if outcome.is_success() {
            (LifecycleCode::Funded, None, Subject::None, Vec::new())
        } else {
            (LifecycleCode::LedgerRefused, Some(outcome.code), Subject::None, Vec::new())
        })
    }

    fn record_quote(&mut self, r: &Quote, checked: &Checked, now: i64) -> Result<Decided> {
        let (Some(amount), Some(fee)) = (checked.amount, checked.fee) else {
            return Err(internal("quote without its amounts"));
        };
        let refuse = |code| Ok((code, None, Subject::None, Vec::new()));
        if self.quotes.contains_key(&r.quote_id) {
            return Ok((LifecycleCode::QuoteExists, None, Subject::Quote(r.quote_id.clone()), Vec::new()));
        }
        if amount.is_zero() || amount.is_negative() {
            return refuse(LifecycleCode::AmountNotPositive);
        }
        if fee.is_negative() {
            return refuse(LifecycleCode::FeeNegative);
        }
        if r.expires_at <= now || r.expires_at - now > QUOTE_TTL_S_MAX {
            return refuse(LifecycleCode::ExpiryInvalid);
        }
        if r.payer_account_id == r.payee_account_id {
            return refuse(LifecycleCode::SameAccount);
        }
        let known = |id: &str| id != ISSUER_ACCOUNT && id != FEES_ACCOUNT && self.ledger.account(id).is_some();
        if !known(&r.payer_account_id) || !known(&r.payee_account_id) {
            return refuse(LifecycleCode::UnknownAccount);
        }
        if self.quotes.len() >= QUOTES_MAX {
            return refuse(LifecycleCode::QuotesFull);
        }
        self.quotes.insert(
            r.quote_id.clone(),
            QuoteRecord {
                payer: r.payer_account_id.clone(),
                payee: r.payee_account_id.clone(),
                amount,
                fee,
                expires_at: r.expires_at,
                used_by: None,
            },
        );
        Ok((LifecycleCode::Quoted, None, Subject::Quote(r.quote_id.clone()), Vec::new()))
    }

    fn reserve(&mut self, r: &Reserve, checked: &Checked, now: i64) -> Result<Decided> {
        let Some(condition) = checked.secret else { return Err(internal("reserve without its condition")) };
        let subject = Subject::Transfer(r.transfer_id.clone());
        if self.transfers.contains_key(&r.transfer_id) {
            return Ok((LifecycleCode::TransferExists, None, subject, Vec::new()));
        }
        let quote_subject = Subject::Quote(r.quote_id.clone());
        let Some(q) = self.quotes.get(&r.quote_id) else {
            return Ok((LifecycleCode::UnknownQuote, None, Subject::None, Vec::new()));
        };
        if q.used_by.is_some() {
            return Ok((LifecycleCode::QuoteUsed, None, quote_subject, Vec::new()));
        }
        if now >= q.expires_at {
            return Ok((LifecycleCode::QuoteExpired, None, quote_subject, Vec::new()));
        }
        if self.transfers.len() >= TRANSFERS_MAX {
            return Ok((LifecycleCode::TransfersFull, None, quote_subject, Vec::new()));
        }
        let hold = |leg: &str, hold_id: String, credit: &str, amount: &Amount| HoldRequest {
            idempotency_key: self.key(leg),
            now,
            hold_id,
            debit_account_id: q.payer.clone(),
            credit_account_id: credit.to_owned(),
            amount: amount.to_string(),
            currency: self.currency.code().to_owned(),
            expires_at: q.expires_at,
        };
        let mut chain = vec![BatchOperation {
            operation: Operation::Hold(hold("ha", amount_hold_id(&r.transfer_id), &q.payee, &q.amount)),
            linked: false,
        }];
        if !q.fee.is_zero() {
            if let Some(first) = chain.first_mut() {
                first.linked = true;
            }
            chain.push(BatchOperation {
                operation: Operation::Hold(hold("hf", fee_hold_id(&r.transfer_id), FEES_ACCOUNT, &q.fee)),
                linked: false,
            });
        }
        if let Some(refusal) = self.run_chain(&chain)? {
            let code = if refusal == LedgerCode::InsufficientFunds {
                LifecycleCode::InsufficientFunds
            } else {
                LifecycleCode::LedgerRefused
            };
            return Ok((code, Some(refusal), quote_subject, Vec::new()));
        }
        if let Some(q) = self.quotes.get_mut(&r.quote_id) {
            q.used_by = Some(r.transfer_id.clone());
        }
        self.transfers.insert(
            r.transfer_id.clone(),
            TransferRecord {
                quote_id: r.quote_id.clone(),
                condition,
                state: TransferState::Reserved,
                fulfilment: None,
                reason: None,
            },
        );
        Ok((LifecycleCode::Reserved, None, subject, Vec::new()))
    }

    /// Runs one linked chain; the failing member's code when it did not stand.
    fn run_chain(&mut self, chain: &[BatchOperation]) -> Result<Option<LedgerCode>> {
        let outcomes = self.ledger.execute_batch(chain).map_err(|e| e.error)?;
        Ok(outcomes
            .iter()
            .find(|o| !o.is_success() && o.code != LedgerCode::LinkedOperationFailed)
            .map(|o| o.code)
            .or_else(|| (outcomes.len() != chain.len()).then_some(LedgerCode::LinkedOperationFailed)))
    }

    /// The state checks shared by commit and abort: a refusal, or the transfer's quote.
    fn live_transfer(&mut self, transfer_id: &str, now: i64) -> Result<std::result::Result<QuoteRecord, Decided>> {
        let subject = Subject::Transfer(transfer_id.to_owned());
        let Some(t) = self.transfers.get(transfer_id) else {
            return Ok(Err((LifecycleCode::UnknownTransfer, None, Subject::None, Vec::new())));
        };
        let refused = match t.state {
            TransferState::Committed => Some(LifecycleCode::AlreadyCommitted),
            TransferState::Aborted => Some(LifecycleCode::AlreadyAborted),
            TransferState::Expired => Some(LifecycleCode::TransferExpired),
            TransferState::Reserved => None,
        };
        if let Some(code) = refused {
            return Ok(Err((code, None, subject, Vec::new())));
        }
        let Some(q) = self.quotes.get(&t.quote_id) else { return Err(internal("a transfer without its quote")) };
        let q = q.clone();
        if now >= q.expires_at {
            self.release_if_due(transfer_id, now)?;
            return Ok(Err((LifecycleCode::TransferExpired, None, subject, vec![transfer_id.to_owned()])));
        }
        Ok(Ok(q))
    }

    fn commit(&mut self, r: &Commit, checked: &Checked, now: i64) -> Result<Decided> {
        let Some(fulfilment) = checked.secret else { return Err(internal("commit without its fulfilment")) };
        let subject = Subject::Transfer(r.transfer_id.clone());
        let q = match self.live_transfer(&r.transfer_id, now)? {
            Ok(q) => q,
            Err((LifecycleCode::TransferExpired, l, s, expired)) if !expired.is_empty() => {
                return Ok((LifecycleCode::LateFulfilment, l, s, expired));
            }
            Err(decided) => return Ok(decided),
        };
        let condition = self.transfers.get(&r.transfer_id).map(|t| t.condition).unwrap_or_default();
        if !ct_eq(&sha256(&fulfilment), &condition) {
            return Ok((LifecycleCode::FulfilmentMismatch, None, subject, Vec::new()));
        }
        let post = |leg: &str, hold_id: String| PostRequest {
            idempotency_key: self.key(leg),
            now,
            hold_id,
            amount: None,
            currency: None,
            is_final: true,
        };
        let fee_held = !q.fee.is_zero();
        let mut chain = vec![BatchOperation {
            operation: Operation::Post(post("pa", amount_hold_id(&r.transfer_id))),
            linked: fee_held,
        }];
        if fee_held {
            chain.push(BatchOperation { operation: Operation::Post(post("pf", fee_hold_id(&r.transfer_id))), linked: false });
        }
        if let Some(refusal) = self.run_chain(&chain)? {
            return Ok((LifecycleCode::LedgerRefused, Some(refusal), subject, Vec::new()));
        }
        if let Some(t) = self.transfers.get_mut(&r.transfer_id) {
            t.state = TransferState::Committed;
            t.fulfilment = Some(fulfilment);
        }
        Ok((LifecycleCode::Committed, None, subject, Vec::new()))
    }

    fn abort(&mut self, r: &Abort, now: i64) -> Result<Decided> {
        let subject = Subject::Transfer(r.transfer_id.clone());
        let q = match self.live_transfer(&r.transfer_id, now)? {
            Ok(q) => q,
            Err(decided) => return Ok(decided),
        };
        let void = |leg: &str, hold_id: String| VoidRequest { idempotency_key: self.key(leg), now, hold_id };
        let fee_held = !q.fee.is_zero();
        let mut chain = vec![BatchOperation {
            operation: Operation::Void(void("va", amount_hold_id(&r.transfer_id))),
            linked: fee_held,
        }];
        if fee_held {
            chain.push(BatchOperation { operation: Operation::Void(void("vf", fee_hold_id(&r.transfer_id))), linked: false });
        }
        if let Some(refusal) = self.run_chain(&chain)? {
            return Ok((LifecycleCode::LedgerRefused, Some(refusal), subject, Vec::new()));
        }
        if let Some(t) = self.transfers.get_mut(&r.transfer_id) {
            t.state = TransferState::Aborted;
            t.reason = Some(r.reason.clone());
        }
        Ok((LifecycleCode::Aborted, None, subject, Vec::new()))
    }

    fn expire_due(&mut self, now: i64) -> Result<Decided> {
        // Earliest deadline first, ties by transfer id (the map's order), bounded per call.
        let mut due: Vec<(i64, String)> = Vec::new();
        for (id, t) in &self.transfers {
            if t.state != TransferState::Reserved {
                continue;
            }
            let deadline = self.quotes.get(&t.quote_id).map_or(i64::MIN, |q| q.expires_at);
            if deadline <= now {
                due.push((deadline, id.clone()));
            }
        }
        due.sort_unstable();
        let more = due.len() > EXPIRE_PER_CALL_MAX;
        let mut expired = Vec::new();
        for (_, id) in due.into_iter().take(EXPIRE_PER_CALL_MAX) {
            if self.release_if_due(&id, now)? {
                expired.push(id);
            }
        }
        let code = if more { LifecycleCode::MoreDue } else { LifecycleCode::DueExpired };
        Ok((code, None, Subject::None, expired))
    }

    /// Checks the invariants (module docs); `INTERNAL` naming the first that fails.
    pub fn check_invariants(&self) -> Result<()> {
        self.ledger.check_invariants()?;
        let mut posted: BTreeMap<&str, i128> = BTreeMap::new();
        let mut pending: BTreeMap<&str, i128> = BTreeMap::new();
        let mut fees_posted: i128 = 0;
        for (id, t) in &self.transfers {
            let q = self.quotes.get(&t.quote_id).ok_or_else(|| internal("a transfer without its quote"))?;
            if q.used_by.as_deref() != Some(id.as_str()) {
                return Err(internal("a transfer's quote is not marked as used by it"));
            }
            let a = self.ledger.hold_view(&amount_hold_id(id));
            let f = self.ledger.hold_view(&fee_hold_id(id));
            let fee_held = !q.fee.is_zero();
            // Each hold the ledger still knows is the quote's: its accounts, amount and deadline
            // (a restored state must not pair a transfer with holds of other terms), and a quote
            // without a fee has no fee hold.
            let currency = self.currency.code();
            let terms = |h: &crate::ledger::HoldView, credit: &str, amount: &Amount| {
                h.debit_account_id == q.payer
                    && h.credit_account_id == credit
                    && h.currency == currency
                    && h.amount == amount.to_string()
                    && h.expires_at == q.expires_at
            };
            if a.as_ref().is_some_and(|h| !terms(h, &q.payee, &q.amount)) || f.as_ref().is_some_and(|h| !fee_held || !terms(h, FEES_ACCOUNT, &q.fee)) {
                return Err(internal("a transfer's hold is not its quote's"));
            }
            if fee_held && a.is_some() != f.is_some() && t.state == TransferState::Reserved {
                return Err(internal("a reserved transfer lacks one of its holds"));
            }
            // Resolved holds may have been forgotten by the ledger (it retains a bounded number);
            // two it still knows must agree.
            if let (true, Some(a), Some(f)) = (fee_held, &a, &f) {
                if a.state != f.state {
                    return Err(internal("a transfer's amount and fee holds differ in state"));
                }
            }
            let total = q.amount.to_minor_units().saturating_add(q.fee.to_minor_units());
            match t.state {
                TransferState::Reserved => {
                    let Some(a) = a else { return Err(internal("a reserved transfer without its hold")) };
                    if a.state == HoldState::Pending {
                        *pending.entry(q.payer.as_str()).or_insert(0) += total;
                    } else if a.state != HoldState::Expired {
                        return Err(internal("a reserved transfer's hold is resolved"));
                    }
                }
                TransferState::Committed => {
                    *posted.entry(q.payer.as_str()).or_insert(0) += total;
                    fees_posted = fees_posted.saturating_add(q.fee.to_minor_units());
                    if let Some(a) = a {
                        if a.state != HoldState::Posted || a.posted != q.amount.to_string() {
                            return Err(internal("a committed transfer's amount hold did not post its amount"));
                        }
                    }
                }
                TransferState::Aborted | TransferState::Expired => {
                    if a.as_ref().is_some_and(|h| h.state == HoldState::Pending || h.state == HoldState::Posted) {
                        return Err(internal("a released transfer's hold still holds or posted"));
                    }
                }
            }
            if t.fulfilment.is_some() != (t.state == TransferState::Committed) {
                return Err(internal("a fulfilment on a transfer that is not committed"));
            }
        }
        let minor = |text: &str| self.amount(text, "").map(|a| a.to_minor_units());
        for account in self.ledger.accounts() {
            if account.account_id == ISSUER_ACCOUNT {
                continue;
            }
            let id = account.account_id.as_str();
            if minor(&account.debits_posted)? != posted.get(id).copied().unwrap_or(0) {
                return Err(internal("an account's posted debits are not its committed transfers"));
            }
            if minor(&account.debits_pending)? != pending.get(id).copied().unwrap_or(0) {
                return Err(internal("an account's pending debits are not its reservations"));
            }
            if id == FEES_ACCOUNT && minor(&account.credits_posted)? != fees_posted {
                return Err(internal("the fees account's credits are not the committed fees"));
            }
        }
        if self.requests.len() > REQUESTS_MAX || self.quotes.len() > QUOTES_MAX || self.transfers.len() > TRANSFERS_MAX {
            return Err(internal("a limit is exceeded"));
        }
        Ok(())
    }

    /// Versioned, HMAC-SHA256-authenticated snapshot bytes (module docs, *Snapshot*).
    pub fn snapshot(&self, snapshot_key: &[u8]) -> Result<Vec<u8>> {
        let ledger = self.ledger.snapshot(snapshot_key)?;
        let mut e = Enc::with_capacity(ledger.len().saturating_add(self.requests.len() * 96));
        e.array(8).str(&self.book_id).str(self.currency.code()).u64(self.seq).i64(self.clock).bytes(&ledger);
        e.array(self.quotes.len() as u64);
        for (id, q) in &self.quotes {
            e.array(7).str(id).str(&q.payer).str(&q.payee);
            e.bytes(&q.amount.to_minor_units().to_be_bytes()).bytes(&q.fee.to_minor_units().to_be_bytes());
            e.i64(q.expires_at);
            match &q.used_by {
                Some(t) => e.str(t),
                None => e.null(),
            };
        }
        e.array(self.transfers.len() as u64);
        for (id, t) in &self.transfers {
            e.array(6).str(id).str(&t.quote_id).bytes(&t.condition).u64(state_number(t.state));
            match &t.fulfilment {
                Some(f) => e.bytes(f),
                None => e.null(),
            };
            match &t.reason {
                Some(r) => e.str(r),
                None => e.null(),
            };
        }
        e.array(self.requests.len() as u64);
        for (id, r) in &self.requests {
            e.array(5).str(id).bytes(&r.body_hash).str(r.code.as_str());
            match r.ledger_code {
                Some(c) => e.str(c.as_str()),
                None => e.null(),
            };
            match &r.subject {
                Subject::None => e.null(),
                Subject::Quote(q) => e.array(2).u64(0).str(q),
                Subject::Transfer(t) => e.array(2).u64(1).str(t),
            };
        }
        snapshot::seal(&KIND, &e.into_bytes(), snapshot_key)
    }

    /// A book from [`TransferBook::snapshot`] bytes: authenticated, canonical, consistent.
    pub fn restore(bytes: &[u8], snapshot_key: &[u8]) -> Result<TransferBook> {
        let body = snapshot::open(&KIND, bytes, snapshot_key)?;
        let book = decode(body, snapshot_key)?.ok_or_else(|| invalid("the book's state is malformed"))?;
        let again = book.snapshot(snapshot_key)?;
        if again != bytes {
            return Err(invalid("the book's state is not in canonical form"));
        }
        book.check_invariants().map_err(|_| invalid("the book's state is inconsistent"))?;
        Ok(book)
    }
}

/// Two books are equal when their state is (the per-request leg counter is not state).
impl PartialEq for TransferBook {
    fn eq(&self, other: &Self) -> bool {
        self.book_id == other.book_id
            && self.currency == other.currency
            && self.seq == other.seq
            && self.clock == other.clock
            && self.ledger == other.ledger
            && self.quotes == other.quotes
            && self.transfers == other.transfers
            && self.requests == other.requests
    }
}

/// (code, ledger code, subject, transfers expired) of a decided request.
type Decided = (LifecycleCode, Option<LedgerCode>, Subject, Vec<String>);

fn state_number(state: TransferState) -> u64 {
    match state {
        TransferState::Reserved => 0,
        TransferState::Committed => 1,
        TransferState::Aborted => 2,
        TransferState::Expired => 3,
    }
}

fn is_null(d: &Decoder<'_>) -> bool {
    d.datatype().ok() == Some(minicbor::data::Type::Null)
}

fn opt_string(d: &mut Decoder<'_>) -> Option<Option<String>> {
    if is_null(d) {
        d.null().ok()?;
        return Some(None);
    }
    cbor::string(d).map(Some)
}

fn minor(d: &mut Decoder<'_>, currency: &'static Currency) -> Option<Amount> {
    let bytes: [u8; 16] = cbor::bytes(d)?.try_into().ok()?;
    Amount::from_minor_units(i128::from_be_bytes(bytes), currency).ok()
}

fn list_len(d: &mut Decoder<'_>, max: usize) -> Option<usize> {
    let n = usize::try_from(cbor::array_len(d)?).ok()?;
    (n <= max).then_some(n)
}

fn decode(body: &[u8], key: &[u8]) -> Result<Option<TransferBook>> {
    let mut d = Decoder::new(body);
    let Some(head) = (|| {
        cbor::array(&mut d, 8)?;
        let book_id = cbor::string(&mut d)?;
        let currency = Currency::from_code(&cbor::string(&mut d)?).ok()?;
        let seq = cbor::u64(&mut d)?;
        let clock = cbor::i64(&mut d)?;
        let ledger = cbor::bytes(&mut d)?;
        Some((book_id, currency, seq, clock, ledger))
    })() else {
        return Ok(None);
    };
    let (book_id, currency, seq, clock, ledger_bytes) = head;
    if !(TIME_S_MIN..=TIME_S_MAX).contains(&clock) {
        return Ok(None);
    }
    let ledger = Ledger::restore(&ledger_bytes, key)?;
    let rest = (|| {
        let mut quotes = BTreeMap::new();
        for _ in 0..list_len(&mut d, QUOTES_MAX)? {
            cbor::array(&mut d, 7)?;
            let id = cbor::string(&mut d)?;
            let payer = cbor::string(&mut d)?;
            let payee = cbor::string(&mut d)?;
            let amount = minor(&mut d, currency)?;
            let fee = minor(&mut d, currency)?;
            let expires_at = cbor::i64(&mut d)?;
            let used_by = opt_string(&mut d)?;
            if !id_ok(&id) || !id_ok(&payer) || !id_ok(&payee) || amount.is_zero() || amount.is_negative() || fee.is_negative() {
                return None;
            }
            quotes.insert(id, QuoteRecord { payer, payee, amount, fee, expires_at, used_by });
        }
        let mut transfers = BTreeMap::new();
        for _ in 0..list_len(&mut d, TRANSFERS_MAX)? {
            cbor::array(&mut d, 6)?;
            let id = cbor::string(&mut d)?;
            let quote_id = cbor::string(&mut d)?;
            let condition: [u8; 32] = cbor::bytes(&mut d)?.try_into().ok()?;
            let state = match cbor::u64(&mut d)? {
                0 => TransferState::Reserved,
                1 => TransferState::Committed,
                2 => TransferState::Aborted,
                3 => TransferState::Expired,
                _ => return None,
            };
            let fulfilment = if is_null(&d) {
                d.null().ok()?;
                None
            } else {
                Some(<[u8; 32]>::try_from(cbor::bytes(&mut d)?).ok()?)
            };
            let reason = opt_string(&mut d)?;
            if !id_ok(&id) || id.len() > TRANSFER_ID_BYTES_MAX {
                return None;
            }
            if let Some(f) = fulfilment {
                if !ct_eq(&sha256(&f), &condition) {
                    return None;
                }
            }
            transfers.insert(id, TransferRecord { quote_id, condition, state, fulfilment, reason });
        }
        let mut requests = BTreeMap::new();
        for _ in 0..list_len(&mut d, REQUESTS_MAX)? {
            cbor::array(&mut d, 5)?;
            let id = cbor::string(&mut d)?;
            let body_hash: [u8; 32] = cbor::bytes(&mut d)?.try_into().ok()?;
            let code = LifecycleCode::from_name(&cbor::string(&mut d)?)?;
            let ledger_code = match opt_string(&mut d)? {
                Some(name) => Some(LedgerCode::from_name(&name)?),
                None => None,
            };
            let subject = if is_null(&d) {
                d.null().ok()?;
                Subject::None
            } else {
                cbor::array(&mut d, 2)?;
                match cbor::u64(&mut d)? {
                    0 => Subject::Quote(cbor::string(&mut d)?),
                    1 => Subject::Transfer(cbor::string(&mut d)?),
                    _ => return None,
                }
            };
            if !id_ok(&id) {
                return None;
            }
            requests.insert(id, RequestRecord { body_hash, code, ledger_code, subject });
        }
        (d.position() == body.len()).then_some((quotes, transfers, requests))
    })();
    let Some((quotes, transfers, requests)) = rest else { return Ok(None) };
    if !id_ok(&book_id) {
        return Ok(None);
    }
    Ok(Some(TransferBook { book_id, currency, seq, clock, ledger, quotes, transfers, requests, legs: Cell::new(0) }))
}

#[cfg(test)]
mod tests;
