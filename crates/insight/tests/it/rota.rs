//! The rota end to end: forecast demand from incidents, then exact and greedy covering.

use std::process::ExitCode;

use concordat_insight::forecast::{
    Format,
    incidents::{Columns, HourlyCounts},
    models::{ModelKind, ModelParams},
    next_week,
    synth::{self, SynthConfig},
    total,
};
use concordat_insight::rota::{
    self, Args,
    solve::{self, Problem},
};

fn demand() -> [f64; 168] {
    let incidents = synth::generate(&SynthConfig {
        weeks: 12,
        areas: 3,
        ..SynthConfig::default()
    });
    let counts = HourlyCounts::from_incidents(&incidents).unwrap();
    total(&next_week(&counts, ModelKind::Profile, &ModelParams::default(), true).unwrap())
}

#[test]
fn exact_is_at_least_greedy_which_is_within_the_bound() {
    let d = demand();
    for shifts in [1, 3, 7, 10] {
        let p = Problem {
            demand: d,
            shifts,
            length: 8,
            start_every: 1,
        };
        let e = solve::exact(&p).unwrap();
        let g = solve::greedy(&p).unwrap();
        assert!(e.covered + 1e-9 >= g.covered, "K={shifts}");
        assert!(g.covered >= solve::greedy_bound() * e.covered);
        assert!(e.starts.len() <= shifts && g.starts.len() <= shifts);
        assert!((p.coverage(&e.starts) - e.covered).abs() < 1e-9);
    }
    // 21 shifts of 8 hours can cover the whole week.
    let p = Problem {
        demand: d,
        shifts: 21,
        length: 8,
        start_every: 1,
    };
    assert!((solve::exact(&p).unwrap().covered - p.total()).abs() < 1e-6);
}

#[test]
fn cli_plans_a_rota() {
    let dir = super::forecast::scratch("rota-cli");
    let input = dir.join("incidents.csv");
    synth::write_csv(
        &input,
        &synth::generate(&SynthConfig {
            weeks: 6,
            areas: 2,
            ..SynthConfig::default()
        }),
    )
    .unwrap();
    let args = |format, area: Option<&str>| Args {
        input: input.clone(),
        columns: Columns::defaults(),
        shifts: 3,
        shift_hours: 8,
        start_every: 1,
        area: area.map(str::to_string),
        grid_areas: None,
        model: ModelKind::Profile,
        training_weeks: 52,
        format,
    };
    assert_eq!(rota::run(args(Format::Table, None)), ExitCode::SUCCESS);
    assert_eq!(
        rota::run(args(Format::Json, Some("A01"))),
        ExitCode::SUCCESS
    );
    assert_eq!(
        rota::run(args(Format::Table, Some("Z99"))),
        ExitCode::FAILURE
    );
    assert_eq!(
        rota::run(Args {
            shift_hours: 0,
            ..args(Format::Table, None)
        }),
        ExitCode::FAILURE
    );
}
