//! Editing a person's identity (given and family names, date of birth, NHS number, postcode) by
//! staff of the organisation that holds the record, as the policy's `EditPerson` allows. Every save
//! keeps the identity it replaced in `person_versions`, bumps `people.version` and is audited with
//! the person's id in the same transaction. A save that started from an older version writes nothing
//! and returns the current identity, to be shown beside what the editor typed. People are never
//! deleted by hand (only by retention rules), so there is no delete here.

use crate::people::PersonInput;
use crate::plans::person_view;
use crate::{App, AppError, FieldError, Subject, audit_allowed, audit_denial, audit_refusal};
use chrono::Utc;
use concordat_domain::model::{NewPerson, Person, PersonId};
use concordat_domain::policy::{Action, Actor, Consent, Decision, Relationship, Request, decide};
use concordat_store::{PersonVersion, StoreError, Tx};
use serde::Deserialize;

/// The identity form as typed, with the version it was opened at.
#[derive(Clone, Default, Deserialize)]
pub struct IdentityInput {
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub given_name: String,
    #[serde(default)]
    pub family_name: String,
    #[serde(default)]
    pub date_of_birth: String,
    #[serde(default)]
    pub nhs_number: String,
    #[serde(default)]
    pub postcode: String,
}

/// What the identity editor shows: the person as they are now and their earlier identities.
#[derive(Clone)]
pub struct IdentityEditor {
    pub person: crate::people::PersonView,
    /// Newest first.
    pub versions: Vec<PersonVersion>,
}

/// The outcome of saving an identity.
#[derive(Clone)]
pub enum IdentityOutcome {
    /// Saved as this version (unchanged when nothing differed: no version is written then).
    Saved { version: i64 },
    /// Someone saved another version first: nothing was written; this is the identity now.
    Conflict {
        current: Box<crate::people::PersonView>,
    },
}

fn subject(id: PersonId, resource: String) -> Subject {
    Subject {
        person_id: Some(id.0),
        resource_kind: "person",
        resource_id: Some(resource),
    }
}

pub(crate) fn edit_decision(actor: &Actor, owner: concordat_domain::model::OrgId) -> Decision {
    decide(&Request {
        actor,
        action: Action::EditPerson,
        owner_org: Some(owner),
        agreements: &[],
        consent: &Consent::NotRecorded,
        relationship: Relationship::None,
        break_glass_reason: None,
        today: Utc::now().date_naive(),
    })
}

/// The fields a save changed, by name (never their values: the names go into the audit trail).
fn changed(old: &Person, new: &NewPerson) -> Vec<&'static str> {
    let mut out = Vec::new();
    if old.given_name != new.given_name {
        out.push("given_name");
    }
    if old.family_name != new.family_name {
        out.push("family_name");
    }
    if old.date_of_birth != new.date_of_birth {
        out.push("date_of_birth");
    }
    if old.nhs_number != new.nhs_number {
        out.push("nhs_number");
    }
    if old.postcode != new.postcode {
        out.push("postcode");
    }
    out
}

impl App {
    /// Authorises editing a person's identity, before anything is validated: a role that may not edit
    /// its own organisation's people is refused whether or not the number exists; another
    /// organisation's person is refused as the person page refuses them. Every refusal is audited.
    async fn identity_edit_start(
        &self,
        actor: &Actor,
        id: PersonId,
    ) -> Result<(Tx, Person, Decision), AppError> {
        let code = Action::EditPerson.code();
        let bare = Subject {
            person_id: None,
            resource_kind: "person",
            resource_id: Some(id.0.to_string()),
        };
        let Some(org) = crate::actor_org(actor) else {
            audit_refusal(self, actor, &code, &bare, "the system does not edit people").await?;
            return Err(AppError::Denied(
                concordat_domain::policy::DenyReason::RoleNotPermitted,
            ));
        };
        let mut tx = self.store.begin().await?;
        let probe = edit_decision(actor, org);
        if let Decision::Deny(reason) = probe {
            let s = match tx.person_owner(id).await? {
                Some(_) => subject(id, id.0.to_string()),
                None => bare,
            };
            drop(tx);
            audit_denial(self, actor, &code, &s, &probe).await?;
            return Err(AppError::Denied(reason));
        }
        let Some(person) = tx.person_get(id).await? else {
            drop(tx);
            audit_refusal(self, actor, &code, &bare, "no record has this number").await?;
            return Err(AppError::NotFound);
        };
        let d = edit_decision(actor, person.owner_org_id);
        if let Decision::Deny(reason) = d {
            drop(tx);
            audit_denial(self, actor, &code, &subject(id, id.0.to_string()), &d).await?;
            return Err(AppError::Denied(reason));
        }
        Ok((tx, person, d))
    }

    /// Opens a person's identity to change it: the person as they are now and their earlier
    /// identities, read and audited in one transaction.
    pub async fn identity_editor(
        &self,
        actor: &Actor,
        id: PersonId,
    ) -> Result<IdentityEditor, AppError> {
        let (mut tx, person, d) = self.identity_edit_start(actor, id).await?;
        let versions = tx.person_versions(id).await?;
        let owner = tx
            .org_get(person.owner_org_id)
            .await?
            .map(|o| o.name)
            .unwrap_or_default();
        audit_allowed(
            &mut tx,
            actor,
            "person.view.identity_editor",
            &subject(id, format!("{} v{}", id.0, person.version)),
            &d,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(IdentityEditor {
            person: person_view(&person, owner, false),
            versions,
        })
    }

    /// Saves a person's identity on top of the version the editor opened. The identity it replaces is
    /// kept in `person_versions`; a stale version writes nothing and returns the current identity.
    pub async fn identity_save(
        &self,
        actor: &Actor,
        id: PersonId,
        input: &IdentityInput,
    ) -> Result<IdentityOutcome, AppError> {
        let (mut tx, person, d) = self.identity_edit_start(actor, id).await?;
        let typed = PersonInput {
            given_name: input.given_name.clone(),
            family_name: input.family_name.clone(),
            date_of_birth: input.date_of_birth.clone(),
            nhs_number: input.nhs_number.clone(),
            postcode: input.postcode.clone(),
            ..Default::default()
        };
        let version = input.version.trim().parse::<i64>().map_err(|_| {
            FieldError::new(
                "version",
                "the form lost the version it was opened at: open the person's page and edit again",
            )
        });
        let (expected, validated) = match (version, typed.validate(person.owner_org_id)) {
            (Ok(v), Ok(n)) => (v, n),
            (Err(e), Ok(_)) => return Err(AppError::Invalid(vec![e])),
            (Ok(_), Err(e)) => return Err(e),
            (Err(v), Err(AppError::Invalid(mut errs))) => {
                errs.push(v);
                return Err(AppError::Invalid(errs));
            }
            (Err(_), Err(e)) => return Err(e),
        };
        // Only the identity changes here: the rest of the record is kept as it is.
        let new = NewPerson {
            sex: person.sex.clone(),
            address_line: person.address_line.clone(),
            phone: person.phone.clone(),
            email: person.email.clone(),
            synthetic: person.synthetic,
            ..validated
        };
        if expected != person.version {
            return self.identity_conflict(tx, actor, &person, &d).await;
        }
        let fields = changed(&person, &new);
        if fields.is_empty() {
            drop(tx);
            return Ok(IdentityOutcome::Saved {
                version: person.version,
            });
        }
        tx.person_version_insert(&person, actor.username()).await?;
        let saved = match tx.person_update(id, &new, expected).await {
            Ok(v) => v,
            Err(StoreError::StaleVersion { .. }) => {
                // Lost a race inside the database: report it the same way, reading afresh.
                drop(tx);
                let mut tx = self.store.begin().await?;
                let current = tx.person_get(id).await?.ok_or(AppError::NotFound)?;
                return self.identity_conflict(tx, actor, &current, &d).await;
            }
            Err(e) => return Err(e.into()),
        };
        audit_allowed(
            &mut tx,
            actor,
            &Action::EditPerson.code(),
            &subject(
                id,
                format!("{} v{saved}: changed {}", id.0, fields.join(", ")),
            ),
            &d,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(IdentityOutcome::Saved { version: saved })
    }

    /// A stale save: nothing written; the current identity is read, audited and returned.
    async fn identity_conflict(
        &self,
        mut tx: Tx,
        actor: &Actor,
        current: &Person,
        d: &Decision,
    ) -> Result<IdentityOutcome, AppError> {
        let owner = tx
            .org_get(current.owner_org_id)
            .await?
            .map(|o| o.name)
            .unwrap_or_default();
        audit_allowed(
            &mut tx,
            actor,
            "person.view.identity_conflict",
            &subject(
                current.id,
                format!(
                    "{} v{}: save refused, shown beside the editor's text",
                    current.id.0, current.version
                ),
            ),
            d,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(IdentityOutcome::Conflict {
            current: Box::new(person_view(current, owner, false)),
        })
    }
}

/// `Debug` that never shows names, dates of birth or NHS numbers.
impl std::fmt::Debug for IdentityInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdentityInput(***)")
    }
}
