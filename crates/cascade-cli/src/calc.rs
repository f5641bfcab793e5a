//! `cascade calc FILE`: a venue's margin calculator — liquidation and bankruptcy prices,
//! maintenance and initial margin, equity and margin ratio — for positions read as JSON.
//!
//! Thin: it parses and validates the input, builds instruments and tier tables, calls
//! `cascade_engine::margin` and prints JSON. Numbers are read exactly from their decimal text
//! (JSON strings or JSON numbers, via `serde_json`'s `RawValue`, never through `f64`). Every
//! input error names its field (`positions[1].side`), and JSON syntax errors their line and
//! column; `main` turns any error into exit code 2. Nothing here panics on input.
//!
//! Input (`mode` is `isolated` or `cross`):
//!
//! ```json
//! {"venue": "binance", "mode": "cross", "wallet_balance": "10000",
//!  "positions": [
//!    {"symbol": "ETHUSDT", "side": "long", "size": "20", "entry_price": "4000",
//!     "mark_price": "3900", "mmr": "0.005", "maintenance_amount": "0"},
//!    {"symbol": "BTCUSDT", "side": "short", "size": "0.5", "entry_price": "110000"}]}
//! ```
//!
//! Position fields: `symbol`, `side` (`long`/`short`), `size` (> 0, in contracts or base
//! units), `entry_price` (> 0) are required. Optional: `mark_price` (defaults to the entry),
//! `margin` (isolated collateral; isolated mode only), `leverage` (> 0, at most the tier's
//! maximum; in isolated mode the margin defaults to the entry value / leverage), `mmr`,
//! `maintenance_amount` and `max_leverage` (override the venue's tier table for this position),
//! `contract` (`linear`/`inverse`; by default inverse for `…USD`/`…USD_PERP`/`…-USD-SWAP` symbols
//! on venues that list inverse contracts), `contract_size` (quote currency per inverse
//! contract, base units per linear one) and `taker_fee` (a rate, `0 ≤ fee < 1`: the fee to close
//! that Bybit reserves in its requirements, §2.3 — the liquidation price then solves
//! `equity ≤ MM + fee × value` and the bankruptcy price `equity = fee × value`, at the price
//! solved for; the position reports `fee_to_close` at its mark and the account's `liquidatable`
//! counts it, while `maintenance_margin` and `margin_ratio` stay the tier figures).

use std::collections::BTreeMap;
use std::str::FromStr;

use anyhow::{Context, anyhow, bail};
use cascade_engine::instrument::{AssetId, ContractKind, FeeSchedule, Instrument, InstrumentSpec};
use cascade_engine::margin::tables::hyperliquid_mmr;
use cascade_engine::margin::{
    CrossAccount, Exposure, Leverage, MaintenanceBasis, MarginRatioKind, Position, RiskTiers, TierBasis,
    TierSpec, Venue, bankruptcy_price_with_fee, default_tiers, liquidation_price_with_fee, margin_ratio,
};
use cascade_engine::num::{CASH_DECIMALS, Cash, Price, Qty, RATE_DECIMALS, RATE_ONE, Rate, Round};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::value::RawValue;

/// Arguments of `cascade calc`.
#[derive(clap::Args)]
pub struct CalcArgs {
    /// Input JSON file, or `-` to read standard input.
    file: String,
}

/// Reads the input, computes, prints the result as JSON on stdout.
///
/// # Errors
/// An unreadable file, malformed JSON (with line and column), or an invalid field (named).
pub fn run(args: &CalcArgs) -> anyhow::Result<()> {
    let text = crate::input::read_file_or_stdin(&args.file)?;
    let out = calc(&text)?;
    crate::out::line(format_args!("{}", serde_json::to_string_pretty(&out)?))?;
    Ok(())
}

// ------------------------------------------------------------------ exact JSON tree

/// A JSON value whose numbers keep their decimal text.
enum Node {
    Null,
    Bool,
    Number(String),
    Str(String),
    Array(Vec<Node>),
    Object(BTreeMap<String, Node>),
}

impl Node {
    fn parse(raw: &RawValue) -> Result<Self, serde_json::Error> {
        let t = raw.get().trim();
        Ok(match t.as_bytes().first() {
            Some(b'{') => {
                let m: BTreeMap<String, Box<RawValue>> = serde_json::from_str(t)?;
                let mut out = BTreeMap::new();
                for (k, v) in m {
                    out.insert(k, Self::parse(&v)?);
                }
                Node::Object(out)
            }
            Some(b'[') => {
                let v: Vec<Box<RawValue>> = serde_json::from_str(t)?;
                Node::Array(v.iter().map(|r| Self::parse(r)).collect::<Result<_, _>>()?)
            }
            Some(b'"') => Node::Str(serde_json::from_str(t)?),
            Some(b't' | b'f') => {
                let _: bool = serde_json::from_str(t)?;
                Node::Bool
            }
            Some(b'n') => Node::Null,
            _ => Node::Number(t.to_string()),
        })
    }

    fn kind(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool => "a boolean",
            Node::Number(_) => "a number",
            Node::Str(_) => "a string",
            Node::Array(_) => "an array",
            Node::Object(_) => "an object",
        }
    }
}

/// An object being read: fields are taken out by name; what is left over is unknown.
struct Fields<'a> {
    path: String,
    map: BTreeMap<&'a str, &'a Node>,
}

impl<'a> Fields<'a> {
    fn new(node: &'a Node, path: &str, allowed: &[&str]) -> anyhow::Result<Self> {
        let Node::Object(m) = node else {
            bail!("{}: expected an object, got {}", shown(path), node.kind());
        };
        for k in m.keys() {
            if !allowed.contains(&k.as_str()) {
                bail!("{}: unknown field `{k}` (expected one of {})", join(path, k), allowed.join(", "));
            }
        }
        Ok(Self { path: path.to_string(), map: m.iter().map(|(k, v)| (k.as_str(), v)).collect() })
    }

    fn path(&self, field: &str) -> String {
        join(&self.path, field)
    }

    fn get(&self, field: &str) -> Option<&'a Node> {
        self.map.get(field).copied().filter(|n| !matches!(n, Node::Null))
    }

    fn required(&self, field: &str) -> anyhow::Result<&'a Node> {
        self.get(field).ok_or_else(|| anyhow!("{}: missing field", self.path(field)))
    }

    fn string(&self, field: &str) -> anyhow::Result<Option<&'a str>> {
        match self.get(field) {
            None => Ok(None),
            Some(Node::Str(s)) => Ok(Some(s.as_str())),
            Some(n) => bail!("{}: expected a string, got {}", self.path(field), n.kind()),
        }
    }

    fn required_string(&self, field: &str) -> anyhow::Result<&'a str> {
        self.required(field)?;
        self.string(field)?.ok_or_else(|| anyhow!("{}: missing field", self.path(field)))
    }

    /// A decimal from a JSON number or string, exactly.
    fn decimal(&self, field: &str) -> anyhow::Result<Option<Decimal>> {
        let text = match self.get(field) {
            None => return Ok(None),
            Some(Node::Number(t) | Node::Str(t)) => t.trim(),
            Some(n) => bail!("{}: expected a number, got {}", self.path(field), n.kind()),
        };
        // `from_str` would round past 28 decimal places, so a value too fine for any precision
        // check could pass as another number: only an exact reading is accepted.
        if let Ok(d) = Decimal::from_str_exact(text) {
            return Ok(Some(d.normalize()));
        }
        if Decimal::from_str(text).is_ok() {
            bail!(
                "{}: `{text}` has more digits than can be held exactly (at most 28 decimal places)",
                self.path(field)
            );
        }
        Decimal::from_scientific(text)
            .map(|d| Some(d.normalize()))
            .map_err(|_| anyhow!("{}: `{text}` is not a decimal number", self.path(field)))
    }

    fn positive(&self, field: &str) -> anyhow::Result<Option<Decimal>> {
        match self.decimal(field)? {
            Some(d) if d <= Decimal::ZERO => bail!("{}: must be > 0 (got {d})", self.path(field)),
            d => Ok(d),
        }
    }

    fn non_negative(&self, field: &str) -> anyhow::Result<Option<Decimal>> {
        match self.decimal(field)? {
            Some(d) if d < Decimal::ZERO => bail!("{}: must be >= 0 (got {d})", self.path(field)),
            d => Ok(d),
        }
    }
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() { field.to_string() } else { format!("{path}.{field}") }
}

fn shown(path: &str) -> &str {
    if path.is_empty() { "input" } else { path }
}

fn scaled(d: Decimal, decimals: u32, path: &str) -> anyhow::Result<i64> {
    cascade_engine::num::parse_scaled(&d.to_string(), decimals).map_err(|e| anyhow!("{path}: {e}"))
}

fn cash(d: Decimal, path: &str) -> anyhow::Result<Cash> {
    scaled(d, CASH_DECIMALS, path).map(Cash)
}

fn rate(d: Decimal, path: &str) -> anyhow::Result<Rate> {
    scaled(d, RATE_DECIMALS, path).map(Rate)
}

// ------------------------------------------------------------------ output

/// One position's figures.
#[derive(Serialize)]
struct PositionOut {
    symbol: String,
    side: &'static str,
    contract: &'static str,
    size: String,
    entry_price: String,
    mark_price: String,
    notional: String,
    unrealized_pnl: String,
    margin: Option<String>,
    mmr: String,
    maintenance_amount: String,
    maintenance_margin: String,
    initial_margin: Option<String>,
    liquidation_price: Option<String>,
    bankruptcy_price: Option<String>,
    /// `taker_fee × notional` at the mark, only when a `taker_fee` was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    fee_to_close: Option<String>,
}

/// The account's figures.
#[derive(Serialize)]
struct AccountOut {
    wallet_balance: String,
    equity: String,
    maintenance_margin: String,
    initial_margin: Option<String>,
    margin_ratio: Option<String>,
    margin_ratio_kind: &'static str,
    liquidatable: bool,
}

/// The whole output.
#[derive(Serialize)]
struct Output {
    venue: &'static str,
    mode: &'static str,
    maintenance_basis: &'static str,
    positions: Vec<PositionOut>,
    account: AccountOut,
}

// ------------------------------------------------------------------ computation

/// One validated input position with the values the engine needs.
struct Prepared {
    symbol: String,
    long: bool,
    instrument: Instrument,
    tiers: RiskTiers,
    qty: Qty,
    entry: Price,
    mark: Price,
    margin: Option<Cash>,
    leverage: Option<Leverage>,
    /// A `max_leverage` override; `None` with `custom_tier` means the IMR is unknown.
    max_leverage: Option<Leverage>,
    custom_tier: bool,
    settle: String,
    /// Fee-to-close rate (`taker_fee`; 0 when not given).
    taker_fee: Rate,
    /// Whether `taker_fee` was given.
    has_fee: bool,
}

impl Prepared {
    fn position(&self) -> Position<'_> {
        Position {
            instrument: &self.instrument,
            tiers: &self.tiers,
            qty: self.qty,
            entry_price: self.entry,
            mark_price: self.mark,
        }
    }
}

const POSITION_FIELDS: [&str; 13] = [
    "symbol",
    "side",
    "size",
    "entry_price",
    "mark_price",
    "margin",
    "leverage",
    "mmr",
    "maintenance_amount",
    "max_leverage",
    "contract",
    "contract_size",
    "taker_fee",
];

fn prepare(venue: Venue, isolated: bool, node: &Node, path: &str) -> anyhow::Result<Prepared> {
    let f = Fields::new(node, path, &POSITION_FIELDS)?;
    let symbol = f.required_string("symbol")?.trim().to_string();
    if symbol.is_empty() {
        bail!("{}: must not be empty", f.path("symbol"));
    }
    let long = match f.required_string("side")?.trim().to_ascii_lowercase().as_str() {
        "long" | "buy" => true,
        "short" | "sell" => false,
        other => bail!("{}: expected `long` or `short`, got `{other}`", f.path("side")),
    };
    f.required("size")?;
    let size = f.positive("size")?.unwrap_or_default();
    f.required("entry_price")?;
    let entry = f.positive("entry_price")?.unwrap_or_default();
    let mark = f.positive("mark_price")?.unwrap_or(entry);
    let margin = f.non_negative("margin")?;
    if margin.is_some() && !isolated {
        bail!("{}: only in isolated mode (cross positions share the wallet balance)", f.path("margin"));
    }
    let leverage = f.positive("leverage")?;
    let mmr = f.positive("mmr")?;
    let maintenance_amount = f.non_negative("maintenance_amount")?;
    let max_leverage = f.positive("max_leverage")?;
    let taker_fee = match f.decimal("taker_fee")? {
        Some(d) if d < Decimal::ZERO || d >= Decimal::ONE => {
            bail!("{}: must be >= 0 and < 1 (got {d})", f.path("taker_fee"))
        }
        Some(d) => Some(rate(d, &f.path("taker_fee"))?),
        None => None,
    };
    // Hyperliquid states maintenance as half the initial rate at maximum leverage (§5.1): a
    // `max_leverage` alone there fixes the MMR.
    let mmr = match (venue, mmr, max_leverage) {
        (Venue::Hyperliquid, None, Some(l)) => {
            let l = Leverage(rate(l, &f.path("max_leverage"))?.0);
            let m = hyperliquid_mmr(l).map_err(|_| anyhow!("{}: must be > 0", f.path("max_leverage")))?;
            Some(Decimal::from_str(&m.to_string())?)
        }
        _ => mmr,
    };
    let upper = symbol.to_ascii_uppercase();
    let kind = match f.string("contract")?.map(|s| s.trim().to_ascii_lowercase()) {
        None => {
            let inverse_name =
                upper.ends_with("USD") || upper.ends_with("USD_PERP") || upper.contains("-USD-SWAP");
            if venue.has_inverse() && inverse_name { ContractKind::Inverse } else { ContractKind::Linear }
        }
        Some(s) if s == "linear" => ContractKind::Linear,
        Some(s) if s == "inverse" => ContractKind::Inverse,
        Some(s) => bail!("{}: expected `linear` or `inverse`, got `{s}`", f.path("contract")),
    };
    let contract_size = match (f.positive("contract_size")?, kind) {
        (Some(c), _) => c,
        (None, ContractKind::Linear | ContractKind::Spot { .. }) => Decimal::ONE,
        // Binance COIN-M BTCUSD (§9 BIN-7) and OKX BTC-USD-SWAP: 100 USD; their other coins
        // 10 USD; Bybit and BitMEX inverse contracts are 1 USD.
        (None, ContractKind::Inverse) => match venue {
            Venue::Binance | Venue::Okx if upper.starts_with("BTC") => Decimal::from(100),
            Venue::Binance | Venue::Okx => Decimal::from(10),
            _ => Decimal::ONE,
        },
    };

    // Precision: the size's own decimals; the finest price precision that keeps values exact
    // and holds the given prices — at most 8 decimals for linear contracts, and for inverse ones
    // 4 unless the prices carry more (finer inverse prices multiply the `i128` products of the
    // exact liquidation-price solve by 10 per decimal).
    let qd = size.scale();
    if qd > 8 {
        bail!("{}: {size} has more than 8 decimal places", f.path("size"));
    }
    let finest = match kind {
        ContractKind::Linear | ContractKind::Spot { .. } => 8,
        ContractKind::Inverse => entry.scale().max(mark.scale()).clamp(4, 8),
    };
    let instrument = (0..=finest)
        .rev()
        .find_map(|pd| {
            let inst = Instrument::new(InstrumentSpec {
                symbol: symbol.clone(),
                kind,
                settle_asset: AssetId(0),
                price_decimals: pd,
                qty_decimals: qd,
                tick: Price(1),
                lot: Qty(1),
                min_qty: Qty(1),
                min_notional: Cash::ZERO,
                contract_size,
                fees: FeeSchedule { maker: Rate(0), taker: Rate(0) },
            })
            .ok()?;
            let fits = |d: Decimal| d.scale() <= pd && Price::parse(&d.to_string(), pd).is_ok();
            (fits(entry) && fits(mark)).then_some(inst)
        })
        .ok_or_else(|| {
            anyhow!(
                "{}: {entry} cannot be priced exactly with a size of {qd} decimal places \
                 (price and size decimals together are limited to 8 for linear contracts)",
                f.path("entry_price")
            )
        })?;
    let pd = instrument.spec().price_decimals;
    let qty_abs = Qty::parse(&size.to_string(), qd).map_err(|e| anyhow!("{}: {e}", f.path("size")))?;
    let qty = if long { qty_abs } else { Qty(-qty_abs.0) };
    let entry_p =
        Price::parse(&entry.to_string(), pd).map_err(|e| anyhow!("{}: {e}", f.path("entry_price")))?;
    let mark_p = Price::parse(&mark.to_string(), pd).map_err(|e| anyhow!("{}: {e}", f.path("mark_price")))?;
    let leverage = leverage.map(|l| rate(l, &f.path("leverage")).map(|r| Leverage(r.0))).transpose()?;
    let max_leverage =
        max_leverage.map(|l| rate(l, &f.path("max_leverage")).map(|r| Leverage(r.0))).transpose()?;

    let custom_tier = mmr.is_some();
    let tiers = match mmr {
        Some(m) => {
            let mmr = rate(m, &f.path("mmr"))?;
            if mmr.0 >= RATE_ONE {
                bail!("{}: must be below 1 (got {m})", f.path("mmr"));
            }
            let imr = match max_leverage {
                Some(l) => l.to_imr().map_err(|_| anyhow!("{}: must be > 0", f.path("max_leverage")))?,
                // The IMR of a hand-given tier is unknown: 100% keeps the table valid and the
                // initial margin is then reported only for an explicit leverage.
                None => Rate::ONE,
            };
            let cum = maintenance_amount.map(|a| cash(a, &f.path("maintenance_amount"))).transpose()?;
            RiskTiers::new(
                TierBasis::Notional,
                &[TierSpec {
                    floor: 0,
                    mmr,
                    imr: Some(imr),
                    max_leverage: None,
                    maintenance_amount: Some(cum.unwrap_or(Cash::ZERO)),
                }],
            )
            .map_err(|e| match e.field() {
                "mmr" if max_leverage.is_some() => {
                    anyhow!(
                        "{}: mmr {m} must be below the initial margin rate 1/max_leverage",
                        f.path("max_leverage")
                    )
                }
                _ => anyhow!("{}: {e}", f.path(e.field())),
            })?
        }
        None => {
            if maintenance_amount.is_some() {
                bail!("{}: only together with `mmr`", f.path("maintenance_amount"));
            }
            default_tiers(venue, &symbol).map_err(|e| anyhow!("{}: {e}", f.path("symbol")))?
        }
    };
    let margin = margin.map(|m| cash(m, &f.path("margin"))).transpose()?;
    let settle = match kind {
        ContractKind::Linear | ContractKind::Spot { .. } => "quote".to_string(),
        ContractKind::Inverse => {
            upper.split("USD").next().unwrap_or_default().trim_end_matches('-').to_string()
        }
    };
    let p = Prepared {
        symbol,
        long,
        instrument,
        tiers,
        qty,
        entry: entry_p,
        mark: mark_p,
        margin,
        leverage,
        max_leverage,
        custom_tier,
        settle,
        taker_fee: taker_fee.unwrap_or(Rate::ZERO),
        has_fee: taker_fee.is_some(),
    };
    // Leverage against the tier (or the override) at the basis price.
    if let Some(l) = p.leverage {
        let exposure = Exposure::of(&p.instrument, p.qty, basis_price(venue, &p))
            .map_err(|_| anyhow!("{}: position value overflows", f.path("size")))?;
        let max = match (p.max_leverage, p.custom_tier) {
            (Some(m), _) => Some(m),
            (None, true) => None,
            (None, false) => Some(p.tiers.max_leverage(&exposure)),
        };
        if let Some(max) = max {
            if l > max {
                bail!(
                    "{}: {l} exceeds the maximum leverage {max} for this position size",
                    f.path("leverage")
                );
            }
        }
    }
    if isolated && p.margin.is_none() && p.leverage.is_none() {
        bail!("{}: isolated mode needs `margin` (the isolated collateral) or `leverage`", f.path("margin"));
    }
    Ok(p)
}

fn basis_price(venue: Venue, p: &Prepared) -> Price {
    match venue.maintenance_basis() {
        MaintenanceBasis::Mark => p.mark,
        MaintenanceBasis::Entry => p.entry,
    }
}

/// Initial margin of a position: at its leverage, else at its `max_leverage` override, else at
/// the tier's maximum; unknown for a hand-given tier without either.
fn initial_margin(venue: Venue, p: &Prepared) -> anyhow::Result<Option<Cash>> {
    let value = p.instrument.value(basis_price(venue, p), p.qty, Round::Ceil)?;
    Ok(match (p.leverage.or(p.max_leverage), p.custom_tier) {
        (Some(l), _) => Some(value.mul_div(RATE_ONE, l.0, Round::Ceil)?),
        (None, true) => None,
        (None, false) => {
            let pos = p.position();
            Some(pos.initial_margin(venue.maintenance_basis(), None)?)
        }
    })
}

/// Deepest nesting of arrays and objects `calc` reads (its schema uses four).
const MAX_DEPTH: usize = 32;

/// Deepest nesting of `[` and `{` in a JSON text, brackets inside strings not counted. A
/// single pass, so any input size is cheap.
fn nesting_depth(text: &str) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for b in text.bytes() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Computes the output for an input document.
fn calc(text: &str) -> anyhow::Result<Output> {
    // The schema nests four levels; a deeper document is refused before the recursive reading
    // could exhaust the stack.
    let depth = nesting_depth(text);
    if depth > MAX_DEPTH {
        bail!("invalid JSON: nested {depth} levels deep (at most {MAX_DEPTH})");
    }
    let raw: Box<RawValue> = serde_json::from_str(text).map_err(|e| anyhow!("invalid JSON: {e}"))?;
    let root = Node::parse(&raw).map_err(|e| anyhow!("invalid JSON: {e}"))?;
    let top = Fields::new(&root, "", &["venue", "mode", "wallet_balance", "positions"])?;
    let venue: Venue = top.required_string("venue")?.parse().map_err(|e| anyhow!("venue: {e}"))?;
    let isolated = match top.required_string("mode")?.trim().to_ascii_lowercase().as_str() {
        "isolated" => true,
        "cross" => false,
        other => bail!("mode: expected `isolated` or `cross`, got `{other}`"),
    };
    let wallet = top.non_negative("wallet_balance")?.map(|w| cash(w, "wallet_balance")).transpose()?;
    let Node::Array(items) = top.required("positions")? else {
        bail!("positions: expected an array");
    };
    if items.is_empty() {
        bail!("positions: at least one position is required");
    }
    let mut prepared = Vec::with_capacity(items.len());
    for (i, node) in items.iter().enumerate() {
        prepared.push(prepare(venue, isolated, node, &format!("positions[{i}]"))?);
    }
    let basis = venue.maintenance_basis();
    let kind = venue.margin_ratio_kind();
    let positions: Vec<Position<'_>> = prepared.iter().map(Prepared::position).collect();

    let mut outs = Vec::with_capacity(prepared.len());
    let (mut total_mm, mut total_upnl) = (Cash::ZERO, Cash::ZERO);
    let mut total_im = Some(Cash::ZERO);
    let cross_wallet;
    let cross = if isolated {
        cross_wallet = Cash::ZERO;
        None
    } else {
        cross_wallet =
            wallet.ok_or_else(|| anyhow!("wallet_balance: missing field (required in cross mode)"))?;
        if let Some((i, p)) = prepared.iter().enumerate().find(|(_, p)| p.settle != prepared[0].settle) {
            bail!(
                "positions[{i}].contract: cross mode needs one settle asset; {} does not settle like {}",
                p.symbol,
                prepared[0].symbol
            );
        }
        Some(CrossAccount { wallet_balance: cross_wallet, positions: &positions })
    };
    let fees: Vec<Rate> = prepared.iter().map(|p| p.taker_fee).collect();
    // Cross: every position's liquidation and bankruptcy price in one O(n) pass.
    let cross_prices = match &cross {
        Some(account) => account
            .all_prices_with_fees(basis, &fees)
            .context("positions: computing the cross liquidation and bankruptcy prices")?,
        None => Vec::new(),
    };
    let mut total_fee = Cash::ZERO;
    let mut margins = Cash::ZERO;
    for (i, p) in prepared.iter().enumerate() {
        let at = |what: &str| format!("positions[{i}]: computing {what}");
        let pos = &positions[i];
        let pd = p.instrument.spec().price_decimals;
        let im = initial_margin(venue, p).with_context(|| at("the initial margin"))?;
        let mm = pos.maintenance_margin(basis).with_context(|| at("the maintenance margin"))?;
        let upnl = pos.unrealized_pnl(p.mark).with_context(|| at("the unrealized PnL"))?;
        let tier = *p.tiers.tier(&pos.exposure(basis_price(venue, p)).with_context(|| at("the notional"))?);
        let (margin, lp, bp) = match &cross {
            None => {
                // Isolated: the margin given, else the entry value at the chosen leverage.
                let collateral = match (p.margin, p.leverage) {
                    (Some(m), _) => m,
                    (None, Some(l)) => p.instrument.value(p.entry, p.qty, Round::Ceil)?.mul_div(
                        RATE_ONE,
                        l.0,
                        Round::Ceil,
                    )?,
                    (None, None) => bail!("positions[{i}].margin: missing field"),
                };
                margins = margins.checked_add(collateral)?;
                let lp = liquidation_price_with_fee(pos, collateral, basis, p.taker_fee)
                    .with_context(|| at("the liquidation price"))?;
                let bp = bankruptcy_price_with_fee(pos, collateral, p.taker_fee)
                    .with_context(|| at("the bankruptcy price"))?;
                (Some(collateral.to_string()), lp, bp)
            }
            Some(_) => {
                let (lp, bp) = cross_prices[i];
                (None, lp, bp)
            }
        };
        let notional = pos.notional(p.mark).with_context(|| at("the notional"))?;
        let fee_to_close = notional.mul_rate(p.taker_fee, Round::Ceil)?;
        total_fee = total_fee.checked_add(fee_to_close)?;
        total_mm = total_mm.checked_add(mm)?;
        total_upnl = total_upnl.checked_add(upnl)?;
        total_im = match (total_im, im) {
            (Some(t), Some(x)) => Some(t.checked_add(x)?),
            _ => None,
        };
        let price = |x: Price| x.to_decimal(pd);
        outs.push(PositionOut {
            symbol: p.symbol.clone(),
            side: if p.long { "long" } else { "short" },
            contract: match p.instrument.kind() {
                ContractKind::Linear => "linear",
                ContractKind::Inverse => "inverse",
                ContractKind::Spot { .. } => "spot",
            },
            size: p.qty.abs().to_decimal(p.instrument.spec().qty_decimals),
            entry_price: price(p.entry),
            mark_price: price(p.mark),
            notional: notional.to_string(),
            unrealized_pnl: upnl.to_string(),
            margin,
            mmr: tier.mmr.to_string(),
            maintenance_amount: tier.maintenance_amount.to_string(),
            maintenance_margin: mm.to_string(),
            initial_margin: im.map(|c| c.to_string()),
            liquidation_price: lp.map(price),
            bankruptcy_price: bp.map(price),
            fee_to_close: p.has_fee.then(|| fee_to_close.to_string()),
        });
    }
    let wallet_balance = if isolated { wallet.unwrap_or(margins) } else { cross_wallet };
    let equity = wallet_balance.checked_add(total_upnl)?;
    let ratio = margin_ratio(equity, total_mm, kind)?;
    Ok(Output {
        venue: venue.name(),
        mode: if isolated { "isolated" } else { "cross" },
        maintenance_basis: match basis {
            MaintenanceBasis::Mark => "mark",
            MaintenanceBasis::Entry => "entry",
        },
        positions: outs,
        account: AccountOut {
            wallet_balance: wallet_balance.to_string(),
            equity: equity.to_string(),
            maintenance_margin: total_mm.to_string(),
            initial_margin: total_im.map(|c| c.to_string()),
            margin_ratio: ratio.map(|r| r.to_string()),
            margin_ratio_kind: match kind {
                MarginRatioKind::MaintenanceOverEquity => "maintenance/equity",
                MarginRatioKind::EquityOverMaintenance => "equity/maintenance",
            },
            liquidatable: equity <= total_mm.checked_add(total_fee)?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brackets in strings and escaped quotes do not count: `{"a": "[[\"{", "b": [[1]]}` nests 3.
    #[test]
    fn nesting_depth_skips_strings() {
        assert_eq!(nesting_depth(r#"{"a": "[[\"{", "b": [[1]]}"#), 3);
        assert_eq!(nesting_depth("1"), 0);
        let deep = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
        assert_eq!(nesting_depth(&deep), 20_000);
        let Err(err) = calc(&deep) else { panic!("a 20,000-deep document was read") };
        let err = err.to_string();
        assert!(err.contains("nested 20000 levels deep (at most 32)"), "{err}");
    }

    #[test]
    fn numbers_keep_their_decimal_text() {
        let raw: Box<RawValue> =
            serde_json::from_str(r#"{"a": 0.1000000000000000055511151231257827, "b": [1e-8, "2"]}"#).unwrap();
        let Node::Object(m) = Node::parse(&raw).unwrap() else { panic!("object") };
        assert!(matches!(&m["a"], Node::Number(t) if t == "0.1000000000000000055511151231257827"));
        let Node::Array(b) = &m["b"] else { panic!("array") };
        assert!(matches!(&b[0], Node::Number(t) if t == "1e-8"));
        assert!(matches!(&b[1], Node::Str(t) if t == "2"));
    }
}
