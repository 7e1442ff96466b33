//! The app's error type: what went wrong, in words a user can act on. Internals stay in logs.

use concordat_domain::policy::DenyReason;
use serde::Serialize;

/// A problem with one field of a form or request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name as submitted (also the HTML id to link to).
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("you are not signed in")]
    Unauthenticated,
    #[error("the username or password is not right")]
    BadCredentials,
    #[error("the security code is not right")]
    BadMfaCode,
    /// `until` is the local time (Europe/London) when attempts are allowed again, e.g. "17:42".
    #[error("too many failed attempts: try again after {until}")]
    Throttled {
        retry_after_secs: u64,
        until: String,
    },
    #[error("{0}")]
    Denied(DenyReason),
    #[error("not found")]
    NotFound,
    #[error("there is a problem with what was entered")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Conflict(String),
    #[error("the system is busy: try again in a moment")]
    Busy,
    /// A single sign-on that did not sign anyone in, with what to do in plain words.
    #[error("{0}")]
    SignInRefused(String),
    /// Something outside Concordat (an identity provider) is not answering, in plain words.
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Store(concordat_store::StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![FieldError::new(field, message)])
    }
}

impl From<concordat_store::StoreError> for AppError {
    fn from(e: concordat_store::StoreError) -> Self {
        use concordat_store::StoreError as S;
        match e {
            S::Conflict(what) => AppError::Conflict(format!("that {what} already exists")),
            S::StaleVersion { .. } => AppError::Conflict(
                "someone else changed this record while you were editing it".to_string(),
            ),
            S::Busy => AppError::Busy,
            other => AppError::Store(other),
        }
    }
}
