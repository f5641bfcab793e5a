//! The tables of a report: the run summary (totals, venues, markets) and the side-by-side
//! comparison of several runs with their differences from the first.
//!
//! Money is shown rounded to cents with thousands separators, prices exact; the JSON summary
//! and the CSV files keep every figure exact.

use cascade_sim::metrics::RunSummary;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::charts::{TimeAxis, f};
use crate::liqmap::group_thousands;
use crate::view::{RunContext, is_dollar, unit_groups};

/// A table for the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table {
    /// Caption.
    pub caption: String,
    /// Column headings.
    pub header: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<String>>,
}

/// Money: rounded to cents, thousands grouped.
#[must_use]
pub fn money(d: Decimal) -> String {
    group_thousands(d.round_dp(2))
}

fn opt(d: Option<Decimal>, show: fn(Decimal) -> String) -> String {
    d.map_or_else(|| "–".to_string(), show)
}

fn price(d: Decimal) -> String {
    group_thousands(d)
}

fn pct(x: f64) -> String {
    format!("{x:.2}%")
}

/// `1 h 5 min 3.2 s`-style duration.
#[must_use]
pub fn duration(ms: u64) -> String {
    let (h, rest) = (ms / 3_600_000, ms % 3_600_000);
    let (m, rest) = (rest / 60_000, rest % 60_000);
    let s = rest as f64 / 1000.0;
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h} h"));
    }
    if m > 0 {
        parts.push(format!("{m} min"));
    }
    if s > 0.0 || parts.is_empty() {
        parts.push(if rest % 1000 == 0 { format!("{} s", rest / 1000) } else { format!("{s} s") });
    }
    parts.join(" ")
}

/// A run time as the reader wants it: the UTC clock time when the run has a start
/// (`2025-10-10 21:15:30 UTC`), else the time since the start (`30 min 5 s`).
#[must_use]
pub fn when(axis: &TimeAxis, time_ms: u64) -> String {
    match axis.utc(time_ms) {
        Some(iso) => format!("{} {} UTC", &iso[..10], &iso[11..19]),
        None => duration(time_ms),
    }
}

/// The market whose sampled mark fell the most from a peak, with its drop (%): the run's
/// peak-to-trough figure, named.
#[must_use]
pub fn worst_market(s: &RunSummary) -> Option<&cascade_sim::metrics::InstrumentSummary> {
    // Ties keep the first in scenario order.
    s.instruments.iter().fold(None, |best: Option<&cascade_sim::metrics::InstrumentSummary>, m| match best {
        Some(b) if b.max_mark_drop_pct >= m.max_mark_drop_pct => Some(b),
        _ => Some(m),
    })
}

/// What a reader needs to read the summary right: which market the headline drop is, what an
/// amplification below 1 means, how sums over currencies are made, what `kind` says.
#[must_use]
pub fn summary_notes(s: &RunSummary, ctx: &RunContext) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(m) = worst_market(s) {
        out.push(format!(
            "Largest peak-to-trough drop of a mark price: {} on {} {} (each market's drop is in the Markets table; \
             prices and drops count from the run's start, after the time-zero seeding of positions).",
            pct(m.max_mark_drop_pct),
            m.venue,
            m.instrument
        ));
    }
    if let Some(a) = s.totals.cascade_amplification {
        let reading = if a < 1.0 {
            "below 1: the largest mark drop was smaller with forced liquidations than in the same scenario and \
             seed with them off (both paths share the seed but part after the first liquidation, as agents react \
             to different prices; the backstops' takeovers also keep liquidated positions off the book); a value \
             near 1 says liquidations added little to the drop"
        } else {
            "the largest drop with forced liquidations ÷ the same scenario and seed with them off"
        };
        out.push(format!("Cascade amplification {a:.3}: {reading}."));
    }
    let groups = unit_groups(ctx.settle.values().map(String::as_str));
    for g in groups.iter().filter(|g| g.assets.len() > 1) {
        out.push(format!("Totals over venues are in {}, as published liquidation totals do.", g.described()));
    }
    if groups.len() > 1 {
        out.push(format!(
            "Run totals add amounts in {} unconverted; the Venues table gives each venue in its own settle asset.",
            groups.iter().map(|g| g.unit.as_str()).collect::<Vec<_>>().join(" and ")
        ));
    }
    out.push(
        "liquidations.csv, column kind: full (the whole position went to the book), partial (part went to the \
         book, the account kept the rest), backstop (taken over by the insurance fund, vault or liquidator), \
         adl (the bankrupt side of an auto-deleveraging match; adl.csv has the counterparties and their rank in \
         the ADL queue, 0 = first)."
            .into(),
    );
    out
}

/// The summary of one run: totals, then one table per venue list and per market list. `axis`
/// gives times as UTC when the run has a start.
#[must_use]
pub fn summary_tables(s: &RunSummary, axis: &TimeAxis, ctx: &RunContext) -> Vec<Table> {
    let t = &s.totals;
    let unit = ctx.sum_unit(s.venues.iter().map(|v| &v.venue));
    let u = |what: &str| format!("{what} ({unit})");
    let largest = t.largest_liquidation.as_ref().map_or_else(
        || "–".to_string(),
        |l| {
            format!(
                "{} ({} {} {}, at {})",
                money(l.notional),
                l.side.as_str(),
                l.venue,
                l.instrument,
                when(axis, l.time_ms)
            )
        },
    );
    let kv: Vec<(String, String)> = vec![
        ("scenario".into(), s.scenario.clone()),
        ("seed".into(), s.seed.to_string()),
        ("simulated time".into(), duration(s.duration_ms)),
        ("series rows".into(), s.series_rows.to_string()),
        (u("liquidated, longs"), money(t.liquidated_long_notional)),
        (u("liquidated, shorts"), money(t.liquidated_short_notional)),
        (
            "long share of liquidated notional".into(),
            t.long_share.map_or_else(|| "–".into(), |x| pct(x * 100.0)),
        ),
        ("liquidation events".into(), t.liquidations.to_string()),
        ("accounts liquidated".into(), t.accounts_liquidated.to_string()),
        ("largest liquidation".into(), largest),
        ("ADL reductions".into(), t.adl_count.to_string()),
        (u("ADL notional"), money(t.adl_notional)),
        (u("bad debt at the end"), money(t.bad_debt)),
        (u("exogenous flow"), money(t.exogenous_notional)),
        (
            "largest peak-to-trough drop of a mark".into(),
            worst_market(s).map_or_else(
                || "–".into(),
                |m| {
                    let low = m
                        .mark_low_time_ms
                        .map(|ms| format!(", low at {}", when(axis, ms)))
                        .unwrap_or_default();
                    format!("{} on {} {}{low}", pct(m.max_mark_drop_pct), m.venue, m.instrument)
                },
            ),
        ),
        (
            "peak-to-trough drop without forced liquidations".into(),
            t.counterfactual_peak_to_trough_pct.map_or_else(|| "–".into(), pct),
        ),
        (
            "cascade amplification (drop ÷ drop without liquidations)".into(),
            t.cascade_amplification.map_or_else(|| "–".into(), |x| format!("{x:.3}×")),
        ),
    ];
    let mut out = vec![Table {
        caption: "Run summary".into(),
        header: vec!["".into(), "value".into()],
        rows: kv.into_iter().map(|(k, v)| vec![k, v]).collect(),
    }];
    out.push(Table {
        caption: "Venues (settle asset)".into(),
        header: [
            "venue",
            "insurance fund start",
            "lowest",
            "end",
            "drawdown",
            "bad debt",
            "liquidated longs",
            "liquidated shorts",
            "ADL",
            "ADL notional",
        ]
        .map(String::from)
        .to_vec(),
        rows: s
            .venues
            .iter()
            .map(|v| {
                vec![
                    v.venue.clone(),
                    opt(v.insurance_fund_start, money),
                    opt(v.insurance_fund_min, money),
                    opt(v.insurance_fund_end, money),
                    money(v.insurance_fund_drawdown),
                    money(v.bad_debt),
                    money(v.liquidated_long_notional),
                    money(v.liquidated_short_notional),
                    v.adl_count.to_string(),
                    money(v.adl_notional),
                ]
            })
            .collect(),
    });
    out.push(Table {
        caption:
            "Markets (prices and notional in the venue's settle asset, open interest in contracts; open, high, low and drops from the run's start, after the time-zero seeding)"
                .into(),
        header: [
            "venue",
            "instrument",
            "liquidated longs",
            "liquidated shorts",
            "events L / S",
            "accounts",
            "largest",
            "open",
            "high",
            "low",
            "close",
            "max drop (last)",
            "max drop (mark)",
            "mark low at",
            "volume",
            "OI start",
            "OI end",
            "ADL",
        ]
        .map(String::from)
        .to_vec(),
        rows: s
            .instruments
            .iter()
            .map(|m| {
                vec![
                    m.venue.clone(),
                    m.instrument.clone(),
                    money(m.liquidated_long_notional),
                    money(m.liquidated_short_notional),
                    format!("{} / {}", m.liquidations_long, m.liquidations_short),
                    m.accounts_liquidated.to_string(),
                    opt(m.largest_liquidation, money),
                    opt(m.open, price),
                    opt(m.high, price),
                    opt(m.low, price),
                    opt(m.close, price),
                    pct(m.max_drop_pct),
                    pct(m.max_mark_drop_pct),
                    m.mark_low_time_ms.map_or_else(|| "–".into(), |ms| when(axis, ms)),
                    money(m.volume_notional),
                    opt(m.open_interest_start, price),
                    opt(m.open_interest_end, price),
                    format!("{} ({})", m.adl_count, money(m.adl_notional)),
                ]
            })
            .collect(),
    });
    out
}

/// One compared figure of a run.
enum Metric {
    /// A count, time or ratio: one row.
    Plain(&'static str, fn(&RunSummary) -> Option<f64>),
    /// An amount of money summed exactly over the venues of one [`crate::view::UnitGroup`]
    /// (given as the venues' names): one row per group.
    Money(&'static str, fn(&RunSummary, &[&str]) -> Option<Decimal>),
}

/// `get` summed exactly over the summaries of `venues`.
fn venue_sum(
    s: &RunSummary,
    venues: &[&str],
    get: fn(&cascade_sim::metrics::VenueSummary) -> Decimal,
) -> Decimal {
    s.venues
        .iter()
        .filter(|v| venues.contains(&v.venue.as_str()))
        .fold(Decimal::ZERO, |acc, v| acc.saturating_add(get(v)))
}

const METRICS: [Metric; 13] = [
    Metric::Plain("simulated time (s)", |s| Some(s.duration_ms as f64 / 1000.0)),
    Metric::Money("liquidated, longs", |s, v| Some(venue_sum(s, v, |x| x.liquidated_long_notional))),
    Metric::Money("liquidated, shorts", |s, v| Some(venue_sum(s, v, |x| x.liquidated_short_notional))),
    Metric::Money("liquidated, total", |s, v| {
        Some(venue_sum(s, v, |x| x.liquidated_long_notional.saturating_add(x.liquidated_short_notional)))
    }),
    Metric::Plain("liquidation events", |s| Some(s.totals.liquidations as f64)),
    Metric::Plain("accounts liquidated", |s| Some(s.totals.accounts_liquidated as f64)),
    Metric::Money("largest liquidation", |s, v| {
        s.instruments
            .iter()
            .filter(|m| v.contains(&m.venue.as_str()))
            .filter_map(|m| m.largest_liquidation)
            .max()
    }),
    Metric::Plain("ADL reductions", |s| Some(s.totals.adl_count as f64)),
    Metric::Money("ADL notional", |s, v| Some(venue_sum(s, v, |x| x.adl_notional))),
    Metric::Money("bad debt", |s, v| Some(venue_sum(s, v, |x| x.bad_debt))),
    Metric::Money("insurance fund drawdown", |s, v| Some(venue_sum(s, v, |x| x.insurance_fund_drawdown))),
    Metric::Plain("largest mark drop (%)", |s| {
        s.instruments.iter().map(|m| m.max_mark_drop_pct).reduce(f64::max)
    }),
    Metric::Plain("cascade amplification", |s| s.totals.cascade_amplification),
];

fn num(x: f64, money: bool) -> String {
    if money {
        let d = Decimal::from_f64_retain(x).unwrap_or_default();
        group_thousands(d.round_dp(2))
    } else if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x:.3}")
    }
}

/// A compared run: its label, summary and what its scenario says (settle assets).
pub type ComparedRun<'a> = (String, &'a RunSummary, &'a RunContext);

/// Runs side by side (one column each, labelled), then for each run after the first its
/// difference from the first, absolute and relative. Amounts are summed over the venues of
/// each [`UnitGroup`] of the runs' settle assets and labelled with its unit: dollar assets
/// together (USD when they differ, counted 1:1, the caption says so), each coin (BTC of inverse
/// contracts) in rows of its own, never converted.
#[must_use]
pub fn comparison_table(runs: &[ComparedRun<'_>]) -> Table {
    let mut header = vec!["".to_string()];
    header.extend(runs.iter().map(|(l, _, _)| l.clone()));
    for (l, _, _) in runs.iter().skip(1) {
        header.push(format!("{l} − {}", runs[0].0));
        header.push(format!("{l} vs {} (%)", runs[0].0));
    }
    let assets: Vec<String> =
        runs.iter().flat_map(|(_, s, ctx)| s.venues.iter().map(|v| ctx.settle_of(&v.venue))).collect();
    let groups = unit_groups(assets.iter().map(String::as_str));
    let mut rows = Vec::new();
    let mut id_row = vec!["scenario / seed".to_string()];
    id_row.extend(runs.iter().map(|(_, s, _)| format!("{} / {}", s.scenario, s.seed)));
    id_row.extend(std::iter::repeat_n(String::new(), 2 * runs.len().saturating_sub(1)));
    rows.push(id_row);
    for m in &METRICS {
        match m {
            Metric::Plain(name, get) => {
                let vals: Vec<Option<f64>> = runs.iter().map(|(_, s, _)| get(s)).collect();
                rows.push(metric_row((*name).to_string(), &vals, false));
            }
            Metric::Money(name, get) => {
                for g in &groups {
                    let vals: Vec<Option<Decimal>> = runs
                        .iter()
                        .map(|(_, s, ctx)| {
                            let venues: Vec<&str> = s
                                .venues
                                .iter()
                                .filter(|v| g.holds(&ctx.settle_of(&v.venue)))
                                .map(|v| v.venue.as_str())
                                .collect();
                            get(s, &venues)
                        })
                        .collect();
                    rows.push(money_row(format!("{name} ({})", g.unit), &vals));
                }
            }
        }
    }
    let mut caption = "Runs side by side, and differences from the first".to_string();
    for g in groups.iter().filter(|g| g.assets.len() > 1) {
        caption.push_str(&format!(" · {}, as published liquidation totals do", g.described()));
    }
    if groups.len() > 1 {
        caption.push_str(&format!(
            " · amounts in {} in rows of their own, not converted",
            groups
                .iter()
                .filter(|g| !is_dollar(&g.unit))
                .map(|g| g.unit.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Table { caption, header, rows }
}

/// A money row of [`comparison_table`]: exact amounts and differences, rounded to cents only
/// when shown.
fn money_row(name: String, vals: &[Option<Decimal>]) -> Vec<String> {
    let mut row = vec![name];
    row.extend(vals.iter().map(|v| opt(*v, money)));
    let base = vals.first().copied().flatten();
    for v in vals.iter().skip(1) {
        match (base, v) {
            (Some(a), Some(b)) => {
                let d = b.saturating_sub(a);
                row.push(if d > Decimal::ZERO { format!("+{}", money(d)) } else { money(d) });
                row.push(if a.is_zero() {
                    "–".into()
                } else {
                    format!("{:+.1}%", f(d) / f(a).abs() * 100.0)
                });
            }
            _ => {
                row.push("–".into());
                row.push("–".into());
            }
        }
    }
    row
}

/// A row of [`comparison_table`]: the values, then each run's difference from the first.
fn metric_row(name: String, vals: &[Option<f64>], money: bool) -> Vec<String> {
    let mut row = vec![name];
    row.extend(vals.iter().map(|v| v.map_or_else(|| "–".into(), |x| num(x, money))));
    let base = vals.first().copied().flatten();
    for v in vals.iter().skip(1) {
        match (base, v) {
            (Some(a), Some(b)) => {
                let d = b - a;
                row.push(if d > 0.0 { format!("+{}", num(d, money)) } else { num(d, money) });
                row.push(if a != 0.0 { format!("{:+.1}%", d / a.abs() * 100.0) } else { "–".into() });
            }
            _ => {
                row.push("–".into());
                row.push("–".into());
            }
        }
    }
    row
}

/// What the figures in USD of a policy comparison add up, from the scenario's settle assets
/// (`cascade_sim::compare` sums the venues' amounts): one dollar asset counted as USD, several
/// counted 1:1, and a coin (BTC of inverse contracts) added unconverted. `None` without a
/// scenario.
#[must_use]
pub fn usd_note(ctx: &RunContext) -> Option<String> {
    let groups = unit_groups(ctx.settle.values().map(String::as_str));
    let dollars = groups.iter().find(|g| is_dollar(&g.unit));
    let coins: Vec<&str> = groups.iter().filter(|g| !is_dollar(&g.unit)).map(|g| g.unit.as_str()).collect();
    let mut note = match dollars {
        None if coins.is_empty() => return None,
        None => String::from("Figures in USD are the venues' amounts in their settle assets"),
        Some(g) if g.assets.len() == 1 => {
            format!("Figures in USD are amounts in {}, every venue's settle asset, counted 1:1", g.unit)
        }
        Some(g) => format!(
            "Figures in USD add the venues' settle assets ({}), as published liquidation totals do",
            g.described()
        ),
    };
    if !coins.is_empty() {
        note.push_str(&format!(
            "; amounts of venues settling in {} are added to them unconverted (their coin counted as one              dollar): read those venues apart",
            coins.join(", ")
        ));
    }
    note.push('.');
    Some(note)
}

/// The policy comparison: one row per figure and policy with the mean, median and p5–p95 over
/// seeds, and for every policy but the baseline the mean paired difference and its interval.
#[must_use]
pub fn policy_table(c: &cascade_sim::compare::Comparison) -> Table {
    use crate::charts::policies::{signed, value};
    let header =
        ["figure", "unit", "policy", "n", "mean", "median", "p5", "p95", "Δ mean vs baseline", "95% CI of Δ"]
            .map(String::from)
            .to_vec();
    let mut rows = Vec::new();
    for (f, def) in c.figures.iter().enumerate() {
        for p in &c.policies {
            let Some(r) = p.figures.get(f) else { continue };
            let s = &r.summary;
            let u = def.unit.as_str();
            let (d, ci) = match &r.vs_baseline {
                None => ("–".to_string(), "–".to_string()),
                Some(d) => (signed(d.mean, u), format!("[{}, {}]", signed(d.ci_lo, u), signed(d.ci_hi, u))),
            };
            let n = if s.missing > 0 { format!("{} ({} none)", s.n, s.missing) } else { s.n.to_string() };
            rows.push(vec![
                def.name.clone(),
                def.unit.clone(),
                p.name.clone(),
                n,
                value(s.mean, u),
                value(s.median, u),
                value(s.p5, u),
                value(s.p95, u),
                d,
                ci,
            ]);
        }
    }
    Table { caption: "Figures by policy over seeds".into(), header, rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(0), "0 s");
        assert_eq!(duration(3_600_000), "1 h");
        assert_eq!(duration(3_723_500), "1 h 2 min 3.5 s");
        assert_eq!(duration(90_000), "1 min 30 s");
    }

    #[test]
    fn the_usd_note_says_what_was_added() {
        let mut ctx = RunContext::default();
        assert_eq!(usd_note(&ctx), None);
        ctx.settle.insert("binance".into(), "USDT".into());
        assert_eq!(
            usd_note(&ctx).unwrap(),
            "Figures in USD are amounts in USDT, every venue's settle asset, counted 1:1."
        );
        ctx.settle.insert("hyperliquid".into(), "USDC".into());
        assert!(usd_note(&ctx).unwrap().contains("(USD: USDC and USDT counted 1:1)"));
        ctx.settle.insert("bitmex".into(), "BTC".into());
        assert!(usd_note(&ctx).unwrap().contains("venues settling in BTC are added to them unconverted"));
    }

    #[test]
    fn money_is_grouped_and_rounded() {
        assert_eq!(money("1234567.125".parse().unwrap()), "1,234,567.12");
    }
}
