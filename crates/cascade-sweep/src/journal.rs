//! The crash-safe journal of a sweep: one JSON line per finished run, appended and synced to
//! disk before the run counts as done.
//!
//! A process killed at any moment leaves whole lines and at most one torn last line (no final
//! newline, or text that is not a whole JSON row); [`Journal::open`] drops that tail and
//! truncates the file to the last whole line, so the run it described is simply run again. A
//! run is never counted twice: rows are keyed by `run_id`, and a second row for an id is refused
//! as corruption.
//!
//! Figures are stored as exact text (decimals as written, floats in Rust's shortest round-trip
//! form), never through a JSON number, so a resumed sweep's tables are bit-identical to an
//! uninterrupted one's.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{SweepError, file_err};
use crate::figures::{FigureDef, Value};

/// One finished run: ids and its figures.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    /// Stable run id (see [`crate::spec`]).
    pub run_id: u64,
    /// Parameter point.
    pub point: u64,
    /// Seed.
    pub seed: u64,
    /// SHA-256 of the scenario text the run used (overrides applied).
    pub scenario_hash: String,
    /// Figures, in the sweep's [`crate::figures::figure_defs`] order.
    pub figures: Vec<Option<Value>>,
}

#[derive(Serialize, Deserialize)]
struct Line {
    run_id: u64,
    point: u64,
    seed: u64,
    scenario_hash: String,
    figures: Vec<Option<String>>,
}

impl RunRow {
    fn to_line(&self) -> String {
        let line = Line {
            run_id: self.run_id,
            point: self.point,
            seed: self.seed,
            scenario_hash: self.scenario_hash.clone(),
            figures: self.figures.iter().map(|v| v.map(Value::text)).collect(),
        };
        let mut s = serde_json::to_string(&line).unwrap_or_default();
        s.push('\n');
        s
    }

    fn from_line(text: &str, defs: &[FigureDef]) -> Result<Self, String> {
        let line: Line = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if line.figures.len() != defs.len() {
            return Err(format!("{} figures, the sweep has {}", line.figures.len(), defs.len()));
        }
        let figures = line
            .figures
            .iter()
            .zip(defs)
            .map(|(v, d)| v.as_deref().map(|s| Value::parse(d.kind, s)).transpose())
            .collect::<Result<_, _>>()?;
        Ok(Self {
            run_id: line.run_id,
            point: line.point,
            seed: line.seed,
            scenario_hash: line.scenario_hash,
            figures,
        })
    }
}

/// An open journal, appending.
#[derive(Debug)]
pub struct Journal {
    file: File,
    path: PathBuf,
}

/// Reads the rows of a journal file (none when it does not exist), dropping a torn last line
/// and, with `repair`, truncating the file to its whole lines.
///
/// # Errors
/// [`SweepError::File`]; [`SweepError::Mismatch`] for a bad line before the last or a run id
/// seen twice.
pub fn read_rows(path: &Path, defs: &[FigureDef], repair: bool) -> Result<BTreeMap<u64, RunRow>, SweepError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => {
            return Err(SweepError::File {
                path: path.to_path_buf(),
                action: "reading the journal",
                source: e,
            });
        }
    };
    let mut rows = BTreeMap::new();
    let mut good = 0usize;
    let mut start = 0usize;
    let corrupt = |problem: String| SweepError::Mismatch { dir: path.to_path_buf(), problem };
    while start < bytes.len() {
        let Some(nl) = bytes[start..].iter().position(|b| *b == b'\n') else { break };
        let end = start + nl;
        let last = end + 1 == bytes.len();
        let parsed = std::str::from_utf8(&bytes[start..end])
            .map_err(|e| e.to_string())
            .and_then(|t| RunRow::from_line(t, defs));
        match parsed {
            Ok(row) => {
                if rows.contains_key(&row.run_id) {
                    return Err(corrupt(format!("run {} is in the journal twice", row.run_id)));
                }
                rows.insert(row.run_id, row);
                good = end + 1;
            }
            // A whole but unreadable last line is a torn write too (e.g. zeros after a crash).
            Err(_) if last => break,
            Err(e) => {
                return Err(corrupt(format!("line {} of the journal is not a run: {e}", rows.len() + 1)));
            }
        }
        start = end + 1;
    }
    if repair && good < bytes.len() {
        let f = OpenOptions::new().write(true).open(path).map_err(file_err(path, "repairing the journal"))?;
        f.set_len(good as u64).map_err(file_err(path, "truncating the journal's torn last line"))?;
        f.sync_all().map_err(file_err(path, "syncing the journal"))?;
    }
    Ok(rows)
}

impl Journal {
    /// Opens (creating) the journal at `path` for appending, after dropping a torn last line;
    /// returns it with the runs already there, by run id.
    ///
    /// # Errors
    /// As [`read_rows`].
    pub fn open(path: &Path, defs: &[FigureDef]) -> Result<(Self, BTreeMap<u64, RunRow>), SweepError> {
        let rows = read_rows(path, defs, true)?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(file_err(path, "opening the journal"))?;
        Ok((Self { file, path: path.to_path_buf() }, rows))
    }

    /// Appends a run's row in one write and syncs it to disk: once this returns, the run is
    /// done for good.
    ///
    /// # Errors
    /// [`SweepError::File`].
    pub fn append(&mut self, row: &RunRow) -> Result<(), SweepError> {
        self.file
            .write_all(row.to_line().as_bytes())
            .map_err(file_err(&self.path, "appending to the journal"))?;
        self.file.sync_data().map_err(file_err(&self.path, "syncing the journal"))
    }
}

/// Writes rows as a fresh journal (merge), atomically.
///
/// # Errors
/// [`SweepError::Io`] naming the file.
pub fn write_rows(path: &Path, rows: &BTreeMap<u64, RunRow>) -> Result<(), SweepError> {
    cascade_io::write_atomic(path, |p, w| {
        for r in rows.values() {
            w.write_all(r.to_line().as_bytes()).map_err(|source| cascade_io::IoError::File {
                path: p.to_path_buf(),
                action: "writing",
                source,
            })?;
        }
        Ok(())
    })?;
    Ok(())
}
