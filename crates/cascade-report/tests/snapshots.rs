//! The data behind every chart and table, pinned with insta snapshots (committed under
//! `tests/snapshots/`): a change of numbers shows in review apart from a change of drawing.
//! `INSTA_UPDATE=always cargo test -p cascade-report --test snapshots` accepts new ones.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use cascade_report::charts::compare::{Labeled, figures as compare_figures};
use cascade_report::liqmap::{self, LiqMapOptions};
use cascade_report::view::RunView;
use cascade_report::{run_figures, tables};

#[test]
fn run_chart_data() {
    let rec = common::recording(40);
    for fig in run_figures(&rec, &Default::default()) {
        insta::assert_json_snapshot!(format!("run-{}", fig.id), fig);
    }
}

#[test]
fn run_summary_tables() {
    let rec = common::recording(40);
    insta::assert_yaml_snapshot!(
        "run-summary-tables",
        tables::summary_tables(
            &rec.summary,
            &cascade_report::charts::TimeAxis::for_duration(rec.summary.duration_ms),
            &Default::default()
        )
    );
}

#[test]
fn comparison_chart_data_and_table() {
    let (a, b) = (common::recording(40), common::recording(60));
    let runs = [
        Labeled { label: "A".into(), view: RunView::new(&a) },
        Labeled { label: "B".into(), view: RunView::new(&b) },
    ];
    for fig in compare_figures(&runs) {
        insta::assert_json_snapshot!(fig.id.clone(), fig);
    }
    let ctx = Default::default();
    let t = tables::comparison_table(&[("A".into(), &a.summary, &ctx), ("B".into(), &b.summary, &ctx)]);
    insta::assert_yaml_snapshot!("compare-table", t);
}

#[test]
fn liquidation_map_of_the_sample_positions() {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/liqmap/positions.csv");
    let opts = LiqMapOptions {
        prices: BTreeMap::from([
            ("BTC".into(), "100000".parse().unwrap()),
            ("ETH".into(), "3500".parse().unwrap()),
        ]),
        ..LiqMapOptions::default()
    };
    let maps = liqmap::build_from_file(&file, &opts).unwrap();
    assert_eq!(maps.iter().map(|m| m.coin.as_str()).collect::<Vec<_>>(), ["BTC", "ETH"]);
    let text: Vec<String> = maps.iter().map(|m| liqmap::summary_text(m, 5)).collect();
    insta::assert_snapshot!("liqmap-sample-clusters", text.join("\n"));
    for m in &maps {
        insta::assert_json_snapshot!(
            format!("liqmap-sample-{}", m.coin),
            cascade_report::charts::liqmap::figure(m)
        );
    }
}
