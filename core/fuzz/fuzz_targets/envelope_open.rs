//! cargo-fuzz target `envelope_open`: see `countersign_core_fuzz::envelope_open` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| countersign_core_fuzz::envelope_open(data));
