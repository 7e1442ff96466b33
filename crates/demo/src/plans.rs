//! Crisis plans, written with the person, for most people with repeated contact and a few others.
//!
//! Texts come from short pools of plausible, respectful first-person statements; they are generic on purpose
//! and say nothing clinical about any real person.

use crate::DemoParams;
use crate::calendar::local_midnight;
use crate::model::{
    ConsentStatus, Contact, CrisisPlan, Person, PlanConsent, PlanSection, SectionKind, SharingLevel,
};
use crate::names::{FAMILY, GIVEN_FEMALE, GIVEN_MALE};
use crate::orgs::{CRISIS_CLINICIANS, TRUST};
use crate::sample::{DemoRng, chance, pick, weighted};
use chrono::{DateTime, Duration, Months, NaiveDate, Utc};
use concordat_domain::{LegalBasis, OrgKind};
use rand::Rng;
use std::collections::BTreeMap;

const CRISIS_LOOKS_LIKE: &[&str] = &[
    "I stop sleeping and go out walking at night. I may not answer my phone and can seem angry when I am frightened.",
    "I hear voices telling me I am being watched. I may hide or refuse to open the door.",
    "I go very quiet and withdrawn, and I may talk about not wanting to be here.",
    "I get overwhelmed and panic; I may hurt myself to cope with the feeling.",
    "I drink more and stop eating. I may get confused about where I am.",
];

const EARLY_SIGNS: &[&str] = &[
    "Not sleeping for two or more nights; cancelling plans; letting post pile up.",
    "Anniversaries in March are hard. Money worries and letters from the council are triggers.",
    "Arguments at home; being alone at weekends; loud, crowded places.",
    "Stopping my medication because of side effects; missing appointments.",
    "Being shouted at or touched without warning; feeling judged.",
];

const WHAT_HELPS: &[&str] = &[
    "Speak calmly and tell me who you are. Give me time to answer. Sitting down helps me feel less cornered.",
    "Ask me if I want to call my sister. A quiet room and a cup of tea help me come down.",
    "Remind me I have been through this before and got through it. Let me keep my headphones.",
    "Offer me the Nightlight Café or Lantern House before hospital if it is safe to.",
    "Tell me what is happening and what will happen next, step by step.",
];

const WHAT_DOES_NOT_HELP: &[&str] = &[
    "Lots of people talking at once. Being touched without asking first.",
    "Being told to calm down. Flashing lights and sirens make it worse.",
    "Being taken to A&E to wait for hours in a busy waiting room if it can be avoided.",
    "Talking about me as if I am not there.",
    "Raised voices; being rushed into decisions.",
];

const PRACTICAL: &[&str] = &[
    "I have a cat; my neighbour at number 12 has a key and will feed her.",
    "I look after my son after school; his father can collect him. Please tell the school if I am away.",
    "Please make sure my flat is locked; the spare key is with my support worker.",
    "I have a dog that needs walking twice a day; my brother will take him.",
    "My benefits appointment letters are in the kitchen drawer; please let my care coordinator know if I miss one.",
];

const MEDICATION: &[&str] = &[
    "Takes an antipsychotic at night. Has type 2 diabetes: check blood sugar if confused.",
    "Prescribed an antidepressant; history of overdose: care team to review the quantity supplied.",
    "Asthma: has an inhaler. Allergic to penicillin.",
    "Epilepsy, well controlled; a seizure can look like agitation afterwards.",
    "Takes a mood stabiliser; needs regular blood tests. Drinks heavily when unwell: check for withdrawal.",
];

const ADVANCE: &[&str] = &[
    "If I need to go into hospital I would prefer Ward 3 at Northvale, where I know the staff. I do not want injections unless there is no other way.",
    "If I lose capacity I want my sister to be told and involved in decisions.",
    "I would rather go to Lantern House than hospital if the team thinks it is safe.",
    "Please do not contact my employer.",
];

const OWN_WORDS: &[&str] = &[
    "When I go quiet it does not mean I am fine. Please keep talking to me gently.",
    "I am not dangerous, I am scared. If you slow down, I will slow down too.",
    "I have got through this before. Help me remember that.",
    "Please treat me as a person first. Ask me what I need; I usually know.",
    "The café and my peer worker have done more for me than any hospital stay.",
];

const WHO_NOT: &[&str] = &[
    "Please do not contact my ex-partner.",
    "Please do not call my parents unless I ask you to.",
    "Please do not contact my workplace.",
    "There is nobody I do not want told.",
];

const FAMILY_ROLES: &[&str] = &[
    "sister", "brother", "mother", "father", "partner", "friend", "daughter", "son",
];

fn person_name(rng: &mut DemoRng) -> String {
    let given = if chance(rng, 0.5) {
        pick(rng, GIVEN_FEMALE)
    } else {
        pick(rng, GIVEN_MALE)
    };
    format!("{given} {}", pick(rng, FAMILY))
}

/// Numbers from Ofcom's drama range for Leeds (0113 496 0xxx), kept apart from the people's own numbers.
fn contact_phone(rng: &mut DemoRng) -> String {
    format!("0113 496 0{:03}", rng.random_range(0..1000u32))
}

fn section(
    rng: &mut DemoRng,
    kind: SectionKind,
    sharing: SharingLevel,
    who_to_contact: &str,
) -> PlanSection {
    let text = match kind {
        SectionKind::WhatCrisisLooksLike => pick(rng, CRISIS_LOOKS_LIKE).to_string(),
        SectionKind::EarlySignsAndTriggers => pick(rng, EARLY_SIGNS).to_string(),
        SectionKind::WhatHelps => pick(rng, WHAT_HELPS).to_string(),
        SectionKind::WhatDoesNotHelp => pick(rng, WHAT_DOES_NOT_HELP).to_string(),
        SectionKind::WhoToContact => who_to_contact.to_string(),
        SectionKind::PracticalNeeds => pick(rng, PRACTICAL).to_string(),
        SectionKind::MedicationAndPhysicalHealth => pick(rng, MEDICATION).to_string(),
        SectionKind::AdvanceStatement => pick(rng, ADVANCE).to_string(),
    };
    PlanSection {
        kind,
        text,
        sharing,
    }
}

fn at_noon(date: NaiveDate) -> DateTime<Utc> {
    local_midnight(date) + Duration::hours(12)
}

pub(crate) fn generate(
    rng: &mut DemoRng,
    params: &DemoParams,
    contacts: &[Contact],
    people: &[Person],
) -> Vec<CrisisPlan> {
    let end = params.end();
    let mut counts: BTreeMap<&str, (usize, NaiveDate)> = BTreeMap::new();
    for c in contacts {
        if let Some(p) = c.person.as_deref() {
            let date = c.call_at.date_naive();
            let entry = counts.entry(p).or_insert((0, date));
            entry.0 += 1;
        }
    }
    let mut plans = Vec::new();
    for person in people {
        let Some((n, first)) = counts.get(person.key.as_str()).copied() else {
            continue;
        };
        let p = match n {
            0..=1 => 0.04,
            2..=5 => 0.25,
            _ => 0.85,
        };
        if !chance(rng, p) {
            continue;
        }
        let earliest = first + Duration::days(14);
        let latest = end - Duration::days(7);
        if earliest >= latest {
            continue;
        }
        let span = (latest - earliest).num_days();
        let created_on = earliest + Duration::days(rng.random_range(0..=span.min(120)));
        plans.push(one_plan(rng, plans.len() + 1, person, created_on, end));
    }
    plans
}

fn one_plan(
    rng: &mut DemoRng,
    index: usize,
    person: &Person,
    created_on: NaiveDate,
    end: NaiveDate,
) -> CrisisPlan {
    let author = pick(rng, CRISIS_CLINICIANS).to_string();
    let coproduced = chance(rng, 0.85);
    let relative = person_name(rng);
    let role = pick(rng, FAMILY_ROLES);
    let mut participants = Vec::new();
    if coproduced {
        participants.push(format!(
            "{} {} (the person)",
            person.given_name, person.family_name
        ));
    }
    participants.push("Care coordinator, Northvale Mental Health NHS Foundation Trust".to_string());
    if chance(rng, 0.6) {
        participants.push(format!("{relative} ({role})"));
    }
    if chance(rng, 0.35) {
        participants.push("Peer support worker, Northvale Peer Support Network".to_string());
    }
    if chance(rng, 0.2) {
        participants
            .push("Street triage nurse, Northvale Mental Health NHS Foundation Trust".to_string());
    }
    let who_not = pick(rng, WHO_NOT);
    let who = format!(
        "Please call my {role}, {relative}, on {}. My care coordinator is at the community team on weekdays; \
         out of hours call the crisis team. {who_not}",
        contact_phone(rng)
    );

    use SectionKind::*;
    use SharingLevel::*;
    let level = |rng: &mut DemoRng, p: f64, rare: SharingLevel, usual: SharingLevel| {
        if chance(rng, p) { rare } else { usual }
    };
    let early = level(rng, 0.3, CliniciansOnly, AllResponders);
    let contact = level(rng, 0.3, CareTeam, AllResponders);
    let advance = level(rng, 0.6, CareTeam, CliniciansOnly);
    let mut sections = vec![
        section(rng, WhatCrisisLooksLike, AllResponders, &who),
        section(rng, EarlySignsAndTriggers, early, &who),
        section(rng, WhatHelps, AllResponders, &who),
        section(rng, WhatDoesNotHelp, AllResponders, &who),
        section(rng, WhoToContact, contact, &who),
    ];
    if chance(rng, 0.8) {
        sections.push(section(rng, PracticalNeeds, AllResponders, &who));
    }
    sections.push(section(
        rng,
        MedicationAndPhysicalHealth,
        CliniciansOnly,
        &who,
    ));
    if chance(rng, 0.6) {
        sections.push(section(rng, AdvanceStatement, advance, &who));
    }
    let own_words = (coproduced && chance(rng, 0.7)).then(|| pick(rng, OWN_WORDS).to_string());

    // Reviews every six months; about one plan in five has missed its latest review.
    let mut last_reviewed_on = created_on;
    let mut version = 1;
    let misses = chance(rng, 0.2);
    while let Some(next) = last_reviewed_on.checked_add_months(Months::new(6)) {
        if next >= end
            || (misses
                && next
                    .checked_add_months(Months::new(6))
                    .is_none_or(|n| n >= end))
        {
            break;
        }
        last_reviewed_on =
            (next + Duration::days(rng.random_range(-10..=20))).min(end - Duration::days(1));
        version += 1;
    }
    let review_due = last_reviewed_on
        .checked_add_months(Months::new(6))
        .unwrap_or(last_reviewed_on);
    let recorded_at = at_noon(created_on);
    let consent = consent(rng, &sections, recorded_at, created_on, end, &author);

    CrisisPlan {
        key: format!("CP{index:05}"),
        person: person.key.clone(),
        owner_org: TRUST.to_string(),
        author,
        version,
        coproduced,
        participants,
        sections,
        own_words,
        created_at: recorded_at,
        last_reviewed_on,
        review_due,
        consent,
    }
}

fn consent(
    rng: &mut DemoRng,
    sections: &[PlanSection],
    recorded_at: DateTime<Utc>,
    created_on: NaiveDate,
    end: NaiveDate,
    author: &str,
) -> PlanConsent {
    let everyone = vec![
        OrgKind::MentalHealthTrust,
        OrgKind::AcuteTrust,
        OrgKind::AmbulanceService,
        OrgKind::PoliceForce,
        OrgKind::FireAndRescue,
        OrgKind::LocalAuthority,
        OrgKind::Vcse,
        OrgKind::Other,
    ];
    let health_only = vec![
        OrgKind::MentalHealthTrust,
        OrgKind::AcuteTrust,
        OrgKind::AmbulanceService,
        OrgKind::Other,
    ];
    let shared: Vec<SectionKind> = sections
        .iter()
        .filter(|s| s.sharing == SharingLevel::AllResponders)
        .map(|s| s.kind)
        .collect();
    let with_clinical: Vec<SectionKind> = sections
        .iter()
        .filter(|s| s.sharing != SharingLevel::CareTeam)
        .map(|s| s.kind)
        .collect();
    let base = PlanConsent {
        status: ConsentStatus::Given,
        legal_basis: LegalBasis::Consent,
        basis_note: None,
        org_kinds: everyone.clone(),
        sections: with_clinical.clone(),
        recorded_at,
        recorded_by: author.to_string(),
        valid_until: None,
        withdrawn_at: None,
    };
    let days_left = (end - created_on).num_days().max(1);
    match weighted(rng, &[55.0, 12.0, 8.0, 8.0, 7.0, 5.0, 5.0]) {
        // Given, to everyone, for the sections the person chose.
        0 => PlanConsent {
            sections: if chance(rng, 0.5) { shared } else { with_clinical },
            valid_until: chance(rng, 0.3).then(|| created_on + Duration::days(rng.random_range(365..=730))),
            ..base
        },
        // Given, to health services only: not the police or fire service.
        1 => PlanConsent {
            org_kinds: health_only,
            ..base
        },
        // Given, then withdrawn.
        2 => PlanConsent {
            status: ConsentStatus::Withdrawn,
            withdrawn_at: Some(recorded_at + Duration::days(rng.random_range(1..=days_left))),
            ..base
        },
        // Given for a fixed time that has run out.
        3 => PlanConsent {
            valid_until: Some(created_on + Duration::days(rng.random_range(1..=days_left.min(365)))),
            ..base
        },
        // Given for the responder sections only, to everyone except the police.
        4 => PlanConsent {
            org_kinds: everyone
                .into_iter()
                .filter(|k| *k != OrgKind::PoliceForce)
                .collect(),
            sections: shared,
            ..base
        },
        // No decision recorded: shared with health partners for direct care.
        5 => PlanConsent {
            status: ConsentStatus::OtherBasis,
            legal_basis: LegalBasis::DirectCare,
            basis_note: Some(
                "Shared with health partners for the person's direct care (UK GDPR Art 6(1)(e) and 9(2)(h)); \
                 the person has been told and has not objected."
                    .into(),
            ),
            org_kinds: health_only,
            ..base
        },
        // The person could not decide during a crisis: vital interests until they can be asked.
        _ => PlanConsent {
            status: ConsentStatus::OtherBasis,
            legal_basis: LegalBasis::VitalInterests,
            basis_note: Some(
                "The person lacked capacity to decide during a crisis; the responder sections are shared in their \
                 vital interests until they can be asked."
                    .into(),
            ),
            sections: shared,
            ..base
        },
    }
}
