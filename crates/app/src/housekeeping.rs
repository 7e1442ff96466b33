//! Housekeeping: purging what can never matter again (dead sessions, old sign-in failure counters),
//! in bounded batches, each batch in its own short transaction.
//!
//! `concordat serve` runs [`App::housekeeping`] on a timer and `concordat housekeeping run` runs it once.
//! The audit trail is never touched: its rows are append-only and the chain must stay whole.
//! Used or expired invitations are purged after [`INVITATION_KEEP_DAYS`] days.

use crate::{App, AppError};
use concordat_store::Tx;

/// Rows deleted per transaction by default: small enough that a backlog never holds SQLite's write lock
/// for long, large enough that a normal hour's expiries go in one batch.
pub const DEFAULT_BATCH: i64 = 500;

/// One kind of row that housekeeping deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purge {
    /// Sessions that are revoked, past their absolute expiry, or (browser sessions) idle too long.
    Sessions,
    /// Sign-in failure counters whose throttling window (the longest of them) has passed.
    SignInFailures,
    /// Invitations used or expired more than [`INVITATION_KEEP_DAYS`] days ago.
    Invitations,
}

/// Days a used or expired invitation stays listed for administrators before housekeeping removes it.
pub const INVITATION_KEEP_DAYS: i64 = 30;

impl Purge {
    /// Every purge, in the order a run does them.
    pub const ALL: [Purge; 3] = [Purge::Sessions, Purge::SignInFailures, Purge::Invitations];

    pub fn label(self) -> &'static str {
        match self {
            Purge::Sessions => "expired or revoked sessions",
            Purge::SignInFailures => "old sign-in failure counters",
            Purge::Invitations => "used or expired invitations",
        }
    }
}

/// What one housekeeping run deleted, per purge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HousekeepingReport {
    pub deleted: Vec<(Purge, u64)>,
    /// Transactions committed (one per batch).
    pub batches: u64,
}

impl HousekeepingReport {
    pub fn deleted_of(&self, purge: Purge) -> u64 {
        self.deleted
            .iter()
            .filter(|(p, _)| *p == purge)
            .map(|(_, n)| n)
            .sum()
    }

    pub fn total(&self) -> u64 {
        self.deleted.iter().map(|(_, n)| n).sum()
    }
}

impl App {
    /// Runs every purge as of `now_ms` (milliseconds since the epoch), `batch` rows per transaction
    /// (at least 1), until each purge finds nothing more to delete.
    pub async fn housekeeping(
        &self,
        now_ms: i64,
        batch: i64,
    ) -> Result<HousekeepingReport, AppError> {
        let batch = batch.max(1);
        let mut report = HousekeepingReport::default();
        for purge in Purge::ALL {
            let mut total = 0;
            loop {
                let mut tx = self.store.begin().await?;
                let n = self.purge_batch(&mut tx, purge, now_ms, batch).await?;
                tx.commit().await?;
                report.batches += 1;
                total += n;
                if n < u64::try_from(batch).unwrap_or(u64::MAX) {
                    break;
                }
            }
            report.deleted.push((purge, total));
        }
        tracing::info!(
            sessions = report.deleted_of(Purge::Sessions),
            sign_in_failures = report.deleted_of(Purge::SignInFailures),
            invitations = report.deleted_of(Purge::Invitations),
            batches = report.batches,
            "housekeeping done"
        );
        Ok(report)
    }

    async fn purge_batch(
        &self,
        tx: &mut Tx,
        purge: Purge,
        now: i64,
        batch: i64,
    ) -> Result<u64, AppError> {
        let millis = |d: std::time::Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2);
        Ok(match purge {
            Purge::Sessions => {
                tx.housekeeping_purge_sessions(now, now - millis(self.cfg.session_idle), batch)
                    .await?
            }
            Purge::SignInFailures => {
                // The account-wide lock counts over a longer window than the per-address throttles:
                // keep every counter until the longest window that may still read it has passed.
                let window = self.cfg.throttle_window.max(self.cfg.account_lock_window);
                tx.housekeeping_purge_sign_in_failures(now - millis(window), batch)
                    .await?
            }
            // Invitations are few (an administrator makes each by hand), so one statement removes them all.
            Purge::Invitations => {
                tx.invitations_purge(now - INVITATION_KEEP_DAYS * 24 * 3600 * 1000)
                    .await?
            }
        })
    }
}
