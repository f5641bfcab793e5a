//! The HTML page: one self-contained file rendered from `templates/page.html` with askama.
//! Summary tables come first, then the charts, then the scenario text folded away at the end.
//! Charts are interactive (uPlot, inlined: zoom, hover, series toggles; see
//! [`crate::interactive`]) over a time, numeric or categorical x; charts with vertical rules
//! (liquidation maps) are inline SVG. The charts' font, DejaVu Sans, is
//! embedded as a `data:` URL so text looks the same as in the PNGs on a machine with no fonts.
//!
//! A Content-Security-Policy of `default-src 'none'` with the inline scripts allowed by hash
//! makes the browser refuse any request the page might make. The layout is a responsive grid:
//! two charts per row from about 1,250 px, one below, no horizontal scroll.

use std::sync::OnceLock;

use askama::Template;

use crate::charts::Figure;
use crate::interactive::{self, APP_JS, UPLOT_CSS, UPLOT_JS};
use crate::tables::Table;

/// Standard base64 (RFC 4648, with padding).
#[must_use]
pub fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(c.get(1).copied().unwrap_or(0)) << 8)
            | u32::from(c.get(2).copied().unwrap_or(0));
        let idx = [(n >> 18) & 63, (n >> 12) & 63, (n >> 6) & 63, n & 63];
        for (k, i) in idx.iter().enumerate() {
            if k <= c.len() {
                out.push(char::from(A[*i as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// DejaVu Sans as base64, computed once.
fn font_base64() -> &'static str {
    static FONT: OnceLock<String> = OnceLock::new();
    FONT.get_or_init(|| base64(dejavu::sans::regular()))
}

/// A chart on the page.
pub struct PlacedChart {
    /// Element id (the chart's file stem).
    pub id: String,
    /// Title (for the file links).
    pub title: String,
    /// The SVG document, inlined as is (empty for an interactive chart).
    pub svg: String,
    /// Index of the chart's figure in the page's JSON when it is interactive.
    pub figure: Option<usize>,
}

/// A preformatted block (scenario file, liquidation-map clusters).
pub struct Block {
    /// Heading.
    pub caption: String,
    /// Text, shown verbatim (escaped).
    pub text: String,
    /// Folded away (`<details>`) until the reader opens it: long texts such as the scenario.
    pub folded: bool,
}

impl Block {
    /// A block shown open.
    #[must_use]
    pub fn open(caption: impl Into<String>, text: impl Into<String>) -> Self {
        Self { caption: caption.into(), text: text.into(), folded: false }
    }

    /// A block folded away until opened.
    #[must_use]
    pub fn folded(caption: impl Into<String>, text: impl Into<String>) -> Self {
        Self { caption: caption.into(), text: text.into(), folded: true }
    }
}

/// Everything one page shows.
#[derive(Template)]
#[template(path = "page.html")]
pub struct Page {
    /// `<title>` and heading.
    pub title: String,
    /// Line under the heading.
    pub subtitle: String,
    /// Charts.
    pub charts: Vec<PlacedChart>,
    /// Preformatted blocks, after the charts.
    pub blocks: Vec<Block>,
    /// Tables, before the charts.
    pub tables: Vec<Table>,
    /// Warnings (e.g. a scenario file that does not validate) and explanations, at the top.
    pub notes: Vec<String>,
    /// Whether each chart is also saved beside the page as PNG and SVG (the page says so);
    /// `false` for a page written alone (the sweep report).
    pub files_beside: bool,
    /// The embedded font, base64.
    pub font_b64: &'static str,
    /// The interactive charts' figures as JSON (`[]` without any).
    pub charts_json: String,
    /// Whether the page carries the scripts (it has interactive charts).
    pub scripts: bool,
    /// The Content-Security-Policy.
    pub csp: String,
    /// uPlot's stylesheet.
    pub uplot_css: &'static str,
    /// uPlot.
    pub uplot_js: &'static str,
    /// The page's chart builder.
    pub app_js: &'static str,
}

fn csp(scripts: bool) -> String {
    let base = "default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:";
    if scripts {
        format!(
            "{base}; script-src {} {}",
            interactive::script_hash(UPLOT_JS),
            interactive::script_hash(APP_JS)
        )
    } else {
        base.to_string()
    }
}

impl Page {
    /// A page of static SVG charts, `(id, title, svg)` each, in order.
    #[must_use]
    pub fn new(title: String, subtitle: String, charts: Vec<(String, String, String)>) -> Self {
        let charts =
            charts.into_iter().map(|(id, title, svg)| PlacedChart { id, title, svg, figure: None }).collect();
        Self::assemble(title, subtitle, charts, "[]".into())
    }

    /// A page of `figures` with their SVG documents (`svgs[i]` is `figures[i]`'s): figures
    /// become interactive charts ([`interactive::is_interactive`]: over time, a parameter's
    /// value or named columns), the others stay inline SVG. For any report built from
    /// [`Figure`]s (runs, comparisons, policy comparisons, sweeps).
    ///
    /// # Errors
    /// A figure that does not serialise to JSON (not expected).
    pub fn with_figures(
        title: String,
        subtitle: String,
        figures: &[Figure],
        svgs: Vec<String>,
    ) -> Result<Self, serde_json::Error> {
        let mut live: Vec<&Figure> = Vec::new();
        let charts = figures
            .iter()
            .zip(svgs)
            .map(|(fig, svg)| {
                if interactive::is_interactive(fig) {
                    live.push(fig);
                    PlacedChart {
                        id: fig.id.clone(),
                        title: fig.title.clone(),
                        svg: String::new(),
                        figure: Some(live.len() - 1),
                    }
                } else {
                    PlacedChart { id: fig.id.clone(), title: fig.title.clone(), svg, figure: None }
                }
            })
            .collect();
        let json = interactive::figures_json(&live)?;
        Ok(Self::assemble(title, subtitle, charts, json))
    }

    fn assemble(title: String, subtitle: String, charts: Vec<PlacedChart>, charts_json: String) -> Self {
        let scripts = charts.iter().any(|c| c.figure.is_some());
        Self {
            title,
            subtitle,
            charts,
            blocks: Vec::new(),
            tables: Vec::new(),
            notes: Vec::new(),
            files_beside: true,
            font_b64: font_base64(),
            charts_json,
            scripts,
            csp: csp(scripts),
            uplot_css: UPLOT_CSS,
            uplot_js: UPLOT_JS,
            app_js: APP_JS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn the_policy_allows_exactly_the_inlined_scripts() {
        let mut fig = Figure::new("t", "t".into(), "x", "y".into());
        fig.lines.push(crate::charts::Line {
            name: "a".into(),
            color: crate::charts::palette(0),
            points: vec![(0.0, 1.0)],
        });
        let page = Page::with_figures("T".into(), "S".into(), &[fig], vec![String::new()]).unwrap();
        let html = page.render().unwrap();
        assert!(html.contains(&interactive::script_hash(UPLOT_JS)));
        assert!(html.contains(&interactive::script_hash(APP_JS)));
        // Each hashed script is inlined byte for byte between its tags.
        assert!(html.contains(&format!("<script>{UPLOT_JS}</script>")));
        assert!(html.contains(&format!("<script>{APP_JS}</script>")));
        assert!(html.contains("default-src 'none'"));
        let static_page = Page::new("T".into(), "S".into(), vec![]).render().unwrap();
        assert!(!static_page.contains("<script"), "a page without interactive charts runs no script");
    }
}
