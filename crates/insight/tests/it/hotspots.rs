//! Hotspots end to end: ETAS and KDE on synthetic incidents with hotspots and repeats.

use std::process::ExitCode;

use concordat_insight::forecast::{
    Format,
    incidents::Columns,
    synth::{self, SynthConfig},
};
use concordat_insight::hotspots::{self, Args, HotspotConfig, etas};

fn data() -> Vec<concordat_insight::forecast::incidents::Incident> {
    synth::generate(&SynthConfig {
        weeks: 26,
        areas: 4,
        per_day: 30.0,
        ..SynthConfig::default()
    })
}

#[test]
fn etas_finds_the_repeats_and_flags_better_than_chance() {
    let incidents = data();
    let g = hotspots::events_on_grid(&incidents, None, 40).unwrap();
    let cfg = HotspotConfig {
        windows: 4,
        ..HotspotConfig::default()
    };
    let r = hotspots::evaluate(&g.events, &g.grid, g.span_days, &cfg).unwrap();
    assert_eq!(r.flagged_cells, hotspots::flagged_count(g.grid.len(), 0.05));
    for s in &r.scores {
        assert!(s.pai > 3.0, "{} PAI {}", s.method, s.pai);
        assert!(s.pei > 0.0 && s.pei <= 1.0, "{} PEI {}", s.method, s.pei);
        assert!((s.pai - s.hit_rate / r.flagged_share).abs() < 1e-9);
    }
    assert!(r.fits.iter().all(|f| f.converged));
    // The generator's repeat ratio is 0.3 with a mean delay of 30 hours.
    let times = etas::by_cell(&g.events, g.grid.len());
    let fit = etas::fit(&times, g.span_days, &etas::EmConfig::default());
    assert!((0.2..0.4).contains(&fit.theta), "theta {}", fit.theta);
    assert!((0.5..1.3).contains(&fit.omega), "omega {}", fit.omega);
}

fn args(input: std::path::PathBuf) -> Args {
    Args {
        input,
        columns: Columns::defaults(),
        cell_size: Some(500.0),
        cells_across: 50,
        area_share: 0.05,
        window_days: 7.0,
        windows: 2,
        bandwidth: None,
        kde_days: None,
        max_iterations: 500,
        format: Format::Json,
        out: None,
    }
}

#[test]
fn cli_draws_the_map_and_says_what_repeats_mean() {
    let dir = super::forecast::scratch("hotspots-cli");
    let input = dir.join("incidents.csv");
    synth::write_csv(&input, &data()).unwrap();
    let svg = dir.join("map.svg");
    let code = hotspots::run(Args {
        out: Some(svg.clone()),
        ..args(input)
    });
    assert_eq!(code, ExitCode::SUCCESS);
    let svg = std::fs::read_to_string(svg).unwrap();
    assert!(svg.contains("<desc id=\"d\">") && svg.contains("repeat callers"));
    assert!(svg.contains("stroke-width=\"2\""));
}

#[test]
fn cli_needs_coordinates() {
    let dir = super::forecast::scratch("hotspots-bad");
    let input = dir.join("no-xy.csv");
    std::fs::write(&input, "time,area\n2024-01-01 10:00,A\n").unwrap();
    assert_eq!(hotspots::run(args(input.clone())), ExitCode::FAILURE);
    std::fs::write(
        &input,
        "time,x,y\n2024-01-01 10:00,1,2\n2024-01-02 10:00,3,4\n",
    )
    .unwrap();
    // Far too short for two weekly windows.
    assert_eq!(hotspots::run(args(input)), ExitCode::FAILURE);
}

#[test]
fn options_out_of_range_are_refused_by_name() {
    let input = std::env::temp_dir().join("concordat-hotspots-options-unused.csv");
    for (a, name) in [
        (
            Args {
                bandwidth: Some(f64::NAN),
                ..args(input.clone())
            },
            "--bandwidth",
        ),
        (
            Args {
                bandwidth: Some(-5.0),
                ..args(input.clone())
            },
            "--bandwidth",
        ),
        (
            Args {
                cell_size: Some(0.0),
                ..args(input.clone())
            },
            "--cell-size",
        ),
        (
            Args {
                area_share: 1.5,
                ..args(input.clone())
            },
            "--area-share",
        ),
        (
            Args {
                window_days: f64::INFINITY,
                ..args(input.clone())
            },
            "--window-days",
        ),
        (
            Args {
                cells_across: 0,
                ..args(input.clone())
            },
            "--cells-across",
        ),
    ] {
        let e = a.check_before_grid().expect_err(name);
        assert!(e.starts_with(name), "{e}");
    }
    assert!(args(input).check_before_grid().is_ok());
}

#[test]
fn a_bandwidth_wider_than_the_map_is_refused_not_allocated() {
    let dir = std::env::temp_dir().join(format!("concordat-hotspots-wide-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("incidents.csv");
    let mut csv = String::from("time,x,y\n");
    for i in 0..200 {
        csv.push_str(&format!(
            "2024-01-{:02} {:02}:00,{},{}\n",
            1 + i % 28,
            i % 24,
            1000 + (i * 37) % 5000,
            2000 + (i * 53) % 5000
        ));
    }
    std::fs::write(&input, csv).unwrap();
    let code = hotspots::run(Args {
        bandwidth: Some(1e15),
        ..args(input)
    });
    assert_eq!(code, ExitCode::FAILURE);
}
