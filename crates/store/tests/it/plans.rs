//! Crisis plans, versions, consent and the repeated-contact query, on every backend.

use chrono::NaiveDate;
use concordat_domain::OrgKind;
use concordat_domain::consent::{
    ConsentStatus, CrisisPlan, PlanConsent, PlanPart, PlanSection, SectionKind, SharingLevel,
};
use concordat_domain::model::*;
use concordat_store::{NewContact, Store, StoreError};

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

fn plan(p: PersonId, org: OrgId, helps: &str) -> CrisisPlan {
    CrisisPlan {
        id: 0,
        person_id: p,
        owner_org_id: org,
        version: 0,
        coproduced: true,
        participants: "Sam, care coordinator".into(),
        own_words: Some("Talk to me calmly".into()),
        last_reviewed_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        review_due: NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(),
        updated_by: "demo.crisis".into(),
        updated_at: 0,
        sections: vec![
            PlanSection {
                kind: SectionKind::WhatHelps,
                text: helps.into(),
                sharing: SharingLevel::AllResponders,
            },
            PlanSection {
                kind: SectionKind::MedicationAndPhysicalHealth,
                text: "Asthma inhaler".into(),
                sharing: SharingLevel::CliniciansOnly,
            },
        ],
    }
}

async fn run(store: Store) {
    let mut tx = store.begin().await.unwrap();
    let trust = tx
        .org_insert("Trust", OrgKind::MentalHealthTrust, None, None)
        .await
        .unwrap();
    let a = tx.person_insert(&person(trust, "Alpha")).await.unwrap();
    let b = tx.person_insert(&person(trust, "Beta")).await.unwrap();
    assert!(tx.plan_for_person(a).await.unwrap().is_none());
    let v1 = tx.plan_insert(&plan(a, trust, "A walk")).await.unwrap();
    assert_eq!(v1.version, 1);
    tx.commit().await.unwrap();

    // A second plan for the same person is refused (in its own transaction: PostgreSQL aborts it).
    let mut tx = store.begin().await.unwrap();
    assert!(matches!(
        tx.plan_insert(&plan(a, trust, "x")).await,
        Err(StoreError::Conflict(_))
    ));
    drop(tx);

    // Save v2 from v1; a second writer who also started from v1 gets StaleVersion and nothing changes.
    let mut tx = store.begin().await.unwrap();
    let mut edit = tx.plan_for_person(a).await.unwrap().unwrap();
    assert_eq!(edit.sections.len(), 2);
    assert_eq!(edit.sections[0].kind, SectionKind::WhatHelps);
    edit.sections[0].text = "Music".into();
    let v2 = tx.plan_update(&edit, 1).await.unwrap();
    assert_eq!(v2.version, 2);
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let mut other = edit.clone();
    other.sections[0].text = "Lost update?".into();
    assert!(matches!(
        tx.plan_update(&other, 1).await,
        Err(StoreError::StaleVersion { expected: 1 })
    ));
    drop(tx);
    let mut tx = store.begin().await.unwrap();
    let now = tx.plan_for_person(a).await.unwrap().unwrap();
    assert_eq!(now.version, 2);
    assert_eq!(now.sections[0].text, "Music");
    let versions = tx.plan_versions(now.id).await.unwrap();
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        vec![2, 1]
    );
    let old = tx.plan_version(now.id, 1).await.unwrap().unwrap();
    assert_eq!(old.sections[0].text, "A walk");
    assert_eq!(old.own_words.as_deref(), Some("Talk to me calmly"));
    assert!(tx.plan_version(now.id, 9).await.unwrap().is_none());
    // Overdue reviews.
    let overdue = tx
        .plans_review_overdue(trust, NaiveDate::from_ymd_opt(2026, 8, 1).unwrap(), 10)
        .await
        .unwrap();
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0].person_id, a.0);
    assert!(
        tx.plans_review_overdue(trust, NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(), 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Consent: first decision, then withdrawal; a stale editor is refused.
    assert!(tx.consent_get(a).await.unwrap().is_none());
    let mut c = PlanConsent {
        person_id: a,
        status: ConsentStatus::Given,
        other_basis: None,
        basis_note: None,
        org_kinds: vec![OrgKind::PoliceForce, OrgKind::AmbulanceService],
        sections: vec![SectionKind::WhatHelps, SectionKind::WhoToContact],
        parts: vec![PlanPart::OwnWords],
        valid_until: NaiveDate::from_ymd_opt(2027, 1, 1),
        recorded_by: "demo.crisis".into(),
        recorded_at: 1_700_000_000_000,
        version: 0,
    };
    assert_eq!(tx.consent_put(&c, None).await.unwrap(), 1);
    let got = tx.consent_get(a).await.unwrap().unwrap();
    assert_eq!(got.org_kinds, c.org_kinds);
    assert_eq!(got.sections, c.sections);
    assert_eq!(
        got.parts,
        vec![PlanPart::OwnWords],
        "own words kept beside the sections"
    );
    assert_eq!(got.valid_until, c.valid_until);
    c.status = ConsentStatus::Withdrawn;
    c.org_kinds.clear();
    assert_eq!(tx.consent_put(&c, Some(1)).await.unwrap(), 2);
    assert_eq!(
        tx.consent_get(a).await.unwrap().unwrap().status,
        ConsentStatus::Withdrawn
    );
    assert!(matches!(
        tx.consent_put(&c, Some(1)).await,
        Err(StoreError::StaleVersion { .. })
    ));

    // Repeated contact: 7 for Alpha in the last 30 days; 3 for Beta.
    let day = 86_400_000i64;
    let end = 1_800_000_000_000i64;
    for (p, n) in [(a, 7), (b, 3)] {
        for i in 0..n {
            tx.contact_insert(&NewContact {
                owner_org_id: trust.0,
                person_id: Some(p.0),
                called_at: end - (i + 1) * day,
                arrived_at: None,
                source: "999".into(),
                setting: "street".into(),
                postcode: None,
                neighbourhood: None,
                grid_x: None,
                grid_y: None,
                outcome: "no_further_action".into(),
                street_triage: true,
                police_minutes: None,
                synthetic: true,
            })
            .await
            .unwrap();
        }
    }
    assert_eq!(tx.repeat_contacts_latest().await.unwrap(), Some(end - day));
    let rows = tx
        .repeat_contacts(end - 30 * day, end - 365 * day, end, 5, 20, 10)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].person_id, a.0);
    assert_eq!((rows[0].last_30_days, rows[0].last_365_days), (7, 7));
    assert_eq!(rows[0].plan_id, Some(now.id));
    assert_eq!(rows[0].review_due.as_deref(), Some("2026-07-01"));
    let rows = tx
        .repeat_contacts(end - 30 * day, end - 365 * day, end, 2, 20, 10)
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].plan_id, None);

    // The responder's one-statement read agrees with the separate reads.
    let nurse = tx
        .user_insert("bundle.nurse", "Nurse", "$argon2id$fake", false)
        .await
        .unwrap();
    tx.care_team_add(a, nurse).await.unwrap();
    let bundle = tx
        .person_lookup_bundle(a, Some(nurse), None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bundle.agreements, None);
    assert_eq!(bundle.person, tx.person_get(a).await.unwrap().unwrap());
    assert_eq!(bundle.owner_name, "Trust");
    assert!(bundle.in_care_team);
    assert_eq!(bundle.plan, tx.plan_for_person(a).await.unwrap());
    assert_eq!(bundle.plan.as_ref().unwrap().sections.len(), 2);
    assert_eq!(bundle.consent, tx.consent_get(a).await.unwrap());
    assert!(bundle.consent.is_some());
    let other = tx
        .person_lookup_bundle(a, None, None)
        .await
        .unwrap()
        .unwrap();
    assert!(!other.in_care_team);
    // With the asking organisation, the sharing agreements to it come in the same statement, as
    // `agreements` reads them: none, then two (in id order).
    let police = tx
        .org_insert("Police", OrgKind::PoliceForce, None, None)
        .await
        .unwrap();
    let none = tx
        .person_lookup_bundle(a, None, Some(police))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(none.agreements, Some(Vec::new()));
    let review = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
    for cats in [
        vec![concordat_domain::DataCategory::Identity],
        vec![
            concordat_domain::DataCategory::Identity,
            concordat_domain::DataCategory::CrisisPlanSummary,
        ],
    ] {
        tx.agreement_insert(
            trust,
            police,
            &cats,
            concordat_domain::LegalBasis::DirectCare,
            review,
        )
        .await
        .unwrap();
    }
    let two = tx
        .person_lookup_bundle(a, None, Some(police))
        .await
        .unwrap()
        .unwrap();
    let expected = tx.agreements(Some(police)).await.unwrap();
    assert_eq!(expected.len(), 2);
    assert_eq!(two.agreements, Some(expected));
    assert_eq!(two.plan, bundle.plan);
    // Beta: no plan, no consent, not in the team.
    let beta = tx
        .person_lookup_bundle(b, Some(nurse), None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(beta.person.family_name, "Beta");
    assert!(beta.plan.is_none() && beta.consent.is_none() && !beta.in_care_team);
    assert!(
        tx.person_lookup_bundle(PersonId(987_654), None, Some(police))
            .await
            .unwrap()
            .is_none()
    );
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn plans_versions_consent_and_repeat_contacts_on_every_backend() {
    for store in concordat_store::testing::all_backends().await.unwrap() {
        run(store).await;
    }
}
