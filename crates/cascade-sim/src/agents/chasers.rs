//! Momentum traders who chase the move of a trailing window (`[population.behaviour]
//! momentum_window_s`): each waits flat and enters, short or long, the first time the mark
//! breaks its trigger away from the window's extreme (below the window's high: a short; above
//! its low: a long).
//!
//! Why a window and not a level off the time-zero price: breakout traders chase the move that
//! is happening, so their entries bunch where the fall is fastest, which in a cascade is near its
//! low, and those are the shorts a rebound squeezes (10 Oct 2025: $2.4B of $19.1B liquidated
//! were shorts, and funding turned negative after the crash). A level trigger set off the
//! time-zero price puts every entry near the top of the fall, deep in profit at the low.
//!
//! A break whose market order found nothing to fill (books empty in a crash) is retried at each
//! later mark while the break holds, and given up once it no longer does (the move is missed).
//!
//! The per-market state is O(1) amortised per mark: two monotonic queues give the window's high
//! and low, and each direction's triggers are sorted once so a cursor only moves forward.

use std::collections::VecDeque;

/// One waiting trader's trigger: the relative move (fraction) that opens it, and its index in the
/// population.
#[derive(Debug, Clone, Copy)]
pub struct Trigger {
    /// Move away from the window's extreme, a fraction of the extreme (> 0).
    pub away: f64,
    /// Index in [`super::population::Population::traders`].
    pub trader: u32,
}

/// One market's window and its waiting traders.
#[derive(Debug, Clone, Default)]
struct MarketWindow {
    /// (time µs, mark) with strictly decreasing marks: the front is the window's high.
    highs: VecDeque<(i64, i64)>,
    /// (time µs, mark) with strictly increasing marks: the front is the window's low.
    lows: VecDeque<(i64, i64)>,
    /// Triggers sorted by `away` (then trader), and the first not yet crossed.
    triggers: Vec<Trigger>,
    down: usize,
    up: usize,
    /// Breaks to retry at the next mark, in the order they broke.
    pending: Vec<Break>,
}

/// The chasers of every market.
#[derive(Debug, Clone)]
pub struct Chasers {
    window_us: i64,
    markets: Vec<MarketWindow>,
}

/// A trader whose trigger a mark crossed, and the direction of the break.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Break {
    /// Index in the population.
    pub trader: u32,
    /// `true` above the window's low (a long), `false` below its high (a short).
    pub long: bool,
    /// The trader's trigger.
    pub away: f64,
}

impl Chasers {
    /// `per_market[m]`: market `m`'s waiting traders (any order), the window `window_s` seconds.
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

    /// Break `b` of market `m` did not fill: it is tried again at the next mark while it holds.
    pub fn retry(&mut self, m: usize, b: Break) {
        if let Some(w) = self.markets.get_mut(m) {
            w.pending.push(b);
        }
    }

    /// Market `m`'s mark is `mark` at `now_us`: pushes to `out` the pending breaks that still
    /// hold (in the order they broke; those that do not are given up and pushed to `lapsed`),
    /// then the traders whose trigger it crossed, shorts first, each direction in trigger order.
    /// A trader is listed in both directions until one of them fires; the caller skips one that
    /// has already entered.
    pub fn on_mark(&mut self, m: usize, now_us: i64, mark: i64, out: &mut Vec<Break>, lapsed: &mut Vec<u32>) {
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
        let fall = 1.0 - x / high;
        let rise = x / low - 1.0;
        for b in w.pending.drain(..) {
            if b.away <= if b.long { rise } else { fall } {
                out.push(b);
            } else {
                lapsed.push(b.trader);
            }
        }
        while w.down < w.triggers.len() && w.triggers[w.down].away <= fall {
            let t = w.triggers[w.down];
            out.push(Break { trader: t.trader, long: false, away: t.away });
            w.down += 1;
        }
        while w.up < w.triggers.len() && w.triggers[w.up].away <= rise {
            let t = w.triggers[w.up];
            out.push(Break { trader: t.trader, long: true, away: t.away });
            w.up += 1;
        }
    }

    /// Traders still waiting in some direction (for reports and tests).
    #[must_use]
    pub fn waiting(&self) -> usize {
        self.markets.iter().map(|w| w.triggers.len() - w.down.min(w.up)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(away: f64, trader: u32) -> Trigger {
        Trigger { away, trader }
    }

    /// A 10 s window over marks 100, 98, 95, 97 at 0, 4, 8, 12 s, then 99 at 20 s:
    /// - at 4 s the fall from the high (100) is 2 %: the 0.02 trigger fires, not the 0.04;
    /// - at 8 s it is 5 %: the 0.04 fires;
    /// - at 12 s the high is still 100 (seen at 0 s, within 10 s? no: 0 < 12 - 10, so it has
    ///   left; the window holds 98, 95, 97 and its high is 98): fall 1 − 97/98 ≈ 1.0 %, and the
    ///   rise from the low 95 is 2.1 %: the 0.02 trigger fires long (it fired short already; the
    ///   caller skips it), the 0.04 does not;
    /// - at 20 s the window holds 97 (12 s) and 99: the low is 97, the rise 2.06 %, and no new
    ///   long fires (the cursor is past 0.02, 0.04 is not reached).
    #[test]
    fn triggers_fire_at_the_break_from_the_window_extreme() {
        let mut c = Chasers::new(10, vec![vec![t(0.04, 1), t(0.02, 0)]]);
        let (mut out, mut lapsed) = (Vec::new(), Vec::new());
        c.on_mark(0, 0, 100, &mut out, &mut lapsed);
        assert!(out.is_empty());
        c.on_mark(0, 4_000_000, 98, &mut out, &mut lapsed);
        assert_eq!(out, vec![Break { trader: 0, long: false, away: 0.02 }]);
        out.clear();
        c.on_mark(0, 8_000_000, 95, &mut out, &mut lapsed);
        assert_eq!(out, vec![Break { trader: 1, long: false, away: 0.04 }]);
        out.clear();
        c.on_mark(0, 12_000_000, 97, &mut out, &mut lapsed);
        assert_eq!(out, vec![Break { trader: 0, long: true, away: 0.02 }]);
        out.clear();
        c.on_mark(0, 20_000_000, 99, &mut out, &mut lapsed);
        assert!(out.is_empty() && lapsed.is_empty());
        assert_eq!(c.waiting(), 1, "trader 1 still waits for a long break");
    }

    /// The window's high leaves the window: a slow fall of 1 % every 10 s never makes a 5 %
    /// break within a 20 s window (at most 2 %), while a fast one (5 % in 5 s) does.
    #[test]
    fn a_slow_fall_does_not_break_a_short_window() {
        let mut c = Chasers::new(20, vec![vec![t(0.05, 7)], vec![t(0.05, 8)]]);
        let (mut out, mut lapsed) = (Vec::new(), Vec::new());
        let mut p = 10_000.0_f64;
        for k in 0..30 {
            c.on_mark(0, k * 10_000_000, p as i64, &mut out, &mut lapsed);
            p *= 0.99;
        }
        assert!(out.is_empty(), "{out:?}");
        c.on_mark(1, 0, 10_000, &mut out, &mut lapsed);
        c.on_mark(1, 5_000_000, 9_500, &mut out, &mut lapsed);
        assert_eq!(out, vec![Break { trader: 8, long: false, away: 0.05 }]);
    }

    /// A break that did not fill is offered again while it holds (9,480 is still 5.2 % below
    /// the high of 10,000) and given up once it does not (9,600: 4 %).
    #[test]
    fn an_unfilled_break_is_retried_while_it_holds() {
        let mut c = Chasers::new(60, vec![vec![t(0.05, 3)]]);
        let (mut out, mut lapsed) = (Vec::new(), Vec::new());
        c.on_mark(0, 0, 10_000, &mut out, &mut lapsed);
        c.on_mark(0, 1_000_000, 9_400, &mut out, &mut lapsed);
        let b = out.pop().expect("the break");
        c.retry(0, b);
        c.on_mark(0, 2_000_000, 9_480, &mut out, &mut lapsed);
        assert_eq!(out, vec![b]);
        out.clear();
        c.retry(0, b);
        c.on_mark(0, 3_000_000, 9_600, &mut out, &mut lapsed);
        assert!(out.is_empty());
        assert_eq!(lapsed, vec![3]);
    }
}
