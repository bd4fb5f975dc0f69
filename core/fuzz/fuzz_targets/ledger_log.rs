//! cargo-fuzz target `ledger_log`: see `countersign_core_fuzz::ledger_log` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| countersign_core_fuzz::ledger_log(data));
