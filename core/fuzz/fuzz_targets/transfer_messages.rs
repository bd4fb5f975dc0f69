//! cargo-fuzz target `transfer_messages`: see `countersign_core_fuzz::transfer_messages` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| countersign_core_fuzz::transfer_messages(data));
