//! Configuration: precedence (flag > environment > file > default), every error named with its key
//! (and line), unknown keys refused, the example file accepted, and the settings that change what is
//! served (Secure cookies, HSTS, the public address) on and off, through `Application::build`.

use crate::harness::{get, post_form, send, spawn_configured, test_config};
use axum::http::StatusCode;
use concordat_web::config::{
    Config, ConfigError, ConfigErrors, Origin, Override, SETTINGS, Sources,
};
use concordat_web::{Application, Config as ReExported};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

const EXAMPLE: &str = include_str!("../../../../docs/concordat.example.toml");

fn file(name: &str, text: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!(
        "concordat_cfg_{}_{name}.toml",
        uuid::Uuid::new_v4()
    ));
    std::fs::write(&p, text).unwrap();
    p
}

fn load(
    path: Option<&Path>,
    env: &[(&str, &str)],
    flags: &[(&'static str, &'static str, &str)],
) -> Result<Config, ConfigErrors> {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let lookup = move |k: &str| env.get(k).cloned();
    Config::load(&Sources {
        file: path.map(Path::to_path_buf),
        config_env: true,
        env: &lookup,
        flags: flags
            .iter()
            .map(|(key, flag, value)| Override {
                key,
                flag,
                value: value.to_string(),
            })
            .collect(),
    })
}

const REQUIRED: &str = "[server]\nsecret_key_file = \"/k\"\n[database]\nurl = \"sqlite:/x.db\"\n";

fn errors_of(r: Result<Config, ConfigErrors>) -> Vec<ConfigError> {
    match r {
        Ok(c) => panic!("expected errors, got {c:?}"),
        Err(e) => e.0,
    }
}

fn has(errors: &[ConfigError], key: &str) -> bool {
    errors.iter().any(|e| e.key.as_deref() == Some(key))
}

#[test]
fn the_example_file_is_accepted() {
    let path = Path::new("docs/concordat.example.toml");
    let cfg = Config::from_toml(path, EXAMPLE).unwrap_or_else(|e| panic!("{e}"));
    assert!(cfg.server.secure_cookies);
    assert_eq!(cfg.server.hsts_max_age_seconds, 31_536_000);
    assert_eq!(
        cfg.server.public_url.as_deref(),
        Some("https://concordat.example.org")
    );
    assert_eq!(cfg.server.trusted_proxies.len(), 2);
    assert_eq!(cfg.sessions.idle_minutes, 30);
    assert_eq!(
        cfg.log.format,
        concordat_web::config::LogFormat::Json,
        "the example asks for JSON logs"
    );
    // The example's other values are the defaults, so serving with it changes nothing else.
    let app = cfg.app_config(None);
    let d = concordat_app::AppConfig::default();
    assert_eq!(app.session_idle, d.session_idle);
    assert_eq!(app.session_absolute, d.session_absolute);
    assert_eq!(app.bearer_ttl, d.bearer_ttl);
    assert_eq!(app.throttle_window, d.throttle_window);
    assert_eq!(app.max_failures_per_account, d.max_failures_per_account);
    assert_eq!(app.account_lock_window, d.account_lock_window);
    // Every setting is in the example, so it documents them all.
    for s in SETTINGS {
        let leaf = s.key.rsplit('.').next().unwrap();
        assert!(EXAMPLE.contains(leaf), "{} is not in the example", s.key);
        assert!(EXAMPLE.contains(s.env), "{} is not in the example", s.env);
    }
    // Through a file on disk too, as `serve --config` reads it.
    let p = file("example", EXAMPLE);
    assert!(load(Some(&p), &[], &[]).is_ok());
}

#[test]
fn a_flag_beats_the_environment_which_beats_the_file_which_beats_the_default() {
    let text = "[server]\nsecret_key_file = \"/k\"\nlisten = \"127.0.0.1:1001\"\n[database]\nurl = \"sqlite:/x.db\"\n[sessions]\nidle_minutes = 11\n";
    let p = file("precedence", text);

    let none = load(Some(&p), &[], &[]).unwrap();
    assert_eq!(none.server.listen, "127.0.0.1:1001");
    assert_eq!(none.sessions.idle_minutes, 11);
    assert_eq!(none.sessions.absolute_hours, 12, "the default");
    assert_eq!(none.origin("sessions.absolute_hours"), Origin::Default);
    assert!(matches!(
        none.origin("server.listen"),
        Origin::File { line: 3, .. }
    ));

    let env = [
        ("CONCORDAT_LISTEN", "127.0.0.1:1002"),
        ("CONCORDAT_SESSION_IDLE_MINUTES", "22"),
        ("CONCORDAT_METRICS", "1"),
    ];
    let with_env = load(Some(&p), &env, &[]).unwrap();
    assert_eq!(with_env.server.listen, "127.0.0.1:1002");
    assert_eq!(with_env.sessions.idle_minutes, 22);
    assert!(with_env.metrics.enabled);
    assert_eq!(
        with_env.origin("server.listen"),
        Origin::Env("CONCORDAT_LISTEN".into())
    );

    let with_flag = load(
        Some(&p),
        &env,
        &[("server.listen", "--listen", "127.0.0.1:1003")],
    )
    .unwrap();
    assert_eq!(with_flag.server.listen, "127.0.0.1:1003");
    assert_eq!(
        with_flag.sessions.idle_minutes, 22,
        "no flag: the environment"
    );
    assert_eq!(with_flag.origin("server.listen"), Origin::Flag("--listen"));

    // CONCORDAT_CONFIG names the file when --config is not given.
    let p2 = p.display().to_string();
    let via_env = load(None, &[("CONCORDAT_CONFIG", &p2)], &[]).unwrap();
    assert_eq!(via_env.server.listen, "127.0.0.1:1001");

    // No file at all: the defaults, and the two required settings from the environment.
    let bare = load(
        None,
        &[
            ("CONCORDAT_DATABASE_URL", "sqlite:/y.db"),
            ("CONCORDAT_SECRET_KEY_FILE", "/k"),
        ],
        &[],
    )
    .unwrap();
    assert_eq!(bare.server.listen, "127.0.0.1:8080");
    assert!(!bare.server.secure_cookies && bare.server.hsts_max_age_seconds == 0);
    assert_eq!(bare.housekeeping.interval_minutes, 60);
    let _: &ReExported = &bare;
}

#[test]
fn every_setting_with_a_bad_value_is_an_error_naming_its_key_and_line() {
    // One file with every setting wrong (an inline table fits none of them): all reported at once.
    let mut text = String::new();
    let mut section = "";
    let mut lines = HashMap::new();
    for s in SETTINGS {
        let (sec, leaf) = s.key.split_once('.').unwrap();
        if sec != section {
            text.push_str(&format!("[{sec}]\n"));
            section = sec;
        }
        text.push_str(&format!("{leaf} = {{ wrong = 1 }}\n"));
        lines.insert(s.key, text.lines().count());
    }
    let p = file("every", &text);
    let errors = errors_of(load(Some(&p), &[], &[]));
    for s in SETTINGS {
        let e = errors
            .iter()
            .find(|e| e.key.as_deref() == Some(s.key))
            .unwrap_or_else(|| panic!("no error names {}: {errors:?}", s.key));
        assert_eq!(
            e.origin,
            Origin::File {
                path: p.clone(),
                line: lines[s.key]
            },
            "{e}"
        );
        let shown = e.to_string();
        assert!(shown.starts_with(s.key), "{shown}");
        assert!(shown.contains(&format!("line {}", lines[s.key])), "{shown}");
    }
}

#[test]
fn bad_values_from_the_environment_and_flags_name_the_key_and_where_they_came_from() {
    let p = file("env", REQUIRED);
    let errors = errors_of(load(
        Some(&p),
        &[
            ("CONCORDAT_SESSION_IDLE_MINUTES", "half an hour"),
            ("CONCORDAT_METRICS", "perhaps"),
            ("CONCORDAT_TRUSTED_PROXIES", "10.0.0.0/8,proxy.example"),
            ("CONCORDAT_LOG_FORMAT", "xml"),
            ("CONCORDAT_DB_POOL", "0"),
        ],
        &[
            ("server.listen", "--listen", "8080"),
            (
                "database.url",
                "--database-url",
                "postgress://u:hunter2@h/d",
            ),
        ],
    ));
    let find = |key: &str| {
        errors
            .iter()
            .find(|e| e.key.as_deref() == Some(key))
            .unwrap_or_else(|| panic!("no error names {key}: {errors:?}"))
            .to_string()
    };
    assert!(find("sessions.idle_minutes").contains("CONCORDAT_SESSION_IDLE_MINUTES"));
    assert!(find("metrics.enabled").contains("true or false"));
    assert!(find("server.trusted_proxies").contains("proxy.example"));
    assert!(find("log.format").contains("\"xml\""));
    assert!(find("database.pool_size").contains("from 1 to 1000"));
    assert!(find("server.listen").contains("from --listen"));
    let url = find("database.url");
    assert!(url.contains("not understood"), "{url}");
    assert!(
        !url.contains("hunter2"),
        "the password is never shown: {url}"
    );
    assert_eq!(errors.len(), 7, "{errors:?}");
}

#[test]
fn unknown_keys_are_refused_with_a_suggestion() {
    let text = format!(
        "{REQUIRED}[sessions]\nidel_minutes = 5\n[colour]\nscheme = \"dark\"\n[smtp]\nhost = \"mail\"\n"
    );
    let p = file("unknown", &text);
    let errors = errors_of(load(Some(&p), &[], &[]));
    let typo = errors
        .iter()
        .find(|e| e.key.as_deref() == Some("sessions.idel_minutes"))
        .unwrap_or_else(|| panic!("{errors:?}"));
    assert!(
        matches!(typo.origin, Origin::File { line: 6, .. }),
        "{typo}"
    );
    assert!(
        typo.message
            .contains("did you mean `sessions.idle_minutes`"),
        "{typo}"
    );
    assert!(has(&errors, "colour.scheme"), "{errors:?}");
    // The [smtp] section exists but defines no settings yet: anything in it is refused, with its line.
    let smtp = errors
        .iter()
        .find(|e| e.key.as_deref() == Some("smtp"))
        .unwrap_or_else(|| panic!("{errors:?}"));
    assert!(smtp.message.contains("host"), "{smtp}");
    assert!(
        matches!(smtp.origin, Origin::File { line: 10, .. }),
        "{smtp}"
    );

    let oidc = format!("{REQUIRED}[[oidc.providers]]\nissuer = \"https://idp\"\n");
    let errors = errors_of(Config::from_toml(Path::new("o.toml"), &oidc));
    assert!(has(&errors, "oidc"), "{errors:?}");
    // A provider needs its own settings (docs/sso.md); one with them is read.
    let empty = format!("{REQUIRED}[[oidc.providers]]\n");
    let errors = errors_of(Config::from_toml(Path::new("o.toml"), &empty));
    assert!(
        errors
            .iter()
            .any(|e| e.message.contains("missing field `id`")),
        "{errors:?}"
    );
    let ok = format!(
        "{REQUIRED}[smtp]\n[[oidc.providers]]\nid = \"keycloak\"\ndisplay_name = \"Keycloak\"\nissuer_url = \"https://idp.example.org/realms/nhs\"\nclient_id = \"concordat\"\nredirect_url = \"https://concordat.example.org/sign-in/oidc/callback\"\n"
    );
    let cfg = Config::from_toml(Path::new("o.toml"), &ok).unwrap();
    assert!(cfg.smtp.is_some());
    assert_eq!(cfg.oidc.providers.len(), 1);
    assert_eq!(cfg.oidc.providers[0].match_claim, "sub");
}

#[test]
fn syntax_errors_give_the_line() {
    let text = "[server]\nlisten = \"127.0.0.1:8080\"\nsecure_cookies = yes\n";
    let errors = errors_of(Config::from_toml(Path::new("bad.toml"), text));
    assert!(!errors.is_empty());
    assert!(
        errors
            .iter()
            .all(|e| e.key.is_none() && matches!(e.origin, Origin::File { line: 3, .. })),
        "{errors:?}"
    );
    assert!(
        errors[0].to_string().contains("bad.toml, line 3"),
        "{}",
        errors[0]
    );
}

#[test]
fn settings_that_contradict_each_other_or_are_missing_are_named() {
    let errors = errors_of(Config::from_toml(Path::new("e.toml"), ""));
    assert!(has(&errors, "database.url") && has(&errors, "server.secret_key_file"));
    assert!(
        errors
            .iter()
            .any(|e| e.to_string().contains("--secret-key-file"))
    );
    let text = "[server]\nsecret_key_file = \"/k\"\nhsts_max_age_seconds = 600\npublic_url = \"http://c.example\"\n[database]\nurl = \"sqlite:/x.db\"\n[sessions]\nidle_minutes = 600\nabsolute_hours = 8\n";
    let errors = errors_of(Config::from_toml(Path::new("c.toml"), text));
    assert!(has(&errors, "server.hsts_max_age_seconds"), "{errors:?}");
    assert!(has(&errors, "sessions.idle_minutes"), "{errors:?}");
    let text = text.replace("[database]", "secure_cookies = true\n[database]");
    let errors = errors_of(Config::from_toml(Path::new("c.toml"), &text));
    assert!(has(&errors, "server.public_url"), "{errors:?}");
    assert!(!has(&errors, "server.hsts_max_age_seconds"), "{errors:?}");
}

#[test]
fn the_printed_configuration_hides_passwords() {
    let text = "[server]\nsecret_key_file = \"/k\"\n[database]\nurl = \"postgres://concordat:hunter2@db.example.org/concordat\"\n";
    let cfg = Config::from_toml(Path::new("p.toml"), text).unwrap();
    let shown = cfg.render();
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(
        shown.contains("postgres://concordat:***@db.example.org/concordat"),
        "{shown}"
    );
    assert!(!format!("{cfg:?}").contains("hunter2"));
    // What is printed is itself a configuration file that loads to the same values.
    let again = Config::from_toml(Path::new("again.toml"), &shown.replace("***", "x")).unwrap();
    assert_eq!(again.server.listen, cfg.server.listen);
    assert_eq!(again.sessions.idle_minutes, cfg.sessions.idle_minutes);
}

/// Secure cookies and HSTS only when configured; redirects stay relative behind a proxy; an
/// invitation link uses the configured public address.
#[tokio::test]
async fn secure_cookies_and_hsts_on_and_off() {
    let small = concordat_demo::DemoParams {
        residents: 2_000,
        years: 1,
        ..Default::default()
    };
    for (on, apps) in [
        (false, spawn_configured(&small, |_| {}).await),
        (
            true,
            spawn_configured(&small, |c| {
                c.server.secure_cookies = true;
                c.server.hsts_max_age_seconds = 31_536_000;
                c.server.public_url = Some("https://concordat.example.org".into());
            })
            .await,
        ),
    ] {
        for t in apps {
            let form = send(&t.router, get("/sign-in", &[])).await;
            let hsts = form
                .headers
                .get("strict-transport-security")
                .map(|v| v.to_str().unwrap().to_string());
            let csrf_cookie = form
                .headers
                .get_all("set-cookie")
                .iter()
                .map(|v| v.to_str().unwrap().to_string())
                .find(|v| v.starts_with("concordat_csrf="))
                .unwrap();
            let csrf = crate::harness::csrf_in(&form.body);
            let mut req = post_form(
                "/sign-in",
                &[csrf_cookie.split(';').next().unwrap()],
                &[
                    ("username", "demo.admin"),
                    ("password", crate::harness::PASSWORD),
                    ("csrf", &csrf),
                ],
            );
            // What nginx adds: the redirect must not be built from these.
            req.headers_mut()
                .insert("x-forwarded-proto", "http".parse().unwrap());
            req.headers_mut()
                .insert("x-forwarded-host", "evil.example".parse().unwrap());
            let signed = send(&t.router, req).await;
            let location = signed.location().unwrap_or_default().to_string();
            let session_cookie = signed
                .headers
                .get_all("set-cookie")
                .iter()
                .map(|v| v.to_str().unwrap().to_string())
                .find(|v| v.starts_with("concordat_session="))
                .unwrap_or_default();
            if on {
                assert_eq!(hsts.as_deref(), Some("max-age=31536000"));
                assert!(csrf_cookie.contains("; Secure"), "{csrf_cookie}");
                assert!(session_cookie.contains("; Secure"), "{session_cookie}");
                let health = send(&t.router, get("/healthz", &[])).await;
                assert!(health.headers.contains_key("strict-transport-security"));
            } else {
                assert_eq!(hsts, None);
                assert!(!csrf_cookie.contains("Secure"), "{csrf_cookie}");
                assert!(!session_cookie.contains("Secure"), "{session_cookie}");
            }
            assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
            assert!(location.starts_with('/'), "relative: {location}");
            // The invitation link: on the public address when configured, else the request's host.
            let session = session_cookie.split(';').next().unwrap().to_string();
            let home = send(&t.router, get("/home", &[&session])).await;
            let csrf = crate::harness::csrf_in(&home.body);
            let trust = t
                .app
                .organisations()
                .await
                .unwrap()
                .into_iter()
                .find(|o| o.kind == concordat_domain::OrgKind::MentalHealthTrust)
                .unwrap()
                .id
                .0
                .to_string();
            let mut req = post_form(
                "/admin/invitations",
                &[&session],
                &[
                    ("csrf", &csrf),
                    ("display_name", "Sam Okafor"),
                    ("org_id", &trust),
                    ("role", "triage_clinician"),
                    ("days", "7"),
                ],
            );
            req.headers_mut()
                .insert("host", "concordat.internal:8080".parse().unwrap());
            let invited = send(&t.router, req).await;
            assert_eq!(invited.status, StatusCode::CREATED, "{}", invited.body);
            let expected = if on {
                "https://concordat.example.org/invite?"
            } else {
                "http://concordat.internal:8080/invite?"
            };
            assert!(invited.body.contains(expected), "{}", invited.body);
        }
    }
}

/// `Application::build` from a configuration: it listens on the configured address (port 0: any),
/// answers over real TCP, and stops when its shutdown handle is used.
#[tokio::test]
async fn the_application_serves_and_shuts_down() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (url, store) = concordat_store::testing::fresh_sqlite_url_with(None)
        .await
        .unwrap();
    store.close().await;
    let mut cfg = test_config(&url);
    cfg.server.hsts_max_age_seconds = 60;
    cfg.server.secure_cookies = true;
    let application = Application::build(&cfg).await.unwrap();
    let addr = application.addr();
    assert_ne!(addr.port(), 0);
    let stop = application.shutdown_handle();
    let running = tokio::spawn(application.run());
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).await.unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(
        resp.to_ascii_lowercase()
            .contains("strict-transport-security: max-age=60"),
        "{resp}"
    );
    stop.shutdown();
    tokio::time::timeout(std::time::Duration::from_secs(10), running)
        .await
        .expect("it stops")
        .unwrap()
        .unwrap();

    // A missing key file is refused before the database is touched.
    let mut bad = test_config("sqlite:/no/such/dir/never.db");
    bad.server.secret_key_file = Some("/no/such/concordat.key".into());
    let err = Application::build(&bad).await.unwrap_err();
    assert!(err.contains("cannot read the secret key file"), "{err}");
}
