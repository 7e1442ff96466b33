//! Accuracy against a known truth: pairwise and cluster precision, recall and F1, and how many
//! people with five or more records were found whole.

use crate::dataset::{TextRows, csv_error};
use crate::error::{LinkError, Result};
use crate::util::FxMap;
use serde::Serialize;
use std::path::Path;

/// Precision, recall and F1 with the counts behind them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Prf {
    pub true_positives: u64,
    pub predicted: u64,
    pub actual: u64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl Prf {
    pub fn new(tp: u64, predicted: u64, actual: u64) -> Self {
        let precision = if predicted == 0 {
            1.0
        } else {
            tp as f64 / predicted as f64
        };
        let recall = if actual == 0 {
            1.0
        } else {
            tp as f64 / actual as f64
        };
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        Self {
            true_positives: tp,
            predicted,
            actual,
            precision,
            recall,
            f1,
        }
    }
}

/// The result of comparing clusters with the truth.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Evaluation {
    pub records: u64,
    /// Over pairs of records: a pair is predicted when both are in one cluster.
    pub pairwise: Prf,
    /// Over clusters: a cluster is right when it holds exactly one person's records.
    pub cluster: Prf,
    pub people: u64,
    pub people_5_plus: u64,
    /// People with 5+ records all in one cluster (which may also hold others' records).
    pub people_5_plus_whole: u64,
    /// People with 5+ records whose cluster is exactly their records.
    pub people_5_plus_exact: u64,
}

fn c2(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// Evaluates cluster labels against truth labels, aligned by record.
pub fn evaluate(predicted: &[u64], truth: &[u64]) -> Evaluation {
    let mut pred_size: FxMap<u64, u64> = FxMap::default();
    let mut truth_size: FxMap<u64, u64> = FxMap::default();
    let mut both: FxMap<(u64, u64), u64> = FxMap::default();
    for (&p, &t) in predicted.iter().zip(truth) {
        *pred_size.entry(p).or_insert(0) += 1;
        *truth_size.entry(t).or_insert(0) += 1;
        *both.entry((p, t)).or_insert(0) += 1;
    }
    let tp: u64 = both.values().map(|&n| c2(n)).sum();
    let pred_pairs: u64 = pred_size.values().map(|&n| c2(n)).sum();
    let true_pairs: u64 = truth_size.values().map(|&n| c2(n)).sum();
    let mut exact = 0u64;
    let mut whole5 = 0u64;
    let mut exact5 = 0u64;
    for (&(p, t), &n) in &both {
        let (ps, ts) = (pred_size[&p], truth_size[&t]);
        if n == ts {
            if n == ps {
                exact += 1;
            }
            if ts >= 5 {
                whole5 += 1;
                if n == ps {
                    exact5 += 1;
                }
            }
        }
    }
    Evaluation {
        records: predicted.len().min(truth.len()) as u64,
        pairwise: Prf::new(tp, pred_pairs, true_pairs),
        cluster: Prf::new(exact, pred_size.len() as u64, truth_size.len() as u64),
        people: truth_size.len() as u64,
        people_5_plus: truth_size.values().filter(|&&n| n >= 5).count() as u64,
        people_5_plus_whole: whole5,
        people_5_plus_exact: exact5,
    }
}

/// Pairwise precision, recall and F1 of a list of predicted pairs (no transitive closure).
pub fn evaluate_pairs(pairs: &[(u32, u32)], truth: &[u64]) -> Prf {
    let mut sizes: FxMap<u64, u64> = FxMap::default();
    for &t in truth {
        *sizes.entry(t).or_insert(0) += 1;
    }
    let actual: u64 = sizes.values().map(|&n| c2(n)).sum();
    let tp = pairs
        .iter()
        .filter(|(a, b)| {
            truth.get(*a as usize).is_some() && truth.get(*a as usize) == truth.get(*b as usize)
        })
        .count() as u64;
    Prf::new(tp, pairs.len() as u64, actual)
}

fn column(rows: &TextRows, path: &Path, name: &str) -> Result<usize> {
    rows.header()
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| LinkError::MissingColumn {
            file: path.to_path_buf(),
            field: "evaluation".into(),
            column: name.into(),
            header: rows.header().join(", "),
        })
}

/// Reads `id → label` from two columns of a CSV file.
fn read_labels(path: &Path, id_col: &str, label_col: &str) -> Result<Vec<(String, String)>> {
    let mut rows = TextRows::open(path)?;
    let (i, l) = (
        column(&rows, path, id_col)?,
        column(&rows, path, label_col)?,
    );
    let mut out = Vec::new();
    loop {
        let chunk = rows.chunk(65_536)?;
        if chunk.is_empty() {
            break;
        }
        for r in chunk {
            out.push((r.fields[i].trim().to_owned(), r.fields[l].trim().to_owned()));
        }
    }
    if out.is_empty() {
        return Err(LinkError::NoRecords(path.to_path_buf()));
    }
    Ok(out)
}

/// Evaluates a clusters CSV (`record_id`, `cluster_id`) against a truth CSV whose `id_column`
/// holds the record id and `truth_column` the true person. Records missing from the clusters
/// file count as singletons; records missing from the truth are left out (and counted).
pub fn evaluate_files(
    clusters: &Path,
    truth: &Path,
    truth_column: &str,
    id_column: &str,
) -> Result<(Evaluation, u64)> {
    let pred = read_labels(clusters, "record_id", "cluster_id")?;
    let truth_rows = read_labels(truth, id_column, truth_column)?;
    let mut label_ids: FxMap<String, u64> = FxMap::default();
    let mut intern = |s: &str| {
        let n = label_ids.len() as u64;
        *label_ids.entry(s.to_owned()).or_insert(n)
    };
    let mut truth_of: FxMap<String, u64> = FxMap::default();
    for (id, t) in &truth_rows {
        let v = if t.is_empty() {
            u64::MAX - truth_of.len() as u64
        } else {
            intern(&format!("t:{t}"))
        };
        truth_of.insert(id.clone(), v);
    }
    let mut p_labels = Vec::new();
    let mut t_labels = Vec::new();
    let mut seen: FxMap<&str, ()> = FxMap::default();
    let mut missing_truth = 0u64;
    for (id, c) in &pred {
        match truth_of.get(id) {
            Some(&t) => {
                p_labels.push(intern(&format!("c:{c}")));
                t_labels.push(t);
                seen.insert(id, ());
            }
            None => missing_truth += 1,
        }
    }
    for (id, t) in &truth_of {
        if !seen.contains_key(id.as_str()) {
            p_labels.push(intern(&format!("single:{id}")));
            t_labels.push(*t);
        }
    }
    let _ = csv_error;
    Ok((evaluate(&p_labels, &t_labels), missing_truth))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_and_cluster_scores() {
        // Truth: {0,1,2}, {3,4}, {5}. Predicted: {0,1}, {2,3,4}, {5}.
        let truth = [1, 1, 1, 2, 2, 3];
        let pred = [7, 7, 8, 8, 8, 9];
        let e = evaluate(&pred, &truth);
        // True pairs: 3 + 1 = 4. Predicted: 1 + 3 = 4. TP: (0,1), (3,4) = 2.
        assert_eq!(e.pairwise.true_positives, 2);
        assert!((e.pairwise.precision - 0.5).abs() < 1e-12);
        assert!((e.pairwise.recall - 0.5).abs() < 1e-12);
        // Exactly right clusters: {5} only.
        assert_eq!(e.cluster.true_positives, 1);
        assert_eq!(e.people, 3);
        assert_eq!(e.people_5_plus, 0);
    }

    #[test]
    fn people_with_five_records() {
        let truth = [1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2];
        let pred = [1, 1, 1, 1, 1, 1, 3, 3, 3, 3, 4];
        let e = evaluate(&pred, &truth);
        assert_eq!(e.people_5_plus, 2);
        assert_eq!(e.people_5_plus_whole, 1);
        assert_eq!(e.people_5_plus_exact, 0);
        let perfect = evaluate(&truth, &truth);
        assert!((perfect.pairwise.f1 - 1.0).abs() < 1e-12);
        assert!((perfect.cluster.f1 - 1.0).abs() < 1e-12);
        assert_eq!(perfect.people_5_plus_exact, 2);
    }

    #[test]
    fn pairs_without_closure() {
        let truth = [1, 1, 2, 2];
        let p = evaluate_pairs(&[(0, 1), (1, 2)], &truth);
        assert_eq!((p.true_positives, p.predicted, p.actual), (1, 2, 2));
    }
}
