//! Hand-computed cases, one per safeguard (`cascade_engine::safeguards`): a circuit breaker, a
//! price band, liquidation pacing, pro-rata and haircut ADL, the fund threshold of ADL and the
//! external backstop. Prices have one decimal (`Price(1000)` = 100.0), quantities three
//! (`Qty(1000)` = 1.000); fees are zero and the maintenance margin a flat 5%, so every figure
//! can be worked out on paper in the comment above the test. The venue audits every invariant
//! (conservation included) after every trade and liquidation step.

use cascade_engine::book::{Side, Trigger};
use cascade_engine::instrument::{AssetId, FeeSchedule, InstrumentId, InstrumentSpec};
use cascade_engine::ledger::AccountId;
use cascade_engine::margin::tables::Venue as Name;
use cascade_engine::margin::tiers::RiskTiers;
use cascade_engine::num::{Cash, Price, Qty, Rate};
use cascade_engine::risk::rules::{PartialRule, RuleSet};
use cascade_engine::safeguards::{
    AdlRule, BandRule, ExternalBackstop, HaltRule, HaltScope, Pacing, Safeguards,
};
use cascade_engine::venue::{
    CancelReason, LiquidationKind, LiquidationReport, OrderKind, OrderRequest, Venue, VenueConfig,
    VenueError, VenueEvent,
};

const USDT: AssetId = AssetId(0);

fn usd(s: &str) -> Cash {
    s.parse().unwrap()
}

/// Binance's rules with the whole position closed in one IOC at the bankruptcy price and no
/// liquidation fee, and no cap on what the fund takes over beyond covering the loss, so the
/// figures are simple.
fn rules() -> RuleSet {
    RuleSet {
        partial: PartialRule::Full,
        liquidation_fee: Rate::ZERO,
        takeover_cap: None,
        ..RuleSet::of(Name::Binance)
    }
}

/// A venue with `n` zero-fee linear instruments (flat 5% maintenance) under `safeguards`.
fn venue(safeguards: Safeguards, n: usize) -> (Venue, Vec<InstrumentId>) {
    venue_under(rules(), safeguards, n)
}

/// [`venue`] under other rules.
fn venue_under(rules: RuleSet, safeguards: Safeguards, n: usize) -> (Venue, Vec<InstrumentId>) {
    let mut v = Venue::new(VenueConfig {
        rules,
        enforce_initial_margin: false,
        market_band: Rate::ZERO,
        audit: true,
        safeguards,
        ..VenueConfig::default()
    });
    let ids = (0..n)
        .map(|i| {
            let spec = InstrumentSpec {
                fees: FeeSchedule { maker: Rate::ZERO, taker: Rate::ZERO },
                ..InstrumentSpec::linear(&format!("X{i}USDT"), USDT, 1, 3)
            };
            let tiers = RiskTiers::flat(Rate::from_bps(500), Rate::from_bps(1000), Cash::ZERO).unwrap();
            v.add_instrument_with_tiers(spec, tiers).unwrap()
        })
        .collect();
    (v, ids)
}

fn account(v: &mut Venue, wallet: &str) -> AccountId {
    let a = v.open_account().unwrap();
    v.deposit(a, USDT, usd(wallet)).unwrap();
    a
}

/// `buyer` buys `q` thousandths from `seller` at `p` tenths.
fn trade(v: &mut Venue, ins: InstrumentId, buyer: AccountId, seller: AccountId, p: i64, q: i64) {
    let mut ev = Vec::new();
    v.place(seller, ins, OrderRequest::limit(Side::Sell, Price(p), Qty(q)), &mut ev).unwrap();
    v.place(buyer, ins, OrderRequest::limit(Side::Buy, Price(p), Qty(q)), &mut ev).unwrap();
    assert!(ev.iter().any(|e| matches!(e, VenueEvent::Trade(_))), "setup trade did not fill");
}

fn mark_at(v: &mut Venue, ins: InstrumentId, t_ms: u64, p: i64) -> Vec<VenueEvent> {
    v.set_time(t_ms).unwrap();
    let mut ev = Vec::new();
    v.set_mark_price(ins, Price(p), &mut ev).unwrap();
    v.check_invariants().unwrap();
    ev
}

fn reports(ev: &[VenueEvent]) -> Vec<LiquidationReport> {
    ev.iter().filter_map(|e| if let VenueEvent::Liquidation(r) = e { Some(*r) } else { None }).collect()
}

/// (counterparty, qty, price) of every ADL fill.
fn adl_fills(ev: &[VenueEvent]) -> Vec<(AccountId, Qty, Price)> {
    ev.iter()
        .filter_map(|e| match *e {
            VenueEvent::Adl { counterparty, qty, price, .. } => Some((counterparty, qty, price)),
            _ => None,
        })
        .collect()
}

fn size(v: &Venue, a: AccountId, ins: InstrumentId) -> Qty {
    v.ledger().account(a).unwrap().position(ins).map_or(Qty::ZERO, |p| p.size)
}

fn wallet(v: &Venue, a: AccountId) -> Cash {
    v.ledger().account(a).unwrap().balance(USDT)
}

fn fund(v: &Venue, ins: InstrumentId) -> Cash {
    v.ledger().fund(v.fund_of(ins).unwrap()).unwrap().balance
}

fn halt_rule() -> HaltRule {
    HaltRule {
        move_rate: Rate::from_bps(500),
        window_ms: 60_000,
        halt_ms: 300_000,
        scope: HaltScope::Market,
        liquidations: false,
        cancel_resting: false,
        reopen_band: Rate::ZERO,
        reopen_ms: 0,
    }
}

/// A 5% / 60 s circuit breaker halting for 300 s. L is long 1.000 at 100.0 on a 10 USDT wallet
/// (bankruptcy price 100 − 10 = 90.0); a maker bids 90.0 for 10.000; P holds a sell stop on the
/// mark at 95.0. Mark 100.0 at t = 0, then 94.0 at t = 1 s: a 6% fall within the window ≥ 5%,
/// so the market halts until 1,000 + 300,000 = 301,000 ms. L is below maintenance (equity
/// 10 − 6 = 4 < 5% × 94 = 4.7) but liquidations are paused; the stop (94.0 ≤ 95.0) is not
/// triggered; an order is refused as halted; the maker's bid stays. At t = 301 s, mark 94.0
/// again: trading reopens, the stop fires and sells 1.000 into the 90.0 bid, and L is
/// liquidated: its IOC at 90.0 sells 1.000 at 90.0, leaving its wallet at 10 − 10 = 0.
#[test]
fn a_halt_stops_matching_stops_and_liquidations_for_its_length() {
    let (mut v, ids) = venue(Safeguards { halt: Some(halt_rule()), ..Safeguards::default() }, 1);
    let ins = ids[0];
    let (l, s, maker, p) =
        (account(&mut v, "10"), account(&mut v, "1000"), account(&mut v, "1000000"), account(&mut v, "1000"));
    trade(&mut v, ins, l, s, 1000, 1000);
    let mut ev = Vec::new();
    v.place(maker, ins, OrderRequest::limit(Side::Buy, Price(900), Qty(10_000)), &mut ev).unwrap();
    let stop = OrderRequest {
        kind: OrderKind::StopMarket { trigger: Price(950), source: Trigger::Mark },
        ..OrderRequest::market(Side::Sell, Qty(1000))
    };
    v.place(p, ins, stop, &mut ev).unwrap();

    assert!(mark_at(&mut v, ins, 0, 1000).is_empty());
    let ev = mark_at(&mut v, ins, 1_000, 940);
    assert_eq!(ev, [VenueEvent::Halted { instrument: ins, until_ms: 301_000 }]);
    assert_eq!(v.halted_until(ins).unwrap(), Some(301_000));
    assert_eq!(size(&v, l, ins), Qty(1000), "liquidations are paused");
    assert_eq!(size(&v, p, ins), Qty::ZERO, "stops are not triggered");
    let r = v.place(s, ins, OrderRequest::market(Side::Buy, Qty(1000)), &mut Vec::new());
    assert_eq!(r, Err(VenueError::Halted { instrument: ins.0, until_ms: 301_000 }));
    assert_eq!(v.book(ins).unwrap().best_bid(), Some(Price(900)), "resting orders are kept");

    // Still halted a millisecond before the end.
    assert!(reports(&mark_at(&mut v, ins, 300_999, 940)).is_empty());

    let ev = mark_at(&mut v, ins, 301_000, 940);
    assert_eq!(v.halted_until(ins).unwrap(), None);
    assert!(ev.iter().any(|e| matches!(e, VenueEvent::StopTriggered { account, .. } if *account == p)));
    assert_eq!(size(&v, p, ins), Qty(-1000));
    let r = reports(&ev);
    assert_eq!(r.len(), 1);
    assert_eq!(
        (r[0].account, r[0].kind, r[0].qty, r[0].price),
        (l, LiquidationKind::Book, Qty(1000), Price(900))
    );
    assert_eq!((size(&v, l, ins), wallet(&v, l)), (Qty::ZERO, Cash::ZERO));
}

/// `liquidations = "continue"`: the same halt, but the liquidation engine keeps running. At
/// t = 1 s the market halts and, in the same mark update, L's IOC still sells 1.000 into the
/// 90.0 bid (the liquidation engine's own orders reach the book); a trader's order is refused.
#[test]
fn a_halt_may_let_liquidations_continue() {
    let rule = HaltRule { liquidations: true, ..halt_rule() };
    let (mut v, ids) = venue(Safeguards { halt: Some(rule), ..Safeguards::default() }, 1);
    let ins = ids[0];
    let (l, s, maker) = (account(&mut v, "10"), account(&mut v, "1000"), account(&mut v, "1000000"));
    trade(&mut v, ins, l, s, 1000, 1000);
    v.place(maker, ins, OrderRequest::limit(Side::Buy, Price(900), Qty(10_000)), &mut Vec::new()).unwrap();
    mark_at(&mut v, ins, 0, 1000);
    let ev = mark_at(&mut v, ins, 1_000, 940);
    assert_eq!(ev[0], VenueEvent::Halted { instrument: ins, until_ms: 301_000 });
    let r = reports(&ev);
    assert_eq!(
        (r[0].account, r[0].kind, r[0].qty, r[0].price),
        (l, LiquidationKind::Book, Qty(1000), Price(900))
    );
    let r = v.place(s, ins, OrderRequest::market(Side::Buy, Qty(1000)), &mut Vec::new());
    assert!(matches!(r, Err(VenueError::Halted { .. })), "{r:?}");
}

/// Venue scope, resting orders cancelled, and a 2% reopening band for 30 s. Two markets at
/// 100.0; the maker bids 99.0 on the second. The first falls to 94.0 (6%) at t = 1 s: both
/// markets halt until 61,000 ms and the bid is cancelled as `Halted`. At t = 61 s the second
/// market reopens within 2% of the 100.0 it halted at, [98.0, 102.0]: a buy at 102.5 is refused
/// naming the band, one at 102.0 rests. From t = 91 s the band is gone: a buy at 103.0 rests.
#[test]
fn a_venue_halt_cancels_resting_orders_and_reopens_inside_a_band() {
    let rule = HaltRule {
        halt_ms: 60_000,
        scope: HaltScope::Venue,
        cancel_resting: true,
        reopen_band: Rate::from_bps(200),
        reopen_ms: 30_000,
        ..halt_rule()
    };
    let (mut v, ids) = venue(Safeguards { halt: Some(rule), ..Safeguards::default() }, 2);
    let (a, b) = (ids[0], ids[1]);
    let maker = account(&mut v, "1000000");
    let mut ev = Vec::new();
    v.place(maker, b, OrderRequest::limit(Side::Buy, Price(990), Qty(1000)), &mut ev).unwrap();
    mark_at(&mut v, a, 0, 1000);
    mark_at(&mut v, b, 0, 1000);
    let ev = mark_at(&mut v, a, 1_000, 940);
    let halted: Vec<_> =
        ev.iter().filter(|e| matches!(e, VenueEvent::Halted { until_ms: 61_000, .. })).collect();
    assert_eq!(halted.len(), 2);
    assert!(ev.iter().any(|e| matches!(
        e,
        VenueEvent::Cancelled { instrument, account, reason: CancelReason::Halted, .. } if *instrument == b && *account == maker
    )));
    assert_eq!(v.book(b).unwrap().best_bid(), None);
    let r = v.place(maker, b, OrderRequest::limit(Side::Buy, Price(990), Qty(1000)), &mut Vec::new());
    assert!(matches!(r, Err(VenueError::Halted { until_ms: 61_000, .. })), "{r:?}");

    v.set_time(61_000).unwrap();
    let r = v.place(maker, b, OrderRequest::limit(Side::Buy, Price(1025), Qty(1000)), &mut Vec::new());
    assert_eq!(r, Err(VenueError::OutsideBand { price: 1025, lo: 980, hi: 1020 }));
    v.place(maker, b, OrderRequest::limit(Side::Buy, Price(1020), Qty(1000)), &mut Vec::new()).unwrap();
    v.set_time(91_000).unwrap();
    v.place(maker, b, OrderRequest::limit(Side::Buy, Price(1030), Qty(1000)), &mut Vec::new()).unwrap();
    assert_eq!(v.book(b).unwrap().best_bid(), Some(Price(1030)));
    v.check_invariants().unwrap();
}

/// A 2% band around the mark 100.0: [98.0, 102.0]. A sell limit at 97.9 is refused naming the
/// band; one at 98.0 is accepted. A market buy for 3.000 against asks of 1.000 each at 101.0,
/// 102.0 and 102.5 stops at the band's edge: it fills 2.000 and the 102.5 ask stays.
#[test]
fn a_price_band_refuses_orders_beyond_it_and_caps_market_orders() {
    let band = Safeguards { band: Some(BandRule { band: Rate::from_bps(200) }), ..Safeguards::default() };
    let (mut v, ids) = venue(band, 1);
    let ins = ids[0];
    let (maker, t) = (account(&mut v, "1000000"), account(&mut v, "1000000"));
    mark_at(&mut v, ins, 0, 1000);
    let r = v.place(t, ins, OrderRequest::limit(Side::Sell, Price(979), Qty(1000)), &mut Vec::new());
    assert_eq!(r, Err(VenueError::OutsideBand { price: 979, lo: 980, hi: 1020 }));
    assert_eq!(r.unwrap_err().to_string(), "price 979 is outside the price band [980, 1020]");
    v.place(t, ins, OrderRequest::limit(Side::Sell, Price(980), Qty(1000)), &mut Vec::new()).unwrap();
    let mut ev = Vec::new();
    v.cancel_all(t, ins, &mut ev).unwrap();
    for p in [1010, 1020, 1025] {
        v.place(maker, ins, OrderRequest::limit(Side::Sell, Price(p), Qty(1000)), &mut ev).unwrap();
    }
    let placed = v.place(t, ins, OrderRequest::market(Side::Buy, Qty(3000)), &mut ev).unwrap();
    assert!(matches!(placed, cascade_engine::venue::Placed::Order { filled: Qty(2000), .. }), "{placed:?}");
    assert_eq!(v.book(ins).unwrap().best_ask(), Some(Price(1025)));
    v.check_invariants().unwrap();
}

/// The liquidation band, switched separately. L is long 1.000 at 100.0 on 10 USDT (bankruptcy
/// price 90.0); the only bid is 92.0; the mark falls to 94.0 (equity 4 < maintenance 4.7).
/// Without a liquidation band L's IOC (limit 90.0) sells into the 92.0 bid. With a 2% band,
/// [92.2, 95.8] around 94.0 (92.12 rounded up, 95.88 rounded down), the IOC may not sell below
/// 92.2: nothing fills, the empty fund cannot take it, and ADL closes it against the short S at
/// the bankruptcy price 90.0.
#[test]
fn liquidation_orders_keep_their_own_band() {
    for (liquidation_band, book) in [(None, true), (Some(Rate::from_bps(200)), false)] {
        let (mut v, ids) = venue(Safeguards { liquidation_band, ..Safeguards::default() }, 1);
        let ins = ids[0];
        let (l, s, maker) = (account(&mut v, "10"), account(&mut v, "1000"), account(&mut v, "1000000"));
        trade(&mut v, ins, l, s, 1000, 1000);
        v.place(maker, ins, OrderRequest::limit(Side::Buy, Price(920), Qty(5000)), &mut Vec::new()).unwrap();
        let ev = mark_at(&mut v, ins, 0, 940);
        let r = reports(&ev);
        if book {
            assert_eq!((r[0].kind, r[0].qty, r[0].price), (LiquidationKind::Book, Qty(1000), Price(920)));
            assert!(adl_fills(&ev).is_empty());
        } else {
            assert_eq!(adl_fills(&ev), [(s, Qty(1000), Price(900))]);
            assert_eq!((r[0].kind, r[0].qty), (LiquidationKind::Adl, Qty(1000)));
        }
        assert_eq!(size(&v, l, ins), Qty::ZERO);
    }
}

/// Pacing: at most 100 USDT of notional (at the mark) per market and 1 s interval. Three longs
/// of 1.000 at 100.0 on wallets of 8, 9 and 10 USDT (bankruptcy prices 92.0, 91.0, 90.0); a
/// maker bids 93.0 for 10.000; the mark is 94.0 (equities 2, 3, 4 all below 4.7), one lot is
/// worth 0.094. The most underwater go first:
/// * interval 0: L1 closes 1.000 (94 USDT); 6 USDT are left = 63 lots (5.922): L2 closes
///   0.063; L3 waits. 99.922 liquidated.
/// * interval 1: L2 closes its remaining 0.937 (88.078); 11.922 left = 126 lots (11.844): L3
///   closes 0.126.
/// * interval 2: L3 closes its remaining 0.874 (82.156).
///
/// Nobody is lost: every account is liquidated, in later intervals.
#[test]
fn pacing_caps_liquidated_notional_per_interval_and_retries_the_rest() {
    let pacing = Pacing { max_notional: Some(usd("100")), interval_ms: 1_000, cooldown_ms: 0 };
    let (mut v, ids) = venue(Safeguards { pacing: Some(pacing), ..Safeguards::default() }, 1);
    let ins = ids[0];
    let (l1, l2, l3) = (account(&mut v, "8"), account(&mut v, "9"), account(&mut v, "10"));
    let (s, maker) = (account(&mut v, "100000"), account(&mut v, "1000000"));
    for l in [l1, l2, l3] {
        trade(&mut v, ins, l, s, 1000, 1000);
    }
    v.place(maker, ins, OrderRequest::limit(Side::Buy, Price(930), Qty(10_000)), &mut Vec::new()).unwrap();
    let closed = |ev: &[VenueEvent]| -> Vec<(AccountId, Qty)> {
        reports(ev).iter().map(|r| (r.account, r.qty)).collect()
    };
    let notional = |ev: &[VenueEvent]| reports(ev).iter().map(|r| r.notional.0).sum::<i64>();

    let ev = mark_at(&mut v, ins, 0, 940);
    assert_eq!(closed(&ev), [(l1, Qty(1000)), (l2, Qty(63))]);
    assert_eq!(notional(&ev), usd("99.922").0);
    // Same interval, another mark: nothing more.
    assert!(reports(&mark_at(&mut v, ins, 999, 940)).is_empty());

    let ev = mark_at(&mut v, ins, 1_000, 940);
    assert_eq!(closed(&ev), [(l2, Qty(937)), (l3, Qty(126))]);
    assert_eq!(notional(&ev), usd("99.922").0);

    let ev = mark_at(&mut v, ins, 2_000, 940);
    assert_eq!(closed(&ev), [(l3, Qty(874))]);
    assert_eq!(notional(&ev), usd("82.156").0);
    for l in [l1, l2, l3] {
        assert_eq!(size(&v, l, ins), Qty::ZERO);
    }
}

/// A cooldown of 3 s between two steps on the same account, with a 50 USDT cap per 1 s. L is
/// long 1.000 at 100.0 on 8 USDT; bid 93.0; mark 94.0 (lot 0.094): at t = 0 it closes
/// floor(50 / 0.094) = 531 lots = 0.531; at 1 s and 2 s (new intervals) it is cooling down;
/// at 3 s it closes the remaining 0.469 (44.086 ≤ 50).
#[test]
fn a_pacing_cooldown_spaces_an_accounts_liquidation_steps() {
    let pacing = Pacing { max_notional: Some(usd("50")), interval_ms: 1_000, cooldown_ms: 3_000 };
    let (mut v, ids) = venue(Safeguards { pacing: Some(pacing), ..Safeguards::default() }, 1);
    let ins = ids[0];
    let (l, s, maker) = (account(&mut v, "8"), account(&mut v, "100000"), account(&mut v, "1000000"));
    trade(&mut v, ins, l, s, 1000, 1000);
    v.place(maker, ins, OrderRequest::limit(Side::Buy, Price(930), Qty(10_000)), &mut Vec::new()).unwrap();
    let qty = |ev: &[VenueEvent]| reports(ev).iter().map(|r| r.qty.0).sum::<i64>();
    assert_eq!(qty(&mark_at(&mut v, ins, 0, 940)), 531);
    assert_eq!(qty(&mark_at(&mut v, ins, 1_000, 940)), 0);
    assert_eq!(qty(&mark_at(&mut v, ins, 2_000, 940)), 0);
    assert_eq!(qty(&mark_at(&mut v, ins, 3_000, 940)), 469);
    assert_eq!(size(&v, l, ins), Qty::ZERO);
}

/// The ADL setup: L long 2.000 at 100.0 on 20 USDT (bankruptcy price 100 − 20/2 = 90.0);
/// shorts S1 1.000 at 100.0, S2 3.000 at 100.0, S3 1.000 at 90.0; H long 3.000 holds the other
/// side. No bids, so L's IOC fills nothing and the rest goes down the waterfall.
struct AdlSetup {
    v: Venue,
    ins: InstrumentId,
    l: AccountId,
    s: [AccountId; 3],
}

fn adl_setup(safeguards: Safeguards, fund_seed: &str) -> AdlSetup {
    adl_setup_under(rules(), safeguards, fund_seed)
}

fn adl_setup_under(rules: RuleSet, safeguards: Safeguards, fund_seed: &str) -> AdlSetup {
    let (mut v, ids) = venue_under(rules, safeguards, 1);
    let ins = ids[0];
    if usd(fund_seed).is_positive() {
        v.seed_insurance_fund(USDT, usd(fund_seed)).unwrap();
    }
    let l = account(&mut v, "20");
    let h = account(&mut v, "1000");
    let s = [account(&mut v, "1000"), account(&mut v, "1000"), account(&mut v, "1000")];
    trade(&mut v, ins, l, s[0], 1000, 1000);
    trade(&mut v, ins, l, s[1], 1000, 1000);
    trade(&mut v, ins, h, s[1], 1000, 2000);
    trade(&mut v, ins, h, s[2], 900, 1000);
    AdlSetup { v, ins, l, s }
}

/// Pro-rata ADL at a mark of 94.0 (L: equity 20 − 12 = 8 < 9.4). The empty fund takes nothing;
/// the profitable shorts are S1 (1.000) and S2 (3.000) — S3, short at 90.0, is losing and is
/// left alone. 2.000 split by size: S1 2 × 1/4 = 0.500, S2 2 × 3/4 = 1.500, both at 90.0:
/// S1 realizes (100 − 90) × 0.5 = 5, S2 15.
#[test]
fn pro_rata_adl_closes_every_profitable_position_in_proportion() {
    let AdlSetup { mut v, ins, l, s } =
        adl_setup(Safeguards { adl: AdlRule::ProRata, ..Safeguards::default() }, "0");
    let ev = mark_at(&mut v, ins, 0, 940);
    assert_eq!(adl_fills(&ev), [(s[0], Qty(500), Price(900)), (s[1], Qty(1500), Price(900))]);
    assert_eq!(size(&v, l, ins), Qty::ZERO);
    assert_eq!(
        [size(&v, s[0], ins), size(&v, s[1], ins), size(&v, s[2], ins)],
        [Qty(-500), Qty(-1500), Qty(-1000)]
    );
    assert_eq!(
        (wallet(&v, s[0]), wallet(&v, s[1]), wallet(&v, s[2])),
        (usd("1005"), usd("1015"), usd("1000"))
    );
}

/// The same under the venue's own ranking (Binance's PnL% × margin ratio): every short holds
/// the same wallet and entry, so S2, with three times the PnL on the same wallet, is first and
/// alone closes the 2.000 — unlike pro-rata.
#[test]
fn the_venue_ranking_closes_the_top_ranked_first() {
    let AdlSetup { mut v, ins, s, .. } = adl_setup(Safeguards::default(), "0");
    let ev = mark_at(&mut v, ins, 0, 940);
    assert_eq!(adl_fills(&ev), [(s[1], Qty(2000), Price(900))]);
}

/// Haircut at a mark of 85.0 (L: equity 20 − 30 = −10). The backstop takes L's 2.000 at the
/// bankruptcy price 90.0: a loss of (90 − 85) × 2 = 10 at the mark. The winners' unrealized
/// PnL: S1 (100 − 85) × 1 = 15, S2 15 × 3 = 45, S3 (90 − 85) × 1 = 5, 65 in all; each pays
/// 10 × its share, rounded down to 1e-8: S1 10 × 15/65 = 2.30769230, S2 10 × 45/65 =
/// 6.92307692, S3 10 × 5/65 = 0.76923076; 9.99999998 in all, swept into the fund. No position
/// of theirs is closed.
#[test]
fn haircut_takes_the_loss_from_every_winner_in_proportion_to_its_pnl() {
    let AdlSetup { mut v, ins, l, s } =
        adl_setup(Safeguards { adl: AdlRule::Haircut, ..Safeguards::default() }, "0");
    let ev = mark_at(&mut v, ins, 0, 850);
    assert!(adl_fills(&ev).is_empty());
    let r = reports(&ev);
    assert_eq!(
        (r[0].account, r[0].kind, r[0].qty, r[0].price),
        (l, LiquidationKind::Backstop, Qty(2000), Price(900))
    );
    let charged: Vec<(AccountId, Cash)> = ev
        .iter()
        .filter_map(|e| match *e {
            VenueEvent::SocializedLoss { account, amount, .. } => Some((account, amount)),
            _ => None,
        })
        .collect();
    assert_eq!(charged, [(s[0], usd("2.3076923")), (s[1], usd("6.92307692")), (s[2], usd("0.76923076"))]);
    assert_eq!(
        [size(&v, s[0], ins), size(&v, s[1], ins), size(&v, s[2], ins)],
        [Qty(-1000), Qty(-3000), Qty(-1000)]
    );
    assert_eq!(wallet(&v, s[1]), usd("993.07692308"));
    assert_eq!(fund(&v, ins), usd("9.99999998"));
}

/// The fund threshold at a mark of 85.0 with 5 USDT in the fund. Taking one lot over at 90.0
/// loses 0.005 at the mark, so the fund can cover 1.000 of L's 2.000. Threshold 6 (the fund is
/// below it): the fund takes 1.000 and ADL closes 1.000 (against S2, first in Binance's
/// ranking). Threshold 5 (the fund is at it): no ADL; the fund takes all 2.000.
#[test]
fn adl_runs_only_while_the_fund_is_below_the_threshold() {
    for (threshold, adl) in [("6", true), ("5", false)] {
        let sg = Safeguards { adl_fund_threshold: Some(usd(threshold)), ..Safeguards::default() };
        let AdlSetup { mut v, ins, s, .. } = adl_setup(sg, "5");
        let ev = mark_at(&mut v, ins, 0, 850);
        let r = reports(&ev);
        if adl {
            assert_eq!((r[0].kind, r[0].qty), (LiquidationKind::Backstop, Qty(1000)));
            assert_eq!(adl_fills(&ev), [(s[1], Qty(1000), Price(900))]);
        } else {
            assert_eq!(r.len(), 1);
            assert_eq!((r[0].kind, r[0].qty), (LiquidationKind::Backstop, Qty(2000)));
            assert!(adl_fills(&ev).is_empty());
        }
    }
}

/// The external backstop: 100 USDT of capital refilling the fund up to 50 before ADL. The
/// fund is empty; at a mark of 85.0 L's 2.000 would go to ADL (see the threshold test). The
/// backstop deposits 50 into the fund, which now covers 50 / 0.005 = 10,000 lots: it takes
/// all 2.000 and nobody is deleveraged. 50 of the capital is left. The deposit is counted:
/// deposits = 20 + 1,000 × 4 + 50 = 4,070, and every invariant holds.
#[test]
fn an_external_backstop_pays_before_adl_through_the_ledger() {
    let sg = Safeguards {
        backstop: Some(ExternalBackstop { capital: usd("100"), when_below: usd("50") }),
        ..Safeguards::default()
    };
    let AdlSetup { mut v, ins, l, .. } = adl_setup(sg, "0");
    let ev = mark_at(&mut v, ins, 0, 850);
    assert!(adl_fills(&ev).is_empty());
    assert!(ev.contains(&VenueEvent::FundBackstop { instrument: ins, amount: usd("50") }));
    let r = reports(&ev);
    assert_eq!((r[0].account, r[0].kind, r[0].qty), (l, LiquidationKind::Backstop, Qty(2000)));
    assert_eq!(fund(&v, ins), usd("50"));
    assert_eq!(v.external_backstop_left(), usd("50"));
    assert_eq!(v.ledger().system(USDT).deposits, i128::from(usd("4070").0));
    v.check_invariants().unwrap();
}

/// The window slides: marks 100.0 (t = 0), 104.0 (10 s), 101.0 (20 s); a 5% / 60 s breaker. A
/// mark of 98.0 is 5.77% below 104.0 but only 2.97% below 101.0: at t = 69 s, with 104.0
/// (10 s) still inside the window [9 s, 69 s], it halts; at t = 71 s, with 104.0 out of
/// [11 s, 71 s], it does not.
#[test]
fn the_breaker_window_slides() {
    for (at, halts) in [(69_000, true), (71_000, false)] {
        let (mut v, ids) = venue(Safeguards { halt: Some(halt_rule()), ..Safeguards::default() }, 1);
        let ins = ids[0];
        for (t, p) in [(0, 1000), (10_000, 1040), (20_000, 1010)] {
            assert!(mark_at(&mut v, ins, t, p).is_empty());
        }
        let ev = mark_at(&mut v, ins, at, 980);
        assert_eq!(
            ev.contains(&VenueEvent::Halted { instrument: ins, until_ms: at + 300_000 }),
            halts,
            "t = {at}"
        );
    }
}

/// dYdX puts no fund takeover before deleveraging (§6.4): at a mark of 85.0 L's order fills
/// nothing (no bids) and its net collateral is negative (20 − 30 = −10), so it is deleveraged.
/// With the external backstop (100 of capital, refilling to 50), the empty fund is refilled
/// to 50, which covers 50 / 0.005 = 10,000 lots of takeover loss: it takes all 2.000 at 90.0
/// and nobody is deleveraged.
#[test]
fn on_dydx_the_refilled_fund_takes_over_before_deleveraging() {
    let dydx = RuleSet::of(Name::Dydx);
    let AdlSetup { mut v, ins, .. } = adl_setup_under(dydx, Safeguards::default(), "0");
    assert!(!adl_fills(&mark_at(&mut v, ins, 0, 850)).is_empty(), "without a backstop dYdX deleverages");

    let sg = Safeguards {
        backstop: Some(ExternalBackstop { capital: usd("100"), when_below: usd("50") }),
        ..Safeguards::default()
    };
    let AdlSetup { mut v, ins, l, .. } = adl_setup_under(dydx, sg, "0");
    let ev = mark_at(&mut v, ins, 0, 850);
    assert!(ev.contains(&VenueEvent::FundBackstop { instrument: ins, amount: usd("50") }));
    assert!(adl_fills(&ev).is_empty());
    let r = reports(&ev);
    assert_eq!(
        (r[0].account, r[0].kind, r[0].qty, r[0].price),
        (l, LiquidationKind::Backstop, Qty(2000), Price(900))
    );
    assert_eq!(size(&v, l, ins), Qty::ZERO);
}
