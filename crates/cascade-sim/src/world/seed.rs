//! Opening positions at time zero at an exact price, through the engine.
//!
//! Passive leveraged positions did not come from the simulated order flow: they were opened
//! before the run, each at its own entry price. To give an account such a position the engine
//! way (money conserved, open interest balanced, the liquidation index up to date), the account
//! rests a limit order at its entry price and a per-market *seeding account* takes it. The
//! seeder stands for the unmodelled counterparties of those positions (funds and market makers
//! who hedged elsewhere): it is funded at 1x for every position it takes, holds the
//! population's net exposure for the whole run, never trades again, and is owned by nobody.
//! Seeding happens on an empty book, before any agent quotes, so the fill price is exact.

use cascade_engine::book::{Side, TimeInForce};
use cascade_engine::ledger::AccountId;
use cascade_engine::num::{Cash, Price, Qty};
use cascade_engine::venue::OrderRequest;

use super::{Owner, SETTLE, World};
use crate::error::SimError;

impl World {
    /// The seeding account of market `m`, opened (at leverage 1) on first use.
    fn seeder(&mut self, m: usize) -> Result<AccountId, SimError> {
        if self.seeders.len() < self.markets.len() {
            self.seeders.resize(self.markets.len(), None);
        }
        if let Some(a) = self.seeders[m] {
            return Ok(a);
        }
        let v = self.markets[m].venue;
        let a = self.open_account(v, Owner::Nobody)?;
        self.configure(m, a, false, 1)?;
        self.seeders[m] = Some(a);
        Ok(a)
    }

    /// What the seeder of market `m` is paid in for taking a position of `qty` at `price`: its
    /// value at 1x, the taker fee and one unit.
    #[must_use]
    pub fn seed_funding(&self, m: usize, qty: Qty, price: Price) -> Cash {
        let mk = &self.markets[m];
        let value = mk.value(price, qty);
        let fee = mk.instrument.fee(value, mk.instrument.spec().fees.taker).unwrap_or(value);
        value.checked_add(fee).and_then(|c| c.checked_add(Cash(1))).unwrap_or(value)
    }

    /// Pays market `m`'s seeder (opened now if it is not yet) `total` at once: the sum of the
    /// [`World::seed_funding`] of the positions it is about to take through
    /// [`World::seed_prefunded`]. One deposit instead of one per position, each of which has the
    /// venue re-compute the seeder's liquidation price (a fifth of the cost of seeding millions
    /// of accounts); the seeder ends with the same wallet and positions either way.
    ///
    /// # Errors
    /// An engine failure (a bug).
    pub fn prefund_seeder(&mut self, m: usize, total: Cash) -> Result<(), SimError> {
        let seeder = self.seeder(m)?;
        let v = self.markets[m].venue;
        self.deposit(v, seeder, total)
    }

    /// Gives `account` a position of `qty` in market `m` (long or short) at exactly `price`
    /// (on the tick grid), against the market's seeding account. The account must already hold
    /// the margin. Returns whether the position was opened in full; if the venue refused the
    /// account's order (margin), nothing changes but the seeder's funding.
    ///
    /// # Errors
    /// An engine failure other than an ordinary refusal (a bug).
    pub fn seed_position(
        &mut self,
        m: usize,
        account: AccountId,
        long: bool,
        qty: Qty,
        price: Price,
    ) -> Result<bool, SimError> {
        self.fund_seeder(m, qty, price)?;
        self.seed_prefunded(m, account, long, qty, price)
    }

    /// Pays market `m`'s seeding account what taking `qty` at `price` needs (nothing for a
    /// zero quantity), for a position opened with [`World::seed_prefunded`] or
    /// [`World::seed_prefunded_held`].
    ///
    /// # Errors
    /// An unknown market or a refused deposit (a bug).
    pub fn fund_seeder(&mut self, m: usize, qty: Qty, price: Price) -> Result<(), SimError> {
        if qty.is_positive() {
            let seeder = self.seeder(m)?;
            let funding = self.seed_funding(m, qty, price);
            self.deposit(self.markets[m].venue, seeder, funding)?;
        }
        Ok(())
    }

    /// [`World::seed_position`] with the seeder's funding already paid by
    /// [`World::prefund_seeder`].
    ///
    /// # Errors
    /// As [`World::seed_position`].
    pub fn seed_prefunded(
        &mut self,
        m: usize,
        account: AccountId,
        long: bool,
        qty: Qty,
        price: Price,
    ) -> Result<bool, SimError> {
        let (opened, printed) = self.seed_inner(m, account, long, qty, price)?;
        if printed {
            self.open_at_index(m)?;
        }
        Ok(opened)
    }

    /// [`World::seed_prefunded`] that leaves market `m`'s last price at `price` (the seeding
    /// print) instead of moving it back to the index: an account opening several positions at
    /// their entry prices (a cross basket) has each order checked with the others valued at
    /// their own entries, as when they were opened together, not at the time-zero prices.
    /// The caller moves each market back with `World::open_at_index` once all are open.
    ///
    /// # Errors
    /// As [`World::seed_position`].
    pub fn seed_prefunded_held(
        &mut self,
        m: usize,
        account: AccountId,
        long: bool,
        qty: Qty,
        price: Price,
    ) -> Result<bool, SimError> {
        Ok(self.seed_inner(m, account, long, qty, price)?.0)
    }

    /// Seeds the position; returns whether it opened in full and whether the seeder traded
    /// (so that the last price moved to `price`).
    fn seed_inner(
        &mut self,
        m: usize,
        account: AccountId,
        long: bool,
        qty: Qty,
        price: Price,
    ) -> Result<(bool, bool), SimError> {
        if !qty.is_positive() {
            return Ok((false, false));
        }
        let seeder = self.seeder(m)?;
        let side = if long { Side::Buy } else { Side::Sell };
        let before = self.position(m, account);
        if self.place(m, account, OrderRequest::limit(side, price, qty))?.is_none() {
            return Ok((false, false));
        }
        let take = OrderRequest { tif: TimeInForce::Ioc, ..OrderRequest::limit(side.opposite(), price, qty) };
        self.place(m, seeder, take)?;
        let after = self.position(m, account);
        let opened = (after.0 - before.0).abs() == qty.0;
        if !opened {
            // Whatever of the account's order still rests must not linger in the book.
            self.cancel_all(m, account)?;
        }
        Ok((opened, true))
    }

    /// Settle-asset balance of `account`'s wallet at venue `v`.
    #[must_use]
    pub fn wallet(&self, v: usize, account: AccountId) -> Cash {
        self.venues[v].engine.ledger().account(account).map_or(Cash::ZERO, |a| a.balance(SETTLE))
    }
}
