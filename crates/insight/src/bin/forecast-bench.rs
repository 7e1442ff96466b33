//! Forecast benchmark: rolling-origin backtests on deterministic synthetic incidents (by default
//! 3 years of hourly data for 50 areas), timing each model beside the seasonal-naive baseline in
//! the same run. Run in release mode:
//! `cargo run --release -p concordat-insight --bin forecast-bench`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use concordat_insight::forecast::{
    backtest::{self, BacktestConfig},
    holiday_flags,
    incidents::HourlyCounts,
    models::{self, ModelKind, ModelParams},
    synth::{self, SynthConfig},
};

#[derive(Debug, Parser)]
#[command(about = "Times and scores the demand forecasters on synthetic incidents")]
struct Cli {
    /// Weeks of synthetic data.
    #[arg(long, default_value_t = 156)]
    weeks: usize,
    /// Number of areas.
    #[arg(long, default_value_t = 50)]
    areas: usize,
    /// Spontaneous incidents a day across the region.
    #[arg(long, default_value_t = 40.0)]
    per_day: f64,
    /// Generator seed.
    #[arg(long, default_value_t = 2024)]
    seed: u64,
    /// Rolling origins (weekly, one week ahead each).
    #[arg(long, default_value_t = 52)]
    origins: usize,
    /// Times each model's backtest is repeated (the median time is reported).
    #[arg(long, default_value_t = 3)]
    repeats: usize,
    /// Profile model decay per week.
    #[arg(long, default_value_t = 0.97)]
    decay: f64,
    /// Profile model shrinkage in weeks.
    #[arg(long, default_value_t = 10.0)]
    shrinkage_weeks: f64,
    /// Profile model smoothing half-width in hours.
    #[arg(long, default_value_t = 1)]
    smooth_hours: usize,
    /// Also write the synthetic incidents to this CSV (for trying the CLI).
    #[arg(long)]
    write_csv: Option<PathBuf>,
}

fn main() {
    let cli = Cli::parse();
    let cfg = SynthConfig {
        seed: cli.seed,
        weeks: cli.weeks,
        areas: cli.areas,
        per_day: cli.per_day,
        ..SynthConfig::default()
    };
    let t0 = Instant::now();
    let incidents = synth::generate(&cfg);
    let gen_time = t0.elapsed();
    if let Some(path) = &cli.write_csv {
        synth::write_csv(path, &incidents).expect("write CSV");
    }
    let counts = HourlyCounts::from_incidents(&incidents).expect("incidents");
    let holiday = holiday_flags(&counts, counts.hours());
    let params = ModelParams {
        decay_per_week: cli.decay,
        shrinkage_weeks: cli.shrinkage_weeks,
        smooth_hours: cli.smooth_hours,
        ..ModelParams::default()
    };
    let bt = BacktestConfig {
        origins: cli.origins,
        ..BacktestConfig::default()
    };
    println!(
        "synthetic data: {} incidents, {} areas, {} hours ({} weeks), generated in {:.2?}",
        incidents.len(),
        counts.areas.len(),
        counts.hours(),
        cli.weeks,
        gen_time
    );
    println!(
        "backtest: {} weekly origins, 168 h ahead each, up to {} weeks of training",
        backtest::origins(counts.hours(), &bt).len(),
        params.training_weeks
    );
    let mut baseline = f64::NAN;
    println!(
        "{:<15} {:>12} {:>16}",
        "model", "median time", "× seasonal naive"
    );
    for kind in ModelKind::ALL {
        let mut times = Vec::new();
        for _ in 0..cli.repeats.max(1) {
            let t = Instant::now();
            let r = backtest::backtest(&counts, &holiday, &[kind], &params, &bt).expect("backtest");
            std::hint::black_box(r);
            times.push(t.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        if kind == ModelKind::SeasonalNaive {
            baseline = median;
        }
        println!(
            "{:<15} {:>10.3} s {:>15.1}×",
            kind.name(),
            median,
            median / baseline
        );
    }
    let t = Instant::now();
    let report =
        backtest::backtest(&counts, &holiday, &ModelKind::ALL, &params, &bt).expect("backtest");
    println!(
        "all four models scored together in {:.3} s",
        t.elapsed().as_secs_f64()
    );
    print!("{}", concordat_insight::forecast::backtest_table(&report));
    if report.glm_not_converged > 0 {
        println!("GLM fits not converged: {}", report.glm_not_converged);
    }
    // Keep the profile model's next-week forecast in the build so it is timed too.
    let t = Instant::now();
    let _ = models::forecast(
        ModelKind::Profile,
        &counts,
        &holiday_flags(&counts, counts.hours() + 168),
        counts.hours(),
        168,
        &params,
    )
    .expect("forecast");
    println!("one next-week profile forecast: {:.2?}", t.elapsed());
}
