//! The terminal table of `cascade compare`: one block per figure, one line per policy.

use cascade_report::charts::policies::{signed, value};
use cascade_sim::compare::Comparison;

/// The table's lines, columns padded to their widest cell.
#[must_use]
pub fn render(c: &Comparison) -> Vec<String> {
    let mut rows: Vec<Vec<String>> = vec![
        ["figure (unit)", "policy", "n", "mean", "median", "p5", "p95", "Δ mean vs baseline", "95% CI of Δ"]
            .map(String::from)
            .to_vec(),
    ];
    for (f, def) in c.figures.iter().enumerate() {
        for (i, p) in c.policies.iter().enumerate() {
            let Some(r) = p.figures.get(f) else { continue };
            let u = def.unit.as_str();
            let s = &r.summary;
            let (d, ci) = match &r.vs_baseline {
                None => (String::new(), String::new()),
                Some(d) => (signed(d.mean, u), format!("[{}, {}]", signed(d.ci_lo, u), signed(d.ci_hi, u))),
            };
            let n = if s.missing > 0 { format!("{} ({} none)", s.n, s.missing) } else { s.n.to_string() };
            let name = if i == 0 { format!("{} ({u})", def.name) } else { String::new() };
            rows.push(vec![
                name,
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
    let cols = rows[0].len();
    let widths: Vec<usize> =
        (0..cols).map(|k| rows.iter().map(|r| r[k].chars().count()).max().unwrap_or(0)).collect();
    rows.iter()
        .map(|r| {
            let cells: Vec<String> = r
                .iter()
                .enumerate()
                .map(|(k, cell)| {
                    let pad = widths[k] - cell.chars().count();
                    // Names left-aligned, numbers right-aligned.
                    if k < 2 {
                        format!("{cell}{}", " ".repeat(pad))
                    } else {
                        format!("{}{cell}", " ".repeat(pad))
                    }
                })
                .collect();
            cells.join("  ").trim_end().to_string()
        })
        .collect()
}
