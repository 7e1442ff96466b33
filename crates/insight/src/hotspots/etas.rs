//! The self-exciting point process ("ETAS") on a grid, fitted by EM exactly as analytics.md §3
//! gives it (after Mohler et al. 2011, 2015):
//!
//! λ_n(t) = μ_n + Σ_{tᵢ < t in cell n} θω·e^{−ω(t − tᵢ)}
//!
//! E-step: p_ij = θω·e^{−ω(t_j − t_i)}/λ_n(t_j), p_jj = μ_n/λ_n(t_j).
//! M-step: ω = Σp_ij / Σp_ij(t_j − t_i), θ = Σp_ij / N, μ_n = Σ_j p_jj / T.
//! Start: θ = 0.5, ω = 1/day, μ_n = N_n/T.
//!
//! The sums over pairs are computed exactly, without truncating old pairs, by the recursions
//! S_j = e^{−ωΔ}(S_{j−1} + 1) and D_j = e^{−ωΔ}(D_{j−1} + Δ(S_{j−1} + 1)) with Δ = t_j − t_{j−1},
//! where S_j = Σ_{i<j} e^{−ω(t_j−t_i)} and D_j = Σ_{i<j} (t_j−t_i)e^{−ω(t_j−t_i)}: O(N) per iteration.

/// Fitted parameters and how the fit went.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EtasFit {
    /// Background rate per cell, incidents per day.
    pub mu: Vec<f64>,
    /// Expected number of incidents each incident triggers (also the share of incidents the model
    /// attributes to triggering, Σp_ij / N).
    pub theta: f64,
    /// Decay rate of triggering, per day (mean delay 1/ω days).
    pub omega: f64,
    /// EM iterations run.
    pub iterations: usize,
    /// Whether the log-likelihood settled before the iteration cap.
    pub converged: bool,
    /// Final log-likelihood (with each event's triggered mass counted in full, ignoring the edge
    /// at the end of the period, as the M-step does).
    pub log_likelihood: f64,
    /// Length of the training period, days.
    pub period_days: f64,
}

/// EM settings.
#[derive(Debug, Clone, Copy)]
pub struct EmConfig {
    /// Iteration cap; hitting it is reported, not hidden.
    pub max_iterations: usize,
    /// Stop when the log-likelihood changes by less than this, relatively.
    pub tolerance: f64,
}

impl Default for EmConfig {
    fn default() -> Self {
        EmConfig {
            max_iterations: 500,
            tolerance: 1e-9,
        }
    }
}

/// Events grouped by cell, each cell's times sorted, in days from the start of the period.
pub fn by_cell(events: &[(f64, usize)], cells: usize) -> Vec<Vec<f64>> {
    let mut out = vec![Vec::new(); cells];
    for &(t, c) in events {
        if c < cells {
            out[c].push(t);
        }
    }
    for v in &mut out {
        v.sort_by(f64::total_cmp);
    }
    out
}

fn log_likelihood(times: &[Vec<f64>], mu: &[f64], theta: f64, omega: f64, period: f64) -> f64 {
    let mut ll = 0.0;
    for (ts, &m) in times.iter().zip(mu) {
        let mut s = 0.0;
        let mut prev = f64::NAN;
        for (j, &t) in ts.iter().enumerate() {
            if j > 0 {
                s = (-omega * (t - prev)).exp() * (s + 1.0);
            }
            prev = t;
            ll += (m + theta * omega * s).max(f64::MIN_POSITIVE).ln();
            // Each event's triggered mass counted in full (θ), not cut at the period's end: this
            // is the likelihood the M-step θ = Σp_ij/N maximises, so EM climbs it monotonically.
            ll -= theta;
        }
        ll -= m * period;
    }
    ll
}

/// Fits the model to events in `[0, period_days)`, given per cell as sorted times in days.
pub fn fit(times: &[Vec<f64>], period_days: f64, cfg: &EmConfig) -> EtasFit {
    let n_total: usize = times.iter().map(Vec::len).sum();
    let period = period_days.max(f64::MIN_POSITIVE);
    let mut mu: Vec<f64> = times.iter().map(|ts| ts.len() as f64 / period).collect();
    let mut theta = 0.5;
    let mut omega = 1.0;
    let mut ll = log_likelihood(times, &mu, theta, omega, period);
    let mut iterations = 0;
    let mut converged = n_total == 0;
    while !converged && iterations < cfg.max_iterations {
        iterations += 1;
        let (mut sum_p, mut sum_pt) = (0.0, 0.0);
        let mut next_mu = vec![0.0; mu.len()];
        for (n, ts) in times.iter().enumerate() {
            let (mut s, mut d) = (0.0, 0.0);
            let mut bg = 0.0;
            for (j, &t) in ts.iter().enumerate() {
                if j > 0 {
                    let delta = t - ts[j - 1];
                    let decay = (-omega * delta).exp();
                    d = decay * (d + delta * (s + 1.0));
                    s = decay * (s + 1.0);
                }
                let trig = theta * omega * s;
                let lambda = mu[n] + trig;
                if lambda > 0.0 {
                    sum_p += trig / lambda;
                    sum_pt += theta * omega * d / lambda;
                    bg += mu[n] / lambda;
                }
            }
            next_mu[n] = bg / period;
        }
        mu = next_mu;
        theta = sum_p / n_total as f64;
        if sum_pt > 0.0 {
            omega = sum_p / sum_pt;
        } else {
            // Nothing left to attribute to triggering: the model is a plain Poisson per cell.
            theta = 0.0;
        }
        let next_ll = log_likelihood(times, &mu, theta, omega, period);
        converged = (next_ll - ll).abs() <= cfg.tolerance * (1.0 + ll.abs());
        ll = next_ll;
    }
    EtasFit {
        mu,
        theta,
        omega,
        iterations,
        converged,
        log_likelihood: ll,
        period_days: period,
    }
}

impl EtasFit {
    /// Expected incidents per cell in `[start, end)` days, given the history `times` (all before
    /// `start`): background plus the first generation triggered by past incidents.
    pub fn expected(&self, times: &[Vec<f64>], start: f64, end: f64) -> Vec<f64> {
        let width = (end - start).max(0.0);
        let tail = 1.0 - (-self.omega * width).exp();
        times
            .iter()
            .zip(&self.mu)
            .map(|(ts, &m)| {
                let s: f64 = ts
                    .iter()
                    .filter(|&&t| t < start)
                    .map(|&t| (-self.omega * (start - t)).exp())
                    .sum();
                m * width + self.theta * s * tail
            })
            .collect()
    }

    /// Conditional intensity in each cell at time `t` (per day).
    pub fn intensity(&self, times: &[Vec<f64>], t: f64) -> Vec<f64> {
        times
            .iter()
            .zip(&self.mu)
            .map(|(ts, &m)| {
                m + ts
                    .iter()
                    .filter(|&&ti| ti < t)
                    .map(|&ti| self.theta * self.omega * (-self.omega * (t - ti)).exp())
                    .sum::<f64>()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Simulates a Hawkes process per cell by branching: background Poisson(μT) uniform in time,
    /// each event with Poisson(θ) children after Exp(ω) delays.
    fn simulate(mu: &[f64], theta: f64, omega: f64, period: f64, seed: u64) -> Vec<Vec<f64>> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        mu.iter()
            .map(|&m| {
                let n = crate::forecast::synth::poisson(&mut rng, m * period);
                let mut all: Vec<f64> = (0..n).map(|_| rng.random::<f64>() * period).collect();
                let mut queue = all.clone();
                while let Some(t) = queue.pop() {
                    for _ in 0..crate::forecast::synth::poisson(&mut rng, theta) {
                        let u: f64 = rng.random::<f64>().max(1e-300);
                        let c = t - u.ln() / omega;
                        if c < period {
                            all.push(c);
                            queue.push(c);
                        }
                    }
                }
                all.sort_by(f64::total_cmp);
                all
            })
            .collect()
    }

    #[test]
    fn recursions_match_brute_force_sums() {
        let ts: [f64; 5] = [0.0, 0.5, 0.5, 2.0, 3.25];
        let omega: f64 = 0.7;
        let (mut s, mut d) = (0.0, 0.0);
        for j in 1..ts.len() {
            let delta = ts[j] - ts[j - 1];
            let decay = (-omega * delta).exp();
            d = decay * (d + delta * (s + 1.0));
            s = decay * (s + 1.0);
            let bs: f64 = (0..j).map(|i| (-omega * (ts[j] - ts[i])).exp()).sum();
            let bd: f64 = (0..j)
                .map(|i| (ts[j] - ts[i]) * (-omega * (ts[j] - ts[i])).exp())
                .sum();
            assert!((s - bs).abs() < 1e-12 && (d - bd).abs() < 1e-12, "{j}");
        }
    }

    #[test]
    fn em_recovers_known_parameters() {
        let mu: Vec<f64> = (0..40).map(|i| 0.02 + 0.01 * (i % 5) as f64).collect();
        let times = simulate(&mu, 0.4, 0.5, 2000.0, 7);
        let f = fit(&times, 2000.0, &EmConfig::default());
        assert!(f.converged, "{} iterations", f.iterations);
        assert!((f.theta - 0.4).abs() < 0.06, "theta {}", f.theta);
        assert!((f.omega - 0.5).abs() < 0.12, "omega {}", f.omega);
        let total_mu: f64 = f.mu.iter().sum();
        let true_mu: f64 = mu.iter().sum();
        assert!(
            (total_mu / true_mu - 1.0).abs() < 0.1,
            "{total_mu} vs {true_mu}"
        );
    }

    #[test]
    fn em_never_lowers_the_likelihood() {
        let mu = vec![0.05; 10];
        let times = simulate(&mu, 0.3, 1.0, 500.0, 3);
        let mut last = f64::NEG_INFINITY;
        for iters in [1, 2, 5, 10, 30] {
            let f = fit(
                &times,
                500.0,
                &EmConfig {
                    max_iterations: iters,
                    tolerance: 0.0,
                },
            );
            assert!(f.log_likelihood >= last - 1e-6, "{iters}");
            last = f.log_likelihood;
        }
    }

    #[test]
    fn expected_counts_add_triggering_to_background() {
        let f = EtasFit {
            mu: vec![0.1, 0.1],
            theta: 0.5,
            omega: 1.0,
            iterations: 0,
            converged: true,
            log_likelihood: 0.0,
            period_days: 10.0,
        };
        let times = vec![vec![9.5], vec![]];
        let e = f.expected(&times, 10.0, 17.0);
        assert!((e[1] - 0.7).abs() < 1e-12);
        let trig = 0.5 * (-0.5f64).exp() * (1.0 - (-7.0f64).exp());
        assert!((e[0] - 0.7 - trig).abs() < 1e-12);
    }
}
