//! System 3 — pre-authorised energy purchase (refuelling, EV charging).
//!
//! When a terminal (a pump or a charger) receives an order to fill a vehicle, the e-money
//! server checks that the wallet's balance covers a predetermined maximum and holds it as a
//! credit amount on its [`Ledger`](crate::ledger::Ledger); the terminal derives the dispenser
//! or charger limit from the hold; after delivery the server captures the actual cost (from the
//! meter readings, the tariff and explicit rounding) and releases the rest.
//!
//! | part | what |
//! |---|---|
//! | [`pricing`] | the pure metering math: [`dispense_limit`] (hold ÷ unit price, rounded down to the resolution, exactly) and [`metered_cost`] (quantity × price, tax, explicit roundings) |
//! | [`session`](self) (`session.rs`) | rules both roles share: order validation, the cost of a delivery over tariff segments, the limit a hold pays for |
//! | [`EnergyServer`] | the e-money server: wallets, holds, increments, extension, capture/release, expiry, the late-completion policy, signed answers and receipts |
//! | [`EnergyTerminal`] | the terminal: signed orders and requests, verification of the server's answers, the dispenser limit, meter readings, receipt verification |
//! | messages (`messages.rs`) | the six envelope types and their payloads ([`Order`], [`TariffChange`], [`Extension`], [`Completion`], [`Authorisation`], [`Receipt`]) |
//! | snapshots (`snapshot.rs`) | authenticated snapshots of both roles (the server's embeds its ledger) |
//!
//! Outcomes are [`EnergyCode`]s (one per reason); an [`crate::Error`] means a malformed call.

mod codes;
mod messages;
pub mod pricing;
mod server;
mod session;
mod snapshot;
mod terminal;

#[cfg(test)]
mod flow_tests;
#[cfg(test)]
mod tests;

pub use codes::EnergyCode;
pub use messages::{
    Authorisation, BelowMaximum, Completion, Extension, MeterReading, Order, Receipt, SegmentCost,
    Signer, TariffChange, TariffSegment, AUTHORISATION_TYPE, COMPLETION_TYPE, ENERGY_ID_BYTES_MAX,
    EXTEND_TYPE, MESSAGE_TTL_S, ORDER_TYPE, PAYLOAD_VERSION, READINGS_MAX, RECEIPT_TYPE,
    TARIFF_CHANGES_MAX, TARIFF_CHANGE_TYPE,
};
pub use pricing::{
    dispense_limit, metered_cost, CostBreakdown, DispenseLimit, DispenseLimitRequest, MeteredCost,
    MeteredCostRequest, Tariff, TaxRule, Unit, KG_RESOLUTION_DECIMALS, KWH_RESOLUTION_DECIMALS,
    LITRE_RESOLUTION_DECIMALS, QUANTITY_DECIMALS_MAX, QUANTITY_MAX, SEARCH_STEPS_MAX,
    TAX_RATE_DECIMALS_MAX, UNIT_PRICE_DECIMALS_MAX, UNIT_PRICE_MAX,
};
pub use server::{
    EnergyServer, LateCompletion, ServerConfig, ServerReply, ServerSessionView, SessionState,
    TerminalKey, EXPIRE_ROUNDS_MAX, HOLD_DURATION_S_MIN, ISSUER_ACCOUNT, LATE_COMPLETION_WINDOW_S,
    SESSIONS_MAX,
    SESSION_MESSAGES_MAX, TERMINALS_MAX,
};
pub use snapshot::{
    SERVER_SNAPSHOT_BYTES_MAX, SNAPSHOT_FORMAT_VERSION, TERMINAL_SNAPSHOT_BYTES_MAX,
};
pub use terminal::{
    EnergyTerminal, RequestKind, TerminalConfig, TerminalOutcome, TerminalSessionView,
    TerminalState, TERMINAL_SESSIONS_MAX,
};
