//! # cascade-stress
//!
//! "What happens to my book": a portfolio (accounts on several venues with their positions,
//! stops and collateral, off-exchange holdings, transfer routes) is put into the simulated venues
//! of each scenario of a library, where the real engines liquidate and auto-deleverage it like
//! any other account; the report gives, per scenario and leg, when and at what prices it was
//! liquidated or ADL'd, its place in the ADL queue over time, the losses, and the extra margin
//! or transfer (with its latest send time) that survives, solved by re-running the scenario.
//!
//! Layers: the portfolio schema lives with the scenario schema (`cascade_sim::scenario::
//! Portfolio`) and the insertion in the simulator (`World::insert_portfolio`); files are read
//! through cascade-io; this crate runs and solves ([`run`], [`solve`]), gathers the
//! [`StressReport`] and renders it as text and HTML ([`page`]). The CLI only parses arguments.

pub mod error;
pub mod library;
pub mod page;
pub mod report;
pub mod run;
pub mod solve;

pub use error::StressError;
pub use library::{LIBRARY, LibraryEntry, default_names};
pub use report::{ScenarioResult, StressOptions, StressReport, stress};
