//! Counts for the partnership dashboard, nobody identified: queries on [`crate::Tx`].
//!
//! Counts come back per hour since the epoch (`time / 3_600_000`), so the app can put each hour in its
//! Europe/London month exactly (the UK's offsets from UTC are whole hours) without date arithmetic in SQL,
//! which SQLite and PostgreSQL do differently. Three years of hours is about 26,000 rows at most.
//! docs/measures.md defines each measure.

use crate::{Result, Tx};
use sqlx::Row;

/// The number of events in one hour: (hours since 1970-01-01 00:00 UTC, count).
pub type HourCount = (i64, i64);

impl Tx {
    /// Crisis contacts per hour of their call time. Drafts are left out: a draft is a record still being
    /// written, not yet a contact the partnership counts.
    pub async fn contacts_per_hour(&mut self) -> Result<Vec<HourCount>> {
        let q = self.q(
            "SELECT called_at / 3600000 AS h, COUNT(*) AS n FROM crisis_contacts WHERE status <> 'draft' GROUP BY called_at / 3600000 ORDER BY 1",
        );
        self.hour_counts(q).await
    }

    /// Detentions and removals under one power (`s136`, `s135_1`, …) per hour of the detention's start: one
    /// per episode, the unit the board and the Home Office return count, whatever the contact's outcome says.
    pub async fn detentions_per_hour(&mut self, power: &str) -> Result<Vec<HourCount>> {
        let q = self
            .q("SELECT detained_at / 3600000 AS h, COUNT(*) AS n FROM mha_episodes WHERE power = $1 GROUP BY detained_at / 3600000 ORDER BY 1")
            .bind(power.to_string());
        self.hour_counts(q).await
    }

    async fn hour_counts(&mut self, q: crate::tx::Query) -> Result<Vec<HourCount>> {
        self.all(q)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("h")?, r.try_get("n")?)))
            .collect()
    }
}
