//! `--set KEY=VALUE` on the built-in default scenario: values replaced keeping the file's types
//! and comments, optional keys added, and every refusal naming the argument and the field.

use cascade_sim::scenario::{DEFAULT_TOML, Scenario};
use cascade_sweep::overrides::{apply, parse_set};
use rust_decimal::Decimal;

fn set(pairs: &[(&str, &str)]) -> Result<String, String> {
    let sets: Vec<(String, String)> =
        pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect();
    apply(DEFAULT_TOML, &sets).map_err(|e| e.to_string())
}

fn scenario(text: &str) -> Scenario {
    Scenario::from_toml(text, "t").unwrap()
}

#[test]
fn values_are_replaced_keeping_types_and_comments() {
    let text = set(&[
        ("population.leverage[2].weight", "0.2"),
        ("venues[0].insurance_fund", "5e7"),
        ("venues[1].backstop_capital", "\"1000000.5\""),
        ("run.duration_s", "900"),
        ("shocks[0].at_s", "300"),
        ("population.long_share", "1"),
        ("run.name", "stress"),
    ])
    .unwrap();
    let s = scenario(&text);
    assert_eq!(s.population.leverage[2].weight, 0.2);
    assert_eq!(s.venues[0].insurance_fund.0, Decimal::new(50_000_000, 0));
    assert!(text.contains("insurance_fund = \"5e7\""), "a number for a decimal string stays exact text");
    assert_eq!(s.venues[1].backstop_capital.0, Decimal::new(10_000_005, 1));
    assert_eq!((s.run.duration_s, s.shocks[0].at_s), (900, 300));
    assert!(text.contains("long_share = 1.0"), "an integer for a float becomes a float");
    assert_eq!(s.run.name, "stress");
    assert!(text.starts_with("# Cascade's built-in default scenario"), "comments survive");
    // Everything else is the default scenario.
    let d = Scenario::builtin_default();
    assert_eq!((s.makers.clone(), s.population.accounts), (d.makers, d.population.accounts));
}

#[test]
fn an_absent_optional_key_is_added() {
    let text = set(&[("run.start_utc", "\"2025-10-10T20:00:00Z\"")]).unwrap();
    assert_eq!(scenario(&text).run.start_unix_ms(), Some(1_760_126_400_000));
    // A float given for an absent decimal field is written as the decimal string.
    let text = set(&[("venues[1].market_band", "0.03")]).unwrap();
    assert_eq!(scenario(&text).venues[1].market_band.0, Decimal::new(3, 2));
    assert!(text.contains("market_band = \"0.03\""), "{text}");
    // A non-zero vault on a venue whose rules have none: refused by the validator, named.
    let e = set(&[("venues[0].backstop_capital", "\"1000\"")]).unwrap_err();
    assert!(
        e.starts_with("--set `venues[0].backstop_capital=\"1000\"`:")
            && e.contains("`venues[0].backstop_capital`"),
        "{e}"
    );
}

#[test]
fn refusals_name_the_argument_and_the_field() {
    let e = set(&[("population.leverage[2].wieght", "0.2")]).unwrap_err();
    assert!(e.starts_with("--set `population.leverage[2].wieght=0.2`:"), "{e}");
    assert!(e.contains("unknown field `wieght`"), "{e}");

    let e = set(&[("population.leverage[9].weight", "0.2")]).unwrap_err();
    assert_eq!(e, "--set `population.leverage[9].weight=0.2`: `population.leverage` has 5 entries, no [9]");

    let e = set(&[("population.leverage[2].weight", "-1")]).unwrap_err();
    assert!(e.starts_with("--set `population.leverage[2].weight=-1`:"), "{e}");
    assert!(e.contains("`population.leverage[2].weight`"), "{e}");

    let e = set(&[("run.duration_s", "\"long\"")]).unwrap_err();
    assert!(
        e.contains("--set `run.duration_s=\"long\"`") && e.contains("`run.duration_s`: invalid type"),
        "{e}"
    );

    // A shorter run now ends before the shock: both arguments named, the shock's field too.
    let e = set(&[("run.duration_s", "600"), ("population.accounts", "100")]).unwrap_err();
    assert!(e.contains("run.duration_s=600") && e.contains("`shocks[0]"), "{e}");

    let e = set(&[("population", "3")]).unwrap_err();
    assert!(e.contains("is a table, not a value"), "{e}");

    for bad in ["noequals", "=3", "a..b=1"] {
        assert!(parse_set(bad).is_err(), "{bad}");
    }
    assert_eq!(parse_set("a.b[1]= x=y ").unwrap().value, "x=y");
}
