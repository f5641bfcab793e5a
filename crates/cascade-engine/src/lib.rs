//! # cascade-engine
//!
//! One exchange, exactly. This crate holds money and matches orders: fixed-point numbers,
//! instruments, limit order books, accounts with positions, and a double-entry ledger whose
//! conservation can be checked at any moment. It has no I/O, no randomness and no clock of its
//! own: callers pass time in and receive events out, so the same calls always give the same
//! results. The simulator (`cascade-sim`) drives many engines; the engine knows nothing of it.

pub mod book;
pub mod instrument;
pub mod ledger;
pub mod margin;
pub mod num;
pub mod policy;
pub mod position;
pub mod pricing;
pub mod risk;
pub mod safeguards;
pub mod venue;
