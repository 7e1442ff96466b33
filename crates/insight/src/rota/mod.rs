//! `concordat insight rota`: K triage-car shifts of L hours that cover the most forecast demand in
//! a typical week, solved exactly (MILP) and greedily ([`solve`]), with a readable weekly table.

pub mod solve;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::forecast::incidents::{self, Columns, HourlyCounts};
use crate::forecast::models::{ModelKind, ModelParams};
use crate::forecast::{Format, next_week, svg::DAYS, total};
use solve::{Plan, Problem, WEEK};

/// Arguments of `concordat insight rota`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Incident file (CSV with a header row); demand is forecast from it.
    #[arg(long)]
    pub input: PathBuf,
    #[command(flatten)]
    pub columns: Columns,
    /// Number of shifts a week (K).
    #[arg(long, default_value_t = 7)]
    pub shifts: usize,
    /// Shift length in hours (L).
    #[arg(long, default_value_t = 8)]
    pub shift_hours: usize,
    /// Shifts may start only every this many hours (1: any hour; must divide 168).
    #[arg(long, default_value_t = 1)]
    pub start_every: usize,
    /// Plan for this area only [default: all areas together].
    #[arg(long)]
    pub area: Option<String>,
    /// Use the cells of a grid with this many cells across the coordinates as areas (labels
    /// `r02c07`, for --area), instead of the area column.
    #[arg(long)]
    pub grid_areas: Option<usize>,
    /// Forecasting model for demand.
    #[arg(long, value_enum, default_value = "profile")]
    pub model: ModelKind,
    /// Weeks of history the forecast uses.
    #[arg(long, default_value_t = 52)]
    pub training_weeks: usize,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

/// `Fri 16:00` for an hour of week.
pub fn hour_label(how: usize) -> String {
    let how = how % WEEK;
    format!("{} {:02}:00", DAYS[how / 24], how % 24)
}

/// `Fri 16:00–Sat 00:00` for a shift.
pub fn shift_label(start: usize, length: usize) -> String {
    format!("{}–{}", hour_label(start), hour_label(start + length))
}

/// The weekly table: one row per day, one column per hour; each cell shows which car is on duty
/// (its number in the plan) or `.`, then the day's demand and how much of it is covered.
pub fn weekly_table(p: &Problem, plan: &Plan) -> String {
    let mut s = String::new();
    let _ = write!(s, "{:<4}", "");
    for h in 0..24 {
        let _ = write!(s, "{h:>3}");
    }
    let _ = writeln!(s, "  {:>8} {:>8}", "demand", "covered");
    for (d, day) in DAYS.iter().enumerate() {
        let _ = write!(s, "{day:<4}");
        let (mut dem, mut cov) = (0.0, 0.0);
        for h in 0..24 {
            let t = d * 24 + h;
            let on: Vec<usize> = plan
                .starts
                .iter()
                .enumerate()
                .filter(|(_, st)| (t + WEEK - **st) % WEEK < p.length)
                .map(|(i, _)| i + 1)
                .collect();
            dem += p.demand[t];
            let mark = match on.as_slice() {
                [] => ".".to_string(),
                [one] => one.to_string(),
                _ => "+".to_string(),
            };
            if !on.is_empty() {
                cov += p.demand[t];
            }
            let _ = write!(s, "{mark:>3}");
        }
        let _ = writeln!(s, "  {dem:>8.1} {cov:>8.1}");
    }
    s.push_str("Cells: the number of the car on duty (see the shift list), + where shifts overlap, . where no car is on.\n");
    s
}

#[derive(serde::Serialize)]
struct JsonPlan {
    method: &'static str,
    covered: f64,
    share: f64,
    shifts: Vec<JsonShift>,
}

#[derive(serde::Serialize)]
struct JsonShift {
    start_hour_of_week: usize,
    label: String,
    demand_in_shift: f64,
}

#[derive(serde::Serialize)]
struct JsonOut {
    input: String,
    area: Option<String>,
    model: ModelKind,
    shifts: usize,
    shift_hours: usize,
    weekly_demand: f64,
    demand_by_hour_of_week: Vec<f64>,
    exact: JsonPlan,
    greedy: JsonPlan,
    greedy_over_exact: f64,
    greedy_bound: f64,
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("concordat insight rota: {msg}");
    ExitCode::FAILURE
}

fn json_plan(p: &Problem, plan: &Plan, method: &'static str) -> JsonPlan {
    JsonPlan {
        method,
        covered: plan.covered,
        share: plan.covered / p.total(),
        shifts: plan
            .starts
            .iter()
            .map(|&s| JsonShift {
                start_hour_of_week: s,
                label: shift_label(s, p.length),
                demand_in_shift: p.coverage(&[s]),
            })
            .collect(),
    }
}

/// Runs the command; the exit code is non-zero on failure.
pub fn run(args: Args) -> ExitCode {
    if !(4..=crate::forecast::MAX_TRAINING_WEEKS).contains(&args.training_weeks) {
        return fail(format!(
            "--training-weeks must be from 4 to {}, got {}",
            crate::forecast::MAX_TRAINING_WEEKS,
            args.training_weeks
        ));
    }
    let mut incidents = match incidents::read_incidents(&args.input, &args.columns) {
        Ok((incidents, warnings)) => {
            for w in warnings {
                eprintln!("concordat insight rota: warning: {w}");
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
    let Some(mut counts) = HourlyCounts::from_incidents(&incidents) else {
        return fail(format!(
            "{}: no usable incident times",
            args.input.display()
        ));
    };
    if let Some(a) = &args.area {
        match counts.only_area(a) {
            Some(c) => counts = c,
            None => {
                return fail(format!(
                    "{}: no area {a:?} (areas: {})",
                    args.input.display(),
                    counts.areas.join(", ")
                ));
            }
        }
    }
    let params = ModelParams {
        training_weeks: args.training_weeks,
        ..ModelParams::default()
    };
    let demand = match next_week(&counts, args.model, &params, true) {
        Ok(f) => total(&f),
        Err(e) => return fail(format!("{}: {e}", args.input.display())),
    };
    let problem = Problem {
        demand,
        shifts: args.shifts,
        length: args.shift_hours,
        start_every: args.start_every,
    };
    let (exact, greedy) = match (solve::exact(&problem), solve::greedy(&problem)) {
        (Ok(e), Ok(g)) => (e, g),
        (Err(e), _) | (_, Err(e)) => return fail(e),
    };
    let total_demand = problem.total();
    let ratio = if exact.covered > 0.0 {
        greedy.covered / exact.covered
    } else {
        1.0
    };
    let mut out = String::new();
    match args.format {
        Format::Json => {
            let json = JsonOut {
                input: args.input.display().to_string(),
                area: args.area.clone(),
                model: args.model,
                shifts: args.shifts,
                shift_hours: args.shift_hours,
                weekly_demand: total_demand,
                demand_by_hour_of_week: demand.to_vec(),
                exact: json_plan(&problem, &exact, "exact"),
                greedy: json_plan(&problem, &greedy, "greedy"),
                greedy_over_exact: ratio,
                greedy_bound: solve::greedy_bound(),
            };
            match serde_json::to_string_pretty(&json) {
                Ok(s) => out = s + "\n",
                Err(e) => return fail(e),
            }
        }
        Format::Csv => {
            let _ = writeln!(out, "method,shift,start_hour_of_week,label,demand_in_shift");
            for (name, plan) in [("exact", &exact), ("greedy", &greedy)] {
                for (i, &s) in plan.starts.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "{name},{},{s},{},{}",
                        i + 1,
                        shift_label(s, problem.length),
                        problem.coverage(&[s])
                    );
                }
            }
        }
        Format::Table => {
            let mut s = String::new();
            let _ = writeln!(
                s,
                "Demand: {} forecast of a typical week (bank holidays ignored), {}: {:.1} incidents a week.",
                args.model.name(),
                args.area
                    .as_deref()
                    .map_or("all areas".to_string(), |a| format!("area {a}")),
                total_demand
            );
            let _ = writeln!(
                s,
                "{} shifts of {} hours, starting on any hour{}; an hour counts once however many cars cover it.",
                args.shifts,
                args.shift_hours,
                if args.start_every > 1 {
                    format!(" divisible by {}", args.start_every)
                } else {
                    String::new()
                }
            );
            for (name, plan) in [("Exact (MILP, microlp)", &exact), ("Greedy", &greedy)] {
                let _ = writeln!(
                    s,
                    "\n{name}: covers {:.1} of {:.1} ({:.1}%)",
                    plan.covered,
                    total_demand,
                    100.0 * plan.covered / total_demand.max(f64::MIN_POSITIVE)
                );
                for (i, &st) in plan.starts.iter().enumerate() {
                    let _ = writeln!(
                        s,
                        "  car {}: {:<22} demand in shift {:.1}",
                        i + 1,
                        shift_label(st, problem.length),
                        problem.coverage(&[st])
                    );
                }
            }
            let _ = writeln!(
                s,
                "\nGreedy / exact = {ratio:.4}; greedy is guaranteed at least 1 − 1/e = {:.4} of the optimum.",
                solve::greedy_bound()
            );
            let _ = writeln!(s, "\nWeekly rota (exact plan):");
            s.push_str(&weekly_table(&problem, &exact));
            out = s;
        }
    }
    crate::forecast::emit(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_wrap_round_the_week() {
        assert_eq!(shift_label(164, 8), "Sun 20:00–Mon 04:00");
        assert_eq!(shift_label(0, 8), "Mon 00:00–Mon 08:00");
    }

    #[test]
    fn weekly_table_marks_cars() {
        let p = Problem {
            demand: [1.0; WEEK],
            shifts: 2,
            length: 8,
            start_every: 1,
        };
        let plan = Plan {
            starts: vec![0, 4],
            covered: 12.0,
        };
        let t = weekly_table(&p, &plan);
        let mon = t.lines().nth(1).unwrap();
        assert!(mon.starts_with("Mon"));
        let cells: Vec<&str> = mon.split_whitespace().collect();
        assert_eq!(
            &cells[1..14],
            &[
                "1", "1", "1", "1", "+", "+", "+", "+", "2", "2", "2", "2", "."
            ]
        );
        assert!(mon.trim_end().ends_with("12.0"));
    }
}
