use crate::harness::*;
use axum::http::StatusCode;
use concordat_app::admin::NewUser;
use concordat_domain::model::NewPerson;
use concordat_domain::{OrgKind, Role};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_reaches_the_home_page_with_security_headers() {
    for t in spawn_apps().await {
        let (session, _) = sign_in(&t.router, "demo.triage").await;
        let home = send(&t.router, get("/home", &[&session])).await;
        assert_eq!(home.status, StatusCode::OK);
        assert!(
            home.body.contains("<h1>Home: Triage clinician</h1>"),
            "{}",
            home.body
        );
        assert!(home.body.contains("synthetic"), "demo banner missing");
        let csp = home
            .headers
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
        assert_eq!(
            home.headers.get("x-content-type-options").unwrap(),
            "nosniff"
        );
        assert!(home.headers.get("referrer-policy").is_some());
        assert!(home.headers.get("x-request-id").is_some());
        // The session cookie is HttpOnly and SameSite.
        let form = send(&t.router, get("/sign-in", &[])).await;
        let cookie = form.set_cookie("concordat_csrf").unwrap();
        let res = send(
            &t.router,
            post_form(
                "/sign-in",
                &[&cookie],
                &[
                    ("username", "demo.analyst"),
                    ("password", PASSWORD),
                    ("csrf", &csrf_in(&form.body)),
                ],
            ),
        )
        .await;
        let raw = res
            .headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            raw.contains("HttpOnly") && raw.contains("SameSite=Lax"),
            "{raw}"
        );
        // Not signed in: pages redirect to sign-in.
        let res = send(&t.router, get("/home", &[])).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert_eq!(res.location(), Some("/sign-in"));
        assert_eq!(
            send(&t.router, get("/readyz", &[])).await.status,
            StatusCode::OK
        );
        // The partnership dashboard: SPC charts (accessible SVG) and the figures as a table.
        let dash = send(&t.router, get("/dashboard", &[&session])).await;
        assert_eq!(dash.status, StatusCode::OK);
        assert!(dash.body.contains("<svg") && dash.body.contains("<title>"));
        assert!(dash.body.contains("The figures as a table"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_changes_without_the_csrf_token_are_refused() {
    for t in spawn_apps().await {
        // Sign-in without the double-submitted token.
        let res = send(
            &t.router,
            post_form(
                "/sign-in",
                &[],
                &[
                    ("username", "demo.triage"),
                    ("password", PASSWORD),
                    ("csrf", "x"),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.set_cookie("concordat_session").is_none());
        // Sign-out with a wrong token leaves the session alive.
        let (session, _) = sign_in(&t.router, "demo.triage").await;
        let res = send(
            &t.router,
            post_form("/sign-out", &[&session], &[("csrf", "forged")]),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            send(&t.router, get("/home", &[&session])).await.status,
            StatusCode::OK
        );
        // With the right token it ends the session.
        let csrf = csrf_in(&send(&t.router, get("/home", &[&session])).await.body);
        let res = send(
            &t.router,
            post_form("/sign-out", &[&session], &[("csrf", &csrf)]),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert_eq!(
            send(&t.router, get("/home", &[&session])).await.status,
            StatusCode::SEE_OTHER
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_are_throttled_per_account() {
    for t in spawn_apps().await {
        let form = send(&t.router, get("/sign-in", &[])).await;
        let cookie = form.set_cookie("concordat_csrf").unwrap();
        let csrf = csrf_in(&form.body);
        for _ in 0..5 {
            let res = send(
                &t.router,
                post_form(
                    "/sign-in",
                    &[&cookie],
                    &[
                        ("username", "demo.pos"),
                        ("password", "wrong password!"),
                        ("csrf", &csrf),
                    ],
                ),
            )
            .await;
            assert_eq!(res.status, StatusCode::UNAUTHORIZED);
            assert!(res.body.contains("There is a problem"));
        }
        // Now even the right password is refused for a while.
        let res = send(
            &t.router,
            post_form(
                "/sign-in",
                &[&cookie],
                &[
                    ("username", "demo.pos"),
                    ("password", PASSWORD),
                    ("csrf", &csrf),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
        // Another account is unaffected.
        sign_in(&t.router, "demo.crisis").await;
        // The API says so too, with Retry-After.
        let res = send(
            &t.router,
            json(
                "POST",
                "/api/v1/sessions",
                None,
                &format!(r#"{{"username":"demo.pos","password":"{PASSWORD}"}}"#),
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(res.headers.get("retry-after").is_some());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_that_see_personal_data_must_enrol_and_use_mfa() {
    for t in spawn_apps().await {
        let trust = t
            .app
            .organisations()
            .await
            .unwrap()
            .into_iter()
            .find(|o| o.kind == OrgKind::MentalHealthTrust)
            .unwrap();
        t.app
            .add_user(
                &system(),
                &NewUser {
                    username: "real.nurse".into(),
                    display_name: "Real Nurse".into(),
                    org_name: trust.name.clone(),
                    role: Role::TriageClinician,
                    password: PASSWORD.into(),
                },
            )
            .await
            .unwrap();
        let form = send(&t.router, get("/sign-in", &[])).await;
        let cookie = form.set_cookie("concordat_csrf").unwrap();
        let res = send(
            &t.router,
            post_form(
                "/sign-in",
                &[&cookie],
                &[
                    ("username", "real.nurse"),
                    ("password", PASSWORD),
                    ("csrf", &csrf_in(&form.body)),
                ],
            ),
        )
        .await;
        assert_eq!(res.location(), Some("/mfa/enrol"));
        let s1 = res.set_cookie("concordat_session").unwrap();
        // Nothing else until MFA is set up.
        assert_eq!(
            send(&t.router, get("/people", &[&s1])).await.location(),
            Some("/mfa/enrol")
        );
        // The API refuses a token too.
        let res = send(
            &t.router,
            json(
                "POST",
                "/api/v1/sessions",
                None,
                &format!(r#"{{"username":"real.nurse","password":"{PASSWORD}"}}"#),
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        let enrol = send(&t.router, get("/mfa/enrol", &[&s1])).await;
        assert!(enrol.body.contains("<svg"), "QR code as SVG");
        let _first_secret = enrol
            .body
            .split("class=\"secret\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_string();
        let csrf = csrf_in(&enrol.body);
        let bad = send(
            &t.router,
            post_form("/mfa/enrol", &[&s1], &[("code", "000000"), ("csrf", &csrf)]),
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let secret = send(&t.router, get("/mfa/enrol", &[&s1]))
            .await
            .body
            .split("class=\"secret\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_string();
        let code = concordat_app::auth::current_totp(&secret).unwrap();
        let ok = send(
            &t.router,
            post_form("/mfa/enrol", &[&s1], &[("code", &code), ("csrf", &csrf)]),
        )
        .await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
        assert_eq!(
            ok.body.matches("<li><code>").count(),
            10,
            "ten recovery codes"
        );
        let recovery = ok
            .body
            .split("<li><code>")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_string();
        let s2 = ok.set_cookie("concordat_session").unwrap();
        assert_ne!(s1, s2, "the session id rotates");
        assert_eq!(
            send(&t.router, get("/home", &[&s1])).await.location(),
            Some("/sign-in"),
            "old session is dead"
        );
        assert_eq!(
            send(&t.router, get("/home", &[&s2])).await.status,
            StatusCode::OK
        );
        // Next sign-in asks for a code; a wrong one is refused; a recovery code works once.
        let form = send(&t.router, get("/sign-in", &[])).await;
        let cookie = form.set_cookie("concordat_csrf").unwrap();
        let res = send(
            &t.router,
            post_form(
                "/sign-in",
                &[&cookie],
                &[
                    ("username", "real.nurse"),
                    ("password", PASSWORD),
                    ("csrf", &csrf_in(&form.body)),
                ],
            ),
        )
        .await;
        assert_eq!(res.location(), Some("/sign-in/mfa"));
        let s3 = res.set_cookie("concordat_session").unwrap();
        let page = send(&t.router, get("/sign-in/mfa", &[&s3])).await;
        let csrf = csrf_in(&page.body);
        let wrong = send(
            &t.router,
            post_form(
                "/sign-in/mfa",
                &[&s3],
                &[("code", "123456"), ("csrf", &csrf)],
            ),
        )
        .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        let right = send(
            &t.router,
            post_form(
                "/sign-in/mfa",
                &[&s3],
                &[("code", &recovery), ("csrf", &csrf)],
            ),
        )
        .await;
        assert_eq!(right.location(), Some("/home"));
        let s4 = right.set_cookie("concordat_session").unwrap();
        assert_eq!(
            send(&t.router, get("/home", &[&s4])).await.status,
            StatusCode::OK
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_organisations_person_is_denied_break_glass_is_audited_and_reviewed() {
    for t in spawn_apps().await {
        let org = t
            .app
            .add_organisation(
                &system(),
                "Unshared Housing Co",
                OrgKind::Housing,
                None,
                None,
            )
            .await
            .unwrap();
        let mut tx = t.store.begin().await.unwrap();
        let pid = tx
            .person_insert(&NewPerson {
                owner_org_id: org.id,
                given_name: "Alex".into(),
                family_name: "Unshared".into(),
                date_of_birth: chrono::NaiveDate::from_ymd_opt(1980, 5, 5),
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
        let (session, csrf) = sign_in(&t.router, "demo.responder").await;
        let before = audit_count(&t.store).await;
        let res = send(&t.router, get(&format!("/people/{}", pid.0), &[&session])).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        assert!(
            !res.body.contains("Unshared"),
            "no personal data on the denial page"
        );
        assert!(res.body.contains("Emergency access"));
        assert_eq!(
            audit_count(&t.store).await,
            before + 1,
            "the denial is audited"
        );
        // Search does not reveal the person either.
        let res = send(
            &t.router,
            get(
                "/people?family_name=Unshared&date_of_birth=05/05/1980",
                &[&session],
            ),
        )
        .await;
        assert!(
            res.body
                .contains("No one matches family name Unshared and date of birth 05/05/1980")
        );
        // A too-short reason is refused with a field error.
        let res = send(
            &t.router,
            post_form(
                &format!("/people/{}", pid.0),
                &[&session],
                &[("reason", "urgent"), ("csrf", &csrf)],
            ),
        )
        .await;
        assert!(res.body.contains("There is a problem") && res.body.contains("href=\"#reason\""));
        let res = send(
            &t.router,
            post_form(
                &format!("/people/{}", pid.0),
                &[&session],
                &[
                    ("reason", "Found collapsed, need next of kin"),
                    ("csrf", &csrf),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(res.body.contains("Emergency access.") && res.body.contains("Alex Unshared"));
        // The privacy officer sees it in the queue and reviews it.
        let (ps, pcsrf) = sign_in(&t.router, "demo.privacy").await;
        let queue = send(&t.router, get("/privacy/break-glass", &[&ps])).await;
        assert!(queue.body.contains("Found collapsed, need next of kin"));
        let seq = queue
            .body
            .split("/privacy/break-glass/")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let res = send(
            &t.router,
            post_form(
                &format!("/privacy/break-glass/{seq}"),
                &[&ps],
                &[
                    ("outcome", "appropriate"),
                    ("notes", "ok"),
                    ("csrf", &pcsrf),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let queue = send(&t.router, get("/privacy/break-glass", &[&ps])).await;
        assert!(
            queue
                .body
                .contains("Appropriate: a real emergency (by demo.privacy")
        );
        // The person's access history lists the denial and the emergency access.
        let hist = send(
            &t.router,
            get(&format!("/privacy/people/{}/access-history", pid.0), &[&ps]),
        )
        .await;
        assert!(
            hist.body.contains("demo.responder")
                && hist.body.contains("(emergency access)")
                && hist.body.contains("Refused")
        );
        // The audit log can be searched by username; an unknown username is a field error.
        let log = send(
            &t.router,
            get("/privacy/audit?username=demo.responder", &[&ps]),
        )
        .await;
        assert_eq!(log.status, StatusCode::OK);
        assert!(
            log.body
                .contains("Viewed the person&#39;s name and contact details")
                && log.body.contains("break-glass")
        );
        let log = send(
            &t.router,
            get(
                "/privacy/audit?username=nobody.here&from=32/01/2026",
                &[&ps],
            ),
        )
        .await;
        assert_eq!(log.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(log.body.contains("href=\"#username\""));
        // Everyone can see what flows where.
        let orgs = send(&t.router, get("/organisations", &[&session])).await;
        assert!(
            orgs.body.contains("Data sharing agreements")
                && orgs.body.contains("Unshared Housing Co")
        );
        // A responder cannot open the privacy pages.
        assert_eq!(
            send(&t.router, get("/privacy/audit", &[&session]))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        // And the chain is intact.
        let report = t.app.verify_audit().await.unwrap();
        assert!(report.error.is_none() && report.head_matches);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_read_of_a_person_writes_an_audit_row() {
    for t in spawn_apps().await {
        let token = api_token(&t.router, "demo.triage").await;
        let mut tx = t.store.begin().await.unwrap();
        let people = tx
            .people_search(
                &concordat_store::PersonQuery::Postcode(
                    concordat_domain::Postcode::parse("ZZ1 1AA").unwrap(),
                ),
                1,
            )
            .await
            .unwrap();
        drop(tx);
        let (session, _) = sign_in(&t.router, "demo.triage").await;
        // Any person of the trust: find one by id through the API.
        let id = people.first().map(|p| p.id.0).unwrap_or(1);
        for (req, what) in [
            (
                json("GET", &format!("/api/v1/people/{id}"), Some(&token), ""),
                "api view",
            ),
            (get(&format!("/people/{id}"), &[&session]), "page view"),
        ] {
            let before = audit_count(&t.store).await;
            let res = send(&t.router, req).await;
            assert_eq!(res.status, StatusCode::OK, "{what}: {}", res.body);
            // The page also lists the person's crisis contacts: one more event when it shows any.
            let history = i64::from(res.body.contains("href=\"/contacts/"));
            assert_eq!(audit_count(&t.store).await, before + 1 + history, "{what}");
        }
        let v: serde_json::Value = serde_json::from_str(
            &send(
                &t.router,
                json("GET", &format!("/api/v1/people/{id}"), Some(&token), ""),
            )
            .await
            .body,
        )
        .unwrap();
        let family = v["family_name"].as_str().unwrap().to_string();
        let dob = v["date_of_birth"].as_str().unwrap().to_string();
        let before = audit_count(&t.store).await;
        let res = send(
            &t.router,
            json(
                "GET",
                &format!("/api/v1/people?family_name={family}&date_of_birth={dob}"),
                Some(&token),
                "",
            ),
        )
        .await;
        let found: Vec<serde_json::Value> = serde_json::from_str(&res.body).unwrap();
        assert!(!found.is_empty());
        assert_eq!(
            audit_count(&t.store).await,
            before + found.len() as i64,
            "one row per person returned"
        );
        // An analyst cannot read people at all, and the refusal is audited.
        let analyst = api_token(&t.router, "demo.analyst").await;
        let before = audit_count(&t.store).await;
        let res = send(
            &t.router,
            json("GET", &format!("/api/v1/people/{id}"), Some(&analyst), ""),
        )
        .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        assert_eq!(audit_count(&t.store).await, before + 1);
        // Revoked tokens stop working.
        assert_eq!(
            send(
                &t.router,
                json("DELETE", "/api/v1/sessions/current", Some(&token), "")
            )
            .await
            .status,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            send(&t.router, json("GET", "/api/v1/me", Some(&token), ""))
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_input_to_every_api_route_gets_4xx_never_5xx() {
    for t in spawn_apps().await {
        let token = api_token(&t.router, "demo.triage").await;
        let privacy = api_token(&t.router, "demo.privacy").await;
        let bodies = [
            "",
            "not json",
            "{",
            "[]",
            "null",
            "{}",
            r#"{"username": 1}"#,
            r#"{"given_name": ["x"]}"#,
            "\u{0}\u{ff}",
            &"x".repeat(100_000),
        ];
        let routes: Vec<(&str, String, Option<&str>)> = vec![
            ("POST", "/api/v1/sessions".into(), None),
            ("POST", "/api/v1/people".into(), Some(&token)),
            ("DELETE", "/api/v1/sessions/current".into(), None),
            ("GET", "/api/v1/me".into(), None),
            (
                "GET",
                "/api/v1/people?date_of_birth=31/02/1990&family_name=x".into(),
                Some(&token),
            ),
            ("GET", "/api/v1/people?nhs_number=123".into(), Some(&token)),
            ("GET", "/api/v1/people?postcode=%FF%FE".into(), Some(&token)),
            ("GET", "/api/v1/people".into(), Some(&token)),
            ("GET", "/api/v1/people/not-a-number".into(), Some(&token)),
            (
                "GET",
                "/api/v1/people/99999999999999999999999".into(),
                Some(&token),
            ),
            ("GET", "/api/v1/people/-1".into(), Some(&token)),
            ("GET", "/api/v1/audit?person_id=abc".into(), Some(&privacy)),
            ("GET", "/api/v1/audit?limit=-5".into(), Some(&token)),
            ("GET", "/api/v1/organisations".into(), Some("bogus-token")),
            ("GET", "/api/v1/nope".into(), None),
        ];
        for (method, uri, tok) in &routes {
            for body in bodies {
                let res = send(&t.router, json(method, uri, *tok, body)).await;
                assert!(
                    res.status.is_client_error(),
                    "{method} {uri} with body {:?}: {} {}",
                    &body.chars().take(20).collect::<String>(),
                    res.status,
                    res.body
                );
            }
        }
        // Field-level messages name the field.
        let res = send(&t.router, json("POST", "/api/v1/people", Some(&token), r#"{"given_name":"","family_name":"X","nhs_number":"123","postcode":"nope","date_of_birth":"31/02/1990"}"#)).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        let v: serde_json::Value = serde_json::from_str(&res.body).unwrap();
        let fields: Vec<&str> = v["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            vec!["given_name", "date_of_birth", "nhs_number", "postcode"]
        );
        let doc = send(&t.router, get("/api/v1/openapi.json", &[])).await;
        let v: serde_json::Value = serde_json::from_str(&doc.body).unwrap();
        assert!(v["openapi"].as_str().unwrap().starts_with("3."));
        for p in [
            "/api/v1/sessions",
            "/api/v1/people",
            "/api/v1/people/{id}",
            "/api/v1/audit",
        ] {
            assert!(v["paths"][p].is_object(), "{p} missing from OpenAPI");
        }
    }
}
