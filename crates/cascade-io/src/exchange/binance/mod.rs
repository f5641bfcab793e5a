//! Binance public-data archives (data.binance.vision; layouts in the binance/binance-public-data
//! README): one file per dataset, each a [`crate::exchange::csv_rows::Record`] streamed by
//! [`crate::exchange::csv_rows::Rows`].

pub mod agg_trades;
pub mod book_depth;
pub mod book_ticker;
pub mod funding_rate;
pub mod klines;
pub mod liquidation_snapshot;
pub mod metrics;
pub mod trades;
