//! Organisations, roles and the categories of personal data that flow between them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Declares a closed enum with a stable snake_case code (stored in the database and used in URLs and CSV)
/// and a plain-English label (shown to people).
macro_rules! coded_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => ($code:literal, $label:literal)),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable code stored in the database.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// The plain-English label shown to people.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            /// Parses a stable code.
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}
#[allow(unused_imports)] // used by sibling modules (e.g. `mha`) for their own coded enums
pub(crate) use coded_enum;

coded_enum!(
    /// The kinds of organisation in a local mental health partnership.
    OrgKind {
        MentalHealthTrust => ("mental_health_trust", "NHS mental health trust"),
        Icb => ("icb", "Integrated care board"),
        AcuteTrust => ("acute_trust", "Acute trust / emergency department"),
        AmbulanceService => ("ambulance_service", "Ambulance service"),
        PoliceForce => ("police_force", "Police force"),
        FireAndRescue => ("fire_and_rescue", "Fire and rescue service"),
        LocalAuthority => ("local_authority", "Local authority"),
        Housing => ("housing", "Housing provider"),
        Vcse => ("vcse", "Voluntary, community or social enterprise"),
        Other => ("other", "Other"),
    }
);

impl OrgKind {
    /// Emergency services whose staff respond at the scene.
    pub fn is_emergency_service(self) -> bool {
        matches!(
            self,
            OrgKind::PoliceForce | OrgKind::AmbulanceService | OrgKind::FireAndRescue
        )
    }

    /// NHS and council bodies that provide clinical or statutory care.
    pub fn is_health_or_care(self) -> bool {
        matches!(
            self,
            OrgKind::MentalHealthTrust
                | OrgKind::AcuteTrust
                | OrgKind::Icb
                | OrgKind::LocalAuthority
        )
    }
}

coded_enum!(
    /// What a member of staff does for their organisation. A user may hold several memberships.
    Role {
        Responder => ("responder", "Responder (police, ambulance or fire at the scene)"),
        TriageClinician => ("triage_clinician", "Triage clinician"),
        CrisisClinician => ("crisis_clinician", "Crisis or community clinician"),
        PlaceOfSafetyCoordinator => ("pos_coordinator", "Place-of-safety coordinator"),
        Analyst => ("analyst", "Analyst"),
        AllianceCoordinator => ("alliance_coordinator", "Alliance coordinator"),
        AllianceMember => ("alliance_member", "Alliance member"),
        ExpertByExperience => ("expert_by_experience", "Expert by experience"),
        PrivacyOfficer => ("privacy_officer", "Privacy officer"),
        Administrator => ("administrator", "Administrator"),
    }
);

impl Role {
    /// Roles that can ever see an identified person's data; these must use multi-factor authentication.
    pub fn sees_personal_data(self) -> bool {
        matches!(
            self,
            Role::Responder
                | Role::TriageClinician
                | Role::CrisisClinician
                | Role::PlaceOfSafetyCoordinator
                | Role::PrivacyOfficer
                | Role::Administrator
        )
    }

    /// Clinical roles: may see sections shared "clinicians only".
    pub fn is_clinical(self) -> bool {
        matches!(
            self,
            Role::TriageClinician | Role::CrisisClinician | Role::PlaceOfSafetyCoordinator
        )
    }
}

coded_enum!(
    /// Categories of personal data named in data sharing agreements.
    DataCategory {
        Identity => ("identity", "Identity and contact details"),
        CrisisPlanSummary => ("crisis_plan_summary", "Crisis plan: sections shared with all responders"),
        CrisisPlanClinical => ("crisis_plan_clinical", "Crisis plan: clinical sections"),
        CrisisPlanCareTeam => ("crisis_plan_care_team", "Crisis plan: care team sections"),
        IncidentHistory => ("incident_history", "Crisis contact and incident history"),
        DetentionRecord => ("detention_record", "s136/s135 detention records"),
    }
);

coded_enum!(
    /// The lawful basis recorded for a flow of personal data.
    LegalBasis {
        DirectCare => ("direct_care", "UK GDPR Art 6(1)(e) and 9(2)(h): direct care"),
        Consent => ("consent", "Explicit consent of the person"),
        VitalInterests => ("vital_interests", "UK GDPR Art 6(1)(d) and 9(2)(c): vital interests"),
        LawEnforcement => ("law_enforcement", "DPA 2018 Part 3: law enforcement processing"),
    }
);
