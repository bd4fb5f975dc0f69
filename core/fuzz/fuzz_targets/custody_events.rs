//! cargo-fuzz target `custody_events`: see `countersign_core_fuzz::custody_events` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| countersign_core_fuzz::custody_events(data));
