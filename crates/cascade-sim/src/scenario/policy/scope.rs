//! The `venues = [...]` list every policy sub-table may carry: which venues a lever applies to
//! (default: all). Shared by the sub-tables of this folder.

use super::super::RuleSet;
use super::super::validate::Validator;

/// Checks that every name in `venues` (at `path.venues`) is a venue the scenario defines, and
/// that none is listed twice.
pub(crate) fn check_venues(path: &str, venues: &[String], known: &[&str], v: &mut Validator) {
    for (i, name) in venues.iter().enumerate() {
        if !known.contains(&name.as_str()) {
            v.err(
                format!("{path}.venues[{i}]"),
                format!("unknown venue `{name}` (defined: {})", known.join(", ")),
            );
        } else if venues[..i].contains(name) {
            v.err(format!("{path}.venues[{i}]"), format!("venue `{name}` is listed twice"));
        }
    }
}

/// Whether a lever scoped to `venues` applies at `venue` (an empty list: every venue).
#[must_use]
pub fn applies(venues: &[String], venue: &str) -> bool {
    venues.is_empty() || venues.iter().any(|v| v == venue)
}

/// What a policy sub-table's validation may check its references against.
#[derive(Debug, Clone, Default)]
pub(crate) struct Known<'a> {
    /// Venue names, in scenario order.
    pub venues: Vec<&'a str>,
    /// Per venue (same order): the symbols of its perpetuals.
    pub symbols: Vec<Vec<&'a str>>,
    /// Per venue (same order): its rule set (`None` if the scenario names an unknown one).
    pub rule_sets: Vec<Option<RuleSet>>,
    /// The run's length, seconds.
    pub duration_s: u64,
    /// Per venue (same order): whether it accepts any `[[venues.collateral]]`.
    pub collateral: Vec<bool>,
}

impl Known<'_> {
    /// Whether a perpetual `symbol` is listed at one of `venues` (every venue when empty).
    pub(crate) fn lists(&self, venues: &[String], symbol: &str) -> bool {
        self.venues.iter().zip(&self.symbols).any(|(v, s)| applies(venues, v) && s.contains(&symbol))
    }
}

/// Whether a lever restricted to rule sets passing `acts` applies to a venue of rule set
/// `rules` named `name` under a sub-table's `venues` list.
#[must_use]
pub fn acts_on(
    venues: &[String],
    name: &str,
    rules: Option<RuleSet>,
    acts: impl Fn(RuleSet) -> bool,
) -> bool {
    applies(venues, name) && rules.is_none_or(acts)
}

/// A lever that acts only on venues whose rule set passes `acts`: a venue named in `listed`
/// where it cannot act is an error; with `listed` empty (every venue) it applies where it
/// can, and is an error only when it can act nowhere.
pub(crate) fn acts_somewhere(
    path: &str,
    listed: &[String],
    known: &Known<'_>,
    acts: impl Fn(RuleSet) -> bool,
    why: &str,
    v: &mut Validator,
) {
    let can = |r: &Option<RuleSet>| r.is_none_or(&acts);
    if listed.is_empty() {
        if !known.rule_sets.iter().any(can) {
            v.err(path, format!("cannot act on any venue of the scenario: each {why}"));
        }
        return;
    }
    for (name, r) in known.venues.iter().zip(&known.rule_sets) {
        if listed.iter().any(|l| l == name) && !can(r) {
            v.err(path, format!("venue `{name}` {why}; leave it out of `venues`"));
        }
    }
}
