//! Property tests of the liquidation waterfall under every venue rule set: leveraged traders
//! (cross and isolated, on two instruments, some of them 1x hedgers) opened against a market
//! maker, then random mark paths with jumps while the maker's book thins. With the venue's
//! audit on, every invariant (money conserved, long OI = short OI, clearing + claims = 0, no
//! crossed book) is checked after every settled trade and every liquidation step; after every
//! mark update:
//! * no insurance fund is negative (the fund never pays more than it holds);
//! * no account is left liquidatable where the venue resolves at once (Binance, Bybit, OKX,
//!   BitMEX, Drift); on Hyperliquid and dYdX, which wait for the book (one step per block),
//!   no account is left with negative equity once the blocks have run;
//! * every ADL closed an opposite position at the price the venue's rule names (the test's own
//!   mark path for mark / previous mark; for the bankruptcy price, on the bankrupt side's loss
//!   side of the mark);
//! * ADL is profitable-first: an unprofitable counterparty is reached only once no profitable
//!   opposite position is left (dYdX walks offsetting accounts unranked, so it is exempt);
//! * no profitable opposite position is skipped while the backstop books a bankrupt remainder
//!   nobody would take (the path that ends in bad debt).

use cascade_engine::book::Side;
use cascade_engine::instrument::{AssetId, InstrumentId, InstrumentSpec};
use cascade_engine::ledger::AccountId;
use cascade_engine::margin::tables::Venue as VenueName;
use cascade_engine::num::{Cash, Price, Qty};
use cascade_engine::position::{MarginMode, Position};
use cascade_engine::risk::rules::{AdlPrice, AdlRanking, CloseFee, RuleSet};
use cascade_engine::venue::{LiquidationKind, OrderRequest, Venue, VenueConfig, VenueEvent};
use proptest::prelude::*;

const USDT: AssetId = AssetId(0);
const START: [i64; 2] = [1_000_000, 40_000]; // 100,000.0 and 4,000.0

fn spec(symbol: &str) -> InstrumentSpec {
    InstrumentSpec::linear(symbol, USDT, 1, 3)
}

#[derive(Debug, Clone)]
struct Trader {
    long: bool,
    leverage: u16,
    /// Notional in USDT.
    notional: i64,
    isolated: bool,
    both: bool,
}

fn trader() -> impl Strategy<Value = Trader> {
    (
        prop::bool::weighted(0.7),
        prop::sample::select(vec![2u16, 5, 10, 20, 25, 50]),
        500i64..60_000,
        prop::bool::weighted(0.3),
        prop::bool::weighted(0.3),
    )
        .prop_map(|(long, leverage, notional, isolated, both)| Trader {
            long,
            leverage,
            notional,
            isolated,
            both,
        })
}

/// Cancels the maker's quotes and lays a fresh ladder of `levels` levels around `mid`.
fn requote(
    v: &mut Venue,
    mm: AccountId,
    ins: InstrumentId,
    mid: i64,
    levels: u32,
    size: i64,
    ev: &mut Vec<VenueEvent>,
) {
    v.cancel_all(mm, ins, ev).unwrap();
    for l in 1..=i64::from(levels) {
        let step = (mid / 500).max(1) * l;
        for (side, px) in [(Side::Buy, mid - step), (Side::Sell, mid + step)] {
            if px > 0 {
                let _ = v.place(mm, ins, OrderRequest::limit(side, Price(px), Qty(size)), ev);
            }
        }
    }
}

fn snapshot(v: &Venue) -> Vec<(AccountId, Vec<Position>)> {
    v.ledger().accounts().map(|(id, a)| (id, a.positions().to_vec())).collect()
}

/// Returns (liquidation steps, ADL fills, takeovers).
fn run(
    venue: VenueName,
    traders: &[Trader],
    fund: i64,
    path: &[(u8, i64, u32)],
) -> Result<(usize, usize, usize), TestCaseError> {
    let rules = RuleSet::of(venue);
    let mut v = Venue::new(VenueConfig { rules, audit: true, ..VenueConfig::default() });
    let ins = [v.add_instrument(spec("BTCUSDT")).unwrap(), v.add_instrument(spec("ETHUSDT")).unwrap()];
    // Binance's BTC/ETH ADL guarantee would keep ADL out of these tests; it has its own.
    for i in ins {
        v.set_adl_guarantee(i, None).unwrap();
    }
    if venue == VenueName::Hyperliquid && fund > 0 {
        // The liquidator vault's own capital (sometimes too little to take everyone).
        v.set_backstop_capital(USDT, Cash::units(fund * 20).unwrap()).unwrap();
    }
    for (i, p) in START.iter().enumerate() {
        v.set_mark_price(ins[i], Price(*p), &mut Vec::new()).unwrap();
    }
    if fund > 0 {
        v.seed_insurance_fund(USDT, Cash::units(fund).unwrap()).unwrap();
    }
    let mm = v.open_account().unwrap();
    v.deposit(mm, USDT, Cash::units(1_000_000_000).unwrap()).unwrap();
    let mut ev = Vec::new();
    for (i, p) in START.iter().enumerate() {
        requote(&mut v, mm, ins[i], *p, 20, 50_000, &mut ev);
    }
    for t in traders {
        let a = v.open_account().unwrap();
        let margin = t.notional / i64::from(t.leverage) + t.notional / 100;
        v.deposit(a, USDT, Cash::units(margin * if t.both { 2 } else { 1 }).unwrap()).unwrap();
        let targets: &[usize] = if t.both { &[0, 1] } else { &[0] };
        for &k in targets {
            if t.isolated && !t.both {
                v.set_margin_mode(a, ins[k], MarginMode::Isolated).unwrap();
            }
            // Above the venue's maximum the position keeps the tier's maximum leverage.
            let _ = v.set_leverage(a, ins[k], t.leverage);
            // Quantity in 0.001 units for the notional at the start price.
            let qty = (t.notional * 10_000 / START[k]).max(1);
            let side = if t.long { Side::Buy } else { Side::Sell };
            let _ = v.place(a, ins[k], OrderRequest::market(side, Qty(qty)), &mut ev);
        }
    }
    v.check_invariants().map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut marks = START;
    let mut prevs = START;
    let (mut liquidations, mut adls, mut takeovers) = (0usize, 0usize, 0usize);
    let waits = matches!(venue, VenueName::Hyperliquid | VenueName::Dydx);
    let mut now = 0_u64;
    for &(k, step_bps, depth) in path {
        let k = usize::from(k % 2);
        prevs[k] = marks[k];
        marks[k] = (marks[k] + marks[k] * step_bps / 10_000).max(10);
        requote(&mut v, mm, ins[k], marks[k], depth, 2_000, &mut ev);
        let before = snapshot(&v);
        ev.clear();
        now += 1_000;
        v.set_time(now).unwrap();
        v.set_mark_price(ins[k], Price(marks[k]), &mut ev)
            .map_err(|e| TestCaseError::fail(format!("{e} at mark {}", marks[k])))?;
        if waits {
            // Later blocks at the same mark: the venue's next attempts (the ADL price rule
            // then reads this mark as the previous one).
            for _ in 0..20 {
                now += 1_000;
                v.set_time(now).unwrap();
                let n = ev.len();
                requote(&mut v, mm, ins[k], marks[k], depth, 2_000, &mut ev);
                ev.truncate(n);
                v.set_mark_price(ins[k], Price(marks[k]), &mut ev).unwrap();
                if ev.len() == n {
                    break;
                }
            }
        }
        v.check_invariants().map_err(|e| TestCaseError::fail(format!("{e} at mark {}", marks[k])))?;
        let fund_balance = v.ledger().fund(v.fund_of(ins[k]).unwrap()).unwrap().balance;
        prop_assert!(!fund_balance.is_negative(), "the fund paid more than it held: {fund_balance}");
        let mark_k = Price(marks[k]);
        let profitable = |id: AccountId, long_side: bool| -> bool {
            v.ledger().account(id).ok().and_then(|a| a.position(ins[k]).copied()).is_some_and(|p| {
                !p.size.is_zero()
                    && p.size.is_positive() == long_side
                    && p.unrealized_pnl(v.instrument(ins[k]).unwrap(), mark_k).unwrap().is_positive()
            })
        };
        let size_now = |id: AccountId| -> Qty {
            v.ledger().account(id).ok().and_then(|a| a.position(ins[k]).map(|p| p.size)).unwrap_or(Qty::ZERO)
        };
        for (n, e) in ev.iter().enumerate() {
            match *e {
                VenueEvent::Liquidation(r) => {
                    liquidations += 1;
                    takeovers += usize::from(!matches!(r.kind, LiquidationKind::Book | LiquidationKind::Adl));
                    prop_assert!(r.qty.is_positive());
                    prop_assert_eq!(r.mark, Price(marks[usize::from(r.instrument.0)]));
                    // What neither the backstop's room nor ADL absorbed: ADL must have run out
                    // of every profitable opposite position — nobody who held one before this
                    // update still holds it untouched (dYdX may skip one the fill would bankrupt).
                    if r.kind == LiquidationKind::Residual && rules.adl_ranking != AdlRanking::DydxOffset {
                        for (id, ps) in &before {
                            if *id == r.account || Some(*id) == v.backstop() || r.instrument != ins[k] {
                                continue;
                            }
                            let Some(p) = ps.iter().find(|p| p.instrument == ins[k]) else { continue };
                            prop_assert!(
                                !(profitable(*id, !r.long) && size_now(*id) == p.size),
                                "profitable account {} skipped by ADL",
                                id.0
                            );
                        }
                    }
                }
                VenueEvent::Adl { instrument, liquidated, counterparty, price, .. } => {
                    adls += 1;
                    let was = before
                        .iter()
                        .find(|(id, _)| *id == counterparty)
                        .and_then(|(_, ps)| ps.iter().find(|p| p.instrument == instrument).copied())
                        .expect("counterparty held a position");
                    let bankrupt = before
                        .iter()
                        .find(|(id, _)| *id == liquidated)
                        .and_then(|(_, ps)| ps.iter().find(|p| p.instrument == instrument).copied())
                        .expect("bankrupt account held a position");
                    prop_assert!(was.size.signum() == -bankrupt.size.signum(), "ADL on the same side");
                    let ins_ref = v.instrument(instrument).unwrap();
                    let mark = Price(marks[usize::from(instrument.0)]);
                    let upnl = was.unrealized_pnl(ins_ref, mark).unwrap();
                    if !upnl.is_positive() && rules.adl_ranking != AdlRanking::DydxOffset && !waits {
                        // Profitable first: nobody who was profitable is still holding untouched.
                        for (id, ps) in &before {
                            if *id == liquidated || Some(*id) == v.backstop() {
                                continue;
                            }
                            let Some(p) = ps.iter().find(|p| p.instrument == instrument) else { continue };
                            let now_size = v
                                .ledger()
                                .account(*id)
                                .ok()
                                .and_then(|a| a.position(instrument).map(|q| q.size))
                                .unwrap_or(Qty::ZERO);
                            prop_assert!(
                                !(p.size.signum() == was.size.signum()
                                    && p.unrealized_pnl(ins_ref, mark).unwrap().is_positive()
                                    && now_size == p.size),
                                "unprofitable account {} deleveraged before profitable {}",
                                counterparty.0,
                                id.0
                            );
                        }
                    }
                    let bankrupt_long = bankrupt.size.is_positive();
                    match rules.adl_price {
                        AdlPrice::Mark => prop_assert_eq!(price, mark),
                        // OKX: the mark, or — once its fund is depleted, which this test cannot
                        // see at the moment of the fill — the bankruptcy price, checked below.
                        AdlPrice::MarkUnlessFundDepleted { .. } if price == mark => {}
                        AdlPrice::PreviousMark if !waits => {
                            prop_assert_eq!(price, Price(prevs[usize::from(instrument.0)]))
                        }
                        // Later blocks at the same mark have this mark as the previous one.
                        AdlPrice::PreviousMark => prop_assert!(
                            price == Price(prevs[usize::from(instrument.0)]) || price == mark,
                            "ADL at {price:?}, neither the previous mark nor the mark"
                        ),
                        // An isolated position untouched earlier in this step: its bankruptcy
                        // price is where its margin is gone, value(BP) = cost ∓ margin (linear,
                        // by hand), so ADL must close it there (within one price unit).
                        AdlPrice::Bankruptcy | AdlPrice::MarkUnlessFundDepleted { .. } => {
                            let untouched = !ev[..n].iter().any(|x| match x {
                                VenueEvent::Trade(t) => t.taker == liquidated || t.maker == liquidated,
                                _ => false,
                            });
                            if bankrupt.mode == MarginMode::Isolated && untouched {
                                // With a fee to close f (Bybit, OKX): margin ± (V − cost) = f·V,
                                // so V = (cost − margin)/(1 − f) for a long, (cost + margin)/(1 + f)
                                // for a short.
                                let f = i128::from(match rules.close_fee {
                                    CloseFee::None => 0,
                                    CloseFee::Taker => ins_ref.spec().fees.taker.0,
                                    CloseFee::LiquidationFee => rules.liquidation_fee.0,
                                });
                                let one = 100_000_000_i128;
                                let (c, m) =
                                    (i128::from(bankrupt.cost.0), i128::from(bankrupt.isolated_margin.0));
                                let target = Cash(if bankrupt_long {
                                    ((c - m) * one / (one - f)) as i64
                                } else {
                                    ((c + m) * one / (one + f)) as i64
                                });
                                let bp = ins_ref
                                    .price_for_value(
                                        target.max(Cash(0)),
                                        bankrupt.size.abs(),
                                        cascade_engine::num::Round::Floor,
                                    )
                                    .unwrap();
                                prop_assert!(
                                    (price.0 - bp.0).abs() <= 1,
                                    "ADL at {price:?}, bankruptcy price {bp:?}"
                                );
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        // Every position on the instrument whose mark moved has been dealt with.
        for (id, acc) in v.ledger().accounts() {
            if Some(id) == v.backstop() {
                continue;
            }
            for p in acc.positions().iter().filter(|p| !p.size.is_zero() && p.instrument == ins[k]) {
                let s = v.position_margin(id, p.instrument).unwrap();
                prop_assert!(
                    if waits { !s.equity.is_negative() } else { !s.liquidatable() },
                    "account {} left below maintenance: {:?} position {:?} mark {:?} events {:?}",
                    id.0,
                    s,
                    p,
                    marks,
                    ev
                );
            }
        }
    }
    Ok((liquidations, adls, takeovers))
}

fn venue_name() -> impl Strategy<Value = VenueName> {
    prop::sample::select(VenueName::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn liquidation_passes_keep_every_invariant(
        venue in venue_name(),
        traders in prop::collection::vec(trader(), 5..40),
        fund in prop::sample::select(vec![0i64, 500, 50_000]),
        path in prop::collection::vec((any::<u8>(), -900i64..500, 1u32..12), 10..60),
    ) {
        run(venue, &traders, fund, &path)?;
    }
}

/// A deterministic crash under every rule set must liquidate, drain a small fund and reach ADL
/// or backstop takeovers — so the properties above are not passing on an idle engine.
#[test]
fn a_crash_liquidates_under_every_rule_set() {
    let traders: Vec<Trader> = (0..30)
        .map(|i| Trader {
            long: i % 5 != 0,
            leverage: [5, 10, 20, 25, 50][i % 5],
            notional: 20_000 + 1_000 * i as i64,
            isolated: i % 3 == 0,
            both: i % 4 == 0,
        })
        .collect();
    let path: Vec<(u8, i64, u32)> = (0..30).map(|i| ((i % 2) as u8, -300, 2)).collect();
    for venue in VenueName::ALL {
        let (liquidations, adls, takeovers) = run(venue, &traders, 100, &path).unwrap();
        eprintln!("{venue}: {liquidations} liquidation steps, {adls} ADL fills, {takeovers} takeovers");
        assert!(liquidations >= 5, "{venue}: only {liquidations} liquidations");
        assert!(adls + takeovers > 0, "{venue}: the fund and ADL were never reached");
    }
}
