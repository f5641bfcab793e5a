//! `cascade liqmap --positions`: cross accounts share their wallet, inverse contracts are
//! solved (both through the venue calculator), against hand-computed prices.

use std::io::Write;
use std::str::FromStr;

use cascade_report::liqmap::{LiqMapOptions, build_from_file};
use rust_decimal::Decimal;

fn file(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f
}

/// Every (price band low, long notional) with something in it, bands of `band` within
/// `range_pct` of `price` (at most 100,000 bands are drawn).
fn longs(
    path: &std::path::Path,
    coin: &str,
    price: &str,
    band: &str,
    range_pct: u32,
) -> Vec<(Decimal, Decimal)> {
    let mut opts = LiqMapOptions::default();
    opts.prices.insert(coin.into(), Decimal::from_str(price).unwrap());
    opts.band = Some(Decimal::from_str(band).unwrap());
    opts.range_pct = Decimal::from(range_pct);
    opts.coin = Some(coin.into());
    let maps = build_from_file(path, &opts).unwrap_or_else(|e| panic!("{e}"));
    maps[0].bands.iter().filter(|b| b.long_total() > Decimal::ZERO).map(|b| (b.low, b.long_total())).collect()
}

/// Binance BTCUSDT's table (used for ETHUSDT too): 0.4% below 50,000 of notional, no
/// maintenance amount. Cross account `a`, wallet 12,000, long 0.4 BTC @ 100,000 and 10 ETH @
/// 4,000 (40,000 each). BTC, ETH held at 4,000: 12,000 + 0.4 (P − 100,000) = 0.004 (0.4 P +
/// 40,000) ⇒ 0.3984 P = 28,160 ⇒ P = 70,682.73; ETH likewise 9.96 Q = 28,160 ⇒ Q = 2,827.31.
/// The same BTC position isolated at 10x (margin 4,000) liquidates at 36,000 / 0.3984 =
/// 90,361.45: the `mode` column changes the answer.
#[test]
fn cross_accounts_share_their_wallet() {
    let f = file(
        "venue,symbol,side,size,entry_price,leverage,mode,account,wallet\n\
         binance,BTCUSDT,long,0.4,100000,,cross,a,12000\n\
         binance,ETHUSDT,long,10,4000,,cross,a,12000\n\
         binance,BTCUSDT,long,0.4,100000,10,isolated,,\n",
    );
    let btc = longs(f.path(), "BTC", "100000", "1", 35);
    assert_eq!(btc.len(), 2, "{btc:?}");
    assert_eq!(btc[0].0, Decimal::from(70_682));
    assert_eq!(btc[1].0, Decimal::from(90_361));
    let eth = longs(f.path(), "ETH", "4000", "0.1", 35);
    assert_eq!(eth[0].0, Decimal::from_str("2827.3").unwrap());
}

#[test]
fn a_cross_row_needs_its_account_and_one_wallet() {
    let f = file(
        "venue,symbol,side,size,entry_price,mode,account,wallet\n\
         binance,BTCUSDT,long,0.4,100000,cross,a,12000\n\
         binance,ETHUSDT,long,10,4000,cross,a,11000\n",
    );
    let e = build_from_file(f.path(), &LiqMapOptions::default()).unwrap_err().to_string();
    assert!(e.contains("row 2") && e.contains("wallet") && e.contains("differs"), "{e}");
    let f = file(
        "venue,symbol,side,size,entry_price,mode,account,wallet\nbinance,BTCUSDT,long,1,100000,cross,,5\n",
    );
    let e = build_from_file(f.path(), &LiqMapOptions::default()).unwrap_err().to_string();
    assert!(e.contains("account"), "{e}");
    let f = file("venue,symbol,side,size,entry_price,mode\nbinance,BTCUSDT,long,1,100000,hedge\n");
    let e = build_from_file(f.path(), &LiqMapOptions::default()).unwrap_err().to_string();
    assert!(e.contains("mode") && e.contains("hedge"), "{e}");
}

/// BitMEX XBTUSD, 100,000 contracts of 1 USD long @ 7,890.08 at 50x: liquidation at 7,773.4778
/// (`examples/calc/EXPECTED.md`, the calculator's inverse solve); the map's notional is the USD
/// face value, 100,000.
#[test]
fn inverse_contracts_are_solved() {
    let f = file("venue,symbol,side,size,entry_price,leverage\nbitmex,XBTUSD,long,100000,7890.08,50\n");
    let btc = longs(f.path(), "BTC", "7890.08", "0.01", 5);
    assert_eq!(btc.len(), 1, "{btc:?}");
    assert_eq!(btc[0].0, Decimal::from_str("7773.47").unwrap());
    let face = btc[0].1;
    assert!((face - Decimal::from(100_000)).abs() < Decimal::ONE, "{face}");
}
