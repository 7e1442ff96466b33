//! Rolling-origin backtests (never a single split): MAE, MASE against seasonal naive, and Poisson
//! deviance, per area-hour and for the region total.

use rayon::prelude::*;

use super::incidents::HourlyCounts;
use super::models::{self, ForecastError, ModelKind, ModelParams};

/// How the origins roll.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct BacktestConfig {
    /// Number of forecast origins, counted back from the end of the data.
    pub origins: usize,
    /// Hours between successive origins.
    pub step_hours: usize,
    /// Hours forecast from each origin.
    pub horizon: usize,
}

impl Default for BacktestConfig {
    fn default() -> Self {
        BacktestConfig {
            origins: 26,
            step_hours: 168,
            horizon: 168,
        }
    }
}

/// Floor applied to forecasts inside the deviance only: a forecast of exactly 0 for an hour that
/// had an incident would otherwise score infinity. 0.001 incidents an hour is once in six weeks.
pub const DEVIANCE_FLOOR: f64 = 1e-3;

/// Scores of one model at one level of aggregation, pooled over all origins.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Scores {
    /// The model.
    pub model: ModelKind,
    /// `area` (every area-hour) or `region` (the hourly total over areas).
    pub level: &'static str,
    /// Mean absolute error of the mean forecast.
    pub mae: f64,
    /// MASE of the mean forecast: per origin, test MAE over the in-sample MAE of seasonal naive on
    /// that origin's training window (Hyndman & Koehler 2006), averaged over origins.
    pub mase: f64,
    /// MAE relative to seasonal naive's MAE on the same test hours.
    pub relative_mae: f64,
    /// Mean Poisson unit deviance 2[y ln(y/μ) − (y − μ)], μ floored at [`DEVIANCE_FLOOR`].
    pub deviance: f64,
    /// MASE of the Poisson median of the same forecast (the point forecast MAE rewards).
    pub mase_median: f64,
    /// Bias: total forecast over total observed, minus 1, pooled over origins (−0.05: 5% low).
    pub bias: f64,
    /// Test cells scored.
    pub cells: usize,
}

/// The backtest result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BacktestReport {
    /// Origins used (hour indices), earliest first.
    pub origins: Vec<usize>,
    /// Area-level rows then region-level rows, in the order of the models asked for.
    pub scores: Vec<Scores>,
    /// GLM fits that hit the iteration cap, summed over origins and areas.
    pub glm_not_converged: usize,
}

impl BacktestReport {
    /// The row for `model` at `level`.
    pub fn get(&self, model: ModelKind, level: &str) -> Option<&Scores> {
        self.scores
            .iter()
            .find(|s| s.model == model && s.level == level)
    }
}

fn unit_deviance(y: f64, mu: f64) -> f64 {
    let mu = mu.max(DEVIANCE_FLOOR);
    let term = if y > 0.0 { y * (y / mu).ln() } else { 0.0 };
    2.0 * (term - (y - mu))
}

#[derive(Debug, Clone, Copy, Default)]
struct Acc {
    abs: f64,
    abs_median: f64,
    dev: f64,
    n: f64,
    /// Sums of forecasts and observations, for the bias.
    mu: f64,
    obs: f64,
}

struct OriginResult {
    /// `[model][level]`
    acc: Vec<[Acc; 2]>,
    /// In-sample seasonal-naive MAE per level.
    scale: [f64; 2],
    not_converged: usize,
}

/// Hour-index origins for `cfg`, earliest first; only those with enough history are kept.
pub fn origins(hours: usize, cfg: &BacktestConfig) -> Vec<usize> {
    let mut out: Vec<usize> = (0..cfg.origins)
        .filter_map(|i| hours.checked_sub(cfg.horizon + i * cfg.step_hours))
        .filter(|&o| o >= models::MIN_HISTORY)
        .collect();
    out.reverse();
    out
}

/// Runs every model from every origin and scores them.
pub fn backtest(
    counts: &HourlyCounts,
    holiday: &[bool],
    kinds: &[ModelKind],
    params: &ModelParams,
    cfg: &BacktestConfig,
) -> Result<BacktestReport, ForecastError> {
    let origins = origins(counts.hours(), cfg);
    if origins.is_empty() {
        return Err(ForecastError::TooShort {
            needed: models::MIN_HISTORY + cfg.horizon,
            have: counts.hours(),
        });
    }
    let region: Vec<f64> = (0..counts.hours())
        .map(|t| counts.counts.iter().map(|y| y[t]).sum())
        .collect();
    let results: Vec<OriginResult> = origins
        .par_iter()
        .map(|&origin| -> Result<OriginResult, ForecastError> {
            let start = origin
                .saturating_sub(params.training_weeks.max(4) * 168)
                .max(168);
            let in_sample = |y: &[f64]| -> (f64, f64) {
                let s: f64 = (start..origin).map(|t| (y[t] - y[t - 168]).abs()).sum();
                (s, (origin - start) as f64)
            };
            let (mut s_area, mut n_area) = (0.0, 0.0);
            for y in &counts.counts {
                let (s, n) = in_sample(y);
                s_area += s;
                n_area += n;
            }
            let (s_reg, n_reg) = in_sample(&region);
            let mut acc = Vec::with_capacity(kinds.len());
            let mut not_converged = 0;
            for &kind in kinds {
                let f = models::forecast(kind, counts, holiday, origin, cfg.horizon, params)?;
                not_converged += f.not_converged;
                let mut a = [Acc::default(); 2];
                let mut region_mu = vec![0.0; cfg.horizon];
                for (y, mu) in counts.counts.iter().zip(&f.mean) {
                    for h in 0..cfg.horizon {
                        let obs = y[origin + h];
                        a[0].abs += (obs - mu[h]).abs();
                        a[0].abs_median += (obs - models::poisson_median(mu[h])).abs();
                        a[0].dev += unit_deviance(obs, mu[h]);
                        a[0].n += 1.0;
                        a[0].mu += mu[h];
                        a[0].obs += obs;
                        region_mu[h] += mu[h];
                    }
                }
                for (h, mu) in region_mu.iter().enumerate() {
                    let obs = region[origin + h];
                    a[1].abs += (obs - mu).abs();
                    a[1].abs_median += (obs - models::poisson_median(*mu)).abs();
                    a[1].dev += unit_deviance(obs, *mu);
                    a[1].n += 1.0;
                    a[1].mu += mu;
                    a[1].obs += obs;
                }
                acc.push(a);
            }
            Ok(OriginResult {
                acc,
                scale: [s_area / n_area.max(1.0), s_reg / n_reg.max(1.0)],
                not_converged,
            })
        })
        .collect::<Result<_, _>>()?;
    let naive_ix = kinds.iter().position(|&k| k == ModelKind::SeasonalNaive);
    let mut scores = Vec::new();
    for (level_ix, level) in ["area", "region"].into_iter().enumerate() {
        let naive_abs: f64 = naive_ix.map_or(f64::NAN, |i| {
            results.iter().map(|r| r.acc[i][level_ix].abs).sum()
        });
        for (k, &kind) in kinds.iter().enumerate() {
            let total = results.iter().fold(Acc::default(), |mut t, r| {
                let a = r.acc[k][level_ix];
                t.abs += a.abs;
                t.abs_median += a.abs_median;
                t.dev += a.dev;
                t.n += a.n;
                t.mu += a.mu;
                t.obs += a.obs;
                t
            });
            // An origin whose training window never changed week on week has no scale; it is
            // left out of MASE rather than dividing by zero.
            let mase_of = |f: fn(&Acc) -> f64| {
                let ratios: Vec<f64> = results
                    .iter()
                    .filter(|r| r.scale[level_ix] > 0.0)
                    .map(|r| {
                        let a = &r.acc[k][level_ix];
                        f(a) / a.n / r.scale[level_ix]
                    })
                    .collect();
                ratios.iter().sum::<f64>() / ratios.len() as f64
            };
            scores.push(Scores {
                model: kind,
                level,
                mae: total.abs / total.n,
                mase: mase_of(|a| a.abs),
                relative_mae: total.abs / naive_abs,
                deviance: total.dev / total.n,
                mase_median: mase_of(|a| a.abs_median),
                bias: if total.obs > 0.0 {
                    total.mu / total.obs - 1.0
                } else {
                    f64::NAN
                },
                cells: total.n as usize,
            });
        }
    }
    Ok(BacktestReport {
        origins,
        scores,
        glm_not_converged: results.iter().map(|r| r.not_converged).sum(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deviance_is_zero_at_the_truth_and_positive_elsewhere() {
        assert!(unit_deviance(3.0, 3.0).abs() < 1e-12);
        assert!(unit_deviance(0.0, 0.0) < 0.01);
        assert!(unit_deviance(1.0, 0.0) > 10.0);
        assert!(unit_deviance(2.0, 1.0) > 0.0);
    }

    #[test]
    fn origins_roll_back_from_the_end() {
        let cfg = BacktestConfig {
            origins: 3,
            step_hours: 168,
            horizon: 168,
        };
        assert_eq!(origins(10 * 168, &cfg), vec![7 * 168, 8 * 168, 9 * 168]);
        // Origins without four weeks of history are dropped.
        assert_eq!(origins(6 * 168, &cfg), vec![4 * 168, 5 * 168]);
    }
}
