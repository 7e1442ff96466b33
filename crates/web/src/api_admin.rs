//! JSON API for administration under `/api/v1/admin/…`: the same app functions as the `/admin` pages,
//! so the same policy decisions and audit events.

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
use concordat_app::members::{InvitationInput, OrgInput, OrgView, UserView};
use concordat_domain::model::{OrgId, UserId};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{OpenApi, ToSchema};

type St = State<Arc<AppState>>;

/// The administration API's routes, relative to /api/v1.
pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/admin/users", users),
        Route::post("/admin/users/{id}/disable", disable),
        Route::post("/admin/users/{id}/enable", enable),
        Route::post("/admin/users/{id}/mfa-reset", mfa_reset),
        Route::post("/admin/users/{id}/sessions/revoke", revoke),
        Route::post("/admin/invitations", invite),
        Route::get("/admin/organisations", orgs),
        Route::post("/admin/organisations", org_create),
        Route::put("/admin/organisations/{id}", org_update),
        Route::post("/admin/organisations/{id}/deactivate", org_deactivate),
        Route::post("/admin/organisations/{id}/reactivate", org_reactivate),
    ]
}

/// A record number from the path, or 422 naming `id` (never axum's bare 400).
fn path_id(id: Result<Path<i64>, PathRejection>) -> Result<i64, WebError> {
    id.map(|Path(id)| id)
        .map_err(|_| WebError::Json(AppError::invalid("id", "a record number is a whole number")))
}

fn bad_json(e: JsonRejection) -> WebError {
    WebError::Json(AppError::invalid(
        "body",
        format!(
            "the request body is not valid JSON for this call: {}",
            e.body_text()
        ),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct MembershipDto {
    id: i64,
    org_id: i64,
    organisation: String,
    role: String,
}

#[derive(Serialize, ToSchema)]
pub struct UserDto {
    id: i64,
    username: String,
    display_name: String,
    disabled: bool,
    mfa_enrolled: bool,
    /// Milliseconds since the Unix epoch; absent if the user never signed in.
    last_sign_in: Option<i64>,
    memberships: Vec<MembershipDto>,
}

impl From<UserView> for UserDto {
    fn from(u: UserView) -> Self {
        UserDto {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            disabled: u.disabled,
            mfa_enrolled: u.mfa_enrolled,
            last_sign_in: u.last_sign_in,
            memberships: u
                .memberships
                .into_iter()
                .map(|m| MembershipDto {
                    id: m.id,
                    org_id: m.org_id,
                    organisation: m.organisation,
                    role: m.role,
                })
                .collect(),
        }
    }
}

/// The users the caller administers: their organisation's, or everyone's for a partnership-wide administrator.
#[utoipa::path(get, path = "/api/v1/admin/users", responses((status = 401, description = "No valid bearer token", body = crate::api::ErrorDto), (status = 200, body = [UserDto]), (status = 403, description = "Not an administrator")), security(("bearer" = [])))]
async fn users(State(state): St, u: ApiUser) -> Result<Json<Vec<UserDto>>, WebError> {
    let actor = u.actor()?;
    let users = state
        .app
        .admin_users(&actor)
        .await
        .map_err(WebError::json)?;
    Ok(Json(users.into_iter().map(UserDto::from).collect()))
}

/// Disables a user and revokes all their sessions and API tokens. Refused for the last administrator of an organisation.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/disable", params(("id" = i64, Path)), responses((status = 422, description = "Invalid input: `fields` names each field and its problem", body = crate::api::ErrorDto), (status = 401, description = "No valid bearer token", body = crate::api::ErrorDto), (status = 204), (status = 403), (status = 404), (status = 409, description = "Already disabled, or the last administrator")), security(("bearer" = [])))]
async fn disable(
    State(state): St,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
) -> Result<StatusCode, WebError> {
    let id = path_id(id)?;
    let actor = u.actor()?;
    state
        .app
        .disable_user(&actor, UserId(id))
        .await
        .map_err(WebError::json)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Re-enables a disabled user.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/enable", params(("id" = i64, Path)), responses((status = 422, description = "Invalid input: `fields` names each field and its problem", body = crate::api::ErrorDto), (status = 401, description = "No valid bearer token", body = crate::api::ErrorDto), (status = 204), (status = 403), (status = 404), (status = 409)), security(("bearer" = [])))]
async fn enable(
    State(state): St,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
) -> Result<StatusCode, WebError> {
    let id = path_id(id)?;
    let actor = u.actor()?;
    state
        .app
        .enable_user(&actor, UserId(id))
        .await
        .map_err(WebError::json)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Resets a user's multi-factor authentication (they enrol again); the privacy officer is notified.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/mfa-reset", params(("id" = i64, Path)), responses((status = 422, description = "Invalid input: `fields` names each field and its problem", body = crate::api::ErrorDto), (status = 401, description = "No valid bearer token", body = crate::api::ErrorDto), (status = 204), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn mfa_reset(
    State(state): St,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
) -> Result<StatusCode, WebError> {
    let id = path_id(id)?;
    let actor = u.actor()?;
    state
        .app
        .reset_mfa(&actor, UserId(id))
        .await
        .map_err(WebError::json)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct Revoked {
    revoked: u64,
}

/// Revokes every session and API token of a user.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/sessions/revoke", params(("id" = i64, Path)), responses((status = 422, description = "Invalid input: `fields` names each field and its problem", body = crate::api::ErrorDto), (status = 401, description = "No valid bearer token", body = crate::api::ErrorDto), (status = 200, body = Revoked), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn revoke(
    State(state): St,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<Revoked>, WebError> {
    let id = path_id(id)?;
    let actor = u.actor()?;
    let n = state
        .app
        .revoke_user_sessions(&actor, UserId(id))
        .await
        .map_err(WebError::json)?;
    Ok(Json(Revoked { revoked: n }))
}

#[derive(Deserialize, ToSchema)]
pub struct InvitationRequest {
    display_name: String,
    /// The organisation's id; absent for an account with no organisation yet (partnership-wide administrators only).
    org_id: Option<i64>,
    /// A role code such as `triage_clinician`; required with an organisation.
    role: Option<String>,
    /// Days until the link expires, 1 to 30 (default 7).
    days: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct InvitationCreated {
    id: i64,
    /// The path of the single-use link (`/invite?token=…`). Shown once: only its hash is stored.
    link_path: String,
    /// Milliseconds since the Unix epoch.
    expires_at: i64,
}

/// Creates a single-use, expiring invitation link.
#[utoipa::path(post, path = "/api/v1/admin/invitations", request_body = InvitationRequest, responses((status = 401, description = "No valid bearer token", body = crate::api::ErrorDto), (status = 201, body = InvitationCreated), (status = 403), (status = 422, description = "Invalid fields")), security(("bearer" = [])))]
async fn invite(
    State(state): St,
    u: ApiUser,
    body: Result<Json<InvitationRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let Json(req) = body.map_err(bad_json)?;
    let actor = u.actor()?;
    let input = InvitationInput {
        display_name: req.display_name,
        org_id: req.org_id.map(|o| o.to_string()).unwrap_or_default(),
        role: req.role.unwrap_or_default(),
        days: req.days.map(|d| d.to_string()).unwrap_or_default(),
    };
    let c = state
        .app
        .create_invitation(&actor, &input)
        .await
        .map_err(WebError::json)?;
    Ok((
        StatusCode::CREATED,
        Json(InvitationCreated {
            id: c.id,
            link_path: c.link_path,
            expires_at: c.expires_at,
        }),
    )
        .into_response())
}

#[derive(Serialize, ToSchema)]
pub struct OrgDetailsDto {
    id: i64,
    name: String,
    kind: String,
    ods_code: Option<String>,
    org_identifier: Option<String>,
    active: bool,
    contact_name: Option<String>,
    contact_email: Option<String>,
    contact_phone: Option<String>,
    /// The crisis line responders are told to call when a plan is withheld (public to the partnership).
    crisis_line: Option<String>,
}

impl From<OrgView> for OrgDetailsDto {
    fn from(o: OrgView) -> Self {
        OrgDetailsDto {
            id: o.id,
            name: o.name,
            kind: o.kind,
            ods_code: o.ods_code,
            org_identifier: o.org_identifier,
            active: o.active,
            contact_name: o.contact_name,
            contact_email: o.contact_email,
            contact_phone: o.contact_phone,
            crisis_line: o.crisis_line,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct OrgRequest {
    name: String,
    /// A kind code such as `mental_health_trust` or `vcse`.
    kind: String,
    /// Required for NHS bodies, not allowed for others.
    ods_code: Option<String>,
    /// An org-id.guide identifier such as GB-CHC-1234567.
    org_identifier: Option<String>,
    contact_name: Option<String>,
    contact_email: Option<String>,
    contact_phone: Option<String>,
    /// The crisis line's phone number (10 to 15 digits).
    crisis_line: Option<String>,
}

impl From<OrgRequest> for OrgInput {
    fn from(r: OrgRequest) -> Self {
        OrgInput {
            name: r.name,
            kind: r.kind,
            ods_code: r.ods_code.unwrap_or_default(),
            org_identifier: r.org_identifier.unwrap_or_default(),
            contact_name: r.contact_name.unwrap_or_default(),
            contact_email: r.contact_email.unwrap_or_default(),
            contact_phone: r.contact_phone.unwrap_or_default(),
            crisis_line: r.crisis_line.unwrap_or_default(),
        }
    }
}

/// Organisations with their administrative details and whether each is active. The contact person,
/// email and phone are given only to administrators, alliance coordinators and privacy officers (null
/// for everyone else; docs/roles.md).
#[utoipa::path(get, path = "/api/v1/admin/organisations", responses((status = 401, description = "No valid bearer token", body = crate::api::ErrorDto), (status = 200, body = [OrgDetailsDto])), security(("bearer" = [])))]
async fn orgs(State(state): St, u: ApiUser) -> Result<Json<Vec<OrgDetailsDto>>, WebError> {
    let actor = u.actor()?;
    let orgs = state
        .app
        .organisation_details(&actor)
        .await
        .map_err(WebError::json)?;
    Ok(Json(orgs.into_iter().map(OrgDetailsDto::from).collect()))
}

/// Adds an organisation (partnership-wide administrators only).
#[utoipa::path(post, path = "/api/v1/admin/organisations", request_body = OrgRequest, responses((status = 401, description = "No valid bearer token", body = crate::api::ErrorDto), (status = 201, body = OrgDetailsDto), (status = 403), (status = 422, description = "Invalid fields")), security(("bearer" = [])))]
async fn org_create(
    State(state): St,
    u: ApiUser,
    body: Result<Json<OrgRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let Json(req) = body.map_err(bad_json)?;
    let actor = u.actor()?;
    let o = state
        .app
        .create_organisation(&actor, &req.into())
        .await
        .map_err(WebError::json)?;
    Ok((StatusCode::CREATED, Json(OrgDetailsDto::from(o))).into_response())
}

/// Changes an organisation's details.
#[utoipa::path(put, path = "/api/v1/admin/organisations/{id}", params(("id" = i64, Path)), request_body = OrgRequest, responses((status = 401, description = "No valid bearer token", body = crate::api::ErrorDto), (status = 200, body = OrgDetailsDto), (status = 403), (status = 404), (status = 422, description = "Invalid fields")), security(("bearer" = [])))]
async fn org_update(
    State(state): St,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<OrgRequest>, JsonRejection>,
) -> Result<Json<OrgDetailsDto>, WebError> {
    let id = path_id(id)?;
    let Json(req) = body.map_err(bad_json)?;
    let actor = u.actor()?;
    let o = state
        .app
        .update_organisation(&actor, OrgId(id), &req.into())
        .await
        .map_err(WebError::json)?;
    Ok(Json(o.into()))
}

/// Deactivates an organisation; refused while it has open s136/s135 detentions. Nothing is deleted.
#[utoipa::path(post, path = "/api/v1/admin/organisations/{id}/deactivate", params(("id" = i64, Path)), responses((status = 422, description = "Invalid input: `fields` names each field and its problem", body = crate::api::ErrorDto), (status = 401, description = "No valid bearer token", body = crate::api::ErrorDto), (status = 204), (status = 403), (status = 404), (status = 409, description = "Open detentions, or already deactivated")), security(("bearer" = [])))]
async fn org_deactivate(
    State(state): St,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
) -> Result<StatusCode, WebError> {
    let id = path_id(id)?;
    let actor = u.actor()?;
    state
        .app
        .set_organisation_active(&actor, OrgId(id), false)
        .await
        .map_err(WebError::json)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reactivates an organisation.
#[utoipa::path(post, path = "/api/v1/admin/organisations/{id}/reactivate", params(("id" = i64, Path)), responses((status = 422, description = "Invalid input: `fields` names each field and its problem", body = crate::api::ErrorDto), (status = 401, description = "No valid bearer token", body = crate::api::ErrorDto), (status = 204), (status = 403), (status = 404), (status = 409)), security(("bearer" = [])))]
async fn org_reactivate(
    State(state): St,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
) -> Result<StatusCode, WebError> {
    let id = path_id(id)?;
    let actor = u.actor()?;
    state
        .app
        .set_organisation_active(&actor, OrgId(id), true)
        .await
        .map_err(WebError::json)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The administration part of the OpenAPI document (merged into `/api/v1/openapi.json`).
#[derive(OpenApi)]
#[openapi(
    paths(
        users,
        disable,
        enable,
        mfa_reset,
        revoke,
        invite,
        orgs,
        org_create,
        org_update,
        org_deactivate,
        org_reactivate
    ),
    components(schemas(
        UserDto,
        MembershipDto,
        Revoked,
        InvitationRequest,
        InvitationCreated,
        OrgDetailsDto,
        OrgRequest
    ))
)]
pub struct AdminApiDoc;
