//! HTML pages. Each handler parses its input, calls one app function and renders a template.

use crate::AppState;
use crate::error::{WebError, public_message};
use crate::extract::{
    AnySession, CSRF_COOKIE, ClientAddr, SESSION_COOKIE, Signed, cookie, csrf_ok,
};
use crate::security::RequestId;
use askama::Template;
use axum::Extension;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use concordat_app::auth::{NewSession, NextStep, SessionContext, SessionKind};
use concordat_app::people::{PersonSummary, PersonView, SearchInput};
use concordat_app::{AppError, FieldError};
use concordat_domain::Role;
use concordat_domain::model::PersonId;
use concordat_domain::policy::DenyReason;
use serde::Deserialize;
use std::sync::Arc;

pub(crate) type St = State<Arc<AppState>>;

/// What every page's frame needs.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub title: String,
    pub user: Option<String>,
    pub role: Option<String>,
    /// The role as a short label for the compact header ("Responder", without the explanation).
    pub role_short: Option<String>,
    pub org: Option<String>,
    pub demo: bool,
    pub mfa_exempt: bool,
    pub csrf: String,
    pub nav: Vec<(&'static str, &'static str)>,
    pub errors: Vec<FieldError>,
    /// The user has more than one membership: the header links to `/account/role`.
    pub roles_link: bool,
    /// Identity providers are configured: the header links to `/account/single-sign-on`.
    pub sso_link: bool,
    /// The path of the page being answered, so the navigation can mark it with `aria-current`.
    pub current: String,
}

impl Layout {
    pub fn bare(title: &str) -> Self {
        Layout {
            title: title.into(),
            ..Default::default()
        }
    }

    pub(crate) fn for_session(title: &str, state: &AppState, ctx: &SessionContext) -> Self {
        let role = ctx.membership.as_ref().map(|m| m.role);
        Layout {
            title: title.into(),
            user: Some(ctx.user.display_name.clone()),
            role: role.map(|r| r.label().to_string()),
            role_short: role.map(|r| short_label(r.label()).to_string()),
            org: ctx.membership.as_ref().map(|m| m.org_name.clone()),
            demo: state.demo,
            mfa_exempt: ctx.user.mfa_demo_exempt && !ctx.mfa_passed,
            csrf: ctx.csrf_token.clone(),
            nav: role.map(nav_for).unwrap_or_default(),
            errors: Vec::new(),
            roles_link: ctx.memberships.len() > 1,
            sso_link: !state.app.cfg.oidc.is_empty(),
            current: CURRENT_PATH.try_with(|p| p.clone()).unwrap_or_default(),
        }
    }

    /// Whether a navigation link points at the page being shown.
    pub fn is_current(&self, href: &str) -> bool {
        !self.current.is_empty() && self.current == href
    }

    /// The form's errors; each message starts with a capital letter (GOV.UK and NHS.UK error style).
    pub(crate) fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors
            .into_iter()
            .map(|mut e| {
                e.message = capitalise(&e.message);
                e
            })
            .collect();
        self
    }

    /// The message for one field, for inline errors.
    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

tokio::task_local! {
    /// The request's path while its handler runs (set by [`current_page`]), read by [`Layout::for_session`].
    static CURRENT_PATH: String;
}

/// Middleware: makes the request's path known to the page layout, for `aria-current` in the navigation.
pub(crate) async fn current_page(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path().to_string();
    CURRENT_PATH.scope(path, next.run(req)).await
}

/// The message with its first letter in capitals ("choose an outcome" becomes "Choose an outcome").
fn capitalise(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A role's label without its explanation in brackets: "Responder (police, …)" becomes "Responder".
fn short_label(label: &str) -> &str {
    label.split(" (").next().unwrap_or(label).trim()
}

fn nav_for(role: Role) -> Vec<(&'static str, &'static str)> {
    let mut nav = vec![("/home", "Home")];
    if matches!(
        role,
        Role::Responder
            | Role::TriageClinician
            | Role::CrisisClinician
            | Role::PlaceOfSafetyCoordinator
            | Role::Administrator
    ) {
        nav.push(("/people", "Find a person"));
    }
    if role == Role::PrivacyOfficer {
        nav.push(("/privacy/audit", "Audit log"));
        nav.push(("/privacy/break-glass", "Break-glass reviews"));
    }
    nav.extend(crate::plans_pages::nav(role));
    nav.extend(crate::ops_pages::nav(role));
    nav.extend(crate::admin::nav(role));
    nav.extend(crate::alliance_pages::nav(role));
    nav.push(("/dashboard", "Partnership figures"));
    nav.push(("/organisations", "Organisations"));
    nav
}

pub(crate) fn render<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => WebError::html(AppError::Internal(format!("template: {e}"))).into_response(),
    }
}

fn session_cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}")
}

fn clear_session_cookie(secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
}

pub(crate) fn check_csrf(ctx: &SessionContext, submitted: &str) -> Result<(), WebError> {
    if csrf_ok(&ctx.csrf_token, submitted) {
        Ok(())
    } else {
        Err(csrf_failed())
    }
}

fn csrf_failed() -> WebError {
    WebError::Html(AppError::invalid(
        "csrf",
        "the form expired or came from another site: go back, reload the page and try again",
    ))
}

pub async fn root(session: Option<AnySession>) -> Redirect {
    if session.is_some() {
        Redirect::to("/home")
    } else {
        Redirect::to("/sign-in")
    }
}

// ---- sign-in ----------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    layout: Layout,
    username: String,
    providers: Vec<concordat_app::oidc::ProviderInfo>,
}

pub async fn sign_in_form(State(state): St, headers: HeaderMap) -> Response {
    sign_in_page(&state, &headers, StatusCode::OK, Vec::new())
}

/// The sign-in page, with a pre-session CSRF token (double-submitted: in a cookie and in the form),
/// a button for each identity provider, and `errors` in the summary (a refused single sign-on).
pub(crate) fn sign_in_page(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    errors: Vec<FieldError>,
) -> Response {
    let token = cookie(headers, CSRF_COOKIE)
        .map(str::to_string)
        .filter(|t| t.len() >= 32)
        .unwrap_or_else(|| {
            format!(
                "{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            )
        });
    let mut layout = Layout::bare("Sign in");
    layout.csrf = token.clone();
    layout.demo = state.demo;
    let mut res = render(
        status,
        &SignInPage {
            layout: layout.with_errors(errors),
            username: String::new(),
            providers: state.app.oidc_providers(),
        },
    );
    let secure = if state.cfg.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    if let Ok(v) =
        format!("{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}").parse()
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

pub async fn sign_in(
    State(state): St,
    headers: HeaderMap,
    ClientAddr(addr): ClientAddr,
    Extension(rid): Extension<RequestId>,
    Form(form): Form<SignInForm>,
) -> Response {
    let expected = cookie(&headers, CSRF_COOKIE).unwrap_or_default();
    if !csrf_ok(expected, &form.csrf) {
        return csrf_failed().into_response();
    }
    let mut layout = Layout::bare("Sign in");
    layout.csrf = form.csrf.clone();
    layout.demo = state.demo;
    let mut errors = Vec::new();
    if form.username.trim().is_empty() {
        errors.push(FieldError::new("username", "enter your username"));
    }
    if form.password.is_empty() {
        errors.push(FieldError::new("password", "enter your password"));
    }
    if !errors.is_empty() {
        let page = SignInPage {
            layout: layout.with_errors(errors),
            username: form.username,
            providers: state.app.oidc_providers(),
        };
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    match state
        .app
        .sign_in(
            &form.username,
            &form.password,
            None,
            &addr,
            SessionKind::Cookie,
            Some(rid.0),
        )
        .await
    {
        Ok(session) => {
            let to = match session.next {
                NextStep::Done => "/home",
                NextStep::VerifyMfa => "/sign-in/mfa",
                NextStep::EnrolMfa => "/mfa/enrol",
            };
            with_session(Redirect::to(to), &session, state.cfg.secure_cookies)
        }
        Err(
            e @ (AppError::BadCredentials
            | AppError::Throttled { .. }
            | AppError::Denied(DenyReason::OrganisationDeactivated)),
        ) => {
            let status = crate::error::status_of(&e);
            let errors = vec![FieldError::new("username", public_message(&e))];
            render(
                status,
                &SignInPage {
                    layout: layout.with_errors(errors),
                    username: form.username,
                    providers: state.app.oidc_providers(),
                },
            )
        }
        Err(e) => WebError::html(e).into_response(),
    }
}

/// Sets a (new) session cookie: used at sign-in and whenever the session id is rotated.
pub(crate) fn with_session(r: impl IntoResponse, session: &NewSession, secure: bool) -> Response {
    let mut res = r.into_response();
    if let Ok(v) = session_cookie(&session.token, secure).parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    pub(crate) csrf: String,
}

pub async fn sign_out(State(state): St, s: AnySession, Form(form): Form<CsrfOnly>) -> Response {
    if let Err(e) = check_csrf(&s.ctx, &form.csrf) {
        return e.into_response();
    }
    if let Err(e) = state.app.sign_out(&s.ctx, s.request_id).await {
        return WebError::html(e).into_response();
    }
    let mut res = Redirect::to("/sign-in").into_response();
    if let Ok(v) = clear_session_cookie(state.cfg.secure_cookies).parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

// ---- multi-factor authentication ------------------------------------------------------------------

#[derive(Template)]
#[template(path = "mfa_verify.html")]
struct MfaPage {
    layout: Layout,
}

pub async fn mfa_form(State(state): St, s: AnySession) -> Response {
    render(
        StatusCode::OK,
        &MfaPage {
            layout: Layout::for_session("Enter your security code", &state, &s.ctx),
        },
    )
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    csrf: String,
}

pub async fn mfa_verify(
    State(state): St,
    s: AnySession,
    ClientAddr(addr): ClientAddr,
    Form(form): Form<CodeForm>,
) -> Response {
    if let Err(e) = check_csrf(&s.ctx, &form.csrf) {
        return e.into_response();
    }
    match state
        .app
        .verify_mfa(&s.ctx, &form.code, &addr, s.request_id)
        .await
    {
        Ok(session) => with_session(Redirect::to("/home"), &session, state.cfg.secure_cookies),
        Err(e @ (AppError::BadMfaCode | AppError::Throttled { .. })) => {
            let layout = Layout::for_session("Enter your security code", &state, &s.ctx)
                .with_errors(vec![FieldError::new("code", public_message(&e))]);
            render(crate::error::status_of(&e), &MfaPage { layout })
        }
        Err(e) => WebError::html(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "mfa_enrol.html")]
struct EnrolPage {
    layout: Layout,
    secret: String,
    qr_svg: String,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct RecoveryPage {
    layout: Layout,
    codes: Vec<String>,
}

pub async fn enrol_form(State(state): St, s: AnySession) -> Response {
    match state.app.start_mfa_enrolment(&s.ctx).await {
        Ok(e) => render(
            StatusCode::OK,
            &EnrolPage {
                layout: Layout::for_session("Set up multi-factor authentication", &state, &s.ctx),
                secret: e.secret_base32,
                qr_svg: e.qr_svg,
            },
        ),
        Err(AppError::Conflict(_)) => Redirect::to("/home").into_response(),
        Err(e) => WebError::html(e).into_response(),
    }
}

pub async fn enrol_confirm(
    State(state): St,
    s: AnySession,
    Form(form): Form<CodeForm>,
) -> Response {
    if let Err(e) = check_csrf(&s.ctx, &form.csrf) {
        return e.into_response();
    }
    match state
        .app
        .confirm_mfa_enrolment(&s.ctx, &form.code, s.request_id)
        .await
    {
        Ok((codes, session)) => {
            let mut layout = Layout::for_session("Save your recovery codes", &state, &s.ctx);
            layout.csrf = session.csrf_token.clone();
            with_session(
                render(StatusCode::OK, &RecoveryPage { layout, codes }),
                &session,
                state.cfg.secure_cookies,
            )
        }
        Err(AppError::Invalid(errors)) => {
            // The pending secret stays; show it again with the error.
            match state.app.start_mfa_enrolment(&s.ctx).await {
                Ok(e) => render(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &EnrolPage {
                        layout: Layout::for_session(
                            "Set up multi-factor authentication",
                            &state,
                            &s.ctx,
                        )
                        .with_errors(errors),
                        secret: e.secret_base32,
                        qr_svg: e.qr_svg,
                    },
                ),
                Err(e) => WebError::html(e).into_response(),
            }
        }
        Err(e) => WebError::html(e).into_response(),
    }
}

// ---- home -----------------------------------------------------------------------------------------

/// A link on a role's home page.
pub(crate) struct Card {
    pub(crate) title: &'static str,
    pub(crate) href: &'static str,
    pub(crate) text: &'static str,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    intro: &'static str,
    cards: Vec<Card>,
    /// For privacy officers: MFA resets in the last 30 days as (when, by whom, user id).
    mfa_resets: Option<Vec<(String, String, String)>>,
}

fn cards_for(role: Role) -> (&'static str, Vec<Card>) {
    let find = Card {
        title: "Find a person",
        href: "/people",
        text: "Search by NHS number, by family name and date of birth, or by postcode. Every search and every record you open is recorded.",
    };
    let figures = Card {
        title: "Partnership figures",
        href: "/dashboard",
        text: "Monthly crisis contacts and section 136 detentions across the partnership, as statistical process control charts.",
    };
    let orgs = Card {
        title: "Organisations",
        href: "/organisations",
        text: "Who is in the partnership.",
    };
    match role {
        Role::Responder => (
            "Find the person's crisis information quickly, and only what your organisation may see.",
            vec![find, orgs],
        ),
        Role::TriageClinician | Role::CrisisClinician | Role::PlaceOfSafetyCoordinator => (
            "Find people, see what is shared with your organisation, and follow the partnership's figures.",
            vec![find, figures, orgs],
        ),
        Role::PrivacyOfficer => (
            "Check who looked at what, and review every break-glass access.",
            vec![
                Card {
                    title: "Audit log",
                    href: "/privacy/audit",
                    text: "Search every read and change by person, user, organisation and date.",
                },
                Card {
                    title: "Break-glass reviews",
                    href: "/privacy/break-glass",
                    text: "Accesses made in an emergency with a reason, waiting for your review.",
                },
                figures,
            ],
        ),
        Role::Administrator => (
            "Look after organisations, accounts and records.",
            vec![
                find,
                orgs,
                figures,
                Card {
                    title: "Sign-in locks",
                    href: "/admin/sign-in-locks",
                    text: "Accounts and addresses refused for now after too many failed sign-ins, and until when.",
                },
            ],
        ),
        Role::Analyst
        | Role::AllianceCoordinator
        | Role::AllianceMember
        | Role::ExpertByExperience => (
            "See how the partnership is doing. Nobody can be identified from these figures.",
            vec![figures, orgs],
        ),
    }
}

pub async fn home(State(state): St, s: Signed) -> Response {
    let Some(role) = s.ctx.membership.as_ref().map(|m| m.role) else {
        return WebError::html(AppError::invalid(
            "membership",
            "your account has no role yet: ask your administrator",
        ))
        .into_response();
    };
    let (intro, mut cards) = cards_for(role);
    cards.extend(crate::plans_pages::cards(role));
    cards.extend(crate::ops_pages::cards(role));
    cards.extend(crate::admin::cards(role));
    cards.extend(crate::alliance_pages::cards(role));
    // The privacy officer is told of every MFA reset: listed here until there is an inbox.
    let mut mfa_resets = None;
    if concordat_domain::policy::may(role, concordat_domain::policy::Action::ViewAudit)
        && let Ok(actor) = s.actor()
    {
        match state.app.recent_mfa_resets(&actor, 30).await {
            Ok(rows) => {
                mfa_resets = Some(
                    rows.into_iter()
                        .map(|r| (fmt_ms(r.at), r.by, r.user_id.unwrap_or_default()))
                        .collect(),
                )
            }
            Err(e) => return WebError::html(e).into_response(),
        }
    }
    render(
        StatusCode::OK,
        &HomePage {
            layout: Layout::for_session(&format!("Home: {}", role.label()), &state, &s.ctx),
            intro,
            cards,
            mfa_resets,
        },
    )
}

// ---- people -----------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    input: SearchInputView,
    searched: bool,
    results: Vec<PersonSummary>,
    /// More people matched than are shown.
    more: bool,
    /// What was searched for, in words ("NHS number 943 476 5919"), for "No one matches …".
    described: String,
}

/// The search's filled-in fields in words, as typed (the template escapes them).
fn describe_search(input: &SearchInput) -> String {
    let parts: Vec<String> = [
        ("NHS number", &input.nhs_number),
        ("family name", &input.family_name),
        ("date of birth", &input.date_of_birth),
        ("postcode", &input.postcode),
    ]
    .iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .map(|(label, v)| format!("{label} {}", v.trim()))
    .collect();
    parts.join(" and ")
}

#[derive(Default)]
struct SearchInputView {
    nhs_number: String,
    family_name: String,
    date_of_birth: String,
    postcode: String,
}

pub async fn search(State(state): St, s: Signed, Query(input): Query<SearchInput>) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let view = SearchInputView {
        nhs_number: input.nhs_number.clone(),
        family_name: input.family_name.clone(),
        date_of_birth: input.date_of_birth.clone(),
        postcode: input.postcode.clone(),
    };
    let layout = Layout::for_session("Find a person", &state, &s.ctx);
    let empty = [
        &input.nhs_number,
        &input.family_name,
        &input.date_of_birth,
        &input.postcode,
    ]
    .iter()
    .all(|v| v.trim().is_empty());
    if empty {
        return render(
            StatusCode::OK,
            &SearchPage {
                layout,
                input: view,
                searched: false,
                results: vec![],
                more: false,
                described: String::new(),
            },
        );
    }
    match state.app.search_people(&actor, &input).await {
        // An NHS number names one person: when the app found exactly one the user may see (decided and
        // audited per person there), go straight to that person's page instead of a one-row list.
        Ok(found)
            if !input.nhs_number.trim().is_empty() && found.people.len() == 1 && !found.more =>
        {
            Redirect::to(&format!("/people/{}", found.people[0].id)).into_response()
        }
        Ok(found) => render(
            StatusCode::OK,
            &SearchPage {
                layout,
                input: view,
                searched: true,
                results: found.people,
                more: found.more,
                described: describe_search(&input),
            },
        ),
        Err(AppError::Invalid(errors)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SearchPage {
                layout: layout.with_errors(errors),
                input: view,
                searched: false,
                results: vec![],
                more: false,
                described: String::new(),
            },
        ),
        Err(e) => WebError::html(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    layout: Layout,
    p: PersonView,
    plan: Option<concordat_app::plans::PlanView>,
    may_edit: bool,
    consent: Option<concordat_domain::consent::PlanConsent>,
}

#[derive(Template)]
#[template(path = "person_denied.html")]
struct DeniedPage {
    layout: Layout,
    id: i64,
    reason: String,
    may_break_glass: bool,
}

fn person_result(
    state: &AppState,
    s: &Signed,
    id: i64,
    r: Result<concordat_app::plans::PersonLookup, AppError>,
    errors: Vec<FieldError>,
) -> Response {
    match r {
        Ok(l) => {
            let title = format!("{} {}", l.person.given_name, l.person.family_name);
            render(
                if errors.is_empty() {
                    StatusCode::OK
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                },
                &PersonPage {
                    layout: Layout::for_session(&title, state, &s.ctx).with_errors(errors),
                    p: l.person,
                    plan: l.plan,
                    may_edit: l.may_edit,
                    consent: l.consent,
                },
            )
        }
        Err(AppError::Denied(reason)) => {
            let role = s.ctx.membership.as_ref().map(|m| m.role);
            let may_break_glass = reason.break_glass_may_override()
                && matches!(
                    role,
                    Some(
                        Role::Responder
                            | Role::TriageClinician
                            | Role::CrisisClinician
                            | Role::PlaceOfSafetyCoordinator
                    )
                );
            render(
                // A break-glass form sent back with a field error is invalid input, not a new refusal.
                if errors.is_empty() {
                    StatusCode::FORBIDDEN
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                },
                &DeniedPage {
                    layout: Layout::for_session("You cannot see this record", state, &s.ctx)
                        .with_errors(errors),
                    id,
                    reason: reason.to_string(),
                    may_break_glass,
                },
            )
        }
        Err(e) => WebError::html(e).into_response(),
    }
}

/// The responder's lookup: identity and the crisis plan sections this actor may see (one audit event).
pub async fn person(State(state): St, s: Signed, Path(id): Path<i64>) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let r = state.app.person_lookup(&actor, PersonId(id), None).await;
    person_result(&state, &s, id, r, vec![])
}

#[derive(Deserialize)]
pub struct BreakGlassForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    csrf: String,
}

pub async fn person_break_glass(
    State(state): St,
    s: Signed,
    Path(id): Path<i64>,
    Form(form): Form<BreakGlassForm>,
) -> Response {
    if let Err(e) = check_csrf(&s.ctx, &form.csrf) {
        return e.into_response();
    }
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    if form.reason.trim().chars().count() < 10 {
        let r = state.app.person_lookup(&actor, PersonId(id), None).await;
        return person_result(
            &state,
            &s,
            id,
            r,
            vec![FieldError::new(
                "reason",
                "say why you need to see this, in at least 10 characters",
            )],
        );
    }
    let r = state
        .app
        .person_lookup(&actor, PersonId(id), Some(form.reason.trim()))
        .await;
    person_result(&state, &s, id, r, vec![])
}

// ---- partnership pages --------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    d: concordat_app::dashboard::Dashboard,
}

/// The partnership dashboard: the app works out every figure; this only renders it.
pub async fn dashboard(State(state): St, s: Signed) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let today = concordat_domain::mha::london_date(chrono::Utc::now());
    match state.app.dashboard(&actor, today).await {
        Ok(d) => render(
            StatusCode::OK,
            &DashboardPage {
                layout: Layout::for_session("Partnership figures", &state, &s.ctx),
                d,
            },
        ),
        Err(e) => WebError::html(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "organisations.html")]
struct OrganisationsPage {
    layout: Layout,
    orgs: Vec<concordat_domain::model::Organisation>,
    agreements: Vec<concordat_app::admin::AgreementView>,
}

pub async fn organisations(State(state): St, s: Signed) -> Response {
    let (orgs, agreements) = match (
        state.app.organisations().await,
        state.app.agreements().await,
    ) {
        (Ok(o), Ok(a)) => (o, a),
        (Err(e), _) | (_, Err(e)) => return WebError::html(e).into_response(),
    };
    let layout = Layout::for_session("Organisations", &state, &s.ctx);
    render(
        StatusCode::OK,
        &OrganisationsPage {
            layout,
            orgs,
            agreements,
        },
    )
}

#[derive(Template)]
#[template(path = "sign_in_locks.html")]
struct SignInLocksPage {
    layout: Layout,
    locks: Vec<concordat_app::auth::SignInLock>,
}

/// Administrators: who is locked out of signing in now, and until when.
pub async fn sign_in_locks(State(state): St, s: Signed) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    match state.app.sign_in_locks(&actor).await {
        Ok(locks) => render(
            StatusCode::OK,
            &SignInLocksPage {
                layout: Layout::for_session("Sign-in locks", &state, &s.ctx),
                locks,
            },
        ),
        Err(e) => WebError::html(e).into_response(),
    }
}

// ---- privacy officer ------------------------------------------------------------------------------

struct AuditRow {
    seq: i64,
    at: String,
    username: String,
    role: String,
    action: String,
    outcome: String,
    person_id: String,
    reason: String,
    break_glass: bool,
}

pub(crate) fn fmt_ms(ms: i64) -> String {
    use chrono::TimeZone;
    chrono::Utc
        .timestamp_millis_opt(ms)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

fn audit_row(e: &concordat_domain::audit::AuditEvent) -> AuditRow {
    AuditRow {
        seq: e.seq,
        at: fmt_ms(e.draft.at),
        username: e.draft.username.clone(),
        role: e
            .draft
            .role
            .as_deref()
            .and_then(Role::from_code)
            .map(|r| r.label().to_string())
            .unwrap_or_default(),
        action: e.draft.action.clone(),
        outcome: e.draft.outcome.code().to_string(),
        person_id: e.draft.person_id.map(|p| p.to_string()).unwrap_or_default(),
        reason: e.draft.reason.clone().unwrap_or_default(),
        break_glass: e.draft.break_glass,
    }
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    person_id: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    fields: Vec<(&'static str, &'static str, String)>,
    rows: Vec<AuditRow>,
}

fn audit_fields(q: &AuditQuery) -> Vec<(&'static str, &'static str, String)> {
    vec![
        ("person_id", "Person number", q.person_id.clone()),
        ("username", "Username", q.username.clone()),
        ("org_id", "Organisation number", q.org_id.clone()),
        ("from", "From date", q.from.clone()),
        ("to", "To date", q.to.clone()),
    ]
}

fn parse_filter(
    q: &AuditQuery,
    user_id: Option<i64>,
) -> Result<concordat_store::AuditFilter, Vec<FieldError>> {
    let mut errs = Vec::new();
    let mut id = |field: &str, v: &str| -> Option<i64> {
        let v = v.trim();
        if v.is_empty() {
            return None;
        }
        v.parse()
            .map_err(|_| errs.push(FieldError::new(field, "enter a number")))
            .ok()
    };
    let person_id = id("person_id", &q.person_id);
    let org_id = id("org_id", &q.org_id);
    let mut date = |field: &str, v: &str| -> Option<i64> {
        let v = v.trim();
        if v.is_empty() {
            return None;
        }
        concordat_app::people::parse_date_input(field, v)
            .map_err(|e| errs.push(e))
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc().timestamp_millis())
    };
    let from_ms = date("from", &q.from);
    // "to" is inclusive of the whole day.
    let to_ms = date("to", &q.to).map(|t| t + 86_400_000);
    if errs.is_empty() {
        Ok(concordat_store::AuditFilter {
            person_id,
            user_id,
            org_id,
            from_ms,
            to_ms,
            break_glass_only: false,
            limit: 500,
        })
    } else {
        Err(errs)
    }
}

pub async fn audit(State(state): St, s: Signed, Query(q): Query<AuditQuery>) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let layout = Layout::for_session("Audit log", &state, &s.ctx);
    let user_id = match q.username.trim() {
        "" => None,
        name => match state.app.user_id_by_username(&actor, name).await {
            Ok(Some(id)) => Some(id.0),
            Ok(None) => {
                let errors = vec![FieldError::new("username", "no user has that username")];
                let page = AuditPage {
                    layout: layout.with_errors(errors),
                    fields: audit_fields(&q),
                    rows: vec![],
                };
                return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
            }
            Err(e) => return WebError::html(e).into_response(),
        },
    };
    let filter = match parse_filter(&q, user_id) {
        Ok(f) => f,
        Err(errors) => {
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &AuditPage {
                    layout: layout.with_errors(errors),
                    fields: audit_fields(&q),
                    rows: vec![],
                },
            );
        }
    };
    match state.app.audit_search(&actor, &filter).await {
        Ok(events) => render(
            StatusCode::OK,
            &AuditPage {
                layout,
                fields: audit_fields(&q),
                rows: events.iter().map(audit_row).collect(),
            },
        ),
        Err(e) => WebError::html(e).into_response(),
    }
}

struct QueueItem {
    row: AuditRow,
    reviewed: Option<String>,
}

#[derive(Template)]
#[template(path = "break_glass.html")]
struct QueuePage {
    layout: Layout,
    items: Vec<QueueItem>,
    outcomes: &'static [(&'static str, &'static str)],
    /// The access whose review form the errors belong to.
    error_seq: Option<i64>,
}

impl QueuePage {
    /// The error for `field` on access `seq`'s form, if that form was the one refused.
    fn error_on(&self, seq: &i64, field: &str) -> Option<&str> {
        if self.error_seq != Some(*seq) {
            return None;
        }
        let id = format!("{field}-{seq}");
        self.layout
            .errors
            .iter()
            .find(|e| e.field == id || e.field.starts_with(&format!("{id}-")))
            .map(|e| e.message.as_str())
    }
}

pub async fn break_glass_queue(State(state): St, s: Signed) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    queue_page(&state, &s, &actor, None, vec![]).await
}

/// The queue, with `errors` shown on the review form of access `error_seq` when a review was refused.
async fn queue_page(
    state: &AppState,
    s: &Signed,
    actor: &concordat_domain::policy::Actor,
    error_seq: Option<i64>,
    errors: Vec<FieldError>,
) -> Response {
    match state.app.break_glass_queue(actor).await {
        Ok(items) => {
            let items = items
                .into_iter()
                .map(|i| QueueItem {
                    row: audit_row(&i.event),
                    reviewed: i.reviewed_by.map(|by| {
                        format!(
                            "{} by {by} on {}",
                            i.outcome.unwrap_or_default(),
                            fmt_ms(i.reviewed_at.unwrap_or_default())
                        )
                    }),
                })
                .collect();
            render(
                if errors.is_empty() {
                    StatusCode::OK
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                },
                &QueuePage {
                    layout: Layout::for_session("Break-glass reviews", state, &s.ctx)
                        .with_errors(errors),
                    items,
                    outcomes: concordat_app::privacy::REVIEW_OUTCOMES,
                    error_seq,
                },
            )
        }
        Err(e) => WebError::html(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    csrf: String,
}

pub async fn break_glass_review(
    State(state): St,
    s: Signed,
    Path(seq): Path<i64>,
    Form(form): Form<ReviewForm>,
) -> Response {
    if let Err(e) = check_csrf(&s.ctx, &form.csrf) {
        return e.into_response();
    }
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    match state
        .app
        .review_break_glass(&actor, seq, &form.outcome, &form.notes)
        .await
    {
        Ok(()) => Redirect::to("/privacy/break-glass").into_response(),
        // Sent back on the same form: the summary links to this access's fields (their ids carry the
        // access number; the outcome links to its first radio button).
        Err(AppError::Invalid(errors)) => {
            let errors = errors
                .into_iter()
                .map(|e| {
                    let field = match e.field.as_str() {
                        "outcome" => format!(
                            "outcome-{seq}-{}",
                            concordat_app::privacy::REVIEW_OUTCOMES
                                .first()
                                .map(|(code, _)| *code)
                                .unwrap_or_default()
                        ),
                        "notes" => format!("notes-{seq}"),
                        other => other.to_string(),
                    };
                    FieldError::new(&field, e.message)
                })
                .collect();
            queue_page(&state, &s, &actor, Some(seq), errors).await
        }
        Err(e) => WebError::html(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "access_history.html")]
struct HistoryPage {
    layout: Layout,
    person_id: i64,
    rows: Vec<HistoryRow>,
    printed: String,
    /// Every event that names the person, on all pages.
    total: i64,
    page: i64,
    pages: i64,
}

/// One line of a person's access history, in words they can read.
struct HistoryRow {
    row: AuditRow,
    organisation: String,
    what: String,
}

/// What an access was, in plain words (the audit action code stays in the audit log).
fn access_what(e: &concordat_domain::audit::AuditEvent) -> String {
    let categories = |rid: &Option<String>| -> String {
        rid.as_deref()
            .and_then(|r| r.split_once(": ").map(|(_, c)| c))
            .map(|c| {
                c.split(", ")
                    .filter_map(concordat_domain::DataCategory::from_code)
                    .map(|c| c.label())
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default()
    };
    match e.draft.action.as_str() {
        "person.view.plan" => format!(
            "Looked at the crisis plan ({})",
            categories(&e.draft.resource_id)
        ),
        "person.view.identity" => "Looked at identity and contact details".into(),
        "person.search_result" => "Found the person in a search".into(),
        "person.view.plan_editor" => "Opened the crisis plan to edit it".into(),
        "person.edit.plan" => "Saved a new version of the crisis plan".into(),
        "person.view.plan_conflict" => "Saw the current plan after a refused save".into(),
        "person.edit.consent" => "Recorded a decision about sharing".into(),
        "person.view.plan_history" | "person.view.plan_version" => {
            "Looked at earlier versions of the crisis plan".into()
        }
        "person.export.fhir" => format!(
            "Exported the record (FHIR: {})",
            e.draft.resource_id.clone().unwrap_or_default()
        ),
        "person.view.identity.board" => "Saw the name on the detentions board".into(),
        "person.view.identity.episode" => "Saw the name on a detention record".into(),
        "person.view.identity.support_list" => {
            "Saw the name on the repeated-contact support list".into()
        }
        "person.choose.episode" => "Linked the record to a detention".into(),
        "person.choose.contact" => "Linked the record to a crisis contact".into(),
        "episode.board" => "Saw a detention on the detentions board".into(),
        "episode.view" => "Opened a detention record".into(),
        "episode.create" => "Recorded a detention".into(),
        "episode.update" => "Recorded a step of a detention".into(),
        "contact.view" => "Opened a crisis contact record".into(),
        "contact.list" => "Saw a crisis contact in a list of contacts".into(),
        "contact.create" => "Recorded a crisis contact".into(),
        "contact.update" => "Saved a new version of a crisis contact".into(),
        "repeat_contact.view" => "Was listed for support after repeated crisis contact".into(),
        "audit.search" => "Privacy officer read the audit trail about this person".into(),
        other => other.to_string(),
    }
}

/// `?page=N` on the access history (1 when absent).
#[derive(Deserialize)]
pub struct HistoryQuery {
    #[serde(default)]
    page: Option<String>,
}

pub async fn access_history(
    State(state): St,
    s: Signed,
    Path(id): Path<i64>,
    Query(q): Query<HistoryQuery>,
) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let page = match q.page.as_deref().map(str::trim) {
        None | Some("") => 1,
        Some(p) => match p.parse::<i64>() {
            Ok(n) => n,
            Err(_) => {
                return WebError::html(AppError::invalid("page", "use a page number of 1 or more"))
                    .into_response();
            }
        },
    };
    let orgs: std::collections::HashMap<i64, String> = match state.app.organisations().await {
        Ok(list) => list.into_iter().map(|o| (o.id.0, o.name)).collect(),
        Err(e) => return WebError::html(e).into_response(),
    };
    match state.app.access_history(&actor, PersonId(id), page).await {
        Ok(h) => render(
            StatusCode::OK,
            &HistoryPage {
                layout: Layout::for_session("Access history", &state, &s.ctx),
                person_id: id,
                rows: h
                    .events
                    .iter()
                    .map(|e| HistoryRow {
                        row: audit_row(e),
                        organisation: e
                            .draft
                            .org_id
                            .and_then(|o| orgs.get(&o).cloned())
                            .unwrap_or_default(),
                        what: access_what(e),
                    })
                    .collect(),
                printed: fmt_ms(chrono::Utc::now().timestamp_millis()),
                total: h.total,
                page: h.page,
                pages: h.pages,
            },
        ),
        Err(e) => WebError::html(e).into_response(),
    }
}

// ---- plumbing -------------------------------------------------------------------------------------

pub async fn readyz(State(state): St) -> Response {
    if state.app.store.ping().await {
        (StatusCode::OK, "ready").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
    }
}

pub async fn not_found() -> WebError {
    WebError::html(AppError::NotFound)
}

pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/style.css"),
    )
        .into_response()
}

pub async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/app.js"),
    )
        .into_response()
}
