//! Invitations: a single-use link that expires (7 days by default). The secret in the link is shown once,
//! to the administrator who creates it; the database keeps only its SHA-256 hash. Accepting sets a username
//! and password (the NCSC rules of `concordat_domain::password`); the web layer then signs the new user in,
//! which sends roles that see personal data to MFA enrolment.
//!
//! There is no email yet: `create_invitation` returns a [`Notice`] that the page shows for the administrator
//! to copy; a notifier (SMTP, later) can send the same notice.

use super::{decide_for, opt, require_for};
use crate::auth::hash_token;
use crate::{App, AppError, FieldError, Subject, audit_draft};
use base64::Engine;
use chrono::Utc;
use concordat_domain::Role;
use concordat_domain::model::{OrgId, UserId};
use concordat_domain::password::check_new_password;
use concordat_domain::policy::{Action, Actor, Basis, Decision};
use concordat_store::{InvitationRow, NewInvitation};

/// Days an invitation lasts unless the caller says otherwise.
pub const INVITATION_DAYS: i64 = 7;
/// The purpose of staff invitations (later parts add their own purposes).
pub const PURPOSE_STAFF: &str = "staff";

/// What an administrator enters to invite someone.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct InvitationInput {
    /// The person's name as colleagues know it.
    #[serde(default)]
    pub display_name: String,
    /// The organisation's id, or empty for an account with no organisation yet.
    #[serde(default)]
    pub org_id: String,
    /// A role code (e.g. `triage_clinician`), or empty with no organisation.
    #[serde(default)]
    pub role: String,
    /// Days until the link expires (1 to 30; empty for 7).
    #[serde(default)]
    pub days: String,
}

/// A new invitation: the secret link is here once and nowhere else.
pub struct CreatedInvitation {
    pub id: i64,
    /// The secret for the link; not stored.
    pub token: String,
    /// The path to give the invited person: `/invite?token=…` (a query string, which the request log never records).
    pub link_path: String,
    pub expires_at: i64,
    pub notice: Notice,
}

impl std::fmt::Debug for CreatedInvitation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedInvitation")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Something a person should be told. No notifier sends these yet: the page shows them; a later part
/// (SMTP) sends them too.
#[derive(Clone, PartialEq, Eq)]
pub enum Notice {
    /// "You are invited": the name to greet, the link path and when it expires.
    Invitation {
        display_name: String,
        link_path: String,
        expires_at: i64,
    },
}

impl std::fmt::Debug for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Notice(***)")
    }
}

/// An invitation as administrators and the invited person see it (never the secret).
#[derive(Debug, Clone, serde::Serialize)]
pub struct InvitationView {
    pub id: i64,
    pub display_name: String,
    pub organisation: Option<String>,
    pub role: Option<String>,
    pub role_label: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub expires_at: i64,
}

impl From<&InvitationRow> for InvitationView {
    fn from(r: &InvitationRow) -> Self {
        InvitationView {
            id: r.id,
            display_name: r.display_name.clone(),
            organisation: r.org_name.clone(),
            role: r.role.map(|x| x.code().to_string()),
            role_label: r.role.map(|x| x.label().to_string()),
            expires_at: r.expires_at,
        }
    }
}

/// What the invited person enters.
#[derive(Clone, Default, serde::Deserialize)]
pub struct AcceptInput {
    #[serde(default)]
    pub token: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub confirm: String,
}

impl std::fmt::Debug for AcceptInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AcceptInput")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Checks a username: 1 to 64 letters, digits, dots, hyphens or underscores.
pub(crate) fn username_problem(username: &str) -> Option<&'static str> {
    let ok = !username.is_empty()
        && username.len() <= 64
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    (!ok).then_some("use 1 to 64 letters, digits, dots, hyphens or underscores")
}

pub(crate) fn random_secret() -> String {
    let mut b = [0u8; 32];
    rand::fill(&mut b[..]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

const GONE: &str = "this invitation link has expired, has been used or was withdrawn: ask your administrator for a new one";

impl App {
    /// Creates an invitation to an organisation in a role, or with no organisation (partnership-wide
    /// administrators only). The link's secret is returned once.
    pub async fn create_invitation(
        &self,
        actor: &Actor,
        input: &InvitationInput,
    ) -> Result<CreatedInvitation, AppError> {
        // Authorise the role first (a role that may never invite is refused and audited whatever it
        // sent); the organisation invited to is decided again below, once the input is parsed.
        if let Some(u) = actor.as_user()
            && !concordat_domain::policy::may(u.role, Action::ManageUsers)
        {
            let subject = Subject {
                resource_kind: "invitation",
                ..Default::default()
            };
            require_for(
                self,
                actor,
                Action::ManageUsers,
                &[u.org_id],
                "invitation.create",
                &subject,
            )
            .await?;
        }
        let mut errs = Vec::new();
        let display_name = input.display_name.trim();
        if display_name.is_empty() || display_name.chars().count() > 200 {
            errs.push(FieldError::new(
                "display_name",
                "enter the person's name (at most 200 characters)",
            ));
        }
        let org_id = match opt(&input.org_id) {
            None => None,
            Some(s) => match s.parse::<i64>() {
                Ok(n) => Some(OrgId(n)),
                Err(_) => {
                    errs.push(FieldError::new("org_id", "choose an organisation"));
                    None
                }
            },
        };
        let role = match opt(&input.role) {
            None => None,
            Some(code) => match Role::from_code(&code) {
                Some(r) => Some(r),
                None => {
                    errs.push(FieldError::new("role", "choose a role from the list"));
                    None
                }
            },
        };
        if org_id.is_some() && role.is_none() && !errs.iter().any(|e| e.field == "role") {
            errs.push(FieldError::new(
                "role",
                "choose the role the person will have at the organisation",
            ));
        }
        if org_id.is_none() && role.is_some() && !errs.iter().any(|e| e.field == "org_id") {
            errs.push(FieldError::new(
                "org_id",
                "choose the organisation the role is at",
            ));
        }
        let days = match opt(&input.days) {
            None => INVITATION_DAYS,
            Some(s) => match s.parse::<i64>() {
                Ok(d) if (1..=30).contains(&d) => d,
                _ => {
                    errs.push(FieldError::new(
                        "days",
                        "enter a number of days from 1 to 30",
                    ));
                    INVITATION_DAYS
                }
            },
        };
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let subject = Subject {
            resource_kind: "invitation",
            ..Default::default()
        };
        let orgs: Vec<OrgId> = org_id.into_iter().collect();
        let decision = require_for(
            self,
            actor,
            Action::ManageUsers,
            &orgs,
            "invitation.create",
            &subject,
        )
        .await?;
        let mut tx = self.store.begin().await?;
        if let Some(o) = org_id {
            match tx.org_details(o).await? {
                None => return Err(AppError::invalid("org_id", "choose an organisation")),
                Some(d) if !d.active => {
                    return Err(AppError::invalid(
                        "org_id",
                        format!("{} is deactivated: reactivate it first", d.name),
                    ));
                }
                Some(_) => {}
            }
        }
        let token = random_secret();
        let expires_at = Utc::now().timestamp_millis() + days * 86_400_000;
        let id = tx
            .invitation_insert(&NewInvitation {
                token_hash: hash_token(&token),
                display_name: display_name.to_string(),
                org_id,
                role,
                purpose: PURPOSE_STAFF.to_string(),
                created_by: actor.as_user().map(|u| u.user_id),
                expires_at,
            })
            .await?;
        let subject = Subject {
            resource_kind: "invitation",
            resource_id: Some(id.to_string()),
            person_id: None,
        };
        tx.audit_append(&audit_draft(
            actor,
            "invitation.create",
            &subject,
            &decision,
            role.map(Role::code),
        ))
        .await?;
        tx.commit().await?;
        let link_path = format!("/invite?token={token}");
        Ok(CreatedInvitation {
            id,
            notice: Notice::Invitation {
                display_name: display_name.to_string(),
                link_path: link_path.clone(),
                expires_at,
            },
            token,
            link_path,
            expires_at,
        })
    }

    /// Unused, unexpired invitations the actor may see: their organisation's, or all for a partnership-wide
    /// administrator.
    pub async fn pending_invitations(
        &self,
        actor: &Actor,
    ) -> Result<Vec<InvitationView>, AppError> {
        let org = self.scope_org(actor, "invitation.list").await?;
        let mut tx = self.store.begin_read().await?;
        let rows = tx
            .invitations_pending(org, Utc::now().timestamp_millis())
            .await?;
        Ok(rows.iter().map(InvitationView::from).collect())
    }

    /// Withdraws an unused invitation (it expires now).
    pub async fn cancel_invitation(&self, actor: &Actor, id: i64) -> Result<(), AppError> {
        let row = {
            let mut tx = self.store.begin_read().await?;
            tx.invitation_get(id).await?.ok_or(AppError::NotFound)?
        };
        let subject = Subject {
            resource_kind: "invitation",
            resource_id: Some(id.to_string()),
            person_id: None,
        };
        let orgs: Vec<OrgId> = row.org_id.into_iter().collect();
        let decision = require_for(
            self,
            actor,
            Action::ManageUsers,
            &orgs,
            "invitation.cancel",
            &subject,
        )
        .await?;
        let mut tx = self.store.begin().await?;
        if !tx
            .invitation_cancel(id, Utc::now().timestamp_millis())
            .await?
        {
            return Err(AppError::Conflict(
                "that invitation has already been used or has expired".into(),
            ));
        }
        tx.audit_append(&audit_draft(
            actor,
            "invitation.cancel",
            &subject,
            &decision,
            None,
        ))
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The invitation a link leads to, if it can still be accepted (for the acceptance page).
    pub async fn invitation_for_token(&self, token: &str) -> Result<InvitationView, AppError> {
        let mut tx = self.store.begin_read().await?;
        let row = tx
            .invitation_by_hash(&hash_token(token.trim()))
            .await?
            .filter(|r| r.used_at.is_none() && r.expires_at > Utc::now().timestamp_millis())
            .ok_or_else(|| AppError::invalid("token", GONE))?;
        Ok(InvitationView::from(&row))
    }

    /// Accepts an invitation: creates the account with the chosen username and password and the invited
    /// membership, and uses the invitation up, all in one transaction. The caller then signs the user in.
    pub async fn accept_invitation(
        &self,
        input: &AcceptInput,
        request_id: Option<String>,
    ) -> Result<UserId, AppError> {
        let now = Utc::now().timestamp_millis();
        let hash = hash_token(input.token.trim());
        let username = input.username.trim();
        let mut errs = Vec::new();
        if let Some(p) = username_problem(username) {
            errs.push(FieldError::new("username", p));
        }
        if let Err(e) = check_new_password(&input.password, username) {
            errs.push(FieldError::new("password", e.to_string()));
        } else if input.password != input.confirm {
            errs.push(FieldError::new(
                "confirm",
                "the two passwords are not the same",
            ));
        }
        // Check the link first: there is no point fixing a form for a dead link.
        let mut tx = self.store.begin().await?;
        let row = tx
            .invitation_by_hash(&hash)
            .await?
            .filter(|r| r.used_at.is_none() && r.expires_at > now)
            .ok_or_else(|| AppError::invalid("token", GONE))?;
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        if tx.user_credentials(username).await?.is_some() {
            return Err(AppError::invalid(
                "username",
                "that username is taken: choose another",
            ));
        }
        if let Some(o) = row.org_id
            && !tx.org_details(o).await?.is_some_and(|d| d.active)
        {
            return Err(AppError::invalid(
                "token",
                "the organisation you were invited to is no longer active: ask your administrator",
            ));
        }
        let hash_pw = crate::auth::hash_password(&input.password)?;
        let user = tx
            .user_insert(username, &row.display_name, &hash_pw, false)
            .await
            .map_err(|e| match e {
                concordat_store::StoreError::Conflict(_) => {
                    AppError::invalid("username", "that username is taken: choose another")
                }
                other => other.into(),
            })?;
        if let (Some(o), Some(r)) = (row.org_id, row.role) {
            tx.membership_insert(user, o, r).await?;
        }
        // An invitation to the alliance makes the new account its member (joined today).
        if row.purpose == crate::alliance::PURPOSE_ALLIANCE {
            tx.alliance_member_accept(row.id, user, &Utc::now().date_naive().to_string())
                .await?;
        }
        if !tx.invitation_use(row.id, user, now).await? {
            // Someone else used it between our read and now: nothing of this transaction is kept.
            return Err(AppError::invalid("token", GONE));
        }
        let mut draft = audit_draft(
            &Actor::system("invitation"),
            "invitation.accept",
            &Subject {
                resource_kind: "invitation",
                resource_id: Some(row.id.to_string()),
                person_id: None,
            },
            &Decision::Allow {
                basis: Basis::System,
                break_glass: false,
            },
            row.role.map(Role::code),
        );
        draft.user_id = Some(user.0);
        draft.username = username.to_string();
        draft.org_id = row.org_id.map(|o| o.0);
        draft.request_id = request_id;
        tx.audit_append(&draft).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Deletes invitations used or expired before `before` (for the housekeeping job); returns how many.
    pub async fn purge_invitations(
        &self,
        actor: &Actor,
        before: chrono::DateTime<Utc>,
    ) -> Result<u64, AppError> {
        let subject = Subject {
            resource_kind: "invitation",
            ..Default::default()
        };
        let decision = require_for(
            self,
            actor,
            Action::ManageUsers,
            &[],
            "invitation.purge",
            &subject,
        )
        .await?;
        let mut tx = self.store.begin().await?;
        let n = tx.invitations_purge(before.timestamp_millis()).await?;
        let reason = format!("{n} purged");
        tx.audit_append(&audit_draft(
            actor,
            "invitation.purge",
            &subject,
            &decision,
            Some(&reason),
        ))
        .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// The organisation whose members the actor administers: `None` (all) for a partnership-wide
    /// administrator, their own otherwise. A non-administrator's attempt is audited and refused.
    pub(crate) async fn scope_org(
        &self,
        actor: &Actor,
        audit_action: &str,
    ) -> Result<Option<OrgId>, AppError> {
        let own = crate::actor_org(actor);
        let subject = Subject {
            resource_kind: "user",
            ..Default::default()
        };
        let orgs: Vec<OrgId> = own.into_iter().collect();
        require_for(
            self,
            actor,
            Action::ManageUsers,
            &orgs,
            audit_action,
            &subject,
        )
        .await?;
        if super::is_partnership_wide(actor) {
            Ok(None)
        } else {
            Ok(own)
        }
    }
}

/// Organisations an actor may invite to or add memberships at (for forms): all for a partnership-wide
/// administrator, their own otherwise. Deactivated organisations are left out.
pub(crate) fn may_manage_org(actor: &Actor, org: OrgId) -> bool {
    decide_for(actor, Action::ManageUsers, Some(org)).is_allowed()
}
