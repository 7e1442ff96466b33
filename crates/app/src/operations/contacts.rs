//! Crisis contacts: one shared record per response, quick to enter, kept as drafts, every save a version.

use super::{Refused, check_person_choice, form_time, parse_local, person_choice_error};
use crate::access::Access;
use crate::people::PersonSummary;
use crate::{Actor, App, AppError, FieldError, Subject, actor_org, audit_allowed, audit_denial};
use chrono::Utc;
use concordat_domain::model::{Neighbourhood, OrgId, Person, PersonId};
use concordat_domain::policy::{Action, Decision};
use concordat_domain::{DataCategory, OrgKind, Postcode};
use concordat_store::{
    CONTACT_DRAFT, CONTACT_FINAL, ContactData, ContactFilter, ContactListRow, ContactRecord,
    ContactVersion, Tx,
};
use serde::Serialize;
use std::collections::HashMap;

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
    /// The organisation that holds the contact.
    pub owner_org_name: String,
    /// The organisations that joined it as partners.
    pub partners: Vec<String>,
    /// Whether the actor's organisation may join it (another organisation's contact, not joined yet).
    pub may_join: bool,
    /// How pages name the staff who saved it (username → "Name, role"; `crate::staff`).
    pub staff: std::collections::HashMap<String, String>,
}

/// Which contacts the list shows (all the actor may see when nothing is set).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ContactListQuery {
    /// Called today (Europe/London).
    pub today: bool,
    /// Saved by the actor (any version).
    pub mine: bool,
    pub drafts: bool,
    /// About one person (who must be one the actor may see).
    pub person_id: Option<i64>,
}

/// One contact in the list: who and where, and what the actor may do with it.
#[derive(Debug, Clone, Serialize)]
pub struct ContactLine {
    pub id: i64,
    pub version: i64,
    pub called_at: i64,
    pub draft: bool,
    pub source: String,
    pub setting: String,
    pub outcomes: Vec<String>,
    /// Where: the neighbourhood code and postcode as recorded.
    pub neighbourhood: Option<String>,
    pub postcode: Option<String>,
    pub owner_org_name: String,
    pub partners: Vec<String>,
    /// The actor's organisation holds it.
    pub own: bool,
    /// The actor's organisation joined it.
    pub joined: bool,
    /// The actor's organisation may join it (a partner's open contact).
    pub may_join: bool,
    /// The person's name and record number, only where the policy lets this viewer see their identity.
    pub person: Option<PersonSummary>,
    /// A person is linked but this viewer may not see who.
    pub person_withheld: bool,
    /// The description recorded when the person was not identified.
    pub person_description: Option<String>,
}

/// The contacts list, and the person it was narrowed to (if any).
#[derive(Debug, Clone, Serialize)]
pub struct ContactList {
    pub lines: Vec<ContactLine>,
    pub person: Option<PersonSummary>,
    /// More contacts matched than are shown.
    pub more: bool,
}

/// The most contacts the list shows.
pub const CONTACT_LIST_LIMIT: i64 = 50;

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
        let owner = OrgId(record.owner_org_id);
        let owner_org_name = tx.org_get(owner).await?.map(|o| o.name).unwrap_or_default();
        let partner_rows = tx.contact_partners_of(&[id]).await?;
        let joined = partner_rows
            .iter()
            .any(|(_, o, _)| Some(OrgId(*o)) == actor_org(actor));
        let may_join = Some(owner) != actor_org(actor)
            && !joined
            && access.record(Action::JoinContact, Some(owner)).is_allowed();
        let savers: Vec<String> = versions
            .iter()
            .map(|v| v.saved_by.clone())
            .chain(record.updated_by.clone())
            .collect();
        let staff = crate::staff::staff_labels(&mut tx, &savers).await?;
        tx.commit().await?;
        Ok(ContactView {
            record,
            clinical_visible,
            versions,
            owner_org_name,
            partners: partner_rows.into_iter().map(|(_, _, n)| n).collect(),
            may_join,
            staff,
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

    /// The contacts the actor may find, newest first (drafts first), at most [`CONTACT_LIST_LIMIT`]: their
    /// organisation's own, those it joined as a partner, and partners' drafts it may join. Each contact is
    /// decided by the policy (the decision opening it would get) and audited (`contact.list`, with the
    /// person's id where one is linked); each person named is decided per person (identity, the same
    /// decision as opening their page) and audited once (`person.view.identity.contacts`); a person the
    /// viewer may not see is shown without a name. A person to narrow the list to must be one the actor
    /// may see, or the list is refused like a person chosen for a contact.
    pub async fn contacts_list(
        &self,
        actor: &Actor,
        q: &ContactListQuery,
    ) -> Result<ContactList, AppError> {
        let mut tx = self.store.begin().await?;
        let access = Access::load(&mut tx, actor).await?;
        let decision = access.record(Action::RecordContact, None);
        if !decision.is_allowed() {
            drop(tx);
            audit_denial(self, actor, "contact.list", &subject(None, None), &decision).await?;
            return Err(deny(decision));
        }
        let org = actor_org(actor).ok_or(AppError::Unauthenticated)?;
        let filter_person = match q.person_id {
            Some(pid) => {
                if let Some(refused) =
                    check_person_choice(&mut tx, &access, pid, "person.choose.contacts").await?
                {
                    drop(tx);
                    refused.audit(self, actor).await?;
                    return Err(person_choice_error());
                }
                Some(pid)
            }
            None => None,
        };
        let called_from = if q.today {
            let today = concordat_domain::mha::london_date(Utc::now());
            today
                .and_hms_opt(0, 0, 0)
                .and_then(|m| concordat_domain::mha::from_london_local(m).ok())
                .map(|t| t.timestamp_millis())
        } else {
            None
        };
        let filter = ContactFilter {
            called_from,
            drafts_only: q.drafts,
            saved_by: q.mine.then(|| actor.username().to_string()),
            person_id: filter_person,
        };
        let joinable: Vec<i64> = access
            .owners_sharing(DataCategory::IncidentHistory)
            .into_iter()
            .map(|o| o.0)
            .collect();
        let mut rows = tx
            .contacts_listed(org.0, &joinable, &filter, CONTACT_LIST_LIMIT + 1)
            .await?;
        let more = rows.len() as i64 > CONTACT_LIST_LIMIT;
        rows.truncate(CONTACT_LIST_LIMIT as usize);
        let people: Vec<PersonId> = {
            let mut v: Vec<PersonId> = rows
                .iter()
                .filter_map(|r| r.record.data.person_id.map(PersonId))
                .collect();
            v.sort_by_key(|p| p.0);
            v.dedup();
            v
        };
        let inputs = access.people_inputs(&mut tx, &people).await?;
        let identity = Action::ViewPerson(DataCategory::Identity);
        // Each person decided once, and their name audited once however many of their contacts are shown.
        let mut named: HashMap<i64, Option<PersonSummary>> = HashMap::new();
        let mut lines = Vec::new();
        for r in rows {
            let owner = OrgId(r.record.owner_org_id);
            let d = access.record(Action::RecordContact, Some(owner));
            if !d.is_allowed() {
                continue;
            }
            audit_allowed(
                &mut tx,
                actor,
                "contact.list",
                &subject(Some(r.record.id), r.record.data.person_id),
                &d,
                None,
            )
            .await?;
            let mut person = None;
            let mut withheld = false;
            if let (Some(pid), Some(powner), Some(name)) = (
                r.record.data.person_id,
                r.person_owner_org_id,
                r.person_name.as_ref(),
            ) {
                if let Some(known) = named.get(&pid) {
                    person = known.clone();
                } else {
                    let shown = match inputs.get(&PersonId(pid)) {
                        Some(i) => {
                            let pd = access.decide_person(i, OrgId(powner), identity, None);
                            if pd.is_allowed() {
                                audit_allowed(
                                    &mut tx,
                                    actor,
                                    "person.view.identity.contacts",
                                    &Subject {
                                        person_id: Some(pid),
                                        resource_kind: "crisis_contact",
                                        resource_id: Some(r.record.id.to_string()),
                                    },
                                    &pd,
                                    None,
                                )
                                .await?;
                                Some(PersonSummary {
                                    id: pid,
                                    name: name.clone(),
                                    date_of_birth: None,
                                    postcode_district: None,
                                    synthetic: r.record.data.synthetic,
                                })
                            } else {
                                None
                            }
                        }
                        None => None,
                    };
                    named.insert(pid, shown.clone());
                    person = shown;
                }
                withheld = person.is_none();
            }
            lines.push(line_of(&r, org, &access, person, withheld));
        }
        let person = match filter_person {
            Some(pid) => {
                let p = tx.person_get(PersonId(pid)).await?;
                p.map(|p| summary(&p))
            }
            None => None,
        };
        if let Some(p) = &person {
            // The person the list was narrowed to is named in its heading: audited like a name in the list.
            let owner = owner_of(&mut tx, p.id).await?;
            let d = access
                .person(&mut tx, PersonId(p.id), owner, identity, None)
                .await?;
            audit_allowed(
                &mut tx,
                actor,
                "person.view.identity.contacts",
                &Subject {
                    person_id: Some(p.id),
                    resource_kind: "person",
                    resource_id: Some(p.id.to_string()),
                },
                &d,
                None,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(ContactList {
            lines,
            person,
            more,
        })
    }

    /// A person's crisis contacts for their page: the contacts the actor may find (as in the list) about a
    /// person the actor may see, each decided by the policy. The page names the person already, so the
    /// history is one disclosure: one audit event (`contact.history`) with the person's id, written when
    /// at least one contact is shown. Nothing for a person the actor may not see.
    pub async fn person_contacts(
        &self,
        actor: &Actor,
        person_id: i64,
    ) -> Result<Vec<ContactLine>, AppError> {
        let mut tx = self.store.begin().await?;
        let access = Access::load(&mut tx, actor).await?;
        let decision = access.record(Action::RecordContact, None);
        if !decision.is_allowed() {
            drop(tx);
            audit_denial(
                self,
                actor,
                "contact.history",
                &subject(None, Some(person_id)),
                &decision,
            )
            .await?;
            return Err(deny(decision));
        }
        let org = actor_org(actor).ok_or(AppError::Unauthenticated)?;
        let Some(p) = tx.person_get(PersonId(person_id)).await? else {
            return Ok(Vec::new());
        };
        let identity = access
            .person(
                &mut tx,
                p.id,
                p.owner_org_id,
                Action::ViewPerson(DataCategory::Identity),
                None,
            )
            .await?;
        if !identity.is_allowed() {
            return Ok(Vec::new());
        }
        let joinable: Vec<i64> = access
            .owners_sharing(DataCategory::IncidentHistory)
            .into_iter()
            .map(|o| o.0)
            .collect();
        let filter = ContactFilter {
            person_id: Some(person_id),
            ..Default::default()
        };
        let rows = tx
            .contacts_listed(org.0, &joinable, &filter, CONTACT_LIST_LIMIT)
            .await?;
        let lines: Vec<ContactLine> = rows
            .iter()
            .filter(|r| {
                access
                    .record(Action::RecordContact, Some(OrgId(r.record.owner_org_id)))
                    .is_allowed()
            })
            .map(|r| line_of(r, org, &access, None, false))
            .collect();
        if !lines.is_empty() {
            let ids: Vec<String> = lines.iter().map(|l| l.id.to_string()).collect();
            audit_allowed(
                &mut tx,
                actor,
                "contact.history",
                &Subject {
                    person_id: Some(person_id),
                    resource_kind: "crisis_contact",
                    resource_id: Some(ids.join(",")),
                },
                &identity,
                None,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(lines)
    }

    /// Joins a contact as a partner: the actor's organisation is added to the organisations on the response,
    /// so the contact is in its list. Decided by the policy (`JoinContact`, the decision writing to it gets);
    /// a contact the actor may not reach is "not found", like opening it. Joining twice, or one's own
    /// organisation's contact, changes nothing. Audited (`contact.join`). Returns whether it was joined now.
    pub async fn contact_join(&self, actor: &Actor, id: i64) -> Result<bool, AppError> {
        let (mut tx, access, record, _) =
            self.contact_authorised(actor, id, "contact.join").await?;
        let owner = OrgId(record.owner_org_id);
        let org = actor_org(actor).ok_or(AppError::Unauthenticated)?;
        let d = access.record(Action::JoinContact, Some(owner));
        let sub = subject(Some(id), record.data.person_id);
        if !d.is_allowed() {
            drop(tx);
            audit_denial(self, actor, "contact.join", &sub, &d).await?;
            return Err(AppError::NotFound);
        }
        if owner == org {
            return Ok(false);
        }
        let user = actor.as_user().map(|u| u.user_id.0);
        let joined = tx.contact_partner_add(id, org.0, user).await?;
        if joined {
            audit_allowed(
                &mut tx,
                actor,
                "contact.join",
                &sub,
                &d,
                Some("joined as a partner"),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(joined)
    }

    /// A person chosen for a contact or detention by record number (from their page or a search), shown on
    /// the form by name: the same decision as opening their page (identity), audited
    /// (`person.view.identity.chooser`); a number that matches nobody the actor may see is refused alike.
    pub async fn person_choice(&self, actor: &Actor, id: i64) -> Result<PersonSummary, AppError> {
        let mut tx = self.store.begin().await?;
        let access = Access::load(&mut tx, actor).await?;
        if let Some(refused) =
            check_person_choice(&mut tx, &access, id, "person.view.identity.chooser").await?
        {
            drop(tx);
            refused.audit(self, actor).await?;
            return Err(person_choice_error());
        }
        let Some(p) = tx.person_get(PersonId(id)).await? else {
            return Err(person_choice_error());
        };
        let d = access
            .person(
                &mut tx,
                p.id,
                p.owner_org_id,
                Action::ViewPerson(DataCategory::Identity),
                None,
            )
            .await?;
        audit_allowed(
            &mut tx,
            actor,
            "person.view.identity.chooser",
            &Subject {
                person_id: Some(id),
                resource_kind: "person",
                resource_id: Some(id.to_string()),
            },
            &d,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(summary(&p))
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

/// A contact as a line of a list, with what the actor's organisation may do with it.
fn line_of(
    r: &ContactListRow,
    org: OrgId,
    access: &Access<'_>,
    person: Option<PersonSummary>,
    person_withheld: bool,
) -> ContactLine {
    let owner = OrgId(r.record.owner_org_id);
    let joined = r.partners.iter().any(|(o, _)| *o == org.0);
    let own = owner == org;
    ContactLine {
        id: r.record.id,
        version: r.record.version,
        called_at: r.record.data.called_at,
        draft: r.record.data.status == CONTACT_DRAFT,
        source: r.record.data.source.clone(),
        setting: r.record.data.setting.clone(),
        outcomes: r.record.data.outcomes.clone(),
        neighbourhood: r.record.data.neighbourhood.clone(),
        postcode: r.record.data.postcode.clone(),
        owner_org_name: r.owner_org_name.clone(),
        partners: r.partners.iter().map(|(_, n)| n.clone()).collect(),
        own,
        joined,
        may_join: !own && !joined && access.record(Action::JoinContact, Some(owner)).is_allowed(),
        person,
        person_withheld,
        person_description: r.record.data.person_description.clone(),
    }
}

fn summary(p: &Person) -> PersonSummary {
    PersonSummary {
        id: p.id.0,
        name: format!("{} {}", p.given_name, p.family_name),
        date_of_birth: p.date_of_birth,
        postcode_district: p.postcode.as_ref().map(|pc| pc.district().to_string()),
        synthetic: p.synthetic,
    }
}

async fn owner_of(tx: &mut Tx, person: i64) -> Result<OrgId, AppError> {
    tx.person_get(PersonId(person))
        .await?
        .map(|p| p.owner_org_id)
        .ok_or(AppError::NotFound)
}

pub(crate) fn deny(d: Decision) -> AppError {
    match d {
        Decision::Deny(r) => AppError::Denied(r),
        Decision::Allow { .. } => AppError::Internal("deny() called on an allow".into()),
    }
}
