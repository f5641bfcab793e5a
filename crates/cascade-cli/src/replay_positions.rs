//! `cascade replay --positions FILE`: the positions of a liquidation-map CSV (the `cascade
//! liqmap` format) put into the replay's venues as accounts of their own, so the real path
//! liquidates them through each venue's waterfall next to (or instead of) the population.
//!
//! Each row becomes one isolated account at the scenario venue whose `rules` is the row's
//! venue and that lists its symbol (the first such venue). Its margin: with `leverage` L (a
//! whole number), the initial margin `size × entry / L`; with `margin` M, leverage
//! `⌈size × entry / M⌉`, so the position holds that initial margin (≤ M) and the rest of M waits
//! in the wallet, as on a venue. The wallet also pays the venue's maker fee of the opening.
//! Rows given by `liquidation_price` or as cross accounts are refused: the waterfall needs a
//! margin to work on, and a cross account's other positions are not in the file.

use std::path::Path;

use anyhow::{Context, bail};
use cascade_report::liqmap::{LiqPosition, MarginInput, read_positions};
use cascade_sim::metrics::PositionSide as MapSide;
use cascade_sim::scenario::{
    AccountMode, Dec, Portfolio, PortfolioAccount, PortfolioPosition, PositionSide as Side, Scenario,
};
use rust_decimal::{Decimal, RoundingStrategy};

/// Decimal places of settle-asset cash in the engine (wallets are rounded up to them).
const CASH_PLACES: u32 = 8;

/// The accounts of the positions file `file`, for `scenario`'s venues.
///
/// # Errors
/// The file cannot be read, or a row (named by its data row) fits no venue or gives no margin.
pub fn portfolio(file: &Path, scenario: &Scenario) -> anyhow::Result<Portfolio> {
    let rows =
        read_positions(file).with_context(|| format!("reading the positions file {}", file.display()))?;
    let mut accounts = Vec::with_capacity(rows.len());
    for (i, p) in rows.iter().enumerate() {
        let at = || format!("{}: position {} (data row {})", file.display(), i + 1, i + 1);
        accounts.push(account(p, scenario).with_context(at)?);
    }
    Ok(Portfolio { name: file.display().to_string(), accounts, ..Portfolio::default() })
}

fn account(p: &LiqPosition, s: &Scenario) -> anyhow::Result<PortfolioAccount> {
    let rules = p.venue.name();
    let (venue, ins) = s
        .venues
        .iter()
        .filter(|v| v.rules.eq_ignore_ascii_case(rules))
        .find_map(|v| v.instruments.iter().find(|i| i.symbol == p.symbol).map(|i| (v, i)))
        .with_context(|| format!("no venue with rules = \"{rules}\" lists `{}` in the scenario", p.symbol))?;
    let notional = p.size * p.entry_price;
    let leverage = match p.margin {
        MarginInput::Leverage(l) => {
            if l.fract() != Decimal::ZERO || l < Decimal::ONE {
                bail!("leverage {l} is not a whole number ≥ 1");
            }
            l
        }
        MarginInput::Margin(m) => (notional / m).ceil().max(Decimal::ONE),
        MarginInput::LiquidationPrice(_) => {
            bail!("given by liquidation_price: a replay needs the margin (give leverage or margin)")
        }
        MarginInput::Cross { .. } => {
            bail!("a cross account: its other positions are not in the file (give leverage or margin)")
        }
    };
    let lev = u16::try_from(leverage.mantissa() / 10_i128.pow(leverage.scale()))
        .with_context(|| format!("leverage {leverage} is too high"))?;
    let margin = match p.margin {
        MarginInput::Margin(m) => m,
        _ => notional / leverage,
    };
    let fee = notional * ins.maker_fee.get().max(Decimal::ZERO);
    let wallet = (margin + fee).round_dp_with_strategy(CASH_PLACES, RoundingStrategy::AwayFromZero);
    Ok(PortfolioAccount {
        name: format!(
            "{} {} {}",
            venue.name,
            p.symbol,
            if p.side == MapSide::Long { "long" } else { "short" }
        ),
        venue: venue.name.clone(),
        mode: AccountMode::Isolated,
        wallet: Dec(wallet),
        collateral: Vec::new(),
        positions: vec![PortfolioPosition {
            symbol: p.symbol.clone(),
            side: if p.side == MapSide::Long { Side::Long } else { Side::Short },
            size: Dec(p.size),
            entry_price: Some(Dec(p.entry_price)),
            leverage: lev,
        }],
        stops: Vec::new(),
    })
}
