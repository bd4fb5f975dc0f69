//! System 8: crypto custody — an omnibus trading wallet and segregated transfer wallets per
//! client, and the proof of liabilities each client checks ([`liabilities`]).

pub mod liabilities;
