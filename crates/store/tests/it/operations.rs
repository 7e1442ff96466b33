//! Crisis operations on both backends: contacts with drafts and versions, places with occupancy, episodes.

use chrono::{TimeZone, Utc};
use concordat_domain::OrgKind;
use concordat_domain::mha::{DetentionPlace, Episode, PersonAge, PlaceOfSafetyKind, Power, Stay};
use concordat_store::{
    CONTACT_DRAFT, CONTACT_FINAL, ContactData, ContactFilter, NewEpisode, NewPlace, StoreError,
};

#[tokio::test]
async fn operations_story_on_every_backend() {
    for store in concordat_store::testing::all_backends().await.unwrap() {
        let mut tx = store.begin().await.unwrap();
        let trust = tx
            .org_insert("Trust", OrgKind::MentalHealthTrust, None, None)
            .await
            .unwrap()
            .0;

        // A draft contact, finished later: both versions are kept.
        let mut d = ContactData {
            status: CONTACT_DRAFT.into(),
            called_at: 1_700_000_000_000,
            source: "999".into(),
            setting: "street_or_public_place".into(),
            postcode: Some("ZZ1 4AB".into()),
            agencies: vec!["police".into(), "trust".into()],
            presenting_needs: vec!["self_harm".into()],
            ..Default::default()
        };
        let id = tx.contact_create(trust, &d, "nurse.amy").await.unwrap();
        let got = tx.contact_get(id).await.unwrap().unwrap();
        assert_eq!((got.version, got.data.clone()), (1, d.clone()));
        d.status = CONTACT_FINAL.into();
        d.outcomes = vec!["referred_crisis_team".into(), "signposted".into()];
        d.physical_health_check = true;
        assert_eq!(tx.contact_update(id, 1, &d, "pc.jones").await.unwrap(), 2);
        tx.commit().await.unwrap();

        // A stale version is refused (in its own transaction: PostgreSQL aborts after an error).
        let mut tx = store.begin().await.unwrap();
        assert!(matches!(
            tx.contact_update(id, 1, &d, "para.lee").await,
            Err(StoreError::StaleVersion { expected: 1 })
        ));
        drop(tx);

        let mut tx = store.begin().await.unwrap();
        let got = tx.contact_get(id).await.unwrap().unwrap();
        assert_eq!(got.data, d);
        assert_eq!(got.updated_by.as_deref(), Some("pc.jones"));
        let versions = tx.contact_versions(id).await.unwrap();
        assert_eq!(versions.len(), 2);
        assert_eq!(versions[0].version, 2);
        assert_eq!(versions[1].data.status, CONTACT_DRAFT);
        assert_eq!(tx.contacts_recent(&[trust], 10).await.unwrap().len(), 1);
        assert!(tx.contacts_recent(&[], 10).await.unwrap().is_empty());

        // A place, and occupancy derived from open episodes there.
        let place = NewPlace {
            owner_org_id: trust,
            name: "Suite".into(),
            kind: "health_based".into(),
            capacity: 2,
            open_24_7: true,
            opening_hours: String::new(),
            accepts_under_18: true,
            address_line: "1 Road".into(),
            postcode: Some("ZZ1 1AA".into()),
            phone: "01632 960123".into(),
            notes: String::new(),
            synthetic: true,
        };
        let pid = tx.place_insert(&place).await.unwrap();
        let detained = Utc.with_ymd_and_hms(2025, 3, 30, 0, 10, 0).unwrap();
        let mut ep = Episode::new(
            Power::S136,
            detained,
            DetentionPlace::StreetOrPublicPlace,
            PersonAge::Years(30),
        );
        ep.stays.push(Stay::new(
            PlaceOfSafetyKind::HealthBased,
            Utc.with_ymd_and_hms(2025, 3, 30, 0, 30, 0).unwrap(),
        ));
        let new = NewEpisode {
            owner_org_id: trust,
            person_id: None,
            contact_id: Some(id),
            officer: "PC 123".into(),
            current_place_id: Some(pid),
            sex: "female".into(),
            ethnicity: "white".into(),
            synthetic: true,
            episode: ep.clone(),
        };
        let eid = tx.episode_insert(&new).await.unwrap();
        let places = tx.places_with_occupancy().await.unwrap();
        assert_eq!((places.len(), places[0].occupied), (1, 1));
        assert_eq!(places[0].place, place);
        assert_eq!(places[0].org_name, "Trust");
        assert_eq!(places[0].updated, None);
        let row = tx.episode_get(eid).await.unwrap().unwrap();
        assert_eq!((row.version, &row.new), (1, &new));
        assert_eq!(row.place_name.as_deref(), Some("Suite"));
        assert_eq!(tx.episodes_open().await.unwrap().len(), 1);

        // Ending the episode frees the place; the record round-trips.
        ep.ended_at = Some(Utc.with_ymd_and_hms(2025, 3, 30, 9, 0, 0).unwrap());
        assert_eq!(tx.episode_update(eid, 1, &ep, Some(pid)).await.unwrap(), 2);
        assert!(tx.episodes_open().await.unwrap().is_empty());
        assert_eq!(tx.place_get(pid).await.unwrap().unwrap().occupied, 0);
        assert_eq!(tx.episode_get(eid).await.unwrap().unwrap().new.episode, ep);
        let t = detained.timestamp_millis();
        assert_eq!(
            tx.episodes_detained_between(t, t + 1).await.unwrap().len(),
            1
        );
        assert!(
            tx.episodes_detained_between(t + 1, t + 2)
                .await
                .unwrap()
                .is_empty()
        );
        tx.commit().await.unwrap();

        let mut tx = store.begin().await.unwrap();
        assert!(matches!(
            tx.episode_update(eid, 1, &ep, None).await,
            Err(StoreError::StaleVersion { expected: 1 })
        ));
        drop(tx);
        let mut tx = store.begin().await.unwrap();
        assert!(matches!(
            tx.place_insert(&place).await,
            Err(StoreError::Conflict("place name"))
        ));
    }
}

/// The contacts list's query: own contacts, joined ones, partners' drafts, and the filters; joining once.
#[tokio::test]
async fn contact_partners_and_the_list_on_every_backend() {
    for store in concordat_store::testing::all_backends().await.unwrap() {
        let mut tx = store.begin().await.unwrap();
        let police = tx
            .org_insert("Police", OrgKind::PoliceForce, None, None)
            .await
            .unwrap()
            .0;
        let ambulance = tx
            .org_insert("Ambulance", OrgKind::AmbulanceService, None, None)
            .await
            .unwrap()
            .0;
        let draft = ContactData {
            status: CONTACT_DRAFT.into(),
            called_at: 1_700_000_000_000,
            source: "999".into(),
            setting: "street_or_public_place".into(),
            ..Default::default()
        };
        let finished = ContactData {
            status: CONTACT_FINAL.into(),
            called_at: 1_600_000_000_000,
            ..draft.clone()
        };
        let d = tx.contact_create(police, &draft, "pc.jones").await.unwrap();
        let f = tx
            .contact_create(police, &finished, "pc.other")
            .await
            .unwrap();
        let ids = |rows: Vec<concordat_store::ContactListRow>| -> Vec<i64> {
            rows.iter().map(|r| r.record.id).collect()
        };
        let all = ContactFilter::default();
        // The police see both, drafts first; the ambulance service nothing until it may join the police's.
        assert_eq!(
            ids(tx.contacts_listed(police, &[], &all, 50).await.unwrap()),
            vec![d, f]
        );
        assert!(
            tx.contacts_listed(ambulance, &[], &all, 50)
                .await
                .unwrap()
                .is_empty()
        );
        // Joinable: only the draft.
        assert_eq!(
            ids(tx
                .contacts_listed(ambulance, &[police], &all, 50)
                .await
                .unwrap()),
            vec![d]
        );
        // Joining the finished one puts it in the ambulance service's own list; joining twice is once.
        assert!(tx.contact_partner_add(f, ambulance, None).await.unwrap());
        assert!(!tx.contact_partner_add(f, ambulance, None).await.unwrap());
        let rows = tx.contacts_listed(ambulance, &[], &all, 50).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].record.id, f);
        assert_eq!(rows[0].owner_org_name, "Police");
        assert_eq!(rows[0].partners, vec![(ambulance, "Ambulance".to_string())]);
        // Filters: drafts, saved by, called from, person.
        let drafts = ContactFilter {
            drafts_only: true,
            ..Default::default()
        };
        assert_eq!(
            ids(tx.contacts_listed(police, &[], &drafts, 50).await.unwrap()),
            vec![d]
        );
        let mine = ContactFilter {
            saved_by: Some("PC.Other".into()),
            ..Default::default()
        };
        assert_eq!(
            ids(tx.contacts_listed(police, &[], &mine, 50).await.unwrap()),
            vec![f]
        );
        let recent = ContactFilter {
            called_from: Some(1_650_000_000_000),
            ..Default::default()
        };
        assert_eq!(
            ids(tx.contacts_listed(police, &[], &recent, 50).await.unwrap()),
            vec![d]
        );
        let nobody = ContactFilter {
            person_id: Some(999),
            ..Default::default()
        };
        assert!(
            tx.contacts_listed(police, &[], &nobody, 50)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            tx.contacts_listed(police, &[], &all, 1)
                .await
                .unwrap()
                .len(),
            1
        );
        tx.commit().await.unwrap();
    }
}
