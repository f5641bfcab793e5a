//! Free parameters of a calibration and their write-back into the scenario's TOML text.
//!
//! A parameter names a value in the scenario document by a path of keys and array indices,
//! `shocks[0].fair_value_move`, `makers[2].level_notional`, `population.size.sigma`, with
//! bounds `[lo, hi]`. The optimizer works on `u ∈ [0, 1]`: the value is `lo + u (hi − lo)`, or
//! `lo (hi / lo)^u` on a log scale, rounded for an integer parameter. The value replaces the one
//! written in the document in place (toml_edit keeps comments, order and layout) and keeps its
//! TOML type: a decimal string stays a string (`"20000000"`), an integer an integer, a float a
//! float. The path must exist in the scenario text: a default that is not written cannot be
//! fitted (write it first), so a typo is an error, never a silently unused parameter.
//!
//! A *factor* parameter moves several written values together: its value `f` multiplies each
//! of them as written (`f = 1` is the scenario as it is). One number then fits a family of
//! assumptions derived from one rule, such as the spot depth of eleven altcoins each set to the
//! same multiple of its volume, without letting each drift apart on its own.

use toml_edit::{DocumentMut, Item, Value};

/// Why a parameter or a path was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// The path does not parse.
    #[error("bad path `{path}`: {problem}")]
    BadPath {
        /// The path as written.
        path: String,
        /// What is wrong.
        problem: String,
    },
    /// Bounds or options are inconsistent.
    #[error("parameter `{path}`: {problem}")]
    BadBounds {
        /// The path.
        path: String,
        /// What is wrong.
        problem: String,
    },
    /// The path does not lead to a value of the scenario.
    #[error("`{path}` is not in the scenario: {problem}")]
    NotFound {
        /// The path.
        path: String,
        /// Where the walk stopped.
        problem: String,
    },
    /// The value there is not a number (or a decimal string).
    #[error("`{path}` in the scenario is {found}, not a number")]
    NotNumber {
        /// The path.
        path: String,
        /// What is there.
        found: String,
    },
    /// The scenario text is not TOML.
    #[error("the scenario is not TOML: {0}")]
    Toml(String),
}

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A table key.
    Key(String),
    /// An index into an array (of tables).
    Index(usize),
}

/// Parses `a.b[2].c` into its segments.
///
/// # Errors
/// [`ParamError::BadPath`] for an empty key, a character outside `[A-Za-z0-9_-]`, or an
/// index that is not a whole number.
pub fn parse_path(path: &str) -> Result<Vec<Segment>, ParamError> {
    let bad = |problem: &str| ParamError::BadPath { path: path.to_string(), problem: problem.to_string() };
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err(bad("expected keys of letters, digits, `_` or `-` separated by `.`"));
        }
        out.push(Segment::Key(key.to_string()));
        if !rest.is_empty() || part.contains('[') {
            loop {
                let Some((idx, after)) = rest.split_once(']') else { return Err(bad("unclosed `[`")) };
                let i = idx.parse::<usize>().map_err(|_| bad("an index must be a whole number, e.g. [0]"))?;
                out.push(Segment::Index(i));
                if after.is_empty() {
                    break;
                }
                rest = after.strip_prefix('[').ok_or_else(|| bad("expected `.` or `[` after `]`"))?;
            }
        }
    }
    Ok(out)
}

/// A free parameter: where it is, its bounds, and how `u ∈ [0, 1]` maps to its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// The path as written, e.g. `shocks[0].fair_value_move`.
    pub path: String,
    segments: Vec<Segment>,
    /// Lower bound.
    pub lo: f64,
    /// Upper bound (> lo).
    pub hi: f64,
    /// Rounded to a whole number.
    pub integer: bool,
    /// Log scale (needs 0 < lo).
    pub log: bool,
    /// For a factor parameter, the paths whose written values it multiplies (then `path` is
    /// its name); empty for a parameter at one path.
    pub factor_of: Vec<(String, Vec<Segment>)>,
    /// For a parameter at one path, the path that gives or takes whatever the parameter gains
    /// or loses, so that a set of shares that must sum to 1 keeps its sum (e.g. the momentum
    /// share balanced by `population.behaviour.hold`); `None` for most parameters.
    pub balance: Option<(String, Vec<Segment>)>,
}

impl Param {
    /// A parameter, checked.
    ///
    /// # Errors
    /// [`ParamError::BadPath`] for a bad path; [`ParamError::BadBounds`] when a bound is not
    /// finite, `lo >= hi`, or a log scale has `lo <= 0`.
    pub fn new(path: &str, lo: f64, hi: f64, integer: bool, log: bool) -> Result<Self, ParamError> {
        let segments = parse_path(path)?;
        let bad = |problem: String| ParamError::BadBounds { path: path.to_string(), problem };
        if !lo.is_finite() || !hi.is_finite() {
            return Err(bad(format!("bounds [{lo}, {hi}] must be finite")));
        }
        if lo >= hi {
            return Err(bad(format!("lo {lo} must be below hi {hi}")));
        }
        if log && lo <= 0.0 {
            return Err(bad(format!("a log scale needs lo > 0, got {lo}")));
        }
        if integer && hi.floor() < lo.ceil() {
            return Err(bad(format!("no whole number lies in [{lo}, {hi}]")));
        }
        Ok(Self {
            path: path.to_string(),
            segments,
            lo,
            hi,
            integer,
            log,
            factor_of: Vec::new(),
            balance: None,
        })
    }

    /// The same parameter, with `path` giving or taking what it gains or loses (see
    /// [`Param::balance`]).
    ///
    /// # Errors
    /// [`ParamError::BadPath`] for a bad path, a factor parameter, or the parameter's own path.
    pub fn balanced_by(mut self, path: &str) -> Result<Self, ParamError> {
        let bad = |problem: &str| ParamError::BadPath { path: path.to_string(), problem: problem.into() };
        if self.is_factor() {
            return Err(bad("a factor cannot be balanced"));
        }
        if path == self.path {
            return Err(bad("a parameter cannot balance itself"));
        }
        self.balance = Some((path.to_string(), parse_path(path)?));
        Ok(self)
    }

    /// A factor parameter named `name` that multiplies the values written at `paths`.
    ///
    /// # Errors
    /// [`ParamError::BadPath`] for a bad path, no path, or the same path twice;
    /// [`ParamError::BadBounds`] when a bound is not finite or not above 0, or `lo >= hi`.
    pub fn factor(name: &str, paths: &[String], lo: f64, hi: f64, log: bool) -> Result<Self, ParamError> {
        let bad = |problem: String| ParamError::BadBounds { path: name.to_string(), problem };
        if !(lo.is_finite() && hi.is_finite() && lo > 0.0) {
            return Err(bad(format!("a factor's bounds [{lo}, {hi}] must be finite and above 0")));
        }
        let mut me = Self::new(name, lo, hi, false, log).or_else(|e| match e {
            // The name is free text, not a path.
            ParamError::BadPath { .. } => {
                Self::new("factor", lo, hi, false, log).map(|p| Self { path: name.to_string(), ..p })
            }
            other => Err(other),
        })?;
        me.segments = Vec::new();
        if paths.is_empty() {
            return Err(ParamError::BadPath {
                path: name.to_string(),
                problem: "a factor needs at least one path".into(),
            });
        }
        for (i, p) in paths.iter().enumerate() {
            if paths[..i].contains(p) {
                return Err(ParamError::BadPath { path: p.clone(), problem: "listed twice".into() });
            }
            me.factor_of.push((p.clone(), parse_path(p)?));
        }
        Ok(me)
    }

    /// Whether this is a factor parameter.
    #[must_use]
    pub fn is_factor(&self) -> bool {
        !self.factor_of.is_empty()
    }

    /// The value at `u` (clamped to [0, 1]).
    #[must_use]
    pub fn value(&self, u: f64) -> f64 {
        let u = if u.is_nan() { 0.5 } else { u.clamp(0.0, 1.0) };
        let v = if self.log {
            (self.lo.ln() + u * (self.hi.ln() - self.lo.ln())).exp()
        } else {
            self.lo + u * (self.hi - self.lo)
        };
        let v = v.clamp(self.lo, self.hi);
        if self.integer { v.round().clamp(self.lo.ceil(), self.hi.floor()) } else { v }
    }

    /// Where `value` sits in the bounds, as `u` clamped to [0, 1].
    #[must_use]
    pub fn normalise(&self, value: f64) -> f64 {
        let u = if self.log {
            (value.max(self.lo).ln() - self.lo.ln()) / (self.hi.ln() - self.lo.ln())
        } else {
            (value - self.lo) / (self.hi - self.lo)
        };
        if u.is_nan() { 0.5 } else { u.clamp(0.0, 1.0) }
    }
}

/// Formats a float value for a decimal string or a TOML float: 10 significant digits, no
/// exponent, no trailing zeros.
#[must_use]
pub fn format_decimal(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return "0".into();
    }
    let digits = 10i32;
    let mag = v.abs().log10().floor() as i32;
    let decimals = (digits - 1 - mag).max(0) as usize;
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
    if s == "-0" { "0".into() } else { s }
}

/// A scenario's TOML text as an editable document.
#[derive(Debug, Clone)]
pub struct ScenarioDoc {
    doc: DocumentMut,
}

enum Slot<'a> {
    Table(&'a mut toml_edit::Table),
    Item(&'a mut Item),
    Value(&'a mut Value),
}

impl ScenarioDoc {
    /// Parses the scenario text.
    ///
    /// # Errors
    /// [`ParamError::Toml`] if it is not TOML.
    pub fn parse(src: &str) -> Result<Self, ParamError> {
        src.parse::<DocumentMut>().map(|doc| Self { doc }).map_err(|e| ParamError::Toml(e.to_string()))
    }

    fn slot(&mut self, path: &str, segments: &[Segment]) -> Result<&mut Value, ParamError> {
        let nf = |problem: String| ParamError::NotFound { path: path.to_string(), problem };
        let mut slot = Slot::Table(self.doc.as_table_mut());
        let mut walked = String::new();
        for seg in segments {
            let here = if walked.is_empty() { "the top level".to_string() } else { format!("`{walked}`") };
            let no_key = |k: &str| nf(format!("{here} has no key `{k}`"));
            let no_index = |i: usize, n: usize| nf(format!("{here} has {n} entries, no [{i}]"));
            slot = match (slot, seg) {
                (Slot::Table(t), Segment::Key(k)) => Slot::Item(t.get_mut(k).ok_or_else(|| no_key(k))?),
                (Slot::Item(Item::Table(t)), Segment::Key(k)) => {
                    Slot::Item(t.get_mut(k).ok_or_else(|| no_key(k))?)
                }
                (
                    Slot::Item(Item::Value(Value::InlineTable(t))) | Slot::Value(Value::InlineTable(t)),
                    Segment::Key(k),
                ) => Slot::Value(t.get_mut(k).ok_or_else(|| no_key(k))?),
                (
                    Slot::Item(Item::ArrayOfTables(_)) | Slot::Item(Item::Value(Value::Array(_))),
                    Segment::Key(_),
                ) => {
                    return Err(nf(format!("{here} is an array: index it, e.g. `[0]`")));
                }
                (_, Segment::Key(_)) => return Err(nf(format!("{here} is not a table"))),
                (Slot::Item(Item::ArrayOfTables(a)), Segment::Index(i)) => {
                    let n = a.len();
                    Slot::Table(a.get_mut(*i).ok_or_else(|| no_index(*i, n))?)
                }
                (
                    Slot::Item(Item::Value(Value::Array(a))) | Slot::Value(Value::Array(a)),
                    Segment::Index(i),
                ) => {
                    let n = a.len();
                    Slot::Value(a.get_mut(*i).ok_or_else(|| no_index(*i, n))?)
                }
                (_, Segment::Index(_)) => return Err(nf(format!("{here} is not an array"))),
            };
            match seg {
                Segment::Key(k) if walked.is_empty() => walked.push_str(k),
                Segment::Key(k) => {
                    walked.push('.');
                    walked.push_str(k);
                }
                Segment::Index(i) => walked.push_str(&format!("[{i}]")),
            }
        }
        match slot {
            Slot::Value(v) | Slot::Item(Item::Value(v)) => Ok(v),
            _ => Err(nf("it names a table, not a value".into())),
        }
    }

    /// The number written at the parameter's path (a decimal string is read as a number).
    ///
    /// # Errors
    /// [`ParamError::NotFound`] or [`ParamError::NotNumber`].
    /// A factor parameter reads 1 (the values as written), once each of its paths holds a number.
    pub fn get(&mut self, p: &Param) -> Result<f64, ParamError> {
        if p.is_factor() {
            for (path, segments) in &p.factor_of {
                let v = self.slot(path, segments)?;
                number(path, v)?;
            }
            return Ok(1.0);
        }
        let path = p.path.clone();
        let v = self.slot(&path, &p.segments)?;
        number(&path, v)
    }

    /// Writes `value` at the parameter's path, keeping the TOML type found there and the
    /// comments around it.
    ///
    /// # Errors
    /// [`ParamError::NotFound`] or [`ParamError::NotNumber`]; [`ParamError::BadBounds`] when
    /// the scenario holds an integer there and the parameter is not `integer`.
    /// A factor parameter multiplies the value at each of its paths by `value` (a whole number
    /// stays whole, rounded).
    pub fn set(&mut self, p: &Param, value: f64) -> Result<(), ParamError> {
        if p.is_factor() {
            for (path, segments) in &p.factor_of {
                let v = self.slot(path, segments)?;
                let old = number(path, v)?;
                let integer = matches!(v, Value::Integer(_));
                write_number(v, old * value, integer);
            }
            return Ok(());
        }
        let path = p.path.clone();
        let v = self.slot(&path, &p.segments)?;
        let old = number(&path, v)?;
        match v {
            Value::Integer(_) if !p.integer => {
                return Err(ParamError::BadBounds {
                    path,
                    problem: "the scenario holds a whole number there: set `integer = true`".into(),
                });
            }
            _ => write_number(v, value, p.integer),
        }
        if let Some((bpath, bsegments)) = &p.balance {
            let written = if p.integer { value.round() } else { value };
            let b = self.slot(bpath, bsegments)?;
            let was = number(bpath, b)?;
            // A share pushed below 0 is written as is: the scenario's validation refuses it,
            // and that evaluation scores as refused.
            write_number(b, was - (written - old), false);
        }
        Ok(())
    }

    /// Replaces the string at `path` by `value` (e.g. a price file's path), keeping comments.
    ///
    /// # Errors
    /// [`ParamError::BadPath`], or [`ParamError::NotFound`] when the path leads nowhere or to a
    /// value that is not a string.
    pub fn set_str(&mut self, path: &str, value: &str) -> Result<(), ParamError> {
        let segments = parse_path(path)?;
        let v = self.slot(path, &segments)?;
        if !v.is_str() {
            return Err(ParamError::NotFound {
                path: path.to_string(),
                problem: "it is not a string".into(),
            });
        }
        let decor = v.decor().clone();
        *v = Value::from(value);
        *v.decor_mut() = decor;
        Ok(())
    }
}

/// Replaces the number in `v` by `value`, keeping its TOML type and the comments around it.
fn write_number(v: &mut Value, value: f64, integer: bool) {
    let new = match v {
        Value::Integer(_) => Value::from(value.round() as i64),
        Value::Float(_) => Value::from(value),
        _ if integer => Value::from(format!("{}", value.round() as i64)),
        _ => Value::from(format_decimal(value)),
    };
    let decor = v.decor().clone();
    *v = new;
    *v.decor_mut() = decor;
}

fn number(path: &str, v: &Value) -> Result<f64, ParamError> {
    let not = |found: String| ParamError::NotNumber { path: path.to_string(), found };
    match v {
        Value::Integer(i) => Ok(*i.value() as f64),
        Value::Float(f) => Ok(*f.value()),
        Value::String(s) => {
            s.value().trim().parse::<f64>().map_err(|_| not(format!("the string \"{}\"", s.value())))
        }
        Value::Boolean(_) => Err(not("a boolean".into())),
        Value::Datetime(_) => Err(not("a date".into())),
        Value::Array(_) => Err(not("an array".into())),
        Value::InlineTable(_) => Err(not("a table".into())),
    }
}

impl std::fmt::Display for ScenarioDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = r#"# A scenario
[run]
duration_s = 600 # ten minutes

[population]
accounts = 1000
long_share = 0.6

[population.size]
median = "2000" # USD

[[shocks]]
at_s = 300
fair_value_move = -0.05 # keep me

[[makers]]
venue = "binance"
level_notional = "100000"

[[makers]]
venue = "hyperliquid"
level_notional = "50000"

[[arbitrageurs]]
markets = [{ venue = "binance", symbol = "BTCUSDT" }]
threshold_bps = 15.0
"#;

    /// The momentum share moved from 0.1 to 0.3, balanced by `hold` (0.45): hold gives up the
    /// 0.2 the momentum share gains, 0.45 − 0.2 = 0.25, so the shares' sum 0.55 is unchanged,
    /// and the comment stays.
    #[test]
    fn a_balanced_parameter_keeps_the_sum() {
        let src = "[population.behaviour]\nhold = 0.45 # holders\nmomentum = 0.1\n";
        let mut doc = ScenarioDoc::parse(src).unwrap();
        let m = p("population.behaviour.momentum", 0.0, 0.45, false)
            .balanced_by("population.behaviour.hold")
            .unwrap();
        doc.set(&m, 0.3).unwrap();
        let hold = doc.get(&p("population.behaviour.hold", 0.0, 1.0, false)).unwrap();
        assert!((hold - 0.25).abs() < 1e-12, "{hold}");
        assert!((doc.get(&m).unwrap() - 0.3).abs() < 1e-12);
        assert!(doc.to_string().contains("# holders"), "{doc}");
        let f = Param::factor("f", &["population.behaviour.hold".into()], 0.5, 2.0, false).unwrap();
        assert!(f.balanced_by("population.behaviour.momentum").is_err(), "a factor is refused");
        assert!(m.clone().balanced_by("population.behaviour.momentum").is_err(), "itself is refused");
    }

    fn p(path: &str, lo: f64, hi: f64, integer: bool) -> Param {
        Param::new(path, lo, hi, integer, false).unwrap()
    }

    #[test]
    fn paths_parse() {
        assert_eq!(
            parse_path("makers[2].level_notional").unwrap(),
            vec![Segment::Key("makers".into()), Segment::Index(2), Segment::Key("level_notional".into())]
        );
        assert_eq!(parse_path("a[0][1]").unwrap().len(), 3);
        for bad in ["", "a..b", "a[x]", "a[1", "a[1]b", "a b"] {
            assert!(parse_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn values_are_written_in_place_keeping_types_and_comments() {
        let mut doc = ScenarioDoc::parse(SRC).unwrap();
        doc.set(&p("shocks[0].fair_value_move", -0.2, -0.01, false), -0.125).unwrap();
        doc.set(&p("population.accounts", 100.0, 50_000.0, true), 2500.4).unwrap();
        doc.set(&p("makers[1].level_notional", 1e4, 1e6, false), 250_000.5).unwrap();
        doc.set(&p("population.size.median", 10.0, 1e5, true), 3000.0).unwrap();
        doc.set(&p("arbitrageurs[0].threshold_bps", 1.0, 50.0, false), 7.5).unwrap();
        let out = doc.to_string();
        assert!(out.contains("fair_value_move = -0.125 # keep me"), "{out}");
        assert!(out.contains("accounts = 2500\n"), "{out}");
        assert!(out.contains("level_notional = \"250000.5\""), "{out}");
        assert!(out.contains("level_notional = \"100000\""), "the other maker is untouched: {out}");
        assert!(out.contains("median = \"3000\" # USD"), "{out}");
        assert!(out.contains("threshold_bps = 7.5"), "{out}");
        assert!(out.starts_with("# A scenario\n"));
        let mut again = ScenarioDoc::parse(&out).unwrap();
        assert_eq!(again.get(&p("shocks[0].fair_value_move", -1.0, 0.0, false)).unwrap(), -0.125);
        assert_eq!(again.get(&p("makers[1].level_notional", 0.0, 1e9, false)).unwrap(), 250_000.5);
    }

    #[test]
    fn a_factor_multiplies_every_value_it_names() {
        let paths = vec![
            "makers[0].level_notional".to_string(),
            "makers[1].level_notional".to_string(),
            "population.accounts".to_string(),
        ];
        let f = Param::factor("maker depth", &paths, 0.1, 4.0, true).unwrap();
        let mut doc = ScenarioDoc::parse(SRC).unwrap();
        assert_eq!(doc.get(&f).unwrap(), 1.0, "the scenario as written is factor 1");
        doc.set(&f, 0.25).unwrap();
        let out = doc.to_string();
        // 100,000 x 0.25 = 25,000; 50,000 x 0.25 = 12,500; 1,000 accounts x 0.25 = 250 (whole).
        assert!(out.contains("level_notional = \"25000\""), "{out}");
        assert!(out.contains("level_notional = \"12500\""), "{out}");
        assert!(out.contains("accounts = 250\n"), "{out}");
        assert!(out.contains("duration_s = 600 # ten minutes"), "{out}");
        let missing = Param::factor("x", &["makers[5].level_notional".to_string()], 0.5, 2.0, false).unwrap();
        assert!(doc.get(&missing).unwrap_err().to_string().contains("no [5]"));
        let text = Param::factor("x", &["makers[0].venue".to_string()], 0.5, 2.0, false).unwrap();
        assert!(doc.get(&text).unwrap_err().to_string().contains("not a number"));
        assert!(Param::factor("x", &[], 0.5, 2.0, false).is_err());
        assert!(Param::factor("x", &["a".into(), "a".into()], 0.5, 2.0, false).is_err());
        assert!(Param::factor("x", &["a".into()], 0.0, 2.0, false).is_err());
    }

    #[test]
    fn bad_paths_name_where_the_walk_stopped() {
        let mut doc = ScenarioDoc::parse(SRC).unwrap();
        let err = |path: &str| doc.clone().get(&p(path, 0.0, 1.0, false)).unwrap_err().to_string();
        assert_eq!(
            err("population.alpha"),
            "`population.alpha` is not in the scenario: `population` has no key `alpha`"
        );
        assert_eq!(
            err("makers[2].level_notional"),
            "`makers[2].level_notional` is not in the scenario: `makers` has 2 entries, no [2]"
        );
        assert!(err("makers.level_notional").contains("is an array"));
        assert!(err("population").contains("names a table"));
        assert!(err("makers[0].venue").contains("the string \"binance\", not a number"));
        let e = doc.set(&p("population.accounts", 0.0, 10.0, false), 3.0).unwrap_err().to_string();
        assert!(e.contains("integer = true"), "{e}");
    }

    #[test]
    fn bounds_and_scales() {
        assert!(Param::new("a", 1.0, 1.0, false, false).is_err());
        assert!(Param::new("a", 2.0, 1.0, false, false).is_err());
        assert!(Param::new("a", 0.0, 1.0, false, true).is_err());
        assert!(Param::new("a", 0.2, 0.8, true, false).is_err());
        let lin = p("a", -0.2, 0.0, false);
        assert!((lin.value(0.25) - -0.15).abs() < 1e-12);
        assert_eq!(lin.value(2.0), 0.0);
        assert!((lin.normalise(-0.15) - 0.25).abs() < 1e-12);
        let log = Param::new("a", 1e3, 1e5, true, true).unwrap();
        assert_eq!(log.value(0.5), 10_000.0);
        assert!((log.normalise(10_000.0) - 0.5).abs() < 1e-12);
        assert_eq!(format_decimal(250_000.5), "250000.5");
        assert_eq!(format_decimal(0.1 + 0.2), "0.3");
        assert_eq!(format_decimal(-0.125), "-0.125");
        assert_eq!(format_decimal(1e10), "10000000000");
    }
}
