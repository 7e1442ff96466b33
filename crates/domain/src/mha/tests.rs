//! Table-driven tests: each case renders the result as text and compares it with the expectation,
//! so a failure shows the whole picture and a new case is one line of input and the text it should produce.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use proptest::prelude::*;

use super::*;

// ---------- builders ----------

/// A UTC instant from "YYYY-MM-DD HH:MM".
fn t(s: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .expect("test time")
        .and_utc()
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
}

fn doctor() -> ProfessionalRef {
    ProfessionalRef("dr-okafor".into())
}

/// A lawful s136 detention on the street, consulted with a nurse, adult, taken by ambulance.
fn s136(detained: &str) -> Episode {
    let mut ep = Episode::new(
        Power::S136,
        t(detained),
        DetentionPlace::StreetOrPublicPlace,
        PersonAge::Years(30),
    );
    ep.consultation = Some(Consultation::Consulted {
        with: ConsultedProfessional::Nurse,
        at: Some(t(detained)),
    });
    ep.transport = Some(Transport::Ambulance);
    ep.assessment.doctor = Some(doctor());
    ep
}

fn stay(kind: PlaceOfSafetyKind, arrived: &str, departed: Option<&str>) -> Stay {
    let mut s = Stay::new(kind, t(arrived));
    s.departed_at = departed.map(t);
    if kind == PlaceOfSafetyKind::PoliceStation {
        s.police_station = Some(lawful_police_station());
    }
    if kind == PlaceOfSafetyKind::PrivateHome {
        s.home_consent = Some(HomeConsent {
            person_agreed: true,
            occupier: OccupierAgreement::PersonIsSoleOccupier,
        });
    }
    s.manager_agreed = kind == PlaceOfSafetyKind::OtherSuitablePlace;
    s
}

fn lawful_police_station() -> PoliceStationDecision {
    PoliceStationDecision {
        decision_maker: DecisionMaker::PoliceOfficer {
            rank: PoliceRank::Constable,
        },
        imminent_risk_of_serious_injury_or_death: true,
        no_other_place_can_reasonably_detain: true,
        healthcare_professional_available: true,
        authorised_by_rank: Some(PoliceRank::Inspector),
        consultation: Some(Consultation::Consulted {
            with: ConsultedProfessional::Doctor,
            at: None,
        }),
    }
}

fn extension(at: &str, minutes: u32, reason: ExtensionReason) -> Extension {
    Extension {
        authorised_at: t(at),
        minutes,
        authorised_by: doctor(),
        reason,
        reason_detail: None,
        superintendent_approval: None,
        assessment_at_police_station: None,
    }
}

fn with<T>(mut x: T, f: impl FnOnce(&mut T)) -> T {
    f(&mut x);
    x
}

// ---------- renderers ----------

fn render_errors(errs: &[FieldError]) -> String {
    if errs.is_empty() {
        return "ok".into();
    }
    errs.iter()
        .map(|e| match e.rule {
            Some(r) => format!("{}: {} [{r}]", e.field, e.message),
            None => format!("{}: {}", e.field, e.message),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn render_clock(ep: &Episode, book: &RuleBook) -> String {
    match compute_clock(ep, book) {
        Err(e) => format!("no clock: {e:?}"),
        Ok(c) => {
            let mut out = format!(
                "start {} ({}) [{}]\ndeadline {} = {}",
                c.start.format("%Y-%m-%d %H:%M UTC"),
                c.started_by.explain(),
                c.started_by.rule().code,
                c.deadline.format("%Y-%m-%d %H:%M UTC"),
                london_local(c.deadline),
            );
            match &c.extension {
                ExtensionStatus::NotRecorded => {}
                ExtensionStatus::Granted { minutes } => {
                    out += &format!("\nextension granted: {minutes} min")
                }
                ExtensionStatus::Refused { reasons } => {
                    out += &format!("\nextension refused:\n{}", render_errors(reasons))
                }
            }
            if let Some(r) = c.caveat {
                out += &format!("\ncaveat [{}]", r.code);
            }
            out
        }
    }
}

fn check(actual: String, expect: &str) {
    let expect = expect.trim();
    assert_eq!(
        actual.trim(),
        expect,
        "\n--- actual ---\n{actual}\n--- expected ---\n{expect}\n"
    );
}

fn check_clock(ep: Episode, expect: &str) {
    check(render_clock(&ep, &RuleBook::england()), expect);
}

fn check_validate(ep: Episode, expect: &str) {
    check(render_errors(&validate(&ep, &RuleBook::england())), expect);
}

// ---------- the clock ----------

#[test]
fn clock_starts_on_arrival_at_the_first_place_of_safety() {
    check_clock(
        with(s136("2024-06-01 21:40"), |e| {
            e.stays = vec![stay(PlaceOfSafetyKind::HealthBased, "2024-06-01 22:10", None)]
        }),
        "
start 2024-06-01 22:10 UTC (Started on arrival at the first place of safety: Health-based place of safety) [clock_start]
deadline 2024-06-02 22:10 UTC = Sun 2 Jun 2024 23:10 BST",
    );
}

#[test]
fn clock_via_a_and_e_starts_on_arrival_at_a_and_e_and_transfers_never_restart_it() {
    check_clock(
        with(s136("2024-06-01 21:40"), |e| {
            e.stays = vec![
                stay(
                    PlaceOfSafetyKind::EmergencyDepartment,
                    "2024-06-01 22:00",
                    Some("2024-06-02 04:00"),
                ),
                stay(PlaceOfSafetyKind::HealthBased, "2024-06-02 04:30", None),
            ]
        }),
        "
start 2024-06-01 22:00 UTC (Started on arrival at the first place of safety: A&E (emergency department)) [clock_start_emergency_department]
deadline 2024-06-02 22:00 UTC = Sun 2 Jun 2024 23:00 BST",
    );
}

#[test]
fn clock_uses_the_earliest_arrival_even_if_stays_were_entered_out_of_order() {
    check_clock(
        with(s136("2024-06-01 21:40"), |e| {
            e.stays = vec![
                stay(PlaceOfSafetyKind::HealthBased, "2024-06-02 04:30", None),
                stay(
                    PlaceOfSafetyKind::EmergencyDepartment,
                    "2024-06-01 22:00",
                    Some("2024-06-02 04:00"),
                ),
            ]
        }),
        "
start 2024-06-01 22:00 UTC (Started on arrival at the first place of safety: A&E (emergency department)) [clock_start_emergency_department]
deadline 2024-06-02 22:00 UTC = Sun 2 Jun 2024 23:00 BST",
    );
}

#[test]
fn clock_start_table() {
    let kept_s136 = with(s136("2024-01-10 09:00"), |e| {
        e.detention_place = DetentionPlace::HealthSetting;
        e.kept_where_they_are_at = Some(t("2024-01-10 09:05"));
        e.stays = vec![stay(
            PlaceOfSafetyKind::EmergencyDepartment,
            "2024-01-10 07:00",
            None,
        )];
    });
    let s135_kept = with(
        Episode::new(
            Power::S135_1,
            t("2024-01-10 10:15"),
            DetentionPlace::PrivateDwelling,
            PersonAge::Years(40),
        ),
        |e| {
            e.warrant_entry_at = Some(t("2024-01-10 10:00"));
            e.kept_where_they_are_at = Some(t("2024-01-10 10:15"));
        },
    );
    let s135_kept_no_entry = with(s135_kept.clone(), |e| e.warrant_entry_at = None);
    let s135_removed = with(s135_kept.clone(), |e| {
        e.kept_where_they_are_at = None;
        e.stays = vec![stay(
            PlaceOfSafetyKind::HealthBased,
            "2024-01-10 11:00",
            None,
        )];
    });
    let s135_2 = with(s135_removed.clone(), |e| e.power = Power::S135_2);
    let in_transit = s136("2024-01-10 09:00");
    let before_2017 = with(s136("2017-12-10 23:30"), |e| {
        e.stays = vec![stay(
            PlaceOfSafetyKind::HealthBased,
            "2017-12-11 00:10",
            None,
        )]
    });
    let first_day_2017 = with(s136("2017-12-11 00:00"), |e| {
        e.stays = vec![stay(
            PlaceOfSafetyKind::HealthBased,
            "2017-12-11 00:10",
            None,
        )]
    });

    let cases: [(&str, Episode, &str); 8] = [
        ("s136 kept where they are", kept_s136, "
start 2024-01-10 09:05 UTC (Started when the officer decided to keep the person where they were) [clock_start]
deadline 2024-01-11 09:05 UTC = Thu 11 Jan 2024 09:05 GMT"),
        ("s135(1) kept at home: from entry", s135_kept, "
start 2024-01-10 10:00 UTC (Started when the officer first entered the premises named in the warrant) [clock_start_warrant_premises]
deadline 2024-01-11 10:00 UTC = Thu 11 Jan 2024 10:00 GMT"),
        ("s135(1) kept, entry missing", s135_kept_no_entry, "no clock: MissingWarrantEntry"),
        ("s135(1) removed", s135_removed, "
start 2024-01-10 11:00 UTC (Started on arrival at the first place of safety: Health-based place of safety) [clock_start]
deadline 2024-01-11 11:00 UTC = Thu 11 Jan 2024 11:00 GMT"),
        ("s135(2): no statutory period, so no clock", s135_2, "no clock: NoStatutoryPeriod"),
        ("not yet at a place of safety", in_transit, "no clock: NotStarted"),
        ("detained before 11 Dec 2017", before_2017, "no clock: NoRulesInForce"),
        ("detained on 11 Dec 2017", first_day_2017, "
start 2017-12-11 00:10 UTC (Started on arrival at the first place of safety: Health-based place of safety) [clock_start]
deadline 2017-12-12 00:10 UTC = Tue 12 Dec 2017 00:10 GMT"),
    ];
    for (name, ep, expect) in cases {
        eprintln!("case: {name}");
        check_clock(ep, expect);
    }
}

#[test]
fn clock_counts_real_hours_across_the_clock_changes() {
    let cases = [
        // Clocks go forward at 01:00 GMT on Sun 30 Mar 2025: 24 real hours read as 25 on the wall clock.
        (
            "2025-03-30 00:30",
            "2025-03-31 00:30 UTC = Mon 31 Mar 2025 01:30 BST",
        ),
        // Clocks go back at 01:00 UTC (02:00 BST) on Sun 26 Oct 2025: 24 real hours read as 23.
        (
            "2025-10-25 23:30",
            "2025-10-26 23:30 UTC = Sun 26 Oct 2025 23:30 GMT",
        ),
        // 01:30 happens twice on 26 Oct 2025; the two arrivals are an hour apart and so are their deadlines.
        (
            "2025-10-26 00:30",
            "2025-10-27 00:30 UTC = Mon 27 Oct 2025 00:30 GMT",
        ),
        (
            "2025-10-26 01:30",
            "2025-10-27 01:30 UTC = Mon 27 Oct 2025 01:30 GMT",
        ),
        // Spring 2024: Sun 31 Mar.
        (
            "2024-03-30 12:00",
            "2024-03-31 12:00 UTC = Sun 31 Mar 2024 13:00 BST",
        ),
    ];
    for (arrival, expect) in cases {
        let ep = with(s136(arrival), |e| {
            e.stays = vec![stay(PlaceOfSafetyKind::HealthBased, arrival, None)]
        });
        let c = compute_clock(&ep, &RuleBook::england()).expect("clock");
        assert_eq!(c.deadline - c.start, TimeDelta::hours(24));
        check(
            format!(
                "{} = {}",
                c.deadline.format("%Y-%m-%d %H:%M UTC"),
                london_local(c.deadline)
            ),
            expect,
        );
    }
    assert_eq!(
        london_local(t("2025-10-26 00:30")),
        "Sun 26 Oct 2025 01:30 BST"
    );
    assert_eq!(
        london_local(t("2025-10-26 01:30")),
        "Sun 26 Oct 2025 01:30 GMT"
    );
}

#[test]
fn extension_of_12_hours_across_the_october_change_is_36_real_hours() {
    let ep = with(s136("2025-10-25 12:00"), |e| {
        e.stays = vec![stay(
            PlaceOfSafetyKind::HealthBased,
            "2025-10-25 12:00",
            None,
        )];
        e.extension = Some(extension(
            "2025-10-26 10:00",
            720,
            ExtensionReason::Intoxication,
        ));
    });
    check_clock(
        ep,
        "
start 2025-10-25 12:00 UTC (Started on arrival at the first place of safety: Health-based place of safety) [clock_start]
deadline 2025-10-27 00:00 UTC = Mon 27 Oct 2025 00:00 GMT
extension granted: 720 min",
    );
}

#[test]
fn local_times_typed_by_people() {
    let local =
        |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("test local time");
    assert_eq!(
        from_london_local(local("2025-07-01 12:00")),
        Ok(t("2025-07-01 11:00"))
    );
    assert_eq!(
        from_london_local(local("2025-03-30 01:30")),
        Err(LocalTimeError::DoesNotExist)
    );
    let amb = from_london_local(local("2025-10-26 01:30"));
    assert_eq!(
        amb,
        Err(LocalTimeError::Ambiguous {
            earlier: t("2025-10-26 00:30"),
            later: t("2025-10-26 01:30"),
        })
    );
    check(
        amb.err().map(|e| e.to_string()).unwrap_or_default(),
        "That time happened twice because the clocks went back: choose Sun 26 Oct 2025 01:30 BST or Sun 26 Oct 2025 01:30 GMT.",
    );
}

// ---------- extensions ----------

#[test]
fn extension_table() {
    // Arrival 10:00; the 24 hours run out at 10:00 the next day.
    let base = with(s136("2024-05-01 09:30"), |e| {
        e.stays = vec![stay(
            PlaceOfSafetyKind::HealthBased,
            "2024-05-01 10:00",
            None,
        )]
    });
    let at_station = with(base.clone(), |e| {
        e.stays = vec![stay(
            PlaceOfSafetyKind::PoliceStation,
            "2024-05-01 10:00",
            None,
        )]
    });
    let ext = |e: &mut Episode, x: Extension| e.extension = Some(x);
    let ok = "2024-05-02 08:00";
    let approval = |rank, at: &str| {
        Some(SeniorApproval {
            rank,
            approved_at: t(at),
        })
    };
    let head = "start 2024-05-01 10:00 UTC (Started on arrival at the first place of safety: Health-based place of safety) [clock_start]\n";
    let head_ps = "start 2024-05-01 10:00 UTC (Started on arrival at the first place of safety: Police station) [clock_start]\n";
    let unextended = "deadline 2024-05-02 10:00 UTC = Thu 2 May 2024 11:00 BST\n";
    let refused = "extension refused:\n";

    let cases: Vec<(&str, Episode, String)> = vec![
        (
            "lawful: intoxication, 6 hours",
            with(base.clone(), |e| ext(e, extension(ok, 360, ExtensionReason::Intoxication))),
            format!("{head}deadline 2024-05-02 16:00 UTC = Thu 2 May 2024 17:00 BST\nextension granted: 360 min"),
        ),
        (
            "lawful: exactly 12 hours, a minute before expiry",
            with(base.clone(), |e| ext(e, extension("2024-05-02 09:59", 720, ExtensionReason::PhysicalTreatment))),
            format!("{head}deadline 2024-05-02 22:00 UTC = Thu 2 May 2024 23:00 BST\nextension granted: 720 min"),
        ),
        (
            "after expiry",
            with(base.clone(), |e| ext(e, extension("2024-05-02 10:30", 120, ExtensionReason::TooUnwellToAssess))),
            format!("{head}{unextended}{refused}extension.authorised_at: The extension was recorded at Thu 2 May 2024 11:30 BST, but the 24 hours ran out at Thu 2 May 2024 11:00 BST: an extension can only be made before they run out (Mental Health Act 1983 s136B(1)). [extension_before_expiry]"),
        ),
        (
            "exactly at expiry is too late",
            with(base.clone(), |e| ext(e, extension("2024-05-02 10:00", 120, ExtensionReason::TooUnwellToAssess))),
            format!("{head}{unextended}{refused}extension.authorised_at: The extension was recorded at Thu 2 May 2024 11:00 BST, but the 24 hours ran out at Thu 2 May 2024 11:00 BST: an extension can only be made before they run out (Mental Health Act 1983 s136B(1)). [extension_before_expiry]"),
        ),
        (
            "longer than 12 hours",
            with(base.clone(), |e| ext(e, extension(ok, 721, ExtensionReason::Intoxication))),
            format!("{head}{unextended}{refused}extension.minutes: An extension can be for at most 12 hours; 12 h 01 min was recorded (Mental Health Act 1983 s136B(1)). [extension_max_12_hours]"),
        ),
        (
            "zero minutes",
            with(base.clone(), |e| ext(e, extension(ok, 0, ExtensionReason::Intoxication))),
            format!("{head}{unextended}{refused}extension.minutes: Enter how long the extension is for."),
        ),
        (
            "not the examining doctor",
            with(base.clone(), |e| ext(e, Extension { authorised_by: ProfessionalRef("amhp-jones".into()), ..extension(ok, 60, ExtensionReason::Intoxication) })),
            format!("{head}{unextended}{refused}extension.authorised_by: Only the doctor responsible for the examination (dr-okafor) may extend the period; this extension is recorded as authorised by amhp-jones (Mental Health Act 1983 s136B(1), inserted by the Policing and Crime Act 2017). [extension_examining_doctor]"),
        ),
        (
            "examining doctor not recorded",
            with(base.clone(), |e| { e.assessment.doctor = None; ext(e, extension(ok, 60, ExtensionReason::Intoxication)) }),
            format!("{head}{unextended}{refused}extension.authorised_by: Record the doctor responsible for the examination first: only they may extend the period (Mental Health Act 1983 s136B(1), inserted by the Policing and Crime Act 2017). [extension_examining_doctor]"),
        ),
        (
            "no AMHP available",
            with(base.clone(), |e| ext(e, extension(ok, 60, ExtensionReason::AmhpUnavailable))),
            format!("{head}{unextended}{refused}extension.reason: \"No AMHP available\" is not accepted as a reason to extend: the law allows an extension because the person's condition makes it impracticable to carry out or complete the assessment in time (s136B(2)), and local policy does not accept the unavailability of an AMHP, a doctor or a bed (Local policy, following DH/Home Office guidance on the 2017 changes (October 2017); the law's ground is the person's condition (s136B(2))). [extension_not_for_resources]"),
        ),
        (
            "no doctor available",
            with(base.clone(), |e| ext(e, extension(ok, 60, ExtensionReason::DoctorUnavailable))),
            format!("{head}{unextended}{refused}extension.reason: \"No doctor available\" is not accepted as a reason to extend: the law allows an extension because the person's condition makes it impracticable to carry out or complete the assessment in time (s136B(2)), and local policy does not accept the unavailability of an AMHP, a doctor or a bed (Local policy, following DH/Home Office guidance on the 2017 changes (October 2017); the law's ground is the person's condition (s136B(2))). [extension_not_for_resources]"),
        ),
        (
            "other condition needs a description",
            with(base.clone(), |e| ext(e, extension(ok, 60, ExtensionReason::OtherCondition))),
            format!("{head}{unextended}{refused}extension.reason_detail: Describe what in the person's condition makes the assessment impracticable in time."),
        ),
        (
            "other condition, described",
            with(base.clone(), |e| ext(e, Extension { reason_detail: Some("Post-ictal after a seizure".into()), ..extension(ok, 60, ExtensionReason::OtherCondition) })),
            format!("{head}deadline 2024-05-02 11:00 UTC = Thu 2 May 2024 12:00 BST\nextension granted: 60 min"),
        ),
        (
            "recorded before the clock started",
            with(base.clone(), |e| ext(e, extension("2024-05-01 09:45", 60, ExtensionReason::Intoxication))),
            format!("{head}{unextended}{refused}extension.authorised_at: The extension is recorded at Wed 1 May 2024 10:45 BST, before the clock started at Wed 1 May 2024 11:00 BST."),
        ),
        (
            "police station without a superintendent",
            with(at_station.clone(), |e| ext(e, extension(ok, 60, ExtensionReason::Intoxication))),
            format!("{head_ps}{unextended}{refused}extension.superintendent_approval: The person is at a police station, so a superintendent or above must also approve the extension unless the assessment will be carried out or completed somewhere else; record the approval, or that the assessment will not be at the police station (Mental Health Act 1983 s136B(3)). [extension_superintendent]"),
        ),
        (
            "police station, approved by an inspector",
            with(at_station.clone(), |e| ext(e, Extension { superintendent_approval: approval(PoliceRank::ChiefInspector, ok), ..extension(ok, 60, ExtensionReason::Intoxication) })),
            format!("{head_ps}{unextended}{refused}extension.superintendent_approval: The approval is recorded from a chief inspector, but at a police station it must come from a superintendent or above (Mental Health Act 1983 s136B(3)). [extension_superintendent]"),
        ),
        (
            "police station, approval after expiry",
            with(at_station.clone(), |e| ext(e, Extension { superintendent_approval: approval(PoliceRank::Superintendent, "2024-05-02 10:05"), ..extension(ok, 60, ExtensionReason::Intoxication) })),
            format!("{head_ps}{unextended}{refused}extension.superintendent_approval: The superintendent's approval is recorded at Thu 2 May 2024 11:05 BST, after the period ran out at Thu 2 May 2024 11:00 BST (Mental Health Act 1983 s136B(1)). [extension_before_expiry]"),
        ),
        (
            "police station, approved by a superintendent",
            with(at_station.clone(), |e| ext(e, Extension { superintendent_approval: approval(PoliceRank::Superintendent, ok), ..extension(ok, 60, ExtensionReason::Intoxication) })),
            format!("{head_ps}deadline 2024-05-02 11:00 UTC = Thu 2 May 2024 12:00 BST\nextension granted: 60 min"),
        ),
        (
            "everything wrong at once: every reason listed",
            with(at_station, |e| ext(e, Extension { authorised_by: ProfessionalRef("pc-smith".into()), ..extension("2024-05-02 11:00", 800, ExtensionReason::BedUnavailable) })),
            format!("{head_ps}{unextended}{refused}\
extension.authorised_at: The extension was recorded at Thu 2 May 2024 12:00 BST, but the 24 hours ran out at Thu 2 May 2024 11:00 BST: an extension can only be made before they run out (Mental Health Act 1983 s136B(1)). [extension_before_expiry]
extension.minutes: An extension can be for at most 12 hours; 13 h 20 min was recorded (Mental Health Act 1983 s136B(1)). [extension_max_12_hours]
extension.authorised_by: Only the doctor responsible for the examination (dr-okafor) may extend the period; this extension is recorded as authorised by pc-smith (Mental Health Act 1983 s136B(1), inserted by the Policing and Crime Act 2017). [extension_examining_doctor]
extension.reason: \"No bed available\" is not accepted as a reason to extend: the law allows an extension because the person's condition makes it impracticable to carry out or complete the assessment in time (s136B(2)), and local policy does not accept the unavailability of an AMHP, a doctor or a bed (Local policy, following DH/Home Office guidance on the 2017 changes (October 2017); the law's ground is the person's condition (s136B(2))). [extension_not_for_resources]
extension.superintendent_approval: The person is at a police station, so a superintendent or above must also approve the extension unless the assessment will be carried out or completed somewhere else; record the approval, or that the assessment will not be at the police station (Mental Health Act 1983 s136B(3)). [extension_superintendent]"),
        ),
    ];
    for (name, ep, expect) in cases {
        eprintln!("case: {name}");
        check_clock(ep, &expect);
    }
}

#[test]
fn every_non_condition_reason_is_refused_and_every_condition_reason_accepted() {
    for reason in ExtensionReason::ALL {
        let ep = with(s136("2024-05-01 09:30"), |e| {
            e.stays = vec![stay(
                PlaceOfSafetyKind::HealthBased,
                "2024-05-01 10:00",
                None,
            )];
            e.extension = Some(Extension {
                reason_detail: Some("described".into()),
                ..extension("2024-05-02 08:00", 60, *reason)
            });
        });
        let c = compute_clock(&ep, &RuleBook::england()).expect("clock");
        let granted = matches!(c.extension, ExtensionStatus::Granted { .. });
        assert_eq!(granted, reason.is_persons_condition(), "{reason:?}");
    }
}

// ---------- police stations ----------

fn check_station(
    age: PersonAge,
    detained: &str,
    decision: Option<PoliceStationDecision>,
    book: &RuleBook,
    expect: &str,
) {
    let detained_at = t(detained);
    let rules = book.in_force_at(detained_at).expect("rules in force");
    check(
        render_errors(&check_police_station(
            rules,
            age,
            detained_at,
            decision.as_ref(),
            "stays[0]",
        )),
        expect,
    );
}

#[test]
fn police_station_table() {
    let book = RuleBook::england();
    let ok = lawful_police_station();
    let adult = PersonAge::Years(30);
    let on = "2024-05-01 12:00";
    let cases: Vec<(&str, PersonAge, Option<PoliceStationDecision>, &str)> = vec![
        (
            "adult, all conditions recorded",
            adult,
            Some(ok.clone()),
            "ok",
        ),
        (
            "17 years old",
            PersonAge::Years(17),
            Some(ok.clone()),
            "stays[0].kind: The person is 17: a police station can never be a place of safety for anyone under 18 (Mental Health Act 1983 s136A(1), inserted by the Policing and Crime Act 2017). [police_station_child]",
        ),
        (
            "18th birthday is the day after",
            PersonAge::DateOfBirth(d("2006-05-02")),
            Some(ok.clone()),
            "stays[0].kind: The person is 17: a police station can never be a place of safety for anyone under 18 (Mental Health Act 1983 s136A(1), inserted by the Policing and Crime Act 2017). [police_station_child]",
        ),
        (
            "18th birthday is the day of detention",
            PersonAge::DateOfBirth(d("2006-05-01")),
            Some(ok.clone()),
            "ok",
        ),
        (
            "age unknown",
            PersonAge::Unknown,
            Some(ok.clone()),
            "age: Record the person's age or date of birth: a police station may be used only for someone known to be 18 or over (Local policy: Concordat's reading of Mental Health Act 1983 s136A(1); the law forbids it for children, so an unknown age is treated as possibly a child). [police_station_age_unknown]",
        ),
        (
            "no decision recorded",
            adult,
            None,
            "stays[0].police_station: Record the decision to use a police station and each condition for it (Mental Health Act 1983 (Places of Safety) Regulations 2017 reg 2(1)(a) and 4(1)(b)). [police_station_conditions]",
        ),
        (
            "no imminent risk",
            adult,
            Some(PoliceStationDecision {
                imminent_risk_of_serious_injury_or_death: false,
                ..ok.clone()
            }),
            "stays[0].police_station.imminent_risk_of_serious_injury_or_death: A police station may be used only if the person's behaviour poses an imminent risk of serious injury or death; this is not recorded (Mental Health Act 1983 (Places of Safety) Regulations 2017 reg 2(1)(a) and 4(1)(b)). [police_station_conditions]",
        ),
        (
            "another place could manage",
            adult,
            Some(PoliceStationDecision {
                no_other_place_can_reasonably_detain: false,
                ..ok.clone()
            }),
            "stays[0].police_station.no_other_place_can_reasonably_detain: A police station may be used only if, because of that risk, no other place of safety in the area can reasonably be expected to detain the person; this is not recorded (Mental Health Act 1983 (Places of Safety) Regulations 2017 reg 2(1)(a) and 4(1)(b)). [police_station_conditions]",
        ),
        (
            "no healthcare professional",
            adult,
            Some(PoliceStationDecision {
                healthcare_professional_available: false,
                ..ok.clone()
            }),
            "stays[0].police_station.healthcare_professional_available: A police station may be used only if a healthcare professional will be present and available to the person; this is not recorded (Mental Health Act 1983 (Places of Safety) Regulations 2017 reg 2(1)(a) and 4(1)(b)). [police_station_conditions]",
        ),
        (
            "constable, no authorisation",
            adult,
            Some(PoliceStationDecision {
                authorised_by_rank: None,
                ..ok.clone()
            }),
            "stays[0].police_station.authorised_by_rank: The decision maker is below the rank of inspector, so an inspector or above must authorise the use of a police station (Mental Health Act 1983 (Places of Safety) Regulations 2017 reg 2(1)(b)). [police_station_authorisation]",
        ),
        (
            "constable, authorised by a sergeant",
            adult,
            Some(PoliceStationDecision {
                authorised_by_rank: Some(PoliceRank::Sergeant),
                ..ok.clone()
            }),
            "stays[0].police_station.authorised_by_rank: The authorisation is recorded from a sergeant, but it must come from an inspector or above (Mental Health Act 1983 (Places of Safety) Regulations 2017 reg 2(1)(b)). [police_station_authorisation]",
        ),
        (
            "inspector decides: no further authorisation",
            adult,
            Some(PoliceStationDecision {
                decision_maker: DecisionMaker::PoliceOfficer {
                    rank: PoliceRank::Inspector,
                },
                authorised_by_rank: None,
                ..ok.clone()
            }),
            "ok",
        ),
        (
            "AMHP decides a transfer: needs an inspector, consultation rule is for constables",
            adult,
            Some(PoliceStationDecision {
                decision_maker: DecisionMaker::Amhp,
                authorised_by_rank: None,
                consultation: None,
                ..ok.clone()
            }),
            "stays[0].police_station.authorised_by_rank: The decision maker is below the rank of inspector, so an inspector or above must authorise the use of a police station (Mental Health Act 1983 (Places of Safety) Regulations 2017 reg 2(1)(b)). [police_station_authorisation]",
        ),
        (
            "no consultation recorded",
            adult,
            Some(PoliceStationDecision {
                consultation: None,
                ..ok.clone()
            }),
            "stays[0].police_station.consultation: Record who was consulted before deciding to use a police station, or why it was not reasonably practicable (Mental Health Act 1983 (Places of Safety) Regulations 2017 reg 2(2)). [police_station_consultation]",
        ),
        (
            "consultation not practicable, no reason",
            adult,
            Some(PoliceStationDecision {
                consultation: Some(Consultation::NotPracticable { reason: " ".into() }),
                ..ok.clone()
            }),
            "stays[0].police_station.consultation.reason: Say why it was not reasonably practicable to consult.",
        ),
        (
            "consultation not practicable, with reason",
            adult,
            Some(PoliceStationDecision {
                consultation: Some(Consultation::NotPracticable {
                    reason: "Person fighting; phone lines down".into(),
                }),
                ..ok.clone()
            }),
            "ok",
        ),
    ];
    for (name, age, decision, expect) in cases {
        eprintln!("case: {name}");
        check_station(age, on, decision, &book, expect);
    }
}

#[test]
fn ages_are_computed_on_the_london_date_of_detention() {
    let leap = PersonAge::DateOfBirth(d("2004-02-29"));
    // Born on 29 February: 18 on 1 March in a common year, so a police station is still refused on 28 February.
    assert_eq!(leap.years_at(t("2022-02-28 12:00")), Some(17));
    assert_eq!(leap.years_at(t("2022-03-01 12:00")), Some(18));
    // 23:30 UTC on 30 June is 1 July in London: the birthday has come.
    let summer = PersonAge::DateOfBirth(d("2006-07-01"));
    assert_eq!(summer.years_at(t("2024-06-30 23:30")), Some(18));
    assert_eq!(summer.years_at(t("2024-06-30 22:30")), Some(17));
    assert_eq!(
        PersonAge::Years(40).years_at(t("2024-06-30 22:30")),
        Some(40)
    );
    assert_eq!(PersonAge::Unknown.years_at(t("2024-06-30 22:30")), None);
}

/// A hypothetical rule set in which police stations are never places of safety (as the Mental Health Bill proposes).
/// The date is invented for the test: nothing here says when, or whether, the Bill will commence.
fn hypothetical_bill_rules() -> RuleSet {
    RuleSet {
        id: "test_no_police_stations",
        name: "Hypothetical rules without police stations (test only)",
        in_force_from: d("2030-01-01"),
        police_station: PoliceStationRule::NeverAPlaceOfSafety,
        ..PCA_2017
    }
}

#[test]
fn rule_sets_are_chosen_by_the_london_date_of_detention() {
    let book = RuleBook::england().with(hypothetical_bill_rules());
    assert_eq!(book.sets().len(), 2);
    // 23:30 UTC on 31 Dec 2029 is still 31 December in London (GMT).
    assert_eq!(
        book.in_force_at(t("2029-12-31 23:30")).map(|r| r.id),
        Some("pca2017")
    );
    assert_eq!(
        book.in_force_at(t("2030-01-01 00:00")).map(|r| r.id),
        Some("test_no_police_stations")
    );
    // 23:30 UTC on 30 June is already 1 July in London (BST): the later set applies from that local date.
    let summer = RuleBook::england().with(RuleSet {
        in_force_from: d("2031-07-01"),
        ..hypothetical_bill_rules()
    });
    assert_eq!(
        summer.in_force_at(t("2031-06-30 23:30")).map(|r| r.id),
        Some("test_no_police_stations")
    );
    assert_eq!(book.in_force_at(t("2017-12-10 12:00")), None);
    // Replacing a set with the same date keeps one.
    assert_eq!(
        RuleBook::england().with(PCA_2017).sets(),
        RuleBook::default().sets()
    );

    let ok = lawful_police_station();
    check_station(
        PersonAge::Years(30),
        "2029-12-31 12:00",
        Some(ok.clone()),
        &book,
        "ok",
    );
    check_station(
        PersonAge::Years(30),
        "2030-01-02 12:00",
        Some(ok),
        &book,
        "stays[0].kind: A police station is not a place of safety under the rules in force from 1 January 2030: Hypothetical rules without police stations (test only) (The rule set in force on the date of detention (see RuleSet)). [police_station_not_place_of_safety]",
    );
    let st = stay(PlaceOfSafetyKind::PoliceStation, "2030-01-02 12:00", None);
    let rules = book.in_force_at(t("2030-01-02 12:00")).expect("rules");
    assert_eq!(welfare_checks(&st, rules, t("2030-01-02 15:00")), None);
}

// ---------- welfare checks and custody reviews ----------

fn render_checks(r: &CheckReport) -> String {
    let mut out = format!(
        "[{}] every {} min; next due {}; overdue now: {}",
        r.rule.code,
        r.interval_minutes,
        r.next_due
            .map_or("-".into(), |t| t.format("%H:%M").to_string()),
        r.overdue_now
    );
    for m in &r.missed {
        out += &format!(
            "\nmissed {} since {} (due {}), done {}",
            m.missed,
            m.since.format("%H:%M"),
            m.due_by.format("%H:%M"),
            m.done_at
                .map_or("-".into(), |t| t.format("%H:%M").to_string())
        );
    }
    out
}

#[test]
fn welfare_check_table() {
    let arrive = "2024-05-01 12:00";
    let station = |checks: &[&str], departed: Option<&str>| {
        with(
            stay(PlaceOfSafetyKind::PoliceStation, arrive, departed),
            |s| s.welfare_checks = checks.iter().map(|c| t(c)).collect(),
        )
    };
    let cases: Vec<(&str, Stay, &str, &str)> = vec![
        (
            "just arrived",
            station(&[], None),
            "2024-05-01 12:10",
            "[welfare_checks] every 30 min; next due 12:30; overdue now: false",
        ),
        (
            "exactly 30 minutes: due now, not yet overdue",
            station(&[], None),
            "2024-05-01 12:30",
            "[welfare_checks] every 30 min; next due 12:30; overdue now: false",
        ),
        (
            "31 minutes without a check",
            station(&[], None),
            "2024-05-01 12:31",
            "[welfare_checks] every 30 min; next due 12:30; overdue now: true\nmissed 1 since 12:00 (due 12:30), done -",
        ),
        (
            "checks on time",
            station(
                &["2024-05-01 12:25", "2024-05-01 12:55", "2024-05-01 13:25"],
                None,
            ),
            "2024-05-01 13:40",
            "[welfare_checks] every 30 min; next due 13:55; overdue now: false",
        ),
        (
            "one late check",
            station(&["2024-05-01 12:25", "2024-05-01 13:10"], None),
            "2024-05-01 13:20",
            "[welfare_checks] every 30 min; next due 13:40; overdue now: false\nmissed 1 since 12:25 (due 12:55), done 13:10",
        ),
        (
            "an hour and a minute: two missed",
            station(&["2024-05-01 13:01"], None),
            "2024-05-01 13:10",
            "[welfare_checks] every 30 min; next due 13:31; overdue now: false\nmissed 2 since 12:00 (due 12:30), done 13:01",
        ),
        (
            "checks out of order and outside the stay are sorted and ignored",
            station(
                &["2024-05-01 12:55", "2024-05-01 11:50", "2024-05-01 12:25"],
                Some("2024-05-01 13:10"),
            ),
            "2024-05-01 18:00",
            "[welfare_checks] every 30 min; next due -; overdue now: false",
        ),
        (
            "left without a final check",
            station(&["2024-05-01 12:20"], Some("2024-05-01 13:30")),
            "2024-05-01 18:00",
            "[welfare_checks] every 30 min; next due -; overdue now: false\nmissed 2 since 12:20 (due 12:50), done -",
        ),
    ];
    let rules = PCA_2017;
    for (name, s, now, expect) in cases {
        eprintln!("case: {name}");
        let r = welfare_checks(&s, &rules, t(now)).expect("police station");
        check(render_checks(&r), expect);
    }
    assert_eq!(
        welfare_checks(
            &stay(PlaceOfSafetyKind::HealthBased, arrive, None),
            &rules,
            t("2024-05-01 18:00")
        ),
        None
    );
}

#[test]
fn welfare_checks_count_real_minutes_across_the_october_change() {
    // 00:50 UTC is 01:50 BST; 01:15 UTC is 01:15 GMT. On the wall clock the check looks earlier, but 25 real minutes passed.
    let s = with(
        stay(PlaceOfSafetyKind::PoliceStation, "2025-10-26 00:30", None),
        |s| s.welfare_checks = vec![t("2025-10-26 00:50"), t("2025-10-26 01:15")],
    );
    let r = welfare_checks(&s, &PCA_2017, t("2025-10-26 01:40")).expect("report");
    check(
        render_checks(&r),
        "[welfare_checks] every 30 min; next due 01:45; overdue now: false",
    );
}

#[test]
fn custody_review_is_an_unverified_reminder() {
    let reminder = CustodyReviewReminder::default();
    assert_eq!(reminder.interval_minutes, 180);
    const { assert!(!rule::CUSTODY_REVIEW.verified) };
    let s = with(
        stay(PlaceOfSafetyKind::PoliceStation, "2024-05-01 12:00", None),
        |s| s.custody_reviews = vec![t("2024-05-01 14:00")],
    );
    let r = reminder.check(&s, t("2024-05-01 17:30")).expect("report");
    check(
        render_checks(&r),
        "[custody_review] every 180 min; next due 17:00; overdue now: true\nmissed 1 since 14:00 (due 17:00), done -",
    );
    let configured = CustodyReviewReminder {
        interval_minutes: 240,
    };
    let r = configured.check(&s, t("2024-05-01 17:30")).expect("report");
    assert!(!r.overdue_now);
    // A custody review reminder is never a validation error.
    let ep = with(s136("2024-05-01 11:30"), |e| e.stays = vec![s.clone()]);
    check_validate(ep, "ok");
    assert_eq!(
        reminder.check(
            &stay(PlaceOfSafetyKind::HealthBased, "2024-05-01 12:00", None),
            t("2024-05-01 18:00")
        ),
        None
    );
}

// ---------- the board ----------

fn render_board(b: &BoardStatus) -> String {
    let mut out = format!("{} | {}", b.level.label(), b.detail);
    if let Some(m) = b.minutes_left {
        out += &format!(" | {m} min");
    }
    if let Some(br) = &b.breach {
        out += &format!(
            " | breach: {} min over, ongoing {}",
            br.overrun_minutes, br.ongoing
        );
    }
    for n in &b.notes {
        out += &format!("\nnote: {n}");
    }
    out
}

#[test]
fn board_table() {
    // Arrival 10:00 UTC on 1 Feb 2024 (GMT): limit 10:00 on 2 Feb.
    let open = with(s136("2024-02-01 09:30"), |e| {
        e.stays = vec![stay(
            PlaceOfSafetyKind::HealthBased,
            "2024-02-01 10:00",
            None,
        )]
    });
    let ended = |end: &str| {
        with(open.clone(), |e| {
            e.ended_at = Some(t(end));
            e.outcome = Some(OutcomeKind::InformalAdmission);
        })
    };
    let refused_ext = with(open.clone(), |e| {
        e.extension = Some(extension(
            "2024-02-02 08:00",
            600,
            ExtensionReason::AmhpUnavailable,
        ))
    });
    let cases: Vec<(&str, Episode, &str, &str)> = vec![
        (
            "fresh",
            open.clone(),
            "2024-02-01 10:30",
            "Within the time limit | 23 h 30 min left (limit Fri 2 Feb 2024 10:00 GMT) | 1410 min",
        ),
        (
            "exactly 4 hours left",
            open.clone(),
            "2024-02-02 06:00",
            "Within the time limit | 4 h 00 min left (limit Fri 2 Feb 2024 10:00 GMT) | 240 min",
        ),
        (
            "3 h 59 left",
            open.clone(),
            "2024-02-02 06:01",
            "Under 4 hours left | 3 h 59 min left (limit Fri 2 Feb 2024 10:00 GMT) | 239 min",
        ),
        (
            "exactly 1 hour left",
            open.clone(),
            "2024-02-02 09:00",
            "Under 4 hours left | 1 h 00 min left (limit Fri 2 Feb 2024 10:00 GMT) | 60 min",
        ),
        (
            "59 minutes left",
            open.clone(),
            "2024-02-02 09:01",
            "Under 1 hour left | 59 min left (limit Fri 2 Feb 2024 10:00 GMT) | 59 min",
        ),
        (
            "at the limit, still detained",
            open.clone(),
            "2024-02-02 10:00",
            "Time limit passed (breach) | Limit passed 0 min ago (Fri 2 Feb 2024 10:00 GMT): record the breach and end the detention | 0 min | breach: 0 min over, ongoing true",
        ),
        (
            "90 minutes over",
            open.clone(),
            "2024-02-02 11:30",
            "Time limit passed (breach) | Limit passed 1 h 30 min ago (Fri 2 Feb 2024 10:00 GMT): record the breach and end the detention | -90 min | breach: 90 min over, ongoing true",
        ),
        (
            "ended exactly at the limit",
            ended("2024-02-02 10:00"),
            "2024-02-03 12:00",
            "Ended within the time limit | Ended within the limit (Fri 2 Feb 2024 10:00 GMT)",
        ),
        (
            "ended 20 minutes late",
            ended("2024-02-02 10:20"),
            "2024-02-03 12:00",
            "Ended after the time limit (breach) | Ended 20 min after the limit (Fri 2 Feb 2024 10:00 GMT) | breach: 20 min over, ongoing false",
        ),
        (
            "refused extension does not move the limit",
            refused_ext,
            "2024-02-02 10:30",
            "Time limit passed (breach) | Limit passed 30 min ago (Fri 2 Feb 2024 10:00 GMT): record the breach and end the detention | -30 min | breach: 30 min over, ongoing true
note: An extension is recorded but refused (1 reason), so the limit has not moved",
        ),
        (
            "not yet at a place of safety",
            s136("2024-02-01 09:30"),
            "2024-02-01 10:15",
            "Not yet at a place of safety: clock not started | Detained 45 min ago at Thu 1 Feb 2024 09:30 GMT; not yet arrived at a place of safety",
        ),
        (
            "cannot compute",
            with(open.clone(), |e| {
                e.power = Power::S135_1;
                e.kept_where_they_are_at = Some(t("2024-02-01 09:30"));
            }),
            "2024-02-01 10:15",
            "Clock cannot be computed: check the record | Record when the officer first entered the premises: the 24 hours start then when the person is kept there (Mental Health Act 1983 s135(1A) and s135(3ZA)(a)(ii)).",
        ),
        (
            "s135(2): no clock, and never a breach however long",
            with(open.clone(), |e| e.power = Power::S135_2),
            "2024-02-03 10:30",
            "No statutory time limit (s135(2): taken or retaken) | Detained 49 h 00 min ago at Thu 1 Feb 2024 09:30 GMT; s135(2) sets no time limit, so no clock is shown (Mental Health Act 1983 s135(3), (3ZA) and (3A), which cover only a person removed under a s135(1) warrant or kept under s135(1A); s136B(1); s136A(4))",
        ),
        (
            "police station with a welfare check overdue",
            with(open.clone(), |e| {
                e.stays = vec![with(
                    stay(PlaceOfSafetyKind::PoliceStation, "2024-02-01 10:00", None),
                    |s| s.welfare_checks = vec![t("2024-02-01 10:25")],
                )]
            }),
            "2024-02-01 11:00",
            "Within the time limit | 23 h 00 min left (limit Fri 2 Feb 2024 10:00 GMT) | 1380 min
note: Welfare check overdue: a healthcare professional must check at least every 30 minutes",
        ),
        (
            "police station with checks on time",
            with(open.clone(), |e| {
                e.stays = vec![with(
                    stay(PlaceOfSafetyKind::PoliceStation, "2024-02-01 10:00", None),
                    |s| s.welfare_checks = vec![t("2024-02-01 10:25"), t("2024-02-01 10:50")],
                )]
            }),
            "2024-02-01 11:00",
            "Within the time limit | 23 h 00 min left (limit Fri 2 Feb 2024 10:00 GMT) | 1380 min",
        ),
    ];
    let book = RuleBook::england();
    for (name, ep, now, expect) in cases {
        eprintln!("case: {name}");
        check(render_board(&board_status(&ep, &book, t(now))), expect);
    }
}

#[test]
fn breaches_are_reported_not_hidden() {
    let book = RuleBook::england();
    let late_transfer = with(s136("2024-02-01 09:30"), |e| {
        e.stays = vec![
            stay(
                PlaceOfSafetyKind::EmergencyDepartment,
                "2024-02-01 10:00",
                Some("2024-02-02 11:00"),
            ),
            stay(PlaceOfSafetyKind::HealthBased, "2024-02-02 11:30", None),
        ];
        e.ended_at = Some(t("2024-02-02 13:00"));
        e.outcome = Some(OutcomeKind::DetainedS2);
    });
    // A late transfer is a breach to report, not input to refuse.
    check_validate(late_transfer.clone(), "ok");
    let b = breach(&late_transfer, &book, t("2024-03-01 00:00")).expect("breach");
    assert_eq!(b.overrun_minutes, 180);
    assert!(!b.ongoing);
    let rec = SummaryRecord::from_episode(&late_transfer, &book, t("2024-03-01 00:00"));
    assert!(rec.breached);
}

// ---------- validation ----------

#[test]
fn validation_table() {
    let good = with(s136("2024-05-01 09:30"), |e| {
        e.stays = vec![
            stay(
                PlaceOfSafetyKind::EmergencyDepartment,
                "2024-05-01 10:00",
                Some("2024-05-01 14:00"),
            ),
            stay(PlaceOfSafetyKind::HealthBased, "2024-05-01 14:30", None),
        ];
        e.assessment.doctor_examined_at = Some(t("2024-05-01 16:00"));
        e.assessment.amhp = Some(ProfessionalRef("amhp-jones".into()));
        e.assessment.amhp_interviewed_at = Some(t("2024-05-01 16:30"));
        e.ended_at = Some(t("2024-05-01 17:00"));
        e.outcome = Some(OutcomeKind::DischargedWithReferral);
    });
    let cases: Vec<(&str, Episode, &str)> = vec![
        ("a good record", good.clone(), "ok"),
        (
            "s136 in a private dwelling",
            with(good.clone(), |e| {
                e.detention_place = DetentionPlace::PrivateDwelling
            }),
            "detention_place: s136 cannot be used in a house, flat or room where someone lives: a s135 warrant is needed there (Mental Health Act 1983 s136(1A), inserted by the Policing and Crime Act 2017). [s136_not_in_dwelling]",
        ),
        (
            "s136 in a dwelling's garden",
            with(good.clone(), |e| {
                e.detention_place = DetentionPlace::DwellingGardenOrOuthouse
            }),
            "detention_place: s136 cannot be used in a yard, garden, garage or outhouse used only with a dwelling: a s135 warrant is needed there (Mental Health Act 1983 s136(1A), inserted by the Policing and Crime Act 2017). [s136_not_in_dwelling]",
        ),
        (
            "s136 on communal stairs is allowed",
            with(good.clone(), |e| {
                e.detention_place = DetentionPlace::SharedPartOfResidentialBuilding
            }),
            "ok",
        ),
        (
            "consultation neither recorded nor explained",
            with(good.clone(), |e| e.consultation = None),
            "consultation: Record who the officer consulted before using s136, or why consultation was not practicable (Mental Health Act 1983 s136(1C); Places of Safety Regulations 2017 reg 8(1)). [s136_consultation]",
        ),
        (
            "consultation not practicable without a reason",
            with(good.clone(), |e| {
                e.consultation = Some(Consultation::NotPracticable {
                    reason: String::new(),
                })
            }),
            "consultation.reason: Say why consultation was not practicable (Local policy: s136(1C) requires consultation only if practicable and does not itself require a reason to be recorded). [s136_consultation_reason]",
        ),
        (
            "consultation not practicable with a reason",
            with(good.clone(), |e| {
                e.consultation = Some(Consultation::NotPracticable {
                    reason: "Immediate risk on a bridge".into(),
                })
            }),
            "ok",
        ),
        (
            "consultation after detention",
            with(good.clone(), |e| {
                e.consultation = Some(Consultation::Consulted {
                    with: ConsultedProfessional::Paramedic,
                    at: Some(t("2024-05-01 09:45")),
                })
            }),
            "consultation.at: The consultation is recorded at Wed 1 May 2024 10:45 BST, after the detention at Wed 1 May 2024 10:30 BST; it must come before the decision.",
        ),
        (
            "s135 needs no s136 consultation",
            with(good.clone(), |e| {
                e.power = Power::S135_1;
                e.consultation = None;
                e.detention_place = DetentionPlace::PrivateDwelling;
            }),
            "ok",
        ),
        (
            "entry time for s136",
            with(good.clone(), |e| {
                e.warrant_entry_at = Some(t("2024-05-01 09:00"))
            }),
            "warrant_entry_at: An entry time under a warrant is recorded, but the power is s136, which needs no warrant.",
        ),
        (
            "entry after detention",
            with(good.clone(), |e| {
                e.power = Power::S135_1;
                e.warrant_entry_at = Some(t("2024-05-01 09:40"));
            }),
            "warrant_entry_at: The officer's entry is recorded at Wed 1 May 2024 10:40 BST, after the detention at Wed 1 May 2024 10:30 BST.",
        ),
        (
            "kept before detention",
            with(good.clone(), |e| {
                e.detention_place = DetentionPlace::HealthSetting;
                e.kept_where_they_are_at = Some(t("2024-05-01 09:00"))
            }),
            "kept_where_they_are_at: The decision to keep the person where they are is recorded at Wed 1 May 2024 10:00 BST, before the detention at Wed 1 May 2024 10:30 BST.",
        ),
        (
            "arrival before detention",
            with(good.clone(), |e| {
                e.stays[0].arrived_at = t("2024-05-01 09:00")
            }),
            "stays[0].arrived_at: Arrival at the place of safety is recorded at Wed 1 May 2024 10:00 BST, before the detention at Wed 1 May 2024 10:30 BST.",
        ),
        (
            "kept where they are: already there before detention is fine",
            with(good.clone(), |e| {
                e.stays[0].arrived_at = t("2024-05-01 08:00");
                e.kept_where_they_are_at = Some(t("2024-05-01 09:30"));
                e.detention_place = DetentionPlace::HealthSetting;
            }),
            "ok",
        ),
        (
            "departure before arrival",
            with(good.clone(), |e| {
                e.stays[0].departed_at = Some(t("2024-05-01 09:55"))
            }),
            "stays[0].departed_at: Departure is recorded at Wed 1 May 2024 10:55 BST, before arrival at Wed 1 May 2024 11:00 BST.",
        ),
        (
            "overlapping stays",
            with(good.clone(), |e| {
                e.stays[1].arrived_at = t("2024-05-01 13:00")
            }),
            "stays[1].arrived_at: This stay overlaps the previous one: arrival at Wed 1 May 2024 14:00 BST is before departure from the previous place at Wed 1 May 2024 15:00 BST.",
        ),
        (
            "transfer without departure",
            with(good.clone(), |e| e.stays[0].departed_at = None),
            "stays[0].departed_at: Record when the person left this place before the transfer to the next one.",
        ),
        (
            "stays out of order",
            with(good.clone(), |e| e.stays.swap(0, 1)),
            "stays[1].arrived_at: Places of safety must be listed in the order the person arrived at them.",
        ),
        (
            "home without consent",
            with(good.clone(), |e| {
                e.stays[1] = Stay::new(PlaceOfSafetyKind::PrivateHome, t("2024-05-01 14:30"))
            }),
            "stays[1].home_consent: Record the consents for using a home as a place of safety (Mental Health Act 1983 s135(7)(a)). [home_consent]",
        ),
        (
            "home, person did not agree",
            with(good.clone(), |e| {
                e.stays[1] = with(
                    stay(PlaceOfSafetyKind::PrivateHome, "2024-05-01 14:30", None),
                    |s| {
                        s.home_consent = Some(HomeConsent {
                            person_agreed: false,
                            occupier: OccupierAgreement::OccupierAgreed,
                        })
                    },
                )
            }),
            "stays[1].home_consent.person_agreed: A home can be a place of safety only if the person agrees (Mental Health Act 1983 s135(7)(a)). [home_consent]",
        ),
        (
            "home, occupier did not agree",
            with(good.clone(), |e| {
                e.stays[1] = with(
                    stay(PlaceOfSafetyKind::PrivateHome, "2024-05-01 14:30", None),
                    |s| {
                        s.home_consent = Some(HomeConsent {
                            person_agreed: true,
                            occupier: OccupierAgreement::NotObtained,
                        })
                    },
                )
            }),
            "stays[1].home_consent.occupier: Unless the person lives there alone, an occupier must also agree to the home being used (Mental Health Act 1983 s135(7)(a)). [home_consent]",
        ),
        (
            "other place without the manager's agreement",
            with(good.clone(), |e| {
                e.stays[1] = Stay::new(PlaceOfSafetyKind::OtherSuitablePlace, t("2024-05-01 14:30"))
            }),
            "stays[1].manager_agreed: Another place can be a place of safety only if the person managing it agrees (Mental Health Act 1983 s135(7)(b)). [other_place_agreement]",
        ),
        (
            "police station for a 16-year-old",
            with(good.clone(), |e| {
                e.age = PersonAge::Years(16);
                e.stays[1] = stay(PlaceOfSafetyKind::PoliceStation, "2024-05-01 14:30", None);
            }),
            "stays[1].kind: The person is 16: a police station can never be a place of safety for anyone under 18 (Mental Health Act 1983 s136A(1), inserted by the Policing and Crime Act 2017). [police_station_child]",
        ),
        (
            "extension after expiry",
            with(good.clone(), |e| {
                e.ended_at = None;
                e.outcome = None;
                e.extension = Some(extension(
                    "2024-05-02 10:01",
                    60,
                    ExtensionReason::Intoxication,
                ));
            }),
            "extension.authorised_at: The extension was recorded at Thu 2 May 2024 11:01 BST, but the 24 hours ran out at Thu 2 May 2024 11:00 BST: an extension can only be made before they run out (Mental Health Act 1983 s136B(1)). [extension_before_expiry]",
        ),
        (
            "extension longer than 12 hours",
            with(good.clone(), |e| {
                e.ended_at = None;
                e.outcome = None;
                e.extension = Some(extension(
                    "2024-05-02 09:00",
                    780,
                    ExtensionReason::Intoxication,
                ));
            }),
            "extension.minutes: An extension can be for at most 12 hours; 13 h 00 min was recorded (Mental Health Act 1983 s136B(1)). [extension_max_12_hours]",
        ),
        (
            "extension before any place of safety",
            with(s136("2024-05-01 09:30"), |e| {
                e.extension = Some(extension(
                    "2024-05-01 10:00",
                    60,
                    ExtensionReason::Intoxication,
                ))
            }),
            "extension: An extension is recorded, but the person has not arrived at a place of safety, so there is no period to extend.",
        ),
        (
            "examined before detention, doctor unknown",
            with(good.clone(), |e| {
                e.assessment.doctor = None;
                e.assessment.doctor_examined_at = Some(t("2024-05-01 09:00"));
            }),
            "assessment.doctor_examined_at: The doctor's examination is recorded at Wed 1 May 2024 10:00 BST, before the detention at Wed 1 May 2024 10:30 BST.\nassessment.doctor: Record which doctor examined the person.",
        ),
        (
            "AMHP interview with no AMHP",
            with(good.clone(), |e| e.assessment.amhp = None),
            "assessment.amhp: Record which AMHP interviewed the person.",
        ),
        (
            "ended without an outcome",
            with(good.clone(), |e| e.outcome = None),
            "outcome: Record the outcome of the detention.",
        ),
        (
            "outcome without an end",
            with(good.clone(), |e| e.ended_at = None),
            "ended_at: Record when the detention ended.",
        ),
        (
            "ended before it began",
            with(good.clone(), |e| e.ended_at = Some(t("2024-05-01 09:00"))),
            "ended_at: The detention is recorded as ending at Wed 1 May 2024 10:00 BST, before it began at Wed 1 May 2024 10:30 BST.",
        ),
        (
            "ended before the clock started",
            with(good.clone(), |e| e.ended_at = Some(t("2024-05-01 09:45"))),
            "ended_at: The detention is recorded as ending at Wed 1 May 2024 10:45 BST, before the clock started at Wed 1 May 2024 11:00 BST.",
        ),
        (
            "police vehicle without a reason",
            with(good.clone(), |e| {
                e.transport = Some(Transport::PoliceVehicle)
            }),
            "police_vehicle_reason: Record why a police vehicle was used.",
        ),
        (
            "police vehicle reason without a police vehicle",
            with(good.clone(), |e| {
                e.police_vehicle_reason = Some(PoliceVehicleReason::NoAmbulanceWithin30Minutes)
            }),
            "police_vehicle_reason: A reason for using a police vehicle is recorded, but the transport was not a police vehicle.",
        ),
        (
            "age over 120",
            with(good.clone(), |e| e.age = PersonAge::Years(130)),
            "age: Check the age: it is over 120.",
        ),
        (
            "born after detention",
            with(good.clone(), |e| {
                e.age = PersonAge::DateOfBirth(d("2024-06-01"))
            }),
            "age: The date of birth is after the date of detention.",
        ),
        (
            "s135(1) kept without entry time",
            with(good.clone(), |e| {
                e.power = Power::S135_1;
                e.kept_where_they_are_at = Some(t("2024-05-01 09:30"));
                e.stays[0].arrived_at = t("2024-05-01 09:30");
            }),
            "warrant_entry_at: Record when the officer first entered the premises: the 24 hours start then when the person is kept there (Mental Health Act 1983 s135(1A) and s135(3ZA)(a)(ii)). [clock_start_warrant_premises]",
        ),
        (
            "s135(1) kept at home with no place of safety recorded",
            with(
                Episode::new(
                    Power::S135_1,
                    t("2024-05-01 09:30"),
                    DetentionPlace::PrivateDwelling,
                    PersonAge::Years(50),
                ),
                |e| {
                    e.warrant_entry_at = Some(t("2024-05-01 09:20"));
                    e.kept_where_they_are_at = Some(t("2024-05-01 09:30"));
                },
            ),
            "stays: Record the premises as the first place of safety (a home needs the person's agreement and, unless they live alone, an occupier's): the person can be kept there only if the premises are a place of safety (Mental Health Act 1983 s135(1A); s135(7) for the consents a home needs). [warrant_premises_place_of_safety]",
        ),
        (
            "s135(1) kept at home, recorded as a home with consent",
            with(
                Episode::new(
                    Power::S135_1,
                    t("2024-05-01 09:30"),
                    DetentionPlace::PrivateDwelling,
                    PersonAge::Years(50),
                ),
                |e| {
                    e.warrant_entry_at = Some(t("2024-05-01 09:20"));
                    e.kept_where_they_are_at = Some(t("2024-05-01 09:30"));
                    e.stays = vec![stay(
                        PlaceOfSafetyKind::PrivateHome,
                        "2024-05-01 09:30",
                        None,
                    )];
                },
            ),
            "ok",
        ),
        (
            "before the 2017 rules",
            s136("2017-06-01 12:00"),
            "detained_at: No rules are recorded for detentions before 11 December 2017, so no clock can be computed.",
        ),
    ];
    for (name, ep, expect) in cases {
        eprintln!("case: {name}");
        check_validate(ep, expect);
    }
}

// ---------- reporting ----------

#[test]
fn home_office_row_table() {
    let book = RuleBook::england();
    let person = Demographics {
        sex: Sex::Female,
        ethnicity: Ethnicity::Black,
    };
    let ep = with(s136("2024-03-31 23:30"), |e| {
        e.age = PersonAge::DateOfBirth(d("2007-04-01"));
        e.transport = Some(Transport::PoliceVehicle);
        e.police_vehicle_reason = Some(PoliceVehicleReason::NoAmbulanceWithin30Minutes);
        e.stays = vec![
            stay(
                PlaceOfSafetyKind::EmergencyDepartment,
                "2024-04-01 00:00",
                Some("2024-04-01 05:00"),
            ),
            stay(PlaceOfSafetyKind::HealthBased, "2024-04-01 05:30", None),
        ];
        e.extension = Some(extension(
            "2024-04-01 20:00",
            120,
            ExtensionReason::Intoxication,
        ));
        e.ended_at = Some(t("2024-04-02 01:00"));
        e.outcome = Some(OutcomeKind::DetainedS2);
    });
    let row = home_office_row(&ep, person, "Northvale Police", &book);
    // 23:30 UTC on 31 March 2024 is 00:30 BST on 1 April: a new financial year, and the person's 17th birthday.
    check(
        serde_json::to_string(&row).expect("json"),
        r#"{"police_force":"Northvale Police","power":"s136","detained_on":"2024-04-01","financial_year":"2024/25","age_group":"under_18","sex":"female","ethnicity":"black","first_place_of_safety":"emergency_department","police_station_used":false,"transport":"police_vehicle","police_vehicle_reason":"no_ambulance_within_30_minutes","local_transferred":true,"local_extended":true,"local_outcome":"detained_s2"}"#,
    );
    let bare = Episode::new(
        Power::S135_1,
        t("2024-01-15 12:00"),
        DetentionPlace::PrivateDwelling,
        PersonAge::Unknown,
    );
    check(
        serde_json::to_string(&home_office_row(&bare, person, "Northvale Police", &book))
            .expect("json"),
        r#"{"police_force":"Northvale Police","power":"s135_1","detained_on":"2024-01-15","financial_year":"2023/24","age_group":"unknown","sex":"female","ethnicity":"black","first_place_of_safety":"not_recorded","police_station_used":false,"transport":"not_known","police_vehicle_reason":"","local_transferred":false,"local_extended":false,"local_outcome":"not_recorded"}"#,
    );
}

#[test]
fn age_groups_and_financial_years() {
    let groups: Vec<&str> = [
        None,
        Some(0),
        Some(17),
        Some(18),
        Some(24),
        Some(25),
        Some(64),
        Some(65),
        Some(101),
    ]
    .into_iter()
    .map(|y| AgeGroup::of(y).code())
    .collect();
    assert_eq!(
        groups,
        [
            "unknown", "under_18", "under_18", "18_24", "18_24", "25_34", "55_64", "65_plus",
            "65_plus"
        ]
    );
    for (day, fy) in [
        ("2024-03-31", "2023/24"),
        ("2024-04-01", "2024/25"),
        ("1999-12-31", "1999/00"),
        ("2000-01-01", "1999/00"),
    ] {
        assert_eq!(financial_year(d(day)), fy, "{day}");
    }
}

fn record(at: &str, outcome: Option<OutcomeKind>, setting: Setting) -> SummaryRecord {
    SummaryRecord {
        detained_at: t(at),
        power: Power::S136,
        setting,
        first_place: Some(PlaceOfSafetyKind::HealthBased),
        police_station_used: false,
        transport: Some(Transport::Ambulance),
        outcome,
        extended: false,
        breached: false,
    }
}

#[test]
fn outcome_summary_beside_a_year_earlier() {
    let records = vec![
        record(
            "2024-02-29 12:00",
            Some(OutcomeKind::InformalAdmission),
            Setting::StreetOrPublicPlace,
        ),
        record(
            "2024-02-01 00:30",
            Some(OutcomeKind::NoMentalDisorder),
            Setting::PrivatePremises,
        ),
        SummaryRecord {
            breached: true,
            extended: true,
            police_station_used: true,
            first_place: Some(PlaceOfSafetyKind::PoliceStation),
            transport: Some(Transport::PoliceVehicle),
            ..record("2024-02-15 12:00", None, Setting::StreetOrPublicPlace)
        },
        // 31 January 23:30 UTC is still 31 January in London: outside February.
        record(
            "2024-01-31 23:30",
            Some(OutcomeKind::DetainedS3),
            Setting::StreetOrPublicPlace,
        ),
        // A year earlier.
        record(
            "2023-02-28 12:00",
            Some(OutcomeKind::DetainedS2),
            Setting::StreetOrPublicPlace,
        ),
        SummaryRecord {
            power: Power::S135_1,
            ..record(
                "2023-02-10 12:00",
                Some(OutcomeKind::DetainedS2),
                Setting::PrivatePremises,
            )
        },
    ];
    let feb_2024 = Period {
        first_day: d("2024-02-01"),
        last_day: d("2024-02-29"),
    };
    assert_eq!(
        feb_2024.year_earlier(),
        Period {
            first_day: d("2023-02-01"),
            last_day: d("2023-02-28"),
        }
    );
    let table = compare_with_year_earlier(&records, feb_2024)
        .iter()
        .filter(|l| l.current > 0 || l.year_earlier > 0)
        .map(|l| format!("{} | {} | {}", l.label, l.current, l.year_earlier))
        .collect::<Vec<_>>()
        .join("\n");
    check(
        table,
        "
Detentions | 3 | 2
Section 136 (police power to remove or keep a person) | 3 | 1
Section 135(1) warrant (to enter, and remove or keep a person) | 0 | 1
Detained in: street or public place | 2 | 1
Detained in: private premises | 1 | 1
First place of safety: Health-based place of safety | 2 | 2
First place of safety: Police station | 1 | 0
A police station used at any point | 1 | 0
Taken by: Police vehicle | 1 | 0
Taken by: Ambulance | 2 | 2
Outcome: No mental disorder found: discharged without follow-up | 1 | 0
Outcome: Informal (voluntary) admission | 1 | 0
Outcome: Detained under section 2 | 0 | 2
Outcome: not yet recorded | 1 | 0
Extended beyond 24 hours | 1 | 0
Time limit breached | 1 | 0",
    );
    // Every category is present even with no records, so tables line up across periods.
    let empty = outcome_summary(&[], feb_2024);
    assert_eq!(
        empty.lines.len(),
        compare_with_year_earlier(&records, feb_2024).len()
    );
    assert!(empty.lines.iter().all(|l| l.count == 0));
}

// ---------- catalogue and codes ----------

#[test]
fn every_rule_is_documented_with_a_source() {
    let doc = include_str!("../../../../docs/s136-rules.md");
    let mut codes: Vec<&str> = ALL_RULES.iter().map(|r| r.code).collect();
    for r in ALL_RULES {
        assert!(!r.source.is_empty() && !r.summary.is_empty(), "{}", r.code);
        assert!(
            doc.contains(&format!("`{}`", r.code)),
            "docs/s136-rules.md lacks `{}`",
            r.code
        );
        if !r.verified {
            assert!(r.source.starts_with("Unverified"), "{}", r.code);
        }
        // Local policy says so, in the source the user sees and on the docs page.
        assert_eq!(
            r.source.starts_with("Local policy"),
            r.local_policy,
            "{}",
            r.code
        );
        if r.local_policy {
            assert!(
                doc.contains(&format!("`{}` (local policy)", r.code)),
                "docs/s136-rules.md must mark `{}` as local policy",
                r.code
            );
        }
    }
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), ALL_RULES.len(), "rule codes are unique");
}

#[test]
fn codes_round_trip() {
    fn all<T: Copy + PartialEq + std::fmt::Debug>(
        values: &[T],
        code: fn(T) -> &'static str,
        parse: fn(&str) -> Option<T>,
    ) {
        for v in values {
            assert_eq!(parse(code(*v)), Some(*v));
        }
    }
    all(Power::ALL, Power::code, Power::from_code);
    all(
        PlaceOfSafetyKind::ALL,
        PlaceOfSafetyKind::code,
        PlaceOfSafetyKind::from_code,
    );
    all(
        DetentionPlace::ALL,
        DetentionPlace::code,
        DetentionPlace::from_code,
    );
    all(
        ConsultedProfessional::ALL,
        ConsultedProfessional::code,
        ConsultedProfessional::from_code,
    );
    all(PoliceRank::ALL, PoliceRank::code, PoliceRank::from_code);
    all(
        ExtensionReason::ALL,
        ExtensionReason::code,
        ExtensionReason::from_code,
    );
    all(Transport::ALL, Transport::code, Transport::from_code);
    all(
        PoliceVehicleReason::ALL,
        PoliceVehicleReason::code,
        PoliceVehicleReason::from_code,
    );
    all(OutcomeKind::ALL, OutcomeKind::code, OutcomeKind::from_code);
    all(BoardLevel::ALL, BoardLevel::code, BoardLevel::from_code);
    all(AgeGroup::ALL, AgeGroup::code, AgeGroup::from_code);
    assert!(PoliceRank::Constable < PoliceRank::Inspector);
    assert!(PoliceRank::ChiefInspector < PoliceRank::Superintendent);
}

#[test]
fn episodes_round_trip_through_json() {
    let ep = with(s136("2024-05-01 09:30"), |e| {
        e.stays = vec![stay(
            PlaceOfSafetyKind::PoliceStation,
            "2024-05-01 10:00",
            None,
        )];
        e.extension = Some(extension(
            "2024-05-02 08:00",
            60,
            ExtensionReason::Intoxication,
        ));
        e.age = PersonAge::DateOfBirth(d("1990-01-01"));
    });
    let json = serde_json::to_string(&ep).expect("json");
    let back: Episode = serde_json::from_str(&json).expect("parse");
    assert_eq!(back, ep);
}

// ---------- properties ----------

prop_compose! {
    /// A detention in 2018-2035 with a first arrival, up to four transfers and maybe an extension (lawful or not).
    fn arb_episode()(
        start_min in 0i64..(18 * 365 * 24 * 60),
        to_arrival in 0i64..240,
        gaps in prop::collection::vec((1i64..600, 0i64..120), 0..4),
        ext in prop::option::of((0i64..(40 * 60), 0u32..2000, 0usize..8)),
    ) -> Episode {
        let detained = t("2018-01-01 00:00") + TimeDelta::minutes(start_min);
        let mut ep = s136("2018-01-01 00:00");
        ep.detained_at = detained;
        let mut at = detained + TimeDelta::minutes(to_arrival);
        let mut stays = vec![Stay::new(PlaceOfSafetyKind::EmergencyDepartment, at)];
        for (stay_len, travel) in gaps {
            let leave = at + TimeDelta::minutes(stay_len);
            if let Some(last) = stays.last_mut() { last.departed_at = Some(leave); }
            at = leave + TimeDelta::minutes(travel);
            stays.push(Stay::new(PlaceOfSafetyKind::HealthBased, at));
        }
        ep.stays = stays;
        ep.extension = ext.map(|(after, minutes, reason)| Extension {
            authorised_at: ep.stays[0].arrived_at + TimeDelta::minutes(after),
            minutes,
            authorised_by: doctor(),
            reason: ExtensionReason::ALL[reason % ExtensionReason::ALL.len()],
            reason_detail: Some("described".into()),
            superintendent_approval: None,
            assessment_at_police_station: None,
        });
        ep
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_transfer_never_moves_the_deadline_earlier(ep in arb_episode(), stay_len in 1i64..600, travel in 0i64..120) {
        let book = RuleBook::england();
        let before = compute_clock(&ep, &book).expect("clock");
        let mut moved = ep.clone();
        let last_arrival = moved.stays.last().map(|s| s.arrived_at).expect("a stay");
        let leave = last_arrival + TimeDelta::minutes(stay_len);
        if let Some(last) = moved.stays.last_mut() { last.departed_at = Some(leave); }
        moved.stays.push(Stay::new(PlaceOfSafetyKind::HealthBased, leave + TimeDelta::minutes(travel)));
        let after = compute_clock(&moved, &book).expect("clock");
        prop_assert!(after.deadline >= before.deadline);
        prop_assert_eq!(after.start, before.start);
    }

    #[test]
    fn the_deadline_is_between_24_and_36_hours_after_the_start(ep in arb_episode()) {
        let c = compute_clock(&ep, &RuleBook::england()).expect("clock");
        prop_assert!(c.deadline - c.start >= TimeDelta::hours(24));
        prop_assert!(c.deadline - c.start <= TimeDelta::hours(36));
        prop_assert_eq!(c.start, ep.stays[0].arrived_at);
    }

    #[test]
    fn the_board_and_the_breach_agree(ep in arb_episode(), now_after in 0i64..(40 * 60)) {
        let book = RuleBook::england();
        let now = ep.stays[0].arrived_at + TimeDelta::minutes(now_after);
        let b = board_status(&ep, &book, now);
        prop_assert_eq!(b.level == BoardLevel::Breach, breach(&ep, &book, now).is_some());
    }
}

// ---------- the legal review of 2026 (Concordat issue 12) ----------

fn approved(rank: PoliceRank, at: &str) -> Option<SeniorApproval> {
    Some(SeniorApproval {
        rank,
        approved_at: t(at),
    })
}

fn fields(errs: &[FieldError]) -> Vec<String> {
    errs.iter()
        .map(|e| format!("{} [{}]", e.field, e.rule.unwrap_or("input")))
        .collect()
}

#[test]
fn s135_2_has_no_clock_no_breach_no_extension_and_no_police_station_rules() {
    let book = RuleBook::england();
    // A 16-year-old retaken under a s135(2) warrant and held at a police station for two days.
    let mut ep = Episode::new(
        Power::S135_2,
        t("2024-02-01 09:00"),
        DetentionPlace::PrivateDwelling,
        PersonAge::Years(16),
    );
    ep.stays = vec![Stay::new(
        PlaceOfSafetyKind::PoliceStation,
        t("2024-02-01 09:30"),
    )];
    assert_eq!(
        compute_clock(&ep, &book),
        Err(ClockError::NoStatutoryPeriod)
    );
    let now = t("2024-02-03 09:30");
    assert_eq!(breach(&ep, &book, now), None);
    let row = board_status(&ep, &book, now);
    assert_eq!(row.level, BoardLevel::NoTimeLimit);
    assert_eq!(row.breach, None);
    assert_eq!(row.welfare, None, "no s136A welfare checks for s135(2)");
    assert_eq!(render_errors(&validate(&ep, &book)), "ok");
    assert!(!SummaryRecord::from_episode(&ep, &book, now).breached);

    // An extension has no period to extend.
    ep.assessment.doctor = Some(doctor());
    ep.extension = Some(extension(
        "2024-02-02 08:00",
        60,
        ExtensionReason::Intoxication,
    ));
    assert_eq!(
        fields(&validate(&ep, &book)),
        vec!["extension [s135_2_no_period]"]
    );
    assert!(
        !home_office_row(
            &ep,
            Demographics {
                sex: Sex::Male,
                ethnicity: Ethnicity::White
            },
            "Police",
            &book
        )
        .local_extended
    );

    // Ended: still no breach, and the board says so in words.
    ep.extension = None;
    ep.ended_at = Some(t("2024-02-03 12:00"));
    ep.outcome = Some(OutcomeKind::Other);
    let row = board_status(&ep, &book, t("2024-02-04 12:00"));
    assert_eq!(row.level, BoardLevel::NoTimeLimit);
    assert_eq!(row.breach, None);
}

/// A person at a police station from 10:00 on 1 May 2024; extension authorised at 08:00 next day.
fn at_police_station_with_extension(assessment_there: Option<bool>) -> Episode {
    with(s136("2024-05-01 09:30"), |e| {
        e.stays = vec![stay(
            PlaceOfSafetyKind::PoliceStation,
            "2024-05-01 10:00",
            None,
        )];
        e.extension = Some(Extension {
            assessment_at_police_station: assessment_there,
            ..extension("2024-05-02 08:00", 120, ExtensionReason::Intoxication)
        });
    })
}

#[test]
fn superintendent_approval_only_when_the_assessment_would_be_at_the_police_station() {
    let book = RuleBook::england();
    let granted = |ep: &Episode| {
        matches!(
            compute_clock(ep, &book).expect("clock").extension,
            ExtensionStatus::Granted { minutes: 120 }
        )
    };
    // About to be moved for the assessment: no approval needed, and no false breach.
    let moving = at_police_station_with_extension(Some(false));
    assert!(granted(&moving));
    assert_eq!(render_errors(&validate(&moving, &book)), "ok");
    assert_eq!(breach(&moving, &book, t("2024-05-02 11:00")), None);

    // Assessment there, or not recorded: approval needed.
    for there in [Some(true), None] {
        let ep = at_police_station_with_extension(there);
        assert!(!granted(&ep), "{there:?}");
        assert_eq!(
            fields(&validate(&ep, &book)),
            vec!["extension.superintendent_approval [extension_superintendent]"],
            "{there:?}"
        );
        let mut ok = ep.clone();
        if let Some(x) = ok.extension.as_mut() {
            x.superintendent_approval = approved(PoliceRank::Superintendent, "2024-05-02 08:10");
        }
        assert!(granted(&ok), "{there:?}");
    }
    let said = at_police_station_with_extension(Some(true));
    assert!(
        validate(&said, &book)[0]
            .message
            .contains("the assessment would be carried out or completed there")
    );

    // Approval recorded before the doctor's authorisation: impossible.
    let mut early = at_police_station_with_extension(Some(true));
    if let Some(x) = early.extension.as_mut() {
        x.superintendent_approval = approved(PoliceRank::Superintendent, "2024-05-02 07:50");
    }
    assert!(!granted(&early));
    assert_eq!(
        fields(&validate(&early, &book)),
        vec!["extension.superintendent_approved_at [input]"]
    );
    // The same check applies wherever the person is.
    let mut early_hbpos = early.clone();
    early_hbpos.stays = vec![stay(
        PlaceOfSafetyKind::HealthBased,
        "2024-05-01 10:00",
        None,
    )];
    assert_eq!(
        fields(&validate(&early_hbpos, &book)),
        vec!["extension.superintendent_approved_at [input]"]
    );
}

#[test]
fn extension_authorised_in_transit_needs_no_approval() {
    let book = RuleBook::england();
    // Left the police station at 07:30, arrived at the health-based place at 08:30; extended at 08:00 on the way.
    let ep = with(s136("2024-05-01 09:30"), |e| {
        e.stays = vec![
            stay(
                PlaceOfSafetyKind::PoliceStation,
                "2024-05-01 10:00",
                Some("2024-05-02 07:30"),
            ),
            stay(PlaceOfSafetyKind::HealthBased, "2024-05-02 08:30", None),
        ];
        e.extension = Some(extension(
            "2024-05-02 08:00",
            120,
            ExtensionReason::Intoxication,
        ));
    });
    let c = compute_clock(&ep, &book).expect("clock");
    assert_eq!(c.extension, ExtensionStatus::Granted { minutes: 120 });
    assert_eq!(c.deadline, t("2024-05-02 12:00"));
    assert_eq!(render_errors(&validate(&ep, &book)), "ok");
}

#[test]
fn transfer_after_an_extension_keeps_the_clock_and_the_extension() {
    let book = RuleBook::england();
    let extended = with(s136("2024-05-01 09:30"), |e| {
        e.stays = vec![stay(
            PlaceOfSafetyKind::HealthBased,
            "2024-05-01 10:00",
            None,
        )];
        e.extension = Some(extension(
            "2024-05-02 08:00",
            600,
            ExtensionReason::TooUnwellToAssess,
        ));
    });
    let before = compute_clock(&extended, &book).expect("clock");
    let mut moved = extended.clone();
    moved.stays[0].departed_at = Some(t("2024-05-02 12:00"));
    moved.stays.push(stay(
        PlaceOfSafetyKind::EmergencyDepartment,
        "2024-05-02 12:20",
        None,
    ));
    let after = compute_clock(&moved, &book).expect("clock");
    assert_eq!(
        after.start,
        t("2024-05-01 10:00"),
        "a transfer never restarts the clock"
    );
    assert_eq!(after.extension, ExtensionStatus::Granted { minutes: 600 });
    assert_eq!(after.deadline, before.deadline);
    assert_eq!(after.deadline, t("2024-05-02 20:00"));
    assert_eq!(render_errors(&validate(&moved, &book)), "ok");
    assert_eq!(breach(&moved, &book, t("2024-05-02 19:59")), None);
    assert!(breach(&moved, &book, t("2024-05-02 20:00")).is_some());
}

#[test]
fn the_detention_place_counts_as_a_police_station_stay() {
    let book = RuleBook::england();
    let at_station = |age: PersonAge| {
        with(s136("2024-05-01 09:30"), |e| {
            e.detention_place = DetentionPlace::PoliceStation;
            e.age = age;
        })
    };
    // A 16-year-old detained under s136 at a police station, no other place recorded: refused.
    let child = at_station(PersonAge::Years(16));
    assert!(child.used_police_station());
    let errs = validate(&child, &book);
    assert_eq!(
        fields(&errs),
        vec!["detention_place [police_station_child]"]
    );
    assert!(
        errs[0]
            .message
            .contains("detained at a police station and is 16"),
        "{}",
        errs[0].message
    );
    // Removed to a health-based place of safety: not held at the police station, so lawful.
    let removed = with(child.clone(), |e| {
        e.stays = vec![stay(
            PlaceOfSafetyKind::HealthBased,
            "2024-05-01 10:00",
            None,
        )]
    });
    assert!(!removed.used_police_station());
    assert_eq!(render_errors(&validate(&removed, &book)), "ok");
    // Kept at the police station: refused for a child, whatever the stays say.
    let kept = with(child.clone(), |e| {
        e.kept_where_they_are_at = Some(t("2024-05-01 09:30"));
        e.stays = vec![stay(
            PlaceOfSafetyKind::PoliceStation,
            "2024-05-01 09:30",
            None,
        )];
    });
    assert_eq!(
        fields(&validate(&kept, &book)),
        vec!["stays[0].kind [police_station_child]"]
    );

    // An adult held there: the regulation 2 conditions must be recorded on a police station stay.
    let adult = at_station(PersonAge::Years(40));
    assert_eq!(
        fields(&validate(&adult, &book)),
        vec!["detention_place [police_station_conditions]"]
    );
    let recorded = with(adult.clone(), |e| {
        e.stays = vec![stay(
            PlaceOfSafetyKind::PoliceStation,
            "2024-05-01 09:30",
            None,
        )]
    });
    assert_eq!(render_errors(&validate(&recorded, &book)), "ok");
    // Age unknown: local policy refuses, on the age.
    assert_eq!(
        fields(&validate(&at_station(PersonAge::Unknown), &book)),
        vec![
            "age [police_station_age_unknown]",
            "detention_place [police_station_conditions]"
        ]
    );
    // s135(2) retaking at a police station is outside s136A.
    let retaken = with(child, |e| {
        e.power = Power::S135_2;
        e.consultation = None;
    });
    assert_eq!(render_errors(&validate(&retaken, &book)), "ok");
}

#[test]
fn s136_kept_at_must_be_a_place_of_safety() {
    let book = RuleBook::england();
    let kept = |place: DetentionPlace, stays: Vec<Stay>| {
        with(s136("2024-05-01 09:30"), |e| {
            e.detention_place = place;
            e.kept_where_they_are_at = Some(t("2024-05-01 09:35"));
            e.stays = stays;
        })
    };
    let hbpos = || {
        vec![stay(
            PlaceOfSafetyKind::HealthBased,
            "2024-05-01 09:00",
            None,
        )]
    };
    assert_eq!(
        fields(&validate(
            &kept(DetentionPlace::StreetOrPublicPlace, hbpos()),
            &book
        )),
        vec!["kept_where_they_are_at [s136_kept_at_place_of_safety]"]
    );
    assert_eq!(
        fields(&validate(
            &kept(DetentionPlace::HealthSetting, Vec::new()),
            &book
        )),
        vec!["stays [s136_kept_at_place_of_safety]"]
    );
    assert_eq!(
        render_errors(&validate(
            &kept(DetentionPlace::HealthSetting, hbpos()),
            &book
        )),
        "ok"
    );
    assert_eq!(
        fields(&validate(
            &kept(DetentionPlace::PoliceStation, hbpos()),
            &book
        )),
        vec![
            "stays[0].kind [s136_kept_at_place_of_safety]",
            "detention_place [police_station_conditions]"
        ]
    );
}

#[test]
fn home_office_transport_keeps_not_known_apart_from_other() {
    let book = RuleBook::england();
    let person = Demographics {
        sex: Sex::NotKnown,
        ethnicity: Ethnicity::NotStated,
    };
    let code = |tr: Option<Transport>| {
        let ep = with(s136("2024-05-01 09:30"), |e| e.transport = tr);
        home_office_row(&ep, person, "Northvale Police", &book).transport
    };
    assert_eq!(code(None), "not_known");
    assert_eq!(code(Some(Transport::Other)), "other");
    assert_eq!(code(Some(Transport::Ambulance)), "ambulance");
    let header = HomeOfficeRow::HEADER;
    assert_eq!(header[0], "police_force");
    assert!(header.iter().rev().take(3).all(|h| h.starts_with("local_")));
    let ep = s136("2024-05-01 09:30");
    assert_eq!(
        home_office_row(&ep, person, "Northvale Police", &book)
            .values()
            .len(),
        header.len()
    );
}
