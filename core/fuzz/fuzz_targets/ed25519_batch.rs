//! cargo-fuzz target `ed25519_batch`: see `countersign_core_fuzz::ed25519_batch` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| countersign_core_fuzz::ed25519_batch(data));
