//! Triggers that need no solving yet: a cheap bound on a one-position account's liquidation
//! price, and the deferral of triggers it proves far from the mark.
//!
//! Every fill re-indexes both of its accounts, and solving a liquidation price walks the margin
//! tiers in wide integer arithmetic. Yet on a calm day nearly every account is far from
//! liquidation: its trigger, once solved, is only parked beyond the index's zone (see
//! `risk::index`), where nothing reads its value until the mark comes within 10% of it. So
//! [`Venue::trigger_bound`] first bounds the liquidation price with the tier table's largest
//! rate and smallest maintenance amount, a handful of multiplications:
//!
//! * a long whose collateral covers its cost has no liquidation price at any positive price:
//!   the trigger is 0, exactly what the solve gives, without solving;
//! * a position whose liquidation price provably exists and lies beyond the zone is *deferred*:
//!   the index counts it as parked and keeps the collateral it was bounded with; its exact
//!   trigger is solved with that collateral only when the zone is re-drawn or a caller asks for
//!   fresh triggers ([`Venue::solve_deferred`]). Until then nothing that moves a trigger happens
//!   without re-indexing the account (fills, funding, ADL mark it), so the solve then gives
//!   exactly what an immediate solve would have: the pass sees the same accounts in the same
//!   order, and the run's outputs do not change.
//!
//! This module must never decide a liquidation: it only proves where a trigger cannot be.

use crate::instrument::{ContractKind, InstrumentId};
use crate::ledger::AccountId;
use crate::margin::tiers::RiskTiers;
use crate::num::{Cash, Price, RATE_ONE};
use crate::position::Position;

use super::{Venue, VenueError};

/// Whether re-indexing uses the bound (test builds can switch it off, to run a venue exactly as
/// it was before the bound, solving every trigger, and compare).
#[inline]
pub(super) fn bound_enabled() -> bool {
    #[cfg(test)]
    {
        !tests::BOUND_OFF.with(std::cell::Cell::get)
    }
    #[cfg(not(test))]
    {
        true
    }
}

/// What the bound proves about a one-position account's trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TriggerBound {
    /// No liquidation price at any positive price: the solve gives none (trigger 0).
    NoPrice,
    /// A liquidation price exists and its trigger lies beyond the parking zone.
    Far,
    /// Nothing proved: solve.
    Unknown,
}

/// What the bounds read of a tier table: the largest maintenance rate and the smallest
/// maintenance amount over its tiers (`None` when a rate is negative, which the trigger bound
/// does not handle), and the largest initial rate (`None` likewise), for the initial-margin
/// check's bound. Kept per market, recomputed whenever its table changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TierExtremes {
    maintenance: Option<(i64, i64)>,
    /// The largest initial-margin rate of any tier.
    pub(super) imr: Option<i64>,
}

impl TierExtremes {
    /// The extremes of `tiers`.
    pub(super) fn of(tiers: &RiskTiers) -> Self {
        let (mut mmr, mut amount, mut imr) = (0_i64, 0_i64, 0_i64);
        let (mut mmr_ok, mut imr_ok) = (true, true);
        for t in tiers.tiers() {
            mmr_ok &= t.mmr.0 >= 0;
            imr_ok &= t.imr.0 >= 0;
            mmr = mmr.max(t.mmr.0);
            amount = amount.min(t.maintenance_amount.0);
            imr = imr.max(t.imr.0);
        }
        Self { maintenance: mmr_ok.then_some((mmr, amount)), imr: imr_ok.then_some(imr) }
    }
}

/// Largest magnitude of the values the bound multiplies (values, collateral, maintenance
/// amounts): with rates below [`RATE_LIMIT`] and prices below [`PRICE_LIMIT`], no product
/// below can leave `i128` (the largest is `2^36 · 2^60 · 2^30 = 2^126`).
const VALUE_LIMIT: i128 = 1 << 60;
/// Largest `1 + rate` the bound takes, in raw rate units.
const RATE_LIMIT: i128 = 1 << 30;
/// Largest price (zone edge, mark, entry) the bound takes, in ticks.
const PRICE_LIMIT: i64 = 1 << 36;

impl Venue {
    /// Bounds the liquidation price of position `p` backed by `collateral` at `mark` against
    /// the parking zone `zone` (`None`: prove only [`TriggerBound::NoPrice`]).
    ///
    /// The solve's predicate is, on each piece `k` of the tier table (with `r_k` the tier's rate
    /// plus the fee to close and `c_k` its maintenance amount, and a first piece `r = fee`,
    /// `c = 0` for the maintenance clamped at zero), with `u` the value of the position at one
    /// price unit and `EP` the entry price the solve uses (the cost over `u`, rounded up for a
    /// long and down for a short, at least one: for a positive cost `cost ≤ u·EP < cost + u`
    /// and `cost − u < u·EP`):
    /// * long: `P·u·(1 − r_k) ≤ u·EP − B − c_k`;
    /// * short: `P·u·(1 + r_k) ≥ B + c_k + u·EP`.
    ///
    /// With `r = max r_k` and `c = min c_k` every piece implies the bound `P ≤ (u·EP − B − c) /
    /// (u·(1 − r))` for a long and `P ≥ (B + c + u·EP) / (u·(1 + r))` for a short, and `u·EP`
    /// is replaced by its bound on the unsafe side, so no division is needed; the first piece
    /// holding at `P = 1` (long) or at `P = i64::MAX` (short) proves a price exists. Linear
    /// contracts only; anything else, a fee the solve refuses, or values beyond the limits above
    /// give [`TriggerBound::Unknown`] (the solve then answers, or fails, as before).
    pub(super) fn trigger_bound(
        &self,
        p: &Position,
        mark: Price,
        collateral: Cash,
        zone: Option<(Price, Price)>,
    ) -> TriggerBound {
        self.try_bound(p, mark, collateral, zone).unwrap_or(TriggerBound::Unknown)
    }

    fn try_bound(
        &self,
        p: &Position,
        mark: Price,
        collateral: Cash,
        zone: Option<(Price, Price)>,
    ) -> Option<TriggerBound> {
        let m = &self.markets[usize::from(p.instrument.0)];
        let ins = &m.instrument;
        let small = |v: i128| -VALUE_LIMIT < v && v < VALUE_LIMIT;
        let price_ok = |x: Price| 0 < x.0 && x.0 < PRICE_LIMIT;
        if ins.kind() != ContractKind::Linear || p.size.is_zero() || !price_ok(mark) {
            return None;
        }
        let one = i128::from(RATE_ONE);
        let fee = self.close_fee_rate(p.instrument).0;
        if !(0..RATE_ONE).contains(&fee) {
            return None;
        }
        let (mmr, amount) = m.extremes.maintenance?;
        // The largest rate and the smallest maintenance amount of any piece (the first piece:
        // the fee alone, no amount).
        let r = i128::from(mmr) + i128::from(fee);
        let c = i128::from(amount);
        let u = i128::from(p.size.0.unsigned_abs()) * ins.value_factor();
        let (b, cost) = (i128::from(collateral.0), i128::from(p.cost.0));
        if !(u > 0 && small(u) && small(b) && small(c) && small(cost) && cost > 0 && one + r < RATE_LIMIT) {
            return None;
        }
        // The solve values the position at the mark first (its tier): beyond i64 it fails.
        i64::try_from(u * i128::from(mark.0)).ok()?;
        if p.size.is_positive() {
            if r >= one {
                return None;
            }
            // u·EP − B, at most and at least.
            let (x_hi, x_lo) = (cost + u - 1 - b, cost - b);
            // Every piece needs `u·EP − B − c_k > 0` to hold at a positive price.
            if x_hi - c <= 0 {
                return Some(TriggerBound::NoPrice);
            }
            let (lo, _) = zone?;
            if !price_ok(lo) {
                return None;
            }
            // The first piece holds at P = 1: a liquidation price exists.
            let exists = x_lo * one >= u * (one - i128::from(fee));
            // Liquidation price ≤ n / d < lo − 1, so the trigger (price + 1) is below lo.
            let far = (x_hi - c) * one < i128::from(lo.0 - 1) * (u * (one - r));
            Some(if exists && far { TriggerBound::Far } else { TriggerBound::Unknown })
        } else {
            let (_, hi) = zone?;
            if !price_ok(hi) {
                return None;
            }
            // A liquidation price within i64 exists: the first piece holds at P = i64::MAX,
            // since i64::MAX · u · (1 + fee) ≥ 2^63 · ONE > (B + u·EP) · ONE within the limits.
            // B + u·EP, at least.
            let y_lo = b + cost - u + 1;
            // Liquidation price ≥ n / d > hi + 1, so the trigger (price − 1) is above hi.
            let far = (y_lo + c) * one > i128::from(hi.0 + 1) * (u * (one + r));
            Some(if far { TriggerBound::Far } else { TriggerBound::Unknown })
        }
    }

    /// Solves every deferred trigger of instrument `ins` and files it where an immediate solve
    /// would have: each with the collateral it was deferred with (a deposit or added isolated
    /// margin moves no trigger until the account is re-indexed). An account re-indexed since
    /// it was marked (it traded) is re-indexed now instead, from what it holds.
    ///
    /// # Errors
    /// Unknown instrument or account, or overflow while solving.
    pub(super) fn solve_deferred(&mut self, ins: InstrumentId) -> Result<(), VenueError> {
        let im = usize::from(ins.0);
        let entries =
            self.markets.get_mut(im).ok_or(VenueError::UnknownInstrument(ins.0))?.index.take_deferred();
        for (long, acct, collateral) in entries {
            let side: i8 = if long { 1 } else { -1 };
            let acc = self.ledger.account_mut(acct)?;
            let mode = acc.position(ins).map(|p| p.mode);
            let Some(mode) = mode else { continue };
            let pos = acc.position_mut(ins, mode);
            if pos.untriggered == 2 * side {
                pos.untriggered = 0;
            }
            let p = *pos;
            if self.dirty.contains(acct) || p.size.is_zero() || p.size.signum() != i64::from(side) {
                self.reindex_with(acct, false)?;
                continue;
            }
            let Some(mark) = self.reference_mark(ins) else {
                self.reindex_with(acct, false)?;
                continue;
            };
            let trigger = self.solve_trigger(&p, collateral, mark)?;
            let listed = if trigger == 0 { side } else { 0 };
            if trigger != 0 {
                self.markets[im].index.insert(trigger > 0, Price(trigger.abs()), acct);
            } else {
                self.markets[im].untriggered[usize::from(side < 0)].insert(acct);
            }
            let pos = self.ledger.account_mut(acct)?.position_mut(ins, mode);
            pos.trigger = trigger;
            pos.untriggered = listed;
        }
        Ok(())
    }

    /// [`Venue::solve_deferred`] on every instrument that has deferred triggers.
    ///
    /// # Errors
    /// As [`Venue::solve_deferred`].
    pub(super) fn solve_all_deferred(&mut self) -> Result<(), VenueError> {
        for i in 0..self.markets.len() {
            if self.markets[i].index.deferred_len() > 0 {
                self.solve_deferred(InstrumentId(i as u16))?;
            }
        }
        Ok(())
    }

    /// Checks a deferred position: the index holds it with a collateral whose exact trigger
    /// exists and lies beyond the zone (for the invariant check; a position changed since, and
    /// so marked for re-indexing, is not checked).
    pub(super) fn check_deferred(&self, acct: AccountId, p: &Position) -> Result<(), VenueError> {
        let m = &self.markets[usize::from(p.instrument.0)];
        let long = p.untriggered > 0;
        let Some(collateral) = m.index.deferred_collateral(long, acct) else {
            return Err(VenueError::Invariant(format!(
                "instrument {}: account {}'s position is marked deferred but the index does not hold it",
                p.instrument.0, acct.0
            )));
        };
        if self.dirty.contains(acct) {
            return Ok(());
        }
        let Some(mark) = self.reference_mark(p.instrument) else {
            return Err(VenueError::Invariant(format!("account {}: deferred without a mark", acct.0)));
        };
        let t = self.solve_trigger(p, collateral, mark)?;
        if t == 0 || (t > 0) != long || !m.index.is_far(long, Price(t.abs())) {
            return Err(VenueError::Invariant(format!(
                "instrument {}: account {}'s deferred trigger {t} is not beyond the zone {:?}",
                p.instrument.0,
                acct.0,
                m.index.zone()
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use proptest::prelude::*;

    use super::*;
    use crate::book::Side;
    use crate::instrument::{AssetId, FeeSchedule};
    use crate::margin::price as mp;
    use crate::margin::tables::{Venue as Name, default_tiers};
    use crate::num::{Qty, Rate, Round};
    use crate::position::MarginMode;
    use crate::risk::index::LiquidationIndex;
    use crate::risk::rules::RuleSet;
    use crate::venue::{OrderRequest, VenueEvent};

    thread_local! {
        /// Switches the bound off on this thread (see [`bound_enabled`]).
        pub(super) static BOUND_OFF: Cell<bool> = const { Cell::new(false) };
    }

    /// Runs `f` with the bound on or off.
    fn with_bound<T>(on: bool, f: impl FnOnce() -> T) -> T {
        BOUND_OFF.with(|b| b.set(!on));
        let out = f();
        BOUND_OFF.with(|b| b.set(false));
        out
    }

    const USDT: AssetId = AssetId(0);

    /// A venue under `rules` with one linear instrument and the margin table `tiers` (see
    /// `venue_with_tiers`; the audit after each trade solves every deferred trigger and checks
    /// it lies beyond the zone).
    fn venue(rules: RuleSet, tiers: RiskTiers, fees: FeeSchedule) -> (Venue, InstrumentId) {
        crate::venue::liquidation::tests::venue_with_tiers(rules, tiers, fees)
    }

    fn usd(whole: i64) -> Cash {
        Cash::units(whole).unwrap()
    }

    /// A cross position of `size` lots entered at `entry` ticks.
    fn position(v: &Venue, ins: InstrumentId, size: i64, entry: i64) -> Position {
        let i = v.market(ins).unwrap();
        let cost = i.instrument.value(Price(entry), Qty(size), Round::Floor).unwrap();
        Position { size: Qty(size), cost, ..Position::flat(ins, MarginMode::Cross) }
    }

    /// The zone the index draws around `mark`.
    fn zone(mark: i64) -> (Price, Price) {
        let mut ix = LiquidationIndex::default();
        ix.set_mark(Price(mark));
        ix.zone().unwrap()
    }

    fn bound(v: &Venue, p: &Position, collateral: Cash, mark: i64) -> TriggerBound {
        v.trigger_bound(p, Price(mark), collateral, Some(zone(mark)))
    }

    /// Binance rules (no fee to close), one tier at MMR 0.5%, mark 100.0: zone [89.9, 110.1].
    /// * A long 1.000 at 100.0 backed by 150: equity 150 − 100 + P > 0.005·P at every P > 0,
    ///   no liquidation price.
    /// * Backed by 50: liquidatable when 50 + (P − 100) ≤ 0.005·P ⇔ P ≤ 50/0.995 = 50.25; the
    ///   trigger 50.3 is below 89.9: far. At a mark of 55.0 (zone [49.4, 60.6]) it is not.
    /// * A short 1.000 at 100.0 backed by 100: 100 + (100 − P) ≤ 0.005·P ⇔ P ≥ 200/1.005 =
    ///   199.005; the trigger 199.0 is above 110.1: far.
    #[test]
    fn the_bound_on_hand_computed_positions() {
        let tiers = RiskTiers::flat("0.005".parse().unwrap(), "0.01".parse().unwrap(), Cash::ZERO).unwrap();
        let (v, ins) =
            venue(RuleSet::of(Name::Binance), tiers, FeeSchedule { maker: Rate::ZERO, taker: Rate::ZERO });
        assert_eq!(v.close_fee_rate(ins), Rate::ZERO);
        let long = position(&v, ins, 1_000, 1_000);
        assert_eq!(bound(&v, &long, usd(150), 1_000), TriggerBound::NoPrice);
        assert_eq!(bound(&v, &long, usd(50), 1_000), TriggerBound::Far);
        assert_eq!(v.solve_trigger(&long, usd(50), Price(1_000)).unwrap(), 503);
        assert_eq!(bound(&v, &long, usd(50), 550), TriggerBound::Unknown);
        let short = position(&v, ins, -1_000, 1_000);
        assert_eq!(bound(&v, &short, usd(100), 1_000), TriggerBound::Far);
        assert_eq!(v.solve_trigger(&short, usd(100), Price(1_000)).unwrap(), -1_990);
        // Backed by 10: 10 + (100 − P) ≤ 0.005·P ⇔ P ≥ 109.45, inside the zone.
        assert_eq!(bound(&v, &short, usd(10), 1_000), TriggerBound::Unknown);
    }

    /// Rule sets with a fee to close or without, and tables with maintenance amounts.
    fn setup() -> impl Strategy<Value = (Name, bool, i64)> {
        (
            prop_oneof![Just(Name::Binance), Just(Name::Bybit), Just(Name::Okx), Just(Name::Hyperliquid)],
            any::<bool>(),
            0i64..20,
        )
    }

    fn venue_for(name: Name, multi_tier: bool, taker_bps: i64) -> (Venue, InstrumentId) {
        let tiers = if multi_tier {
            default_tiers(Name::Binance, "BTCUSDT").unwrap()
        } else {
            RiskTiers::flat("0.004".parse().unwrap(), "0.008".parse().unwrap(), Cash::ZERO).unwrap()
        };
        let fees = FeeSchedule { maker: Rate::ZERO, taker: Rate::from_bps(taker_bps) };
        venue(RuleSet::of(name), tiers, fees)
    }

    proptest! {
        /// Against the exact solve (all tiers, no hint): where the bound says there is no
        /// liquidation price there is none, and where it says far, the trigger exists and the
        /// index would park it.
        #[test]
        fn the_bound_agrees_with_the_exact_solve(
            (name, multi, bps) in setup(),
            size in prop_oneof![1i64..5_000, 5_000i64..50_000_000].prop_flat_map(|s| prop_oneof![Just(s), Just(-s)]),
            entry in 10i64..2_000_000,
            mark_ratio in 0.3f64..3.0,
            collateral_ratio in -0.2f64..3.0,
        ) {
            let (v, ins) = venue_for(name, multi, bps);
            let p = position(&v, ins, size, entry);
            let mark = ((entry as f64 * mark_ratio) as i64).max(1);
            let collateral = Cash((p.cost.0 as f64 * collateral_ratio) as i64);
            let view = v.margin_view(&p, Price(mark)).unwrap();
            let fee = v.close_fee_rate(ins);
            let exact = mp::liquidation_price_with_fee(&view, collateral, mp::MaintenanceBasis::Mark, fee).unwrap();
            let z = zone(mark);
            let mut ix = LiquidationIndex::default();
            ix.set_mark(Price(mark));
            match v.trigger_bound(&p, Price(mark), collateral, Some(z)) {
                TriggerBound::NoPrice => prop_assert_eq!(exact, None),
                TriggerBound::Far => {
                    let lp = exact.expect("a deferred trigger has a liquidation price");
                    let trigger = if size > 0 { lp.0 + 1 } else { (lp.0 - 1).max(1) };
                    prop_assert!(ix.is_far(size > 0, Price(trigger)), "trigger {} zone {:?}", trigger, z);
                    prop_assert_eq!(v.solve_trigger(&p, collateral, Price(mark)).unwrap(), if size > 0 { trigger } else { -trigger });
                }
                TriggerBound::Unknown => {}
            }
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        /// Account `buyer` buys `qty` lots from `seller` at `bps` basis points from the mark.
        Trade { buyer: usize, seller: usize, qty: i64, bps: i64 },
        /// A deposit (moves no trigger until the account is re-indexed).
        Deposit { account: usize, amount: i64 },
        /// The mark moves by `bps` basis points (large moves re-draw the zone).
        Mark { bps: i64 },
        /// Fresh triggers are read.
        Refresh,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (0usize..6, 0usize..6, 1i64..3_000, -300i64..300)
                .prop_map(|(buyer, seller, qty, bps)| Op::Trade { buyer, seller, qty, bps }),
            1 => (0usize..6, 1i64..5_000).prop_map(|(account, amount)| Op::Deposit { account, amount }),
            3 => prop_oneof![-200i64..200, -3_000i64..3_000].prop_map(|bps| Op::Mark { bps }),
            1 => Just(Op::Refresh),
        ]
    }

    /// Applies `ops` to a venue with the bound on or off; returns every event and, after each
    /// refresh and at the end, every position's (trigger, listing) and the candidates.
    fn run(on: bool, (name, multi, bps): (Name, bool, i64), wallets: &[i64], ops: &[Op]) -> Vec<String> {
        with_bound(on, || {
            let (mut v, ins) = venue_for(name, multi, bps);
            let accounts: Vec<AccountId> = wallets
                .iter()
                .map(|w| {
                    let a = v.open_account().unwrap();
                    v.deposit(a, USDT, usd(*w)).unwrap();
                    a
                })
                .collect();
            let mut out = Vec::new();
            let mut mark = 10_000_i64;
            let mut ev: Vec<VenueEvent> = Vec::new();
            let state = |v: &mut Venue, out: &mut Vec<String>| {
                v.refresh_index().unwrap();
                for &a in &accounts {
                    let p = v.ledger().account(a).unwrap().position(ins).copied();
                    out.push(format!("{a:?} {:?}", p.map(|p| (p.size, p.trigger, p.untriggered))));
                }
                out.push(format!(
                    "{:?} {:?}",
                    v.liquidation_candidates(ins).unwrap(),
                    v.indexed_positions(ins).unwrap()
                ));
            };
            v.set_mark_price(ins, Price(mark), &mut ev).unwrap();
            for o in ops {
                ev.clear();
                match *o {
                    Op::Trade { buyer, seller, qty, bps } => {
                        if buyer == seller {
                            continue;
                        }
                        let price = Price((mark * (10_000 + bps) / 10_000).max(1));
                        let sell = OrderRequest::limit(Side::Sell, price, Qty(qty));
                        let buy = OrderRequest::limit(Side::Buy, price, Qty(qty));
                        let r1 = v.place(accounts[seller], ins, sell, &mut ev);
                        let r2 = v.place(accounts[buyer], ins, buy, &mut ev);
                        out.push(format!("{r1:?} {r2:?}"));
                        // Whatever rests is cancelled, so the next trade meets an empty book.
                        for a in [seller, buyer] {
                            v.cancel_all(accounts[a], ins, &mut ev).unwrap();
                        }
                    }
                    Op::Deposit { account, amount } => {
                        v.deposit(accounts[account], USDT, usd(amount)).unwrap()
                    }
                    Op::Mark { bps } => {
                        mark = (mark * (10_000 + bps) / 10_000).max(10);
                        let r = v.set_mark_price(ins, Price(mark), &mut ev);
                        out.push(format!("{r:?}"));
                    }
                    Op::Refresh => state(&mut v, &mut out),
                }
                out.push(format!("{ev:?}"));
            }
            state(&mut v, &mut out);
            out
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        /// Deferral changes nothing a caller sees: the same trades, liquidations and ADL, the
        /// same candidates, and after a refresh the same trigger for every position, whether or
        /// not the venue bounds triggers before solving them (the audit after every trade also
        /// solves each deferred trigger and checks it lies beyond the zone).
        #[test]
        fn deferral_changes_nothing(
            s in setup(),
            wallets in prop::collection::vec(prop_oneof![50i64..2_000, 2_000i64..200_000], 6),
            ops in prop::collection::vec(op(), 1..80),
        ) {
            let with = run(true, s, &wallets, &ops);
            let without = run(false, s, &wallets, &ops);
            prop_assert_eq!(with, without);
        }
    }
}
