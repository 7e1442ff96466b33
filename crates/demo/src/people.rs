//! The pool of people who may come into crisis, and how often.
//!
//! Residents are a count per cell; only this pool gets names, and only pool members who appear in the activity
//! (plus any extra people asked for) become [`Person`] records.
//! Each pool member has a tier that sets how often they are in contact, and windows of months when they are
//! going through a hard time, which gives the heavy tail of repeat contact seen in real services.

use crate::geo::Geography;
use crate::model::{Person, Sex};
use crate::names::{FAMILY, GIVEN_FEMALE, GIVEN_MALE};
use crate::sample::{Cumulative, DemoRng, chance, lognormal, normal, pick, weighted};
use chrono::{Duration, Months, NaiveDate};
use concordat_domain::NhsNumber;
use rand::Rng;

/// How often someone is in contact with crisis services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tier {
    /// A few people in long hard periods: dozens of contacts a year (the NHS High Intensity Use group).
    Frequent,
    /// Repeat contact: a handful a year while unwell.
    Repeat,
    /// Most people: one short crisis, one or two contacts.
    Occasional,
}

pub(crate) struct PoolPerson {
    pub sex: Sex,
    pub given: &'static str,
    pub family: &'static str,
    pub date_of_birth: NaiveDate,
    pub nbh: usize,
    pub unit: usize,
    pub house_number: u32,
    /// Typical severity of this person's crises, 0..1; it raises the chance of detention and admission.
    pub severity: f64,
}

/// Age bands (years at the start of the period) and their weights among people in crisis contact.
const AGE_BANDS: &[(u32, u32, f64)] = &[
    (13, 17, 5.0),
    (18, 24, 18.0),
    (25, 34, 24.0),
    (35, 44, 20.0),
    (45, 54, 15.0),
    (55, 64, 9.0),
    (65, 79, 6.0),
    (80, 94, 3.0),
];

fn date_of_birth(rng: &mut DemoRng, start: NaiveDate, age: u32) -> NaiveDate {
    let birthday = start - Months::new(12 * age);
    birthday - Duration::days(rng.random_range(0..365))
}

fn random_person(
    rng: &mut DemoRng,
    geo: &Geography,
    home: &Cumulative,
    start: NaiveDate,
    tier: Tier,
) -> PoolPerson {
    let sex = if chance(rng, 0.5) {
        Sex::Female
    } else {
        Sex::Male
    };
    let given = match sex {
        Sex::Female => pick(rng, GIVEN_FEMALE),
        Sex::Male => pick(rng, GIVEN_MALE),
    };
    let family = pick(rng, FAMILY);
    let band = AGE_BANDS[weighted(rng, &AGE_BANDS.iter().map(|b| b.2).collect::<Vec<_>>())];
    let age = rng.random_range(band.0..=band.1);
    let nbh = home.draw(rng).unwrap_or(0);
    let units = geo.units.get(nbh).map_or(1, |u| u.len().max(1));
    let (centre, spread) = match tier {
        Tier::Frequent => (0.55, 0.12),
        Tier::Repeat => (0.45, 0.15),
        Tier::Occasional => (0.35, 0.18),
    };
    PoolPerson {
        sex,
        given,
        family,
        date_of_birth: date_of_birth(rng, start, age),
        nbh,
        unit: rng.random_range(0..units),
        house_number: rng.random_range(1..=140),
        severity: (centre + spread * normal(rng)).clamp(0.02, 0.98),
    }
}

/// Relative weight of each neighbourhood as a home of people in crisis: population, raised by deprivation.
pub(crate) fn home_weights(geo: &Geography) -> Cumulative {
    Cumulative::new(
        geo.neighbourhoods
            .iter()
            .map(|n| f64::from(n.population) * (1.7 - 0.11 * f64::from(n.deprivation_decile))),
    )
}

/// The pool and, for each month of the period, a table to draw the person behind a contact.
pub(crate) struct Pool {
    pub people: Vec<PoolPerson>,
    pub monthly: Vec<Cumulative>,
}

pub(crate) fn build_pool(
    rng: &mut DemoRng,
    geo: &Geography,
    residents: u32,
    start: NaiveDate,
    months: u32,
) -> Pool {
    let size = (residents / 50).max(200) as usize;
    let frequent = (size / 200).max(4);
    let repeat = size * 8 / 100;
    let home = home_weights(geo);
    let months_i = i64::from(months);
    let mut people = Vec::with_capacity(size);
    // Weight of each person in each month: relative chance that a linked contact is theirs.
    let mut weights: Vec<Vec<f64>> = Vec::with_capacity(size);
    for i in 0..size {
        let tier = if i < frequent {
            Tier::Frequent
        } else if i < frequent + repeat {
            Tier::Repeat
        } else {
            Tier::Occasional
        };
        people.push(random_person(rng, geo, &home, start, tier));
        let (active, quiet, min_len, max_len, burst) = match tier {
            Tier::Frequent => (26.0 * lognormal(rng, 1.0, 0.4), 1.2, 9, 30, 0.5),
            Tier::Repeat => (6.0 * lognormal(rng, 1.0, 0.4), 0.6, 4, 18, 0.3),
            Tier::Occasional => (4.0, 0.0, 1, 3, 0.0),
        };
        let len = rng.random_range(min_len..=max_len);
        let from = rng.random_range(-(max_len / 2)..months_i.max(1));
        let row = (0..months_i)
            .map(|m| {
                if m >= from && m < from + len {
                    active * lognormal(rng, 1.0, burst)
                } else {
                    quiet
                }
            })
            .collect();
        weights.push(row);
    }
    let monthly = (0..months as usize)
        .map(|m| Cumulative::new(weights.iter().map(|w| w.get(m).copied().unwrap_or(0.0))))
        .collect();
    Pool { people, monthly }
}

/// Reserved drama numbers (Ofcom): 1,000 mobile numbers and 1,000 in the fictional 01632 area.
fn phone_numbers(rng: &mut DemoRng) -> Vec<String> {
    let mut numbers: Vec<String> = (0..1000)
        .map(|n| format!("07700 900{n:03}"))
        .chain((0..1000).map(|n| format!("01632 960{n:03}")))
        .collect();
    for i in (1..numbers.len()).rev() {
        let j = rng.random_range(0..=i);
        numbers.swap(i, j);
    }
    numbers
}

/// Successive valid NHS numbers from the 999 range reserved for testing.
pub(crate) struct NhsNumbers {
    next: u32,
}

impl NhsNumbers {
    pub(crate) fn new() -> Self {
        Self { next: 999_000_000 }
    }

    pub(crate) fn next_number(&mut self) -> Option<NhsNumber> {
        while self.next <= 999_999_999 {
            let stem = self.next;
            self.next += 1;
            if let Some(n) = NhsNumber::from_stem(stem) {
                return Some(n);
            }
        }
        None
    }
}

fn email_for(rng: &mut DemoRng, given: &str, family: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .filter(char::is_ascii_alphabetic)
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    format!(
        "{}.{}{}@example.org",
        clean(given),
        clean(family),
        rng.random_range(1..100u32)
    )
}

/// Turns the pool members who were in contact (in pool order), then `extra` people with no activity,
/// into person records with keys "P000001", "P000002", …
/// Returns the records and, for each pool member, their key if they have one.
pub(crate) fn realise(
    rng: &mut DemoRng,
    geo: &Geography,
    pool: &Pool,
    used: &[bool],
    extra: u32,
    start: NaiveDate,
) -> (Vec<Person>, Vec<Option<String>>) {
    let mut phones = phone_numbers(rng).into_iter();
    let mut nhs = NhsNumbers::new();
    let mut people = Vec::new();
    let mut keys = vec![None; pool.people.len()];
    let home = home_weights(geo);
    let extras: Vec<PoolPerson> = (0..extra)
        .map(|_| random_person(rng, geo, &home, start, Tier::Occasional))
        .collect();
    let chosen = pool
        .people
        .iter()
        .enumerate()
        .filter(|(i, _)| used.get(*i).copied().unwrap_or(false))
        .map(|(i, p)| (Some(i), p))
        .chain(extras.iter().map(|p| (None, p)));
    for (pool_index, p) in chosen {
        let key = format!("P{:06}", people.len() + 1);
        let Some(unit) = geo
            .units
            .get(p.nbh)
            .and_then(|u| u.get(p.unit).or_else(|| u.first()))
        else {
            continue;
        };
        // Real records lack an NHS number now and then (people new to the area, unregistered, not yet traced).
        let nhs_number = if chance(rng, 0.93) {
            nhs.next_number()
        } else {
            None
        };
        let phone = if chance(rng, 0.75) {
            phones.next()
        } else {
            None
        };
        let email = if chance(rng, 0.45) {
            Some(email_for(rng, p.given, p.family))
        } else {
            None
        };
        people.push(Person {
            key: key.clone(),
            given_name: p.given.to_string(),
            family_name: p.family.to_string(),
            sex: p.sex,
            date_of_birth: p.date_of_birth,
            nhs_number,
            address_line: format!("{} {}", p.house_number, unit.street),
            postcode: unit.postcode.clone(),
            neighbourhood: geo
                .neighbourhoods
                .get(p.nbh)
                .map(|n| n.code.clone())
                .unwrap_or_default(),
            phone,
            email,
        });
        if let Some(i) = pool_index {
            keys[i] = Some(key);
        }
    }
    (people, keys)
}
