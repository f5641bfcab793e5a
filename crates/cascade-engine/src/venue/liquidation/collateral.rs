//! A liquidated account's non-settle collateral pays first (defect found against §8: the
//! fund or bad debt used to pay while the trader kept its USDe/wBETH).
//!
//! When a cross account enters liquidation, each collateral asset backing its pool is turned
//! into the settle asset at the venue's own price source: a collateral valued off one of the
//! venue's spot books is sold into that book — so forced collateral sales feed the depeg, as
//! on Binance on 10 Oct 2025 — and a collateral valued externally (or what the book could not
//! take) is bought by the venue's backstop at its price less the haircut, paid from the
//! insurance fund as far as the fund goes.

use crate::instrument::{AssetId, InstrumentId};
use crate::ledger::{AccountId, FundId, Party};
use crate::num::{Cash, RATE_ONE, Round};

use super::super::{CollateralSource, Venue, VenueError, VenueEvent, overflow};

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
        // Spot books arrive with the spot-market work; until then a book-valued collateral is
        // converted by the backstop at the book's price, like an external one.
        let _ = (acct, asset, book, units, events);
        Ok(())
    }
}
