//! The CLI entry point run on small CSV files.

use super::data::{concat, write_people};
use clap::Parser;
use concordat_link::cli::{LinkCommand, run};
use std::process::ExitCode;

#[derive(Parser)]
struct Wrapper {
    #[command(subcommand)]
    cmd: LinkCommand,
}

pub fn cli(args: &[&str]) -> ExitCode {
    let mut all = vec!["concordat-link"];
    all.extend_from_slice(args);
    let w = Wrapper::try_parse_from(all).expect("arguments parse");
    run(w.cmd)
}

fn s(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn dedupe_then_evaluate() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_people(dir.path(), 120, 1);
    let all = concat(&files, &dir.path().join("all.csv"));
    let out = dir.path().join("clusters.csv");
    let pairs = dir.path().join("pairs.csv");
    let model = dir.path().join("model.json");
    let summary = dir.path().join("summary.json");
    let code = cli(&[
        "dedupe",
        "--input",
        s(&all),
        "--out",
        s(&out),
        "--pairs",
        s(&pairs),
        "--save-model",
        s(&model),
        "--summary",
        s(&summary),
    ]);
    assert_eq!(code, ExitCode::SUCCESS);
    let clusters = std::fs::read_to_string(&out).unwrap();
    assert!(clusters.starts_with("record_id,source,cluster_id,cluster_size,strongest_link"));
    let records = std::fs::read_to_string(&all).unwrap().lines().count() - 1;
    assert_eq!(clusters.lines().count() - 1, records);
    assert!(std::fs::read_to_string(&pairs).unwrap().lines().count() > 10);
    let sum: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(sum["records"].as_u64(), Some(records as u64));

    let eval = dir.path().join("eval.json");
    let code = cli(&[
        "evaluate",
        "--clusters",
        s(&out),
        "--truth",
        s(&all),
        "--truth-column",
        "person_id",
        "--json",
        s(&eval),
    ]);
    assert_eq!(code, ExitCode::SUCCESS);
    let e: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&eval).unwrap()).unwrap();
    let f1 = e["pairwise"]["f1"].as_f64().unwrap();
    assert!(f1 > 0.9, "pairwise F1 {f1}");

    // The saved model is reused, and prints as a table and an SVG.
    let out2 = dir.path().join("clusters2.csv");
    let code = cli(&[
        "dedupe",
        "--input",
        s(&all),
        "--out",
        s(&out2),
        "--model",
        s(&model),
        "--cluster",
        "connected",
    ]);
    assert_eq!(code, ExitCode::SUCCESS);
    let svg = dir.path().join("weights.svg");
    assert_eq!(
        cli(&["model", "--model", s(&model), "--svg", s(&svg)]),
        ExitCode::SUCCESS
    );
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") && text.contains("first_name") && text.contains("nhs_number"));
}

#[test]
fn link_across_sources_only() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_people(dir.path(), 100, 2);
    let out = dir.path().join("clusters.csv");
    let pairs = dir.path().join("pairs.csv");
    let mut args = vec!["link"];
    for f in &files {
        args.extend(["--input", s(f)]);
    }
    args.extend(["--out", s(&out), "--pairs", s(&pairs)]);
    assert_eq!(cli(&args), ExitCode::SUCCESS);
    let mut rdr = csv::Reader::from_path(&pairs).unwrap();
    let mut n = 0;
    for row in rdr.records() {
        let row = row.unwrap();
        assert_ne!(&row[1], &row[3], "a pair within one source: {row:?}");
        n += 1;
    }
    assert!(n > 0);
}

#[test]
fn encode_and_link_encodings() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_people(dir.path(), 100, 3);
    let key = dir.path().join("key");
    std::fs::write(&key, [42u8; 32]).unwrap();
    let mut encoded = Vec::new();
    for f in &files {
        let e = dir.path().join(format!(
            "{}.enc.csv",
            f.file_stem().unwrap().to_str().unwrap()
        ));
        assert_eq!(
            cli(&[
                "encode",
                "--key-file",
                s(&key),
                "--input",
                s(f),
                "--out",
                s(&e)
            ]),
            ExitCode::SUCCESS
        );
        let text = std::fs::read_to_string(&e).unwrap();
        // The linker's input holds no names.
        for name in ["William", "Smith", "Jones", "william", "smith"] {
            assert!(!text.contains(name), "{name} in encodings");
        }
        encoded.push(e);
    }
    // Links the encodings, writing `<name>.csv` and `<name>.json`; returns the clustering method
    // the summary reports.
    let link = |name: &str, extra: &[&str]| -> String {
        let (out, summary) = (
            dir.path().join(format!("{name}.csv")),
            dir.path().join(format!("{name}.json")),
        );
        let mut args = vec!["link"];
        for e in &encoded {
            args.extend(["--input", s(e)]);
        }
        args.extend(["--out", s(&out), "--summary", s(&summary)]);
        args.extend(extra);
        assert_eq!(cli(&args), ExitCode::SUCCESS);
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
        v["cluster_method"].as_str().unwrap().to_string()
    };
    // Per-field encodings are clustered by the strict method unless told otherwise.
    assert_eq!(link("clusters", &[]), "strict");
    assert_eq!(link("connected", &["--cluster", "connected"]), "connected");
    // The pairs file of per-field encodings has the columns docs/linkage.md gives.
    let pairs = dir.path().join("pairs.csv");
    let mut args = vec!["link"];
    for e in &encoded {
        args.extend(["--input", s(e)]);
    }
    let other = dir.path().join("other.csv");
    args.extend(["--out", s(&other), "--pairs", s(&pairs)]);
    assert_eq!(cli(&args), ExitCode::SUCCESS);
    let header = std::fs::read_to_string(&pairs).unwrap();
    assert_eq!(
        header.lines().next().unwrap(),
        "record_id_l,source_l,record_id_r,source_r,match_weight,match_probability"
    );
    let out = dir.path().join("clusters.csv");
    let truth = concat(&files, &dir.path().join("truth.csv"));
    let eval = dir.path().join("eval.json");
    assert_eq!(
        cli(&[
            "evaluate",
            "--clusters",
            s(&out),
            "--truth",
            s(&truth),
            "--truth-column",
            "person_id",
            "--json",
            s(&eval)
        ]),
        ExitCode::SUCCESS
    );
    let e: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&eval).unwrap()).unwrap();
    let f1 = e["pairwise"]["f1"].as_f64().unwrap();
    assert!(f1 > 0.8, "pairwise F1 on encodings {f1}");
}

#[test]
fn model_trains_supervised_from_a_truth_column() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_people(dir.path(), 120, 4);
    let all = concat(&files, &dir.path().join("all.csv"));
    let model = dir.path().join("model.json");
    assert_eq!(
        cli(&[
            "model",
            "--input",
            s(&all),
            "--truth-column",
            "person_id",
            "--out",
            s(&model)
        ]),
        ExitCode::SUCCESS
    );
    let m = concordat_link::Model::load(&model).unwrap();
    assert!(m.training.method.starts_with("m from pairs"));
    let nhs = m
        .comparisons
        .iter()
        .find(|c| c.name == "nhs_number")
        .unwrap();
    assert!(nhs.levels[0].weight() > 5.0);
}
