//! `concordat insight …` subcommands. The binary embeds [`InsightCommand`] and calls [`run`].
//! Each variant's arguments and runner live in the module that does the work.

use std::process::ExitCode;

/// `concordat insight …`
#[derive(Debug, clap::Subcommand)]
pub enum InsightCommand {
    /// Statistical process control (XmR chart, Making Data Count rules).
    Spc(crate::spc::Args),
    /// Interrupted time series (before/after an intervention).
    Its(crate::its::Args),
    /// Where-and-when demand forecasts with rolling-origin backtests.
    Forecast(crate::forecast::Args),
    /// Hotspots on a grid: kernel density and ETAS.
    Hotspots(crate::hotspots::Args),
    /// Triage car shifts that cover the most forecast demand.
    Rota(crate::rota::Args),
    /// The economic case: costs avoided, by who bears them.
    Economics(crate::economics::Args),
    /// Likert survey summaries.
    Survey(crate::survey::Args),
}

/// Runs an insight subcommand, printing its own errors to stderr; the exit code is non-zero on failure.
pub fn run(cmd: InsightCommand) -> ExitCode {
    match cmd {
        InsightCommand::Spc(a) => crate::spc::run(a),
        InsightCommand::Its(a) => crate::its::run(a),
        InsightCommand::Forecast(a) => crate::forecast::run(a),
        InsightCommand::Hotspots(a) => crate::hotspots::run(a),
        InsightCommand::Rota(a) => crate::rota::run(a),
        InsightCommand::Economics(a) => crate::economics::run(a),
        InsightCommand::Survey(a) => crate::survey::run(a),
    }
}
