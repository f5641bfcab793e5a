//! The liquidation index parks triggers far from the mark (`risk::index`). Parking must never
//! hide an account the exact margin check calls liquidatable, nor change who the liquidation
//! pass looks at or in which order. Random traders (any deposit, long or short, up to ~200x
//! through a venue that does not enforce initial margin) trade against a maker, deposit,
//! withdraw and trade again while the mark wanders ±40% (so the parking zone is re-drawn many
//! times); after every step:
//! * every account `position_margin(..).liquidatable()` says is liquidatable at the mark is
//!   among `liquidation_candidates` (the exact solve against the index);
//! * the candidates are exactly the positions whose stored trigger the mark crossed, most
//!   underwater first — what the index returned before parking existed.

use cascade_engine::book::Side;
use cascade_engine::instrument::{AssetId, FeeSchedule, InstrumentId, InstrumentSpec};
use cascade_engine::ledger::AccountId;
use cascade_engine::num::{Cash, Price, Qty, Rate};
use cascade_engine::venue::{OrderRequest, Venue, VenueConfig};
use proptest::prelude::*;

const USDT: AssetId = AssetId(0);

/// BTCUSDT to 0.1 USDT and 0.001 BTC with Binance's default tiers; a maker with 10^9 USDT
/// rests 1,000 BTC every 1% from 50,000 to 150,000 on both sides of 100,000.
fn venue() -> (Venue, InstrumentId, AccountId) {
    let mut v = Venue::new(VenueConfig {
        liquidations: false,
        enforce_initial_margin: false,
        ..VenueConfig::default()
    });
    let spec = InstrumentSpec {
        fees: FeeSchedule { maker: Rate::from_bps(2), taker: Rate::from_bps(5) },
        ..InstrumentSpec::linear("BTCUSDT", USDT, 1, 3)
    };
    let btc = v.add_instrument(spec).unwrap();
    let mm = v.open_account().unwrap();
    v.deposit(mm, USDT, Cash::units(1_000_000_000).unwrap()).unwrap();
    let mut ev = Vec::new();
    v.set_mark_price(btc, Price(1_000_000), &mut ev).unwrap();
    for k in 1..=50 {
        let (bid, ask) = (1_000_000 - k * 10_000, 1_000_000 + k * 10_000);
        v.place(mm, btc, OrderRequest::limit(Side::Buy, Price(bid), Qty(1_000_000)), &mut ev).unwrap();
        v.place(mm, btc, OrderRequest::limit(Side::Sell, Price(ask), Qty(1_000_000)), &mut ev).unwrap();
    }
    (v, btc, mm)
}

#[derive(Debug, Clone)]
enum Step {
    /// Trader `k` sends a market order of `qty` lots (sign: side).
    Trade(usize, i64),
    /// Trader `k` deposits `n` USDT.
    Deposit(usize, i64),
    /// Trader `k` withdraws what it may, capped at `n` USDT.
    Withdraw(usize, i64),
    /// The mark moves to `p` price units.
    Mark(i64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0usize..12, -20_000i64..20_000).prop_map(|(k, q)| Step::Trade(k, q)),
        1 => (0usize..12, 1i64..50_000).prop_map(|(k, n)| Step::Deposit(k, n)),
        1 => (0usize..12, 1i64..50_000).prop_map(|(k, n)| Step::Withdraw(k, n)),
        3 => (600_000i64..1_400_000).prop_map(Step::Mark),
    ]
}

/// Positions whose stored trigger `mark` crossed, most underwater first (longs from the
/// highest trigger down, then shorts from the lowest up), ties by account.
fn crossed_by_trigger(v: &Venue, btc: InstrumentId, mark: i64) -> Vec<AccountId> {
    let mut longs = Vec::new();
    let mut shorts = Vec::new();
    for (id, a) in v.ledger().accounts() {
        let Some(p) = a.position(btc) else { continue };
        if p.trigger > 0 && mark <= p.trigger {
            longs.push((p.trigger, id));
        } else if p.trigger < 0 && mark >= -p.trigger {
            shorts.push((-p.trigger, id));
        }
    }
    longs.sort_unstable();
    shorts.sort_unstable();
    longs.iter().rev().chain(shorts.iter()).map(|e| e.1).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn parked_accounts_are_never_liquidatable(
        deposits in prop::collection::vec(500i64..200_000, 12),
        steps in prop::collection::vec(step(), 1..120),
    ) {
        let (mut v, btc, _mm) = venue();
        let traders: Vec<AccountId> = deposits
            .iter()
            .map(|&d| {
                let a = v.open_account().unwrap();
                v.deposit(a, USDT, Cash::units(d).unwrap()).unwrap();
                a
            })
            .collect();
        let mut mark = 1_000_000;
        let mut ev = Vec::new();
        for s in steps {
            match s {
                Step::Trade(k, q) if q != 0 => {
                    let side = if q > 0 { Side::Buy } else { Side::Sell };
                    // Refusals (price band, empty side) change nothing and are fine here.
                    let _ = v.place(traders[k], btc, OrderRequest::market(side, Qty(q.abs())), &mut ev);
                }
                Step::Trade(..) => {}
                Step::Deposit(k, n) => v.deposit(traders[k], USDT, Cash::units(n).unwrap()).unwrap(),
                Step::Withdraw(k, n) => {
                    let free = v.withdrawable(traders[k], USDT).unwrap();
                    let amount = free.min(Cash::units(n).unwrap());
                    if amount.is_positive() {
                        v.withdraw(traders[k], USDT, amount).unwrap();
                    }
                }
                Step::Mark(p) => {
                    mark = p;
                    v.set_mark_price(btc, Price(p), &mut ev).unwrap();
                }
            }
            ev.clear();
            let candidates = v.liquidation_candidates(btc).unwrap();
            for &a in &traders {
                if v.position_margin(a, btc).unwrap().liquidatable() {
                    prop_assert!(candidates.contains(&a), "account {} is liquidatable at {} but not a candidate", a.0, mark);
                }
            }
            prop_assert_eq!(candidates, crossed_by_trigger(&v, btc, mark));
        }
    }
}

/// The zone is ±10% around the mark: a 2x long's trigger (≈ half its entry) is parked, a 50x
/// long's (≈ 2% under its entry) is ordered; both are found once the mark gets there. The
/// maker's 2 BTC short, backed by 10^9 USDT, stays parked throughout.
#[test]
fn a_far_trigger_is_parked_and_still_found() {
    let (mut v, btc, _) = venue();
    let mut ev = Vec::new();
    let calm = v.open_account().unwrap();
    let hot = v.open_account().unwrap();
    // 1 BTC bought at 101,000 (the best ask): 50,500 backs the calm one (≈ 2x), 2,020 the hot one (≈ 50x).
    v.deposit(calm, USDT, Cash::units(50_500).unwrap()).unwrap();
    v.deposit(hot, USDT, Cash::units(2_020).unwrap()).unwrap();
    for a in [calm, hot] {
        v.place(a, btc, OrderRequest::market(Side::Buy, Qty(1_000)), &mut ev).unwrap();
    }
    assert!(v.liquidation_candidates(btc).unwrap().is_empty());
    assert_eq!((v.indexed_positions(btc).unwrap(), v.parked_positions(btc).unwrap()), (3, 2));
    v.set_mark_price(btc, Price(990_000), &mut ev).unwrap();
    assert_eq!(v.liquidation_candidates(btc).unwrap(), vec![hot]);
    v.set_mark_price(btc, Price(500_000), &mut ev).unwrap();
    assert_eq!(v.liquidation_candidates(btc).unwrap(), vec![hot, calm]);
    assert_eq!(v.parked_positions(btc).unwrap(), 1);
}
