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
pub mod glyphs;
pub mod insurance;
pub mod liqmap;
pub mod liqmap_oi;
pub mod liquidations;
pub mod open_interest;
pub mod policies;
pub mod price;
pub mod replay;

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

/// Colours for series, in the order they are handed out (colour-blind-safe Okabe–Ito first);
/// [`palette`] continues past them with distinct generated colours.
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

/// The `i`-th series colour: [`PALETTE`] first, then hues a golden angle apart at three
/// lightness levels, so no two series of a chart share a colour however many it has (a 38-market
/// run has 38 lines).
#[must_use]
pub fn palette(i: usize) -> Color {
    if let Some(c) = PALETTE.get(i) {
        return *c;
    }
    let k = i - PALETTE.len();
    let hue = (k as f64 * 137.507_764).rem_euclid(360.0);
    let light = [0.42, 0.58, 0.32][(k / 7) % 3];
    let sat = [0.75, 0.55][(k / 21) % 2];
    hsl(hue, sat, light)
}

fn hsl(h: f64, s: f64, l: f64) -> Color {
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let hp = h / 60.0;
    let x = c * (1.0 - (hp.rem_euclid(2.0) - 1.0).abs());
    let (r, g, b) = match hp as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = l - c / 2.0;
    let to = |v: f64| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    Color(to(r), to(g), to(b))
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

/// A heatmap drawn under everything else: cells of an x × y grid, one colour family per layer
/// (e.g. longs in reds, shorts in greens), the shade growing with the cell's amount.
#[derive(Debug, Clone, Serialize)]
pub struct Heat {
    /// Column edges, x units, increasing.
    pub x_edges: Vec<f64>,
    /// Row edges, y units, increasing.
    pub y_edges: Vec<f64>,
    /// Layers, drawn in order.
    pub layers: Vec<HeatLayer>,
}

/// One layer of a heatmap.
#[derive(Debug, Clone, Serialize)]
pub struct HeatLayer {
    /// Legend label.
    pub name: String,
    /// Colour of the largest cell (smaller ones are paler shades of it).
    pub color: Color,
    /// Non-zero cells: `(column, row, amount)`.
    pub cells: Vec<(usize, usize, f64)>,
}

impl Heat {
    /// The largest cell over all layers (0 when empty).
    #[must_use]
    pub fn max(&self) -> f64 {
        self.layers
            .iter()
            .flat_map(|l| l.cells.iter().map(|c| c.2))
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max)
    }

    /// The shade of a cell of `amount` in a layer of `color`: white at 0, `color` at the largest
    /// cell, by the square root so small clusters stay visible beside a large one.
    #[must_use]
    pub fn shade(color: Color, amount: f64, max: f64) -> Color {
        let t = if max > 0.0 && amount.is_finite() { (amount / max).clamp(0.0, 1.0).sqrt() } else { 0.0 };
        let t = 0.12 + 0.88 * t;
        let mix = |c: u8| (255.0 - (255.0 - f64::from(c)) * t).round().clamp(0.0, 255.0) as u8;
        Color(mix(color.0), mix(color.1), mix(color.2))
    }
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
    /// A heatmap drawn under everything else (estimated liquidation heatmaps).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heat: Option<Heat>,
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
    /// When x is a run's time (in `time.unit`s since the start): ticks then read as UTC clock
    /// times when the scenario placed the run (`run.start_utc`), and the page's interactive
    /// chart uses a time axis.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<TimeAxis>,
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
            heat: None,
            markers: Vec::new(),
            vlines: Vec::new(),
            note: None,
            x_ticks: Vec::new(),
            time: None,
        }
    }

    /// An empty figure over a run's time axis (`axis` gives the x label and tick format).
    #[must_use]
    pub fn over_time(id: &str, title: String, axis: &TimeAxis, y_label: String) -> Self {
        let mut f = Self::new(id, title, &axis.label(), y_label);
        f.time = Some(*axis);
        f
    }

    /// Legend entries in drawing order (heat, bars, bands, lines, rules, markers): the names a reader
    /// tells series apart by.
    #[must_use]
    pub fn legend(&self) -> Vec<(&str, Color)> {
        let mut out: Vec<(&str, Color)> = Vec::new();
        if let Some(h) = &self.heat {
            out.extend(h.layers.iter().map(|l| (l.name.as_str(), l.color)));
        }
        if let Some(b) = &self.bars {
            out.extend(b.stacks.iter().map(|s| (s.name.as_str(), s.color)));
        }
        out.extend(self.bands.iter().map(|b| (b.name.as_str(), b.color)));
        out.extend(self.lines.iter().map(|l| (l.name.as_str(), l.color)));
        out.extend(self.vlines.iter().map(|l| (l.name.as_str(), l.color)));
        out.extend(self.markers.iter().map(|m| (m.name.as_str(), m.color)));
        out
    }

    /// Whether anything would be drawn in the plot area.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lines.iter().all(|l| l.points.is_empty())
            && self.bands.iter().all(|b| b.points.is_empty())
            && self.bars.as_ref().is_none_or(|b| b.stacks.iter().all(|s| s.values.iter().all(|v| *v == 0.0)))
            && self.markers.iter().all(|m| m.points.is_empty())
            && self.heat.as_ref().is_none_or(|h| h.max() <= 0.0)
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

/// The time unit of a run's x axis, chosen from its length so ticks read naturally, and the
/// UTC instant the run's time zero stands for when the scenario set one (`run.start_utc`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TimeAxis {
    /// Milliseconds per axis unit.
    pub ms_per_unit: f64,
    /// Unit name: `s`, `min` or `h`.
    pub unit: &'static str,
    /// Unix time, milliseconds, of the run's time zero (`None`: the run has no calendar time).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_unix_ms: Option<i64>,
}

impl TimeAxis {
    /// Seconds up to 10 minutes, minutes up to 10 hours, hours beyond.
    #[must_use]
    pub fn for_duration(duration_ms: u64) -> Self {
        let (ms_per_unit, unit) = if duration_ms <= 600_000 {
            (1_000.0, "s")
        } else if duration_ms <= 36_000_000 {
            (60_000.0, "min")
        } else {
            (3_600_000.0, "h")
        };
        Self { ms_per_unit, unit, start_unix_ms: None }
    }

    /// The same axis placed at a UTC start (`run.start_utc`, Unix milliseconds).
    #[must_use]
    pub fn at_utc(self, start_unix_ms: Option<i64>) -> Self {
        Self { start_unix_ms, ..self }
    }

    /// How a tick at `x` (axis units) reads: the UTC clock time (`21:15`, or `21:15:30` on runs
    /// of 10 minutes or less) when the run has a start, else the number of units.
    #[must_use]
    pub fn tick(&self, x: f64) -> String {
        let Some(start) = self.start_unix_ms else { return short_amount(x) };
        let ms = start as f64 + x * self.ms_per_unit;
        if !ms.is_finite() {
            return String::new();
        }
        let secs = (ms / 1000.0).round() as i64;
        let day = secs.rem_euclid(86_400);
        let (h, m, s) = (day / 3600, day % 3600 / 60, day % 60);
        if self.unit == "s" { format!("{h:02}:{m:02}:{s:02}") } else { format!("{h:02}:{m:02}") }
    }

    /// A run time (ms since the start) as an ISO-8601 UTC timestamp, when the run has a start.
    #[must_use]
    pub fn utc(&self, time_ms: u64) -> Option<String> {
        let start = self.start_unix_ms?;
        Some(iso_utc(start.saturating_add(i64::try_from(time_ms).ok()?)))
    }

    /// A time in axis units.
    #[must_use]
    pub fn x(&self, time_ms: u64) -> f64 {
        time_ms as f64 / self.ms_per_unit
    }

    /// The x axis description: `time (UTC, 2025-10-10)` for a placed run, else
    /// `time since start (min)`.
    #[must_use]
    pub fn label(&self) -> String {
        match self.start_unix_ms {
            Some(start) => format!("time (UTC, {})", &iso_utc(start)[..10]),
            None => format!("time since start ({})", self.unit),
        }
    }
}

/// Unix milliseconds as `2025-10-10T20:45:00.000Z` (UTC): cascade-io's formatter, the one the
/// tables' `time_utc` columns use.
#[must_use]
pub fn iso_utc(unix_ms: i64) -> String {
    cascade_io::utc_text(unix_ms)
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
    fn utc_axis_reads_clock_times() {
        // 2025-10-10T20:45:00Z = 1760129100 s (10 Oct 2025 is day 20371 since 1970-01-01).
        let start = 20_371 * 86_400_000 + (20 * 3600 + 45 * 60) * 1000;
        assert_eq!(iso_utc(start), "2025-10-10T20:45:00.000Z");
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00.000Z");
        let a = TimeAxis::for_duration(7_200_000).at_utc(Some(start));
        assert_eq!(a.label(), "time (UTC, 2025-10-10)");
        assert_eq!(a.tick(30.0), "21:15");
        assert_eq!(a.tick(200.0), "00:05");
        assert_eq!(a.utc(90_500).as_deref(), Some("2025-10-10T20:46:30.500Z"));
        let plain = TimeAxis::for_duration(7_200_000);
        assert_eq!((plain.label().as_str(), plain.tick(30.0).as_str()), ("time since start (min)", "30"));
        assert_eq!(plain.utc(1), None);
    }

    #[test]
    fn forty_series_get_forty_colours() {
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..60 {
            let c = palette(i);
            assert!(seen.insert((c.0, c.1, c.2)), "colour {i} repeats an earlier one: {c:?}");
        }
    }

    #[test]
    fn stems_are_file_safe() {
        assert_eq!(file_stem("price-Binance-BTC/USDT:USDT"), "price-binance-btc_usdt_usdt");
    }
}
