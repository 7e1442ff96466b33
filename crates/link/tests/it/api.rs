//! The library API as the benchmark harness uses it.

use super::data::{concat, write_people};
use concordat_link::{ClusterMethod, Dataset, LinkConfig, dedupe, evaluate, link_only};

#[test]
fn dedupe_reports_columns_rules_and_finds_people() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_people(dir.path(), 150, 7);
    let all = concat(&files, &dir.path().join("all.csv"));
    let mut cfg = LinkConfig::default();
    cfg.columns.truth = Some("person_id".into());
    let ds = Dataset::load(&[all], &cfg).unwrap();
    let used: Vec<&str> = ds.files[0]
        .columns
        .iter()
        .map(|(f, _)| f.as_str())
        .collect();
    for f in [
        "id",
        "source",
        "first_name",
        "surname",
        "dob",
        "sex",
        "postcode",
        "nhs_number",
        "truth",
    ] {
        assert!(used.contains(&f), "{f} not used: {used:?}");
    }
    assert!(ds.files[0].detected.contains(&"first_name".to_string()));
    assert!(!ds.files[0].detected.contains(&"truth".to_string()));
    let truth = ds.truth_labels().unwrap();
    for method in [ClusterMethod::Connected, ClusterMethod::Strict] {
        cfg.cluster = Some(method);
        let r = dedupe(&ds, &cfg).unwrap();
        assert!(!r.summary.rules.is_empty());
        assert!(r.summary.rules.iter().all(|x| x.new_pairs <= x.pairs));
        assert_eq!(
            r.summary.pairs_compared,
            r.summary.rules.iter().map(|x| x.new_pairs).sum::<u64>()
        );
        let pred: Vec<u64> = r.clusters.labels.iter().map(|&l| u64::from(l)).collect();
        let e = evaluate(&pred, &truth);
        assert!(e.pairwise.f1 > 0.9, "{method:?}: {:?}", e.pairwise);
        assert!(e.cluster.f1 > 0.85, "{method:?}: {:?}", e.cluster);
    }
}

#[test]
fn link_only_needs_two_sources() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("one.csv");
    std::fs::write(&p, "id,first_name,surname\n1,Ann,Lee\n2,Ann,Lee\n").unwrap();
    let cfg = LinkConfig::default();
    let ds = Dataset::load(&[p], &cfg).unwrap();
    let e = link_only(&ds, &cfg).unwrap_err().to_string();
    assert!(e.contains("two sources"), "{e}");
}

#[test]
fn a_pair_budget_sub_blocks_and_the_summary_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_people(dir.path(), 150, 7);
    let all = concat(&files, &dir.path().join("all.csv"));
    let mut cfg = LinkConfig::default();
    cfg.columns.truth = Some("person_id".into());
    let ds = Dataset::load(&[all], &cfg).unwrap();
    let full = dedupe(&ds, &cfg).unwrap();
    assert_eq!(
        full.summary.blocking.cap, None,
        "small data fits the budget"
    );
    assert!(full.summary.threads >= 1);
    if cfg!(target_os = "linux") {
        assert!(full.summary.cpu_seconds.is_some());
    }
    // A budget below the pairs the rules hold sub-blocks the blocks over the smallest cap (32);
    // here every block is smaller, so all are still compared in full, and the plan says so.
    let budget = full.summary.blocking.pairs_full / 2;
    let limits = concordat_link::block::BlockLimits {
        max_block: 5_000,
        pair_budget: budget,
    };
    let rules = concordat_link::pipeline::rules_for(&ds, &cfg).unwrap();
    let b = concordat_link::block::Blocking::build(&ds, rules, limits, false).unwrap();
    assert!(
        b.reports
            .iter()
            .all(|r| r.largest_block <= concordat_link::block::MIN_CAP as u64)
    );
    assert_eq!(b.plan.cap, None, "{:?}", b.plan);
    assert_eq!(b.plan.pairs_planned, full.summary.blocking.pairs_full);
    let mut summary = full.summary.clone();
    summary.blocking = b.plan.clone();
    let text = concordat_link::output::summary_text(&summary);
    assert!(
        text.contains("over the budget") && text.contains("every block was compared in full"),
        "{text}"
    );
    assert!(text.contains("CPU"), "{text}");
}
