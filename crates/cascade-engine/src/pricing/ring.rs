//! A fixed-capacity window of integer samples with an exact running sum: the moving average of
//! the basis in Binance's, Bybit's and OKX's mark price (venue-mechanics §1.2, §2.2, §3.2).
//!
//! The window is allocated once at construction and never grows: pushing into a full window
//! overwrites the oldest sample. The sum is kept in `i128`, so the mean is exact before its one
//! rounding, and the same sequence of pushes always gives the same mean.

use crate::num::{Overflow, Round, div_i128};

use super::error::{PricingError, invalid};

/// The last `capacity` samples and their sum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleWindow {
    buf: Box<[i64]>,
    /// Index of the next write.
    head: usize,
    len: usize,
    sum: i128,
}

impl SampleWindow {
    /// An empty window holding up to `capacity` samples.
    ///
    /// # Errors
    /// [`PricingError::InvalidParameter`] (`window`) if `capacity` is zero.
    pub fn new(capacity: usize) -> Result<Self, PricingError> {
        if capacity == 0 {
            return Err(invalid("window", "must hold at least one sample"));
        }
        Ok(Self { buf: vec![0; capacity].into_boxed_slice(), head: 0, len: 0, sum: 0 })
    }

    /// The most samples the window holds.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Samples currently held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no sample has been pushed (or the window was cleared).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Σ of the samples held, exact.
    #[must_use]
    pub fn sum(&self) -> i128 {
        self.sum
    }

    /// Adds a sample, dropping the oldest one when full.
    pub fn push(&mut self, sample: i64) {
        let cap = self.buf.len();
        if self.len == cap {
            self.sum -= i128::from(self.buf[self.head]);
        } else {
            self.len += 1;
        }
        self.buf[self.head] = sample;
        self.sum += i128::from(sample);
        self.head = (self.head + 1) % cap;
    }

    /// Empties the window.
    pub fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
        self.sum = 0;
    }

    /// Mean of the samples held, rounded as asked; `None` when empty.
    ///
    /// # Errors
    /// [`Overflow`] if the mean does not fit in `i64` (it cannot, since every sample does; kept
    /// for the narrowing).
    pub fn mean(&self, round: Round) -> Result<Option<i64>, Overflow> {
        self.mean_scaled(1, round)
    }

    /// Σ / (len × `den`), rounded as asked; `None` when empty. Lets callers keep samples in a
    /// finer unit (e.g. doubled prices, so a mid-price basis stays exact) and divide once.
    ///
    /// # Errors
    /// [`Overflow`] if `den` is not positive or the result does not fit in `i64`.
    pub fn mean_scaled(&self, den: i64, round: Round) -> Result<Option<i64>, Overflow> {
        if self.len == 0 {
            return Ok(None);
        }
        if den <= 0 {
            return Err(Overflow);
        }
        let n = i128::try_from(self.len).map_err(|_| Overflow)? * i128::from(den);
        div_i128(self.sum, n, round).map(Some)
    }

    /// The samples from oldest to newest.
    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        let cap = self.buf.len();
        let start = (self.head + cap - self.len) % cap;
        (0..self.len).map(move |i| self.buf[(start + i) % cap])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn moving_average_over_a_full_window() {
        let mut w = SampleWindow::new(3).unwrap();
        assert_eq!(w.mean(Round::Floor), Ok(None));
        w.push(3);
        w.push(4);
        // (3 + 4) / 2 = 3.5.
        assert_eq!(w.mean(Round::Floor), Ok(Some(3)));
        assert_eq!(w.mean(Round::Ceil), Ok(Some(4)));
        w.push(8);
        w.push(-9);
        // Window holds 4, 8, -9: sum 3, mean 1.
        assert_eq!(w.iter().collect::<Vec<_>>(), vec![4, 8, -9]);
        assert_eq!((w.len(), w.sum()), (3, 3));
        assert_eq!(w.mean(Round::Floor), Ok(Some(1)));
        // Doubled units: 3 / (3 × 2) = 0.5.
        assert_eq!(w.mean_scaled(2, Round::Floor), Ok(Some(0)));
        assert_eq!(w.mean_scaled(2, Round::Ceil), Ok(Some(1)));
        assert_eq!(w.mean_scaled(0, Round::Ceil), Err(Overflow));
        w.clear();
        assert!(w.is_empty());
        assert!(SampleWindow::new(0).is_err());
    }

    #[test]
    fn extreme_samples_do_not_overflow_the_sum() {
        let mut w = SampleWindow::new(4).unwrap();
        for _ in 0..9 {
            w.push(i64::MAX);
        }
        assert_eq!(w.mean(Round::Floor), Ok(Some(i64::MAX)));
    }

    proptest! {
        /// The running sum always equals a fresh sum over the last `capacity` samples.
        #[test]
        fn running_sum_matches_a_recount(
            cap in 1usize..40,
            xs in prop::collection::vec(any::<i64>(), 0..200),
        ) {
            let mut w = SampleWindow::new(cap).unwrap();
            for (i, &x) in xs.iter().enumerate() {
                w.push(x);
                let lo = (i + 1).saturating_sub(cap);
                let want: i128 = xs[lo..=i].iter().map(|&v| i128::from(v)).sum();
                prop_assert_eq!(w.sum(), want);
                prop_assert_eq!(w.iter().collect::<Vec<_>>(), xs[lo..=i].to_vec());
            }
        }
    }
}
