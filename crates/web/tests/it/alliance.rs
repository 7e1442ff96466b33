//! The alliance: who sees which fields of a member's profile, coordinator-only management, field
//! errors, invitations by link making an individual member, and the audit of every profile read.
//! On SQLite and, when CONCORDAT_TEST_POSTGRES_URL is set, PostgreSQL.

use crate::harness::*;
use axum::http::StatusCode;
use serde_json::Value;

async fn api(t: &TestApp, token: &str, method: &str, uri: &str, body: &str) -> (StatusCode, Value) {
    let res = send(&t.router, json(method, uri, Some(token), body)).await;
    let v = serde_json::from_str(&res.body).unwrap_or(Value::Null);
    (res.status, v)
}

async fn member_id(t: &TestApp, token: &str, name: &str) -> i64 {
    let (status, list) = api(t, token, "GET", "/api/v1/alliance/members", "").await;
    assert_eq!(status, StatusCode::OK);
    list.as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {list}"))["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn each_profile_field_is_seen_only_by_whom_the_member_chose_and_every_read_is_audited() {
    for t in spawn_apps().await {
        let coord = api_token(&t.router, "demo.alliance").await;
        let member = api_token(&t.router, "demo.member").await;
        let ebe3 = api_token(&t.router, "demo.ebe3").await;
        let responder = api_token(&t.router, "demo.responder").await;

        // Outside the alliance's roles: refused, list and profile alike.
        let (s, _) = api(&t, &responder, "GET", "/api/v1/alliance/members", "").await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        let priya = member_id(&t, &coord, "Priya Oduya").await; // lived experience: coordinators
        let dan = member_id(&t, &coord, "Dan Whitlow").await; // lived experience: only him
        let robin = member_id(&t, &coord, "Robin Ellery").await; // lived experience: the alliance
        let (s, _) = api(
            &t,
            &responder,
            "GET",
            &format!("/api/v1/alliance/members/{priya}"),
            "",
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        for (who, token, id, lived, contact) in [
            ("coordinator", &coord, priya, true, true),
            ("member", &member, priya, false, false),
            ("coordinator", &coord, dan, false, true),
            ("member", &member, dan, false, false),
            ("Dan himself", &ebe3, dan, true, true),
            ("member", &member, robin, true, false),
        ] {
            let before = audit_count(&t.store).await;
            let (s, p) = api(
                &t,
                token,
                "GET",
                &format!("/api/v1/alliance/members/{id}"),
                "",
            )
            .await;
            assert_eq!(s, StatusCode::OK, "{who}");
            assert_eq!(p["lived_experience"].is_string(), lived, "{who} {p}");
            assert_eq!(p["contact_email"].is_string(), contact, "{who} {p}");
            // What the member offers is for the whole alliance (as the demo members chose).
            assert!(p["offers"].is_string(), "{who} {p}");
            assert_eq!(p["is_self"], who == "Dan himself");
            // One audit event per read, naming the member and the fields shown.
            assert_eq!(audit_count(&t.store).await, before + 1, "{who}");
        }
        let mut tx = t.store.begin().await.unwrap();
        let events = tx
            .audit_by_action("alliance.member.view", 0, 100)
            .await
            .unwrap();
        drop(tx);
        let last = events.iter().max_by_key(|e| e.seq).unwrap();
        assert_eq!(last.draft.resource_kind, "alliance_member");
        assert_eq!(
            last.draft.resource_id.as_deref(),
            Some(robin.to_string().as_str())
        );
        assert!(
            last.draft
                .reason
                .as_deref()
                .unwrap()
                .contains("lived_experience")
        );

        // The list names each individual member in the audit trail.
        let (_, list) = api(&t, &member, "GET", "/api/v1/alliance/members", "").await;
        let individuals = list
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["kind"] == "individual")
            .count() as i64;
        assert!(individuals >= 4);
        let before = audit_count(&t.store).await;
        api(&t, &member, "GET", "/api/v1/alliance/members", "").await;
        assert_eq!(audit_count(&t.store).await, before + individuals);

        // A number that does not exist: not found, and audited.
        let before = audit_count(&t.store).await;
        let (s, _) = api(&t, &member, "GET", "/api/v1/alliance/members/999999", "").await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_eq!(audit_count(&t.store).await, before + 1);

        // The page shows the same choice: the member sees no lived experience on Priya's page.
        let (cookie, _) = sign_in(&t.router, "demo.member").await;
        let page = send(
            &t.router,
            get(&format!("/alliance/members/{priya}"), &[&cookie]),
        )
        .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Priya Oduya"));
        assert!(!page.body.contains("Lived experience"));
        let (cookie, _) = sign_in(&t.router, "demo.alliance").await;
        let page = send(
            &t.router,
            get(&format!("/alliance/members/{priya}"), &[&cookie]),
        )
        .await;
        assert!(page.body.contains("Used the crisis line"));
    }
}

#[tokio::test]
async fn only_coordinators_add_members_and_bad_fields_are_named() {
    for t in spawn_apps().await {
        let coord = api_token(&t.router, "demo.alliance").await;
        let ebe = api_token(&t.router, "demo.ebe").await;
        let body = r#"{"name":"Harehills Walking Group","org_identifier":"LOCAL-HAREHILLS-WALKERS","org_size":"community_group","offers":"Weekly walks","contact_name":"Ayo","contact_visibility":"alliance"}"#;
        let before = audit_count(&t.store).await;
        let (s, _) = api(&t, &ebe, "POST", "/api/v1/alliance/members", body).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // The refusal is audited.
        assert_eq!(audit_count(&t.store).await, before + 1);
        // Refused before the body is read, whatever it holds.
        let (s, _) = api(&t, &ebe, "POST", "/api/v1/alliance/members", "{").await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        let (s, v) = api(
            &t,
            &coord,
            "POST",
            "/api/v1/alliance/members",
            r#"{"name":"","org_identifier":"GB-CHC-12","org_size":"huge","contact_email":"nope","joined_on":"2026-13-01","contact_visibility":"everyone"}"#,
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<&str> = v["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        for f in [
            "name",
            "org_identifier",
            "org_size",
            "contact_email",
            "joined_on",
            "contact_visibility",
        ] {
            assert!(fields.contains(&f), "{f} in {v}");
        }

        let (s, created) = api(&t, &coord, "POST", "/api/v1/alliance/members", body).await;
        assert_eq!(s, StatusCode::CREATED, "{created}");
        let id = created["id"].as_i64().unwrap();
        let (_, p) = api(
            &t,
            &ebe,
            "GET",
            &format!("/api/v1/alliance/members/{id}"),
            "",
        )
        .await;
        assert_eq!(p["org_size"], "community_group");
        assert_eq!(p["contact_name"], "Ayo");
        // The same identifier twice is refused, naming the field.
        let (s, v) = api(&t, &coord, "POST", "/api/v1/alliance/members", body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["fields"][0]["field"], "org_identifier");

        // Pages: the forms are for coordinators only.
        let (cookie, csrf) = sign_in(&t.router, "demo.ebe").await;
        let res = send(&t.router, get("/alliance/members/new", &[&cookie])).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        let res = send(
            &t.router,
            post_form(
                "/alliance/invitations",
                &[&cookie],
                &[
                    ("csrf", &csrf),
                    ("display_name", "X"),
                    ("role", "expert_by_experience"),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        let home = send(&t.router, get("/alliance", &[&cookie])).await;
        assert!(!home.body.contains("href=\"/alliance/members/new\""));
    }
}

#[tokio::test]
async fn an_invited_expert_by_experience_joins_and_keeps_their_lived_experience_to_themselves() {
    for t in spawn_apps().await {
        let (cookie, csrf) = sign_in(&t.router, "demo.alliance").await;
        let res = send(
            &t.router,
            post_form(
                "/alliance/invitations",
                &[&cookie],
                &[("csrf", &csrf), ("display_name", ""), ("role", "")],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            res.body.contains("Enter the person")
                && res
                    .body
                    .contains("Choose expert by experience or alliance member")
        );
        let res = send(
            &t.router,
            post_form(
                "/alliance/invitations",
                &[&cookie],
                &[
                    ("csrf", &csrf),
                    ("display_name", "Kit Marlowe"),
                    ("role", "expert_by_experience"),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let token = res
            .body
            .split("token=")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        // Not a member until the link is accepted.
        let coord = api_token(&t.router, "demo.alliance").await;
        let (_, list) = api(&t, &coord, "GET", "/api/v1/alliance/members", "").await;
        assert!(!list.to_string().contains("Kit Marlowe"));

        let password = "lantern harbour quietly";
        let res = accept(&t, &token, "kit.marlowe", password, password).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let kit = res.set_cookie("concordat_session").unwrap();
        let form = send(&t.router, get("/alliance/profile", &[&kit])).await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        assert!(form.body.contains("Kit Marlowe"));
        // Lived experience starts as "only me".
        assert!(form.body.contains("id=\"lived_experience_visibility-only_me\" name=\"lived_experience_visibility\" value=\"only_me\" checked"));
        let kcsrf = csrf_in(&form.body);
        let res = send(
            &t.router,
            post_form(
                "/alliance/profile",
                &[&kit],
                &[
                    ("csrf", &kcsrf),
                    ("offers", "Reading group for men"),
                    ("contact_email", "not an email"),
                    ("lived_experience", "Crisis team visits in 2019"),
                    ("lived_experience_visibility", "only_me"),
                    ("about_visibility", "alliance"),
                    ("contact_visibility", "coordinators"),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            res.body
                .contains("nter an email address like name@example.org")
        );
        let res = send(
            &t.router,
            post_form(
                "/alliance/profile",
                &[&kit],
                &[
                    ("csrf", &kcsrf),
                    ("offers", "Reading group for men"),
                    ("contact_email", "kit@example.org"),
                    ("lived_experience", "Crisis team visits in 2019"),
                    ("lived_experience_visibility", "only_me"),
                    ("about_visibility", "alliance"),
                    ("contact_visibility", "coordinators"),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);

        let id = member_id(&t, &coord, "Kit Marlowe").await;
        let (_, p) = api(
            &t,
            &coord,
            "GET",
            &format!("/api/v1/alliance/members/{id}"),
            "",
        )
        .await;
        assert_eq!(p["expert_by_experience"], true);
        assert_eq!(p["offers"], "Reading group for men");
        assert_eq!(p["contact_email"], "kit@example.org");
        assert!(p["lived_experience"].is_null(), "{p}");
        let member = api_token(&t.router, "demo.member").await;
        let (_, p) = api(
            &t,
            &member,
            "GET",
            &format!("/api/v1/alliance/members/{id}"),
            "",
        )
        .await;
        assert!(
            p["contact_email"].is_null() && p["lived_experience"].is_null(),
            "{p}"
        );
        assert_eq!(p["offers"], "Reading group for men");
    }
}
