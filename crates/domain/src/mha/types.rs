//! The facts of an s136/s135 episode, as recorded by the people involved.
//!
//! These types hold what happened; they do not decide whether it was lawful.
//! The rules live in [`super::clock`], [`super::police_station`] and [`super::validate`],
//! so a record of something that should not have happened can still be kept and reported.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::org::coded_enum;

use super::time::london_date;

coded_enum!(
    /// The power under which the person is held.
    Power {
        S136 => ("s136", "Section 136 (police power to remove or keep a person)"),
        S135_1 => ("s135_1", "Section 135(1) warrant (to enter, and remove or keep a person)"),
        S135_2 => ("s135_2", "Section 135(2) warrant (to take or retake a patient)"),
    }
);

impl Power {
    /// True for the two warrant powers under s135.
    pub fn is_warrant(self) -> bool {
        matches!(self, Power::S135_1 | Power::S135_2)
    }
}

coded_enum!(
    /// The kinds of place of safety (Mental Health Act 1983 s135(6) and (7)).
    PlaceOfSafetyKind {
        HealthBased => ("health_based", "Health-based place of safety"),
        EmergencyDepartment => ("emergency_department", "A&E (emergency department)"),
        PoliceStation => ("police_station", "Police station"),
        PrivateHome => ("private_home", "Private home (with consent)"),
        OtherSuitablePlace => ("other_suitable_place", "Other suitable place (with its manager's agreement)"),
    }
);

coded_enum!(
    /// Where the person was when the power was first used.
    ///
    /// s136 may not be used in the first two (s136(1A)); s135 warrants usually are.
    DetentionPlace {
        PrivateDwelling => ("private_dwelling", "House, flat or room where someone lives"),
        DwellingGardenOrOuthouse => ("dwelling_garden_or_outhouse", "Yard, garden, garage or outhouse used only with a dwelling"),
        StreetOrPublicPlace => ("street_or_public_place", "Street or other public place"),
        SharedPartOfResidentialBuilding => ("shared_part_of_residential_building", "Shared part of a residential building (e.g. communal stairs)"),
        OtherPrivatePremises => ("other_private_premises", "Other private premises that are not a dwelling (e.g. workplace, shop)"),
        HealthSetting => ("health_setting", "Hospital or other health setting"),
        PoliceStation => ("police_station", "Police station (e.g. on release from custody)"),
        Other => ("other", "Other place"),
    }
);

impl DetentionPlace {
    /// Places where s136 may never be used: a dwelling and land used only with it (s136(1A)).
    pub fn is_excluded_for_s136(self) -> bool {
        matches!(
            self,
            DetentionPlace::PrivateDwelling | DetentionPlace::DwellingGardenOrOuthouse
        )
    }

    /// The broad setting used in outcome summaries ("street vs private premises").
    pub fn setting(self) -> Setting {
        match self {
            DetentionPlace::StreetOrPublicPlace => Setting::StreetOrPublicPlace,
            DetentionPlace::PrivateDwelling
            | DetentionPlace::DwellingGardenOrOuthouse
            | DetentionPlace::SharedPartOfResidentialBuilding
            | DetentionPlace::OtherPrivatePremises => Setting::PrivatePremises,
            DetentionPlace::HealthSetting
            | DetentionPlace::PoliceStation
            | DetentionPlace::Other => Setting::Other,
        }
    }
}

coded_enum!(
    /// The broad setting of a detention, as in the Birmingham street triage figures.
    Setting {
        StreetOrPublicPlace => ("street_or_public_place", "Street or public place"),
        PrivatePremises => ("private_premises", "Private premises"),
        Other => ("other", "Other setting"),
    }
);

coded_enum!(
    /// Who the officer consulted before using s136 (s136(1C); Places of Safety Regulations 2017 reg 8(1)).
    ConsultedProfessional {
        Doctor => ("doctor", "Registered medical practitioner (doctor)"),
        Nurse => ("nurse", "Registered nurse"),
        Amhp => ("amhp", "Approved mental health professional (AMHP)"),
        Paramedic => ("paramedic", "Paramedic"),
        OccupationalTherapist => ("occupational_therapist", "Occupational therapist"),
        OtherPrescribed => ("other_prescribed", "Other professional specified in regulations"),
    }
);

/// The consultation before a power was used, or why there was none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Consultation {
    /// A professional was consulted.
    Consulted {
        /// Their profession.
        with: ConsultedProfessional,
        /// When, if recorded; it must not be after the decision it informed.
        at: Option<DateTime<Utc>>,
    },
    /// Consultation was not practicable; the reason is required.
    NotPracticable {
        /// Why, in the officer's words.
        reason: String,
    },
}

coded_enum!(
    /// Police ranks, lowest first, so that `rank >= PoliceRank::Inspector` reads as the law does.
    PoliceRank {
        Constable => ("constable", "Constable"),
        Sergeant => ("sergeant", "Sergeant"),
        Inspector => ("inspector", "Inspector"),
        ChiefInspector => ("chief_inspector", "Chief inspector"),
        Superintendent => ("superintendent", "Superintendent"),
        ChiefSuperintendent => ("chief_superintendent", "Chief superintendent"),
        ChiefOfficer => ("chief_officer", "Assistant chief constable or above"),
    }
);

/// Who decided to use a police station as the place of safety.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DecisionMaker {
    /// A police officer of the given rank (a constable in law, whatever the rank).
    PoliceOfficer {
        /// Their rank.
        rank: PoliceRank,
    },
    /// An AMHP deciding a transfer (s135(3A), s136(3)).
    Amhp,
}

/// The decision to use a police station and the conditions recorded for it
/// (Mental Health Act 1983 (Places of Safety) Regulations 2017 reg 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoliceStationDecision {
    /// Who decided.
    pub decision_maker: DecisionMaker,
    /// Reg 2(1)(a)(i): the person's behaviour poses an imminent risk of serious injury or death.
    pub imminent_risk_of_serious_injury_or_death: bool,
    /// Reg 2(1)(a)(ii): because of that risk, no other place of safety in the area can reasonably be expected to detain them.
    pub no_other_place_can_reasonably_detain: bool,
    /// Reg 2(1)(a)(iii) with 4(1)(b): a healthcare professional will be present and available, so far as reasonably practicable.
    pub healthcare_professional_available: bool,
    /// Reg 2(1)(b): the rank of the officer who authorised it, when the decision maker is below inspector.
    pub authorised_by_rank: Option<PoliceRank>,
    /// Reg 2(2): the consultation with a health professional, or why it was not reasonably practicable.
    pub consultation: Option<Consultation>,
}

coded_enum!(
    /// Whether an occupier agreed to a private home being used (s135(7)(a)).
    OccupierAgreement {
        PersonIsSoleOccupier => ("person_is_sole_occupier", "The person lives there alone"),
        OccupierAgreed => ("occupier_agreed", "Another occupier agreed"),
        NotObtained => ("not_obtained", "No occupier's agreement"),
    }
);

/// Consents for using a private home as a place of safety (s135(7)(a)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeConsent {
    /// The person agreed.
    pub person_agreed: bool,
    /// The occupier's position.
    pub occupier: OccupierAgreement,
}

/// One stay at a place of safety. An episode's stays are listed in order of arrival; each later stay is a transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stay {
    /// The kind of place.
    pub kind: PlaceOfSafetyKind,
    /// When the person arrived.
    pub arrived_at: DateTime<Utc>,
    /// When they left, if they have.
    pub departed_at: Option<DateTime<Utc>>,
    /// For a private home: the consents obtained.
    pub home_consent: Option<HomeConsent>,
    /// For another suitable place: the manager agreed to its use (s135(7)(b)).
    pub manager_agreed: bool,
    /// For a police station: the decision and the regulation conditions.
    pub police_station: Option<PoliceStationDecision>,
    /// For a police station: times a healthcare professional checked the person's welfare.
    pub welfare_checks: Vec<DateTime<Utc>>,
    /// For a police station: times the custody officer reviewed the detention (reminder only, see `CustodyReviewReminder`).
    pub custody_reviews: Vec<DateTime<Utc>>,
}

impl Stay {
    /// A stay with nothing but its kind and arrival recorded.
    pub fn new(kind: PlaceOfSafetyKind, arrived_at: DateTime<Utc>) -> Self {
        Stay {
            kind,
            arrived_at,
            departed_at: None,
            home_consent: None,
            manager_agreed: false,
            police_station: None,
            welfare_checks: Vec::new(),
            custody_reviews: Vec::new(),
        }
    }

    /// True if the person was at this place at `t` (an open stay lasts until now).
    pub fn covers(&self, t: DateTime<Utc>) -> bool {
        self.arrived_at <= t && self.departed_at.is_none_or(|d| t < d)
    }
}

/// An opaque reference to a member of staff (their id in the store, or a name as recorded).
///
/// The rules only compare references for equality: "is the doctor extending the one responsible for the examination?"
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProfessionalRef(pub String);

/// The assessment the detention exists for: examination by a doctor and interview by an AMHP (s136(2)).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    /// The registered medical practitioner responsible for the examination.
    pub doctor: Option<ProfessionalRef>,
    /// When the doctor examined the person.
    pub doctor_examined_at: Option<DateTime<Utc>>,
    /// The AMHP.
    pub amhp: Option<ProfessionalRef>,
    /// When the AMHP interviewed the person.
    pub amhp_interviewed_at: Option<DateTime<Utc>>,
}

coded_enum!(
    /// The reason recorded for extending the detention.
    ///
    /// Only reasons in the person's condition are lawful (s136B(1)); the others exist so that a refused request is recorded honestly.
    ExtensionReason {
        Intoxication => ("intoxication", "Intoxicated: not yet fit to be assessed"),
        PhysicalTreatment => ("physical_treatment", "Needs physical treatment before assessment"),
        TooUnwellToAssess => ("too_unwell_to_assess", "Too unwell or distressed to be assessed yet"),
        OtherCondition => ("other_condition", "Another reason in the person's condition"),
        AmhpUnavailable => ("amhp_unavailable", "No AMHP available"),
        DoctorUnavailable => ("doctor_unavailable", "No doctor available"),
        BedUnavailable => ("bed_unavailable", "No bed available"),
        Other => ("other", "Other reason, not about the person's condition"),
    }
);

impl ExtensionReason {
    /// True if the reason lies in the person's condition, the only lawful ground (s136B(1)).
    pub fn is_persons_condition(self) -> bool {
        matches!(
            self,
            ExtensionReason::Intoxication
                | ExtensionReason::PhysicalTreatment
                | ExtensionReason::TooUnwellToAssess
                | ExtensionReason::OtherCondition
        )
    }
}

/// A senior officer's approval of an extension while the person is at a police station (s136B).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeniorApproval {
    /// The approving officer's rank: superintendent or above.
    pub rank: PoliceRank,
    /// When they approved.
    pub approved_at: DateTime<Utc>,
}

/// An extension of the permitted period, as recorded (it may still be refused by the rules).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    /// When it was authorised.
    pub authorised_at: DateTime<Utc>,
    /// By how many minutes the period is extended (at most 12 hours).
    pub minutes: u32,
    /// Who authorised it: must be the doctor responsible for the examination.
    pub authorised_by: ProfessionalRef,
    /// Why.
    pub reason: ExtensionReason,
    /// The doctor's explanation, in their words.
    pub reason_detail: Option<String>,
    /// A superintendent's (or above) approval, needed at a police station when the assessment would be carried out
    /// or completed there (s136B(3)).
    pub superintendent_approval: Option<SeniorApproval>,
    /// For a person at a police station: whether the assessment would be carried out or completed there
    /// (`Some(false)` when they are about to be moved). Not recorded is read as "yes", so approval is then needed.
    #[serde(default)]
    pub assessment_at_police_station: Option<bool>,
}

coded_enum!(
    /// How the person was taken to the (first) place of safety.
    Transport {
        PoliceVehicle => ("police_vehicle", "Police vehicle"),
        Ambulance => ("ambulance", "Ambulance"),
        Other => ("other", "Other (e.g. triage car)"),
    }
);

coded_enum!(
    /// Why a police vehicle was used (Home Office return; category list unverified against the data requirement).
    PoliceVehicleReason {
        NoAmbulanceWithin30Minutes => ("no_ambulance_within_30_minutes", "No ambulance available within 30 minutes"),
        RiskToAmbulanceCrew => ("risk_to_ambulance_crew", "Person's behaviour made an ambulance unsafe"),
        AmbulanceCrewRequested => ("ambulance_crew_requested", "Ambulance crew asked the police to convey"),
        Other => ("other", "Other reason"),
        NotKnown => ("not_known", "Not known"),
    }
);

coded_enum!(
    /// What happened after the assessment.
    OutcomeKind {
        NoMentalDisorder => ("no_mental_disorder", "No mental disorder found: discharged without follow-up"),
        DischargedWithReferral => ("discharged_with_referral", "Discharged with referral or community support"),
        InformalAdmission => ("informal_admission", "Informal (voluntary) admission"),
        DetainedS2 => ("detained_s2", "Detained under section 2"),
        DetainedS3 => ("detained_s3", "Detained under section 3"),
        Other => ("other", "Other outcome"),
    }
);

/// The person's age as known at detention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum PersonAge {
    /// Age in whole years at detention.
    Years(u8),
    /// Date of birth; the age is computed on the detention date in Europe/London.
    DateOfBirth(NaiveDate),
    /// Not known.
    Unknown,
}

impl PersonAge {
    /// Age in whole years at `at` (Europe/London date), or `None` if unknown or born after `at`.
    pub fn years_at(self, at: DateTime<Utc>) -> Option<u32> {
        match self {
            PersonAge::Years(y) => Some(u32::from(y)),
            PersonAge::Unknown => None,
            PersonAge::DateOfBirth(dob) => {
                let on = london_date(at);
                let mut years = on.year() - dob.year();
                if (on.month(), on.day()) < (dob.month(), dob.day()) {
                    years -= 1;
                }
                u32::try_from(years).ok()
            }
        }
    }
}

/// One s136/s135 episode, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Episode {
    /// The power used.
    pub power: Power,
    /// When the power was first used (the person detained).
    pub detained_at: DateTime<Utc>,
    /// Where the person was then.
    pub detention_place: DetentionPlace,
    /// The consultation before an s136 detention, or why none was practicable (s136(1C)).
    pub consultation: Option<Consultation>,
    /// For a warrant: when the officer first entered the premises.
    pub warrant_entry_at: Option<DateTime<Utc>>,
    /// When the officer decided to keep the person where they are, instead of removing them
    /// (s136(1)(b) at a place of safety; s135(1A) at the warrant premises).
    pub kept_where_they_are_at: Option<DateTime<Utc>>,
    /// Stays at places of safety, in order of arrival.
    pub stays: Vec<Stay>,
    /// The assessment.
    pub assessment: Assessment,
    /// At most one extension.
    pub extension: Option<Extension>,
    /// When the detention under this power ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// The outcome, recorded with `ended_at`.
    pub outcome: Option<OutcomeKind>,
    /// How the person was taken to the first place of safety.
    pub transport: Option<Transport>,
    /// Why a police vehicle was used, when one was.
    pub police_vehicle_reason: Option<PoliceVehicleReason>,
    /// The person's age at detention.
    pub age: PersonAge,
}

impl Episode {
    /// An episode with only the detention recorded.
    pub fn new(
        power: Power,
        detained_at: DateTime<Utc>,
        detention_place: DetentionPlace,
        age: PersonAge,
    ) -> Self {
        Episode {
            power,
            detained_at,
            detention_place,
            consultation: None,
            warrant_entry_at: None,
            kept_where_they_are_at: None,
            stays: Vec::new(),
            assessment: Assessment::default(),
            extension: None,
            ended_at: None,
            outcome: None,
            transport: None,
            police_vehicle_reason: None,
            age,
        }
    }

    /// The first stay by arrival time, whatever order the list is in.
    pub fn first_stay(&self) -> Option<&Stay> {
        self.stays.iter().min_by_key(|s| s.arrived_at)
    }

    /// The stay the person was at at instant `t`, if any.
    pub fn stay_at(&self, t: DateTime<Utc>) -> Option<&Stay> {
        self.stays.iter().find(|s| s.covers(t))
    }

    /// True if any stay was at a police station, or the person was detained at one (see [`Episode::held_at_police_station_on_detention`]).
    pub fn used_police_station(&self) -> bool {
        self.stays
            .iter()
            .any(|s| s.kind == PlaceOfSafetyKind::PoliceStation)
            || self.held_at_police_station_on_detention()
    }

    /// True if the power was used at a police station and the person was held there under it, so the police station
    /// rules apply to the detention place as to a stay: they were kept where they were, or no place of safety they
    /// were removed to is recorded yet. A first stay at a police station is checked as a stay already.
    /// A person detained at a police station and recorded as removed to another kind of place is not counted.
    pub fn held_at_police_station_on_detention(&self) -> bool {
        self.detention_place == DetentionPlace::PoliceStation
            && match self.first_stay() {
                None => true,
                Some(s) if s.kind == PlaceOfSafetyKind::PoliceStation => false,
                Some(_) => self.kept_where_they_are_at.is_some(),
            }
    }
}
