//! cargo-fuzz target `custody_liabilities_proof`: see `countersign_core_fuzz::custody_liabilities_proof` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| countersign_core_fuzz::custody_liabilities_proof(data));
