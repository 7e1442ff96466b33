//! A deterministic synthetic incident generator for tests, benchmarks and demonstrations.
//!
//! What it builds in, so that each method has something real to find: an hour-of-week pattern that
//! differs between places (night-time economy, daytime services, evenings at home), a few tight
//! spatial hotspots over a broad background, a slow trend, more demand on bank holidays, and
//! self-exciting repeats at the same address (a person calling again within hours or days).
//! Same seed, same incidents, on every platform (ChaCha8).

use std::io::Write;
use std::path::Path;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::calendar::is_bank_holiday;
use super::incidents::Incident;

/// What to generate.
#[derive(Debug, Clone)]
pub struct SynthConfig {
    /// Seed for the random stream.
    pub seed: u64,
    /// First day (incidents start at its midnight).
    pub start: NaiveDate,
    /// Length in weeks.
    pub weeks: usize,
    /// Number of areas, laid out as a grid of rectangles over the region.
    pub areas: usize,
    /// Spontaneous (first) incidents per day across the region, before trend and holidays.
    pub per_day: f64,
    /// Number of tight spatial hotspots.
    pub hotspots: usize,
    /// Share of spontaneous incidents that happen in hotspots.
    pub hotspot_share: f64,
    /// Mean number of repeats each incident triggers (the branching ratio; below 1).
    pub repeat_ratio: f64,
    /// Mean delay to a repeat, in hours.
    pub repeat_delay_hours: f64,
    /// Growth per year (0.05 is 5% a year).
    pub trend_per_year: f64,
    /// A step change in demand: from this week (counted from the start) on, spontaneous incidents are
    /// multiplied by the factor (for example a new service, or a change in how calls are logged).
    pub level_shift: Option<(usize, f64)>,
    /// Demand multiplier on bank holidays.
    pub holiday_factor: f64,
    /// Side of the square region in metres; coordinates are easting/northing from (400000, 280000).
    pub side_m: f64,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            seed: 2024,
            // A Monday.
            start: NaiveDate::from_ymd_opt(2022, 1, 3).unwrap_or_default(),
            weeks: 156,
            areas: 50,
            per_day: 40.0,
            hotspots: 6,
            hotspot_share: 0.4,
            repeat_ratio: 0.3,
            repeat_delay_hours: 30.0,
            trend_per_year: 0.05,
            level_shift: None,
            holiday_factor: 1.25,
            side_m: 20_000.0,
        }
    }
}

const ORIGIN: (f64, f64) = (400_000.0, 280_000.0);

/// Daily and weekly shapes; each is normalised to mean 1 over the week by [`profiles`].
#[derive(Debug, Clone, Copy)]
enum Shape {
    /// The general crisis pattern: quiet before dawn, rising through the day, peaking late evening,
    /// busier at weekends.
    General,
    /// Night-time economy: late Friday and Saturday nights.
    Nightlife,
    /// Daytime services (a hospital, a town-centre hub): weekday office hours.
    Daytime,
    /// Evenings at home, every day.
    Evening,
}

fn raw_shape(shape: Shape, how: usize) -> f64 {
    let day = how / 24;
    let hour = (how % 24) as f64;
    let bump = |centre: f64, width: f64| {
        let d = (hour - centre).abs().min(24.0 - (hour - centre).abs());
        (-0.5 * (d / width).powi(2)).exp()
    };
    match shape {
        Shape::General => {
            let weekend = if day >= 4 { 1.2 } else { 1.0 };
            weekend * (0.25 + bump(21.0, 4.5) + 0.4 * bump(14.0, 3.0))
        }
        Shape::Nightlife => {
            // Friday/Saturday nights spill into the early hours of Saturday/Sunday.
            let late = hour >= 20.0;
            let night =
                (late && (day == 4 || day == 5)) || (!late && hour < 5.0 && (day == 5 || day == 6));
            0.1 + if night {
                3.0 * bump(0.5, 2.5)
            } else {
                0.3 * bump(23.0, 2.0)
            }
        }
        Shape::Daytime => {
            let weekday = if day < 5 { 1.0 } else { 0.3 };
            0.1 + weekday * bump(12.5, 3.0)
        }
        Shape::Evening => 0.15 + bump(19.5, 2.5),
    }
}

fn profiles(shape: Shape) -> [f64; 168] {
    let mut p = [0.0; 168];
    for (h, v) in p.iter_mut().enumerate() {
        *v = raw_shape(shape, h);
    }
    let mean = p.iter().sum::<f64>() / 168.0;
    for v in &mut p {
        *v /= mean;
    }
    p
}

/// A Poisson draw; Knuth's method on chunks of mean at most 20, so `exp(-λ)` never underflows.
pub fn poisson<R: Rng>(rng: &mut R, lambda: f64) -> u32 {
    let mut remaining = lambda.max(0.0);
    let mut n = 0;
    while remaining > 0.0 {
        let l = remaining.min(20.0);
        remaining -= l;
        let limit = (-l).exp();
        let mut p: f64 = rng.random();
        while p > limit {
            n += 1;
            p *= rng.random::<f64>();
        }
    }
    n
}

fn normal<R: Rng>(rng: &mut R) -> f64 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

struct Component {
    centre: (f64, f64),
    sigma: f64,
    weight: f64,
    shape: [f64; 168],
}

/// The mixture components, drawn first from the seeded stream so `generate` and
/// `expected_counts` agree on where the hotspots are.
fn components(cfg: &SynthConfig, rng: &mut ChaCha8Rng) -> Vec<Component> {
    let side = cfg.side_m;
    let mut comps = Vec::new();
    // Broad background: three population centres, general pattern.
    for _ in 0..3 {
        comps.push(Component {
            centre: (
                side * rng.random_range(0.2..0.8),
                side * rng.random_range(0.2..0.8),
            ),
            sigma: side * 0.2,
            weight: (1.0 - cfg.hotspot_share) / 3.0,
            shape: profiles(Shape::General),
        });
    }
    let shapes = [Shape::Nightlife, Shape::Daytime, Shape::Evening];
    let raw: Vec<f64> = (0..cfg.hotspots)
        .map(|_| rng.random_range(0.5..1.5))
        .collect();
    let total: f64 = raw.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    for (k, w) in raw.iter().enumerate() {
        comps.push(Component {
            centre: (
                side * rng.random_range(0.1..0.9),
                side * rng.random_range(0.1..0.9),
            ),
            sigma: 150.0,
            weight: cfg.hotspot_share * w / total,
            shape: profiles(shapes[k % shapes.len()]),
        });
    }
    comps
}

/// Area index of a point (areas are a grid of rectangles; spare grid cells join the last area).
fn area_index(cfg: &SynthConfig, x: f64, y: f64) -> usize {
    let side = cfg.side_m;
    let cols = (cfg.areas.max(1) as f64).sqrt().ceil() as usize;
    let rows = cfg.areas.max(1).div_ceil(cols);
    let c = ((x / side * cols as f64) as usize).min(cols - 1);
    let r = ((y / side * rows as f64) as usize).min(rows - 1);
    (r * cols + c).min(cfg.areas.max(1) - 1)
}

fn sample_point(comp: &Component, side: f64, rng: &mut ChaCha8Rng) -> (f64, f64) {
    loop {
        let x = comp.centre.0 + comp.sigma * normal(rng);
        let y = comp.centre.1 + comp.sigma * normal(rng);
        if (0.0..side).contains(&x) && (0.0..side).contains(&y) {
            return (x, y);
        }
    }
}

/// Spontaneous incidents per hour across the region in hour `t` from the start.
fn level(cfg: &SynthConfig, t: usize) -> f64 {
    let start = cfg.start.and_hms_opt(0, 0, 0).unwrap_or_default();
    let time = start + Duration::hours(t as i64);
    let years = t as f64 / (365.25 * 24.0);
    let mut l = cfg.per_day / 24.0 * (cfg.trend_per_year * years).exp();
    if let Some((week, factor)) = cfg.level_shift
        && t >= week * 168
    {
        l *= factor;
    }
    if is_bank_holiday(time.date()) {
        l * cfg.holiday_factor
    } else {
        l
    }
}

/// The generator's own expected incidents per area (`A01`… in order) and hour, repeats included
/// on average: an "oracle" no forecaster can beat without knowing the individual repeats.
/// Area shares of each component come from 20,000 Monte Carlo points; repeats follow the
/// recursion R(t) = θ(1 − q)·A(t), A(t) = q·A(t − 1) + λ(t − 1), q = e^{−1/delay}, which
/// ignores the 2% of repeats landing in their parent's own hour.
pub fn expected_counts(cfg: &SynthConfig) -> Vec<Vec<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let comps = components(cfg, &mut rng);
    let mut mc = ChaCha8Rng::seed_from_u64(cfg.seed ^ 0x5eed);
    let n_areas = cfg.areas.max(1);
    let draws = 20_000u32;
    let shares: Vec<Vec<f64>> = comps
        .iter()
        .map(|c| {
            let mut v = vec![0.0; n_areas];
            for _ in 0..draws {
                let (x, y) = sample_point(c, cfg.side_m, &mut mc);
                v[area_index(cfg, x, y)] += 1.0 / f64::from(draws);
            }
            v
        })
        .collect();
    let hours = cfg.weeks * 168;
    let start_how =
        super::incidents::hour_of_week(cfg.start.and_hms_opt(0, 0, 0).unwrap_or_default());
    let levels: Vec<f64> = (0..hours).map(|t| level(cfg, t)).collect();
    let q = (-1.0 / cfg.repeat_delay_hours.max(1e-9)).exp();
    let mut out = vec![vec![0.0; hours]; n_areas];
    for (a, row) in out.iter_mut().enumerate() {
        let (mut acc, mut prev) = (0.0, 0.0);
        for (t, v) in row.iter_mut().enumerate() {
            let how = (start_how + t) % 168;
            let bg: f64 = comps
                .iter()
                .zip(&shares)
                .map(|(c, sh)| levels[t] * c.weight * c.shape[how] * sh[a])
                .sum();
            acc = q * acc + prev;
            *v = bg + cfg.repeat_ratio * (1.0 - q) * acc;
            prev = *v;
        }
    }
    out
}

/// Generates incidents, sorted by time. Each has an area (`A01`…) and easting/northing.
pub fn generate(cfg: &SynthConfig) -> Vec<Incident> {
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let side = cfg.side_m;
    let comps = components(cfg, &mut rng);
    let area_of = |x: f64, y: f64| area_index(cfg, x, y);
    let start = cfg.start.and_hms_opt(0, 0, 0).unwrap_or_default();
    let hours = cfg.weeks * 168;
    let end = start + Duration::hours(hours as i64);
    let start_how = super::incidents::hour_of_week(start);
    // (time in hours from start, x, y)
    let mut events: Vec<(f64, f64, f64)> = Vec::new();
    for t in 0..hours {
        let level = level(cfg, t);
        let how = (start_how + t) % 168;
        for comp in &comps {
            let n = poisson(&mut rng, level * comp.weight * comp.shape[how]);
            for _ in 0..n {
                let (x, y) = sample_point(comp, side, &mut rng);
                events.push((t as f64 + rng.random::<f64>(), x, y));
            }
        }
    }
    // Repeats: each incident (first or repeat) triggers Poisson(ratio) more at the same address.
    let mut queue: Vec<(f64, f64, f64)> = events.clone();
    while let Some((t, x, y)) = queue.pop() {
        let n = poisson(&mut rng, cfg.repeat_ratio);
        for _ in 0..n {
            let u: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
            let child = (t - cfg.repeat_delay_hours * u.ln(), x, y);
            if child.0 < hours as f64 {
                events.push(child);
                queue.push(child);
            }
        }
    }
    events.sort_by(|a, b| a.0.total_cmp(&b.0));
    let width = cfg.areas.max(1).to_string().len().max(2);
    events
        .into_iter()
        .filter_map(|(t, x, y)| {
            let time: NaiveDateTime = start + Duration::seconds((t * 3600.0) as i64);
            (time < end).then(|| Incident {
                time,
                area: Some(format!("A{:0width$}", area_of(x, y) + 1)),
                xy: Some(((ORIGIN.0 + x).round(), (ORIGIN.1 + y).round())),
            })
        })
        .collect()
}

/// Writes incidents as CSV with columns `time,area,easting,northing`.
pub fn write_csv(path: &Path, incidents: &[Incident]) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(w, "time,area,easting,northing")?;
    for i in incidents {
        let (x, y) = i.xy.unwrap_or((0.0, 0.0));
        writeln!(
            w,
            "{},{},{},{}",
            i.time.format("%Y-%m-%d %H:%M:%S"),
            i.area.as_deref().unwrap_or(""),
            x,
            y
        )?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_plausible() {
        let cfg = SynthConfig {
            weeks: 4,
            areas: 4,
            ..SynthConfig::default()
        };
        let a = generate(&cfg);
        let b = generate(&cfg);
        assert_eq!(a, b);
        // 28 days × 40 a day, inflated by repeats (ratio 0.3 → ×1/0.7), minus repeats past the end.
        let n = a.len() as f64;
        assert!((1300.0..1900.0).contains(&n), "{n}");
        assert!(a.windows(2).all(|w| w[0].time <= w[1].time));
        assert!(a.iter().all(|i| i.area.is_some() && i.xy.is_some()));
    }

    #[test]
    fn expected_counts_match_what_is_generated() {
        let cfg = SynthConfig {
            weeks: 8,
            areas: 4,
            ..SynthConfig::default()
        };
        let expected = expected_counts(&cfg);
        let got = generate(&cfg);
        for (a, row) in expected.iter().enumerate() {
            let name = format!("A{:02}", a + 1);
            let n = got
                .iter()
                .filter(|i| i.area.as_deref() == Some(name.as_str()))
                .count() as f64;
            let e: f64 = row.iter().sum();
            // Poisson noise plus clustering from repeats: allow 4 standard deviations of a
            // cluster process with mean cluster size 1/(1 − θ).
            let sd = (e / (1.0 - cfg.repeat_ratio).powi(2)).sqrt();
            assert!(
                (n - e).abs() < 4.0 * sd,
                "{name}: generated {n}, expected {e:.1}"
            );
        }
    }

    #[test]
    fn poisson_mean_is_right() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for lambda in [0.05, 2.0, 45.0] {
            let n = 20_000;
            let mean = (0..n)
                .map(|_| f64::from(poisson(&mut rng, lambda)))
                .sum::<f64>()
                / n as f64;
            assert!(
                (mean - lambda).abs() < 0.03 * lambda + 0.01,
                "{lambda} {mean}"
            );
        }
    }
}
