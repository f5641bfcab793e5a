//! The one renderer: a [`Figure`] to SVG text or PNG bytes, through plotters.
//!
//! Text is drawn with DejaVu Sans compiled into the binary ([`crate::font`]), so charts render
//! the same on a machine with no fonts installed. Output is deterministic: the same figure gives
//! byte-identical SVG, and identical pixels (hence identical PNG bytes: the PNG encoder writes no
//! time or other varying field) on the same platform. Never panics on data: NaN and infinite
//! points are skipped, an empty figure draws its axes and note.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{CHART_SIZE, Color as FigColor, Figure, Shape, short_amount};

/// Legend row height, pixels.
const LEGEND_ROW: u32 = 20;
/// Legend text size, pixels.
const LEGEND_FONT: u32 = 14;

/// How the legend is laid out under the plot: columns and rows. The legend never sits on the
/// plot, where it would hide data (a 20-series legend covered a third of one).
fn legend_grid(fig: &Figure) -> (u32, u32) {
    let entries = fig.legend();
    if entries.is_empty() {
        return (1, 0);
    }
    // DejaVu Sans averages about 0.6 em per character.
    let longest = entries.iter().map(|(n, _)| n.chars().count()).max().unwrap_or(0) as f64;
    let width = longest * f64::from(LEGEND_FONT) * 0.6 + 40.0;
    let cols = ((f64::from(CHART_SIZE.0) - 80.0) / width).floor().clamp(1.0, 4.0) as u32;
    let n = u32::try_from(entries.len()).unwrap_or(u32::MAX / 2);
    (cols, n.div_ceil(cols))
}

/// The size a figure is drawn at: [`CHART_SIZE`] plus the legend's rows under the plot.
#[must_use]
pub fn size(fig: &Figure) -> (u32, u32) {
    let (_, rows) = legend_grid(fig);
    let legend_h = if rows == 0 { 0 } else { rows * LEGEND_ROW + 12 };
    (CHART_SIZE.0, CHART_SIZE.1 + legend_h)
}
use crate::error::ReportError;

fn rgb(c: FigColor) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

/// The data ranges of a figure, padded; a degenerate range is widened.
fn ranges(fig: &Figure) -> ((f64, f64), (f64, f64)) {
    let mut xs: Vec<f64> = Vec::new();
    let mut ys: Vec<f64> = Vec::new();
    for l in &fig.lines {
        for p in &l.points {
            xs.push(p.0);
            ys.push(p.1);
        }
    }
    for m in &fig.markers {
        for p in &m.points {
            xs.push(p.0);
            ys.push(p.1);
        }
    }
    for b in &fig.bands {
        for p in &b.points {
            xs.push(p.0);
            ys.extend([p.1, p.2]);
        }
    }
    for v in &fig.vlines {
        xs.push(v.x);
    }
    if let Some(h) = &fig.heat {
        xs.extend(h.x_edges.first().into_iter().chain(h.x_edges.last()).copied());
        ys.extend(h.y_edges.first().into_iter().chain(h.y_edges.last()).copied());
    }
    for (x, _) in &fig.x_ticks {
        xs.extend([x - 0.5, x + 0.5]);
    }
    if let Some(b) = &fig.bars {
        xs.extend(b.edges.iter().copied());
        let n = b.edges.len().saturating_sub(1);
        for i in 0..n {
            ys.push(b.stacks.iter().map(|s| s.values.get(i).copied().unwrap_or(0.0)).sum());
        }
    }
    let fin = |v: &Vec<f64>| {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for x in v.iter().copied().filter(|x| x.is_finite()) {
            lo = lo.min(x);
            hi = hi.max(x);
        }
        if lo > hi { None } else { Some((lo, hi)) }
    };
    let (x0, x1) = fin(&xs).unwrap_or((0.0, 1.0));
    let (mut y0, mut y1) = fin(&ys).unwrap_or((0.0, 1.0));
    if fig.y_from_zero {
        y0 = y0.min(0.0);
        y1 = y1.max(0.0);
    }
    let widen = |lo: f64, hi: f64| {
        if hi - lo > f64::EPSILON * hi.abs().max(1.0) {
            (lo, hi)
        } else {
            let d = if lo.abs() > 0.0 { lo.abs() * 0.01 } else { 1.0 };
            (lo - d, hi + d)
        }
    };
    let (x0, x1) = widen(x0, x1);
    let (y0, y1) = widen(y0, y1);
    let pad = (y1 - y0) * 0.06;
    let y0 = if fig.y_from_zero && y0 >= 0.0 { 0.0 } else { y0 - pad };
    let y1 = if fig.y_from_zero && y1 <= 0.0 { 0.0 } else { y1 + pad };
    ((x0, x1), (y0, y1))
}

/// Draws the legend in `area` (under the plot): a swatch and the name per series, in columns.
fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, fig: &Figure) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    let (cols, rows) = legend_grid(fig);
    if rows == 0 {
        return Ok(());
    }
    let col_w = (CHART_SIZE.0 - 80) / cols;
    let font = ("sans-serif", LEGEND_FONT).into_font().color(&RGBColor(40, 40, 40));
    for (i, (name, color)) in fig.legend().into_iter().enumerate() {
        let i = u32::try_from(i).unwrap_or(0);
        let (c, r) = (i / rows, i % rows);
        let x = i32::try_from(80 + c * col_w).unwrap_or(0);
        let y = i32::try_from(6 + r * LEGEND_ROW + LEGEND_ROW / 2).unwrap_or(0);
        area.draw(&Rectangle::new([(x, y - 5), (x + 18, y + 5)], rgb(color).filled())).map_err(e)?;
        area.draw(&Text::new(name, (x + 26, y - 8), font.clone())).map_err(e)?;
    }
    Ok(())
}

fn plot<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, fig: &Figure, segments: bool) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    root.fill(&WHITE).map_err(e)?;
    let (plot_area, legend_area) = root.split_vertically(CHART_SIZE.1);
    draw_legend(&legend_area, fig)?;
    let root = &plot_area;
    let ((x0, x1), (y0, y1)) = ranges(fig);
    let mut chart = ChartBuilder::on(root)
        .caption(&fig.title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(72)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(e)?;
    let y_fmt = |v: &f64| short_amount(*v);
    // A categorical axis names its positions and leaves the other grid lines unlabelled.
    let x_fmt = |v: &f64| {
        if let Some(axis) = &fig.time {
            axis.tick(*v)
        } else if fig.x_ticks.is_empty() {
            short_amount(*v)
        } else {
            fig.x_ticks.iter().find(|(x, _)| (x - v).abs() < 0.02).map(|(_, n)| n.clone()).unwrap_or_default()
        }
    };
    let x_labels = if fig.x_ticks.is_empty() { 10 } else { (2 * fig.x_ticks.len() + 2).max(10) };
    chart
        .configure_mesh()
        .x_desc(fig.x_label.as_str())
        .y_desc(fig.y_label.as_str())
        .x_labels(x_labels)
        .y_labels(8)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(e)?;
    if let Some(h) = &fig.heat {
        let max = h.max();
        for layer in &h.layers {
            let rects = layer.cells.iter().filter_map(|&(c, r, v)| {
                let (x0, x1) = (*h.x_edges.get(c)?, *h.x_edges.get(c + 1)?);
                let (y0, y1) = (*h.y_edges.get(r)?, *h.y_edges.get(r + 1)?);
                (v.is_finite() && v > 0.0).then(|| {
                    Rectangle::new(
                        [(x0, y0), (x1, y1)],
                        rgb(super::Heat::shade(layer.color, v, max)).filled(),
                    )
                })
            });
            chart.draw_series(rects).map_err(e)?;
        }
    }
    if let Some(b) = &fig.bars {
        let n = b.edges.len().saturating_sub(1);
        let mut bottom = vec![0.0f64; n];
        for s in &b.stacks {
            let color = rgb(s.color);
            let mut rects = Vec::with_capacity(n);
            for (i, base) in bottom.iter_mut().enumerate() {
                let v = s.values.get(i).copied().unwrap_or(0.0);
                if v.is_finite() && v > 0.0 {
                    let (l, r) = (b.edges[i], b.edges[i + 1]);
                    rects.push(Rectangle::new([(l, *base), (r, *base + v)], color.filled()));
                    *base += v;
                }
            }
            chart.draw_series(rects).map_err(e)?;
        }
    }
    for b in &fig.bands {
        let color = rgb(b.color);
        let pts: Vec<(f64, f64, f64)> = b
            .points
            .iter()
            .copied()
            .filter(|p| p.0.is_finite() && p.1.is_finite() && p.2.is_finite())
            .collect();
        let outline: Vec<(f64, f64)> =
            pts.iter().map(|p| (p.0, p.1)).chain(pts.iter().rev().map(|p| (p.0, p.2))).collect();
        chart.draw_series(std::iter::once(Polygon::new(outline, color.mix(0.25).filled()))).map_err(e)?;
    }
    for l in &fig.lines {
        let color = rgb(l.color);
        let pts: Vec<(f64, f64)> =
            l.points.iter().copied().filter(|p| p.0.is_finite() && p.1.is_finite()).collect();
        if segments {
            // The bitmap backend joins a thick polyline with unlimited miters: a sharp spike
            // drew a needle far past the plot. Separate segments have no joins.
            chart
                .draw_series(
                    pts.windows(2).map(|w| PathElement::new(vec![w[0], w[1]], color.stroke_width(2))),
                )
                .map_err(e)?;
        } else {
            chart.draw_series(LineSeries::new(pts, color.stroke_width(2))).map_err(e)?;
        }
    }
    for v in &fig.vlines {
        let color = rgb(v.color);
        chart.draw_series(LineSeries::new([(v.x, y0), (v.x, y1)], color.stroke_width(2))).map_err(e)?;
    }
    for m in &fig.markers {
        let color = rgb(m.color);
        let pts = m.points.iter().copied().filter(|p| p.0.is_finite() && p.1.is_finite());
        match m.shape {
            Shape::Circle => chart.draw_series(pts.map(|p| Circle::new(p, 5, color.filled()))).map_err(e)?,
            Shape::Triangle => {
                chart.draw_series(pts.map(|p| TriangleMarker::new(p, 6, color.filled()))).map_err(e)?
            }
            Shape::Cross => {
                chart.draw_series(pts.map(|p| Cross::new(p, 5, color.stroke_width(2)))).map_err(e)?
            }
        };
    }
    if let Some(note) = &fig.note {
        let (w, h) = root.dim_in_pixel();
        root.draw(&Text::new(
            note.as_str(),
            (i32::try_from(w / 2).unwrap_or(0) - 80, i32::try_from(h / 2).unwrap_or(0)),
            ("sans-serif", 18).into_font().color(&RGBColor(110, 110, 110)),
        ))
        .map_err(e)?;
    }
    root.present().map_err(e)?;
    Ok(())
}

fn chart_err(fig: &Figure, message: String) -> ReportError {
    ReportError::Chart { chart: fig.id.clone(), message }
}

/// The figure as an SVG document of [`size`].
///
/// # Errors
/// [`ReportError::Chart`] if plotters refuses (e.g. the font could not be loaded).
pub fn svg(fig: &Figure) -> Result<String, ReportError> {
    crate::font::ensure().map_err(|m| chart_err(fig, m))?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size(fig)).into_drawing_area();
        plot(&root, fig, false).map_err(|m| chart_err(fig, m))?;
    }
    Ok(out)
}

/// The figure as PNG bytes of [`size`] (8-bit RGB).
///
/// # Errors
/// [`ReportError::Chart`] if plotters or the PNG encoder refuses.
pub fn png(fig: &Figure) -> Result<Vec<u8>, ReportError> {
    crate::font::ensure().map_err(|m| chart_err(fig, m))?;
    let (w, h) = size(fig);
    let mut rgb_buf = vec![255u8; (w as usize) * (h as usize) * 3];
    {
        let root = super::glyphs::GlyphBitmap::with_buffer(&mut rgb_buf, (w, h))
            .map_err(|m| chart_err(fig, m))?
            .into_drawing_area();
        plot(&root, fig, true).map_err(|m| chart_err(fig, m))?;
    }
    let mut out = Vec::new();
    {
        use image::ImageEncoder;
        let enc = image::codecs::png::PngEncoder::new(&mut out);
        enc.write_image(&rgb_buf, w, h, image::ColorType::Rgb8)
            .map_err(|x| chart_err(fig, format!("encoding PNG: {x}")))?;
    }
    Ok(out)
}
