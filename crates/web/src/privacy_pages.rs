//! The privacy officer's pages: the audit log (one row per request, expandable to the people it named),
//! the break-glass review queue and a person's access history. People are named as the privacy
//! officer's policy allows (decided and audited per person in the app); actions are in plain words
//! from `concordat_domain::audit::actions`; times are local (Europe/London).

use crate::AppState;
use crate::error::WebError;
use crate::extract::Signed;
use crate::pages::{Layout, St, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use concordat_app::people::SearchInput;
use concordat_app::privacy::{NamedEvents, PersonLabel, revealed};
use concordat_app::{AppError, FieldError};
use concordat_domain::Role;
use concordat_domain::audit::AuditEvent;
use concordat_domain::audit::actions::words_or_generic;
use concordat_domain::model::PersonId;
use serde::Deserialize;
use std::collections::HashMap;

/// A time in Europe/London, as people read it: "7 Dec 2026 16:26" (`crate::dates`, with the zone
/// only in the hour repeated when the clocks go back).
pub(crate) fn fmt_london(ms: i64) -> String {
    crate::dates::ms_short(ms)
}

/// The words with a capital first letter.
fn sentence(words: &str) -> String {
    let mut c = words.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The person's words ("viewed your crisis plan") as the privacy officer reads them ("viewed the
/// person's crisis plan").
fn for_officer(words: &str) -> String {
    format!(" {words} ")
        .replace(" your ", " the person's ")
        .replace(" you ", " the person ")
        .trim()
        .to_string()
}

/// How a person is shown to the privacy officer: their name (and NHS number) when the policy allows,
/// otherwise only who holds the record.
fn person_text(p: &PersonLabel) -> String {
    match (&p.name, &p.nhs_number) {
        (Some(n), Some(nhs)) => format!("{n} (NHS {nhs})"),
        (Some(n), None) => n.clone(),
        _ => format!("A person whose record {} holds", p.held_by),
    }
}

/// One audit event as a row.
struct AuditRow {
    seq: i64,
    at: String,
    username: String,
    role: String,
    organisation: String,
    /// Plain words ("viewed your crisis plan").
    what: String,
    outcome: &'static str,
    person_id: Option<i64>,
    person: String,
    /// What was revealed, in words (plan lookups).
    revealed: String,
    reason: String,
    break_glass: bool,
}

fn audit_row(e: &AuditEvent, named: &NamedEvents) -> AuditRow {
    let person = e.draft.person_id.map(|id| {
        named
            .people
            .get(&id)
            .map(person_text)
            .unwrap_or_else(|| "A person".into())
    });
    AuditRow {
        seq: e.seq,
        at: fmt_london(e.draft.at),
        // Staff by name, with the account's username for tracing it ("Daniel Achterberg (demo.crisis)").
        username: match named.staff.get(&e.draft.username) {
            Some(name) => format!("{name} ({})", e.draft.username),
            None => e.draft.username.clone(),
        },
        role: e
            .draft
            .role
            .as_deref()
            .and_then(Role::from_code)
            .map(|r| r.label().split(" (").next().unwrap_or_default().to_string())
            .unwrap_or_default(),
        organisation: e
            .draft
            .org_id
            .and_then(|o| named.orgs.get(&o).cloned())
            .unwrap_or_default(),
        what: sentence(words_or_generic(&e.draft.action)),
        outcome: match e.draft.outcome.code() {
            "allowed" => "Allowed",
            _ => "Refused",
        },
        person_id: e.draft.person_id,
        person: person.unwrap_or_default(),
        revealed: revealed(e),
        reason: e.draft.reason.clone().unwrap_or_default(),
        break_glass: e.draft.break_glass,
    }
}

/// The events of one request: one row on the audit page, expandable to the people it named
/// (opening the contacts list writes one event per person shown).
struct AuditGroup {
    first: AuditRow,
    /// Every event of the request, newest first (one when the request wrote one event).
    rows: Vec<AuditRow>,
    /// The distinct actions of the request, in words.
    what: String,
}

/// Groups events by request id, keeping the order of each request's newest event.
fn group_by_request(events: &[AuditEvent], named: &NamedEvents) -> Vec<AuditGroup> {
    let mut order: Vec<Vec<&AuditEvent>> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for e in events {
        match e.draft.request_id.as_deref() {
            Some(r) => match index.get(r) {
                Some(i) => order[*i].push(e),
                None => {
                    index.insert(r, order.len());
                    order.push(vec![e]);
                }
            },
            None => order.push(vec![e]),
        }
    }
    order
        .into_iter()
        .map(|evs| {
            let officer = |e: &AuditEvent| {
                let mut r = audit_row(e, named);
                r.what = sentence(&for_officer(words_or_generic(&e.draft.action)));
                r
            };
            let rows: Vec<AuditRow> = evs.iter().map(|e| officer(e)).collect();
            let mut what: Vec<String> = Vec::new();
            for r in &rows {
                if !what.contains(&r.what) {
                    what.push(r.what.clone());
                }
            }
            AuditGroup {
                first: officer(evs[0]),
                rows,
                what: what.join("; "),
            }
        })
        .collect()
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    /// An NHS number or a family name.
    #[serde(default)]
    person: String,
    /// With a family name.
    #[serde(default)]
    date_of_birth: String,
    #[serde(default)]
    username: String,
    /// An organisation's name, or part of it.
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    fields: Vec<(&'static str, &'static str, &'static str, String)>,
    groups: Vec<AuditGroup>,
    events: usize,
}

fn audit_fields(q: &AuditQuery) -> Vec<(&'static str, &'static str, &'static str, String)> {
    vec![
        (
            "person",
            "Person",
            "Their NHS number, or their family name with their date of birth",
            q.person.clone(),
        ),
        (
            "date_of_birth",
            "Date of birth",
            "With a family name, for example 31/01/1990",
            q.date_of_birth.clone(),
        ),
        ("username", "Username", "", q.username.clone()),
        (
            "organisation",
            "Organisation",
            "Its name or part of it, such as Northvale Police",
            q.organisation.clone(),
        ),
        (
            "from",
            "From date",
            "For example 01/12/2026",
            q.from.clone(),
        ),
        ("to", "To date", "", q.to.clone()),
    ]
}

fn dates(q: &AuditQuery, errs: &mut Vec<FieldError>) -> (Option<i64>, Option<i64>) {
    let mut date = |field: &str, v: &str| -> Option<i64> {
        let v = v.trim();
        if v.is_empty() {
            return None;
        }
        concordat_app::people::parse_date_input(field, v)
            .map_err(|e| errs.push(e))
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc().timestamp_millis())
    };
    let from_ms = date("from", &q.from);
    // "to" is inclusive of the whole day.
    let to_ms = date("to", &q.to).map(|t| t + 86_400_000);
    (from_ms, to_ms)
}

/// The organisation whose name contains `typed` (case-insensitively; an exact name wins).
fn org_by_name(
    orgs: &[concordat_domain::model::Organisation],
    typed: &str,
) -> Result<i64, FieldError> {
    let t = typed.trim().to_lowercase();
    if let Some(o) = orgs.iter().find(|o| o.name.to_lowercase() == t) {
        return Ok(o.id.0);
    }
    let found: Vec<_> = orgs
        .iter()
        .filter(|o| o.name.to_lowercase().contains(&t))
        .collect();
    match found.as_slice() {
        [one] => Ok(one.id.0),
        [] => Err(FieldError::new(
            "organisation",
            format!(
                "no organisation's name contains \u{201c}{}\u{201d}",
                typed.trim()
            ),
        )),
        many => Err(FieldError::new(
            "organisation",
            format!(
                "more than one organisation matches: {}",
                many.iter()
                    .map(|o| o.name.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        )),
    }
}

/// The person the audit search asks about: found with the people search (as the privacy officer's
/// policy allows, and audited), by NHS number or family name and date of birth.
async fn person_by_search(
    state: &AppState,
    actor: &concordat_domain::policy::Actor,
    q: &AuditQuery,
) -> Result<Option<i64>, Result<FieldError, AppError>> {
    let typed = q.person.trim();
    if typed.is_empty() {
        return Ok(None);
    }
    let digits = typed
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>();
    let by_number = digits.chars().all(|c| c.is_ascii_digit());
    let input = SearchInput {
        nhs_number: if by_number {
            typed.into()
        } else {
            String::new()
        },
        family_name: if by_number {
            String::new()
        } else {
            typed.into()
        },
        date_of_birth: if by_number {
            String::new()
        } else {
            q.date_of_birth.clone()
        },
        postcode: String::new(),
    };
    match state.app.search_people(actor, &input).await {
        Ok(found) => match found.people.as_slice() {
            [one] => Ok(Some(one.id)),
            [] => Err(Ok(FieldError::new(
                "person",
                "no one whose record you may see matches: check the NHS number, or the family name and date of birth",
            ))),
            many => Err(Ok(FieldError::new(
                "person",
                format!(
                    "{}{} people match: search by their NHS number instead",
                    many.len(),
                    if found.more { " or more" } else { "" }
                ),
            ))),
        },
        Err(AppError::Invalid(errs)) => Err(Ok(errs
            .into_iter()
            .next()
            .map(|e| {
                let field = if e.field == "date_of_birth" {
                    "date_of_birth"
                } else {
                    "person"
                };
                FieldError::new(field, e.message)
            })
            .unwrap_or_else(|| FieldError::new("person", "check this")))),
        Err(e) => Err(Err(e)),
    }
}

pub async fn audit(State(state): St, s: Signed, Query(q): Query<AuditQuery>) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let layout = Layout::for_session("Audit log", &state, &s.ctx);
    let refused = |layout: Layout, errors: Vec<FieldError>| {
        render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &AuditPage {
                layout: layout.with_errors(errors),
                fields: audit_fields(&q),
                groups: vec![],
                events: 0,
            },
        )
    };
    // Authorise before validating: a role that may not read the audit log is refused as such.
    if let Err(e) = state.app.may_view_audit(&actor).await {
        return WebError::html(e).into_response();
    }
    let mut errs = Vec::new();
    let user_id = match q.username.trim() {
        "" => None,
        name => match state.app.user_id_by_username(&actor, name).await {
            Ok(Some(id)) => Some(id.0),
            Ok(None) => {
                errs.push(FieldError::new("username", "no user has that username"));
                None
            }
            Err(e) => return WebError::html(e).into_response(),
        },
    };
    let org_id = match q.organisation.trim() {
        "" => None,
        typed => match state.app.organisations().await {
            Ok(orgs) => match org_by_name(&orgs, typed) {
                Ok(id) => Some(id),
                Err(e) => {
                    errs.push(e);
                    None
                }
            },
            Err(e) => return WebError::html(e).into_response(),
        },
    };
    let (from_ms, to_ms) = dates(&q, &mut errs);
    if !errs.is_empty() {
        return refused(layout, errs);
    }
    let person_id = match person_by_search(&state, &actor, &q).await {
        Ok(p) => p,
        Err(Ok(e)) => return refused(layout, vec![e]),
        Err(Err(e)) => return WebError::html(e).into_response(),
    };
    let filter = concordat_store::AuditFilter {
        person_id,
        user_id,
        org_id,
        from_ms,
        to_ms,
        break_glass_only: false,
        limit: 500,
    };
    match state.app.audit_search_named(&actor, &filter).await {
        Ok(named) => render(
            StatusCode::OK,
            &AuditPage {
                layout,
                fields: audit_fields(&q),
                groups: group_by_request(&named.events, &named),
                events: named.events.len(),
            },
        ),
        Err(e) => WebError::html(e).into_response(),
    }
}

struct QueueItem {
    row: AuditRow,
    reviewed: Option<String>,
}

#[derive(Template)]
#[template(path = "break_glass.html")]
struct QueuePage {
    layout: Layout,
    items: Vec<QueueItem>,
    outcomes: &'static [(&'static str, &'static str)],
    /// The access whose review form the errors belong to.
    error_seq: Option<i64>,
}

impl QueuePage {
    /// The error for `field` on access `seq`'s form, if that form was the one refused.
    fn error_on(&self, seq: &i64, field: &str) -> Option<&str> {
        if self.error_seq != Some(*seq) {
            return None;
        }
        let id = format!("{field}-{seq}");
        self.layout
            .errors
            .iter()
            .find(|e| e.field == id || e.field.starts_with(&format!("{id}-")))
            .map(|e| e.message.as_str())
    }
}

pub async fn break_glass_queue(State(state): St, s: Signed) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    queue_page(&state, &s, &actor, None, vec![]).await
}

/// The queue, with `errors` shown on the review form of access `error_seq` when a review was refused.
async fn queue_page(
    state: &AppState,
    s: &Signed,
    actor: &concordat_domain::policy::Actor,
    error_seq: Option<i64>,
    errors: Vec<FieldError>,
) -> Response {
    match state.app.break_glass_queue_named(actor).await {
        Ok((items, named)) => {
            let outcome_label = |code: &str| {
                concordat_app::privacy::REVIEW_OUTCOMES
                    .iter()
                    .find(|(c, _)| *c == code)
                    .map(|(_, l)| l.to_string())
                    .unwrap_or_else(|| code.to_string())
            };
            let items = items
                .into_iter()
                .map(|i| QueueItem {
                    row: audit_row(&i.event, &named),
                    reviewed: i.reviewed_by.map(|by| {
                        format!(
                            "{} (by {by}, {})",
                            outcome_label(&i.outcome.unwrap_or_default()),
                            fmt_london(i.reviewed_at.unwrap_or_default())
                        )
                    }),
                })
                .collect();
            render(
                if errors.is_empty() {
                    StatusCode::OK
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                },
                &QueuePage {
                    layout: Layout::for_session("Break-glass reviews", state, &s.ctx)
                        .with_errors(errors),
                    items,
                    outcomes: concordat_app::privacy::REVIEW_OUTCOMES,
                    error_seq,
                },
            )
        }
        Err(e) => WebError::html(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    csrf: String,
}

pub async fn break_glass_review(
    State(state): St,
    s: Signed,
    Path(seq): Path<i64>,
    Form(form): Form<ReviewForm>,
) -> Response {
    let actor = match crate::pages::csrf_actor(&s, &form.csrf) {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    match state
        .app
        .review_break_glass(&actor, seq, &form.outcome, &form.notes)
        .await
    {
        Ok(()) => Redirect::to("/privacy/break-glass").into_response(),
        // Sent back on the same form: the summary links to this access's fields (their ids carry the
        // access number; the outcome links to its first radio button).
        Err(AppError::Invalid(errors)) => {
            let errors = errors
                .into_iter()
                .map(|e| {
                    let field = match e.field.as_str() {
                        "outcome" => format!(
                            "outcome-{seq}-{}",
                            concordat_app::privacy::REVIEW_OUTCOMES
                                .first()
                                .map(|(code, _)| *code)
                                .unwrap_or_default()
                        ),
                        "notes" => format!("notes-{seq}"),
                        other => other.to_string(),
                    };
                    FieldError::new(&field, e.message)
                })
                .collect();
            queue_page(&state, &s, &actor, Some(seq), errors).await
        }
        Err(e) => WebError::html(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "access_history.html")]
struct HistoryPage {
    layout: Layout,
    person_id: i64,
    /// The person's name and NHS number, when the privacy officer's policy allows.
    name: Option<String>,
    nhs_number: Option<String>,
    /// The organisation holding the record.
    held_by: String,
    rows: Vec<HistoryRow>,
    printed: String,
    /// Every event that names the person, on all pages.
    total: i64,
    page: i64,
    pages: i64,
}

/// One line of a person's access history, in words they can read.
struct HistoryRow {
    at: String,
    who: String,
    role: String,
    organisation: String,
    /// "Viewed your crisis plan", with what it showed.
    what: String,
    outcome: &'static str,
    reason: String,
    break_glass: bool,
}

/// `?page=N` on the access history (1 when absent).
#[derive(Deserialize)]
pub struct HistoryQuery {
    #[serde(default)]
    page: Option<String>,
}

pub async fn access_history(
    State(state): St,
    s: Signed,
    Path(id): Path<i64>,
    Query(q): Query<HistoryQuery>,
) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let page = match q.page.as_deref().map(str::trim) {
        None | Some("") => 1,
        Some(p) => match p.parse::<i64>() {
            Ok(n) => n,
            Err(_) => {
                return WebError::html(AppError::invalid("page", "use a page number of 1 or more"))
                    .into_response();
            }
        },
    };
    match state.app.access_history(&actor, PersonId(id), page).await {
        Ok(h) => {
            let named = NamedEvents {
                events: Vec::new(),
                people: HashMap::new(),
                orgs: h.orgs.clone(),
                staff: h.staff.clone(),
            };
            let rows = h
                .events
                .iter()
                .map(|e| {
                    let r = audit_row(e, &named);
                    let what = if r.revealed.is_empty() {
                        r.what
                    } else {
                        format!("{} ({})", r.what, r.revealed)
                    };
                    HistoryRow {
                        at: r.at,
                        who: if r.username.starts_with("system:") {
                            "Concordat itself".into()
                        } else {
                            r.username
                        },
                        role: r.role,
                        organisation: r.organisation,
                        what,
                        outcome: r.outcome,
                        reason: r.reason,
                        break_glass: r.break_glass,
                    }
                })
                .collect();
            render(
                StatusCode::OK,
                &HistoryPage {
                    layout: Layout::for_session("Access history", &state, &s.ctx),
                    person_id: id,
                    name: h.person.name.clone(),
                    nhs_number: h.person.nhs_number.clone(),
                    held_by: h.person.held_by.clone(),
                    rows,
                    printed: fmt_london(chrono::Utc::now().timestamp_millis()),
                    total: h.total,
                    page: h.page,
                    pages: h.pages,
                },
            )
        }
        Err(e) => WebError::html(e).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn london_times_follow_the_clocks() {
        // 12:00 UTC is 12:00 in winter and 13:00 in summer.
        assert_eq!(fmt_london(1_796_644_800_000), "7 Dec 2026 12:00");
        assert_eq!(fmt_london(1_783_425_600_000), "7 Jul 2026 13:00");
    }
}
