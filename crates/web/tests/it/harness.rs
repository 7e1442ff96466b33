use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use concordat_app::{App, AppConfig};
use concordat_domain::OrgKind;
use concordat_domain::audit::AuditEvent;
use concordat_domain::policy::Actor;
use concordat_store::Store;
use concordat_web::{Application, Config};
use http_body_util::BodyExt;
use tower::ServiceExt;

pub const PASSWORD: &str = "harbour kettle violet";

pub struct TestApp {
    pub router: Router,
    pub app: App,
    pub store: Store,
}

/// A router over a fresh database with a small synthetic region (every demo user has PASSWORD).
/// Runs against PostgreSQL too when CONCORDAT_TEST_POSTGRES_URL is set.
pub async fn spawn_apps() -> Vec<TestApp> {
    spawn_apps_with(&concordat_demo::DemoParams {
        residents: 5_000,
        years: 1,
        ..Default::default()
    })
    .await
}

/// As [`spawn_apps`], over a region generated from `params`.
pub async fn spawn_apps_with(params: &concordat_demo::DemoParams) -> Vec<TestApp> {
    spawn_configured(params, |_| {}).await
}

/// A secret key file readable by its owner only, as `serve` demands.
pub fn key_file() -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("concordat_test_{}.key", uuid::Uuid::new_v4()));
    let mut bytes = Vec::with_capacity(32);
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    std::fs::write(&path, &bytes).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    path
}

/// The configuration the tests serve with: `url`'s database, a fresh key, any free port, no housekeeping.
pub fn test_config(url: &str) -> Config {
    let mut cfg = Config::default();
    cfg.database.url = Some(url.to_string());
    cfg.server.secret_key_file = Some(key_file());
    cfg.server.listen = "127.0.0.1:0".into();
    cfg.housekeeping.interval_minutes = 0;
    cfg
}

/// As [`spawn_apps_with`], with the configuration changed by `edit`: each app is built by
/// `Application::build`, as `concordat serve` builds it, over a database holding the region.
pub async fn spawn_configured(
    params: &concordat_demo::DemoParams,
    edit: impl Fn(&mut Config),
) -> Vec<TestApp> {
    let mut out = Vec::new();
    for (url, store) in concordat_store::testing::all_backend_urls().await.unwrap() {
        let mut cfg = test_config(&url);
        edit(&mut cfg);
        let key_path = cfg.server.secret_key_file.clone().unwrap();
        let loader = App::new(
            store.clone(),
            AppConfig {
                secret_key: Some(concordat_app::secret::SecretKey::load(&key_path).unwrap()),
                ..AppConfig::default()
            },
        );
        let region = concordat_demo::generate(params);
        loader.load_demo(&region, PASSWORD).await.unwrap();
        store.close().await;
        let application = Application::build(&cfg).await.unwrap();
        let app = application.app().clone();
        out.push(TestApp {
            router: application.router(),
            store: app.store.clone(),
            app,
        });
    }
    out
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(|v| v.split(';').next().unwrap_or("").to_string())
    }
    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }
}

pub async fn send(router: &Router, req: Request<Body>) -> Resp {
    let res: Response<Body> = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

pub fn get(uri: &str, cookies: &[&str]) -> Request<Body> {
    let mut b = Request::get(uri);
    if !cookies.is_empty() {
        b = b.header(header::COOKIE, cookies.join("; "));
    }
    b.body(Body::empty()).unwrap()
}

pub fn post_form(uri: &str, cookies: &[&str], form: &[(&str, &str)]) -> Request<Body> {
    let body: String = form
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let mut b =
        Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if !cookies.is_empty() {
        b = b.header(header::COOKIE, cookies.join("; "));
    }
    b.body(Body::from(body)).unwrap()
}

pub fn json(method: &str, uri: &str, token: Option<&str>, body: &str) -> Request<Body> {
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    b.body(Body::from(body.to_string())).unwrap()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn csrf_in(html: &str) -> String {
    let i =
        html.find("name=\"csrf\" value=\"").expect("a csrf field") + "name=\"csrf\" value=\"".len();
    html[i..].split('"').next().unwrap().to_string()
}

/// Signs in through the form; returns the session cookie ("concordat_session=…") and the page's CSRF token.
pub async fn sign_in(router: &Router, username: &str) -> (String, String) {
    let form = send(router, get("/sign-in", &[])).await;
    let csrf_cookie = form.set_cookie("concordat_csrf").unwrap();
    let csrf = csrf_in(&form.body);
    let res = send(
        router,
        post_form(
            "/sign-in",
            &[&csrf_cookie],
            &[
                ("username", username),
                ("password", PASSWORD),
                ("csrf", &csrf),
            ],
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let session = res.set_cookie("concordat_session").unwrap();
    let home = send(router, get("/home", &[&session])).await;
    (session, csrf_in(&home.body))
}

pub async fn api_token(router: &Router, username: &str) -> String {
    let body = format!(r#"{{"username":"{username}","password":"{PASSWORD}"}}"#);
    let res = send(router, json("POST", "/api/v1/sessions", None, &body)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let v: serde_json::Value = serde_json::from_str(&res.body).unwrap();
    v["token"].as_str().unwrap().to_string()
}

pub async fn audit_count(store: &Store) -> i64 {
    let mut tx = store.begin().await.unwrap();
    tx.audit_head().await.unwrap().0
}

pub fn system() -> Actor {
    Actor::system("test")
}

/// The id of the first organisation of a kind.
pub async fn org_of(t: &TestApp, kind: OrgKind) -> i64 {
    let mut tx = t.store.begin().await.unwrap();
    tx.org_list()
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.kind == kind)
        .unwrap()
        .id
        .0
}

/// A person created through the API by `user`, so owned by that user's organisation.
pub async fn person_of(t: &TestApp, user: &str, given: &str, family: &str) -> i64 {
    let token = api_token(&t.router, user).await;
    let body = format!(
        r#"{{"given_name":"{given}","family_name":"{family}","date_of_birth":"1990-05-06"}}"#
    );
    let res = send(
        &t.router,
        json("POST", "/api/v1/people", Some(&token), &body),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let v: serde_json::Value = serde_json::from_str(&res.body).unwrap();
    v["id"].as_i64().unwrap()
}

/// The newest 1,000 audit events that name the person.
pub async fn events_of(t: &TestApp, person: i64) -> Vec<AuditEvent> {
    let mut tx = t.store.begin().await.unwrap();
    let filter = concordat_store::AuditFilter {
        person_id: Some(person),
        limit: 1000,
        ..Default::default()
    };
    tx.audit_search(&filter).await.unwrap()
}

/// The audit events with this action, oldest first.
pub async fn events_named(t: &TestApp, action: &str) -> Vec<concordat_domain::audit::AuditEvent> {
    let mut tx = t.store.begin().await.unwrap();
    let mut found: Vec<_> = tx
        .audit_search(&concordat_store::AuditFilter {
            limit: 10_000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.draft.action == action)
        .collect();
    found.sort_by_key(|e| e.seq);
    found
}

/// Accepts an invitation link through the form; returns the response.
pub async fn accept(
    t: &TestApp,
    token: &str,
    username: &str,
    password: &str,
    confirm: &str,
) -> Resp {
    let form = send(&t.router, get(&format!("/invite?token={token}"), &[])).await;
    let cookie = form.set_cookie("concordat_csrf").unwrap();
    // Double-submit: the form's token is the cookie's value (a dead link's page has no form).
    let csrf = cookie.split_once('=').unwrap().1.to_string();
    send(
        &t.router,
        post_form(
            "/invite",
            &[&cookie],
            &[
                ("csrf", &csrf),
                ("token", token),
                ("username", username),
                ("password", password),
                ("confirm", confirm),
            ],
        ),
    )
    .await
}
