//! People search on every backend: family names match whatever their case or Unicode composition,
//! the search keeps to the owners it is given before the limit, and migration 0006 fills the key of
//! rows written before it.

use chrono::NaiveDate;
use concordat_domain::OrgKind;
use concordat_domain::model::*;
use concordat_store::testing::all_backends;
use concordat_store::{PersonQuery, Store};

fn person(org: OrgId, family: &str, postcode: &str) -> NewPerson {
    NewPerson {
        owner_org_id: org,
        given_name: "Kari".into(),
        family_name: family.into(),
        date_of_birth: NaiveDate::from_ymd_opt(1979, 5, 17),
        nhs_number: None,
        sex: None,
        postcode: Some(concordat_domain::Postcode::parse(postcode).unwrap()),
        address_line: None,
        phone: None,
        email: None,
        synthetic: true,
    }
}

fn by_name(family: &str) -> PersonQuery {
    PersonQuery::NameDob {
        family_name: family.into(),
        date_of_birth: NaiveDate::from_ymd_opt(1979, 5, 17).unwrap(),
    }
}

async fn ids(
    store: &Store,
    q: &PersonQuery,
    owners: Option<&[OrgId]>,
    limit: i64,
) -> Vec<PersonId> {
    let mut tx = store.begin().await.unwrap();
    tx.people_search_in(q, owners, limit, 0)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect()
}

#[tokio::test]
async fn names_match_across_case_and_composition_and_owners_filter_before_the_limit() {
    for store in all_backends().await.unwrap() {
        let mut tx = store.begin().await.unwrap();
        let trust = tx
            .org_insert("Trust", OrgKind::MentalHealthTrust, None, None)
            .await
            .unwrap();
        let other = tx
            .org_insert("Elsewhere", OrgKind::MentalHealthTrust, None, None)
            .await
            .unwrap();
        let kari = tx
            .person_insert(&person(trust, "Ødegård", "ZZ9 9ZZ"))
            .await
            .unwrap();
        // 30 people of another organisation at the same postcode, sorting before her.
        for i in 0..30 {
            tx.person_insert(&person(other, &format!("Aaron{i:02}"), "ZZ9 9ZZ"))
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();

        // Typed composed, in another case, or with "å" decomposed (a + combining ring): one person.
        for typed in [
            "Ødegård",
            "ødegård",
            "ØDEGÅRD",
            "ødega\u{30a}rd",
            "ØDEGA\u{30a}RD",
        ] {
            assert_eq!(
                ids(&store, &by_name(typed), None, 10).await,
                vec![kari],
                "{typed:?}"
            );
        }
        assert!(ids(&store, &by_name("Odegard"), None, 10).await.is_empty());

        // The owners filter applies before the limit: the trust's own patient is found even though
        // 30 other people at the postcode come first.
        let pc = PersonQuery::Postcode(concordat_domain::Postcode::parse("ZZ9 9ZZ").unwrap());
        assert!(!ids(&store, &pc, None, 25).await.contains(&kari));
        assert_eq!(ids(&store, &pc, Some(&[trust]), 25).await, vec![kari]);
        assert_eq!(ids(&store, &pc, Some(&[trust, other]), 26).await.len(), 26);
        assert!(ids(&store, &pc, Some(&[]), 25).await.is_empty());
        // Paging on: the second page starts where the first ended.
        let mut tx = store.begin().await.unwrap();
        let all = tx.people_search_in(&pc, None, 31, 0).await.unwrap();
        let page2 = tx.people_search_in(&pc, None, 10, 25).await.unwrap();
        drop(tx);
        assert_eq!(
            page2.iter().map(|p| p.id).collect::<Vec<_>>(),
            all[25..].iter().map(|p| p.id).collect::<Vec<_>>()
        );
        assert_eq!(
            ids(&store, &by_name("ødegård"), Some(&[other]), 10).await,
            vec![]
        );
    }
}

#[tokio::test]
async fn migration_0006_fills_the_key_of_existing_rows() {
    for store in all_backends().await.unwrap() {
        let mut tx = store.begin().await.unwrap();
        let trust = tx
            .org_insert("Trust", OrgKind::MentalHealthTrust, None, None)
            .await
            .unwrap();
        let kari = tx
            .person_insert(&person(trust, "Ødegård", "ZZ9 9ZZ"))
            .await
            .unwrap();
        // Back to the shape before 0006: no key column, and 0006 not yet applied.
        tx.testing_execute("DROP INDEX people_name_key_dob")
            .await
            .unwrap();
        tx.testing_execute("ALTER TABLE people DROP COLUMN family_name_key")
            .await
            .unwrap();
        tx.testing_execute("DELETE FROM schema_migrations WHERE version = 6")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let applied = store.migrate().await.unwrap();
        assert_eq!(applied, vec!["0006_person_search_key".to_string()]);
        assert_eq!(ids(&store, &by_name("ØDEGÅRD"), None, 10).await, vec![kari]);
    }
}
