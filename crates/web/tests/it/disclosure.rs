//! What a look at a person discloses, and how people are found (Concordat issue 11, items 4, 5, 7
//! and 8, and the Unicode search item): the person page, the plan API and the FHIR export disclose
//! the same decided plan, own words and participants included, and audit it with the legal basis
//! the decision used; search keeps to the people the caller may see before its limit, says when it
//! cut the list, matches names across case and Unicode composition, and refuses control characters.

use crate::harness::*;
use axum::http::StatusCode;
use concordat_domain::audit::AuditEvent;
use concordat_domain::model::{NewPerson, OrgId, PersonId};
use concordat_domain::{OrgKind, Postcode};

const OWN_WORDS: &str = "Please talk to me quietly";
const SON: &str = "Marcus Ellis (son)";

async fn trust(t: &TestApp) -> OrgId {
    let mut tx = t.store.begin().await.unwrap();
    tx.org_list()
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.kind == OrgKind::MentalHealthTrust)
        .unwrap()
        .id
}

fn someone(owner: OrgId, family: &str, postcode: &str) -> NewPerson {
    NewPerson {
        owner_org_id: owner,
        given_name: "Robin".into(),
        family_name: family.into(),
        date_of_birth: chrono::NaiveDate::from_ymd_opt(1985, 3, 4),
        nhs_number: None,
        sex: None,
        postcode: Some(Postcode::parse(postcode).unwrap()),
        address_line: None,
        phone: None,
        email: None,
        synthetic: true,
    }
}

async fn last_event(t: &TestApp) -> AuditEvent {
    let mut tx = t.store.begin().await.unwrap();
    let (seq, _) = tx.audit_head().await.unwrap();
    tx.audit_event(seq).await.unwrap().unwrap()
}

async fn api_get(t: &TestApp, token: &str, uri: &str) -> (serde_json::Value, String) {
    let res = send(&t.router, json("GET", uri, Some(token), "")).await;
    assert_eq!(res.status, StatusCode::OK, "{uri}: {}", res.body);
    (serde_json::from_str(&res.body).unwrap(), res.body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_plan_api_and_fhir_disclose_the_same_decided_plan_and_audit_its_basis() {
    for t in spawn_apps().await {
        let owner = trust(&t).await;
        let pid = {
            let mut tx = t.store.begin().await.unwrap();
            let id = tx
                .person_insert(&someone(owner, "Ellis", "ZZ1 1AA"))
                .await
                .unwrap();
            tx.commit().await.unwrap();
            id
        };
        let page = format!("/people/{}", pid.0);
        let plan_api = format!("/api/v1/people/{}/plan", pid.0);
        let fhir_api = format!("/api/v1/people/{}/fhir", pid.0);
        let (crisis, ccsrf) = sign_in(&t.router, "demo.crisis").await;
        let res = send(
            &t.router,
            post_form(
                &format!("{page}/plan"),
                &[&crisis],
                &[
                    ("csrf", &ccsrf),
                    ("version", ""),
                    ("coproduced", "yes"),
                    ("participants", SON),
                    ("own_words", OWN_WORDS),
                    ("text_what_helps", "A quiet room and a cup of tea"),
                    ("sharing_what_helps", "all_responders"),
                    ("text_medication_and_physical_health", "Takes lithium"),
                    ("sharing_medication_and_physical_health", "clinicians_only"),
                    ("last_reviewed_on", "01/01/2026"),
                    ("review_due", "01/01/2030"),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let consent = |version: &'static str, fields: &[(&'static str, &'static str)]| {
            let mut f = vec![("csrf", ccsrf.clone()), ("version", version.to_string())];
            f.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
            f
        };
        let record = |form: Vec<(&'static str, String)>| {
            let crisis = crisis.clone();
            let router = t.router.clone();
            async move {
                let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let res = send(
                    &router,
                    post_form(&format!("/people/{}/consent", pid.0), &[&crisis], &pairs),
                )
                .await;
                assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
            }
        };
        let police = api_token(&t.router, "demo.responder").await;
        let (pc, _) = sign_in(&t.router, "demo.responder").await;
        let para = api_token(&t.router, "demo.paramedic").await;
        let (pm, _) = sign_in(&t.router, "demo.paramedic").await;

        // 1. Consent withdrawn. A paramedic (agreement on direct care) sees identity only, on the
        //    page, in the plan API and in the FHIR export alike; the export is audited as identity
        //    on the agreement's basis.
        record(consent("", &[("status", "withdrawn")])).await;
        let body = send(&t.router, get(&page, &[&pm])).await.body;
        assert!(!body.contains(OWN_WORDS) && !body.contains(SON), "page");
        assert!(!body.contains("A quiet room"));
        let (v, body) = api_get(&t, &para, &plan_api).await;
        assert_eq!(v["plan"]["sections"].as_array().unwrap().len(), 0);
        assert!(v["plan"]["own_words"].is_null(), "{body}");
        assert_eq!(v["plan"]["participants"], "", "{body}");
        assert_eq!(
            v["plan"]["withheld"], 4,
            "2 sections, own words, participants"
        );
        let (_, fhir) = api_get(&t, &para, &fhir_api).await;
        assert!(!fhir.contains(OWN_WORDS), "own words left the app: {fhir}");
        assert!(
            !fhir.contains("Marcus"),
            "a third party left the app: {fhir}"
        );
        assert!(!fhir.contains("A quiet room"));
        let e = last_event(&t).await;
        assert_eq!(e.draft.action, "person.export.fhir");
        assert_eq!(e.draft.legal_basis.as_deref(), Some("direct_care"));
        let rid = e.draft.resource_id.unwrap();
        assert!(rid.ends_with("]: identity"), "{rid}");
        assert!(!rid.contains("parts"), "{rid}");
        // The police's agreement rests on the consent the person withdrew: nothing flows, and no
        // event claims consent as its basis.
        for uri in [&plan_api, &fhir_api] {
            let res = send(&t.router, json("GET", uri, Some(&police), "")).await;
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{uri}: {}", res.body);
            let e = last_event(&t).await;
            assert_eq!(e.draft.outcome.code(), "denied");
            assert_eq!(e.draft.legal_basis, None);
        }
        assert_eq!(
            send(&t.router, get(&page, &[&pc])).await.status,
            StatusCode::FORBIDDEN
        );

        // 2. Consent to the police for what helps and their own words (not who took part): the
        //    page, the API and the export show both, never the son's name, and the audit says so,
        //    with the person's consent as the legal basis.
        record(consent(
            "1",
            &[
                ("status", "given"),
                ("org_kinds", "police_force"),
                ("org_kinds", "ambulance_service"),
                ("sections", "what_helps"),
                ("sections", "own_words"),
            ],
        ))
        .await;
        let body = send(&t.router, get(&page, &[&pc])).await.body;
        assert!(
            body.contains("A quiet room") && body.contains(OWN_WORDS),
            "page"
        );
        assert!(!body.contains("Marcus"), "participants are clinicians only");
        let e = last_event(&t).await;
        assert_eq!(e.draft.action, "person.view.plan");
        assert_eq!(e.draft.legal_basis.as_deref(), Some("consent"));
        let rid = e.draft.resource_id.unwrap();
        assert!(rid.contains("parts own_words]"), "{rid}");
        assert!(rid.contains("identity=consent"), "{rid}");
        assert!(rid.contains("crisis_plan_summary=consent"), "{rid}");
        assert!(rid.ends_with("]: identity, crisis_plan_summary"), "{rid}");
        let (v, _) = api_get(&t, &police, &plan_api).await;
        assert_eq!(v["plan"]["own_words"], OWN_WORDS);
        assert_eq!(v["plan"]["participants"], "");
        let (b, fhir) = api_get(&t, &police, &fhir_api).await;
        assert!(fhir.contains(OWN_WORDS) && fhir.contains("A quiet room"));
        assert!(!fhir.contains("Marcus") && !fhir.contains("lithium"));
        assert!(
            fhir.contains(r#""code":"own_words""#),
            "the Consent says own words were agreed"
        );
        let notes = b["entry"][1]["resource"]["note"].as_array().unwrap().len();
        assert_eq!(notes, 2, "own words and one section: {fhir}");
        let e = last_event(&t).await;
        assert_eq!(e.draft.action, "person.export.fhir");
        assert_eq!(e.draft.legal_basis.as_deref(), Some("consent"));
        assert!(
            e.draft
                .resource_id
                .unwrap()
                .contains("parts own_words]: identity, crisis_plan_summary")
        );
        // A paramedic (a responder) sees their own words too, never who took part.
        let (v, _) = api_get(&t, &para, &plan_api).await;
        assert_eq!(v["plan"]["own_words"], OWN_WORDS);
        assert_eq!(v["plan"]["participants"], "");
        // The holding organisation's clinicians see who took part.
        let triage = api_token(&t.router, "demo.triage").await;
        let (v, _) = api_get(&t, &triage, &plan_api).await;
        assert_eq!(v["plan"]["participants"], SON);
        let (_, fhir) = api_get(&t, &triage, &fhir_api).await;
        assert!(fhir.contains(SON));
        assert!(
            last_event(&t)
                .await
                .draft
                .resource_id
                .unwrap()
                .contains("parts own_words, participants]")
        );

        // 3. Consent for what helps only: their own words follow their choice like any section.
        record(consent(
            "2",
            &[
                ("status", "given"),
                ("org_kinds", "police_force"),
                ("sections", "what_helps"),
            ],
        ))
        .await;
        let body = send(&t.router, get(&page, &[&pc])).await.body;
        assert!(body.contains("A quiet room"));
        assert!(!body.contains(OWN_WORDS), "own words not agreed");
        let (v, _) = api_get(&t, &police, &plan_api).await;
        assert!(v["plan"]["own_words"].is_null());
        let (_, fhir) = api_get(&t, &police, &fhir_api).await;
        assert!(!fhir.contains(OWN_WORDS));

        // 4. Another legal basis recorded: that basis, not the agreement's, is audited.
        record(consent(
            "3",
            &[
                ("status", "other_basis"),
                ("other_basis", "vital_interests"),
                (
                    "basis_note",
                    "Serious risk to life; cannot be asked at present",
                ),
            ],
        ))
        .await;
        let (v, _) = api_get(&t, &police, &plan_api).await;
        assert_eq!(v["plan"]["own_words"], OWN_WORDS);
        let e = last_event(&t).await;
        assert_eq!(e.draft.action, "person.view.plan");
        assert_eq!(e.draft.legal_basis.as_deref(), Some("vital_interests"));
        assert!(
            e.draft
                .resource_id
                .unwrap()
                .contains("crisis_plan_summary=vital_interests")
        );
        let report = t.app.verify_audit().await.unwrap();
        assert!(report.error.is_none() && report.head_matches);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_keeps_to_visible_people_before_its_limit_and_says_when_it_cut_the_list() {
    for t in spawn_apps().await {
        let own = trust(&t).await;
        let (mine, crowd) = {
            let mut tx = t.store.begin().await.unwrap();
            // An organisation with no agreement with anyone: its people are never visible.
            let other = tx
                .org_insert("Far Away NHS Trust", OrgKind::MentalHealthTrust, None, None)
                .await
                .unwrap();
            for i in 0..30 {
                tx.person_insert(&someone(other, &format!("Aardvark{i:02}"), "ZZ9 9ZZ"))
                    .await
                    .unwrap();
            }
            let mine = tx
                .person_insert(&someone(own, "Zebedee", "ZZ9 9ZZ"))
                .await
                .unwrap();
            let mut crowd: Vec<PersonId> = Vec::new();
            for i in 0..30 {
                crowd.push(
                    tx.person_insert(&someone(own, &format!("Crowd{i:02}"), "ZZ9 9ZY"))
                        .await
                        .unwrap(),
                );
            }
            tx.commit().await.unwrap();
            (mine, crowd)
        };
        let token = api_token(&t.router, "demo.triage").await;
        // 30 other-organisation people sort first at the postcode; the trust's own patient is found.
        let res = send(
            &t.router,
            json("GET", "/api/v1/people?postcode=ZZ9%209ZZ", Some(&token), ""),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let v: serde_json::Value = serde_json::from_str(&res.body).unwrap();
        let ids: Vec<i64> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, vec![mine.0]);
        assert_eq!(res.headers["x-results-truncated"], "false");
        let (s, _) = sign_in(&t.router, "demo.triage").await;
        let page = send(&t.router, get("/people?postcode=ZZ9+9ZZ", &[&s])).await;
        assert!(page.body.contains("Zebedee") && !page.body.contains("Aardvark"));
        assert!(!page.body.contains("More people match"));

        // More visible people than the limit: 25 shown, and the caller is told.
        let before = audit_count(&t.store).await;
        let res = send(
            &t.router,
            json("GET", "/api/v1/people?postcode=ZZ9%209ZY", Some(&token), ""),
        )
        .await;
        let v: serde_json::Value = serde_json::from_str(&res.body).unwrap();
        assert_eq!(v.as_array().unwrap().len(), 25);
        assert_eq!(res.headers["x-results-truncated"], "true");
        assert_eq!(
            audit_count(&t.store).await,
            before + 25,
            "one event per person shown"
        );
        assert_eq!(crowd.len(), 30);
        let page = send(&t.router, get("/people?postcode=ZZ9+9ZY", &[&s])).await;
        assert!(
            page.body
                .contains("More people match than are shown here (the first 25)"),
            "{}",
            page.body
        );
        let doc = send(&t.router, get("/api/v1/openapi.json", &[])).await;
        assert!(doc.body.contains("x-results-truncated"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_are_found_across_case_and_composition_and_control_characters_are_refused() {
    for t in spawn_apps().await {
        let token = api_token(&t.router, "demo.triage").await;
        // Stored with "å" decomposed (a + combining ring): normalised to NFC on the way in.
        let res = send(
            &t.router,
            json(
                "POST",
                "/api/v1/people",
                Some(&token),
                r#"{"given_name":"Kari","family_name":"\u00d8dega\u030ard","date_of_birth":"17/05/1979"}"#,
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        let v: serde_json::Value = serde_json::from_str(&res.body).unwrap();
        let id = v["id"].as_i64().unwrap();
        let mut tx = t.store.begin().await.unwrap();
        let stored = tx.person_get(PersonId(id)).await.unwrap().unwrap();
        drop(tx);
        assert_eq!(stored.family_name, "\u{d8}deg\u{e5}rd", "stored in NFC");
        for typed in [
            "%C3%98deg%C3%A5rd",  // Ødegård
            "%C3%B8deg%C3%A5rd",  // ødegård
            "%C3%98DEG%C3%85RD",  // ØDEGÅRD
            "%C3%B8dega%CC%8Ard", // ødegård with a decomposed å
        ] {
            let res = send(
                &t.router,
                json(
                    "GET",
                    &format!("/api/v1/people?family_name={typed}&date_of_birth=1979-05-17"),
                    Some(&token),
                    "",
                ),
            )
            .await;
            assert_eq!(res.status, StatusCode::OK, "{typed}: {}", res.body);
            let v: serde_json::Value = serde_json::from_str(&res.body).unwrap();
            let ids: Vec<i64> = v
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_i64().unwrap())
                .collect();
            assert_eq!(ids, vec![id], "{typed}");
        }
        // A NUL (or any control character) is refused, with a message naming the field.
        let res = send(
            &t.router,
            json(
                "GET",
                "/api/v1/people?family_name=Smith%00&date_of_birth=1979-05-17",
                Some(&token),
                "",
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
        let v: serde_json::Value = serde_json::from_str(&res.body).unwrap();
        assert_eq!(v["fields"][0]["field"], "family_name");
        assert!(
            v["fields"][0]["message"]
                .as_str()
                .unwrap()
                .contains("U+0000")
        );
        let before = audit_count(&t.store).await;
        let res = send(
            &t.router,
            json(
                "POST",
                "/api/v1/people",
                Some(&token),
                r#"{"given_name":"Ka\u0000ri","family_name":"Smith\u001b","address_line":"1 Canal Row"}"#,
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
        let v: serde_json::Value = serde_json::from_str(&res.body).unwrap();
        let fields: Vec<&str> = v["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, vec!["given_name", "family_name"]);
        assert_eq!(audit_count(&t.store).await, before, "nothing written");
        // The search page says the same, on the field.
        let (s, _) = sign_in(&t.router, "demo.triage").await;
        let page = send(
            &t.router,
            get(
                "/people?family_name=Smi%00th&date_of_birth=17%2F05%2F1979",
                &[&s],
            ),
        )
        .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.body.contains("href=\"#family_name\""), "{}", page.body);
    }
}
