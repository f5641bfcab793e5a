//! The positions file of `cascade liqmap`: CSV with a header line, `#` comment lines allowed.
//!
//! Columns (names case-insensitive, any order, extra columns ignored; every row has as many
//! cells as the header): `venue`, `symbol`,
//! `side` (`long`/`short`, or `buy`/`sell`), `size` (base units, > 0), `entry_price` (> 0), and
//! at least one of `liquidation_price`, `margin` (isolated margin, settle asset) or `leverage`;
//! on each row the first of those three that is filled in decides (in that order). Numbers are
//! read exactly as decimals. A bad row is an error naming the row (1-based, header not
//! counted), its line in the file and the field.
//!
//! Optional `mode` (`isolated`, the default, or `cross`), with `account` and `wallet`: the rows of
//! a cross account (same venue and `account`) share its `wallet` (the same on each of its rows),
//! so their liquidation prices are solved together (each with the others at their entries);
//! a given `liquidation_price` still decides first. Inverse contracts (`BTCUSD`, `…-USD-SWAP` on
//! venues listing them) are solved by the venue calculator, sizes in contracts.

use std::path::Path;
use std::str::FromStr;

use cascade_engine::margin::Venue;
use cascade_sim::metrics::PositionSide;
use rust_decimal::Decimal;

use super::{LiqPosition, MarginInput};
use crate::error::ReportError;

/// Reads a positions file.
///
/// # Errors
/// [`ReportError::Io`] if it cannot be opened, [`ReportError::Positions`] for a missing
/// column, [`ReportError::Position`] naming the row and field of a bad cell.
pub fn read_positions(path: &Path) -> Result<Vec<LiqPosition>, ReportError> {
    read_with_lines(path).map(|(p, _)| p)
}

/// Reads a positions file; also returns each position's line number.
pub(crate) fn read_with_lines(path: &Path) -> Result<(Vec<LiqPosition>, Vec<u64>), ReportError> {
    let file = std::fs::File::open(path).map_err(|source| {
        ReportError::Io(if source.kind() == std::io::ErrorKind::NotFound {
            cascade_io::IoError::Missing { path: path.to_path_buf(), what: "positions file" }
        } else {
            cascade_io::IoError::File { path: path.to_path_buf(), action: "opening", source }
        })
    })?;
    let whole = |message: String| ReportError::Positions { path: path.to_path_buf(), message };
    let mut rdr =
        csv::ReaderBuilder::new().comment(Some(b'#')).flexible(true).trim(csv::Trim::All).from_reader(file);
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| whole(format!("unreadable header: {e}")))?
        .iter()
        .map(str::to_ascii_lowercase)
        .collect();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let mut required = Vec::new();
    for name in ["venue", "symbol", "side", "size", "entry_price"] {
        required.push(col(name).ok_or_else(|| whole(format!("column `{name}` is missing from the header")))?);
    }
    let (lp_c, margin_c, lev_c) = (col("liquidation_price"), col("margin"), col("leverage"));
    let (mode_c, account_c, wallet_c) = (col("mode"), col("account"), col("wallet"));
    let mut account_ids: Vec<String> = Vec::new();
    if lp_c.is_none() && margin_c.is_none() && lev_c.is_none() && mode_c.is_none() {
        return Err(whole(
            "the header needs one of the columns `leverage`, `liquidation_price`, `margin` or `mode`".into(),
        ));
    }
    let mut out = Vec::new();
    let mut lines = Vec::new();
    let mut rec = csv::StringRecord::new();
    let mut row = 0u64;
    loop {
        row += 1;
        let more = rdr.read_record(&mut rec).map_err(|e| {
            let line = e.position().map_or(0, csv::Position::line);
            ReportError::Position {
                path: path.to_path_buf(),
                row,
                line,
                field: "-".into(),
                message: format!("unreadable record: {e}"),
            }
        })?;
        if !more {
            break;
        }
        let line = rec.position().map_or(0, csv::Position::line);
        let bad = |field: &str, message: String| ReportError::Position {
            path: path.to_path_buf(),
            row,
            line,
            field: field.to_string(),
            message,
        };
        // A missing or extra cell would shift or drop a value silently.
        if rec.len() != headers.len() {
            return Err(bad(
                "-",
                format!("{} cells where the header has {} ({})", rec.len(), headers.len(), headers.join(",")),
            ));
        }
        let cell = |i: Option<usize>| i.and_then(|i| rec.get(i)).unwrap_or("");
        let text = |k: usize, name: &str| -> Result<&str, ReportError> {
            let t = cell(Some(required[k]));
            if t.is_empty() { Err(bad(name, "empty (required)".into())) } else { Ok(t) }
        };
        let number = |t: &str, name: &str| -> Result<Decimal, ReportError> {
            Some(t)
                .filter(|t| cascade_engine::num::is_decimal_numeral(t))
                .and_then(|t| Decimal::from_str(t).or_else(|_| Decimal::from_scientific(t)).ok())
                .ok_or_else(|| bad(name, format!("`{t}` is not a decimal number")))
        };
        let venue: Venue = text(0, "venue")?
            .parse()
            .map_err(|e: cascade_engine::margin::VenueError| bad("venue", e.to_string()))?;
        let symbol = text(1, "symbol")?.to_string();
        let side = match text(2, "side")?.to_ascii_lowercase().as_str() {
            "long" | "buy" => PositionSide::Long,
            "short" | "sell" => PositionSide::Short,
            other => return Err(bad("side", format!("expected `long` or `short`, got `{other}`"))),
        };
        let size = number(text(3, "size")?, "size")?;
        let entry_price = number(text(4, "entry_price")?, "entry_price")?;
        let cross = match cell(mode_c).to_ascii_lowercase().as_str() {
            "" | "isolated" => false,
            "cross" => true,
            other => return Err(bad("mode", format!("expected `isolated` or `cross`, got `{other}`"))),
        };
        let margin = if !cell(lp_c).is_empty() {
            MarginInput::LiquidationPrice(number(cell(lp_c), "liquidation_price")?)
        } else if cross {
            let name = cell(account_c);
            if name.is_empty() {
                return Err(bad("account", "a cross position needs its `account` (empty)".into()));
            }
            let wallet = cell(wallet_c);
            if wallet.is_empty() {
                return Err(bad("wallet", "a cross position needs its account's `wallet` (empty)".into()));
            }
            let account = match account_ids.iter().position(|a| a == name) {
                Some(k) => k,
                None => {
                    account_ids.push(name.to_string());
                    account_ids.len() - 1
                }
            } as u64;
            MarginInput::Cross { account, wallet: number(wallet, "wallet")? }
        } else if !cell(margin_c).is_empty() {
            MarginInput::Margin(number(cell(margin_c), "margin")?)
        } else if !cell(lev_c).is_empty() {
            MarginInput::Leverage(number(cell(lev_c), "leverage")?)
        } else {
            return Err(bad(
                "leverage",
                "one of `leverage`, `liquidation_price` or `margin` must be filled in".into(),
            ));
        };
        out.push(LiqPosition { venue, symbol, side, size, entry_price, margin });
        lines.push(line);
    }
    Ok((out, lines))
}
