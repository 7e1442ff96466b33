//! The one Concordat binary.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "concordat",
    version,
    about = "Concordat: software for local mental health crisis partnerships"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Record linkage: recognise the same person across agencies' records.
    #[command(subcommand)]
    Link(concordat_link::cli::LinkCommand),
    /// Statistics for partnerships: SPC, before/after, forecasts, rota, economics, surveys.
    #[command(subcommand)]
    Insight(concordat_insight::cli::InsightCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Link(cmd) => concordat_link::cli::run(cmd),
        Command::Insight(cmd) => concordat_insight::cli::run(cmd),
    }
}
