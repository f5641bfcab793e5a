//! # cascade-watch
//!
//! Live cascade-risk monitoring as a pure state machine: stream events in (Binance USD-M
//! `forceOrder`, `aggTrade`, `markPriceUpdate`, as [`StreamEvent`]s), per-symbol indicator
//! snapshots, alerts and data-quality warnings out ([`Output`]).
//!
//! No I/O and no clock: time is the events' own timestamps, so a file replayed twice gives the
//! same outputs in the same order (per-symbol state sits in a `BTreeMap`). cascade-io parses
//! the JSON lines into events; the `cascade watch` command reads files, follows them and draws
//! the dashboard.
//!
//! What the indicators are and how the risk level is decided: [`Indicators`] and [`level`].
//! How out-of-order, duplicate and missing data are handled: [`Watcher`].

pub mod clusters;
pub mod config;
mod dedupe;
pub mod event;
pub mod indicators;
pub mod level;
pub mod output;
pub mod watcher;
mod window;

pub use clusters::{Cluster, ClusterDistance, Clusters};
pub use config::{ConfigError, WatchConfig};
pub use event::{AggTrade, ForceOrder, MarkPrice, Side, StreamEvent};
pub use indicators::Indicators;
pub use level::RiskLevel;
pub use output::{Alert, AlertKind, Counts, Output, Warning};
pub use watcher::Watcher;
