//! The alliance: its members (organisations of every size, and individuals, experts by experience
//! among them) and what each member's profile shows to whom.
//!
//! A member chooses, field by field, who may see their profile: only themselves, the alliance's
//! coordinators, or every member of the alliance. [`field_visible`] decides it; lived experience starts
//! as "only me" and is shown to nobody else until the member chooses otherwise.

use crate::Role;

/// Who may see one field of a member's profile, as the member chose.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Visibility {
    /// Nobody but the member (and, for an organisation, the coordinators who keep its entry).
    OnlyMe,
    /// The alliance's coordinators.
    Coordinators,
    /// Every member of the alliance.
    Alliance,
}

impl Visibility {
    pub const ALL: [Visibility; 3] = [
        Visibility::OnlyMe,
        Visibility::Coordinators,
        Visibility::Alliance,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Visibility::OnlyMe => "only_me",
            Visibility::Coordinators => "coordinators",
            Visibility::Alliance => "alliance",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Visibility::OnlyMe => "Only me",
            Visibility::Coordinators => "Alliance coordinators",
            Visibility::Alliance => "Everyone in the alliance",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.code() == code)
    }
}

/// The viewer's relation to the member whose profile is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// The member themselves.
    TheMember,
    /// An alliance coordinator.
    Coordinator,
    /// Another member of the alliance (alliance member or expert by experience role).
    AllianceMember,
    /// Anyone else signed in to Concordat: they see nothing of the alliance's members.
    Outside,
}

/// The viewer's relation to a member: `is_self` when the viewer is the member's own account.
pub fn viewer_of(role: Role, is_self: bool) -> Viewer {
    if is_self {
        return Viewer::TheMember;
    }
    match role {
        Role::AllianceCoordinator => Viewer::Coordinator,
        Role::AllianceMember | Role::ExpertByExperience => Viewer::AllianceMember,
        _ => Viewer::Outside,
    }
}

/// Whether `viewer` may see a field the member set to `vis`. Deny by default.
pub fn field_visible(viewer: Viewer, vis: Visibility) -> bool {
    matches!(
        (viewer, vis),
        (Viewer::TheMember, _)
            | (
                Viewer::Coordinator,
                Visibility::Coordinators | Visibility::Alliance
            )
            | (Viewer::AllianceMember, Visibility::Alliance)
    )
}

/// Whether a member is an organisation or one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum MemberKind {
    Organisation,
    Individual,
}

impl MemberKind {
    pub fn code(self) -> &'static str {
        match self {
            MemberKind::Organisation => "organisation",
            MemberKind::Individual => "individual",
        }
    }
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "organisation" => Some(MemberKind::Organisation),
            "individual" => Some(MemberKind::Individual),
            _ => None,
        }
    }
}

/// The size of a member organisation: statutory bodies, charities and companies by size, and
/// unregistered community groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum OrgSize {
    CommunityGroup,
    Small,
    Medium,
    Large,
    Statutory,
}

impl OrgSize {
    pub const ALL: [OrgSize; 5] = [
        OrgSize::CommunityGroup,
        OrgSize::Small,
        OrgSize::Medium,
        OrgSize::Large,
        OrgSize::Statutory,
    ];
    pub fn code(self) -> &'static str {
        match self {
            OrgSize::CommunityGroup => "community_group",
            OrgSize::Small => "small",
            OrgSize::Medium => "medium",
            OrgSize::Large => "large",
            OrgSize::Statutory => "statutory",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            OrgSize::CommunityGroup => "Community group (unregistered)",
            OrgSize::Small => "Small voluntary or community organisation",
            OrgSize::Medium => "Medium-sized organisation",
            OrgSize::Large => "Large organisation",
            OrgSize::Statutory => "Statutory body",
        }
    }
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// Why an organisation identifier was refused.
pub const ORG_IDENTIFIER_HELP: &str = "enter an org-id identifier: GB-CHC- and a charity number (6 or 7 digits), GB-COH- and a company number (8 letters and digits), GB-LAE- and a local authority code (3 or 4 letters), or for a group on no register LOCAL- and a short name of letters, digits and hyphens";

/// Checks and normalises (trimmed, upper case) an organisation identifier in org-id form: a charity
/// (`GB-CHC-1234567`), a company (`GB-COH-01234567`, `GB-COH-SC123456`), an English local authority
/// (`GB-LAE-LDS`), or a local identifier the alliance gives a group on no register (`LOCAL-…`).
pub fn parse_org_identifier(input: &str) -> Result<String, &'static str> {
    let id = input.trim().to_ascii_uppercase();
    let alnum = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric());
    let ok = if let Some(n) = id.strip_prefix("GB-CHC-") {
        (6..=7).contains(&n.len()) && n.chars().all(|c| c.is_ascii_digit())
    } else if let Some(n) = id.strip_prefix("GB-COH-") {
        n.len() == 8 && alnum(n) && n[2..].chars().all(|c| c.is_ascii_digit())
    } else if let Some(n) = id.strip_prefix("GB-LAE-") {
        (3..=4).contains(&n.len()) && n.chars().all(|c| c.is_ascii_uppercase())
    } else if let Some(n) = id.strip_prefix("LOCAL-") {
        (1..=40).contains(&n.len()) && n.split('-').all(|p| !p.is_empty() && alnum(p))
    } else {
        false
    };
    if ok { Ok(id) } else { Err(ORG_IDENTIFIER_HELP) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_sees_which_field() {
        use Viewer::*;
        use Visibility::*;
        // Columns: OnlyMe, Coordinators, Alliance.
        let table = [
            (TheMember, [true, true, true]),
            (Coordinator, [false, true, true]),
            (AllianceMember, [false, false, true]),
            (Outside, [false, false, false]),
        ];
        for (viewer, row) in table {
            for (vis, want) in [OnlyMe, Coordinators, Alliance].into_iter().zip(row) {
                assert_eq!(field_visible(viewer, vis), want, "{viewer:?} {vis:?}");
            }
        }
    }

    #[test]
    fn viewer_follows_role_and_self() {
        for role in Role::ALL {
            assert_eq!(viewer_of(*role, true), Viewer::TheMember);
        }
        assert_eq!(
            viewer_of(Role::AllianceCoordinator, false),
            Viewer::Coordinator
        );
        assert_eq!(
            viewer_of(Role::AllianceMember, false),
            Viewer::AllianceMember
        );
        assert_eq!(
            viewer_of(Role::ExpertByExperience, false),
            Viewer::AllianceMember
        );
        for role in [
            Role::Responder,
            Role::CrisisClinician,
            Role::Analyst,
            Role::PrivacyOfficer,
            Role::Administrator,
        ] {
            assert_eq!(viewer_of(role, false), Viewer::Outside, "{role:?}");
        }
    }

    #[test]
    fn visibility_codes_round_trip() {
        for v in Visibility::ALL {
            assert_eq!(Visibility::from_code(v.code()), Some(v));
        }
        for s in OrgSize::ALL {
            assert_eq!(OrgSize::from_code(s.code()), Some(s));
        }
        assert_eq!(Visibility::from_code("everyone"), None);
    }

    #[test]
    fn org_identifiers() {
        for (input, want) in [
            ("GB-CHC-1234567", Some("GB-CHC-1234567")),
            (" gb-chc-123456 ", Some("GB-CHC-123456")),
            ("GB-CHC-12345", None),
            ("GB-CHC-12345678", None),
            ("GB-CHC-12345A", None),
            ("GB-COH-01234567", Some("GB-COH-01234567")),
            ("GB-COH-SC123456", Some("GB-COH-SC123456")),
            ("GB-COH-0123456", None),
            ("GB-COH-SC12345X", None),
            ("GB-LAE-LDS", Some("GB-LAE-LDS")),
            ("GB-LAE-BRAD", Some("GB-LAE-BRAD")),
            ("GB-LAE-L1", None),
            ("LOCAL-HAREHILLS-WALKERS", Some("LOCAL-HAREHILLS-WALKERS")),
            ("LOCAL-", None),
            ("LOCAL-A--B", None),
            ("LOCAL-A B", None),
            ("GB-XYZ-123", None),
            ("", None),
        ] {
            assert_eq!(
                parse_org_identifier(input).ok().as_deref(),
                want,
                "{input:?}"
            );
        }
    }
}
