//! The scenario's `[policy]` mapped onto the world, one file per side of the mapping:
//! [`safeguards`] turns the venue safeguards (`[policy.halts]`, `[policy.bands]`,
//! `[policy.liquidation]`, `[policy.adl]`, `[policy.fund]`) into each venue's engine
//! `Safeguards` when the world is built; [`levers`] installs and drives the other levers
//! (`[policy.leverage]`, `[policy.margin]`, `[policy.transfers]`) and counts what they changed.

pub mod levers;
pub mod safeguards;

pub use levers::{PolicyReport, PolicyState};
pub use safeguards::{insurance_fund, order_band, safeguards};
