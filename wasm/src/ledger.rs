//! wasm-bindgen adapter for the ledger system: conversions only (see lib.rs).
