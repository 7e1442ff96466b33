//! Care teams (queries on [`crate::Tx`]): who is in a person's care team now, and the history of who
//! was, with who started and ended each membership and why. Rows are never deleted; a membership ends.
//! Every query that decides access counts only current rows (`ended_at IS NULL`).

use crate::{Result, StoreError, Tx};
use concordat_domain::model::{OrgId, PersonId, UserId};
use sqlx::Row;

/// One membership of a person's care team, current (`ended_at` is `None`) or ended.
#[derive(Debug, Clone)]
pub struct CareTeamRow {
    pub id: i64,
    pub user_id: UserId,
    pub display_name: String,
    /// Milliseconds since the epoch; 0 for memberships recorded before history was kept.
    pub started_at: i64,
    pub started_by: Option<String>,
    pub ended_at: Option<i64>,
    pub ended_by: Option<String>,
    pub ended_reason: Option<String>,
}

/// A clinician of an organisation who may be added to its people's care teams.
#[derive(Debug, Clone)]
pub struct Clinician {
    pub user_id: UserId,
    pub display_name: String,
}

impl Tx {
    /// Adds `user` to `person`'s care team now, by nobody in particular (demo loading, the command line).
    pub async fn care_team_add(&mut self, person: PersonId, user: UserId) -> Result<()> {
        let now = chrono::Utc::now().timestamp_millis();
        self.care_team_start(person, user, None, now).await
    }

    /// Starts `user`'s membership of `person`'s care team at `at` (ms), recorded as started by `by`.
    /// A current membership already there is a conflict.
    pub async fn care_team_start(
        &mut self,
        person: PersonId,
        user: UserId,
        by: Option<UserId>,
        at: i64,
    ) -> Result<()> {
        let q = self
            .q("INSERT INTO care_team (person_id, user_id, started_at, started_by) VALUES ($1, $2, $3, $4)")
            .bind(person.0)
            .bind(user.0)
            .bind(at)
            .bind(by.map(|u| u.0));
        self.exec(q).await.map_err(|e| match e {
            StoreError::Db(e) => StoreError::conflict_as(e, "care team member"),
            e => e,
        })?;
        Ok(())
    }

    /// Ends the current membership `id` of `person`'s care team; false when there is no such current one.
    pub async fn care_team_end(
        &mut self,
        person: PersonId,
        id: i64,
        by: UserId,
        at: i64,
        reason: &str,
    ) -> Result<bool> {
        let q = self
            .q("UPDATE care_team SET ended_at = $1, ended_by = $2, ended_reason = $3 WHERE id = $4 AND person_id = $5 AND ended_at IS NULL")
            .bind(at)
            .bind(by.0)
            .bind(reason.to_string())
            .bind(id)
            .bind(person.0);
        Ok(self.exec(q).await? == 1)
    }

    /// Whether `user` is in `person`'s care team now.
    pub async fn care_team_contains(&mut self, person: PersonId, user: UserId) -> Result<bool> {
        let q = self
            .q("SELECT COUNT(*) AS n FROM care_team WHERE person_id = $1 AND user_id = $2 AND ended_at IS NULL")
            .bind(person.0)
            .bind(user.0);
        Ok(self.one(q).await?.try_get::<i64, _>("n")? > 0)
    }

    /// Everyone who is or was in `person`'s care team: current memberships first, then the ended ones,
    /// newest first.
    pub async fn care_team_of(&mut self, person: PersonId) -> Result<Vec<CareTeamRow>> {
        let q = self
            .q("SELECT c.id AS id, c.user_id AS user_id, u.display_name AS display_name, \
                c.started_at AS started_at, s.display_name AS started_by, c.ended_at AS ended_at, \
                e.display_name AS ended_by, c.ended_reason AS ended_reason \
                FROM care_team c JOIN users u ON u.id = c.user_id \
                LEFT JOIN users s ON s.id = c.started_by LEFT JOIN users e ON e.id = c.ended_by \
                WHERE c.person_id = $1 \
                ORDER BY CASE WHEN c.ended_at IS NULL THEN 0 ELSE 1 END, c.ended_at DESC, c.started_at DESC, c.id DESC")
            .bind(person.0);
        self.all(q)
            .await?
            .iter()
            .map(|r| {
                Ok(CareTeamRow {
                    id: r.try_get("id")?,
                    user_id: UserId(r.try_get("user_id")?),
                    display_name: r.try_get("display_name")?,
                    started_at: r.try_get("started_at")?,
                    started_by: r.try_get("started_by")?,
                    ended_at: r.try_get("ended_at")?,
                    ended_by: r.try_get("ended_by")?,
                    ended_reason: r.try_get("ended_reason")?,
                })
            })
            .collect()
    }

    /// The clinicians (triage and crisis clinicians) of `org` whose accounts are not disabled, by name.
    pub async fn clinicians_of(&mut self, org: OrgId) -> Result<Vec<Clinician>> {
        let q = self
            .q("SELECT DISTINCT u.id AS id, u.display_name AS display_name FROM users u \
                JOIN memberships m ON m.user_id = u.id \
                WHERE m.org_id = $1 AND m.role IN ('triage_clinician', 'crisis_clinician') AND u.disabled = $2 \
                ORDER BY u.display_name, u.id")
            .bind(org.0)
            .bind(false);
        self.all(q)
            .await?
            .iter()
            .map(|r| {
                Ok(Clinician {
                    user_id: UserId(r.try_get("id")?),
                    display_name: r.try_get("display_name")?,
                })
            })
            .collect()
    }
}
