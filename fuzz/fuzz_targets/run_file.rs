#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| asgard::fuzz::run_file(data));
