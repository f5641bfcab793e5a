//! Units in the comparison of runs (`cascade report A B`): every amount names its currency. The
//! synthetic run has two venues, binance (BTCUSDT, ETHUSDT) and hyperliquid (BTC). Settling in
//! USDT and USDC, the venues' amounts add up as USD (counted 1:1, the caption and the axes say
//! so); with hyperliquid settling in BTC (an inverse contract), its amounts get rows and charts
//! of their own in BTC and are never added to the dollars.

mod common;

use cascade_report::charts::compare::{Labeled, figures};
use cascade_report::tables::{comparison_table, money};
use cascade_report::view::{RunContext, RunView};
use rust_decimal::Decimal;

fn context(hyperliquid: &str, inverse: bool) -> RunContext {
    let mut c = RunContext::default();
    c.settle.insert("binance".into(), "USDT".into());
    c.settle.insert("hyperliquid".into(), hyperliquid.into());
    if inverse {
        c.inverse.insert(("hyperliquid".into(), "BTC".into()));
    }
    c
}

fn row<'t>(t: &'t cascade_report::tables::Table, name: &str) -> &'t [String] {
    t.rows.iter().find(|r| r[0] == name).unwrap_or_else(|| panic!("no row {name}: {:?}", t.rows))
}

#[test]
fn dollars_add_up_as_usd_and_a_coin_stays_apart() {
    let rec = common::recording(40);
    let s = &rec.summary;
    let venue = |name: &str| s.venues.iter().find(|v| v.venue == name).unwrap();
    let (bin, hl) = (venue("binance"), venue("hyperliquid"));
    assert!(bin.liquidated_long_notional > Decimal::ZERO && hl.liquidated_long_notional > Decimal::ZERO);

    // USDT and USDC: one USD row, the two venues added.
    let usd = context("USDC", false);
    let t = comparison_table(&[("A".into(), s, &usd), ("B".into(), s, &usd)]);
    assert!(t.caption.contains("USD: USDC and USDT counted 1:1"), "{}", t.caption);
    let both = bin.liquidated_long_notional + hl.liquidated_long_notional;
    assert_eq!(row(&t, "liquidated, longs (USD)")[1], money(both));
    assert!(!t.rows.iter().any(|r| r[0].contains("settle asset")), "{:?}", t.rows);

    // USDT and BTC: a USDT row with binance alone, a BTC row with hyperliquid alone.
    let btc = context("BTC", true);
    let t = comparison_table(&[("A".into(), s, &btc), ("B".into(), s, &btc)]);
    assert_eq!(row(&t, "liquidated, longs (USDT)")[1], money(bin.liquidated_long_notional));
    assert_eq!(row(&t, "liquidated, longs (BTC)")[1], money(hl.liquidated_long_notional));
    assert_eq!(row(&t, "bad debt (BTC)")[1], money(hl.bad_debt));
    assert!(t.caption.contains("amounts in BTC in rows of their own, not converted"), "{}", t.caption);
    assert!(!t.rows.iter().any(|r| r[0].contains("(USD)")), "nothing is summed as USD: {:?}", t.rows);
}

#[test]
fn comparison_charts_name_their_units() {
    let rec = common::recording(40);
    let runs = |ctx: &RunContext| {
        vec![
            Labeled { label: "A".into(), view: RunView::with_context(&rec, ctx.clone()) },
            Labeled { label: "B".into(), view: RunView::with_context(&rec, ctx.clone()) },
        ]
    };
    let by_id = |figs: &[cascade_report::charts::Figure], id: &str| {
        figs.iter().find(|f| f.id == id).unwrap_or_else(|| panic!("no {id}")).clone()
    };
    let figs = figures(&runs(&context("USDC", false)));
    let liq = by_id(&figs, "compare-liquidations-cumulative");
    assert_eq!(liq.y_label, "liquidated since start (USD: USDC and USDT counted 1:1)");
    assert_eq!(by_id(&figs, "compare-mark-binance-btcusdt").y_label, "mark price (USDT)");
    assert_eq!(by_id(&figs, "compare-mark-hyperliquid-btc").y_label, "mark price (USDC)");

    let figs = figures(&runs(&context("BTC", true)));
    assert!(!figs.iter().any(|f| f.id == "compare-liquidations-cumulative"), "no chart adds BTC to USDT");
    let usdt = by_id(&figs, "compare-liquidations-cumulative-usdt");
    let btc = by_id(&figs, "compare-liquidations-cumulative-btc");
    assert_eq!(usdt.y_label, "liquidated since start (USDT)");
    assert_eq!(btc.y_label, "liquidated since start (BTC)");
    assert!(btc.title.ends_with("BTC-settled venues"), "{}", btc.title);
    // The inverse contract is priced in USD though it settles in BTC.
    assert_eq!(by_id(&figs, "compare-mark-hyperliquid-btc").y_label, "mark price (USD)");
    // The BTC chart's last cumulative value is hyperliquid's liquidated notional (long + short).
    let hl = rec.summary.venues.iter().find(|v| v.venue == "hyperliquid").unwrap();
    let total = cascade_report::charts::f(hl.liquidated_long_notional + hl.liquidated_short_notional);
    let last = btc.lines[0].points.last().unwrap().1;
    assert!((last - total).abs() < 1e-6 * total.max(1.0), "{last} vs {total}");
}
