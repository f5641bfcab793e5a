//! Why a sweep (or an override) was refused: one enum, every variant naming what to fix.

use std::path::PathBuf;

/// Every way a sweep, a merge or a `--set` can fail. Messages name the file, the `--set`
/// argument or the sweep field concerned, so the user knows what to change.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// A `--set KEY=VALUE` (or a sweep parameter value) could not be applied or made the
    /// scenario invalid.
    #[error("--set `{arg}`: {problem}")]
    Override {
        /// The argument as given (`KEY=VALUE`).
        arg: String,
        /// What is wrong: the path, the type, or the scenario's own validation message.
        problem: String,
    },
    /// The scenario (before any override) is invalid or cannot be read.
    #[error("{0}")]
    Scenario(String),
    /// The sweep file does not parse or does not fit the schema.
    #[error("{origin}: {message}")]
    Spec {
        /// The sweep file (or label).
        origin: String,
        /// `line:column: field: message`, or a message naming the field.
        message: String,
    },
    /// A run of the sweep failed in the simulator.
    #[error("run {run_id} (point {point}, seed {seed}): {message}")]
    Run {
        /// Stable run id.
        run_id: u64,
        /// Parameter point.
        point: u64,
        /// Seed.
        seed: u64,
        /// The simulator's error.
        message: String,
    },
    /// The output directory holds another sweep, another shard, or inconsistent shards.
    #[error("{dir}: {problem}")]
    Mismatch {
        /// The directory concerned.
        dir: PathBuf,
        /// What does not fit.
        problem: String,
    },
    /// Reading or writing a file failed.
    #[error("{action} {}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// A cascade-io writer or reader failed.
    #[error(transparent)]
    Io(#[from] cascade_io::IoError),
    /// The report failed to render.
    #[error(transparent)]
    Report(#[from] cascade_report::ReportError),
    /// Arrow or Parquet refused a table.
    #[error("writing {}: {message}", path.display())]
    Table {
        /// The table file.
        path: PathBuf,
        /// The library's message.
        message: String,
    },
    /// A bad option (`--shard 3/2`, zero threads…).
    #[error("{0}")]
    Option(String),
}

/// Shorthand for a file error.
pub(crate) fn file_err(
    path: &std::path::Path,
    action: &'static str,
) -> impl FnOnce(std::io::Error) -> SweepError {
    let path = path.to_path_buf();
    move |source| SweepError::File { path, action, source }
}
