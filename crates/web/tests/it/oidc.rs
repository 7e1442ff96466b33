//! Single sign-on against a real OpenID Connect provider: the `oidc-provider` npm package, started
//! on loopback by this test (tests/oidc/provider.mjs), never a mock. Concordat runs in-process
//! (the router over a fresh database, on both backends); the test plays the browser, following the
//! provider's redirects with its own cookie jar and handing the callback URL to the router.
//!
//! Refusals that a well-behaved provider never produces (an ID token for another client, an expired
//! one, a nonce this flow never sent, the previous sign-in's ID token) are provoked by the provider
//! script's test control, which alters that claim in the token response and re-signs the token with
//! the provider's own key: only the claim is wrong. A replayed state is the same callback URL twice.
//!
//! Needs node and `npm ci` in tests/oidc. Without them the test is skipped with a message, except in
//! CI (`CI=true`), where it fails.

use crate::harness::*;
use axum::Router;
use axum::http::StatusCode;
use concordat_app::admin::NewUser;
use concordat_app::auth::SessionKind;
use concordat_app::oidc::{OidcProviderConfig, OidcProviders};
use concordat_app::{App, AppConfig};
use concordat_domain::Role;
use concordat_domain::model::UserId;
use concordat_store::Store;
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

const REDIRECT: &str = "http://concordat.test/sign-in/oidc/callback";

struct Idp {
    child: Child,
    issuer: String,
    http: reqwest::Client,
}

impl Drop for Idp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn provider_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/oidc")
}

/// Starts the provider, or returns `None` (outside CI) when node or its modules are missing.
fn start_idp(secret: &str) -> Option<Idp> {
    let dir = provider_dir();
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    let missing = if !dir.join("node_modules/oidc-provider").is_dir() {
        Some("tests/oidc/node_modules is missing: run `npm ci` in tests/oidc")
    } else if Command::new("node").arg("--version").output().is_err() {
        Some("node is not installed")
    } else {
        None
    };
    if let Some(why) = missing {
        assert!(!ci, "the single sign-on test cannot run in CI: {why}");
        eprintln!("SKIPPED: the single sign-on test against oidc-provider: {why}");
        return None;
    }
    let mut child = Command::new("node")
        .arg("provider.mjs")
        .current_dir(&dir)
        .env("PORT", "0")
        .env("REDIRECT_URI", REDIRECT)
        .env("CLIENT_SECRET", secret)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node starts");
    let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    // Keep reading what the provider prints, so that it never writes to a closed pipe.
    std::thread::spawn(move || for _ in reader.lines() {});
    let issuer = line
        .trim()
        .strip_prefix("listening ")
        .unwrap_or_else(|| panic!("the provider did not start: {line:?}"))
        .to_string();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Some(Idp {
        child,
        issuer,
        http,
    })
}

impl Idp {
    async fn control(&self, path: &str, body: serde_json::Value) {
        let res = self
            .http
            .post(format!("{}{path}", self.issuer))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 204);
    }

    /// Plays the browser at the provider from the authorisation URL until it redirects back to
    /// Concordat; returns the callback's path and query.
    async fn authorise(&self, authorize_url: &str) -> String {
        let mut jar: BTreeMap<String, String> = BTreeMap::new();
        let mut url = authorize_url.to_string();
        for _ in 0..10 {
            if let Some(rest) = url.strip_prefix("http://concordat.test") {
                return rest.to_string();
            }
            let cookies: Vec<String> = jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let res = self
                .http
                .get(&url)
                .header("cookie", cookies.join("; "))
                .send()
                .await
                .unwrap();
            for v in res.headers().get_all("set-cookie") {
                let pair = v.to_str().unwrap().split(';').next().unwrap();
                if let Some((k, v)) = pair.split_once('=') {
                    jar.insert(k.trim().to_string(), v.to_string());
                }
            }
            let status = res.status();
            let Some(loc) = res
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_string())
            else {
                panic!(
                    "the provider answered {status} without a redirect: {}",
                    res.text().await.unwrap()
                );
            };
            url = if loc.starts_with('/') {
                format!("{}{loc}", self.issuer)
            } else {
                loc
            };
        }
        panic!("too many redirects at the provider");
    }
}

struct Sso {
    router: Router,
    app: App,
    store: Store,
}

async fn apps(idp: &Idp, secret_file: &std::path::Path) -> Vec<Sso> {
    let mut out = Vec::new();
    for store in concordat_store::testing::all_backends().await.unwrap() {
        let oidc = OidcProviders::from_configs(vec![OidcProviderConfig {
            id: "test-idp".into(),
            display_name: "Test NHS Login".into(),
            issuer_url: idp.issuer.clone(),
            client_id: "concordat".into(),
            client_secret_file: Some(secret_file.to_path_buf()),
            redirect_url: REDIRECT.into(),
            match_claim: "sub".into(),
            mfa_amr_values: vec!["mfa".into(), "hwk".into()],
            mfa_acr_values: vec![],
            request_acr_values: vec![],
            scopes: vec!["email".into()],
        }])
        .unwrap();
        let app = App::new(
            store.clone(),
            AppConfig {
                secret_key: Some(concordat_app::secret::SecretKey::generate()),
                oidc,
                ..AppConfig::default()
            },
        );
        let region = concordat_demo::generate(&concordat_demo::DemoParams {
            residents: 500,
            years: 1,
            ..Default::default()
        });
        app.load_demo(&region, PASSWORD).await.unwrap();
        let state = concordat_web::AppState {
            app: app.clone(),
            cfg: Default::default(),
            demo: true,
        };
        out.push(Sso {
            router: concordat_web::router(state),
            app,
            store,
        });
    }
    out
}

/// Starts a flow at Concordat (`GET /sign-in/with/test-idp`), goes through the provider signing in
/// `sub` with `amr`, and returns the callback (path and query) and the flow cookie.
async fn through_provider(
    t: &Sso,
    idp: &Idp,
    sub: &str,
    amr: &[&str],
    tamper: Option<&str>,
) -> (String, String) {
    idp.control(
        "/test/next-login",
        serde_json::json!({ "sub": sub, "amr": amr }),
    )
    .await;
    if let Some(mode) = tamper {
        idp.control("/test/tamper", serde_json::json!({ "mode": mode }))
            .await;
    }
    let start = send(&t.router, get("/sign-in/with/test-idp", &[])).await;
    assert_eq!(start.status, StatusCode::SEE_OTHER, "{}", start.body);
    let flow = start.set_cookie("concordat_oidc").expect("a flow cookie");
    let authorize = start.location().unwrap().to_string();
    assert!(authorize.starts_with(&idp.issuer), "{authorize}");
    for needed in [
        "code_challenge_method=S256",
        "state=",
        "nonce=",
        "scope=openid",
    ] {
        assert!(authorize.contains(needed), "{needed} in {authorize}");
    }
    (idp.authorise(&authorize).await, flow)
}

async fn audit_actions(store: &Store, user: UserId) -> Vec<(String, String, Option<String>)> {
    let mut tx = store.begin().await.unwrap();
    let mut events = tx
        .audit_by_action("user.sign_in.oidc", 0, 100)
        .await
        .unwrap();
    events.extend(tx.audit_by_action("user.sso_link", 0, 100).await.unwrap());
    events
        .into_iter()
        .filter(|e| e.draft.user_id == Some(user.0))
        .map(|e| {
            (
                e.draft.action,
                e.draft.outcome.code().to_string(),
                e.draft.reason,
            )
        })
        .collect()
}

async fn user_id(store: &Store, username: &str) -> UserId {
    let mut tx = store.begin_read().await.unwrap();
    tx.user_credentials(username)
        .await
        .unwrap()
        .unwrap()
        .user
        .id
}

fn token_of(cookie: &str) -> &str {
    cookie.split_once('=').unwrap().1
}

#[tokio::test]
async fn single_sign_on_against_a_real_provider() {
    let dir = std::env::temp_dir().join(format!("concordat-oidc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let secret = "a-client-secret-for-tests-only";
    let secret_file = dir.join("client-secret");
    std::fs::write(&secret_file, format!("{secret}\n")).unwrap();
    let Some(idp) = start_idp(secret) else {
        return;
    };
    for t in apps(&idp, &secret_file).await {
        let backend = t.store.backend();
        // ---- the sign-in page offers the provider
        let page = send(&t.router, get("/sign-in", &[])).await;
        assert!(
            page.body.contains("Sign in with Test NHS Login"),
            "{backend:?}"
        );

        // ---- an identity nobody linked is refused, with a plain message, and no account is made
        let (cb, flow) = through_provider(&t, &idp, "stranger-1", &["pwd", "mfa"], None).await;
        let res = send(&t.router, get(&cb, &[&flow])).await;
        assert_eq!(
            res.status,
            StatusCode::FORBIDDEN,
            "{backend:?}: {}",
            res.body
        );
        assert!(res.body.contains("<title>Error: Sign in"), "{}", res.body);
        assert!(
            res.body.contains(
                "is not linked to a Concordat account. Sign in with your username and password"
            ),
            "{}",
            res.body
        );
        assert!(res.set_cookie("concordat_session").is_none());

        // ---- a signed-in user links their identity at the provider from "Your account"
        let triage = user_id(&t.store, "demo.triage").await;
        let (session, csrf) = sign_in(&t.router, "demo.triage").await;
        let account = send(&t.router, get("/account/single-sign-on", &[&session])).await;
        assert_eq!(account.status, StatusCode::OK);
        assert!(account.body.contains("Link Test NHS Login"));
        idp.control(
            "/test/next-login",
            serde_json::json!({ "sub": "cis2-555000111", "amr": ["pwd", "mfa"] }),
        )
        .await;
        let start = send(
            &t.router,
            post_form(
                "/account/single-sign-on/test-idp",
                &[&session],
                &[("csrf", &csrf), ("op", "link")],
            ),
        )
        .await;
        assert_eq!(start.status, StatusCode::SEE_OTHER, "{}", start.body);
        let flow = start.set_cookie("concordat_oidc").unwrap();
        let cb = idp.authorise(start.location().unwrap()).await;
        let linked = send(&t.router, get(&cb, &[&flow, &session])).await;
        assert_eq!(linked.status, StatusCode::SEE_OTHER, "{}", linked.body);
        assert_eq!(linked.location(), Some("/account/single-sign-on?linked=1"));
        let shown = send(
            &t.router,
            get("/account/single-sign-on?linked=1", &[&session]),
        )
        .await;
        assert!(
            shown.body.contains("Your account is linked"),
            "{}",
            shown.body
        );
        assert!(shown.body.contains("Unlink Test NHS Login"));

        // ---- sign-in: session made, MFA satisfied by the provider's amr
        let (cb, flow) = through_provider(&t, &idp, "cis2-555000111", &["pwd", "mfa"], None).await;
        let res = send(&t.router, get(&cb, &[&flow])).await;
        assert_eq!(
            res.status,
            StatusCode::SEE_OTHER,
            "{backend:?}: {}",
            res.body
        );
        assert_eq!(res.location(), Some("/home"));
        let cookie = res.set_cookie("concordat_session").expect("a session");
        let ctx = t
            .app
            .resolve_session(token_of(&cookie), SessionKind::Cookie)
            .await
            .unwrap()
            .expect("a live session");
        assert_eq!(ctx.user.id, triage);
        assert!(ctx.mfa_passed, "amr mfa counts as MFA");
        let home = send(&t.router, get("/home", &[&cookie])).await;
        assert_eq!(home.status, StatusCode::OK);
        let events = audit_actions(&t.store, triage).await;
        assert!(
            events.iter().any(|(a, o, r)| a == "user.sign_in.oidc"
                && o == "allowed"
                && r.as_deref()
                    .is_some_and(|r| r.contains("MFA asserted by the provider (amr pwd mfa"))),
            "{events:?}"
        );
        assert!(
            events
                .iter()
                .any(|(a, o, _)| a == "user.sso_link" && o == "allowed")
        );

        // ---- a replayed state (the same callback again) is refused
        let again = send(&t.router, get(&cb, &[&flow])).await;
        assert_eq!(again.status, StatusCode::FORBIDDEN, "{}", again.body);
        assert!(
            again.body.contains("used already or has expired"),
            "{}",
            again.body
        );
        assert!(again.set_cookie("concordat_session").is_none());

        // ---- the callback without the browser's flow cookie is refused
        let (cb, _) = through_provider(&t, &idp, "cis2-555000111", &["pwd", "mfa"], None).await;
        let res = send(&t.router, get(&cb, &[])).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
        assert!(
            res.body.contains("started in another browser"),
            "{}",
            res.body
        );

        // ---- ID tokens with the wrong audience, expired, with another nonce, or replayed from the
        // previous sign-in: refused, and audited against the linked user where known
        for mode in ["wrong-aud", "expired", "other-nonce", "replay"] {
            let (cb, flow) =
                through_provider(&t, &idp, "cis2-555000111", &["pwd", "mfa"], Some(mode)).await;
            let res = send(&t.router, get(&cb, &[&flow])).await;
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{mode}: {}", res.body);
            assert!(
                res.body
                    .contains("could not be checked, so you are not signed in"),
                "{mode}: {}",
                res.body
            );
            assert!(res.set_cookie("concordat_session").is_none(), "{mode}");
        }

        // ---- without MFA asserted by the provider, Concordat's own MFA still applies
        let org = {
            let mut tx = t.store.begin_read().await.unwrap();
            tx.memberships_for_user(triage).await.unwrap()[0]
                .org_name
                .clone()
        };
        let fresh = t
            .app
            .add_user(
                &system(),
                &NewUser {
                    username: "sso.crisis".into(),
                    display_name: "Sso Crisis".into(),
                    org_name: org,
                    role: Role::CrisisClinician,
                    password: PASSWORD.into(),
                },
            )
            .await
            .unwrap();
        t.app
            .oidc_link_as_system("test-idp", "cis2-555000222", fresh)
            .await
            .unwrap();
        let (cb, flow) = through_provider(&t, &idp, "cis2-555000222", &["pwd"], None).await;
        let res = send(&t.router, get(&cb, &[&flow])).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        assert_eq!(
            res.location(),
            Some("/mfa/enrol"),
            "no amr mfa: enrol Concordat's own"
        );
        let cookie = res.set_cookie("concordat_session").unwrap();
        let ctx = t
            .app
            .resolve_session(token_of(&cookie), SessionKind::Cookie)
            .await
            .unwrap()
            .unwrap();
        assert!(!ctx.mfa_passed && ctx.mfa_outstanding());
        let people = send(&t.router, get("/people", &[&cookie])).await;
        assert_eq!(people.location(), Some("/mfa/enrol"), "nothing before MFA");

        // ---- a disabled user cannot sign in by single sign-on either
        {
            let mut tx = t.store.begin().await.unwrap();
            tx.user_set_disabled(fresh, true).await.unwrap();
            tx.commit().await.unwrap();
        }
        let (cb, flow) = through_provider(&t, &idp, "cis2-555000222", &["pwd", "mfa"], None).await;
        let res = send(&t.router, get(&cb, &[&flow])).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
        assert!(res.body.contains("account is disabled"), "{}", res.body);
        assert!(res.set_cookie("concordat_session").is_none());
        let events = audit_actions(&t.store, fresh).await;
        assert!(
            events.iter().any(|(a, o, r)| a == "user.sign_in.oidc"
                && o == "denied"
                && r.as_deref().is_some_and(|r| r.contains("account disabled"))),
            "{events:?}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
