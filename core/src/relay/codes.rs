//! The relay system's outcome codes: one per reason, for the phone and the server.

use crate::envelope::Rejection;
use crate::limits::outcome_codes;

outcome_codes! {
    /// Outcome of a relay operation. A decision or a refusal is a normal result with exactly one
    /// of these codes; an `Error` means the call itself was malformed.
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "relay.ts"))]
    pub enum RelayCode {
        // Phone: sealing.
        /// The token was sealed; its amount is reserved in the offline allowance until a receipt settles it.
        Sealed = "SEALED",
        /// The phone holds OUTSTANDING_TOKENS_MAX unanswered tokens: no new token until receipts come back.
        OutstandingFull = "OUTSTANDING_FULL",
        /// The device counter reached COUNTER_MAX: the phone must be registered again.
        CounterExhausted = "COUNTER_EXHAUSTED",
        /// The token would pass the offline allowance (see limitsCode and limitId): nothing sealed.
        AllowanceExceeded = "ALLOWANCE_EXCEEDED",
        // Server: the decision on an authentic token (signed receipt, stored under the counter).
        /// The payment was made: the amount moved from the device's wallet to the payee.
        Approved = "APPROVED",
        /// No registered payee has this id: nothing paid.
        UnknownPayee = "UNKNOWN_PAYEE",
        /// The token's currency is not the server's: nothing paid.
        CurrencyMismatch = "CURRENCY_MISMATCH",
        /// The payment would pass the device's server-side limits (see limitsCode and limitId): nothing paid.
        DeviceLimitExceeded = "DEVICE_LIMIT_EXCEEDED",
        /// The device's wallet does not hold the amount: nothing paid.
        InsufficientFunds = "INSUFFICIENT_FUNDS",
        /// The ledger refused the transfer for another reason (see ledgerCode): nothing paid.
        LedgerRefused = "LEDGER_REFUSED",
        // Server: the counter window (signed receipt, not stored).
        /// The counter is at or below the device's window: the server no longer knows whether it answered it, so it pays nothing now.
        CounterBelowWindow = "COUNTER_BELOW_WINDOW",
        /// The counter was already answered for other token bytes: refused (the counter's first answer stands).
        CounterReused = "COUNTER_REUSED",
        // Phone: a receipt.
        /// The receipt was verified and gives the token's final answer: the token is settled and its reservation released.
        Settled = "SETTLED",
        /// The receipt is authentic but not final (counter window): the token stays outstanding and its amount reserved.
        AnswerNotFinal = "ANSWER_NOT_FINAL",
        /// The token was already settled: nothing changed.
        AlreadySettled = "ALREADY_SETTLED",
        /// No token of this phone has the receipt's token hash.
        UnknownToken = "UNKNOWN_TOKEN",
        /// The receipt names the token's hash but another device or counter: not accepted.
        ReceiptMismatch = "RECEIPT_MISMATCH",
        // Envelope checks (a token at the server, a receipt at the phone).
        /// Not a well-formed, canonically encoded envelope within the size limits.
        Malformed = "MALFORMED",
        /// No trusted key has the envelope's key id and algorithm (at the server: no registered device).
        UnknownKey = "UNKNOWN_KEY",
        /// The signature does not verify (an altered message).
        BadSignature = "BAD_SIGNATURE",
        /// The envelope is authentic but of another message type.
        WrongType = "WRONG_TYPE",
        /// The message was issued in the future (beyond the clock skew).
        NotYetValid = "NOT_YET_VALID",
        /// The message has expired.
        Expired = "EXPIRED",
        /// The sequence number is not above the last one accepted.
        Replayed = "REPLAYED",
        /// The payload schema version is not one this build reads.
        VersionUnsupported = "VERSION_UNSUPPORTED",
        /// The authentic payload is not a canonical encoding of the message.
        PayloadMalformed = "PAYLOAD_MALFORMED",
    }
}

impl RelayCode {
    /// The relay code for an envelope rejection (same string).
    pub const fn from_rejection(rejection: Rejection) -> RelayCode {
        match rejection {
            Rejection::BadSignature => RelayCode::BadSignature,
            Rejection::UnknownKey => RelayCode::UnknownKey,
            Rejection::Expired => RelayCode::Expired,
            Rejection::NotYetValid => RelayCode::NotYetValid,
            Rejection::Replayed => RelayCode::Replayed,
            Rejection::WrongType => RelayCode::WrongType,
            Rejection::Malformed => RelayCode::Malformed,
        }
    }

    /// Whether a receipt with this code is the token's final answer (the server stored it under
    /// the counter): approved, or declined for a reason of the decision step.
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            RelayCode::Approved
                | RelayCode::NotYetValid
                | RelayCode::Expired
                | RelayCode::UnknownPayee
                | RelayCode::CurrencyMismatch
                | RelayCode::DeviceLimitExceeded
                | RelayCode::InsufficientFunds
                | RelayCode::LedgerRefused
        )
    }

    /// Whether a server answer with this code comes with a signed receipt.
    pub const fn has_receipt(self) -> bool {
        self.is_final() || matches!(self, RelayCode::CounterBelowWindow | RelayCode::CounterReused)
    }
}
