//! Instants are UTC; people read Europe/London local time.
//!
//! The statutory clock counts real elapsed hours, so all arithmetic is on UTC instants
//! and local time is only for display and for reading what people type.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Europe::London;
use serde::Serialize;

/// The Europe/London calendar date of an instant.
pub fn london_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&London).date_naive()
}

/// An instant as people in England read it, with the zone so that the repeated hour in October is unambiguous:
/// "Sun 26 Oct 2025 01:30 BST".
pub fn london_local(t: DateTime<Utc>) -> String {
    t.with_timezone(&London)
        .format("%a %-d %b %Y %H:%M %Z")
        .to_string()
}

/// Why a local time typed by a person does not name exactly one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LocalTimeError {
    /// The time falls in the hour skipped when clocks go forward in March.
    DoesNotExist,
    /// The time falls in the hour repeated when clocks go back in October: ask which one.
    Ambiguous {
        /// The first occurrence (BST).
        earlier: DateTime<Utc>,
        /// The second occurrence (GMT).
        later: DateTime<Utc>,
    },
}

impl std::fmt::Display for LocalTimeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LocalTimeError::DoesNotExist => f.write_str(
                "That time did not happen in the UK: the clocks went forward an hour. Check the time.",
            ),
            LocalTimeError::Ambiguous { earlier, later } => write!(
                f,
                "That time happened twice because the clocks went back: choose {} or {}.",
                london_local(*earlier),
                london_local(*later)
            ),
        }
    }
}

/// Reads a Europe/London wall-clock time, refusing the skipped hour and asking about the repeated one.
pub fn from_london_local(local: NaiveDateTime) -> Result<DateTime<Utc>, LocalTimeError> {
    match London.from_local_datetime(&local) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => {
            let (a, b) = (a.with_timezone(&Utc), b.with_timezone(&Utc));
            Err(LocalTimeError::Ambiguous {
                earlier: a.min(b),
                later: a.max(b),
            })
        }
        LocalResult::None => Err(LocalTimeError::DoesNotExist),
    }
}

/// A signed duration in minutes as plain English: "3 h 05 min", "45 min".
pub fn minutes_text(minutes: i64) -> String {
    let m = minutes.unsigned_abs();
    if m >= 60 {
        format!("{} h {:02} min", m / 60, m % 60)
    } else {
        format!("{m} min")
    }
}
