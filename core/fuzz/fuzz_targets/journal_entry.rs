//! cargo-fuzz target `journal_entry`: see `countersign_core_fuzz::journal_entry` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| countersign_core_fuzz::journal_entry(data));
