//! Crisis plans, their sections and versions, and the person's consent to share (queries on [`crate::Tx`]).

use crate::tx::{PERSON_COLS, corrupt, get_bool, now_ms, parse_date, parse_kind, person_from};
use crate::{Result, StoreError, Tx};
use concordat_domain::consent::{
    ConsentStatus, CrisisPlan, PlanConsent, PlanPart, PlanSection, SectionKind, SharingLevel,
};
use concordat_domain::model::{OrgId, Person, PersonId, UserId};
use concordat_domain::{LegalBasis, OrgKind};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

const PLAN_COLS: &str = "id, person_id, owner_org_id, version, coproduced, participants, own_words, last_reviewed_on, review_due, updated_by, updated_at";

fn ymd(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// One saved version of a plan, as listed in its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanVersionInfo {
    pub version: i64,
    pub saved_by: String,
    pub saved_at: i64,
}

/// A person with repeated crisis contact, for the support list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepeatContactRow {
    pub person_id: i64,
    /// The organisation that owns the person's record (the policy decides each row on it).
    pub owner_org_id: i64,
    pub given_name: String,
    pub family_name: String,
    pub last_30_days: i64,
    pub last_365_days: i64,
    pub plan_id: Option<i64>,
    /// 'YYYY-MM-DD'
    pub review_due: Option<String>,
}

/// A plan whose review date has passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewDueRow {
    pub person_id: i64,
    pub given_name: String,
    pub family_name: String,
    pub plan_id: i64,
    pub version: i64,
    /// 'YYYY-MM-DD'
    pub review_due: String,
}

fn plan_from(row: &AnyRow, sections: Vec<PlanSection>) -> Result<CrisisPlan> {
    plan_from_prefixed(row, "", sections)
}

/// A plan from columns named `{prefix}id`, `{prefix}version`, ….
fn plan_from_prefixed(row: &AnyRow, p: &str, sections: Vec<PlanSection>) -> Result<CrisisPlan> {
    let c = |name: &str| format!("{p}{name}");
    let reviewed: String = row.try_get(c("last_reviewed_on").as_str())?;
    let due: String = row.try_get(c("review_due").as_str())?;
    Ok(CrisisPlan {
        id: row.try_get(c("id").as_str())?,
        person_id: PersonId(row.try_get(c("person_id").as_str())?),
        owner_org_id: OrgId(row.try_get(c("owner_org_id").as_str())?),
        version: row.try_get(c("version").as_str())?,
        coproduced: get_bool(row, &c("coproduced"))?,
        participants: row.try_get(c("participants").as_str())?,
        own_words: row.try_get(c("own_words").as_str())?,
        last_reviewed_on: parse_date(&reviewed)?,
        review_due: parse_date(&due)?,
        updated_by: row.try_get(c("updated_by").as_str())?,
        updated_at: row.try_get(c("updated_at").as_str())?,
        sections,
    })
}

/// A plan section from columns named `{prefix}kind`, `{prefix}sharing`, `{prefix}body`.
fn section_from(r: &AnyRow, p: &str) -> Result<PlanSection> {
    let kind: String = r.try_get(format!("{p}kind").as_str())?;
    let sharing: String = r.try_get(format!("{p}sharing").as_str())?;
    Ok(PlanSection {
        kind: SectionKind::from_code(&kind).ok_or_else(|| corrupt("plan section", &kind))?,
        sharing: SharingLevel::from_code(&sharing)
            .ok_or_else(|| corrupt("sharing level", &sharing))?,
        text: r.try_get(format!("{p}body").as_str())?,
    })
}

pub(crate) const CONSENT_COLS: [&str; 10] = [
    "person_id",
    "status",
    "other_basis",
    "basis_note",
    "org_kinds",
    "sections",
    "valid_until",
    "recorded_by",
    "recorded_at",
    "version",
];

/// A consent decision from columns named `{prefix}status`, ….
pub(crate) fn consent_from(r: &AnyRow, p: &str) -> Result<PlanConsent> {
    let c = |name: &str| format!("{p}{name}");
    let status: String = r.try_get(c("status").as_str())?;
    let basis: Option<String> = r.try_get(c("other_basis").as_str())?;
    let kinds: String = r.try_get(c("org_kinds").as_str())?;
    let sections: String = r.try_get(c("sections").as_str())?;
    let until: Option<String> = r.try_get(c("valid_until").as_str())?;
    // One list holds the sections and the other parts (own words, participants) the person agreed to share.
    let codes: Vec<&str> = sections.split(',').filter(|s| !s.is_empty()).collect();
    if let Some(bad) = codes
        .iter()
        .find(|s| SectionKind::from_code(s).is_none() && PlanPart::from_code(s).is_none())
    {
        return Err(corrupt("plan section", bad));
    }
    Ok(PlanConsent {
        person_id: PersonId(r.try_get(c("person_id").as_str())?),
        status: ConsentStatus::from_code(&status)
            .ok_or_else(|| corrupt("consent status", &status))?,
        other_basis: basis
            .as_deref()
            .map(|b| LegalBasis::from_code(b).ok_or_else(|| corrupt("legal basis", b)))
            .transpose()?,
        basis_note: r.try_get(c("basis_note").as_str())?,
        org_kinds: kinds
            .split(',')
            .filter(|s| !s.is_empty())
            .map(parse_kind)
            .collect::<Result<Vec<OrgKind>>>()?,
        sections: codes
            .iter()
            .filter_map(|s| SectionKind::from_code(s))
            .collect(),
        parts: codes
            .iter()
            .filter_map(|s| PlanPart::from_code(s))
            .collect(),
        valid_until: until.as_deref().map(parse_date).transpose()?,
        recorded_by: r.try_get(c("recorded_by").as_str())?,
        recorded_at: r.try_get(c("recorded_at").as_str())?,
        version: r.try_get(c("version").as_str())?,
    })
}

/// Everything a responder's lookup reads about one person, fetched in one statement
/// ([`Tx::person_lookup_bundle`]).
#[derive(Debug, Clone)]
pub struct LookupBundle {
    pub person: Person,
    /// The owning organisation's name.
    pub owner_name: String,
    /// Whether the asking user is in the person's care team.
    pub in_care_team: bool,
    pub plan: Option<CrisisPlan>,
    pub consent: Option<PlanConsent>,
    /// The sharing agreements to the organisation asked for, in id order (`None` if none was asked for).
    pub agreements: Option<Vec<concordat_domain::model::SharingAgreement>>,
}

/// Agreements from the `id|from|to|categories|basis|review|status|from|until` list of [`Tx::person_lookup_bundle`], sorted by id.
fn agreements_from_list(
    list: Option<&str>,
) -> Result<Vec<concordat_domain::model::SharingAgreement>> {
    let mut out = Vec::new();
    for item in list.unwrap_or("").split(';').filter(|s| !s.is_empty()) {
        let f: Vec<&str> = item.split('|').collect();
        let [
            id,
            from,
            to,
            cats,
            basis,
            review,
            status,
            in_force_from,
            until,
        ] = f.as_slice()
        else {
            return Err(corrupt("sharing agreement", item));
        };
        let num = |s: &str| {
            s.parse::<i64>()
                .map_err(|_| corrupt("sharing agreement", item))
        };
        out.push(crate::tx::agreement_from(
            num(id)?,
            num(from)?,
            num(to)?,
            cats,
            basis,
            review,
            status,
            in_force_from,
            Some(until),
        )?);
    }
    out.sort_by_key(|a| a.id);
    Ok(out)
}

fn join_codes<T: Copy>(items: &[T], code: impl Fn(T) -> &'static str) -> String {
    items.iter().map(|i| code(*i)).collect::<Vec<_>>().join(",")
}

impl Tx {
    /// The current plan for a person, with its sections in [`SectionKind::ALL`] order.
    pub async fn plan_for_person(&mut self, person: PersonId) -> Result<Option<CrisisPlan>> {
        let q = self
            .q(&format!(
                "SELECT {PLAN_COLS} FROM crisis_plans WHERE person_id = $1"
            ))
            .bind(person.0);
        let Some(row) = self.opt(q).await? else {
            return Ok(None);
        };
        let id: i64 = row.try_get("id")?;
        let sections = self.plan_sections(id).await?;
        plan_from(&row, sections).map(Some)
    }

    /// The person, their owning organisation's name, whether `user` is in their care team, their
    /// current plan with its sections and their consent decision, in ONE statement: the responder's
    /// lookup runs inside the write transaction that records its audit event, so every statement
    /// saved there shortens the time the write lock is held. `None` if there is no such person.
    pub async fn person_lookup_bundle(
        &mut self,
        person: PersonId,
        user: Option<UserId>,
        agreements_to: Option<OrgId>,
    ) -> Result<Option<LookupBundle>> {
        let person_cols = PERSON_COLS
            .split(", ")
            .map(|c| format!("p.{c} AS {c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let plan_cols = PLAN_COLS
            .split(", ")
            .map(|c| format!("cp.{c} AS pl_{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let consent_cols = CONSENT_COLS
            .iter()
            .map(|c| format!("pc.{c} AS pc_{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        // With `agreements_to`, the sharing agreements to that organisation come in the same statement
        // (one uncorrelated subquery, evaluated once): one round trip fewer on the lookup's hot path.
        let agreements_col = match (agreements_to, self.backend) {
            (None, _) => String::new(),
            (Some(_), backend) => {
                let agg = match backend {
                    crate::Backend::Postgres => "string_agg",
                    crate::Backend::Sqlite => "group_concat",
                };
                format!(
                    "(SELECT {agg}(CAST(a.id AS TEXT) || '|' || CAST(a.from_org_id AS TEXT) || '|' || CAST(a.to_org_id AS TEXT) \
                     || '|' || a.categories || '|' || a.legal_basis || '|' || a.review_date || '|' || a.status \
                     || '|' || a.in_force_from || '|' || COALESCE(a.in_force_until, ''), ';') \
                     FROM sharing_agreements a WHERE a.to_org_id = $3) AS agreements, "
                )
            }
        };
        let sql = format!(
            "SELECT {agreements_col}{person_cols}, o.name AS owner_name, \
             EXISTS (SELECT 1 FROM care_team c WHERE c.person_id = p.id AND c.user_id = $2 AND c.ended_at IS NULL) AS in_team, \
             {plan_cols}, s.kind AS s_kind, s.sharing AS s_sharing, s.body AS s_body, {consent_cols} \
             FROM people p \
             LEFT JOIN organisations o ON o.id = p.owner_org_id \
             LEFT JOIN crisis_plans cp ON cp.person_id = p.id \
             LEFT JOIN crisis_plan_sections s ON s.plan_id = cp.id \
             LEFT JOIN plan_consents pc ON pc.person_id = p.id \
             WHERE p.id = $1"
        );
        let mut q = self.q(&sql).bind(person.0).bind(user.map_or(0, |u| u.0));
        if let Some(to) = agreements_to {
            q = q.bind(to.0);
        }
        let rows = self.all(q).await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let agreements = match agreements_to {
            None => None,
            Some(_) => Some(agreements_from_list(
                first.try_get::<Option<String>, _>("agreements")?.as_deref(),
            )?),
        };
        let plan = match first.try_get::<Option<i64>, _>("pl_id")? {
            None => None,
            Some(_) => {
                let mut sections = Vec::with_capacity(rows.len());
                for r in &rows {
                    if r.try_get::<Option<String>, _>("s_kind")?.is_some() {
                        sections.push(section_from(r, "s_")?);
                    }
                }
                sections.sort_by_key(|s| s.kind);
                Some(plan_from_prefixed(first, "pl_", sections)?)
            }
        };
        let consent = match first.try_get::<Option<String>, _>("pc_status")? {
            None => None,
            Some(_) => Some(consent_from(first, "pc_")?),
        };
        Ok(Some(LookupBundle {
            person: person_from(first)?,
            owner_name: first
                .try_get::<Option<String>, _>("owner_name")?
                .unwrap_or_default(),
            in_care_team: get_bool(first, "in_team")?,
            plan,
            consent,
            agreements,
        }))
    }

    async fn plan_sections(&mut self, plan_id: i64) -> Result<Vec<PlanSection>> {
        let q = self
            .q("SELECT kind, sharing, body FROM crisis_plan_sections WHERE plan_id = $1")
            .bind(plan_id);
        let mut out = self
            .all(q)
            .await?
            .iter()
            .map(|r| section_from(r, ""))
            .collect::<Result<Vec<_>>>()?;
        out.sort_by_key(|s| s.kind);
        Ok(out)
    }

    async fn plan_write_sections(&mut self, plan_id: i64, sections: &[PlanSection]) -> Result<()> {
        let q = self
            .q("DELETE FROM crisis_plan_sections WHERE plan_id = $1")
            .bind(plan_id);
        self.exec(q).await?;
        for s in sections {
            let q = self
                .q("INSERT INTO crisis_plan_sections (plan_id, kind, sharing, body) VALUES ($1, $2, $3, $4)")
                .bind(plan_id)
                .bind(s.kind.code())
                .bind(s.sharing.code())
                .bind(s.text.clone());
            self.exec(q).await?;
        }
        Ok(())
    }

    async fn plan_write_version(&mut self, plan: &CrisisPlan) -> Result<()> {
        let snapshot = serde_json::to_string(plan)
            .map_err(|e| StoreError::Corrupt(format!("plan snapshot: {e}")))?;
        let q = self
            .q("INSERT INTO crisis_plan_versions (plan_id, version, saved_by, saved_at, snapshot) VALUES ($1, $2, $3, $4, $5)")
            .bind(plan.id)
            .bind(plan.version)
            .bind(plan.updated_by.clone())
            .bind(plan.updated_at)
            .bind(snapshot);
        self.exec(q).await?;
        Ok(())
    }

    /// Creates a person's first plan (version 1) and stores that version. `plan.id` and `plan.version`
    /// are ignored; the stored plan is returned. A person has at most one plan.
    pub async fn plan_insert(&mut self, plan: &CrisisPlan) -> Result<CrisisPlan> {
        let now = now_ms();
        let q = self
            .q("INSERT INTO crisis_plans (person_id, owner_org_id, version, coproduced, participants, own_words, last_reviewed_on, review_due, updated_by, updated_at, created_at) VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id")
            .bind(plan.person_id.0)
            .bind(plan.owner_org_id.0)
            .bind(plan.coproduced)
            .bind(plan.participants.clone())
            .bind(plan.own_words.clone())
            .bind(ymd(plan.last_reviewed_on))
            .bind(ymd(plan.review_due))
            .bind(plan.updated_by.clone())
            .bind(now);
        let id: i64 = match q.fetch_one(&mut *self.tx).await {
            Ok(row) => row.try_get("id")?,
            Err(e) => return Err(StoreError::conflict_as(e, "crisis plan for this person")),
        };
        let mut stored = plan.clone();
        stored.id = id;
        stored.version = 1;
        stored.updated_at = now;
        self.plan_write_sections(id, &stored.sections).await?;
        self.plan_write_version(&stored).await?;
        Ok(stored)
    }

    /// Saves a new version if nobody saved since `expected_version` (else `StaleVersion`, nothing written).
    pub async fn plan_update(
        &mut self,
        plan: &CrisisPlan,
        expected_version: i64,
    ) -> Result<CrisisPlan> {
        let now = now_ms();
        let q = self
            .q("UPDATE crisis_plans SET version = version + 1, coproduced = $1, participants = $2, own_words = $3, last_reviewed_on = $4, review_due = $5, updated_by = $6, updated_at = $7 WHERE id = $8 AND version = $9")
            .bind(plan.coproduced)
            .bind(plan.participants.clone())
            .bind(plan.own_words.clone())
            .bind(ymd(plan.last_reviewed_on))
            .bind(ymd(plan.review_due))
            .bind(plan.updated_by.clone())
            .bind(now)
            .bind(plan.id)
            .bind(expected_version);
        if self.exec(q).await? == 0 {
            return Err(StoreError::StaleVersion {
                expected: expected_version,
            });
        }
        let mut stored = plan.clone();
        stored.version = expected_version + 1;
        stored.updated_at = now;
        self.plan_write_sections(plan.id, &stored.sections).await?;
        self.plan_write_version(&stored).await?;
        Ok(stored)
    }

    /// Every saved version of a plan, newest first.
    pub async fn plan_versions(&mut self, plan_id: i64) -> Result<Vec<PlanVersionInfo>> {
        let q = self
            .q("SELECT version, saved_by, saved_at FROM crisis_plan_versions WHERE plan_id = $1 ORDER BY version DESC")
            .bind(plan_id);
        self.all(q)
            .await?
            .iter()
            .map(|r| {
                Ok(PlanVersionInfo {
                    version: r.try_get("version")?,
                    saved_by: r.try_get("saved_by")?,
                    saved_at: r.try_get("saved_at")?,
                })
            })
            .collect()
    }

    /// One stored version of a plan, as it was saved.
    pub async fn plan_version(&mut self, plan_id: i64, version: i64) -> Result<Option<CrisisPlan>> {
        let q = self
            .q("SELECT snapshot FROM crisis_plan_versions WHERE plan_id = $1 AND version = $2")
            .bind(plan_id)
            .bind(version);
        let Some(row) = self.opt(q).await? else {
            return Ok(None);
        };
        let s: String = row.try_get("snapshot")?;
        serde_json::from_str(&s)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("plan snapshot: {e}")))
    }

    /// Plans held by `org` whose review date is before `today`, oldest first.
    pub async fn plans_review_overdue(
        &mut self,
        org: OrgId,
        today: chrono::NaiveDate,
        limit: i64,
    ) -> Result<Vec<ReviewDueRow>> {
        let q = self
            .q("SELECT p.id AS person_id, p.given_name, p.family_name, c.id AS plan_id, c.version, c.review_due FROM crisis_plans c JOIN people p ON p.id = c.person_id WHERE c.owner_org_id = $1 AND c.review_due < $2 ORDER BY c.review_due, c.id LIMIT $3")
            .bind(org.0)
            .bind(ymd(today))
            .bind(limit);
        self.all(q)
            .await?
            .iter()
            .map(|r| {
                Ok(ReviewDueRow {
                    person_id: r.try_get("person_id")?,
                    given_name: r.try_get("given_name")?,
                    family_name: r.try_get("family_name")?,
                    plan_id: r.try_get("plan_id")?,
                    version: r.try_get("version")?,
                    review_due: r.try_get("review_due")?,
                })
            })
            .collect()
    }

    // ---- consent --------------------------------------------------------------------------------

    /// The person's current decision about sharing, if one was ever recorded.
    pub async fn consent_get(&mut self, person: PersonId) -> Result<Option<PlanConsent>> {
        let q = self
            .q(&format!(
                "SELECT {} FROM plan_consents WHERE person_id = $1",
                CONSENT_COLS.join(", ")
            ))
            .bind(person.0);
        self.opt(q).await?.map(|r| consent_from(&r, "")).transpose()
    }

    /// Records a decision. `expected_version` is `None` for the first decision about this person and
    /// the version the editor saw otherwise (`StaleVersion` if someone recorded another meanwhile).
    /// Returns the new version. Takes effect for every later read at once.
    pub async fn consent_put(
        &mut self,
        c: &PlanConsent,
        expected_version: Option<i64>,
    ) -> Result<i64> {
        let kinds = join_codes(&c.org_kinds, OrgKind::code);
        let mut sections = join_codes(&c.sections, SectionKind::code);
        for p in &c.parts {
            if !sections.is_empty() {
                sections.push(',');
            }
            sections.push_str(p.code());
        }
        let until = c.valid_until.map(ymd);
        let basis = c.other_basis.map(|b| b.code().to_string());
        match expected_version {
            None => {
                let q = self
                    .q("INSERT INTO plan_consents (person_id, status, other_basis, basis_note, org_kinds, sections, valid_until, recorded_by, recorded_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1)")
                    .bind(c.person_id.0)
                    .bind(c.status.code())
                    .bind(basis)
                    .bind(c.basis_note.clone())
                    .bind(kinds)
                    .bind(sections)
                    .bind(until)
                    .bind(c.recorded_by.clone())
                    .bind(c.recorded_at);
                match q.execute(&mut *self.tx).await {
                    Ok(_) => Ok(1),
                    Err(e) => match StoreError::conflict_as(e, "consent record") {
                        StoreError::Conflict(_) => Err(StoreError::StaleVersion { expected: 0 }),
                        other => Err(other),
                    },
                }
            }
            Some(v) => {
                let q = self
                    .q("UPDATE plan_consents SET status = $1, other_basis = $2, basis_note = $3, org_kinds = $4, sections = $5, valid_until = $6, recorded_by = $7, recorded_at = $8, version = version + 1 WHERE person_id = $9 AND version = $10")
                    .bind(c.status.code())
                    .bind(basis)
                    .bind(c.basis_note.clone())
                    .bind(kinds)
                    .bind(sections)
                    .bind(until)
                    .bind(c.recorded_by.clone())
                    .bind(c.recorded_at)
                    .bind(c.person_id.0)
                    .bind(v);
                if self.exec(q).await? == 0 {
                    return Err(StoreError::StaleVersion { expected: v });
                }
                Ok(v + 1)
            }
        }
    }

    // ---- repeated contact, as a support need ---------------------------------------------------

    /// The time of the most recent crisis contact recorded (milliseconds), if any: where the
    /// support list's windows end when recording stopped before today.
    pub async fn repeat_contacts_latest(&mut self) -> Result<Option<i64>> {
        let r = self
            .one(self.q("SELECT MAX(called_at) AS m FROM crisis_contacts"))
            .await?;
        Ok(r.try_get("m")?)
    }

    /// People with more than `per_month` contacts since `month_start` or more than `per_year` since
    /// `year_start` (both up to `end`, exclusive), with their plan's review date if they have a plan.
    /// Most contacts first.
    #[allow(clippy::too_many_arguments)]
    pub async fn repeat_contacts(
        &mut self,
        month_start: i64,
        year_start: i64,
        end: i64,
        per_month: i64,
        per_year: i64,
        limit: i64,
    ) -> Result<Vec<RepeatContactRow>> {
        let q = self
            .q("SELECT p.id AS person_id, p.owner_org_id, p.given_name, p.family_name, r.m, r.y, c.id AS plan_id, c.review_due FROM (SELECT person_id, SUM(CASE WHEN called_at >= $1 THEN 1 ELSE 0 END) AS m, COUNT(*) AS y FROM crisis_contacts WHERE person_id IS NOT NULL AND called_at >= $2 AND called_at < $3 GROUP BY person_id) r JOIN people p ON p.id = r.person_id LEFT JOIN crisis_plans c ON c.person_id = p.id WHERE r.m > $4 OR r.y > $5 ORDER BY r.y DESC, r.m DESC, p.id LIMIT $6")
            .bind(month_start)
            .bind(year_start)
            .bind(end)
            .bind(per_month)
            .bind(per_year)
            .bind(limit);
        self.all(q)
            .await?
            .iter()
            .map(|r| {
                Ok(RepeatContactRow {
                    person_id: r.try_get("person_id")?,
                    owner_org_id: r.try_get("owner_org_id")?,
                    given_name: r.try_get("given_name")?,
                    family_name: r.try_get("family_name")?,
                    last_30_days: r.try_get("m")?,
                    last_365_days: r.try_get("y")?,
                    plan_id: r.try_get("plan_id")?,
                    review_due: r.try_get("review_due")?,
                })
            })
            .collect()
    }
}
