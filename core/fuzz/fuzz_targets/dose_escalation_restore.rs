//! cargo-fuzz target `dose_escalation_restore`: see `countersign_core_fuzz::dose_escalation_restore` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| countersign_core_fuzz::dose_escalation_restore(data));
