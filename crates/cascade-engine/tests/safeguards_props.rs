//! Property tests of the safeguards under every venue rule set: leveraged traders opened
//! against a market maker, random safeguards (circuit breaker, bands, pacing, ADL variant, fund
//! threshold, external backstop), then random mark paths with jumps. With the venue's audit on,
//! every invariant (money conserved, the external backstop's deposits counted; long OI = short
//! OI; clearing + claims = 0; no crossed book) is checked after every trade and liquidation
//! step; after every mark update no fund is negative and no market liquidates more than its
//! pacing cap per interval (a takeover pacing cannot split excepted: alone in its interval);
//! and once the path ends and the marks hold for long enough, nobody the cap, the cooldown or
//! a halt held back is left liquidatable (venues that resolve at once) or with negative equity
//! (Hyperliquid and dYdX, which wait for the book).

use std::collections::BTreeMap;

use cascade_engine::book::Side;
use cascade_engine::instrument::{AssetId, InstrumentId, InstrumentSpec};
use cascade_engine::ledger::AccountId;
use cascade_engine::margin::tables::Venue as VenueName;
use cascade_engine::num::{Cash, Price, Qty, Rate};
use cascade_engine::position::MarginMode;
use cascade_engine::risk::rules::RuleSet;
use cascade_engine::safeguards::{
    AdlRule, BandRule, ExternalBackstop, HaltRule, HaltScope, Pacing, Safeguards,
};
use cascade_engine::venue::{OrderRequest, Venue, VenueConfig, VenueEvent};
use proptest::prelude::*;

const USDT: AssetId = AssetId(0);
const START: [i64; 2] = [1_000_000, 40_000]; // 100,000.0 and 4,000.0

fn usdt(n: i64) -> Cash {
    Cash::units(n).unwrap()
}

fn safeguards() -> impl Strategy<Value = Safeguards> {
    let halt =
        prop::option::of((100i64..1_500, any::<bool>(), any::<bool>(), any::<bool>(), 0i64..300).prop_map(
            |(bps, venue, liquidations, cancel, reopen)| HaltRule {
                move_rate: Rate::from_bps(bps),
                window_ms: 60_000,
                halt_ms: 30_000,
                scope: if venue { HaltScope::Venue } else { HaltScope::Market },
                liquidations,
                cancel_resting: cancel,
                reopen_band: Rate::from_bps(reopen),
                reopen_ms: if reopen > 0 { 10_000 } else { 0 },
            },
        ));
    let band = prop::option::of((50i64..800).prop_map(|b| BandRule { band: Rate::from_bps(b) }));
    let liq_band = prop::option::of((50i64..800).prop_map(Rate::from_bps));
    let pacing =
        prop::option::of((prop::option::of(5_000i64..200_000), 0u64..5_000).prop_map(|(cap, cooldown)| {
            Pacing { max_notional: cap.map(usdt), interval_ms: 1_000, cooldown_ms: cooldown }
        }));
    let adl = prop::sample::select(vec![AdlRule::Venue, AdlRule::ProRata, AdlRule::Haircut]);
    let threshold = prop::option::of((0i64..100_000).prop_map(usdt));
    let backstop = prop::option::of(
        (1i64..200_000, 1i64..100_000)
            .prop_map(|(c, w)| ExternalBackstop { capital: usdt(c), when_below: usdt(w) }),
    );
    (halt, band, liq_band, pacing, adl, threshold, backstop).prop_map(
        |(halt, band, liquidation_band, pacing, adl, adl_fund_threshold, backstop)| Safeguards {
            halt,
            band,
            liquidation_band,
            pacing,
            adl,
            adl_fund_threshold,
            backstop,
        },
    )
}

/// Cancels the maker's quotes and lays a fresh ladder of `levels` levels around `mid` (orders a
/// band or a halt refuses are skipped).
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

/// (long, leverage, notional USDT, isolated)
type Trader = (bool, u16, i64, bool);

fn run(
    venue: VenueName,
    sg: Safeguards,
    traders: &[Trader],
    fund: i64,
    path: &[(u8, i64, u32)],
) -> Result<usize, TestCaseError> {
    let rules = RuleSet::of(venue);
    let mut v = Venue::new(VenueConfig { rules, audit: true, safeguards: sg, ..VenueConfig::default() });
    let spec = |s: &str| InstrumentSpec::linear(s, USDT, 1, 3);
    let ins = [v.add_instrument(spec("BTCUSDT")).unwrap(), v.add_instrument(spec("ETHUSDT")).unwrap()];
    for i in ins {
        v.set_adl_guarantee(i, None).unwrap();
    }
    if venue == VenueName::Hyperliquid && fund > 0 {
        v.set_backstop_capital(USDT, usdt(fund * 20)).unwrap();
    }
    for (i, p) in START.iter().enumerate() {
        v.set_mark_price(ins[i], Price(*p), &mut Vec::new()).unwrap();
    }
    if fund > 0 {
        v.seed_insurance_fund(USDT, usdt(fund)).unwrap();
    }
    let mm = v.open_account().unwrap();
    v.deposit(mm, USDT, usdt(1_000_000_000)).unwrap();
    let mut ev = Vec::new();
    for (i, p) in START.iter().enumerate() {
        requote(&mut v, mm, ins[i], *p, 20, 50_000, &mut ev);
    }
    for (n, &(long, leverage, notional, isolated)) in traders.iter().enumerate() {
        let a = v.open_account().unwrap();
        v.deposit(a, USDT, usdt(notional / i64::from(leverage) + notional / 100)).unwrap();
        let k = n % 2;
        if isolated {
            v.set_margin_mode(a, ins[k], MarginMode::Isolated).unwrap();
        }
        let _ = v.set_leverage(a, ins[k], leverage);
        let qty = (notional * 10_000 / START[k]).max(1);
        let side = if long { Side::Buy } else { Side::Sell };
        let _ = v.place(a, ins[k], OrderRequest::market(side, Qty(qty)), &mut ev);
    }
    v.check_invariants().map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut marks = START;
    let mut now = 0_u64;
    // Notional liquidated per (instrument, interval) and the number of steps.
    let mut paced: BTreeMap<(u16, u64), (i128, usize)> = BTreeMap::new();
    let mut step = |v: &mut Venue, k: usize, mark: i64, now: u64, depth: u32| -> Result<(), TestCaseError> {
        let mut ev = Vec::new();
        requote(v, mm, ins[k], mark, depth, 2_000, &mut ev);
        ev.clear();
        v.set_time(now).unwrap();
        v.set_mark_price(ins[k], Price(mark), &mut ev)
            .map_err(|e| TestCaseError::fail(format!("{e} at mark {mark}")))?;
        v.check_invariants().map_err(|e| TestCaseError::fail(format!("{e} at mark {mark}")))?;
        for i in ins {
            let f = v.ledger().fund(v.fund_of(i).unwrap()).unwrap().balance;
            prop_assert!(!f.is_negative(), "the fund paid more than it held: {f}");
        }
        for e in &ev {
            if let VenueEvent::Liquidation(r) = e {
                let x = paced.entry((r.instrument.0, now / 1_000)).or_default();
                x.0 += i128::from(r.notional.0);
                x.1 += 1;
            }
        }
        if let Some(Pacing { max_notional: Some(cap), .. }) = sg.pacing {
            for ((i, t), (n, count)) in &paced {
                prop_assert!(
                    *n <= i128::from(cap.0) || *count == 1,
                    "instrument {i} liquidated {n} in interval {t} ({count} steps) over the cap {cap}"
                );
            }
        }
        Ok(())
    };
    for &(k, step_bps, depth) in path {
        let k = usize::from(k % 2);
        marks[k] = (marks[k] + marks[k] * step_bps / 10_000).max(10);
        now += 1_000;
        step(&mut v, k, marks[k], now, depth)?;
    }
    // The marks hold: past any halt and reopening, then a block per second for 10 minutes.
    now += 60_000;
    for _ in 0..600 {
        now += 1_000;
        for (k, &mark) in marks.iter().enumerate() {
            step(&mut v, k, mark, now, 20)?;
        }
    }
    let waits = matches!(venue, VenueName::Hyperliquid | VenueName::Dydx);
    let steps = paced.values().map(|&(_, c)| c).sum();
    for (id, acc) in v.ledger().accounts() {
        if Some(id) == v.backstop() {
            continue;
        }
        for p in acc.positions().iter().filter(|p| !p.size.is_zero()) {
            let s = v.position_margin(id, p.instrument).unwrap();
            prop_assert!(
                if waits { !s.equity.is_negative() } else { !s.liquidatable() },
                "account {} was lost: {:?} position {:?}",
                id.0,
                s,
                p
            );
        }
    }
    Ok(steps)
}

fn trader() -> impl Strategy<Value = Trader> {
    (
        prop::bool::weighted(0.7),
        prop::sample::select(vec![2u16, 5, 10, 20, 50]),
        500i64..60_000,
        prop::bool::weighted(0.3),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn safeguards_keep_every_invariant_and_lose_nobody(
        venue in prop::sample::select(VenueName::ALL.to_vec()),
        sg in safeguards(),
        traders in prop::collection::vec(trader(), 5..30),
        fund in prop::sample::select(vec![0i64, 500, 50_000]),
        path in prop::collection::vec((any::<u8>(), -900i64..500, 1u32..12), 10..40),
    ) {
        run(venue, sg, &traders, fund, &path)?;
    }
}

/// A deterministic crash with every safeguard on, under every rule set: it liquidates (so the
/// properties above are not passing on an idle engine), and the cap spreads it over intervals.
#[test]
fn a_paced_crash_still_liquidates_under_every_rule_set() {
    let sg = Safeguards {
        halt: Some(HaltRule {
            move_rate: Rate::from_bps(1_000),
            window_ms: 60_000,
            halt_ms: 30_000,
            scope: HaltScope::Market,
            liquidations: false,
            cancel_resting: false,
            reopen_band: Rate::from_bps(200),
            reopen_ms: 10_000,
        }),
        band: Some(BandRule { band: Rate::from_bps(500) }),
        liquidation_band: Some(Rate::from_bps(300)),
        pacing: Some(Pacing { max_notional: Some(usdt(50_000)), interval_ms: 1_000, cooldown_ms: 2_000 }),
        adl: AdlRule::ProRata,
        adl_fund_threshold: Some(usdt(1_000)),
        backstop: Some(ExternalBackstop { capital: usdt(10_000), when_below: usdt(500) }),
    };
    let traders: Vec<Trader> = (0..30)
        .map(|i| (i % 5 != 0, [5, 10, 20, 25, 50][i % 5], 20_000 + 1_000 * i as i64, i % 3 == 0))
        .collect();
    let path: Vec<(u8, i64, u32)> = (0..30).map(|i| ((i % 2) as u8, -300, 2)).collect();
    for venue in VenueName::ALL {
        let n = run(venue, sg, &traders, 100, &path).unwrap();
        assert!(n >= 5, "{venue}: only {n} liquidation steps");
    }
}
