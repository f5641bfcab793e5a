//! `[policy]` sub-tables of this folder: every key parses, impossible values are refused naming
//! the field, unknown keys are refused.

use crate::scenario::{DEFAULT_TOML, Dec, MarkSmoothing, Outage, Scenario, ScenarioError};

/// The default scenario (venues `binance` with `BTCUSDT`, `hyperliquid` with `BTC`; 3,600 s)
/// with `policy` appended.
fn with(policy: &str) -> Result<Scenario, ScenarioError> {
    Scenario::from_toml(&format!("{DEFAULT_TOML}\n{policy}\n"), "p.toml")
}

/// The message of the problem at `path`, which must exist.
fn refused_at(policy: &str, path: &str) -> String {
    let e = with(policy).expect_err("should be refused");
    let p =
        e.problems().iter().find(|p| p.path == path).unwrap_or_else(|| panic!("no problem at {path}: {e}"));
    assert!(p.location.is_some(), "located: {e}");
    p.message.clone()
}

const FULL: &str = r#"
[policy.leverage]
venues = ["binance"]
max = 20
per_market = [{ symbol = "BTCUSDT", max = 10 }]
open_interest = [{ above = "50000000", max = 8 }, { above = "100000000", max = 5 }]
position = [{ above = "1000000", max = 4 }]
population_max = 25

[policy.margin]
venues = ["binance", "hyperliquid"]
reference_volatility = 0.8
reference_open_interest = "200000000"
max_multiplier = 2.5
update_interval_s = 30
ramp_s = 120

[policy.prices]
mark_smoothing = "median"
mark_window_s = 120

[policy.transfers]
delay_s = 600
capacity = "1000000"
capacity_interval_s = 900
outages = [{ start_s = 600, end_s = 1800 }]

[policy.stops]
reference_volatility = 0.5
max_factor = 2
update_interval_s = 15
"#;

#[test]
fn every_key_parses() {
    let s = with(FULL).unwrap();
    let l = s.policy.leverage.as_ref().unwrap();
    assert_eq!(
        (l.venues.clone(), l.max, l.population_max),
        (vec!["binance".to_string()], Some(20), Some(25))
    );
    assert_eq!((l.per_market[0].symbol.as_str(), l.per_market[0].max), ("BTCUSDT", 10));
    assert_eq!((l.open_interest[1].above, l.open_interest[1].max), (Dec::parse("100000000").unwrap(), 5));
    assert_eq!((l.position[0].above, l.position[0].max), (Dec::parse("1000000").unwrap(), 4));
    let m = s.policy.margin.as_ref().unwrap();
    assert_eq!(
        (m.reference_volatility, m.max_multiplier, m.update_interval_s, m.ramp_s),
        (Some(0.8), 2.5, 30, 120)
    );
    assert_eq!(m.reference_open_interest, Some(Dec::parse("200000000").unwrap()));
    let p = s.policy.prices.as_ref().unwrap();
    assert_eq!((p.mark_smoothing, p.mark_window_s), (MarkSmoothing::Median, 120));
    let t = s.policy.transfers.as_ref().unwrap();
    assert_eq!(
        (t.delay_s, t.capacity, t.capacity_interval_s),
        (Some(600), Some(Dec::parse("1000000").unwrap()), 900)
    );
    assert_eq!(t.outages, vec![Outage { start_s: 600, end_s: 1800 }]);
    let st = s.policy.stops.as_ref().unwrap();
    assert_eq!((st.reference_volatility, st.max_factor, st.update_interval_s), (Some(0.5), 2.0, 15));
}

#[test]
fn defaults_fill_what_is_left_out() {
    let s = with("[policy.margin]\nreference_volatility = 1\n[policy.prices]\nmark_smoothing = \"ema\"\n[policy.stops]\n[policy.transfers]\n[policy.leverage]\n").unwrap();
    let m = s.policy.margin.unwrap();
    assert_eq!((m.max_multiplier, m.update_interval_s, m.ramp_s, m.venues.len()), (3.0, 60, 0, 0));
    assert_eq!(s.policy.prices.unwrap().mark_window_s, 60);
    let st = s.policy.stops.unwrap();
    assert_eq!((st.reference_volatility, st.max_factor, st.update_interval_s), (None, 3.0, 60));
    let t = s.policy.transfers.unwrap();
    assert_eq!((t.delay_s, t.capacity, t.capacity_interval_s), (None, None, 3600));
    assert!(!s.policy.leverage.unwrap().caps_venues());
}

#[test]
fn impossible_values_are_refused_naming_the_field() {
    assert!(refused_at("[policy.leverage]\nmax = 0", "policy.leverage.max").contains("between 1 and 200"));
    assert!(
        refused_at("[policy.leverage]\npopulation_max = 201", "policy.leverage.population_max")
            .contains("got 201")
    );
    assert!(
        refused_at("[policy.leverage]\nvenues = [\"nowhere\"]", "policy.leverage.venues[0]")
            .contains("unknown venue `nowhere`")
    );
    // BTC is listed at hyperliquid only, and the cap is scoped to binance.
    assert!(
        refused_at(
            "[policy.leverage]\nvenues = [\"binance\"]\nper_market = [{ symbol = \"BTC\", max = 5 }]",
            "policy.leverage.per_market[0].symbol"
        )
        .contains("`BTC`")
    );
    let steps =
        "[policy.leverage]\nopen_interest = [{ above = \"100\", max = 5 }, { above = \"50\", max = 10 }]";
    assert!(refused_at(steps, "policy.leverage.open_interest[1].above").contains("increasing"));
    assert!(refused_at(steps, "policy.leverage.open_interest[1].max").contains("tighten"));
    assert!(
        refused_at(
            "[policy.leverage]\nposition = [{ above = \"0\", max = 5 }]",
            "policy.leverage.position[0].above"
        )
        .contains("> 0")
    );
    assert!(
        refused_at("[policy.margin]\nmax_multiplier = 2", "policy.margin").contains("reference_volatility")
    );
    assert!(
        refused_at("[policy.margin]\nreference_volatility = -1", "policy.margin.reference_volatility")
            .contains("> 0")
    );
    assert!(
        refused_at(
            "[policy.margin]\nreference_volatility = 1\nmax_multiplier = 0.5",
            "policy.margin.max_multiplier"
        )
        .contains("[1, 10]")
    );
    assert!(
        refused_at(
            "[policy.margin]\nreference_volatility = 1\nupdate_interval_s = 0",
            "policy.margin.update_interval_s"
        )
        .contains("> 0")
    );
    assert!(
        refused_at(
            "[policy.margin]\nreference_volatility = 1\nupdate_interval_s = 7200",
            "policy.margin.update_interval_s"
        )
        .contains("3600")
    );
    assert!(
        refused_at(
            "[policy.margin]\nreference_open_interest = \"-5\"",
            "policy.margin.reference_open_interest"
        )
        .contains("> 0")
    );
    assert!(
        refused_at(
            "[policy.prices]\nmark_smoothing = \"ema\"\nmark_window_s = 0",
            "policy.prices.mark_window_s"
        )
        .contains("> 0")
    );
    assert!(
        refused_at(
            "[policy.prices]\nmark_smoothing = \"ema\"\nmark_window_s = 3601",
            "policy.prices.mark_window_s"
        )
        .contains("3600")
    );
    assert!(
        refused_at("[policy.transfers]\ndelay_s = 2592001", "policy.transfers.delay_s").contains("2592000")
    );
    assert!(refused_at("[policy.transfers]\ncapacity = \"0\"", "policy.transfers.capacity").contains("> 0"));
    assert!(
        refused_at("[policy.transfers]\ncapacity_interval_s = 0", "policy.transfers.capacity_interval_s")
            .contains("> 0")
    );
    assert!(
        refused_at(
            "[policy.transfers]\noutages = [{ start_s = 100, end_s = 100 }]",
            "policy.transfers.outages[0].end_s"
        )
        .contains("after start_s")
    );
    assert!(
        refused_at(
            "[policy.transfers]\noutages = [{ start_s = 3600, end_s = 4000 }]",
            "policy.transfers.outages[0].start_s"
        )
        .contains("before the end")
    );
    assert!(refused_at("[policy.stops]\nmax_factor = 11", "policy.stops.max_factor").contains("[1, 10]"));
    assert!(
        refused_at("[policy.stops]\nreference_volatility = 0", "policy.stops.reference_volatility")
            .contains("> 0")
    );
    assert!(
        refused_at("[policy.stops]\nupdate_interval_s = 0", "policy.stops.update_interval_s").contains("> 0")
    );
}

#[test]
fn unknown_keys_and_wrong_types_are_refused() {
    for (policy, path) in [
        ("[policy.leverage]\ncap = 20", "policy.leverage.cap"),
        (
            "[policy.leverage]\nper_market = [{ symbol = \"BTCUSDT\", max = 5, min = 1 }]",
            "policy.leverage.per_market[0].min",
        ),
        ("[policy.margin]\nreference_volatility = 1\nramp = 5", "policy.margin.ramp"),
        ("[policy.prices]\nmark_smoothing = \"ema\"\ncollateral = \"index\"", "policy.prices.collateral"),
        (
            "[policy.transfers]\noutages = [{ start_s = 1, end_s = 2, venue = \"binance\" }]",
            "policy.transfers.outages[0].venue",
        ),
        ("[policy.stops]\nmode = \"static\"", "policy.stops.mode"),
    ] {
        let e = with(policy).expect_err(policy);
        let p = &e.problems()[0];
        assert!(matches!(e, ScenarioError::Schema { .. }), "{policy}: {e}");
        assert_eq!(p.path, path, "{policy}: {e}");
        assert!(p.message.contains("unknown field"), "{policy}: {e}");
    }
    // A TOML float where money is expected, and a smoothing that does not exist.
    let e = with("[policy.transfers]\ncapacity = 1000000.0").expect_err("float money");
    assert_eq!(e.problems()[0].path, "policy.transfers.capacity");
    let e = with("[policy.prices]\nmark_smoothing = \"mean\"").expect_err("unknown smoothing");
    assert_eq!(e.problems()[0].path, "policy.prices.mark_smoothing");
    // `mark_smoothing` is required.
    let e = with("[policy.prices]\nmark_window_s = 60").expect_err("missing smoothing");
    assert!(e.to_string().contains("mark_smoothing"), "{e}");
}

/// The shipped policy files (`scenarios/policies/`) are the content of a `[policy]` table:
/// they parse as one and are valid with the default scenario's venues.
#[test]
fn the_shipped_policy_files_parse_as_policy_tables() {
    for (name, src) in [
        ("leverage-cap-20x.toml", include_str!("../../../../../scenarios/policies/leverage-cap-20x.toml")),
        ("vol-scaled-margin.toml", include_str!("../../../../../scenarios/policies/vol-scaled-margin.toml")),
    ] {
        let policy: crate::scenario::Policy = toml::from_str(src).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut s = Scenario::builtin_default();
        s.policy = policy;
        assert!(s.validate().is_empty(), "{name}: {:?}", s.validate());
        // The same text under `[policy.…]` headers in a scenario gives the same policy.
        let nested = src.replace("\n[", "\n[policy.");
        assert_eq!(with(&nested).unwrap().policy, s.policy, "{name}");
    }
    let s = Scenario::builtin_default();
    let cap: crate::scenario::Policy =
        toml::from_str(include_str!("../../../../../scenarios/policies/leverage-cap-20x.toml")).unwrap();
    assert_eq!(cap.leverage.unwrap().max, Some(20));
    let margin: crate::scenario::Policy =
        toml::from_str(include_str!("../../../../../scenarios/policies/vol-scaled-margin.toml")).unwrap();
    let m = margin.margin.unwrap();
    assert_eq!(
        (m.reference_volatility, m.max_multiplier, m.update_interval_s, m.ramp_s),
        (Some(0.8), 3.0, 60, 300)
    );
    assert!(s.policy.margin.is_none());
}
