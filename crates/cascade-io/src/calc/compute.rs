//! The computation over validated positions: per position the margins, PnL and the
//! liquidation and bankruptcy prices (isolated: each on its own collateral; cross: all of them
//! in one O(n) pass over the shared wallet), then the account's equity and margin ratio.

use cascade_engine::instrument::ContractKind;
use cascade_engine::margin::{
    CrossAccount, MaintenanceBasis, MarginRatioKind, Position, Venue, bankruptcy_price_with_fee,
    liquidation_price_with_fee, margin_ratio,
};
use cascade_engine::num::{Cash, Price, RATE_ONE, Rate, Round};

use super::error::{At, CalcError};
use super::input::Input;
use super::output::{AccountOut, Output, PositionOut};
use super::prepare::{Prepared, basis_price, cash, non_negative, prepare};

/// Initial margin of a position: at its leverage, else at its `max_leverage` override, else at
/// the tier's maximum; unknown for a hand-given tier without either.
fn initial_margin(venue: Venue, p: &Prepared, path: &str) -> Result<Option<Cash>, CalcError> {
    let value = p.instrument.value(basis_price(venue, p), p.qty, Round::Ceil).at(path)?;
    Ok(match (p.leverage.or(p.max_leverage), p.custom_tier) {
        (Some(l), _) => Some(value.mul_div(RATE_ONE, l.0, Round::Ceil).at(path)?),
        (None, true) => None,
        (None, false) => Some(p.position().initial_margin(venue.maintenance_basis(), None).at(path)?),
    })
}

/// `positions[i]: computing WHAT: the engine's error`.
fn computing<E: std::fmt::Display>(here: &str, what: &'static str) -> impl FnOnce(E) -> CalcError {
    let here = here.to_string();
    move |e| CalcError::new(here, format!("computing {what}: {e}"))
}

/// Computes the output of a document already read.
#[allow(clippy::too_many_lines)] // The figures in output order.
pub(crate) fn compute(input: &Input) -> Result<Output, CalcError> {
    let venue: Venue = input
        .venue
        .as_deref()
        .ok_or_else(|| CalcError::new("venue", "missing field"))?
        .parse()
        .at("venue")?;
    let isolated = match input
        .mode
        .as_deref()
        .ok_or_else(|| CalcError::new("mode", "missing field"))?
        .trim()
        .to_ascii_lowercase()
        .as_str()
    {
        "isolated" => true,
        "cross" => false,
        other => {
            return Err(CalcError::new("mode", format!("expected `isolated` or `cross`, got `{other}`")));
        }
    };
    let wallet = input
        .wallet_balance
        .as_ref()
        .map(|w| non_negative(w, "wallet_balance").and_then(|d| cash(d, "wallet_balance")))
        .transpose()?;
    let items = input.positions.as_ref().ok_or_else(|| CalcError::new("positions", "missing field"))?;
    if items.is_empty() {
        return Err(CalcError::new("positions", "at least one position is required"));
    }
    let mut prepared = Vec::with_capacity(items.len());
    for (i, p) in items.iter().enumerate() {
        prepared.push(prepare(venue, isolated, &p.0, &format!("positions[{i}]"))?);
    }
    let basis = venue.maintenance_basis();
    let kind = venue.margin_ratio_kind();
    let positions: Vec<Position<'_>> = prepared.iter().map(Prepared::position).collect();

    let mut outs = Vec::with_capacity(prepared.len());
    let (mut total_mm, mut total_upnl) = (Cash::ZERO, Cash::ZERO);
    let mut total_im = Some(Cash::ZERO);
    let cross_wallet;
    let cross = if isolated {
        cross_wallet = Cash::ZERO;
        None
    } else {
        cross_wallet = wallet
            .ok_or_else(|| CalcError::new("wallet_balance", "missing field (required in cross mode)"))?;
        if let Some((i, p)) = prepared.iter().enumerate().find(|(_, p)| p.settle != prepared[0].settle) {
            return Err(CalcError::new(
                format!("positions[{i}].contract"),
                format!(
                    "cross mode needs one settle asset; {} does not settle like {}",
                    p.symbol, prepared[0].symbol
                ),
            ));
        }
        Some(CrossAccount { wallet_balance: cross_wallet, positions: &positions })
    };
    let fees: Vec<Rate> = prepared.iter().map(|p| p.taker_fee).collect();
    // Cross: every position's liquidation and bankruptcy price in one O(n) pass.
    let cross_prices = match &cross {
        Some(account) => account.all_prices_with_fees(basis, &fees).map_err(|e| {
            CalcError::new("positions", format!("computing the cross liquidation and bankruptcy prices: {e}"))
        })?,
        None => Vec::new(),
    };
    let account_path = "positions";
    let mut total_fee = Cash::ZERO;
    let mut margins = Cash::ZERO;
    for (i, p) in prepared.iter().enumerate() {
        let here = format!("positions[{i}]");
        let at = |what: &'static str| computing(&here, what);
        let pos = &positions[i];
        let pd = p.instrument.spec().price_decimals;
        let im = initial_margin(venue, p, &here)?;
        let mm = pos.maintenance_margin(basis).map_err(at("the maintenance margin"))?;
        let upnl = pos.unrealized_pnl(p.mark).map_err(at("the unrealized PnL"))?;
        let tier = *p.tiers.tier(&pos.exposure(basis_price(venue, p)).map_err(at("the notional"))?);
        let (margin, lp, bp) = match &cross {
            None => {
                // Isolated: the margin given, else the entry value at the chosen leverage.
                let collateral = match (p.margin, p.leverage) {
                    (Some(m), _) => m,
                    (None, Some(l)) => p
                        .instrument
                        .value(p.entry, p.qty, Round::Ceil)
                        .at(&here)?
                        .mul_div(RATE_ONE, l.0, Round::Ceil)
                        .at(&here)?,
                    (None, None) => return Err(CalcError::new(format!("{here}.margin"), "missing field")),
                };
                margins = margins.checked_add(collateral).at(account_path)?;
                let lp = liquidation_price_with_fee(pos, collateral, basis, p.taker_fee)
                    .map_err(at("the liquidation price"))?;
                let bp = bankruptcy_price_with_fee(pos, collateral, p.taker_fee)
                    .map_err(at("the bankruptcy price"))?;
                (Some(collateral.to_string()), lp, bp)
            }
            Some(_) => {
                let (lp, bp) = cross_prices[i];
                (None, lp, bp)
            }
        };
        let notional = pos.notional(p.mark).map_err(at("the notional"))?;
        let fee_to_close = notional.mul_rate(p.taker_fee, Round::Ceil).at(&here)?;
        total_fee = total_fee.checked_add(fee_to_close).at(account_path)?;
        total_mm = total_mm.checked_add(mm).at(account_path)?;
        total_upnl = total_upnl.checked_add(upnl).at(account_path)?;
        total_im = match (total_im, im) {
            (Some(t), Some(x)) => Some(t.checked_add(x).at(account_path)?),
            _ => None,
        };
        let price = |x: Price| x.to_decimal(pd);
        outs.push(PositionOut {
            symbol: p.symbol.clone(),
            side: if p.long { "long" } else { "short" },
            contract: match p.instrument.kind() {
                ContractKind::Linear => "linear",
                ContractKind::Inverse => "inverse",
                ContractKind::Spot { .. } => "spot",
            },
            size: p.qty.abs().to_decimal(p.instrument.spec().qty_decimals),
            entry_price: price(p.entry),
            mark_price: price(p.mark),
            notional: notional.to_string(),
            unrealized_pnl: upnl.to_string(),
            margin,
            mmr: tier.mmr.to_string(),
            maintenance_amount: tier.maintenance_amount.to_string(),
            maintenance_margin: mm.to_string(),
            initial_margin: im.map(|c| c.to_string()),
            liquidation_price: lp.map(price),
            bankruptcy_price: bp.map(price),
            fee_to_close: p.has_fee.then(|| fee_to_close.to_string()),
        });
    }
    let wallet_balance = if isolated { wallet.unwrap_or(margins) } else { cross_wallet };
    let equity = wallet_balance.checked_add(total_upnl).at("account.equity")?;
    let ratio = margin_ratio(equity, total_mm, kind).at("account.margin_ratio")?;
    Ok(Output {
        venue: venue.name(),
        mode: if isolated { "isolated" } else { "cross" },
        maintenance_basis: match basis {
            MaintenanceBasis::Mark => "mark",
            MaintenanceBasis::Entry => "entry",
        },
        positions: outs,
        account: AccountOut {
            wallet_balance: wallet_balance.to_string(),
            equity: equity.to_string(),
            maintenance_margin: total_mm.to_string(),
            initial_margin: total_im.map(|c| c.to_string()),
            margin_ratio: ratio.map(|r| r.to_string()),
            margin_ratio_kind: match kind {
                MarginRatioKind::MaintenanceOverEquity => "maintenance/equity",
                MarginRatioKind::EquityOverMaintenance => "equity/maintenance",
            },
            liquidatable: equity <= total_mm.checked_add(total_fee).at("account.maintenance_margin")?,
        },
    })
}
