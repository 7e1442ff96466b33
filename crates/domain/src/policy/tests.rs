//! Table-driven tests: every role × action × scope.
//!
//! Each row gives one letter per role, in the order of `ROLES`:
//! `A` allowed normally, `G` allowed only with a break-glass reason (denied without), `D` denied either way.

use super::*;
use crate::model::{AgreementStatus, OrgId};

const ROLES: [Role; 10] = [
    Role::Responder,
    Role::TriageClinician,
    Role::CrisisClinician,
    Role::PlaceOfSafetyCoordinator,
    Role::Analyst,
    Role::AllianceCoordinator,
    Role::AllianceMember,
    Role::ExpertByExperience,
    Role::PrivacyOfficer,
    Role::Administrator,
];

const ACTOR_ORG: OrgId = OrgId(1);
const OTHER_ORG: OrgId = OrgId(2);

#[derive(Debug, Clone, Copy)]
enum Scope {
    Own,
    /// Another organisation's record, an agreement covering every category, and consent given.
    Shared,
    /// An agreement but no consent recorded.
    AgreementNoConsent,
    /// Consent given, but no agreement.
    NoAgreement,
    /// An agreement, and consent withdrawn.
    Withdrawn,
    /// Another organisation's record, shared, and the actor is in the person's care team.
    CareTeam,
}

fn actor(role: Role, mfa: bool) -> Actor {
    Actor::User(UserActor {
        user_id: UserId(10),
        username: "u".into(),
        role,
        org_id: ACTOR_ORG,
        org_kind: OrgKind::MentalHealthTrust,
        mfa_satisfied: mfa,
        request_id: None,
    })
}

fn all_categories_agreement() -> Vec<SharingAgreement> {
    vec![SharingAgreement {
        id: 1,
        from_org_id: OTHER_ORG,
        to_org_id: ACTOR_ORG,
        categories: DataCategory::ALL.to_vec(),
        legal_basis: LegalBasis::DirectCare,
        review_date: NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
        status: AgreementStatus::Agreed,
        in_force_from: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
        in_force_until: None,
    }]
}

fn consent_all() -> Consent {
    Consent::Given {
        org_kinds: OrgKind::ALL.to_vec(),
        categories: DataCategory::ALL.to_vec(),
        until: None,
    }
}

fn decide_in(role: Role, action: Action, scope: Scope, break_glass: Option<&str>) -> Decision {
    let a = actor(role, true);
    let (owner, agreements, consent, relationship) = match scope {
        Scope::Own => (ACTOR_ORG, vec![], Consent::NotRecorded, Relationship::None),
        Scope::Shared => (
            OTHER_ORG,
            all_categories_agreement(),
            consent_all(),
            Relationship::None,
        ),
        Scope::AgreementNoConsent => (
            OTHER_ORG,
            all_categories_agreement(),
            Consent::NotRecorded,
            Relationship::None,
        ),
        Scope::NoAgreement => (OTHER_ORG, vec![], consent_all(), Relationship::None),
        Scope::Withdrawn => (
            OTHER_ORG,
            all_categories_agreement(),
            Consent::Withdrawn,
            Relationship::None,
        ),
        Scope::CareTeam => (
            OTHER_ORG,
            all_categories_agreement(),
            consent_all(),
            Relationship::CareTeam,
        ),
    };
    decide(&Request {
        actor: &a,
        action,
        owner_org: Some(owner),
        agreements: &agreements,
        consent: &consent,
        relationship,
        break_glass_reason: break_glass,
        today: NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
    })
}

fn letter(role: Role, action: Action, scope: Scope) -> char {
    let plain = decide_in(role, action, scope, None);
    let glass = decide_in(
        role,
        action,
        scope,
        Some("Person collapsed at the scene; need medication notes"),
    );
    match (&plain, &glass) {
        (
            Decision::Allow {
                break_glass: false, ..
            },
            _,
        ) => 'A',
        (
            Decision::Deny(_),
            Decision::Allow {
                break_glass: true, ..
            },
        ) => 'G',
        (Decision::Deny(_), Decision::Deny(_)) => 'D',
        other => panic!("unexpected pair {other:?} for {role:?} {action:?} {scope:?}"),
    }
}

/// The one check helper: the row for an action in a scope, one letter per role.
fn check(action: Action, scope: Scope, expect: &str) {
    let got: String = ROLES.iter().map(|r| letter(*r, action, scope)).collect();
    assert_eq!(
        got, expect,
        "{action:?} in scope {scope:?} (roles: R T C P An AC AM E PO Ad)"
    );
}

use DataCategory as C;
use Scope::*;

#[test]
fn view_identity() {
    check(Action::ViewPerson(C::Identity), Own, "AAAADDDDAA");
    check(Action::ViewPerson(C::Identity), Shared, "AAAADDDDDD");
    check(
        Action::ViewPerson(C::Identity),
        AgreementNoConsent,
        "AAAADDDDDD",
    );
    check(Action::ViewPerson(C::Identity), NoAgreement, "GGGGDDDDDD");
    check(Action::ViewPerson(C::Identity), Withdrawn, "AAAADDDDDD");
    check(Action::ViewPerson(C::Identity), CareTeam, "AAAADDDDDD");
}

#[test]
fn view_crisis_plan_summary() {
    check(Action::ViewPerson(C::CrisisPlanSummary), Own, "AAAADDDDDD");
    check(
        Action::ViewPerson(C::CrisisPlanSummary),
        Shared,
        "AAAADDDDDD",
    );
    check(
        Action::ViewPerson(C::CrisisPlanSummary),
        AgreementNoConsent,
        "GGGGDDDDDD",
    );
    check(
        Action::ViewPerson(C::CrisisPlanSummary),
        NoAgreement,
        "GGGGDDDDDD",
    );
    check(
        Action::ViewPerson(C::CrisisPlanSummary),
        Withdrawn,
        "GGGGDDDDDD",
    );
    check(
        Action::ViewPerson(C::CrisisPlanSummary),
        CareTeam,
        "AAAADDDDDD",
    );
}

#[test]
fn view_crisis_plan_clinical() {
    check(Action::ViewPerson(C::CrisisPlanClinical), Own, "DAAADDDDDD");
    check(
        Action::ViewPerson(C::CrisisPlanClinical),
        Shared,
        "DAAADDDDDD",
    );
    check(
        Action::ViewPerson(C::CrisisPlanClinical),
        AgreementNoConsent,
        "DGGGDDDDDD",
    );
    check(
        Action::ViewPerson(C::CrisisPlanClinical),
        NoAgreement,
        "DGGGDDDDDD",
    );
    check(
        Action::ViewPerson(C::CrisisPlanClinical),
        Withdrawn,
        "DGGGDDDDDD",
    );
    check(
        Action::ViewPerson(C::CrisisPlanClinical),
        CareTeam,
        "DAAADDDDDD",
    );
}

#[test]
fn view_crisis_plan_care_team() {
    for scope in [Own, Shared, AgreementNoConsent, NoAgreement, Withdrawn] {
        check(
            Action::ViewPerson(C::CrisisPlanCareTeam),
            scope,
            "DDGDDDDDDD",
        );
    }
    check(
        Action::ViewPerson(C::CrisisPlanCareTeam),
        CareTeam,
        "DDADDDDDDD",
    );
}

#[test]
fn view_incident_history_and_detentions() {
    for scope in [Own, Shared, AgreementNoConsent, Withdrawn, CareTeam] {
        check(Action::ViewPerson(C::IncidentHistory), scope, "DAADDDDDDD");
        check(Action::ViewPerson(C::DetentionRecord), scope, "DAAADDDDDD");
    }
    check(
        Action::ViewPerson(C::IncidentHistory),
        NoAgreement,
        "DGGDDDDDDD",
    );
    check(
        Action::ViewPerson(C::DetentionRecord),
        NoAgreement,
        "DGGGDDDDDD",
    );
}

#[test]
fn organisation_wide_actions() {
    for scope in [
        Own,
        Shared,
        AgreementNoConsent,
        NoAgreement,
        Withdrawn,
        CareTeam,
    ] {
        check(Action::SearchPeople, scope, "AAAADDDDAA");
        check(Action::ViewAudit, scope, "DDDDDDDDAD");
        check(Action::ReviewBreakGlass, scope, "DDDDDDDDAD");
        check(Action::ViewAggregates, scope, "AAAAAAAAAA");
        // Never police or other responders: support for people in repeated crisis is for care coordinators.
        check(Action::ViewRepeatContactList, scope, "DDADDDDDDD");
        // Partner organisations' contact people: administrators, alliance coordinators, privacy officers.
        check(Action::ViewOrganisationContacts, scope, "DDDDDADDAA");
    }
}

#[test]
fn organisation_contacts_need_mfa_and_a_role_that_runs_the_partnership() {
    let req = |role, mfa| {
        decide(&Request {
            actor: &actor(role, mfa),
            action: Action::ViewOrganisationContacts,
            owner_org: None,
            agreements: &[],
            consent: &Consent::NotRecorded,
            relationship: Relationship::None,
            break_glass_reason: None,
            today: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
        })
    };
    assert_eq!(
        req(Role::Administrator, false),
        Decision::Deny(DenyReason::MfaRequired)
    );
    assert!(req(Role::AllianceCoordinator, true).is_allowed());
    assert_eq!(
        req(Role::Responder, true),
        Decision::Deny(DenyReason::RoleNotPermitted)
    );
    assert!(may(Role::PrivacyOfficer, Action::ViewOrganisationContacts));
    assert!(!may(Role::AllianceMember, Action::ViewOrganisationContacts));
    assert!(!may(
        Role::ExpertByExperience,
        Action::ViewOrganisationContacts
    ));
}

#[test]
fn the_alliance_is_for_its_own_roles_and_managed_by_coordinators() {
    // Whatever the scope: alliance actions concern no person's record.
    for scope in [Own, Shared, NoAgreement] {
        check(Action::ViewAlliance, scope, "DDDDDAAADD");
        check(Action::ManageAlliance, scope, "DDDDDADDDD");
    }
    // No MFA for the alliance's roles (they see nobody's crisis records, and are never sent to enrol).
    let req = |role, action| {
        decide(&Request {
            actor: &actor(role, false),
            action,
            owner_org: None,
            agreements: &[],
            consent: &Consent::NotRecorded,
            relationship: Relationship::None,
            break_glass_reason: None,
            today: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
        })
    };
    assert!(req(Role::ExpertByExperience, Action::ViewAlliance).is_allowed());
    assert!(req(Role::AllianceCoordinator, Action::ManageAlliance).is_allowed());
    assert_eq!(
        req(Role::Administrator, Action::ManageAlliance),
        Decision::Deny(DenyReason::RoleNotPermitted)
    );
    assert_eq!(Action::ViewAlliance.code(), "alliance.view");
    assert_eq!(Action::ManageAlliance.code(), "alliance.manage");
}

#[test]
fn administrators_manage_their_own_organisation() {
    // The actor's organisation is a trust: an administrator there manages the trust's staff and record only.
    for action in [Action::ManageUsers, Action::ManageOrganisations] {
        check(action, Own, "DDDDDDDDDA");
        for scope in [Shared, AgreementNoConsent, NoAgreement, Withdrawn, CareTeam] {
            check(action, scope, "DDDDDDDDDD");
        }
    }
}

/// Who manages whose staff and organisation: (actor's organisation kind, role, target, expected).
/// Target: `own` the actor's organisation, `other` another, `none` no organisation (a new organisation,
/// an agreement, an account or invitation with no organisation yet).
#[test]
fn partnership_wide_administration_table() {
    use OrgKind::*;
    let rows: &[(OrgKind, Role, &str, bool, bool)] = &[
        // kind, role, target, may ManageUsers, may ManageOrganisations
        (MentalHealthTrust, Role::Administrator, "own", true, true),
        (
            MentalHealthTrust,
            Role::Administrator,
            "other",
            false,
            false,
        ),
        (MentalHealthTrust, Role::Administrator, "none", false, false),
        (PoliceForce, Role::Administrator, "own", true, true),
        (PoliceForce, Role::Administrator, "other", false, false),
        (Icb, Role::Administrator, "own", true, true),
        (Icb, Role::Administrator, "other", true, true),
        (Icb, Role::Administrator, "none", true, true),
        // Other roles at the ICB are not administrators anywhere.
        (Icb, Role::Analyst, "own", false, false),
        (Icb, Role::AllianceCoordinator, "other", false, false),
        (Icb, Role::PrivacyOfficer, "none", false, false),
        (MentalHealthTrust, Role::PrivacyOfficer, "own", false, false),
    ];
    for &(kind, role, target, users, orgs) in rows {
        let a = Actor::User(UserActor {
            user_id: UserId(10),
            username: "u".into(),
            role,
            org_id: ACTOR_ORG,
            org_kind: kind,
            mfa_satisfied: true,
            request_id: None,
        });
        let owner = match target {
            "own" => Some(ACTOR_ORG),
            "other" => Some(OTHER_ORG),
            _ => None,
        };
        for (action, want) in [
            (Action::ManageUsers, users),
            (Action::ManageOrganisations, orgs),
        ] {
            let d = decide(&Request {
                actor: &a,
                action,
                owner_org: owner,
                agreements: &[],
                consent: &Consent::NotRecorded,
                relationship: Relationship::None,
                break_glass_reason: None,
                today: NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
            });
            assert_eq!(
                d.is_allowed(),
                want,
                "{kind:?} {role:?} {target} {action:?}: {d:?}"
            );
            if !want && role == Role::Administrator {
                assert_eq!(d, Decision::Deny(DenyReason::NotPartnershipWide));
            }
        }
    }
}

#[test]
fn administration_needs_mfa() {
    let d = decide(&Request {
        actor: &actor(Role::Administrator, false),
        action: Action::ManageUsers,
        owner_org: Some(ACTOR_ORG),
        agreements: &[],
        consent: &Consent::NotRecorded,
        relationship: Relationship::None,
        break_glass_reason: None,
        today: NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
    });
    assert_eq!(d, Decision::Deny(DenyReason::MfaRequired));
}

#[test]
fn may_says_which_roles_could_ever_do_an_action() {
    for &role in &ROLES {
        assert_eq!(
            may(role, Action::ManageUsers),
            role == Role::Administrator,
            "{role:?}"
        );
        assert_eq!(
            may(role, Action::ManageOrganisations),
            role == Role::Administrator
        );
        assert_eq!(may(role, Action::ViewAudit), role == Role::PrivacyOfficer);
    }
    assert!(may(Role::Responder, Action::SearchPeople));
    assert!(!may(Role::Analyst, Action::SearchPeople));
}

#[test]
fn writes_stay_within_the_owning_organisation() {
    check(Action::CreatePerson, Own, "AAAADDDDDA");
    check(Action::EditPerson, Own, "AAAADDDDDA");
    for scope in [Shared, AgreementNoConsent, NoAgreement, Withdrawn, CareTeam] {
        check(Action::EditPerson, scope, "DDDDDDDDDD");
    }
}

#[test]
fn crisis_operations_records() {
    // Responders, triage and crisis clinicians write contacts; health keeps detention records.
    for scope in [Own, Shared, AgreementNoConsent, Withdrawn, CareTeam] {
        check(Action::RecordContact, scope, "AAADDDDDDD");
        check(Action::RecordDetention, scope, "DAAADDDDDD");
    }
    // No agreement sharing the records: deny, and writes never break glass.
    check(Action::RecordContact, NoAgreement, "DDDDDDDDDD");
    check(Action::RecordDetention, NoAgreement, "DDDDDDDDDD");
    for scope in [Own, Shared, NoAgreement] {
        check(Action::ExportReturns, scope, "DDDAAADDDD");
    }
}

#[test]
fn joining_a_partners_contact() {
    // A paramedic joins the police's contact: the roles that record contacts, wherever an agreement shares
    // incident records from the contact's organisation (consent plays no part: a contact is not a plan).
    for scope in [Own, Shared, AgreementNoConsent, Withdrawn, CareTeam] {
        check(Action::JoinContact, scope, "AAADDDDDDD");
    }
    // No agreement: nobody joins, and joining never breaks glass.
    check(Action::JoinContact, NoAgreement, "DDDDDDDDDD");
    // An agreement that shares identity but not incident records is not enough.
    let a = actor(Role::Responder, true);
    let identity_only = vec![SharingAgreement {
        categories: vec![DataCategory::Identity],
        ..all_categories_agreement().remove(0)
    }];
    let d = decide(&Request {
        actor: &a,
        action: Action::JoinContact,
        owner_org: Some(OTHER_ORG),
        agreements: &identity_only,
        consent: &Consent::NotRecorded,
        relationship: Relationship::None,
        break_glass_reason: None,
        today: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
    });
    assert_eq!(d, Decision::Deny(DenyReason::NoAgreement));
    // The web layer offers "Join this contact" only to the roles that may.
    assert!(may(Role::Responder, Action::JoinContact));
    assert!(!may(Role::PlaceOfSafetyCoordinator, Action::JoinContact));
}

#[test]
fn mfa_is_required_for_personal_data() {
    for role in ROLES {
        for action in [
            Action::ViewPerson(C::Identity),
            Action::SearchPeople,
            Action::CreatePerson,
            Action::RecordContact,
            Action::JoinContact,
            Action::RecordDetention,
            Action::ExportReturns,
            Action::ViewOrganisationContacts,
        ] {
            let d = decide(&Request {
                actor: &actor(role, false),
                action,
                owner_org: Some(ACTOR_ORG),
                agreements: &[],
                consent: &Consent::NotRecorded,
                relationship: Relationship::None,
                break_glass_reason: None,
                today: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            });
            assert!(!d.is_allowed(), "{role:?} {action:?} allowed without MFA");
        }
    }
}

fn consent_decision(consent: Consent, kind: OrgKind, today: (i32, u32, u32)) -> Decision {
    let a = Actor::User(UserActor {
        user_id: UserId(1),
        username: "pc".into(),
        role: Role::Responder,
        org_id: ACTOR_ORG,
        org_kind: kind,
        mfa_satisfied: true,
        request_id: None,
    });
    decide(&Request {
        actor: &a,
        action: Action::ViewPerson(C::CrisisPlanSummary),
        owner_org: Some(OTHER_ORG),
        agreements: &all_categories_agreement(),
        consent: &consent,
        relationship: Relationship::None,
        break_glass_reason: None,
        today: NaiveDate::from_ymd_opt(today.0, today.1, today.2).unwrap(),
    })
}

#[test]
fn consent_is_specific_to_organisation_kind_category_and_date() {
    let given = |kinds: Vec<OrgKind>, until| Consent::Given {
        org_kinds: kinds,
        categories: vec![C::CrisisPlanSummary],
        until,
    };
    let until = NaiveDate::from_ymd_opt(2026, 6, 30);
    let police = OrgKind::PoliceForce;
    let ambulance = OrgKind::AmbulanceService;
    // Allowed by the person's consent: consent is the basis recorded, not the agreement's.
    assert_eq!(
        consent_decision(given(vec![ambulance], until), ambulance, (2026, 6, 30)),
        Decision::Allow {
            basis: Basis::Consent,
            break_glass: false
        }
    );
    assert_eq!(
        consent_decision(given(vec![ambulance], until), police, (2026, 6, 1)),
        Decision::Deny(DenyReason::NoConsent)
    );
    assert_eq!(
        consent_decision(given(vec![ambulance], until), ambulance, (2026, 7, 1)),
        Decision::Deny(DenyReason::NoConsent)
    );
    assert_eq!(
        consent_decision(
            Consent::OtherBasis(LegalBasis::VitalInterests),
            police,
            (2026, 7, 1)
        ),
        Decision::Allow {
            basis: Basis::Recorded(LegalBasis::VitalInterests),
            break_glass: false
        }
    );
}

/// The legal basis an audit row records is the one the decision used: the agreement's for identity,
/// the person's consent or their recorded other basis for plan content, vital interests for break-glass.
#[test]
fn the_legal_basis_recorded_is_the_one_that_decided() {
    let given = Consent::Given {
        org_kinds: vec![OrgKind::PoliceForce],
        categories: vec![C::CrisisPlanSummary],
        until: None,
    };
    let vital = Consent::OtherBasis(LegalBasis::VitalInterests);
    let a = Actor::User(UserActor {
        user_id: UserId(1),
        username: "pc".into(),
        role: Role::Responder,
        org_id: ACTOR_ORG,
        org_kind: OrgKind::PoliceForce,
        mfa_satisfied: true,
        request_id: None,
    });
    let basis = |category: C, consent: &Consent, bg: Option<&str>| match decide(&Request {
        actor: &a,
        action: Action::ViewPerson(category),
        owner_org: Some(OTHER_ORG),
        agreements: &all_categories_agreement(),
        consent,
        relationship: Relationship::None,
        break_glass_reason: bg,
        today: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
    }) {
        Decision::Allow { basis, .. } => basis.legal_basis(),
        Decision::Deny(_) => None,
    };
    let agreement = all_categories_agreement()[0].legal_basis;
    // Identity flows on the agreement whatever the person decided about their plan.
    for c in [&given, &vital, &Consent::Withdrawn, &Consent::NotRecorded] {
        assert_eq!(basis(C::Identity, c, None), Some(agreement));
    }
    assert_eq!(
        basis(C::CrisisPlanSummary, &given, None),
        Some(LegalBasis::Consent)
    );
    assert_eq!(
        basis(C::CrisisPlanSummary, &vital, None),
        Some(LegalBasis::VitalInterests)
    );
    // Withdrawn: nothing flows on the agreement; break-glass records vital interests.
    assert_eq!(basis(C::CrisisPlanSummary, &Consent::Withdrawn, None), None);
    assert_eq!(
        basis(
            C::CrisisPlanSummary,
            &Consent::Withdrawn,
            Some("Found unresponsive on the bridge")
        ),
        Some(LegalBasis::VitalInterests)
    );
}

#[test]
fn break_glass_needs_a_real_reason() {
    let d = decide_in(
        Role::Responder,
        Action::ViewPerson(C::CrisisPlanSummary),
        NoAgreement,
        Some("  because "),
    );
    assert_eq!(d, Decision::Deny(DenyReason::BreakGlassReasonTooShort));
    let d = decide_in(
        Role::Responder,
        Action::ViewPerson(C::CrisisPlanSummary),
        NoAgreement,
        Some("Unresponsive, need plan"),
    );
    assert_eq!(
        d,
        Decision::Allow {
            basis: Basis::BreakGlass,
            break_glass: true
        }
    );
    assert_eq!(
        Basis::BreakGlass.legal_basis(),
        Some(LegalBasis::VitalInterests)
    );
}

/// An agreement resting on consent holds only for people whose consent covers the flow: identity
/// then rests on that consent (or the other basis their record names); without it, identity is
/// refused (break-glass may still show it), never recorded as "consent".
#[test]
fn an_agreement_resting_on_consent_needs_the_persons_consent_even_for_identity() {
    let mut agreements = all_categories_agreement();
    agreements[0].legal_basis = LegalBasis::Consent;
    let a = Actor::User(UserActor {
        user_id: UserId(1),
        username: "pc".into(),
        role: Role::Responder,
        org_id: ACTOR_ORG,
        org_kind: OrgKind::PoliceForce,
        mfa_satisfied: true,
        request_id: None,
    });
    let decide_identity = |consent: &Consent, bg: Option<&str>| {
        decide(&Request {
            actor: &a,
            action: Action::ViewPerson(C::Identity),
            owner_org: Some(OTHER_ORG),
            agreements: &agreements,
            consent,
            relationship: Relationship::None,
            break_glass_reason: bg,
            today: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
        })
    };
    let given = |kind: OrgKind| Consent::Given {
        org_kinds: vec![kind],
        categories: vec![C::CrisisPlanSummary],
        until: None,
    };
    let allow = |basis| Decision::Allow {
        basis,
        break_glass: false,
    };
    assert_eq!(
        decide_identity(&given(OrgKind::PoliceForce), None),
        allow(Basis::Consent)
    );
    assert_eq!(
        decide_identity(&Consent::OtherBasis(LegalBasis::VitalInterests), None),
        allow(Basis::Recorded(LegalBasis::VitalInterests))
    );
    assert_eq!(
        decide_identity(&Consent::Withdrawn, None),
        Decision::Deny(DenyReason::ConsentWithdrawn)
    );
    assert_eq!(
        decide_identity(&Consent::NotRecorded, None),
        Decision::Deny(DenyReason::NoConsent)
    );
    assert_eq!(
        decide_identity(&given(OrgKind::AmbulanceService), None),
        Decision::Deny(DenyReason::NoConsent)
    );
    assert_eq!(
        decide_identity(&Consent::Withdrawn, Some("Unresponsive, need to know who")),
        Decision::Allow {
            basis: Basis::BreakGlass,
            break_glass: true
        }
    );
    // A second agreement on another basis still carries identity, on its own basis.
    let mut both = agreements.clone();
    both.push(SharingAgreement {
        legal_basis: LegalBasis::LawEnforcement,
        ..all_categories_agreement()[0].clone()
    });
    let d = decide(&Request {
        actor: &a,
        action: Action::ViewPerson(C::Identity),
        owner_org: Some(OTHER_ORG),
        agreements: &both,
        consent: &Consent::Withdrawn,
        relationship: Relationship::None,
        break_glass_reason: None,
        today: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
    });
    assert_eq!(d, allow(Basis::Agreement(LegalBasis::LawEnforcement)));
}

#[test]
fn system_actor_is_allowed_and_says_so() {
    let d = decide(&Request {
        actor: &Actor::system("migrate"),
        action: Action::ManageUsers,
        owner_org: None,
        agreements: &[],
        consent: &Consent::NotRecorded,
        relationship: Relationship::None,
        break_glass_reason: None,
        today: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
    });
    assert_eq!(
        d,
        Decision::Allow {
            basis: Basis::System,
            break_glass: false
        }
    );
}

#[test]
fn agreements_are_drafted_by_administrators_and_signed_by_privacy_officers() {
    // Own: the actor's organisation is a party; the other scopes name another organisation.
    check(Action::ManageAgreements, Own, "DDDDDDDDDA");
    check(Action::SignAgreement, Own, "DDDDDDDDAD");
    for scope in [Shared, AgreementNoConsent, NoAgreement, Withdrawn, CareTeam] {
        check(Action::ManageAgreements, scope, "DDDDDDDDDD");
        check(Action::SignAgreement, scope, "DDDDDDDDDD");
    }
    assert!(may(Role::Administrator, Action::ManageAgreements));
    assert!(may(Role::PrivacyOfficer, Action::SignAgreement));
    assert!(!may(Role::Administrator, Action::SignAgreement));
}

/// Who drafts and who signs for which party: (actor's organisation kind, role, target, mfa, may
/// ManageAgreements, may SignAgreement). A partnership-wide administrator drafts for any party, but
/// nobody signs for an organisation other than their own.
#[test]
fn agreement_workflow_table() {
    use OrgKind::*;
    let rows: &[(OrgKind, Role, &str, bool, bool, bool)] = &[
        (
            MentalHealthTrust,
            Role::Administrator,
            "own",
            true,
            true,
            false,
        ),
        (
            MentalHealthTrust,
            Role::Administrator,
            "other",
            true,
            false,
            false,
        ),
        (Icb, Role::Administrator, "other", true, true, false),
        (
            MentalHealthTrust,
            Role::PrivacyOfficer,
            "own",
            true,
            false,
            true,
        ),
        (
            MentalHealthTrust,
            Role::PrivacyOfficer,
            "other",
            true,
            false,
            false,
        ),
        (Icb, Role::PrivacyOfficer, "other", true, false, false),
        (
            MentalHealthTrust,
            Role::PrivacyOfficer,
            "own",
            false,
            false,
            false,
        ),
        (
            MentalHealthTrust,
            Role::Administrator,
            "own",
            false,
            false,
            false,
        ),
        (PoliceForce, Role::Responder, "own", true, false, false),
    ];
    for &(kind, role, target, mfa, manage, sign) in rows {
        let a = Actor::User(UserActor {
            user_id: UserId(10),
            username: "u".into(),
            role,
            org_id: ACTOR_ORG,
            org_kind: kind,
            mfa_satisfied: mfa,
            request_id: None,
        });
        let owner = if target == "own" {
            ACTOR_ORG
        } else {
            OTHER_ORG
        };
        for (action, want) in [
            (Action::ManageAgreements, manage),
            (Action::SignAgreement, sign),
        ] {
            let d = decide(&Request {
                actor: &a,
                action,
                owner_org: Some(owner),
                agreements: &[],
                consent: &Consent::NotRecorded,
                relationship: Relationship::None,
                break_glass_reason: None,
                today: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
            });
            assert_eq!(
                d.is_allowed(),
                want,
                "{kind:?} {role:?} {target} mfa={mfa} {action:?}: {d:?}"
            );
        }
    }
}

/// The policy honours an agreement only when every party has agreed it and the day is inside its dates.
#[test]
fn only_agreed_agreements_in_force_on_the_day_let_data_flow() {
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let base = SharingAgreement {
        status: AgreementStatus::Agreed,
        in_force_from: day(2026, 12, 1),
        in_force_until: Some(day(2026, 12, 31)),
        ..all_categories_agreement()[0].clone()
    };
    let a = actor(Role::TriageClinician, true);
    let decide_on = |ag: &SharingAgreement, today| {
        decide(&Request {
            actor: &a,
            action: Action::ViewPerson(DataCategory::Identity),
            owner_org: Some(OTHER_ORG),
            agreements: std::slice::from_ref(ag),
            consent: &Consent::NotRecorded,
            relationship: Relationship::None,
            break_glass_reason: None,
            today,
        })
    };
    let rows: &[(AgreementStatus, NaiveDate, bool)] = &[
        (AgreementStatus::Agreed, day(2026, 12, 1), true),
        (AgreementStatus::Agreed, day(2026, 12, 31), true),
        (AgreementStatus::Agreed, day(2026, 11, 30), false),
        (AgreementStatus::Agreed, day(2027, 1, 1), false),
        (AgreementStatus::Draft, day(2026, 12, 15), false),
        (AgreementStatus::Withdrawn, day(2026, 12, 15), false),
        (AgreementStatus::Ended, day(2026, 12, 15), false),
    ];
    for &(status, today, allowed) in rows {
        let ag = SharingAgreement {
            status,
            ..base.clone()
        };
        let d = decide_on(&ag, today);
        assert_eq!(d.is_allowed(), allowed, "{status:?} on {today}: {d:?}");
        if !allowed {
            assert_eq!(d, Decision::Deny(DenyReason::NoAgreement));
        }
    }
    // No end date: in force from its first day onwards.
    let open = SharingAgreement {
        in_force_until: None,
        ..base.clone()
    };
    assert!(decide_on(&open, day(2040, 1, 1)).is_allowed());
}

#[test]
fn care_teams_are_managed_by_the_holding_organisations_clinicians_and_administrators() {
    // Own: the person's record is held by the actor's organisation.
    check(Action::ManageCareTeam, Own, "DAADDDDDDA");
    // Another organisation's person: refused whatever the agreement, consent or care-team relationship,
    // and never by break-glass.
    for scope in [Shared, AgreementNoConsent, NoAgreement, Withdrawn, CareTeam] {
        check(Action::ManageCareTeam, scope, "DDDDDDDDDD");
    }
    assert_eq!(
        decide_in(Role::CrisisClinician, Action::ManageCareTeam, Shared, None),
        Decision::Deny(DenyReason::OtherOrganisationsRecord)
    );
    assert_eq!(
        decide_in(Role::Responder, Action::ManageCareTeam, Own, None),
        Decision::Deny(DenyReason::RoleNotPermitted)
    );
    // Multi-factor authentication first: it names clinicians and people.
    let a = actor(Role::TriageClinician, false);
    let d = decide(&Request {
        actor: &a,
        action: Action::ManageCareTeam,
        owner_org: Some(ACTOR_ORG),
        agreements: &[],
        consent: &Consent::NotRecorded,
        relationship: Relationship::None,
        break_glass_reason: None,
        today: NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
    });
    assert_eq!(d, Decision::Deny(DenyReason::MfaRequired));
    // No owning organisation named: deny by default.
    let a = actor(Role::Administrator, true);
    let d = decide(&Request {
        actor: &a,
        action: Action::ManageCareTeam,
        owner_org: None,
        agreements: &[],
        consent: &Consent::NotRecorded,
        relationship: Relationship::None,
        break_glass_reason: None,
        today: NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
    });
    assert_eq!(d, Decision::Deny(DenyReason::OtherOrganisationsRecord));
    assert!(may(Role::CrisisClinician, Action::ManageCareTeam));
    assert!(may(Role::Administrator, Action::ManageCareTeam));
    assert!(!may(Role::PrivacyOfficer, Action::ManageCareTeam));
}
