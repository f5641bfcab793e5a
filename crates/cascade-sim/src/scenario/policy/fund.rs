//! `[policy.fund]`: insurance-fund sizing and an external backstop. `insurance_fund` replaces
//! each venue's `insurance_fund`, or `scale` multiplies it; `backstop_capital` is money from
//! outside the venue (a deposit through the ledger, so conservation counts it) that refills
//! the fund up to `backstop_when_below` whenever the fund is below that figure at the moment a
//! bankrupt position would go to the fund or ADL — before ADL (on dYdX, whose fund takes
//! nothing over, the refilled fund then takes over what it can cover before deleveraging).
//! The engine's `safeguards::ExternalBackstop`. Not to be confused with a venue's `backstop_capital`
//! (Hyperliquid's liquidator vault, which trades on its own account).

use serde::{Deserialize, Serialize};

use super::super::validate::Validator;
use super::super::values::Dec;

/// `[policy.fund]`: insurance-fund sizing and external backstop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fund {
    /// Venues it applies to (default: every venue).
    #[serde(default)]
    pub venues: Vec<String>,
    /// Insurance fund at time zero, settle-asset units, replacing the venue's (default: the
    /// venue's; ≥ 0). Not with `scale`.
    #[serde(default)]
    pub insurance_fund: Option<Dec>,
    /// Multiplier of the venue's insurance fund (default: none, i.e. 1; ≥ 0), the result
    /// rounded down to 10^-8. Not with `insurance_fund`.
    #[serde(default)]
    pub scale: Option<Dec>,
    /// External capital that refills the fund, settle-asset units over the whole run, per
    /// venue (default `"0"`: none; ≥ 0).
    #[serde(default)]
    pub backstop_capital: Dec,
    /// The fund balance below which the backstop steps in; it refills the fund up to this
    /// figure, settle-asset units (required with `backstop_capital`; > 0).
    #[serde(default)]
    pub backstop_when_below: Option<Dec>,
}

/// The largest `scale`: beyond it a fund's figure leaves the engine's range for no purpose.
pub const MAX_FUND_SCALE: i64 = 1_000;

impl Fund {
    pub(crate) fn validate(&self, path: &str, v: &mut Validator) {
        let f = |k: &str| format!("{path}.{k}");
        if let Some(x) = self.insurance_fund {
            v.non_negative_dec(&f("insurance_fund"), x);
            v.fits_cash(&f("insurance_fund"), x);
            if self.scale.is_some() {
                v.err(f("scale"), "give insurance_fund or scale, not both");
            }
        }
        if let Some(s) = self.scale {
            v.non_negative_dec(&f("scale"), s);
            if s.get() > rust_decimal::Decimal::from(MAX_FUND_SCALE) {
                v.err(f("scale"), format!("must be at most {MAX_FUND_SCALE}, got {s}"));
            }
        }
        v.non_negative_dec(&f("backstop_capital"), self.backstop_capital);
        v.fits_cash(&f("backstop_capital"), self.backstop_capital);
        match self.backstop_when_below {
            Some(w) => {
                v.positive_dec(&f("backstop_when_below"), w);
                v.fits_cash(&f("backstop_when_below"), w);
                if !self.backstop_capital.is_positive() {
                    v.err(f("backstop_when_below"), "has no effect without a backstop_capital > 0");
                }
            }
            None if self.backstop_capital.is_positive() => v.err(
                f("backstop_when_below"),
                "required with backstop_capital (the fund balance it refills to)",
            ),
            None => {}
        }
        if self.insurance_fund.is_none() && self.scale.is_none() && !self.backstop_capital.is_positive() {
            v.err(
                path,
                "sets no lever: give insurance_fund, scale or backstop_capital (or leave the table out)",
            );
        }
    }
}
