//! `cascade`: the command-line front door. Thin: parse arguments, call the library, print.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod calc;
mod run;

/// Cascade: a laboratory for liquidation cascades in crypto derivatives markets.
#[derive(Parser)]
#[command(name = "cascade", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the built-in default scenario and print its summary (with the cascade amplification).
    Run(run::RunArgs),
    /// Margin calculator: liquidation and bankruptcy prices, margins and margin ratio of the
    /// positions in a JSON file (`-` for stdin).
    Calc(calc::CalcArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Calc(args) => calc::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
