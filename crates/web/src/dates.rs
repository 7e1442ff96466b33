//! Dates and times on pages: a thin layer over `concordat_domain::dates`, which holds the rules
//! ("7 December 2026" in text, "20 Dec 1975" in tables, "16:26" in UK time with the zone only in the
//! repeated hour). Handlers call the functions here; templates use the filters in [`filters`]
//! (`{{ d|date_long }}`, `{{ d|date_short }}`), brought into a page module with `use crate::dates::filters;`.

use chrono::{DateTime, Utc};
use concordat_domain::dates as d;

/// An instant (milliseconds since the epoch) in a table: "7 Dec 2026 16:26".
pub fn ms_short(ms: i64) -> String {
    d::from_millis(ms)
        .map(d::date_time_short)
        .unwrap_or_default()
}

/// An instant (milliseconds since the epoch) in running text: "7 December 2026 at 16:26".
pub fn ms_long(ms: i64) -> String {
    d::from_millis(ms)
        .map(d::date_time_long)
        .unwrap_or_default()
}

/// An instant in a table: "7 Dec 2026 16:26".
pub fn short(t: DateTime<Utc>) -> String {
    d::date_time_short(t)
}

/// An instant in running text: "7 December 2026 at 16:26".
pub fn long(t: DateTime<Utc>) -> String {
    d::date_time_long(t)
}

/// Askama filters for the dates templates hold as `NaiveDate`, or as `YYYY-MM-DD` text as the store
/// keeps them; anything else is shown as it is.
pub mod filters {
    use chrono::NaiveDate;
    use concordat_domain::dates as d;
    use std::fmt::Display;

    fn as_date(value: &impl Display) -> Result<NaiveDate, String> {
        let s = value.to_string();
        NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|_| s)
    }

    /// `{{ date|date_long }}`: "7 December 2026".
    #[askama::filter_fn]
    pub fn date_long(value: impl Display, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(as_date(&value).map_or_else(|s| s, d::date_long))
    }

    /// `{{ date|date_short }}`: "20 Dec 1975".
    #[askama::filter_fn]
    pub fn date_short(value: impl Display, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(as_date(&value).map_or_else(|s| s, d::date_short))
    }
}
