//! A person's care team: who is in it now and who was, and adding a clinician of the person's owning
//! organisation to it or ending a membership with a reason. Decided by the policy
//! (`Action::ManageCareTeam`: the owning organisation's clinicians and administrators); every look and
//! every change lands in the person's audit history in the same transaction. Nothing is deleted: an
//! ended membership stays in the history and stops counting for access at once.

use crate::{App, AppError, FieldError, Subject, audit_allowed, audit_denial, audit_refusal};
use chrono::Utc;
use concordat_domain::model::{OrgId, PersonId, UserId};
use concordat_domain::policy::{Action, Actor, Consent, Decision, Relationship, Request, decide};
use concordat_domain::text::{control_char, control_char_message};
use concordat_store::Tx;
use serde::{Deserialize, Serialize};

/// The longest reason for ending a membership, in characters.
pub const REASON_MAX: usize = 500;

/// One membership of the care team, current or ended.
#[derive(Clone, Serialize)]
pub struct CareTeamEntry {
    pub id: i64,
    pub name: String,
    /// Milliseconds since the epoch; 0 when recorded before history was kept.
    pub started_at: i64,
    pub started_by: Option<String>,
    pub ended_at: Option<i64>,
    pub ended_by: Option<String>,
    pub ended_reason: Option<String>,
}

/// A person's care team as the care-team page shows it.
#[derive(Clone, Serialize)]
pub struct CareTeamView {
    pub person_id: i64,
    pub person_name: String,
    pub owner_organisation: String,
    pub current: Vec<CareTeamEntry>,
    pub past: Vec<CareTeamEntry>,
    /// Clinicians of the owning organisation not in the team now: (user id, name).
    pub candidates: Vec<(i64, String)>,
}

/// Adding a clinician: the user id chosen, as the form sends it.
#[derive(Clone, Default, Deserialize)]
pub struct AddInput {
    #[serde(default)]
    pub clinician: String,
}

/// Ending a membership: why.
#[derive(Clone, Default, Deserialize)]
pub struct EndInput {
    #[serde(default)]
    pub reason: String,
}

fn subject(person: PersonId, resource: Option<String>) -> Subject {
    Subject {
        person_id: Some(person.0),
        resource_kind: "care_team",
        resource_id: resource,
    }
}

fn request<'a>(actor: &'a Actor, owner: Option<OrgId>, consent: &'a Consent) -> Request<'a> {
    Request {
        actor,
        action: Action::ManageCareTeam,
        owner_org: owner,
        agreements: &[],
        consent,
        relationship: Relationship::None,
        break_glass_reason: None,
        today: Utc::now().date_naive(),
    }
}

impl App {
    /// Authorises `actor` for the care team of `person` and opens the transaction the work is done in.
    /// A role that may never manage care teams is refused whether or not the person exists; a person
    /// who does not exist is not found; another organisation's person is refused. Every refusal is audited.
    async fn care_team_authorise(
        &self,
        actor: &Actor,
        person: PersonId,
        code: &str,
    ) -> Result<(Tx, Decision, OrgId, String), AppError> {
        let consent = Consent::NotRecorded;
        let probe = decide(&request(actor, crate::actor_org(actor), &consent));
        let mut tx = self.store.begin().await?;
        let found = tx.person_get(person).await?;
        if let Decision::Deny(reason) = probe {
            drop(tx);
            let s = match found {
                Some(_) => subject(person, None),
                None => Subject {
                    person_id: None,
                    resource_kind: "person",
                    resource_id: Some(person.0.to_string()),
                },
            };
            audit_denial(self, actor, code, &s, &probe).await?;
            return Err(AppError::Denied(reason));
        }
        let Some(p) = found else {
            drop(tx);
            let s = Subject {
                person_id: None,
                resource_kind: "person",
                resource_id: Some(person.0.to_string()),
            };
            audit_refusal(self, actor, code, &s, "no record has this number").await?;
            return Err(AppError::NotFound);
        };
        let decision = decide(&request(actor, Some(p.owner_org_id), &consent));
        if let Decision::Deny(reason) = decision {
            drop(tx);
            audit_denial(self, actor, code, &subject(person, None), &decision).await?;
            return Err(AppError::Denied(reason));
        }
        let name = format!("{} {}", p.given_name, p.family_name);
        Ok((tx, decision, p.owner_org_id, name))
    }

    /// The person's care team, current and past, and the clinicians who could be added. Audited as one
    /// look at the person's care team.
    pub async fn care_team(
        &self,
        actor: &Actor,
        person: PersonId,
    ) -> Result<CareTeamView, AppError> {
        let (tx, decision, owner, person_name) = self
            .care_team_authorise(actor, person, &Action::ManageCareTeam.code())
            .await?;
        self.care_team_load(tx, actor, person, decision, owner, person_name)
            .await
    }

    /// Whether `actor` may see and change the person's care team: for the link on the person's page.
    /// A decision only, nothing shown, so nothing audited; the care-team page itself is decided again
    /// and audited.
    pub async fn may_manage_care_team(
        &self,
        actor: &Actor,
        person: PersonId,
    ) -> Result<bool, AppError> {
        let consent = Consent::NotRecorded;
        let mut tx = self.store.begin().await?;
        let owner = tx.person_get(person).await?.map(|p| p.owner_org_id);
        drop(tx);
        Ok(owner.is_some() && decide(&request(actor, owner, &consent)).is_allowed())
    }

    async fn care_team_load(
        &self,
        mut tx: Tx,
        actor: &Actor,
        person: PersonId,
        decision: Decision,
        owner: OrgId,
        person_name: String,
    ) -> Result<CareTeamView, AppError> {
        let rows = tx.care_team_of(person).await?;
        let clinicians = tx.clinicians_of(owner).await?;
        let owner_organisation = tx.org_get(owner).await?.map(|o| o.name).unwrap_or_default();
        audit_allowed(
            &mut tx,
            actor,
            "care_team.view",
            &subject(person, None),
            &decision,
            None,
        )
        .await?;
        tx.commit().await?;
        let mut current = Vec::new();
        let mut past = Vec::new();
        let mut in_team = Vec::new();
        for r in rows {
            let entry = CareTeamEntry {
                id: r.id,
                name: r.display_name,
                started_at: r.started_at,
                started_by: r.started_by,
                ended_at: r.ended_at,
                ended_by: r.ended_by,
                ended_reason: r.ended_reason,
            };
            if entry.ended_at.is_none() {
                in_team.push(r.user_id);
                current.push(entry);
            } else {
                past.push(entry);
            }
        }
        let candidates = clinicians
            .into_iter()
            .filter(|c| !in_team.contains(&c.user_id))
            .map(|c| (c.user_id.0, c.display_name))
            .collect();
        Ok(CareTeamView {
            person_id: person.0,
            person_name,
            owner_organisation,
            current,
            past,
            candidates,
        })
    }

    /// Adds a clinician of the person's owning organisation to their care team.
    pub async fn care_team_add(
        &self,
        actor: &Actor,
        person: PersonId,
        input: &AddInput,
    ) -> Result<(), AppError> {
        let (mut tx, decision, owner, _) = self
            .care_team_authorise(actor, person, &Action::ManageCareTeam.code())
            .await?;
        let choose = "choose a clinician of the organisation that holds this record";
        let Ok(user) = input.clinician.trim().parse::<i64>().map(UserId) else {
            return Err(AppError::invalid("clinician", choose));
        };
        let Some(clinician) = tx
            .clinicians_of(owner)
            .await?
            .into_iter()
            .find(|c| c.user_id == user)
        else {
            return Err(AppError::invalid("clinician", choose));
        };
        if tx.care_team_contains(person, user).await? {
            return Err(AppError::invalid(
                "clinician",
                format!("{} is already in the care team", clinician.display_name),
            ));
        }
        let by = actor.as_user().map(|u| u.user_id);
        match tx
            .care_team_start(person, user, by, Utc::now().timestamp_millis())
            .await
        {
            Ok(()) => {}
            Err(concordat_store::StoreError::Conflict(_)) => {
                return Err(AppError::invalid(
                    "clinician",
                    format!("{} is already in the care team", clinician.display_name),
                ));
            }
            Err(e) => return Err(e.into()),
        }
        audit_allowed(
            &mut tx,
            actor,
            "care_team.add",
            &subject(person, Some(format!("user:{}", user.0))),
            &decision,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends the current membership `membership` of the person's care team, with the reason recorded.
    pub async fn care_team_end(
        &self,
        actor: &Actor,
        person: PersonId,
        membership: i64,
        input: &EndInput,
    ) -> Result<(), AppError> {
        let (mut tx, decision, _, _) = self
            .care_team_authorise(actor, person, &Action::ManageCareTeam.code())
            .await?;
        let reason = input.reason.trim();
        let mut errors = Vec::new();
        if reason.is_empty() {
            errors.push(FieldError::new(
                "reason",
                "say why this clinician is leaving the care team",
            ));
        } else if let Some(c) = control_char(reason) {
            errors.push(FieldError::new("reason", control_char_message(c)));
        } else if reason.chars().count() > REASON_MAX {
            errors.push(FieldError::new(
                "reason",
                format!("keep the reason to {REASON_MAX} characters or fewer"),
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let Some(by) = actor.as_user().map(|u| u.user_id) else {
            return Err(AppError::invalid(
                "reason",
                "a care-team membership is ended by a person",
            ));
        };
        let ended = tx
            .care_team_end(
                person,
                membership,
                by,
                Utc::now().timestamp_millis(),
                reason,
            )
            .await?;
        if !ended {
            // No such membership of this person's team, or it has already ended.
            return Err(AppError::NotFound);
        }
        audit_allowed(
            &mut tx,
            actor,
            "care_team.end",
            &subject(person, Some(membership.to_string())),
            &decision,
            Some(reason),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
