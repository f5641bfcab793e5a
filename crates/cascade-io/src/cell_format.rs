//! The bytes and floats of table cells, written without a heap allocation per cell: a full-scale
//! run writes tens of millions of cells, and formatting each through a fresh `String` (and each
//! decimal's float through its text) was most of the cost of writing a run directory.
//!
//! Every function here gives exactly what the plain formatting gives — `Decimal::normalize`
//! then `Display`, `Display` of integers and floats, [`utc_text`], text → `f64` — which the tests
//! check against those references; they only skip the allocations and the text round trips.

use std::io::Write;

use rust_decimal::Decimal;

use crate::utc::utc_text;

/// Appends `v` in decimal digits.
pub fn push_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0_u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Appends an exact decimal with its trailing zeros removed (`101516.5`, `0.05`, `-3`): the
/// text of `d.normalize().to_string()`.
pub fn push_dec(out: &mut Vec<u8>, d: Decimal) {
    let (mut m, mut scale) = (d.mantissa(), d.scale());
    if m == 0 {
        // normalize() turns -0 into 0.
        out.push(b'0');
        return;
    }
    while scale > 0 && m % 10 == 0 {
        m /= 10;
        scale -= 1;
    }
    if m < 0 {
        out.push(b'-');
    }
    // A Decimal's mantissa has at most 96 bits: 29 digits.
    let mut buf = [0_u8; 40];
    let mut i = buf.len();
    let mut u = m.unsigned_abs();
    while u > u128::from(u64::MAX) {
        i -= 1;
        buf[i] = b'0' + (u % 10) as u8;
        u /= 10;
    }
    let mut v = u as u64;
    while v > 0 {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    let digits = &buf[i..];
    let scale = scale as usize;
    if digits.len() > scale {
        let point = digits.len() - scale;
        out.extend_from_slice(&digits[..point]);
        if scale > 0 {
            out.push(b'.');
            out.extend_from_slice(&digits[point..]);
        }
    } else {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', scale - digits.len()));
        out.extend_from_slice(digits);
    }
}

/// Appends `x` as `Display` writes it (the shortest text that reads back as the same `f64`).
pub fn push_f64(out: &mut Vec<u8>, x: f64) {
    // Writing into a Vec cannot fail.
    let _ = write!(out, "{x}");
}

/// Powers of ten that are exact in an `f64` (10^22 = 2^22 × 5^22, 5^22 < 2^53).
const EXACT_POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
    1e19, 1e20, 1e21, 1e22,
];

/// An exact decimal as the nearest `f64`: what parsing its text gives (correctly rounded). When
/// the mantissa and the power of ten are both exact in an `f64`, one IEEE division is that
/// correctly rounded value already (Clinger's fast path); otherwise, and for zero (a negative
/// zero's sign is the text's business), the text is parsed.
#[must_use]
pub fn dec_f64(d: Decimal) -> f64 {
    let (m, scale) = (d.mantissa(), d.scale() as usize);
    const EXACT: i128 = 1 << 53;
    if m != 0 && scale < EXACT_POW10.len() && (-EXACT..=EXACT).contains(&m) {
        return m as f64 / EXACT_POW10[scale];
    }
    d.to_string().parse().unwrap_or(f64::NAN)
}

/// [`utc_text`] of many instants, most in the same second as the one before: the date and time
/// of day are formatted once per second, the milliseconds appended.
#[derive(Debug, Default)]
pub struct UtcCache {
    /// The second last formatted and its text up to and including the decimal point.
    second: Option<(i64, Vec<u8>)>,
}

impl UtcCache {
    /// Appends `utc_text(ms)`.
    pub fn push(&mut self, out: &mut Vec<u8>, ms: i64) {
        if ms < 0 {
            out.extend_from_slice(utc_text(ms).as_bytes());
            return;
        }
        let second = ms / 1000;
        if self.second.as_ref().is_none_or(|(s, _)| *s != second) {
            let whole = utc_text(second * 1000);
            match whole.strip_suffix("000Z") {
                Some(prefix) if prefix.ends_with('.') => {
                    self.second = Some((second, prefix.as_bytes().to_vec()))
                }
                // Outside chrono's range: no cache.
                _ => {
                    self.second = None;
                    out.extend_from_slice(utc_text(ms).as_bytes());
                    return;
                }
            }
        }
        if let Some((_, prefix)) = &self.second {
            out.extend_from_slice(prefix);
            let frac = (ms % 1000) as u64;
            out.extend_from_slice(&[
                b'0' + (frac / 100) as u8,
                b'0' + (frac / 10 % 10) as u8,
                b'0' + (frac % 10) as u8,
            ]);
            out.push(b'Z');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn text(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut v = Vec::new();
        f(&mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn decimals_read_as_the_normalized_text() {
        for (s, want) in [
            ("101516.50", "101516.5"),
            ("0.05", "0.05"),
            ("-0.000", "0"),
            ("-3.000", "-3"),
            ("1200", "1200"),
            ("-0.00000001", "-0.00000001"),
            ("79228162514264337593543950335", "79228162514264337593543950335"),
            ("-7.9228162514264337593543950335", "-7.9228162514264337593543950335"),
        ] {
            let d: Decimal = s.parse().unwrap();
            assert_eq!(text(|o| push_dec(o, d)), want, "{s}");
            assert_eq!(d.normalize().to_string(), want, "reference for {s}");
        }
        // Negative zero: the float is whatever its text reads as.
        let neg_zero = Decimal::from_parts(0, 0, 0, true, 3);
        let want: f64 = neg_zero.to_string().parse().unwrap();
        assert_eq!(dec_f64(neg_zero).to_bits(), want.to_bits());
    }

    #[test]
    fn utc_text_within_and_across_seconds() {
        let mut c = UtcCache::default();
        // 2025-10-10T21:00:00.000Z and the instants around it.
        for ms in [1_760_130_000_000_i64, 1_760_130_000_007, 1_760_130_000_999, 1_760_130_001_000, 5, 0, -1] {
            assert_eq!(text(|o| c.push(o, ms)), utc_text(ms), "{ms}");
        }
        assert_eq!(text(|o| c.push(o, 1_760_130_000_250)), "2025-10-10T21:00:00.250Z");
    }

    proptest! {
        /// Any decimal (96-bit mantissa, scale 0–28, either sign): the text is
        /// `normalize().to_string()` and the float is what parsing that text gives.
        #[test]
        fn any_decimal_formats_as_the_reference(lo in any::<u32>(), mid in any::<u32>(), hi in any::<u32>(),
                                                 small in any::<i64>(), neg in any::<bool>(), scale in 0u32..=28,
                                                 use_small in any::<bool>()) {
            let d = if use_small {
                let mut d = Decimal::from(small);
                d.set_scale(scale).unwrap();
                d
            } else {
                Decimal::from_parts(lo, mid, hi, neg, scale)
            };
            prop_assert_eq!(text(|o| push_dec(o, d)), d.normalize().to_string());
            let want: f64 = d.to_string().parse().unwrap();
            prop_assert_eq!(dec_f64(d).to_bits(), want.to_bits());
        }

        #[test]
        fn integers_and_floats_format_as_display(v in any::<u64>(), x in any::<f64>()) {
            prop_assert_eq!(text(|o| push_u64(o, v)), v.to_string());
            prop_assert_eq!(text(|o| push_f64(o, x)), x.to_string());
        }

        #[test]
        fn utc_text_of_any_time(times in prop::collection::vec(0i64..4_102_444_800_000, 1..50), step in 0i64..3000) {
            let mut c = UtcCache::default();
            for t in times {
                for ms in [t, t + step] {
                    prop_assert_eq!(text(|o| c.push(o, ms)), utc_text(ms));
                }
            }
        }
    }
}
