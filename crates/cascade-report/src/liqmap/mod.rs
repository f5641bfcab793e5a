//! Liquidation maps: where a population of leveraged positions would be liquidated.
//!
//! For each position the liquidation price comes from the risk engine
//! ([`cascade_engine::margin::liquidation_price`], isolated margin, with the venue's own tier
//! table from [`cascade_engine::margin::default_tiers`] and the venue's maintenance basis), not
//! from a simplified `entry × (1 ∓ 1/leverage)` formula. The map then adds up, per price band,
//! the notional (size × liquidation price) that would be liquidated if the price reached the
//! band: longs below the reference price, shorts above it, banded by leverage.
//!
//! Positions come from a CSV file ([`read_positions`]) or, from the simulator, as an in-memory
//! list ([`LiqPosition`]) passed to [`build`]. One map is made per coin (the symbol's base:
//! `BTCUSDT`, `BTC-USDT-SWAP` and Hyperliquid's `BTC` are all `BTC`), so several venues'
//! positions on one coin land on one map.
//!
//! Never panics on input: a bad position is an error naming its row and field.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use cascade_engine::instrument::{AssetId, Instrument, InstrumentSpec};
use cascade_engine::margin::{Exposure, Leverage, Position, Venue, default_tiers, liquidation_price};
use cascade_engine::num::{CASH_DECIMALS, Cash, Price, Qty, RATE_ONE, Round};
use cascade_sim::metrics::PositionSide;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

use crate::error::ReportError;

mod cross;
pub mod estimate;
pub mod oi_files;
pub mod oi_output;
mod positions;

pub use positions::read_positions;

/// How a position's margin is given; the first that is known decides its liquidation price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarginInput {
    /// The liquidation price itself (e.g. read from the venue, or from the simulator's
    /// liquidation index): used as given.
    LiquidationPrice(Decimal),
    /// Isolated margin in the settle asset.
    Margin(Decimal),
    /// Leverage: isolated margin = entry value / leverage (rounded up, as venues do).
    Leverage(Decimal),
    /// Cross margin: the positions of `account` at the same venue share `wallet`, so each
    /// one's liquidation price is solved with the others held at their entries (`cross.rs`).
    Cross {
        /// The account, numbered in the order the file first names it.
        account: u64,
        /// Its wallet balance, settle asset.
        wallet: Decimal,
    },
}

/// One open position, as the map needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiqPosition {
    /// Venue whose rule set and tier table apply.
    pub venue: Venue,
    /// Symbol as the venue names it (`BTCUSDT`, `BTC`, `ETH-USDT-SWAP`…); linear contracts.
    pub symbol: String,
    /// Long or short.
    pub side: PositionSide,
    /// Size in base units (> 0).
    pub size: Decimal,
    /// Average entry price (> 0).
    pub entry_price: Decimal,
    /// Margin, leverage or liquidation price.
    pub margin: MarginInput,
}

/// Leverage bands of the map, upper bounds inclusive (the last is open).
pub const LEVERAGE_BANDS: [(f64, &str); 6] = [
    (5.0, "≤5x"),
    (10.0, "5–10x"),
    (25.0, "10–25x"),
    (50.0, "25–50x"),
    (100.0, "50–100x"),
    (f64::INFINITY, ">100x"),
];

/// The leverage band index of `leverage`.
#[must_use]
pub fn leverage_band(leverage: f64) -> usize {
    LEVERAGE_BANDS.iter().position(|(hi, _)| leverage <= *hi).unwrap_or(LEVERAGE_BANDS.len() - 1)
}

/// A position with its liquidation price solved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Solved {
    /// Coin the position is on (`BTC`).
    pub coin: String,
    /// Side.
    pub side: PositionSide,
    /// Liquidation price; `None` when the position is never liquidated at a positive price
    /// (e.g. a 1x long).
    pub liquidation_price: Option<Decimal>,
    /// Notional liquidated there: size × liquidation price (quote currency).
    pub notional: Decimal,
    /// Leverage: as given, or entry value / margin, or entry / |entry − liquidation price|
    /// (an approximation) when only the liquidation price was given.
    pub leverage: f64,
}

/// Largest size, price or margin accepted (10^12): keeps every product and sum far from
/// `Decimal`'s range, so no arithmetic can overflow.
pub const LIMIT: i64 = 1_000_000_000_000;

fn pos_err(row: u64, field: &str, message: String) -> ReportError {
    ReportError::Position { path: "<memory>".into(), row, line: 0, field: field.to_string(), message }
}

/// The coin of a symbol: upper-cased, cut at the first `-`, `_`, `/` or `:`, a trailing
/// `USDT`, `USDC`, `USD` or `PERP` removed, `XBT` read as `BTC`.
#[must_use]
pub fn coin_of(symbol: &str) -> String {
    let s = symbol.trim().to_ascii_uppercase();
    let head = s.split(['-', '_', '/', ':']).next().unwrap_or_default();
    let mut c = head;
    for q in ["USDT", "USDC", "USD", "PERP"] {
        if let Some(x) = c.strip_suffix(q) {
            if !x.is_empty() {
                c = x;
                break;
            }
        }
    }
    if c == "XBT" { "BTC".into() } else { c.to_string() }
}

fn is_inverse(venue: Venue, symbol: &str) -> bool {
    let u = symbol.trim().to_ascii_uppercase();
    venue.has_inverse() && (u.ends_with("USD") || u.ends_with("USD_PERP") || u.contains("-USD-SWAP"))
}

fn cash_dec(c: Cash) -> Decimal {
    Decimal::new(c.0, CASH_DECIMALS)
}

/// Solves one position's liquidation price with the engine. `row` (1-based) names it in
/// errors; the error's path is `<memory>` (the CSV reader substitutes the file).
///
/// # Errors
/// [`ReportError::Position`] naming the field: a non-positive number, a symbol without a tier
/// table on the venue or an inverse contract, a leverage above the tier's maximum, a price
/// with more decimals than the instrument can hold, an overflow.
pub fn solve(p: &LiqPosition, row: u64) -> Result<Solved, ReportError> {
    let err = |field: &str, m: String| pos_err(row, field, m);
    if p.size <= Decimal::ZERO {
        return Err(err("size", format!("must be > 0 (got {})", p.size)));
    }
    if p.entry_price <= Decimal::ZERO {
        return Err(err("entry_price", format!("must be > 0 (got {})", p.entry_price)));
    }
    let limit = Decimal::from(LIMIT);
    let given = match p.margin {
        MarginInput::LiquidationPrice(x) => ("liquidation_price", x),
        MarginInput::Margin(x) => ("margin", x),
        MarginInput::Leverage(x) => ("leverage", x),
        MarginInput::Cross { wallet, .. } => ("wallet", wallet),
    };
    for (field, v) in [("size", p.size), ("entry_price", p.entry_price), given] {
        if v > limit {
            return Err(err(field, format!("{v} is beyond the accepted range (at most 10^12)")));
        }
    }
    if is_inverse(p.venue, &p.symbol) {
        return Err(err(
            "symbol",
            format!(
                "`{}` is an inverse contract on {}; the map takes linear contracts only",
                p.symbol, p.venue
            ),
        ));
    }
    let coin = coin_of(&p.symbol);
    let entry_value = p.size * p.entry_price;
    if let MarginInput::LiquidationPrice(lp) = p.margin {
        if lp <= Decimal::ZERO {
            return Err(err("liquidation_price", format!("must be > 0 (got {lp})")));
        }
        let gap = (p.entry_price - lp).abs();
        let leverage = p.entry_price.checked_div(gap).and_then(|l| l.to_f64()).unwrap_or(f64::INFINITY);
        return Ok(Solved {
            coin,
            side: p.side,
            liquidation_price: Some(lp),
            notional: p.size * lp,
            leverage,
        });
    }
    let tiers = default_tiers(p.venue, &p.symbol).map_err(|e| err("symbol", e.to_string()))?;
    let size = p.size.normalize();
    let entry = p.entry_price.normalize();
    let qd = size.scale();
    if qd > 8 {
        return Err(err("size", format!("{size} has more than 8 decimal places")));
    }
    let instrument = (entry.scale()..=8)
        .rev()
        .find_map(|pd| {
            let inst = Instrument::new(InstrumentSpec::linear(&p.symbol, AssetId(0), pd, qd)).ok()?;
            Price::parse(&entry.to_string(), pd).ok()?;
            Some(inst)
        })
        .ok_or_else(|| {
            err("entry_price", format!("{entry} cannot be priced exactly with a size of {qd} decimal places"))
        })?;
    let pd = instrument.spec().price_decimals;
    let qty_abs = Qty::parse(&size.to_string(), qd).map_err(|e| err("size", e.to_string()))?;
    let qty = match p.side {
        PositionSide::Long => qty_abs,
        PositionSide::Short => Qty(-qty_abs.0),
    };
    let entry_p = Price::parse(&entry.to_string(), pd).map_err(|e| err("entry_price", e.to_string()))?;
    let overflow = |field: &str| err(field, "arithmetic overflow".into());
    let value = instrument.value(entry_p, qty_abs, Round::Ceil).map_err(|_| overflow("size"))?;
    let (collateral, leverage) = match p.margin {
        MarginInput::Leverage(l) => {
            if l <= Decimal::ZERO {
                return Err(err("leverage", format!("must be > 0 (got {l})")));
            }
            let lev =
                Leverage::parse(&l.normalize().to_string()).map_err(|e| err("leverage", e.to_string()))?;
            let exposure = Exposure::of(&instrument, qty, entry_p).map_err(|_| overflow("size"))?;
            let max = tiers.max_leverage(&exposure);
            if lev > max {
                return Err(err(
                    "leverage",
                    format!("{l}x exceeds the maximum leverage {max}x for this position size on {}", p.venue),
                ));
            }
            let c = value.mul_div(RATE_ONE, lev.0, Round::Ceil).map_err(|_| overflow("leverage"))?;
            (c, l.to_f64().unwrap_or(f64::NAN))
        }
        MarginInput::Margin(m) => {
            if m <= Decimal::ZERO {
                return Err(err("margin", format!("must be > 0 (got {m})")));
            }
            let c = Cash::from_str(&m.normalize().to_string()).map_err(|e| err("margin", e.to_string()))?;
            (c, entry_value.checked_div(m).and_then(|l| l.to_f64()).unwrap_or(f64::INFINITY))
        }
        MarginInput::Cross { .. } => {
            return Err(err("mode", "a cross position is solved with its account (`build`)".into()));
        }
        // Returned above; an arm rather than a panic keeps the match total.
        MarginInput::LiquidationPrice(_) => {
            return Err(err("liquidation_price", "internal: a given liquidation price is used as is".into()));
        }
    };
    let pos =
        Position { instrument: &instrument, tiers: &tiers, qty, entry_price: entry_p, mark_price: entry_p };
    let lp = liquidation_price(&pos, collateral, p.venue.maintenance_basis())
        .map_err(|e| err("size", format!("solving the liquidation price: {e}")))?;
    let (liquidation_price, notional) = match lp {
        None => (None, Decimal::ZERO),
        // Liquidatable at every price: already past any reference price; valued at entry.
        Some(Price::MAX) => (Some(Decimal::MAX), entry_value),
        Some(x) => {
            let v = instrument.value(x, qty_abs, Round::Floor).map_err(|_| overflow("size"))?;
            let d = Decimal::from_str(&x.to_decimal(pd)).map_err(|_| overflow("entry_price"))?;
            (Some(d.normalize()), cash_dec(v).normalize())
        }
    };
    Ok(Solved { coin, side: p.side, liquidation_price, notional, leverage })
}

/// A cross account of a positions file: (venue, account), its wallet, its (row, position)s.
type CrossAccount<'a> = ((Venue, u64), Decimal, Vec<(u64, &'a LiqPosition)>);

/// Options of a liquidation map.
#[derive(Debug, Clone, PartialEq)]
pub struct LiqMapOptions {
    /// Reference ("current") price per coin; a coin not listed uses the notional-weighted mean
    /// entry price of its positions.
    pub prices: BTreeMap<String, Decimal>,
    /// Reference price of a coin not in `prices` (before falling back to the mean entry).
    pub default_price: Option<Decimal>,
    /// Band width in quote currency; `None`: a round number near 0.5 % of the reference price.
    pub band: Option<Decimal>,
    /// Half-width of the price window drawn, percent of the reference price.
    pub range_pct: Decimal,
    /// How many clusters to list.
    pub top: usize,
    /// Only this coin (`BTC`), if set.
    pub coin: Option<String>,
}

impl Default for LiqMapOptions {
    fn default() -> Self {
        Self {
            prices: BTreeMap::new(),
            default_price: None,
            band: None,
            range_pct: Decimal::from(20),
            top: 5,
            coin: None,
        }
    }
}

/// One price band of a map.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Band {
    /// Lower edge (inclusive).
    pub low: Decimal,
    /// Upper edge (exclusive).
    pub high: Decimal,
    /// Long notional liquidated in the band, per leverage band ([`LEVERAGE_BANDS`]).
    pub long: Vec<Decimal>,
    /// Short notional, per leverage band.
    pub short: Vec<Decimal>,
    /// Long positions in the band.
    pub long_positions: u64,
    /// Short positions in the band.
    pub short_positions: u64,
}

impl Band {
    /// Long notional in the band.
    #[must_use]
    pub fn long_total(&self) -> Decimal {
        sum(&self.long)
    }
    /// Short notional in the band.
    #[must_use]
    pub fn short_total(&self) -> Decimal {
        sum(&self.short)
    }
}

/// A saturating sum (no overflow panic on absurd inputs).
fn sum(v: &[Decimal]) -> Decimal {
    v.iter().fold(Decimal::ZERO, |a, b| a.saturating_add(*b))
}

/// Positions left off the map, with their notional.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Outside {
    /// Never liquidated at a positive price.
    pub never: u64,
    /// Already past the reference price (a long liquidating at or above it, a short at or below).
    pub already: u64,
    /// Notional of those.
    pub already_notional: Decimal,
    /// Liquidating outside the drawn window.
    pub beyond_window: u64,
    /// Notional of those.
    pub beyond_window_notional: Decimal,
}

/// A liquidation map of one coin.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiqMap {
    /// The coin.
    pub coin: String,
    /// Reference price: longs below it, shorts above it.
    pub reference_price: Decimal,
    /// Whether the reference price was given (else: mean entry).
    pub reference_given: bool,
    /// Band width.
    pub band: Decimal,
    /// Bands covering the window, ascending, empty ones included.
    pub bands: Vec<Band>,
    /// Positions on the map.
    pub positions: u64,
    /// Positions left off.
    pub outside: Outside,
}

/// A round band width near `x`: 1, 2, 2.5 or 5 × 10^k.
#[must_use]
pub fn nice_width(x: Decimal) -> Decimal {
    if x <= Decimal::ZERO {
        return Decimal::ONE;
    }
    let mut p = Decimal::ONE;
    while p * Decimal::TEN <= x && p < Decimal::from(1_000_000_000_000i64) {
        p *= Decimal::TEN;
    }
    while p > x && p > Decimal::new(1, 12) {
        p /= Decimal::TEN;
    }
    let mut best = p;
    for m in [Decimal::ONE, Decimal::TWO, Decimal::new(25, 1), Decimal::from(5), Decimal::TEN] {
        let c = p * m;
        if (c - x).abs() < (best - x).abs() {
            best = c;
        }
    }
    best.normalize()
}

/// Solves every position and builds one map per coin (in order of first appearance).
///
/// # Errors
/// [`ReportError::InvalidOption`] for an option out of range; the first position refused by
/// [`solve`] (row = index + 1).
pub fn build(positions: &[LiqPosition], opts: &LiqMapOptions) -> Result<Vec<LiqMap>, ReportError> {
    check_options(opts)?;
    // Cross accounts (by venue and account, in first-seen order) and inverse contracts go
    // through the venue calculator (`cross.rs`); the rest is solved one by one.
    let mut out: Vec<Option<Solved>> = vec![None; positions.len()];
    let mut accounts: Vec<CrossAccount<'_>> = Vec::new();
    for (i, p) in positions.iter().enumerate() {
        let row = i as u64 + 1;
        match p.margin {
            MarginInput::Cross { account, wallet } => {
                let limit = Decimal::from(LIMIT);
                if wallet < Decimal::ZERO || wallet > limit {
                    return Err(pos_err(
                        row,
                        "wallet",
                        format!("must be >= 0 and at most 10^12 (got {wallet})"),
                    ));
                }
                match accounts.iter_mut().find(|(k, _, _)| *k == (p.venue, account)) {
                    Some((_, w, items)) if *w == wallet => items.push((row, p)),
                    Some((_, w, _)) => {
                        return Err(pos_err(
                            row,
                            "wallet",
                            format!("{wallet} differs from {w} given for the same account earlier"),
                        ));
                    }
                    None => accounts.push(((p.venue, account), wallet, vec![(row, p)])),
                }
            }
            _ if is_inverse(p.venue, &p.symbol) && !matches!(p.margin, MarginInput::LiquidationPrice(_)) => {
                let s = cross::solve_with_calc(&[(row, p)], None)?;
                out[i] = s.into_iter().next();
            }
            _ => out[i] = Some(solve(p, row)?),
        }
    }
    for (_, wallet, items) in &accounts {
        for (&(row, _), s) in items.iter().zip(cross::solve_with_calc(items, Some(*wallet))?) {
            out[usize::try_from(row - 1).unwrap_or(0)] = Some(s);
        }
    }
    let solved: Vec<(&LiqPosition, Solved)> =
        positions.iter().zip(out).filter_map(|(p, s)| s.map(|s| (p, s))).collect();
    build_solved(&solved, opts)
}

fn check_options(opts: &LiqMapOptions) -> Result<(), ReportError> {
    let bad = |option: &'static str, message: String| Err(ReportError::InvalidOption { option, message });
    let limit = Decimal::from(LIMIT);
    for (coin, p) in
        opts.prices.iter().map(|(c, p)| (c.as_str(), p)).chain(opts.default_price.iter().map(|p| ("*", p)))
    {
        if *p <= Decimal::ZERO || *p > limit {
            return bad("price", format!("{coin}={p}: must be > 0 and at most 10^12"));
        }
    }
    if let Some(b) = opts.band {
        if b < Decimal::new(1, 8) || b > limit {
            return bad("band", format!("{b}: must be between 10^-8 and 10^12"));
        }
    }
    if opts.range_pct <= Decimal::ZERO || opts.range_pct > Decimal::from(1_000) {
        return bad("range", format!("{}: must be > 0 and at most 1000 (percent)", opts.range_pct));
    }
    Ok(())
}

/// Builds maps from positions whose liquidation prices are already solved (e.g. by the
/// simulator's own engine).
///
/// # Errors
/// [`ReportError::InvalidOption`] for an option out of range.
pub fn build_solved(
    solved: &[(&LiqPosition, Solved)],
    opts: &LiqMapOptions,
) -> Result<Vec<LiqMap>, ReportError> {
    check_options(opts)?;
    let mut coins: Vec<String> = Vec::new();
    for (_, s) in solved {
        if !coins.contains(&s.coin) && opts.coin.as_ref().is_none_or(|c| c.eq_ignore_ascii_case(&s.coin)) {
            coins.push(s.coin.clone());
        }
    }
    Ok(coins.iter().map(|c| one_map(c, solved, opts)).collect())
}

fn one_map(coin: &str, solved: &[(&LiqPosition, Solved)], opts: &LiqMapOptions) -> LiqMap {
    let mine: Vec<&(&LiqPosition, Solved)> = solved.iter().filter(|(_, s)| s.coin == coin).collect();
    let given = opts
        .prices
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(coin))
        .map(|(_, v)| *v)
        .or(opts.default_price);
    let reference = given.unwrap_or_else(|| {
        let (mut num, mut den) = (Decimal::ZERO, Decimal::ZERO);
        for (p, _) in &mine {
            let n = p.size.saturating_mul(p.entry_price);
            num = num.saturating_add(n.saturating_mul(p.entry_price));
            den = den.saturating_add(n);
        }
        num.checked_div(den).map_or(Decimal::ONE, |m| m.round_dp(8))
    });
    let band = opts
        .band
        .filter(|b| *b > Decimal::ZERO)
        .unwrap_or_else(|| nice_width(reference / Decimal::from(200)));
    let r = opts.range_pct.max(Decimal::ZERO) / Decimal::ONE_HUNDRED;
    let lo = reference * (Decimal::ONE - r).max(Decimal::ZERO);
    let hi = reference * (Decimal::ONE + r);
    let k_lo = (lo / band).floor();
    let k_hi = (hi / band).floor();
    let n = (k_hi - k_lo).to_u64().unwrap_or(0).min(100_000) as usize + 1;
    let nl = LEVERAGE_BANDS.len();
    let mut bands: Vec<Band> = (0..n)
        .map(|i| {
            let low = (k_lo + Decimal::from(i as u64)) * band;
            Band {
                low: low.normalize(),
                high: (low + band).normalize(),
                long: vec![Decimal::ZERO; nl],
                short: vec![Decimal::ZERO; nl],
                long_positions: 0,
                short_positions: 0,
            }
        })
        .collect();
    let mut outside = Outside::default();
    let mut on_map = 0;
    for (_, s) in &mine {
        let Some(lp) = s.liquidation_price else {
            outside.never += 1;
            continue;
        };
        let long = s.side == PositionSide::Long;
        if (long && lp >= reference) || (!long && lp <= reference) {
            outside.already += 1;
            outside.already_notional = outside.already_notional.saturating_add(s.notional);
            continue;
        }
        let k = (lp / band).floor();
        let idx = (k - k_lo).to_i64().filter(|i| *i >= 0 && (*i as usize) < n && lp >= lo && lp <= hi);
        let Some(i) = idx else {
            outside.beyond_window += 1;
            outside.beyond_window_notional = outside.beyond_window_notional.saturating_add(s.notional);
            continue;
        };
        let b = &mut bands[i as usize];
        let lb = leverage_band(s.leverage);
        if long {
            b.long[lb] = b.long[lb].saturating_add(s.notional);
            b.long_positions += 1;
        } else {
            b.short[lb] = b.short[lb].saturating_add(s.notional);
            b.short_positions += 1;
        }
        on_map += 1;
    }
    LiqMap {
        coin: coin.to_string(),
        reference_price: reference.normalize(),
        reference_given: given.is_some(),
        band,
        bands,
        positions: on_map,
        outside,
    }
}

/// A band holding much of one side's notional.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cluster {
    /// Side.
    pub side: PositionSide,
    /// Lower edge.
    pub low: Decimal,
    /// Upper edge.
    pub high: Decimal,
    /// Notional.
    pub notional: Decimal,
    /// Positions.
    pub positions: u64,
    /// The leverage band holding most of the notional.
    pub main_leverage: &'static str,
}

impl std::fmt::Display for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} of {}s liquidate between {} and {} ({} position{}, {} {})",
            usd(self.notional),
            self.side.as_str(),
            group_thousands(self.low),
            group_thousands(self.high),
            self.positions,
            if self.positions == 1 { "" } else { "s" },
            if self.positions == 1 { "at" } else { "mostly" },
            self.main_leverage
        )
    }
}

/// The `top` largest (band, side) clusters, largest first (ties: lower price first, longs first).
#[must_use]
pub fn clusters(map: &LiqMap, top: usize) -> Vec<Cluster> {
    let mut all: Vec<Cluster> = Vec::new();
    for b in &map.bands {
        for (side, v, n) in [
            (PositionSide::Long, &b.long, b.long_positions),
            (PositionSide::Short, &b.short, b.short_positions),
        ] {
            let total = sum(v);
            if total > Decimal::ZERO {
                let main =
                    v.iter().enumerate().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0))).map_or(0, |x| x.0);
                all.push(Cluster {
                    side,
                    low: b.low,
                    high: b.high,
                    notional: total,
                    positions: n,
                    main_leverage: LEVERAGE_BANDS[main].1,
                });
            }
        }
    }
    all.sort_by(|a, b| b.notional.cmp(&a.notional).then(a.low.cmp(&b.low)).then(a.side.cmp(&b.side)));
    all.truncate(top);
    all
}

/// Notional within `pct` % of the reference price: (longs below, shorts above).
#[must_use]
pub fn within(map: &LiqMap, pct: Decimal) -> (Decimal, Decimal) {
    let d = map.reference_price * pct / Decimal::ONE_HUNDRED;
    let (lo, hi) = (map.reference_price - d, map.reference_price + d);
    let mut long = Decimal::ZERO;
    let mut short = Decimal::ZERO;
    for b in &map.bands {
        if b.low >= lo && b.high <= map.reference_price {
            long = long.saturating_add(b.long_total());
        }
        if b.low >= map.reference_price && b.high <= hi {
            short = short.saturating_add(b.short_total());
        }
    }
    (long, short)
}

/// The map in words: headline clusters, then cumulative notional near the reference price and
/// what was left off. One line per fact, no trailing newline.
#[must_use]
pub fn summary_text(map: &LiqMap, top: usize) -> String {
    let mut out = Vec::new();
    out.push(format!(
        "{}: reference price {} ({}), bands of {}, {} positions on the map",
        map.coin,
        group_thousands(map.reference_price),
        if map.reference_given { "given" } else { "notional-weighted mean entry" },
        group_thousands(map.band),
        map.positions
    ));
    for c in clusters(map, top) {
        out.push(format!("  {c}"));
    }
    for pct in [1, 5, 10] {
        let (l, s) = within(map, Decimal::from(pct));
        out.push(format!("  within {pct}%: {} of longs below, {} of shorts above", usd(l), usd(s)));
    }
    let o = &map.outside;
    if o.never + o.already + o.beyond_window > 0 {
        out.push(format!(
            "  left off: {} never liquidated, {} already past the reference ({}), {} beyond the window ({})",
            o.never,
            o.already,
            usd(o.already_notional),
            o.beyond_window,
            usd(o.beyond_window_notional)
        ));
    }
    out.join("\n")
}

/// `$1.6B`, `$250M`, `$12.3K`, `$512`.
#[must_use]
pub fn usd(d: Decimal) -> String {
    format!("${}", crate::charts::short_amount(crate::charts::f(d)))
}

/// `95000.5` → `95,000.5`.
#[must_use]
pub fn group_thousands(d: Decimal) -> String {
    let s = d.normalize().to_string();
    let (sign, s) = s.strip_prefix('-').map_or(("", s.as_str()), |r| ("-", r));
    let (int, frac) = s.split_once('.').map_or((s, None), |(i, f)| (i, Some(f)));
    let mut g = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            g.push(',');
        }
        g.push(ch);
    }
    match frac {
        Some(f) => format!("{sign}{g}.{f}"),
        None => format!("{sign}{g}"),
    }
}

/// Reads positions from `path` and builds the maps.
///
/// # Errors
/// As [`read_positions`] and [`build`], errors naming the file, row and field.
pub fn build_from_file(path: &Path, opts: &LiqMapOptions) -> Result<Vec<LiqMap>, ReportError> {
    let (positions, lines) = positions::read_with_lines(path)?;
    if positions.is_empty() {
        return Err(ReportError::Positions {
            path: path.to_path_buf(),
            message: "no position in the file".into(),
        });
    }
    build(&positions, opts).map_err(|e| match e {
        ReportError::Position { row, field, message, .. } => {
            let line =
                usize::try_from(row).ok().and_then(|r| lines.get(r.wrapping_sub(1))).copied().unwrap_or(0);
            ReportError::Position { path: path.to_path_buf(), row, line, field, message }
        }
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn coins_from_symbols() {
        for (s, c) in [
            ("BTCUSDT", "BTC"),
            ("BTC-USDT-SWAP", "BTC"),
            ("BTC", "BTC"),
            ("ethusdc", "ETH"),
            ("XBTUSDT", "BTC"),
            ("SOL/USDC:USDC", "SOL"),
        ] {
            assert_eq!(coin_of(s), c, "{s}");
        }
    }

    #[test]
    fn nice_widths() {
        assert_eq!(nice_width(d("500")), d("500"));
        assert_eq!(nice_width(d("480")), d("500"));
        assert_eq!(nice_width(d("17.5")), d("20"));
        assert_eq!(nice_width(d("0.023")), d("0.025"));
    }

    #[test]
    fn thousands() {
        assert_eq!(group_thousands(d("95000")), "95,000");
        assert_eq!(group_thousands(d("1234567.25")), "1,234,567.25");
        assert_eq!(group_thousands(d("999")), "999");
    }

    /// Binance BTCUSDT isolated long, 1 BTC at 100,000, 10x: margin 10,000. Near 90,000 the
    /// notional sits in the 50,000–250,000 bracket (MMR 0.5 %, maintenance amount 50), so Binance's
    /// one-way formula gives LP = (10,000 + 50 − 100,000) / (0.005 − 1) = 90,402.01005025…,
    /// rounded down (away from the entry) to the price unit: the engine's answer, not the
    /// simplified 90,000.
    #[test]
    fn a_binance_long_liquidates_where_the_engine_says() {
        let p = LiqPosition {
            venue: Venue::Binance,
            symbol: "BTCUSDT".into(),
            side: PositionSide::Long,
            size: d("1"),
            entry_price: d("100000"),
            margin: MarginInput::Leverage(d("10")),
        };
        let s = solve(&p, 1).unwrap();
        assert_eq!(s.liquidation_price, Some(d("90402.01005025")));
        assert_eq!(s.notional, d("90402.01005025"));
        assert_eq!(s.coin, "BTC");
        assert_eq!(leverage_band(s.leverage), 1);
    }

    #[test]
    fn bad_positions_name_the_field() {
        let mut p = LiqPosition {
            venue: Venue::Binance,
            symbol: "BTCUSDT".into(),
            side: PositionSide::Short,
            size: d("1"),
            entry_price: d("100000"),
            margin: MarginInput::Leverage(d("500")),
        };
        let e = solve(&p, 3).unwrap_err().to_string();
        assert!(e.contains("row 3") && e.contains("`leverage`") && e.contains("exceeds"), "{e}");
        p.symbol = "BTCUSD_PERP".into();
        let e = solve(&p, 4).unwrap_err().to_string();
        assert!(e.contains("`symbol`") && e.contains("inverse"), "{e}");
        p.symbol = "BTCUSDT".into();
        p.size = d("0");
        assert!(solve(&p, 5).unwrap_err().to_string().contains("`size`: must be > 0"));
        // Absurd magnitudes are refused or handled, never an overflow panic.
        p.size = d("1e20");
        assert!(solve(&p, 6).unwrap_err().to_string().contains("`size`: 100000000000000000000 is beyond"));
        p.size = d("1");
        p.margin = MarginInput::LiquidationPrice(d("0.0000000000000000000000000001"));
        assert!(solve(&p, 7).is_ok());
        p.margin = MarginInput::Margin(d("0.0000000000000000000000000001"));
        assert!(solve(&p, 8).is_err());
        let opts = LiqMapOptions { band: Some(d("0")), ..LiqMapOptions::default() };
        assert!(build(&[], &opts).unwrap_err().to_string().starts_with("--band"));
    }
}
