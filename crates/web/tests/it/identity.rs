//! Editing a person's identity: saved with the earlier version kept, found by the new name, refused
//! for another organisation, a stale save answered 409 with both versions, bad fields named, CSRF.

use crate::harness::*;
use axum::http::StatusCode;

fn form<'a>(csrf: &'a str, version: &'a str, family: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("version", version),
        ("given_name", "Robin"),
        ("family_name", family),
        ("date_of_birth", "06/05/1990"),
        ("nhs_number", "943 476 5919"),
        ("postcode", "LS1 4AP"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_is_saved_with_the_earlier_version_kept_and_audited() {
    for t in spawn_apps().await {
        let id = person_of(&t, "demo.crisis", "Robin", "Ashworth").await;
        let edit = format!("/people/{id}/edit");
        let (s, csrf) = sign_in(&t.router, "demo.crisis").await;
        let res = send(&t.router, get(&edit, &[&s])).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(res.body.contains("name=\"version\" value=\"1\""));
        assert!(res.body.contains("value=\"Ashworth\""));
        let res = send(
            &t.router,
            post_form(&edit, &[&s], &form(&csrf, "1", "Ødegård")),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        assert_eq!(
            res.location(),
            Some(&*format!("/people/{id}?saved=identity"))
        );
        // The page shows the new identity; the editor lists the one it replaced.
        let page = send(
            &t.router,
            get(&format!("/people/{id}?saved=identity"), &[&s]),
        )
        .await;
        assert!(page.body.contains("Robin Ødegård"), "{}", page.body);
        assert!(page.body.contains("943 476 5919"));
        assert!(
            page.body.contains(&format!("href=\"/people/{id}/edit\"")),
            "the person page links to the editor"
        );
        assert!(page.body.contains("Name and details saved"));
        let res = send(&t.router, get(&edit, &[&s])).await;
        assert!(res.body.contains("name=\"version\" value=\"2\""));
        assert!(res.body.contains("Earlier versions"));
        assert!(res.body.contains("Robin Ashworth"), "version 1 kept");
        let mut tx = t.store.begin().await.unwrap();
        let versions = tx
            .person_versions(concordat_domain::model::PersonId(id))
            .await
            .unwrap();
        assert_eq!(versions.len(), 1);
        assert_eq!(versions[0].version, 1);
        assert_eq!(versions[0].family_name, "Ashworth");
        assert_eq!(versions[0].nhs_number, None);
        assert_eq!(versions[0].saved_by, "demo.crisis");
        let p = tx
            .person_get(concordat_domain::model::PersonId(id))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((p.version, p.family_name.as_str()), (2, "Ødegård"));
        drop(tx);
        // Audited with the person's id, naming the fields changed but not their values.
        let events = events_of(&t, id).await;
        let e = events
            .iter()
            .find(|e| e.draft.action == "person.edit")
            .expect("an edit event");
        let what = e.draft.resource_id.clone().unwrap_or_default();
        assert!(what.contains("v2") && what.contains("family_name") && what.contains("nhs_number"));
        assert!(!what.contains("Ødegård"));
        assert!(
            events
                .iter()
                .any(|e| e.draft.action == "person.view.identity_editor")
        );
        // Saving the same values again writes no new version.
        let res = send(
            &t.router,
            post_form(&edit, &[&s], &form(&csrf, "2", "Ødegård")),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let mut tx = t.store.begin().await.unwrap();
        let p = tx
            .person_get(concordat_domain::model::PersonId(id))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(p.version, 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_the_new_family_name_and_not_the_old() {
    for t in spawn_apps().await {
        let id = person_of(&t, "demo.crisis", "Robin", "Quillfeather").await;
        let (s, csrf) = sign_in(&t.router, "demo.crisis").await;
        let res = send(
            &t.router,
            post_form(
                &format!("/people/{id}/edit"),
                &[&s],
                &form(&csrf, "1", "Ödmark-Quill"),
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        // Searched in lower case: the key was recomputed as on create.
        let found = send(
            &t.router,
            get(
                "/people?family_name=%C3%B6dmark-quill&date_of_birth=06%2F05%2F1990",
                &[&s],
            ),
        )
        .await;
        assert!(
            found.body.contains(&format!("/people/{id}")),
            "{}",
            found.body
        );
        let old = send(
            &t.router,
            get(
                "/people?family_name=Quillfeather&date_of_birth=06%2F05%2F1990",
                &[&s],
            ),
        )
        .await;
        assert!(!old.body.contains(&format!("/people/{id}\"")));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_organisations_staff_are_refused_and_nothing_changes() {
    for t in spawn_apps().await {
        let id = person_of(&t, "demo.crisis", "Robin", "Thistlewood").await;
        let edit = format!("/people/{id}/edit");
        // A police responder may edit their own force's people, not the trust's.
        let (s, csrf) = sign_in(&t.router, "demo.responder").await;
        let res = send(&t.router, get(&edit, &[&s])).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        assert!(!res.body.contains("Thistlewood"));
        let res = send(
            &t.router,
            post_form(&edit, &[&s], &form(&csrf, "1", "Changed")),
        )
        .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        let mut tx = t.store.begin().await.unwrap();
        let p = tx
            .person_get(concordat_domain::model::PersonId(id))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((p.version, p.family_name.as_str()), (1, "Thistlewood"));
        drop(tx);
        let denials = events_of(&t, id)
            .await
            .into_iter()
            .filter(|e| e.draft.action == "person.edit" && e.draft.username == "demo.responder")
            .count();
        assert_eq!(denials, 2, "both refusals audited against the person");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_save_gets_409_with_both_versions_and_loses_nothing() {
    for t in spawn_apps().await {
        let id = person_of(&t, "demo.crisis", "Robin", "Marchbank").await;
        let edit = format!("/people/{id}/edit");
        let (a, acsrf) = sign_in(&t.router, "demo.crisis").await;
        let (b, bcsrf) = sign_in(&t.router, "demo.crisis2").await;
        let res = send(
            &t.router,
            post_form(&edit, &[&a], &form(&acsrf, "1", "Firstwriter")),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let res = send(
            &t.router,
            post_form(&edit, &[&b], &form(&bcsrf, "1", "Secondwriter")),
        )
        .await;
        assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
        assert!(res.body.contains("Someone else changed this person"));
        assert!(res.body.contains("Firstwriter"), "their version shown");
        assert!(res.body.contains("value=\"Secondwriter\""), "my text kept");
        assert!(res.body.contains("name=\"version\" value=\"2\""));
        let mut tx = t.store.begin().await.unwrap();
        let p = tx
            .person_get(concordat_domain::model::PersonId(id))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((p.version, p.family_name.as_str()), (2, "Firstwriter"));
        drop(tx);
        assert!(
            events_of(&t, id)
                .await
                .iter()
                .any(|e| e.draft.action == "person.view.identity_conflict")
        );
        // Saving again on top of version 2 works, and both earlier versions are kept.
        let res = send(
            &t.router,
            post_form(&edit, &[&b], &form(&bcsrf, "2", "Secondwriter")),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let mut tx = t.store.begin().await.unwrap();
        let v = tx
            .person_versions(concordat_domain::model::PersonId(id))
            .await
            .unwrap();
        let names: Vec<_> = v
            .iter()
            .map(|v| (v.version, v.family_name.as_str()))
            .collect();
        assert_eq!(names, vec![(2, "Firstwriter"), (1, "Marchbank")]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_fields_are_named_and_csrf_is_checked() {
    for t in spawn_apps().await {
        let id = person_of(&t, "demo.crisis", "Robin", "Pennycook").await;
        let edit = format!("/people/{id}/edit");
        let (s, csrf) = sign_in(&t.router, "demo.crisis").await;
        let res = send(
            &t.router,
            post_form(
                &edit,
                &[&s],
                &[
                    ("csrf", &csrf),
                    ("version", "1"),
                    ("given_name", "Robin"),
                    ("family_name", "Pennycook"),
                    ("date_of_birth", "06/05/90"),
                    ("nhs_number", "943 476 5918"),
                    ("postcode", "LS1 4AP"),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
        assert!(
            res.body.contains("id=\"date_of_birth-error\""),
            "{}",
            res.body
        );
        assert!(res.body.contains("id=\"nhs_number-error\""));
        assert!(
            res.body.contains("value=\"06/05/90\""),
            "what was typed is kept"
        );
        assert!(!res.body.contains("id=\"family_name-error\""));
        // No CSRF token, or another session's: refused before anything else, nothing saved.
        let (_, other) = sign_in(&t.router, "demo.crisis2").await;
        for token in ["", other.as_str()] {
            let res = send(
                &t.router,
                post_form(&edit, &[&s], &form(token, "1", "Nocsrf")),
            )
            .await;
            assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
            assert!(
                res.body
                    .contains("the form expired or came from another site")
            );
        }
        let mut tx = t.store.begin().await.unwrap();
        let p = tx
            .person_get(concordat_domain::model::PersonId(id))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((p.version, p.family_name.as_str()), (1, "Pennycook"));
    }
}
