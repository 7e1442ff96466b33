//! Administration pages under `/admin/…` (users, invitations, organisations), the invitation acceptance
//! page `/invite`, and `/account/role` for choosing which membership to act in.
//! Thin handlers: parse, one app call, render. The app decides and audits; links shown here follow
//! `concordat_domain::policy::may` and never grant anything.

use crate::AppState;
use crate::Route;
use crate::error::{WebError, status_of};
use crate::extract::{AnySession, CSRF_COOKIE, ClientAddr, Signed, cookie, csrf_ok};
use crate::pages::{Card, Layout, St, check_csrf, fmt_ms, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use concordat_app::auth::{NextStep, SessionKind};
use concordat_app::members::{
    AcceptInput, InvitationInput, InvitationView, OrgInput, OrgView, UserView,
};
use concordat_app::{AppError, FieldError};
use concordat_domain::model::{MembershipId, OrgId, UserId};
use concordat_domain::policy::{self, Action, Actor};
use concordat_domain::{OrgKind, Role};
use serde::Deserialize;

use crate::security::RequestId;

/// Routes for these pages (merged into the main router).
pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/admin", || async { Redirect::to("/admin/users") }),
        Route::get("/admin/users", users),
        Route::get("/admin/users/{id}", user),
        Route::post("/admin/users/{id}/{op}", user_op),
        Route::get("/admin/invitations/new", invite_form),
        Route::post("/admin/invitations", invite_create),
        Route::post("/admin/invitations/{id}/cancel", invite_cancel),
        Route::get("/admin/organisations", orgs),
        Route::post("/admin/organisations", org_create),
        Route::get("/admin/organisations/new", org_new),
        Route::get("/admin/organisations/{id}", org_edit),
        Route::post("/admin/organisations/{id}", org_update),
        Route::post("/admin/organisations/{id}/{op}", org_op),
        Route::get("/invite", accept_form),
        Route::post("/invite", accept),
        Route::get("/account/role", roles),
        Route::post("/account/role", choose_role),
    ]
}

/// Navigation links for a role (they hide links; the policy decides access).
pub(crate) fn nav(role: Role) -> Vec<(&'static str, &'static str)> {
    let mut nav = Vec::new();
    if policy::may(role, Action::ManageUsers) {
        nav.push(("/admin/users", "Users"));
    }
    if policy::may(role, Action::ManageOrganisations) {
        nav.push(("/admin/organisations", "Manage organisations"));
    }
    nav
}

/// Home-page cards for a role.
pub(crate) fn cards(role: Role) -> Vec<Card> {
    let mut cards = Vec::new();
    if policy::may(role, Action::ManageUsers) {
        cards.push(Card {
            title: "Users and invitations",
            href: "/admin/users",
            text: "Invite staff, add roles, disable accounts, reset multi-factor authentication and end sessions.",
        });
    }
    if policy::may(role, Action::ManageOrganisations) {
        cards.push(Card {
            title: "Manage organisations",
            href: "/admin/organisations",
            text: "Identifiers, contacts, and deactivating an organisation that leaves the partnership.",
        });
    }
    cards
}

fn role_options() -> Vec<(&'static str, &'static str)> {
    Role::ALL.iter().map(|r| (r.code(), r.label())).collect()
}

fn kind_options() -> Vec<(&'static str, &'static str)> {
    OrgKind::ALL.iter().map(|k| (k.code(), k.label())).collect()
}

fn when(ms: Option<i64>) -> String {
    ms.map(fmt_ms).unwrap_or_else(|| "never".into())
}

// ---- users ------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<UserView>,
    invitations: Vec<InvitationView>,
}

impl UsersPage {
    fn when(&self, ms: &Option<i64>) -> String {
        when(*ms)
    }
    fn expires(&self, ms: &i64) -> String {
        fmt_ms(*ms)
    }
}

async fn users(State(state): St, s: Signed) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let users = match state.app.admin_users(&actor).await {
        Ok(u) => u,
        Err(e) => return WebError::html(e).into_response(),
    };
    let invitations = match state.app.pending_invitations(&actor).await {
        Ok(i) => i,
        Err(e) => return WebError::html(e).into_response(),
    };
    render(
        StatusCode::OK,
        &UsersPage {
            layout: Layout::for_session("Users", &state, &s.ctx),
            users,
            invitations,
        },
    )
}

#[derive(Template)]
#[template(path = "admin/user.html")]
struct UserPage {
    layout: Layout,
    u: UserView,
    done: String,
    orgs: Vec<(i64, String)>,
    roles: Vec<(&'static str, &'static str)>,
    last_sign_in: String,
    form_org: String,
    form_role: String,
}

#[derive(Deserialize, Default)]
struct DoneQuery {
    #[serde(default)]
    done: String,
}

fn done_message(code: &str) -> String {
    match code {
        "disable" => "The account is disabled and all its sessions and API tokens have ended.",
        "enable" => "The account is enabled again. The person signs in with their password.",
        "mfa-reset" => {
            "Multi-factor authentication is reset: the person sets it up again at their next sign-in. The privacy officer has been notified (it is listed on their home page)."
        }
        "revoke-sessions" => "All the account's sessions and API tokens have ended.",
        "memberships" => "The role is added.",
        _ => "",
    }
    .to_string()
}

async fn user_page(
    state: &AppState,
    s: &Signed,
    actor: &Actor,
    id: i64,
    done: &str,
    errors: Vec<FieldError>,
    form: (&str, &str),
) -> Response {
    let u = match state.app.admin_user(actor, UserId(id)).await {
        Ok(u) => u,
        Err(e) => return WebError::html(e).into_response(),
    };
    let orgs = match state.app.manageable_orgs(actor).await {
        Ok(o) => o,
        Err(e) => return WebError::html(e).into_response(),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else if errors.iter().any(|e| e.field == "action") {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let last_sign_in = when(u.last_sign_in);
    render(
        status,
        &UserPage {
            layout: Layout::for_session(&format!("User: {}", u.display_name), state, &s.ctx)
                .with_errors(errors),
            u,
            done: done_message(done),
            orgs,
            roles: role_options(),
            last_sign_in,
            form_org: form.0.to_string(),
            form_role: form.1.to_string(),
        },
    )
}

async fn user(
    State(state): St,
    s: Signed,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    user_page(&state, &s, &actor, id, &q.done, Vec::new(), ("", "")).await
}

#[derive(Deserialize)]
struct UserOpForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    role: String,
}

async fn user_op(
    State(state): St,
    s: Signed,
    Path((id, op)): Path<(i64, String)>,
    Form(form): Form<UserOpForm>,
) -> Response {
    let actor = match crate::pages::csrf_actor(&s, &form.csrf) {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let uid = UserId(id);
    let result = match op.as_str() {
        "disable" => state.app.disable_user(&actor, uid).await,
        "enable" => state.app.enable_user(&actor, uid).await,
        "mfa-reset" => state.app.reset_mfa(&actor, uid).await,
        "revoke-sessions" => state
            .app
            .revoke_user_sessions(&actor, uid)
            .await
            .map(|_| ()),
        "memberships" => {
            state
                .app
                .add_membership(&actor, uid, &form.org_id, &form.role)
                .await
        }
        _ => Err(AppError::NotFound),
    };
    match result {
        Ok(()) => Redirect::to(&format!("/admin/users/{id}?done={op}")).into_response(),
        Err(AppError::Invalid(errors)) => {
            user_page(
                &state,
                &s,
                &actor,
                id,
                "",
                errors,
                (&form.org_id, &form.role),
            )
            .await
        }
        Err(AppError::Conflict(m)) => {
            user_page(
                &state,
                &s,
                &actor,
                id,
                "",
                vec![FieldError::new("action", m)],
                ("", ""),
            )
            .await
        }
        Err(e) => WebError::html(e).into_response(),
    }
}

// ---- invitations --------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin/invite.html")]
struct InvitePage {
    layout: Layout,
    input: InvitationInput,
    orgs: Vec<(i64, String)>,
    roles: Vec<(&'static str, &'static str)>,
    no_org_allowed: bool,
}

#[derive(Template)]
#[template(path = "admin/invited.html")]
struct InvitedPage {
    layout: Layout,
    name: String,
    link: String,
    expires: String,
}

async fn invite_page(
    state: &AppState,
    s: &Signed,
    actor: &Actor,
    input: InvitationInput,
    errors: Vec<FieldError>,
) -> Response {
    let orgs = match state.app.manageable_orgs(actor).await {
        Ok(o) => o,
        Err(e) => return WebError::html(e).into_response(),
    };
    let no_org_allowed = actor.as_user().is_some_and(policy::partnership_wide);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &InvitePage {
            layout: Layout::for_session("Invite someone", state, &s.ctx).with_errors(errors),
            input,
            orgs,
            roles: role_options(),
            no_org_allowed,
        },
    )
}

async fn invite_form(State(state): St, s: Signed) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    // The form is shown only to roles that may invite; the app layer decides each invitation itself.
    if !may_show(&actor, Action::ManageUsers) {
        return WebError::Html(AppError::Denied(policy::DenyReason::RoleNotPermitted))
            .into_response();
    }
    let input = InvitationInput {
        org_id: actor
            .as_user()
            .map(|u| u.org_id.0.to_string())
            .unwrap_or_default(),
        ..Default::default()
    };
    invite_page(&state, &s, &actor, input, Vec::new()).await
}

#[derive(Deserialize)]
struct InviteForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    input: InvitationInput,
}

/// The link a person opens: on the configured public address (`server.public_url`), else absolute
/// when the request says which host it came to (https when cookies are `Secure`, that is behind TLS).
pub(crate) fn absolute(headers: &HeaderMap, path: &str, cfg: &crate::WebConfig) -> String {
    if let Some(base) = &cfg.public_url {
        return format!("{base}{path}");
    }
    let secure = cfg.secure_cookies;
    match headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
        Some(host) => format!("{}://{host}{path}", if secure { "https" } else { "http" }),
        None => path.to_string(),
    }
}

async fn invite_create(
    State(state): St,
    s: Signed,
    headers: HeaderMap,
    Form(form): Form<InviteForm>,
) -> Response {
    let actor = match crate::pages::csrf_actor(&s, &form.csrf) {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    match state.app.create_invitation(&actor, &form.input).await {
        Ok(created) => render(
            StatusCode::CREATED,
            &InvitedPage {
                layout: Layout::for_session("Invitation created", &state, &s.ctx),
                name: form.input.display_name.trim().to_string(),
                link: absolute(&headers, &created.link_path, &state.cfg),
                expires: fmt_ms(created.expires_at),
            },
        ),
        Err(AppError::Invalid(errors)) => invite_page(&state, &s, &actor, form.input, errors).await,
        Err(e) => WebError::html(e).into_response(),
    }
}

async fn invite_cancel(
    State(state): St,
    s: Signed,
    Path(id): Path<i64>,
    Form(form): Form<crate::pages::CsrfOnly>,
) -> Response {
    let actor = match crate::pages::csrf_actor(&s, &form.csrf) {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    match state.app.cancel_invitation(&actor, id).await {
        Ok(()) => Redirect::to("/admin/users").into_response(),
        Err(e) => WebError::html(e).into_response(),
    }
}

// ---- accepting an invitation (no session yet) -----------------------------------------------------------

#[derive(Template)]
#[template(path = "admin/accept.html")]
struct AcceptPage {
    layout: Layout,
    inv: Option<InvitationView>,
    token: String,
    username: String,
    expires: String,
}

#[derive(Deserialize, Default)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

fn pre_session_csrf(headers: &HeaderMap) -> String {
    cookie(headers, CSRF_COOKIE)
        .map(str::to_string)
        .filter(|t| t.len() >= 32)
        .unwrap_or_else(|| {
            format!(
                "{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            )
        })
}

fn with_csrf_cookie(mut res: Response, token: &str, secure: bool) -> Response {
    let secure = if secure { "; Secure" } else { "" };
    if let Ok(v) =
        format!("{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}").parse()
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

async fn accept_form(
    State(state): St,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Response {
    let csrf = pre_session_csrf(&headers);
    let mut layout = Layout::bare("Accept your invitation");
    layout.csrf = csrf.clone();
    layout.demo = state.demo;
    let (inv, status) = match state.app.invitation_for_token(&q.token).await {
        Ok(inv) => (Some(inv), StatusCode::OK),
        Err(AppError::Invalid(errors)) => {
            layout = layout.with_errors(errors);
            (None, StatusCode::NOT_FOUND)
        }
        Err(e) => return WebError::html(e).into_response(),
    };
    let expires = inv
        .as_ref()
        .map(|i| fmt_ms(i.expires_at))
        .unwrap_or_default();
    let res = render(
        status,
        &AcceptPage {
            layout,
            inv,
            token: q.token,
            username: String::new(),
            expires,
        },
    );
    with_csrf_cookie(res, &csrf, state.cfg.secure_cookies)
}

#[derive(Deserialize)]
struct AcceptForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    input: AcceptInput,
}

async fn accept(
    State(state): St,
    headers: HeaderMap,
    ClientAddr(addr): ClientAddr,
    Extension(rid): Extension<RequestId>,
    Form(form): Form<AcceptForm>,
) -> Response {
    let expected = cookie(&headers, CSRF_COOKIE).unwrap_or_default();
    if !csrf_ok(expected, &form.csrf) {
        return WebError::Html(AppError::invalid(
            "csrf",
            "the form expired or came from another site: go back, reload the page and try again",
        ))
        .into_response();
    }
    match state
        .app
        .accept_invitation(&form.input, Some(rid.0.clone()))
        .await
    {
        Ok(_) => {
            // Sign the new user in with the password they chose: roles that see personal data go on to
            // set up multi-factor authentication.
            match state
                .app
                .sign_in(
                    &form.input.username,
                    &form.input.password,
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
                    let mut res = Redirect::to(to).into_response();
                    let secure = if state.cfg.secure_cookies {
                        "; Secure"
                    } else {
                        ""
                    };
                    if let Ok(v) = format!(
                        "{}={}; Path=/; HttpOnly; SameSite=Lax{secure}",
                        crate::extract::SESSION_COOKIE,
                        session.token
                    )
                    .parse()
                    {
                        res.headers_mut().append(header::SET_COOKIE, v);
                    }
                    res
                }
                Err(_) => Redirect::to("/sign-in").into_response(),
            }
        }
        Err(AppError::Invalid(errors)) => {
            let mut layout = Layout::bare("Accept your invitation");
            layout.csrf = form.csrf.clone();
            layout.demo = state.demo;
            let inv = state.app.invitation_for_token(&form.input.token).await.ok();
            let expires = inv
                .as_ref()
                .map(|i| fmt_ms(i.expires_at))
                .unwrap_or_default();
            let status = if inv.is_none() {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            render(
                status,
                &AcceptPage {
                    layout: layout.with_errors(errors),
                    inv,
                    token: form.input.token.clone(),
                    username: form.input.username.clone(),
                    expires,
                },
            )
        }
        Err(e) => WebError::html(e).into_response(),
    }
}

// ---- organisations ------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin/orgs.html")]
struct OrgsPage {
    layout: Layout,
    orgs: Vec<OrgView>,
    may_add: bool,
    own: Option<i64>,
    all: bool,
    done: String,
}

impl OrgsPage {
    fn editable(&self, id: &i64) -> bool {
        self.all || self.own == Some(*id)
    }
}

async fn orgs(State(state): St, s: Signed, Query(q): Query<DoneQuery>) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let Some(user) = actor.as_user() else {
        return WebError::html(AppError::NotFound).into_response();
    };
    if !policy::may(user.role, Action::ManageOrganisations) {
        return WebError::html(AppError::Denied(policy::DenyReason::RoleNotPermitted))
            .into_response();
    }
    let orgs = match state.app.organisation_details(&actor).await {
        Ok(o) => o,
        Err(e) => return WebError::html(e).into_response(),
    };
    let all = policy::partnership_wide(user);
    let done = match q.done.as_str() {
        "deactivate" => "The organisation is deactivated. Its records are kept.",
        "reactivate" => "The organisation is active again.",
        "saved" => "The organisation's details are saved.",
        _ => "",
    };
    render(
        StatusCode::OK,
        &OrgsPage {
            layout: Layout::for_session("Manage organisations", &state, &s.ctx),
            orgs,
            may_add: all,
            own: Some(user.org_id.0),
            all,
            done: done.to_string(),
        },
    )
}

#[derive(Template)]
#[template(path = "admin/org_form.html")]
struct OrgFormPage {
    layout: Layout,
    id: Option<i64>,
    input: OrgInput,
    kinds: Vec<(&'static str, &'static str)>,
    active: bool,
}

fn input_of(o: &OrgView) -> OrgInput {
    OrgInput {
        name: o.name.clone(),
        kind: o.kind.clone(),
        ods_code: o.ods_code.clone().unwrap_or_default(),
        org_identifier: o.org_identifier.clone().unwrap_or_default(),
        contact_name: o.contact_name.clone().unwrap_or_default(),
        contact_email: o.contact_email.clone().unwrap_or_default(),
        contact_phone: o.contact_phone.clone().unwrap_or_default(),
        crisis_line: o.crisis_line.clone().unwrap_or_default(),
    }
}

fn org_form(
    state: &AppState,
    s: &Signed,
    id: Option<i64>,
    input: OrgInput,
    active: bool,
    errors: Vec<FieldError>,
) -> Response {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else if errors.iter().any(|e| e.field == "action") {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let title = if id.is_some() {
        "Edit an organisation"
    } else {
        "Add an organisation"
    };
    render(
        status,
        &OrgFormPage {
            layout: Layout::for_session(title, state, &s.ctx).with_errors(errors),
            id,
            input,
            kinds: kind_options(),
            active,
        },
    )
}

async fn org_new(State(state): St, s: Signed) -> Response {
    match s.actor() {
        Ok(actor) if may_show(&actor, Action::ManageOrganisations) => {}
        Ok(_) => {
            return WebError::Html(AppError::Denied(policy::DenyReason::RoleNotPermitted))
                .into_response();
        }
        Err(e) => return e.into_response(),
    }
    org_form(&state, &s, None, OrgInput::default(), true, Vec::new())
}

/// Whether to show a form for `action` to this actor: hides forms only, grants nothing.
fn may_show(actor: &Actor, action: Action) -> bool {
    actor.as_user().is_none_or(|u| policy::may(u.role, action))
}

#[derive(Deserialize)]
struct OrgForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    input: OrgInput,
}

async fn org_create(State(state): St, s: Signed, Form(form): Form<OrgForm>) -> Response {
    let actor = match crate::pages::csrf_actor(&s, &form.csrf) {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    match state.app.create_organisation(&actor, &form.input).await {
        Ok(_) => Redirect::to("/admin/organisations?done=saved").into_response(),
        Err(AppError::Invalid(errors)) => org_form(&state, &s, None, form.input, true, errors),
        Err(e) => WebError::html(e).into_response(),
    }
}

async fn org_edit(State(state): St, s: Signed, Path(id): Path<i64>) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    match state.app.organisation_detail(&actor, OrgId(id)).await {
        Ok(o) => org_form(&state, &s, Some(id), input_of(&o), o.active, Vec::new()),
        Err(e) => WebError::html(e).into_response(),
    }
}

async fn org_update(
    State(state): St,
    s: Signed,
    Path(id): Path<i64>,
    Form(form): Form<OrgForm>,
) -> Response {
    let actor = match crate::pages::csrf_actor(&s, &form.csrf) {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    match state
        .app
        .update_organisation(&actor, OrgId(id), &form.input)
        .await
    {
        Ok(_) => Redirect::to("/admin/organisations?done=saved").into_response(),
        Err(AppError::Invalid(errors)) => {
            let active = state
                .app
                .organisation_detail(&actor, OrgId(id))
                .await
                .map(|o| o.active)
                .unwrap_or(true);
            org_form(&state, &s, Some(id), form.input, active, errors)
        }
        Err(e) => WebError::html(e).into_response(),
    }
}

async fn org_op(
    State(state): St,
    s: Signed,
    Path((id, op)): Path<(i64, String)>,
    Form(form): Form<crate::pages::CsrfOnly>,
) -> Response {
    let actor = match crate::pages::csrf_actor(&s, &form.csrf) {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let active = match op.as_str() {
        "deactivate" => false,
        "reactivate" => true,
        _ => return WebError::html(AppError::NotFound).into_response(),
    };
    match state
        .app
        .set_organisation_active(&actor, OrgId(id), active)
        .await
    {
        Ok(()) => Redirect::to(&format!("/admin/organisations?done={op}")).into_response(),
        Err(AppError::Conflict(m)) => {
            match state.app.organisation_detail(&actor, OrgId(id)).await {
                Ok(o) => org_form(
                    &state,
                    &s,
                    Some(id),
                    input_of(&o),
                    o.active,
                    vec![FieldError::new("action", m)],
                ),
                Err(e) => WebError::html(e).into_response(),
            }
        }
        Err(e) => WebError::html(e).into_response(),
    }
}

// ---- choosing a membership ------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin/roles.html")]
struct RolesPage {
    layout: Layout,
    memberships: Vec<(i64, String, String, bool)>,
}

fn roles_page(state: &AppState, s: &AnySession, errors: Vec<FieldError>) -> Response {
    let current = s.ctx.membership.as_ref().map(|m| m.id);
    let memberships = s
        .ctx
        .memberships
        .iter()
        .map(|m| {
            (
                m.id.0,
                m.role.label().to_string(),
                m.org_name.clone(),
                Some(m.id) == current,
            )
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        status_of(&AppError::Invalid(errors.clone()))
    };
    render(
        status,
        &RolesPage {
            layout: Layout::for_session("Choose your role", state, &s.ctx).with_errors(errors),
            memberships,
        },
    )
}

async fn roles(State(state): St, s: Signed) -> Response {
    let s = AnySession {
        ctx: s.ctx,
        request_id: s.request_id,
    };
    roles_page(&state, &s, Vec::new())
}

#[derive(Deserialize)]
struct RoleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    membership: String,
}

async fn choose_role(State(state): St, s: Signed, Form(form): Form<RoleForm>) -> Response {
    if let Err(e) = check_csrf(&s.ctx, &form.csrf) {
        return e.into_response();
    }
    let s = AnySession {
        ctx: s.ctx,
        request_id: s.request_id,
    };
    let Ok(id) = form.membership.trim().parse::<i64>() else {
        return roles_page(
            &state,
            &s,
            vec![FieldError::new("membership", "choose one of your roles")],
        );
    };
    match state.app.choose_membership(&s.ctx, MembershipId(id)).await {
        Ok(()) => Redirect::to("/home").into_response(),
        Err(AppError::Invalid(errors)) => roles_page(&state, &s, errors),
        Err(e) => WebError::html(e).into_response(),
    }
}
