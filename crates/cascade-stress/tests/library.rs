//! The scenario library and the worked example: every library scenario reads and validates,
//! and the example portfolio fits the default ones (or is reported as not fitting, by field).

use std::path::PathBuf;

use cascade_stress::report::{StressOptions, load_scenario, read_portfolio, stress_one};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn every_library_scenario_reads() {
    for e in cascade_stress::LIBRARY {
        let (s, description) = load_scenario(e.name, &repo().join("scenarios"))
            .unwrap_or_else(|err| panic!("{}: {err}", e.name));
        assert!(!description.is_empty());
        assert!(s.validate().is_empty(), "{}", e.name);
        if e.name == "oct-10-reduced" {
            // run.scale 0.01: the 4,800,000 accounts of the file become 48,000 when it runs.
            assert_eq!(s.run.scale, 0.01, "the stated reduction");
            assert_eq!(s.at_run_scale().population.accounts, 48_000, "the stated reduction");
        }
    }
    let e = load_scenario("no-such", &repo().join("scenarios")).unwrap_err().to_string();
    assert!(e.contains("unknown scenario `no-such`") && e.contains("shock"), "{e}");
}

/// The worked example of the README: no solve (one run each), so the test stays short.
#[test]
fn the_example_portfolio_runs_through_the_default_library() {
    let p = read_portfolio(&repo().join("examples/stress/portfolio.toml")).unwrap();
    let opts = StressOptions { seed: 1, library_dir: repo().join("scenarios"), sample_s: 60, solve: false };
    for name in cascade_stress::default_names() {
        let (s, d) = load_scenario(&name, &opts.library_dir).unwrap();
        let r = stress_one(&p, &s, &name, d, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
        // Every default scenario lists the book's venues and symbols (the depeg one too:
        // binance and bybit with BTC and ETH, okx with BTC).
        assert_eq!(r.skipped, None, "{name}");
        assert_eq!(r.outcome.map(|o| o.accounts.len()), Some(2), "{name}");
    }
}

#[test]
fn a_bad_portfolio_is_named_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.toml");
    std::fs::write(&path, "[[accounts]]\nname = \"a\"\nvenue = \"binance\"\nwallet = \"1\"\nwalet = \"2\"\n")
        .unwrap();
    let e = read_portfolio(&path).unwrap_err().to_string();
    assert!(e.contains("p.toml:5:") && e.contains("unknown field `walet`"), "{e}");
}

/// Collateral in a portfolio account (`depeg`: binance accepts USDe at no haircut, priced off
/// its own USDE/USDT book at 1): 12,000 USDe and no USDT back a 0.5 BTC long at 10x (initial
/// margin 5,000), so the account's equity starts at 12,000 × 1; without the USDe the venue
/// refuses to open the position (0 < 5,000), and an asset the venue does not accept is named.
#[test]
fn collateral_backs_a_portfolio_account() {
    let (s, d) = load_scenario("depeg", &repo().join("scenarios")).unwrap();
    let opts = StressOptions { seed: 1, library_dir: repo().join("scenarios"), sample_s: 30, solve: false };
    let book = |collateral: &str| {
        cascade_sim::scenario::Portfolio::from_toml(
            &format!(
                "[[accounts]]\nname = \"c\"\nvenue = \"binance\"\nwallet = \"0\"\n{collateral}\n\
                 [[accounts.positions]]\nsymbol = \"BTCUSDT\"\nside = \"long\"\nsize = \"0.5\"\nleverage = 10\n"
            ),
            "c.toml",
        )
        .unwrap()
    };
    let r = stress_one(
        &book("[[accounts.collateral]]\nasset = \"USDe\"\namount = \"12000\"\n"),
        &s,
        "depeg",
        d.clone(),
        &opts,
    )
    .unwrap();
    let o = r.outcome.expect("ran");
    let e = o.accounts[0].equity_start;
    assert!(e > rust_decimal::Decimal::from(11_900) && e < rust_decimal::Decimal::from(12_100), "{e}");
    let r = stress_one(&book(""), &s, "depeg", d.clone(), &opts).unwrap();
    let why = r.skipped.expect("refused");
    assert!(why.contains("accounts[0].positions[0]") && why.contains("refused"), "{why}");
    let r = stress_one(
        &book("[[accounts.collateral]]\nasset = \"BTC\"\namount = \"1\"\n"),
        &s,
        "depeg",
        d,
        &opts,
    )
    .unwrap();
    let why = r.skipped.expect("refused");
    assert!(why.contains("accounts[0].collateral[0].asset") && why.contains("does not accept"), "{why}");
}
