//! s136/s135 episodes: recording each step, the statutory clock (mha::compute_clock via mha::board_status),
//! the live board, and refusals with field-level messages from mha::validate.

use super::contacts::deny;
use super::{Refused, check_person_choice, parse_local, person_choice_error};
use crate::access::Access;
use crate::{Actor, App, AppError, FieldError, Subject, actor_org, audit_allowed, audit_denial};
use chrono::{DateTime, Utc};
use concordat_domain::DataCategory;
use concordat_domain::mha::{
    self, Assessment, BoardStatus, Consultation, ConsultedProfessional, DecisionMaker,
    DetentionPlace, Episode, Extension, ExtensionReason, OutcomeKind, PersonAge, PlaceOfSafetyKind,
    PoliceRank, PoliceStationDecision, PoliceVehicleReason, Power, ProfessionalRef, RuleBook,
    SeniorApproval, Stay, Transport,
};
use concordat_domain::model::{OrgId, PersonId};
use concordat_domain::places;
use concordat_domain::policy::{Action, Decision};
use concordat_store::{EpisodeRow, NewEpisode, Tx};
use serde::Serialize;
use std::collections::HashMap;

/// One row of the coordinator's board.
#[derive(Debug, Clone, Serialize)]
pub struct BoardRow {
    pub id: i64,
    pub power: &'static str,
    /// The person's name, only where the policy lets this viewer see their identity.
    pub person: Option<String>,
    /// True when a person is linked but this viewer may not see who (the row still shows clock and place).
    pub person_withheld: bool,
    pub place: Option<String>,
    pub detained_local: String,
    pub status: BoardStatus,
}

/// An episode as its page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct EpisodeView {
    pub id: i64,
    pub version: i64,
    /// The person's name and record number, only where the policy lets this viewer see their identity.
    pub person: Option<String>,
    pub person_id: Option<i64>,
    /// True when a person is linked but this viewer may not see who.
    pub person_withheld: bool,
    pub place: Option<String>,
    pub officer: String,
    pub episode: Episode,
    /// The clock and the board's words for it, computed now.
    pub status: BoardStatus,
    /// What the rules say is wrong with the record as it stands (shown, not hidden).
    pub problems: Vec<mha::FieldError>,
    /// Places to choose for a transfer: (id, name, kind code).
    pub places: Vec<(i64, String, String)>,
    /// A warning in words when the place the person is at has more people than places (never a refusal:
    /// the person still needs somewhere safe).
    pub place_warning: Option<String>,
}

/// One step recorded on an episode page.
#[derive(Debug, Clone)]
pub enum EpisodeStep {
    /// Arrival at a place of safety (the first, or a transfer: the previous stay ends on arrival).
    Stay {
        place_id: Option<i64>,
        kind: PlaceOfSafetyKind,
        arrived_at: DateTime<Utc>,
        police_station: Option<PoliceStationDecision>,
    },
    Assessment(Assessment),
    Extension(Extension),
    WelfareCheck(DateTime<Utc>),
    End {
        ended_at: DateTime<Utc>,
        outcome: OutcomeKind,
    },
}

/// Submitted form pairs, read by name.
pub(crate) struct Pairs<'a>(HashMap<&'a str, &'a str>);

impl<'a> Pairs<'a> {
    pub(crate) fn new(pairs: &'a [(String, String)]) -> Self {
        Pairs(
            pairs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
        )
    }
    pub(crate) fn get(&self, k: &str) -> &str {
        self.0.get(k).map_or("", |v| v.trim())
    }
    /// Every submitted value within its length: reasons and details up to a note, the rest short.
    fn too_long(&self) -> Vec<FieldError> {
        use crate::limits::{MAX_NOTE, MAX_SHORT, too_long};
        let mut out: Vec<FieldError> = self
            .0
            .iter()
            .filter_map(|(k, v)| {
                let max = if k.ends_with("reason") || k.ends_with("reason_detail") {
                    MAX_NOTE
                } else {
                    MAX_SHORT
                };
                too_long(k, v, max)
            })
            .collect();
        out.sort_by(|a, b| a.field.cmp(&b.field));
        out
    }
    fn flag(&self, k: &str) -> bool {
        matches!(self.get(k), "yes" | "on" | "true")
    }
}

struct Errs(Vec<FieldError>);

impl Errs {
    fn time(&mut self, p: &Pairs<'_>, field: &str, required: bool) -> Option<DateTime<Utc>> {
        match parse_local(field, p.get(field)) {
            Ok(Some(t)) => Some(t),
            Ok(None) => {
                if required {
                    self.0
                        .push(FieldError::new(field, "Enter the date and time"));
                }
                None
            }
            Err(AppError::Invalid(e)) => {
                self.0.extend(e);
                None
            }
            Err(e) => {
                self.0.push(FieldError::new(field, e.to_string()));
                None
            }
        }
    }
    fn code<T>(
        &mut self,
        p: &Pairs<'_>,
        field: &str,
        parse: fn(&str) -> Option<T>,
        required: bool,
    ) -> Option<T> {
        let v = p.get(field);
        if v.is_empty() {
            if required {
                self.0
                    .push(FieldError::new(field, "Choose one from the list"));
            }
            return None;
        }
        let got = parse(v);
        if got.is_none() {
            self.0
                .push(FieldError::new(field, "Choose one from the list"));
        }
        got
    }
    fn finish<T>(self, v: T) -> Result<T, AppError> {
        if self.0.is_empty() {
            Ok(v)
        } else {
            Err(AppError::Invalid(self.0))
        }
    }
}

fn police_station_decision(p: &Pairs<'_>, i: usize, e: &mut Errs) -> PoliceStationDecision {
    let f = |n: &str| format!("stays[{i}].police_station.{n}");
    let rank = e
        .code(p, &f("decided_by_rank"), PoliceRank::from_code, true)
        .unwrap_or(PoliceRank::Constable);
    PoliceStationDecision {
        decision_maker: DecisionMaker::PoliceOfficer { rank },
        imminent_risk_of_serious_injury_or_death: p.flag(&f("imminent_risk")),
        no_other_place_can_reasonably_detain: p.flag(&f("no_other_place")),
        healthcare_professional_available: p.flag(&f("healthcare_professional")),
        authorised_by_rank: e.code(p, &f("authorised_by_rank"), PoliceRank::from_code, false),
        consultation: {
            let reason = p.get(&f("consultation.reason"));
            if p.flag(&f("consulted")) {
                Some(Consultation::Consulted {
                    with: ConsultedProfessional::Nurse,
                    at: None,
                })
            } else if !reason.is_empty() {
                Some(Consultation::NotPracticable {
                    reason: reason.to_string(),
                })
            } else {
                None
            }
        },
    }
}

fn stay_from(
    p: &Pairs<'_>,
    i: usize,
    e: &mut Errs,
    places: &[(i64, String, String)],
) -> Option<(Option<i64>, Stay)> {
    let f = |n: &str| format!("stays[{i}].{n}");
    let place_id = match p.get(&f("place_id")) {
        "" => None,
        v => match v
            .parse::<i64>()
            .ok()
            .filter(|id| places.iter().any(|pl| pl.0 == *id))
        {
            Some(id) => Some(id),
            None => {
                e.0.push(FieldError::new(
                    &f("place_id"),
                    "Choose the place from the list",
                ));
                None
            }
        },
    };
    // The kind comes from the chosen place; without one, from the kind given (home, other place).
    let kind = match place_id.and_then(|id| places.iter().find(|pl| pl.0 == id)) {
        Some(pl) => PlaceOfSafetyKind::from_code(&pl.2),
        None => e.code(p, &f("kind"), PlaceOfSafetyKind::from_code, true),
    }?;
    let arrived_at = e.time(p, &f("arrived_at"), true)?;
    let mut stay = Stay::new(kind, arrived_at);
    // Nothing recorded about the decision: the rules refuse the police station and say what is missing.
    let any_decision = [
        "decided_by_rank",
        "authorised_by_rank",
        "imminent_risk",
        "no_other_place",
        "healthcare_professional",
        "consulted",
        "consultation.reason",
    ]
    .iter()
    .any(|n| !p.get(&format!("stays[{i}].police_station.{n}")).is_empty());
    if kind == PlaceOfSafetyKind::PoliceStation && any_decision {
        stay.police_station = Some(police_station_decision(p, i, e));
    }
    if kind == PlaceOfSafetyKind::PrivateHome {
        stay.home_consent = Some(mha::HomeConsent {
            person_agreed: p.flag(&f("home_consent.person_agreed")),
            occupier: mha::OccupierAgreement::from_code(p.get(&f("home_consent.occupier")))
                .unwrap_or(mha::OccupierAgreement::NotObtained),
        });
    }
    if kind == PlaceOfSafetyKind::OtherSuitablePlace {
        stay.manager_agreed = p.flag(&f("manager_agreed"));
    }
    Some((place_id, stay))
}

/// Reads a new episode from a form: the detention, the consultation and, if known, the first place of safety.
fn new_episode_from(
    p: &Pairs<'_>,
    places: &[(i64, String, String)],
) -> Result<NewEpisode, AppError> {
    let mut e = Errs(Vec::new());
    let power = e.code(p, "power", Power::from_code, true);
    let detained_at = e.time(p, "detained_at", true);
    let place = e.code(p, "detention_place", DetentionPlace::from_code, true);
    let age = match p.get("age") {
        "" => PersonAge::Unknown,
        v => match v.parse::<u8>() {
            Ok(y) if y < 120 => PersonAge::Years(y),
            _ => {
                e.0.push(FieldError::new(
                    "age",
                    "Enter the age in whole years, or leave it blank if not known",
                ));
                PersonAge::Unknown
            }
        },
    };
    let officer = p.get("officer").to_string();
    if officer.is_empty() {
        e.0.push(FieldError::new(
            "officer",
            "Enter the detaining officer's name or collar number",
        ));
    }
    let person_id = match p.get("person_id") {
        "" => None,
        v => match v.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                e.0.push(FieldError::new(
                    "person_id",
                    "Enter the record number, or leave it blank",
                ));
                None
            }
        },
    };
    let sex = mha::Sex::from_code(p.get("sex"))
        .map_or("not_known", |s| s.code())
        .to_string();
    let ethnicity = mha::Ethnicity::from_code(p.get("ethnicity"))
        .map_or("not_stated", |s| s.code())
        .to_string();
    let (Some(power), Some(detained_at), Some(place)) = (power, detained_at, place) else {
        return Err(AppError::Invalid(e.0));
    };
    let mut ep = Episode::new(power, detained_at, place, age);
    ep.consultation = match (p.get("consultation.with"), p.get("consultation.reason")) {
        ("", "") => None,
        ("", reason) => Some(Consultation::NotPracticable {
            reason: reason.to_string(),
        }),
        (with, _) => e
            .code(
                p,
                "consultation.with",
                ConsultedProfessional::from_code,
                true,
            )
            .map(|with_| {
                let _ = with;
                Consultation::Consulted {
                    with: with_,
                    at: None,
                }
            }),
    };
    ep.warrant_entry_at = e.time(p, "warrant_entry_at", false);
    ep.kept_where_they_are_at = e.time(p, "kept_where_they_are_at", false);
    ep.transport = e.code(p, "transport", Transport::from_code, false);
    ep.police_vehicle_reason = e.code(
        p,
        "police_vehicle_reason",
        PoliceVehicleReason::from_code,
        false,
    );
    let mut place_id = None;
    let any_stay = !p.get("stays[0].place_id").is_empty()
        || !p.get("stays[0].kind").is_empty()
        || !p.get("stays[0].arrived_at").is_empty();
    if any_stay && let Some((pid, stay)) = stay_from(p, 0, &mut e, places) {
        place_id = pid;
        ep.stays.push(stay);
    }
    // The owner is set by the caller: the actor's organisation.
    e.finish(NewEpisode {
        owner_org_id: 0,
        person_id,
        contact_id: None,
        officer,
        current_place_id: place_id,
        sex,
        ethnicity,
        synthetic: false,
        episode: ep,
    })
}

impl EpisodeStep {
    /// Reads one step from an episode page's form (`step` says which). `next_stay` is the new stay's index.
    pub fn from_pairs(
        pairs: &[(String, String)],
        next_stay: usize,
        places: &[(i64, String, String)],
    ) -> Result<(EpisodeStep, Option<i64>), AppError> {
        let p = Pairs::new(pairs);
        let long = p.too_long();
        if !long.is_empty() {
            return Err(AppError::Invalid(long));
        }
        let mut e = Errs(Vec::new());
        match p.get("step") {
            "stay" => {
                let Some((place_id, stay)) = stay_from(&p, next_stay, &mut e, places) else {
                    return Err(AppError::Invalid(e.0));
                };
                e.finish((
                    EpisodeStep::Stay {
                        place_id,
                        kind: stay.kind,
                        arrived_at: stay.arrived_at,
                        police_station: stay.police_station,
                    },
                    None,
                ))
            }
            "assessment" => {
                let text = |k: &str| {
                    Some(p.get(k))
                        .filter(|s| !s.is_empty())
                        .map(|s| ProfessionalRef(s.to_string()))
                };
                let a = Assessment {
                    doctor: text("assessment.doctor"),
                    doctor_examined_at: e.time(&p, "assessment.doctor_examined_at", false),
                    amhp: text("assessment.amhp"),
                    amhp_interviewed_at: e.time(&p, "assessment.amhp_interviewed_at", false),
                };
                e.finish((EpisodeStep::Assessment(a), None))
            }
            "extension" => {
                let authorised_at = e.time(&p, "extension.authorised_at", true);
                let minutes = match p.get("extension.minutes").parse::<u32>() {
                    Ok(m) => m,
                    Err(_) => {
                        e.0.push(FieldError::new(
                            "extension.minutes",
                            "Enter the length of the extension in minutes (at most 720)",
                        ));
                        0
                    }
                };
                let by = p.get("extension.authorised_by");
                if by.is_empty() {
                    e.0.push(FieldError::new(
                        "extension.authorised_by",
                        "Enter the name of the doctor who authorised it",
                    ));
                }
                let reason = e.code(&p, "extension.reason", ExtensionReason::from_code, true);
                let approval = match (
                    e.code(
                        &p,
                        "extension.superintendent_rank",
                        PoliceRank::from_code,
                        false,
                    ),
                    e.time(&p, "extension.superintendent_approved_at", false),
                ) {
                    (Some(rank), Some(approved_at)) => Some(SeniorApproval { rank, approved_at }),
                    (Some(_), None) if p.get("extension.superintendent_approved_at").is_empty() => {
                        e.0.push(FieldError::new(
                            "extension.superintendent_approved_at",
                            "Enter when the officer approved the extension",
                        ));
                        None
                    }
                    (None, Some(_)) => {
                        e.0.push(FieldError::new(
                            "extension.superintendent_rank",
                            "Choose the rank of the officer who approved the extension",
                        ));
                        None
                    }
                    _ => None,
                };
                let assessment_at_police_station =
                    match p.get("extension.assessment_at_police_station") {
                        "" => None,
                        "yes" => Some(true),
                        "no" => Some(false),
                        _ => {
                            e.0.push(FieldError::new(
                                "extension.assessment_at_police_station",
                                "Choose one from the list",
                            ));
                            None
                        }
                    };
                let (Some(authorised_at), Some(reason)) = (authorised_at, reason) else {
                    return Err(AppError::Invalid(e.0));
                };
                e.finish((
                    EpisodeStep::Extension(Extension {
                        authorised_at,
                        minutes,
                        authorised_by: ProfessionalRef(by.to_string()),
                        reason,
                        reason_detail: Some(p.get("extension.reason_detail"))
                            .filter(|s| !s.is_empty())
                            .map(str::to_string),
                        superintendent_approval: approval,
                        assessment_at_police_station,
                    }),
                    None,
                ))
            }
            "welfare" => {
                let at = e.time(&p, "welfare_check_at", true);
                match at {
                    Some(t) => e.finish((EpisodeStep::WelfareCheck(t), None)),
                    None => Err(AppError::Invalid(e.0)),
                }
            }
            "end" => {
                let ended_at = e.time(&p, "ended_at", true);
                let outcome = e.code(&p, "outcome", OutcomeKind::from_code, true);
                match (ended_at, outcome) {
                    (Some(ended_at), Some(outcome)) => {
                        e.finish((EpisodeStep::End { ended_at, outcome }, None))
                    }
                    _ => Err(AppError::Invalid(e.0)),
                }
            }
            _ => Err(AppError::invalid("step", "Choose what to record")),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            EpisodeStep::Stay { .. } => "stay",
            EpisodeStep::Assessment(_) => "assessment",
            EpisodeStep::Extension(_) => "extension",
            EpisodeStep::WelfareCheck(_) => "welfare_check",
            EpisodeStep::End { .. } => "end",
        }
    }

    /// Applies the step to a copy of the episode; returns the new current place.
    fn apply(&self, ep: &mut Episode, current_place: Option<i64>) -> Option<i64> {
        match self {
            EpisodeStep::Stay {
                place_id,
                kind,
                arrived_at,
                police_station,
            } => {
                // A transfer: the person leaves the place they were at when they arrive at the next.
                if let Some(last) = ep.stays.iter_mut().rev().find(|s| s.departed_at.is_none()) {
                    last.departed_at = Some(*arrived_at);
                }
                let mut stay = Stay::new(*kind, *arrived_at);
                stay.police_station = police_station.clone();
                ep.stays.push(stay);
                *place_id
            }
            EpisodeStep::Assessment(a) => {
                ep.assessment = a.clone();
                current_place
            }
            EpisodeStep::Extension(x) => {
                ep.extension = Some(x.clone());
                current_place
            }
            EpisodeStep::WelfareCheck(t) => {
                if let Some(s) = ep.stays.iter_mut().rev().find(|s| s.departed_at.is_none()) {
                    s.welfare_checks.push(*t);
                    s.welfare_checks.sort();
                }
                current_place
            }
            EpisodeStep::End { ended_at, outcome } => {
                ep.ended_at = Some(*ended_at);
                ep.outcome = Some(*outcome);
                if let Some(s) = ep.stays.iter_mut().rev().find(|s| s.departed_at.is_none()) {
                    s.departed_at = Some(*ended_at);
                }
                current_place
            }
        }
    }
}

fn subject(id: Option<i64>, person: Option<i64>) -> Subject {
    Subject {
        person_id: person,
        resource_kind: "mha_episode",
        resource_id: id.map(|i| i.to_string()),
    }
}

fn to_app(errs: Vec<mha::FieldError>) -> AppError {
    AppError::Invalid(
        errs.into_iter()
            .map(|e| FieldError::new(&e.field, e.message))
            .collect(),
    )
}

/// Problems the change introduces: refusals already on the record (e.g. an old breach of form) do not block new steps.
fn new_problems(before: &Episode, after: &Episode, book: &RuleBook) -> Vec<mha::FieldError> {
    let old = mha::validate(before, book);
    mha::validate(after, book)
        .into_iter()
        .filter(|e| {
            !old.iter()
                .any(|o| o.field == e.field && o.message == e.message)
        })
        .collect()
}

/// The places an episode may be at: (id, name, kind code). The name says when a place is full or over
/// capacity, so the choice is made knowing it (a warning, never a refusal).
async fn place_list(tx: &mut Tx) -> Result<Vec<(i64, String, String)>, AppError> {
    Ok(tx
        .places_with_occupancy()
        .await?
        .into_iter()
        .filter(|p| PlaceOfSafetyKind::from_code(&p.place.kind).is_some())
        .map(|p| {
            let counted = !matches!(
                p.place.kind.as_str(),
                "private_home" | "other_suitable_place"
            );
            let name = match places::Capacity::of(p.occupied, p.place.capacity) {
                places::Capacity::Over { .. } if counted => format!(
                    "{} (over capacity: {} people here, {} places)",
                    p.place.name, p.occupied, p.place.capacity
                ),
                places::Capacity::Full if counted => {
                    format!(
                        "{} (full: {} of {} in use)",
                        p.place.name, p.occupied, p.place.capacity
                    )
                }
                _ => p.place.name,
            };
            (p.id, name, p.place.kind)
        })
        .collect())
}

/// The over-capacity warning for the place an open episode is at, if it has more people than places.
async fn place_warning(tx: &mut Tx, row: &EpisodeRow) -> Result<Option<String>, AppError> {
    let Some(id) = row.new.current_place_id else {
        return Ok(None);
    };
    if row.new.episode.ended_at.is_some() {
        return Ok(None);
    }
    let Some(p) = tx.place_get(id).await? else {
        return Ok(None);
    };
    if matches!(
        p.place.kind.as_str(),
        "private_home" | "other_suitable_place"
    ) {
        return Ok(None);
    }
    Ok(match places::Capacity::of(p.occupied, p.place.capacity) {
        places::Capacity::Over { .. } => Some(format!(
            "{}: {}. The detention is recorded: the person still needs somewhere safe",
            p.place.name,
            places::Capacity::warning(p.occupied, p.place.capacity).unwrap_or_default()
        )),
        _ => None,
    })
}

/// Records who changed a place's availability, and when.
async fn touch_place(tx: &mut Tx, actor: &Actor, place: Option<i64>) -> Result<(), AppError> {
    if let Some(id) = place {
        let user = actor.as_user().map(|u| u.user_id.0);
        let org = actor_org(actor).map(|o| o.0);
        tx.place_availability_touch(id, user, org, Utc::now().timestamp_millis())
            .await?;
    }
    Ok(())
}

impl App {
    /// The places an episode may be at (places of safety only, not crisis houses), for forms.
    pub async fn episode_places(&self) -> Result<Vec<(i64, String, String)>, AppError> {
        let mut tx = self.store.begin().await?;
        place_list(&mut tx).await
    }

    /// The live board: every open episode the actor may see, with the clock at `now`. One audit row per
    /// episode shown, and one more for each name shown: a name appears only where the policy lets this viewer
    /// see the person's identity; otherwise the row says the person is not shared, with the clock and place.
    pub async fn episode_board(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Vec<BoardRow>, AppError> {
        let book = RuleBook::england();
        let mut tx = self.store.begin().await?;
        let access = Access::load(&mut tx, actor).await?;
        let view = Action::ViewPerson(DataCategory::DetentionRecord);
        // A role that can never see detention records is refused (and the refusal audited).
        let probe = access.record(view, actor_org(actor));
        if !probe.is_allowed() {
            drop(tx);
            audit_denial(self, actor, "episode.board", &subject(None, None), &probe).await?;
            return Err(deny(probe));
        }
        let mut out = Vec::new();
        for row in tx.episodes_open().await? {
            let d = access.record(view, Some(OrgId(row.new.owner_org_id)));
            if !d.is_allowed() {
                continue;
            }
            let sub = subject(Some(row.id), row.new.person_id);
            audit_allowed(&mut tx, actor, "episode.board", &sub, &d, None).await?;
            let (person, _, withheld) =
                disclose_name(&mut tx, &access, actor, &row, "person.view.identity.board").await?;
            let ep = &row.new.episode;
            out.push(BoardRow {
                id: row.id,
                power: ep.power.label(),
                person,
                person_withheld: withheld,
                place: row.place_name.clone(),
                detained_local: mha::london_local(ep.detained_at),
                status: mha::board_status(ep, &book, now),
            });
        }
        tx.commit().await?;
        // Most urgent first: breaches, then least time left; not-started episodes after.
        out.sort_by_key(|r| {
            (
                r.status.breach.is_none(),
                r.status.minutes_left.unwrap_or(i64::MAX),
            )
        });
        Ok(out)
    }

    /// Loads an episode for `action_code` after authorising: a role that may never do `action` is refused
    /// before the number is looked up (403); a number that does not exist and an episode the policy refuses
    /// are both answered "not found", so nobody can probe which numbers exist. Every refusal is audited.
    async fn episode_authorised<'a>(
        &self,
        actor: &'a Actor,
        id: i64,
        action: Action,
        action_code: &str,
    ) -> Result<(Tx, Access<'a>, EpisodeRow, Decision), AppError> {
        let mut tx = self.store.begin().await?;
        let access = Access::load(&mut tx, actor).await?;
        let probe = access.record(action, actor_org(actor));
        if !probe.is_allowed() {
            drop(tx);
            audit_denial(self, actor, action_code, &subject(Some(id), None), &probe).await?;
            return Err(deny(probe));
        }
        let refused = match tx.episode_get(id).await? {
            None => Refused::missing(action_code, "mha_episode", id),
            Some(row) => {
                let d = access.record(action, Some(OrgId(row.new.owner_org_id)));
                if d.is_allowed() {
                    return Ok((tx, access, row, d));
                }
                Refused::denied(action_code, subject(Some(id), row.new.person_id), d)
            }
        };
        drop(tx);
        refused.audit(self, actor).await?;
        Err(AppError::NotFound)
    }

    /// Opens an episode: the record, the clock at `now`, and what the rules find wrong. Audited, and the
    /// person's name shown (and audited) only where the policy lets this viewer see their identity.
    pub async fn episode_view(
        &self,
        actor: &Actor,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<EpisodeView, AppError> {
        let book = RuleBook::england();
        let view = Action::ViewPerson(DataCategory::DetentionRecord);
        let (mut tx, access, row, d) = self
            .episode_authorised(actor, id, view, "episode.view")
            .await?;
        let sub = subject(Some(id), row.new.person_id);
        audit_allowed(&mut tx, actor, "episode.view", &sub, &d, None).await?;
        let (person, person_id, withheld) = disclose_name(
            &mut tx,
            &access,
            actor,
            &row,
            "person.view.identity.episode",
        )
        .await?;
        let places = place_list(&mut tx).await?;
        let warning = place_warning(&mut tx, &row).await?;
        tx.commit().await?;
        let mut v = view_of(row, &book, now, places, person, person_id, withheld);
        v.place_warning = warning;
        Ok(v)
    }

    /// Whether the actor may open the new-detention form: the decision that saving it would get (a new
    /// record of the actor's organisation). A refusal is audited.
    pub async fn episode_form(&self, actor: &Actor) -> Result<(), AppError> {
        let d = crate::decide_org_wide(actor, Action::RecordDetention);
        if !d.is_allowed() {
            audit_denial(self, actor, "episode.create", &subject(None, None), &d).await?;
            return Err(deny(d));
        }
        Ok(())
    }

    /// Records a new episode owned by the actor's organisation. Impossible or unlawful input is refused, field by field.
    /// A person chosen for it must be one the actor may see (the same decision as opening their page).
    pub async fn episode_create(
        &self,
        actor: &Actor,
        pairs: &[(String, String)],
    ) -> Result<i64, AppError> {
        let book = RuleBook::england();
        let mut tx = self.store.begin().await?;
        let access = Access::load(&mut tx, actor).await?;
        let d = access.record(Action::RecordDetention, None);
        if !d.is_allowed() {
            drop(tx);
            audit_denial(self, actor, "episode.create", &subject(None, None), &d).await?;
            return Err(deny(d));
        }
        let org = actor_org(actor).ok_or(AppError::Unauthenticated)?;
        let places = place_list(&mut tx).await?;
        let p = Pairs::new(pairs);
        let long = p.too_long();
        if !long.is_empty() {
            return Err(AppError::Invalid(long));
        }
        let mut new = new_episode_from(&p, &places)?;
        new.owner_org_id = org.0;
        if let Some(pid) = new.person_id
            && let Some(refused) =
                check_person_choice(&mut tx, &access, pid, "person.choose.episode").await?
        {
            drop(tx);
            refused.audit(self, actor).await?;
            return Err(person_choice_error());
        }
        let problems = mha::validate(&new.episode, &book);
        if !problems.is_empty() {
            return Err(to_app(problems));
        }
        let person_id = new.person_id;
        let id = tx.episode_insert(&new).await?;
        touch_place(&mut tx, actor, new.current_place_id).await?;
        audit_allowed(
            &mut tx,
            actor,
            "episode.create",
            &subject(Some(id), person_id),
            &d,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Records one step on an episode. Refused with the rules' explanation if it makes the record impossible
    /// or unlawful (an extension for want of an AMHP, after expiry, by someone other than the examining doctor, ...).
    /// A breach is not a refusal: ending late is recorded and shown as a breach.
    pub async fn episode_record(
        &self,
        actor: &Actor,
        id: i64,
        expected_version: i64,
        pairs: &[(String, String)],
    ) -> Result<i64, AppError> {
        let book = RuleBook::england();
        let (mut tx, _access, row, d) = self
            .episode_authorised(actor, id, Action::RecordDetention, "episode.update")
            .await?;
        let sub = subject(Some(id), row.new.person_id);
        let places = place_list(&mut tx).await?;
        let before = row.new.episode.clone();
        let (step, _) = EpisodeStep::from_pairs(pairs, before.stays.len(), &places)?;
        if before.ended_at.is_some() && !matches!(step, EpisodeStep::Assessment(_)) {
            return Err(AppError::invalid(
                "step",
                "This detention has ended: only the assessment can still be added",
            ));
        }
        let mut after = before.clone();
        let place = step.apply(&mut after, row.new.current_place_id);
        let problems = new_problems(&before, &after, &book);
        if !problems.is_empty() {
            return Err(to_app(problems));
        }
        if expected_version != row.version {
            return Err(AppError::Conflict(format!(
                "Someone else recorded a step on this detention (now version {}) while you were entering yours. Nothing was saved: check the page again, then record it",
                row.version
            )));
        }
        let version = tx
            .episode_update(id, expected_version, &after, place)
            .await?;
        // Who is where changed: at the place left and the place arrived at, or where the detention ended.
        if place != row.new.current_place_id {
            touch_place(&mut tx, actor, row.new.current_place_id).await?;
            touch_place(&mut tx, actor, place).await?;
        } else if matches!(step, EpisodeStep::End { .. }) {
            touch_place(&mut tx, actor, place).await?;
        }
        audit_allowed(
            &mut tx,
            actor,
            "episode.update",
            &sub,
            &d,
            Some(step.code()),
        )
        .await?;
        tx.commit().await?;
        Ok(version)
    }
}

/// Decides whether this viewer may see the name of the person linked to an episode (identity, the same
/// decision as opening their page). A name shown is audited as its own event (`action`) with the person's id.
/// Returns the name and record number to show, and whether a linked person was withheld.
async fn disclose_name(
    tx: &mut Tx,
    access: &Access<'_>,
    actor: &Actor,
    row: &EpisodeRow,
    action: &str,
) -> Result<(Option<String>, Option<i64>, bool), AppError> {
    let (Some(pid), Some(owner), Some(name)) = (
        row.new.person_id,
        row.person_owner_org_id,
        row.person_name.as_ref(),
    ) else {
        return Ok((None, None, false));
    };
    let d = access
        .person(
            tx,
            PersonId(pid),
            OrgId(owner),
            Action::ViewPerson(DataCategory::Identity),
            None,
        )
        .await?;
    if !d.is_allowed() {
        return Ok((None, None, true));
    }
    let sub = Subject {
        person_id: Some(pid),
        resource_kind: "mha_episode",
        resource_id: Some(row.id.to_string()),
    };
    audit_allowed(tx, actor, action, &sub, &d, None).await?;
    Ok((Some(name.clone()), Some(pid), false))
}

fn view_of(
    row: EpisodeRow,
    book: &RuleBook,
    now: DateTime<Utc>,
    places: Vec<(i64, String, String)>,
    person: Option<String>,
    person_id: Option<i64>,
    person_withheld: bool,
) -> EpisodeView {
    let ep = row.new.episode;
    EpisodeView {
        id: row.id,
        version: row.version,
        person,
        person_id,
        person_withheld,
        place: row.place_name,
        officer: row.new.officer,
        status: mha::board_status(&ep, book, now),
        problems: mha::validate(&ep, book),
        episode: ep,
        places,
        place_warning: None,
    }
}
