//! Administration queries: invitations (single-use links stored only as SHA-256 hashes), organisations'
//! details and active flag, the user list with last sign-in, disabling, and revoking sessions.

use crate::tx::{AUDIT_COLS, audit_from, get_bool, now_ms, parse_kind, parse_role, user_from};
use crate::{Result, StoreError, Tx};
use concordat_domain::audit::AuditEvent;
use concordat_domain::model::{OrgId, User, UserId};
use concordat_domain::{OrgKind, Role};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A new invitation. `token_hash` is the SHA-256 of the link's secret; the secret itself is never stored.
#[derive(Clone)]
pub struct NewInvitation {
    pub token_hash: String,
    pub display_name: String,
    /// `None`: an account with no organisation yet (for later use, e.g. members of an alliance).
    pub org_id: Option<OrgId>,
    pub role: Option<Role>,
    /// What the invitation is for ("staff" for now); later parts reuse invitations for other people.
    pub purpose: String,
    pub created_by: Option<UserId>,
    pub expires_at: i64,
}

impl std::fmt::Debug for NewInvitation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewInvitation")
            .field("org_id", &self.org_id)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// A stored invitation (without its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationRow {
    pub id: i64,
    pub display_name: String,
    pub org_id: Option<OrgId>,
    pub org_name: Option<String>,
    pub role: Option<Role>,
    pub purpose: String,
    pub created_by: Option<UserId>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub used_by: Option<UserId>,
}

/// An organisation with the details only administrators edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgDetails {
    pub id: OrgId,
    pub name: String,
    pub kind: OrgKind,
    pub ods_code: Option<String>,
    pub org_identifier: Option<String>,
    pub active: bool,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    /// The organisation's crisis line (shown to responders when a plan is withheld from them).
    pub crisis_line: Option<String>,
}

/// Fields an administrator sets on an organisation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgFields {
    pub name: String,
    pub kind: Option<OrgKind>,
    pub ods_code: Option<String>,
    pub org_identifier: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    /// The organisation's crisis line (shown to responders when a plan is withheld from them).
    pub crisis_line: Option<String>,
}

/// A user as administrators see them: the account, its last sign-in and whether it has live sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAdminRow {
    pub user: User,
    pub last_sign_in: Option<i64>,
}

const INVITATION_COLS: &str = "i.id AS id, i.display_name AS display_name, i.org_id AS org_id, o.name AS org_name, i.role AS role, i.purpose AS purpose, i.created_by AS created_by, i.created_at AS created_at, i.expires_at AS expires_at, i.used_at AS used_at, i.used_by AS used_by";
const ORG_COLS: &str = "id, name, kind, ods_code, org_identifier, active, contact_name, contact_email, contact_phone, crisis_line";

fn invitation_from(row: &AnyRow) -> Result<InvitationRow> {
    let role: Option<String> = row.try_get("role")?;
    Ok(InvitationRow {
        id: row.try_get("id")?,
        display_name: row.try_get("display_name")?,
        org_id: row.try_get::<Option<i64>, _>("org_id")?.map(OrgId),
        org_name: row.try_get("org_name")?,
        role: role.as_deref().map(parse_role).transpose()?,
        purpose: row.try_get("purpose")?,
        created_by: row.try_get::<Option<i64>, _>("created_by")?.map(UserId),
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        used_at: row.try_get("used_at")?,
        used_by: row.try_get::<Option<i64>, _>("used_by")?.map(UserId),
    })
}

fn org_details_from(row: &AnyRow) -> Result<OrgDetails> {
    let kind: String = row.try_get("kind")?;
    Ok(OrgDetails {
        id: OrgId(row.try_get("id")?),
        name: row.try_get("name")?,
        kind: parse_kind(&kind)?,
        ods_code: row.try_get("ods_code")?,
        org_identifier: row.try_get("org_identifier")?,
        active: get_bool(row, "active")?,
        contact_name: row.try_get("contact_name")?,
        contact_email: row.try_get("contact_email")?,
        contact_phone: row.try_get("contact_phone")?,
        crisis_line: row.try_get("crisis_line")?,
    })
}

impl Tx {
    // ---- invitations ---------------------------------------------------------------------------

    pub async fn invitation_insert(&mut self, inv: &NewInvitation) -> Result<i64> {
        let q = self
            .q("INSERT INTO invitations (token_hash, display_name, org_id, role, purpose, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
            .bind(inv.token_hash.clone())
            .bind(inv.display_name.clone())
            .bind(inv.org_id.map(|o| o.0))
            .bind(inv.role.map(|r| r.code().to_string()))
            .bind(inv.purpose.clone())
            .bind(inv.created_by.map(|u| u.0))
            .bind(now_ms())
            .bind(inv.expires_at);
        match q.fetch_one(&mut *self.tx).await {
            Ok(row) => Ok(row.try_get("id")?),
            Err(e) => Err(StoreError::conflict_as(e, "invitation")),
        }
    }

    /// The invitation whose link hashes to `token_hash`, used or not.
    pub async fn invitation_by_hash(&mut self, token_hash: &str) -> Result<Option<InvitationRow>> {
        let q = self
            .q(&format!("SELECT {INVITATION_COLS} FROM invitations i LEFT JOIN organisations o ON o.id = i.org_id WHERE i.token_hash = $1"))
            .bind(token_hash.to_string());
        self.opt(q).await?.as_ref().map(invitation_from).transpose()
    }

    pub async fn invitation_get(&mut self, id: i64) -> Result<Option<InvitationRow>> {
        let q = self
            .q(&format!("SELECT {INVITATION_COLS} FROM invitations i LEFT JOIN organisations o ON o.id = i.org_id WHERE i.id = $1"))
            .bind(id);
        self.opt(q).await?.as_ref().map(invitation_from).transpose()
    }

    /// Marks an invitation used, once: false if it was already used or has expired by `at`.
    pub async fn invitation_use(&mut self, id: i64, user: UserId, at: i64) -> Result<bool> {
        let q = self
            .q("UPDATE invitations SET used_at = $1, used_by = $2 WHERE id = $3 AND used_at IS NULL AND expires_at > $1")
            .bind(at)
            .bind(user.0)
            .bind(id);
        Ok(self.exec(q).await? == 1)
    }

    /// Withdraws an unused invitation by making it expire now.
    pub async fn invitation_cancel(&mut self, id: i64, at: i64) -> Result<bool> {
        let q = self
            .q("UPDATE invitations SET expires_at = $1 WHERE id = $2 AND used_at IS NULL AND expires_at > $1")
            .bind(at)
            .bind(id);
        Ok(self.exec(q).await? == 1)
    }

    /// Unused, unexpired invitations at `now`, newest first; for one organisation, or all when `None`.
    pub async fn invitations_pending(
        &mut self,
        org: Option<OrgId>,
        now: i64,
    ) -> Result<Vec<InvitationRow>> {
        let sql = format!(
            "SELECT {INVITATION_COLS} FROM invitations i LEFT JOIN organisations o ON o.id = i.org_id WHERE i.used_at IS NULL AND i.expires_at > $1{} ORDER BY i.id DESC",
            if org.is_some() {
                " AND i.org_id = $2"
            } else {
                ""
            }
        );
        let mut q = self.q(&sql).bind(now);
        if let Some(o) = org {
            q = q.bind(o.0);
        }
        self.all(q).await?.iter().map(invitation_from).collect()
    }

    /// Deletes invitations used or expired before `before` (milliseconds): the housekeeping job calls this.
    /// Returns how many were deleted. The audit trail keeps the record of who invited whom.
    pub async fn invitations_purge(&mut self, before: i64) -> Result<u64> {
        let q = self
            .q("DELETE FROM invitations WHERE (used_at IS NOT NULL AND used_at < $1) OR expires_at < $1")
            .bind(before);
        self.exec(q).await
    }

    // ---- organisations -------------------------------------------------------------------------

    pub async fn org_details_list(&mut self) -> Result<Vec<OrgDetails>> {
        let q = self.q(&format!(
            "SELECT {ORG_COLS} FROM organisations ORDER BY name"
        ));
        self.all(q).await?.iter().map(org_details_from).collect()
    }

    pub async fn org_details(&mut self, id: OrgId) -> Result<Option<OrgDetails>> {
        let q = self
            .q(&format!(
                "SELECT {ORG_COLS} FROM organisations WHERE id = $1"
            ))
            .bind(id.0);
        self.opt(q)
            .await?
            .as_ref()
            .map(org_details_from)
            .transpose()
    }

    pub async fn org_insert_details(&mut self, f: &OrgFields) -> Result<OrgId> {
        let q = self
            .q("INSERT INTO organisations (name, kind, ods_code, org_identifier, contact_name, contact_email, contact_phone, crisis_line, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
            .bind(f.name.clone())
            .bind(f.kind.unwrap_or(OrgKind::Other).code())
            .bind(f.ods_code.clone())
            .bind(f.org_identifier.clone())
            .bind(f.contact_name.clone())
            .bind(f.contact_email.clone())
            .bind(f.contact_phone.clone())
            .bind(f.crisis_line.clone())
            .bind(now_ms());
        match q.fetch_one(&mut *self.tx).await {
            Ok(row) => Ok(OrgId(row.try_get("id")?)),
            Err(e) => Err(StoreError::conflict_as(e, "organisation name")),
        }
    }

    /// Changes an organisation's details; false if there is no such organisation.
    pub async fn org_update(&mut self, id: OrgId, f: &OrgFields) -> Result<bool> {
        let q = self
            .q("UPDATE organisations SET name = $1, kind = $2, ods_code = $3, org_identifier = $4, contact_name = $5, contact_email = $6, contact_phone = $7, crisis_line = $8 WHERE id = $9")
            .bind(f.name.clone())
            .bind(f.kind.unwrap_or(OrgKind::Other).code())
            .bind(f.ods_code.clone())
            .bind(f.org_identifier.clone())
            .bind(f.contact_name.clone())
            .bind(f.contact_email.clone())
            .bind(f.contact_phone.clone())
            .bind(f.crisis_line.clone())
            .bind(id.0);
        match q.execute(&mut *self.tx).await {
            Ok(r) => Ok(r.rows_affected() == 1),
            Err(e) => Err(StoreError::conflict_as(e, "organisation name")),
        }
    }

    pub async fn org_set_active(&mut self, id: OrgId, active: bool) -> Result<bool> {
        let q = self
            .q("UPDATE organisations SET active = $1 WHERE id = $2")
            .bind(active)
            .bind(id.0);
        Ok(self.exec(q).await? == 1)
    }

    /// Sets (or clears) an organisation's crisis line.
    pub async fn org_set_crisis_line(&mut self, id: OrgId, line: Option<&str>) -> Result<bool> {
        let q = self
            .q("UPDATE organisations SET crisis_line = $1 WHERE id = $2")
            .bind(line.map(str::to_string))
            .bind(id.0);
        Ok(self.exec(q).await? == 1)
    }

    /// An organisation's crisis line, if it has one (for a person page whose plan is withheld).
    pub async fn org_crisis_line(&mut self, id: OrgId) -> Result<Option<String>> {
        let q = self
            .q("SELECT crisis_line FROM organisations WHERE id = $1")
            .bind(id.0);
        Ok(match self.opt(q).await? {
            Some(row) => row.try_get("crisis_line")?,
            None => None,
        })
    }

    /// s136/s135 episodes still open that the organisation owns.
    pub async fn org_open_detentions(&mut self, id: OrgId) -> Result<i64> {
        let q = self
            .q("SELECT COUNT(*) AS n FROM mha_episodes WHERE owner_org_id = $1 AND is_open = $2")
            .bind(id.0)
            .bind(true);
        Ok(self.one(q).await?.try_get("n")?)
    }

    // ---- users -----------------------------------------------------------------------------------

    /// Users with their last sign-in (the newest session they opened); members of `org`, or everyone when
    /// `None` (users with no membership at all are listed only then).
    pub async fn users_admin_list(&mut self, org: Option<OrgId>) -> Result<Vec<UserAdminRow>> {
        let filter = if org.is_some() {
            " WHERE EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.org_id = $1)"
        } else {
            ""
        };
        let sql = format!(
            "SELECT u.id AS id, u.username AS username, u.display_name AS display_name, u.totp_enabled AS totp_enabled, u.mfa_demo_exempt AS mfa_demo_exempt, u.disabled AS disabled, (SELECT MAX(s.created_at) FROM sessions s WHERE s.user_id = u.id) AS last_sign_in FROM users u{filter} ORDER BY u.username"
        );
        let mut q = self.q(&sql);
        if let Some(o) = org {
            q = q.bind(o.0);
        }
        self.all(q)
            .await?
            .iter()
            .map(|r| {
                Ok(UserAdminRow {
                    user: user_from(r)?,
                    last_sign_in: r.try_get("last_sign_in")?,
                })
            })
            .collect()
    }

    /// The display names and roles of the staff with these usernames (case-insensitive), so pages can
    /// say who did something by name: (username as stored, display name, the roles of their memberships).
    /// Unknown usernames are left out.
    pub async fn staff_names(
        &mut self,
        usernames: &[String],
    ) -> Result<Vec<(String, String, Vec<Role>)>> {
        if usernames.is_empty() {
            return Ok(Vec::new());
        }
        let params: Vec<String> = (1..=usernames.len())
            .map(|i| format!("lower(${i})"))
            .collect();
        let sql = format!(
            "SELECT u.username AS username, u.display_name AS display_name, m.role AS role FROM users u LEFT JOIN memberships m ON m.user_id = u.id WHERE lower(u.username) IN ({}) ORDER BY u.username, m.role",
            params.join(", ")
        );
        let mut q = self.q(&sql);
        for u in usernames {
            q = q.bind(u.clone());
        }
        let mut out: Vec<(String, String, Vec<Role>)> = Vec::new();
        for r in self.all(q).await? {
            let username: String = r.try_get("username")?;
            let role: Option<String> = r.try_get("role")?;
            let role = role.as_deref().map(parse_role).transpose()?;
            match out.last_mut() {
                Some(last) if last.0 == username => last.2.extend(role),
                _ => out.push((
                    username,
                    r.try_get("display_name")?,
                    role.into_iter().collect(),
                )),
            }
        }
        for entry in &mut out {
            entry.2.dedup();
        }
        Ok(out)
    }

    pub async fn user_admin_get(&mut self, id: UserId) -> Result<Option<UserAdminRow>> {
        let q = self
            .q("SELECT u.id AS id, u.username AS username, u.display_name AS display_name, u.totp_enabled AS totp_enabled, u.mfa_demo_exempt AS mfa_demo_exempt, u.disabled AS disabled, (SELECT MAX(s.created_at) FROM sessions s WHERE s.user_id = u.id) AS last_sign_in FROM users u WHERE u.id = $1")
            .bind(id.0);
        let Some(r) = self.opt(q).await? else {
            return Ok(None);
        };
        Ok(Some(UserAdminRow {
            user: user_from(&r)?,
            last_sign_in: r.try_get("last_sign_in")?,
        }))
    }

    pub async fn user_set_disabled(&mut self, id: UserId, disabled: bool) -> Result<bool> {
        let q = self
            .q("UPDATE users SET disabled = $1 WHERE id = $2")
            .bind(disabled)
            .bind(id.0);
        Ok(self.exec(q).await? == 1)
    }

    /// Revokes every live session and API token of a user; returns how many were revoked.
    pub async fn sessions_revoke_for_user(&mut self, id: UserId) -> Result<u64> {
        let q = self
            .q("UPDATE sessions SET revoked = $1 WHERE user_id = $2 AND revoked = $3")
            .bind(true)
            .bind(id.0)
            .bind(false);
        self.exec(q).await
    }

    /// Revokes every session and API token acting in a membership of `org` (deactivating it); returns how
    /// many were revoked.
    pub async fn sessions_revoke_for_org(&mut self, org: OrgId) -> Result<u64> {
        let q = self
            .q("UPDATE sessions SET revoked = $1 WHERE revoked = $2 AND membership_id IN (SELECT id FROM memberships WHERE org_id = $3)")
            .bind(true)
            .bind(false)
            .bind(org.0);
        self.exec(q).await
    }

    /// Live (unrevoked, unexpired at `now`) sessions and tokens of a user.
    pub async fn sessions_live_for_user(&mut self, id: UserId, now: i64) -> Result<i64> {
        let q = self
            .q("SELECT COUNT(*) AS n FROM sessions WHERE user_id = $1 AND revoked = $2 AND expires_at > $3")
            .bind(id.0)
            .bind(false)
            .bind(now);
        Ok(self.one(q).await?.try_get("n")?)
    }

    /// Enabled users holding the administrator role at `org`.
    pub async fn org_enabled_admins(&mut self, org: OrgId) -> Result<i64> {
        let q = self
            .q("SELECT COUNT(DISTINCT u.id) AS n FROM users u JOIN memberships m ON m.user_id = u.id WHERE m.org_id = $1 AND m.role = $2 AND u.disabled = $3")
            .bind(org.0)
            .bind(Role::Administrator.code())
            .bind(false);
        Ok(self.one(q).await?.try_get("n")?)
    }

    /// Audit events of one action since `since` (milliseconds), newest first, at most `limit`.
    pub async fn audit_by_action(
        &mut self,
        action: &str,
        since: i64,
        limit: i64,
    ) -> Result<Vec<AuditEvent>> {
        let q = self
            .q(&format!(
                "SELECT {AUDIT_COLS} FROM audit_events WHERE action = $1 AND at >= $2 ORDER BY seq DESC LIMIT $3"
            ))
            .bind(action.to_string())
            .bind(since)
            .bind(limit);
        self.all(q).await?.iter().map(audit_from).collect()
    }
}
