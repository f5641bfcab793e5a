//! The corpus of minimal hostile inputs (`tests/corpus/`, issue 16): every file is run through
//! the command its entry in `EXPECTED.toml` names, and must end with the exit code given and an
//! error naming what it lists — never a panic, never a hang (each run is bounded by the corpus
//! staying small, and a hang fails the test run's own timeout).

use std::path::PathBuf;
use std::process::Command;

use serde::Deserialize;

#[derive(Deserialize)]
struct Expected {
    case: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    file: String,
    command: String,
    args: Vec<String>,
    exit: i32,
    contains: Vec<String>,
}

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus")
}

#[test]
fn every_corpus_input_gets_its_expected_outcome() {
    let dir = corpus();
    let expected: Expected =
        toml::from_str(&std::fs::read_to_string(dir.join("EXPECTED.toml")).unwrap()).unwrap();
    // Every file of the corpus has an entry, so a new input cannot be forgotten.
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "EXPECTED.toml")
        .collect();
    files.sort();
    let mut listed: Vec<String> = expected.case.iter().map(|c| c.file.clone()).collect();
    listed.sort();
    assert_eq!(files, listed, "corpus files vs EXPECTED.toml entries");
    for c in &expected.case {
        let tmp = tempfile::tempdir().unwrap();
        let out_dir = tmp.path().join("out");
        let args: Vec<String> = c
            .args
            .iter()
            .map(|a| match a.as_str() {
                "FILE" => c.file.clone(),
                "OUT" => out_dir.display().to_string(),
                other => other.to_string(),
            })
            .collect();
        let out = Command::new(env!("CARGO_BIN_EXE_cascade"))
            .current_dir(&dir)
            .arg(&c.command)
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(c.exit), "{}: {err}", c.file);
        assert!(!err.contains("panicked"), "{}: {err}", c.file);
        for s in &c.contains {
            assert!(err.contains(s.as_str()), "{}: `{s}` not in: {err}", c.file);
        }
    }
}
