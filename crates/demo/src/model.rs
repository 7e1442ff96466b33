//! The plain, owned records that make up a demo region.
//!
//! Every record has a stable string key (or a stable code for enums) so that a loader can map it to database rows,
//! and every type serialises with serde.
//! Nothing here refers to a real person, place or organisation: see the crate documentation.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc, Weekday};
use concordat_domain::{DataCategory, LegalBasis, NhsNumber, OrgKind, Postcode, Role};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Declares a closed enum whose serde name is its stable code, with a plain-English label.
macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => ($code:literal, $label:literal)),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name { $($(#[$vmeta])* #[serde(rename = $code)] $variant),+ }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable code used in serialised output and CSV.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// The plain-English label shown to people.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            /// Parses a stable code.
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

/// An area of the fictional region, made of whole 1 km grid cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Neighbourhood {
    /// Stable key, e.g. "NV01".
    pub code: String,
    /// Fictional name, e.g. "Canal Quarter".
    pub name: String,
    /// The town the neighbourhood belongs to (fictional).
    pub town: String,
    /// Grid cell holding the neighbourhood's centre (0..grid size, east).
    pub x: u8,
    /// Grid cell holding the neighbourhood's centre (0..grid size, north).
    pub y: u8,
    /// The postcode district (outward code) of every address in the neighbourhood, e.g. "ZZ3".
    pub postcode_district: String,
    /// Resident population (the sum over its cells).
    pub population: u32,
    /// Deprivation decile in the style of the English Indices of Deprivation: 1 most deprived, 10 least.
    pub deprivation_decile: u8,
}

/// One 1 km grid cell. `x` runs east and `y` north from the south-west corner of the region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridCell {
    /// Column, 0 at the west edge.
    pub x: u8,
    /// Row, 0 at the south edge.
    pub y: u8,
    /// Code of the neighbourhood the cell belongs to.
    pub neighbourhood: String,
    /// Residents living in the cell.
    pub population: u32,
}

/// A fictional organisation in the partnership.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organisation {
    /// Stable key, e.g. "northvale-mh-trust".
    pub key: String,
    /// Fictional name.
    pub name: String,
    /// What kind of organisation it is.
    pub kind: OrgKind,
    /// A fictional ODS-style code (all start "ZZ"), for NHS bodies.
    pub ods_code: Option<String>,
    /// A fictional org-id (GB-CHC-999…, GB-COH-ZZ…) for charities and companies.
    pub org_id: Option<String>,
    /// Main address: first line.
    pub address_line: String,
    /// Main address: postcode (area ZZ).
    pub postcode: Postcode,
    /// One sentence saying what the organisation does in the demo.
    pub description: String,
    /// The crisis line people and partners call, for organisations that run one (numbers from Ofcom's
    /// range for drama, 0808 157 0xxx, so no real line is rung).
    #[serde(default)]
    pub crisis_line: Option<String>,
}

/// A member of staff with one membership (organisation and role).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffMember {
    /// Sign-in name, unique, e.g. "demo.responder".
    pub username: String,
    /// Fictional display name.
    pub display_name: String,
    /// Key of the organisation.
    pub org: String,
    /// Role within that organisation.
    pub role: Role,
    /// Job title as people would say it.
    pub job_title: String,
    /// Email address at example.org (reserved for documentation; never delivered).
    pub email: String,
    /// True for the one account per role that a demo should print as that role's login.
    pub demo_login: bool,
}

/// Which categories of personal data may flow from one organisation to another, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharingAgreement {
    /// Stable key, e.g. "dsa-01".
    pub key: String,
    /// Organisation sharing the data.
    pub from_org: String,
    /// Organisation receiving it.
    pub to_org: String,
    /// Categories covered.
    pub categories: Vec<DataCategory>,
    /// Lawful basis recorded for the flow.
    pub legal_basis: LegalBasis,
    /// Purpose in plain English.
    pub purpose: String,
    /// Date the agreement took effect.
    pub starts_on: NaiveDate,
    /// Date by which it must be reviewed (some fall before the end of the demo period: overdue).
    pub review_on: NaiveDate,
}

code_enum!(
    /// Sex as recorded on the person's record.
    Sex {
        Female => ("female", "Female"),
        Male => ("male", "Male"),
    }
);

/// A subject of records: only people who appear in the generated activity (plus [`crate::DemoParams::extra_people`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    /// Stable key, e.g. "P000123".
    pub key: String,
    /// Given name (common names combined at random).
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Sex.
    pub sex: Sex,
    /// Date of birth.
    pub date_of_birth: NaiveDate,
    /// NHS number from the 999 range reserved for testing; missing for some people, as in real records.
    pub nhs_number: Option<NhsNumber>,
    /// First line of the address (fictional street).
    pub address_line: String,
    /// Postcode (area ZZ).
    pub postcode: Postcode,
    /// Code of the home neighbourhood.
    pub neighbourhood: String,
    /// Phone number from Ofcom's ranges reserved for drama (07700 900xxx, 01632 960xxx); missing for some.
    pub phone: Option<String>,
    /// Email at example.org; missing for some.
    pub email: Option<String>,
}

code_enum!(
    /// How the contact reached services.
    ContactSource {
        Call999 => ("999", "999 call"),
        Call101 => ("101", "101 call"),
        ControlRoom => ("control_room", "Police control room"),
        Nhs111 => ("nhs_111", "NHS 111"),
        AdviceLine => ("advice_line", "Mental health advice line"),
        WalkIn => ("walk_in", "Walk-in"),
    }
);

code_enum!(
    /// Where the person was.
    Setting {
        StreetOrPublicPlace => ("street_or_public_place", "Street or public place"),
        PrivatePremises => ("private_premises", "Private premises"),
        Other => ("other", "Other"),
    }
);

code_enum!(
    /// How the mental health response was given.
    ResponseType {
        FaceToFace => ("face_to_face", "Face to face"),
        PhoneAdviceAtScene => ("phone_advice", "Phone advice to an officer at the scene"),
        ControlRoomAdvice => ("control_room_advice", "Control-room advice"),
    }
);

code_enum!(
    /// What the person presented with (a contact may have several).
    PresentingNeed {
        SuicidalThoughts => ("suicidal_thoughts", "Suicidal thoughts"),
        SelfHarm => ("self_harm", "Self-harm"),
        Psychosis => ("psychosis", "Psychotic symptoms"),
        AcuteDistress => ("acute_distress", "Acute distress or anxiety"),
        Alcohol => ("alcohol", "Alcohol"),
        Drugs => ("drugs", "Drugs"),
        Confusion => ("confusion", "Confusion or dementia"),
        WelfareConcern => ("welfare_concern", "Welfare concern raised by someone else"),
        PhysicalInjury => ("physical_injury", "Physical injury"),
    }
);

code_enum!(
    /// The outcome of a contact (the main one, when there were several).
    Outcome {
        NoFurtherAction => ("no_further_action", "No further action"),
        Signposted => ("signposted", "Signposted to a service"),
        ReferredCrisisTeam => ("referred_crisis_team", "Referred to the crisis team"),
        ReferredCommunityTeam => ("referred_community_team", "Referred to the community team"),
        ReferredGp => ("referred_gp", "Referred to GP"),
        ReferredVcse => ("referred_vcse", "Referred to a VCSE service"),
        InformalAdmission => ("informal_admission", "Informal admission"),
        AeAttendance => ("ae_attendance", "A&E attendance"),
        Section136 => ("s136", "Detained under section 136"),
        Section135 => ("s135", "Removed under a section 135 warrant"),
        Arrest => ("arrest", "Arrest"),
    }
);

code_enum!(
    /// How the person was taken somewhere, if at all.
    Conveyance {
        TriageCar => ("triage_car", "Street triage car"),
        Ambulance => ("ambulance", "Ambulance"),
        PoliceVehicle => ("police_vehicle", "Police vehicle"),
        NotConveyed => ("none", "Not conveyed"),
    }
);

/// A crisis contact: one shared record of a response (street triage, control room, advice line or ordinary response).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    /// Stable key, e.g. "C000001". Keys follow call time.
    pub key: String,
    /// When the call (or walk-in) came in.
    pub call_at: DateTime<Utc>,
    /// When the first responder arrived with the person; `None` when nobody attended (advice only).
    pub arrived_at: Option<DateTime<Utc>>,
    /// How the contact reached services.
    pub source: ContactSource,
    /// Where the person was.
    pub setting: Setting,
    /// Neighbourhood code of the location.
    pub neighbourhood: String,
    /// Postcode of the location (area ZZ).
    pub postcode: Postcode,
    /// Location in metres east of the region's south-west corner.
    pub x_m: u32,
    /// Location in metres north of the region's south-west corner.
    pub y_m: u32,
    /// Organisations present or advising (keys).
    pub agencies: Vec<String>,
    /// How the mental health response was given.
    pub response: ResponseType,
    /// Key of the person, when known.
    pub person: Option<String>,
    /// Description when the person was not identified.
    pub person_description: Option<String>,
    /// What the person presented with.
    pub presenting_needs: Vec<PresentingNeed>,
    /// Whether a physical health assessment was done at the scene.
    pub physical_health_check: bool,
    /// The main outcome.
    pub outcome: Outcome,
    /// How the person was conveyed.
    pub conveyance: Conveyance,
    /// Why that conveyance (always set when a police vehicle was used).
    pub conveyance_reason: Option<String>,
    /// Police officer time spent, in minutes (0 when police were not involved).
    pub police_minutes: u32,
    /// Whether the street triage service (car, phone advice or control-room nurse) handled it.
    pub street_triage: bool,
    /// Username of the member of staff who recorded it.
    pub recorded_by: String,
}

impl Contact {
    /// 1 km grid column of the location.
    pub fn cell_x(&self) -> u8 {
        u8::try_from(self.x_m / 1000).unwrap_or(u8::MAX)
    }

    /// 1 km grid row of the location.
    pub fn cell_y(&self) -> u8 {
        u8::try_from(self.y_m / 1000).unwrap_or(u8::MAX)
    }
}

code_enum!(
    /// Kinds of place that receive people in crisis.
    /// The place-of-safety kinds use the same codes as the domain's `mha::PlaceOfSafetyKind`.
    PlaceKind {
        HealthBasedPlaceOfSafety => ("health_based", "Health-based place of safety"),
        EmergencyDepartment => ("emergency_department", "A&E (emergency department)"),
        PoliceStation => ("police_station", "Police station"),
        Home => ("private_home", "Private home (with consent)"),
        OtherPlace => ("other_suitable_place", "Other suitable place (with its manager's agreement)"),
        CrisisHouse => ("crisis_house", "Crisis house"),
        SafeHaven => ("safe_haven", "Safe haven café"),
    }
);

/// A regular opening session; `closes` earlier than `opens` means it closes after midnight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningSession {
    /// Day the session starts.
    pub day: Weekday,
    /// Local (Europe/London) opening time.
    pub opens: NaiveTime,
    /// Local closing time.
    pub closes: NaiveTime,
}

/// A place of safety, A&E, crisis house or safe haven.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    /// Stable key, e.g. "willows-suite".
    pub key: String,
    /// Fictional name.
    pub name: String,
    /// What kind of place.
    pub kind: PlaceKind,
    /// Key of the organisation that runs it.
    pub org: String,
    /// First line of the address.
    pub address_line: String,
    /// Postcode (area ZZ).
    pub postcode: Postcode,
    /// Location in metres east.
    pub x_m: u32,
    /// Location in metres north.
    pub y_m: u32,
    /// How many people it can receive at once (beds, suites or seats).
    pub capacity: u32,
    /// Open at all hours.
    pub open_24_7: bool,
    /// Opening sessions when not open at all hours.
    pub sessions: Vec<OpeningSession>,
    /// Whether it accepts people under 18.
    pub accepts_under_18: bool,
    /// The number to ring ahead on: synthetic, from Ofcom's range for drama (01632 960000 to 960999).
    pub phone: String,
    /// Notes for responders, in plain English.
    pub notes: String,
}

code_enum!(
    /// Mental Health Act power used (codes as in the domain's `mha::Power`).
    Power {
        Section136 => ("s136", "Section 136 (removal from a public place)"),
        Section135 => ("s135_1", "Section 135(1) warrant (to enter, and remove or keep a person)"),
    }
);

code_enum!(
    /// Who the officer consulted before using s136.
    Consultee {
        RegisteredNurse => ("nurse", "Registered nurse"),
        Doctor => ("doctor", "Registered medical practitioner"),
        Amhp => ("amhp", "Approved mental health professional"),
        Paramedic => ("paramedic", "Paramedic"),
    }
);

/// The consultation before a detention, or why there was none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consultation {
    /// Who was consulted, if anyone.
    pub consulted: Option<Consultee>,
    /// Name and service of the professional consulted.
    pub consulted_name: Option<String>,
    /// When.
    pub consulted_at: Option<DateTime<Utc>>,
    /// Why consultation was not practicable, when nobody was consulted.
    pub not_practicable_reason: Option<String>,
}

code_enum!(
    /// Whether an occupier agreed to a private home being used (codes as in the domain's `mha::OccupierAgreement`).
    OccupierAgreement {
        PersonIsSoleOccupier => ("person_is_sole_occupier", "The person lives there alone"),
        OccupierAgreed => ("occupier_agreed", "Another occupier agreed"),
        NotObtained => ("not_obtained", "No occupier's agreement"),
    }
);

/// Consents for using a private home as a place of safety.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeConsent {
    /// The person agreed.
    pub person_agreed: bool,
    /// The occupier's position.
    pub occupier: OccupierAgreement,
}

/// One stay at a place during a detention. Stays are in order; a later stay is a transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stay {
    /// Key of the place, or `None` for the person's home.
    pub place: Option<String>,
    /// Kind of place.
    pub kind: PlaceKind,
    /// Arrival (for s135 at home: when the officer entered).
    pub arrived_at: DateTime<Utc>,
    /// Departure; `None` while the person is still there (open episodes only).
    pub departed_at: Option<DateTime<Utc>>,
    /// Why the person moved on from here, for stays followed by a transfer.
    pub transfer_reason: Option<String>,
    /// For a private home: the consents obtained.
    pub home_consent: Option<HomeConsent>,
}

code_enum!(
    /// Police ranks, lowest first (codes as in the domain's `mha::PoliceRank`).
    PoliceRank {
        Constable => ("constable", "Constable"),
        Sergeant => ("sergeant", "Sergeant"),
        Inspector => ("inspector", "Inspector"),
        ChiefInspector => ("chief_inspector", "Chief inspector"),
        Superintendent => ("superintendent", "Superintendent"),
    }
);

/// The conditions recorded when a police station was used for an adult (Places of Safety Regulations 2017).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoliceStationUse {
    /// Rank of the officer who decided.
    pub decided_by_rank: PoliceRank,
    /// Rank of the officer who authorised it (inspector or above, because the decision maker was below).
    pub authorised_by_rank: PoliceRank,
    /// Behaviour posed an imminent risk of serious injury or death.
    pub imminent_risk_of_serious_harm: bool,
    /// No other place of safety could reasonably be expected to manage the person.
    pub no_other_place_can_manage: bool,
    /// A healthcare professional would be available.
    pub healthcare_professional_available: bool,
    /// Inspector (or above) who authorised it.
    pub authorised_by: String,
    /// When it was authorised.
    pub authorised_at: DateTime<Utc>,
    /// A health professional was consulted.
    pub health_professional_consulted: bool,
    /// Welfare checks by a healthcare professional (at most 30 minutes apart).
    pub welfare_checks: Vec<DateTime<Utc>>,
    /// Reviews by the custody officer (every 3 hours; the interval is unverified, see the domain brief).
    pub custody_reviews: Vec<DateTime<Utc>>,
    /// Why the person's behaviour made other places unsuitable, in plain English.
    pub reason: String,
}

code_enum!(
    /// Why the period was extended: always a reason in the person's condition
    /// (codes as in the domain's `mha::ExtensionReason`, which also has the unlawful reasons).
    ExtensionReason {
        Intoxication => ("intoxication", "Intoxicated: not yet fit to be assessed"),
        PhysicalTreatment => ("physical_treatment", "Needs physical treatment before assessment"),
        TooUnwellToAssess => ("too_unwell_to_assess", "Too unwell or distressed to be assessed yet"),
    }
);

/// An extension of the detention period by the examining doctor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    /// When authorised (before the first 24 hours ran out).
    pub authorised_at: DateTime<Utc>,
    /// Extra minutes (at most 12 hours).
    pub minutes: u32,
    /// The doctor responsible for the examination (the same as [`Episode::doctor`]).
    pub authorised_by: String,
    /// The reason, always in the person's condition.
    pub reason: ExtensionReason,
    /// The doctor's explanation.
    pub reason_detail: String,
    /// A superintendent's approval, needed only when the person is held in a police station (never generated).
    pub superintendent_approved_at: Option<DateTime<Utc>>,
}

code_enum!(
    /// Outcome of the assessment (codes as in the domain's `mha::OutcomeKind`).
    EpisodeOutcome {
        NoMentalDisorder => ("no_mental_disorder", "No mental disorder found; discharged"),
        DischargedWithSupport => ("discharged_with_referral", "Discharged with referral or community support"),
        InformalAdmission => ("informal_admission", "Informal (voluntary) admission"),
        DetainedSection2 => ("detained_s2", "Detained under section 2"),
        DetainedSection3 => ("detained_s3", "Detained under section 3"),
    }
);

code_enum!(
    /// Why a police vehicle was used (codes as in the domain's `mha::PoliceVehicleReason`).
    /// The labels are also the texts of [`Contact::conveyance_reason`] for police vehicles.
    PoliceVehicleReason {
        NoAmbulanceWithin30Minutes => ("no_ambulance_within_30_minutes", "No ambulance available within 30 minutes"),
        RiskToAmbulanceCrew => ("risk_to_ambulance_crew", "Person's behaviour made an ambulance unsafe"),
        AmbulanceCrewRequested => ("ambulance_crew_requested", "Ambulance crew asked the police to convey"),
    }
);

code_enum!(
    /// Where the person was when the power was used (a subset of the domain's `mha::DetentionPlace`, same codes).
    DetentionPlaceKind {
        StreetOrPublicPlace => ("street_or_public_place", "Street or other public place"),
        PrivateDwelling => ("private_dwelling", "House, flat or room where someone lives"),
        OtherPrivatePremises => ("other_private_premises", "Other private premises that are not a dwelling (e.g. workplace, shop)"),
    }
);

code_enum!(
    /// How the person was taken to the first place of safety.
    /// The domain's `mha::Transport` counts the triage car as "other" and has no "not transported".
    Transport {
        Ambulance => ("ambulance", "Ambulance"),
        PoliceVehicle => ("police_vehicle", "Police vehicle"),
        TriageCar => ("triage_car", "Street triage car"),
        OtherTransport => ("other", "Other"),
        NotTransported => ("none", "Not transported (s135: assessed at home)"),
    }
);

/// An s136 or s135 detention, from the contact that led to it to the end of the assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Episode {
    /// Stable key, e.g. "E000001".
    pub key: String,
    /// Key of the contact it came from.
    pub contact: String,
    /// Key of the person, when known.
    pub person: Option<String>,
    /// Age in whole years at detention, when the date of birth is known.
    pub age_at_detention: Option<u32>,
    /// Power used.
    pub power: Power,
    /// Time of detention (for s135: when the warrant was executed).
    pub detained_at: DateTime<Utc>,
    /// For s135: when the officer first entered the premises.
    pub warrant_entry_at: Option<DateTime<Utc>>,
    /// For s135 when the person stays at home: when the officer decided to keep them there.
    pub kept_where_they_are_at: Option<DateTime<Utc>>,
    /// Where: the kind of place.
    pub detention_place_kind: DetentionPlaceKind,
    /// Where: postcode of the detention.
    pub detention_postcode: Postcode,
    /// Where, in words.
    pub detention_place: String,
    /// Officer (collar number, fictional).
    pub officer: String,
    /// Key of the officer's force.
    pub officer_org: String,
    /// Consultation before detention.
    pub consultation: Consultation,
    /// Places in order, with arrival and departure.
    pub stays: Vec<Stay>,
    /// Conditions recorded for a police station stay.
    pub police_station: Option<PoliceStationUse>,
    /// Extension of the detention period, if any.
    pub extension: Option<Extension>,
    /// When the doctor examined the person (`None` while waiting).
    pub doctor_seen_at: Option<DateTime<Utc>>,
    /// Name of the doctor (fictional).
    pub doctor: Option<String>,
    /// When the AMHP interviewed the person (`None` while waiting).
    pub amhp_seen_at: Option<DateTime<Utc>>,
    /// Name of the AMHP (fictional).
    pub amhp: Option<String>,
    /// When the assessment was complete (`None` while open).
    pub assessment_completed_at: Option<DateTime<Utc>>,
    /// Outcome of the assessment (`None` while open).
    pub outcome: Option<EpisodeOutcome>,
    /// Transport to the first place.
    pub transport: Transport,
    /// Why a police vehicle was used.
    pub police_vehicle_reason: Option<PoliceVehicleReason>,
    /// When the detention ended (the person left the last place or was admitted); `None` while open.
    pub ended_at: Option<DateTime<Utc>>,
}

impl Episode {
    /// When the statutory clock started, by the generator's reading of the rules: arrival at the first place,
    /// or for s135 at home, the officer's entry.
    /// The domain crate computes this authoritatively; this is here for cross-checks.
    pub fn clock_started_at(&self) -> Option<DateTime<Utc>> {
        match (self.kept_where_they_are_at, self.warrant_entry_at) {
            (Some(_), Some(entry)) => Some(entry),
            _ => self.stays.first().map(|s| s.arrived_at),
        }
    }
}

code_enum!(
    /// The sections of a crisis plan.
    SectionKind {
        WhatCrisisLooksLike => ("what_crisis_looks_like", "What a crisis looks like for me"),
        EarlySignsAndTriggers => ("early_signs_and_triggers", "Early signs and triggers"),
        WhatHelps => ("what_helps", "What helps"),
        WhatDoesNotHelp => ("what_does_not_help", "What does not help"),
        WhoToContact => ("who_to_contact", "Who to contact (and who not)"),
        PracticalNeeds => ("practical_needs", "Practical needs"),
        MedicationAndPhysicalHealth => ("medication_and_physical_health", "Medication and physical health"),
        AdvanceStatement => ("advance_statement", "Advance statement"),
    }
);

code_enum!(
    /// Who a section is shared with.
    SharingLevel {
        AllResponders => ("all_responders", "All responders"),
        CliniciansOnly => ("clinicians_only", "Clinicians only"),
        CareTeam => ("care_team", "The person's care team"),
    }
);

impl SharingLevel {
    /// The data sharing agreement category that covers sections at this level.
    pub fn data_category(self) -> DataCategory {
        match self {
            SharingLevel::AllResponders => DataCategory::CrisisPlanSummary,
            SharingLevel::CliniciansOnly => DataCategory::CrisisPlanClinical,
            SharingLevel::CareTeam => DataCategory::CrisisPlanCareTeam,
        }
    }
}

/// One section of a crisis plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSection {
    /// Which section.
    pub kind: SectionKind,
    /// Its text.
    pub text: String,
    /// Who may see it.
    pub sharing: SharingLevel,
}

code_enum!(
    /// The person's decision about sharing their plan.
    ConsentStatus {
        Given => ("given", "Consent given"),
        Withdrawn => ("withdrawn", "Consent withdrawn"),
        OtherBasis => ("other_basis", "Shared under another legal basis"),
    }
);

/// The basis on which a plan may be shared beyond the care team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanConsent {
    /// The person's decision.
    pub status: ConsentStatus,
    /// Lawful basis: `Consent` when given or withdrawn, another basis otherwise.
    pub legal_basis: LegalBasis,
    /// Explanation when another basis is used.
    pub basis_note: Option<String>,
    /// Kinds of organisation the person agreed may see the plan.
    pub org_kinds: Vec<OrgKind>,
    /// Sections the person agreed to share.
    pub sections: Vec<SectionKind>,
    /// When the decision was recorded.
    pub recorded_at: DateTime<Utc>,
    /// Username of the member of staff who recorded it.
    pub recorded_by: String,
    /// Date the consent lapses, if the person set one (some have passed).
    pub valid_until: Option<NaiveDate>,
    /// When consent was withdrawn; sharing stops at once.
    pub withdrawn_at: Option<DateTime<Utc>>,
}

/// A crisis plan written with the person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrisisPlan {
    /// Stable key, e.g. "CP00001".
    pub key: String,
    /// Key of the person.
    pub person: String,
    /// Key of the organisation that holds the plan (the mental health trust).
    pub owner_org: String,
    /// Username of the clinician who wrote it with the person.
    pub author: String,
    /// Current version number (earlier versions are not generated).
    pub version: u32,
    /// Whether it was written together with the person.
    pub coproduced: bool,
    /// Who took part, in plain English.
    pub participants: Vec<String>,
    /// The sections, each with its sharing level.
    pub sections: Vec<PlanSection>,
    /// The person's own words, where they wanted them included.
    pub own_words: Option<String>,
    /// When the plan was first written.
    pub created_at: DateTime<Utc>,
    /// When it was last reviewed (or written).
    pub last_reviewed_on: NaiveDate,
    /// When the next review is due (some are overdue at the end of the period).
    pub review_due: NaiveDate,
    /// The consent or other basis for sharing.
    pub consent: PlanConsent,
}
