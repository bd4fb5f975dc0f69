//! cargo-fuzz target `dose_frames`: see `countersign_core_fuzz::dose_frames` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| countersign_core_fuzz::dose_frames(data));
