//! Clustering scored pairs into people.
//!
//! - [`connected_components`]: any chain of links at or above the threshold joins records.
//!   One wrong link merges two people, and in large data such links add up ("chaining").
//! - [`strict`]: connected components first, then every component of three or more records is
//!   re-clustered by average linkage over all pairs inside it (each pair scored with the model,
//!   whether or not blocking generated it). Two groups merge only while the average match
//!   probability between them is at least [`STRICT_AVERAGE`]: a single strong link between two
//!   groups whose other members disagree no longer merges them.

use crate::util::UnionFind;
use rayon::prelude::*;

/// A scored candidate pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoredPair {
    pub a: u32,
    pub b: u32,
    /// Match weight in bits (log2 odds).
    pub weight: f32,
    /// Match probability (or Dice similarity in the privacy-preserving mode).
    pub probability: f32,
}

/// Average probability between two groups needed for the strict method to merge them.
pub const STRICT_AVERAGE: f64 = 0.5;

/// Components larger than this are split by raising the threshold before average linkage,
/// which is cubic in the component size.
const MAX_AVERAGE_LINKAGE: usize = 300;

/// Cluster labels (0..k, in order of first record) from links at or above `threshold`.
pub fn connected_components(n: usize, pairs: &[ScoredPair], threshold: f64) -> Vec<u32> {
    let mut uf = UnionFind::new(n);
    for p in pairs {
        if f64::from(p.probability) >= threshold {
            uf.union(p.a, p.b);
        }
    }
    uf.labels()
}

fn components(n: usize, pairs: &[ScoredPair], threshold: f64) -> Vec<Vec<u32>> {
    let labels = connected_components(n, pairs, threshold);
    let k = labels.iter().max().map_or(0, |m| *m as usize + 1);
    let mut groups = vec![Vec::new(); k];
    for (i, &l) in labels.iter().enumerate() {
        groups[l as usize].push(i as u32);
    }
    groups
}

/// The strict method. `score(a, b)` gives the match probability of any two records.
pub fn strict<F>(n: usize, pairs: &[ScoredPair], threshold: f64, score: F) -> Vec<u32>
where
    F: Fn(u32, u32) -> f64 + Sync,
{
    strict_with(n, pairs, threshold, STRICT_AVERAGE, score)
}

/// The strict method with the average similarity required to merge groups given explicitly
/// (used with Dice similarities, whose scale differs from probabilities).
pub fn strict_with<F>(
    n: usize,
    pairs: &[ScoredPair],
    threshold: f64,
    min_average: f64,
    score: F,
) -> Vec<u32>
where
    F: Fn(u32, u32) -> f64 + Sync,
{
    let groups = components(n, pairs, threshold);
    // Edges per component, for splitting the oversized ones.
    let labels = connected_components(n, pairs, threshold);
    let mut big_edges: crate::util::FxMap<u32, Vec<ScoredPair>> = crate::util::FxMap::default();
    for p in pairs {
        let l = labels[p.a as usize];
        if groups[l as usize].len() > MAX_AVERAGE_LINKAGE && f64::from(p.probability) >= threshold {
            big_edges.entry(l).or_default().push(*p);
        }
    }
    let mut pieces: Vec<Vec<u32>> = Vec::new();
    for (l, g) in groups.into_iter().enumerate() {
        if g.len() > MAX_AVERAGE_LINKAGE {
            let edges = big_edges.remove(&(l as u32)).unwrap_or_default();
            split_large(g, &edges, threshold, &mut pieces);
        } else {
            pieces.push(g);
        }
    }
    // Links inside each piece, so that average linkage reuses the scores already computed and
    // skips pieces where every pair is linked (average linkage would keep them whole).
    let mut piece_of = vec![u32::MAX; n];
    for (i, g) in pieces.iter().enumerate() {
        for &r in g {
            piece_of[r as usize] = i as u32;
        }
    }
    let mut piece_edges: Vec<Vec<ScoredPair>> = vec![Vec::new(); pieces.len()];
    for p in pairs {
        let (pa, pb) = (piece_of[p.a as usize], piece_of[p.b as usize]);
        if pa == pb && pa != u32::MAX && pieces[pa as usize].len() >= 3 {
            piece_edges[pa as usize].push(*p);
        }
    }
    let clustered: Vec<Vec<Vec<u32>>> = pieces
        .into_par_iter()
        .zip(piece_edges)
        .map(|(g, edges)| {
            let k = g.len();
            let complete = edges
                .iter()
                .filter(|p| f64::from(p.probability) >= threshold)
                .count()
                == k * (k - 1) / 2;
            if !(3..=MAX_AVERAGE_LINKAGE * 4).contains(&k) || complete {
                vec![g]
            } else {
                average_linkage(&g, &edges, &score, min_average)
            }
        })
        .collect();
    let mut uf = UnionFind::new(n);
    for groups in clustered {
        for g in groups {
            for w in g.windows(2) {
                uf.union(w[0], w[1]);
            }
        }
    }
    uf.labels()
}

/// Splits a component by raising the threshold until every piece is small enough.
fn split_large(members: Vec<u32>, edges: &[ScoredPair], threshold: f64, out: &mut Vec<Vec<u32>>) {
    let mut t = threshold;
    let mut current = vec![(members, edges.to_vec())];
    while !current.is_empty() {
        t = 1.0 - (1.0 - t) / 10.0;
        let mut next = Vec::new();
        for (m, e) in current {
            let strongest = e
                .iter()
                .map(|p| f64::from(p.probability))
                .fold(0.0, f64::max);
            // Raising the threshold past the strongest link would shatter the piece into singletons.
            if m.len() <= MAX_AVERAGE_LINKAGE || t > strongest || t >= 1.0 - 1e-9 {
                out.push(m);
                continue;
            }
            let mut uf = UnionFind::new(m.len());
            let pos: crate::util::FxMap<u32, u32> =
                m.iter().enumerate().map(|(i, &r)| (r, i as u32)).collect();
            for p in &e {
                if f64::from(p.probability) >= t
                    && let (Some(&x), Some(&y)) = (pos.get(&p.a), pos.get(&p.b))
                {
                    uf.union(x, y);
                }
            }
            let labels = uf.labels();
            let k = labels.iter().max().map_or(0, |v| *v as usize + 1);
            let mut sub: Vec<(Vec<u32>, Vec<ScoredPair>)> = vec![(Vec::new(), Vec::new()); k];
            for (i, &l) in labels.iter().enumerate() {
                sub[l as usize].0.push(m[i]);
            }
            for p in e {
                if f64::from(p.probability) >= t
                    && let Some(&x) = pos.get(&p.a)
                {
                    sub[labels[x as usize] as usize].1.push(p);
                }
            }
            next.extend(sub);
        }
        current = next;
    }
}

/// Average-linkage agglomeration within one component.
fn average_linkage<F>(
    members: &[u32],
    edges: &[ScoredPair],
    score: &F,
    min_average: f64,
) -> Vec<Vec<u32>>
where
    F: Fn(u32, u32) -> f64,
{
    let n = members.len();
    // sum[i][j]: total probability between clusters i and j; NaN until known.
    let mut sum = vec![f64::NAN; n * n];
    let pos: crate::util::FxMap<u32, usize> =
        members.iter().enumerate().map(|(i, &r)| (r, i)).collect();
    for e in edges {
        if let (Some(&i), Some(&j)) = (pos.get(&e.a), pos.get(&e.b)) {
            sum[i * n + j] = f64::from(e.probability);
            sum[j * n + i] = f64::from(e.probability);
        }
    }
    for i in 0..n {
        for j in i + 1..n {
            if sum[i * n + j].is_nan() {
                let p = score(members[i], members[j]);
                sum[i * n + j] = p;
                sum[j * n + i] = p;
            }
        }
    }
    let mut size = vec![1usize; n];
    let mut alive = vec![true; n];
    let mut groups: Vec<Vec<u32>> = members.iter().map(|&m| vec![m]).collect();
    loop {
        let mut best = (f64::MIN, 0, 0);
        for i in 0..n {
            if !alive[i] {
                continue;
            }
            for j in i + 1..n {
                if !alive[j] {
                    continue;
                }
                let avg = sum[i * n + j] / (size[i] * size[j]) as f64;
                if avg > best.0 {
                    best = (avg, i, j);
                }
            }
        }
        let (avg, i, j) = best;
        if avg < min_average {
            break;
        }
        // Merge j into i.
        alive[j] = false;
        size[i] += size[j];
        let moved = std::mem::take(&mut groups[j]);
        groups[i].extend(moved);
        for k in 0..n {
            if alive[k] && k != i {
                let v = sum[i * n + k] + sum[j * n + k];
                sum[i * n + k] = v;
                sum[k * n + i] = v;
            }
        }
    }
    groups
        .into_iter()
        .zip(alive)
        .filter(|(g, a)| *a && !g.is_empty())
        .map(|(g, _)| g)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(a: u32, b: u32, prob: f32) -> ScoredPair {
        ScoredPair {
            a,
            b,
            weight: 0.0,
            probability: prob,
        }
    }

    #[test]
    fn strict_breaks_a_chain_that_connected_components_follows() {
        // 0-1-2 are one person, 3-4-5 another; one wrong link 2-3 joins them.
        let pairs = [
            p(0, 1, 0.99),
            p(1, 2, 0.99),
            p(0, 2, 0.99),
            p(3, 4, 0.99),
            p(4, 5, 0.99),
            p(3, 5, 0.99),
            p(2, 3, 0.95),
        ];
        let cc = connected_components(6, &pairs, 0.9);
        assert!(cc.iter().all(|&l| l == 0));
        let score = |a: u32, b: u32| {
            pairs
                .iter()
                .find(|q| (q.a, q.b) == (a.min(b), a.max(b)))
                .map_or(0.01, |q| f64::from(q.probability))
        };
        let st = strict(6, &pairs, 0.9, score);
        assert_eq!(st, vec![0, 0, 0, 1, 1, 1]);
    }

    #[test]
    fn split_large_keeps_strong_links() {
        let n = (MAX_AVERAGE_LINKAGE as u32 + 1) * 2;
        let mut pairs = Vec::new();
        for i in 1..n / 2 {
            pairs.push(p(i - 1, i, 0.9999));
        }
        for i in n / 2 + 1..n {
            pairs.push(p(i - 1, i, 0.9999));
        }
        pairs.push(p(0, n - 1, 0.95));
        let st = strict(n as usize, &pairs, 0.9, |_, _| 0.99);
        assert_eq!(st.iter().filter(|&&l| l == 0).count(), n as usize / 2);
    }
}
