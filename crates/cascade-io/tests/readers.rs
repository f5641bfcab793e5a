//! The exchange readers (`cascade_io::exchange`) on the samples in `data/samples/` (real files
//! and hand-written ones following the documented layouts; see its README) and on malformed
//! input: truncated zip and gzip, a damaged zip entry, wrong headers, bad numbers, wrong field
//! counts. Every expected figure is computed by hand in the comments from the rows quoted.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use cascade_io::IoError;
use cascade_io::exchange::binance::agg_trades::AggTrade;
use cascade_io::exchange::binance::book_depth::BookDepth;
use cascade_io::exchange::binance::book_ticker::BookTicker;
use cascade_io::exchange::binance::funding_rate::FundingRate;
use cascade_io::exchange::binance::klines::{Kline, PremiumKline};
use cascade_io::exchange::binance::liquidation_snapshot::{LiquidationOrder, Side};
use cascade_io::exchange::binance::metrics::Metrics;
use cascade_io::exchange::binance::trades::Trade;
use cascade_io::exchange::bybit::{BybitKline, BybitTrade, TickDirection};
use cascade_io::exchange::hyperliquid::{FillKind, Fills};
use cascade_io::exchange::{DataFile, Format, Record, Rows, Wrapping, inspect};
use rust_decimal::Decimal;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn sample(rel: &str) -> PathBuf {
    repo().join("data/samples").join(rel)
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn read<T: Record>(path: &Path) -> Result<Vec<T>, IoError> {
    let mut f = DataFile::open(path)?;
    Rows::<T>::new(&mut f)?.collect()
}

/// The figure labelled `label` of an inspection.
fn figure(i: &cascade_io::exchange::Inspection, label: &str) -> String {
    i.figures
        .iter()
        .find(|(k, _)| *k == label)
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("no {label}"))
}

/// `text` zipped as one deflated entry `name` into `dir/zip_name`.
fn zip_of(dir: &Path, zip_name: &str, entries: &[(&str, &[u8])]) -> PathBuf {
    let p = dir.join(zip_name);
    let mut z = zip::ZipWriter::new(fs::File::create(&p).unwrap());
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        z.start_file(*name, opts).unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap();
    p
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p
}

/// Hand-written aggTrades: takers sold 0.5 + 1.25 + 2.0 + 1.0 = 4.75 (is_buyer_maker = true)
/// and bought 0.01 + 0.24 = 0.25; trades aggregated 3 + 1 + 2 + 5 + 1 + 3 = 15; notional
/// 52155.6 + 130388.875 + 1043.113 + 208600 + 25033.32 + 104290 = 521510.908.
#[test]
fn agg_trades_sample_reads_exactly_plain_zipped_and_without_header() {
    let path = sample("binance/BTCUSDT-aggTrades-2025-10-10.csv");
    let rows: Vec<AggTrade> = read(&path).unwrap();
    assert_eq!(rows.len(), 6);
    assert_eq!(
        rows[0],
        AggTrade {
            agg_trade_id: 2_900_000_001,
            price: d("104311.2"),
            quantity: d("0.500"),
            first_trade_id: 6_800_000_001,
            last_trade_id: 6_800_000_003,
            transact_time: 1_760_131_200_000,
            is_buyer_maker: true,
            is_best_match: None,
        }
    );
    let i = inspect(&path, None, None).unwrap();
    assert_eq!(i.format, Format::BinanceAggTrades);
    assert_eq!(i.header, Some(true));
    assert_eq!(i.span.rows, 6);
    assert_eq!((i.span.min_ms, i.span.max_ms), (Some(1_760_131_200_000), Some(1_760_131_201_007)));
    assert_eq!(figure(&i, "taker sell quantity"), "4.75");
    assert_eq!(figure(&i, "taker buy quantity"), "0.25");
    assert_eq!(figure(&i, "trades aggregated"), "15");
    assert_eq!(figure(&i, "notional (price × quantity)"), "521510.908");
    assert_eq!(figure(&i, "low .. high"), "104290 .. 104311.3");

    // The same rows zipped (as data.binance.vision ships them) and without the header line
    // (archives before ~2022).
    let dir = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(&path).unwrap();
    let z = zip_of(
        dir.path(),
        "BTCUSDT-aggTrades-2025-10-10.zip",
        &[("BTCUSDT-aggTrades-2025-10-10.csv", text.as_bytes())],
    );
    let mut f = DataFile::open(&z).unwrap();
    assert_eq!(f.wrapping(), Wrapping::Zip);
    let zipped: Vec<AggTrade> = Rows::new(&mut f).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(zipped, rows);
    let body = text.split_once('\n').unwrap().1;
    let headerless = write(dir.path(), "old-aggTrades.csv", body);
    let mut f = DataFile::open(&headerless).unwrap();
    let mut it = Rows::<AggTrade>::new(&mut f).unwrap();
    let got: Vec<AggTrade> = it.by_ref().collect::<Result<_, _>>().unwrap();
    assert_eq!(got, rows);
    assert!(!it.had_header());
}

/// Spot: no header, 8 columns, times in microseconds: 1760131200001456 µs = 1760131200001 ms.
#[test]
fn spot_agg_trades_have_best_match_and_microseconds() {
    let rows: Vec<AggTrade> = read(&sample("binance/BTCUSDT-spot-aggTrades-2025-10-10.csv")).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].transact_time, 1_760_131_200_000);
    assert_eq!(rows[1].transact_time, 1_760_131_200_001);
    assert_eq!(rows[1].price, d("104319.99"));
    assert_eq!(rows[1].is_best_match, Some(true));
    assert!(!rows[1].is_buyer_maker);
    assert_eq!(rows[1].last_trade_id - rows[1].first_trade_id, 2);
}

/// Trades: 0.2 × 104311.2 = 20862.24 is the file's quote_qty; takers sold 0.2 + 0.3 = 0.5.
#[test]
fn trades_sample() {
    let path = sample("binance/BTCUSDT-trades-2025-10-10.csv");
    let rows: Vec<Trade> = read(&path).unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].quote_qty, rows[0].price * rows[0].qty);
    let i = inspect(&path, None, None).unwrap();
    assert_eq!(i.format, Format::BinanceTrades);
    assert_eq!(figure(&i, "taker sell quantity"), "0.5");
    assert_eq!(figure(&i, "taker buy quantity"), "0.01");
}

/// bookDepth: 2026-01-01 00:00:09 UTC = 20,454 days × 86,400 s + 9 s; two snapshots; the ±1 %
/// bands: bids 12,400,000 then 9,920,000 (min 9,920,000), asks 11,250,000 then 11,875,000.
#[test]
fn book_depth_sample() {
    let path = sample("binance/EXAMPLE-bookDepth-2026-01-01.csv");
    let rows: Vec<BookDepth> = read(&path).unwrap();
    assert_eq!(rows.len(), 20);
    assert_eq!(
        rows[0],
        BookDepth {
            timestamp: (20_454 * 86_400 + 9) * 1_000,
            percentage: d("-5"),
            depth: d("620184.39000000"),
            notional: d("75729582.96890000"),
        }
    );
    let i = inspect(&path, None, None).unwrap();
    assert_eq!(i.format, Format::BinanceBookDepth);
    assert_eq!(figure(&i, "snapshots"), "2");
    assert_eq!(figure(&i, "bid notional within 1% (first, last, min)"), "12400000, 9920000, 9920000");
    assert_eq!(figure(&i, "ask notional within 1% (first, last, min)"), "11250000, 11875000, 11250000");
}

/// bookTicker: spreads 104311.2 − 104311.1 = 0.1, 104311.2 − 104300.0 = 11.2, 104290.1 − 104290.0 = 0.1.
#[test]
fn book_ticker_sample() {
    let path = sample("binance/BTCUSDT-bookTicker-2025-10-10.csv");
    let rows: Vec<BookTicker> = read(&path).unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[2].event_time - rows[2].transaction_time, 3);
    let i = inspect(&path, None, None).unwrap();
    assert_eq!(i.format, Format::BinanceBookTicker);
    assert_eq!(figure(&i, "spread min .. max"), "0.1 .. 11.2");
}

/// metrics: the documented example row; 2025-11-02 00:05:00 UTC = (20,394 days × 86,400 + 300) s.
#[test]
fn metrics_sample() {
    let path = sample("binance/BTCUSDT-metrics-2025-11-02.csv");
    let rows: Vec<Metrics> = read(&path).unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].create_time, (20_394 * 86_400 + 300) * 1_000);
    assert_eq!(rows[0].symbol, "BTCUSDT");
    assert_eq!(rows[0].sum_open_interest, d("76643.191"));
    assert_eq!(rows[0].sum_open_interest_value, d("8430743345.6809"));
    assert_eq!(rows[0].count_long_short_ratio, Some(d("1.87546479")));
    let i = inspect(&path, None, None).unwrap();
    assert_eq!(figure(&i, "open interest min .. max"), "76590 .. 76701.5");
    assert_eq!(figure(&i, "long/short account ratio min .. max"), "1.87 .. 1.88");
    // An empty ratio cell is None (not 0); a metrics file must have its header line.
    let dir = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(&path).unwrap().replace(",1.88000000,", ",,");
    let rows: Vec<Metrics> = read(&write(dir.path(), "BTCUSDT-metrics-x.csv", &text)).unwrap();
    assert_eq!(rows[2].count_long_short_ratio, None);
    let body = text.split_once('\n').unwrap().1;
    let err = read::<Metrics>(&write(dir.path(), "nohead.csv", body)).unwrap_err().to_string();
    assert!(err.contains("nohead.csv") && err.contains("header line"), "{err}");
}

/// Real Binance funding archive (October 2025): 93 settlements (31 days × 3); 24 negative
/// (counted with awk on the file); 10 Oct 16:00 UTC settled at 1760112000014 (14 ms late) at
/// +0.00001013.
#[test]
fn funding_rate_real_file() {
    let path = sample("binance/BTCUSDT-fundingRate-2025-10.csv");
    let rows: Vec<FundingRate> = read(&path).unwrap();
    assert_eq!(rows.len(), 93);
    assert_eq!(
        rows[0],
        FundingRate {
            calc_time: 1_759_276_800_000,
            funding_interval_hours: 8,
            last_funding_rate: d("0.00003355")
        }
    );
    let oct10 = rows.iter().find(|r| r.calc_time / 1_000 == 1_760_112_000).unwrap();
    assert_eq!(oct10.calc_time, 1_760_112_000_014);
    assert_eq!(oct10.last_funding_rate, d("0.00001013"));
    let i = inspect(&path, None, None).unwrap();
    assert_eq!(i.format, Format::BinanceFunding);
    assert_eq!(figure(&i, "negative settlements"), "24");
    assert_eq!(figure(&i, "intervals (h)"), "8");
}

/// liquidationSnapshot (COIN-M, contracts): SELL orders 2, filled 1 + 3 = 4 contracts; BUY 1,
/// filled 2; filled × average: 1 × 68203.4 + 3 × 68190.0 = 272773.4 and 2 × 68420.1 = 136840.2.
#[test]
fn liquidation_snapshot_sample() {
    let path = sample("binance/BTCUSD_PERP-liquidationSnapshot-2024-03-05.csv");
    let rows: Vec<LiquidationOrder> = read(&path).unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].side, Side::Sell);
    assert_eq!((rows[0].price, rows[0].average_price), (d("67934.2"), d("68203.4")));
    assert_eq!(rows[2].side, Side::Buy);
    let i = inspect(&path, None, None).unwrap();
    assert_eq!(i.format, Format::BinanceLiquidations);
    assert_eq!(figure(&i, "longs liquidated (SELL orders)"), "2");
    assert_eq!(figure(&i, "filled quantity SELL / BUY"), "4 / 2");
    assert_eq!(figure(&i, "filled quantity × average price SELL / BUY"), "272773.4 / 136840.2");
}

/// The real 1-minute file (data/binance/, 20:00–23:59 UTC): 240 bars; the 21:20 bar
/// (open 1760131200000) has the day's low 101516.5 (data/binance/README.md); read the same
/// zipped; the premium reader takes a negative "price", the kline reader refuses it.
#[test]
fn klines_real_file_plain_and_zipped() {
    let path = repo().join("data/binance/BTCUSDT-1m-2025-10-10_2000_2359.csv");
    let rows: Vec<Kline> = read(&path).unwrap();
    assert_eq!(rows.len(), 240);
    let bar = rows.iter().find(|k| k.open_time == 1_760_131_200_000).unwrap();
    assert_eq!((bar.low, bar.close_time), (d("101516.5"), 1_760_131_259_999));
    let i = inspect(&path, None, None).unwrap();
    assert_eq!(i.format, Format::BinanceKlines);
    assert_eq!(figure(&i, "low .. high"), "101516.5 .. 117145.3");

    let dir = tempfile::tempdir().unwrap();
    let z = zip_of(
        dir.path(),
        "BTCUSDT-1m-2025-10-10.zip",
        &[("BTCUSDT-1m-2025-10-10.csv", &fs::read(&path).unwrap())],
    );
    assert_eq!(read::<Kline>(&z).unwrap(), rows);
    assert_eq!(inspect(&z, None, None).unwrap().format, Format::BinanceKlines);

    let premium = "1760131200000,-0.00012,0.0001,-0.0003,-0.0002,0,1760131259999,0,12,0,0,0\n";
    let p = write(dir.path(), "BTCUSDT-1m-premium.csv", premium);
    assert_eq!(read::<PremiumKline>(&p).unwrap()[0].0.low, d("-0.0003"));
    let err = read::<Kline>(&p).unwrap_err().to_string();
    assert!(err.contains("row 1 (line 1), field `open`") && err.contains("not > 0"), "{err}");
}

/// Real Bybit 15-minute bars: 97 (2025-10-10 12:00 to 2025-10-11 12:00); the 21:15 bar
/// O 112183.9 H 112500.0 L 101045.9 C 108217.6 (shared/data/real/bybit_linear_15m/README).
#[test]
fn bybit_klines_real_file() {
    let path = sample("bybit/BTCUSDT_15m_2025-10-10_1200_2025-10-11_1200.csv");
    let rows: Vec<BybitKline> = read(&path).unwrap();
    assert_eq!(rows.len(), 97);
    // 2025-10-10 21:15 UTC = 1760130900000 (21:20 is 1760131200000, 5 minutes later).
    let bar = rows.iter().find(|k| k.start_time == 1_760_130_900_000).unwrap();
    assert_eq!(
        (bar.open, bar.high, bar.low, bar.close),
        (d("112183.9"), d("112500.0"), d("101045.9"), d("108217.6"))
    );
    assert_eq!(inspect(&path, None, None).unwrap().format, Format::BybitKlines);
}

/// Bybit trading: 1760131200.0974 s → 1760131200097 ms; the gzip and the plain file give the
/// same rows; takers sold 0.5 + 2.0 = 2.5.
#[test]
fn bybit_trades_plain_and_gzip() {
    let plain = sample("bybit/BTCUSDT2025-10-10.csv");
    let gz = sample("bybit/BTCUSDT2025-10-10.csv.gz");
    let rows: Vec<BybitTrade> = read(&plain).unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].time_ms, 1_760_131_200_097);
    assert!(rows[0].taker_sold);
    assert_eq!(rows[0].tick_direction, TickDirection::MinusTick);
    assert_eq!(rows[0].gross_value, d("5215560000000"));
    assert_eq!(rows[2].rpi, Some(true));
    assert_eq!(read::<BybitTrade>(&gz).unwrap(), rows);
    let i = inspect(&gz, None, None).unwrap();
    assert_eq!((i.format, i.wrapping), (Format::BybitTrades, Wrapping::Gzip));
    assert_eq!(figure(&i, "taker sell quantity"), "2.5");
}

/// Real Hyperliquid block 777010856: six fills (MELANIA ×2, @107 ×2, WLFI ×2); the WLFI pair is a
/// liquidation (method market, mark 0.15319) of 0xa59f…, whose own fill is the taker's
/// `Close Short`: 890 × 0.15327 = 136.4103 liquidated.
#[test]
fn hyperliquid_liquidation_block_real() {
    let path = sample("hyperliquid/node_fills_2025-10-27_liquidation_block.jsonl");
    let mut f = DataFile::open(&path).unwrap();
    let fills: Vec<_> = Fills::new(&mut f).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(fills.len(), 6);
    assert!(fills.iter().all(|x| x.block_number == 777_010_856 && x.block_time == 1_761_584_402_387));
    let liq: Vec<_> = fills.iter().filter(|x| x.kind == FillKind::Liquidation).collect();
    assert_eq!(liq.len(), 2);
    let own: Vec<_> = liq.iter().filter(|x| x.is_liquidated_side()).collect();
    assert_eq!(own.len(), 1);
    assert_eq!(
        (own[0].coin.as_str(), own[0].dir.as_str(), own[0].px, own[0].sz),
        ("WLFI", "Close Short", d("0.15327"), d("890.0"))
    );
    assert_eq!(own[0].liquidation.as_ref().unwrap().mark_px, d("0.15319"));
    let i = inspect(&path, None, None).unwrap();
    assert_eq!(i.format, Format::HyperliquidFills);
    assert_eq!(figure(&i, "liquidated notional (px × sz)"), "136.4103");

    let i =
        inspect(&sample("hyperliquid/node_fills_2025-10-27_1700_first8blocks.jsonl"), None, None).unwrap();
    assert!(i.span.rows > 0);
    assert_eq!(figure(&i, "ADL fills"), "0");
}

/// Hand-written block: a `Liquidated Cross Long` fill (liquidation) and its `Auto-Deleveraging`
/// counterparty (ADL), 2 ETH at 3500 each: 7000 liquidated, 7000 deleveraged.
#[test]
fn hyperliquid_adl_is_flagged() {
    let path = sample("hyperliquid/node_fills_handwritten_adl.jsonl");
    let i = inspect(&path, None, None).unwrap();
    assert_eq!(figure(&i, "fills of liquidated accounts"), "1");
    assert_eq!(figure(&i, "liquidated notional (px × sz)"), "7000");
    assert_eq!(figure(&i, "ADL fills"), "1");
    assert_eq!(figure(&i, "ADL notional (px × sz)"), "7000");
}

/// Malformed JSON names the line; a bad decimal names the block and the field path.
#[test]
fn hyperliquid_bad_input_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let good = fs::read_to_string(sample("hyperliquid/node_fills_handwritten_adl.jsonl")).unwrap();
    let p = write(dir.path(), "node_fills_bad.jsonl", &format!("{good}{{\"block_time\": 3\n"));
    let err = inspect(&p, None, None).unwrap_err().to_string();
    assert!(err.contains("row 2 (line 2)") && err.contains("not a node_fills block"), "{err}");
    let p =
        write(dir.path(), "node_fills_px.jsonl", &good.replacen("\"px\":\"3500.0\"", "\"px\":\"35O0\"", 1));
    let err = inspect(&p, None, None).unwrap_err().to_string();
    assert!(err.contains("row 1 (line 1), field `events[0].px`") && err.contains("`35O0`"), "{err}");
}

/// A zip cut short has no central directory: refused as truncated, not read as garbage.
#[test]
fn truncated_zip_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let text = fs::read(sample("binance/BTCUSDT-aggTrades-2025-10-10.csv")).unwrap();
    let z = zip_of(dir.path(), "a.zip", &[("BTCUSDT-aggTrades-2025-10-10.csv", &text)]);
    let bytes = fs::read(&z).unwrap();
    let cut = write(dir.path(), "cut.zip", "");
    fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = inspect(&cut, None, None).unwrap_err();
    assert!(matches!(err, IoError::Corrupt { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("cut.zip") && msg.contains("truncated"), "{msg}");
}

/// A zip whose compressed data is damaged fails while reading, naming the entry and a row.
#[test]
fn damaged_zip_entry_is_refused_with_its_row() {
    let dir = tempfile::tempdir().unwrap();
    // Enough rows that the deflate stream is long; flip a byte in its middle.
    let mut text = String::from(
        "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker\n",
    );
    for k in 0..2_000u64 {
        text.push_str(&format!(
            "{},{}.{},0.{:03},{k},{k},{},true\n",
            k + 1,
            100_000 + k % 97,
            k % 10,
            k % 1000 + 1,
            1_760_131_200_000 + k
        ));
    }
    let z = zip_of(dir.path(), "d.zip", &[("BTCUSDT-aggTrades-2025-10-10.csv", text.as_bytes())]);
    let mut bytes = fs::read(&z).unwrap();
    let mid = 30 + "BTCUSDT-aggTrades-2025-10-10.csv".len() + 200;
    bytes[mid] ^= 0x55;
    fs::write(&z, &bytes).unwrap();
    let err = inspect(&z, Some(Format::BinanceAggTrades), None).unwrap_err().to_string();
    assert!(err.contains("d.zip!BTCUSDT-aggTrades-2025-10-10.csv") && err.contains("row "), "{err}");
}

/// A gzip stream cut short: the rows before the cut are read, then the reader says the data
/// stops short instead of ending quietly.
#[test]
fn truncated_gzip_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = fs::read(sample("bybit/BTCUSDT2025-10-10.csv.gz")).unwrap();
    let p = dir.path().join("BTCUSDT2025-10-10.csv.gz");
    fs::write(&p, &bytes[..bytes.len() - 12]).unwrap();
    let err = inspect(&p, None, None).unwrap_err().to_string();
    assert!(err.contains("stops short"), "{err}");
}

/// An archive with two CSVs is refused, naming them.
#[test]
fn zip_with_two_files_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let z = zip_of(dir.path(), "two.zip", &[("a.csv", b"1\n"), ("b.csv", b"2\n")]);
    let err = inspect(&z, None, None).unwrap_err().to_string();
    assert!(err.contains("2 files (a.csv, b.csv)"), "{err}");
}

/// A header that is not the dataset's names the first column that differs.
#[test]
fn wrong_header_names_the_column() {
    let dir = tempfile::tempdir().unwrap();
    let text = "agg_trade_id,price,qty,first_trade_id,last_trade_id,transact_time,is_buyer_maker\n\
                1,100.0,1.0,1,1,1760131200000,true\n";
    let p = write(dir.path(), "BTCUSDT-aggTrades-x.csv", text);
    let err = inspect(&p, Some(Format::BinanceAggTrades), None).unwrap_err().to_string();
    assert!(
        err.contains("bad header") && err.contains("column 3 is `qty`") && err.contains("`quantity`"),
        "{err}"
    );
    // Auto-detection falls back on the name, then says the same.
    let err = inspect(&p, None, None).unwrap_err().to_string();
    assert!(err.contains("column 3 is `qty`"), "{err}");
}

/// Bad numbers, bad booleans, bad times and short records name the row, line and column.
#[test]
fn bad_cells_name_row_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let head = "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker\n";
    let ok = "1,100.0,1.0,1,1,1760131200000,true\n";
    let cases = [
        (
            "2,1OO.0,1.0,2,2,1760131200001,true\n",
            "row 2 (line 3), field `price`",
            "`1OO.0` is not a decimal number",
        ),
        ("2,100.0,-1.0,2,2,1760131200001,true\n", "field `quantity`", "negative"),
        ("2,0,1.0,2,2,1760131200001,true\n", "field `price`", "not > 0"),
        ("2,100.0,1.0,2,2,1760131200,true\n", "field `transact_time`", "seconds?"),
        ("2,100.0,1.0,2,2,1760131200001,yes\n", "field `is_buyer_maker`", "not true or false"),
        ("2,100.0,1.0,3,2,1760131200001,true\n", "field `last_trade_id`", "below first_trade_id"),
        (
            "2,100.0,1.0,2,2,1760131200001\n",
            "row 2 (line 3), field `-`",
            "6 fields where this file's rows have 7",
        ),
        ("2,100.0,1_0,2,2,1760131200001,true\n", "field `quantity`", "`1_0`"),
        ("2,NaN,1.0,2,2,1760131200001,true\n", "field `price`", "`NaN`"),
    ];
    for (row, at, what) in cases {
        let p = write(dir.path(), "BTCUSDT-aggTrades-bad.csv", &format!("{head}{ok}{row}"));
        let err = inspect(&p, None, None).unwrap_err().to_string();
        assert!(
            err.contains("BTCUSDT-aggTrades-bad.csv") && err.contains(at) && err.contains(what),
            "{row}: {err}"
        );
    }
    // Headerless with a field count no layout has.
    let p = write(dir.path(), "BTCUSDT-aggTrades-short.csv", "1,100.0,1.0,1,1\n");
    let err = inspect(&p, None, None).unwrap_err().to_string();
    assert!(err.contains("5 fields and no header line"), "{err}");
}

/// Every sample's format is told from its header or name; a file that says nothing asks for
/// `--format`.
#[test]
fn formats_are_detected() {
    let cases = [
        ("binance/BTCUSDT-aggTrades-2025-10-10.csv", Format::BinanceAggTrades),
        ("binance/BTCUSDT-spot-aggTrades-2025-10-10.csv", Format::BinanceAggTrades),
        ("binance/BTCUSDT-trades-2025-10-10.csv", Format::BinanceTrades),
        ("binance/EXAMPLE-bookDepth-2026-01-01.csv", Format::BinanceBookDepth),
        ("binance/BTCUSDT-bookTicker-2025-10-10.csv", Format::BinanceBookTicker),
        ("binance/BTCUSDT-metrics-2025-11-02.csv", Format::BinanceMetrics),
        ("binance/BTCUSDT-fundingRate-2025-10.csv", Format::BinanceFunding),
        ("binance/BTCUSD_PERP-liquidationSnapshot-2024-03-05.csv", Format::BinanceLiquidations),
        ("bybit/BTCUSDT_15m_2025-10-10_1200_2025-10-11_1200.csv", Format::BybitKlines),
        ("bybit/BTCUSDT2025-10-10.csv.gz", Format::BybitTrades),
        ("hyperliquid/node_fills_2025-10-27_1700_first8blocks.jsonl", Format::HyperliquidFills),
    ];
    for (rel, want) in cases {
        assert_eq!(inspect(&sample(rel), None, None).unwrap().format, want, "{rel}");
    }
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "mystery.csv", "1,2,3\n");
    let err = inspect(&p, None, None).unwrap_err().to_string();
    assert!(err.contains("pass --format"), "{err}");
    assert!(Format::from_name("binance-aggtrade").unwrap_err().contains("binance-aggtrades"));
}

/// `--csv`: the normalised file has the dataset's columns, Unix-ms times and exact decimals.
#[test]
fn normalised_csv_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("depth.csv");
    inspect(&sample("binance/EXAMPLE-bookDepth-2026-01-01.csv"), None, Some(&out)).unwrap();
    let text = fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("timestamp_ms,percentage,depth,notional"));
    assert_eq!(lines.next(), Some("1767225609000,-5,620184.39000000,75729582.96890000"));
    assert_eq!(text.lines().count(), 21);
}
