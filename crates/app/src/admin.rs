//! Organisations, users and memberships.

use crate::{App, AppError, FieldError, Subject, audit_allowed, decide_org_wide, require};
use concordat_domain::model::{Organisation, UserId};
use concordat_domain::password::check_new_password;
use concordat_domain::policy::{Action, Actor};
use concordat_domain::{DataCategory, LegalBasis, OrgKind, Role};

/// Settings key for the date a service change began ("YYYY-MM-DD|description"), evaluated on the dashboard.
pub const SERVICE_CHANGE_SETTING: &str = "service_change";

/// A service change to evaluate before and after: its first day and what changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceChange {
    pub date: chrono::NaiveDate,
    pub description: String,
}

/// A data sharing agreement as people read it.
#[derive(Debug, Clone)]
pub struct AgreementView {
    pub id: i64,
    /// Agreed by every party and in force today: data flows under it.
    pub in_force: bool,
    pub status: String,
    pub from: String,
    pub to: String,
    pub categories: Vec<String>,
    pub legal_basis: String,
    pub review_date: chrono::NaiveDate,
    pub review_overdue: bool,
}

/// A new staff account.
#[derive(Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub org_name: String,
    pub role: Role,
    pub password: String,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl App {
    /// Adds a user with one membership. The password must pass the NCSC-style rules; it is stored as argon2id.
    pub async fn add_user(&self, actor: &Actor, new: &NewUser) -> Result<UserId, AppError> {
        let subject = Subject {
            resource_kind: "user",
            ..Default::default()
        };
        require(self, actor, Action::ManageUsers, &subject).await?;
        let mut errs = Vec::new();
        let username = new.username.trim();
        if username.is_empty()
            || username.len() > 64
            || !username
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        {
            errs.push(FieldError::new(
                "username",
                "use 1 to 64 letters, digits, dots, hyphens or underscores",
            ));
        }
        if new.display_name.trim().is_empty() {
            errs.push(FieldError::new("display_name", "enter the person's name"));
        }
        if let Err(e) = check_new_password(&new.password, username) {
            errs.push(FieldError::new("password", e.to_string()));
        }
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let hash = crate::auth::hash_password(&new.password)?;
        let mut tx = self.store.begin().await?;
        let Some(org) = tx.org_by_name(new.org_name.trim()).await? else {
            return Err(AppError::invalid(
                "org",
                format!("no organisation is called {:?}", new.org_name.trim()),
            ));
        };
        // Usernames ignore case: refuse one that differs from an existing name only in case.
        if let Some(existing) = tx.user_credentials(username).await? {
            return Err(AppError::invalid(
                "username",
                format!(
                    "{username:?} is taken: there is already a user called {:?} (usernames ignore upper and lower case)",
                    existing.user.username
                ),
            ));
        }
        let id = tx
            .user_insert(username, new.display_name.trim(), &hash, false)
            .await?;
        tx.membership_insert(id, org.id, new.role).await?;
        let decision = decide_org_wide(actor, Action::ManageUsers);
        let subject = Subject {
            resource_kind: "user",
            resource_id: Some(id.to_string()),
            person_id: None,
        };
        audit_allowed(
            &mut tx,
            actor,
            "user.create",
            &subject,
            &decision,
            Some(new.role.code()),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Adds an organisation.
    pub async fn add_organisation(
        &self,
        actor: &Actor,
        name: &str,
        kind: OrgKind,
        ods_code: Option<&str>,
        org_identifier: Option<&str>,
    ) -> Result<Organisation, AppError> {
        let subject = Subject {
            resource_kind: "organisation",
            ..Default::default()
        };
        require(self, actor, Action::ManageOrganisations, &subject).await?;
        if name.trim().is_empty() || name.len() > 200 {
            return Err(AppError::invalid(
                "name",
                "enter the organisation's name (at most 200 characters)",
            ));
        }
        let mut tx = self.store.begin().await?;
        let id = tx
            .org_insert(name.trim(), kind, ods_code, org_identifier)
            .await?;
        let decision = decide_org_wide(actor, Action::ManageOrganisations);
        let subject = Subject {
            resource_kind: "organisation",
            resource_id: Some(id.to_string()),
            person_id: None,
        };
        audit_allowed(
            &mut tx,
            actor,
            "organisation.create",
            &subject,
            &decision,
            None,
        )
        .await?;
        let org = tx.org_get(id).await?.ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(org)
    }

    /// Records a data sharing agreement between two organisations as already agreed outside Concordat,
    /// in force from today (see [`App::record_agreed_agreement`]), naming the categories of personal data
    /// that may flow, the legal basis and the review date.
    pub async fn add_agreement(
        &self,
        actor: &Actor,
        from_org: &str,
        to_org: &str,
        categories: &[DataCategory],
        legal_basis: LegalBasis,
        review_date: chrono::NaiveDate,
    ) -> Result<i64, AppError> {
        self.record_agreed_agreement(
            actor,
            from_org,
            to_org,
            categories,
            legal_basis,
            chrono::Utc::now().date_naive(),
            review_date,
        )
        .await
    }

    /// Lists organisations (any signed-in member may see who is in the partnership).
    pub async fn organisations(&self) -> Result<Vec<Organisation>, AppError> {
        let mut tx = self.store.begin_read().await?;
        Ok(tx.org_list().await?)
    }

    /// Data sharing agreements with the names of the organisations at each end (any signed-in member may see
    /// what flows where: transparency about sharing is part of the partnership's accountability).
    pub async fn agreements(&self) -> Result<Vec<AgreementView>, AppError> {
        let mut tx = self.store.begin_read().await?;
        let orgs: std::collections::HashMap<_, _> = tx
            .org_list()
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        let today = chrono::Utc::now().date_naive();
        Ok(tx
            .agreements(None)
            .await?
            .into_iter()
            .map(|a| AgreementView {
                id: a.id,
                in_force: a.in_force(today),
                status: a.status.label().to_string(),
                from: orgs.get(&a.from_org_id).cloned().unwrap_or_default(),
                to: orgs.get(&a.to_org_id).cloned().unwrap_or_default(),
                categories: a.categories.iter().map(|c| c.label().to_string()).collect(),
                legal_basis: a.legal_basis.label().to_string(),
                review_overdue: a.review_date < today,
                review_date: a.review_date,
            })
            .collect())
    }

    /// The service change the dashboard evaluates, if one is recorded.
    pub async fn service_change(&self) -> Result<Option<ServiceChange>, AppError> {
        let mut tx = self.store.begin_read().await?;
        let change = self.service_change_in(&mut tx).await?;
        tx.commit().await?;
        Ok(change)
    }

    /// [`App::service_change`] inside a transaction the caller holds.
    pub(crate) async fn service_change_in(
        &self,
        tx: &mut concordat_store::Tx,
    ) -> Result<Option<ServiceChange>, AppError> {
        let Some(v) = tx.setting_get(SERVICE_CHANGE_SETTING).await? else {
            return Ok(None);
        };
        let (date, description) = v.split_once('|').unwrap_or((v.as_str(), ""));
        Ok(chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .ok()
            .map(|date| ServiceChange {
                date,
                description: description.to_string(),
            }))
    }

    /// The id of the user with this username, for audit searches by name (privacy officers only: otherwise
    /// anyone could probe which usernames exist).
    pub async fn user_id_by_username(
        &self,
        actor: &Actor,
        username: &str,
    ) -> Result<Option<UserId>, AppError> {
        require(
            self,
            actor,
            Action::ViewAudit,
            &Subject {
                resource_kind: "user",
                ..Default::default()
            },
        )
        .await?;
        let mut tx = self.store.begin_read().await?;
        Ok(tx
            .user_credentials(username.trim())
            .await?
            .map(|c| c.user.id))
    }
}
