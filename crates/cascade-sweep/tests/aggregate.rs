//! VaR, expected shortfall and the per-point statistics on small samples computed by hand.

use cascade_sweep::aggregate::{Dist, aggregate, expected_shortfall, mean, value_at_risk};
use cascade_sweep::figures::{FigureDef, Kind, Value};
use cascade_sweep::journal::RunRow;

fn close(a: Option<f64>, b: f64) {
    let a = a.expect("a value");
    assert!((a - b).abs() < 1e-9, "{a} != {b}");
}

#[test]
fn var_is_the_quantile_and_es_the_mean_of_the_tail() {
    // Sorted: 0 ×8, 10, 20 (n = 10). Quantile position h = q·9.
    let xs = [20.0, 0.0, 0.0, 10.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    // q = 0.8: h = 7.2 → x7 + 0.2·(x8 − x7) = 0 + 0.2·10 = 2; the tail ≥ 2 is {10, 20}: ES 15.
    close(value_at_risk(&xs, 0.8), 2.0);
    close(expected_shortfall(&xs, 0.8), 15.0);
    // q = 0.95: h = 8.55 → 10 + 0.55·10 = 15.5; tail {20}: ES 20.
    close(value_at_risk(&xs, 0.95), 15.5);
    close(expected_shortfall(&xs, 0.95), 20.0);
    // q = 0.99: h = 8.91 → 19.1; tail {20}.
    close(value_at_risk(&xs, 0.99), 19.1);
    close(expected_shortfall(&xs, 0.99), 20.0);
    // q = 0.5: h = 4.5 → 0; every loss ≥ 0: ES is the mean, 3.
    close(value_at_risk(&xs, 0.5), 0.0);
    close(expected_shortfall(&xs, 0.5), 3.0);
    assert_eq!(value_at_risk(&[], 0.95), None);
    assert_eq!(expected_shortfall(&[], 0.95), None);
}

#[test]
fn distribution_of_one_to_ten() {
    let xs: Vec<f64> = (1..=10).map(f64::from).collect();
    let d = Dist::of(&xs);
    assert_eq!(d.n, 10);
    close(d.mean, 5.5);
    close(d.median, 5.5); // h = 4.5: 5 + 0.5
    close(d.p5, 1.45); // h = 0.45: 1 + 0.45
    close(d.p95, 9.55); // h = 8.55: 9 + 0.55
    assert_eq!(mean(&[0.1, 0.1, 0.1]), Some(0.1));
}

fn defs() -> Vec<FigureDef> {
    let d = |n: &str, kind| FigureDef { name: n.into(), kind };
    vec![
        d("liquidated_notional", Kind::Money),
        d("bad_debt", Kind::Money),
        d("adl_count", Kind::Count),
        d("fund_exhausted", Kind::Flag),
        d("cascade_amplification", Kind::Ratio),
    ]
}

/// `(run_id, point, seed)`, liquidated, bad debt, ADL count, fund exhausted, amplification.
fn row(
    (run_id, point, seed): (u64, u64, u64),
    liq: i64,
    bad: i64,
    adl: u64,
    ex: bool,
    amp: Option<f64>,
) -> RunRow {
    RunRow {
        run_id,
        point,
        seed,
        scenario_hash: format!("h{point}"),
        figures: vec![
            Some(Value::Money(liq.into())),
            Some(Value::Money(bad.into())),
            Some(Value::Count(adl)),
            Some(Value::Flag(ex)),
            amp.map(Value::Ratio),
        ],
    }
}

#[test]
fn points_are_aggregated_separately_whatever_the_row_order() {
    // Point 0: liquidated 100, 300, 200, 400; bad debt 0, 0, 50, 150; ADL in 1 of 4 runs; a fund
    // exhausted in 2 of 4; amplification 1.5 and 2.5 (two runs without one).
    let mut rows = vec![
        row((3, 0, 4), 400, 150, 2, true, None),
        row((0, 0, 1), 100, 0, 0, false, Some(1.5)),
        row((5, 1, 2), 7, 0, 0, false, None),
        row((2, 0, 3), 200, 50, 0, true, None),
        row((1, 0, 2), 300, 0, 0, false, Some(2.5)),
        row((4, 1, 1), 5, 0, 0, false, None),
    ];
    let a = aggregate(&rows, &defs());
    rows.reverse();
    assert_eq!(aggregate(&rows, &defs()), a, "row order does not matter");
    assert_eq!(a.points.len(), 2);
    let p = &a.points[0];
    assert_eq!((p.point, p.runs, p.run_ids, p.seeds, p.scenario_hash.as_str()), (0, 4, (0, 3), (1, 4), "h0"));
    // Liquidated sorted 100, 200, 300, 400: mean 250, median (h = 1.5) 250, p95 (h = 2.85)
    // 300 + 0.85·100 = 385; VaR99 (h = 2.97) 397, ES99 = 400.
    close(p.liquidated.dist.mean, 250.0);
    close(p.liquidated.dist.median, 250.0);
    close(p.liquidated.dist.p95, 385.0);
    close(p.liquidated.var95, 385.0);
    close(p.liquidated.es95, 400.0);
    close(p.liquidated.var99, 397.0);
    close(p.liquidated.es99, 400.0);
    // Bad debt sorted 0, 0, 50, 150: VaR95 (h = 2.85) 50 + 0.85·100 = 135; ES95 = 150.
    close(p.bad_debt.var95, 135.0);
    close(p.bad_debt.es95, 150.0);
    close(p.bad_debt.dist.mean, 50.0);
    close(p.p_adl, 0.25);
    close(p.p_fund_exhausted, 0.5);
    assert_eq!(p.amplification.n, 2);
    close(p.amplification.mean, 2.0);
    close(p.amplification.p5, 1.55); // h = 0.05: 1.5 + 0.05·1
    let q = &a.points[1];
    assert_eq!((q.runs, q.run_ids, q.amplification.n, q.amplification.mean), (2, (4, 5), 0, None));
    close(q.liquidated.dist.median, 6.0);
    close(q.p_adl, 0.0);
}

/// A sampled (Latin-hypercube) parameter: every point has its own value, so the fan charts
/// group the runs into equal-count bins instead of drawing a one-run "band" per value.
#[test]
fn fans_of_a_sampled_parameter_are_binned() {
    let src = r#"
name = "binned"
seeds = [1]
counterfactual = false
[[parameters]]
path = "venues[0].insurance_fund"
range = [1e6, 1e8]
sampling = "lhs"
samples = 9
"#;
    let spec =
        cascade_sweep::SweepSpec::from_str_in(src, "binned.toml", std::path::Path::new("."), "b").unwrap();
    assert_eq!(spec.points.len(), 9);
    let value = |p: usize| spec.points[p].values[0].number.unwrap();
    // Liquidated notional = parameter ÷ 1000, so each bin's median figure is its median value ÷ 1000.
    let rows: Vec<RunRow> = (0..9)
        .map(|p| row((p, p, 1), (value(p as usize) / 1000.0).round() as i64, 0, 0, false, None))
        .collect();
    let figs = cascade_sweep::report::fan_figures(&spec, &defs(), &rows);
    let liq = figs.iter().find(|f| f.id.ends_with("liquidated_notional")).unwrap();
    assert!(liq.title.contains("3 equal-count bins"), "{}", liq.title);
    // √9 = 3 bins of 3 values: sorted v0 ≤ … ≤ v8 → bins {v0,v1,v2}, {v3,v4,v5}, {v6,v7,v8},
    // drawn at v1, v4, v7.
    let mut sorted: Vec<f64> = (0..9).map(value).collect();
    sorted.sort_by(f64::total_cmp);
    let median = &liq.lines[0].points;
    assert_eq!(median.len(), 3);
    for (b, (x, y)) in median.iter().enumerate() {
        assert_eq!(*x, sorted[3 * b + 1]);
        assert_eq!(*y, (sorted[3 * b + 1] / 1000.0).round());
    }
    // Band: p5 and p95 of the three runs in each bin (h = 0.1 and 1.9 of 2).
    let band = &liq.bands[0].points;
    let r = |i: usize| (sorted[i] / 1000.0).round();
    let (lo, hi) = (r(0) + 0.1 * (r(1) - r(0)), r(1) + 0.9 * (r(2) - r(1)));
    assert!((band[0].1 - lo).abs() < 1e-6 && (band[0].2 - hi).abs() < 1e-6, "{:?}", band[0]);
    // One dot per run, at the run's own value.
    let mut dots: Vec<f64> = liq.markers[0].points.iter().map(|p| p.0).collect();
    dots.sort_by(f64::total_cmp);
    assert_eq!(dots, sorted);
}
