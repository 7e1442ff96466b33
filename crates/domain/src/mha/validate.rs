//! Field-level validation of an episode: impossible input, and uses of a power the rules refuse.
//!
//! A breach of the time limit is not a validation error: it is a fact to record and report (see [`super::clock::breach`]).

use super::clock::{ClockError, ExtensionStatus, compute_clock};
use super::police_station::{check_police_station, check_police_station_at_detention};
use super::rules::{self, FieldError, RuleBook};
use super::time::london_local;
use super::types::{
    Consultation, DetentionPlace, Episode, OccupierAgreement, PersonAge, PlaceOfSafetyKind, Power,
    Transport,
};

/// Every problem with an episode, field by field, in plain English. Empty means valid.
pub fn validate(ep: &Episode, book: &RuleBook) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Some(rules) = book.in_force_at(ep.detained_at) else {
        errs.push(ClockError::NoRulesInForce.to_field_error());
        return errs;
    };

    validate_detention(ep, &mut errs);
    validate_stays(ep, &mut errs);

    // s136A covers s135(1), (3A) and s136 only (s136A(4)): a s135(2) retaking is outside it.
    if ep.power != Power::S135_2 {
        for (i, stay) in ep.stays.iter().enumerate() {
            if stay.kind == PlaceOfSafetyKind::PoliceStation {
                errs.extend(check_police_station(
                    rules,
                    ep.age,
                    ep.detained_at,
                    stay.police_station.as_ref(),
                    &format!("stays[{i}]"),
                ));
            }
        }
        // Held at the police station where the power was used: the detention place counts as a stay.
        if ep.held_at_police_station_on_detention() {
            errs.extend(check_police_station_at_detention(rules, ep));
        }
    }

    match compute_clock(ep, book) {
        Ok(clock) => {
            if let ExtensionStatus::Refused { reasons } = clock.extension {
                errs.extend(reasons);
            }
            // An end before the detention itself is reported once, below.
            if let Some(end) = ep.ended_at
                && end < clock.start
                && end >= ep.detained_at
            {
                errs.push(FieldError::input(
                    "ended_at",
                    format!(
                        "The detention is recorded as ending at {}, before the clock started at {}.",
                        london_local(end),
                        london_local(clock.start)
                    ),
                ));
            }
        }
        Err(ClockError::NotStarted) => {
            if ep.extension.is_some() {
                errs.push(FieldError::input(
                    "extension",
                    "An extension is recorded, but the person has not arrived at a place of safety, so there is no period to extend.",
                ));
            }
        }
        Err(ClockError::NoStatutoryPeriod) => {
            if ep.extension.is_some() {
                errs.push(FieldError::refused(
                    "extension",
                    &rules::S135_2_NO_PERIOD,
                    "An extension is recorded, but a patient taken or retaken under s135(2) has no statutory period to extend",
                ));
            }
        }
        Err(e) => errs.push(e.to_field_error()),
    }

    validate_assessment_and_outcome(ep, &mut errs);
    errs
}

fn validate_detention(ep: &Episode, errs: &mut Vec<FieldError>) {
    if ep.power == Power::S136 && ep.detention_place.is_excluded_for_s136() {
        errs.push(FieldError::refused(
            "detention_place",
            &rules::S136_NOT_IN_DWELLING,
            format!(
                "s136 cannot be used in a {}: a s135 warrant is needed there",
                ep.detention_place.label().to_lowercase()
            ),
        ));
    }
    if ep.power == Power::S136 {
        match &ep.consultation {
            None => errs.push(FieldError::refused(
                "consultation",
                &rules::S136_CONSULTATION,
                "Record who the officer consulted before using s136, or why consultation was not practicable",
            )),
            Some(Consultation::NotPracticable { reason }) if reason.trim().is_empty() => {
                errs.push(FieldError::refused(
                    "consultation.reason",
                    &rules::S136_CONSULTATION_REASON,
                    "Say why consultation was not practicable",
                ))
            }
            Some(Consultation::Consulted { at: Some(at), .. }) if *at > ep.detained_at => errs
                .push(FieldError::input(
                    "consultation.at",
                    format!(
                        "The consultation is recorded at {}, after the detention at {}; it must come before the decision.",
                        london_local(*at),
                        london_local(ep.detained_at)
                    ),
                )),
            Some(_) => {}
        }
    }
    match (ep.power.is_warrant(), ep.warrant_entry_at) {
        (false, Some(_)) => errs.push(FieldError::input(
            "warrant_entry_at",
            "An entry time under a warrant is recorded, but the power is s136, which needs no warrant.",
        )),
        (true, Some(entry)) if entry > ep.detained_at => errs.push(FieldError::input(
            "warrant_entry_at",
            format!(
                "The officer's entry is recorded at {}, after the detention at {}.",
                london_local(entry),
                london_local(ep.detained_at)
            ),
        )),
        _ => {}
    }
    if ep.power.is_warrant() && ep.kept_where_they_are_at.is_some() && ep.stays.is_empty() {
        errs.push(FieldError::refused(
            "stays",
            &rules::WARRANT_PREMISES_PLACE_OF_SAFETY,
            "Record the premises as the first place of safety (a home needs the person's agreement and, unless they live alone, an occupier's): the person can be kept there only if the premises are a place of safety",
        ));
    }
    if ep.power == Power::S136 && ep.kept_where_they_are_at.is_some() {
        match ep.first_stay() {
            _ if ep.detention_place == DetentionPlace::StreetOrPublicPlace => {
                errs.push(FieldError::refused(
                    "kept_where_they_are_at",
                    &rules::S136_KEPT_AT_PLACE_OF_SAFETY,
                    "A street or other public place is not a place of safety, so the person cannot be kept there: record when they arrived at the place of safety they were taken to instead",
                ))
            }
            None => errs.push(FieldError::refused(
                "stays",
                &rules::S136_KEPT_AT_PLACE_OF_SAFETY,
                "Record the place where the person is kept as the first place of safety: under s136 they can be kept where they are only if it is a place of safety",
            )),
            Some(s)
                if (ep.detention_place == DetentionPlace::PoliceStation)
                    != (s.kind == PlaceOfSafetyKind::PoliceStation) =>
            {
                errs.push(FieldError::refused(
                    "stays[0].kind",
                    &rules::S136_KEPT_AT_PLACE_OF_SAFETY,
                    format!(
                        "The person is recorded as kept where they were ({}), so the first place of safety must be that place, not {}",
                        ep.detention_place.label().to_lowercase(),
                        s.kind.label()
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    if let Some(kept) = ep.kept_where_they_are_at
        && kept < ep.detained_at
    {
        errs.push(FieldError::input(
            "kept_where_they_are_at",
            format!(
                "The decision to keep the person where they are is recorded at {}, before the detention at {}.",
                london_local(kept),
                london_local(ep.detained_at)
            ),
        ));
    }
    match ep.age {
        PersonAge::Years(y) if y > 120 => {
            errs.push(FieldError::input("age", "Check the age: it is over 120."))
        }
        PersonAge::DateOfBirth(_) if ep.age.years_at(ep.detained_at).is_none() => errs.push(
            FieldError::input("age", "The date of birth is after the date of detention."),
        ),
        _ => {}
    }
    match (ep.transport, ep.police_vehicle_reason) {
        (Some(Transport::PoliceVehicle), None) => errs.push(FieldError::input(
            "police_vehicle_reason",
            "Record why a police vehicle was used.",
        )),
        (Some(Transport::Ambulance | Transport::Other) | None, Some(_)) => {
            errs.push(FieldError::input(
                "police_vehicle_reason",
                "A reason for using a police vehicle is recorded, but the transport was not a police vehicle.",
            ))
        }
        _ => {}
    }
}

fn validate_stays(ep: &Episode, errs: &mut Vec<FieldError>) {
    let kept = ep.kept_where_they_are_at.is_some();
    for (i, stay) in ep.stays.iter().enumerate() {
        let f = |name: &str| format!("stays[{i}].{name}");
        // When the person is kept where they are, they were at the first place before the power was used.
        if stay.arrived_at < ep.detained_at && !(kept && i == 0) {
            errs.push(FieldError::input(
                f("arrived_at"),
                format!(
                    "Arrival at the place of safety is recorded at {}, before the detention at {}.",
                    london_local(stay.arrived_at),
                    london_local(ep.detained_at)
                ),
            ));
        }
        if let Some(dep) = stay.departed_at
            && dep < stay.arrived_at
        {
            errs.push(FieldError::input(
                f("departed_at"),
                format!(
                    "Departure is recorded at {}, before arrival at {}.",
                    london_local(dep),
                    london_local(stay.arrived_at)
                ),
            ));
        }
        if i > 0 {
            let prev = &ep.stays[i - 1];
            if stay.arrived_at < prev.arrived_at {
                errs.push(FieldError::input(
                    f("arrived_at"),
                    "Places of safety must be listed in the order the person arrived at them.",
                ));
            } else {
                match prev.departed_at {
                    None => errs.push(FieldError::input(
                        format!("stays[{}].departed_at", i - 1),
                        "Record when the person left this place before the transfer to the next one.",
                    )),
                    Some(dep) if stay.arrived_at < dep => errs.push(FieldError::input(
                        f("arrived_at"),
                        format!(
                            "This stay overlaps the previous one: arrival at {} is before departure from the previous place at {}.",
                            london_local(stay.arrived_at),
                            london_local(dep)
                        ),
                    )),
                    Some(_) => {}
                }
            }
        }
        match stay.kind {
            PlaceOfSafetyKind::PrivateHome => match stay.home_consent {
                None => errs.push(FieldError::refused(
                    f("home_consent"),
                    &rules::HOME_CONSENT,
                    "Record the consents for using a home as a place of safety",
                )),
                Some(c) if !c.person_agreed => errs.push(FieldError::refused(
                    f("home_consent.person_agreed"),
                    &rules::HOME_CONSENT,
                    "A home can be a place of safety only if the person agrees",
                )),
                Some(c) if c.occupier == OccupierAgreement::NotObtained => {
                    errs.push(FieldError::refused(
                        f("home_consent.occupier"),
                        &rules::HOME_CONSENT,
                        "Unless the person lives there alone, an occupier must also agree to the home being used",
                    ))
                }
                Some(_) => {}
            },
            PlaceOfSafetyKind::OtherSuitablePlace if !stay.manager_agreed => {
                errs.push(FieldError::refused(
                    f("manager_agreed"),
                    &rules::OTHER_PLACE_AGREEMENT,
                    "Another place can be a place of safety only if the person managing it agrees",
                ))
            }
            _ => {}
        }
    }
}

fn validate_assessment_and_outcome(ep: &Episode, errs: &mut Vec<FieldError>) {
    let a = &ep.assessment;
    let checks = [
        (
            a.doctor_examined_at,
            a.doctor.is_some(),
            "assessment.doctor_examined_at",
            "assessment.doctor",
            "The doctor's examination",
            "Record which doctor examined the person.",
        ),
        (
            a.amhp_interviewed_at,
            a.amhp.is_some(),
            "assessment.amhp_interviewed_at",
            "assessment.amhp",
            "The AMHP's interview",
            "Record which AMHP interviewed the person.",
        ),
    ];
    for (at, who_known, at_field, who_field, what, who_missing) in checks {
        let Some(at) = at else { continue };
        if at < ep.detained_at {
            errs.push(FieldError::input(
                at_field,
                format!(
                    "{what} is recorded at {}, before the detention at {}.",
                    london_local(at),
                    london_local(ep.detained_at)
                ),
            ));
        }
        if !who_known {
            errs.push(FieldError::input(who_field, who_missing));
        }
    }
    match (ep.ended_at, ep.outcome) {
        (Some(_), None) => errs.push(FieldError::input(
            "outcome",
            "Record the outcome of the detention.",
        )),
        (None, Some(_)) => errs.push(FieldError::input(
            "ended_at",
            "Record when the detention ended.",
        )),
        (Some(end), Some(_)) if end < ep.detained_at => errs.push(FieldError::input(
            "ended_at",
            format!(
                "The detention is recorded as ending at {}, before it began at {}.",
                london_local(end),
                london_local(ep.detained_at)
            ),
        )),
        _ => {}
    }
}
