//! `[policy.halts]`, `[policy.bands]`, `[policy.liquidation]`, `[policy.adl]`, `[policy.fund]`:
//! every key parses, impossible values are refused naming the field (with its line and
//! column), unknown keys are refused, and the shipped policy files load onto the default
//! scenario.

use crate::scenario::{
    AdlRuleCfg, DEFAULT_TOML, Dec, HaltLiquidations, HaltScopeCfg, RestingOrders, Scenario, ScenarioError,
    scenario_with_policy,
};

fn with(policy: &str) -> Result<Scenario, ScenarioError> {
    Scenario::from_toml(&format!("{DEFAULT_TOML}\n{policy}"), "s.toml")
}

fn d(s: &str) -> Dec {
    Dec::parse(s).unwrap()
}

/// The problem at `path` of a refused scenario; its message must contain `says` and it must
/// carry a line and column.
fn refused_at(policy: &str, path: &str, says: &str) {
    let e = match with(policy) {
        Ok(_) => panic!("should be refused:\n{policy}"),
        Err(e) => e,
    };
    let p = e
        .problems()
        .iter()
        .find(|p| p.path == path)
        .unwrap_or_else(|| panic!("no problem at `{path}` in:\n{e}"));
    assert!(p.message.contains(says), "{path}: {}", p.message);
    assert!(p.location.is_some(), "{path} has no location:\n{e}");
}

#[test]
fn every_key_parses() {
    let s = with(
        r#"
[policy.halts]
venues = ["binance"]
move = "0.05"
window_s = 60
halt_s = 120
scope = "venue"
liquidations = "continue"
resting_orders = "cancel"
reopen_band = "0.02"
reopen_s = 30

[policy.bands]
venues = ["hyperliquid"]
band = "0.03"
orders = false
liquidations = true

[policy.liquidation]
max_notional_per_interval = "5000000"
interval_ms = 500
cooldown_ms = 30000
band = "0.025"

[policy.adl]
rule = "pro_rata"
fund_threshold = "1000000"

[policy.fund]
insurance_fund = "2500000"
backstop_capital = "10000000"
backstop_when_below = "1000000"
"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let h = s.policy.halts.unwrap();
    assert_eq!(h.venues, ["binance"]);
    assert_eq!((h.move_, h.window_s, h.halt_s), (d("0.05"), 60, 120));
    assert_eq!(
        (h.scope, h.liquidations, h.resting_orders),
        (HaltScopeCfg::Venue, HaltLiquidations::Continue, RestingOrders::Cancel)
    );
    assert_eq!((h.reopen_band, h.reopen_s), (d("0.02"), 30));
    let b = s.policy.bands.unwrap();
    assert_eq!(
        (b.venues.as_slice(), b.band, b.orders, b.liquidations),
        (["hyperliquid".to_string()].as_slice(), d("0.03"), false, true)
    );
    let l = s.policy.liquidation.unwrap();
    assert_eq!(
        (l.max_notional_per_interval, l.interval_ms, l.cooldown_ms, l.band),
        (Some(d("5000000")), 500, 30_000, Some(d("0.025")))
    );
    let a = s.policy.adl.unwrap();
    assert_eq!((a.rule, a.fund_threshold), (AdlRuleCfg::ProRata, Some(d("1000000"))));
    let f = s.policy.fund.unwrap();
    assert_eq!(
        (f.insurance_fund, f.scale, f.backstop_capital, f.backstop_when_below),
        (Some(d("2500000")), None, d("10000000"), Some(d("1000000")))
    );
}

/// Left-out keys take their documented defaults.
#[test]
fn defaults_are_the_documented_ones() {
    let s = with(
        "[policy.halts]\nmove = \"0.1\"\n[policy.bands]\nband = \"0.05\"\n[policy.adl]\nrule = \"haircut\"\n",
    )
    .unwrap();
    let h = s.policy.halts.unwrap();
    assert!(h.venues.is_empty());
    assert_eq!(
        (h.window_s, h.halt_s, h.scope, h.liquidations, h.resting_orders),
        (300, 300, HaltScopeCfg::Market, HaltLiquidations::Paused, RestingOrders::Keep)
    );
    assert_eq!((h.reopen_band, h.reopen_s), (Dec::ZERO, 0));
    let b = s.policy.bands.unwrap();
    assert_eq!((b.orders, b.liquidations), (true, false));
    assert_eq!(s.policy.adl.unwrap().fund_threshold, None);
    let l = with("[policy.liquidation]\ncooldown_ms = 1\n").unwrap().policy.liquidation.unwrap();
    assert_eq!((l.max_notional_per_interval, l.interval_ms, l.band), (None, 1000, None));
}

#[test]
fn impossible_values_are_refused_naming_the_field() {
    refused_at("[policy.halts]\nmove = \"1.5\"\n", "policy.halts.move", "fraction in (0, 1)");
    refused_at("[policy.halts]\nmove = \"0\"\n", "policy.halts.move", "fraction in (0, 1)");
    refused_at("[policy.halts]\nmove = \"0.05\"\nwindow_s = 0\n", "policy.halts.window_s", "> 0");
    refused_at(
        "[policy.halts]\nmove = \"0.05\"\nhalt_s = 99999999\n",
        "policy.halts.halt_s",
        "at most 2592000",
    );
    refused_at(
        "[policy.halts]\nmove = \"0.05\"\nreopen_band = \"0.02\"\n",
        "policy.halts.reopen_s",
        "must be > 0",
    );
    refused_at("[policy.halts]\nmove = \"0.05\"\nreopen_s = 30\n", "policy.halts.reopen_s", "no effect");
    refused_at("[policy.bands]\nband = \"0\"\n", "policy.bands.band", "fraction in (0, 1)");
    refused_at(
        "[policy.bands]\nband = \"0.02\"\norders = false\n",
        "policy.bands.orders",
        "applies to nothing",
    );
    refused_at(
        "[policy.liquidation]\nmax_notional_per_interval = \"-5\"\n",
        "policy.liquidation.max_notional_per_interval",
        "must be > 0",
    );
    refused_at(
        "[policy.liquidation]\ncooldown_ms = 5\ninterval_ms = 0\n",
        "policy.liquidation.interval_ms",
        "> 0",
    );
    refused_at("[policy.liquidation]\nband = \"1\"\n", "policy.liquidation.band", "fraction in (0, 1)");
    refused_at("[policy.liquidation]\ninterval_ms = 500\n", "policy.liquidation", "sets no lever");
    refused_at("[policy.adl]\nfund_threshold = \"-1\"\n", "policy.adl.fund_threshold", "≥ 0");
    refused_at("[policy.adl]\nrule = \"venue\"\n", "policy.adl", "sets no lever");
    refused_at("[policy.fund]\ninsurance_fund = \"5\"\nscale = \"2\"\n", "policy.fund.scale", "not both");
    refused_at("[policy.fund]\nscale = \"5000\"\n", "policy.fund.scale", "at most 1000");
    refused_at("[policy.fund]\nbackstop_capital = \"100\"\n", "policy.fund.backstop_when_below", "required");
    refused_at(
        "[policy.fund]\nscale = \"2\"\nbackstop_when_below = \"10\"\n",
        "policy.fund.backstop_when_below",
        "no effect",
    );
    refused_at(
        "[policy.fund]\ninsurance_fund = \"0.000000001\"\n",
        "policy.fund.insurance_fund",
        "8 decimals",
    );
    refused_at(
        "[policy.adl]\nrule = \"haircut\"\nvenues = [\"binance\", \"ftx\"]\n",
        "policy.adl.venues[1]",
        "unknown venue `ftx`",
    );
    refused_at(
        "[policy.halts]\nmove = \"0.05\"\nvenues = [\"binance\", \"binance\"]\n",
        "policy.halts.venues[1]",
        "listed twice",
    );
}

/// Keys no lever acts on are refused, with their path: a call auction is not modelled, so
/// there is no key for it; a misspelt enum value is refused too.
#[test]
fn unknown_keys_and_values_are_refused() {
    for (policy, path) in [
        ("[policy.halts]\nmove = \"0.05\"\ncall_auction = true\n", "policy.halts.call_auction"),
        ("[policy.bands]\nband = \"0.02\"\nwidth = 3\n", "policy.bands.width"),
        ("[policy.liquidation]\ncooldown_ms = 5\nper_block = 1\n", "policy.liquidation.per_block"),
        ("[policy.adl]\nrule = \"haircut\"\nqueue = 1\n", "policy.adl.queue"),
        ("[policy.fund]\nscale = \"2\"\nvault = 1\n", "policy.fund.vault"),
        ("[policy.circuit_breaker]\nmove = \"0.05\"\n", "policy.circuit_breaker"),
    ] {
        let e = with(policy).unwrap_err();
        assert!(matches!(e, ScenarioError::Schema { .. }), "{e}");
        assert_eq!(e.problems()[0].path, path, "{e}");
        assert!(e.to_string().contains("unknown field"), "{e}");
    }
    let e = with("[policy.adl]\nrule = \"lottery\"\n").unwrap_err();
    assert_eq!(e.problems()[0].path, "policy.adl.rule", "{e}");
    let e = with("[policy.halts]\nmove = 0.05\n").unwrap_err();
    assert_eq!(e.problems()[0].path, "policy.halts.move", "a TOML float is refused for a rate: {e}");
}

/// `src` as the policy file `name` of the scenario text `scenario` (the one loader,
/// [`scenario_with_policy`]).
fn load(scenario: &str, src: &str, name: &str) -> Result<Scenario, ScenarioError> {
    scenario_with_policy(scenario, "s.toml", src, name).map(|(s, _)| s)
}

#[test]
fn the_shipped_policy_files_load_onto_the_default_scenario() {
    let base = Scenario::builtin_default();
    for (name, src) in [
        (
            "circuit-breaker-5pct-5min",
            include_str!("../../../../../scenarios/policies/circuit-breaker-5pct-5min.toml"),
        ),
        ("price-band-2pct", include_str!("../../../../../scenarios/policies/price-band-2pct.toml")),
        ("liquidation-pacing", include_str!("../../../../../scenarios/policies/liquidation-pacing.toml")),
        ("adl-pro-rata", include_str!("../../../../../scenarios/policies/adl-pro-rata.toml")),
        ("adl-haircut", include_str!("../../../../../scenarios/policies/adl-haircut.toml")),
        ("fund-backstop", include_str!("../../../../../scenarios/policies/fund-backstop.toml")),
        ("leverage-cap-20x", include_str!("../../../../../scenarios/policies/leverage-cap-20x.toml")),
        ("vol-scaled-margin", include_str!("../../../../../scenarios/policies/vol-scaled-margin.toml")),
    ] {
        let s = load(DEFAULT_TOML, src, name).unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(s.policy, base.policy, "{name} sets nothing");
        assert_eq!(
            Scenario { policy: base.policy.clone(), ..s },
            base,
            "{name} changed more than the policy"
        );
    }
    let h = load(
        DEFAULT_TOML,
        include_str!("../../../../../scenarios/policies/circuit-breaker-5pct-5min.toml"),
        "cb",
    )
    .unwrap();
    let h = h.policy.halts.unwrap();
    assert_eq!(
        (h.move_, h.window_s, h.halt_s, h.reopen_band, h.reopen_s),
        (d("0.05"), 300, 300, d("0.02"), 60)
    );
    // Empty text is the baseline.
    assert_eq!(load(DEFAULT_TOML, "", "empty").unwrap(), base);
    // They load onto the full-scale scenario too (five venues, Hyperliquid among them: the
    // fund backstop, left to every venue, applies where it can).
    let oct = include_str!("../../../../../scenarios/oct-10-2025.toml");
    for src in [
        include_str!("../../../../../scenarios/policies/fund-backstop.toml"),
        include_str!("../../../../../scenarios/policies/adl-haircut.toml"),
        include_str!("../../../../../scenarios/policies/liquidation-pacing.toml"),
    ] {
        load(oct, src, "p").unwrap_or_else(|e| panic!("{e}"));
    }
}

/// A policy file's problems are located in the file (its own lines) under the file's own
/// paths (`halts.move`, not `policy.halts.move`).
#[test]
fn policy_file_problems_name_the_field_and_the_files_line() {
    let e = load(DEFAULT_TOML, "# a comment\n[halts]\nmove = \"2\"\n", "cb.toml").unwrap_err();
    let p = &e.problems()[0];
    assert_eq!(p.path, "halts.move");
    assert_eq!(p.location.map(|l| (l.line, l.column)), Some((3, 8)));
    assert!(e.to_string().starts_with("cb.toml: 1 problem(s)"), "{e}");
    let e = load(DEFAULT_TOML, "[adl]\nrule = \"haircut\"\nmystery = 1\n", "p.toml").unwrap_err();
    assert_eq!(e.problems()[0].path, "adl.mystery", "{e}");
    let e = load(DEFAULT_TOML, "[policy.adl]\nrule = \"haircut\"\n", "p.toml").unwrap_err();
    assert_eq!(e.problems()[0].path, "policy", "a file with [policy.…] tables is refused: {e}");
}

/// Levers are refused where they cannot act: a venue named in `venues` whose rule set puts no
/// insurance-fund takeover before ADL (the default scenario's `hyperliquid`), and, left to
/// every venue, a lever no venue of the scenario can use.
#[test]
fn levers_are_refused_where_they_cannot_act() {
    refused_at(
        "[policy.fund]\nvenues = [\"hyperliquid\"]\nbackstop_capital = \"10\"\nbackstop_when_below = \"5\"\n",
        "policy.fund.backstop_capital",
        "venue `hyperliquid` puts no insurance-fund takeover before ADL",
    );
    refused_at(
        "[policy.adl]\nvenues = [\"hyperliquid\"]\nfund_threshold = \"10\"\n",
        "policy.adl.fund_threshold",
        "liquidator vault",
    );
    // Left to every venue, binance can use both.
    assert!(with("[policy.fund]\nbackstop_capital = \"10\"\nbackstop_when_below = \"5\"\n").is_ok());
    assert!(with("[policy.adl]\nfund_threshold = \"10\"\n").is_ok());
    let drift_only = DEFAULT_TOML
        .replace("rules = \"binance\"", "rules = \"drift\"")
        .replace("rules = \"hyperliquid\"", "rules = \"drift\"");
    let e = Scenario::from_toml(&format!("{drift_only}\n[policy.adl]\nrule = \"pro_rata\"\n"), "s.toml");
    let e = e.err().unwrap_or_else(|| panic!("pro-rata ADL on drift venues only should be refused"));
    assert!(e.problems().iter().any(|p| p.path == "policy.adl" && p.message.contains("has no ADL")), "{e}");
}
