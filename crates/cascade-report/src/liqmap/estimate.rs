//! The ESTIMATED liquidation map from open interest: where the positions opened over a look-back
//! would be liquidated, the way public liquidation heatmaps (Coinglass, Hyblock) build theirs.
//! Pure arithmetic over in-memory series: no file is read here (`oi_files.rs` reads them).
//!
//! The model, step by step (one step per open-interest row, every 5 minutes on Binance):
//!
//! 1. **Price path first.** The price bars of the step (opening in `[t_prev, t)`) liquidate every
//!    live long level whose liquidation price is at or above a bar's low and every short level at
//!    or below a bar's high: the level is removed and counted as liquidated.
//! 2. **Open-interest change, net of those liquidations.** The change is taken in base units
//!    (`sum_open_interest`), not in USD (`sum_open_interest_value`): the USD figure also moves
//!    when the price alone moves, which would open phantom positions on every rally. The base
//!    size the map's own liquidations removed in the step is added back (those closes are
//!    already accounted for), so `net = ΔOI + liquidated`.
//! 3. **An increase** (`net > 0`) is new positions entered at the step's price (the open of the
//!    price bar holding the row's time). Every contract has a long and a short; the map assumes
//!    the leveraged side that can be liquidated is the **taker** (the aggressor), the passive side
//!    being market makers hedged elsewhere. So by default the increase is split by the step's
//!    taker buy/sell volume ratio `r` (`sum_taker_long_short_vol_ratio`): longs `r / (1 + r)`,
//!    shorts the rest. The taker ratio is a flow over the same 5 minutes; the top-trader and
//!    all-account ratios ([`Split`]) are stocks (who holds what), offered as alternatives. A row
//!    without the ratio is split half and half (counted in [`Estimate::rows_without_ratio`]).
//! 4. Each side's new size is spread over the leverage mix ([`default_mix`], or the user's), and
//!    each part's liquidation price is the venue's own (isolated margin, the venue's tier table,
//!    solved by the engine through [`super::solve`]) for a representative position of
//!    [`EstimateOptions::position_notional`] at that entry: the tier a retail-sized position sits
//!    in, since open interest is many small positions, not one large one.
//! 5. **A decrease** (`net < 0`) closes positions proportionally across the whole open
//!    interest: every position is as likely to close, whether the map knows it or it was opened
//!    before the look-back. So every live level, long and short, old and new, loses the same
//!    fraction `|net| / (open interest before the step − the step's liquidations)`; the rest of
//!    the decrease closes positions the map never knew ([`Estimate::closed_unmapped`]).
//!
//! The first row's open interest is the starting level: positions open before the look-back
//! have unknown entries and are not on the map. The result is an estimate of where liquidations
//! may cluster, not a record of positions; [`assumptions`] states it in words for every output.

use std::collections::BTreeMap;

use cascade_engine::margin::Venue;
use cascade_sim::metrics::PositionSide;
use rust_decimal::Decimal;
use serde::Serialize;

use super::{LiqPosition, MarginInput, coin_of, solve};

/// One open-interest row: time, open interest in base units, the published long/short ratios.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OiPoint {
    /// Row number in its file (1-based, header not counted), for errors.
    pub row: u64,
    /// Statistics time, Unix ms UTC.
    pub time_ms: i64,
    /// Open interest, base units.
    pub open_interest: Decimal,
    /// Taker buy/sell volume ratio over the interval.
    pub taker_ratio: Option<Decimal>,
    /// Top traders' long/short ratio by positions.
    pub top_position_ratio: Option<Decimal>,
    /// All accounts' long/short ratio.
    pub account_ratio: Option<Decimal>,
}

/// One price bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceBar {
    /// Open time, Unix ms UTC.
    pub open_time: i64,
    /// Close time, Unix ms UTC (inclusive, `open_time + 59 999` for a minute bar).
    pub close_time: i64,
    /// Open.
    pub open: Decimal,
    /// High.
    pub high: Decimal,
    /// Low.
    pub low: Decimal,
    /// Close.
    pub close: Decimal,
}

/// Which published ratio splits new open interest between longs and shorts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Split {
    /// Taker buy/sell volume ratio of the interval (the default: a flow, see the module doc).
    #[default]
    Taker,
    /// Top traders' long/short ratio by positions.
    TopTrader,
    /// All accounts' long/short ratio.
    Accounts,
}

impl Split {
    /// Its name on the command line.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Split::Taker => "taker",
            Split::TopTrader => "top-trader",
            Split::Accounts => "accounts",
        }
    }

    /// The metrics column it reads.
    #[must_use]
    pub const fn column(self) -> &'static str {
        match self {
            Split::Taker => "sum_taker_long_short_vol_ratio",
            Split::TopTrader => "sum_toptrader_long_short_ratio",
            Split::Accounts => "count_long_short_ratio",
        }
    }

    fn ratio(self, p: &OiPoint) -> Option<Decimal> {
        match self {
            Split::Taker => p.taker_ratio,
            Split::TopTrader => p.top_position_ratio,
            Split::Accounts => p.account_ratio,
        }
    }
}

impl std::str::FromStr for Split {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "taker" => Ok(Split::Taker),
            "top-trader" => Ok(Split::TopTrader),
            "accounts" => Ok(Split::Accounts),
            other => Err(format!("unknown split `{other}` (expected taker, top-trader or accounts)")),
        }
    }
}

/// A share of new positions taken at one leverage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LeverageShare {
    /// Leverage (> 0).
    pub leverage: Decimal,
    /// Share of the new size (the shares sum to 1).
    pub weight: Decimal,
}

/// The default leverage mix: 5x 30 %, 10x 30 %, 25x 20 %, 50x 12 %, 100x 8 %. An assumption in
/// the spirit of the public heatmaps (which do not publish theirs): most open interest at
/// moderate leverage, a thin tail at the highest; override it when a better guess is known.
#[must_use]
pub fn default_mix() -> Vec<LeverageShare> {
    [(5, 30), (10, 30), (25, 20), (50, 12), (100, 8)]
        .iter()
        .map(|&(l, w)| LeverageShare { leverage: Decimal::from(l), weight: Decimal::new(w, 2) })
        .collect()
}

/// Parses a leverage mix `5=0.3,10=0.3,25=0.2,50=0.12,100=0.08` (an `x` after the leverage is
/// allowed: `5x=0.3`). The weights must be > 0 and sum to exactly 1; leverages distinct and > 0.
///
/// # Errors
/// A message naming the bad entry.
pub fn parse_mix(spec: &str) -> Result<Vec<LeverageShare>, String> {
    let mut out: Vec<LeverageShare> = Vec::new();
    for part in spec.split(',') {
        let part = part.trim();
        let (l, w) = part
            .split_once('=')
            .ok_or_else(|| format!("`{part}`: expected LEVERAGE=WEIGHT, e.g. 10x=0.3"))?;
        let l = l.trim().trim_end_matches(['x', 'X']);
        let leverage: Decimal = l.parse().map_err(|_| format!("`{part}`: leverage `{l}` is not a number"))?;
        let weight: Decimal =
            w.trim().parse().map_err(|_| format!("`{part}`: weight `{}` is not a number", w.trim()))?;
        if leverage <= Decimal::ZERO || leverage > Decimal::from(1_000) {
            return Err(format!("`{part}`: leverage must be > 0 and at most 1000"));
        }
        if weight <= Decimal::ZERO || weight > Decimal::ONE {
            return Err(format!("`{part}`: weight must be > 0 and at most 1"));
        }
        if out.iter().any(|s| s.leverage == leverage) {
            return Err(format!("`{part}`: leverage {leverage}x is listed twice"));
        }
        out.push(LeverageShare { leverage, weight });
    }
    check_mix(&out)?;
    Ok(out)
}

fn check_mix(mix: &[LeverageShare]) -> Result<(), String> {
    if mix.is_empty() {
        return Err("the leverage mix is empty".into());
    }
    let total: Decimal = mix.iter().map(|s| s.weight).sum();
    if total != Decimal::ONE {
        return Err(format!("the weights sum to {total}, not 1"));
    }
    Ok(())
}

/// Options of the estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct EstimateOptions {
    /// Ratio splitting new open interest between longs and shorts.
    pub split: Split,
    /// Leverage mix of new positions.
    pub mix: Vec<LeverageShare>,
    /// Notional of the representative position whose tier sets the liquidation price (quote
    /// currency; default 10,000).
    pub position_notional: Decimal,
}

impl Default for EstimateOptions {
    fn default() -> Self {
        Self { split: Split::Taker, mix: default_mix(), position_notional: Decimal::from(10_000) }
    }
}

/// One open-interest series with its price path: a venue's symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OiSource {
    /// Venue whose margin rules apply.
    pub venue: Venue,
    /// Symbol (`BTCUSDT`).
    pub symbol: String,
    /// Open-interest rows, time-ordered.
    pub oi: Vec<OiPoint>,
    /// Price bars, time-ordered.
    pub prices: Vec<PriceBar>,
}

/// A live estimated level: positions entered at one step, side and leverage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Level {
    /// Side.
    pub side: PositionSide,
    /// Leverage of the mix.
    pub leverage: Decimal,
    /// Entry time, Unix ms UTC.
    pub entry_time_ms: i64,
    /// Entry price.
    pub entry_price: Decimal,
    /// Liquidation price (venue formula, isolated).
    pub liquidation_price: Decimal,
    /// Size still open, base units.
    pub size: Decimal,
}

impl Level {
    /// Notional liquidated at the liquidation price: size × liquidation price.
    #[must_use]
    pub fn notional(&self) -> Decimal {
        (self.size * self.liquidation_price).round_dp(2)
    }
}

/// A time × price grid the live levels are sampled on (the heatmap's cells).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grid {
    /// Column edges, Unix ms UTC, increasing (`columns + 1`).
    pub times: Vec<i64>,
    /// Lowest band's lower edge.
    pub low: Decimal,
    /// Band width.
    pub band: Decimal,
    /// Number of bands.
    pub bands: usize,
}

impl Grid {
    /// A grid of at most `columns` equal columns over `[start, end]` and price bands of `band`
    /// from `low` up to `high`.
    #[must_use]
    pub fn new(start: i64, end: i64, columns: usize, low: Decimal, high: Decimal, band: Decimal) -> Self {
        let span = (end - start).max(1);
        let n = i64::try_from(columns.max(1)).unwrap_or(1).min(span);
        let times = (0..=n).map(|c| start + span * c / n).collect();
        let k_lo = (low / band).floor();
        let bands = ((high / band).floor() - k_lo + Decimal::ONE).to_string().parse::<usize>().unwrap_or(1);
        Self { times, low: k_lo * band, band, bands: bands.clamp(1, 100_000) }
    }

    /// The band holding `price`, if on the grid.
    #[must_use]
    pub fn band_of(&self, price: Decimal) -> Option<usize> {
        if price < self.low {
            return None;
        }
        let k = ((price - self.low) / self.band).floor().to_string().parse::<usize>().ok()?;
        (k < self.bands).then_some(k)
    }

    /// Number of columns.
    #[must_use]
    pub fn columns(&self) -> usize {
        self.times.len().saturating_sub(1)
    }
}

/// What the estimate of one source found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    /// `Binance BTCUSDT`.
    pub label: String,
    /// Venue.
    #[serde(serialize_with = "venue_name")]
    pub venue: Venue,
    /// Symbol.
    pub symbol: String,
    /// Coin (`BTC`).
    pub coin: String,
    /// First and last open-interest row used, Unix ms UTC.
    pub start_ms: i64,
    /// Last row used.
    pub end_ms: i64,
    /// Price at the last row (the open of its bar): the map's reference.
    pub last_price: Decimal,
    /// Levels still live at the end, by entry time, then side, then leverage.
    pub levels: Vec<Level>,
    /// Open-interest steps taken (rows used − 1).
    pub steps: u64,
    /// Rows outside the price file's span, not used.
    pub rows_outside: u64,
    /// Rows whose split ratio was empty (split half and half).
    pub rows_without_ratio: u64,
    /// Notional the price path liquidated (at the liquidation prices): longs.
    pub liquidated_long: Decimal,
    /// Same, shorts.
    pub liquidated_short: Decimal,
    /// Base size opened on the map over the look-back.
    pub opened: Decimal,
    /// Base size removed from the map by open-interest decreases.
    pub closed: Decimal,
    /// Base size of decreases that closed positions the map never knew (opened before the
    /// look-back).
    pub closed_unmapped: Decimal,
    /// Live liquidation notional per grid column and band: longs (`[column][band]`).
    #[serde(skip)]
    pub heat_long: Vec<Vec<Decimal>>,
    /// Same, shorts.
    #[serde(skip)]
    pub heat_short: Vec<Vec<Decimal>>,
    /// The price path over the used span: `(close_time + 1, close)` per bar.
    #[serde(skip)]
    pub price_line: Vec<(i64, Decimal)>,
}

fn venue_name<S: serde::Serializer>(v: &Venue, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v.name())
}

/// Why an estimate cannot be made; the reader of the files adds the file names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EstimateError {
    /// An open-interest row is refused (`row` as in its file).
    Row {
        /// Row number.
        row: u64,
        /// Column.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The two series do not overlap enough to take a single step.
    NoOverlap {
        /// Open-interest rows' span, Unix ms.
        oi: (i64, i64),
        /// Price bars' span, Unix ms.
        prices: (i64, i64),
        /// Rows inside the price span.
        inside: usize,
    },
    /// The options are unusable.
    Options(String),
}

impl std::fmt::Display for EstimateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EstimateError::Row { row, field, message } => write!(f, "row {row}, field `{field}`: {message}"),
            EstimateError::NoOverlap { oi, prices, inside } => write!(
                f,
                "the open-interest rows ({} to {}) and the price bars ({} to {}) do not overlap in time: \
                 {inside} row{} inside the price span, at least 2 needed",
                cascade_io::utc_text(oi.0),
                cascade_io::utc_text(oi.1),
                cascade_io::utc_text(prices.0),
                cascade_io::utc_text(prices.1),
                if *inside == 1 { " lies" } else { "s lie" },
            ),
            EstimateError::Options(m) => f.write_str(m),
        }
    }
}

/// The rows of `oi` inside the price span (first bar's open to last bar's close), and how many
/// fall outside.
///
/// # Errors
/// [`EstimateError::NoOverlap`] when fewer than two rows fall inside.
pub fn overlap(src: &OiSource) -> Result<(&[OiPoint], u64), EstimateError> {
    let (Some(first), Some(last)) = (src.prices.first(), src.prices.last()) else {
        return Err(EstimateError::Options("the price file has no bar".into()));
    };
    let (a, b) = (first.open_time, last.close_time);
    let lo = src.oi.partition_point(|p| p.time_ms < a);
    let hi = src.oi.partition_point(|p| p.time_ms <= b);
    let inside = &src.oi[lo..hi.max(lo)];
    if inside.len() < 2 {
        let span = (src.oi.first().map_or(0, |p| p.time_ms), src.oi.last().map_or(0, |p| p.time_ms));
        return Err(EstimateError::NoOverlap { oi: span, prices: (a, b), inside: inside.len() });
    }
    Ok((inside, (src.oi.len() - inside.len()) as u64))
}

/// The estimate's assumptions, one sentence each: printed on the page and written into the CSV
/// and JSON so no copy of the numbers travels without them.
#[must_use]
pub fn assumptions(opts: &EstimateOptions) -> Vec<String> {
    let mix = opts
        .mix
        .iter()
        .map(|s| format!("{}x {}%", s.leverage.normalize(), (s.weight * Decimal::ONE_HUNDRED).normalize()))
        .collect::<Vec<_>>()
        .join(", ");
    vec![
        "ESTIMATE, not positions: where positions opened over the look-back would be liquidated, \
         inferred from open interest and the price path."
            .into(),
        "Open interest is read in base units (sum_open_interest); each 5-minute increase, net of the \
         map's own liquidations in that step, is new positions entered at the step's price (the open of \
         the price bar holding the row's time). Positions open before the first row are not mapped."
            .into(),
        format!(
            "New positions are split long/short by the {} ratio r ({}): longs r/(1+r), shorts the rest; \
             the taker side is taken for the leveraged side. A row without it is split half and half.",
            opts.split.name(),
            opts.split.column()
        ),
        format!("Leverage mix of new positions: {mix}."),
        format!(
            "Liquidation prices: the venue's isolated-margin formula and tier table (cascade-engine), for a \
             representative position of {} quote currency at the entry.",
            opts.position_notional.normalize()
        ),
        "A decrease (net of the step's liquidations) closes the same fraction of every position, mapped \
         or opened before the look-back: each live level loses |decrease| / (open interest before it)."
            .into(),
        "A level is liquidated (removed) when a later price bar's low reaches a long's liquidation price \
         or its high a short's."
            .into(),
    ]
}

/// The price at `t`: the open of the bar holding it (`open_time ≤ t ≤ close_time`).
fn price_at(bars: &[PriceBar], t: i64) -> Option<Decimal> {
    let i = bars.partition_point(|b| b.open_time <= t);
    let b = bars.get(i.checked_sub(1)?)?;
    (t <= b.close_time).then_some(b.open)
}

/// Liquidation price (long, short) per (entry price, leverage), solved once each.
type LpCache = BTreeMap<(Decimal, Decimal), (Option<Decimal>, Option<Decimal>)>;

fn liquidation_prices(
    src: &OiSource,
    opts: &EstimateOptions,
    price: Decimal,
    leverage: Decimal,
    row: u64,
    cache: &mut LpCache,
) -> Result<(Option<Decimal>, Option<Decimal>), EstimateError> {
    if let Some(x) = cache.get(&(price, leverage)) {
        return Ok(*x);
    }
    // A representative size: the notional at this entry, to 6 decimals (at least 10^-6).
    let size = (opts.position_notional / price).round_dp(6).max(Decimal::new(1, 6));
    let one = |side| -> Result<Option<Decimal>, EstimateError> {
        let p = LiqPosition {
            venue: src.venue,
            symbol: src.symbol.clone(),
            side,
            size,
            entry_price: price,
            margin: MarginInput::Leverage(leverage),
        };
        let s = solve(&p, row).map_err(|e| EstimateError::Row {
            row,
            field: "leverage",
            message: format!(
                "{leverage}x at {price} on {} {}: {}",
                src.venue,
                src.symbol,
                match e {
                    crate::ReportError::Position { field, message, .. } => format!("{field}: {message}"),
                    other => other.to_string(),
                }
            ),
        })?;
        Ok(s.liquidation_price.filter(|x| *x < Decimal::MAX))
    };
    let pair = (one(PositionSide::Long)?, one(PositionSide::Short)?);
    cache.insert((price, leverage), pair);
    Ok(pair)
}

/// Runs the model over one source, sampling the live levels on `grid` (see the module doc).
///
/// # Errors
/// [`EstimateError`] naming the row: a time not after the previous row's, a row inside the
/// price span that no bar covers, a leverage the venue's tier refuses; no overlap; a bad mix.
pub fn estimate(src: &OiSource, opts: &EstimateOptions, grid: &Grid) -> Result<Estimate, EstimateError> {
    check_mix(&opts.mix).map_err(EstimateError::Options)?;
    if opts.position_notional <= Decimal::ZERO || opts.position_notional > Decimal::from(super::LIMIT) {
        return Err(EstimateError::Options(format!(
            "the representative position notional must be > 0 and at most 10^12 (got {})",
            opts.position_notional
        )));
    }
    for w in src.oi.windows(2) {
        if w[1].time_ms <= w[0].time_ms {
            return Err(EstimateError::Row {
                row: w[1].row,
                field: "create_time",
                message: format!(
                    "{} is not after the previous row's {}",
                    cascade_io::utc_text(w[1].time_ms),
                    cascade_io::utc_text(w[0].time_ms)
                ),
            });
        }
    }
    if src.prices.windows(2).any(|w| w[1].open_time <= w[0].open_time) {
        return Err(EstimateError::Options("the price bars are not in time order".into()));
    }
    let (rows, rows_outside) = overlap(src)?;
    let bars = &src.prices;
    let mut prices = Vec::with_capacity(rows.len());
    for r in rows {
        let p = price_at(bars, r.time_ms).ok_or_else(|| EstimateError::Row {
            row: r.row,
            field: "create_time",
            message: format!(
                "no price bar covers {} (the price file has a gap there)",
                cascade_io::utc_text(r.time_ms)
            ),
        })?;
        prices.push(p);
    }
    let mut cache = LpCache::new();
    let mut levels: Vec<Level> = Vec::new();
    let mut est = Estimate {
        label: format!("{} {}", venue_title(src.venue), src.symbol),
        venue: src.venue,
        symbol: src.symbol.clone(),
        coin: coin_of(&src.symbol),
        start_ms: rows[0].time_ms,
        end_ms: rows[rows.len() - 1].time_ms,
        last_price: prices[prices.len() - 1],
        levels: Vec::new(),
        steps: (rows.len() - 1) as u64,
        rows_outside,
        rows_without_ratio: 0,
        liquidated_long: Decimal::ZERO,
        liquidated_short: Decimal::ZERO,
        opened: Decimal::ZERO,
        closed: Decimal::ZERO,
        closed_unmapped: Decimal::ZERO,
        heat_long: vec![vec![Decimal::ZERO; grid.bands]; grid.columns()],
        heat_short: vec![vec![Decimal::ZERO; grid.bands]; grid.columns()],
        price_line: Vec::new(),
    };
    let mut column = 0usize;
    // Columns ending before the first row have no state: left empty.
    while column < grid.columns() && grid.times[column + 1] < rows[0].time_ms {
        column += 1;
    }
    let mut bar = bars.partition_point(|b| b.open_time < rows[0].time_ms);
    for i in 1..rows.len() {
        let t1 = rows[i].time_ms;
        // 1. The price path of the step.
        let mut liquidated = Decimal::ZERO;
        while bar < bars.len() && bars[bar].open_time < t1 {
            let b = bars[bar];
            est.price_line.push((b.close_time + 1, b.close));
            levels.retain(|l| {
                let hit = match l.side {
                    PositionSide::Long => b.low <= l.liquidation_price,
                    PositionSide::Short => b.high >= l.liquidation_price,
                };
                if hit {
                    liquidated += l.size;
                    match l.side {
                        PositionSide::Long => est.liquidated_long += l.notional(),
                        PositionSide::Short => est.liquidated_short += l.notional(),
                    }
                }
                !hit
            });
            bar += 1;
        }
        // 2. The open-interest change net of those liquidations.
        let net = rows[i].open_interest - rows[i - 1].open_interest + liquidated;
        let price = prices[i];
        if net > Decimal::ZERO {
            // 3–4. New positions at the step's price, split and spread over the mix.
            let ratio = opts.split.ratio(&rows[i]);
            if ratio.is_none() {
                est.rows_without_ratio += 1;
            }
            let r = ratio.unwrap_or(Decimal::ONE);
            let long_share = r / (Decimal::ONE + r);
            est.opened += net;
            for share in &opts.mix {
                let (lp_long, lp_short) =
                    liquidation_prices(src, opts, price, share.leverage, rows[i].row, &mut cache)?;
                for (side, frac, lp) in [
                    (PositionSide::Long, long_share, lp_long),
                    (PositionSide::Short, Decimal::ONE - long_share, lp_short),
                ] {
                    let size = (net * share.weight * frac).round_dp(12);
                    if let Some(lp) = lp
                        && size > Decimal::ZERO
                    {
                        levels.push(Level {
                            side,
                            leverage: share.leverage,
                            entry_time_ms: t1,
                            entry_price: price,
                            liquidation_price: lp,
                            size,
                        });
                    }
                }
            }
        } else if net < Decimal::ZERO {
            // 5. Proportional close over the whole open interest.
            let mapped: Decimal = levels.iter().map(|l| l.size).sum();
            let close = -net;
            let open = (rows[i - 1].open_interest - liquidated).max(mapped);
            if open <= Decimal::ZERO || close >= open {
                est.closed += mapped;
                est.closed_unmapped += close - mapped;
                levels.clear();
            } else {
                let keep = Decimal::ONE - close / open;
                let mut removed = Decimal::ZERO;
                for l in &mut levels {
                    let size = (l.size * keep).round_dp(12);
                    removed += l.size - size;
                    l.size = size;
                }
                est.closed += removed;
                est.closed_unmapped += close - removed;
                levels.retain(|l| l.size > Decimal::ZERO);
            }
        }
        // Sample the state, valid over [t1, next row), on the columns ending there (each column
        // shows the state at its end; the last one the final state).
        let next = rows.get(i + 1).map_or(t1 + 1, |r| r.time_ms);
        while column < grid.columns() && grid.times[column + 1] < next {
            if grid.times[column + 1] >= t1 {
                for l in &levels {
                    if let Some(k) = grid.band_of(l.liquidation_price) {
                        let cell = match l.side {
                            PositionSide::Long => &mut est.heat_long[column][k],
                            PositionSide::Short => &mut est.heat_short[column][k],
                        };
                        *cell += l.notional();
                    }
                }
            }
            column += 1;
        }
    }
    levels.sort_by_key(|l| (l.entry_time_ms, l.side, l.leverage));
    est.levels = levels;
    Ok(est)
}

/// `Binance`, `Bybit`…: the venue as a title.
#[must_use]
pub fn venue_title(v: Venue) -> String {
    let n = v.name();
    let mut c = n.chars();
    c.next().map_or_else(String::new, |f| f.to_ascii_uppercase().to_string() + c.as_str())
}

/// `(price, cumulative notional)` points.
pub type Curve = Vec<(Decimal, Decimal)>;

/// Live liquidation notional at the end by side, cumulated outwards from the last price: for
/// each band edge below it the longs liquidated if the price fell there, above it the shorts if
/// it rose there. Returns `(price, cumulative)` points for longs (descending prices) and shorts
/// (ascending).
#[must_use]
pub fn cumulative(est: &Estimate, grid: &Grid) -> (Curve, Curve) {
    let mut long_by_band = vec![Decimal::ZERO; grid.bands];
    let mut short_by_band = vec![Decimal::ZERO; grid.bands];
    for l in &est.levels {
        if let Some(k) = grid.band_of(l.liquidation_price) {
            match l.side {
                PositionSide::Long => long_by_band[k] += l.notional(),
                PositionSide::Short => short_by_band[k] += l.notional(),
            }
        }
    }
    let m = est.last_price;
    let edge = |k: usize| grid.low + grid.band * Decimal::from(k as u64);
    let mut longs = vec![(m, Decimal::ZERO)];
    let mut acc = Decimal::ZERO;
    for k in (0..grid.bands).rev() {
        if edge(k) >= m {
            continue;
        }
        acc += long_by_band[k];
        longs.push((edge(k), acc));
    }
    let mut shorts = vec![(m, Decimal::ZERO)];
    let mut acc = Decimal::ZERO;
    for (k, v) in short_by_band.iter().enumerate() {
        if edge(k + 1) <= m {
            continue;
        }
        acc += *v;
        shorts.push((edge(k + 1), acc));
    }
    (longs, shorts)
}

/// Estimated maps of one coin: every source on one grid, with the assumptions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OiMap {
    /// Always `true`: the map is an estimate (written so into the JSON).
    pub estimate: bool,
    /// Coin (`BTC`).
    pub coin: String,
    /// The grid the heat is sampled on.
    pub grid: Grid,
    /// One estimate per source (venue and symbol), in the order given.
    pub sources: Vec<Estimate>,
    /// The assumptions, one sentence each.
    pub assumptions: Vec<String>,
}

impl OiMap {
    /// First and last row used over the sources, Unix ms UTC.
    #[must_use]
    pub fn span(&self) -> (i64, i64) {
        let a = self.sources.iter().map(|e| e.start_ms).min().unwrap_or(0);
        let b = self.sources.iter().map(|e| e.end_ms).max().unwrap_or(0);
        (a, b)
    }

    /// The reference price: the first source's last price.
    #[must_use]
    pub fn last_price(&self) -> Decimal {
        self.sources.first().map_or(Decimal::ZERO, |e| e.last_price)
    }
}

/// Most columns of a heatmap.
pub const MAX_COLUMNS: usize = 240;

/// Builds one map per coin (in first-seen order) from `sources`: a shared grid over the sources'
/// used spans, the price range widened by `range_pct` percent each way, bands of `band` (default
/// a round number near 0.5 % of the last price).
///
/// # Errors
/// The index of the source that failed and why.
pub fn build_oi_maps(
    sources: &[OiSource],
    opts: &EstimateOptions,
    band: Option<Decimal>,
    range_pct: Decimal,
) -> Result<Vec<OiMap>, (usize, EstimateError)> {
    if range_pct <= Decimal::ZERO || range_pct > Decimal::from(1_000) {
        return Err((
            0,
            EstimateError::Options(format!("--range {range_pct}: must be > 0 and at most 1000")),
        ));
    }
    let mut coins: Vec<String> = Vec::new();
    for s in sources {
        let c = coin_of(&s.symbol);
        if !coins.contains(&c) {
            coins.push(c);
        }
    }
    let mut maps = Vec::new();
    for coin in coins {
        let mine: Vec<(usize, &OiSource)> =
            sources.iter().enumerate().filter(|(_, s)| coin_of(&s.symbol) == coin).collect();
        let (mut start, mut end, mut steps) = (i64::MAX, i64::MIN, 0usize);
        let (mut lo, mut hi, mut last) = (Decimal::MAX, Decimal::ZERO, None);
        for &(i, s) in &mine {
            let (rows, _) = overlap(s).map_err(|e| (i, e))?;
            let (a, b) = (rows[0].time_ms, rows[rows.len() - 1].time_ms);
            start = start.min(a);
            end = end.max(b);
            steps = steps.max(rows.len() - 1);
            for bar in s.prices.iter().filter(|x| x.close_time >= a && x.open_time <= b) {
                lo = lo.min(bar.low);
                hi = hi.max(bar.high);
            }
            last.get_or_insert(price_at(&s.prices, b).unwrap_or(hi));
        }
        let r = range_pct / Decimal::ONE_HUNDRED;
        let reference = last.unwrap_or(Decimal::ONE);
        let width = match band {
            Some(b) if b >= Decimal::new(1, 8) => b,
            Some(b) => {
                return Err((0, EstimateError::Options(format!("--band {b}: must be at least 10^-8"))));
            }
            None => super::nice_width(reference / Decimal::from(200)),
        };
        let low = (lo * (Decimal::ONE - r)).max(Decimal::ZERO);
        let high = hi * (Decimal::ONE + r);
        let grid = Grid::new(start, end, steps.min(MAX_COLUMNS), low, high, width);
        let mut out = Vec::with_capacity(mine.len());
        for &(i, s) in &mine {
            out.push(estimate(s, opts, &grid).map_err(|e| (i, e))?);
        }
        maps.push(OiMap { estimate: true, coin, grid, sources: out, assumptions: assumptions(opts) });
    }
    Ok(maps)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    const T0: i64 = 1_762_041_600_000; // 2025-11-02 00:00 UTC
    const M5: i64 = 300_000;

    fn bar(i: i64, open: &str, high: &str, low: &str, close: &str) -> PriceBar {
        PriceBar {
            open_time: T0 + i * M5,
            close_time: T0 + (i + 1) * M5 - 1,
            open: d(open),
            high: d(high),
            low: d(low),
            close: d(close),
        }
    }

    fn row(i: i64, oi: &str, taker: Option<&str>) -> OiPoint {
        OiPoint {
            row: i as u64 + 1,
            time_ms: T0 + i * M5,
            open_interest: d(oi),
            taker_ratio: taker.map(d),
            top_position_ratio: None,
            account_ratio: None,
        }
    }

    fn ten_x() -> EstimateOptions {
        EstimateOptions {
            mix: vec![LeverageShare { leverage: d("10"), weight: Decimal::ONE }],
            ..EstimateOptions::default()
        }
    }

    fn grid() -> Grid {
        Grid::new(T0, T0 + 2 * M5, 2, d("80000"), d("120000"), d("1000"))
    }

    /// Binance BTCUSDT, 10x, a representative 10,000 USDT position (0.1 BTC at 100,000) sits in
    /// tier 1 (MMR 0.4 %, maintenance amount 0), isolated margin 1,000. Binance's formula
    /// LP = (WB − side·size·entry + cum) / (size·MMR − side·size):
    /// long  (1,000 − 10,000) / (0.0004 − 0.1) = 90,361.4457831325… → 90,361.4457831 (down);
    /// short (1,000 + 10,000) / (0.0004 + 0.1) = 109,561.7529880478… → 109,561.7529881 (up):
    /// rounded away from the entry to the price unit, 10^-7 beside a one-decimal size (price and
    /// size decimals share the ledger's 8).
    const LP_LONG: &str = "90361.4457831";
    const LP_SHORT: &str = "109561.7529881";

    /// Open interest 100 → 200 → 150 BTC: +100 BTC at 100,000 (+$10M) with a taker ratio 3
    /// (longs 3/4: 75 BTC long, 25 short), then −50 BTC at 100,000 (−$5M) with nothing
    /// liquidated: 50 of the 200 BTC open close, a quarter of every position, so each level
    /// keeps 3/4 and the other 25 BTC closed were opened before the look-back.
    #[test]
    fn an_increase_then_a_decrease_close_a_quarter_of_each_level() {
        let src = OiSource {
            venue: Venue::Binance,
            symbol: "BTCUSDT".into(),
            oi: vec![row(0, "100", Some("1")), row(1, "200", Some("3")), row(2, "150", Some("0.5"))],
            prices: vec![
                bar(0, "100000", "100500", "99500", "100000"),
                bar(1, "100000", "100500", "99500", "100000"),
                bar(2, "100000", "100500", "99500", "100000"),
            ],
        };
        let e = estimate(&src, &ten_x(), &grid()).unwrap();
        assert_eq!(e.steps, 2);
        assert_eq!((e.opened, e.closed, e.closed_unmapped), (d("100"), d("25"), d("25")));
        assert_eq!(e.levels.len(), 2);
        let (long, short) = (&e.levels[0], &e.levels[1]);
        assert_eq!(long.side, PositionSide::Long);
        assert_eq!(long.liquidation_price, d(LP_LONG));
        assert_eq!(long.entry_price, d("100000"));
        assert_eq!(long.entry_time_ms, T0 + M5);
        // 100 BTC × 3/4 = 75 BTC long, then a quarter closed: 56.25 BTC.
        assert_eq!(long.size, d("56.25"));
        // 56.25 × 90,361.4457831 = 5,082,831.325299375 → 5,082,831.33.
        assert_eq!(long.notional(), d("5082831.33"));
        assert_eq!(short.side, PositionSide::Short);
        assert_eq!(short.liquidation_price, d(LP_SHORT));
        // 25 BTC short, a quarter closed: 18.75 BTC.
        assert_eq!(short.size, d("18.75"));
        // 18.75 × 109,561.7529881 = 2,054,282.868526875 → 2,054,282.87.
        assert_eq!(short.notional(), d("2054282.87"));
        assert_eq!((e.liquidated_long, e.liquidated_short), (d("0"), d("0")));
        // The heat after the last row: the long in the 90,000–91,000 band, the short in 109,000.
        let g = grid();
        let last = e.heat_long.len() - 1;
        assert_eq!(e.heat_long[last][g.band_of(d("90500")).unwrap()], d("5082831.33"));
        assert_eq!(e.heat_short[last][g.band_of(d("109500")).unwrap()], d("2054282.87"));
        // Column 0 (00:00–00:05, sampled at its end) holds the state before the decrease:
        // 75 × 90,361.4457831 = 6,777,108.4337325 → 6,777,108.43.
        assert_eq!(e.heat_long[0][g.band_of(d("90500")).unwrap()], d("6777108.43"));
    }

    /// The same +100 BTC, but the next bar's low (90,000) crosses the long's 90,361.4457831:
    /// the 75 BTC long is liquidated (75 × 90,361.4457831 = 6,777,108.43 at its price) and the
    /// −50 BTC change is net −50 + 75 = +25 BTC of new positions at the third bar's open.
    #[test]
    fn a_price_crossing_removes_a_level() {
        let src = OiSource {
            venue: Venue::Binance,
            symbol: "BTCUSDT".into(),
            oi: vec![row(0, "1000", Some("1")), row(1, "1100", Some("3")), row(2, "1050", Some("1"))],
            prices: vec![
                bar(0, "100000", "100500", "99500", "100000"),
                bar(1, "100000", "100000", "90000", "91000"),
                bar(2, "91000", "91500", "90500", "91000"),
            ],
        };
        let e = estimate(&src, &ten_x(), &grid()).unwrap();
        assert_eq!(e.liquidated_long, d("6777108.43"));
        assert_eq!(e.liquidated_short, d("0"));
        assert_eq!((e.opened, e.closed), (d("125"), d("0")));
        // Left: the first short (25 BTC at 109,561.75…), and the new 12.5/12.5 at 91,000.
        let sides: Vec<(PositionSide, Decimal, Decimal)> =
            e.levels.iter().map(|l| (l.side, l.entry_price, l.size)).collect();
        assert_eq!(
            sides,
            vec![
                (PositionSide::Short, d("100000"), d("25")),
                (PositionSide::Long, d("91000"), d("12.5")),
                (PositionSide::Short, d("91000"), d("12.5")),
            ]
        );
        assert!(e.levels.iter().all(|l| l.liquidation_price != d(LP_LONG)));
    }

    #[test]
    fn rows_out_of_order_and_no_overlap_are_named() {
        let mut src = OiSource {
            venue: Venue::Binance,
            symbol: "BTCUSDT".into(),
            oi: vec![row(0, "1000", None), row(1, "1100", None)],
            prices: vec![bar(10, "100000", "100500", "99500", "100000")],
        };
        let e = estimate(&src, &ten_x(), &grid()).unwrap_err();
        assert!(matches!(e, EstimateError::NoOverlap { inside: 0, .. }), "{e}");
        assert!(e.to_string().contains("do not overlap in time"), "{e}");
        src.oi[1].time_ms = src.oi[0].time_ms;
        let e = estimate(&src, &ten_x(), &grid()).unwrap_err().to_string();
        assert!(e.starts_with("row 2, field `create_time`: ") && e.contains("not after"), "{e}");
    }

    #[test]
    fn mixes_parse_and_refuse() {
        let m = parse_mix("5x=0.5, 10=0.5").unwrap();
        assert_eq!(m[0].leverage, d("5"));
        assert!(parse_mix("5=0.5,10=0.4").unwrap_err().contains("sum to 0.9"));
        assert!(parse_mix("5=0.5,5=0.5").unwrap_err().contains("twice"));
        assert!(parse_mix("ten=1").unwrap_err().contains("not a number"));
        assert_eq!(default_mix().iter().map(|s| s.weight).sum::<Decimal>(), Decimal::ONE);
    }

    #[test]
    fn a_leverage_the_tier_refuses_is_an_error() {
        let src = OiSource {
            venue: Venue::Binance,
            symbol: "BTCUSDT".into(),
            oi: vec![row(0, "1000", None), row(1, "1100", None)],
            prices: vec![bar(0, "100000", "100500", "99500", "100000"), bar(1, "100000", "1", "1", "1")],
        };
        let opts = EstimateOptions {
            mix: vec![LeverageShare { leverage: d("200"), weight: Decimal::ONE }],
            ..EstimateOptions::default()
        };
        let e = estimate(&src, &opts, &grid()).unwrap_err().to_string();
        assert!(e.starts_with("row 2, field `leverage`") && e.contains("exceeds"), "{e}");
    }
}
