//! A person's care team: who is in it now and who was, adding a clinician of the owning organisation,
//! ending a membership with a reason. Decided and audited in the app layer (`App::care_team*`).

use crate::Route;
use crate::error::WebError;
use crate::extract::Signed;
use crate::pages::{Layout, St, fmt_ms, render};
use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use concordat_app::AppError;
use concordat_app::care_team::{AddInput, CareTeamView, EndInput, REASON_MAX};
use concordat_domain::model::PersonId;
use serde::Deserialize;

/// Routes for these pages (part of the main router's table).
pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/people/{id}/care-team", care_team),
        Route::post("/people/{id}/care-team", care_team_add),
        Route::post("/people/{id}/care-team/{membership}/end", care_team_end),
    ]
}

#[derive(Template)]
#[template(path = "care_team.html")]
struct CareTeamPage {
    layout: Layout,
    t: CareTeamView,
    /// The membership whose end form was sent back with an error, and what was typed.
    ending: Option<(i64, String)>,
    reason_max: usize,
}

impl CareTeamPage {
    fn when(&self, ms: &i64) -> String {
        if *ms == 0 {
            "before history was kept".to_string()
        } else {
            fmt_ms(*ms)
        }
    }

    /// Whether membership `id`'s end form is the one sent back with an error.
    fn ending_here(&self, id: &i64) -> bool {
        self.ending.as_ref().is_some_and(|(e, _)| e == id)
    }

    fn ending_text(&self) -> &str {
        self.ending.as_ref().map(|(_, r)| r.as_str()).unwrap_or("")
    }
}

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    clinician: String,
}

#[derive(Deserialize)]
pub struct EndForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// The page again, with the errors of a form sent back (422), or the page's refusal.
async fn page(
    state: &St,
    s: &Signed,
    id: i64,
    errors: Vec<concordat_app::FieldError>,
    ending: Option<(i64, String)>,
) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    match state.app.care_team(&actor, PersonId(id)).await {
        Ok(t) => {
            let status = if errors.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let title = format!("Care team: {}", t.person_name);
            render(
                status,
                &CareTeamPage {
                    layout: Layout::for_session(&title, state, &s.ctx)
                        .with_back(&format!("/people/{id}"), "Back to the person")
                        .with_errors(errors),
                    t,
                    ending,
                    reason_max: REASON_MAX,
                },
            )
        }
        Err(e) => WebError::html(e).into_response(),
    }
}

async fn care_team(state: St, s: Signed, Path(id): Path<i64>) -> Response {
    page(&state, &s, id, Vec::new(), None).await
}

async fn care_team_add(
    state: St,
    s: Signed,
    Path(id): Path<i64>,
    Form(form): Form<AddForm>,
) -> Response {
    let actor = match crate::pages::csrf_actor(&s, &form.csrf) {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let input = AddInput {
        clinician: form.clinician,
    };
    match state.app.care_team_add(&actor, PersonId(id), &input).await {
        Ok(()) => Redirect::to(&format!("/people/{id}/care-team")).into_response(),
        Err(AppError::Invalid(errors)) => page(&state, &s, id, errors, None).await,
        Err(e) => WebError::html(e).into_response(),
    }
}

async fn care_team_end(
    state: St,
    s: Signed,
    Path((id, membership)): Path<(i64, i64)>,
    Form(form): Form<EndForm>,
) -> Response {
    let actor = match crate::pages::csrf_actor(&s, &form.csrf) {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let input = EndInput {
        reason: form.reason,
    };
    match state
        .app
        .care_team_end(&actor, PersonId(id), membership, &input)
        .await
    {
        Ok(()) => Redirect::to(&format!("/people/{id}/care-team")).into_response(),
        Err(AppError::Invalid(errors)) => {
            page(&state, &s, id, errors, Some((membership, input.reason))).await
        }
        Err(e) => WebError::html(e).into_response(),
    }
}
