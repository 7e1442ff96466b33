//! Crisis operations: crisis contacts, the live s136/s135 board, episodes, places of safety, exports.
//! Thin handlers: parse, one app call, render. Work without JavaScript; warnings are words, never colour alone.

use crate::dates;
use crate::error::WebError;
use crate::extract::Signed;
use crate::pages::{Card, Layout, Saved, St, check_csrf, render};
use crate::{AppState, Route};
use askama::Template;
use axum::Form;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use concordat_app::operations::{
    BoardRow, ContactForm, ContactLine, ContactList, ContactListQuery, ContactView, EpisodeView,
    ExportKind, Options, PlaceAvailability, contact_options, form_time,
};
use concordat_app::people::{PersonSummary, SearchInput};
use concordat_app::{AppError, FieldError};
use concordat_domain::mha;
use concordat_domain::policy::Actor;
use concordat_domain::policy::{Action, may};
use concordat_domain::{DataCategory, Role};
use serde::Deserialize;

/// Routes for these pages (part of the main router's table).
pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/board", board),
        Route::get("/episodes/new", episode_new_form),
        Route::post("/episodes", episode_create),
        Route::get("/episodes/{id}", episode),
        Route::post("/episodes/{id}", episode_record),
        Route::get("/contacts", contacts),
        Route::post("/contacts", contact_create),
        Route::get("/contacts/new", contact_new_form),
        Route::get("/contacts/{id}", contact),
        Route::post("/contacts/{id}", contact_update),
        Route::post("/contacts/{id}/join", contact_join),
        Route::get("/places", places),
        Route::get("/exports", exports),
        Route::get("/exports/home-office.csv", export_home_office),
        Route::get("/exports/outcomes.csv", export_outcomes),
    ]
}

// What is shown follows the access policy (`concordat_domain::policy::may`): a link or form appears only for
// a role that could use it. It grants nothing: every request is still decided in the app layer.

/// Roles that record crisis contacts (and so see the list of them).
fn records_contacts(role: Role) -> bool {
    may(role, Action::RecordContact)
}

/// Roles that record s136/s135 detentions: the board is their working list.
fn records_detentions(role: Role) -> bool {
    may(role, Action::RecordDetention)
}

fn exports_allowed(role: Role) -> bool {
    may(role, Action::ExportReturns)
}

/// The signed-in role, if any.
fn role_of(s: &Signed) -> Option<Role> {
    s.ctx.membership.as_ref().map(|m| m.role)
}

/// Navigation links for a role (they hide links; the policy decides access).
pub(crate) fn nav(role: Role) -> Vec<(&'static str, &'static str)> {
    let mut nav = Vec::new();
    if records_detentions(role) {
        nav.push(("/board", "Detentions board"));
    }
    if records_contacts(role) {
        nav.push(("/contacts", "Crisis contacts"));
    }
    nav.push(("/places", "Places of safety"));
    if exports_allowed(role) {
        nav.push(("/exports", "Returns"));
    }
    nav
}

/// Home-page cards for a role.
pub(crate) fn cards(role: Role) -> Vec<Card> {
    let mut cards = Vec::new();
    if records_detentions(role) {
        cards.push(Card {
            title: "Detentions board",
            href: "/board",
            text: "Everyone held under section 136 or 135 now, with the time left on the 24-hour clock, warnings at 4 hours and 1 hour, and overdue welfare checks.",
        });
    }
    if records_contacts(role) {
        cards.push(Card {
            title: "Crisis contacts",
            href: "/contacts",
            text: "Record a street triage, control-room or advice-line contact in one short form; keep a draft and finish later.",
        });
    }
    cards.push(Card {
        title: "Places of safety",
        href: "/places",
        text: "Places of safety, crisis houses and safe havens: opening hours and how many places are free now.",
    });
    if exports_allowed(role) {
        cards.push(Card {
            title: "Returns",
            href: "/exports",
            text: "Download the Home Office s136 return and the outcome table beside the same period a year earlier.",
        });
    }
    cards
}

fn ms_local(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(dates::short)
        .unwrap_or_default()
}

fn label(list: &[(&str, &str)], code: &str) -> String {
    list.iter()
        .find(|(c, _)| *c == code)
        .map_or_else(|| code.to_string(), |(_, l)| (*l).to_string())
}

// ---- the person chooser ----------------------------------------------------------------------------

/// The person chooser on the contact and detention forms: works without JavaScript. "Find the person"
/// submits the whole form with `find_person`, and the page comes back with what was typed and the people
/// the search found that the user may see (the search decides and audits each one, like a view); the
/// person chosen is shown by name only where the policy allows (`App::person_choice`).
pub(crate) struct Chooser {
    /// The person chosen, named.
    chosen: Option<PersonSummary>,
    /// The record number chosen (kept even when the person cannot be named to this user).
    chosen_id: String,
    /// The search's results, after a search.
    results: Option<Vec<PersonSummary>>,
    more: bool,
    family_name: String,
    date_of_birth: String,
    nhs_number: String,
}

/// Whether a form was submitted to find a person rather than to save.
fn wants_search(pairs: &[(String, String)]) -> bool {
    pairs.iter().any(|(k, _)| k == "find_person")
}

/// Builds the chooser for `person_id` (as submitted), searching when asked. Search input problems come
/// back as field errors on `find.*`.
async fn chooser(
    state: &AppState,
    actor: &Actor,
    person_id: &str,
    pairs: &[(String, String)],
    search: bool,
    lookup: bool,
) -> Result<(Chooser, Vec<FieldError>), Response> {
    let mut c = Chooser {
        chosen: None,
        chosen_id: person_id.trim().to_string(),
        results: None,
        more: false,
        family_name: pair(pairs, "find.family_name"),
        date_of_birth: pair(pairs, "find.date_of_birth"),
        nhs_number: pair(pairs, "find.nhs_number"),
    };
    let mut errors = Vec::new();
    // After a refused choice the number is not looked up again (the refusal is audited once).
    if let Ok(id) = c.chosen_id.parse::<i64>()
        && id > 0
        && lookup
    {
        match state.app.person_choice(actor, id).await {
            Ok(p) => c.chosen = Some(p),
            Err(AppError::Invalid(_)) => {}
            Err(e) => return Err(WebError::html(e).into_response()),
        }
    }
    if search {
        let input = SearchInput {
            nhs_number: c.nhs_number.clone(),
            family_name: c.family_name.clone(),
            date_of_birth: c.date_of_birth.clone(),
            postcode: String::new(),
        };
        if [&input.nhs_number, &input.family_name, &input.date_of_birth]
            .iter()
            .all(|v| v.trim().is_empty())
        {
            errors.push(FieldError::new(
                "find.family_name",
                "Enter the family name and date of birth, or the NHS number, to find the person",
            ));
        } else {
            match state.app.search_people(actor, &input).await {
                Ok(r) => {
                    c.more = r.more;
                    c.results = Some(r.people);
                }
                Err(AppError::Invalid(errs)) => errors.extend(
                    errs.into_iter()
                        .map(|e| FieldError::new(&format!("find.{}", e.field), e.message)),
                ),
                Err(e) => return Err(WebError::html(e).into_response()),
            }
        }
    }
    Ok((c, errors))
}

#[derive(Deserialize, Default)]
struct PersonQuery {
    #[serde(default)]
    person: String,
}

// ---- board -----------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "ops_board.html")]
struct BoardPage {
    layout: Layout,
    rows: Vec<BoardRow>,
    now: String,
    may_record: bool,
}

async fn board(State(state): St, s: Signed) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let now = Utc::now();
    match state.app.episode_board(&actor, now).await {
        Ok(rows) => render(
            StatusCode::OK,
            &BoardPage {
                layout: Layout::for_session("Detentions board", &state, &s.ctx),
                rows,
                now: dates::short(now),
                may_record: role_of(&s).is_some_and(records_detentions),
            },
        ),
        Err(e) => WebError::html(e).into_response(),
    }
}

// ---- episodes --------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "ops_episode.html")]
struct EpisodePage {
    layout: Layout,
    v: EpisodeView,
    next_stay: usize,
    /// `stays[N]` for the next stay, so that the rules' field names match the inputs.
    stay_prefix: String,
    now_form: String,
    steps: Vec<StepLine>,
    reasons: Vec<(&'static str, &'static str)>,
    outcomes: Vec<(&'static str, &'static str)>,
    ranks: Vec<(&'static str, &'static str)>,
    values: Vec<(String, String)>,
    /// Whether the forms for the next step are shown (a role that records detentions).
    may_record: bool,
}

/// A line in the episode's history, in words.
struct StepLine {
    when: String,
    what: String,
}

impl EpisodePage {
    fn stay_err(&self, suffix: &str) -> Option<&str> {
        self.layout
            .error_for(&format!("{}.{suffix}", self.stay_prefix))
    }

    fn value_or(&self, field: &str, default: &str) -> String {
        let v = self.value(field);
        if v.is_empty() { default.to_string() } else { v }
    }

    fn minutes(&self, m: &i64) -> String {
        mha::minutes_text(*m)
    }

    fn local(&self, t: &DateTime<Utc>) -> String {
        dates::short(*t)
    }

    fn form_opt(&self, t: &Option<DateTime<Utc>>) -> String {
        t.map(form_time).unwrap_or_default()
    }

    fn place_kinds(&self) -> Vec<(&'static str, &'static str)> {
        mha::PlaceOfSafetyKind::ALL
            .iter()
            .map(|k| (k.code(), k.label()))
            .collect()
    }

    /// True while the person is at a police station, where welfare checks are due every 30 minutes.
    fn at_police_station(&self) -> bool {
        self.v
            .episode
            .stays
            .iter()
            .any(|s| s.departed_at.is_none() && s.kind == mha::PlaceOfSafetyKind::PoliceStation)
    }

    /// The clock's facts as (label, value) lines.
    fn clock_lines(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let Some(c) = &self.v.status.clock else {
            return out;
        };
        out.push((
            "Started".into(),
            format!("{}: {}", dates::short(c.start), c.started_by.explain()),
        ));
        out.push(("24 hours end".into(), dates::short(c.limit)));
        let ext = match &c.extension {
            mha::ExtensionStatus::NotRecorded => "None recorded".to_string(),
            mha::ExtensionStatus::Granted { minutes } => {
                format!("Granted: {} more", mha::minutes_text(i64::from(*minutes)))
            }
            mha::ExtensionStatus::Refused { reasons } => format!(
                "Recorded but refused, so the limit has not moved: {}",
                reasons
                    .iter()
                    .map(|r| r.message.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        };
        out.push(("Extension".into(), ext));
        out.push(("Time limit".into(), dates::short(c.deadline)));
        // The rule set's name in words, never its code ("pca2017").
        let rules = mha::RuleBook::england()
            .sets()
            .iter()
            .find(|r| r.id == c.rule_set)
            .map_or_else(
                || "The Mental Health Act 1983".to_string(),
                |r| r.name.to_string(),
            );
        out.push(("Rules applied".into(), rules));
        out
    }

    /// A submitted value to show again after an error.
    fn value(&self, field: &str) -> String {
        self.values
            .iter()
            .find(|(k, _)| k == field)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}

fn step_lines(v: &EpisodeView) -> Vec<StepLine> {
    let ep = &v.episode;
    let mut lines = vec![StepLine {
        when: dates::short(ep.detained_at),
        what: format!(
            "Detained under {} at: {}{}",
            ep.power.label(),
            ep.detention_place.label(),
            if v.officer.is_empty() {
                String::new()
            } else {
                format!(" (officer {})", v.officer)
            }
        ),
    }];
    match &ep.consultation {
        Some(mha::Consultation::Consulted { with, .. }) => lines.push(StepLine {
            when: String::new(),
            what: format!("Consulted before detention: {}", with.label()),
        }),
        Some(mha::Consultation::NotPracticable { reason }) => lines.push(StepLine {
            when: String::new(),
            what: format!("No consultation before detention: {reason}"),
        }),
        None => {}
    }
    for (i, s) in ep.stays.iter().enumerate() {
        lines.push(StepLine {
            when: dates::short(s.arrived_at),
            what: format!(
                "{} {}",
                if i == 0 {
                    "Arrived at"
                } else {
                    "Transferred to"
                },
                s.kind.label()
            ),
        });
        for w in &s.welfare_checks {
            lines.push(StepLine {
                when: dates::short(*w),
                what: "Welfare check by a healthcare professional".into(),
            });
        }
        if let Some(d) = s.departed_at {
            lines.push(StepLine {
                when: dates::short(d),
                what: format!("Left {}", s.kind.label()),
            });
        }
    }
    if let Some(t) = ep.assessment.doctor_examined_at {
        lines.push(StepLine {
            when: dates::short(t),
            what: format!(
                "Examined by doctor {}",
                ep.assessment.doctor.as_ref().map_or("", |d| d.0.as_str())
            ),
        });
    }
    if let Some(t) = ep.assessment.amhp_interviewed_at {
        lines.push(StepLine {
            when: dates::short(t),
            what: format!(
                "Interviewed by AMHP {}",
                ep.assessment.amhp.as_ref().map_or("", |d| d.0.as_str())
            ),
        });
    }
    if let Some(x) = &ep.extension {
        lines.push(StepLine {
            when: dates::short(x.authorised_at),
            what: format!(
                "Extension of {} by {}: {}",
                mha::minutes_text(i64::from(x.minutes)),
                x.authorised_by.0,
                x.reason.label()
            ),
        });
    }
    if let Some(t) = ep.ended_at {
        lines.push(StepLine {
            when: dates::short(t),
            what: format!(
                "Detention ended: {}",
                ep.outcome.map_or("outcome not recorded", |o| o.label())
            ),
        });
    }
    lines.sort_by_key(|l| l.when.is_empty());
    lines
}

fn episode_page(
    state: &AppState,
    s: &Signed,
    v: EpisodeView,
    errors: Vec<FieldError>,
    values: Vec<(String, String)>,
) -> EpisodePage {
    let title = format!("Detention {}", v.id);
    EpisodePage {
        layout: Layout::for_session(&title, state, &s.ctx).with_errors(errors),
        next_stay: v.episode.stays.len(),
        stay_prefix: format!("stays[{}]", v.episode.stays.len()),
        now_form: form_time(Utc::now()),
        steps: step_lines(&v),
        reasons: mha::ExtensionReason::ALL
            .iter()
            .map(|r| (r.code(), r.label()))
            .collect(),
        outcomes: mha::OutcomeKind::ALL
            .iter()
            .map(|r| (r.code(), r.label()))
            .collect(),
        ranks: mha::PoliceRank::ALL
            .iter()
            .map(|r| (r.code(), r.label()))
            .collect(),
        v,
        values,
        may_record: role_of(s).is_some_and(records_detentions),
    }
}

async fn episode(State(state): St, s: Signed, Path(id): Path<i64>) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    match state.app.episode_view(&actor, id, Utc::now()).await {
        Ok(v) => render(
            StatusCode::OK,
            &episode_page(&state, &s, v, Vec::new(), Vec::new()),
        ),
        Err(e) => WebError::html(e).into_response(),
    }
}

fn pair(pairs: &[(String, String)], k: &str) -> String {
    pairs
        .iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

async fn episode_record(
    State(state): St,
    s: Signed,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(e) = check_csrf(&s.ctx, &pair(&pairs, "csrf")) {
        return e.into_response();
    }
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let version = pair(&pairs, "version").parse::<i64>().unwrap_or(-1);
    let errors = match state.app.episode_record(&actor, id, version, &pairs).await {
        Ok(_) => {
            return Saved::Detention
                .redirect(&format!("/episodes/{id}"))
                .into_response();
        }
        Err(AppError::Invalid(errors)) => errors,
        Err(AppError::Conflict(m)) => vec![FieldError::new("version", m)],
        Err(e) => return WebError::html(e).into_response(),
    };
    match state.app.episode_view(&actor, id, Utc::now()).await {
        Ok(v) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &episode_page(&state, &s, v, errors, pairs),
        ),
        Err(e) => WebError::html(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "ops_episode_new.html")]
struct EpisodeNewPage {
    layout: Layout,
    chooser: Chooser,
    places: Vec<(i64, String, String)>,
    values: Vec<(String, String)>,
    powers: Vec<(&'static str, &'static str)>,
    detention_places: Vec<(&'static str, &'static str)>,
    consulted: Vec<(&'static str, &'static str)>,
    transports: Vec<(&'static str, &'static str)>,
    vehicle_reasons: Vec<(&'static str, &'static str)>,
    ranks: Vec<(&'static str, &'static str)>,
    sexes: Vec<(&'static str, &'static str)>,
    ethnicities: Vec<(&'static str, &'static str)>,
}

impl EpisodeNewPage {
    fn value(&self, field: &str) -> String {
        self.values
            .iter()
            .find(|(k, _)| k == field)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
    fn selected(&self, field: &str, code: &str) -> bool {
        self.value(field) == code
    }
}

macro_rules! codes {
    ($t:ty) => {
        <$t>::ALL.iter().map(|r| (r.code(), r.label())).collect()
    };
}

async fn new_episode_page(
    state: &AppState,
    s: &Signed,
    values: Vec<(String, String)>,
    mut errors: Vec<FieldError>,
    search: bool,
) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let places = match state.app.episode_places().await {
        Ok(p) => p,
        Err(e) => return WebError::html(e).into_response(),
    };
    let (chooser, find_errors) = match chooser(
        state,
        &actor,
        &pair(&values, "person_id"),
        &values,
        search,
        !errors.iter().any(|e| e.field == "person_id"),
    )
    .await
    {
        Ok(c) => c,
        Err(r) => return r,
    };
    errors.extend(find_errors);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &EpisodeNewPage {
            layout: Layout::for_session("Record a detention", state, &s.ctx).with_errors(errors),
            chooser,
            places,
            values,
            powers: codes!(mha::Power),
            detention_places: codes!(mha::DetentionPlace),
            consulted: codes!(mha::ConsultedProfessional),
            transports: codes!(mha::Transport),
            vehicle_reasons: codes!(mha::PoliceVehicleReason),
            ranks: codes!(mha::PoliceRank),
            sexes: codes!(mha::Sex),
            ethnicities: codes!(mha::Ethnicity),
        },
    )
}

async fn episode_new_form(
    State(state): St,
    s: Signed,
    q: Result<Query<PersonQuery>, QueryRejection>,
) -> Response {
    // A role that cannot record a detention is refused the form, with the reason (403).
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = state.app.episode_form(&actor).await {
        return WebError::html(e).into_response();
    }
    let now = form_time(Utc::now());
    let values = vec![
        ("detained_at".to_string(), now),
        ("power".to_string(), "s136".to_string()),
        (
            "detention_place".to_string(),
            "street_or_public_place".to_string(),
        ),
        // From the person's page: "Record a detention" chooses them.
        (
            "person_id".to_string(),
            q.map(|Query(q)| q.person).unwrap_or_default(),
        ),
    ];
    new_episode_page(&state, &s, values, Vec::new(), false).await
}

async fn episode_create(
    State(state): St,
    s: Signed,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(e) = check_csrf(&s.ctx, &pair(&pairs, "csrf")) {
        return e.into_response();
    }
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    if wants_search(&pairs) {
        // Authorised like the form itself, then the search: nothing is saved.
        if let Err(e) = state.app.episode_form(&actor).await {
            return WebError::html(e).into_response();
        }
        return new_episode_page(&state, &s, pairs, Vec::new(), true).await;
    }
    match state.app.episode_create(&actor, &pairs).await {
        Ok(id) => Saved::Detention
            .redirect(&format!("/episodes/{id}"))
            .into_response(),
        Err(AppError::Invalid(errors)) => new_episode_page(&state, &s, pairs, errors, false).await,
        Err(e) => WebError::html(e).into_response(),
    }
}

// ---- contacts --------------------------------------------------------------------------------------

/// The contacts list's filters, as the query string gives them.
#[derive(Deserialize, Default)]
struct ContactsQuery {
    #[serde(default)]
    today: String,
    #[serde(default)]
    mine: String,
    #[serde(default)]
    drafts: String,
    #[serde(default)]
    person: String,
}

#[derive(Template)]
#[template(path = "ops_contacts.html")]
struct ContactsPage {
    layout: Layout,
    list: ContactList,
    q: ContactListQuery,
    /// Neighbourhood code → name, for "where".
    neighbourhoods: Vec<(String, String)>,
    /// Whether the "Record a new contact" button is shown.
    may_record: bool,
}

impl ContactsPage {
    fn called(&self, c: &ContactLine) -> String {
        ms_local(c.called_at)
    }
    fn source(&self, c: &ContactLine) -> String {
        use concordat_app::operations::contacts_lists as l;
        label(l::SOURCES, &c.source)
    }
    fn setting(&self, c: &ContactLine) -> String {
        use concordat_app::operations::contacts_lists as l;
        label(l::SETTINGS, &c.setting)
    }
    fn outcome(&self, c: &ContactLine) -> String {
        use concordat_app::operations::contacts_lists as l;
        c.outcomes
            .iter()
            .map(|o| label(l::OUTCOMES, o))
            .collect::<Vec<_>>()
            .join("; ")
    }
    /// Where, in words: the neighbourhood's name and the postcode, as far as recorded.
    fn place(&self, c: &ContactLine) -> String {
        let n = c.neighbourhood.as_ref().map(|code| {
            self.neighbourhoods
                .iter()
                .find(|(k, _)| k == code)
                .map_or_else(|| code.clone(), |(_, name)| name.clone())
        });
        match (n, &c.postcode) {
            (Some(n), Some(p)) => format!("{n} ({p})"),
            (Some(n), None) => n,
            (None, Some(p)) => p.clone(),
            (None, None) => "Not recorded yet".into(),
        }
    }
}

fn flag(v: &str) -> bool {
    matches!(v, "1" | "yes" | "on" | "true")
}

async fn contacts(
    State(state): St,
    s: Signed,
    q: Result<Query<ContactsQuery>, QueryRejection>,
) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let person_id = match q.person.trim() {
        "" => None,
        p => match p.parse::<i64>() {
            Ok(id) if id > 0 => Some(id),
            // A number that is not a number matches nobody, and is answered as such.
            _ => Some(0),
        },
    };
    let query = ContactListQuery {
        today: flag(&q.today),
        mine: flag(&q.mine),
        drafts: flag(&q.drafts),
        person_id,
    };
    let list = match state.app.contacts_list(&actor, &query).await {
        Ok(l) => l,
        Err(e) => return WebError::html(e).into_response(),
    };
    let neighbourhoods = match contact_options(&state.app).await {
        Ok(o) => o
            .neighbourhoods
            .into_iter()
            .map(|n| (n.code, n.name))
            .collect(),
        Err(e) => return WebError::html(e).into_response(),
    };
    render(
        StatusCode::OK,
        &ContactsPage {
            layout: Layout::for_session("Crisis contacts", &state, &s.ctx),
            may_record: role_of(&s).is_some_and(records_contacts),
            list,
            q: query,
            neighbourhoods,
        },
    )
}

async fn contact_join(
    State(state): St,
    s: Signed,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(e) = check_csrf(&s.ctx, &pair(&pairs, "csrf")) {
        return e.into_response();
    }
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    match state.app.contact_join(&actor, id).await {
        Ok(_) => axum::response::Redirect::to(&format!("/contacts/{id}?joined=1")).into_response(),
        Err(e) => WebError::html(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "ops_contact_form.html")]
struct ContactFormPage {
    layout: Layout,
    /// `None` for a new contact.
    id: Option<i64>,
    form: ContactForm,
    o: Options,
    clinical_visible: bool,
    view: Option<ContactView>,
    chooser: Chooser,
}

impl ContactFormPage {
    fn checked(&self, field: &str, code: &str) -> bool {
        let list = match field {
            "agencies" => &self.form.agencies,
            "presenting_needs" => &self.form.presenting_needs,
            "outcomes" => &self.form.outcomes,
            _ => return false,
        };
        list.iter().any(|v| v == code)
    }
    fn selected(&self, field: &str, code: &str) -> bool {
        let v = match field {
            "source" => &self.form.source,
            "setting" => &self.form.setting,
            "response_type" => &self.form.response_type,
            "conveyance" => &self.form.conveyance,
            "neighbourhood" => &self.form.neighbourhood,
            _ => return false,
        };
        v == code
    }
    fn when(&self, ms: &i64) -> String {
        ms_local(*ms)
    }
    /// A member of staff by name and role, as the app labelled them (the username only for an account
    /// that no longer exists).
    fn staff(&self, username: &str) -> String {
        self.view
            .as_ref()
            .and_then(|v| v.staff.get(username).cloned())
            .unwrap_or_else(|| username.to_string())
    }
    fn versions(&self) -> Vec<(i64, String, String, String)> {
        use concordat_app::operations::contacts_lists as l;
        self.view
            .as_ref()
            .map(|v| {
                v.versions
                    .iter()
                    .map(|x| {
                        (
                            x.version,
                            self.staff(&x.saved_by),
                            ms_local(x.saved_at),
                            format!(
                                "{}; outcomes: {}",
                                if x.data.status == "draft" {
                                    "draft"
                                } else {
                                    "finished"
                                },
                                if x.data.outcomes.is_empty() {
                                    "none yet".to_string()
                                } else {
                                    x.data
                                        .outcomes
                                        .iter()
                                        .map(|o| label(l::OUTCOMES, o))
                                        .collect::<Vec<_>>()
                                        .join("; ")
                                }
                            ),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// What the contact form page is showing besides the form: the submitted pairs (for the chooser's search
/// fields) and whether to search.
struct Submitted<'a> {
    pairs: &'a [(String, String)],
    search: bool,
}

const NOTHING_SUBMITTED: Submitted<'static> = Submitted {
    pairs: &[],
    search: false,
};

async fn contact_page(
    state: &AppState,
    s: &Signed,
    id: Option<i64>,
    form: ContactForm,
    view: Option<ContactView>,
    mut errors: Vec<FieldError>,
    sub: Submitted<'_>,
) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let o = match contact_options(&state.app).await {
        Ok(o) => o,
        Err(e) => return WebError::html(e).into_response(),
    };
    let (chooser, find_errors) = match chooser(
        state,
        &actor,
        &form.person_id,
        sub.pairs,
        sub.search,
        !errors.iter().any(|e| e.field == "person_id"),
    )
    .await
    {
        Ok(c) => c,
        Err(r) => return r,
    };
    errors.extend(find_errors);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else if errors.iter().any(|e| e.field == "version") {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    // Police and other roles without incident history never see or enter clinical detail.
    let clinical_visible = view.as_ref().map_or_else(
        || {
            s.ctx
                .membership
                .as_ref()
                .is_some_and(|m| may(m.role, Action::ViewPerson(DataCategory::IncidentHistory)))
        },
        |v| v.clinical_visible,
    );
    let title = match id {
        Some(i) => format!("Crisis contact {i}"),
        None => "New crisis contact".to_string(),
    };
    render(
        status,
        &ContactFormPage {
            layout: Layout::for_session(&title, state, &s.ctx)
                .with_back("/contacts", "Back to crisis contacts")
                .with_errors(errors),
            id,
            form,
            o,
            clinical_visible,
            view,
            chooser,
        },
    )
}

async fn contact_new_form(
    State(state): St,
    s: Signed,
    q: Result<Query<PersonQuery>, QueryRejection>,
) -> Response {
    // A role that cannot record a contact is refused the form, with the reason (403).
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = state.app.contact_form(&actor).await {
        return WebError::html(e).into_response();
    }
    // From the person's page: "Record a contact" chooses them.
    let mut form = ContactForm::new_now();
    form.person_id = q.map(|Query(q)| q.person).unwrap_or_default();
    contact_page(&state, &s, None, form, None, Vec::new(), NOTHING_SUBMITTED).await
}

async fn contact_create(
    State(state): St,
    s: Signed,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(e) = check_csrf(&s.ctx, &pair(&pairs, "csrf")) {
        return e.into_response();
    }
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let form = ContactForm::from_pairs(&pairs);
    if wants_search(&pairs) {
        // Authorised like the form itself, then the search: nothing is saved.
        if let Err(e) = state.app.contact_form(&actor).await {
            return WebError::html(e).into_response();
        }
        let sub = Submitted {
            pairs: &pairs,
            search: true,
        };
        return contact_page(&state, &s, None, form, None, Vec::new(), sub).await;
    }
    match state.app.contact_create(&actor, &form).await {
        Ok(id) => Saved::Contact
            .redirect(&format!("/contacts/{id}"))
            .into_response(),
        Err(AppError::Invalid(errors)) => {
            let sub = Submitted {
                pairs: &pairs,
                search: false,
            };
            contact_page(&state, &s, None, form, None, errors, sub).await
        }
        Err(e) => WebError::html(e).into_response(),
    }
}

async fn contact(State(state): St, s: Signed, Path(id): Path<i64>) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    match state.app.contact_view(&actor, id).await {
        Ok(v) => {
            let form = ContactForm::from_record(&v.record);
            contact_page(
                &state,
                &s,
                Some(id),
                form,
                Some(v),
                Vec::new(),
                NOTHING_SUBMITTED,
            )
            .await
        }
        Err(e) => WebError::html(e).into_response(),
    }
}

async fn contact_update(
    State(state): St,
    s: Signed,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(e) = check_csrf(&s.ctx, &pair(&pairs, "csrf")) {
        return e.into_response();
    }
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let mut form = ContactForm::from_pairs(&pairs);
    let search = wants_search(&pairs);
    let errors = if search {
        Vec::new()
    } else {
        match state.app.contact_update(&actor, id, &form).await {
            Ok(_) => {
                return Saved::Contact
                    .redirect(&format!("/contacts/{id}"))
                    .into_response();
            }
            Err(AppError::Invalid(errors)) => errors,
            Err(AppError::Conflict(m)) => vec![FieldError::new("version", m)],
            Err(e) => return WebError::html(e).into_response(),
        }
    };
    // Show the current record's history beside what they typed; on a conflict, their version number stays
    // the old one so that saving again is refused until they reopen the contact and see the other changes.
    let view = match state.app.contact_view(&actor, id).await {
        Ok(v) => v,
        Err(e) => return WebError::html(e).into_response(),
    };
    if !view.clinical_visible {
        form.presenting_needs.clear();
        form.physical_health_check = false;
    }
    let sub = Submitted {
        pairs: &pairs,
        search,
    };
    contact_page(&state, &s, Some(id), form, Some(view), errors, sub).await
}

// ---- places ----------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "ops_places.html")]
struct PlacesPage {
    layout: Layout,
    places: Vec<PlaceAvailability>,
    now: String,
}

async fn places(State(state): St, s: Signed) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    match state.app.places_availability(&actor).await {
        Ok(places) => render(
            StatusCode::OK,
            &PlacesPage {
                layout: Layout::for_session("Places of safety", &state, &s.ctx),
                places,
                now: dates::short(Utc::now()),
            },
        ),
        Err(e) => WebError::html(e).into_response(),
    }
}

// ---- exports ---------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "ops_exports.html")]
struct ExportsPage {
    layout: Layout,
    from: String,
    to: String,
}

async fn exports(State(state): St, s: Signed) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = state.app.exports_form(&actor).await {
        return WebError::html(e).into_response();
    }
    let today = Utc::now().date_naive();
    let fy = mha::financial_year(today);
    let start_year: i32 = fy.get(0..4).and_then(|y| y.parse().ok()).unwrap_or(2025);
    // The last complete financial year (April to March).
    let from = NaiveDate::from_ymd_opt(start_year - 1, 4, 1).unwrap_or(today);
    let to = NaiveDate::from_ymd_opt(start_year, 3, 31).unwrap_or(today);
    render(
        StatusCode::OK,
        &ExportsPage {
            layout: Layout::for_session("Returns", &state, &s.ctx),
            from: from.to_string(),
            to: to.to_string(),
        },
    )
}

#[derive(Deserialize)]
struct PeriodQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

fn parse_day(field: &str, s: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::invalid(field, "Enter a date like 2025-04-01"))
        .and_then(|d| {
            if concordat_app::limits::year_ok(d) {
                Ok(d)
            } else {
                Err(AppError::invalid(
                    field,
                    concordat_app::limits::year_message(),
                ))
            }
        })
}

async fn export(state: &AppState, s: &Signed, q: &PeriodQuery, kind: ExportKind) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let period = parse_day("from", &q.from).and_then(|f| Ok((f, parse_day("to", &q.to)?)));
    let (from, to) = match period {
        Ok(p) => p,
        Err(AppError::Invalid(errors)) => {
            // Authorised before the dates are judged: a role that may not export is refused, not corrected.
            if let Err(e) = state.app.exports_form(&actor).await {
                return WebError::html(e).into_response();
            }
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ExportsPage {
                    layout: Layout::for_session("Returns", state, &s.ctx).with_errors(errors),
                    from: q.from.clone(),
                    to: q.to.clone(),
                },
            );
        }
        Err(e) => return WebError::html(e).into_response(),
    };
    match state.app.export_csv(&actor, kind, from, to).await {
        Ok(csv) => {
            let name = match kind {
                ExportKind::HomeOffice => "home-office-s136",
                ExportKind::Outcomes => "s136-outcomes",
            };
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}-{from}-to-{to}.csv\""),
                    ),
                ],
                csv,
            )
                .into_response()
        }
        Err(AppError::Invalid(errors)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ExportsPage {
                layout: Layout::for_session("Returns", state, &s.ctx).with_errors(errors),
                from: q.from.clone(),
                to: q.to.clone(),
            },
        ),
        Err(e) => WebError::html(e).into_response(),
    }
}

async fn export_home_office(State(state): St, s: Signed, Query(q): Query<PeriodQuery>) -> Response {
    export(&state, &s, &q, ExportKind::HomeOffice).await
}

async fn export_outcomes(State(state): St, s: Signed, Query(q): Query<PeriodQuery>) -> Response {
    export(&state, &s, &q, ExportKind::Outcomes).await
}
