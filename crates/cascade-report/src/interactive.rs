//! The interactive layer of the HTML page: uPlot (vendored, `vendor/uplot/`, MIT) and
//! `interactive.js`, inlined into the page, which draw a zoomable, hoverable chart from each
//! [`Figure`] serialised as JSON into the page.
//!
//! The page stays one offline file under a strict Content-Security-Policy: scripts run only if
//! their SHA-256 is listed in the policy ([`script_hash`]), so the page runs exactly the code it
//! was built with and can fetch nothing. The x axis is a run's time (UTC clock times when the
//! run is placed), a number (a swept parameter's value) or named columns ([`Figure::x_ticks`]:
//! the policies of `cascade compare`). Charts with vertical rules (liquidation maps) or a
//! heatmap stay static SVG ([`is_interactive`]).

use sha2::{Digest, Sha256};

use crate::charts::Figure;

/// uPlot 1.6.32, minified (`vendor/uplot/README.md`: source and checksums).
pub const UPLOT_JS: &str = include_str!("../vendor/uplot/uPlot.iife.min.js");
/// uPlot's stylesheet.
pub const UPLOT_CSS: &str = include_str!("../vendor/uplot/uPlot.min.css");
/// Builds the charts from the page's JSON (`#cascade-charts`).
pub const APP_JS: &str = include_str!("interactive.js");

/// Whether a figure becomes an interactive chart on the page rather than inline SVG: any x axis
/// (time, numeric or named columns), but no vertical rules or heatmap (uPlot has no such
/// series) and something to draw (an empty figure's SVG says why it is empty, e.g. "no value
/// for any seed").
#[must_use]
pub fn is_interactive(fig: &Figure) -> bool {
    fig.vlines.is_empty() && fig.heat.is_none() && fig.note.is_none()
}

/// The CSP source of an inline script: `'sha256-…'` (base64 of the SHA-256 of its text).
#[must_use]
pub fn script_hash(script: &str) -> String {
    format!("'sha256-{}'", crate::html::base64(&Sha256::digest(script.as_bytes())))
}

/// The figures as a JSON array safe inside `<script type="application/json">`: `<` is written
/// `\u003c`, so no text in a label can close the element.
///
/// # Errors
/// A figure that does not serialise (not expected: figures are plain data).
pub fn figures_json(figs: &[&Figure]) -> Result<String, serde_json::Error> {
    let mut v = serde_json::to_value(figs)?;
    round_numbers(&mut v);
    Ok(serde_json::to_string(&v)?.replace('<', "\\u003c"))
}

/// Significant digits kept in the page's chart data: a reader hovers to 1 part in 10^7 at
/// most, and full `f64` digits doubled a 38-market page's size.
const DIGITS: i32 = 7;

fn round_numbers(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Array(a) => a.iter_mut().for_each(round_numbers),
        serde_json::Value::Object(o) => o.values_mut().for_each(round_numbers),
        serde_json::Value::Number(n) if n.is_f64() => {
            if let Some(x) = n.as_f64().filter(|x| *x != 0.0 && x.is_finite()) {
                let scale = 10f64.powi(DIGITS - 1 - x.abs().log10().floor() as i32);
                if let Some(r) = serde_json::Number::from_f64((x * scale).round() / scale) {
                    *n = r;
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_hash_is_the_base64_sha256() {
        // SHA-256("") = e3b0c442…b855, base64 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=.
        assert_eq!(script_hash(""), "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='");
    }

    #[test]
    fn json_cannot_close_its_script_element() {
        let fig = Figure::new("x", "a </script><script>alert(1)</script>".into(), "x", "y".into());
        let j = figures_json(&[&fig]).unwrap();
        assert!(!j.contains("</"), "{j}");
        let back: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert_eq!(back[0]["title"], "a </script><script>alert(1)</script>");
    }

    #[test]
    fn chart_data_keeps_seven_significant_digits() {
        let mut fig = Figure::new("x", "t".into(), "x", "y".into());
        fig.lines.push(crate::charts::Line {
            name: "a".into(),
            color: crate::charts::palette(0),
            points: vec![(1.0 / 60.0, 100_012.345_678), (2.5, 0.000_123_456_789)],
        });
        let j = figures_json(&[&fig]).unwrap();
        assert!(j.contains("[0.01666667,100012.3]") && j.contains("[2.5,0.0001234568]"), "{j}");
    }

    #[test]
    fn empty_figures_and_rules_stay_static() {
        let mut fig = Figure::new("x", "t".into(), "x", "y".into());
        fig.lines.push(crate::charts::Line {
            name: "a".into(),
            color: crate::charts::palette(0),
            points: vec![(0.0, 1.0)],
        });
        fig.x_ticks = vec![(0.0, "baseline".into())];
        assert!(is_interactive(&fig), "named columns are interactive");
        let empty = Figure::new("e", "t".into(), "x", "y".into()).noted_if_empty("no value for any seed");
        assert!(!is_interactive(&empty), "an empty figure keeps its note in SVG");
        fig.vlines.push(crate::charts::VLine { name: "r".into(), color: crate::charts::palette(1), x: 0.0 });
        assert!(!is_interactive(&fig), "uPlot draws no vertical rule");
    }

    #[test]
    fn vendored_library_is_the_pinned_uplot() {
        assert!(UPLOT_JS.contains("uPlot"), "uPlot missing");
        assert!(!UPLOT_JS.contains("</script"), "the library would close its inline element");
        assert!(!APP_JS.contains("</script"));
    }
}
