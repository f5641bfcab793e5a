//! A read-only index over a [`Recording`]: its markets and venues in the order they first
//! appear, the rows of each, and the run's time axis; with [`RunContext`], what the scenario
//! says about them (UTC start, settle assets, funding intervals). Charts read the recording
//! through it.

use std::collections::{BTreeMap, BTreeSet};

use cascade_sim::metrics::{Recording, SeriesRow};
use cascade_sim::scenario::Scenario;

use crate::charts::TimeAxis;

/// What the run's scenario adds to its tables: the recording holds times from zero and venue
/// names, not the calendar or the currencies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunContext {
    /// Unix milliseconds of the run's time zero (`run.start_utc`).
    pub start_unix_ms: Option<i64>,
    /// Settle asset of each venue (`venues.settle_asset`), by venue name.
    pub settle: BTreeMap<String, String>,
    /// Funding interval of each venue's rule set, milliseconds (Binance 8 h, Hyperliquid 1 h).
    pub funding_interval_ms: BTreeMap<String, i64>,
    /// Inverse (coin-margined) contracts, `(venue, symbol)`: priced in USD, amounts in the coin.
    pub inverse: BTreeSet<(String, String)>,
}

/// Settle assets counted as one US dollar each when amounts over venues are added, as published
/// liquidation totals do (compared case-insensitively).
pub const DOLLARS: [&str; 9] = ["USD", "USDT", "USDC", "USDe", "FDUSD", "BUSD", "TUSD", "DAI", "PYUSD"];

/// Whether `asset` is a dollar or a dollar stablecoin ([`DOLLARS`]).
#[must_use]
pub fn is_dollar(asset: &str) -> bool {
    DOLLARS.iter().any(|d| d.eq_ignore_ascii_case(asset))
}

/// Settle assets whose amounts may be added: all the dollar ones together, or one coin alone
/// (BTC of inverse contracts). Coins are never converted: a sum over venues settling in BTC and
/// in USDT would need a price the reader did not choose, so such amounts stay apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitGroup {
    /// The unit of the group's sums: its one settle asset, or `USD` for several dollar assets.
    pub unit: String,
    /// The settle assets in the group, sorted.
    pub assets: Vec<String>,
}

impl UnitGroup {
    /// Whether amounts in `asset` belong to this group.
    #[must_use]
    pub fn holds(&self, asset: &str) -> bool {
        self.assets.iter().any(|a| a == asset)
    }

    /// `USD` with how it was made (`USD: USDT and USDC counted 1:1`), or the one asset.
    #[must_use]
    pub fn described(&self) -> String {
        match self.assets.as_slice() {
            [_] | [] => self.unit.clone(),
            many => {
                let (last, first) = many.split_last().unwrap_or((&many[0], &[]));
                format!("{}: {} and {last} counted 1:1", self.unit, first.join(", "))
            }
        }
    }
}

/// The groups amounts in `assets` fall into: the dollar assets first (one group), then each
/// other asset alone, in name order.
#[must_use]
pub fn unit_groups<'a>(assets: impl IntoIterator<Item = &'a str>) -> Vec<UnitGroup> {
    let all: BTreeSet<&str> = assets.into_iter().collect();
    let dollars: Vec<String> = all.iter().filter(|a| is_dollar(a)).map(|a| (*a).to_string()).collect();
    let mut out = Vec::new();
    match dollars.as_slice() {
        [] => {}
        [one] => out.push(UnitGroup { unit: one.clone(), assets: dollars.clone() }),
        _ => out.push(UnitGroup { unit: "USD".into(), assets: dollars.clone() }),
    }
    out.extend(
        all.iter()
            .filter(|a| !is_dollar(a))
            .map(|a| UnitGroup { unit: (*a).to_string(), assets: vec![(*a).to_string()] }),
    );
    out
}

impl RunContext {
    /// The context a scenario gives.
    #[must_use]
    pub fn from_scenario(sc: &Scenario) -> Self {
        let mut c = Self {
            start_unix_ms: sc.run.start_unix_ms().and_then(|t| i64::try_from(t).ok()),
            ..Self::default()
        };
        for v in &sc.venues {
            c.settle.insert(v.name.clone(), v.settle_asset.clone());
            for i in v.instruments.iter().filter(|i| i.kind == cascade_sim::scenario::Kind::Inverse) {
                c.inverse.insert((v.name.clone(), i.symbol.clone()));
            }
            if let Ok(kind) = v.rule_set() {
                let rule = cascade_engine::pricing::FundingRule::for_venue(kind);
                c.funding_interval_ms.insert(v.name.clone(), rule.interval_ms);
            }
        }
        c
    }

    /// Settle asset of `venue`, or `settle asset` when the scenario is not known.
    #[must_use]
    pub fn settle_of(&self, venue: &str) -> String {
        self.settle.get(venue).cloned().unwrap_or_else(|| "settle asset".into())
    }

    /// The currency `venue`'s `instrument` is priced in: USD for an inverse contract, else the
    /// venue's settle asset (a linear contract is quoted in what it settles in).
    #[must_use]
    pub fn price_unit(&self, venue: &str, instrument: &str) -> String {
        if self.inverse.contains(&(venue.to_string(), instrument.to_string())) {
            "USD".into()
        } else {
            self.settle_of(venue)
        }
    }

    /// The unit of an amount summed over `venues`: their one settle asset, or `USD` when they
    /// are different dollar assets (USDT and USDC counted 1:1, as published totals do; the page
    /// says so); amounts in a coin added to others are named as such (`USDT + BTC, unconverted`).
    #[must_use]
    pub fn sum_unit<'v>(&self, venues: impl IntoIterator<Item = &'v String>) -> String {
        let assets: Vec<String> = venues.into_iter().map(|v| self.settle_of(v)).collect();
        let groups = unit_groups(assets.iter().map(String::as_str));
        match groups.as_slice() {
            [one] => one.unit.clone(),
            [] => "settle asset".into(),
            many => format!(
                "{}, unconverted",
                many.iter().map(|g| g.unit.as_str()).collect::<Vec<_>>().join(" + ")
            ),
        }
    }
}

/// One market (venue × instrument) of a run.
#[derive(Debug, Clone)]
pub struct Market {
    /// Venue name.
    pub venue: String,
    /// Instrument symbol.
    pub instrument: String,
    /// Indices into [`Recording::series`], in time order.
    pub rows: Vec<usize>,
}

impl Market {
    /// `venue instrument`, for legends.
    #[must_use]
    pub fn label(&self) -> String {
        format!("{} {}", self.venue, self.instrument)
    }
}

/// A recording with its markets and venues found.
#[derive(Debug, Clone)]
pub struct RunView<'a> {
    /// The recording.
    pub rec: &'a Recording,
    /// Markets, in order of first appearance in the series.
    pub markets: Vec<Market>,
    /// Venue names, in order of first appearance.
    pub venues: Vec<String>,
    /// The time axis (unit chosen from the run's length, UTC when the scenario has a start).
    pub axis: TimeAxis,
    /// What the scenario says about the run (empty without one).
    pub ctx: RunContext,
}

impl<'a> RunView<'a> {
    /// Indexes `rec` without a scenario: times from zero, currencies unnamed.
    #[must_use]
    pub fn new(rec: &'a Recording) -> Self {
        Self::with_context(rec, RunContext::default())
    }

    /// Indexes `rec`. Rows of a market are kept in file order, which the recorder writes in
    /// time order.
    #[must_use]
    pub fn with_context(rec: &'a Recording, ctx: RunContext) -> Self {
        let mut markets: Vec<Market> = Vec::new();
        let mut venues: Vec<String> = Vec::new();
        for (i, r) in rec.series.iter().enumerate() {
            match markets.iter_mut().find(|m| m.venue == r.venue && m.instrument == r.instrument) {
                Some(m) => m.rows.push(i),
                None => markets.push(Market {
                    venue: r.venue.clone(),
                    instrument: r.instrument.clone(),
                    rows: vec![i],
                }),
            }
            if !venues.contains(&r.venue) {
                venues.push(r.venue.clone());
            }
        }
        let last = rec.series.iter().map(|r| r.time_ms).max().unwrap_or(0);
        let axis = TimeAxis::for_duration(rec.summary.duration_ms.max(last)).at_utc(ctx.start_unix_ms);
        Self { rec, markets, venues, axis, ctx }
    }

    /// The rows of market `m`.
    pub fn rows<'m>(&self, m: &'m Market) -> impl Iterator<Item = &'a SeriesRow> + 'm
    where
        'a: 'm,
    {
        let series = &self.rec.series;
        m.rows.iter().filter_map(move |&i| series.get(i))
    }

    /// Settle asset of market `m`.
    #[must_use]
    pub fn settle(&self, m: &Market) -> String {
        self.ctx.settle_of(&m.venue)
    }

    /// The unit of amounts summed over all venues of the run.
    #[must_use]
    pub fn total_unit(&self) -> String {
        self.ctx.sum_unit(&self.venues)
    }

    /// `scenario, seed N`, for titles.
    #[must_use]
    pub fn run_label(&self) -> String {
        format!("{}, seed {}", self.rec.summary.scenario, self.rec.summary.seed)
    }

    /// The distinct sampling times, ascending.
    #[must_use]
    pub fn times(&self) -> Vec<u64> {
        let mut t: Vec<u64> = self.rec.series.iter().map(|r| r.time_ms).collect();
        t.sort_unstable();
        t.dedup();
        t
    }
}

/// Time bins for histograms: consecutive sampling intervals merged so that there are at most
/// [`crate::charts::MAX_BARS`] bins. A row at time `t` counts what happened in `(t − step, t]`,
/// so bin `j` covers `(start + j·width, start + (j+1)·width]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeBins {
    /// Start of the first bin, ms (the first sample's interval start).
    pub start_ms: u64,
    /// Bin width, ms (a whole number of sampling intervals).
    pub width_ms: u64,
    /// Number of bins.
    pub count: usize,
}

impl TimeBins {
    /// Bins for sampling times `times` (ascending, distinct); `None` without any time.
    #[must_use]
    pub fn new(times: &[u64], max_bins: usize) -> Option<Self> {
        let first = *times.first()?;
        let last = *times.last()?;
        let step = times.windows(2).map(|w| w[1] - w[0]).filter(|d| *d > 0).min().unwrap_or(first.max(1));
        let start = first.saturating_sub(step);
        let intervals = (last - start).div_ceil(step).max(1);
        let per = intervals.div_ceil(max_bins.max(1) as u64).max(1);
        let width = step.saturating_mul(per).max(1);
        let count = usize::try_from((last - start).div_ceil(width).max(1)).unwrap_or(usize::MAX);
        Some(Self { start_ms: start, width_ms: width, count })
    }

    /// The bin of a row sampled at `t`.
    #[must_use]
    pub fn bin(&self, t: u64) -> usize {
        let k = t.saturating_sub(self.start_ms).saturating_sub(1) / self.width_ms;
        usize::try_from(k).unwrap_or(usize::MAX).min(self.count.saturating_sub(1))
    }

    /// Bin edges in axis units.
    #[must_use]
    pub fn edges(&self, axis: &TimeAxis) -> Vec<f64> {
        (0..=self.count as u64).map(|j| axis.x(self.start_ms + j * self.width_ms)).collect()
    }

    /// The bin width in words: `1 s`, `5 min`, `250 ms`.
    #[must_use]
    pub fn width_label(&self) -> String {
        let w = self.width_ms;
        if w % 3_600_000 == 0 {
            format!("{} h", w / 3_600_000)
        } else if w % 60_000 == 0 {
            format!("{} min", w / 60_000)
        } else if w % 1_000 == 0 {
            format!("{} s", w / 1_000)
        } else {
            format!("{w} ms")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_add_up_and_coins_stay_apart() {
        let g = unit_groups(["USDT", "BTC", "USDC", "USDT"]);
        assert_eq!(g.len(), 2);
        assert_eq!((g[0].unit.as_str(), g[0].described()), ("USD", "USD: USDC and USDT counted 1:1".into()));
        assert_eq!((g[1].unit.as_str(), g[1].described()), ("BTC", "BTC".into()));
        assert!(g[0].holds("USDC") && !g[0].holds("BTC"));
        let one = unit_groups(["USDT", "USDT"]);
        assert_eq!((one.len(), one[0].described()), (1, "USDT".into()));
        let three = unit_groups(["USDT", "USDC", "USD"]);
        assert_eq!(three[0].described(), "USD: USD, USDC and USDT counted 1:1");
        let mut ctx = RunContext::default();
        ctx.settle.insert("bitmex".into(), "BTC".into());
        ctx.settle.insert("binance".into(), "USDT".into());
        ctx.inverse.insert(("bitmex".into(), "XBTUSD".into()));
        assert_eq!(ctx.price_unit("bitmex", "XBTUSD"), "USD");
        assert_eq!(ctx.price_unit("binance", "BTCUSDT"), "USDT");
        let venues = ["binance".to_string(), "bitmex".to_string()];
        assert_eq!(ctx.sum_unit(&venues), "USDT + BTC, unconverted");
        assert_eq!(ctx.sum_unit(&venues[..1]), "USDT");
    }

    #[test]
    fn bins_merge_intervals() {
        let times: Vec<u64> = (1..=600).map(|i| i * 1_000).collect();
        let b = TimeBins::new(&times, 120).unwrap();
        assert_eq!((b.start_ms, b.width_ms, b.count), (0, 5_000, 120));
        assert_eq!(b.bin(1_000), 0);
        assert_eq!(b.bin(5_000), 0);
        assert_eq!(b.bin(5_001), 1);
        assert_eq!(b.bin(600_000), 119);
        assert_eq!(b.width_label(), "5 s");
        let one = TimeBins::new(&[2_000], 120).unwrap();
        assert_eq!((one.start_ms, one.width_ms, one.count), (0, 2_000, 1));
    }
}
