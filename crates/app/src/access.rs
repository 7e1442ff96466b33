//! The one loader of the policy's inputs. The agreements reaching the actor's organisation are loaded once
//! per request; what belongs to one person (care-team membership, their recorded consent) is loaded per person.
//! A list that names people decides each one here, with the same inputs as viewing that person's page.

use crate::{AppError, actor_org};
use chrono::{NaiveDate, Utc};
use concordat_domain::DataCategory;
use concordat_domain::consent::{ConsentStatus, PlanConsent};
use concordat_domain::model::{OrgId, PersonId, SharingAgreement};
use concordat_domain::policy::{Action, Actor, Consent, Decision, Relationship, Request, decide};
use concordat_store::Tx;
use std::collections::HashMap;

/// The policy's inputs that do not depend on the person, for one actor in one request.
pub(crate) struct Access<'a> {
    actor: &'a Actor,
    agreements: Vec<SharingAgreement>,
    today: NaiveDate,
}

impl<'a> Access<'a> {
    /// Loads the agreements that reach the actor's organisation (none for the system).
    pub(crate) async fn load(tx: &mut Tx, actor: &'a Actor) -> Result<Self, AppError> {
        let agreements = match actor_org(actor) {
            Some(org) => tx.agreements(Some(org)).await?,
            None => Vec::new(),
        };
        Ok(Self {
            actor,
            agreements,
            today: Utc::now().date_naive(),
        })
    }

    /// The organisations whose `category` records an agreement shares with the actor's organisation now
    /// (candidates only: every record found through them is still decided with [`Access::record`]).
    pub(crate) fn owners_sharing(&self, category: DataCategory) -> Vec<OrgId> {
        let Some(me) = actor_org(self.actor) else {
            return Vec::new();
        };
        let mut out: Vec<OrgId> = self
            .agreements
            .iter()
            .filter(|a| a.from_org_id != me && a.covers(a.from_org_id, me, category, self.today))
            .map(|a| a.from_org_id)
            .collect();
        out.sort_by_key(|o| o.0);
        out.dedup();
        out
    }

    /// A decision on a shared operational record (a contact, an episode) owned by `owner`,
    /// or a new one (`None`). No consent or relationship: these records are not crisis plans.
    pub(crate) fn record(&self, action: Action, owner: Option<OrgId>) -> Decision {
        decide(&Request {
            actor: self.actor,
            action,
            owner_org: owner,
            agreements: &self.agreements,
            consent: &Consent::NotRecorded,
            relationship: Relationship::None,
            break_glass_reason: None,
            today: self.today,
        })
    }

    /// A decision on one person's data, owned by `owner`: the same decision as opening their page
    /// (care-team membership and the person's consent are loaded for them).
    pub(crate) async fn person(
        &self,
        tx: &mut Tx,
        person: PersonId,
        owner: OrgId,
        action: Action,
        break_glass_reason: Option<&str>,
    ) -> Result<Decision, AppError> {
        let inputs = self.person_inputs(tx, person).await?;
        Ok(self.decide_person(&inputs, owner, action, break_glass_reason))
    }

    /// What the policy needs to know about one person: loaded once, then used for several decisions.
    pub(crate) async fn person_inputs(
        &self,
        tx: &mut Tx,
        person: PersonId,
    ) -> Result<PersonInputs, AppError> {
        let relationship = match self.actor.as_user() {
            Some(u) if tx.care_team_contains(person, u.user_id).await? => Relationship::CareTeam,
            _ => Relationship::None,
        };
        let recorded = tx.consent_get(person).await?;
        let consent = policy_consent(tx, recorded).await?;
        Ok(PersonInputs {
            relationship,
            consent,
        })
    }

    /// The inputs for many people at once (a list): two queries for all of them, plus one for each person
    /// whose consent is given (the plan it covers).
    pub(crate) async fn people_inputs(
        &self,
        tx: &mut Tx,
        people: &[PersonId],
    ) -> Result<HashMap<PersonId, PersonInputs>, AppError> {
        let in_team = match self.actor.as_user() {
            Some(u) => tx.care_team_among(u.user_id, people).await?,
            None => Vec::new(),
        };
        let mut consents: HashMap<PersonId, PlanConsent> = tx
            .consents_for(people)
            .await?
            .into_iter()
            .map(|c| (c.person_id, c))
            .collect();
        let mut out = HashMap::new();
        for p in people {
            let consent = policy_consent(tx, consents.remove(p)).await?;
            let relationship = if in_team.contains(p) {
                Relationship::CareTeam
            } else {
                Relationship::None
            };
            out.insert(
                *p,
                PersonInputs {
                    relationship,
                    consent,
                },
            );
        }
        Ok(out)
    }

    /// A decision on one person's data with their inputs already loaded.
    pub(crate) fn decide_person(
        &self,
        inputs: &PersonInputs,
        owner: OrgId,
        action: Action,
        break_glass_reason: Option<&str>,
    ) -> Decision {
        decide(&Request {
            actor: self.actor,
            action,
            owner_org: Some(owner),
            agreements: &self.agreements,
            consent: &inputs.consent,
            relationship: inputs.relationship,
            break_glass_reason,
            today: self.today,
        })
    }
}

/// The person's recorded decision about sharing their plan, as the policy reads it (identity flows on
/// agreements alone; plan sections are decided one by one in `plans`, with consent narrowed to each section).
async fn policy_consent(tx: &mut Tx, recorded: Option<PlanConsent>) -> Result<Consent, AppError> {
    Ok(match recorded {
        None => Consent::NotRecorded,
        Some(c) => {
            let plan = if c.status == ConsentStatus::Given {
                tx.plan_for_person(c.person_id).await?
            } else {
                None
            };
            c.policy_consent(plan.as_ref())
        }
    })
}

/// The policy's inputs about one person.
pub(crate) struct PersonInputs {
    relationship: Relationship,
    consent: Consent,
}
