//! The HTML page: one self-contained file (inline SVG charts, inline CSS, no script, nothing
//! fetched) rendered from `templates/page.html` with askama. The charts' font, DejaVu Sans, is
//! embedded as a `data:` URL (about 1 MB of base64), so text looks the same as in the PNGs on a
//! machine with no fonts installed. A Content-Security-Policy of `default-src 'none'` makes the
//! browser refuse any request the page might still make.
//!
//! Charts sit at fixed positions ([`chart_rect`]) so a screenshot test can find each one; the
//! tables and text come below them.

use std::sync::OnceLock;

use askama::Template;

use crate::tables::Table;

/// Height of the page header (title and subtitle), CSS pixels.
pub const HEADER_H: u32 = 110;
/// Width of a chart on the page, CSS pixels (the SVG is scaled from
/// [`crate::charts::CHART_SIZE`]).
pub const CHART_W: u32 = 680;
/// Height of a chart on the page, CSS pixels.
pub const CHART_H: u32 = 340;
/// Gap between charts and to the page's left edge.
pub const GAP: u32 = 10;
/// Charts per row.
pub const COLUMNS: u32 = 2;

/// Where chart `i` is drawn on the page: `(left, top, width, height)` in CSS pixels from the
/// page's top-left corner.
#[must_use]
pub fn chart_rect(i: usize) -> (u32, u32, u32, u32) {
    let i = u32::try_from(i).unwrap_or(u32::MAX / 2);
    let (col, row) = (i % COLUMNS, i / COLUMNS);
    (GAP + col * (CHART_W + GAP), HEADER_H + row.saturating_mul(CHART_H + GAP), CHART_W, CHART_H)
}

/// Height of the chart area holding `n` charts, CSS pixels.
#[must_use]
pub fn charts_height(n: usize) -> u32 {
    let rows = u32::try_from(n).unwrap_or(u32::MAX / 2).div_ceil(COLUMNS);
    rows.saturating_mul(CHART_H + GAP)
}

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

/// A chart placed on the page.
pub struct PlacedChart {
    /// Element id (the chart's file stem).
    pub id: String,
    /// Title (for the file links).
    pub title: String,
    /// Left offset within the chart area, px.
    pub left: u32,
    /// Top offset within the chart area, px.
    pub top: u32,
    /// The SVG document, inlined as is.
    pub svg: String,
}

/// A preformatted block (scenario file, liquidation-map clusters).
pub struct Block {
    /// Heading.
    pub caption: String,
    /// Text, shown verbatim (escaped).
    pub text: String,
}

/// Everything one page shows.
#[derive(Template)]
#[template(path = "page.html")]
pub struct Page {
    /// `<title>` and heading.
    pub title: String,
    /// Line under the heading.
    pub subtitle: String,
    /// Header height, px.
    pub header_h: u32,
    /// Chart area height, px.
    pub charts_h: u32,
    /// Chart width, px.
    pub chart_w: u32,
    /// Chart height, px.
    pub chart_h: u32,
    /// Charts.
    pub charts: Vec<PlacedChart>,
    /// Preformatted blocks shown right under the charts.
    pub blocks: Vec<Block>,
    /// Tables.
    pub tables: Vec<Table>,
    /// Warnings (e.g. a scenario file that does not validate).
    pub notes: Vec<String>,
    /// The embedded font, base64.
    pub font_b64: &'static str,
}

impl Page {
    /// A page with its charts placed in order.
    #[must_use]
    pub fn new(title: String, subtitle: String, charts: Vec<(String, String, String)>) -> Self {
        let n = charts.len();
        let charts = charts
            .into_iter()
            .enumerate()
            .map(|(i, (id, title, svg))| {
                let (left, top, _, _) = chart_rect(i);
                PlacedChart { id, title, left, top: top - HEADER_H, svg }
            })
            .collect();
        Self {
            title,
            subtitle,
            header_h: HEADER_H,
            charts_h: charts_height(n),
            chart_w: CHART_W,
            chart_h: CHART_H,
            charts,
            blocks: Vec::new(),
            tables: Vec::new(),
            notes: Vec::new(),
            font_b64: font_base64(),
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
    fn charts_tile_two_per_row_below_the_header() {
        assert_eq!(chart_rect(0), (10, HEADER_H, CHART_W, CHART_H));
        assert_eq!(chart_rect(1), (20 + CHART_W, HEADER_H, CHART_W, CHART_H));
        assert_eq!(chart_rect(2), (10, HEADER_H + CHART_H + GAP, CHART_W, CHART_H));
        assert_eq!(charts_height(3), 2 * (CHART_H + GAP));
    }
}
