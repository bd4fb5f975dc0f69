//! cargo-fuzz target `custody_book_restore`: see `countersign_core_fuzz::custody_book_restore` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| countersign_core_fuzz::custody_book_restore(data));
