//! Governance through the router: who sees partner organisations' contact people, what deactivating an
//! organisation does to its staff's sessions, tokens and sign-in, and crisis operations forms and links
//! offered only to roles the policy lets submit them.

use crate::harness::*;
use axum::http::StatusCode;
use concordat_domain::OrgKind;
use concordat_domain::Role;
use concordat_domain::model::OrgId;
use concordat_domain::policy::{Action, may};
use concordat_store::AuditFilter;

const CONTACT: &str = "Jo Contactperson";

async fn events(t: &TestApp, action: &str) -> Vec<concordat_domain::audit::AuditEvent> {
    let mut tx = t.store.begin().await.unwrap();
    tx.audit_search(&AuditFilter {
        limit: 1000,
        ..Default::default()
    })
    .await
    .unwrap()
    .into_iter()
    .filter(|e| e.draft.action == action)
    .collect()
}

#[tokio::test]
async fn organisation_contacts_are_shown_only_to_roles_that_run_the_partnership() {
    for t in spawn_apps().await {
        let mut tx = t.store.begin().await.unwrap();
        tx.testing_execute(&format!(
            "UPDATE organisations SET contact_name = '{CONTACT}', contact_email = 'jo.contact@example.org', contact_phone = '0113 496 0000'"
        ))
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let before = events(&t, "organisation.view_contacts").await.len();
        for (user, sees) in [
            ("demo.responder", false),
            ("demo.triage", false),
            ("demo.analyst", false),
            ("demo.member", false),
            ("demo.ebe", false),
            ("demo.alliance", true),
            ("demo.privacy", true),
            ("demo.admin", true),
        ] {
            let token = api_token(&t.router, user).await;
            let res = send(
                &t.router,
                json("GET", "/api/v1/admin/organisations", Some(&token), ""),
            )
            .await;
            assert_eq!(res.status, StatusCode::OK, "{user}: {}", res.body);
            // Everyone sees who is in the partnership; only some see the contact people.
            assert!(res.body.contains("\"kind\""), "{user}");
            assert_eq!(res.body.contains(CONTACT), sees, "{user}: {}", res.body);
            assert_eq!(res.body.contains("jo.contact@example.org"), sees, "{user}");
            assert_eq!(res.body.contains("0113 496 0000"), sees, "{user}");
        }
        // Each list that showed them is in the audit trail.
        assert_eq!(
            events(&t, "organisation.view_contacts").await.len(),
            before + 3
        );

        // The edit form (with the contacts) is for the organisation's administrators only.
        let trust = org_of(&t, OrgKind::MentalHealthTrust).await;
        let fire = org_of(&t, OrgKind::FireAndRescue).await;
        let (responder, _) = sign_in(&t.router, "demo.responder").await;
        let res = send(
            &t.router,
            get(&format!("/admin/organisations/{trust}"), &[&responder]),
        )
        .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        assert!(!res.body.contains(CONTACT));
        assert!(
            res.body.contains("your role cannot do this"),
            "{}",
            res.body
        );
        let (admin, _) = sign_in(&t.router, "demo.admin").await;
        let res = send(
            &t.router,
            get(&format!("/admin/organisations/{trust}"), &[&admin]),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(res.body.contains(CONTACT));
        // The trust's administrator does not administer the fire service.
        let res = send(
            &t.router,
            get(&format!("/admin/organisations/{fire}"), &[&admin]),
        )
        .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        assert!(!res.body.contains(CONTACT));
    }
}

#[tokio::test]
async fn deactivating_an_organisation_ends_its_sessions_and_tokens_and_refuses_sign_in() {
    for t in spawn_apps().await {
        let fire = org_of(&t, OrgKind::FireAndRescue).await;
        let (cookie, _) = sign_in(&t.router, "demo.firefighter").await;
        let token = api_token(&t.router, "demo.firefighter").await;
        let res = send(&t.router, json("GET", "/api/v1/me", Some(&token), "")).await;
        assert_eq!(res.status, StatusCode::OK);

        t.app
            .set_organisation_active(&system(), OrgId(fire), false)
            .await
            .unwrap();
        // The session and the token ended with the deactivation, which counts them.
        let res = send(&t.router, json("GET", "/api/v1/me", Some(&token), "")).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.body);
        let res = send(&t.router, get("/home", &[&cookie])).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        assert!(res.location().unwrap().starts_with("/sign-in"));
        let ev = events(&t, "organisation.deactivate").await;
        assert_eq!(
            ev[0].draft.reason.as_deref(),
            Some("sessions and API tokens ended: 2")
        );

        // Signing in again is refused with the reason, on the form and through the API, and audited.
        let form = send(&t.router, get("/sign-in", &[])).await;
        let csrf_cookie = form.set_cookie("concordat_csrf").unwrap();
        let csrf = csrf_in(&form.body);
        let res = send(
            &t.router,
            post_form(
                "/sign-in",
                &[&csrf_cookie],
                &[
                    ("username", "demo.firefighter"),
                    ("password", PASSWORD),
                    ("csrf", &csrf),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
        assert!(res.body.contains("<title>Error: "), "{}", res.body);
        assert!(res.body.contains("has been deactivated"), "{}", res.body);
        assert!(res.set_cookie("concordat_session").is_none());
        let body = format!(r#"{{"username":"demo.firefighter","password":"{PASSWORD}"}}"#);
        let res = send(&t.router, json("POST", "/api/v1/sessions", None, &body)).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
        assert!(res.body.contains("has been deactivated"));
        let refusals: Vec<_> = events(&t, "user.sign_in")
            .await
            .into_iter()
            .filter(|e| e.draft.reason.as_deref() == Some("organisation deactivated"))
            .collect();
        assert_eq!(refusals.len(), 2);
        // A wrong password still says only that the credentials are wrong.
        let res = send(
            &t.router,
            json(
                "POST",
                "/api/v1/sessions",
                None,
                r#"{"username":"demo.firefighter","password":"not the password at all"}"#,
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);

        // Staff of other organisations are untouched; reactivated, the firefighter signs in again.
        let res = send(
            &t.router,
            json(
                "GET",
                "/api/v1/me",
                Some(&api_token(&t.router, "demo.paramedic").await),
                "",
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK);
        t.app
            .set_organisation_active(&system(), OrgId(fire), true)
            .await
            .unwrap();
        sign_in(&t.router, "demo.firefighter").await;
    }
}

#[tokio::test]
async fn crisis_operations_forms_and_links_follow_the_policy() {
    for t in spawn_apps().await {
        for (user, role) in [
            ("demo.responder", Role::Responder),
            ("demo.triage", Role::TriageClinician),
            ("demo.crisis", Role::CrisisClinician),
            ("demo.pos", Role::PlaceOfSafetyCoordinator),
            ("demo.analyst", Role::Analyst),
            ("demo.alliance", Role::AllianceCoordinator),
            ("demo.member", Role::AllianceMember),
            ("demo.ebe", Role::ExpertByExperience),
            ("demo.privacy", Role::PrivacyOfficer),
            ("demo.admin", Role::Administrator),
        ] {
            let (cookie, _) = sign_in(&t.router, user).await;
            let home = send(&t.router, get("/home", &[&cookie])).await;
            assert_eq!(home.status, StatusCode::OK);
            for (action, form, link, marker) in [
                (
                    Action::RecordContact,
                    "/contacts/new",
                    "href=\"/contacts\"",
                    "action=\"/contacts\"",
                ),
                (
                    Action::RecordDetention,
                    "/episodes/new",
                    "href=\"/board\"",
                    "action=\"/episodes\"",
                ),
                (
                    Action::ExportReturns,
                    "/exports",
                    "href=\"/exports\"",
                    "action=\"/exports/home-office.csv\"",
                ),
            ] {
                let allowed = may(role, action);
                assert_eq!(home.body.contains(link), allowed, "{user} {link}");
                let res = send(&t.router, get(form, &[&cookie])).await;
                // The form is there exactly when the role may submit it; otherwise 403 with the reason.
                assert_eq!(res.body.contains(marker), allowed, "{user} {form}");
                if allowed {
                    assert_eq!(res.status, StatusCode::OK, "{user} {form}");
                } else {
                    assert_eq!(res.status, StatusCode::FORBIDDEN, "{user} {form}");
                    assert!(
                        res.body.contains("your role cannot do this"),
                        "{user} {form}"
                    );
                }
            }
            if may(role, Action::RecordContact) {
                let res = send(&t.router, get("/contacts", &[&cookie])).await;
                assert!(res.body.contains("href=\"/contacts/new\""), "{user}");
            }
            if may(role, Action::RecordDetention) {
                let res = send(&t.router, get("/board", &[&cookie])).await;
                assert!(res.body.contains("href=\"/episodes/new\""), "{user}");
            }
        }
    }
}
