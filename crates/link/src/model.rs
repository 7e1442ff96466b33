//! The Fellegi–Sunter model: for each comparison level, m = P(level | same person) and
//! u = P(level | different people); a pair's match weight is log2 of the prior odds plus
//! log2(m/u) summed over comparisons, with term-frequency adjustments for exact names and postcodes.
//!
//! Estimation (unsupervised, in the spirit of Splink):
//! - u from comparisons of random pairs (almost all random pairs are different people);
//! - m by EM over the blocked pairs, one run per blocking rule with u fixed, skipping the
//!   comparisons the rule distorts (pairs blocked on date of birth all agree on it, so they
//!   say nothing about how often a person's date of birth agrees); each comparison's m is the
//!   mean over the rules that could estimate it;
//! - the prior from each rule's estimated matches divided by that rule's estimated recall
//!   (the share of matches found by the other rules that this rule also generates).

use crate::block::Blocking;
use crate::compare::{CompareKind, Comparer, Gamma, level};
use crate::config::LinkConfig;
use crate::dataset::{Dataset, Sym};
use crate::error::{LinkError, Result};
use crate::util::FxMap;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::path::Path;

/// m and u for one level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelParams {
    pub label: String,
    pub m: f64,
    pub u: f64,
}

impl LevelParams {
    /// log2(m/u): the evidence this level gives for a match, in bits.
    pub fn weight(&self) -> f64 {
        (self.m / self.u).log2()
    }
}

/// Parameters of one comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonParams {
    pub name: String,
    pub kind: CompareKind,
    /// From best (exact) to worst ("else"); the null level has weight 0 and is not stored.
    pub levels: Vec<LevelParams>,
    pub term_frequency: bool,
    /// How many blocking rules' EM runs estimated m (0: m is the starting guess).
    pub m_estimates: u32,
}

/// A trained model, saved as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub format: String,
    /// Probability that two records drawn at random are the same person.
    pub prior: f64,
    pub comparisons: Vec<ComparisonParams>,
    /// How the model was trained.
    pub training: TrainingReport,
}

/// What training found, for the summary and the model file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingReport {
    pub method: String,
    pub random_pairs: u64,
    pub rules: Vec<RuleTraining>,
    /// Estimated number of matching pairs among all pairs.
    pub estimated_matches: f64,
    pub total_pairs: f64,
}

/// One EM run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleTraining {
    pub rule: String,
    pub pairs: u64,
    /// Share of this rule's pairs that EM estimates are matches.
    pub match_share: f64,
    /// Estimated share of all matches this rule generates.
    pub recall: f64,
    pub iterations: u32,
    pub skipped_comparisons: Vec<String>,
}

const FORMAT: &str = "concordat-link-model/1";

/// Smallest m EM may give a level: data errors happen even where the sample shows none (a
/// phone number changes, a sex is recorded wrongly), so no level may rule a match out entirely.
/// It caps the evidence against a match from one comparison at about -11 bits.
pub(crate) const M_FLOOR: f64 = 5e-4;

pub(crate) fn initial_m(n_levels: usize) -> Vec<f64> {
    // Most matches agree exactly; the rest spread over the lower levels, least on "else".
    let mut m = vec![0.0; n_levels];
    if n_levels == 1 {
        return vec![1.0];
    }
    m[0] = 0.85;
    let rest = 0.15 / (n_levels - 1) as f64;
    for v in m.iter_mut().skip(1) {
        *v = rest;
    }
    m
}

impl Model {
    /// Saves the model as pretty JSON.
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(|e| LinkError::Model {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        std::fs::write(path, text).map_err(|e| LinkError::io(path, e))
    }

    /// Loads a model saved by [`Model::save`], checking its probabilities.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| LinkError::io(path, e))?;
        let bad = |message: String| LinkError::Model {
            path: path.to_path_buf(),
            message,
        };
        let m: Model =
            serde_json::from_str(&text).map_err(|e| bad(format!("not a model file: {e}")))?;
        if m.format != FORMAT {
            return Err(bad(format!("unknown model format {:?}", m.format)));
        }
        if !(m.prior > 0.0 && m.prior < 1.0) {
            return Err(bad(format!(
                "prior must be between 0 and 1; got {}",
                m.prior
            )));
        }
        for c in &m.comparisons {
            if c.levels.len() != c.kind.labels().len() {
                return Err(bad(format!(
                    "comparison {} has {} levels; expected {}",
                    c.name,
                    c.levels.len(),
                    c.kind.labels().len()
                )));
            }
            for l in &c.levels {
                if !(l.m > 0.0 && l.m <= 1.0 && l.u > 0.0 && l.u <= 1.0) {
                    return Err(bad(format!(
                        "{} / {}: m and u must be in (0, 1]",
                        c.name, l.label
                    )));
                }
            }
        }
        Ok(m)
    }

    /// The comparison kinds, resolved against a dataset (extra columns matched by name).
    pub fn kinds_for(&self, ds: &Dataset) -> Result<Vec<CompareKind>> {
        self.comparisons
            .iter()
            .map(|c| match c.kind {
                CompareKind::Extra(_) => ds
                    .extra_names
                    .iter()
                    .position(|n| *n == c.name)
                    .map(CompareKind::Extra)
                    .ok_or_else(|| {
                        LinkError::Input(format!(
                            "the model compares column {:?}, which the input does not have",
                            c.name
                        ))
                    }),
                k => Ok(k),
            })
            .collect()
    }

    /// The weights as a readable table.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "prior (two random records match): {:.3e}  = {:+.2} bits\n",
            self.prior,
            (self.prior / (1.0 - self.prior)).log2()
        );
        let _ = writeln!(
            out,
            "{:<14} {:<28} {:>9} {:>10} {:>8}",
            "comparison", "level", "m", "u", "weight"
        );
        for c in &self.comparisons {
            for (i, l) in c.levels.iter().enumerate() {
                let name = if i == 0 { c.name.as_str() } else { "" };
                let _ = writeln!(
                    out,
                    "{:<14} {:<28} {:>9.4} {:>10.3e} {:>+8.2}",
                    name,
                    l.label,
                    l.m,
                    l.u,
                    l.weight()
                );
            }
            let mut notes = Vec::new();
            if c.term_frequency {
                notes.push("exact level adjusted by term frequency");
            }
            if c.m_estimates == 0 {
                notes.push("m not estimated (every blocking rule distorts it): starting guess");
            }
            if !notes.is_empty() {
                let _ = writeln!(out, "{:<14} ({})", "", notes.join("; "));
            }
        }
        out
    }

    /// A horizontal bar chart of the match weights, as a self-contained SVG.
    pub fn svg(&self) -> String {
        let rows: usize = self.comparisons.iter().map(|c| c.levels.len() + 1).sum();
        let (row_h, left, bar_w) = (18.0, 330.0, 240.0);
        let height = 60.0 + rows as f64 * row_h;
        let max_w = self
            .comparisons
            .iter()
            .flat_map(|c| c.levels.iter().map(|l| l.weight().abs()))
            .fold(1.0f64, f64::max)
            .ceil();
        let scale = bar_w / max_w;
        let zero = left + bar_w;
        let width = zero + bar_w + 60.0;
        let mut s = String::new();
        let _ = write!(
            s,
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="Arial, sans-serif" font-size="12" role="img" aria-labelledby="t"><title id="t">Match weights (log2 m/u) per comparison level</title><rect width="100%" height="100%" fill="#fff"/><text x="10" y="20" font-size="14" font-weight="bold">Match weights: log2(m/u), bits</text>"##
        );
        let _ = write!(
            s,
            r##"<line x1="{zero}" y1="30" x2="{zero}" y2="{}" stroke="#333"/>"##,
            height - 10.0
        );
        let mut y = 40.0;
        for c in &self.comparisons {
            let _ = write!(
                s,
                r##"<text x="10" y="{}" font-weight="bold">{}</text>"##,
                y + 12.0,
                xml_escape(&c.name)
            );
            y += row_h;
            for l in &c.levels {
                let w = l.weight();
                let len = (w.abs() * scale).max(0.5);
                let (x, colour) = if w >= 0.0 {
                    (zero, "#007f3b")
                } else {
                    (zero - len, "#d5281b")
                };
                let _ = write!(
                    s,
                    r##"<text x="24" y="{ty}">{label}</text><rect x="{x:.1}" y="{ry}" width="{len:.1}" height="{h}" fill="{colour}"/><text x="{tx:.1}" y="{ty}" text-anchor="{anchor}">{w:+.1}</text>"##,
                    ty = y + 12.0,
                    label = xml_escape(&l.label),
                    ry = y + 3.0,
                    h = row_h - 6.0,
                    tx = if w >= 0.0 {
                        zero + len + 4.0
                    } else {
                        zero - len - 4.0
                    },
                    anchor = if w >= 0.0 { "start" } else { "end" },
                );
                y += row_h;
            }
        }
        s.push_str("</svg>\n");
        s
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Number of pairs the run could compare in principle (within sources too, unless link-only).
pub fn total_pairs(ds: &Dataset, link_only: bool) -> f64 {
    let n = ds.len() as f64;
    let all = n * (n - 1.0) / 2.0;
    if !link_only {
        return all;
    }
    let mut counts = vec![0f64; ds.sources.len()];
    for &s in &ds.records.source {
        counts[s as usize] += 1.0;
    }
    all - counts.iter().map(|c| c * (c - 1.0) / 2.0).sum::<f64>()
}

/// Level counts of random pairs, per comparison (index 0 is "null").
fn random_level_counts(
    ds: &Dataset,
    kinds: &[CompareKind],
    samples: usize,
    link_only: bool,
    seed: u64,
) -> (Vec<[u64; 16]>, u64) {
    let n = ds.len();
    let chunks = 64usize;
    let per = samples.div_ceil(chunks);
    let src = &ds.records.source;
    let cmp = Comparer::new(ds, kinds);
    let results: Vec<(Vec<[u64; 16]>, u64)> = (0..chunks)
        .into_par_iter()
        .map(|c| {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(
                seed ^ (c as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15),
            );
            let mut counts = vec![[0u64; 16]; kinds.len()];
            let mut done = 0u64;
            let mut tries = 0usize;
            while (done as usize) < per && tries < per * 20 {
                tries += 1;
                let a = rng.random_range(0..n);
                let b = rng.random_range(0..n);
                if a == b || (link_only && src[a] == src[b]) {
                    continue;
                }
                let g = cmp.gamma(a, b);
                for (k, row) in counts.iter_mut().enumerate() {
                    row[level(g, k) as usize] += 1;
                }
                done += 1;
            }
            (counts, done)
        })
        .collect();
    let mut total = vec![[0u64; 16]; kinds.len()];
    let mut done = 0;
    for (c, d) in results {
        done += d;
        for (t, r) in total.iter_mut().zip(c) {
            for l in 0..16 {
                t[l] += r[l];
            }
        }
    }
    (total, done)
}

/// u per comparison per level (index 0 = best level), with add-one smoothing so that no level
/// has u = 0 (which would give an infinite weight).
fn u_from_counts(kinds: &[CompareKind], counts: &[[u64; 16]]) -> Vec<Vec<f64>> {
    kinds
        .iter()
        .zip(counts)
        .map(|(k, c)| {
            let n_levels = k.labels().len();
            let total: u64 = c[1..=n_levels].iter().sum();
            (1..=n_levels)
                .map(|l| (c[l] as f64 + 1.0) / (total as f64 + n_levels as f64))
                .collect()
        })
        .collect()
}

/// Histogram of (comparison vector, rule mask) over all blocked pairs.
pub(crate) type Histogram = FxMap<(Gamma, u8), u64>;

/// A candidate pair with its comparison vector; the top 8 bits of `g` hold the mask of the
/// blocking rules that generate it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub a: u32,
    pub b: u32,
    pub g: u64,
}

impl Candidate {
    #[inline]
    pub fn gamma(self) -> Gamma {
        self.g & ((1 << 56) - 1)
    }
    #[inline]
    pub fn mask(self) -> u8 {
        (self.g >> 56) as u8
    }
}

/// Compares every candidate pair once, in parallel. The vectors are kept so that training and
/// scoring do not compare the pairs again (16 bytes a pair).
pub fn compare_candidates(
    ds: &Dataset,
    kinds: &[CompareKind],
    blocking: &Blocking,
    bar: &indicatif::ProgressBar,
) -> Vec<Vec<Candidate>> {
    let cmp = Comparer::new(ds, kinds);
    let done = std::sync::atomic::AtomicU64::new(0);
    blocking.map_pairs(|a, b, mask| {
        if done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 65_536 == 65_535 {
            bar.inc(65_536);
        }
        Candidate {
            a,
            b,
            g: cmp.gamma(a as usize, b as usize) | (u64::from(mask) << 56),
        }
    })
}

pub(crate) fn blocked_histogram(cands: &[Vec<Candidate>]) -> Histogram {
    cands
        .par_iter()
        .map(|chunk| {
            let mut h = Histogram::default();
            for c in chunk {
                *h.entry((c.gamma(), c.mask())).or_insert(0) += 1;
            }
            h
        })
        .reduce(Histogram::default, |x, y| {
            let (mut big, small) = if x.len() >= y.len() { (x, y) } else { (y, x) };
            for (k, v) in small {
                *big.entry(k).or_insert(0) += v;
            }
            big
        })
}

/// Result of EM on one rule's pairs.
pub(crate) struct EmFit {
    pub(crate) lambda: f64,
    pub(crate) m: Vec<Vec<f64>>,
    pub(crate) iterations: u32,
}

/// EM over a histogram of comparison vectors with u fixed. Comparisons with `skip[k]` set are
/// ignored (treated as null); when `fix_m` is set only lambda is estimated.
pub(crate) fn em(
    patterns: &[(Gamma, f64)],
    n_levels: &[usize],
    u: &[Vec<f64>],
    m0: &[Vec<f64>],
    skip: &[bool],
    fix_m: bool,
    iterations: usize,
) -> EmFit {
    let mut m = m0.to_vec();
    let mut lambda = 0.1;
    let mut it = 0;
    for _ in 0..iterations {
        it += 1;
        let mut m_acc: Vec<Vec<f64>> = n_levels.iter().map(|&n| vec![0.0; n]).collect();
        let mut match_total = 0.0;
        let mut total = 0.0;
        let table = log_ratios(&m, u, skip);
        for &(g, c) in patterns {
            let p = posterior_t(g, lambda, &table);
            match_total += c * p;
            total += c;
            for k in 0..n_levels.len() {
                let l = level(g, k);
                if l > 0 && !skip[k] {
                    m_acc[k][l as usize - 1] += c * p;
                }
            }
        }
        let new_lambda = (match_total / total.max(1.0)).clamp(1e-9, 1.0 - 1e-9);
        let mut change = (new_lambda - lambda).abs();
        lambda = new_lambda;
        if !fix_m {
            for k in 0..n_levels.len() {
                if skip[k] {
                    continue;
                }
                let s: f64 = m_acc[k].iter().sum();
                if s <= 0.0 {
                    continue;
                }
                for (l, v) in m_acc[k].iter().enumerate() {
                    // A floor keeps every level possible for matches: a typo is never impossible.
                    let nv = (v / s).max(M_FLOOR);
                    change = change.max((nv - m[k][l]).abs());
                    m[k][l] = nv;
                }
                let s2: f64 = m[k].iter().sum();
                for v in &mut m[k] {
                    *v /= s2;
                }
            }
        }
        if change < 1e-6 {
            break;
        }
    }
    EmFit {
        lambda,
        m,
        iterations: it,
    }
}

/// ln(m/u) per comparison and level (index 0 = null = 0; skipped comparisons all 0), so that
/// each pattern's posterior is a sum of table lookups rather than of logarithms.
fn log_ratios(m: &[Vec<f64>], u: &[Vec<f64>], skip: &[bool]) -> Vec<[f64; 16]> {
    m.iter()
        .zip(u)
        .zip(skip)
        .map(|((mk, uk), &sk)| {
            let mut t = [0f64; 16];
            if !sk {
                for (l, (mv, uv)) in mk.iter().zip(uk).enumerate().take(15) {
                    t[l + 1] = (mv / uv).ln();
                }
            }
            t
        })
        .collect()
}

#[inline]
fn posterior_t(g: Gamma, lambda: f64, table: &[[f64; 16]]) -> f64 {
    let mut log_odds = (lambda / (1.0 - lambda)).ln();
    for (k, t) in table.iter().enumerate() {
        log_odds += t[level(g, k) as usize];
    }
    1.0 / (1.0 + (-log_odds).exp())
}

/// Labelled matches used for supervised m: levels counted over blocked pairs whose truth
/// labels agree.
fn m_from_truth(kinds: &[CompareKind], cands: &[Vec<Candidate>], truth: &[Sym]) -> Vec<Vec<f64>> {
    let mut counts = vec![[0u64; 16]; kinds.len()];
    for c in cands.iter().flatten() {
        let (ta, tb) = (truth[c.a as usize], truth[c.b as usize]);
        if ta != 0 && ta == tb {
            for (k, row) in counts.iter_mut().enumerate() {
                row[level(c.g, k) as usize] += 1;
            }
        }
    }
    // The same smoothing as u: labelled data rarely shows every typo.
    u_from_counts(kinds, &counts)
}

/// Trains a model on a dataset: u from random pairs, m by EM per blocking rule (or from the
/// truth column when `supervised`), prior from the rules' estimated matches and recall.
// The inputs are distinct things the caller already holds; a struct would only rename them.
#[allow(clippy::too_many_arguments)]
pub(crate) fn train(
    ds: &Dataset,
    cfg: &LinkConfig,
    kinds: &[CompareKind],
    blocking: &Blocking,
    cands: &[Vec<Candidate>],
    link_only: bool,
    supervised: bool,
    progress: &crate::progress::Progress,
) -> Result<Model> {
    let bar = progress.bar("u sampling", None);
    let samples = (cfg.u_samples as f64)
        .min(total_pairs(ds, link_only))
        .max(1.0) as usize;
    let (counts, done) = random_level_counts(ds, kinds, samples, link_only, cfg.seed);
    bar.finish_and_clear();
    if done == 0 {
        return Err(LinkError::Input(
            "not enough records to sample pairs from".into(),
        ));
    }
    let u = u_from_counts(kinds, &counts);
    let hist = blocked_histogram(cands);

    let m_sup = if supervised {
        Some(m_from_truth(kinds, cands, &ds.records.truth))
    } else {
        None
    };
    let m0: Vec<Vec<f64>> = match &m_sup {
        Some(m) => m.clone(),
        None => kinds.iter().map(|k| initial_m(k.labels().len())).collect(),
    };

    let n_rules = blocking.rules.len();
    let n_levels: Vec<usize> = kinds.iter().map(|k| k.labels().len()).collect();
    let mut fits = Vec::new();
    let mut reports = Vec::new();
    for (r, rule) in blocking.rules.iter().enumerate() {
        let skip: Vec<bool> = kinds
            .iter()
            .map(|&k| rule.distorts(k, &ds.extra_names))
            .collect();
        let mut collapsed: FxMap<Gamma, f64> = FxMap::default();
        let mut pairs = 0u64;
        for (&(g, mask), &c) in &hist {
            if mask & (1 << r) != 0 {
                *collapsed.entry(g).or_insert(0.0) += c as f64;
                pairs += c;
            }
        }
        let patterns: Vec<(Gamma, f64)> = collapsed.into_iter().collect();
        let fit = em(
            &patterns,
            &n_levels,
            &u,
            &m0,
            &skip,
            supervised,
            cfg.em_iterations.max(1),
        );
        reports.push(RuleTraining {
            rule: rule.text.clone(),
            pairs,
            match_share: fit.lambda,
            recall: 0.0,
            iterations: fit.iterations,
            skipped_comparisons: kinds
                .iter()
                .zip(&skip)
                .filter(|(_, s)| **s)
                .map(|(k, _)| k.name(&ds.extra_names))
                .collect(),
        });
        fits.push((fit, skip));
    }

    // m: mean over the rules that could estimate each comparison.
    let mut m = m0.clone();
    let mut m_estimates = vec![0u32; kinds.len()];
    if !supervised {
        for k in 0..kinds.len() {
            let usable: Vec<&EmFit> = fits
                .iter()
                .filter(|(f, skip)| !skip[k] && f.lambda > 1e-6)
                .map(|(f, _)| f)
                .collect();
            if usable.is_empty() {
                continue;
            }
            m_estimates[k] = usable.len() as u32;
            for l in 0..m[k].len() {
                m[k][l] = usable.iter().map(|f| f.m[k][l]).sum::<f64>() / usable.len() as f64;
            }
        }
    } else {
        m_estimates.iter_mut().for_each(|e| *e = 1);
    }

    // Recall of each rule: among pairs that other rules' models call matches, the share this rule
    // also generates. In supervised mode the truth says which pairs match.
    let total = total_pairs(ds, link_only);
    let mut estimates = Vec::new();
    // Expected matches per rule s, split by which other rules also generate them:
    // by_mask[s][r] = matches among s's pairs that rule r generates too.
    let mut den_s = vec![0f64; n_rules];
    let mut by_mask = vec![vec![0f64; n_rules]; n_rules];
    for (s, (fit, skip)) in fits.iter().enumerate() {
        let table = log_ratios(&m, &u, skip);
        for (&(g, mask), &c) in &hist {
            if mask & (1 << s) == 0 {
                continue;
            }
            let p = posterior_t(g, fit.lambda, &table) * c as f64;
            den_s[s] += p;
            for (r, v) in by_mask[s].iter_mut().enumerate() {
                if mask & (1 << r) != 0 {
                    *v += p;
                }
            }
        }
    }
    for r in 0..n_rules {
        let mut num = 0.0;
        let mut den = 0.0;
        for s in 0..n_rules {
            if s != r {
                num += by_mask[s][r];
                den += den_s[s];
            }
        }
        let recall = if den > 0.0 {
            (num / den).clamp(0.01, 1.0)
        } else {
            1.0
        };
        reports[r].recall = recall;
        let matches = fits[r].0.lambda * reports[r].pairs as f64 / recall;
        if reports[r].pairs > 0 {
            estimates.push(matches);
        }
    }
    estimates.sort_by(f64::total_cmp);
    let estimated_matches = if estimates.is_empty() {
        0.0
    } else {
        estimates[estimates.len() / 2]
    };
    let prior = match cfg.prior {
        Some(p) => p,
        None => (estimated_matches / total.max(1.0)).clamp(1e-12, 0.5),
    };

    let comparisons = kinds
        .iter()
        .enumerate()
        .map(|(k, kind)| ComparisonParams {
            name: kind.name(&ds.extra_names),
            kind: *kind,
            levels: kind
                .labels()
                .iter()
                .enumerate()
                .map(|(l, label)| LevelParams {
                    label: (*label).to_owned(),
                    m: m[k][l].clamp(1e-6, 1.0),
                    u: u[k][l].clamp(1e-12, 1.0),
                })
                .collect(),
            term_frequency: cfg.term_frequency && kind.term_frequency(),
            m_estimates: m_estimates[k],
        })
        .collect();
    Ok(Model {
        format: FORMAT.into(),
        prior,
        comparisons,
        training: TrainingReport {
            method: if supervised {
                "m from pairs whose truth labels agree; u from random pairs; prior by EM per blocking rule".into()
            } else {
                "unsupervised: u from random pairs; m by EM per blocking rule; prior from rule recall".into()
            },
            random_pairs: done,
            rules: reports,
            estimated_matches,
            total_pairs: total,
        },
    })
}

/// Scores pairs with a model: match weight in bits and match probability.
pub struct Scorer<'a> {
    cmp: Comparer<'a>,
    weights: Vec<[f32; 16]>,
    base: f64,
    /// Per term-frequency comparison index: adjustment (bits) per record for exact agreement.
    tf: Vec<Option<Vec<f32>>>,
}

impl<'a> Scorer<'a> {
    /// Prepares a scorer; `kinds` must come from [`Model::kinds_for`] on the same dataset.
    pub fn new(ds: &'a Dataset, model: &Model, kinds: &[CompareKind]) -> Self {
        let weights = model
            .comparisons
            .iter()
            .map(|c| {
                let mut w = [0f32; 16];
                for (l, p) in c.levels.iter().enumerate() {
                    w[l + 1] = p.weight() as f32;
                }
                w
            })
            .collect();
        let tf = model
            .comparisons
            .iter()
            .zip(kinds)
            .map(|(c, kind)| {
                if !c.term_frequency {
                    return None;
                }
                let col: &[Sym] = match kind {
                    CompareKind::FirstName => &ds.records.first,
                    CompareKind::Surname => &ds.records.surname,
                    CompareKind::Postcode => &ds.records.postcode,
                    _ => return None,
                };
                Some(tf_adjustments(col, c.levels[0].u))
            })
            .collect();
        Self {
            cmp: Comparer::new(ds, kinds),
            weights,
            base: (model.prior / (1.0 - model.prior)).log2(),
            tf,
        }
    }

    /// Comparison vector and match weight (bits) of a pair.
    #[inline]
    pub fn score(&self, a: usize, b: usize) -> (Gamma, f64) {
        let g = self.cmp.gamma(a, b);
        (g, self.weight_of(g, a))
    }

    /// Match weight of a known comparison vector; `a` is the record whose value frequency is used.
    #[inline]
    pub fn weight_of(&self, g: Gamma, a: usize) -> f64 {
        let mut w = self.base as f32;
        for (k, ws) in self.weights.iter().enumerate() {
            let l = level(g, k) as usize;
            w += ws[l];
            if l == 1
                && let Some(tf) = &self.tf[k]
            {
                w += tf[a];
            }
        }
        f64::from(w)
    }
}

/// Probability from a match weight in bits.
pub fn probability(weight: f64) -> f64 {
    1.0 / (1.0 + (-weight).exp2())
}

/// Per record: log2(u_exact / frequency of the record's value), so that agreeing on a rare name
/// counts for more than agreeing on a common one (Splink's term-frequency adjustment).
fn tf_adjustments(col: &[Sym], u_exact: f64) -> Vec<f32> {
    let mut counts: FxMap<Sym, u32> = FxMap::default();
    let mut non_null = 0u64;
    for &v in col {
        if v != 0 {
            *counts.entry(v).or_insert(0) += 1;
            non_null += 1;
        }
    }
    let n = non_null.max(1) as f64;
    col.iter()
        .map(|v| match counts.get(v) {
            // A value seen once has frequency 1/n: bounded, so never an infinite weight.
            Some(&c) => ((u_exact / (f64::from(c) / n)).log2()).clamp(-12.0, 12.0) as f32,
            None => 0.0,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn em_recovers_a_two_class_mixture() {
        // Two comparisons, two levels each (exact=1, else=2). 10% matches with m = (0.9, 0.1),
        // non-matches with u = (0.05, 0.95).
        let kinds = [CompareKind::Sex, CompareKind::NhsNumber];
        let u = vec![vec![0.05, 0.95], vec![0.05, 0.95]];
        let (lambda, m1) = (0.1, 0.9);
        let mut patterns = Vec::new();
        for l1 in 1..=2u64 {
            for l2 in 1..=2u64 {
                let pm = |l: u64| if l == 1 { m1 } else { 1.0 - m1 };
                let pu = |l: u64| if l == 1 { 0.05 } else { 0.95 };
                let c = 1e6 * (lambda * pm(l1) * pm(l2) + (1.0 - lambda) * pu(l1) * pu(l2));
                patterns.push((l1 | (l2 << 4), c));
            }
        }
        let m0 = vec![vec![0.6, 0.4], vec![0.6, 0.4]];
        let n_levels: Vec<usize> = kinds.iter().map(|k| k.labels().len()).collect();
        let fit = em(&patterns, &n_levels, &u, &m0, &[false, false], false, 500);
        assert!((fit.lambda - 0.1).abs() < 0.01, "{}", fit.lambda);
        assert!((fit.m[0][0] - 0.9).abs() < 0.02, "{:?}", fit.m);
    }

    #[test]
    fn probability_of_weight() {
        assert!((probability(0.0) - 0.5).abs() < 1e-12);
        assert!((probability(10.0) - 1024.0 / 1025.0).abs() < 1e-12);
    }
}
