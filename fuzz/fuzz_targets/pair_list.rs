#![no_main]
//! `twinnet::fuzz::pair_list` under libFuzzer (see fuzz/run.sh).
libfuzzer_sys::fuzz_target!(|data: &[u8]| twinnet::fuzz::pair_list(data));
