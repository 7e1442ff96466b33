//! Sign-in hardening through the router: MFA codes limited apart from passwords and never replayed,
//! throttles that cannot be aimed at a named clinician, trusted proxies, and TOTP secrets encrypted at rest.

use crate::harness::*;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use concordat_app::admin::NewUser;
use concordat_domain::model::UserId;
use concordat_domain::{OrgKind, Role};
use concordat_store::AuditFilter;
use std::net::SocketAddr;

/// The request as if it came from `peer`, with an optional X-Forwarded-For header.
fn from(mut req: Request<Body>, peer: &str, xff: Option<&str>) -> Request<Body> {
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::new(peer.parse().unwrap(), 40_000)));
    if let Some(x) = xff {
        req.headers_mut()
            .insert("x-forwarded-for", x.parse().unwrap());
    }
    req
}

/// A CSRF cookie and token for the sign-in form.
async fn sign_in_form(t: &TestApp) -> (String, String) {
    let form = send(&t.router, get("/sign-in", &[])).await;
    (
        form.set_cookie("concordat_csrf").unwrap(),
        csrf_in(&form.body),
    )
}

fn form_sign_in(csrf: &(String, String), username: &str, password: &str) -> Request<Body> {
    post_form(
        "/sign-in",
        &[&csrf.0],
        &[
            ("username", username),
            ("password", password),
            ("csrf", &csrf.1),
        ],
    )
}

fn api_sign_in(username: &str, totp: Option<&str>) -> Request<Body> {
    let body = match totp {
        Some(code) => {
            format!(r#"{{"username":"{username}","password":"{PASSWORD}","totp":"{code}"}}"#)
        }
        None => format!(r#"{{"username":"{username}","password":"{PASSWORD}"}}"#),
    };
    json("POST", "/api/v1/sessions", None, &body)
}

fn now_secs() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap()
}

/// Adds a triage clinician and sets up TOTP through the browser; returns the user's id, the secret
/// and the time whose code confirmed the enrolment (so the next code to use is the next step's).
async fn enrolled_clinician(t: &TestApp, username: &str) -> (UserId, String, u64) {
    let trust = t
        .app
        .organisations()
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.kind == OrgKind::MentalHealthTrust)
        .unwrap();
    let id = t
        .app
        .add_user(
            &system(),
            &NewUser {
                username: username.into(),
                display_name: "Real Clinician".into(),
                org_name: trust.name,
                role: Role::TriageClinician,
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap();
    let csrf = sign_in_form(t).await;
    let res = send(&t.router, form_sign_in(&csrf, username, PASSWORD)).await;
    assert_eq!(res.location(), Some("/mfa/enrol"));
    let s = res.set_cookie("concordat_session").unwrap();
    let page = send(&t.router, get("/mfa/enrol", &[&s])).await;
    let secret = page
        .body
        .split("class=\"secret\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    let at = now_secs();
    let code = concordat_app::auth::totp_at(&secret, at).unwrap();
    let ok = send(
        &t.router,
        post_form(
            "/mfa/enrol",
            &[&s],
            &[("code", &code), ("csrf", &csrf_in(&page.body))],
        ),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    (id, secret, at)
}

/// The next 30-second step's code (the current one was used at enrolment).
fn next_code(secret: &str) -> String {
    concordat_app::auth::totp_at(secret, now_secs() + 30).unwrap()
}

async fn audit_reasons(t: &TestApp, user: UserId, action: &str) -> Vec<String> {
    let mut tx = t.store.begin().await.unwrap();
    tx.audit_search(&AuditFilter {
        user_id: Some(user.0),
        limit: 500,
        ..Default::default()
    })
    .await
    .unwrap()
    .into_iter()
    .filter(|e| e.draft.action == action)
    .map(|e| e.draft.reason.unwrap_or_default())
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_mfa_codes_are_limited_whatever_passwords_succeed_and_refusals_are_audited() {
    for t in spawn_apps().await {
        let (id, secret, _) = enrolled_clinician(&t, "real.nurse").await;
        // The probe's sequence: wrong codes on the API, a right password on the web form in between.
        for _ in 0..3 {
            let res = send(&t.router, api_sign_in("real.nurse", Some("000000"))).await;
            assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.body);
        }
        let csrf = sign_in_form(&t).await;
        let res = send(&t.router, form_sign_in(&csrf, "real.nurse", PASSWORD)).await;
        assert_eq!(res.location(), Some("/sign-in/mfa"));
        let web_session = res.set_cookie("concordat_session").unwrap();
        for _ in 0..2 {
            let res = send(&t.router, api_sign_in("real.nurse", Some("000000"))).await;
            assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.body);
        }
        // Five wrong codes: now even the right code is refused, on the API and on the web form.
        let res = send(&t.router, api_sign_in("real.nurse", Some("000000"))).await;
        assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.body);
        assert!(res.headers.get("retry-after").is_some());
        assert!(res.body.contains("try again after"), "{}", res.body);
        let res = send(
            &t.router,
            api_sign_in("real.nurse", Some(&next_code(&secret))),
        )
        .await;
        assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.body);
        let page = send(&t.router, get("/sign-in/mfa", &[&web_session])).await;
        let res = send(
            &t.router,
            post_form(
                "/sign-in/mfa",
                &[&web_session],
                &[
                    ("code", &next_code(&secret)),
                    ("csrf", &csrf_in(&page.body)),
                ],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(res.body.contains("try again after"), "{}", res.body);
        // The refusals are in the audit trail.
        let refused = audit_reasons(&t, id, "user.sign_in")
            .await
            .into_iter()
            .filter(|r| r.contains("refused by throttling (too many wrong security codes)"))
            .count();
        assert_eq!(refused, 2, "both API refusals audited");
        assert!(
            audit_reasons(&t, id, "user.mfa_verify")
                .await
                .iter()
                .any(|r| r.contains("refused by throttling")),
            "the web refusal audited"
        );
        // Wrong codes count against the address too.
        let mut tx = t.store.begin().await.unwrap();
        assert!(tx.failures_get("address:unknown", 0).await.unwrap() >= 5);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_totp_code_is_accepted_once() {
    for t in spawn_apps().await {
        let (_, secret, at) = enrolled_clinician(&t, "real.medic").await;
        // The code used at enrolment cannot be used again.
        let used = concordat_app::auth::totp_at(&secret, at).unwrap();
        let res = send(&t.router, api_sign_in("real.medic", Some(&used))).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.body);
        let code = next_code(&secret);
        let res = send(&t.router, api_sign_in("real.medic", Some(&code))).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        for _ in 0..3 {
            let res = send(&t.router, api_sign_in("real.medic", Some(&code))).await;
            assert_eq!(
                res.status,
                StatusCode::UNAUTHORIZED,
                "replayed: {}",
                res.body
            );
        }
        // Nor on the web form.
        let csrf = sign_in_form(&t).await;
        let res = send(&t.router, form_sign_in(&csrf, "real.medic", PASSWORD)).await;
        let s = res.set_cookie("concordat_session").unwrap();
        let page = send(&t.router, get("/sign-in/mfa", &[&s])).await;
        let res = send(
            &t.router,
            post_form(
                "/sign-in/mfa",
                &[&s],
                &[("code", &code), ("csrf", &csrf_in(&page.body))],
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn totp_secrets_are_encrypted_at_rest_and_clear_ones_still_work_once() {
    for t in spawn_apps().await {
        let (id, secret, _) = enrolled_clinician(&t, "real.amhp").await;
        let mut tx = t.store.begin().await.unwrap();
        let stored = tx
            .user_credentials_by_id(id)
            .await
            .unwrap()
            .unwrap()
            .totp_secret
            .unwrap();
        assert!(stored.starts_with("v1:"), "{stored}");
        assert!(!stored.contains(&secret));
        // A secret stored in the clear before encryption still works, and is encrypted when used.
        tx.user_set_totp(id, Some(&secret), true, &[])
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let res = send(
            &t.router,
            api_sign_in("real.amhp", Some(&next_code(&secret))),
        )
        .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        let mut tx = t.store.begin().await.unwrap();
        let stored = tx
            .user_credentials_by_id(id)
            .await
            .unwrap()
            .unwrap()
            .totp_secret
            .unwrap();
        assert!(
            stored.starts_with("v1:") && !stored.contains(&secret),
            "{stored}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_from_one_address_do_not_lock_a_clinician_out_elsewhere() {
    for t in spawn_apps().await {
        let csrf = sign_in_form(&t).await;
        let attacker = "198.51.100.1";
        for _ in 0..5 {
            let res = send(
                &t.router,
                from(
                    form_sign_in(&csrf, "demo.crisis", "wrong password!"),
                    attacker,
                    None,
                ),
            )
            .await;
            assert_eq!(res.status, StatusCode::UNAUTHORIZED);
        }
        // The attacker's address is paused for this account, in any case of the username, and told until when.
        for name in ["demo.crisis", "DEMO.Crisis"] {
            let res = send(
                &t.router,
                from(form_sign_in(&csrf, name, PASSWORD), attacker, None),
            )
            .await;
            assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{name}");
            assert!(res.body.contains("try again after"), "{}", res.body);
        }
        // The clinician, elsewhere, signs in.
        let res = send(
            &t.router,
            from(
                form_sign_in(&csrf, "demo.crisis", PASSWORD),
                "203.0.113.5",
                None,
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        // Refusals are audited with the time to try again.
        let id = t
            .app
            .user_id_by_username(&system(), "demo.crisis")
            .await
            .unwrap()
            .unwrap();
        let reasons = audit_reasons(&t, id, "user.sign_in").await;
        assert_eq!(
            reasons
                .iter()
                .filter(|r| r.contains("for this account from this address) until"))
                .count(),
            2,
            "{reasons:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_addresses_lock_an_account_slowly_visibly_and_audited() {
    for t in spawn_apps().await {
        let csrf = sign_in_form(&t).await;
        // 50 wrong passwords from 10 addresses (5 each, under the per-address pause).
        for a in 0..10 {
            let addr = format!("198.51.100.{}", a + 10);
            for _ in 0..5 {
                let res = send(
                    &t.router,
                    from(
                        form_sign_in(&csrf, "demo.pos", "wrong password!"),
                        &addr,
                        None,
                    ),
                )
                .await;
                assert_eq!(res.status, StatusCode::UNAUTHORIZED);
            }
        }
        let res = send(
            &t.router,
            from(
                form_sign_in(&csrf, "demo.pos", PASSWORD),
                "203.0.113.77",
                None,
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(res.body.contains("try again after"), "{}", res.body);
        let id = t
            .app
            .user_id_by_username(&system(), "demo.pos")
            .await
            .unwrap()
            .unwrap();
        let locked = audit_reasons(&t, id, "user.locked").await;
        assert_eq!(locked.len(), 1, "{locked:?}");
        assert!(locked[0].contains("50 failed sign-ins from all addresses: locked until"));
        // An administrator sees the lock and until when; others may not look.
        let (admin, _) = sign_in(&t.router, "demo.admin").await;
        let page = send(&t.router, get("/admin/sign-in-locks", &[&admin])).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body
                .contains("<td>Account locked (all addresses)</td><td>demo.pos</td><td>50</td>"),
            "{}",
            page.body
        );
        let (analyst, _) = sign_in(&t.router, "demo.analyst").await;
        let page = send(&t.router, get("/admin/sign-in-locks", &[&analyst])).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        // Other accounts are unaffected.
        let res = send(
            &t.router,
            from(
                form_sign_in(&csrf, "demo.crisis", PASSWORD),
                "198.51.100.10",
                None,
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
    for t in spawn_apps().await {
        let router = concordat_web::router(concordat_web::AppState {
            app: t.app.clone(),
            cfg: concordat_web::WebConfig {
                secure_cookies: false,
                trusted_proxies: vec![concordat_web::Cidr::parse("10.0.0.0/8").unwrap()],
                ..Default::default()
            },
            demo: true,
        });
        let t = TestApp {
            router,
            app: t.app.clone(),
            store: t.store.clone(),
        };
        let csrf = sign_in_form(&t).await;
        let proxy = "10.0.0.2";
        for _ in 0..5 {
            let res = send(
                &t.router,
                from(
                    form_sign_in(&csrf, "demo.triage", "wrong password!"),
                    proxy,
                    Some("192.0.2.1, 198.51.100.7"),
                ),
            )
            .await;
            assert_eq!(res.status, StatusCode::UNAUTHORIZED);
        }
        // Through the proxy, the client is the right-most address that is not a proxy.
        let res = send(
            &t.router,
            from(
                form_sign_in(&csrf, "demo.triage", PASSWORD),
                proxy,
                Some("198.51.100.7"),
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
        // Another client behind the same proxy is not affected.
        let res = send(
            &t.router,
            from(
                form_sign_in(&csrf, "demo.triage", PASSWORD),
                proxy,
                Some("203.0.113.8"),
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        // A client that is not a proxy cannot claim another address.
        let res = send(
            &t.router,
            from(
                form_sign_in(&csrf, "demo.triage", PASSWORD),
                "198.51.100.7",
                Some("203.0.113.9"),
            ),
        )
        .await;
        assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    }
}
