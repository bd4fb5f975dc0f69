//! cargo-fuzz target `shelf_restore`: see `countersign_core_fuzz::shelf_restore` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| countersign_core_fuzz::shelf_restore(data));
