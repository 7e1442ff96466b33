//! `concordat insight hotspots`: where crises happen, on a grid. Kernel density and the
//! self-exciting ETAS model ([`etas`], EM as in analytics.md §3), scored on rolling windows by hit
//! rate, PAI and PEI at a chosen share of the area, with a map.

pub mod etas;
pub mod kde;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::forecast::incidents::{self, Columns, Incident};
use crate::forecast::{Format, svg};

/// What the output says about self-excitation in crisis data, every time.
pub const REPEAT_CALLER_NOTE: &str = "For crisis calls, part of what ETAS calls self-excitation is repeat callers: the same person calling again, not one crisis causing another nearby. A flagged cell may be a single address; the response there may be a care plan or a high-intensity-user service rather than a patrol.";

/// A regular grid over the study area.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Grid {
    /// West edge.
    pub x0: f64,
    /// South edge.
    pub y0: f64,
    /// Side of a cell, in the coordinates' units.
    pub cell: f64,
    /// Columns.
    pub nx: usize,
    /// Rows.
    pub ny: usize,
}

impl Grid {
    /// The bounding box of `points`, cut into square cells of side `cell`, or so that the longer
    /// side has `cells_across` cells.
    pub fn covering(points: &[(f64, f64)], cell: Option<f64>, cells_across: usize) -> Option<Grid> {
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for &(x, y) in points {
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x);
            y1 = y1.max(y);
        }
        if points.is_empty() {
            return None;
        }
        let span = (x1 - x0).max(y1 - y0);
        let cell = match cell {
            Some(c) if c > 0.0 && c.is_finite() => c,
            Some(_) => return None,
            None if span > 0.0 => span / cells_across.max(1) as f64,
            None => 1.0,
        };
        // A point on the east or north edge is clamped into the last cell by `cell_of`.
        let nx = (((x1 - x0) / cell).ceil().max(1.0) as usize).min(100_000);
        let ny = (((y1 - y0) / cell).ceil().max(1.0) as usize).min(100_000);
        if nx.checked_mul(ny)? > 4_000_000 {
            return None;
        }
        Some(Grid {
            x0,
            y0,
            cell,
            nx,
            ny,
        })
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.nx * self.ny
    }

    /// Whether the grid has no cells.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Cell index (`row * nx + col`, row 0 in the south) of a point, clamped to the grid.
    pub fn cell_of(&self, x: f64, y: f64) -> usize {
        let col = (((x - self.x0) / self.cell).floor().max(0.0) as usize).min(self.nx - 1);
        let row = (((y - self.y0) / self.cell).floor().max(0.0) as usize).min(self.ny - 1);
        row * self.nx + col
    }
}

/// Evaluation settings.
#[derive(Debug, Clone, Copy)]
pub struct HotspotConfig {
    /// Share of the grid's cells to flag (0.05 is 5% of the area).
    pub area_share: f64,
    /// Length of each test window, days.
    pub window_days: f64,
    /// Number of test windows, the last ones in the data; each is predicted from everything before.
    pub windows: usize,
    /// KDE bandwidth (Gaussian σ), in cells.
    pub bandwidth_cells: f64,
    /// KDE look-back in days (`None`: all history before the window).
    pub kde_days: Option<f64>,
    /// ETAS EM settings.
    pub em: etas::EmConfig,
}

impl Default for HotspotConfig {
    fn default() -> Self {
        HotspotConfig {
            area_share: 0.05,
            window_days: 7.0,
            windows: 8,
            bandwidth_cells: 1.0,
            kde_days: None,
            em: etas::EmConfig::default(),
        }
    }
}

/// Scores of one method, pooled over the test windows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MethodScore {
    /// `kde`, `cell-counts` or `etas`.
    pub method: String,
    /// Incidents in flagged cells over all incidents in the windows (n/N).
    pub hit_rate: f64,
    /// Predictive Accuracy Index: (n/N)/(a/A).
    pub pai: f64,
    /// Predictive Efficiency Index: n over the most any choice of as many cells could have caught.
    pub pei: f64,
    /// Incidents caught.
    pub hits: usize,
    /// Incidents in the windows.
    pub events: usize,
}

/// One ETAS fit in the backtest.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FitSummary {
    /// Window start, days from the start of the data.
    pub window_start: f64,
    /// θ.
    pub theta: f64,
    /// ω per day.
    pub omega: f64,
    /// EM iterations.
    pub iterations: usize,
    /// Whether EM converged.
    pub converged: bool,
}

/// The evaluation.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HotspotReport {
    /// Cells flagged per window.
    pub flagged_cells: usize,
    /// Share of the area that is (k/A).
    pub flagged_share: f64,
    /// Scores, KDE first.
    pub scores: Vec<MethodScore>,
    /// ETAS fits per window.
    pub fits: Vec<FitSummary>,
}

impl HotspotReport {
    /// Score of a method by name.
    pub fn get(&self, method: &str) -> Option<&MethodScore> {
        self.scores.iter().find(|s| s.method == method)
    }
}

/// Why hotspots could not be evaluated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HotspotError {
    /// Too little history for the windows asked for.
    #[error(
        "the data span {span:.1} days; {windows} windows of {window:.1} days need more history before them"
    )]
    TooShort {
        /// Days of data.
        span: f64,
        /// Windows asked for.
        windows: usize,
        /// Window length.
        window: f64,
    },
    /// A setting is out of range.
    #[error("{0}")]
    Setting(String),
}

/// Indices of the `k` highest-scoring cells (ties broken by lower index, so results are stable).
pub fn top_cells(scores: &[f64], k: usize) -> Vec<usize> {
    let mut ix: Vec<usize> = (0..scores.len()).collect();
    ix.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    ix.truncate(k);
    ix
}

/// Number of cells flagged for a share of the grid (at least one).
pub fn flagged_count(cells: usize, share: f64) -> usize {
    ((cells as f64 * share).round() as usize).clamp(1, cells.max(1))
}

fn kde_scores(
    events: &[(f64, usize)],
    grid: &Grid,
    from: f64,
    to: f64,
    sigma_cells: f64,
) -> Vec<f64> {
    let mut counts = vec![0.0; grid.len()];
    for &(t, c) in events {
        if t >= from && t < to {
            counts[c] += 1.0;
        }
    }
    kde::smooth(&counts, grid.nx, grid.ny, sigma_cells)
}

/// Scores KDE, raw cell counts and ETAS on the last `cfg.windows` windows of the data.
/// `events` are (days from the start, cell index); `span_days` is the length of the data.
pub fn evaluate(
    events: &[(f64, usize)],
    grid: &Grid,
    span_days: f64,
    cfg: &HotspotConfig,
) -> Result<HotspotReport, HotspotError> {
    if !(cfg.area_share > 0.0 && cfg.area_share <= 1.0) {
        return Err(HotspotError::Setting(format!(
            "the share of area must be in (0, 1], got {}",
            cfg.area_share
        )));
    }
    if cfg.window_days.is_nan() || cfg.window_days <= 0.0 || cfg.windows == 0 {
        return Err(HotspotError::Setting(
            "need at least one window of positive length".to_string(),
        ));
    }
    let first_start = span_days - cfg.windows as f64 * cfg.window_days;
    // At least as much history as the windows themselves, and four weeks.
    if first_start
        < (cfg.windows as f64 * cfg.window_days)
            .min(28.0)
            .max(cfg.window_days)
    {
        return Err(HotspotError::TooShort {
            span: span_days,
            windows: cfg.windows,
            window: cfg.window_days,
        });
    }
    let k = flagged_count(grid.len(), cfg.area_share);
    let methods = ["kde", "cell-counts", "etas"];
    let mut hits = [0usize; 3];
    let mut best = 0usize;
    let mut total = 0usize;
    let mut fits = Vec::new();
    for w in 0..cfg.windows {
        let start = first_start + w as f64 * cfg.window_days;
        let end = start + cfg.window_days;
        let mut actual = vec![0.0; grid.len()];
        for &(t, c) in events {
            if t >= start && t < end {
                actual[c] += 1.0;
            }
        }
        let n_window = actual.iter().sum::<f64>() as usize;
        total += n_window;
        best += top_cells(&actual, k)
            .iter()
            .map(|&c| actual[c] as usize)
            .sum::<usize>();
        let kde_from = cfg.kde_days.map_or(f64::MIN, |d| start - d);
        let training: Vec<(f64, usize)> =
            events.iter().copied().filter(|&(t, _)| t < start).collect();
        let times = etas::by_cell(&training, grid.len());
        let fit = etas::fit(&times, start, &cfg.em);
        fits.push(FitSummary {
            window_start: start,
            theta: fit.theta,
            omega: fit.omega,
            iterations: fit.iterations,
            converged: fit.converged,
        });
        let predictions = [
            kde_scores(events, grid, kde_from, start, cfg.bandwidth_cells),
            kde_scores(events, grid, kde_from, start, 0.0),
            fit.expected(&times, start, end),
        ];
        for (m, p) in predictions.iter().enumerate() {
            hits[m] += top_cells(p, k)
                .iter()
                .map(|&c| actual[c] as usize)
                .sum::<usize>();
        }
    }
    let share = k as f64 / grid.len() as f64;
    let scores = methods
        .iter()
        .zip(hits)
        .map(|(name, h)| {
            let hit_rate = if total > 0 {
                h as f64 / total as f64
            } else {
                f64::NAN
            };
            MethodScore {
                method: (*name).to_string(),
                hit_rate,
                pai: hit_rate / share,
                pei: if best > 0 {
                    h as f64 / best as f64
                } else {
                    f64::NAN
                },
                hits: h,
                events: total,
            }
        })
        .collect();
    Ok(HotspotReport {
        flagged_cells: k,
        flagged_share: share,
        scores,
        fits,
    })
}

/// Incidents laid on a grid: (days from midnight of the first day, cell), the grid, and the data's
/// span in days (to the end of the last incident's day).
#[derive(Debug, Clone)]
pub struct GridEvents {
    /// (days, cell), in input order.
    pub events: Vec<(f64, usize)>,
    /// The grid.
    pub grid: Grid,
    /// Days covered.
    pub span_days: f64,
}

/// Lays incidents on a grid; `None` if any incident has no coordinates or no grid fits.
pub fn events_on_grid(
    incidents: &[Incident],
    cell: Option<f64>,
    cells_across: usize,
) -> Option<GridEvents> {
    let points: Vec<(f64, f64)> = incidents.iter().filter_map(|i| i.xy).collect();
    if points.len() != incidents.len() {
        return None;
    }
    let grid = Grid::covering(&points, cell, cells_across)?;
    let first = incidents.iter().map(|i| i.time).min()?;
    let last = incidents.iter().map(|i| i.time).max()?;
    let origin = first.date().and_hms_opt(0, 0, 0)?;
    let end = last.date().succ_opt()?.and_hms_opt(0, 0, 0)?;
    let days = |t: chrono::NaiveDateTime| (t - origin).num_seconds() as f64 / 86_400.0;
    let events = incidents
        .iter()
        .filter_map(|i| i.xy.map(|(x, y)| (days(i.time), grid.cell_of(x, y))))
        .collect();
    Some(GridEvents {
        events,
        grid,
        span_days: days(end),
    })
}

/// Arguments of `concordat insight hotspots`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Incident file (CSV with a header row and x/y or easting/northing columns).
    #[arg(long)]
    pub input: PathBuf,
    #[command(flatten)]
    pub columns: Columns,
    /// Side of a grid cell in the coordinates' units (e.g. metres) [default: the longer side of
    /// the data's bounding box over --cells-across].
    #[arg(long)]
    pub cell_size: Option<f64>,
    /// Cells along the longer side when --cell-size is not given.
    #[arg(long, default_value_t = 50)]
    pub cells_across: usize,
    /// Share of the area to flag as hotspots.
    #[arg(long, default_value_t = 0.05)]
    pub area_share: f64,
    /// Length of each test window, days.
    #[arg(long, default_value_t = 7.0)]
    pub window_days: f64,
    /// Number of rolling test windows at the end of the data.
    #[arg(long, default_value_t = 8)]
    pub windows: usize,
    /// KDE bandwidth (Gaussian σ) in the coordinates' units [default: one cell].
    #[arg(long)]
    pub bandwidth: Option<f64>,
    /// KDE look-back in days [default: all history before each window].
    #[arg(long)]
    pub kde_days: Option<f64>,
    /// ETAS EM iteration cap.
    #[arg(long, default_value_t = 500)]
    pub max_iterations: usize,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Write a map of ETAS's expected incidents over the next window, flagged cells outlined.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

impl Args {
    /// The options that do not depend on the data, each refused with its name and the range it takes.
    pub fn check_before_grid(&self) -> Result<(), String> {
        let positive = |name: &str, v: f64, max: f64| {
            if v.is_finite() && v > 0.0 && v <= max {
                Ok(())
            } else {
                Err(format!(
                    "{name} must be a number more than 0 and at most {max}, got {v}"
                ))
            }
        };
        if let Some(c) = self.cell_size {
            positive("--cell-size", c, f64::MAX)?;
        }
        if !(1..=MAX_CELLS_ACROSS).contains(&self.cells_across) {
            return Err(format!(
                "--cells-across must be from 1 to {MAX_CELLS_ACROSS}, got {}",
                self.cells_across
            ));
        }
        positive("--area-share", self.area_share, 1.0)?;
        positive("--window-days", self.window_days, 366.0)?;
        if !(1..=520).contains(&self.windows) {
            return Err(format!(
                "--windows must be from 1 to 520, got {}",
                self.windows
            ));
        }
        if let Some(b) = self.bandwidth
            && !(b.is_finite() && b > 0.0)
        {
            return Err(format!(
                "--bandwidth must be a distance more than 0 in the coordinates' units, got {b}"
            ));
        }
        if let Some(d) = self.kde_days {
            positive("--kde-days", d, 36_600.0)?;
        }
        if !(1..=100_000).contains(&self.max_iterations) {
            return Err(format!(
                "--max-iterations must be from 1 to 100000, got {}",
                self.max_iterations
            ));
        }
        Ok(())
    }

    /// The options measured against the grid: a bandwidth wider than the whole map smooths it flat and
    /// would take a kernel as long as the bandwidth is wide.
    fn check(&self, grid: &Grid) -> Result<(), String> {
        if let Some(b) = self.bandwidth {
            let widest = grid.nx.max(grid.ny) as f64 * grid.cell;
            if b > widest {
                return Err(format!(
                    "--bandwidth {b} is wider than the whole grid ({widest:.0} units across): use at most {widest:.0}"
                ));
            }
        }
        Ok(())
    }
}

/// Most cells along the grid's longer side.
pub const MAX_CELLS_ACROSS: usize = 2000;

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("concordat insight hotspots: {msg}");
    ExitCode::FAILURE
}

#[derive(serde::Serialize)]
struct JsonOut<'a> {
    input: String,
    incidents: usize,
    grid: Grid,
    evaluation: &'a HotspotReport,
    final_fit: FinalFit,
    note: &'static str,
}

#[derive(serde::Serialize)]
struct FinalFit {
    theta: f64,
    omega_per_day: f64,
    mean_delay_hours: f64,
    background_per_day: f64,
    iterations: usize,
    converged: bool,
    flagged_cells: Vec<FlaggedCell>,
}

#[derive(serde::Serialize)]
struct FlaggedCell {
    col: usize,
    row: usize,
    x_centre: f64,
    y_centre: f64,
    expected: f64,
}

/// Runs the command; the exit code is non-zero on failure.
pub fn run(args: Args) -> ExitCode {
    let incidents = match incidents::read_incidents(&args.input, &args.columns) {
        Ok((incidents, warnings)) => {
            for w in warnings {
                eprintln!("concordat insight hotspots: warning: {w}");
            }
            incidents
        }
        Err(e) => return fail(e),
    };
    if let Err(e) = args.check_before_grid() {
        return fail(e);
    }
    if incidents.iter().any(|i| i.xy.is_none()) {
        return fail(format!(
            "{}: hotspots need coordinates: columns x and y, or easting and northing (or name them with --x-column and --y-column)",
            args.input.display()
        ));
    }
    let Some(GridEvents {
        events,
        grid,
        span_days: span,
    }) = events_on_grid(&incidents, args.cell_size, args.cells_across)
    else {
        return fail(format!(
            "{}: cannot lay a grid over these coordinates (check --cell-size: at most 4 million cells)",
            args.input.display()
        ));
    };
    if let Err(e) = args.check(&grid) {
        return fail(e);
    }
    let cfg = HotspotConfig {
        area_share: args.area_share,
        window_days: args.window_days,
        windows: args.windows,
        bandwidth_cells: args.bandwidth.map_or(1.0, |b| b / grid.cell),
        kde_days: args.kde_days,
        em: etas::EmConfig {
            max_iterations: args.max_iterations,
            ..etas::EmConfig::default()
        },
    };
    let report = match evaluate(&events, &grid, span, &cfg) {
        Ok(r) => r,
        Err(e) => return fail(format!("{}: {e}", args.input.display())),
    };
    // The map and the final parameters: fitted on everything, predicting the next window.
    let times = etas::by_cell(&events, grid.len());
    let fit = etas::fit(&times, span, &cfg.em);
    let expected = fit.expected(&times, span, span + cfg.window_days);
    let top = top_cells(&expected, report.flagged_cells);
    let mut flagged = vec![false; grid.len()];
    for &c in &top {
        flagged[c] = true;
    }
    let background: f64 = fit.mu.iter().sum();
    let centre = |c: usize| {
        (
            grid.x0 + ((c % grid.nx) as f64 + 0.5) * grid.cell,
            grid.y0 + ((c / grid.nx) as f64 + 0.5) * grid.cell,
        )
    };
    if let Some(path) = &args.out {
        let title = format!(
            "Hotspots: ETAS expected incidents over the next {} days",
            args.window_days
        );
        let desc = format!(
            "Grid of {} by {} cells of {:.0} units. Grey level shows expected incidents per cell over the next {} days from the self-exciting (ETAS) model; the {} outlined cells with a cross are the top {:.1}% of the area. Backtest PAI: ETAS {:.2}, KDE {:.2}. {}",
            grid.nx,
            grid.ny,
            grid.cell,
            args.window_days,
            report.flagged_cells,
            100.0 * report.flagged_share,
            report.get("etas").map_or(f64::NAN, |s| s.pai),
            report.get("kde").map_or(f64::NAN, |s| s.pai),
            REPEAT_CALLER_NOTE
        );
        let svg = svg::grid_map(&title, &desc, grid.nx, grid.ny, &expected, &flagged);
        if let Err(e) = std::fs::write(path, svg) {
            return fail(format!("{}: {e}", path.display()));
        }
    }
    let mut out = String::new();
    match args.format {
        Format::Json => {
            let json = JsonOut {
                input: args.input.display().to_string(),
                incidents: incidents.len(),
                grid,
                evaluation: &report,
                final_fit: FinalFit {
                    theta: fit.theta,
                    omega_per_day: fit.omega,
                    mean_delay_hours: 24.0 / fit.omega,
                    background_per_day: background,
                    iterations: fit.iterations,
                    converged: fit.converged,
                    flagged_cells: top
                        .iter()
                        .map(|&c| {
                            let (x, y) = centre(c);
                            FlaggedCell {
                                col: c % grid.nx,
                                row: c / grid.nx,
                                x_centre: x,
                                y_centre: y,
                                expected: expected[c],
                            }
                        })
                        .collect(),
                },
                note: REPEAT_CALLER_NOTE,
            };
            match serde_json::to_string_pretty(&json) {
                Ok(s) => out = s + "\n",
                Err(e) => return fail(e),
            }
        }
        Format::Csv => {
            let _ = writeln!(
                out,
                "method,hit_rate,pai,pei,hits,events,flagged_cells,flagged_share"
            );
            for s in &report.scores {
                let _ = writeln!(
                    out,
                    "{},{},{},{},{},{},{},{}",
                    s.method,
                    s.hit_rate,
                    s.pai,
                    s.pei,
                    s.hits,
                    s.events,
                    report.flagged_cells,
                    report.flagged_share
                );
            }
            eprintln!("note: {REPEAT_CALLER_NOTE}");
        }
        Format::Table => {
            let mut s = String::new();
            let _ = writeln!(
                s,
                "{} incidents over {:.0} days; grid {} × {} cells of {:.0} units; flagging {} cells ({:.1}% of the area).",
                incidents.len(),
                span,
                grid.nx,
                grid.ny,
                grid.cell,
                report.flagged_cells,
                100.0 * report.flagged_share
            );
            let _ = writeln!(
                s,
                "Backtest: the last {} windows of {} days, each predicted from everything before it. KDE bandwidth {:.0} units{}.",
                cfg.windows,
                cfg.window_days,
                cfg.bandwidth_cells * grid.cell,
                cfg.kde_days
                    .map_or(String::new(), |d| format!(", look-back {d} days"))
            );
            let _ = writeln!(
                s,
                "{:<12} {:>9} {:>7} {:>6} {:>7}",
                "method", "hit rate", "PAI", "PEI", "hits"
            );
            for m in &report.scores {
                let _ = writeln!(
                    s,
                    "{:<12} {:>9.3} {:>7.2} {:>6.2} {:>7}",
                    m.method,
                    m.hit_rate,
                    m.pai,
                    m.pei,
                    format!("{}/{}", m.hits, m.events)
                );
            }
            let unconverged = report.fits.iter().filter(|f| !f.converged).count();
            if unconverged > 0 {
                let _ = writeln!(
                    s,
                    "warning: ETAS EM hit the {}-iteration cap in {unconverged} of {} backtest fits",
                    args.max_iterations,
                    report.fits.len()
                );
            }
            let _ = writeln!(
                s,
                "ETAS on all data: θ = {:.3} (share of incidents attributed to triggering), ω = {:.3}/day (mean delay {:.1} h), background {:.1} incidents/day; EM {} after {} iterations.",
                fit.theta,
                fit.omega,
                24.0 / fit.omega,
                background,
                if fit.converged {
                    "converged"
                } else {
                    "did NOT converge"
                },
                fit.iterations
            );
            let _ = writeln!(s, "Top cells for the next {} days:", args.window_days);
            for &c in top.iter().take(10) {
                let (x, y) = centre(c);
                let _ = writeln!(
                    s,
                    "  col {:>3} row {:>3}  centre ({x:.0}, {y:.0})  expected {:.2}",
                    c % grid.nx,
                    c / grid.nx,
                    expected[c]
                );
            }
            if top.len() > 10 {
                let _ = writeln!(
                    s,
                    "  … and {} more (use --format json for all)",
                    top.len() - 10
                );
            }
            let _ = writeln!(s, "Note: {REPEAT_CALLER_NOTE}");
            out = s;
        }
    }
    if !fit.converged {
        eprintln!(
            "warning: ETAS EM did not converge within {} iterations",
            fit.iterations
        );
    }
    crate::forecast::emit(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_covers_every_point() {
        let pts = [(0.0, 0.0), (10.0, 5.0), (3.3, 4.9)];
        let g = Grid::covering(&pts, Some(1.0), 50).unwrap();
        assert_eq!((g.nx, g.ny), (10, 5));
        assert_eq!(g.cell_of(0.0, 0.0), 0);
        assert_eq!(g.cell_of(10.0, 5.0), g.len() - 1);
        assert_eq!(g.cell_of(3.3, 4.9), 4 * 10 + 3);
        assert!(Grid::covering(&pts, Some(-1.0), 50).is_none());
        assert!(Grid::covering(&pts, Some(1e-6), 50).is_none());
    }

    #[test]
    fn top_cells_break_ties_by_index() {
        assert_eq!(top_cells(&[1.0, 3.0, 3.0, 0.0], 2), vec![1, 2]);
        assert_eq!(flagged_count(2500, 0.05), 125);
        assert_eq!(flagged_count(10, 0.001), 1);
    }

    #[test]
    fn pai_and_pei_on_a_hand_worked_case() {
        // 10 cells; cell 0 busy all along, cell 9 busy only in the last week.
        let grid = Grid {
            x0: 0.0,
            y0: 0.0,
            cell: 1.0,
            nx: 10,
            ny: 1,
        };
        let mut events: Vec<(f64, usize)> = (0..56).map(|d| (d as f64 + 0.5, 0)).collect();
        events.extend((0..4).map(|i| (49.0 + i as f64, 9)));
        events.sort_by(|a, b| a.0.total_cmp(&b.0));
        let cfg = HotspotConfig {
            area_share: 0.1,
            windows: 1,
            bandwidth_cells: 0.5,
            ..HotspotConfig::default()
        };
        let r = evaluate(&events, &grid, 56.0, &cfg).unwrap();
        assert_eq!(r.flagged_cells, 1);
        let counts = r.get("cell-counts").unwrap();
        // Last week: 7 events in cell 0, 4 in cell 9; flagging cell 0 catches 7 of 11.
        assert_eq!((counts.hits, counts.events), (7, 11));
        assert!((counts.hit_rate - 7.0 / 11.0).abs() < 1e-12);
        assert!((counts.pai - 70.0 / 11.0).abs() < 1e-9);
        assert!((counts.pei - 1.0).abs() < 1e-12);
    }
}
