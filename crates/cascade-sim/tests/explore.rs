use cascade_sim::scenario::Scenario;
use cascade_sim::{InvariantChecks, RunOptions, run};
use std::time::Instant;

#[test]
#[ignore]
fn explore_default() {
    let s = Scenario::builtin_default();
    let t = Instant::now();
    let opts = RunOptions { invariants: InvariantChecks::AtSamples, ..RunOptions::default() };
    let rec = run(&s, 42, &opts).unwrap();
    eprintln!("wall {:?}", t.elapsed());
    let sum = &rec.summary;
    eprintln!("{}", serde_json_like(sum));
    let every: u64 = std::env::var("EVERY").ok().and_then(|x| x.parse().ok()).unwrap_or(60);
    let from: u64 = std::env::var("FROM").ok().and_then(|x| x.parse().ok()).unwrap_or(0);
    let to: u64 = std::env::var("TO").ok().and_then(|x| x.parse().ok()).unwrap_or(1 << 40);
    let mut acc = std::collections::BTreeMap::new();
    for r in &rec.series {
        let e = acc.entry(r.venue.clone()).or_insert((
            rust_decimal::Decimal::ZERO,
            rust_decimal::Decimal::ZERO,
            rust_decimal::Decimal::ZERO,
        ));
        e.0 += r.liq_long_notional;
        e.1 += r.liq_short_notional;
        e.2 += r.adl_notional;
        if r.time_ms % (every * 1000) == 0 && r.time_ms >= from * 1000 && r.time_ms <= to * 1000 {
            eprintln!(
                "{:5} {:11} last {:?} mark {:?} idx {:?} bid {:?} ask {:?} d1 {}/{} liqL {} liqS {} adl {} oi {} fund {} bd {}",
                r.time_ms / 1000,
                r.venue,
                r.last,
                r.mark,
                r.index,
                r.best_bid,
                r.best_ask,
                r.bid_depth_1pct.round(),
                r.ask_depth_1pct.round(),
                e.0.round(),
                e.1.round(),
                e.2.round(),
                r.open_interest,
                r.insurance_fund.round(),
                r.bad_debt.round()
            );
            *e = (rust_decimal::Decimal::ZERO, rust_decimal::Decimal::ZERO, rust_decimal::Decimal::ZERO);
        }
    }
    for r in rec.series.iter().filter(|_| false) {
        eprintln!(
            "{} {} {}:{} last {:?} mark {:?} idx {:?} bid {:?} ask {:?} d1 {}/{} liqL {} liqS {} oi {} fund {} vol {}",
            r.time_ms / 1000,
            r.venue,
            r.instrument,
            "",
            r.last,
            r.mark,
            r.index,
            r.best_bid,
            r.best_ask,
            r.bid_depth_1pct.round(),
            r.ask_depth_1pct.round(),
            r.liq_long_notional.round(),
            r.liq_short_notional.round(),
            r.open_interest,
            r.insurance_fund.round(),
            r.volume_notional.round()
        );
    }
}

fn serde_json_like(s: &cascade_sim::metrics::RunSummary) -> String {
    format!("{:#?}", s.totals)
        + &format!(
            "{:#?}",
            s.instruments
                .iter()
                .map(|m| (
                    &m.venue,
                    m.max_mark_drop_pct,
                    m.counterfactual_max_mark_drop_pct,
                    m.liquidated_long_notional,
                    m.liquidations_long,
                    m.low,
                    m.volume_notional
                ))
                .collect::<Vec<_>>()
        )
}
