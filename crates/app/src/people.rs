//! Finding and reading people's records: every read is decided by the policy and audited in the same transaction.

use crate::{
    App, AppError, FieldError, Subject, actor_org, audit_allowed, audit_denial, audit_draft,
};
use chrono::{NaiveDate, Utc};
use concordat_domain::model::{NewPerson, OrgId, Person, PersonId};
use concordat_domain::policy::{Action, Actor, Consent, Decision, Relationship, Request, decide};
use concordat_domain::text::{control_char, control_char_message, nfc};
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

/// What a search found: the people the caller may see, at most [`SEARCH_LIMIT`], and whether more
/// matched (so the page can ask for a narrower search instead of silently cutting the list).
#[derive(Clone, Serialize)]
pub struct SearchResults {
    pub people: Vec<PersonSummary>,
    /// More people the caller may see matched than are shown.
    pub more: bool,
}

/// The most people one search returns.
pub const SEARCH_LIMIT: usize = 25;

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

/// Parses a date as people type it (20/12/1975, 20-12-1975 or 1975-12-20; a two-digit year is refused,
/// `concordat_domain::dates::parse_date`), with a message naming the field.
pub fn parse_date_input(field: &str, s: &str) -> Result<NaiveDate, FieldError> {
    let label = field.replace('_', " ");
    let d = concordat_domain::dates::parse_date(s)
        .map_err(|e| FieldError::new(field, e.message(&label)))?;
    if crate::limits::year_ok(d) {
        Ok(d)
    } else {
        Err(FieldError::new(field, crate::limits::year_message()))
    }
}

impl SearchInput {
    /// Turns the form into a query, with a message per field when it cannot.
    pub fn to_query(&self) -> Result<PersonQuery, AppError> {
        // A NUL or other control character is never part of a name, date, number or postcode.
        let fields = [
            ("nhs_number", &self.nhs_number),
            ("family_name", &self.family_name),
            ("date_of_birth", &self.date_of_birth),
            ("postcode", &self.postcode),
        ];
        let errs: Vec<FieldError> = fields
            .iter()
            .filter_map(|(f, v)| {
                control_char(v).map(|c| FieldError::new(f, control_char_message(c)))
            })
            .collect();
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
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
                    family_name: nfc(name),
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

/// The policy's decision on `actor` seeing the identity of a person held by `owner`.
fn identity_decision(
    actor: &Actor,
    owner: OrgId,
    agreements: &[concordat_domain::model::SharingAgreement],
    consent: &Consent,
) -> Decision {
    decide(&Request {
        actor,
        action: Action::ViewPerson(DataCategory::Identity),
        owner_org: Some(owner),
        agreements,
        consent,
        // Identity does not depend on the care team.
        relationship: Relationship::None,
        break_glass_reason: None,
        today: Utc::now().date_naive(),
    })
}

/// The organisations whose people's identity `actor` may see at all, and for each whether that
/// depends on the person's own decision (an agreement resting on consent): their own organisation,
/// and each organisation whose agreement with them the policy accepts for identity, asked of the
/// policy with no consent and then with a recorded basis. The search keeps to these organisations
/// in its query, and each person found is decided again on their own.
fn visible_owners(
    actor: &Actor,
    agreements: &[concordat_domain::model::SharingAgreement],
) -> Vec<(OrgId, bool)> {
    let Some(org) = actor_org(actor) else {
        return Vec::new();
    };
    let mut candidates = vec![org];
    for a in agreements {
        if !candidates.contains(&a.from_org_id) {
            candidates.push(a.from_org_id);
        }
    }
    let with_basis = Consent::OtherBasis(concordat_domain::LegalBasis::DirectCare);
    candidates
        .into_iter()
        .filter_map(|o| {
            if identity_decision(actor, o, agreements, &Consent::NotRecorded).is_allowed() {
                Some((o, false))
            } else if identity_decision(actor, o, agreements, &with_basis).is_allowed() {
                Some((o, true))
            } else {
                None
            }
        })
        .collect()
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
    /// Results the actor may not see are left out (and not counted, so a search reveals nothing): the
    /// query itself keeps to the organisations whose records the policy lets the actor see, so other
    /// organisations' people never use up the limit; each person found is then decided one by one.
    pub async fn search_people(
        &self,
        actor: &Actor,
        input: &SearchInput,
    ) -> Result<SearchResults, AppError> {
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
        let agreements = match actor_org(actor) {
            Some(org) => tx.agreements(Some(org)).await?,
            None => Vec::new(),
        };
        let owners = visible_owners(actor, &agreements);
        let owner_ids: Vec<OrgId> = owners.iter().map(|(o, _)| *o).collect();
        // Page through the matches until one more visible person than the limit is found (so the
        // caller can be told the list was cut), deciding each person as we go.
        const PAGE: i64 = 100;
        const MAX_SCANNED: i64 = 2_000;
        let mut visible: Vec<(Person, Decision)> = Vec::new();
        let mut offset = 0;
        let mut scan_cut = false;
        'pages: loop {
            let page = tx
                .people_search_in(&query, Some(&owner_ids), PAGE, offset)
                .await?;
            let n = page.len() as i64;
            // The consents this page needs (people whose owner shares only with consent), in one query.
            let needs_consent = |p: &Person| {
                owners
                    .iter()
                    .any(|(o, needs)| *o == p.owner_org_id && *needs)
            };
            let wanted: Vec<PersonId> = page
                .iter()
                .filter(|p| needs_consent(p))
                .map(|p| p.id)
                .collect();
            let consents = tx.consents_for(&wanted).await?;
            for p in page {
                let consent = consents
                    .iter()
                    .find(|c| c.person_id == p.id)
                    .map_or(Consent::NotRecorded, |c| c.policy_consent(None));
                let d = identity_decision(actor, p.owner_org_id, &agreements, &consent);
                if d.is_allowed() {
                    visible.push((p, d));
                    if visible.len() > SEARCH_LIMIT {
                        break 'pages;
                    }
                }
            }
            offset += PAGE;
            if n < PAGE {
                break;
            }
            if offset >= MAX_SCANNED {
                scan_cut = true;
                break;
            }
        }
        let more = visible.len() > SEARCH_LIMIT || scan_cut;
        visible.truncate(SEARCH_LIMIT);
        let mut out = Vec::new();
        for (p, decision) in visible {
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
        Ok(SearchResults { people: out, more })
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
        let action = Action::ViewPerson(DataCategory::Identity);
        // Authorise before looking the number up: a role that may not see even its own organisation's
        // people is refused whether or not the number exists, and every refusal is audited.
        let access = crate::access::Access::load(&mut tx, actor).await?;
        let probe = access.record(action, actor_org(actor));
        if let Decision::Deny(reason) = probe {
            // The answer does not depend on whether the number exists; the audit row names the person if it does.
            let subject = match tx.person_get(id).await? {
                Some(_) => person_subject(id),
                None => Subject {
                    person_id: None,
                    resource_kind: "person",
                    resource_id: Some(id.0.to_string()),
                },
            };
            drop(tx);
            audit_denial(self, actor, &action.code(), &subject, &probe).await?;
            return Err(AppError::Denied(reason));
        }
        let Some(person) = tx.person_get(id).await? else {
            drop(tx);
            let subject = Subject {
                person_id: None,
                resource_kind: "person",
                resource_id: Some(id.0.to_string()),
            };
            crate::audit_refusal(
                self,
                actor,
                &action.code(),
                &subject,
                "no record has this number",
            )
            .await?;
            return Err(AppError::NotFound);
        };
        let decision = access
            .person(
                &mut tx,
                person.id,
                person.owner_org_id,
                action,
                break_glass_reason,
            )
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
        // Stored in Unicode NFC, so a name typed on any keyboard is stored (and found) one way.
        let mut text = |field: &str, v: &str, required: bool, max: usize| -> Option<String> {
            let t = nfc(v.trim());
            if let Some(c) = control_char(&t) {
                errs.push(FieldError::new(field, control_char_message(c)));
            } else if required && t.is_empty() {
                errs.push(FieldError::new(field, "this is required"));
            } else if t.chars().count() > max {
                errs.push(FieldError::new(
                    field,
                    format!("use at most {max} characters"),
                ));
            }
            opt(&t)
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
