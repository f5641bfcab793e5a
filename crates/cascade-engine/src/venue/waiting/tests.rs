//! Setting waiting accounts aside must change nothing the venue does. Random Hyperliquid
//! sessions — positions on both sides, a maker whose quotes come and go inside and beyond the
//! band, a vault with or without capital, marks, time, deposits, traders' own orders, funding
//! and outside reads of the index — run with it on and off give the same events and the same
//! final records; and a hand case shows an account set aside and put back.

use std::cell::Cell;

use proptest::prelude::*;

use crate::book::Side;
use crate::instrument::{AssetId, FeeSchedule, InstrumentId, InstrumentSpec};
use crate::ledger::AccountId;
use crate::margin::tables::{Venue as Name, hyperliquid_table};
use crate::margin::tiers::RiskTiers;
use crate::num::{Cash, Price, Qty, Rate};
use crate::risk::rules::RuleSet;
use crate::venue::{OrderRequest, Venue, VenueConfig, VenueEvent};

thread_local! {
    /// Switches setting aside off on this thread (see [`super::enabled`]).
    pub(super) static OFF: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with setting aside on or off.
fn with_set_aside<T>(on: bool, f: impl FnOnce() -> T) -> T {
    OFF.with(|b| b.set(!on));
    let out = f();
    OFF.with(|b| b.set(false));
    out
}

const USDT: AssetId = AssetId(0);

fn usd(whole: i64) -> Cash {
    Cash::units(whole).unwrap()
}

/// A Hyperliquid venue with one zero-fee linear instrument (prices with one decimal:
/// `Price(1000)` = 100.0; quantities with three), market orders banded at `band_bps` from the
/// mark, margin not enforced, every invariant audited. `tiers`: one flat 5% table, or
/// Hyperliquid's two-tier 20x/10x rule with its tier edge at 50,000 USDC (continuous).
fn venue(band_bps: i64, two_tier: bool) -> (Venue, InstrumentId) {
    let mut v = Venue::new(VenueConfig {
        rules: RuleSet::of(Name::Hyperliquid),
        enforce_initial_margin: false,
        market_band: Rate::from_bps(band_bps),
        audit: true,
        ..VenueConfig::default()
    });
    let tiers = if two_tier {
        hyperliquid_table(&[(0, 20), (50_000, 10)]).unwrap()
    } else {
        RiskTiers::flat("0.05".parse().unwrap(), "0.1".parse().unwrap(), Cash::ZERO).unwrap()
    };
    let fees = FeeSchedule { maker: Rate::ZERO, taker: Rate::ZERO };
    let spec = InstrumentSpec { fees, ..InstrumentSpec::linear("XUSDT", USDT, 1, 3) };
    let ins = v.add_instrument_with_tiers(spec, tiers).unwrap();
    (v, ins)
}

#[derive(Debug, Clone)]
enum Op {
    /// The mark moves by `bps` basis points.
    Mark { bps: i64 },
    /// The maker rests a bid (`buy`) or an ask `bps` from the mark for `lots` lots.
    Quote { buy: bool, bps: i64, lots: i64 },
    /// The maker pulls every quote.
    Pull,
    /// The clock moves on.
    Time { ms: u64 },
    /// A trader deposits.
    Deposit { trader: usize, amount: i64 },
    /// A trader rests an order of its own `bps` from the mark.
    Order { trader: usize, buy: bool, bps: i64, lots: i64 },
    /// Funding at `bps` of the mark.
    Funding { bps: i64 },
    /// Someone reads the index from outside (the candidates, fresh triggers).
    Read,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => prop_oneof![-400i64..150, -1_500i64..600].prop_map(|bps| Op::Mark { bps }),
        3 => (any::<bool>(), -1_200i64..1_200, 1i64..3_000).prop_map(|(buy, bps, lots)| Op::Quote { buy, bps, lots }),
        2 => Just(Op::Pull),
        2 => (1u64..40_000).prop_map(|ms| Op::Time { ms }),
        1 => (0usize..12, 1i64..200).prop_map(|(trader, amount)| Op::Deposit { trader, amount }),
        1 => (0usize..12, any::<bool>(), -300i64..300, 1i64..500)
            .prop_map(|(trader, buy, bps, lots)| Op::Order { trader, buy, bps, lots }),
        1 => (-50i64..50).prop_map(|bps| Op::Funding { bps }),
        1 => Just(Op::Read),
    ]
}

/// A trader: (long, lots, wallet in whole USDT).
fn trader() -> impl Strategy<Value = (bool, i64, i64)> {
    (prop_oneof![3 => Just(true), 1 => Just(false)], 100i64..2_000_000, 1i64..8_000)
}

/// `p` moved by `bps` basis points, on the tick, at least one tick.
fn moved(p: Price, bps: i64) -> Price {
    Price((p.0 + p.0 * bps / 10_000).max(1))
}

/// Runs one session; returns every event and error of every step, then every account's record,
/// the fund and the backstop's state.
fn run(
    on: bool,
    (band, two_tier, vault): (i64, bool, i64),
    traders: &[(bool, i64, i64)],
    ops: &[Op],
) -> (Vec<String>, usize) {
    with_set_aside(on, || {
        let (mut v, ins) = venue(band, two_tier);
        if vault > 0 {
            v.set_backstop_capital(USDT, usd(vault)).unwrap();
        }
        let c = v.open_account().unwrap();
        v.deposit(c, USDT, usd(1_000_000_000)).unwrap();
        let maker = v.open_account().unwrap();
        v.deposit(maker, USDT, usd(1_000_000_000)).unwrap();
        let mut ev: Vec<VenueEvent> = Vec::new();
        let mut ids: Vec<AccountId> = Vec::new();
        for &(long, lots, wallet) in traders {
            let a = v.open_account().unwrap();
            v.deposit(a, USDT, usd(wallet)).unwrap();
            let (buyer, seller) = if long { (a, c) } else { (c, a) };
            let q = Qty(lots);
            v.place(seller, ins, OrderRequest::limit(Side::Sell, Price(1_000), q), &mut ev).unwrap();
            v.place(buyer, ins, OrderRequest::limit(Side::Buy, Price(1_000), q), &mut ev).unwrap();
            ids.push(a);
        }
        let mut out = vec![format!("{ev:?}")];
        ev.clear();
        let mut mark = Price(1_000);
        let mut now = 0u64;
        let mut most_waiting = 0;
        for o in ops {
            let r: Result<String, crate::venue::VenueError> = match *o {
                Op::Mark { bps } => {
                    mark = moved(mark, bps);
                    v.set_mark_price(ins, mark, &mut ev).map(|_| String::new())
                }
                Op::Quote { buy, bps, lots } => {
                    let side = if buy { Side::Buy } else { Side::Sell };
                    let req = OrderRequest::limit(side, moved(mark, bps), Qty(lots));
                    v.place(maker, ins, req, &mut ev).map(|_| String::new())
                }
                Op::Pull => v.cancel_all(maker, ins, &mut ev).map(|_| String::new()),
                Op::Time { ms } => {
                    now += ms;
                    v.set_time(now).map(|()| String::new())
                }
                Op::Deposit { trader, amount } => {
                    v.deposit(ids[trader % ids.len()], USDT, usd(amount)).map(|()| String::new())
                }
                Op::Order { trader, buy, bps, lots } => {
                    let side = if buy { Side::Buy } else { Side::Sell };
                    let req = OrderRequest::limit(side, moved(mark, bps), Qty(lots));
                    v.place(ids[trader % ids.len()], ins, req, &mut ev).map(|_| String::new())
                }
                Op::Funding { bps } => {
                    v.settle_funding_at(ins, Rate::from_bps(bps), mark, &mut ev).map(|_| String::new())
                }
                Op::Read => v.liquidation_candidates(ins).map(|c| format!("{c:?}")),
            };
            out.push(format!("{r:?} {ev:?}"));
            ev.clear();
            most_waiting = most_waiting.max(v.waiting_accounts());
        }
        v.refresh_index().unwrap();
        for (id, a) in v.ledger().accounts() {
            out.push(format!("{id:?} {a:?}"));
        }
        out.push(format!("{:?}", v.ledger().fund(v.fund_of(ins).unwrap())));
        out.push(format!("{:?}", v.backstop_state()));
        out.push(format!("{:?}", v.liquidation_candidates(ins)));
        (out, most_waiting)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    /// With and without setting aside: the same events, errors and final state.
    #[test]
    fn setting_aside_changes_nothing(
        setup in (prop_oneof![Just(0i64), Just(500), Just(2_000)], any::<bool>(), prop_oneof![3 => Just(0i64), 1 => Just(50), 1 => Just(100_000)]),
        traders in prop::collection::vec(trader(), 1..12),
        ops in prop::collection::vec(op(), 1..120),
    ) {
        let (with, waited) = run(true, setup, &traders, &ops);
        let (without, none) = run(false, setup, &traders, &ops);
        prop_assert_eq!(none, 0);
        prop_assert_eq!(with, without, "set aside at most {} at once", waited);
    }
}

/// L long 2.000 at 100.0 on 12 USDT, flat 5% maintenance, no vault capital, market orders
/// banded at 5%. At 97.0: equity 12 − 6 = 6 < 5% × 194 = 9.7, so liquidatable, and below 2/3
/// of it (6.47), but the vault (equity 0, maintenance 0) refuses: 0 + 6 ≤ 0 + 9.7. The book is
/// empty, so the sell meets nothing and L waits: set aside. At 96.0 (equity 4, not negative;
/// bankruptcy price 100 − 12/2 = 94.0) it stays aside, still an entry of the index. A bid of
/// 5.000 at 95.0 rests, inside the band (96 × 0.95 = 91.2), so the next pass puts L back and
/// sells its 2.000 to it at 95.0.
#[test]
fn a_waiting_account_is_set_aside_and_put_back_when_a_bid_comes() {
    let (mut v, ins) = venue(500, false);
    let (l, s, m) = (v.open_account().unwrap(), v.open_account().unwrap(), v.open_account().unwrap());
    v.deposit(l, USDT, usd(12)).unwrap();
    v.deposit(s, USDT, usd(1_000)).unwrap();
    v.deposit(m, USDT, usd(1_000)).unwrap();
    let mut ev = Vec::new();
    v.place(s, ins, OrderRequest::limit(Side::Sell, Price(1_000), Qty(2_000)), &mut ev).unwrap();
    v.place(l, ins, OrderRequest::limit(Side::Buy, Price(1_000), Qty(2_000)), &mut ev).unwrap();
    ev.clear();
    v.set_mark_price(ins, Price(970), &mut ev).unwrap();
    assert!(!ev.iter().any(|e| matches!(e, VenueEvent::Liquidation(_))));
    assert_eq!(v.waiting_accounts(), 1);
    v.set_time(1_000).unwrap();
    v.set_mark_price(ins, Price(960), &mut ev).unwrap();
    assert_eq!(v.waiting_accounts(), 1);
    assert_eq!(v.indexed_positions(ins).unwrap(), 2, "still an entry of the index while aside");
    v.place(m, ins, OrderRequest::limit(Side::Buy, Price(950), Qty(5_000)), &mut ev).unwrap();
    ev.clear();
    v.set_time(2_000).unwrap();
    v.set_mark_price(ins, Price(960), &mut ev).unwrap();
    let sold: Vec<(Qty, Price)> = ev
        .iter()
        .filter_map(|e| match e {
            VenueEvent::Liquidation(r) if r.account == l => Some((r.qty, r.price)),
            _ => None,
        })
        .collect();
    assert_eq!(sold, vec![(Qty(2_000), Price(950))]);
    assert_eq!(v.waiting_accounts(), 0);
}
