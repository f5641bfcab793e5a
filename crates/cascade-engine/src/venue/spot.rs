//! Spot markets: order books that exchange one asset for another inside the venue.
//!
//! Why they exist: a venue that values multi-asset collateral (USDe, wBETH, BNSOL) off its own
//! thin spot book, and sells that collateral through the same book when it liquidates, feeds a
//! depeg into its own margin calls, as Binance did on 10 Oct 2025 (venue-mechanics §8).
//!
//! A spot fill moves the base asset from seller to buyer and the quote value from buyer to
//! seller, fees in the quote asset through the fee pool as for perpetuals. There are no
//! positions, open interest, liquidation triggers or clearing claims; every unit moves through
//! the [`Ledger`](crate::ledger::Ledger), so conservation holds per asset.
//!
//! Orders must be backed. A taker pays from its wallet, which was checked to hold the order's
//! worst-case need before it was sent. A resting order's need is moved out of the wallet into
//! [`Party::Held`], and its fills are paid from there, so no withdrawal, perpetual loss or second
//! order can spend it. The need of a buy of `q` at limit `L` is
//! `V + ⌈V·r⌉ + (q/lot − 1)` with `V = L·q` and `r` the larger fee rate (0 if neither is
//! positive): fees round up per fill, and `⌈a⌉ + ⌈b⌉ ≤ ⌈a + b⌉ + 1`, so one cash unit per
//! possible fill (each fill is at least one lot) bounds the rounding. Hence after any fill the
//! hold still covers the need of what remains, and the excess goes back to the wallet. A sell
//! needs exactly its base amount.

use crate::book::{OrderId, Side};
use crate::instrument::{AssetId, InstrumentId};
use crate::ledger::{AccountId, Party};
use crate::num::{Cash, Price, Qty, Rate, Round};

use super::{Trade, Venue, VenueError, invalid, overflow};

/// What one resting spot order holds in [`Party::Held`] of its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SpotHold {
    /// The owner.
    pub(super) account: AccountId,
    /// Base asset for a sell, quote asset for a buy.
    pub(super) asset: AssetId,
    /// Amount held.
    pub(super) amount: Cash,
}

impl Venue {
    /// Whether `instrument` is a spot pair (false for an unknown id).
    pub(super) fn is_spot(&self, instrument: InstrumentId) -> bool {
        self.markets.get(usize::from(instrument.0)).is_some_and(|m| m.instrument.is_spot())
    }

    /// Refuses calls that only make sense for perpetuals (margin mode, leverage, funding).
    pub(super) fn refuse_spot(
        &self,
        instrument: InstrumentId,
        field: &'static str,
    ) -> Result<(), VenueError> {
        if self.market(instrument)?.instrument.is_spot() {
            return Err(invalid(field, "a spot market has no positions, margin or funding"));
        }
        Ok(())
    }

    /// The asset and amount a spot order of `qty` on `side` at worst price `limit` must be able
    /// to pay (see the module doc). `limit` is needed for buys only.
    pub(super) fn spot_need(
        &self,
        instrument: InstrumentId,
        side: Side,
        limit: Option<Price>,
        qty: Qty,
    ) -> Result<(AssetId, Cash), VenueError> {
        let ins = &self.market(instrument)?.instrument;
        let Some(base) = ins.base_asset() else { return Err(invalid("instrument", "not a spot market")) };
        if qty.is_zero() {
            return Ok((if side == Side::Buy { ins.settle_asset() } else { base }, Cash::ZERO));
        }
        if side == Side::Sell {
            return Ok((base, ins.base_amount(qty).map_err(overflow("base amount"))?));
        }
        let Some(limit) = limit else {
            return Err(invalid(
                "kind",
                "a market buy on a spot market needs the price band to bound its cost",
            ));
        };
        let fees = ins.spec().fees;
        let rate = Rate(fees.taker.0.max(fees.maker.0).max(0));
        let value = ins.value(limit, qty, Round::Floor).map_err(overflow("spot value"))?;
        let mut need = value.checked_add(ins.fee(value, rate).map_err(overflow("spot fee"))?);
        if rate.0 > 0 {
            let fills = qty.0 / ins.spec().lot.0;
            need = need.and_then(|n| n.checked_add(Cash(fills - 1)));
        }
        Ok((ins.settle_asset(), need.map_err(overflow("spot need"))?))
    }

    /// Refuses a spot order whose worst case `account` cannot pay from its wallet, or whose
    /// payment would leave a cross pool below its initial margin (as a withdrawal would).
    pub(super) fn check_spot_backing(
        &self,
        account: AccountId,
        asset: AssetId,
        need: Cash,
    ) -> Result<(), VenueError> {
        if !need.is_positive() {
            return Ok(());
        }
        let available = self.ledger.account(account)?.balance(asset);
        if available < need {
            return Err(VenueError::InsufficientFunds { asset: asset.0, required: need, available });
        }
        // A liquidation's forced collateral sale is not held to initial margin: it is how the
        // collateral pays the account's losses.
        if self.liquidating == Some(account)
            || self.backstop == Some(account)
            || self.ledger.account(account)?.positions().iter().all(|p| p.size.is_zero())
        {
            return Ok(());
        }
        // The pools this asset backs: its own, and the one it is collateral for.
        let rule = self.collateral.get(usize::from(asset.0)).copied().flatten();
        let mut pools = vec![(asset, need)];
        if let Some(rule) = rule.filter(|r| r.pool != asset) {
            pools.push((rule.pool, self.collateral_value(&rule, need)?));
        }
        for (pool, lost) in pools {
            let s = self.pool_margin(account, pool)?;
            let free = s.equity.checked_sub(s.initial).map_err(overflow("free margin"))?;
            if s.initial.is_positive() && free < lost {
                return Err(VenueError::InsufficientMargin { required: lost, available: free });
            }
        }
        Ok(())
    }

    /// Brings the hold of spot order `order` in line with the book: a resting order holds the
    /// need of its remainder (moved from the wallet when it first rests or grows), a filled or
    /// cancelled one holds nothing. No-op on a perpetual.
    pub(super) fn spot_sync(&mut self, instrument: InstrumentId, order: OrderId) -> Result<(), VenueError> {
        if !self.is_spot(instrument) {
            return Ok(());
        }
        let m = &self.markets[usize::from(instrument.0)];
        let current = m.holds.get(&order).copied();
        let (account, asset, target) = match m.book.order(order) {
            Some(v) => {
                let (asset, need) = self.spot_need(instrument, v.side, Some(v.price), v.remaining)?;
                (v.account, asset, need)
            }
            None => match current {
                Some(h) => (h.account, h.asset, Cash::ZERO),
                None => return Ok(()),
            },
        };
        let held = current.map_or(Cash::ZERO, |h| h.amount);
        if target > held {
            let more = target.checked_sub(held).map_err(overflow("hold"))?;
            self.ledger.transfer(Party::Wallet(account), Party::Held(account), asset, more)?;
        } else if target < held {
            let less = held.checked_sub(target).map_err(overflow("hold"))?;
            self.ledger.transfer(Party::Held(account), Party::Wallet(account), asset, less)?;
        }
        let holds = &mut self.markets[usize::from(instrument.0)].holds;
        if target.is_positive() {
            holds.insert(order, SpotHold { account, asset, amount: target });
        } else {
            holds.remove(&order);
        }
        self.mark_dirty(account);
        Ok(())
    }

    /// Before a spot amendment to `price` × `qty`: checks that the wallet plus the order's hold
    /// can back the amended order, then returns the hold to the wallet, since an amendment that
    /// crosses trades as a taker and pays from there. [`Venue::spot_sync`] holds the remainder
    /// again afterwards (or the original need, if the book refuses the amendment).
    pub(super) fn spot_amend_prepare(
        &mut self,
        instrument: InstrumentId,
        order: OrderId,
        price: Price,
        qty: Qty,
    ) -> Result<(), VenueError> {
        let m = self.market(instrument)?;
        let v = m.book.order(order).ok_or(crate::book::BookError::UnknownOrder(order))?;
        let held = m.holds.get(&order).map_or(Cash::ZERO, |h| h.amount);
        if qty.is_positive() {
            let (asset, need) = self.spot_need(instrument, v.side, Some(price), qty)?;
            self.check_spot_backing(v.account, asset, need.checked_sub(held).map_err(overflow("hold"))?)?;
        }
        if let Some(h) = self.markets[usize::from(instrument.0)].holds.remove(&order) {
            self.ledger.transfer(Party::Held(h.account), Party::Wallet(h.account), h.asset, h.amount)?;
        }
        Ok(())
    }

    /// Settles one spot fill: base from seller to buyer, value from buyer to seller, then fees
    /// (taker first, so its fee is in the pool before a maker rebate is paid from it). The maker
    /// pays from its hold, the taker from its wallet; both were checked to cover this.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn settle_spot_fill(
        &mut self,
        instrument: InstrumentId,
        maker_order: OrderId,
        maker: AccountId,
        taker: AccountId,
        taker_side: Side,
        price: Price,
        qty: Qty,
    ) -> Result<Trade, VenueError> {
        let m = &self.markets[usize::from(instrument.0)];
        let ins = &m.instrument;
        let quote = ins.settle_asset();
        let base = ins.base_asset().ok_or_else(|| invalid("instrument", "not a spot market"))?;
        let value = ins.value(price, qty, Round::Floor).map_err(overflow("trade value"))?;
        let amount = ins.base_amount(qty).map_err(overflow("base amount"))?;
        let fees = ins.spec().fees;
        let taker_fee = ins.fee(value, fees.taker).map_err(overflow("taker fee"))?;
        let maker_fee = ins.fee(value, fees.maker).map_err(overflow("maker fee"))?;
        let (buyer, seller) = if taker_side == Side::Buy { (taker, maker) } else { (maker, taker) };
        let (buyer_pays, seller_gives) = if taker_side == Side::Buy {
            (Party::Wallet(taker), Party::Held(maker))
        } else {
            (Party::Held(maker), Party::Wallet(taker))
        };
        let moves = [
            (seller_gives, Party::Wallet(buyer), base, amount),
            (buyer_pays, Party::Wallet(seller), quote, value),
            (Party::Wallet(taker), Party::FeePool, quote, taker_fee),
        ];
        for (from, to, asset, x) in moves {
            if x.is_positive() {
                self.ledger.transfer(from, to, asset, x)?;
            }
        }
        // A maker buyer pays its fee from the hold; a maker seller from the value just received.
        let maker_pays = if taker_side == Side::Sell { Party::Held(maker) } else { Party::Wallet(maker) };
        if maker_fee.is_positive() {
            self.ledger.transfer(maker_pays, Party::FeePool, quote, maker_fee)?;
        } else if maker_fee.is_negative() {
            self.ledger.transfer(Party::FeePool, Party::Wallet(maker), quote, Cash(-maker_fee.0))?;
        }
        let spent = if taker_side == Side::Sell {
            value.checked_add(maker_fee.max(Cash::ZERO)).map_err(overflow("spot hold"))?
        } else {
            amount
        };
        let hold = self.markets[usize::from(instrument.0)].holds.get_mut(&maker_order).ok_or_else(|| {
            VenueError::Invariant(format!("spot order {maker_order:?} filled without a hold"))
        })?;
        hold.amount = hold.amount.checked_sub(spent).map_err(overflow("spot hold"))?;
        if hold.amount.is_negative() {
            return Err(VenueError::Invariant(format!("spot order {maker_order:?} overspent its hold")));
        }
        self.mark_dirty(taker);
        self.mark_dirty(maker);
        Ok(Trade {
            instrument,
            price,
            qty,
            value,
            taker_side,
            taker,
            maker,
            maker_order,
            taker_fee,
            maker_fee,
            taker_realized: Cash::ZERO,
            maker_realized: Cash::ZERO,
            shortfall: Cash::ZERO,
        })
    }

    /// Spot invariants: each resting order holds at least the need of its remainder, no hold
    /// without a resting order, and the holds of every order add up to each account's
    /// [`Party::Held`] balance. (No position on a spot market is checked by the account scan of
    /// [`Venue::check_invariants`].)
    pub(super) fn check_spot_invariants(&self) -> Result<(), VenueError> {
        let bad = |s: String| Err(VenueError::Invariant(s));
        let mut sums: std::collections::BTreeMap<(AccountId, AssetId), i128> = Default::default();
        for (i, m) in self.markets.iter().enumerate() {
            if !m.instrument.is_spot() {
                if !m.holds.is_empty() {
                    return bad(format!("instrument {i}: a perpetual holds spot funds"));
                }
                continue;
            }
            for (&id, h) in &m.holds {
                let Some(v) = m.book.order(id) else {
                    return bad(format!("instrument {i}: hold of gone order"));
                };
                let (asset, need) =
                    self.spot_need(InstrumentId(i as u16), v.side, Some(v.price), v.remaining)?;
                if v.account != h.account || asset != h.asset || h.amount < need {
                    return bad(format!("instrument {i}: order {id:?} holds {} < need {need}", h.amount));
                }
                *sums.entry((h.account, h.asset)).or_default() += i128::from(h.amount.0);
            }
            if m.book.len() != m.holds.len() {
                return bad(format!(
                    "instrument {i}: {} resting orders, {} holds",
                    m.book.len(),
                    m.holds.len()
                ));
            }
        }
        let held: std::collections::BTreeMap<(AccountId, AssetId), i128> =
            self.ledger.holds().map(|(k, c)| (k, i128::from(c.0))).collect();
        if held != sums {
            return bad(format!("held balances {held:?} != order holds {sums:?}"));
        }
        Ok(())
    }
}
