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

fn plot<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, fig: &Figure) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    root.fill(&WHITE).map_err(e)?;
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
        if fig.x_ticks.is_empty() {
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
        .label_style(("sans-serif", 13))
        .axis_desc_style(("sans-serif", 14))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(e)?;
    let mut legend = false;
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
            chart
                .draw_series(rects)
                .map_err(e)?
                .label(s.name.as_str())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
            legend = true;
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
        chart
            .draw_series(std::iter::once(Polygon::new(outline, color.mix(0.25).filled())))
            .map_err(e)?
            .label(b.name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.mix(0.25).filled()));
        legend = true;
    }
    for l in &fig.lines {
        let color = rgb(l.color);
        let pts: Vec<(f64, f64)> =
            l.points.iter().copied().filter(|p| p.0.is_finite() && p.1.is_finite()).collect();
        chart
            .draw_series(LineSeries::new(pts, color.stroke_width(2)))
            .map_err(e)?
            .label(l.name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2)));
        legend = true;
    }
    for v in &fig.vlines {
        let color = rgb(v.color);
        chart
            .draw_series(LineSeries::new([(v.x, y0), (v.x, y1)], color.stroke_width(2)))
            .map_err(e)?
            .label(v.name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2)));
        legend = true;
    }
    for m in &fig.markers {
        let color = rgb(m.color);
        let pts = m.points.iter().copied().filter(|p| p.0.is_finite() && p.1.is_finite());
        let anno = match m.shape {
            Shape::Circle => chart.draw_series(pts.map(|p| Circle::new(p, 5, color.filled()))).map_err(e)?,
            Shape::Triangle => {
                chart.draw_series(pts.map(|p| TriangleMarker::new(p, 6, color.filled()))).map_err(e)?
            }
            Shape::Cross => {
                chart.draw_series(pts.map(|p| Cross::new(p, 5, color.stroke_width(2)))).map_err(e)?
            }
        };
        let shape = m.shape;
        anno.label(m.name.as_str()).legend(move |(x, y)| -> DynElement<'static, DB, (i32, i32)> {
            match shape {
                Shape::Circle => Circle::new((x + 6, y), 5, color.filled()).into_dyn(),
                Shape::Triangle => TriangleMarker::new((x + 6, y), 6, color.filled()).into_dyn(),
                Shape::Cross => Cross::new((x + 6, y), 5, color.stroke_width(2)).into_dyn(),
            }
        });
        legend = true;
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
    if legend {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .label_font(("sans-serif", 13))
            .draw()
            .map_err(e)?;
    }
    root.present().map_err(e)?;
    Ok(())
}

fn chart_err(fig: &Figure, message: String) -> ReportError {
    ReportError::Chart { chart: fig.id.clone(), message }
}

/// The figure as an SVG document of [`CHART_SIZE`].
///
/// # Errors
/// [`ReportError::Chart`] if plotters refuses (e.g. the font could not be loaded).
pub fn svg(fig: &Figure) -> Result<String, ReportError> {
    crate::font::ensure().map_err(|m| chart_err(fig, m))?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, CHART_SIZE).into_drawing_area();
        plot(&root, fig).map_err(|m| chart_err(fig, m))?;
    }
    Ok(out)
}

/// The figure as PNG bytes of [`CHART_SIZE`] (8-bit RGB).
///
/// # Errors
/// [`ReportError::Chart`] if plotters or the PNG encoder refuses.
pub fn png(fig: &Figure) -> Result<Vec<u8>, ReportError> {
    crate::font::ensure().map_err(|m| chart_err(fig, m))?;
    let (w, h) = CHART_SIZE;
    let mut rgb_buf = vec![255u8; (w as usize) * (h as usize) * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb_buf, CHART_SIZE).into_drawing_area();
        plot(&root, fig).map_err(|m| chart_err(fig, m))?;
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
