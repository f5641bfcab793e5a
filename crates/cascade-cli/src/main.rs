//! `cascade`: the command-line front door. Thin: parse arguments, call the library, print.

use clap::Parser;

/// Cascade: a laboratory for liquidation cascades in crypto derivatives markets.
#[derive(Parser)]
#[command(name = "cascade", version, about)]
struct Cli {}

fn main() {
    let _cli = Cli::parse();
}
