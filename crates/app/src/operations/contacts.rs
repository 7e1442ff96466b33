//! Crisis contacts: one shared record per response, quick to enter, kept as drafts, every save a version.

use super::{Refused, check_person_choice, form_time, parse_local, person_choice_error};
use crate::access::Access;
use crate::{Actor, App, AppError, FieldError, Subject, actor_org, audit_allowed, audit_denial};
use chrono::Utc;
use concordat_domain::model::{Neighbourhood, OrgId};
use concordat_domain::policy::{Action, Decision};
use concordat_domain::{DataCategory, OrgKind, Postcode};
use concordat_store::{
    CONTACT_DRAFT, CONTACT_FINAL, ContactData, ContactRecord, ContactVersion, Tx,
};
use serde::Serialize;

/// How the contact reached services.
pub const SOURCES: &[(&str, &str)] = &[
    ("999", "999 call"),
    ("101", "101 call"),
    ("control_room", "Police control room"),
    ("nhs_111", "NHS 111"),
    ("advice_line", "Mental health advice line"),
    ("walk_in", "Walk-in"),
];

/// Where the person was.
pub const SETTINGS: &[(&str, &str)] = &[
    ("street_or_public_place", "Street or public place"),
    ("private_premises", "Private premises"),
    ("other", "Other"),
];

/// How the mental health response was given.
pub const RESPONSE_TYPES: &[(&str, &str)] = &[
    ("face_to_face", "Face to face"),
    ("phone_advice", "Phone advice to an officer at the scene"),
    ("control_room_advice", "Control-room advice"),
];

/// What the person presented with (clinical detail).
pub const NEEDS: &[(&str, &str)] = &[
    ("suicidal_thoughts", "Suicidal thoughts"),
    ("self_harm", "Self-harm"),
    ("psychosis", "Psychotic symptoms"),
    ("acute_distress", "Acute distress or anxiety"),
    ("alcohol", "Alcohol"),
    ("drugs", "Drugs"),
    ("confusion", "Confusion or dementia"),
    ("welfare_concern", "Welfare concern raised by someone else"),
    ("physical_injury", "Physical injury"),
];

/// Outcomes of a contact (issue 3's list).
pub const OUTCOMES: &[(&str, &str)] = &[
    ("no_further_action", "No further action"),
    ("signposted", "Signposted to a service"),
    ("referred_crisis_team", "Referred to the crisis team"),
    ("referred_community_team", "Referred to the community team"),
    ("referred_gp", "Referred to GP"),
    ("referred_vcse", "Referred to a VCSE service"),
    ("informal_admission", "Informal admission"),
    ("ae_attendance", "A&E attendance"),
    ("s136", "Detained under section 136"),
    ("s135", "Removed under a section 135 warrant"),
    ("arrest", "Arrest"),
];

/// How the person was taken somewhere, if at all.
pub const CONVEYANCES: &[(&str, &str)] = &[
    ("none", "Not conveyed"),
    ("triage_car", "Street triage car"),
    ("ambulance", "Ambulance"),
    ("police_vehicle", "Police vehicle"),
];

/// The option lists a contact form shows.
#[derive(Debug, Clone, Serialize)]
pub struct Options {
    pub sources: &'static [(&'static str, &'static str)],
    pub settings: &'static [(&'static str, &'static str)],
    pub response_types: &'static [(&'static str, &'static str)],
    pub needs: &'static [(&'static str, &'static str)],
    pub outcomes: &'static [(&'static str, &'static str)],
    pub conveyances: &'static [(&'static str, &'static str)],
    /// Agencies are organisation kinds.
    pub agencies: Vec<(&'static str, &'static str)>,
    pub neighbourhoods: Vec<Neighbourhood>,
}

/// The option lists, with the region's neighbourhoods.
pub async fn contact_options(app: &App) -> Result<Options, AppError> {
    let mut tx = app.store.begin().await?;
    let neighbourhoods = tx.neighbourhoods().await?;
    Ok(Options {
        sources: SOURCES,
        settings: SETTINGS,
        response_types: RESPONSE_TYPES,
        needs: NEEDS,
        outcomes: OUTCOMES,
        conveyances: CONVEYANCES,
        agencies: OrgKind::ALL
            .iter()
            .filter(|k| !matches!(k, OrgKind::Icb | OrgKind::Housing | OrgKind::Other))
            .map(|k| (k.code(), k.label()))
            .collect(),
        neighbourhoods,
    })
}

/// What a contact form submits, as typed. Multi-valued fields arrive as repeated keys.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ContactForm {
    /// "draft" to keep a draft, anything else to finish.
    pub save_as: String,
    pub version: String,
    pub called_at: String,
    pub arrived_at: String,
    pub source: String,
    pub setting: String,
    pub postcode: String,
    pub neighbourhood: String,
    pub response_type: String,
    pub agencies: Vec<String>,
    pub person_id: String,
    pub person_description: String,
    pub presenting_needs: Vec<String>,
    pub physical_health_check: bool,
    pub outcomes: Vec<String>,
    pub conveyance: String,
    pub conveyance_reason: String,
    pub police_minutes: String,
}

impl ContactForm {
    /// Reads the submitted pairs (repeated keys for checkboxes).
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut f = ContactForm::default();
        for (k, v) in pairs {
            let v = v.clone();
            match k.as_str() {
                "save_as" => f.save_as = v,
                "version" => f.version = v,
                "called_at" => f.called_at = v,
                "arrived_at" => f.arrived_at = v,
                "source" => f.source = v,
                "setting" => f.setting = v,
                "postcode" => f.postcode = v,
                "neighbourhood" => f.neighbourhood = v,
                "response_type" => f.response_type = v,
                "agencies" => f.agencies.push(v),
                "person_id" => f.person_id = v,
                "person_description" => f.person_description = v,
                "presenting_needs" => f.presenting_needs.push(v),
                "physical_health_check" => f.physical_health_check = v == "yes",
                "outcomes" => f.outcomes.push(v),
                "conveyance" => f.conveyance = v,
                "conveyance_reason" => f.conveyance_reason = v,
                "police_minutes" => f.police_minutes = v,
                _ => {}
            }
        }
        f
    }

    /// A blank form for a new contact: called now, 999, on the street, face to face.
    pub fn new_now() -> Self {
        ContactForm {
            called_at: form_time(Utc::now()),
            source: "999".into(),
            setting: "street_or_public_place".into(),
            response_type: "face_to_face".into(),
            conveyance: "none".into(),
            ..Default::default()
        }
    }

    /// The form for an existing contact.
    pub fn from_record(c: &ContactRecord) -> Self {
        let d = &c.data;
        let t = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms)
                .map(form_time)
                .unwrap_or_default()
        };
        ContactForm {
            save_as: d.status.clone(),
            version: c.version.to_string(),
            called_at: t(d.called_at),
            arrived_at: d.arrived_at.map(t).unwrap_or_default(),
            source: d.source.clone(),
            setting: d.setting.clone(),
            postcode: d.postcode.clone().unwrap_or_default(),
            neighbourhood: d.neighbourhood.clone().unwrap_or_default(),
            response_type: d.response_type.clone().unwrap_or_default(),
            agencies: d.agencies.clone(),
            person_id: d.person_id.map(|p| p.to_string()).unwrap_or_default(),
            person_description: d.person_description.clone().unwrap_or_default(),
            presenting_needs: d.presenting_needs.clone(),
            physical_health_check: d.physical_health_check,
            outcomes: d.outcomes.clone(),
            conveyance: d.conveyance.clone().unwrap_or_default(),
            conveyance_reason: d.conveyance_reason.clone().unwrap_or_default(),
            police_minutes: d.police_minutes.map(|m| m.to_string()).unwrap_or_default(),
        }
    }

    fn is_draft(&self) -> bool {
        self.save_as == CONTACT_DRAFT
    }
}

fn one_of(
    errs: &mut Vec<FieldError>,
    field: &str,
    v: &str,
    list: &[(&str, &str)],
    what: &str,
) -> Option<String> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    if list.iter().any(|(c, _)| *c == v) {
        Some(v.to_string())
    } else {
        errs.push(FieldError::new(
            field,
            format!("Choose {what} from the list"),
        ));
        None
    }
}

fn all_of(
    errs: &mut Vec<FieldError>,
    field: &str,
    vs: &[String],
    list: &[(&str, &str)],
    what: &str,
) -> Vec<String> {
    let mut out = Vec::new();
    for v in vs {
        if let Some(c) = one_of(errs, field, v, list, what)
            && !out.contains(&c)
        {
            out.push(c);
        }
    }
    out
}

/// Parses and checks a form. A draft needs only a sensible call time; a finished contact needs the rest.
fn parse_form(f: &ContactForm, neighbourhoods: &[Neighbourhood]) -> Result<ContactData, AppError> {
    let mut errs = Vec::new();
    let draft = f.is_draft();
    let called_at = match parse_local("called_at", &f.called_at) {
        Ok(Some(t)) => Some(t),
        Ok(None) => {
            errs.push(FieldError::new("called_at", "Enter the time of the call"));
            None
        }
        Err(AppError::Invalid(e)) => {
            errs.extend(e);
            None
        }
        Err(e) => return Err(e),
    };
    let arrived_at = match parse_local("arrived_at", &f.arrived_at) {
        Ok(t) => t,
        Err(AppError::Invalid(e)) => {
            errs.extend(e);
            None
        }
        Err(e) => return Err(e),
    };
    if let (Some(c), Some(a)) = (called_at, arrived_at)
        && a < c
    {
        errs.push(FieldError::new(
            "arrived_at",
            "The arrival time must be after the time of the call",
        ));
    }
    if let Some(c) = called_at
        && c > Utc::now() + chrono::TimeDelta::minutes(5)
    {
        errs.push(FieldError::new(
            "called_at",
            "The time of the call cannot be in the future",
        ));
    }
    let source = one_of(
        &mut errs,
        "source",
        &f.source,
        SOURCES,
        "how the contact came in",
    );
    let setting = one_of(&mut errs, "setting", &f.setting, SETTINGS, "the setting");
    let response_type = one_of(
        &mut errs,
        "response_type",
        &f.response_type,
        RESPONSE_TYPES,
        "the type of response",
    );
    let kinds: Vec<(&str, &str)> = OrgKind::ALL.iter().map(|k| (k.code(), k.label())).collect();
    let agencies = all_of(&mut errs, "agencies", &f.agencies, &kinds, "the agencies");
    let presenting_needs = all_of(
        &mut errs,
        "presenting_needs",
        &f.presenting_needs,
        NEEDS,
        "presenting needs",
    );
    let outcomes = all_of(&mut errs, "outcomes", &f.outcomes, OUTCOMES, "outcomes");
    let conveyance = one_of(
        &mut errs,
        "conveyance",
        &f.conveyance,
        CONVEYANCES,
        "how the person was conveyed",
    );
    let postcode = if f.postcode.trim().is_empty() {
        None
    } else {
        match Postcode::parse(&f.postcode) {
            Ok(p) => Some(p),
            Err(_) => {
                errs.push(FieldError::new(
                    "postcode",
                    "Enter a full postcode, like ZZ1 4AB",
                ));
                None
            }
        }
    };
    // The neighbourhood: chosen, or the first one in the postcode's district.
    let neighbourhood = if f.neighbourhood.trim().is_empty() {
        postcode.as_ref().and_then(|p| {
            let district = p.to_string();
            let district = district.split(' ').next().unwrap_or("");
            neighbourhoods
                .iter()
                .find(|n| n.postcode_district.eq_ignore_ascii_case(district))
                .map(|n| n.code.clone())
        })
    } else if neighbourhoods
        .iter()
        .any(|n| n.code == f.neighbourhood.trim())
    {
        Some(f.neighbourhood.trim().to_string())
    } else {
        errs.push(FieldError::new(
            "neighbourhood",
            "Choose the neighbourhood from the list",
        ));
        None
    };
    let person_id = if f.person_id.trim().is_empty() {
        None
    } else {
        match f.person_id.trim().parse::<i64>() {
            Ok(p) if p > 0 => Some(p),
            _ => {
                errs.push(FieldError::new(
                    "person_id",
                    "Enter the record number from the person's page, or leave it blank and describe them",
                ));
                None
            }
        }
    };
    let police_minutes = if f.police_minutes.trim().is_empty() {
        None
    } else {
        match f.police_minutes.trim().parse::<i64>() {
            Ok(m) if (0..=24 * 60).contains(&m) => Some(m),
            _ => {
                errs.push(FieldError::new(
                    "police_minutes",
                    "Enter police time in whole minutes, from 0 to 1440",
                ));
                None
            }
        }
    };
    // Free text is refused when too long, never cut short.
    for (field, v) in [
        ("person_description", &f.person_description),
        ("conveyance_reason", &f.conveyance_reason),
    ] {
        errs.extend(crate::limits::too_long(field, v, crate::limits::MAX_NOTE));
    }
    let text = |s: &str| {
        let s = s.trim();
        (!s.is_empty()).then(|| s.to_string())
    };
    if !draft {
        if postcode.is_none() && !errs.iter().any(|e| e.field == "postcode") {
            errs.push(FieldError::new(
                "postcode",
                "Enter the postcode where the person was (the nearest one will do)",
            ));
        }
        if outcomes.is_empty() && !errs.iter().any(|e| e.field == "outcomes") {
            errs.push(FieldError::new(
                "outcomes",
                "Choose at least one outcome, or save as a draft and finish later",
            ));
        }
        if person_id.is_none() && text(&f.person_description).is_none() {
            errs.push(FieldError::new(
                "person_description",
                "Describe the person if they are not known (age, appearance), or give their record number",
            ));
        }
        let conveyed = conveyance.as_deref().is_some_and(|c| c != "none");
        if conveyed && text(&f.conveyance_reason).is_none() {
            errs.push(FieldError::new(
                "conveyance_reason",
                "Say why the person was conveyed this way",
            ));
        }
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    let street_triage = agencies
        .iter()
        .any(|a| a == OrgKind::MentalHealthTrust.code());
    Ok(ContactData {
        status: if draft { CONTACT_DRAFT } else { CONTACT_FINAL }.to_string(),
        person_id,
        person_description: text(&f.person_description),
        called_at: called_at.map(|t| t.timestamp_millis()).unwrap_or_default(),
        arrived_at: arrived_at.map(|t| t.timestamp_millis()),
        source: source.unwrap_or_else(|| "999".into()),
        setting: setting.unwrap_or_else(|| "other".into()),
        postcode: postcode.map(|p| p.to_string()),
        neighbourhood,
        response_type,
        agencies,
        presenting_needs,
        physical_health_check: f.physical_health_check,
        outcomes,
        conveyance,
        conveyance_reason: text(&f.conveyance_reason),
        police_minutes,
        street_triage,
        synthetic: false,
    })
}

/// A contact as shown to one actor: clinical detail only if their role and organisation may see it.
#[derive(Debug, Clone, Serialize)]
pub struct ContactView {
    pub record: ContactRecord,
    /// False for roles that may not see incident history (e.g. police): needs and the physical health check are left out.
    pub clinical_visible: bool,
    pub versions: Vec<ContactVersion>,
}

fn subject(id: Option<i64>, person: Option<i64>) -> Subject {
    Subject {
        person_id: person,
        resource_kind: "crisis_contact",
        resource_id: id.map(|i| i.to_string()),
    }
}

/// Removes clinical detail the actor may not see.
fn redact(d: &mut ContactData) {
    d.presenting_needs.clear();
    d.physical_health_check = false;
}

impl App {
    /// Whether the actor may open the new-contact form: the decision that saving it would get (a new
    /// record of the actor's organisation), so a role that cannot record contacts is refused with the
    /// reason before it types anything. A refusal is audited.
    pub async fn contact_form(&self, actor: &Actor) -> Result<(), AppError> {
        let d = crate::decide_org_wide(actor, Action::RecordContact);
        if !d.is_allowed() {
            audit_denial(self, actor, "contact.create", &subject(None, None), &d).await?;
            return Err(deny(d));
        }
        Ok(())
    }

    /// Creates a contact owned by the actor's organisation (a draft or finished), as version 1.
    /// A person chosen for it must be one the actor may see (the same decision as opening their page).
    pub async fn contact_create(&self, actor: &Actor, form: &ContactForm) -> Result<i64, AppError> {
        let mut tx = self.store.begin().await?;
        let access = Access::load(&mut tx, actor).await?;
        let decision = access.record(Action::RecordContact, None);
        let Decision::Allow { .. } = decision else {
            drop(tx);
            audit_denial(
                self,
                actor,
                "contact.create",
                &subject(None, None),
                &decision,
            )
            .await?;
            return Err(deny(decision));
        };
        let org = actor_org(actor).ok_or(AppError::Unauthenticated)?;
        let neighbourhoods = tx.neighbourhoods().await?;
        let mut data = parse_form(form, &neighbourhoods)?;
        if let Some(p) = data.person_id
            && let Some(refused) =
                check_person_choice(&mut tx, &access, p, "person.choose.contact").await?
        {
            drop(tx);
            refused.audit(self, actor).await?;
            return Err(person_choice_error());
        }
        let clinical = access
            .record(Action::ViewPerson(DataCategory::IncidentHistory), Some(org))
            .is_allowed();
        if !clinical {
            redact(&mut data);
        }
        let id = tx.contact_create(org.0, &data, actor.username()).await?;
        audit_allowed(
            &mut tx,
            actor,
            "contact.create",
            &subject(Some(id), data.person_id),
            &decision,
            Some(&format!("version 1 ({})", data.status)),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Loads a contact after authorising: a role that may never record contacts is refused before the
    /// number is looked up (403); a number that does not exist and a contact the policy refuses are both
    /// answered "not found", so nobody can probe which numbers exist. Every refusal is audited.
    async fn contact_authorised<'a>(
        &self,
        actor: &'a Actor,
        id: i64,
        action_code: &str,
    ) -> Result<(Tx, Access<'a>, ContactRecord, Decision), AppError> {
        let mut tx = self.store.begin().await?;
        let access = Access::load(&mut tx, actor).await?;
        let probe = access.record(Action::RecordContact, actor_org(actor));
        if !probe.is_allowed() {
            drop(tx);
            audit_denial(self, actor, action_code, &subject(Some(id), None), &probe).await?;
            return Err(deny(probe));
        }
        let refused = match tx.contact_get(id).await? {
            None => Refused::missing(action_code, "crisis_contact", id),
            Some(record) => {
                let d = access.record(Action::RecordContact, Some(OrgId(record.owner_org_id)));
                if d.is_allowed() {
                    return Ok((tx, access, record, d));
                }
                Refused::denied(action_code, subject(Some(id), record.data.person_id), d)
            }
        };
        drop(tx);
        refused.audit(self, actor).await?;
        Err(AppError::NotFound)
    }

    /// Opens a contact: audited; clinical detail only where the policy allows incident history.
    pub async fn contact_view(&self, actor: &Actor, id: i64) -> Result<ContactView, AppError> {
        let (mut tx, access, mut record, decision) =
            self.contact_authorised(actor, id, "contact.view").await?;
        let sub = subject(Some(id), record.data.person_id);
        let clinical_visible = access
            .record(
                Action::ViewPerson(DataCategory::IncidentHistory),
                Some(OrgId(record.owner_org_id)),
            )
            .is_allowed();
        let mut versions = tx.contact_versions(id).await?;
        if !clinical_visible {
            redact(&mut record.data);
            for v in &mut versions {
                redact(&mut v.data);
            }
        }
        audit_allowed(&mut tx, actor, "contact.view", &sub, &decision, None).await?;
        tx.commit().await?;
        Ok(ContactView {
            record,
            clinical_visible,
            versions,
        })
    }

    /// Saves a new version of a contact. Someone else's save in between is refused (optimistic locking).
    /// A role that may not see clinical detail keeps what clinicians recorded: it cannot see or erase it.
    /// A person newly chosen for it must be one the actor may see; a number that matches nobody is refused on the field.
    pub async fn contact_update(
        &self,
        actor: &Actor,
        id: i64,
        form: &ContactForm,
    ) -> Result<i64, AppError> {
        let (mut tx, access, current, decision) =
            self.contact_authorised(actor, id, "contact.update").await?;
        let sub = subject(Some(id), current.data.person_id);
        let expected: i64 = form.version.trim().parse().map_err(|_| {
            AppError::invalid("version", "The form is out of date: open the contact again")
        })?;
        let neighbourhoods = tx.neighbourhoods().await?;
        let mut data = parse_form(form, &neighbourhoods)?;
        if let Some(p) = data.person_id
            && data.person_id != current.data.person_id
            && let Some(refused) =
                check_person_choice(&mut tx, &access, p, "person.choose.contact").await?
        {
            drop(tx);
            refused.audit(self, actor).await?;
            return Err(person_choice_error());
        }
        let clinical = access
            .record(
                Action::ViewPerson(DataCategory::IncidentHistory),
                Some(OrgId(current.owner_org_id)),
            )
            .is_allowed();
        if !clinical {
            data.presenting_needs = current.data.presenting_needs.clone();
            data.physical_health_check = current.data.physical_health_check;
        }
        data.synthetic = current.data.synthetic;
        if expected != current.version {
            return Err(AppError::Conflict(format!(
                "Someone else saved this contact (now version {}) while you were editing version {expected}. Your changes were not saved: open it again to see theirs, then make yours",
                current.version
            )));
        }
        let version = tx
            .contact_update(id, expected, &data, actor.username())
            .await?;
        // The event names the person the contact is about now (a change of person names the new one;
        // the old one is in the previous version's event).
        let sub = Subject {
            person_id: data.person_id.or(sub.person_id),
            ..sub
        };
        audit_allowed(
            &mut tx,
            actor,
            "contact.update",
            &sub,
            &decision,
            Some(&format!("version {version} ({})", data.status)),
        )
        .await?;
        tx.commit().await?;
        Ok(version)
    }

    /// The newest contacts the actor's organisation holds (drafts first); one audit event per contact listed,
    /// with the person's id where one is linked.
    pub async fn contacts_recent(&self, actor: &Actor) -> Result<Vec<ContactRecord>, AppError> {
        let mut tx = self.store.begin().await?;
        let access = Access::load(&mut tx, actor).await?;
        let decision = access.record(Action::RecordContact, None);
        let sub = subject(None, None);
        if !decision.is_allowed() {
            drop(tx);
            audit_denial(self, actor, "contact.list", &sub, &decision).await?;
            return Err(deny(decision));
        }
        let org = actor_org(actor).ok_or(AppError::Unauthenticated)?;
        let list = tx.contacts_recent(&[org.0], 30).await?;
        for c in &list {
            audit_allowed(
                &mut tx,
                actor,
                "contact.list",
                &subject(Some(c.id), c.data.person_id),
                &decision,
                None,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(list)
    }
}

pub(crate) fn deny(d: Decision) -> AppError {
    match d {
        Decision::Deny(r) => AppError::Denied(r),
        Decision::Allow { .. } => AppError::Internal("deny() called on an allow".into()),
    }
}
