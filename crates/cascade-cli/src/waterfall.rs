//! `cascade waterfall FILE.json|-`: a risk team's what-if for one venue — given a venue state
//! and a sequence of marks, what the engine's liquidation waterfall does (book liquidations,
//! takeovers by the insurance fund or vault, ADL, socialised losses, collateral sales) and where
//! the money ends up.
//!
//! Thin: the input is read with serde (`deny_unknown_fields`, duplicate keys refused, every
//! error named by its path through `serde_path_to_error`), decimals are JSON strings parsed
//! exactly into the engine's fixed-point types, the venue is built and driven through
//! `cascade_engine::venue::Venue`, and the events and final balances are printed as JSON.
//! `main` turns any error into exit code 2.
//!
//! Positions are created through the engine so the ledger stays exact: every listed position is
//! opened by a trade at its entry price against a hidden *seeder* account (the seeder rests a
//! limit order, the account takes it). When the listed longs and shorts net out, the seeder ends
//! flat (it only keeps the cash PnL of having stood in between); otherwise it keeps the
//! difference and is reported as the extra account `seeder`. The schema is in README.md
//! ("`cascade waterfall`").

use std::collections::BTreeMap;

use anyhow::{Context, anyhow, bail};
use cascade_engine::book::{AccountId, Side, Stp, TimeInForce};
use cascade_engine::instrument::{AssetId, FeeSchedule, Instrument, InstrumentId, InstrumentSpec};
use cascade_engine::margin::tiers::{Leverage, RiskTiers, TierBasis, TierSpec};
use cascade_engine::num::{CASH_DECIMALS, Cash, Price, Qty, Rate, Round, parse_scaled};
use cascade_engine::position::MarginMode;
use cascade_engine::risk::rules::RuleSet;
use cascade_engine::venue::{
    CollateralRule, CollateralSource, LiquidationKind, OrderKind, OrderRequest, Placed, Venue, VenueConfig,
    VenueEvent,
};
use rust_decimal::Decimal;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

/// Arguments of `cascade waterfall`.
#[derive(clap::Args)]
pub struct WaterfallArgs {
    /// Input JSON file, or `-` to read standard input.
    file: String,
}

/// Reads the input, runs the what-if, prints the result as JSON on stdout.
///
/// # Errors
/// An unreadable file, malformed JSON, an invalid field (named by its path), or an engine
/// refusal while building the venue state.
pub fn run(args: &WaterfallArgs) -> anyhow::Result<()> {
    let text = crate::input::read_file_or_stdin(&args.file)?;
    let out = waterfall(&text)?;
    crate::out::line(format_args!("{}", serde_json::to_string_pretty(&out)?))?;
    Ok(())
}

// ------------------------------------------------------------------ input

/// A decimal given as a JSON string (never a JSON number: no float ever touches money).
#[derive(Deserialize)]
#[serde(transparent)]
struct Dec(String);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    rules: String,
    settle_asset: String,
    insurance_fund: Dec,
    #[serde(default)]
    fee_pool: Option<IgnoredAny>,
    #[serde(default)]
    backstop_capital: Option<Dec>,
    #[serde(default)]
    mark_interval_ms: Option<u64>,
    instrument: InstrumentIn,
    accounts: Vec<AccountIn>,
    #[serde(default)]
    book: Vec<OrderIn>,
    marks: Vec<Dec>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum KindIn {
    Linear,
    Inverse,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InstrumentIn {
    symbol: String,
    kind: KindIn,
    tick: Dec,
    lot: Dec,
    #[serde(default)]
    contract_size: Option<Dec>,
    #[serde(default)]
    maker_fee: Option<Dec>,
    #[serde(default)]
    taker_fee: Option<Dec>,
    #[serde(default)]
    price_decimals: Option<u32>,
    #[serde(default)]
    qty_decimals: Option<u32>,
    #[serde(default)]
    tiers: Option<Vec<TierIn>>,
    #[serde(default)]
    liquidation_fee: Option<Dec>,
    #[serde(default)]
    insurance_fee: Option<Dec>,
    #[serde(default)]
    liquidation_buffer: Option<Dec>,
    #[serde(default)]
    takeover_cap: Option<Dec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TierIn {
    floor: Dec,
    mmr: Dec,
    max_leverage: Dec,
    #[serde(default)]
    maintenance_amount: Option<Dec>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum ModeIn {
    Cross,
    Isolated,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountIn {
    id: String,
    mode: ModeIn,
    wallet: Dec,
    #[serde(default)]
    margin: Option<Dec>,
    #[serde(default)]
    leverage: Option<i64>,
    #[serde(default)]
    collateral: Vec<CollateralIn>,
    #[serde(default)]
    positions: Vec<PositionIn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CollateralIn {
    asset: String,
    amount: Dec,
    price: Dec,
    haircut: Dec,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum PosSide {
    Long,
    Short,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PositionIn {
    side: PosSide,
    size: Dec,
    entry_price: Dec,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum OrderSide {
    Buy,
    Sell,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrderIn {
    account: String,
    side: OrderSide,
    price: Dec,
    size: Dec,
}

// ------------------------------------------------------------------ exact numbers

fn decimal(d: &Dec, path: &str) -> anyhow::Result<Decimal> {
    let t = d.0.trim();
    if !cascade_engine::num::is_decimal_numeral(t) {
        anyhow::bail!("{path}: `{}` is not a decimal number", d.0);
    }
    t.parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(t))
        .map(|d| d.normalize())
        .map_err(|_| anyhow!("{path}: `{}` is not a decimal number", d.0))
}

fn scaled(d: &Dec, decimals: u32, path: &str) -> anyhow::Result<i64> {
    decimal(d, path)?;
    parse_scaled(&d.0, decimals).map_err(|e| anyhow!("{path}: {e}"))
}

fn positive(d: &Dec, decimals: u32, path: &str) -> anyhow::Result<i64> {
    let v = scaled(d, decimals, path)?;
    if v <= 0 {
        bail!("{path}: must be > 0 (got {})", d.0.trim());
    }
    Ok(v)
}

fn non_negative(d: &Dec, decimals: u32, path: &str) -> anyhow::Result<i64> {
    let v = scaled(d, decimals, path)?;
    if v < 0 {
        bail!("{path}: must be >= 0 (got {})", d.0.trim());
    }
    Ok(v)
}

fn cash(d: &Dec, path: &str) -> anyhow::Result<Cash> {
    non_negative(d, CASH_DECIMALS, path).map(Cash)
}

/// A rate in [0, 1].
fn unit_rate(d: &Dec, path: &str) -> anyhow::Result<Rate> {
    let r = Rate(non_negative(d, 8, path)?);
    if r > Rate::ONE {
        bail!("{path}: must be at most 1 (got {})", d.0.trim());
    }
    Ok(r)
}

// ------------------------------------------------------------------ output

/// One event of the waterfall.
#[derive(Serialize)]
struct EventOut {
    /// 1-based index of the mark that caused it.
    step: usize,
    mark: String,
    #[serde(rename = "type")]
    kind: &'static str,
    account: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    counterparty: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    side: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    qty: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    price: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    via: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bankruptcy_price: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fee: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    asset: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount: Option<String>,
}

#[derive(Serialize)]
struct PositionOut {
    side: &'static str,
    size: String,
    entry_price: String,
}

#[derive(Serialize)]
struct BalanceOut {
    asset: String,
    amount: String,
}

#[derive(Serialize)]
struct AccountOut {
    id: String,
    mode: &'static str,
    wallet: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    margin: Option<String>,
    collateral: Vec<BalanceOut>,
    positions: Vec<PositionOut>,
}

#[derive(Serialize)]
struct InventoryOut {
    side: &'static str,
    size: String,
    entry_price: String,
    unrealized_pnl: String,
}

#[derive(Serialize)]
struct BackstopOut {
    capital: String,
    wallet: String,
    collateral: Vec<BalanceOut>,
    realized_pnl: String,
    inventory: Vec<InventoryOut>,
}

#[derive(Serialize)]
struct Output {
    rules: &'static str,
    settle_asset: String,
    events: Vec<EventOut>,
    accounts: Vec<AccountOut>,
    insurance_fund: String,
    fee_pool: String,
    bad_debt: String,
    backstop: Option<BackstopOut>,
}

// ------------------------------------------------------------------ the run

/// Deposit of the hidden `seeder` and `maker` accounts, in whole settle-asset units.
const DEEP_POCKET_UNITS: i64 = 1_000_000_000;
const SETTLE: AssetId = AssetId(0);
const INS: InstrumentId = InstrumentId(0);
const RESERVED: [&str; 3] = ["maker", "seeder", "backstop"];

fn parse(text: &str) -> anyhow::Result<Input> {
    let mut de = serde_json::Deserializer::from_str(text);
    let input: Input = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." || path.is_empty() { anyhow!("input: {inner}") } else { anyhow!("{path}: {inner}") }
    })?;
    de.end().map_err(|e| anyhow!("input: {e}"))?;
    Ok(input)
}

fn decimals_of(d: &Dec, given: Option<u32>, path: &str, given_path: &str) -> anyhow::Result<u32> {
    let scale = decimal(d, path)?.scale();
    match given {
        None => Ok(scale),
        Some(g) if g < scale => bail!("{given_path}: {g} is fewer decimals than {path} `{}` has", d.0.trim()),
        Some(g) => Ok(g),
    }
}

fn build_instrument(i: &InstrumentIn) -> anyhow::Result<(InstrumentSpec, Option<RiskTiers>)> {
    if i.symbol.trim().is_empty() {
        bail!("instrument.symbol: must not be empty");
    }
    let pd = decimals_of(&i.tick, i.price_decimals, "instrument.tick", "instrument.price_decimals")?;
    let qd = decimals_of(&i.lot, i.qty_decimals, "instrument.lot", "instrument.qty_decimals")?;
    let tick = Price(positive(&i.tick, pd, "instrument.tick")?);
    let lot = Qty(positive(&i.lot, qd, "instrument.lot")?);
    let contract_size = match &i.contract_size {
        None => Decimal::ONE,
        Some(c) => {
            let d = decimal(c, "instrument.contract_size")?;
            if d <= Decimal::ZERO {
                bail!("instrument.contract_size: must be > 0 (got {})", c.0.trim());
            }
            d
        }
    };
    let fee = |d: &Option<Dec>, path: &str| -> anyhow::Result<Rate> {
        match d {
            None => Ok(Rate::ZERO),
            Some(d) => scaled(d, 8, path).map(Rate),
        }
    };
    let maker = fee(&i.maker_fee, "instrument.maker_fee")?;
    let taker = fee(&i.taker_fee, "instrument.taker_fee")?;
    if taker.0 < 0 {
        bail!("instrument.taker_fee: must be >= 0 (got {})", taker);
    }
    let base = match i.kind {
        KindIn::Linear => InstrumentSpec::linear(i.symbol.trim(), SETTLE, pd, qd),
        KindIn::Inverse => InstrumentSpec::inverse(i.symbol.trim(), SETTLE, pd, qd, contract_size),
    };
    let spec =
        InstrumentSpec { tick, lot, min_qty: lot, contract_size, fees: FeeSchedule { maker, taker }, ..base };
    // Validate now, naming the input field.
    Instrument::new(spec.clone()).map_err(|e| {
        anyhow!(
            "instrument: {e} (price_decimals {pd} + qty_decimals {qd} must fit the 8-decimal cash \
             precision with the contract size)"
        )
    })?;
    let tiers = match &i.tiers {
        None => None,
        Some(ts) => {
            let mut specs = Vec::with_capacity(ts.len());
            for (k, t) in ts.iter().enumerate() {
                let p = |f: &str| format!("instrument.tiers[{k}].{f}");
                let lev = Leverage(positive(&t.max_leverage, 8, &p("max_leverage"))?);
                specs.push(TierSpec {
                    floor: cash(&t.floor, &p("floor"))?.0,
                    mmr: unit_rate(&t.mmr, &p("mmr"))?,
                    imr: None,
                    max_leverage: Some(lev),
                    maintenance_amount: t
                        .maintenance_amount
                        .as_ref()
                        .map(|m| cash(m, &p("maintenance_amount")))
                        .transpose()?,
                });
            }
            Some(RiskTiers::new(TierBasis::Notional, &specs).map_err(|e| anyhow!("instrument.tiers: {e}"))?)
        }
    };
    Ok((spec, tiers))
}

fn apply_rule_overrides(rules: &mut RuleSet, i: &InstrumentIn) -> anyhow::Result<()> {
    if let Some(d) = &i.liquidation_fee {
        rules.liquidation_fee = unit_rate(d, "instrument.liquidation_fee")?;
    }
    if let Some(d) = &i.insurance_fee {
        rules.insurance_fee = unit_rate(d, "instrument.insurance_fee")?;
    }
    if let Some(d) = &i.liquidation_buffer {
        rules.liquidation_buffer = unit_rate(d, "instrument.liquidation_buffer")?;
    }
    if let Some(d) = &i.takeover_cap {
        rules.takeover_cap = if d.0.trim().eq_ignore_ascii_case("none") {
            None
        } else {
            Some(Rate(non_negative(d, 8, "instrument.takeover_cap")?))
        };
    }
    Ok(())
}

/// Names of engine accounts for the output.
struct Names {
    by_id: BTreeMap<AccountId, String>,
}

impl Names {
    fn of(&self, a: AccountId, venue: &Venue) -> String {
        if let Some(n) = self.by_id.get(&a) {
            return n.clone();
        }
        if Some(a) == venue.backstop() {
            return "backstop".to_string();
        }
        format!("account#{}", a.0)
    }
}

fn side_of(q: Qty) -> &'static str {
    if q.is_positive() { "long" } else { "short" }
}

/// Computes the output for an input document.
#[allow(clippy::too_many_lines)]
fn waterfall(text: &str) -> anyhow::Result<Output> {
    let input = parse(text)?;
    if input.fee_pool.is_some() {
        bail!(
            "fee_pool: not supported — the engine has no API to seed the fee pool (money enters it \
             only as trading fees); remove the field"
        );
    }
    let mut rules = RuleSet::by_name(input.rules.trim()).map_err(|e| anyhow!("rules: {e}"))?;
    let settle_name = input.settle_asset.trim().to_string();
    if settle_name.is_empty() {
        bail!("settle_asset: must not be empty");
    }
    let fund = cash(&input.insurance_fund, "insurance_fund")?;
    let backstop_capital =
        input.backstop_capital.as_ref().map(|d| cash(d, "backstop_capital")).transpose()?;
    let interval = input.mark_interval_ms.unwrap_or(1000);
    let (spec, tiers) = build_instrument(&input.instrument)?;
    apply_rule_overrides(&mut rules, &input.instrument)?;
    let (pd, qd) = (spec.price_decimals, spec.qty_decimals);
    if input.marks.is_empty() {
        bail!("marks: at least one mark is required");
    }
    let marks: Vec<Price> = input
        .marks
        .iter()
        .enumerate()
        .map(|(k, m)| positive(m, pd, &format!("marks[{k}]")).map(Price))
        .collect::<anyhow::Result<_>>()?;

    let config = VenueConfig { rules, enforce_initial_margin: false, ..VenueConfig::default() };
    let mut venue = Venue::new(config);
    let ins = match tiers {
        Some(t) => venue.add_instrument_with_tiers(spec, t),
        None => venue.add_instrument(spec),
    }
    .map_err(|e| anyhow!("instrument: {e}"))?;
    debug_assert_eq!(ins, INS);
    if fund.is_positive() {
        venue.seed_insurance_fund(SETTLE, fund).map_err(|e| anyhow!("insurance_fund: {e}"))?;
    }
    if let Some(c) = backstop_capital.filter(|c| c.is_positive()) {
        venue.set_backstop_capital(SETTLE, c).map_err(|e| anyhow!("backstop_capital: {e}"))?;
    }

    // Accounts, in input order; then the hidden maker and seeder.
    let mut names = Names { by_id: BTreeMap::new() };
    let mut ids: BTreeMap<String, AccountId> = BTreeMap::new();
    let mut assets: BTreeMap<String, (AssetId, Cash, Rate, String)> = BTreeMap::new();
    let mut engine_ids = Vec::with_capacity(input.accounts.len());
    for (i, a) in input.accounts.iter().enumerate() {
        let p = |f: &str| format!("accounts[{i}].{f}");
        let id = a.id.trim().to_string();
        if id.is_empty() {
            bail!("{}: must not be empty", p("id"));
        }
        if RESERVED.contains(&id.as_str()) {
            bail!("{}: `{id}` is reserved (maker, seeder and backstop are the CLI's own accounts)", p("id"));
        }
        let acct = venue.open_account().map_err(|e| anyhow!("{}: {e}", p("id")))?;
        if ids.insert(id.clone(), acct).is_some() {
            bail!("{}: duplicate account id `{id}`", p("id"));
        }
        names.by_id.insert(acct, id);
        engine_ids.push(acct);
        let wallet = cash(&a.wallet, &p("wallet"))?;
        let margin = match (a.mode, &a.margin) {
            (ModeIn::Isolated, Some(m)) => cash(m, &p("margin"))?,
            (ModeIn::Isolated, None) => bail!("{}: missing field (required in isolated mode)", p("margin")),
            (ModeIn::Cross, Some(_)) => bail!("{}: only in isolated mode", p("margin")),
            (ModeIn::Cross, None) => Cash::ZERO,
        };
        let total = wallet.checked_add(margin).map_err(|_| anyhow!("{}: too large", p("margin")))?;
        if total.is_positive() {
            venue.deposit(acct, SETTLE, total).map_err(|e| anyhow!("{}: {e}", p("wallet")))?;
        }
        if a.mode == ModeIn::Isolated {
            venue
                .set_margin_mode(acct, INS, MarginMode::Isolated)
                .map_err(|e| anyhow!("{}: {e}", p("mode")))?;
        }
        if let Some(l) = a.leverage {
            let l16 = u16::try_from(l).ok().filter(|&l| l >= 1).ok_or_else(|| {
                anyhow!("{}: must be a whole number from 1 to 65535 (got {l})", p("leverage"))
            })?;
            venue.set_leverage(acct, INS, l16).map_err(|e| anyhow!("{}: {e}", p("leverage")))?;
        }
        for (k, c) in a.collateral.iter().enumerate() {
            let cp = |f: &str| format!("accounts[{i}].collateral[{k}].{f}");
            let name = c.asset.trim().to_string();
            if name.is_empty() || name == settle_name {
                bail!("{}: must name an asset other than the settle asset", cp("asset"));
            }
            let amount = cash(&c.amount, &cp("amount"))?;
            let price = Cash(positive(&c.price, CASH_DECIMALS, &cp("price"))?);
            let haircut = unit_rate(&c.haircut, &cp("haircut"))?;
            let next =
                AssetId(u16::try_from(assets.len() + 1).map_err(|_| anyhow!("{}: too many", cp("asset")))?);
            let entry = assets.entry(name.clone()).or_insert((next, price, haircut, cp("price")));
            if entry.1 != price || entry.2 != haircut {
                bail!(
                    "{}: {name} is valued venue-wide; price and haircut must match {}",
                    cp("price"),
                    entry.3
                );
            }
            if amount.is_positive() {
                venue.deposit(acct, entry.0, amount).map_err(|e| anyhow!("{}: {e}", cp("amount")))?;
            }
        }
    }
    for (asset, price, haircut, path) in assets.values() {
        venue
            .set_collateral(
                *asset,
                CollateralRule {
                    pool: SETTLE,
                    price: *price,
                    haircut: *haircut,
                    source: CollateralSource::External,
                },
            )
            .map_err(|e| anyhow!("{path}: {e}"))?;
    }
    let deep = Cash::units(DEEP_POCKET_UNITS).map_err(|_| anyhow!("deep pocket overflow"))?;
    let maker = venue.open_account().map_err(|e| anyhow!("book: {e}"))?;
    venue.deposit(maker, SETTLE, deep).map_err(|e| anyhow!("book: {e}"))?;
    let seeder = venue.open_account().map_err(|e| anyhow!("accounts: {e}"))?;
    venue.deposit(seeder, SETTLE, deep).map_err(|e| anyhow!("accounts: {e}"))?;
    names.by_id.insert(maker, "maker".to_string());
    names.by_id.insert(seeder, "seeder".to_string());

    // Positions: each opened at its entry price against the seeder.
    let mut scratch = Vec::new();
    for (i, a) in input.accounts.iter().enumerate() {
        let acct = engine_ids[i];
        for (j, pos) in a.positions.iter().enumerate() {
            let p = |f: &str| format!("accounts[{i}].positions[{j}].{f}");
            let size = Qty(positive(&pos.size, qd, &p("size"))?);
            let entry = Price(positive(&pos.entry_price, pd, &p("entry_price"))?);
            let side = if pos.side == PosSide::Long { Side::Buy } else { Side::Sell };
            // The account pays the taker fee of its seeding trade; it is deposited first so the
            // wallet starts at the given figure (the fee stays in the fee pool).
            let instrument = venue.instrument(INS)?;
            let value = instrument
                .value(entry, size, Round::Floor)
                .map_err(|_| anyhow!("{}: overflow", p("size")))?;
            let fee = instrument
                .fee(value, instrument.spec().fees.taker)
                .map_err(|_| anyhow!("{}: overflow", p("size")))?;
            if fee.is_positive() {
                venue.deposit(acct, SETTLE, fee)?;
            }
            venue
                .place(seeder, INS, OrderRequest::limit(side.opposite(), entry, size), &mut scratch)
                .map_err(|e| anyhow!("{}: {e}", p("entry_price")))?;
            let req = OrderRequest {
                side,
                kind: OrderKind::Limit(entry),
                qty: size,
                tif: TimeInForce::Ioc,
                reduce_only: false,
                stp: Stp::None,
            };
            let placed = venue
                .place(acct, INS, req, &mut scratch)
                .map_err(|e| anyhow!("{}: {e}", p("entry_price")))?;
            match placed {
                Placed::Order { filled, .. } if filled == size => {}
                _ => bail!("{}: the seeding trade did not fill (engine refused the position)", p("size")),
            }
        }
        if a.mode == ModeIn::Isolated {
            let margin = cash(a.margin.as_ref().expect("checked above"), &format!("accounts[{i}].margin"))?;
            if margin.is_positive() {
                if a.positions.is_empty() {
                    bail!("accounts[{i}].margin: an isolated margin needs a position");
                }
                venue
                    .add_isolated_margin(acct, INS, margin)
                    .map_err(|e| anyhow!("accounts[{i}].margin: {e}"))?;
            }
        }
    }
    let seeder_held = venue.ledger().account(seeder)?.position(INS).is_some_and(|p| !p.size.is_zero());

    // Resting book orders.
    let mut maker_used = false;
    for (k, o) in input.book.iter().enumerate() {
        let p = |f: &str| format!("book[{k}].{f}");
        let owner = match o.account.trim() {
            "maker" => {
                maker_used = true;
                maker
            }
            id => *ids.get(id).ok_or_else(|| anyhow!("{}: unknown account `{id}`", p("account")))?,
        };
        let side = if o.side == OrderSide::Buy { Side::Buy } else { Side::Sell };
        let price = Price(positive(&o.price, pd, &p("price"))?);
        let size = Qty(positive(&o.size, qd, &p("size"))?);
        venue
            .place(owner, INS, OrderRequest::limit(side, price, size), &mut scratch)
            .map_err(|e| anyhow!("{}: {e}", p("price")))?;
    }

    // The marks.
    let mut events = Vec::new();
    let mut now = venue.now_ms();
    for (k, &mark) in marks.iter().enumerate() {
        now = now.saturating_add(interval);
        venue.set_time(now).map_err(|e| anyhow!("mark_interval_ms: {e}"))?;
        let mut out = Vec::new();
        venue.set_mark_price(INS, mark, &mut out).with_context(|| format!("marks[{k}]: engine error"))?;
        for e in out {
            if let Some(ev) = event_out(&venue, &names, &assets, k + 1, mark, pd, qd, e) {
                events.push(ev);
            }
        }
    }
    venue.check_invariants().context("engine invariant violated after the marks")?;

    // Final state.
    let mut accounts = Vec::new();
    let asset_names: BTreeMap<AssetId, &String> = assets.iter().map(|(n, v)| (v.0, n)).collect();
    let mut listed: Vec<(AccountId, &'static str)> = engine_ids
        .iter()
        .zip(&input.accounts)
        .map(|(&a, i)| (a, if i.mode == ModeIn::Isolated { "isolated" } else { "cross" }))
        .collect();
    if maker_used {
        listed.push((maker, "cross"));
    }
    let seeder_holds = venue.ledger().account(seeder)?.position(INS).is_some_and(|p| !p.size.is_zero());
    if seeder_held || seeder_holds {
        listed.push((seeder, "cross"));
    }
    let instrument = venue.instrument(INS)?.clone();
    for (a, mode) in listed {
        let acc = venue.ledger().account(a)?;
        let mut positions = Vec::new();
        let mut margin = None;
        for p in acc.positions().iter().filter(|p| p.instrument == INS) {
            if mode == "isolated" {
                margin = Some(p.isolated_margin.to_string());
            }
            if !p.size.is_zero() {
                positions.push(PositionOut {
                    side: side_of(p.size),
                    size: p.size.abs().to_decimal(qd),
                    entry_price: entry_of(&instrument, p.cost, p.size).to_decimal(pd),
                });
            }
        }
        if mode == "isolated" && margin.is_none() {
            margin = Some(Cash::ZERO.to_string());
        }
        let collateral = asset_names
            .iter()
            .map(|(id, n)| BalanceOut { asset: (*n).clone(), amount: acc.balance(*id).to_string() })
            .collect();
        accounts.push(AccountOut {
            id: names.of(a, &venue),
            mode,
            wallet: acc.balance(SETTLE).to_string(),
            margin,
            collateral,
            positions,
        });
    }
    let sys = venue.ledger().system(SETTLE);
    let backstop = match venue.backstop_state()? {
        None => None,
        Some(b) => {
            let acc = venue.ledger().account(b.account)?;
            let mut inventory = Vec::new();
            for (i, size, upnl) in &b.inventory {
                let cost = acc.position(*i).map_or(Cash::ZERO, |p| p.cost);
                inventory.push(InventoryOut {
                    side: side_of(*size),
                    size: size.abs().to_decimal(qd),
                    entry_price: entry_of(&instrument, cost, *size).to_decimal(pd),
                    unrealized_pnl: upnl.to_string(),
                });
            }
            Some(BackstopOut {
                capital: b.capital.to_string(),
                wallet: acc.balance(SETTLE).to_string(),
                collateral: asset_names
                    .iter()
                    .map(|(id, n)| BalanceOut { asset: (*n).clone(), amount: acc.balance(*id).to_string() })
                    .collect(),
                realized_pnl: b.realized_pnl.to_string(),
                inventory,
            })
        }
    };
    Ok(Output {
        rules: rules.venue.name(),
        settle_asset: settle_name,
        events,
        accounts,
        insurance_fund: sys.insurance_fund.to_string(),
        fee_pool: sys.fee_pool.to_string(),
        bad_debt: sys.bad_debt.to_string(),
        backstop,
    })
}

/// Average entry price of a position from its cost.
fn entry_of(instrument: &Instrument, cost: Cash, size: Qty) -> Price {
    if size.is_zero() {
        return Price::ZERO;
    }
    instrument.price_for_value(cost, size, Round::Floor).unwrap_or(Price::ZERO)
}

/// A collateral event: the asset by its input name, `units` sold or seized, `amount` received or
/// counted against bad debt.
fn collateral_event(
    base: EventOut,
    assets: &BTreeMap<String, (AssetId, Cash, Rate, String)>,
    asset: AssetId,
    units: Cash,
    amount: Cash,
    via: &'static str,
) -> EventOut {
    let name = assets
        .iter()
        .find(|(_, v)| v.0 == asset)
        .map_or_else(|| format!("asset#{}", asset.0), |(n, _)| n.clone());
    EventOut {
        qty: Some(units.to_string()),
        via: Some(via),
        asset: Some(name),
        amount: Some(amount.to_string()),
        ..base
    }
}

/// Maps one engine event to an output line (trades, cancellations, stops and funding are not
/// part of the waterfall report).
#[allow(clippy::too_many_arguments)]
fn event_out(
    venue: &Venue,
    names: &Names,
    assets: &BTreeMap<String, (AssetId, Cash, Rate, String)>,
    step: usize,
    mark: Price,
    pd: u32,
    qd: u32,
    e: VenueEvent,
) -> Option<EventOut> {
    let base = |kind: &'static str, account: AccountId| EventOut {
        step,
        mark: mark.to_decimal(pd),
        kind,
        account: names.of(account, venue),
        counterparty: None,
        side: None,
        qty: None,
        price: None,
        via: None,
        bankruptcy_price: None,
        fee: None,
        asset: None,
        amount: None,
    };
    match e {
        VenueEvent::Liquidation(r) => {
            let kind = match r.kind {
                LiquidationKind::Book | LiquidationKind::Adl => "liquidation",
                LiquidationKind::Backstop
                | LiquidationKind::Vault
                | LiquidationKind::Liquidator
                | LiquidationKind::Residual => "takeover",
            };
            Some(EventOut {
                side: Some(if r.long { "long" } else { "short" }),
                qty: Some(r.qty.to_decimal(qd)),
                price: Some(r.price.to_decimal(pd)),
                via: Some(r.kind.as_str()),
                bankruptcy_price: Some(r.bankruptcy_price.to_decimal(pd)),
                fee: Some(r.fee.to_string()),
                ..base(kind, r.account)
            })
        }
        VenueEvent::Adl { liquidated, counterparty, qty, price, counterparty_realized, .. } => {
            Some(EventOut {
                counterparty: Some(names.of(counterparty, venue)),
                qty: Some(qty.to_decimal(qd)),
                price: Some(price.to_decimal(pd)),
                amount: Some(counterparty_realized.to_string()),
                ..base("adl", liquidated)
            })
        }
        VenueEvent::SocializedLoss { account, amount, .. } => {
            Some(EventOut { amount: Some(amount.to_string()), ..base("socialized_loss", account) })
        }
        VenueEvent::CollateralSale { account, asset, units, proceeds, book } => {
            let via = if book.is_some() { "book" } else { "backstop" };
            Some(collateral_event(base("collateral_sale", account), assets, asset, units, proceeds, via))
        }
        VenueEvent::CollateralSeized { account, asset, units, value } => {
            Some(collateral_event(base("collateral_sale", account), assets, asset, units, value, "seized"))
        }
        _ => None,
    }
}
