#![no_main]
//! `twinnet::fuzz::gallery_file` under libFuzzer (see fuzz/run.sh).
libfuzzer_sys::fuzz_target!(|data: &[u8]| twinnet::fuzz::gallery_file(data));
