//! Members of the partnership: invitations (shared: staff now; alliance members, experts by experience and
//! grant applicants later), users and their memberships, and organisations, as administrators manage them.
//!
//! Every operation decides with `concordat_domain::policy::decide` (`ManageUsers` or `ManageOrganisations`,
//! for the organisation concerned) and appends its audit event in the same transaction; denials are audited
//! in their own transaction.

mod invitations;
mod orgs;
mod users;

pub(crate) use invitations::random_secret;
pub use invitations::{
    AcceptInput, CreatedInvitation, INVITATION_DAYS, InvitationInput, InvitationView, Notice,
    PURPOSE_STAFF,
};
pub use orgs::{OrgInput, OrgView};
pub use users::{MFA_RESET_ACTION, MembershipView, MfaResetView, UserView};

use crate::{App, AppError, Subject, audit_denial};
use concordat_domain::model::OrgId;
use concordat_domain::policy::{
    Action, Actor, Consent, Decision, DenyReason, Relationship, Request,
};

/// Asks the policy about an administrative action on `org` (`None`: no organisation, or a new one).
pub(crate) fn decide_for(actor: &Actor, action: Action, org: Option<OrgId>) -> Decision {
    concordat_domain::policy::decide(&Request {
        actor,
        action,
        owner_org: org,
        agreements: &[],
        consent: &Consent::NotRecorded,
        relationship: Relationship::None,
        break_glass_reason: None,
        today: chrono::Utc::now().date_naive(),
    })
}

/// Decides for every organisation in `orgs` (all must allow; an empty list means "no organisation"):
/// the first denial, or the allowing decision.
pub(crate) fn decide_all(actor: &Actor, action: Action, orgs: &[OrgId]) -> Decision {
    if orgs.is_empty() {
        return decide_for(actor, action, None);
    }
    let mut last = Decision::Deny(DenyReason::RoleNotPermitted);
    for &org in orgs {
        last = decide_for(actor, action, Some(org));
        if !last.is_allowed() {
            return last;
        }
    }
    last
}

/// [`decide_all`], with a denial audited in its own transaction and returned as an error.
pub(crate) async fn require_for(
    app: &App,
    actor: &Actor,
    action: Action,
    orgs: &[OrgId],
    audit_action: &str,
    subject: &Subject,
) -> Result<Decision, AppError> {
    let d = decide_all(actor, action, orgs);
    if let Decision::Deny(reason) = d {
        audit_denial(app, actor, audit_action, subject, &d).await?;
        return Err(AppError::Denied(reason));
    }
    Ok(d)
}

/// Whether the actor administers the whole partnership (sees every organisation's users).
pub(crate) fn is_partnership_wide(actor: &Actor) -> bool {
    match actor {
        Actor::System { .. } => true,
        Actor::User(u) => concordat_domain::policy::partnership_wide(u),
    }
}

/// Trims a form value; empty means absent.
pub(crate) fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}
