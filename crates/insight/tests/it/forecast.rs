//! Demand forecasts end to end on synthetic incidents: the baselines, the profile model, rolling
//! backtests, and the CLI's files.

use std::path::PathBuf;
use std::process::ExitCode;

use concordat_insight::forecast::{
    self, Args, Format,
    backtest::{self, BacktestConfig},
    holiday_flags,
    incidents::{Columns, HourlyCounts},
    models::{ModelKind, ModelParams},
    synth::{self, SynthConfig},
};

fn small() -> SynthConfig {
    SynthConfig {
        weeks: 20,
        areas: 6,
        per_day: 40.0,
        ..SynthConfig::default()
    }
}

/// A fresh scratch directory per test, so parallel tests never share files.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "concordat-insight-it-{}-{name}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn profile_beats_seasonal_naive_in_a_rolling_backtest() {
    let incidents = synth::generate(&small());
    let counts = HourlyCounts::from_incidents(&incidents).unwrap();
    assert_eq!(counts.areas.len(), 6);
    let holiday = holiday_flags(&counts, counts.hours());
    let cfg = BacktestConfig {
        origins: 6,
        ..BacktestConfig::default()
    };
    let r = backtest::backtest(
        &counts,
        &holiday,
        &ModelKind::ALL,
        &ModelParams::default(),
        &cfg,
    )
    .unwrap();
    assert_eq!(r.origins.len(), 6);
    assert_eq!(r.glm_not_converged, 0);
    let naive = r.get(ModelKind::SeasonalNaive, "region").unwrap();
    let profile = r.get(ModelKind::Profile, "region").unwrap();
    assert!((naive.relative_mae - 1.0).abs() < 1e-12);
    assert!(profile.mase < 0.9, "region MASE {}", profile.mase);
    assert!(profile.relative_mae < 0.85, "{}", profile.relative_mae);
    for model in [ModelKind::Medic, ModelKind::PoissonGlm, ModelKind::Profile] {
        let a = r.get(model, "area").unwrap();
        let n = r.get(ModelKind::SeasonalNaive, "area").unwrap();
        assert!(a.deviance < n.deviance, "{model:?}");
        assert!(a.mae < n.mae, "{model:?}");
        assert_eq!(a.cells, 6 * 6 * 168);
    }
}

#[test]
fn holidays_raise_the_profile_forecast() {
    let cfg = SynthConfig {
        holiday_factor: 2.5,
        weeks: 60,
        areas: 1,
        ..small()
    };
    let incidents = synth::generate(&cfg);
    let counts = HourlyCounts::from_incidents(&incidents).unwrap();
    let params = ModelParams::default();
    // Data from 2022-01-03 for 60 weeks ends on Sunday 2023-02-26; look at a week with a bank
    // holiday inside the data instead: Easter Monday 2022-04-18 is hour index (105 days) × 24.
    let origin = 15 * 168;
    let easter_monday = 105 * 24;
    let holiday = holiday_flags(&counts, counts.hours());
    let with = concordat_insight::forecast::models::forecast(
        ModelKind::Profile,
        &counts,
        &holiday,
        origin,
        168,
        &params,
    )
    .unwrap();
    let without = concordat_insight::forecast::models::forecast(
        ModelKind::Profile,
        &counts,
        &vec![false; counts.hours()],
        origin,
        168,
        &params,
    )
    .unwrap();
    let h = easter_monday + 20 - origin;
    assert!(holiday[easter_monday]);
    assert!(with.mean[0][h] > 1.2 * without.mean[0][h]);
    // Ordinary hours are untouched.
    assert_eq!(with.mean[0][h + 24], without.mean[0][h + 24]);
}

fn args(input: PathBuf) -> Args {
    Args {
        input,
        columns: Columns::defaults(),
        model: ModelKind::Profile,
        origins: 3,
        step_hours: 168,
        horizon_hours: 168,
        training_weeks: 52,
        decay: 0.97,
        shrinkage_weeks: 10.0,
        smooth_hours: 1,
        grid_areas: None,
        area: None,
        format: Format::Json,
        out: None,
        forecast_out: None,
    }
}

#[test]
fn cli_writes_heat_map_and_forecast_csv() {
    let dir = scratch("forecast-cli");
    let input = dir.join("incidents.csv");
    synth::write_csv(
        &input,
        &synth::generate(&SynthConfig {
            weeks: 8,
            ..small()
        }),
    )
    .unwrap();
    let svg = dir.join("heat.svg");
    let csv = dir.join("forecast.csv");
    let code = forecast::run(Args {
        out: Some(svg.clone()),
        forecast_out: Some(csv.clone()),
        area: Some("A03".into()),
        ..args(input)
    });
    assert_eq!(code, ExitCode::SUCCESS);
    let svg = std::fs::read_to_string(svg).unwrap();
    assert!(svg.contains("<title id=\"t\">") && svg.contains("area A03"));
    let csv = std::fs::read_to_string(csv).unwrap();
    assert_eq!(csv.lines().count(), 1 + 6 * 168);
    assert!(csv.starts_with("area,hour_of_week,day,hour,expected\nA01,0,Mon,0,"));
}

#[test]
fn cli_refuses_bad_input() {
    let dir = scratch("forecast-bad");
    let input = dir.join("bad.csv");
    std::fs::write(&input, "time,area\n2024-01-01 10:00,A\nnot a time,B\n").unwrap();
    assert_eq!(forecast::run(args(input.clone())), ExitCode::FAILURE);
    // Too short for a backtest: a clear failure, not a panic.
    std::fs::write(
        &input,
        "time,area\n2024-01-01 10:00,A\n2024-01-03 10:00,B\n",
    )
    .unwrap();
    assert_eq!(forecast::run(args(input.clone())), ExitCode::FAILURE);
    assert_eq!(
        forecast::run(Args {
            decay: 0.0,
            ..args(input)
        }),
        ExitCode::FAILURE
    );
}

#[test]
fn cli_can_forecast_by_grid_cell() {
    let dir = scratch("forecast-grid");
    let input = dir.join("incidents.csv");
    synth::write_csv(
        &input,
        &synth::generate(&SynthConfig {
            weeks: 6,
            ..small()
        }),
    )
    .unwrap();
    let csv = dir.join("forecast.csv");
    let code = forecast::run(Args {
        grid_areas: Some(3),
        forecast_out: Some(csv.clone()),
        format: Format::Csv,
        ..args(input)
    });
    assert_eq!(code, ExitCode::SUCCESS);
    let csv = std::fs::read_to_string(csv).unwrap();
    let areas: std::collections::BTreeSet<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert!(areas.len() > 1 && areas.len() <= 9, "{areas:?}");
    assert!(areas.iter().all(|a| a.starts_with('r') && a.contains('c')));
}

#[test]
fn clap_parses_the_where_and_when_commands() {
    use clap::{CommandFactory, Parser};
    use concordat_insight::cli::InsightCommand;
    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        cmd: InsightCommand,
    }
    // Catches clashing flag names, which clap only reports at run time.
    Cli::command().debug_assert();
    let parse = |args: &[&str]| Cli::try_parse_from(args).map(|c| c.cmd);
    match parse(&[
        "x",
        "forecast",
        "--input",
        "f.csv",
        "--grid-areas",
        "3",
        "--x-column",
        "e",
        "--y-column",
        "n",
    ]) {
        Ok(InsightCommand::Forecast(a)) => {
            assert_eq!(a.grid_areas, Some(3));
            assert_eq!(a.columns.x_column.as_deref(), Some("e"));
            assert_eq!(a.columns.time_column, "time");
            assert_eq!(a.model, ModelKind::Profile);
        }
        other => panic!("{other:?}"),
    }
    match parse(&[
        "x",
        "hotspots",
        "--input",
        "f.csv",
        "--area-share",
        "0.01",
        "--out",
        "m.svg",
    ]) {
        Ok(InsightCommand::Hotspots(a)) => assert_eq!(a.area_share, 0.01),
        other => panic!("{other:?}"),
    }
    match parse(&["x", "rota", "--input", "f.csv"]) {
        Ok(InsightCommand::Rota(a)) => assert_eq!((a.shifts, a.shift_hours), (7, 8)),
        other => panic!("{other:?}"),
    }
    assert!(parse(&["x", "rota", "--input", "f.csv", "--shifts", "many"]).is_err());
}

#[test]
fn options_out_of_range_are_refused_by_name_not_by_a_panic() {
    let input = scratch("forecast-options").join("unused.csv");
    let refused = |a: Args, name: &str| {
        let e = a.check_options().expect_err(name);
        assert!(e.starts_with(name), "{e}");
        assert_eq!(forecast::run(a), ExitCode::FAILURE, "{name}");
    };
    refused(
        Args {
            step_hours: usize::MAX,
            ..args(input.clone())
        },
        "--step-hours",
    );
    refused(
        Args {
            horizon_hours: usize::MAX - 1,
            ..args(input.clone())
        },
        "--horizon-hours",
    );
    refused(
        Args {
            origins: 0,
            ..args(input.clone())
        },
        "--origins",
    );
    refused(
        Args {
            grid_areas: Some(100_000),
            ..args(input.clone())
        },
        "--grid-areas",
    );
    refused(
        Args {
            training_weeks: usize::MAX,
            ..args(input.clone())
        },
        "--training-weeks",
    );
    assert!(args(input).check_options().is_ok());
}

#[test]
fn a_grid_too_fine_for_memory_is_refused_with_what_to_change() {
    use concordat_insight::forecast::incidents::{Incident, MAX_TABLE_CELLS, check_table_size};
    let start = chrono::NaiveDate::from_ymd_opt(2023, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    // 3 years of hours in 2,000 areas: 52 million counts.
    let incidents: Vec<Incident> = (0..2000)
        .map(|a| Incident {
            time: start + chrono::Duration::hours(a * 13),
            area: Some(format!("a{a}")),
            xy: None,
        })
        .chain(std::iter::once(Incident {
            time: start + chrono::Duration::days(3 * 365),
            area: Some("a0".into()),
            xy: None,
        }))
        .collect();
    let e = check_table_size(&incidents, std::path::Path::new("big.csv"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("2000 areas") && e.contains("--grid-areas"),
        "{e}"
    );
    assert!(e.contains(&MAX_TABLE_CELLS.to_string()), "{e}");
    assert!(check_table_size(&incidents[..10], std::path::Path::new("small.csv")).is_ok());
}

#[test]
fn mixed_offsets_and_clock_change_times_are_warned_about() {
    use concordat_insight::forecast::incidents::read_incidents_warned;
    let read = |text: &str| {
        read_incidents_warned(
            text.as_bytes(),
            std::path::Path::new("t.csv"),
            &Columns::defaults(),
        )
        .unwrap()
        .1
    };
    // Local clock times with no offset, nothing ambiguous: no warnings.
    assert!(read("time\n2025-03-01 10:00\n2025-07-01 10:00\n").is_empty());
    // UK times written with their offsets (GMT in winter, BST in summer): no warnings.
    assert!(read("time\n2025-01-10T10:00:00+00:00\n2025-07-01T10:00:00+01:00\n").is_empty());
    // A summer time written in UTC, beside bare clock times.
    let w = read("time\n2025-03-01 10:00\n2025-07-01T09:00:00Z\n");
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(
        w[0].contains("1 times have a UTC offset and 1 do not"),
        "{w:?}"
    );
    assert!(
        w[1].contains("not UK time") && w[1].contains("line 3"),
        "{w:?}"
    );
    // 01:30 on 30 March 2025 never happened in the UK; 01:30 on 26 October 2025 happened twice.
    let w = read("time\n2025-03-30 01:30\n2025-10-26 01:30\n2025-10-26 01:45\n");
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(
        w[0].contains("1 times fall in the hour skipped") && w[0].contains("line 2"),
        "{w:?}"
    );
    assert!(
        w[1].contains("2 times fall in the hour repeated") && w[1].contains("line 3"),
        "{w:?}"
    );
}
