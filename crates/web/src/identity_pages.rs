//! Editing a person's identity: the form, the save, and a save that lost to someone else's (409).
//! The app decides who may edit and audits every read and write; these handlers only render.

use crate::Route;
use crate::error::WebError;
use crate::extract::Signed;
use crate::pages::{Layout, Saved, St, fmt_ms, render};
use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use concordat_app::AppError;
use concordat_app::people::PersonView;
use concordat_app::person_edit::{IdentityInput, IdentityOutcome};
use concordat_domain::model::PersonId;
use concordat_store::PersonVersion;

/// Routes for these pages (part of the main router's table).
pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/people/{id}/edit", edit_form),
        Route::post("/people/{id}/edit", edit_save),
    ]
}

/// An earlier identity as a row of the history table.
struct VersionLine {
    version: i64,
    name: String,
    date_of_birth: String,
    nhs_number: String,
    postcode: String,
    saved_by: String,
    saved_at: String,
}

impl From<PersonVersion> for VersionLine {
    fn from(v: PersonVersion) -> Self {
        VersionLine {
            version: v.version,
            name: format!("{} {}", v.given_name, v.family_name),
            date_of_birth: v
                .date_of_birth
                .map(|d| d.format("%d/%m/%Y").to_string())
                .unwrap_or_default(),
            nhs_number: v
                .nhs_number
                .as_deref()
                .and_then(|n| concordat_domain::NhsNumber::parse(n).ok())
                .map(|n| n.to_string())
                .unwrap_or_default(),
            postcode: v.postcode.unwrap_or_default(),
            saved_by: v.saved_by,
            saved_at: fmt_ms(v.saved_at),
        }
    }
}

/// The identity as the form shows it (strings, as typed or as stored).
#[derive(Clone, Default)]
struct Fields {
    given_name: String,
    family_name: String,
    date_of_birth: String,
    nhs_number: String,
    postcode: String,
}

impl From<&PersonView> for Fields {
    fn from(p: &PersonView) -> Self {
        Fields {
            given_name: p.given_name.clone(),
            family_name: p.family_name.clone(),
            date_of_birth: p
                .date_of_birth
                .map(|d| d.format("%d/%m/%Y").to_string())
                .unwrap_or_default(),
            nhs_number: p.nhs_number.clone().unwrap_or_default(),
            postcode: p.postcode.clone().unwrap_or_default(),
        }
    }
}

impl From<&IdentityInput> for Fields {
    fn from(i: &IdentityInput) -> Self {
        Fields {
            given_name: i.given_name.clone(),
            family_name: i.family_name.clone(),
            date_of_birth: i.date_of_birth.clone(),
            nhs_number: i.nhs_number.clone(),
            postcode: i.postcode.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "person_edit.html")]
struct EditPage {
    layout: Layout,
    person_id: i64,
    version: i64,
    f: Fields,
    /// Set when someone else saved first: the identity now, shown beside what was typed.
    theirs: Option<Fields>,
    versions: Vec<VersionLine>,
}

async fn edit_form(state: St, s: Signed, Path(id): Path<i64>) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    match state.app.identity_editor(&actor, PersonId(id)).await {
        Ok(ed) => render(
            StatusCode::OK,
            &EditPage {
                layout: Layout::for_session("Change name and details", &state, &s.ctx)
                    .with_back(&format!("/people/{id}"), "Back to the person"),
                person_id: id,
                version: ed.person.version,
                f: Fields::from(&ed.person),
                theirs: None,
                versions: ed.versions.into_iter().map(VersionLine::from).collect(),
            },
        ),
        Err(e) => WebError::html(e).into_response(),
    }
}

#[derive(serde::Deserialize)]
struct EditForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    input: IdentityInput,
}

async fn edit_save(
    state: St,
    s: Signed,
    Path(id): Path<i64>,
    Form(form): Form<EditForm>,
) -> Response {
    let actor = match crate::pages::csrf_actor(&s, &form.csrf) {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let input = form.input;
    match state.app.identity_save(&actor, PersonId(id), &input).await {
        Ok(IdentityOutcome::Saved { .. }) => Saved::Identity
            .redirect(&format!("/people/{id}"))
            .into_response(),
        Ok(IdentityOutcome::Conflict { current }) => render(
            StatusCode::CONFLICT,
            // The editor now works from the current version: saving again replaces it knowingly.
            &EditPage {
                layout: Layout::for_session(
                    "Change name and details: someone else saved first",
                    &state,
                    &s.ctx,
                )
                .with_back(&format!("/people/{id}"), "Back to the person"),
                person_id: id,
                version: current.version,
                f: Fields::from(&input),
                theirs: Some(Fields::from(&*current)),
                versions: Vec::new(),
            },
        ),
        Err(AppError::Invalid(errors)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &EditPage {
                layout: Layout::for_session("Change name and details", &state, &s.ctx)
                    .with_back(&format!("/people/{id}"), "Back to the person")
                    .with_errors(errors),
                person_id: id,
                version: input.version.trim().parse().unwrap_or_default(),
                f: Fields::from(&input),
                theirs: None,
                versions: Vec::new(),
            },
        ),
        Err(e) => WebError::html(e).into_response(),
    }
}

/// One form row: (field, label, hint, value typed, their value when showing a conflict).
type Row<'a> = (
    &'static str,
    &'static str,
    &'static str,
    &'a str,
    Option<&'a str>,
);

impl EditPage {
    fn rows(&self) -> Vec<Row<'_>> {
        let t = self.theirs.as_ref();
        vec![
            (
                "given_name",
                "Given name",
                "",
                &self.f.given_name,
                t.map(|t| t.given_name.as_str()),
            ),
            (
                "family_name",
                "Family name",
                "",
                &self.f.family_name,
                t.map(|t| t.family_name.as_str()),
            ),
            (
                "date_of_birth",
                "Date of birth",
                "For example 20/12/1975, with the year in four digits",
                &self.f.date_of_birth,
                t.map(|t| t.date_of_birth.as_str()),
            ),
            (
                "nhs_number",
                "NHS number (optional)",
                "Ten digits, for example 943 476 5919",
                &self.f.nhs_number,
                t.map(|t| t.nhs_number.as_str()),
            ),
            (
                "postcode",
                "Postcode (optional)",
                "",
                &self.f.postcode,
                t.map(|t| t.postcode.as_str()),
            ),
        ]
    }
}
