//! ADL ranking: which profitable opposite positions are closed first when the insurance fund
//! cannot absorb a bankrupt position. Pure functions over plain figures; the venue collects the
//! candidates and executes.
//!
//! Scores are exact integers (ratios scaled by [`SCORE_SCALE`], products in `i128`, saturating
//! so that extreme figures still order sensibly); ties break by account id, so the ranking is
//! deterministic.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::ledger::AccountId;
use crate::num::Cash;

use super::rules::AdlRanking;

/// Fixed-point scale of a score (ratios are multiplied by this before dividing).
pub const SCORE_SCALE: i128 = 1_000_000_000;

/// What the ranking needs to know of one candidate position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdlCandidate {
    /// Owner.
    pub account: AccountId,
    /// Whether the position is long.
    pub long: bool,
    /// Unrealized PnL of the position at the mark.
    pub upnl: Cash,
    /// Entry value (cost basis) of the position.
    pub cost: Cash,
    /// Value of the position at the mark (its notional).
    pub notional: Cash,
    /// The margin backing it: the account's wallet balance (cross) or isolated margin.
    pub wallet: Cash,
    /// Equity backing it: wallet + unrealized PnL (cross: of the whole pool).
    pub equity: Cash,
    /// Maintenance margin of the account (cross pool) or position (isolated). Only Binance's
    /// ranking reads it; a venue ranking otherwise leaves it at zero rather than pay a tier
    /// lookup for each of a market's opposite positions.
    pub maintenance: Cash,
}

fn ratio(n: i128, d: i128) -> i128 {
    if d <= 0 {
        return i128::MAX;
    }
    n.saturating_mul(SCORE_SCALE) / d
}

/// The candidate's score under `ranking` (higher is deleveraged first).
#[must_use]
pub fn score(ranking: AdlRanking, c: &AdlCandidate) -> i128 {
    let (upnl, cost, notional) = (i128::from(c.upnl.0), i128::from(c.cost.0), i128::from(c.notional.0));
    let (wallet, equity, mm) = (i128::from(c.wallet.0), i128::from(c.equity.0), i128::from(c.maintenance.0));
    match ranking {
        // §1.5: PnlPercent = max(0, upnl)/max(1, WB); MarginRatio = MM/(WB + upnl) if > 0 else 0.
        AdlRanking::BinanceLeveragePnl => {
            let pnl_pct = ratio(upnl.max(0), wallet.max(1));
            let margin_ratio = if equity > 0 { ratio(mm, equity) } else { 0 };
            pnl_pct.saturating_mul(margin_ratio) / SCORE_SCALE
        }
        // §2.4/§3.4/§4.3: PnL% × effective leverage, effective leverage = notional / equity.
        AdlRanking::PnlTimesLeverage => {
            let pnl_pct = ratio(upnl, cost.max(1));
            let lev = ratio(notional, equity.max(1));
            if upnl >= 0 { pnl_pct.saturating_mul(lev) / SCORE_SCALE } else { ratio(pnl_pct, lev.max(1)) }
        }
        // §5.4: (mark / entry) × (notional / account value) for a long, mark/entry = notional/cost;
        // for a short the profitable direction is the other way, entry/mark = cost/notional.
        AdlRanking::Hyperliquid => {
            let move_ratio = if c.long { ratio(notional, cost.max(1)) } else { ratio(cost, notional.max(1)) };
            move_ratio.saturating_mul(ratio(notional, equity.max(1))) / SCORE_SCALE
        }
        AdlRanking::DydxOffset | AdlRanking::None => 0,
    }
}

/// (unprofitable, highest score first, account id): see [`rank_key`].
type RankKey = (bool, Reverse<i128>, u32);

/// Where a candidate stands in the order [`rank`] gives: lower first. Profitable positions
/// before the others, then by score, highest first, ties by account id; for dYdX (§6.4) only
/// the account id counted from `start`, wrapping around. Account ids are unique among
/// candidates, so the order is total.
fn rank_key(ranking: AdlRanking, c: &AdlCandidate, start: u32) -> RankKey {
    match ranking {
        AdlRanking::DydxOffset => (false, Reverse(0), c.account.0.wrapping_sub(start)),
        _ => (!c.upnl.is_positive(), Reverse(score(ranking, c)), c.account.0),
    }
}

/// Orders candidates for deleveraging: profitable positions before the others, then by score,
/// highest first, ties by account id; dYdX (§6.4) instead walks accounts in id order starting
/// from `start` and wrapping around, profitable or not.
pub fn rank(ranking: AdlRanking, candidates: &mut [AdlCandidate], start: u32) {
    // Each key is computed once (the scores' i128 divisions dominated the sort when recomputed
    // in every comparison).
    candidates.sort_by_cached_key(|c| rank_key(ranking, c, start));
}

/// Candidates handed out in [`rank`]'s order, ranked only as far as they are read. A pass
/// usually deleverages the first few of hundreds of thousands of opposite positions, so the
/// ranking is a heap built in linear time and popped on demand rather than a full sort; the
/// sequence is exactly [`rank`]'s.
#[derive(Debug, Clone)]
pub struct RankedCandidates {
    candidates: Vec<AdlCandidate>,
    heap: BinaryHeap<Reverse<(RankKey, u32)>>,
    /// Indices into `candidates` of those ranked so far, in order.
    ranked: Vec<u32>,
}

impl RankedCandidates {
    /// The candidates, to be read in `ranking`'s order (`start` as for [`rank`]).
    #[must_use]
    pub fn new(ranking: AdlRanking, candidates: Vec<AdlCandidate>, start: u32) -> Self {
        let keys: Vec<_> = candidates
            .iter()
            .enumerate()
            .map(|(i, c)| Reverse((rank_key(ranking, c, start), u32::try_from(i).unwrap_or(u32::MAX))))
            .collect();
        Self { candidates, heap: BinaryHeap::from(keys), ranked: Vec::new() }
    }

    /// The candidate at `rank` (0 first), if there are that many.
    pub fn get(&mut self, rank: usize) -> Option<AdlCandidate> {
        while self.ranked.len() <= rank {
            let Reverse((_, i)) = self.heap.pop()?;
            self.ranked.push(i);
        }
        self.candidates.get(self.ranked[rank] as usize).copied()
    }

    /// Number of candidates.
    #[must_use]
    pub fn len(&self) -> usize {
        self.candidates.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.candidates.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn usd(s: &str) -> Cash {
        Cash::from_str(s).unwrap()
    }

    /// venue-mechanics §9 BIN-10: UPNL 40.2, WB 4.27, margin ratio 13.42% → PnlPercent 9.41,
    /// LeveragePnl ≈ 1.26.
    #[test]
    fn bin_10_leverage_pnl() {
        let equity = usd("44.47");
        // MM chosen so that MM / (WB + UPNL) = 13.42%.
        let mm = Cash((equity.0 as i128 * 1342 / 10_000) as i64);
        let c = AdlCandidate {
            account: AccountId(0),
            long: true,
            upnl: usd("40.2"),
            cost: usd("1000"),
            notional: usd("1040.2"),
            wallet: usd("4.27"),
            equity,
            maintenance: mm,
        };
        let s = score(AdlRanking::BinanceLeveragePnl, &c);
        let got = s as f64 / SCORE_SCALE as f64;
        assert!((got - 1.263).abs() < 0.005, "LeveragePnl {got}");
    }

    #[test]
    fn higher_profit_and_leverage_rank_first() {
        let base = AdlCandidate {
            account: AccountId(1),
            long: true,
            upnl: usd("100"),
            cost: usd("1000"),
            notional: usd("1100"),
            wallet: usd("100"),
            equity: usd("200"),
            maintenance: usd("10"),
        };
        // More profit on the same equity (the wallet is smaller).
        let richer = AdlCandidate {
            account: AccountId(2),
            upnl: usd("300"),
            notional: usd("1300"),
            wallet: usd("-100"),
            ..base
        };
        let levered = AdlCandidate { account: AccountId(3), wallet: usd("20"), equity: usd("120"), ..base };
        for r in [AdlRanking::PnlTimesLeverage, AdlRanking::Hyperliquid, AdlRanking::BinanceLeveragePnl] {
            assert!(score(r, &richer) > score(r, &base), "{r:?}");
            assert!(score(r, &levered) > score(r, &base), "{r:?}");
        }
        let mut v = vec![base, richer, levered];
        rank(AdlRanking::DydxOffset, &mut v, 2);
        assert_eq!(v.iter().map(|c| c.account.0).collect::<Vec<_>>(), vec![2, 3, 1]);
    }

    proptest::proptest! {
        /// The lazy ranking hands candidates out in exactly [`rank`]'s order, under every
        /// ranking, whatever the figures (ties in score included).
        #[test]
        fn lazy_ranking_is_the_full_ranking(
            figs in proptest::collection::vec((-50i64..50, 1i64..100, 1i64..100, -20i64..100, 1i64..20, proptest::bool::ANY), 0..60),
            start in proptest::prelude::any::<u32>(),
            which in 0usize..5,
        ) {
            let ranking = [
                AdlRanking::BinanceLeveragePnl,
                AdlRanking::PnlTimesLeverage,
                AdlRanking::Hyperliquid,
                AdlRanking::DydxOffset,
                AdlRanking::None,
            ][which];
            // Account ids unique, as the venue collects them.
            let cands: Vec<AdlCandidate> = figs
                .iter()
                .enumerate()
                .map(|(i, &(upnl, cost, notional, wallet, mm, long))| AdlCandidate {
                    account: AccountId((i as u32).wrapping_mul(2_654_435_761)),
                    long,
                    upnl: Cash(upnl),
                    cost: Cash(cost),
                    notional: Cash(notional),
                    wallet: Cash(wallet),
                    equity: Cash(wallet + upnl),
                    maintenance: Cash(mm),
                })
                .collect();
            let mut full = cands.clone();
            rank(ranking, &mut full, start);
            let mut lazy = RankedCandidates::new(ranking, cands, start);
            proptest::prop_assert_eq!(lazy.len(), full.len());
            // Read out of order too: an earlier rank stays where it was.
            if full.len() > 3 {
                proptest::prop_assert_eq!(lazy.get(3), Some(full[3]));
            }
            for (i, c) in full.iter().enumerate() {
                proptest::prop_assert_eq!(lazy.get(i), Some(*c));
            }
            proptest::prop_assert_eq!(lazy.get(full.len()), None);
        }
    }
}
