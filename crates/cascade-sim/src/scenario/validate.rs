//! Problems found in a scenario, where they are in the file, and the collector that semantic
//! validation reports them to.
//!
//! A problem names the field by its path (`venues[0].instruments[1].tiers[2].floor`, the same
//! syntax serde_path_to_error uses) and, when the file says where that field is, its line and
//! column. Locations are found after validation by walking the parsed TOML document (toml's
//! `DeTable`, which keeps the byte span of every key and value); a field that was left to its
//! default is located at the nearest enclosing table that the file does contain.

use std::fmt;
use std::ops::Range;

/// The largest annualised volatility a scenario may set (20 = 2,000 %/year).
pub const MAX_ANNUAL_VOLATILITY: f64 = 20.0;

/// Ceilings on counts: makers and their levels, arbitrageurs, hedgers, herd followers, accounts.
pub const MAX_MAKERS: u64 = 1_000;
/// Price levels per side of one maker.
pub const MAX_LEVELS: u64 = 1_000;
/// Arbitrageurs of one entry.
pub const MAX_ARBITRAGEURS: u64 = 10_000;
/// Hedgers of one entry, and followers of one herd.
pub const MAX_FOLLOWERS: u64 = 1_000_000;
/// Leveraged accounts of the population.
pub const MAX_ACCOUNTS: u64 = 20_000_000;
/// The longest collateral transfer between venues, seconds (30 days: longer than any run).
pub const MAX_TRANSFER_DELAY_S: u64 = 2_592_000;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::values::Dec;

/// A position in a file, both counted from 1; the column counts characters, not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

impl Location {
    /// The line and column of byte `offset` in `src` (clamped to the end).
    #[must_use]
    pub fn of_offset(src: &str, offset: usize) -> Self {
        let mut offset = offset.min(src.len());
        while !src.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &src[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Self { line, column: src[line_start..offset].chars().count() + 1 }
    }
}

/// One thing wrong with a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Path of the field, e.g. `population.leverage[0].min`; empty when no field is known.
    pub path: String,
    /// What is wrong, in words.
    pub message: String,
    /// Where, when the file says.
    pub location: Option<Location>,
}

impl Problem {
    /// Formats as `origin:line:column: path: message` (parts that are unknown left out).
    #[must_use]
    pub fn render(&self, origin: &str) -> String {
        let mut s = origin.to_string();
        if let Some(l) = self.location {
            s.push_str(&format!(":{}:{}", l.line, l.column));
        }
        s.push_str(": ");
        if !self.path.is_empty() {
            s.push_str(&format!("`{}`: ", self.path));
        }
        s.push_str(&self.message);
        s
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render("<scenario>"))
    }
}

/// Collects every semantic problem of a scenario, so that all are reported at once.
#[derive(Debug, Default)]
pub struct Validator {
    problems: Vec<Problem>,
}

impl Validator {
    /// Records a problem with the field at `path`.
    pub fn err(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem { path: path.into(), message: message.into(), location: None });
    }

    /// The problems found, in the order found.
    #[must_use]
    pub fn into_problems(self) -> Vec<Problem> {
        self.problems
    }

    /// `d > 0`.
    pub fn positive_dec(&mut self, path: &str, d: Dec) {
        if !d.is_positive() {
            self.err(path, format!("must be > 0, got {d}"));
        }
    }

    /// `d ≥ 0`.
    pub fn non_negative_dec(&mut self, path: &str, d: Dec) {
        if d.is_negative() {
            self.err(path, format!("must be ≥ 0, got {d}"));
        }
    }

    /// An amount of money the engine can hold exactly: at most 8 decimal places and at most
    /// about 9.2e10 units (the engine's `Cash`).
    pub fn fits_cash(&mut self, path: &str, d: Dec) {
        if d.to_scaled(8).is_none() {
            self.err(path, format!("{d} is not an amount the engine can hold (≤ 8 decimals, ≤ 9.2e10)"));
        }
    }

    /// Money an agent trades with (a capital, an order or position notional): like
    /// [`Validator::fits_cash`], and at most [`MAX_AGENT_MONEY`] in size, so that what the
    /// engine derives from it over a run — sizes × prices that move, positions up to the
    /// [`MAX_LEVERAGE`](super::values::MAX_LEVERAGE) times a capital, sums across levels —
    /// stays inside its `i64` cash range instead of failing mid-run.
    pub fn fits_money(&mut self, path: &str, d: Dec) {
        match d.to_scaled(8) {
            None => {
                self.err(path, format!("{d} is not an amount the engine can hold (≤ 8 decimals, ≤ 9.2e10)"))
            }
            Some(raw) if raw.unsigned_abs() > MAX_AGENT_MONEY.unsigned_abs() => self.err(
                path,
                format!(
                    "{d} leaves the engine no headroom: money an agent trades with must be at most \
                     {} (the engine's 9.2e10 over the {}x leverage a position may carry)",
                    Dec(rust_decimal::Decimal::new(MAX_AGENT_MONEY, 8)),
                    super::values::MAX_LEVERAGE
                ),
            ),
            Some(_) => {}
        }
    }

    /// `0 ≤ p ≤ 1`.
    pub fn probability(&mut self, path: &str, p: f64) {
        if !(0.0..=1.0).contains(&p) {
            self.err(path, format!("must be a probability in [0, 1], got {p}"));
        }
    }

    /// `x > 0` and finite.
    pub fn positive_f64(&mut self, path: &str, x: f64) {
        if !(x.is_finite() && x > 0.0) {
            self.err(path, format!("must be a finite number > 0, got {x}"));
        }
    }

    /// `x ≥ 0` and finite.
    pub fn non_negative_f64(&mut self, path: &str, x: f64) {
        if !(x.is_finite() && x >= 0.0) {
            self.err(path, format!("must be a finite number ≥ 0, got {x}"));
        }
    }

    /// Counts and sizes with a documented ceiling: beyond it a run would hang or exhaust memory
    /// rather than fail, so it is refused at load.
    pub fn at_most(&mut self, path: &str, n: u64, max: u64) {
        if n > max {
            self.err(path, format!("must be at most {max}, got {n}"));
        }
    }

    /// A volatility (annualised fraction) the simulator can carry: at most
    /// [`MAX_ANNUAL_VOLATILITY`] (beyond it prices over- and underflow within a run).
    pub fn volatility(&mut self, path: &str, x: f64) {
        if x.is_finite() && x > MAX_ANNUAL_VOLATILITY {
            self.err(path, format!("must be at most {MAX_ANNUAL_VOLATILITY} (2,000 %/year), got {x}"));
        }
    }

    /// Whole-number counts or durations that must not be zero.
    pub fn nonzero(&mut self, path: &str, n: u64) {
        if n == 0 {
            self.err(path, "must be > 0, got 0");
        }
    }

    /// Weights that must add up to 1 (within 1e-6).
    pub fn weights_sum_to_one(&mut self, path: &str, weights: impl Iterator<Item = f64>, what: &str) {
        let sum: f64 = weights.sum();
        if (sum - 1.0).abs() > 1e-6 {
            self.err(path, format!("the {what}s must sum to 1, they sum to {sum}"));
        }
    }
}

/// Largest amount of money an agent may trade with, in raw cash units (10^-8): the engine's
/// `Cash` range divided by the highest leverage a scenario may ask for (about 461 million
/// settle-asset units), the headroom for `price × size × leverage` over a run.
pub const MAX_AGENT_MONEY: i64 = i64::MAX / super::values::MAX_LEVERAGE as i64;

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// Splits `a.b[2].c` into steps; `None` if it is not of that form.
fn steps(path: &str) -> Option<Vec<Step<'_>>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        if !key.is_empty() {
            out.push(Step::Key(key));
        }
        while let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            out.push(Step::Index(r[..end].parse().ok()?));
            rest = &r[end + 1..];
        }
        if !rest.is_empty() {
            return None;
        }
    }
    Some(out)
}

/// The span of the deepest part of `path` present in the document: the value of the field if
/// it is there, else its enclosing table or array element. `None` if not even the first step is.
fn span_of(root: &Spanned<DeTable<'_>>, path: &str) -> Option<Range<usize>> {
    let steps = steps(path)?;
    let mut found: Option<Range<usize>> = None;
    let mut table: Option<&DeTable<'_>> = Some(root.get_ref());
    let mut value: Option<&Spanned<DeValue<'_>>> = None;
    for step in steps {
        let next = match (step, table, value) {
            (Step::Key(k), Some(t), _) => t.get(k),
            (Step::Index(i), _, Some(v)) => v.get_ref().as_array().and_then(|a| a.get(i)),
            _ => None,
        };
        let Some(next) = next else { break };
        found = Some(next.span());
        table = next.get_ref().as_table();
        value = Some(next);
    }
    found
}

/// Where the key at the end of `path` is written (the key itself, not its value): for an
/// unknown key, the spot to point at. `None` if the path does not end in a key of the document.
pub(crate) fn key_location(src: &str, path: &str) -> Option<Location> {
    let root = DeTable::parse(src).ok()?;
    let steps = steps(path)?;
    let (Step::Key(last), parents) = steps.split_last()? else { return None };
    let mut table: &DeTable<'_> = root.get_ref();
    let mut value: Option<&Spanned<DeValue<'_>>> = None;
    for step in parents {
        let next = match step {
            Step::Key(k) => table.get(*k),
            Step::Index(i) => value.and_then(|v| v.get_ref().as_array()).and_then(|a| a.get(*i)),
        }?;
        value = Some(next);
        if let Some(t) = next.get_ref().as_table() {
            table = t;
        }
    }
    let (key, _) = table.iter().find(|(k, _)| k.get_ref() == last)?;
    Some(Location::of_offset(src, key.span().start))
}

/// Fills in the location of each problem from the document's spans.
pub(crate) fn locate(src: &str, problems: &mut [Problem]) {
    let Ok(root) = DeTable::parse(src) else { return };
    for p in problems {
        if p.location.is_none()
            && let Some(span) = span_of(&root, &p.path)
        {
            p.location = Some(Location::of_offset(src, span.start));
        }
    }
}

/// Best guess of the field a syntax error is in: the table header above the error line and the
/// key on that line, e.g. `population.accounts`.
pub(crate) fn field_near(src: &str, line: usize) -> String {
    let lines: Vec<&str> = src.lines().collect();
    let at = line.saturating_sub(1).min(lines.len().saturating_sub(1));
    let header = lines[..=at.min(lines.len().saturating_sub(1))]
        .iter()
        .rev()
        .map(|l| l.trim())
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_string())
        .unwrap_or_default();
    let key = lines
        .get(at)
        .and_then(|l| l.split_once('='))
        .map(|(k, _)| k.trim().to_string())
        .filter(|k| !k.is_empty() && !k.starts_with('['))
        .unwrap_or_default();
    match (header.is_empty(), key.is_empty()) {
        (true, _) => key,
        (false, true) => header,
        (false, false) => format!("{header}.{key}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_character_columns() {
        let src = "a = 1\nbé = 2\n";
        assert_eq!(Location::of_offset(src, 0), Location { line: 1, column: 1 });
        // "bé = " is 6 bytes but 5 characters.
        assert_eq!(Location::of_offset(src, 12), Location { line: 2, column: 6 });
    }

    #[test]
    fn paths_split_into_keys_and_indices() {
        assert_eq!(
            steps("venues[1].tiers[0].floor").unwrap(),
            [Step::Key("venues"), Step::Index(1), Step::Key("tiers"), Step::Index(0), Step::Key("floor")]
        );
        assert!(steps("a[x]").is_none());
    }

    #[test]
    fn spans_fall_back_to_the_enclosing_table() {
        let src = "[run]\nseed = 1\n\n[[venues]]\nname = \"a\"\n\n[[venues]]\nname = \"b\"\n";
        let root = DeTable::parse(src).unwrap();
        let at = |p: &str| span_of(&root, p).map(|s| Location::of_offset(src, s.start).line);
        assert_eq!(at("run.seed"), Some(2));
        assert_eq!(at("venues[1].name"), Some(8));
        assert!(matches!(at("venues[1].rules"), Some(7 | 8)), "{:?}", at("venues[1].rules"));
        assert_eq!(at("nothing.here"), None);
    }

    #[test]
    fn syntax_errors_get_a_field_guess() {
        let src = "[run]\nseed = 1\n[population]\naccounts = \n";
        assert_eq!(field_near(src, 4), "population.accounts");
        assert_eq!(field_near("x = \n", 1), "x");
    }
}
