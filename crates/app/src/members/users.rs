//! Users and memberships as administrators manage them: list, disable and re-enable (disabling revokes every
//! session and API token at once), reset MFA (recorded as an event the privacy officer's home page lists),
//! revoke sessions, add memberships. An administrator manages a user only if the policy allows them for
//! every organisation the user belongs to.

use super::invitations::may_manage_org;
use super::{decide_all, require_for};
use crate::{App, AppError, FieldError, Subject, audit_denial, audit_draft, require};
use chrono::Utc;
use concordat_domain::Role;
use concordat_domain::model::{Membership, OrgId, UserId};
use concordat_domain::policy::{Action, Actor, Decision};
use concordat_store::Tx;

/// The audit action of an MFA reset (the privacy officer's home page lists these).
pub const MFA_RESET_ACTION: &str = "user.mfa_reset";

/// A membership as administrators see it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MembershipView {
    pub id: i64,
    pub organisation: String,
    pub org_id: i64,
    pub role: String,
    pub role_label: String,
}

impl From<&Membership> for MembershipView {
    fn from(m: &Membership) -> Self {
        MembershipView {
            id: m.id.0,
            organisation: m.org_name.clone(),
            org_id: m.org_id.0,
            role: m.role.code().to_string(),
            role_label: m.role.label().to_string(),
        }
    }
}

/// A user as administrators see them. No secrets.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub disabled: bool,
    pub mfa_enrolled: bool,
    /// When the user last signed in (milliseconds since the Unix epoch), if ever.
    pub last_sign_in: Option<i64>,
    pub memberships: Vec<MembershipView>,
}

/// An MFA reset, for the privacy officer.
#[derive(Debug, Clone)]
pub struct MfaResetView {
    pub at: i64,
    pub by: String,
    pub user_id: Option<String>,
}

async fn load_user_in(tx: &mut Tx, id: UserId) -> Result<(UserView, Vec<OrgId>), AppError> {
    let row = tx.user_admin_get(id).await?.ok_or(AppError::NotFound)?;
    let ms = tx.memberships_for_user(id).await?;
    let mut orgs: Vec<OrgId> = ms.iter().map(|m| m.org_id).collect();
    orgs.sort();
    orgs.dedup();
    Ok((
        UserView {
            id: row.user.id.0,
            username: row.user.username,
            display_name: row.user.display_name,
            disabled: row.user.disabled,
            mfa_enrolled: row.user.totp_enabled,
            last_sign_in: row.last_sign_in,
            memberships: ms.iter().map(MembershipView::from).collect(),
        },
        orgs,
    ))
}

fn user_subject(id: UserId) -> Subject {
    Subject {
        resource_kind: "user",
        resource_id: Some(id.to_string()),
        person_id: None,
    }
}

impl App {
    /// Users the actor administers: their organisation's, or everyone for a partnership-wide administrator.
    pub async fn admin_users(&self, actor: &Actor) -> Result<Vec<UserView>, AppError> {
        let org = self.scope_org(actor, "user.list").await?;
        let mut tx = self.store.begin_read().await?;
        let rows = tx.users_admin_list(org).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let ms = tx.memberships_for_user(r.user.id).await?;
            out.push(UserView {
                id: r.user.id.0,
                username: r.user.username,
                display_name: r.user.display_name,
                disabled: r.user.disabled,
                mfa_enrolled: r.user.totp_enabled,
                last_sign_in: r.last_sign_in,
                memberships: ms.iter().map(MembershipView::from).collect(),
            });
        }
        Ok(out)
    }

    /// One user, if the actor administers them (decided for every organisation the user belongs to).
    pub async fn admin_user(&self, actor: &Actor, id: UserId) -> Result<UserView, AppError> {
        let (view, orgs) = self.load_user(id).await?;
        require_for(
            self,
            actor,
            Action::ManageUsers,
            &orgs,
            "user.view",
            &user_subject(id),
        )
        .await?;
        Ok(view)
    }

    async fn load_user(&self, id: UserId) -> Result<(UserView, Vec<OrgId>), AppError> {
        let mut tx = self.store.begin_read().await?;
        load_user_in(&mut tx, id).await
    }

    /// Opens the transaction for an action on a user, loads the user in it and decides there, so the
    /// decision, the change and its audit event share one transaction. A denial is audited on its own.
    async fn manage(
        &self,
        actor: &Actor,
        id: UserId,
        audit_action: &str,
    ) -> Result<(UserView, Vec<OrgId>, Decision, Tx), AppError> {
        let mut tx = self.store.begin().await?;
        let (view, orgs) = load_user_in(&mut tx, id).await?;
        let decision = decide_all(actor, Action::ManageUsers, &orgs);
        if let Decision::Deny(reason) = decision {
            drop(tx);
            audit_denial(self, actor, audit_action, &user_subject(id), &decision).await?;
            return Err(AppError::Denied(reason));
        }
        Ok((view, orgs, decision, tx))
    }

    /// Disables a user and revokes all their sessions and API tokens in the same transaction.
    /// Refused for the actor themself and for the last enabled administrator of an organisation.
    pub async fn disable_user(&self, actor: &Actor, id: UserId) -> Result<(), AppError> {
        let (view, _, decision, mut tx) = self.manage(actor, id, "user.disable").await?;
        if actor.as_user().is_some_and(|u| u.user_id == id) {
            return Err(AppError::Conflict(
                "you cannot disable your own account: ask another administrator".into(),
            ));
        }
        if view.disabled {
            return Err(AppError::Conflict(format!(
                "{} is already disabled",
                view.display_name
            )));
        }
        for m in &view.memberships {
            if m.role == Role::Administrator.code()
                && tx.org_enabled_admins(OrgId(m.org_id)).await? <= 1
            {
                return Err(AppError::Conflict(format!(
                    "{} is the last administrator of {}: add another administrator there first",
                    view.display_name, m.organisation
                )));
            }
        }
        tx.user_set_disabled(id, true).await?;
        let n = tx.sessions_revoke_for_user(id).await?;
        let reason = format!("{n} sessions revoked");
        tx.audit_append(&audit_draft(
            actor,
            "user.disable",
            &user_subject(id),
            &decision,
            Some(&reason),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Re-enables a disabled user (they sign in again with their password; old sessions stay revoked).
    pub async fn enable_user(&self, actor: &Actor, id: UserId) -> Result<(), AppError> {
        let (view, _, decision, mut tx) = self.manage(actor, id, "user.enable").await?;
        if !view.disabled {
            return Err(AppError::Conflict(format!(
                "{} is not disabled",
                view.display_name
            )));
        }
        tx.user_set_disabled(id, false).await?;
        tx.audit_append(&audit_draft(
            actor,
            "user.enable",
            &user_subject(id),
            &decision,
            None,
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a user's MFA (secret and recovery codes) and revokes their sessions, so they enrol again
    /// at their next sign-in. Recorded as a `user.mfa_reset` event, which the privacy officer's home page lists.
    pub async fn reset_mfa(&self, actor: &Actor, id: UserId) -> Result<(), AppError> {
        let (_, _, decision, mut tx) = self.manage(actor, id, MFA_RESET_ACTION).await?;
        tx.user_set_totp(id, None, false, &[]).await?;
        tx.sessions_revoke_for_user(id).await?;
        tx.audit_append(&audit_draft(
            actor,
            MFA_RESET_ACTION,
            &user_subject(id),
            &decision,
            Some("privacy officer notified"),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Revokes every session and API token of a user; returns how many were live.
    pub async fn revoke_user_sessions(&self, actor: &Actor, id: UserId) -> Result<u64, AppError> {
        let (_, _, decision, mut tx) = self.manage(actor, id, "user.sessions_revoke").await?;
        let n = tx.sessions_revoke_for_user(id).await?;
        let reason = format!("{n} sessions revoked");
        tx.audit_append(&audit_draft(
            actor,
            "user.sessions_revoke",
            &user_subject(id),
            &decision,
            Some(&reason),
        ))
        .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Adds a membership (a role at an organisation) to a user. The actor must manage both the user and the
    /// organisation; the organisation must be active.
    pub async fn add_membership(
        &self,
        actor: &Actor,
        id: UserId,
        org_id: &str,
        role: &str,
    ) -> Result<(), AppError> {
        let mut errs = Vec::new();
        let org = match org_id.trim().parse::<i64>() {
            Ok(n) => Some(OrgId(n)),
            Err(_) => {
                errs.push(FieldError::new("org_id", "choose an organisation"));
                None
            }
        };
        let role = Role::from_code(role.trim());
        if role.is_none() {
            errs.push(FieldError::new("role", "choose a role from the list"));
        }
        let (Some(org), Some(role)) = (org, role) else {
            return Err(AppError::Invalid(errs));
        };
        // The actor must manage the user as they are, and the organisation the new role is at.
        let (view, _, _, tx) = self.manage(actor, id, "membership.create").await?;
        let decision = decide_all(actor, Action::ManageUsers, &[org]);
        if let Decision::Deny(reason) = decision {
            drop(tx);
            audit_denial(
                self,
                actor,
                "membership.create",
                &user_subject(id),
                &decision,
            )
            .await?;
            return Err(AppError::Denied(reason));
        }
        let mut tx = tx;
        match tx.org_details(org).await? {
            None => return Err(AppError::invalid("org_id", "choose an organisation")),
            Some(d) if !d.active => {
                return Err(AppError::invalid(
                    "org_id",
                    format!("{} is deactivated", d.name),
                ));
            }
            Some(_) => {}
        }
        if view
            .memberships
            .iter()
            .any(|m| m.org_id == org.0 && m.role == role.code())
        {
            return Err(AppError::invalid(
                "role",
                format!(
                    "{} already has this role at this organisation",
                    view.display_name
                ),
            ));
        }
        tx.membership_insert(id, org, role).await?;
        tx.audit_append(&audit_draft(
            actor,
            "membership.create",
            &user_subject(id),
            &decision,
            Some(role.code()),
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Organisations the actor may invite to or add memberships at, as (id, name); active ones only.
    pub async fn manageable_orgs(&self, actor: &Actor) -> Result<Vec<(i64, String)>, AppError> {
        let mut tx = self.store.begin_read().await?;
        Ok(tx
            .org_details_list()
            .await?
            .into_iter()
            .filter(|o| o.active && may_manage_org(actor, o.id))
            .map(|o| (o.id.0, o.name))
            .collect())
    }

    /// MFA resets in the last `days` days, for the privacy officer (who must be told of every reset).
    pub async fn recent_mfa_resets(
        &self,
        actor: &Actor,
        days: i64,
    ) -> Result<Vec<MfaResetView>, AppError> {
        require(
            self,
            actor,
            Action::ViewAudit,
            &Subject {
                resource_kind: "audit",
                ..Default::default()
            },
        )
        .await?;
        let since = Utc::now().timestamp_millis() - days * 86_400_000;
        let mut tx = self.store.begin_read().await?;
        let events: Vec<_> = tx
            .audit_by_action(MFA_RESET_ACTION, since, 200)
            .await?
            .into_iter()
            .filter(|e| e.draft.outcome == concordat_domain::audit::AuditOutcome::Allowed)
            .collect();
        let usernames: Vec<String> = events.iter().map(|e| e.draft.username.clone()).collect();
        let names = crate::staff::staff_labels(&mut tx, &usernames).await?;
        Ok(events
            .into_iter()
            .map(|e| MfaResetView {
                at: e.draft.at,
                by: names
                    .get(&e.draft.username)
                    .cloned()
                    .unwrap_or(e.draft.username),
                user_id: e.draft.resource_id,
            })
            .collect())
    }
}
