//! cargo-fuzz target `tzif`: see `countersign_core_fuzz::tzif` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| countersign_core_fuzz::tzif(data));
