//! Drift v2 margin rules where they differ from a plain tier table (§7.1).
//!
//! Drift's margin ratio grows with position size: `MR(size) = max(MR, MR − MR/5 +
//! ⌊√(size·10 + 1)⌋ × imf / 10^7)` in Drift's own precisions (size in 10^-9 base units, ratios
//! in 10^-4, IMF factor in 10^-6), read from `programs/drift/src/math/margin.rs`
//! (`calculate_size_premium_liability_weight`) at the commit the reference cites. The integer
//! square root is taken exactly as Drift takes it; no floats. Pure functions; no panics.

use crate::num::{Overflow, Rate};

/// Drift's margin precision: a ratio of 10^4 is 100%.
pub const MARGIN_PRECISION: u32 = 10_000;
/// Drift's IMF-factor precision.
pub const IMF_PRECISION: u32 = 1_000_000;
/// Drift's base-asset precision (10^-9 base units).
pub const BASE_PRECISION: u128 = 1_000_000_000;
/// Drift's price and quote precision (10^-6).
pub const PRICE_PRECISION: u128 = 1_000_000;

/// The size-premium margin ratio (10^-4 units) of a position of `size` base (10^-9 units) in a
/// market with base ratio `margin_ratio` (10^-4) and `imf_factor` (10^-6).
///
/// # Errors
/// [`Overflow`] if the size is too large for Drift's own arithmetic.
pub fn size_premium_margin_ratio(size: u128, imf_factor: u32, margin_ratio: u32) -> Result<u32, Overflow> {
    if imf_factor == 0 {
        return Ok(margin_ratio);
    }
    let root = size.checked_mul(10).and_then(|s| s.checked_add(1)).ok_or(Overflow)?.isqrt();
    let numerator = u128::from(margin_ratio - margin_ratio / 5);
    let divisor = 100_000 * u128::from(IMF_PRECISION) / u128::from(MARGIN_PRECISION);
    let premium = root.checked_mul(u128::from(imf_factor)).ok_or(Overflow)? / divisor;
    let weighted = u32::try_from(numerator + premium).map_err(|_| Overflow)?;
    Ok(margin_ratio.max(weighted))
}

/// A Drift margin ratio (10^-4 units) as a [`Rate`].
#[must_use]
pub fn ratio_to_rate(margin_ratio: u32) -> Rate {
    Rate(i64::from(margin_ratio) * 10_000)
}

/// A perp position's margin requirement in quote (10^-6) as Drift computes it:
/// `⌊|base| × price / 10^9⌋` for the value, then `⌊value × MR / 10^4⌋`, with the
/// size-premium ratio (§7.1; §9 DRIFT-19).
///
/// # Errors
/// [`Overflow`] if a product does not fit.
pub fn perp_margin_requirement(
    base: i128,
    oracle_price: u128,
    imf_factor: u32,
    margin_ratio: u32,
) -> Result<u128, Overflow> {
    let size = base.unsigned_abs();
    let value = size.checked_mul(oracle_price).ok_or(Overflow)? / BASE_PRECISION;
    let mr = size_premium_margin_ratio(size, imf_factor, margin_ratio)?;
    Ok(value.checked_mul(u128::from(mr)).ok_or(Overflow)? / u128::from(MARGIN_PRECISION))
}
