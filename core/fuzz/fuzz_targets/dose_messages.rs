//! cargo-fuzz target `dose_messages`: see `countersign_core_fuzz::dose_messages` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| countersign_core_fuzz::dose_messages(data));
