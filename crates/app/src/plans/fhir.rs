//! FHIR R4 export: a `collection` Bundle of UK Core Patient, CarePlan and Consent resources holding only
//! what the requesting actor may see. Profiles and code systems are listed in docs/crisis-plans.md.

use super::PlanView;
use concordat_domain::consent::{ConsentStatus, PlanConsent};
use concordat_domain::model::{Organisation, Person};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The NHS number identifier system.
pub const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";
const ODS_SYSTEM: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
const PROFILE_PATIENT: &str = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient";
const PROFILE_CAREPLAN: &str = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-CarePlan";
const PROFILE_CONSENT: &str = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Consent";
/// Concordat's own codes (section kinds, sharing levels, organisation kinds), until national codes exist.
pub const SECTION_SYSTEM: &str =
    "https://concordat.example.org/fhir/CodeSystem/crisis-plan-section";
pub const ORG_KIND_SYSTEM: &str = "https://concordat.example.org/fhir/CodeSystem/organisation-kind";

/// A stable urn:uuid for a resource (SHA-256 of its kind and id, shaped as a UUID).
fn urn(kind: &str, id: i64) -> String {
    let h = hex::encode(Sha256::digest(format!("concordat:{kind}:{id}").as_bytes()));
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn gender(sex: Option<&str>) -> &'static str {
    match sex.map(str::to_ascii_lowercase).as_deref() {
        Some("male" | "m") => "male",
        Some("female" | "f") => "female",
        Some("other") => "other",
        _ => "unknown",
    }
}

pub(super) fn bundle(
    p: &Person,
    owner: Option<&Organisation>,
    plan: Option<&PlanView>,
    consent: Option<&PlanConsent>,
) -> Value {
    let patient_ref = urn("Patient", p.id.0);
    let org = owner.map(|o| {
        let mut r = json!({"display": o.name});
        if let Some(ods) = &o.ods_code {
            r["identifier"] = json!({"system": ODS_SYSTEM, "value": ods});
        }
        r
    });
    let mut patient = json!({
        "resourceType": "Patient",
        "id": p.id.0.to_string(),
        "meta": {"profile": [PROFILE_PATIENT]},
        "identifier": [],
        "name": [{"use": "official", "family": p.family_name, "given": [p.given_name]}],
        "gender": gender(p.sex.as_deref()),
    });
    if let Some(n) = &p.nhs_number {
        patient["identifier"] = json!([{"system": NHS_NUMBER_SYSTEM, "value": n.digits()}]);
    }
    if let Some(d) = p.date_of_birth {
        patient["birthDate"] = json!(d.format("%Y-%m-%d").to_string());
    }
    if p.address_line.is_some() || p.postcode.is_some() {
        let mut a = json!({"use": "home"});
        if let Some(l) = &p.address_line {
            a["line"] = json!([l]);
        }
        if let Some(pc) = &p.postcode {
            a["postalCode"] = json!(pc.to_string());
        }
        patient["address"] = json!([a]);
    }
    if let Some(o) = &org {
        patient["managingOrganization"] = o.clone();
    }
    let mut entries = vec![json!({"fullUrl": patient_ref, "resource": patient})];
    if let Some(plan) = plan {
        let mut div = String::from("<div xmlns=\"http://www.w3.org/1999/xhtml\">");
        for s in &plan.sections {
            div.push_str(&format!(
                "<h2>{}</h2><p>{}</p>",
                escape(s.title),
                escape(&s.text)
            ));
        }
        div.push_str("</div>");
        let mut notes: Vec<Value> = plan
            .sections
            .iter()
            .map(|s| json!({"text": format!("{}: {}", s.title, s.text)}))
            .collect();
        if let Some(w) = &plan.own_words {
            notes.insert(0, json!({"text": format!("In my own words: {w}")}));
        }
        if !plan.participants.is_empty() {
            notes.push(json!({"text": format!("Written with: {}", plan.participants)}));
        }
        let mut cp = json!({
            "resourceType": "CarePlan",
            "id": plan.plan_id.to_string(),
            "meta": {"profile": [PROFILE_CAREPLAN], "versionId": plan.version.to_string()},
            "text": {"status": "generated", "div": div},
            "status": "active",
            "intent": "plan",
            "category": [{"text": "Mental health crisis plan"}],
            "title": "Crisis plan",
            "description": if plan.coproduced { "Written together with the person" } else { "Not recorded as written with the person" },
            "subject": {"reference": patient_ref},
            "period": {"start": plan.last_reviewed_on.format("%Y-%m-%d").to_string(), "end": plan.review_due.format("%Y-%m-%d").to_string()},
            "note": notes,
        });
        if let Some(o) = &org {
            cp["author"] = o.clone();
        }
        entries.push(json!({"fullUrl": urn("CarePlan", plan.plan_id), "resource": cp}));
    }
    if let Some(c) = consent {
        let status = match c.status {
            ConsentStatus::Given | ConsentStatus::OtherBasis => "active",
            ConsentStatus::Withdrawn => "inactive",
            ConsentStatus::NotRecorded => "proposed",
        };
        let rule = match c.status {
            ConsentStatus::Given => {
                json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTIN"}]})
            }
            ConsentStatus::Withdrawn => {
                json!({"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}]})
            }
            _ => json!({"text": format!("Shared under another legal basis: {}{}",
                c.other_basis.map(|b| b.label()).unwrap_or("not stated"),
                c.basis_note.as_deref().map(|n| format!(" ({n})")).unwrap_or_default())}),
        };
        let mut provision =
            json!({"type": if c.status == ConsentStatus::Withdrawn { "deny" } else { "permit" }});
        if let Some(u) = c.valid_until {
            provision["period"] = json!({"end": u.format("%Y-%m-%d").to_string()});
        }
        if !c.org_kinds.is_empty() {
            provision["actor"] = json!(c.org_kinds.iter().map(|k| json!({
                "role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP", "display": "information recipient"}]},
                "reference": {"display": k.label(), "identifier": {"system": ORG_KIND_SYSTEM, "value": k.code()}}
            })).collect::<Vec<_>>());
        }
        // The sections and the other parts (own words, participants) the person agreed to share.
        let agreed: Vec<(&str, &str)> = c
            .sections
            .iter()
            .map(|s| (s.code(), s.label()))
            .chain(c.parts.iter().map(|p| (p.code(), p.label())))
            .collect();
        if !agreed.is_empty() {
            provision["code"] = json!(agreed.iter().map(|(code, label)| json!({"coding": [{"system": SECTION_SYSTEM, "code": code, "display": label}]})).collect::<Vec<_>>());
        }
        let consent = json!({
            "resourceType": "Consent",
            "id": c.person_id.0.to_string(),
            "meta": {"profile": [PROFILE_CONSENT], "versionId": c.version.to_string()},
            "status": status,
            "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
            "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}]}],
            "patient": {"reference": patient_ref},
            "dateTime": concordat_domain::model::from_millis(c.recorded_at).to_rfc3339(),
            "policyRule": rule,
            "provision": provision,
        });
        entries.push(json!({"fullUrl": urn("Consent", c.person_id.0), "resource": consent}));
    }
    json!({
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": chrono::Utc::now().to_rfc3339(),
        "entry": entries,
    })
}
