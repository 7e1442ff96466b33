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
