//! dYdX v4 margin rules where they differ from a plain tier table (§6).
//!
//! * Liquidity tiers: `IMR = ⌈N × IMF_eff⌉` with the open-interest-scaled IMF, and
//!   `MMR = ⌈⌈N × IMF⌉ × maintenance fraction⌉` (maintenance uses the *base* IMF), read from
//!   `protocol/x/perpetuals/lib/lib.go` and `types/liquidity_tier.go` at the commit the
//!   reference cites.
//! * The bankruptcy quote of a liquidation (`x/clob/keeper/liquidations.go`, §6.3):
//!   `BQ = −ΔNNV − TNC × |ΔMMR| / TMMR`, rounded toward +∞.
//!
//! Amounts are [`Cash`] values; the functions are unit-agnostic (a tier's open-interest caps
//! and the notionals must be in the same unit), so dYdX's quote quantums (10^-6 USDC) can be
//! passed as they are. Pure functions; no floats; no panics.

use crate::num::{Cash, Overflow, Rate, Round, div_i128};

use super::price::MarginError;
use super::tiers::{RiskTiers, TierError};

const PPM: i64 = 1_000_000;

/// A dYdX liquidity tier (§6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiquidityTier {
    /// Tier name.
    pub name: &'static str,
    /// Base initial-margin fraction (IMF), parts per million.
    pub initial_margin_ppm: u32,
    /// Maintenance fraction of the IMF, parts per million.
    pub maintenance_fraction_ppm: u32,
    /// Open-interest notional below which the IMF is not scaled.
    pub open_interest_lower_cap: Cash,
    /// Open-interest notional at which the IMF reaches 100%; zero disables scaling.
    pub open_interest_upper_cap: Cash,
}

const fn usdc_m(millions: i64) -> Cash {
    Cash(millions * 1_000_000 * 100_000_000)
}

impl LiquidityTier {
    /// Large-Cap (BTC, ETH): IMF 2%, MF 0.6, no OI scaling (sample pregenesis 2025-10-22,
    /// §6.1 \[R\]).
    pub const LARGE_CAP: Self = Self::new("Large-Cap", 20_000, 600_000, 0, 0);
    /// Small-Cap: IMF 10%, MF 0.5, OI caps 20M / 50M USDC (§6.1 \[R\]).
    pub const SMALL_CAP: Self = Self::new("Small-Cap", 100_000, 500_000, 20, 50);
    /// Long-Tail: IMF 20%, MF 0.5, OI caps 5M / 10M USDC (§6.1 \[R\]).
    pub const LONG_TAIL: Self = Self::new("Long-Tail", 200_000, 500_000, 5, 10);
    /// Safety: IMF 100%, MF 0.2, OI caps 2M / 5M USDC (§6.1 \[R\]).
    pub const SAFETY: Self = Self::new("Safety", 1_000_000, 200_000, 2, 5);
    /// Mid-Cap: IMF 5%, MF 0.6, OI caps 40M / 100M USDC (§6.1 \[R\]).
    pub const MID_CAP: Self = Self::new("Mid-Cap", 50_000, 600_000, 40, 100);
    /// FX: IMF 1%, MF 0.5, OI caps 0.5M / 1M USDC (§6.1 \[R\]).
    pub const FX: Self = Self {
        name: "FX",
        initial_margin_ppm: 10_000,
        maintenance_fraction_ppm: 500_000,
        open_interest_lower_cap: Cash(50_000_000_000_000),
        open_interest_upper_cap: usdc_m(1),
    };

    const fn new(name: &'static str, imf: u32, mf: u32, lower_m: i64, upper_m: i64) -> Self {
        Self {
            name,
            initial_margin_ppm: imf,
            maintenance_fraction_ppm: mf,
            open_interest_lower_cap: usdc_m(lower_m),
            open_interest_upper_cap: usdc_m(upper_m),
        }
    }

    /// The maintenance-margin fraction in ppm, `⌊IMF × MF / 10^6⌋` (dYdX
    /// `GetMaintenanceMarginPpm`; §9 DYDX-19).
    #[must_use]
    pub fn maintenance_margin_ppm(&self) -> u32 {
        let v = u64::from(self.initial_margin_ppm) * u64::from(self.maintenance_fraction_ppm) / 1_000_000;
        // Both factors are at most 10^6 after validation, so the product fits; saturate if not.
        u32::try_from(v).unwrap_or(u32::MAX)
    }

    /// The largest absolute funding rate (ppm) allowed by a clamp factor (ppm):
    /// `clamp × (IMF − MMF)` (dYdX `GetMaxAbsFundingClampPpm`, §6.2; §9 DYDX-20).
    #[must_use]
    pub fn max_abs_funding_clamp_ppm(&self, clamp_factor_ppm: u32) -> u64 {
        let spread = u64::from(self.initial_margin_ppm.saturating_sub(self.maintenance_margin_ppm()));
        u64::from(clamp_factor_ppm) * spread / 1_000_000
    }

    /// Initial margin of `notional` when the market's open interest is worth
    /// `open_interest_notional`, rounded up (§6.1; §9 DYDX-21, DYDX-22):
    /// `IMF_eff = min(IMF + max(0, (OI − lower)/(upper − lower)) × (1 − IMF), 1)`; scaling is
    /// off when the upper cap is zero.
    ///
    /// # Errors
    /// [`Overflow`] if an intermediate product does not fit in `i128`.
    pub fn initial_margin(&self, notional: Cash, open_interest_notional: Cash) -> Result<Cash, Overflow> {
        let n = i128::from(notional.abs().0);
        let imf = i128::from(self.initial_margin_ppm);
        let (lo, up) =
            (i128::from(self.open_interest_lower_cap.0), i128::from(self.open_interest_upper_cap.0));
        let oi = i128::from(open_interest_notional.0);
        if up != 0 && oi >= up {
            return Ok(notional.abs());
        }
        let ppm = i128::from(PPM);
        if up == 0 || oi <= lo || up <= lo {
            return div_i128(n * imf, ppm, Round::Ceil).map(Cash);
        }
        // ⌈n × (imf·(up − lo) + (oi − lo)·(10^6 − imf)) / (10^6 · (up − lo))⌉
        let width = up - lo;
        let eff_num = imf
            .checked_mul(width)
            .and_then(|a| (oi - lo).checked_mul(ppm - imf).and_then(|b| a.checked_add(b)))
            .ok_or(Overflow)?;
        let num = n.checked_mul(eff_num).ok_or(Overflow)?;
        let den = ppm.checked_mul(width).ok_or(Overflow)?;
        let imr = div_i128(num, den, Round::Ceil)?;
        Ok(Cash(imr.min(notional.abs().0)))
    }

    /// Maintenance margin of `notional`: `⌈⌈N × IMF⌉ × MF⌉` with the base IMF (§6.1).
    ///
    /// # Errors
    /// [`Overflow`] if the figure does not fit.
    pub fn maintenance_margin(&self, notional: Cash) -> Result<Cash, Overflow> {
        let im = notional.abs().mul_div(i64::from(self.initial_margin_ppm), PPM, Round::Ceil)?;
        im.mul_div(i64::from(self.maintenance_fraction_ppm), PPM, Round::Ceil)
    }

    /// The tier as a one-tier [`RiskTiers`] (MMR = IMF × MF, IMR = IMF) for the generic
    /// liquidation-price solver. It differs from [`LiquidityTier::maintenance_margin`] by at
    /// most one cash unit (dYdX rounds twice) and ignores open-interest scaling.
    ///
    /// # Errors
    /// [`TierError`] if the tier's fractions are not valid rates (MMR must be below IMR).
    pub fn risk_tiers(&self) -> Result<RiskTiers, TierError> {
        RiskTiers::flat(
            Rate(i64::from(self.maintenance_margin_ppm()) * 100),
            Rate(i64::from(self.initial_margin_ppm) * 100),
            Cash::ZERO,
        )
    }
}

/// The bankruptcy quote of a liquidation that changes a subaccount's position by some size
/// (§6.3): `BQ = −ΔNNV − TNC × |ΔMMR| / TMMR`, rounded toward +∞ to a multiple of `quantum`
/// (dYdX: one quote quantum). Positive: the least the closing trade must receive; negative:
/// the most it may pay. `delta_nnv` and `delta_mmr` are the changes of the position's net
/// notional value and maintenance margin (after − before); `tnc` and `tmmr` the subaccount's
/// total net collateral and total maintenance margin before the trade.
///
/// # Errors
/// [`MarginError::NotPositive`] for `tmmr` or `quantum` ≤ 0; overflow.
pub fn bankruptcy_quote(
    delta_nnv: Cash,
    tnc: Cash,
    delta_mmr: Cash,
    tmmr: Cash,
    quantum: Cash,
) -> Result<Cash, MarginError> {
    for (field, v) in [("tmmr", tmmr), ("quantum", quantum)] {
        if v.0 <= 0 {
            return Err(MarginError::NotPositive { field, value: v.0 });
        }
    }
    let t = i128::from(tmmr.0);
    let num = (-i128::from(delta_nnv.0))
        .checked_mul(t)
        .and_then(|a| {
            i128::from(tnc.0)
                .checked_mul(i128::from(delta_mmr.0.unsigned_abs()))
                .and_then(|b| a.checked_sub(b))
        })
        .ok_or(Overflow)?;
    let den = t.checked_mul(i128::from(quantum.0)).ok_or(Overflow)?;
    let q = div_i128(num, den, Round::Ceil)?;
    Ok(Cash(q.checked_mul(quantum.0).ok_or(Overflow)?))
}
