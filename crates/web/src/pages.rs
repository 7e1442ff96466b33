//! HTML pages. Each handler parses its input, calls one app function and renders a template.

use crate::AppState;
use crate::dates::filters;
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
use concordat_domain::policy::{Action, DenyReason, may};
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
    /// A confirmation to show once at the top of the page ("Crisis plan saved"), after a redirect
    /// from a form that saved something (see [`Saved`]).
    pub notice: Option<&'static str>,
    /// A back link above the page's heading: (href, words such as "Back to find a person").
    pub back: Option<(String, String)>,
}

/// What a form saved, passed to the page it redirects to as `?saved=<code>` so that page confirms it in
/// words. Only these codes are known: a link with any other value shows nothing, so the confirmation
/// cannot be used to put other words on a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Saved {
    Plan,
    Consent,
    Contact,
    Detention,
    Identity,
}

impl Saved {
    pub(crate) const ALL: [Saved; 5] = [
        Saved::Plan,
        Saved::Consent,
        Saved::Contact,
        Saved::Detention,
        Saved::Identity,
    ];

    pub(crate) fn code(self) -> &'static str {
        match self {
            Saved::Plan => "plan",
            Saved::Consent => "consent",
            Saved::Contact => "contact",
            Saved::Detention => "detention",
            Saved::Identity => "identity",
        }
    }

    fn message(self) -> &'static str {
        match self {
            Saved::Plan => "Crisis plan saved. The new version is shown below.",
            Saved::Consent => "Consent recorded. Sharing follows the person's choice from now on.",
            Saved::Contact => "Crisis contact saved.",
            Saved::Detention => "Detention record saved.",
            Saved::Identity => "Name and details saved. The earlier version is kept.",
        }
    }

    /// `path` with the flag that makes it confirm this save, before any `#fragment`.
    pub(crate) fn redirect(self, path: &str) -> Redirect {
        let (base, fragment) = match path.split_once('#') {
            Some((b, f)) => (b, format!("#{f}")),
            None => (path, String::new()),
        };
        Redirect::to(&format!("{base}?saved={}{fragment}", self.code()))
    }

    fn from_query(query: &str) -> Option<Saved> {
        let value = query
            .split('&')
            .find_map(|pair| pair.strip_prefix("saved="))?;
        Saved::ALL.into_iter().find(|s| s.code() == value)
    }
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
            notice: NOTICE
                .try_with(|n| n.map(Saved::message))
                .unwrap_or_default(),
            back: None,
        }
    }

    /// With a back link above the heading.
    pub(crate) fn with_back(mut self, href: &str, words: &str) -> Self {
        self.back = Some((href.to_string(), words.to_string()));
        self
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
    /// What the request's `?saved=` flag confirms, if anything (set by [`current_page`]).
    static NOTICE: Option<Saved>;
}

/// Middleware: makes the request's path known to the page layout, for `aria-current` in the navigation.
pub(crate) async fn current_page(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path().to_string();
    let notice = req.uri().query().and_then(Saved::from_query);
    CURRENT_PATH
        .scope(path, NOTICE.scope(notice, next.run(req)))
        .await
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

/// The navigation for a role. Every link is chosen by the access policy (`policy::may`), never by a
/// list of roles kept here: a role sees a link only when the policy would let it use the page. It grants
/// nothing; every request is still decided in the app layer.
fn nav_for(role: Role) -> Vec<(&'static str, &'static str)> {
    let mut nav = vec![("/home", "Home")];
    if may(role, Action::SearchPeople) {
        nav.push(("/people", "Find a person"));
    }
    if may(role, Action::ViewAudit) {
        nav.push(("/privacy/audit", "Audit log"));
    }
    if may(role, Action::ReviewBreakGlass) {
        nav.push(("/privacy/break-glass", "Break-glass reviews"));
    }
    nav.extend(crate::plans_pages::nav(role));
    nav.extend(crate::ops_pages::nav(role));
    nav.extend(crate::admin::nav(role));
    nav.extend(crate::agreements::nav(role));
    nav.extend(crate::alliance_pages::nav(role));
    if may(role, Action::ViewAggregates) {
        nav.push(("/dashboard", "Partnership figures"));
    }
    // Who is in the partnership is shown to everyone signed in (names, kinds, agreements).
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

/// A form post's CSRF check, then the actor it acts as: what every form handler does first.
pub(crate) fn csrf_actor(
    s: &Signed,
    submitted: &str,
) -> Result<concordat_domain::policy::Actor, WebError> {
    check_csrf(&s.ctx, submitted)?;
    s.actor()
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

/// The home page's introduction and cards for a role. Like the navigation, each card is chosen by the
/// access policy (`policy::may`), so a role is offered only what it can do.
fn cards_for(role: Role) -> (&'static str, Vec<Card>) {
    let mut cards = Vec::new();
    if may(role, Action::SearchPeople) {
        cards.push(Card {
            title: "Find a person",
            href: "/people",
            text: "Search by NHS number, by family name and date of birth, or by postcode. Every search and every record you open is recorded.",
        });
    }
    if may(role, Action::ViewAudit) {
        cards.push(Card {
            title: "Audit log",
            href: "/privacy/audit",
            text: "Search every read and change by person, user, organisation and date.",
        });
    }
    if may(role, Action::ReviewBreakGlass) {
        cards.push(Card {
            title: "Break-glass reviews",
            href: "/privacy/break-glass",
            text: "Accesses made in an emergency with a reason, waiting for your review.",
        });
    }
    if may(role, Action::ManageUsers) {
        cards.push(Card {
            title: "Sign-in locks",
            href: "/admin/sign-in-locks",
            text: "Accounts and addresses refused for now after too many failed sign-ins, and until when.",
        });
    }
    if may(role, Action::ViewAggregates) {
        cards.push(Card {
            title: "Partnership figures",
            href: "/dashboard",
            text: "How many crisis contacts and section 136 detentions there are each month across the partnership, and whether that is changing. Nobody can be identified from them.",
        });
    }
    cards.push(Card {
        title: "Organisations",
        href: "/organisations",
        text: "Who is in the partnership, and the data sharing agreements between them.",
    });
    (intro_for(role), cards)
}

/// One sentence saying what the role is here to do, from what the policy lets it do.
fn intro_for(role: Role) -> &'static str {
    if may(role, Action::ViewAudit) {
        "Check who looked at what, and review every break-glass access."
    } else if may(role, Action::ManageUsers) {
        "Look after your organisation's accounts and details."
    } else if may(role, Action::SearchPeople) {
        "Find the person's crisis information quickly, and only what your organisation may see."
    } else {
        "See how the partnership is doing. Nobody can be identified from these figures."
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
    cards.extend(crate::agreements::cards(role));
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
    /// Where a result leads: the person's page, or for a privacy officer their access history.
    open_prefix: &'static str,
    open_suffix: &'static str,
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
    // A privacy officer finds someone to open their access history; everyone else, their record.
    let (open_prefix, open_suffix) =
        if s.ctx.membership.as_ref().map(|m| m.role) == Some(Role::PrivacyOfficer) {
            ("/privacy/people/", "/access-history")
        } else {
            ("/people/", "")
        };
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
                open_prefix,
                open_suffix,
            },
        );
    }
    match state.app.search_people(&actor, &input).await {
        // An NHS number names one person: when the app found exactly one the user may see (decided and
        // audited per person there), go straight to that person's page instead of a one-row list.
        Ok(found)
            if !input.nhs_number.trim().is_empty() && found.people.len() == 1 && !found.more =>
        {
            Redirect::to(&format!("{open_prefix}{}{open_suffix}", found.people[0].id))
                .into_response()
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
                open_prefix,
                open_suffix,
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
                open_prefix,
                open_suffix,
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
    /// "Change name and details": the policy's `EditPerson` (own organisation).
    may_edit_identity: bool,
    consent: Option<concordat_domain::consent::PlanConsent>,
    /// The holding service's crisis line as written and as a `tel:` number.
    crisis_line: Option<(String, String)>,
    /// "Record a contact" and "Record a detention" about this person, for roles the policy lets record them.
    may_record_contact: bool,
    may_record_detention: bool,
    /// Their crisis contacts that this user may see (`None` for roles that do not work with contacts).
    contacts: Option<Vec<concordat_app::operations::ContactLine>>,
    /// A link to their care team, for the owning organisation's clinicians and administrators (ManageCareTeam).
    may_manage_care_team: bool,
}

impl PersonPage {
    fn contact_when(&self, c: &concordat_app::operations::ContactLine) -> String {
        crate::dates::ms_short(c.called_at)
    }
}

#[derive(Template)]
#[template(path = "person_denied.html")]
struct DeniedPage {
    layout: Layout,
    id: i64,
    reason: String,
    may_break_glass: bool,
}

async fn person_result(
    state: &AppState,
    s: &Signed,
    id: i64,
    r: Result<concordat_app::plans::PersonLookup, AppError>,
    errors: Vec<FieldError>,
) -> Response {
    match r {
        Ok(l) => {
            let title = format!("{} {}", l.person.given_name, l.person.family_name);
            let role = s.ctx.membership.as_ref().map(|m| m.role);
            let may = |a: concordat_domain::policy::Action| {
                role.is_some_and(|r| concordat_domain::policy::may(r, a))
            };
            let may_record_contact = may(concordat_domain::policy::Action::RecordContact);
            let may_record_detention = may(concordat_domain::policy::Action::RecordDetention);
            // Their contact history, each contact decided, the history audited as one disclosure.
            let contacts = match (may_record_contact, s.actor()) {
                (true, Ok(actor)) => state.app.person_contacts(&actor, l.person.id).await.ok(),
                _ => None,
            };
            let may_manage_care_team = match s.actor() {
                Ok(actor) if may(concordat_domain::policy::Action::ManageCareTeam) => state
                    .app
                    .may_manage_care_team(&actor, PersonId(l.person.id))
                    .await
                    .unwrap_or(false),
                _ => false,
            };
            render(
                if errors.is_empty() {
                    StatusCode::OK
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                },
                &PersonPage {
                    layout: Layout::for_session(&title, state, &s.ctx)
                        .with_back("/people", "Back to find a person")
                        .with_errors(errors),
                    p: l.person,
                    plan: l.plan,
                    may_edit: l.may_edit,
                    may_edit_identity: l.may_edit_identity,
                    consent: l.consent,
                    crisis_line: l.crisis_line.map(|line| {
                        let tel = line
                            .chars()
                            .filter(|c| c.is_ascii_digit() || *c == '+')
                            .collect();
                        (line, tel)
                    }),
                    may_record_contact,
                    may_record_detention,
                    contacts,
                    may_manage_care_team,
                },
            )
        }
        Err(AppError::Denied(reason)) => {
            let role = s.ctx.membership.as_ref().map(|m| m.role);
            let may_break_glass = reason.break_glass_may_override()
                && role.is_some_and(concordat_domain::policy::may_break_glass);
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
    person_result(&state, &s, id, r, vec![]).await
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
    let actor = match crate::pages::csrf_actor(&s, &form.csrf) {
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
        )
        .await;
    }
    let r = state
        .app
        .person_lookup(&actor, PersonId(id), Some(form.reason.trim()))
        .await;
    person_result(&state, &s, id, r, vec![]).await
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

/// An instant for a table, in UK time: "7 Dec 2026 16:26" (`crate::dates`).
pub(crate) fn fmt_ms(ms: i64) -> String {
    crate::dates::ms_short(ms)
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
