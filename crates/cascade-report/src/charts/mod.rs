//! Charts: a plain description of each chart ([`Figure`]: lines, stacked bars, markers, vertical
//! rules, axis labels with units) built by one file per chart kind, and one renderer
//! ([`draw`]) that turns any figure into SVG text and PNG bytes.
//!
//! The figure is the data behind a chart: it is what the snapshot tests pin, so a change of
//! numbers shows in review apart from a change of drawing. Building a figure never fails and
//! never panics; a run with nothing to show gives a figure with a note ("no data").

use serde::Serialize;

pub mod calibration;
pub mod compare;
pub mod depth;
pub mod draw;
pub mod funding;
pub mod insurance;
pub mod liqmap;
pub mod liquidations;
pub mod open_interest;
pub mod policies;
pub mod price;

/// Size every chart is rendered at, pixels (SVG user units), width × height.
pub const CHART_SIZE: (u32, u32) = (960, 480);

/// Most points drawn per line: longer series are thinned keeping each bucket's extremes.
pub const MAX_LINE_POINTS: usize = 2_000;

/// Most bars in a time histogram: intervals are merged into wider bins beyond it.
pub const MAX_BARS: usize = 120;

/// An sRGB colour, written `#rrggbb` in snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Color(pub u8, pub u8, pub u8);

impl Serialize for Color {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2))
    }
}

/// Colours for series, in the order they are handed out (colour-blind-safe Okabe–Ito first).
pub const PALETTE: [Color; 10] = [
    Color(0, 114, 178),
    Color(230, 159, 0),
    Color(0, 158, 115),
    Color(204, 121, 167),
    Color(86, 180, 233),
    Color(213, 94, 0),
    Color(120, 120, 120),
    Color(240, 228, 66),
    Color(0, 0, 0),
    Color(140, 86, 75),
];

/// The `i`-th palette colour (cycling).
#[must_use]
pub fn palette(i: usize) -> Color {
    PALETTE[i % PALETTE.len()]
}

/// Red for longs (liquidated when the price falls).
pub const LONG: Color = Color(204, 37, 41);
/// Green for shorts (liquidated when the price rises).
pub const SHORT: Color = Color(0, 140, 70);

/// A polyline.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    /// Legend label.
    pub name: String,
    /// Colour.
    pub color: Color,
    /// Points in axis units, in x order.
    pub points: Vec<(f64, f64)>,
}

/// A shaded band between a lower and an upper curve (a fan chart's p5–p95 range).
#[derive(Debug, Clone, Serialize)]
pub struct Band {
    /// Legend label.
    pub name: String,
    /// Colour (drawn translucent).
    pub color: Color,
    /// `(x, lower, upper)` in axis units, in x order.
    pub points: Vec<(f64, f64, f64)>,
}

/// Stacked bars over shared bins.
#[derive(Debug, Clone, Serialize)]
pub struct Bars {
    /// Bin edges in x units (`n + 1` edges for `n` bins), increasing.
    pub edges: Vec<f64>,
    /// Layers, bottom first; each has one value per bin.
    pub stacks: Vec<Stack>,
}

/// One layer of stacked bars.
#[derive(Debug, Clone, Serialize)]
pub struct Stack {
    /// Legend label.
    pub name: String,
    /// Colour.
    pub color: Color,
    /// Height in each bin (≥ 0).
    pub values: Vec<f64>,
}

/// Marker shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Shape {
    /// A filled circle.
    Circle,
    /// A filled triangle.
    Triangle,
    /// A cross.
    Cross,
}

/// Point markers (events such as liquidation bursts or ADL).
#[derive(Debug, Clone, Serialize)]
pub struct Markers {
    /// Legend label.
    pub name: String,
    /// Colour.
    pub color: Color,
    /// Shape.
    pub shape: Shape,
    /// Points in axis units.
    pub points: Vec<(f64, f64)>,
}

/// A vertical rule across the plot (e.g. the reference price of a liquidation map).
#[derive(Debug, Clone, Serialize)]
pub struct VLine {
    /// Legend label.
    pub name: String,
    /// Colour.
    pub color: Color,
    /// Position, x units.
    pub x: f64,
}

/// Everything a chart shows.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// File stem of the chart's PNG and SVG (`[a-z0-9_.-]` only).
    pub id: String,
    /// Title drawn above the plot.
    pub title: String,
    /// X axis description, with its unit.
    pub x_label: String,
    /// Y axis description, with its unit.
    pub y_label: String,
    /// Whether the y axis starts at zero (quantities) rather than fitting the data (prices).
    pub y_from_zero: bool,
    /// Lines.
    pub lines: Vec<Line>,
    /// Stacked bars, drawn under the lines.
    pub bars: Option<Bars>,
    /// Shaded bands, drawn under the lines (fan charts).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bands: Vec<Band>,
    /// Markers, drawn over the lines.
    pub markers: Vec<Markers>,
    /// Vertical rules.
    pub vlines: Vec<VLine>,
    /// A note drawn in the plot when there is nothing to show.
    pub note: Option<String>,
    /// Named positions on a categorical x axis (e.g. one per policy): when set, the x axis shows
    /// these names at these positions instead of numbers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub x_ticks: Vec<(f64, String)>,
}

impl Figure {
    /// An empty figure with its labels.
    #[must_use]
    pub fn new(id: &str, title: String, x_label: &str, y_label: String) -> Self {
        Self {
            id: file_stem(id),
            title,
            x_label: x_label.to_string(),
            y_label,
            y_from_zero: true,
            lines: Vec::new(),
            bars: None,
            bands: Vec::new(),
            markers: Vec::new(),
            vlines: Vec::new(),
            note: None,
            x_ticks: Vec::new(),
        }
    }

    /// Whether anything would be drawn in the plot area.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lines.iter().all(|l| l.points.is_empty())
            && self.bands.iter().all(|b| b.points.is_empty())
            && self.bars.as_ref().is_none_or(|b| b.stacks.iter().all(|s| s.values.iter().all(|v| *v == 0.0)))
            && self.markers.iter().all(|m| m.points.is_empty())
    }

    /// Sets the note to `note` when nothing would be drawn; returns the figure.
    #[must_use]
    pub fn noted_if_empty(mut self, note: &str) -> Self {
        if self.is_empty() {
            self.note = Some(note.to_string());
        }
        self
    }
}

/// A file-name-safe stem: ASCII letters and digits kept (lower-cased), `.`, `_` and `-` kept,
/// anything else becomes `_`.
#[must_use]
pub fn file_stem(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '.' | '_' | '-' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => '_',
        })
        .collect()
}

/// The time unit of a run's x axis, chosen from its length so ticks read naturally.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TimeAxis {
    /// Milliseconds per axis unit.
    pub ms_per_unit: f64,
    /// Unit name: `s`, `min` or `h`.
    pub unit: &'static str,
}

impl TimeAxis {
    /// Seconds up to 10 minutes, minutes up to 10 hours, hours beyond.
    #[must_use]
    pub fn for_duration(duration_ms: u64) -> Self {
        if duration_ms <= 600_000 {
            Self { ms_per_unit: 1_000.0, unit: "s" }
        } else if duration_ms <= 36_000_000 {
            Self { ms_per_unit: 60_000.0, unit: "min" }
        } else {
            Self { ms_per_unit: 3_600_000.0, unit: "h" }
        }
    }

    /// A time in axis units.
    #[must_use]
    pub fn x(&self, time_ms: u64) -> f64 {
        time_ms as f64 / self.ms_per_unit
    }

    /// The x axis description.
    #[must_use]
    pub fn label(&self) -> String {
        format!("time since start ({})", self.unit)
    }
}

/// Thins `points` (in x order) to at most about `max` points: consecutive buckets each keep
/// their first, lowest, highest and last point, in x order, so spikes and crashes survive.
#[must_use]
pub fn decimate(points: &[(f64, f64)], max: usize) -> Vec<(f64, f64)> {
    if points.len() <= max || max < 4 {
        return points.to_vec();
    }
    let buckets = max / 4;
    let per = points.len().div_ceil(buckets);
    let mut out = Vec::with_capacity(max);
    for chunk in points.chunks(per) {
        let mut idx = [0usize, 0, 0, chunk.len() - 1];
        for (i, p) in chunk.iter().enumerate() {
            if p.1 < chunk[idx[1]].1 {
                idx[1] = i;
            }
            if p.1 > chunk[idx[2]].1 {
                idx[2] = i;
            }
        }
        idx.sort_unstable();
        let mut last = usize::MAX;
        for i in idx {
            if i != last {
                out.push(chunk[i]);
                last = i;
            }
        }
    }
    out
}

/// A money or quantity amount in short form: `1.6B`, `250M`, `12.3K`, `512`, `0.0042`.
#[must_use]
pub fn short_amount(v: f64) -> String {
    let a = v.abs();
    let (x, suffix) = if a >= 1e12 {
        (v / 1e12, "T")
    } else if a >= 1e9 {
        (v / 1e9, "B")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e4 {
        (v / 1e3, "K")
    } else {
        (v, "")
    };
    let t = if suffix.is_empty() {
        if a == 0.0 {
            "0".to_string()
        } else if a >= 100.0 {
            format!("{x:.0}")
        } else if a >= 1.0 {
            format!("{x:.2}")
        } else {
            format!("{x:.4}")
        }
    } else if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    };
    let t = if t.contains('.') { t.trim_end_matches('0').trim_end_matches('.').to_string() } else { t };
    format!("{t}{suffix}")
}

/// A decimal as `f64` for drawing (exact decimals stay exact in the tables).
#[must_use]
pub fn f(d: rust_decimal::Decimal) -> f64 {
    use rust_decimal::prelude::ToPrimitive;
    d.to_f64().unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_amounts_read_like_headlines() {
        assert_eq!(short_amount(1.6e9), "1.6B");
        assert_eq!(short_amount(250e6), "250M");
        assert_eq!(short_amount(12_345.0), "12.3K");
        assert_eq!(short_amount(512.0), "512");
        assert_eq!(short_amount(0.0), "0");
        assert_eq!(short_amount(-2.5e6), "-2.5M");
        assert_eq!(short_amount(0.0042), "0.0042");
    }

    #[test]
    fn decimation_keeps_extremes() {
        let pts: Vec<(f64, f64)> =
            (0..10_000).map(|i| (f64::from(i), if i == 5_001 { -50.0 } else { 1.0 })).collect();
        let d = decimate(&pts, 400);
        assert!(d.len() <= 400, "{}", d.len());
        assert!(d.contains(&(5_001.0, -50.0)));
        assert_eq!(d.first(), Some(&(0.0, 1.0)));
        assert_eq!(d.last(), Some(&(9_999.0, 1.0)));
        assert!(d.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn stems_are_file_safe() {
        assert_eq!(file_stem("price-Binance-BTC/USDT:USDT"), "price-binance-btc_usdt_usdt");
    }
}
