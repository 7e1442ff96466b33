//! The `concordat link` commands as a standalone program, for measuring the engine without
//! building the whole server binary: `cargo run --release -p concordat-link --example link_cli -- dedupe …`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use clap::Parser;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "link_cli", about = "concordat link, standalone")]
struct Cli {
    #[command(subcommand)]
    cmd: concordat_link::cli::LinkCommand,
}

fn main() -> ExitCode {
    concordat_link::cli::run(Cli::parse().cmd)
}
