//! Crisis response operations: crisis contacts (street triage, control room, advice line),
//! s136/s135 episodes with the statutory clock, and places of safety.
//!
//! The rules are the domain's (`concordat_domain::mha`): this module only loads, asks the policy, applies them and audits.

mod contacts;
mod demo_load;
mod episodes;
mod reports;

pub use contacts::{ContactForm, ContactView, Options, contact_options};
pub use episodes::{BoardRow, EpisodeStep, EpisodeView};
pub use reports::{ExportKind, PlaceAvailability};

pub(crate) use demo_load::load_demo;

use crate::AppError;
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use concordat_domain::mha::{LocalTimeError, from_london_local, london_local};

/// Reads a Europe/London wall-clock time as typed in a form ("2025-03-30T14:05" or "2025-03-30 14:05").
pub(crate) fn parse_local(field: &str, s: &str) -> Result<Option<DateTime<Utc>>, AppError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let naive = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .ok_or_else(|| {
            AppError::invalid(
                field,
                "Enter a date and time like 2025-03-30 14:05 (UK time)",
            )
        })?;
    // Far-off years are typing mistakes, and would overflow the clock arithmetic.
    if !crate::limits::year_ok(naive) {
        return Err(AppError::invalid(field, crate::limits::year_message()));
    }
    match from_london_local(naive) {
        Ok(t) => Ok(Some(t)),
        Err(LocalTimeError::DoesNotExist) => Err(AppError::invalid(
            field,
            "That time did not exist in the UK: the clocks went forward. Check the time",
        )),
        Err(LocalTimeError::Ambiguous { earlier, later }) => Err(AppError::invalid(
            field,
            format!(
                "That time happened twice as the clocks went back: it is either {} or {}. Use the 24-hour time after the change, or check the record",
                london_local(earlier),
                london_local(later)
            ),
        )),
    }
}

/// A time as a form shows it in Europe/London ("2025-03-30T14:05"), for datetime-local inputs.
pub fn form_time(t: DateTime<Utc>) -> String {
    // London is UTC+1 in summer time (BST) and UTC otherwise; `london_local` names the zone in force at `t`.
    let hours = if london_local(t).ends_with("BST") {
        1
    } else {
        0
    };
    (t + TimeDelta::hours(hours))
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// The code lists a contact uses (code, label), for pages that show codes as words.
pub mod contacts_lists {
    pub use super::contacts::{CONVEYANCES, NEEDS, OUTCOMES, RESPONSE_TYPES, SETTINGS, SOURCES};
}
