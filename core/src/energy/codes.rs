//! The energy purchase's outcome codes: one per reason, for every operation of the module.

use crate::limits::outcome_codes;

outcome_codes! {
    /// Outcome of an energy-pricing operation. A refusal is a normal result with exactly one of
    /// these codes; an `Error` means the call itself was malformed.
    pub enum EnergyCode {
        // Dispenser limit from a hold.
        /// The hold pays for at least one resolution step: the dispenser may deliver up to maxQuantity.
        LimitSet = "LIMIT_SET",
        /// The hold does not pay for a single resolution step: maxQuantity is 0 and the dispenser must not start.
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
    }
}
