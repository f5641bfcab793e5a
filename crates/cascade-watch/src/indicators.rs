//! The cascade-risk indicators of one symbol at the end of one second.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

use crate::clusters::{ClusterDistance, Clusters};
use crate::config::WatchConfig;
use crate::level::{LevelInputs, RiskLevel, assess};
use crate::window::{HORIZON_S, Window};

/// Seconds in a 365-day year: realised volatility is annualised with it.
const YEAR_S: f64 = 365.0 * 24.0 * 3600.0;

/// Indicators of one symbol at the end of one second. Windows end at that second inclusive:
/// "the last 60 s" of second `t` is `t−59 ..= t`. Prices are marks when the stream has
/// mark-price updates for the symbol, else trade prices.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicators {
    /// End of the second, Unix milliseconds (`…999`).
    pub time_ms: u64,
    /// Symbol.
    pub symbol: String,
    /// Latest price (mark, or trade when the symbol has no marks).
    pub price: Option<Decimal>,
    /// `mark` or `trade`: where `price` comes from.
    pub price_source: &'static str,
    /// Notional of longs liquidated (SELL liquidation orders) over the last 60 s.
    pub liq_long_per_min: Decimal,
    /// Notional of shorts liquidated (BUY liquidation orders) over the last 60 s.
    pub liq_short_per_min: Decimal,
    /// Both sides over the 60 s before the last 60 s.
    pub liq_prev_min: Decimal,
    /// Acceleration: last minute's liquidated notional − the minute before's, per minute.
    pub liq_accel_per_min2: Decimal,
    /// Longs' share of the notional liquidated over the last 5 minutes (none without any).
    pub long_share_5m: Option<f64>,
    /// Price change over 1 minute, percent (none without a price that old).
    pub change_1m_pct: Option<f64>,
    /// Price change over 5 minutes, percent.
    pub change_5m_pct: Option<f64>,
    /// Price change over 15 minutes, percent.
    pub change_15m_pct: Option<f64>,
    /// Realised volatility of the one-second log returns over the last 5 minutes, annualised
    /// (√(mean r² × seconds per year)), percent; none with fewer than 60 returns.
    pub realized_vol_5m_pct: Option<f64>,
    /// Traded notional over the last 60 s (from aggregate trades).
    pub traded_per_min: Decimal,
    /// Nearest liquidation cluster ahead of the price (none without clusters for the coin).
    pub nearest_cluster: Option<ClusterDistance>,
    /// Cascade-risk level ([`crate::level`]).
    pub level: RiskLevel,
    /// Why the level is above calm, one phrase per step of the rule that raised it.
    pub reasons: Vec<String>,
}

fn pct(now: Option<Decimal>, then: Option<Decimal>) -> Option<f64> {
    let (n, t) = (now?, then?);
    if t <= Decimal::ZERO {
        return None;
    }
    ((n - t) / t * Decimal::ONE_HUNDRED).to_f64()
}

/// Computes the indicators of second `sec` from the window.
pub(crate) fn compute(
    w: &Window,
    symbol: &str,
    coin: &str,
    sec: u64,
    clusters: &Clusters,
    config: &WatchConfig,
) -> Indicators {
    let back = |s: u64| sec.saturating_sub(s);
    let oldest = back(HORIZON_S);
    let price = w.price_at(sec, oldest);
    let at = |s: u64| if sec >= s { w.price_at(sec - s, oldest) } else { None };
    let [long, short] = w.liquidated(back(59), sec);
    let prev = if sec >= 60 {
        let [l, s] = w.liquidated(back(119), sec - 60);
        l.saturating_add(s)
    } else {
        Decimal::ZERO
    };
    let last = long.saturating_add(short);
    let [l5, s5] = w.liquidated(back(299), sec);
    let long_share_5m = {
        let t = l5.saturating_add(s5);
        (t > Decimal::ZERO).then(|| (l5 / t).to_f64().unwrap_or(f64::NAN))
    };
    let realized_vol_5m_pct = {
        let mut sum = 0.0;
        let mut n = 0u32;
        let start = at(300);
        let mut prev_p: Option<f64> = start.and_then(|p| p.to_f64()).filter(|p| *p > 0.0);
        for p in w.second_prices(start, back(299), sec) {
            let p = p.and_then(|p| p.to_f64()).filter(|p| *p > 0.0);
            if let (Some(a), Some(b)) = (prev_p, p) {
                let r = (b / a).ln();
                sum += r * r;
                n += 1;
            }
            if p.is_some() {
                prev_p = p;
            }
        }
        (n >= 60).then(|| (sum / f64::from(n) * YEAR_S).sqrt() * 100.0)
    };
    let change_5m_pct = pct(price, at(300));
    let nearest_cluster = price.and_then(|p| clusters.nearest(coin, p));
    let (level, reasons) = assess(
        &LevelInputs {
            liq_last_min: last,
            liq_prev_min: prev,
            change_5m_pct,
            cluster_distance_pct: nearest_cluster.as_ref().map(|c| c.distance_pct),
        },
        config,
    );
    Indicators {
        time_ms: sec.saturating_mul(1000).saturating_add(999),
        symbol: symbol.to_string(),
        price,
        price_source: if w.has_mark { "mark" } else { "trade" },
        liq_long_per_min: long,
        liq_short_per_min: short,
        liq_prev_min: prev,
        liq_accel_per_min2: last - prev,
        long_share_5m,
        change_1m_pct: pct(price, at(60)),
        change_5m_pct,
        change_15m_pct: pct(price, at(900)),
        realized_vol_5m_pct,
        traded_per_min: w.traded(back(59), sec),
        nearest_cluster,
        level,
        reasons,
    }
}
