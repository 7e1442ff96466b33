//! Administration through the router: an invitation accepted with a password and MFA enrolment, a disabled
//! user's session and token ending at once, field-level errors, refusals with reasons (the last administrator,
//! open detentions, another organisation's staff), MFA resets shown to the privacy officer, role switching,
//! and the admin API in the OpenAPI document.

use crate::harness::*;
use axum::http::StatusCode;
use concordat_app::admin::NewUser;
use concordat_domain::model::UserId;
use concordat_domain::{OrgKind, Role};

const NEW_PASSWORD: &str = "lantern orchard pebble";

fn token_of(link: &str) -> String {
    link.split("token=")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

async fn org_id(t: &TestApp, kind: OrgKind) -> i64 {
    t.app
        .organisations()
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.kind == kind)
        .unwrap()
        .id
        .0
}

async fn user_id(t: &TestApp, username: &str) -> i64 {
    let mut tx = t.store.begin().await.unwrap();
    tx.user_credentials(username)
        .await
        .unwrap()
        .unwrap()
        .user
        .id
        .0
}

#[tokio::test]
async fn an_invited_user_sets_a_password_and_enrols_mfa_then_disabling_ends_their_session() {
    for t in spawn_apps().await {
        let trust = org_id(&t, OrgKind::MentalHealthTrust).await;
        let (admin, csrf) = sign_in(&t.router, "demo.admin").await;
        let home = send(&t.router, get("/home", &[&admin])).await;
        assert!(
            home.body.contains("href=\"/admin/users\""),
            "admin link shown"
        );
        let form = send(&t.router, get("/admin/invitations/new", &[&admin])).await;
        assert_eq!(form.status, StatusCode::OK);

        // Bad input is reported by field, and nothing is stored.
        let before = audit_count(&t.store).await;
        let res = send(
            &t.router,
            post_form(
                "/admin/invitations",
                &[&admin],
                &[
                    ("csrf", &csrf),
                    ("display_name", " "),
                    ("org_id", &trust.to_string()),
                    ("role", "wizard"),
                    ("days", "90"),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.body.contains("href=\"#display_name\""));
        assert!(res.body.contains("href=\"#role\""));
        assert!(res.body.contains("href=\"#days\""));
        assert_eq!(audit_count(&t.store).await, before);

        // Without the CSRF token: refused.
        let res = send(
            &t.router,
            post_form(
                "/admin/invitations",
                &[&admin],
                &[("display_name", "Sam Okafor")],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);

        let res = send(
            &t.router,
            post_form(
                "/admin/invitations",
                &[&admin],
                &[
                    ("csrf", &csrf),
                    ("display_name", "Sam Okafor"),
                    ("org_id", &trust.to_string()),
                    ("role", "triage_clinician"),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        assert_eq!(audit_count(&t.store).await, before + 1);
        let token = token_of(&res.body);
        // Only the hash is stored.
        let mut tx = t.store.begin().await.unwrap();
        assert!(tx.invitation_by_hash(&token).await.unwrap().is_none());
        assert!(
            tx.invitation_by_hash(&concordat_app::auth::hash_token(&token))
                .await
                .unwrap()
                .is_some()
        );
        drop(tx);
        let list = send(&t.router, get("/admin/users", &[&admin])).await;
        assert!(
            list.body.contains("Sam Okafor"),
            "pending invitation listed"
        );

        // The invited person: a weak password and a mismatch are reported by field.
        let res = accept(&t, &token, "sam.okafor", "short", "short").await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.body.contains("href=\"#password\""));
        let res = accept(&t, &token, "sam okafor", NEW_PASSWORD, "something else").await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.body.contains("href=\"#username\""));
        assert!(res.body.contains("href=\"#confirm\""));
        // A taken username.
        let res = accept(&t, &token, "demo.triage", NEW_PASSWORD, NEW_PASSWORD).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.body.contains("username is taken"));

        let res = accept(&t, &token, "sam.okafor", NEW_PASSWORD, NEW_PASSWORD).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        assert_eq!(
            res.location(),
            Some("/mfa/enrol"),
            "a triage clinician enrols MFA"
        );
        let s1 = res.set_cookie("concordat_session").unwrap();

        // Single use: the link is dead now.
        let again = send(&t.router, get(&format!("/invite?token={token}"), &[])).await;
        assert_eq!(again.status, StatusCode::NOT_FOUND);
        let res = accept(&t, &token, "sam.okafor2", NEW_PASSWORD, NEW_PASSWORD).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
        assert!(res.body.contains("ask your administrator for a new one"));

        // MFA enrolment.
        let enrol = send(&t.router, get("/mfa/enrol", &[&s1])).await;
        let secret = enrol
            .body
            .split("class=\"secret\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_string();
        let code = concordat_app::auth::current_totp(&secret).unwrap();
        let res = send(
            &t.router,
            post_form(
                "/mfa/enrol",
                &[&s1],
                &[("csrf", &csrf_in(&enrol.body)), ("code", &code)],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let sam = res.set_cookie("concordat_session").unwrap();
        assert_eq!(
            send(&t.router, get("/home", &[&sam])).await.status,
            StatusCode::OK
        );

        // The administrator sees the last sign-in, then disables the account.
        let id = user_id(&t, "sam.okafor").await;
        let page = send(&t.router, get(&format!("/admin/users/{id}"), &[&admin])).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.body.contains("<dd>never</dd>"));
        let res = send(
            &t.router,
            post_form(
                &format!("/admin/users/{id}/disable"),
                &[&admin],
                &[("csrf", &csrf)],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        // The signed-in session gets the sign-in page on its next request.
        let next = send(&t.router, get("/home", &[&sam])).await;
        assert_eq!(next.location(), Some("/sign-in"));
        // And cannot sign in again.
        let form = send(&t.router, get("/sign-in", &[])).await;
        let cookie = form.set_cookie("concordat_csrf").unwrap();
        let res = send(
            &t.router,
            post_form(
                "/sign-in",
                &[&cookie],
                &[
                    ("username", "sam.okafor"),
                    ("password", NEW_PASSWORD),
                    ("csrf", &csrf_in(&form.body)),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);

        // Re-enabled: signs in again with the same password.
        let res = send(
            &t.router,
            post_form(
                &format!("/admin/users/{id}/enable"),
                &[&admin],
                &[("csrf", &csrf)],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let mut tx = t.store.begin().await.unwrap();
        assert!(!tx.user_get(UserId(id)).await.unwrap().unwrap().disabled);
    }
}

#[tokio::test]
async fn disabling_revokes_api_tokens_too_and_refusals_have_reasons() {
    for t in spawn_apps().await {
        let icb = org_id(&t, OrgKind::Icb).await;
        let trust = org_id(&t, OrgKind::MentalHealthTrust).await;
        let icb_name = t
            .app
            .organisations()
            .await
            .unwrap()
            .into_iter()
            .find(|o| o.id.0 == icb)
            .unwrap()
            .name;
        // A partnership-wide administrator at the ICB (demo accounts are exempt from MFA; this one is added
        // with the exemption so the test can use the API).
        let ict = t
            .app
            .add_user(
                &system(),
                &NewUser {
                    username: "icb.admin".into(),
                    display_name: "ICB Admin".into(),
                    org_name: icb_name,
                    role: Role::Administrator,
                    password: PASSWORD.into(),
                },
            )
            .await
            .unwrap();
        let mut tx = t.store.begin().await.unwrap();
        tx.testing_execute(&format!(
            "UPDATE users SET mfa_demo_exempt = TRUE WHERE id = {}",
            ict.0
        ))
        .await
        .unwrap();
        tx.commit().await.unwrap();

        let analyst = api_token(&t.router, "demo.analyst").await;
        let icb_token = api_token(&t.router, "icb.admin").await;
        let trust_token = api_token(&t.router, "demo.admin").await;
        let analyst_id = user_id(&t, "demo.analyst").await;
        let trust_admin_id = user_id(&t, "demo.admin").await;

        // A trust administrator cannot manage ICB staff: refused with the reason, and audited.
        let before = audit_count(&t.store).await;
        let res = send(
            &t.router,
            json(
                "POST",
                &format!("/api/v1/admin/users/{analyst_id}/disable"),
                Some(&trust_token),
                "",
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
        assert!(res.body.contains("partnership-wide administrator"));
        assert_eq!(audit_count(&t.store).await, before + 1);
        // The trust administrator's list holds only the trust's staff.
        let res = send(
            &t.router,
            json("GET", "/api/v1/admin/users", Some(&trust_token), ""),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK);
        assert!(res.body.contains("demo.triage"));
        assert!(!res.body.contains("demo.analyst"));
        // Not an administrator at all.
        let res = send(
            &t.router,
            json("GET", "/api/v1/admin/users", Some(&analyst), ""),
        )
        .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);

        // The ICB administrator disables the analyst: the analyst's token stops working at once.
        let res = send(
            &t.router,
            json(
                "POST",
                &format!("/api/v1/admin/users/{analyst_id}/disable"),
                Some(&icb_token),
                "",
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
        let res = send(&t.router, json("GET", "/api/v1/me", Some(&analyst), "")).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);

        // The last administrator of the trust cannot be disabled.
        let res = send(
            &t.router,
            json(
                "POST",
                &format!("/api/v1/admin/users/{trust_admin_id}/disable"),
                Some(&icb_token),
                "",
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
        assert!(res.body.contains("last administrator"));

        // An organisation with open detentions cannot be deactivated; one without can, and comes back.
        let mut with_open = None;
        let mut without_open = None;
        let mut tx = t.store.begin().await.unwrap();
        for o in tx.org_details_list().await.unwrap() {
            let n = tx.org_open_detentions(o.id).await.unwrap();
            if n > 0 && with_open.is_none() {
                with_open = Some(o.id.0);
            }
            if n == 0 && o.id.0 != icb && without_open.is_none() {
                without_open = Some(o.id.0);
            }
        }
        drop(tx);
        let with_open = with_open.expect("the demo has open detentions");
        let res = send(
            &t.router,
            json(
                "POST",
                &format!("/api/v1/admin/organisations/{with_open}/deactivate"),
                Some(&icb_token),
                "",
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
        assert!(res.body.contains("open s136/s135 detention"));
        let other = without_open.unwrap();
        let res = send(
            &t.router,
            json(
                "POST",
                &format!("/api/v1/admin/organisations/{other}/deactivate"),
                Some(&icb_token),
                "",
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
        // No invitations to a deactivated organisation.
        let res = send(
            &t.router,
            json(
                "POST",
                "/api/v1/admin/invitations",
                Some(&icb_token),
                &format!(r#"{{"display_name":"Pat","org_id":{other},"role":"responder"}}"#),
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
        assert!(res.body.contains("deactivated"));

        // An invitation with no organisation (for later use): partnership-wide administrators only.
        let res = send(
            &t.router,
            json(
                "POST",
                "/api/v1/admin/invitations",
                Some(&trust_token),
                r#"{"display_name":"Alex Member"}"#,
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
        let res = send(
            &t.router,
            json(
                "POST",
                "/api/v1/admin/invitations",
                Some(&icb_token),
                r#"{"display_name":"Alex Member","days":1}"#,
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        let v: serde_json::Value = serde_json::from_str(&res.body).unwrap();
        let token = token_of(v["link_path"].as_str().unwrap());
        let res = accept(&t, &token, "alex.member", NEW_PASSWORD, NEW_PASSWORD).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        assert_eq!(res.location(), Some("/home"), "no role, so no MFA to enrol");
        let alex = user_id(&t, "alex.member").await;
        let mut tx = t.store.begin().await.unwrap();
        assert!(
            tx.memberships_for_user(UserId(alex))
                .await
                .unwrap()
                .is_empty()
        );
        drop(tx);

        // Adding organisations: field errors; the trust administrator is refused.
        let res = send(
            &t.router,
            json(
                "POST",
                "/api/v1/admin/organisations",
                Some(&icb_token),
                r#"{"name":"","kind":"vcse","ods_code":"RX4","org_identifier":"charity 12","contact_email":"nobody"}"#,
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        for field in ["name", "ods_code", "org_identifier", "contact_email"] {
            assert!(
                res.body.contains(&format!("\"field\":\"{field}\"")),
                "{field}: {}",
                res.body
            );
        }
        let body = r#"{"name":"Canal Side Crisis Cafe","kind":"vcse","org_identifier":"GB-CHC-1234567","contact_name":"Jo Bright","contact_email":"jo@canal.example.org","contact_phone":"0113 496 0000"}"#;
        let res = send(
            &t.router,
            json(
                "POST",
                "/api/v1/admin/organisations",
                Some(&trust_token),
                body,
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        let res = send(
            &t.router,
            json(
                "POST",
                "/api/v1/admin/organisations",
                Some(&icb_token),
                body,
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        // The trust administrator edits their own organisation's contact.
        let res = send(
            &t.router,
            json(
                "PUT",
                &format!("/api/v1/admin/organisations/{trust}"),
                Some(&trust_token),
                r#"{"name":"Northvale Mental Health NHS Foundation Trust","kind":"mental_health_trust","ods_code":"ZZA","contact_email":"crisis@northvale.example.nhs.uk"}"#,
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(res.body.contains("crisis@northvale.example.nhs.uk"));

        // Malformed bodies: 4xx, never 5xx.
        for (m, p) in [
            ("POST", "/api/v1/admin/invitations"),
            ("POST", "/api/v1/admin/organisations"),
            ("PUT", &format!("/api/v1/admin/organisations/{trust}")),
        ] {
            let res = send(&t.router, json(m, p, Some(&icb_token), "{not json")).await;
            assert!(res.status.is_client_error(), "{m} {p}: {}", res.status);
        }
        let res = send(
            &t.router,
            json(
                "POST",
                "/api/v1/admin/users/999999/disable",
                Some(&icb_token),
                "",
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn mfa_resets_reach_the_privacy_officer_and_roles_can_be_switched() {
    for t in spawn_apps().await {
        let trust = org_id(&t, OrgKind::MentalHealthTrust).await;
        let (admin, csrf) = sign_in(&t.router, "demo.admin").await;
        let nurse = user_id(&t, "demo.triage").await;
        let res = send(
            &t.router,
            post_form(
                &format!("/admin/users/{nurse}/mfa-reset"),
                &[&admin],
                &[("csrf", &csrf)],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        let (privacy, _) = sign_in(&t.router, "demo.privacy").await;
        let home = send(&t.router, get("/home", &[&privacy])).await;
        assert!(
            home.body
                .contains("Multi-factor authentication resets in the last 30 days")
        );
        // The administrator is named by name and role, not by username.
        let by = {
            let mut tx = t.store.begin().await.unwrap();
            let (_, display, roles) = tx
                .staff_names(&["demo.admin".to_string()])
                .await
                .unwrap()
                .remove(0);
            concordat_app::staff::staff_label(&display, &roles)
        };
        assert!(
            home.body
                .contains(&format!("<td>{by}</td><td>{nurse}</td>")),
            "{by}: {}",
            home.body
        );

        // A second role for the nurse; the header links to the role page, which switches.
        let res = send(
            &t.router,
            post_form(
                &format!("/admin/users/{nurse}/memberships"),
                &[&admin],
                &[
                    ("csrf", &csrf),
                    ("org_id", &trust.to_string()),
                    ("role", "pos_coordinator"),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        // The same role twice: a field error.
        let res = send(
            &t.router,
            post_form(
                &format!("/admin/users/{nurse}/memberships"),
                &[&admin],
                &[
                    ("csrf", &csrf),
                    ("org_id", &trust.to_string()),
                    ("role", "pos_coordinator"),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.body.contains("href=\"#role\""));

        let (triage, tcsrf) = sign_in(&t.router, "demo.triage").await;
        let home = send(&t.router, get("/home", &[&triage])).await;
        assert!(home.body.contains("href=\"/account/role\""));
        let page = send(&t.router, get("/account/role", &[&triage])).await;
        assert_eq!(page.status, StatusCode::OK);
        let pos = page
            .body
            .split("value=\"")
            .filter_map(|s| s.split('"').next())
            .filter(|v| v.parse::<i64>().is_ok())
            .last()
            .unwrap()
            .to_string();
        let res = send(
            &t.router,
            post_form(
                "/account/role",
                &[&triage],
                &[("csrf", &tcsrf), ("membership", &pos)],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let home = send(&t.router, get("/home", &[&triage])).await;
        assert!(home.body.contains("Place-of-safety coordinator"));
        // Someone else's membership id: refused by field.
        let res = send(
            &t.router,
            post_form(
                "/account/role",
                &[&triage],
                &[("csrf", &tcsrf), ("membership", "999999")],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);

        // Non-administrators get no admin links and a refusal.
        assert!(!home.body.contains("href=\"/admin/users\""));
        let res = send(&t.router, get("/admin/users", &[&triage])).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);

        // The admin API is in the OpenAPI document.
        let doc = send(&t.router, get("/api/v1/openapi.json", &[])).await;
        assert!(doc.body.contains("/api/v1/admin/users"));
        assert!(
            doc.body
                .contains("/api/v1/admin/organisations/{id}/deactivate")
        );
    }
}
