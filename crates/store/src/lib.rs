//! The Store: Concordat's only door to the database. All SQL lives in this crate.
//!
//! One `Store` speaks to SQLite (embedded default) or PostgreSQL (production) through sqlx's `Any` driver.
//! The SQL is written once, in the portable subset both backends share; the differences
//! (placeholders, how a write transaction begins, DDL) are confined to [`backend`] and the per-backend
//! migration folders. Times are stored as integer milliseconds since the epoch in both backends.
//! The app layer opens a [`Tx`], does its reads and writes and appends the audit event in it, then commits:
//! an operation and its audit event land together or not at all.

mod access;
mod agreements;
mod alliance;
mod backend;
mod backup;
mod care_team;
mod figures;
mod housekeeping;
mod members;
pub mod metrics;
mod migrate;
mod operations;
mod plans;
mod records;
mod sso;
pub mod testing;
mod tx;

pub use agreements::{AgreementRow, NewAgreement, SignatureRow};
pub use alliance::{AllianceMemberRow, NewAllianceMember, ProfileFields};
pub use backend::{
    Backend, ConnectError, ConnectOptionsCfg, MissingDatabase, Store, create_private_dir,
    redact_url,
};
pub use backup::{BackupError, restore_sqlite};
pub use care_team::{CareTeamRow, Clinician};
pub use figures::HourCount;
pub use housekeeping::HousekeptTable;
pub use members::{InvitationRow, NewInvitation, OrgDetails, OrgFields, UserAdminRow};
pub use operations::*;
pub use plans::LookupBundle;
pub use records::*;
pub use sso::{ExternalIdentity, OidcFlowRow};
pub use tx::Tx;

/// Errors from the store. Internals are logged by the caller, never shown to users.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Connect(#[from] ConnectError),
    #[error("that {0} already exists")]
    Conflict(&'static str),
    #[error("the record was changed by someone else (expected version {expected})")]
    StaleVersion { expected: i64 },
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    #[error("migration {version} failed: {source}")]
    Migration { version: i64, source: sqlx::Error },
    #[error("migration {version} cannot run: {message}")]
    MigrationRefused { version: i64, message: String },
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("the database is busy: a write waited too long for its turn")]
    Busy,
}

impl StoreError {
    /// Maps a unique-constraint violation to `Conflict(what)`, leaving other errors as they are.
    pub(crate) fn conflict_as(e: sqlx::Error, what: &'static str) -> StoreError {
        match e.as_database_error() {
            Some(db) if db.is_unique_violation() => StoreError::Conflict(what),
            _ => StoreError::Db(e),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
