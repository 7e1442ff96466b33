//! One error type for handlers. Internal details are logged with the request id, never shown.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use concordat_app::{AppError, FieldError};
use serde::Serialize;

/// How a failure should be answered: as an HTML page or as JSON.
#[derive(Debug)]
pub enum WebError {
    Html(AppError),
    Json(AppError),
    /// Not signed in (or MFA outstanding) on an HTML page: go to this address.
    Redirect(String),
}

impl WebError {
    pub fn html(e: impl Into<AppError>) -> Self {
        WebError::Html(e.into())
    }
    pub fn json(e: impl Into<AppError>) -> Self {
        WebError::Json(e.into())
    }
}

pub fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Unauthenticated | AppError::BadCredentials | AppError::BadMfaCode => {
            StatusCode::UNAUTHORIZED
        }
        AppError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Denied(_) => StatusCode::FORBIDDEN,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::Busy => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Store(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The message a user sees: internals are replaced by a generic sentence.
pub fn public_message(e: &AppError) -> String {
    match e {
        AppError::Store(inner) => {
            tracing::error!(error = %inner, "store error");
            "Sorry, something went wrong on our side. Try again; if it keeps happening, tell your administrator.".into()
        }
        AppError::Internal(inner) => {
            tracing::error!(error = %inner, "internal error");
            "Sorry, something went wrong on our side. Try again; if it keeps happening, tell your administrator.".into()
        }
        // Refused at sign-in: the reason as it is, not "You cannot see this".
        AppError::Denied(
            reason @ concordat_domain::policy::DenyReason::OrganisationDeactivated,
        ) => {
            let r = reason.to_string();
            format!("{}{}.", r[..1].to_uppercase(), &r[1..])
        }
        AppError::Denied(reason) => format!("You cannot see this: {reason}."),
        AppError::NotFound => "We could not find that page or record.".into(),
        other => {
            let mut s = other.to_string();
            if let Some(first) = s.get(0..1) {
                s = first.to_uppercase() + &s[1..];
            }
            s
        }
    }
}

#[derive(Serialize)]
struct JsonError<'a> {
    error: String,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    fields: &'a [FieldError],
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: crate::pages::Layout,
    status: u16,
    message: String,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::Redirect(to) => Redirect::to(&to).into_response(),
            WebError::Json(e) => {
                let status = status_of(&e);
                let fields: &[FieldError] = match &e {
                    AppError::Invalid(f) => f,
                    _ => &[],
                };
                let mut res = (
                    status,
                    axum::Json(JsonError {
                        error: public_message(&e),
                        fields,
                    }),
                )
                    .into_response();
                if let AppError::Throttled {
                    retry_after_secs, ..
                } = e
                    && let Ok(v) = retry_after_secs.to_string().parse()
                {
                    res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
                }
                res
            }
            WebError::Html(e) => {
                let status = status_of(&e);
                // A page with no form to mark up still names each field and its problem.
                let message = match &e {
                    AppError::Invalid(fields) if !fields.is_empty() => format!(
                        "{}: {}.",
                        public_message(&e),
                        fields
                            .iter()
                            .map(|f| format!("{} ({})", f.message, f.field))
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                    _ => public_message(&e),
                };
                let page = ErrorPage {
                    // Refused input names the page an error page ("Error: …"), as every failed form does.
                    layout: crate::pages::Layout::bare(if matches!(e, AppError::Invalid(_)) {
                        "Error: There is a problem"
                    } else {
                        "There is a problem"
                    }),
                    status: status.as_u16(),
                    message,
                };
                match page.render() {
                    Ok(body) => (status, Html(body)).into_response(),
                    Err(_) => (status, public_message(&e)).into_response(),
                }
            }
        }
    }
}
