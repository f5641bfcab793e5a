//! Liquidation rule sets: what each venue does when an account runs out of margin.
//!
//! A [`RuleSet`] is plain data, selected by venue name (`binance`, `bybit`, `okx`, `bitmex`,
//! `hyperliquid`, `dydx`, `drift`). The venue façade executes it; the parameters below say what
//! is modelled, and each cites its section of `shared/reference/venue-mechanics.md`.
//!
//! The common pipeline (`venue/liquidation/`) is: trigger on the mark (oracle) price → convert
//! the account's non-settle collateral → cancel its orders → choose how much to close
//! ([`PartialRule`]) → execute ([`Execution`]), charging the liquidation fee to the insurance
//! fund → what the book could not take goes to the backstop (insurance fund or liquidator
//! vault) while [`AdlTrigger`] says it can absorb it, else to ADL ([`AdlRanking`], at
//! [`AdlPrice`]) → the backstop sells its inventory back at the [`Offload`] pace → losses beyond
//! the fund are socialised per market (Drift) or recorded as bad debt.

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
    /// Drift v2 (§7.3): close just enough base to cover the margin shortage plus
    /// [`RuleSet::liquidation_buffer`], net of the liquidator and insurance-fund fees.
    MarginShortage,
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
    /// dYdX v4 (§6.3): an IOC into the book limited at the *fillable price*
    /// `(PNNV − ABR × SMMR × PMMR) / PS`, `ABR = clamp(BA × (1 − TNC/TMMR), 0, 1)`, which may be
    /// worse than the bankruptcy price; the insurance fund pays the difference, and a fill the
    /// fund could not pay is not made.
    BookAtFillable {
        /// Bankruptcy adjustment `BA` (code default 1.0).
        bankruptcy_adjustment: Rate,
        /// Spread-to-maintenance ratio `SMMR` (code default 0.1).
        spread_to_maintenance: Rate,
    },
    /// A liquidator takes the position at the oracle price less a liquidator fee (Drift §7.3).
    LiquidatorAtOracle {
        /// Discount the liquidator receives.
        fee: Rate,
    },
}

/// When the venue stops absorbing bankrupt positions and hands them to ADL (or socialises).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdlTrigger {
    /// The insurance fund takes a bankrupt remainder over at the bankruptcy price only while it
    /// can cover the loss that position shows at the mark (on top of the unrealized loss of what
    /// it already holds) and stays at or above `floor` × its highest balance of the last
    /// `window_ms`; what it cannot take goes to ADL. Binance (§1.4–1.5: "the insurance fund
    /// cannot accept the bankrupt position"), Bybit (§2.4, older rule `fund + margin + UPNL ≤
    /// 0`; the 2025 rule "8-hour drawdown ≥ 100% of the peak" is the same with floor 0), BitMEX
    /// (§4.3) with `floor` 0; OKX (§3.4: a 30% fall from the 8-hour peak) with `floor` 0.7.
    Fund {
        /// Share of the window's peak balance the fund must keep.
        floor: Rate,
        /// Length of the peak window, milliseconds (8 hours at Bybit and OKX).
        window_ms: u64,
    },
    /// Hyperliquid (§5.3–5.4): a liquidator vault with its own capital takes the whole account
    /// over (positions and margin) once equity is below [`RuleSet::backstop_below`] of
    /// maintenance while equity is still ≥ 0; ADL fires only for an account whose value is
    /// negative (or that the vault cannot take).
    NegativeEquity,
    /// dYdX v4 (§6.4): nothing takes positions over; the insurance fund pays for fills below the
    /// bankruptcy price, and deleveraging runs only for an account whose liquidation order
    /// filled nothing and whose net collateral is negative.
    NegativeCollateral,
    /// Drift v2 (§7.3): no ADL; the liquidator always takes the position, and a bankrupt
    /// account's loss is paid by the insurance fund, the market's fee pool, then socialised.
    Never,
}

/// How the backstop (insurance fund or vault) sells the inventory it took over back to the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offload {
    /// Everything at once, at every pass (a forced seller at each mark step).
    Immediate,
    /// At most `share` of the inventory per `interval_ms` (at least one lot): venues offload
    /// "slowly, via a preset algorithm" (Binance §1.4) without publishing the pace.
    Paced {
        /// Share of the inventory sold per interval.
        share: Rate,
        /// Interval, milliseconds of the venue clock.
        interval_ms: u64,
    },
    /// At most `notional` (settle asset, valued at the mark) per `interval_ms`.
    NotionalCap {
        /// Value sold per interval.
        notional: Cash,
        /// Interval, milliseconds of the venue clock.
        interval_ms: u64,
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
    /// OKX (§3.4): the mark price normally, the bankruptcy price once the fund is "nearly
    /// depleted" — here: at or below `depleted` × its window peak (the reference gives no
    /// figure; 1% is an assumption).
    MarkUnlessFundDepleted {
        /// Share of the fund's peak at or below which it counts as depleted.
        depleted: Rate,
    },
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
    /// balance (Binance: 100% by default, §1.4). `None`: no cap beyond covering the loss.
    pub takeover_cap: Option<Rate>,
    /// When ADL fires.
    pub adl_trigger: AdlTrigger,
    /// How the backstop sells its inventory.
    pub offload: Offload,
    /// Drift's insurance-fund fee on liquidated value, at most this rate (§7.3, `max_if_fee`).
    pub insurance_fee: Rate,
    /// Drift's liquidation margin buffer (§7.1, 2% of liability by default): a liquidation
    /// sizes itself to leave the account this far above maintenance.
    pub liquidation_buffer: Rate,
    /// ADL ranking.
    pub adl_ranking: AdlRanking,
    /// Whether ADL fills pay trading fees: Bybit charges the deleveraged trader the maker fee
    /// and the liquidated order the taker fee (§2.4); Binance charges none (§1.5).
    pub adl_fees: bool,
    /// ADL price.
    pub adl_price: AdlPrice,
}

/// Eight hours in milliseconds: the fund-peak window of Bybit's and OKX's ADL triggers.
pub const EIGHT_HOURS_MS: u64 = 8 * 3_600_000;

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
            adl_trigger: AdlTrigger::Fund { floor: Rate::ZERO, window_ms: EIGHT_HOURS_MS },
            // Assumption: 5% of the inventory per second (venues publish no pace).
            offload: Offload::Paced { share: Rate::from_bps(500), interval_ms: 1_000 },
            adl_fees: false,
            insurance_fee: Rate::ZERO,
            liquidation_buffer: Rate::ZERO,
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
                adl_fees: true,
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
                adl_trigger: AdlTrigger::Fund { floor: Rate::from_bps(7_000), window_ms: EIGHT_HOURS_MS },
                adl_price: AdlPrice::MarkUnlessFundDepleted { depleted: Rate::from_bps(100) },
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
                adl_trigger: AdlTrigger::NegativeEquity,
                adl_ranking: AdlRanking::Hyperliquid,
                adl_price: AdlPrice::PreviousMark,
                ..base
            },
            Venue::Dydx => Self {
                partial: PartialRule::BlockCap { fraction: Rate::ONE },
                execution: Execution::BookAtFillable {
                    bankruptcy_adjustment: Rate::ONE,
                    spread_to_maintenance: Rate::from_bps(1_000),
                },
                takeover_cap: None,
                adl_trigger: AdlTrigger::NegativeCollateral,
                adl_ranking: AdlRanking::DydxOffset,
                ..base
            },
            Venue::Drift => Self {
                liquidation_fee: Rate::ZERO,
                partial: PartialRule::MarginShortage,
                execution: Execution::LiquidatorAtOracle { fee: Rate::from_bps(100) },
                takeover_cap: None,
                adl_trigger: AdlTrigger::Never,
                // Liquidators are third parties that hedge at once.
                offload: Offload::Immediate,
                insurance_fee: Rate::from_bps(100),
                liquidation_buffer: Rate::from_bps(200),
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
