//! Crisis plans and the person's consent to share them: the records, and the pure rules that decide
//! which sections reach whom. The access decision itself stays in [`crate::policy::decide`]; this module
//! turns a section-level consent into the policy's category-level [`Consent`] for one section at a time,
//! and adds the one rule the policy does not have: who may write a plan.

use crate::model::{OrgId, PersonId};
use crate::org::coded_enum;
use crate::policy::Consent;
use crate::{DataCategory, LegalBasis, OrgKind, Role};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;

coded_enum!(
    /// The sections of a crisis plan (domain.md), in the order a responder at 2am needs them.
    SectionKind {
        WhatHelps => ("what_helps", "What helps"),
        WhoToContact => ("who_to_contact", "Who to contact (and who not)"),
        WhatDoesNotHelp => ("what_does_not_help", "What does not help"),
        WhatCrisisLooksLike => ("what_crisis_looks_like", "What a crisis looks like for me"),
        EarlySignsAndTriggers => ("early_signs_and_triggers", "Early signs and triggers"),
        PracticalNeeds => ("practical_needs", "Practical needs (children, pets, keys)"),
        MedicationAndPhysicalHealth => ("medication_and_physical_health", "Medication and physical health"),
        AdvanceStatement => ("advance_statement", "Advance statement"),
    }
);

coded_enum!(
    /// Who a section is shared with.
    SharingLevel {
        AllResponders => ("all_responders", "All responders"),
        CliniciansOnly => ("clinicians_only", "Clinicians only"),
        CareTeam => ("care_team", "The person's care team"),
    }
);

impl SharingLevel {
    /// The data category (in sharing agreements and the policy) that covers sections at this level.
    pub fn category(self) -> DataCategory {
        match self {
            SharingLevel::AllResponders => DataCategory::CrisisPlanSummary,
            SharingLevel::CliniciansOnly => DataCategory::CrisisPlanClinical,
            SharingLevel::CareTeam => DataCategory::CrisisPlanCareTeam,
        }
    }
}

coded_enum!(
    /// The parts of a plan that are not sections but are decided like one: the person's own words, and
    /// who took part in writing the plan (often third parties, such as a relative, by name).
    /// The person's consent names them beside the sections (their codes share the consent's list).
    PlanPart {
        OwnWords => ("own_words", "In my own words"),
        Participants => ("participants", "Who took part in writing the plan"),
    }
);

impl PlanPart {
    /// Who the part is shared with: the person's own words are written for every responder;
    /// the names of the people who took part (third parties) reach clinicians only.
    pub fn sharing(self) -> SharingLevel {
        match self {
            PlanPart::OwnWords => SharingLevel::AllResponders,
            PlanPart::Participants => SharingLevel::CliniciansOnly,
        }
    }
}

coded_enum!(
    /// The person's decision about sharing, as recorded.
    ConsentStatus {
        NotRecorded => ("not_recorded", "Not recorded"),
        Given => ("given", "Consent given"),
        Withdrawn => ("withdrawn", "Consent withdrawn"),
        OtherBasis => ("other_basis", "Shared under another legal basis"),
    }
);

/// One section of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSection {
    pub kind: SectionKind,
    pub text: String,
    pub sharing: SharingLevel,
}

/// A crisis plan as written (the current version, or a stored earlier one).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrisisPlan {
    pub id: i64,
    pub person_id: PersonId,
    pub owner_org_id: OrgId,
    /// Bumped on every save; every version is kept.
    pub version: i64,
    pub coproduced: bool,
    /// Who took part, in plain words.
    pub participants: String,
    /// The person's own words, where they wanted them included.
    pub own_words: Option<String>,
    pub last_reviewed_on: NaiveDate,
    pub review_due: NaiveDate,
    pub updated_by: String,
    /// Milliseconds since the epoch.
    pub updated_at: i64,
    /// In [`SectionKind::ALL`] order.
    pub sections: Vec<PlanSection>,
}

impl fmt::Debug for CrisisPlan {
    /// Ids and version only: plan text must not reach logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CrisisPlan({} person {} v{})",
            self.id, self.person_id, self.version
        )
    }
}

impl CrisisPlan {
    pub fn section(&self, kind: SectionKind) -> Option<&PlanSection> {
        self.sections.iter().find(|s| s.kind == kind)
    }
}

/// The person's decision about sharing their plan beyond the organisation that holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanConsent {
    pub person_id: PersonId,
    pub status: ConsentStatus,
    /// For `OtherBasis`: the basis recorded (e.g. vital interests), with a note.
    pub other_basis: Option<LegalBasis>,
    pub basis_note: Option<String>,
    /// Kinds of organisation the person agreed may see the plan.
    pub org_kinds: Vec<OrgKind>,
    /// Sections the person agreed to share.
    pub sections: Vec<SectionKind>,
    /// Other parts of the plan the person agreed to share (their own words, who took part).
    #[serde(default)]
    pub parts: Vec<PlanPart>,
    /// The last day consent applies, if the person set one.
    pub valid_until: Option<NaiveDate>,
    pub recorded_by: String,
    /// Milliseconds since the epoch.
    pub recorded_at: i64,
    /// Optimistic-locking version of this decision.
    pub version: i64,
}

impl PlanConsent {
    /// What the policy sees for the person's record as a whole (identity flows on agreements alone;
    /// the categories are those of every section the person agreed to share).
    pub fn policy_consent(&self, plan: Option<&CrisisPlan>) -> Consent {
        match self.status {
            ConsentStatus::NotRecorded => Consent::NotRecorded,
            ConsentStatus::Withdrawn => Consent::Withdrawn,
            ConsentStatus::OtherBasis => {
                Consent::OtherBasis(self.other_basis.unwrap_or(LegalBasis::DirectCare))
            }
            ConsentStatus::Given => {
                let mut categories: Vec<DataCategory> = plan
                    .map(|p| {
                        p.sections
                            .iter()
                            .filter(|s| self.sections.contains(&s.kind))
                            .map(|s| s.sharing.category())
                            .collect()
                    })
                    .unwrap_or_default();
                categories.sort();
                categories.dedup();
                Consent::Given {
                    org_kinds: self.org_kinds.clone(),
                    categories,
                    until: self.valid_until,
                }
            }
        }
    }
}

/// The policy's view of consent for one section: the person's consent narrowed to this section,
/// so that a section they did not agree to share is refused even when its category is shared for others.
pub fn consent_for_section(consent: Option<&PlanConsent>, section: &PlanSection) -> Consent {
    narrowed(
        consent,
        consent.is_some_and(|c| c.sections.contains(&section.kind)),
        section.sharing.category(),
    )
}

/// The policy's view of consent for one part of a plan (own words, participants), narrowed like a section.
pub fn consent_for_part(consent: Option<&PlanConsent>, part: PlanPart) -> Consent {
    narrowed(
        consent,
        consent.is_some_and(|c| c.parts.contains(&part)),
        part.sharing().category(),
    )
}

fn narrowed(consent: Option<&PlanConsent>, agreed: bool, category: DataCategory) -> Consent {
    let Some(c) = consent else {
        return Consent::NotRecorded;
    };
    match c.status {
        ConsentStatus::NotRecorded => Consent::NotRecorded,
        ConsentStatus::Withdrawn => Consent::Withdrawn,
        ConsentStatus::OtherBasis => {
            Consent::OtherBasis(c.other_basis.unwrap_or(LegalBasis::VitalInterests))
        }
        ConsentStatus::Given => Consent::Given {
            org_kinds: c.org_kinds.clone(),
            categories: if agreed { vec![category] } else { Vec::new() },
            until: c.valid_until,
        },
    }
}

/// Who may write or change a crisis plan (on top of the policy's `EditPerson`, which settles
/// organisation and MFA): clinicians who plan care with the person. Responders, coordinators and
/// administrators may read what is shared but never write a plan.
pub fn may_write_plan(role: Role) -> bool {
    matches!(role, Role::CrisisClinician | Role::TriageClinician)
}

/// Thresholds for the repeated-contact support list. Defaults: NHS High Intensity Use
/// (more than 5 in a month or more than 20 in a year).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepeatThresholds {
    /// More than this many contacts in any 30 days ending today.
    pub per_month: i64,
    /// More than this many contacts in the 365 days ending today.
    pub per_year: i64,
}

impl Default for RepeatThresholds {
    fn default() -> Self {
        Self {
            per_month: 5,
            per_year: 20,
        }
    }
}

impl RepeatThresholds {
    /// Whether counts in the last 30 and 365 days meet the support threshold.
    pub fn met(self, last_30_days: i64, last_365_days: i64) -> bool {
        last_30_days > self.per_month || last_365_days > self.per_year
    }
}

/// Parses a comma-separated list of codes, keeping the unknown ones for a field message.
pub fn parse_codes<T>(s: &str, from: impl Fn(&str) -> Option<T>) -> (Vec<T>, Vec<String>) {
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for c in s.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        match from(c) {
            Some(v) => ok.push(v),
            None => bad.push(c.to_string()),
        }
    }
    (ok, bad)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::{SharingAgreement, UserId};
    use crate::policy::{Actor, Decision, Relationship, Request, UserActor, decide};

    const OWNER: OrgId = OrgId(1);
    const POLICE: OrgId = OrgId(2);
    const AMBULANCE: OrgId = OrgId(3);

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
    }

    fn actor(role: Role, org: OrgId, kind: OrgKind) -> Actor {
        Actor::User(UserActor {
            user_id: UserId(7),
            username: "u".into(),
            role,
            org_id: org,
            org_kind: kind,
            mfa_satisfied: true,
            request_id: None,
        })
    }

    fn agreements() -> Vec<SharingAgreement> {
        [POLICE, AMBULANCE]
            .iter()
            .map(|to| SharingAgreement {
                id: to.0,
                from_org_id: OWNER,
                to_org_id: *to,
                categories: DataCategory::ALL.to_vec(),
                legal_basis: LegalBasis::DirectCare,
                review_date: today(),
                status: crate::model::AgreementStatus::Agreed,
                in_force_from: NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
                in_force_until: None,
            })
            .collect()
    }

    fn consent(status: ConsentStatus, kinds: &[OrgKind], until: Option<NaiveDate>) -> PlanConsent {
        PlanConsent {
            person_id: PersonId(1),
            status,
            other_basis: (status == ConsentStatus::OtherBasis)
                .then_some(LegalBasis::VitalInterests),
            basis_note: None,
            org_kinds: kinds.to_vec(),
            // The person agreed to share everything except their advance statement.
            sections: SectionKind::ALL
                .iter()
                .copied()
                .filter(|k| *k != SectionKind::AdvanceStatement)
                .collect(),
            parts: vec![PlanPart::OwnWords],
            valid_until: until,
            recorded_by: "c".into(),
            recorded_at: 0,
            version: 1,
        }
    }

    fn shown(
        who: &Actor,
        section: &PlanSection,
        c: Option<&PlanConsent>,
        rel: Relationship,
    ) -> bool {
        let consent = consent_for_section(c, section);
        let agreements = agreements();
        decide(&Request {
            actor: who,
            action: crate::policy::Action::ViewPerson(section.sharing.category()),
            owner_org: Some(OWNER),
            agreements: &agreements,
            consent: &consent,
            relationship: rel,
            break_glass_reason: None,
            today: today(),
        })
        .is_allowed()
    }

    fn sec(kind: SectionKind, sharing: SharingLevel) -> PlanSection {
        PlanSection {
            kind,
            text: "t".into(),
            sharing,
        }
    }

    /// Each row: who, consent, relationship, then whether an all-responders / clinicians-only /
    /// care-team / unconsented (advance statement, all responders) section is shown.
    #[test]
    #[allow(clippy::type_complexity)] // one table row per case reads best as a tuple
    fn section_visibility_by_role_org_kind_and_consent() {
        use ConsentStatus::*;
        use OrgKind::*;
        use Role::*;
        let until_past = NaiveDate::from_ymd_opt(2026, 5, 31);
        let rows: Vec<(
            Role,
            OrgId,
            OrgKind,
            Option<PlanConsent>,
            Relationship,
            [bool; 4],
        )> = vec![
            // Police responder, consent to police: only the all-responders sections the person agreed to.
            (
                Responder,
                POLICE,
                PoliceForce,
                Some(consent(Given, &[PoliceForce], None)),
                Relationship::None,
                [true, false, false, false],
            ),
            // Police responder, consent only to the ambulance service: nothing.
            (
                Responder,
                POLICE,
                PoliceForce,
                Some(consent(Given, &[AmbulanceService], None)),
                Relationship::None,
                [false, false, false, false],
            ),
            // Paramedic with consent: same as the police responder (role decides clinical sections).
            (
                Responder,
                AMBULANCE,
                AmbulanceService,
                Some(consent(Given, &[AmbulanceService], None)),
                Relationship::None,
                [true, false, false, false],
            ),
            // Triage clinician in the ambulance service: clinical sections too.
            (
                TriageClinician,
                AMBULANCE,
                AmbulanceService,
                Some(consent(Given, &[AmbulanceService], None)),
                Relationship::None,
                [true, true, false, false],
            ),
            // Consent withdrawn: nothing beyond the holding organisation.
            (
                TriageClinician,
                AMBULANCE,
                AmbulanceService,
                Some(consent(Withdrawn, &[AmbulanceService], None)),
                Relationship::None,
                [false, false, false, false],
            ),
            // Consent lapsed yesterday: nothing.
            (
                Responder,
                POLICE,
                PoliceForce,
                Some(consent(Given, &[PoliceForce], until_past)),
                Relationship::None,
                [false, false, false, false],
            ),
            // No consent recorded: nothing.
            (
                Responder,
                POLICE,
                PoliceForce,
                None,
                Relationship::None,
                [false, false, false, false],
            ),
            // Another legal basis: every section the role may see, the unconsented one too.
            (
                Responder,
                POLICE,
                PoliceForce,
                Some(consent(OtherBasis, &[], None)),
                Relationship::None,
                [true, false, false, true],
            ),
            // The holding organisation's crisis clinician, not in the care team.
            (
                CrisisClinician,
                OWNER,
                MentalHealthTrust,
                None,
                Relationship::None,
                [true, true, false, true],
            ),
            // The holding organisation's crisis clinician in the care team: everything.
            (
                CrisisClinician,
                OWNER,
                MentalHealthTrust,
                Some(consent(Withdrawn, &[], None)),
                Relationship::CareTeam,
                [true, true, true, true],
            ),
            // A police responder can never see care-team or clinical sections, even in a care team.
            (
                Responder,
                POLICE,
                PoliceForce,
                Some(consent(Given, &[PoliceForce], None)),
                Relationship::CareTeam,
                [true, false, false, false],
            ),
            // Analysts see no one's plan.
            (
                Analyst,
                OWNER,
                MentalHealthTrust,
                None,
                Relationship::None,
                [false, false, false, false],
            ),
            // Privacy officers and administrators: identity only.
            (
                PrivacyOfficer,
                OWNER,
                MentalHealthTrust,
                None,
                Relationship::None,
                [false, false, false, false],
            ),
            (
                Administrator,
                OWNER,
                MentalHealthTrust,
                None,
                Relationship::None,
                [false, false, false, false],
            ),
        ];
        let sections = [
            sec(SectionKind::WhatHelps, SharingLevel::AllResponders),
            sec(
                SectionKind::MedicationAndPhysicalHealth,
                SharingLevel::CliniciansOnly,
            ),
            sec(SectionKind::PracticalNeeds, SharingLevel::CareTeam),
            sec(SectionKind::AdvanceStatement, SharingLevel::AllResponders),
        ];
        for (i, (role, org, kind, c, rel, want)) in rows.iter().enumerate() {
            let who = actor(*role, *org, *kind);
            let got: Vec<bool> = sections
                .iter()
                .map(|s| shown(&who, s, c.as_ref(), *rel))
                .collect();
            assert_eq!(got, want.to_vec(), "row {i}: {role:?} at {kind:?}");
        }
    }

    fn part_shown(who: &Actor, part: PlanPart, c: Option<&PlanConsent>) -> bool {
        let consent = consent_for_part(c, part);
        let agreements = agreements();
        decide(&Request {
            actor: who,
            action: crate::policy::Action::ViewPerson(part.sharing().category()),
            owner_org: Some(OWNER),
            agreements: &agreements,
            consent: &consent,
            relationship: Relationship::None,
            break_glass_reason: None,
            today: today(),
        })
        .is_allowed()
    }

    /// Own words and participants are decided like sections: the person's choice, the role and the
    /// organisation; participants (third parties) reach clinicians only.
    #[test]
    fn own_words_and_participants_follow_the_persons_choice() {
        use ConsentStatus::*;
        let police = actor(Role::Responder, POLICE, OrgKind::PoliceForce);
        let triage = actor(Role::TriageClinician, AMBULANCE, OrgKind::AmbulanceService);
        let own = actor(Role::Responder, OWNER, OrgKind::MentalHealthTrust);
        let kinds = [OrgKind::PoliceForce, OrgKind::AmbulanceService];
        let mut both = consent(Given, &kinds, None);
        both.parts = vec![PlanPart::OwnWords, PlanPart::Participants];
        let mut none = consent(Given, &kinds, None);
        none.parts = Vec::new();
        let withdrawn = consent(Withdrawn, &kinds, None);
        let other = consent(OtherBasis, &[], None);
        // (who, consent, own words shown, participants shown)
        let rows: [(&Actor, Option<&PlanConsent>, bool, bool); 10] = [
            (&police, Some(&both), true, false),
            (&triage, Some(&both), true, true),
            (&police, Some(&none), false, false),
            (&triage, Some(&none), false, false),
            (&police, Some(&withdrawn), false, false),
            (&triage, Some(&withdrawn), false, false),
            (&police, None, false, false),
            (&police, Some(&other), true, false),
            (&triage, Some(&other), true, true),
            // The holding organisation's own responder: own words, not third parties' names.
            (&own, Some(&withdrawn), true, false),
        ];
        for (i, (who, c, words, people)) in rows.into_iter().enumerate() {
            assert_eq!(part_shown(who, PlanPart::OwnWords, c), words, "row {i}");
            assert_eq!(
                part_shown(who, PlanPart::Participants, c),
                people,
                "row {i}"
            );
        }
        for p in PlanPart::ALL {
            assert_eq!(PlanPart::from_code(p.code()), Some(*p));
            assert!(
                SectionKind::from_code(p.code()).is_none(),
                "codes never clash"
            );
        }
    }

    #[test]
    fn only_clinicians_who_plan_care_may_write_plans() {
        let rows = [
            (Role::Responder, false),
            (Role::TriageClinician, true),
            (Role::CrisisClinician, true),
            (Role::PlaceOfSafetyCoordinator, false),
            (Role::Analyst, false),
            (Role::AllianceCoordinator, false),
            (Role::AllianceMember, false),
            (Role::ExpertByExperience, false),
            (Role::PrivacyOfficer, false),
            (Role::Administrator, false),
        ];
        assert_eq!(rows.len(), Role::ALL.len());
        for (role, want) in rows {
            assert_eq!(may_write_plan(role), want, "{role:?}");
        }
    }

    #[test]
    fn break_glass_overrides_withdrawn_consent_with_a_reason() {
        let who = actor(Role::Responder, POLICE, OrgKind::PoliceForce);
        let c = consent(ConsentStatus::Withdrawn, &[OrgKind::PoliceForce], None);
        let s = sec(SectionKind::WhatHelps, SharingLevel::AllResponders);
        let consent = consent_for_section(Some(&c), &s);
        let agreements = agreements();
        let mut req = Request {
            actor: &who,
            action: crate::policy::Action::ViewPerson(DataCategory::CrisisPlanSummary),
            owner_org: Some(OWNER),
            agreements: &agreements,
            consent: &consent,
            relationship: Relationship::None,
            break_glass_reason: None,
            today: today(),
        };
        assert!(!decide(&req).is_allowed());
        req.break_glass_reason = Some("collapsed in the street, unresponsive");
        assert!(matches!(
            decide(&req),
            Decision::Allow {
                break_glass: true,
                ..
            }
        ));
    }

    #[test]
    fn repeat_thresholds_are_strictly_more_than() {
        let t = RepeatThresholds::default();
        for (m, y, want) in [
            (5, 20, false),
            (6, 6, true),
            (0, 21, true),
            (5, 21, true),
            (0, 0, false),
        ] {
            assert_eq!(t.met(m, y), want, "{m} {y}");
        }
    }

    #[test]
    fn codes_round_trip_and_unknown_codes_are_kept() {
        for k in SectionKind::ALL {
            assert_eq!(SectionKind::from_code(k.code()), Some(*k));
        }
        let (ok, bad) = parse_codes("what_helps, nonsense,", SectionKind::from_code);
        assert_eq!(ok, vec![SectionKind::WhatHelps]);
        assert_eq!(bad, vec!["nonsense".to_string()]);
    }
}
