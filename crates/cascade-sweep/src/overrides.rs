//! `--set KEY=VALUE`: scenario values replaced (or added) by their TOML path before a run.
//!
//! A key is a path of table keys and array indices as the validator names fields:
//! `population.leverage[2].weight`, `venues[0].insurance_fund`, `policy.halts.drop`. The value
//! is read as a TOML value (`0.2`, `600`, `true`, `"50000000"`, `[1, 2]`); text that is not a TOML
//! value is taken as a string, so `--set run.name=stress` works unquoted.
//!
//! The edit keeps the type written in the file where that is what the schema wants: a number
//! given for a decimal string (`venues[0].insurance_fund=5e7`) is written as the string `"5e7"`
//! (exact: decimals are never routed through `f64`), an integer given for a float becomes a float.
//! A key absent from the file is added — missing tables on the way are created — and the
//! schema then decides: a valid optional key is accepted, an unknown one refused. The edited
//! text is then validated exactly like a scenario file ([`Scenario::from_toml`]), and every
//! error names the `--set` argument it comes from and the field.
//!
//! Edits go through `toml_edit`, so comments and layout of the file survive: the text written
//! beside a run (`scenario.toml`) is the file with the overridden values, readable as such.

use std::path::Path;

use cascade_sim::fit::params::{Segment, parse_path};
use cascade_sim::scenario::{Scenario, ScenarioError};
use toml_edit::{DocumentMut, Item, Value};

use crate::error::SweepError;

/// One override: a TOML path and the value to put there, as typed (`KEY=VALUE` split at the
/// first `=`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Set {
    /// The path, e.g. `population.leverage[2].weight`.
    pub path: String,
    /// The value's text, e.g. `0.2` or `"50000000"`.
    pub value: String,
}

impl Set {
    /// The argument as the user wrote it, for error messages.
    #[must_use]
    pub fn arg(&self) -> String {
        format!("{}={}", self.path, self.value)
    }
}

/// Splits a `KEY=VALUE` argument at its first `=`.
///
/// # Errors
/// [`SweepError::Override`] when there is no `=` or the key is empty.
pub fn parse_set(arg: &str) -> Result<Set, SweepError> {
    let bad = |problem: &str| SweepError::Override { arg: arg.to_string(), problem: problem.to_string() };
    let (k, v) = arg.split_once('=').ok_or_else(|| bad("expected KEY=VALUE, e.g. run.duration_s=600"))?;
    let k = k.trim();
    if k.is_empty() {
        return Err(bad("the key before `=` is empty"));
    }
    parse_path(k).map_err(|e| bad(&e.to_string()))?;
    Ok(Set { path: k.to_string(), value: v.trim().to_string() })
}

/// Applies the overrides to scenario text and validates the result like a scenario file
/// (schema, then meaning; price files are not loaded — see [`apply_and_read`]). Returns the
/// edited text. `sets` are `(KEY, VALUE)` pairs; later ones win over earlier ones on the same
/// key.
///
/// # Errors
/// [`SweepError::Override`] naming the argument and the field; [`SweepError::Scenario`] when the
/// text is invalid before any override.
pub fn apply(scenario_text: &str, sets: &[(String, String)]) -> Result<String, SweepError> {
    let sets: Vec<Set> = sets.iter().map(|(k, v)| Set { path: k.clone(), value: v.clone() }).collect();
    let (text, _) = edit_and_validate(scenario_text, "scenario", &sets)?;
    Ok(text)
}

/// [`apply`], then the scenario read as the file at `path` would be (cascade-io's
/// `read_scenario_text`: price files named by relative `path`s resolved from its directory).
/// Returns the edited text and the scenario.
///
/// # Errors
/// As [`apply`]; price-file problems as [`SweepError::Io`].
pub fn apply_and_read(
    scenario_text: &str,
    path: &Path,
    sets: &[Set],
) -> Result<(String, Scenario), SweepError> {
    let origin = path.display().to_string();
    let (text, _) = edit_and_validate(scenario_text, &origin, sets)?;
    let scenario = cascade_io::read_scenario_text(&text, path).map_err(|e| attribute_io(e, sets))?;
    Ok((text, scenario))
}

/// A price-file problem after an override: named after the arguments when there are any.
fn attribute_io(e: cascade_io::IoError, sets: &[Set]) -> SweepError {
    if sets.is_empty() {
        SweepError::Io(e)
    } else {
        SweepError::Override { arg: all_args(sets), problem: e.to_string() }
    }
}

fn all_args(sets: &[Set]) -> String {
    sets.iter().map(Set::arg).collect::<Vec<_>>().join("` `--set ")
}

/// Edits `text` with `sets` and validates it; returns the text and the scenario.
pub(crate) fn edit_and_validate(
    text: &str,
    origin: &str,
    sets: &[Set],
) -> Result<(String, Scenario), SweepError> {
    if sets.is_empty() {
        let s = Scenario::from_toml(text, origin).map_err(|e| SweepError::Scenario(e.to_string()))?;
        return Ok((text.to_string(), s));
    }
    // The file itself must be valid: its own problems are not the overrides' fault.
    Scenario::from_toml(text, origin).map_err(|e| SweepError::Scenario(e.to_string()))?;
    // Sets whose added value is retried as a string (a float given for an absent decimal field).
    let mut as_string = vec![false; sets.len()];
    loop {
        let mut doc: DocumentMut =
            text.parse().map_err(|e| SweepError::Scenario(format!("{origin}: {e}")))?;
        let mut added = vec![false; sets.len()];
        for (i, s) in sets.iter().enumerate() {
            added[i] = set_one(&mut doc, s, as_string[i])?;
        }
        let edited = doc.to_string();
        match Scenario::from_toml(&edited, origin) {
            Ok(scenario) => return Ok((edited, scenario)),
            Err(e) => {
                // A float added where the schema wants a decimal string: write it as a string.
                if let ScenarioError::Schema { problem, .. } = &e
                    && let Some(i) = sets.iter().enumerate().position(|(i, s)| {
                        added[i] && !as_string[i] && problem.path == s.path && is_number(&s.value)
                    })
                {
                    as_string[i] = true;
                    continue;
                }
                return Err(attribute(&e, sets, origin));
            }
        }
    }
}

fn is_number(raw: &str) -> bool {
    matches!(raw.parse::<Value>(), Ok(Value::Float(_) | Value::Integer(_)))
}

/// Names the `--set` argument(s) behind a validation error: those whose path is the problem's
/// field, contains it or lies inside it; all of them when none matches (e.g. a shorter run
/// that now ends before a shock).
fn attribute(e: &ScenarioError, sets: &[Set], origin: &str) -> SweepError {
    let related = |field: &str| {
        sets.iter()
            .filter(|s| {
                !field.is_empty()
                    && (field == s.path
                        || field.starts_with(&format!("{}.", s.path))
                        || field.starts_with(&format!("{}[", s.path))
                        || s.path.starts_with(&format!("{field}."))
                        || s.path.starts_with(&format!("{field}[")))
            })
            .cloned()
            .collect::<Vec<_>>()
    };
    let mut args: Vec<Set> = Vec::new();
    for p in e.problems() {
        for s in related(&p.path) {
            if !args.contains(&s) {
                args.push(s);
            }
        }
    }
    if args.is_empty() {
        args = sets.to_vec();
    }
    let problem = e.problems().iter().map(|p| p.render(origin)).collect::<Vec<_>>().join("; ");
    SweepError::Override { arg: all_args(&args), problem }
}

/// Writes one override into the document; returns whether the key was added (absent before).
fn set_one(doc: &mut DocumentMut, s: &Set, force_string: bool) -> Result<bool, SweepError> {
    let bad = |problem: String| SweepError::Override { arg: s.arg(), problem };
    let segments = parse_path(&s.path).map_err(|e| bad(e.to_string()))?;
    let raw = s.value.as_str();
    let parsed: Value = raw.parse::<Value>().unwrap_or_else(|_| Value::from(raw));
    let (last, parents) = segments.split_last().ok_or_else(|| bad("empty key".into()))?;
    let mut item: &mut Item = doc.as_item_mut();
    let mut walked = String::new();
    for (k, seg) in parents.iter().enumerate() {
        let here = if walked.is_empty() { "the top level".to_string() } else { format!("`{walked}`") };
        item = match seg {
            Segment::Key(key) => {
                let next_is_index = matches!(segments.get(k + 1), Some(Segment::Index(_)));
                let Some(t) = item.as_table_like_mut() else {
                    return Err(bad(format!("{here} is not a table")));
                };
                if t.get(key).is_none() {
                    if next_is_index {
                        return Err(bad(format!(
                            "{here} has no `{key}`: --set cannot create array entries, write them in the file"
                        )));
                    }
                    let mut table = toml_edit::Table::new();
                    table.set_implicit(true);
                    t.insert(key, Item::Table(table));
                }
                t.get_mut(key).ok_or_else(|| bad(format!("{here} has no key `{key}`")))?
            }
            Segment::Index(i) => {
                let n = match &*item {
                    Item::ArrayOfTables(a) => a.len(),
                    Item::Value(Value::Array(a)) => a.len(),
                    _ => return Err(bad(format!("{here} is not an array"))),
                };
                item.get_mut(*i).ok_or_else(|| bad(format!("{here} has {n} entries, no [{i}]")))?
            }
        };
        push_segment(&mut walked, seg);
    }
    let here = if walked.is_empty() { "the top level".to_string() } else { format!("`{walked}`") };
    match last {
        Segment::Key(key) => {
            let Some(t) = item.as_table_like_mut() else {
                return Err(bad(format!("{here} is not a table")));
            };
            match t.get_mut(key) {
                Some(slot) => {
                    let Some(old) = slot.as_value() else {
                        return Err(bad(format!("`{}` is a table, not a value: set its keys", s.path)));
                    };
                    let new = coerce(old, parsed, raw, force_string);
                    replace(slot, new);
                    Ok(false)
                }
                None => {
                    let new = if force_string { Value::from(raw) } else { parsed };
                    t.insert(key, Item::Value(new));
                    Ok(true)
                }
            }
        }
        Segment::Index(i) => {
            let Item::Value(Value::Array(a)) = item else {
                return Err(bad(format!("{here} is not an array of values")));
            };
            let n = a.len();
            let Some(old) = a.get(*i).cloned() else {
                return Err(bad(format!("{here} has {n} entries, no [{i}]")));
            };
            let new = coerce(&old, parsed, raw, force_string);
            a.replace(*i, new);
            Ok(false)
        }
    }
}

fn push_segment(walked: &mut String, seg: &Segment) {
    match seg {
        Segment::Key(k) if walked.is_empty() => walked.push_str(k),
        Segment::Key(k) => {
            walked.push('.');
            walked.push_str(k);
        }
        Segment::Index(i) => walked.push_str(&format!("[{i}]")),
    }
}

/// The value to write where `old` is: a number for a decimal string becomes that string (exact),
/// an integer for a float becomes a float; anything else as given (the schema judges).
fn coerce(old: &Value, parsed: Value, raw: &str, force_string: bool) -> Value {
    if force_string {
        return Value::from(raw);
    }
    match (old, parsed) {
        (Value::String(_), Value::Integer(_) | Value::Float(_)) => Value::from(raw.trim()),
        (Value::Float(_), Value::Integer(i)) => Value::from(*i.value() as f64),
        (_, v) => v,
    }
}

/// Replaces the value in `slot`, keeping the comments around it.
fn replace(slot: &mut Item, new: Value) {
    if let Some(old) = slot.as_value_mut() {
        let decor = old.decor().clone();
        *old = new;
        *old.decor_mut() = decor;
    }
}
