//! Rows the store returns that are not domain records: secrets stay here and in the app layer.

use concordat_domain::model::{MembershipId, UserId};

/// What sign-in needs about a user. Hand-written `Debug` keeps the hash and secret out of logs.
#[derive(Clone)]
pub struct UserCredentials {
    pub user: concordat_domain::model::User,
    pub password_hash: String,
    /// As stored: encrypted by the app layer (`v1:` prefix), or base32 in the clear from before encryption.
    pub totp_secret: Option<String>,
    /// The newest TOTP time step a code was accepted for (0 for none).
    pub totp_last_step: i64,
    /// SHA-256 hashes of unused recovery codes (they are random and high-entropy, so a fast hash suffices).
    pub recovery_code_hashes: Vec<String>,
}

impl std::fmt::Debug for UserCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserCredentials")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// A browser session or API token, looked up by the SHA-256 of its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub token_hash: String,
    /// "cookie" or "bearer".
    pub kind: String,
    pub user_id: UserId,
    pub membership_id: Option<MembershipId>,
    pub csrf_token: String,
    pub mfa_passed: bool,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub revoked: bool,
}

/// Filters for searching the audit log. All are optional and combine with AND.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub person_id: Option<i64>,
    pub user_id: Option<i64>,
    pub org_id: Option<i64>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub break_glass_only: bool,
    pub limit: i64,
}

/// A break-glass event with its review, if any.
#[derive(Debug, Clone)]
pub struct BreakGlassItem {
    pub event: concordat_domain::audit::AuditEvent,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<i64>,
    pub outcome: Option<String>,
    pub notes: Option<String>,
}

/// How people are searched: each variant is one of the ways a responder finds someone.
#[derive(Clone)]
pub enum PersonQuery {
    NhsNumber(concordat_domain::NhsNumber),
    /// Family name (case-insensitive, exact) and date of birth.
    NameDob {
        family_name: String,
        date_of_birth: chrono::NaiveDate,
    },
    Postcode(concordat_domain::Postcode),
}

/// A crisis contact as stored by the foundation (issue 3 extends it).
#[derive(Debug, Clone, PartialEq)]
pub struct NewContact {
    pub owner_org_id: i64,
    pub person_id: Option<i64>,
    pub called_at: i64,
    pub arrived_at: Option<i64>,
    pub source: String,
    pub setting: String,
    pub postcode: Option<String>,
    pub neighbourhood: Option<String>,
    pub grid_x: Option<f64>,
    pub grid_y: Option<f64>,
    pub outcome: String,
    pub street_triage: bool,
    pub police_minutes: Option<i64>,
    pub synthetic: bool,
}

/// A person's identity as it was at one version, kept when a save replaced it
/// (`person_versions`): `saved_by` and `saved_at` name the save that replaced it.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonVersion {
    pub version: i64,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Option<chrono::NaiveDate>,
    /// As stored: ten digits.
    pub nhs_number: Option<String>,
    pub postcode: Option<String>,
    pub saved_by: String,
    pub saved_at: i64,
}

impl std::fmt::Debug for PersonVersion {
    /// The version only: names and identifiers must not reach logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PersonVersion({}, ***)", self.version)
    }
}
