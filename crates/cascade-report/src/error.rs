//! Errors of cascade-report; each names the file, chart, row or field it concerns.

use std::path::PathBuf;

/// Why a report or liquidation map could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Reading a run directory or writing an output file failed (the error names the file,
    /// and for a bad cell its row and column).
    #[error(transparent)]
    Io(#[from] cascade_io::IoError),
    /// Drawing a chart failed.
    #[error("chart `{chart}`: {message}")]
    Chart {
        /// The chart's id (its file stem).
        chart: String,
        /// What went wrong.
        message: String,
    },
    /// The HTML template failed to render.
    #[error("{}: rendering the HTML page: {source}", path.display())]
    Template {
        /// The page being written.
        path: PathBuf,
        /// askama's error.
        source: askama::Error,
    },
    /// A comparison was asked for without any run.
    #[error("no run directory given")]
    NoRuns,
    /// A positions file (liquidation map input) was refused at a row.
    #[error("{}: row {row} (line {line}), field `{field}`: {message}", path.display())]
    Position {
        /// The file (`<memory>` for positions passed in memory).
        path: PathBuf,
        /// Data row, 1-based, the header not counted (position index + 1 in memory).
        row: u64,
        /// Line in the file, 1-based (0 in memory).
        line: u64,
        /// The field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// An option is out of range.
    #[error("--{option}: {message}")]
    InvalidOption {
        /// The option's name.
        option: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A positions file is unusable as a whole (empty, missing columns).
    #[error("{}: {message}", path.display())]
    Positions {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An input of the estimated liquidation map (open interest, prices) was refused.
    #[error("{}: {message}", path.display())]
    OpenInterest {
        /// The metrics file.
        path: PathBuf,
        /// What is wrong (with the row and field when one is at fault).
        message: String,
    },
}
