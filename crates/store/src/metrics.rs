//! Figures the store keeps for `/metrics`: how long audit appends take (a histogram), and pool use.
//! Plain atomics, process-wide: recording costs a few atomic additions and takes no lock.

use crate::Store;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the audit append histogram's buckets, in seconds (the last bucket, +Inf, is implied).
pub const AUDIT_APPEND_BUCKETS: [f64; 10] = [
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

static BUCKETS: [AtomicU64; 10] = [const { AtomicU64::new(0) }; 10];
static COUNT: AtomicU64 = AtomicU64::new(0);
static SUM_MICROS: AtomicU64 = AtomicU64::new(0);

/// A histogram as Prometheus counts it: cumulative counts per upper bound, the total count and the sum.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramSnapshot {
    /// (upper bound in seconds, appends that took at most that long), cumulative, in order.
    pub buckets: Vec<(f64, u64)>,
    pub count: u64,
    pub sum_seconds: f64,
}

pub(crate) fn record_audit_append(took: Duration) {
    let secs = took.as_secs_f64();
    // Stored per bucket (non-cumulative); the snapshot adds them up.
    if let Some(i) = AUDIT_APPEND_BUCKETS.iter().position(|b| secs <= *b) {
        BUCKETS[i].fetch_add(1, Ordering::Relaxed);
    }
    COUNT.fetch_add(1, Ordering::Relaxed);
    SUM_MICROS.fetch_add(
        u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
        Ordering::Relaxed,
    );
}

/// How long audit appends (in this process) have taken: from reading the chain head to writing the new
/// head, so on PostgreSQL it includes waiting for the head's row lock.
pub fn audit_append_histogram() -> HistogramSnapshot {
    let mut running = 0;
    let buckets = AUDIT_APPEND_BUCKETS
        .iter()
        .zip(&BUCKETS)
        .map(|(b, n)| {
            running += n.load(Ordering::Relaxed);
            (*b, running)
        })
        .collect();
    HistogramSnapshot {
        buckets,
        count: COUNT.load(Ordering::Relaxed),
        // Micros to seconds: precise enough for a sum of durations.
        #[allow(clippy::cast_precision_loss)]
        sum_seconds: SUM_MICROS.load(Ordering::Relaxed) as f64 / 1e6,
    }
}

/// The connection pool's use at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections open now (idle plus in use).
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

impl Store {
    /// The connection pool's use now (for `/metrics`).
    pub fn pool_stats(&self) -> PoolStats {
        let idle = u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX);
        PoolStats {
            open: self.pool.size(),
            idle,
            max: self.pool.options().get_max_connections(),
        }
    }
}
