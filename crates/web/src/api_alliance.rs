//! JSON API for the alliance under `/api/v1/alliance/…`: the same app functions as the `/alliance`
//! pages, so the same policy decisions, field choices and audit events.

use crate::AppState;
use crate::Route;
use crate::error::WebError;
use crate::extract::ApiUser;
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use concordat_app::AppError;
use concordat_app::alliance::{MemberOrgInput, MemberProfile, MemberSummary};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{OpenApi, ToSchema};

type St = State<Arc<AppState>>;

/// The alliance API's routes, relative to /api/v1.
pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/alliance/members", members),
        Route::post("/alliance/members", create),
        Route::get("/alliance/members/{id}", member),
    ]
}

#[derive(Serialize, ToSchema)]
pub struct MemberDto {
    id: i64,
    /// `organisation` or `individual`.
    kind: String,
    name: String,
    /// An org-id identifier (organisations; none for some statutory bodies).
    org_identifier: Option<String>,
    /// `community_group`, `small`, `medium`, `large` or `statutory` (organisations).
    org_size: Option<String>,
    /// Joined the alliance as an expert by experience.
    expert_by_experience: bool,
    /// YYYY-MM-DD.
    joined_on: String,
}

impl From<MemberSummary> for MemberDto {
    fn from(m: MemberSummary) -> Self {
        MemberDto {
            id: m.id,
            kind: m.kind.to_string(),
            name: m.name,
            org_identifier: m.org_identifier,
            org_size: m.org_size.map(str::to_string),
            expert_by_experience: m.expert_by_experience,
            joined_on: m.joined_on,
        }
    }
}

/// A member's profile as the caller may see it: a field the member did not choose to show the caller
/// is null.
#[derive(Serialize, ToSchema)]
pub struct MemberProfileDto {
    #[serde(flatten)]
    member: MemberDto,
    contact_name: Option<String>,
    contact_email: Option<String>,
    contact_phone: Option<String>,
    offers: Option<String>,
    communities: Option<String>,
    lived_experience: Option<String>,
    /// The caller is this member.
    is_self: bool,
}

impl From<MemberProfile> for MemberProfileDto {
    fn from(p: MemberProfile) -> Self {
        MemberProfileDto {
            member: p.summary.into(),
            contact_name: p.contact_name,
            contact_email: p.contact_email,
            contact_phone: p.contact_phone,
            offers: p.offers,
            communities: p.communities,
            lived_experience: p.lived_experience,
            is_self: p.is_self,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct MemberOrgRequest {
    name: String,
    /// GB-CHC-…, GB-COH-…, GB-LAE-… or LOCAL-…; may be omitted for a statutory body.
    org_identifier: Option<String>,
    /// `community_group`, `small`, `medium`, `large` or `statutory`.
    org_size: String,
    contact_name: Option<String>,
    contact_email: Option<String>,
    contact_phone: Option<String>,
    offers: Option<String>,
    communities: Option<String>,
    /// YYYY-MM-DD; omitted for today.
    joined_on: Option<String>,
    /// Who sees the contact: `only_me`, `coordinators` (the default) or `alliance`.
    contact_visibility: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MemberCreated {
    id: i64,
}

/// The alliance's members. Alliance coordinators, members and experts by experience only.
#[utoipa::path(get, path = "/api/v1/alliance/members", responses((status = 200, body = [MemberDto]), (status = 401, description = "No valid bearer token", body = crate::api::ErrorDto), (status = 403, description = "Not one of the alliance's roles", body = crate::api::ErrorDto)), security(("bearer" = [])))]
async fn members(State(state): St, u: ApiUser) -> Result<Json<Vec<MemberDto>>, WebError> {
    let actor = u.actor()?;
    let list = state
        .app
        .alliance_members(&actor)
        .await
        .map_err(WebError::json)?;
    Ok(Json(list.into_iter().map(MemberDto::from).collect()))
}

/// One member's profile, each field as the member chose (audited).
#[utoipa::path(get, path = "/api/v1/alliance/members/{id}", params(("id" = i64, Path)), responses((status = 200, body = MemberProfileDto), (status = 401, description = "No valid bearer token", body = crate::api::ErrorDto), (status = 403, description = "Not one of the alliance's roles", body = crate::api::ErrorDto), (status = 404, description = "No such member", body = crate::api::ErrorDto), (status = 422, description = "The id is not a number", body = crate::api::ErrorDto)), security(("bearer" = [])))]
async fn member(
    State(state): St,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<MemberProfileDto>, WebError> {
    let id = id.map(|Path(id)| id).map_err(|_| {
        WebError::Json(AppError::invalid("id", "a record number is a whole number"))
    })?;
    let actor = u.actor()?;
    let p = state
        .app
        .alliance_member(&actor, id)
        .await
        .map_err(WebError::json)?;
    Ok(Json(p.into()))
}

/// Adds a member organisation (alliance coordinators only).
#[utoipa::path(post, path = "/api/v1/alliance/members", request_body = MemberOrgRequest, responses((status = 201, body = MemberCreated), (status = 401, description = "No valid bearer token", body = crate::api::ErrorDto), (status = 403, description = "Not an alliance coordinator", body = crate::api::ErrorDto), (status = 404, description = "Not found", body = crate::api::ErrorDto), (status = 422, description = "Invalid input: `fields` names each field and its problem", body = crate::api::ErrorDto)), security(("bearer" = [])))]
async fn create(
    State(state): St,
    u: ApiUser,
    body: Result<Json<MemberOrgRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let actor = u.actor()?;
    // Authorise before reading the body: a role that may not add members is refused whatever it sent.
    state
        .app
        .authorise_alliance_management(&actor)
        .await
        .map_err(WebError::json)?;
    let Json(r) = body.map_err(|e| {
        WebError::Json(AppError::invalid(
            "body",
            format!(
                "the request body is not valid JSON for this call: {}",
                e.body_text()
            ),
        ))
    })?;
    let input = MemberOrgInput {
        name: r.name,
        org_identifier: r.org_identifier.unwrap_or_default(),
        org_size: r.org_size,
        contact_name: r.contact_name.unwrap_or_default(),
        contact_email: r.contact_email.unwrap_or_default(),
        contact_phone: r.contact_phone.unwrap_or_default(),
        offers: r.offers.unwrap_or_default(),
        communities: r.communities.unwrap_or_default(),
        joined_on: r.joined_on.unwrap_or_default(),
        contact_visibility: r.contact_visibility.unwrap_or_default(),
    };
    let id = state
        .app
        .add_alliance_organisation(&actor, &input)
        .await
        .map_err(WebError::json)?;
    Ok((StatusCode::CREATED, Json(MemberCreated { id })).into_response())
}

/// The alliance part of the OpenAPI document (merged into `/api/v1/openapi.json`).
#[derive(OpenApi)]
#[openapi(
    paths(members, member, create),
    components(schemas(MemberDto, MemberProfileDto, MemberOrgRequest, MemberCreated))
)]
pub struct AllianceApiDoc;
