//! `concordat link …` subcommands. The binary embeds [`LinkCommand`] and calls [`run`].

use std::process::ExitCode;

/// `concordat link …`
#[derive(Debug, clap::Subcommand)]
pub enum LinkCommand {
    /// Deduplicate records within and across sources.
    Dedupe,
}

/// Runs a link subcommand, printing its own errors to stderr; the exit code is non-zero on failure.
pub fn run(cmd: LinkCommand) -> ExitCode {
    match cmd {
        LinkCommand::Dedupe => {
            eprintln!("concordat link dedupe: not built yet");
            ExitCode::FAILURE
        }
    }
}
