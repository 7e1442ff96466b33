//! The partnership: organisations, staff, data sharing agreements and the places that receive people in crisis.

use crate::geo::Geography;
use crate::model::{OpeningSession, Organisation, Place, PlaceKind, SharingAgreement, StaffMember};
use crate::sample::DemoRng;
use chrono::{Datelike, Months, NaiveDate, NaiveTime, Weekday};
use concordat_domain::{DataCategory, LegalBasis, OrgKind, Role};
use rand::Rng;

pub(crate) const TRUST: &str = "northvale-mh-trust";
pub(crate) const ICB: &str = "northvale-icb";
pub(crate) const ACUTE: &str = "northvale-hospitals";
pub(crate) const AMBULANCE: &str = "northvale-ambulance";
pub(crate) const POLICE: &str = "northvale-police";
pub(crate) const FIRE: &str = "northvale-fire";
pub(crate) const COUNCIL: &str = "northvale-council";
pub(crate) const HOUSING: &str = "harbourside-homes";
pub(crate) const CRISIS_HOUSE_ORG: &str = "lantern-trust";
pub(crate) const CAFE_ORG: &str = "nightlight-cafe";
pub(crate) const PEER_SUPPORT: &str = "northvale-peer-support";
pub(crate) const CARERS: &str = "easterby-carers-circle";
pub(crate) const NHS111: &str = "northvale-111";

pub(crate) const HBPOS_NORTHVALE: &str = "willows-suite";
pub(crate) const HBPOS_EASTERBY: &str = "easterby-pos";
pub(crate) const AE_NORTHVALE: &str = "northvale-general-ae";
pub(crate) const AE_EASTERBY: &str = "easterby-ae";
pub(crate) const CUSTODY: &str = "northvale-custody";
pub(crate) const CRISIS_HOUSE: &str = "lantern-house";
pub(crate) const CAFE: &str = "nightlight-cafe-canal";

/// (key, name, kind, ods, org-id, neighbourhood index, description)
type OrgRow = (
    &'static str,
    &'static str,
    OrgKind,
    Option<&'static str>,
    Option<&'static str>,
    usize,
    &'static str,
);

const ORGS: &[OrgRow] = &[
    (
        TRUST,
        "Northvale Mental Health NHS Foundation Trust",
        OrgKind::MentalHealthTrust,
        Some("ZZA"),
        None,
        7,
        "Fictional NHS mental health trust: crisis and community teams, street triage nurses and the health-based places of safety.",
    ),
    (
        ICB,
        "NHS Northvale and Easterby Integrated Care Board",
        OrgKind::Icb,
        Some("ZZB"),
        None,
        0,
        "Fictional integrated care board that commissions the crisis services and hosts the partnership's analysts.",
    ),
    (
        ACUTE,
        "Northvale Hospitals NHS Trust",
        OrgKind::AcuteTrust,
        Some("ZZC"),
        None,
        7,
        "Fictional acute trust running the emergency departments at Northvale General and Easterby.",
    ),
    (
        AMBULANCE,
        "Northvale Ambulance Service NHS Trust",
        OrgKind::AmbulanceService,
        Some("ZZD"),
        None,
        8,
        "Fictional ambulance service: 999 calls and paramedics.",
    ),
    (
        POLICE,
        "Northvale Police",
        OrgKind::PoliceForce,
        None,
        None,
        0,
        "Fictional police force: response officers, the control room and custody.",
    ),
    (
        FIRE,
        "Northvale Fire and Rescue Service",
        OrgKind::FireAndRescue,
        None,
        None,
        3,
        "Fictional fire and rescue service: safe and well visits and emergency response.",
    ),
    (
        COUNCIL,
        "Northvale Borough Council",
        OrgKind::LocalAuthority,
        None,
        None,
        0,
        "Fictional council: approved mental health professionals (AMHPs), social care and housing advice.",
    ),
    (
        HOUSING,
        "Harbourside Homes",
        OrgKind::Housing,
        None,
        Some("GB-COH-ZZ000001"),
        1,
        "Fictional housing association with supported housing schemes.",
    ),
    (
        CRISIS_HOUSE_ORG,
        "Lantern Trust",
        OrgKind::Vcse,
        None,
        Some("GB-CHC-9990001"),
        4,
        "Fictional charity running Lantern House, a crisis house.",
    ),
    (
        CAFE_ORG,
        "Nightlight Café",
        OrgKind::Vcse,
        None,
        Some("GB-CHC-9990002"),
        1,
        "Fictional charity running an evening safe haven café by the canal.",
    ),
    (
        PEER_SUPPORT,
        "Northvale Peer Support Network",
        OrgKind::Vcse,
        None,
        Some("GB-CHC-9990003"),
        3,
        "Fictional peer support charity run by people with lived experience.",
    ),
    (
        CARERS,
        "Easterby Carers' Circle",
        OrgKind::Vcse,
        None,
        None,
        14,
        "Fictional small grassroots group for carers; not a registered charity.",
    ),
    (
        NHS111,
        "Northvale Integrated Urgent Care (NHS 111)",
        OrgKind::Other,
        Some("ZZE"),
        None,
        8,
        "Fictional NHS 111 provider with a mental health option.",
    ),
];

pub(crate) fn organisations(rng: &mut DemoRng, geo: &Geography) -> Vec<Organisation> {
    ORGS.iter()
        .filter_map(|(key, name, kind, ods, org_id, nbh, description)| {
            let unit = geo.random_unit(rng, *nbh)?;
            let number = rng.random_range(1..=90u32);
            Some(Organisation {
                key: (*key).to_string(),
                name: (*name).to_string(),
                kind: *kind,
                ods_code: ods.map(str::to_string),
                org_id: org_id.map(str::to_string),
                address_line: format!("{number} {}", unit.street),
                postcode: unit.postcode.clone(),
                description: (*description).to_string(),
                crisis_line: crisis_line(key).map(str::to_string),
            })
        })
        .collect()
}

/// The crisis lines of the organisations that run one: the trust's 24-hour mental health crisis line
/// and NHS 111's mental health option, numbers from Ofcom's drama range.
fn crisis_line(key: &str) -> Option<&'static str> {
    match key {
        TRUST => Some("0808 157 0136"),
        NHS111 => Some("0808 157 0111"),
        CAFE_ORG => Some("0808 157 0247"),
        _ => None,
    }
}

/// (username, display name, org, role, job title). The first row for each role is its demo login.
const STAFF: &[(&str, &str, &str, Role, &str)] = &[
    (
        "demo.responder",
        "PC Sam Holloway",
        POLICE,
        Role::Responder,
        "Response officer",
    ),
    (
        "demo.triage",
        "Priya Okonjo",
        TRUST,
        Role::TriageClinician,
        "Street triage nurse",
    ),
    (
        "demo.crisis",
        "Daniel Achterberg",
        TRUST,
        Role::CrisisClinician,
        "Crisis team nurse",
    ),
    (
        "demo.pos",
        "Mags Penrose",
        TRUST,
        Role::PlaceOfSafetyCoordinator,
        "Place-of-safety coordinator",
    ),
    (
        "demo.analyst",
        "Tariq Lindqvist",
        ICB,
        Role::Analyst,
        "Partnership analyst",
    ),
    (
        "demo.alliance",
        "Helen Marchbank",
        ICB,
        Role::AllianceCoordinator,
        "Crisis alliance coordinator",
    ),
    (
        "demo.member",
        "Joe Ashdown",
        CRISIS_HOUSE_ORG,
        Role::AllianceMember,
        "Crisis house manager",
    ),
    (
        "demo.ebe",
        "Robin Ellery",
        PEER_SUPPORT,
        Role::ExpertByExperience,
        "Expert by experience",
    ),
    (
        "demo.privacy",
        "Ruth Castellan",
        TRUST,
        Role::PrivacyOfficer,
        "Information governance lead",
    ),
    (
        "demo.admin",
        "Alex Brannigan",
        TRUST,
        Role::Administrator,
        "System administrator",
    ),
    (
        "demo.paramedic",
        "Kemi Falkner",
        AMBULANCE,
        Role::Responder,
        "Paramedic",
    ),
    (
        "demo.firefighter",
        "Owen Tregarth",
        FIRE,
        Role::Responder,
        "Watch manager",
    ),
    (
        "demo.triage2",
        "Lewis Amadi",
        TRUST,
        Role::TriageClinician,
        "Control-room mental health nurse",
    ),
    (
        "demo.crisis2",
        "Sunita Varga",
        TRUST,
        Role::CrisisClinician,
        "Community mental health nurse",
    ),
    (
        "demo.amhp",
        "Grace Odufuwa",
        COUNCIL,
        Role::CrisisClinician,
        "Approved mental health professional",
    ),
    (
        "demo.responder2",
        "PC Nadia Strand",
        POLICE,
        Role::Responder,
        "Response officer",
    ),
    (
        "demo.police.privacy",
        "Ian Trelawney",
        POLICE,
        Role::PrivacyOfficer,
        "Data protection officer",
    ),
    (
        "demo.police.analyst",
        "Beth Ingleby",
        POLICE,
        Role::Analyst,
        "Demand analyst",
    ),
    (
        "demo.cafe",
        "Marta Quill",
        CAFE_ORG,
        Role::AllianceMember,
        "Safe haven café coordinator",
    ),
    (
        "demo.housing",
        "Femi Caldwell",
        HOUSING,
        Role::AllianceMember,
        "Tenancy support manager",
    ),
    (
        "demo.carers",
        "June Pellow",
        CARERS,
        Role::ExpertByExperience,
        "Carer and group organiser",
    ),
    (
        "demo.111",
        "Tom Hazeldine",
        NHS111,
        Role::TriageClinician,
        "NHS 111 mental health practitioner",
    ),
    (
        "demo.ae",
        "Dr Lena Moorcroft",
        ACUTE,
        Role::CrisisClinician,
        "Liaison psychiatrist",
    ),
];

pub(crate) fn staff() -> Vec<StaffMember> {
    let mut seen_roles = Vec::new();
    STAFF
        .iter()
        .map(|(username, display_name, org, role, title)| {
            let demo_login = !seen_roles.contains(role);
            seen_roles.push(*role);
            StaffMember {
                username: (*username).to_string(),
                display_name: (*display_name).to_string(),
                org: (*org).to_string(),
                role: *role,
                job_title: (*title).to_string(),
                email: format!("{username}@example.org"),
                demo_login,
            }
        })
        .collect()
}

/// Usernames that record contacts and plans.
pub(crate) const TRIAGE_NURSES: &[&str] = &["demo.triage", "demo.triage2"];
pub(crate) const CRISIS_CLINICIANS: &[&str] = &["demo.crisis", "demo.crisis2"];
pub(crate) const POLICE_RESPONDERS: &[&str] = &["demo.responder", "demo.responder2"];
pub(crate) const PARAMEDIC: &str = "demo.paramedic";

pub(crate) fn sharing_agreements(start: NaiveDate, end: NaiveDate) -> Vec<SharingAgreement> {
    use DataCategory::*;
    let rows: &[(&str, &str, &[DataCategory], LegalBasis, &str)] = &[
        (
            TRUST,
            AMBULANCE,
            &[Identity, CrisisPlanSummary, CrisisPlanClinical],
            LegalBasis::DirectCare,
            "Paramedics see crisis plans when they attend a person in crisis.",
        ),
        (
            TRUST,
            ACUTE,
            &[
                Identity,
                CrisisPlanSummary,
                CrisisPlanClinical,
                DetentionRecord,
            ],
            LegalBasis::DirectCare,
            "Emergency department and liaison staff see plans and s136 records for people they treat.",
        ),
        (
            TRUST,
            NHS111,
            &[Identity, CrisisPlanSummary, CrisisPlanClinical],
            LegalBasis::DirectCare,
            "NHS 111 mental health practitioners see plans when the person calls.",
        ),
        (
            TRUST,
            POLICE,
            &[Identity, CrisisPlanSummary],
            LegalBasis::Consent,
            "Officers at the scene see the sections the person agreed to share with all responders.",
        ),
        (
            TRUST,
            FIRE,
            &[Identity, CrisisPlanSummary],
            LegalBasis::Consent,
            "Fire crews see the sections the person agreed to share with all responders.",
        ),
        (
            TRUST,
            COUNCIL,
            &[
                Identity,
                CrisisPlanSummary,
                CrisisPlanClinical,
                DetentionRecord,
            ],
            LegalBasis::DirectCare,
            "AMHPs see plans and detention records for Mental Health Act assessments.",
        ),
        (
            TRUST,
            CRISIS_HOUSE_ORG,
            &[Identity, CrisisPlanSummary],
            LegalBasis::Consent,
            "The crisis house sees the plans of people referred to it, with their consent.",
        ),
        (
            TRUST,
            CAFE_ORG,
            &[CrisisPlanSummary],
            LegalBasis::Consent,
            "The safe haven café sees what helps, with the person's consent.",
        ),
        (
            POLICE,
            TRUST,
            &[Identity, IncidentHistory, DetentionRecord],
            LegalBasis::DirectCare,
            "The police share incidents and detentions so that the trust can offer care and plan with the person.",
        ),
        (
            AMBULANCE,
            TRUST,
            &[Identity, IncidentHistory],
            LegalBasis::DirectCare,
            "The ambulance service shares mental health call-outs for follow-up care.",
        ),
        (
            ACUTE,
            TRUST,
            &[Identity, IncidentHistory],
            LegalBasis::DirectCare,
            "Emergency departments share mental health attendances for follow-up care.",
        ),
        (
            TRUST,
            HOUSING,
            &[Identity, CrisisPlanSummary],
            LegalBasis::Consent,
            "Tenancy support staff see the sections the person agreed to share.",
        ),
        (
            POLICE,
            AMBULANCE,
            &[Identity, IncidentHistory],
            LegalBasis::VitalInterests,
            "Shared at the scene where there is a risk to life.",
        ),
    ];
    rows.iter()
        .enumerate()
        .map(|(i, (from, to, cats, basis, purpose))| {
            let starts_on = start - Months::new(6 + (i as u32 % 5) * 3);
            // Most are reviewed yearly and fall due after the period; every fourth is overdue at the end.
            let review_on = if i % 4 == 3 {
                end - Months::new(2 + (i as u32 % 3))
            } else {
                NaiveDate::from_ymd_opt(end.year() + 1, 1 + (i as u32 % 12), 1).unwrap_or(end)
            };
            SharingAgreement {
                key: format!("dsa-{:02}", i + 1),
                from_org: (*from).to_string(),
                to_org: (*to).to_string(),
                categories: cats.to_vec(),
                legal_basis: *basis,
                purpose: (*purpose).to_string(),
                starts_on,
                review_on,
            }
        })
        .collect()
}

fn time(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default()
}

fn every_day(opens: NaiveTime, closes: NaiveTime) -> Vec<OpeningSession> {
    [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ]
    .into_iter()
    .map(|day| OpeningSession { day, opens, closes })
    .collect()
}

/// (key, name, kind, org, neighbourhood index, capacity, under 18s, notes)
type PlaceRow = (
    &'static str,
    &'static str,
    PlaceKind,
    &'static str,
    usize,
    u32,
    bool,
    &'static str,
);

const PLACES: &[PlaceRow] = &[
    (
        HBPOS_NORTHVALE,
        "The Willows Suite (health-based place of safety), Northvale",
        PlaceKind::HealthBasedPlaceOfSafety,
        TRUST,
        7,
        2,
        true,
        "Two assessment rooms. Ring ahead on arrival; the coordinator confirms a room.",
    ),
    (
        HBPOS_EASTERBY,
        "Easterby Place of Safety, Easterby Community Hospital",
        PlaceKind::HealthBasedPlaceOfSafety,
        TRUST,
        14,
        1,
        false,
        "One room. Adults only; under 18s go to the Willows Suite.",
    ),
    (
        AE_NORTHVALE,
        "Emergency Department, Northvale General Hospital",
        PlaceKind::EmergencyDepartment,
        ACUTE,
        7,
        6,
        true,
        "Mental health liaison team on site at all hours.",
    ),
    (
        AE_EASTERBY,
        "Emergency Department, Easterby Community Hospital",
        PlaceKind::EmergencyDepartment,
        ACUTE,
        14,
        3,
        true,
        "Liaison team by phone overnight.",
    ),
    (
        CUSTODY,
        "Northvale Police Custody Suite",
        PlaceKind::PoliceStation,
        POLICE,
        0,
        1,
        false,
        "Last resort only, for adults, under the Places of Safety Regulations 2017.",
    ),
    (
        CRISIS_HOUSE,
        "Lantern House crisis house",
        PlaceKind::CrisisHouse,
        CRISIS_HOUSE_ORG,
        4,
        5,
        false,
        "Five short-stay beds as an alternative to admission. Referrals 09:00-21:00 via the crisis team.",
    ),
    (
        CAFE,
        "Nightlight safe haven café, Canal Quarter",
        PlaceKind::SafeHaven,
        CAFE_ORG,
        1,
        12,
        false,
        "Drop-in evenings; no appointment or referral needed.",
    ),
];

pub(crate) fn places(rng: &mut DemoRng, geo: &Geography) -> Vec<Place> {
    PLACES
        .iter()
        .enumerate()
        .filter_map(
            |(i, (key, name, kind, org, nbh, capacity, under18, notes))| {
                let unit = geo.random_unit(rng, *nbh)?;
                let number = rng.random_range(1..=60u32);
                let (open_24_7, sessions) = match kind {
                    PlaceKind::CrisisHouse => (true, Vec::new()),
                    PlaceKind::SafeHaven => {
                        let mut s = every_day(time(18, 0), time(23, 0));
                        for session in &mut s {
                            if matches!(session.day, Weekday::Fri | Weekday::Sat) {
                                session.closes = time(1, 0);
                            }
                        }
                        (false, s)
                    }
                    _ => (true, Vec::new()),
                };
                Some(Place {
                    key: (*key).to_string(),
                    name: (*name).to_string(),
                    kind: *kind,
                    org: (*org).to_string(),
                    address_line: format!("{number} {}", unit.street),
                    postcode: unit.postcode.clone(),
                    x_m: unit.x_m,
                    y_m: unit.y_m,
                    capacity: *capacity,
                    open_24_7,
                    sessions,
                    accepts_under_18: *under18,
                    phone: format!("01632 960{:03}", 101 + i),
                    notes: (*notes).to_string(),
                })
            },
        )
        .collect()
}

/// Whether the safe haven café is open at a local time (18:00-23:00, Friday and Saturday to 01:00).
pub(crate) fn cafe_open(weekday: Weekday, hour: u32) -> bool {
    match hour {
        18..=22 => true,
        0 => matches!(weekday, Weekday::Sat | Weekday::Sun),
        _ => false,
    }
}
