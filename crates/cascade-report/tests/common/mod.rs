//! A synthetic run for tests, made through the simulator's own `Recorder` with integer
//! arithmetic only (so the numbers are the same on every machine): three markets on two venues,
//! a calm first half, an 8 % crash over a tenth of the run with long liquidations and ADL, then
//! a partial rebound that liquidates some shorts.

#![allow(dead_code)]

use cascade_sim::metrics::{
    AdlRow, LiquidationKind, LiquidationRow, MarginMode, MarketSnapshot, PositionSide, Recorder, Recording,
};
use cascade_sim::scheduler::SimTime;
use rust_decimal::Decimal;

fn dec(raw: i64, scale: u32) -> Decimal {
    Decimal::new(raw, scale)
}

/// Price in cents at step `i` of `n` for a market whose calm price is `base` cents.
fn path(i: u64, n: u64, base: i64) -> i64 {
    let wiggle = [0, 3, 5, 2, -1, -4, -2, 1][(i % 8) as usize] * base / 10_000;
    let crash_start = n / 2;
    let crash_len = (n / 10).max(1);
    let drop = if i <= crash_start {
        0
    } else if i <= crash_start + crash_len {
        base * 8 * (i - crash_start) as i64 / (100 * crash_len as i64)
    } else {
        // Rebound: half the drop back over the next tenth, then flat.
        let back = ((i - crash_start - crash_len).min(crash_len)) as i64;
        base * 8 / 100 - base * 4 * back / (100 * crash_len as i64)
    };
    base - drop + wiggle
}

/// A run of `n` one-second samples.
pub fn recording(n: u64) -> Recording {
    let mut r = Recorder::new(SimTime::from_secs(1));
    let markets = [
        (r.add_market("binance", "BTCUSDT"), "binance", "BTCUSDT", 10_000_000i64),
        (r.add_market("binance", "ETHUSDT"), "binance", "ETHUSDT", 350_000),
        (r.add_market("hyperliquid", "BTC"), "hyperliquid", "BTC", 10_001_000),
    ];
    let mut fund = [500_000_000i64, 100_000_000]; // cents: binance, hyperliquid
    let mut account = 1u32;
    let crash = (n / 2, n / 2 + (n / 10).max(1));
    for i in 1..=n {
        for (k, (key, venue, sym, base)) in markets.iter().enumerate() {
            let p = path(i, n, *base);
            r.on_trade(*key, dec(p, 2), dec(10, 2), dec(p * 10, 4));
            let v = usize::from(k == 2);
            let in_crash = i > crash.0 && i <= crash.1;
            let rebound = i > crash.1 && i <= crash.1 + (n / 20).max(1);
            if in_crash || rebound {
                let side = if in_crash { PositionSide::Long } else { PositionSide::Short };
                let qty = 5 + (i % 7) as i64 + k as i64;
                let notional = p * qty; // cents × (qty / 100) ⇒ scale 4
                let shortfall = if in_crash && i % 3 == 0 { notional / 200 } else { 0 };
                fund[v] -= shortfall / 100;
                r.on_liquidation(
                    *key,
                    LiquidationRow {
                        time_ms: i * 1000 - 500,
                        venue: (*venue).into(),
                        instrument: (*sym).into(),
                        account,
                        side,
                        margin_mode: if i % 2 == 0 { MarginMode::Cross } else { MarginMode::Isolated },
                        kind: if i % 4 == 0 { LiquidationKind::Partial } else { LiquidationKind::Full },
                        qty: dec(qty, 2),
                        price: dec(p, 2),
                        notional: dec(notional, 4),
                        mark_price: dec(p + 5, 2),
                        bankruptcy_price: Some(dec(p - 50, 2)),
                        fee: dec(notional / 200, 4),
                        insurance_fund_change: dec(-shortfall, 4),
                        bad_debt: Decimal::ZERO,
                    },
                );
                account += 1;
            }
            if k == 2 && in_crash && i % 4 == 0 {
                r.on_adl(
                    *key,
                    AdlRow {
                        time_ms: i * 1000 - 200,
                        venue: (*venue).into(),
                        instrument: (*sym).into(),
                        account: 9_000 + i as u32,
                        side: PositionSide::Short,
                        qty: dec(3, 2),
                        price: dec(p - 40, 2),
                        notional: dec((p - 40) * 3, 4),
                        realized_pnl: dec(1_234, 2),
                        rank: Some(0),
                        leverage: None,
                        liquidated_account: Some(account - 1),
                    },
                );
            }
        }
        let t = SimTime::from_secs(i);
        r.sample(t, |key| {
            let k = key.0 as usize;
            let base = markets[k].3;
            let p = path(i, n, base);
            let v = usize::from(k == 2);
            let thin = if i > crash.0 && i <= crash.1 { 3 } else { 1 };
            let depth = base * 40 / thin;
            MarketSnapshot {
                last: Some(dec(p, 2)),
                mark: Some(dec(p + 5, 2)),
                index: Some(dec(p + 12, 2)),
                best_bid: Some(dec(p - thin * 10, 2)),
                best_ask: Some(dec(p + thin * 10, 2)),
                bid_depth_1pct: dec(depth, 2),
                ask_depth_1pct: dec(depth * 9 / 10, 2),
                bid_depth_5pct: dec(depth * 4, 2),
                ask_depth_5pct: dec(depth * 37 / 10, 2),
                open_interest: dec(120_000 - (i as i64 % 50) * 10, 3),
                open_interest_notional: dec(p * (1_200 - (i as i64 % 50) / 10), 2),
                insurance_fund: dec(fund[v], 2),
                bad_debt: if v == 1 && i > crash.1 { dec(12_345, 2) } else { Decimal::ZERO },
                funding_rate: Some(dec(100 - (i as i64 % 30) * 5, 6)),
                ..MarketSnapshot::default()
            }
        });
    }
    let mut rec = r.finish("synthetic-crash", 7, SimTime::from_secs(n), dec(250_000_000, 2));
    // The same run without forced liquidations fell half as far: amplification 2.
    let mut cf = rec.summary.clone();
    cf.totals.peak_to_trough_pct /= 2.0;
    for m in &mut cf.instruments {
        m.max_mark_drop_pct /= 2.0;
    }
    rec.summary.set_counterfactual(&cf);
    rec
}
