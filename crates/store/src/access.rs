//! What the access policy needs about many people at once (queries on [`crate::Tx`]), so that a list
//! naming people is decided person by person without a round trip per person.

use crate::plans::{CONSENT_COLS, consent_from};
use crate::{Result, Tx};
use concordat_domain::consent::PlanConsent;
use concordat_domain::model::{PersonId, UserId};
use sqlx::Row;

impl Tx {
    /// Which of `people` have `user` in their care team now (ended memberships do not count).
    pub async fn care_team_among(
        &mut self,
        user: UserId,
        people: &[PersonId],
    ) -> Result<Vec<PersonId>> {
        if people.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (0..people.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT DISTINCT person_id FROM care_team WHERE user_id = $1 AND ended_at IS NULL AND person_id IN ({})",
            marks.join(", ")
        );
        let mut q = self.q(&sql).bind(user.0);
        for p in people {
            q = q.bind(p.0);
        }
        self.all(q)
            .await?
            .iter()
            .map(|r| Ok(PersonId(r.try_get("person_id")?)))
            .collect()
    }

    /// The recorded decisions about sharing of those of `people` who have one.
    pub async fn consents_for(&mut self, people: &[PersonId]) -> Result<Vec<PlanConsent>> {
        if people.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (0..people.len()).map(|i| format!("${}", i + 1)).collect();
        let sql = format!(
            "SELECT {} FROM plan_consents WHERE person_id IN ({})",
            CONSENT_COLS.join(", "),
            marks.join(", ")
        );
        let mut q = self.q(&sql);
        for p in people {
            q = q.bind(p.0);
        }
        self.all(q)
            .await?
            .iter()
            .map(|r| consent_from(r, ""))
            .collect()
    }
}
