//! Errors of cascade-io; every one names the file it concerns.

use std::path::PathBuf;

/// Why reading or writing a file failed.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    /// The operating system refused (open, write, rename, create directory…).
    #[error("{}: {action}: {source}", path.display())]
    File {
        /// The file or directory.
        path: PathBuf,
        /// What was being done, e.g. `creating the temporary file`.
        action: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// The CSV encoder failed.
    #[error("{}: writing CSV: {source}", path.display())]
    Csv {
        /// The file.
        path: PathBuf,
        /// The encoder's error.
        source: csv::Error,
    },
    /// Building the Arrow columns failed.
    #[error("{}: building Arrow columns: {source}", path.display())]
    Arrow {
        /// The file.
        path: PathBuf,
        /// Arrow's error.
        source: arrow_schema::ArrowError,
    },
    /// The Parquet encoder failed.
    #[error("{}: writing Parquet: {source}", path.display())]
    Parquet {
        /// The file.
        path: PathBuf,
        /// Parquet's error.
        source: parquet::errors::ParquetError,
    },
    /// The JSON encoder failed.
    #[error("{}: writing JSON: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// serde_json's error.
        source: serde_json::Error,
    },
    /// A file that should be there is not.
    #[error("{}: missing {}", path.display(), missing_hint(what))]
    Missing {
        /// The file or directory.
        path: PathBuf,
        /// What it is: `run directory`, `table` or `summary`.
        what: &'static str,
    },
    /// A CSV header lacks a column (or the file is empty).
    #[error("{}: bad header: {message}", path.display())]
    Header {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A CSV cell (or record) was refused.
    #[error("{}: row {row} (line {line}), field `{field}`: {message}", path.display())]
    Cell {
        /// The file.
        path: PathBuf,
        /// Data row, 1-based, the header not counted.
        row: u64,
        /// Line in the file, 1-based.
        line: u64,
        /// Column name (`-` when the whole record is at fault).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A JSON file could not be read back; serde_json's message gives line and column.
    #[error("{}: malformed JSON: {source}", path.display())]
    JsonRead {
        /// The file.
        path: PathBuf,
        /// serde_json's error.
        source: serde_json::Error,
    },
    /// A file of a run directory does not match the run's manifest (changed, cut, or from
    /// another run), or the manifest itself is unreadable.
    #[error("{}: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What does not match.
        reason: String,
    },
    /// A file a scenario field names (e.g. `assets[0].path`) is missing or bad.
    #[error("{}: `{field}` = \"{value}\": {problem}", scenario.display())]
    Input {
        /// The scenario file.
        scenario: PathBuf,
        /// The field naming the file, e.g. `assets[0].path`.
        field: String,
        /// The field's value, as written.
        value: String,
        /// What went wrong with the file (names it, and for a bad cell its row and column).
        problem: Box<IoError>,
    },
    /// A scenario file was read but refused; the error names the file, line, column and field.
    #[error(transparent)]
    Scenario(#[from] cascade_sim::scenario::ScenarioError),
}

/// The explanation shown after "missing" for each kind of absent file.
fn missing_hint(what: &str) -> String {
    match what {
        "summary" => "summary (summary.json is written last: the run did not finish, or the directory \
                      is not a run directory)"
            .to_string(),
        "table" => {
            "table (a run directory holds series.csv, liquidations.csv, adl.csv and summary.json)".to_string()
        }
        "manifest" => "manifest (manifest.json is written last: the run did not finish, or an older \
                       version wrote it)"
            .to_string(),
        other => other.to_string(),
    }
}
