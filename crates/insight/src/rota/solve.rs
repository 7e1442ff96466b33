//! Maximal covering over the 168 hours of the week (analytics.md §4): choose at most K shifts of L
//! hours (starting on any allowed hour, wrapping round the week) to maximise covered demand.
//!
//! maximise Σ d_t·y_t  subject to  y_t ≤ Σ_s a_ts·x_s,  Σ x_s ≤ K,  x binary,  0 ≤ y_t ≤ 1.
//!
//! Solved exactly with good_lp's pure-Rust microlp backend, and greedily; covered demand is a
//! monotone submodular function of the chosen set, so greedy is within (1 − 1/e) of the optimum.

use good_lp::{Expression, ProblemVariables, Solution, SolverModel, microlp, variable};

/// Hours in a week.
pub const WEEK: usize = 168;

/// The guarantee of the greedy algorithm for maximal covering: greedy ≥ (1 − 1/e)·optimum.
pub fn greedy_bound() -> f64 {
    1.0 - (-1.0f64).exp()
}

/// A rota problem: demand per hour of week and the shape of shifts.
#[derive(Debug, Clone)]
pub struct Problem {
    /// Expected demand in each hour of the week (index 0 = Monday 00:00).
    pub demand: [f64; WEEK],
    /// Maximum number of shifts (K).
    pub shifts: usize,
    /// Shift length in hours (L).
    pub length: usize,
    /// Shifts may start only on hours that are multiples of this (1 = any hour).
    pub start_every: usize,
}

/// A chosen set of shifts.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Plan {
    /// Start hours of week, sorted.
    pub starts: Vec<usize>,
    /// Demand in covered hours.
    pub covered: f64,
}

/// Why a rota could not be planned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RotaError {
    /// A setting is out of range.
    #[error("{0}")]
    Setting(String),
    /// The MILP solver failed; the message is the solver's.
    #[error("MILP solver failed: {0}")]
    Solver(String),
}

impl Problem {
    /// Checks the settings.
    pub fn validate(&self) -> Result<(), RotaError> {
        if self.shifts == 0 {
            return Err(RotaError::Setting("need at least one shift".into()));
        }
        if self.length == 0 || self.length > WEEK {
            return Err(RotaError::Setting(format!(
                "shift length must be 1 to 168 hours, got {}",
                self.length
            )));
        }
        if self.start_every == 0 || !WEEK.is_multiple_of(self.start_every) {
            return Err(RotaError::Setting(format!(
                "shift starts every {} hours does not divide the 168-hour week",
                self.start_every
            )));
        }
        if self.demand.iter().any(|d| !d.is_finite() || *d < 0.0) {
            return Err(RotaError::Setting(
                "demand must be finite and non-negative".into(),
            ));
        }
        Ok(())
    }

    /// Allowed start hours.
    pub fn candidates(&self) -> Vec<usize> {
        (0..WEEK).step_by(self.start_every.max(1)).collect()
    }

    /// Hours covered by a set of starts.
    pub fn covered_hours(&self, starts: &[usize]) -> [bool; WEEK] {
        let mut c = [false; WEEK];
        for &s in starts {
            for j in 0..self.length {
                c[(s + j) % WEEK] = true;
            }
        }
        c
    }

    /// Demand covered by a set of starts (hours covered twice count once).
    pub fn coverage(&self, starts: &[usize]) -> f64 {
        self.covered_hours(starts)
            .iter()
            .zip(&self.demand)
            .filter(|(c, _)| **c)
            .map(|(_, d)| d)
            .sum()
    }

    /// Total weekly demand.
    pub fn total(&self) -> f64 {
        self.demand.iter().sum()
    }
}

/// Greedy: add, K times, the shift that covers the most still-uncovered demand (earliest start on
/// ties); stops early once nothing more can be covered.
pub fn greedy(p: &Problem) -> Result<Plan, RotaError> {
    p.validate()?;
    let mut starts: Vec<usize> = Vec::new();
    let mut covered = [false; WEEK];
    for _ in 0..p.shifts {
        let mut best: Option<(usize, f64)> = None;
        for s in p.candidates() {
            if starts.contains(&s) {
                continue;
            }
            let gain: f64 = (0..p.length)
                .map(|j| (s + j) % WEEK)
                .filter(|&t| !covered[t])
                .map(|t| p.demand[t])
                .sum();
            if best.is_none_or(|(_, g)| gain > g) {
                best = Some((s, gain));
            }
        }
        match best {
            Some((s, gain)) if gain > 0.0 => {
                starts.push(s);
                for j in 0..p.length {
                    covered[(s + j) % WEEK] = true;
                }
            }
            _ => break,
        }
    }
    starts.sort_unstable();
    Ok(Plan {
        covered: p.coverage(&starts),
        starts,
    })
}

/// Exact: the MILP above, solved by microlp (branch and bound on the simplex).
pub fn exact(p: &Problem) -> Result<Plan, RotaError> {
    p.validate()?;
    let candidates = p.candidates();
    let mut vars = ProblemVariables::new();
    let x: Vec<_> = candidates
        .iter()
        .map(|_| vars.add(variable().binary()))
        .collect();
    let y: Vec<_> = (0..WEEK)
        .map(|_| vars.add(variable().min(0.0).max(1.0)))
        .collect();
    let objective: Expression = y.iter().zip(&p.demand).map(|(v, d)| *v * *d).sum();
    let mut model = vars.maximise(objective).using(microlp);
    for (t, yt) in y.iter().enumerate() {
        let cover: Expression = candidates
            .iter()
            .zip(&x)
            .filter(|(s, _)| (t + WEEK - **s) % WEEK < p.length)
            .map(|(_, xs)| *xs)
            .sum();
        model = model.with((*yt - cover).leq(0.0));
    }
    let count: Expression = x.iter().copied().sum();
    model = model.with(count.leq(p.shifts as f64));
    let solution = model
        .solve()
        .map_err(|e| RotaError::Solver(e.to_string()))?;
    let mut starts: Vec<usize> = candidates
        .iter()
        .zip(&x)
        .filter(|(_, xs)| solution.value(**xs) > 0.5)
        .map(|(s, _)| *s)
        .collect();
    starts.sort_unstable();
    // Recomputed from the chosen shifts rather than read from y, so rounding in the solver cannot
    // overstate coverage.
    Ok(Plan {
        covered: p.coverage(&starts),
        starts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn random_problem(seed: u64, shifts: usize, length: usize) -> Problem {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut demand = [0.0; WEEK];
        for (t, d) in demand.iter_mut().enumerate() {
            let evening = if (18..24).contains(&(t % 24)) {
                2.0
            } else {
                0.0
            };
            *d = evening + rng.random::<f64>() * 3.0;
        }
        Problem {
            demand,
            shifts,
            length,
            start_every: 1,
        }
    }

    fn brute_force_two(p: &Problem) -> f64 {
        let mut best = 0.0_f64;
        for a in 0..WEEK {
            for b in a + 1..WEEK {
                best = best.max(p.coverage(&[a, b]));
            }
        }
        best
    }

    #[test]
    fn exact_matches_brute_force_and_beats_greedy() {
        for seed in 0..3 {
            let p = random_problem(seed, 2, 8);
            let e = exact(&p).unwrap();
            let g = greedy(&p).unwrap();
            let bf = brute_force_two(&p);
            assert!(
                (e.covered - bf).abs() < 1e-6,
                "seed {seed}: {} vs {bf}",
                e.covered
            );
            assert!(g.covered <= e.covered + 1e-9);
            assert!(g.covered >= greedy_bound() * e.covered);
            assert!(e.starts.len() <= 2);
        }
    }

    #[test]
    fn shifts_wrap_round_the_week() {
        let mut demand = [0.0; WEEK];
        // Sunday 22:00 to Monday 04:00.
        for t in [166, 167, 0, 1, 2, 3] {
            demand[t] = 1.0;
        }
        let p = Problem {
            demand,
            shifts: 1,
            length: 8,
            start_every: 1,
        };
        let e = exact(&p).unwrap();
        assert_eq!(e.covered, 6.0);
        let g = greedy(&p).unwrap();
        assert_eq!(g.covered, 6.0);
        // Greedy takes the earliest start that covers all six hours: Sunday 20:00.
        assert_eq!(g.starts, vec![164]);
    }

    #[test]
    fn greedy_can_be_beaten() {
        // Demand 1, 3, 3, 1 at hours 10–13 and two 2-hour shifts: greedy grabs the middle pair
        // (6) and then one more hour (1); the optimum splits the run (1 + 3 + 3 + 1).
        let mut demand = [0.0; WEEK];
        demand[10..14].copy_from_slice(&[1.0, 3.0, 3.0, 1.0]);
        let p = Problem {
            demand,
            shifts: 2,
            length: 2,
            start_every: 1,
        };
        let g = greedy(&p).unwrap();
        let e = exact(&p).unwrap();
        assert_eq!(g.covered, 7.0);
        assert_eq!(e.covered, 8.0);
        assert_eq!(e.starts, vec![10, 12]);
        assert!(g.covered >= greedy_bound() * e.covered);
    }

    #[test]
    fn coarse_start_hours_are_respected() {
        let p = Problem {
            start_every: 4,
            ..random_problem(11, 3, 6)
        };
        let e = exact(&p).unwrap();
        let g = greedy(&p).unwrap();
        assert!(e.covered + 1e-9 >= g.covered);
        assert!(e.starts.iter().chain(&g.starts).all(|s| s % 4 == 0));
    }

    #[test]
    fn bad_settings_are_refused() {
        let p = Problem {
            demand: [1.0; WEEK],
            shifts: 0,
            length: 8,
            start_every: 1,
        };
        assert!(exact(&p).is_err());
        let p = Problem {
            shifts: 1,
            start_every: 5,
            ..p
        };
        assert!(greedy(&p).is_err());
        let mut p = Problem {
            start_every: 1,
            ..p
        };
        p.demand[3] = f64::NAN;
        assert!(greedy(&p).is_err());
    }
}
