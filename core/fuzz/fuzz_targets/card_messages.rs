//! cargo-fuzz target `card_messages`: see `countersign_core_fuzz::card_messages` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| countersign_core_fuzz::card_messages(data));
