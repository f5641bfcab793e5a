//! Outputs of `cascade calibrate`: `fitted.toml` (the scenario text with the best parameters,
//! its comments kept, relative price-file paths made absolute so it runs from anywhere),
//! `fit-report.md` (parameters; each figure's median, p10–p90, band, inside or not) and the
//! overlay chart `calibration-path.png` / `.svg` (reference market's simulated minute path per
//! seed vs the real closes, relative to minute 0).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use cascade_report::charts::{calibration, draw};
use cascade_sim::fit::params::format_decimal;
use cascade_sim::fit::{Figure, median, quantile};
use cascade_sim::scenario::Scenario;

use super::evaluate::Evaluator;
use super::log::Evaluation;

fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    cascade_io::write_atomic(path, |_, w| {
        use std::io::Write;
        w.write_all(bytes).map_err(|source| cascade_io::IoError::File {
            path: path.to_path_buf(),
            action: "writing",
            source,
        })
    })
    .with_context(|| format!("writing {}", path.display()))
}

fn num(x: f64) -> String {
    if x.is_nan() {
        "—".into()
    } else if x.is_infinite() {
        if x > 0.0 { "∞".into() } else { "−∞".into() }
    } else if x.abs() >= 1e6 {
        format!("{x:.4e}")
    } else {
        format_decimal((x * 1e4).round() / 1e4)
    }
}

/// Writes the three outputs for the best evaluation.
pub fn write(
    out: &Path,
    scenario_path: &Path,
    targets_path: &Path,
    scenario: &Scenario,
    ev: &Evaluator,
    best: &Evaluation,
    evaluations: usize,
) -> anyhow::Result<()> {
    // fitted.toml
    let u: Vec<f64> = best.x.iter().map(|x| x.clamp(0.0, 1.0)).collect();
    let (mut text, _) = ev.text_at(&u)?;
    let dir = scenario_path.parent().unwrap_or_else(|| Path::new(""));
    let mut doc = cascade_sim::fit::ScenarioDoc::parse(&text)?;
    for (i, a) in scenario.assets.iter().enumerate() {
        if let Some(p) = &a.path
            && Path::new(p).is_relative()
        {
            let abs =
                std::fs::canonicalize(dir.join(p)).with_context(|| format!("resolving assets[{i}].path"))?;
            doc.set_str(&format!("assets[{i}].path"), &abs.display().to_string())?;
        }
    }
    text = format!(
        "# Fitted by `cascade calibrate {} --targets {}`: evaluation {} of {}, objective {}, seeds {:?}.\n{doc}",
        scenario_path.display(),
        targets_path.display(),
        best.eval,
        evaluations,
        num(best.objective),
        ev.seeds,
    );
    write_file(&out.join("fitted.toml"), text.as_bytes())?;

    // fit-report.md
    let mut md = String::new();
    let _ = writeln!(md, "# Calibration of `{}`\n", scenario_path.display());
    let _ = writeln!(
        md,
        "Targets `{}`; {} seeds per evaluation ({:?}); best of {} evaluations: number {}, objective **{}**{}.\n",
        targets_path.display(),
        ev.seeds.len(),
        ev.seeds,
        evaluations,
        best.eval,
        num(best.objective),
        best.error.as_deref().map_or(String::new(), |e| format!(" (refused: {e})")),
    );
    let _ = writeln!(md, "## Parameters\n\n| parameter | lo | hi | scale | fitted |\n|---|---|---|---|---|");
    for (p, v) in ev.targets.params.iter().zip(&best.params) {
        let factor;
        let scale = match (p.log, p.integer) {
            _ if p.is_factor() => {
                let paths: Vec<&str> = p.factor_of.iter().map(|(x, _)| x.as_str()).collect();
                factor = format!("factor{} of {}", if p.log { ", log" } else { "" }, paths.join(", "));
                factor.as_str()
            }
            _ if p.balance.is_some() => {
                let b = p.balance.as_ref().map_or("", |(x, _)| x.as_str());
                factor = format!("{}, balanced by {b}", if p.log { "log" } else { "linear" });
                factor.as_str()
            }
            (true, true) => "log, integer",
            (true, false) => "log",
            (false, true) => "integer",
            (false, false) => "linear",
        };
        let _ = writeln!(
            md,
            "| `{}` | {} | {} | {scale} | {} |",
            p.path,
            num(p.lo),
            num(p.hi),
            format_decimal(*v)
        );
    }
    let _ = writeln!(
        md,
        "\n## Figures (over seeds)\n\n| figure | median | p10–p90 | band | weight | inside | term |\n|---|---|---|---|---|---|---|"
    );
    let values = |f: Figure| -> Vec<f64> {
        best.figures.iter().map(|m| m.get(f.name()).copied().unwrap_or(f64::NAN)).collect()
    };
    let mut listed = Vec::new();
    for t in &ev.targets.targets {
        let f = t.target.figure;
        listed.push(f);
        let v = values(f);
        let m = median(&v);
        let b = t.target.band;
        let inside = if b.contains(m) { "yes" } else { "**no**" };
        let term = t.target.weight * b.distance(m);
        let _ = writeln!(
            md,
            "| {} | {} | {}–{} | [{}, {}] | {} | {inside} | {} |",
            f.name(),
            num(m),
            num(quantile(&v, 0.1)),
            num(quantile(&v, 0.9)),
            num(b.lo),
            num(b.hi),
            num(t.target.weight),
            num(term),
        );
    }
    for f in Figure::ALL.into_iter().filter(|f| !listed.contains(f)) {
        let v = values(f);
        let _ = writeln!(
            md,
            "| {} | {} | {}–{} | — | — | (not a target) | — |",
            f.name(),
            num(median(&v)),
            num(quantile(&v, 0.1)),
            num(quantile(&v, 0.9))
        );
    }
    if let Some(pp) = &ev.targets.price_path {
        let label = format!("path RMSE vs `{}` (pp of relative price)", pp.file.display());
        rmse_row(&mut md, &label, &best.path_rmse, pp.weight);
    }
    if let Some(d) = &ev.targets.drops {
        let label = format!("drops RMSE vs published, {} markets (pp)", d.markets.len());
        rmse_row(&mut md, &label, &best.drops_rmse, d.weight);
    }
    let mut sources: Vec<String> = ev
        .targets
        .targets
        .iter()
        .filter_map(|t| t.source.as_ref().map(|s| format!("- {}: {s}", t.target.figure.name())))
        .collect();
    if let Some(d) = &ev.targets.drops {
        let listed: Vec<String> =
            d.markets.iter().map(|q| format!("{} {} {}%", q.venue, q.symbol, num(q.drop_pct))).collect();
        let from = d.source.as_ref().map_or(String::new(), |s| format!(" ({s})"));
        sources.push(format!("- drops: {}{from}", listed.join(", ")));
    }
    if !sources.is_empty() {
        let _ = writeln!(md, "\n## Sources of the bands\n\n{}", sources.join("\n"));
    }
    let _ = writeln!(
        md,
        "\nMedians are over seeds; p10–p90 interpolated linearly between order statistics. A term is \
         weight × distance to the band ÷ its scale (0 inside). Chart: `calibration-path.png` / `.svg`."
    );
    write_file(&out.join("fit-report.md"), md.as_bytes())?;

    // Overlay chart.
    let rel = |path: &[Option<f64>]| -> Vec<(f64, f64)> {
        let Some(p0) = path.first().copied().flatten() else { return Vec::new() };
        path.iter().enumerate().filter_map(|(k, p)| p.map(|p| (k as f64, 100.0 * (p / p0 - 1.0)))).collect()
    };
    let real = ev.real.as_deref().map(rel).unwrap_or_default();
    let sims: Vec<(String, Vec<(f64, f64)>)> = best
        .minute_path
        .iter()
        .zip(&ev.seeds)
        .map(|(p, s)| (format!("simulated, seed {s}"), rel(p)))
        .collect();
    let m = &ev.targets.market;
    let fig = calibration::path_overlay(&format!("{} {}", m.venue, m.symbol), &real, &sims);
    write_file(&out.join("calibration-path.svg"), draw::svg(&fig)?.as_bytes())?;
    write_file(&out.join("calibration-path.png"), &draw::png(&fig)?)?;
    Ok(())
}

/// A table row for an RMSE term of the objective: its median over seeds, p10–p90, weight and
/// weighted contribution (a seed without a value counts as NaN, so it shows).
fn rmse_row(md: &mut String, label: &str, per_seed: &[Option<f64>], weight: f64) {
    let r: Vec<f64> = per_seed.iter().map(|x| x.unwrap_or(f64::NAN)).collect();
    let m = median(&r);
    let _ = writeln!(
        md,
        "| {label} | {} | {}–{} | — | {} | — | {} |",
        num(m),
        num(quantile(&r, 0.1)),
        num(quantile(&r, 0.9)),
        num(weight),
        num(weight * m),
    );
}
