//! System 3 — pre-authorised energy purchase (refuelling, EV charging).
//!
//! A terminal receiving an order checks that the e-money balance covers a maximum, the e-money
//! server holds that maximum, and after delivery captures the actual cost and releases the rest.
//!
//! This module holds the metering math that needs no ledger ([`pricing`]): the dispenser or
//! charger limit a hold pays for ([`dispense_limit`]), and the cost of a metered delivery with
//! explicit rounding and tax ([`metered_cost`]). Exact decimals only; every function is pure.
//!
//! Outcomes are [`EnergyCode`]s (one per reason); an [`crate::Error`] means a malformed call.

mod codes;
pub mod pricing;

#[cfg(test)]
mod tests;

pub use codes::EnergyCode;
pub use pricing::{
    dispense_limit, metered_cost, CostBreakdown, DispenseLimit, DispenseLimitRequest, MeteredCost,
    MeteredCostRequest, Tariff, TaxRule, Unit, KG_RESOLUTION_DECIMALS, KWH_RESOLUTION_DECIMALS,
    LITRE_RESOLUTION_DECIMALS, QUANTITY_DECIMALS_MAX, QUANTITY_MAX, SEARCH_STEPS_MAX,
    TAX_RATE_DECIMALS_MAX, UNIT_PRICE_DECIMALS_MAX, UNIT_PRICE_MAX,
};
