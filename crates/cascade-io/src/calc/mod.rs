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
//!    {"symbol": "BTCUSDT", "side": "short", "size": "0.5", "entry_price": "110000",
//!     "mark_price": "110000"}]}
//! ```
//!
//! Position fields: `symbol`, `side` (`long`/`short`), `size` (> 0, in contracts or base
//! units), `entry_price` (> 0) and `mark_price` (> 0) are required. Optional:
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
pub use output::{AccountOut, Document, Output, PositionOut};

/// Reads a single-account calc document and computes its figures.
///
/// # Errors
/// [`CalcError`] naming the JSON path of the field at fault (or the line and column of a
/// syntax error); a document with `accounts` (use [`calc_document`]).
pub fn calc(text: &str) -> Result<Output, CalcError> {
    match calc_document(text)? {
        Document::One(o) => Ok(o),
        Document::Many { .. } => {
            Err(CalcError::new("accounts", "several accounts: read this document with `calc_document`"))
        }
    }
}

/// Reads a calc document of one account, or of several (`{"accounts": [{"venue": …,
/// "mode": …, "wallet_balance": …, "positions": […]}, …]}`, one per venue: each computed on
/// its own, as each venue would) and computes its figures. Errors in an account name its path
/// (`accounts[1].positions[0].side`).
///
/// # Errors
/// As [`calc`]; `accounts` given together with a single account's fields, empty, or nested.
pub fn calc_document(text: &str) -> Result<Document, CalcError> {
    let input = input::read(text)?;
    let Some(accounts) = &input.accounts else { return compute::compute(&input).map(Document::One) };
    let single = [
        input.venue.is_some().then_some("venue"),
        input.mode.is_some().then_some("mode"),
        input.wallet_balance.is_some().then_some("wallet_balance"),
        input.positions.is_some().then_some("positions"),
    ];
    if let Some(field) = single.into_iter().flatten().next() {
        return Err(CalcError::new(
            field,
            "either `accounts` (one object per venue) or a single account's fields, not both",
        ));
    }
    if accounts.is_empty() {
        return Err(CalcError::new("accounts", "at least one account is required"));
    }
    let mut out = Vec::with_capacity(accounts.len());
    for (i, a) in accounts.iter().enumerate() {
        let at = format!("accounts[{i}]");
        if a.0.accounts.is_some() {
            return Err(CalcError::new(format!("{at}.accounts"), "accounts do not nest"));
        }
        out.push(compute::compute(&a.0).map_err(|e| {
            let path = if e.path.is_empty() { at.clone() } else { format!("{at}.{}", e.path) };
            CalcError::new(path, e.message)
        })?);
    }
    Ok(Document::Many { accounts: out })
}

#[cfg(test)]
mod tests;
