//! What the policy needs about many people at once, a person's audit events page by page, and the owner
//! on repeated-contact rows, on every backend.

use chrono::NaiveDate;
use concordat_domain::OrgKind;
use concordat_domain::audit::{AuditDraft, AuditOutcome};
use concordat_domain::consent::{ConsentStatus, PlanConsent, SectionKind};
use concordat_domain::model::*;
use concordat_store::{NewContact, Store};

fn person(org: OrgId, family: &str) -> NewPerson {
    NewPerson {
        owner_org_id: org,
        given_name: "Sam".into(),
        family_name: family.into(),
        date_of_birth: NaiveDate::from_ymd_opt(1990, 1, 2),
        nhs_number: None,
        sex: None,
        postcode: None,
        address_line: None,
        phone: None,
        email: None,
        synthetic: true,
    }
}

fn look(person: i64, n: i64) -> AuditDraft {
    AuditDraft {
        at: 1_700_000_000_000 + n,
        user_id: None,
        username: "system:test".into(),
        role: None,
        org_id: None,
        action: "person.view.identity".into(),
        outcome: AuditOutcome::Allowed,
        person_id: Some(person),
        resource_kind: "person".into(),
        resource_id: Some(n.to_string()),
        reason: None,
        legal_basis: None,
        break_glass: false,
        request_id: None,
    }
}

async fn run(store: Store) {
    let mut tx = store.begin().await.unwrap();
    let trust = tx
        .org_insert("Trust", OrgKind::MentalHealthTrust, None, None)
        .await
        .unwrap();
    let fire = tx
        .org_insert("Fire", OrgKind::FireAndRescue, None, None)
        .await
        .unwrap();
    let a = tx.person_insert(&person(trust, "Alpha")).await.unwrap();
    let b = tx.person_insert(&person(fire, "Beta")).await.unwrap();
    let c = tx.person_insert(&person(trust, "Gamma")).await.unwrap();
    let nurse = tx
        .user_insert("access.nurse", "Nurse", "$argon2id$fake", false)
        .await
        .unwrap();

    // Care team and consent for many people in one query each; nobody listed gives nothing.
    tx.care_team_add(a, nurse).await.unwrap();
    tx.care_team_add(c, nurse).await.unwrap();
    let mut team = tx.care_team_among(nurse, &[a, b, c]).await.unwrap();
    team.sort_by_key(|p| p.0);
    assert_eq!(team, [a, c]);
    assert!(tx.care_team_among(nurse, &[]).await.unwrap().is_empty());
    let consent = PlanConsent {
        person_id: b,
        status: ConsentStatus::Given,
        other_basis: None,
        basis_note: None,
        org_kinds: vec![OrgKind::PoliceForce],
        sections: vec![SectionKind::WhatHelps],
        parts: vec![],
        valid_until: None,
        recorded_by: "demo.crisis".into(),
        recorded_at: 1_700_000_000_000,
        version: 0,
    };
    tx.consent_put(&consent, None).await.unwrap();
    let got = tx.consents_for(&[a, b, c]).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].person_id, b);
    assert_eq!(got[0].org_kinds, [OrgKind::PoliceForce]);
    assert!(tx.consents_for(&[]).await.unwrap().is_empty());

    // Repeated-contact rows carry the owner of the person's record.
    let end = 1_800_000_000_000i64;
    for (p, org) in [(a, trust), (a, trust), (b, fire), (b, fire)] {
        tx.contact_insert(&NewContact {
            owner_org_id: org.0,
            person_id: Some(p.0),
            called_at: end - 86_400_000,
            arrived_at: None,
            source: "999".into(),
            setting: "street".into(),
            postcode: None,
            neighbourhood: None,
            grid_x: None,
            grid_y: None,
            outcome: "no_further_action".into(),
            street_triage: false,
            police_minutes: None,
            synthetic: true,
        })
        .await
        .unwrap();
    }
    let rows = tx
        .repeat_contacts(end - 30 * 86_400_000, end - 365 * 86_400_000, end, 1, 1, 10)
        .await
        .unwrap();
    let owners: Vec<(i64, i64)> = rows.iter().map(|r| (r.person_id, r.owner_org_id)).collect();
    assert!(owners.contains(&(a.0, trust.0)) && owners.contains(&(b.0, fire.0)));

    // A person's events, newest first, page by page, with the count; other people's are not mixed in.
    for n in 0..1_205 {
        tx.audit_append(&look(a.0, n)).await.unwrap();
    }
    tx.audit_append(&look(c.0, 0)).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin_read().await.unwrap();
    assert_eq!(tx.audit_person_count(a.0).await.unwrap(), 1_205);
    let mut seen = Vec::new();
    for page in 0..7 {
        let events = tx.audit_person_page(a.0, page * 200, 200).await.unwrap();
        assert_eq!(events.len(), if page < 6 { 200 } else { 5 }, "page {page}");
        seen.extend(events);
    }
    assert_eq!(seen.len(), 1_205);
    assert!(seen.windows(2).all(|w| w[0].seq > w[1].seq), "newest first");
    assert!(seen.iter().all(|e| e.draft.person_id == Some(a.0)));
    assert_eq!(seen.last().unwrap().draft.resource_id.as_deref(), Some("0"));
    assert!(
        tx.audit_person_page(a.0, 1_205, 200)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn access_inputs_and_audit_pages_on_every_backend() {
    for store in concordat_store::testing::all_backends().await.unwrap() {
        run(store).await;
    }
}
