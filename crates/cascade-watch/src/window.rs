//! One symbol's recent history: a ring of one-second buckets covering the longest look-back
//! (15 minutes) plus room for late events, so every indicator is a sum or a look-up over
//! buckets and an event that arrives out of order lands in its own second.

use rust_decimal::Decimal;

/// Seconds of history kept: 15 minutes of look-back plus two minutes, so a 15-minute change
/// still finds a price when updates come every few seconds, and late events have room.
pub(crate) const RING_S: u64 = 17 * 60;
/// How far behind the newest second an event may fall and still count (the ring's span); an
/// older one is late and dropped.
pub(crate) const HORIZON_S: u64 = RING_S - 1;

/// What happened in one second.
#[derive(Debug, Clone, Default)]
pub(crate) struct Bucket {
    /// The second this bucket holds (Unix seconds); `None`: never used.
    pub sec: Option<u64>,
    /// Liquidated notional: `[longs (SELL orders), shorts (BUY orders)]`.
    pub liq: [Decimal; 2],
    /// Latest mark price in the second, with its time (ms).
    pub mark: Option<(u64, Decimal)>,
    /// Latest trade price in the second, with its time (ms).
    pub trade: Option<(u64, Decimal)>,
    /// Traded notional.
    pub traded: Decimal,
}

/// The ring of buckets.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    buckets: Vec<Bucket>,
    /// Whether a mark price was ever seen: then prices are marks, else trade prices.
    pub has_mark: bool,
}

impl Window {
    pub fn new() -> Self {
        Self { buckets: vec![Bucket::default(); RING_S as usize], has_mark: false }
    }

    /// The bucket of second `sec`, emptied first if it still held an older second.
    pub fn bucket_mut(&mut self, sec: u64) -> &mut Bucket {
        let b = &mut self.buckets[(sec % RING_S) as usize];
        if b.sec != Some(sec) {
            *b = Bucket { sec: Some(sec), ..Bucket::default() };
        }
        b
    }

    /// The bucket of second `sec`, if it holds that second.
    pub fn bucket(&self, sec: u64) -> Option<&Bucket> {
        let b = &self.buckets[(sec % RING_S) as usize];
        (b.sec == Some(sec)).then_some(b)
    }

    /// The price of a bucket: its mark when the symbol has marks, else its last trade.
    fn price_in(&self, b: &Bucket) -> Option<Decimal> {
        if self.has_mark { b.mark.map(|m| m.1) } else { b.trade.map(|t| t.1) }
    }

    /// The latest price at or before the end of second `sec`, looking back no further than
    /// `oldest` (inclusive).
    pub fn price_at(&self, sec: u64, oldest: u64) -> Option<Decimal> {
        let mut s = sec;
        loop {
            if let Some(p) = self.bucket(s).and_then(|b| self.price_in(b)) {
                return Some(p);
            }
            if s <= oldest {
                return None;
            }
            s -= 1;
        }
    }

    /// Liquidated notional `[longs, shorts]` over the seconds `from..=to`.
    pub fn liquidated(&self, from: u64, to: u64) -> [Decimal; 2] {
        let mut sum = [Decimal::ZERO; 2];
        for s in from..=to {
            if let Some(b) = self.bucket(s) {
                sum[0] = sum[0].saturating_add(b.liq[0]);
                sum[1] = sum[1].saturating_add(b.liq[1]);
            }
        }
        sum
    }

    /// Traded notional over the seconds `from..=to`.
    pub fn traded(&self, from: u64, to: u64) -> Decimal {
        (from..=to).filter_map(|s| self.bucket(s)).fold(Decimal::ZERO, |a, b| a.saturating_add(b.traded))
    }

    /// The one-second prices from `from` to `to`, each the latest at or before its second,
    /// starting from `before` (the price before `from`; `None` until the first price).
    pub fn second_prices(
        &self,
        before: Option<Decimal>,
        from: u64,
        to: u64,
    ) -> impl Iterator<Item = Option<Decimal>> + '_ {
        let mut last = before;
        (from..=to).map(move |s| {
            if let Some(p) = self.bucket(s).and_then(|b| self.price_in(b)) {
                last = Some(p);
            }
            last
        })
    }
}
