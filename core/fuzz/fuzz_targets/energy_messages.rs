//! cargo-fuzz target `energy_messages`: see `countersign_core_fuzz::energy_messages` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| countersign_core_fuzz::energy_messages(data));
