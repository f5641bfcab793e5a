//! How much of a liquidatable position one step closes, under the venue's partial rule.
//!
//! Two rules need a solve rather than a share:
//! * **Tier step-down** (Bybit §2.3, OKX §3.3, BitMEX §4.3): the step closes the least lot
//!   multiple that leaves the rest strictly inside a lower tier, so the next check sees the
//!   lower tier's rates. Rounding the kept size *up* would leave it on the tier floor (floors
//!   are inclusive) and cost a further one-lot step in the same tier.
//! * **Reduce first** (Binance §1.3): the first IOC closes the least lot multiple after which
//!   the pool is above maintenance again, the liquidation fee on the closed value paid.

use crate::instrument::Instrument;
use crate::ledger::AccountId;
use crate::margin::tiers::{Exposure, RiskTiers};
use crate::num::{Cash, Overflow, Price, Qty, RATE_ONE, Round};
use crate::position::Position;
use crate::risk::rules::PartialRule;

use super::super::{Venue, VenueError, overflow};

impl Venue {
    /// How much of `acct`'s position `pos` to close in one step under the partial rule
    /// (`first`: the first step of this liquidation).
    pub(super) fn liquidation_qty(
        &self,
        acct: AccountId,
        pos: &Position,
        notional: Cash,
        first: bool,
    ) -> Result<Qty, VenueError> {
        let size = pos.size.abs();
        let m = &self.markets[usize::from(pos.instrument.0)];
        let lot = m.instrument.spec().lot.0;
        let portion = |num: i64, den: i64| -> Result<Qty, VenueError> {
            let q = size.mul_div(num, den, Round::Ceil).map_err(overflow("liquidation qty"))?;
            let q = (q.0 + lot - 1) / lot * lot;
            Ok(Qty(q.clamp(lot.min(size.0), size.0)))
        };
        let mark = self.reference_mark(pos.instrument).unwrap_or(Price(1));
        match self.config.rules.partial {
            PartialRule::Full => Ok(size),
            // One reducing IOC first, just large enough to restore margin; then the rest.
            PartialRule::ReduceFirst if first => self.reduce_first_qty(acct, pos, mark),
            PartialRule::ReduceFirst => Ok(size),
            PartialRule::TierStepDown { tiers } => {
                step_down_qty(&m.instrument, &m.tiers, size, mark, tiers).map_err(overflow("tier step-down"))
            }
            PartialRule::Slice { fraction, above, .. } => {
                if notional > above {
                    portion(fraction.0, RATE_ONE)
                } else {
                    Ok(size)
                }
            }
            PartialRule::BlockCap { fraction } => portion(fraction.0, RATE_ONE),
            // Sized with the account's margin by `drift.rs` before this is called.
            PartialRule::MarginShortage => Ok(size),
        }
    }

    /// Binance "reduce first" (§1.3): the least lot multiple `q` such that, once `q` is closed
    /// at `mark` and the liquidation fee `rules.liquidation_fee × value(q)` is paid, the pool
    /// backing `pos` (its isolated margin, or the cross pool with the other positions
    /// unchanged) has equity above maintenance. The whole position if no `q` short of it does.
    ///
    /// Closing at the mark turns unrealized PnL into realized PnL without changing the equity,
    /// so after the close `equity' = equity − fee(q)` and
    /// `maintenance' = maintenance − req(size) + req(size − q)`, with `req` the venue's own
    /// per-position requirement (the tier table, and the fee to close where the rules include
    /// it). Maintenance is concave in the closed amount across tiers (rates never fall with
    /// size) and the fee linear, so the margin left, `g(q) = equity' − maintenance'`, is
    /// concave in `q`: it rises while the tier rate being shed exceeds the fee rate, then
    /// falls. The solve finds the peak of `g` by bisection on its slope, then the least `q`
    /// with `g(q) > 0` by bisection on the rising side; every candidate is evaluated with the
    /// exact predicate, so the `q` returned always restores margin.
    fn reduce_first_qty(&self, acct: AccountId, pos: &Position, mark: Price) -> Result<Qty, VenueError> {
        let size = pos.size.abs();
        let m = &self.markets[usize::from(pos.instrument.0)];
        let lot = m.instrument.spec().lot.0.max(1);
        let lots = size.0 / lot;
        if lots <= 1 {
            return Ok(size);
        }
        let state = self.position_maintenance(acct, pos.instrument)?;
        let (own_mm, _) = self.position_requirements(pos, mark)?;
        let others = state.maintenance.checked_sub(own_mm).map_err(overflow("maintenance"))?;
        let fee_rate = self.config.rules.liquidation_fee;
        // g(n): margin left above maintenance after closing n lots (n < lots).
        let g = |n: i64| -> Result<i128, VenueError> {
            let q = Qty(n * lot);
            let fee = m
                .instrument
                .value(mark, q, Round::Ceil)
                .and_then(|v| v.mul_rate(fee_rate, Round::Ceil))
                .map_err(overflow("liquidation fee"))?;
            let rest = Position { size: Qty(pos.size.0 - pos.size.signum() * q.0), ..*pos };
            let (mm, _) = self.position_requirements(&rest, mark)?;
            Ok(i128::from(state.equity.0) - i128::from(fee.0) - i128::from(others.0) - i128::from(mm.0))
        };
        // The peak: the least n in [0, lots − 1] with g(n + 1) ≤ g(n) (the slope falls).
        let (mut lo, mut hi) = (0_i64, lots - 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if mid + 1 < lots && g(mid + 1)? > g(mid)? {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let peak = lo;
        if g(peak)? <= 0 {
            return Ok(size);
        }
        // The least n in [0, peak] with g(n) > 0 (g rises up to the peak).
        let (mut lo, mut hi) = (0_i64, peak);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if g(mid)? > 0 {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        // n = 0 means the pool is already above maintenance: close a lot at least (the caller
        // only asks for a liquidatable pool, so this is a guard, not a path).
        Ok(Qty(lo.max(1) * lot))
    }
}

/// Tier step-down (Bybit/BitMEX §2.3/§4.3: one tier per step; OKX §3.3: toward tier 1, or
/// two tiers per round): how much of a position of `size` (absolute) to close at `mark` so
/// that the rest lies strictly inside the tier `steps` below its current one (tier 1 at the
/// least, [`PartialRule::TO_TIER_ONE`] going straight there). A tier-1 position closes in
/// full (the venues take it over at the bankruptcy price).
///
/// The kept size is the *largest* lot multiple whose tier amount (notional or contracts, as
/// the table measures) is below the floor of the tier above the target, found by bisection
/// on the exact amount; the step closes the rest.
///
/// # Errors
/// [`Overflow`] while valuing the position.
pub(super) fn step_down_qty(
    instrument: &Instrument,
    tiers: &RiskTiers,
    size: Qty,
    mark: Price,
    steps: u8,
) -> Result<Qty, Overflow> {
    let size = size.abs();
    let amount =
        |q: i64| -> Result<i64, Overflow> { Ok(tiers.amount(&Exposure::of(instrument, Qty(q), mark)?)) };
    let current = tiers.index_for(amount(size.0)?);
    if current == 0 {
        return Ok(size);
    }
    let target = current.saturating_sub(usize::from(steps));
    // target < current ≤ len − 1, so the tier above the target exists; its floor is > 0.
    let ceiling = tiers.tiers()[target + 1].floor;
    let lot = instrument.spec().lot.0.max(1);
    // Largest n in [0, size/lot] with amount(n·lot) < ceiling: amount(0) = 0 < ceiling.
    let (mut lo, mut hi) = (0_i64, size.0 / lot);
    while lo < hi {
        let mid = lo + (hi - lo + 1) / 2;
        if amount(mid * lot)? < ceiling {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Ok(Qty(size.0 - lo * lot))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instrument::{AssetId, FeeSchedule, InstrumentSpec};
    use crate::margin::tables::{Venue as VenueName, bitmex_xbtusd, bybit_btcusdt};
    use crate::margin::tiers::CASH_ONE;
    use crate::margin::tiers::{TierBasis, TierSpec};
    use crate::num::Rate;
    use crate::risk::rules::RuleSet;
    use crate::venue::{OrderRequest, VenueConfig};
    use rust_decimal::Decimal;

    const USDT: AssetId = AssetId(0);

    fn bps(n: i64) -> Rate {
        Rate::from_bps(n)
    }

    fn spec(symbol: &str, lot: i64) -> InstrumentSpec {
        InstrumentSpec {
            lot: Qty(lot),
            min_qty: Qty(lot),
            fees: FeeSchedule { maker: Rate::ZERO, taker: Rate::ZERO },
            ..InstrumentSpec::linear(symbol, USDT, 2, 3)
        }
    }

    /// OKX-style size tiers (§9.3 OKX-1): tier 1 up to 2,000 contracts, tier 2 up to 5,000,
    /// tier 3 up to 10,000, tier 4 above.
    fn okx_tiers() -> RiskTiers {
        let c = |n: i64| n * 10_i64.pow(crate::margin::tiers::SIZE_DECIMALS);
        let t = |floor: i64, mmr: i64, imr: i64| TierSpec {
            floor: c(floor),
            mmr: bps(mmr),
            imr: Some(bps(imr)),
            max_leverage: None,
            maintenance_amount: Some(Cash::ZERO),
        };
        RiskTiers::new(
            TierBasis::Size,
            &[t(0, 40, 80), t(2_001, 50, 100), t(5_001, 100, 150), t(10_001, 150, 200)],
        )
        .unwrap()
    }

    #[test]
    fn okx_1_reduces_fifteen_thousand_swaps_to_tier_one() {
        // OKX-1: 15,000 swaps (tier 4 here), tier-1 maximum 2,000 → close 13,000. One contract
        // per quantity unit (qty_decimals 0), lot 1.
        let inst = Instrument::new(InstrumentSpec::linear("ETH-USDT-SWAP", USDT, 2, 0)).unwrap();
        let tiers = okx_tiers();
        let mark = Price(200_000);
        let q = step_down_qty(&inst, &tiers, Qty(15_000), mark, PartialRule::TO_TIER_ONE).unwrap();
        assert_eq!(q, Qty(13_000));
        // The newer rule, two tiers per round: tier 4 → tier 2, whose top is 5,000 → close
        // 10,000; from tier 3 (8,000) two tiers reach tier 1: keep 2,000, close 6,000.
        assert_eq!(step_down_qty(&inst, &tiers, Qty(15_000), mark, 2).unwrap(), Qty(10_000));
        assert_eq!(step_down_qty(&inst, &tiers, Qty(8_000), mark, 2).unwrap(), Qty(6_000));
        // One tier: tier 3 (8,000) → tier 2, keep 5,000, close 3,000.
        assert_eq!(step_down_qty(&inst, &tiers, Qty(8_000), mark, 1).unwrap(), Qty(3_000));
        // A tier-1 position closes in full.
        assert_eq!(step_down_qty(&inst, &tiers, Qty(2_000), mark, 2).unwrap(), Qty(2_000));
        // The floor is inclusive: 2,001 contracts are tier 2, and the step keeps 2,000.
        assert_eq!(step_down_qty(&inst, &tiers, Qty(2_001), mark, 1).unwrap(), Qty(1));
    }

    #[test]
    fn bybit_step_leaves_the_tier_despite_lot_rounding() {
        // Bybit BTCUSDT tiers (floors 1M, 2M, 3M USDT). 50.01 BTC at 30,000.00 is worth
        // 1,500,300 USDT: tier 2. Lot 0.01 BTC. One tier down: the rest must be worth
        // < 1,000,000, i.e. < 33.333… BTC; the largest lot multiple is 33.33 BTC (999,900
        // USDT; 33.34 BTC is 1,000,200). Close 50.01 − 33.33 = 16.68 BTC.
        // The old rule kept ⌈50.01 × 1,000,000 / 1,500,300⌉ = 33.334, rounded up to the lot
        // 33.34 BTC = 1,000,200 USDT: still tier 2, and a one-lot step followed.
        let inst = Instrument::new(spec("BTCUSDT", 10)).unwrap();
        let tiers = bybit_btcusdt().unwrap();
        let mark = Price(3_000_000);
        assert_eq!(step_down_qty(&inst, &tiers, Qty(50_010), mark, 1).unwrap(), Qty(16_680));
        // 100.01 BTC = 3,000,300 USDT: tier 4 → tier 3, the rest < 3,000,000: keep 99.99 BTC
        // (2,999,700; 100.00 BTC is exactly the tier-4 floor), close 0.02 BTC. Two tiers: the
        // rest < 2,000,000: keep 66.66 BTC (1,999,800; 66.67 is 2,000,100), close 33.35 BTC.
        assert_eq!(step_down_qty(&inst, &tiers, Qty(100_010), mark, 1).unwrap(), Qty(20));
        assert_eq!(step_down_qty(&inst, &tiers, Qty(100_010), mark, 2).unwrap(), Qty(33_350));
    }

    #[test]
    fn bitmex_step_leaves_the_tier_despite_lot_rounding() {
        // XBTUSD, 1 USD per contract, lot 100; at 10,000.0 a contract is worth 0.0001 XBT.
        // 2,400,000 contracts = 240 XBT: risk-limit tier 2 ([200, 350) XBT). One step down:
        // the rest must be worth < 200 XBT, i.e. < 2,000,000 contracts; the largest lot
        // multiple is 1,999,900. Close 400,100.
        // The old rule kept ⌈2,400,000 × 200/240⌉ = 2,000,000 = exactly 200 XBT, which is
        // tier 2 again (floors are inclusive).
        let s = InstrumentSpec {
            lot: Qty(100),
            min_qty: Qty(100),
            ..InstrumentSpec::inverse("XBTUSD", AssetId(1), 1, 0, Decimal::ONE)
        };
        let inst = Instrument::new(s).unwrap();
        let tiers = bitmex_xbtusd().unwrap();
        let q = step_down_qty(&inst, &tiers, Qty(2_400_000), Price(100_000), 1).unwrap();
        assert_eq!(q, Qty(400_100));
    }

    /// A Binance venue (liquidations off, so the test drives the solve) with one instrument on
    /// `tiers`, a maker, and a trader long `qty` at 20,000 with `wallet` USDT, marked at `mark`.
    fn reduce_first_setup(
        tiers: RiskTiers,
        qty: i64,
        wallet: i64,
        mark: i64,
        fee: Rate,
    ) -> (Venue, AccountId, crate::instrument::InstrumentId) {
        let mut rules = RuleSet::of(VenueName::Binance);
        rules.liquidation_fee = fee;
        let config = VenueConfig {
            rules,
            liquidations: false,
            enforce_initial_margin: false,
            ..VenueConfig::default()
        };
        let mut v = Venue::new(config);
        let ins = v.add_instrument_with_tiers(spec("BTCUSDT", 1), tiers).unwrap();
        let (maker, trader) = (v.open_account().unwrap(), v.open_account().unwrap());
        v.deposit(maker, USDT, Cash(1_000_000_000 * CASH_ONE)).unwrap();
        v.deposit(trader, USDT, Cash(wallet * CASH_ONE)).unwrap();
        let mut ev = Vec::new();
        let sell = OrderRequest::limit(crate::book::Side::Sell, Price(2_000_000), Qty(qty));
        v.place(maker, ins, sell, &mut ev).unwrap();
        v.place(trader, ins, OrderRequest::market(crate::book::Side::Buy, Qty(qty)), &mut ev).unwrap();
        v.set_mark_price(ins, Price(mark), &mut ev).unwrap();
        (v, trader, ins)
    }

    fn first_qty(v: &Venue, acct: AccountId, ins: crate::instrument::InstrumentId) -> Qty {
        assert!(v.position_margin(acct, ins).unwrap().liquidatable());
        let pos = *v.ledger().account(acct).unwrap().position(ins).unwrap();
        v.liquidation_qty(acct, &pos, Cash::ZERO, true).unwrap()
    }

    #[test]
    fn reduce_first_at_a_fee_equal_to_the_rate_closes_everything() {
        // 1 BTC long @ 20,000 at 20x: wallet 1,000 USDT. Flat MMR 0.5%, fee 0.5%. Mark 19,090:
        // equity 1,000 − 910 = 90, MM 19,090 × 0.5% = 95.45: liquidatable.
        // Closing q BTC at the mark: equity' = 90 − 0.005 × 19,090·q = 90 − 95.45q;
        // MM' = 0.005 × 19,090 × (1 − q) = 95.45 − 95.45q. equity' > MM' ⇔ 90 > 95.45: never.
        // Every BTC closed frees as much maintenance as its fee costs, so no partial close
        // restores margin (Binance: small positions are "almost always fully liquidated").
        let flat = RiskTiers::flat(bps(50), bps(500), Cash::ZERO).unwrap();
        let (v, a, ins) = reduce_first_setup(flat, 1_000, 1_000, 1_909_000, bps(50));
        assert_eq!(first_qty(&v, a, ins), Qty(1_000));
    }

    #[test]
    fn reduce_first_closes_just_enough_across_a_bracket() {
        // Brackets: notional < 50,000 at MMR 0.5% (amount 0); ≥ 50,000 at 1% with amount
        // 50,000 × (1% − 0.5%) = 250 (continuous). Fee 0.5%.
        // 5 BTC long @ 20,000 with 10,000 USDT (10x), marked 18,100: equity 10,000 − 9,500 =
        // 500; notional 90,500; MM 905 − 250 = 655 ≥ 500: liquidatable.
        // Closing q BTC at 18,100 costs fee 0.005 × 18,100·q = 90.5q: equity' = 500 − 90.5q.
        // While the rest is worth ≥ 50,000 (q ≤ 2.2375): MM' = 0.01 × 18,100 × (5 − q) − 250
        // = 655 − 181q; restored ⇔ 500 − 90.5q > 655 − 181q ⇔ 90.5q > 155 ⇔ q > 1.71270…
        // In lots of 0.001: q = 1.713 (155.0265 > 155; 1.712 gives 154.936). Check at 1.713:
        // equity' = 344.9735, rest 3.287 BTC = 59,494.7 → MM' = 594.947 − 250 = 344.947.
        let t = |floor: i64, mmr: i64, amount: i64| TierSpec {
            floor: floor * CASH_ONE,
            mmr: bps(mmr),
            imr: Some(bps(mmr * 4)),
            max_leverage: None,
            maintenance_amount: Some(Cash(amount * CASH_ONE)),
        };
        let tiers = RiskTiers::new(TierBasis::Notional, &[t(0, 50, 0), t(50_000, 100, 250)]).unwrap();
        let (v, a, ins) = reduce_first_setup(tiers, 5_000, 10_000, 1_810_000, bps(50));
        assert_eq!(first_qty(&v, a, ins), Qty(1_713));
    }
}
