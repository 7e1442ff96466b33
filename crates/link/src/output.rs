//! Writing results: clusters CSV, pairs CSV, and the human-readable summary.

use crate::cluster::ScoredPair;
use crate::error::{LinkError, Result};
use crate::pipeline::{Clusters, Summary};
use std::fmt::Write as _;
use std::path::Path;

/// Record ids and source names, enough to label output rows.
pub struct Names<'a> {
    pub ids: &'a [Box<str>],
    pub source: &'a [u16],
    pub sources: &'a [String],
}

fn writer(path: &Path) -> Result<csv::Writer<std::io::BufWriter<std::fs::File>>> {
    let f = std::fs::File::create(path).map_err(|e| LinkError::io(path, e))?;
    Ok(csv::Writer::from_writer(std::io::BufWriter::with_capacity(
        1 << 20,
        f,
    )))
}

fn werr(path: &Path) -> impl Fn(csv::Error) -> LinkError + '_ {
    move |e| LinkError::Input(format!("{}: cannot write: {e}", path.display()))
}

/// `record_id,source,cluster_id,cluster_size,strongest_link`: one row per record.
pub fn write_clusters(path: &Path, names: &Names<'_>, clusters: &Clusters) -> Result<()> {
    let mut w = writer(path)?;
    let e = werr(path);
    let mut sizes = vec![0u64; clusters.count];
    for &l in &clusters.labels {
        sizes[l as usize] += 1;
    }
    w.write_record([
        "record_id",
        "source",
        "cluster_id",
        "cluster_size",
        "strongest_link",
    ])
    .map_err(&e)?;
    let mut buf = String::new();
    for (i, &l) in clusters.labels.iter().enumerate() {
        buf.clear();
        if let Some(p) = clusters.strongest[i] {
            let _ = write!(buf, "{p:.4}");
        }
        w.write_record([
            &*names.ids[i],
            names.sources[names.source[i] as usize].as_str(),
            &l.to_string(),
            &sizes[l as usize].to_string(),
            buf.as_str(),
        ])
        .map_err(&e)?;
    }
    w.flush().map_err(|err| LinkError::io(path, err))
}

/// `record_id_l,source_l,record_id_r,source_r,match_weight,match_probability`.
pub fn write_pairs(
    path: &Path,
    names: &Names<'_>,
    pairs: &[ScoredPair],
    weight_header: &str,
    prob_header: &str,
) -> Result<()> {
    let mut w = writer(path)?;
    let e = werr(path);
    w.write_record([
        "record_id_l",
        "source_l",
        "record_id_r",
        "source_r",
        weight_header,
        prob_header,
    ])
    .map_err(&e)?;
    for p in pairs {
        let (a, b) = (p.a as usize, p.b as usize);
        w.write_record([
            &*names.ids[a],
            names.sources[names.source[a] as usize].as_str(),
            &*names.ids[b],
            names.sources[names.source[b] as usize].as_str(),
            &format!("{:.3}", p.weight),
            &format!("{:.5}", p.probability),
        ])
        .map_err(&e)?;
    }
    w.flush().map_err(|err| LinkError::io(path, err))
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The summary as text for the terminal.
pub fn summary_text(s: &Summary) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "Summary ({})", s.mode);
    for f in &s.files {
        let cols: Vec<String> = f
            .columns
            .iter()
            .map(|(field, col)| {
                let mark = if f.detected.contains(field) {
                    " (detected)"
                } else {
                    ""
                };
                format!("{field}={col}{mark}")
            })
            .collect();
        let _ = writeln!(
            o,
            "  {}: {} records; columns: {}",
            f.path.display(),
            thousands(f.records),
            cols.join(", ")
        );
    }
    let _ = writeln!(
        o,
        "  records: {} from {} source(s)",
        thousands(s.records),
        s.sources.len()
    );
    let q = &s.quality;
    let _ = writeln!(
        o,
        "  data quality: {} invalid NHS numbers (treated as missing), {} impossible and {} unreadable dates (treated as missing), {} non-UK postcodes",
        thousands(q.invalid_nhs_numbers),
        thousands(q.impossible_dates),
        thousands(q.unreadable_dates),
        thousands(q.non_uk_postcodes)
    );
    let _ = writeln!(o, "  blocking rules:");
    for r in &s.rules {
        let _ = writeln!(
            o,
            "    {:<36} {:>14} pairs, {:>14} new, {:>10} new links; {} blocks, largest {}{}",
            r.rule,
            thousands(r.pairs),
            thousands(r.new_pairs),
            thousands(r.new_links),
            thousands(r.blocks),
            thousands(r.largest_block),
            if r.capped_blocks > 0 {
                format!(
                    "; {} blocks over the cap ({} records, {} pairs in full) sub-blocked",
                    thousands(r.capped_blocks),
                    thousands(r.capped_records),
                    thousands(r.pairs_full)
                )
            } else {
                String::new()
            }
        );
    }
    let p = &s.blocking;
    match p.cap {
        Some(cap) => {
            let _ = writeln!(
                o,
                "  adaptive blocking: the rules' blocks hold {} pairs, over the budget of {}; blocks over {} records were sorted by a second key and each record paired with its next {} ({} pairs planned)",
                thousands(p.pairs_full),
                thousands(p.pair_budget),
                cap,
                p.window,
                thousands(p.pairs_planned)
            );
        }
        None if p.pairs_full > p.pair_budget => {
            let _ = writeln!(
                o,
                "  adaptive blocking: the rules' blocks hold {} pairs, over the budget of {}, but no block is larger than {} records (the smallest cap), so every block was compared in full",
                thousands(p.pairs_full),
                thousands(p.pair_budget),
                crate::block::MIN_CAP
            );
        }
        None => {
            let _ = writeln!(
                o,
                "  adaptive blocking: {} pairs within the budget of {}; every block compared in full",
                thousands(p.pairs_full),
                if p.pair_budget == u64::MAX {
                    "none".to_owned()
                } else {
                    thousands(p.pair_budget)
                }
            );
        }
    }
    let _ = writeln!(o, "  pairs compared: {}", thousands(s.pairs_compared));
    if s.prior > 0.0 {
        let _ = writeln!(
            o,
            "  model: prior {:.3e}, estimated matching pairs {:.0}, estimated blocking recall {:.3}",
            s.prior, s.estimated_matches, s.estimated_blocking_recall
        );
    }
    let _ = writeln!(
        o,
        "  pairs at or above threshold {}: {}",
        s.threshold,
        thousands(s.pairs_above_threshold)
    );
    let sizes: Vec<String> = s
        .cluster_sizes
        .iter()
        .map(|(size, n)| {
            if *size > 20 {
                format!("21+:{}", thousands(*n))
            } else {
                format!("{size}:{}", thousands(*n))
            }
        })
        .collect();
    let _ = writeln!(
        o,
        "  clusters ({}): {}; largest {}; by size {}",
        s.cluster_method,
        thousands(s.clusters),
        s.largest_cluster,
        sizes.join(" ")
    );
    let times: Vec<String> = s
        .timings
        .iter()
        .map(|(k, v)| format!("{k} {v:.2}s"))
        .collect();
    let wall: f64 = s.timings.iter().map(|x| x.1).sum();
    let _ = writeln!(o, "  time: {}", times.join(", "));
    match s.cpu_seconds {
        Some(cpu) => {
            let _ = writeln!(
                o,
                "  wall {wall:.2}s; CPU {cpu:.2}s (all threads, including reading); {} worker threads",
                s.threads
            );
        }
        None => {
            let _ = writeln!(o, "  wall {wall:.2}s; {} worker threads", s.threads);
        }
    }
    for w in &s.warnings {
        let _ = writeln!(o, "  WARNING: {w}");
    }
    o
}
