//! Concordat's use cases. Every operation takes an [`Actor`], asks the policy (deny by default),
//! does its work and appends its audit event in the same transaction.
//! Handlers in the web crate and commands in the binary call these functions and nothing below them.

mod access;
pub mod admin;
pub mod agreements;
pub mod alliance;
pub mod auth;
pub mod care_team;
pub mod dashboard;
pub mod demo;
pub mod error;
pub mod housekeeping;
pub mod limits;
pub mod members;
pub mod oidc;
pub mod operations;
pub mod people;
pub mod person_edit;
pub mod plans;
pub mod privacy;
pub mod secret;
pub mod staff;

pub use concordat_domain::policy::Actor;
pub use error::{AppError, FieldError};

use chrono::Utc;
use concordat_domain::audit::{AuditDraft, AuditOutcome};
use concordat_domain::model::OrgId;
use concordat_domain::policy::{Action, Basis, Consent, Decision, Relationship, Request};
use concordat_store::{Store, Tx};
use std::time::Duration;

/// Settings that shape the app's behaviour.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// A browser session ends after this long without a request.
    pub session_idle: Duration,
    /// A browser session ends this long after sign-in, however active.
    pub session_absolute: Duration,
    /// API bearer tokens expire after this long.
    pub bearer_ttl: Duration,
    /// Failed sign-ins allowed for one account from one network address within `throttle_window`;
    /// then that account is paused at that address only, so nobody elsewhere can lock it this way.
    pub max_failures_per_account_address: i64,
    /// Failed sign-ins allowed from one network address, whatever the accounts, within
    /// `throttle_window` (against trying one password on many accounts).
    pub max_failures_per_address: i64,
    /// Wrong MFA codes allowed per user within `throttle_window`, counted apart from passwords:
    /// a right password never resets it.
    pub max_mfa_failures: i64,
    pub throttle_window: Duration,
    /// Failed sign-ins allowed for one account from all addresses together within
    /// `account_lock_window`; then the account is locked until the window ends (audited as `user.locked`).
    pub max_failures_per_account: i64,
    pub account_lock_window: Duration,
    /// The key that encrypts TOTP secrets; without it no one can set up or use a new authenticator.
    pub secret_key: Option<secret::SecretKey>,
    /// Identity providers for single sign-on (none by default).
    pub oidc: oidc::OidcProviders,
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            session_idle: Duration::from_secs(30 * 60),
            session_absolute: Duration::from_secs(12 * 3600),
            bearer_ttl: Duration::from_secs(8 * 3600),
            max_failures_per_account_address: 5,
            max_failures_per_address: 100,
            max_mfa_failures: 5,
            throttle_window: Duration::from_secs(15 * 60),
            max_failures_per_account: 50,
            account_lock_window: Duration::from_secs(3600),
            secret_key: None,
            oidc: oidc::OidcProviders::default(),
        }
    }
}

/// The application: a store plus configuration. Cheap to clone.
#[derive(Debug, Clone)]
pub struct App {
    pub store: Store,
    pub cfg: AppConfig,
}

impl App {
    pub fn new(store: Store, cfg: AppConfig) -> Self {
        Self { store, cfg }
    }
}

/// What an audit event is about.
#[derive(Debug, Clone, Default)]
pub(crate) struct Subject {
    pub person_id: Option<i64>,
    pub resource_kind: &'static str,
    pub resource_id: Option<String>,
}

/// Builds the audit draft for `actor` doing `action` on `subject` with the policy's `decision`.
pub(crate) fn audit_draft(
    actor: &Actor,
    action: &str,
    subject: &Subject,
    decision: &Decision,
    reason: Option<&str>,
) -> AuditDraft {
    let (user_id, role, org_id, request_id) = match actor {
        Actor::User(u) => (
            Some(u.user_id.0),
            Some(u.role.code().to_string()),
            Some(u.org_id.0),
            u.request_id.clone(),
        ),
        Actor::System { .. } => (None, None, None, None),
    };
    let (outcome, basis, break_glass, deny_reason) = match decision {
        Decision::Allow { basis, break_glass } => {
            (AuditOutcome::Allowed, Some(*basis), *break_glass, None)
        }
        Decision::Deny(r) => (AuditOutcome::Denied, None, false, Some(r.to_string())),
    };
    AuditDraft {
        at: Utc::now().timestamp_millis(),
        user_id,
        username: match actor {
            Actor::System { job } => format!("system:{job}"),
            Actor::User(u) => u.username.clone(),
        },
        role,
        org_id,
        action: action.to_string(),
        outcome,
        person_id: subject.person_id,
        resource_kind: subject.resource_kind.to_string(),
        resource_id: subject.resource_id.clone(),
        reason: reason.map(str::to_string).or(deny_reason),
        legal_basis: basis
            .and_then(Basis::legal_basis)
            .map(|b| b.code().to_string()),
        break_glass,
        request_id,
    }
}

/// Asks the policy about an action that concerns no particular person's record.
pub(crate) fn decide_org_wide(actor: &Actor, action: Action) -> Decision {
    concordat_domain::policy::decide(&Request {
        actor,
        action,
        owner_org: None,
        agreements: &[],
        consent: &Consent::NotRecorded,
        relationship: Relationship::None,
        break_glass_reason: None,
        today: Utc::now().date_naive(),
    })
}

/// Checks an organisation-wide action; a denial is audited in its own transaction and returned as an error.
pub(crate) async fn require(
    app: &App,
    actor: &Actor,
    action: Action,
    subject: &Subject,
) -> Result<(), AppError> {
    match decide_org_wide(actor, action) {
        Decision::Allow { .. } => Ok(()),
        d @ Decision::Deny(reason) => {
            audit_denial(app, actor, &action.code(), subject, &d).await?;
            Err(AppError::Denied(reason))
        }
    }
}

/// Records a refused attempt. Denials are evidence too: a privacy officer looks for patterns.
pub(crate) async fn audit_denial(
    app: &App,
    actor: &Actor,
    action: &str,
    subject: &Subject,
    decision: &Decision,
) -> Result<(), AppError> {
    let mut tx = app.store.begin().await?;
    tx.audit_append(&audit_draft(actor, action, subject, decision, None))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Records a refusal that no policy decision explains, such as a record number that does not exist,
/// in its own transaction: the caller answers it exactly as it answers a denial, so nobody can probe
/// which numbers exist, and the audit trail keeps what really happened (`reason`).
pub(crate) async fn audit_refusal(
    app: &App,
    actor: &Actor,
    action: &str,
    subject: &Subject,
    reason: &str,
) -> Result<(), AppError> {
    let refused = Decision::Deny(concordat_domain::policy::DenyReason::RoleNotPermitted);
    let mut tx = app.store.begin().await?;
    tx.audit_append(&audit_draft(actor, action, subject, &refused, Some(reason)))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Appends an "allowed" audit event for an operation inside its transaction.
pub(crate) async fn audit_allowed(
    tx: &mut Tx,
    actor: &Actor,
    action: &str,
    subject: &Subject,
    decision: &Decision,
    reason: Option<&str>,
) -> Result<(), AppError> {
    tx.audit_append(&audit_draft(actor, action, subject, decision, reason))
        .await?;
    Ok(())
}

/// The organisation the actor acts for, if a user.
pub(crate) fn actor_org(actor: &Actor) -> Option<OrgId> {
    actor.as_user().map(|u| u.org_id)
}
