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
    /// Growth per year of the synthetic demand.
    #[arg(long, default_value_t = 0.05)]
    trend_per_year: f64,
    /// A step change in demand, as WEEK:FACTOR (e.g. 148:1.7 for ×1.7 from week 148 on).
    #[arg(long)]
    level_shift: Option<String>,
    /// GLM: precision of the priors on the trend and holiday effects (0 turns them off, the
    /// fit before 2026-12-08).
    #[arg(long, default_value_t = 1.0)]
    glm_prior_precision: f64,
}

fn main() {
    let cli = Cli::parse();
    let cfg = SynthConfig {
        seed: cli.seed,
        weeks: cli.weeks,
        areas: cli.areas,
        per_day: cli.per_day,
        trend_per_year: cli.trend_per_year,
        level_shift: cli.level_shift.as_deref().map(|s| {
            let (w, f) = s.split_once(':').expect("--level-shift WEEK:FACTOR");
            (
                w.parse().expect("--level-shift week"),
                f.parse().expect("--level-shift factor"),
            )
        }),
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
        glm_prior_precision: cli.glm_prior_precision,
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
    // The generator's own expected counts: how close could any forecaster of means get?
    let truth = synth::expected_counts(&cfg);
    let index: Vec<Option<usize>> = (0..cfg.areas)
        .map(|a| {
            let name = format!("A{:0w$}", a + 1, w = cfg.areas.to_string().len().max(2));
            counts.areas.iter().position(|x| *x == name)
        })
        .collect();
    assert_eq!(counts.start, cfg.start.and_hms_opt(0, 0, 0).unwrap());
    let (mut oracle_area, mut naive_area, mut oracle_region, mut naive_region) =
        (0.0, 0.0, 0.0, 0.0);
    for origin in backtest::origins(counts.hours(), &bt) {
        // One hour index reads four series at once (counts, lag, truth): a range is clearest.
        #[allow(clippy::needless_range_loop)]
        for t in origin..origin + bt.horizon {
            let (mut y_sum, mut lag_sum, mut mu_sum) = (0.0, 0.0, 0.0);
            for (a, ix) in index.iter().enumerate() {
                let (y, lag) = ix.map_or((0.0, 0.0), |i| {
                    (counts.counts[i][t], counts.counts[i][t - 168])
                });
                let mu = truth[a][t];
                oracle_area += (y - mu).abs();
                naive_area += (y - lag).abs();
                y_sum += y;
                lag_sum += lag;
                mu_sum += mu;
            }
            oracle_region += (y_sum - mu_sum).abs();
            naive_region += (y_sum - lag_sum).abs();
        }
    }
    println!(
        "generator's true means (oracle), MAE relative to seasonal naive on the same hours: area {:.3}, region {:.3}",
        oracle_area / naive_area,
        oracle_region / naive_region
    );
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
