//! JSON API for crisis plans: the responder's lookup and the FHIR R4 export. Same app functions as the
//! pages, so the same policy and the same audit events.

use crate::api::ErrorDto;
use crate::error::WebError;
use crate::extract::ApiUser;
use crate::{AppState, Route};
use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use concordat_app::AppError;
use concordat_domain::model::PersonId;
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

type St = State<Arc<AppState>>;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/people/{id}/plan", get_plan),
        Route::get("/people/{id}/fhir", get_fhir),
    ]
}

fn person_id(id: Result<Path<i64>, PathRejection>) -> Result<PersonId, WebError> {
    let Path(id) =
        id.map_err(|_| WebError::Json(AppError::invalid("id", "a person's id is a number")))?;
    Ok(PersonId(id))
}

#[derive(Serialize, ToSchema)]
pub struct PlanSectionDto {
    /// Section code, e.g. what_helps.
    kind: String,
    title: String,
    text: String,
    /// all_responders | clinicians_only | care_team
    sharing: String,
    /// Shown only because of break-glass.
    break_glass: bool,
}

#[derive(Serialize, ToSchema)]
pub struct PlanDto {
    plan_id: i64,
    version: i64,
    coproduced: bool,
    /// Who took part in writing the plan; empty when there is none or it is not shared with the caller.
    participants: String,
    /// The person's own words, when shared with the caller.
    own_words: Option<String>,
    last_reviewed_on: String,
    review_due: String,
    review_overdue: bool,
    /// Only the sections the caller may see, most important first.
    sections: Vec<PlanSectionDto>,
    /// How many sections and other parts (own words, participants) exist that the caller was not shown.
    withheld: usize,
}

#[derive(Serialize, ToSchema)]
pub struct PlanLookupDto {
    person_id: i64,
    name: String,
    date_of_birth: Option<String>,
    nhs_number: Option<String>,
    postcode: Option<String>,
    owner_organisation: String,
    synthetic: bool,
    plan: Option<PlanDto>,
    /// Data categories recorded in the audit event for this lookup.
    categories_shown: Vec<String>,
}

/// The responder's lookup: identity and the crisis plan sections the caller may see (one audit event).
#[utoipa::path(get, path = "/api/v1/people/{id}/plan", params(("id" = i64, Path, description = "The person's record number")),
    responses((status = 200, body = PlanLookupDto), (status = 401, description = "No valid bearer token", body = ErrorDto), (status = 403, description = "The access policy refused; the refusal is audited", body = ErrorDto), (status = 404, description = "No such record", body = ErrorDto), (status = 422, description = "Invalid input: `fields` names each field and its problem", body = ErrorDto)), security(("bearer" = [])))]
pub(crate) async fn get_plan(
    State(state): St,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<PlanLookupDto>, WebError> {
    let id = person_id(id)?;
    let actor = u.actor()?;
    let l = state
        .app
        .person_lookup(&actor, id, None)
        .await
        .map_err(WebError::json)?;
    Ok(Json(PlanLookupDto {
        person_id: l.person.id,
        name: format!("{} {}", l.person.given_name, l.person.family_name),
        date_of_birth: l.person.date_of_birth.map(|d| d.to_string()),
        nhs_number: l.person.nhs_number,
        postcode: l.person.postcode,
        owner_organisation: l.person.owner_organisation,
        synthetic: l.person.synthetic,
        plan: l.plan.map(|p| PlanDto {
            plan_id: p.plan_id,
            version: p.version,
            coproduced: p.coproduced,
            participants: p.participants,
            own_words: p.own_words,
            last_reviewed_on: p.last_reviewed_on.to_string(),
            review_due: p.review_due.to_string(),
            review_overdue: p.review_overdue,
            sections: p
                .sections
                .into_iter()
                .map(|s| PlanSectionDto {
                    kind: s.kind.code().to_string(),
                    title: s.title.to_string(),
                    text: s.text,
                    sharing: s.sharing.code().to_string(),
                    break_glass: s.break_glass,
                })
                .collect(),
            withheld: p.withheld,
        }),
        categories_shown: l
            .categories_shown
            .iter()
            .map(|c| c.code().to_string())
            .collect(),
    }))
}

/// FHIR R4 Bundle (collection) of UK Core Patient, CarePlan and Consent with only what the caller may see.
#[utoipa::path(get, path = "/api/v1/people/{id}/fhir", params(("id" = i64, Path, description = "The person's record number")),
    responses((status = 200, description = "A FHIR R4 Bundle", content_type = "application/fhir+json", body = Object), (status = 401, description = "No valid bearer token", body = ErrorDto), (status = 403, description = "The access policy refused; the refusal is audited", body = ErrorDto), (status = 404, description = "No such record", body = ErrorDto), (status = 422, description = "Invalid input: `fields` names each field and its problem", body = ErrorDto)), security(("bearer" = [])))]
pub(crate) async fn get_fhir(
    State(state): St,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Response, WebError> {
    let id = person_id(id)?;
    let actor = u.actor()?;
    let bundle = state
        .app
        .person_fhir(&actor, id)
        .await
        .map_err(WebError::json)?;
    Ok((
        [(header::CONTENT_TYPE, "application/fhir+json; charset=utf-8")],
        Json(bundle),
    )
        .into_response())
}
