//! # cascade-io
//!
//! Cascade's files: scenario files in, with the Binance kline files their assets' `path` names
//! ([`klines`]); the tables of a run (time series, liquidations, ADL) out
//! as CSV and Parquet, and its summary as JSON; a run directory read back ([`read_run`]); and
//! the files of a policy comparison ([`compare`]); and Binance websocket events as JSON lines
//! ([`stream`]: read for `cascade watch`, written from a simulated run).
//!
//! No simulation logic lives here: the simulator hands over plain rows
//! ([`cascade_sim::metrics`]) and this crate only lays them out. Every file is written to a
//! temporary name in the same directory and renamed into place once complete, so a failure part
//! way leaves every earlier file intact and never a half-written one under the real name.
//! Outputs are deterministic: the same rows give byte-identical files.
//!
//! The margin calculator's input format lives here too ([`calc`]): it reads a JSON document
//! exactly and hands the numbers to the engine's margin module, so every front end (the
//! `cascade calc` command, bindings) calls the same [`calc::calc`].

pub mod calc;
mod cell_format;
pub mod compare;
pub mod error;
pub mod exchange;
pub mod files;
pub mod klines;
pub mod read;
pub mod replay;
pub mod run_dir;
pub mod stream;
pub mod table;
pub mod tag;
pub mod utc;
pub mod write;

pub use compare::{CompareRow, CompareSummaryRow, write_comparison, write_json};
pub use error::IoError;
pub use files::{
    read_scenario, read_scenario_text, read_scenario_with_policy, read_text, utf8_text, write_atomic,
};
pub use klines::{Kline, read_kline_path, read_klines};
pub use read::{ReadTable, read_csv, read_run, read_summary_json};
pub use run_dir::{Manifest, ManifestEntry, check_run_dir_target, verify_manifest};
pub use table::{Cell, Column, ColumnType, Table};
pub use tag::RunTag;
pub use utc::utc_text;
pub use write::{
    RunFiles, record_batches, record_batches_tagged, write_csv, write_csv_tagged, write_parquet,
    write_parquet_tagged, write_replay_run, write_run, write_run_as, write_run_with, write_summary_json,
};
