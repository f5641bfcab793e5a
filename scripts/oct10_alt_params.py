#!/usr/bin/env python3
"""Derive the thin-altcoin and OKX parameters of scenarios/oct-10-2025.toml from real market data.

Usage: oct10_alt_params.py DATA_DIR

DATA_DIR holds the public data the numbers come from (python3 standard library only):
  DATA_DIR/binance_um_5m/<SYM>USDT_5m*.csv      Binance USD-M perp 5-minute klines
        (Binance REST /fapi/v1/klines; same bars as data.binance.vision futures/um klines),
        columns timestamp(ms),open,high,low,close,volume(base)
  DATA_DIR/binance_um_5m/universe_binance_um_top80.json   Binance exchangeInfo tick_size/step_size
  DATA_DIR/bybit_linear_15m/<SYM>USDT_15m.csv   Bybit v5 /v5/market/kline category=linear,
        columns timestamp(UTC text),open,high,low,close,volume,turnover(USDT)
  DATA_DIR/binance_oct10_cross_market/all_exchanges_window_volume_2025-10-10_2109_2200.csv
        USD volume per market on 17 exchanges, 21:09-22:00 UTC 10 Oct 2025
        (github.com/Jamster187/oct10-black-swan-analysis)

It prints every derived number, then the values of each TOML block of the scenario ([[assets]]
in full; makers, population weights, shocks and ticks as tables). The scenario file never reads
these files. Rules used (the scenario's comments repeat them):
  * index_price: Binance perp open of the 20:45 UTC bar, 10 Oct 2025.
  * annual_volatility: realised volatility of Binance 5-minute log returns, 1 Oct 00:00 to
    10 Oct 20:45 UTC, annualised with sqrt(288 * 365).
  * beta: OLS slope of the alt's 5-minute log returns on BTCUSDT's over the same window.
  * pre-event depth ratio r = mean 5-minute quote volume (volume x close) of the alt over the same
    window / BTCUSDT's (Binance; Bybit uses its own turnover column, 7 Oct 10:45 to 10 Oct 20:45).
    A maker's level_notional = (the venue's BTC depth per level, count x level_notional of its
    BTC [[makers]]) x r / maker count: books as deep relative to BTC's as the traded volume is.
  * crash-window ratio w = the alt's USDT-perp volume 21:09-22:00 UTC / BTC's, same exchange.
    Population weight = the venue's BTC weight x w; shock notional = BTC shock notional x
    (alt / BTC USDT-perp volume summed over Binance, Bybit and OKX).
  * pull_volatility (makers) = 2.5 / 0.45 x the asset's annual_volatility: Binance's BTC
    makers' multiple of BTC's calm volatility.
  * fair_value_move = BTC's fair_value_move (-0.03) x beta, rounded to 0.005.
"""
import csv, datetime, json, math, os, statistics, sys

T0 = int(datetime.datetime(2025, 10, 10, 20, 45, tzinfo=datetime.timezone.utc).timestamp() * 1000)
PRE_START = int(datetime.datetime(2025, 10, 1, tzinfo=datetime.timezone.utc).timestamp() * 1000)
T1H = T0 + 3600 * 1000

ALTS = ["BNB", "HYPE", "XRP", "LINK", "DOGE", "ADA", "AVAX", "ENA", "DOT", "WIF", "SUI"]
BYBIT = ["XRP", "DOGE", "SUI", "AVAX", "WIF"]
HYPERLIQUID = ["HYPE", "XRP", "DOGE", "SUI", "ENA"]
OKX = ["XRP", "DOGE", "SUI", "ADA"]

# Existing scenario values the derivation scales (read from scenarios/oct-10-2025.toml).
BTC_DEPTH = {"binance": 4 * 500_000, "bybit": 3 * 300_000, "hyperliquid": 3 * 250_000}
BTC_WEIGHT = {"binance": 0.1, "bybit": 0.12, "hyperliquid": 0.275}
MAJOR_WEIGHT = {"BTC": 0.1, "ETH": 0.06, "SOL": 0.04}  # Binance's, scaled for OKX
BTC_SHOCK_NOTIONAL = 1_500_000_000
BTC_SHOCK_MOVE = -0.03
ALT_MAKERS = {"binance": 2, "bybit": 1, "hyperliquid": 1, "okx": 1}
# Binance's BTC makers pull at 2.5 annualised volatility with BTC's calm volatility at 0.45: the
# alt makers pull at the same multiple of their own asset's (rounded as the file rounds it).
BTC_PULL, BTC_VOL = 2.5, 0.45
ALT_LEVELS = 10
# Hyperliquid size decimals (szDecimals of its `meta` info endpoint). Assumption: values as
# listed in late 2025, not in the data folder.
HL_SZ_DECIMALS = {"HYPE": 2, "XRP": 0, "DOGE": 0, "SUI": 1, "ENA": 0}


def sig(x, n=2):
    """x rounded to n significant figures."""
    if x == 0:
        return 0
    return round(x, -int(math.floor(math.log10(abs(x)))) + (n - 1))


def fmt_num(x):
    x = sig(x, 2)
    return str(int(x)) if x >= 1 else repr(x)


def fmt_dec(x):
    s = f"{x:.12f}".rstrip("0").rstrip(".")
    return s


def binance_bars(d, sym):
    folder = os.path.join(d, "binance_um_5m")
    name = [f for f in os.listdir(folder) if f.startswith(sym + "USDT_5m")][0]
    with open(os.path.join(folder, name)) as fh:
        return [(int(r["timestamp"]), float(r["open"]), float(r["high"]), float(r["low"]),
                 float(r["close"]), float(r["volume"])) for r in csv.DictReader(fh)]


def bybit_bars(d, sym):
    path = os.path.join(d, "bybit_linear_15m", sym + "USDT_15m.csv")
    out = []
    with open(path) as fh:
        for r in csv.DictReader(fh):
            t = datetime.datetime.strptime(r["timestamp"], "%Y-%m-%d %H:%M:%S")
            ms = int(t.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
            out.append((ms, r["open"], r["high"], r["low"], r["close"], float(r["turnover"])))
    return out


def window_volume(d):
    path = os.path.join(d, "binance_oct10_cross_market",
                        "all_exchanges_window_volume_2025-10-10_2109_2200.csv")
    vol = {}
    with open(path) as fh:
        for r in csv.DictReader(fh):
            # USDT-margined perpetual only: tables `<exchange>_<base>_usdt:usdt_1m`.
            if r["type"] != "futures" or not r["table"].endswith("_usdt:usdt_1m"):
                continue
            vol[(r["exchange"].lower(), r["base"].upper())] = float(r["usd_volume"])
    return vol


def log_returns(bars):
    pre = [b for b in bars if PRE_START <= b[0] < T0]
    return {pre[i][0]: math.log(pre[i][4] / pre[i - 1][4]) for i in range(1, len(pre))}, pre


def main(d):
    uni = {s["baseAsset"]: s for s in json.load(open(os.path.join(d, "binance_um_5m",
                                                                 "universe_binance_um_top80.json")))["symbols"]}
    wv = window_volume(d)
    btc = binance_bars(d, "BTC")
    btc_ret, btc_pre = log_returns(btc)
    btc_qv = statistics.mean(b[5] * b[4] for b in btc_pre)
    byb_btc = [b for b in bybit_bars(d, "BTC") if b[0] < T0]
    byb_btc_qv = statistics.mean(b[5] for b in byb_btc)
    btc_open = [b for b in btc if b[0] == T0][0][1]
    btc_low = min(b[3] for b in btc if T0 <= b[0] < T1H)
    print(f"# BTCUSDT Binance: open 20:45 {btc_open}, low 20:45-21:45 {btc_low} "
          f"({(btc_low / btc_open - 1) * 100:.1f}%), mean 5m quote volume 1-10 Oct {btc_qv:,.0f}")
    print(f"# BTCUSDT Bybit: mean 15m turnover 7 Oct 10:45-10 Oct 20:45 {byb_btc_qv:,.0f}")
    for ex in ("binance", "bybit", "okx"):
        print(f"# BTC USDT perp volume 21:09-22:00 on {ex}: {wv[(ex, 'BTC')]:,.0f}")

    a = {}
    for s in ALTS:
        bars = binance_bars(d, s)
        ret, pre = log_returns(bars)
        common = [t for t in ret if t in btc_ret]
        xs, ys = [btc_ret[t] for t in common], [ret[t] for t in common]
        mx, my = statistics.mean(xs), statistics.mean(ys)
        beta = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
        vol = statistics.pstdev(ys) * math.sqrt(288 * 365)
        qv = statistics.mean(b[5] * b[4] for b in pre)
        o = [b for b in bars if b[0] == T0][0][1]
        low = min(b[3] for b in bars if T0 <= b[0] < T1H)
        close_1h = [b for b in bars if b[0] == T1H - 300_000][0][4]
        x = {"open": o, "vol": vol, "beta": beta, "r_binance": qv / btc_qv, "qv": qv,
             "drop": low / o - 1, "close_1h": close_1h / o - 1,
             "tick": uni[s]["tick_size"], "step": uni[s]["step_size"]}
        if s in BYBIT:
            bb = bybit_bars(d, s)
            x["r_bybit"] = statistics.mean(b[5] for b in bb if b[0] < T0) / byb_btc_qv
            x["bybit_decimals"] = max(len(v.split(".")[1]) if "." in v else 0
                                      for b in bb for v in b[1:5])
        for ex in ("binance", "bybit", "okx"):
            x["w_" + ex] = wv.get((ex, s), 0.0) / wv[(ex, "BTC")]
        x["shock_ratio"] = (sum(wv.get((ex, s), 0.0) for ex in ("binance", "bybit", "okx"))
                            / sum(wv[(ex, "BTC")] for ex in ("binance", "bybit", "okx")))
        a[s] = x
        print(f"# {s}: open {o} vol {vol:.3f} beta {beta:.3f} qv5m {qv:,.0f} r_binance "
              f"{x['r_binance']:.5f} r_bybit {x.get('r_bybit', float('nan')):.5f} "
              f"w_binance {x['w_binance']:.5f} w_bybit {x['w_bybit']:.5f} w_okx {x['w_okx']:.5f} "
              f"shock_ratio {x['shock_ratio']:.5f} drop_1h {x['drop'] * 100:.1f}% "
              f"(x{x['drop'] / (btc_low / btc_open - 1):.1f} BTC) close_21:45 {x['close_1h'] * 100:.1f}%")

    okx_scale = wv[("okx", "BTC")] / wv[("bybit", "BTC")]
    okx_btc_depth = BTC_DEPTH["bybit"] * okx_scale
    fut = lambda ex: sum(v for (e, _), v in wv.items() if e == ex)
    okx_vs_binance = fut("okx") / fut("binance")
    print(f"# OKX/Bybit BTC perp volume 21:09-22:00 {okx_scale:.4f} -> OKX BTC depth per level "
          f"{okx_btc_depth:,.0f}; OKX/Binance USDT-perp volume {okx_vs_binance:.4f}")
    for m in ("ETH", "SOL"):
        print(f"# OKX {m}/BTC perp volume 21:09-22:00 {wv[('okx', m)] / wv[('okx', 'BTC')]:.4f}")

    print("\n# ---- [[assets]]")
    for s in ALTS:
        x = a[s]
        print(f'[[assets]]\nname = "{s}"\nindex_price = "{x["open"]}"\n'
              f'annual_volatility = {x["vol"]:.2f}\n')
    print("# ---- makers level_notional (per maker) and capital")
    for ven, lst in (("binance", ALTS), ("bybit", BYBIT), ("hyperliquid", HYPERLIQUID), ("okx", OKX)):
        for s in lst:
            x = a[s]
            if ven == "bybit":
                r = x["r_bybit"]
            elif ven == "okx":
                r = x["w_okx"]
            else:
                r = x["r_binance"]
            base = okx_btc_depth if ven == "okx" else BTC_DEPTH[ven]
            ln = sig(base * r / ALT_MAKERS[ven], 2)
            cap = sig(max(30 * ln * ALT_LEVELS, 1_000_000), 2)
            pull = round(BTC_PULL / BTC_VOL * round(x["vol"], 2), 2)
            print(f"{ven:12s} {s:5s} r {r:.5f} level_notional {fmt_num(ln)} capital {fmt_num(cap)} "
                  f"max_inventory {fmt_num(5 * ln * ALT_LEVELS)} pull_volatility {pull}")
    for m in ("BTC", "ETH", "SOL"):
        r = wv[("okx", m)] / wv[("okx", "BTC")]
        print(f"okx          {m:5s} level_notional {fmt_num(okx_btc_depth * r / 2)} (2 makers)")
    print("# ---- population weights")
    for ven, lst, key in (("binance", ALTS, "w_binance"), ("bybit", BYBIT, "w_bybit"),
                          ("hyperliquid", HYPERLIQUID, "w_binance")):
        for s in lst:
            print(f"{ven:12s} {s:5s} weight {sig(BTC_WEIGHT[ven] * a[s][key], 2)}")
    okx_btc_w = sig(MAJOR_WEIGHT["BTC"] * okx_vs_binance, 2)
    for m, w in MAJOR_WEIGHT.items():
        print(f"okx          {m:5s} weight {sig(w * okx_vs_binance, 2)}")
    for s in OKX:
        print(f"okx          {s:5s} weight {sig(okx_btc_w * a[s]['w_okx'], 2)}")
    print("# ---- shocks")
    for s in ALTS:
        x = a[s]
        mv = round(BTC_SHOCK_MOVE * x["beta"] / 0.005) * 0.005
        print(f"{s:5s} fair_value_move {mv:.3f} notional {fmt_num(BTC_SHOCK_NOTIONAL * x['shock_ratio'])}")
    print("# ---- ticks")
    for s in ALTS:
        x = a[s]
        hl_tick = 10.0 ** (math.floor(math.log10(x["open"])) - 4)
        print(f"{s:5s} binance tick {fmt_dec(x['tick'])} lot {fmt_dec(x['step'])} "
              f"bybit decimals {a[s].get('bybit_decimals', '-')} hl tick(5 sig. fig.) {fmt_dec(hl_tick)} "
              f"hl lot {fmt_dec(10.0 ** -HL_SZ_DECIMALS[s]) if s in HL_SZ_DECIMALS else '-'}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    main(sys.argv[1])
