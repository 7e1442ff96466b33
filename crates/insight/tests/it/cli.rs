//! The CLI runners on files: outputs written, failures reported with a non-zero exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use concordat_insight::input::Format;
use concordat_insight::{economics, its, spc, survey};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("concordat-insight-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// sicily.csv with a date column, as an analyst's export would have.
fn sicily_dated(dir: &std::path::Path) -> PathBuf {
    let text = include_str!("../../testdata/sicily.csv");
    let mut out = String::from("month,aces,stdpop\n");
    for line in text.lines().skip(1) {
        let c: Vec<&str> = line.split(',').collect();
        out.push_str(&format!("{}-{:0>2},{},{}\n", c[0], c[1], c[2], c[6]));
    }
    let path = dir.join("sicily_dated.csv");
    std::fs::write(&path, out).unwrap();
    path
}

fn spc_args(input: PathBuf, out: Option<PathBuf>) -> spc::Args {
    spc::Args {
        input,
        date_column: "month".into(),
        value_column: "aces".into(),
        rebase: vec!["2005-01".into()],
        target: Some(800.0),
        improvement: spc::Improvement::Down,
        run_length: 7,
        two_of_three: spc::TwoOfThree::InsideLimits,
        trend_side: spc::TrendSide::Direction,
        no_screen_outliers: false,
        fix_after: None,
        format: Format::Csv,
        out,
        title: None,
        html: None,
    }
}

#[test]
fn spc_writes_a_chart_and_refuses_unknown_rebase_dates() {
    let dir = temp_dir("spc");
    let input = sicily_dated(&dir);
    let svg = dir.join("spc.svg");
    assert_eq!(
        spc::run(spc_args(input.clone(), Some(svg.clone()))),
        ExitCode::SUCCESS
    );
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("<title") && text.contains("2 segment(s)"));
    let mut bad = spc_args(input, None);
    bad.rebase = vec!["2031-01".into()];
    assert_eq!(spc::run(bad), ExitCode::FAILURE);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn its_reads_dates_and_offset_and_matches_the_library() {
    let dir = temp_dir("its");
    let input = sicily_dated(&dir);
    let args = its::Args {
        input,
        date_column: "month".into(),
        count_column: "aces".into(),
        intervention: "2005-01".into(),
        offset_column: Some("stdpop".into()),
        family: its::Family::QuasiPoisson,
        seasonal: 2,
        slope_change: false,
        format: Format::Json,
        out: Some(dir.join("its.svg")),
        title: None,
        html: Some(dir.join("its.html")),
    };
    let (data, labels) = its::load(&args).unwrap();
    assert_eq!(data.intervention, 36);
    assert_eq!(labels[36], "2005-01");
    assert_eq!(data.season.as_ref().unwrap()[0], 1.0);
    let r = its::fit(
        &data,
        &its::ItsOptions {
            harmonics: 2,
            ..its::ItsOptions::default()
        },
    )
    .unwrap();
    assert_eq!(format!("{:.4}", r.level_change.estimate), "0.8851");
    assert_eq!(its::run(args), ExitCode::SUCCESS);
    assert!(
        std::fs::read_to_string(dir.join("its.svg"))
            .unwrap()
            .contains("counterfactual")
    );
    let html = std::fs::read_to_string(dir.join("its.html")).unwrap();
    assert!(
        html.contains("<th scope=\"row\">2005-01</th><td>831</td>"),
        "{html}"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn survey_and_economics_commands_run() {
    let dir = temp_dir("survey");
    let input = dir.join("survey.csv");
    let mut csv = String::from("id,q1\n");
    for i in 0..12 {
        csv.push_str(&format!("{i},{}\n", 1 + i % 5));
    }
    std::fs::write(&input, csv).unwrap();
    let args = survey::Args {
        input,
        items: vec![],
        ignore: vec!["id".into()],
        group_column: None,
        min_n: 10,
        dont_know: survey::DontKnow::Exclude,
        format: Format::Table,
        out: Some(dir.join("s.svg")),
        html: Some(dir.join("s.html")),
        title: "Survey".into(),
    };
    assert_eq!(survey::run(args), ExitCode::SUCCESS);
    assert!(
        std::fs::read_to_string(dir.join("s.html"))
            .unwrap()
            .contains("<caption>Survey</caption>")
    );

    let seed = dir.join("costs.csv");
    let cmd = economics::Args {
        command: economics::Command::Seed {
            out: Some(seed.clone()),
        },
    };
    assert_eq!(economics::run(cmd), ExitCode::SUCCESS);
    let table = economics::TableArgs {
        costs: Some(seed),
        index: None,
        to_year: None,
        format: Format::Table,
    };
    let avoided = economics::AvoidedArgs {
        table,
        events: vec!["A&E attendance=100,50,150".into()],
        before_after: vec!["999 call=686,333".into()],
        its_json: None,
        its_item: None,
    };
    assert_eq!(
        economics::run(economics::Args {
            command: economics::Command::Avoided(avoided)
        }),
        ExitCode::SUCCESS
    );
    std::fs::remove_dir_all(dir).ok();
}
