//! Momentum traders who chase the move of a trailing window (`[population.behaviour]
//! momentum_window_s`): each waits flat and enters, short or long, once the mark breaks its
//! trigger away from the window's extreme (below the window's high: a short; above its low: a
//! long).
//!
//! Why a window and not a level off the time-zero price: breakout traders chase the move that
//! is happening, so their entries bunch where the fall is fastest, which in a cascade is near its
//! low, and those are the shorts a rebound squeezes (10 Oct 2025: $2.4B of $19.1B liquidated
//! were shorts, and funding turned negative after the crash). A level trigger set off the
//! time-zero price puts every entry near the top of the fall, deep in profit at the low.
//!
//! A broken trigger joins its market's queue for that direction and is offered, smallest
//! trigger first (the first to break), until its order fills; the caller stops offering at the
//! first order that finds nothing to fill (the book is empty within the venue's band), so the
//! rest wait for the next offer (the population offers at the start of each price step, one
//! step after the mark that broke them). A queued trader whose break no longer holds gives up (the move
//! is missed). Per mark this is O(log n) per trader that breaks, fills or gives up: two monotonic
//! queues give the window's high and low, the triggers are sorted once behind a cursor per
//! direction, and the queues are ordered sets.

use std::collections::{BTreeSet, VecDeque};

/// One waiting trader's trigger: the relative move (fraction) that opens it, and its index in the
/// population.
#[derive(Debug, Clone, Copy)]
pub struct Trigger {
    /// Move away from the window's extreme, a fraction of the extreme, in (0, 1).
    pub away: f64,
    /// Index in [`super::population::Population::traders`].
    pub trader: u32,
}

/// A queued break: (the trigger's bits, trader). Positive floats order as their bits do.
type Queued = (u64, u32);

/// One market's window, its waiting traders and its queues.
#[derive(Debug, Clone, Default)]
struct MarketWindow {
    /// (time µs, mark) with strictly decreasing marks: the front is the window's high.
    highs: VecDeque<(i64, i64)>,
    /// (time µs, mark) with strictly increasing marks: the front is the window's low.
    lows: VecDeque<(i64, i64)>,
    /// Triggers sorted by `away` (then trader), and per direction the first not yet crossed.
    triggers: Vec<Trigger>,
    down: usize,
    up: usize,
    /// Broken, not yet filled: shorts, longs.
    queued: [BTreeSet<Queued>; 2],
}

/// The chasers of every market.
#[derive(Debug, Clone)]
pub struct Chasers {
    window_us: i64,
    markets: Vec<MarketWindow>,
}

impl Chasers {
    /// `per_market[m]`: market `m`'s waiting traders (any order); the window is `window_s`
    /// seconds.
    #[must_use]
    pub fn new(window_s: u64, per_market: Vec<Vec<Trigger>>) -> Self {
        let window_us = i64::try_from(window_s.saturating_mul(1_000_000)).unwrap_or(i64::MAX);
        let markets = per_market
            .into_iter()
            .map(|mut triggers| {
                triggers.sort_by(|a, b| a.away.total_cmp(&b.away).then(a.trader.cmp(&b.trader)));
                MarketWindow { triggers, ..MarketWindow::default() }
            })
            .collect();
        Self { window_us, markets }
    }

    /// Market `m`'s mark is `mark` at `now_us`: the triggers it crosses join the queues, and the
    /// queued traders whose break no longer holds leave them and are pushed to `gave_up`.
    pub fn observe(&mut self, m: usize, now_us: i64, mark: i64, gave_up: &mut Vec<u32>) {
        let Some(w) = self.markets.get_mut(m) else { return };
        if w.triggers.is_empty() || mark <= 0 {
            return;
        }
        let since = now_us.saturating_sub(self.window_us);
        while w.highs.back().is_some_and(|&(_, p)| p <= mark) {
            w.highs.pop_back();
        }
        w.highs.push_back((now_us, mark));
        while w.highs.front().is_some_and(|&(t, _)| t < since) {
            w.highs.pop_front();
        }
        while w.lows.back().is_some_and(|&(_, p)| p >= mark) {
            w.lows.pop_back();
        }
        w.lows.push_back((now_us, mark));
        while w.lows.front().is_some_and(|&(t, _)| t < since) {
            w.lows.pop_front();
        }
        let high = w.highs.front().map_or(mark, |x| x.1) as f64;
        let low = w.lows.front().map_or(mark, |x| x.1) as f64;
        let x = mark as f64;
        let moved = [1.0 - x / high, x / low - 1.0];
        for (dir, &now) in moved.iter().enumerate() {
            let q = &mut w.queued[dir];
            while let Some(&(bits, trader)) = q.last() {
                if f64::from_bits(bits) <= now {
                    break;
                }
                q.pop_last();
                gave_up.push(trader);
            }
            let cursor = if dir == 0 { &mut w.down } else { &mut w.up };
            while *cursor < w.triggers.len() && w.triggers[*cursor].away <= now {
                let t = w.triggers[*cursor];
                q.insert((t.away.to_bits(), t.trader));
                *cursor += 1;
            }
        }
    }

    /// The queued trader of market `m` to offer next in a direction (`long`), if any: the
    /// smallest trigger.
    #[must_use]
    pub fn next(&self, m: usize, long: bool) -> Option<u32> {
        self.markets.get(m)?.queued[usize::from(long)].first().map(|q| q.1)
    }

    /// Removes [`Self::next`] from its queue (it filled, or no longer waits).
    pub fn done(&mut self, m: usize, long: bool) {
        if let Some(w) = self.markets.get_mut(m) {
            w.queued[usize::from(long)].pop_first();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(away: f64, trader: u32) -> Trigger {
        Trigger { away, trader }
    }

    /// Offers everything queued in market `m`, as if every order filled.
    fn drain(c: &mut Chasers, m: usize) -> Vec<(u32, bool)> {
        let mut out = Vec::new();
        for long in [false, true] {
            while let Some(i) = c.next(m, long) {
                out.push((i, long));
                c.done(m, long);
            }
        }
        out
    }

    /// A 10 s window over marks 100, 98, 95, 97 at 0, 4, 8, 12 s, then 99 at 20 s:
    /// - at 4 s the fall from the high (100) is 2 %: the 0.02 trigger breaks, not the 0.04;
    /// - at 8 s it is 5 %: the 0.04 breaks;
    /// - at 12 s the high of 100 (0 s) has left the window (0 < 12 − 10): the high is 98 and
    ///   the fall 1 − 97/98 ≈ 1.0 %, while the rise from the low (95) is 2.1 %: the 0.02
    ///   trigger breaks long (the caller skips a trader already in), the 0.04 does not;
    /// - at 20 s the window holds 97 (12 s) and 99: the low is 97, the rise 2.06 %, no new
    ///   break (the long cursor is past 0.02 and 0.04 is not reached).
    #[test]
    fn triggers_break_from_the_window_extreme() {
        let mut c = Chasers::new(10, vec![vec![t(0.04, 1), t(0.02, 0)]]);
        let mut gave_up = Vec::new();
        c.observe(0, 0, 100, &mut gave_up);
        assert!(drain(&mut c, 0).is_empty());
        c.observe(0, 4_000_000, 98, &mut gave_up);
        assert_eq!(drain(&mut c, 0), vec![(0, false)]);
        c.observe(0, 8_000_000, 95, &mut gave_up);
        assert_eq!(drain(&mut c, 0), vec![(1, false)]);
        c.observe(0, 12_000_000, 97, &mut gave_up);
        assert_eq!(drain(&mut c, 0), vec![(0, true)]);
        c.observe(0, 20_000_000, 99, &mut gave_up);
        assert!(drain(&mut c, 0).is_empty() && gave_up.is_empty());
    }

    /// The window's high leaves the window: a slow fall of 1 % every 10 s never makes a 5 %
    /// break within a 20 s window (at most 1 − 0.99² ≈ 2 %), while a fast one (5 % in 5 s) does.
    #[test]
    fn a_slow_fall_does_not_break_a_short_window() {
        let mut c = Chasers::new(20, vec![vec![t(0.05, 7)], vec![t(0.05, 8)]]);
        let mut gave_up = Vec::new();
        let mut p = 10_000.0_f64;
        for k in 0..30 {
            c.observe(0, k * 10_000_000, p as i64, &mut gave_up);
            p *= 0.99;
        }
        assert!(drain(&mut c, 0).is_empty());
        c.observe(1, 0, 10_000, &mut gave_up);
        c.observe(1, 5_000_000, 9_500, &mut gave_up);
        assert_eq!(drain(&mut c, 1), vec![(8, false)]);
    }

    /// Queued breaks are offered smallest trigger first and stay queued while they hold (9,480 is
    /// 5.2 % below the high of 10,000: both the 0.03 and the 0.05 hold); at 9,600 (4 %) the 0.05
    /// gives up and the 0.03 is still offered.
    #[test]
    fn queued_breaks_wait_while_they_hold_and_give_up_after() {
        let mut c = Chasers::new(60, vec![vec![t(0.05, 3), t(0.03, 4)]]);
        let mut gave_up = Vec::new();
        c.observe(0, 0, 10_000, &mut gave_up);
        c.observe(0, 1_000_000, 9_400, &mut gave_up);
        assert_eq!(c.next(0, false), Some(4), "the smallest trigger first");
        c.observe(0, 2_000_000, 9_480, &mut gave_up);
        assert!(gave_up.is_empty());
        c.observe(0, 3_000_000, 9_600, &mut gave_up);
        assert_eq!(gave_up, vec![3]);
        assert_eq!(drain(&mut c, 0), vec![(4, false)]);
    }
}
