//! Crisis plans: writing them with the person, consent, and finding them fast at 2am.

use crate::Route;
use crate::dates::filters;
use crate::error::WebError;
use crate::extract::Signed;
use crate::pages::{Card, Layout, Saved, St, check_csrf, fmt_ms, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use concordat_app::plans::{
    ConsentInput, PlanInput, PlanView, ReviewRow, SaveOutcome, SupportList, VersionRow,
};
use concordat_app::{AppError, FieldError};
use concordat_domain::consent::{
    ConsentStatus, PlanConsent, PlanPart, RepeatThresholds, SectionKind, SharingLevel,
    may_write_plan,
};
use concordat_domain::model::PersonId;
use concordat_domain::policy::{Action, may};
use concordat_domain::{LegalBasis, OrgKind, Role};
use serde::Deserialize;

/// Routes for these pages (part of the main router's table).
pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/people/{id}/plan/edit", plan_edit),
        Route::post("/people/{id}/plan", plan_save),
        Route::get("/people/{id}/plan/history", plan_history),
        Route::get("/people/{id}/plan/versions/{v}", plan_version),
        Route::get("/people/{id}/consent", consent_form),
        Route::post("/people/{id}/consent", consent_save),
        Route::get("/plans/reviews", reviews),
        Route::get("/support/repeat-contact", support_list),
    ]
}

/// Navigation links for a role.
pub(crate) fn nav(role: Role) -> Vec<(&'static str, &'static str)> {
    let mut nav = Vec::new();
    if may(role, Action::ViewRepeatContactList) {
        nav.push(("/support/repeat-contact", "Support for repeated crisis"));
    }
    if reviews_shown(role) {
        nav.push(("/plans/reviews", "Plan reviews due"));
    }
    nav
}

/// The plan reviews list is for the roles that write plans and may search for people, as the app decides it.
fn reviews_shown(role: Role) -> bool {
    may_write_plan(role) && may(role, Action::SearchPeople)
}

/// Home-page cards for a role.
pub(crate) fn cards(role: Role) -> Vec<Card> {
    let reviews = Card {
        title: "Crisis plan reviews due",
        href: "/plans/reviews",
        text: "Plans your organisation holds whose review date has passed: review them with the person.",
    };
    let mut cards = Vec::new();
    if may(role, Action::ViewRepeatContactList) {
        cards.push(Card {
            title: "Support for people in repeated crisis",
            href: "/support/repeat-contact",
            text: "People with many crisis contacts recently, so you can offer a named worker and write or review a plan with them.",
        });
    }
    if reviews_shown(role) {
        cards.push(reviews);
    }
    cards
}

/// One section's row in the plan form.
struct SectionForm {
    code: &'static str,
    label: &'static str,
    text: String,
    sharing: &'static str,
    /// The other version's text, when showing a conflict.
    theirs: Option<String>,
    theirs_sharing: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "plan_edit.html")]
struct EditPage {
    layout: Layout,
    person_id: i64,
    name: String,
    version: String,
    coproduced: bool,
    participants: String,
    own_words: String,
    last_reviewed_on: String,
    review_due: String,
    sections: Vec<SectionForm>,
    levels: Vec<(&'static str, &'static str)>,
    hidden_kept: usize,
    /// Set when another version was saved first.
    conflict: Option<ConflictInfo>,
}

struct ConflictInfo {
    version: i64,
    own_words: String,
}

fn levels() -> Vec<(&'static str, &'static str)> {
    SharingLevel::ALL
        .iter()
        .map(|l| (l.code(), l.label()))
        .collect()
}

fn sections_from_view(plan: Option<&PlanView>) -> Vec<SectionForm> {
    SectionKind::ALL
        .iter()
        .map(|k| {
            let s = plan.and_then(|p| p.sections.iter().find(|s| s.kind == *k));
            SectionForm {
                code: k.code(),
                label: k.label(),
                text: s.map(|s| s.text.clone()).unwrap_or_default(),
                sharing: s
                    .map(|s| s.sharing.code())
                    .unwrap_or(SharingLevel::CliniciansOnly.code()),
                theirs: None,
                theirs_sharing: None,
            }
        })
        .collect()
}

async fn plan_edit(state: St, s: Signed, Path(id): Path<i64>) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    match state.app.plan_editor(&actor, PersonId(id)).await {
        Ok(ed) => {
            let today = chrono::Utc::now().date_naive();
            let p = ed.plan.as_ref();
            render(
                StatusCode::OK,
                &EditPage {
                    layout: Layout::for_session("Crisis plan", &state, &s.ctx),
                    person_id: id,
                    name: format!("{} {}", ed.person.given_name, ed.person.family_name),
                    version: p.map(|p| p.version.to_string()).unwrap_or_default(),
                    coproduced: p.is_none_or(|p| p.coproduced),
                    participants: p.map(|p| p.participants.clone()).unwrap_or_default(),
                    own_words: p.and_then(|p| p.own_words.clone()).unwrap_or_default(),
                    last_reviewed_on: today.format("%d/%m/%Y").to_string(),
                    review_due: p
                        .map(|p| p.review_due)
                        .filter(|d| *d > today)
                        .unwrap_or(today + chrono::Days::new(182))
                        .format("%d/%m/%Y")
                        .to_string(),
                    sections: sections_from_view(p),
                    levels: levels(),
                    hidden_kept: ed.hidden_kept,
                    conflict: None,
                },
            )
        }
        Err(e) => WebError::html(e).into_response(),
    }
}

fn pairs_get<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn plan_input(pairs: &[(String, String)]) -> PlanInput {
    PlanInput {
        version: pairs_get(pairs, "version").to_string(),
        coproduced: pairs_get(pairs, "coproduced").to_string(),
        participants: pairs_get(pairs, "participants").to_string(),
        own_words: pairs_get(pairs, "own_words").to_string(),
        last_reviewed_on: pairs_get(pairs, "last_reviewed_on").to_string(),
        review_due: pairs_get(pairs, "review_due").to_string(),
        fields: pairs
            .iter()
            .filter(|(k, _)| k.starts_with("text_") || k.starts_with("sharing_"))
            .cloned()
            .collect(),
    }
}

async fn plan_save(
    state: St,
    s: Signed,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(e) = check_csrf(&s.ctx, pairs_get(&pairs, "csrf")) {
        return e.into_response();
    }
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let input = plan_input(&pairs);
    let mine = |theirs: Option<&PlanView>| -> Vec<SectionForm> {
        SectionKind::ALL
            .iter()
            .map(|k| {
                let t = theirs.and_then(|p| p.sections.iter().find(|s| s.kind == *k));
                SectionForm {
                    code: k.code(),
                    label: k.label(),
                    text: pairs_get(&pairs, &format!("text_{}", k.code())).to_string(),
                    sharing: SharingLevel::from_code(pairs_get(
                        &pairs,
                        &format!("sharing_{}", k.code()),
                    ))
                    .map(SharingLevel::code)
                    .unwrap_or(""),
                    theirs: theirs.map(|_| t.map(|t| t.text.clone()).unwrap_or_default()),
                    theirs_sharing: t.map(|t| t.sharing.label()),
                }
            })
            .collect()
    };
    let page =
        |layout: Layout, sections, conflict: Option<ConflictInfo>, version: String| EditPage {
            layout,
            person_id: id,
            name: String::new(),
            version,
            coproduced: matches!(input.coproduced.as_str(), "yes" | "on" | "true" | "1"),
            participants: input.participants.clone(),
            own_words: input.own_words.clone(),
            last_reviewed_on: input.last_reviewed_on.clone(),
            review_due: input.review_due.clone(),
            sections,
            levels: levels(),
            hidden_kept: 0,
            conflict,
        };
    match state.app.plan_save(&actor, PersonId(id), &input).await {
        Ok(SaveOutcome::Saved(_)) => Saved::Plan
            .redirect(&format!("/people/{id}#plan"))
            .into_response(),
        Ok(SaveOutcome::Conflict { theirs }) => {
            let layout =
                Layout::for_session("Crisis plan: someone else saved first", &state, &s.ctx);
            let info = ConflictInfo {
                version: theirs.version,
                own_words: theirs.own_words.clone().unwrap_or_default(),
            };
            let sections = mine(Some(&theirs));
            // The editor now works from the other version: saving again replaces it knowingly.
            render(
                StatusCode::CONFLICT,
                &page(layout, sections, Some(info), theirs.version.to_string()),
            )
        }
        Err(AppError::Invalid(errors)) => {
            let layout = Layout::for_session("Crisis plan", &state, &s.ctx).with_errors(errors);
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(layout, mine(None), None, input.version.clone()),
            )
        }
        Err(e) => WebError::html(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "plan_history.html")]
struct HistoryPage {
    layout: Layout,
    person_id: i64,
    rows: Vec<(VersionRow, String)>,
}

async fn plan_history(state: St, s: Signed, Path(id): Path<i64>) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    match state.app.plan_versions(&actor, PersonId(id)).await {
        Ok(rows) => render(
            StatusCode::OK,
            &HistoryPage {
                layout: Layout::for_session("Crisis plan versions", &state, &s.ctx),
                person_id: id,
                rows: rows
                    .into_iter()
                    .map(|r| {
                        let at = fmt_ms(r.saved_at);
                        (r, at)
                    })
                    .collect(),
            },
        ),
        Err(e) => WebError::html(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "plan_version.html")]
struct VersionPage {
    layout: Layout,
    person_id: i64,
    plan: PlanView,
}

async fn plan_version(state: St, s: Signed, Path((id, v)): Path<(i64, i64)>) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    match state.app.plan_version(&actor, PersonId(id), v).await {
        Ok(plan) => render(
            StatusCode::OK,
            &VersionPage {
                layout: Layout::for_session(&format!("Crisis plan version {v}"), &state, &s.ctx),
                person_id: id,
                plan,
            },
        ),
        Err(e) => WebError::html(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "plan_consent.html")]
struct ConsentPage {
    layout: Layout,
    person_id: i64,
    version: String,
    status: String,
    statuses: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str, bool)>,
    sections: Vec<(&'static str, &'static str, bool)>,
    bases: Vec<(&'static str, &'static str)>,
    other_basis: String,
    basis_note: String,
    valid_until: String,
}

fn consent_page(
    layout: Layout,
    id: i64,
    c: Option<&PlanConsent>,
    input: Option<&ConsentInput>,
) -> ConsentPage {
    let has = |list: &str, code: &str| list.split(',').any(|x| x.trim() == code);
    let (status, kinds_s, sections_s, basis, note, until, version) = match (input, c) {
        (Some(i), _) => (
            i.status.clone(),
            i.org_kinds.clone(),
            i.sections.clone(),
            i.other_basis.clone(),
            i.basis_note.clone(),
            i.valid_until.clone(),
            i.version.clone(),
        ),
        (None, Some(c)) => (
            c.status.code().to_string(),
            c.org_kinds
                .iter()
                .map(|k| k.code())
                .collect::<Vec<_>>()
                .join(","),
            c.sections
                .iter()
                .map(|k| k.code())
                .chain(c.parts.iter().map(|p| p.code()))
                .collect::<Vec<_>>()
                .join(","),
            c.other_basis
                .map(|b| b.code().to_string())
                .unwrap_or_default(),
            c.basis_note.clone().unwrap_or_default(),
            c.valid_until
                .map(|d| d.format("%d/%m/%Y").to_string())
                .unwrap_or_default(),
            c.version.to_string(),
        ),
        (None, None) => Default::default(),
    };
    ConsentPage {
        layout,
        person_id: id,
        version,
        status,
        statuses: [
            ConsentStatus::Given,
            ConsentStatus::Withdrawn,
            ConsentStatus::OtherBasis,
        ]
        .iter()
        .map(|s| (s.code(), s.label()))
        .collect(),
        kinds: OrgKind::ALL
            .iter()
            .map(|k| (k.code(), k.label(), has(&kinds_s, k.code())))
            .collect(),
        // The other parts of the plan are chosen like sections, in the same list.
        sections: SectionKind::ALL
            .iter()
            .map(|k| (k.code(), k.label(), has(&sections_s, k.code())))
            .chain(
                PlanPart::ALL
                    .iter()
                    .map(|p| (p.code(), p.label(), has(&sections_s, p.code()))),
            )
            .collect(),
        bases: [LegalBasis::VitalInterests, LegalBasis::DirectCare]
            .iter()
            .map(|b| (b.code(), b.label()))
            .collect(),
        other_basis: basis,
        basis_note: note,
        valid_until: until,
    }
}

async fn consent_form(state: St, s: Signed, Path(id): Path<i64>) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    match state.app.plan_editor(&actor, PersonId(id)).await {
        Ok(ed) => render(
            StatusCode::OK,
            &consent_page(
                Layout::for_session("Sharing the crisis plan", &state, &s.ctx),
                id,
                ed.consent.as_ref(),
                None,
            ),
        ),
        Err(e) => WebError::html(e).into_response(),
    }
}

fn join_all(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

async fn consent_save(
    state: St,
    s: Signed,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    if let Err(e) = check_csrf(&s.ctx, pairs_get(&pairs, "csrf")) {
        return e.into_response();
    }
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let input = ConsentInput {
        version: pairs_get(&pairs, "version").to_string(),
        status: pairs_get(&pairs, "status").to_string(),
        org_kinds: join_all(&pairs, "org_kinds"),
        sections: join_all(&pairs, "sections"),
        valid_until: pairs_get(&pairs, "valid_until").to_string(),
        other_basis: pairs_get(&pairs, "other_basis").to_string(),
        basis_note: pairs_get(&pairs, "basis_note").to_string(),
    };
    match state.app.consent_record(&actor, PersonId(id), &input).await {
        Ok(_) => Saved::Consent
            .redirect(&format!("/people/{id}"))
            .into_response(),
        Err(AppError::Invalid(errors)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &consent_page(
                Layout::for_session("Sharing the crisis plan", &state, &s.ctx).with_errors(errors),
                id,
                None,
                Some(&input),
            ),
        ),
        Err(e) => WebError::html(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "plan_reviews.html")]
struct ReviewsPage {
    layout: Layout,
    rows: Vec<ReviewRow>,
}

async fn reviews(state: St, s: Signed) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    match state.app.plans_review_overdue(&actor).await {
        Ok(rows) => render(
            StatusCode::OK,
            &ReviewsPage {
                layout: Layout::for_session("Crisis plan reviews due", &state, &s.ctx),
                rows,
            },
        ),
        Err(e) => WebError::html(e).into_response(),
    }
}

#[derive(Deserialize, Default)]
struct SupportQuery {
    #[serde(default)]
    per_month: String,
    #[serde(default)]
    per_year: String,
}

#[derive(Template)]
#[template(path = "plan_support.html")]
struct SupportPage {
    layout: Layout,
    per_month: String,
    per_year: String,
    list: Option<SupportList>,
}

fn parse_threshold(field: &str, v: &str, default: i64, errs: &mut Vec<FieldError>) -> i64 {
    match v.trim() {
        "" => default,
        t => match t.parse::<i64>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                errs.push(FieldError::new(
                    field,
                    "enter a whole number from 1 to 1000",
                ));
                default
            }
        },
    }
}

async fn support_list(state: St, s: Signed, Query(q): Query<SupportQuery>) -> Response {
    let actor = match s.actor() {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let d = RepeatThresholds::default();
    let mut errs = Vec::new();
    let t = RepeatThresholds {
        per_month: parse_threshold("per_month", &q.per_month, d.per_month, &mut errs),
        per_year: parse_threshold("per_year", &q.per_year, d.per_year, &mut errs),
    };
    let layout = Layout::for_session("Support for people in repeated crisis", &state, &s.ctx);
    if !errs.is_empty() {
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SupportPage {
                layout: layout.with_errors(errs),
                per_month: q.per_month,
                per_year: q.per_year,
                list: None,
            },
        );
    }
    match state.app.repeat_contact_list(&actor, t).await {
        Ok(list) => render(
            StatusCode::OK,
            &SupportPage {
                layout,
                per_month: t.per_month.to_string(),
                per_year: t.per_year.to_string(),
                list: Some(list),
            },
        ),
        Err(e) => WebError::html(e).into_response(),
    }
}
