//! The statutory clock: when the permitted period started, whether an extension stands, when it ends,
//! and what a coordinator's board shows.
//!
//! All arithmetic is on UTC instants, so the clock counts real elapsed hours across the Europe/London clock changes.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::org::coded_enum;

use super::police_station::{CheckReport, welfare_checks};
use super::rules::{self, FieldError, Rule, RuleBook, RuleSet};
use super::time::{london_local, minutes_text};
use super::types::{Episode, PlaceOfSafetyKind, PoliceRank, Power};

/// What started the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClockStart {
    /// Arrival at the first place of safety (A&E included: a hospital is a place of safety).
    ArrivedAtFirstPlace {
        /// The kind of that place.
        place: PlaceOfSafetyKind,
    },
    /// The officer decided to keep the person where they were (s136(1)(b)).
    KeptWhereTheyAre,
    /// The person was kept at the warrant premises; the clock runs from the officer's first entry (s135(1A), (3ZA)(b)).
    KeptAtWarrantPremises,
}

impl ClockStart {
    /// The rule that says so.
    pub fn rule(self) -> &'static Rule {
        match self {
            ClockStart::ArrivedAtFirstPlace {
                place: PlaceOfSafetyKind::EmergencyDepartment,
            } => &rules::CLOCK_START_EMERGENCY_DEPARTMENT,
            ClockStart::ArrivedAtFirstPlace { .. } | ClockStart::KeptWhereTheyAre => {
                &rules::CLOCK_START
            }
            ClockStart::KeptAtWarrantPremises => &rules::CLOCK_START_WARRANT_PREMISES,
        }
    }

    /// Plain English for the board: "Started on arrival at A&E (emergency department)".
    pub fn explain(self) -> String {
        match self {
            ClockStart::ArrivedAtFirstPlace { place } => {
                format!("Started on arrival at the first place of safety: {place}")
            }
            ClockStart::KeptWhereTheyAre => {
                "Started when the officer decided to keep the person where they were".to_string()
            }
            ClockStart::KeptAtWarrantPremises => {
                "Started when the officer first entered the premises named in the warrant"
                    .to_string()
            }
        }
    }
}

/// What became of a recorded extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExtensionStatus {
    /// None recorded.
    NotRecorded,
    /// Lawful under the rules: the deadline moves by `minutes`.
    Granted {
        /// Length of the extension.
        minutes: u32,
    },
    /// Recorded but not lawful: the deadline does not move, and each reason is given.
    Refused {
        /// Why, field by field.
        reasons: Vec<FieldError>,
    },
}

/// The computed clock of an episode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Clock {
    /// The rule set applied (its id).
    pub rule_set: &'static str,
    /// When the permitted period began.
    pub start: DateTime<Utc>,
    /// Why then.
    pub started_by: ClockStart,
    /// The end of the permitted period without extension (start + 24 hours).
    pub limit: DateTime<Utc>,
    /// The recorded extension and whether it stands.
    pub extension: ExtensionStatus,
    /// The end of the permitted period: `limit`, plus a granted extension.
    pub deadline: DateTime<Utc>,
    /// A rule applied here that is not verified, shown beside the clock.
    pub caveat: Option<&'static Rule>,
}

/// Why no clock can be computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClockError {
    /// No rule set is in force for the date of detention (before 11 December 2017).
    NoRulesInForce,
    /// The person has not yet arrived at a place of safety, and was not kept where they were.
    NotStarted,
    /// Kept at the warrant premises, but the officer's entry time is missing.
    MissingWarrantEntry,
    /// A patient taken or retaken under s135(2): the Act sets no period of detention, so there is no clock.
    NoStatutoryPeriod,
}

impl ClockError {
    /// The problem as a field error for a form.
    pub fn to_field_error(&self) -> FieldError {
        match self {
            ClockError::NoRulesInForce => FieldError::input(
                "detained_at",
                "No rules are recorded for detentions before 11 December 2017, so no clock can be computed.",
            ),
            ClockError::NotStarted => FieldError::input(
                "stays",
                "The person has not arrived at a place of safety yet, so the 24 hours have not started.",
            ),
            ClockError::MissingWarrantEntry => FieldError::refused(
                "warrant_entry_at",
                &rules::CLOCK_START_WARRANT_PREMISES,
                "Record when the officer first entered the premises: the 24 hours start then when the person is kept there",
            ),
            ClockError::NoStatutoryPeriod => FieldError::refused(
                "power",
                &rules::S135_2_NO_PERIOD,
                "A patient taken or retaken under a s135(2) warrant has no statutory period of detention, so there is no 24-hour clock to compute",
            ),
        }
    }
}

fn hours(h: u32) -> TimeDelta {
    TimeDelta::hours(i64::from(h))
}

fn minutes(m: u32) -> TimeDelta {
    TimeDelta::minutes(i64::from(m))
}

/// When the clock started and why, under the rules in domain.md (s136(2A), s135(3ZA), guidance para 4.4).
pub fn clock_start(ep: &Episode) -> Result<(DateTime<Utc>, ClockStart), ClockError> {
    if ep.power == Power::S135_2 {
        return Err(ClockError::NoStatutoryPeriod);
    }
    if let Some(kept_at) = ep.kept_where_they_are_at {
        return if ep.power.is_warrant() {
            ep.warrant_entry_at
                .map(|entered| (entered, ClockStart::KeptAtWarrantPremises))
                .ok_or(ClockError::MissingWarrantEntry)
        } else {
            Ok((kept_at, ClockStart::KeptWhereTheyAre))
        };
    }
    // Later stays are transfers: only the first arrival counts, whatever order they were entered in.
    ep.first_stay()
        .map(|s| {
            (
                s.arrived_at,
                ClockStart::ArrivedAtFirstPlace { place: s.kind },
            )
        })
        .ok_or(ClockError::NotStarted)
}

/// Checks a recorded extension against s136B. `limit` is the end of the unextended period.
///
/// Returns the lawful length in minutes, or every reason it is refused.
pub fn check_extension(
    ep: &Episode,
    rules: &RuleSet,
    start: DateTime<Utc>,
    limit: DateTime<Utc>,
) -> Option<Result<u32, Vec<FieldError>>> {
    let ext = ep.extension.as_ref()?;
    let mut errs = Vec::new();

    if ext.authorised_at < start {
        errs.push(FieldError::input(
            "extension.authorised_at",
            format!(
                "The extension is recorded at {}, before the clock started at {}.",
                london_local(ext.authorised_at),
                london_local(start)
            ),
        ));
    }
    if ext.authorised_at >= limit {
        errs.push(FieldError::refused(
            "extension.authorised_at",
            &rules::EXTENSION_BEFORE_EXPIRY,
            format!(
                "The extension was recorded at {}, but the {} hours ran out at {}: an extension can only be made before they run out",
                london_local(ext.authorised_at),
                rules.max_detention_hours,
                london_local(limit)
            ),
        ));
    }
    let max_minutes = rules.max_extension_hours.saturating_mul(60);
    if ext.minutes == 0 {
        errs.push(FieldError::input(
            "extension.minutes",
            "Enter how long the extension is for.",
        ));
    } else if ext.minutes > max_minutes {
        errs.push(FieldError::refused(
            "extension.minutes",
            &rules::EXTENSION_MAX_12_HOURS,
            format!(
                "An extension can be for at most {} hours; {} was recorded",
                rules.max_extension_hours,
                minutes_text(i64::from(ext.minutes))
            ),
        ));
    }
    match &ep.assessment.doctor {
        None => errs.push(FieldError::refused(
            "extension.authorised_by",
            &rules::EXTENSION_EXAMINING_DOCTOR,
            "Record the doctor responsible for the examination first: only they may extend the period",
        )),
        Some(doctor) if *doctor != ext.authorised_by => errs.push(FieldError::refused(
            "extension.authorised_by",
            &rules::EXTENSION_EXAMINING_DOCTOR,
            format!(
                "Only the doctor responsible for the examination ({}) may extend the period; this extension is recorded as authorised by {}",
                doctor.0, ext.authorised_by.0
            ),
        )),
        Some(_) => {}
    }
    if !ext.reason.is_persons_condition() {
        errs.push(FieldError::refused(
            "extension.reason",
            &rules::EXTENSION_NOT_FOR_RESOURCES,
            format!(
                "\"{}\" is not accepted as a reason to extend: the law allows an extension because the person's condition makes it impracticable to carry out or complete the assessment in time (s136B(2)), and local policy does not accept the unavailability of an AMHP, a doctor or a bed",
                ext.reason.label()
            ),
        ));
    } else if ext.reason == super::types::ExtensionReason::OtherCondition
        && ext
            .reason_detail
            .as_deref()
            .is_none_or(|d| d.trim().is_empty())
    {
        errs.push(FieldError::input(
            "extension.reason_detail",
            "Describe what in the person's condition makes the assessment impracticable in time.",
        ));
    }
    // s136B(3): approval only when the person is at a police station and the assessment would be carried out or
    // completed there. Someone in transit, or about to be moved elsewhere for the assessment, needs none.
    let at_police_station = ep
        .stay_at(ext.authorised_at)
        .is_some_and(|s| s.kind == PlaceOfSafetyKind::PoliceStation);
    if let Some(a) = ext.superintendent_approval
        && a.approved_at < ext.authorised_at
    {
        errs.push(FieldError::input(
            "extension.superintendent_approved_at",
            format!(
                "The superintendent's approval is recorded at {}, before the doctor authorised the extension at {}; it approves that authorisation, so it cannot come first.",
                london_local(a.approved_at),
                london_local(ext.authorised_at)
            ),
        ));
    }
    if at_police_station && ext.assessment_at_police_station != Some(false) {
        match ext.superintendent_approval {
            None => errs.push(FieldError::refused(
                "extension.superintendent_approval",
                &rules::EXTENSION_SUPERINTENDENT,
                if ext.assessment_at_police_station.is_none() {
                    "The person is at a police station, so a superintendent or above must also approve the extension unless the assessment will be carried out or completed somewhere else; record the approval, or that the assessment will not be at the police station"
                } else {
                    "The person is at a police station and the assessment would be carried out or completed there, so a superintendent or above must also approve the extension"
                },
            )),
            Some(a) if a.rank < PoliceRank::Superintendent => errs.push(FieldError::refused(
                "extension.superintendent_approval",
                &rules::EXTENSION_SUPERINTENDENT,
                format!(
                    "The approval is recorded from a {}, but at a police station it must come from a superintendent or above",
                    a.rank.label().to_lowercase()
                ),
            )),
            Some(a) if a.approved_at >= limit => errs.push(FieldError::refused(
                "extension.superintendent_approval",
                &rules::EXTENSION_BEFORE_EXPIRY,
                format!(
                    "The superintendent's approval is recorded at {}, after the period ran out at {}",
                    london_local(a.approved_at),
                    london_local(limit)
                ),
            )),
            Some(_) => {}
        }
    }

    Some(if errs.is_empty() {
        Ok(ext.minutes)
    } else {
        Err(errs)
    })
}

/// Computes the clock of an episode under the rule set in force on its date of detention.
pub fn compute_clock(ep: &Episode, book: &RuleBook) -> Result<Clock, ClockError> {
    let rules = book
        .in_force_at(ep.detained_at)
        .ok_or(ClockError::NoRulesInForce)?;
    let (start, started_by) = clock_start(ep)?;
    let limit = start + hours(rules.max_detention_hours);
    let (extension, deadline) = match check_extension(ep, rules, start, limit) {
        None => (ExtensionStatus::NotRecorded, limit),
        Some(Ok(m)) => (ExtensionStatus::Granted { minutes: m }, limit + minutes(m)),
        Some(Err(reasons)) => (ExtensionStatus::Refused { reasons }, limit),
    };
    Ok(Clock {
        rule_set: rules.id,
        start,
        started_by,
        limit,
        extension,
        deadline,
        caveat: None,
    })
}

/// A detention that went on past the end of the permitted period. Recorded and reported; never hidden.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Breach {
    /// The end of the permitted period.
    pub deadline: DateTime<Utc>,
    /// The end of the detention, or now if it is still going on.
    pub detained_until: DateTime<Utc>,
    /// Still going on.
    pub ongoing: bool,
    /// How far past the deadline, in whole minutes.
    pub overrun_minutes: i64,
}

/// The breach in an episode at `now`, if there is one.
///
/// A detention still open at the deadline is a breach (the period has run out); one that ended exactly at the deadline is not.
pub fn breach_of(clock: &Clock, ep: &Episode, now: DateTime<Utc>) -> Option<Breach> {
    let (until, ongoing) = match ep.ended_at {
        Some(end) => (end, false),
        None => (now, true),
    };
    let over = if ongoing {
        until >= clock.deadline
    } else {
        until > clock.deadline
    };
    over.then(|| Breach {
        deadline: clock.deadline,
        detained_until: until,
        ongoing,
        overrun_minutes: (until - clock.deadline).num_minutes(),
    })
}

/// Convenience: computes the clock and the breach together.
pub fn breach(ep: &Episode, book: &RuleBook, now: DateTime<Utc>) -> Option<Breach> {
    compute_clock(ep, book)
        .ok()
        .and_then(|c| breach_of(&c, ep, now))
}

/// Minutes left at which the board warns, and at which it warns urgently.
pub const WARN_AT_MINUTES_LEFT: i64 = 4 * 60;
/// See [`WARN_AT_MINUTES_LEFT`].
pub const URGENT_AT_MINUTES_LEFT: i64 = 60;

coded_enum!(
    /// The state of an episode on the coordinator's board, as words (never colour alone).
    BoardLevel {
        NotStarted => ("not_started", "Not yet at a place of safety: clock not started"),
        WithinLimit => ("within_limit", "Within the time limit"),
        Under4Hours => ("under_4_hours", "Under 4 hours left"),
        Under1Hour => ("under_1_hour", "Under 1 hour left"),
        Breach => ("breach", "Time limit passed (breach)"),
        EndedWithinLimit => ("ended_within_limit", "Ended within the time limit"),
        EndedInBreach => ("ended_in_breach", "Ended after the time limit (breach)"),
        CannotCompute => ("cannot_compute", "Clock cannot be computed: check the record"),
        NoTimeLimit => ("no_time_limit", "No statutory time limit (s135(2): taken or retaken)"),
    }
);

/// One row of the coordinator's board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BoardStatus {
    /// The level; its label is the text to show.
    pub level: BoardLevel,
    /// A sentence with the numbers: "3 h 05 min left (limit Mon 31 Mar 2025 01:30 BST)".
    pub detail: String,
    /// The end of the permitted period.
    pub deadline: Option<DateTime<Utc>>,
    /// The same, in Europe/London local time with its zone.
    pub deadline_local: Option<String>,
    /// Whole minutes left at `now` (negative once passed); `None` once ended or before the clock starts.
    pub minutes_left: Option<i64>,
    /// The breach, if any.
    pub breach: Option<Breach>,
    /// The clock itself, for the detail view.
    pub clock: Option<Clock>,
    /// Things the coordinator must also see: an unverified rule applied, a recorded extension that was refused.
    pub notes: Vec<String>,
    /// Welfare checks while the person is at a police station now; `overdue_now` must be shown.
    pub welfare: Option<CheckReport>,
}

/// Welfare checks at the police station the person is at now, if the episode is open and they are at one.
fn current_welfare(ep: &Episode, book: &RuleBook, now: DateTime<Utc>) -> Option<CheckReport> {
    let rules = book.in_force_at(ep.detained_at)?;
    // The regulations' welfare checks come with s136A, which does not cover s135(2) (s136A(4)).
    if ep.ended_at.is_some() || ep.power == Power::S135_2 {
        return None;
    }
    ep.stays
        .iter()
        .filter(|s| s.departed_at.is_none())
        .find_map(|s| welfare_checks(s, rules, now))
}

/// The board row for an episode at `now`.
pub fn board_status(ep: &Episode, book: &RuleBook, now: DateTime<Utc>) -> BoardStatus {
    let welfare = current_welfare(ep, book, now);
    let clock = match compute_clock(ep, book) {
        Ok(c) => c,
        Err(ClockError::NotStarted) => {
            return BoardStatus {
                level: BoardLevel::NotStarted,
                detail: format!(
                    "Detained {} ago at {}; not yet arrived at a place of safety",
                    minutes_text((now - ep.detained_at).num_minutes()),
                    london_local(ep.detained_at)
                ),
                deadline: None,
                deadline_local: None,
                minutes_left: None,
                breach: None,
                clock: None,
                notes: Vec::new(),
                welfare,
            };
        }
        Err(ClockError::NoStatutoryPeriod) => {
            let detail = match ep.ended_at {
                Some(end) => format!("Ended at {}; s135(2) sets no time limit", london_local(end)),
                None => format!(
                    "Detained {} ago at {}; s135(2) sets no time limit, so no clock is shown ({})",
                    minutes_text((now - ep.detained_at).num_minutes()),
                    london_local(ep.detained_at),
                    rules::S135_2_NO_PERIOD.source
                ),
            };
            return BoardStatus {
                level: BoardLevel::NoTimeLimit,
                detail,
                deadline: None,
                deadline_local: None,
                minutes_left: None,
                breach: None,
                clock: None,
                notes: Vec::new(),
                welfare,
            };
        }
        Err(e) => {
            return BoardStatus {
                level: BoardLevel::CannotCompute,
                detail: e.to_field_error().message,
                deadline: None,
                deadline_local: None,
                minutes_left: None,
                breach: None,
                clock: None,
                notes: Vec::new(),
                welfare,
            };
        }
    };
    let deadline_local = london_local(clock.deadline);
    let breach = breach_of(&clock, ep, now);
    let (level, minutes_left, detail) = match (ep.ended_at, &breach) {
        (Some(_), Some(b)) => (
            BoardLevel::EndedInBreach,
            None,
            format!(
                "Ended {} after the limit ({deadline_local})",
                minutes_text(b.overrun_minutes)
            ),
        ),
        (Some(_), None) => (
            BoardLevel::EndedWithinLimit,
            None,
            format!("Ended within the limit ({deadline_local})"),
        ),
        (None, Some(b)) => (
            BoardLevel::Breach,
            Some(-b.overrun_minutes),
            format!(
                "Limit passed {} ago ({deadline_local}): record the breach and end the detention",
                minutes_text(b.overrun_minutes)
            ),
        ),
        (None, None) => {
            let left = (clock.deadline - now).num_minutes();
            let level = if left < URGENT_AT_MINUTES_LEFT {
                BoardLevel::Under1Hour
            } else if left < WARN_AT_MINUTES_LEFT {
                BoardLevel::Under4Hours
            } else {
                BoardLevel::WithinLimit
            };
            (
                level,
                Some(left),
                format!("{} left (limit {deadline_local})", minutes_text(left)),
            )
        }
    };
    let mut notes = Vec::new();
    if let ExtensionStatus::Refused { reasons } = &clock.extension {
        notes.push(format!(
            "An extension is recorded but refused ({} reason{}), so the limit has not moved",
            reasons.len(),
            if reasons.len() == 1 { "" } else { "s" }
        ));
    }
    if let Some(r) = clock.caveat {
        notes.push(format!("{} ({})", r.summary, r.source));
    }
    if let Some(w) = &welfare
        && w.overdue_now
    {
        notes.push(format!(
            "Welfare check overdue: a healthcare professional must check at least every {} minutes",
            w.interval_minutes
        ));
    }
    BoardStatus {
        level,
        detail,
        deadline: Some(clock.deadline),
        deadline_local: Some(deadline_local),
        minutes_left,
        breach,
        clock: Some(clock),
        notes,
        welfare,
    }
}
