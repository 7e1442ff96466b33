//! `concordat link …` subcommands. The binary embeds [`LinkCommand`] and calls [`run`].

use crate::config::{ClusterMethod, LinkConfig};
use crate::dataset::Dataset;
use crate::error::{LinkError, Result};
use crate::model::Model;
use crate::output::{self, Names};
use crate::pipeline::{self, Mode};
use crate::privacy;
use crate::progress::Progress;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Options shared by `dedupe` and `link`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Input CSV file (repeat for several sources). Files with a `clk` column are encodings
    /// from `concordat link encode` and are linked by Dice similarity.
    #[arg(long = "input", required = true)]
    pub inputs: Vec<PathBuf>,
    /// Settings (TOML): columns, blocking rules, threshold, clustering.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Clusters CSV to write (record id → cluster id).
    #[arg(long)]
    pub out: PathBuf,
    /// Also write the pairs at or above the threshold to this CSV.
    #[arg(long)]
    pub pairs: Option<PathBuf>,
    /// Match probability (or Dice similarity for encodings) at or above which records link.
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Clustering method (default: strict for plain records, connected for encodings).
    #[arg(long, value_enum)]
    pub cluster: Option<ClusterMethod>,
    /// Use this model (JSON from `--save-model` or `concordat link model --out`) instead of training.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Save the trained model as JSON.
    #[arg(long)]
    pub save_model: Option<PathBuf>,
    /// Write the summary as JSON.
    #[arg(long)]
    pub summary: Option<PathBuf>,
}

/// `concordat link …`
#[derive(Debug, clap::Subcommand)]
pub enum LinkCommand {
    /// Deduplicate records within and across sources.
    Dedupe(RunArgs),
    /// Link records across sources only (records of one source are never paired).
    Link(RunArgs),
    /// Encode records as Bloom filters (CLKs) with a shared secret, for privacy-preserving linkage.
    Encode {
        /// File holding the shared secret: at least 32 random bytes.
        #[arg(long)]
        key_file: PathBuf,
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        config: Option<PathBuf>,
        /// Encodings CSV to write (record_id, source, clk, blocking keys).
        #[arg(long)]
        out: PathBuf,
    },
    /// Train or load a model, print its weights and optionally save it and draw them as SVG.
    Model {
        /// Load this model instead of training one.
        #[arg(long, conflicts_with = "inputs")]
        model: Option<PathBuf>,
        /// Train on these inputs.
        #[arg(long = "input")]
        inputs: Vec<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
        /// Train for linking across sources only.
        #[arg(long)]
        link_only: bool,
        /// Supervised training: m from blocked pairs whose values in this column agree.
        #[arg(long)]
        truth_column: Option<String>,
        /// Save the model as JSON.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Write a match-weights chart as SVG.
        #[arg(long)]
        svg: Option<PathBuf>,
    },
    /// Compare clusters with the truth: pairwise and cluster precision, recall, F1.
    Evaluate {
        /// Clusters CSV written by dedupe or link.
        #[arg(long)]
        clusters: PathBuf,
        /// CSV with record ids and the true person.
        #[arg(long)]
        truth: PathBuf,
        /// Column of the truth file holding the true person.
        #[arg(long)]
        truth_column: String,
        /// Column of the truth file holding record ids (default: detected).
        #[arg(long)]
        id_column: Option<String>,
        /// Write the evaluation as JSON.
        #[arg(long)]
        json: Option<PathBuf>,
    },
}

/// Runs a link subcommand, printing its own errors to stderr; the exit code is non-zero on failure.
pub fn run(cmd: LinkCommand) -> ExitCode {
    match dispatch(cmd) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn load_config(path: Option<&Path>) -> Result<LinkConfig> {
    match path {
        Some(p) => LinkConfig::from_file(p),
        None => Ok(LinkConfig::default()),
    }
}

fn dispatch(cmd: LinkCommand) -> Result<()> {
    match cmd {
        LinkCommand::Dedupe(args) => run_link(args, Mode::Dedupe),
        LinkCommand::Link(args) => run_link(args, Mode::LinkOnly),
        LinkCommand::Encode {
            key_file,
            input,
            config,
            out,
        } => {
            let cfg = load_config(config.as_deref())?;
            let secret = privacy::Secret::from_file(&key_file)?;
            let progress = Progress::stderr();
            let ds = Dataset::load_with_progress(std::slice::from_ref(&input), &cfg, &progress)?;
            let rows = privacy::encode(&ds, &secret, &cfg.encode);
            privacy::write_encoded(&out, &rows)?;
            eprintln!(
                "encoded {} records from {} into {} (1,024-bit Bloom filters; no names in the output)",
                rows.len(),
                input.display(),
                out.display()
            );
            Ok(())
        }
        LinkCommand::Model {
            model,
            inputs,
            config,
            link_only,
            truth_column,
            out,
            svg,
        } => {
            let m = match model {
                Some(p) => Model::load(&p)?,
                None => {
                    if inputs.is_empty() {
                        return Err(LinkError::Input(
                            "give --model FILE to load a model, or --input FILE to train one"
                                .into(),
                        ));
                    }
                    let mut cfg = load_config(config.as_deref())?;
                    if let Some(t) = &truth_column {
                        cfg.columns.truth = Some(t.clone());
                    }
                    let progress = Progress::stderr();
                    let ds = Dataset::load_with_progress(&inputs, &cfg, &progress)?;
                    let mode = if link_only {
                        Mode::LinkOnly
                    } else {
                        Mode::Dedupe
                    };
                    let m = pipeline::estimate_model_with_progress(
                        &ds,
                        &cfg,
                        mode,
                        truth_column.is_some(),
                        &progress,
                    )?;
                    for w in pipeline::training_warnings(&ds, u64::MAX, link_only) {
                        eprintln!("warning: {w}");
                    }
                    m
                }
            };
            print!("{}", m.table());
            if let Some(p) = out {
                m.save(&p)?;
                eprintln!("model saved to {}", p.display());
            }
            if let Some(p) = svg {
                std::fs::write(&p, m.svg()).map_err(|e| LinkError::io(&p, e))?;
                eprintln!("match weights chart written to {}", p.display());
            }
            Ok(())
        }
        LinkCommand::Evaluate {
            clusters,
            truth,
            truth_column,
            id_column,
            json,
        } => {
            let id_col = match id_column {
                Some(c) => c,
                None => detect_id_column(&truth)?,
            };
            let (e, missing) =
                crate::evaluate::evaluate_files(&clusters, &truth, &truth_column, &id_col)?;
            println!("records evaluated: {}", e.records);
            if missing > 0 {
                println!("records in the clusters file but not in the truth (left out): {missing}");
            }
            for (name, p) in [("pairwise", e.pairwise), ("cluster", e.cluster)] {
                println!(
                    "{name:<9} precision {:.4}  recall {:.4}  F1 {:.4}  (true positives {}, predicted {}, actual {})",
                    p.precision, p.recall, p.f1, p.true_positives, p.predicted, p.actual
                );
            }
            println!(
                "people with 5+ records: {}; found whole: {} ({:.1}%); found exactly: {}",
                e.people_5_plus,
                e.people_5_plus_whole,
                100.0 * e.people_5_plus_whole as f64 / e.people_5_plus.max(1) as f64,
                e.people_5_plus_exact
            );
            if let Some(p) = json {
                let text = serde_json::to_string_pretty(&e)
                    .map_err(|err| LinkError::Input(err.to_string()))?;
                std::fs::write(&p, text).map_err(|err| LinkError::io(&p, err))?;
            }
            Ok(())
        }
    }
}

fn detect_id_column(truth: &Path) -> Result<String> {
    let (_, header) = crate::dataset::open_csv(truth)?;
    for cand in ["record_id", "id", "rec_id", "recid", "recordid"] {
        if let Some(h) = header.iter().find(|h| h.eq_ignore_ascii_case(cand)) {
            return Ok(h.clone());
        }
    }
    Err(LinkError::Input(format!(
        "{}: no record id column found (looked for record_id, id, rec_id); name it with --id-column",
        truth.display()
    )))
}

fn run_link(args: RunArgs, mode: Mode) -> Result<()> {
    let mut cfg = load_config(args.config.as_deref())?;
    if let Some(t) = args.threshold {
        cfg.threshold = t;
        cfg.encode.threshold = t;
        if !(t > 0.0 && t < 1.0) {
            return Err(LinkError::Setting(format!(
                "--threshold must be strictly between 0 and 1; got {t}"
            )));
        }
    }
    if let Some(c) = args.cluster {
        cfg.cluster = Some(c);
    }
    cfg.validate()?;
    let progress = Progress::stderr();
    let encoded: Vec<bool> = args
        .inputs
        .iter()
        .map(|p| privacy::is_encoded(p))
        .collect::<Result<_>>()?;
    if encoded.iter().any(|&e| e) {
        if !encoded.iter().all(|&e| e) {
            return Err(LinkError::Input(
                "mix of encoded and plain inputs: encode every input with the same key".into(),
            ));
        }
        let set = privacy::load_encoded(&args.inputs)?;
        let result = privacy::link_encoded(&set, &cfg, mode, &progress)?;
        let names = Names {
            ids: &set.ids,
            source: &set.source,
            sources: &set.sources,
        };
        output::write_clusters(&args.out, &names, &result.clusters)?;
        if let Some(p) = &args.pairs {
            if result.per_field {
                output::write_pairs(
                    p,
                    &names,
                    &result.pairs,
                    "match_weight",
                    "match_probability",
                )?;
            } else {
                output::write_pairs(p, &names, &result.pairs, "dice", "dice_similarity")?;
            }
        }
        write_summary(args.summary.as_deref(), &result.summary)?;
        eprint!("{}", output::summary_text(&result.summary));
        return Ok(());
    }
    let t_read = std::time::Instant::now();
    let ds = Dataset::load_with_progress(&args.inputs, &cfg, &progress)?;
    let model = args.model.as_deref().map(Model::load).transpose()?;
    let read_s = t_read.elapsed().as_secs_f64();
    let t = std::time::Instant::now();
    let result = pipeline::run(&ds, &cfg, mode, model.as_ref(), &progress)?;
    let names = Names {
        ids: &ds.records.ids,
        source: &ds.records.source,
        sources: &ds.sources,
    };
    output::write_clusters(&args.out, &names, &result.clusters)?;
    if let Some(p) = &args.pairs {
        output::write_pairs(
            p,
            &names,
            &result.pairs,
            "match_weight",
            "match_probability",
        )?;
    }
    if let Some(p) = &args.save_model {
        result.model.save(p)?;
    }
    let mut summary = result.summary.clone();
    summary.timings.push((
        "writing".into(),
        t.elapsed().as_secs_f64() - summary.timings.iter().map(|x| x.1).sum::<f64>(),
    ));
    summary.timings.insert(0, ("reading".into(), read_s));
    summary.cpu_seconds = crate::util::process_cpu_seconds();
    write_summary(args.summary.as_deref(), &summary)?;
    eprint!("{}", output::summary_text(&summary));
    eprintln!("clusters written to {}", args.out.display());
    Ok(())
}

fn write_summary(path: Option<&Path>, s: &pipeline::Summary) -> Result<()> {
    if let Some(p) = path {
        let text = serde_json::to_string_pretty(s).map_err(|e| LinkError::Input(e.to_string()))?;
        std::fs::write(p, text).map_err(|e| LinkError::io(p, e))?;
    }
    Ok(())
}
