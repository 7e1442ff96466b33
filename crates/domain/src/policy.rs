//! The access policy: a pure function from (actor, action, resource, agreements, consent, relationship)
//! to Allow or Deny with a reason. Deny by default: every arm that allows names why.
//!
//! Modelled on the Summary Care Record: role-based access, a legitimate relationship,
//! and break-glass with a mandatory reason that a privacy officer reviews (domain.md).

use crate::model::{OrgId, SharingAgreement, UserId};
use crate::{DataCategory, LegalBasis, OrgKind, Role};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Who is acting: a user in one role at one organisation, or the system itself (jobs, migrations, demo loading).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Actor {
    User(UserActor),
    System { job: String },
}

/// A signed-in user acting in one membership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserActor {
    pub user_id: UserId,
    pub username: String,
    pub role: Role,
    pub org_id: OrgId,
    pub org_kind: OrgKind,
    /// True when the session passed multi-factor authentication (or the user is a demo user exempt from it).
    pub mfa_satisfied: bool,
    pub request_id: Option<String>,
}

impl Actor {
    pub fn system(job: &str) -> Self {
        Actor::System {
            job: job.to_string(),
        }
    }

    pub fn username(&self) -> &str {
        match self {
            Actor::User(u) => &u.username,
            Actor::System { .. } => "system",
        }
    }

    pub fn as_user(&self) -> Option<&UserActor> {
        match self {
            Actor::User(u) => Some(u),
            Actor::System { .. } => None,
        }
    }
}

/// What the actor wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Read a category of a person's data.
    ViewPerson(DataCategory),
    /// Search for people by identifiers (results show identity only).
    SearchPeople,
    /// Create a person record owned by the actor's organisation.
    CreatePerson,
    /// Change a person record.
    EditPerson,
    /// Read the audit log and access histories.
    ViewAudit,
    /// Mark break-glass events as reviewed.
    ReviewBreakGlass,
    /// Invite, add, disable and re-enable users, change their memberships, reset their MFA and revoke their
    /// sessions. `owner_org` is the organisation whose staff are managed (`None`: an account or invitation
    /// with no organisation yet); an administrator manages their own organisation's staff, a partnership-wide
    /// administrator ([`partnership_wide`]) anyone's.
    ManageUsers,
    /// Add and change organisations and data sharing agreements. `owner_org` is the organisation changed
    /// (`None`: a new organisation or an agreement); an administrator changes their own organisation, a
    /// partnership-wide administrator any, and only a partnership-wide administrator adds organisations.
    ManageOrganisations,
    /// See counts, charts and other figures with no person identified.
    ViewAggregates,
    /// See the list of people with repeated crisis contact (support, never sanctions).
    ViewRepeatContactList,
    /// Create, change or open a crisis contact: the shared record of one response.
    /// Clinical detail in it (presenting needs, physical health) also needs `ViewPerson(IncidentHistory)`.
    RecordContact,
    /// Join a crisis contact as a partner: the actor's organisation is added to the organisations on the
    /// response (a paramedic arriving after the police), so the contact is in its list. The same decision as
    /// writing to it: the actor's own organisation's contact, or another's that an agreement shares incident
    /// records from with the actor's organisation.
    JoinContact,
    /// Record or change an s136/s135 episode (detention, places of safety, assessment, extension, outcome).
    RecordDetention,
    /// Download the Home Office return and the outcome table: one row per detention, nobody named.
    ExportReturns,
    /// See the named contact person, email and phone number of partner organisations. Everyone signed in
    /// sees who is in the partnership (names, kinds, codes, whether active); the contacts are staff's
    /// personal data, for the roles that run the partnership and its data sharing.
    ViewOrganisationContacts,
    /// Draft a data sharing agreement, withdraw a draft or end an agreement. `owner_org` is a party
    /// organisation the actor acts for: an administrator of a party, or a partnership-wide administrator.
    ManageAgreements,
    /// Sign a data sharing agreement for one party. `owner_org` is the party signed for: only a privacy
    /// officer of that organisation (its Caldicott Guardian, data protection officer or information
    /// governance lead) signs for it, never anyone else's.
    SignAgreement,
    /// See the alliance: its members (what each chose to show, decided field by field by
    /// `crate::alliance::field_visible`). For the alliance's roles: coordinator, member, expert by experience.
    ViewAlliance,
    /// Add member organisations and invite individual members to the alliance: alliance coordinators.
    ManageAlliance,
    /// See a person's care team (current and past) and add a clinician of the person's owning organisation
    /// to it or end a membership. `owner_org` is the organisation that holds the person's record: only its
    /// clinicians (triage and crisis) and its administrators, never another organisation's, and never by
    /// break-glass. Being in the care team does not by itself let anyone change it.
    ManageCareTeam,
}

impl Action {
    /// A stable code for audit rows.
    pub fn code(self) -> String {
        match self {
            Action::ViewPerson(c) => format!("person.view.{}", c.code()),
            Action::SearchPeople => "person.search".into(),
            Action::CreatePerson => "person.create".into(),
            Action::EditPerson => "person.edit".into(),
            Action::ViewAudit => "audit.view".into(),
            Action::ReviewBreakGlass => "audit.review_break_glass".into(),
            Action::ManageUsers => "user.manage".into(),
            Action::ManageOrganisations => "organisation.manage".into(),
            Action::ViewAggregates => "aggregate.view".into(),
            Action::ViewRepeatContactList => "repeat_contact.view".into(),
            Action::RecordContact => "contact.record".into(),
            Action::JoinContact => "contact.join".into(),
            Action::RecordDetention => "detention.record".into(),
            Action::ExportReturns => "returns.export".into(),
            Action::ViewOrganisationContacts => "organisation.view_contacts".into(),
            Action::ManageAgreements => "agreement.manage".into(),
            Action::SignAgreement => "agreement.sign".into(),
            Action::ViewAlliance => "alliance.view".into(),
            Action::ManageAlliance => "alliance.manage".into(),
            Action::ManageCareTeam => "care_team.manage".into(),
        }
    }
}

/// The person's decision about sharing their crisis plan beyond the organisation that holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Consent {
    NotRecorded,
    Given {
        org_kinds: Vec<OrgKind>,
        categories: Vec<DataCategory>,
        until: Option<NaiveDate>,
    },
    Withdrawn,
    /// Sharing rests on another recorded legal basis (e.g. vital interests), not consent.
    OtherBasis(LegalBasis),
}

/// The actor's relationship with the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Relationship {
    None,
    /// A member of the person's care team.
    CareTeam,
}

/// Everything the policy looks at. Built by the app layer from the store.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub actor: &'a Actor,
    pub action: Action,
    /// The organisation that owns the record (for person actions); `None` for organisation-wide actions.
    pub owner_org: Option<OrgId>,
    pub agreements: &'a [SharingAgreement],
    pub consent: &'a Consent,
    pub relationship: Relationship,
    /// A reason given to see more than the normal rules allow; `None` when not breaking glass.
    pub break_glass_reason: Option<&'a str>,
    pub today: NaiveDate,
}

/// The policy's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    Allow { basis: Basis, break_glass: bool },
    Deny(DenyReason),
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow { .. })
    }
}

/// Why an access was allowed: recorded in the audit row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Basis {
    /// The system itself (jobs, migrations, demo loading).
    System,
    /// The actor's role permits this for their own organisation.
    Role,
    /// The record belongs to the actor's organisation.
    OwnOrganisation,
    /// A data sharing agreement covers this flow, with the agreement's legal basis.
    Agreement(LegalBasis),
    /// A data sharing agreement covers the flow and the person consented to it: the consent is the
    /// basis that decided (crisis plan categories beyond the holding organisation).
    Consent,
    /// A data sharing agreement covers the flow and the person's record names another legal basis
    /// (for example vital interests): that basis decided.
    Recorded(LegalBasis),
    /// The actor is in the person's care team.
    CareTeam,
    /// Break-glass: vital interests, to be reviewed.
    BreakGlass,
}

impl Basis {
    /// The legal basis to record, where there is one.
    pub fn legal_basis(self) -> Option<LegalBasis> {
        match self {
            Basis::Agreement(b) | Basis::Recorded(b) => Some(b),
            Basis::Consent => Some(LegalBasis::Consent),
            Basis::OwnOrganisation | Basis::CareTeam => Some(LegalBasis::DirectCare),
            Basis::BreakGlass => Some(LegalBasis::VitalInterests),
            Basis::System | Basis::Role => None,
        }
    }
}

/// Why an access was denied, in words a user can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum DenyReason {
    #[error("your role cannot do this")]
    RoleNotPermitted,
    #[error("your role does not give access to people's records")]
    NoPersonalDataRole,
    #[error("your role cannot see this part of a person's record")]
    CategoryNotPermitted,
    #[error("multi-factor authentication is required before you can see people's records")]
    MfaRequired,
    #[error("this record belongs to another organisation and your organisation cannot change it")]
    OtherOrganisationsRecord,
    #[error("no data sharing agreement lets this information reach your organisation")]
    NoAgreement,
    #[error("the person has not consented to share this with your organisation")]
    NoConsent,
    #[error("the person has withdrawn consent to share this")]
    ConsentWithdrawn,
    #[error("only the person's care team can see this")]
    NotCareTeam,
    #[error("a break-glass reason must say why, in at least 10 characters")]
    BreakGlassReasonTooShort,
    #[error(
        "only a partnership-wide administrator (an administrator at the integrated care board) can manage other organisations and their staff"
    )]
    NotPartnershipWide,
    #[error("only a privacy officer of a party organisation can sign an agreement for it")]
    NotSignatory,
    #[error(
        "every organisation you work for in Concordat has been deactivated, so you cannot sign in: ask the partnership's administrator"
    )]
    OrganisationDeactivated,
}

impl DenyReason {
    /// Denials that a responder or clinician may override with break-glass, giving a reason.
    pub fn break_glass_may_override(self) -> bool {
        matches!(
            self,
            DenyReason::NoAgreement
                | DenyReason::NoConsent
                | DenyReason::ConsentWithdrawn
                | DenyReason::NotCareTeam
        )
    }
}

/// The categories a role may ever see, before organisation, agreement and consent are considered.
fn role_categories(role: Role) -> &'static [DataCategory] {
    use DataCategory::*;
    match role {
        Role::Responder => &[Identity, CrisisPlanSummary],
        Role::TriageClinician => &[
            Identity,
            CrisisPlanSummary,
            CrisisPlanClinical,
            IncidentHistory,
            DetentionRecord,
        ],
        Role::CrisisClinician => &[
            Identity,
            CrisisPlanSummary,
            CrisisPlanClinical,
            CrisisPlanCareTeam,
            IncidentHistory,
            DetentionRecord,
        ],
        Role::PlaceOfSafetyCoordinator => &[
            Identity,
            CrisisPlanSummary,
            CrisisPlanClinical,
            DetentionRecord,
        ],
        // Administrators correct records and privacy officers answer access requests: identity only, own organisation only.
        Role::Administrator | Role::PrivacyOfficer => &[Identity],
        Role::Analyst
        | Role::AllianceCoordinator
        | Role::AllianceMember
        | Role::ExpertByExperience => &[],
    }
}

/// Crisis plan categories flow beyond the holding organisation only with the person's consent or another basis.
fn needs_consent(category: DataCategory) -> bool {
    matches!(
        category,
        DataCategory::CrisisPlanSummary
            | DataCategory::CrisisPlanClinical
            | DataCategory::CrisisPlanCareTeam
    )
}

/// Decides a request. Pure and total: nothing said yes → deny.
pub fn decide(req: &Request<'_>) -> Decision {
    let user = match req.actor {
        Actor::System { .. } => {
            return Decision::Allow {
                basis: Basis::System,
                break_glass: false,
            };
        }
        Actor::User(u) => u,
    };
    let role = user.role;
    let allow_role = Decision::Allow {
        basis: Basis::Role,
        break_glass: false,
    };
    match req.action {
        Action::ManageUsers | Action::ManageOrganisations | Action::ManageAgreements => {
            if role != Role::Administrator {
                return Decision::Deny(DenyReason::RoleNotPermitted);
            }
            match req.owner_org {
                Some(org) if org == user.org_id => mfa_gate(user, allow_role),
                _ if partnership_wide(user) => mfa_gate(user, allow_role),
                _ => Decision::Deny(DenyReason::NotPartnershipWide),
            }
        }
        Action::ViewAudit | Action::ReviewBreakGlass => {
            if role == Role::PrivacyOfficer {
                allow_role
            } else {
                Decision::Deny(DenyReason::RoleNotPermitted)
            }
        }
        // Figures with nobody identified: every member of the partnership, experts by experience included.
        Action::ViewAggregates => allow_role,
        // Support for people in repeated crisis is for care coordinators only; never police or other responders.
        Action::ViewRepeatContactList => {
            if role == Role::CrisisClinician {
                mfa_gate(user, allow_role)
            } else {
                Decision::Deny(DenyReason::RoleNotPermitted)
            }
        }
        Action::SearchPeople => {
            if role_categories(role).contains(&DataCategory::Identity) {
                mfa_gate(user, allow_role)
            } else {
                Decision::Deny(DenyReason::NoPersonalDataRole)
            }
        }
        Action::CreatePerson | Action::EditPerson => {
            let may_write = matches!(
                role,
                Role::Responder
                    | Role::TriageClinician
                    | Role::CrisisClinician
                    | Role::PlaceOfSafetyCoordinator
                    | Role::Administrator
            );
            if !may_write {
                return Decision::Deny(if role_categories(role).is_empty() {
                    DenyReason::NoPersonalDataRole
                } else {
                    DenyReason::RoleNotPermitted
                });
            }
            // Each organisation keeps its own records; others contribute through shared records, not edits.
            match req.owner_org {
                Some(owner) if owner != user.org_id => {
                    Decision::Deny(DenyReason::OtherOrganisationsRecord)
                }
                _ => mfa_gate(
                    user,
                    Decision::Allow {
                        basis: Basis::OwnOrganisation,
                        break_glass: false,
                    },
                ),
            }
        }
        Action::ViewPerson(category) => mfa_gate(user, view_person(req, user, category)),
        // The people on a response (officer, nurse, paramedic) all write to one shared record:
        // their own organisation's, or another's that an agreement shares incident records with them.
        Action::RecordContact | Action::JoinContact => {
            let may = matches!(
                role,
                Role::Responder | Role::TriageClinician | Role::CrisisClinician
            );
            if may {
                mfa_gate(user, shared_write(req, user, DataCategory::IncidentHistory))
            } else {
                Decision::Deny(DenyReason::RoleNotPermitted)
            }
        }
        // Detention records are kept by health: the place of safety and the clinicians who assess.
        Action::RecordDetention => {
            let may = matches!(
                role,
                Role::TriageClinician | Role::CrisisClinician | Role::PlaceOfSafetyCoordinator
            );
            if may {
                mfa_gate(user, shared_write(req, user, DataCategory::DetentionRecord))
            } else {
                Decision::Deny(DenyReason::RoleNotPermitted)
            }
        }
        // Administrators keep the details; alliance coordinators convene the partners; privacy officers
        // answer data sharing questions and requests with their counterparts. Staff's personal data: MFA.
        Action::ViewOrganisationContacts => {
            let may = matches!(
                role,
                Role::Administrator | Role::AllianceCoordinator | Role::PrivacyOfficer
            );
            if may {
                mfa_gate(user, allow_role)
            } else {
                Decision::Deny(DenyReason::RoleNotPermitted)
            }
        }
        // A signatory commits their own organisation, and only it.
        Action::SignAgreement => {
            if role != Role::PrivacyOfficer {
                return Decision::Deny(DenyReason::RoleNotPermitted);
            }
            match req.owner_org {
                Some(org) if org == user.org_id => mfa_gate(user, allow_role),
                _ => Decision::Deny(DenyReason::NotSignatory),
            }
        }
        // The alliance's own roles; none of them sees personal data of people in crisis, so no MFA here
        // (they are never sent to enrol). Members' profiles are decided field by field by the member's choice.
        Action::ViewAlliance => {
            let may = matches!(
                role,
                Role::AllianceCoordinator | Role::AllianceMember | Role::ExpertByExperience
            );
            if may {
                allow_role
            } else {
                Decision::Deny(DenyReason::RoleNotPermitted)
            }
        }
        Action::ManageAlliance => {
            if role == Role::AllianceCoordinator {
                allow_role
            } else {
                Decision::Deny(DenyReason::RoleNotPermitted)
            }
        }
        // The holding organisation decides who looks after its people: its clinicians, who work with the
        // person, and its administrators, who keep its records straight. Another organisation's staff are
        // refused even with an agreement or a care-team relationship.
        Action::ManageCareTeam => {
            let may = matches!(
                role,
                Role::TriageClinician | Role::CrisisClinician | Role::Administrator
            );
            if !may {
                return Decision::Deny(DenyReason::RoleNotPermitted);
            }
            match req.owner_org {
                Some(owner) if owner == user.org_id => mfa_gate(
                    user,
                    Decision::Allow {
                        basis: Basis::OwnOrganisation,
                        break_glass: false,
                    },
                ),
                _ => Decision::Deny(DenyReason::OtherOrganisationsRecord),
            }
        }
        // Returns name nobody, but hold one row per detention: analysts and coordinators only.
        Action::ExportReturns => {
            let may = matches!(
                role,
                Role::Analyst | Role::AllianceCoordinator | Role::PlaceOfSafetyCoordinator
            );
            if may {
                mfa_gate(user, allow_role)
            } else {
                Decision::Deny(DenyReason::RoleNotPermitted)
            }
        }
    }
}

/// Whether an administrator manages the whole partnership rather than their own organisation: an
/// administrator at the integrated care board, which hosts the partnership's shared services.
/// Every other administrator manages only their own organisation and its staff.
pub fn partnership_wide(user: &UserActor) -> bool {
    user.role == Role::Administrator && user.org_kind == OrgKind::Icb
}

/// Whether `role` may ever do `action` on its own organisation's records or staff, with MFA done and no
/// break-glass. The web layer uses this to decide which links to show; it grants nothing: every request
/// is still decided by [`decide`] in the app layer.
pub fn may(role: Role, action: Action) -> bool {
    let actor = Actor::User(UserActor {
        user_id: UserId(0),
        username: String::new(),
        role,
        org_id: OrgId(0),
        org_kind: OrgKind::Other,
        mfa_satisfied: true,
        request_id: None,
    });
    decide(&Request {
        actor: &actor,
        action,
        owner_org: Some(OrgId(0)),
        agreements: &[],
        consent: &Consent::NotRecorded,
        relationship: Relationship::None,
        break_glass_reason: None,
        today: NaiveDate::MIN,
    })
    .is_allowed()
}

/// A write to a shared operational record: new (no owner yet) or own organisation's, or another's that an
/// agreement shares `category` from with the actor's organisation. No break-glass for writes.
fn shared_write(req: &Request<'_>, user: &UserActor, category: DataCategory) -> Decision {
    match req.owner_org {
        None => Decision::Allow {
            basis: Basis::OwnOrganisation,
            break_glass: false,
        },
        Some(owner) if owner == user.org_id => Decision::Allow {
            basis: Basis::OwnOrganisation,
            break_glass: false,
        },
        Some(owner) => match req
            .agreements
            .iter()
            .find(|a| a.covers(owner, user.org_id, category, req.today))
        {
            Some(a) => Decision::Allow {
                basis: Basis::Agreement(a.legal_basis),
                break_glass: false,
            },
            None => Decision::Deny(DenyReason::NoAgreement),
        },
    }
}

fn mfa_gate(user: &UserActor, d: Decision) -> Decision {
    if d.is_allowed() && !user.mfa_satisfied {
        Decision::Deny(DenyReason::MfaRequired)
    } else {
        d
    }
}

fn view_person(req: &Request<'_>, user: &UserActor, category: DataCategory) -> Decision {
    let cats = role_categories(user.role);
    if cats.is_empty() {
        return Decision::Deny(DenyReason::NoPersonalDataRole);
    }
    if !cats.contains(&category) {
        return Decision::Deny(DenyReason::CategoryNotPermitted);
    }
    let normal = normal_view(req, user, category);
    match (normal, req.break_glass_reason) {
        (Decision::Deny(reason), Some(why))
            if reason.break_glass_may_override() && user_may_break_glass(user) =>
        {
            if why.trim().chars().count() < 10 {
                Decision::Deny(DenyReason::BreakGlassReasonTooShort)
            } else {
                Decision::Allow {
                    basis: Basis::BreakGlass,
                    break_glass: true,
                }
            }
        }
        (d, _) => d,
    }
}

fn user_may_break_glass(user: &UserActor) -> bool {
    may_break_glass(user.role)
}

/// Whether `role` may ever override a refusal with break-glass (a reason, reviewed by a privacy officer).
/// The web layer uses this to decide whether to offer the emergency-access form; the request is still
/// decided by [`decide`].
pub fn may_break_glass(role: Role) -> bool {
    matches!(
        role,
        Role::Responder
            | Role::TriageClinician
            | Role::CrisisClinician
            | Role::PlaceOfSafetyCoordinator
    )
}

fn normal_view(req: &Request<'_>, user: &UserActor, category: DataCategory) -> Decision {
    let Some(owner) = req.owner_org else {
        return Decision::Deny(DenyReason::NoAgreement);
    };
    if category == DataCategory::CrisisPlanCareTeam {
        return if req.relationship == Relationship::CareTeam {
            Decision::Allow {
                basis: Basis::CareTeam,
                break_glass: false,
            }
        } else {
            Decision::Deny(DenyReason::NotCareTeam)
        };
    }
    if owner == user.org_id {
        return Decision::Allow {
            basis: Basis::OwnOrganisation,
            break_glass: false,
        };
    }
    if matches!(user.role, Role::Administrator | Role::PrivacyOfficer) {
        return Decision::Deny(DenyReason::OtherOrganisationsRecord);
    }
    // Every agreement that covers the flow is tried; the first whose basis holds for this person
    // decides, and its basis is the one recorded.
    let mut denial = DenyReason::NoAgreement;
    for agreement in req
        .agreements
        .iter()
        .filter(|a| a.covers(owner, user.org_id, category, req.today))
    {
        match flow_basis(req, user, category, agreement.legal_basis) {
            Ok(basis) => {
                return Decision::Allow {
                    basis,
                    break_glass: false,
                };
            }
            Err(reason) => denial = reason,
        }
    }
    Decision::Deny(denial)
}

/// The basis a flow under an agreement with `agreement_basis` actually rests on for this person, or
/// why it does not hold. Crisis plan categories need the person's consent (or another legal basis
/// their record names), whatever the agreement says. Other categories flow on the agreement's own
/// basis, except that an agreement resting on consent holds only for people whose consent covers
/// the actor's kind of organisation and is in date: recording "consent" for a person who withdrew
/// it, or never gave it, would be false.
fn flow_basis(
    req: &Request<'_>,
    user: &UserActor,
    category: DataCategory,
    agreement_basis: LegalBasis,
) -> Result<Basis, DenyReason> {
    let plan = needs_consent(category);
    if !plan && agreement_basis != LegalBasis::Consent {
        return Ok(Basis::Agreement(agreement_basis));
    }
    match req.consent {
        Consent::Withdrawn => Err(DenyReason::ConsentWithdrawn),
        Consent::NotRecorded => Err(DenyReason::NoConsent),
        Consent::Given {
            org_kinds,
            categories,
            until,
        } => {
            let in_date = until.is_none_or(|u| req.today <= u);
            // Identity and other categories outside the plan: consent to share any of the plan with
            // this kind of organisation covers being identified to it.
            let covers_category = !plan || categories.contains(&category);
            if in_date && org_kinds.contains(&user.org_kind) && covers_category {
                Ok(Basis::Consent)
            } else {
                Err(DenyReason::NoConsent)
            }
        }
        Consent::OtherBasis(b) => Ok(Basis::Recorded(*b)),
    }
}

#[cfg(test)]
mod tests;
