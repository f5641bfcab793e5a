//! Mark smoothing: a rolling median or a time EMA over a mark rule's output, so that a spike of
//! the book or of the last price that the venue's rule lets through moves the mark less (and
//! later). One sample per `sample_interval_ms` bucket of the caller's clock — the latest mark of
//! the bucket — so the same inputs always give the same marks. Integers only.

use std::collections::VecDeque;

use crate::num::{Price, Round};
use crate::pricing::PricingError;
use crate::pricing::ema::TimeEma;
use crate::pricing::median::median;

/// How a mark is smoothed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkSmoothing {
    /// The median of the last `window` bucket samples (the current bucket's included).
    Median {
        /// Samples kept (≥ 1).
        window: usize,
        /// Bucket length, milliseconds (> 0).
        sample_interval_ms: i64,
    },
    /// A time EMA of the bucket samples with time constant `tau_ms`.
    Ema {
        /// Time constant, milliseconds (> 0).
        tau_ms: i64,
        /// Bucket length, milliseconds (> 0).
        sample_interval_ms: i64,
    },
}

/// A smoothing with the samples it keeps.
#[derive(Debug, Clone)]
pub struct MarkSmoother {
    rule: MarkSmoothing,
    /// Median: one sample per bucket, oldest first, the current bucket's last.
    samples: VecDeque<Price>,
    /// EMA state up to the previous bucket, and the current bucket's latest mark.
    ema: Option<TimeEma>,
    pending: Option<(i64, Price)>,
    bucket: Option<i64>,
}

impl MarkSmoother {
    /// A smoother with no samples.
    ///
    /// # Errors
    /// [`PricingError::InvalidParameter`] for a zero window or a non-positive interval or time
    /// constant.
    pub fn new(rule: MarkSmoothing) -> Result<Self, PricingError> {
        let bad =
            |field: &'static str| Err(PricingError::InvalidParameter { field, reason: "must be > 0".into() });
        let ema = match rule {
            MarkSmoothing::Median { window, sample_interval_ms } => {
                if window == 0 {
                    return bad("window");
                }
                if sample_interval_ms <= 0 {
                    return bad("sample_interval_ms");
                }
                None
            }
            MarkSmoothing::Ema { tau_ms, sample_interval_ms } => {
                if sample_interval_ms <= 0 {
                    return bad("sample_interval_ms");
                }
                Some(TimeEma::new(tau_ms, sample_interval_ms)?)
            }
        };
        Ok(Self { rule, samples: VecDeque::new(), ema, pending: None, bucket: None })
    }

    /// Folds in the rule's mark `raw` at `now_ms` (non-decreasing) and returns the smoothed
    /// mark. A second mark in the same bucket replaces that bucket's sample.
    ///
    /// # Errors
    /// [`PricingError::TimeWentBackwards`] or [`PricingError::Overflow`] from the EMA.
    pub fn update(&mut self, now_ms: i64, raw: Price) -> Result<Price, PricingError> {
        let interval = match self.rule {
            MarkSmoothing::Median { sample_interval_ms, .. }
            | MarkSmoothing::Ema { sample_interval_ms, .. } => sample_interval_ms,
        };
        let bucket = now_ms.div_euclid(interval);
        let new_bucket = self.bucket != Some(bucket);
        self.bucket = Some(bucket);
        match self.rule {
            MarkSmoothing::Median { window, .. } => {
                if new_bucket || self.samples.is_empty() {
                    self.samples.push_back(raw);
                    while self.samples.len() > window {
                        self.samples.pop_front();
                    }
                } else if let Some(last) = self.samples.back_mut() {
                    *last = raw;
                }
                let v: Vec<Price> = self.samples.iter().copied().collect();
                Ok(median(&v).unwrap_or(raw))
            }
            MarkSmoothing::Ema { .. } => {
                let Some(ema) = self.ema.as_mut() else { return Ok(raw) };
                // The previous bucket's sample is final once a new bucket opens.
                if new_bucket && let Some((t, p)) = self.pending.take() {
                    ema.update(t, p.0)?;
                }
                self.pending = Some((now_ms, raw));
                // The current sample as if folded in now, on a copy.
                let mut probe = ema.clone();
                probe.update(now_ms, raw.0)?;
                Ok(probe.value(Round::Floor).map_or(raw, Price))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A mark of 100.0 for 60 s, then one second at 110.0 (a 10 % wick), then 100.0 again.
    /// A 5-sample median ignores the wick; a 60-sample median too; with no smoothing the mark
    /// would be 110.0 for that second.
    #[test]
    fn a_median_ignores_a_one_second_wick() {
        for window in [5, 60] {
            let mut s =
                MarkSmoother::new(MarkSmoothing::Median { window, sample_interval_ms: 1_000 }).unwrap();
            for t in 0..60 {
                assert_eq!(s.update(t * 1_000, Price(1_000)).unwrap(), Price(1_000));
            }
            assert_eq!(s.update(60_000, Price(1_100)).unwrap(), Price(1_000));
            assert_eq!(s.update(61_000, Price(1_000)).unwrap(), Price(1_000));
        }
        // Three seconds at 110 move a 5-sample median (3 of 5 samples), not a 60-sample one.
        let mut short =
            MarkSmoother::new(MarkSmoothing::Median { window: 5, sample_interval_ms: 1_000 }).unwrap();
        let mut long =
            MarkSmoother::new(MarkSmoothing::Median { window: 60, sample_interval_ms: 1_000 }).unwrap();
        for t in 0..60 {
            short.update(t * 1_000, Price(1_000)).unwrap();
            long.update(t * 1_000, Price(1_000)).unwrap();
        }
        let mut out = (Price(0), Price(0));
        for t in 60..63 {
            out = (
                short.update(t * 1_000, Price(1_100)).unwrap(),
                long.update(t * 1_000, Price(1_100)).unwrap(),
            );
        }
        assert_eq!(out, (Price(1_100), Price(1_000)));
    }

    /// EMA with one sample a second: 100.0 for 2,000 s (the past's weight has converged to
    /// `dt / (1 − d)`, `d = e^(−dt/τ)`), then 110.0 for one second. By hand the average is then
    /// `100 + 10 × (1 − d)`: with τ = 10 s, `1 − e^(−0.1) = 0.09516…` → 100.95, floor 1,009 in
    /// units of 0.1; with τ = 60 s, `1 − e^(−1/60) = 0.01653…` → 100.165, floor 1,001.
    #[test]
    fn a_longer_ema_moves_less_after_a_spike() {
        let run = |tau_ms: i64| {
            let mut s = MarkSmoother::new(MarkSmoothing::Ema { tau_ms, sample_interval_ms: 1_000 }).unwrap();
            for t in 0..2_000 {
                s.update(t * 1_000, Price(1_000)).unwrap();
            }
            s.update(2_000_000, Price(1_100)).unwrap()
        };
        assert_eq!(run(10_000), Price(1_009));
        assert_eq!(run(60_000), Price(1_001));
    }
}
