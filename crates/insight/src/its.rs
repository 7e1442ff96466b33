//! Interrupted time series: segmented Poisson, quasi-Poisson and negative binomial (NB2) regression for
//! counts before and after an intervention (Lopez Bernal, Cummins & Gasparrini 2017).
//!
//! ```text
//! log E[Yₜ] = log(exposureₜ) + β₀ + β₁·t + β₂·Xₜ + β₃·(t − T₀)·Xₜ + Σₖ [γₖ cos(2πk·mₜ/P) + δₖ sin(2πk·mₜ/P)]
//! ```
//!
//! with t = 1…n, Xₜ = 1 from the first point under the intervention, T₀ the last point before it, and
//! mₜ the position in the seasonal cycle of period P.
//! Fitted by iteratively reweighted least squares; for NB2 the dispersion α maximises the profile
//! likelihood. [`fit`] is pure; [`run`] is the `concordat insight its` command.

pub mod linalg;
pub mod special;

use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use crate::input::{self, Format, ValueKind};
pub use special::{normal_quantile, two_sided_p};

/// GLM family.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Poisson: variance equals the mean.
    Poisson,
    /// Poisson estimates with standard errors scaled by √φ, φ = Pearson χ²/(n − p).
    #[default]
    #[value(name = "quasipoisson")]
    QuasiPoisson,
    /// Negative binomial with variance μ + αμ², α by maximum likelihood.
    #[value(name = "negbin")]
    NegBin,
}

impl Family {
    fn label(self) -> &'static str {
        match self {
            Family::Poisson => "Poisson",
            Family::QuasiPoisson => "quasi-Poisson",
            Family::NegBin => "negative binomial (NB2)",
        }
    }
}

/// A series to analyse, in time order with no gaps.
#[derive(Debug, Clone, PartialEq)]
pub struct ItsData {
    /// Counts (whole and non-negative).
    pub counts: Vec<f64>,
    /// Index (0-based) of the first point under the intervention.
    pub intervention: usize,
    /// Exposure (e.g. population); its log is the offset.
    pub exposure: Option<Vec<f64>>,
    /// Position of each point in the seasonal cycle (e.g. month 1–12); needed for harmonics.
    pub season: Option<Vec<f64>>,
    /// Length of the seasonal cycle (12 for months).
    pub period: f64,
}

/// Model settings for [`fit`].
#[derive(Debug, Clone, PartialEq)]
pub struct ItsOptions {
    /// GLM family.
    pub family: Family,
    /// Number of Fourier harmonic pairs for seasonality (0 for none).
    pub harmonics: usize,
    /// Add a change in slope after the intervention.
    pub slope_change: bool,
    /// Confidence level of the intervals, e.g. 0.95.
    pub confidence: f64,
    /// IRLS iteration limit.
    pub max_iterations: usize,
}

impl Default for ItsOptions {
    fn default() -> Self {
        ItsOptions {
            family: Family::QuasiPoisson,
            harmonics: 0,
            slope_change: false,
            confidence: 0.95,
            max_iterations: 100,
        }
    }
}

/// A ratio (exp of a coefficient or combination) with its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Ratio {
    /// Point estimate.
    pub estimate: f64,
    /// Lower confidence limit.
    pub lower: f64,
    /// Upper confidence limit.
    pub upper: f64,
}

/// One model coefficient on the log scale.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coefficient {
    /// Term name.
    pub name: String,
    /// Estimate (log scale).
    pub estimate: f64,
    /// Standard error (scaled by √φ for quasi-Poisson).
    pub std_error: f64,
    /// Two-sided p-value (normal approximation).
    pub p_value: f64,
}

/// The rate ratio k periods into the intervention, exp(β₂ + kβ₃).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RateRatioAt {
    /// Periods since the intervention began (1 = first period under it).
    pub periods: usize,
    /// The ratio and its delta-method interval.
    pub ratio: Ratio,
}

/// Events averted: Σ(counterfactual − fitted) after the intervention.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EventsAverted {
    /// Point estimate (negative means more events than expected).
    pub estimate: f64,
    /// Lower limit (delta method).
    pub lower: f64,
    /// Upper limit (delta method).
    pub upper: f64,
    /// Events observed after the intervention.
    pub observed_after: f64,
    /// Counterfactual events after the intervention.
    pub counterfactual_after: f64,
}

/// Residual autocorrelation check on Pearson residuals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Autocorrelation {
    /// Autocorrelation at lags 1, 2, ….
    pub acf: Vec<f64>,
    /// Ljung–Box statistic over those lags.
    pub ljung_box: f64,
    /// Its p-value (χ² with as many degrees of freedom as lags).
    pub p_value: f64,
}

/// Everything [`fit`] computes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItsResult {
    /// Family fitted.
    pub family: Family,
    /// Points before the intervention.
    pub n_before: usize,
    /// Points from the intervention on.
    pub n_after: usize,
    /// Coefficients in design order.
    pub coefficients: Vec<Coefficient>,
    /// Covariance of the coefficients (scaled for quasi-Poisson).
    pub covariance: Vec<Vec<f64>>,
    /// φ: Pearson χ²/(n − p) (used to scale SEs only for quasi-Poisson).
    pub dispersion: f64,
    /// NB2 α, when fitted.
    pub alpha: Option<f64>,
    /// Underlying trend per period before the intervention, exp(β₁).
    pub trend: Ratio,
    /// Level change, exp(β₂).
    pub level_change: Ratio,
    /// Slope change per period, exp(β₃), when modelled.
    pub slope_change: Option<Ratio>,
    /// Rate ratios at chosen horizons (with a slope change: after 12 periods and at the end).
    pub rate_ratios: Vec<RateRatioAt>,
    /// Fitted means.
    pub fitted: Vec<f64>,
    /// Means with the intervention terms set to zero.
    pub counterfactual: Vec<f64>,
    /// Events averted after the intervention.
    pub events_averted: EventsAverted,
    /// Residual deviance.
    pub deviance: f64,
    /// Pearson χ².
    pub pearson_chi2: f64,
    /// IRLS iterations used (for NB2: in the final fit at the chosen α).
    pub iterations: usize,
    /// Residual autocorrelation check.
    pub autocorrelation: Autocorrelation,
    /// Things a reader must know.
    pub warnings: Vec<String>,
}

/// Why [`fit`] refused or failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ItsError {
    /// Fewer than 3 points on one side (Cochrane EPOC's absolute minimum).
    #[error(
        "{side} the intervention there are {n} point(s); at least 3 are needed (12 or more recommended)"
    )]
    TooFewPoints {
        /// "before" or "after".
        side: &'static str,
        /// Points on that side.
        n: usize,
    },
    /// A count is negative, not whole or not finite.
    #[error("count {index} (0-based) is {value}: counts must be whole and non-negative")]
    BadCount {
        /// Position.
        index: usize,
        /// The value.
        value: f64,
    },
    /// Every count on one side is zero, so no rate ratio can be estimated.
    #[error("there are no events {side} the intervention, so a rate ratio cannot be estimated")]
    NoEvents {
        /// "before" or "after".
        side: &'static str,
    },
    /// An exposure is not positive.
    #[error("exposure {index} (0-based) is {value}: exposures must be positive")]
    BadExposure {
        /// Position.
        index: usize,
        /// The value.
        value: f64,
    },
    /// Vectors of different lengths, or harmonics without season positions.
    #[error("{0}")]
    Shape(String),
    /// The design matrix is not of full rank.
    #[error(
        "the model cannot be fitted: its terms are not independent (too many harmonics for the data, or no variation)"
    )]
    Singular,
    /// IRLS did not converge.
    #[error("{family} fit did not converge after {iterations} iterations")]
    NonConvergence {
        /// Family label.
        family: &'static str,
        /// Iterations run.
        iterations: usize,
    },
}

struct Design {
    names: Vec<String>,
    rows: Vec<Vec<f64>>,
    counterfactual_rows: Vec<Vec<f64>>,
    offset: Vec<f64>,
}

fn design(data: &ItsData, options: &ItsOptions) -> Result<Design, ItsError> {
    let n = data.counts.len();
    let t0 = data.intervention as f64; // the last point before the intervention, counting from 1
    let mut names = vec![
        "intercept".to_string(),
        "time".to_string(),
        "level change".to_string(),
    ];
    if options.slope_change {
        names.push("slope change".into());
    }
    let season = match (options.harmonics, &data.season) {
        (0, _) => None,
        (_, Some(s)) if s.len() == n => Some(s),
        (_, Some(s)) => {
            return Err(ItsError::Shape(format!(
                "{} season positions for {n} counts",
                s.len()
            )));
        }
        (_, None) => {
            return Err(ItsError::Shape(
                "harmonics need the position of each point in the season".into(),
            ));
        }
    };
    for k in 1..=options.harmonics {
        names.push(format!("cos{k}"));
        names.push(format!("sin{k}"));
    }
    let mut rows = Vec::with_capacity(n);
    let mut counterfactual_rows = Vec::with_capacity(n);
    for i in 0..n {
        let t = (i + 1) as f64;
        let x = if i >= data.intervention { 1.0 } else { 0.0 };
        let mut row = vec![1.0, t, x];
        if options.slope_change {
            row.push((t - t0) * x);
        }
        if let Some(s) = season {
            for k in 1..=options.harmonics {
                let a = 2.0 * std::f64::consts::PI * k as f64 * s[i] / data.period;
                row.push(a.cos());
                row.push(a.sin());
            }
        }
        let mut cf = row.clone();
        cf[2] = 0.0;
        if options.slope_change {
            cf[3] = 0.0;
        }
        rows.push(row);
        counterfactual_rows.push(cf);
    }
    let offset = match &data.exposure {
        Some(e) if e.len() != n => {
            return Err(ItsError::Shape(format!(
                "{} exposures for {n} counts",
                e.len()
            )));
        }
        Some(e) => e.iter().map(|v| v.ln()).collect(),
        None => vec![0.0; n],
    };
    Ok(Design {
        names,
        rows,
        counterfactual_rows,
        offset,
    })
}

struct Irls {
    beta: Vec<f64>,
    mu: Vec<f64>,
    /// (XᵀWX)⁻¹ with the working weights at convergence.
    xtwx_inv: Vec<Vec<f64>>,
    iterations: usize,
}

#[allow(clippy::needless_range_loop)] // matrix code reads best with indices
/// IRLS for a log-link GLM with variance μ + αμ² (α = 0 is Poisson).
fn irls(
    y: &[f64],
    d: &Design,
    alpha: f64,
    max_iter: usize,
    family: &'static str,
    start: Option<&[f64]>,
) -> Result<Irls, ItsError> {
    let n = y.len();
    let p = d.names.len();
    let mean_y = y.iter().sum::<f64>() / n as f64;
    // Warm starts (from the fit at a nearby α) save most iterations in the search for α.
    let mut mu: Vec<f64> = match start {
        Some(m) => m.to_vec(),
        None => y.iter().map(|&v| (v + mean_y) / 2.0 + 0.1).collect(),
    };
    let mut eta: Vec<f64> = mu.iter().map(|m| m.ln()).collect();
    let mut beta = vec![0.0; p];
    let mut dev_old = f64::INFINITY;
    for iter in 1..=max_iter {
        let mut xtwx = vec![vec![0.0; p]; p];
        let mut xtwz = vec![0.0; p];
        for i in 0..n {
            let w = mu[i] / (1.0 + alpha * mu[i]);
            let z = eta[i] - d.offset[i] + (y[i] - mu[i]) / mu[i];
            let x = &d.rows[i];
            for a in 0..p {
                xtwz[a] += w * x[a] * z;
                for b in 0..=a {
                    xtwx[a][b] += w * x[a] * x[b];
                }
            }
        }
        for a in 0..p {
            for b in 0..a {
                xtwx[b][a] = xtwx[a][b];
            }
        }
        let l = linalg::cholesky(&xtwx).ok_or(ItsError::Singular)?;
        beta = linalg::cholesky_solve(&l, &xtwz);
        for i in 0..n {
            eta[i] = d.offset[i] + d.rows[i].iter().zip(&beta).map(|(x, b)| x * b).sum::<f64>();
            mu[i] = eta[i].exp();
        }
        if mu.iter().any(|m| !m.is_finite()) {
            return Err(ItsError::NonConvergence {
                family,
                iterations: iter,
            });
        }
        let dev = deviance(y, &mu, alpha);
        if (dev - dev_old).abs() <= 1e-12 * (dev.abs() + 0.1) {
            let xtwx_inv = weighted_inverse(d, &mu, alpha)?;
            return Ok(Irls {
                beta,
                mu,
                xtwx_inv,
                iterations: iter,
            });
        }
        dev_old = dev;
    }
    Err(ItsError::NonConvergence {
        family,
        iterations: max_iter,
    })
}

#[allow(clippy::needless_range_loop)]
fn weighted_inverse(d: &Design, mu: &[f64], alpha: f64) -> Result<Vec<Vec<f64>>, ItsError> {
    let p = d.names.len();
    let mut m = vec![vec![0.0; p]; p];
    for (x, &mui) in d.rows.iter().zip(mu) {
        let w = mui / (1.0 + alpha * mui);
        for a in 0..p {
            for b in 0..p {
                m[a][b] += w * x[a] * x[b];
            }
        }
    }
    let l = linalg::cholesky(&m).ok_or(ItsError::Singular)?;
    Ok(linalg::cholesky_inverse(&l))
}

/// Unit deviance summed: Poisson when α = 0, NB2 otherwise.
fn deviance(y: &[f64], mu: &[f64], alpha: f64) -> f64 {
    y.iter()
        .zip(mu)
        .map(|(&y, &m)| {
            let ylog = if y > 0.0 { y * (y / m).ln() } else { 0.0 };
            if alpha == 0.0 {
                2.0 * (ylog - (y - m))
            } else {
                // ln_1p keeps precision when α is tiny and the model is nearly Poisson.
                2.0 * (ylog - (y + 1.0 / alpha) * ((alpha * y).ln_1p() - (alpha * m).ln_1p()))
            }
        })
        .sum()
}

/// NB2 log-likelihood at means `mu` and dispersion α.
fn nb_loglik(y: &[f64], mu: &[f64], alpha: f64) -> f64 {
    let r = 1.0 / alpha;
    y.iter()
        .zip(mu)
        .map(|(&y, &m)| {
            special::ln_gamma(y + r)
                - special::ln_gamma(r)
                - special::ln_gamma(y + 1.0)
                - r * (m / r).ln_1p()
                + if y > 0.0 { y * (m / (r + m)).ln() } else { 0.0 }
        })
        .sum()
}

const ALPHA_MIN: f64 = 1e-8;
const ALPHA_MAX: f64 = 1e3;

/// α maximising the NB2 profile log-likelihood, by golden-section search on log α.
fn nb_alpha(y: &[f64], d: &Design, max_iter: usize) -> Result<f64, ItsError> {
    let family = Family::NegBin.label();
    let poisson = irls(y, d, 0.0, max_iter, family, None)?;
    let start = poisson.mu;
    let profile = |log_a: f64| -> Result<f64, ItsError> {
        let a = log_a.exp();
        let f = irls(y, d, a, max_iter, family, Some(&start))?;
        Ok(nb_loglik(y, &f.mu, a))
    };
    let (mut lo, mut hi) = (ALPHA_MIN.ln(), ALPHA_MAX.ln());
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = hi - g * (hi - lo);
    let mut e = lo + g * (hi - lo);
    let (mut fc, mut fe) = (profile(c)?, profile(e)?);
    // 50 golden steps shrink the bracket from 25 to about 1e-9 on the log scale: α to 8 digits.
    for _ in 0..50 {
        if fc > fe {
            hi = e;
            e = c;
            fe = fc;
            c = hi - g * (hi - lo);
            fc = profile(c)?;
        } else {
            lo = c;
            c = e;
            fc = fe;
            e = lo + g * (hi - lo);
            fe = profile(e)?;
        }
    }
    Ok(((lo + hi) / 2.0).exp())
}

/// Covariance of β for NB2 from the observed information of the joint (β, r = 1/α) likelihood, as
/// statsmodels' `NegativeBinomial` reports it: the β block of the inverse full Hessian.
#[allow(clippy::needless_range_loop)]
fn nb_observed_covariance(
    y: &[f64],
    d: &Design,
    mu: &[f64],
    alpha: f64,
) -> Result<Vec<Vec<f64>>, ItsError> {
    let p = d.names.len();
    let r = 1.0 / alpha;
    let mut jbb = vec![vec![0.0; p]; p];
    let mut jbr = vec![0.0; p];
    let mut jrr = 0.0;
    for ((x, &yi), &m) in d.rows.iter().zip(y).zip(mu) {
        let w = m * r * (r + yi) / ((r + m) * (r + m));
        let cross = -(yi - m) * m / ((r + m) * (r + m));
        for a in 0..p {
            jbr[a] += cross * x[a];
            for b in 0..p {
                jbb[a][b] += w * x[a] * x[b];
            }
        }
        jrr -= special::trigamma(yi + r) - special::trigamma(r) + 1.0 / r
            - 1.0 / (r + m)
            - (m - yi) / ((r + m) * (r + m));
    }
    if jrr > 0.0 {
        // Schur complement: the information about β once r is estimated too.
        for a in 0..p {
            for b in 0..p {
                jbb[a][b] -= jbr[a] * jbr[b] / jrr;
            }
        }
    }
    let l = linalg::cholesky(&jbb).ok_or(ItsError::Singular)?;
    Ok(linalg::cholesky_inverse(&l))
}

/// Fits the segmented regression and derives the effect estimates.
pub fn fit(data: &ItsData, options: &ItsOptions) -> Result<ItsResult, ItsError> {
    let n = data.counts.len();
    if data.intervention > n {
        return Err(ItsError::Shape(format!(
            "intervention index {} beyond {n} points",
            data.intervention
        )));
    }
    let n_before = data.intervention;
    let n_after = n - data.intervention;
    if n_before < 3 {
        return Err(ItsError::TooFewPoints {
            side: "before",
            n: n_before,
        });
    }
    if n_after < 3 {
        return Err(ItsError::TooFewPoints {
            side: "after",
            n: n_after,
        });
    }
    for (index, &value) in data.counts.iter().enumerate() {
        if !value.is_finite() || value < 0.0 || value.fract() != 0.0 {
            return Err(ItsError::BadCount { index, value });
        }
    }
    for (side, range) in [
        ("before", 0..data.intervention),
        ("after", data.intervention..n),
    ] {
        if data.counts[range].iter().all(|&c| c == 0.0) {
            return Err(ItsError::NoEvents { side });
        }
    }
    if let Some(e) = &data.exposure
        && let Some((index, &value)) = e
            .iter()
            .enumerate()
            .find(|(_, v)| !(v.is_finite() && **v > 0.0))
    {
        return Err(ItsError::BadExposure { index, value });
    }
    if !(options.confidence > 0.0 && options.confidence < 1.0) {
        return Err(ItsError::Shape(format!(
            "confidence level {} is not between 0 and 1",
            options.confidence
        )));
    }
    let d = design(data, options)?;
    let p = d.names.len();
    if n <= p {
        return Err(ItsError::Shape(format!(
            "{n} points cannot support {p} model terms"
        )));
    }
    let y = &data.counts;
    let mut warnings = Vec::new();
    if n_before < 12 || n_after < 12 {
        warnings.push(format!(
            "only {n_before} point(s) before and {n_after} after the intervention: 12 or more on each side are recommended, so treat the estimates with caution"
        ));
    }

    let family = options.family;
    let (alpha, fit) = match family {
        Family::NegBin => {
            let a = nb_alpha(y, &d, options.max_iterations)?;
            if a < ALPHA_MIN * 10.0 {
                warnings.push(
                    "no overdispersion found: α is at its lower bound and the model is Poisson"
                        .into(),
                );
            }
            (
                Some(a),
                irls(y, &d, a, options.max_iterations, family.label(), None)?,
            )
        }
        _ => (
            None,
            irls(y, &d, 0.0, options.max_iterations, family.label(), None)?,
        ),
    };
    let a = alpha.unwrap_or(0.0);
    let pearson_chi2: f64 = y
        .iter()
        .zip(&fit.mu)
        .map(|(&y, &m)| (y - m).powi(2) / (m + a * m * m))
        .sum();
    let dispersion = pearson_chi2 / (n - p) as f64;
    let covariance = match family {
        Family::Poisson => fit.xtwx_inv.clone(),
        Family::QuasiPoisson => fit
            .xtwx_inv
            .iter()
            .map(|r| r.iter().map(|v| v * dispersion).collect())
            .collect(),
        Family::NegBin => nb_observed_covariance(y, &d, &fit.mu, a)?,
    };
    if family == Family::Poisson && dispersion > 1.5 {
        warnings.push(format!(
            "the counts are overdispersed (φ = {dispersion:.2}): Poisson intervals are too narrow; use quasipoisson or negbin"
        ));
    }

    let z = special::normal_quantile(0.5 + options.confidence / 2.0);
    let se = |k: usize| covariance[k][k].sqrt();
    let ratio = |est: f64, s: f64| Ratio {
        estimate: est.exp(),
        lower: (est - z * s).exp(),
        upper: (est + z * s).exp(),
    };
    let coefficients: Vec<Coefficient> = d
        .names
        .iter()
        .enumerate()
        .map(|(k, name)| Coefficient {
            name: name.clone(),
            estimate: fit.beta[k],
            std_error: se(k),
            p_value: special::two_sided_p(fit.beta[k] / se(k)),
        })
        .collect();
    let trend = ratio(fit.beta[1], se(1));
    let level_change = ratio(fit.beta[2], se(2));
    let slope_change = options.slope_change.then(|| ratio(fit.beta[3], se(3)));
    let mut rate_ratios = Vec::new();
    if options.slope_change {
        let mut horizons = vec![n_after];
        if n_after > 12 {
            horizons.insert(0, 12);
        }
        for k in horizons {
            let mut g = vec![0.0; p];
            g[2] = 1.0;
            g[3] = k as f64;
            let est = fit.beta[2] + k as f64 * fit.beta[3];
            let s = linalg::quad_form(&g, &covariance, &g).sqrt();
            rate_ratios.push(RateRatioAt {
                periods: k,
                ratio: ratio(est, s),
            });
        }
    }

    let eta_of = |row: &[f64], i: usize| {
        d.offset[i] + row.iter().zip(&fit.beta).map(|(x, b)| x * b).sum::<f64>()
    };
    let counterfactual: Vec<f64> = (0..n)
        .map(|i| eta_of(&d.counterfactual_rows[i], i).exp())
        .collect();
    let mut grad = vec![0.0; p];
    let (mut cf_after, mut fit_after, mut obs_after) = (0.0, 0.0, 0.0);
    for i in data.intervention..n {
        cf_after += counterfactual[i];
        fit_after += fit.mu[i];
        obs_after += y[i];
        for (k, g) in grad.iter_mut().enumerate() {
            *g += counterfactual[i] * d.counterfactual_rows[i][k] - fit.mu[i] * d.rows[i][k];
        }
    }
    let averted = cf_after - fit_after;
    let averted_se = linalg::quad_form(&grad, &covariance, &grad).sqrt();
    let events_averted = EventsAverted {
        estimate: averted,
        lower: averted - z * averted_se,
        upper: averted + z * averted_se,
        observed_after: obs_after,
        counterfactual_after: cf_after,
    };

    let autocorrelation = residual_autocorrelation(y, &fit.mu, a, data.period);
    if autocorrelation.p_value < 0.05 {
        warnings.push(format!(
            "the residuals are autocorrelated (Ljung-Box p = {:.3}, lag-1 r = {:.2}): intervals may be too narrow; consider more seasonal terms or a model for autocorrelation",
            autocorrelation.p_value,
            autocorrelation.acf.first().copied().unwrap_or(0.0)
        ));
    }

    Ok(ItsResult {
        family,
        n_before,
        n_after,
        coefficients,
        covariance,
        dispersion,
        alpha,
        trend,
        level_change,
        slope_change,
        rate_ratios,
        deviance: deviance(y, &fit.mu, a),
        fitted: fit.mu,
        counterfactual,
        events_averted,
        pearson_chi2,
        iterations: fit.iterations,
        autocorrelation,
        warnings,
    })
}

/// ACF of Pearson residuals up to one seasonal cycle (at most n/4 lags) and the Ljung–Box test.
fn residual_autocorrelation(y: &[f64], mu: &[f64], alpha: f64, period: f64) -> Autocorrelation {
    let n = y.len();
    let r: Vec<f64> = y
        .iter()
        .zip(mu)
        .map(|(&y, &m)| (y - m) / (m + alpha * m * m).sqrt())
        .collect();
    let mean = r.iter().sum::<f64>() / n as f64;
    let c0: f64 = r.iter().map(|v| (v - mean).powi(2)).sum();
    let lags = ((period.round() as usize).max(1)).min(n / 4).max(1);
    let acf: Vec<f64> = (1..=lags)
        .map(|k| {
            if c0 == 0.0 {
                return 0.0;
            }
            (k..n)
                .map(|i| (r[i] - mean) * (r[i - k] - mean))
                .sum::<f64>()
                / c0
        })
        .collect();
    let nf = n as f64;
    let q = nf
        * (nf + 2.0)
        * acf
            .iter()
            .enumerate()
            .map(|(k, rk)| rk * rk / (nf - (k + 1) as f64))
            .sum::<f64>();
    Autocorrelation {
        p_value: special::chi2_sf(q, lags as f64),
        ljung_box: q,
        acf,
    }
}

/// Arguments of `concordat insight its`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// CSV file with a header row.
    #[arg(long)]
    pub input: PathBuf,
    /// Column holding the dates (YYYY-MM-DD, YYYY-MM or DD/MM/YYYY).
    #[arg(long)]
    pub date_column: String,
    /// Column holding the counts.
    #[arg(long)]
    pub count_column: String,
    /// First date under the intervention (must be a date in the file).
    #[arg(long, value_name = "DATE")]
    pub intervention: String,
    /// Exposure column such as population; its log is the offset.
    #[arg(long)]
    pub offset_column: Option<String>,
    /// GLM family.
    #[arg(long, value_enum, default_value_t = Family::QuasiPoisson)]
    pub family: Family,
    /// Fourier harmonic pairs for seasonality (period inferred: 12 for monthly, 52 weekly, 7 daily).
    #[arg(long, value_name = "K", default_value_t = 0)]
    pub seasonal: usize,
    /// Also model a change in slope after the intervention.
    #[arg(long)]
    pub slope_change: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write an SVG chart (observed, fitted, counterfactual) here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Chart title (defaults to the count column).
    #[arg(long)]
    pub title: Option<String>,
    /// Write the chart's data as an HTML table here (the accessible alternative to the chart).
    #[arg(long)]
    pub html: Option<PathBuf>,
}

/// Runs the command; the exit code is non-zero on failure.
pub fn run(args: Args) -> ExitCode {
    match run_inner(&args) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("concordat insight its: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Reads the CSV named in `args` into [`ItsData`] plus date labels.
pub fn load(args: &Args) -> Result<(ItsData, Vec<String>), String> {
    let mut cols = vec![(args.count_column.as_str(), ValueKind::Count)];
    if let Some(o) = &args.offset_column {
        cols.push((o.as_str(), ValueKind::Positive));
    }
    let series =
        input::read_series(&args.input, &args.date_column, &cols).map_err(|e| e.to_string())?;
    let date = input::parse_date(&args.intervention)
        .ok_or_else(|| format!("--intervention {:?}: not a date", args.intervention))?;
    let intervention = series
        .dates
        .iter()
        .position(|d| *d == date)
        .ok_or_else(|| {
            format!(
                "--intervention {date}: no row of {} has this date",
                args.input.display()
            )
        })?;
    let freq = series.frequency;
    let data = ItsData {
        counts: series.columns[0].clone(),
        intervention,
        exposure: series.columns.get(1).cloned(),
        season: Some(
            series
                .dates
                .iter()
                .map(|d| freq.season_position(*d))
                .collect(),
        ),
        period: freq.period() as f64,
    };
    Ok((
        data,
        series
            .dates
            .iter()
            .map(|d| input::date_label(*d, series.frequency))
            .collect(),
    ))
}

fn run_inner(args: &Args) -> Result<String, String> {
    let (data, labels) = load(args)?;
    let options = ItsOptions {
        family: args.family,
        harmonics: args.seasonal,
        slope_change: args.slope_change,
        ..ItsOptions::default()
    };
    let result = fit(&data, &options).map_err(|e| format!("{}: {e}", args.input.display()))?;
    if let Some(out) = &args.out {
        let title = args
            .title
            .clone()
            .unwrap_or_else(|| format!("{}: interrupted time series", args.count_column));
        let svg = crate::chart::its_chart(
            &title,
            &labels,
            &data.counts,
            &result.fitted,
            &result.counterfactual,
            data.intervention,
        );
        input::write_file(out, &svg)?;
    }
    if let Some(html) = &args.html {
        let (header, rows) = data_table(&labels, &data.counts, &result);
        let caption = args.title.clone().unwrap_or_else(|| {
            format!("{}: observed, fitted and counterfactual", args.count_column)
        });
        input::write_file(html, &crate::chart::html_table(&caption, &header, &rows))?;
    }
    Ok(match args.format {
        Format::Json => {
            #[derive(Serialize)]
            struct Out<'a> {
                dates: &'a [String],
                observed: &'a [f64],
                #[serde(flatten)]
                result: &'a ItsResult,
            }
            let mut s = serde_json::to_string_pretty(&Out {
                dates: &labels,
                observed: &data.counts,
                result: &result,
            })
            .map_err(|e| e.to_string())?;
            s.push('\n');
            s
        }
        Format::Csv => {
            let (header, rows) = data_table(&labels, &data.counts, &result);
            crate::chart::csv_table(&header, &rows)
        }
        Format::Table => report(&result, &labels, data.intervention, options.confidence),
    })
}

/// Observed, fitted and counterfactual values as a table, for [`crate::chart::html_table`] or
/// [`crate::chart::csv_table`]: the accessible alternative to the ITS chart.
pub fn data_table(
    labels: &[String],
    observed: &[f64],
    r: &ItsResult,
) -> (Vec<String>, Vec<Vec<String>>) {
    let header: Vec<String> = ["date", "observed", "fitted", "counterfactual"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let rows = labels
        .iter()
        .zip(observed)
        .zip(r.fitted.iter().zip(&r.counterfactual))
        .map(|((d, o), (f, c))| {
            vec![
                d.clone(),
                format!("{o}"),
                format!("{f:.4}"),
                format!("{c:.4}"),
            ]
        })
        .collect();
    (header, rows)
}

/// Plain-text report of a fit.
pub fn report(r: &ItsResult, labels: &[String], intervention: usize, confidence: f64) -> String {
    let pct = confidence * 100.0;
    let ci = |x: &Ratio| {
        format!(
            "{:.4} ({pct:.0}% CI {:.4} to {:.4})",
            x.estimate, x.lower, x.upper
        )
    };
    let mut s = format!(
        "Interrupted time series, {} model: {} points before and {} from {} on\n",
        r.family.label(),
        r.n_before,
        r.n_after,
        labels.get(intervention).map_or("?", |s| s.as_str())
    );
    s.push_str(&format!(
        "Level change (rate ratio):      {}\n",
        ci(&r.level_change)
    ));
    if let Some(sc) = &r.slope_change {
        s.push_str(&format!("Slope change (ratio per period): {}\n", ci(sc)));
    }
    s.push_str(&format!(
        "Underlying trend (per period):   {}\n",
        ci(&r.trend)
    ));
    for rr in &r.rate_ratios {
        s.push_str(&format!(
            "Rate ratio {} periods in:        {}\n",
            rr.periods,
            ci(&rr.ratio)
        ));
    }
    let e = &r.events_averted;
    s.push_str(&format!(
        "Events averted after the intervention: {:.0} ({pct:.0}% CI {:.0} to {:.0}); observed {:.0}, counterfactual {:.0}\n",
        e.estimate, e.lower, e.upper, e.observed_after, e.counterfactual_after
    ));
    s.push_str(&format!("Dispersion φ = {:.3}", r.dispersion));
    if let Some(a) = r.alpha {
        s.push_str(&format!(", NB2 α = {a:.5}"));
    }
    s.push_str(&format!(
        "; deviance {:.2}; {} IRLS iterations\n",
        r.deviance, r.iterations
    ));
    s.push_str(&format!(
        "Residual autocorrelation: lag-1 r = {:.3}, Ljung-Box Q = {:.2} on {} lags, p = {:.3}\n\n",
        r.autocorrelation.acf.first().copied().unwrap_or(0.0),
        r.autocorrelation.ljung_box,
        r.autocorrelation.acf.len(),
        r.autocorrelation.p_value
    ));
    let header: Vec<String> = ["term", "estimate", "std error", "p"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let rows: Vec<Vec<String>> = r
        .coefficients
        .iter()
        .map(|c| {
            vec![
                c.name.clone(),
                format!("{:.6}", c.estimate),
                format!("{:.6}", c.std_error),
                format!("{:.4}", c.p_value),
            ]
        })
        .collect();
    s.push_str(&crate::chart::text_table(&header, &rows));
    for w in &r.warnings {
        s.push_str(&format!("Warning: {w}\n"));
    }
    s
}
