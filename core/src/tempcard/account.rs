//! System 2's issuer-side service: temporary accounts over a ledger.
//!
//! A [`TempCardService`] owns a [`Ledger`] holding, in one currency:
//!
//! - one **settlement** account (`unrestricted`, opened with the service): where purchases go and
//!   where refunds come from — the clearing side of the card network;
//! - one **parent credit line** per approved application (`creditLine` with the approved limit),
//!   opened at the first approval naming it;
//! - per temporary account, one **hold** `tempcard/<accountId>` debiting the parent and crediting
//!   settlement: the reduced limit, reserved from approval until the end of the usable window.
//!
//! # Approval
//!
//! The reduced limit is `min(approved × fraction, cap)`, each part optional (at least one given),
//! the product rounded **down** (toward zero) to the currency's minor unit, exactly (no binary
//! floating point anywhere); it is never above the approved limit. Checks, first decisive wins:
//! errors for a malformed request; `ACCOUNT_EXISTS`; `ACCOUNTS_FULL`; `USABLE_WINDOW_CLOSED` (the
//! usable window already ended); `TEMPORARY_LIMIT_ZERO`; `PARENT_MISMATCH` (the parent exists but
//! is not this currency's credit line with this limit, or is closed); `PARENT_HAS_OPEN_TEMPORARY`;
//! `PAN_COLLISION` / `RANDOMNESS_EXHAUSTED` (issuance, [`super::issue`]; the PAN must be unused
//! by every temporary account of the service); `PARENT_CREDIT_INSUFFICIENT` (the hold does not
//! fit the parent's available credit); `LEDGER_REFUSED`; else `TEMPORARY_ACCOUNT_OPENED`. The
//! parent is opened and the hold placed on a scratch copy of the ledger that replaces the ledger
//! only when both succeeded: an approval is applied whole or not at all.
//!
//! # Authorisation
//!
//! Checks, first decisive wins:
//!
//! 1. the PAN belongs to no temporary account → `UNKNOWN_PAN` (nothing recorded);
//! 2. the authorisation id is known for this account: the same amount, currency and merchant →
//!    the stored answer with `repeated: true` (nothing done twice); otherwise
//!    `AUTHORISATION_ID_CONFLICT` (nothing recorded);
//! 3. `AUTHORISATIONS_FULL` (nothing recorded).
//!
//! From here the decision is recorded under the authorisation id, whatever it is:
//!
//! 4. [`CVV_FAILURES_MAX`] wrong CVVs recorded → `CVV_TRIES_EXCEEDED` (the account is locked
//!    against guessing); the expiry `MM/YY` → `EXPIRY_MISMATCH`; the CVV → `CVV_MALFORMED`,
//!    `CVV_INVALID` (derived from the key and compared in constant time, always computed
//!    whatever the expiry gave);
//! 5. closed by activation of the physical card → `ACCOUNT_CLOSED`; closed at window end →
//!    `USABLE_WINDOW_CLOSED` (or `EXPIRED`);
//! 6. the usable window: `NOT_YET_USABLE`, `USABLE_WINDOW_CLOSED` (or `EXPIRED`); an account
//!    still open past its window is closed by this decision (its hold expires);
//! 7. `CURRENCY_MISMATCH`, `AMOUNT_NOT_POSITIVE`;
//! 8. merchant lock → `MERCHANT_LOCKED`;
//! 9. use count → `SINGLE_USE_SPENT` (`maxUses` 1) or `USES_EXHAUSTED` (`maxUses` n);
//! 10. the amount above the temporary available credit → `INSUFFICIENT_TEMPORARY_CREDIT`;
//! 11. `APPROVED`: the amount is posted from the hold to settlement.
//!
//! Credentials come before the time and the state, so whoever lacks the CVV learns nothing about
//! the account's window or usage. A `LEDGER_REFUSED` (capacity) is answered without recording.
//!
//! **Why a purchase is a partial, non-final post of the hold** (rather than a hold per purchase):
//! the hold *is* the temporary available credit, so one ledger operation both moves the money
//! (parent → settlement) and lowers what the temporary account can still spend; the parent's
//! available credit (`balance − pending + limit`) is unchanged by a purchase — it was already
//! reserved at approval — and is therefore always right, with no second operation that could be
//! half-applied. A purchase that takes all that remains resolves the hold (`posted`). A separate
//! hold per purchase would need to lower the temporary hold by the same amount in the same step,
//! which the ledger has no single operation for.
//!
//! # Refund
//!
//! A refund names an approved authorisation; checks: `UNKNOWN_PAN`, refund id known (same
//! request → stored answer, `repeated`; else `REFUND_ID_CONFLICT`), `REFUNDS_FULL`,
//! `UNKNOWN_AUTHORISATION`, `CURRENCY_MISMATCH`, `AMOUNT_NOT_POSITIVE`,
//! `REFUND_EXCEEDS_PURCHASE`, else `REFUNDED_TO_PARENT`. **A refund always goes to the parent
//! credit line**, before closure as after it (one transfer settlement → parent): the temporary
//! limit caps what the temporary credentials may *spend*, like a limited-use virtual card, so a
//! refund lowers the parent's debt instead of re-opening spending on credentials meant to be
//! short-lived — and it stays one atomic ledger operation even when the hold is already resolved.
//!
//! # Closure
//!
//! [`TempCardService::activate_physical_card`] voids the hold (the unused rest goes back to the
//! parent's available credit): `CLOSED_ON_ACTIVATION`. At the end of the usable window the hold
//! expires: [`TempCardService::close_due`] closes every due account (`CLOSED_AT_WINDOW_END`, at
//! most [`CLOSE_BATCH_MAX`] per call), and an authorisation or an activation after the window
//! closes its account itself. A closed account declines every authorisation.
//!
//! # Time
//!
//! Every operation runs at the effective time `max(now, ledger clock)`, as the ledger does: time
//! never runs backwards inside a service, and the window checks and the ledger's hold deadlines
//! always agree.
//!
//! # Secrets
//!
//! The CVV key is an argument of [`TempCardService::authorise`] and [`TempCardService::reveal`],
//! never stored; the CVV is derived on demand. The service stores no CVV nor any function of one.

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use super::codes::TempCardCode;
use super::credentials::{
    check_cvv_key,
    check_bin_range, check_windows, issue, BinRange, Credentials, IssueRequest,
    PresentedCredentials, Reveal, Window, ISSUED_PANS_MAX,
};
use crate::error::{Error, ErrorCode, Result};
use crate::ledger::{
    id_ok, AccountKind, AccountView, HoldRequest, HoldState, Ledger, LedgerCode,
    OpenAccountRequest, Outcome, PostRequest, TransferRequest, VoidRequest, HOLD_DURATION_S_MAX,
};
use crate::limits::check_time;
use crate::limits::keyed::{Keyed, KeyedVec};
use crate::money::{parse_decimal, Amount, Currency, RoundingMode};

/// The most temporary accounts in one service (accounts are never forgotten: ids are not reused).
pub const TEMP_ACCOUNTS_MAX: usize = 1024;
/// The most authorisations (approved or declined) recorded per temporary account.
pub const AUTHORISATIONS_PER_ACCOUNT_MAX: usize = 256;
/// Wrong CVVs an account accepts: after this many recorded `CVV_INVALID` declines it declines
/// every authorisation with `CVV_TRIES_EXCEEDED` (a three-digit CVV has 1000 values: without a
/// bound, AUTHORISATIONS_PER_ACCOUNT_MAX guesses would find it one time in four).
pub const CVV_FAILURES_MAX: usize = 5;
/// The most refunds recorded per temporary account.
pub const REFUNDS_PER_ACCOUNT_MAX: usize = 256;
/// The longest temporary account id, in UTF-8 bytes (the hold id `tempcard/<id>` must fit the
/// ledger's 64-byte ids).
pub const ACCOUNT_ID_BYTES_MAX: usize = 32;
/// The most approved purchases a `maxUses` may allow.
pub const USES_MAX: u32 = 10_000;
/// The most accounts one [`TempCardService::close_due`] call closes.
pub const CLOSE_BATCH_MAX: usize = 64;

/// Prefix of a temporary account's hold id in the ledger.
const HOLD_PREFIX: &str = "tempcard/";
/// Prefix of the service's ledger idempotency keys (`tc-<seq>`, the next journal seq: unique).
const KEY_PREFIX: &str = "tc-";

// ------------------------------------------------------------------------------------------
// Public data
// ------------------------------------------------------------------------------------------

/// The service's configuration. JSON: `{"currency": "EUR", "binRange": {...},
/// "settlementAccountId": "settlement"}`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "tempcard.ts", rename = "TempCardConfig"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceConfig {
    /// The one currency of the service's accounts.
    pub currency: String,
    /// Where temporary PANs come from.
    pub bin_range: BinRange,
    /// The ledger account purchases are paid to and refunds paid from.
    pub settlement_account_id: String,
}

/// Approve a credit application: open the temporary account.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "tempcard.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApprovalRequest {
    /// The temporary account's id (1..=[`ACCOUNT_ID_BYTES_MAX`] bytes, never reused).
    pub account_id: String,
    /// The parent credit line's ledger account id (opened with `approvedLimit` if new).
    pub parent_account_id: String,
    /// The approved credit limit, a positive decimal string in the service's currency.
    pub approved_limit: String,
    /// The fraction of the approved limit the temporary account may use, a decimal in (0, 1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_fraction: Option<String>,
    /// The most the temporary account may use, a positive amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_cap: Option<String>,
    /// When the credentials may be shown.
    pub display_window: Window,
    /// When the credentials authorise; the hold lasts until its end.
    pub usable_window: Window,
    /// At most this many approved purchases (1: single-use); absent: no count limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_uses: Option<u32>,
    /// Only this merchant id may be paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_lock: Option<String>,
    /// Lock the account to the merchant of its first approved purchase.
    // Optional in TypeScript: the core reads a missing field as its default.
    #[cfg_attr(feature = "ts", ts(as = "Option<bool>", optional))]
    #[serde(default)]
    pub lock_to_first_merchant: bool,
    /// PANs the new PAN must differ from besides the parent's earlier temporary ones (e.g. its
    /// physical card's).
    // Optional in TypeScript: the core reads a missing field as its default.
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<String>>", optional))]
    #[serde(default)]
    pub issued_pans: Vec<String>,
    /// Unix seconds.
    pub now: i64,
}

/// A purchase presented by a merchant.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "tempcard.ts", rename = "PurchaseRequest"))]
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthorisationRequest {
    /// The merchant's id for this authorisation (idempotency: the same id gets the same answer).
    pub authorisation_id: String,
    /// The PAN as presented.
    pub pan: String,
    /// The expiry as presented, `MM/YY`.
    pub expiry: String,
    /// The CVV as presented (zeroised on drop, never stored).
    pub cvv: String,
    /// Decimal string in `currency`.
    pub amount: String,
    /// ISO 4217 code.
    pub currency: String,
    /// The merchant's id.
    pub merchant_id: String,
    /// Unix seconds.
    pub now: i64,
}

impl core::fmt::Debug for AuthorisationRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AuthorisationRequest")
            .field("authorisation_id", &self.authorisation_id)
            .field("pan", &self.pan)
            .field("expiry", &self.expiry)
            .field("cvv", &"***")
            .field("amount", &self.amount)
            .field("currency", &self.currency)
            .field("merchant_id", &self.merchant_id)
            .field("now", &self.now)
            .finish()
    }
}

impl Drop for AuthorisationRequest {
    fn drop(&mut self) {
        self.cvv.zeroize();
    }
}

/// The answer to an authorisation.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "tempcard.ts", rename = "TempCardAuthorisationResult"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorisationResult {
    /// The authorisation id.
    pub authorisation_id: String,
    /// `APPROVED` or the reason of the decline.
    pub code: TempCardCode,
    /// Whether the purchase was approved.
    pub approved: bool,
    /// True when answered from the stored decision (the same id and request again).
    pub repeated: bool,
    /// The temporary account (absent for `UNKNOWN_PAN`).
    pub account_id: Option<String>,
    /// The temporary available credit after the decision (absent when nothing was recorded).
    pub available: Option<String>,
    /// Approved purchases so far, after the decision.
    pub uses: Option<u32>,
    /// The ledger's code when it refused (`LEDGER_REFUSED`).
    pub ledger_code: Option<LedgerCode>,
}

/// A merchant's refund of an approved purchase.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "tempcard.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefundRequest {
    /// The refund's id (idempotency).
    pub refund_id: String,
    /// The temporary PAN the purchase was made with.
    pub pan: String,
    /// The approved authorisation refunded.
    pub authorisation_id: String,
    /// Decimal string in `currency`.
    pub amount: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Unix seconds.
    pub now: i64,
}

/// The answer to a refund.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "tempcard.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundResult {
    /// The refund id.
    pub refund_id: String,
    /// `REFUNDED_TO_PARENT` or the reason of the refusal.
    pub code: TempCardCode,
    /// True when answered from the stored result.
    pub repeated: bool,
    /// The temporary account (absent for `UNKNOWN_PAN`).
    pub account_id: Option<String>,
    /// The account credited (the parent credit line) when refunded.
    pub credited_account_id: Option<String>,
    /// Whether the temporary account was closed when the refund was decided.
    pub after_closure: bool,
    /// The ledger's code when it refused (`LEDGER_REFUSED`).
    pub ledger_code: Option<LedgerCode>,
}

/// Why a temporary account closed. JSON: `"activation"`, `"windowEnd"`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "tempcard.ts"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ClosureReason {
    /// The physical card was activated.
    Activation,
    /// The usable window ended.
    WindowEnd,
}

/// A closure.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "tempcard.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClosureView {
    /// Why.
    pub reason: ClosureReason,
    /// When (effective Unix seconds).
    pub at: i64,
    /// The unused rest released to the parent.
    pub released: String,
}

/// The answer to an activation or a closure.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "tempcard.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClosureResult {
    /// `CLOSED_ON_ACTIVATION`, `CLOSED_AT_WINDOW_END`, `ALREADY_CLOSED`, `UNKNOWN_ACCOUNT`,
    /// `LEDGER_REFUSED`.
    pub code: TempCardCode,
    /// The temporary account.
    pub account_id: String,
    /// The closure (when closed).
    pub closure: Option<ClosureView>,
    /// The ledger's code when it refused.
    pub ledger_code: Option<LedgerCode>,
}

/// The answer to [`TempCardService::close_due`].
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "tempcard.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloseDueResult {
    /// `DUE_ACCOUNTS_CLOSED`, `MORE_ACCOUNTS_DUE` or `LEDGER_REFUSED`.
    pub code: TempCardCode,
    /// The accounts closed by this call.
    pub closed: Vec<String>,
    /// The ledger's code when it refused.
    pub ledger_code: Option<LedgerCode>,
}

/// The answer to an approval.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "tempcard.ts"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalResult {
    /// `TEMPORARY_ACCOUNT_OPENED` or the reason of the refusal.
    pub code: TempCardCode,
    /// The temporary account requested.
    pub account_id: String,
    /// The new account (only when opened).
    pub account: Option<TempAccountView>,
    /// The ledger's code when it refused.
    pub ledger_code: Option<LedgerCode>,
}

/// A temporary account as seen at a time. Amounts are decimal strings in `currency`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "tempcard.ts", rename = "TemporaryAccountView"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TempAccountView {
    /// Its id.
    pub account_id: String,
    /// The parent credit line.
    pub parent_account_id: String,
    /// Currency code.
    pub currency: String,
    /// The PAN with all but the BIN's first six and the last four digits masked.
    pub masked_pan: String,
    /// `MM/YY`.
    pub expiry: String,
    /// The exact expiry, Unix seconds (exclusive).
    pub expires_at: i64,
    /// When the credentials may be shown.
    pub display_window: Window,
    /// When the credentials authorise.
    pub usable_window: Window,
    /// `"open"` or `"closed"`.
    #[cfg_attr(feature = "ts", ts(type = "\"open\" | \"closed\""))]
    pub status: String,
    /// The closure, when closed.
    pub closure: Option<ClosureView>,
    /// The approved limit of the parent.
    pub approved_limit: String,
    /// The fraction requested (canonical decimal), if any.
    pub limit_fraction: Option<String>,
    /// The cap requested, if any.
    pub limit_cap: Option<String>,
    /// The reduced limit held.
    pub temporary_limit: String,
    /// Approved purchases, in total.
    pub spent: String,
    /// Refunded (to the parent), in total.
    pub refunded: String,
    /// What the temporary account may still spend (what its hold still reserves).
    pub available: String,
    /// Approved purchases.
    pub uses: u32,
    /// The use limit, if any.
    pub max_uses: Option<u32>,
    /// The merchant the account is locked to (given, or the first one paid), if any.
    pub merchant_lock: Option<String>,
    /// Whether the first merchant paid locks the account.
    pub lock_to_first_merchant: bool,
    /// `DISPLAY_ALLOWED`, `DISPLAY_NOT_YET_OPEN`, `DISPLAY_CLOSED` or `ACCOUNT_CLOSED`.
    pub display_status: TempCardCode,
    /// `USABLE`, `NOT_YET_USABLE`, `USABLE_WINDOW_CLOSED`, `EXPIRED` or `ACCOUNT_CLOSED`.
    pub usable_status: TempCardCode,
    /// Authorisations recorded.
    pub authorisations: u32,
    /// Wrong CVVs recorded (at [`CVV_FAILURES_MAX`] the account declines everything).
    pub cvv_failures: u32,
    /// The parent credit line in the ledger.
    pub parent: AccountView,
}

// ------------------------------------------------------------------------------------------
// State
// ------------------------------------------------------------------------------------------

/// A recorded authorisation. The CVV is not recorded, nor any function of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct AuthRecord {
    pub(super) id: String,
    /// Canonical amount string in `currency` (as presented, possibly another currency).
    pub(super) amount: String,
    pub(super) currency: String,
    pub(super) merchant_id: String,
    pub(super) code: TempCardCode,
    /// Temporary available credit after the decision, minor units.
    pub(super) available_after: u128,
    pub(super) uses_after: u32,
    /// Of an approved purchase: its amount and what was refunded of it, minor units.
    pub(super) captured: u128,
    pub(super) refunded: u128,
}

/// A recorded refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RefundRecord {
    pub(super) id: String,
    pub(super) authorisation_id: String,
    pub(super) amount: String,
    pub(super) currency: String,
    pub(super) code: TempCardCode,
    pub(super) after_closure: bool,
}

/// A closure as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Closure {
    pub(super) reason: ClosureReason,
    pub(super) at: i64,
    pub(super) released: u128,
}

/// A temporary account. Amounts in minor units of the service's currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TempAccount {
    pub(super) id: String,
    pub(super) parent: String,
    pub(super) credentials: Credentials,
    pub(super) approved_limit: u128,
    pub(super) limit_fraction: Option<String>,
    pub(super) limit_cap: Option<u128>,
    pub(super) temporary_limit: u128,
    pub(super) max_uses: Option<u32>,
    pub(super) merchant_lock: Option<String>,
    pub(super) lock_to_first_merchant: bool,
    pub(super) uses: u32,
    pub(super) spent: u128,
    pub(super) refunded: u128,
    pub(super) closure: Option<Closure>,
    pub(super) authorisations: Vec<AuthRecord>,
    pub(super) refunds: Vec<RefundRecord>,
}

impl TempAccount {
    fn hold_id(&self) -> String {
        format!("{HOLD_PREFIX}{}", self.id)
    }

    fn authorisation(&self, id: &str) -> Option<&AuthRecord> {
        self.authorisations.iter().find(|a| a.id == id)
    }
}

/// The issuer-side temporary-account service (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TempCardService {
    pub(super) config: ServiceConfig,
    pub(super) currency: &'static Currency,
    pub(super) ledger: Ledger,
    /// By id.
    pub(super) accounts: KeyedVec<TempAccount>,
    /// PAN → temporary account id (derived, rebuilt on restore).
    pub(super) pans: KeyedVec<PanOwner>,
}

impl Keyed for TempAccount {
    fn key(&self) -> &str {
        &self.id
    }
}

/// A temporary PAN and the account it was issued to (the PAN index's record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PanOwner {
    pub(super) pan: String,
    pub(super) account_id: String,
}

impl Keyed for PanOwner {
    fn key(&self) -> &str {
        &self.pan
    }
}

// ------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------

fn invalid(param: &'static str, message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidArgument, param, message)
}

fn check_id(id: &str, param: &'static str, bytes_max: usize) -> Result<()> {
    if id_ok(id) && id.len() <= bytes_max {
        Ok(())
    } else {
        Err(invalid(
            param,
            format!("must be 1..={bytes_max} UTF-8 bytes without control characters"),
        ))
    }
}

fn internal(message: &str) -> Error {
    Error::new(ErrorCode::Internal, "", message.to_owned())
}

/// Non-negative minor units of an amount (negative ones are refused by the callers before).
fn units_of(amount: &Amount) -> u128 {
    u128::try_from(amount.to_minor_units()).unwrap_or(0)
}

impl TempCardService {
    /// A new service at `now`: an empty ledger with the settlement account opened.
    ///
    /// Errors: `CURRENCY_UNKNOWN` about `currency`; `INVALID_ARGUMENT` about `binRange`,
    /// `settlementAccountId` or `now`.
    pub fn new(config: &ServiceConfig, now: i64) -> Result<TempCardService> {
        let currency = Currency::from_code(&config.currency)?;
        check_bin_range(&config.bin_range)?;
        check_id(
            &config.settlement_account_id,
            "settlementAccountId",
            crate::ledger::ID_BYTES_MAX,
        )?;
        check_time(now, "now")?;
        let mut ledger = Ledger::new();
        let outcome = ledger.open_account(&OpenAccountRequest {
            idempotency_key: format!("{KEY_PREFIX}1"),
            now,
            account_id: config.settlement_account_id.clone(),
            currency: currency.code().to_owned(),
            kind: AccountKind::Unrestricted,
            credit_limit: None,
        })?;
        if outcome.code != LedgerCode::AccountOpened {
            return Err(internal("opening the settlement account failed"));
        }
        Ok(TempCardService {
            config: config.clone(),
            currency,
            ledger,
            accounts: KeyedVec::new(),
            pans: KeyedVec::new(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// The ledger (read only: every change goes through the service).
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Forgets the ledger's retained journal entries up to `through_seq`, after the caller
    /// persisted them (see [`Ledger::truncate_journal`]).
    ///
    /// Errors: `INVALID_ARGUMENT` about `throughSeq`.
    pub fn truncate_journal(&mut self, through_seq: u64) -> Result<()> {
        self.ledger.truncate_journal(through_seq)
    }

    /// The temporary account ids, ascending.
    pub fn account_ids(&self) -> Vec<String> {
        self.accounts.keys()
    }

    fn effective(&self, now: i64) -> Result<i64> {
        check_time(now, "now")?;
        Ok(now.max(self.ledger.clock()))
    }

    fn format(&self, units: u128) -> String {
        match i128::try_from(units)
            .ok()
            .and_then(|u| Amount::from_minor_units(u, self.currency).ok())
        {
            Some(amount) => amount.to_string(),
            None => units.to_string(),
        }
    }

    fn parse(&self, value: &str, param: &'static str) -> Result<u128> {
        let amount = Amount::parse(value, self.currency, None).map_err(|e| rename(e, param))?;
        if amount.is_negative() {
            return Err(invalid(param, "must not be negative"));
        }
        Ok(units_of(&amount))
    }

    /// The next ledger idempotency key: `tc-<next journal seq>`, unique because every recorded
    /// key advances the journal.
    fn key(ledger: &Ledger) -> String {
        format!("{KEY_PREFIX}{}", ledger.head().seq.saturating_add(1))
    }

    /// What a hold still reserves (0 when resolved or unknown).
    fn hold_pending(&self, ledger: &Ledger, hold_id: &str) -> u128 {
        ledger
            .hold_view(hold_id)
            .filter(|h| h.state == HoldState::Pending)
            .and_then(|h| self.parse(&h.pending, "pending").ok())
            .unwrap_or(0)
    }

    // -------------------------------------------------------------------------------- approve

    /// Approves an application: issues the credentials with `randomness` (exactly
    /// [`super::PAN_RANDOMNESS_BYTES`] bytes from a CSPRNG) and holds the reduced limit on the
    /// parent credit line. Codes and order in the module docs; the state changes only with
    /// `TEMPORARY_ACCOUNT_OPENED`.
    ///
    /// Errors: `INVALID_ARGUMENT` about `accountId`, `parentAccountId`, `approvedLimit` (not
    /// positive), `limitFraction` (not in (0, 1], or neither it nor `limitCap` given),
    /// `limitCap` (not positive), `maxUses` (not 1..=[`USES_MAX`]), `merchantLock`,
    /// `displayWindow`, `usableWindow` (as [`super::issue`], or ending more than 366 days after
    /// now), `issuedPans`, `randomness`, `now`; `AMOUNT_*` about `approvedLimit` / `limitCap`.
    pub fn approve(
        &mut self,
        request: &ApprovalRequest,
        randomness: &[u8],
    ) -> Result<ApprovalResult> {
        check_id(&request.account_id, "accountId", ACCOUNT_ID_BYTES_MAX)?;
        check_id(
            &request.parent_account_id,
            "parentAccountId",
            crate::ledger::ID_BYTES_MAX,
        )?;
        let approved = self.parse(&request.approved_limit, "approvedLimit")?;
        if approved == 0 {
            return Err(invalid("approvedLimit", "must be positive"));
        }
        let fraction = match &request.limit_fraction {
            Some(text) => {
                let value = parse_decimal(text, "limitFraction")?;
                if value <= rust_decimal::Decimal::ZERO || value > rust_decimal::Decimal::ONE {
                    return Err(invalid("limitFraction", "must be in (0, 1]"));
                }
                Some(value)
            }
            None => None,
        };
        let cap = match &request.limit_cap {
            Some(text) => {
                let value = self.parse(text, "limitCap")?;
                if value == 0 {
                    return Err(invalid("limitCap", "must be positive"));
                }
                Some(value)
            }
            None => None,
        };
        if fraction.is_none() && cap.is_none() {
            return Err(invalid(
                "limitFraction",
                "give limitFraction, limitCap or both",
            ));
        }
        if let Some(uses) = request.max_uses {
            if !(1..=USES_MAX).contains(&uses) {
                return Err(invalid("maxUses", format!("must be 1..={USES_MAX}")));
            }
        }
        if let Some(merchant) = &request.merchant_lock {
            check_id(merchant, "merchantLock", crate::ledger::ID_BYTES_MAX)?;
        }
        check_windows(&request.display_window, &request.usable_window)?;
        let now = self.effective(request.now)?;
        if request.usable_window.until.saturating_sub(now) > HOLD_DURATION_S_MAX {
            return Err(invalid(
                "usableWindow",
                "must end at most 366 days (HOLD_DURATION_S_MAX) after now: the hold lasts until its end",
            ));
        }
        let refuse = |code: TempCardCode, ledger_code: Option<LedgerCode>| ApprovalResult {
            code,
            account_id: request.account_id.clone(),
            account: None,
            ledger_code,
        };

        if self.accounts.contains_key(&request.account_id) {
            return Ok(refuse(TempCardCode::AccountExists, None));
        }
        if self.accounts.len() >= TEMP_ACCOUNTS_MAX {
            return Ok(refuse(TempCardCode::AccountsFull, None));
        }
        if request.usable_window.until <= now {
            return Ok(refuse(TempCardCode::UsableWindowClosed, None));
        }
        // The reduced limit: approved × fraction rounded down to the minor unit, then the cap.
        let approved_amount = Amount::from_minor_units(
            i128::try_from(approved).map_err(|_| internal("approved limit out of range"))?,
            self.currency,
        )?;
        let mut temporary = approved;
        if let Some(fraction) = fraction {
            let product = approved_amount
                .checked_mul(fraction, RoundingMode::Floor)
                .map_err(|e| rename(e, "limitFraction"))?;
            temporary = temporary.min(units_of(&product));
        }
        if let Some(cap) = cap {
            temporary = temporary.min(cap);
        }
        if temporary == 0 {
            return Ok(refuse(TempCardCode::TemporaryLimitZero, None));
        }
        let parent_view = self.ledger.account(&request.parent_account_id);
        if let Some(parent) = &parent_view {
            let limit_matches = parent
                .credit_limit
                .as_deref()
                .and_then(|limit| self.parse(limit, "creditLimit").ok())
                == Some(approved);
            if parent.kind != AccountKind::CreditLine
                || parent.closed
                || parent.currency != self.currency.code()
                || !limit_matches
            {
                return Ok(refuse(TempCardCode::ParentMismatch, None));
            }
        }
        let parent_open_temporary = self.accounts.iter().any(|a| {
            a.parent == request.parent_account_id
                && a.closure.is_none()
                && now < a.credentials.usable_window.until
        });
        if parent_open_temporary {
            return Ok(refuse(TempCardCode::ParentHasOpenTemporary, None));
        }

        // Issue: unique among the parent's earlier temporary PANs and the caller's list (the
        // service-wide index is checked after the draw).
        let mut issued_pans: Vec<String> = self
            .accounts
            .iter()
            .filter(|a| a.parent == request.parent_account_id)
            .map(|a| a.credentials.pan.clone())
            .take(ISSUED_PANS_MAX.saturating_add(1))
            .collect();
        issued_pans.extend(
            request
                .issued_pans
                .iter()
                .take(ISSUED_PANS_MAX + 1)
                .cloned(),
        );
        let issued = issue(
            &IssueRequest {
                bin_range: self.config.bin_range.clone(),
                display_window: request.display_window,
                usable_window: request.usable_window,
                issued_pans,
            },
            randomness,
        )?;
        let Some(credentials) = issued.credentials else {
            return Ok(refuse(issued.code, None));
        };
        if self.pans.contains_key(&credentials.pan) {
            return Ok(refuse(TempCardCode::PanCollision, None));
        }

        // Ledger, on a scratch copy: open the parent if new, then hold the reduced limit.
        let mut scratch = self.ledger.clone();
        let code = self.currency.code().to_owned();
        if parent_view.is_none() {
            let outcome = scratch.open_account(&OpenAccountRequest {
                idempotency_key: Self::key(&scratch),
                now,
                account_id: request.parent_account_id.clone(),
                currency: code.clone(),
                kind: AccountKind::CreditLine,
                credit_limit: Some(self.format(approved)),
            })?;
            if outcome.code != LedgerCode::AccountOpened {
                return Ok(refuse(TempCardCode::LedgerRefused, Some(outcome.code)));
            }
        }
        let account = TempAccount {
            id: request.account_id.clone(),
            parent: request.parent_account_id.clone(),
            credentials,
            approved_limit: approved,
            limit_fraction: fraction.map(|f| f.normalize().to_string()),
            limit_cap: cap,
            temporary_limit: temporary,
            max_uses: request.max_uses,
            merchant_lock: request.merchant_lock.clone(),
            lock_to_first_merchant: request.lock_to_first_merchant,
            uses: 0,
            spent: 0,
            refunded: 0,
            closure: None,
            authorisations: Vec::new(),
            refunds: Vec::new(),
        };
        let outcome = scratch.hold(&HoldRequest {
            idempotency_key: Self::key(&scratch),
            now,
            hold_id: account.hold_id(),
            debit_account_id: request.parent_account_id.clone(),
            credit_account_id: self.config.settlement_account_id.clone(),
            amount: self.format(temporary),
            currency: code,
            expires_at: request.usable_window.until,
        })?;
        match outcome.code {
            LedgerCode::Held => {}
            LedgerCode::InsufficientFunds => {
                return Ok(refuse(TempCardCode::ParentCreditInsufficient, None))
            }
            other => return Ok(refuse(TempCardCode::LedgerRefused, Some(other))),
        }
        // Commit: nothing below can fail.
        self.ledger = scratch;
        self.pans.insert(PanOwner {
            pan: account.credentials.pan.clone(),
            account_id: account.id.clone(),
        });
        self.accounts.insert(account);
        let view = self.view_of(&request.account_id, now);
        Ok(ApprovalResult {
            code: TempCardCode::TemporaryAccountOpened,
            account_id: request.account_id.clone(),
            account: view,
            ledger_code: None,
        })
    }

    // -------------------------------------------------------------------------------- closure

    /// Closes `account_id` at window end (its hold expires): the void of a hold past its deadline
    /// expires it. `Ok(Err(code))` when the ledger refused (nothing changed).
    fn close(
        &mut self,
        account_id: &str,
        reason: ClosureReason,
        now: i64,
    ) -> Result<core::result::Result<Closure, LedgerCode>> {
        let Some(account) = self.accounts.get(account_id) else {
            return Err(internal("closing an unknown account"));
        };
        let hold_id = account.hold_id();
        // What the closure gives back: what the hold still reserves, or what the ledger's own
        // expiry released if it got there first (an operation on the parent past the deadline).
        let view = self.ledger.hold_view(&hold_id);
        let state = view.as_ref().map(|h| h.state);
        let released = match (&view, state) {
            (Some(h), Some(HoldState::Pending)) => self.parse(&h.pending, "pending").unwrap_or(0),
            (Some(h), Some(HoldState::Expired)) => self.parse(&h.released, "released").unwrap_or(0),
            _ => 0,
        };
        if state == Some(HoldState::Pending) {
            let outcome = self.ledger.void(&VoidRequest {
                idempotency_key: Self::key(&self.ledger),
                now,
                hold_id,
            })?;
            match outcome.code {
                // Voided before the deadline; expired (now or earlier) at or after it.
                LedgerCode::Voided | LedgerCode::HoldExpired => {}
                other if !other.is_journaled() => return Ok(Err(other)),
                _ => return Err(internal("the temporary hold could not be released")),
            }
        }
        let closure = Closure {
            reason,
            at: now,
            released,
        };
        if let Some(account) = self.accounts.get_mut(account_id) {
            account.closure = Some(closure);
        }
        Ok(Ok(closure))
    }

    fn closure_view(&self, closure: &Closure) -> ClosureView {
        ClosureView {
            reason: closure.reason,
            at: closure.at,
            released: self.format(closure.released),
        }
    }

    /// The physical card was activated: closes the temporary account, releasing the unused rest
    /// of its hold to the parent. After the usable window the account closes as at window end.
    ///
    /// Codes: `CLOSED_ON_ACTIVATION`, `CLOSED_AT_WINDOW_END`, `ALREADY_CLOSED`,
    /// `UNKNOWN_ACCOUNT`, `LEDGER_REFUSED`.
    ///
    /// Errors: `INVALID_ARGUMENT` about `accountId` or `now`.
    pub fn activate_physical_card(&mut self, account_id: &str, now: i64) -> Result<ClosureResult> {
        check_id(account_id, "accountId", ACCOUNT_ID_BYTES_MAX)?;
        let now = self.effective(now)?;
        let result = |code, closure: Option<ClosureView>, ledger_code| ClosureResult {
            code,
            account_id: account_id.to_owned(),
            closure,
            ledger_code,
        };
        let Some(account) = self.accounts.get(account_id) else {
            return Ok(result(TempCardCode::UnknownAccount, None, None));
        };
        if let Some(closure) = &account.closure {
            return Ok(result(
                TempCardCode::AlreadyClosed,
                Some(self.closure_view(closure)),
                None,
            ));
        }
        let (reason, code) = if now >= account.credentials.usable_window.until {
            (ClosureReason::WindowEnd, TempCardCode::ClosedAtWindowEnd)
        } else {
            (ClosureReason::Activation, TempCardCode::ClosedOnActivation)
        };
        Ok(match self.close(account_id, reason, now)? {
            Ok(closure) => result(code, Some(self.closure_view(&closure)), None),
            Err(ledger) => result(TempCardCode::LedgerRefused, None, Some(ledger)),
        })
    }

    /// Closes the open accounts whose usable window has ended at `now`, earliest end first (ties
    /// by id), at most [`CLOSE_BATCH_MAX`].
    ///
    /// Codes: `DUE_ACCOUNTS_CLOSED`, `MORE_ACCOUNTS_DUE`, `LEDGER_REFUSED` (the accounts closed
    /// before it stay closed).
    ///
    /// Errors: `INVALID_ARGUMENT` about `now`.
    pub fn close_due(&mut self, now: i64) -> Result<CloseDueResult> {
        let now = self.effective(now)?;
        let mut due: Vec<(i64, String)> = self
            .accounts
            .iter()
            .filter(|a| a.closure.is_none() && a.credentials.usable_window.until <= now)
            .map(|a| (a.credentials.usable_window.until, a.id.clone()))
            .collect();
        // Only the first CLOSE_BATCH_MAX in (time, account id) order are closed: each is found
        // by a scan of the rest (at most 64 scans of at most TEMP_ACCOUNTS_MAX keys) instead of a
        // sort, whose monomorph for this key type was ~6 KB of wasm in the tempcard module
        // (HACKING.md "Energy's and tempcard's own code"). The keys are distinct, so the order is
        // the one a sort gives.
        let batch = due.len().min(CLOSE_BATCH_MAX);
        for first in 0..batch {
            let earliest = (first..due.len()).fold(first, |best, i| match (due.get(i), due.get(best)) {
                (Some(candidate), Some(current)) if candidate < current => i,
                _ => best,
            });
            due.swap(first, earliest);
        }
        let more = due.len() > CLOSE_BATCH_MAX;
        let mut closed = Vec::new();
        for (_, id) in due.into_iter().take(batch) {
            if let Err(ledger) = self.close(&id, ClosureReason::WindowEnd, now)? {
                return Ok(CloseDueResult {
                    code: TempCardCode::LedgerRefused,
                    closed,
                    ledger_code: Some(ledger),
                });
            }
            closed.push(id);
        }
        Ok(CloseDueResult {
            code: if more {
                TempCardCode::MoreAccountsDue
            } else {
                TempCardCode::DueAccountsClosed
            },
            closed,
            ledger_code: None,
        })
    }

    // ----------------------------------------------------------------------------- authorise

    /// Decides a purchase (check order in the module docs) and records it atomically.
    ///
    /// Errors (nothing recorded): `KEY_INVALID` about `cvvKey`; `INVALID_ARGUMENT` about
    /// `authorisationId`, `merchantId` or `now`; `CURRENCY_UNKNOWN` about `currency`;
    /// `AMOUNT_*` about `amount`.
    pub fn authorise(
        &mut self,
        request: &AuthorisationRequest,
        cvv_key: &[u8],
    ) -> Result<AuthorisationResult> {
        check_cvv_key(cvv_key)?;
        check_id(
            &request.authorisation_id,
            "authorisationId",
            crate::ledger::ID_BYTES_MAX,
        )?;
        check_id(
            &request.merchant_id,
            "merchantId",
            crate::ledger::ID_BYTES_MAX,
        )?;
        let currency = Currency::from_code(&request.currency)?;
        let amount = Amount::parse(&request.amount, currency, None)?;
        let now = self.effective(request.now)?;
        let canonical = amount.to_string();
        let unrecorded = |code, account_id: Option<String>| AuthorisationResult {
            authorisation_id: request.authorisation_id.clone(),
            code,
            approved: false,
            repeated: false,
            account_id,
            available: None,
            uses: None,
            ledger_code: None,
        };

        // 1–3: lookup, idempotency, capacity.
        let Some(account_id) = self.pans.get(&request.pan).map(|p| p.account_id.clone()) else {
            return Ok(unrecorded(TempCardCode::UnknownPan, None));
        };
        let Some(account) = self.accounts.get(&account_id) else {
            return Err(internal("the PAN index names an unknown account"));
        };
        if let Some(record) = account.authorisation(&request.authorisation_id) {
            if record.amount == canonical
                && record.currency == currency.code()
                && record.merchant_id == request.merchant_id
            {
                return Ok(AuthorisationResult {
                    authorisation_id: record.id.clone(),
                    code: record.code,
                    approved: record.code == TempCardCode::Approved,
                    repeated: true,
                    account_id: Some(account_id),
                    available: Some(self.format(record.available_after)),
                    uses: Some(record.uses_after),
                    ledger_code: None,
                });
            }
            return Ok(unrecorded(
                TempCardCode::AuthorisationIdConflict,
                Some(account_id),
            ));
        }
        if account.authorisations.len() >= AUTHORISATIONS_PER_ACCOUNT_MAX {
            return Ok(unrecorded(
                TempCardCode::AuthorisationsFull,
                Some(account_id),
            ));
        }

        // 4–10: the decision.
        let presented = PresentedCredentials {
            pan: request.pan.clone(),
            expiry: request.expiry.clone(),
            cvv: request.cvv.clone(),
        };
        let credential_code = account
            .credentials
            .verify_presented(cvv_key, &presented, now)?;
        drop(presented);
        let hold_id = account.hold_id();
        let pending = self.hold_pending(&self.ledger, &hold_id);
        let units = units_of(&amount);
        let is_credential_failure = matches!(
            credential_code,
            TempCardCode::PanMismatch
                | TempCardCode::ExpiryMismatch
                | TempCardCode::CvvMalformed
                | TempCardCode::CvvInvalid
        );
        let cvv_failures = account
            .authorisations
            .iter()
            .filter(|a| a.code == TempCardCode::CvvInvalid)
            .count();
        let mut close_now = false;
        let decline = if cvv_failures >= CVV_FAILURES_MAX {
            // Locked against guessing: the same answer whatever was presented (the CVV was still
            // derived and compared above, so the time taken does not tell either).
            Some(TempCardCode::CvvTriesExceeded)
        } else if is_credential_failure {
            Some(credential_code)
        } else if let Some(closure) = account.closure {
            // Closed: by activation, or at window end (then the window's code, whatever the
            // caller's clock says: the closure happened at or after the window's end).
            Some(match (closure.reason, credential_code) {
                (ClosureReason::Activation, _) => TempCardCode::AccountClosed,
                (ClosureReason::WindowEnd, TempCardCode::Expired) => TempCardCode::Expired,
                (ClosureReason::WindowEnd, _) => TempCardCode::UsableWindowClosed,
            })
        } else if credential_code != TempCardCode::CredentialsValid {
            // NOT_YET_USABLE, USABLE_WINDOW_CLOSED or EXPIRED; past the window the (open)
            // account closes now (its hold expires).
            close_now = now >= account.credentials.usable_window.until;
            Some(credential_code)
        } else if currency.code() != self.currency.code() {
            Some(TempCardCode::CurrencyMismatch)
        } else if amount.is_zero() || amount.is_negative() {
            Some(TempCardCode::AmountNotPositive)
        } else if account
            .merchant_lock
            .as_ref()
            .is_some_and(|m| *m != request.merchant_id)
        {
            Some(TempCardCode::MerchantLocked)
        } else if account.max_uses.is_some_and(|max| account.uses >= max) {
            Some(if account.max_uses == Some(1) {
                TempCardCode::SingleUseSpent
            } else {
                TempCardCode::UsesExhausted
            })
        } else if units > pending {
            Some(TempCardCode::InsufficientTemporaryCredit)
        } else {
            None
        };

        let mut record = AuthRecord {
            id: request.authorisation_id.clone(),
            amount: canonical,
            currency: currency.code().to_owned(),
            merchant_id: request.merchant_id.clone(),
            code: decline.unwrap_or(TempCardCode::Approved),
            available_after: pending,
            uses_after: account.uses,
            captured: 0,
            refunded: 0,
        };
        if close_now {
            if let Err(ledger) = self.close(&account_id, ClosureReason::WindowEnd, now)? {
                let mut result = unrecorded(TempCardCode::LedgerRefused, Some(account_id));
                result.ledger_code = Some(ledger);
                return Ok(result);
            }
            record.available_after = 0;
        }
        if decline.is_none() {
            // 11: capture from the hold (non-final: the rest stays held for later purchases).
            let outcome = self.ledger.post(&PostRequest {
                idempotency_key: Self::key(&self.ledger),
                now,
                hold_id,
                amount: Some(record.amount.clone()),
                currency: Some(record.currency.clone()),
                is_final: false,
            })?;
            if outcome.code != LedgerCode::Posted {
                return self.refused_post(request, account_id, &outcome);
            }
            record.available_after = pending - units;
            record.uses_after = record.uses_after.saturating_add(1);
            record.captured = units;
        }
        let result = AuthorisationResult {
            authorisation_id: record.id.clone(),
            code: record.code,
            approved: record.code == TempCardCode::Approved,
            repeated: false,
            account_id: Some(account_id.clone()),
            available: Some(self.format(record.available_after)),
            uses: Some(record.uses_after),
            ledger_code: None,
        };
        if let Some(account) = self.accounts.get_mut(&account_id) {
            if record.code == TempCardCode::Approved {
                account.uses = record.uses_after;
                account.spent = account.spent.saturating_add(units);
                if account.lock_to_first_merchant && account.merchant_lock.is_none() {
                    account.merchant_lock = Some(record.merchant_id.clone());
                }
            }
            account.authorisations.push(record);
        }
        Ok(result)
    }

    fn refused_post(
        &self,
        request: &AuthorisationRequest,
        account_id: String,
        outcome: &Outcome,
    ) -> Result<AuthorisationResult> {
        // The hold is pending with at least the amount (checked above), in the account's
        // currency: only capacity refusals (not journaled, nothing changed) can remain.
        if outcome.code.is_journaled() {
            return Err(internal("capturing from the temporary hold failed"));
        }
        Ok(AuthorisationResult {
            authorisation_id: request.authorisation_id.clone(),
            code: TempCardCode::LedgerRefused,
            approved: false,
            repeated: false,
            account_id: Some(account_id),
            available: None,
            uses: None,
            ledger_code: Some(outcome.code),
        })
    }

    // -------------------------------------------------------------------------------- refund

    /// Refunds (part of) an approved purchase to the parent credit line. Codes and order in the
    /// module docs.
    ///
    /// Errors (nothing recorded): `INVALID_ARGUMENT` about `refundId`, `authorisationId` or
    /// `now`; `CURRENCY_UNKNOWN` about `currency`; `AMOUNT_*` about `amount`.
    pub fn refund(&mut self, request: &RefundRequest) -> Result<RefundResult> {
        check_id(&request.refund_id, "refundId", crate::ledger::ID_BYTES_MAX)?;
        check_id(
            &request.authorisation_id,
            "authorisationId",
            crate::ledger::ID_BYTES_MAX,
        )?;
        let currency = Currency::from_code(&request.currency)?;
        let amount = Amount::parse(&request.amount, currency, None)?;
        let now = self.effective(request.now)?;
        let canonical = amount.to_string();
        let answer = |code, repeated, account_id: Option<String>, after_closure| RefundResult {
            refund_id: request.refund_id.clone(),
            code,
            repeated,
            account_id,
            credited_account_id: None,
            after_closure,
            ledger_code: None,
        };
        let Some(account_id) = self.pans.get(&request.pan).map(|p| p.account_id.clone()) else {
            return Ok(answer(TempCardCode::UnknownPan, false, None, false));
        };
        let Some(account) = self.accounts.get(&account_id) else {
            return Err(internal("the PAN index names an unknown account"));
        };
        if let Some(record) = account.refunds.iter().find(|r| r.id == request.refund_id) {
            if record.authorisation_id == request.authorisation_id
                && record.amount == canonical
                && record.currency == currency.code()
            {
                let mut result = answer(record.code, true, Some(account_id), record.after_closure);
                if record.code == TempCardCode::RefundedToParent {
                    result.credited_account_id = Some(account.parent.clone());
                }
                return Ok(result);
            }
            return Ok(answer(
                TempCardCode::RefundIdConflict,
                false,
                Some(account_id),
                false,
            ));
        }
        if account.refunds.len() >= REFUNDS_PER_ACCOUNT_MAX {
            return Ok(answer(
                TempCardCode::RefundsFull,
                false,
                Some(account_id),
                false,
            ));
        }
        // Closed, or past the window (closed lazily later): the refund is after closure.
        let after_closure =
            account.closure.is_some() || now >= account.credentials.usable_window.until;
        let purchase = account
            .authorisation(&request.authorisation_id)
            .filter(|a| a.code == TempCardCode::Approved);
        let units = units_of(&amount);
        let refusal = match purchase {
            None => Some(TempCardCode::UnknownAuthorisation),
            Some(_) if currency.code() != self.currency.code() => {
                Some(TempCardCode::CurrencyMismatch)
            }
            Some(_) if amount.is_zero() || amount.is_negative() => {
                Some(TempCardCode::AmountNotPositive)
            }
            Some(p) if units > p.captured.saturating_sub(p.refunded) => {
                Some(TempCardCode::RefundExceedsPurchase)
            }
            Some(_) => None,
        };
        let parent = account.parent.clone();
        let record = RefundRecord {
            id: request.refund_id.clone(),
            authorisation_id: request.authorisation_id.clone(),
            amount: canonical,
            currency: currency.code().to_owned(),
            code: refusal.unwrap_or(TempCardCode::RefundedToParent),
            after_closure,
        };
        if refusal.is_none() {
            let outcome = self.ledger.transfer(&TransferRequest {
                idempotency_key: Self::key(&self.ledger),
                now,
                debit_account_id: self.config.settlement_account_id.clone(),
                credit_account_id: parent.clone(),
                amount: record.amount.clone(),
                currency: record.currency.clone(),
            })?;
            if outcome.code != LedgerCode::Transferred {
                if outcome.code.is_journaled() {
                    return Err(internal("the refund transfer failed"));
                }
                let mut result = answer(
                    TempCardCode::LedgerRefused,
                    false,
                    Some(account_id),
                    after_closure,
                );
                result.ledger_code = Some(outcome.code);
                return Ok(result);
            }
        }
        let mut result = answer(record.code, false, Some(account_id.clone()), after_closure);
        if let Some(account) = self.accounts.get_mut(&account_id) {
            if record.code == TempCardCode::RefundedToParent {
                result.credited_account_id = Some(parent);
                account.refunded = account.refunded.saturating_add(units);
                if let Some(purchase) = account
                    .authorisations
                    .iter_mut()
                    .find(|a| a.id == request.authorisation_id)
                {
                    purchase.refunded = purchase.refunded.saturating_add(units);
                }
            }
            account.refunds.push(record);
        }
        Ok(result)
    }

    // ------------------------------------------------------------------------ reveal and view

    /// The PAN, expiry and CVV to show the holder: only inside the display window of an open
    /// account (the CVV derived here from `cvv_key`, never stored).
    ///
    /// Outcomes: `DISPLAY_ALLOWED`, `DISPLAY_NOT_YET_OPEN`, `DISPLAY_CLOSED`, `ACCOUNT_CLOSED`,
    /// `UNKNOWN_ACCOUNT`.
    ///
    /// Errors: `KEY_INVALID` about `cvvKey`; `INVALID_ARGUMENT` about `accountId` or `now`.
    pub fn reveal(&self, account_id: &str, cvv_key: &[u8], now: i64) -> Result<Reveal> {
        check_cvv_key(cvv_key)?;
        check_id(account_id, "accountId", ACCOUNT_ID_BYTES_MAX)?;
        let now = self.effective(now)?;
        let only = |code| Reveal {
            code,
            pan: None,
            expiry: None,
            cvv: None,
        };
        let Some(account) = self.accounts.get(account_id) else {
            return Ok(only(TempCardCode::UnknownAccount));
        };
        if account.closure.is_some() {
            return Ok(only(TempCardCode::AccountClosed));
        }
        account.credentials.reveal(cvv_key, now)
    }

    /// A temporary account at `now` (`None` when unknown). Read only: an account past its window
    /// shows `usableStatus: USABLE_WINDOW_CLOSED` until something closes it.
    ///
    /// Errors: `INVALID_ARGUMENT` about `now`.
    pub fn account(&self, account_id: &str, now: i64) -> Result<Option<TempAccountView>> {
        let now = self.effective(now)?;
        Ok(self.view_of(account_id, now))
    }

    fn view_of(&self, account_id: &str, now: i64) -> Option<TempAccountView> {
        let account = self.accounts.get(account_id)?;
        let parent = self.ledger.account(&account.parent)?;
        let credentials = &account.credentials;
        let closed = account.closure.is_some();
        let (display_status, usable_status) = if closed {
            (TempCardCode::AccountClosed, TempCardCode::AccountClosed)
        } else {
            (
                credentials
                    .display_status(now)
                    .unwrap_or(TempCardCode::DisplayClosed),
                credentials
                    .usable_status(now)
                    .unwrap_or(TempCardCode::UsableWindowClosed),
            )
        };
        Some(TempAccountView {
            account_id: account.id.clone(),
            parent_account_id: account.parent.clone(),
            currency: self.currency.code().to_owned(),
            masked_pan: mask(&credentials.pan),
            expiry: credentials.expiry.clone(),
            expires_at: credentials.expires_at,
            display_window: credentials.display_window,
            usable_window: credentials.usable_window,
            status: if closed { "closed" } else { "open" }.to_owned(),
            closure: account.closure.as_ref().map(|c| self.closure_view(c)),
            approved_limit: self.format(account.approved_limit),
            limit_fraction: account.limit_fraction.clone(),
            limit_cap: account.limit_cap.map(|c| self.format(c)),
            temporary_limit: self.format(account.temporary_limit),
            spent: self.format(account.spent),
            refunded: self.format(account.refunded),
            available: self.format(if closed {
                0
            } else {
                self.hold_pending(&self.ledger, &account.hold_id())
            }),
            uses: account.uses,
            max_uses: account.max_uses,
            merchant_lock: account.merchant_lock.clone(),
            lock_to_first_merchant: account.lock_to_first_merchant,
            display_status,
            usable_status,
            authorisations: u32::try_from(account.authorisations.len()).unwrap_or(u32::MAX),
            cvv_failures: u32::try_from(
                account
                    .authorisations
                    .iter()
                    .filter(|a| a.code == TempCardCode::CvvInvalid)
                    .count(),
            )
            .unwrap_or(u32::MAX),
            parent,
        })
    }
}

/// Renames the parameter of an amount error (`Amount::parse` names `amount`).
fn rename(error: Error, param: &'static str) -> Error {
    Error::new(error.code(), param, error.message().to_owned())
}


/// `457173******1234`: the first six and the last four digits (PCI DSS display rule).
fn mask(pan: &str) -> String {
    pan.char_indices()
        .map(|(i, c)| if i < 6 || i + 4 >= pan.len() { c } else { '*' })
        .collect()
}
