//! Episodes open "now", so that the coordinators' live board has something to show.
//!
//! The demo region's history ends at [`crate::DemoParams::end`]; a demo runs later.
//! [`live_activity`] makes a handful of detentions in progress at a given instant, each at a different point on
//! the statutory clock (just started, inside the 4-hour and 1-hour warnings, extended, s135 at home).

use crate::DemoRegion;
use crate::model::{
    Consultation, Consultee, Contact, ContactSource, Conveyance, DetentionPlaceKind, Episode,
    Extension, ExtensionReason, HomeConsent, OccupierAgreement, Outcome, PlaceKind, Power,
    PresentingNeed, ResponseType, Setting, Stay, Transport,
};
use crate::orgs::{AE_NORTHVALE, HBPOS_NORTHVALE, POLICE, TRIAGE_NURSES, TRUST};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Contacts and their open episodes at one instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveActivity {
    /// The contacts that led to the open episodes (keys "CL0001", …).
    pub contacts: Vec<Contact>,
    /// Open episodes (keys "EL0001", …): no outcome, no end, the last stay not yet departed.
    pub episodes: Vec<Episode>,
}

/// One scenario: minutes since the clock started, power, and what has happened so far.
struct Scenario {
    clock_minutes: i64,
    power: Power,
    ae_first: bool,
    doctor_seen: bool,
    extension_hours: Option<u8>,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        clock_minutes: 2 * 60 + 5,
        power: Power::Section136,
        ae_first: false,
        doctor_seen: false,
        extension_hours: None,
    },
    Scenario {
        clock_minutes: 20 * 60 + 25,
        power: Power::Section136,
        ae_first: true,
        doctor_seen: true,
        extension_hours: None,
    },
    Scenario {
        clock_minutes: 23 * 60 + 12,
        power: Power::Section136,
        ae_first: false,
        doctor_seen: true,
        extension_hours: None,
    },
    Scenario {
        clock_minutes: 27 * 60,
        power: Power::Section136,
        ae_first: false,
        doctor_seen: true,
        extension_hours: Some(8),
    },
    Scenario {
        clock_minutes: 55,
        power: Power::Section135,
        ae_first: false,
        doctor_seen: false,
        extension_hours: None,
    },
];

/// Builds detentions in progress at `now` for adults in the region who have crisis plans.
/// Deterministic: the same region and instant give the same result.
pub fn live_activity(region: &DemoRegion, now: DateTime<Utc>) -> LiveActivity {
    let mut planned: Vec<&str> = region
        .crisis_plans
        .iter()
        .map(|p| p.person.as_str())
        .collect();
    planned.sort_unstable();
    planned.dedup();
    let by_key: std::collections::BTreeMap<&str, &crate::model::Person> =
        region.people.iter().map(|p| (p.key.as_str(), p)).collect();
    let adults: Vec<&crate::model::Person> = planned
        .iter()
        .filter_map(|k| by_key.get(k).copied())
        .filter(|p| {
            now.date_naive()
                .years_since(p.date_of_birth)
                .is_some_and(|a| a >= 18)
        })
        .collect();
    // A public place to detain in: the first town-centre contact, else the first contact.
    let public = region
        .contacts
        .iter()
        .find(|c| c.neighbourhood == "NV01" && c.setting == Setting::StreetOrPublicPlace)
        .or_else(|| region.contacts.first());
    let mut contacts = Vec::new();
    let mut episodes = Vec::new();
    for (i, (s, person)) in SCENARIOS.iter().zip(adults.iter()).enumerate() {
        let Some(public) = public else {
            break;
        };
        let start = now - Duration::minutes(s.clock_minutes);
        let detained_at = start - Duration::minutes(25);
        let call_at = detained_at - Duration::minutes(40);
        let at_home = s.power == Power::Section135;
        let (postcode, neighbourhood, x_m, y_m) = if at_home {
            let home = region
                .contacts
                .iter()
                .find(|c| c.person.as_deref() == Some(person.key.as_str()));
            (
                person.postcode.clone(),
                person.neighbourhood.clone(),
                home.map_or(public.x_m, |c| c.x_m),
                home.map_or(public.y_m, |c| c.y_m),
            )
        } else {
            (
                public.postcode.clone(),
                public.neighbourhood.clone(),
                public.x_m,
                public.y_m,
            )
        };
        let contact_key = format!("CL{:04}", i + 1);
        contacts.push(Contact {
            key: contact_key.clone(),
            call_at,
            arrived_at: Some(call_at + Duration::minutes(15)),
            source: if at_home {
                ContactSource::Call101
            } else {
                ContactSource::Call999
            },
            setting: if at_home {
                Setting::PrivatePremises
            } else {
                Setting::StreetOrPublicPlace
            },
            neighbourhood,
            postcode: postcode.clone(),
            x_m,
            y_m,
            agencies: vec![POLICE.to_string(), TRUST.to_string()],
            response: ResponseType::FaceToFace,
            person: Some(person.key.clone()),
            person_description: None,
            presenting_needs: if s.extension_hours.is_some() {
                vec![PresentingNeed::Alcohol, PresentingNeed::SuicidalThoughts]
            } else {
                vec![
                    PresentingNeed::AcuteDistress,
                    PresentingNeed::SuicidalThoughts,
                ]
            },
            physical_health_check: true,
            outcome: if at_home {
                Outcome::Section135
            } else {
                Outcome::Section136
            },
            conveyance: if at_home {
                Conveyance::NotConveyed
            } else {
                Conveyance::TriageCar
            },
            conveyance_reason: Some(if at_home {
                "Assessed at home".to_string()
            } else {
                "Safe to travel with the nurse in the triage car".to_string()
            }),
            police_minutes: 0,
            street_triage: true,
            recorded_by: TRIAGE_NURSES[0].to_string(),
        });
        let mut stays = Vec::new();
        if at_home {
            let mut home = open_stay(None, PlaceKind::Home, start);
            home.home_consent = Some(HomeConsent {
                person_agreed: true,
                occupier: OccupierAgreement::PersonIsSoleOccupier,
            });
            stays.push(home);
        } else if s.ae_first {
            let moved = start + Duration::hours(4);
            stays.push(Stay {
                place: Some(AE_NORTHVALE.to_string()),
                kind: PlaceKind::EmergencyDepartment,
                arrived_at: start,
                departed_at: Some(moved),
                transfer_reason: Some(
                    "Medically fit; moved to the health-based place of safety.".into(),
                ),
                home_consent: None,
            });
            stays.push(open_stay(
                Some(HBPOS_NORTHVALE),
                PlaceKind::HealthBasedPlaceOfSafety,
                moved + Duration::minutes(20),
            ));
        } else {
            stays.push(open_stay(
                Some(HBPOS_NORTHVALE),
                PlaceKind::HealthBasedPlaceOfSafety,
                start,
            ));
        }
        let doctor = "Dr A. Fairweather (section 12 approved)".to_string();
        let extension = s.extension_hours.map(|hours| Extension {
            authorised_at: start + Duration::hours(22),
            minutes: u32::from(hours) * 60,
            authorised_by: doctor.clone(),
            reason: ExtensionReason::Intoxication,
            reason_detail:
                "Too intoxicated to take part in an assessment; it must wait until the person is sober."
                    .into(),
            superintendent_approved_at: None,
        });
        // For s135 at home the clock starts at the officers' entry; the decision to keep the person there follows.
        let kept_at = start + Duration::minutes(10);
        let consultation = if at_home {
            Consultation {
                consulted: Some(Consultee::Amhp),
                consulted_name: Some(
                    "AMHP who applied for the warrant, Northvale Borough Council".into(),
                ),
                consulted_at: Some(start - Duration::minutes(30)),
                not_practicable_reason: None,
            }
        } else {
            Consultation {
                consulted: Some(Consultee::RegisteredNurse),
                consulted_name: Some(
                    "Street triage nurse, Northvale Mental Health NHS Foundation Trust".into(),
                ),
                consulted_at: Some(detained_at - Duration::minutes(10)),
                not_practicable_reason: None,
            }
        };
        episodes.push(Episode {
            key: format!("EL{:04}", i + 1),
            contact: contact_key,
            person: Some(person.key.clone()),
            age_at_detention: now.date_naive().years_since(person.date_of_birth),
            power: s.power,
            detained_at: if at_home { kept_at } else { detained_at },
            warrant_entry_at: at_home.then_some(start),
            kept_where_they_are_at: at_home.then_some(kept_at),
            detention_place_kind: if at_home {
                DetentionPlaceKind::PrivateDwelling
            } else {
                DetentionPlaceKind::StreetOrPublicPlace
            },
            detention_postcode: postcode,
            detention_place: if at_home {
                "The person's home".to_string()
            } else {
                "Public place near Northvale town centre".to_string()
            },
            officer: format!("PC {}", 4100 + i),
            officer_org: POLICE.to_string(),
            consultation,
            stays,
            police_station: None,
            extension,
            doctor_seen_at: s.doctor_seen.then(|| start + Duration::hours(3)),
            doctor: s.doctor_seen.then_some(doctor),
            amhp_seen_at: None,
            amhp: None,
            assessment_completed_at: None,
            outcome: None,
            transport: if at_home {
                Transport::NotTransported
            } else {
                Transport::TriageCar
            },
            police_vehicle_reason: None,
            ended_at: None,
        });
    }
    LiveActivity { contacts, episodes }
}

fn open_stay(place: Option<&str>, kind: PlaceKind, arrived_at: DateTime<Utc>) -> Stay {
    Stay {
        place: place.map(str::to_string),
        kind,
        arrived_at,
        departed_at: None,
        transfer_reason: None,
        home_consent: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn open_episodes_sit_at_different_points_on_the_clock() {
        let region = crate::generate(&crate::DemoParams {
            residents: 40_000,
            years: 1,
            ..crate::DemoParams::default()
        });
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0).unwrap();
        let live = live_activity(&region, now);
        assert_eq!(live.episodes.len(), SCENARIOS.len());
        assert_eq!(live, live_activity(&region, now));
        let mut left: Vec<i64> = Vec::new();
        for (e, c) in live.episodes.iter().zip(&live.contacts) {
            assert_eq!(e.contact, c.key);
            assert!(e.outcome.is_none() && e.ended_at.is_none());
            assert!(e.stays.last().unwrap().departed_at.is_none());
            assert!(e.age_at_detention.is_some_and(|a| a >= 18));
            let start = e.clock_started_at().unwrap();
            let extra = e.extension.as_ref().map_or(0, |x| i64::from(x.minutes));
            left.push((start + Duration::minutes(24 * 60 + extra) - now).num_minutes());
        }
        assert!(
            left.iter().all(|m| *m > 0),
            "none in breach at generation: {left:?}"
        );
        assert!(
            left.iter().any(|m| *m < 60),
            "one inside the 1-hour warning"
        );
        assert!(
            left.iter().any(|m| (60..240).contains(m)),
            "one inside the 4-hour warning"
        );
    }
}
