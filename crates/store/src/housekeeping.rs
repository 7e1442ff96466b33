//! Housekeeping: deleting rows that can never matter again, in bounded batches.
//!
//! Each method deletes at most `batch` rows and returns how many it deleted; the caller runs it in its own
//! short transaction and repeats until a batch comes back short, so a large backlog never holds the write lock
//! for long. Nothing here touches the audit trail: `audit_events` is append-only (its triggers refuse deletes)
//! and the audit chain must be kept whole.

use crate::{Result, Tx};

impl Tx {
    /// Deletes up to `batch` sessions that can never be used again: revoked, past their absolute expiry, or
    /// (cookie sessions only) last seen before `idle_before`.
    pub async fn housekeeping_purge_sessions(
        &mut self,
        now: i64,
        idle_before: i64,
        batch: i64,
    ) -> Result<u64> {
        let q = self
            .q("DELETE FROM sessions WHERE token_hash IN (SELECT token_hash FROM sessions WHERE revoked = $1 OR expires_at <= $2 OR (kind = 'cookie' AND last_seen_at < $3) LIMIT $4)")
            .bind(true)
            .bind(now)
            .bind(idle_before)
            .bind(batch);
        self.exec(q).await
    }

    /// Deletes up to `batch` sign-in failure counters whose window began before `window_start`: the
    /// throttle no longer counts them (a new failure would start a new window anyway).
    pub async fn housekeeping_purge_sign_in_failures(
        &mut self,
        window_start: i64,
        batch: i64,
    ) -> Result<u64> {
        let q = self
            .q("DELETE FROM sign_in_failures WHERE key IN (SELECT key FROM sign_in_failures WHERE window_start < $1 LIMIT $2)")
            .bind(window_start)
            .bind(batch);
        self.exec(q).await
    }

    /// How many rows a table holds (for housekeeping tests and reports); only the tables housekeeping
    /// purges, plus the audit trail it must leave alone.
    pub async fn housekeeping_count(&mut self, table: HousekeptTable) -> Result<i64> {
        use sqlx::Row;
        let sql = match table {
            HousekeptTable::Sessions => "SELECT COUNT(*) AS n FROM sessions",
            HousekeptTable::SignInFailures => "SELECT COUNT(*) AS n FROM sign_in_failures",
            HousekeptTable::AuditEvents => "SELECT COUNT(*) AS n FROM audit_events",
        };
        Ok(self.one(self.q(sql)).await?.try_get("n")?)
    }
}

/// The tables [`Tx::housekeeping_count`] can count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HousekeptTable {
    Sessions,
    SignInFailures,
    AuditEvents,
}
