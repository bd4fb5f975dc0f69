//! cargo-fuzz target `energy_server_restore`: see `countersign_core_fuzz::energy_server_restore` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| countersign_core_fuzz::energy_server_restore(data));
