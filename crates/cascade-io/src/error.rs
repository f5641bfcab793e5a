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
    /// A scenario file was read but refused; the error names the file, line, column and field.
    #[error(transparent)]
    Scenario(#[from] cascade_sim::scenario::ScenarioError),
}
