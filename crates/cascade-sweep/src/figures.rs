//! The figures of one run that a sweep keeps: its summary reduced to one row of numbers.
//!
//! Totals (liquidated long / short / total notional, liquidation events, accounts liquidated,
//! ADL count and notional, bad debt, insurance-fund drawdown, peak-to-trough, the
//! counterfactual's drop and the cascade amplification, the exogenous flow and the liquidated
//! notional per unit of it, the first liquidation's time) and, per venue of the scenario,
//! liquidated notional, ADL count, bad debt, fund drawdown and whether the fund was exhausted.
//!
//! A venue's insurance fund is **exhausted** when it started positive and either its lowest
//! sampled balance is ≤ 0 or the venue ended with bad debt (a loss nobody paid means the fund
//! was empty when it came, even between two samples). A venue without a fund (Hyperliquid's
//! `insurance_fund = "0"`, backed by its vault) is never "exhausted".
//!
//! Money stays exact ([`Decimal`]) in the journal and the CSV; Parquet carries `f64`, as
//! cascade-io's tables do.

use cascade_sim::metrics::RunSummary;
use rust_decimal::Decimal;

/// The kind of a figure, which fixes its column type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Exact money (settle asset), `Float64` in Parquet.
    Money,
    /// A count (`UInt64`).
    Count,
    /// A statistic (`Float64`).
    Ratio,
    /// Yes / no (`Boolean`).
    Flag,
}

/// One figure's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// Money.
    Money(Decimal),
    /// A count.
    Count(u64),
    /// A statistic.
    Ratio(f64),
    /// Yes / no.
    Flag(bool),
}

impl Value {
    /// As a number (flags as 0 / 1), for statistics.
    #[must_use]
    pub fn as_f64(self) -> f64 {
        match self {
            Value::Money(d) => d.to_string().parse().unwrap_or(f64::NAN),
            Value::Count(n) => n as f64,
            Value::Ratio(x) => x,
            Value::Flag(b) => f64::from(u8::from(b)),
        }
    }

    /// Exact text (the journal's and the CSV's): a decimal as written, an `f64` in its shortest
    /// form that reads back as the same number.
    #[must_use]
    pub fn text(self) -> String {
        match self {
            Value::Money(d) => d.normalize().to_string(),
            Value::Count(n) => n.to_string(),
            Value::Ratio(x) => x.to_string(),
            Value::Flag(b) => b.to_string(),
        }
    }

    /// Reads [`Value::text`] back for a figure of `kind`.
    ///
    /// # Errors
    /// A message when the text does not fit the kind.
    pub fn parse(kind: Kind, s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a {kind:?} value");
        Ok(match kind {
            Kind::Money => Value::Money(s.parse().map_err(|_| bad())?),
            Kind::Count => Value::Count(s.parse().map_err(|_| bad())?),
            Kind::Ratio => Value::Ratio(s.parse().map_err(|_| bad())?),
            Kind::Flag => Value::Flag(s.parse().map_err(|_| bad())?),
        })
    }
}

/// A column of the runs table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FigureDef {
    /// Column name.
    pub name: String,
    /// Type.
    pub kind: Kind,
}

fn def(name: impl Into<String>, kind: Kind) -> FigureDef {
    FigureDef { name: name.into(), kind }
}

/// The figure columns for a scenario with these venues, in table order.
#[must_use]
pub fn figure_defs(venues: &[String]) -> Vec<FigureDef> {
    use Kind::{Count, Flag, Money, Ratio};
    let mut d = vec![
        def("liquidated_long_notional", Money),
        def("liquidated_short_notional", Money),
        def("liquidated_notional", Money),
        def("liquidations", Count),
        def("accounts_liquidated", Count),
        def("adl_count", Count),
        def("adl_notional", Money),
        def("bad_debt", Money),
        def("insurance_fund_drawdown", Money),
        def("fund_exhausted", Flag),
        def("peak_to_trough_pct", Ratio),
        def("counterfactual_peak_to_trough_pct", Ratio),
        def("cascade_amplification", Ratio),
        def("exogenous_notional", Money),
        def("liquidated_per_exogenous", Ratio),
        def("first_liquidation_ms", Count),
    ];
    for v in venues {
        d.push(def(format!("liquidated_notional_{v}"), Money));
        d.push(def(format!("adl_count_{v}"), Count));
        d.push(def(format!("bad_debt_{v}"), Money));
        d.push(def(format!("insurance_fund_drawdown_{v}"), Money));
        d.push(def(format!("fund_exhausted_{v}"), Flag));
    }
    d
}

/// The figures of a run, in [`figure_defs`] order (`None`: no value, e.g. no amplification
/// without the counterfactual, or a venue the run did not have).
#[must_use]
pub fn figures_of(s: &RunSummary, venues: &[String]) -> Vec<Option<Value>> {
    let t = &s.totals;
    let exhausted = |v: &cascade_sim::metrics::VenueSummary| {
        let start = v.insurance_fund_start.unwrap_or(Decimal::ZERO);
        start > Decimal::ZERO
            && (v.insurance_fund_min.is_some_and(|m| m <= Decimal::ZERO) || v.bad_debt > Decimal::ZERO)
    };
    let mut out = vec![
        Some(Value::Money(t.liquidated_long_notional)),
        Some(Value::Money(t.liquidated_short_notional)),
        Some(Value::Money(t.liquidated_long_notional + t.liquidated_short_notional)),
        Some(Value::Count(t.liquidations)),
        Some(Value::Count(t.accounts_liquidated)),
        Some(Value::Count(t.adl_count)),
        Some(Value::Money(t.adl_notional)),
        Some(Value::Money(t.bad_debt)),
        Some(Value::Money(t.insurance_fund_drawdown)),
        Some(Value::Flag(s.venues.iter().any(exhausted))),
        Some(Value::Ratio(t.peak_to_trough_pct)),
        t.counterfactual_peak_to_trough_pct.map(Value::Ratio),
        t.cascade_amplification.map(Value::Ratio),
        Some(Value::Money(t.exogenous_notional)),
        t.liquidated_per_exogenous.map(Value::Ratio),
        s.venues.iter().filter_map(|v| v.first_liquidation_ms).min().map(Value::Count),
    ];
    for name in venues {
        let v = s.venues.iter().find(|v| &v.venue == name);
        out.push(v.map(|v| Value::Money(v.liquidated_long_notional + v.liquidated_short_notional)));
        out.push(v.map(|v| Value::Count(v.adl_count)));
        out.push(v.map(|v| Value::Money(v.bad_debt)));
        out.push(v.map(|v| Value::Money(v.insurance_fund_drawdown)));
        out.push(v.map(|v| Value::Flag(exhausted(v))));
    }
    out
}
