#![no_main]
//! `twinnet::fuzz::http_json` under libFuzzer (see fuzz/run.sh).
libfuzzer_sys::fuzz_target!(|data: &[u8]| twinnet::fuzz::http_json(data));
