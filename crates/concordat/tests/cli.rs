//! The binary's commands, run as a user would: migrate, user add (password from stdin), audit verify.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_concordat"))
}

fn temp_db(name: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("concordat_cli_{}_{name}.db", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

fn run(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn a_typo_in_the_database_url_never_creates_a_file() {
    let db = temp_db("typo");
    let url = format!("sqlite:{}", db.display());
    let (code, _, err) = run(&["audit", "verify", "--database-url", &url], None);
    assert_eq!(code, 1);
    assert!(err.contains("no SQLite database at"), "{err}");
    assert!(!db.exists());
    let key = key_file("typo", &[7u8; 32], 0o600);
    let (code, _, err) = run(
        &[
            "serve",
            "--database-url",
            "postgress://localhost/x",
            "--secret-key-file",
            key.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 1);
    assert!(err.contains("not understood"), "{err}");
}

/// A key file with these bytes and (on Unix) this mode.
fn key_file(name: &str, bytes: &[u8], mode: u32) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("concordat_cli_{}_{name}.key", std::process::id()));
    let _ = std::fs::remove_file(&p);
    std::fs::write(&p, bytes).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = mode;
    p
}

#[test]
fn serve_refuses_a_missing_short_or_shared_secret_key_before_starting() {
    let db = temp_db("keys");
    let url = format!("sqlite:{}", db.display());
    let (code, _, err) = run(&["migrate", "--create", "--database-url", &url], None);
    assert_eq!(code, 0, "{err}");
    let serve = |key: &str| {
        run(
            &[
                "serve",
                "--database-url",
                &url,
                "--listen",
                "127.0.0.1:1",
                "--secret-key-file",
                key,
            ],
            None,
        )
    };
    let (code, _, err) = serve("/no/such/concordat.key");
    assert_eq!(code, 1);
    assert!(
        err.contains("cannot read the secret key file /no/such/concordat.key"),
        "{err}"
    );
    let short = key_file("short", b"0123456789", 0o600);
    let (code, _, err) = serve(short.to_str().unwrap());
    assert_eq!(code, 1);
    assert!(err.contains("exactly 32 bytes"), "{err}");
    #[cfg(unix)]
    {
        let shared = key_file("shared", &[1u8; 32], 0o644);
        let (code, _, err) = serve(shared.to_str().unwrap());
        assert_eq!(code, 1);
        assert!(err.contains("chmod 600"), "{err}");
        assert!(!err.contains("0101"), "the key is never printed: {err}");
    }
    // Without the option at all, clap names it.
    let (code, _, err) = run(&["serve", "--database-url", &url], None);
    assert_ne!(code, 0);
    assert!(err.contains("--secret-key-file"), "{err}");
}

#[test]
fn usernames_ignore_case_and_demo_refuses_a_real_database() {
    let dir = std::env::temp_dir().join(format!("concordat_cli_real_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("concordat.db");
    let url = format!("sqlite:{}", db.display());
    let (code, _, err) = run(&["migrate", "--create", "--database-url", &url], None);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(
        &[
            "org",
            "add",
            "--database-url",
            &url,
            "--name",
            "Real Trust",
            "--kind",
            "mental_health_trust",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let add = |username: &str| {
        run(
            &[
                "user",
                "add",
                "--database-url",
                &url,
                "--org",
                "Real Trust",
                "--role",
                "triage_clinician",
                "--username",
                username,
                "--display-name",
                "Sam Lee",
            ],
            Some("harbour kettle violet\n"),
        )
    };
    let (code, _, err) = add("sam.lee");
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = add("Sam.Lee");
    assert_eq!(code, 1);
    assert!(
        err.contains("username: \"Sam.Lee\" is taken")
            && err.contains("ignore upper and lower case"),
        "{err}"
    );
    // The demo never loads its MFA-exempt accounts into a real database.
    let (code, out, err) = run(
        &[
            "demo",
            "--data-dir",
            dir.to_str().unwrap(),
            "--residents",
            "3000",
            "--no-serve",
        ],
        None,
    );
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("is not a demo database"), "{err}");
    let users = tokio_block(async {
        let store = concordat_store::Store::connect(&url, Default::default())
            .await
            .unwrap();
        let mut tx = store.begin_read().await.unwrap();
        tx.user_list().await.unwrap().len()
    });
    assert_eq!(users, 1, "no demo accounts were added");
}

fn tokio_block<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn migrate_add_a_user_and_verify_then_catch_tampering() {
    let db = temp_db("story");
    let url = format!("sqlite:{}", db.display());
    let (code, out, err) = run(&["migrate", "--create", "--database-url", &url], None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Applied"), "{out}");
    let (code, out, _) = run(&["migrate", "--database-url", &url], None);
    assert_eq!(code, 0);
    assert!(out.contains("up to date"));
    // No organisation yet: a clear error naming the field.
    let args = [
        "user",
        "add",
        "--database-url",
        &url,
        "--org",
        "Nowhere Trust",
        "--role",
        "analyst",
        "--username",
        "ann",
        "--display-name",
        "Ann Analyst",
    ];
    let (code, _, err) = run(&args, Some("harbour kettle violet\n"));
    assert_eq!(code, 1);
    assert!(err.contains("org: no organisation is called"), "{err}");
    // A bad role names the choices.
    let (code, _, err) = run(
        &[
            "user",
            "add",
            "--database-url",
            &url,
            "--org",
            "X",
            "--role",
            "boss",
            "--username",
            "b",
            "--display-name",
            "B",
        ],
        Some("x\n"),
    );
    assert_eq!(code, 1);
    assert!(err.contains("privacy_officer"), "{err}");
    let (code, _, err) = run(
        &[
            "org",
            "add",
            "--database-url",
            &url,
            "--name",
            "Nowhere Trust",
            "--kind",
            "trust",
        ],
        None,
    );
    assert_eq!(code, 1);
    assert!(err.contains("mental_health_trust"), "{err}");
    let (code, out, err) = run(
        &[
            "org",
            "add",
            "--database-url",
            &url,
            "--name",
            "Nowhere Trust",
            "--kind",
            "mental_health_trust",
            "--ods-code",
            "ZZA",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Added Nowhere Trust"), "{out}");
    // A weak password is refused with the reason; the password never appears on the command line.
    let (code, _, err) = run(&args, Some("password1234\n"));
    assert_eq!(code, 1);
    assert!(
        err.contains("password: this password is too common"),
        "{err}"
    );
    let (code, out, err) = run(&args, Some("harbour kettle violet\n"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Added user ann"), "{out}");
    let (code, _, err) = run(
        &[
            "org",
            "add",
            "--database-url",
            &url,
            "--name",
            "Nowhere Police",
            "--kind",
            "police_force",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let agree = |cats: &str, to: &str| {
        let a = [
            "agreement",
            "add",
            "--database-url",
            &url,
            "--from",
            "Nowhere Trust",
            "--to",
            to,
            "--categories",
            cats,
            "--legal-basis",
            "direct_care",
            "--review-date",
            "2027-03-31",
        ];
        run(&a, None)
    };
    let (code, _, err) = agree("identity,everything", "Nowhere Police");
    assert_eq!(code, 1);
    assert!(err.contains("\"everything\" is not a category"), "{err}");
    let (code, _, err) = agree("identity", "Elsewhere Police");
    assert_eq!(code, 1);
    assert!(err.contains("to: no organisation is called"), "{err}");
    let (code, out, err) = agree("identity,crisis_plan_summary", "Nowhere Police");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Recorded agreement"), "{out}");
    let (code, out, err) = run(&["audit", "verify", "--database-url", &url], None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("intact: 4 events"), "{out}");
    // Tamper with a row (after dropping the append-only trigger) and verify fails with exit code 1.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = concordat_store::Store::connect(&url, Default::default())
            .await
            .unwrap();
        let mut tx = store.begin().await.unwrap();
        tx.testing_drop_audit_triggers().await.unwrap();
        tx.testing_execute("UPDATE audit_events SET reason = 'nothing to see' WHERE seq = 1")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        store.close().await;
    });
    let (code, out, _) = run(&["audit", "verify", "--database-url", &url], None);
    assert_eq!(code, 1);
    assert!(
        out.contains("BROKEN") && out.contains("audit event 1"),
        "{out}"
    );
}

#[test]
fn demo_loads_writes_logins_and_verify_passes() {
    let dir = std::env::temp_dir().join(format!("concordat_cli_demo_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (code, out, err) = run(
        &[
            "demo",
            "--data-dir",
            dir.to_str().unwrap(),
            "--residents",
            "3000",
            "--no-serve",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("all synthetic"), "{out}");
    // The demo keeps its own key, and its files, readable by the owner only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(std::fs::metadata(dir.join("secret.key")).unwrap().len(), 32);
        assert_eq!(mode(&dir.join("secret.key")), 0o600);
        assert_eq!(mode(&dir.join("concordat.db")), 0o600);
        assert_eq!(mode(&dir), 0o700);
    }
    let logins = std::fs::read_to_string(dir.join("demo-logins.txt")).unwrap();
    let roles: Vec<&str> = logins
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split('\t').nth(2))
        .collect();
    for role in concordat_domain::Role::ALL {
        assert!(roles.contains(&role.code()), "no demo login for {role:?}");
    }
    // Running again reuses the data.
    let (code, out, _) = run(
        &["demo", "--data-dir", dir.to_str().unwrap(), "--no-serve"],
        None,
    );
    assert_eq!(code, 0);
    assert!(out.contains("Reusing"), "{out}");
    let url = format!("sqlite:{}", dir.join("concordat.db").display());
    let (code, out, _) = run(&["audit", "verify", "--database-url", &url], None);
    assert_eq!(code, 0, "{out}");
}
