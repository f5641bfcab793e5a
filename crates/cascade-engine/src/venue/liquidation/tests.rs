//! Hand-computed waterfall cases, one per rule the reference states. Prices have one decimal
//! (`Price(1000)` = 100.0), quantities three (`Qty(1000)` = 1.000); fees are zero unless a test
//! says otherwise, so every figure can be worked out on paper in the comment above it.

use crate::book::Side;
use crate::instrument::{AssetId, FeeSchedule, InstrumentId, InstrumentSpec};
use crate::ledger::AccountId;
use crate::margin::tables::Venue as Name;
use crate::margin::tiers::RiskTiers;
use crate::num::{Cash, Price, Qty, Rate};
use crate::position::MarginMode;
use crate::risk::rules::{Execution, Offload, PartialRule, RuleSet};
use crate::venue::{LiquidationKind, LiquidationReport, OrderRequest, Venue, VenueConfig, VenueEvent};

const USDT: AssetId = AssetId(0);

fn usd(s: &str) -> Cash {
    s.parse().unwrap()
}

fn px(s: &str) -> Price {
    let d: rust_decimal::Decimal = s.parse().unwrap();
    Price(
        i64::try_from((d * rust_decimal::Decimal::TEN).mantissa()).unwrap()
            / 10_i64.pow((d * rust_decimal::Decimal::TEN).scale()),
    )
}

fn qty(s: &str) -> Qty {
    let d: rust_decimal::Decimal =
        s.parse::<rust_decimal::Decimal>().unwrap() * rust_decimal::Decimal::from(1000);
    Qty(i64::try_from(d.trunc().mantissa()).unwrap() / 10_i64.pow(d.trunc().scale()))
}

/// A venue under `rules` with one zero-fee linear instrument (flat `mmr`, `imr` = 2 × mmr),
/// margin not enforced (positions are set up by hand), every invariant audited.
fn venue(rules: RuleSet, mmr: &str) -> (Venue, InstrumentId) {
    venue_with_fees(rules, mmr, FeeSchedule { maker: Rate::ZERO, taker: Rate::ZERO })
}

/// [`venue`] with the given fees.
fn venue_with_fees(rules: RuleSet, mmr: &str, fees: FeeSchedule) -> (Venue, InstrumentId) {
    let mmr: Rate = mmr.parse().unwrap();
    venue_with_tiers(rules, RiskTiers::flat(mmr, Rate(mmr.0 * 2), Cash::ZERO).unwrap(), fees)
}

/// A venue under `rules` with one linear instrument (prices with one decimal, quantities with
/// three: `Price(1000)` = 100.0, `Qty(1000)` = 1.000) and the margin table `tiers`, margin not
/// enforced, every invariant audited after each trade.
pub(in crate::venue) fn venue_with_tiers(
    rules: RuleSet,
    tiers: RiskTiers,
    fees: FeeSchedule,
) -> (Venue, InstrumentId) {
    let mut v = Venue::new(VenueConfig {
        rules,
        enforce_initial_margin: false,
        market_band: Rate::ZERO,
        audit: true,
        ..VenueConfig::default()
    });
    let spec = InstrumentSpec { fees, ..InstrumentSpec::linear("XUSDT", USDT, 1, 3) };
    let ins = v.add_instrument_with_tiers(spec, tiers).unwrap();
    (v, ins)
}

fn account(v: &mut Venue, wallet: &str) -> AccountId {
    let a = v.open_account().unwrap();
    if usd(wallet).is_positive() {
        v.deposit(a, USDT, usd(wallet)).unwrap();
    }
    a
}

/// `buyer` buys `q` from `seller` at `p` (the seller rests a limit, the buyer takes it).
fn trade(v: &mut Venue, ins: InstrumentId, buyer: AccountId, seller: AccountId, p: &str, q: &str) {
    let mut ev = Vec::new();
    v.place(seller, ins, OrderRequest::limit(Side::Sell, px(p), qty(q)), &mut ev).unwrap();
    v.place(buyer, ins, OrderRequest::limit(Side::Buy, px(p), qty(q)), &mut ev).unwrap();
    assert!(ev.iter().any(|e| matches!(e, VenueEvent::Trade(_))), "setup trade did not fill");
}

fn mark(v: &mut Venue, ins: InstrumentId, p: &str) -> Vec<VenueEvent> {
    let mut ev = Vec::new();
    v.set_mark_price(ins, px(p), &mut ev).unwrap();
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

/// Defect 1 (Bybit §2.4: the fund covers a bankrupt position only while it can). L is long
/// 1.000 at 100.0 on a 10 USDT wallet; at a mark of 85.0 its equity is 10 − 15 = −5 and its
/// bankruptcy price 100 − 10/1 = 90.0. Taking one lot (0.001) over at 90.0 loses
/// (90 − 85) × 0.001 = 0.005 at the mark, so a 2 USDT fund covers 2 / 0.005 = 400 lots: the
/// fund takes 0.400 and ADL closes the other 0.600 against the profitable short S at 90.0
/// (S realizes (100 − 90) × 0.6 = 6). The fund still holds its 2 USDT (no book to sell into).
#[test]
fn the_fund_takes_only_what_it_can_cover_then_adl() {
    let (mut v, ins) = venue(RuleSet::of(Name::Bybit), "0.05");
    v.seed_insurance_fund(USDT, usd("2")).unwrap();
    let (l, s) = (account(&mut v, "10"), account(&mut v, "1000"));
    trade(&mut v, ins, l, s, "100", "1");
    let ev = mark(&mut v, ins, "85");
    let r = reports(&ev);
    assert_eq!(r[0].kind, LiquidationKind::Backstop);
    assert_eq!((r[0].qty, r[0].price), (qty("0.4"), px("90")));
    assert_eq!(adl_fills(&ev), vec![(s, qty("0.6"), px("90"))]);
    assert_eq!(size(&v, l, ins), Qty::ZERO);
    assert_eq!(size(&v, s, ins), qty("-0.4"));
    assert_eq!(wallet(&v, s), usd("1006"));
    assert_eq!(wallet(&v, l), Cash::ZERO);
    assert_eq!(fund(&v, ins), usd("2"));
    assert_eq!(v.ledger().system(USDT).bad_debt, Cash::ZERO);
}

/// Defect 1, the takeover cap (Binance §1.4: net notional ≤ 100% of the fund), on a
/// takeover-at-bankruptcy venue: L long 1.000 at 100.0, wallet 10, MMR 10%. At 95.0 its equity
/// is 5 < 9.5 maintenance; bankruptcy price 90.0 is below the mark, so the fund would gain
/// and only the cap binds: 50 USDT of notional at 95.0 is 50 / 0.095 = 526 lots (526 × 0.095 =
/// 49.97). The fund takes 0.526; the other 0.474 goes to ADL at 90.0.
#[test]
fn the_takeover_cap_limits_the_fund() {
    let rules = RuleSet { takeover_cap: Some(Rate::ONE), ..RuleSet::of(Name::Bybit) };
    let (mut v, ins) = venue(rules, "0.1");
    v.seed_insurance_fund(USDT, usd("50")).unwrap();
    let (l, s) = (account(&mut v, "10"), account(&mut v, "1000"));
    trade(&mut v, ins, l, s, "100", "1");
    let ev = mark(&mut v, ins, "95");
    let r = reports(&ev);
    assert_eq!((r[0].kind, r[0].qty, r[0].price), (LiquidationKind::Backstop, qty("0.526"), px("90")));
    assert_eq!(adl_fills(&ev), vec![(s, qty("0.474"), px("90"))]);
}

/// Defect 3: a 1x long has no liquidation price (equity = wallet + (p − 100) = p stays above
/// 5% maintenance at every positive price), so it is in no liquidation index — yet it is the
/// only counterparty when short S2 goes bankrupt. S2 is short 1.000 at 100.0 on 10 USDT;
/// at 115.0 its equity is −5 and its bankruptcy price 110.0; with no fund, ADL closes the 1x
/// long H at 110.0 (H realizes +10).
#[test]
fn adl_reaches_a_one_x_long_with_no_liquidation_price() {
    let (mut v, ins) = venue(RuleSet::of(Name::Bybit), "0.05");
    let (h, s2) = (account(&mut v, "100"), account(&mut v, "10"));
    trade(&mut v, ins, h, s2, "100", "1");
    v.refresh_index().unwrap();
    assert_eq!(v.indexed_positions(ins).unwrap(), 1, "only the short has a liquidation price");
    let ev = mark(&mut v, ins, "115");
    assert_eq!(adl_fills(&ev), vec![(h, qty("1"), px("110"))]);
    assert_eq!(wallet(&v, h), usd("110"));
}

/// Defect 2 (§5.3): below 2/3 of maintenance the vault takes the whole account over at the
/// bankruptcy price while the vault's capital carries it. L long 1.000 at 100.0, wallet 10,
/// MMR 5%. At 94.0: equity 4 ≥ 2/3 × 4.7 = 3.13 → a market order to the (empty) book, nothing
/// fills, no ADL. At 93.0: equity 3 < 2/3 × 4.65 = 3.1 → the vault (capital 1,000; after the
/// takeover equity 1,003 > maintenance 4.65) buys 1.000 at 90.0 and L's wallet is empty.
#[test]
fn hyperliquid_vault_takes_the_account_below_two_thirds_of_maintenance() {
    let (mut v, ins) = venue(RuleSet::of(Name::Hyperliquid), "0.05");
    v.set_backstop_capital(USDT, usd("1000")).unwrap();
    let (l, s) = (account(&mut v, "10"), account(&mut v, "1000"));
    trade(&mut v, ins, l, s, "100", "1");
    let ev = mark(&mut v, ins, "94");
    assert!(reports(&ev).is_empty() && adl_fills(&ev).is_empty());
    v.set_time(1_000).unwrap();
    let ev = mark(&mut v, ins, "93");
    let r = reports(&ev);
    assert_eq!((r[0].kind, r[0].qty, r[0].price), (LiquidationKind::Vault, qty("1"), px("90")));
    assert!(adl_fills(&ev).is_empty());
    assert_eq!(wallet(&v, l), Cash::ZERO);
    let b = v.backstop_state().unwrap().unwrap();
    assert_eq!((b.capital, b.inventory), (usd("1000"), vec![(ins, qty("1"), usd("3"))]));
}

/// Defect 2: a vault without capital cannot take the account (equity 0 + 3 ≤ 4.65), and an
/// account whose value is still positive is never deleveraged: the market order sells into
/// the bid at 92.0 instead (L realizes −8, keeps 2).
#[test]
fn hyperliquid_without_vault_capital_sells_to_the_book_not_adl() {
    let (mut v, ins) = venue(RuleSet::of(Name::Hyperliquid), "0.05");
    let (l, s, m) = (account(&mut v, "10"), account(&mut v, "1000"), account(&mut v, "100000"));
    trade(&mut v, ins, l, s, "100", "1");
    v.place(m, ins, OrderRequest::limit(Side::Buy, px("92"), qty("5")), &mut Vec::new()).unwrap();
    let ev = mark(&mut v, ins, "93");
    let r = reports(&ev);
    assert_eq!((r[0].kind, r[0].qty, r[0].price), (LiquidationKind::Book, qty("1"), px("92")));
    assert!(adl_fills(&ev).is_empty());
    assert_eq!(wallet(&v, l), usd("2"));
}

/// Defect 2 (§5.4): ADL fires only once the account value is negative, at the previous mark.
/// L long 1.000 at 100.0, wallet 10, MMR 5%, no vault capital, empty book. Mark 94.0: equity 4
/// (≥ 2/3 of 4.7) → a market order finds nothing. Mark 88.0: equity −2 → ADL against S at the
/// previous mark 94.0 (S realizes 100 − 94 = 6; L gets 10 − 6 = 4 back).
#[test]
fn hyperliquid_adl_on_negative_account_value_at_the_previous_mark() {
    let (mut v, ins) = venue(RuleSet::of(Name::Hyperliquid), "0.05");
    let (l, s) = (account(&mut v, "10"), account(&mut v, "1000"));
    trade(&mut v, ins, l, s, "100", "1");
    assert!(adl_fills(&mark(&mut v, ins, "94")).is_empty());
    let ev = mark(&mut v, ins, "88");
    assert_eq!(adl_fills(&ev), vec![(s, qty("1"), px("94"))]);
    assert_eq!((wallet(&v, s), wallet(&v, l)), (usd("1006"), usd("4")));
}

/// Defect 2 (§5.3 slicing): positions above 100k USDC send 20% to the book; within the 30 s
/// cooldown that follows, liquidation orders are for the whole position. L long 2,000.000 at
/// 100.0 (200k notional), wallet 18,000, MMR 5%. At 95.5: equity 18,000 − 9,000 = 9,000 <
/// 5% × 191,000 = 9,550 (and ≥ 2/3 of it) → 400.000 (20%) sold at 95.5; L realizes −1,800.
/// One second later at 93.0: equity 16,200 − 7 × 1,600 = 5,000 < 7,440 (≥ 4,960) → in the
/// cooldown, the whole 1,600.000 goes to the bid at 93.0.
#[test]
fn hyperliquid_slices_then_sends_the_whole_position_in_the_cooldown() {
    let (mut v, ins) = venue(RuleSet::of(Name::Hyperliquid), "0.05");
    let (l, s, m) = (account(&mut v, "18000"), account(&mut v, "10000000"), account(&mut v, "10000000"));
    trade(&mut v, ins, l, s, "100", "2000");
    v.place(m, ins, OrderRequest::limit(Side::Buy, px("95.5"), qty("5000")), &mut Vec::new()).unwrap();
    let r = reports(&mark(&mut v, ins, "95.5"));
    assert_eq!((r.len(), r[0].qty, r[0].price), (1, qty("400"), px("95.5")));
    assert_eq!(wallet(&v, l), usd("16200"));
    v.cancel_all(m, ins, &mut Vec::new()).unwrap();
    v.place(m, ins, OrderRequest::limit(Side::Buy, px("93"), qty("5000")), &mut Vec::new()).unwrap();
    v.set_time(1_000).unwrap();
    let r = reports(&mark(&mut v, ins, "93"));
    assert_eq!((r.len(), r[0].qty, r[0].price), (1, qty("1600"), px("93")));
}

/// A position waiting on an empty book still starts its slice cooldown. As above, L long
/// 2,000.000 at 100.0 on 18,000, MMR 5%, but no bids: at 95.5 (equity 9,000 < 9,550, above 2/3
/// of it, so no vault) the 20% slice meets nothing, and the 30 s cooldown starts. One second
/// later a bid of 5,000.000 at 95.5 rests: in the cooldown, the order is for the whole
/// 2,000.000 (a waterfall that had not started the cooldown would send 400.000).
#[test]
fn a_position_waiting_on_an_empty_book_starts_its_slice_cooldown() {
    let (mut v, ins) = venue(RuleSet::of(Name::Hyperliquid), "0.05");
    let (l, s, m) = (account(&mut v, "18000"), account(&mut v, "10000000"), account(&mut v, "10000000"));
    trade(&mut v, ins, l, s, "100", "2000");
    assert!(reports(&mark(&mut v, ins, "95.5")).is_empty(), "no bids: nothing sold");
    assert_eq!(size(&v, l, ins), qty("2000"));
    v.place(m, ins, OrderRequest::limit(Side::Buy, px("95.5"), qty("5000")), &mut Vec::new()).unwrap();
    v.set_time(1_000).unwrap();
    let r = reports(&mark(&mut v, ins, "95.5"));
    assert_eq!((r.len(), r[0].qty, r[0].price), (1, qty("2000"), px("95.5")));
}

/// The same position on a venue whose market orders stop 5% from the mark: at 95.5 the sell
/// may go no lower than 95.5 × 0.95 = 90.725, i.e. 90.8 on the 0.1 tick. A bid at 90.7 is
/// beyond it, so the slice would expire unfilled: it is not sent (no order, no expiry), the
/// bid stays, and the cooldown starts as on an empty book; half a second later it still waits.
/// One second in, a bid at 90.8, on the band's edge, takes the whole 2,000.000.
#[test]
fn a_liquidation_order_is_not_sent_to_bids_beyond_the_market_band() {
    let mut v = Venue::new(VenueConfig {
        rules: RuleSet::of(Name::Hyperliquid),
        enforce_initial_margin: false,
        market_band: Rate::from_bps(500),
        audit: true,
        ..VenueConfig::default()
    });
    let spec = InstrumentSpec {
        fees: FeeSchedule { maker: Rate::ZERO, taker: Rate::ZERO },
        ..InstrumentSpec::linear("XUSDT", USDT, 1, 3)
    };
    let mmr: Rate = "0.05".parse().unwrap();
    let ins = v
        .add_instrument_with_tiers(spec, RiskTiers::flat(mmr, Rate(mmr.0 * 2), Cash::ZERO).unwrap())
        .unwrap();
    let (l, s, m) = (account(&mut v, "18000"), account(&mut v, "10000000"), account(&mut v, "10000000"));
    trade(&mut v, ins, l, s, "100", "2000");
    v.place(m, ins, OrderRequest::limit(Side::Buy, px("90.7"), qty("5000")), &mut Vec::new()).unwrap();
    let ev = mark(&mut v, ins, "95.5");
    assert!(reports(&ev).is_empty(), "the bid at 90.7 is beyond the band");
    assert!(!ev.iter().any(|e| matches!(e, VenueEvent::Cancelled { .. })), "no order sent to expire: {ev:?}");
    assert_eq!(size(&v, l, ins), qty("2000"));
    // Half a second on, in the cooldown, still nothing inside the band: it waits again.
    v.set_time(500).unwrap();
    let ev = mark(&mut v, ins, "95.5");
    assert!(ev.is_empty(), "waiting in the cooldown: {ev:?}");
    v.place(m, ins, OrderRequest::limit(Side::Buy, px("90.8"), qty("5000")), &mut Vec::new()).unwrap();
    v.set_time(1_000).unwrap();
    let r = reports(&mark(&mut v, ins, "95.5"));
    assert_eq!((r.len(), r[0].qty, r[0].price), (1, qty("2000"), px("90.8")));
}

/// Defect 4 (§6.3, DYDX-6): long 0.100 at 50,000.0 on a 499 USDC wallet, MMR 10%: TNC 499 <
/// TMMR 500. ABR = 1 × (1 − 499/500) = 0.002; fillable = (5,000 − 0.002 × 0.1 × 500) / 0.1 =
/// 49,999.0. The liquidation IOC takes the 0.050 bid at 49,999.0 but not the one at 49,998.0;
/// one step per block, so the rest waits. Its bankruptcy price is DYDX-1's: closing all of it
/// needs BQ = 4,501 (the USDC the position owes, 5,000 − 499), i.e. 45,010.0 per BTC.
#[test]
fn dydx_liquidation_order_is_limited_at_the_fillable_price() {
    let (mut v, ins) = venue(RuleSet::of(Name::Dydx), "0.1");
    let (l, s, m) = (account(&mut v, "499"), account(&mut v, "100000"), account(&mut v, "1000000"));
    v.set_mark_price(ins, px("50000"), &mut Vec::new()).unwrap();
    trade(&mut v, ins, l, s, "50000", "0.1");
    for (p, q) in [("49999", "0.05"), ("49998", "1")] {
        v.place(m, ins, OrderRequest::limit(Side::Buy, px(p), qty(q)), &mut Vec::new()).unwrap();
    }
    let r = reports(&mark(&mut v, ins, "50000"));
    assert_eq!(
        (r.len(), r[0].kind, r[0].qty, r[0].price),
        (1, LiquidationKind::Book, qty("0.05"), px("49999"))
    );
    assert_eq!(r[0].bankruptcy_price, px("45010"));
    assert_eq!(size(&v, l, ins), qty("0.05"));
}

/// Defect 4 (§6.3, DYDX-8): at TNC = 0 (long 0.100 opened at 55,000.0 on 500 USDC, oracle
/// 50,000.0) ABR = 1 and the fillable price is 50,000 − 0.1 × 500 / 0.1 = 49,500.0, below the
/// bankruptcy price 50,000.0. The bid at 49,600.0 fills; the fund pays (50,000 − 49,600) × 0.1
/// = 40 of the 100 it holds (the bankruptcy price at TNC = 0 is DYDX-3's 50,000 per BTC: BQ for
/// half the position 2,500). With a 20 USDC fund the order may go no lower than
/// 50,000 − 20 / 0.1 = 49,800.0, so nothing fills and, the account not being negative, it waits.
#[test]
fn dydx_fills_below_bankruptcy_are_paid_by_the_fund_as_far_as_it_goes() {
    for (seed, filled, fund_after) in [("100", "0.1", "60"), ("20", "0", "20")] {
        let (mut v, ins) = venue(RuleSet::of(Name::Dydx), "0.1");
        v.seed_insurance_fund(USDT, usd(seed)).unwrap();
        let (l, s, m) = (account(&mut v, "500"), account(&mut v, "100000"), account(&mut v, "1000000"));
        v.set_mark_price(ins, px("55000"), &mut Vec::new()).unwrap();
        trade(&mut v, ins, l, s, "55000", "0.1");
        v.place(m, ins, OrderRequest::limit(Side::Buy, px("49600"), qty("1")), &mut Vec::new()).unwrap();
        let ev = mark(&mut v, ins, "50000");
        let got = reports(&ev).iter().map(|r| r.qty.0).sum::<i64>();
        assert_eq!(Qty(got), qty(filled), "fund {seed}");
        assert!(adl_fills(&ev).is_empty());
        assert_eq!(fund(&v, ins), usd(fund_after), "fund {seed}");
    }
}

/// Defect 4 (§6.4): dYdX deleverages every offsetting position, profitable or not. L long
/// 1.000 at 100.0 on 5 USDT, MMR 10%; S1 short 0.500 at 100.0 (profitable below 100), S2 short
/// 0.500 at 80.0 (losing above 80). At 94.0 L's equity is −1 and its order finds no book, so
/// it is deleveraged at its bankruptcy price 95.0 against both shorts.
#[test]
fn dydx_deleverages_unprofitable_offsetting_positions_too() {
    let (mut v, ins) = venue(RuleSet::of(Name::Dydx), "0.1");
    let (l, s1, s2, x) =
        (account(&mut v, "5"), account(&mut v, "1000"), account(&mut v, "1000"), account(&mut v, "1000"));
    trade(&mut v, ins, x, s2, "80", "0.5");
    trade(&mut v, ins, l, s1, "100", "0.5");
    // X passes its long to L at 100.0 (L long 1.000 in all).
    trade(&mut v, ins, l, x, "100", "0.5");
    let ev = mark(&mut v, ins, "94");
    let mut fills = adl_fills(&ev);
    fills.sort();
    assert_eq!(fills, vec![(s1, qty("0.5"), px("95")), (s2, qty("0.5"), px("95"))]);
}

/// Defect 6: the fund's backstop sells 5% of its inventory per second, and pays no trading
/// fee. Fees 0.02% maker / 0.05% taker. L deposits 10.05 and buys 1.000 at 100.0 as taker (fee
/// 0.05, wallet 10), MMR 5%: at 92.0 equity 2 < 4.6 + the 0.05% fee to close. Bybit's bankruptcy
/// price embeds that fee (§2.3): 10 + (BP − 100) = 0.05% × BP ⇔ BP = 90 / 0.9995 = 90.045… → 90.1
/// (a long's rounds up to the tick). The fund (1,000) takes it over there and is paid the fee to
/// close, 0.05% × 90.1 = 0.04505, from the 0.1 L had left. Same pass: the backstop sells 5%
/// (0.050) into the bid at 91.0 with no taker fee (the maker pays 0.02% × 4.55 = 0.00091), and
/// its (91 − 90.1) × 0.05 = 0.045 is swept into the fund: 1,000.09005. Half a second later
/// nothing is sold; one second later 5% of 0.950 = 0.0475, rounded up to the lot: 0.048.
#[test]
fn the_backstop_offloads_at_its_pace_and_pays_no_fee() {
    let fees = FeeSchedule { maker: Rate::from_bps(2), taker: Rate::from_bps(5) };
    let (mut v, ins) = venue_with_fees(RuleSet::of(Name::Bybit), "0.05", fees);
    assert_eq!(v.rules().offload, Offload::Paced { share: Rate::from_bps(500), interval_ms: 1_000 });
    v.seed_insurance_fund(USDT, usd("1000")).unwrap();
    let (l, s, m) = (account(&mut v, "10.05"), account(&mut v, "1000"), account(&mut v, "100000"));
    trade(&mut v, ins, l, s, "100", "1");
    assert_eq!(wallet(&v, l), usd("10"));
    v.place(m, ins, OrderRequest::limit(Side::Buy, px("91"), qty("10")), &mut Vec::new()).unwrap();
    let pool = v.ledger().system(USDT).fee_pool;
    let ev = mark(&mut v, ins, "92");
    let fills: Vec<_> =
        ev.iter().filter_map(|e| if let VenueEvent::Trade(t) = e { Some(*t) } else { None }).collect();
    let r = reports(&ev);
    assert_eq!(
        (r[0].kind, r[0].qty, r[0].price, r[0].fee),
        (LiquidationKind::Backstop, qty("1"), px("90.1"), usd("0.04505"))
    );
    assert_eq!(wallet(&v, l), usd("0.05495"));
    assert_eq!(fills.len(), 1, "one offload fill: {fills:?}");
    assert_eq!((fills[0].qty, fills[0].price, fills[0].taker_fee), (qty("0.05"), px("91"), Cash::ZERO));
    assert_eq!(v.ledger().system(USDT).fee_pool, Cash(pool.0 + usd("0.00091").0));
    assert_eq!(fund(&v, ins), usd("1000.09005"));
    let b = v.backstop().unwrap();
    assert_eq!(size(&v, b, ins), qty("0.95"));
    v.set_time(500).unwrap();
    mark(&mut v, ins, "92");
    assert_eq!(size(&v, b, ins), qty("0.95"));
    v.set_time(1_000).unwrap();
    mark(&mut v, ins, "92");
    assert_eq!(size(&v, b, ins), qty("0.902"));
}

/// Defect 7 (§7.3): Drift socialises a market's unpaid loss over that market's open positions
/// by base, isolated ones included, after the fund and the fee pool. Liquidator and IF fees set
/// to 0 so the loss is round: B long 10.000 at 100.0 on 50 USDT; at 85.0 the liquidator takes
/// it at the oracle, B realizes −150, pays 50, and 100 is unpaid (fund and fee pool empty).
/// Left holding: L1 long 3 (cross), L2 long 4 (isolated, margin 100), S1 short 9, S2 short 8
/// — 24 base, so 100 / 24 = 4.1666… per base: L1 pays 12.5, L2 16.66666666, S1 37.5,
/// S2 33.33333333 (rounded down; 1e-8 stays as bad debt). The holders of market Y (another
/// instrument) pay nothing. (The reference vector DRIFT-11 — longs 7, shorts 4 — needs an AMM;
/// on a book longs and shorts are equal, but the rule loss / (|longs| + |shorts|) is the same.)
#[test]
fn drift_socialises_a_markets_loss_over_that_market_only() {
    let rules = RuleSet {
        execution: Execution::LiquidatorAtOracle { fee: Rate::ZERO },
        insurance_fee: Rate::ZERO,
        ..RuleSet::of(Name::Drift)
    };
    let (mut v, x) = venue(rules, "0.05");
    let fees = FeeSchedule { maker: Rate::ZERO, taker: Rate::ZERO };
    let y = v.add_instrument(InstrumentSpec { fees, ..InstrumentSpec::linear("YUSDT", USDT, 1, 3) }).unwrap();
    let b = account(&mut v, "50");
    let (l1, l2, s1, s2) =
        (account(&mut v, "1000"), account(&mut v, "1000"), account(&mut v, "1000"), account(&mut v, "1000"));
    let (y1, y2) = (account(&mut v, "1000"), account(&mut v, "1000"));
    v.set_margin_mode(l2, x, MarginMode::Isolated).unwrap();
    trade(&mut v, x, b, s1, "100", "9");
    trade(&mut v, x, b, s2, "100", "1");
    trade(&mut v, x, l1, s2, "100", "3");
    trade(&mut v, x, l2, s2, "100", "4");
    v.add_isolated_margin(l2, x, usd("100")).unwrap();
    trade(&mut v, y, y1, y2, "100", "1");
    let ev = mark(&mut v, x, "85");
    let charged: Vec<(AccountId, Cash)> = ev
        .iter()
        .filter_map(|e| match *e {
            VenueEvent::SocializedLoss { account, amount, .. } => Some((account, amount)),
            _ => None,
        })
        .collect();
    let mut charged = charged;
    charged.sort();
    let mut want =
        vec![(l1, usd("12.5")), (l2, usd("16.66666666")), (s1, usd("37.5")), (s2, usd("33.33333333"))];
    want.sort();
    assert_eq!(charged, want);
    assert_eq!(v.ledger().system(USDT).bad_debt, Cash(1));
    assert_eq!((wallet(&v, y1), wallet(&v, y2)), (usd("1000"), usd("1000")));
}

/// Defect 10 (§1.4): no ADL on Binance BTCUSDT while its open interest is ≤ 4B USDT — the fund
/// takes the bankrupt position whatever it costs, even empty (the loss becomes bad debt, which
/// Binance compensates). With the guarantee lifted the same crash deleverages the short.
#[test]
fn binance_btc_guarantee_keeps_adl_away() {
    for guarantee in [true, false] {
        let rules = RuleSet { partial: PartialRule::Full, ..RuleSet::of(Name::Binance) };
        let mut v = Venue::new(VenueConfig {
            rules,
            enforce_initial_margin: false,
            audit: true,
            ..VenueConfig::default()
        });
        let fees = FeeSchedule { maker: Rate::ZERO, taker: Rate::ZERO };
        let ins = v
            .add_instrument(InstrumentSpec { fees, ..InstrumentSpec::linear("BTCUSDT", USDT, 1, 3) })
            .unwrap();
        if !guarantee {
            v.set_adl_guarantee(ins, None).unwrap();
        }
        let (l, s) = (account(&mut v, "5"), account(&mut v, "1000"));
        trade(&mut v, ins, l, s, "100", "1");
        let ev = mark(&mut v, ins, "90");
        if guarantee {
            assert!(adl_fills(&ev).is_empty());
            assert_eq!(reports(&ev)[0].kind, LiquidationKind::Backstop);
        } else {
            assert_eq!(adl_fills(&ev), vec![(s, qty("1"), px("95"))]);
        }
    }
}

/// Binance's liquidation fee (§1.3) goes to the fund, on the amount liquidated, capped at what
/// the trader has left. L long 1.000 at 100.0 on 10 USDT, MMR 8%, whole-position rule. Bid at
/// 94.0, mark 95.0: equity 5 < 7.6; the IOC (limit at the bankruptcy price 90.0) sells at 94.0,
/// L realizes −6 (wallet 4) and pays 0.5% × 94 = 0.47 to the fund. Bid at 90.2, mark 91.0: L
/// realizes −9.8, keeps 0.2, and the 0.451 fee is capped at that 0.2.
#[test]
fn binance_liquidation_fee_to_the_fund_capped_at_what_is_left() {
    for (bid, m, fee, left) in [("94", "95", "0.47", "3.53"), ("90.2", "91", "0.2", "0")] {
        let rules = RuleSet { partial: PartialRule::Full, ..RuleSet::of(Name::Binance) };
        let (mut v, ins) = venue(rules, "0.08");
        let (l, s, mk) = (account(&mut v, "10"), account(&mut v, "1000"), account(&mut v, "100000"));
        trade(&mut v, ins, l, s, "100", "1");
        v.place(mk, ins, OrderRequest::limit(Side::Buy, px(bid), qty("5")), &mut Vec::new()).unwrap();
        let ev = mark(&mut v, ins, m);
        let r = reports(&ev);
        assert_eq!((r[0].kind, r[0].price, r[0].fee), (LiquidationKind::Book, px(bid), usd(fee)));
        assert_eq!(fund(&v, ins), usd(fee));
        assert_eq!(wallet(&v, l), usd(left));
    }
}

/// Defect 9: most underwater first, whatever the side. A (wallet 10) and B (wallet 5) are both
/// long 1.000 at 100.0, MMR 5%; at 94.5 A's equity is 4.5 < 4.725 and B's is −0.5. The one bid
/// (1.000 at 94.0) goes to B, the deeper one, though A's trigger is nearer the mark.
#[test]
fn the_most_underwater_account_is_liquidated_first() {
    let rules = RuleSet {
        partial: PartialRule::Full,
        execution: Execution::BookMarket,
        backstop_below: None,
        ..RuleSet::of(Name::Binance)
    };
    let (mut v, ins) = venue(rules, "0.05");
    let (a, b, s, m) =
        (account(&mut v, "10"), account(&mut v, "5"), account(&mut v, "1000"), account(&mut v, "100000"));
    trade(&mut v, ins, a, s, "100", "1");
    trade(&mut v, ins, b, s, "100", "1");
    v.place(m, ins, OrderRequest::limit(Side::Buy, px("94"), qty("1")), &mut Vec::new()).unwrap();
    let r = reports(&mark(&mut v, ins, "94.5"));
    assert_eq!((r[0].account, r[0].kind, r[0].qty), (b, LiquidationKind::Book, qty("1")));
}

/// The pass leaves an account its waterfall did not change un-re-indexed, except on a venue
/// where margin was added to an open isolated position (which moves the trigger without marking
/// the account). Hyperliquid, MMR 1%, no bids: a market liquidation order meets nothing. A and
/// its twin T are isolated longs 1.000 at 100.0 with 2.0 and 2.5 of margin: liquidatable at or
/// below 98/0.99 = 98.99 and 97.5/0.99 = 98.48. A gets 0.5 more margin (now T's figures, its
/// trigger still near 99.0). At 98.4 both are liquidatable (A: 2.5 − 1.6 = 0.9 ≤ 0.984, above
/// 2/3 of it, so no vault takeover) and nothing fills; A's trigger must then be T's.
#[test]
fn margin_added_to_an_open_position_is_re_indexed_by_a_pass_that_changes_nothing() {
    let (mut v, ins) = venue(RuleSet::of(Name::Hyperliquid), "0.01");
    let (a, t, s) = (account(&mut v, "10"), account(&mut v, "10"), account(&mut v, "1000000"));
    for (acct, margin) in [(a, "2"), (t, "2.5")] {
        v.set_margin_mode(acct, ins, MarginMode::Isolated).unwrap();
        v.add_isolated_margin(acct, ins, usd(margin)).unwrap();
        trade(&mut v, ins, acct, s, "100", "1");
    }
    assert!(reports(&mark(&mut v, ins, "99.5")).is_empty());
    let trigger = |v: &Venue, x| v.ledger().account(x).unwrap().position(ins).unwrap().trigger;
    let before = trigger(&v, a);
    assert!(before > trigger(&v, t), "2.0 of margin triggers higher than 2.5");
    v.add_isolated_margin(a, ins, usd("0.5")).unwrap();
    assert_eq!(trigger(&v, a), before, "adding margin does not re-index");
    assert!(reports(&mark(&mut v, ins, "98.4")).is_empty(), "no bids: nothing is liquidated");
    assert_eq!(v.position_margin(a, ins).unwrap(), v.position_margin(t, ins).unwrap());
    assert_eq!(trigger(&v, a), trigger(&v, t));
    assert!((985..=986).contains(&trigger(&v, t)), "98.48 on the price grid, plus one unit");
}

/// A pass that deleverages two markets in turn keeps each market's ranking (Bybit ranks by
/// PnL% × leverage). L1 and L2, cross on 10 USDT each, are long 1.000 X and 1.000 Y at 100.0,
/// bought from shorts A and B on X, C and D on Y. Every short gains the same per unit, so
/// the leverage decides: A and C (wallet 100) rank above B and D (wallet 1,000). No fund and
/// no book: at an X mark of 80.0 both longs are bankrupt (equity 10 − 20 = −10), each
/// position goes to ADL, and each market's top short is used up before its next: A and C
/// close against L1, B and D against L2, 1.000 each, whichever market the pass is on.
#[test]
fn adl_keeps_each_markets_ranking_across_a_cross_accounts_markets() {
    let (mut v, x) = venue(RuleSet::of(Name::Bybit), "0.05");
    let fees = FeeSchedule { maker: Rate::ZERO, taker: Rate::ZERO };
    let y = v.add_instrument(InstrumentSpec { fees, ..InstrumentSpec::linear("YUSDT", USDT, 1, 3) }).unwrap();
    let (l1, l2) = (account(&mut v, "10"), account(&mut v, "10"));
    let (a, b) = (account(&mut v, "100"), account(&mut v, "1000"));
    let (c, d) = (account(&mut v, "100"), account(&mut v, "1000"));
    trade(&mut v, x, l1, a, "100", "1");
    trade(&mut v, y, l1, c, "100", "1");
    trade(&mut v, x, l2, b, "100", "1");
    trade(&mut v, y, l2, d, "100", "1");
    mark(&mut v, y, "100");
    let ev = mark(&mut v, x, "80");
    let mut by_counterparty: Vec<(AccountId, Qty)> = adl_fills(&ev).iter().map(|f| (f.0, f.1)).collect();
    by_counterparty.sort();
    assert_eq!(by_counterparty, vec![(a, qty("1")), (b, qty("1")), (c, qty("1")), (d, qty("1"))]);
    for s in [a, b, c, d] {
        assert_eq!(size(&v, s, if s == a || s == b { x } else { y }), Qty::ZERO);
    }
    for l in [l1, l2] {
        assert_eq!((size(&v, l, x), size(&v, l, y)), (Qty::ZERO, Qty::ZERO));
    }
    let order: Vec<AccountId> = adl_fills(&ev).iter().map(|f| f.0).collect();
    let pos = |k: AccountId| order.iter().position(|o| *o == k).unwrap();
    assert!(pos(a) < pos(b) && pos(c) < pos(d), "each market's top short first: {order:?}");
}
