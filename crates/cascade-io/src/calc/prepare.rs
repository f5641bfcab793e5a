//! One input position validated into what the engine needs: the instrument (its price and
//! size precision chosen to hold the given numbers exactly), the tier table (the venue's, or
//! one tier from `mmr`/`maintenance_amount`/`max_leverage`), signed size, prices, margin and
//! leverage. Every refusal names the field.

use std::str::FromStr;

use cascade_engine::instrument::{AssetId, ContractKind, FeeSchedule, Instrument, InstrumentSpec};
use cascade_engine::margin::tables::hyperliquid_mmr;
use cascade_engine::margin::{
    Exposure, Leverage, MaintenanceBasis, Position, RiskTiers, TierBasis, TierSpec, Venue, default_tiers,
};
use cascade_engine::num::{CASH_DECIMALS, Cash, Price, Qty, RATE_DECIMALS, RATE_ONE, Rate};
use rust_decimal::Decimal;

use super::error::{At, CalcError};
use super::input::{Num, PositionIn};

/// One validated input position with the values the engine needs.
pub(crate) struct Prepared {
    pub symbol: String,
    pub long: bool,
    pub instrument: Instrument,
    pub tiers: RiskTiers,
    pub qty: Qty,
    pub entry: Price,
    pub mark: Price,
    pub margin: Option<Cash>,
    pub leverage: Option<Leverage>,
    /// A `max_leverage` override; `None` with `custom_tier` means the IMR is unknown.
    pub max_leverage: Option<Leverage>,
    pub custom_tier: bool,
    pub settle: String,
    /// Fee-to-close rate (`taker_fee`; 0 when not given).
    pub taker_fee: Rate,
    /// Whether `taker_fee` was given.
    pub has_fee: bool,
}

impl Prepared {
    pub fn position(&self) -> Position<'_> {
        Position {
            instrument: &self.instrument,
            tiers: &self.tiers,
            qty: self.qty,
            entry_price: self.entry,
            mark_price: self.mark,
        }
    }
}

/// The price the venue values positions at for maintenance (mark or entry).
pub(crate) fn basis_price(venue: Venue, p: &Prepared) -> Price {
    match venue.maintenance_basis() {
        MaintenanceBasis::Mark => p.mark,
        MaintenanceBasis::Entry => p.entry,
    }
}

fn scaled(d: Decimal, decimals: u32, path: &str) -> Result<i64, CalcError> {
    cascade_engine::num::parse_scaled(&d.to_string(), decimals).at(path)
}

pub(crate) fn cash(d: Decimal, path: &str) -> Result<Cash, CalcError> {
    scaled(d, CASH_DECIMALS, path).map(Cash)
}

fn rate(d: Decimal, path: &str) -> Result<Rate, CalcError> {
    scaled(d, RATE_DECIMALS, path).map(Rate)
}

/// The fields of one position and their path prefix (`positions[2]`).
struct Fields<'a> {
    path: &'a str,
}

impl Fields<'_> {
    fn path(&self, field: &str) -> String {
        format!("{}.{field}", self.path)
    }

    fn missing(&self, field: &str) -> CalcError {
        CalcError::new(self.path(field), "missing field")
    }

    fn decimal(&self, n: Option<&Num>, field: &str) -> Result<Option<Decimal>, CalcError> {
        n.map(|n| n.decimal(&self.path(field))).transpose()
    }

    fn positive(&self, n: Option<&Num>, field: &str) -> Result<Option<Decimal>, CalcError> {
        match self.decimal(n, field)? {
            Some(d) if d <= Decimal::ZERO => {
                Err(CalcError::new(self.path(field), format!("must be > 0 (got {d})")))
            }
            d => Ok(d),
        }
    }

    fn non_negative(&self, n: Option<&Num>, field: &str) -> Result<Option<Decimal>, CalcError> {
        match self.decimal(n, field)? {
            Some(d) if d < Decimal::ZERO => {
                Err(CalcError::new(self.path(field), format!("must be >= 0 (got {d})")))
            }
            d => Ok(d),
        }
    }
}

/// A `>= 0` decimal at `path` (the wallet balance).
pub(crate) fn non_negative(n: &Num, path: &str) -> Result<Decimal, CalcError> {
    match n.decimal(path)? {
        d if d < Decimal::ZERO => Err(CalcError::new(path, format!("must be >= 0 (got {d})"))),
        d => Ok(d),
    }
}

/// Validates one position (`path` is `positions[i]`).
#[allow(clippy::too_many_lines)] // One pass over the fields in their documented order.
pub(crate) fn prepare(
    venue: Venue,
    isolated: bool,
    p: &PositionIn,
    path: &str,
) -> Result<Prepared, CalcError> {
    let f = Fields { path };
    let fail = |field: &str, message: String| Err(CalcError::new(f.path(field), message));
    let symbol = p.symbol.as_deref().ok_or_else(|| f.missing("symbol"))?.trim().to_string();
    if symbol.is_empty() {
        return fail("symbol", "must not be empty".into());
    }
    let long = match p.side.as_deref().ok_or_else(|| f.missing("side"))?.trim().to_ascii_lowercase().as_str()
    {
        "long" => true,
        "short" => false,
        // An order's side is not a position's: a `sell` may close a long as well as open a
        // short, so it is refused rather than guessed.
        other @ ("buy" | "sell") => {
            return fail(
                "side",
                format!("`{other}` is an order side; a position's side is `long` or `short`"),
            );
        }
        other => return fail("side", format!("expected `long` or `short`, got `{other}`")),
    };
    let size =
        f.positive(Some(p.size.as_ref().ok_or_else(|| f.missing("size"))?), "size")?.unwrap_or_default();
    let entry = f
        .positive(Some(p.entry_price.as_ref().ok_or_else(|| f.missing("entry_price"))?), "entry_price")?
        .unwrap_or_default();
    // Required: a silent default to the entry would show no PnL and, on mark-based venues, the
    // maintenance margin at the entry, for a position that may be far under water.
    let mark = f
        .positive(
            Some(p.mark_price.as_ref().ok_or_else(|| {
                CalcError::new(
                    f.path("mark_price"),
                    "missing field: the mark price sets the PnL, the margin ratio and (on mark-based venues) \
                 the maintenance margin; give the entry price again for a position at its entry",
                )
            })?),
            "mark_price",
        )?
        .unwrap_or_default();
    let margin = f.non_negative(p.margin.as_ref(), "margin")?;
    if margin.is_some() && !isolated {
        return fail("margin", "only in isolated mode (cross positions share the wallet balance)".into());
    }
    let leverage = f.positive(p.leverage.as_ref(), "leverage")?;
    let mmr = f.positive(p.mmr.as_ref(), "mmr")?;
    let maintenance_amount = f.non_negative(p.maintenance_amount.as_ref(), "maintenance_amount")?;
    let max_leverage = f.positive(p.max_leverage.as_ref(), "max_leverage")?;
    let taker_fee = match f.decimal(p.taker_fee.as_ref(), "taker_fee")? {
        Some(d) if d < Decimal::ZERO || d >= Decimal::ONE => {
            return fail("taker_fee", format!("must be >= 0 and < 1 (got {d})"));
        }
        Some(d) => Some(rate(d, &f.path("taker_fee"))?),
        None => None,
    };
    // Hyperliquid states maintenance as half the initial rate at maximum leverage (§5.1): a
    // `max_leverage` alone there fixes the MMR.
    let mmr = match (venue, mmr, max_leverage) {
        (Venue::Hyperliquid, None, Some(l)) => {
            let l = Leverage(rate(l, &f.path("max_leverage"))?.0);
            let m = hyperliquid_mmr(l).map_err(|_| CalcError::new(f.path("max_leverage"), "must be > 0"))?;
            Some(Decimal::from_str(&m.to_string()).at(&f.path("max_leverage"))?)
        }
        _ => mmr,
    };
    let upper = symbol.to_ascii_uppercase();
    let kind = match p.contract.as_deref().map(|s| s.trim().to_ascii_lowercase()) {
        None => {
            let inverse_name =
                upper.ends_with("USD") || upper.ends_with("USD_PERP") || upper.contains("-USD-SWAP");
            if venue.has_inverse() && inverse_name { ContractKind::Inverse } else { ContractKind::Linear }
        }
        Some(s) if s == "linear" => ContractKind::Linear,
        Some(s) if s == "inverse" => ContractKind::Inverse,
        Some(s) => return fail("contract", format!("expected `linear` or `inverse`, got `{s}`")),
    };
    let contract_size = match (f.positive(p.contract_size.as_ref(), "contract_size")?, kind) {
        (Some(c), _) => c,
        (None, ContractKind::Linear | ContractKind::Spot { .. }) => Decimal::ONE,
        // Binance COIN-M BTCUSD (§9 BIN-7) and OKX BTC-USD-SWAP: 100 USD; their other coins
        // 10 USD; Bybit and BitMEX inverse contracts are 1 USD.
        (None, ContractKind::Inverse) => match venue {
            Venue::Binance | Venue::Okx if upper.starts_with("BTC") => Decimal::from(100),
            Venue::Binance | Venue::Okx => Decimal::from(10),
            _ => Decimal::ONE,
        },
    };

    // Precision: the size's own decimals; the finest price precision that keeps values exact
    // and holds the given prices — at most 8 decimals for linear contracts, and for inverse ones
    // 4 unless the prices carry more (finer inverse prices multiply the `i128` products of the
    // exact liquidation-price solve by 10 per decimal).
    let qd = size.scale();
    if qd > 8 {
        return fail("size", format!("{size} has more than 8 decimal places"));
    }
    let finest = match kind {
        ContractKind::Linear | ContractKind::Spot { .. } => 8,
        ContractKind::Inverse => entry.scale().max(mark.scale()).clamp(4, 8),
    };
    let instrument = (0..=finest)
        .rev()
        .find_map(|pd| {
            let inst = Instrument::new(InstrumentSpec {
                symbol: symbol.clone(),
                kind,
                settle_asset: AssetId(0),
                price_decimals: pd,
                qty_decimals: qd,
                tick: Price(1),
                lot: Qty(1),
                min_qty: Qty(1),
                min_notional: Cash::ZERO,
                contract_size,
                tier_contract: None,
                fees: FeeSchedule { maker: Rate(0), taker: Rate(0) },
            })
            .ok()?;
            let fits = |d: Decimal| d.scale() <= pd && Price::parse(&d.to_string(), pd).is_ok();
            (fits(entry) && fits(mark)).then_some(inst)
        })
        .ok_or_else(|| {
            CalcError::new(
                f.path("entry_price"),
                format!(
                    "{entry} cannot be priced exactly with a size of {qd} decimal places \
                     (price and size decimals together are limited to 8 for linear contracts)"
                ),
            )
        })?;
    let pd = instrument.spec().price_decimals;
    let qty_abs = Qty::parse(&size.to_string(), qd).at(&f.path("size"))?;
    let qty = if long { qty_abs } else { Qty(-qty_abs.0) };
    let entry_p = Price::parse(&entry.to_string(), pd).at(&f.path("entry_price"))?;
    let mark_p = Price::parse(&mark.to_string(), pd).at(&f.path("mark_price"))?;
    let leverage = leverage.map(|l| rate(l, &f.path("leverage")).map(|r| Leverage(r.0))).transpose()?;
    let max_leverage =
        max_leverage.map(|l| rate(l, &f.path("max_leverage")).map(|r| Leverage(r.0))).transpose()?;

    let custom_tier = mmr.is_some();
    let tiers = match mmr {
        Some(m) => {
            let mmr = rate(m, &f.path("mmr"))?;
            if mmr.0 >= RATE_ONE {
                return fail("mmr", format!("must be below 1 (got {m})"));
            }
            let imr = match max_leverage {
                Some(l) => l.to_imr().map_err(|_| CalcError::new(f.path("max_leverage"), "must be > 0"))?,
                // The IMR of a hand-given tier is unknown: 100% keeps the table valid and the
                // initial margin is then reported only for an explicit leverage.
                None => Rate::ONE,
            };
            let cum = maintenance_amount.map(|a| cash(a, &f.path("maintenance_amount"))).transpose()?;
            RiskTiers::new(
                TierBasis::Notional,
                &[TierSpec {
                    floor: 0,
                    mmr,
                    imr: Some(imr),
                    max_leverage: None,
                    maintenance_amount: Some(cum.unwrap_or(Cash::ZERO)),
                }],
            )
            .map_err(|e| match e.field() {
                "mmr" if max_leverage.is_some() => CalcError::new(
                    f.path("max_leverage"),
                    format!("mmr {m} must be below the initial margin rate 1/max_leverage"),
                ),
                field => CalcError::new(f.path(field), e.to_string()),
            })?
        }
        None => {
            if maintenance_amount.is_some() {
                return fail("maintenance_amount", "only together with `mmr`".into());
            }
            default_tiers(venue, &symbol).at(&f.path("symbol"))?
        }
    };
    let margin = margin.map(|m| cash(m, &f.path("margin"))).transpose()?;
    let settle = match kind {
        ContractKind::Linear | ContractKind::Spot { .. } => "quote".to_string(),
        ContractKind::Inverse => {
            upper.split("USD").next().unwrap_or_default().trim_end_matches('-').to_string()
        }
    };
    let p = Prepared {
        symbol,
        long,
        instrument,
        tiers,
        qty,
        entry: entry_p,
        mark: mark_p,
        margin,
        leverage,
        max_leverage,
        custom_tier,
        settle,
        taker_fee: taker_fee.unwrap_or(Rate::ZERO),
        has_fee: taker_fee.is_some(),
    };
    // Leverage against the tier (or the override) at the basis price.
    if let Some(l) = p.leverage {
        let exposure = Exposure::of(&p.instrument, p.qty, basis_price(venue, &p))
            .map_err(|_| CalcError::new(f.path("size"), "position value overflows"))?;
        let max = match (p.max_leverage, p.custom_tier) {
            (Some(m), _) => Some(m),
            (None, true) => None,
            (None, false) => Some(p.tiers.max_leverage(&exposure)),
        };
        if let Some(max) = max
            && l > max
        {
            return fail(
                "leverage",
                format!("{l} exceeds the maximum leverage {max} for this position size"),
            );
        }
    }
    if isolated && p.margin.is_none() && p.leverage.is_none() {
        return fail("margin", "isolated mode needs `margin` (the isolated collateral) or `leverage`".into());
    }
    Ok(p)
}
