//! Robustness: over-long free text is refused with a message naming the field (never truncated,
//! never audited), far-off dates are refused before any clock arithmetic, bodies over the router's
//! limit get 413, and a panic in a handler becomes a logged 500 with a request id.

use crate::harness::*;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get as route_get;
use concordat_domain::OrgKind;
use concordat_domain::model::NewPerson;

async fn unshared_person(t: &TestApp) -> i64 {
    let org = t
        .app
        .add_organisation(&system(), "Limits Housing Co", OrgKind::Housing, None, None)
        .await
        .unwrap();
    let mut tx = t.store.begin().await.unwrap();
    let pid = tx
        .person_insert(&NewPerson {
            owner_org_id: org.id,
            given_name: "Lee".into(),
            family_name: "Limits".into(),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1981, 6, 6),
            nhs_number: None,
            sex: None,
            postcode: None,
            address_line: None,
            phone: None,
            email: None,
            synthetic: true,
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();
    pid.0
}

fn pairs(v: &[(&str, String)]) -> Vec<(String, String)> {
    v.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn form_of(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

#[tokio::test]
async fn over_long_text_and_far_off_dates_are_refused_by_field_and_nothing_is_written() {
    for t in spawn_apps().await {
        let pid = unshared_person(&t).await;
        let (responder, csrf) = sign_in(&t.router, "demo.responder").await;
        // A break-glass reason over 1,000 characters: refused, naming the field, and not audited.
        let before = audit_count(&t.store).await;
        let long = "Found collapsed on the bridge. ".repeat(40);
        let res = send(
            &t.router,
            post_form(
                &format!("/people/{pid}"),
                &[&responder],
                &[("reason", &long), ("csrf", &csrf)],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
        assert!(res.body.contains("at most 1000 characters"), "{}", res.body);
        assert!(!res.body.contains("Limits"), "no personal data shown");
        assert_eq!(audit_count(&t.store).await, before, "nothing audited");
        // 1.9 MB (the issue's reasons) does not even reach the handler: 413.
        let huge = "x".repeat(1_900_000);
        let res = send(
            &t.router,
            post_form(
                &format!("/people/{pid}"),
                &[&responder],
                &[("reason", &huge), ("csrf", &csrf)],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(audit_count(&t.store).await, before, "nothing audited");
        // Same for a JSON body.
        let token = api_token(&t.router, "demo.triage").await;
        let body = format!(r#"{{"given_name":"{huge}","family_name":"X"}}"#);
        let res = send(
            &t.router,
            json("POST", "/api/v1/people", Some(&token), &body),
        )
        .await;
        assert!(
            res.status == StatusCode::PAYLOAD_TOO_LARGE
                || res.status == StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            res.status
        );
        assert!(res.body.contains("length limit"), "{}", res.body);
        // A family name over its limit in the search, and far-off dates of birth.
        let res = send(
            &t.router,
            json(
                "GET",
                &format!(
                    "/api/v1/people?family_name={}&date_of_birth=1980-01-01",
                    "a".repeat(101)
                ),
                Some(&token),
                "",
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.body.contains("family_name"), "{}", res.body);
        for dob in ["1899-12-31", "2999-01-01"] {
            let res = send(
                &t.router,
                json(
                    "POST",
                    "/api/v1/people",
                    Some(&token),
                    &format!(r#"{{"given_name":"A","family_name":"B","date_of_birth":"{dob}"}}"#),
                ),
            )
            .await;
            assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{dob}");
            assert!(res.body.contains("date_of_birth"), "{dob}: {}", res.body);
        }

        // Contacts: a description over 2,000 characters is refused, not cut short.
        let (nurse, ncsrf) = sign_in(&t.router, "demo.triage").await;
        let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M").to_string();
        let before = audit_count(&t.store).await;
        let contact = pairs(&[
            ("csrf", ncsrf.clone()),
            ("save_as", "draft".into()),
            ("called_at", now.clone()),
            ("source", "999".into()),
            ("setting", "street_or_public_place".into()),
            ("person_description", "tall, ".repeat(400)),
        ]);
        let res = send(
            &t.router,
            post_form("/contacts", &[&nurse], &form_of(&contact)),
        )
        .await;
        assert_ne!(res.status, StatusCode::SEE_OTHER, "refused");
        assert!(
            res.body.contains("href=\"#person_description\"")
                && res.body.contains("at most 2000 characters"),
            "{}",
            res.body
        );
        assert_eq!(audit_count(&t.store).await, before, "nothing written");
        // A call time in the year 9999 is refused as a date, not an overflow.
        let mut far = contact.clone();
        far[2].1 = "9999-12-31T23:59".into();
        far[5].1 = "tall".into();
        let res = send(&t.router, post_form("/contacts", &[&nurse], &form_of(&far))).await;
        assert_ne!(res.status, StatusCode::SEE_OTHER);
        assert!(
            res.body.contains("between the years 1900 and 2200"),
            "{}",
            res.body
        );

        // Episodes: an over-long officer and a detention in the year 200000 (past chrono's
        // arithmetic if it reached the s136 clock) are refused by field.
        let (pos, pcsrf) = sign_in(&t.router, "demo.pos").await;
        let episode = |officer: String, detained: &str| {
            pairs(&[
                ("csrf", pcsrf.clone()),
                ("power", "s136".into()),
                ("detained_at", detained.into()),
                ("detention_place", "street_or_public_place".into()),
                ("officer", officer),
                ("consultation.reason", "Immediate risk on a bridge".into()),
            ])
        };
        let before = audit_count(&t.store).await;
        for (form, field, words) in [
            (
                episode("PC ".repeat(100), &now),
                "officer",
                "at most 200 characters",
            ),
            (
                episode("PC 1234".into(), "9999-01-01T10:00"),
                "detained_at",
                "between the years",
            ),
            (
                episode("PC 1234".into(), "+200000-01-01T10:00"),
                "detained_at",
                "",
            ),
        ] {
            let res = send(&t.router, post_form("/episodes", &[&pos], &form_of(&form))).await;
            assert!(res.status.is_client_error(), "{field}: {}", res.status);
            assert!(
                res.body.contains(&format!("href=\"#{field}\"")) && res.body.contains(words),
                "{field}: {}",
                res.body
            );
        }
        assert_eq!(audit_count(&t.store).await, before, "nothing written");
    }
}

#[tokio::test]
async fn a_panic_in_a_handler_becomes_a_500_with_a_request_id_and_the_headers() {
    let router = concordat_web::with_cross_cutting_layers(Router::new().route(
        "/boom",
        route_get(|| async {
            let v: Vec<u8> = Vec::new();
            // An out-of-bounds index: the kind of bug the layer exists for.
            format!("{}", v[usize::from(v.is_empty())])
        }),
    ));
    let res = send(&router, Request::get("/boom").body(Body::empty()).unwrap()).await;
    assert_eq!(res.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(res.headers.contains_key("x-request-id"));
    assert!(res.headers.contains_key("content-security-policy"));
    assert!(res.body.contains("something went wrong"), "{}", res.body);
}
