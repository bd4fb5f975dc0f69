//! cargo-fuzz target `relay_token`: see `countersign_core_fuzz::relay_token` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| countersign_core_fuzz::relay_token(data));
