//! A liquidated account's non-settle collateral pays first (defect found against §8: the
//! fund or bad debt used to pay while the trader kept its USDe/wBETH).
//!
//! When a cross account enters liquidation, each collateral asset backing its pool is turned
//! into the settle asset at the venue's own price source: a collateral valued off one of the
//! venue's spot books is sold into that book — so forced collateral sales feed the depeg, as
//! on Binance on 10 Oct 2025 — and a collateral valued externally (or what the book could not
//! take) is bought by the venue's backstop at its price less the haircut, paid from the
//! insurance fund as far as the fund goes.

use crate::book::Side;
use crate::instrument::{AssetId, InstrumentId};
use crate::ledger::{AccountId, FundId, Party};
use crate::num::{Cash, Qty, RATE_ONE, Round};

use super::super::{CollateralSource, OrderRequest, Venue, VenueError, VenueEvent, overflow};

impl Venue {
    /// Converts `acct`'s collateral assets backing the pool of `ins`'s settle asset.
    pub(super) fn convert_collateral(
        &mut self,
        acct: AccountId,
        ins: InstrumentId,
        events: &mut Vec<VenueEvent>,
    ) -> Result<(), VenueError> {
        let m = &self.markets[usize::from(ins.0)];
        let (pool, fund) = (m.instrument.settle_asset(), m.fund);
        let assets: Vec<(AssetId, crate::venue::CollateralRule)> = self
            .collateral
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.map(|r| (AssetId(i as u16), r)))
            .filter(|(a, r)| r.pool == pool && *a != pool)
            .collect();
        for (asset, rule) in assets {
            let units = self.ledger.account(acct)?.balance(asset);
            if !units.is_positive() {
                continue;
            }
            if let CollateralSource::Book(book) = rule.source {
                self.sell_collateral_on_book(acct, asset, book, units, events)?;
            }
            let units = self.ledger.account(acct)?.balance(asset);
            if units.is_positive() {
                self.backstop_buys_collateral(acct, asset, (pool, fund), units, rule, events)?;
            }
        }
        Ok(())
    }

    /// Takes from `acct` collateral of `ins`'s pool worth up to `debt` (price less haircut) into
    /// the backstop: an account that left bad debt does not keep collateral the book and the
    /// fund could not convert.
    pub(super) fn seize_collateral(
        &mut self,
        acct: AccountId,
        ins: InstrumentId,
        debt: Cash,
        events: &mut Vec<VenueEvent>,
    ) -> Result<(), VenueError> {
        let pool = self.markets[usize::from(ins.0)].instrument.settle_asset();
        let one = Cash::units(1).map_err(overflow("collateral"))?.0;
        let mut left = debt;
        for (i, rule) in self.collateral.clone().into_iter().enumerate() {
            let Some(rule) = rule else { continue };
            let asset = AssetId(i as u16);
            if rule.pool != pool || asset == pool || !left.is_positive() {
                continue;
            }
            let held = self.ledger.account(acct)?.balance(asset);
            let unit_value = self.collateral_value(&rule, Cash(one))?;
            if !held.is_positive() || !unit_value.is_positive() {
                continue;
            }
            let wanted =
                left.mul_div(one, unit_value.0, Round::Ceil).map_err(overflow("collateral units"))?;
            let units = wanted.min(held);
            let value = self.collateral_value(&rule, units)?;
            let b = self.backstop_account()?;
            self.ledger.transfer(Party::Wallet(acct), Party::Wallet(b), asset, units)?;
            events.push(VenueEvent::CollateralSeized { account: acct, asset, units, value });
            left = Cash(left.0.saturating_sub(value.0));
        }
        Ok(())
    }

    /// The backstop sells the collateral it holds into the venue's spot book of each asset
    /// (within the band), where the asset is valued off such a book.
    pub(super) fn sell_backstop_collateral(
        &mut self,
        events: &mut Vec<VenueEvent>,
    ) -> Result<(), VenueError> {
        let Some(b) = self.backstop else { return Ok(()) };
        for (i, rule) in self.collateral.clone().into_iter().enumerate() {
            let Some(rule) = rule else { continue };
            let CollateralSource::Book(book) = rule.source else { continue };
            let asset = AssetId(i as u16);
            let units = self.ledger.account(b)?.balance(asset);
            if units.is_positive() {
                self.sell_collateral_on_book(b, asset, book, units, events)?;
            }
        }
        Ok(())
    }

    /// The backstop buys `units` of `asset` from `acct` at the rule's price less its haircut,
    /// paid from the pool asset's insurance fund (as many units as the fund can pay for).
    fn backstop_buys_collateral(
        &mut self,
        acct: AccountId,
        asset: AssetId,
        (pool, fund): (AssetId, FundId),
        units: Cash,
        rule: crate::venue::CollateralRule,
        events: &mut Vec<VenueEvent>,
    ) -> Result<(), VenueError> {
        let one = Cash::units(1).map_err(overflow("collateral"))?.0;
        let unit_value = rule
            .price
            .mul_div(RATE_ONE - rule.haircut.0, RATE_ONE, Round::Floor)
            .map_err(overflow("collateral price"))?;
        if !unit_value.is_positive() {
            return Ok(());
        }
        let budget = self.ledger.fund(fund)?.balance;
        let value = units.mul_div(unit_value.0, one, Round::Floor).map_err(overflow("collateral value"))?;
        let (units, value) = if value <= budget {
            (units, value)
        } else {
            let u = budget.mul_div(one, unit_value.0, Round::Floor).map_err(overflow("collateral units"))?;
            (u, u.mul_div(unit_value.0, one, Round::Floor).map_err(overflow("collateral value"))?)
        };
        if !units.is_positive() || !value.is_positive() {
            return Ok(());
        }
        let b = self.backstop_account()?;
        self.ledger.transfer(Party::Wallet(acct), Party::Wallet(b), asset, units)?;
        self.ledger.transfer(Party::InsuranceFund(fund), Party::Wallet(acct), pool, value)?;
        events.push(VenueEvent::CollateralSale { account: acct, asset, units, proceeds: value, book: None });
        Ok(())
    }

    /// Sells `units` of `asset` into the venue's own spot book `book` (an IOC at market within
    /// the band); what does not fill stays with the account.
    fn sell_collateral_on_book(
        &mut self,
        acct: AccountId,
        asset: AssetId,
        book: InstrumentId,
        units: Cash,
        events: &mut Vec<VenueEvent>,
    ) -> Result<(), VenueError> {
        let m = &self.markets[usize::from(book.0)];
        if m.instrument.base_asset() != Some(asset) {
            // Not a spot book of this asset (a perpetual used for price discovery): the backstop
            // converts it at the rule's price instead.
            return Ok(());
        }
        let spec = m.instrument.spec();
        let per_unit =
            crate::num::pow10(crate::num::CASH_DECIMALS - spec.qty_decimals).map_err(overflow("units"))?;
        let lot = spec.lot.0;
        let qty = units.0 / per_unit / lot * lot;
        if qty < spec.min_qty.0.max(1) {
            return Ok(());
        }
        let before = self.ledger.account(acct)?.balance(m.instrument.settle_asset());
        let pool = m.instrument.settle_asset();
        let req = OrderRequest::market(Side::Sell, Qty(qty));
        let from = events.len();
        let sent = self.send(acct, book, req, events);
        match sent {
            Ok(_) | Err(VenueError::NoReferencePrice | VenueError::InvalidOrder { .. }) => {}
            Err(VenueError::InsufficientFunds { .. } | VenueError::InsufficientMargin { .. }) => {}
            Err(e) => return Err(e),
        }
        let sold: i64 = events[from..]
            .iter()
            .filter_map(|e| match e {
                VenueEvent::Trade(t) if t.taker == acct && t.instrument == book => Some(t.qty.0),
                _ => None,
            })
            .sum();
        if sold > 0 {
            let proceeds = self
                .ledger
                .account(acct)?
                .balance(pool)
                .checked_sub(before)
                .map_err(overflow("collateral proceeds"))?;
            let units = Cash(sold.saturating_mul(per_unit));
            events.push(VenueEvent::CollateralSale {
                account: acct,
                asset,
                units,
                proceeds,
                book: Some(book),
            });
        }
        Ok(())
    }
}
