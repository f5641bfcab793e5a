//! Policy comparison (`cascade compare`): one strip chart per figure, one column per policy
//! (baseline first), one dot per seed, and a cross at each policy's mean, so a seed that
//! disagrees with the mean shows. A seed sits at the same offset inside every column, so one
//! seed can be followed from policy to policy (the differences are paired by seed).
//!
//! [`difference_figures`] draws the paired differences `policy − baseline` the same way, with
//! the bootstrap interval of their mean.
//!
//! Also the number formats the comparison's table and the terminal share.

use cascade_sim::compare::Comparison;

use super::{Color, Figure, Markers, Shape, palette, short_amount};

/// Half the width of a policy's column of dots, x units (policies are 1 apart).
pub const STRIP_HALF_WIDTH: f64 = 0.25;

/// Colour of the mean crosses.
pub const MEAN: Color = Color(0, 0, 0);

/// The x offset of seed `k` of `n` inside its column: evenly spread over
/// `[−STRIP_HALF_WIDTH, STRIP_HALF_WIDTH]`, 0 for a single seed.
#[must_use]
pub fn seed_offset(k: usize, n: usize) -> f64 {
    if n <= 1 { 0.0 } else { (k as f64 / (n - 1) as f64 - 0.5) * 2.0 * STRIP_HALF_WIDTH }
}

/// One strip chart per figure of the comparison, in figure order.
#[must_use]
pub fn figures(c: &Comparison) -> Vec<Figure> {
    let n = c.seeds.len();
    let ticks: Vec<(f64, String)> =
        c.policies.iter().enumerate().map(|(i, p)| (i as f64, p.name.clone())).collect();
    c.figures
        .iter()
        .enumerate()
        .map(|(f, def)| {
            let mut fig = Figure::new(
                &format!("policy-{}", def.name.replace([':', '/'], "-")),
                def.description.clone(),
                &format!("policy ({n} seeds each: one dot per seed, × the mean)"),
                format!("{} ({})", def.name, def.unit),
            );
            fig.x_ticks.clone_from(&ticks);
            let mut means = Vec::new();
            for (i, p) in c.policies.iter().enumerate() {
                let Some(r) = p.figures.get(f) else { continue };
                let points: Vec<(f64, f64)> = r
                    .values
                    .iter()
                    .enumerate()
                    .filter_map(|(k, v)| v.map(|v| (i as f64 + seed_offset(k, n), v)))
                    .collect();
                fig.markers.push(Markers {
                    name: p.name.clone(),
                    color: palette(i),
                    shape: Shape::Circle,
                    points,
                });
                if let Some(m) = r.summary.mean {
                    means.push((i as f64, m));
                }
            }
            fig.markers.push(Markers {
                name: "mean".into(),
                color: MEAN,
                shape: Shape::Cross,
                points: means,
            });
            fig.noted_if_empty("no value for any seed")
        })
        .collect()
}

/// Colour of the interval ends.
pub const INTERVAL: Color = Color(120, 120, 120);

/// One chart per figure of the paired differences `policy − baseline`, one column per policy
/// other than the baseline: a dot per seed, a cross at the mean difference, triangles at the
/// ends of its 95 % bootstrap interval. Empty when there is only the baseline.
#[must_use]
pub fn difference_figures(c: &Comparison) -> Vec<Figure> {
    if c.policies.len() < 2 {
        return Vec::new();
    }
    let n = c.seeds.len();
    let ticks: Vec<(f64, String)> =
        c.policies.iter().skip(1).enumerate().map(|(i, p)| (i as f64, p.name.clone())).collect();
    let base = &c.policies[0];
    c.figures
        .iter()
        .enumerate()
        .map(|(f, def)| {
            let mut fig = Figure::new(
                &format!("policy-diff-{}", def.name.replace([':', '/'], "-")),
                format!("{}: policy − baseline, seed by seed", def.name),
                &format!("policy ({n} seeds: one dot per seed, × the mean, ▲ its 95% interval)"),
                format!("difference ({})", def.unit),
            );
            fig.x_ticks.clone_from(&ticks);
            let (mut means, mut ends) = (Vec::new(), Vec::new());
            let b = base.figures.get(f).map(|r| r.values.clone()).unwrap_or_default();
            for (i, p) in c.policies.iter().skip(1).enumerate() {
                let Some(r) = p.figures.get(f) else { continue };
                let diffs = cascade_sim::compare::paired_differences(&r.values, &b);
                let points: Vec<(f64, f64)> = diffs
                    .iter()
                    .enumerate()
                    .filter_map(|(k, d)| d.map(|d| (i as f64 + seed_offset(k, n), d)))
                    .collect();
                fig.markers.push(Markers {
                    name: p.name.clone(),
                    color: palette(i + 1),
                    shape: Shape::Circle,
                    points,
                });
                if let Some(d) = &r.vs_baseline {
                    means.extend(d.mean.map(|m| (i as f64, m)));
                    ends.extend(d.ci_lo.map(|v| (i as f64, v)));
                    ends.extend(d.ci_hi.map(|v| (i as f64, v)));
                }
            }
            fig.markers.push(Markers {
                name: "mean".into(),
                color: MEAN,
                shape: Shape::Cross,
                points: means,
            });
            fig.markers.push(Markers {
                name: "95% interval of the mean".into(),
                color: INTERVAL,
                shape: Shape::Triangle,
                points: ends,
            });
            fig.noted_if_empty("no seed with a value for both")
        })
        .collect()
}

/// A figure's value for tables: money and counts in short form (`1.6B`), percentages and
/// minutes to two decimals; `–` for none.
#[must_use]
pub fn value(x: Option<f64>, unit: &str) -> String {
    match x {
        None => "–".into(),
        Some(x) if unit == "USD" || unit == "count" => short_amount(x),
        Some(x) => format!("{x:.2}"),
    }
}

/// A difference: like [`value`] with an explicit sign (`+1.2M`, `-0.35`, `0`).
#[must_use]
pub fn signed(x: Option<f64>, unit: &str) -> String {
    match x {
        Some(d) if d > 0.0 => format!("+{}", value(Some(d), unit)),
        Some(0.0) => "0".into(),
        other => value(other, unit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cascade_sim::compare::{FigureDef, PolicyRuns};

    #[test]
    fn one_column_per_policy_one_dot_per_seed() {
        let defs = vec![FigureDef { name: "drop_pct:a/X".into(), unit: "%".into(), description: "d".into() }];
        let base = PolicyRuns {
            name: "baseline".into(),
            file: None,
            per_seed: vec![vec![Some(1.0)], vec![Some(3.0)]],
        };
        let p = PolicyRuns { name: "p".into(), file: None, per_seed: vec![vec![Some(2.0)], vec![None]] };
        let c = Comparison::build("s", "s.toml", &[1, 2], defs, &[base, p]);
        let figs = figures(&c);
        assert_eq!(figs.len(), 1);
        let fig = &figs[0];
        assert_eq!(fig.id, "policy-drop_pct-a-x");
        assert_eq!(fig.x_ticks, vec![(0.0, "baseline".to_string()), (1.0, "p".to_string())]);
        // Seed 1 at −0.25, seed 2 at +0.25 inside each column; p has no value for seed 2.
        assert_eq!(fig.markers[0].points, vec![(-0.25, 1.0), (0.25, 3.0)]);
        assert_eq!(fig.markers[1].points, vec![(0.75, 2.0)]);
        // Means: (1 + 3) / 2 = 2 for the baseline, 2 for p.
        assert_eq!(fig.markers[2].points, vec![(0.0, 2.0), (1.0, 2.0)]);
    }

    #[test]
    fn differences_are_per_seed_with_the_interval_ends() {
        let defs = vec![FigureDef { name: "a".into(), unit: "USD".into(), description: "d".into() }];
        let base = PolicyRuns {
            name: "baseline".into(),
            file: None,
            per_seed: vec![vec![Some(1.0)], vec![Some(3.0)]],
        };
        let p = PolicyRuns { name: "p".into(), file: None, per_seed: vec![vec![Some(3.0)], vec![Some(5.0)]] };
        let c = Comparison::build("s", "s.toml", &[1, 2], defs, &[base.clone(), p]);
        let figs = difference_figures(&c);
        assert_eq!(figs.len(), 1);
        assert_eq!(figs[0].x_ticks, vec![(0.0, "p".to_string())]);
        // 3 − 1 and 5 − 3: both +2, so the mean and both interval ends are 2.
        assert_eq!(figs[0].markers[0].points, vec![(-0.25, 2.0), (0.25, 2.0)]);
        assert_eq!(figs[0].markers[1].points, vec![(0.0, 2.0)]);
        assert_eq!(figs[0].markers[2].points, vec![(0.0, 2.0), (0.0, 2.0)]);
        let only_base = Comparison::build("s", "s.toml", &[1, 2], c.figures.clone(), &[base]);
        assert!(difference_figures(&only_base).is_empty());
    }

    #[test]
    fn table_numbers() {
        assert_eq!(value(Some(1.6e9), "USD"), "1.6B");
        assert_eq!(value(Some(12.345), "%"), "12.35");
        assert_eq!(value(None, "min"), "–");
        assert_eq!(signed(Some(2.5e6), "USD"), "+2.5M");
        assert_eq!(signed(Some(-0.5), "%"), "-0.50");
        assert_eq!(signed(Some(0.0), "%"), "0");
        assert_eq!(seed_offset(0, 1), 0.0);
        assert_eq!(seed_offset(1, 3), 0.0);
    }
}
