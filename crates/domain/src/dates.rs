//! Dates and times as people read and type them, following the NHS digital service manual's style:
//! "7 December 2026" in running text, "20 Dec 1975" in tables, times on the 24-hour clock ("16:26") in
//! UK local time (Europe/London). The zone is named only when the time alone would not say which instant
//! is meant: in the hour repeated when the clocks go back in October ("01:30 BST", then "01:30 GMT").
//!
//! Instants are stored in UTC (`model::to_millis`); this module is the one place that turns them into
//! words. The web layer calls it through a thin askama filter module (`concordat_web::dates`).

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::London;

/// A date in running text: "7 December 2026".
pub fn date_long(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// A date in a table or another tight space: "20 Dec 1975".
pub fn date_short(d: NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}

/// Whether the UK wall-clock time of `t` happened twice (the hour repeated when the clocks go back).
pub fn is_ambiguous(t: DateTime<Utc>) -> bool {
    let local = t.with_timezone(&London).naive_local();
    matches!(
        London.from_local_datetime(&local),
        LocalResult::Ambiguous(..)
    )
}

/// The UK time of an instant: "16:26", or "01:30 BST" / "01:30 GMT" in the repeated hour.
pub fn time(t: DateTime<Utc>) -> String {
    let local = t.with_timezone(&London);
    if is_ambiguous(t) {
        local.format("%H:%M %Z").to_string()
    } else {
        local.format("%H:%M").to_string()
    }
}

/// The UK calendar date of an instant.
pub fn local_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&London).date_naive()
}

/// An instant in running text: "7 December 2026 at 16:26".
pub fn date_time_long(t: DateTime<Utc>) -> String {
    format!("{} at {}", date_long(local_date(t)), time(t))
}

/// An instant in a table: "7 Dec 2026 16:26".
pub fn date_time_short(t: DateTime<Utc>) -> String {
    format!("{} {}", date_short(local_date(t)), time(t))
}

/// Milliseconds since the epoch as an instant; `None` outside chrono's range.
pub fn from_millis(ms: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
}

/// Why a typed date was refused. [`DateInputError::message`] words it for one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateInputError {
    /// Nothing was typed.
    Empty,
    /// The year has two digits ("20/12/75"): which century is meant cannot be guessed safely.
    TwoDigitYear,
    /// Not a date in any accepted form, or a day that does not exist (31/02/1990).
    NotADate,
}

impl DateInputError {
    /// The message for the field called `label` ("date of birth"), in the form GOV.UK and NHS.UK use.
    pub fn message(self, label: &str) -> String {
        match self {
            DateInputError::Empty => format!("Enter the {label}"),
            DateInputError::TwoDigitYear => format!(
                "Enter the year of the {label} in full, with 4 digits, for example 20/12/1975"
            ),
            DateInputError::NotADate => format!(
                "The {label} must be a real date, for example 20/12/1975, 20-12-1975 or 1975-12-20"
            ),
        }
    }
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// "20 December 1975" or "20 Dec 1975", as pages write dates (so a date copied from a page can be typed back).
fn parse_written(s: &str) -> Result<NaiveDate, DateInputError> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [day, month, year] = parts[..] else {
        return Err(DateInputError::NotADate);
    };
    let month = month.trim_end_matches('.').to_lowercase();
    let m = MONTHS
        .iter()
        .position(|name| *name == month || (month.len() >= 3 && name.starts_with(month.as_str())))
        .ok_or(DateInputError::NotADate)?;
    if !day.bytes().all(|b| b.is_ascii_digit()) || day.is_empty() || day.len() > 2 {
        return Err(DateInputError::NotADate);
    }
    if !year.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DateInputError::NotADate);
    }
    match year.len() {
        4 => {}
        1 | 2 => return Err(DateInputError::TwoDigitYear),
        _ => return Err(DateInputError::NotADate),
    }
    let (Ok(y), Ok(d)) = (year.parse(), day.parse()) else {
        return Err(DateInputError::NotADate);
    };
    NaiveDate::from_ymd_opt(y, m as u32 + 1, d).ok_or(DateInputError::NotADate)
}

/// Reads a date as people type it: day, month and year as "20/12/1975" or "20-12-1975" (one or two
/// digits for the day and month), "1975-12-20", or written as pages show it ("20 December 1975",
/// "20 Dec 1975"). A year must have four digits: "20/12/75" is refused rather than guessed.
pub fn parse_date(input: &str) -> Result<NaiveDate, DateInputError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(DateInputError::Empty);
    }
    if s.bytes().any(|b| b.is_ascii_alphabetic()) && !s.contains('/') && !s.contains('-') {
        return parse_written(s);
    }
    let sep = if s.contains('/') { '/' } else { '-' };
    let parts: Vec<&str> = s.split(sep).map(str::trim).collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(DateInputError::NotADate);
    }
    let (year, month, day) = if parts[0].len() == 4 {
        (parts[0], parts[1], parts[2])
    } else {
        (parts[2], parts[1], parts[0])
    };
    if day.len() > 2 || month.len() > 2 {
        return Err(DateInputError::NotADate);
    }
    match year.len() {
        4 => {}
        1 | 2 => return Err(DateInputError::TwoDigitYear),
        _ => return Err(DateInputError::NotADate),
    }
    let (Ok(y), Ok(m), Ok(d)) = (year.parse(), month.parse(), day.parse()) else {
        return Err(DateInputError::NotADate);
    };
    NaiveDate::from_ymd_opt(y, m, d).ok_or(DateInputError::NotADate)
}

/// The age in whole years on `today` of someone born on `born`.
pub fn age_on(born: NaiveDate, today: NaiveDate) -> i32 {
    let mut age = today.year() - born.year();
    if (today.month(), today.day()) < (born.month(), born.day()) {
        age -= 1;
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn dates_in_text_and_in_tables() {
        assert_eq!(date_long(ymd(2026, 12, 7)), "7 December 2026");
        assert_eq!(date_short(ymd(1975, 12, 20)), "20 Dec 1975");
        assert_eq!(date_short(ymd(2001, 9, 1)), "1 Sep 2001");
    }

    #[test]
    fn times_are_local_without_a_zone_in_winter_and_summer() {
        // GMT: UTC and London agree.
        assert_eq!(time(utc("2026-12-07T16:26:00Z")), "16:26");
        assert_eq!(
            date_time_long(utc("2026-12-07T16:26:59Z")),
            "7 December 2026 at 16:26"
        );
        // BST: London is an hour ahead, and the date can move with it.
        assert_eq!(time(utc("2025-06-01T15:26:00Z")), "16:26");
        assert_eq!(
            date_time_short(utc("2025-05-31T23:30:00Z")),
            "1 Jun 2025 00:30"
        );
        // The clocks went forward at 01:00 GMT on 30 March 2025: 00:59 GMT, then 02:00 BST.
        assert_eq!(time(utc("2025-03-30T00:59:00Z")), "00:59");
        assert_eq!(time(utc("2025-03-30T01:00:00Z")), "02:00");
    }

    #[test]
    fn the_repeated_hour_names_its_zone() {
        // The clocks went back at 02:00 BST (01:00 UTC) on 26 October 2025: 01:00-01:59 happened twice.
        let first = utc("2025-10-26T00:30:00Z");
        let second = utc("2025-10-26T01:30:00Z");
        assert!(is_ambiguous(first) && is_ambiguous(second));
        assert_eq!(time(first), "01:30 BST");
        assert_eq!(time(second), "01:30 GMT");
        assert_eq!(date_time_long(second), "26 October 2025 at 01:30 GMT");
        // Either side of the repeated hour the time alone is enough.
        assert_eq!(time(utc("2025-10-25T23:59:00Z")), "00:59");
        assert!(!is_ambiguous(utc("2025-10-26T02:00:00Z")));
        assert_eq!(time(utc("2025-10-26T02:00:00Z")), "02:00");
    }

    #[test]
    fn dates_of_birth_in_the_forms_people_type() {
        let want = Ok(ymd(1975, 12, 20));
        assert_eq!(parse_date("20/12/1975"), want);
        assert_eq!(parse_date("20-12-1975"), want);
        assert_eq!(parse_date("1975-12-20"), want);
        assert_eq!(parse_date(" 20 / 12 / 1975 "), want);
        assert_eq!(parse_date("1/2/1990"), Ok(ymd(1990, 2, 1)));
        // As pages write them, so a date copied from a page can be typed back.
        assert_eq!(parse_date("20 December 1975"), want);
        assert_eq!(parse_date("20 Dec 1975"), want);
        assert_eq!(parse_date("1 sept 2001"), Ok(ymd(2001, 9, 1)));
        assert_eq!(parse_date(&date_long(ymd(1983, 8, 9))), Ok(ymd(1983, 8, 9)));
    }

    #[test]
    fn two_digit_years_are_refused_not_guessed() {
        assert_eq!(parse_date("20/12/75"), Err(DateInputError::TwoDigitYear));
        assert_eq!(parse_date("20-12-75"), Err(DateInputError::TwoDigitYear));
        assert_eq!(parse_date("1/1/5"), Err(DateInputError::TwoDigitYear));
        assert_eq!(parse_date("20 Dec 75"), Err(DateInputError::TwoDigitYear));
        let m = DateInputError::TwoDigitYear.message("date of birth");
        assert!(m.contains("date of birth") && m.contains("4 digits"), "{m}");
    }

    #[test]
    fn other_shapes_and_impossible_days_are_refused() {
        for bad in [
            "31/02/1990",
            "1975-13-01",
            "20.12.1975",
            "20/12",
            "20/12/1975/1",
            "twenty/12/1975",
            "20/12/19751",
            "123/12/1975",
            "1975-12-20T10:00",
            "20 Decembre 1975",
            "31 February 1990",
            "December 20 1975",
            "20 De 1975",
        ] {
            assert_eq!(parse_date(bad), Err(DateInputError::NotADate), "{bad}");
        }
        assert_eq!(parse_date("  "), Err(DateInputError::Empty));
        assert!(
            DateInputError::NotADate
                .message("date of birth")
                .starts_with("The date of birth")
        );
    }

    #[test]
    fn ages() {
        assert_eq!(age_on(ymd(2010, 6, 15), ymd(2026, 6, 14)), 15);
        assert_eq!(age_on(ymd(2010, 6, 15), ymd(2026, 6, 15)), 16);
    }
}
