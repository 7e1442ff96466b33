//! The alliance's pages under `/alliance`: its members, a member's profile (only what the member chose to
//! show the viewer), the coordinator's forms to add a member organisation or invite a person, and a
//! member's own profile with who sees each part. Thin handlers: the app decides and audits.

use crate::AppState;
use crate::Route;
use crate::error::WebError;
use crate::extract::Signed;
use crate::pages::{Card, Layout, St, fmt_ms, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use concordat_app::alliance::{
    MemberInviteInput, MemberOrgInput, MemberProfile, MemberSummary, ProfileInput,
};
use concordat_app::{AppError, FieldError};
use concordat_domain::Role;
use concordat_domain::alliance::{OrgSize, Visibility};
use concordat_domain::policy::{self, Action};
use serde::Deserialize;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/alliance", members),
        Route::get("/alliance/members/new", new_form),
        Route::post("/alliance/members", create_org),
        Route::get("/alliance/members/{id}", member),
        Route::post("/alliance/invitations", invite),
        Route::get("/alliance/profile", profile_form),
        Route::post("/alliance/profile", profile_save),
    ]
}

/// Navigation for a role (hides links only).
pub(crate) fn nav(role: Role) -> Vec<(&'static str, &'static str)> {
    if policy::may(role, Action::ViewAlliance) {
        vec![("/alliance", "Alliance")]
    } else {
        Vec::new()
    }
}

/// Home-page cards for a role.
pub(crate) fn cards(role: Role) -> Vec<Card> {
    let mut cards = Vec::new();
    if policy::may(role, Action::ViewAlliance) {
        cards.push(Card {
            title: "The alliance",
            href: "/alliance",
            text: "The member organisations and people of the crisis alliance, and your own profile.",
        });
    }
    cards
}

#[derive(Template)]
#[template(path = "alliance/members.html")]
struct MembersPage {
    layout: Layout,
    orgs: Vec<MemberSummary>,
    people: Vec<MemberSummary>,
    manage: bool,
    has_profile: bool,
}

async fn members(State(state): St, s: Signed) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let list = match state.app.alliance_members(&actor).await {
        Ok(l) => l,
        Err(e) => return WebError::html(e).into_response(),
    };
    let has_profile = matches!(state.app.my_alliance_profile(&actor).await, Ok(Some(_)));
    let (orgs, people) = list.into_iter().partition(|m| m.kind == "organisation");
    render(
        StatusCode::OK,
        &MembersPage {
            layout: Layout::for_session("The alliance", &state, &s.ctx),
            orgs,
            people,
            manage: actor
                .as_user()
                .is_some_and(|u| policy::may(u.role, Action::ManageAlliance)),
            has_profile,
        },
    )
}

#[derive(Template)]
#[template(path = "alliance/member.html")]
struct MemberPage {
    layout: Layout,
    p: MemberProfile,
}

async fn member(State(state): St, s: Signed, Path(id): Path<i64>) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    match state.app.alliance_member(&actor, id).await {
        Ok(p) => render(
            StatusCode::OK,
            &MemberPage {
                layout: Layout::for_session(&p.summary.name.clone(), &state, &s.ctx),
                p,
            },
        ),
        Err(e) => WebError::html(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "alliance/new.html")]
struct NewPage {
    layout: Layout,
    org: MemberOrgInput,
    invite: MemberInviteInput,
    sizes: Vec<(&'static str, &'static str)>,
    visibilities: Vec<(&'static str, &'static str)>,
}

fn new_page(
    state: &AppState,
    s: &Signed,
    org: MemberOrgInput,
    invite: MemberInviteInput,
    errors: Vec<FieldError>,
) -> Response {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &NewPage {
            layout: Layout::for_session("Add to the alliance", state, &s.ctx).with_errors(errors),
            org,
            invite,
            sizes: OrgSize::ALL.iter().map(|z| (z.code(), z.label())).collect(),
            visibilities: Visibility::ALL
                .iter()
                .map(|v| (v.code(), v.label()))
                .collect(),
        },
    )
}

async fn new_form(State(state): St, s: Signed) -> Response {
    match s.actor() {
        Ok(a)
            if a.as_user()
                .is_none_or(|u| policy::may(u.role, Action::ManageAlliance)) => {}
        Ok(_) => {
            return WebError::Html(AppError::Denied(policy::DenyReason::RoleNotPermitted))
                .into_response();
        }
        Err(e) => return e.into_response(),
    }
    new_page(
        &state,
        &s,
        MemberOrgInput::default(),
        MemberInviteInput::default(),
        Vec::new(),
    )
}

#[derive(Deserialize)]
struct OrgForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    input: MemberOrgInput,
}

async fn create_org(State(state): St, s: Signed, Form(form): Form<OrgForm>) -> Response {
    let actor = match crate::pages::csrf_actor(&s, &form.csrf) {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    match state
        .app
        .add_alliance_organisation(&actor, &form.input)
        .await
    {
        Ok(id) => Redirect::to(&format!("/alliance/members/{id}")).into_response(),
        Err(AppError::Invalid(errors)) => {
            new_page(&state, &s, form.input, MemberInviteInput::default(), errors)
        }
        Err(e) => WebError::html(e).into_response(),
    }
}

#[derive(Deserialize)]
struct InviteForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    input: MemberInviteInput,
}

#[derive(Template)]
#[template(path = "alliance/invited.html")]
struct InvitedPage {
    layout: Layout,
    name: String,
    link: String,
    expires: String,
}

async fn invite(
    State(state): St,
    s: Signed,
    headers: HeaderMap,
    Form(form): Form<InviteForm>,
) -> Response {
    let actor = match crate::pages::csrf_actor(&s, &form.csrf) {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    match state.app.invite_alliance_member(&actor, &form.input).await {
        Ok(created) => render(
            StatusCode::OK,
            &InvitedPage {
                layout: Layout::for_session("Invitation created", &state, &s.ctx),
                name: form.input.display_name.trim().to_string(),
                link: crate::admin::absolute(&headers, &created.link_path, &state.cfg),
                expires: fmt_ms(created.expires_at),
            },
        ),
        Err(AppError::Invalid(errors)) => {
            new_page(&state, &s, MemberOrgInput::default(), form.input, errors)
        }
        Err(e) => WebError::html(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "alliance/profile.html")]
struct ProfilePage {
    layout: Layout,
    name: Option<String>,
    input: ProfileInput,
    done: String,
}

impl ProfilePage {
    /// Radio buttons for who sees a part of the profile (labels are fixed text; the error is escaped).
    fn choice(&self, field: &str, legend: &str, current: &str) -> String {
        let mut out = format!(
            "<fieldset class=\"field{}\" id=\"{field}\"><legend>{legend}</legend>",
            if self.layout.error_for(field).is_some() {
                " field-error"
            } else {
                ""
            }
        );
        if let Some(m) = self.layout.error_for(field) {
            let m = m
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            out.push_str(&format!(
                "<p class=\"error-message\"><span class=\"visually-hidden\">Error:</span> {m}</p>"
            ));
        }
        for v in Visibility::ALL {
            out.push_str(&format!(
                "<div class=\"radio\"><input type=\"radio\" id=\"{field}-{c}\" name=\"{field}\" value=\"{c}\"{chk}><label for=\"{field}-{c}\">{l}</label></div>",
                c = v.code(),
                l = v.label(),
                chk = if current == v.code() { " checked" } else { "" }
            ));
        }
        out.push_str("</fieldset>");
        out
    }
}

#[derive(Deserialize, Default)]
struct DoneQuery {
    #[serde(default)]
    done: String,
}

async fn profile_form(State(state): St, s: Signed, Query(q): Query<DoneQuery>) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let p = match state.app.my_alliance_profile(&actor).await {
        Ok(p) => p,
        Err(e) => return WebError::html(e).into_response(),
    };
    let (name, input) = match p {
        None => (None, ProfileInput::default()),
        Some(p) => {
            let v = p.visibility.as_ref();
            (
                Some(p.summary.name.clone()),
                ProfileInput {
                    contact_email: p.contact_email.clone().unwrap_or_default(),
                    contact_phone: p.contact_phone.clone().unwrap_or_default(),
                    offers: p.offers.clone().unwrap_or_default(),
                    communities: p.communities.clone().unwrap_or_default(),
                    lived_experience: p.lived_experience.clone().unwrap_or_default(),
                    contact_visibility: v.map(|v| v.contact).unwrap_or_default().into(),
                    about_visibility: v.map(|v| v.about).unwrap_or_default().into(),
                    lived_experience_visibility: v
                        .map(|v| v.lived_experience)
                        .unwrap_or_default()
                        .into(),
                },
            )
        }
    };
    render(
        StatusCode::OK,
        &ProfilePage {
            layout: Layout::for_session("Your alliance profile", &state, &s.ctx),
            name,
            input,
            done: if q.done == "saved" {
                "Your profile is saved.".into()
            } else {
                String::new()
            },
        },
    )
}

#[derive(Deserialize)]
struct ProfileForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    input: ProfileInput,
}

async fn profile_save(State(state): St, s: Signed, Form(form): Form<ProfileForm>) -> Response {
    let actor = match crate::pages::csrf_actor(&s, &form.csrf) {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    match state
        .app
        .update_my_alliance_profile(&actor, &form.input)
        .await
    {
        Ok(()) => Redirect::to("/alliance/profile?done=saved").into_response(),
        Err(AppError::Invalid(errors)) => {
            let name = match state.app.my_alliance_profile(&actor).await {
                Ok(p) => p.map(|p| p.summary.name),
                Err(e) => return WebError::html(e).into_response(),
            };
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ProfilePage {
                    layout: Layout::for_session("Your alliance profile", &state, &s.ctx)
                        .with_errors(errors),
                    name,
                    input: form.input,
                    done: String::new(),
                },
            )
        }
        Err(e) => WebError::html(e).into_response(),
    }
}
