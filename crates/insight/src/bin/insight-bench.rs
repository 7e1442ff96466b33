//! Benchmarks SPC and interrupted time series on 10 years of monthly data against a baseline measured in
//! the same run (the mean of the same 120 values).
//!
//! `cargo run --release -p concordat-insight --bin insight-bench [RUNS]`: prints the median of RUNS timed
//! calls (default 1001) for each task, and its ratio to the baseline. Results go in docs/benchmarks-insight.md.

use std::hint::black_box;
use std::time::Instant;

use concordat_insight::its::{self, Family, ItsData, ItsOptions};
use concordat_insight::spc::{self, Improvement, SpcOptions};

/// Ten years of monthly counts: trend, seasonality, a 15% drop after year 6, and deterministic
/// overdispersed noise from a Park–Miller generator (no dependency needed for a fixed series).
fn series() -> ItsData {
    let mut x: u64 = 20_240_101;
    let counts = (0..120)
        .map(|i| {
            x = x * 48_271 % 2_147_483_647;
            // Multiplicative noise of up to ±12% makes the counts overdispersed, as real counts are.
            let noise = 1.0 + 0.12 * ((x % 2001) as f64 / 1000.0 - 1.0);
            let season = 1.0 + 0.1 * (2.0 * std::f64::consts::PI * (i % 12) as f64 / 12.0).cos();
            let level = if i >= 72 { 0.85 } else { 1.0 };
            (400.0 * (1.0 + 0.002 * i as f64) * season * level * noise).round()
        })
        .collect();
    ItsData {
        counts,
        intervention: 72,
        exposure: Some(vec![250_000.0; 120]),
        season: Some((0..120).map(|i| (i % 12 + 1) as f64).collect()),
        period: 12.0,
    }
}

/// Median wall time in microseconds of `runs` calls of `f`.
fn median_us(runs: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..runs.div_ceil(10) {
        f(); // warm up caches and the branch predictor
    }
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1001)
        .max(1);
    let data = series();
    let values = data.counts.clone();
    let baseline = median_us(runs, || {
        black_box(black_box(&values).iter().sum::<f64>() / values.len() as f64);
    });
    let spc_opts = SpcOptions {
        improvement: Improvement::Down,
        target: Some(380.0),
        ..SpcOptions::default()
    };
    let tasks: Vec<(&str, Task<'_>)> = vec![
        (
            "SPC XmR, all rules",
            Box::new(|| {
                black_box(spc::xmr(black_box(&values), &spc_opts).ok());
            }),
        ),
        (
            "SPC XmR, rebased at month 73",
            Box::new(|| {
                let o = SpcOptions {
                    rebase_at: vec![72],
                    ..spc_opts.clone()
                };
                black_box(spc::xmr(black_box(&values), &o).ok());
            }),
        ),
        (
            "ITS Poisson, step + trend",
            its_task(&data, Family::Poisson, 0, false),
        ),
        (
            "ITS quasi-Poisson + 2 harmonics + slope",
            its_task(&data, Family::QuasiPoisson, 2, true),
        ),
        (
            "ITS NB2 + 2 harmonics (alpha by ML)",
            its_task(&data, Family::NegBin, 2, false),
        ),
    ];
    for (family, harmonics, slope_change) in [
        (Family::Poisson, 0, false),
        (Family::QuasiPoisson, 2, true),
        (Family::NegBin, 2, false),
    ] {
        let options = ItsOptions {
            family,
            harmonics,
            slope_change,
            ..ItsOptions::default()
        };
        match its::fit(&data, &options) {
            Ok(r) => println!(
                "check: {family:?} level change {:.4}, alpha {:?}, {} IRLS iterations",
                r.level_change.estimate, r.alpha, r.iterations
            ),
            Err(e) => println!("check: {family:?} failed: {e}"),
        }
    }
    println!("120 monthly points, median of {runs} runs each");
    println!("{:<42} {:>12} {:>14}", "task", "median (us)", "x baseline");
    println!(
        "{:<42} {:>12.3} {:>14}",
        "baseline: mean of the 120 values", baseline, "1"
    );
    for (name, mut f) in tasks {
        let us = median_us(runs, &mut f);
        println!("{name:<42} {us:>12.3} {:>14.0}", us / baseline);
    }
}

/// A benchmarked call.
type Task<'a> = Box<dyn FnMut() + 'a>;

fn its_task(data: &ItsData, family: Family, harmonics: usize, slope_change: bool) -> Task<'static> {
    let data = data.clone();
    let options = ItsOptions {
        family,
        harmonics,
        slope_change,
        ..ItsOptions::default()
    };
    Box::new(move || {
        black_box(its::fit(black_box(&data), &options).ok());
    })
}
