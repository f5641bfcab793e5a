//! The venues' published margin tables, and how each venue states its margin rules.
//!
//! Every table cites its section of `shared/reference/venue-mechanics.md` and carries that
//! file's provenance tag: \[R\] read in the venue's source, \[S\] secondary, \[I\] inferred. Live
//! tables change (venues adjust brackets per symbol); these are the versions the reference
//! records, for simulation and conformance tests, not for trading.
//!
//! Nothing here panics: tables are validated by [`RiskTiers::new`] when built, and an unknown
//! venue or symbol class is an error.

use std::fmt;
use std::str::FromStr;

use crate::num::{Cash, Rate};

use super::dydx::LiquidityTier;
use super::price::{MaintenanceBasis, MarginRatioKind};
use super::tiers::{CASH_ONE, Leverage, RiskTiers, SIZE_DECIMALS, TierBasis, TierError, TierSpec};

/// A venue whose margin rules Cascade models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Venue {
    /// Binance USDⓈ-M / COIN-M futures (§1).
    Binance,
    /// Bybit USDT perpetual / UTA (§2).
    Bybit,
    /// OKX perpetual swaps (§3).
    Okx,
    /// BitMEX (§4).
    Bitmex,
    /// Hyperliquid (§5).
    Hyperliquid,
    /// dYdX v4 (§6).
    Dydx,
    /// Drift v2 (§7).
    Drift,
}

/// Why a venue or its table could not be found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VenueError {
    /// Not a venue name.
    #[error("unknown venue `{0}` (expected one of binance, bybit, okx, bitmex, hyperliquid, dydx, drift)")]
    UnknownVenue(String),
    /// The reference records no table for this symbol on this venue.
    #[error("no margin table recorded for `{symbol}` on {venue}; give the rates explicitly")]
    NoTable {
        /// The venue.
        venue: Venue,
        /// The symbol.
        symbol: String,
    },
    /// A built-in table failed validation (a bug in this file, reported rather than panicking).
    #[error(transparent)]
    Tier(#[from] TierError),
}

impl Venue {
    /// Every venue, in a fixed order.
    pub const ALL: [Venue; 7] = [
        Venue::Binance,
        Venue::Bybit,
        Venue::Okx,
        Venue::Bitmex,
        Venue::Hyperliquid,
        Venue::Dydx,
        Venue::Drift,
    ];

    /// The lower-case name used in scenarios and on the command line.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Venue::Binance => "binance",
            Venue::Bybit => "bybit",
            Venue::Okx => "okx",
            Venue::Bitmex => "bitmex",
            Venue::Hyperliquid => "hyperliquid",
            Venue::Dydx => "dydx",
            Venue::Drift => "drift",
        }
    }

    /// On which value the venue's liquidation-price calculator assesses maintenance margin:
    /// at the entry value for Bybit (§2.3, verified by BYB-1/BYB-6) and BitMEX, at the
    /// liquidation price's own notional elsewhere (Binance §1.3, OKX §3.3, Hyperliquid §5.3,
    /// dYdX §6.1, Drift §7.1).
    #[must_use]
    pub const fn maintenance_basis(self) -> MaintenanceBasis {
        match self {
            Venue::Bybit | Venue::Bitmex => MaintenanceBasis::Entry,
            _ => MaintenanceBasis::Mark,
        }
    }

    /// How the venue states its margin ratio: OKX `equity / MM` (≤ 100% liquidates, §3.3);
    /// everyone else `MM / equity` (≥ 100% liquidates: Binance §1.3, Bybit UTA §2.3; the
    /// on-chain venues publish no ratio, so the same convention is used).
    #[must_use]
    pub const fn margin_ratio_kind(self) -> MarginRatioKind {
        match self {
            Venue::Okx => MarginRatioKind::EquityOverMaintenance,
            _ => MarginRatioKind::MaintenanceOverEquity,
        }
    }

    /// Whether the venue lists inverse (coin-margined) contracts. Hyperliquid, dYdX and Drift
    /// perpetuals are all linear (USDC-margined) whatever their symbol looks like.
    #[must_use]
    pub const fn has_inverse(self) -> bool {
        matches!(self, Venue::Binance | Venue::Bybit | Venue::Okx | Venue::Bitmex)
    }
}

impl fmt::Display for Venue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Venue {
    type Err = VenueError;
    fn from_str(s: &str) -> Result<Self, VenueError> {
        let t = s.trim().to_ascii_lowercase();
        let v = match t.as_str() {
            "binance" => Venue::Binance,
            "bybit" => Venue::Bybit,
            "okx" | "okex" => Venue::Okx,
            "bitmex" => Venue::Bitmex,
            "hyperliquid" | "hl" => Venue::Hyperliquid,
            "dydx" | "dydx-v4" | "dydxv4" => Venue::Dydx,
            "drift" | "drift-v2" => Venue::Drift,
            _ => return Err(VenueError::UnknownVenue(s.to_string())),
        };
        Ok(v)
    }
}

/// The default margin table of `symbol` on `venue`, by symbol class.
///
/// | venue | symbols | table |
/// |---|---|---|
/// | binance | `BTC…USDT`, `ETH…USDT` | [`binance_btcusdt`] (the 125x table; ETHUSDT's own was not recorded \[I\]) |
/// | binance | other USDⓈ-M | [`binance_altcoin`] |
/// | bybit | `BTC…` | [`bybit_btcusdt`] |
/// | bybit | others | [`bybit_base`] |
/// | okx | `BTC…`, `ETH…` | [`okx_ethusdt`] (BTC's own not recorded \[I\]) |
/// | okx | others | [`okx_altcoin`] |
/// | bitmex | `XBT…` | [`bitmex_xbtusd`]; `…USDT`: [`bitmex_usdt`] |
/// | hyperliquid | listed coins | [`hyperliquid`] |
/// | dydx | BTC, ETH | Large-Cap; others Long-Tail \[I\] (see [`super::dydx`]) |
/// | drift | all | [`drift_default`] |
///
/// # Errors
/// [`VenueError::NoTable`] for a class the reference records no table for (Binance COIN-M,
/// BitMEX symbols other than XBT and USDT-margined ones).
pub fn default_tiers(venue: Venue, symbol: &str) -> Result<RiskTiers, VenueError> {
    let s = symbol.trim().to_ascii_uppercase();
    let no_table = || VenueError::NoTable { venue, symbol: symbol.to_string() };
    let large = s.starts_with("BTC") || s.starts_with("XBT") || s.starts_with("ETH");
    Ok(match venue {
        Venue::Binance => {
            if s.contains("USD_") || s.ends_with("USD") {
                return Err(no_table());
            }
            if large { binance_btcusdt()? } else { binance_altcoin()? }
        }
        Venue::Bybit => {
            if (s.starts_with("BTC") || s.starts_with("XBT")) && !s.ends_with("USD") {
                bybit_btcusdt()?
            } else {
                bybit_base(&s)?
            }
        }
        Venue::Okx => {
            if large {
                okx_ethusdt()?
            } else {
                okx_altcoin()?
            }
        }
        Venue::Bitmex => {
            if s.starts_with("XBT") {
                bitmex_xbtusd()?
            } else if s.ends_with("USDT") {
                bitmex_usdt()?
            } else {
                return Err(no_table());
            }
        }
        Venue::Hyperliquid => hyperliquid(&coin(&s))?,
        Venue::Dydx => {
            if large {
                LiquidityTier::LARGE_CAP.risk_tiers()?
            } else {
                LiquidityTier::LONG_TAIL.risk_tiers()?
            }
        }
        Venue::Drift => drift_default()?,
    })
}

/// The coin of a symbol as Hyperliquid names it: `BTC`, `BTC-PERP`, `BTC/USDC:USDC` → `BTC`.
fn coin(s: &str) -> String {
    s.split(['-', '/', ':', '_']).next().unwrap_or_default().to_string()
}

fn pct(hundredths_of_percent: i64) -> Rate {
    // 1 = 0.01% = 10^-4: Rate(10^4).
    Rate(hundredths_of_percent * 10_000)
}

fn lev(n: i64) -> Leverage {
    Leverage(n * crate::num::RATE_ONE)
}

fn usd(n: i64) -> i64 {
    n * CASH_ONE
}

/// Binance BTCUSDT 125x brackets as announced 2021-03-18 (§1.1 \[R\]); maintenance amounts
/// derived with Binance's formula (match the FAQ's Level 3 = 1,300, §9 BIN-1). Tier 8's IMR is
/// the announced 33.3%, not 1/3.
///
/// # Errors
/// Only if the built-in table were invalid.
pub fn binance_btcusdt() -> Result<RiskTiers, TierError> {
    const T: [(i64, i64, i64, i64); 10] = [
        // (floor USDT, max leverage, MMR in 0.01%, IMR in 0.01%)
        (0, 125, 40, 80),
        (50_000, 100, 50, 100),
        (250_000, 50, 100, 200),
        (1_000_000, 20, 250, 500),
        (10_000_000, 10, 500, 1_000),
        (20_000_000, 5, 1_000, 2_000),
        (50_000_000, 4, 1_250, 2_500),
        (100_000_000, 3, 1_500, 3_330),
        (200_000_000, 2, 2_500, 5_000),
        (300_000_000, 1, 5_000, 10_000),
    ];
    let specs: Vec<TierSpec> =
        T.iter().map(|&(f, l, m, i)| TierSpec::new(usd(f), pct(m), lev(l)).with_imr(pct(i))).collect();
    RiskTiers::new(TierBasis::Notional, &specs)
}

/// Binance typical altcoin 50x brackets (XEM, COTI, CHR, MANA, HBAR, ALICE; 2021-03-18,
/// §1.1 \[R\]); maintenance amounts derived.
///
/// # Errors
/// Only if the built-in table were invalid.
pub fn binance_altcoin() -> Result<RiskTiers, TierError> {
    const T: [(i64, i64, i64, i64); 6] = [
        (0, 50, 100, 200),
        (5_000, 20, 250, 500),
        (25_000, 10, 500, 1_000),
        (100_000, 5, 1_000, 2_000),
        (250_000, 2, 1_250, 5_000),
        (1_000_000, 1, 5_000, 10_000),
    ];
    let specs: Vec<TierSpec> =
        T.iter().map(|&(f, l, m, i)| TierSpec::new(usd(f), pct(m), lev(l)).with_imr(pct(i))).collect();
    RiskTiers::new(TierBasis::Notional, &specs)
}

/// Bybit BTCUSDT risk limits before the 2,000,000 USDT level-1 change (§2.1 \[S\]): level 1 up
/// to 1,000,000 USDT at MMR 0.5% / IMR 1%, each 1,000,000 step adding 0.5% to both — the only
/// reading that gives the quoted "MMR 2%, IMR 2.5%, 40x at 4,000,000 USDT" \[I\]. Four levels
/// are recorded; the last is open-ended. MM deductions derived with the shared formula \[I\].
///
/// # Errors
/// Only if the built-in table were invalid.
pub fn bybit_btcusdt() -> Result<RiskTiers, TierError> {
    let specs: Vec<TierSpec> = (0..4)
        .map(|k| TierSpec {
            floor: usd(k * 1_000_000),
            mmr: pct(50 + 50 * k),
            imr: Some(pct(100 + 50 * k)),
            max_leverage: None,
            maintenance_amount: None,
        })
        .collect();
    RiskTiers::new(TierBasis::Notional, &specs)
}

/// Bybit base risk limit for symbols other than BTC: MMR 1% (the inverse ETH/EOS/XRP base,
/// §2.1 \[R\]) and IMR 2% (50x) \[I\]; one tier.
///
/// # Errors
/// Only if the built-in table were invalid.
pub fn bybit_base(_symbol: &str) -> Result<RiskTiers, TierError> {
    RiskTiers::flat(pct(100), pct(200), Cash::ZERO)
}

/// OKX ETHUSDT perpetual position tiers from 2021-06-11, by contracts (§3.1 \[R\]): 0–3,000 at
/// MMR 0.40% / IMR 0.80% / 125x; 3,001–6,000 0.50% / 1.00% / 100x; 6,001–12,000 1.00% /
/// 1.50% / 66.66x; then +12,000 contracts per tier with +0.5% on both (ten such tiers kept).
/// No maintenance amount: OKX applies the tier's rate to the whole position.
///
/// # Errors
/// Only if the built-in table were invalid.
pub fn okx_ethusdt() -> Result<RiskTiers, TierError> {
    let specs =
        [(0, 40, 80, lev(125)), (3_001, 50, 100, lev(100)), (6_001, 100, 150, Leverage(6_666_000_000))];
    okx_steps(&specs, 12_000, 12_000, 10)
}

/// OKX typical altcoin tiers (AAVEUSDT from 2023-05-19, §3.1 \[R\]): ≤ 1,000 contracts 0.65% /
/// 2.00% / 50x; ≤ 3,000 1.00% / 2.50% / 40x; ≤ 8,000 1.50% / 5.00% / 20x; then +8,000
/// contracts per tier with +0.5% on both (ten such tiers kept).
///
/// # Errors
/// Only if the built-in table were invalid.
pub fn okx_altcoin() -> Result<RiskTiers, TierError> {
    let specs = [(0, 65, 200, lev(50)), (1_001, 100, 250, lev(40)), (3_001, 150, 500, lev(20))];
    okx_steps(&specs, 8_000, 8_000, 10)
}

/// Listed tiers (floor contracts, MMR and IMR in 0.01%, max leverage), the last ending at
/// `last_cap` contracts, then `extra` tiers of `step` contracts adding 0.5% to both rates.
fn okx_steps(
    listed: &[(i64, i64, i64, Leverage)],
    last_cap: i64,
    step: i64,
    extra: i64,
) -> Result<RiskTiers, TierError> {
    let contracts = |n: i64| n * 10_i64.pow(SIZE_DECIMALS);
    let mut specs: Vec<TierSpec> = listed
        .iter()
        .map(|&(floor, m, i, l)| TierSpec {
            floor: contracts(floor),
            mmr: pct(m),
            imr: Some(pct(i)),
            max_leverage: Some(l),
            maintenance_amount: Some(Cash::ZERO),
        })
        .collect();
    let Some(&(_, last_m, last_i, _)) = listed.last() else {
        return RiskTiers::new(TierBasis::Size, &specs);
    };
    for k in 1..=extra {
        specs.push(TierSpec {
            floor: contracts(last_cap + 1 + (k - 1) * step),
            mmr: pct(last_m + 50 * k),
            imr: Some(pct(last_i + 50 * k)),
            max_leverage: None,
            maintenance_amount: Some(Cash::ZERO),
        });
    }
    RiskTiers::new(TierBasis::Size, &specs)
}

/// A BitMEX risk-limit ladder (§4.1 \[R\]): base MM and IM up to the base risk limit, each
/// further `step` adding the base MM to both; rates apply to the whole position (no
/// maintenance amount). `steps` tiers above the base are generated.
fn bitmex_ladder(
    base_limit: i64,
    step: i64,
    base_mm: i64,
    base_im: i64,
    steps: i64,
) -> Result<RiskTiers, TierError> {
    let mut specs = vec![TierSpec {
        floor: 0,
        mmr: pct(base_mm),
        imr: Some(pct(base_im)),
        max_leverage: None,
        maintenance_amount: Some(Cash::ZERO),
    }];
    for k in 1..=steps {
        specs.push(TierSpec {
            floor: base_limit + (k - 1) * step,
            mmr: pct(base_mm * (k + 1)),
            imr: Some(pct(base_im + base_mm * k)),
            max_leverage: None,
            maintenance_amount: Some(Cash::ZERO),
        });
    }
    RiskTiers::new(TierBasis::Notional, &specs)
}

/// BitMEX XBTUSD risk limits from the riskLimitsExamples page (§4.1 \[R\], §9 BMX-2), on the
/// position value in XBT: < 200 XBT MM 0.50% / IM 1.00%, then +150 XBT steps adding 0.50% to
/// both (< 350: 1.00/1.50, < 500: 1.50/2.00, < 650: 2.00/2.50, …; nine steps kept).
///
/// # Errors
/// Only if the built-in table were invalid.
pub fn bitmex_xbtusd() -> Result<RiskTiers, TierError> {
    bitmex_ladder(usd(200), usd(150), 50, 100, 9)
}

/// BitMEX altcoin USDT perpetuals from 2025-06-12 (§4.1 \[R\]): MM 1%, IM 2%, base risk limit
/// and step 40,000 USDT (nine steps kept).
///
/// # Errors
/// Only if the built-in table were invalid.
pub fn bitmex_usdt() -> Result<RiskTiers, TierError> {
    bitmex_ladder(usd(40_000), usd(40_000), 100, 200, 9)
}

/// A Hyperliquid margin table from `(lower bound in USDC, max leverage)` rows (§5.1 \[R\]):
/// `IMR = 1/maxLev`, `MMR = IMR at max leverage / 2 = 1/(2·maxLev)` (rounded up to 10^-8),
/// deductions by the same formula as Binance's maintenance amounts.
///
/// # Errors
/// [`TierError`] for rows out of order or a leverage of zero.
pub fn hyperliquid_table(rows: &[(i64, i64)]) -> Result<RiskTiers, TierError> {
    let mut specs = Vec::with_capacity(rows.len());
    for (index, &(lower, max_lev)) in rows.iter().enumerate() {
        let l =
            Leverage::from_int(max_lev).map_err(|_| TierError::Overflow { index, field: "max_leverage" })?;
        specs.push(TierSpec {
            floor: lower,
            mmr: hyperliquid_mmr(l).map_err(|_| TierError::NotPositive {
                index,
                field: "max_leverage",
                value: l.to_string(),
            })?,
            imr: None,
            max_leverage: Some(l),
            maintenance_amount: None,
        });
    }
    RiskTiers::new(TierBasis::Notional, &specs)
}

/// Hyperliquid's maintenance rate at a maximum leverage: half the initial rate,
/// `1/(2·maxLev)`, rounded up (§5.1, §5.3; §9 HL-11: 20x → 2.5%).
///
/// # Errors
/// [`crate::num::Overflow`] for a leverage that is not positive.
pub fn hyperliquid_mmr(max_leverage: Leverage) -> Result<Rate, crate::num::Overflow> {
    Leverage(max_leverage.0.checked_mul(2).ok_or(crate::num::Overflow)?).to_imr()
}

/// Hyperliquid mainnet margin tiers for `coin` (§5.1 \[R\], the version read): BTC 40x to
/// 150M then 20x; ETH 25x to 100M then 15x; SOL 20x to 70M then 10x; XRP 20x to 40M then 10x;
/// a listed group 10x to 20M then 5x; another 10x to 3M then 5x. Coins not listed get the last
/// (most conservative listed) table \[I\].
///
/// # Errors
/// Only if the built-in table were invalid.
pub fn hyperliquid(coin: &str) -> Result<RiskTiers, TierError> {
    const TO_20M: [&str; 22] = [
        "DOGE", "KPEPE", "SUI", "WLD", "TRUMP", "LTC", "ENA", "POPCAT", "WIF", "AAVE", "KBONK", "LINK",
        "CRV", "AVAX", "ADA", "UNI", "NEAR", "TIA", "APT", "BCH", "HYPE", "FARTCOIN",
    ];
    let c = coin.trim().to_ascii_uppercase();
    let m = |n: i64| usd(n * 1_000_000);
    let rows = match c.as_str() {
        "BTC" => [(0, 40), (m(150), 20)],
        "ETH" => [(0, 25), (m(100), 15)],
        "SOL" => [(0, 20), (m(70), 10)],
        "XRP" => [(0, 20), (m(40), 10)],
        _ if TO_20M.contains(&c.as_str()) => [(0, 10), (m(20), 5)],
        _ => [(0, 10), (m(3), 5)],
    };
    hyperliquid_table(&rows)
}

/// Drift v2 default perp ratios: IM 10%, MM 5%, the values the protocol's tests use (§7.1
/// \[R\]); live per-market ratios are on-chain. The size premium is in [`super::drift`].
///
/// # Errors
/// Only if the built-in table were invalid.
pub fn drift_default() -> Result<RiskTiers, TierError> {
    RiskTiers::flat(pct(500), pct(1_000), Cash::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn venue_names_round_trip() {
        for v in Venue::ALL {
            assert_eq!(v.name().parse::<Venue>(), Ok(v));
            assert_eq!(v.to_string().to_uppercase().parse::<Venue>(), Ok(v));
        }
        assert!(matches!("ftx".parse::<Venue>(), Err(VenueError::UnknownVenue(_))));
    }

    #[test]
    fn every_builtin_table_validates() {
        for t in [
            binance_btcusdt(),
            binance_altcoin(),
            bybit_btcusdt(),
            bybit_base("ETHUSDT"),
            okx_ethusdt(),
            okx_altcoin(),
            bitmex_xbtusd(),
            bitmex_usdt(),
            hyperliquid("BTC"),
            hyperliquid("ETH"),
            hyperliquid("SOL"),
            hyperliquid("XRP"),
            hyperliquid("DOGE"),
            hyperliquid("OP"),
            drift_default(),
        ] {
            assert!(t.is_ok(), "{t:?}");
        }
        for v in Venue::ALL {
            for s in ["BTCUSDT", "ETHUSDT", "DOGEUSDT"] {
                let r = default_tiers(v, s);
                assert!(r.is_ok() || v == Venue::Bitmex, "{v} {s}: {r:?}");
            }
        }
        assert!(matches!(default_tiers(Venue::Binance, "BTCUSD_PERP"), Err(VenueError::NoTable { .. })));
    }

    #[test]
    fn binance_maintenance_amounts_match_the_reference_column() {
        let t = binance_btcusdt().unwrap();
        let cum: Vec<i64> = t.tiers().iter().map(|t| t.maintenance_amount.0 / CASH_ONE).collect();
        assert_eq!(
            cum,
            [0, 50, 1_300, 16_300, 266_300, 1_266_300, 2_516_300, 5_016_300, 25_016_300, 100_016_300]
        );
    }

    #[test]
    fn okx_tiers_follow_the_announcement() {
        let t = okx_ethusdt().unwrap();
        let floors: Vec<i64> = t.tiers().iter().take(5).map(|t| t.floor / 100_000_000).collect();
        assert_eq!(floors, [0, 3_001, 6_001, 12_001, 24_001]);
        assert_eq!(t.tiers()[3].mmr, pct(150));
        assert_eq!(t.tiers()[3].imr, pct(200));
        let a = okx_altcoin().unwrap();
        let floors: Vec<i64> = a.tiers().iter().take(5).map(|t| t.floor / 100_000_000).collect();
        assert_eq!(floors, [0, 1_001, 3_001, 8_001, 16_001]);
    }

    /// OKX counts tiers in contracts; DOGE-USDT-SWAP's contract is 1,000 DOGE. A position of
    /// 16,000 DOGE (quantities in whole DOGE here) is 16 contracts: tier 1 (≤ 1,000 contracts, MMR 0.65%). Read as 16,000 contracts it
    /// would sit in the fourth tier (8,001–16,000: 1.50% + 0.50% = 2.00%). 1,500,000 DOGE is
    /// 1,500 contracts: tier 2 (1,001–3,000, 1.00%).
    #[test]
    fn okx_tiers_count_contracts_of_the_instruments_size() {
        use crate::instrument::{AssetId, Instrument, InstrumentSpec};
        use crate::margin::tiers::Exposure;
        use crate::num::{Price, Qty};
        let spec = InstrumentSpec::linear("DOGE-USDT-SWAP", AssetId(0), 5, 0);
        let per_coin = Instrument::new(spec.clone()).unwrap();
        let per_contract =
            Instrument::new(InstrumentSpec { tier_contract: Some(Qty(1_000)), ..spec }).unwrap();
        let t = okx_altcoin().unwrap();
        let price = Price(23_358); // 0.23358
        let mmr = |i: &Instrument, coins: i64| t.tier(&Exposure::of(i, Qty(coins), price).unwrap()).mmr;
        assert_eq!(mmr(&per_contract, 16_000), pct(65));
        assert_eq!(mmr(&per_coin, 16_000), pct(200));
        assert_eq!(mmr(&per_contract, 1_500_000), pct(100));
        // The edge: 1,000,000 DOGE is 1,000 contracts (tier 1), 1,001,000 is 1,001 (tier 2).
        assert_eq!(mmr(&per_contract, 1_000_000), pct(65));
        assert_eq!(mmr(&per_contract, 1_001_000), pct(100));
        // Zero or negative contract sizes are refused.
        let bad =
            InstrumentSpec { tier_contract: Some(Qty(0)), ..InstrumentSpec::linear("X", AssetId(0), 2, 0) };
        assert!(Instrument::new(bad).is_err());
    }
}
