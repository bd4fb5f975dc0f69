//! cargo-fuzz target `ecash_sync`: see `countersign_core_fuzz::ecash_sync` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| countersign_core_fuzz::ecash_sync(data));
