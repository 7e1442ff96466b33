//! CSV exports for the insight commands: one row per contact, and monthly counts.
//!
//! Both formats are versioned by their header row; add columns at the end, never rename or reorder.

use crate::DemoRegion;
use crate::calendar::{is_bst, to_local};
use crate::model::Outcome;
use chrono::Datelike;
use serde::{Deserialize, Serialize};
use std::io::{self, Write};

/// Header of the contacts CSV (version 1).
pub const CONTACTS_HEADER: &str = "key,time,time_utc,area,x,y,cell_x,cell_y,postcode_district,source,setting,response,outcome,s136,street_triage,person,police_minutes,conveyance";

/// Header of the monthly counts CSV (version 1).
pub const MONTHLY_HEADER: &str =
    "month,year,month_of_year,time,contacts,s136,s135,street_triage_contacts,triage,population";

/// Writes one row per contact, in time order.
///
/// `time` is the local clock time in England with its UTC offset (RFC 3339, e.g. "2024-07-05T21:15:00+01:00"),
/// because demand follows the clock people live by; `time_utc` is the same instant in UTC ("Z");
/// `area` is the neighbourhood code; `x` and `y` are metres east and north of the region's south-west corner
/// (like eastings and northings); `cell_x` and `cell_y` are the 1 km grid cell;
/// `s136` and `street_triage` are 0 or 1; `person` is empty when the person was not identified.
pub fn write_contacts_csv(region: &DemoRegion, mut out: impl Write) -> io::Result<()> {
    writeln!(out, "{CONTACTS_HEADER}")?;
    for c in &region.contacts {
        let local = to_local(c.call_at);
        let offset = if is_bst(c.call_at) {
            "+01:00"
        } else {
            "+00:00"
        };
        writeln!(
            out,
            "{},{}{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            c.key,
            local.format("%Y-%m-%dT%H:%M:%S"),
            offset,
            c.call_at.format("%Y-%m-%dT%H:%M:%SZ"),
            c.neighbourhood,
            c.x_m,
            c.y_m,
            c.cell_x(),
            c.cell_y(),
            c.postcode.district(),
            c.source.code(),
            c.setting.code(),
            c.response.code(),
            c.outcome.code(),
            u8::from(c.outcome == Outcome::Section136),
            u8::from(c.street_triage),
            c.person.as_deref().unwrap_or(""),
            c.police_minutes,
            c.conveyance.code(),
        )?;
    }
    Ok(())
}

/// Counts for one calendar month (local time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthCount {
    /// First day of the month, "YYYY-MM".
    pub month: String,
    /// Calendar year.
    pub year: i32,
    /// Month of the year, 1-12.
    pub month_of_year: u32,
    /// 1 for the first month of the period, then 2, 3, …
    pub time: u32,
    /// Crisis contacts.
    pub contacts: u32,
    /// Contacts that ended in detention under s136.
    pub s136: u32,
    /// Contacts that ended in removal under s135.
    pub s135: u32,
    /// Contacts handled by the street triage service.
    pub street_triage_contacts: u32,
    /// Whether the street triage service ran for the whole month (0 or 1).
    pub triage: u8,
    /// Resident population (the offset for rates).
    pub population: u32,
}

/// Contacts and detentions per calendar month of the period.
pub fn monthly_counts(region: &DemoRegion) -> Vec<MonthCount> {
    let params = &region.params;
    let mut months: Vec<MonthCount> = (0..params.months())
        .map(|i| {
            let total = params.start.month0() + i;
            let year = params.start.year() + (total / 12) as i32;
            let month_of_year = total % 12 + 1;
            let first = chrono::NaiveDate::from_ymd_opt(year, month_of_year, 1);
            MonthCount {
                month: format!("{year:04}-{month_of_year:02}"),
                year,
                month_of_year,
                time: i + 1,
                contacts: 0,
                s136: 0,
                s135: 0,
                street_triage_contacts: 0,
                triage: u8::from(first.is_some_and(|d| d >= params.triage_start)),
                population: params.residents,
            }
        })
        .collect();
    for c in &region.contacts {
        let local = to_local(c.call_at).date();
        let index = (local.year() - params.start.year()) * 12 + local.month0() as i32
            - params.start.month0() as i32;
        let Some(m) = usize::try_from(index).ok().and_then(|i| months.get_mut(i)) else {
            continue;
        };
        m.contacts += 1;
        m.s136 += u32::from(c.outcome == Outcome::Section136);
        m.s135 += u32::from(c.outcome == Outcome::Section135);
        m.street_triage_contacts += u32::from(c.street_triage);
    }
    months
}

/// Writes [`monthly_counts`] as CSV, one row per month.
pub fn write_monthly_csv(region: &DemoRegion, mut out: impl Write) -> io::Result<()> {
    writeln!(out, "{MONTHLY_HEADER}")?;
    for m in monthly_counts(region) {
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{}",
            m.month,
            m.year,
            m.month_of_year,
            m.time,
            m.contacts,
            m.s136,
            m.s135,
            m.street_triage_contacts,
            m.triage,
            m.population
        )?;
    }
    Ok(())
}
