//! wasm-bindgen adapter for the tempcard system: conversions only (see lib.rs).
