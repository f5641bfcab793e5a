//! Why the book refused a call. Every refusal leaves the book exactly as it was.

use crate::num::{Price, Qty};

use super::order::{AccountId, OrderId};
use super::stops::StopId;

/// A call the book (or the stop book) refused; nothing was changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BookError {
    /// The tick given to [`crate::book::Book::new`] is not positive.
    #[error("tick must be positive, got {0:?}")]
    InvalidTick(Price),
    /// The lot given to [`crate::book::Book::new`] is not positive.
    #[error("lot must be positive, got {0:?}")]
    InvalidLot(Qty),
    /// An order quantity is zero or negative.
    #[error("quantity must be positive, got {0:?}")]
    NonPositiveQty(Qty),
    /// An order quantity is not a whole number of lots.
    #[error("quantity {qty:?} is not a multiple of the lot {lot:?}")]
    QtyNotLotMultiple {
        /// The quantity.
        qty: Qty,
        /// The book's lot.
        lot: Qty,
    },
    /// A limit or trigger price is zero or negative.
    #[error("price must be positive, got {0:?}")]
    NonPositivePrice(Price),
    /// A limit price is not a whole number of ticks.
    #[error("price {price:?} is not a multiple of the tick {tick:?}")]
    PriceNotTickMultiple {
        /// The price.
        price: Price,
        /// The book's tick.
        tick: Price,
    },
    /// A market order asked to rest (GTC or post-only); market orders are immediate only.
    #[error("a market order must be IOC or FOK")]
    MarketOrderMustBeImmediate,
    /// No resting order has this id: never issued, already gone, or its slot was reused.
    #[error("unknown or stale order id {0:?}")]
    UnknownOrder(OrderId),
    /// No pending stop has this id: never issued, fired, cancelled, or stale.
    #[error("unknown or stale stop id {0:?}")]
    UnknownStop(StopId),
    /// The account id is above the book's configured maximum (per-account lists are indexed by
    /// id, so ids must be dense).
    #[error("account {account:?} is above the maximum {max}")]
    AccountOutOfRange {
        /// The account.
        account: AccountId,
        /// The largest id accepted.
        max: u32,
    },
    /// The book holds as many orders as its 32-bit slot indices can address.
    #[error("the book is full")]
    Full,
    /// The side's total resting quantity would no longer fit in 64 bits.
    #[error("resting quantity would overflow")]
    Overflow,
    /// An amendment would make a post-only order cross the book; it was left unchanged.
    #[error("amending post-only order {0:?} to that price would cross the book")]
    PostOnlyWouldCross(OrderId),
}
