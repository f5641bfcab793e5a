//! The scenario loader (TOML parse, schema, every validation rule) on arbitrary text: it must
//! return `Ok` or `Err`, never panic, and an error must name where it is.
#![no_main]

use cascade_sim::scenario::Scenario;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(e) = Scenario::from_toml(text, "fuzz.toml") {
        // Every problem carries a path (a field) or a location; an empty message is a bug.
        for p in e.problems() {
            assert!(!p.message.is_empty(), "an empty error message: {e}");
        }
    }
});
