//! `cascade calc` on arbitrary text: the input model (serde derive, exact decimals, duplicate
//! keys refused) and the computation must return `Ok` or an error, never panic; an output
//! serialises.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(out) = cascade_io::calc::calc(text) {
        let _ = serde_json::to_string(&out).expect("an output serialises");
    }
});
