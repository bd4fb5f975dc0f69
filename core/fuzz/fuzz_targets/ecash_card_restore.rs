//! cargo-fuzz target `ecash_card_restore`: see `countersign_core_fuzz::ecash_card_restore` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| countersign_core_fuzz::ecash_card_restore(data));
