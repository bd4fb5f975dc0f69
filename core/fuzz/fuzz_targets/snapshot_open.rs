//! cargo-fuzz target `snapshot_open`: see `countersign_core_fuzz::snapshot_open` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| countersign_core_fuzz::snapshot_open(data));
