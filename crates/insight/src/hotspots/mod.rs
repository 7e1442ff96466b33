//! `concordat insight hotspots`: not built yet.

/// Arguments of `concordat insight hotspots`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the command; the exit code is non-zero on failure.
pub fn run(_args: Args) -> std::process::ExitCode {
    eprintln!("concordat insight hotspots: not built yet");
    std::process::ExitCode::FAILURE
}
