//! A trader's or fund's own book, to be put into a scenario's venues (`cascade stress`): accounts
//! per venue (rule set and instruments come from the scenario's venue of that name), each with
//! its margin mode, wallet, collateral assets, positions and resting stops; holdings off-exchange
//! (spot and stablecoins); transfer routes between the accounts with their delays, and planned
//! transfers along them.
//!
//! Read like a scenario file (`Portfolio::from_toml`): TOML syntax, then the schema with every
//! unknown key an error at file:line:column, then every impossible value at once. Whether the
//! names fit a given scenario (venue, symbol, collateral asset) is checked when the accounts are
//! inserted (`World::insert_portfolio`), where the scenario is known.
//!
//! ```toml
//! [[accounts]]
//! name = "bin"
//! venue = "binance"
//! mode = "cross"
//! wallet = "20000"
//! [[accounts.positions]]
//! symbol = "BTCUSDT"
//! side = "long"
//! size = "1"
//! entry_price = "100000"   # default: the market's price at time zero
//! leverage = 10
//! [[accounts.stops]]
//! symbol = "BTCUSDT"
//! trigger = "90000"        # closes the position (reduce-only stop-market on the mark)
//!
//! [[holdings]]
//! asset = "USDT"
//! amount = "50000"
//!
//! [[routes]]
//! from = "okx"
//! to = "bin"
//! delay_s = 1800
//!
//! [[transfers]]
//! from = "okx"
//! to = "bin"
//! amount = "5000"
//! at_s = 600
//! ```

use serde::{Deserialize, Serialize};

use super::herds::PositionSide;
use super::validate::{self, Validator};
use super::values::Dec;
use super::{Problem, ScenarioError, parse_schema};

/// Margin mode of a portfolio account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AccountMode {
    /// One pool backs every position of the account.
    #[default]
    Cross,
    /// Each position has its own margin.
    Isolated,
}

/// The whole portfolio file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Portfolio {
    /// A label for reports (default empty).
    #[serde(default)]
    pub name: String,
    /// `[[accounts]]`: one per venue account (at least one).
    #[serde(default)]
    pub accounts: Vec<PortfolioAccount>,
    /// `[[holdings]]`: assets held off-exchange.
    #[serde(default)]
    pub holdings: Vec<Holding>,
    /// `[[routes]]`: how money can move between two accounts, and how long it takes.
    #[serde(default)]
    pub routes: Vec<Route>,
    /// `[[transfers]]`: transfers the owner will make, along a route.
    #[serde(default)]
    pub transfers: Vec<PlannedTransfer>,
}

/// One account at one venue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortfolioAccount {
    /// Unique name, used by routes, transfers and reports.
    pub name: String,
    /// The scenario's venue `name`.
    pub venue: String,
    /// `cross` (default) or `isolated`.
    #[serde(default)]
    pub mode: AccountMode,
    /// Settle-asset wallet balance at time zero (≥ 0). Isolated positions take their margin
    /// from it when they open.
    pub wallet: Dec,
    /// Collateral assets other than the settle asset (the venue must accept them:
    /// `[[venues.collateral]]` in the scenario gives the haircut and the price source).
    #[serde(default)]
    pub collateral: Vec<CollateralHolding>,
    /// Open positions at time zero.
    #[serde(default)]
    pub positions: Vec<PortfolioPosition>,
    /// Resting reduce-only stop-market orders on the mark.
    #[serde(default)]
    pub stops: Vec<PortfolioStop>,
}

/// A collateral asset held in an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollateralHolding {
    /// The scenario's asset name (e.g. `USDe`).
    pub asset: String,
    /// Units held (> 0).
    pub amount: Dec,
}

/// A position open at time zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortfolioPosition {
    /// Instrument `symbol` at the account's venue.
    pub symbol: String,
    /// `long` or `short`.
    pub side: PositionSide,
    /// Size in the instrument's quantity (> 0, on its lot).
    pub size: Dec,
    /// Entry price (default: the market's price at time zero, on its tick).
    #[serde(default)]
    pub entry_price: Option<Dec>,
    /// Leverage chosen on the venue (1 up to the tier's maximum; required).
    pub leverage: u16,
}

/// A resting stop that closes (part of) a position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortfolioStop {
    /// Instrument `symbol` of the position it closes.
    pub symbol: String,
    /// Mark price that triggers it (below the entry for a long, above for a short).
    pub trigger: Dec,
    /// Size it closes (default: the whole position).
    #[serde(default)]
    pub size: Option<Dec>,
}

/// An asset held off-exchange.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holding {
    /// Asset name: a scenario asset (valued at its spot index), or a stablecoin the scenario
    /// does not model (valued at 1, and so stated in the report).
    pub asset: String,
    /// Units held (> 0).
    pub amount: Dec,
}

/// How money moves from one account to another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Account name it leaves.
    pub from: String,
    /// Account name it reaches.
    pub to: String,
    /// Seconds between sending and arrival (withdrawal, chain, deposit credit).
    pub delay_s: u64,
}

/// A transfer the owner makes during the scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlannedTransfer {
    /// Account name it leaves (a route must exist).
    pub from: String,
    /// Account name it reaches.
    pub to: String,
    /// Settle-asset amount (> 0). The venue lets only the free margin leave.
    pub amount: Dec,
    /// When it is sent, seconds from the start.
    pub at_s: u64,
}

impl Portfolio {
    /// Parses and validates a portfolio from TOML text; `origin` names it in errors.
    ///
    /// # Errors
    /// As [`super::Scenario::from_toml`]: syntax, schema (unknown key, wrong type, missing field),
    /// then every impossible value, each with its line and column.
    pub fn from_toml(src: &str, origin: &str) -> Result<Self, ScenarioError> {
        let p: Portfolio = parse_schema(src, origin)?;
        let mut problems = p.validate();
        if problems.is_empty() {
            return Ok(p);
        }
        validate::locate(src, &mut problems);
        problems.sort_by_key(|p| p.location.map_or((usize::MAX, usize::MAX), |l| (l.line, l.column)));
        Err(ScenarioError::Invalid { origin: origin.to_string(), problems })
    }

    /// Every problem independent of a scenario (names unique and known, amounts positive).
    #[must_use]
    pub fn validate(&self) -> Vec<Problem> {
        let mut v = Validator::default();
        if self.accounts.is_empty() {
            v.err("accounts", "at least one [[accounts]] entry is needed");
        }
        for (i, a) in self.accounts.iter().enumerate() {
            let p = format!("accounts[{i}]");
            if a.name.trim().is_empty() {
                v.err(format!("{p}.name"), "must not be empty");
            }
            if self.accounts[..i].iter().any(|o| o.name == a.name) {
                v.err(format!("{p}.name"), format!("account `{}` is defined twice", a.name));
            }
            v.non_negative_dec(&format!("{p}.wallet"), a.wallet);
            v.fits_cash(&format!("{p}.wallet"), a.wallet);
            for (j, c) in a.collateral.iter().enumerate() {
                v.positive_dec(&format!("{p}.collateral[{j}].amount"), c.amount);
                v.fits_cash(&format!("{p}.collateral[{j}].amount"), c.amount);
            }
            for (j, x) in a.positions.iter().enumerate() {
                let q = format!("{p}.positions[{j}]");
                v.positive_dec(&format!("{q}.size"), x.size);
                if let Some(e) = x.entry_price {
                    v.positive_dec(&format!("{q}.entry_price"), e);
                }
                if x.leverage == 0 {
                    v.err(format!("{q}.leverage"), "must be at least 1");
                }
                if a.positions[..j].iter().any(|o| o.symbol == x.symbol) {
                    v.err(format!("{q}.symbol"), format!("`{}` is listed twice in this account", x.symbol));
                }
            }
            for (j, s) in a.stops.iter().enumerate() {
                let q = format!("{p}.stops[{j}]");
                v.positive_dec(&format!("{q}.trigger"), s.trigger);
                if let Some(size) = s.size {
                    v.positive_dec(&format!("{q}.size"), size);
                }
                if !a.positions.iter().any(|x| x.symbol == s.symbol) {
                    v.err(
                        format!("{q}.symbol"),
                        format!("no position in `{}` in this account for the stop to close", s.symbol),
                    );
                }
            }
        }
        for (i, h) in self.holdings.iter().enumerate() {
            v.positive_dec(&format!("holdings[{i}].amount"), h.amount);
        }
        let known = |n: &str| self.accounts.iter().any(|a| a.name == n);
        for (i, r) in self.routes.iter().enumerate() {
            for (field, n) in [("from", &r.from), ("to", &r.to)] {
                if !known(n) {
                    v.err(format!("routes[{i}].{field}"), format!("unknown account `{n}`"));
                }
            }
            if r.from == r.to {
                v.err(format!("routes[{i}].to"), "a route joins two different accounts");
            }
        }
        for (i, t) in self.transfers.iter().enumerate() {
            v.positive_dec(&format!("transfers[{i}].amount"), t.amount);
            v.fits_cash(&format!("transfers[{i}].amount"), t.amount);
            if self.route(&t.from, &t.to).is_none() {
                v.err(
                    format!("transfers[{i}]"),
                    format!("no [[routes]] entry from `{}` to `{}`", t.from, t.to),
                );
            }
        }
        v.into_problems()
    }

    /// The route from account `from` to account `to`, if declared.
    #[must_use]
    pub fn route(&self, from: &str, to: &str) -> Option<&Route> {
        self.routes.iter().find(|r| r.from == from && r.to == to)
    }

    /// Index of the account named `name`.
    #[must_use]
    pub fn account_index(&self, name: &str) -> Option<usize> {
        self.accounts.iter().position(|a| a.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"
[[accounts]]
name = "bin"
venue = "binance"
wallet = "1000"
[[accounts.positions]]
symbol = "BTCUSDT"
side = "long"
size = "0.1"
leverage = 10
"#;

    #[test]
    fn a_minimal_portfolio_reads() {
        let p = Portfolio::from_toml(OK, "p.toml").unwrap();
        assert_eq!(p.accounts[0].mode, AccountMode::Cross);
        assert_eq!(p.accounts[0].positions[0].entry_price, None);
    }

    #[test]
    fn an_unknown_key_is_named_with_its_line() {
        let src = OK.replace("leverage = 10", "leverage = 10\nlevrage = 3");
        let e = Portfolio::from_toml(&src, "p.toml").unwrap_err().to_string();
        assert!(e.starts_with("p.toml:11:"), "{e}");
        assert!(e.contains("unknown field `levrage`"), "{e}");
    }

    #[test]
    fn every_bad_value_is_reported_at_once() {
        let src = format!(
            "{OK}\n[[routes]]\nfrom = \"bin\"\nto = \"nowhere\"\ndelay_s = 1\n\n[[transfers]]\nfrom = \"bin\"\nto = \"okx\"\namount = \"-1\"\nat_s = 0\n"
        )
        .replace("size = \"0.1\"", "size = \"0\"");
        let e = Portfolio::from_toml(&src, "p.toml").unwrap_err();
        let paths: Vec<&str> = e.problems().iter().map(|p| p.path.as_str()).collect();
        assert!(paths.contains(&"accounts[0].positions[0].size"), "{paths:?}");
        assert!(paths.contains(&"routes[0].to"), "{paths:?}");
        assert!(paths.contains(&"transfers[0].amount"), "{paths:?}");
        assert!(paths.contains(&"transfers[0]"), "{paths:?}");
    }
}
