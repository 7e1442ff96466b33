//! Figures measured from a generated region: what the documentation quotes and the tests check.

use crate::DemoRegion;
use crate::calendar::to_local;
use crate::model::{Outcome, Setting};
use chrono::{Datelike, Timelike};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Summary figures for a generated region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionSummary {
    /// Crisis contacts in the whole period.
    pub contacts: usize,
    /// Contacts in each year of the period.
    pub contacts_per_year: Vec<usize>,
    /// Person records.
    pub people: usize,
    /// Share of contacts linked to a known person.
    pub linked_share: f64,
    /// s136 detentions per month before the street triage service started.
    pub s136_per_month_before: f64,
    /// s136 detentions per month after it started.
    pub s136_per_month_after: f64,
    /// s136 detentions per 100 contacts in public places (where s136 can be used) before.
    pub s136_per_100_public_before: f64,
    /// The same, after.
    pub s136_per_100_public_after: f64,
    /// Share of contacts after the start handled by the street triage service.
    pub triage_share_after: f64,
    /// People with more than 20 contacts in some calendar year or more than 5 in some calendar month
    /// (the NHS High Intensity Use thresholds, applied to crisis contacts).
    pub high_intensity_people: usize,
    /// Most contacts any one person had in one calendar year.
    pub max_contacts_in_a_year: usize,
    /// Share of linked contacts that belong to the top 1% of people by contact count.
    pub top_1pct_share: f64,
    /// Local hour-of-week with most contacts (0 = Monday 00:00-00:59).
    pub peak_hour_of_week: u32,
    /// Contacts per hour in Friday and Saturday nights (20:00-04:00) divided by weekday daytime (08:00-16:00).
    pub weekend_night_to_weekday_day: f64,
    /// Share of contacts in the busiest 5% of grid cells.
    pub busiest_5pct_cells_share: f64,
    /// s136 and s135 episodes.
    pub episodes: usize,
    /// Episodes whose first place was A&E.
    pub episodes_ae_first: usize,
    /// Episodes with more than one place (transfers).
    pub episodes_with_transfer: usize,
    /// Episodes with an extension.
    pub episodes_extended: usize,
    /// Episodes with a police station stay.
    pub episodes_police_station: usize,
    /// Crisis plans.
    pub crisis_plans: usize,
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

/// Measures a region.
pub fn summarise(region: &DemoRegion) -> RegionSummary {
    let params = &region.params;
    let mut per_year = vec![0usize; params.years as usize];
    let (mut s136_before, mut s136_after) = (0usize, 0usize);
    let (mut public_before, mut public_after) = (0usize, 0usize);
    let (mut s136_public_before, mut s136_public_after) = (0usize, 0usize);
    let (mut after, mut triage_after) = (0usize, 0usize);
    let mut per_person_year: BTreeMap<(&str, i32), usize> = BTreeMap::new();
    let mut per_person_month: BTreeMap<(&str, i32, u32), usize> = BTreeMap::new();
    let mut per_person: BTreeMap<&str, usize> = BTreeMap::new();
    let mut how = [0usize; 168];
    let mut per_cell: BTreeMap<(u8, u8), usize> = BTreeMap::new();
    let mut linked = 0usize;
    for c in &region.contacts {
        let local = to_local(c.call_at);
        let date = local.date();
        let year_index = months_until(params.start, date) / 12;
        if let Some(y) = per_year.get_mut(year_index as usize) {
            *y += 1;
        }
        let is_after = date >= params.triage_start;
        let s136 = c.outcome == Outcome::Section136;
        let public = c.setting != Setting::PrivatePremises
            && c.agencies.iter().any(|a| a == crate::orgs::POLICE);
        if is_after {
            after += 1;
            triage_after += usize::from(c.street_triage);
            s136_after += usize::from(s136);
            public_after += usize::from(public);
            s136_public_after += usize::from(s136 && public);
        } else {
            s136_before += usize::from(s136);
            public_before += usize::from(public);
            s136_public_before += usize::from(s136 && public);
        }
        if let Some(p) = c.person.as_deref() {
            linked += 1;
            *per_person_year.entry((p, date.year())).or_default() += 1;
            *per_person_month
                .entry((p, date.year(), date.month()))
                .or_default() += 1;
            *per_person.entry(p).or_default() += 1;
        }
        let h = local.weekday().num_days_from_monday() * 24 + local.hour();
        how[h as usize] += 1;
        *per_cell.entry((c.cell_x(), c.cell_y())).or_default() += 1;
    }
    let months_before = months_until(params.start, params.triage_start.min(params.end()));
    let months_after = params.months().saturating_sub(months_before);
    let mut hiu: Vec<&str> = per_person_year
        .iter()
        .filter(|(_, n)| **n > 20)
        .map(|((p, _), _)| *p)
        .chain(
            per_person_month
                .iter()
                .filter(|(_, n)| **n > 5)
                .map(|((p, _, _), _)| *p),
        )
        .collect();
    hiu.sort_unstable();
    hiu.dedup();
    let mut counts: Vec<usize> = per_person.values().copied().collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let top = counts.len().div_ceil(100);
    let top_share = ratio(counts.iter().take(top).sum::<usize>() as f64, linked as f64);
    let peak = how
        .iter()
        .enumerate()
        .max_by_key(|(i, n)| (**n, usize::MAX - i))
        .map_or(0, |(i, _)| i as u32);
    let mean_of = |hours: &dyn Fn(u32, u32) -> bool| {
        let mut total = 0usize;
        let mut n = 0usize;
        for d in 0..7 {
            for h in 0..24 {
                if hours(d, h) {
                    total += how[(d * 24 + h) as usize];
                    n += 1;
                }
            }
        }
        ratio(total as f64, n as f64)
    };
    let weekend_night =
        mean_of(&|d, h| (matches!(d, 4 | 5) && h >= 20) || (matches!(d, 5 | 6) && h < 4));
    let weekday_day = mean_of(&|d, h| d < 5 && (8..16).contains(&h));
    let mut cells: Vec<usize> = per_cell.values().copied().collect();
    cells.sort_unstable_by(|a, b| b.cmp(a));
    let busiest = cells.iter().take(region.cells.len() / 20).sum::<usize>();
    let episodes = &region.episodes;
    RegionSummary {
        contacts: region.contacts.len(),
        contacts_per_year: per_year,
        people: region.people.len(),
        linked_share: ratio(linked as f64, region.contacts.len() as f64),
        s136_per_month_before: ratio(s136_before as f64, f64::from(months_before)),
        s136_per_month_after: ratio(s136_after as f64, f64::from(months_after)),
        s136_per_100_public_before: 100.0 * ratio(s136_public_before as f64, public_before as f64),
        s136_per_100_public_after: 100.0 * ratio(s136_public_after as f64, public_after as f64),
        triage_share_after: ratio(triage_after as f64, after as f64),
        high_intensity_people: hiu.len(),
        max_contacts_in_a_year: per_person_year.values().copied().max().unwrap_or(0),
        top_1pct_share: top_share,
        peak_hour_of_week: peak,
        weekend_night_to_weekday_day: ratio(weekend_night, weekday_day),
        busiest_5pct_cells_share: ratio(busiest as f64, region.contacts.len() as f64),
        episodes: episodes.len(),
        episodes_ae_first: episodes
            .iter()
            .filter(|e| {
                e.stays
                    .first()
                    .is_some_and(|s| s.kind == crate::model::PlaceKind::EmergencyDepartment)
            })
            .count(),
        episodes_with_transfer: episodes.iter().filter(|e| e.stays.len() > 1).count(),
        episodes_extended: episodes.iter().filter(|e| e.extension.is_some()).count(),
        episodes_police_station: episodes
            .iter()
            .filter(|e| e.police_station.is_some())
            .count(),
        crisis_plans: region.crisis_plans.len(),
    }
}

fn months_until(start: chrono::NaiveDate, date: chrono::NaiveDate) -> u32 {
    let m = (date.year() - start.year()) * 12 + date.month() as i32 - start.month() as i32;
    u32::try_from(m).unwrap_or(0)
}
