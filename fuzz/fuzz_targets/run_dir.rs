//! The run-directory reader and manifest verifier on arbitrary bytes: the input is cut at
//! `\n--8<--\n` into the files of a run (series.csv, liquidations.csv, adl.csv, summary.json,
//! manifest.json); a missing piece leaves the file out. When the first byte is odd the manifest
//! is replaced by a correct one for the files as written, so the checks behind the hashes (seed
//! and scenario cross-check) are reached too. `Ok` or an error, never a panic.
#![no_main]

use cascade_io::run_dir::sha256_hex;
use cascade_io::{Manifest, ManifestEntry, read_run, verify_manifest};
use libfuzzer_sys::fuzz_target;

const FILES: [&str; 5] = ["series.csv", "liquidations.csv", "adl.csv", "summary.json", "manifest.json"];
const CUT: &[u8] = b"\n--8<--\n";

fn pieces(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while out.len() < FILES.len() - 1 {
        match rest.windows(CUT.len()).position(|w| w == CUT) {
            Some(i) => {
                out.push(&rest[..i]);
                rest = &rest[i + CUT.len()..];
            }
            None => break,
        }
    }
    out.push(rest);
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, body)) = data.split_first() else { return };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let parts = pieces(body);
    for (name, bytes) in FILES.iter().zip(&parts) {
        std::fs::write(dir.path().join(name), bytes).expect("writing a run file");
    }
    if flags & 1 == 1 {
        let files = FILES[..4]
            .iter()
            .zip(&parts)
            .map(|(name, bytes)| ManifestEntry {
                name: (*name).to_string(),
                bytes: bytes.len() as u64,
                sha256: sha256_hex(bytes),
                rows: None,
            })
            .collect();
        // Seed and scenario from the flags byte: sometimes they match a summary, mostly not.
        let manifest = Manifest {
            program_version: "fuzz".into(),
            scenario: if flags & 2 == 2 { "default".into() } else { String::new() },
            seed: u64::from(flags >> 2),
            scenario_sha256: None,
            files,
        };
        let text = serde_json::to_vec_pretty(&manifest).expect("a manifest serialises");
        std::fs::write(dir.path().join("manifest.json"), text).expect("writing the manifest");
    }
    let _ = verify_manifest(dir.path());
    let _ = read_run(dir.path());
});
