//! The card's outcome codes: one per reason, for every operation of [`super::Card`].

use crate::envelope::Rejection;
use crate::limits::{self, outcome_codes};

outcome_codes! {
    /// Outcome of a card operation. A decision or a refusal is a normal result with exactly one
    /// of these codes; an `Error` means the call itself was malformed.
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "card.ts"))]
    pub enum CardCode {
        // Authorisation.
        /// Approved by the card offline: every limit fits below its soft threshold.
        Approved = "APPROVED",
        /// A soft threshold would be passed: go online (online terminal) or approve offline (offline terminal).
        SoftLimitReached = "SOFT_LIMIT_REACHED",
        /// A lifetime, trailing or calendar hard limit would be passed: declined.
        HardLimitReached = "HARD_LIMIT_REACHED",
        /// The amount is above a per-transaction hard limit: declined.
        TransactionLimitExceeded = "TRANSACTION_LIMIT_EXCEEDED",
        /// A trailing window holds its maximum number of entries and cannot count one more exactly: declined.
        TrailingWindowFull = "TRAILING_WINDOW_FULL",
        /// The consecutive-offline soft limit (EMV LCOL) is reached: go online (online terminal) or approve offline.
        ConsecutiveOfflineSoftLimit = "CONSECUTIVE_OFFLINE_SOFT_LIMIT",
        /// The consecutive-offline hard limit (EMV UCOL) is reached: go online (online terminal) or decline.
        ConsecutiveOfflineHardLimit = "CONSECUTIVE_OFFLINE_HARD_LIMIT",
        /// The currency differs from the card's currency (or from an amount limit's): declined.
        CurrencyMismatch = "CURRENCY_MISMATCH",
        /// The card is blocked: declined.
        CardBlocked = "CARD_BLOCKED",
        /// The merchant category is blocked by the issuer's configuration: declined.
        MerchantCategoryBlocked = "MERCHANT_CATEGORY_BLOCKED",
        /// The card has no configuration from its issuer yet.
        NotProvisioned = "NOT_PROVISIONED",
        /// The transaction id was already used with a different amount or currency: declined, nothing recorded.
        TransactionIdConflict = "TRANSACTION_ID_CONFLICT",
        /// The transaction counter reached its maximum (2^53 - 1): declined, the card must be replaced.
        TransactionCounterExhausted = "TRANSACTION_COUNTER_EXHAUSTED",
        /// The issuer approved the transaction online (after a go-online decision).
        OnlineApproved = "ONLINE_APPROVED",
        /// The issuer declined the transaction online (after a go-online decision).
        OnlineDeclined = "ONLINE_DECLINED",
        // Signed messages (configuration, commands, online results).
        /// The issuer's configuration was applied.
        ConfigApplied = "CONFIG_APPLIED",
        /// The companion app's command was applied.
        CommandApplied = "COMMAND_APPLIED",
        /// The issuer's online result was applied.
        OnlineResultApplied = "ONLINE_RESULT_APPLIED",
        /// Not a well-formed, canonically encoded envelope within the size limits.
        Malformed = "MALFORMED",
        /// No key the card trusts for this message has the envelope's key id and algorithm.
        UnknownKey = "UNKNOWN_KEY",
        /// The signature does not verify.
        BadSignature = "BAD_SIGNATURE",
        /// The envelope is authentic but of another message type.
        WrongType = "WRONG_TYPE",
        /// The envelope was issued in the future (beyond the configured clock skew).
        NotYetValid = "NOT_YET_VALID",
        /// The envelope has expired.
        Expired = "EXPIRED",
        /// The sequence number is not above the last one accepted (replay or rollback).
        Replayed = "REPLAYED",
        /// The payload schema version is not one this card reads.
        VersionUnsupported = "VERSION_UNSUPPORTED",
        /// The authentic payload is not a canonical encoding of the message.
        PayloadMalformed = "PAYLOAD_MALFORMED",
        /// The message is for another card (card id mismatch inside the signed payload).
        WrongCard = "WRONG_CARD",
        /// The authentic configuration breaks a rule (limits, keys, currency, bounds).
        ConfigInvalid = "CONFIG_INVALID",
        /// The command names a limit the card does not have.
        UnknownLimit = "UNKNOWN_LIMIT",
        /// The command's value is not a valid quantity for the limit (syntax, precision, sign, range).
        ValueInvalid = "VALUE_INVALID",
        /// The new value is above the issuer's ceiling for the limit.
        AboveCeiling = "ABOVE_CEILING",
        /// Lowering the limit by this much would make it negative.
        NegativeResult = "NEGATIVE_RESULT",
        /// The issuer did not allow this limit's usage to be reset.
        NotResettable = "NOT_RESETTABLE",
        /// The online result names a transaction that is not waiting for one.
        TransactionNotPending = "TRANSACTION_NOT_PENDING",
        // After authorisation.
        /// The transaction was reversed per the counting policy.
        Reversed = "REVERSED",
        /// The capture was applied per the counting policy.
        Captured = "CAPTURED",
        /// The refund was applied per the counting policy.
        Refunded = "REFUNDED",
        /// No retained transaction has this id.
        UnknownTransaction = "UNKNOWN_TRANSACTION",
        /// The transaction was declined or is still waiting for its online result, so there is nothing to reverse, capture or refund.
        TransactionNotApproved = "TRANSACTION_NOT_APPROVED",
        /// The transaction was already reversed.
        TransactionReversed = "TRANSACTION_REVERSED",
        /// The transaction was already refunded.
        TransactionRefunded = "TRANSACTION_REFUNDED",
        /// Counting on captures, a refund needs the transaction to be captured first.
        TransactionNotCaptured = "TRANSACTION_NOT_CAPTURED",
        /// The transaction was already refunded with a different amount (one refund per transaction).
        RefundConflict = "REFUND_CONFLICT",
        /// The refund is larger than the transaction's (captured) amount.
        RefundExceedsAmount = "REFUND_EXCEEDS_AMOUNT",
        /// The transaction was already captured with a different amount (one capture per transaction).
        CaptureConflict = "CAPTURE_CONFLICT",
        /// The capture is larger than the authorised amount.
        CaptureExceedsAuthorisation = "CAPTURE_EXCEEDS_AUTHORISATION",
    }
}

impl CardCode {
    /// The card code for an envelope rejection (same string).
    pub const fn from_rejection(rejection: Rejection) -> CardCode {
        match rejection {
            Rejection::BadSignature => CardCode::BadSignature,
            Rejection::UnknownKey => CardCode::UnknownKey,
            Rejection::Expired => CardCode::Expired,
            Rejection::NotYetValid => CardCode::NotYetValid,
            Rejection::Replayed => CardCode::Replayed,
            Rejection::WrongType => CardCode::WrongType,
            Rejection::Malformed => CardCode::Malformed,
        }
    }

    /// The card code for a limits code (same string where one exists).
    pub const fn from_limits(code: limits::Code) -> CardCode {
        use limits::Code as L;
        match code {
            L::WithinLimits => CardCode::Approved,
            L::SoftLimitReached => CardCode::SoftLimitReached,
            L::HardLimitReached => CardCode::HardLimitReached,
            L::TransactionLimitExceeded => CardCode::TransactionLimitExceeded,
            L::TrailingWindowFull => CardCode::TrailingWindowFull,
            L::CurrencyMismatch => CardCode::CurrencyMismatch,
            L::AlreadyRecorded => CardCode::Approved,
            L::TransactionIdConflict => CardCode::TransactionIdConflict,
            L::UnknownTransaction => CardCode::UnknownTransaction,
            L::Reversed => CardCode::Reversed,
            L::Refunded => CardCode::Refunded,
            L::Captured => CardCode::Captured,
            L::TransactionReversed => CardCode::TransactionReversed,
            L::TransactionRefunded => CardCode::TransactionRefunded,
            L::TransactionNotCaptured => CardCode::TransactionNotCaptured,
            L::RefundConflict => CardCode::RefundConflict,
            L::RefundExceedsAmount => CardCode::RefundExceedsAmount,
            L::CaptureConflict => CardCode::CaptureConflict,
            L::CaptureExceedsAuthorisation => CardCode::CaptureExceedsAuthorisation,
            L::LimitAdjusted => CardCode::CommandApplied,
            L::UnknownLimit => CardCode::UnknownLimit,
            L::ValueInvalid => CardCode::ValueInvalid,
            L::AboveCeiling => CardCode::AboveCeiling,
            L::NegativeResult => CardCode::NegativeResult,
            L::NotResettable => CardCode::NotResettable,
        }
    }
}
