//! Crisis plans written with the person, shared section by section only as they agreed.
//!
//! Every section is decided by the policy with its own category and the person's consent narrowed to
//! that section ([`consent_for_section`]). A lookup writes ONE audit event listing every category shown
//! (identity included), so a person's access history has one line per look, and a break-glass lookup is
//! one event in the privacy officer's queue.

mod fhir;

use crate::demo::DemoIds;
use crate::people::{PersonView, parse_date_input};
use crate::{
    App, AppError, FieldError, Subject, actor_org, audit_allowed, audit_denial, decide_org_wide,
};
use chrono::{NaiveDate, Utc};
use concordat_demo::DemoRegion;
use concordat_domain::consent::{
    ConsentStatus, CrisisPlan, PlanConsent, PlanPart, PlanSection, RepeatThresholds, SectionKind,
    SharingLevel, consent_for_part, consent_for_section, may_write_plan, parse_codes,
};
use concordat_domain::model::{OrgId, Person, PersonId, SharingAgreement};
use concordat_domain::policy::{
    Action, Actor, Consent, Decision, DenyReason, Relationship, Request, decide,
};
use concordat_domain::{DataCategory, LegalBasis, OrgKind};
use concordat_store::{StoreError, Tx};
use serde::{Deserialize, Serialize};

pub use fhir::NHS_NUMBER_SYSTEM;

/// A section as shown to one actor.
#[derive(Debug, Clone, Serialize)]
pub struct SectionView {
    pub kind: SectionKind,
    pub title: &'static str,
    pub text: String,
    pub sharing: SharingLevel,
    pub sharing_label: &'static str,
    /// Shown only because of break-glass.
    pub break_glass: bool,
}

/// The plan as one actor may see it: only the sections the policy allowed are present.
#[derive(Debug, Clone, Serialize)]
pub struct PlanView {
    pub plan_id: i64,
    pub version: i64,
    pub coproduced: bool,
    pub participants: String,
    pub own_words: Option<String>,
    pub last_reviewed_on: NaiveDate,
    pub review_due: NaiveDate,
    pub review_overdue: bool,
    pub sections: Vec<SectionView>,
    /// How many sections exist that this actor was not shown.
    pub withheld: usize,
    /// Whether break-glass with a reason could show some of the withheld sections.
    pub withheld_break_glass_may_show: bool,
    /// Why sections or parts were withheld, in words for the reader (each reason once, from the
    /// policy's [`DenyReason`]s).
    pub withheld_reasons: Vec<&'static str>,
}

/// Why part of a plan is not shown to the reader, in plain words (from the policy's reason).
pub fn withheld_words(reason: DenyReason) -> &'static str {
    match reason {
        DenyReason::NoConsent => {
            "The person has not agreed to share these parts of their plan with your organisation."
        }
        DenyReason::ConsentWithdrawn => {
            "The person has withdrawn their consent to share their plan."
        }
        DenyReason::CategoryNotPermitted
        | DenyReason::RoleNotPermitted
        | DenyReason::NoPersonalDataRole => {
            "These parts are for clinicians and are not shared with your role."
        }
        DenyReason::NotCareTeam => "These parts are only for the person's care team.",
        DenyReason::NoAgreement => {
            "No data sharing agreement lets these parts reach your organisation."
        }
        DenyReason::MfaRequired => {
            "You need to sign in with multi-factor authentication to see these parts."
        }
        DenyReason::OtherOrganisationsRecord
        | DenyReason::BreakGlassReasonTooShort
        | DenyReason::NotPartnershipWide
        | DenyReason::OrganisationDeactivated
        | DenyReason::NotSignatory => "These parts are not shared with you.",
    }
}

/// What the responder's lookup returns: identity, and the plan as far as they may see it.
#[derive(Debug, Clone, Serialize)]
pub struct PersonLookup {
    pub person: PersonView,
    pub plan: Option<PlanView>,
    /// Whether the actor may write this person's plan and consent (own organisation's clinicians).
    pub may_edit: bool,
    /// Whether the actor may change the person's identity (the policy's `EditPerson`: own organisation).
    pub may_edit_identity: bool,
    /// The person's decision about sharing, shown to those who may edit.
    pub consent: Option<PlanConsent>,
    /// The categories recorded in the audit event for this lookup.
    pub categories_shown: Vec<DataCategory>,
    /// The crisis line of the organisation holding the record, when the plan is withheld in part or
    /// there is none: what to do instead.
    pub crisis_line: Option<String>,
}

/// Agreements and relationship loaded once per request, for many decisions.
struct PolicyCtx {
    agreements: Vec<SharingAgreement>,
    relationship: Relationship,
}

impl PolicyCtx {
    async fn load(tx: &mut Tx, actor: &Actor, person: PersonId) -> Result<Self, AppError> {
        let in_team = match actor.as_user() {
            Some(u) => tx.care_team_contains(person, u.user_id).await?,
            None => false,
        };
        Self::with_care_team(tx, actor, in_team).await
    }

    /// As [`PolicyCtx::load`], with care-team membership already known.
    async fn with_care_team(tx: &mut Tx, actor: &Actor, in_team: bool) -> Result<Self, AppError> {
        let agreements = match actor_org(actor) {
            Some(org) => tx.agreements(Some(org)).await?,
            None => Vec::new(),
        };
        Ok(Self::with_agreements(agreements, actor, in_team))
    }

    /// With the agreements and care-team membership already loaded.
    fn with_agreements(agreements: Vec<SharingAgreement>, actor: &Actor, in_team: bool) -> Self {
        let relationship = if in_team && actor.as_user().is_some() {
            Relationship::CareTeam
        } else {
            Relationship::None
        };
        Self {
            agreements,
            relationship,
        }
    }

    fn decide(
        &self,
        actor: &Actor,
        owner: OrgId,
        action: Action,
        consent: &Consent,
        break_glass_reason: Option<&str>,
    ) -> Decision {
        decide(&Request {
            actor,
            action,
            owner_org: Some(owner),
            agreements: &self.agreements,
            consent,
            relationship: self.relationship,
            break_glass_reason,
            today: Utc::now().date_naive(),
        })
    }
}

/// The person's recorded decision as the policy sees it for their identity.
fn identity_consent(consent: Option<&PlanConsent>, plan: Option<&CrisisPlan>) -> Consent {
    consent.map_or(Consent::NotRecorded, |c| c.policy_consent(plan))
}

fn is_break_glass(d: &Decision) -> bool {
    matches!(
        d,
        Decision::Allow {
            break_glass: true,
            ..
        }
    )
}

fn person_subject(id: PersonId, kind: &'static str, resource: String) -> Subject {
    Subject {
        person_id: Some(id.0),
        resource_kind: kind,
        resource_id: Some(resource),
    }
}

/// Whether the policy lets `actor` change the identity of a person `owner` holds (`EditPerson`).
fn ctx_may_edit_identity(actor: &Actor, owner: OrgId) -> bool {
    crate::person_edit::edit_decision(actor, owner).is_allowed()
}

pub(crate) fn person_view(p: &Person, owner: String, break_glass: bool) -> PersonView {
    PersonView {
        id: p.id.0,
        given_name: p.given_name.clone(),
        family_name: p.family_name.clone(),
        date_of_birth: p.date_of_birth,
        nhs_number: p.nhs_number.map(|n| n.to_string()),
        sex: p.sex.clone(),
        postcode: p.postcode.as_ref().map(|p| p.to_string()),
        address_line: p.address_line.clone(),
        phone: p.phone.clone(),
        email: p.email.clone(),
        owner_organisation: owner,
        synthetic: p.synthetic,
        version: p.version,
        break_glass,
    }
}

/// A plan decided for one actor: what [`decide_plan`] allowed, and the decisions behind it.
struct DecidedPlan {
    /// The plan as the actor may see it (withheld sections and parts are absent or empty).
    view: PlanView,
    /// One decision per section, in `plan.sections` order (the editor keeps withheld ones unchanged).
    section_decisions: Vec<Decision>,
    /// The parts shown (own words, participants).
    parts_shown: Vec<PlanPart>,
    /// Every allowed decision with the category it disclosed, sections and parts alike.
    disclosed: Vec<(DataCategory, Decision)>,
}

/// THE decision about a plan for one actor, used by every way a plan leaves the app (the person page,
/// the plan API, the FHIR export, the editor and earlier versions): each section, and each other part
/// of the plan (the person's own words; who took part, often third parties), is decided by the policy
/// with its own category and the person's consent narrowed to it. Nothing of the plan reaches a
/// caller except through here.
fn decide_plan(
    ctx: &PolicyCtx,
    actor: &Actor,
    plan: &CrisisPlan,
    consent: Option<&PlanConsent>,
    break_glass_reason: Option<&str>,
) -> DecidedPlan {
    let mut shown = Vec::new();
    let mut withheld = 0;
    let mut reasons: Vec<&'static str> = Vec::new();
    let mut may_break = false;
    let mut section_decisions = Vec::new();
    let mut disclosed = Vec::new();
    // One decision, and (when denied without a reason) whether a break-glass reason would allow it.
    let mut one = |category: DataCategory, c: &Consent| -> Decision {
        let action = Action::ViewPerson(category);
        let d = ctx.decide(actor, plan.owner_org_id, action, c, break_glass_reason);
        match &d {
            Decision::Allow { .. } => disclosed.push((category, d.clone())),
            Decision::Deny(r) => {
                withheld += 1;
                let words = withheld_words(*r);
                if !reasons.contains(&words) {
                    reasons.push(words);
                }
                if break_glass_reason.is_none() && r.break_glass_may_override() {
                    // Would a reason show it? Ask the policy rather than guess.
                    let probe = ctx.decide(
                        actor,
                        plan.owner_org_id,
                        action,
                        c,
                        Some("probe: would break-glass allow this"),
                    );
                    may_break |= probe.is_allowed();
                }
            }
        }
        d
    };
    for s in &plan.sections {
        let d = one(s.sharing.category(), &consent_for_section(consent, s));
        if d.is_allowed() {
            shown.push(SectionView {
                kind: s.kind,
                title: s.kind.label(),
                text: s.text.clone(),
                sharing: s.sharing,
                sharing_label: s.sharing.label(),
                break_glass: is_break_glass(&d),
            });
        }
        section_decisions.push(d);
    }
    let mut parts_shown = Vec::new();
    for part in PlanPart::ALL {
        let present = match part {
            PlanPart::OwnWords => plan.own_words.is_some(),
            PlanPart::Participants => !plan.participants.is_empty(),
        };
        if present && one(part.sharing().category(), &consent_for_part(consent, *part)).is_allowed()
        {
            parts_shown.push(*part);
        }
    }
    // Most important first for a responder at 2am: what helps, who to contact (SectionKind order).
    shown.sort_by_key(|s| s.kind);
    let mut view = plan_view(plan, shown, withheld, may_break);
    view.withheld_reasons = reasons;
    if !parts_shown.contains(&PlanPart::OwnWords) {
        view.own_words = None;
    }
    if !parts_shown.contains(&PlanPart::Participants) {
        view.participants = String::new();
    }
    DecidedPlan {
        view,
        section_decisions,
        parts_shown,
        disclosed,
    }
}

/// What one look disclosed, for its audit event: the categories, a description naming each category
/// with the legal basis its decision used and the parts of the plan shown, and the decision to record
/// (break-glass if any part needed it; else the plan content's own basis, such as the person's
/// consent; else identity's).
struct Disclosure {
    categories: Vec<DataCategory>,
    description: String,
    decision: Decision,
}

fn disclosure(identity: &Decision, plan: Option<&DecidedPlan>) -> Disclosure {
    let mut all: Vec<(DataCategory, &Decision)> = vec![(DataCategory::Identity, identity)];
    if let Some(p) = plan {
        all.extend(p.disclosed.iter().map(|(c, d)| (*c, d)));
    }
    let mut categories: Vec<DataCategory> = Vec::new();
    let mut described: Vec<String> = Vec::new();
    for (c, d) in &all {
        let basis = match d {
            Decision::Allow { basis, .. } => basis.legal_basis().map_or("none", |b| b.code()),
            Decision::Deny(_) => continue,
        };
        let item = format!("{}={basis}", c.code());
        if !described.contains(&item) {
            described.push(item);
        }
        if !categories.contains(c) {
            categories.push(*c);
        }
    }
    let content = plan.map(|p| p.disclosed.as_slice()).unwrap_or(&[]);
    let decision = content
        .iter()
        .map(|(_, d)| d)
        .find(|d| is_break_glass(d))
        .or_else(|| content.first().map(|(_, d)| d))
        .unwrap_or(identity)
        .clone();
    // "[legal basis identity=direct_care, crisis_plan_summary=consent; parts own_words]: identity,
    // crisis_plan_summary": the categories stay last, after the only ": ", as the access history reads them.
    let mut detail = format!("[legal basis {}", described.join(", "));
    if let Some(p) = plan
        && !p.parts_shown.is_empty()
    {
        let parts: Vec<&str> = p.parts_shown.iter().map(|x| x.code()).collect();
        detail.push_str(&format!("; parts {}", parts.join(", ")));
    }
    let codes: Vec<&str> = categories.iter().map(|c| c.code()).collect();
    let description = format!("{detail}]: {}", codes.join(", "));
    Disclosure {
        categories,
        description,
        decision,
    }
}

/// A plan as entered in the form or API body: strings, validated together.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PlanInput {
    /// The version the editor started from ("" for a new plan).
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub coproduced: String,
    #[serde(default)]
    pub participants: String,
    #[serde(default)]
    pub own_words: String,
    #[serde(default)]
    pub last_reviewed_on: String,
    #[serde(default)]
    pub review_due: String,
    /// Section text by section code (`text_<code>`) and sharing (`sharing_<code>`), flattened from the form.
    #[serde(flatten)]
    pub fields: std::collections::HashMap<String, String>,
}

const MAX_SECTION: usize = 4000;

impl PlanInput {
    fn field(&self, name: &str) -> &str {
        self.fields.get(name).map(String::as_str).unwrap_or("")
    }

    /// Validates every field; sections with no text are left out.
    fn validate(
        &self,
        person: PersonId,
        owner: OrgId,
        editor: &str,
    ) -> Result<(CrisisPlan, Option<i64>), AppError> {
        let mut errs = Vec::new();
        let expected = match self.version.trim() {
            "" => None,
            v => match v.parse::<i64>() {
                Ok(n) if n >= 1 => Some(n),
                _ => {
                    errs.push(FieldError::new("version", "the plan version is not valid"));
                    None
                }
            },
        };
        let coproduced = matches!(self.coproduced.trim(), "yes" | "true" | "on" | "1");
        let participants = self.participants.trim().to_string();
        if participants.chars().count() > 500 {
            errs.push(FieldError::new(
                "participants",
                "use at most 500 characters",
            ));
        }
        if coproduced && participants.is_empty() {
            errs.push(FieldError::new(
                "participants",
                "say who took part in writing the plan with the person",
            ));
        }
        let own_words = self.own_words.trim();
        if own_words.chars().count() > MAX_SECTION {
            errs.push(FieldError::new(
                "own_words",
                format!("use at most {MAX_SECTION} characters"),
            ));
        }
        let today = Utc::now().date_naive();
        let reviewed = match parse_date_input("last_reviewed_on", &self.last_reviewed_on) {
            Ok(d) if d > today => {
                errs.push(FieldError::new(
                    "last_reviewed_on",
                    "the last review cannot be in the future",
                ));
                None
            }
            Ok(d) => Some(d),
            Err(_) if self.last_reviewed_on.trim().is_empty() => {
                errs.push(FieldError::new(
                    "last_reviewed_on",
                    "enter the date the plan was written or last reviewed",
                ));
                None
            }
            Err(e) => {
                errs.push(e);
                None
            }
        };
        let due = match parse_date_input("review_due", &self.review_due) {
            Ok(d) => Some(d),
            Err(_) if self.review_due.trim().is_empty() => {
                errs.push(FieldError::new(
                    "review_due",
                    "enter the date the plan should next be reviewed",
                ));
                None
            }
            Err(e) => {
                errs.push(e);
                None
            }
        };
        if let (Some(r), Some(d)) = (reviewed, due)
            && d <= r
        {
            errs.push(FieldError::new(
                "review_due",
                "the next review must be after the last review",
            ));
        }
        let mut sections = Vec::new();
        for kind in SectionKind::ALL {
            let text = self.field(&format!("text_{}", kind.code())).trim();
            if text.is_empty() {
                continue;
            }
            if text.chars().count() > MAX_SECTION {
                errs.push(FieldError::new(
                    &format!("text_{}", kind.code()),
                    format!("{}: use at most {MAX_SECTION} characters", kind.label()),
                ));
            }
            let sharing_field = format!("sharing_{}", kind.code());
            match SharingLevel::from_code(self.field(&sharing_field).trim()) {
                Some(sharing) => sections.push(PlanSection {
                    kind: *kind,
                    text: text.to_string(),
                    sharing,
                }),
                None => errs.push(FieldError::new(
                    &sharing_field,
                    format!("{}: choose who this section is shared with", kind.label()),
                )),
            }
        }
        if sections.is_empty() && errs.is_empty() {
            errs.push(FieldError::new(
                "text_what_helps",
                "write at least one section, for example what helps",
            ));
        }
        match (errs.is_empty(), reviewed, due) {
            (true, Some(last_reviewed_on), Some(review_due)) => Ok((
                CrisisPlan {
                    id: 0,
                    person_id: person,
                    owner_org_id: owner,
                    version: 0,
                    coproduced,
                    participants,
                    own_words: (!own_words.is_empty()).then(|| own_words.to_string()),
                    last_reviewed_on,
                    review_due,
                    updated_by: editor.to_string(),
                    updated_at: 0,
                    sections,
                },
                expected,
            )),
            _ => Err(AppError::Invalid(errs)),
        }
    }
}

/// The outcome of saving a plan.
#[derive(Debug, Clone)]
pub enum SaveOutcome {
    Saved(PlanView),
    /// Someone saved another version first: nothing was written. `theirs` is the current version as
    /// this editor may see it, shown beside what they typed.
    Conflict {
        theirs: PlanView,
    },
}

/// What the plan editor shows: the plan's sections this editor may see, and how many are kept unseen.
#[derive(Debug, Clone)]
pub struct PlanEditor {
    pub person: PersonView,
    pub plan: Option<PlanView>,
    /// Sections the editor may not see (care-team only): kept unchanged on save.
    pub hidden_kept: usize,
    pub consent: Option<PlanConsent>,
}

/// The person's decision about sharing, as entered.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ConsentInput {
    /// "" for the first decision, else the version the editor saw.
    #[serde(default)]
    pub version: String,
    /// given | withdrawn | other_basis
    #[serde(default)]
    pub status: String,
    /// Comma-separated organisation kind codes (forms send one field per box; joined by the handler).
    #[serde(default)]
    pub org_kinds: String,
    /// Comma-separated section codes.
    #[serde(default)]
    pub sections: String,
    #[serde(default)]
    pub valid_until: String,
    #[serde(default)]
    pub other_basis: String,
    #[serde(default)]
    pub basis_note: String,
}

impl ConsentInput {
    fn validate(
        &self,
        person: PersonId,
        recorder: &str,
    ) -> Result<(PlanConsent, Option<i64>), AppError> {
        let mut errs = Vec::new();
        let expected = match self.version.trim() {
            "" => None,
            v => match v.parse::<i64>() {
                Ok(n) if n >= 1 => Some(n),
                _ => {
                    errs.push(FieldError::new(
                        "version",
                        "the consent version is not valid",
                    ));
                    None
                }
            },
        };
        let status = match ConsentStatus::from_code(self.status.trim()) {
            Some(ConsentStatus::NotRecorded) | None => {
                errs.push(FieldError::new(
                    "status",
                    "choose the person's decision: consent given, withdrawn, or another legal basis",
                ));
                ConsentStatus::NotRecorded
            }
            Some(s) => s,
        };
        let (org_kinds, bad) = parse_codes(&self.org_kinds, OrgKind::from_code);
        if !bad.is_empty() {
            errs.push(FieldError::new(
                "org_kinds",
                format!("unknown kind of organisation: {}", bad.join(", ")),
            ));
        }
        // Sections and the other parts of the plan (own words, participants) come in one list.
        let (chosen, bad) = parse_codes(&self.sections, |c| {
            SectionKind::from_code(c)
                .map(Ok)
                .or_else(|| PlanPart::from_code(c).map(Err))
        });
        let sections: Vec<SectionKind> = chosen.iter().filter_map(|c| c.ok()).collect();
        let parts: Vec<PlanPart> = chosen.iter().filter_map(|c| c.err()).collect();
        if !bad.is_empty() {
            errs.push(FieldError::new(
                "sections",
                format!("unknown section: {}", bad.join(", ")),
            ));
        }
        if status == ConsentStatus::Given {
            if org_kinds.is_empty() {
                errs.push(FieldError::new(
                    "org_kinds",
                    "choose at least one kind of organisation the person agreed to share with",
                ));
            }
            if sections.is_empty() && parts.is_empty() {
                errs.push(FieldError::new(
                    "sections",
                    "choose at least one section the person agreed to share",
                ));
            }
        }
        let valid_until = match self.valid_until.trim() {
            "" => None,
            s => match parse_date_input("valid_until", s) {
                Ok(d) if d < Utc::now().date_naive() => {
                    errs.push(FieldError::new(
                        "valid_until",
                        "the end date has passed: record the decision as withdrawn instead",
                    ));
                    None
                }
                Ok(d) => Some(d),
                Err(e) => {
                    errs.push(e);
                    None
                }
            },
        };
        let other_basis = if status == ConsentStatus::OtherBasis {
            match LegalBasis::from_code(self.other_basis.trim()) {
                Some(LegalBasis::Consent) | None => {
                    errs.push(FieldError::new(
                        "other_basis",
                        "choose the legal basis the sharing rests on",
                    ));
                    None
                }
                Some(b) => Some(b),
            }
        } else {
            None
        };
        let note = self.basis_note.trim();
        if status == ConsentStatus::OtherBasis && note.chars().count() < 10 {
            errs.push(FieldError::new(
                "basis_note",
                "explain why this basis applies, in at least 10 characters",
            ));
        }
        if note.chars().count() > 1000 {
            errs.push(FieldError::new("basis_note", "use at most 1000 characters"));
        }
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let withdrawn = status == ConsentStatus::Withdrawn;
        Ok((
            PlanConsent {
                person_id: person,
                status,
                other_basis,
                basis_note: (!note.is_empty()).then(|| note.to_string()),
                org_kinds: if withdrawn { Vec::new() } else { org_kinds },
                sections: if withdrawn { Vec::new() } else { sections },
                parts: if withdrawn { Vec::new() } else { parts },
                valid_until: if withdrawn { None } else { valid_until },
                recorded_by: recorder.to_string(),
                recorded_at: Utc::now().timestamp_millis(),
                version: 0,
            },
            expected,
        ))
    }
}

/// One person on the repeated-contact support list.
#[derive(Debug, Clone, Serialize)]
pub struct SupportRow {
    pub person_id: i64,
    pub name: String,
    pub last_30_days: i64,
    pub last_365_days: i64,
    pub has_plan: bool,
    pub review_due: Option<String>,
    pub review_overdue: bool,
    /// "Offer a named worker and write a plan with them" or "Review the plan with them".
    pub suggestion: &'static str,
}

/// The support list and the window it covers.
#[derive(Debug, Clone, Serialize)]
pub struct SupportList {
    pub rows: Vec<SupportRow>,
    /// People over the thresholds whom the policy does not let this actor see (counted, never named).
    pub not_shown: usize,
    pub thresholds: RepeatThresholds,
    /// The day the windows end (the latest contact recorded, or today if that is earlier).
    pub as_of: NaiveDate,
}

/// A plan whose review is overdue.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewRow {
    pub person_id: i64,
    pub name: String,
    pub version: i64,
    pub review_due: String,
}

/// One saved version, for the history list.
#[derive(Debug, Clone, Serialize)]
pub struct VersionRow {
    pub version: i64,
    pub saved_by: String,
    /// Who saved it, by name and role ("Daniel Achterberg, crisis or community clinician").
    pub saved_by_name: String,
    pub saved_at: i64,
}

impl App {
    /// Loads the person and decides identity. A denial is audited in its own transaction.
    async fn lookup_start(
        &self,
        actor: &Actor,
        id: PersonId,
        break_glass_reason: Option<&str>,
    ) -> Result<(Tx, Person, PolicyCtx, Decision), AppError> {
        let mut tx = self.store.begin().await?;
        let Some(person) = tx.person_get(id).await? else {
            return Err(AppError::NotFound);
        };
        let ctx = PolicyCtx::load(&mut tx, actor, id).await?;
        let consent = tx.consent_get(id).await?;
        let identity_consent = identity_consent(consent.as_ref(), None);
        self.lookup_decide(
            tx,
            actor,
            person,
            ctx,
            &identity_consent,
            break_glass_reason,
        )
        .await
    }

    /// Decides identity for a lookup already loaded in `tx`, with the person's recorded decision
    /// (an agreement resting on consent holds only with it). A denial is audited in its own transaction.
    async fn lookup_decide(
        &self,
        tx: Tx,
        actor: &Actor,
        person: Person,
        ctx: PolicyCtx,
        consent: &Consent,
        break_glass_reason: Option<&str>,
    ) -> Result<(Tx, Person, PolicyCtx, Decision), AppError> {
        let id = person.id;
        let action = Action::ViewPerson(DataCategory::Identity);
        let d = ctx.decide(
            actor,
            person.owner_org_id,
            action,
            consent,
            break_glass_reason,
        );
        if let Decision::Deny(reason) = d {
            drop(tx);
            let subject = person_subject(id, "person", id.0.to_string());
            audit_denial(self, actor, &action.code(), &subject, &d).await?;
            return Err(AppError::Denied(reason));
        }
        Ok((tx, person, ctx, d))
    }

    /// Whether the actor may write this person's plan: the policy's EditPerson (own organisation, MFA)
    /// and a role that plans care ([`may_write_plan`]).
    fn may_edit(&self, ctx: &PolicyCtx, actor: &Actor, owner: OrgId) -> Decision {
        let d = ctx.decide(
            actor,
            owner,
            Action::EditPerson,
            &Consent::NotRecorded,
            None,
        );
        match (d, actor.as_user()) {
            (Decision::Allow { .. }, Some(u)) if !may_write_plan(u.role) => {
                Decision::Deny(DenyReason::RoleNotPermitted)
            }
            (d, _) => d,
        }
    }

    /// Loads and decides one look at a person (identity, then [`decide_plan`]), without auditing it:
    /// the page, the plan API and the FHIR export all come through here, so they disclose the same.
    /// A denial of identity is audited (in its own transaction) and returned.
    async fn look(
        &self,
        actor: &Actor,
        id: PersonId,
        break_glass_reason: Option<&str>,
    ) -> Result<(Tx, Looked), AppError> {
        crate::limits::check_break_glass_reason(break_glass_reason)?;
        // The hot path at 2am (see docs/benchmarks-plans.md). On SQLite, where a write transaction holds
        // the database's one write lock from its start, the sharing agreements (no personal data) are
        // read first in a read-only transaction that runs beside other writers, then one statement reads
        // person, plan, consent and care team. On PostgreSQL that one statement reads the agreements too,
        // and the audit append (last, just before the commit) is the only part that waits on a lock.
        let org = actor_org(actor);
        let early = match (self.store.backend(), org) {
            (concordat_store::Backend::Sqlite, Some(org)) => {
                let mut read = self.store.begin_read().await?;
                Some(read.agreements(Some(org)).await?)
            }
            _ => None,
        };
        let with_agreements = match early {
            Some(_) => None,
            None => org,
        };
        let mut tx = self.store.begin().await?;
        let Some(bundle) = tx
            .person_lookup_bundle(id, actor.as_user().map(|u| u.user_id), with_agreements)
            .await?
        else {
            return Err(AppError::NotFound);
        };
        let agreements = early.or(bundle.agreements).unwrap_or_default();
        let ctx = PolicyCtx::with_agreements(agreements, actor, bundle.in_care_team);
        let (plan, consent, owner) = (bundle.plan, bundle.consent, bundle.owner_name);
        let identity_consent = identity_consent(consent.as_ref(), plan.as_ref());
        let (tx, person, ctx, id_decision) = self
            .lookup_decide(
                tx,
                actor,
                bundle.person,
                ctx,
                &identity_consent,
                break_glass_reason,
            )
            .await?;
        let decided = plan
            .as_ref()
            .map(|p| decide_plan(&ctx, actor, p, consent.as_ref(), break_glass_reason));
        let disclosed = disclosure(&id_decision, decided.as_ref());
        let may_edit = self.may_edit(&ctx, actor, person.owner_org_id).is_allowed();
        Ok((
            tx,
            Looked {
                person,
                owner,
                plan,
                consent,
                decided,
                disclosed,
                may_edit,
            },
        ))
    }

    /// The responder's lookup: identity and the parts of the plan the actor may see, in one transaction
    /// with ONE audit event listing every category shown, the legal basis each used and the parts of
    /// the plan shown. With a break-glass reason, sections the normal rules withhold are shown where
    /// break-glass may override, and the event is flagged for review.
    pub async fn person_lookup(
        &self,
        actor: &Actor,
        id: PersonId,
        break_glass_reason: Option<&str>,
    ) -> Result<PersonLookup, AppError> {
        let (mut tx, l) = self.look(actor, id, break_glass_reason).await?;
        let (action, subject) = match &l.plan {
            Some(p) => (
                "person.view.plan".to_string(),
                person_subject(
                    id,
                    "crisis_plan",
                    format!("plan {} v{} {}", p.id, p.version, l.disclosed.description),
                ),
            ),
            None => (
                Action::ViewPerson(DataCategory::Identity).code(),
                person_subject(id, "person", id.0.to_string()),
            ),
        };
        let bg = is_break_glass(&l.disclosed.decision);
        let reason = bg.then_some(break_glass_reason).flatten();
        // What to do instead when the plan is not all there: the holding service's crisis line.
        let withheld = l.decided.as_ref().is_none_or(|d| d.view.withheld > 0);
        let crisis_line = if withheld {
            tx.org_crisis_line(l.person.owner_org_id).await?
        } else {
            None
        };
        audit_allowed(
            &mut tx,
            actor,
            &action,
            &subject,
            &l.disclosed.decision,
            reason,
        )
        .await?;
        tx.commit().await?;
        Ok(PersonLookup {
            person: person_view(&l.person, l.owner, bg),
            plan: l.decided.map(|d| d.view),
            may_edit: l.may_edit,
            may_edit_identity: ctx_may_edit_identity(actor, l.person.owner_org_id),
            consent: if l.may_edit { l.consent } else { None },
            categories_shown: l.disclosed.categories,
            crisis_line,
        })
    }

    /// Opens the plan editor (audited as a view of the sections shown). Only the owning organisation's
    /// clinicians who plan care may; care-team sections the editor may not see are kept unchanged.
    pub async fn plan_editor(&self, actor: &Actor, id: PersonId) -> Result<PlanEditor, AppError> {
        let (mut tx, person, ctx, id_decision) = self.lookup_start(actor, id, None).await?;
        let edit = self.may_edit(&ctx, actor, person.owner_org_id);
        if let Decision::Deny(r) = edit {
            drop(tx);
            let subject = person_subject(id, "crisis_plan", id.0.to_string());
            audit_denial(self, actor, "person.edit.plan", &subject, &edit).await?;
            return Err(AppError::Denied(r));
        }
        let plan = tx.plan_for_person(id).await?;
        let consent = tx.consent_get(id).await?;
        let (view, hidden) = match &plan {
            None => (None, 0),
            Some(p) => {
                let mut d = decide_plan(&ctx, actor, p, consent.as_ref(), None);
                d.view.withheld_break_glass_may_show = false;
                let withheld = d.view.withheld;
                (Some(d.view), withheld)
            }
        };
        let subject = person_subject(
            id,
            "crisis_plan",
            match &plan {
                Some(p) => format!("plan {} v{}: opened for editing", p.id, p.version),
                None => "new plan".to_string(),
            },
        );
        audit_allowed(
            &mut tx,
            actor,
            "person.view.plan_editor",
            &subject,
            &id_decision,
            None,
        )
        .await?;
        let owner = tx
            .org_get(person.owner_org_id)
            .await?
            .map(|o| o.name)
            .unwrap_or_default();
        tx.commit().await?;
        Ok(PlanEditor {
            person: person_view(&person, owner, false),
            plan: view,
            hidden_kept: hidden,
            consent,
        })
    }

    /// Saves a new version of the plan. If someone saved since the version the editor started from,
    /// nothing is written and the other version is returned to be shown beside the editor's text.
    pub async fn plan_save(
        &self,
        actor: &Actor,
        id: PersonId,
        input: &PlanInput,
    ) -> Result<SaveOutcome, AppError> {
        let (mut tx, person, ctx, _) = self.lookup_start(actor, id, None).await?;
        let edit = self.may_edit(&ctx, actor, person.owner_org_id);
        let subject = person_subject(id, "crisis_plan", id.0.to_string());
        if let Decision::Deny(r) = edit {
            drop(tx);
            audit_denial(self, actor, "person.edit.plan", &subject, &edit).await?;
            return Err(AppError::Denied(r));
        }
        let (mut new, expected) = input.validate(id, person.owner_org_id, actor.username())?;
        let current = tx.plan_for_person(id).await?;
        let consent = tx.consent_get(id).await?;
        let conflict = |tx_plan: &CrisisPlan| {
            let mut d = decide_plan(&ctx, actor, tx_plan, consent.as_ref(), None);
            d.view.withheld_break_glass_may_show = false;
            SaveOutcome::Conflict { theirs: d.view }
        };
        let saved = match (&current, expected) {
            (None, None) => tx.plan_insert(&new).await,
            (Some(cur), Some(v)) if cur.version == v => {
                // Keep the sections and parts this editor may not see exactly as they were.
                let decided = decide_plan(&ctx, actor, cur, consent.as_ref(), None);
                if cur.own_words.is_some() && !decided.parts_shown.contains(&PlanPart::OwnWords) {
                    new.own_words = cur.own_words.clone();
                }
                if !cur.participants.is_empty()
                    && !decided.parts_shown.contains(&PlanPart::Participants)
                {
                    new.participants = cur.participants.clone();
                }
                for (s, d) in cur.sections.iter().zip(decided.section_decisions.iter()) {
                    if !d.is_allowed() {
                        new.sections.retain(|n| n.kind != s.kind);
                        new.sections.push(s.clone());
                    }
                }
                new.sections.sort_by_key(|s| s.kind);
                new.id = cur.id;
                tx.plan_update(&new, v).await
            }
            (Some(cur), _) => {
                // Started from another version (or from nothing while someone else created one).
                let out = conflict(cur);
                let subject = person_subject(
                    id,
                    "crisis_plan",
                    format!(
                        "plan {} v{}: save refused, shown beside the editor's text",
                        cur.id, cur.version
                    ),
                );
                audit_allowed(
                    &mut tx,
                    actor,
                    "person.view.plan_conflict",
                    &subject,
                    &edit,
                    None,
                )
                .await?;
                tx.commit().await?;
                return Ok(out);
            }
            (None, Some(_)) => return Err(AppError::NotFound),
        };
        let saved = match saved {
            Ok(p) => p,
            Err(StoreError::StaleVersion { .. } | StoreError::Conflict(_)) => {
                // Lost a race inside the database: report it the same way, reading afresh.
                drop(tx);
                let mut tx = self.store.begin().await?;
                let cur = tx.plan_for_person(id).await?.ok_or(AppError::NotFound)?;
                let out = conflict(&cur);
                let subject = person_subject(
                    id,
                    "crisis_plan",
                    format!(
                        "plan {} v{}: save refused, shown beside the editor's text",
                        cur.id, cur.version
                    ),
                );
                audit_allowed(
                    &mut tx,
                    actor,
                    "person.view.plan_conflict",
                    &subject,
                    &edit,
                    None,
                )
                .await?;
                tx.commit().await?;
                return Ok(out);
            }
            Err(e) => return Err(e.into()),
        };
        let subject = person_subject(
            id,
            "crisis_plan",
            format!("plan {} v{}", saved.id, saved.version),
        );
        audit_allowed(&mut tx, actor, "person.edit.plan", &subject, &edit, None).await?;
        tx.commit().await?;
        let sections = saved
            .sections
            .iter()
            .map(|s| SectionView {
                kind: s.kind,
                title: s.kind.label(),
                text: s.text.clone(),
                sharing: s.sharing,
                sharing_label: s.sharing.label(),
                break_glass: false,
            })
            .collect();
        Ok(SaveOutcome::Saved(plan_view(&saved, sections, 0, false)))
    }

    /// Records the person's decision about sharing. Takes effect for the next read, at once.
    pub async fn consent_record(
        &self,
        actor: &Actor,
        id: PersonId,
        input: &ConsentInput,
    ) -> Result<PlanConsent, AppError> {
        let (mut tx, person, ctx, _) = self.lookup_start(actor, id, None).await?;
        let edit = self.may_edit(&ctx, actor, person.owner_org_id);
        let subject = person_subject(id, "plan_consent", id.0.to_string());
        if let Decision::Deny(r) = edit {
            drop(tx);
            audit_denial(self, actor, "person.edit.consent", &subject, &edit).await?;
            return Err(AppError::Denied(r));
        }
        let (mut c, expected) = input.validate(id, actor.username())?;
        let version = match tx.consent_put(&c, expected).await {
            Ok(v) => v,
            Err(StoreError::StaleVersion { .. }) => {
                return Err(AppError::Conflict(
                    "someone else recorded a decision for this person while you were editing: reload and check it with them".into(),
                ));
            }
            Err(e) => return Err(e.into()),
        };
        c.version = version;
        let what = format!(
            "consent v{version}: {}{}",
            c.status.code(),
            if c.status == ConsentStatus::Given {
                format!(
                    " to {} for {}",
                    c.org_kinds
                        .iter()
                        .map(|k| k.code())
                        .collect::<Vec<_>>()
                        .join(","),
                    c.sections
                        .iter()
                        .map(|k| k.code())
                        .collect::<Vec<_>>()
                        .join(",")
                )
            } else {
                String::new()
            }
        );
        let subject = person_subject(id, "plan_consent", what);
        audit_allowed(&mut tx, actor, "person.edit.consent", &subject, &edit, None).await?;
        tx.commit().await?;
        Ok(c)
    }

    /// The plan's saved versions (for those who may edit it).
    pub async fn plan_versions(
        &self,
        actor: &Actor,
        id: PersonId,
    ) -> Result<Vec<VersionRow>, AppError> {
        let (mut tx, person, ctx, d) = self.lookup_start(actor, id, None).await?;
        let edit = self.may_edit(&ctx, actor, person.owner_org_id);
        let subject = person_subject(id, "crisis_plan", "versions".to_string());
        if let Decision::Deny(r) = edit {
            drop(tx);
            audit_denial(self, actor, "person.view.plan_history", &subject, &edit).await?;
            return Err(AppError::Denied(r));
        }
        let Some(plan) = tx.plan_for_person(id).await? else {
            return Err(AppError::NotFound);
        };
        let rows = tx.plan_versions(plan.id).await?;
        let usernames: Vec<String> = rows.iter().map(|r| r.saved_by.clone()).collect();
        let names = crate::staff::staff_labels(&mut tx, &usernames).await?;
        audit_allowed(
            &mut tx,
            actor,
            "person.view.plan_history",
            &subject,
            &d,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(|r| VersionRow {
                version: r.version,
                saved_by_name: names
                    .get(&r.saved_by)
                    .cloned()
                    .unwrap_or_else(|| r.saved_by.clone()),
                saved_by: r.saved_by,
                saved_at: r.saved_at,
            })
            .collect())
    }

    /// One earlier version, with the same section rules as today's plan (audited).
    pub async fn plan_version(
        &self,
        actor: &Actor,
        id: PersonId,
        version: i64,
    ) -> Result<PlanView, AppError> {
        let (mut tx, person, ctx, d) = self.lookup_start(actor, id, None).await?;
        let edit = self.may_edit(&ctx, actor, person.owner_org_id);
        let subject = person_subject(id, "crisis_plan", format!("version {version}"));
        if let Decision::Deny(r) = edit {
            drop(tx);
            audit_denial(self, actor, "person.view.plan_version", &subject, &edit).await?;
            return Err(AppError::Denied(r));
        }
        let Some(plan) = tx.plan_for_person(id).await? else {
            return Err(AppError::NotFound);
        };
        let Some(old) = tx.plan_version(plan.id, version).await? else {
            return Err(AppError::NotFound);
        };
        let consent = tx.consent_get(id).await?;
        let mut decided = decide_plan(&ctx, actor, &old, consent.as_ref(), None);
        decided.view.withheld_break_glass_may_show = false;
        let disclosed = disclosure(&d, Some(&decided));
        let subject = person_subject(
            id,
            "crisis_plan",
            format!("version {version} {}", disclosed.description),
        );
        audit_allowed(
            &mut tx,
            actor,
            "person.view.plan_version",
            &subject,
            &disclosed.decision,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(decided.view)
    }

    /// Plans held by the actor's organisation whose review is overdue (for clinicians who plan care).
    pub async fn plans_review_overdue(&self, actor: &Actor) -> Result<Vec<ReviewRow>, AppError> {
        let subject = Subject {
            resource_kind: "crisis_plan_reviews",
            ..Default::default()
        };
        let allowed = actor.as_user().is_some_and(|u| may_write_plan(u.role))
            && decide_org_wide(actor, Action::SearchPeople).is_allowed();
        let Some(org) = actor_org(actor).filter(|_| allowed) else {
            let d = Decision::Deny(DenyReason::RoleNotPermitted);
            audit_denial(self, actor, "plan.review_list", &subject, &d).await?;
            return Err(AppError::Denied(DenyReason::RoleNotPermitted));
        };
        let mut tx = self.store.begin().await?;
        let rows = tx
            .plans_review_overdue(org, Utc::now().date_naive(), 500)
            .await?;
        let d = decide_org_wide(actor, Action::SearchPeople);
        let subject = Subject {
            resource_kind: "crisis_plan_reviews",
            resource_id: Some(format!("{} plans overdue", rows.len())),
            person_id: None,
        };
        audit_allowed(&mut tx, actor, "plan.review_list", &subject, &d, None).await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(|r| ReviewRow {
                person_id: r.person_id,
                name: format!("{} {}", r.given_name, r.family_name),
                version: r.version,
                review_due: r.review_due,
            })
            .collect())
    }

    /// The repeated-contact support list (crisis clinicians only; audited every time it is used).
    /// Windows end at the latest contact recorded when that is before today (the demo's period ended).
    /// Each person is decided by the policy as if the actor opened their record: identity, and incident
    /// history (the counts are of their crisis contacts). People the actor may not see are counted, not named.
    /// One audit event per person shown, with their id, in the same transaction as the read, plus one for the list.
    pub async fn repeat_contact_list(
        &self,
        actor: &Actor,
        thresholds: RepeatThresholds,
    ) -> Result<SupportList, AppError> {
        let subject = Subject {
            resource_kind: "repeat_contact_list",
            ..Default::default()
        };
        crate::require(self, actor, Action::ViewRepeatContactList, &subject).await?;
        if thresholds.per_month < 1 || thresholds.per_year < 1 {
            return Err(AppError::Invalid(vec![
                FieldError::new("per_month", "use whole numbers of 1 or more"),
                FieldError::new("per_year", "use whole numbers of 1 or more"),
            ]));
        }
        let mut tx = self.store.begin().await?;
        let now = Utc::now().timestamp_millis();
        let end = tx
            .repeat_contacts_latest()
            .await?
            .map(|l| (l + 1).min(now))
            .unwrap_or(now);
        const DAY: i64 = 86_400_000;
        let found = tx
            .repeat_contacts(
                end - 30 * DAY,
                end - 365 * DAY,
                end,
                thresholds.per_month,
                thresholds.per_year,
                200,
            )
            .await?;
        let today = Utc::now().date_naive();
        let access = crate::access::Access::load(&mut tx, actor).await?;
        let ids: Vec<PersonId> = found.iter().map(|r| PersonId(r.person_id)).collect();
        let mut inputs = access.people_inputs(&mut tx, &ids).await?;
        let mut rows = Vec::new();
        let mut not_shown = 0;
        for r in found {
            let (id, owner) = (PersonId(r.person_id), OrgId(r.owner_org_id));
            let Some(inputs) = inputs.remove(&id) else {
                not_shown += 1;
                continue;
            };
            let identity = access.decide_person(
                &inputs,
                owner,
                Action::ViewPerson(DataCategory::Identity),
                None,
            );
            let incidents = access.decide_person(
                &inputs,
                owner,
                Action::ViewPerson(DataCategory::IncidentHistory),
                None,
            );
            if !(identity.is_allowed() && incidents.is_allowed()) {
                not_shown += 1;
                continue;
            }
            audit_allowed(
                &mut tx,
                actor,
                "person.view.identity.support_list",
                &person_subject(
                    id,
                    "repeat_contact_list",
                    format!(
                        "{} contacts in 30 days, {} in 365 days",
                        r.last_30_days, r.last_365_days
                    ),
                ),
                &incidents,
                None,
            )
            .await?;
            let overdue = r
                .review_due
                .as_deref()
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .is_some_and(|d| d < today);
            rows.push(SupportRow {
                person_id: r.person_id,
                name: format!("{} {}", r.given_name, r.family_name),
                last_30_days: r.last_30_days,
                last_365_days: r.last_365_days,
                has_plan: r.plan_id.is_some(),
                review_due: r.review_due,
                review_overdue: overdue,
                suggestion: if r.plan_id.is_none() {
                    "Offer a named worker, and write a crisis plan with them"
                } else if overdue {
                    "Offer a named worker, and review the plan with them (review overdue)"
                } else {
                    "Offer a named worker, and review the plan with them"
                },
            });
        }
        let d = decide_org_wide(actor, Action::ViewRepeatContactList);
        let subject = Subject {
            resource_kind: "repeat_contact_list",
            resource_id: Some(format!(
                "more than {} in 30 days or {} in 365 days: {} people shown, {} not shared with the viewer",
                thresholds.per_month,
                thresholds.per_year,
                rows.len(),
                not_shown
            )),
            person_id: None,
        };
        audit_allowed(
            &mut tx,
            actor,
            &Action::ViewRepeatContactList.code(),
            &subject,
            &d,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(SupportList {
            thresholds,
            // The day in the UK of the last moment counted (a contact at 00:30 in summer is 23:30 UTC).
            as_of: concordat_domain::mha::london_date(concordat_domain::model::from_millis(
                end - 1,
            )),
            rows,
            not_shown,
        })
    }

    /// A FHIR R4 Bundle (UK Core Patient, CarePlan, Consent) of exactly what the person page and the
    /// plan API show this actor (the same [`decide_plan`]), audited as one export event listing the
    /// categories included, the legal basis each used and the parts of the plan included.
    pub async fn person_fhir(
        &self,
        actor: &Actor,
        id: PersonId,
    ) -> Result<serde_json::Value, AppError> {
        let (mut tx, l) = self.look(actor, id, None).await?;
        let owner = tx.org_get(l.person.owner_org_id).await?;
        // Consent itself is shown only with some plan content (it says what the person agreed).
        let show_consent = l.disclosed.categories.len() > 1;
        let bundle = fhir::bundle(
            &l.person,
            owner.as_ref(),
            l.decided.as_ref().map(|d| &d.view),
            if show_consent {
                l.consent.as_ref()
            } else {
                None
            },
        );
        let what = match &l.plan {
            Some(p) => format!("plan {} v{} {}", p.id, p.version, l.disclosed.description),
            None => l.disclosed.description.clone(),
        };
        let subject = person_subject(id, "fhir_bundle", what);
        audit_allowed(
            &mut tx,
            actor,
            "person.export.fhir",
            &subject,
            &l.disclosed.decision,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(bundle)
    }
}

/// One look at a person, decided and not yet audited ([`App::look`]).
struct Looked {
    person: Person,
    owner: String,
    plan: Option<CrisisPlan>,
    consent: Option<PlanConsent>,
    decided: Option<DecidedPlan>,
    disclosed: Disclosure,
    may_edit: bool,
}

fn plan_view(
    p: &CrisisPlan,
    sections: Vec<SectionView>,
    withheld: usize,
    may_break: bool,
) -> PlanView {
    PlanView {
        plan_id: p.id,
        version: p.version,
        coproduced: p.coproduced,
        participants: p.participants.clone(),
        own_words: p.own_words.clone(),
        last_reviewed_on: p.last_reviewed_on,
        review_due: p.review_due,
        review_overdue: p.review_due < Utc::now().date_naive(),
        sections,
        withheld,
        withheld_break_glass_may_show: may_break,
        withheld_reasons: Vec::new(),
    }
}

/// Loads the demo region's crisis plans and consent decisions; the demo crisis clinician joins the care
/// team of every other person with a plan, so care-team sections have someone to show them to.
pub(crate) async fn load_demo(
    tx: &mut Tx,
    region: &DemoRegion,
    ids: &DemoIds,
) -> Result<(), AppError> {
    use concordat_demo::model as dm;
    let crisis = ids.staff_user.get("demo.crisis").copied();
    for (i, p) in region.crisis_plans.iter().enumerate() {
        let Some(person) = ids.people.get(&p.person).copied() else {
            continue;
        };
        let owner = ids.orgs.get(&p.owner_org).copied().unwrap_or(ids.trust);
        let sections = p
            .sections
            .iter()
            .filter_map(|s| {
                Some(PlanSection {
                    kind: SectionKind::from_code(s.kind.code())?,
                    text: s.text.clone(),
                    sharing: SharingLevel::from_code(s.sharing.code())?,
                })
            })
            .collect::<Vec<_>>();
        let mut plan = CrisisPlan {
            id: 0,
            person_id: person,
            owner_org_id: owner,
            version: 1,
            coproduced: p.coproduced,
            participants: p.participants.join(", "),
            own_words: p.own_words.clone(),
            last_reviewed_on: p.last_reviewed_on,
            review_due: p.review_due,
            updated_by: p.author.clone(),
            updated_at: p.created_at.timestamp_millis(),
            sections,
        };
        plan.sections.sort_by_key(|s| s.kind);
        let stored = tx.plan_insert(&plan).await?;
        // Earlier versions are not generated; later demo versions come from edits in the app.
        let _ = stored;
        let c = &p.consent;
        let status = match c.status {
            dm::ConsentStatus::Given => ConsentStatus::Given,
            dm::ConsentStatus::Withdrawn => ConsentStatus::Withdrawn,
            dm::ConsentStatus::OtherBasis => ConsentStatus::OtherBasis,
        };
        let consent = PlanConsent {
            person_id: person,
            status,
            other_basis: (status == ConsentStatus::OtherBasis).then_some(c.legal_basis),
            basis_note: c.basis_note.clone(),
            org_kinds: c.org_kinds.clone(),
            sections: c
                .sections
                .iter()
                .filter_map(|k| SectionKind::from_code(k.code()))
                .collect(),
            // The demo's people who consent share their own words; the names of those who took part
            // (third parties) are not shared beyond the holding organisation.
            parts: if status == ConsentStatus::Given {
                vec![PlanPart::OwnWords]
            } else {
                Vec::new()
            },
            valid_until: c.valid_until,
            recorded_by: c.recorded_by.clone(),
            recorded_at: c.withdrawn_at.unwrap_or(c.recorded_at).timestamp_millis(),
            version: 1,
        };
        tx.consent_put(&consent, None).await?;
        if let Some(u) = crisis
            && i % 2 == 0
        {
            tx.care_team_add(person, u).await?;
        }
    }
    Ok(())
}
