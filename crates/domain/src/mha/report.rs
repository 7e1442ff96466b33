//! Reporting helpers: the Home Office annual data return row for an episode, and an outcome summary
//! in the style of the Birmingham street triage figures, for a period beside the same period a year earlier.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::org::coded_enum;

use super::clock::{ExtensionStatus, breach, compute_clock};
use super::rules::RuleBook;
use super::time::london_date;
use super::types::{Episode, OutcomeKind, PlaceOfSafetyKind, Power, Setting, Transport};

coded_enum!(
    /// Age groups for the Home Office return (bands unverified against the Home Office data requirement).
    AgeGroup {
        Under18 => ("under_18", "Under 18"),
        From18To24 => ("18_24", "18 to 24"),
        From25To34 => ("25_34", "25 to 34"),
        From35To44 => ("35_44", "35 to 44"),
        From45To54 => ("45_54", "45 to 54"),
        From55To64 => ("55_64", "55 to 64"),
        From65 => ("65_plus", "65 and over"),
        Unknown => ("unknown", "Not known"),
    }
);

impl AgeGroup {
    /// The group for an age in whole years.
    pub fn of(years: Option<u32>) -> Self {
        match years {
            None => AgeGroup::Unknown,
            Some(y) if y < 18 => AgeGroup::Under18,
            Some(y) if y < 25 => AgeGroup::From18To24,
            Some(y) if y < 35 => AgeGroup::From25To34,
            Some(y) if y < 45 => AgeGroup::From35To44,
            Some(y) if y < 55 => AgeGroup::From45To54,
            Some(y) if y < 65 => AgeGroup::From55To64,
            Some(_) => AgeGroup::From65,
        }
    }
}

coded_enum!(
    /// Sex as reported to the Home Office (categories unverified).
    Sex {
        Male => ("male", "Male"),
        Female => ("female", "Female"),
        Other => ("other", "Other"),
        NotKnown => ("not_known", "Not known"),
    }
);

coded_enum!(
    /// Self-defined ethnicity, grouped as in Home Office police powers statistics (groups unverified).
    Ethnicity {
        White => ("white", "White"),
        Mixed => ("mixed", "Mixed or multiple ethnic groups"),
        Asian => ("asian", "Asian or Asian British"),
        Black => ("black", "Black, Black British, Caribbean or African"),
        Other => ("other", "Other ethnic group (including Chinese)"),
        NotStated => ("not_stated", "Not stated"),
    }
);

/// What the return needs about the person that the episode does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Demographics {
    /// Sex.
    pub sex: Sex,
    /// Ethnicity.
    pub ethnicity: Ethnicity,
}

/// One row of the Home Office annual data return: one detention. Serialises to a flat CSV row of stable codes.
///
/// The fields whose names begin `local_` (transfer, extension, outcome) are not in the published return: they are
/// the partnership's own, kept beside it, and must be dropped before the return is submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HomeOfficeRow {
    /// The police force that used the power (the organisation that owns the record).
    pub police_force: String,
    /// Power code (`s136`, `s135_1`, `s135_2`).
    pub power: &'static str,
    /// Europe/London date of detention.
    pub detained_on: NaiveDate,
    /// Financial year, April to March: "2024/25".
    pub financial_year: String,
    /// Age group code.
    pub age_group: &'static str,
    /// Sex code.
    pub sex: &'static str,
    /// Ethnicity code.
    pub ethnicity: &'static str,
    /// First place of safety code, or `not_recorded`.
    pub first_place_of_safety: &'static str,
    /// A police station was used at any point (the place the power was used included, when the person was held there).
    pub police_station_used: bool,
    /// `police_vehicle`, `ambulance`, `other`, or `not_known` when the transport is not recorded.
    pub transport: &'static str,
    /// Why a police vehicle was used; empty when none was.
    pub police_vehicle_reason: &'static str,
    /// Local, not in the published return: the person was moved between places of safety.
    pub local_transferred: bool,
    /// Local, not in the published return: a lawful extension was granted.
    pub local_extended: bool,
    /// Local, not in the published return: the outcome code, or `not_recorded`.
    pub local_outcome: &'static str,
}

impl HomeOfficeRow {
    /// The column names, in the order the fields serialise; `local_` columns are not in the published return.
    pub const HEADER: [&'static str; 14] = [
        "police_force",
        "power",
        "detained_on",
        "financial_year",
        "age_group",
        "sex",
        "ethnicity",
        "first_place_of_safety",
        "police_station_used",
        "transport",
        "police_vehicle_reason",
        "local_transferred",
        "local_extended",
        "local_outcome",
    ];

    /// The row's values as text, in [`HomeOfficeRow::HEADER`] order.
    pub fn values(&self) -> Vec<String> {
        vec![
            self.police_force.clone(),
            self.power.to_string(),
            self.detained_on.to_string(),
            self.financial_year.clone(),
            self.age_group.to_string(),
            self.sex.to_string(),
            self.ethnicity.to_string(),
            self.first_place_of_safety.to_string(),
            self.police_station_used.to_string(),
            self.transport.to_string(),
            self.police_vehicle_reason.to_string(),
            self.local_transferred.to_string(),
            self.local_extended.to_string(),
            self.local_outcome.to_string(),
        ]
    }
}

/// The financial year (1 April to 31 March) containing `day`, as "2024/25".
pub fn financial_year(day: NaiveDate) -> String {
    let start = if day.month() >= 4 {
        day.year()
    } else {
        day.year() - 1
    };
    format!("{}/{:02}", start, (start + 1).rem_euclid(100))
}

/// The Home Office return row for one episode, detained by `police_force`.
pub fn home_office_row(
    ep: &Episode,
    person: Demographics,
    police_force: &str,
    book: &RuleBook,
) -> HomeOfficeRow {
    let day = london_date(ep.detained_at);
    let extended = compute_clock(ep, book)
        .is_ok_and(|c| matches!(c.extension, ExtensionStatus::Granted { .. }));
    HomeOfficeRow {
        police_force: police_force.to_string(),
        power: ep.power.code(),
        detained_on: day,
        financial_year: financial_year(day),
        age_group: AgeGroup::of(ep.age.years_at(ep.detained_at)).code(),
        sex: person.sex.code(),
        ethnicity: person.ethnicity.code(),
        first_place_of_safety: ep.first_stay().map_or("not_recorded", |s| s.kind.code()),
        police_station_used: ep.used_police_station(),
        // "Not known" (nothing recorded) is kept apart from "other".
        transport: ep.transport.map_or("not_known", Transport::code),
        police_vehicle_reason: match ep.transport {
            Some(Transport::PoliceVehicle) => ep.police_vehicle_reason.map_or("", |r| r.code()),
            _ => "",
        },
        local_transferred: ep.stays.len() > 1,
        local_extended: extended,
        local_outcome: ep.outcome.map_or("not_recorded", OutcomeKind::code),
    }
}

/// The least about an episode that the outcome summary needs; the store can produce these without loading whole episodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryRecord {
    /// When the person was detained.
    pub detained_at: DateTime<Utc>,
    /// The power.
    pub power: Power,
    /// Street or private premises.
    pub setting: Setting,
    /// First place of safety.
    pub first_place: Option<PlaceOfSafetyKind>,
    /// A police station was used at any point.
    pub police_station_used: bool,
    /// Transport to the first place.
    pub transport: Option<Transport>,
    /// The outcome.
    pub outcome: Option<OutcomeKind>,
    /// A lawful extension was granted.
    pub extended: bool,
    /// The time limit was breached.
    pub breached: bool,
}

impl SummaryRecord {
    /// The summary of one episode, with breaches judged at `now`.
    pub fn from_episode(ep: &Episode, book: &RuleBook, now: DateTime<Utc>) -> Self {
        SummaryRecord {
            detained_at: ep.detained_at,
            power: ep.power,
            setting: ep.detention_place.setting(),
            first_place: ep.first_stay().map(|s| s.kind),
            police_station_used: ep.used_police_station(),
            transport: ep.transport,
            outcome: ep.outcome,
            extended: compute_clock(ep, book)
                .is_ok_and(|c| matches!(c.extension, ExtensionStatus::Granted { .. })),
            breached: breach(ep, book, now).is_some(),
        }
    }
}

/// A period of whole Europe/London days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// First day.
    pub first_day: NaiveDate,
    /// Last day (included).
    pub last_day: NaiveDate,
}

fn year_before(d: NaiveDate) -> NaiveDate {
    // 29 February has no twin a year earlier: use 28 February.
    d.with_year(d.year() - 1)
        .or_else(|| d.pred_opt().and_then(|p| p.with_year(d.year() - 1)))
        .unwrap_or(d)
}

impl Period {
    /// True if the instant falls on one of the period's days in Europe/London.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        let d = london_date(t);
        self.first_day <= d && d <= self.last_day
    }

    /// The same days a year earlier.
    pub fn year_earlier(&self) -> Period {
        Period {
            first_day: year_before(self.first_day),
            last_day: year_before(self.last_day),
        }
    }
}

/// One line of the outcome summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SummaryLine {
    /// Stable code, e.g. `outcome.informal_admission`.
    pub code: String,
    /// Plain-English label.
    pub label: String,
    /// Number of detentions.
    pub count: u64,
}

/// Counts by power, setting, first place, transport and outcome, and the extensions and breaches, for one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutcomeSummary {
    /// The period.
    pub period: Period,
    /// The lines, in a fixed order (every category appears, with zero counts too).
    pub lines: Vec<SummaryLine>,
}

fn line(lines: &mut Vec<SummaryLine>, code: String, label: String, count: usize) {
    lines.push(SummaryLine {
        code,
        label,
        count: u64::try_from(count).unwrap_or(u64::MAX),
    });
}

/// The outcome summary for the records detained within `period`.
pub fn outcome_summary(records: &[SummaryRecord], period: Period) -> OutcomeSummary {
    let rs: Vec<&SummaryRecord> = records
        .iter()
        .filter(|r| period.contains(r.detained_at))
        .collect();
    let count = |f: &dyn Fn(&SummaryRecord) -> bool| rs.iter().filter(|r| f(r)).count();
    let mut lines = Vec::new();
    line(
        &mut lines,
        "detentions".into(),
        "Detentions".into(),
        rs.len(),
    );
    for p in Power::ALL {
        line(
            &mut lines,
            format!("power.{}", p.code()),
            p.label().into(),
            count(&|r| r.power == *p),
        );
    }
    for s in Setting::ALL {
        line(
            &mut lines,
            format!("setting.{}", s.code()),
            format!("Detained in: {}", s.label().to_lowercase()),
            count(&|r| r.setting == *s),
        );
    }
    for k in PlaceOfSafetyKind::ALL {
        line(
            &mut lines,
            format!("first_place.{}", k.code()),
            format!("First place of safety: {}", k.label()),
            count(&|r| r.first_place == Some(*k)),
        );
    }
    line(
        &mut lines,
        "first_place.not_recorded".into(),
        "First place of safety: not recorded".into(),
        count(&|r| r.first_place.is_none()),
    );
    line(
        &mut lines,
        "police_station_used".into(),
        "A police station used at any point".into(),
        count(&|r| r.police_station_used),
    );
    for t in Transport::ALL {
        line(
            &mut lines,
            format!("transport.{}", t.code()),
            format!("Taken by: {}", t.label()),
            count(&|r| r.transport == Some(*t)),
        );
    }
    line(
        &mut lines,
        "transport.not_recorded".into(),
        "Taken by: not recorded".into(),
        count(&|r| r.transport.is_none()),
    );
    for o in OutcomeKind::ALL {
        line(
            &mut lines,
            format!("outcome.{}", o.code()),
            format!("Outcome: {}", o.label()),
            count(&|r| r.outcome == Some(*o)),
        );
    }
    line(
        &mut lines,
        "outcome.not_recorded".into(),
        "Outcome: not yet recorded".into(),
        count(&|r| r.outcome.is_none()),
    );
    line(
        &mut lines,
        "extended".into(),
        "Extended beyond 24 hours".into(),
        count(&|r| r.extended),
    );
    line(
        &mut lines,
        "breached".into(),
        "Time limit breached".into(),
        count(&|r| r.breached),
    );
    OutcomeSummary { period, lines }
}

/// One line of a period beside the same period a year earlier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComparisonLine {
    /// Stable code.
    pub code: String,
    /// Label.
    pub label: String,
    /// Count in the period.
    pub current: u64,
    /// Count in the same period a year earlier.
    pub year_earlier: u64,
}

/// The outcome summary for `period` beside the same period a year earlier.
pub fn compare_with_year_earlier(records: &[SummaryRecord], period: Period) -> Vec<ComparisonLine> {
    let now = outcome_summary(records, period);
    let before = outcome_summary(records, period.year_earlier());
    now.lines
        .into_iter()
        .zip(before.lines)
        .map(|(a, b)| ComparisonLine {
            code: a.code,
            label: a.label,
            current: a.count,
            year_earlier: b.count,
        })
        .collect()
}
