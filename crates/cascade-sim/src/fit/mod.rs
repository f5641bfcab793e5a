//! Calibration arithmetic: the figures a run is held against published numbers with, the
//! objective that scores a set of seeded runs against target bands, the price-path distance to
//! real minute closes, and the write-back of parameter values into a scenario's TOML text.
//!
//! Pure: no files, no clock, no randomness, no threads. The `cascade calibrate` driver (in the
//! CLI) reads the files, runs the seeds and the optimizer, and hands the recordings here.
//!
//! - [`figures`]: one number per named [`Figure`] from a [`crate::metrics::Recording`].
//! - [`objective`]: bands, the distance to a band, median and quantiles over seeds, the objective.
//! - [`path`]: simulated and real minute closes, relative-price RMSE.
//! - [`drops`]: published per-market drops against the simulated ones, RMSE.
//! - [`params`]: free parameters (bounds, integer, log scale), paths into the scenario document.

pub mod drops;
pub mod figures;
pub mod objective;
pub mod params;
pub mod path;

pub use drops::{PublishedDrop, drops_rmse_pp, market_drop_pct};
pub use figures::{Figure, FigureValues, ReferenceMarket, compute_figures};
pub use objective::{Band, Objective, SeedDistance, Target, median, objective, quantile};
pub use params::{Param, ParamError, ScenarioDoc};
pub use path::{PriceField, minute_path, path_rmse_pct, real_minute_closes};
