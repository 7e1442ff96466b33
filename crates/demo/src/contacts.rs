//! Crisis contacts: an inhomogeneous Poisson process over the hours of the period, then, for each contact,
//! who, where, what happened and who responded.
//!
//! The street triage service changes only what happens after a contact starts (who responds and the outcome),
//! never how many contacts there are, so a before/after comparison of s136 detentions measures the service.

use crate::DemoParams;
use crate::calendar::{bank_holidays, local_midnight, to_local};
use crate::geo::{GRID_KM, Geography};
use crate::model::{
    Contact, ContactSource, Conveyance, Outcome, Place, PlaceKind, PoliceVehicleReason,
    PresentingNeed, ResponseType, Setting,
};
use crate::names::HOTSPOTS;
use crate::orgs::{
    AMBULANCE, CAFE_ORG, CRISIS_CLINICIANS, FIRE, NHS111, PARAMEDIC, POLICE, POLICE_RESPONDERS,
    TRIAGE_NURSES, TRUST, cafe_open,
};
use crate::people::{Pool, home_weights};
use crate::sample::{DemoRng, chance, lognormal, normal, pick, poisson, unit, weighted};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc, Weekday};
use concordat_domain::Postcode;
use rand::Rng;
use std::collections::BTreeSet;

/// Relative contact rate by local hour of day (before normalising), peaking late evening.
const HOUR_SHAPE: [f64; 24] = [
    1.35, 1.15, 0.95, 0.75, 0.55, 0.45, 0.45, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0, 1.05, 1.1,
    1.2, 1.3, 1.4, 1.5, 1.6, 1.6, 1.5,
];

fn day_shape(day: Weekday) -> f64 {
    match day {
        Weekday::Mon => 0.95,
        Weekday::Tue => 0.93,
        Weekday::Wed => 0.95,
        Weekday::Thu => 0.98,
        Weekday::Fri => 1.05,
        Weekday::Sat => 1.1,
        Weekday::Sun => 1.04,
    }
}

/// Friday and Saturday nights (20:00 to 04:00) are busier: the night-time economy.
fn weekend_night(day: Weekday, hour: u32) -> bool {
    (matches!(day, Weekday::Fri | Weekday::Sat) && hour >= 20)
        || (matches!(day, Weekday::Sat | Weekday::Sun) && hour < 4)
}

/// The built-in contact rate multiplier for a local day and hour (0-23), with mean 1 over the 168 hours of a week.
/// Forecasts of demo demand can be checked against it.
pub fn hour_of_week_factor(day: Weekday, hour: u32) -> f64 {
    let raw = |d: Weekday, h: u32| {
        let boost = if weekend_night(d, h) { 1.4 } else { 1.0 };
        HOUR_SHAPE[h as usize % 24] * day_shape(d) * boost
    };
    let mut total = 0.0;
    for d in 0..7 {
        for h in 0..24 {
            total += raw(weekday_from(d), h);
        }
    }
    raw(day, hour) / (total / 168.0)
}

fn weekday_from(d: u32) -> Weekday {
    match d {
        0 => Weekday::Mon,
        1 => Weekday::Tue,
        2 => Weekday::Wed,
        3 => Weekday::Thu,
        4 => Weekday::Fri,
        5 => Weekday::Sat,
        _ => Weekday::Sun,
    }
}

/// Mild annual cycle, peaking in July.
fn season(month: u32) -> f64 {
    1.0 + 0.08 * (std::f64::consts::TAU * (f64::from(month) - 7.0) / 12.0).cos()
}

/// How the street triage service took part in a contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Triage {
    None,
    Car,
    Phone,
    ControlRoom,
}

/// A contact with the pool index of its person, before people get keys.
pub(crate) struct Draft {
    pub contact: Contact,
    pub pool_index: Option<usize>,
}

struct Ctx<'a> {
    params: &'a DemoParams,
    geo: &'a Geography,
    pool: &'a Pool,
    cafe: Option<&'a Place>,
    holidays: BTreeSet<NaiveDate>,
    default_postcode: Postcode,
}

pub(crate) fn generate(
    rng: &mut DemoRng,
    params: &DemoParams,
    geo: &Geography,
    pool: &Pool,
    places: &[Place],
) -> Vec<Draft> {
    let start = local_midnight(params.start);
    let end = local_midnight(params.end());
    let holidays = (params.start.year()..=params.end().year())
        .flat_map(bank_holidays)
        .collect();
    // Every neighbourhood has units, so this only guards against an empty map.
    let Some(default_postcode) = geo
        .units
        .iter()
        .flatten()
        .next()
        .map(|u| u.postcode.clone())
    else {
        return Vec::new();
    };
    let ctx = Ctx {
        default_postcode,
        params,
        geo,
        pool,
        cafe: places.iter().find(|p| p.kind == PlaceKind::SafeHaven),
        holidays,
    };
    let per_hour =
        f64::from(params.residents) * params.contacts_per_1000_residents / 1000.0 / (365.25 * 24.0);
    let week: Vec<f64> = (0..168)
        .map(|i| hour_of_week_factor(weekday_from(i / 24), i % 24))
        .collect();
    let mut drafts = Vec::new();
    let mut hour = start;
    while hour < end {
        let local = to_local(hour);
        let years = (hour - start).num_hours() as f64 / (365.25 * 24.0);
        let holiday = if ctx.holidays.contains(&local.date()) {
            1.15
        } else {
            1.0
        };
        let rate = per_hour
            * week
                .get((local.weekday().num_days_from_monday() * 24 + local.hour()) as usize)
                .copied()
                .unwrap_or(1.0)
            * season(local.month())
            * (1.0 + params.annual_growth).powf(years)
            * holiday;
        let n = poisson(rng, rate);
        let mut seconds: Vec<i64> = (0..n).map(|_| rng.random_range(0..3600)).collect();
        seconds.sort_unstable();
        for s in seconds {
            let at = hour + Duration::seconds(s);
            let key = format!("C{:06}", drafts.len() + 1);
            drafts.push(one_contact(rng, &ctx, key, at));
        }
        hour += Duration::hours(1);
    }
    drafts
}

fn months_between(start: NaiveDate, date: NaiveDate) -> usize {
    let m = (date.year() - start.year()) * 12 + date.month() as i32 - start.month() as i32;
    usize::try_from(m).unwrap_or(0)
}

fn clamp_point(x: f64, y: f64) -> (u32, u32) {
    let max = f64::from(GRID_KM) * 1000.0 - 1.0;
    (x.clamp(0.0, max) as u32, y.clamp(0.0, max) as u32)
}

fn round5(minutes: f64) -> u32 {
    ((minutes / 5.0).round() * 5.0).max(5.0) as u32
}

fn one_contact(rng: &mut DemoRng, ctx: &Ctx, key: String, at: DateTime<Utc>) -> Draft {
    let params = ctx.params;
    let local = to_local(at);
    let (day, hour) = (local.weekday(), local.hour());
    let night = !(4..20).contains(&hour);
    let wknight = weekend_night(day, hour);
    let triage_on = local.date() >= params.triage_start;

    let pool_index = if chance(rng, 0.86) {
        ctx.pool
            .monthly
            .get(months_between(params.start, local.date()))
            .and_then(|t| t.draw(rng))
    } else {
        None
    };
    let person = pool_index.and_then(|i| ctx.pool.people.get(i));
    let age = person.map(|p| local.date().years_since(p.date_of_birth).unwrap_or(30));

    // A share of evening contacts are walk-ins at the safe haven café.
    let walk_in = ctx.cafe.is_some() && cafe_open(day, hour) && chance(rng, 0.12);
    let setting = if walk_in {
        Setting::Other
    } else {
        let street = 0.36 + if night { 0.12 } else { 0.0 } + if wknight { 0.05 } else { 0.0 };
        let private = 0.50 - if night { 0.08 } else { 0.0 };
        match weighted(rng, &[street, private, 0.14]) {
            0 => Setting::StreetOrPublicPlace,
            1 => Setting::PrivatePremises,
            _ => Setting::Other,
        }
    };

    // Where.
    let (x, y) = match (walk_in, setting, person) {
        (true, _, _) => ctx.cafe.map_or((10_000.0, 10_000.0), |c| {
            (f64::from(c.x_m), f64::from(c.y_m))
        }),
        (false, Setting::PrivatePremises, Some(p)) => {
            home_point(ctx.geo, p.nbh, p.unit).unwrap_or((10_000.0, 10_000.0))
        }
        (false, Setting::StreetOrPublicPlace, _)
            if chance(
                rng,
                0.45 + if night { 0.2 } else { 0.0 } + if wknight { 0.05 } else { 0.0 },
            ) =>
        {
            let h = HOTSPOTS[weighted(rng, &HOTSPOTS.iter().map(|h| h.3).collect::<Vec<_>>())];
            (
                (h.1 + 0.22 * normal(rng)) * 1000.0,
                (h.2 + 0.22 * normal(rng)) * 1000.0,
            )
        }
        (false, Setting::StreetOrPublicPlace, Some(p)) => {
            let (hx, hy) = home_point(ctx.geo, p.nbh, p.unit).unwrap_or((10_000.0, 10_000.0));
            (hx + 800.0 * normal(rng), hy + 800.0 * normal(rng))
        }
        _ => {
            let nbh = home_weights(ctx.geo).draw(rng).unwrap_or(0);
            let (ux, uy) = ctx
                .geo
                .random_unit(rng, nbh)
                .map_or((10_000.0, 10_000.0), |u| {
                    (f64::from(u.x_m), f64::from(u.y_m))
                });
            (ux + 150.0 * normal(rng), uy + 150.0 * normal(rng))
        }
    };
    let (x_m, y_m) = clamp_point(x, y);
    let nbh = ctx.geo.owner_of(x_m, y_m);
    let neighbourhood = ctx
        .geo
        .neighbourhoods
        .get(nbh)
        .map(|n| n.code.clone())
        .unwrap_or_default();
    let postcode = ctx
        .geo
        .nearest_unit(nbh, x_m, y_m)
        .map(|u| u.postcode.clone());

    // Who called and who responded.
    let mut source = if walk_in {
        ContactSource::WalkIn
    } else {
        match weighted(rng, &[42.0, 16.0, 8.0, 12.0]) {
            0 => ContactSource::Call999,
            1 => ContactSource::Call101,
            2 => ContactSource::ControlRoom,
            _ => ContactSource::Nhs111,
        }
    };
    let car_hours = !(2..14).contains(&hour);
    let control_room_hours = hour >= 8;
    let triage = if !triage_on || walk_in || source == ContactSource::Nhs111 {
        Triage::None
    } else if car_hours && chance(rng, 0.9) {
        if chance(rng, 0.74) {
            Triage::Car
        } else {
            Triage::Phone
        }
    } else if control_room_hours && chance(rng, 0.55) {
        Triage::ControlRoom
    } else {
        Triage::None
    };
    if triage == Triage::Phone && chance(rng, 0.7) {
        source = ContactSource::AdviceLine;
    }
    if triage == Triage::ControlRoom && chance(rng, 0.5) {
        source = ContactSource::ControlRoom;
    }
    let response = match triage {
        Triage::Phone => ResponseType::PhoneAdviceAtScene,
        Triage::ControlRoom => ResponseType::ControlRoomAdvice,
        _ => ResponseType::FaceToFace,
    };

    let police = !walk_in
        && match source {
            ContactSource::Call999 => chance(rng, 0.85),
            ContactSource::Nhs111 => chance(rng, 0.08),
            ContactSource::WalkIn => false,
            _ => true,
        };
    let ambulance = !walk_in
        && match source {
            ContactSource::Call999 => chance(rng, 0.45),
            ContactSource::Nhs111 => chance(rng, 0.35),
            _ => chance(rng, 0.1),
        };
    let mut agencies = Vec::new();
    if walk_in {
        agencies.push(CAFE_ORG.to_string());
    }
    if police {
        agencies.push(POLICE.to_string());
    }
    if ambulance {
        agencies.push(AMBULANCE.to_string());
    }
    if source == ContactSource::Nhs111 {
        agencies.push(NHS111.to_string());
    }
    if !walk_in && chance(rng, 0.015) {
        agencies.push(FIRE.to_string());
    }
    if triage != Triage::None || agencies.is_empty() || source == ContactSource::Nhs111 {
        agencies.push(TRUST.to_string());
    }

    // The person and what they presented with.
    let severity = (person.map_or(0.4, |p| p.severity) + 0.15 * normal(rng)).clamp(0.0, 1.0);
    let presenting_needs = needs(rng, severity, age.unwrap_or(35), wknight);
    let drink_or_drugs = presenting_needs
        .iter()
        .any(|n| matches!(n, PresentingNeed::Alcohol | PresentingNeed::Drugs));
    let injury = presenting_needs.contains(&PresentingNeed::PhysicalInjury)
        || presenting_needs.contains(&PresentingNeed::SelfHarm);

    let outcome = outcome(
        rng,
        &Situation {
            walk_in,
            setting,
            police,
            severity,
            injury,
            drink_or_drugs,
            triage,
            daytime: (8..18).contains(&hour),
        },
    );
    let physical_health_check = match triage {
        Triage::Car => chance(rng, 0.75),
        _ if ambulance => chance(rng, 0.65),
        _ => chance(rng, 0.08),
    };
    let (conveyance, conveyance_reason) = conveyance(rng, outcome, triage, police, ambulance);

    let arrived_at = if walk_in {
        Some(at)
    } else if source == ContactSource::Nhs111 && !police && !ambulance && chance(rng, 0.4) {
        None
    } else {
        let median = match source {
            ContactSource::Call999 => 18.0,
            ContactSource::Nhs111 => 80.0,
            _ => 35.0,
        };
        let minutes = lognormal(rng, median, 0.6).clamp(3.0, 300.0);
        Some(at + Duration::minutes(minutes as i64))
    };

    let police_minutes = if police {
        let handled = triage != Triage::None;
        let median = match outcome {
            Outcome::Section136 | Outcome::Section135 if handled => 150.0,
            Outcome::Section136 | Outcome::Section135 => 340.0,
            Outcome::Arrest => 240.0,
            Outcome::AeAttendance | Outcome::InformalAdmission if handled => 90.0,
            Outcome::AeAttendance | Outcome::InformalAdmission => 180.0,
            _ if handled => 50.0,
            _ => 95.0,
        };
        round5(lognormal(rng, median, 0.45))
    } else {
        0
    };

    let recorded_by = match triage {
        Triage::Car | Triage::Phone => TRIAGE_NURSES[0],
        Triage::ControlRoom => TRIAGE_NURSES[1],
        Triage::None if walk_in => "demo.cafe",
        Triage::None if source == ContactSource::Nhs111 => "demo.111",
        Triage::None if police => pick(rng, POLICE_RESPONDERS),
        Triage::None if ambulance => PARAMEDIC,
        Triage::None => pick(rng, CRISIS_CLINICIANS),
    }
    .to_string();

    let person_description = if person.is_none() {
        Some(describe_unknown(rng))
    } else {
        None
    };

    Draft {
        contact: Contact {
            key,
            call_at: at,
            arrived_at,
            source,
            setting,
            neighbourhood,
            postcode: postcode.unwrap_or_else(|| ctx.default_postcode.clone()),
            x_m,
            y_m,
            agencies,
            response,
            person: None,
            person_description,
            presenting_needs,
            physical_health_check,
            outcome,
            conveyance,
            conveyance_reason,
            police_minutes,
            street_triage: triage != Triage::None,
            recorded_by,
        },
        pool_index,
    }
}

fn home_point(geo: &Geography, nbh: usize, unit_index: usize) -> Option<(f64, f64)> {
    let u = geo.units.get(nbh)?.get(unit_index)?;
    Some((f64::from(u.x_m), f64::from(u.y_m)))
}

fn describe_unknown(rng: &mut DemoRng) -> String {
    let who = pick(rng, &["Woman", "Man", "Person"]);
    let age = rng.random_range(4..=14u32) * 5;
    let detail = pick(
        rng,
        &[
            "did not give a name",
            "too distressed to give details",
            "left before details were taken",
            "gave a first name only",
        ],
    );
    format!("{who} aged about {age}, {detail}")
}

fn needs(rng: &mut DemoRng, severity: f64, age: u32, wknight: bool) -> Vec<PresentingNeed> {
    use PresentingNeed::*;
    let table = [
        (SuicidalThoughts, 30.0),
        (SelfHarm, 18.0),
        (Psychosis, 6.0 + 20.0 * severity),
        (AcuteDistress, 30.0),
        (Alcohol, if wknight { 34.0 } else { 18.0 }),
        (Drugs, 10.0),
        (Confusion, if age >= 70 { 40.0 } else { 2.0 }),
        (WelfareConcern, 12.0),
        (PhysicalInjury, 6.0),
    ];
    let count = 1 + usize::from(chance(rng, 0.5)) + usize::from(chance(rng, 0.2));
    let mut out: Vec<PresentingNeed> = Vec::with_capacity(count);
    let mut weights: Vec<f64> = table.iter().map(|t| t.1).collect();
    for _ in 0..count {
        let i = weighted(rng, &weights);
        weights[i] = 0.0;
        out.push(table[i].0);
    }
    out.sort();
    out
}

/// What is known about a contact when its outcome is drawn.
#[derive(Clone, Copy)]
struct Situation {
    walk_in: bool,
    setting: Setting,
    police: bool,
    severity: f64,
    injury: bool,
    drink_or_drugs: bool,
    triage: Triage,
    /// 08:00 to 18:00 local time.
    daytime: bool,
}

/// Draws the main outcome. The street triage effect lives here and only here: when the service takes part,
/// detention under s136 and A&E attendance become less likely and referrals more likely, by the factors
/// documented in docs/demo-data.md.
fn outcome(rng: &mut DemoRng, situation: &Situation) -> Outcome {
    use Outcome::*;
    let Situation {
        walk_in,
        setting,
        police,
        severity,
        injury,
        drink_or_drugs,
        triage,
        daytime,
    } = *situation;
    if walk_in {
        let table = [
            (NoFurtherAction, 15.0),
            (Signposted, 30.0),
            (ReferredVcse, 25.0),
            (ReferredCrisisTeam, 20.0),
            (ReferredCommunityTeam, 5.0),
            (AeAttendance, 5.0),
        ];
        return table[weighted(rng, &table.iter().map(|t| t.1).collect::<Vec<_>>())].0;
    }
    let private = setting == Setting::PrivatePremises;
    let ae = if injury || drink_or_drugs { 1.6 } else { 1.0 };
    let mut table = vec![
        (NoFurtherAction, if private { 16.0 } else { 10.0 }),
        (Signposted, if private { 14.0 } else { 11.0 }),
        (ReferredCrisisTeam, if private { 17.0 } else { 13.0 }),
        (ReferredCommunityTeam, if private { 9.0 } else { 6.0 }),
        (ReferredGp, if private { 9.0 } else { 6.0 }),
        (ReferredVcse, if private { 6.0 } else { 5.0 }),
        (
            InformalAdmission,
            (if private { 4.0 } else { 3.0 }) * (0.5 + severity),
        ),
        (AeAttendance, (if private { 14.0 } else { 12.0 }) * ae),
    ];
    if police {
        if private {
            // Warrants are planned, so mostly executed in the daytime.
            let when = if daytime { 2.0 } else { 0.2 };
            table.push((Section135, when * (0.4 + 1.2 * severity)));
            table.push((Arrest, 1.0));
        } else {
            table.push((Section136, 14.0 * (0.4 + 1.2 * severity)));
            table.push((Arrest, 2.0));
        }
    }
    let (s136, ae_f, crisis, community, vcse, signposted) = match triage {
        Triage::Car => (0.17, 0.45, 1.5, 1.3, 1.8, 1.3),
        Triage::Phone => (0.45, 0.75, 1.3, 1.1, 1.3, 1.2),
        Triage::ControlRoom => (0.85, 0.9, 1.2, 1.0, 1.1, 1.1),
        Triage::None => (1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
    };
    for (o, w) in &mut table {
        *w *= match o {
            Section136 => s136,
            AeAttendance => ae_f,
            ReferredCrisisTeam => crisis,
            ReferredCommunityTeam => community,
            ReferredVcse => vcse,
            Signposted => signposted,
            _ => 1.0,
        };
    }
    table[weighted(rng, &table.iter().map(|t| t.1).collect::<Vec<_>>())].0
}

fn conveyance(
    rng: &mut DemoRng,
    outcome: Outcome,
    triage: Triage,
    police: bool,
    ambulance: bool,
) -> (Conveyance, Option<String>) {
    // Reasons use the Home Office categories' wording, so episodes can record the category.
    let police_reason = |rng: &mut DemoRng| {
        PoliceVehicleReason::ALL[weighted(rng, &[6.0, 3.0, 1.0])]
            .label()
            .to_string()
    };
    let car = triage == Triage::Car;
    match outcome {
        Outcome::Arrest => (
            Conveyance::PoliceVehicle,
            Some("Arrested: taken to custody".to_string()),
        ),
        Outcome::Section136 | Outcome::Section135 => {
            let r = unit(rng);
            if outcome == Outcome::Section135 && r < 0.3 {
                (
                    Conveyance::NotConveyed,
                    Some("Assessed at home".to_string()),
                )
            } else if car && r < 0.55 {
                (
                    Conveyance::TriageCar,
                    Some("Safe to travel with the nurse in the triage car".to_string()),
                )
            } else if (car && r < 0.85) || (!car && r < 0.45) {
                (
                    Conveyance::Ambulance,
                    Some("Ambulance arranged to the place of safety".to_string()),
                )
            } else {
                (Conveyance::PoliceVehicle, Some(police_reason(rng)))
            }
        }
        Outcome::AeAttendance | Outcome::InformalAdmission => {
            if ambulance && chance(rng, 0.7) {
                (
                    Conveyance::Ambulance,
                    Some("Clinical need: care on the way".to_string()),
                )
            } else if car && chance(rng, 0.6) {
                (
                    Conveyance::TriageCar,
                    Some("Safe to travel with the nurse in the triage car".to_string()),
                )
            } else if police && chance(rng, 0.3) {
                (Conveyance::PoliceVehicle, Some(police_reason(rng)))
            } else {
                (
                    Conveyance::NotConveyed,
                    Some("Went with a friend or family member".to_string()),
                )
            }
        }
        _ => (Conveyance::NotConveyed, None),
    }
}
