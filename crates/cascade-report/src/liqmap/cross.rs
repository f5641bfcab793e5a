//! Positions the single-position solve in `mod.rs` cannot take: cross-margin accounts (several
//! positions sharing one wallet, so each liquidation price depends on the others) and inverse
//! contracts. Both go through the venue calculator (`cascade_io::calc`, the engine's exact
//! cross-account and inverse solves): one calc document per cross account (every position at its
//! entry as the mark, the other legs held there) and one per inverse isolated position.
//!
//! The map's notional of an inverse position is its USD face value (contracts × contract size,
//! from the calculator's coin notional at the entry × the entry); of a linear one, size × the
//! liquidation price. A cross position's leverage band is its account's: Σ entry notional /
//! wallet.

use std::str::FromStr;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::{LiqPosition, MarginInput, Solved, coin_of, pos_err};
use crate::error::ReportError;
use cascade_sim::metrics::PositionSide;

/// Solves `items` (row number, position) as one calc document: a cross account when `wallet`
/// is given, else one isolated position. Errors name the row and field.
pub(super) fn solve_with_calc(
    items: &[(u64, &LiqPosition)],
    wallet: Option<Decimal>,
) -> Result<Vec<Solved>, ReportError> {
    let Some(&(first_row, first)) = items.first() else { return Ok(Vec::new()) };
    let mut positions = Vec::with_capacity(items.len());
    for &(_, p) in items {
        let mut x = serde_json::json!({
            "symbol": p.symbol,
            "side": if p.side == PositionSide::Long { "long" } else { "short" },
            "size": p.size.normalize().to_string(),
            "entry_price": p.entry_price.normalize().to_string(),
            "mark_price": p.entry_price.normalize().to_string(),
        });
        match p.margin {
            MarginInput::Margin(m) => x["margin"] = serde_json::Value::String(m.normalize().to_string()),
            MarginInput::Leverage(l) => x["leverage"] = serde_json::Value::String(l.normalize().to_string()),
            MarginInput::Cross { .. } | MarginInput::LiquidationPrice(_) => {}
        }
        positions.push(x);
    }
    let mut doc = serde_json::json!({
        "venue": first.venue.name(),
        "mode": if wallet.is_some() { "cross" } else { "isolated" },
        "positions": positions,
    });
    if let Some(w) = wallet {
        doc["wallet_balance"] = serde_json::Value::String(w.normalize().to_string());
    }
    let out = cascade_io::calc::calc(&doc.to_string()).map_err(|e| {
        // `positions[k].field` → the row of position k and its field.
        let (row, field) = e
            .path
            .strip_prefix("positions[")
            .and_then(|r| r.split_once(']'))
            .and_then(|(k, rest)| {
                let k: usize = k.parse().ok()?;
                Some((items.get(k)?.0, rest.trim_start_matches('.').to_string()))
            })
            .unwrap_or((first_row, if e.path.is_empty() { "-".into() } else { e.path.clone() }));
        let field = if field.is_empty() { "-".to_string() } else { field };
        pos_err(row, &field, e.message)
    })?;
    let account_value: Decimal = items.iter().map(|(_, p)| p.size * p.entry_price).sum();
    let mut solved = Vec::with_capacity(items.len());
    for (k, (&(row, p), o)) in items.iter().zip(&out.positions).enumerate() {
        let bad = |m: String| pos_err(row, "-", m);
        let number = |s: &str| Decimal::from_str(s).map_err(|_| bad(format!("calc returned `{s}` at {k}")));
        let lp = o.liquidation_price.as_deref().map(number).transpose()?;
        let inverse = o.contract == "inverse";
        let notional = match (inverse, lp) {
            (_, None) => Decimal::ZERO,
            (true, Some(_)) => number(&o.notional)? * p.entry_price,
            (false, Some(x)) => p.size * x,
        };
        let leverage = match (p.margin, wallet) {
            (MarginInput::Leverage(l), _) => l.to_f64().unwrap_or(f64::NAN),
            (_, Some(w)) if w > Decimal::ZERO => (account_value / w).to_f64().unwrap_or(f64::INFINITY),
            (MarginInput::Margin(m), _) if m > Decimal::ZERO && !inverse => {
                (p.size * p.entry_price / m).to_f64().unwrap_or(f64::INFINITY)
            }
            _ => o.margin.as_deref().map_or(f64::INFINITY, |m| {
                let m = Decimal::from_str(m).unwrap_or_default();
                if m > Decimal::ZERO {
                    (number(&o.notional).unwrap_or_default() / m).to_f64().unwrap_or(f64::INFINITY)
                } else {
                    f64::INFINITY
                }
            }),
        };
        solved.push(Solved {
            coin: coin_of(&p.symbol),
            side: p.side,
            liquidation_price: lp,
            notional,
            leverage,
        });
    }
    Ok(solved)
}
