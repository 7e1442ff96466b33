//! `concordat insight forecast`: hourly demand by hour of week and area, with rolling-origin
//! backtests against the baselines of analytics.md §3 and an hour × day heat map.
//!
//! Submodules: [`incidents`] reads and bins incident files (shared with `hotspots` and `rota`),
//! [`calendar`] computes bank holidays, [`models`] holds the forecasters, [`backtest`] scores them,
//! [`synth`] generates deterministic test data and [`svg`] draws the figures.

pub mod backtest;
pub mod calendar;
pub mod incidents;
pub mod models;
pub mod svg;
pub mod synth;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use backtest::{BacktestConfig, BacktestReport};
use incidents::{Columns, HourlyCounts};
use models::{ModelKind, ModelParams};

pub use crate::input::Format;

/// Arguments of `concordat insight forecast`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Incident file (CSV with a header row).
    #[arg(long)]
    pub input: PathBuf,
    #[command(flatten)]
    pub columns: Columns,
    /// Model used for next week's forecast and the heat map (all are backtested).
    #[arg(long, value_enum, default_value = "profile")]
    pub model: ModelKind,
    /// Number of rolling forecast origins, counted back from the end of the data.
    #[arg(long, default_value_t = 26)]
    pub origins: usize,
    /// Hours between origins.
    #[arg(long, default_value_t = 168)]
    pub step_hours: usize,
    /// Hours forecast from each origin.
    #[arg(long, default_value_t = 168)]
    pub horizon_hours: usize,
    /// Weeks of history the GLM and profile models use.
    #[arg(long, default_value_t = 52)]
    pub training_weeks: usize,
    /// Profile model: weekly recency weight (a week k weeks back counts decay^k).
    #[arg(long, default_value_t = 0.97)]
    pub decay: f64,
    /// Profile model: shrinkage towards the region's shape, in weighted weeks.
    #[arg(long, default_value_t = 10.0)]
    pub shrinkage_weeks: f64,
    /// Profile model: half-width in hours of the hour-of-week smoothing kernel.
    #[arg(long, default_value_t = 1)]
    pub smooth_hours: usize,
    /// Use the cells of a grid with this many cells across the coordinates' bounding box as the
    /// areas (labels `r02c07`), instead of the area column.
    #[arg(long)]
    pub grid_areas: Option<usize>,
    /// Draw the heat map for this area instead of the region total.
    #[arg(long)]
    pub area: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Write the hour × day heat map of next week's forecast to this SVG file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write next week's forecast per area and hour to this CSV file.
    #[arg(long)]
    pub forecast_out: Option<PathBuf>,
}

/// Most rolling origins a backtest takes (ten years of weekly origins).
pub const MAX_ORIGINS: usize = 520;
/// Longest step between origins and longest horizon, in hours (a year).
pub const MAX_STEP_HOURS: usize = 8784;
/// Longest training history, in weeks (ten years).
pub const MAX_TRAINING_WEEKS: usize = 520;

impl Args {
    /// Refuses out-of-range options by name, before any file is read.
    pub fn check_options(&self) -> Result<(), String> {
        for (name, value, max) in [
            ("--origins", self.origins, MAX_ORIGINS),
            ("--step-hours", self.step_hours, MAX_STEP_HOURS),
            ("--horizon-hours", self.horizon_hours, MAX_STEP_HOURS),
        ] {
            if !(1..=max).contains(&value) {
                return Err(format!("{name} must be from 1 to {max}, got {value}"));
            }
        }
        if let Some(n) = self.grid_areas
            && !(1..=crate::hotspots::MAX_CELLS_ACROSS).contains(&n)
        {
            return Err(format!(
                "--grid-areas must be from 1 to {}, got {n}",
                crate::hotspots::MAX_CELLS_ACROSS
            ));
        }
        self.params().map(|_| ())
    }

    fn params(&self) -> Result<ModelParams, String> {
        if !(self.decay > 0.0 && self.decay <= 1.0) {
            return Err(format!("--decay must be in (0, 1], got {}", self.decay));
        }
        if !(self.shrinkage_weeks >= 0.0 && self.shrinkage_weeks.is_finite()) {
            return Err(format!(
                "--shrinkage-weeks must be zero or more, got {}",
                self.shrinkage_weeks
            ));
        }
        if !(4..=MAX_TRAINING_WEEKS).contains(&self.training_weeks) {
            return Err(format!(
                "--training-weeks must be from 4 to {MAX_TRAINING_WEEKS}, got {}",
                self.training_weeks
            ));
        }
        if self.smooth_hours > 12 {
            return Err("--smooth-hours must be at most 12".to_string());
        }
        Ok(ModelParams {
            training_weeks: self.training_weeks,
            decay_per_week: self.decay,
            shrinkage_weeks: self.shrinkage_weeks,
            smooth_hours: self.smooth_hours,
            ..ModelParams::default()
        })
    }
}

/// Bank-holiday flag for every hour from the series start to `hours` (which may run past the data).
pub fn holiday_flags(counts: &HourlyCounts, hours: usize) -> Vec<bool> {
    let mut out = Vec::with_capacity(hours);
    let mut cached: Option<(chrono::NaiveDate, bool)> = None;
    for t in 0..hours {
        let date = counts.time_of(t).date();
        let flag = match cached {
            Some((d, f)) if d == date => f,
            _ => {
                let f = calendar::is_bank_holiday(date);
                cached = Some((date, f));
                f
            }
        };
        out.push(flag);
    }
    out
}

/// Next week's forecast from the end of the data, by area and by hour of week (index 0 = Monday
/// 00:00). With `typical_week`, bank holidays in that week are ignored (for a standing rota).
pub fn next_week(
    counts: &HourlyCounts,
    kind: ModelKind,
    params: &ModelParams,
    typical_week: bool,
) -> Result<Vec<[f64; 168]>, models::ForecastError> {
    let origin = counts.hours();
    let mut holiday = holiday_flags(counts, origin + 168);
    if typical_week {
        holiday[origin..].iter_mut().for_each(|h| *h = false);
    }
    let f = models::forecast(kind, counts, &holiday, origin, 168, params)?;
    Ok(f.mean
        .iter()
        .map(|row| {
            let mut by_how = [0.0; 168];
            for (h, v) in row.iter().enumerate() {
                by_how[counts.how(origin + h)] = *v;
            }
            by_how
        })
        .collect())
}

/// Sums per-area hour-of-week vectors.
pub fn total(per_area: &[[f64; 168]]) -> [f64; 168] {
    let mut t = [0.0; 168];
    for row in per_area {
        for (a, b) in t.iter_mut().zip(row) {
            *a += b;
        }
    }
    t
}

/// Renders the backtest as an aligned text table.
pub fn backtest_table(report: &BacktestReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<7} {:<15} {:>8} {:>7} {:>8} {:>9} {:>13} {:>7}",
        "level", "model", "MAE", "MASE", "rel.MAE", "deviance", "MASE(median)", "bias"
    );
    for r in &report.scores {
        let _ = writeln!(
            s,
            "{:<7} {:<15} {:>8.4} {:>7.3} {:>8.3} {:>9.4} {:>13.3} {:>+6.1}%",
            r.level,
            r.model.name(),
            r.mae,
            r.mase,
            r.relative_mae,
            r.deviance,
            r.mase_median,
            100.0 * r.bias
        );
    }
    s
}

/// Renders 168 hour-of-week values as 7 text rows of 24.
pub fn week_grid(values: &[f64; 168], decimals: usize) -> String {
    let width = decimals + 3;
    let mut s = format!("{:<4}", "");
    for h in 0..24 {
        let _ = write!(s, "{h:>width$}");
    }
    s.push('\n');
    for (d, day) in svg::DAYS.iter().enumerate() {
        let _ = write!(s, "{day:<4}");
        for h in 0..24 {
            let _ = write!(s, "{:>width$.decimals$}", values[d * 24 + h]);
        }
        s.push('\n');
    }
    s
}

#[derive(serde::Serialize)]
struct JsonOut<'a> {
    input: String,
    incidents: usize,
    areas: usize,
    first_hour: String,
    hours: usize,
    backtest: &'a BacktestReport,
    chosen_model: ModelKind,
    target_mase_below: f64,
    next_week_origin: String,
    next_week_total_by_hour_of_week: Vec<f64>,
    warnings: Vec<String>,
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("concordat insight forecast: {msg}");
    ExitCode::FAILURE
}

/// Runs the command; the exit code is non-zero on failure.
pub fn run(args: Args) -> ExitCode {
    let params = match args.params() {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    if let Err(e) = args.check_options() {
        return fail(e);
    }
    let mut incidents = match incidents::read_incidents(&args.input, &args.columns) {
        Ok((incidents, warnings)) => {
            for w in warnings {
                eprintln!("concordat insight forecast: warning: {w}");
            }
            incidents
        }
        Err(e) => return fail(e),
    };
    if let Some(n) = args.grid_areas
        && let Err(e) = incidents::grid_areas(&mut incidents, n, &args.input)
    {
        return fail(e);
    }
    if let Err(e) = incidents::check_span(&incidents, &args.input) {
        return fail(e);
    }
    if let Err(e) = incidents::check_table_size(&incidents, &args.input) {
        return fail(e);
    }
    let Some(counts) = HourlyCounts::from_incidents(&incidents) else {
        return fail(format!(
            "{}: no usable incident times",
            args.input.display()
        ));
    };
    let mut warnings = Vec::new();
    let empty = counts.suspicious_empty_days();
    if !empty.is_empty() {
        let shown: Vec<String> = empty.iter().take(5).map(|d| d.to_string()).collect();
        warnings.push(format!(
            "{} day(s) with no incidents at all in a busy series, possibly missing data (not filled): {}{}",
            empty.len(),
            shown.join(", "),
            if empty.len() > 5 { ", …" } else { "" }
        ));
    }
    let cfg = BacktestConfig {
        origins: args.origins,
        step_hours: args.step_hours,
        horizon: args.horizon_hours,
    };
    let holiday = holiday_flags(&counts, counts.hours());
    let report = match backtest::backtest(&counts, &holiday, &ModelKind::ALL, &params, &cfg) {
        Ok(r) => r,
        Err(e) => return fail(format!("{}: {e}", args.input.display())),
    };
    if report.origins.len() < args.origins {
        warnings.push(format!(
            "only {} of {} origins had four weeks of history before them",
            report.origins.len(),
            args.origins
        ));
    }
    if report.glm_not_converged > 0 {
        warnings.push(format!(
            "Poisson GLM: {} area fits stopped at the 50-iteration cap without converging",
            report.glm_not_converged
        ));
    }
    let per_area = match next_week(&counts, args.model, &params, false) {
        Ok(f) => f,
        Err(e) => return fail(format!("{}: {e}", args.input.display())),
    };
    let (label, heat) = match &args.area {
        Some(a) => match counts.areas.iter().position(|x| x == a) {
            Some(i) => (format!("area {a}"), per_area[i]),
            None => {
                return fail(format!(
                    "{}: no area {a:?} (areas: {})",
                    args.input.display(),
                    counts.areas.join(", ")
                ));
            }
        },
        None => ("all areas".to_string(), total(&per_area)),
    };
    let origin_time = counts.time_of(counts.hours());
    if let Some(path) = &args.out {
        let title = format!(
            "Expected incidents per hour, week from {}, {label}",
            origin_time.format("%Y-%m-%d %H:%M")
        );
        let desc = format!(
            "Heat map of the {} model's forecast: 7 rows (Monday to Sunday) by 24 hourly columns, each cell labelled with the expected number of incidents; weekly total {:.1}.",
            args.model.name(),
            heat.iter().sum::<f64>()
        );
        if let Err(e) = std::fs::write(path, svg::heat_map(&title, &desc, &heat, 1)) {
            return fail(format!("{}: {e}", path.display()));
        }
    }
    if let Some(path) = &args.forecast_out {
        let mut s = String::from("area,hour_of_week,day,hour,expected\n");
        for (a, row) in counts.areas.iter().zip(&per_area) {
            for (h, v) in row.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "{},{h},{},{},{v:.5}",
                    csv_field(a),
                    svg::DAYS[h / 24],
                    h % 24
                );
            }
        }
        if let Err(e) = std::fs::write(path, s) {
            return fail(format!("{}: {e}", path.display()));
        }
    }
    let chosen = report.get(args.model, "area");
    let mut out = String::new();
    match args.format {
        Format::Json => {
            let json = JsonOut {
                input: args.input.display().to_string(),
                incidents: incidents.len(),
                areas: counts.areas.len(),
                first_hour: counts.start.to_string(),
                hours: counts.hours(),
                backtest: &report,
                chosen_model: args.model,
                target_mase_below: 0.9,
                next_week_origin: origin_time.to_string(),
                next_week_total_by_hour_of_week: total(&per_area).to_vec(),
                warnings,
            };
            match serde_json::to_string_pretty(&json) {
                Ok(s) => out = s + "\n",
                Err(e) => return fail(e),
            }
        }
        Format::Csv => {
            let _ = writeln!(
                out,
                "level,model,mae,mase,relative_mae,deviance,mase_median,cells"
            );
            for r in &report.scores {
                let _ = writeln!(
                    out,
                    "{},{},{},{},{},{},{},{}",
                    r.level,
                    r.model.name(),
                    r.mae,
                    r.mase,
                    r.relative_mae,
                    r.deviance,
                    r.mase_median,
                    r.cells
                );
            }
            for w in &warnings {
                eprintln!("warning: {w}");
            }
        }
        Format::Table => {
            let _ = writeln!(
                out,
                "{} incidents in {} area(s), hourly from {} for {} hours.",
                incidents.len(),
                counts.areas.len(),
                counts.start,
                counts.hours()
            );
            let _ = writeln!(
                out,
                "Rolling-origin backtest: {} origins every {} h, {} h ahead each; GLM and profile use up to {} weeks of history.",
                report.origins.len(),
                cfg.step_hours,
                cfg.horizon,
                params.training_weeks
            );
            let _ = writeln!(
                out,
                "MASE: test MAE over in-sample seasonal-naive MAE (below 1 beats the baseline). MASE(median) scores the Poisson median of the same forecast, the point MAE rewards. Deviance: mean Poisson unit deviance, forecasts floored at {}.",
                backtest::DEVIANCE_FLOOR
            );
            out.push_str(&backtest_table(&report));
            if let Some(c) = chosen {
                let _ = writeln!(
                    out,
                    "Chosen model {}: MASE {:.3} per area-hour, {:.3} for the region total (target below 0.9).",
                    args.model.name(),
                    c.mase,
                    report
                        .get(args.model, "region")
                        .map_or(f64::NAN, |r| r.mase)
                );
            }
            let _ = writeln!(
                out,
                "\nNext week from {} ({} model), expected incidents per hour, {label}:",
                origin_time.format("%a %Y-%m-%d %H:%M"),
                args.model.name()
            );
            out.push_str(&week_grid(&heat, 1));
            for w in &warnings {
                let _ = writeln!(out, "warning: {w}");
            }
        }
    }
    crate::forecast::emit(&out)
}

/// Writes a command's output to stdout. A reader that has gone away (`| head`) is not an error
/// of ours, so a broken pipe ends quietly instead of panicking as `println!` would.
pub(crate) fn emit(text: &str) -> ExitCode {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cannot write output: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Quotes a CSV field when it needs it.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
