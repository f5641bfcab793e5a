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
//! `read_scenario` reads from disk). Each section lives in its own file; the doc comment of every
//! field gives its unit and default. Money, prices, quantities and venue rates are exact
//! decimals written as strings ([`Dec`]); behavioural parameters are floats.
//!
//! ```toml
//! [run]            # seed, duration_s, metrics_interval_ms, price_step_ms, start_utc
//! [[assets]]       # name, index_price, annual_volatility, spot_depth_1pct, spot_recovery_…
//! [[assets.spot]]  # optional spot books making the index: venue, symbol, tick, lot, fees, weight
//! [[venues]]       # name, rules, settle_asset, insurance_fund, market_band
//! [[venues.instruments]]        # symbol, asset, kind, tick, lot, fees, …
//! [[venues.instruments.tiers]]  # optional override: floor, mmr, max_leverage, imr, …
//! [population]     # accounts, long_share, isolated_share, leverage mix, entry, size, behaviour
//! [[makers]]  [[arbitrageurs]]  [[hedgers]]  [noise]  [[shocks]]  [[herds]]
//! [policy]         # placeholders, validated but not yet wired
//! ```

mod arbitrageurs;
mod asset;
mod hedgers;
mod herds;
mod makers;
mod noise;
mod policy;
mod population;
mod run;
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
pub use asset::{Asset, SpotBook};
pub use hedgers::{Hedger, MarginModeCfg};
pub use herds::{Herd, PositionSide};
pub use makers::Maker;
pub use noise::Noise;
pub use policy::Policy;
pub use population::{Behaviour, Entry, Population, PopulationMarket};
pub use run::Run;
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
    /// `[policy]`: not yet wired.
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
}

fn render_all(origin: &str, problems: &[Problem]) -> String {
    let mut s = format!("{origin}: {} problem(s) in the scenario:", problems.len());
    for p in problems {
        s.push_str("\n  ");
        s.push_str(&p.render(origin));
    }
    s
}

impl ScenarioError {
    /// Every problem (one for syntax and schema errors).
    #[must_use]
    pub fn problems(&self) -> &[Problem] {
        match self {
            ScenarioError::Syntax { problem, .. } | ScenarioError::Schema { problem, .. } => {
                std::slice::from_ref(problem)
            }
            ScenarioError::Invalid { problems, .. } => problems,
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
        let root = toml::de::DeTable::parse(src).map_err(|e| {
            let location = e.span().map(|s| Location::of_offset(src, s.start));
            let path = location.map(|l| validate::field_near(src, l.line)).unwrap_or_default();
            ScenarioError::Syntax {
                origin: origin.to_string(),
                problem: Problem { path, message: format!("malformed TOML: {}", e.message()), location },
            }
        })?;
        let scenario: Scenario = serde_path_to_error::deserialize(toml::de::Deserializer::from(root))
            .map_err(|e| {
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
                ScenarioError::Schema {
                    origin: origin.to_string(),
                    problem: Problem { path, message, location },
                }
            })?;
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
        let refs = Refs { markets: &markets };

        self.population.validate(&mut v);
        for (i, m) in self.population.markets.iter().enumerate() {
            refs.market(&format!("population.markets[{i}]"), &m.venue, &m.symbol, &mut v);
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
            for (j, name) in s.venues.iter().enumerate() {
                match markets.get(name.as_str()) {
                    None => v.err(format!("{p}.venues[{j}]"), format!("unknown venue `{name}`")),
                    Some(listed) if !listed.values().any(|a| *a == s.asset) => v.err(
                        format!("{p}.venues[{j}]"),
                        format!("venue `{name}` lists no instrument on `{}`", s.asset),
                    ),
                    Some(_) => {}
                }
            }
        }
        for (i, h) in self.herds.iter().enumerate() {
            let p = format!("herds[{i}]");
            h.validate(&p, &mut v);
            refs.market(&p, &h.venue, &h.symbol, &mut v);
        }
        self.policy.validate(&mut v);
        v.into_problems()
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
