//! Scenario files: the TOML schema of a run, its defaults, and validation that names the file,
//! line, column and field of every problem.
//!
//! A scenario is parsed in two stages:
//! 1. **Schema** (serde, `deny_unknown_fields` everywhere): malformed TOML, unknown keys, wrong
//!    types and missing required fields stop parsing at the first one, reported with the field
//!    path (serde_path_to_error) and the line and column (toml's spans).
//! 2. **Meaning** ([`Scenario::validate`]): every impossible value (leverage 0, a negative price,
//!    tiers out of order, a probability outside [0, 1], weights not summing to 1, an unknown
//!    venue rule set, a maker on an instrument no venue lists…) is collected, so one run of the
//!    validator reports all of them, each with its field path and, where the file has the
//!    field, its line and column.
//!
//! This module reads no files: callers pass the text and a name for it (cascade-io's
//! `read_scenario` reads from disk, and loads the kline file an asset's `path` names, handing
//! it over with [`Scenario::attach_price_paths`], which checks it against the run). Each section lives in its own file; the doc comment of every
//! field gives its unit and default. Money, prices, quantities and venue rates are exact
//! decimals written as strings ([`Dec`]); behavioural parameters are floats.
//!
//! ```toml
//! [run]            # seed, duration_s, metrics_interval_ms, price_step_ms, start_utc
//! [[assets]]       # name, index_price, annual_volatility, path, index ("model" / "path": replay),
//!                  # spot_depth_1pct, spot_recovery_…
//! [[assets.spot]]  # optional spot books making the index: venue, symbol, tick, lot, fees, weight
//! [[venues]]       # name, rules, settle_asset, insurance_fund, market_band
//! [[venues.instruments]]        # symbol, asset, kind, tick, lot, fees, …
//! [[venues.instruments.tiers]]  # optional override: floor, mmr, max_leverage, imr, …
//! [[venues.collateral]]         # optional: asset, haircut, source, reprice_step
//! [population]     # accounts, long_share, isolated_share, leverage mix, entry, size, behaviour,
//!                  # collateral (who holds margin in a venue's collateral assets), baskets
//!                  # (cross accounts holding several markets of their venue)
//! [[makers]]  [[arbitrageurs]]  [[hedgers]]  [noise]  [[shocks]]  [[herds]]
//! [policy]         # safeguards (sub-tables): halts, bands, liquidation, adl, fund, leverage, margin,
//!                  # prices, collateral, transfers, stops
//! ```

mod arbitrageurs;
mod asset;
mod collateral;
mod hedgers;
mod herds;
mod makers;
mod noise;
mod policy;
mod policy_file;
mod population;
mod portfolio;
mod price_path;
mod run;
mod scale;
mod shocks;
mod validate;
mod values;
mod venue;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

pub use arbitrageurs::{ArbKind, Arbitrageur};
pub use asset::{Asset, DEFAULT_ANNUAL_VOLATILITY, IndexSource, SpotBook};
pub use collateral::{CollateralSourceCfg, PopulationCollateral, VenueCollateral};
pub use hedgers::{Hedger, MarginModeCfg};
pub use herds::{Herd, PositionSide};
pub use makers::Maker;
pub use noise::Noise;
pub use policy::{
    Adl, AdlRuleCfg, Bands, CapStep, CollateralPolicy, Fund, HaltLiquidations, HaltScopeCfg, Halts,
    LeveragePolicy, LiquidationPacing, MarginPolicy, MarkSmoothing, MarketCap, Outage, Policy, PricesPolicy,
    RestingOrders, StopsPolicy, TransfersPolicy, acts_on, applies,
};
pub use policy_file::{read_policy_toml, relocate_policy_error, scenario_with_policy, splice_policy};
pub use population::{Baskets, Behaviour, Entry, MAX_BASKET_LEGS, Population, PopulationMarket};
pub use portfolio::{
    AccountMode, CollateralHolding, Holding, PlannedTransfer, Portfolio, PortfolioAccount, PortfolioPosition,
    PortfolioStop, Route,
};
pub use price_path::{BarRange, PricePath, PricePoint, Track};
pub use run::Run;
pub(crate) use run::parse_utc_ms;
pub use shocks::{FlowSide, Shock};
pub use validate::{Location, Problem};
pub use values::{Dec, LeverageBucket, MAX_LEVERAGE, MarketRef, SizeDist, SizeKind};
pub use venue::{Instrument, Kind, MAX_DECIMALS, RuleSet, Tier, Venue};

use validate::Validator;

/// The built-in default scenario's text (`scenarios/default.toml`).
pub const DEFAULT_TOML: &str = include_str!("../../../../scenarios/default.toml");

/// A whole scenario. Every section but `[[assets]]` and `[[venues]]` may be left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// `[run]`: seed, duration, metrics interval.
    #[serde(default)]
    pub run: Run,
    /// `[[assets]]`: underlyings and their spot index (at least one).
    #[serde(default)]
    pub assets: Vec<Asset>,
    /// `[[venues]]`: exchanges and their instruments (at least one).
    #[serde(default)]
    pub venues: Vec<Venue>,
    /// `[population]`: the leveraged traders.
    #[serde(default)]
    pub population: Population,
    /// `[[makers]]`: market makers.
    #[serde(default)]
    pub makers: Vec<Maker>,
    /// `[[arbitrageurs]]`: cross-venue and basis arbitrageurs.
    #[serde(default)]
    pub arbitrageurs: Vec<Arbitrageur>,
    /// `[[hedgers]]`: spot-long, perp-short holders.
    #[serde(default)]
    pub hedgers: Vec<Hedger>,
    /// `[noise]`: noise and value traders.
    #[serde(default)]
    pub noise: Noise,
    /// `[[shocks]]`: exogenous news.
    #[serde(default)]
    pub shocks: Vec<Shock>,
    /// `[[herds]]`: copy-trading herds.
    #[serde(default)]
    pub herds: Vec<Herd>,
    /// `[policy]`: the safeguards switched on (none by default).
    #[serde(default)]
    pub policy: Policy,
}

/// Why a scenario was refused. Every variant names the file; [`fmt::Display`] prints one line per
/// problem as `file:line:column: \`field\`: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScenarioError {
    /// The text is not TOML.
    #[error("{}", .problem.render(origin))]
    Syntax {
        /// File name (or other label) of the text.
        origin: String,
        /// What and where; `path` is a best guess from the surrounding lines.
        problem: Problem,
    },
    /// The TOML does not fit the schema: unknown key, wrong type, missing field.
    #[error("{}", .problem.render(origin))]
    Schema {
        /// File name of the text.
        origin: String,
        /// What and where.
        problem: Problem,
    },
    /// The values are impossible; all problems found.
    #[error("{}", render_all(origin, problems))]
    Invalid {
        /// File name of the text.
        origin: String,
        /// Every problem, in file order where located.
        problems: Vec<Problem>,
    },
    /// A policy file (`cascade compare --policy`, the content of a `[policy]` table) does not fit:
    /// every unknown key, and the first other problem, located in the policy file.
    #[error("{}", render_policy(origin, problems))]
    Policy {
        /// The policy file's name.
        origin: String,
        /// Every problem, in file order where located.
        problems: Vec<Problem>,
    },
}

fn render_policy(origin: &str, problems: &[Problem]) -> String {
    let mut s = format!("{origin}: {} problem(s) in the policy file:", problems.len());
    for p in problems {
        s.push_str("\n  ");
        s.push_str(&p.render(origin));
    }
    s
}

fn render_all(origin: &str, problems: &[Problem]) -> String {
    let mut s = format!("{origin}: {} problem(s) in the scenario:", problems.len());
    for p in problems {
        s.push_str("\n  ");
        s.push_str(&p.render(origin));
    }
    s
}

/// Stage 1 of reading a scenario (or a part of one, e.g. a policy file): TOML syntax, then the
/// schema (serde), the first problem reported with its field path, line and column.
fn parse_schema<T: serde::de::DeserializeOwned>(src: &str, origin: &str) -> Result<T, ScenarioError> {
    let root = toml::de::DeTable::parse(src).map_err(|e| {
        let location = e.span().map(|s| Location::of_offset(src, s.start));
        let path = location.map(|l| validate::field_near(src, l.line)).unwrap_or_default();
        ScenarioError::Syntax {
            origin: origin.to_string(),
            problem: Problem { path, message: format!("malformed TOML: {}", e.message()), location },
        }
    })?;
    serde_path_to_error::deserialize(toml::de::Deserializer::from(root)).map_err(|e| {
        let mut path = e.path().to_string();
        if path == "." {
            path.clear();
        }
        let inner = e.into_inner();
        let message = inner.message().to_string();
        // An unknown key's path ends at its table: name the key too.
        if let Some(key) = unknown_field(&message)
            && path.rsplit('.').next() != Some(key)
        {
            path = if path.is_empty() { key.to_string() } else { format!("{path}.{key}") };
        }
        let location = inner.span().map(|s| Location::of_offset(src, s.start));
        ScenarioError::Schema { origin: origin.to_string(), problem: Problem { path, message, location } }
    })
}

impl ScenarioError {
    /// Every problem (one for syntax and schema errors).
    #[must_use]
    pub fn problems(&self) -> &[Problem] {
        match self {
            ScenarioError::Syntax { problem, .. } | ScenarioError::Schema { problem, .. } => {
                std::slice::from_ref(problem)
            }
            ScenarioError::Invalid { problems, .. } | ScenarioError::Policy { problems, .. } => problems,
        }
    }
}

impl Scenario {
    /// Parses and validates a scenario from TOML text; `origin` names it in errors (usually the
    /// file path).
    ///
    /// # Errors
    /// [`ScenarioError::Syntax`] for malformed TOML, [`ScenarioError::Schema`] for an unknown key,
    /// a wrong type or a missing field (the first one), [`ScenarioError::Invalid`] with every
    /// impossible value.
    pub fn from_toml(src: &str, origin: &str) -> Result<Self, ScenarioError> {
        let scenario: Scenario = parse_schema(src, origin)?;
        let mut problems = scenario.validate();
        if problems.is_empty() {
            return Ok(scenario);
        }
        validate::locate(src, &mut problems);
        // File order where known; unlocated problems keep their order, after the located ones.
        problems.sort_by_key(|p| p.location.map_or((usize::MAX, usize::MAX), |l| (l.line, l.column)));
        Err(ScenarioError::Invalid { origin: origin.to_string(), problems })
    }

    /// The built-in default scenario (`scenarios/default.toml`, embedded in the binary): small,
    /// runs in seconds.
    ///
    /// # Panics
    /// Never: a test parses and validates the embedded file.
    #[must_use]
    pub fn builtin_default() -> Self {
        match Self::from_toml(DEFAULT_TOML, "scenarios/default.toml") {
            Ok(s) => s,
            Err(e) => panic!("the built-in default scenario is invalid: {e}"),
        }
    }

    /// Every semantic problem, unlocated (paths only). Empty when the scenario is valid.
    #[must_use]
    pub fn validate(&self) -> Vec<Problem> {
        let mut v = Validator::default();
        self.run.validate(&mut v);

        if self.assets.is_empty() {
            v.err("assets", "at least one [[assets]] entry is needed");
        }
        for (i, a) in self.assets.iter().enumerate() {
            a.validate(&format!("assets[{i}]"), &mut v);
            if self.assets[..i].iter().any(|o| o.name == a.name) {
                v.err(format!("assets[{i}].name"), format!("asset `{}` is defined twice", a.name));
            }
        }
        let asset_names: BTreeSet<&str> = self.assets.iter().map(|a| a.name.as_str()).collect();
        if let Some(i) = self.assets.iter().position(|a| a.path.is_some() || a.lookback_path.is_some())
            && self.run.start_unix_ms().is_none()
        {
            v.err(
                "run.start_utc",
                format!(
                    "an RFC 3339 UTC time like 2025-10-10T20:45:00Z is required when an asset takes \
                     its price or its look-back from a file (`assets[{i}].path` or `lookback_path`): it places the \
                     run in the file"
                ),
            );
        }

        // One lot must stay within what the engine holds while the price moves: its value at
        // 100 times the index price at most MAX_AGENT_MONEY (a 2^64 price or a 4-billion lot once
        // failed mid-run with "arithmetic overflow in notional", naming no field).
        let max_money = rust_decimal::Decimal::new(validate::MAX_AGENT_MONEY, 8);
        let hundred = rust_decimal::Decimal::from(100);
        for (k, a) in self.assets.iter().enumerate() {
            if let Some(p) = a.index_price
                && p.get().checked_mul(hundred).is_none_or(|x| x > max_money)
            {
                v.err(
                    format!("assets[{k}].index_price"),
                    format!("{p} is too large: 100 times it must stay within {max_money}"),
                );
                continue;
            }
            for (i, ven) in self.venues.iter().enumerate() {
                for (j, ins) in ven.instruments.iter().enumerate().filter(|(_, ins)| ins.asset == a.name) {
                    let Some(p) = a.index_price else { continue };
                    if p.get()
                        .checked_mul(ins.lot.get())
                        .and_then(|x| x.checked_mul(hundred))
                        .is_none_or(|x| x > max_money)
                    {
                        v.err(
                            format!("venues[{i}].instruments[{j}].lot"),
                            format!(
                                "{} is too large: one lot at 100 times the index price {p} of `{}` must stay within {max_money}",
                                ins.lot, a.name
                            ),
                        );
                    }
                }
            }
        }

        if self.venues.is_empty() {
            v.err("venues", "at least one [[venues]] entry is needed");
        }
        // venue name -> symbol -> asset
        let mut markets: BTreeMap<&str, BTreeMap<&str, &str>> = BTreeMap::new();
        for (i, ven) in self.venues.iter().enumerate() {
            let p = format!("venues[{i}]");
            ven.validate(&p, &mut v);
            if markets.contains_key(ven.name.as_str()) {
                v.err(format!("{p}.name"), format!("venue `{}` is defined twice", ven.name));
            }
            let listed = markets.entry(&ven.name).or_default();
            for (j, ins) in ven.instruments.iter().enumerate() {
                if !asset_names.contains(ins.asset.as_str()) {
                    v.err(
                        format!("{p}.instruments[{j}].asset"),
                        format!("unknown asset `{}` (define it in [[assets]])", ins.asset),
                    );
                }
                listed.insert(&ins.symbol, &ins.asset);
            }
        }
        // venue name -> spot symbol -> asset
        let mut spot_books: BTreeMap<&str, BTreeMap<&str, &str>> = BTreeMap::new();
        for (i, a) in self.assets.iter().enumerate() {
            for (j, s) in a.spot.iter().enumerate() {
                let p = format!("assets[{i}].spot[{j}]");
                let Some(perps) = markets.get(s.venue.as_str()) else {
                    let known: Vec<&str> = markets.keys().copied().collect();
                    v.err(
                        format!("{p}.venue"),
                        format!("unknown venue `{}` (defined: {})", s.venue, known.join(", ")),
                    );
                    continue;
                };
                let books = spot_books.entry(&s.venue).or_default();
                if perps.contains_key(s.symbol.as_str()) || books.contains_key(s.symbol.as_str()) {
                    v.err(
                        format!("{p}.symbol"),
                        format!("`{}` is already listed on venue `{}`", s.symbol, s.venue),
                    );
                } else {
                    books.insert(&s.symbol, &a.name);
                }
            }
        }
        self.validate_collateral(&spot_books, &mut v);
        let refs = Refs { markets: &markets };

        self.population.validate(&mut v);
        for (i, m) in self.population.markets.iter().enumerate() {
            refs.market(&format!("population.markets[{i}]"), &m.venue, &m.symbol, &mut v);
        }
        let pop_assets = self.population_assets();
        if self.population.accounts > 0
            && !pop_assets.is_empty()
            && pop_assets
                .iter()
                .all(|&a| self.assets[a].path.is_some() || self.assets[a].lookback_path.is_some())
        {
            let entry = &self.population.entry;
            for (key, set) in [
                ("annual_volatility", entry.annual_volatility.is_some()),
                ("lookback_return", entry.lookback_return.is_some()),
            ] {
                if set {
                    v.err(
                        format!("population.entry.{key}"),
                        "not allowed when every asset the population trades has a `path` or a \
                         `lookback_path`: entry prices come from the file's look-back",
                    );
                }
            }
        }
        for (i, m) in self.makers.iter().enumerate() {
            let p = format!("makers[{i}]");
            m.validate(&p, &mut v);
            // A maker quotes a perpetual or, naming one, an asset's spot book.
            let spot = spot_books.get(m.venue.as_str()).is_some_and(|b| b.contains_key(m.symbol.as_str()));
            if !spot {
                refs.market(&p, &m.venue, &m.symbol, &mut v);
            }
        }
        for (i, a) in self.arbitrageurs.iter().enumerate() {
            let p = format!("arbitrageurs[{i}]");
            a.validate(&p, &mut v);
            let mut assets = BTreeSet::new();
            for (j, m) in a.markets.iter().enumerate() {
                if let Some(asset) = refs.market(&format!("{p}.markets[{j}]"), &m.venue, &m.symbol, &mut v) {
                    assets.insert(asset);
                }
            }
            if assets.len() > 1 {
                v.err(format!("{p}.markets"), "an arbitrageur's markets must all be on the same asset");
            }
        }
        for (i, h) in self.hedgers.iter().enumerate() {
            let p = format!("hedgers[{i}]");
            h.validate(&p, &mut v);
            refs.market(&p, &h.venue, &h.symbol, &mut v);
        }
        self.noise.validate(&mut v);
        for (i, m) in self.noise.markets.iter().enumerate() {
            refs.market(&format!("noise.markets[{i}]"), &m.venue, &m.symbol, &mut v);
        }
        for (i, s) in self.shocks.iter().enumerate() {
            let p = format!("shocks[{i}]");
            s.validate(&p, self.run.duration_s, &mut v);
            if !asset_names.contains(s.asset.as_str()) {
                v.err(format!("{p}.asset"), format!("unknown asset `{}` (define it in [[assets]])", s.asset));
            }
            if self.assets.iter().any(|a| a.name == s.asset && a.index_from_path()) {
                v.err(
                    format!("{p}.asset"),
                    format!(
                        "`{}` has index = \"path\": its index is the real file, a shock cannot move it; \
                         remove the shock (cascade replay drops it)",
                        s.asset
                    ),
                );
            }
            let named =
                s.venues.iter().enumerate().map(|(j, name)| (format!("{p}.venues[{j}]"), name.as_str()));
            let weighted =
                s.venue_weights.keys().map(|name| (format!("{p}.venue_weights.{name}"), name.as_str()));
            for (path, name) in named.chain(weighted) {
                match markets.get(name) {
                    None => v.err(path, format!("unknown venue `{name}`")),
                    Some(listed) if !listed.values().any(|a| *a == s.asset) => {
                        v.err(path, format!("venue `{name}` lists no instrument on `{}`", s.asset));
                    }
                    Some(_) => {}
                }
            }
        }
        for (i, h) in self.herds.iter().enumerate() {
            let p = format!("herds[{i}]");
            h.validate(&p, &mut v);
            refs.market(&p, &h.venue, &h.symbol, &mut v);
        }
        self.policy.validate(&self.policy_known(), &mut v);
        v.into_problems()
    }

    /// Cross-references of multi-asset collateral (`collateral.rs`): an asset's `follows`, each
    /// venue's `[[venues.collateral]]` (a known asset with a spot book on the venue, not the
    /// settle asset) and the population's holders (a venue that accepts the asset, fractions
    /// of one venue summing to at most 1).
    fn validate_collateral(&self, spot_books: &BTreeMap<&str, BTreeMap<&str, &str>>, v: &mut Validator) {
        for (i, a) in self.assets.iter().enumerate() {
            let Some(name) = &a.follows else { continue };
            let p = format!("assets[{i}].follows");
            match self.assets.iter().find(|o| &o.name == name) {
                None => v.err(p, format!("unknown asset `{name}` (define it in [[assets]])")),
                Some(o) if o.name == a.name => v.err(p, "an asset cannot follow itself"),
                Some(o) if o.follows.is_some() => {
                    v.err(p, format!("`{name}` follows another asset itself: follow that one"))
                }
                Some(_) => {}
            }
        }
        for (i, ven) in self.venues.iter().enumerate() {
            for (j, c) in ven.collateral.iter().enumerate() {
                let p = format!("venues[{i}].collateral[{j}].asset");
                if c.asset == ven.settle_asset {
                    v.err(p, format!("`{}` is the venue's settle asset, margin already", c.asset));
                } else if !self.assets.iter().any(|a| a.name == c.asset) {
                    v.err(p, format!("unknown asset `{}` (define it in [[assets]])", c.asset));
                } else if !spot_books
                    .get(ven.name.as_str())
                    .is_some_and(|b| b.values().any(|x| *x == c.asset))
                {
                    v.err(
                        p,
                        format!(
                            "`{}` has no [[assets.spot]] book on venue `{}`: the venue prices the collateral \
                             and sells a liquidated holder's units there",
                            c.asset, ven.name
                        ),
                    );
                }
            }
        }
        let mut fractions: BTreeMap<&str, f64> = BTreeMap::new();
        for (i, c) in self.population.collateral.iter().enumerate() {
            let p = format!("population.collateral[{i}]");
            if self.population.collateral[..i].iter().any(|o| o.venue == c.venue && o.asset == c.asset) {
                v.err(format!("{p}.asset"), format!("`{}` on `{}` is given twice", c.asset, c.venue));
            }
            match self.venues.iter().find(|x| x.name == c.venue) {
                None => {
                    let known: Vec<&str> = self.venues.iter().map(|x| x.name.as_str()).collect();
                    v.err(
                        format!("{p}.venue"),
                        format!("unknown venue `{}` (defined: {})", c.venue, known.join(", ")),
                    );
                }
                Some(ven) if !ven.collateral.iter().any(|x| x.asset == c.asset) => v.err(
                    format!("{p}.asset"),
                    format!("venue `{}` does not list `{}` in its [[venues.collateral]]", c.venue, c.asset),
                ),
                Some(_) => *fractions.entry(&c.venue).or_default() += c.fraction,
            }
        }
        for (venue, sum) in fractions {
            if sum > 1.0 + 1e-9 {
                v.err(
                    "population.collateral",
                    format!(
                        "the fractions of venue `{venue}` sum to {sum}: at most 1 (of a holder's margin)"
                    ),
                );
            }
        }
    }

    /// What the policy checks may look up: the venues, their perpetuals and rule sets.
    fn policy_known(&self) -> policy::scope::Known<'_> {
        policy::scope::Known {
            venues: self.venues.iter().map(|x| x.name.as_str()).collect(),
            symbols: self
                .venues
                .iter()
                .map(|x| x.instruments.iter().map(|i| i.symbol.as_str()).collect())
                .collect(),
            rule_sets: self.venues.iter().map(|x| x.rule_set().ok()).collect(),
            collateral: self.venues.iter().map(|x| !x.collateral.is_empty()).collect(),
            duration_s: self.run.duration_s,
        }
    }

    /// Indices in `assets` of the assets the population trades (its `markets`, or every listed
    /// instrument when it names none), sorted, each once. Unknown references are left out.
    #[must_use]
    pub fn population_assets(&self) -> Vec<usize> {
        let asset_of = |venue: &str, symbol: &str| {
            let ins = self
                .venues
                .iter()
                .filter(|v| v.name == venue)
                .flat_map(|v| v.instruments.iter())
                .find(|i| i.symbol == symbol)?;
            self.assets.iter().position(|a| a.name == ins.asset)
        };
        let mut out: BTreeSet<usize> = BTreeSet::new();
        if self.population.markets.is_empty() {
            for v in &self.venues {
                for ins in &v.instruments {
                    out.extend(self.assets.iter().position(|a| a.name == ins.asset));
                }
            }
        } else {
            for m in &self.population.markets {
                out.extend(asset_of(&m.venue, &m.symbol));
            }
        }
        out.into_iter().collect()
    }

    /// Attaches the price paths read from the assets' `path` files (`(asset index, path)`) and
    /// checks them against the run; `src` and `origin` are the scenario's text and name, for the
    /// locations of problems.
    ///
    /// # Errors
    /// [`ScenarioError::Invalid`] with every problem: an index that names no asset with a
    /// `path`, a run start that is not a close time in the file, a file that ends before the
    /// run or starts after the population's look-back, an `index_price` that is not the file's
    /// close at the start.
    pub fn attach_price_paths(
        &mut self,
        paths: Vec<(usize, PricePath)>,
        src: &str,
        origin: &str,
    ) -> Result<(), ScenarioError> {
        let set = |a: &mut Asset, p| {
            let has = a.path.is_some();
            if has {
                a.price_path = Some(p);
            }
            has
        };
        self.attach(paths, src, origin, "path", set, Self::check_price_paths)
    }

    /// Hands over the look-back files read for the assets' `lookback_path`s, as (asset index,
    /// path), and checks each covers `population.entry.lookback_s` before the run start.
    ///
    /// # Errors
    /// [`ScenarioError::Invalid`] with every problem: an index that names no asset with a
    /// `lookback_path`, a file that does not reach back far enough or ends before the start.
    pub fn attach_lookback_paths(
        &mut self,
        paths: Vec<(usize, PricePath)>,
        src: &str,
        origin: &str,
    ) -> Result<(), ScenarioError> {
        let set = |a: &mut Asset, p| {
            let has = a.lookback_path.is_some();
            if has {
                a.lookback_price_path = Some(p);
            }
            has
        };
        self.attach(paths, src, origin, "lookback_path", set, Self::check_lookback_paths)
    }

    /// Hands each file to its asset through `set` (false: the asset has no `key`), then runs
    /// `check` against the run; problems are located in `src`.
    fn attach(
        &mut self,
        paths: Vec<(usize, PricePath)>,
        src: &str,
        origin: &str,
        key: &str,
        set: impl Fn(&mut Asset, PricePath) -> bool,
        check: fn(&Self) -> Vec<Problem>,
    ) -> Result<(), ScenarioError> {
        let mut v = Validator::default();
        for (i, p) in paths {
            if !self.assets.get_mut(i).is_some_and(|a| set(a, p)) {
                v.err(format!("assets[{i}].{key}"), format!("a file was given for an asset without `{key}`"));
            }
        }
        let mut problems = v.into_problems();
        problems.extend(check(self));
        if problems.is_empty() {
            return Ok(());
        }
        validate::locate(src, &mut problems);
        Err(ScenarioError::Invalid { origin: origin.to_string(), problems })
    }

    /// Every problem between the assets' loaded look-back files and the run (see
    /// [`Scenario::attach_lookback_paths`]); a `lookback_path` not loaded is one too.
    #[must_use]
    pub fn check_lookback_paths(&self) -> Vec<Problem> {
        let mut v = Validator::default();
        let Some(start) = self.run.start_unix_ms() else { return Vec::new() }; // reported by `validate`
        let from = start.saturating_sub(self.population.entry.lookback_s.saturating_mul(1_000));
        for (i, a) in self.assets.iter().enumerate() {
            let Some(file) = &a.lookback_path else { continue };
            let Some(path) = &a.lookback_price_path else {
                v.err(
                    format!("assets[{i}].lookback_path"),
                    format!("`{file}` was not loaded (read the scenario with cascade_io::read_scenario)"),
                );
                continue;
            };
            let (first, last) = (path.first_ms(), path.last_ms());
            if first > from || last < start {
                v.err(
                    format!("assets[{i}].lookback_path"),
                    format!(
                        "`{}` holds prices from {} to {}, but the look-back needs {} to {} \
                         (population.entry.lookback_s before run.start_utc)",
                        path.source,
                        utc_label(first),
                        utc_label(last),
                        utc_label(from),
                        utc_label(start)
                    ),
                );
            }
        }
        v.into_problems()
    }

    /// Every problem between the assets' loaded price paths and the run (see
    /// [`Scenario::attach_price_paths`]); an asset whose `path` was not loaded is one too.
    #[must_use]
    pub fn check_price_paths(&self) -> Vec<Problem> {
        let mut v = Validator::default();
        let start = self.run.start_unix_ms();
        let pop_assets = self.population_assets();
        for (i, a) in self.assets.iter().enumerate() {
            let Some(file) = &a.path else { continue };
            let f = |k: &str| format!("assets[{i}].{k}");
            let Some(path) = &a.price_path else {
                v.err(
                    f("path"),
                    format!("`{file}` was not loaded (read the scenario with cascade_io::read_scenario)"),
                );
                continue;
            };
            let Some(start) = start else { continue }; // reported by `validate`
            let (first, last) = (path.first_ms(), path.last_ms());
            let label = |ms: u64| format!("{} ({ms} ms)", utc_label(ms));
            let Some(close) = path.price_at_point(start) else {
                let why = if start < first || start > last {
                    format!("outside the file, whose prices run from {} to {}", label(first), label(last))
                } else {
                    "not the close time of a bar in the file (a close sits at its bar's close_time + 1 ms: \
                     a whole minute for 1-minute bars)"
                        .to_string()
                };
                v.err("run.start_utc", format!("{} is {why} (`{}`)", label(start), path.source));
                continue;
            };
            let end = start.saturating_add(self.run.duration_s.saturating_mul(1_000));
            if end > last {
                v.err(
                    "run.duration_s",
                    format!(
                        "the run ends at {} but `assets[{i}].path` ({}) ends at {}",
                        label(end),
                        path.source,
                        label(last)
                    ),
                );
            }
            if let Some(p) = a.index_price
                && p.get() != close.get()
            {
                v.err(
                    f("index_price"),
                    format!(
                        "{p} conflicts with the close at run.start_utc in `{}`, {close} (leave index_price out to take \
                         the file's)",
                        path.source
                    ),
                );
            }
            // With a `lookback_path` the entries come from that file (checked on its own), so
            // the price file need only cover the run: a replay of one evening keeps the week
            // before it.
            if self.population.accounts > 0 && pop_assets.contains(&i) && a.lookback_path.is_none() {
                let from = start.saturating_sub(self.population.entry.lookback_s.saturating_mul(1_000));
                if from < first {
                    v.err(
                        "population.entry.lookback_s",
                        format!(
                            "the look-back starts at {} but `assets[{i}].path` ({}) starts at {}",
                            label(from),
                            path.source,
                            label(first)
                        ),
                    );
                }
            }
        }
        v.into_problems()
    }

    /// Every `[[venues.collateral]]` entry, in file order: (venue name, asset name).
    #[must_use]
    pub fn collateral_entries(&self) -> Vec<(String, String)> {
        self.venues
            .iter()
            .flat_map(|v| v.collateral.iter().map(|c| (v.name.clone(), c.asset.clone())))
            .collect()
    }

    /// Every listed market, in file order: (venue index, instrument index, reference).
    #[must_use]
    pub fn markets(&self) -> Vec<(usize, usize, MarketRef)> {
        let mut out = Vec::new();
        for (i, ven) in self.venues.iter().enumerate() {
            for (j, ins) in ven.instruments.iter().enumerate() {
                out.push((i, j, MarketRef { venue: ven.name.clone(), symbol: ins.symbol.clone() }));
            }
        }
        out
    }
}

/// Cross-references between sections.
struct Refs<'a> {
    markets: &'a BTreeMap<&'a str, BTreeMap<&'a str, &'a str>>,
}

impl<'a> Refs<'a> {
    /// Checks that `venue` exists and lists `symbol`; returns the instrument's asset.
    fn market(&self, path: &str, venue: &str, symbol: &str, v: &mut Validator) -> Option<&'a str> {
        let Some(listed) = self.markets.get(venue) else {
            let known: Vec<&str> = self.markets.keys().copied().collect();
            v.err(
                format!("{path}.venue"),
                format!("unknown venue `{venue}` (defined: {})", known.join(", ")),
            );
            return None;
        };
        let asset = listed.get(symbol).copied();
        if asset.is_none() {
            v.err(format!("{path}.symbol"), format!("venue `{venue}` lists no instrument `{symbol}`"));
        }
        asset
    }
}

/// Unix milliseconds as `YYYY-MM-DDTHH:MM:SS.fffZ`, for messages.
fn utc_label(ms: u64) -> String {
    let (mut days, rem) = (ms / 86_400_000, ms % 86_400_000);
    let mut year = 1970;
    loop {
        let len = if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 { 366 } else { 365 };
        if days < len {
            break;
        }
        days -= len;
        year += 1;
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let mut month = 1;
    for len in [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] {
        if days < len {
            break;
        }
        days -= len;
        month += 1;
    }
    let (h, m, s, milli) = (rem / 3_600_000, rem / 60_000 % 60, rem / 1_000 % 60, rem % 1_000);
    format!("{year:04}-{month:02}-{:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z", days + 1)
}

/// The key named by serde's "unknown field `x`, expected …" message.
fn unknown_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split('`').next()
}

impl fmt::Display for Scenario {
    /// A one-line description: name, seed, duration and sizes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (seed {}, {} s, {} venue(s), {} market(s), {} leveraged accounts)",
            if self.run.name.is_empty() { "unnamed scenario" } else { &self.run.name },
            self.run.seed,
            self.run.duration_s,
            self.venues.len(),
            self.markets().len(),
            self.population.accounts
        )
    }
}
