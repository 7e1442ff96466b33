//! Writes a deterministic synthetic agency extract for the linkage benchmarks.
//!
//! `cargo run --release -p concordat-link --bin link-synth -- --records 1000000 --seed 42 --out bench-data/synth-1m.csv`

use clap::Parser;
use concordat_link::synth::{SynthConfig, write_csv};
use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Generate synthetic police, ambulance, A&E and mental health trust records with a truth column.
#[derive(Debug, Parser)]
#[command(name = "link-synth")]
struct Args {
    /// Total number of records.
    #[arg(long, default_value_t = 100_000)]
    records: usize,
    /// Seed: the same seed and count always give the same file.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Output CSV path (its folder is created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Which generator: `synth` (the original) or `census` (the independent second generator:
    /// Zipf name frequencies, households, twins, OCR and phonetic errors, marriage).
    #[arg(long, default_value = "synth")]
    generator: String,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let started = Instant::now();
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty())
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        eprintln!("link-synth: cannot create {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    let file = match File::create(&args.out) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("link-synth: cannot create {}: {e}", args.out.display());
            return ExitCode::FAILURE;
        }
    };
    if args.generator == "census" {
        let config = concordat_link::synth_census::CensusConfig {
            records: args.records,
            seed: args.seed,
        };
        return match concordat_link::synth_census::write_csv(
            config,
            BufWriter::with_capacity(1 << 20, file),
        ) {
            Ok(s) => {
                eprintln!(
                    "link-synth: wrote {} census-style records for {} people in {} households ({} twin pairs, {} married name changes, {} with 5+ records) to {} in {:.1} s",
                    s.records,
                    s.people,
                    s.households,
                    s.twin_pairs,
                    s.married_name_changes,
                    s.people_with_5_plus,
                    args.out.display(),
                    started.elapsed().as_secs_f64()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("link-synth: writing {}: {e}", args.out.display());
                ExitCode::FAILURE
            }
        };
    } else if args.generator != "synth" {
        eprintln!(
            "link-synth: --generator must be synth or census; got {:?}",
            args.generator
        );
        return ExitCode::FAILURE;
    }
    let config = SynthConfig {
        records: args.records,
        seed: args.seed,
    };
    match write_csv(config, BufWriter::with_capacity(1 << 20, file)) {
        Ok(stats) => {
            eprintln!(
                "link-synth: wrote {} records for {} people ({} with 5+ records, largest {}; {} mistyped NHS numbers) to {} in {:.1} s",
                stats.records,
                stats.people,
                stats.people_with_5_plus,
                stats.max_records_per_person,
                stats.invalid_nhs_numbers,
                args.out.display(),
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("link-synth: writing {}: {e}", args.out.display());
            ExitCode::FAILURE
        }
    }
}
