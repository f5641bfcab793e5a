//! Readers of real exchange data: Binance's public-data archives, Bybit's kline and trading
//! files, Hyperliquid's node fills. Each dataset is a streaming iterator of typed rows (exact
//! decimals, Unix-millisecond UTC times): one record in memory at a time, plain, zipped or
//! gzipped files read as streams ([`source`]), the header line recognised when present
//! ([`csv_rows`]), every bad cell refused with the file, row, line and column.
//!
//! ```no_run
//! use cascade_io::exchange::{DataFile, Rows, binance::agg_trades::AggTrade};
//! let mut file = DataFile::open("BTCUSDT-aggTrades-2025-10-10.zip".as_ref())?;
//! for trade in Rows::<AggTrade>::new(&mut file)? {
//!     let trade = trade?;
//!     println!("{} {} {}", trade.transact_time, trade.price, trade.quantity);
//! }
//! # Ok::<(), cascade_io::IoError>(())
//! ```
//!
//! [`inspect()`] reads any of them whole (format given or detected, [`format`]) into the
//! figures `cascade data inspect` prints, optionally writing the rows as normalised CSV.
//! No simulation logic lives here.

pub mod binance;
pub mod bybit;
pub mod cells;
pub mod csv_rows;
pub mod format;
pub mod hyperliquid;
pub mod inspect;
pub mod source;
pub mod summary;

pub use csv_rows::{Record, Rows};
pub use format::Format;
pub use inspect::{Inspection, inspect};
pub use source::{DataFile, Wrapping};
