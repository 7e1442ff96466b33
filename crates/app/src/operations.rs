//! Crisis response operations: crisis contacts (street triage, control room, advice line),
//! s136/s135 episodes with the statutory clock, and places of safety.
//!
//! The rules are the domain's (`concordat_domain::mha`): this module only loads, asks the policy, applies them and audits.

mod contacts;
mod demo_load;
mod episodes;
mod reports;

pub use contacts::{
    CONTACT_LIST_LIMIT, ContactForm, ContactLine, ContactList, ContactListQuery, ContactView,
    Options, contact_options,
};
pub use episodes::{BoardRow, EpisodeStep, EpisodeView};
pub use reports::{ExportKind, PlaceAvailability};

pub(crate) use demo_load::load_demo;

use crate::access::Access;
use crate::{App, AppError, Subject, audit_denial, audit_refusal};
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use concordat_domain::DataCategory;
use concordat_domain::mha::{LocalTimeError, from_london_local, london_local};
use concordat_domain::model::PersonId;
use concordat_domain::policy::{Action, Actor, Decision};
use concordat_store::Tx;

/// What a refused choice of person, or a refused record number, was; audited once the caller's
/// transaction has ended (SQLite allows one writer), then answered the same way whatever the cause.
pub(crate) struct Refused {
    action: String,
    subject: Subject,
    /// The policy's denial, or `None` when nothing has that number.
    decision: Option<Decision>,
    reason: &'static str,
}

impl Refused {
    /// A record number that matches nothing.
    pub(crate) fn missing(action: &str, resource_kind: &'static str, id: i64) -> Self {
        Refused {
            action: action.to_string(),
            subject: Subject {
                person_id: None,
                resource_kind,
                resource_id: Some(id.to_string()),
            },
            decision: None,
            reason: "no record has this number",
        }
    }

    /// A record the policy refuses.
    pub(crate) fn denied(action: &str, subject: Subject, decision: Decision) -> Self {
        Refused {
            action: action.to_string(),
            subject,
            decision: Some(decision),
            reason: "",
        }
    }

    /// Writes the refusal to the audit trail in its own transaction.
    pub(crate) async fn audit(self, app: &App, actor: &Actor) -> Result<(), AppError> {
        match &self.decision {
            Some(d) => audit_denial(app, actor, &self.action, &self.subject, d).await,
            None => audit_refusal(app, actor, &self.action, &self.subject, self.reason).await,
        }
    }
}

/// The answer to a person chosen for a contact or episode that does not exist or that the actor may
/// not see: the same words either way, so the form cannot be used to find out which numbers exist.
pub(crate) fn person_choice_error() -> AppError {
    AppError::invalid(
        "person_id",
        "No person you may see has that record number. Check the number on their page, or leave it blank and describe them",
    )
}

/// Checks a person chosen for a contact or episode with the same decision as opening their page
/// (identity). `Ok(None)` when allowed; otherwise the refusal for the caller to audit after its transaction.
pub(crate) async fn check_person_choice(
    tx: &mut Tx,
    access: &Access<'_>,
    person_id: i64,
    action: &str,
) -> Result<Option<Refused>, AppError> {
    let Some(person) = tx.person_get(PersonId(person_id)).await? else {
        return Ok(Some(Refused::missing(action, "person", person_id)));
    };
    let d = access
        .person(
            tx,
            person.id,
            person.owner_org_id,
            Action::ViewPerson(DataCategory::Identity),
            None,
        )
        .await?;
    if d.is_allowed() {
        return Ok(None);
    }
    let subject = Subject {
        person_id: Some(person_id),
        resource_kind: "person",
        resource_id: Some(person_id.to_string()),
    };
    Ok(Some(Refused::denied(action, subject, d)))
}

/// Reads a Europe/London wall-clock time as typed in a form ("2025-03-30T14:05" or "2025-03-30 14:05").
pub(crate) fn parse_local(field: &str, s: &str) -> Result<Option<DateTime<Utc>>, AppError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let naive = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .ok_or_else(|| {
            AppError::invalid(
                field,
                "Enter a date and time like 2025-03-30 14:05 (UK time)",
            )
        })?;
    // Far-off years are typing mistakes, and would overflow the clock arithmetic.
    if !crate::limits::year_ok(naive) {
        return Err(AppError::invalid(field, crate::limits::year_message()));
    }
    match from_london_local(naive) {
        Ok(t) => Ok(Some(t)),
        Err(LocalTimeError::DoesNotExist) => Err(AppError::invalid(
            field,
            "That time did not exist in the UK: the clocks went forward. Check the time",
        )),
        Err(LocalTimeError::Ambiguous { earlier, later }) => Err(AppError::invalid(
            field,
            format!(
                "That time happened twice as the clocks went back: it is either {} or {}. Use the 24-hour time after the change, or check the record",
                london_local(earlier),
                london_local(later)
            ),
        )),
    }
}

/// A time as a form shows it in Europe/London ("2025-03-30T14:05"), for datetime-local inputs.
pub fn form_time(t: DateTime<Utc>) -> String {
    // London is UTC+1 in summer time (BST) and UTC otherwise; `london_local` names the zone in force at `t`.
    let hours = if london_local(t).ends_with("BST") {
        1
    } else {
        0
    };
    (t + TimeDelta::hours(hours))
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// The code lists a contact uses (code, label), for pages that show codes as words.
pub mod contacts_lists {
    pub use super::contacts::{CONVEYANCES, NEEDS, OUTCOMES, RESPONSE_TYPES, SETTINGS, SOURCES};
}
