//! The one error type of `cascade stress`: a bad portfolio or scenario (named by file, line,
//! column and field, as cascade-io and the scenario reader report it), or a simulation failure.

use std::path::PathBuf;

/// Why a stress test could not be run.
#[derive(Debug, thiserror::Error)]
pub enum StressError {
    /// Reading a file or a scenario failed (cascade-io names the file, line and field).
    #[error(transparent)]
    Io(#[from] cascade_io::IoError),
    /// The portfolio file is not a valid portfolio (file:line:column: field: message).
    #[error(transparent)]
    Portfolio(#[from] cascade_sim::scenario::ScenarioError),
    /// The portfolio does not fit a scenario, or the simulation failed.
    #[error("portfolio `{portfolio}` in scenario `{scenario}`: {source}")]
    Sim {
        /// The portfolio's name.
        portfolio: String,
        /// The scenario's library name or file.
        scenario: String,
        /// What failed (a portfolio field named when it does not fit).
        source: Box<cascade_sim::SimError>,
    },
    /// A scenario name that is neither in the library nor a file.
    #[error("unknown scenario `{0}`: not in the library ({1}) and not a .toml file")]
    UnknownScenario(String, String),
    /// The HTML page could not be rendered or written.
    #[error("{}: {message}", path.display())]
    Page {
        /// The page.
        path: PathBuf,
        /// What failed.
        message: String,
    },
}
