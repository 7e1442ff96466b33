//! The JSON API under /api/v1. Same app functions as the pages: same policy, same audit.
//! The OpenAPI document at /api/v1/openapi.json is generated from these handlers' annotations.

use crate::error::WebError;
use crate::extract::{ApiUser, ClientAddr};
use crate::security::RequestId;
use crate::{AppState, Route};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use concordat_app::AppError;
use concordat_app::auth::SessionKind;
use concordat_app::people::{PersonInput, SearchInput};
use concordat_domain::model::PersonId;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, OpenApi, ToSchema};

type St = State<Arc<AppState>>;

/// The API's routes, relative to /api/v1 (part of the main router's table).
pub fn routes() -> Vec<Route> {
    let mut r = vec![
        Route::post("/sessions", create_session),
        Route::delete("/sessions/current", delete_session),
        Route::get("/me", me),
        Route::get("/people", search_people),
        Route::post("/people", create_person),
        Route::get("/people/{id}", get_person),
        Route::get("/organisations", organisations),
        Route::get("/audit", audit),
        Route::get("/openapi.json", openapi),
    ];
    r.extend(crate::api_plans::routes());
    r.extend(crate::api_ops::routes());
    r.extend(crate::api_admin::routes());
    r.extend(crate::api_alliance::routes());
    r
}

/// Unknown paths under /api/v1 get a JSON 404.
pub async fn not_found() -> WebError {
    WebError::Json(AppError::NotFound)
}

/// Turns axum's body and query rejections into our JSON errors (always 4xx, never a panic).
fn bad_json(e: JsonRejection) -> WebError {
    WebError::Json(AppError::invalid(
        "body",
        format!(
            "the request body is not valid JSON for this call: {}",
            e.body_text()
        ),
    ))
}

fn bad_query(e: QueryRejection) -> WebError {
    WebError::Json(AppError::invalid(
        "query",
        format!("the query string is not valid: {}", e.body_text()),
    ))
}

/// Every error answer: a sentence for people, and for invalid input one entry per field.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ErrorDto {
    error: String,
    /// Present only for 422 answers.
    fields: Option<Vec<FieldErrorDto>>,
}

#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct FieldErrorDto {
    /// The field's name as sent (body field or query parameter).
    field: String,
    message: String,
}

#[derive(Deserialize, ToSchema)]
pub struct SessionRequest {
    username: String,
    password: String,
    /// The 6-digit code from the authenticator app, for accounts with MFA.
    totp: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SessionResponse {
    /// Send as `Authorization: Bearer <token>`. Shown once; store it safely.
    token: String,
    /// Milliseconds since the Unix epoch.
    expires_at: i64,
}

/// Signs in and returns a bearer token.
#[utoipa::path(post, path = "/api/v1/sessions", request_body = SessionRequest,
    responses((status = 201, body = SessionResponse), (status = 401, description = "Wrong credentials", body = ErrorDto), (status = 403, description = "Every organisation the account works for is deactivated", body = ErrorDto), (status = 422, description = "Invalid input: `fields` names each field and its problem", body = ErrorDto), (status = 429, description = "Too many failed attempts", body = ErrorDto)))]
async fn create_session(
    State(state): St,
    ClientAddr(addr): ClientAddr,
    Extension(rid): Extension<RequestId>,
    body: Result<Json<SessionRequest>, JsonRejection>,
) -> Result<Response, WebError> {
    let Json(req) = body.map_err(bad_json)?;
    let s = state
        .app
        .sign_in(
            &req.username,
            &req.password,
            req.totp.as_deref(),
            &addr,
            SessionKind::Bearer,
            Some(rid.0),
        )
        .await
        .map_err(WebError::json)?;
    if s.next == concordat_app::auth::NextStep::EnrolMfa {
        // Tokens for roles that see personal data need MFA: the account must enrol in a browser first.
        return Err(WebError::Json(AppError::invalid(
            "totp",
            "set up multi-factor authentication in the browser before using the API",
        )));
    }
    Ok((
        StatusCode::CREATED,
        Json(SessionResponse {
            token: s.token,
            expires_at: s.expires_at,
        }),
    )
        .into_response())
}

/// Revokes the token used for this request.
#[utoipa::path(delete, path = "/api/v1/sessions/current", responses((status = 204, description = "Token revoked"), (status = 401, description = "No valid bearer token", body = ErrorDto)), security(("bearer" = [])))]
async fn delete_session(State(state): St, u: ApiUser) -> Result<StatusCode, WebError> {
    state
        .app
        .sign_out(&u.ctx, u.request_id.clone())
        .await
        .map_err(WebError::json)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    username: String,
    display_name: String,
    role: Option<String>,
    organisation: Option<String>,
    mfa: bool,
}

/// Who the token belongs to.
#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = Me), (status = 401, description = "No valid bearer token", body = ErrorDto)), security(("bearer" = [])))]
async fn me(u: ApiUser) -> Json<Me> {
    Json(Me {
        username: u.ctx.user.username.clone(),
        display_name: u.ctx.user.display_name.clone(),
        role: u.ctx.membership.as_ref().map(|m| m.role.code().to_string()),
        organisation: u.ctx.membership.as_ref().map(|m| m.org_name.clone()),
        mfa: u.ctx.mfa_satisfied(),
    })
}

/// One of: an NHS number; a family name with a date of birth; a postcode. Anything else is refused with 422.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct SearchParams {
    nhs_number: Option<String>,
    family_name: Option<String>,
    date_of_birth: Option<String>,
    postcode: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PersonSummaryDto {
    id: i64,
    name: String,
    date_of_birth: Option<String>,
    postcode_district: Option<String>,
    synthetic: bool,
}

/// The response header that says whether more people matched a search than it returned.
pub const RESULTS_TRUNCATED: &str = "x-results-truncated";

/// Finds people by NHS number, by family name and date of birth, or by postcode. Each result is audited.
/// At most 25 people the caller may see are returned; `x-results-truncated: true` says more matched.
#[utoipa::path(get, path = "/api/v1/people", params(SearchParams),
    responses((status = 200, body = [PersonSummaryDto],
        headers(("x-results-truncated" = String, description = "true when more people the caller may see matched than the 25 returned; narrow the search"))),
        (status = 401, description = "No valid bearer token", body = ErrorDto), (status = 403, description = "The access policy refused; the refusal is audited", body = ErrorDto), (status = 422, description = "Invalid input: `fields` names each field and its problem", body = ErrorDto)), security(("bearer" = [])))]
async fn search_people(
    State(state): St,
    u: ApiUser,
    q: Result<Query<SearchInput>, QueryRejection>,
) -> Result<
    (
        [(&'static str, &'static str); 1],
        Json<Vec<PersonSummaryDto>>,
    ),
    WebError,
> {
    let Query(input) = q.map_err(bad_query)?;
    let actor = u.actor()?;
    let found = state
        .app
        .search_people(&actor, &input)
        .await
        .map_err(WebError::json)?;
    let more = if found.more { "true" } else { "false" };
    Ok((
        [(RESULTS_TRUNCATED, more)],
        Json(
            found
                .people
                .into_iter()
                .map(|p| PersonSummaryDto {
                    id: p.id,
                    name: p.name,
                    date_of_birth: p.date_of_birth.map(|d| d.to_string()),
                    postcode_district: p.postcode_district,
                    synthetic: p.synthetic,
                })
                .collect(),
        ),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct PersonDto {
    id: i64,
    given_name: String,
    family_name: String,
    date_of_birth: Option<String>,
    nhs_number: Option<String>,
    sex: Option<String>,
    postcode: Option<String>,
    address_line: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    owner_organisation: String,
    synthetic: bool,
    version: i64,
}

/// Reads a person's identity (policy-checked and audited).
#[utoipa::path(get, path = "/api/v1/people/{id}", params(("id" = i64, Path, description = "The person's record number")),
    responses((status = 200, body = PersonDto), (status = 401, description = "No valid bearer token", body = ErrorDto), (status = 403, description = "The access policy refused; the refusal is audited", body = ErrorDto), (status = 404, description = "No such record", body = ErrorDto), (status = 422, description = "Invalid input: `fields` names each field and its problem", body = ErrorDto)), security(("bearer" = [])))]
async fn get_person(
    State(state): St,
    u: ApiUser,
    id: Result<Path<i64>, axum::extract::rejection::PathRejection>,
) -> Result<Json<PersonDto>, WebError> {
    let Path(id) =
        id.map_err(|_| WebError::Json(AppError::invalid("id", "a person's id is a number")))?;
    let actor = u.actor()?;
    let p = state
        .app
        .view_person(&actor, PersonId(id), None)
        .await
        .map_err(WebError::json)?;
    Ok(Json(PersonDto {
        id: p.id,
        given_name: p.given_name,
        family_name: p.family_name,
        date_of_birth: p.date_of_birth.map(|d| d.to_string()),
        nhs_number: p.nhs_number,
        sex: p.sex,
        postcode: p.postcode,
        address_line: p.address_line,
        phone: p.phone,
        email: p.email,
        owner_organisation: p.owner_organisation,
        synthetic: p.synthetic,
        version: p.version,
    }))
}

/// The server reads every field as text (`PersonInput`): optional fields may be left out or empty,
/// but not null.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct PersonInputDto {
    #[schema(pattern = r"\S", max_length = 100)]
    given_name: String,
    #[schema(pattern = r"\S", max_length = 100)]
    family_name: String,
    /// 2024-03-01 or 01/03/2024, between 1900 and today.
    #[serde(default)]
    date_of_birth: String,
    /// Ten digits with a valid check digit.
    #[serde(default)]
    nhs_number: String,
    #[serde(default)]
    #[schema(max_length = 30)]
    sex: String,
    /// A full UK postcode.
    #[serde(default)]
    postcode: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    address_line: String,
    #[serde(default)]
    #[schema(max_length = 30)]
    phone: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    email: String,
}

#[derive(Serialize, ToSchema)]
pub struct Created {
    id: i64,
}

/// Creates a person owned by the caller's organisation.
#[utoipa::path(post, path = "/api/v1/people", request_body = PersonInputDto,
    responses((status = 201, body = Created), (status = 401, description = "No valid bearer token", body = ErrorDto), (status = 403, description = "The access policy refused; the refusal is audited", body = ErrorDto), (status = 422, description = "Invalid input: `fields` names each field and its problem", body = ErrorDto)), security(("bearer" = [])))]
async fn create_person(
    State(state): St,
    u: ApiUser,
    body: Result<Json<PersonInput>, JsonRejection>,
) -> Result<Response, WebError> {
    let Json(input) = body.map_err(bad_json)?;
    let actor = u.actor()?;
    let id = state
        .app
        .create_person(&actor, &input)
        .await
        .map_err(WebError::json)?;
    Ok((StatusCode::CREATED, Json(Created { id: id.0 })).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct OrganisationDto {
    id: i64,
    name: String,
    kind: String,
    ods_code: Option<String>,
    org_identifier: Option<String>,
}

/// The partnership's member organisations.
#[utoipa::path(get, path = "/api/v1/organisations", responses((status = 200, body = [OrganisationDto]), (status = 401, description = "No valid bearer token", body = ErrorDto)), security(("bearer" = [])))]
async fn organisations(
    State(state): St,
    _u: ApiUser,
) -> Result<Json<Vec<OrganisationDto>>, WebError> {
    let orgs = state.app.organisations().await.map_err(WebError::json)?;
    Ok(Json(
        orgs.into_iter()
            .map(|o| OrganisationDto {
                id: o.id.0,
                name: o.name,
                kind: o.kind.code().to_string(),
                ods_code: o.ods_code,
                org_identifier: o.org_identifier,
            })
            .collect(),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    person_id: Option<i64>,
    user_id: Option<i64>,
    org_id: Option<i64>,
    /// Milliseconds since the epoch, inclusive.
    from_ms: Option<i64>,
    /// Milliseconds since the epoch, exclusive.
    to_ms: Option<i64>,
    /// Only break-glass accesses (default false).
    break_glass_only: Option<bool>,
    /// How many events at most, newest first: 1 to 1000 (default 100). Anything else is refused with 422.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditEventDto {
    seq: i64,
    at: i64,
    username: String,
    role: Option<String>,
    org_id: Option<i64>,
    action: String,
    outcome: String,
    person_id: Option<i64>,
    resource_kind: String,
    resource_id: Option<String>,
    reason: Option<String>,
    legal_basis: Option<String>,
    break_glass: bool,
    request_id: Option<String>,
    hash: String,
}

/// Searches the audit log (privacy officers only).
#[utoipa::path(get, path = "/api/v1/audit", params(AuditParams),
    responses((status = 200, body = [AuditEventDto]), (status = 401, description = "No valid bearer token", body = ErrorDto), (status = 403, description = "The access policy refused; the refusal is audited", body = ErrorDto), (status = 422, description = "Invalid input: `fields` names each field and its problem", body = ErrorDto)), security(("bearer" = [])))]
async fn audit(
    State(state): St,
    u: ApiUser,
    q: Result<Query<AuditParams>, QueryRejection>,
) -> Result<Json<Vec<AuditEventDto>>, WebError> {
    let Query(p) = q.map_err(bad_query)?;
    let actor = u.actor()?;
    let filter = concordat_store::AuditFilter {
        person_id: p.person_id,
        user_id: p.user_id,
        org_id: p.org_id,
        from_ms: p.from_ms,
        to_ms: p.to_ms,
        break_glass_only: p.break_glass_only.unwrap_or(false),
        limit: p.limit.unwrap_or(100),
    };
    let events = state
        .app
        .audit_search(&actor, &filter)
        .await
        .map_err(WebError::json)?;
    Ok(Json(
        events
            .into_iter()
            .map(|e| AuditEventDto {
                seq: e.seq,
                at: e.draft.at,
                username: e.draft.username,
                role: e.draft.role,
                org_id: e.draft.org_id,
                action: e.draft.action,
                outcome: e.draft.outcome.code().to_string(),
                person_id: e.draft.person_id,
                resource_kind: e.draft.resource_kind,
                resource_id: e.draft.resource_id,
                reason: e.draft.reason,
                legal_basis: e.draft.legal_basis,
                break_glass: e.draft.break_glass,
                request_id: e.draft.request_id,
                hash: e.hash,
            })
            .collect(),
    ))
}

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Concordat API", description = "JSON API for Concordat. Every call is checked by the same access policy and audited like the web pages."),
    paths(create_session, delete_session, me, search_people, get_person, create_person, organisations, audit, crate::api_plans::get_plan, crate::api_plans::get_fhir, crate::api_ops::board, crate::api_ops::places),
    components(schemas(ErrorDto, FieldErrorDto, SessionRequest, SessionResponse, Me, PersonSummaryDto, PersonDto, PersonInputDto, Created, OrganisationDto, AuditEventDto, crate::api_plans::PlanLookupDto, crate::api_plans::PlanDto, crate::api_plans::PlanSectionDto, crate::api_ops::BoardRowDto, crate::api_ops::PlaceDto)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// The OpenAPI 3 document.
async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(full_openapi())
}

/// The whole document: the core API and the administration API.
fn full_openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(crate::api_admin::AdminApiDoc::openapi());
    doc.merge(crate::api_alliance::AllianceApiDoc::openapi());
    doc
}

/// The OpenAPI document as JSON text (served at /api/v1/openapi.json; tests validate it).
pub fn openapi_json() -> String {
    full_openapi().to_pretty_json().unwrap_or_default()
}
