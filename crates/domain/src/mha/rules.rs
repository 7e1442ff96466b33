//! Which rules apply, where each comes from, and how a refusal is reported.
//!
//! The law changes by date (the Mental Health Bill may remove police stations altogether),
//! so the numbers and switches that differ between versions live in a [`RuleSet`] chosen by the date of detention.
//! Every refusal names the [`Rule`] it applies, and every rule names its source, so a person refused can check why.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::time::london_date;

/// One rule the software applies, with its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// Stable code, used in [`FieldError::rule`] and in docs/s136-rules.md.
    pub code: &'static str,
    /// The rule in one plain-English sentence.
    pub summary: &'static str,
    /// Where it comes from.
    pub source: &'static str,
    /// False where the source has not been checked against the text of the law; such rules only remind, never refuse.
    pub verified: bool,
    /// True where the rule is the partnership's local policy (Concordat's choice), not a requirement of the law.
    pub local_policy: bool,
}

macro_rules! rules {
    (@local local_policy) => { true };
    (@local) => { false };
    ($($name:ident = $($policy:ident)? ($code:literal, $verified:literal, $summary:literal, $source:literal);)+) => {
        $(
            #[doc = $summary]
            pub const $name: Rule = Rule {
                code: $code,
                summary: $summary,
                source: $source,
                verified: $verified,
                local_policy: rules!(@local $($policy)?),
            };
        )+
        /// Every rule, in the order docs/s136-rules.md lists them.
        pub const ALL_RULES: &[Rule] = &[$($name),+];
    };
}

rules! {
    S136_NOT_IN_DWELLING = ("s136_not_in_dwelling", true,
        "s136 may be used anywhere except a house, flat or room where someone lives, or a yard, garden, garage or outhouse used only with one.",
        "Mental Health Act 1983 s136(1A), inserted by the Policing and Crime Act 2017");
    S136_CONSULTATION = ("s136_consultation", true,
        "Before using s136 the officer must, if practicable, consult a doctor, nurse, AMHP, paramedic or occupational therapist.",
        "Mental Health Act 1983 s136(1C); Places of Safety Regulations 2017 reg 8(1)");
    S136_CONSULTATION_REASON = local_policy ("s136_consultation_reason", true,
        "When consultation was not practicable, the officer records why.",
        "Local policy: s136(1C) requires consultation only if practicable and does not itself require a reason to be recorded");
    S136_KEPT_AT_PLACE_OF_SAFETY = ("s136_kept_at_place_of_safety", true,
        "Under s136 a person may be kept where they are only if that place is a place of safety, so it must be recorded as the first place of safety; a street or other public place never is.",
        "Mental Health Act 1983 s136(1)(b); s135(6) and (7) for what a place of safety is");
    CLOCK_START = ("clock_start", true,
        "The 24 hours begin when the person arrives at the first place of safety, or when the officer decides to keep them where they are.",
        "Mental Health Act 1983 s136(2A)(a) and s135(3ZA)(a)(i)");
    CLOCK_START_WARRANT_PREMISES = ("clock_start_warrant_premises", true,
        "Under s135(1), when the person is kept at the premises named in the warrant, the 24 hours begin when the officer first entered.",
        "Mental Health Act 1983 s135(1A) and s135(3ZA)(a)(ii)");
    WARRANT_PREMISES_PLACE_OF_SAFETY = ("warrant_premises_place_of_safety", true,
        "Under s135(1), the person may be kept at the premises named in the warrant only if those premises are a place of safety, so they must be recorded as the first place of safety.",
        "Mental Health Act 1983 s135(1A); s135(7) for the consents a home needs");
    CLOCK_START_EMERGENCY_DEPARTMENT = ("clock_start_emergency_department", true,
        "If the person goes first to A&E, the 24 hours begin on arrival at A&E, because a hospital is a place of safety.",
        "DH/Home Office guidance on the 2017 changes (October 2017), para 4.4");
    MAX_DETENTION = ("max_detention", true,
        "The person may be detained for at most 24 hours (the permitted period), unless it is lawfully extended.",
        "Mental Health Act 1983 s136(2) and (2A); s135(3) and (3ZA)");
    TRANSFER_NO_RESTART = ("transfer_no_restart", true,
        "A transfer to another place of safety is allowed within the period, and never restarts it.",
        "Mental Health Act 1983 s136(3) and (4); s135(3A) and (3B)");
    S135_2_NO_PERIOD = ("s135_2_no_period", true,
        "A patient taken or retaken under a s135(2) warrant has no statutory period of detention: no 24-hour clock, no extension, no s135(3A) transfer and no breach of a time limit, and the police station rules of s136A do not apply to that power.",
        "Mental Health Act 1983 s135(3), (3ZA) and (3A), which cover only a person removed under a s135(1) warrant or kept under s135(1A); s136B(1); s136A(4)");
    EXTENSION_EXAMINING_DOCTOR = ("extension_examining_doctor", true,
        "Only the registered medical practitioner responsible for the examination may extend the period.",
        "Mental Health Act 1983 s136B(1), inserted by the Policing and Crime Act 2017");
    EXTENSION_BEFORE_EXPIRY = ("extension_before_expiry", true,
        "An extension can only be made before the 24 hours run out.",
        "Mental Health Act 1983 s136B(1)");
    EXTENSION_MAX_12_HOURS = ("extension_max_12_hours", true,
        "The period may be extended once, by at most 12 hours (36 hours in all).",
        "Mental Health Act 1983 s136B(1)");
    EXTENSION_PERSONS_CONDITION = ("extension_persons_condition", true,
        "An extension may be authorised only because the person's condition makes it impracticable to carry out or complete the assessment within the 24 hours.",
        "Mental Health Act 1983 s136B(2)");
    EXTENSION_NOT_FOR_RESOURCES = local_policy ("extension_not_for_resources", true,
        "Concordat refuses an extension recorded because no AMHP, doctor or bed was available, or for another reason outside the person's condition.",
        "Local policy, following DH/Home Office guidance on the 2017 changes (October 2017); the law's ground is the person's condition (s136B(2))");
    EXTENSION_SUPERINTENDENT = ("extension_superintendent", true,
        "If the person is at a police station and the assessment would be carried out or completed there, an officer of the rank of superintendent or above must also approve the extension.",
        "Mental Health Act 1983 s136B(3)");
    POLICE_STATION_CHILD = ("police_station_child", true,
        "A police station can never be a place of safety for anyone under 18.",
        "Mental Health Act 1983 s136A(1), inserted by the Policing and Crime Act 2017");
    POLICE_STATION_AGE_UNKNOWN = local_policy ("police_station_age_unknown", true,
        "A police station may be used only for someone known to be 18 or over, so the age or date of birth must be recorded first.",
        "Local policy: Concordat's reading of Mental Health Act 1983 s136A(1); the law forbids it for children, so an unknown age is treated as possibly a child");
    POLICE_STATION_NOT_PLACE_OF_SAFETY = ("police_station_not_place_of_safety", true,
        "Under the rule set in force, a police station is not a place of safety at all.",
        "The rule set in force on the date of detention (see RuleSet)");
    POLICE_STATION_CONDITIONS = ("police_station_conditions", true,
        "For an adult, a police station may be used only if their behaviour poses an imminent risk of serious injury or death, because of that risk no other place of safety in the area can reasonably be expected to detain them, and a healthcare professional will be present and available.",
        "Mental Health Act 1983 (Places of Safety) Regulations 2017 reg 2(1)(a) and 4(1)(b)");
    POLICE_STATION_AUTHORISATION = ("police_station_authorisation", true,
        "If the decision maker is not an inspector or above, an officer of the rank of inspector or above must authorise the use of a police station.",
        "Mental Health Act 1983 (Places of Safety) Regulations 2017 reg 2(1)(b)");
    POLICE_STATION_CONSULTATION = ("police_station_consultation", true,
        "A constable deciding to use a police station must first, if reasonably practicable, consult a doctor, nurse, AMHP or other specified professional.",
        "Mental Health Act 1983 (Places of Safety) Regulations 2017 reg 2(2)");
    WELFARE_CHECKS = ("welfare_checks", true,
        "At a police station, a healthcare professional must check the person's welfare at least every 30 minutes.",
        "Mental Health Act 1983 (Places of Safety) Regulations 2017 reg 4(1)(a)");
    CUSTODY_REVIEW = ("custody_review", false,
        "At a police station, the custody officer reviews the detention periodically; the 3-hour interval is a configurable reminder, not an enforced rule.",
        "Unverified: interval to be confirmed against the Places of Safety Regulations 2017");
    HOME_CONSENT = ("home_consent", true,
        "A home may be a place of safety only if the person agrees and, unless they live there alone, an occupier agrees too.",
        "Mental Health Act 1983 s135(7)(a)");
    OTHER_PLACE_AGREEMENT = ("other_place_agreement", true,
        "Any other suitable place may be a place of safety only if the person responsible for managing it agrees.",
        "Mental Health Act 1983 s135(7)(b)");
}

/// A field-level problem with a record, in plain English.
///
/// `field` is a path into [`super::Episode`] (for example `stays[1].arrived_at`), so a form can show the message beside the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Path to the field.
    pub field: String,
    /// What is wrong and, for a refusal, the rule and its source.
    pub message: String,
    /// The code of the rule applied, if this is a refusal under a rule rather than impossible input.
    pub rule: Option<&'static str>,
}

impl FieldError {
    /// Impossible or incomplete input (e.g. departure before arrival).
    pub fn input(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
            rule: None,
        }
    }

    /// A refusal under a rule; the message ends with the rule's source.
    pub fn refused(field: impl Into<String>, rule: &Rule, message: impl AsRef<str>) -> Self {
        FieldError {
            field: field.into(),
            message: format!(
                "{} ({}).",
                message.as_ref().trim_end_matches('.'),
                rule.source
            ),
            rule: Some(rule.code),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Whether and how a police station may be a place of safety under a rule set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PoliceStationRule {
    /// Never a place of safety (as the Mental Health Bill proposes).
    NeverAPlaceOfSafety,
    /// For adults only, with the regulation conditions, and welfare checks at this interval.
    AdultsWithConditions {
        /// Below this age, never.
        minimum_age: u32,
        /// Maximum minutes between welfare checks by a healthcare professional.
        welfare_check_minutes: u32,
    },
}

/// The version of the rules in force from a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RuleSet {
    /// Stable id, stored with computed results so they can be explained later.
    pub id: &'static str,
    /// Name people read.
    pub name: &'static str,
    /// First Europe/London date of detention these rules apply to.
    pub in_force_from: NaiveDate,
    /// The permitted period of detention, in hours.
    pub max_detention_hours: u32,
    /// The longest single extension, in hours.
    pub max_extension_hours: u32,
    /// Police stations as places of safety.
    pub police_station: PoliceStationRule,
}

const fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(d) => d,
        None => NaiveDate::MIN,
    }
}

/// The rules in force from 11 December 2017: the Mental Health Act 1983 as amended by the Policing and Crime Act 2017,
/// with the Mental Health Act 1983 (Places of Safety) Regulations 2017 (SI 2017/1036).
pub const PCA_2017: RuleSet = RuleSet {
    id: "pca2017",
    name: "Mental Health Act 1983 as amended by the Policing and Crime Act 2017 (from 11 December 2017)",
    in_force_from: date(2017, 12, 11),
    max_detention_hours: 24,
    max_extension_hours: 12,
    police_station: PoliceStationRule::AdultsWithConditions {
        minimum_age: 18,
        welfare_check_minutes: 30,
    },
};

/// All rule sets, each applying to detentions from its date until the next one's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleBook {
    sets: Vec<RuleSet>,
}

impl RuleBook {
    /// The rules for England as they stand.
    pub fn england() -> Self {
        RuleBook {
            sets: vec![PCA_2017],
        }
    }

    /// Adds a rule set (e.g. one for the Mental Health Bill, once commenced); a set with the same date replaces the old one.
    pub fn with(mut self, set: RuleSet) -> Self {
        self.sets.retain(|s| s.in_force_from != set.in_force_from);
        self.sets.push(set);
        self.sets.sort_by_key(|s| s.in_force_from);
        self
    }

    /// The rule sets, oldest first.
    pub fn sets(&self) -> &[RuleSet] {
        &self.sets
    }

    /// The rule set for a detention at `detained_at`, judged by its Europe/London date; `None` before 11 December 2017.
    pub fn in_force_at(&self, detained_at: DateTime<Utc>) -> Option<&RuleSet> {
        let day = london_date(detained_at);
        self.sets.iter().rev().find(|s| s.in_force_from <= day)
    }
}

impl Default for RuleBook {
    fn default() -> Self {
        RuleBook::england()
    }
}
