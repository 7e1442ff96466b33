//! A deterministic, entirely synthetic demo region for Concordat.
//!
//! **Everything this crate produces is invented.**
//! The region ("Northvale", "Easterby" and "Harrow Vale") does not exist; its organisations, staff and people
//! are made up; postcodes use the area letters ZZ, which no real UK postcode uses; NHS numbers come from the
//! 999 range reserved for testing; phone numbers come from Ofcom's ranges reserved for drama; email addresses
//! use example.org.
//! Names are common English names combined at random, so any resemblance to a real person is chance.
//! The figures (contact rates, the effect of street triage) are plausible by design but are not data about
//! any real service and must never be quoted as evidence.
//!
//! [`generate`] turns [`DemoParams`] into a [`DemoRegion`]: plain, owned, serde-serialisable records with stable
//! string keys, which the store loads for `concordat demo`, tests and benchmarks.
//! The same parameters always give the same region, byte for byte.
//!
//! - [`live_activity`] adds detentions in progress at a given instant, for the coordinators' live board.
//! - [`write_contacts_csv`] and [`write_monthly_csv`] export what `concordat insight` reads.
//! - [`summarise`] measures a region: the figures `docs/demo-data.md` quotes and the tests check.
//! - [`hour_of_week_factor`] is the built-in weekly demand shape, for checking forecasts.
//!
//! The generating process, its parameters and the effects built into it (including a street triage service that
//! cuts s136 detentions by about 45% among comparable contacts) are described in `docs/demo-data.md`.

mod calendar;
mod contacts;
mod csv;
mod episodes;
mod geo;
mod live;
pub mod model;
mod names;
mod orgs;
mod people;
mod plans;
mod sample;
mod stats;
#[cfg(test)]
mod tests;

pub use contacts::hour_of_week_factor;
pub use csv::{
    CONTACTS_HEADER, MONTHLY_HEADER, MonthCount, monthly_counts, write_contacts_csv,
    write_monthly_csv,
};
pub use geo::GRID_KM;
pub use live::{LiveActivity, live_activity};
pub use model::*;
pub use stats::{RegionSummary, summarise};

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use sample::stage_rng;
use serde::{Deserialize, Serialize};

/// What to generate.
///
/// `DemoParams::default()` is a fixed region (2023 to 2025), for tests and the figures in `docs/demo-data.md`.
/// `concordat demo` loads `DemoParams::default().ending_on(today)`: the same seed and shape, with every date moved so
/// that the history ends on the day it is generated, whatever day that is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemoParams {
    /// Seed: the same seed and parameters give the same region.
    pub seed: u64,
    /// Resident population of the region (a count per grid cell; only people in contact get records).
    pub residents: u32,
    /// Whole years of activity from `start` (with `until`, the whole years before the month `until` falls in).
    pub years: u32,
    /// First day of activity (local time, Europe/London).
    pub start: NaiveDate,
    /// First day the street triage service runs.
    /// Put it after the end of the period for a region without the service.
    pub triage_start: NaiveDate,
    /// Crisis contacts per 1,000 residents per year at the start of the period.
    pub contacts_per_1000_residents: f64,
    /// Growth in the contact rate per year (0.04 = 4% a year).
    pub annual_growth: f64,
    /// People with no activity to add after those in contact (for lookup benchmarks at scale).
    pub extra_people: u32,
    /// The day the history ends (exclusive: activity runs up to local midnight at its start), normally the day the
    /// demo is generated; `None` for whole years from `start`. Set it with [`DemoParams::ending_on`].
    #[serde(default)]
    pub until: Option<NaiveDate>,
}

impl Default for DemoParams {
    fn default() -> Self {
        Self {
            seed: 20_171_211,
            residents: 250_000,
            years: 3,
            start: NaiveDate::from_ymd_opt(2023, 1, 1).unwrap_or_default(),
            // Month 19 of 36: eighteen months before and eighteen after.
            triage_start: NaiveDate::from_ymd_opt(2024, 7, 1).unwrap_or_default(),
            contacts_per_1000_residents: 16.0,
            annual_growth: 0.04,
            extra_people: 0,
            until: None,
        }
    }
}

impl DemoParams {
    /// The same region with its dates moved so that the history ends on `today` (at local midnight at its start).
    ///
    /// Activity starts on the first day of the month `years` whole years before `today`'s month, so the history is
    /// `years` whole years plus the days of the current month before `today`; the street triage service starts
    /// halfway through the whole years (18 months before the current month for three years).
    /// The same parameters on the same day always give the same region.
    pub fn ending_on(self, today: NaiveDate) -> Self {
        let month = today.with_day(1).unwrap_or(today);
        let whole = self.years.saturating_mul(12);
        let start = month
            .checked_sub_months(Months::new(whole))
            .unwrap_or(month);
        let triage_start = month
            .checked_sub_months(Months::new(whole / 2))
            .unwrap_or(month);
        Self {
            start,
            triage_start,
            until: Some(today),
            ..self
        }
    }

    /// The day after the last day of activity.
    pub fn end(&self) -> NaiveDate {
        self.until.unwrap_or_else(|| {
            self.start
                .checked_add_months(Months::new(self.years.saturating_mul(12)))
                .unwrap_or(self.start)
        })
    }

    /// Number of months with activity, counting a part month at the end.
    pub fn months(&self) -> u32 {
        let end = self.end();
        let whole = (end.year() - self.start.year()) * 12 + end.month() as i32
            - self.start.month() as i32
            - i32::from(end.day() < self.start.day());
        let whole = u32::try_from(whole).unwrap_or(0);
        let at_whole = self
            .start
            .checked_add_months(Months::new(whole))
            .unwrap_or(end);
        whole + u32::from(at_whole < end)
    }

    /// The instant at which to place the detentions in progress ([`live_activity`]) for a demo loaded at `now`:
    /// `now` itself during the day the history ends, otherwise noon that day, so the live board follows the history
    /// without a gap whatever day the region was generated for.
    pub fn live_instant(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self.until {
            None => now,
            Some(day) => {
                let first = calendar::local_midnight(day);
                let next = day.succ_opt().map_or(first, calendar::local_midnight);
                if first <= now && now < next {
                    now
                } else {
                    first + chrono::Duration::hours(12)
                }
            }
        }
    }
}

/// A generated region: everything the demo needs, as plain records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemoRegion {
    /// The parameters it was generated from.
    pub params: DemoParams,
    /// Neighbourhoods, each with a postcode district in the fictional area ZZ.
    pub neighbourhoods: Vec<Neighbourhood>,
    /// The 1 km grid ([`GRID_KM`] × [`GRID_KM`] cells), row by row from the south-west corner.
    pub cells: Vec<GridCell>,
    /// Organisations: at least one of every kind.
    pub organisations: Vec<Organisation>,
    /// Staff: at least one per role; one per role has `demo_login` set.
    pub staff: Vec<StaffMember>,
    /// Data sharing agreements between the organisations.
    pub sharing_agreements: Vec<SharingAgreement>,
    /// Places of safety, A&E departments, the custody suite, the crisis house and the safe haven café.
    pub places_of_safety: Vec<Place>,
    /// People who appear in the activity (and any extra people asked for).
    pub people: Vec<Person>,
    /// Crisis contacts in time order.
    pub contacts: Vec<Contact>,
    /// s136 and s135 episodes, one for each contact with that outcome.
    pub episodes: Vec<Episode>,
    /// Crisis plans for some of the people in contact (most of the frequent ones).
    pub crisis_plans: Vec<CrisisPlan>,
}

/// Generates the region described by `params`. Pure and deterministic.
pub fn generate(params: &DemoParams) -> DemoRegion {
    let seed = params.seed;
    let geo = geo::Geography::build(&mut stage_rng(seed, 1), params.residents);
    let organisations = orgs::organisations(&mut stage_rng(seed, 2), &geo);
    let places = orgs::places(&mut stage_rng(seed, 3), &geo);
    let pool = people::build_pool(
        &mut stage_rng(seed, 4),
        &geo,
        params.residents,
        params.start,
        params.months(),
    );
    let drafts = contacts::generate(&mut stage_rng(seed, 5), params, &geo, &pool, &places);
    let mut used = vec![false; pool.people.len()];
    for d in &drafts {
        if let Some(flag) = d.pool_index.and_then(|i| used.get_mut(i)) {
            *flag = true;
        }
    }
    let (people, keys) = people::realise(
        &mut stage_rng(seed, 6),
        &geo,
        &pool,
        &used,
        params.extra_people,
        params.start,
    );
    let contacts: Vec<Contact> = drafts
        .into_iter()
        .map(|d| {
            let mut c = d.contact;
            c.person = d.pool_index.and_then(|i| keys.get(i).cloned().flatten());
            c
        })
        .collect();
    let episodes = episodes::generate(
        &mut stage_rng(seed, 7),
        &contacts,
        &people,
        &places,
        &geo.neighbourhoods,
    );
    let crisis_plans = plans::generate(&mut stage_rng(seed, 8), params, &contacts, &people);
    DemoRegion {
        params: params.clone(),
        neighbourhoods: geo.neighbourhoods,
        cells: geo.cells,
        organisations,
        staff: orgs::staff(),
        sharing_agreements: orgs::sharing_agreements(params.start, params.end()),
        places_of_safety: places,
        people,
        contacts,
        episodes,
        crisis_plans,
    }
}
