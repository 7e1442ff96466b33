//! Single sign-on pages: the redirect to an identity provider, its callback, and "Single sign-on" on
//! the user's account (link or unlink a provider). The app layer (`concordat_app::oidc`) does the
//! checking, linking, throttling and auditing.

use crate::extract::{AnySession, ClientAddr, Signed, cookie};
use crate::pages::{Layout, St, check_csrf, render, sign_in_page, with_session};
use crate::security::RequestId;
use crate::{Route, error::WebError};
use askama::Template;
use axum::Extension;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use concordat_app::auth::NextStep;
use concordat_app::oidc::{FLOW_TTL, OidcCallback, OidcDone, ProviderLink};
use concordat_app::{AppError, FieldError};
use serde::Deserialize;

/// The cookie holding the browser's secret for a flow in progress (only its hash is stored).
pub const FLOW_COOKIE: &str = "concordat_oidc";

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/sign-in/with/{provider}", start),
        Route::get("/sign-in/oidc/callback", callback),
        Route::get("/account/single-sign-on", account),
        Route::post("/account/single-sign-on/{provider}", account_op),
    ]
}

fn flow_cookie(value: &str, max_age: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    // Lax: the provider's redirect back is a top-level GET from another site, which must carry it.
    format!(
        "{FLOW_COOKIE}={value}; Path=/sign-in/oidc; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    )
}

fn to_provider(url: &str, secret: &str, secure: bool) -> Response {
    let mut res = Redirect::to(url).into_response();
    if let Ok(v) = flow_cookie(secret, FLOW_TTL.as_secs(), secure).parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// `GET /sign-in/with/{provider}`: off to the provider.
pub async fn start(State(state): St, headers: HeaderMap, Path(provider): Path<String>) -> Response {
    match state.app.oidc_begin(&provider, None).await {
        Ok(s) => to_provider(
            &s.authorize_url,
            &s.browser_secret,
            state.cfg.secure_cookies,
        ),
        Err(e @ (AppError::Unavailable(_) | AppError::SignInRefused(_))) => {
            refused(&state, &headers, &e)
        }
        Err(e) => WebError::html(e).into_response(),
    }
}

fn refused(state: &crate::AppState, headers: &HeaderMap, e: &AppError) -> Response {
    let status = crate::error::status_of(e);
    let mut res = sign_in_page(
        state,
        headers,
        status,
        vec![FieldError::new("username", crate::error::public_message(e))],
    );
    if let AppError::Throttled {
        retry_after_secs, ..
    } = e
        && let Ok(v) = retry_after_secs.to_string().parse()
    {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

/// `GET /sign-in/oidc/callback`: the provider sends the browser back here with a code (or an error).
pub async fn callback(
    State(state): St,
    headers: HeaderMap,
    session: Option<AnySession>,
    ClientAddr(addr): ClientAddr,
    Extension(rid): Extension<RequestId>,
    Query(cb): Query<OidcCallback>,
) -> Response {
    let secret = cookie(&headers, FLOW_COOKIE).map(str::to_string);
    let outcome = state
        .app
        .oidc_complete(
            &cb,
            secret.as_deref(),
            session.as_ref().map(|s| &s.ctx),
            &addr,
            Some(rid.0),
        )
        .await;
    let mut res = match outcome {
        Ok(OidcDone::SignedIn(session)) => {
            let to = match session.next {
                NextStep::Done => "/home",
                NextStep::VerifyMfa => "/sign-in/mfa",
                NextStep::EnrolMfa => "/mfa/enrol",
            };
            with_session(Redirect::to(to), &session, state.cfg.secure_cookies)
        }
        Ok(OidcDone::Linked { .. }) => {
            Redirect::to("/account/single-sign-on?linked=1").into_response()
        }
        Err(
            e
            @ (AppError::SignInRefused(_) | AppError::Unavailable(_) | AppError::Throttled { .. }),
        ) => refused(&state, &headers, &e),
        Err(e) => WebError::html(e).into_response(),
    };
    // The flow is finished either way: forget its cookie.
    if let Ok(v) = flow_cookie("", 0, state.cfg.secure_cookies).parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[derive(Template)]
#[template(path = "account_sso.html")]
struct AccountPage {
    layout: Layout,
    links: Vec<ProviderLink>,
    linked_now: bool,
}

impl AccountPage {
    fn date(ms: &i64) -> String {
        chrono::DateTime::from_timestamp_millis(*ms)
            .map(|t| {
                t.with_timezone(&chrono_tz::Europe::London)
                    .format("%-d %B %Y")
                    .to_string()
            })
            .unwrap_or_default()
    }
}

#[derive(Deserialize)]
pub struct AccountQuery {
    #[serde(default)]
    linked: Option<String>,
}

/// `GET /account/single-sign-on`: which providers this account is linked to.
pub async fn account(State(state): St, s: Signed, Query(q): Query<AccountQuery>) -> Response {
    match state.app.oidc_links(&s.ctx).await {
        Ok(links) => render(
            StatusCode::OK,
            &AccountPage {
                layout: Layout::for_session("Single sign-on", &state, &s.ctx),
                links,
                linked_now: q.linked.is_some(),
            },
        ),
        Err(e) => WebError::html(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct OpForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    op: String,
}

/// `POST /account/single-sign-on/{provider}`: `op=link` goes to the provider; `op=unlink` removes the link.
pub async fn account_op(
    State(state): St,
    s: Signed,
    Path(provider): Path<String>,
    Form(form): Form<OpForm>,
) -> Response {
    if let Err(e) = check_csrf(&s.ctx, &form.csrf) {
        return e.into_response();
    }
    let result = match form.op.as_str() {
        "link" => match state.app.oidc_begin(&provider, Some(&s.ctx)).await {
            Ok(st) => {
                return to_provider(
                    &st.authorize_url,
                    &st.browser_secret,
                    state.cfg.secure_cookies,
                );
            }
            Err(e) => Err(e),
        },
        "unlink" => state
            .app
            .oidc_unlink(&s.ctx, &provider, s.request_id.clone())
            .await
            .map(|()| Redirect::to("/account/single-sign-on").into_response()),
        _ => Err(AppError::invalid("op", "choose link or unlink")),
    };
    match result {
        Ok(r) => r,
        Err(e @ (AppError::Invalid(_) | AppError::Unavailable(_))) => {
            let links = state.app.oidc_links(&s.ctx).await.unwrap_or_default();
            let field = match &e {
                AppError::Invalid(f) => f.first().map_or("op", |f| f.field.as_str()).to_string(),
                _ => "op".into(),
            };
            let layout = Layout::for_session("Single sign-on", &state, &s.ctx).with_errors(vec![
                FieldError::new(&field, crate::error::public_message(&e)),
            ]);
            render(
                crate::error::status_of(&e),
                &AccountPage {
                    layout,
                    links,
                    linked_now: false,
                },
            )
        }
        Err(e) => WebError::html(e).into_response(),
    }
}
