//! Privacy-preserving linkage with a Fellegi–Sunter model over per-field encodings.
//!
//! Besides the record-level CLK, the encoder writes one 256-bit Bloom filter per field
//! (forename, surname, date of birth, postcode, address; [`FIELD_COLUMNS`]), keyed with the same
//! secret under other labels. The linker compares each field separately: the Dice similarity of
//! the field's filters falls into a band (exact, ≥ 0.85, ≥ 0.7, ≥ 0.5, else; null when either
//! side is empty), and agreement of the keyed NHS-number and phone hashes is a comparison of its
//! own. These levels go into the same Fellegi–Sunter machinery as plaintext records: u from
//! random pairs, m by EM per blocking rule (leaving out the fields the rule fixes), and the
//! threshold is a match probability chosen by the model (`threshold`, 0.9 by default), not a
//! fixed Dice cut-off.

use crate::block::Blocking;
use crate::cluster::ScoredPair;
use crate::compare::{Gamma, level};
use crate::config::LinkConfig;
use crate::model::{self, M_FLOOR, em, initial_m};
use crate::util::FxMap;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

/// Bits in one field's filter.
pub const FIELD_BITS: usize = 256;
const FW: usize = FIELD_BITS / 64;

/// One field's Bloom filter.
pub type FieldBf = [u64; FW];

/// Candidate pairs with their comparison vectors (rule mask in the top byte), in chunks.
pub type Candidates = Vec<Vec<(u32, u32, u64)>>;

/// Per-field filter columns of an encoding file, in comparison order.
pub const FIELD_COLUMNS: [&str; 5] = [
    "bf_first_name",
    "bf_surname",
    "bf_dob",
    "bf_postcode",
    "bf_address",
];

/// Comparison names: the five fields, then the keyed NHS-number and phone hashes.
pub const COMPARISONS: [&str; 7] = [
    "first_name",
    "surname",
    "date_of_birth",
    "postcode",
    "address",
    "nhs_number",
    "phone",
];

/// Levels per comparison (without null): five Dice bands for fields, agree/disagree for hashes.
const LEVELS: [usize; 7] = [5, 5, 5, 5, 5, 2, 2];

/// Lower edges of the Dice bands after "exact" (levels 2, 3, 4); below the last is "else".
pub const DICE_BANDS: [f64; 3] = [0.85, 0.7, 0.5];

/// Which comparisons each encoded blocking key fixes (in [`crate::privacy::BLOCK_COLUMNS`]
/// order), so that EM on that rule's pairs does not learn them.
const DISTORTS: [&[usize]; 6] = [
    &[2],       // bk_dob
    &[1, 2],    // bk_surname_year
    &[0, 3, 4], // bk_postcode_initial
    &[0, 1],    // bk_names
    &[5],       // bk_nhs
    &[6],       // bk_phone
];

/// Per-record field filters; an all-zero filter is a missing field.
#[derive(Debug, Clone, Default)]
pub struct FieldSet {
    pub filters: Vec<[FieldBf; 5]>,
    pub popcount: Vec<[u16; 5]>,
}

impl FieldSet {
    pub fn push(&mut self, f: [FieldBf; 5]) {
        let pc = f.map(|b| b.iter().map(|w| w.count_ones() as u16).sum());
        self.filters.push(f);
        self.popcount.push(pc);
    }
}

fn field_dice(a: &FieldBf, b: &FieldBf, pa: u16, pb: u16) -> f64 {
    let common: u32 = a.iter().zip(b).map(|(x, y)| (x & y).count_ones()).sum();
    2.0 * f64::from(common) / f64::from(pa + pb)
}

fn band(d: f64) -> u8 {
    if d >= 0.999 {
        1
    } else if d >= DICE_BANDS[0] {
        2
    } else if d >= DICE_BANDS[1] {
        3
    } else if d >= DICE_BANDS[2] {
        4
    } else {
        5
    }
}

/// The comparison vector of records `a` and `b`, four bits per comparison.
pub fn gamma(fs: &FieldSet, keys: &[Vec<u64>], nhs_key: usize, a: usize, b: usize) -> Gamma {
    let mut g: Gamma = 0;
    for f in 0..5 {
        let (pa, pb) = (fs.popcount[a][f], fs.popcount[b][f]);
        if pa == 0 || pb == 0 {
            continue;
        }
        let l = band(field_dice(&fs.filters[a][f], &fs.filters[b][f], pa, pb));
        g |= Gamma::from(l) << (4 * f);
    }
    for (k, col) in [(5usize, nhs_key), (6, nhs_key + 1)] {
        let (x, y) = (keys[col][a], keys[col][b]);
        if x != 0 && y != 0 {
            g |= Gamma::from(if x == y { 1u8 } else { 2 }) << (4 * k);
        }
    }
    g
}

/// The fitted model over encodings.
#[derive(Debug, Clone, Serialize)]
pub struct EncodedModel {
    pub prior: f64,
    pub m: Vec<Vec<f64>>,
    pub u: Vec<Vec<f64>>,
    /// log2(m/u) per comparison and level (index 0 = null = 0).
    #[serde(skip)]
    table: Vec<[f64; 16]>,
    prior_log2: f64,
}

impl EncodedModel {
    pub fn weight(&self, g: Gamma) -> f64 {
        let mut w = self.prior_log2;
        for (k, t) in self.table.iter().enumerate() {
            w += t[level(g, k) as usize];
        }
        w
    }
}

/// Trains the model: u from random pairs, m by EM per blocking rule, the prior from the share of
/// matches among the candidate pairs. Returns the model and the candidates with their vectors.
pub fn train(
    fs: &FieldSet,
    keys: &[Vec<u64>],
    nhs_key: usize,
    source: &[u16],
    blocking: &Blocking,
    cfg: &LinkConfig,
    link_only: bool,
) -> (EncodedModel, Candidates) {
    let n = source.len();
    let total = if link_only {
        let mut counts: FxMap<u16, f64> = FxMap::default();
        for s in source {
            *counts.entry(*s).or_insert(0.0) += 1.0;
        }
        let all = n as f64 * (n as f64 - 1.0) / 2.0;
        all - counts.values().map(|c| c * (c - 1.0) / 2.0).sum::<f64>()
    } else {
        n as f64 * (n as f64 - 1.0) / 2.0
    };
    // u: random pairs, add-one smoothing.
    let samples = (cfg.u_samples as f64).min(total).max(1.0) as usize;
    let per = samples.div_ceil(64);
    let counts: Vec<[u64; 16]> = (0..64u64)
        .into_par_iter()
        .map(|t| {
            let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ (t.wrapping_mul(0x9e37_79b9)));
            let mut c = vec![[0u64; 16]; 7];
            let mut done = 0;
            let mut tries = 0;
            while done < per && tries < per * 20 {
                tries += 1;
                let a = rng.random_range(0..n);
                let b = rng.random_range(0..n);
                if a == b || (link_only && source[a] == source[b]) {
                    continue;
                }
                let g = gamma(fs, keys, nhs_key, a, b);
                for (k, ck) in c.iter_mut().enumerate() {
                    ck[level(g, k) as usize] += 1;
                }
                done += 1;
            }
            c
        })
        .reduce(
            || vec![[0u64; 16]; 7],
            |mut x, y| {
                for (a, b) in x.iter_mut().zip(y) {
                    for (p, q) in a.iter_mut().zip(b) {
                        *p += q;
                    }
                }
                x
            },
        );
    let u: Vec<Vec<f64>> = LEVELS
        .iter()
        .zip(&counts)
        .map(|(&nl, c)| {
            let s: u64 = c[1..=nl].iter().sum();
            (1..=nl)
                .map(|l| (c[l] as f64 + 1.0) / (s as f64 + nl as f64))
                .collect()
        })
        .collect();

    // Candidates with their vectors (the rule mask in the top byte, as for plaintext).
    let cands: Candidates = blocking.map_pairs(|a, b, mask| {
        (
            a,
            b,
            gamma(fs, keys, nhs_key, a as usize, b as usize) | (u64::from(mask) << 56),
        )
    });
    let mut hist: FxMap<(Gamma, u8), f64> = FxMap::default();
    for chunk in &cands {
        for &(_, _, g) in chunk {
            *hist
                .entry((g & ((1 << 56) - 1), (g >> 56) as u8))
                .or_insert(0.0) += 1.0;
        }
    }
    let m0: Vec<Vec<f64>> = LEVELS.iter().map(|&l| initial_m(l)).collect();
    let mut fits = Vec::new();
    for (r, distorts) in DISTORTS.iter().enumerate().take(blocking.rules.len()) {
        let skip: Vec<bool> = (0..7).map(|k| distorts.contains(&k)).collect();
        let mut collapsed: FxMap<Gamma, f64> = FxMap::default();
        for (&(g, mask), &c) in &hist {
            if mask & (1 << r) != 0 {
                *collapsed.entry(g).or_insert(0.0) += c;
            }
        }
        if collapsed.is_empty() {
            continue;
        }
        let patterns: Vec<(Gamma, f64)> = collapsed.into_iter().collect();
        let fit = em(
            &patterns,
            &LEVELS,
            &u,
            &m0,
            &skip,
            false,
            cfg.em_iterations.max(1),
        );
        fits.push((fit, skip));
    }
    let mut m = m0.clone();
    for k in 0..7 {
        let usable: Vec<&Vec<Vec<f64>>> = fits
            .iter()
            .filter(|(f, skip)| !skip[k] && f.lambda > 1e-6)
            .map(|(f, _)| &f.m)
            .collect();
        if usable.is_empty() {
            continue;
        }
        for l in 0..LEVELS[k] {
            m[k][l] =
                (usable.iter().map(|mm| mm[k][l]).sum::<f64>() / usable.len() as f64).max(M_FLOOR);
        }
    }
    // The share of matches among all candidates, with m and u fixed.
    let mut all: FxMap<Gamma, f64> = FxMap::default();
    for (&(g, _), &c) in &hist {
        *all.entry(g).or_insert(0.0) += c;
    }
    let patterns: Vec<(Gamma, f64)> = all.into_iter().collect();
    let candidates: f64 = patterns.iter().map(|p| p.1).sum();
    let fit = em(&patterns, &LEVELS, &u, &m, &[false; 7], true, 100);
    let prior = cfg
        .prior
        .unwrap_or(((fit.lambda * candidates) / total.max(1.0)).clamp(1e-12, 0.5));
    let table = m
        .iter()
        .zip(&u)
        .map(|(mk, uk)| {
            let mut t = [0f64; 16];
            for (l, (mv, uv)) in mk.iter().zip(uk).enumerate() {
                t[l + 1] = (mv / uv).log2();
            }
            t
        })
        .collect();
    let model = EncodedModel {
        prior,
        m,
        u,
        table,
        prior_log2: (prior / (1.0 - prior)).log2(),
    };
    (model, cands)
}

/// Scores the candidates, keeping pairs at or above the threshold. Also returns, per rule, the
/// pairs it adds and the links among them.
pub fn score(
    model: &EncodedModel,
    cands: &Candidates,
    threshold: f64,
) -> (Vec<ScoredPair>, u64, [u64; 16]) {
    cands
        .par_iter()
        .map(|chunk| {
            let mut kept = Vec::new();
            let mut per = [0u64; 16];
            for &(a, b, g) in chunk {
                let w = model.weight(g & ((1 << 56) - 1));
                let p = model::probability(w);
                let first = ((g >> 56) as u8).trailing_zeros() as usize & 7;
                per[first] += 1;
                if p >= threshold {
                    per[8 + first] += 1;
                    kept.push(ScoredPair {
                        a,
                        b,
                        weight: w as f32,
                        probability: p as f32,
                    });
                }
            }
            (kept, chunk.len() as u64, per)
        })
        .reduce(
            || (Vec::new(), 0, [0u64; 16]),
            |(mut k1, n1, mut p1), (k2, n2, p2)| {
                k1.extend(k2);
                for (x, y) in p1.iter_mut().zip(p2) {
                    *x += y;
                }
                (k1, n1 + n2, p1)
            },
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dice_bands() {
        assert_eq!(band(1.0), 1);
        assert_eq!(band(0.9), 2);
        assert_eq!(band(0.75), 3);
        assert_eq!(band(0.6), 4);
        assert_eq!(band(0.2), 5);
    }

    #[test]
    fn missing_fields_are_null_and_hashes_agree_or_not() {
        let mut fs = FieldSet::default();
        let one: FieldBf = [0b1011, 0, 0, 0];
        fs.push([one, one, [0; 4], one, one]);
        fs.push([one, [0b1, 0, 0, 0], one, one, one]);
        // keys: nhs at 0, phone at 1.
        let keys = vec![vec![5, 5], vec![7, 0]];
        let g = gamma(&fs, &keys, 0, 0, 1);
        assert_eq!(level(g, 0), 1);
        assert_eq!(level(g, 1), 4, "Dice 2·1/(3+1) = 0.5");
        assert_eq!(level(g, 2), 0, "missing date of birth is null");
        assert_eq!(level(g, 5), 1, "NHS hashes agree");
        assert_eq!(level(g, 6), 0, "one phone missing");
    }
}
