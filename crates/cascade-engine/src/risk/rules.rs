//! Liquidation rule sets: what each venue does when an account runs out of margin.
//!
//! A [`RuleSet`] is plain data, selected by venue name (`binance`, `bybit`, `okx`, `bitmex`,
//! `hyperliquid`, `dydx`, `drift`). The venue façade executes it; the parameters below say what
//! is modelled, and each cites its section of `shared/reference/venue-mechanics.md`.
//!
//! The common pipeline (venue/liquidation.rs) is: trigger on the mark (oracle) price → cancel
//! the account's orders → choose how much to close ([`PartialRule`]) → execute
//! ([`Execution`]) → charge the liquidation fee to the insurance fund → what the book could not
//! take goes to the backstop (insurance fund / liquidator vault) while it has room, else to ADL
//! ([`AdlRanking`], at [`AdlPrice`]) → losses beyond the fund are socialised (Drift) or
//! recorded as bad debt.

use std::str::FromStr;

use crate::margin::tables::Venue;
use crate::num::{Cash, Rate};

pub use crate::margin::price::MaintenanceBasis;

/// How much of a liquidatable position is closed in one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartialRule {
    /// Close the whole position (dYdX/Drift closes stepwise by their own caps; see those).
    Full,
    /// Binance "reduce first" (§1.3): one IOC to reduce; stop as soon as the account is above
    /// maintenance again; otherwise the rest follows.
    ReduceFirst,
    /// Bybit/BitMEX/OKX tier step-down (§2.3, §3.3, §4.3): close the least lot multiple that
    /// leaves the rest strictly inside the tier `tiers` below the current one (tier 1 at the
    /// least); tier-1 positions close in full.
    TierStepDown {
        /// Tiers to step down per round (Bybit/BitMEX: 1; OKX newer rule: 2 [S]; OKX's own
        /// article, vector OKX-1: [`PartialRule::TO_TIER_ONE`]).
        tiers: u8,
    },
    /// Hyperliquid (§5.3): positions above `above` notional send only `fraction`; a
    /// `cooldown_ms` follows during which liquidation orders are for the whole position.
    Slice {
        /// Share of the position sent per step.
        fraction: Rate,
        /// Notional above which slicing applies.
        above: Cash,
        /// Cooldown after a partial step, in milliseconds.
        cooldown_ms: u64,
    },
    /// dYdX v4 per-block cap (§6.3): at most `fraction` of the position per block.
    BlockCap {
        /// Share of the position per block.
        fraction: Rate,
    },
}

impl PartialRule {
    /// [`PartialRule::TierStepDown`] `tiers` value that reduces straight to tier 1, as OKX's
    /// forced partial liquidation article describes (§3.3, vector OKX-1: 15,000 swaps with a
    /// tier-1 maximum of 2,000 close 13,000). No table has 255 tiers, so stepping down this
    /// many always ends in tier 1.
    pub const TO_TIER_ONE: u8 = u8::MAX;
}

/// How the liquidation order is executed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Execution {
    /// An IOC order into the book limited at the bankruptcy price (Binance §1.3, dYdX's
    /// fillable price approximated by the bankruptcy price §6.3); the trader keeps what the
    /// book gives above it, less the liquidation fee.
    BookAtBankruptcy,
    /// A market order into the book under the venue's price band (Hyperliquid §5.3): the
    /// trader keeps any collateral left once maintenance is met.
    BookMarket,
    /// The engine takes the position over at the bankruptcy price, so the trader's remaining
    /// margin goes to the insurance fund, and the engine then sells it into the book (Bybit
    /// §2.3, BitMEX §4.3, OKX full liquidation §3.3).
    TakeoverAtBankruptcy,
    /// A liquidator takes the position at the oracle price less a liquidator fee (Drift §7.3).
    LiquidatorAtOracle {
        /// Discount the liquidator receives.
        fee: Rate,
    },
}

/// How ADL candidates are ranked (highest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdlRanking {
    /// Binance (§1.5): `max(0, upnl) / max(1, wallet) × MM / (wallet + upnl)`.
    BinanceLeveragePnl,
    /// Bybit/OKX/BitMEX (§2.4, §3.4, §4.3): `PnL% × effective leverage` when profitable,
    /// `PnL% / effective leverage` otherwise.
    PnlTimesLeverage,
    /// Hyperliquid (§5.4): `(mark / entry) × (notional / account value)`.
    Hyperliquid,
    /// dYdX v4 (§6.4): no ranking; offsetting positions are taken in account order from a
    /// pseudo-random start derived from the liquidated account and the block.
    DydxOffset,
    /// Drift v2 (§7.3): no ADL; losses are socialised through cumulative funding.
    None,
}

/// The fee to close a position that a venue reserves inside its maintenance requirement and
/// its bankruptcy price: `close_fee × notional` is added to the maintenance margin, so a
/// position is liquidated while its margin can still pay for the close.
///
/// A rate per instrument rather than one per rule set, because Bybit's is the instrument's
/// own taker fee (VIP tiers and symbols differ), while OKX's is its rule set's liquidation fee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseFee {
    /// No fee to close in the requirement (Binance §1.3 charges its liquidation fee on the
    /// amount liquidated instead; BitMEX, Hyperliquid, dYdX, Drift).
    None,
    /// The instrument's taker fee (Bybit UTA §2.3: "adds estimated fee to close in IM/MM";
    /// the inverse bankruptcy price embeds the 0.075% taker fee, §9 BYB-4).
    Taker,
    /// The rule set's [`RuleSet::liquidation_fee`] (OKX §3.3: the margin ratio's denominator
    /// is maintenance margin plus the liquidation fee; liquidation at ≤ 100%).
    LiquidationFee,
}

/// At what price ADL closes the counterparties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdlPrice {
    /// The bankruptcy price of the liquidated order (Binance, Bybit, BitMEX, dYdX).
    Bankruptcy,
    /// The mark price (OKX normally, §3.4).
    Mark,
    /// The previous mark price (Hyperliquid §5.4).
    PreviousMark,
}

/// One venue's liquidation rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleSet {
    /// Which venue these rules follow.
    pub venue: Venue,
    /// Whether the maintenance margin is taken at the mark or fixed at entry for the
    /// liquidation price (from the margin module).
    pub basis: MaintenanceBasis,
    /// Liquidation (clearance) fee on the liquidated value, to the insurance fund, capped at
    /// what the trader has left (Binance 0.5% historical §1.3; 0 for Hyperliquid §5.3).
    pub liquidation_fee: Rate,
    /// The fee to close reserved in the maintenance requirement and the bankruptcy price
    /// (Bybit: the instrument's taker fee; OKX: the liquidation fee; others none).
    pub close_fee: CloseFee,
    /// How much to close per step.
    pub partial: PartialRule,
    /// How to execute.
    pub execution: Execution,
    /// Backstop takeover when equity falls below this share of maintenance (Hyperliquid's
    /// liquidator vault at 2/3, §5.3).
    pub backstop_below: Option<Rate>,
    /// Most net notional the insurance fund may take over per instrument, as a share of its
    /// balance (Binance: 100% by default, §1.4). `None`: unlimited while the fund is positive.
    pub takeover_cap: Option<Rate>,
    /// ADL ranking.
    pub adl_ranking: AdlRanking,
    /// ADL price.
    pub adl_price: AdlPrice,
}

/// An unknown rule-set name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown rule set `{0}` (expected one of binance, bybit, okx, bitmex, hyperliquid, dydx, drift)")]
pub struct UnknownRuleSet(pub String);

impl RuleSet {
    /// The rules of `venue`.
    #[must_use]
    pub fn of(venue: Venue) -> Self {
        let base = Self {
            venue,
            basis: venue.maintenance_basis(),
            liquidation_fee: Rate::from_bps(50),
            close_fee: CloseFee::None,
            partial: PartialRule::Full,
            execution: Execution::BookAtBankruptcy,
            backstop_below: None,
            takeover_cap: Some(Rate::ONE),
            adl_ranking: AdlRanking::PnlTimesLeverage,
            adl_price: AdlPrice::Bankruptcy,
        };
        match venue {
            Venue::Binance => Self {
                partial: PartialRule::ReduceFirst,
                adl_ranking: AdlRanking::BinanceLeveragePnl,
                ..base
            },
            Venue::Bybit => Self {
                liquidation_fee: Rate::ZERO,
                close_fee: CloseFee::Taker,
                partial: PartialRule::TierStepDown { tiers: 1 },
                execution: Execution::TakeoverAtBankruptcy,
                takeover_cap: None,
                ..base
            },
            Venue::Okx => Self {
                liquidation_fee: Rate::from_bps(20),
                close_fee: CloseFee::LiquidationFee,
                partial: PartialRule::TierStepDown { tiers: 2 },
                execution: Execution::TakeoverAtBankruptcy,
                takeover_cap: None,
                adl_price: AdlPrice::Mark,
                ..base
            },
            Venue::Bitmex => Self {
                liquidation_fee: Rate::ZERO,
                partial: PartialRule::TierStepDown { tiers: 1 },
                execution: Execution::TakeoverAtBankruptcy,
                takeover_cap: None,
                ..base
            },
            Venue::Hyperliquid => Self {
                liquidation_fee: Rate::ZERO,
                partial: PartialRule::Slice {
                    fraction: Rate::from_bps(2_000),
                    above: Cash(100_000 * 100_000_000),
                    cooldown_ms: 30_000,
                },
                execution: Execution::BookMarket,
                backstop_below: Some(Rate(66_666_667)),
                takeover_cap: None,
                adl_ranking: AdlRanking::Hyperliquid,
                adl_price: AdlPrice::PreviousMark,
                ..base
            },
            Venue::Dydx => Self {
                partial: PartialRule::BlockCap { fraction: Rate::ONE },
                adl_ranking: AdlRanking::DydxOffset,
                ..base
            },
            Venue::Drift => Self {
                liquidation_fee: Rate::ZERO,
                execution: Execution::LiquidatorAtOracle { fee: Rate::from_bps(100) },
                takeover_cap: None,
                adl_ranking: AdlRanking::None,
                ..base
            },
        }
    }

    /// The rules named `name`.
    ///
    /// # Errors
    /// [`UnknownRuleSet`] for a name that is not a modelled venue.
    pub fn by_name(name: &str) -> Result<Self, UnknownRuleSet> {
        Venue::from_str(name).map(Self::of).map_err(|_| UnknownRuleSet(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_venue_has_rules_by_name() {
        for name in ["binance", "bybit", "okx", "bitmex", "hyperliquid", "dydx", "drift"] {
            assert_eq!(RuleSet::by_name(name).unwrap().venue, Venue::from_str(name).unwrap());
        }
        assert!(RuleSet::by_name("ftx").is_err());
        assert_eq!(RuleSet::by_name("hyperliquid").unwrap().adl_price, AdlPrice::PreviousMark);
        assert_eq!(RuleSet::by_name("drift").unwrap().adl_ranking, AdlRanking::None);
        assert_eq!(RuleSet::by_name("bybit").unwrap().close_fee, CloseFee::Taker);
        assert_eq!(RuleSet::by_name("okx").unwrap().close_fee, CloseFee::LiquidationFee);
        assert_eq!(RuleSet::by_name("binance").unwrap().close_fee, CloseFee::None);
    }
}
