//! Input mutation in every test run (issue 16): the valid inputs — scenarios, calc examples,
//! the liqmap positions file — mutated by proptest (byte flips, truncation, lines duplicated,
//! deleted or swapped, numbers replaced by extremes, keys renamed) and fed to the loaders the
//! commands use. Each must return `Ok`, or an error that says where: a scenario problem with a
//! field path or a line, a calc error with a JSON path or a line and column, a liqmap error
//! with a row and field or about the header. A panic fails the test (proptest reports it with
//! the shrunk input). The long form of this is `scripts/mutate_inputs.py` on the release binary.

use std::io::Write;

use cascade_report::ReportError;
use cascade_report::liqmap::{LiqMapOptions, build_from_file};
use cascade_sim::scenario::Scenario;
use proptest::prelude::*;

const SCENARIOS: [&str; 2] = [
    include_str!("../../../tests/corpus/scenario-valid.toml"),
    include_str!("../../../scenarios/default.toml"),
];
const CALCS: [&str; 7] = [
    include_str!("../../../examples/calc/bin-3-isolated.json"),
    include_str!("../../../examples/calc/bin-4-isolated-brackets.json"),
    include_str!("../../../examples/calc/bmx-inverse-isolated.json"),
    include_str!("../../../examples/calc/byb-1-isolated.json"),
    include_str!("../../../examples/calc/byb-4-inverse-fee.json"),
    include_str!("../../../examples/calc/cross-binance.json"),
    include_str!("../../../examples/calc/hl-2-isolated.json"),
];
const POSITIONS: &str = include_str!("../../../examples/liqmap/positions.csv");

/// Numbers a mutation puts in place of one in the file: the edges every range check must hold.
const EXTREMES: [&str; 14] = [
    "0",
    "-1",
    "1e30",
    "65535",
    "4294967295",
    "18446744073709551616",
    "NaN",
    "inf",
    "-0.0",
    "0.000000000000000000000000000001",
    "99999999999999999999999999999999999999",
    "1.5",
    "\"\"",
    "",
];

/// One edit of the text.
#[derive(Debug, Clone)]
enum Mutation {
    FlipByte { at: usize, xor: u8 },
    Truncate { at: usize },
    DuplicateLine { line: usize },
    DeleteLine { line: usize },
    SwapLines { a: usize, b: usize },
    ReplaceNumber { nth: usize, with: usize },
    RenameKey { nth: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let n = 0..100_000usize;
    prop_oneof![
        1 => (n.clone(), 1..=255u8).prop_map(|(at, xor)| Mutation::FlipByte { at, xor }),
        1 => n.clone().prop_map(|at| Mutation::Truncate { at }),
        1 => n.clone().prop_map(|line| Mutation::DuplicateLine { line }),
        1 => n.clone().prop_map(|line| Mutation::DeleteLine { line }),
        1 => (n.clone(), n.clone()).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
        // Numbers and keys most often: they reach the range checks and the schema.
        3 => (n.clone(), 0..EXTREMES.len()).prop_map(|(nth, with)| Mutation::ReplaceNumber { nth, with }),
        2 => n.prop_map(|nth| Mutation::RenameKey { nth }),
    ]
}

/// Byte ranges of the numbers in `text` (a digit run with its sign, point and exponent).
fn numbers(text: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if text[i].is_ascii_digit() && (i == 0 || !text[i - 1].is_ascii_alphanumeric() && text[i - 1] != b'_')
        {
            let start = if i > 0 && text[i - 1] == b'-' { i - 1 } else { i };
            let mut j = i;
            while j < text.len() && (text[j].is_ascii_digit() || matches!(text[j], b'.' | b'e' | b'E' | b'_'))
            {
                j += 1;
            }
            out.push((start, j));
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// End positions of the keys in `text`: an identifier followed by `=` (TOML), `":` (JSON) or
/// a comma / line end on the CSV header line.
fn keys(text: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    for (i, w) in text.windows(2).enumerate() {
        let ident = w[0].is_ascii_alphanumeric() || w[0] == b'_';
        let after = &text[i + 1..];
        let trimmed = after.iter().position(|&c| c != b' ').map_or(after, |k| &after[k..]);
        let toml_or_json = trimmed.first() == Some(&b'=') || trimmed.starts_with(b"\":");
        if ident && toml_or_json {
            out.push(i + 1);
        }
    }
    out
}

fn apply(text: &str, muts: &[Mutation]) -> Vec<u8> {
    let mut b = text.as_bytes().to_vec();
    for m in muts {
        let lines = |b: &[u8]| -> Vec<Vec<u8>> { b.split(|&c| c == b'\n').map(<[u8]>::to_vec).collect() };
        match *m {
            Mutation::FlipByte { at, xor } if !b.is_empty() => {
                let at = at % b.len();
                b[at] ^= xor;
            }
            Mutation::Truncate { at } => b.truncate(at % (b.len() + 1)),
            Mutation::DuplicateLine { line } => {
                let mut l = lines(&b);
                let k = line % l.len();
                l.insert(k, l[k].clone());
                b = l.join(&b'\n');
            }
            Mutation::DeleteLine { line } => {
                let mut l = lines(&b);
                l.remove(line % l.len());
                b = l.join(&b'\n');
            }
            Mutation::SwapLines { a, b: c } => {
                let mut l = lines(&b);
                let n = l.len();
                l.swap(a % n, c % n);
                b = l.join(&b'\n');
            }
            Mutation::ReplaceNumber { nth, with } => {
                let found = numbers(&b);
                if !found.is_empty() {
                    let (s, e) = found[nth % found.len()];
                    b.splice(s..e, EXTREMES[with].bytes());
                }
            }
            Mutation::RenameKey { nth } => {
                let found = keys(&b);
                if found.is_empty() {
                    // The CSV header (the first line that is not a comment): rename one cell.
                    let mut start = 0;
                    while b[start..].starts_with(b"#") {
                        match b[start..].iter().position(|&c| c == b'\n') {
                            Some(k) => start += k + 1,
                            None => break,
                        }
                    }
                    let end = b[start..].iter().position(|&c| c == b'\n').map_or(b.len(), |k| start + k);
                    let mut ends: Vec<usize> = (start..end).filter(|&k| b[k] == b',').collect();
                    ends.push(end);
                    b.insert(ends[nth % ends.len()], b'x');
                } else {
                    b.insert(found[nth % found.len()], b'x');
                }
            }
            Mutation::FlipByte { .. } => {}
        }
    }
    b
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec(mutation(), 1..=3)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_scenarios_load_or_say_where(which in 0..SCENARIOS.len(), muts in mutations()) {
        let bytes = apply(SCENARIOS[which], &muts);
        // Non-UTF-8 is refused by the file reader (with its position) before the loader.
        if let Ok(text) = std::str::from_utf8(&bytes) {
            if let Err(e) = Scenario::from_toml(text, "mutated.toml") {
                for p in e.problems() {
                    prop_assert!(
                        !p.path.is_empty() || p.location.is_some(),
                        "a problem with neither field nor line: {e}\n--- input\n{text}"
                    );
                }
            }
        }
    }

    #[test]
    fn mutated_calc_documents_compute_or_name_the_field(which in 0..CALCS.len(), muts in mutations()) {
        let bytes = apply(CALCS[which], &muts);
        if let Ok(text) = std::str::from_utf8(&bytes) {
            if let Err(e) = cascade_io::calc::calc(text) {
                let says_where = !e.path.is_empty()
                    || (e.message.contains("line ") && e.message.contains("column "))
                    || e.message.contains("levels deep");
                prop_assert!(says_where, "no field and no position: {e}\n--- input\n{text}");
            }
        }
    }

    #[test]
    fn mutated_positions_files_map_or_name_the_row(muts in mutations()) {
        let bytes = apply(POSITIONS, &muts);
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(&bytes).unwrap();
        match build_from_file(file.path(), &LiqMapOptions::default()) {
            Ok(_) => {}
            Err(ReportError::Position { row, field, .. }) => {
                prop_assert!(row > 0 && !field.is_empty());
            }
            // Header problems and an empty file concern the file as a whole.
            Err(ReportError::Positions { message, .. }) => prop_assert!(!message.is_empty()),
            Err(other) => prop_assert!(false, "unexpected error kind: {other}"),
        }
    }
}

/// The mutator itself: each edit does what its name says on a small text.
#[test]
fn the_mutations_edit_what_they_say() {
    let t = "a = 12\nb = -3.5\n";
    assert_eq!(numbers(t.as_bytes()), vec![(4, 6), (11, 15)]);
    assert_eq!(apply(t, &[Mutation::ReplaceNumber { nth: 1, with: 2 }]), b"a = 12\nb = 1e30\n");
    assert_eq!(apply(t, &[Mutation::RenameKey { nth: 0 }]), b"ax = 12\nb = -3.5\n");
    assert_eq!(apply(t, &[Mutation::DeleteLine { line: 0 }]), b"b = -3.5\n");
    assert_eq!(apply(t, &[Mutation::DuplicateLine { line: 1 }]), b"a = 12\nb = -3.5\nb = -3.5\n");
    assert_eq!(apply(t, &[Mutation::Truncate { at: 3 }]), b"a =");
    assert_eq!(apply(r#"{"k": 1}"#, &[Mutation::RenameKey { nth: 0 }]), br#"{"kx": 1}"#);
    assert_eq!(apply("v,s\n1,2", &[Mutation::RenameKey { nth: 0 }]), b"vx,s\n1,2");
    assert_eq!(apply("# c, d\nv,s\n1,2", &[Mutation::RenameKey { nth: 2 }]), b"# c, d\nvx,s\n1,2");
    assert_eq!(apply("# c, d\nv,s\n1,2", &[Mutation::RenameKey { nth: 1 }]), b"# c, d\nv,sx\n1,2");
}
