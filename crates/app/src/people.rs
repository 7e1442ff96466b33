//! Finding and reading people's records: every read is decided by the policy and audited in the same transaction.

use crate::{
    App, AppError, FieldError, Subject, actor_org, audit_allowed, audit_denial, audit_draft,
};
use chrono::{NaiveDate, Utc};
use concordat_domain::model::{NewPerson, Person, PersonId};
use concordat_domain::policy::{Action, Actor, Consent, Decision, Relationship, Request, decide};
use concordat_domain::{DataCategory, NhsNumber, Postcode};
use concordat_store::PersonQuery;
use serde::{Deserialize, Serialize};

/// What a search form or API call asks for: exactly one of the three ways to find someone.
#[derive(Clone, Default, Deserialize)]
pub struct SearchInput {
    #[serde(default)]
    pub nhs_number: String,
    #[serde(default)]
    pub family_name: String,
    #[serde(default)]
    pub date_of_birth: String,
    #[serde(default)]
    pub postcode: String,
}

/// What a search shows of each person found: enough to tell people apart, no more.
#[derive(Clone, Serialize)]
pub struct PersonSummary {
    pub id: i64,
    pub name: String,
    pub date_of_birth: Option<NaiveDate>,
    pub postcode_district: Option<String>,
    pub synthetic: bool,
}

/// A person's identity as shown on their page.
#[derive(Clone, Serialize)]
pub struct PersonView {
    pub id: i64,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Option<NaiveDate>,
    pub nhs_number: Option<String>,
    pub sex: Option<String>,
    pub postcode: Option<String>,
    pub address_line: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub owner_organisation: String,
    pub synthetic: bool,
    pub version: i64,
    /// True when seen by break-glass: the page says so and the privacy officer will review it.
    pub break_glass: bool,
}

/// Parses a date as people type it: 2024-03-01 or 01/03/2024.
pub fn parse_date_input(field: &str, s: &str) -> Result<NaiveDate, FieldError> {
    let s = s.trim();
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .map_err(|_| FieldError::new(field, "enter a real date, like 31/01/1990"))?;
    if crate::limits::year_ok(d) {
        Ok(d)
    } else {
        Err(FieldError::new(field, crate::limits::year_message()))
    }
}

impl SearchInput {
    /// Turns the form into a query, with a message per field when it cannot.
    pub fn to_query(&self) -> Result<PersonQuery, AppError> {
        let nhs = self.nhs_number.trim();
        let name = self.family_name.trim();
        let dob = self.date_of_birth.trim();
        let pc = self.postcode.trim();
        if !nhs.is_empty() {
            return NhsNumber::parse(nhs)
                .map(PersonQuery::NhsNumber)
                .map_err(|e| AppError::invalid("nhs_number", e.to_string()));
        }
        if !name.is_empty() || !dob.is_empty() {
            let mut errs = Vec::new();
            if name.is_empty() {
                errs.push(FieldError::new("family_name", "enter the family name"));
            }
            errs.extend(crate::limits::too_long(
                "family_name",
                name,
                crate::limits::MAX_SEARCH_NAME,
            ));
            let date = if dob.is_empty() {
                errs.push(FieldError::new("date_of_birth", "enter the date of birth"));
                None
            } else {
                match parse_date_input("date_of_birth", dob) {
                    Ok(d) if d > Utc::now().date_naive() => {
                        errs.push(FieldError::new(
                            "date_of_birth",
                            "the date of birth must be in the past",
                        ));
                        None
                    }
                    Ok(d) => Some(d),
                    Err(e) => {
                        errs.push(e);
                        None
                    }
                }
            };
            return match (errs.is_empty(), date) {
                (true, Some(date_of_birth)) => Ok(PersonQuery::NameDob {
                    family_name: name.to_string(),
                    date_of_birth,
                }),
                _ => Err(AppError::Invalid(errs)),
            };
        }
        if !pc.is_empty() {
            return Postcode::parse(pc)
                .map(PersonQuery::Postcode)
                .map_err(|e| AppError::invalid("postcode", e.to_string()));
        }
        Err(AppError::invalid(
            "nhs_number",
            "enter an NHS number, or a family name and date of birth, or a postcode",
        ))
    }
}

fn person_subject(id: PersonId) -> Subject {
    Subject {
        person_id: Some(id.0),
        resource_kind: "person",
        resource_id: Some(id.0.to_string()),
    }
}

impl App {
    /// Searches for people. Each person returned is a read of their identity: one audit event each,
    /// in the same transaction, so their access history shows searches too.
    /// Results the actor may not see are left out (and not counted, so a search reveals nothing).
    pub async fn search_people(
        &self,
        actor: &Actor,
        input: &SearchInput,
    ) -> Result<Vec<PersonSummary>, AppError> {
        crate::require(
            self,
            actor,
            Action::SearchPeople,
            &Subject {
                resource_kind: "person",
                ..Default::default()
            },
        )
        .await?;
        let query = input.to_query()?;
        let mut tx = self.store.begin().await?;
        let found = tx.people_search(&query, 25).await?;
        let mut out = Vec::new();
        for p in found {
            let decision = self
                .decide_person(
                    &mut tx,
                    actor,
                    &p,
                    Action::ViewPerson(DataCategory::Identity),
                    None,
                )
                .await?;
            if decision.is_allowed() {
                audit_allowed(
                    &mut tx,
                    actor,
                    "person.search_result",
                    &person_subject(p.id),
                    &decision,
                    None,
                )
                .await?;
                out.push(PersonSummary {
                    id: p.id.0,
                    name: format!("{} {}", p.given_name, p.family_name),
                    date_of_birth: p.date_of_birth,
                    postcode_district: p.postcode.as_ref().map(|pc| pc.district().to_string()),
                    synthetic: p.synthetic,
                });
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    /// The policy's decision for `actor` on `person`, with agreements, consent and relationship from the store.
    async fn decide_person(
        &self,
        tx: &mut concordat_store::Tx,
        actor: &Actor,
        person: &Person,
        action: Action,
        break_glass_reason: Option<&str>,
    ) -> Result<Decision, AppError> {
        let agreements = match actor_org(actor) {
            Some(org) => tx.agreements(Some(org)).await?,
            None => Vec::new(),
        };
        let relationship = match actor.as_user() {
            Some(u) if tx.care_team_contains(person.id, u.user_id).await? => Relationship::CareTeam,
            _ => Relationship::None,
        };
        // The person's recorded decision about sharing their plan (identity flows on agreements alone;
        // plan sections are decided one by one in `plans`, with consent narrowed to each section).
        let consent = match tx.consent_get(person.id).await? {
            None => Consent::NotRecorded,
            Some(c) => {
                let plan = if c.status == concordat_domain::consent::ConsentStatus::Given {
                    tx.plan_for_person(person.id).await?
                } else {
                    None
                };
                c.policy_consent(plan.as_ref())
            }
        };
        Ok(decide(&Request {
            actor,
            action,
            owner_org: Some(person.owner_org_id),
            agreements: &agreements,
            consent: &consent,
            relationship,
            break_glass_reason,
            today: Utc::now().date_naive(),
        }))
    }

    /// Reads a person's identity. Denials are audited too; break-glass needs a reason and is flagged for review.
    pub async fn view_person(
        &self,
        actor: &Actor,
        id: PersonId,
        break_glass_reason: Option<&str>,
    ) -> Result<PersonView, AppError> {
        crate::limits::check_break_glass_reason(break_glass_reason)?;
        let mut tx = self.store.begin().await?;
        let Some(person) = tx.person_get(id).await? else {
            return Err(AppError::NotFound);
        };
        let action = Action::ViewPerson(DataCategory::Identity);
        let decision = self
            .decide_person(&mut tx, actor, &person, action, break_glass_reason)
            .await?;
        if let Decision::Deny(reason) = decision {
            drop(tx);
            audit_denial(self, actor, &action.code(), &person_subject(id), &decision).await?;
            return Err(AppError::Denied(reason));
        }
        let owner = tx
            .org_get(person.owner_org_id)
            .await?
            .map(|o| o.name)
            .unwrap_or_default();
        let break_glass = matches!(
            decision,
            Decision::Allow {
                break_glass: true,
                ..
            }
        );
        tx.audit_append(&audit_draft(
            actor,
            &action.code(),
            &person_subject(id),
            &decision,
            break_glass_reason,
        ))
        .await?;
        tx.commit().await?;
        Ok(PersonView {
            id: person.id.0,
            given_name: person.given_name,
            family_name: person.family_name,
            date_of_birth: person.date_of_birth,
            nhs_number: person.nhs_number.map(|n| n.to_string()),
            sex: person.sex,
            postcode: person.postcode.map(|p| p.to_string()),
            address_line: person.address_line,
            phone: person.phone,
            email: person.email,
            owner_organisation: owner,
            synthetic: person.synthetic,
            version: person.version,
            break_glass,
        })
    }

    /// Creates a person owned by the actor's organisation.
    pub async fn create_person(
        &self,
        actor: &Actor,
        input: &PersonInput,
    ) -> Result<PersonId, AppError> {
        let Some(org) = actor_org(actor) else {
            return Err(AppError::invalid(
                "owner",
                "the system cannot own people's records",
            ));
        };
        let new = input.validate(org)?;
        let decision = decide(&Request {
            actor,
            action: Action::CreatePerson,
            owner_org: Some(org),
            agreements: &[],
            consent: &Consent::NotRecorded,
            relationship: Relationship::None,
            break_glass_reason: None,
            today: Utc::now().date_naive(),
        });
        let subject = Subject {
            resource_kind: "person",
            ..Default::default()
        };
        if let Decision::Deny(reason) = decision {
            audit_denial(self, actor, "person.create", &subject, &decision).await?;
            return Err(AppError::Denied(reason));
        }
        let mut tx = self.store.begin().await?;
        let id = tx.person_insert(&new).await?;
        audit_allowed(
            &mut tx,
            actor,
            "person.create",
            &person_subject(id),
            &decision,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }
}

/// A person as entered in a form or API body: strings, validated together so every field's problem is reported.
#[derive(Clone, Default, Deserialize)]
pub struct PersonInput {
    #[serde(default)]
    pub given_name: String,
    #[serde(default)]
    pub family_name: String,
    #[serde(default)]
    pub date_of_birth: String,
    #[serde(default)]
    pub nhs_number: String,
    #[serde(default)]
    pub sex: String,
    #[serde(default)]
    pub postcode: String,
    #[serde(default)]
    pub address_line: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

impl PersonInput {
    /// Validates every field, collecting all problems.
    pub fn validate(&self, owner: concordat_domain::model::OrgId) -> Result<NewPerson, AppError> {
        let mut errs = Vec::new();
        let mut text = |field: &str, v: &str, required: bool, max: usize| -> Option<String> {
            let t = v.trim();
            if required && t.is_empty() {
                errs.push(FieldError::new(field, "this is required"));
            } else if t.chars().count() > max {
                errs.push(FieldError::new(
                    field,
                    format!("use at most {max} characters"),
                ));
            }
            opt(t)
        };
        let given_name = text("given_name", &self.given_name, true, 100).unwrap_or_default();
        let family_name = text("family_name", &self.family_name, true, 100).unwrap_or_default();
        let address_line = text("address_line", &self.address_line, false, 200);
        let phone = text("phone", &self.phone, false, 30);
        let email = text("email", &self.email, false, 200);
        let sex = text("sex", &self.sex, false, 30);
        let date_of_birth = match opt(&self.date_of_birth) {
            None => None,
            Some(s) => match parse_date_input("date_of_birth", &s) {
                Ok(d) if d > Utc::now().date_naive() => {
                    errs.push(FieldError::new(
                        "date_of_birth",
                        "the date of birth must be in the past",
                    ));
                    None
                }
                Ok(d) => Some(d),
                Err(e) => {
                    errs.push(e);
                    None
                }
            },
        };
        let nhs_number = match opt(&self.nhs_number) {
            None => None,
            Some(s) => NhsNumber::parse(&s)
                .map_err(|e| errs.push(FieldError::new("nhs_number", e.to_string())))
                .ok(),
        };
        let postcode = match opt(&self.postcode) {
            None => None,
            Some(s) => Postcode::parse(&s)
                .map_err(|e| errs.push(FieldError::new("postcode", e.to_string())))
                .ok(),
        };
        if email.as_ref().is_some_and(|e| !e.contains('@')) {
            errs.push(FieldError::new(
                "email",
                "enter an email address like name@example.org",
            ));
        }
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        Ok(NewPerson {
            owner_org_id: owner,
            given_name,
            family_name,
            date_of_birth,
            nhs_number,
            sex,
            postcode,
            address_line,
            phone,
            email,
            synthetic: false,
        })
    }
}

/// `Debug` for types that carry names, dates of birth or NHS numbers: the type name only, so a stray
/// `{:?}` in a log line never leaks personal data.
macro_rules! redacted_debug {
    ($($t:ty),+) => {
        $(impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($t), "(***)"))
            }
        })+
    };
}
redacted_debug!(SearchInput, PersonSummary, PersonView, PersonInput);
