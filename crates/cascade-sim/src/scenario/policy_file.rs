//! Policy files (`cascade compare --policy NAME=FILE.toml`): the content of a scenario's
//! `[policy]` table in a file of its own, whose top-level keys are what would sit under
//! `[policy]` (`[halts]` in the file is `[policy.halts]` in the scenario).
//!
//! Three steps, each reporting in the file the reader wrote:
//! 1. [`read_policy_toml`]: the file alone against the [`Policy`] schema. Serde stops at the
//!    first unknown key, so the file is re-read with each unknown key taken out (toml_edit)
//!    until none is left: every unknown key is reported, at its line and column in the file.
//!    This follows whatever `Policy` holds, so new lever tables need nothing here.
//! 2. [`splice_policy`]: the scenario text with its `[policy]` table replaced by the file's
//!    tables (toml_edit; the rest of the scenario keeps its text, comments included).
//! 3. The spliced text goes through the normal scenario reader (all the meaning checks, which
//!    may need the rest of the scenario, e.g. venue names); [`relocate_policy_error`] moves its
//!    problems back into the policy file's lines.
//!
//! No I/O: callers pass the texts and the names to report them under.

use toml_edit::{DocumentMut, Item, Value};

use super::validate::{self, Problem};
use super::{Policy, Scenario, ScenarioError, parse_schema};

/// Most unknown keys reported from one file (each costs one re-read).
const MAX_UNKNOWN: usize = 200;

fn is_unknown_key(p: &Problem) -> bool {
    p.message.starts_with("unknown field `")
}

/// Reads a policy file: its text must be a valid `[policy]` table body.
///
/// # Errors
/// [`ScenarioError::Syntax`] for malformed TOML; [`ScenarioError::Policy`] with every unknown
/// key and every value of the wrong type (each taken out and the file read again, so one
/// problem does not hide the next), each located in `src` and rendered with `origin`.
pub fn read_policy_toml(src: &str, origin: &str) -> Result<Policy, ScenarioError> {
    read_every_problem(src, origin)
}

/// [`read_policy_toml`] for any schema `T` (tested with a stand-in for the lever tables).
fn read_every_problem<T: serde::de::DeserializeOwned>(src: &str, origin: &str) -> Result<T, ScenarioError> {
    let mut text = src.to_string();
    let mut problems: Vec<Problem> = Vec::new();
    // Keys taken out for a problem other than being unknown (a wrong type): their table then
    // reports them missing, which is not a problem of the file.
    let mut taken_out: Vec<String> = Vec::new();
    loop {
        let problem = match parse_schema::<T>(&text, origin) {
            Ok(p) if problems.is_empty() => return Ok(p),
            Ok(_) => break,
            Err(ScenarioError::Schema { problem, .. }) => problem,
            // Syntax: the first read (the text is only ever re-written by toml_edit).
            Err(e) => return Err(e),
        };
        let mut p = problem;
        if let Some(key) = missing_field(&p.message) {
            let full = if p.path.is_empty() { key.to_string() } else { format!("{}.{key}", p.path) };
            if taken_out.contains(&full) {
                break;
            }
        }
        // After a removal the spans are those of the edited text: locate by path in the file.
        let edited = !problems.is_empty();
        let unknown = is_unknown_key(&p);
        if unknown {
            if p.path == "policy" {
                p.message.push_str(
                    " (a policy file holds what goes under [policy]: write `[halts]`, not `[policy.halts]`)",
                );
            }
            p.location = validate::key_location(src, &p.path).or(if edited { None } else { p.location });
        } else if edited {
            p.location = None;
            validate::locate(src, std::slice::from_mut(&mut p));
        }
        // Take the key out and read again, so the keys after it are checked too.
        let removed = if problems.len() < MAX_UNKNOWN && !p.path.is_empty() {
            text.parse::<DocumentMut>().ok().and_then(|mut doc| remove_path(&mut doc, &p.path).then_some(doc))
        } else {
            None
        };
        if !unknown {
            taken_out.push(p.path.clone());
        }
        problems.push(p);
        match removed {
            Some(doc) => text = doc.to_string(),
            None => break,
        }
    }
    problems.sort_by_key(|p| p.location.map_or((usize::MAX, usize::MAX), |l| (l.line, l.column)));
    Err(ScenarioError::Policy { origin: origin.to_string(), problems })
}

fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

/// Splits `a.b[2].c` into keys and indexes.
fn steps(path: &str) -> Option<Vec<Step<'_>>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        if !key.is_empty() {
            out.push(Ok(key));
        }
        while let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            out.push(Err(r[..end].parse().ok()?));
            rest = &r[end + 1..];
        }
        if !rest.is_empty() {
            return None;
        }
    }
    Some(out)
}

type Step<'a> = Result<&'a str, usize>;

/// Removes the key or array element at `path` from the document; false if it is not there.
fn remove_path(doc: &mut DocumentMut, path: &str) -> bool {
    steps(path).is_some_and(|steps| remove_in_table(doc.as_table_mut(), &steps))
}

fn remove_in_table(t: &mut toml_edit::Table, steps: &[Step<'_>]) -> bool {
    match steps {
        [Ok(k)] => t.remove(k).is_some(),
        [Ok(k), rest @ ..] => t.get_mut(k).is_some_and(|i| remove_in_item(i, rest)),
        _ => false,
    }
}

fn remove_in_item(i: &mut Item, steps: &[Step<'_>]) -> bool {
    match i {
        Item::Table(t) => remove_in_table(t, steps),
        Item::ArrayOfTables(a) => match steps {
            [Err(n)] if *n < a.len() => {
                a.remove(*n);
                true
            }
            [Err(n), rest @ ..] => a.get_mut(*n).is_some_and(|t| remove_in_table(t, rest)),
            _ => false,
        },
        Item::Value(v) => remove_in_value(v, steps),
        Item::None => false,
    }
}

fn remove_in_value(v: &mut Value, steps: &[Step<'_>]) -> bool {
    match (v, steps) {
        (Value::InlineTable(t), [Ok(k)]) => t.remove(k).is_some(),
        (Value::InlineTable(t), [Ok(k), rest @ ..]) => t.get_mut(k).is_some_and(|v| remove_in_value(v, rest)),
        (Value::Array(a), [Err(n)]) if *n < a.len() => {
            a.remove(*n);
            true
        }
        (Value::Array(a), [Err(n), rest @ ..]) => a.get_mut(*n).is_some_and(|v| remove_in_value(v, rest)),
        _ => false,
    }
}

/// Gives `t` and every table under it a document position from `next` on, in order.
fn place_after(t: &mut toml_edit::Table, next: &mut isize) {
    t.set_position(Some(*next));
    *next += 1;
    for (_, item) in t.iter_mut() {
        match item {
            Item::Table(sub) => place_after(sub, next),
            Item::ArrayOfTables(a) => {
                for sub in a.iter_mut() {
                    place_after(sub, next);
                }
            }
            _ => {}
        }
    }
}

/// The scenario text with its `[policy]` table (if any) replaced by the policy file's content,
/// placed at the end of the document. Everything else keeps its text.
///
/// # Errors
/// A message if either text is not TOML (both have been read successfully before, so only on a
/// fault).
pub fn splice_policy(scenario_src: &str, policy_src: &str) -> Result<String, String> {
    let mut doc = scenario_src.parse::<DocumentMut>().map_err(|e| format!("scenario: {e}"))?;
    let policy = policy_src.parse::<DocumentMut>().map_err(|e| format!("policy: {e}"))?;
    doc.as_table_mut().remove("policy");
    let mut table = policy.as_table().clone();
    table.set_implicit(false);
    table.set_dotted(false);
    *table.decor_mut() = toml_edit::Decor::new("\n# [policy] from the policy file\n", "");
    // After every table of the scenario (positions are counted from 0 by the parser).
    let mut next = isize::try_from(scenario_src.len()).unwrap_or(isize::MAX / 4) + 1;
    place_after(&mut table, &mut next);
    doc.as_table_mut().insert("policy", Item::Table(table));
    Ok(doc.to_string())
}

fn in_policy(path: &str) -> Option<&str> {
    if path == "policy" {
        return Some("");
    }
    path.strip_prefix("policy.").or_else(|| path.strip_prefix("policy").filter(|r| r.starts_with('[')))
}

/// A refusal of the spliced scenario (step 3) with its problems moved back where the reader
/// wrote them: a problem under `policy` is located in the policy file (its path without the
/// `policy.` prefix); any other (a part of the scenario the policy made invalid) keeps its path
/// and says where it is in the scenario file.
#[must_use]
pub fn relocate_policy_error(
    e: &ScenarioError,
    scenario_src: &str,
    scenario_origin: &str,
    policy_src: &str,
    policy_origin: &str,
) -> ScenarioError {
    let mut problems = Vec::new();
    for p in e.problems() {
        let mut p = p.clone();
        p.location = None;
        if let Some(rest) = in_policy(&p.path) {
            p.path = rest.to_string();
            validate::locate(policy_src, std::slice::from_mut(&mut p));
        } else {
            validate::locate(scenario_src, std::slice::from_mut(&mut p));
            let at = p.location.map_or(String::new(), |l| format!(":{}:{}", l.line, l.column));
            p.message = format!("{} (in {scenario_origin}{at}, with this policy)", p.message);
            p.location = None;
        }
        problems.push(p);
    }
    problems.sort_by_key(|p| p.location.map_or((usize::MAX, usize::MAX), |l| (l.line, l.column)));
    ScenarioError::Policy { origin: policy_origin.to_string(), problems }
}

/// A scenario text with its `[policy]` replaced by a policy file, the three steps in order:
/// the file read alone ([`read_policy_toml`]: every unknown key), spliced in
/// ([`splice_policy`]), the result read by [`Scenario::from_toml`] with its problems moved back
/// into the policy file ([`relocate_policy_error`]). Returns the scenario and the spliced text.
/// The one way policy files are loaded (`cascade_io::read_scenario_with_policy` reads the
/// spliced text again for the kline files a scenario may name).
///
/// # Errors
/// [`ScenarioError::Syntax`] for malformed TOML in either file; [`ScenarioError::Policy`] with
/// every problem of the policy file, located in it (a problem the policy causes elsewhere in
/// the scenario says where, in its message).
pub fn scenario_with_policy(
    scenario_src: &str,
    scenario_origin: &str,
    policy_src: &str,
    policy_origin: &str,
) -> Result<(Scenario, String), ScenarioError> {
    read_policy_toml(policy_src, policy_origin)?;
    let spliced = splice_policy(scenario_src, policy_src).map_err(|message| ScenarioError::Syntax {
        origin: scenario_origin.to_string(),
        problem: Problem { path: String::new(), message, location: None },
    })?;
    match Scenario::from_toml(&spliced, scenario_origin) {
        Ok(s) => Ok((s, spliced)),
        Err(e) => Err(relocate_policy_error(&e, scenario_src, scenario_origin, policy_src, policy_origin)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{DEFAULT_TOML, Location, Scenario};

    // Keys no lever will ever have, so these tests hold whatever `Policy` comes to contain.
    const TWO_UNKNOWN: &str = "# a policy file\nnot_a_lever = 1\n\n[also_not_a_lever]\nx = 2\n";

    #[test]
    fn an_empty_or_comment_only_file_is_the_empty_policy() {
        assert_eq!(read_policy_toml("", "p.toml"), Ok(Policy::default()));
        assert_eq!(read_policy_toml("# nothing to change\n", "p.toml"), Ok(Policy::default()));
    }

    #[test]
    fn every_unknown_key_is_reported_at_its_line_and_column() {
        let e = read_policy_toml(TWO_UNKNOWN, "policies/p.toml").unwrap_err();
        let ScenarioError::Policy { origin, problems } = &e else { panic!("{e:?}") };
        assert_eq!(origin, "policies/p.toml");
        let got: Vec<(&str, Option<Location>)> =
            problems.iter().map(|p| (p.path.as_str(), p.location)).collect();
        // `not_a_lever` starts line 2; `also_not_a_lever` is the header on line 4, after `[`.
        assert_eq!(
            got,
            [
                ("not_a_lever", Some(Location { line: 2, column: 1 })),
                ("also_not_a_lever", Some(Location { line: 4, column: 2 })),
            ]
        );
        let text = e.to_string();
        assert!(text.starts_with("policies/p.toml: 2 problem(s) in the policy file:"), "{text}");
        assert!(text.contains("policies/p.toml:2:1: `not_a_lever`: unknown field `not_a_lever`"), "{text}");
        assert!(text.contains("policies/p.toml:4:2: `also_not_a_lever`: unknown field"), "{text}");
    }

    #[test]
    fn a_policy_table_inside_a_policy_file_gets_a_hint() {
        let e = read_policy_toml("[policy.not_a_lever]\nx = 1\n", "p.toml").unwrap_err();
        let text = e.to_string();
        assert!(text.contains("p.toml:1:2: `policy`: unknown field `policy`"), "{text}");
        assert!(text.contains("write `[halts]`, not `[policy.halts]`"), "{text}");
    }

    // Once the lever tables land, an unknown key sits inside a known table (`halts.mvoe`) or an
    // array of tables: the same removal and location must reach it.
    #[test]
    fn nested_keys_are_found_and_taken_out() {
        let src =
            "[halts]\nmove = 1\nmvoe = 2\n\n[[stops.rules]]\nk = 1\n\n[[stops.rules]]\nk = 2\nbad = 3\n";
        assert_eq!(validate::key_location(src, "halts.mvoe"), Some(Location { line: 3, column: 1 }));
        assert_eq!(validate::key_location(src, "stops.rules[1].bad"), Some(Location { line: 10, column: 1 }));
        assert_eq!(validate::key_location(src, "halts.nothing"), None);
        let mut doc = src.parse::<DocumentMut>().unwrap();
        assert!(remove_path(&mut doc, "halts.mvoe"));
        assert!(remove_path(&mut doc, "stops.rules[1].bad"));
        assert!(!remove_path(&mut doc, "halts.mvoe"), "already gone");
        let t: toml::Table = toml::from_str(&doc.to_string()).unwrap();
        let expect: toml::Table =
            toml::from_str("[halts]\nmove = 1\n[[stops.rules]]\nk = 1\n[[stops.rules]]\nk = 2\n").unwrap();
        assert_eq!(t, expect);
        // Inline tables and arrays too.
        let mut doc = "x = { a = 1, b = [1, { c = 2, d = 3 }] }\n".parse::<DocumentMut>().unwrap();
        assert!(remove_path(&mut doc, "x.b[1].d"));
        assert!(remove_path(&mut doc, "x.a"));
        let t: toml::Table = toml::from_str(&doc.to_string()).unwrap();
        assert_eq!(t, toml::from_str::<toml::Table>("x = { b = [1, { c = 2 }] }").unwrap());
    }

    /// A stand-in for a lever table, to check what the empty `Policy` cannot show yet.
    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Lever {
        halts: Option<Halts>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Halts {
        #[serde(rename = "move")]
        mv: f64,
        #[serde(default)]
        venues: Vec<String>,
    }

    #[test]
    fn unknown_keys_inside_a_known_table_and_after_a_wrong_type_are_all_reported() {
        let src = "[halts]\nmove = \"x\"\nmvoe = 1\nvenus = 2\n\n[bands]\nwidth = 1\n";
        let e = read_every_problem::<Lever>(src, "p.toml").unwrap_err();
        let ScenarioError::Policy { problems, .. } = &e else { panic!("{e:?}") };
        let got: Vec<(&str, Option<Location>)> =
            problems.iter().map(|p| (p.path.as_str(), p.location)).collect();
        // The wrong type (its value at 2:8) does not hide the unknown keys after it, and taking
        // `move` out does not add a "missing field `move`".
        assert_eq!(
            got,
            [
                ("halts.move", Some(Location { line: 2, column: 8 })),
                ("halts.mvoe", Some(Location { line: 3, column: 1 })),
                ("halts.venus", Some(Location { line: 4, column: 1 })),
                ("bands", Some(Location { line: 6, column: 2 })),
            ],
            "{e}"
        );
        assert!(problems[0].message.contains("invalid type"), "{e}");
        assert!(problems[1].message.contains("expected `move` or `venues`"), "{e}");
        // A good file reads.
        let ok = read_every_problem::<Lever>("[halts]\nmove = 0.05\n", "p.toml").unwrap();
        assert_eq!(ok.halts.map(|h| h.mv), Some(0.05));
    }

    #[test]
    fn malformed_toml_names_the_policy_file() {
        let e = read_policy_toml("[halts\nmove = 1\n", "p.toml").unwrap_err();
        assert!(matches!(e, ScenarioError::Syntax { .. }), "{e:?}");
        assert!(e.to_string().starts_with("p.toml:1:"), "{e}");
    }

    #[test]
    fn splicing_replaces_the_policy_table_and_keeps_the_rest() {
        let scenario = "[run]\nseed = 1 # kept\n\n[policy]\nold = 1\n\n[[venues]]\nname = \"x\"\n";
        let out = splice_policy(scenario, "a = 1\n[b]\nc = 2\n[b.d]\ne = 3\n").unwrap();
        let t: toml::Table = toml::from_str(&out).unwrap();
        let expect: toml::Table = toml::from_str("a = 1\n[b]\nc = 2\n[b.d]\ne = 3\n").unwrap();
        assert_eq!(t["policy"].as_table(), Some(&expect), "{out}");
        assert_eq!(t["run"]["seed"].as_integer(), Some(1));
        assert_eq!(t["venues"][0]["name"].as_str(), Some("x"));
        assert!(out.contains("seed = 1 # kept"), "{out}");
        assert!(!out.contains("old"), "{out}");
        // The policy comes after every table of the scenario.
        assert!(out.find("[policy]").unwrap() > out.find("[[venues]]").unwrap(), "{out}");
        // Dotted keys, inline tables and arrays of tables keep their meaning under [policy].
        let policy = "h.m = 1\ni = { j = 2 }\n[[r]]\nk = 1\n[[r]]\nk = 2\n";
        let out = splice_policy("[run]\nseed = 1\n[policy.old]\nx = 1\n", policy).unwrap();
        let t: toml::Table = toml::from_str(&out).unwrap();
        assert_eq!(t["policy"].as_table(), Some(&toml::from_str::<toml::Table>(policy).unwrap()), "{out}");
    }

    #[test]
    fn an_empty_policy_spliced_into_the_default_scenario_reads_as_the_default() {
        let spliced = splice_policy(DEFAULT_TOML, "# no lever\n").unwrap();
        let s = Scenario::from_toml(&spliced, "spliced").unwrap();
        assert_eq!(s, Scenario::builtin_default());
    }

    #[test]
    fn problems_under_policy_move_to_the_policy_file() {
        let policy = "a = 1\n[b]\nc = 2\n";
        let e = ScenarioError::Invalid {
            origin: "s.toml".into(),
            problems: vec![
                Problem { path: "policy.b.c".into(), message: "too big".into(), location: None },
                Problem { path: "run.seed".into(), message: "odd".into(), location: None },
            ],
        };
        let r = relocate_policy_error(&e, "[run]\nseed = 3\n", "s.toml", policy, "p.toml");
        let ScenarioError::Policy { origin, problems } = &r else { panic!("{r:?}") };
        assert_eq!(origin, "p.toml");
        // `c`'s value is on line 3, column 5 of the policy file.
        assert_eq!(problems[0].path, "b.c");
        assert_eq!(problems[0].location, Some(Location { line: 3, column: 5 }));
        // A scenario field keeps its path and says where it is in the scenario (line 2, col 8).
        assert_eq!(problems[1].path, "run.seed");
        assert_eq!(problems[1].message, "odd (in s.toml:2:8, with this policy)");
    }
}
