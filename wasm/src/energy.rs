//! wasm-bindgen adapter for the energy system: conversions only (see lib.rs).
