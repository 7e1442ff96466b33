//! Data sharing agreements as a workflow: an administrator of one party drafts an agreement, each party's
//! signatory (a privacy officer of that organisation) signs it, and it is agreed once every party has
//! signed. The policy honours it only while it is agreed and the day lies within its dates
//! (`SharingAgreement::in_force`). A draft can be withdrawn and an agreement ended by an administrator of
//! a party. Every change is decided by the policy (`ManageAgreements`, `SignAgreement`) and audited in the
//! same transaction as the change; every change of status is one transaction.
//!
//! Agreements recorded at the command line (`concordat agreement add`) are agreed outside Concordat:
//! they are stored agreed at once, and their audit event says so.

use crate::members::decide_for;
use crate::{App, AppError, FieldError, Subject, audit_allowed, audit_denial};
use chrono::NaiveDate;
use concordat_domain::model::{AgreementStatus, OrgId, Organisation, SharingAgreement};
use concordat_domain::policy::{Action, Actor, Decision, DenyReason};
use concordat_domain::{DataCategory, LegalBasis, Role};
use concordat_store::{AgreementRow, NewAgreement, SignatureRow};
use std::collections::HashMap;

/// What an administrator enters for a new draft (form or JSON). Organisations are given by id.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct AgreementInput {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub purpose: String,
    /// The organisation whose data flows.
    #[serde(default)]
    pub from_org: String,
    /// The organisation that receives it.
    #[serde(default)]
    pub to_org: String,
    /// Data category codes, e.g. `identity`.
    #[serde(default)]
    pub categories: Vec<String>,
    /// A legal basis code, e.g. `direct_care`.
    #[serde(default)]
    pub legal_basis: String,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub in_force_from: String,
    /// YYYY-MM-DD, or empty for no end date.
    #[serde(default)]
    pub in_force_until: String,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub review_date: String,
}

/// One party's signature as people read it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SignatureView {
    pub org_name: String,
    pub signatory_name: String,
    pub signatory_role: String,
    pub position: String,
    pub signed_on: NaiveDate,
}

/// One party to an agreement and whether it has signed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PartyView {
    pub org_id: i64,
    pub org_name: String,
    /// "shares" (the data flows from it) or "receives".
    pub part: &'static str,
    pub signature: Option<SignatureView>,
}

/// An agreement as its summary shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AgreementDetail {
    pub id: i64,
    pub title: String,
    pub purpose: String,
    pub from: String,
    pub to: String,
    pub categories: Vec<String>,
    pub legal_basis: String,
    pub status: String,
    pub status_label: String,
    /// Agreed by every party and `today` within its dates: data flows under it today.
    pub in_force_today: bool,
    /// Agreed, but the day is before its first day or after its last.
    pub outside_dates: bool,
    pub in_force_from: NaiveDate,
    pub in_force_until: Option<NaiveDate>,
    pub review_date: NaiveDate,
    pub review_overdue: bool,
    /// Agreed outside Concordat and recorded at the command line (or before signatures were kept).
    pub recorded: bool,
    pub parties: Vec<PartyView>,
    pub end_reason: Option<String>,
    /// The viewer may sign it now for their organisation (hides the form only).
    pub may_sign: bool,
    /// The viewer may withdraw or end it (hides the form only).
    pub may_end: bool,
}

impl AgreementInput {
    /// Parses and checks every field, naming each problem.
    fn parse(&self, orgs: &[Organisation]) -> Result<NewAgreement, AppError> {
        let mut errs = Vec::new();
        let title = self.title.trim().to_string();
        if title.is_empty() || title.chars().count() > 200 {
            errs.push(FieldError::new(
                "title",
                "enter a title for the agreement (at most 200 characters)",
            ));
        }
        let purpose = self.purpose.trim().to_string();
        if purpose.is_empty() || purpose.chars().count() > 2000 {
            errs.push(FieldError::new(
                "purpose",
                "say what the sharing is for (at most 2,000 characters)",
            ));
        }
        if let Some(c) = concordat_domain::text::control_char(&title) {
            errs.push(FieldError::new(
                "title",
                concordat_domain::text::control_char_message(c),
            ));
        }
        if let Some(c) = purpose
            .chars()
            .find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            errs.push(FieldError::new(
                "purpose",
                concordat_domain::text::control_char_message(c),
            ));
        }
        let org = |s: &str, field: &str, what: &str, errs: &mut Vec<FieldError>| {
            let found = s
                .trim()
                .parse::<i64>()
                .ok()
                .and_then(|id| orgs.iter().find(|o| o.id.0 == id))
                .map(|o| o.id);
            if found.is_none() {
                errs.push(FieldError::new(
                    field,
                    format!("choose the organisation {what}"),
                ));
            }
            found
        };
        let from = org(
            &self.from_org,
            "from_org",
            "whose data is shared",
            &mut errs,
        );
        let to = org(&self.to_org, "to_org", "that receives the data", &mut errs);
        if from.is_some() && from == to {
            errs.push(FieldError::new(
                "to_org",
                "an organisation does not need an agreement with itself: choose another",
            ));
        }
        let mut categories = Vec::new();
        for c in &self.categories {
            match DataCategory::from_code(c.trim()) {
                Some(cat) if !categories.contains(&cat) => categories.push(cat),
                Some(_) => {}
                None => errs.push(FieldError::new(
                    "categories",
                    format!("{c:?} is not a category of information"),
                )),
            }
        }
        if self.categories.is_empty() {
            errs.push(FieldError::new(
                "categories",
                "choose at least one category of information that may flow",
            ));
        }
        let legal_basis = LegalBasis::from_code(self.legal_basis.trim());
        if legal_basis.is_none() {
            errs.push(FieldError::new(
                "legal_basis",
                "choose the legal basis the sharing rests on",
            ));
        }
        let date = |s: &str, field: &str, what: &str, errs: &mut Vec<FieldError>| {
            let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
            match d {
                Some(d) if (2000..=2100).contains(&chrono::Datelike::year(&d)) => Some(d),
                _ => {
                    errs.push(FieldError::new(
                        field,
                        format!("enter {what} as a date between 2000 and 2100, such as 2027-04-01"),
                    ));
                    None
                }
            }
        };
        let in_force_from = date(
            &self.in_force_from,
            "in_force_from",
            "the first day data may flow",
            &mut errs,
        );
        let in_force_until = if self.in_force_until.trim().is_empty() {
            None
        } else {
            date(
                &self.in_force_until,
                "in_force_until",
                "the last day data may flow (or leave it empty)",
                &mut errs,
            )
        };
        let review_date = date(
            &self.review_date,
            "review_date",
            "the date the agreement is next reviewed",
            &mut errs,
        );
        if let (Some(f), Some(u)) = (in_force_from, in_force_until)
            && u < f
        {
            errs.push(FieldError::new(
                "in_force_until",
                "the last day must not be before the first day",
            ));
        }
        if let (Some(f), Some(r)) = (in_force_from, review_date)
            && r <= f
        {
            errs.push(FieldError::new(
                "review_date",
                "the review date must be after the first day the agreement is in force",
            ));
        }
        match (from, to, legal_basis, in_force_from, review_date) {
            (Some(from), Some(to), Some(legal_basis), Some(in_force_from), Some(review_date))
                if errs.is_empty() =>
            {
                Ok(NewAgreement {
                    from,
                    to,
                    title,
                    purpose,
                    categories,
                    legal_basis,
                    in_force_from,
                    in_force_until,
                    review_date,
                    status: AgreementStatus::Draft,
                    agreed_how: "signatures",
                    drafted_by: None,
                })
            }
            _ => Err(AppError::Invalid(errs)),
        }
    }
}

fn subject(id: Option<i64>) -> Subject {
    Subject {
        resource_kind: "sharing_agreement",
        resource_id: id.map(|i| i.to_string()),
        person_id: None,
    }
}

/// The decision for `action` on behalf of one of `parties`: the first that allows, else the last denial.
fn decide_parties(actor: &Actor, action: Action, parties: &[OrgId]) -> Decision {
    let mut last = Decision::Deny(DenyReason::RoleNotPermitted);
    for &p in parties {
        last = decide_for(actor, action, Some(p));
        if last.is_allowed() {
            return last;
        }
    }
    last
}

fn parties(a: &SharingAgreement) -> [OrgId; 2] {
    [a.from_org_id, a.to_org_id]
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

impl App {
    /// The organisations a draft may name, for the new-agreement form. Decided first: only an
    /// administrator (of their own organisation, or partnership-wide) drafts; a denial is audited.
    pub async fn agreement_form(&self, actor: &Actor) -> Result<Vec<Organisation>, AppError> {
        let own = crate::actor_org(actor);
        let d = decide_for(actor, Action::ManageAgreements, own);
        if let Decision::Deny(reason) = d {
            audit_denial(self, actor, "agreement.draft", &subject(None), &d).await?;
            return Err(AppError::Denied(reason));
        }
        let mut tx = self.store.begin_read().await?;
        Ok(tx.org_list().await?)
    }

    /// Drafts an agreement for the actor's organisation (one of its parties; a partnership-wide
    /// administrator drafts for any two). Returns its id.
    pub async fn draft_agreement(
        &self,
        actor: &Actor,
        input: &AgreementInput,
    ) -> Result<i64, AppError> {
        let orgs = self.agreement_form(actor).await?;
        let mut new = input.parse(&orgs)?;
        let d = decide_parties(actor, Action::ManageAgreements, &[new.from, new.to]);
        if let Decision::Deny(reason) = d {
            audit_denial(self, actor, "agreement.draft", &subject(None), &d).await?;
            return Err(AppError::Denied(reason));
        }
        new.drafted_by = actor.as_user().map(|u| u.user_id);
        let mut tx = self.store.begin().await?;
        let id = tx.agreement_create(&new).await?;
        audit_allowed(
            &mut tx,
            actor,
            "agreement.draft",
            &subject(Some(id)),
            &d,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Records an agreement as agreed outside Concordat (the command line): agreed and in force from
    /// `in_force_from` at once, with no signatures kept; its audit event says so.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_agreed_agreement(
        &self,
        actor: &Actor,
        from_org: &str,
        to_org: &str,
        categories: &[DataCategory],
        legal_basis: LegalBasis,
        in_force_from: NaiveDate,
        review_date: NaiveDate,
    ) -> Result<i64, AppError> {
        let d = crate::decide_org_wide(actor, Action::ManageOrganisations);
        if let Decision::Deny(reason) = d {
            audit_denial(self, actor, "agreement.record", &subject(None), &d).await?;
            return Err(AppError::Denied(reason));
        }
        if categories.is_empty() {
            return Err(AppError::invalid(
                "categories",
                "name at least one category of information",
            ));
        }
        let mut tx = self.store.begin().await?;
        let mut errs = Vec::new();
        let from = tx.org_by_name(from_org.trim()).await?;
        let to = tx.org_by_name(to_org.trim()).await?;
        if from.is_none() {
            errs.push(FieldError::new(
                "from",
                format!("no organisation is called {:?}", from_org.trim()),
            ));
        }
        if to.is_none() {
            errs.push(FieldError::new(
                "to",
                format!("no organisation is called {:?}", to_org.trim()),
            ));
        }
        let (Some(from), Some(to)) = (from, to) else {
            return Err(AppError::Invalid(errs));
        };
        if from.id == to.id {
            return Err(AppError::invalid(
                "to",
                "an organisation does not need an agreement with itself",
            ));
        }
        let id = tx
            .agreement_create(&NewAgreement {
                from: from.id,
                to: to.id,
                title: format!("{} to {}", from.name, to.name),
                purpose: String::new(),
                categories: categories.to_vec(),
                legal_basis,
                in_force_from,
                in_force_until: None,
                review_date,
                status: AgreementStatus::Agreed,
                agreed_how: "recorded",
                drafted_by: actor.as_user().map(|u| u.user_id),
            })
            .await?;
        audit_allowed(
            &mut tx,
            actor,
            "agreement.create",
            &subject(Some(id)),
            &d,
            Some("recorded as already agreed by every party outside Concordat (command line): no signatures kept"),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Every agreement with its status (any signed-in member may see what flows where).
    pub async fn agreement_list(&self) -> Result<Vec<AgreementDetail>, AppError> {
        let mut tx = self.store.begin_read().await?;
        let names = org_names(&mut tx).await?;
        let rows = tx.agreement_list().await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(|r| detail(r, &names, None)).collect())
    }

    /// One agreement's summary, with what the viewer may do with it.
    pub async fn agreement_detail(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<AgreementDetail, AppError> {
        let mut tx = self.store.begin_read().await?;
        let names = org_names(&mut tx).await?;
        let row = tx.agreement_get(id).await?.ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(detail(row, &names, Some(actor)))
    }

    /// Signs a draft for the actor's organisation, which must be a party that has not signed; once every
    /// party has signed, the agreement is agreed, in the same transaction. Returns the new status.
    pub async fn sign_agreement(
        &self,
        actor: &Actor,
        id: i64,
        position: &str,
    ) -> Result<AgreementStatus, AppError> {
        let Some(user) = actor.as_user() else {
            return Err(AppError::Denied(DenyReason::RoleNotPermitted));
        };
        let own = decide_for(actor, Action::SignAgreement, Some(user.org_id));
        if let Decision::Deny(reason) = own {
            audit_denial(self, actor, "agreement.sign", &subject(Some(id)), &own).await?;
            return Err(AppError::Denied(reason));
        }
        let mut tx = self.store.begin().await?;
        let Some(row) = tx.agreement_get(id).await? else {
            return Err(AppError::NotFound);
        };
        let parties = parties(&row.agreement);
        if !parties.contains(&user.org_id) {
            drop(tx);
            let d = Decision::Deny(DenyReason::NotSignatory);
            audit_denial(self, actor, "agreement.sign", &subject(Some(id)), &d).await?;
            return Err(AppError::Denied(DenyReason::NotSignatory));
        }
        let position = position.trim();
        if position.is_empty() || position.chars().count() > 120 {
            return Err(AppError::invalid(
                "position",
                "enter the position you sign in, such as Caldicott Guardian (at most 120 characters)",
            ));
        }
        if !tx.agreement_lock(id, AgreementStatus::Draft).await? {
            return Err(AppError::Conflict(
                "this agreement is no longer a draft waiting for signatures".into(),
            ));
        }
        if row.signatures.iter().any(|s| s.org_id == user.org_id) {
            return Err(AppError::Conflict(
                "your organisation has already signed this agreement".into(),
            ));
        }
        let name = tx
            .user_get(user.user_id)
            .await?
            .map(|u| u.display_name)
            .unwrap_or_else(|| user.username.clone());
        tx.agreement_sign(
            id,
            &SignatureRow {
                org_id: user.org_id,
                user_id: Some(user.user_id),
                signatory_name: name,
                signatory_role: user.role.code().to_string(),
                position: position.to_string(),
                signed_on: today(),
                signed_at: chrono::Utc::now().timestamp_millis(),
            },
        )
        .await?;
        audit_allowed(
            &mut tx,
            actor,
            "agreement.sign",
            &subject(Some(id)),
            &own,
            Some(position),
        )
        .await?;
        // Read again inside the lock: every signature committed before it is seen.
        let signed = tx
            .agreement_get(id)
            .await?
            .map(|r| r.signatures)
            .unwrap_or_default();
        let all_signed = parties
            .iter()
            .all(|p| signed.iter().any(|s| s.org_id == *p));
        let status = if all_signed {
            tx.agreement_mark_agreed(id).await?;
            audit_allowed(
                &mut tx,
                actor,
                "agreement.agreed",
                &subject(Some(id)),
                &own,
                Some("signed by every party"),
            )
            .await?;
            AgreementStatus::Agreed
        } else {
            AgreementStatus::Draft
        };
        tx.commit().await?;
        Ok(status)
    }

    /// Withdraws a draft, or ends an agreed agreement from now on, giving a reason. An administrator of a
    /// party (or partnership-wide) does this. Returns the new status.
    pub async fn end_agreement(
        &self,
        actor: &Actor,
        id: i64,
        reason: &str,
    ) -> Result<AgreementStatus, AppError> {
        let own = crate::actor_org(actor);
        let role_check = decide_for(actor, Action::ManageAgreements, own);
        if let Decision::Deny(r) = role_check {
            audit_denial(
                self,
                actor,
                "agreement.end",
                &subject(Some(id)),
                &role_check,
            )
            .await?;
            return Err(AppError::Denied(r));
        }
        let mut tx = self.store.begin().await?;
        let Some(row) = tx.agreement_get(id).await? else {
            return Err(AppError::NotFound);
        };
        let d = decide_parties(actor, Action::ManageAgreements, &parties(&row.agreement));
        if let Decision::Deny(r) = d {
            drop(tx);
            audit_denial(self, actor, "agreement.end", &subject(Some(id)), &d).await?;
            return Err(AppError::Denied(r));
        }
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(AppError::invalid(
                "reason",
                "say why the agreement is withdrawn or ended (at most 500 characters)",
            ));
        }
        let (from, to, action) = match row.agreement.status {
            AgreementStatus::Draft => (
                AgreementStatus::Draft,
                AgreementStatus::Withdrawn,
                "agreement.withdraw",
            ),
            AgreementStatus::Agreed => (
                AgreementStatus::Agreed,
                AgreementStatus::Ended,
                "agreement.end",
            ),
            _ => {
                return Err(AppError::Conflict(
                    "this agreement has already been withdrawn or ended".into(),
                ));
            }
        };
        if !tx
            .agreement_close(id, from, to, actor.as_user().map(|u| u.user_id), reason)
            .await?
        {
            return Err(AppError::Conflict(
                "someone else changed this agreement's status: look at it again".into(),
            ));
        }
        audit_allowed(&mut tx, actor, action, &subject(Some(id)), &d, Some(reason)).await?;
        tx.commit().await?;
        Ok(to)
    }
}

async fn org_names(tx: &mut concordat_store::Tx) -> Result<HashMap<OrgId, String>, AppError> {
    Ok(tx
        .org_list()
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect())
}

fn detail(
    row: AgreementRow,
    names: &HashMap<OrgId, String>,
    viewer: Option<&Actor>,
) -> AgreementDetail {
    let a = &row.agreement;
    let today = today();
    let name = |o: OrgId| names.get(&o).cloned().unwrap_or_default();
    let parties: Vec<PartyView> = [(a.from_org_id, "shares"), (a.to_org_id, "receives")]
        .into_iter()
        .map(|(org, part)| PartyView {
            org_id: org.0,
            org_name: name(org),
            part,
            signature: row
                .signatures
                .iter()
                .find(|s| s.org_id == org)
                .map(|s| SignatureView {
                    org_name: name(org),
                    signatory_name: s.signatory_name.clone(),
                    signatory_role: Role::from_code(&s.signatory_role)
                        .map(|r| r.label().to_string())
                        .unwrap_or_else(|| s.signatory_role.clone()),
                    position: s.position.clone(),
                    signed_on: s.signed_on,
                }),
        })
        .collect();
    let (may_sign, may_end) = match viewer.and_then(Actor::as_user) {
        Some(u) => {
            let party = parties.iter().any(|p| p.org_id == u.org_id.0);
            let signed = parties
                .iter()
                .any(|p| p.org_id == u.org_id.0 && p.signature.is_some());
            let sign = a.status == AgreementStatus::Draft
                && party
                && !signed
                && viewer.is_some_and(|v| {
                    decide_for(v, Action::SignAgreement, Some(u.org_id)).is_allowed()
                });
            let end = matches!(a.status, AgreementStatus::Draft | AgreementStatus::Agreed)
                && viewer.is_some_and(|v| {
                    decide_parties(v, Action::ManageAgreements, &[a.from_org_id, a.to_org_id])
                        .is_allowed()
                });
            (sign, end)
        }
        None => (false, false),
    };
    AgreementDetail {
        id: a.id,
        title: if row.title.is_empty() {
            format!("{} to {}", name(a.from_org_id), name(a.to_org_id))
        } else {
            row.title.clone()
        },
        purpose: row.purpose.clone(),
        from: name(a.from_org_id),
        to: name(a.to_org_id),
        categories: a.categories.iter().map(|c| c.label().to_string()).collect(),
        legal_basis: a.legal_basis.label().to_string(),
        status: a.status.code().to_string(),
        status_label: a.status.label().to_string(),
        in_force_today: a.in_force(today),
        outside_dates: a.status == AgreementStatus::Agreed && !a.in_force(today),
        in_force_from: a.in_force_from,
        in_force_until: a.in_force_until,
        review_date: a.review_date,
        review_overdue: a.review_date < today,
        recorded: row.agreed_how == "recorded",
        parties,
        end_reason: row.end_reason.clone(),
        may_sign,
        may_end,
    }
}
