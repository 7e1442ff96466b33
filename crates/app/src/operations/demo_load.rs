//! Loading the demo region's places of safety, full contacts and s136/s135 episodes, plus the detentions
//! in progress now (`concordat_demo::live_activity`) so that the live board has content.

use crate::AppError;
use crate::demo::DemoIds;
use chrono::{DateTime, Utc};
use concordat_demo::DemoRegion;
use concordat_demo::model as dm;
use concordat_domain::OrgKind;
use concordat_domain::mha::{
    self, Consultation, ConsultedProfessional, DecisionMaker, DetentionPlace, Episode,
    ExtensionReason, OccupierAgreement, OutcomeKind, PersonAge, PlaceOfSafetyKind, PoliceRank,
    PoliceStationDecision, PoliceVehicleReason, Power, ProfessionalRef, SeniorApproval, Stay,
    Transport,
};
use concordat_store::{CONTACT_FINAL, ContactData, NewEpisode, NewPlace, Tx};
use std::collections::HashMap;

fn corrupt(what: &str, code: &str) -> AppError {
    AppError::Internal(format!(
        "demo: {what} code {code:?} has no domain equivalent"
    ))
}

fn opening_hours(p: &dm::Place) -> String {
    p.sessions
        .iter()
        .map(|s| {
            format!(
                "{} {}–{}",
                s.day,
                s.opens.format("%H:%M"),
                s.closes.format("%H:%M")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The demo's episode as the domain's record. Codes match, except the triage car (the domain's "other")
/// and "not transported" (no transport).
pub(crate) fn to_mha(e: &dm::Episode) -> Result<Episode, AppError> {
    let power = Power::from_code(e.power.code()).ok_or_else(|| corrupt("power", e.power.code()))?;
    let place = DetentionPlace::from_code(e.detention_place_kind.code())
        .ok_or_else(|| corrupt("detention place", e.detention_place_kind.code()))?;
    let age = e
        .age_at_detention
        .and_then(|a| u8::try_from(a).ok())
        .map_or(PersonAge::Unknown, PersonAge::Years);
    let mut ep = Episode::new(power, e.detained_at, place, age);
    ep.consultation = match (
        &e.consultation.consulted,
        &e.consultation.not_practicable_reason,
    ) {
        (Some(c), _) => Some(Consultation::Consulted {
            with: ConsultedProfessional::from_code(c.code())
                .ok_or_else(|| corrupt("consultee", c.code()))?,
            at: e.consultation.consulted_at,
        }),
        (None, Some(r)) => Some(Consultation::NotPracticable { reason: r.clone() }),
        (None, None) => None,
    };
    ep.warrant_entry_at = e.warrant_entry_at;
    ep.kept_where_they_are_at = e.kept_where_they_are_at;
    for s in &e.stays {
        let kind = PlaceOfSafetyKind::from_code(s.kind.code())
            .ok_or_else(|| corrupt("place kind", s.kind.code()))?;
        let mut stay = Stay::new(kind, s.arrived_at);
        stay.departed_at = s.departed_at;
        stay.home_consent = s.home_consent.map(|h| mha::HomeConsent {
            person_agreed: h.person_agreed,
            occupier: OccupierAgreement::from_code(h.occupier.code())
                .unwrap_or(OccupierAgreement::NotObtained),
        });
        stay.manager_agreed = kind == PlaceOfSafetyKind::OtherSuitablePlace;
        if kind == PlaceOfSafetyKind::PoliceStation
            && let Some(ps) = &e.police_station
        {
            let rank = |r: dm::PoliceRank| {
                PoliceRank::from_code(r.code()).ok_or_else(|| corrupt("rank", r.code()))
            };
            stay.police_station = Some(PoliceStationDecision {
                decision_maker: DecisionMaker::PoliceOfficer {
                    rank: rank(ps.decided_by_rank)?,
                },
                imminent_risk_of_serious_injury_or_death: ps.imminent_risk_of_serious_harm,
                no_other_place_can_reasonably_detain: ps.no_other_place_can_manage,
                healthcare_professional_available: ps.healthcare_professional_available,
                authorised_by_rank: Some(rank(ps.authorised_by_rank)?),
                consultation: Some(if ps.health_professional_consulted {
                    Consultation::Consulted {
                        with: ConsultedProfessional::Nurse,
                        at: None,
                    }
                } else {
                    Consultation::NotPracticable {
                        reason: ps.reason.clone(),
                    }
                }),
            });
            stay.welfare_checks = ps.welfare_checks.clone();
            stay.custody_reviews = ps.custody_reviews.clone();
        }
        ep.stays.push(stay);
    }
    ep.assessment = mha::Assessment {
        doctor: e.doctor.clone().map(ProfessionalRef),
        doctor_examined_at: e.doctor_seen_at,
        amhp: e.amhp.clone().map(ProfessionalRef),
        amhp_interviewed_at: e.amhp_seen_at,
    };
    if let Some(x) = &e.extension {
        ep.extension = Some(mha::Extension {
            authorised_at: x.authorised_at,
            minutes: x.minutes,
            authorised_by: ProfessionalRef(x.authorised_by.clone()),
            reason: ExtensionReason::from_code(x.reason.code())
                .ok_or_else(|| corrupt("extension reason", x.reason.code()))?,
            reason_detail: Some(x.reason_detail.clone()),
            superintendent_approval: x.superintendent_approved_at.map(|t| SeniorApproval {
                rank: PoliceRank::Superintendent,
                approved_at: t,
            }),
            assessment_at_police_station: None,
        });
    }
    ep.ended_at = e.ended_at;
    ep.outcome = e
        .outcome
        .map(|o| OutcomeKind::from_code(o.code()).ok_or_else(|| corrupt("outcome", o.code())))
        .transpose()?;
    ep.transport = match e.transport {
        dm::Transport::TriageCar => Some(Transport::Other),
        dm::Transport::NotTransported => None,
        t => Some(Transport::from_code(t.code()).ok_or_else(|| corrupt("transport", t.code()))?),
    };
    ep.police_vehicle_reason = e
        .police_vehicle_reason
        .map(|r| {
            PoliceVehicleReason::from_code(r.code())
                .ok_or_else(|| corrupt("vehicle reason", r.code()))
        })
        .transpose()?;
    Ok(ep)
}

fn contact_data(c: &dm::Contact, ids: &DemoIds, kinds: &HashMap<&str, OrgKind>) -> ContactData {
    let mut agencies: Vec<String> = Vec::new();
    for a in &c.agencies {
        let code = kinds
            .get(a.as_str())
            .map_or("other", |k| k.code())
            .to_string();
        if !agencies.contains(&code) {
            agencies.push(code);
        }
    }
    ContactData {
        status: CONTACT_FINAL.into(),
        person_id: c
            .person
            .as_ref()
            .and_then(|k| ids.people.get(k))
            .map(|p| p.0),
        person_description: c.person_description.clone(),
        called_at: c.call_at.timestamp_millis(),
        arrived_at: c.arrived_at.map(|t| t.timestamp_millis()),
        source: c.source.code().to_string(),
        setting: c.setting.code().to_string(),
        postcode: Some(c.postcode.to_string()),
        neighbourhood: Some(c.neighbourhood.clone()),
        response_type: Some(c.response.code().to_string()),
        agencies,
        presenting_needs: c
            .presenting_needs
            .iter()
            .map(|n| n.code().to_string())
            .collect(),
        physical_health_check: c.physical_health_check,
        outcomes: vec![c.outcome.code().to_string()],
        conveyance: Some(c.conveyance.code().to_string()),
        conveyance_reason: c.conveyance_reason.clone(),
        police_minutes: Some(i64::from(c.police_minutes)),
        street_triage: c.street_triage,
        synthetic: true,
    }
}

/// Loads places, contacts and episodes (the region's, and the live ones open now: on the day the history ends,
/// so a region generated for another day has its live board on that day, right after its history).
pub(crate) async fn load_demo(
    tx: &mut Tx,
    region: &DemoRegion,
    ids: &DemoIds,
) -> Result<(), AppError> {
    load_at(tx, region, ids, region.params.live_instant(Utc::now())).await
}

async fn load_at(
    tx: &mut Tx,
    region: &DemoRegion,
    ids: &DemoIds,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let kinds: HashMap<&str, OrgKind> = region
        .organisations
        .iter()
        .map(|o| (o.key.as_str(), o.kind))
        .collect();
    let mut places: HashMap<&str, i64> = HashMap::new();
    for p in &region.places_of_safety {
        let owner = ids.orgs.get(&p.org).copied().unwrap_or(ids.trust);
        let id = tx
            .place_insert(&NewPlace {
                owner_org_id: owner.0,
                name: p.name.clone(),
                kind: p.kind.code().to_string(),
                capacity: i64::from(p.capacity),
                open_24_7: p.open_24_7,
                opening_hours: opening_hours(p),
                accepts_under_18: p.accepts_under_18,
                address_line: p.address_line.clone(),
                postcode: Some(p.postcode.to_string()),
                phone: p.phone.clone(),
                notes: p.notes.clone(),
                synthetic: true,
            })
            .await?;
        places.insert(p.key.as_str(), id);
    }
    let live = concordat_demo::live_activity(region, now);
    let sex: HashMap<&str, &str> = region
        .people
        .iter()
        .map(|p| (p.key.as_str(), p.sex.code()))
        .collect();
    // Each place's availability was last changed by the place-of-safety coordinator when someone last
    // arrived there or left (up to now), as if they kept the board up to date.
    let mut last_change: HashMap<&str, DateTime<Utc>> = HashMap::new();
    for e in region.episodes.iter().chain(live.episodes.iter()) {
        for st in &e.stays {
            let Some(key) = st.place.as_deref() else {
                continue;
            };
            for t in [Some(st.arrived_at), st.departed_at].into_iter().flatten() {
                if t <= now {
                    let slot = last_change.entry(key).or_insert(t);
                    *slot = (*slot).max(t);
                }
            }
        }
    }
    let coordinator = ids.staff_user.get("demo.pos").map(|u| u.0);
    let coordinator_org = ids.staff_org.get("demo.pos").map(|o| o.0);
    for (key, at) in &last_change {
        if let Some(id) = places.get(key) {
            tx.place_availability_touch(*id, coordinator, coordinator_org, at.timestamp_millis())
                .await?;
        }
    }
    let mut contacts: HashMap<&str, i64> = HashMap::new();
    for c in region.contacts.iter().chain(live.contacts.iter()) {
        let owner = ids
            .staff_org
            .get(&c.recorded_by)
            .copied()
            .unwrap_or(ids.trust);
        let id = tx
            .contact_create(owner.0, &contact_data(c, ids, &kinds), &c.recorded_by)
            .await?;
        contacts.insert(c.key.as_str(), id);
    }
    for e in region.episodes.iter().chain(live.episodes.iter()) {
        let ep = to_mha(e)?;
        // Detention records are kept by the place of safety's trust (health), not the police.
        let current_place_id = e
            .stays
            .last()
            .and_then(|s| s.place.as_deref())
            .and_then(|k| places.get(k))
            .copied();
        tx.episode_insert(&NewEpisode {
            owner_org_id: ids.trust.0,
            person_id: e
                .person
                .as_ref()
                .and_then(|k| ids.people.get(k))
                .map(|p| p.0),
            contact_id: contacts.get(e.contact.as_str()).copied(),
            officer: e.officer.clone(),
            current_place_id,
            sex: e
                .person
                .as_deref()
                .and_then(|k| sex.get(k))
                .and_then(|s| mha::Sex::from_code(s))
                .map_or("not_known", |s| s.code())
                .to_string(),
            ethnicity: mha::Ethnicity::NotStated.code().to_string(),
            synthetic: true,
            episode: ep,
        })
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use concordat_domain::mha::RuleBook;

    #[test]
    fn every_demo_episode_converts_and_passes_the_rules() {
        let region = concordat_demo::generate(&concordat_demo::DemoParams {
            residents: 5_000,
            years: 1,
            ..Default::default()
        });
        let book = RuleBook::england();
        let live = concordat_demo::live_activity(&region, Utc::now());
        // A small region has fewer adults with plans than scenarios: at least the first three.
        assert!(live.episodes.len() >= 3, "{}", live.episodes.len());
        for e in region.episodes.iter().chain(live.episodes.iter()) {
            let ep = to_mha(e).unwrap();
            assert_eq!(mha::validate(&ep, &book), vec![], "{}", e.key);
        }
    }
}
