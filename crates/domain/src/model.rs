//! Plain records shared by every layer. They hold already-parsed values.

use crate::{DataCategory, LegalBasis, NhsNumber, OrgKind, Postcode, Role};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// An organisation's id.
    OrgId
);
id_type!(
    /// A staff user's id.
    UserId
);
id_type!(
    /// A person's id (the subject of records).
    PersonId
);
id_type!(
    /// A membership's id (user + organisation + role).
    MembershipId
);

/// A member organisation of the partnership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub id: OrgId,
    pub name: String,
    pub kind: OrgKind,
    /// NHS Organisation Data Service code, for NHS bodies.
    pub ods_code: Option<String>,
    /// An org-id.guide identifier such as GB-CHC-1234567 or GB-COH-01234567.
    pub org_identifier: Option<String>,
}

/// A user's role in one organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub id: MembershipId,
    pub user_id: UserId,
    pub org_id: OrgId,
    pub org_name: String,
    pub org_kind: OrgKind,
    pub role: Role,
}

/// A member of staff who signs in. Holds no secrets: password hashes and TOTP secrets stay in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub totp_enabled: bool,
    pub mfa_demo_exempt: bool,
    pub disabled: bool,
}

/// A person who is the subject of records.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: PersonId,
    pub owner_org_id: OrgId,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Option<NaiveDate>,
    pub nhs_number: Option<NhsNumber>,
    pub sex: Option<String>,
    pub postcode: Option<Postcode>,
    pub address_line: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// True for demo data: every page showing it says it is synthetic.
    pub synthetic: bool,
    /// Optimistic-locking version, bumped on every change.
    pub version: i64,
}

impl fmt::Debug for Person {
    /// Only the id: names and identifiers must not reach logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Person({})", self.id)
    }
}

/// A new person, as entered.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPerson {
    pub owner_org_id: OrgId,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Option<NaiveDate>,
    pub nhs_number: Option<NhsNumber>,
    pub sex: Option<String>,
    pub postcode: Option<Postcode>,
    pub address_line: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub synthetic: bool,
}

impl fmt::Debug for NewPerson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPerson(***)")
    }
}

/// Where a data sharing agreement is in its life: drafted by one party, agreed once every party's
/// signatory has signed, and then ended (or withdrawn before it was agreed). Only an agreed agreement,
/// on a day inside its dates, lets data flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgreementStatus {
    Draft,
    Agreed,
    Withdrawn,
    Ended,
}

impl AgreementStatus {
    pub const ALL: [AgreementStatus; 4] = [
        AgreementStatus::Draft,
        AgreementStatus::Agreed,
        AgreementStatus::Withdrawn,
        AgreementStatus::Ended,
    ];

    /// The stable code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            AgreementStatus::Draft => "draft",
            AgreementStatus::Agreed => "agreed",
            AgreementStatus::Withdrawn => "withdrawn",
            AgreementStatus::Ended => "ended",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Plain English.
    pub fn label(self) -> &'static str {
        match self {
            AgreementStatus::Draft => "Draft: waiting for signatures",
            AgreementStatus::Agreed => "Agreed by every party",
            AgreementStatus::Withdrawn => "Withdrawn before it was agreed",
            AgreementStatus::Ended => "Ended",
        }
    }
}

/// A data sharing agreement: which categories may flow from one organisation to another, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharingAgreement {
    pub id: i64,
    pub from_org_id: OrgId,
    pub to_org_id: OrgId,
    pub categories: Vec<DataCategory>,
    pub legal_basis: LegalBasis,
    pub review_date: NaiveDate,
    pub status: AgreementStatus,
    /// The first day data may flow.
    pub in_force_from: NaiveDate,
    /// The last day data may flow (`None`: until it is ended).
    pub in_force_until: Option<NaiveDate>,
}

impl SharingAgreement {
    /// Whether the agreement is agreed by every party and `today` lies within its dates.
    pub fn in_force(&self, today: NaiveDate) -> bool {
        self.status == AgreementStatus::Agreed
            && self.in_force_from <= today
            && self.in_force_until.is_none_or(|u| today <= u)
    }

    /// Whether this agreement lets `category` flow from `from` to `to` on `today`: it must be in force
    /// ([`SharingAgreement::in_force`]). An agreement past its review date still applies (flows must not
    /// stop overnight) but is flagged for review.
    pub fn covers(&self, from: OrgId, to: OrgId, category: DataCategory, today: NaiveDate) -> bool {
        self.from_org_id == from
            && self.to_org_id == to
            && self.categories.contains(&category)
            && self.in_force(today)
    }
}

/// A neighbourhood of the region, for maps and area figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Neighbourhood {
    pub code: String,
    pub name: String,
    pub postcode_district: String,
    pub grid_x: i64,
    pub grid_y: i64,
    pub population: i64,
}

/// A point in time, stored as milliseconds since the Unix epoch.
pub fn to_millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// The inverse of [`to_millis`]; out-of-range values map to the epoch rather than panicking.
pub fn from_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}
