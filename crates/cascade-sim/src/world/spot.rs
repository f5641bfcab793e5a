//! Spot books that make an asset's index (`[[assets.spot]]`), and the calls agents trade them
//! with.
//!
//! A spot book is an engine spot market (`ContractKind::Spot`) at its venue: the asset's base
//! units against the venue's settle asset, every order backed by funds the engine holds. In a
//! venue's ledger the settle asset is [`SETTLE`] and asset `i` of the scenario is
//! [`base_asset`]`(i)`.
//!
//! **The index.** For a perpetual on an asset with spot books, at every price step each book
//! gives one source: its mid, or its last trade while a side is empty (a book that never traded
//! and has a side empty gives none). The source's price is rescaled exactly to the perpetual's
//! price units (down to the unit when the book's prices are finer), its weight is the book's
//! `weight`, its time is now (quotes are live). The perpetual's venue then combines the sources
//! with its own index rule (`pricing::index`: Binance's weighted mean with the 5 % outlier guard
//! and median fallback, Bybit/BitMEX/OKX weighted means, Hyperliquid's weighted median, the
//! dYdX/Drift median). With no source at all the previous index stands, or at the start the
//! asset's fair value.
//!
//! Spot trades are not recorded as rows (the books have no mark, funding or open interest);
//! they move the index, which every perpetual's row shows.

use cascade_engine::book::Book;
use cascade_engine::instrument::AssetId;
use cascade_engine::ledger::AccountId;
use cascade_engine::num::{Cash, Price, pow10};
use cascade_engine::pricing::{IndexRule, IndexSource};
use cascade_engine::venue::{OrderRequest, Placed};

use super::{Market, World};
use crate::error::SimError;

/// One spot book.
#[derive(Debug, Clone)]
pub struct SpotBook {
    /// The book's venue, instrument id and conversions (its pricing state is unused).
    pub market: Market,
    /// Weight among the asset's books in every index of the asset.
    pub weight: u64,
}

/// Where an agent trades: a perpetual market or a spot book (indices into [`World::markets`]
/// and [`World::spots`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookRef {
    /// A perpetual.
    Perp(usize),
    /// A spot book.
    Spot(usize),
}

/// The ledger asset of scenario asset `asset` (the base of its spot books) at every venue.
#[must_use]
pub fn base_asset(asset: usize) -> AssetId {
    AssetId(u16::try_from(asset + 1).unwrap_or(u16::MAX))
}

/// `p` with `from` decimals expressed with `to` decimals, exactly or rounded down.
fn rescale(p: Price, from: u32, to: u32) -> Option<Price> {
    if to >= from {
        p.0.checked_mul(pow10(to - from).ok()?).map(Price)
    } else {
        Some(Price(p.0 / pow10(from - to).ok()?))
    }
}

impl World {
    /// The conversions (tick, lot, rounding) of `b`.
    #[must_use]
    pub fn market_at(&self, b: BookRef) -> &Market {
        match b {
            BookRef::Perp(m) => &self.markets[m],
            BookRef::Spot(s) => &self.spots[s].market,
        }
    }

    /// The book of `b`.
    #[must_use]
    pub fn book_at(&self, b: BookRef) -> &Book {
        let mk = self.market_at(b);
        match self.venues[mk.venue].engine.book(mk.id) {
            Ok(book) => book,
            Err(_) => super::unreachable_book(),
        }
    }

    /// Last traded price of `b`.
    #[must_use]
    pub fn last_at(&self, b: BookRef) -> Option<Price> {
        if let BookRef::Perp(m) = b {
            return self.last(m);
        }
        let mk = self.market_at(b);
        self.venues[mk.venue].engine.last_price(mk.id).ok().flatten()
    }

    /// Sends an order to `b` (see [`World::place`]).
    ///
    /// # Errors
    /// As [`World::place`].
    pub fn place_at(
        &mut self,
        b: BookRef,
        account: AccountId,
        req: OrderRequest,
    ) -> Result<Option<Placed>, SimError> {
        let (v, id) = (self.market_at(b).venue, self.market_at(b).id);
        self.place_on(v, id, account, req)
    }

    /// Cancels every order of `account` in `b`.
    ///
    /// # Errors
    /// As [`World::cancel_all`].
    pub fn cancel_all_at(&mut self, b: BookRef, account: AccountId) -> Result<(), SimError> {
        let (v, id) = (self.market_at(b).venue, self.market_at(b).id);
        self.cancel_all_on(v, id, account)
    }

    /// Deposits `amount` of ledger asset `asset` (nothing for a non-positive amount).
    ///
    /// # Errors
    /// The engine refused (a bug).
    pub fn deposit_asset(
        &mut self,
        v: usize,
        account: AccountId,
        asset: AssetId,
        amount: Cash,
    ) -> Result<(), SimError> {
        if !amount.is_positive() {
            return Ok(());
        }
        self.counters.engine_calls += 1;
        self.venues[v].engine.deposit(account, asset, amount).map_err(|e| self.venue_err(v, e))?;
        if asset == super::SETTLE {
            self.transfers.external += i128::from(amount.0);
        }
        Ok(())
    }

    /// What `account` owns of ledger asset `asset` at venue `v`: its wallet plus what its
    /// resting spot orders hold.
    #[must_use]
    pub fn holding(&self, v: usize, account: AccountId, asset: AssetId) -> Cash {
        let ledger = self.venues[v].engine.ledger();
        let wallet = ledger.account(account).map_or(Cash::ZERO, |a| a.balance(asset));
        Cash(wallet.0.saturating_add(ledger.held(account, asset).0))
    }

    /// What `account` can spend now of ledger asset `asset` at venue `v` (its wallet).
    #[must_use]
    pub fn free(&self, v: usize, account: AccountId, asset: AssetId) -> Cash {
        self.venues[v].engine.ledger().account(account).map_or(Cash::ZERO, |a| a.balance(asset))
    }

    /// The spot book of `asset` an agent at venue `v` uses: the asset's book at `v` if it has
    /// one, else its first book; `None` when the asset has no spot books.
    #[must_use]
    pub fn spot_book_for(&self, asset: usize, v: usize) -> Option<usize> {
        let books = &self.assets[asset].books;
        books.iter().copied().find(|&s| self.spots[s].market.venue == v).or_else(|| books.first().copied())
    }

    /// The price a spot book stands at: its mid, else its last trade.
    #[must_use]
    pub fn spot_price(&self, s: usize) -> Option<Price> {
        self.book_at(BookRef::Spot(s)).mid().or_else(|| self.last_at(BookRef::Spot(s)))
    }

    /// Market `m`'s index from its asset's spot books under its venue's index rule (see the
    /// module doc); `None` when the asset has no spot books.
    ///
    /// # Errors
    /// A pricing failure other than "no usable source" (a bug).
    pub fn book_index(&self, m: usize) -> Result<Option<Price>, SimError> {
        let mk = &self.markets[m];
        let asset = &self.assets[mk.asset];
        if asset.books.is_empty() {
            return Ok(None);
        }
        let now_ms = i64::try_from(self.now.as_millis()).unwrap_or(i64::MAX);
        let to = mk.instrument.spec().price_decimals;
        let mut sources = Vec::with_capacity(asset.books.len());
        for &s in &asset.books {
            let from = self.spots[s].market.instrument.spec().price_decimals;
            if let Some(price) = self.spot_price(s).and_then(|p| rescale(p, from, to))
                && price.0 > 0
            {
                sources.push(IndexSource { price, weight: self.spots[s].weight, updated_ms: now_ms });
            }
        }
        let fallback = || mk.index.unwrap_or_else(|| mk.price_near(asset.fair));
        if sources.is_empty() {
            return Ok(Some(fallback()));
        }
        let rule = IndexRule::for_venue(self.venues[mk.venue].kind);
        match rule.compute(&sources, now_ms) {
            Ok(ix) => Ok(Some(ix.price)),
            Err(cascade_engine::pricing::PricingError::TooFewSources { .. }) => Ok(Some(fallback())),
            Err(e) => Err(self.pricing_err(m, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rescaling_is_exact_up_and_floors_down() {
        // 100,000.05 with 2 decimals is 1,000,000.5 with 1: floored to 1,000,000 (100,000.0).
        assert_eq!(rescale(Price(10_000_005), 2, 1), Some(Price(1_000_000)));
        assert_eq!(rescale(Price(1_000_000), 1, 2), Some(Price(10_000_000)));
        assert_eq!(rescale(Price(7), 1, 1), Some(Price(7)));
        assert_eq!(rescale(Price(i64::MAX), 0, 2), None);
    }
}
