//! # cascade-sweep
//!
//! Monte Carlo sweeps over Cascade scenarios: distributions, not single runs.
//!
//! - [`overrides`]: `--set KEY=VALUE` on any scenario key by its TOML path, validated like the
//!   file.
//! - [`spec`]: sweep files (a base scenario, grid and sampled parameters, seeds) and the
//!   deterministic plan they give, each run with a stable `run_id`.
//! - [`runner`]: [`run_sweep`], parallel (rayon), journaled after every run so a killed sweep
//!   resumes where it stopped, shardable (`run_id mod n`), writing `runs.parquet` as runs
//!   finish.
//! - [`merge()`]: shard directories joined into the tables of one unsharded sweep.
//! - [`aggregate()`]: per point mean, median, p5/p95, VaR and expected shortfall, P(fund
//!   exhausted), P(ADL), amplification; [`report`] draws them.
//!
//! The simulator stays free of I/O: this crate reads and writes, cascade-sim runs.

#![warn(missing_docs)]

pub mod aggregate;
pub mod error;
pub mod figures;
pub mod journal;
pub mod merge;
pub mod output;
pub mod overrides;
pub mod report;
pub mod runner;
pub mod spec;
pub mod table;

pub use aggregate::{Aggregates, Dist, PointAggregate, Risk, aggregate, expected_shortfall, value_at_risk};
pub use error::SweepError;
pub use merge::merge;
pub use output::SweepFiles;
pub use overrides::{Set, apply, apply_and_read, parse_set};
pub use runner::{SweepOptions, SweepOutcome, SweepProgress, parse_shard, run_one, run_sweep};
pub use spec::{ParamKind, ParamValue, Parameter, PlannedRun, Point, Sampling, SweepSpec};
