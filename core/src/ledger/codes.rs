//! The ledger's outcome codes: one per reason, for every operation of [`super::Ledger`].

use crate::limits::outcome_codes;

outcome_codes! {
    /// Outcome of a ledger operation. A success or a rejection is a normal result with exactly
    /// one of these codes; an `Error` means the call itself was malformed (or an internal fault).
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "ledger.ts"))]
    pub enum LedgerCode {
        // Successes.
        /// The account was opened.
        AccountOpened = "ACCOUNT_OPENED",
        /// The amount moved from the debit account to the credit account (posted at once).
        Transferred = "TRANSFERRED",
        /// The hold was placed: the amount is reserved on the debit account until posted, voided or expired.
        Held = "HELD",
        /// The hold was raised by the amount.
        Incremented = "INCREMENTED",
        /// The hold's deadline was moved later.
        Extended = "EXTENDED",
        /// The amount was captured from the hold; a final or whole capture resolved it and released the rest.
        Posted = "POSTED",
        /// The hold was voided: what it still held was released.
        Voided = "VOIDED",
        /// Every hold due at the time was expired and released (possibly none).
        DueHoldsExpired = "DUE_HOLDS_EXPIRED",
        /// EXPIRE_BATCH_MAX due holds were expired and released; more are due: call again.
        MoreHoldsDue = "MORE_HOLDS_DUE",
        /// The credit line's limit was changed.
        CreditLimitSet = "CREDIT_LIMIT_SET",
        /// The account was closed: it takes part in no new transfer or hold.
        AccountClosed = "ACCOUNT_CLOSED",
        /// Who keeps the idempotency keys the ledger's window no longer holds was set.
        KeyRetentionSet = "KEY_RETENTION_SET",
        /// The ledger's capacity (most accounts and pending holds) was set.
        CapacitySet = "CAPACITY_SET",
        // Refusals that change nothing and are not journaled.
        /// The idempotency key was already used for a different request: nothing was done.
        IdempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED",
        /// IDEMPOTENCY_KEYS_MAX keys are retained and the oldest is younger than IDEMPOTENCY_KEY_RETENTION_S: nothing was done, retry later.
        IdempotencyKeysFull = "IDEMPOTENCY_KEYS_FULL",
        /// JOURNAL_ENTRIES_RETAINED_MAX journal entries await persisting: persist them, truncate the journal and retry.
        JournalFull = "JOURNAL_FULL",
        /// Not done: another operation of its linked chain failed (the one with another code); nothing of the chain was done, journaled or recorded.
        LinkedOperationFailed = "LINKED_OPERATION_FAILED",
        // Rejections (journaled, and answered again for the same idempotency key).
        /// The amount is zero or negative.
        AmountNotPositive = "AMOUNT_NOT_POSITIVE",
        /// The debit and credit accounts are the same account.
        SameAccount = "SAME_ACCOUNT",
        /// No account has this id.
        UnknownAccount = "UNKNOWN_ACCOUNT",
        /// An account with this id already exists (or existed: account ids are never reused).
        AccountExists = "ACCOUNT_EXISTS",
        /// The ledger already holds as many accounts as its capacity (ACCOUNTS_MAX by default).
        AccountsFull = "ACCOUNTS_FULL",
        /// An account of the operation is closed.
        AccountAlreadyClosed = "ACCOUNT_ALREADY_CLOSED",
        /// The account still has a balance or pending holds, so it cannot be closed.
        AccountNotEmpty = "ACCOUNT_NOT_EMPTY",
        /// The currency differs from the account's or the hold's.
        CurrencyMismatch = "CURRENCY_MISMATCH",
        /// The debit account's available funds (balance − pending holds, + credit limit) are below the amount.
        InsufficientFunds = "INSUFFICIENT_FUNDS",
        /// A balance, pending total or hold total would exceed 2^96 − 1 minor units.
        BalanceOverflow = "BALANCE_OVERFLOW",
        /// The account is not a credit line, so it has no credit limit to set.
        NotACreditLine = "NOT_A_CREDIT_LINE",
        /// The new credit limit is below what the account already uses (debt plus pending holds).
        CreditLimitBelowUsage = "CREDIT_LIMIT_BELOW_USAGE",
        /// No retained hold has this id.
        UnknownHold = "UNKNOWN_HOLD",
        /// A retained hold already has this id.
        HoldExists = "HOLD_EXISTS",
        /// The ledger already holds as many pending holds as its capacity (HOLDS_MAX by default).
        HoldsFull = "HOLDS_FULL",
        /// The debit account already has HOLDS_PER_ACCOUNT_MAX pending holds.
        AccountHoldsFull = "ACCOUNT_HOLDS_FULL",
        /// The deadline is not after now (nor after the current deadline, to extend), or more than HOLD_DURATION_S_MAX after now.
        DeadlineInvalid = "DEADLINE_INVALID",
        /// The amount to post is more than the hold still holds.
        ExceedsHold = "EXCEEDS_HOLD",
        /// The hold was already posted (resolved).
        HoldAlreadyPosted = "HOLD_ALREADY_POSTED",
        /// The hold was already voided (resolved).
        HoldAlreadyVoided = "HOLD_ALREADY_VOIDED",
        /// The hold expired (now or before): what it held was released.
        HoldExpired = "HOLD_EXPIRED",
        /// The ledger retains as many idempotency keys as the key window asked for, or more: nothing changed (set a small window on a new ledger).
        KeyWindowBelowKeys = "KEY_WINDOW_BELOW_KEYS",
        /// The ledger holds more accounts or pending holds than the capacity asked for: nothing changed.
        CapacityBelowCounts = "CAPACITY_BELOW_COUNTS",
    }
}

impl LedgerCode {
    /// Whether the operation did what it asked (a success code).
    pub const fn is_success(self) -> bool {
        matches!(
            self,
            LedgerCode::AccountOpened
                | LedgerCode::Transferred
                | LedgerCode::Held
                | LedgerCode::Incremented
                | LedgerCode::Extended
                | LedgerCode::Posted
                | LedgerCode::Voided
                | LedgerCode::DueHoldsExpired
                | LedgerCode::MoreHoldsDue
                | LedgerCode::CreditLimitSet
                | LedgerCode::AccountClosed
                | LedgerCode::KeyRetentionSet
                | LedgerCode::CapacitySet
        )
    }

    /// Whether an operation answered with this code on its own (not in a failed linked chain)
    /// is journaled and its key recorded: every code but `IDEMPOTENCY_KEY_REUSED`,
    /// `IDEMPOTENCY_KEYS_FULL`, `JOURNAL_FULL` and `LINKED_OPERATION_FAILED`. In a failed chain
    /// nothing is journaled, whatever the codes (see the module docs, *Linked chains*).
    pub const fn is_journaled(self) -> bool {
        !matches!(
            self,
            LedgerCode::IdempotencyKeyReused
                | LedgerCode::IdempotencyKeysFull
                | LedgerCode::JournalFull
                | LedgerCode::LinkedOperationFailed
        )
    }
}
