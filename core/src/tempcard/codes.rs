//! The temporary card's outcome codes: one per reason, for every operation of the module.

use crate::limits::outcome_codes;

outcome_codes! {
    /// Outcome of a temporary-card operation. A refusal is a normal result with exactly one of
    /// these codes; an `Error` means the call itself was malformed.
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "tempcard.ts"))]
    pub enum TempCardCode {
        // Issuance.
        /// Credentials were issued: a Luhn-valid PAN from the BIN range, unique among the PANs the caller listed for the parent account.
        Issued = "ISSUED",
        /// The PAN drawn from this randomness is already issued for the parent account: call again with fresh randomness.
        PanCollision = "PAN_COLLISION",
        /// Every draw from the supplied randomness was rejected by the uniform sampler (probability below 2^-60): call again with fresh randomness.
        RandomnessExhausted = "RANDOMNESS_EXHAUSTED",
        // Display window.
        /// The credentials may be shown now: within the display window.
        DisplayAllowed = "DISPLAY_ALLOWED",
        /// The display window has not opened yet: the credentials may not be shown.
        DisplayNotYetOpen = "DISPLAY_NOT_YET_OPEN",
        /// The display window has closed: the credentials may no longer be shown.
        DisplayClosed = "DISPLAY_CLOSED",
        // Usable window.
        /// The credentials authorise now: within the usable window and before expiry.
        Usable = "USABLE",
        /// The usable window has not opened yet: the credentials do not authorise.
        NotYetUsable = "NOT_YET_USABLE",
        /// The usable window has closed (the card has not reached its expiry): the credentials no longer authorise.
        UsableWindowClosed = "USABLE_WINDOW_CLOSED",
        /// The card has expired: the end of its MM/YY month (UTC) has passed.
        Expired = "EXPIRED",
        // Security code and presented credentials.
        /// The presented CVV matches the one derived for this PAN and expiry.
        CvvValid = "CVV_VALID",
        /// The presented CVV does not match.
        CvvInvalid = "CVV_INVALID",
        /// The presented CVV is not exactly three ASCII digits.
        CvvMalformed = "CVV_MALFORMED",
        /// The presented PAN is not the temporary card's PAN.
        PanMismatch = "PAN_MISMATCH",
        /// The presented expiry (MM/YY) is not the temporary card's expiry.
        ExpiryMismatch = "EXPIRY_MISMATCH",
        /// PAN, expiry and CVV match and the credentials are usable now.
        CredentialsValid = "CREDENTIALS_VALID",
        // Approval (TempCardService::approve).
        /// The temporary account was opened: credentials issued and the reduced limit held on the parent credit line until the end of the usable window.
        TemporaryAccountOpened = "TEMPORARY_ACCOUNT_OPENED",
        /// A temporary account with this id already exists (ids are never reused): nothing was done.
        AccountExists = "ACCOUNT_EXISTS",
        /// The service already holds TEMP_ACCOUNTS_MAX temporary accounts: nothing was done.
        AccountsFull = "ACCOUNTS_FULL",
        /// The reduced limit (fraction and/or cap of the approved limit, rounded down to the minor unit) is zero: nothing was done.
        TemporaryLimitZero = "TEMPORARY_LIMIT_ZERO",
        /// The parent account exists but is not an open credit line in the service's currency with the approved limit: nothing was done.
        ParentMismatch = "PARENT_MISMATCH",
        /// The parent account already has an open temporary account whose usable window has not ended: nothing was done.
        ParentHasOpenTemporary = "PARENT_HAS_OPEN_TEMPORARY",
        /// The parent credit line's available credit is below the reduced limit, so it cannot be held: nothing was done.
        ParentCreditInsufficient = "PARENT_CREDIT_INSUFFICIENT",
        /// The ledger refused an operation for a capacity reason (journal or idempotency keys full, too many holds or accounts; see ledgerCode): nothing was done, persist and truncate the journal, then retry.
        LedgerRefused = "LEDGER_REFUSED",
        // Authorisation (TempCardService::authorise).
        /// The purchase was approved: the amount was captured from the temporary hold and moved to the settlement account.
        Approved = "APPROVED",
        /// No temporary account has this PAN: nothing was recorded.
        UnknownPan = "UNKNOWN_PAN",
        /// The authorisation id was already used with another amount, currency or merchant: nothing was recorded.
        AuthorisationIdConflict = "AUTHORISATION_ID_CONFLICT",
        /// The account already records AUTHORISATIONS_PER_ACCOUNT_MAX authorisations: declined, nothing was recorded.
        AuthorisationsFull = "AUTHORISATIONS_FULL",
        /// CVV_FAILURES_MAX wrong CVVs were presented for this account: it declines every authorisation (locked against guessing).
        CvvTriesExceeded = "CVV_TRIES_EXCEEDED",
        /// The temporary account was closed (its physical card was activated): declined.
        AccountClosed = "ACCOUNT_CLOSED",
        /// The currency differs from the temporary account's: declined.
        CurrencyMismatch = "CURRENCY_MISMATCH",
        /// The amount is zero or negative: declined.
        AmountNotPositive = "AMOUNT_NOT_POSITIVE",
        /// The merchant is not the one the temporary account is locked to: declined.
        MerchantLocked = "MERCHANT_LOCKED",
        /// The single-use temporary account was already used for an approved purchase: declined.
        SingleUseSpent = "SINGLE_USE_SPENT",
        /// The temporary account already has its maximum number of approved purchases (n-use): declined.
        UsesExhausted = "USES_EXHAUSTED",
        /// The amount is more than the temporary available credit (what the hold still reserves): declined.
        InsufficientTemporaryCredit = "INSUFFICIENT_TEMPORARY_CREDIT",
        // Refund (TempCardService::refund).
        /// The amount was refunded to the parent credit line (before and after closure alike).
        RefundedToParent = "REFUNDED_TO_PARENT",
        /// The refund id was already used for another authorisation, amount or currency: nothing was recorded.
        RefundIdConflict = "REFUND_ID_CONFLICT",
        /// The account already records REFUNDS_PER_ACCOUNT_MAX refunds: refused, nothing was recorded.
        RefundsFull = "REFUNDS_FULL",
        /// No approved authorisation of this temporary account has this id: refused.
        UnknownAuthorisation = "UNKNOWN_AUTHORISATION",
        /// The amount is more than the purchase minus what was already refunded of it: refused.
        RefundExceedsPurchase = "REFUND_EXCEEDS_PURCHASE",
        // Closure and lookup.
        /// The physical card was activated: the temporary account is closed and the unused rest of its hold released to the parent.
        ClosedOnActivation = "CLOSED_ON_ACTIVATION",
        /// The usable window has ended: the temporary account is closed and its hold expired, releasing the unused rest to the parent.
        ClosedAtWindowEnd = "CLOSED_AT_WINDOW_END",
        /// The temporary account was already closed: nothing was done.
        AlreadyClosed = "ALREADY_CLOSED",
        /// No temporary account has this id.
        UnknownAccount = "UNKNOWN_ACCOUNT",
        /// Every temporary account whose usable window has ended was closed (possibly none).
        DueAccountsClosed = "DUE_ACCOUNTS_CLOSED",
        /// CLOSE_BATCH_MAX accounts were closed and more are due: call again.
        MoreAccountsDue = "MORE_ACCOUNTS_DUE",
    }
}
