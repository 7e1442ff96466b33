//! Extractors: who is signed in (cookie for pages, bearer token for the API), request ids, and CSRF.

use crate::AppState;
use crate::error::WebError;
use crate::security::RequestId;
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use concordat_app::AppError;
use concordat_app::auth::{SessionContext, SessionKind};
use concordat_domain::policy::Actor;
use std::sync::Arc;

pub const SESSION_COOKIE: &str = "concordat_session";
pub const CSRF_COOKIE: &str = "concordat_csrf";

/// Reads a cookie by name.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub fn request_id(parts: &Parts) -> Option<String> {
    parts.extensions.get::<RequestId>().map(|r| r.0.clone())
}

/// A signed-in browser user who has passed MFA where their role needs it.
pub struct Signed {
    pub ctx: SessionContext,
    pub request_id: Option<String>,
}

impl Signed {
    /// The actor for app calls.
    pub fn actor(&self) -> Result<Actor, WebError> {
        self.ctx.actor(self.request_id.clone()).ok_or_else(|| {
            WebError::html(AppError::invalid(
                "membership",
                "your account has no role yet: ask your administrator",
            ))
        })
    }
}

/// A browser session whether or not MFA is done (for the MFA pages themselves).
pub struct AnySession {
    pub ctx: SessionContext,
    pub request_id: Option<String>,
}

async fn session_from(parts: &Parts, state: &AppState) -> Result<Option<SessionContext>, WebError> {
    let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    state
        .app
        .resolve_session(token, SessionKind::Cookie)
        .await
        .map_err(WebError::html)
}

impl FromRequestParts<Arc<AppState>> for AnySession {
    type Rejection = WebError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        match session_from(parts, state).await? {
            Some(ctx) => Ok(AnySession {
                ctx,
                request_id: request_id(parts),
            }),
            None => Err(WebError::Redirect("/sign-in".into())),
        }
    }
}

impl OptionalFromRequestParts<Arc<AppState>> for AnySession {
    type Rejection = WebError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(session_from(parts, state).await?.map(|ctx| AnySession {
            ctx,
            request_id: request_id(parts),
        }))
    }
}

impl FromRequestParts<Arc<AppState>> for Signed {
    type Rejection = WebError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let Some(ctx) = session_from(parts, state).await? else {
            return Err(WebError::Redirect("/sign-in".into()));
        };
        if ctx.mfa_outstanding() {
            let to = if ctx.user.totp_enabled {
                "/sign-in/mfa"
            } else {
                "/mfa/enrol"
            };
            return Err(WebError::Redirect(to.into()));
        }
        Ok(Signed {
            ctx,
            request_id: request_id(parts),
        })
    }
}

/// An API caller with a bearer token.
pub struct ApiUser {
    pub ctx: SessionContext,
    pub request_id: Option<String>,
}

impl ApiUser {
    pub fn actor(&self) -> Result<Actor, WebError> {
        self.ctx.actor(self.request_id.clone()).ok_or_else(|| {
            WebError::json(AppError::invalid("membership", "this account has no role"))
        })
    }
}

impl FromRequestParts<Arc<AppState>> for ApiUser {
    type Rejection = WebError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(WebError::Json(AppError::Unauthenticated))?;
        let ctx = state
            .app
            .resolve_session(token, SessionKind::Bearer)
            .await
            .map_err(WebError::json)?
            .ok_or(WebError::Json(AppError::Unauthenticated))?;
        Ok(ApiUser {
            ctx,
            request_id: request_id(parts),
        })
    }
}

/// The client's network address for throttling (the socket peer; a proxy deployment would read a trusted header).
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let addr = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        Ok(ClientAddr(addr))
    }
}

/// Compares a submitted CSRF token with the expected one in constant time.
pub fn csrf_ok(expected: &str, submitted: &str) -> bool {
    let (a, b) = (expected.as_bytes(), submitted.as_bytes());
    !a.is_empty()
        && a.len() == b.len()
        && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
