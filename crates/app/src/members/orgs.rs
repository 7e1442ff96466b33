//! Organisations as administrators manage them: add (partnership-wide administrators), edit (their own, or
//! any for a partnership-wide administrator), deactivate and reactivate. Organisations are never deleted:
//! they hold records. Deactivating one with open s136/s135 detentions is refused.

use super::{decide_for, opt, require_for};
use crate::{App, AppError, FieldError, Subject, audit_draft};
use concordat_domain::OrgKind;
use concordat_domain::model::OrgId;
use concordat_domain::policy::{Action, Actor};
use concordat_store::{OrgDetails, OrgFields};

/// What an administrator enters for an organisation (form or JSON).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct OrgInput {
    #[serde(default)]
    pub name: String,
    /// A kind code, e.g. `mental_health_trust`.
    #[serde(default)]
    pub kind: String,
    /// NHS Organisation Data Service code: required for NHS bodies, not allowed for others.
    #[serde(default)]
    pub ods_code: String,
    /// An org-id.guide identifier such as GB-CHC-1234567 (for bodies that are not NHS).
    #[serde(default)]
    pub org_identifier: String,
    #[serde(default)]
    pub contact_name: String,
    #[serde(default)]
    pub contact_email: String,
    #[serde(default)]
    pub contact_phone: String,
    /// The organisation's crisis line: the number a responder is told to call when a plan is withheld.
    #[serde(default)]
    pub crisis_line: String,
}

/// An organisation with its administrative details.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OrgView {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub kind_label: String,
    pub ods_code: Option<String>,
    pub org_identifier: Option<String>,
    pub active: bool,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    /// Public: a service's crisis line is for everyone in the partnership (and its patients) to call.
    pub crisis_line: Option<String>,
}

impl From<OrgDetails> for OrgView {
    fn from(o: OrgDetails) -> Self {
        OrgView {
            id: o.id.0,
            name: o.name,
            kind: o.kind.code().to_string(),
            kind_label: o.kind.label().to_string(),
            ods_code: o.ods_code,
            org_identifier: o.org_identifier,
            active: o.active,
            contact_name: o.contact_name,
            contact_email: o.contact_email,
            contact_phone: o.contact_phone,
            crisis_line: o.crisis_line,
        }
    }
}

impl OrgView {
    /// The organisation without its contact person, email and phone.
    pub fn without_contacts(self) -> Self {
        OrgView {
            contact_name: None,
            contact_email: None,
            contact_phone: None,
            ..self
        }
    }
}

/// NHS bodies, which have an ODS code.
fn is_nhs(kind: OrgKind) -> bool {
    matches!(
        kind,
        OrgKind::MentalHealthTrust | OrgKind::Icb | OrgKind::AcuteTrust | OrgKind::AmbulanceService
    )
}

impl OrgInput {
    /// Parses and checks every field, reporting each problem by field.
    pub fn parse(&self) -> Result<OrgFields, AppError> {
        let mut errs = Vec::new();
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 200 {
            errs.push(FieldError::new(
                "name",
                "enter the organisation's name (at most 200 characters)",
            ));
        }
        let kind = OrgKind::from_code(self.kind.trim());
        if kind.is_none() {
            errs.push(FieldError::new("kind", "choose the kind of organisation"));
        }
        let ods = opt(&self.ods_code).map(|s| s.to_uppercase());
        match (kind, &ods) {
            (Some(k), None) if is_nhs(k) => errs.push(FieldError::new(
                "ods_code",
                "enter the ODS code: every NHS body has one",
            )),
            (Some(k), Some(_)) if !is_nhs(k) => errs.push(FieldError::new(
                "ods_code",
                "only NHS bodies have ODS codes: leave this empty and give an org-id identifier instead",
            )),
            (_, Some(c))
                if !(3..=6).contains(&c.len())
                    || !c.chars().all(|ch| ch.is_ascii_alphanumeric()) =>
            {
                errs.push(FieldError::new(
                    "ods_code",
                    "an ODS code is 3 to 6 letters and digits, such as RX4 or 15F",
                ))
            }
            _ => {}
        }
        let org_identifier = opt(&self.org_identifier);
        if let Some(id) = &org_identifier {
            let parts: Vec<&str> = id.split('-').collect();
            let ok = parts.len() >= 3
                && parts[0].len() == 2
                && parts[0].chars().all(|c| c.is_ascii_uppercase())
                && parts[1].chars().all(|c| c.is_ascii_uppercase())
                && !parts[1].is_empty()
                && parts[2..]
                    .iter()
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()))
                && id.len() <= 64;
            if !ok {
                errs.push(FieldError::new(
                    "org_identifier",
                    "an org-id identifier looks like GB-CHC-1234567 or GB-COH-01234567 (country, register, number)",
                ));
            }
        }
        let contact_name = opt(&self.contact_name);
        if contact_name
            .as_ref()
            .is_some_and(|c| c.chars().count() > 200)
        {
            errs.push(FieldError::new(
                "contact_name",
                "use at most 200 characters",
            ));
        }
        let contact_email = opt(&self.contact_email);
        if let Some(e) = &contact_email {
            let ok = e.len() <= 254
                && e.split_once('@').is_some_and(|(l, d)| {
                    !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
                })
                && !e.chars().any(char::is_whitespace);
            if !ok {
                errs.push(FieldError::new(
                    "contact_email",
                    "enter an email address like name@example.org",
                ));
            }
        }
        let contact_phone = opt(&self.contact_phone);
        if contact_phone.as_deref().is_some_and(|p| !phone_ok(p)) {
            errs.push(FieldError::new(
                "contact_phone",
                "enter a phone number of 10 to 15 digits, like 0113 496 0000",
            ));
        }
        let crisis_line = opt(&self.crisis_line);
        if crisis_line.as_deref().is_some_and(|p| !phone_ok(p)) {
            errs.push(FieldError::new(
                "crisis_line",
                "enter the crisis line's phone number of 10 to 15 digits, like 0800 123 4567",
            ));
        }
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        Ok(OrgFields {
            name,
            kind,
            ods_code: ods,
            org_identifier,
            contact_name,
            contact_email,
            contact_phone,
            crisis_line,
        })
    }
}

/// A phone number as people write it: 10 to 15 digits, with spaces, brackets, hyphens or a plus.
fn phone_ok(p: &str) -> bool {
    let digits = p.chars().filter(char::is_ascii_digit).count();
    (10..=15).contains(&digits)
        && p.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '(' | ')' | '-'))
}

fn org_subject(id: Option<OrgId>) -> Subject {
    Subject {
        resource_kind: "organisation",
        resource_id: id.map(|i| i.to_string()),
        person_id: None,
    }
}

impl App {
    /// Every organisation with its details and active flag: any member may see who is in the partnership.
    /// The named contact person, email and phone are staff's personal data, shown only to the roles the
    /// policy allows (`ViewOrganisationContacts`); a list that shows them is audited in the same
    /// transaction, and for everyone else they are left out.
    pub async fn organisation_details(&self, actor: &Actor) -> Result<Vec<OrgView>, AppError> {
        let decision = decide_for(actor, Action::ViewOrganisationContacts, None);
        if !decision.is_allowed() {
            let mut tx = self.store.begin_read().await?;
            return Ok(tx
                .org_details_list()
                .await?
                .into_iter()
                .map(|o| OrgView::from(o).without_contacts())
                .collect());
        }
        let mut tx = self.store.begin().await?;
        let list: Vec<OrgView> = tx
            .org_details_list()
            .await?
            .into_iter()
            .map(OrgView::from)
            .collect();
        tx.audit_append(&audit_draft(
            actor,
            &Action::ViewOrganisationContacts.code(),
            &org_subject(None),
            &decision,
            None,
        ))
        .await?;
        tx.commit().await?;
        Ok(list)
    }

    /// One organisation's details, for its administrators (its own, or a partnership-wide one): they
    /// are the people who may change them. Authorised before anything is read; audited.
    pub async fn organisation_detail(&self, actor: &Actor, id: OrgId) -> Result<OrgView, AppError> {
        let decision = require_for(
            self,
            actor,
            Action::ManageOrganisations,
            &[id],
            "organisation.view",
            &org_subject(Some(id)),
        )
        .await?;
        let mut tx = self.store.begin().await?;
        let view = tx.org_details(id).await?.ok_or(AppError::NotFound)?;
        tx.audit_append(&audit_draft(
            actor,
            "organisation.view",
            &org_subject(Some(id)),
            &decision,
            None,
        ))
        .await?;
        tx.commit().await?;
        Ok(view.into())
    }

    /// Adds an organisation (partnership-wide administrators only).
    pub async fn create_organisation(
        &self,
        actor: &Actor,
        input: &OrgInput,
    ) -> Result<OrgView, AppError> {
        // Authorise first: a role that may not add organisations is refused (and audited) whatever it sent.
        let decision = require_for(
            self,
            actor,
            Action::ManageOrganisations,
            &[],
            "organisation.create",
            &org_subject(None),
        )
        .await?;
        let fields = input.parse()?;
        let mut tx = self.store.begin().await?;
        let id = tx.org_insert_details(&fields).await.map_err(name_taken)?;
        tx.audit_append(&audit_draft(
            actor,
            "organisation.create",
            &org_subject(Some(id)),
            &decision,
            None,
        ))
        .await?;
        let view = tx.org_details(id).await?.ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(view.into())
    }

    /// Changes an organisation's details (its own administrator, or a partnership-wide one).
    pub async fn update_organisation(
        &self,
        actor: &Actor,
        id: OrgId,
        input: &OrgInput,
    ) -> Result<OrgView, AppError> {
        let decision = require_for(
            self,
            actor,
            Action::ManageOrganisations,
            &[id],
            "organisation.update",
            &org_subject(Some(id)),
        )
        .await?;
        let fields = input.parse()?;
        let mut tx = self.store.begin().await?;
        if !tx.org_update(id, &fields).await.map_err(name_taken)? {
            return Err(AppError::NotFound);
        }
        tx.audit_append(&audit_draft(
            actor,
            "organisation.update",
            &org_subject(Some(id)),
            &decision,
            None,
        ))
        .await?;
        let view = tx.org_details(id).await?.ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(view.into())
    }

    /// Deactivates or reactivates an organisation. Deactivating is refused, with the reason, while the
    /// organisation has open s136/s135 detentions, and ends every session and API token acting for it
    /// (counted in the audit event). Nothing is deleted.
    pub async fn set_organisation_active(
        &self,
        actor: &Actor,
        id: OrgId,
        active: bool,
    ) -> Result<(), AppError> {
        let action = if active {
            "organisation.reactivate"
        } else {
            "organisation.deactivate"
        };
        let decision = require_for(
            self,
            actor,
            Action::ManageOrganisations,
            &[id],
            action,
            &org_subject(Some(id)),
        )
        .await?;
        let mut tx = self.store.begin().await?;
        let org = tx.org_details(id).await?.ok_or(AppError::NotFound)?;
        if org.active == active {
            return Err(AppError::Conflict(format!(
                "{} is already {}",
                org.name,
                if active { "active" } else { "deactivated" }
            )));
        }
        if !active {
            let open = tx.org_open_detentions(id).await?;
            if open > 0 {
                return Err(AppError::Conflict(format!(
                    "{} has {open} open s136/s135 detention{}: record their outcomes before deactivating it",
                    org.name,
                    if open == 1 { "" } else { "s" }
                )));
            }
        }
        tx.org_set_active(id, active).await?;
        // A deactivated organisation's memberships cannot be used: every session and API token acting
        // for it ends now, in this transaction (sign-in and session checks leave its memberships out).
        let reason = if active {
            None
        } else {
            let n = tx.sessions_revoke_for_org(id).await?;
            Some(format!("sessions and API tokens ended: {n}"))
        };
        tx.audit_append(&audit_draft(
            actor,
            action,
            &org_subject(Some(id)),
            &decision,
            reason.as_deref(),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn name_taken(e: concordat_store::StoreError) -> AppError {
    match e {
        concordat_store::StoreError::Conflict(_) => {
            AppError::invalid("name", "an organisation with this name already exists")
        }
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields_of(e: AppError) -> Vec<String> {
        match e {
            AppError::Invalid(errs) => errs.into_iter().map(|e| e.field).collect(),
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn organisation_input_is_checked_field_by_field() {
        let ok = OrgInput {
            name: " Northvale Trust ".into(),
            kind: "mental_health_trust".into(),
            ods_code: "rx4".into(),
            contact_phone: "0113 496 0000".into(),
            ..Default::default()
        }
        .parse()
        .unwrap();
        assert_eq!(ok.name, "Northvale Trust");
        assert_eq!(ok.ods_code.as_deref(), Some("RX4"));
        assert_eq!(ok.contact_email, None);

        // An NHS body needs an ODS code; others must not have one.
        let e = OrgInput {
            name: "Trust".into(),
            kind: "icb".into(),
            ..Default::default()
        }
        .parse()
        .unwrap_err();
        assert_eq!(fields_of(e), vec!["ods_code"]);
        let e = OrgInput {
            name: String::new(),
            kind: "nonsense".into(),
            ods_code: "R".into(),
            org_identifier: "GB CHC 1".into(),
            contact_email: "jo@".into(),
            contact_phone: "12".into(),
            contact_name: "x".repeat(201),
            crisis_line: "999".into(),
        }
        .parse()
        .unwrap_err();
        assert_eq!(
            fields_of(e),
            vec![
                "name",
                "kind",
                "ods_code",
                "org_identifier",
                "contact_name",
                "contact_email",
                "contact_phone",
                "crisis_line"
            ]
        );
        let e = OrgInput {
            name: "Cafe".into(),
            kind: "vcse".into(),
            ods_code: "RX4".into(),
            org_identifier: "GB-CHC-1234567".into(),
            ..Default::default()
        }
        .parse()
        .unwrap_err();
        assert_eq!(fields_of(e), vec!["ods_code"]);
    }
}
