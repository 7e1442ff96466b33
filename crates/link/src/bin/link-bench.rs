//! Runs the linkage engine through its library API on one benchmark input, times each stage,
//! writes the clusters CSV and prints one JSON line (stage timings, pairs, accuracy against the
//! truth column). Wall time and peak memory are measured outside, by `/usr/bin/time -v`, in
//! `scripts/link/splink_compare.sh`.
//!
//! `cargo run --release -p concordat-link --bin link-bench -- --input bench-data/synth-1m.csv --out /tmp/c.csv`

use clap::Parser;
use concordat_link::block::{BlockLimits, Blocking};
use concordat_link::output::{Names, write_clusters};
use concordat_link::pipeline::rules_for;
use concordat_link::{ClusterMethod, Dataset, LinkConfig, dedupe, evaluate, link_only};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Benchmark the linker on CSV inputs with a truth column.
#[derive(Debug, Parser)]
#[command(name = "link-bench")]
struct Args {
    /// Input CSV (repeat for several sources).
    #[arg(long = "input", required = true)]
    inputs: Vec<PathBuf>,
    /// Link across sources only instead of deduplicating.
    #[arg(long)]
    link_only: bool,
    /// Settings TOML; without it the engine's defaults and column detection are used.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Truth column (never used for linking).
    #[arg(long, default_value = "person_id")]
    truth: String,
    /// Extra text columns to compare (e.g. soc_sec_id for FEBRL with the identifier).
    #[arg(long = "extra")]
    extra: Vec<String>,
    /// Blocking rules replacing the defaults (repeat), e.g. "dob" or "postcode & first_initial".
    #[arg(long = "blocking")]
    blocking: Vec<String>,
    #[arg(long)]
    threshold: Option<f64>,
    #[arg(long, value_enum)]
    cluster: Option<ClusterMethod>,
    /// Clusters CSV to write (record_id, source, cluster_id, ...).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Pair budget per record for adaptive blocking (0: no budget, every block in full).
    #[arg(long)]
    pairs_per_record: Option<f64>,
    /// Also measure blocking recall against the truth: the share of true pairs among the
    /// candidate pairs, with the adaptive budget and with the full rule set (no budget).
    #[arg(long)]
    blocking_recall: bool,
    /// Only measure blocking recall (no linkage run), printing it as JSON.
    #[arg(long)]
    recall_only: bool,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("link-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let mut cfg = match &args.config {
        Some(p) => LinkConfig::from_file(p)?,
        None => LinkConfig::default(),
    };
    cfg.columns.truth = Some(args.truth.clone());
    cfg.columns.extra.extend(args.extra.iter().cloned());
    cfg.blocking.extend(args.blocking.iter().cloned());
    if let Some(t) = args.threshold {
        cfg.threshold = t;
    }
    if args.cluster.is_some() {
        cfg.cluster = args.cluster;
    }
    if let Some(p) = args.pairs_per_record {
        cfg.pairs_per_record = p;
    }

    let t = Instant::now();
    let ds = Dataset::load(&args.inputs, &cfg)?;
    let load_s = t.elapsed().as_secs_f64();

    if args.recall_only {
        let r = blocking_recall(&ds, &cfg, args.link_only)?;
        eprintln!("{}", serde_json::json!({ "blocking_recall": r }));
        return Ok(());
    }
    let result = if args.link_only {
        link_only(&ds, &cfg)?
    } else {
        dedupe(&ds, &cfg)?
    };

    let t = Instant::now();
    if let Some(out) = &args.out {
        let names = Names {
            ids: &ds.records.ids,
            source: &ds.records.source,
            sources: &ds.sources,
        };
        write_clusters(out, &names, &result.clusters)?;
    }
    let write_s = t.elapsed().as_secs_f64();

    let evaluation = ds.truth_labels().map(|truth| {
        let pred: Vec<u64> = result
            .clusters
            .labels
            .iter()
            .map(|&l| u64::from(l))
            .collect();
        evaluate(&pred, &truth)
    });
    let mut stages = serde_json::Map::new();
    stages.insert("load".into(), round(load_s).into());
    for (name, secs) in &result.summary.timings {
        stages.insert(name.clone(), round(*secs).into());
    }
    stages.insert("write".into(), round(write_s).into());
    stages.insert(
        "total".into(),
        round(started.elapsed().as_secs_f64()).into(),
    );
    let recall = if args.blocking_recall {
        Some(blocking_recall(&ds, &cfg, args.link_only)?)
    } else {
        None
    };
    let s = &result.summary;
    let line = serde_json::json!({
        "blocking_recall": recall,
        "blocking": s.blocking,
        "cpu_seconds": s.cpu_seconds,
        "threads": s.threads,
        "warnings": s.warnings,
        "tool": "concordat",
        "threshold": s.threshold,
        "cluster_method": s.cluster_method,
        "records": s.records,
        "rules": s.rules,
        "pairs_compared": s.pairs_compared,
        "pairs_above_threshold": s.pairs_above_threshold,
        "estimated_blocking_recall": s.estimated_blocking_recall,
        "prior": s.prior,
        "largest_cluster": s.largest_cluster,
        "quality": s.quality,
        "stages": stages,
        "evaluation": evaluation,
    });
    eprintln!("{line}");
    Ok(())
}

/// True pairs among the candidate pairs, with the config's budget and with none.
fn blocking_recall(
    ds: &Dataset,
    cfg: &LinkConfig,
    link_only: bool,
) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let truth = ds.truth_labels().ok_or("no truth column")?;
    let src = &ds.records.source;
    let mut by_person: std::collections::HashMap<u64, Vec<u16>> = Default::default();
    for (t, s) in truth.iter().zip(src) {
        by_person.entry(*t).or_default().push(*s);
    }
    let true_pairs: u64 = by_person
        .values()
        .map(|v| {
            let n = v.len() as u64;
            let all = n * n.saturating_sub(1) / 2;
            if link_only {
                let mut c: std::collections::HashMap<u16, u64> = Default::default();
                for s in v {
                    *c.entry(*s).or_default() += 1;
                }
                all - c.values().map(|k| k * k.saturating_sub(1) / 2).sum::<u64>()
            } else {
                all
            }
        })
        .sum();
    let mut out = serde_json::Map::new();
    out.insert("true_pairs".into(), true_pairs.into());
    for (name, limits) in [
        ("adaptive", cfg.block_limits(ds.len())),
        ("full", BlockLimits::unlimited(cfg.max_block_size)),
    ] {
        let b = Blocking::build(ds, rules_for(ds, cfg)?, limits, link_only)?;
        let (found, pairs) = b.fold_pairs(
            || (0u64, 0u64),
            |acc, a, c, _| {
                acc.1 += 1;
                if truth[a as usize] == truth[c as usize] {
                    acc.0 += 1;
                }
            },
            |x, y| (x.0 + y.0, x.1 + y.1),
        );
        out.insert(
            name.into(),
            serde_json::json!({
                "pairs": pairs,
                "true_pairs_found": found,
                "recall": found as f64 / true_pairs.max(1) as f64,
            }),
        );
    }
    Ok(out.into())
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
