#![no_main]
//! `twinnet::fuzz::text_pairs` under libFuzzer (see fuzz/run.sh).
libfuzzer_sys::fuzz_target!(|data: &[u8]| twinnet::fuzz::text_pairs(data));
