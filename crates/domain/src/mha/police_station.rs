//! Police stations as places of safety: who may never be held there, the conditions for adults,
//! the 30-minute welfare checks, and the custody officer review reminder.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::rules::{self, FieldError, PoliceStationRule, Rule, RuleSet};
use super::types::{
    Consultation, DecisionMaker, Episode, PersonAge, PoliceRank, PoliceStationDecision, Stay,
};

/// Checks the use of a police station for a person of `age` detained at `detained_at`.
///
/// `stay_field` is the path of the stay (e.g. `stays[0]`), so errors land on the right field.
/// Returns every refusal; an empty list means the recorded conditions allow it.
pub fn check_police_station(
    rules: &RuleSet,
    age: PersonAge,
    detained_at: DateTime<Utc>,
    decision: Option<&PoliceStationDecision>,
    stay_field: &str,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let minimum_age = match rules.police_station {
        PoliceStationRule::NeverAPlaceOfSafety => {
            errs.push(FieldError::refused(
                format!("{stay_field}.kind"),
                &rules::POLICE_STATION_NOT_PLACE_OF_SAFETY,
                format!(
                    "A police station is not a place of safety under the rules in force from {}: {}",
                    rules.in_force_from.format("%-d %B %Y"),
                    rules.name
                ),
            ));
            return errs;
        }
        PoliceStationRule::AdultsWithConditions { minimum_age, .. } => minimum_age,
    };
    match age.years_at(detained_at) {
        Some(years) if years < minimum_age => {
            errs.push(FieldError::refused(
                format!("{stay_field}.kind"),
                &rules::POLICE_STATION_CHILD,
                format!(
                    "The person is {years}: a police station can never be a place of safety for anyone under {minimum_age}"
                ),
            ));
            // For a child no condition can make it lawful, so listing the conditions would mislead.
            return errs;
        }
        Some(_) => {}
        None => errs.push(FieldError::refused(
            "age",
            &rules::POLICE_STATION_AGE_UNKNOWN,
            "Record the person's age or date of birth: a police station may be used only for someone known to be 18 or over",
        )),
    }
    let Some(d) = decision else {
        errs.push(FieldError::refused(
            format!("{stay_field}.police_station"),
            &rules::POLICE_STATION_CONDITIONS,
            "Record the decision to use a police station and each condition for it",
        ));
        return errs;
    };
    let field = |name: &str| format!("{stay_field}.police_station.{name}");
    let conditions: [(bool, &str, &str); 3] = [
        (
            d.imminent_risk_of_serious_injury_or_death,
            "imminent_risk_of_serious_injury_or_death",
            "A police station may be used only if the person's behaviour poses an imminent risk of serious injury or death; this is not recorded",
        ),
        (
            d.no_other_place_can_reasonably_detain,
            "no_other_place_can_reasonably_detain",
            "A police station may be used only if, because of that risk, no other place of safety in the area can reasonably be expected to detain the person; this is not recorded",
        ),
        (
            d.healthcare_professional_available,
            "healthcare_professional_available",
            "A police station may be used only if a healthcare professional will be present and available to the person; this is not recorded",
        ),
    ];
    for (met, name, message) in conditions {
        if !met {
            errs.push(FieldError::refused(
                field(name),
                &rules::POLICE_STATION_CONDITIONS,
                message,
            ));
        }
    }
    let needs_authorisation = match d.decision_maker {
        DecisionMaker::PoliceOfficer { rank } => rank < PoliceRank::Inspector,
        DecisionMaker::Amhp => true,
    };
    if needs_authorisation {
        match d.authorised_by_rank {
            None => errs.push(FieldError::refused(
                field("authorised_by_rank"),
                &rules::POLICE_STATION_AUTHORISATION,
                "The decision maker is below the rank of inspector, so an inspector or above must authorise the use of a police station",
            )),
            Some(r) if r < PoliceRank::Inspector => errs.push(FieldError::refused(
                field("authorised_by_rank"),
                &rules::POLICE_STATION_AUTHORISATION,
                format!(
                    "The authorisation is recorded from a {}, but it must come from an inspector or above",
                    r.label().to_lowercase()
                ),
            )),
            Some(_) => {}
        }
    }
    if matches!(d.decision_maker, DecisionMaker::PoliceOfficer { .. }) {
        match &d.consultation {
            None => errs.push(FieldError::refused(
                field("consultation"),
                &rules::POLICE_STATION_CONSULTATION,
                "Record who was consulted before deciding to use a police station, or why it was not reasonably practicable",
            )),
            Some(Consultation::NotPracticable { reason }) if reason.trim().is_empty() => {
                errs.push(FieldError::input(
                    field("consultation.reason"),
                    "Say why it was not reasonably practicable to consult.",
                ))
            }
            Some(_) => {}
        }
    }
    errs
}

/// Checks an episode whose power was used at a police station where the person was then held
/// ([`Episode::held_at_police_station_on_detention`]): the detention place counts as a stay at a police station.
///
/// A child is refused (s136A(1)); for an adult the decision and its conditions belong to a recorded stay, so the
/// police station must be recorded as the first place of safety with them, or the place the person was removed to.
pub fn check_police_station_at_detention(rules: &RuleSet, ep: &Episode) -> Vec<FieldError> {
    check_police_station(rules, ep.age, ep.detained_at, None, "detention_place")
        .into_iter()
        .map(|mut e| {
            if e.field == "detention_place.kind" {
                e.field = "detention_place".into();
                e.message = e.message.replacen(
                    "The person is",
                    "The person was detained at a police station and is",
                    1,
                );
            } else if e.field == "detention_place.police_station" {
                e = FieldError::refused(
                    "detention_place",
                    &rules::POLICE_STATION_CONDITIONS,
                    "The person was detained at a police station and is held there: record the police station as the first place of safety with the decision and each condition for it, or the place of safety they were removed to",
                );
            }
            e
        })
        .collect()
}

/// A time when a periodic check was due but not done on time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MissedCheck {
    /// The last check (or arrival) before the gap.
    pub since: DateTime<Utc>,
    /// When the next check was due.
    pub due_by: DateTime<Utc>,
    /// When a check was finally done; `None` if none has been yet (overdue now) or the stay ended first.
    pub done_at: Option<DateTime<Utc>>,
    /// How many checks were missed in the gap.
    pub missed: u32,
}

/// Periodic checks at a police station stay, judged at `now`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// The rule the interval comes from (an unverified rule only reminds).
    pub rule: &'static Rule,
    /// The interval, in minutes.
    pub interval_minutes: u32,
    /// Every gap longer than the interval, oldest first.
    pub missed: Vec<MissedCheck>,
    /// When the next check is due, while the person is still there.
    pub next_due: Option<DateTime<Utc>>,
    /// A check is overdue right now.
    pub overdue_now: bool,
}

/// Number of due times `since + k * interval` (k >= 1) strictly before `until`.
fn due_before(since: DateTime<Utc>, until: DateTime<Utc>, interval: TimeDelta) -> u32 {
    let gap = (until - since).num_seconds();
    let step = interval.num_seconds().max(1);
    if gap <= 0 {
        return 0;
    }
    u32::try_from((gap - 1) / step).unwrap_or(u32::MAX)
}

fn check_gaps(
    stay: &Stay,
    checks: &[DateTime<Utc>],
    interval_minutes: u32,
    rule: &'static Rule,
    now: DateTime<Utc>,
) -> CheckReport {
    let interval = TimeDelta::minutes(i64::from(interval_minutes.max(1)));
    let open = stay.departed_at.is_none();
    let end = stay.departed_at.unwrap_or(now);
    let mut times: Vec<DateTime<Utc>> = checks
        .iter()
        .copied()
        .filter(|t| *t >= stay.arrived_at && *t <= end)
        .collect();
    times.sort();
    let mut missed = Vec::new();
    let mut since = stay.arrived_at;
    for t in times {
        let n = due_before(since, t, interval);
        if n > 0 {
            missed.push(MissedCheck {
                since,
                due_by: since + interval,
                done_at: Some(t),
                missed: n,
            });
        }
        since = t;
    }
    let n = due_before(since, end, interval);
    let overdue_now = open && n > 0;
    if n > 0 {
        missed.push(MissedCheck {
            since,
            due_by: since + interval,
            done_at: None,
            missed: n,
        });
    }
    CheckReport {
        rule,
        interval_minutes,
        missed,
        next_due: open.then_some(since + interval),
        overdue_now,
    }
}

/// Welfare checks by a healthcare professional at a police station stay (reg 4(1)(a): at least every 30 minutes).
///
/// `None` for a stay that is not at a police station, or under rules where police stations are not places of safety.
pub fn welfare_checks(stay: &Stay, rules: &RuleSet, now: DateTime<Utc>) -> Option<CheckReport> {
    let PoliceStationRule::AdultsWithConditions {
        welfare_check_minutes,
        ..
    } = rules.police_station
    else {
        return None;
    };
    (stay.kind == super::types::PlaceOfSafetyKind::PoliceStation).then(|| {
        check_gaps(
            stay,
            &stay.welfare_checks,
            welfare_check_minutes,
            &rules::WELFARE_CHECKS,
            now,
        )
    })
}

/// A reminder for the custody officer to review a police station detention.
///
/// UNVERIFIED: domain.md gives "every 3 hours" without a checked source, so this is a configurable reminder,
/// reported under [`rules::CUSTODY_REVIEW`] (`verified: false`), and never a refusal or a breach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CustodyReviewReminder {
    /// Minutes between reminders.
    pub interval_minutes: u32,
}

impl Default for CustodyReviewReminder {
    fn default() -> Self {
        CustodyReviewReminder {
            interval_minutes: 180,
        }
    }
}

impl CustodyReviewReminder {
    /// Reviews due at a police station stay; `None` for other stays.
    pub fn check(&self, stay: &Stay, now: DateTime<Utc>) -> Option<CheckReport> {
        (stay.kind == super::types::PlaceOfSafetyKind::PoliceStation).then(|| {
            check_gaps(
                stay,
                &stay.custody_reviews,
                self.interval_minutes,
                &rules::CUSTODY_REVIEW,
                now,
            )
        })
    }
}
