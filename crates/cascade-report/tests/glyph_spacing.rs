//! Letter spacing in the PNG charts (issue 14: tick labels read "B TCUSD T"). plotters 0.3.7
//! rasterised ab_glyph text dropping each glyph's left side bearing; `charts::glyphs::GlyphBitmap`
//! draws each glyph where its outline says. This test renders `BTCUSDT` with that backend and
//! checks where the ink of every letter starts and ends against the positions worked out by
//! hand from DejaVu Sans 2.37's own tables (below), and checks that plotters' plain bitmap
//! backend — the defect — fails the same check, so the test tells the two apart.

use cascade_report::charts::glyphs::GlyphBitmap;
use plotters::backend::BitMapBackend;
use plotters::style::{BLACK, IntoFont};
use plotters_backend::DrawingBackend;

/// Font units per pixel at size `SIZE`: ab_glyph scales a font so that its height (hhea
/// ascender − descender = 1901 − (−483) = 2384 units in DejaVu Sans) is the size in pixels.
const SIZE: f64 = 96.0;
const HEIGHT_UNITS: f64 = 1901.0 + 483.0;

/// DejaVu Sans 2.37 (`dejavu` crate, `DejaVuSans.ttf`), per letter of `BTCUSDT`: advance width
/// (hmtx), and the outline's x_min (= hmtx left side bearing) and x_max (glyf header), in font
/// units (2048 per em).
const LETTERS: [(char, f64, f64, f64); 7] = [
    ('B', 1405.0, 201.0, 1260.0),
    ('T', 1251.0, -6.0, 1257.0),
    ('C', 1430.0, 115.0, 1319.0),
    ('U', 1499.0, 178.0, 1321.0),
    ('S', 1300.0, 135.0, 1186.0),
    ('D', 1577.0, 201.0, 1456.0),
    ('T', 1251.0, -6.0, 1257.0),
];

/// The font's `kern` table for the pairs of `BTCUSDT`: only T–C is kerned (−120 units).
fn kern(a: char, b: char) -> f64 {
    if (a, b) == ('T', 'C') { -120.0 } else { 0.0 }
}

/// Ink spans (first and last column, pixels, relative to the first letter's first column)
/// that the letters should leave: each letter's ink runs from caret + x_min to caret + x_max,
/// the caret moving by the advance plus kerning. T and C overlap once kerned (T's bar reaches
/// past C's left edge: 1257 > 1251 − 120 + 115), so they make one span.
fn expected_spans(bearings: bool) -> Vec<(f64, f64)> {
    let scale = SIZE / HEIGHT_UNITS;
    let mut caret = 0.0;
    let mut spans: Vec<(f64, f64)> = Vec::new();
    for (i, (c, advance, x_min, x_max)) in LETTERS.iter().enumerate() {
        // The defect drew each outline from the caret, as if its x_min were 0.
        let (lo, hi) = if bearings { (caret + x_min, caret + x_max) } else { (caret, caret + x_max - x_min) };
        match spans.last_mut() {
            Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
            _ => spans.push((lo, hi)),
        }
        caret += advance + LETTERS.get(i + 1).map_or(0.0, |n| kern(*c, n.0));
    }
    let origin = spans[0].0;
    spans.iter().map(|(lo, hi)| ((lo - origin) * scale, (hi - origin) * scale)).collect()
}

/// Renders `BTCUSDT` at [`SIZE`] px, black on white, with `draw`; returns the runs of columns
/// holding ink (first, last), relative to the first.
fn ink_spans(draw: impl FnOnce(&mut [u8], (u32, u32))) -> Vec<(i64, i64)> {
    let (w, h) = (800u32, 160u32);
    let mut buf = vec![255u8; (w * h * 3) as usize];
    draw(&mut buf, (w, h));
    let inked = |x: u32| (0..h).any(|y| buf[((y * w + x) * 3) as usize] < 250);
    let mut spans: Vec<(i64, i64)> = Vec::new();
    let mut prev = false;
    for x in 0..w {
        let on = inked(x);
        match (prev, on) {
            (false, true) => spans.push((i64::from(x), i64::from(x))),
            (true, true) => spans.last_mut().unwrap().1 = i64::from(x),
            _ => {}
        }
        prev = on;
    }
    assert!(!spans.is_empty(), "nothing drawn");
    let origin = spans[0].0;
    spans.iter().map(|(a, b)| (a - origin, b - origin)).collect()
}

/// Whether the drawn spans sit where `want` says, each edge within 1.5 px: a column holds ink
/// from the one the outline starts in to the one it ends in (within 1 px of the exact edge
/// each, relative to the first), and the faintest anti-aliased column may fall under the ink
/// threshold.
fn matches(got: &[(i64, i64)], want: &[(f64, f64)]) -> bool {
    got.len() == want.len()
        && got
            .iter()
            .zip(want)
            .all(|((a, b), (lo, hi))| (*a as f64 - lo).abs() <= 1.5 && (*b as f64 - hi).abs() <= 1.5)
}

fn style() -> plotters::style::TextStyle<'static> {
    cascade_report::font::ensure().unwrap();
    ("sans-serif", SIZE).into_font().color(&BLACK)
}

#[test]
fn letters_sit_at_their_advances_and_side_bearings() {
    let want = expected_spans(true);
    // By hand, in font units from B's ink: B 0–1059, TC 1198–3654, U 3943–5086, S 5399–6450,
    // D 6765–8020, T 8135–9398; at 96/2384 px per unit the gaps are 5.6, 11.6, 12.6, 12.7 and
    // 4.6 px, so each span is apart from the next.
    assert_eq!(want.len(), 6);
    assert!((want[5].0 - 8135.0 * SIZE / HEIGHT_UNITS).abs() < 1e-9);
    let got = ink_spans(|buf, size| {
        let mut b = GlyphBitmap::with_buffer(buf, size).unwrap();
        b.draw_text("BTCUSDT", &style(), (20, 20)).unwrap();
        b.present().unwrap();
    });
    assert!(matches(&got, &want), "ink spans {got:?}, from the font's tables {want:?}");
}

#[test]
fn the_check_catches_plotters_dropped_bearings() {
    // Without bearings T's ink would start 201 + 6 = 207 units (8.3 px) later relative to B's.
    let defect = expected_spans(false);
    assert!((defect[1].0 - expected_spans(true)[1].0 - 207.0 * SIZE / HEIGHT_UNITS).abs() < 1e-9);
    let got = ink_spans(|buf, size| {
        let mut b = BitMapBackend::with_buffer(buf, size);
        b.draw_text("BTCUSDT", &style(), (20, 20)).unwrap();
        b.present().unwrap();
    });
    assert!(!matches(&got, &expected_spans(true)), "plotters' own backend passed: {got:?}");
    assert!(matches(&got, &defect), "plotters' own backend no longer drops bearings? {got:?} vs {defect:?}");
}
