//! Data sharing agreement pages under `/agreements`: the list, a new draft, the printable summary with the
//! sign and withdraw/end forms, and their POSTs. Thin handlers: parse, one app call, render. The app
//! decides (`ManageAgreements`, `SignAgreement`) and audits; links shown here follow `policy::may`.

use crate::AppState;
use crate::Route;
use crate::error::WebError;
use crate::extract::Signed;
use crate::pages::{Card, Layout, St, check_csrf, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use concordat_app::agreements::{AgreementDetail, AgreementInput};
use concordat_app::{AppError, FieldError};
use concordat_domain::model::{AgreementStatus, Organisation};
use concordat_domain::policy::{self, Action};
use concordat_domain::{DataCategory, LegalBasis, Role};
use serde::Deserialize;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/agreements", list),
        Route::post("/agreements", create),
        Route::get("/agreements/new", new_form),
        Route::get("/agreements/{id}", view),
        Route::post("/agreements/{id}/sign", sign),
        Route::post("/agreements/{id}/end", end),
    ]
}

/// Navigation for the roles that draft or sign agreements (links only; the app decides). Everyone
/// signed in may read them, from the organisations page.
pub(crate) fn nav(role: Role) -> Vec<(&'static str, &'static str)> {
    if policy::may(role, Action::ManageAgreements) || policy::may(role, Action::SignAgreement) {
        vec![("/agreements", "Sharing agreements")]
    } else {
        Vec::new()
    }
}

/// Home-page cards for the roles that draft or sign agreements.
pub(crate) fn cards(role: Role) -> Vec<Card> {
    let mut cards = Vec::new();
    if policy::may(role, Action::ManageAgreements) {
        cards.push(Card {
            title: "Sharing agreements",
            href: "/agreements",
            text: "Draft a data sharing agreement with a partner, and withdraw or end one.",
        });
    } else if policy::may(role, Action::SignAgreement) {
        cards.push(Card {
            title: "Sharing agreements",
            href: "/agreements",
            text: "Sign data sharing agreements for your organisation.",
        });
    }
    cards
}

#[derive(Template)]
#[template(path = "agreements/list.html")]
struct ListPage {
    layout: Layout,
    agreements: Vec<AgreementDetail>,
    may_draft: bool,
}

async fn list(State(state): St, s: Signed) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let may_draft = actor
        .as_user()
        .is_some_and(|u| policy::may(u.role, Action::ManageAgreements));
    match state.app.agreement_list().await {
        Ok(agreements) => render(
            StatusCode::OK,
            &ListPage {
                layout: Layout::for_session("Data sharing agreements", &state, &s.ctx),
                agreements,
                may_draft,
            },
        ),
        Err(e) => WebError::html(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "agreements/new.html")]
struct NewPage {
    layout: Layout,
    input: AgreementInput,
    orgs: Vec<Organisation>,
    own: i64,
    categories: Vec<(&'static str, &'static str)>,
    bases: Vec<(&'static str, &'static str)>,
}

impl NewPage {
    fn checked(&self, code: &&str) -> bool {
        self.input.categories.iter().any(|c| c == code)
    }
    fn selected_from(&self, id: &i64) -> bool {
        if self.input.from_org.is_empty() {
            *id == self.own
        } else {
            self.input.from_org == id.to_string()
        }
    }
    fn selected_to(&self, id: &i64) -> bool {
        self.input.to_org == id.to_string()
    }
}

fn new_page(
    state: &AppState,
    s: &Signed,
    orgs: Vec<Organisation>,
    input: AgreementInput,
    errors: Vec<FieldError>,
) -> Response {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let own = s.ctx.membership.as_ref().map_or(0, |m| m.org_id.0);
    render(
        status,
        &NewPage {
            layout: Layout::for_session("Draft a data sharing agreement", state, &s.ctx)
                .with_errors(errors),
            input,
            orgs,
            own,
            categories: DataCategory::ALL
                .iter()
                .map(|c| (c.code(), c.label()))
                .collect(),
            bases: LegalBasis::ALL
                .iter()
                .map(|b| (b.code(), b.label()))
                .collect(),
        },
    )
}

async fn new_form(State(state): St, s: Signed) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    match state.app.agreement_form(&actor).await {
        Ok(orgs) => {
            let today = chrono::Utc::now().date_naive();
            let input = AgreementInput {
                in_force_from: today.format("%Y-%m-%d").to_string(),
                review_date: (today + chrono::Months::new(12))
                    .format("%Y-%m-%d")
                    .to_string(),
                ..Default::default()
            };
            new_page(&state, &s, orgs, input, Vec::new())
        }
        Err(e) => WebError::html(e).into_response(),
    }
}

/// The form's fields: repeated `categories` checkboxes come as pairs.
fn input_from(pairs: &[(String, String)]) -> (String, AgreementInput) {
    let mut csrf = String::new();
    let mut input = AgreementInput::default();
    for (k, v) in pairs {
        match k.as_str() {
            "csrf" => csrf = v.clone(),
            "title" => input.title = v.clone(),
            "purpose" => input.purpose = v.clone(),
            "from_org" => input.from_org = v.clone(),
            "to_org" => input.to_org = v.clone(),
            "categories" => input.categories.push(v.clone()),
            "legal_basis" => input.legal_basis = v.clone(),
            "in_force_from" => input.in_force_from = v.clone(),
            "in_force_until" => input.in_force_until = v.clone(),
            "review_date" => input.review_date = v.clone(),
            _ => {}
        }
    }
    (csrf, input)
}

async fn create(State(state): St, s: Signed, Form(pairs): Form<Vec<(String, String)>>) -> Response {
    let (csrf, input) = input_from(&pairs);
    if let Err(e) = check_csrf(&s.ctx, &csrf) {
        return e.into_response();
    }
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    match state.app.draft_agreement(&actor, &input).await {
        Ok(id) => Redirect::to(&format!("/agreements/{id}?done=drafted")).into_response(),
        Err(AppError::Invalid(errors)) => match state.app.agreement_form(&actor).await {
            Ok(orgs) => new_page(&state, &s, orgs, input, errors),
            Err(e) => WebError::html(e).into_response(),
        },
        Err(e) => WebError::html(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "agreements/view.html")]
struct ViewPage {
    layout: Layout,
    a: AgreementDetail,
    done: String,
    position: String,
    reason: String,
}

#[derive(Deserialize)]
struct DoneQuery {
    #[serde(default)]
    done: String,
}

fn view_page(
    state: &AppState,
    s: &Signed,
    a: AgreementDetail,
    done: &str,
    errors: Vec<FieldError>,
    status: StatusCode,
) -> Response {
    let done = match done {
        "drafted" => "The draft is saved. Each party's signatory now signs it on this page.",
        "signed" => "Your signature is recorded.",
        "agreed" => "Every party has signed: the agreement is agreed.",
        "withdrawn" => "The draft is withdrawn.",
        "ended" => "The agreement is ended: information no longer flows under it.",
        _ => "",
    };
    let title = format!("Data sharing agreement: {}", a.title);
    render(
        status,
        &ViewPage {
            layout: Layout::for_session(&title, state, &s.ctx).with_errors(errors),
            a,
            done: done.to_string(),
            position: String::new(),
            reason: String::new(),
        },
    )
}

async fn view(
    State(state): St,
    s: Signed,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    match state.app.agreement_detail(&actor, id).await {
        Ok(a) => view_page(&state, &s, a, &q.done, Vec::new(), StatusCode::OK),
        Err(e) => WebError::html(e).into_response(),
    }
}

#[derive(Deserialize)]
struct SignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    position: String,
}

async fn sign(
    State(state): St,
    s: Signed,
    Path(id): Path<i64>,
    Form(form): Form<SignForm>,
) -> Response {
    let actor = match crate::pages::csrf_actor(&s, &form.csrf) {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    match state.app.sign_agreement(&actor, id, &form.position).await {
        Ok(AgreementStatus::Agreed) => {
            Redirect::to(&format!("/agreements/{id}?done=agreed")).into_response()
        }
        Ok(_) => Redirect::to(&format!("/agreements/{id}?done=signed")).into_response(),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let (errors, status) = match e {
                AppError::Invalid(errs) => (errs, StatusCode::UNPROCESSABLE_ENTITY),
                AppError::Conflict(m) => {
                    (vec![FieldError::new("position", m)], StatusCode::CONFLICT)
                }
                _ => (Vec::new(), StatusCode::OK),
            };
            match state.app.agreement_detail(&actor, id).await {
                Ok(a) => view_page(&state, &s, a, "", errors, status),
                Err(e) => WebError::html(e).into_response(),
            }
        }
        Err(e) => WebError::html(e).into_response(),
    }
}

#[derive(Deserialize)]
struct EndForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

async fn end(
    State(state): St,
    s: Signed,
    Path(id): Path<i64>,
    Form(form): Form<EndForm>,
) -> Response {
    let actor = match crate::pages::csrf_actor(&s, &form.csrf) {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    match state.app.end_agreement(&actor, id, &form.reason).await {
        Ok(AgreementStatus::Withdrawn) => {
            Redirect::to(&format!("/agreements/{id}?done=withdrawn")).into_response()
        }
        Ok(_) => Redirect::to(&format!("/agreements/{id}?done=ended")).into_response(),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let (errors, status) = match e {
                AppError::Invalid(errs) => (errs, StatusCode::UNPROCESSABLE_ENTITY),
                AppError::Conflict(m) => (vec![FieldError::new("reason", m)], StatusCode::CONFLICT),
                _ => (Vec::new(), StatusCode::OK),
            };
            match state.app.agreement_detail(&actor, id).await {
                Ok(a) => view_page(&state, &s, a, "", errors, status),
                Err(e) => WebError::html(e).into_response(),
            }
        }
        Err(e) => WebError::html(e).into_response(),
    }
}
