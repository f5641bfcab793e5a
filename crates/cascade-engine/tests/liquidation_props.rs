//! Property tests of the liquidation engine under every venue rule set: leveraged traders
//! (cross and isolated, on two instruments) opened against a market maker, then random mark
//! paths with jumps while the maker's book thins. After every mark update:
//! * every invariant holds (money conserved, long OI = short OI, clearing + claims = 0);
//! * no account is left liquidatable (equity ≤ maintenance) — the pass closed it enough;
//! * every ADL closed a position that was profitable at the mark, on the opposite side, at the
//!   price the venue's rule names (bankruptcy price, mark or previous mark).

use cascade_engine::book::Side;
use cascade_engine::instrument::{AssetId, InstrumentId, InstrumentSpec};
use cascade_engine::ledger::AccountId;
use cascade_engine::margin::tables::Venue as VenueName;
use cascade_engine::num::{Cash, Price, Qty};
use cascade_engine::position::{MarginMode, Position};
use cascade_engine::risk::rules::{AdlPrice, RuleSet};
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
    let mut v = Venue::new(VenueConfig { rules, ..VenueConfig::default() });
    let ins = [v.add_instrument(spec("BTCUSDT")).unwrap(), v.add_instrument(spec("ETHUSDT")).unwrap()];
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
    for &(k, step_bps, depth) in path {
        let k = usize::from(k % 2);
        prevs[k] = marks[k];
        marks[k] = (marks[k] + marks[k] * step_bps / 10_000).max(10);
        requote(&mut v, mm, ins[k], marks[k], depth, 2_000, &mut ev);
        let before = snapshot(&v);
        ev.clear();
        v.set_mark_price(ins[k], Price(marks[k]), &mut ev).unwrap();
        v.check_invariants().map_err(|e| TestCaseError::fail(format!("{e} at mark {}", marks[k])))?;
        for (n, e) in ev.iter().enumerate() {
            match *e {
                VenueEvent::Liquidation(r) => {
                    liquidations += 1;
                    takeovers += usize::from(!matches!(r.kind, LiquidationKind::Book | LiquidationKind::Adl));
                    prop_assert!(r.qty.is_positive());
                    prop_assert_eq!(r.mark, Price(marks[usize::from(r.instrument.0)]));
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
                    let upnl = was
                        .unrealized_pnl(
                            v.instrument(instrument).unwrap(),
                            Price(marks[usize::from(instrument.0)]),
                        )
                        .unwrap();
                    prop_assert!(upnl.is_positive(), "ADL closed an unprofitable position: upnl {upnl}");
                    match rules.adl_price {
                        AdlPrice::Mark => prop_assert_eq!(price, Price(marks[usize::from(instrument.0)])),
                        AdlPrice::PreviousMark => {
                            prop_assert_eq!(price, Price(prevs[usize::from(instrument.0)]))
                        }
                        AdlPrice::Bankruptcy => {
                            // The liquidation report that closes this ADL step follows it.
                            let bp = ev[n..].iter().find_map(|x| match x {
                                VenueEvent::Liquidation(r)
                                    if r.account == liquidated && r.kind == LiquidationKind::Adl =>
                                {
                                    Some(r.bankruptcy_price)
                                }
                                _ => None,
                            });
                            prop_assert_eq!(Some(price), bp);
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
                    !s.liquidatable(),
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
