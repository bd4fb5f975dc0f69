//! The energy purchase's outcome codes: one per reason, for every operation of the module
//! (pricing, the e-money server, the terminal).

use crate::envelope::Rejection;
use crate::limits::outcome_codes;

outcome_codes! {
    /// Outcome of an energy operation. A decision or a refusal is a normal result with exactly
    /// one of these codes; an `Error` means the call itself was malformed.
    #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export_to = "energy.ts"))]
    pub enum EnergyCode {
        // Dispenser limit from a hold.
        /// The hold pays for at least one resolution step: the dispenser may deliver up to maxQuantity.
        LimitSet = "LIMIT_SET",
        /// The hold does not pay for a single resolution step (for an order, also a zero amount to hold): maxQuantity is 0 and the dispenser must not start.
        HoldTooSmall = "HOLD_TOO_SMALL",
        /// The hold pays for more than QUANTITY_MAX: maxQuantity is QUANTITY_MAX, which binds before the hold does.
        QuantityCapped = "QUANTITY_CAPPED",
        // Metered cost.
        /// The cost of the metered quantity (no hold was given to compare it with).
        CostComputed = "COST_COMPUTED",
        /// The cost of the metered quantity fits the hold.
        WithinHold = "WITHIN_HOLD",
        /// The cost of the metered quantity exceeds the hold (the delivery passed the derived maximum).
        ExceedsHold = "EXCEEDS_HOLD",
        // Server: authorisation of an order.
        /// The balance covers the maximum: the whole maximum is held.
        Held = "HELD",
        /// The balance is below the maximum and the order's policy is hold-available: the whole available balance is held.
        HeldAvailable = "HELD_AVAILABLE",
        /// The balance is below the maximum and the order's policy is lower-maximum: the available balance rounded down to the order's step is held.
        MaximumLowered = "MAXIMUM_LOWERED",
        /// The balance is below the maximum and the order's policy is decline: nothing is held.
        BalanceBelowMaximum = "BALANCE_BELOW_MAXIMUM",
        /// What the policy would hold is below the order's minimum: nothing is held.
        BelowMinimum = "BELOW_MINIMUM",
        /// The order names a wallet the server does not have (or a closed one): nothing is held.
        UnknownWallet = "UNKNOWN_WALLET",
        /// The order breaks a rule (maximum, minimum, step, tariff, currency, ids): nothing is held.
        OrderInvalid = "ORDER_INVALID",
        /// The order id was already used by another order: refused, nothing changed.
        OrderIdConflict = "ORDER_ID_CONFLICT",
        /// The server keeps SESSIONS_MAX sessions and none can be forgotten yet: refused, nothing changed.
        SessionsFull = "SESSIONS_FULL",
        /// The ledger refused the hold, increment or transfer (limits of the ledger; see ledgerCode): nothing changed.
        LedgerRefused = "LEDGER_REFUSED",
        // Server: during the session.
        /// The tariff change was recorded; the requested increment (if any) was added to the hold.
        TariffChanged = "TARIFF_CHANGED",
        /// The tariff change was recorded but the wallet cannot fund the requested increment: the hold is unchanged.
        IncrementDeclined = "INCREMENT_DECLINED",
        /// The hold's deadline was moved later.
        Extended = "EXTENDED",
        /// The requested deadline is not after the current one, or too far in the future: nothing changed.
        DeadlineInvalid = "DEADLINE_INVALID",
        /// The hold has expired (its deadline passed): the held funds were released.
        HoldExpired = "HOLD_EXPIRED",
        /// The tariff change is not the next one expected (changeNo), or the session already has TARIFF_CHANGES_MAX: nothing changed.
        TariffChangeOutOfOrder = "TARIFF_CHANGE_OUT_OF_ORDER",
        /// The new tariff is invalid, or in another currency or unit than the order's: nothing changed.
        TariffInvalid = "TARIFF_INVALID",
        /// The session's messages reached SESSION_MESSAGES_MAX: refused, nothing changed.
        SessionMessagesFull = "SESSION_MESSAGES_FULL",
        /// The session is closed (declined, completed, or its late completion handled): nothing changed.
        SessionClosed = "SESSION_CLOSED",
        /// No session has this order id.
        UnknownOrder = "UNKNOWN_ORDER",
        /// The order names another station than its terminal's: refused, nothing changed.
        WrongStation = "WRONG_STATION",
        /// The message comes from another terminal than the one that placed the order (sequence numbers are per terminal): refused.
        WrongTerminal = "WRONG_TERMINAL",
        // Server: completion.
        /// The actual cost was captured from the hold and the rest released.
        Completed = "COMPLETED",
        /// The metered cost exceeds the hold: the whole hold was captured (the receipt shows the uncollected rest).
        CompletedCapped = "COMPLETED_CAPPED",
        /// Nothing was delivered: the hold was released in full.
        CompletedNothingDelivered = "COMPLETED_NOTHING_DELIVERED",
        /// Late completion (after the hold expired), policy reject: nothing charged.
        LateCompletionRejected = "LATE_COMPLETION_REJECTED",
        /// Late completion, policy charge-if-funds: the cost (at most what was held) was charged as a new transfer.
        LateCharged = "LATE_CHARGED",
        /// Late completion, policy charge-if-funds: the wallet cannot pay the cost now, nothing charged.
        LateChargeDeclined = "LATE_CHARGE_DECLINED",
        /// The meter readings are not monotonic, not at the resolution, too many, or end below a tariff change: nothing changed.
        ReadingsInvalid = "READINGS_INVALID",
        // Terminal.
        /// The order envelope was built; send it to the server.
        OrderSent = "ORDER_SENT",
        /// The request envelope (tariff change, extend, completion) was built; send it to the server.
        RequestSent = "REQUEST_SENT",
        /// The meter reading was recorded; delivery may continue.
        ReadingAccepted = "READING_ACCEPTED",
        /// The meter reading reached the limit the hold pays for: the dispenser must stop.
        LimitReached = "LIMIT_REACHED",
        /// The meter reading is above the limit the hold pays for: not recorded.
        ReadingAboveLimit = "READING_ABOVE_LIMIT",
        /// The meter reading is below an earlier one (quantity or time): not recorded.
        ReadingNotMonotonic = "READING_NOT_MONOTONIC",
        /// The meter reading is not a valid quantity at the dispenser's resolution: not recorded.
        ReadingMalformed = "READING_MALFORMED",
        /// The session holds READINGS_MAX readings: not recorded (complete the session).
        ReadingsFull = "READINGS_FULL",
        /// The session is not authorised for delivery now (no hold yet, declined, paused for a tariff change, or closed).
        NotAuthorised = "NOT_AUTHORISED",
        /// A request of this session still waits for the server's answer.
        RequestPending = "REQUEST_PENDING",
        /// The terminal keeps TERMINAL_SESSIONS_MAX open sessions: no new order.
        TerminalSessionsFull = "TERMINAL_SESSIONS_FULL",
        /// The server's answer does not answer the request this session waits for (request hash mismatch).
        AnswerMismatch = "ANSWER_MISMATCH",
        /// The server's receipt was verified and the session closed.
        ReceiptAccepted = "RECEIPT_ACCEPTED",
        // Envelope checks (both roles).
        /// Not a well-formed, canonically encoded envelope within the size limits.
        Malformed = "MALFORMED",
        /// No trusted key has the envelope's key id and algorithm.
        UnknownKey = "UNKNOWN_KEY",
        /// The signature does not verify.
        BadSignature = "BAD_SIGNATURE",
        /// The envelope is authentic but of another message type.
        WrongType = "WRONG_TYPE",
        /// The envelope was issued in the future (beyond the clock skew).
        NotYetValid = "NOT_YET_VALID",
        /// The envelope has expired.
        Expired = "EXPIRED",
        /// The sequence number is not above the last one accepted on this session (replay or rollback).
        Replayed = "REPLAYED",
        /// The payload schema version is not one this build reads.
        VersionUnsupported = "VERSION_UNSUPPORTED",
        /// The authentic payload is not a canonical encoding of the message.
        PayloadMalformed = "PAYLOAD_MALFORMED",
    }
}

impl EnergyCode {
    /// The energy code for an envelope rejection (same string).
    pub const fn from_rejection(rejection: Rejection) -> EnergyCode {
        match rejection {
            Rejection::BadSignature => EnergyCode::BadSignature,
            Rejection::UnknownKey => EnergyCode::UnknownKey,
            Rejection::Expired => EnergyCode::Expired,
            Rejection::NotYetValid => EnergyCode::NotYetValid,
            Rejection::Replayed => EnergyCode::Replayed,
            Rejection::WrongType => EnergyCode::WrongType,
            Rejection::Malformed => EnergyCode::Malformed,
        }
    }

    /// Whether an authorisation with this code leaves a hold the terminal may dispense against.
    pub const fn is_hold(self) -> bool {
        matches!(
            self,
            EnergyCode::Held
                | EnergyCode::HeldAvailable
                | EnergyCode::MaximumLowered
                | EnergyCode::TariffChanged
                | EnergyCode::IncrementDeclined
                | EnergyCode::Extended
        )
    }
}
