//! A venue's margin calculator (`cascade calc`, and any other front end): liquidation and
//! bankruptcy prices, maintenance and initial margin, equity and margin ratio of positions
//! read as JSON, computed by `cascade_engine::margin`.
//!
//! The input is read by serde derive (`input.rs`): unknown fields, keys given twice and wrong
//! types are refused with the JSON path of the field (`positions[1].side`), JSON syntax errors
//! with their line and column, and numbers are read exactly from their decimal text (JSON
//! strings or JSON numbers, through `RawValue`, never an `f64`). Nothing here panics on input.
//!
//! Input (`mode` is `isolated` or `cross`):
//!
//! ```json
//! {"venue": "binance", "mode": "cross", "wallet_balance": "10000",
//!  "positions": [
//!    {"symbol": "ETHUSDT", "side": "long", "size": "20", "entry_price": "4000",
//!     "mark_price": "3900", "mmr": "0.005", "maintenance_amount": "0"},
//!    {"symbol": "BTCUSDT", "side": "short", "size": "0.5", "entry_price": "110000"}]}
//! ```
//!
//! Position fields: `symbol`, `side` (`long`/`short`), `size` (> 0, in contracts or base
//! units), `entry_price` (> 0) are required. Optional: `mark_price` (defaults to the entry),
//! `margin` (isolated collateral; isolated mode only), `leverage` (> 0, at most the tier's
//! maximum; in isolated mode the margin defaults to the entry value / leverage), `mmr`,
//! `maintenance_amount` and `max_leverage` (override the venue's tier table for this position),
//! `contract` (`linear`/`inverse`; by default inverse for `…USD`/`…USD_PERP`/`…-USD-SWAP` symbols
//! on venues that list inverse contracts), `contract_size` (quote currency per inverse
//! contract, base units per linear one) and `taker_fee` (a rate, `0 ≤ fee < 1`: the fee to close
//! that Bybit reserves in its requirements, §2.3 — the liquidation price then solves
//! `equity ≤ MM + fee × value` and the bankruptcy price `equity = fee × value`, at the price
//! solved for; the position reports `fee_to_close` at its mark and the account's `liquidatable`
//! counts it, while `maintenance_margin` and `margin_ratio` stay the tier figures). A `null`
//! field counts as absent.

mod compute;
mod error;
pub mod input;
mod output;
mod prepare;

pub use error::CalcError;
pub use output::{AccountOut, Output, PositionOut};

/// Reads a calc document and computes its figures.
///
/// # Errors
/// [`CalcError`] naming the JSON path of the field at fault (or the line and column of a
/// syntax error).
pub fn calc(text: &str) -> Result<Output, CalcError> {
    compute::compute(&input::read(text)?)
}

#[cfg(test)]
mod tests;
