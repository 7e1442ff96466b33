//! One linkage run end to end: block, train (or load) the model, score, cluster, summarise.

use crate::block::{BlockPlan, Blocking, BlockingRule, RuleReport, default_rules};
use crate::cluster::{self, ScoredPair};
use crate::compare::CompareKind;
use crate::config::{ClusterMethod, LinkConfig};
use crate::dataset::{Dataset, FileReport, QualityCounts};
use crate::error::{LinkError, Result};
use crate::model::{self, Model, Scorer};
use crate::progress::Progress;
use rayon::prelude::*;
use serde::Serialize;
use std::time::Instant;

/// Dedupe within and across sources, or link across sources only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Dedupe,
    LinkOnly,
}

/// Cluster labels per record, with the probability of each record's strongest link.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Clusters {
    /// Cluster number per record (0..count, in order of first record).
    pub labels: Vec<u32>,
    /// Probability of the record's strongest link inside its cluster; `None` for singletons.
    pub strongest: Vec<Option<f32>>,
    pub count: usize,
}

/// Everything a run reports.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub mode: String,
    pub records: u64,
    pub sources: Vec<(String, u64)>,
    pub files: Vec<FileReport>,
    pub quality: QualityCounts,
    pub rules: Vec<RuleReport>,
    /// What adaptive blocking did: the pair budget, the pairs in full and after capping.
    pub blocking: BlockPlan,
    pub pairs_compared: u64,
    pub pairs_above_threshold: u64,
    pub threshold: f64,
    pub cluster_method: String,
    pub prior: f64,
    /// Estimated matching pairs among all pairs (from the model).
    pub estimated_matches: f64,
    /// Estimated share of matching pairs that blocking generated: the sum of match
    /// probabilities over compared pairs divided by the estimated matches.
    pub estimated_blocking_recall: f64,
    pub clusters: u64,
    /// (cluster size, how many clusters of that size), ascending; sizes over 20 grouped as 21.
    pub cluster_sizes: Vec<(u64, u64)>,
    pub largest_cluster: u64,
    /// Seconds per step.
    pub timings: Vec<(String, f64)>,
    /// Worker threads (rayon) the run could use.
    pub threads: usize,
    /// CPU seconds (user + system, all threads) the process had used at the end of the run,
    /// including reading; `None` where the system does not say (only Linux is read).
    pub cpu_seconds: Option<f64>,
    /// Things the analyst should know: the results may be unreliable, or the input was odd.
    pub warnings: Vec<String>,
}

/// The result of [`dedupe`] or [`link_only`].
#[derive(Debug, Clone)]
pub struct LinkResult {
    /// Pairs at or above the threshold, sorted by record.
    pub pairs: Vec<ScoredPair>,
    pub clusters: Clusters,
    pub model: Model,
    pub summary: Summary,
}

/// The blocking rules for a run: the config's, or the defaults for the fields present.
pub fn rules_for(ds: &Dataset, cfg: &LinkConfig) -> Result<Vec<BlockingRule>> {
    if cfg.blocking.is_empty() {
        Ok(default_rules(ds))
    } else {
        cfg.blocking
            .iter()
            .map(|r| BlockingRule::parse(r))
            .collect()
    }
}

/// Fewer possible pairs than this and the u probabilities rest on too few random pairs.
pub const MIN_TRAINING_PAIRS: f64 = 10_000.0;
/// Fewer candidate pairs than this and EM has too little to learn m from.
pub const MIN_TRAINING_CANDIDATES: u64 = 100;

/// Warnings about training a model on `ds` with `candidates` blocked pairs: too little data gives
/// a model that can miss obvious links (two identical records left apart) or make wrong ones.
pub fn training_warnings(ds: &Dataset, candidates: u64, link_only: bool) -> Vec<String> {
    let possible = model::total_pairs(ds, link_only);
    if possible < MIN_TRAINING_PAIRS || candidates < MIN_TRAINING_CANDIDATES {
        vec![format!(
            "the model was trained on only {} records ({} possible pairs, {} candidate pairs); that is too little data to estimate it (at least {} possible and {} candidate pairs are needed), so links may be missed, even between identical records, or made wrongly; train a model on a larger extract (`concordat link model --input … --out model.json`) and pass it with --model",
            ds.len(),
            possible as u64,
            candidates,
            MIN_TRAINING_PAIRS as u64,
            MIN_TRAINING_CANDIDATES
        )]
    } else {
        Vec::new()
    }
}

fn check_mode(ds: &Dataset, mode: Mode) -> Result<()> {
    if ds.len() < 2 {
        return Err(LinkError::Input("at least two records are needed".into()));
    }
    if mode == Mode::LinkOnly && ds.sources.len() < 2 {
        return Err(LinkError::Input(
            "linking needs at least two sources (several input files, or a source column)".into(),
        ));
    }
    Ok(())
}

/// Trains a model without scoring: u from random pairs, m by EM (or from the truth column when
/// `supervised`), prior estimated unless the config fixes it.
pub fn estimate_model(
    ds: &Dataset,
    cfg: &LinkConfig,
    mode: Mode,
    supervised: bool,
) -> Result<Model> {
    estimate_model_with_progress(ds, cfg, mode, supervised, &Progress::hidden())
}

pub(crate) fn estimate_model_with_progress(
    ds: &Dataset,
    cfg: &LinkConfig,
    mode: Mode,
    supervised: bool,
    progress: &Progress,
) -> Result<Model> {
    cfg.validate()?;
    check_mode(ds, mode)?;
    if supervised && ds.truth_labels().is_none() {
        return Err(LinkError::Input(
            "supervised training needs a truth column".into(),
        ));
    }
    let kinds = CompareKind::for_dataset(ds);
    let blocking = Blocking::build(
        ds,
        rules_for(ds, cfg)?,
        cfg.block_limits(ds.len()),
        mode == Mode::LinkOnly,
    )?;
    let bar = progress.bar("comparing", Some(blocking.total_rule_pairs()));
    let cands = model::compare_candidates(ds, &kinds, &blocking, &bar);
    bar.finish_and_clear();
    model::train(
        ds,
        cfg,
        &kinds,
        &blocking,
        &cands,
        mode == Mode::LinkOnly,
        supervised,
        progress,
    )
}

/// Deduplicates records within and across sources, training the model on the data.
pub fn dedupe(ds: &Dataset, cfg: &LinkConfig) -> Result<LinkResult> {
    run(ds, cfg, Mode::Dedupe, None, &Progress::hidden())
}

/// Links records across sources only (pairs within one source are never compared).
pub fn link_only(ds: &Dataset, cfg: &LinkConfig) -> Result<LinkResult> {
    run(ds, cfg, Mode::LinkOnly, None, &Progress::hidden())
}

/// A full run; with `model` given, it is used instead of training one.
pub fn run(
    ds: &Dataset,
    cfg: &LinkConfig,
    mode: Mode,
    model: Option<&Model>,
    progress: &Progress,
) -> Result<LinkResult> {
    cfg.validate()?;
    check_mode(ds, mode)?;
    let mut timings = Vec::new();
    let mut t = Instant::now();
    let mut lap = |name: &str, t: &mut Instant| {
        timings.push((name.to_owned(), t.elapsed().as_secs_f64()));
        *t = Instant::now();
    };
    let link_only = mode == Mode::LinkOnly;
    let blocking = Blocking::build(
        ds,
        rules_for(ds, cfg)?,
        cfg.block_limits(ds.len()),
        link_only,
    )?;
    lap("blocking", &mut t);
    let kinds = match model {
        Some(m) => m.kinds_for(ds)?,
        None => CompareKind::for_dataset(ds),
    };
    let bar = progress.bar("comparing", Some(blocking.total_rule_pairs()));
    let cands = model::compare_candidates(ds, &kinds, &blocking, &bar);
    bar.finish_and_clear();
    lap("comparing", &mut t);
    let warnings = if model.is_none() {
        training_warnings(ds, cands.iter().map(|c| c.len() as u64).sum(), link_only)
    } else {
        Vec::new()
    };
    let model = match model {
        Some(m) => m.clone(),
        None => model::train(
            ds, cfg, &kinds, &blocking, &cands, link_only, false, progress,
        )?,
    };
    lap("training", &mut t);
    let scorer = Scorer::new(ds, &model, &kinds);
    let threshold = cfg.threshold;
    let (mut pairs, compared, prob_sum, new_per_rule) = cands
        .par_iter()
        .map(|chunk| {
            let mut kept = Vec::new();
            let mut sum = 0f64;
            let mut per_rule = [0u64; 8];
            let mut links = [0u64; 8];
            for c in chunk {
                let w = scorer.weight_of(c.gamma(), c.a as usize);
                let p = model::probability(w);
                sum += p;
                let first = c.mask().trailing_zeros() as usize & 7;
                per_rule[first] += 1;
                if p >= threshold {
                    links[first] += 1;
                    kept.push(ScoredPair {
                        a: c.a,
                        b: c.b,
                        weight: w as f32,
                        probability: p as f32,
                    });
                }
            }
            (kept, chunk.len() as u64, sum, (per_rule, links))
        })
        .reduce(
            || (Vec::new(), 0u64, 0f64, ([0u64; 8], [0u64; 8])),
            |(mut k1, n1, s1, r1), (k2, n2, s2, r2)| {
                k1.extend(k2);
                let mut r = r1;
                for (x, y) in r.0.iter_mut().zip(r2.0) {
                    *x += y;
                }
                for (x, y) in r.1.iter_mut().zip(r2.1) {
                    *x += y;
                }
                (k1, n1 + n2, s1 + s2, r)
            },
        );
    drop(cands);
    pairs.sort_unstable_by_key(|p| (p.a, p.b));
    lap("scoring", &mut t);

    let n = ds.len();
    let method = cfg.cluster_for(false);
    let labels = match method {
        ClusterMethod::Connected => cluster::connected_components(n, &pairs, threshold),
        ClusterMethod::Strict => cluster::strict(n, &pairs, threshold, |a, b| {
            model::probability(scorer.score(a as usize, b as usize).1)
        }),
    };
    let clusters = finish_clusters(labels, &pairs);
    lap("clustering", &mut t);

    let mut rules = blocking.reports.clone();
    for (r, rep) in rules.iter_mut().enumerate() {
        rep.new_pairs = new_per_rule.0[r];
        rep.new_links = new_per_rule.1[r];
    }
    let total = model::total_pairs(ds, link_only);
    let estimated_matches = model.prior * total;
    let summary = Summary {
        mode: match mode {
            Mode::Dedupe => "dedupe".into(),
            Mode::LinkOnly => "link".into(),
        },
        records: n as u64,
        sources: source_counts(ds),
        files: ds.files.clone(),
        quality: ds.quality.clone(),
        rules,
        blocking: blocking.plan.clone(),
        pairs_compared: compared,
        pairs_above_threshold: pairs.len() as u64,
        threshold,
        cluster_method: format!("{method:?}").to_lowercase(),
        prior: model.prior,
        estimated_matches,
        estimated_blocking_recall: if estimated_matches > 0.0 {
            (prob_sum / estimated_matches).min(1.0)
        } else {
            1.0
        },
        clusters: clusters.count as u64,
        cluster_sizes: size_histogram(&clusters.labels),
        largest_cluster: largest(&clusters.labels),
        timings: Vec::new(),
        threads: rayon::current_num_threads(),
        cpu_seconds: crate::util::process_cpu_seconds(),
        warnings,
    };
    let mut result = LinkResult {
        pairs,
        clusters,
        model,
        summary,
    };
    result.summary.timings = timings;
    Ok(result)
}

pub(crate) fn source_counts(ds: &Dataset) -> Vec<(String, u64)> {
    let mut counts = vec![0u64; ds.sources.len()];
    for &s in &ds.records.source {
        counts[s as usize] += 1;
    }
    ds.sources.iter().cloned().zip(counts).collect()
}

/// Builds [`Clusters`] from labels, with each record's strongest link inside its cluster.
pub(crate) fn finish_clusters(labels: Vec<u32>, pairs: &[ScoredPair]) -> Clusters {
    let mut strongest: Vec<Option<f32>> = vec![None; labels.len()];
    for p in pairs {
        if labels[p.a as usize] == labels[p.b as usize] {
            for r in [p.a, p.b] {
                let s = &mut strongest[r as usize];
                if s.is_none_or(|v| p.probability > v) {
                    *s = Some(p.probability);
                }
            }
        }
    }
    let count = labels.iter().max().map_or(0, |m| *m as usize + 1);
    Clusters {
        labels,
        strongest,
        count,
    }
}

pub(crate) fn size_histogram(labels: &[u32]) -> Vec<(u64, u64)> {
    let k = labels.iter().max().map_or(0, |m| *m as usize + 1);
    let mut sizes = vec![0u64; k];
    for &l in labels {
        sizes[l as usize] += 1;
    }
    let mut hist = std::collections::BTreeMap::new();
    for s in sizes {
        *hist.entry(s.min(21)).or_insert(0u64) += 1;
    }
    hist.into_iter().collect()
}

fn largest(labels: &[u32]) -> u64 {
    let k = labels.iter().max().map_or(0, |m| *m as usize + 1);
    let mut sizes = vec![0u64; k];
    for &l in labels {
        sizes[l as usize] += 1;
    }
    sizes.into_iter().max().unwrap_or(0)
}
