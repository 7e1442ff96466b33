//! Mental Health Act 1983 s136 and s135 rules, as amended by the Policing and Crime Act 2017 (in force 11 December 2017).
//!
//! Pure functions over recorded facts; no IO, no async. Every rule, its source and what is unverified are listed in
//! `docs/s136-rules.md` and in [`ALL_RULES`].
//!
//! - [`Episode`] and its parts hold what happened, as recorded.
//! - [`compute_clock`] says when the permitted period started, whether a recorded extension stands, and the deadline.
//! - [`board_status`] is the coordinator's view at an instant: time left, warnings in words, breaches.
//! - [`validate`] lists field-level problems in plain English, including refusals under a named rule.
//! - [`check_police_station`], [`welfare_checks`] and [`CustodyReviewReminder`] cover police stations.
//! - [`home_office_row`] and [`outcome_summary`] feed the returns and the partnership's figures.
//!
//! The rules that change by date live in a [`RuleSet`]; a [`RuleBook`] picks the one in force on the date of detention.
//! Times are UTC instants: the clock counts real hours, and [`london_local`] shows them as people in England read them.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use concordat_domain::mha::*;
//!
//! // Detained on the street at 00:10 UTC on the day the clocks go forward; at the place of safety at 00:30.
//! let detained = Utc.with_ymd_and_hms(2025, 3, 30, 0, 10, 0).unwrap();
//! let mut ep = Episode::new(Power::S136, detained, DetentionPlace::StreetOrPublicPlace, PersonAge::Years(34));
//! ep.consultation = Some(Consultation::NotPracticable { reason: "Immediate risk on a bridge".into() });
//! ep.stays.push(Stay::new(PlaceOfSafetyKind::HealthBased, Utc.with_ymd_and_hms(2025, 3, 30, 0, 30, 0).unwrap()));
//!
//! let book = RuleBook::england();
//! assert!(validate(&ep, &book).is_empty());
//!
//! let now = Utc.with_ymd_and_hms(2025, 3, 30, 21, 0, 0).unwrap();
//! let row = board_status(&ep, &book, now);
//! assert_eq!(row.level.label(), "Under 4 hours left");
//! // 24 real hours: 01:30 BST on the wall clock, 25 "clock hours" after 00:30 GMT.
//! assert_eq!(row.deadline_local.as_deref(), Some("Mon 31 Mar 2025 01:30 BST"));
//! ```

mod clock;
mod police_station;
mod report;
mod rules;
mod time;
mod types;
mod validate;

#[cfg(test)]
mod tests;

pub use clock::{
    BoardLevel, BoardStatus, Breach, Clock, ClockError, ClockStart, ExtensionStatus,
    URGENT_AT_MINUTES_LEFT, WARN_AT_MINUTES_LEFT, board_status, breach, breach_of, check_extension,
    clock_start, compute_clock,
};
pub use police_station::{
    CheckReport, CustodyReviewReminder, MissedCheck, check_police_station,
    check_police_station_at_detention, welfare_checks,
};
pub use report::{
    AgeGroup, ComparisonLine, Demographics, Ethnicity, HomeOfficeRow, OutcomeSummary, Period, Sex,
    SummaryLine, SummaryRecord, compare_with_year_earlier, financial_year, home_office_row,
    outcome_summary,
};
pub use rules::{ALL_RULES, FieldError, PCA_2017, PoliceStationRule, Rule, RuleBook, RuleSet};
pub use time::{LocalTimeError, from_london_local, london_date, london_local, minutes_text};
pub use types::{
    Assessment, Consultation, ConsultedProfessional, DecisionMaker, DetentionPlace, Episode,
    Extension, ExtensionReason, HomeConsent, OccupierAgreement, OutcomeKind, PersonAge,
    PlaceOfSafetyKind, PoliceRank, PoliceStationDecision, PoliceVehicleReason, Power,
    ProfessionalRef, SeniorApproval, Setting, Stay, Transport,
};
pub use validate::validate;

/// Every rule as a named constant, for code that cites one (e.g. `mha::rule::WELFARE_CHECKS.source`).
pub mod rule {
    pub use super::rules::{
        CLOCK_START, CLOCK_START_EMERGENCY_DEPARTMENT, CLOCK_START_WARRANT_PREMISES,
        CUSTODY_REVIEW, EXTENSION_BEFORE_EXPIRY, EXTENSION_EXAMINING_DOCTOR,
        EXTENSION_MAX_12_HOURS, EXTENSION_NOT_FOR_RESOURCES, EXTENSION_PERSONS_CONDITION,
        EXTENSION_SUPERINTENDENT, HOME_CONSENT, MAX_DETENTION, OTHER_PLACE_AGREEMENT,
        POLICE_STATION_AGE_UNKNOWN, POLICE_STATION_AUTHORISATION, POLICE_STATION_CHILD,
        POLICE_STATION_CONDITIONS, POLICE_STATION_CONSULTATION, POLICE_STATION_NOT_PLACE_OF_SAFETY,
        S135_2_NO_PERIOD, S136_CONSULTATION, S136_CONSULTATION_REASON,
        S136_KEPT_AT_PLACE_OF_SAFETY, S136_NOT_IN_DWELLING, TRANSFER_NO_RESTART,
        WARRANT_PREMISES_PLACE_OF_SAFETY, WELFARE_CHECKS,
    };
}
