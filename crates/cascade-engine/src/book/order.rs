//! The vocabulary of the order book: sides, ids, order instructions, events and outcomes.
//!
//! Plain `Copy` values only. Nothing here knows about money, margin or contract specs: prices
//! and quantities are the instrument's integer units, already validated by the caller against
//! everything except the tick and the lot (which the book checks itself).

use crate::num::{Price, Qty};

/// Which way an order trades. Buys rest as bids, sells as asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    /// Bid: wants to buy, matches asks at or below its limit.
    Buy,
    /// Ask: wants to sell, matches bids at or above its limit.
    Sell,
}

impl Side {
    /// The side this one trades against.
    #[inline]
    #[must_use]
    pub const fn opposite(self) -> Self {
        match self {
            Self::Buy => Self::Sell,
            Self::Sell => Self::Buy,
        }
    }

    /// `+1` for a buy, `-1` for a sell: the sign a fill gives to a position change.
    #[inline]
    #[must_use]
    pub const fn sign(self) -> i64 {
        match self {
            Self::Buy => 1,
            Self::Sell => -1,
        }
    }

    /// Index for per-side arrays: 0 for buy, 1 for sell.
    #[inline]
    pub(crate) const fn idx(self) -> usize {
        match self {
            Self::Buy => 0,
            Self::Sell => 1,
        }
    }

    /// Whether a resting price `maker` is acceptable to an order on this side limited at `limit`.
    #[inline]
    pub(crate) fn accepts(self, limit: Option<Price>, maker: Price) -> bool {
        match (self, limit) {
            (_, None) => true,
            (Self::Buy, Some(l)) => maker <= l,
            (Self::Sell, Some(l)) => maker >= l,
        }
    }
}

/// The owner of an order: an index into the venue's account table, so the book can keep a
/// per-account list of orders in a `Vec` instead of a hash map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct AccountId(pub u32);

/// Handle of an order in one book: the arena slot in the low 32 bits and the slot's generation
/// in the high 32 bits, so an id kept after its order left the book is recognised as stale
/// instead of reaching whichever order later reuses the slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrderId(pub u64);

impl OrderId {
    /// Packs a slot index and its generation.
    #[inline]
    pub(crate) const fn new(slot: u32, generation: u32) -> Self {
        Self(((generation as u64) << 32) | slot as u64)
    }

    /// The arena slot.
    #[inline]
    pub(crate) const fn slot(self) -> u32 {
        (self.0 & 0xFFFF_FFFF) as u32
    }

    /// The slot's generation when the id was issued.
    #[inline]
    pub(crate) const fn generation(self) -> u32 {
        (self.0 >> 32) as u32
    }
}

/// How long an order's unfilled remainder may live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeInForce {
    /// Good till cancelled: the remainder rests in the book.
    Gtc,
    /// Immediate or cancel: fill what is available within the limit now, cancel the rest.
    Ioc,
    /// Fill or kill: fill the whole quantity now or do nothing at all.
    Fok,
    /// Post only (Binance `GTX`): rest without taking; rejected if it would cross on arrival.
    PostOnly,
}

/// Self-trade prevention: what happens when a taker would match a resting order of its own
/// account. Named as Binance names the modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Stp {
    /// Self-trades are allowed and fill like any other match.
    #[default]
    None,
    /// The taker's remainder is expired; the resting order stays.
    ExpireTaker,
    /// The resting order is expired and the taker goes on matching behind it.
    ExpireMaker,
    /// Both the resting order and the taker's remainder are expired.
    ExpireBoth,
}

/// An order instruction as the venue hands it to the book, after its own risk checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NewOrder {
    /// Who places it (used for self-trade prevention and per-account cancels).
    pub account: AccountId,
    /// Buy or sell.
    pub side: Side,
    /// Worst acceptable price; `None` makes a market order, which matches at any price and is
    /// never left resting.
    pub limit: Option<Price>,
    /// Quantity in quantity units: positive and a multiple of the book's lot.
    pub qty: Qty,
    /// What happens to the remainder.
    pub tif: TimeInForce,
    /// Self-trade prevention mode, kept with the order if it rests.
    pub stp: Stp,
}

impl NewOrder {
    /// A good-till-cancelled limit order without self-trade prevention: the common case.
    #[must_use]
    pub const fn limit(account: AccountId, side: Side, price: Price, qty: Qty) -> Self {
        Self { account, side, limit: Some(price), qty, tif: TimeInForce::Gtc, stp: Stp::None }
    }

    /// An immediate-or-cancel market order without self-trade prevention.
    #[must_use]
    pub const fn market(account: AccountId, side: Side, qty: Qty) -> Self {
        Self { account, side, limit: None, qty, tif: TimeInForce::Ioc, stp: Stp::None }
    }

    /// The same order with another time in force.
    #[must_use]
    pub const fn with_tif(mut self, tif: TimeInForce) -> Self {
        self.tif = tif;
        self
    }

    /// The same order with another self-trade prevention mode.
    #[must_use]
    pub const fn with_stp(mut self, stp: Stp) -> Self {
        self.stp = stp;
        self
    }
}

/// Why an order's unfilled remainder left the book without resting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExpireReason {
    /// IOC or market order: no more liquidity within the limit.
    Unfilled,
    /// FOK order: the whole quantity was not available, so nothing traded.
    FillOrKill,
    /// Self-trade prevention (`ExpireTaker` or `ExpireBoth`) stopped the taker.
    SelfTrade,
    /// Post-only order that would have crossed the book on arrival.
    PostOnlyWouldCross,
}

/// What became of an order once the book was done with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fate {
    /// Nothing left: completely filled.
    Filled,
    /// The remainder rests in the book under the order's id.
    Resting,
    /// The remainder was removed without resting, for the reason given.
    Expired(ExpireReason),
}

/// Something that happened in the book, in the order it happened. Pushed into a buffer owned by
/// the caller so that a busy book does not allocate per call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BookEvent {
    /// A trade between a resting maker and an incoming taker, at the maker's price.
    Fill {
        /// The resting order.
        maker_order: OrderId,
        /// Its owner.
        maker_account: AccountId,
        /// The incoming (or moved) order.
        taker_order: OrderId,
        /// Its owner.
        taker_account: AccountId,
        /// The taker's side (the maker is on the opposite one).
        taker_side: Side,
        /// The maker's resting price.
        price: Price,
        /// Quantity traded.
        qty: Qty,
        /// What the maker has left after this fill (zero: it left the book).
        maker_remaining: Qty,
    },
    /// A resting order removed by self-trade prevention.
    MakerExpired {
        /// The removed order.
        order: OrderId,
        /// Its owner.
        account: AccountId,
        /// Its side.
        side: Side,
        /// Its price.
        price: Price,
        /// The quantity removed.
        remaining: Qty,
    },
    /// An incoming (or moved) order's remainder removed without resting.
    TakerExpired {
        /// The order.
        order: OrderId,
        /// Its owner.
        account: AccountId,
        /// Its side.
        side: Side,
        /// The quantity removed.
        remaining: Qty,
        /// Why.
        reason: ExpireReason,
    },
    /// A new order's remainder now rests in the book.
    Placed {
        /// The resting order.
        order: OrderId,
        /// Its owner.
        account: AccountId,
        /// Its side.
        side: Side,
        /// Its price.
        price: Price,
        /// The quantity resting.
        qty: Qty,
    },
    /// A resting order changed size or price and still rests.
    Amended {
        /// The order (same id as before).
        order: OrderId,
        /// Its owner.
        account: AccountId,
        /// Its side.
        side: Side,
        /// Its price now.
        price: Price,
        /// Its resting quantity now.
        qty: Qty,
        /// Whether it kept its place in the queue.
        priority_kept: bool,
    },
    /// A resting order cancelled on request (from [`crate::book::Book::cancel_all`]).
    Cancelled {
        /// The order.
        order: OrderId,
        /// Its owner.
        account: AccountId,
        /// Its side.
        side: Side,
        /// Its price.
        price: Price,
        /// The quantity removed.
        remaining: Qty,
    },
}

/// The result of [`crate::book::Book::submit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SubmitOutcome {
    /// The id given to the order (stale at once unless it rests).
    pub order: OrderId,
    /// Quantity filled on arrival.
    pub filled: Qty,
    /// Quantity not filled: resting or expired, as `fate` says.
    pub remaining: Qty,
    /// What became of the remainder.
    pub fate: Fate,
}

impl SubmitOutcome {
    /// The id under which the remainder rests, if it does.
    #[must_use]
    pub fn resting(&self) -> Option<OrderId> {
        (self.fate == Fate::Resting).then_some(self.order)
    }
}

/// The result of [`crate::book::Book::amend`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AmendOutcome {
    /// The order's id, unchanged by the amendment.
    pub order: OrderId,
    /// Quantity filled because the new price crossed the book.
    pub filled: Qty,
    /// Quantity left after those fills: resting or expired, as `fate` says.
    pub remaining: Qty,
    /// What became of the order.
    pub fate: Fate,
    /// Whether the order kept its place in the queue (only for a size decrease, or no change).
    pub priority_kept: bool,
}

/// A resting order removed by [`crate::book::Book::cancel`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CancelledOrder {
    /// The order's (now stale) id.
    pub order: OrderId,
    /// Its owner.
    pub account: AccountId,
    /// Its side.
    pub side: Side,
    /// Its price.
    pub price: Price,
    /// The quantity that was still resting.
    pub remaining: Qty,
}

/// A read-only look at a resting order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OrderView {
    /// The order's id.
    pub id: OrderId,
    /// Its owner.
    pub account: AccountId,
    /// Its side.
    pub side: Side,
    /// Its price.
    pub price: Price,
    /// Quantity still resting.
    pub remaining: Qty,
    /// Its self-trade prevention mode.
    pub stp: Stp,
    /// Whether it was placed post-only (an amendment may not make it cross).
    pub post_only: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sides_are_opposite_and_signed() {
        assert_eq!(Side::Buy.opposite(), Side::Sell);
        assert_eq!(Side::Sell.opposite(), Side::Buy);
        assert_eq!(Side::Buy.sign(), 1);
        assert_eq!(Side::Sell.sign(), -1);
    }

    #[test]
    fn order_id_round_trips_slot_and_generation() {
        let id = OrderId::new(7, 3);
        assert_eq!(id.slot(), 7);
        assert_eq!(id.generation(), 3);
        assert_ne!(id, OrderId::new(7, 4));
        let max = OrderId::new(u32::MAX - 1, u32::MAX);
        assert_eq!((max.slot(), max.generation()), (u32::MAX - 1, u32::MAX));
    }

    #[test]
    fn limits_are_inclusive_and_market_accepts_anything() {
        assert!(Side::Buy.accepts(Some(Price(100)), Price(100)));
        assert!(!Side::Buy.accepts(Some(Price(100)), Price(101)));
        assert!(Side::Sell.accepts(Some(Price(100)), Price(100)));
        assert!(!Side::Sell.accepts(Some(Price(100)), Price(99)));
        assert!(Side::Buy.accepts(None, Price(i64::MAX)));
    }
}
