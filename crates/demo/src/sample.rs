//! Small sampling helpers over one seeded generator, so the crate needs no distribution library.

use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The generator every stage uses.
pub(crate) type DemoRng = ChaCha8Rng;

/// A generator for one stage. Each stage has its own stream, so changing one stage leaves the others' output alone.
pub(crate) fn stage_rng(seed: u64, stage: u64) -> DemoRng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stage);
    rng
}

/// Uniform in [0, 1).
pub(crate) fn unit(rng: &mut DemoRng) -> f64 {
    rng.random::<f64>()
}

/// Standard normal (Box–Muller).
pub(crate) fn normal(rng: &mut DemoRng) -> f64 {
    let u1 = 1.0 - unit(rng); // (0, 1]: ln is finite
    let u2 = unit(rng);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Log-normal with the given median and log-scale spread.
pub(crate) fn lognormal(rng: &mut DemoRng, median: f64, sigma: f64) -> f64 {
    median * (sigma * normal(rng)).exp()
}

/// Poisson count. Knuth's method is exact and fast for the small means used here (well under 30);
/// larger means fall back to a rounded normal approximation.
pub(crate) fn poisson(rng: &mut DemoRng, mean: f64) -> u32 {
    if mean <= 0.0 {
        return 0;
    }
    if mean > 30.0 {
        let x = mean + mean.sqrt() * normal(rng);
        return x.round().max(0.0) as u32;
    }
    let limit = (-mean).exp();
    let mut k = 0u32;
    let mut p = unit(rng);
    while p > limit {
        k += 1;
        p *= unit(rng);
    }
    k
}

/// True with probability `p`.
pub(crate) fn chance(rng: &mut DemoRng, p: f64) -> bool {
    unit(rng) < p
}

/// Index drawn in proportion to `weights`; 0 when all weights are zero or the slice is empty.
pub(crate) fn weighted(rng: &mut DemoRng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    if weights.is_empty() || total <= 0.0 {
        return 0;
    }
    let mut target = unit(rng) * total;
    for (i, w) in weights.iter().enumerate() {
        if target < *w {
            return i;
        }
        target -= w;
    }
    weights.len() - 1
}

/// A random element of a non-empty slice of strings; "" for an empty slice.
pub(crate) fn pick<'a>(rng: &mut DemoRng, items: &[&'a str]) -> &'a str {
    if items.is_empty() {
        return "";
    }
    items[rng.random_range(0..items.len())]
}

/// Cumulative weights for repeated draws by binary search (used where one table serves thousands of draws).
pub(crate) struct Cumulative {
    totals: Vec<f64>,
}

impl Cumulative {
    pub(crate) fn new(weights: impl IntoIterator<Item = f64>) -> Self {
        let mut acc = 0.0;
        let totals = weights
            .into_iter()
            .map(|w| {
                acc += w.max(0.0);
                acc
            })
            .collect();
        Self { totals }
    }

    /// Index drawn in proportion to the weights; `None` when every weight is zero.
    pub(crate) fn draw(&self, rng: &mut DemoRng) -> Option<usize> {
        let total = *self.totals.last()?;
        if total <= 0.0 {
            return None;
        }
        let target = unit(rng) * total;
        let i = self.totals.partition_point(|t| *t <= target);
        Some(i.min(self.totals.len() - 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_mean_is_close() {
        let mut rng = stage_rng(7, 0);
        let n = 20_000;
        let total: u32 = (0..n).map(|_| poisson(&mut rng, 0.6)).sum();
        let mean = f64::from(total) / f64::from(n);
        assert!((mean - 0.6).abs() < 0.03, "{mean}");
    }

    #[test]
    fn cumulative_respects_weights() {
        let mut rng = stage_rng(7, 1);
        let table = Cumulative::new([0.0, 3.0, 1.0]);
        let mut counts = [0u32; 3];
        for _ in 0..8_000 {
            counts[table.draw(&mut rng).unwrap()] += 1;
        }
        assert_eq!(counts[0], 0);
        let ratio = f64::from(counts[1]) / f64::from(counts[2]);
        assert!((2.6..3.4).contains(&ratio), "{counts:?}");
        assert!(Cumulative::new([0.0]).draw(&mut rng).is_none());
    }
}
