//! JSON API for crisis operations: the detentions board and the places-of-safety availability board.
//! Same app functions as the pages, so the same policy and the same audit events.

use crate::api::ErrorDto;
use crate::error::WebError;
use crate::extract::ApiUser;
use crate::{AppState, Route};
use axum::Json;
use axum::extract::State;
use chrono::Utc;
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

type St = State<Arc<AppState>>;

pub fn routes() -> Vec<Route> {
    vec![Route::get("/board", board), Route::get("/places", places)]
}

#[derive(Serialize, ToSchema)]
pub struct BoardRowDto {
    episode_id: i64,
    power: String,
    /// The person's name, only where the policy lets the caller see their identity.
    person: Option<String>,
    /// True when a person is linked but not shared with the caller's organisation (`person` is then null).
    person_withheld: bool,
    place: Option<String>,
    /// not_started | within_limit | under_4_hours | under_1_hour | breach | ended_within_limit | ended_in_breach | cannot_compute | no_time_limit
    level: String,
    /// The level in words, as the board shows it.
    level_text: String,
    detail: String,
    /// Milliseconds since the Unix epoch.
    deadline: Option<i64>,
    /// The deadline in Europe/London time with its zone.
    deadline_local: Option<String>,
    minutes_left: Option<i64>,
    breach: bool,
    welfare_check_overdue: bool,
    notes: Vec<String>,
}

/// Open s136/s135 detentions the caller may see, with the statutory clock computed now. One audit event per row.
#[utoipa::path(get, path = "/api/v1/board", responses((status = 200, body = [BoardRowDto]), (status = 401, description = "No valid bearer token", body = ErrorDto), (status = 403, description = "Role may not see detention records", body = ErrorDto), (status = 422, description = "Invalid input: `fields` names each field and its problem", body = ErrorDto)), security(("bearer" = [])))]
async fn board(State(state): St, u: ApiUser) -> Result<Json<Vec<BoardRowDto>>, WebError> {
    let actor = u.actor()?;
    let rows = state
        .app
        .episode_board(&actor, Utc::now())
        .await
        .map_err(WebError::json)?;
    Ok(Json(
        rows.into_iter()
            .map(|r| BoardRowDto {
                episode_id: r.id,
                power: r.power.to_string(),
                person: r.person,
                person_withheld: r.person_withheld,
                place: r.place,
                level: r.status.level.code().to_string(),
                level_text: r.status.level.label().to_string(),
                detail: r.status.detail,
                deadline: r.status.deadline.map(|d| d.timestamp_millis()),
                deadline_local: r.status.deadline_local,
                minutes_left: r.status.minutes_left,
                breach: r.status.breach.is_some(),
                welfare_check_overdue: r.status.welfare.is_some_and(|w| w.overdue_now),
                notes: r.status.notes,
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct PlaceDto {
    id: i64,
    name: String,
    kind: String,
    organisation: String,
    capacity: i64,
    occupied: i64,
    availability: String,
    /// True when more people are there than it has places (a warning, not a refusal).
    over_capacity: bool,
    /// The full or over-capacity warning in words, when there is one.
    warning: Option<String>,
    /// Open or closed now, from its opening hours, in words.
    open_now: String,
    is_open: bool,
    opening_hours: String,
    /// The number to ring ahead on.
    phone: String,
    /// When availability last changed, and by whom (name and organisation).
    last_updated: String,
    accepts_under_18: bool,
    address: String,
}

/// Places of safety, crisis houses and safe havens with occupancy now. Names nobody.
#[utoipa::path(get, path = "/api/v1/places", responses((status = 200, body = [PlaceDto]), (status = 401, description = "No valid bearer token", body = ErrorDto), (status = 403, description = "The access policy refused; the refusal is audited", body = ErrorDto), (status = 422, description = "Invalid input: `fields` names each field and its problem", body = ErrorDto)), security(("bearer" = [])))]
async fn places(State(state): St, u: ApiUser) -> Result<Json<Vec<PlaceDto>>, WebError> {
    let actor = u.actor()?;
    let rows = state
        .app
        .places_availability(&actor)
        .await
        .map_err(WebError::json)?;
    Ok(Json(
        rows.into_iter()
            .map(|p| PlaceDto {
                id: p.id,
                name: p.name,
                kind: p.kind_label,
                organisation: p.org_name,
                capacity: p.capacity,
                occupied: p.occupied,
                availability: p.availability,
                over_capacity: p.over_capacity,
                warning: p.warning,
                open_now: p.open_now,
                is_open: p.is_open,
                opening_hours: p.hours,
                phone: p.phone,
                last_updated: p.updated,
                accepts_under_18: p.accepts_under_18,
                address: p.address,
            })
            .collect(),
    ))
}
