#![no_main]
//! `twinnet::fuzz::tfjs` under libFuzzer (see fuzz/run.sh).
libfuzzer_sys::fuzz_target!(|data: &[u8]| twinnet::fuzz::tfjs(data));
