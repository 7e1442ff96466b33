//! Whole-region tests. The default region is generated once and shared: it is the one users see.

use crate::*;
use chrono::{Datelike, Timelike};
use concordat_domain::{NhsNumber, OrgKind, Postcode, Role};
use std::collections::BTreeSet;
use std::sync::OnceLock;

fn default_region() -> &'static DemoRegion {
    static REGION: OnceLock<DemoRegion> = OnceLock::new();
    REGION.get_or_init(|| generate(&DemoParams::default()))
}

fn small(seed: u64) -> DemoParams {
    DemoParams {
        seed,
        residents: 40_000,
        years: 2,
        triage_start: chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
        ..DemoParams::default()
    }
}

#[test]
fn same_seed_same_region_other_seed_other_region() {
    let a = generate(&small(7));
    let b = generate(&small(7));
    assert_eq!(a, b);
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
    let c = generate(&small(8));
    assert_ne!(a.contacts, c.contacts);
}

#[test]
fn every_org_kind_and_role_is_present() {
    let r = default_region();
    for kind in OrgKind::ALL {
        assert!(r.organisations.iter().any(|o| o.kind == *kind), "{kind:?}");
    }
    assert!(
        r.organisations
            .iter()
            .filter(|o| o.kind == OrgKind::Vcse)
            .count()
            >= 3
    );
    for role in Role::ALL {
        let logins = r
            .staff
            .iter()
            .filter(|s| s.role == *role && s.demo_login)
            .count();
        assert_eq!(logins, 1, "{role:?}");
    }
    let orgs: BTreeSet<&str> = r.organisations.iter().map(|o| o.key.as_str()).collect();
    for s in &r.staff {
        assert!(orgs.contains(s.org.as_str()), "{}", s.username);
        assert!(s.email.ends_with("@example.org"));
    }
    let kind_of = |key: &str| {
        r.organisations
            .iter()
            .find(|o| o.key == key)
            .map(|o| o.kind)
    };
    for s in r.staff.iter().filter(|s| s.role == Role::Responder) {
        assert!(
            kind_of(&s.org).is_some_and(OrgKind::is_emergency_service),
            "{}",
            s.username
        );
    }
    for a in &r.sharing_agreements {
        assert!(orgs.contains(a.from_org.as_str()) && orgs.contains(a.to_org.as_str()));
        assert!(!a.categories.is_empty());
    }
    assert!(
        r.sharing_agreements
            .iter()
            .any(|a| a.review_on < r.params.end()),
        "some overdue"
    );
}

#[test]
fn identifiers_are_valid_and_clearly_synthetic() {
    let r = default_region();
    let mut seen = BTreeSet::new();
    let with_number = r.people.iter().filter(|p| p.nhs_number.is_some()).count();
    assert!(
        with_number * 10 > r.people.len() * 8,
        "most people have an NHS number"
    );
    assert!(with_number < r.people.len(), "some do not");
    for p in &r.people {
        if let Some(n) = p.nhs_number {
            assert!(n.digits().starts_with("999"), "test range");
            assert_eq!(NhsNumber::parse(&n.digits()), Ok(n));
            assert!(seen.insert(n.digits()), "unique");
        }
        assert_eq!(
            Postcode::parse(p.postcode.as_str()).as_ref(),
            Ok(&p.postcode)
        );
        assert_eq!(p.postcode.area(), "ZZ");
        if let Some(phone) = &p.phone {
            assert!(
                phone.starts_with("07700 900") || phone.starts_with("01632 960"),
                "{phone}"
            );
        }
        if let Some(email) = &p.email {
            assert!(email.ends_with("@example.org"));
        }
    }
    let phones: Vec<&String> = r.people.iter().filter_map(|p| p.phone.as_ref()).collect();
    assert_eq!(phones.len(), phones.iter().collect::<BTreeSet<_>>().len());
    let postcodes = r
        .contacts
        .iter()
        .map(|c| &c.postcode)
        .chain(r.organisations.iter().map(|o| &o.postcode))
        .chain(r.places_of_safety.iter().map(|p| &p.postcode));
    for pc in postcodes {
        assert_eq!(pc.area(), "ZZ");
        assert_eq!(Postcode::parse(pc.as_str()).as_ref(), Ok(pc));
    }
    for n in &r.neighbourhoods {
        assert!(Postcode::parse(&format!("{} 1AA", n.postcode_district)).is_ok());
        // ZZ99 is the NHS pseudo-postcode district (no fixed abode and the like).
        assert_ne!(n.postcode_district, "ZZ99");
    }
}

#[test]
fn references_resolve_and_keys_are_unique() {
    let r = default_region();
    let people: BTreeSet<&str> = r.people.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(people.len(), r.people.len());
    let orgs: BTreeSet<&str> = r.organisations.iter().map(|o| o.key.as_str()).collect();
    let staff: BTreeSet<&str> = r.staff.iter().map(|s| s.username.as_str()).collect();
    let areas: BTreeSet<&str> = r.neighbourhoods.iter().map(|n| n.code.as_str()).collect();
    let keys: BTreeSet<&str> = r.contacts.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys.len(), r.contacts.len());
    let mut used = BTreeSet::new();
    for c in &r.contacts {
        match (&c.person, &c.person_description) {
            (Some(p), None) => {
                assert!(people.contains(p.as_str()));
                used.insert(p.as_str());
            }
            (None, Some(_)) => {}
            _ => panic!("{}: a person or a description, not both", c.key),
        }
        assert!(!c.agencies.is_empty());
        assert!(c.agencies.iter().all(|a| orgs.contains(a.as_str())));
        assert!(staff.contains(c.recorded_by.as_str()));
        assert!(areas.contains(c.neighbourhood.as_str()));
        assert!(c.cell_x() < GRID_KM && c.cell_y() < GRID_KM);
        assert!(c.arrived_at.is_none_or(|a| a >= c.call_at));
    }
    assert_eq!(
        used.len(),
        r.people.len(),
        "every person appears in the activity"
    );
    assert!(r.contacts.windows(2).all(|w| w[0].call_at <= w[1].call_at));
}

#[test]
fn outcomes_respect_the_law_and_record_reasons() {
    for c in &default_region().contacts {
        if c.outcome == Outcome::Section136 {
            assert_ne!(
                c.setting,
                Setting::PrivatePremises,
                "s136 cannot be used in a dwelling"
            );
            assert!(c.agencies.iter().any(|a| a == "northvale-police"));
        }
        if c.conveyance == Conveyance::PoliceVehicle {
            assert!(c.conveyance_reason.is_some());
        }
        if c.police_minutes > 0 {
            assert!(c.agencies.iter().any(|a| a == "northvale-police"));
        }
    }
}

#[test]
fn volume_matches_the_documented_rate() {
    let r = default_region();
    let s = summarise(r);
    for year in &s.contacts_per_year {
        assert!((3_600..5_000).contains(year), "{year}");
    }
    assert!(
        s.contacts_per_year[2] > s.contacts_per_year[0],
        "mild upward trend"
    );
    assert!((0.8..0.92).contains(&s.linked_share));
    assert_eq!(
        r.neighbourhoods.iter().map(|n| n.population).sum::<u32>(),
        r.params.residents
    );
}

#[test]
fn evenings_nights_and_weekends_are_busiest() {
    let r = default_region();
    let mut by_hour = [0u32; 24];
    for c in &r.contacts {
        by_hour[calendar::to_local(c.call_at).hour() as usize] += 1;
    }
    let evening: u32 = [20, 21, 22, 23, 0, 1].iter().map(|h| by_hour[*h]).sum();
    let early: u32 = [4, 5, 6, 7, 8, 9].iter().map(|h| by_hour[*h]).sum();
    assert!(evening > 2 * early, "{by_hour:?}");
    let s = summarise(r);
    assert!(s.weekend_night_to_weekday_day > 1.6, "{s:?}");
    let (day, hour) = (s.peak_hour_of_week / 24, s.peak_hour_of_week % 24);
    assert!(hour >= 19 || hour <= 1, "peak at {day} {hour}:00");
    assert!(day >= 4, "peak on Friday to Sunday, got day {day}");
}

#[test]
fn contacts_cluster_in_the_town_centre_and_stations() {
    let r = default_region();
    let s = summarise(r);
    assert!(s.busiest_5pct_cells_share > 0.3, "{s:?}");
    let centre = r
        .contacts
        .iter()
        .filter(|c| c.neighbourhood == "NV01")
        .count();
    let mean = r.contacts.len() / r.neighbourhoods.len();
    assert!(centre > 3 * mean, "town centre {centre}, mean {mean}");
}

#[test]
fn some_people_meet_the_high_intensity_use_thresholds() {
    let s = summarise(default_region());
    assert!(s.high_intensity_people >= 5, "{s:?}");
    assert!(s.max_contacts_in_a_year > 20);
    assert!(s.top_1pct_share > 0.1, "heavy tail: {s:?}");
}

#[test]
fn street_triage_lowers_s136_detentions() {
    let r = default_region();
    let s = summarise(r);
    let fall = 1.0 - s.s136_per_100_public_after / s.s136_per_100_public_before;
    assert!((0.3..0.6).contains(&fall), "{fall}: {s:?}");
    assert!(
        s.s136_per_month_after < 0.75 * s.s136_per_month_before,
        "{s:?}"
    );
    assert!(
        r.contacts
            .iter()
            .all(|c| !c.street_triage
                || calendar::to_local(c.call_at).date() >= r.params.triage_start)
    );
    // Contacts keep their volume: the service changes outcomes, not demand.
    let months = monthly_counts(r);
    let mean =
        |ms: &[MonthCount]| ms.iter().map(|m| f64::from(m.contacts)).sum::<f64>() / ms.len() as f64;
    let (before, after): (Vec<MonthCount>, Vec<MonthCount>) =
        months.into_iter().partition(|m| m.triage == 0);
    assert!(mean(&after) > mean(&before));
}

#[test]
fn csv_exports_have_one_row_per_contact_and_month() {
    let r = generate(&small(3));
    let mut out = Vec::new();
    write_contacts_csv(&r, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(csv::CONTACTS_HEADER));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), r.contacts.len());
    let columns = csv::CONTACTS_HEADER.split(',').count();
    assert!(rows.iter().all(|row| row.split(',').count() == columns));
    let first = &r.contacts[0];
    // January: local time is UTC, with a zero offset.
    let utc = first.call_at.format("%Y-%m-%dT%H:%M:%S").to_string();
    assert!(rows[0].starts_with(&format!("{},{utc}+00:00,{utc}Z,", first.key)));
    let summer = r
        .contacts
        .iter()
        .position(|c| c.call_at.month() == 7)
        .unwrap();
    let c = &r.contacts[summer];
    let local = (c.call_at + chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%S");
    assert!(
        rows[summer].starts_with(&format!("{},{local}+01:00,", c.key)),
        "{}",
        rows[summer]
    );

    let mut out = Vec::new();
    write_monthly_csv(&r, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().next(), Some(csv::MONTHLY_HEADER));
    assert_eq!(text.lines().count(), 1 + 24);
    let months = monthly_counts(&r);
    assert_eq!(
        months.iter().map(|m| m.contacts as usize).sum::<usize>(),
        r.contacts.len()
    );
    assert_eq!(
        months.iter().map(|m| m.s136 as usize).sum::<usize>(),
        r.contacts
            .iter()
            .filter(|c| c.outcome == Outcome::Section136)
            .count()
    );
    assert_eq!((months[0].month.as_str(), months[0].triage), ("2023-01", 0));
    assert_eq!(
        (months[12].month.as_str(), months[12].triage),
        ("2024-01", 1)
    );
    assert!(months.iter().all(|m| m.year == 2023 || m.year == 2024));
    assert!(r.contacts.iter().all(|c| c.call_at.year() >= 2022));
}

#[test]
fn extra_people_are_added_without_activity() {
    let mut p = small(5);
    let base = generate(&p);
    p.extra_people = 500;
    let more = generate(&p);
    assert_eq!(more.people.len(), base.people.len() + 500);
    assert_eq!(more.contacts, base.contacts);
}

#[test]
fn one_episode_per_detention_within_the_2017_rules() {
    let r = default_region();
    let detentions: Vec<&Contact> = r
        .contacts
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Section136 | Outcome::Section135))
        .collect();
    assert_eq!(r.episodes.len(), detentions.len());
    let places: std::collections::BTreeMap<&str, &Place> = r
        .places_of_safety
        .iter()
        .map(|p| (p.key.as_str(), p))
        .collect();
    for (e, c) in r.episodes.iter().zip(&detentions) {
        assert_eq!(e.contact, c.key);
        assert_eq!(e.person, c.person);
        assert!(e.detained_at >= c.call_at);
        assert!(
            e.consultation.consulted.is_some() != e.consultation.not_practicable_reason.is_some(),
            "{}: consulted or a reason why not",
            e.key
        );
        assert!(!e.stays.is_empty());
        let start = e.clock_started_at().unwrap();
        match (e.power, e.kept_where_they_are_at) {
            (Power::Section135, Some(kept)) => {
                // Kept at home: the clock runs from the officers' entry, before the decision.
                assert_eq!(Some(start), e.warrant_entry_at);
                assert!(kept >= start && e.stays[0].home_consent.is_some_and(|h| h.person_agreed));
            }
            (Power::Section135, None) => {
                assert!(e.warrant_entry_at.is_some() && start >= e.detained_at)
            }
            (Power::Section136, kept) => {
                assert!(kept.is_none() && e.warrant_entry_at.is_none());
                assert!(start >= e.detained_at);
                assert_ne!(e.detention_place_kind, DetentionPlaceKind::PrivateDwelling);
            }
        }
        for w in e.stays.windows(2) {
            assert!(
                w[0].departed_at.unwrap() <= w[1].arrived_at,
                "{}: stays in order",
                e.key
            );
            assert!(w[0].transfer_reason.is_some());
        }
        for s in &e.stays {
            assert!(s.departed_at.unwrap() >= s.arrived_at);
            match &s.place {
                Some(key) => {
                    let place = places[key.as_str()];
                    assert_eq!(place.kind, s.kind);
                    if e.age_at_detention.is_some_and(|a| a < 18) {
                        assert!(place.accepts_under_18, "{}: under 18 at {key}", e.key);
                    }
                }
                None => {
                    assert_eq!((s.kind, e.power), (PlaceKind::Home, Power::Section135));
                    assert!(s.home_consent.is_some());
                }
            }
        }
        let extra = e.extension.as_ref().map_or(0, |x| i64::from(x.minutes));
        let limit = start + chrono::Duration::minutes(24 * 60 + extra);
        let (doctor_seen, amhp_seen) = (e.doctor_seen_at.unwrap(), e.amhp_seen_at.unwrap());
        let (completed, ended) = (e.assessment_completed_at.unwrap(), e.ended_at.unwrap());
        assert!(doctor_seen >= start && amhp_seen >= start);
        assert!(completed >= doctor_seen.max(amhp_seen));
        assert!(e.outcome.is_some() && e.amhp.is_some());
        assert!(completed <= limit && ended <= limit, "{}", e.key);
        assert_eq!(e.stays.last().unwrap().departed_at, Some(ended));
        if let Some(x) = &e.extension {
            assert!(x.minutes >= 60 && x.minutes <= 12 * 60);
            assert!(x.authorised_at < start + chrono::Duration::hours(24));
            assert_eq!(
                Some(&x.authorised_by),
                e.doctor.as_ref(),
                "only the examining doctor extends"
            );
            let detail = x.reason_detail.to_lowercase();
            assert!(
                !detail.contains("available") && !detail.contains("amhp"),
                "{detail}"
            );
            assert!(completed > start + chrono::Duration::hours(24));
        }
        if e.transport == Transport::PoliceVehicle {
            assert!(e.police_vehicle_reason.is_some());
        }
    }
}

#[test]
fn one_adult_police_station_use_with_the_regulation_conditions() {
    let r = default_region();
    let uses: Vec<&Episode> = r
        .episodes
        .iter()
        .filter(|e| e.police_station.is_some())
        .collect();
    assert_eq!(uses.len(), 1);
    let e = uses[0];
    assert!(e.age_at_detention.is_some_and(|a| a >= 18));
    let ps = e.police_station.as_ref().unwrap();
    assert!(ps.imminent_risk_of_serious_harm && ps.no_other_place_can_manage);
    assert!(ps.healthcare_professional_available && ps.health_professional_consulted);
    assert!(ps.authorised_by.starts_with("Inspector"));
    assert!(
        ps.authorised_by_rank >= PoliceRank::Inspector
            && ps.decided_by_rank < PoliceRank::Inspector
    );
    let stay = e
        .stays
        .iter()
        .find(|s| s.kind == PlaceKind::PoliceStation)
        .unwrap();
    assert_eq!(ps.welfare_checks.first(), Some(&stay.arrived_at));
    assert!(
        ps.welfare_checks
            .windows(2)
            .all(|w| w[1] - w[0] <= chrono::Duration::minutes(30))
    );
    assert!(
        stay.departed_at.unwrap() - *ps.welfare_checks.last().unwrap()
            <= chrono::Duration::minutes(30)
    );
    assert!(
        e.extension.is_none()
            || e.extension
                .as_ref()
                .unwrap()
                .superintendent_approved_at
                .is_some()
    );
    let s = summarise(r);
    assert!(
        s.episodes_ae_first > 0 && s.episodes_with_transfer > 0 && s.episodes_extended > 0,
        "{s:?}"
    );
    assert!(
        r.episodes
            .iter()
            .any(|e| e.power == Power::Section135 && e.stays[0].kind == PlaceKind::Home)
    );
}

#[test]
fn places_of_safety_cover_every_kind_people_are_taken_to() {
    let r = default_region();
    for kind in [
        PlaceKind::HealthBasedPlaceOfSafety,
        PlaceKind::EmergencyDepartment,
        PlaceKind::PoliceStation,
        PlaceKind::CrisisHouse,
        PlaceKind::SafeHaven,
    ] {
        assert!(
            r.places_of_safety.iter().any(|p| p.kind == kind),
            "{kind:?}"
        );
    }
    let cafe = r
        .places_of_safety
        .iter()
        .find(|p| p.kind == PlaceKind::SafeHaven)
        .unwrap();
    assert!(!cafe.open_24_7 && cafe.sessions.len() == 7);
    assert!(r.places_of_safety.iter().all(|p| p.capacity > 0));
    let orgs: BTreeSet<&str> = r.organisations.iter().map(|o| o.key.as_str()).collect();
    assert!(
        r.places_of_safety
            .iter()
            .all(|p| orgs.contains(p.org.as_str()))
    );
}

#[test]
fn crisis_plans_are_coproduced_with_varied_consent() {
    let r = default_region();
    let end = r.params.end();
    let people: BTreeSet<&str> = r.people.iter().map(|p| p.key.as_str()).collect();
    let keys: BTreeSet<&str> = r.crisis_plans.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys.len(), r.crisis_plans.len());
    let clinicians: BTreeSet<&str> = r
        .staff
        .iter()
        .filter(|s| s.role == Role::CrisisClinician)
        .map(|s| s.username.as_str())
        .collect();
    for plan in &r.crisis_plans {
        assert!(people.contains(plan.person.as_str()));
        assert!(clinicians.contains(plan.author.as_str()));
        assert!(plan.review_due > plan.last_reviewed_on && plan.last_reviewed_on < end);
        assert!(plan.created_at.date_naive() <= plan.last_reviewed_on);
        assert_eq!(
            plan.coproduced,
            plan.participants
                .iter()
                .any(|p| p.ends_with("(the person)"))
        );
        assert!(plan.own_words.is_none() || plan.coproduced);
        let kinds: Vec<SectionKind> = plan.sections.iter().map(|s| s.kind).collect();
        assert!(plan.consent.sections.iter().all(|k| kinds.contains(k)));
        assert!(plan.sections.iter().all(|s| !s.text.is_empty()));
        let c = &plan.consent;
        match c.status {
            ConsentStatus::Given => assert_eq!(
                (c.legal_basis, c.withdrawn_at),
                (concordat_domain::LegalBasis::Consent, None)
            ),
            ConsentStatus::Withdrawn => assert!(c.withdrawn_at.is_some_and(|w| w > c.recorded_at)),
            ConsentStatus::OtherBasis => {
                assert_ne!(c.legal_basis, concordat_domain::LegalBasis::Consent);
                assert!(c.basis_note.is_some());
            }
        }
    }
    for status in ConsentStatus::ALL {
        assert!(
            r.crisis_plans.iter().any(|p| p.consent.status == *status),
            "{status:?}"
        );
    }
    for level in SharingLevel::ALL {
        assert!(
            r.crisis_plans
                .iter()
                .any(|p| p.sections.iter().any(|s| s.sharing == *level))
        );
    }
    assert!(
        r.crisis_plans.iter().any(|p| p.review_due < end),
        "some overdue"
    );
    assert!(
        r.crisis_plans.iter().any(|p| p.review_due >= end),
        "some in date"
    );
    assert!(
        r.crisis_plans
            .iter()
            .any(|p| p.consent.valid_until.is_some_and(|d| d < end)),
        "some lapsed"
    );
    assert!(
        r.crisis_plans
            .iter()
            .any(|p| !p.consent.org_kinds.contains(&OrgKind::PoliceForce))
    );
    // Most people with frequent contact have a plan: a support need leads to a plan, not to sanctions.
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for c in &r.contacts {
        if let Some(p) = &c.person {
            *counts.entry(p.as_str()).or_default() += 1;
        }
    }
    let planned: BTreeSet<&str> = r.crisis_plans.iter().map(|p| p.person.as_str()).collect();
    let frequent: Vec<&str> = counts
        .iter()
        .filter(|(_, n)| **n > 20)
        .map(|(p, _)| *p)
        .collect();
    let with_plan = frequent.iter().filter(|p| planned.contains(*p)).count();
    assert!(
        with_plan * 10 >= frequent.len() * 7,
        "{with_plan} of {}",
        frequent.len()
    );
}

#[test]
fn odd_parameters_give_small_regions_without_panicking() {
    let base = DemoParams::default();
    let cases = [
        DemoParams {
            residents: 0,
            years: 1,
            ..base.clone()
        },
        DemoParams {
            residents: 1_000,
            years: 0,
            ..base.clone()
        },
        DemoParams {
            residents: 5_000,
            years: 1,
            start: chrono::NaiveDate::from_ymd_opt(2024, 2, 29).unwrap(),
            triage_start: chrono::NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
            ..base.clone()
        },
    ];
    for params in cases {
        let r = generate(&params);
        assert_eq!(monthly_counts(&r).len(), params.months() as usize);
        assert!(r.contacts.iter().all(|c| !c.street_triage));
        assert_eq!(
            r.neighbourhoods.iter().map(|n| n.population).sum::<u32>(),
            params.residents
        );
        let _ = summarise(&r);
        let _ = live_activity(&r, chrono::Utc::now());
    }
}

/// Formats a count with thousands separators, as the documentation does.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn documented_figures_match_the_default_region() {
    // docs/demo-data.md quotes these; if this fails, re-run the demo_stats example and update the page.
    let docs = include_str!("../../../docs/demo-data.md");
    let s = summarise(default_region());
    let per_year: Vec<String> = s.contacts_per_year.iter().map(|n| thousands(*n)).collect();
    let expected = [
        format!("| contacts per year | {} |", per_year.join(" / ")),
        format!("| people with records | {} |", thousands(s.people)),
        format!(
            "| episodes / A&E first / with a transfer / extended / police station | {} / {} / {} / {} / {} |",
            s.episodes,
            s.episodes_ae_first,
            s.episodes_with_transfer,
            s.episodes_extended,
            s.episodes_police_station
        ),
        format!("| crisis plans | {} |", s.crisis_plans),
        format!(
            "| s136 per month, before / after street triage | {:.1} / {:.1} (",
            s.s136_per_month_before, s.s136_per_month_after
        ),
        format!(
            "High Intensity Use thresholds (> 20 in a calendar year or > 5 in a calendar month) | {} |",
            s.high_intensity_people
        ),
    ];
    for line in expected {
        assert!(
            docs.contains(&line),
            "docs/demo-data.md should contain: {line}"
        );
    }
}

#[test]
fn a_region_generated_on_any_day_ends_that_day_with_the_same_shape() {
    let d = |y, m, day| chrono::NaiveDate::from_ymd_opt(y, m, day).unwrap();
    let days = [
        d(2025, 3, 30),
        d(2026, 12, 7),
        d(2027, 1, 1),
        d(2028, 2, 29),
    ];
    let mut per_month = Vec::new();
    for today in days {
        let params = DemoParams {
            residents: 40_000,
            ..DemoParams::default()
        }
        .ending_on(today);
        assert_eq!(params.end(), today);
        assert_eq!(params.start.day(), 1);
        // Three whole years, the street triage service starting halfway, plus the days of this month so far.
        let whole = 36 + u32::from(today.day() > 1);
        assert_eq!(params.months(), whole, "{today}");
        assert_eq!(
            params.triage_start,
            params
                .start
                .checked_add_months(chrono::Months::new(18))
                .unwrap()
        );
        let region = generate(&params);
        assert_eq!(
            region,
            generate(&params),
            "{today}: the same day gives the same region"
        );
        let last = region.contacts.last().expect("contacts").call_at;
        let midnight = calendar::local_midnight(today);
        assert!(
            last < midnight,
            "{today}: history ends at the start of the day"
        );
        assert!(
            midnight - last < chrono::Duration::days(2),
            "{today}: history runs up to the day"
        );
        // Plans are reviewed every six months from their creation, so few are overdue on the day.
        let overdue = region
            .crisis_plans
            .iter()
            .filter(|p| p.review_due < today)
            .count();
        assert!(
            overdue * 2 < region.crisis_plans.len(),
            "{today}: {overdue} of {} plans overdue",
            region.crisis_plans.len()
        );
        // Live activity on the day follows the history.
        let now = params.live_instant(midnight + chrono::Duration::hours(30));
        assert_eq!(calendar::to_local(now).date(), today);
        assert!(!live_activity(&region, now).episodes.is_empty());
        per_month.push(summarise(&region).contacts as f64 / f64::from(params.months()));
    }
    // Same seed, same shape: the monthly volume barely moves with the day.
    let (lo, hi) = per_month
        .iter()
        .fold((f64::MAX, 0.0_f64), |(lo, hi), x| (lo.min(*x), hi.max(*x)));
    assert!(hi / lo < 1.1, "{per_month:?}");
}
