//! The `cascade liqmap` positions reader and the map built from it, on arbitrary bytes written
//! to a file: `Ok` or an error, never a panic.
#![no_main]

use std::io::Write;

use cascade_report::liqmap::{LiqMapOptions, build_from_file};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
    file.write_all(data).expect("writing the temporary file");
    let _ = build_from_file(file.path(), &LiqMapOptions::default());
});
