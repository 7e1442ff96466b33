//! s136 and s135 episodes: one for each contact that ended in detention or removal.
//!
//! Every episode keeps to the 2017 rules as the generator reads them (see docs/demo-data.md): the clock starts
//! at the first place (or, for s135 at home, at entry), transfers do not restart it, assessment ends within
//! 24 hours unless the examining doctor extended the period for a reason in the person's condition, and
//! exactly one adult is held in a police station, with the regulation conditions and welfare checks recorded.
//! No breach is generated: the historical data shows a service working within the law.

use crate::model::{
    Consultation, Consultee, Contact, Conveyance, DetentionPlaceKind, Episode, EpisodeOutcome,
    Extension, ExtensionReason, HomeConsent, OccupierAgreement, Outcome, Person, Place, PlaceKind,
    PoliceRank, PoliceStationUse, PoliceVehicleReason, Power, PresentingNeed, Setting, Stay,
    Transport,
};
use crate::names::{FAMILY, GIVEN_FEMALE, GIVEN_MALE, HOTSPOTS};
use crate::orgs::{CUSTODY, HBPOS_EASTERBY, HBPOS_NORTHVALE, POLICE};
use crate::sample::{DemoRng, chance, lognormal, pick, weighted};
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use std::collections::BTreeMap;

const DOCTORS: &[&str] = &[
    "Dr A. Fairweather (section 12 approved)",
    "Dr N. Osei-Bonsu (section 12 approved)",
    "Dr R. Kaczmarek (section 12 approved)",
    "Dr S. Latham (section 12 approved)",
    "Dr M. Hollingworth (section 12 approved)",
    "Dr P. Raghunathan (section 12 approved)",
];

const EXTENSION_REASONS: &[(ExtensionReason, &str)] = &[
    (
        ExtensionReason::Intoxication,
        "Too intoxicated to take part in an assessment; it must wait until the person is sober.",
    ),
    (
        ExtensionReason::PhysicalTreatment,
        "Needed treatment for a physical injury before an assessment was possible.",
    ),
    (
        ExtensionReason::TooUnwellToAssess,
        "Too acutely agitated to be interviewed safely; rapid tranquillisation was needed first.",
    ),
];

const NOT_PRACTICABLE: &[&str] = &[
    "The person was at immediate risk on a road bridge; there was no time to call before acting.",
    "Two calls to the crisis line went unanswered while the risk was rising.",
    "The person ran towards traffic and was detained at once for their safety.",
];

fn minutes(m: f64) -> Duration {
    Duration::minutes(m.round() as i64)
}

fn hours(h: f64) -> Duration {
    minutes(h * 60.0)
}

fn distance2(place: &Place, x_m: u32, y_m: u32) -> i64 {
    let dx = i64::from(place.x_m) - i64::from(x_m);
    let dy = i64::from(place.y_m) - i64::from(y_m);
    dx * dx + dy * dy
}

/// The nearest place of `kind` to a point, among those that accept the person.
fn nearest(
    places: &[Place],
    kind: PlaceKind,
    x_m: u32,
    y_m: u32,
    under_18: bool,
) -> Option<&Place> {
    places
        .iter()
        .filter(|p| p.kind == kind && (!under_18 || p.accepts_under_18))
        .min_by_key(|p| distance2(p, x_m, y_m))
}

fn stay(place: Option<&Place>, kind: PlaceKind, arrived_at: DateTime<Utc>) -> Stay {
    Stay {
        place: place.map(|p| p.key.clone()),
        kind,
        arrived_at,
        departed_at: Some(arrived_at),
        transfer_reason: None,
        home_consent: None,
    }
}

fn amhp_name(rng: &mut DemoRng) -> String {
    let given = if chance(rng, 0.5) {
        pick(rng, GIVEN_FEMALE)
    } else {
        pick(rng, GIVEN_MALE)
    };
    format!(
        "{given} {} (AMHP, Northvale Borough Council)",
        pick(rng, FAMILY)
    )
}

fn detention_place(c: &Contact, nbh_names: &BTreeMap<&str, &str>) -> String {
    let area = nbh_names
        .get(c.neighbourhood.as_str())
        .copied()
        .unwrap_or("the region");
    if c.outcome == Outcome::Section135 {
        return format!("The person's home, {area}");
    }
    let near = HOTSPOTS.iter().find(|h| {
        let dx = h.1 * 1000.0 - f64::from(c.x_m);
        let dy = h.2 * 1000.0 - f64::from(c.y_m);
        dx * dx + dy * dy < 500.0 * 500.0
    });
    match (near, c.setting) {
        (Some(h), _) => format!("Public place near {}", h.0),
        (None, Setting::StreetOrPublicPlace) => format!("Street in {area}"),
        (None, _) => format!("Public building in {area}"),
    }
}

pub(crate) fn generate(
    rng: &mut DemoRng,
    contacts: &[Contact],
    people: &[Person],
    places: &[Place],
    neighbourhoods: &[crate::model::Neighbourhood],
) -> Vec<Episode> {
    let dob: BTreeMap<&str, chrono::NaiveDate> = people
        .iter()
        .map(|p| (p.key.as_str(), p.date_of_birth))
        .collect();
    let nbh_names: BTreeMap<&str, &str> = neighbourhoods
        .iter()
        .map(|n| (n.code.as_str(), n.name.as_str()))
        .collect();
    let age_of = |c: &Contact| {
        c.person
            .as_deref()
            .and_then(|p| dob.get(p))
            .and_then(|d| c.call_at.date_naive().years_since(*d))
    };
    let detained: Vec<&Contact> = contacts
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Section136 | Outcome::Section135))
        .collect();
    // One police-station use, for an adult taken there in a police vehicle, a third of the way through.
    let police_station = detained
        .iter()
        .enumerate()
        .skip(detained.len() / 3)
        .find(|(_, c)| {
            c.outcome == Outcome::Section136
                && c.conveyance == Conveyance::PoliceVehicle
                && age_of(c).is_some_and(|a| a >= 18)
        })
        .map(|(i, _)| i);
    detained
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let age = age_of(c);
            let config = EpisodeConfig {
                key: format!("E{:06}", i + 1),
                age,
                police_station: police_station == Some(i),
                place_name: detention_place(c, &nbh_names),
            };
            one_episode(rng, c, places, config)
        })
        .collect()
}

struct EpisodeConfig {
    key: String,
    age: Option<u32>,
    police_station: bool,
    place_name: String,
}

fn one_episode(rng: &mut DemoRng, c: &Contact, places: &[Place], cfg: EpisodeConfig) -> Episode {
    let power = if c.outcome == Outcome::Section135 {
        Power::Section135
    } else {
        Power::Section136
    };
    let under_18 = cfg.age.is_some_and(|a| a < 18);
    let at_scene = c.arrived_at.unwrap_or(c.call_at);
    // Under a warrant the officers enter first, then decide; under s136 the decision follows a conversation.
    let warrant_entry_at = (power == Power::Section135).then_some(at_scene);
    let detained_at = at_scene + minutes(lognormal(rng, 25.0, 0.5).clamp(5.0, 120.0));
    let officer = format!("PC {}", rng.random_range(1000..10_000u32));

    let consultation = if c.street_triage {
        Consultation {
            consulted: Some(Consultee::RegisteredNurse),
            consulted_name: Some(
                "Street triage nurse, Northvale Mental Health NHS Foundation Trust".into(),
            ),
            consulted_at: Some(detained_at - minutes(lognormal(rng, 10.0, 0.5).clamp(2.0, 40.0))),
            not_practicable_reason: None,
        }
    } else if power == Power::Section135 {
        // A warrant is applied for by an AMHP, who goes in with the officers.
        Consultation {
            consulted: Some(Consultee::Amhp),
            consulted_name: Some(
                "AMHP who applied for the warrant, Northvale Borough Council".into(),
            ),
            consulted_at: Some(at_scene - minutes(lognormal(rng, 180.0, 0.5).clamp(30.0, 720.0))),
            not_practicable_reason: None,
        }
    } else if chance(rng, 0.55) {
        let ambulance = c.agencies.iter().any(|a| a.contains("ambulance"));
        let who = if ambulance && chance(rng, 0.5) {
            Consultee::Paramedic
        } else {
            [
                Consultee::RegisteredNurse,
                Consultee::Doctor,
                Consultee::Amhp,
            ][weighted(rng, &[5.0, 2.0, 2.0])]
        };
        let name = match who {
            Consultee::RegisteredNurse => {
                "Crisis line nurse, Northvale Mental Health NHS Foundation Trust"
            }
            Consultee::Doctor => "Duty psychiatrist, Northvale Mental Health NHS Foundation Trust",
            Consultee::Amhp => "Duty AMHP, Northvale Borough Council",
            Consultee::Paramedic => "Attending paramedic, Northvale Ambulance Service NHS Trust",
        };
        Consultation {
            consulted: Some(who),
            consulted_name: Some(name.into()),
            consulted_at: Some(detained_at - minutes(lognormal(rng, 12.0, 0.5).clamp(2.0, 60.0))),
            not_practicable_reason: None,
        }
    } else {
        Consultation {
            consulted: None,
            consulted_name: None,
            consulted_at: None,
            not_practicable_reason: Some(pick(rng, NOT_PRACTICABLE).to_string()),
        }
    };

    let needs_physical_care = c.presenting_needs.iter().any(|n| {
        matches!(
            n,
            PresentingNeed::Alcohol
                | PresentingNeed::Drugs
                | PresentingNeed::PhysicalInjury
                | PresentingNeed::SelfHarm
        )
    });
    let travel = minutes(lognormal(rng, 22.0, 0.4).clamp(5.0, 75.0));
    let hbpos = nearest(
        places,
        PlaceKind::HealthBasedPlaceOfSafety,
        c.x_m,
        c.y_m,
        under_18,
    );
    let ae = nearest(
        places,
        PlaceKind::EmergencyDepartment,
        c.x_m,
        c.y_m,
        under_18,
    );
    let willows = places.iter().find(|p| p.key == HBPOS_NORTHVALE);
    let easterby = places.iter().find(|p| p.key == HBPOS_EASTERBY);

    // Places in order; the time spent before the assessment at the last place.
    let mut stays: Vec<Stay> = Vec::new();
    let mut police_station = None;
    let mut kept_where_they_are_at = None;
    if power == Power::Section135 && c.conveyance == Conveyance::NotConveyed {
        // Kept at home: the home is the place of safety from the officers' entry, with the consents recorded.
        kept_where_they_are_at = Some(detained_at);
        let mut home = stay(None, PlaceKind::Home, at_scene);
        home.home_consent = Some(HomeConsent {
            person_agreed: true,
            occupier: if chance(rng, 0.5) {
                OccupierAgreement::PersonIsSoleOccupier
            } else {
                OccupierAgreement::OccupierAgreed
            },
        });
        stays.push(home);
    } else if cfg.police_station {
        let custody = places.iter().find(|p| p.key == CUSTODY);
        let arrive = detained_at + travel;
        let mut first = stay(custody, PlaceKind::PoliceStation, arrive);
        let leave = arrive + hours(lognormal(rng, 4.0, 0.3).clamp(2.0, 8.0));
        first.departed_at = Some(leave);
        first.transfer_reason =
            Some("Calmer and safe to move; a room at the Willows Suite became free.".into());
        let mut checks = Vec::new();
        let mut t = arrive;
        while t < leave {
            checks.push(t);
            t += minutes(rng.random_range(20.0..=30.0));
        }
        let mut reviews = Vec::new();
        let mut t = arrive + Duration::hours(3);
        while t < leave {
            reviews.push(t);
            t += Duration::hours(3);
        }
        police_station = Some(PoliceStationUse {
            decided_by_rank: PoliceRank::Constable,
            authorised_by_rank: PoliceRank::Inspector,
            custody_reviews: reviews,
            imminent_risk_of_serious_harm: true,
            no_other_place_can_manage: true,
            healthcare_professional_available: true,
            authorised_by: format!("Inspector {}", rng.random_range(1000..10_000u32)),
            authorised_at: arrive - minutes(10.0),
            health_professional_consulted: true,
            welfare_checks: checks,
            reason: "Repeated serious violence towards staff at the scene; the health-based place of safety \
                     said it could not safely manage this at that time."
                .into(),
        });
        stays.push(first);
        stays.push(stay(
            willows,
            PlaceKind::HealthBasedPlaceOfSafety,
            leave + travel,
        ));
    } else if needs_physical_care && chance(rng, 0.6) {
        let arrive = detained_at + travel;
        let mut first = stay(ae, PlaceKind::EmergencyDepartment, arrive);
        if chance(rng, 0.7) {
            let leave = arrive + hours(lognormal(rng, 3.0, 0.5).clamp(1.0, 10.0));
            first.departed_at = Some(leave);
            first.transfer_reason =
                Some("Medically fit; moved to the health-based place of safety.".into());
            stays.push(first);
            stays.push(stay(
                hbpos,
                PlaceKind::HealthBasedPlaceOfSafety,
                leave + travel,
            ));
        } else {
            stays.push(first);
        }
    } else {
        let arrive = detained_at + travel;
        let nearer_home = !under_18 && chance(rng, 0.06);
        let (from, to) = if hbpos.map(|p| p.key.as_str()) == Some(HBPOS_EASTERBY) {
            (easterby, willows)
        } else {
            (willows, easterby)
        };
        if nearer_home {
            let mut first = stay(from, PlaceKind::HealthBasedPlaceOfSafety, arrive);
            let leave = arrive + hours(lognormal(rng, 1.5, 0.4).clamp(0.5, 4.0));
            first.departed_at = Some(leave);
            first.transfer_reason =
                Some("Moved to the place of safety nearer the person's home and family.".into());
            stays.push(first);
            stays.push(stay(
                to,
                PlaceKind::HealthBasedPlaceOfSafety,
                leave + minutes(35.0),
            ));
        } else {
            stays.push(stay(hbpos, PlaceKind::HealthBasedPlaceOfSafety, arrive));
        }
    }
    let start = match (kept_where_they_are_at, warrant_entry_at) {
        (Some(_), Some(entry)) => entry,
        _ => stays.first().map_or(detained_at, |s| s.arrived_at),
    };
    let last_arrival = stays.last().map_or(start, |s| s.arrived_at);
    let limit = start + Duration::hours(24);

    let extend = !cfg.police_station && (needs_physical_care && chance(rng, 0.06));
    let (doctor_seen_at, amhp_seen_at, assessment_completed_at, extension) = if extend {
        let authorised_at = start + hours(rng.random_range(18.0..23.5));
        let completed = start + hours(rng.random_range(25.0..34.0));
        let doctor_seen =
            start + hours(rng.random_range(2.0..12.0)).max(last_arrival - start + minutes(30.0));
        let amhp_seen = completed - minutes(rng.random_range(30.0..90.0));
        let (reason, reason_detail) = if c.presenting_needs.contains(&PresentingNeed::Alcohol)
            || c.presenting_needs.contains(&PresentingNeed::Drugs)
        {
            EXTENSION_REASONS[0]
        } else if c.presenting_needs.contains(&PresentingNeed::PhysicalInjury)
            || c.presenting_needs.contains(&PresentingNeed::SelfHarm)
        {
            EXTENSION_REASONS[1]
        } else {
            EXTENSION_REASONS[2]
        };
        // Whole hours that cover the delay plus a margin, never more than 12.
        let needed = (completed - start).num_minutes() - 24 * 60;
        let extra_minutes = u32::try_from((needed / 60 + 2).clamp(1, 12) * 60).unwrap_or(720);
        let doctor = pick(rng, DOCTORS).to_string();
        (
            doctor_seen,
            amhp_seen,
            completed,
            Some(Extension {
                authorised_at,
                minutes: extra_minutes,
                authorised_by: doctor,
                reason,
                reason_detail: reason_detail.to_string(),
                superintendent_approved_at: None,
            }),
        )
    } else {
        let doctor_seen =
            (last_arrival + hours(lognormal(rng, 3.5, 0.6))).min(start + Duration::hours(20));
        let amhp_seen =
            (doctor_seen + minutes(lognormal(rng, 40.0, 0.8))).min(start + Duration::hours(22));
        let completed = doctor_seen.max(amhp_seen) + minutes(rng.random_range(20.0..60.0));
        (doctor_seen, amhp_seen, completed, None)
    };
    let doctor = extension.as_ref().map_or_else(
        || pick(rng, DOCTORS).to_string(),
        |e| e.authorised_by.clone(),
    );
    let hard_limit =
        limit + Duration::minutes(extension.as_ref().map_or(0, |e| i64::from(e.minutes)));
    let ended_at = (assessment_completed_at
        + minutes(lognormal(rng, 80.0, 0.5).clamp(15.0, 300.0)))
    .min(hard_limit - minutes(5.0))
    .max(assessment_completed_at);
    if let Some(last) = stays.last_mut() {
        last.departed_at = Some(ended_at);
    }

    let psychosis = c.presenting_needs.contains(&PresentingNeed::Psychosis);
    let outcome = [
        EpisodeOutcome::NoMentalDisorder,
        EpisodeOutcome::DischargedWithSupport,
        EpisodeOutcome::InformalAdmission,
        EpisodeOutcome::DetainedSection2,
        EpisodeOutcome::DetainedSection3,
    ][weighted(
        rng,
        &[
            18.0,
            42.0,
            16.0,
            if psychosis { 34.0 } else { 16.0 },
            if psychosis { 10.0 } else { 4.0 },
        ],
    )];
    let (transport, police_vehicle_reason) = match c.conveyance {
        _ if cfg.police_station => (
            Transport::PoliceVehicle,
            Some(PoliceVehicleReason::RiskToAmbulanceCrew),
        ),
        Conveyance::Ambulance => (Transport::Ambulance, None),
        Conveyance::TriageCar => (Transport::TriageCar, None),
        Conveyance::PoliceVehicle => (
            Transport::PoliceVehicle,
            PoliceVehicleReason::ALL
                .iter()
                .copied()
                .find(|r| c.conveyance_reason.as_deref() == Some(r.label()))
                .or(Some(PoliceVehicleReason::NoAmbulanceWithin30Minutes)),
        ),
        Conveyance::NotConveyed => (Transport::NotTransported, None),
    };

    Episode {
        key: cfg.key,
        contact: c.key.clone(),
        person: c.person.clone(),
        age_at_detention: cfg.age,
        power,
        detained_at,
        warrant_entry_at,
        kept_where_they_are_at,
        detention_place_kind: match (power, c.setting) {
            (Power::Section135, _) | (_, Setting::PrivatePremises) => {
                DetentionPlaceKind::PrivateDwelling
            }
            (_, Setting::StreetOrPublicPlace) => DetentionPlaceKind::StreetOrPublicPlace,
            (_, Setting::Other) => DetentionPlaceKind::OtherPrivatePremises,
        },
        detention_postcode: c.postcode.clone(),
        detention_place: cfg.place_name,
        officer,
        officer_org: POLICE.to_string(),
        consultation,
        stays,
        police_station,
        extension,
        doctor_seen_at: Some(doctor_seen_at),
        doctor: Some(doctor),
        amhp_seen_at: Some(amhp_seen_at),
        amhp: Some(amhp_name(rng)),
        assessment_completed_at: Some(assessment_completed_at),
        outcome: Some(outcome),
        transport,
        police_vehicle_reason,
        ended_at: Some(ended_at),
    }
}
